//! Supervision under a controllable clock: an exceedance alarm and an offline alarm are raised,
//! followed as their episodes go on and end, and closed by staff with a disposition note.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use qingshan_app::supervisor::{SupervisorConfig, run_once, run_pass};
use qingshan_store::{
    Actor, AlarmFilter, FactorValues, FrameVerdict, ReceivedFrame, Role, Store, Upload,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNSUPERVISED01,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
";

/// Beijing local time → UTC.
fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - chrono::Duration::hours(8)
}

fn stored(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// An hourly (2061) upload for hour `h` of 2026-03-01, received 5 minutes after the hour ends.
fn hourly(h: u32, zs_avg: &str, flag: &str) -> ReceivedFrame {
    let data_time = format!("20260301{h:02}0000");
    ReceivedFrame {
        received_at: stored(bj(2026, 3, 1, h, 0) + chrono::Duration::minutes(65)),
        peer: "127.0.0.1:1".into(),
        bytes: b"##test".to_vec(),
        verdict: FrameVerdict::Upload,
        mn: Some("MNSUPERVISED01".into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: "MNSUPERVISED01".into(),
            cn: "2061".into(),
            qn: format!("{data_time}000"),
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                avg: Some("10".into()),
                zs_avg: Some(zs_avg.into()),
                flag: Some(flag.into()),
                ..Default::default()
            }],
        }),
    }
}

async fn store() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("sup").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    (store, db)
}

/// Between the schedule's full passes, a pass judges only the devices whose hourly data came in
/// since the time it is given (the raw archive's arrival time); the full pass judges all.
#[tokio::test]
async fn a_pass_over_changed_devices_judges_only_new_hourly_data() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    // Over the limit at 01:00 and 02:00; the 02:00 record arrives at 03:05.
    store
        .ingest(&[
            hourly(0, "20", "N"),
            hourly(1, "40", "N"),
            hourly(2, "50.5", "N"),
        ])
        .await
        .unwrap();
    let now = bj(2026, 3, 1, 3, 10);
    let after = run_pass(&store, now, &cfg, Some(bj(2026, 3, 1, 3, 6)))
        .await
        .unwrap();
    assert_eq!(after.raised, 0, "nothing arrived since 03:06");
    let since = run_pass(&store, now, &cfg, Some(bj(2026, 3, 1, 3, 5)))
        .await
        .unwrap();
    assert_eq!(since.raised, 1, "the 02:00 record arrived at 03:05");
    assert_eq!(run_once(&store, now, &cfg).await.unwrap().raised, 0);
    assert_eq!(
        store.count_alarms(&AlarmFilter::default()).await.unwrap(),
        1
    );
}

#[tokio::test]
async fn exceedance_alarm_is_raised_followed_ended_and_closed() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    // 00:00–02:00: 20, 40 (over the converted limit 35), 50.
    store
        .ingest(&[
            hourly(0, "20", "N"),
            hourly(1, "40", "N"),
            hourly(2, "50.5", "N"),
        ])
        .await
        .unwrap();
    let s = run_once(&store, bj(2026, 3, 1, 3, 10), &cfg).await.unwrap();
    assert_eq!(s.raised, 1);
    let alarms = store
        .alarms(
            &AlarmFilter {
                status: Some("open".into()),
                ..Default::default()
            },
            10,
        )
        .await
        .unwrap();
    assert_eq!(alarms.len(), 1);
    let a = &alarms[0];
    assert_eq!(
        (
            a.kind.as_str(),
            a.factor.as_str(),
            a.start_time.as_str(),
            a.end_time.as_deref()
        ),
        ("exceedance", "a21026", "20260301010000", None)
    );
    assert_eq!(
        (a.peak.as_deref(), a.peak_time.as_deref(), a.records),
        (Some("50.5"), Some("20260301020000"), 2)
    );
    assert!(a.context.contains("超标倍数 0.44"), "{}", a.context);
    assert_eq!(a.enterprise.as_deref(), Some("某热电有限公司"));

    // Running again changes nothing new; then the value falls back under the limit: the episode ends.
    assert_eq!(
        run_once(&store, bj(2026, 3, 1, 3, 20), &cfg)
            .await
            .unwrap()
            .raised,
        0
    );
    store.ingest(&[hourly(3, "30", "N")]).await.unwrap();
    let s = run_once(&store, bj(2026, 3, 1, 4, 10), &cfg).await.unwrap();
    assert_eq!(s.raised, 0);
    let a = store.alarm(a.id).await.unwrap().unwrap();
    assert_eq!(a.end_time.as_deref(), Some("20260301020000"));

    // Over the limit but flagged M (maintenance): not an exceedance.
    store.ingest(&[hourly(4, "90", "M")]).await.unwrap();
    assert_eq!(
        run_once(&store, bj(2026, 3, 1, 5, 10), &cfg)
            .await
            .unwrap()
            .raised,
        0
    );

    // Staff acknowledge and close it over HTTP, with a note; refusals and the lifecycle are audited.
    let app = spawn(store.clone()).await;
    let (c, csrf) = app.login_staff().await;
    let url = |p: &str| format!("http://{}{p}", app.server.addr);
    let r = c
        .post(url(&format!("/api/v1/alarms/{}/close", a.id)))
        .header("x-csrf-token", &csrf)
        .json(&json!({"note": "  "}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = c
        .post(url(&format!("/api/v1/alarms/{}/acknowledge", a.id)))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let r = c
        .post(url(&format!("/api/v1/alarms/{}/close", a.id)))
        .header("x-csrf-token", &csrf)
        .json(&json!({"note": "企业脱硫设施故障，已责令整改"}))
        .send()
        .await
        .unwrap();
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (
            v["alarm"]["status"].as_str(),
            v["alarm"]["disposition"].as_str()
        ),
        (Some("closed"), Some("企业脱硫设施故障，已责令整改"))
    );
    let r = c
        .post(url(&format!("/api/v1/alarms/{}/acknowledge", a.id)))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    let page = c
        .get(url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    // The alarm centre lists the incident the alarm belongs to.
    assert!(
        page.contains("incident-") && page.contains("超标"),
        "{page}"
    );
    let public = reqwest::Client::new()
        .get(url("/api/v1/alarms"))
        .send()
        .await
        .unwrap();
    assert_eq!(public.status(), StatusCode::UNAUTHORIZED);
    let log = store.audit_log(Some("alarm."), 20).await.unwrap();
    let actions: Vec<(&str, &str)> = log
        .iter()
        .map(|e| (e.action.as_str(), e.outcome.as_str()))
        .collect();
    assert!(
        actions.contains(&("alarm.raise", "ok"))
            && actions.contains(&("alarm.acknowledge", "ok"))
            && actions.contains(&("alarm.close", "ok"))
    );
    assert!(actions.contains(&("alarm.close", "refused")));
    // A closed alarm stays closed when the rules run again.
    run_once(&store, bj(2026, 3, 1, 6, 0), &cfg).await.unwrap();
    assert_eq!(store.alarm(a.id).await.unwrap().unwrap().status, "closed");
}

#[tokio::test]
async fn offline_alarm_opens_after_silence_and_ends_when_data_returns() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default(); // offline after 3 × 3600 s
    store.ingest(&[hourly(0, "20", "N")]).await.unwrap(); // received 01:05
    assert_eq!(
        run_once(&store, bj(2026, 3, 1, 4, 0), &cfg)
            .await
            .unwrap()
            .raised,
        0
    );
    let s = run_once(&store, bj(2026, 3, 1, 4, 6), &cfg).await.unwrap();
    assert_eq!(s.raised, 1);
    let a = store
        .ongoing_alarms("offline", "MNSUPERVISED01")
        .await
        .unwrap()
        .remove(0);
    assert!(a.context.contains("未收到数据"), "{}", a.context);
    // Later runs update the same alarm.
    assert_eq!(
        run_once(&store, bj(2026, 3, 1, 6, 0), &cfg).await.unwrap(),
        qingshan_app::supervisor::RunSummary {
            raised: 0,
            updated: 1,
            purged: 0,
            air_hours: 0,
            water_days: 0
        }
    );
    store.ingest(&[hourly(6, "20", "N")]).await.unwrap(); // received 07:05
    run_once(&store, bj(2026, 3, 1, 7, 10), &cfg).await.unwrap();
    let a = store.alarm(a.id).await.unwrap().unwrap();
    assert_eq!(
        a.end_time.as_deref(),
        Some(stored(bj(2026, 3, 1, 7, 5)).as_str())
    );
    assert!(
        store
            .ongoing_alarms("offline", "MNSUPERVISED01")
            .await
            .unwrap()
            .is_empty()
    );
    // Back briefly and silent again between two runs: the old outage ends, a new one opens.
    store.ingest(&[hourly(8, "20", "N")]).await.unwrap(); // received 09:05
    let s = run_once(&store, bj(2026, 3, 1, 13, 0), &cfg).await.unwrap();
    assert_eq!(s.raised, 1);
    let ongoing = store
        .ongoing_alarms("offline", "MNSUPERVISED01")
        .await
        .unwrap();
    assert_eq!(ongoing.len(), 1);
    assert_eq!(ongoing[0].start_time, stored(bj(2026, 3, 1, 9, 5)));
    // Three years on, the raw evidence of 2026-03-01 expires; the data stays.
    let later = run_once(&store, bj(2029, 3, 2, 0, 0), &cfg).await.unwrap();
    assert_eq!(later.purged, 3);
    assert_eq!(store.ingest_stats().await.unwrap().total, 3);
    // Audited with the count: one entry on SQLite; on PostgreSQL one per month partition
    // dropped whole (February UTC) plus one for the rows deleted from the month of the cut-off.
    let counted: u64 = store
        .audit_log(Some("raw_archive.purge"), 5)
        .await
        .unwrap()
        .iter()
        .map(|a| {
            let d = a.detail.as_deref().unwrap();
            let head = &d[..d.find(" 条").unwrap()];
            let digits = head.len() - head.bytes().rev().take_while(u8::is_ascii_digit).count();
            head[digits..].parse::<u64>().unwrap()
        })
        .sum();
    assert_eq!(counted, 3);
}

struct App {
    server: common::Server,
    store: Store,
}

impl App {
    async fn login_staff(&self) -> (reqwest::Client, String) {
        common::user(&self.store, "staff", Role::Staff, None, None).await;
        common::login(&self.server, "staff").await
    }
}

async fn spawn(store: Store) -> App {
    App {
        server: common::serve(store.clone()).await,
        store,
    }
}

#[tokio::test]
async fn registry_pages_import_and_device_chart() {
    let (store, _db) = store().await;
    store
        .ingest(&[hourly(0, "20", "N"), hourly(1, "40", "N")])
        .await
        .unwrap();
    let app = spawn(store.clone()).await;
    let url = |p: &str| format!("http://{}{p}", app.server.addr);
    let public = reqwest::Client::new();
    let page = public
        .get(url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("某热电有限公司") && page.contains("MNSUPERVISED01"));
    let devices: Value = public
        .get(url("/api/v1/sources/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(devices["devices"][0]["mn"], "MNSUPERVISED01");
    let data: Value = public
        .get(url("/api/v1/sources/devices/MNSUPERVISED01/data?factor=a21026&from=20260301000000&to=20260302000000"))
        .send().await.unwrap().json().await.unwrap();
    assert_eq!(data["values"].as_array().unwrap().len(), 2);
    assert_eq!(data["values"][1]["zs_avg"], "40");
    // Real-time data are read a day at a time; a malformed time names its field.
    for (query, field) in [
        (
            "cn=2011&factor=a21026&from=20260301000000&to=20260303000000",
            "to",
        ),
        ("factor=a21026&from=2026-03-01&to=20260302000000", "from"),
    ] {
        let r = public
            .get(url(&format!(
                "/api/v1/sources/devices/MNSUPERVISED01/data?{query}"
            )))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 422, "{query}");
        let body = r.text().await.unwrap();
        assert!(body.contains(field), "{body}");
    }
    let template = public
        .get(url("/sources/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        template
            .trim_start_matches('\u{feff}')
            .starts_with("统一社会信用代码,排污单位名称")
    );
    // Import: refused for the public, row and column named for a bad file, and nothing written.
    let r = public
        .post(url("/api/v1/sources/import"))
        .body(REGISTRY)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let (c, csrf) = app.login_staff().await;
    let bad = REGISTRY.replace("9144030071526726XG", "9144030071526726X1");
    let r = c
        .post(url("/api/v1/sources/import"))
        .header("x-csrf-token", &csrf)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let msg = r.json::<Value>().await.unwrap()["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(msg.contains("第 2 行「统一社会信用代码」列："), "{msg}");
    let more = format!(
        "{REGISTRY}91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MNWATER0001,2005,field,654321,300,,,,,,,,\n"
    );
    let r = c
        .post(url("/api/v1/sources/import"))
        .header("x-csrf-token", &csrf)
        .body(more)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(store.registered_devices().await.unwrap().len(), 2);
    let dev = c
        .get(url("/sources/devices/MNSUPERVISED01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        dev.contains("<svg class=\"chart\"") && dev.contains("许可限值 35"),
        "device page lacks the chart"
    );
}

#[tokio::test]
async fn annual_totals_and_transmission_rates() {
    let (store, _db) = store().await;
    let mut frames = Vec::new();
    for (h, cou, flag) in [(0, "40000", "N"), (1, "40000", "N"), (2, "40000.5", "D")] {
        let mut f = hourly(h, "20", flag);
        if let Some(u) = f.upload.as_mut() {
            u.factors[0].cou = Some(cou.into());
        }
        frames.push(f);
    }
    store.ingest(&frames).await.unwrap();
    let s = run_once(&store, bj(2026, 3, 1, 3, 10), &SupervisorConfig::default())
        .await
        .unwrap();
    assert_eq!(s.raised, 2, "预警 at 80 % and 超总量 at 100 %");
    let alarms = store.alarms(&AlarmFilter::default(), 10).await.unwrap();
    let totals: Vec<_> = alarms.iter().filter(|a| a.kind == "annual_total").collect();
    assert_eq!(totals.len(), 2);
    assert!(totals.iter().any(|a| a.start_time == "2026-100"
        && a.context.contains("120.000500 t")
        && a.context.contains("超总量")));

    let app = spawn(store.clone()).await;
    let v: Value = reqwest::Client::new()
        .get(format!(
            "http://{}/api/v1/sources/devices/MNSUPERVISED01/statistics?year=2026&month=3",
            app.server.addr
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(v.get("month_total").is_some(), "{v}");
    assert_eq!(v["month_total"]["expected"], 744);
    assert_eq!(
        (
            v["month_total"]["received"].as_u64(),
            v["month_total"]["valid"].as_u64()
        ),
        (Some(3), Some(2))
    );
    assert_eq!(v["month_total"]["transmission_rate"], "0.40");
    assert_eq!(v["month_total"]["validity_rate"], "66.67");
    assert_eq!(v["days"][0]["transmission"]["transmission_rate"], "12.50");
    assert_eq!(v["emissions"][0]["total"]["total_t"], "120.000500");
    assert_eq!(v["emissions"][0]["total"]["status"], "exceeded");
}

/// County officials see and handle the alarms of their own county's enterprises only; the
/// bureau's staff see every county and can narrow to one; department reporters see none.
#[tokio::test]
async fn alarms_are_scoped_to_the_county() {
    let (store, _db) = store().await;
    store
        .ingest(&[hourly(0, "40", "N"), hourly(1, "41", "N")])
        .await
        .unwrap();
    run_once(&store, bj(2026, 3, 1, 2, 10), &SupervisorConfig::default())
        .await
        .unwrap();
    let id = store.alarms(&AlarmFilter::default(), 10).await.unwrap()[0].id;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    common::user(&store, "yuanping", Role::County, None, Some("140981")).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "water", Role::Reporter, Some("slj"), None).await;
    let app = spawn(store.clone()).await;
    let srv = &app.server;
    let list = |c: reqwest::Client, q: &'static str| {
        let u = srv.url(&format!("/api/v1/alarms{q}"));
        async move {
            let r = c.get(u).send().await.unwrap();
            let status = r.status();
            let v: Value = r.json().await.unwrap_or(Value::Null);
            (status, v["alarms"].as_array().map_or(0, Vec::len))
        }
    };

    let (own, own_csrf) = common::login(srv, "xinfu").await;
    let dashboard = |c: reqwest::Client| {
        let u = srv.url("/plan");
        async move { c.get(u).send().await.unwrap().text().await.unwrap() }
    };
    let home = dashboard(own.clone()).await;
    assert!(
        home.contains("待处理事件 <a href=\"&#x2f;alarms?status=open&amp;county=140902\">1</a> 个"),
        "{home}"
    );
    // The offline count is the county's devices not online, as the registry judges each.
    let offline = store
        .registry_overview()
        .await
        .unwrap()
        .iter()
        .filter(|d| d.division_code.as_deref() == Some("140902"))
        .filter(|d| !qingshan_app::sources::online(d, chrono::Utc::now()))
        .count();
    assert!(offline > 0);
    assert!(
        home.contains(&format!(
            "离线监控设备 <a href=\"/sources\">{offline}</a> 台"
        )),
        "{home}"
    );
    assert_eq!(list(own.clone(), "").await, (StatusCode::OK, 1));
    let page = own
        .get(srv.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let incident = store
        .incidents_paged(&Default::default(), 10, 0)
        .await
        .unwrap()
        .items[0]
        .id;
    assert!(page.contains(&format!("incident-{incident}")) && page.contains("本区县（140902）"));
    let r = own
        .post(srv.url(&format!("/api/v1/alarms/{id}/acknowledge")))
        .header("X-CSRF-Token", &own_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);

    let (other, other_csrf) = common::login(srv, "yuanping").await;
    assert!(dashboard(other.clone()).await.contains("\">0</a> 个"));
    // Asking for another county does not widen a county official's view.
    assert_eq!(
        list(other.clone(), "?county=140902").await,
        (StatusCode::OK, 0)
    );
    let r = other
        .post(srv.url(&format!("/api/v1/alarms/{id}/close")))
        .header("X-CSRF-Token", &other_csrf)
        .json(&json!({ "note": "越权处置" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let a = store.alarm(id).await.unwrap().unwrap();
    assert_eq!(a.status, "acknowledged", "a refused close changes nothing");
    let audit = store.audit_log(Some("alarm."), 50).await.unwrap();
    assert!(
        audit
            .iter()
            .any(|e| e.action == "alarm.close" && e.actor == "yuanping" && e.outcome == "refused"),
        "the refusal is audited"
    );

    let (staff, _) = common::login(srv, "staff").await;
    assert_eq!(list(staff.clone(), "").await, (StatusCode::OK, 1));
    assert_eq!(
        list(staff.clone(), "?county=140981").await,
        (StatusCode::OK, 0)
    );
    assert_eq!(
        list(staff.clone(), "?county=140902").await,
        (StatusCode::OK, 1)
    );
    let page = staff
        .get(srv.url("/alarms?county=140981"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"140981\" selected>")
            && !page.contains(&format!("incident-{incident}"))
    );

    let (reporter, _) = common::login(srv, "water").await;
    assert_eq!(list(reporter.clone(), "").await.0, StatusCode::FORBIDDEN);
    assert!(
        !dashboard(reporter.clone())
            .await
            .contains("id=\"attention\"")
    );

    // The download holds what the list holds, for each of them.
    let rows = |c: reqwest::Client| {
        let u = srv.url("/api/v1/alarms.csv");
        async move {
            let r = c.get(u).send().await.unwrap();
            let status = r.status();
            let body = r.text().await.unwrap();
            (
                status,
                body.trim_start_matches('\u{feff}')
                    .lines()
                    .count()
                    .saturating_sub(1),
            )
        }
    };
    assert_eq!(rows(own.clone()).await, (StatusCode::OK, 1));
    assert_eq!(rows(other.clone()).await, (StatusCode::OK, 0));
    assert_eq!(rows(reporter).await.0, StatusCode::FORBIDDEN);
    let xlsx = staff
        .get(srv.url("/api/v1/alarms.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK\x03\x04"));
}

/// Staff edit one registry row on the web: the form shows the row, a change is applied and
/// audited with the row before and after, a bad field is named and changes nothing, a new
/// device can be registered, and only staff may do any of it.
#[tokio::test]
async fn registry_rows_are_edited_on_the_web() {
    let (store, _db) = store().await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    let app = spawn(store.clone()).await;
    let srv = &app.server;
    let (staff, _) = common::login(srv, "staff").await;
    let form = staff
        .get(srv.url("/sources/edit?mn=MNSUPERVISED01&factor=a21026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        form.contains("name=\"credit_code\" value=\"9144030071526726XG\"")
            && form.contains("name=\"hourly_limit\" value=\"35\""),
        "the form shows the row"
    );
    let csrf = common::hidden(&form, "csrf_token");
    // The test registry's one row, as the form posts it.
    let header: Vec<&str> = REGISTRY.lines().next().unwrap().split(',').collect();
    let values: Vec<&str> = REGISTRY.lines().nth(1).unwrap().split(',').collect();
    let row = |changes: &[(&str, &str)]| {
        let mut v: Vec<(String, String)> = vec![("csrf_token".into(), csrf.clone())];
        for (h, x) in header.iter().zip(&values) {
            let x = changes.iter().find(|(c, _)| c == h).map_or(*x, |(_, n)| *n);
            v.push((h.to_string(), x.to_string()));
        }
        v
    };
    let post = |c: reqwest::Client, form: Vec<(String, String)>| {
        let u = srv.url("/sources/edit");
        async move {
            let r = c.post(u).form(&form).send().await.unwrap();
            (r.status(), r.text().await.unwrap())
        }
    };
    let (status, _) = post(staff.clone(), row(&[("hourly_limit", "30")])).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let limits = store.supervised_limits("2026-03-01").await.unwrap();
    assert_eq!(limits[0].hourly_limit.as_deref(), Some("30"));
    let audit = store.audit_log(Some("registry.edit"), 5).await.unwrap();
    assert_eq!(audit[0].target, "device:MNSUPERVISED01:a21026");
    assert!(
        audit[0]
            .old_value
            .as_deref()
            .unwrap()
            .contains(",a21026,35,")
    );
    assert!(
        audit[0]
            .new_value
            .as_deref()
            .unwrap()
            .contains(",a21026,30,")
    );

    // A wrong check digit: the field is named, the form comes back, nothing changes.
    let (status, body) = post(
        staff.clone(),
        row(&[
            ("credit_code", "9144030071526726XA"),
            ("hourly_limit", "20"),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("「统一社会信用代码」") && body.contains("value=\"9144030071526726XA\""),
        "{body}"
    );
    assert_eq!(
        store.supervised_limits("2026-03-01").await.unwrap()[0]
            .hourly_limit
            .as_deref(),
        Some("30")
    );

    // A second device on the same outlet, registered with the limit columns left blank (they
    // would otherwise set the outlet's limit for that factor again).
    let (status, _) = post(
        staff.clone(),
        row(&[
            ("mn", "MNNEW0000000000000001"),
            ("password", "654321"),
            ("factor_code", ""),
            ("hourly_limit", ""),
            ("use_converted", "0"),
            ("reference_o2", ""),
            ("annual_total_t", ""),
        ]),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(
        store
            .registered_devices()
            .await
            .unwrap()
            .iter()
            .any(|d| d.mn == "MNNEW0000000000000001" && d.password == "654321")
    );
    let export = staff
        .get(srv.url("/sources/registry.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        export.trim_start_matches('\u{feff}').lines().count(),
        3,
        "{export}"
    );
    // The workbook export imports back as it is: the registry does not change.
    let xlsx = staff
        .get(srv.url("/sources/registry.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let before = store.export_registry().await.unwrap();
    let api_csrf = common::login(srv, "staff").await;
    let r = api_csrf
        .0
        .post(srv.url("/api/v1/sources/import"))
        .header("X-CSRF-Token", &api_csrf.1)
        .body(xlsx.to_vec())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK, "{}", r.text().await.unwrap());
    assert_eq!(store.export_registry().await.unwrap(), before);

    // Only staff: a county official is refused, audited, and nothing changes.
    let (county, county_csrf) = common::login(srv, "xinfu").await;
    let mut f = row(&[("hourly_limit", "99")]);
    f[0].1 = county_csrf;
    let (status, _) = post(county, f).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        store.supervised_limits("2026-03-01").await.unwrap()[0]
            .hourly_limit
            .as_deref(),
        Some("30")
    );
    let refused = store.audit_log(Some("registry.edit"), 10).await.unwrap();
    assert!(
        refused
            .iter()
            .any(|e| e.actor == "xinfu" && e.outcome == "refused")
    );
}

/// The public device page counts the device's open alarms (it used to say 无告警 to anyone
/// not allowed to see them); the alarms themselves, with their context, go to staff and to the
/// device's county only.
#[tokio::test]
async fn device_page_shows_open_alarms_to_everyone_and_details_to_handlers() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    store
        .ingest(&[
            hourly(0, "20", "N"),
            hourly(1, "40", "N"),
            hourly(2, "50.5", "N"),
        ])
        .await
        .unwrap();
    assert_eq!(
        run_once(&store, bj(2026, 3, 1, 3, 10), &cfg)
            .await
            .unwrap()
            .raised,
        1
    );
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    common::user(&store, "other-county", Role::County, None, Some("140921")).await;
    let server = common::serve(store.clone()).await;
    let path = "/sources/devices/MNSUPERVISED01";
    let public = reqwest::get(server.url(path))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains("无告警"), "{public}");
    assert!(public.contains("未处理告警 1 条"), "{public}");
    assert!(
        !public.contains("超标倍数"),
        "no alarm details for the public"
    );
    for (who, details) in [("staff", true), ("xinfu", true), ("other-county", false)] {
        let (c, _) = common::login(&server, who).await;
        let page = c
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(page.contains("未处理告警 1 条"), "{who}: {page}");
        assert_eq!(page.contains("超标倍数"), details, "{who}");
        if details {
            assert!(page.contains("<td>待处理</td>"), "{who}: status in Chinese");
        }
    }
    // Once closed, nothing is open any more.
    let a = &store.alarms(&AlarmFilter::default(), 10).await.unwrap()[0];
    store
        .transition_alarm(a.id, "closed", Some("已整改"), &Actor::cli())
        .await
        .unwrap();
    let public = reqwest::get(server.url(path))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(public.contains("当前无未处理告警"), "{public}");
}
