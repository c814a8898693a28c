//! Heavy-pollution response, first half, end to end through the real server: staff fill in
//! baselines and the yellow-level 应急减排清单 on the web; a list that cuts only 7 % of the
//! baseline shows the 3-point shortfall, and meets the 10 % once another enterprise's measures
//! are added. An enterprise applies for a 绩效分级 with a document; another county's official
//! cannot review it (403, audited); its own county approves with an internal note; staff
//! publish; the public list shows the grade without the note. An enterprise cannot apply for
//! another enterprise (403, audited).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, NewUser, Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::Value;

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某焦化有限公司,140902,DA001,1号焦炉烟囱,gas,MNHEAVYA0001,2017,strict,123456,3600,P-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某水泥有限公司,140981,DA009,窑尾,gas,MNHEAVYB0001,2017,strict,123456,3600,P-009,2024-01-01,2099-12-31,a21026,35,1,6,
";

async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("heavy").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
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

fn multipart(fields: &[(&str, &str)], file: Option<(&str, &[u8])>) -> (String, Vec<u8>) {
    let boundary = "----qingshanheavy";
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

async fn post_form(c: &Client, url: String, fields: &[(&str, &str)]) -> reqwest::Response {
    c.post(url).form(fields).send().await.unwrap()
}

#[tokio::test]
async fn a_list_at_seven_percent_shows_the_three_point_shortfall() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;

    // Baselines: A 60 kg/h SO₂, B 40 kg/h: the base is 100 kg/h.
    for (code, so2) in [(CODE_A, "60"), (CODE_B, "40")] {
        let r = post_form(
            &staff,
            server.url("/heavy/baselines"),
            &[
                ("csrf_token", &csrf),
                ("credit_code", code),
                ("so2", so2),
                ("nox", "0"),
                ("pm", "5"),
                ("vocs", "0"),
                ("note", "2025 年正常工况"),
            ],
        )
        .await;
        assert_eq!(r.status(), StatusCode::SEE_OTHER, "baseline of {code}");
    }
    // A's yellow measures: 限产 20 % and a stopped process, 7 kg/h SO₂ on its outlet DA001.
    let (status, form) = text(
        &staff,
        server.url(&format!(
            "/heavy/reductions/edit?credit_code={CODE_A}&level=yellow"
        )),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("某焦化有限公司") && form.contains("黄色预警"));
    let r = post_form(
        &staff,
        server.url("/heavy/reductions"),
        &[
            ("csrf_token", &csrf),
            ("credit_code", CODE_A),
            ("level", "yellow"),
            ("measure_code", "limit"),
            ("measure_percent", "20"),
            ("measure_process", ""),
            ("measure_code", "stop_process"),
            ("measure_percent", ""),
            ("measure_process", "2号焦炉推焦"),
            ("measure_code", ""),
            ("measure_percent", ""),
            ("measure_process", ""),
            ("so2", "7.0"),
            ("nox", "0"),
            ("pm", "0.5"),
            ("vocs", "0"),
            ("outlets", "DA001"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (status, page) = text(&staff, server.url("/heavy/reductions?level=yellow")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        page.contains("差 3.0 个百分点（已达 7.0 %，要求 10.0 %）"),
        "{page}"
    );
    assert!(page.contains("限产 20 %") && page.contains("停用工序：2号焦炉推焦"));
    assert!(page.contains("MNHEAVYA0001"));
    // Particulate matter: 0.5 of 10 kg/h is 5 %, 5 points short; NOx has no baseline.
    assert!(page.contains("差 5.0 个百分点（已达 5.0 %，要求 10.0 %）"));
    assert!(page.contains("无基准排放，不考核"));

    // The API says the same, exactly.
    let v: Value = staff
        .get(server.url("/api/v1/heavy/reductions?level=yellow"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let so2 = &v["check"]["pollutants"][0];
    assert_eq!(so2["pollutant"], "so2");
    assert_eq!(so2["achieved_percent"], "7.0");
    assert_eq!(so2["shortfall_points"], "3.0");
    assert_eq!(so2["met"], false);
    assert_eq!(v["entries"][0]["mns"][0], "MNHEAVYA0001");

    // An outlet A does not have is refused, audited, and changes nothing.
    let r = post_form(
        &staff,
        server.url("/heavy/reductions"),
        &[
            ("csrf_token", &csrf),
            ("credit_code", CODE_A),
            ("level", "yellow"),
            ("measure_code", "stop"),
            ("so2", "60"),
            ("outlets", "DA009"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert_eq!(
        refused(
            &store,
            "heavy_reduction.save",
            &format!("enterprise:{CODE_A} level:yellow")
        )
        .await,
        1
    );

    // B adds 3 kg/h at yellow (its own outlet DA009): 10 % is met.
    let r = post_form(
        &staff,
        server.url("/heavy/reductions"),
        &[
            ("csrf_token", &csrf),
            ("credit_code", CODE_B),
            ("level", "yellow"),
            ("measure_code", "transport"),
            ("so2", "3"),
            ("pm", "0.5"),
            ("outlets", "DA009"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v: Value = staff
        .get(server.url("/api/v1/heavy/reductions?level=yellow"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["check"]["pollutants"][0]["achieved_percent"], "10.0");
    assert_eq!(v["check"]["pollutants"][0]["met"], true);
    assert_eq!(v["check"]["pollutants"][2]["achieved_percent"], "10.0");
    assert_eq!(v["entries"].as_array().unwrap().len(), 2);

    // A county official sees its county's entries only; an enterprise its own, without the
    // city-wide check; the public nothing.
    let (county, _) = common::login(&server, "county-b").await;
    let v: Value = county
        .get(server.url("/api/v1/heavy/reductions?level=yellow"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    assert_eq!(v["entries"][0]["credit_code"], CODE_B);
    let (plant, _) = common::login(&server, "plant-a").await;
    let v: Value = plant
        .get(server.url("/api/v1/heavy/reductions?level=yellow"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["entries"].as_array().unwrap().len(), 1);
    assert_eq!(v["entries"][0]["credit_code"], CODE_A);
    assert!(v["check"].is_null());
    let r = common::client()
        .get(server.url("/heavy/reductions"))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::OK);
    // An enterprise cannot edit the list.
    let (plant_csrf_client, plant_csrf) = common::login(&server, "plant-b").await;
    let r = post_form(
        &plant_csrf_client,
        server.url("/heavy/reductions"),
        &[
            ("csrf_token", &plant_csrf),
            ("credit_code", CODE_B),
            ("level", "yellow"),
            ("measure_code", "self"),
            ("so2", "40"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn a_grade_goes_from_application_through_county_review_to_the_public_list() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (plant, plant_csrf) = common::login(&server, "plant-a").await;

    let (status, form) = text(&plant, server.url("/heavy/grades/apply")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(form.contains("焦化") && form.contains("申请升级"));

    // An enterprise cannot apply for another enterprise.
    let r = post_multipart(
        &plant,
        server.url("/heavy/grades/apply"),
        &[
            ("csrf_token", &plant_csrf),
            ("credit_code", CODE_B),
            ("industry", "cement_clinker"),
            ("grade", "A"),
            ("valid_from", "2026-01-01"),
        ],
        Some(("申请表.pdf", b"%PDF-1.4 other")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused(&store, "heavy_grade.apply", &format!("enterprise:{CODE_B}")).await,
        1
    );
    // A grade its industry does not use is refused.
    let r = post_multipart(
        &plant,
        server.url("/heavy/grades/apply"),
        &[
            ("csrf_token", &plant_csrf),
            ("credit_code", CODE_A),
            ("industry", "coking"),
            ("grade", "lead"),
            ("valid_from", "2026-01-01"),
        ],
        Some(("申请表.pdf", b"%PDF-1.4 grade")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // Its own application, with a document.
    let r = post_multipart(
        &plant,
        server.url("/heavy/grades/apply"),
        &[
            ("csrf_token", &plant_csrf),
            ("credit_code", CODE_A),
            ("kind", "apply"),
            ("industry", "coking"),
            ("grade", "B"),
            ("valid_from", "2026-01-01"),
            ("valid_to", "2026-12-31"),
            ("note", "已完成超低排放改造"),
        ],
        Some(("绩效分级申请表.pdf", b"%PDF-1.4 grade")),
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let location = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = location.rsplit('/').next().unwrap().parse().unwrap();
    let (_, page) = text(&plant, server.url(&location)).await;
    assert!(page.contains("待县级审核") && page.contains("绩效分级申请表.pdf"));

    // Another county's official gets 403, audited; the enterprise cannot publish.
    let (county_b, csrf_b) = common::login(&server, "county-b").await;
    let r = post_form(
        &county_b,
        server.url(&format!("/heavy/grades/{id}/review")),
        &[("csrf_token", &csrf_b), ("approve", "1"), ("note", "同意")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        refused(&store, "heavy_grade.approve", &format!("heavy_grade:{id}")).await,
        1
    );
    let (status, _) = text(&county_b, server.url(&format!("/heavy/grades/{id}"))).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let r = post_form(
        &plant,
        server.url(&format!("/heavy/grades/{id}/publish")),
        &[("csrf_token", &plant_csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    // Its own county approves with an internal note; returning without a reason is refused.
    let (county_a, csrf_a) = common::login(&server, "county-a").await;
    let (_, page) = text(&county_a, server.url(&format!("/heavy/grades/{id}"))).await;
    assert!(page.contains("grade-review"));
    let r = post_form(
        &county_a,
        server.url(&format!("/heavy/grades/{id}/review")),
        &[("csrf_token", &csrf_a), ("approve", "0"), ("note", "")],
    )
    .await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = post_form(
        &county_a,
        server.url(&format!("/heavy/grades/{id}/review")),
        &[
            ("csrf_token", &csrf_a),
            ("approve", "1"),
            ("note", "内部意见：现场核查属实"),
        ],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // Not public before the city publishes it.
    let public = common::client();
    let (_, page) = text(&public, server.url("/heavy/grades")).await;
    assert!(!page.contains("某焦化有限公司"));

    let (staff, csrf) = common::login(&server, "staff").await;
    let r = post_form(
        &staff,
        server.url(&format!("/heavy/grades/{id}/publish")),
        &[("csrf_token", &csrf)],
    )
    .await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);

    // The public list shows it, without the internal note; staff see the note.
    let (status, page) = text(&public, server.url("/heavy/grades")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains("某焦化有限公司") && page.contains("B级") && page.contains("2026-12-31"));
    assert!(
        !page.contains("内部意见"),
        "internal note on the public list"
    );
    let v: Value = public
        .get(server.url("/api/v1/heavy/grades"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["grades"][0]["grade"], "B");
    assert_eq!(v["grades"][0]["industry_name"], "焦化");
    assert!(v["grades"][0]["internal_note"].is_null());
    let (_, page) = text(&staff, server.url("/heavy/grades")).await;
    assert!(page.contains("内部意见：现场核查属实"));
    // The public cannot open a record or see applications on their way.
    let (status, _) = text(&public, server.url("/heavy/grades?state=applied")).await;
    assert_ne!(status, StatusCode::OK);

    // Every step audited, with the app's API agreeing.
    let actions: Vec<String> = store
        .audit_log(Some("heavy_grade."), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "ok")
        .map(|r| r.action)
        .rev()
        .collect();
    assert_eq!(
        actions,
        [
            "heavy_grade.apply",
            "heavy_grade.evidence",
            "heavy_grade.approve",
            "heavy_grade.publish"
        ]
    );
    let published = qingshan_app::heavy::grades_published(&store).await.unwrap();
    assert_eq!(published.len(), 1);
    assert_eq!(published[0].grade.credit_code, CODE_A);
}

/// Every `/api/v1/heavy/…` route is in the OpenAPI document.
#[tokio::test]
async fn the_heavy_api_is_documented() {
    let (store, _db) = seeded().await;
    let server = common::serve(store).await;
    let doc: Value = common::client()
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let src = include_str!("../src/heavy/mod.rs");
    let routes: Vec<&str> = src
        .split(".route(")
        .skip(1)
        .filter_map(|p| p.trim_start().strip_prefix("\"/api/v1"))
        .map(|p| p.split('"').next().unwrap())
        .collect();
    assert!(routes.len() >= 6, "{routes:?}");
    for r in routes {
        assert!(doc["paths"].get(r).is_some(), "openapi lacks {r}");
    }
    let rules: Value = common::client()
        .get(server.url("/api/v1/heavy/rules"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(rules["levels"][0]["required_percent"]["so2"], "10");
}
