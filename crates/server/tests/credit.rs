//! 企业环境信用评价 end to end through the real server: the score of an enterprise is the start
//! score minus the points of its events, each traceable to its record (an exceedance incident a
//! valid mark explains does not count); an upheld objection takes an event out; falsified data
//! forces the lowest grade; an accepted repair restores the grade; the public lookup shows
//! published ratings only; the grade reaches the enterprise's home and the registry.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_sources::credit::{CreditRules, shanxi_2024};
use qingshan_store::{
    Actor, AlarmEpisode, CaseBasis, CaseStep, IncidentFilter, NewCase, NewDataMark, NewOrder,
    NewUser, Role, Store,
};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNCRDA0001,2017,strict,123456,3600,P-A-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MNCRDB0001,2017,strict,654321,3600,P-B-001,2024-01-01,2099-12-31,w01018,50,0,,
";

fn rules() -> &'static CreditRules {
    shanxi_2024().unwrap()
}

/// An exceedance of one hour at `time` (DataTime), ended, so that a later one opens a new
/// incident; its incident's id.
async fn exceedance(store: &Store, mn: &str, factor: &str, time: &str, end: &str) -> i64 {
    let f = IncidentFilter {
        mn: Some(mn.into()),
        ..Default::default()
    };
    let before: Vec<i64> = store
        .incidents_paged(&f, 100, 0)
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.id)
        .collect();
    store
        .raise_alarm(&AlarmEpisode {
            kind: "exceedance".into(),
            mn: mn.into(),
            factor: factor.into(),
            start_time: time.into(),
            end_time: Some(end.into()),
            peak: Some("99".into()),
            peak_time: Some(time.into()),
            records: 1,
            context: "超标".into(),
        })
        .await
        .unwrap();
    let list = store.incidents_paged(&f, 100, 0).await.unwrap().items;
    list.iter().find(|i| !before.contains(&i.id)).unwrap().id
}

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

/// Two enterprises; A has two exceedance incidents in 2026 (the second explained by an
/// accepted maintenance mark), an order past its deadline unanswered, and a case decided with
/// a fine of 10万元; staff and both enterprises' accounts.
async fn seeded() -> (Store, common::ScratchDb, Vec<i64>) {
    let (store, db) = common::fresh_store("credit").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let i1 = exceedance(
        &store,
        "MNCRDA0001",
        "a21026",
        "20260301080000",
        "20260301090000",
    )
    .await;
    let i2 = exceedance(
        &store,
        "MNCRDA0001",
        "a21026",
        "20260302080000",
        "20260302090000",
    )
    .await;
    // 20260302080000 is Beijing time: 00:00 UTC. The mark covers 07:00–10:00 Beijing.
    let mark = store
        .file_data_mark(
            &NewDataMark {
                mn: "MNCRDA0001".into(),
                factor: "a21026".into(),
                kind: "maintenance".into(),
                start_time: "2026-03-01T23:00:00Z".into(),
                end_time: Some("2026-03-02T02:00:00Z".into()),
                reason: "例行维护".into(),
                filed_at: "2026-03-01T22:00:00Z".into(),
                deadline: "2026-03-02T02:00:00Z".into(),
                late: false,
                suspicion: None,
            },
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .review_data_mark(mark.id, true, None, &Actor::cli())
        .await
        .unwrap();
    let order = store
        .issue_order(
            &NewOrder {
                incident_id: i1,
                title: "超标整改".into(),
                requirement: "说明原因并整改".into(),
                deadline: "2026-03-05T00:00:00Z".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let basis = qingshan_sources::legal::basis("air-99-2").unwrap();
    let case = store
        .open_case(
            &NewCase {
                year: 2026,
                incident_ids: vec![i1],
                order_id: None,
                title: "超标排放大气污染物".into(),
                facts: "二氧化硫小时均值超标".into(),
                bases: vec![CaseBasis {
                    basis_code: basis.code.clone(),
                    citation: basis.citation(),
                    violation: basis.violation.clone(),
                    fine_range: basis.range_text(),
                }],
            },
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .case_step(
            case.id,
            &CaseStep::Decide {
                decision_number: "忻环罚〔2026〕1号".into(),
                decision_date: "2026-04-01".into(),
                measures: "rectify,fine".into(),
                penalty_fen: Some(10_000_000),
                rectify_deadline: Some("2026-05-01T00:00:00Z".into()),
            },
            Some("决定"),
            &[],
            &Actor::cli(),
        )
        .await
        .unwrap();
    common::user(&store, "staff", Role::Staff, None, None).await;
    enterprise_user(&store, "plant-a", CODE_A).await;
    enterprise_user(&store, "plant-b", CODE_B).await;
    (store, db, vec![i1, i2, order.id, case.id])
}

async fn post(c: &Client, url: String, csrf: &str, body: Value) -> (StatusCode, Value) {
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

async fn get(c: &Client, url: String) -> (StatusCode, Value) {
    let r = c.get(url).send().await.unwrap();
    let s = r.status();
    (s, r.json().await.unwrap_or(Value::Null))
}

/// The rating of `code` among the computed ones.
fn rating_of<'a>(v: &'a Value, code: &str) -> &'a Value {
    v["ratings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["credit_code"] == code)
        .unwrap_or_else(|| panic!("no rating of {code} in {v}"))
}

#[tokio::test]
async fn the_score_is_the_sum_of_traceable_events_and_an_upheld_objection_takes_one_out() {
    let (store, _db, ids) = seeded().await;
    let (i1, i2, order, case) = (ids[0], ids[1], ids[2], ids[3]);
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;
    let (s, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026 }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let id = rating_of(&v, CODE_A)["id"].as_i64().unwrap();
    let (s, d) = get(&staff, server.url(&format!("/api/v1/credit/ratings/{id}"))).await;
    assert_eq!(s, StatusCode::OK);
    let events = d["events"].as_array().unwrap();
    let keys: Vec<&str> = events.iter().map(|e| e["key"].as_str().unwrap()).collect();
    // The incident a valid mark explains is not an event; the other one, the order and the
    // case (10万元 ≥ the 严重 threshold) are, each with its record.
    assert!(
        keys.contains(&format!("exceedance:incident:{i1}").as_str()),
        "{keys:?}"
    );
    assert!(
        !keys.iter().any(|k| k.ends_with(&format!("incident:{i2}"))),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("order_late:order:{order}").as_str()),
        "{keys:?}"
    );
    assert!(
        keys.contains(&format!("case_serious:case:{case}").as_str()),
        "{keys:?}"
    );
    let mut expected_points = 0;
    for e in events {
        let kind = e["kind"].as_str().unwrap();
        let d = rules().deduction(kind).unwrap();
        assert_eq!(e["points"], d.points, "{e}");
        expected_points += d.points;
        // Every deduction leads to its source record.
        let link = e["link"].as_str().unwrap();
        let r = staff.get(server.url(link)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{link}");
        let sid = e["source_id"].as_str().unwrap();
        assert!(link.contains(sid.split('/').next().unwrap()), "{e}");
    }
    let score = rules().rule_set.start_score - expected_points;
    assert_eq!(d["rating"]["score"], score, "{d}");
    assert_eq!(
        d["rating"]["grade"],
        rules().grade_for(score).unwrap().code.as_str()
    );
    assert_eq!(d["rating"]["state"], "draft");

    // The enterprise objects to the exceedance; staff uphold it: its points leave the score.
    let (ent, ecsrf) = common::login(&server, "plant-a").await;
    let key = format!("exceedance:incident:{i1}");
    let (s, v) = post(
        &ent,
        server.url(&format!("/api/v1/credit/ratings/{id}/objections")),
        &ecsrf,
        json!({ "event_key": key, "reason": "该时段为启炉工况，已报备" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let oid = v["objections"][0]["id"].as_i64().unwrap();
    // Another enterprise may not see the rating, let alone object.
    let (b, bcsrf) = common::login(&server, "plant-b").await;
    let (s, _) = get(&b, server.url(&format!("/api/v1/credit/ratings/{id}"))).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = post(
        &b,
        server.url(&format!("/api/v1/credit/ratings/{id}/objections")),
        &bcsrf,
        json!({ "event_key": key, "reason": "x" }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // The enterprise may not decide its own objection.
    let (s, _) = post(
        &ent,
        server.url(&format!("/api/v1/credit/objections/{oid}/decide")),
        &ecsrf,
        json!({ "outcome": "uphold", "decision": "x" }),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = post(
        &staff,
        server.url(&format!("/api/v1/credit/objections/{oid}/decide")),
        &csrf,
        json!({ "outcome": "uphold", "decision": "经核实为报备的启炉工况" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let exceed = rules().deduction("exceedance").unwrap().points;
    assert_eq!(v["rating"]["score"], score + exceed, "{v}");
    let e = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["key"] == key.as_str())
        .unwrap();
    assert_eq!(e["points"], 0);
    assert!(e["excluded"].is_string());
    // Recomputing the draft keeps the upheld objection.
    let (_, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026, "credit_code": CODE_A }),
    )
    .await;
    assert_eq!(rating_of(&v, CODE_A)["score"], score + exceed, "{v}");
    // Audited: the computation, the objection and its decision.
    let audit = store.audit_log(Some("credit."), 100).await.unwrap();
    for action in [
        "credit.compute",
        "credit.objection",
        "credit.objection_decide",
    ] {
        assert!(
            audit.iter().any(|a| a.action == action),
            "{action} not audited"
        );
    }
}

#[tokio::test]
async fn falsified_data_forces_the_lowest_grade_and_a_repair_restores_it() {
    let (store, _db, _) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;
    let (s, v) = post(
        &staff,
        server.url("/api/v1/credit/findings"),
        &csrf,
        json!({ "credit_code": CODE_B, "kind": "falsified", "occurred_on": "2026-06-01", "note": "现场检查发现篡改分析仪参数" }),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026 }),
    )
    .await;
    let r = rating_of(&v, CODE_B);
    let lowest = rules().lowest().unwrap().code.as_str();
    assert_eq!(r["grade"], lowest, "{r}");
    assert_eq!(r["vetoed"], true);
    // The score itself is untouched by the veto: the grade is forced, not the points.
    assert!(r["score"].as_i64().unwrap() > rules().grade(lowest).unwrap().min_score);
    let id = r["id"].as_i64().unwrap();

    // A draft cannot be repaired; published, the waiting period applies.
    let (ent, ecsrf) = common::login(&server, "plant-b").await;
    let (s, _) = post(
        &ent,
        server.url(&format!("/api/v1/credit/ratings/{id}/repairs")),
        &ecsrf,
        json!({ "reason": "已整改" }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (s, _) = post(
        &staff,
        server.url(&format!("/api/v1/credit/ratings/{id}/publish")),
        &csrf,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (s, v) = post(
        &ent,
        server.url(&format!("/api/v1/credit/ratings/{id}/repairs")),
        &ecsrf,
        json!({ "reason": "已整改" }),
    )
    .await;
    assert_eq!(s, StatusCode::CONFLICT, "{v}");
    // A published rating is frozen: recomputing leaves it.
    let (_, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026, "credit_code": CODE_B }),
    )
    .await;
    assert!(v["ratings"].as_array().unwrap().is_empty(), "{v}");

    // After the waiting period (the app's clock is a parameter), the enterprise applies.
    let rule = rules().repair(lowest).unwrap();
    let after = qingshan_app::beijing::today()
        .checked_add_months(chrono::Months::new(rule.wait_months + 1))
        .unwrap();
    let user = store
        .users()
        .await
        .unwrap()
        .into_iter()
        .find(|u| u.username == "plant-b")
        .unwrap();
    let repair = qingshan_app::credit::apply_repair(
        &store,
        Some(&user),
        &Actor::cli(),
        id,
        "篡改问题已整改，分析仪已由第三方校准，承诺守法",
        &[],
        after,
    )
    .await
    .unwrap();
    assert_eq!(
        repair.due_by,
        qingshan_app::disclosure::calendar()
            .unwrap()
            .add_working_days(after, rule.review_working_days)
            .to_string()
    );
    let (s, v) = post(
        &staff,
        server.url(&format!("/api/v1/credit/repairs/{}/decide", repair.id)),
        &csrf,
        json!({ "outcome": "accept", "decision": "整改到位，同意修复" }),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let start = rules().rule_set.start_score;
    assert_eq!(v["rating"]["score"], start, "{v}");
    assert_eq!(
        v["rating"]["grade"],
        rules().grade_for(start).unwrap().code.as_str()
    );
    assert_eq!(v["rating"]["vetoed"], false);
    assert_eq!(v["rating"]["grade_before_repair"], lowest);
    // The public sees the restored grade.
    let (_, v) = get(
        &common::client(),
        server.url(&format!("/api/v1/credit/lookup?q={CODE_B}")),
    )
    .await;
    assert_eq!(
        v["ratings"][0]["grade"],
        rules().grade_for(start).unwrap().code.as_str(),
        "{v}"
    );
}

#[tokio::test]
async fn the_public_lookup_shows_only_published_ratings() {
    let (store, _db, _) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;
    let (_, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026 }),
    )
    .await;
    let a = rating_of(&v, CODE_A)["id"].as_i64().unwrap();
    let anon = common::client();
    // Nothing published yet: the lookup is empty, by name or by code.
    for q in ["某热电", CODE_A, ""] {
        let (s, v) = get(&anon, server.url(&format!("/api/v1/credit/lookup?q={q}"))).await;
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["total"], 0, "{q}: {v}");
    }
    let (s, _) = post(
        &staff,
        server.url(&format!("/api/v1/credit/ratings/{a}/publish")),
        &csrf,
        json!({}),
    )
    .await;
    assert_eq!(s, StatusCode::OK);
    let (_, v) = get(&anon, server.url("/api/v1/credit/lookup?q=")).await;
    assert_eq!(v["total"], 1, "{v}");
    assert_eq!(v["ratings"][0]["credit_code"], CODE_A);
    assert!(v["ratings"][0].get("events").is_none());
    let (_, v) = get(&anon, server.url("/api/v1/credit/lookup?q=某化工")).await;
    assert_eq!(v["total"], 0, "{v}");
    let page = anon
        .get(server.url("/credit?q=有限公司"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("某热电有限公司") && !page.contains("某化工有限公司"));
    // The details, drafts included, are not public.
    let (s, _) = get(&anon, server.url("/api/v1/credit/ratings")).await;
    assert!(
        s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    let (s, _) = get(&anon, server.url(&format!("/api/v1/credit/ratings/{a}"))).await;
    assert!(
        s == StatusCode::UNAUTHORIZED || s == StatusCode::FORBIDDEN,
        "{s}"
    );
    // The grade on the enterprise's home and in the registry.
    let (ent, _) = common::login(&server, "plant-a").await;
    let home = ent
        .get(server.url("/enterprise"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let grade = rules()
        .grade(v_grade(&store, a).await.as_str())
        .unwrap()
        .clone();
    assert!(
        home.contains(&format!("credit-{}", grade.code)),
        "home lacks the grade"
    );
    let registry = staff
        .get(server.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(registry.contains(&format!("credit-badge credit-{}", grade.code)));
    // Lists by grade for other departments, and the export.
    let (_, v) = get(
        &staff,
        server.url(&format!(
            "/api/v1/credit/ratings?year=2026&grade={}",
            grade.code
        )),
    )
    .await;
    assert!(
        v["ratings"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["grade"] == grade.code.as_str()),
        "{v}"
    );
    let r = staff
        .get(server.url("/credit/ratings.xlsx?year=2026"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(r.bytes().await.unwrap().starts_with(b"PK"));
}

async fn v_grade(store: &Store, id: i64) -> String {
    store.credit_rating(id).await.unwrap().unwrap().grade
}

/// An enterprise on the disclosure list for 2025 that has not filed its annual report by
/// 15 March 2026 shows the lapse from 16 March and loses the points the model gives it.
#[tokio::test]
async fn a_missed_annual_disclosure_costs_the_points_the_model_says() {
    let (store, _db, _) = seeded().await;
    store
        .add_disclosure_listing(
            2025,
            CODE_B,
            "key_discharger",
            "重点排污单位",
            &Actor::cli(),
        )
        .await
        .unwrap();
    let opts = qingshan_sources::marking::MarkingOptions::default();
    let at = |d: &str| {
        chrono::DateTime::parse_from_rfc3339(d)
            .unwrap()
            .with_timezone(&chrono::Utc)
    };
    let disclosure = |evs: &[qingshan_sources::credit::CreditEvent]| {
        evs.iter()
            .filter(|e| e.source_kind == "disclosure")
            .cloned()
            .collect::<Vec<_>>()
    };
    // On 15 March (Beijing) it is not late yet; on 16 March it is.
    let on_15 = qingshan_app::credit::events(
        &store,
        rules(),
        CODE_B,
        2026,
        at("2026-03-15T12:00:00+08:00"),
        &opts,
    )
    .await
    .unwrap();
    assert!(disclosure(&on_15).is_empty(), "{on_15:?}");
    let mut on_16 = qingshan_app::credit::events(
        &store,
        rules(),
        CODE_B,
        2026,
        at("2026-03-16T09:00:00+08:00"),
        &opts,
    )
    .await
    .unwrap();
    let scored = qingshan_sources::credit::score(rules(), &mut on_16);
    let lapses = disclosure(&on_16);
    assert_eq!(lapses.len(), 1, "{on_16:?}");
    assert_eq!(lapses[0].kind, "disclosure_missing");
    assert_eq!(lapses[0].occurred_on, "2026-03-16");
    assert_eq!(
        lapses[0].points,
        rules().deduction("disclosure_missing").unwrap().points
    );
    let sum: i64 = on_16.iter().map(|e| e.points).sum();
    assert_eq!(scored.score, rules().rule_set.start_score - sum);

    // Through the API, the rating of 2026 carries the same deduction.
    let server = common::serve(store.clone()).await;
    let (staff, csrf) = common::login(&server, "staff").await;
    let (_, v) = post(
        &staff,
        server.url("/api/v1/credit/ratings/compute"),
        &csrf,
        json!({ "year": 2026, "credit_code": CODE_B }),
    )
    .await;
    let id = rating_of(&v, CODE_B)["id"].as_i64().unwrap();
    let (_, d) = get(&staff, server.url(&format!("/api/v1/credit/ratings/{id}"))).await;
    let e = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["source_kind"] == "disclosure")
        .unwrap_or_else(|| panic!("{d}"));
    assert_eq!(e["kind"], "disclosure_missing");
    assert_eq!(
        e["points"],
        rules().deduction("disclosure_missing").unwrap().points
    );
    let total: i64 = d["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["points"].as_i64().unwrap())
        .sum();
    assert_eq!(d["rating"]["score"], rules().rule_set.start_score - total);
}
