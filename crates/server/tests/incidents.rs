//! Incidents under a controllable clock: consecutive exceeding hours make one incident, a
//! compliant hour ends it, staff handle several at once on the web, county officials see their
//! county's only, and the API pages the list.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use qingshan_app::supervisor::{SupervisorConfig, run_once};
use qingshan_store::{
    Actor, AlarmEpisode, FactorValues, FrameVerdict, IncidentFilter, ReceivedFrame, Role, Store,
    Upload,
};
use reqwest::StatusCode;
use serde_json::Value;
use sha2::{Digest, Sha256};

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNSUPERVISED01,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DA009,焚烧炉,gas,MNOTHERCOUNTY1,2017,strict,123456,3600,P-009,2024-01-01,2028-12-31,a21026,35,1,6,
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
    let (store, db) = common::fresh_store("inc").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    (store, db)
}

/// Ten exceeding hours (00:00–09:00, peak 49 at 09:00), then one compliant hour, then one more
/// exceeding hour (11:00): two incidents, each found by the supervisor under its clock.
async fn two_incidents(store: &Store) {
    let cfg = SupervisorConfig::default();
    let frames: Vec<ReceivedFrame> = (0..10)
        .map(|h| hourly(h, &format!("{}", 40 + h), "N"))
        .collect();
    store.ingest(&frames).await.unwrap();
    run_once(store, bj(2026, 3, 1, 10, 10), &cfg).await.unwrap();
    store.ingest(&[hourly(10, "20", "N")]).await.unwrap();
    run_once(store, bj(2026, 3, 1, 11, 10), &cfg).await.unwrap();
    store.ingest(&[hourly(11, "60", "N")]).await.unwrap();
    run_once(store, bj(2026, 3, 1, 12, 10), &cfg).await.unwrap();
}

#[tokio::test]
async fn ten_exceeding_hours_make_one_incident_and_a_gap_starts_another() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    let frames: Vec<ReceivedFrame> = (0..10)
        .map(|h| hourly(h, &format!("{}", 40 + h), "N"))
        .collect();
    store.ingest(&frames).await.unwrap();
    // Each hour the supervisor runs again while the run goes on: still one incident.
    for h in 1..=10 {
        run_once(&store, bj(2026, 3, 1, h, 10), &cfg).await.unwrap();
    }
    let all = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    let i = &all.items[0];
    assert_eq!(
        (
            i.start_time.as_str(),
            i.end_time.as_deref(),
            i.peak.as_deref(),
            i.peak_time.as_deref(),
            i.hours
        ),
        (
            "20260301000000",
            None,
            Some("49"),
            Some("20260301090000"),
            10
        )
    );
    assert_eq!(
        qingshan_app::incidents::multiple(i).as_deref(),
        Some("0.40")
    );
    store.ingest(&[hourly(10, "20", "N")]).await.unwrap();
    run_once(&store, bj(2026, 3, 1, 11, 10), &cfg)
        .await
        .unwrap();
    let i = store.incident(i.id).await.unwrap().unwrap();
    assert_eq!(
        (i.end_time.as_deref(), i.hours),
        (Some("20260301090000"), 10)
    );
    store.ingest(&[hourly(11, "60", "N")]).await.unwrap();
    run_once(&store, bj(2026, 3, 1, 12, 10), &cfg)
        .await
        .unwrap();
    let all = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    assert_eq!(
        (
            all.items[0].start_time.as_str(),
            all.items[0].hours,
            all.items[0].peak.as_deref()
        ),
        ("20260301110000", 1, Some("60"))
    );

    // The incident page and the API show the hours, the peak, the multiple and the frames.
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, _) = common::login(&server, "staff").await;
    let v: Value = c
        .get(server.url(&format!("/api/v1/incidents/{}", i.id)))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        v["incident"]["start_time"].as_str(),
        Some("2026-03-01T00:00:00+08:00")
    );
    assert_eq!(v["incident"]["multiple"].as_str(), Some("0.40"));
    assert_eq!(v["incident"]["duration"].as_str(), Some("10 小时"));
    let frames = v["frames"].as_array().unwrap();
    assert_eq!(frames.len(), 10);
    assert_eq!(
        frames[0]["sha256"].as_str().unwrap(),
        hex::encode(Sha256::digest(b"##test"))
    );
    assert_eq!(
        frames[0]["data_time"].as_str(),
        Some("2026-03-01T00:00:00+08:00")
    );
    assert_eq!(
        v["alarms"][0]["start_time"].as_str(),
        Some("2026-03-01T00:00:00+08:00")
    );
    let page = c
        .get(server.url(&format!("/incidents/{}", i.id)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("0.40")
            && page.contains("2026-03-01 00:00")
            && page.contains("2026-03-01 09:00"),
        "{page}"
    );
    assert!(
        page.contains("二氧化硫") && page.contains(&hex::encode(Sha256::digest(b"##test"))),
        "{page}"
    );
    let list = c
        .get(server.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        list.contains(&format!("incident-{}", i.id))
            && list.contains("10 小时")
            && !list.contains(">a21026<"),
        "{list}"
    );
}

#[tokio::test]
async fn staff_acknowledge_two_incidents_at_once_and_others_are_refused() {
    let (store, _db) = store().await;
    two_incidents(&store).await;
    let ids: Vec<i64> = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.id)
        .collect();
    assert_eq!(ids.len(), 2);
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "xinfu", Role::County, None, Some("140902")).await;
    common::user(&store, "yuanping", Role::County, None, Some("140981")).await;
    let server = common::serve(store.clone()).await;
    let form = |csrf: &str, action: &str| {
        let mut f: Vec<(String, String)> = vec![
            ("csrf_token".into(), csrf.into()),
            ("action".into(), action.into()),
        ];
        for id in &ids {
            f.push(("ids".into(), id.to_string()));
        }
        f
    };

    // Without the session's token: refused and audited, nothing moves.
    let (staff, _) = common::login(&server, "staff").await;
    let page = staff
        .get(server.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&page, "csrf_token");
    assert!(page.contains("name=\"ids\"") && page.contains("value=\"acknowledge\""));
    let r = staff
        .post(server.url("/alarms/bulk"))
        .form(&form("forged", "acknowledge"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = staff
        .post(server.url("/alarms/bulk"))
        .form(&form(&csrf, "acknowledge"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    for id in &ids {
        assert_eq!(
            store.incident(*id).await.unwrap().unwrap().status,
            "acknowledged"
        );
    }
    let acks = store
        .audit_log(Some("incident.acknowledge"), 20)
        .await
        .unwrap();
    assert_eq!(
        acks.iter()
            .filter(|e| e.outcome == "ok" && e.actor == "staff")
            .count(),
        2
    );
    assert_eq!(
        acks.iter()
            .filter(|e| e.outcome == "refused" && e.actor == "staff")
            .count(),
        1
    );
    // Closing needs a note: the form names it, nothing closes.
    let r = staff
        .post(server.url("/alarms/bulk"))
        .form(&form(&csrf, "close"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("处置说明"));

    // A county official sees their county's incidents but may not handle them in bulk.
    let (own, own_csrf) = common::login(&server, "xinfu").await;
    let page = own
        .get(server.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        ids.iter()
            .all(|id| page.contains(&format!("incident-{id}")))
            && !page.contains("name=\"ids\"")
    );
    let r = own
        .post(server.url("/alarms/bulk"))
        .form(&form(&own_csrf, "close"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let refused = store.audit_log(Some("incident.close"), 20).await.unwrap();
    assert!(
        refused
            .iter()
            .any(|e| e.actor == "xinfu" && e.outcome == "refused"),
        "{refused:?}"
    );
    for id in &ids {
        assert_eq!(
            store.incident(*id).await.unwrap().unwrap().status,
            "acknowledged"
        );
    }

    // Another county's official sees none of them, however asked.
    let (other, _) = common::login(&server, "yuanping").await;
    let v: Value = other
        .get(server.url("/api/v1/incidents?county=140902"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"].as_i64(), Some(0));
    let page = other
        .get(server.url("/alarms"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains(&format!("incident-{}", ids[0])));
    let r = other
        .get(server.url(&format!("/incidents/{}", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = other
        .get(server.url(&format!("/api/v1/incidents/{}", ids[0])))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let v: Value = own
        .get(server.url("/api/v1/incidents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"].as_i64(), Some(2));
    // A bad filter is answered in Chinese, naming the field.
    let r = own
        .get(server.url("/alarms?from=2026-13-01"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("2026-13-01"));
}

#[tokio::test]
async fn the_api_pages_incidents_and_handles_them_in_bulk() {
    let (store, _db) = store().await;
    // 101 separate exceedances, two hours apart, in the other county: 101 incidents.
    for n in 0..101i64 {
        let t = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap() + chrono::Duration::hours(2 * n);
        let dt = t.format("%Y%m%d%H0000").to_string();
        store
            .raise_alarm(&AlarmEpisode {
                kind: "exceedance".into(),
                mn: "MNOTHERCOUNTY1".into(),
                factor: "a21026".into(),
                start_time: dt.clone(),
                end_time: Some(dt.clone()),
                peak: Some("50".into()),
                peak_time: Some(dt),
                records: 1,
                context: "超标".into(),
            })
            .await
            .unwrap();
    }
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;
    let get = |q: &'static str| {
        let c = c.clone();
        let u = server.url(q);
        async move {
            c.get(u)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let first = get("/api/v1/incidents").await;
    assert_eq!(
        (
            first["total"].as_i64(),
            first["incidents"].as_array().unwrap().len()
        ),
        (Some(101), 100)
    );
    let second = get("/api/v1/incidents?page=2").await;
    assert_eq!(second["incidents"].as_array().unwrap().len(), 1);
    let filtered = get(
        "/api/v1/incidents?county=140981&kind=exceedance&status=open&from=2026-03-01&to=2026-03-01",
    )
    .await;
    assert_eq!(filtered["total"].as_i64(), Some(12), "{filtered}");
    let ids: Vec<i64> = filtered["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .take(2)
        .map(|i| i["id"].as_i64().unwrap())
        .collect();
    let staff_id = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "staff")
        .unwrap()
        .id;
    let r = c
        .post(server.url("/api/v1/incidents/bulk"))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "ids": ids, "action": "assign", "assignee": staff_id, "note": "请核查" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["results"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["ok"] == true),
        "{v}"
    );
    let one = store.incident(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (one.status.as_str(), one.assignee),
        ("assigned", Some(staff_id))
    );
    let assigned = get("/api/v1/incidents?status=assigned").await;
    assert_eq!(assigned["total"].as_i64(), Some(2));
    let bad = get("/api/v1/incidents?kind=whatever").await;
    assert_eq!(
        bad["error"]["field"].as_str().or(bad["field"].as_str()),
        Some("kind"),
        "{bad}"
    );
}

/// A plant that back-fills its hours newest first makes the supervisor find a new, earlier
/// start on every run: one alarm per hour, but still one incident with all its hours.
#[tokio::test]
async fn hours_arriving_newest_first_are_still_one_incident() {
    let (store, _db) = store().await;
    let cfg = SupervisorConfig::default();
    for h in (0..10).rev() {
        store
            .ingest(&[hourly(h, &format!("{}", 40 + h), "N")])
            .await
            .unwrap();
        run_once(&store, bj(2026, 3, 1, 10, 10), &cfg)
            .await
            .unwrap();
    }
    assert_eq!(
        store.alarms(&Default::default(), 100).await.unwrap().len(),
        10
    );
    let all = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all.total, 1);
    let i = &all.items[0];
    assert_eq!(
        (
            i.start_time.as_str(),
            i.end_time.as_deref(),
            i.peak.as_deref(),
            i.hours,
            i.alarm_count
        ),
        ("20260301000000", None, Some("49"), 10, 10)
    );
}
