//! 任务台账 end to end through the real server: staff split a task into items; county officials
//! report on their own county's part (another county's is 403 and audited), units on theirs;
//! staff accept or return; the city's value of a count item is the sum of the counties' accepted
//! values only; overdue parts and returned reports are listed per county and unit and on the
//! reporter's home page; the annual report shows the items with their completion.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Role, Store};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

async fn seeded() -> (Store, common::ScratchDb) {
    let (store, db) = common::fresh_store("ledger").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    for (name, code) in [
        ("xinfu", "140902"),
        ("dingxiang", "140921"),
        ("wutai", "140922"),
    ] {
        common::user(&store, name, Role::County, None, Some(code)).await;
    }
    common::user(&store, "sthj", Role::Reporter, Some("sthj"), None).await;
    common::user(&store, "shuili", Role::Reporter, Some("slj"), None).await;
    (store, db)
}

async fn post(c: &Client, url: String, csrf: &str, body: Value) -> (StatusCode, Value) {
    let r = c
        .post(url)
        .header("x-csrf-token", csrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    (status, r.json().await.unwrap_or(Value::Null))
}

async fn get(c: &Client, url: String) -> Value {
    let r = c.get(url).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// A count item of task 3-2 carried by three counties: 改造完成的入河排污口 at least 10.
fn three_county_item(id: &str, deadline: &str) -> Value {
    json!({
        "id": id, "task": "3-2", "text": "实施入河排污口分类整治", "measure": "count",
        "measure_unit": "个", "target": "10", "direction": "at_least",
        "lead": "sthj", "supporting": "slj", "counties": "140902 140921 140922",
        "deadline": deadline, "year": "2026", "reason": "按年度工作要点分解"
    })
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

#[tokio::test]
async fn a_county_reports_on_its_own_part_only() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, scsrf) = common::login(&server, "staff").await;
    let mut item = three_county_item("3-2-x", "2099-12-31");
    item["counties"] = json!("140921");
    let (status, body) = post(&staff, server.url("/api/v1/ledger/items"), &scsrf, item).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");

    let (xinfu, csrf) = common::login(&server, "xinfu").await;
    // Her county's part of a seeded item (35 蒸吨以下燃煤锅炉: every county).
    let (status, body) = post(
        &xinfu,
        server.url("/api/v1/ledger/items/3-1-1/reports"),
        &csrf,
        json!({ "value": "2", "narrative": "尚余 2 台，已列入淘汰计划" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["report"]["party"], "140902");
    assert_eq!(body["report"]["state_label"], "待审核");
    // Another county's item: refused and audited.
    assert_eq!(refused(&store, "item_report.record", "item:3-2-x").await, 0);
    let (status, body) = post(
        &xinfu,
        server.url("/api/v1/ledger/items/3-2-x/reports"),
        &csrf,
        json!({ "value": "3", "narrative": "越权填报" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert!(
        body["message"].as_str().unwrap().contains("不涉及本县"),
        "{body}"
    );
    assert_eq!(refused(&store, "item_report.record", "item:3-2-x").await, 1);
    // The page form too: no form for her, and a post is refused before its files are read.
    let page = xinfu
        .get(server.url("/ledger/items/3-2-x"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("item-report-form"));
    let page = xinfu
        .get(server.url("/ledger/items/3-1-1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("item-report-form"));
    // A unit outside the item (水利局 on 3-1-1) is refused; the lead unit reports.
    let (shuili, wcsrf) = common::login(&server, "shuili").await;
    let (status, _) = post(
        &shuili,
        server.url("/api/v1/ledger/items/3-1-1/reports"),
        &wcsrf,
        json!({ "value": "0", "narrative": "x" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (sthj, tcsrf) = common::login(&server, "sthj").await;
    let (status, _) = post(
        &sthj,
        server.url("/api/v1/ledger/items/3-1-1/reports"),
        &tcsrf,
        json!({ "value": "0", "narrative": "牵头单位汇总" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // Staff do not report, they review.
    let (status, _) = post(
        &staff,
        server.url("/api/v1/ledger/items/3-1-1/reports"),
        &scsrf,
        json!({ "value": "0", "narrative": "x" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_city_value_is_the_sum_of_accepted_county_reports() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, scsrf) = common::login(&server, "staff").await;
    let (status, body) = post(
        &staff,
        server.url("/api/v1/ledger/items"),
        &scsrf,
        three_county_item("3-2-y", "2099-12-31"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let mut ids = Vec::new();
    for (who, value) in [("xinfu", "3"), ("dingxiang", "4"), ("wutai", "5")] {
        let (c, csrf) = common::login(&server, who).await;
        let (status, body) = post(
            &c,
            server.url("/api/v1/ledger/items/3-2-y/reports"),
            &csrf,
            json!({ "value": value, "narrative": format!("完成整治 {value} 个") }),
        )
        .await;
        assert_eq!(status, StatusCode::CREATED, "{body}");
        ids.push(body["report"]["id"].as_i64().unwrap());
    }
    let city = |v: &Value| v["item"]["city_value"].clone();
    let item = get(&staff, server.url("/api/v1/ledger/items/3-2-y")).await;
    assert_eq!(city(&item), Value::Null, "nothing accepted yet: {item}");
    assert_eq!(item["item"]["city"], "尚无审核通过的报告");
    // Accept two, return the third with a reason.
    for id in &ids[..2] {
        let (status, _) = post(
            &staff,
            server.url(&format!("/api/v1/ledger/reports/{id}/review")),
            &scsrf,
            json!({ "decision": "accept" }),
        )
        .await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, body) = post(
        &staff,
        server.url(&format!("/api/v1/ledger/reports/{}/review", ids[2])),
        &scsrf,
        json!({ "decision": "return" }),
    )
    .await;
    assert_eq!(
        status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "a return needs its reason: {body}"
    );
    let (status, body) = post(
        &staff,
        server.url(&format!("/api/v1/ledger/reports/{}/review", ids[2])),
        &scsrf,
        json!({ "decision": "return", "reason": "缺少验收材料" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["report"]["state_label"], "已退回");
    let item = get(&staff, server.url("/api/v1/ledger/items/3-2-y")).await;
    assert_eq!(city(&item), "7", "the returned 5 does not count: {item}");
    assert_eq!(item["item"]["complete"], false);
    // The returned report is on 五台县's list and on her home page.
    let att = get(&staff, server.url("/api/v1/ledger/attention?county=140922")).await;
    let rows = att["rows"].as_array().unwrap();
    assert!(
        rows.iter()
            .any(|r| r["item_id"] == "3-2-y" && r["reason"] == "returned"),
        "{att}"
    );
    let (wutai, wcsrf) = common::login(&server, "wutai").await;
    let home = wutai
        .get(server.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(home.contains("我的待办") && home.contains("缺少验收材料"));
    // Resubmitted: still not counted until accepted.
    let (status, body) = post(
        &wutai,
        server.url("/api/v1/ledger/items/3-2-y/reports"),
        &wcsrf,
        json!({ "value": "5", "narrative": "补充验收材料后重报" }),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["report"]["revision"], 2);
    let second = body["report"]["id"].as_i64().unwrap();
    let item = get(&staff, server.url("/api/v1/ledger/items/3-2-y")).await;
    assert_eq!(city(&item), "7");
    let (status, _) = post(
        &staff,
        server.url(&format!("/api/v1/ledger/reports/{second}/review")),
        &scsrf,
        json!({ "decision": "accept" }),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let item = get(&staff, server.url("/api/v1/ledger/items/3-2-y")).await;
    assert_eq!(city(&item), "12", "3 + 4 + 5: {item}");
    assert_eq!(item["item"]["complete"], true);
    // A review twice is a conflict; a county official may not review.
    let (status, _) = post(
        &staff,
        server.url(&format!("/api/v1/ledger/reports/{second}/review")),
        &scsrf,
        json!({ "decision": "accept" }),
    )
    .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = post(
        &wutai,
        server.url(&format!("/api/v1/ledger/reports/{}/review", ids[0])),
        &wcsrf,
        json!({ "decision": "return", "reason": "x" }),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused(
            &store,
            "item_report.return",
            &format!("item_report:{}", ids[0])
        )
        .await,
        1
    );
    // The annual report shows the item under its task with every county's and unit's part.
    let report = staff
        .get(server.url("/reports/2026"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        report.contains("3-2-y 实施入河排污口分类整治"),
        "no item in the report"
    );
    assert!(report.contains("已完成：12个（3/3 已通过审核）"));
    assert!(report.contains("五台县：已完成（5个）"));
    assert!(report.contains("市生态环境局：未完成（牵头单位）"));
    assert!(report.contains("事项完成情况（按责任单位和县（市、区））"));
    let audit = store.audit_log(Some("item_report."), 100).await.unwrap();
    assert_eq!(
        audit
            .iter()
            .filter(|r| r.outcome == "ok" && r.action == "item_report.accept")
            .count(),
        3
    );
}

#[tokio::test]
async fn overdue_items_are_listed_per_county_and_unit() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, scsrf) = common::login(&server, "staff").await;
    let (status, _) = post(
        &staff,
        server.url("/api/v1/ledger/items"),
        &scsrf,
        three_county_item("3-2-z", "2020-06-30"),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED);
    // 新府区 finishes its part and is accepted; the other two stay overdue.
    let (xinfu, csrf) = common::login(&server, "xinfu").await;
    let (_, body) = post(
        &xinfu,
        server.url("/api/v1/ledger/items/3-2-z/reports"),
        &csrf,
        json!({ "value": "10", "narrative": "完成" }),
    )
    .await;
    let id = body["report"]["id"].as_i64().unwrap();
    post(
        &staff,
        server.url(&format!("/api/v1/ledger/reports/{id}/review")),
        &scsrf,
        json!({ "decision": "accept" }),
    )
    .await;
    let att = get(&staff, server.url("/api/v1/ledger/attention")).await;
    let overdue = |code: &str| {
        att["rows"].as_array().unwrap().iter().any(|r| {
            r["item_id"] == "3-2-z" && r["reason"] == "overdue" && r["party"]["code"] == code
        })
    };
    assert!(!overdue("140902"));
    assert!(overdue("140921") && overdue("140922"));
    assert!(overdue("sthj"), "the lead unit has not reported its part");
    let page = staff
        .get(server.url("/ledger"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"county-140921\"") && page.contains("id=\"unit-sthj\""));
    assert!(page.contains("3-2-z"));
    // 定襄县's home lists the item as overdue.
    let (dx, _) = common::login(&server, "dingxiang").await;
    let todo = get(&dx, server.url("/api/v1/ledger/todo")).await;
    assert!(
        todo["open"]
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["item_id"] == "3-2-z" && r["reason"] == "overdue"),
        "{todo}"
    );
}

#[tokio::test]
async fn staff_revise_items_and_bad_items_are_refused_in_chinese() {
    let (store, _db) = seeded().await;
    let server = common::serve(store.clone()).await;
    let (staff, scsrf) = common::login(&server, "staff").await;
    let mut bad = three_county_item("3-2-w", "2026-12-31");
    bad["counties"] = json!("140902 110101");
    let (status, body) = post(&staff, server.url("/api/v1/ledger/items"), &scsrf, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(
        body["message"]
            .as_str()
            .unwrap()
            .contains("不是本规划的区县"),
        "{body}"
    );
    // A plan item revised on the web takes the file's place.
    let mut rev = three_county_item("", "2026-06-30");
    rev["task"] = json!("3-1");
    rev["text"] = json!("加快35蒸吨以下燃煤锅炉动态清零");
    rev["measure"] = json!("count");
    rev["measure_unit"] = json!("台");
    rev["target"] = json!("0");
    rev["direction"] = json!("at_most");
    rev["counties"] = json!("all");
    rev["reason"] = json!("市政府要求提前完成");
    let (status, body) = post(
        &staff,
        server.url("/api/v1/ledger/items/3-1-1/revisions"),
        &scsrf,
        rev,
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let item = get(&staff, server.url("/api/v1/ledger/items/3-1-1")).await;
    assert_eq!(item["item"]["item"]["deadline"], "2026-06-30");
    assert_eq!(
        item["item"]["item"]["counties"].as_array().unwrap().len(),
        14
    );
    let log = store.audit_log(Some("task_item."), 10).await.unwrap();
    assert!(
        log.iter()
            .any(|r| r.action == "task_item.revise" && r.target == "item:3-1-1")
    );
    // A county official may not add items (403, audited).
    let (xinfu, csrf) = common::login(&server, "xinfu").await;
    let (status, _) = post(
        &xinfu,
        server.url("/api/v1/ledger/items"),
        &csrf,
        three_county_item("3-2-v", "2026-12-31"),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(refused(&store, "task_item.add", "item:3-2-v").await, 1);
}

/// In Chromium: a county official's home page (the cockpit) lists her open items and her
/// returned report with its reason; the screenshot is saved for people to look at.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_county_officials_home_lists_her_open_items_and_returned_reports() {
    use common::webdriver::{Browser, english_codes, english_words_in};
    let (store, _db) = seeded().await;
    let plan = qingshan_plan::xinzhou().unwrap();
    let staff = store.user_credentials("staff").await.unwrap().unwrap().0;
    let xinfu = store.user_credentials("xinfu").await.unwrap().unwrap().0;
    let actor = |u: &qingshan_store::User| qingshan_store::Actor {
        user_id: Some(u.id),
        name: u.username.clone(),
        peer: None,
    };
    let (report, _) = store
        .record_item_report(
            &qingshan_store::NewItemReport {
                plan_id: plan.meta.id.clone(),
                item_id: "3-1-1".into(),
                party_kind: "county".into(),
                party: "140902".into(),
                value: Some("2".into()),
                done: None,
                objects_done: None,
                narrative: "尚余 2 台".into(),
            },
            &[],
            &actor(&xinfu),
        )
        .await
        .unwrap();
    store
        .review_item_report(
            report.id,
            false,
            Some("请附锅炉拆除现场照片"),
            &actor(&staff),
        )
        .await
        .unwrap();
    let server = common::serve(store.clone()).await;
    let base = server.url("");
    for (width, height) in [(1440, 900), (390, 844)] {
        let Some(browser) = Browser::start(width, height).await else {
            return;
        };
        browser.login(&base, "xinfu", "correct horse").await;
        browser.goto(&format!("{base}/")).await;
        let todo = browser
            .eval("const t = document.querySelector('#my-todo'); return t ? t.innerText : ''")
            .await;
        let todo = todo.as_str().unwrap().to_string();
        assert!(todo.contains("我的待办"), "{todo}");
        assert!(
            todo.contains("被退回的报告（1）") && todo.contains("请附锅炉拆除现场照片"),
            "{todo}"
        );
        // The seeded items that concern her county, but 3-1-1 (returned), are open.
        let open = plan.items().filter(|i| i.concerns_county("140902")).count() - 1;
        assert!(todo.contains(&format!("待完成的事项（{open}）")), "{todo}");
        assert!(
            todo.contains("全面消除城市黑臭水体") && todo.contains("逾期"),
            "{todo}"
        );
        assert!(
            english_words_in(&todo, &english_codes()).is_empty(),
            "{todo}"
        );
        let fits = browser
            .eval("return document.documentElement.scrollWidth <= window.innerWidth + 1")
            .await;
        assert_eq!(fits, true, "the home page overflows at {width} px");
        let shot = browser
            .screenshot(&format!("ledger-county-home-{width}"))
            .await;
        eprintln!("screenshot: {}", shot.display());
        browser.quit().await;
    }
}
