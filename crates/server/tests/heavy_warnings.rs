//! Heavy-pollution warnings end to end through the real server: staff issue an orange warning
//! for two counties and exactly those counties' listed enterprises get their measures; one
//! enterprise confirms; during the warning an enterprise that keeps emitting at its baseline is
//! flagged 未落实减排措施 after N hours (and alarmed) while one that cuts by its commitment is
//! not; lifting gives the episode report whose committed and achieved figures are those of the
//! stored hourly data. The hourly data are HJ 212 2061 uploads stored through the ingest path;
//! heavy_warnings_sim.rs proves the same check with the simulator over TCP through the gateway.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Utc};
use qingshan_exact::{Ratio, Rounding};
use qingshan_store::{
    Actor, AlarmFilter, FactorValues, FrameVerdict, HeavyMeasure, Kg4, NewHeavyReduction, NewUser,
    ReceivedFrame, Role, Store, Upload,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

fn code_c() -> String {
    let body = "91140900MA0K12345";
    let c = qingshan_sources::credit_code_check_char(body).unwrap();
    format!("{body}{c}")
}

fn registry() -> String {
    format!(
        "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
{CODE_A},忻府热电有限公司,140902,DA001,1号锅炉,gas,MNHWA0001,2017,strict,123456,3600,P-A-001,2024-01-01,2099-12-31,a21026,35,1,6,
{CODE_B},定襄铸造有限公司,140921,DA001,冲天炉,gas,MNHWB0001,2017,strict,123456,3600,P-B-001,2024-01-01,2099-12-31,a21026,35,1,6,
{},原平水泥有限公司,140981,DA001,窑尾,gas,MNHWC0001,2017,strict,123456,3600,P-C-001,2024-01-01,2099-12-31,a21026,35,1,6,
",
        code_c()
    )
}

/// The warning starts at 2026-11-20 00:00 Beijing time.
fn start_local() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

/// An hourly 2061 upload with the hour's SO2 emitted mass (-Cou, kg) and a concentration.
fn hour_frame(mn: &str, at: NaiveDateTime, so2_kg: &str) -> ReceivedFrame {
    let data_time = at.format("%Y%m%d%H0000").to_string();
    ReceivedFrame {
        received_at: Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        peer: "127.0.0.1:1".into(),
        bytes: b"##test".to_vec(),
        verdict: FrameVerdict::Upload,
        mn: Some(mn.into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: mn.into(),
            cn: "2061".into(),
            qn: format!("{data_time}000"),
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![
                FactorValues {
                    factor: "a21026".into(),
                    avg: Some("20".into()),
                    cou: Some(so2_kg.into()),
                    flag: Some("N".into()),
                    ..Default::default()
                },
                FactorValues {
                    factor: "a00000".into(),
                    cou: Some("500000".into()),
                    flag: Some("N".into()),
                    ..Default::default()
                },
            ],
        }),
    }
}

async fn enterprise_user(store: &Store, username: &str, code: &str) {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                display_name: format!("{username}值班员"),
                password_hash: qingshan_app::accounts::hash_password("correct horse").unwrap(),
                role: Role::Enterprise,
                unit_id: None,
                division_code: None,
                credit_code: Some(code.into()),
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
}

const BASELINE_KG: &str = "10";
const COMMITTED_KG: &str = "3";
const A_DURING: &str = "10";
const B_DURING: &str = "6.5";
/// Hours of the warning with data (00:00–05:00); judged at 06:00.
const HOURS: i64 = 6;

async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("heavy_warnings").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(registry().as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    // Every listed enterprise has orange measures and a declared baseline.
    for code in [CODE_A.to_string(), CODE_B.to_string(), code_c()] {
        store
            .heavy_reduction_save(
                &NewHeavyReduction {
                    credit_code: code.clone(),
                    level: "orange".into(),
                    measures: vec![HeavyMeasure {
                        code: "limit".into(),
                        percent: Some("30".into()),
                        process: None,
                    }],
                    reduction: Kg4 {
                        so2: COMMITTED_KG.into(),
                        ..Default::default()
                    },
                    outlet_codes: vec!["DA001".into()],
                    note: None,
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
        store
            .heavy_baseline_save(
                &code,
                &Kg4 {
                    so2: BASELINE_KG.into(),
                    ..Default::default()
                },
                None,
                &Actor::cli(),
            )
            .await
            .unwrap();
    }
    // Seven days before at the baseline, then A unchanged and B cut.
    let mut frames = Vec::new();
    let s = start_local();
    for h in 0..(7 * 24) {
        let at = s - Duration::hours(7 * 24) + Duration::hours(h);
        frames.push(hour_frame("MNHWA0001", at, BASELINE_KG));
        frames.push(hour_frame("MNHWB0001", at, BASELINE_KG));
    }
    for h in 0..HOURS {
        let at = s + Duration::hours(h);
        frames.push(hour_frame("MNHWA0001", at, A_DURING));
        frames.push(hour_frame("MNHWB0001", at, B_DURING));
    }
    store.ingest(&frames).await.unwrap();
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "shuili", Role::Reporter, Some("slj"), None).await;
    enterprise_user(&store, "plant-a", CODE_A).await;
    (store, db)
}

fn r(s: &str) -> Ratio {
    Ratio::parse(s).unwrap()
}

fn kg(x: Ratio) -> String {
    x.format_fixed(3, Rounding::HalfEven)
}

#[tokio::test]
async fn an_orange_warning_from_issue_to_episode_report() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;

    // Issue through the form: orange, 忻府区 and 定襄县.
    let body = format!(
        "csrf_token={}&level=orange&effective_at=2026-11-20+00%3A00&document_no=&areas=140902&areas=140921&forecast=AQI+230%2C260%2C280&justification=%E4%BC%9A%E5%95%86",
        urlencode(&csrf)
    );
    let resp = c
        .post(server.url("/heavy/warnings"))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let loc = resp.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();

    // Exactly the two counties' enterprises received the orange measures.
    let v: Value = c
        .get(server.url(&format!("/api/v1/heavy/warnings/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["warning"]["level"], "orange");
    assert_eq!(v["warning"]["areas"], json!(["140902", "140921"]));
    let mut got: Vec<&str> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["credit_code"].as_str().unwrap())
        .collect();
    got.sort();
    let mut want = vec![CODE_A, CODE_B];
    want.sort();
    assert_eq!(got, want);
    assert!(
        v["notices"]
            .as_array()
            .unwrap()
            .iter()
            .all(|n| n["level"] == "orange" && n["state"] == "issued")
    );
    assert!(
        !v["notices"].to_string().contains(&code_c()),
        "原平市 is outside the warning"
    );

    // A reporter may not issue, and is audited; the enterprise may not either.
    let (rc, rcsrf) = common::login(&server, "shuili").await;
    let resp = rc
        .post(server.url("/api/v1/heavy/warnings"))
        .header("x-csrf-token", &rcsrf)
        .json(&json!({ "level": "red", "justification": "x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::FORBIDDEN);

    // The enterprise confirms its notice; the warning page shows who confirmed and who not.
    let (ec, ecsrf) = common::login(&server, "plant-a").await;
    let mine: Value = ec
        .get(server.url(&format!("/api/v1/heavy/warnings/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let notices = mine["notices"].as_array().unwrap();
    assert_eq!(notices.len(), 1, "an enterprise sees only its own notice");
    let nid = notices[0]["id"].as_i64().unwrap();
    let resp = ec
        .post(server.url(&format!("/heavy/warnings/notices/{nid}/confirm")))
        .form(&[("csrf_token", ecsrf.as_str()), ("note", "已限产 30%")])
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::SEE_OTHER);
    let html = c
        .get(server.url(&format!("/heavy/warnings/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("已确认 1 份，待确认 1 份"), "{html}");
    assert!(html.contains("plant-a值班员"));
    assert!(html.contains("橙色预警"));
    assert!(html.contains("id=\"timeline\""));

    // The supervisor's pass at 06:00: A (at its baseline) is flagged after 3 hours, B is not.
    let now = Utc.from_utc_datetime(&(start_local() + Duration::hours(HOURS - 8)));
    let cfg = qingshan_app::warnings::CheckConfig::default();
    let raised = qingshan_app::warnings::check_active(&store, now, &cfg)
        .await
        .unwrap();
    assert_eq!(raised.len(), 1);
    let alarms = store
        .alarms(
            &AlarmFilter {
                ..Default::default()
            },
            50,
        )
        .await
        .unwrap();
    let hw: Vec<_> = alarms
        .iter()
        .filter(|a| a.kind == "reduction_not_met")
        .collect();
    assert_eq!(hw.len(), 1);
    assert_eq!(hw[0].mn, "MNHWA0001");
    assert_eq!(hw[0].factor, "a21026");
    assert_eq!(hw[0].start_time, "20261120000000");
    assert!(hw[0].context.contains("连续"));
    // One hour fewer than N is not enough: at 02:00 only 00:00 and 01:00 are whole hours.
    let w = store.heavy_warning(id).await.unwrap().unwrap();
    let early = qingshan_app::warnings::compliance(&store, &w, now - Duration::hours(4), &cfg)
        .await
        .unwrap();
    assert!(early.iter().all(|e| !e.flagged));
    // A run again does not raise a second alarm.
    let again = qingshan_app::warnings::check_active(&store, now, &cfg)
        .await
        .unwrap();
    assert!(matches!(again[0], qingshan_store::Raised::Updated(_)));

    // Lift at 06:00; the report's figures are the stored data's.
    let resp = c
        .post(server.url(&format!("/api/v1/heavy/warnings/{id}/lift")))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "effective_at": "2026-11-20 06:00", "forecast": "未来 36 小时 AQI ≤ 150", "justification": "解除" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let rep: Value = c
        .get(server.url(&format!("/api/v1/heavy/warnings/{id}/report")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rep["warning"]["state"], "lifted");
    assert_eq!(rep["duration_hours"], HOURS);
    let n = Ratio::int(HOURS);
    let committed_each = r(COMMITTED_KG).checked_mul(n).unwrap();
    let achieved_a = r(BASELINE_KG)
        .checked_sub(r(A_DURING))
        .unwrap()
        .checked_mul(n)
        .unwrap();
    let achieved_b = r(BASELINE_KG)
        .checked_sub(r(B_DURING))
        .unwrap()
        .checked_mul(n)
        .unwrap();
    let so2 = &rep["totals"][0];
    assert_eq!(so2["pollutant"], "so2");
    assert_eq!(
        so2["committed_kg"],
        kg(committed_each.checked_add(committed_each).unwrap())
    );
    assert_eq!(
        so2["achieved_kg"],
        kg(achieved_a.checked_add(achieved_b).unwrap())
    );
    let ents = rep["enterprises"].as_array().unwrap();
    let a = ents.iter().find(|e| e["credit_code"] == CODE_A).unwrap();
    let b = ents.iter().find(|e| e["credit_code"] == CODE_B).unwrap();
    assert_eq!(a["flagged"], true);
    assert_eq!(b["flagged"], false);
    assert_eq!(a["pollutants"][0]["achieved_total_kg"], kg(achieved_a));
    assert_eq!(b["pollutants"][0]["achieved_total_kg"], kg(achieved_b));
    assert_eq!(b["pollutants"][0]["missed"], 0);
    assert_eq!(a["pollutants"][0]["missed"], HOURS);

    // The report as HTML, PDF and XLSX; the HTML's figures, as a golden snapshot.
    let html = c
        .get(server.url(&format!("/heavy/warnings/{id}/report.html")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    insta::assert_snapshot!("episode_report_tables", report_tables(&html));
    let xlsx = c
        .get(server.url(&format!("/heavy/warnings/{id}/report.xlsx")))
        .send()
        .await
        .unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    let bytes = xlsx.bytes().await.unwrap();
    let strings = xlsx_part(&bytes, "xl/sharedStrings.xml");
    assert!(strings.contains("忻府热电有限公司"));
    assert!(strings.contains("未落实减排措施"));
    let pdf = c
        .get(server.url(&format!("/heavy/warnings/{id}/report.pdf")))
        .send()
        .await
        .unwrap();
    if qingshan_report::find_cjk_font().is_some() {
        assert_eq!(pdf.status(), StatusCode::OK);
        assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF"));
    }
    let doc: Value = c
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/heavy/warnings",
        "/heavy/warnings/{id}",
        "/heavy/warnings/{id}/raise",
        "/heavy/warnings/{id}/lower",
        "/heavy/warnings/{id}/lift",
        "/heavy/warnings/notices/{id}/confirm",
        "/heavy/warnings/{id}/report",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    // No more steps once lifted.
    let resp = c
        .post(server.url(&format!("/api/v1/heavy/warnings/{id}/raise")))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "level": "red", "justification": "再次" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CONFLICT);
    let audit: Vec<String> = store
        .audit_log(Some("heavy_warning."), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|a| format!("{} {}", a.action, a.outcome))
        .collect();
    assert!(
        audit.contains(&"heavy_warning.issue ok".to_string()),
        "{audit:?}"
    );
    assert!(audit.contains(&"heavy_warning.lift ok".to_string()));
    assert!(
        audit
            .iter()
            .any(|a| a.starts_with("heavy_warning.issue refused"))
    );
}

/// The tables of the report page as text lines: headings and cells, tags stripped.
fn report_tables(html: &str) -> String {
    let start = html.find("<h2>一、").unwrap();
    let end = html[start..].find("<h2>六、").unwrap() + start;
    let mut out = String::new();
    let mut in_tag = false;
    let mut cell = String::new();
    for ch in html[start..end].chars() {
        match ch {
            '<' => {
                in_tag = true;
                let t = cell.trim();
                if !t.is_empty() {
                    out.push_str(t);
                    out.push('\n');
                }
                cell.clear();
            }
            '>' => in_tag = false,
            _ if !in_tag => cell.push(ch),
            _ => {}
        }
    }
    out
}

fn xlsx_part(bytes: &[u8], name: &str) -> String {
    use std::io::Read;
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut s = String::new();
    zip.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}
