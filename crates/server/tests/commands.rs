//! Remote commands (反控) end to end over real TCP: the web server and the HJ 212 gateway on
//! port 0 over one store, a simulated 数采仪 (the simulator as a library) connected to the
//! gateway, and staff queueing commands through the page form and the API. Each test runs on
//! the backend `QINGSHAN_TEST_BACKEND` chooses (SQLite or PostgreSQL).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::time::{Duration, Instant};

use qingshan_server::gateway::GatewayConfig;
use qingshan_simulator::{self as simulator, Inject, SimulatorConfig};
use qingshan_store::{Actor, Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

struct Rig {
    store: Store,
    server: common::Server,
    staff: Client,
    csrf: String,
    sim: tokio::task::JoinHandle<simulator::SimulatorReport>,
    mn: String,
    _gateway: common::Gateway,
    _db: common::ScratchDb,
}

impl Drop for Rig {
    fn drop(&mut self) {
        self.sim.abort();
    }
}

/// The server, the gateway (with `gw`) and one simulated device (`sim` adjusts its
/// configuration) running; a staff member signed in.
async fn rig(tag: &str, gw: GatewayConfig, sim: impl FnOnce(&mut SimulatorConfig)) -> Rig {
    let (store, db) = common::fresh_store(tag).await;
    let gateway = common::gateway(store.clone(), gw).await;
    let mut cfg = SimulatorConfig::new(gateway.addr, 1);
    cfg.interval = Duration::from_millis(500);
    cfg.duration = Duration::from_secs(120);
    cfg.resend_after = Duration::from_secs(2);
    sim(&mut cfg);
    store
        .import_registry(&simulator::registry(&cfg), &Actor::cli())
        .await
        .unwrap();
    let mn = simulator::device_mn(cfg.first_index);
    let server = common::serve(store.clone()).await;
    common::user(&store, "staff1", Role::Staff, None, None).await;
    let (staff, csrf) = common::login(&server, "staff1").await;
    let sim = tokio::spawn(simulator::run(cfg));
    let rig = Rig {
        store,
        server,
        staff,
        csrf,
        sim,
        mn,
        _gateway: gateway,
        _db: db,
    };
    // The device is connected and identified once its first uploads are stored.
    let r = &rig;
    r.wait_for("the first uploads", || async move {
        r.store.ingest_stats().await.unwrap().total >= 2
    })
    .await;
    rig
}

impl Rig {
    async fn wait_for<F, Fut>(&self, what: &str, mut done: F)
    where
        F: FnMut() -> Fut,
        Fut: std::future::Future<Output = bool>,
    {
        let until = Instant::now() + Duration::from_secs(30);
        while !done().await {
            assert!(Instant::now() < until, "timed out waiting for {what}");
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The device's real-time uploads with a DataTime from `from` on, in DataTime order.
    async fn uploads_since(&self, from: &str) -> Vec<String> {
        self.store
            .uploads_between(&self.mn, "2011", from, "29991231000000")
            .await
            .unwrap()
            .into_iter()
            .map(|(t, _)| t)
            .collect()
    }

    /// Queues through the API as the signed-in staff member; the command's id.
    async fn queue(&self, body: Value) -> i64 {
        let r = self
            .staff
            .post(
                self.server
                    .url(&format!("/api/v1/sources/devices/{}/commands", self.mn)),
            )
            .header("x-csrf-token", &self.csrf)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
        let v: Value = r.json().await.unwrap();
        assert_eq!(v["command"]["state"], "queued", "{v}");
        v["command"]["id"].as_i64().unwrap()
    }

    async fn commands(&self) -> Value {
        self.staff
            .get(
                self.server
                    .url(&format!("/api/v1/sources/devices/{}/commands", self.mn)),
            )
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }

    /// Waits until command `id` is final and returns it as the API shows it.
    async fn finished(&self, id: i64) -> Value {
        let until = Instant::now() + Duration::from_secs(30);
        loop {
            let v = self.commands().await;
            let c = v["commands"]
                .as_array()
                .unwrap()
                .iter()
                .find(|c| c["id"] == id)
                .cloned()
                .unwrap();
            if ["refused", "done", "failed", "timed_out"].contains(&c["state"].as_str().unwrap()) {
                return c;
            }
            assert!(Instant::now() < until, "command {id} still {}", c["state"]);
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }
}

fn frame_cns(c: &Value) -> Vec<String> {
    c["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            format!(
                "{} {}",
                f["direction"].as_str().unwrap(),
                f["cn"].as_str().unwrap()
            )
        })
        .collect()
}

fn beijing_now() -> chrono::NaiveDateTime {
    qingshan_app::beijing::local(chrono::Utc::now())
}

fn data_time(t: &str) -> chrono::NaiveDateTime {
    chrono::NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").unwrap()
}

/// A device whose clock is 15 minutes fast gets 校时 (1012 without a time, queued through the
/// page's form): it answers 9011 and 9012, and its later DataTimes follow the server's clock.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn set_time_moves_the_device_clock_to_the_servers() {
    let rig = rig("cmd-1012", GatewayConfig::default(), |c| {
        c.injects = vec![Inject::Clock];
        c.clock_offset_minutes = 15;
    })
    .await;
    let ahead = rig.uploads_since("19700101000000").await;
    let drift = data_time(ahead.last().unwrap()) - beijing_now();
    assert!(
        drift > chrono::Duration::minutes(14),
        "drift before: {drift}"
    );

    let r = rig
        .staff
        .post(
            rig.server
                .url(&format!("/sources/devices/{}/commands", rig.mn)),
        )
        .form(&[("csrf", rig.csrf.as_str()), ("cn", "1012")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let id = rig.commands().await["commands"][0]["id"].as_i64().unwrap();
    let c = rig.finished(id).await;
    assert_eq!(
        (c["state"].as_str(), c["state_label"].as_str()),
        (Some("done"), Some("已完成")),
        "{c}"
    );
    assert_eq!(c["asked_by"], "staff1显示名");
    assert_eq!(frame_cns(&c), ["out 1012", "in 9011", "in 9012"]);
    assert!(
        c["frames"][0]["frame"]
            .as_str()
            .unwrap()
            .contains("PW=******"),
        "{c}"
    );

    let after = (beijing_now() + chrono::Duration::seconds(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let later = beijing_now();
    let (r, after_ref) = (&rig, &after);
    r.wait_for("uploads at the corrected time", || async move {
        // Uploads stamped after the command, in server time, and none 15 minutes ahead.
        r.uploads_since(after_ref)
            .await
            .iter()
            .filter(|t| data_time(t) < later + chrono::Duration::minutes(5))
            .count()
            >= 3
    })
    .await;
    for t in rig
        .uploads_since(&after)
        .await
        .iter()
        .filter(|t| data_time(t) < later + chrono::Duration::minutes(5))
    {
        let d = (data_time(t) - beijing_now()).num_seconds().abs();
        assert!(d <= 5, "DataTime {t} is {d} s off the server's clock");
    }
    // The page shows the command in Chinese.
    let page = rig
        .staff
        .get(rig.server.url(&format!("/sources/devices/{}", rig.mn)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("远程命令")
            && page.contains("校时（设为发送时的服务器北京时间）")
            && page.contains("已完成")
    );
    let log = rig
        .store
        .audit_log(Some("device_command.queue"), 10)
        .await
        .unwrap();
    assert_eq!((log.len(), log[0].actor.as_str()), (1, "staff1"));
}

/// 1062 changes the real-time interval: uploads that came every half second come every three
/// (the simulator runs interval seconds at a tenth of their length).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_real_time_interval_changes_the_upload_spacing() {
    let rig = rig("cmd-1062", GatewayConfig::default(), |c| {
        c.interval_unit = Duration::from_millis(100);
    })
    .await;
    let id = rig.queue(json!({ "cn": "1061" })).await;
    let c = rig.finished(id).await;
    assert_eq!(c["result_label"], "实时数据间隔 5 秒", "{c}");
    let id = rig.queue(json!({ "cn": 1062, "value": 30 })).await;
    let c = rig.finished(id).await;
    assert_eq!(c["state"], "done", "{c}");
    // From the next second on, every upload is at the new interval.
    let from = (beijing_now() + chrono::Duration::seconds(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let started = Instant::now();
    tokio::time::sleep(Duration::from_millis(7500)).await;
    let spaced = rig.uploads_since(&from).await;
    // At the old interval 7.5 s would hold about 15 uploads; at 3 s, two or three.
    assert!(
        (1..=4).contains(&spaced.len()),
        "{} uploads in {:?}: {spaced:?}",
        spaced.len(),
        started.elapsed()
    );
    for w in spaced.windows(2) {
        let gap = (data_time(&w[1]) - data_time(&w[0])).num_seconds();
        assert!(
            (2..=4).contains(&gap),
            "uploads {} s apart: {spaced:?}",
            gap
        );
    }
    let id = rig.queue(json!({ "cn": "1061" })).await;
    assert_eq!(rig.finished(id).await["result_label"], "实时数据间隔 30 秒");
    // Out of the standard's range: refused before anything is queued, and audited.
    let r = rig
        .staff
        .post(
            rig.server
                .url(&format!("/api/v1/sources/devices/{}/commands", rig.mn)),
        )
        .header("x-csrf-token", &rig.csrf)
        .json(&json!({ "cn": "1062", "value": "5" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("30 至 3600"), "{body}");
    assert_eq!(rig.commands().await["total"], 3);
    let refused = rig
        .store
        .audit_log(Some("device_command.queue"), 10)
        .await
        .unwrap();
    assert!(
        refused.iter().any(|e| e.outcome.as_str() == "refused"),
        "{refused:?}"
    );
}

/// 1072: the registry keeps the old password until the device confirms with 9012; then both
/// sides use the new one and the device's uploads keep being accepted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_change_takes_effect_on_both_sides() {
    let rig = rig("cmd-1072", GatewayConfig::default(), |_| {}).await;
    let password = |s: Store, mn: String| async move {
        s.registered_devices()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.mn == mn)
            .unwrap()
            .password
    };
    assert_eq!(password(rig.store.clone(), rig.mn.clone()).await, "123456");
    let id = rig.queue(json!({ "cn": "1072", "value": "Ab9876" })).await;
    let c = rig.finished(id).await;
    assert_eq!(
        (c["state"].as_str(), c["exe_rtn"].as_i64()),
        (Some("done"), Some(1)),
        "{c}"
    );
    assert!(
        !c.to_string().contains("Ab9876"),
        "the new password is not shown: {c}"
    );
    assert_eq!(password(rig.store.clone(), rig.mn.clone()).await, "Ab9876");
    let from = (beijing_now() + chrono::Duration::seconds(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let (r, f) = (&rig, &from);
    r.wait_for("uploads with the new password", || async move {
        r.uploads_since(f).await.len() >= 3
    })
    .await;
    // The registry change is audited, without the password.
    let log = rig
        .store
        .audit_log(Some("device_command.password"), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    assert!(!format!("{log:?}").contains("Ab9876"));
    // And the device answers commands under its new password.
    let id = rig.queue(json!({ "cn": "1011" })).await;
    let c = rig.finished(id).await;
    assert_eq!(c["state"], "done", "{c}");
    assert!(
        c["result_label"].as_str().unwrap().starts_with("设备时间 "),
        "{c}"
    );
}

/// A device that does not answer: the request is resent `command_retries` times, then the
/// command has timed out, shown as 超时 on the page and in the API; the next command waits its
/// turn and times out in order too.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unanswered_command_times_out_and_is_reported() {
    let gw = GatewayConfig {
        command_timeout: Duration::from_millis(400),
        command_retries: 2,
        command_poll_every: Duration::from_millis(200),
        ..GatewayConfig::default()
    };
    let rig = rig("cmd-timeout", gw, |c| c.answer_commands = false).await;
    let first = rig.queue(json!({ "cn": "1011" })).await;
    let second = rig.queue(json!({ "cn": "2012" })).await;
    assert_eq!(rig.commands().await["in_flight"], 2);
    let c = rig.finished(first).await;
    assert_eq!(
        (c["state"].as_str(), c["state_label"].as_str()),
        (Some("timed_out"), Some("超时")),
        "{c}"
    );
    assert_eq!(c["attempts"], 3);
    assert_eq!(frame_cns(&c), ["out 1011", "out 1011", "out 1011"]);
    assert!(c["note"].as_str().unwrap().contains("均未"), "{c}");
    let c2 = rig.finished(second).await;
    assert_eq!(c2["state"], "timed_out");
    assert!(
        c2["sent_at"].as_str().unwrap() >= c["finished_at"].as_str().unwrap(),
        "one at a time, in order"
    );
    let page = rig
        .staff
        .get(rig.server.url(&format!("/sources/devices/{}", rig.mn)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("超时") && page.contains("停止实时数据"),
        "page lacks the timeout"
    );
    assert_eq!(rig.commands().await["in_flight"], 0);
}

/// 3020: the device answers with one parameter frame per analyser, stored through the normal
/// ingest path (acknowledged, kept once), and the command keeps every frame it exchanged.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn analyser_parameters_are_fetched_and_their_frames_kept() {
    let rig = rig("cmd-3020", GatewayConfig::default(), |_| {}).await;
    let id = rig.queue(json!({ "cn": "3020" })).await;
    let c = rig.finished(id).await;
    assert_eq!(c["state"], "done", "{c}");
    assert_eq!(
        frame_cns(&c),
        [
            "out 3020", "in 9011", "in 3020", "in 3020", "in 3020", "in 9012"
        ]
    );
    assert_eq!(c["data_frames"], 3);
    let stored = rig
        .store
        .uploads_between(&rig.mn, "3020", "19700101000000", "29991231000000")
        .await
        .unwrap();
    assert_eq!(stored.len(), 3, "{stored:?}");
    let so2 = stored
        .iter()
        .flat_map(|(_, f)| f.iter())
        .find(|f| f.factor == "i13001" && f.extra.as_deref() == Some("Info=200"));
    assert!(so2.is_some(), "{stored:?}");
    // One analyser by its factor.
    let id = rig.queue(json!({ "cn": "3020", "value": "a21002" })).await;
    let c = rig.finished(id).await;
    assert_eq!(c["data_frames"], 1, "{c}");
    assert!(c["description"].as_str().unwrap().contains("a21002"));
}

/// 补传: minute data withheld live by the gap fault is fetched with a 2051 history request and
/// stored once per minute, with the values the device would have sent live.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_history_request_fills_a_gap_with_the_devices_own_values() {
    let rig = rig("cmd-2051", GatewayConfig::default(), |c| {
        c.cn = "2051".into();
        c.interval = Duration::from_millis(20);
        // 4 hours of minute data sent quickly, a 30-minute gap one hour in; the device stays
        // connected for the history request.
        c.uploads = Some(240);
        c.duration = Duration::from_secs(120);
        c.injects = vec![Inject::Gap];
        c.gap_after = Duration::from_secs(3600);
        c.gap_len = Duration::from_secs(1800);
    })
    .await;
    let minutes = |s: Store, mn: String| async move {
        s.uploads_between(&mn, "2051", "19700101000000", "29991231000000")
            .await
            .unwrap()
    };
    // Until the live uploads are all in: 210 of the 240 periods.
    let r = &rig;
    r.wait_for("the live minutes", || async move {
        minutes(r.store.clone(), r.mn.clone()).await.len() >= 210
    })
    .await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let live = minutes(rig.store.clone(), rig.mn.clone()).await;
    assert_eq!(live.len(), 210, "240 minutes less the 30 withheld");
    let times: Vec<chrono::NaiveDateTime> = live.iter().map(|(t, _)| data_time(t)).collect();
    let hole = times
        .windows(2)
        .find(|w| w[1] - w[0] > chrono::Duration::minutes(1))
        .map(|w| {
            (
                w[0] + chrono::Duration::minutes(1),
                w[1] - chrono::Duration::minutes(1),
            )
        })
        .unwrap();
    assert_eq!(hole.1 - hole.0, chrono::Duration::minutes(29));
    assert_eq!(hole.0 - times[0], chrono::Duration::minutes(60));
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y-%m-%dT%H:%M").to_string();
    let id = rig
        .queue(json!({ "cn": "2051", "begin": fmt(hole.0), "end": fmt(hole.1) }))
        .await;
    let c = rig.finished(id).await;
    assert_eq!(
        (c["state"].as_str(), c["data_frames"].as_i64()),
        (Some("done"), Some(30)),
        "{c}"
    );
    let all = minutes(rig.store.clone(), rig.mn.clone()).await;
    assert_eq!(all.len(), 240, "each minute once");
    let mut seen: Vec<&str> = all.iter().map(|(t, _)| t.as_str()).collect();
    seen.dedup();
    assert_eq!(seen.len(), 240);
    // The backfilled values are the series' own.
    let first = all.iter().find(|(t, _)| data_time(t) == hole.0).unwrap();
    let so2 = first.1.iter().find(|f| f.factor == "a21026").unwrap();
    let expected = simulator::aggregate(0, "a21026", hole.0, 1, simulator::Shape::Normal);
    assert_eq!(
        so2.avg.as_deref(),
        Some(format!("{:.2}", expected.avg).as_str())
    );
}

/// 参数变更 with the simulator as the device: its analysers' parameters are fetched (3020), then
/// halfway through its run the device's SO2 range changes and it uploads the new parameters
/// unprompted; the gateway's judgement raises 参数变更 with the old and the new range.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_range_the_device_changes_raises_a_parameter_change() {
    let rig = rig("cmd-param", GatewayConfig::default(), |c| {
        c.injects = vec![Inject::Param];
        // Halfway (8 s) leaves the 3020 fetch ample time to finish first, even on a loaded machine.
        c.duration = Duration::from_secs(16);
    })
    .await;
    let id = rig.queue(json!({ "cn": "3020" })).await;
    assert_eq!(rig.finished(id).await["state"], "done");
    let filter = qingshan_store::AlarmFilter {
        mn: Some(rig.mn.clone()),
        ..Default::default()
    };
    let store = rig.store.clone();
    let f = &filter;
    rig.wait_for("参数变更", || {
        let store = store.clone();
        async move {
            store
                .alarms(f, 50)
                .await
                .unwrap()
                .iter()
                .any(|a| a.kind == "param_change")
        }
    })
    .await;
    let alarms = rig.store.alarms(&filter, 50).await.unwrap();
    let changes: Vec<_> = alarms.iter().filter(|a| a.kind == "param_change").collect();
    assert_eq!(changes.len(), 1, "{changes:?}");
    let a = changes[0];
    assert_eq!(a.factor, simulator::TAMPERED.0);
    let context = &a.context;
    assert!(
        context.contains(simulator::TAMPERED.1) && context.contains("200"),
        "the old and the new range: {context}"
    );
}
