//! 督办单 end to end through the real server: staff turn an incident into an order; the
//! addressed enterprise sees it on its home and list, answers with an evidence file; staff
//! return it once with a reason and a new deadline, the enterprise answers again and staff
//! accept. Another enterprise, a county official and a reporter are refused (audited); an
//! order past its deadline is listed and counted as overdue.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, AlarmEpisode, NewOrder, NewUser, Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

const CODE_A: &str = "9144030071526726XG";
const CODE_B: &str = "91110000802100433B";

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNENTA0001,2017,strict,123456,3600,P-A-001,2024-01-01,2099-12-31,a21026,35,1,6,120
91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MNENTB0001,2017,strict,654321,3600,P-B-001,2024-01-01,2099-12-31,w01018,50,0,,
";

/// The two enterprises with an incident each (1: A's, 2: B's), their accounts, staff, a
/// county official of A's county and a reporter.
async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("orders").await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
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
    common::user(&store, "staff", Role::Staff, None, None).await;
    common::user(&store, "county", Role::County, None, Some("140902")).await;
    common::user(&store, "shuili", Role::Reporter, Some("slj"), None).await;
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
    (chrono::Utc::now() + chrono::Duration::hours(8) + chrono::Duration::days(days))
        .format("%Y-%m-%dT%H:%M")
        .to_string()
}

fn multipart(fields: &[(&str, &str)], file: (&str, &[u8])) -> (String, Vec<u8>) {
    let boundary = "----qingshanorders";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n")
                .as_bytes(),
        );
    }
    body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"files\"; filename=\"{}\"\r\nContent-Type: application/pdf\r\n\r\n", file.0).as_bytes());
    body.extend_from_slice(file.1);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

#[tokio::test]
async fn an_order_is_answered_returned_answered_again_and_accepted() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, staff_csrf) = common::login(&server, "staff").await;

    // Staff issue the order from the incident's page.
    let (st, page) = text(&staff, server.url("/incidents/1")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("转督办") && page.contains("action=\"/orders/new\""),
        "{page}"
    );
    let form_csrf = common::hidden(&page, "csrf_token");
    let deadline = beijing_in(3);
    let r = staff
        .post(server.url("/orders/new"))
        .form(&[
            ("csrf_token", form_csrf.as_str()),
            ("incident_id", "1"),
            ("title", "1号锅炉颗粒物超标督办"),
            ("requirement", "说明超标原因，提交整改报告"),
            ("deadline", deadline.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let loc = r.headers()["location"].to_str().unwrap().to_string();
    let id: i64 = loc.rsplit('/').next().unwrap().parse().unwrap();
    let o = store.order(id).await.unwrap().unwrap();
    assert_eq!(
        (o.credit_code.as_str(), o.state.as_str()),
        (CODE_A, "issued")
    );
    // Without the form's token the issue is refused and audited.
    let r = staff
        .post(server.url("/orders/new"))
        .form(&[
            ("incident_id", "2"),
            ("requirement", "x"),
            ("deadline", deadline.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "order.issue", "incident:2").await >= 1);

    // The enterprise sees it on its home and its list.
    let (a, a_csrf) = common::login(&server, "plant-a").await;
    let (st, home) = text(&a, server.url("/enterprise")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        home.contains("1号锅炉颗粒物超标督办") && home.contains("待答复"),
        "{home}"
    );
    let (st, list) = text(&a, server.url("/orders")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(list.contains(&format!("order-{id}")) && list.contains("待答复"));
    let (_, nav) = text(&a, server.url("/orders")).await;
    assert!(nav.contains("href=\"/orders\""));

    // Another enterprise: refused on the page, the API and the reply, audited.
    let (b, b_csrf) = common::login(&server, "plant-b").await;
    let (st, _) = text(&b, server.url(&format!("/orders/{id}"))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);
    assert!(refused(&store, "page.view", &format!("page:/orders/{id}")).await >= 1);
    let r = b
        .post(server.url(&format!("/api/v1/orders/{id}/reply")))
        .header("x-csrf-token", &b_csrf)
        .json(&json!({ "explanation": "不是我们的" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "order.reply", &format!("order:{id}")).await >= 1);
    let v: Value = b
        .get(server.url("/api/v1/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 0);

    // The enterprise answers with an evidence file through the page's form.
    let (st, page) = text(&a, server.url(&format!("/orders/{id}"))).await;
    assert_eq!(st, StatusCode::OK);
    assert!(page.contains("reply-form"), "{page}");
    let csrf = common::hidden(&page, "csrf_token");
    let (ct, body) = multipart(
        &[
            ("csrf_token", csrf.as_str()),
            ("explanation", "已更换除尘滤袋"),
        ],
        ("整改报告.pdf", b"%PDF-1.4 report"),
    );
    let r = a
        .post(server.url(&format!("/orders/{id}/reply")))
        .header("Content-Type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let (_, page) = text(&a, server.url(&format!("/orders/{id}"))).await;
    assert!(
        page.contains("整改报告.pdf") && page.contains("已答复") && !page.contains("reply-form")
    );
    let ev = store.order_evidence(id).await.unwrap();
    assert_eq!(ev.len(), 1);
    let r = a
        .get(server.url(&format!("/orders/evidence/{}", ev[0].id)))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.bytes().await.unwrap().as_ref(), b"%PDF-1.4 report");
    let (st, _) = text(&b, server.url(&format!("/orders/evidence/{}", ev[0].id))).await;
    assert_eq!(st, StatusCode::FORBIDDEN);

    // A county official and a reporter may not accept; the enterprise may not either.
    for who in ["county", "shuili"] {
        let (c, csrf) = common::login(&server, who).await;
        let r = c
            .post(server.url(&format!("/api/v1/orders/{id}/accept")))
            .header("x-csrf-token", &csrf)
            .json(&json!({}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::FORBIDDEN, "{who}");
    }
    let r = a
        .post(server.url(&format!("/api/v1/orders/{id}/accept")))
        .header("x-csrf-token", &a_csrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(refused(&store, "order.accept", &format!("order:{id}")).await >= 2);
    // The county official still sees its county's order.
    let (county, _) = common::login(&server, "county").await;
    let (st, _) = text(&county, server.url(&format!("/orders/{id}"))).await;
    assert_eq!(st, StatusCode::OK);

    // Staff return it: a deadline in the past is refused, a later one taken.
    let ret = |d: String| {
        staff
            .post(server.url(&format!("/api/v1/orders/{id}/return")))
            .header("x-csrf-token", &staff_csrf)
            .json(&json!({ "note": "缺少第三方监测报告", "new_deadline": d }))
            .send()
    };
    assert_eq!(
        ret(beijing_in(-1)).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = ret(beijing_in(7)).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["order"]["state"], "returned");
    assert_eq!(v["order"]["state_label"], "已退回");
    assert_ne!(v["order"]["deadline"].as_str().unwrap(), o.deadline);

    // The enterprise answers again (API), staff accept through the page's form.
    let r = a
        .post(server.url(&format!("/api/v1/orders/{id}/reply")))
        .header("x-csrf-token", &a_csrf)
        .json(&json!({ "explanation": "补充第三方监测报告" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let (_, page) = text(&staff, server.url(&format!("/orders/{id}"))).await;
    assert!(page.contains("认可办结") && page.contains("退回"));
    let csrf = common::hidden(&page, "csrf_token");
    let r = staff
        .post(server.url(&format!("/orders/{id}/accept")))
        .form(&[("csrf_token", csrf.as_str()), ("note", "同意办结")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let v: Value = staff
        .get(server.url(&format!("/api/v1/orders/{id}")))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["order"]["state"], "accepted");
    let kinds: Vec<&str> = v["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issue", "reply", "return", "reply", "accept"]);
    let (_, page) = text(&staff, server.url(&format!("/orders/{id}"))).await;
    assert!(
        page.contains("已办结") && page.contains("缺少第三方监测报告") && !page.contains("issued")
    );
    let log: Vec<String> = store
        .audit_log(Some("order."), 50)
        .await
        .unwrap()
        .into_iter()
        .filter(|r| r.outcome == "ok")
        .map(|r| r.action)
        .collect();
    assert_eq!(
        log,
        [
            "order.accept",
            "order.reply",
            "order.return",
            "order.evidence",
            "order.reply",
            "order.issue"
        ]
    );
    // Closed: no longer on the enterprise's home.
    let (_, home) = text(&a, server.url("/enterprise")).await;
    assert!(!home.contains("1号锅炉颗粒物超标督办"));
}

#[tokio::test]
async fn an_order_past_its_deadline_is_listed_and_counted_as_overdue() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let late = store
        .issue_order(
            &NewOrder {
                incident_id: 1,
                title: "逾期的督办".into(),
                requirement: "说明原因".into(),
                deadline: "2026-01-01T00:00:00Z".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let (staff, csrf) = common::login(&server, "staff").await;
    let r = staff
        .post(server.url("/api/v1/orders"))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "incident_id": 2, "requirement": "说明原因", "deadline": beijing_in(5) }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let v: Value = staff
        .get(server.url("/api/v1/orders?overdue=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 1);
    assert_eq!(v["orders"][0]["id"], late.id);
    assert_eq!(v["orders"][0]["overdue"], true);
    assert_eq!(
        v["overdue_by_county"],
        json!([{ "division_code": "140902", "count": 1 }])
    );
    let v: Value = staff
        .get(server.url("/api/v1/orders"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["total"], 2);
    let (st, page) = text(&staff, server.url("/orders?overdue=1")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(
        page.contains("逾期的督办") && page.contains("逾期督办单（按区县）"),
        "{page}"
    );
    // The staff cockpit counts it, in its card and in 忻府区's row, linked to the list.
    let (st, home) = text(&staff, server.url("/")).await;
    assert_eq!(st, StatusCode::OK);
    assert!(home.contains("逾期督办单 1 件"), "{home}");
    assert!(
        home.contains("href=\"/orders?overdue=1&amp;county=140902\">1</a>"),
        "{home}"
    );
    // The other county's official sees neither the order nor its count.
    common::user(&store, "yuanping", Role::County, None, Some("140981")).await;
    let (c, _) = common::login(&server, "yuanping").await;
    let v: Value = c
        .get(server.url("/api/v1/orders?overdue=1"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (v["total"].clone(), v["overdue_by_county"].clone()),
        (json!(0), json!([]))
    );
    // The enterprise sees its overdue order on its home.
    let (a, _) = common::login(&server, "plant-a").await;
    let (_, home) = text(&a, server.url("/enterprise")).await;
    assert!(home.contains("逾期的督办") && home.contains("逾期"));
}

/// In real Chromium: staff turn the incident into an order; the enterprise signs in, finds
/// the order, answers it with a file chosen in the form; staff accept it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_enterprise_answers_an_order_in_the_browser_and_staff_accept_it() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let base = server.url("");
    let base = base.trim_end_matches('/');
    let Some(staff) = common::webdriver::Browser::start(1440, 900).await else {
        return;
    };
    staff.login(base, "staff", "correct horse").await;
    staff.goto(&server.url("/incidents/1")).await;
    staff
        .eval(
            "const f = document.getElementById('order-issue');\
             f.requirement.value = '说明超标原因并提交整改材料';\
             f.deadline.value = '2099-12-31T17:00';\
             f.submit(); return true;",
        )
        .await;
    staff.wait_for_path(|p| p.starts_with("/orders/")).await;
    staff.screenshot("order-issued-1440").await;

    let Some(plant) = common::webdriver::Browser::start(390, 844).await else {
        return;
    };
    plant.login(base, "plant-a", "correct horse").await;
    // Signed in, the enterprise lands on its home, which lists the open order.
    let home = plant.eval("return document.body.innerText").await;
    let home = home.as_str().unwrap();
    assert!(
        home.contains("待办督办单") && home.contains("事件 1 督办") && home.contains("待答复"),
        "{home}"
    );
    plant.goto(&server.url("/orders")).await;
    plant
        .eval("document.querySelector('a[href=\"/orders/1\"]').click(); return true;")
        .await;
    plant.wait_for_path(|p| p == "/orders/1").await;
    let file = qingshan_testkit::TempPath::new("reply", ".pdf");
    std::fs::write(file.path(), b"%PDF-1.4 rectification report").unwrap();
    plant
        .choose_file("#reply-form input[type=file]", file.path())
        .await;
    plant
        .eval(
            "const f = document.getElementById('reply-form');\
             f.explanation.value = '除尘器滤袋破损，已更换，附整改报告';\
             f.submit(); return true;",
        )
        .await;
    for _ in 0..50 {
        if plant.eval("return document.getElementById('order-state') && document.getElementById('order-state').innerText").await
            == "已答复"
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    plant.screenshot("order-replied-390").await;
    let (_, events) = qingshan_app::orders::get(
        &store,
        Some(&store.user_credentials("staff").await.unwrap().unwrap().0),
        1,
    )
    .await
    .unwrap();
    assert!(
        events.iter().any(|e| e.kind == "reply"),
        "the reply is stored: {events:?}"
    );
    let files = store.order_evidence(1).await.unwrap();
    assert_eq!(files.len(), 1, "the chosen file came with the reply");
    plant.quit().await;

    staff.goto(&server.url("/orders/1")).await;
    staff
        .eval("document.querySelector('form[action=\"/orders/1/accept\"]').submit(); return true;")
        .await;
    let mut state = serde_json::Value::Null;
    for _ in 0..50 {
        state = staff
            .eval("return document.getElementById('order-state') ? document.getElementById('order-state').innerText : ''")
            .await;
        if state == "已办结" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    staff.screenshot("order-accepted-1440").await;
    assert_eq!(
        store.order(1).await.unwrap().unwrap().state,
        "accepted",
        "{state}"
    );
    staff.quit().await;
}
