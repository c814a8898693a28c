//! The home page (驾驶舱) and the map's GeoJSON end to end: the real server on port 0 over a
//! fresh database with two air stations (a few January days: far too few for a year), an
//! enterprise with an open alarm, and nothing else.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{
    Actor, AirStation, AlarmEpisode, NewAirHour, NewWaterSample, Role, Store, WaterSection,
};
use reqwest::StatusCode;
use serde_json::Value;

const REGISTRY: &str = "credit_code,enterprise_name,division_code,longitude,latitude,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,112.70,38.45,DA001,1号锅炉,gas,MNCOCKPIT0001,2017,strict,123456,3600,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120
";

struct App {
    _db: common::ScratchDb,
    server: common::Server,
    store: Store,
}

impl App {
    async fn get(&self, c: &reqwest::Client, path: &str) -> (StatusCode, String) {
        let r = c.get(self.server.url(path)).send().await.unwrap();
        let s = r.status();
        // minijinja's HTML escaping writes "/" as "&#x2f;".
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

async fn seeded() -> App {
    let (store, _db) = common::fresh_store("cockpit").await;
    let actor = Actor::cli();
    store
        .upsert_air_stations(
            &[
                station("XZ01", "忻州市环境监测站", "140902", "112.734", "38.416"),
                station("XZ02", "原平市监测站", "140981", "112.706", "38.730"),
            ],
            &actor,
        )
        .await
        .unwrap();
    let mut rows = hours("XZ01", 20, "60");
    rows.extend(hours("XZ02", 20, "20"));
    store.import_air_hourly(&rows, &actor).await.unwrap();
    store
        .import_registry(
            &qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap(),
            &actor,
        )
        .await
        .unwrap();
    store
        .raise_alarm(&AlarmEpisode {
            kind: "exceedance".into(),
            mn: "MNCOCKPIT0001".into(),
            factor: "a21026".into(),
            start_time: "20250105010000".into(),
            end_time: None,
            peak: Some("88".into()),
            peak_time: Some("20250105020000".into()),
            records: 3,
            context: "二氧化硫折算浓度超过许可限值".into(),
        })
        .await
        .unwrap();
    common::user(&store, "staff", Role::Staff, None, None).await;
    App {
        _db,
        server: common::serve(store.clone()).await,
        store,
    }
}

fn counties() -> Vec<(String, String)> {
    qingshan_plan::xinzhou()
        .unwrap()
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect()
}

/// The `<path>` of a county on the map, up to its end tag.
fn county_path<'a>(html: &'a str, code: &str) -> &'a str {
    let start = html
        .find(&format!("data-code=\"{code}\""))
        .unwrap_or_else(|| panic!("no shape {code}"));
    let start = html[..start].rfind("<path").unwrap();
    let rest = &html[start..];
    &rest[..rest.find("</path>").unwrap()]
}

#[tokio::test]
async fn geojson_serves_the_fourteen_counties() {
    let app = seeded().await;
    let r = reqwest::get(app.server.url("/api/v1/map/divisions.geojson"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers().get("content-type").unwrap(),
        "application/geo+json"
    );
    let doc: Value = r.json().await.unwrap();
    assert_eq!(doc["type"], "FeatureCollection");
    assert_eq!(doc["coordinate_system"], "GCJ-02");
    let features = doc["features"].as_array().unwrap();
    assert_eq!(features.len(), 14);
    let got: Vec<(String, String)> = features
        .iter()
        .map(|f| {
            let ring = f["geometry"]["coordinates"][0].as_array().unwrap();
            assert!(ring.len() >= 4 && ring.first() == ring.last());
            (
                f["properties"]["code"].as_str().unwrap().to_string(),
                f["properties"]["name"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(got, counties());
    let api: Value = reqwest::get(app.server.url("/api/v1/openapi.json"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert!(api["paths"]["/map/divisions.geojson"]["get"].is_object());
}

#[tokio::test]
async fn public_cockpit_has_the_map_and_no_enforcement_data() {
    let app = seeded().await;
    let c = common::client();
    let (status, html) = app.get(&c, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("生态环境驾驶舱"));
    // One shape per county, carrying the plan's codes and names.
    assert_eq!(html.matches("<path class=\"county").count(), 14);
    for (code, name) in counties() {
        let p = county_path(&html, &code);
        assert!(p.contains(&format!("data-name=\"{name}\"")), "{p}");
        assert!(p.contains("<title>"), "{p}");
    }
    // 忻府区 has a station with data on the latest day; 偏关县 has none.
    let xinfu = county_path(&html, "140902");
    assert!(!xinfu.contains("no-data"), "{xinfu}");
    assert!(xinfu.contains("2025-01-20 日 AQI"), "{xinfu}");
    let pianguan = county_path(&html, "140932");
    assert!(pianguan.contains("no-data"), "{pianguan}");
    assert!(
        pianguan.contains("偏关县　最新日 AQI：无数据"),
        "{pianguan}"
    );
    // The ranking shows 无数据, never a zero, for the counties without data.
    let ranking = html.split("<h2>区县排名").nth(1).unwrap();
    let row = ranking.split("data-code=\"140932\"").nth(1).unwrap();
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.contains("无数据") && row.contains("—"), "{row}");
    // 20 valid days of 365: the year so far is 数据不足, with its capture.
    assert!(html.contains("数据不足"));
    assert!(
        html.contains("有效 20/365 天（数据获取率 5.5%，低于 324/365）"),
        "{html}"
    );
    // Latest city day, dated; every figure links to its page.
    assert!(html.contains("最新日空气质量（2025-01-20）"));
    for href in [
        "href=\"/air\"",
        "/indicators/11",
        "/indicators/12",
        "href=\"/tasks\"",
        "href=\"/water",
    ] {
        assert!(html.contains(href), "lacks {href}");
    }
    // The public variant: the enterprise without its alarms; no alarm or device figures.
    assert!(html.contains("重点排污单位 某热电有限公司"));
    for secret in [
        "待处理事件",
        "离线设备",
        "MNCOCKPIT0001",
        "二氧化硫折算浓度",
        "/alarms",
        "measure=alarms",
    ] {
        assert!(!html.contains(secret), "public cockpit shows {secret}");
    }
    let (status, body) = app.get(&c, "/?measure=alarms").await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(body.contains("仅向生态环境局工作人员开放"), "{body}");
    // The plan table is one click away.
    assert!(html.contains("href=\"/plan\""));
    let (status, plan) = app.get(&c, "/plan").await;
    assert_eq!(status, StatusCode::OK);
    assert!(plan.contains("森林覆盖率"));
}

#[tokio::test]
async fn staff_cockpit_shows_alarms_and_measures_switch() {
    let app = seeded().await;
    let (c, _) = common::login(&app.server, "staff").await;
    let (status, html) = app.get(&c, "/").await;
    assert_eq!(status, StatusCode::OK);
    assert!(html.contains("工作人员视图"));
    assert!(html.contains("某热电有限公司：待处理事件 1 个"), "{html}");
    assert!(html.contains("href=\"/alarms?status=open\""));
    assert_eq!(
        app.store.count_alarms(&Default::default()).await.unwrap(),
        1
    );

    let (status, html) = app.get(&c, "/?measure=alarms").await;
    assert_eq!(status, StatusCode::OK);
    let xinfu = county_path(&html, "140902");
    assert!(xinfu.contains("待处理事件：1 个"), "{xinfu}");
    assert!(county_path(&html, "140921").contains("无数据"));
    assert!(html.contains("aria-current=\"true\" class=\"current\">待处理事件</a>"));

    // 优良天数比例: 20 days of 365 support no figure for any county.
    let (_, html) = app.get(&c, "/?measure=good").await;
    let xinfu = county_path(&html, "140902");
    assert!(
        xinfu.contains("数据不足") && xinfu.contains("no-data"),
        "{xinfu}"
    );
    assert_eq!(html.matches("<path class=\"county").count(), 14);

    // No water data at all: every county 无数据.
    let (_, html) = app.get(&c, "/?measure=water").await;
    assert_eq!(html.matches("<path class=\"county no-data\"").count(), 14);

    // AQI: 忻府区 (PM2.5 60) is 良, 原平市 (PM2.5 20) 优 and ranked first.
    let (_, html) = app.get(&c, "/?measure=aqi").await;
    assert!(county_path(&html, "140902").contains("（良）"));
    assert!(county_path(&html, "140981").contains("（优）"));
    let ranking = html.split("<h2>区县排名").nth(1).unwrap();
    assert!(ranking.find("140981").unwrap() < ranking.find("140902").unwrap());
}

#[tokio::test]
async fn a_bad_measure_gets_a_chinese_error_page() {
    let app = seeded().await;
    let c = common::client();
    for q in ["/?measure=xyz", "/?measure=%3Cb%3E"] {
        let (status, body) = app.get(&c, q).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{q}");
        assert!(body.contains("地图指标"), "{body}");
        assert!(body.contains("可选：aqi（最新日 AQI）"), "{body}");
        assert!(!body.contains("Failed to deserialize"), "{body}");
        assert!(!body.contains("<b>"), "{body}");
    }
}

fn run_chromium(bin: &str, args: &[&str]) -> String {
    let profile = qingshan_testkit::TempPath::new("chromium", "");
    let out = std::process::Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

/// The map as Chromium builds it, and screenshots at desktop and phone width for people to
/// look at (kept in the temporary directory: `qingshan-cockpit-1440x900.png`, `…-390x844.png`, and
/// the whole page at both widths).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn cockpit_renders_in_chromium() {
    let Some(bin) = qingshan_testkit::required_program(
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        "Chromium",
        "apt-get install chromium",
    ) else {
        return;
    };
    let bin: &'static str = Box::leak(bin.display().to_string().into_boxed_str());
    let app = seeded().await;
    let url = app.server.url("/");
    let u = url.clone();
    let dom = tokio::task::spawn_blocking(move || run_chromium(bin, &["--dump-dom", &u]))
        .await
        .unwrap();
    assert_eq!(dom.matches("<path class=\"county").count(), 14, "{dom}");
    for (code, _) in counties() {
        assert!(
            dom.contains(&format!("data-code=\"{code}\"")),
            "no shape {code}"
        );
    }
    assert!(dom.contains("viewBox=\"0 0 640 "));
    // The first screens at desktop and phone size, and the whole page at both widths.
    for (w, h) in [
        (1440, 900),
        (390, 844),
        (1440, 2000),
        (390, 1500),
        (390, 3600),
    ] {
        let shot = std::env::temp_dir().join(format!("qingshan-cockpit-{w}x{h}.png"));
        let _ = std::fs::remove_file(&shot);
        let args = [
            format!("--screenshot={}", shot.display()),
            format!("--window-size={w},{h}"),
            url.clone(),
        ];
        tokio::task::spawn_blocking(move || {
            let a: Vec<&str> = args.iter().map(String::as_str).collect();
            run_chromium(bin, &a)
        })
        .await
        .unwrap();
        assert!(std::fs::metadata(&shot).unwrap().len() > 10_000, "{w}x{h}");
    }
}

fn water_section(code: &str, level: &str, county: &str) -> WaterSection {
    WaterSection {
        code: code.into(),
        name: format!("断面{code}"),
        level: level.into(),
        water_body: "river".into(),
        basin: Some("滹沱河".into()),
        division_code: Some(county.into()),
        target_class: "III".into(),
        is_drinking_source: false,
    }
}

/// Water: a county is coloured by its worst section; the KPI is the 国考 share at Ⅲ or better.
#[tokio::test]
async fn water_measure_shows_the_worst_section() {
    let app = seeded().await;
    let actor = Actor::cli();
    app.store
        .upsert_water_sections(
            &[
                water_section("W1", "国考", "140922"),
                water_section("W2", "国考", "140922"),
                water_section("W3", "市考", "140902"),
            ],
            &actor,
        )
        .await
        .unwrap();
    let sample = |code: &str, nh3n: &str| NewWaterSample {
        section_code: code.into(),
        date: "2024-06-01".into(),
        item: "NH3N".into(),
        value: nh3n.into(),
        below_detection: false,
        source: "import".into(),
    };
    app.store
        .import_water_samples(
            &[
                sample("W1", "0.4"),
                sample("W2", "1.2"),
                sample("W3", "0.8"),
            ],
            &actor,
        )
        .await
        .unwrap();
    let c = common::client();
    let (status, html) = app.get(&c, "/?measure=water").await;
    assert_eq!(status, StatusCode::OK);
    let wutai = county_path(&html, "140922");
    assert!(
        wutai.contains("断面水质（最差类别）：Ⅳ类（2024 年 2 个断面中最差）"),
        "{wutai}"
    );
    assert!(county_path(&html, "140902").contains("：Ⅲ类（"));
    assert!(county_path(&html, "140921").contains("无数据（区县内无断面）"));
    assert!(html.contains("国考断面Ⅲ类及以上比例（2024 年）"));
    assert!(html.contains("50.0%"), "{html}");
    // Ranked best first: 忻府区 (Ⅲ) before 五台县 (Ⅳ), counties without sections last.
    let ranking = html.split("<h2>区县排名").nth(1).unwrap();
    assert!(ranking.find("140902").unwrap() < ranking.find("140922").unwrap());
    assert!(ranking.find("140922").unwrap() < ranking.find("140921").unwrap());
}

/// A year with enough valid days gets its figure; a county with too few stays 数据不足.
#[tokio::test]
async fn enough_valid_days_give_the_year_so_far_its_figure() {
    let (store, _db) = common::fresh_store("cockpit-year").await;
    let actor = Actor::cli();
    store
        .upsert_air_stations(
            &[
                station("XZ02", "原平市监测站", "140981", "112.706", "38.730"),
                station("XZ01", "忻州市环境监测站", "140902", "112.734", "38.416"),
            ],
            &actor,
        )
        .await
        .unwrap();
    // 330 days of 2025 at 原平 (330/365 ≥ 324/365), 100 at 忻府区.
    let mut rows = hours("XZ02", 330, "20");
    rows.extend(hours("XZ01", 100, "20"));
    store.import_air_hourly(&rows, &actor).await.unwrap();
    // The province's assignment for 2025 is the year's target of indicator 11.
    let plan_id = qingshan_plan::xinzhou().unwrap().meta.id;
    store
        .record_assigned_target(
            qingshan_store::InputKey {
                plan_id: &plan_id,
                indicator: 11,
                year: 2025,
                division: "140900",
            },
            "80.0",
            None,
            &actor,
        )
        .await
        .unwrap();
    let server = common::serve(store.clone()).await;
    let app = App { _db, server, store };
    let c = common::client();
    let (_, html) = app.get(&c, "/?measure=good").await;
    let yuanping = county_path(&html, "140981");
    assert!(
        yuanping.contains("：100.0%（2025 年有效 330/365 天"),
        "{yuanping}"
    );
    assert!(!yuanping.contains("no-data"));
    let xinfu = county_path(&html, "140902");
    assert!(
        xinfu.contains("数据不足") && xinfu.contains("100/365"),
        "{xinfu}"
    );
    // The city (both stations averaged) has 330 valid days: the KPI gives the figure.
    assert!(
        html.contains("有效 330/365 天（数据获取率 90.4%）"),
        "{html}"
    );
    assert!(
        html.contains("<span class=\"kpi-value\">100.0%</span>"),
        "{html}"
    );
    assert!(html.contains("2025 年省级下达目标：80.0%"), "{html}");
    // PM2.5 has no assignment: the plan's own target stands.
    assert!(html.contains("2025 年目标：完成省级下达任务"), "{html}");
    // January to October have their valid days; November (26 days) is under 27: ten points.
    let trend = html
        .split("<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"trend\"")
        .nth(1)
        .unwrap();
    let trend = &trend[..trend.find("</svg>").unwrap()];
    assert_eq!(trend.matches("<circle").count(), 10, "{trend}");
}
