//! Benchmark of the automatic backfill (补传) through the real gateway on 127.0.0.1, over a
//! SQLite store in a temporary directory (durable commits, as in production).
//!
//! `QINGSHAN_BENCH_DEVICES` devices (1,000) each miss yesterday's one-minute data (1,440
//! periods): the gaps are recorded as the hourly look records them, then one backfill pass
//! asks every device for its day at once (one history request each). The devices are
//! simulated in this process: online with real-time data every 10 s, answering from their own
//! history, 16 frames ahead of the acknowledgements. Meanwhile `QINGSHAN_BENCH_LIVE` other
//! devices (100) send real-time data every second for `QINGSHAN_BENCH_LIVE_SECS` (60 s).
//!
//! Reports: history frames stored per second and the time until every gap is 已补传, and the
//! live devices' acknowledgement latency (p50/p99) during the backfill.
//!
//! Run: `cargo bench -p qingshan-server --bench backfill` (not part of `cargo test`; under
//! `cargo test --benches` it runs a tiny fleet only).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::time::{Duration, Instant};

use chrono::Utc;
use qingshan_app::backfill::{self, BackfillConfig};
use qingshan_server::gateway::GatewayConfig;
use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{Actor, GapScan, NewDataGap, Store};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench());
}

async fn bench() {
    // `cargo bench` passes --bench; `cargo test --benches` passes nothing: a tiny run then.
    let quick = !std::env::args().any(|a| a == "--bench");
    let devices = env_or("QINGSHAN_BENCH_DEVICES", if quick { 3 } else { 1000 }) as usize;
    let live_n = env_or("QINGSHAN_BENCH_LIVE", if quick { 2 } else { 100 }) as usize;
    let live_secs = env_or("QINGSHAN_BENCH_LIVE_SECS", if quick { 5 } else { 60 });
    let timeout = Duration::from_secs(env_or("QINGSHAN_BENCH_TIMEOUT_SECS", 3600));
    let dir = std::env::temp_dir().join(format!("qingshan-bench-backfill-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("bench.db");
    let store = Store::connect(&format!("sqlite://{}", db.display()))
        .await
        .unwrap();
    store.migrate().await.unwrap();

    // Registry: the backfilled fleet, then the live devices after it.
    let placeholder = "127.0.0.1:1".parse().unwrap();
    let mut fleet = SimulatorConfig::new(placeholder, devices);
    let mut live = SimulatorConfig::new(placeholder, live_n);
    live.first_index = devices;
    let mut reg = simulator::registry(&fleet);
    let other = simulator::registry(&live);
    reg.enterprises.extend(other.enterprises);
    reg.outlets.extend(other.outlets);
    reg.devices.extend(other.devices);
    reg.permits.extend(other.permits);
    reg.limits.extend(other.limits);
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // Registered two days ago, so that yesterday lies in the devices' registered life.
    if let Store::Sqlite(p, _) = &store {
        let at = (Utc::now() - chrono::Duration::days(2))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        sqlx::query("UPDATE devices SET created_at = $1")
            .bind(at)
            .execute(p)
            .await
            .unwrap();
    }

    let (stop_gw, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let gw_store = store.clone();
    let gateway = tokio::spawn(async move {
        qingshan_server::gateway::bind_and_run(
            gw_store,
            "127.0.0.1:0",
            GatewayConfig {
                command_poll_every: Duration::from_millis(200),
                ..GatewayConfig::default()
            },
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    let addr = addr_rx.await.unwrap();

    // The fleet comes online (real-time data every 10 s) and stays for the whole run.
    fleet.to = addr;
    fleet.interval = Duration::from_secs(10);
    fleet.duration = timeout + Duration::from_secs(60);
    fleet.grace = Duration::ZERO;
    let fleet_task = tokio::spawn(simulator::run(fleet));
    let connect_started = Instant::now();
    loop {
        let seen = store.last_seen_of_all().await.unwrap().len();
        if seen >= devices {
            break;
        }
        assert!(
            connect_started.elapsed() < Duration::from_secs(120),
            "only {seen} of {devices} devices came online"
        );
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    println!(
        "{devices} devices online in {:.1} s",
        connect_started.elapsed().as_secs_f64()
    );

    // Yesterday (Beijing) missing for every device, as the hourly look records it.
    let today = qingshan_app::beijing::today();
    let yesterday = today - chrono::Duration::days(1);
    let day_start = yesterday.and_hms_opt(0, 0, 0).unwrap();
    let day_end = today.and_hms_opt(0, 0, 0).unwrap();
    let seeded = Instant::now();
    for i in 0..devices {
        let mn = simulator::device_mn(i);
        store
            .record_gap_scan(
                &GapScan {
                    mn: mn.clone(),
                    cn: "2051".into(),
                    first_data_time: backfill::data_time(day_start),
                    scanned_to: backfill::data_time(day_end),
                    interval_secs: 60,
                },
                &[NewDataGap {
                    mn,
                    cn: "2051".into(),
                    begin_time: backfill::data_time(day_start),
                    end_time: backfill::data_time(day_end),
                    interval_secs: 60,
                    expected: 1440,
                }],
            )
            .await
            .unwrap();
    }
    println!(
        "{devices} gaps of 1,440 minutes recorded in {:.1} s",
        seeded.elapsed().as_secs_f64()
    );

    // The pass follows the gaps only (the look itself is not measured here).
    let cfg = BackfillConfig {
        cns: Vec::new(),
        ..BackfillConfig::default()
    };
    live.to = addr;
    live.interval = Duration::from_secs(1);
    live.duration = Duration::from_secs(live_secs);
    live.grace = Duration::from_secs(10);
    let live_task = tokio::spawn(simulator::run(live));
    let started = Instant::now();
    let first = backfill::run(&store, Utc::now(), &cfg).await.unwrap();
    println!(
        "{} history requests queued in {:.2} s",
        first.requested,
        started.elapsed().as_secs_f64()
    );
    let mut filled = first.filled;
    let mut failed = first.failed;
    let mut last_report = Instant::now();
    while filled + failed < devices {
        assert!(
            started.elapsed() < timeout,
            "timed out: {filled} filled, {failed} failed"
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
        let s = backfill::run(&store, Utc::now(), &cfg).await.unwrap();
        filled += s.filled;
        failed += s.failed;
        if last_report.elapsed() >= Duration::from_secs(10) {
            last_report = Instant::now();
            println!(
                "  {:.0} s: {filled} gaps filled, {failed} failed",
                started.elapsed().as_secs_f64()
            );
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    let rows = store
        .period_times_all(
            "2051",
            &backfill::data_time(day_start),
            &backfill::data_time(day_end),
        )
        .await
        .unwrap();
    let backfilled = rows.iter().filter(|(_, _, b)| *b).count();
    let mut keys: Vec<(&str, &str)> = rows
        .iter()
        .map(|(m, t, _)| (m.as_str(), t.as_str()))
        .collect();
    keys.sort_unstable();
    keys.dedup();
    let live_report = live_task.await.unwrap();
    println!("backfill of one day of minute data, {devices} devices at once (SQLite, 127.0.0.1):");
    println!("  gaps filled {filled}, failed {failed}");
    println!(
        "  frames stored {} (each minute once: {}), backfilled {backfilled}",
        rows.len(),
        keys.len() == rows.len()
    );
    println!("  time to complete {elapsed:.1} s");
    println!("  history frames/s {:.0}", backfilled as f64 / elapsed);
    println!(
        "  live uploads meanwhile ({live_n} devices, 1/s, {live_secs} s): sent {}, acked {}, ack latency p50 {:.1} ms, p99 {:.1} ms",
        live_report.sent, live_report.acked, live_report.p50_ms, live_report.p99_ms
    );
    fleet_task.abort();
    let _ = stop_gw.send(());
    let _ = gateway.await;
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
