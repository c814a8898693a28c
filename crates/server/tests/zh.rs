//! Chinese throughout: bad query strings answer a Chinese page in the site layout (or Chinese
//! JSON under /api), error pages keep the navigation and the signed-in user, the report page
//! has the navigation, times are Beijing time and codes are shown by their labels.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, AlarmEpisode, NewIndicatorValue, Role};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn bad_query_strings_get_a_chinese_page_with_navigation() {
    let (store, _db) = common::fresh_store("zh-query").await;
    common::user(&store, "zh_staff", Role::Staff, None, None).await;
    let server = common::serve(store).await;
    let (c, _) = common::login(&server, "zh_staff").await;

    for (path, param, typed) in [
        ("/water?year=abc", "year", "abc"),
        ("/air/stations/XZ01?year=20x4", "year", "20x4"),
    ] {
        let r = c.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::BAD_REQUEST, "{path}");
        assert!(
            r.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html")
        );
        let html = r.text().await.unwrap();
        assert!(
            html.contains("<header class=\"top\">"),
            "{path}: no navigation"
        );
        assert!(
            html.contains("zh_staff显示名"),
            "{path}: signed-in user missing"
        );
        assert!(
            html.contains(&format!("的值“{typed}”无效")),
            "{path}: {html}"
        );
        assert!(
            html.contains(&format!("name=\"{param}\" value=\"{typed}\"")),
            "{path}: the form does not keep what was typed"
        );
        assert!(!html.contains("Failed to deserialize"), "{path}");
    }
    // The other parameters are kept in the form and the link.
    let html = c
        .get(server.url("/water?status=open&year=-x"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<input type=\"hidden\" name=\"status\" value=\"open\">"));
    assert!(html.contains("water?status=open\">"), "{html}");

    // The API answers the same in Chinese JSON.
    let r = c
        .get(server.url("/api/v1/water/assessment?year=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::BAD_REQUEST);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "year");
    assert_eq!(v["message"], "参数“年份”（year）的值“abc”无效：应为整数");
}

#[tokio::test]
async fn error_pages_and_the_report_keep_the_navigation() {
    let (store, _db) = common::fresh_store("zh-errors").await;
    common::user(&store, "zh_staff", Role::Staff, None, None).await;
    let server = common::serve(store).await;
    let (c, _) = common::login(&server, "zh_staff").await;

    let r = c.get(server.url("/no/such/page")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::NOT_FOUND);
    let html = r.text().await.unwrap();
    assert!(html.contains("<header class=\"top\">") && html.contains("zh_staff显示名"));
    assert!(html.contains("页面不存在"));

    // A year outside the plan: a Chinese error page with the navigation, never JSON.
    let r = c.get(server.url("/reports/2019")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(html.contains("<header class=\"top\">"), "{html}");
    assert!(html.contains("年份："), "{html}");
    assert!(!html.trim_start().starts_with('{'));

    // The report itself, with the navigation above it.
    let r = c.get(server.url("/reports/2024")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    assert!(html.contains("<header class=\"top\">") && html.contains("zh_staff显示名"));
    assert!(html.contains("实施进展评估报告"));
    assert!(html.contains("href=\"/reports/2024.pdf\""));

    // The public gets the same layout without a user.
    let html = common::client()
        .get(server.url("/water?year=abc"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("<header class=\"top\">") && html.contains("href=\"/login\""));
}

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MNZH,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
";

#[tokio::test]
async fn pages_and_exports_show_labels_and_beijing_time() {
    let (store, plan, _db) = common::fresh_prepared("zh-labels").await;
    common::user(&store, "zh_staff", Role::Staff, None, None).await;
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &Actor::cli(),
        )
        .await
        .unwrap();
    for (year, source) in [(2022, "manual"), (2023, "import"), (2024, "monitoring")] {
        store
            .record_indicator_value(
                &NewIndicatorValue {
                    plan_id: plan.meta.id.clone(),
                    indicator_number: 6,
                    year,
                    division_code: "140900".into(),
                    value: "15.5".into(),
                    note: None,
                    reason: None,
                    source: source.into(),
                    capture: None,
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
    }
    // An offline alarm that began at 16:30 UTC: 00:30 the next day in Beijing.
    store
        .raise_alarm(&AlarmEpisode {
            kind: "exceedance".into(),
            mn: "MNZH".into(),
            factor: "a21026".into(),
            start_time: "2026-03-01T16:30:00.000Z".into(),
            end_time: None,
            peak: None,
            peak_time: None,
            records: 1,
            context: "超标".into(),
        })
        .await
        .unwrap();
    let server = common::serve(store).await;
    let (c, _) = common::login(&server, "zh_staff").await;
    let get = |p: &'static str| {
        let c = c.clone();
        let url = server.url(p);
        // The template escaper writes '/' as "&#x2f;"; read the text as a browser shows it.
        async move {
            let t = c.get(url).send().await.unwrap().text().await.unwrap();
            t.replace("&#x2f;", "/")
        }
    };

    let html = get("/indicators/6").await;
    for label in ["人工填报", "批量导入", "监测数据计算"] {
        assert!(
            html.contains(&format!("<td>{label}</td>")),
            "{label} missing"
        );
    }
    assert!(!html.contains("<td>manual</td>") && !html.contains("<td>monitoring</td>"));
    assert!(html.contains("时间（北京时间）"));

    let html = get("/alarms").await;
    assert!(html.contains("二氧化硫（a21026）mg/m³"));
    assert!(
        html.contains("2026-03-02 00:30"),
        "start not in Beijing time"
    );
    assert!(html.contains(">待处理<"), "status in Chinese");

    let csv = get("/api/v1/alarms.csv").await;
    assert!(csv.contains("二氧化硫（a21026）mg/m³"), "{csv}");
    assert!(
        csv.contains("2026-03-02 00:30") && csv.contains("待处理"),
        "{csv}"
    );
    assert!(!csv.contains(",open,") && !csv.contains("Z,"), "{csv}");

    let html = get("/admin/audit").await;
    assert!(html.contains("<td>产生告警</td>") && html.contains("<td>填报指标数值</td>"));
    assert!(html.contains("来源：监测数据计算"));
    assert!(!html.contains("alarm.raise") && !html.contains("source=monitoring"));

    // The API keeps RFC 3339 with its offset.
    let v: Value = c
        .get(server.url("/api/v1/alarms"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let text = v.to_string();
    assert!(text.contains("2026-03-01T16:30:00.000Z"), "{text}");
}

/// Errors answered outside the handlers (a form body axum cannot read, a wrong method, a JSON
/// error of a download) still come back as the Chinese page on page paths, and as Chinese JSON
/// under /api.
#[tokio::test]
async fn rejections_outside_handlers_are_chinese_too() {
    let (store, _db) = common::fresh_store("zh-reject").await;
    common::user(&store, "zh_admin", Role::Admin, None, None).await;
    let server = common::serve(store).await;
    let (c, csrf) = common::login(&server, "zh_admin").await;

    // A form without its fields.
    let r = c
        .post(server.url("/admin/users"))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let html = r.text().await.unwrap();
    assert!(html.contains("<header class=\"top\">"), "{html}");
    assert!(html.contains("表单内容不完整"), "{html}");
    assert!(!html.contains("Failed to deserialize"));

    // A wrong method on a page.
    let r = c.delete(server.url("/alarms")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::METHOD_NOT_ALLOWED);
    assert!(r.text().await.unwrap().contains("不支持这种请求方式"));

    // A download the public may not have: the login page, not JSON.
    let r = common::client()
        .get(server.url("/sources/registry.csv"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");

    // Unreadable JSON sent to the API: Chinese JSON.
    let r = c
        .post(server.url("/api/v1/indicators/6/values"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let v: Value = r.json().await.unwrap();
    assert!(
        v["message"].as_str().unwrap().contains("JSON 内容不完整"),
        "{v}"
    );
}

/// A refused form keeps what was typed: the error page lists it (never the password or the
/// CSRF token) and links back to the page the form was on.
#[tokio::test]
async fn a_refused_form_shows_what_was_typed() {
    let (store, _db) = common::fresh_store("zh-form").await;
    common::user(&store, "zh_staff", Role::Staff, None, None).await;
    let server = common::serve(store).await;
    let (c, csrf) = common::login(&server, "zh_staff").await;
    let r = c
        .post(server.url("/indicators/6/values"))
        .header("referer", server.url("/indicators/6"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("year", "二〇二四"),
            ("division", "140900"),
            ("value", "16.3"),
            ("note", "林草局年报"),
        ])
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
    let html = r.text().await.unwrap().replace("&#x2f;", "/");
    assert!(html.contains("<header class=\"top\">"));
    assert!(html.contains("年份：年份应为四位数字"), "{html}");
    assert!(html.contains("<dt>年份</dt><dd>二〇二四</dd>"), "{html}");
    assert!(html.contains("<dt>数值</dt><dd>16.3</dd>"), "{html}");
    assert!(html.contains("<dt>说明</dt><dd>林草局年报</dd>"), "{html}");
    let listed = html
        .split("id=\"submitted\"")
        .nth(1)
        .unwrap()
        .split("</dl>")
        .next()
        .unwrap();
    assert!(!listed.contains(&csrf), "the CSRF token is not listed");
    assert!(
        html.contains("id=\"back\" href=\"/indicators/6\""),
        "{html}"
    );
}
