//! XLSX imports and templates against a real server on a fresh database: a registry workbook
//! through the web form and the API, a values workbook through the API; a bad row is named by
//! row and column (with its letter) and nothing is stored.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Role, Store};
use reqwest::{Client, StatusCode};
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
use serde_json::Value;

/// A registry row: strings go in as text cells, the rest as numbers or dates, as a person
/// filling in the template in Excel would leave them.
enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
    Bool(bool),
    Empty,
}

use Cell::{Bool, Date, Empty, Number, Text};

fn workbook(header: &[&str], rows: &[Vec<Cell>]) -> Vec<u8> {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, cell) in row.iter().enumerate() {
            let c = c as u16;
            match cell {
                Text(t) => {
                    ws.write_string(r, c, *t).unwrap();
                }
                Number(n) => {
                    ws.write_number(r, c, *n).unwrap();
                }
                Date(y, m, d) => {
                    ws.write_datetime_with_format(
                        r,
                        c,
                        ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                        &date,
                    )
                    .unwrap();
                }
                Bool(b) => {
                    ws.write_boolean(r, c, *b).unwrap();
                }
                Empty => {}
            }
        }
    }
    // A second sheet must not be read.
    wb.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "not data")
        .unwrap();
    wb.save_to_buffer().unwrap()
}

fn registry_row(credit_code: &'static str, factor: &'static str, limit: f64) -> Vec<Cell> {
    vec![
        Text(credit_code),
        Text("某热电有限公司"),
        Text("140902"),
        Text("电力"),
        Empty,
        Number(112.73),
        Number(38.42),
        Text("重点管理"),
        Text("DA001"),
        Text("1号锅炉"),
        Text("gas"),
        Text("MNXLSX0001"),
        Number(2017.0),
        Text("strict"),
        Text("000123"),
        Number(3600.0),
        Text("P-001"),
        Date(2024, 1, 1),
        Date(2028, 12, 31),
        Text(factor),
        Number(limit),
        // Excel turns a typed `true` into a boolean cell.
        Bool(true),
        Number(6.0),
        Number(120.05),
    ]
}

fn water_row() -> Vec<Cell> {
    vec![
        Text("91110000802100433B"),
        Text("某化工有限公司"),
        Text("140981"),
        Empty,
        Empty,
        Empty,
        Empty,
        Empty,
        Text("DW001"),
        Text("总排口"),
        Text("water"),
        Text("MNXLSX0002"),
        Number(2005.0),
        Text("field"),
        Text("654321"),
        Number(300.0),
    ]
}

fn good_registry() -> Vec<u8> {
    workbook(
        &qingshan_sources::REGISTRY_COLUMNS,
        &[
            registry_row("9144030071526726XG", "a21026", 35.5),
            registry_row("9144030071526726XG", "a21002", 0.015),
            water_row(),
        ],
    )
}

/// Row 3 carries a 统一社会信用代码 whose check digit is wrong.
fn bad_registry() -> Vec<u8> {
    workbook(
        &qingshan_sources::REGISTRY_COLUMNS,
        &[
            registry_row("9144030071526726XG", "a21026", 35.5),
            registry_row("9144030071526726X1", "a21002", 0.015),
            water_row(),
        ],
    )
}

/// Devices and limits as stored: `(mn, password)` and
/// `(mn, factor, hourly limit, annual total, judged on converted values)`.
type Stored = (
    Vec<(String, String)>,
    Vec<(String, String, String, String, bool)>,
);

async fn stored(store: &Store) -> Stored {
    let devices = store
        .registered_devices()
        .await
        .unwrap()
        .into_iter()
        .map(|d| (d.mn, d.password))
        .collect();
    let limits = store
        .supervised_limits("2026-03-01")
        .await
        .unwrap()
        .into_iter()
        .map(|l| {
            (
                l.mn,
                l.factor,
                l.hourly_limit.unwrap_or_default(),
                l.annual_total_t.unwrap_or_default(),
                l.use_converted,
            )
        })
        .collect();
    (devices, limits)
}

fn assert_good_registry_stored((devices, limits): &Stored) {
    let s = |v: &str| v.to_string();
    assert_eq!(
        devices,
        &[
            (s("MNXLSX0001"), s("000123")),
            (s("MNXLSX0002"), s("654321"))
        ]
    );
    assert_eq!(
        limits,
        &[
            (s("MNXLSX0001"), s("a21002"), s("0.015"), s("120.05"), true),
            (s("MNXLSX0001"), s("a21026"), s("35.5"), s("120.05"), true),
        ]
    );
}

const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// A `multipart/form-data` body as a browser sends the import form.
fn form(csrf: &str, file: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----qingshan-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"登记表.xlsx\"\r\n\
         Content-Type: {XLSX}\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

async fn post_form(c: &Client, url: &str, csrf: &str, file: &[u8]) -> reqwest::Response {
    let (content_type, body) = form(csrf, file);
    c.post(url)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn registry_workbook_through_the_web_form() {
    let (store, _db) = common::fresh_store("xlsx-form").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, _) = common::login(&server, "staff").await;
    let page = c
        .get(server.url("/sources"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("href=\"/sources/template.xlsx\""),
        "no XLSX template link"
    );
    let csrf = common::hidden(&page, "csrf_token");

    // Bad row 3: refused, naming row, column and its letter; nothing stored.
    let r = post_form(&c, &server.url("/sources/import"), &csrf, &bad_registry()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text().await.unwrap();
    assert!(
        html.contains(
            "<td>第 3 行</td><td>统一社会信用代码（A 列）</td><td>校验位应为「G」，实为「1」</td>"
        ),
        "{html}"
    );
    assert_eq!(stored(&store).await, (vec![], vec![]));

    // The good file is stored, every value exactly as typed.
    let r = post_form(&c, &server.url("/sources/import"), &csrf, &good_registry()).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    // The page says how many records were new, changed and unchanged (issue 12).
    assert_eq!(
        r.headers().get("location").unwrap(),
        "/sources?imported=1&new=9&changed=0&unchanged=0"
    );
    assert_good_registry_stored(&stored(&store).await);

    // A bad file afterwards leaves what is stored as it was.
    let before = stored(&store).await;
    let r = post_form(&c, &server.url("/sources/import"), &csrf, &bad_registry()).await;
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(stored(&store).await, before);
}

#[tokio::test]
async fn registry_workbook_through_the_api() {
    let (store, _db) = common::fresh_store("xlsx-api").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;
    let post = |body: Vec<u8>| {
        c.post(server.url("/api/v1/sources/import"))
            .header("x-csrf-token", &csrf)
            .header("content-type", XLSX)
            .body(body)
            .send()
    };

    let r = post(bad_registry()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "file");
    assert_eq!(
        v["message"],
        "文件有 1 处错误，未导入：\n第 3 行「统一社会信用代码」列（A 列）：校验位应为「G」，实为「1」"
    );
    assert_eq!(
        v["errors"],
        serde_json::json!([{"row": 3, "column": "统一社会信用代码", "letter": "A", "message": "校验位应为「G」，实为「1」"}])
    );
    assert_eq!(stored(&store).await, (vec![], vec![]));

    let r = post(good_registry()).await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let v: Value = r.json().await.unwrap();
    assert_eq!(
        (v["devices"].as_u64(), v["limits"].as_u64()),
        (Some(2), Some(2))
    );
    assert_good_registry_stored(&stored(&store).await);

    // Not a workbook, though it starts like a ZIP file: refused, nothing changes.
    let before = stored(&store).await;
    let r = post(b"PK\x03\x04broken".to_vec()).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("不是有效的 XLSX 文件"),
        "{v}"
    );
    // A data row wider than the header is refused at its row, as the CSV reader would.
    let mut wide = registry_row("9144030071526726XG", "a21026", 35.5);
    wide.push(Text("stray"));
    let r = post(workbook(&qingshan_sources::REGISTRY_COLUMNS, &[wide]))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert!(v["message"].as_str().unwrap().contains("第 2 行"), "{v}");
    assert_eq!(stored(&store).await, before);
}

#[tokio::test]
async fn values_workbook_through_the_api() {
    let (store, _db) = common::fresh_store("xlsx-values").await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (c, csrf) = common::login(&server, "staff").await;
    let post = |body: Vec<u8>| {
        c.post(server.url("/api/v1/values/import"))
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
    };
    let header = qingshan_plan::values::VALUE_COLUMNS;
    let bad = workbook(
        &header,
        &[
            vec![Number(7.0), Number(2023.0), Text("140900"), Text("60.10")],
            vec![Number(17.0), Number(2024.0), Text("140902"), Text("六十")],
        ],
    );
    let r = post(bad).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "file");
    assert!(
        v["message"]
            .as_str()
            .unwrap()
            .contains("\n第 3 行「数值」列（D 列）："),
        "{v}"
    );
    let plan_id = "xinzhou-beautiful-shanxi-2023";
    assert!(
        store
            .current_indicator_values(plan_id)
            .await
            .unwrap()
            .is_empty()
    );

    let good = workbook(
        &header,
        &[
            vec![
                Number(7.0),
                Number(2023.0),
                Text("140900"),
                Text("60.10"),
                Empty,
                Text("年报"),
            ],
            vec![Number(17.0), Number(2024.0), Text("140902"), Number(55.25)],
        ],
    );
    let r = post(good).await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let mut values: Vec<(i64, String, String)> = store
        .current_indicator_values(plan_id)
        .await
        .unwrap()
        .into_iter()
        .map(|v| (v.indicator_number, v.division_code, v.value))
        .collect();
    values.sort();
    assert_eq!(
        values,
        [
            (7, "140900".to_string(), "60.10".to_string()),
            (17, "140902".to_string(), "55.25".to_string())
        ]
    );
}

#[tokio::test]
async fn xlsx_templates_hold_the_readers_header() {
    let (store, _db) = common::fresh_store("xlsx-templates").await;
    let server = common::serve(store).await;
    let c = common::client();
    let zh =
        |t: &[qingshan_app::imports::TemplateColumn]| t.iter().map(|c| c.zh).collect::<Vec<_>>();
    for (path, columns) in [
        (
            "/sources/template.xlsx",
            zh(&qingshan_app::imports::REGISTRY_TEMPLATE),
        ),
        (
            "/api/v1/values/template.xlsx",
            zh(&qingshan_app::imports::VALUES_TEMPLATE),
        ),
        (
            "/water/template.xlsx",
            vec!["断面编码", "采样日期", "监测项目", "监测结果"],
        ),
    ] {
        let r = c.get(server.url(path)).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        assert_eq!(r.headers()["content-type"], XLSX, "{path}");
        assert!(
            r.headers()["content-disposition"]
                .to_str()
                .unwrap()
                .contains(".xlsx"),
            "{path}"
        );
        let sheet = qingshan_tabular::read_first_sheet(&r.bytes().await.unwrap()).unwrap();
        assert_eq!(sheet.rows(), [columns], "{path}");
    }
    let csv = c
        .get(server.url("/water/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(csv, "\u{feff}断面编码,采样日期,监测项目,监测结果\n");
    let doc: Value = c
        .get(server.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    for p in ["/sources/import", "/values/import"] {
        assert!(
            doc["paths"][p]["post"]["requestBody"]["content"]
                .get(XLSX)
                .is_some(),
            "{p} does not document XLSX bodies"
        );
    }
    assert!(doc["paths"].get("/values/template.xlsx").is_some());
}

/// The dashboard's upload form takes the same file as the API: a reporter stores the values of
/// its own unit's indicator, and a file with another unit's row is refused whole.
#[tokio::test]
async fn values_workbook_through_the_dashboard_form() {
    let (store, _db) = common::fresh_store("xlsx-values-form").await;
    common::user(&store, "slj", Role::Reporter, Some("slj"), None).await;
    let server = common::serve(store.clone()).await;
    let (c, _) = common::login(&server, "slj").await;
    let page = c
        .get(server.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"values-import\"") && page.contains("/api/v1/values/template.xlsx"));
    let csrf = common::hidden(&page, "csrf_token");
    let header = qingshan_plan::values::VALUE_COLUMNS;
    let plan_id = "xinzhou-beautiful-shanxi-2023";

    // Row 3 is indicator 6 (森林覆盖率), owned by 市规划和自然资源局: the whole file is refused.
    let mixed = workbook(
        &header,
        &[
            vec![Number(7.0), Number(2023.0), Text("140900"), Text("60.10")],
            vec![Number(6.0), Number(2023.0), Text("140900"), Text("16.05")],
        ],
    );
    let r = post_form(&c, &server.url("/values/import"), &csrf, &mixed).await;
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(r.text().await.unwrap().contains("第 3 行"));
    assert!(
        store
            .current_indicator_values(plan_id)
            .await
            .unwrap()
            .is_empty()
    );

    let own = workbook(
        &header,
        &[vec![
            Number(7.0),
            Number(2023.0),
            Text("140900"),
            Text("60.10"),
        ]],
    );
    let r = post_form(&c, &server.url("/values/import"), &csrf, &own).await;
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        r.headers().get("location").unwrap(),
        "/plan?imported=1&new=1&changed=0&unchanged=0"
    );
    let v = store.current_indicator_values(plan_id).await.unwrap();
    assert_eq!(
        (
            v.len(),
            v[0].indicator_number,
            v[0].value.as_str(),
            v[0].source.as_str()
        ),
        (1, 7, "60.10", "import")
    );
    let page = c
        .get(server.url("/plan?imported=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已导入 1 个指标数值"));
}
