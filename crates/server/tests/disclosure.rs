//! 企业环境信息依法披露 against the real server: staff put enterprises on a year's list; an
//! obliged enterprise that has not filed by 15 March is late on 16 March (not on the 15th); a
//! temporary report filed on the 6th working day after a penalty decision is late, one on the
//! 5th is not; the public search shows submitted reports only; an amendment is a new revision
//! with its reason; an enterprise cannot read or write another's report (403, audited); the
//! annual form is prefilled from the registry, the permit and the year's monitoring data.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::{Datelike, Duration, NaiveDate};
use qingshan_sources::disclosure::WorkCalendar;
use qingshan_store::{
    Actor, AlarmEpisode, CaseBasis, CaseStep, FactorValues, FrameVerdict, NewCase, NewUser,
    ReceivedFrame, Role, Store, Upload,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNDISCA0001,2017,strict,123456,3600,P-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DA009,焚烧炉,gas,MNDISCB0001,2017,strict,123456,3600,P-009,2024-01-01,2099-12-31,a21026,35,1,6,
";

fn today() -> NaiveDate {
    qingshan_app::beijing::today()
}

/// One hourly record of A's device on 1 June of `year` with its emitted kilograms (Cou).
fn hourly(year: i32, h: u32, cou: &str) -> ReceivedFrame {
    let data_time = format!("{year}0601{h:02}0000");
    ReceivedFrame {
        received_at: format!("{year}-06-01T{h:02}:05:00.000Z"),
        peer: "127.0.0.1:1".into(),
        bytes: format!("##0100QN={data_time}000;CN=2061;MN=MNDISCA0001;CP=&&DataTime={data_time};a21026-Cou={cou}&&0000\r\n").into_bytes(),
        verdict: FrameVerdict::Upload,
        mn: Some("MNDISCA0001".into()),
        cn: Some("2061".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: "MNDISCA0001".into(),
            cn: "2061".into(),
            qn: format!("{data_time}000"),
            data_time,
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                avg: Some("10".into()),
                cou: Some(cou.into()),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

async fn seeded(report_year: i32) -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("disclosure").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .ingest(&[hourly(report_year, 1, "1.5"), hourly(report_year, 2, "2.5")])
        .await
        .unwrap();
    for mn in ["MNDISCA0001", "MNDISCB0001"] {
        store
            .raise_alarm(&AlarmEpisode {
                kind: "exceedance".into(),
                mn: mn.into(),
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
    }
    common::user(&store, "staff", Role::Staff, None, None).await;
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

/// A case on the enterprise of `incident` with a penalty decision dated `date`.
async fn decided_case(store: &Store, incident: i64, date: NaiveDate, number: &str) -> i64 {
    let c = store
        .open_case(
            &NewCase {
                year: date.year(),
                incident_ids: vec![incident],
                order_id: None,
                title: "超标排放".into(),
                facts: "二氧化硫小时浓度超标".into(),
                bases: vec![CaseBasis {
                    basis_code: "air-99-2".into(),
                    citation: "《大气污染防治法》第九十九条第（二）项".into(),
                    violation: "超标排放".into(),
                    fine_range: Some("十万元以上一百万元以下".into()),
                }],
            },
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .case_step(
            c.id,
            &CaseStep::Decide {
                decision_number: number.into(),
                decision_date: date.to_string(),
                measures: "fine".into(),
                penalty_fen: Some(15_000_000),
                rectify_deadline: None,
            },
            None,
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    c.id
}

async fn get(c: &Client, url: String) -> (StatusCode, Value) {
    let r = c.get(url).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

async fn post(c: &Client, csrf: &str, url: String, body: Value) -> (StatusCode, Value) {
    let r = c
        .post(url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
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

/// The earliest decision date whose 5-working-day deadline is today or later (filing today is
/// on time), and the latest whose deadline is before today (filing today is late).
fn decision_dates(cal: &WorkCalendar, today: NaiveDate) -> (NaiveDate, NaiveDate) {
    let mut on_time = today;
    let mut late = today;
    for back in (1..30).rev() {
        let d = today - Duration::days(back);
        if cal.add_working_days(d, 5) >= today && on_time == today {
            on_time = d;
        }
        if cal.add_working_days(d, 5) < today {
            late = d;
        }
    }
    (on_time, late)
}

#[tokio::test]
async fn disclosure_deadlines_public_search_and_scope() {
    let this_year = today().year();
    let y = this_year - 1;
    let (store, _db) = seeded(y).await;
    let cal = WorkCalendar::embedded().unwrap();
    let (on_time, late) = decision_dates(cal, today());
    if cal.is_working_day(today()) {
        // Filed today: the 5th and the 6th working day after the decision.
        assert_eq!(cal.working_days_between(on_time, today()), 5);
        assert_eq!(cal.working_days_between(late, today()), 6);
    }
    let server = common::serve(store.clone()).await;
    let (staff, scsrf) = common::login(&server, "staff").await;

    // Staff list both enterprises for last year and this year (a decision early in January
    // may fall in either); the basis must be one of the rules file's.
    for year in [y, this_year] {
        for code in [CODE_A, CODE_B] {
            let (s, v) = post(&staff, &scsrf, server.url("/api/v1/disclosure/list"),
                json!({ "year": year, "credit_code": code, "basis": "key_discharger", "reason": "重点排污单位名录" })).await;
            assert_eq!(s, StatusCode::CREATED, "{v}");
        }
    }
    let (s, v) = post(
        &staff,
        &scsrf,
        server.url("/api/v1/disclosure/list"),
        json!({ "year": y, "credit_code": CODE_A, "basis": "nonsense", "reason": "x" }),
    )
    .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (_, v) = get(
        &staff,
        server.url(&format!("/api/v1/disclosure/list?year={y}")),
    )
    .await;
    assert_eq!(v["total"], 2, "{v}");
    // The published list is public.
    let anon = common::client();
    let (s, v) = get(
        &anon,
        server.url(&format!("/api/v1/disclosure/list?year={y}&q=热电")),
    )
    .await;
    assert_eq!((s, v["total"].clone()), (StatusCode::OK, json!(1)), "{v}");
    assert_eq!(v["listings"][0]["basis_name"], "重点排污单位");

    // Penalty decisions: A's 6 working days before today, B's 5.
    let case_a = decided_case(&store, 1, late, "忻环罚〔2026〕1号").await;
    let case_b = decided_case(&store, 2, on_time, "忻环罚〔2026〕2号").await;

    let (a, acsrf) = common::login(&server, "plant-a").await;
    let (b, bcsrf) = common::login(&server, "plant-b").await;

    // The annual form is prefilled from the registry, the permit and the monitoring data.
    let (s, form) = get(
        &a,
        server.url(&format!("/api/v1/disclosure/draft?year={y}&kind=annual")),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{form}");
    let field = |form: &Value, section: &str, key: &str| -> Value {
        form["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["code"] == section)
            .unwrap()["fields"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["key"] == key)
            .unwrap()
            .clone()
    };
    assert_eq!(field(&form, "basic", "name")["value"], "某热电有限公司");
    assert_eq!(field(&form, "basic", "name")["prefilled"], true);
    assert!(
        field(&form, "management", "permits")["value"]
            .as_str()
            .unwrap()
            .contains("P-001")
    );
    let emissions = field(&form, "pollution", "emissions")["value"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        emissions.contains("0.004") && emissions.contains("2 个小时"),
        "{emissions}"
    );
    assert!(
        field(&form, "violations", "violations")["value"]
            .as_str()
            .unwrap()
            .is_empty()
            || y != late.year(),
        "last year's violations come from last year's decisions only"
    );

    // A saves a draft of its annual report: not submitted, not public.
    let (s, v) = post(&a, &acsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": y, "kind": "annual", "values": { "basic.name": "某热电有限公司", "summary.summary": "草稿内容不应公开" }, "submit": false })).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let a_draft = v["report"]["id"].as_i64().unwrap();
    assert_eq!(v["report"]["revision"], 0);

    // A files its temporary report today: the 6th working day, late. B on the 5th: on time.
    let (s, v) = post(&a, &acsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": late.year(), "kind": "temporary", "trigger_key": format!("case:{case_a}"),
        "values": { "temporary_report.matter": "生态环境行政处罚", "temporary_report.content": "罚款十五万元" }, "submit": true })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["report"]["late"], true, "{v}");
    let (s, v) = post(
        &b,
        &bcsrf,
        server.url("/api/v1/disclosure/draft"),
        json!({
        "year": on_time.year(), "kind": "temporary", "trigger_key": format!("case:{case_b}"),
        "values": { "temporary_report.matter": "生态环境行政处罚" }, "submit": true }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["report"]["late"], false, "{v}");
    let (_, v) = get(
        &a,
        server.url(&format!("/api/v1/disclosure/dues?year={}", late.year())),
    )
    .await;
    let lapse = v["lapses"]
        .as_array()
        .unwrap()
        .iter()
        .find(|l| l["kind"] == "temporary")
        .cloned()
        .unwrap();
    assert_eq!(lapse["filed_date"], today().to_string());
    assert!(lapse["days_late"].as_i64().unwrap() >= 1, "{lapse}");
    if cal.is_working_day(today()) {
        assert_eq!(lapse["working_days_late"], 1, "{lapse}");
    }
    let (_, v) = get(
        &b,
        server.url(&format!("/api/v1/disclosure/dues?year={}", on_time.year())),
    )
    .await;
    assert!(
        !v["lapses"]
            .as_array()
            .unwrap()
            .iter()
            .any(|l| l["kind"] == "temporary"),
        "{v}"
    );

    // B submits its annual report, then amends it: a reason is required; the filing date stays.
    let (s, v) = post(&b, &bcsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": y, "kind": "annual", "values": { "basic.name": "某化工有限公司", "carbon.carbon_emissions": "1234.5" }, "submit": true })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let b_annual = v["report"]["id"].as_i64().unwrap();
    let (s, v) = post(&b, &bcsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": y, "kind": "annual", "values": { "basic.name": "某化工有限公司", "carbon.carbon_emissions": "1200" }, "submit": true })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    let (s, v) = post(&b, &bcsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": y, "kind": "annual", "values": { "basic.name": "某化工有限公司", "carbon.carbon_emissions": "1200" }, "submit": true, "reason": "更正碳排放量" })).await;
    assert_eq!(
        (s, v["report"]["revision"].clone()),
        (StatusCode::CREATED, json!(2)),
        "{v}"
    );
    // A number field takes numbers only.
    let (s, _) = post(&b, &bcsrf, server.url("/api/v1/disclosure/draft"), json!({
        "year": y, "kind": "annual", "values": { "carbon.carbon_emissions": "很多" }, "submit": false })).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);

    // The public search: submitted reports only (B's annual and temporary, A's temporary).
    let (_, v) = get(&anon, server.url("/api/v1/disclosure/reports?q=热电")).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["reports"][0]["kind"], "temporary");
    let (_, v) = get(
        &anon,
        server.url(&format!("/api/v1/disclosure/reports?q={CODE_B}")),
    )
    .await;
    assert_eq!(v["total"], 2, "{v}");
    let (s, _) = get(
        &anon,
        server.url(&format!("/api/v1/disclosure/reports/{a_draft}")),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "a draft is not public");
    let (s, v) = get(
        &anon,
        server.url(&format!("/api/v1/disclosure/reports/{b_annual}")),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["revisions"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(v["revisions"][1]["reason"], "更正碳排放量");
    let html = anon
        .get(server.url("/disclosure?q=热电"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("某热电有限公司") && !html.contains("草稿内容不应公开"));
    let html = anon
        .get(server.url(&format!("/disclosure/reports/{b_annual}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        html.contains("1200") && html.contains("更正碳排放量"),
        "{html}"
    );

    // 15 March: A's annual report is not yet late; 16 March: missing, one day late. B's (filed
    // today) is on the list as late only if today is after 15 March.
    let (_, v) = get(
        &staff,
        server.url(&format!(
            "/api/v1/disclosure/overdue?year={y}&as_of={this_year}-03-15"
        )),
    )
    .await;
    assert!(
        !v["overdue"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["kind"] == "annual" && r["credit_code"] == CODE_A),
        "{v}"
    );
    let (_, v) = get(
        &staff,
        server.url(&format!(
            "/api/v1/disclosure/overdue?year={y}&as_of={this_year}-03-16"
        )),
    )
    .await;
    let row = v["overdue"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["kind"] == "annual" && r["credit_code"] == CODE_A)
        .cloned()
        .unwrap();
    assert_eq!(
        (
            row["days_late"].clone(),
            row["filed_date"].clone(),
            row["status_label"].clone()
        ),
        (json!(1), Value::Null, json!("逾期未报")),
        "{row}"
    );
    assert_eq!(row["due_date"], format!("{this_year}-03-15"));
    // The app's fact for the credit rating says the same.
    let lapses = qingshan_app::disclosure::lateness(
        &store,
        CODE_A,
        i64::from(y),
        NaiveDate::from_ymd_opt(this_year, 3, 16).unwrap(),
    )
    .await
    .unwrap();
    assert!(
        lapses
            .iter()
            .any(|l| l.kind == qingshan_app::disclosure::ReportKind::Annual
                && l.days_late == 1
                && l.report_id == Some(a_draft))
    );
    // The overdue list and the manage page are staff's.
    let (s, _) = get(
        &a,
        server.url(&format!("/api/v1/disclosure/overdue?year={y}")),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    for path in [
        format!("/disclosure/overdue?year={y}&as_of={this_year}-03-16"),
        format!("/disclosure/manage?year={y}"),
        format!("/disclosure/mine?credit_code={CODE_A}&year={y}"),
    ] {
        let r = staff.get(server.url(&path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
    }

    // An enterprise cannot read or write another's report: 403, audited.
    let (s, _) = get(
        &a,
        server.url(&format!(
            "/api/v1/disclosure/draft?credit_code={CODE_B}&year={y}&kind=annual"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(refused(&store, "page.view", "page:/api/v1/disclosure/draft").await >= 1);
    let r = a
        .get(server.url(&format!("/disclosure/edit?credit_code={CODE_B}&year={y}")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "page.view", "page:/disclosure/edit").await >= 1);
    let (s, _) = post(&a, &acsrf, server.url("/api/v1/disclosure/draft"), json!({
        "credit_code": CODE_B, "year": y, "kind": "annual", "values": { "basic.name": "冒名" }, "submit": true })).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    assert!(refused(&store, "disclosure.submit", &format!("disclosure:{CODE_B}")).await >= 1);
    // Staff read but never write an enterprise's report.
    let (s, _) = post(
        &staff,
        &scsrf,
        server.url("/api/v1/disclosure/draft"),
        json!({
        "credit_code": CODE_B, "year": y, "kind": "annual", "values": {}, "submit": false }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = get(
        &staff,
        server.url(&format!(
            "/api/v1/disclosure/draft?credit_code={CODE_A}&year={y}&kind=annual"
        )),
    )
    .await;
    assert_eq!(s, StatusCode::OK);

    // The page form: saving a draft and submitting with the CSRF token.
    let page = a
        .get(server.url(&format!("/disclosure/edit?year={y}&kind=annual")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("草稿内容不应公开"),
        "the draft is shown back to its owner"
    );
    let token = common::hidden(&page, "csrf_token");
    let r = a
        .post(server.url("/disclosure/edit"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("year", &y.to_string()),
            ("kind", "annual"),
            ("trigger", ""),
            ("basic.name", "某热电有限公司"),
            ("summary.summary", "年度提要"),
            ("action", "submit"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::SEE_OTHER,
        "{}",
        r.text().await.unwrap()
    );
    let (_, v) = get(
        &anon,
        server.url("/api/v1/disclosure/reports?q=热电&kind=annual"),
    )
    .await;
    assert_eq!(v["total"], 1, "{v}");
    // A staff-registered trigger (permit change) is owed too.
    let (s, v) = post(&staff, &scsrf, server.url("/api/v1/disclosure/triggers"), json!({
        "credit_code": CODE_A, "kind": "permit_change", "document": "排污许可证变更通知", "event_date": today().to_string() })).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = get(
        &a,
        server.url(&format!("/api/v1/disclosure/dues?year={this_year}")),
    )
    .await;
    assert!(
        v["dues"]
            .as_array()
            .unwrap()
            .iter()
            .any(|d| d["trigger_kind"] == "permit_change" && d["status"] == "open"),
        "{v}"
    );
    // Removing from the list with a reason; the public list no longer shows it.
    let (_, v) = get(
        &staff,
        server.url(&format!(
            "/api/v1/disclosure/list?year={this_year}&q={CODE_B}"
        )),
    )
    .await;
    let id = v["listings"][0]["id"].as_i64().unwrap();
    let (s, v) = post(
        &staff,
        &scsrf,
        server.url(&format!("/api/v1/disclosure/list/{id}/remove")),
        json!({ "reason": "企业关停" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (_, v) = get(
        &anon,
        server.url(&format!("/api/v1/disclosure/list?year={this_year}")),
    )
    .await;
    assert_eq!(v["total"], 1, "{v}");
    let doc: Value = anon
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in [
        "/disclosure/reports",
        "/disclosure/reports/{id}",
        "/disclosure/list",
        "/disclosure/list/{id}/remove",
        "/disclosure/triggers",
        "/disclosure/overdue",
        "/disclosure/dues",
        "/disclosure/draft",
        "/disclosure/rules",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
    }
    let audited = store.audit_log(Some("disclosure."), 100).await.unwrap();
    for action in [
        "disclosure.list_add",
        "disclosure.list_remove",
        "disclosure.trigger",
        "disclosure.draft",
        "disclosure.submit",
        "disclosure.amend",
    ] {
        assert!(
            audited
                .iter()
                .any(|e| e.action == action && e.outcome == "ok"),
            "{action}"
        );
    }
}
