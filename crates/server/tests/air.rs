//! Air pages and API end to end: the real server on port 0 with a fresh SQLite database, a few
//! days of the shared UCI data stored, and every figure checked against `qingshan_air` run
//! directly on the parsed files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::NaiveDate;
use qingshan_air::assess::{AssessOptions, assess_days, daily_aqi, daily_aqi_from_values};
use qingshan_air::city::{CityOptions, city_daily_values};
use qingshan_air::hourly::HourlySeries;
use qingshan_store::{Actor, AirStation, Store};
use reqwest::StatusCode;
use serde_json::Value;

struct App {
    _db: common::ScratchDb,
    server: common::Server,
    store: Store,
}

impl App {
    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    async fn get(&self, path: &str) -> (StatusCode, String) {
        let r = reqwest::get(self.url(path)).await.unwrap();
        let s = r.status();
        (s, r.text().await.unwrap())
    }

    async fn json(&self, path: &str) -> Value {
        let (s, body) = self.get(path).await;
        assert_eq!(s, StatusCode::OK, "{path}: {body}");
        serde_json::from_str(&body).unwrap()
    }
}

async fn spawn() -> App {
    let (store, _db) = common::fresh_store("air").await;
    App {
        _db,
        server: common::serve(store.clone()).await,
        store,
    }
}

fn d(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

const FROM: &str = "2013-12-24";
const TO: &str = "2014-01-12";

/// One UCI station's days in `[FROM, TO]`, parsed by `qingshan_air`.
fn uci(station: &str) -> HourlySeries {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/data/air/beijing-uci/PRSA_Data_{station}_20130301-20170228.csv"
    ));
    let f = std::fs::File::open(p).unwrap();
    let mut all = qingshan_air::parse_hourly_csv(std::io::BufReader::new(f)).unwrap();
    assert_eq!(all.len(), 1);
    let mut s = all.remove(0);
    s.days.retain(|x| x.date >= d(FROM) && x.date <= d(TO));
    assert_eq!(s.days.len(), 20);
    s
}

fn station(code: &str, name: &str, level: &str) -> AirStation {
    AirStation {
        code: code.into(),
        name: name.into(),
        control_level: level.into(),
        division_code: Some("110105".into()),
        longitude: Some("116.397".into()),
        latitude: Some("39.982".into()),
    }
}

/// The server with both UCI stations (national network) stored, plus a county station without data.
async fn seeded() -> (App, Vec<HourlySeries>) {
    let app = spawn().await;
    app.store
        .upsert_air_stations(
            &[
                station("Aotizhongxin", "奥体中心", "国控"),
                station("Dongsi", "东四", "国控"),
                station("X9", "<script>alert(1)</script>", "县控"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let series = vec![uci("Aotizhongxin"), uci("Dongsi")];
    let rows = qingshan_app::air::hours_from_series(&series, "import");
    let summary = app
        .store
        .import_air_hourly(&rows, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(summary.stations, 2);
    (app, series)
}

fn primary(d: &qingshan_air::assess::DailyAqi) -> Vec<String> {
    d.report
        .primary
        .iter()
        .map(|s| s.name().to_string())
        .collect()
}

#[tokio::test]
async fn station_daily_api_matches_direct_computation() {
    let (app, series) = seeded().await;
    let opts = AssessOptions::default();
    for s in &series {
        let body = app
            .json(&format!(
                "/api/v1/air/stations/{}/daily?year=2014",
                s.station
            ))
            .await;
        assert_eq!(body["year"], 2014);
        let days = body["days"].as_array().unwrap();
        let expected: Vec<_> = s
            .days
            .iter()
            .filter(|x| x.date >= d("2014-01-01"))
            .map(|x| daily_aqi(x, &opts))
            .collect();
        assert_eq!(days.len(), expected.len());
        assert_eq!(days.len(), 12);
        for (got, want) in days.iter().zip(&expected) {
            assert_eq!(got["date"], want.values.date.to_string());
            assert_eq!(got["aqi"].as_u64(), want.report.aqi.map(u64::from));
            assert_eq!(
                got["level"].as_u64(),
                want.report.level.map(|l| u64::from(l.number()))
            );
            let p: Vec<String> = got["primary_pollutants"]
                .as_array()
                .unwrap()
                .iter()
                .map(|v| v.as_str().unwrap().to_string())
                .collect();
            assert_eq!(p, primary(want));
            assert_eq!(
                got["concentrations"]["PM2.5"].as_str(),
                want.values
                    .value(qingshan_air::Pollutant::Pm25)
                    .map(|v| v.format_gbt8170(0))
                    .as_deref()
            );
        }
        // The heavy haze of early January 2014 is in the data: not every day is good.
        assert!(
            days.iter().any(|x| x["level"].as_u64().unwrap_or(0) >= 3),
            "{}",
            s.station
        );
        let a = qingshan_air::assess_year(s, 2014, &opts);
        assert_eq!(body["assessment"]["valid_days"], a.valid_days);
        assert_eq!(body["assessment"]["good_days"], a.good_days);
    }
    // The 2013 part of the import is its own year.
    let y2013 = app
        .json("/api/v1/air/stations/Dongsi/daily?year=2013")
        .await;
    assert_eq!(y2013["days"].as_array().unwrap().len(), 8);
}

#[tokio::test]
async fn station_list_and_city_assessment_match_direct_computation() {
    let (app, series) = seeded().await;
    let opts = AssessOptions::default();
    let list = app.json("/api/v1/air/stations").await;
    let stations = list["stations"].as_array().unwrap();
    assert_eq!(stations.len(), 3);
    for s in &series {
        let v = stations.iter().find(|v| v["code"] == s.station).unwrap();
        assert_eq!(v["control_level"], "国控");
        assert_eq!(v["first_hour"], format!("{FROM}T00:00"));
        assert_eq!(v["last_hour"], format!("{TO}T23:00"));
        let last = daily_aqi(s.days.last().unwrap(), &opts);
        assert_eq!(v["latest"]["date"], TO);
        assert_eq!(v["latest"]["aqi"].as_u64(), last.report.aqi.map(u64::from));
    }
    let empty = stations.iter().find(|v| v["code"] == "X9").unwrap();
    assert!(empty["latest"].is_null());
    assert_eq!(empty["hours"], 0);

    let city = city_daily_values(&series, &CityOptions::default());
    let days: Vec<_> = city
        .into_iter()
        .map(|v| daily_aqi_from_values(v, &opts))
        .collect();
    let want = assess_days("x", 2014, &days, &opts);
    let got = app.json("/api/v1/air/assessment?year=2014").await;
    assert_eq!(got["valid_days"], want.valid_days);
    assert_eq!(got["valid_days"], 12);
    assert_eq!(got["good_days"], want.good_days);
    assert_eq!(got["heavy_days"], want.heavy_days);
    assert_eq!(
        got["pm25_annual_mean"].as_f64(),
        want.pollutant(qingshan_air::Pollutant::Pm25)
            .mean
            .map(|m| m.to_f64())
    );
    assert_eq!(
        got["stations"],
        serde_json::json!(["Aotizhongxin", "Dongsi"])
    );
    assert_eq!(got["standard"], "hj633-2012");
    // Without a year, the year of the city's newest data.
    let latest = app.json("/api/v1/air/assessment").await;
    assert_eq!(latest["year"], 2014);
    assert_eq!(latest["valid_days"], got["valid_days"]);

    // The overview shows the city's days, newest first, with the city AQI computed directly.
    let (status, html) = app.get("/air").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("奥体中心") && html.contains("东四"));
    // minijinja escapes `/` in attribute values; a browser reads it back as `/air/stations/Dongsi`.
    assert!(html.contains("href=\"&#x2f;air&#x2f;stations&#x2f;Dongsi\""));
    assert!(html.contains("&lt;script&gt;alert(1)"));
    assert!(!html.contains("<script>alert(1)"));
    for day in &days {
        let marker = format!("data-date=\"{}\"", day.values.date);
        let at = html.find(&marker).unwrap_or_else(|| panic!("{marker}"));
        let row = &html[at..at + html[at..].find("</tr>").unwrap()];
        let aqi = day.report.aqi.map_or("—".to_string(), |a| a.to_string());
        assert!(
            row.contains(&format!("<td class=\"num aqi\">{aqi}</td>")),
            "{row}"
        );
    }
    let first = html.find(&format!("data-date=\"{TO}\"")).unwrap();
    let later = html.find(&format!("data-date=\"{FROM}\"")).unwrap();
    assert!(first < later);
}

#[tokio::test]
async fn station_page_draws_calendar_trend_and_table() {
    let (app, series) = seeded().await;
    app.store
        .link_air_station_device(
            &qingshan_store::AirStationDevice {
                mn: "AIRSTATION0001".into(),
                station_code: "Dongsi".into(),
                password: "123456".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let opts = AssessOptions::default();
    let (status, html) = app.get("/air/stations/Dongsi?year=2014").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("东四（Dongsi）2014 年"));
    assert!(
        html.contains("AIRSTATION0001（最近数据 从未）"),
        "the station's device"
    );
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"calendar\""));
    assert!(html.contains("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\""));
    let dongsi = &series[1];
    for day in dongsi.days.iter().filter(|x| x.date >= d("2014-01-01")) {
        let a = daily_aqi(day, &opts);
        let aqi = a.report.aqi.unwrap();
        let level = a.report.level.unwrap();
        let tip = format!("<title>{} AQI {aqi} {}", day.date, level.category());
        assert!(html.contains(&tip), "{tip}");
        // The cell carries the level's colour.
        let at = html.find(&tip).unwrap();
        let cell = &html[at..at + html[at..].find("</g>").unwrap()];
        assert!(
            cell.contains(&format!("fill=\"{}\"", level.color())),
            "{cell}"
        );
    }
    assert!(html.contains("<title>2014-02-01 无有效数据</title>"));
    // One January point in the PM2.5 trend, labelled with the mean of the daily means.
    let jan: Vec<_> = dongsi
        .days
        .iter()
        .filter(|x| x.date >= d("2014-01-01"))
        .filter_map(|x| {
            daily_aqi(x, &opts)
                .values
                .value(qingshan_air::Pollutant::Pm25)
        })
        .collect();
    let mean = qingshan_air::Ratio::sum(&jan)
        .div_int(jan.len() as i128)
        .unwrap();
    assert_eq!(html.matches("<circle").count(), 1);
    assert!(html.contains(&format!("<title>1月 {}</title>", mean.format_gbt8170(0))));
    assert!(html.contains("年均限值 35"));

    let (status, _) = app.get("/air/stations/NOPE").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, body) = app.get("/api/v1/air/stations/NOPE/daily?year=2014").await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, _) = app.get("/api/v1/air/assessment?year=20140").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, nav) = app.get("/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(nav.contains("<a href=\"/air\">环境空气</a>"));
}

#[tokio::test]
async fn reimport_reads_the_latest_revision() {
    let (app, series) = seeded().await;
    let before = app
        .json("/api/v1/air/stations/Dongsi/daily?year=2014")
        .await;
    // Re-import one day of Dongsi with every PM2.5 hour at 500 µg/m³.
    let mut day = series[1].days.last().unwrap().clone();
    for h in 0..24 {
        day.set(qingshan_air::Pollutant::Pm25, h, Some(500 * 10_000))
            .unwrap();
    }
    let rows = qingshan_app::air::hours_from_series(
        &[HourlySeries {
            station: "Dongsi".into(),
            days: vec![day.clone()],
        }],
        "import",
    );
    let s = app
        .store
        .import_air_hourly(&rows, &Actor::cli())
        .await
        .unwrap();
    let stored_before = qingshan_app::air::hours_from_series(
        &[HourlySeries {
            station: "Dongsi".into(),
            days: vec![series[1].days.last().unwrap().clone()],
        }],
        "import",
    );
    assert_eq!(rows.len(), 24);
    assert_eq!(s.revised, stored_before.len());
    let after = app
        .json("/api/v1/air/stations/Dongsi/daily?year=2014")
        .await;
    let last = |v: &Value| v["days"].as_array().unwrap().last().unwrap().clone();
    let want = daily_aqi(&day, &AssessOptions::default());
    assert_eq!(last(&after)["aqi"].as_u64(), want.report.aqi.map(u64::from));
    assert_eq!(last(&after)["concentrations"]["PM2.5"], "500");
    assert_ne!(last(&before)["aqi"], last(&after)["aqi"]);
    let history = app
        .store
        .air_hour_history("Dongsi", &format!("{TO}T12:00"))
        .await
        .unwrap();
    assert_eq!(history.len(), 2);
}

#[tokio::test]
async fn daily_table_exports_as_csv() {
    let (app, _) = seeded().await;
    let json = app
        .json("/api/v1/air/stations/Dongsi/daily?year=2014")
        .await;
    let (status, body) = app
        .get("/api/v1/air/stations/Dongsi/daily.csv?year=2014")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with('\u{feff}'), "BOM for spreadsheets");
    let mut r = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header[..5],
        ["date", "aqi", "level", "category", "primary_pollutants"]
    );
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let days = json["days"].as_array().unwrap();
    assert_eq!(rows.len(), days.len());
    for (row, day) in rows.iter().zip(days) {
        assert_eq!(row[0], *day["date"].as_str().unwrap());
        assert_eq!(
            row[1],
            day["aqi"]
                .as_u64()
                .map(|v| v.to_string())
                .unwrap_or_default()
        );
        assert_eq!(row[3], *day["category"].as_str().unwrap_or(""));
    }

    // The same table as a workbook: Chinese headers, AQI as numbers.
    let r = reqwest::get(app.url("/api/v1/air/stations/Dongsi/daily.xlsx?year=2014"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert!(
        r.headers()["content-type"]
            .to_str()
            .unwrap()
            .contains("spreadsheetml")
    );
    let bytes = r.bytes().await.unwrap();
    let sheet = xlsx_part(&bytes, "xl/worksheets/sheet1.xml");
    let strings = xlsx_part(&bytes, "xl/sharedStrings.xml");
    assert!(strings.contains("日期") && strings.contains("首要污染物"));
    let first_aqi = days
        .iter()
        .find_map(|d| d["aqi"].as_u64())
        .expect("a valid day");
    assert!(
        sheet.contains(&format!("<v>{first_aqi}</v>")),
        "AQI {first_aqi} as a number cell"
    );
    assert_eq!(sheet.matches("<row ").count(), days.len() + 1);
}

fn xlsx_part(bytes: &[u8], name: &str) -> String {
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut f = z.by_name(name).unwrap();
    let mut s = String::new();
    std::io::Read::read_to_string(&mut f, &mut s).unwrap();
    s
}

/// A county is judged from the stations located in it, like the city from its national ones:
/// the overview's county table, the county page and its CSV carry the numbers computed
/// directly from the same files.
#[tokio::test]
async fn counties_are_assessed_from_their_own_stations() {
    let app = spawn().await;
    let county = |code: &str, name: &str, level: &str| AirStation {
        division_code: Some("140902".into()),
        ..station(code, name, level)
    };
    app.store
        .upsert_air_stations(
            &[
                county("Aotizhongxin", "奥体中心", "国控"),
                county("Dongsi", "东四", "县控"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let series = vec![uci("Aotizhongxin"), uci("Dongsi")];
    app.store
        .import_air_hourly(
            &qingshan_app::air::hours_from_series(&series, "import"),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let opts = AssessOptions::default();
    let days: Vec<_> = city_daily_values(&series, &CityOptions::default())
        .into_iter()
        .map(|v| daily_aqi_from_values(v, &opts))
        .collect();
    let want = assess_days("忻府区", 2014, &days, &opts);
    let ratio = want.good_days_ratio.unwrap().format_gbt8170(1);

    let (status, html) = app.get("/air").await;
    assert_eq!(status, StatusCode::OK);
    let at = html.find("各区县 2014 年空气质量").expect("county table");
    let table = &html[at..at + html[at..].find("</table>").unwrap()];
    assert!(
        table.contains("忻府区") && table.contains(&format!("<td class=\"num\">{ratio}</td>")),
        "{table}"
    );
    assert!(
        !table.contains("原平市"),
        "a county without stations is not listed"
    );

    let (status, page) = app.get("/air/counties/140902?year=2014").await;
    assert_eq!(status, StatusCode::OK, "{page}");
    // (minijinja escapes `/` as `&#x2f;`.)
    assert!(
        page.contains(&format!(
            "有效天数 {}&#x2f;365（数据获取率",
            want.valid_days
        )),
        "{page}"
    );
    assert!(page.contains("<svg") && page.contains("2 个站点"));
    let (status, csv) = app
        .get("/api/v1/air/counties/140902/daily.csv?year=2014")
        .await;
    assert_eq!(status, StatusCode::OK);
    let rows: Vec<&str> = csv.trim_start_matches('\u{feff}').lines().skip(1).collect();
    let in_2014: Vec<_> = days
        .iter()
        .filter(|d| d.values.date >= d_("2014-01-01"))
        .collect();
    assert_eq!(rows.len(), in_2014.len());
    for (row, day) in rows.iter().zip(in_2014) {
        let aqi = day.report.aqi.map(|a| a.to_string()).unwrap_or_default();
        assert!(
            row.starts_with(&format!("{},{aqi},", day.values.date)),
            "{row}"
        );
    }
    assert_eq!(
        app.get("/air/counties/999999").await.0,
        StatusCode::NOT_FOUND
    );
}

fn d_(s: &str) -> NaiveDate {
    d(s)
}

/// The warning level follows the city's thresholds from the plan: Xinzhou's orange needs no
/// day above 300, so three days above 200 are orange here where the national rule says yellow.
#[tokio::test]
async fn warning_level_uses_the_citys_thresholds() {
    let app = spawn().await;
    let v = app.json("/api/v1/air/warning?forecast=210,230,250").await;
    assert_eq!(
        (v["level"].as_str(), v["level_zh"].as_str()),
        (Some("orange"), Some("橙色预警"))
    );
    assert!(v["source"].as_str().unwrap().contains("忻州市"));
    assert!(v["config"]["orange_severe_days"].is_null());
    let national = qingshan_air::warning::warning_level(&[210, 230, 250], &Default::default());
    assert_eq!(national, Some(qingshan_air::warning::WarningLevel::Yellow));
    let v = app
        .json("/api/v1/air/warning?forecast=210%20310%20320%20330")
        .await;
    assert_eq!(v["level"], "red");
    let v = app.json("/api/v1/air/warning?forecast=150,180").await;
    assert!(v["level"].is_null());
    let (status, body) = app.get("/api/v1/air/warning?forecast=210,abc").await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        body.contains("forecast") && body.contains("第 2 个值"),
        "{body}"
    );
    let (status, html) = app.get("/air/warning?forecast=210%2C230%2C250").await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        html.contains("data-level=\"orange\"") && html.contains("橙色预警"),
        "{html}"
    );
    assert!(
        html.contains("橙色：日 AQI &gt; 200 持续 3 天及以上</li>"),
        "{html}"
    );
}

/// Staff on the web: a station registered, refused with what was typed kept, edited, linked to
/// a device and unlinked, and retired; every write audited; a reporter refused (403, audited).
#[tokio::test]
async fn staff_keep_stations_on_the_web() {
    let app = spawn().await;
    common::user(&app.store, "staff", qingshan_store::Role::Staff, None, None).await;
    common::user(
        &app.store,
        "rep",
        qingshan_store::Role::Reporter,
        Some("slj"),
        None,
    )
    .await;
    let (c, _) = common::login(&app.server, "staff").await;
    let form = c
        .get(app.url("/air/stations/new"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = common::hidden(&form, "csrf_token");
    let post = |path: &str, fields: Vec<(&str, &str)>| {
        let mut fields: Vec<(String, String)> = fields
            .into_iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        fields.push(("csrf_token".into(), token.clone()));
        c.post(app.url(path)).form(&fields).send()
    };
    // A longitude outside China is refused, named in Chinese, and the form keeps the input.
    let r = post(
        "/air/stations",
        vec![
            ("code", "XZ01"),
            ("name", "忻州市监测站"),
            ("control_level", "国控"),
            ("division_code", "140902"),
            ("longitude", "200.1"),
            ("latitude", "38.416700"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(body.contains("经度应在中国境内"), "{body}");
    assert!(
        body.contains("value=\"忻州市监测站\"") && body.contains("value=\"200.1\""),
        "{body}"
    );
    assert!(app.store.air_station("XZ01").await.unwrap().is_none());
    let r = post(
        "/air/stations",
        vec![
            ("code", "XZ01"),
            ("name", "忻州市监测站"),
            ("control_level", "国控"),
            ("division_code", "140902"),
            ("longitude", "112.733600"),
            ("latitude", "38.416700"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/air/stations/XZ01?saved=created");
    // The same code again is a conflict, shown on the form.
    let r = post(
        "/air/stations",
        vec![
            ("code", "XZ01"),
            ("name", "重复"),
            ("control_level", "国控"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::CONFLICT);
    assert!(r.text().await.unwrap().contains("已存在"));
    let r = post(
        "/air/stations/XZ01/edit",
        vec![
            ("name", "忻州市环境监测站"),
            ("control_level", "国控"),
            ("division_code", "140902"),
            ("longitude", "112.7336"),
            ("latitude", "38.4167"),
            ("reason", "更名"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.air_station("XZ01").await.unwrap().unwrap().name,
        "忻州市环境监测站"
    );
    let r = post(
        "/air/stations/XZ01/devices",
        vec![
            ("mn", "AIRXZ01MN"),
            ("password", "123456"),
            ("crc_policy", "strict"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store.air_station_devices().await.unwrap()[0].mn,
        "AIRXZ01MN"
    );
    let page = c
        .get(app.url("/air/stations/XZ01"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("AIRXZ01MN") && page.contains("XZ01/devices/AIRXZ01MN/unlink"),
        "{page}"
    );
    let r = post("/air/stations/XZ01/devices/AIRXZ01MN/unlink", vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.store.air_station_devices().await.unwrap().is_empty());
    // Data, then retirement: the data stay on the station's page, marked 已撤销.
    let hours: Vec<qingshan_store::NewAirHour> = (0..24)
        .map(|h| qingshan_store::NewAirHour {
            station_code: "XZ01".into(),
            hour: format!("2024-03-01T{h:02}:00"),
            values: [
                Some("10".into()),
                Some("20".into()),
                Some("0.5".into()),
                Some("60".into()),
                Some("50".into()),
                Some("30".into()),
            ],
            source: "import".into(),
        })
        .collect();
    app.store
        .import_air_hourly(&hours, &Actor::cli())
        .await
        .unwrap();
    let r = post(
        "/air/stations/XZ01/retire",
        vec![("retired_on", "2024-6-1x"), ("reason", "站址搬迁")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("撤销日期应为")
            && body.contains("value=\"2024-6-1x\"")
            && body.contains("value=\"站址搬迁\""),
        "{body}"
    );
    assert!(
        app.store
            .air_station_retirements()
            .await
            .unwrap()
            .is_empty()
    );
    let r = post(
        "/air/stations/XZ01/retire",
        vec![("retired_on", "2024-06-01"), ("reason", "站址搬迁")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url("/air/stations/XZ01?year=2024"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已撤销") && page.contains("站址搬迁"),
        "{page}"
    );
    assert!(
        page.contains("data-date=\"2024-03-01\""),
        "the retired station's data are still shown"
    );
    assert!(
        page.contains("station-revisions") && page.contains("更名"),
        "{page}"
    );
    assert!(page.contains("link-history"), "{page}");
    let overview = c
        .get(app.url("/air"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(overview.contains("已撤销"));
    let log = app.store.audit_log(Some("air_station."), 50).await.unwrap();
    for action in [
        "air_station.create",
        "air_station.edit",
        "air_station.link_device",
        "air_station.unlink_device",
        "air_station.retire",
    ] {
        assert!(
            log.iter()
                .any(|e| e.action == action && e.outcome == "ok" && e.actor == "staff"),
            "{action} not audited"
        );
    }
    assert!(
        log.iter()
            .any(|e| e.action == "air_station.create" && e.outcome == "refused"),
        "the refused form is audited"
    );

    // A reporter is refused every write, and each refusal is audited.
    let (rc, rtoken) = common::login(&app.server, "rep").await;
    assert_eq!(
        rc.get(app.url("/air/stations/new"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    let r = rc
        .post(app.url("/air/stations/XZ01/edit"))
        .form(&[
            ("csrf_token", rtoken.as_str()),
            ("name", "篡改"),
            ("control_level", "国控"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.store.air_station("XZ01").await.unwrap().unwrap().name,
        "忻州市环境监测站"
    );
    let log = app
        .store
        .audit_log(Some("air_station.edit"), 10)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.outcome == "refused" && e.actor == "rep"),
        "{log:?}"
    );
    // And staff without the CSRF token are refused too.
    let r = c
        .post(app.url("/air/stations/XZ01/edit"))
        .form(&[("name", "x"), ("control_level", "国控")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

/// A retired station leaves the city's figures from its retirement date on.
#[tokio::test]
async fn retired_station_leaves_the_city_average() {
    let (app, _) = seeded().await;
    let (from, to) = (d(FROM), d(TO));
    let (_, before) = qingshan_app::air::city_series(&app.store, from, to)
        .await
        .unwrap();
    let days = |series: &[HourlySeries], station: &str| {
        series
            .iter()
            .find(|s| s.station == station)
            .map_or(0, |s| s.days.len())
    };
    assert_eq!(days(&before, "Dongsi"), 20);
    app.store
        .retire_air_station("Dongsi", "2014-01-01", "停运", &Actor::cli())
        .await
        .unwrap();
    let (_, after) = qingshan_app::air::city_series(&app.store, from, to)
        .await
        .unwrap();
    assert_eq!(
        days(&after, "Dongsi"),
        8,
        "Dongsi counts only before 2014-01-01"
    );
    assert!(
        after
            .iter()
            .find(|s| s.station == "Dongsi")
            .unwrap()
            .days
            .iter()
            .all(|d| d.date < d_from("2014-01-01"))
    );
    assert_eq!(days(&after, "Aotizhongxin"), 20);
    // The station's own page still shows all its days.
    let page = app.get("/air/stations/Dongsi?year=2014").await.1;
    assert!(
        page.contains("data-date=\"2014-01-12\""),
        "retired data stay on the station page"
    );
}

fn d_from(s: &str) -> NaiveDate {
    d(s)
}

/// Hourly data uploaded from the air page (CSV and XLSX template alike), all or nothing.
#[tokio::test]
async fn hourly_upload_is_all_or_nothing() {
    let app = spawn().await;
    app.store
        .upsert_air_stations(&[station("S1", "一号站", "国控")], &Actor::cli())
        .await
        .unwrap();
    common::user(&app.store, "staff", qingshan_store::Role::Staff, None, None).await;
    let (c, _) = common::login(&app.server, "staff").await;
    let page = c
        .get(app.url("/air"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("action=\"/air/import\"") && page.contains("/air/template.xlsx"),
        "{page}"
    );
    let token = common::hidden(&page, "csrf_token");
    let template = c
        .get(app.url("/air/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(template.contains("站点编码,监测日期,小时"), "{template}");
    let xlsx = c.get(app.url("/air/template.xlsx")).send().await.unwrap();
    assert_eq!(xlsx.status(), StatusCode::OK);
    assert!(xlsx.bytes().await.unwrap().starts_with(b"PK"));
    let upload = |body: String| {
        let (ct, body) = common::upload_form(Some(&token), "hours.csv", body.as_bytes());
        c.post(app.url("/air/import"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let mut good = String::from("station,date,hour,so2,no2,co,o3,pm10,pm25\n");
    for h in 0..24 {
        good.push_str(&format!("S1,2024-05-01,{h},5,20,0.4,80,60,{}\n", 30 + h));
    }
    // A bad row anywhere refuses the whole file.
    let bad = format!("{good}S1,2024-05-02,3,5,20,0.4,80,abc,30\n");
    let r = upload(bad).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("未导入"));
    let all = |s: &Store| {
        let s = s.clone();
        async move {
            s.air_hours(None, d("2024-01-01"), d("2024-12-31"))
                .await
                .unwrap()
                .len()
        }
    };
    assert_eq!(all(&app.store).await, 0, "a bad file changes nothing");
    let log = app
        .store
        .audit_log(Some("air_hourly.import"), 10)
        .await
        .unwrap();
    assert!(log.iter().any(|e| e.outcome == "refused"), "{log:?}");
    let r = upload(good).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert!(
        to.starts_with("/air?imported=24&stations=1&revised=0"),
        "{to}"
    );
    assert_eq!(all(&app.store).await, 24);
    let shown = c
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("id=\"import-report\"") && shown.contains("小时数据 24 条"),
        "{shown}"
    );
    // A public visitor cannot upload.
    let anon = common::client();
    let (ct, body) = common::upload_form(None, "hours.csv", b"station,date,hour\n");
    let r = anon
        .post(app.url("/air/import"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert!(
        r.status() == StatusCode::FORBIDDEN
            || r.status() == StatusCode::SEE_OTHER
            || r.status() == StatusCode::UNAUTHORIZED,
        "{}",
        r.status()
    );
    assert_eq!(all(&app.store).await, 24);
}
