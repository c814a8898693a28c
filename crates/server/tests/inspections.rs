//! Inspection rectification lists (督察整改) end to end through the real server: staff register
//! a problem from a central inspection with a document; an official of another county and a
//! reporter of another unit are refused (audited); the concerned county's official reports its
//! completion with a file; 销号 without any evidence is refused, with evidence it closes; the
//! public summary lists the closed problem without its internal note; a re-opened problem
//! leaves it; the register exports as CSV (formulas neutralised) and XLSX. Overdue and at-risk
//! problems are counted on the staff dashboard. Indicators 23 and 24 match hand counts on a
//! registry and a set of water sections.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{
    Actor, InspectionFields, InspectionStep, NewEvidence, Role, Store, WaterSection,
    WaterSectionDevice,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qingshaninspections";
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

async fn refused(store: &Store, action: &str, target: &str) -> usize {
    store
        .audit_log(None, 5000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.outcome == "refused" && r.action == action && r.target == target)
        .count()
}

async fn json_of(c: &Client, url: String) -> Value {
    c.get(url).send().await.unwrap().json().await.unwrap()
}

fn day(offset: i64) -> String {
    (qingshan_app::beijing::today() + chrono::Duration::days(offset))
        .format("%Y-%m-%d")
        .to_string()
}

#[tokio::test]
async fn a_problem_goes_from_registration_to_closing_with_evidence() {
    let (store, _db) = common::fresh_store("inspections").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "county-a", Role::County, None, Some("140902")).await;
    common::user(&store, "county-b", Role::County, None, Some("140981")).await;
    common::user(&store, "sthj-reporter", Role::Reporter, Some("sthj"), None).await;
    common::user(&store, "fgw-reporter", Role::Reporter, Some("fgw"), None).await;
    let server = common::serve(store.clone()).await;
    let (staff, staff_csrf) = common::login(&server, "staff").await;

    // Registration through the form, with the inspection's hand-over list.
    let deadline = day(60);
    let r = post_multipart(
        &staff,
        server.url("/inspections"),
        &[
            ("csrf_token", &staff_csrf),
            ("source_kind", "central"),
            ("source_batch", "第二轮中央生态环境保护督察"),
            ("title", "城区段雨污混接溢流"),
            (
                "description",
                "忻府区城区段雨污管网混接，汛期污水溢流入河。",
            ),
            ("measures", "完成雨污分流改造，溢流口加装截流设施。"),
            ("units", "sthj"),
            ("units", "zjj"),
            ("counties", "140902"),
            ("deadline", &deadline),
            ("internal_note", "内部调度：每月向省督察办报告"),
        ],
        Some(("交办清单.pdf", b"%PDF-1.4 hand-over list")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/inspections/1");
    let v = json_of(&staff, server.url("/api/v1/inspections/1")).await;
    assert_eq!(v["problem"]["state"], "rectifying");
    assert_eq!(v["problem"]["problem_number"].as_str().unwrap().len(), 9);
    assert_eq!(v["problem"]["units"], json!(["sthj", "zjj"]));
    assert_eq!(v["evidence"].as_array().unwrap().len(), 1);

    // Another county's official and another unit's reporter: refused, audited, and the list
    // they get does not hold the problem.
    let (county_b, csrf_b) = common::login(&server, "county-b").await;
    let r = county_b
        .get(server.url("/inspections/1"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = post_multipart(
        &county_b,
        server.url("/inspections/1/report"),
        &[("csrf_token", &csrf_b), ("note", "已完成"), ("done", "1")],
        Some(("冒报.pdf", b"%PDF-1.4 not mine")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "inspection.report", "inspection:1").await >= 1);
    assert!(refused(&store, "page.view", "page:/inspections/1").await >= 1);
    let list = json_of(&county_b, server.url("/api/v1/inspections")).await;
    assert_eq!(list["total"], 0);
    let (fgw, csrf_fgw) = common::login(&server, "fgw-reporter").await;
    let r = fgw
        .post(server.url("/api/v1/inspections/1/report"))
        .header("x-csrf-token", &csrf_fgw)
        .json(&json!({ "note": "已完成", "done": true }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // A county official may not close it either.
    let r = county_b
        .post(server.url("/api/v1/inspections/1/close"))
        .header("x-csrf-token", &csrf_b)
        .json(&json!({ "note": "销号" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "inspection.close", "inspection:1").await >= 1);
    assert_eq!(
        json_of(&staff, server.url("/api/v1/inspections/1")).await["problem"]["state"],
        "rectifying"
    );

    // The responsible unit's reporter reports progress; the county reports completion with a file.
    let (sthj, csrf_sthj) = common::login(&server, "sthj-reporter").await;
    let r = sthj
        .post(server.url("/api/v1/inspections/1/report"))
        .header("x-csrf-token", &csrf_sthj)
        .json(&json!({ "note": "已完成改造 8 公里" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (county_a, csrf_a) = common::login(&server, "county-a").await;
    let page = county_a
        .get(server.url("/inspections/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("id=\"inspection-report\""),
        "report form shown"
    );
    assert!(!page.contains("内部调度"), "internal note is staff only");
    assert!(!page.contains("id=\"inspection-close\""));
    let r = post_multipart(
        &county_a,
        server.url("/inspections/1/report"),
        &[
            ("csrf_token", &csrf_a),
            (
                "note",
                "雨污分流改造 12 公里全部完成，溢流口截流设施已投用。",
            ),
            ("done", "1"),
        ],
        Some(("竣工验收报告.pdf", b"%PDF-1.4 acceptance")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = json_of(&county_a, server.url("/api/v1/inspections/1")).await;
    assert_eq!(v["problem"]["state"], "reported");
    let events: Vec<(String, bool, Value)> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            (
                e["kind"].as_str().unwrap().to_string(),
                e["done"].as_bool().unwrap(),
                e["for_county"].clone(),
            )
        })
        .collect();
    assert_eq!(
        events,
        vec![
            ("register".to_string(), false, Value::Null),
            ("report".to_string(), false, Value::Null),
            ("report".to_string(), true, json!("140902")),
        ]
    );
    let files = v["evidence"].as_array().unwrap();
    assert_eq!(files.len(), 2);
    let file_id = files[1]["id"].as_i64().unwrap();
    let r = county_a
        .get(server.url(&format!("/inspections/evidence/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 acceptance");
    let r = county_b
        .get(server.url(&format!("/inspections/evidence/{file_id}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // A second problem, registered over the API with no file: 销号 is refused without evidence.
    let r = staff
        .post(server.url("/api/v1/inspections"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({
            "source_kind": "provincial", "source_batch": "2025 年省级生态环境保护督察",
            "title": "=HYPERLINK(\"http://x\")", "description": "牧马河沿岸垃圾堆放",
            "measures": "清运并建立长效管护机制", "units": ["zjj"], "counties": [],
            "deadline": day(-1),
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = staff
        .post(server.url("/api/v1/inspections/2/close"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({ "note": "已清运" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        json_of(&staff, server.url("/api/v1/inspections/2")).await["problem"]["state"],
        "rectifying"
    );

    // 销号 of the first, with its basis, through the form.
    let r = post_multipart(
        &staff,
        server.url("/inspections/1/close"),
        &[
            ("csrf_token", &staff_csrf),
            ("note", "经现场核查，整改措施全部落实，同意销号。"),
        ],
        None,
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = json_of(&staff, server.url("/api/v1/inspections/1")).await;
    assert_eq!(v["problem"]["state"], "closed");
    assert_eq!(
        v["problem"]["close_basis"],
        "经现场核查，整改措施全部落实，同意销号。"
    );
    let closing = store.audit_log(Some("inspection.close"), 10).await.unwrap();
    assert!(
        closing
            .iter()
            .any(|a| a.outcome == "ok" && a.target == "inspection:1")
    );

    // The public summary: counts per source and the closed problem, without the internal note.
    let anon = common::client();
    let page = anon
        .get(server.url("/inspections/public"))
        .send()
        .await
        .unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let page = page.text().await.unwrap();
    assert!(page.contains("城区段雨污混接溢流"));
    assert!(!page.contains("内部调度"));
    assert!(!page.contains("HYPERLINK"), "open problems are not public");
    let summary = json_of(&anon, server.url("/api/v1/inspections/public")).await;
    let counts: Vec<(String, i64, i64)> = summary["sources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["source"].as_str().unwrap().to_string(),
                c["total"].as_i64().unwrap(),
                c["closed"].as_i64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        counts,
        vec![
            ("中央生态环境保护督察".to_string(), 1, 1),
            ("省级生态环境保护督察".to_string(), 1, 0),
        ]
    );
    assert_eq!(summary["closed"].as_array().unwrap().len(), 1);
    assert!(summary.to_string().find("内部").is_none());
    let r = anon
        .get(server.url("/api/v1/inspections"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);

    // The register as CSV (formula neutralised) and XLSX.
    let csv = staff
        .get(server.url("/inspections/register.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("城区段雨污混接溢流"));
    assert!(csv.contains("'=HYPERLINK"), "{csv}");
    assert!(csv.contains("逾期"), "the second problem's deadline passed");
    let r = staff
        .get(server.url("/inspections/register.xlsx"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));

    // Re-opened with a reason: not public any more, and reportable again.
    let page = staff
        .get(server.url("/inspections/1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&page, "csrf_token");
    let r = staff
        .post(server.url("/inspections/1/reopen"))
        .form(&[("csrf_token", csrf.as_str()), ("note", "群众再次举报溢流")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v = json_of(&staff, server.url("/api/v1/inspections/1")).await;
    assert_eq!(v["problem"]["state"], "rectifying");
    assert_eq!(v["problem"]["close_basis"], Value::Null);
    let summary = json_of(&anon, server.url("/api/v1/inspections/public")).await;
    assert!(summary["closed"].as_array().unwrap().is_empty());

    // A revision keeps the first version.
    let r = staff
        .post(server.url("/api/v1/inspections/1/revise"))
        .header("x-csrf-token", &staff_csrf)
        .json(&json!({
            "source_kind": "central", "source_batch": "第二轮中央生态环境保护督察",
            "title": "城区段雨污混接溢流", "description": "复发", "measures": "加密巡查",
            "units": ["sthj"], "counties": ["140902", "140981"], "deadline": day(30),
            "reason": "重新打开后调整整改措施",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v = json_of(&staff, server.url("/api/v1/inspections/1")).await;
    assert_eq!(v["problem"]["revision"], 2);
    assert_eq!(
        v["revisions"][0]["measures"],
        "完成雨污分流改造，溢流口加装截流设施。"
    );
    // Now 140981 is concerned: its official sees it.
    assert_eq!(
        json_of(&county_b, server.url("/api/v1/inspections")).await["total"],
        1
    );
}

fn fields(title: &str, deadline: String) -> InspectionFields {
    InspectionFields {
        source_kind: "central".into(),
        source_batch: "第二轮中央生态环境保护督察".into(),
        title: title.into(),
        description: "问题".into(),
        measures: "措施".into(),
        units: vec!["sthj".into()],
        counties: vec!["140902".into()],
        deadline,
        internal_note: None,
    }
}

#[tokio::test]
async fn overdue_and_at_risk_problems_appear_on_the_dashboard() {
    let (store, _db) = common::fresh_store("inspections-dash").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let a = Actor::cli();
    for (title, offset) in [
        ("逾期问题甲", -3),
        ("逾期问题乙", -1),
        ("临期问题", 0),
        ("临期问题丙", 10),
        ("未到期问题", 11),
    ] {
        store
            .register_inspection_problem(2026, &fields(title, day(offset)), &[], &a)
            .await
            .unwrap();
    }
    // A problem overdue but closed counts nowhere.
    let file = NewEvidence {
        file_name: "a.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 x".to_vec(),
    };
    let p = store
        .register_inspection_problem(2026, &fields("已销号", day(-30)), &[file], &a)
        .await
        .unwrap();
    store
        .inspection_step(p.id, &InspectionStep::Close, "已整改", &[], &a)
        .await
        .unwrap();
    let server = common::serve_with(
        store.clone(),
        qingshan_server::ServerConfig {
            inspection_warn_days: 10,
            ..Default::default()
        },
    )
    .await;
    let (staff, _) = common::login(&server, "staff").await;
    let home = staff
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("督察整改逾期 2 个"), "staff card");
    assert!(home.contains("逾期 2 个"));
    assert!(home.contains("临期 2 个（10 天内到期）"));
    assert!(home.contains("href=\"/inspections?due=at_risk\""));
    let overdue = json_of(&staff, server.url("/api/v1/inspections?due=overdue")).await;
    let titles: Vec<&str> = overdue["problems"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["title"].as_str().unwrap())
        .collect();
    assert_eq!(titles, ["逾期问题甲", "逾期问题乙"]);
    assert_eq!(
        json_of(&staff, server.url("/api/v1/inspections?due=at_risk")).await["total"],
        4
    );
    let page = staff
        .get(server.url("/inspections?due=overdue"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("逾期问题乙") && !page.contains("临期问题丙"));
    // The public dashboard holds none of it.
    let public = common::client()
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!public.contains("督察整改逾期"));
    let r = staff
        .get(server.url("/api/v1/inspections?due=later"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Five enterprises (Y: last year): two 重点管理 (one permit valid on 31 December Y, one expired in June),
/// one 简化管理 whose permit starts on 31 December, one 登记管理 without a permit, one with no
/// class entered (and a valid permit). Required: 3; holding on 31 December: 2 → 66.7 %.
const REGISTRY: &str = "credit_code,enterprise_name,division_code,permit_class,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,permit_number,permit_valid_from,permit_valid_to
9144030071526726XG,甲热电,140902,重点管理,DA001,1号锅炉,gas,MNI0001,2017,strict,123456,P-001,{Y-1}-01-01,{Y+3}-12-31
91110000802100433B,乙化工,140981,重点管理,DW001,总排口,water,MNI0002,2017,strict,123456,P-002,{Y-5}-07-01,{Y}-06-30
911100007109255774,丙铸造,140902,简化管理,DA001,熔炉,gas,MNI0003,2017,strict,123456,P-003,{Y}-12-31,{Y+5}-12-30
91140900MA0K00000D,丁砖厂,140921,登记管理,DA001,窑炉,gas,MNI0004,2017,strict,123456,,,
{E},戊洗煤,140921,,DW001,排口,water,MNI0005,2017,strict,123456,P-005,{Y-1}-01-01,{Y+4}-12-31
";

/// The registry file for year `y`, the fifth enterprise's code with its computed check character.
fn registry(y: i32) -> String {
    let first17 = "91140900000000005";
    let code = format!(
        "{first17}{}",
        qingshan_sources::credit_code_check_char(first17).unwrap()
    );
    let mut text = REGISTRY.replace("{E}", &code);
    for (k, d) in [
        ("{Y-5}", -5),
        ("{Y-1}", -1),
        ("{Y+3}", 3),
        ("{Y+4}", 4),
        ("{Y+5}", 5),
        ("{Y}", 0),
    ] {
        text = text.replace(k, &(y + d).to_string());
    }
    text
}

/// Last year (Beijing time): 23 and 24 are computed for it.
fn last_year() -> i32 {
    use chrono::Datelike;
    qingshan_app::beijing::today().year() - 1
}

#[tokio::test]
async fn indicators_23_and_24_match_hand_counts() {
    let (store, _db) = common::fresh_store("indicators-23-24").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let a = Actor::cli();
    store
        .import_registry(
            &qingshan_sources::read_registry(registry(last_year()).as_bytes()).unwrap(),
            &a,
        )
        .await
        .unwrap();
    // Five sections: three with a linked automatic station (W1 with two), one without, one
    // retired last year (left out although linked).
    let section = |code: &str, level: &str| WaterSection {
        code: code.into(),
        name: format!("断面{code}"),
        level: level.into(),
        water_body: "river".into(),
        basin: None,
        division_code: Some("140902".into()),
        target_class: "III".into(),
        is_drinking_source: false,
    };
    store
        .upsert_water_sections(
            &[
                section("W1", "国考"),
                section("W2", "省考"),
                section("W3", "市考"),
                section("W4", "市考"),
                section("W5", "省考"),
            ],
            &a,
        )
        .await
        .unwrap();
    for (mn, code) in [
        ("MNW10001", "W1"),
        ("MNW10002", "W1"),
        ("MNW20001", "W2"),
        ("MNW30001", "W3"),
        ("MNW50001", "W5"),
    ] {
        store
            .link_water_section_device(
                &WaterSectionDevice {
                    mn: mn.into(),
                    section_code: code.into(),
                    password: "123456".into(),
                    crc_policy: "strict".into(),
                },
                &a,
            )
            .await
            .unwrap();
    }
    store
        .retire_water_section("W5", &format!("{}-09-01", last_year()), "断面调整", &a)
        .await
        .unwrap();

    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;
    let r = staff
        .post(server.url(&format!(
            "/api/v1/indicators/monitoring?year={}",
            last_year()
        )))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let plan = qingshan_plan::xinzhou().unwrap();
    let values = store.current_indicator_values(&plan.meta.id).await.unwrap();
    let of = |n: i64| {
        values
            .iter()
            .find(|v| v.indicator_number == n && v.year == i64::from(last_year()))
            .unwrap_or_else(|| panic!("indicator {n} recorded"))
    };
    let v23 = of(23);
    // Hand count: required 3 (甲, 乙 重点管理; 丙 简化管理), holding on 31 December: 甲, 丙.
    assert_eq!(
        (
            v23.value.as_str(),
            v23.source.as_str(),
            v23.division_code.as_str()
        ),
        ("66.7", "monitoring", "140900")
    );
    let note = v23.note.as_deref().unwrap();
    for part in [
        "登记排污单位 5 家",
        "须持证 3 家（重点管理 2 家、简化管理 1 家）",
        &format!("其中 2 家在 {}-12-31 持有效排污许可证", last_year()),
        "未持有效许可证：乙化工（91110000802100433B）",
        "登记管理 1 家无须持证",
        "1 家未填报排污许可管理类别",
    ] {
        assert!(note.contains(part), "{part} in {note}");
    }
    let v24 = of(24);
    // Hand count: in service on 31 December: W1–W4 (4); with a station: W1, W2, W3 (3) → 75.0.
    assert_eq!(
        (v24.value.as_str(), v24.source.as_str()),
        ("75.0", "monitoring")
    );
    let note = v24.note.as_deref().unwrap();
    assert!(
        note.contains("地表水断面 4 个（国考 1、省考 1、市考 2），其中 3 个关联了水质自动监测站"),
        "{note}"
    );
    assert!(note.contains("无自动站：断面W4"), "{note}");
    // Unchanged data: computing again records nothing new.
    let again: Value = staff
        .post(server.url(&format!(
            "/api/v1/indicators/monitoring?year={}",
            last_year()
        )))
        .header("x-csrf-token", &csrf)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(again["recorded"], json!([]));
}
