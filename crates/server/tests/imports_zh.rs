//! Imports speak the users' spreadsheets, end to end through the web upload and the API:
//! Chinese headers are accepted, every bad row is listed with its row and Chinese column, and
//! nothing is written when any row is bad. And `qingshan demo`'s data: filled into a scratch
//! database, the air, water and sources pages have data and every page carries the banner.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_server::ServerConfig;
use qingshan_store::Role;
use reqwest::StatusCode;

const PLAN_ID: &str = "xinzhou-beautiful-shanxi-2023";

/// A multipart form upload of `file` with the CSRF token.
async fn upload(
    c: &reqwest::Client,
    url: String,
    csrf: &str,
    file: &str,
) -> (StatusCode, String, Option<String>) {
    let boundary = "qingshan-imports-zh";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"f.csv\"\r\nContent-Type: text/csv\r\n\r\n{file}\r\n\
         --{boundary}--\r\n"
    );
    let r = c
        .post(url)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|l| l.to_str().unwrap().to_string());
    (status, r.text().await.unwrap(), location)
}

#[tokio::test]
async fn values_with_chinese_headers_import_by_upload_and_bad_rows_are_all_listed() {
    let (store, _db) = common::fresh_store("zh-values").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;

    // The template downloads are in Chinese.
    let t = c
        .get(server.url("/api/v1/values/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        t.starts_with("\u{feff}指标序号,年份,行政区划代码,数值"),
        "{t}"
    );

    // Three bad rows: all three listed, in Chinese, on the page; nothing stored.
    let bad = "指标序号,年份,行政区划代码,数值（%）,备注\n\
               7,2023,140900,abc,\n\
               7,2024,140900,60,\n\
               99,2023,140900,1,\n\
               7,1800,140900,1,\n";
    let (status, html, _) = upload(&c, server.url("/values/import"), &csrf, bad).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(html.contains("id=\"import-errors\""), "{html}");
    assert!(html.contains("文件有 3 处错误"), "{html}");
    for (row, column) in [(2, "数值"), (4, "指标序号"), (5, "年份")] {
        assert!(
            html.contains(&format!("<td>第 {row} 行</td><td>{column}</td>")),
            "row {row}: {html}"
        );
    }
    assert!(html.contains("规划中没有第 99 项指标"), "{html}");
    for english in ["row 2", "column", "value:", "indicator"] {
        assert!(!html.contains(english), "{english}: {html}");
    }
    assert!(html.contains("<nav>"), "the page keeps the navigation");
    assert!(
        store
            .current_indicator_values(PLAN_ID)
            .await
            .unwrap()
            .is_empty()
    );

    // The API answers the same list as JSON.
    let r = c
        .post(server.url("/api/v1/values/import"))
        .header("x-csrf-token", &csrf)
        .body(bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: serde_json::Value = r.json().await.unwrap();
    let errors = v["errors"].as_array().unwrap();
    assert_eq!(errors.len(), 3, "{v}");
    assert_eq!(errors[1]["row"], 4);
    assert_eq!(errors[1]["column"], "指标序号");
    assert_eq!(errors[1]["message"], "规划中没有第 99 项指标");

    // Chinese headers, spaces and a unit in brackets: imported.
    let good = " 指标序号 ,年份,行政区划代码,数值（%）,备注\n7,2023,140900,60.10,\n";
    let (status, _, to) = upload(&c, server.url("/values/import"), &csrf, good).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert!(to.unwrap().contains("new=1"));
    let stored = store.current_indicator_values(PLAN_ID).await.unwrap();
    assert_eq!(stored.len(), 1);
    assert_eq!(stored[0].value, "60.10");
}

#[tokio::test]
async fn registry_with_chinese_headers_imports_by_upload() {
    let (store, _db) = common::fresh_store("zh-registry").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;
    let template = c
        .get(server.url("/sources/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let header = template.trim_start_matches('\u{feff}').trim_end();
    assert!(
        header.starts_with("统一社会信用代码,排污单位名称,"),
        "{header}"
    );
    let reg = qingshan_app::demo::registry(&["MNZH0001".into(), "MNZH0002".into()], "pw1234");
    let mut rows = String::new();
    for r in qingshan_sources::registry_rows(&reg) {
        rows.push_str(&r.join(","));
        rows.push('\n');
    }
    // Outlet kinds in Chinese, as a user types them.
    let rows = rows.replace(",gas,", ",废气,");
    let (status, html, to) = upload(
        &c,
        server.url("/sources/import"),
        &csrf,
        &format!("{header}\n{rows}"),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{html}");
    assert!(to.unwrap().starts_with("/sources?imported=1"));
    let page = c
        .get(server.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("演示·忻府热电有限公司"), "{page}");

    // A bad registry row is named by its Chinese header.
    let bad = rows.replacen(",废气,", ",废渣,", 1);
    let (status, html, _) = upload(
        &c,
        server.url("/sources/import"),
        &csrf,
        &format!("{header}\n{bad}"),
    )
    .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{html}");
    assert!(
        html.contains("<td>第 2 行</td><td>排放口类型</td>"),
        "{html}"
    );
}

#[tokio::test]
async fn the_demo_data_fill_every_page_and_the_banner_shows() {
    let (store, plan, _db) = common::fresh_prepared("demo-fill").await;
    let mns: Vec<String> = (0..5).map(|i| format!("QSDEMO{i:04}")).collect();
    let today = qingshan_app::beijing::today();
    let filled = qingshan_app::demo::fill(&store, &plan, today, &mns, "pw1234")
        .await
        .unwrap();
    assert_eq!(filled.stations, 4);
    assert!(filled.hours > 8_000, "{}", filled.hours);
    assert!(filled.samples > 100);
    assert_eq!(filled.enterprises, 5);
    assert!(filled.values > 20);
    assert_eq!(filled.accounts.len(), 4);
    assert_eq!(
        qingshan_app::demo::state(&store).await.unwrap(),
        qingshan_app::demo::DbState::Demo
    );
    // A second fill is refused: the demo never writes into a database that is not fresh.
    assert!(
        qingshan_app::demo::fill(&store, &plan, today, &mns, "pw1234")
            .await
            .is_err()
    );

    let server = common::serve_with(
        store.clone(),
        ServerConfig {
            demo: true,
            ..Default::default()
        },
    )
    .await;
    let c = common::client();
    let get = |path: &str| {
        let c = c.clone();
        let url = server.url(path);
        async move {
            let r = c.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK);
            r.text().await.unwrap()
        }
    };
    let year = today.format("%Y").to_string();
    let air = get(&format!("/air?year={year}")).await;
    assert!(air.contains("演示·市监测站"), "{air}");
    let station = get(&format!("/air/stations/DEMO01?year={year}")).await;
    assert!(station.contains("<svg"), "the station page draws its data");
    let water = get(&format!("/water?year={}", today.format("%Y"))).await;
    assert!(water.contains("演示·滹沱河界河铺"), "{water}");
    let sources = get("/sources").await;
    for name in [
        "演示·忻府热电有限公司",
        "演示·原平焦化有限公司",
        "演示·定襄法兰有限公司",
    ] {
        assert!(sources.contains(name), "{name}");
    }
    for page in [&air, &water, &sources, &get("/").await] {
        assert!(page.contains("id=\"demo-banner\""));
        assert!(page.contains("演示数据"));
        assert!(page.contains("CC BY 4.0"));
    }

    // A server that is not a demo shows no banner.
    let plain = common::serve(store.clone()).await;
    let home = c
        .get(plain.url("/"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!home.contains("demo-banner"));
}
