//! Crash recovery: the server is killed with SIGKILL while devices are sending, then restarted.
//! Every upload that was acknowledged with 9014 must be stored, exactly once.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::Store;

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `qingshan serve` and waits until the gateway listens.
fn serve(db: &str, port: u16) -> Child {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "serve",
            "--addr",
            "127.0.0.1:0",
            "--hj212-addr",
            &format!("127.0.0.1:{port}"),
            "--db",
            db,
        ])
        .env("QINGSHAN_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    loop {
        let line = lines
            .next()
            .expect("server exited before listening")
            .unwrap();
        if line.starts_with("hj212 gateway on") {
            break;
        }
    }
    // Keep draining stdout so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    child
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_frames_survive_sigkill() {
    let dir = std::env::temp_dir().join(format!("qingshan-recovery-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("q.db").display());
    let port = free_port();
    let mut cfg = SimulatorConfig::new(format!("127.0.0.1:{port}").parse().unwrap(), 40);
    cfg.interval = Duration::from_millis(50);
    cfg.duration = Duration::from_secs(5);
    cfg.resend_after = Duration::from_millis(800);
    cfg.grace = Duration::from_secs(20);
    cfg.record_acks = true;

    let registry = dir.join("registry.csv");
    qingshan_sources::write_registry(
        &simulator::registry(&cfg),
        std::fs::File::create(&registry).unwrap(),
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(["sources", "import", registry.to_str().unwrap(), "--db", &db])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let mut server = serve(&db, port);
    let sim = tokio::spawn(simulator::run(cfg));
    tokio::time::sleep(Duration::from_millis(2000)).await;
    server.kill().unwrap(); // SIGKILL: no drain, no flush, nothing graceful.
    server.wait().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let mut server = serve(&db, port);
    let report = sim.await.unwrap();
    server.kill().unwrap();
    server.wait().unwrap();

    let summary = format!(
        "sent {} acked {} resent {} errors {}",
        report.sent, report.acked, report.resent, report.connection_errors
    );
    eprintln!("{summary}");
    assert!(report.acked > 500, "{summary}");
    assert!(
        report.connection_errors > 0,
        "the kill should have cut connections: {summary}"
    );
    assert_eq!(report.acked_keys.len() as u64, report.acked);
    let store = Store::connect(&db).await.unwrap();
    let stored: std::collections::HashMap<(String, String), usize> = store
        .upload_keys()
        .await
        .unwrap()
        .into_iter()
        .fold(Default::default(), |mut m, k| {
            *m.entry(k).or_default() += 1;
            m
        });
    let missing: Vec<_> = report
        .acked_keys
        .iter()
        .filter(|k| !stored.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "{} acknowledged uploads lost, e.g. {:?}",
        missing.len(),
        missing.first()
    );
    assert!(stored.values().all(|n| *n == 1), "an upload stored twice");
    let stats = store.ingest_stats().await.unwrap();
    assert_eq!(stats.total as usize, stored.len());
    eprintln!(
        "recovery: sent {} acked {} resent {} stored {}",
        report.sent, report.acked, report.resent, stats.total
    );
}
