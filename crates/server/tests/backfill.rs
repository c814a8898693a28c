//! Automatic backfill (补传) end to end over real TCP: a simulated 数采仪 withholds three hours
//! of its minute data, the supervisor's hourly look finds the gap, the gateway sends the
//! history request on the device's connection, the device answers from its own history, and
//! every minute ends up stored once, marked backfilled, with the span's 传输率 back at 100 %.
//! A device that does not answer leaves its gap visible as 无法补传 after the tries.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::Duration;

use chrono::{NaiveDateTime, Utc};
use qingshan_app::backfill::{self, BackfillConfig, BackfillCounting};
use qingshan_server::gateway::GatewayConfig;
use qingshan_simulator::{self as simulator, Inject, SimulatorConfig};
use qingshan_store::Store;

/// The device was registered two days ago: the simulated history (ten hours back) lies in
/// its registered life. (The registry import has no date of its own; the store keeps the
/// time of the first import.)
async fn registered_two_days_ago(store: &Store) {
    let at = (Utc::now() - chrono::Duration::days(2))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    match store {
        Store::Sqlite(p, _) => {
            sqlx::query("UPDATE devices SET created_at = $1")
                .bind(&at)
                .execute(p)
                .await
                .unwrap();
        }
        Store::Postgres(p) => {
            sqlx::query("UPDATE devices SET created_at = $1")
                .bind(&at)
                .execute(p)
                .await
                .unwrap();
        }
    }
}

/// Ten hours of one-minute data sent as fast as the gateway acknowledges it, the last minute
/// landing on the current one; the three hours from the first hour on are withheld.
fn minute_run(to: std::net::SocketAddr) -> SimulatorConfig {
    let mut cfg = SimulatorConfig::new(to, 1);
    cfg.cn = "2051".into();
    cfg.min_interval = 1;
    cfg.interval = Duration::from_millis(10);
    cfg.duration = Duration::from_millis(6000);
    cfg.injects = vec![Inject::Gap];
    cfg.gap_after = Duration::from_secs(3600);
    cfg.gap_len = Duration::from_secs(3 * 3600);
    cfg.grace = Duration::from_secs(20);
    cfg
}

/// The same device afterwards, online with real-time data every second, answering (or not)
/// the platform's commands from its history.
fn online_run(to: std::net::SocketAddr, answer: bool, secs: u64) -> SimulatorConfig {
    let mut cfg = SimulatorConfig::new(to, 1);
    cfg.interval = Duration::from_secs(1);
    cfg.duration = Duration::from_secs(secs);
    cfg.grace = Duration::from_secs(5);
    cfg.answer_commands = answer;
    cfg
}

fn test_config() -> BackfillConfig {
    BackfillConfig {
        // The simulated history was sent just now: look at it at once.
        delay: Duration::ZERO,
        backoff: Duration::from_millis(300),
        backoff_max: Duration::from_secs(1),
        max_tries: 2,
        ..BackfillConfig::default()
    }
}

fn gateway_config() -> GatewayConfig {
    GatewayConfig {
        command_poll_every: Duration::from_millis(50),
        command_timeout: Duration::from_secs(2),
        command_retries: 1,
        ..GatewayConfig::default()
    }
}

fn t(s: &str) -> NaiveDateTime {
    backfill::parse_data_time(s).unwrap()
}

/// Waits until `n` rows of the device's minute data are stored.
async fn stored_minutes(store: &Store, mn: &str, n: usize) {
    let to =
        backfill::data_time(qingshan_app::beijing::local(Utc::now()) + chrono::Duration::hours(1));
    for _ in 0..600 {
        let rows = store
            .period_times(mn, "2051", "20000101000000", &to)
            .await
            .unwrap();
        if rows.len() >= n {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("minute data of {mn} not stored in time");
}

/// The supervisor's clock for a simulated history: the real clock set back so that "now" is
/// the minute after the device's last live minute. Under load the simulator may not reach the
/// current minute in its run, and the minutes it never sent would rightly be gaps too.
async fn clock_after_last_minute(store: &Store, mn: &str) -> chrono::Duration {
    let rows = store
        .period_times(mn, "2051", "20000101000000", "30000101000000")
        .await
        .unwrap();
    let last = t(&rows[rows.len() - 1].0);
    Utc::now() - qingshan_app::beijing::to_utc(last + chrono::Duration::minutes(1))
}

/// Runs the backfill pass (clock set back by `skew`) until the device's only gap is in `state`.
async fn pass_until(
    store: &Store,
    mn: &str,
    cfg: &BackfillConfig,
    skew: chrono::Duration,
    state: &str,
) -> qingshan_store::DataGap {
    for _ in 0..300 {
        backfill::run(store, Utc::now() - skew, cfg).await.unwrap();
        let gaps = store.data_gaps(mn, 10, 0).await.unwrap();
        if gaps.items.iter().any(|g| g.state == state) {
            return gaps.items.into_iter().find(|g| g.state == state).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "gap of {mn} never {state}: {:?}",
        store.data_gaps(mn, 10, 0).await.unwrap().items
    );
}

#[tokio::test]
async fn a_three_hour_gap_in_minute_data_is_found_asked_for_and_filled_once() {
    let (store, _db) = common::fresh_store("backfill_fill").await;
    let gw = common::gateway(store.clone(), gateway_config()).await;
    let sim = minute_run(gw.addr);
    store
        .import_registry(&simulator::registry(&sim), &qingshan_store::Actor::cli())
        .await
        .unwrap();
    registered_two_days_ago(&store).await;
    let mn = simulator::device_mn(0);

    let live = simulator::run(sim).await;
    assert_eq!(live.withheld, 180, "{live:?}");
    assert_eq!(live.acked, live.sent, "{live:?}");
    let sent = usize::try_from(live.sent).unwrap();
    let total = sent + 180;
    stored_minutes(&store, &mn, sent).await;
    let rows = store
        .period_times(&mn, "2051", "20000101000000", "30000101000000")
        .await
        .unwrap();
    let first = t(&rows[0].0);
    assert_eq!(rows.len(), sent);
    assert!(rows.iter().all(|(_, b)| !b));

    // Online again with real-time data, answering commands.
    let online = tokio::spawn(simulator::run(online_run(gw.addr, true, 15)));
    let cfg = test_config();
    let skew = clock_after_last_minute(&store, &mn).await;
    let summary = backfill::run(&store, Utc::now() - skew, &cfg)
        .await
        .unwrap();
    assert_eq!(
        (summary.found, summary.requested),
        (1, 1),
        "{summary:?} {:?}",
        store.data_gaps(&mn, 10, 0).await.unwrap().items
    );
    let gap = store.data_gaps(&mn, 10, 0).await.unwrap().items.remove(0);
    // Exactly the withheld span: from the first data's second hour, three hours of minutes.
    assert_eq!(
        (
            gap.cn.as_str(),
            gap.begin_time.clone(),
            gap.end_time.clone(),
            gap.expected,
            gap.interval_secs
        ),
        (
            "2051",
            backfill::data_time(first + chrono::Duration::hours(1)),
            backfill::data_time(first + chrono::Duration::hours(4)),
            180,
            60
        )
    );
    assert_eq!(gap.state, "requesting");
    let command = gap.command_id.unwrap();

    let gap = pass_until(&store, &mn, &cfg, skew, "filled").await;
    assert_eq!((gap.filled, gap.tries), (180, 1));
    let c = store.device_command(command).await.unwrap().unwrap();
    assert_eq!(c.state, "done");
    assert_eq!(c.cn, "2051");

    // Every minute stored once; the withheld ones marked backfilled, the others not.
    let end = t(&rows[rows.len() - 1].0) + chrono::Duration::minutes(1);
    let all = store
        .period_times(
            &mn,
            "2051",
            &backfill::data_time(first),
            &backfill::data_time(end),
        )
        .await
        .unwrap();
    assert_eq!(all.len(), total);
    let mut times: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    times.dedup();
    assert_eq!(times.len(), total, "a minute stored twice");
    let backfilled: Vec<&(String, bool)> = all.iter().filter(|(_, b)| *b).collect();
    assert_eq!(backfilled.len(), 180);
    assert!(
        backfilled
            .iter()
            .all(|(t, _)| t.as_str() >= gap.begin_time.as_str()
                && t.as_str() < gap.end_time.as_str())
    );

    // The 传输率 of the gap's span, and of the whole run, is 100 % with backfilled data
    // counted (补全); counted only in time (即时), the span had none.
    let rate = |from: NaiveDateTime, to: NaiveDateTime, counting| {
        let store = store.clone();
        let mn = mn.clone();
        async move {
            backfill::span_transmission(&store, &mn, "2051", from, to, 60, counting)
                .await
                .unwrap()
        }
    };
    let (gb, ge) = (t(&gap.begin_time), t(&gap.end_time));
    let span = rate(gb, ge, BackfillCounting::Complete).await;
    assert_eq!(
        (
            span.expected,
            span.received,
            span.backfilled,
            span.rate.as_str()
        ),
        (180, 180, 180, "100.00")
    );
    let whole = rate(first, end, BackfillCounting::Complete).await;
    assert_eq!(
        (whole.expected, whole.received, whole.rate.as_str()),
        (total as i64, total as i64, "100.00")
    );
    assert_eq!(rate(gb, ge, BackfillCounting::Timely).await.rate, "0.00");
    let timely = rate(first, end, BackfillCounting::Timely).await;
    assert_eq!((timely.received, timely.backfilled), (total as i64, 180));
    let in_time: f64 = timely.rate.parse().unwrap();
    assert!(in_time > 0.0 && in_time < 100.0, "{timely:?}");

    // Another pass finds nothing new and asks for nothing.
    let again = backfill::run(&store, Utc::now() - skew, &cfg)
        .await
        .unwrap();
    assert_eq!((again.found, again.requested), (0, 0), "{again:?}");
    assert_eq!(
        store
            .audit_log(Some("data_gap.detect"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        store
            .audit_log(Some("data_gap.request"), 10)
            .await
            .unwrap()
            .len(),
        1
    );

    // The device page and the API show it.
    let server = common::serve(store.clone()).await;
    let c = common::client();
    let page = c
        .get(server.url(&format!("/sources/devices/{mn}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("缺数与补传"), "{page}");
    assert!(
        page.contains("分钟数据") && page.contains("已补传"),
        "{page}"
    );
    let api: serde_json::Value = c
        .get(server.url(&format!("/api/v1/sources/devices/{mn}/gaps")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["total"], 1);
    assert_eq!(api["items"][0]["state"], "filled");
    assert_eq!(api["items"][0]["state_label"], "已补传");
    assert_eq!(api["items"][0]["kind"], "分钟数据");
    assert_eq!(api["items"][0]["command_id"], command);
    assert!(
        api["items"][0]["begin"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );

    let report = online.await.unwrap();
    assert_eq!(report.history_frames, 180, "{report:?}");
    let _ = gw.stop.send(());
    gw.task.await.unwrap();
}

#[tokio::test]
async fn a_gap_the_device_does_not_fill_stays_visible_as_unfillable() {
    let (store, _db) = common::fresh_store("backfill_fail").await;
    let gw = common::gateway(store.clone(), gateway_config()).await;
    let sim = minute_run(gw.addr);
    store
        .import_registry(&simulator::registry(&sim), &qingshan_store::Actor::cli())
        .await
        .unwrap();
    registered_two_days_ago(&store).await;
    let mn = simulator::device_mn(0);
    let live = simulator::run(sim).await;
    stored_minutes(&store, &mn, usize::try_from(live.sent).unwrap()).await;

    // Online, but deaf to commands: every history request times out.
    let online = tokio::spawn(simulator::run(online_run(gw.addr, false, 30)));
    let cfg = test_config();
    let skew = clock_after_last_minute(&store, &mn).await;
    let summary = backfill::run(&store, Utc::now() - skew, &cfg)
        .await
        .unwrap();
    assert_eq!(
        (summary.found, summary.requested),
        (1, 1),
        "{summary:?} {:?}",
        store.data_gaps(&mn, 10, 0).await.unwrap().items
    );
    let gap = pass_until(&store, &mn, &cfg, skew, "failed").await;
    assert_eq!((gap.tries, gap.filled, gap.expected), (2, 0, 180));
    assert_eq!(gap.next_try, None);
    let c = store
        .device_command(gap.command_id.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(c.state, "timed_out");
    // Given up: no further requests, and no data marked backfilled.
    let again = backfill::run(&store, Utc::now() - skew, &cfg)
        .await
        .unwrap();
    assert_eq!(again.requested, 0);
    let (backfilled, _) = store
        .backfilled_count(&mn, "2051", "20000101000000", "30000101000000")
        .await
        .unwrap();
    assert_eq!(backfilled, 0);
    let settled = store.audit_log(Some("data_gap.settle"), 10).await.unwrap();
    assert!(
        settled
            .iter()
            .any(|a| a.new_value.as_deref() == Some("failed"))
    );

    let server = common::serve(store.clone()).await;
    let page = common::client()
        .get(server.url(&format!("/sources/devices/{mn}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("无法补传"), "{page}");
    online.abort();
    let _ = gw.stop.send(());
    gw.task.await.unwrap();
}
