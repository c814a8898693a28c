//! Load benchmark of the HJ 212 gateway on loopback: a real `qingshan serve` process (SQLite,
//! durable commits) and a fleet of simulated devices in this process.
//!
//! Measures sustained frames/s stored and acknowledged, acknowledgement latency p50/p99, and
//! the server's memory per idle connection. Run with `cargo bench -p qingshan --bench gateway_load`;
//! `QS_BENCH_DEVICES`, `QS_BENCH_INTERVAL_MS`, `QS_BENCH_SECS`, `QS_BENCH_IDLE` change the load.
//!
//! `QS_BENCH_ATTACK=unknown_mn|wrong_password|garbage` runs an attack beside the devices:
//! `QS_BENCH_ATTACKERS` connections (8) flood the gateway as fast as it lets them (random
//! unknown MNs; the devices' own MNs with a wrong password; random bytes without a header),
//! reconnecting each time they are cut off. The devices' acknowledgement latency is then the
//! figure that matters, with the database's growth.

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

/// Floods the gateway at `port` until `stop`, reconnecting whenever it closes the
/// connection; returns the frames (or 512-byte garbage chunks) written.
async fn attacker(
    port: u16,
    attack: String,
    devices: usize,
    id: usize,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> u64 {
    use std::sync::atomic::Ordering;
    use tokio::io::AsyncWriteExt;
    let mut sent = 0u64;
    let mut seq = 0usize;
    while !stop.load(Ordering::Relaxed) {
        let Ok(mut s) = tokio::net::TcpStream::connect(("127.0.0.1", port)).await else {
            tokio::time::sleep(Duration::from_millis(10)).await;
            continue;
        };
        // Bursts back to back until the gateway cuts the connection off; replies are drained
        // as they come.
        'conn: while !stop.load(Ordering::Relaxed) {
            let mut burst = Vec::new();
            for _ in 0..32 {
                seq += 1;
                if attack == "garbage" {
                    burst.extend((0..512).map(|i| b'a' + ((seq * 31 + i) % 26) as u8));
                } else {
                    let qn = format!("20261129{:06}{:03}", seq / 1000 % 1_000_000, seq % 1000);
                    let (mn, pw) = if attack == "wrong_password" {
                        (
                            simulator::device_mn((id * 7919 + seq) % devices.max(1)),
                            "000000",
                        )
                    } else {
                        (format!("ATK{id:03}{seq:018}"), "123456")
                    };
                    let p = qingshan_hj212::Packet::builder("2011")
                        .qn(&qn)
                        .st("31")
                        .pw(pw)
                        .mn(&mn)
                        .flag(5)
                        .item("DataTime", &qn[..14])
                        .factor("a21026", "Rtd", "35.20")
                        .factor("a21026", "Flag", "N")
                        .build()
                        .unwrap();
                    burst.extend(p.encode());
                }
            }
            if s.write_all(&burst).await.is_err() {
                break;
            }
            sent += 32;
            let mut b = [0u8; 4096];
            loop {
                match s.try_read(&mut b) {
                    Ok(0) => break 'conn,
                    Ok(_) => {}
                    Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => break,
                    Err(_) => break 'conn,
                }
            }
            tokio::task::yield_now().await;
        }
    }
    sent
}

/// The database's size as SQLite sees it (pages in use, the write-ahead log's included).
fn db_size(rt: &tokio::runtime::Runtime, db: &str) -> i64 {
    rt.block_on(async {
        let store = qingshan_store::Store::connect(db).await.unwrap();
        store.database_size().await.unwrap()
    })
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
    let attack = std::env::var("QS_BENCH_ATTACK").unwrap_or_default();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let db_before = db_size(&rt, &db);
    let attackers: Vec<_> = if attack.is_empty() || attack == "none" {
        Vec::new()
    } else {
        (0..env_or("QS_BENCH_ATTACKERS", 8) as usize)
            .map(|id| rt.spawn(attacker(port, attack.clone(), devices, id, stop.clone())))
            .collect()
    };
    let report = rt.block_on(simulator::run(cfg.clone()));
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let attack_sent: u64 = rt.block_on(async {
        let mut n = 0;
        for a in attackers {
            n += a.await.unwrap_or(0);
        }
        n
    });
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
    if !attack.is_empty() && attack != "none" {
        let grown = db_size(&rt, &db) - db_before;
        // What the gateway took in, by its own counters (the attackers' writes after a cut-off
        // never reach it).
        let (counted, archived, garbage) = rt.block_on(async {
            let store = qingshan_store::Store::connect(&db).await.unwrap();
            let mut counted = 0;
            for kind in ["quarantined", "refused", "rejected", "garbage"] {
                for c in store.refused_counts(kind).await.unwrap() {
                    counted += c.total;
                }
            }
            let archive = store.archive_counts().await.unwrap();
            let archived: i64 = ["quarantined", "refused", "rejected"]
                .iter()
                .map(|k| archive.get(*k).copied().unwrap_or(0))
                .sum();
            (
                counted,
                archived,
                archive.get("garbage").copied().unwrap_or(0),
            )
        });
        println!(
            "gateway_load: attack={attack} attackers_wrote={attack_sent} gateway_counted={counted} archived={archived} garbage_records={garbage} db_growth_kib={} (the devices' uploads included)",
            grown / 1024
        );
    }

    let _ = server.kill();
    let _ = server.wait();
    let _ = std::fs::remove_dir_all(&dir);
    if !quick {
        assert!(report.acked > 0);
    }
}
