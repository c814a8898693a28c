//! Cases end to end through the real server, under the supervisor's clock: ten exceeding
//! hours make an incident with archived frames; staff issue an order on it and turn the order
//! into a case (立案) citing two penalty articles, with a document; a fine below the articles'
//! range is refused; the decision is recorded; the enterprise reports its rectification with a
//! file; the closing check fails once (new deadline) and then passes; the case is closed (销号).
//! The case file PDF lists the evidence frames with their SHA-256. Another enterprise and
//! another county are refused, audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{DateTime, TimeZone, Utc};
use qingshan_app::supervisor::{SupervisorConfig, run_once};
use qingshan_store::{
    Actor, AlarmEpisode, FactorValues, FrameVerdict, NewUser, ReceivedFrame, Role, Store, Upload,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use sha2::{Digest, Sha256};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNCASEA0001,2017,strict,123456,3600,P-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DA009,焚烧炉,gas,MNCASEB0001,2017,strict,123456,3600,P-009,2024-01-01,2099-12-31,a21026,35,1,6,
";

/// Beijing local time → UTC.
fn bj(y: i32, mo: u32, d: u32, h: u32, mi: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, mo, d, h, mi, 0).unwrap() - chrono::Duration::hours(8)
}

/// The bytes of the hourly frame of hour `h` (what the archive keeps and hashes).
fn frame_bytes(h: u32) -> Vec<u8> {
    format!("##0100QN=20260301{h:02}0000000;ST=31;CN=2061;MN=MNCASEA0001;CP=&&DataTime=20260301{h:02}0000;a21026-ZsAvg={}&&0000\r\n", 40 + h).into_bytes()
}

fn hourly(h: u32) -> ReceivedFrame {
    let data_time = format!("20260301{h:02}0000");
    ReceivedFrame {
        received_at: (bj(2026, 3, 1, h, 0) + chrono::Duration::minutes(65))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        peer: "127.0.0.1:1".into(),
        bytes: frame_bytes(h),
        verdict: FrameVerdict::Upload,
        mn: Some("MNCASEA0001".into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: "MNCASEA0001".into(),
            cn: "2061".into(),
            qn: format!("{data_time}000"),
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                avg: Some("10".into()),
                zs_avg: Some(format!("{}", 40 + h)),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

/// A's incident (1) from ten archived exceeding hours, B's (2) from an alarm; staff, two county
/// officials and both enterprises' accounts.
async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("cases").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .ingest(&(0..10).map(hourly).collect::<Vec<_>>())
        .await
        .unwrap();
    run_once(&store, bj(2026, 3, 1, 10, 10), &SupervisorConfig::default())
        .await
        .unwrap();
    store
        .raise_alarm(&AlarmEpisode {
            kind: "exceedance".into(),
            mn: "MNCASEB0001".into(),
            factor: "a21026".into(),
            start_time: "20260301080000".into(),
            end_time: None,
            peak: Some("99".into()),
            peak_time: Some("20260301080000".into()),
            records: 1,
            context: "超标".into(),
        })
        .await
        .unwrap();
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "county-a", Role::County, None, Some("140902")).await;
    common::user(&store, "county-b", Role::County, None, Some("140981")).await;
    for (name, code) in [("plant-a", CODE_A), ("plant-b", CODE_B)] {
        store
            .create_user(
                &NewUser {
                    username: name.into(),
                    display_name: format!("{name}显示名"),
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
    (store, db)
}

async fn text(c: &Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

async fn refused(store: &Store, action: &str, target: &str) -> usize {
    store
        .audit_log(None, 5000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.outcome == "refused" && r.action == action && r.target == target)
        .count()
}

/// A Beijing time `days` from now, as a browser's datetime field sends it.
fn beijing_in(days: i64) -> String {
    (Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qingshancases";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    if let Some((name, bytes)) = file {
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{name}\"\r\nContent-Type: application/pdf\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_multipart(
    c: &Client,
    url: String,
    fields: &[(&str, &str)],
    file: Option<(&str, &[u8])>,
) -> reqwest::Response {
    let (ct, body) = multipart(fields, file);
    c.post(url)
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap()
}

async fn case_state(c: &Client, server: &common::Server, id: i64) -> String {
    let v: Value = c
        .get(server.url(&format!("/api/v1/cases/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    v["case"]["state"].as_str().unwrap().to_string()
}

#[tokio::test]
async fn a_case_goes_from_an_order_to_its_closing_with_the_evidence_in_its_file() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, staff_csrf) = common::login(&server, "staff").await;

    // An order on the incident, then 转立案 from the order's page.
    let r = staff
        .post(server.url("/api/v1/orders"))
        .header("x-csrf-token", &staff_csrf)
        .json(
            &json!({ "incident_id": 1, "requirement": "说明超标原因", "deadline": beijing_in(3) }),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let (_, order_page) = text(&staff, server.url("/orders/1")).await;
    assert!(order_page.contains("/cases/new?order=1"), "{order_page}");
    let (st, form) = text(&staff, server.url("/cases/new?order=1")).await;
    assert_eq!(st, StatusCode::OK, "{form}");
    assert!(
        form.contains("某热电有限公司") && form.contains("超标 0.40 倍"),
        "{form}"
    );
    assert!(form.contains("第九十九条第（二）项"), "{form}");
    let csrf = common::hidden(&form, "csrf_token");
    let r = post_multipart(
        &staff,
        server.url("/cases"),
        &[
            ("csrf_token", &csrf),
            ("order_id", "1"),
            ("incident_id", "1"),
            ("incident_id", ""),
            ("title", "超标排放大气污染物"),
            (
                "facts",
                "2026年3月1日0时至9时二氧化硫折算浓度连续超过许可排放浓度",
            ),
            ("bases", "air-99-2"),
            ("bases", "permit-34-1"),
        ],
        Some(("现场检查笔录.pdf", b"%PDF-1.4 inspection record")),
    )
    .await;
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    assert_eq!(r.headers()["location"], "/cases/1");
    let v: Value = staff
        .get(server.url("/api/v1/orders/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["order"]["state"], "escalated");
    let v: Value = staff
        .get(server.url("/api/v1/cases/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let year = (Utc::now() + chrono::Duration::hours(8))
        .format("%Y")
        .to_string();
    assert_eq!(v["case"]["case_number"], format!("{year}-0001"));
    assert_eq!(v["case"]["state_label"], "已立案");
    assert_eq!(v["bases"].as_array().unwrap().len(), 2);
    let frames = v["incidents"][0]["evidence_frames"].as_array().unwrap();
    assert_eq!(frames.len(), 10);
    let first_hash = hex::encode(Sha256::digest(frame_bytes(0)));
    assert_eq!(frames[0]["sha256"], first_hash.as_str());

    // Who sees it: the bureau, its county and its enterprise; not the other ones (audited).
    let (plant_a, plant_a_csrf) = common::login(&server, "plant-a").await;
    let (plant_b, plant_b_csrf) = common::login(&server, "plant-b").await;
    let (county_a, _) = common::login(&server, "county-a").await;
    let (county_b, _) = common::login(&server, "county-b").await;
    assert_eq!(
        text(&county_a, server.url("/cases/1")).await.0,
        StatusCode::OK
    );
    let (st, page) = text(&plant_a, server.url("/cases/1")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        !page.contains("id=\"case-decide\""),
        "the enterprise cannot decide"
    );
    for (c, who) in [(&plant_b, "plant-b"), (&county_b, "county-b")] {
        assert_eq!(
            text(c, server.url("/cases/1")).await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
        assert_eq!(
            text(c, server.url("/cases/1/case.pdf")).await.0,
            StatusCode::FORBIDDEN,
            "{who}"
        );
    }
    assert!(refused(&store, "page.view", "page:/cases/1").await >= 2);
    let list: Value = plant_b
        .get(server.url("/api/v1/cases"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 0);
    let list: Value = plant_a
        .get(server.url("/api/v1/cases"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 1);

    // The decision: a fine below both articles' floors is refused and changes nothing.
    let (_, page) = text(&staff, server.url("/cases/1")).await;
    assert!(page.contains("id=\"case-decide\""), "{page}");
    let csrf = common::hidden(&page, "csrf_token");
    let today = (Utc::now() + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string();
    let deadline = beijing_in(30);
    let decide = |penalty: &'static str| {
        vec![
            ("csrf_token", csrf.clone()),
            ("decision_number", "忻环罚〔2026〕12号".to_string()),
            ("decision_date", today.clone()),
            ("measures", "rectify".to_string()),
            ("measures", "fine".to_string()),
            ("penalty", penalty.to_string()),
            ("rectify_deadline", deadline.clone()),
        ]
    };
    let low = decide("50000");
    let low: Vec<(&str, &str)> = low.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&staff, server.url("/cases/1/decide"), &low, None).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("10万元以上100万元以下"), "{body}");
    assert!(refused(&store, "case.decide", "case:1").await >= 1);
    assert_eq!(case_state(&staff, &server, 1).await, "filed");
    let ok = decide("150000");
    let ok: Vec<(&str, &str)> = ok.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let r = post_multipart(&staff, server.url("/cases/1/decide"), &ok, None).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(case_state(&staff, &server, 1).await, "rectifying");

    // The enterprise reports its rectification with a file; the other one cannot.
    let r = plant_b
        .post(server.url("/api/v1/cases/1/report"))
        .header("x-csrf-token", &plant_b_csrf)
        .json(&json!({ "note": "不是我们的案件" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "case.report", "case:1").await >= 1);
    let (_, page) = text(&plant_a, server.url("/cases/1")).await;
    assert!(page.contains("id=\"case-report\""), "{page}");
    let csrf_a = common::hidden(&page, "csrf_token");
    let r = post_multipart(
        &plant_a,
        server.url("/cases/1/report"),
        &[
            ("csrf_token", &csrf_a),
            ("note", "已更换脱硫喷淋层，附第三方监测报告"),
        ],
        Some(("整改报告.pdf", b"%PDF-1.4 rectification")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let _ = plant_a_csrf;

    // The check fails once with a new deadline, then passes; then 销号.
    let r = staff
        .post(server.url("/api/v1/cases/1/check"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({ "passed": false, "note": "复查时仍有超标", "new_deadline": beijing_in(45) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(case_state(&staff, &server, 1).await, "rectifying");
    let r = staff
        .post(server.url("/api/v1/cases/1/close"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({ "note": "过早销号" }))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::CONFLICT,
        "closing before a passed check"
    );
    let r = staff
        .post(server.url("/api/v1/cases/1/check"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({ "passed": true, "note": "连续30日达标" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, page) = text(&staff, server.url("/cases/1")).await;
    let csrf = common::hidden(&page, "csrf_token");
    let r = staff
        .post(server.url("/cases/1/close"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("note", "整改到位，同意销号"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v: Value = staff
        .get(server.url("/api/v1/cases/1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["case"]["state"], "closed");
    assert_eq!(v["case"]["penalty_yuan"], "150000.00");
    assert_eq!(v["case"]["measures_label"], "责令改正、罚款");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "file",
            "decide",
            "report",
            "check_fail",
            "check_pass",
            "close"
        ]
    );
    assert_eq!(v["documents"].as_array().unwrap().len(), 2);
    let doc = v["documents"][1]["id"].as_i64().unwrap();
    let r = plant_a
        .get(server.url(&format!("/cases/documents/{doc}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 rectification");
    assert_eq!(
        plant_b
            .get(server.url(&format!("/cases/documents/{doc}")))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let actions: Vec<String> = store
        .audit_log(Some("case."), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.outcome == "ok")
        .map(|e| e.action)
        .collect();
    for a in [
        "case.file",
        "case.decide",
        "case.report",
        "case.check",
        "case.close",
        "case.evidence",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }

    // The case file: a PDF whose text carries the case, its articles, the decision and every
    // evidence frame's SHA-256.
    let r = plant_a
        .get(server.url("/cases/1/case.pdf"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "application/pdf");
    let pdf = r.bytes().await.unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let path = std::env::temp_dir().join(format!("qingshan-case-{}.pdf", std::process::id()));
    std::fs::write(&path, &pdf).unwrap();
    let out = match std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
    {
        Ok(o) => o,
        Err(_) => {
            assert!(
                std::env::var_os("CI").is_none(),
                "CI must have pdftotext (poppler-utils)"
            );
            eprintln!("SKIPPED: the case file's text (no pdftotext)");
            return;
        }
    };
    let text = String::from_utf8_lossy(&out.stdout);
    let flat: String = text.split_whitespace().collect();
    for want in [
        format!("{year}-0001"),
        "生态环境行政处罚案卷".to_string(),
        "第九十九条第（二）项".to_string(),
        "忻环罚〔2026〕12号".to_string(),
        "150000.00元".to_string(),
        "复查不合格".to_string(),
        "整改报告.pdf".to_string(),
    ] {
        assert!(flat.contains(&want), "{want} not in the case file:\n{text}");
    }
    for h in 0..10 {
        let hash = hex::encode(Sha256::digest(frame_bytes(h)));
        assert!(
            flat.contains(&hash[..24]),
            "frame {h} hash not in the case file:\n{text}"
        );
    }
    let _ = std::fs::remove_file(&path);
}
