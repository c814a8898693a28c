//! 数据标记 under a controllable clock: a 维护 mark over 3 of 10 exceeding hours takes them out
//! of the exceedance judgement and the 有效传输率; a rejection restores them (alarms raised
//! again); late marks are recorded as late; a mark over hours the device flagged normal is
//! 疑似虚假标记; only staff review, and refusals are audited. Pages and API on the same data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use qingshan_app::marks::{self, MarkInput};
use qingshan_app::supervisor::{SupervisorConfig, run_once};
use qingshan_store::{
    Actor, AlarmFilter, FactorValues, FrameVerdict, ReceivedFrame, Role, Store, Upload, User,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const MN: &str = "MNMARKED000001";
const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNMARKED000001,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,
";

/// Beijing local time → UTC.
fn bj(d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, d, h, mi, 0).unwrap() - chrono::Duration::hours(8)
}

/// An hourly (2061) upload of SO₂ for hour `h` of 2026-03-01 (Beijing).
fn hourly(h: u32, zs_avg: &str, flag: &str) -> ReceivedFrame {
    let data_time = format!("20260301{h:02}0000");
    ReceivedFrame {
        received_at: (bj(1, h, 0) + chrono::Duration::minutes(65))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        peer: "127.0.0.1:1".into(),
        bytes: b"##test".to_vec(),
        verdict: FrameVerdict::Upload,
        mn: Some(MN.into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: MN.into(),
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
    let (store, db) = common::fresh_store("marks").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    (store, db)
}

fn actor(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id),
        name: u.username.clone(),
        peer: None,
    }
}

fn maintenance(from_h: u32, to_h: u32) -> MarkInput {
    MarkInput {
        mn: MN.into(),
        factor: "a21026".into(),
        kind: "maintenance".into(),
        start: bj(1, from_h, 0),
        end: Some(bj(1, to_h, 0)),
        reason: "更换采样探头，运维记录见附件".into(),
    }
}

/// Exceedance alarms of the device: (start, records), by start.
async fn exceedances(store: &Store) -> Vec<(String, i64)> {
    let mut v: Vec<(String, i64)> = store
        .alarms(&AlarmFilter::default(), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|a| a.kind == "exceedance")
        .map(|a| (a.start_time, a.records))
        .collect();
    v.sort();
    v
}

async fn transmission(store: &Store, now: DateTime<Utc>) -> Value {
    let limits = store.supervised_limits("2026-03-01").await.unwrap();
    qingshan_app::sources::device_statistics_at(
        store,
        MN,
        2026,
        3,
        &limits,
        now,
        &SupervisorConfig::default().marking,
    )
    .await
    .unwrap()
}

#[tokio::test]
async fn a_maintenance_mark_takes_its_hours_out_and_a_rejection_brings_them_back() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    let staff = common::user(&store, "staff", Role::Staff, None, None).await;
    // Filed in time (before the hours it covers): hours 03:00–06:00 of ten exceeding hours.
    let m = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(3, 6),
        &[],
        bj(1, 2, 30),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    assert_eq!(
        (m.late, m.state.as_str(), m.suspicion.as_deref()),
        (false, "pending", None)
    );
    assert_eq!(
        m.deadline, "2026-03-01T19:00:00Z",
        "24 h after the start (option)"
    );

    let frames: Vec<ReceivedFrame> = (0..10).map(|h| hourly(h, "40", "N")).collect();
    store.ingest(&frames).await.unwrap();
    let now = bj(1, 10, 10);
    run_once(&store, now, &cfg).await.unwrap();
    // Hours 0–2 and 6–9 are judged; 3, 4 and 5 are not.
    assert_eq!(
        exceedances(&store).await,
        [
            ("20260301000000".to_string(), 3),
            ("20260301060000".to_string(), 4)
        ]
    );
    // The device flagged those hours N with values: once the data are in, the mark filed
    // ahead of them is 疑似虚假标记 (it still counts until reviewed: pending_counts).
    let why = store
        .data_mark(m.id)
        .await
        .unwrap()
        .unwrap()
        .suspicion
        .unwrap();
    assert!(why.contains("3 条小时数据中有 3 条标识为正常"), "{why}");
    let t = transmission(&store, bj(1, 10, 0)).await;
    assert_eq!(t["marked_hours"], 3);
    assert_eq!(t["month_total"]["expected"], 7);
    assert_eq!(t["month_total"]["received"], 7);
    assert_eq!(t["month_total"]["effective_rate"], "100.00");

    // Staff close the incidents of the judged hours, believing the mark.
    let incidents = store
        .incidents_paged(&qingshan_store::IncidentFilter::default(), 100, 0)
        .await
        .unwrap();
    assert!(
        incidents.total >= 2,
        "the marked hours split the episode: {incidents:?}"
    );
    for i in &incidents.items {
        store
            .transition_incident(
                i.id,
                &qingshan_store::IncidentAction::Close,
                Some("企业已说明为维护"),
                &actor(&staff),
            )
            .await
            .unwrap();
    }

    // A county official may not review; staff reject with a reason and the hours are judged again.
    let county = common::user(&store, "county", Role::County, None, Some("140902")).await;
    let e = marks::review(
        &store,
        Some(&county),
        &actor(&county),
        m.id,
        false,
        Some("x"),
        now,
        &cfg,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "forbidden");
    let e = marks::review(
        &store,
        Some(&staff),
        &actor(&staff),
        m.id,
        false,
        None,
        now,
        &cfg,
    )
    .await
    .unwrap_err();
    assert_eq!(e.kind(), "invalid", "a rejection needs its reason");
    let r = marks::review(
        &store,
        Some(&staff),
        &actor(&staff),
        m.id,
        false,
        Some("视频显示该时段未进行维护"),
        now,
        &cfg,
    )
    .await
    .unwrap();
    assert_eq!(r.mark.state, "rejected");
    // The closed incidents over the rejected hours are open again.
    assert!(r.reopened.len() >= 2, "{:?}", r.reopened);
    for i in store
        .incidents_paged(&qingshan_store::IncidentFilter::default(), 100, 0)
        .await
        .unwrap()
        .items
        .iter()
        .filter(|i| i.kind == "exceedance")
    {
        assert_eq!(i.status, "open", "incident {} re-opened", i.id);
    }
    let rj = r.rejudged.unwrap();
    assert_eq!(
        (rj.raised.len(), rj.updated.len()),
        (0, 1),
        "{rj:?} {:?}",
        exceedances(&store).await
    );
    // The episode from 00:00 now runs through all ten hours.
    assert_eq!(
        exceedances(&store).await[0],
        ("20260301000000".to_string(), 10)
    );
    let t = transmission(&store, bj(1, 10, 0)).await;
    assert_eq!(
        (
            t["marked_hours"].clone(),
            t["month_total"]["expected"].clone()
        ),
        (json!(0), json!(10))
    );
    // A supervision run after the rejection keeps judging those hours.
    run_once(&store, bj(1, 10, 20), &cfg).await.unwrap();
    assert_eq!(
        exceedances(&store).await[0],
        ("20260301000000".to_string(), 10)
    );
}

#[tokio::test]
async fn rejected_marks_raise_new_alarms_when_their_hours_started_the_episode() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    let staff = common::user(&store, "staff", Role::Staff, None, None).await;
    let m = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(0, 3),
        &[],
        bj(1, 0, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    store
        .ingest(&(0..10).map(|h| hourly(h, "40", "N")).collect::<Vec<_>>())
        .await
        .unwrap();
    run_once(&store, bj(1, 10, 10), &cfg).await.unwrap();
    assert_eq!(
        exceedances(&store).await,
        [("20260301030000".to_string(), 7)]
    );
    let r = marks::review(
        &store,
        Some(&staff),
        &actor(&staff),
        m.id,
        false,
        Some("无运维记录"),
        bj(1, 10, 15),
        &cfg,
    )
    .await
    .unwrap();
    let rj = r.rejudged.unwrap();
    assert_eq!(rj.raised.len(), 1, "{rj:?}");
    assert_eq!(
        exceedances(&store).await[0],
        ("20260301000000".to_string(), 10)
    );
    // An accepted mark keeps its hours out.
    let m2 = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(7, 9),
        &[],
        bj(1, 6, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    let r = marks::review(
        &store,
        Some(&staff),
        &actor(&staff),
        m2.id,
        true,
        None,
        bj(1, 10, 30),
        &cfg,
    )
    .await
    .unwrap();
    assert!(r.rejudged.is_none() && r.mark.state == "accepted");
    let t = transmission(&store, bj(1, 10, 0)).await;
    assert_eq!(t["marked_hours"], 2);
}

#[tokio::test]
async fn late_and_suspicious_marks_are_recorded_so() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    let staff = common::user(&store, "staff", Role::Staff, None, None).await;
    store
        .ingest(&(0..6).map(|h| hourly(h, "20", "N")).collect::<Vec<_>>())
        .await
        .unwrap();
    // Filed 25 hours after its start (limit 24 h): late; the device flagged every hour N.
    let m = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(1, 4),
        &[],
        bj(2, 2, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    assert!(m.late);
    let why = m.suspicion.unwrap();
    assert!(why.contains("正常（N）"), "{why}");
    // The same mark filed in time over hours the device flagged M is neither.
    store
        .ingest(&(6..9).map(|h| hourly(h, "20", "M")).collect::<Vec<_>>())
        .await
        .unwrap();
    let ok = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(6, 9),
        &[],
        bj(1, 9, 30),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    assert_eq!((ok.late, ok.suspicion), (false, None));
    // A mark filed in advance is checked again once the data are in.
    let ahead = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(10, 12),
        &[],
        bj(1, 9, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    assert_eq!(ahead.suspicion, None);
    store
        .ingest(&(10..12).map(|h| hourly(h, "20", "N")).collect::<Vec<_>>())
        .await
        .unwrap();
    let again = marks::recheck(
        &store,
        ahead.id,
        bj(1, 13, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap();
    assert!(again.suspicion.is_some());
    // An unknown kind and an end before the start are refused in Chinese.
    let mut bad = maintenance(1, 2);
    bad.kind = "nap".into();
    let e = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &bad,
        &[],
        bj(1, 3, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("标记类型"), "{e}");
    let e = marks::file_mark(
        &store,
        Some(&staff),
        &actor(&staff),
        &maintenance(4, 2),
        &[],
        bj(1, 3, 0),
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await
    .unwrap_err();
    assert!(e.to_string().contains("结束时间应晚于开始时间"), "{e}");
}

#[tokio::test]
async fn pages_and_api_file_list_and_review_marks_and_only_staff_review() {
    let (store, _db) = store().await;
    let srv = common::serve(store.clone()).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "county", Role::County, None, Some("140902")).await;
    common::user(&store, "other", Role::County, None, Some("140981")).await;
    common::user(&store, "water", Role::Reporter, Some("slj"), None).await;
    let (staff, staff_csrf) = common::login(&srv, "staff").await;
    let (county, county_csrf) = common::login(&srv, "county").await;

    // The county official files for a device of their county (late: long ago).
    let r = county
        .post(srv.url("/api/v1/marks"))
        .header("X-CSRF-Token", &county_csrf)
        .json(&json!({ "mn": MN, "factor": "a21026", "kind": "device_fault", "start": "2026-03-01 08:00", "end": "2026-03-01T11:00:00+08:00", "reason": "分析仪故障" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let m: Value = r.json().await.unwrap();
    let id = m["mark"]["id"].as_i64().unwrap();
    assert_eq!(m["mark"]["start_time"], "2026-03-01T00:00:00Z");
    assert_eq!(
        (m["mark"]["late"].clone(), m["mark"]["kind_label"].clone()),
        (json!(true), json!("故障"))
    );

    // Another county's official may neither file for it nor see it.
    let (other, other_csrf) = common::login(&srv, "other").await;
    let r = other
        .post(srv.url("/api/v1/marks"))
        .header("X-CSRF-Token", &other_csrf)
        .json(&json!({ "mn": MN, "kind": "stop", "start": "2026-03-02 08:00", "reason": "停运" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let l: Value = other
        .get(srv.url("/api/v1/marks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(l["total"], 0);
    assert_eq!(
        other
            .get(srv.url(&format!("/api/v1/marks/{id}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    // Filters.
    let l: Value = staff
        .get(srv.url("/api/v1/marks?late=1&kind=device_fault&county=140902"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(l["total"], 1);
    let l: Value = staff
        .get(srv.url("/api/v1/marks?late=0"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(l["total"], 0);
    assert_eq!(
        staff
            .get(srv.url("/api/v1/marks?state=nope"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Not staff: 403 on review, audited; the mark stays pending.
    for (c, csrf) in [(&county, &county_csrf)] {
        let r = c
            .post(srv.url(&format!("/api/v1/marks/{id}/reject")))
            .header("X-CSRF-Token", csrf)
            .json(&json!({ "note": "自行驳回" }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN);
    }
    let (reporter, reporter_csrf) = common::login(&srv, "water").await;
    let r = reporter
        .post(srv.url(&format!("/marks/{id}/accept")))
        .form(&[("csrf_token", reporter_csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let log = store.audit_paged(Some("data_mark."), 50, 0).await.unwrap();
    let refused: Vec<(&str, &str)> = log
        .items
        .iter()
        .filter(|a| a.outcome == "refused")
        .map(|a| (a.action.as_str(), a.actor.as_str()))
        .collect();
    assert!(
        refused.contains(&("data_mark.reject", "county")),
        "{refused:?}"
    );
    assert!(
        refused.contains(&("data_mark.accept", "water")),
        "{refused:?}"
    );
    assert!(
        refused.contains(&("data_mark.file", "other")),
        "{refused:?}"
    );
    assert_eq!(store.data_mark(id).await.unwrap().unwrap().state, "pending");

    // Staff: without CSRF refused; with it rejected, with the re-judgement in the answer.
    let r = staff
        .post(srv.url(&format!("/api/v1/marks/{id}/reject")))
        .json(&json!({ "note": "无维修记录" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = staff
        .post(srv.url(&format!("/api/v1/marks/{id}/reject")))
        .header("X-CSRF-Token", &staff_csrf)
        .json(&json!({ "note": "无维修记录" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["mark"]["state"].clone(), v["mark"]["state_label"].clone()),
        (json!("rejected"), json!("已驳回"))
    );
    assert!(v["rejudged"]["raised"].is_array());
    let r = staff
        .post(srv.url(&format!("/api/v1/marks/{id}/accept")))
        .header("X-CSRF-Token", &staff_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // The pages: list with Chinese labels and Beijing times, the mark, the form.
    let page = staff
        .get(srv.url("/marks?late=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains(&format!("mark-{id}")) && page.contains("迟报") && page.contains("已驳回"),
        "{page}"
    );
    assert!(
        page.contains("2026-03-01 08:00")
            && page.contains("二氧化硫")
            && !page.contains(">a21026<"),
        "{page}"
    );
    let page = staff
        .get(srv.url(&format!("/marks/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("无维修记录") && !page.contains("action=\"/marks/"),
        "reviewed: no review form"
    );
    let form = county
        .get(srv.url(&format!("/marks/new?mn={MN}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&form, "csrf_token");
    // The form with an evidence file.
    let boundary = "----qingshanmarks";
    let mut body = Vec::new();
    for (k, v) in [
        ("csrf_token", csrf.as_str()),
        ("mn", MN),
        ("factor", ""),
        ("kind", "production_stop"),
        ("start", "2026-03-03T08:00"),
        ("end", ""),
        ("reason", "检修停产"),
    ] {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"停产通知.pdf\"\r\nContent-Type: application/pdf\r\n\r\n%PDF-1.4 停产\r\n--{boundary}--\r\n").as_bytes());
    let r = county
        .post(srv.url("/marks/new"))
        .header(
            "Content-Type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let page = county
        .get(srv.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("停产通知.pdf") && page.contains("持续中") && page.contains("待审核"),
        "{page}"
    );
    let href = page
        .split("href=\"/marks/evidence/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    let r = county
        .get(srv.url(&format!("/marks/evidence/{href}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.bytes().await.unwrap().as_ref(),
        "%PDF-1.4 停产".as_bytes()
    );
    // The staff see the review forms on a pending mark.
    let page = staff
        .get(srv.url(&loc))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("/accept") && page.contains("/reject"));
    // The rule is published.
    let rule: Value = reqwest::get(srv.url("/api/v1/marks/rule"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rule["rule"]["rule"]["issuer"], "生态环境部公告2022年第21号");
    assert_eq!(rule["options"]["filing_hours"], 24);
}
