//! Honest numbers (issue 13): no grade over indicators without data, a value computed from too
//! few valid days shown as 数据不足 and never counted, and an explicit assessment year that one
//! import does not move.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Datelike;
use qingshan_store::{Actor, AirStation, NewIndicatorValue, Store};
use reqwest::StatusCode;
use serde_json::Value;

/// The plan table's path (moved to `/plan` by the cockpit work: change it here only).
const PLAN_TABLE: &str = "/plan";

const CITY: &str = "140900";
const XINFU: &str = "140902";

fn value(n: i64, year: i64, division: &str, v: &str, source: &str) -> NewIndicatorValue {
    NewIndicatorValue {
        plan_id: "xinzhou-beautiful-shanxi-2023".into(),
        indicator_number: n,
        year,
        division_code: division.into(),
        value: v.into(),
        note: None,
        reason: None,
        source: source.into(),
        capture: None,
    }
}

async fn get(server: &common::Server, path: &str) -> (StatusCode, String) {
    let r = reqwest::get(server.url(path)).await.unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// The table row (`<tr>…</tr>`) that starts with the cell `name`.
fn row<'a>(html: &'a str, name: &str) -> &'a str {
    let start = html
        .find(&format!("<tr><td>{name}</td>"))
        .unwrap_or_else(|| panic!("no row {name}"));
    let end = html[start..].find("</tr>").unwrap() + start;
    &html[start..end]
}

/// City values for 2023 and 2024 of every indicator except 5 (水利局's), 忻府区 with one
/// indicator assessable and one without a baseline, then one imported 2025 value.
async fn fill(store: &Store) {
    let mut values = Vec::new();
    for n in (1..=24).filter(|n| *n != 5) {
        for (year, v) in [(2023, "10"), (2024, "11")] {
            values.push(value(n, year, CITY, v, "manual"));
        }
    }
    values.push(value(6, 2020, XINFU, "20.1", "manual"));
    values.push(value(6, 2024, XINFU, "21", "manual"));
    // No 2020 value and no other year: 忻府区's indicator 7 cannot be assessed (无数据).
    values.push(value(7, 2024, XINFU, "60", "manual"));
    store
        .record_indicator_values(&values, &Actor::cli())
        .await
        .unwrap();
    // One value for a later year, imported.
    store
        .record_indicator_values_changes(&[value(6, 2025, CITY, "16.8", "import")], &Actor::cli())
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_grade_without_data_and_an_explicit_year() {
    let (store, _plan, _db) = common::fresh_prepared("honest").await;
    fill(&store).await;
    let server = common::serve(store.clone()).await;

    let (status, html) = get(&server, PLAN_TABLE).await;
    assert_eq!(status, StatusCode::OK);
    // The imported 2025 value does not move the assessment: 2024 is assessed, and says why.
    assert!(
        html.contains("按 2024 年评估（该年 23 项指标有数据"),
        "{}",
        &html[..html.len().min(3000)]
    );
    assert!(html.contains("2025 年仅 1 项有数据，未纳入默认"));
    assert!(html.contains("<option value=\"2024\" selected>2024（默认）</option>"));
    assert!(html.contains("href=\"/reports/2024\""));
    // 市水利局 owns 5 (no data) and 7: no score, no grade.
    let slj = row(&html, "市水利局");
    assert!(slj.contains("数据不全（1 项无数据）"), "{slj}");
    assert!(!slj.contains("优秀") && !slj.contains("100"), "{slj}");
    // 忻府区: one indicator assessed, one without data.
    let xinfu = row(&html, "忻府区");
    assert!(xinfu.contains("数据不全（1 项无数据）"), "{xinfu}");
    assert!(
        !["优秀", "良好", "合格"].iter().any(|g| xinfu.contains(g)),
        "{xinfu}"
    );

    // The API says the same, with the stable fields null and the reason beside them.
    let (status, body) = get(&server, "/api/v1/progress").await;
    assert_eq!(status, StatusCode::OK);
    let p: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(
        (p["year"].as_i64(), p["default_year"].as_i64()),
        (Some(2024), Some(2024))
    );
    assert!(p["year_basis"].as_str().unwrap().contains("未纳入默认"));
    let unit = |key: &str| {
        p["unit_scores"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["key"] == key)
            .unwrap()
            .clone()
    };
    let slj = unit("slj");
    assert!(slj["score"].is_null() && slj["grade"].is_null(), "{slj}");
    assert_eq!(
        (slj["grade_status"].as_str(), slj["missing"].as_i64()),
        (Some("incomplete"), Some(1))
    );
    let xinfu = p["division_scores"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["key"] == XINFU)
        .unwrap();
    assert_eq!(xinfu["grade_status"], "incomplete");
    let (status, body) = get(&server, "/api/v1/progress?year=abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(body.contains("年份"), "{body}");

    // The report of the same year says the same.
    let (status, report) = get(&server, "/reports/2024").await;
    assert_eq!(status, StatusCode::OK);
    assert!(report.contains("数据不全（1 项无数据）"));

    // ?year= selects another year; the report links follow it.
    let (status, html) = get(&server, &format!("{PLAN_TABLE}?year=2023")).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("按 2023 年评估（所选年份，该年 23 项指标有数据；默认评估年份为 2024 年）")
    );
    assert!(html.contains("href=\"/reports/2023.pdf\""));
    assert!(html.contains("<option value=\"2023\" selected>"));
    // A bad year is answered in Chinese, naming the field.
    for bad in ["abc", "2019", "99999"] {
        let (status, body) = get(&server, &format!("{PLAN_TABLE}?year={bad}")).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad}");
        assert!(body.contains("年份"), "{bad}: {body}");
        assert!(!body.contains("deserialize"), "{bad}: {body}");
    }

    // The indicator page's form starts at the latest year with data, not the baseline year.
    common::user(&store, "staff", qingshan_store::Role::Staff, None, None).await;
    let (c, _) = common::login(&server, "staff").await;
    let page = c
        .get(server.url("/indicators/6"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("<option value=\"2025\" selected>"),
        "indicator 6"
    );
    assert!(!page.contains("<option value=\"2020\" selected>"));
}

/// Dongsi's hours of 1 January – 25 February 2014 relabelled as 2025: 56 days of 365.
fn dongsi_56_days_of_2025() -> qingshan_air::HourlySeries {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/air/beijing-uci/PRSA_Data_Dongsi_20130301-20170228.csv");
    let mut all =
        qingshan_air::parse_hourly_csv(std::io::BufReader::new(std::fs::File::open(p).unwrap()))
            .unwrap();
    let mut s = all.remove(0);
    s.days
        .retain(|d| d.date.year() == 2014 && d.date.ordinal() <= 56);
    for d in &mut s.days {
        d.date = d.date.with_year(2025).unwrap();
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_short_capture_is_stored_and_shown_as_insufficient() {
    let (store, plan, _db) = common::fresh_prepared("capture").await;
    let station = AirStation {
        code: "Dongsi".into(),
        name: "东四".into(),
        control_level: "国控".into(),
        division_code: Some(XINFU.into()),
        longitude: None,
        latitude: None,
    };
    store
        .upsert_air_stations(&[station], &Actor::cli())
        .await
        .unwrap();
    let series = dongsi_56_days_of_2025();
    store
        .import_air_hourly(
            &qingshan_app::air::hours_from_series(std::slice::from_ref(&series), "import"),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let recorded = qingshan_app::monitoring::record_monitoring_indicators(
        &store,
        &plan,
        2025,
        &Actor::system(),
    )
    .await
    .unwrap();
    let direct = qingshan_air::assess_year(&series, 2025, &qingshan_air::AssessOptions::default());
    let pm = &direct.pollutants[qingshan_air::Pollutant::Pm25.index()];
    assert!(
        pm.valid_days > 40 && pm.valid_days <= 56,
        "{}",
        pm.valid_days
    );
    let pm_value = pm.mean.unwrap().format_gbt8170(0);
    let city_12 = recorded
        .iter()
        .find(|v| v.indicator_number == 12 && v.division_code == CITY)
        .unwrap();
    // Stored, with its capture and the verdict.
    assert_eq!(city_12.value, pm_value);
    assert_eq!(
        (
            city_12.valid_days,
            city_12.period_days,
            city_12.capture_valid
        ),
        (Some(i64::from(pm.valid_days)), Some(365), Some(false))
    );
    assert!(city_12.note.as_deref().unwrap().contains("不作为评估依据"));
    let city_11 = recorded
        .iter()
        .find(|v| v.indicator_number == 11 && v.division_code == CITY)
        .unwrap();
    assert_eq!(city_11.capture_valid, Some(false));
    let share = qingshan_air::Ratio::new(i128::from(pm.valid_days) * 100, 365)
        .unwrap()
        .format_gbt8170(1);
    let label = format!("数据不足（有效天数 {}/365，{share}%）", pm.valid_days);
    // The pages' escaping writes the slash as an entity.
    let in_html = label.replace('/', "&#x2f;");

    let server = common::serve(store.clone()).await;
    // The indicator page, seen by the public: 数据不足 with the capture, never the plain figure.
    let (status, page) = get(&server, "/indicators/12").await;
    assert_eq!(status, StatusCode::OK);
    assert!(page.contains(&in_html), "{label}");
    assert!(!page.contains(&format!("{pm_value}（2025年")));
    // The plan table (its public variant): the same, and 12 counts as having no data.
    let (_, html) = get(&server, &format!("{PLAN_TABLE}?year=2025")).await;
    assert!(html.contains(&in_html), "{label}");
    assert!(!html.contains(&format!("{pm_value}<small>（2025年）")));
    let r12 = &html[html.find("id=\"indicator-12\"").unwrap()..];
    let r12 = &r12[..r12.find("</tr>").unwrap()];
    assert!(r12.contains(">无数据<"), "{r12}");
    assert!(r12.contains("不作为评估依据"), "{r12}");
    // A year of 数据不足 values is not a year with data: the default stays the first year.
    let (_, html) = get(&server, PLAN_TABLE).await;
    assert!(html.contains("按 2021 年评估"), "default year");

    // The API carries the capture.
    let (_, body) = get(&server, "/api/v1/indicators/12/values").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let city = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["division_code"] == CITY)
        .unwrap();
    assert_eq!(city["valid_days"], pm.valid_days);
    assert_eq!(city["period_days"], 365);
    assert_eq!(city["capture_valid"], false);
    let (_, body) = get(&server, "/api/v1/indicators/12").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["indicator"]["latest"]["capture_valid"], false);
    assert_eq!(v["indicator"]["latest"]["capture_label"], label.as_str());
    // A value entered by hand has none.
    store
        .record_indicator_value(&value(12, 2024, CITY, "40", "manual"), &Actor::cli())
        .await
        .unwrap();
    let (_, body) = get(&server, "/api/v1/indicators/12/values").await;
    let v: Value = serde_json::from_str(&body).unwrap();
    let manual = v["values"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["year"] == 2024)
        .unwrap();
    assert!(manual["capture_valid"].is_null() && manual["valid_days"].is_null());
}
