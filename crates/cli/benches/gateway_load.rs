//! Load benchmark of the HJ 212 gateway on loopback: a real `qingshan serve` process (SQLite,
//! durable commits) and a fleet of simulated devices in this process.
//!
//! Measures sustained frames/s stored and acknowledged, acknowledgement latency p50/p99, and
//! the server's memory per idle connection. Run with `cargo bench -p qingshan --bench gateway_load`;
//! `QS_BENCH_DEVICES`, `QS_BENCH_INTERVAL_MS`, `QS_BENCH_SECS`, `QS_BENCH_IDLE` change the load.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::Duration;

use qingshan_simulator::{self as simulator, SimulatorConfig};

// The simulated fleet shares the machine's cores with the server: keep it as light as the
// `qingshan hj212 simulate` command it stands for.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn main() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: run a tiny load then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let devices = env_or("QS_BENCH_DEVICES", if quick { 20 } else { 2000 }) as usize;
    let interval_ms = env_or("QS_BENCH_INTERVAL_MS", 100);
    let secs = env_or("QS_BENCH_SECS", if quick { 2 } else { 20 });
    let idle = env_or("QS_BENCH_IDLE", if quick { 100 } else { 10_000 }) as usize;

    let dir = std::env::temp_dir().join(format!("qingshan-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("bench.db").display());
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut cfg = SimulatorConfig::new(format!("127.0.0.1:{port}").parse().unwrap(), devices);
    cfg.interval = Duration::from_millis(interval_ms);
    cfg.duration = Duration::from_secs(secs);
    cfg.grace = Duration::from_secs(15);

    let registry = dir.join("registry.csv");
    qingshan_sources::write_registry(
        &simulator::registry(&cfg),
        std::fs::File::create(&registry).unwrap(),
    )
    .unwrap();
    let bin = env!("CARGO_BIN_EXE_qingshan");
    let out = Command::new(bin)
        .args(["sources", "import", registry.to_str().unwrap(), "--db", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut server = Command::new(bin)
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--hj212-addr",
            &format!("127.0.0.1:{port}"),
            "--hj212-max-per-ip",
            "100000",
            "--db",
            &db,
        ])
        .env(
            "QINGSHAN_LOG",
            std::env::var("QS_BENCH_LOG").unwrap_or_else(|_| "warn".into()),
        )
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    while !lines
        .next()
        .unwrap()
        .unwrap()
        .starts_with("hj212 gateway on")
    {}
    std::thread::spawn(move || for _ in lines {});
    let pid = server.id();

    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    // Idle connections first, on a fresh server: hold `idle` sockets open and see what they cost.
    let before = rss_kib(pid);
    let held = rt.block_on(async {
        let mut v = Vec::with_capacity(idle);
        for _ in 0..idle {
            match tokio::net::TcpStream::connect(("127.0.0.1", port)).await {
                Ok(s) => v.push(s),
                Err(e) => {
                    eprintln!(
                        "gateway_load: connect failed after {} idle connections: {e}",
                        v.len()
                    );
                    break;
                }
            }
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
        // Count what the server kept open: a closed socket reads 0 bytes at once.
        let mut alive = Vec::with_capacity(v.len());
        for s in v {
            let mut b = [0u8; 1];
            match s.try_read(&mut b) {
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => alive.push(s),
                _ => {}
            }
        }
        alive
    });
    let after = rss_kib(pid);
    println!(
        "gateway_load: idle_connections={} server_rss_kib before={before} after={after} per_connection_bytes={:.0}",
        held.len(),
        (after.saturating_sub(before) as f64 * 1024.0) / held.len().max(1) as f64
    );
    drop(held);
    std::thread::sleep(Duration::from_secs(1));
    let rss_start = rss_kib(pid);
    let report = rt.block_on(simulator::run(cfg.clone()));
    let offered = devices as f64 * 1000.0 / interval_ms as f64;
    let stats = Command::new(bin)
        .args(["ingest", "stats", "--db", &db, "--json"])
        .output()
        .unwrap();
    let stats: serde_json::Value = serde_json::from_slice(&stats.stdout).unwrap();
    println!(
        "gateway_load: devices={devices} interval_ms={interval_ms} duration_s={secs} offered_fps={offered:.0}"
    );
    println!(
        "gateway_load: sent={} acked={} resent={} stored={} acked_fps={:.0} p50_ms={:.2} p99_ms={:.2} conn_errors={}",
        report.sent,
        report.acked,
        report.resent,
        stats["total"],
        report.acked as f64 / secs as f64,
        report.p50_ms,
        report.p99_ms,
        report.connection_errors
    );
    println!(
        "gateway_load: server_rss_kib start={rss_start} after_load={}",
        rss_kib(pid)
    );

    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if !quick {
        assert!(report.acked > 0);
    }
}
