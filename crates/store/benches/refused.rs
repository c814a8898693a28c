//! Database growth under refused HJ 212 traffic (issue 12, row 2): what a million frames from
//! unknown MNs (one MN, or a new random MN per frame) and with a wrong password add to a
//! SQLite store, through `Store::ingest_bounded` in the gateway's batches, with the default
//! budget and, for comparison, with no budget (every frame archived, as before).
//!
//! Run with `cargo bench -p qingshan-store --bench refused`. `QS_BENCH_FRAMES` (1,000,000 per
//! attack; the unbounded baseline runs a tenth and is scaled up) changes it.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::Instant;

use qingshan_store::{FrameVerdict, ReceivedFrame, RefusedBudget, Store};
use sqlx::Row;

fn env_or(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// A real-time upload as an attacker would send it, ~330 bytes on the wire.
fn frame(verdict: FrameVerdict, mn: &str, seq: usize) -> ReceivedFrame {
    let data_time = format!("20261129{:06}", seq % 1_000_000);
    let body = format!(
        "QN={data_time}000;ST=31;CN=2011;PW=000000;MN={mn};Flag=5;CP=&&DataTime={data_time};a21026-Rtd=35.20,a21026-ZsRtd=38.72,a21026-Flag=N;a21002-Rtd=80.10,a21002-ZsRtd=88.11,a21002-Flag=N;a34013-Rtd=8.30,a34013-ZsRtd=9.13,a34013-Flag=N&&"
    );
    ReceivedFrame {
        received_at: qingshan_store::now_text(),
        peer: format!("203.0.113.{}:{}", seq % 4, 20000 + seq % 40000),
        bytes: format!("##{:04}{body}ABCD\r\n", body.len()).into_bytes(),
        verdict,
        mn: Some(mn.to_string()),
        cn: Some("2011".into()),
        error_kind: (verdict == FrameVerdict::Refused).then(|| "bad_password".into()),
        message: (verdict == FrameVerdict::Refused).then(|| "访问密码（PW）错误".into()),
        upload: None,
    }
}

async fn size_bytes(store: &Store) -> i64 {
    store.database_size().await.unwrap()
}

async fn run(attack: &str, frames: usize, budget: RefusedBudget) -> (f64, f64, i64) {
    let dir = std::env::temp_dir().join(format!(
        "qingshan-refused-bench-{}-{attack}-{}",
        std::process::id(),
        budget.keep_per_key
    ));
    std::fs::create_dir_all(&dir).unwrap();
    let store = Store::connect(&format!("sqlite://{}", dir.join("b.db").display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let before = size_bytes(&store).await;
    let started = Instant::now();
    let mut done = 0;
    while done < frames {
        let batch: Vec<ReceivedFrame> = (done..(done + 2048).min(frames))
            .map(|i| match attack {
                "unknown_mn" => frame(FrameVerdict::Quarantined, "FLOOD00000000000000000001", i),
                "random_mn" => frame(FrameVerdict::Quarantined, &format!("R{i:023}"), i),
                _ => frame(FrameVerdict::Refused, "010000A8900016F000169DC0", i),
            })
            .collect();
        store.ingest_bounded(&batch, &[], &budget).await.unwrap();
        done += batch.len();
    }
    let secs = started.elapsed().as_secs_f64();
    let grown = size_bytes(&store).await - before;
    let rows: i64 = match &store {
        Store::Sqlite(pool, _) => sqlx::query("SELECT COUNT(*) FROM raw_frames")
            .fetch_one(pool)
            .await
            .unwrap()
            .get(0),
        Store::Postgres(_) => 0,
    };
    let _ = std::fs::remove_dir_all(&dir);
    (grown as f64, frames as f64 / secs, rows)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let frames = env_or("QS_BENCH_FRAMES", if quick { 20_000 } else { 1_000_000 });
    let per_million = |bytes: f64, n: usize| bytes * 1e6 / n as f64 / (1024.0 * 1024.0);
    for attack in ["unknown_mn", "random_mn", "wrong_password"] {
        let (grown, fps, rows) = run(attack, frames, RefusedBudget::default()).await;
        let unbounded_n = (frames / 10).max(2048);
        let unbounded = RefusedBudget {
            keep_per_key: i64::MAX,
            max_keys: i64::MAX,
        };
        let (old, old_fps, _) = run(attack, unbounded_n, unbounded).await;
        // Bounded growth does not scale with the frame count: report it as measured.
        println!(
            "refused: attack={attack} frames={frames} db_growth_kib={:.0} raw_rows={rows} frames_per_s={fps:.0} | unbounded ({unbounded_n} frames, scaled): db_growth_mib_per_million={:.1} frames_per_s={old_fps:.0}",
            grown / 1024.0,
            per_million(old, unbounded_n),
        );
    }
}
