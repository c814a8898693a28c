//! Store-level ingest benchmark: how many frames per second `Store::ingest` makes durable on
//! SQLite, in the gateway's pattern (many devices, group commits), without the network.
//!
//! Run with `cargo bench -p qingshan-store --bench ingest`. `QS_BENCH_DEVICES` (2000),
//! `QS_BENCH_BATCH` (frames per commit, 1000), `QS_BENCH_FRAMES` (total, 200000) and
//! `QS_BENCH_DB` (a PostgreSQL URL instead of a fresh SQLite file) change it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use qingshan_store::{FactorValues, FrameVerdict, ReceivedFrame, Store, Upload};

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A realistic real-time upload (CN=2011) of a gas outlet: three factors, ~330 bytes on the wire.
fn frame(device: usize, seq: usize) -> ReceivedFrame {
    let mn = format!("QSSIM{device:019}");
    let secs = seq * 30;
    let data_time = format!(
        "20261129{:02}{:02}{:02}",
        (secs / 3600) % 24,
        (secs / 60) % 60,
        secs % 60
    );
    let qn = format!("{data_time}{:03}", seq % 1000);
    let factor = |code: &str, v: f64| FactorValues {
        factor: code.into(),
        rtd: Some(format!("{v:.2}")),
        zs_rtd: Some(format!("{:.2}", v * 1.1)),
        flag: Some("N".into()),
        ..FactorValues::default()
    };
    let factors = vec![
        factor("a21026", 35.2 + (seq % 7) as f64),
        factor("a21002", 80.1 + (seq % 5) as f64),
        factor("a34013", 8.3 + (seq % 3) as f64),
    ];
    let body = format!(
        "QN={qn};ST=31;CN=2011;PW=123456;MN={mn};Flag=5;CP=&&DataTime={data_time};a21026-Rtd=35.20,a21026-ZsRtd=38.72,a21026-Flag=N;a21002-Rtd=80.10,a21002-ZsRtd=88.11,a21002-Flag=N;a34013-Rtd=8.30,a34013-ZsRtd=9.13,a34013-Flag=N&&"
    );
    ReceivedFrame {
        received_at: qingshan_store::now_text(),
        peer: format!("127.0.0.1:{}", 20000 + device),
        bytes: format!("##{:04}{body}ABCD\r\n", body.len()).into_bytes(),
        verdict: FrameVerdict::Upload,
        mn: Some(mn.clone()),
        cn: Some("2011".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn,
            cn: "2011".into(),
            qn,
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors,
        }),
    }
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let devices = env_or("QS_BENCH_DEVICES", 2000);
    let batch = env_or("QS_BENCH_BATCH", 1000);
    let total = env_or("QS_BENCH_FRAMES", if quick { 5000 } else { 200_000 });
    let dir = std::env::temp_dir().join(format!("qingshan-ingest-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = std::env::var("QS_BENCH_DB")
        .unwrap_or_else(|_| format!("sqlite://{}", dir.join("ingest.db").display()));
    let store = Store::connect(&url).await.unwrap();
    store.migrate().await.unwrap();

    let mut seq = 0usize;
    let mut batches_ms = Vec::new();
    let started = Instant::now();
    let mut done = 0usize;
    while done < total {
        // Group commits vary in size; so does the statement shape the store must prepare.
        let size = batch / 2 + (seq * 7919) % batch.max(1);
        let frames: Vec<ReceivedFrame> = (0..size.min(total - done))
            .map(|i| {
                let n = seq + i;
                frame(n % devices, n / devices)
            })
            .collect();
        seq += frames.len();
        let t = Instant::now();
        let outcomes = store.ingest(&frames).await.unwrap();
        batches_ms.push(t.elapsed().as_secs_f64() * 1000.0);
        assert_eq!(outcomes.len(), frames.len());
        done += frames.len();
    }
    let secs = started.elapsed().as_secs_f64();
    batches_ms.sort_by(f64::total_cmp);
    let pct = |p: f64| batches_ms[((batches_ms.len() - 1) as f64 * p) as usize];
    println!(
        "ingest: backend={} devices={devices} batch={batch} frames={done} frames_per_s={:.0} us_per_frame={:.1} commit_ms_p50={:.2} commit_ms_p99={:.2}",
        store.backend(),
        done as f64 / secs,
        secs * 1e6 / done as f64,
        pct(0.5),
        pct(0.99),
    );
    let _ = std::fs::remove_dir_all(&dir);
}
