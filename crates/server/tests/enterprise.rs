//! The enterprise's own account (排污单位), end to end through the real server: staff open it
//! from the registry and see its first password once; the enterprise must change it on first
//! sign-in, then sees its own outlets, devices, data and alarms and nothing else — every other
//! route answers 403 and the refusal is audited.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Utc;
use qingshan_store::{
    Actor, AlarmEpisode, FactorValues, FrameVerdict, NewUser, ReceivedFrame, Role, Store, Upload,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNENTA0001,2017,strict,123456,3600,P-A-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MNENTB0001,2017,strict,654321,3600,P-B-001,2024-01-01,2099-12-31,w01018,50,0,,
";

/// An hourly value of the own device two hours ago, so that the home has a latest value.
fn recent_hour(mn: &str, factor: &str, value: &str) -> ReceivedFrame {
    let hour = Utc::now() + chrono::Duration::hours(8) - chrono::Duration::hours(2);
    let data_time = hour.format("%Y%m%d%H0000").to_string();
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
            factors: vec![FactorValues {
                factor: factor.into(),
                avg: Some(value.into()),
                zs_avg: Some(value.into()),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

/// A store with the two enterprises, a value and an open alarm for each device, and staff,
/// admin and a reporter.
async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("enterprise").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .ingest(&[
            recent_hour("MNENTA0001", "a21026", "12.5"),
            recent_hour("MNENTB0001", "w01018", "77.7"),
        ])
        .await
        .unwrap();
    for (mn, factor) in [("MNENTA0001", "a21026"), ("MNENTB0001", "w01018")] {
        store
            .raise_alarm(&AlarmEpisode {
                kind: "exceedance".into(),
                mn: mn.into(),
                factor: factor.into(),
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
    common::user(&store, "admin", Role::Admin, None, None).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "shuili", Role::Reporter, Some("slj"), None).await;
    (store, db)
}

/// An enterprise account with the test password, already changed (no first-sign-in gate).
async fn enterprise_user(store: &Store, username: &str, code: &str) {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                display_name: format!("{username}显示名"),
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

async fn text(c: &Client, url: String) -> (StatusCode, String) {
    let r = c.get(url).send().await.unwrap();
    (r.status(), r.text().await.unwrap())
}

fn location(r: &reqwest::Response) -> &str {
    r.headers()
        .get("location")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
}

/// The refusals audited on `target`.
async fn refusals(store: &Store, target: &str) -> usize {
    store
        .audit_log(None, 5000)
        .await
        .unwrap()
        .iter()
        .filter(|r| r.outcome == "refused" && r.target == target)
        .count()
}

#[tokio::test]
async fn staff_open_an_enterprise_account_which_changes_its_password_and_sees_only_its_own() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;

    // Staff open the account from the registry: the page lists both enterprises.
    let (staff, scsrf) = common::login(&server, "staff").await;
    let (status, page) = text(&staff, server.url("/enterprise/accounts")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("某热电有限公司") && page.contains("某化工有限公司"));
    let (_, sources) = text(&staff, server.url("/sources")).await;
    assert!(
        sources.contains("/enterprise/accounts"),
        "the registry links the account page"
    );
    let csrf = common::hidden(&page, "csrf_token");
    let open = |fields: Vec<(&'static str, String)>| {
        staff
            .post(server.url("/enterprise/accounts"))
            .form(&fields)
            .send()
    };
    // Without the CSRF token: refused and audited, nothing created.
    let r = open(vec![
        ("credit_code", CODE_A.into()),
        ("username", "plant-a".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(store.user_credentials("plant-a").await.unwrap().is_none());
    // A code with a wrong check character, and a valid code not in the registry.
    let bad = CODE_A.replace("XG", "X1");
    let r = open(vec![
        ("csrf_token", csrf.clone()),
        ("credit_code", bad),
        ("username", "plant-a".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("校验位"));
    let r = open(vec![
        ("csrf_token", csrf.clone()),
        ("credit_code", "91140900MA0K00000D".into()),
        ("username", "plant-a".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("污染源名录中没有"));
    // Opened: the first password is on this answer, once.
    let r = open(vec![
        ("csrf_token", csrf.clone()),
        ("credit_code", CODE_A.into()),
        ("username", "plant-a".into()),
        ("display_name", "".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let body = r.text().await.unwrap();
    let start = body
        .find("<code id=\"initial-password\">")
        .expect("password shown")
        + 28;
    let password = body[start..].split('<').next().unwrap().to_string();
    assert_eq!(password.chars().count(), 16);
    let u = store.user_credentials("plant-a").await.unwrap().unwrap().0;
    assert_eq!(
        (u.role, u.credit_code.as_deref(), u.must_change_password),
        (Role::Enterprise, Some(CODE_A), true)
    );
    assert_eq!(
        u.display_name, "某热电有限公司",
        "the registered name by default"
    );
    let (_, again) = text(&staff, server.url("/enterprise/accounts")).await;
    assert!(!again.contains(&password), "shown once only");
    assert!(again.contains("尚未修改初始密码"));
    let log = store.audit_log(None, 5000).await.unwrap();
    assert!(
        log.iter().all(|r| !format!("{r:?}").contains(&password)),
        "never logged"
    );
    assert!(
        log.iter()
            .any(|r| r.action == "user.create" && r.outcome == "ok" && r.target == "user:plant-a")
    );
    // The same name again is a conflict.
    let r = open(vec![
        ("csrf_token", csrf.clone()),
        ("credit_code", CODE_B.into()),
        ("username", "plant-a".into()),
    ])
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);

    // A reporter cannot open enterprise accounts, on the page or the API; both audited.
    let (reporter, rcsrf) = common::login(&server, "shuili").await;
    let r = reporter
        .post(server.url("/enterprise/accounts"))
        .form(&[
            ("csrf_token", rcsrf.as_str()),
            ("credit_code", CODE_B),
            ("username", "plant-b"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = reporter
        .post(server.url("/api/v1/enterprise-accounts"))
        .header("x-csrf-token", &rcsrf)
        .json(&json!({ "credit_code": CODE_B, "username": "plant-b" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(store.user_credentials("plant-b").await.unwrap().is_none());
    assert_eq!(refusals(&store, "user:plant-b").await, 2);
    // Staff may through the API: 201 with the first password.
    let r = staff
        .post(server.url("/api/v1/enterprise-accounts"))
        .header("x-csrf-token", &scsrf)
        .json(&json!({ "credit_code": CODE_B, "username": "plant-b" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let created: Value = r.json().await.unwrap();
    assert_eq!(created["user"]["credit_code"], CODE_B);
    assert_eq!(
        created["initial_password"]
            .as_str()
            .unwrap()
            .chars()
            .count(),
        16
    );

    // The enterprise signs in with the first password: everything leads to the password page.
    let ent = common::client();
    let (status, _) = common::try_login(&server, &ent, "plant-a", &password).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    for path in [
        "/",
        "/enterprise",
        "/sources",
        "/sources/devices/MNENTA0001",
    ] {
        let r = ent.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "{path}");
        assert_eq!(location(&r), "/account/password", "{path}");
    }
    let r = ent
        .get(server.url("/api/v1/sources/devices"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let e: Value = r.json().await.unwrap();
    assert!(
        e["message"].as_str().unwrap().contains("须先修改密码"),
        "{e}"
    );
    let (status, form) = text(&ent, server.url("/account/password")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("须先修改密码"));
    let pcsrf = common::hidden(&form, "csrf_token");
    let r = ent
        .post(server.url("/account/password"))
        .form(&[
            ("csrf_token", pcsrf.as_str()),
            ("current", password.as_str()),
            ("new", "Rebo-2026-plant"),
            ("confirm", "Rebo-2026-plant"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(
        !store
            .user_credentials("plant-a")
            .await
            .unwrap()
            .unwrap()
            .0
            .must_change_password
    );

    // Signed in again: home at /enterprise, its own device only.
    let ent = common::client();
    let (status, _) = common::try_login(&server, &ent, "plant-a", "Rebo-2026-plant").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = ent.get(server.url("/")).send().await.unwrap();
    assert_eq!(location(&r), "/enterprise");
    let (status, home) = text(&ent, server.url("/enterprise")).await;
    assert_eq!(status, StatusCode::OK);
    for want in [
        "某热电有限公司",
        CODE_A,
        "MNENTA0001",
        "二氧化硫",
        "12.5",
        "P-A-001",
        "超标",
        "2026-03-01 08:00",
    ] {
        assert!(home.contains(want), "home lacks {want}");
    }
    for other in ["某化工有限公司", "MNENTB0001", "77.7", "P-B-001"] {
        assert!(!home.contains(other), "home shows {other}");
    }
    assert!(
        !home.contains("href=\"/admin/audit\"") && !home.contains("href=\"/plan\""),
        "nav"
    );
    let (_, list) = text(&ent, server.url("/sources")).await;
    assert!(list.contains("MNENTA0001") && !list.contains("MNENTB0001"));
    let api: Value = ent
        .get(server.url("/api/v1/sources/devices"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mns: Vec<&str> = api["devices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["mn"].as_str().unwrap())
        .collect();
    assert_eq!(mns, ["MNENTA0001"]);
    let (status, _) = text(&ent, server.url("/sources/devices/MNENTA0001")).await;
    assert_eq!(status, StatusCode::OK);

    // Another enterprise's device page, data API and statistics: 403, each refusal audited.
    let before = refusals(&store, "device:MNENTB0001").await;
    for path in [
        "/sources/devices/MNENTB0001",
        "/api/v1/sources/devices/MNENTB0001/data?factor=w01018&from=20260301000000&to=20260302000000",
        "/api/v1/sources/devices/MNENTB0001/statistics?year=2026&month=3",
    ] {
        let (status, body) = text(&ent, server.url(path)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert!(body.contains("本单位"), "{path}: {body}");
    }
    assert_eq!(refusals(&store, "device:MNENTB0001").await, before + 3);
    // Exports and the staff's lists are closed too, audited.
    for path in [
        "/sources/registry.csv",
        "/sources/registry.xlsx",
        "/api/v1/alarms.csv",
        "/api/v1/alarms.xlsx",
    ] {
        let (status, _) = text(&ent, server.url(path)).await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}");
        assert_eq!(refusals(&store, &format!("page:{path}")).await, 1, "{path}");
    }
}

/// An admin's reset makes the user change the password on signing in.
#[tokio::test]
async fn an_admin_reset_forces_a_password_change() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (admin, csrf) = common::login(&server, "admin").await;
    let id = store
        .user_credentials("shuili")
        .await
        .unwrap()
        .unwrap()
        .0
        .id;
    let r = admin
        .post(server.url(&format!("/admin/users/{id}/reset")))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("password", "Reset-by-admin-1"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let c = common::client();
    let (status, _) = common::try_login(&server, &c, "shuili", "Reset-by-admin-1").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let r = c.get(server.url("/plan")).send().await.unwrap();
    assert_eq!(location(&r), "/account/password");
    let r = c.get(server.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// The admin's account page opens enterprise accounts too (the password generated, shown once).
#[tokio::test]
async fn the_admin_page_opens_enterprise_accounts() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (admin, _) = common::login(&server, "admin").await;
    let (_, page) = text(&admin, server.url("/admin/users")).await;
    assert!(page.contains("排污单位"));
    let csrf = common::hidden(&page, "csrf_token");
    let r = admin
        .post(server.url("/admin/users"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "plant-b"),
            ("display_name", ""),
            ("role", "enterprise"),
            ("credit_code", CODE_B),
            ("password", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.text().await.unwrap().contains("initial-password"));
    let u = store.user_credentials("plant-b").await.unwrap().unwrap().0;
    assert_eq!(
        (u.role, u.credit_code.as_deref(), u.must_change_password),
        (Role::Enterprise, Some(CODE_B), true)
    );
    let r = admin
        .post(server.url("/admin/users"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("username", "plant-x"),
            ("role", "enterprise"),
            ("password", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

/// Every route of the server, decided for an enterprise account: its own device 200, another
/// enterprise's 403, everything staff-only or beyond its enterprise 403 — each refusal audited.
/// The routes are read from the sources, so a new route is decided here (403 unless listed in
/// `web::scope::ENTERPRISE_ROUTES`) the day it is added.
#[tokio::test]
async fn every_route_decided_for_an_enterprise_account() {
    let (store, _db) = seeded().await;
    enterprise_user(&store, "plant-a", CODE_A).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "plant-a").await;
    let data = "factor=a21026&from=20260301000000&to=20260302000000";
    let table: &[(&str, &str, u16)] = &[
        ("GET", "/enterprise", 200),
        ("GET", "/api/v1/enterprise", 200),
        ("GET", "/sources", 200),
        ("GET", "/sources/devices/MNENTA0001", 200),
        ("GET", "/sources/devices/MNENTB0001", 403),
        ("GET", "/sources/devices/MNUNKNOWN", 403),
        ("GET", "/api/v1/sources/devices", 200),
        ("GET", "/api/v1/sources/devices/MNENTA0001/data", 200),
        ("GET", "/api/v1/sources/devices/MNENTB0001/data", 403),
        (
            "GET",
            "/api/v1/sources/devices/MNENTA0001/statistics?year=2026&month=3",
            200,
        ),
        (
            "GET",
            "/api/v1/sources/devices/MNENTB0001/statistics?year=2026&month=3",
            403,
        ),
        // The gaps of its own device; another enterprise's are refused.
        ("GET", "/sources/devices/MNENTA0001/gaps", 200),
        ("GET", "/sources/devices/MNENTB0001/gaps", 403),
        ("GET", "/api/v1/sources/devices/MNENTA0001/gaps", 200),
        ("GET", "/api/v1/sources/devices/MNENTB0001/gaps", 403),
        // Its own devices' analyser parameters and clock, not another's.
        ("GET", "/sources/devices/MNENTA0001/params", 200),
        ("GET", "/sources/devices/MNENTB0001/params", 403),
        ("GET", "/api/v1/sources/devices/MNENTA0001/params", 200),
        ("GET", "/api/v1/sources/devices/MNENTB0001/params", 403),
        ("GET", "/api/v1/sources/devices/MNENTA0001/clock", 200),
        ("GET", "/api/v1/sources/devices/MNENTB0001/clock", 403),
        ("GET", "/api/v1/me", 200),
        ("GET", "/account/password", 200),
        ("GET", "/assets/app.css", 200),
        ("GET", "/healthz", 200),
        ("GET", "/", 303),
        ("GET", "/login", 200),
        ("GET", "/admin/users", 403),
        ("GET", "/admin/audit", 403),
        ("GET", "/api/v1/audit", 403),
        // Its own incidents and data marks; another enterprise's incident is refused.
        ("GET", "/alarms", 200),
        ("GET", "/incidents/1", 200),
        ("GET", "/incidents/2", 403),
        ("GET", "/api/v1/incidents", 200),
        ("GET", "/api/v1/incidents/1", 200),
        ("GET", "/api/v1/incidents/2", 403),
        ("GET", "/marks", 200),
        ("GET", "/marks/new?mn=MNENTA0001", 200),
        ("GET", "/marks/1", 404),
        ("GET", "/marks/evidence/1", 404),
        ("GET", "/api/v1/marks", 200),
        ("GET", "/api/v1/marks/1", 404),
        ("GET", "/api/v1/marks/rule", 200),
        // Orders addressed to it (none yet: an unknown one is 404).
        ("GET", "/orders", 200),
        ("GET", "/orders/1", 404),
        ("GET", "/orders/evidence/1", 404),
        ("GET", "/api/v1/orders", 200),
        ("GET", "/api/v1/orders/1", 404),
        ("POST", "/orders/new", 403),
        ("POST", "/orders/1/accept", 403),
        ("POST", "/api/v1/orders", 403),
        ("POST", "/api/v1/orders/1/return", 403),
        // Cases against it (none yet: an unknown one is 404); opening and deciding are the bureau's.
        ("GET", "/cases", 200),
        ("GET", "/cases/1", 404),
        ("GET", "/cases/1/case.pdf", 404),
        ("GET", "/cases/documents/1", 404),
        ("GET", "/api/v1/cases", 200),
        ("GET", "/api/v1/cases/1", 404),
        ("GET", "/api/v1/legal-bases", 200),
        ("GET", "/cases/new", 403),
        ("POST", "/cases", 403),
        ("POST", "/cases/1/decide", 403),
        ("POST", "/cases/1/check", 403),
        ("POST", "/cases/1/close", 403),
        ("POST", "/api/v1/cases", 403),
        ("POST", "/api/v1/cases/1/decide", 403),
        ("POST", "/api/v1/cases/1/check", 403),
        ("POST", "/api/v1/cases/1/close", 403),
        // 绩效分级: the public list, its own records and applications; its own entries of the
        // 应急减排清单, read only; review, publishing and the list's edits are the bureau's.
        ("GET", "/heavy/grades", 200),
        ("GET", "/heavy/grades/apply", 200),
        ("GET", "/heavy/grades/1", 404),
        ("GET", "/heavy/grades/documents/1", 404),
        ("GET", "/api/v1/heavy/rules", 200),
        ("GET", "/api/v1/heavy/grades", 200),
        ("GET", "/api/v1/heavy/grades/1", 404),
        ("GET", "/heavy/reductions", 200),
        ("GET", "/api/v1/heavy/reductions", 200),
        ("POST", "/heavy/grades/record", 403),
        ("POST", "/heavy/grades/1/review", 403),
        ("POST", "/heavy/grades/1/publish", 403),
        ("POST", "/heavy/reductions", 403),
        ("POST", "/heavy/reductions/remove", 403),
        ("POST", "/heavy/baselines", 403),
        ("POST", "/api/v1/heavy/reductions", 403),
        ("POST", "/api/v1/heavy/grades/1/review", 403),
        ("POST", "/api/v1/heavy/grades/1/publish", 403),
        // Heavy-pollution warnings: the list and its notices; unknown warnings and notices 404;
        // issuing and every step staff-only.
        ("GET", "/heavy/warnings", 200),
        ("GET", "/heavy/warnings/1", 404),
        ("GET", "/heavy/warnings/1/report.html", 404),
        ("GET", "/heavy/warnings/1/report.pdf", 404),
        ("GET", "/heavy/warnings/1/report.xlsx", 404),
        ("GET", "/api/v1/heavy/warnings", 200),
        ("GET", "/api/v1/heavy/warnings/1", 404),
        ("GET", "/api/v1/heavy/warnings/1/report", 404),
        ("POST", "/heavy/warnings/notices/1/confirm", 404),
        ("POST", "/api/v1/heavy/warnings/notices/1/confirm", 404),
        ("POST", "/heavy/warnings", 403),
        ("POST", "/heavy/warnings/1/raise", 403),
        ("POST", "/heavy/warnings/1/lower", 403),
        ("POST", "/heavy/warnings/1/lift", 403),
        ("POST", "/api/v1/heavy/warnings", 403),
        ("POST", "/api/v1/heavy/warnings/1/raise", 403),
        ("POST", "/api/v1/heavy/warnings/1/lower", 403),
        ("POST", "/api/v1/heavy/warnings/1/lift", 403),
        // Inspection rectification lists (督察整改) are the bureau's, the units' and the counties'.
        ("GET", "/inspections", 403),
        ("GET", "/inspections/new", 403),
        ("GET", "/inspections/public", 403),
        ("GET", "/inspections/register.csv", 403),
        ("GET", "/inspections/register.xlsx", 403),
        ("GET", "/inspections/1", 403),
        ("GET", "/inspections/evidence/1", 403),
        ("POST", "/inspections", 403),
        ("POST", "/inspections/1/revise", 403),
        ("POST", "/inspections/1/report", 403),
        ("POST", "/inspections/1/close", 403),
        ("POST", "/inspections/1/reopen", 403),
        ("GET", "/api/v1/inspections", 403),
        ("GET", "/api/v1/inspections/public", 403),
        ("GET", "/api/v1/inspections/1", 403),
        ("POST", "/api/v1/inspections", 403),
        ("POST", "/api/v1/inspections/1/revise", 403),
        ("POST", "/api/v1/inspections/1/report", 403),
        ("POST", "/api/v1/inspections/1/close", 403),
        ("POST", "/api/v1/inspections/1/reopen", 403),
        ("POST", "/alarms/bulk", 403),
        ("POST", "/api/v1/incidents/bulk", 403),
        ("GET", "/api/v1/alarms", 403),
        ("GET", "/enterprise/accounts", 403),
        ("GET", "/sources/edit", 403),
        ("GET", "/plan", 403),
        ("GET", "/indicators/6", 403),
        ("POST", "/indicators/6/values", 403),
        ("POST", "/admin/users", 403),
        ("POST", "/enterprise/accounts", 403),
        ("POST", "/api/v1/enterprise-accounts", 403),
        ("POST", "/api/v1/tokens", 403),
        ("POST", "/sources/import", 403),
        ("POST", "/alarms/1/acknowledge", 403),
        ("POST", "/api/v1/alarms/1/acknowledge", 403),
        // Remote commands (反控): staff only, even on its own device.
        ("POST", "/sources/devices/MNENTA0001/commands", 403),
        ("GET", "/api/v1/sources/devices/MNENTA0001/commands", 403),
        ("POST", "/api/v1/sources/devices/MNENTA0001/commands", 403),
        // The task ledger is the departments' and counties' (issue 17).
        ("GET", "/tasks/3/1/items", 403),
        ("GET", "/ledger", 403),
        ("GET", "/ledger/items/3-1-1", 403),
        ("GET", "/ledger/evidence/1", 403),
        ("POST", "/ledger/items", 403),
        ("POST", "/ledger/items/3-1-1/revise", 403),
        ("POST", "/ledger/items/3-1-1/reports", 403),
        ("POST", "/ledger/reports/1/review", 403),
        ("GET", "/api/v1/ledger/items", 403),
        ("GET", "/api/v1/ledger/items/3-1-1", 403),
        ("GET", "/api/v1/ledger/attention", 403),
        ("GET", "/api/v1/ledger/todo", 403),
        ("POST", "/api/v1/ledger/items", 403),
        ("POST", "/api/v1/ledger/items/3-1-1/revisions", 403),
        ("POST", "/api/v1/ledger/items/3-1-1/reports", 403),
        ("POST", "/api/v1/ledger/reports/1/review", 403),
        // Public participation: the staff's pages are closed; the public pages, comments and
        // the questionnaire are everyone's (no consultation exists here: 404; an empty
        // questionnaire or a form body on the JSON route: 422).
        ("GET", "/consultations", 403),
        ("GET", "/consultations/new", 403),
        ("GET", "/consultations/1", 403),
        ("POST", "/consultations", 403),
        ("POST", "/consultations/1/revise", 403),
        ("POST", "/consultations/1/decide", 403),
        ("POST", "/consultations/1/summary", 403),
        ("POST", "/consultations/comments/1/moderate", 403),
        ("GET", "/public/consultations", 200),
        ("GET", "/public/consultations/1", 404),
        ("POST", "/public/consultations/1/comments", 404),
        ("GET", "/public/consultations/documents/1", 404),
        ("GET", "/public/satisfaction", 200),
        ("POST", "/public/satisfaction", 422),
        ("GET", "/api/v1/consultations", 200),
        ("POST", "/api/v1/consultations", 403),
        ("GET", "/api/v1/consultations/challenge", 200),
        ("GET", "/api/v1/consultations/satisfaction", 200),
        ("POST", "/api/v1/consultations/satisfaction", 422),
        ("GET", "/api/v1/consultations/1", 404),
        ("POST", "/api/v1/consultations/1/revise", 403),
        ("GET", "/api/v1/consultations/1/comments", 403),
        ("POST", "/api/v1/consultations/1/comments", 422),
        ("POST", "/api/v1/consultations/1/decisions", 403),
        ("POST", "/api/v1/consultations/1/summary", 403),
        ("POST", "/api/v1/consultations/comments/1/moderate", 403),
        ("GET", "/api/v1/consultations/comments/1/contact", 403),
        // 信息公开: the public portal, its downloads and read API are everyone's.
        ("GET", "/public", 200),
        ("GET", "/public/air", 200),
        ("GET", "/public/water", 200),
        ("GET", "/public/plan", 200),
        ("GET", "/public/sources", 200),
        ("GET", "/public/data/air-daily.csv", 200),
        ("GET", "/public/data/air-daily.xlsx", 200),
        ("GET", "/public/data/water-sections.csv", 200),
        ("GET", "/public/data/water-sections.xlsx", 200),
        ("GET", "/public/data/plan-progress.csv", 200),
        ("GET", "/public/data/plan-progress.xlsx", 200),
        ("GET", "/api/v1/public/home", 200),
        ("GET", "/api/v1/public/air/daily", 200),
        ("GET", "/api/v1/public/water/sections", 200),
        ("GET", "/api/v1/public/plan", 200),
        // The complaints desk: an enterprise account is refused even the public form (its
        // people file as citizens, signed out) and never sees who complained about it.
        ("GET", "/public/complaints", 200),
        ("GET", "/api/v1/complaints/stats", 200),
        ("POST", "/public/complaints/new", 403),
        ("POST", "/public/complaints/track", 403),
        ("POST", "/public/complaints/rate", 403),
        ("POST", "/complaints/1/accept", 403),
        ("POST", "/complaints/1/reject", 403),
        ("POST", "/complaints/1/merge", 403),
        ("POST", "/complaints/1/route", 403),
        ("POST", "/complaints/1/handle", 403),
        ("POST", "/api/v1/complaints/submissions", 403),
        ("POST", "/api/v1/complaints/track", 403),
        ("POST", "/api/v1/complaints/rate", 403),
        ("POST", "/api/v1/complaints/1/accept", 403),
        ("POST", "/api/v1/complaints/1/reject", 403),
        ("POST", "/api/v1/complaints/1/merge", 403),
        ("POST", "/api/v1/complaints/1/route", 403),
        ("POST", "/api/v1/complaints/1/handle", 403),
        // 环境信用 (issue 18): the public lookup, its own ratings (none yet: 404), objections and
        // repairs on its own; computing, publishing, findings and decisions are the bureau's.
        ("GET", "/credit", 200),
        ("GET", "/credit/ratings", 200),
        ("GET", "/credit/ratings.xlsx", 200),
        ("GET", "/credit/ratings/1", 404),
        ("GET", "/credit/findings/1", 404),
        ("GET", "/credit/evidence/1", 404),
        ("GET", "/api/v1/credit/rules", 200),
        ("GET", "/api/v1/credit/lookup", 200),
        ("GET", "/api/v1/credit/ratings", 200),
        ("GET", "/api/v1/credit/ratings/1", 404),
        // Passed by the gate; the table's form body is not the JSON these take.
        ("POST", "/api/v1/credit/ratings/1/objections", 415),
        ("POST", "/api/v1/credit/ratings/1/repairs", 415),
        ("POST", "/credit/ratings/compute", 403),
        ("POST", "/credit/ratings/1/publish", 403),
        ("POST", "/credit/findings", 403),
        ("POST", "/credit/objections/1/decide", 403),
        ("POST", "/credit/repairs/1/decide", 403),
        ("POST", "/api/v1/credit/ratings/compute", 403),
        ("POST", "/api/v1/credit/ratings/1/publish", 403),
        ("POST", "/api/v1/credit/findings", 403),
        ("POST", "/api/v1/credit/objections/1/decide", 403),
        ("POST", "/api/v1/credit/repairs/1/decide", 403),
        // 企业环境信息依法披露: what the public reads, its own reports (not on a list here:
        // nothing owed, so a form is 404), never another's; the list and overdue are staff's.
        ("GET", "/disclosure", 200),
        ("GET", "/disclosure/list", 200),
        ("GET", "/disclosure/reports/1", 404),
        ("GET", "/disclosure/mine", 200),
        (
            "GET",
            "/disclosure/mine?credit_code=91110000802100433B",
            403,
        ),
        ("GET", "/disclosure/edit", 404),
        ("POST", "/disclosure/edit", 422),
        ("GET", "/disclosure/manage", 403),
        ("POST", "/disclosure/manage/list", 403),
        ("POST", "/disclosure/manage/list/1/remove", 403),
        ("POST", "/disclosure/manage/triggers", 403),
        ("GET", "/disclosure/overdue", 403),
        ("GET", "/api/v1/disclosure/reports", 200),
        ("GET", "/api/v1/disclosure/reports/1", 404),
        ("GET", "/api/v1/disclosure/list", 200),
        ("POST", "/api/v1/disclosure/list", 403),
        ("POST", "/api/v1/disclosure/list/1/remove", 403),
        ("POST", "/api/v1/disclosure/triggers", 403),
        ("GET", "/api/v1/disclosure/overdue", 403),
        ("GET", "/api/v1/disclosure/dues", 200),
        ("GET", "/api/v1/disclosure/draft", 404),
        (
            "GET",
            "/api/v1/disclosure/draft?credit_code=91110000802100433B",
            403,
        ),
        ("POST", "/api/v1/disclosure/draft", 422),
        ("GET", "/api/v1/disclosure/rules", 200),
        ("POST", "/heavy/reductions/import", 403),
        // The quarantine of unknown MNs is the staff's (issue 20's paging).
        ("GET", "/api/v1/sources/quarantine", 403),
    ];
    let mut decided: Vec<String> = Vec::new();
    for (method, path, want) in table {
        let url = if path.ends_with("/data") {
            server.url(&format!("{path}?{data}"))
        } else {
            server.url(path)
        };
        let r = match *method {
            "GET" => c.get(url).send().await.unwrap(),
            _ => c
                .post(url)
                .header("x-csrf-token", &csrf)
                .form(&[("csrf_token", csrf.as_str())])
                .send()
                .await
                .unwrap(),
        };
        assert_eq!(r.status().as_u16(), *want, "{method} {path}");
        if *want == 403 {
            let bare = path.split('?').next().unwrap();
            let target = match bare
                .split('/')
                .find(|s| s.starts_with("MNENT") || *s == "MNUNKNOWN")
            {
                // Refused by the gate before any handler looks at the device.
                Some(_) if bare.ends_with("/commands") => format!("page:{bare}"),
                Some(mn) if bare.contains("/devices/") => format!("device:{mn}"),
                _ if bare.contains("/incidents/") && !bare.ends_with("/bulk") => {
                    format!("incident:{}", bare.rsplit('/').next().unwrap())
                }
                _ => format!("page:{bare}"),
            };
            assert!(
                refusals(&store, &target).await >= 1,
                "{method} {path} not audited as {target}"
            );
        }
        decided.push(path.split('?').next().unwrap().to_string());
    }

    // Every other route in the sources: closed to an enterprise account, and audited.
    let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut routes = Vec::new();
    collect_routes(&src, &mut routes);
    assert!(routes.len() > 60, "routes read: {}", routes.len());
    let allowed = [
        "/logout",
        "/login",
        "/account/password",
        "/assets/app.css",
        "/healthz",
    ];
    for route in routes {
        let path = route
            .replace("{mn}", "MNENTB0001")
            .replace("{number}", "6")
            .replace("{id}", "1")
            .replace("{code}", "140902")
            .replace("{area}", "air")
            .replace("{file}", "x.pdf")
            .replace("{action}", "close");
        if decided.contains(&path)
            || allowed.contains(&path.as_str())
            || path.starts_with("/assets/")
        {
            continue;
        }
        let r = c.get(server.url(&path)).send().await.unwrap();
        assert_eq!(
            r.status(),
            StatusCode::FORBIDDEN,
            "GET {route} as an enterprise account"
        );
        let target = if path.contains("/devices/MNENTB0001") {
            "device:MNENTB0001".to_string()
        } else {
            format!("page:{path}")
        };
        assert!(
            refusals(&store, &target).await >= 1,
            "GET {route} not audited"
        );
    }
}

/// The paths of every `.route("…")` under `dir`.
fn collect_routes(dir: &std::path::Path, out: &mut Vec<String>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            collect_routes(&p, out);
        } else if p.extension().is_some_and(|e| e == "rs") {
            let text = std::fs::read_to_string(&p).unwrap();
            for piece in text.split(".route(").skip(1) {
                let piece = piece.trim_start();
                if let Some(rest) = piece.strip_prefix('"') {
                    out.push(rest.split('"').next().unwrap().to_string());
                }
            }
        }
    }
}

/// An enterprise account sees its own incident and none of another's, and files a data mark
/// for its own device only; the refusal is audited.
#[tokio::test]
async fn an_enterprise_sees_its_incidents_and_marks_its_own_devices() {
    let (store, _db) = seeded().await;
    enterprise_user(&store, "plant-a", CODE_A).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "plant-a").await;

    let v: Value = c
        .get(server.url("/api/v1/incidents"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let mns: Vec<&str> = v["incidents"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["mn"].as_str().unwrap())
        .collect();
    assert_eq!(mns, ["MNENTA0001"], "{v}");
    let (status, page) = text(&c, server.url("/alarms")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("MNENTA0001") && !page.contains("MNENTB0001"));

    let mark = |mn: &str| {
        json!({ "mn": mn, "kind": "maintenance", "start": "2026-03-01 08:00",
                "end": "2026-03-01 11:00", "reason": "例行维护" })
    };
    let own = c
        .post(server.url("/api/v1/marks"))
        .header("x-csrf-token", &csrf)
        .json(&mark("MNENTA0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(
        own.status(),
        StatusCode::CREATED,
        "{}",
        own.text().await.unwrap()
    );
    let other = c
        .post(server.url("/api/v1/marks"))
        .header("x-csrf-token", &csrf)
        .json(&mark("MNENTB0001"))
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let refused = store
        .audit_log(Some("data_mark.file"), 10)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "refused")
        .count();
    assert_eq!(refused, 1, "the refused mark is audited");
    let v: Value = c
        .get(server.url("/api/v1/marks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1, "{v}");
}
