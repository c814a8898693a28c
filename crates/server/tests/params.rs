//! Analyser parameters (CN 3020) and the clock watch over real TCP: HJ 212 frames built with
//! the protocol crate go through the gateway's socket; the alarms, the API and the device page
//! show what became of them.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::net::SocketAddr;
use std::time::Duration;

use chrono::{DateTime, Utc};
use qingshan_hj212::{CrcPolicy, Packet, decode_frame};
use qingshan_server::gateway::GatewayConfig;
use qingshan_store::{Actor, Alarm, AlarmFilter, Role, Store};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

const PW: &str = "123456";
const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs
9144030071526726XG,某化工有限公司,140902,DW001,总排口,water,MNPARAM01,2017,field,123456,600
9144030071526726XG,某化工有限公司,140902,DA001,1号锅炉,gas,MNCLOCK01,2017,field,123456,30
9144030071526726XG,某化工有限公司,140902,DA002,2号锅炉,gas,MNHIST01,2017,field,123456,600
";

/// A device's DataTime (Beijing) of an instant.
fn dt(t: DateTime<Utc>) -> String {
    qingshan_app::beijing::local(t)
        .format("%Y%m%d%H%M%S")
        .to_string()
}

/// A raw device: one TCP connection that sends a frame and waits for its 9014.
struct Device {
    stream: TcpStream,
    mn: &'static str,
    st: &'static str,
    sent: u32,
}

impl Device {
    async fn connect(addr: SocketAddr, mn: &'static str, st: &'static str) -> Device {
        Device {
            stream: TcpStream::connect(addr).await.unwrap(),
            mn,
            st,
            sent: 0,
        }
    }

    /// Sends a CN with DataTime `data_time` and these CP items after it, and waits for the
    /// acknowledgement (sent only once the frame is durable).
    async fn send(&mut self, cn: &str, data_time: &str, items: &[(&str, &str)]) {
        self.sent += 1;
        let qn = format!("{}{:03}", dt(Utc::now()), self.sent % 1000);
        let mut b = Packet::builder(cn)
            .qn(&qn)
            .st(self.st)
            .pw(PW)
            .mn(self.mn)
            .flag(5)
            .item("DataTime", data_time);
        for (k, v) in items {
            b = b.item(*k, *v);
        }
        let p = b.build().unwrap();
        self.stream.write_all(&p.encode()).await.unwrap();
        let mut buf = Vec::new();
        let mut chunk = [0u8; 1024];
        while !buf.ends_with(b"\r\n") {
            let n = tokio::time::timeout(Duration::from_secs(10), self.stream.read(&mut chunk))
                .await
                .expect("no acknowledgement within 10 s")
                .unwrap();
            assert!(n > 0, "connection closed before the acknowledgement");
            buf.extend_from_slice(&chunk[..n]);
        }
        let reply = decode_frame(buf.strip_suffix(b"\r\n").unwrap(), CrcPolicy::Strict).unwrap();
        assert_eq!((reply.cn(), reply.qn()), ("9014", Some(qn.as_str())));
    }
}

async fn alarms(store: &Store, mn: &str, kind: &str) -> Vec<Alarm> {
    let mut list: Vec<Alarm> = store
        .alarms(
            &AlarmFilter {
                mn: Some(mn.into()),
                ..AlarmFilter::default()
            },
            100,
        )
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == kind)
        .collect();
    list.reverse();
    list
}

struct Setup {
    store: Store,
    server: common::Server,
    gw: common::Gateway,
    _db: common::ScratchDb,
}

async fn setup() -> Setup {
    let (store, db) = common::fresh_store("params").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    common::user(&store, "staff1", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let gw = common::gateway(store.clone(), GatewayConfig::default()).await;
    Setup {
        store,
        server,
        gw,
        _db: db,
    }
}

async fn get_json(c: &reqwest::Client, url: String) -> Value {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), 200);
    r.json().await.unwrap()
}

#[tokio::test]
async fn a_changed_range_raises_param_change_except_under_a_calibration_mark() {
    let s = setup().await;
    let (staff, csrf) = common::login(&s.server, "staff1").await;
    let mut dev = Device::connect(s.gw.addr, "MNPARAM01", "32").await;
    let now = Utc::now();
    let at = |h: i64| dt(now - chrono::Duration::hours(h));

    // The first upload of the parameters: stored, nothing to compare with.
    let first = [
        ("PolId", "w01018"),
        ("i13001-Info", "500"),
        ("i13007-Info", "0.10"),
        ("i13008-Info", "1.00"),
    ];
    dev.send("3020", &at(3), &first).await;
    let p = get_json(
        &staff,
        s.server.url("/api/v1/sources/devices/MNPARAM01/params"),
    )
    .await;
    assert_eq!(p["total"], 3, "{p}");
    assert_eq!(p["factors"][0]["factor"], "w01018");
    assert_eq!(p["factors"][0]["factor_name"], "化学需氧量");
    assert_eq!(p["factors"][0]["factor_unit"], "mg/L");
    assert!(
        alarms(&s.store, "MNPARAM01", "param_change")
            .await
            .is_empty()
    );

    // The range doubled an hour later, with no mark: 参数变更 with both values and times.
    let doubled = [
        ("PolId", "w01018"),
        ("i13001-Info", "1000"),
        ("i13007-Info", "0.10"),
        ("i13008-Info", "1.00"),
    ];
    dev.send("3020", &at(2), &doubled).await;
    let raised = alarms(&s.store, "MNPARAM01", "param_change").await;
    assert_eq!(raised.len(), 1, "{raised:?}");
    let a = &raised[0];
    assert_eq!(
        (a.factor.as_str(), a.start_time.as_str()),
        ("w01018", at(2).as_str())
    );
    assert!(a.context.contains("测量量程 500 → 1000"), "{}", a.context);
    let shown = |d: &str| {
        chrono::NaiveDateTime::parse_from_str(d, "%Y%m%d%H%M%S")
            .unwrap()
            .format("%Y-%m-%d %H:%M:%S")
            .to_string()
    };
    assert!(a.context.contains(&shown(&at(3))), "{}", a.context);
    assert!(a.context.contains(&shown(&at(2))), "{}", a.context);
    assert!(a.context.contains("化学需氧量"), "{}", a.context);
    // The alarm centre names it in Chinese.
    let centre = staff
        .get(s.server.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(centre.contains("参数变更") && centre.contains("测量量程 500 → 1000"));

    // A calibration mark over the next change: the slope changes under it, no alarm.
    let r = staff
        .post(s.server.url("/api/v1/marks"))
        .header("x-csrf-token", &csrf)
        .json(&json!({
            "mn": "MNPARAM01", "factor": "w01018", "kind": "calibration",
            "start": (now - chrono::Duration::minutes(90)).to_rfc3339(),
            "end": (now - chrono::Duration::minutes(30)).to_rfc3339(),
            "reason": "季度校准，更换标液后重新标定斜率",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 201);
    let mark_id = r.json::<Value>().await.unwrap()["mark"]["id"]
        .as_i64()
        .unwrap();
    let recalibrated = [
        ("PolId", "w01018"),
        ("i13001-Info", "1000"),
        ("i13007-Info", "0.10"),
        ("i13008-Info", "1.20"),
    ];
    dev.send("3020", &at(1), &recalibrated).await;
    assert_eq!(
        alarms(&s.store, "MNPARAM01", "param_change").await.len(),
        1,
        "a change under a calibration mark raised an alarm"
    );
    let p = get_json(
        &staff,
        s.server.url("/api/v1/sources/devices/MNPARAM01/params"),
    )
    .await;
    assert_eq!(p["total"], 9, "{p}");
    let history = p["history"].as_array().unwrap();
    let slope = history
        .iter()
        .find(|h| h["code"] == "i13008" && h["changed"] == true)
        .unwrap();
    assert_eq!(slope["name"], "斜率");
    assert_eq!(
        (slope["previous_value"].as_str(), slope["value"].as_str()),
        (Some("1.00"), Some("1.20"))
    );
    assert_eq!(slope["mark_id"].as_i64(), Some(mark_id));
    assert!(slope["alarm_id"].is_null());
    let range = history
        .iter()
        .find(|h| h["code"] == "i13001" && h["changed"] == true)
        .unwrap();
    assert_eq!(range["alarm_id"].as_i64(), Some(a.id));
    assert!(range["data_time_at"].as_str().unwrap().ends_with("+08:00"));
    // Unchanged values are revisions too, never overwritten.
    assert_eq!(history.iter().filter(|h| h["code"] == "i13007").count(), 3);

    // The device page shows the history with Chinese names, the change under the mark.
    let page = staff
        .get(s.server.url("/sources/devices/MNPARAM01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("分析仪参数") && page.contains("斜率") && page.contains("测量量程"));
    assert!(
        page.contains(&format!("在数据标记 <a href=\"/marks/{mark_id}\">")),
        "{page}"
    );
    assert!(page.contains("class=\"changed\""));
    // The public sees the device page without them.
    let public = common::client()
        .get(s.server.url("/sources/devices/MNPARAM01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        public.contains("MNPARAM01") && !public.contains("分析仪参数") && !public.contains("校时")
    );
    let r = common::client()
        .get(s.server.url("/api/v1/sources/devices/MNPARAM01/params"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
}

#[tokio::test]
async fn a_clock_fifteen_minutes_ahead_raises_clock_drift_until_it_is_set_right() {
    let s = setup().await;
    let (staff, _) = common::login(&s.server, "staff1").await;
    let mut dev = Device::connect(s.gw.addr, "MNCLOCK01", "31").await;
    let rtd = [("a21026-Rtd", "35.2"), ("a21026-Flag", "N")];
    let ahead = || dt(Utc::now() + chrono::Duration::minutes(15));

    dev.send("2011", &ahead(), &rtd).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    dev.send("2011", &ahead(), &rtd).await;
    let drift = alarms(&s.store, "MNCLOCK01", "clock_drift").await;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].end_time.is_none());
    // DataTime has whole seconds: 15 minutes ahead reads 14 min 59 s or 15 min.
    let ahead_text = |t: &str| t.contains("快 15 分") || t.contains("快 14 分 59 秒");
    assert!(ahead_text(&drift[0].context), "{}", drift[0].context);
    let c = get_json(
        &staff,
        s.server.url("/api/v1/sources/devices/MNCLOCK01/clock"),
    )
    .await;
    let offset = c["clock"]["offset_secs"].as_i64().unwrap();
    assert!((895..=905).contains(&offset), "{c}");
    assert!(ahead_text(c["clock"]["text"].as_str().unwrap()), "{c}");
    assert_eq!(c["clock"]["beyond"], true);
    assert_eq!(c["tolerance_secs"], 600);
    // The device page shows it, with the one-click 校时 form for staff.
    let page = staff
        .get(s.server.url("/sources/devices/MNCLOCK01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ahead_text(&page), "{page}");
    assert!(page.contains("action=\"/sources/devices/MNCLOCK01/commands\""));
    assert!(page.contains("name=\"cn\" value=\"1012\""));
    assert!(page.contains("时钟偏差"));
    // The enterprise sees its own device's clock, but the 校时 command is the bureau's.
    s.store
        .create_user(
            &qingshan_store::NewUser {
                username: "plant".into(),
                display_name: "企业账号".into(),
                password_hash: qingshan_app::accounts::hash_password("correct horse").unwrap(),
                role: Role::Enterprise,
                unit_id: None,
                division_code: None,
                credit_code: Some("9144030071526726XG".into()),
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let (plant, _) = common::login(&s.server, "plant").await;
    let own = plant
        .get(s.server.url("/sources/devices/MNCLOCK01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(ahead_text(&own) && own.contains("分析仪参数"), "{own}");
    assert!(!own.contains("/commands") && !own.contains("校时"), "{own}");

    // Set right: the next upload is in time and ends the alarm.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    dev.send("2011", &dt(Utc::now()), &rtd).await;
    let drift = alarms(&s.store, "MNCLOCK01", "clock_drift").await;
    assert_eq!(drift.len(), 1, "{drift:?}");
    assert!(drift[0].end_time.is_some(), "{drift:?}");
    let c = get_json(
        &staff,
        s.server.url("/api/v1/sources/devices/MNCLOCK01/clock"),
    )
    .await;
    assert_eq!(c["clock"]["beyond"], false, "{c}");
    assert!(c["clock"]["text"].as_str().unwrap().starts_with("正常"));
}

#[tokio::test]
async fn history_and_backfilled_minute_data_never_read_as_a_slow_clock() {
    let s = setup().await;
    let (staff, _) = common::login(&s.server, "staff1").await;
    let mut dev = Device::connect(s.gw.addr, "MNHIST01", "31").await;
    let avg = [("a21026-Avg", "20.1"), ("a21026-Flag", "N")];
    let now = Utc::now();
    // The minute just ended, arriving in time: read as in time.
    let minute = now - chrono::Duration::seconds(now.timestamp() % 60 + 60);
    dev.send("2051", &dt(minute), &avg).await;
    // Then history hours old, several records in a row (a backfill answer).
    for k in 0..3 {
        let t = now - chrono::Duration::hours(5) + chrono::Duration::minutes(10 * k);
        dev.send("2051", &dt(t), &avg).await;
    }
    // And hourly data of the morning, the first the device ever sends.
    let mut hourly = Device::connect(s.gw.addr, "MNHIST01", "31").await;
    for k in 0..2 {
        hourly
            .send("2061", &dt(now - chrono::Duration::hours(6 - k)), &avg)
            .await;
    }
    assert!(alarms(&s.store, "MNHIST01", "clock_drift").await.is_empty());
    let c = get_json(
        &staff,
        s.server.url("/api/v1/sources/devices/MNHIST01/clock"),
    )
    .await;
    assert_eq!(c["clock"]["offset_secs"], 0, "{c}");
    assert_eq!(c["clock"]["source_cn"], "2051");
    assert_eq!(c["clock"]["beyond"], false);
    // Data were stored all the same.
    let stats = s.store.ingest_stats().await.unwrap();
    assert_eq!(stats.by_device.get("MNHIST01"), Some(&6));
}
