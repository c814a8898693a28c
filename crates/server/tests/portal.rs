//! The 信息公开 portal end to end: the real server on port 0 over a fresh database with two air
//! stations (one named like a formula), an enterprise with a device and a permit, a water
//! section, a city value of an indicator and an orange warning in force. Every page and
//! download answers without sign-in, shows the public figures, and no internal field (MN,
//! credit code, internal note, alarm) leaks.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;

use qingshan_air::{AqiLevel, AqiStandard};
use qingshan_store::{Actor, AirStation, NewAirHour, NewWaterSample, Role, Store, WaterSection};
use reqwest::StatusCode;
use serde_json::Value;

const MN: &str = "MNPORTAL00001";
const CREDIT: &str = "9144030071526726XG";
const REGISTRY: &str = "credit_code,enterprise_name,division_code,longitude,latitude,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,112.70,38.45,DA001,1号锅炉,gas,MNPORTAL00001,2017,strict,123456,3600,91440300715267XG001P,2024-01-01,2028-12-31,a21026,35,1,6,120
";

struct App {
    _db: common::ScratchDb,
    server: common::Server,
}

impl App {
    async fn get(&self, path: &str) -> reqwest::Response {
        common::client()
            .get(self.server.url(path))
            .send()
            .await
            .unwrap()
    }

    async fn text(&self, path: &str) -> (StatusCode, String) {
        let r = self.get(path).await;
        let s = r.status();
        (s, r.text().await.unwrap().replace("&#x2f;", "/"))
    }
}

fn station(code: &str, name: &str, county: &str, lon: &str, lat: &str) -> AirStation {
    AirStation {
        code: code.into(),
        name: name.into(),
        control_level: "国控".into(),
        division_code: Some(county.into()),
        longitude: Some(lon.into()),
        latitude: Some(lat.into()),
    }
}

/// Every hour of the first `days` days of 2025 at constant concentrations (PM2.5 as given).
fn hours(code: &str, days: u32, pm25: &str) -> Vec<NewAirHour> {
    let first = chrono::NaiveDate::from_ymd_opt(2025, 1, 1).unwrap();
    let mut out = Vec::new();
    for d in 0..days {
        let date = first + chrono::Duration::days(i64::from(d));
        for h in 0..24 {
            out.push(NewAirHour {
                station_code: code.into(),
                hour: format!("{date}T{h:02}:00"),
                values: [
                    Some("8".into()),
                    Some("20".into()),
                    Some("0.6".into()),
                    Some("40".into()),
                    Some("50".into()),
                    Some(pm25.into()),
                ],
                source: "import".into(),
            });
        }
    }
    out
}

async fn seeded(tag: &str) -> (App, Store) {
    let (store, plan, _db) = common::fresh_prepared(tag).await;
    let actor = Actor::cli();
    store
        .upsert_air_stations(
            &[
                station("XZ01", "忻州市环境监测站", "140902", "112.734", "38.416"),
                station("XZ02", "=1+1监测站", "140981", "112.706", "38.730"),
            ],
            &actor,
        )
        .await
        .unwrap();
    let mut rows = hours("XZ01", 3, "60");
    rows.extend(hours("XZ02", 3, "20"));
    store.import_air_hourly(&rows, &actor).await.unwrap();
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &actor,
        )
        .await
        .unwrap();
    store
        .upsert_water_sections(
            &[WaterSection {
                code: "W01".into(),
                name: "滹沱河界河铺".into(),
                level: "国考".into(),
                water_body: "river".into(),
                basin: Some("滹沱河".into()),
                division_code: Some("140902".into()),
                target_class: "III".into(),
                is_drinking_source: false,
            }],
            &actor,
        )
        .await
        .unwrap();
    let samples: Vec<NewWaterSample> = [("NH3N", "0.8"), ("CODMn", "3"), ("TP", "0.1")]
        .into_iter()
        .map(|(item, v)| NewWaterSample {
            section_code: "W01".into(),
            date: "2025-06-01".into(),
            item: item.into(),
            value: v.into(),
            below_detection: false,
            source: "import".into(),
        })
        .collect();
    store.import_water_samples(&samples, &actor).await.unwrap();
    // A city value of an indicator, entered by staff.
    let staff = common::user(&store, "staff", Role::Staff, None, None).await;
    qingshan_app::values::record_value(
        &store,
        &plan,
        &staff,
        &actor,
        qingshan_app::values::ValueEntry {
            number: 12,
            year: 2025,
            division: plan.meta.division.clone(),
            value: "12.5".into(),
            note: Some("内部备注不公开".into()),
            reason: None,
            source: "manual".into(),
        },
    )
    .await
    .unwrap();
    // An orange warning for the whole city, in force.
    qingshan_app::warnings::issue(
        &store,
        Some(&staff),
        &qingshan_app::warnings::StepForm {
            level: "orange".into(),
            justification: "预测未来三天 AQI 超过 200".into(),
            document_no: "忻气发〔2025〕1号".into(),
            ..Default::default()
        },
        chrono::Utc::now(),
        &actor,
    )
    .await
    .unwrap();
    let server = common::serve(store.clone()).await;
    (App { _db, server }, store)
}

/// What no public page, download or answer may carry.
fn assert_nothing_internal(what: &str, body: &str) {
    for secret in [
        MN,
        CREDIT,
        "内部备注不公开",
        "123456",
        "待处理",
        "逾期",
        "/login",
    ] {
        assert!(!body.contains(secret), "{what} shows {secret}");
    }
}

#[tokio::test]
async fn the_home_shows_air_advice_warning_water_and_plan_without_sign_in() {
    let (app, _store) = seeded("portal-home").await;
    let r = app.get("/public").await;
    assert_eq!(r.status(), StatusCode::OK);
    let cache = r.headers()["cache-control"].to_str().unwrap().to_string();
    assert!(cache.starts_with("public, max-age="), "{cache}");
    let etag = r.headers()["etag"].to_str().unwrap().to_string();
    let html = r.text().await.unwrap().replace("&#x2f;", "/");
    // PM2.5 60 µg/m³ around the clock: IAQI 50 + (60 − 35)·50/40 = 81.25, published 82 (良).
    let aqi = 82;
    let level = AqiLevel::from_aqi(aqi);
    assert!(
        html.contains(&format!("AQI {aqi} · {}", level.category())),
        "{html}"
    );
    assert!(html.contains(level.advice(AqiStandard::Hj633_2012)));
    assert!(html.contains(level.health_effect(AqiStandard::Hj633_2012)));
    assert!(html.contains("首要污染物：PM2.5"));
    // The other station: every IAQI ≤ 50, 优, and everyone may go out.
    assert!(html.contains(AqiLevel::L1.advice(AqiStandard::Hj633_2012)));
    assert!(html.contains("2025-01-03 23:00"));
    // The county map: fourteen counties, 忻府区 coloured 良 (yellow), 偏关县 without data.
    assert_eq!(html.matches("<path class=\"county").count(), 14);
    assert!(html.contains("站点最高实时 AQI 82（良）"));
    // The warning in force, the section's class, the plan's words and the public links.
    assert!(html.contains("橙色预警（Ⅱ级）") && html.contains("忻气发〔2025〕1号"));
    assert!(html.contains("滹沱河界河铺") && html.contains("河流（滹沱河）"));
    assert!(html.contains("Ⅱ类") || html.contains("Ⅲ类"), "water class");
    assert!(html.contains("2025 年为 12.5"));
    for link in [
        "/disclosure",
        "/credit",
        "/heavy/grades",
        "/public/sources",
        "/public/complaints",
        "/public/consultations",
    ] {
        assert!(html.contains(&format!("href=\"{link}\"")), "{link}");
    }
    assert_nothing_internal("/public", &html);
    // A second request with the tag is answered 304 without a body.
    let again = common::client()
        .get(app.server.url("/public"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn each_section_page_answers_and_keeps_internals_out() {
    let (app, _store) = seeded("portal-pages").await;
    for (path, expect) in [
        ("/public/air", "忻州市环境监测站"),
        ("/public/water", "滹沱河界河铺"),
        ("/public/plan", "2025 年为 12.5"),
        ("/public/sources", "91440300715267XG001P"),
    ] {
        let (status, html) = app.text(path).await;
        assert_eq!(status, StatusCode::OK, "{path}");
        assert!(html.contains(expect), "{path} lacks {expect}");
        assert!(
            html.contains("/assets/public.css"),
            "{path} not in the public layout"
        );
        assert!(html.contains("aria-current=\"page\""), "{path}");
        if path == "/public/sources" {
            // The permit's public part: holder, number, validity; never the device.
            assert!(html.contains("某热电有限公司") && html.contains("2024-01-01 至 2028-12-31"));
            for secret in [MN, "123456", "/login"] {
                assert!(!html.contains(secret), "{path} shows {secret}");
            }
        } else {
            assert_nothing_internal(path, &html);
        }
    }
    let css = app.get("/assets/public.css").await;
    assert_eq!(css.status(), StatusCode::OK);
    assert!(css.text().await.unwrap().contains("@media print"));
}

#[tokio::test]
async fn downloads_neutralise_formulas_and_carry_no_internal_field() {
    let (app, _store) = seeded("portal-data").await;
    let r = app.get("/public/data/air-daily.csv?year=2025").await;
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("air-daily-2025.csv")
    );
    let csv = r.text().await.unwrap();
    assert!(csv.contains("date,station,county,aqi,category,primary_pollutant"));
    assert!(
        csv.contains("2025-01-01,忻州市环境监测站,忻府区,82,良,PM2.5"),
        "{csv}"
    );
    // The station named like a formula is kept as text.
    assert!(csv.contains(",'=1+1监测站,"), "{csv}");
    assert!(!csv.contains(",=1+1"));
    assert_nothing_internal("air csv", &csv);
    assert_eq!(csv.lines().count(), 1 + 2 * 3);

    let water = app
        .get("/public/data/water-sections.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(
        water.contains("2025,滹沱河界河铺,河流（滹沱河）,忻府区,国考"),
        "{water}"
    );
    assert_nothing_internal("water csv", &water);
    let plan = app
        .get("/public/data/plan-progress.csv")
        .await
        .text()
        .await
        .unwrap();
    assert!(plan.contains(",2025,12.5,"), "{plan}");
    assert_nothing_internal("plan csv", &plan);

    for path in [
        "/public/data/air-daily.xlsx?year=2025",
        "/public/data/water-sections.xlsx",
        "/public/data/plan-progress.xlsx",
    ] {
        let r = app.get(path).await;
        assert_eq!(r.status(), StatusCode::OK, "{path}");
        let bytes = r.bytes().await.unwrap();
        let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes.to_vec())).unwrap();
        let mut strings = String::new();
        zip.by_name("xl/sharedStrings.xml")
            .unwrap()
            .read_to_string(&mut strings)
            .unwrap();
        assert_nothing_internal(path, &strings);
        if path.contains("air") {
            assert!(strings.contains("首要污染物") && strings.contains("=1+1监测站"));
        }
    }
    // A year outside the range is refused in Chinese.
    let (status, body) = app.text("/public/data/air-daily.csv?year=1800").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    assert!(body.contains("年份"));
}

#[tokio::test]
async fn the_read_api_is_public_documented_and_rfc3339() {
    let (app, _store) = seeded("portal-api").await;
    let home: Value = app.get("/api/v1/public/home").await.json().await.unwrap();
    let st = &home["stations"][0];
    assert_eq!(st["name"], "忻州市环境监测站");
    assert_eq!(st["aqi"], 82);
    assert_eq!(st["hour"], "2025-01-03T23:00:00+08:00");
    assert_eq!(st["advice"], AqiLevel::L2.advice(AqiStandard::Hj633_2012));
    assert_eq!(home["warnings"][0]["level"], "橙色预警（Ⅱ级）");
    assert!(
        home["warnings"][0]["since"]
            .as_str()
            .unwrap()
            .ends_with("+08:00")
    );
    assert_nothing_internal("/api/v1/public/home", &home.to_string());
    let days: Value = app
        .get("/api/v1/public/air/daily?year=2025")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(days["days"].as_array().unwrap().len(), 6);
    let water: Value = app
        .get("/api/v1/public/water/sections")
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(water["year"], 2025);
    assert_eq!(water["sections"][0]["name"], "滹沱河界河铺");
    let plan: Value = app.get("/api/v1/public/plan").await.json().await.unwrap();
    assert_nothing_internal("/api/v1/public/plan", &plan.to_string());
    let doc: Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for p in [
        "/public/home",
        "/public/air/daily",
        "/public/water/sections",
        "/public/plan",
    ] {
        assert!(doc["paths"][p]["get"].is_object(), "{p} not documented");
    }
}
