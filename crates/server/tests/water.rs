//! Water pages and API end to end: the real server on port 0 with a fresh SQLite database,
//! synthetic sections and samples built from GB 3838-2002 Table 1 limits, and every class,
//! attainment and share checked against `qingshan_water` run directly on the same means.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::{Actor, NewWaterSample, Store, WaterSection};
use qingshan_water::drinking::{source_compliance, source_compliance_rate};
use qingshan_water::grading::{HeavyRowRule, RiverGrade, grade_river, share_at_or_better_than_iii};
use qingshan_water::stats::PhMean;
use qingshan_water::{AssessOptions, Class, Exact, Item, Sample, WaterBody, assess};
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
    let (store, _db) = common::fresh_store("water").await;
    App {
        _db,
        server: common::serve(store.clone()).await,
        store,
    }
}

fn section(
    code: &str,
    name: &str,
    level: &str,
    body: &str,
    basin: &str,
    target: &str,
    drinking: bool,
) -> WaterSection {
    WaterSection {
        code: code.into(),
        name: name.into(),
        level: level.into(),
        water_body: body.into(),
        basin: Some(basin.into()),
        division_code: Some("140902".into()),
        target_class: target.into(),
        is_drinking_source: drinking,
    }
}

/// `(section, date, item, value)`; a value `<DL` is below the detection limit DL.
const SAMPLES: &[(&str, &str, &str, &str)] = &[
    // N1: NH3N at the Class II limit 0.5 both months, DO at the Class I limit 7.5, CODMn at the
    // Class II limit 4 → II (a value meeting I and II is II only when it exceeds I's limit).
    ("N1", "2024-01-10", "NH3N", "0.5"),
    ("N1", "2024-01-10", "DO", "7.5"),
    ("N1", "2024-01-10", "CODMn", "4"),
    ("N1", "2024-02-10", "NH3N", "0.5"),
    ("N1", "2024-02-10", "DO", "7.5"),
    ("N1", "2024-02-10", "CODMn", "4"),
    // N2: NH3N at the III limit 1.0, then at the V limit 2.0: months III and V, mean 1.5 = IV limit.
    ("N2", "2024-01-12", "NH3N", "1.0"),
    ("N2", "2024-02-12", "NH3N", "2.0"),
    ("N2", "2024-01-12", "DO", "6"),
    // N3 (lake): TP at the lake III limit 0.05 and below detection 0.01 → mean 0.0275 (III).
    ("N3", "2024-03-05", "TP", "0.05"),
    ("N3", "2024-04-05", "TP", "<0.01"),
    // P1 (drinking source): everything Class I; Hg not detected (0.00005 → 0.000025).
    ("P1", "2024-01-08", "pH", "7"),
    ("P1", "2024-02-08", "pH", "8"),
    ("P1", "2024-01-08", "NH3N", "0.15"),
    ("P1", "2024-01-08", "Hg", "<0.00005"),
    // P2 (drinking source): NH3N 1.2 → IV, not compliant.
    ("P2", "2024-05-20", "NH3N", "1.2"),
    // Another year: must not leak into 2024.
    ("N1", "2023-06-01", "NH3N", "5"),
];

fn new_samples(rows: &[(&str, &str, &str, &str)]) -> Vec<NewWaterSample> {
    rows.iter()
        .map(|(s, d, i, v)| {
            let (value, nd) = match v.strip_prefix('<') {
                Some(x) => (x, true),
                None => (*v, false),
            };
            NewWaterSample {
                section_code: s.to_string(),
                date: d.to_string(),
                item: i.to_string(),
                value: value.to_string(),
                below_detection: nd,
                source: "import".into(),
            }
        })
        .collect()
}

fn x(s: &str) -> Exact {
    Exact::parse(s).unwrap()
}

/// The 2024 annual means worked out by hand from [`SAMPLES`] (22号: non-detects at half the
/// limit). P1's pH is given as 7.5 rather than its H⁺ mean (≈7.26): any pH in 6–9 is Class I,
/// so no class depends on the difference.
fn expected_means() -> Vec<(&'static str, Sample)> {
    vec![
        (
            "N1",
            Sample::new(WaterBody::River)
                .with(Item::Nh3n, x("0.5"))
                .with(Item::Do, x("7.5"))
                .with(Item::CodMn, x("4")),
        ),
        (
            "N2",
            Sample::new(WaterBody::River)
                .with(Item::Nh3n, x("1.5"))
                .with(Item::Do, x("6")),
        ),
        (
            "N3",
            Sample::new(WaterBody::Lake).with(Item::Tp, x("0.0275")),
        ),
        (
            "P1",
            Sample::new(WaterBody::River)
                .with(Item::Ph, x("7.5"))
                .with(Item::Nh3n, x("0.15"))
                .with(Item::Hg, x("0.000025")),
        ),
        (
            "P2",
            Sample::new(WaterBody::River).with(Item::Nh3n, x("1.2")),
        ),
    ]
}

async fn seeded() -> App {
    let app = spawn().await;
    app.store
        .upsert_water_sections(
            &[
                section("N1", "青山桥<b>", "国考", "river", "青山河", "III", false),
                section("N2", "下游口", "国考", "river", "青山河", "III", false),
                section("N3", "北湖心", "国考", "lake", "北湖", "III", false),
                section("P1", "一水厂取水口", "省考", "river", "青山河", "II", true),
                section("P2", "二水厂取水口", "市考", "river", "白水河", "III", true),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    app.store
        .import_water_samples(&new_samples(SAMPLES), &Actor::cli())
        .await
        .unwrap();
    app
}

fn pct(e: Option<Exact>) -> Value {
    match e
        .and_then(|v| v.round_half_even(1))
        .and_then(|v| v.to_fixed(1))
    {
        Some(s) => Value::String(s),
        None => Value::Null,
    }
}

#[tokio::test]
async fn assessment_matches_qingshan_water() {
    let app = seeded().await;
    let body = app.json("/api/v1/water/assessment?year=2024").await;
    assert_eq!(body["year"], 2024);
    let opts = AssessOptions::default();
    let targets = [
        ("N1", Class::III),
        ("N2", Class::III),
        ("N3", Class::III),
        ("P1", Class::II),
        ("P2", Class::III),
    ];
    let mut national = Vec::new();
    let mut drinking = Vec::new();
    for ((code, mean), (_, target)) in expected_means().iter().zip(targets) {
        let a = assess(mean, &opts).unwrap();
        let row = body["sections"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["code"] == *code)
            .unwrap();
        assert_eq!(row["class"], a.class.unwrap().as_str(), "{code}");
        assert_eq!(row["status"], a.status.unwrap().as_str(), "{code}");
        assert_eq!(
            row["meets_target"],
            a.meets_target(target).unwrap(),
            "{code}"
        );
        let names: Vec<&str> = a.main_pollutants.iter().map(|p| p.item.name_zh()).collect();
        let shown: Vec<String> = row["main_pollutants"]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_str().unwrap().to_string())
            .collect();
        assert_eq!(shown.len(), names.len(), "{code}");
        for (s, n) in shown.iter().zip(&names) {
            assert!(s.starts_with(n), "{code}: {s} vs {n}");
        }
        if ["N1", "N2", "N3"].contains(code) {
            national.push(a.class.unwrap());
        }
        if ["P1", "P2"].contains(code) {
            drinking.push(source_compliance(mean, &[], &opts).unwrap().compliant);
            assert_eq!(row["source_compliant"], *drinking.last().unwrap());
        } else {
            assert_eq!(row["source_compliant"], Value::Null);
        }
    }
    // The classes the standard's limits give, independent of the code under test.
    assert_eq!(national, [Class::II, Class::IV, Class::III]);
    assert_eq!(drinking, [true, false]);
    let n2 = body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "N2")
        .unwrap();
    assert_eq!(n2["main_pollutants"][0], "氨氮(0.50)");
    assert_eq!(n2["means"]["NH3N"], "1.5");
    // The non-detect enters N3's mean at half its limit: (0.05 + 0.005) / 2.
    let n3 = body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "N3")
        .unwrap();
    assert_eq!(n3["means"]["TP"], "0.0275");
    assert_eq!(
        body["share_iii_or_better"],
        pct(share_at_or_better_than_iii(&national))
    );
    assert_eq!(body["share_iii_or_better"], "66.7");
    assert_eq!(
        body["national_sections"],
        serde_json::json!(["N1", "N2", "N3"])
    );
    assert_eq!(
        body["drinking_source_compliance"],
        pct(source_compliance_rate(&drinking))
    );
    assert_eq!(body["drinking_source_compliance"], "50.0");

    // River grading: 青山河 has three river sections with data → the mean of the sections.
    let means = expected_means();
    let qingshan: Vec<Sample> = means
        .iter()
        .filter(|(c, _)| ["N1", "N2", "P1"].contains(c))
        .map(|(_, s)| s.clone())
        .collect();
    let grade = grade_river(
        &qingshan,
        WaterBody::River,
        &opts,
        PhMean::HydrogenIon,
        HeavyRowRule::default(),
    )
    .unwrap()
    .unwrap();
    let RiverGrade::MeanConcentration { mean, .. } = grade else {
        panic!("three sections use the mean method")
    };
    let rivers = body["rivers"].as_array().unwrap();
    let q = rivers.iter().find(|r| r["basin"] == "青山河").unwrap();
    assert_eq!(q["method"], "mean_concentration");
    assert_eq!(q["sections"], 3);
    assert_eq!(q["class"], mean.class.unwrap().as_str());
    assert!(
        rivers.iter().all(|r| r["basin"] != "北湖"),
        "lakes are not rivers"
    );

    // A re-import revises N2's February value; reads take the latest revision.
    app.store
        .import_water_samples(
            &new_samples(&[("N2", "2024-02-12", "NH3N", "1.0")]),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let body = app.json("/api/v1/water/assessment?year=2024").await;
    let n2 = body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "N2")
        .unwrap();
    assert_eq!(n2["class"], "III");
    assert_eq!(n2["meets_target"], true);
    assert_eq!(body["share_iii_or_better"], "100.0");

    // 2023 sees only its own sample.
    let body = app.json("/api/v1/water/assessment?year=2023").await;
    let n1 = body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == "N1")
        .unwrap();
    assert_eq!(n1["class"], "劣V");
    assert_eq!(body["share_iii_or_better"], "0.0");
    assert_eq!(body["national_sections"], serde_json::json!(["N1"]));
    assert_eq!(body["drinking_source_compliance"], Value::Null);
}

#[tokio::test]
async fn pages_and_sections_api() {
    let app = seeded().await;
    let list = app.json("/api/v1/water/sections").await;
    let codes: Vec<&str> = list["sections"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["code"].as_str().unwrap())
        .collect();
    assert_eq!(codes, ["N1", "N2", "N3", "P1", "P2"]);
    assert_eq!(list["sections"][3]["is_drinking_source"], true);

    // Without a year the page shows the latest sampled year.
    let (s, html) = app.get("/water").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("地表水环境质量 2024 年"), "{html}");
    assert!(html.contains("<a href=\"/water\">地表水</a>"));
    assert!(html.contains("66.7%"));
    assert!(html.contains("50.0%"));
    assert!(html.contains("青山桥&lt;b&gt;"));
    assert!(!html.contains("青山桥<b>"));
    // minijinja's HTML escaping writes `/` as `&#x2f;` inside attributes.
    assert!(
        html.replace("&#x2f;", "/")
            .contains("href=\"/water/sections/N2?year=2024\"")
    );

    let (s, html) = app.get("/water/sections/N2?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    // January NH3N 1.0 → III, February 2.0 → V, drawn and tabled.
    assert!(
        html.contains("data-month=\"1\" data-class=\"III\""),
        "{html}"
    );
    assert!(html.contains("data-month=\"2\" data-class=\"V\""));
    assert_eq!(html.matches("class=\"month\"").count(), 2);
    assert!(html.contains("<svg"));
    assert!(html.contains("未达标"));

    let (s, _) = app.get("/water/sections/NOPE").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = app.get("/api/v1/water/assessment?year=20000").await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn annual_table_exports_as_csv() {
    let app = seeded().await;
    let json = app.json("/api/v1/water/assessment?year=2024").await;
    let (status, body) = app.get("/api/v1/water/assessment.csv?year=2024").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.starts_with('\u{feff}'));
    let mut r = csv::Reader::from_reader(body.trim_start_matches('\u{feff}').as_bytes());
    assert_eq!(&r.headers().unwrap()[7], "class");
    let rows: Vec<csv::StringRecord> = r.records().map(|x| x.unwrap()).collect();
    let sections = json["sections"].as_array().unwrap();
    assert_eq!(rows.len(), sections.len());
    for (row, sec) in rows.iter().zip(sections) {
        assert_eq!(row[0], *sec["code"].as_str().unwrap());
        assert_eq!(row[7], *sec["class"].as_str().unwrap_or(""));
        assert_eq!(row[8], *sec["status"].as_str().unwrap_or(""));
    }

    // As a workbook: one row per section under the Chinese headers, classes as text.
    let r = reqwest::get(app.url("/api/v1/water/assessment.xlsx?year=2024"))
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let bytes = r.bytes().await.unwrap();
    let mut z = zip::ZipArchive::new(std::io::Cursor::new(bytes.as_ref())).unwrap();
    let mut read = |name: &str| {
        let mut s = String::new();
        std::io::Read::read_to_string(&mut z.by_name(name).unwrap(), &mut s).unwrap();
        s
    };
    let sheet = read("xl/worksheets/sheet1.xml");
    let strings = read("xl/sharedStrings.xml");
    assert_eq!(sheet.matches("<row ").count(), sections.len() + 1);
    assert!(strings.contains("水质类别") && strings.contains("主要污染指标"));
    for sec in sections {
        assert!(strings.contains(sec["code"].as_str().unwrap()));
    }
}

fn section_row<'a>(body: &'a Value, code: &str) -> &'a Value {
    body["sections"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["code"] == code)
        .unwrap()
}

#[tokio::test]
async fn table_2_exceedance_at_a_source_makes_indicator_14_drop() {
    let app = seeded().await;
    let body = app.json("/api/v1/water/assessment?year=2024").await;
    assert_eq!(body["drinking_source_compliance"], "50.0");
    assert!(
        body["drinking_basis"]
            .as_str()
            .unwrap()
            .contains("无表 2、表 3 项目监测结果"),
        "{}",
        body["drinking_basis"]
    );
    // P1 (compliant on Table 1): iron (T2-4, limit 0.3) at 0.2 and 0.4 averages exactly to the
    // limit, which meets it; benzene (T3-19, limit 0.01) not detected at 0.002.
    app.store
        .import_water_samples(
            &new_samples(&[
                ("P1", "2024-03-08", "T2-4", "0.2"),
                ("P1", "2024-04-08", "T2-4", "0.4"),
                ("P1", "2024-04-08", "T3-19", "<0.002"),
            ]),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let body = app.json("/api/v1/water/assessment?year=2024").await;
    let p1 = section_row(&body, "P1");
    assert_eq!(p1["source_compliant"], true);
    assert_eq!(p1["single_limit"][0]["code"], "T2-4");
    assert_eq!(p1["single_limit"][0]["mean"], "0.3");
    assert_eq!(p1["single_limit"][0]["exceeds"], false);
    assert_eq!(p1["single_limit"][1]["code"], "T3-19");
    assert_eq!(p1["single_limit"][1]["mean"], "0.001");
    assert_eq!(body["drinking_source_compliance"], "50.0");
    let basis = body["drinking_basis"].as_str().unwrap();
    assert!(
        basis.contains("表 2 补充项目、表 3 特定项目") && basis.contains("年均值"),
        "{basis}"
    );
    // A revised April result 0.41: the mean 0.305 exceeds 0.3 and P1 no longer meets the
    // standard, although its Table 1 class is unchanged.
    app.store
        .import_water_samples(
            &new_samples(&[("P1", "2024-04-08", "T2-4", "0.41")]),
            &Actor::cli(),
        )
        .await
        .unwrap();
    let body = app.json("/api/v1/water/assessment?year=2024").await;
    let p1 = section_row(&body, "P1");
    assert_eq!(p1["class"], "I");
    assert_eq!(p1["source_compliant"], false);
    assert_eq!(p1["source_failures"], serde_json::json!(["铁(0.02)"]));
    assert_eq!(p1["single_limit"][0]["exceeds"], true);
    assert_eq!(body["drinking_source_compliance"], "0.0");
    // The same as qingshan_water computes from the annual means.
    let iron = qingshan_water::drinking::single_limit_item_by_code("T2-4").unwrap();
    let means = expected_means();
    let p1_mean = &means.iter().find(|(c, _)| *c == "P1").unwrap().1;
    assert!(
        !source_compliance(p1_mean, &[(iron, x("0.305"))], &AssessOptions::default())
            .unwrap()
            .compliant
    );

    // The section page shows the Table 2/3 results and the failure.
    let (s, html) = app.get("/water/sections/P1?year=2024").await;
    assert_eq!(s, StatusCode::OK);
    assert!(html.contains("data-code=\"T2-4\""), "{html}");
    assert!(html.contains("表 3 特定项目") && html.contains("苯"));
    assert!(html.contains("超标项目：铁(0.02)"), "{html}");
    let (_, overview) = app.get("/water?year=2024").await;
    assert!(overview.contains("表 2 补充项目、表 3 特定项目"));

    // Indicator 14 recorded from monitoring says which tables were checked.
    let plan = qingshan_plan::xinzhou().unwrap();
    let recorded = qingshan_app::monitoring::record_monitoring_indicators(
        &app.store,
        &plan,
        2024,
        &Actor::system(),
    )
    .await
    .unwrap();
    let i14 = recorded.iter().find(|v| v.indicator_number == 14).unwrap();
    assert_eq!(i14.value, "0.0");
    let note = i14.note.as_deref().unwrap();
    assert!(
        note.contains("P1、P2") && note.contains("表 1 基本项目Ⅲ类及表 2 补充项目、表 3 特定项目"),
        "{note}"
    );
}

/// A section with an automatic station shows its devices and when each last delivered.
#[tokio::test]
async fn section_page_lists_its_station_devices() {
    let app = seeded().await;
    app.store
        .link_water_section_device(
            &qingshan_store::WaterSectionDevice {
                mn: "WQSTATION0001".into(),
                section_code: "N1".into(),
                password: "123456".into(),
                crc_policy: "strict".into(),
            },
            &qingshan_store::Actor::cli(),
        )
        .await
        .unwrap();
    let (_, page) = app.get("/water/sections/N1?year=2024").await;
    assert!(page.contains("WQSTATION0001（最近数据 从未）"), "{page}");
    let at = "2026-11-29T08:00:00.000Z";
    app.store
        .ingest(&[qingshan_store::ReceivedFrame {
            received_at: at.into(),
            peer: "127.0.0.1:1".into(),
            bytes: b"##frame".to_vec(),
            verdict: qingshan_store::FrameVerdict::Upload,
            mn: Some("WQSTATION0001".into()),
            cn: Some("2061".into()),
            error_kind: None,
            message: None,
            upload: Some(qingshan_store::Upload {
                mn: "WQSTATION0001".into(),
                cn: "2061".into(),
                qn: "20261129150000000".into(),
                data_time: "20261129150000".into(),
                pno: 0,
                st: Some("21".into()),
                flag: Some(5),
                factors: Vec::new(),
            }),
        }])
        .await
        .unwrap();
    let (_, page) = app.get("/water/sections/N1?year=2024").await;
    assert!(
        // Shown in Beijing time: 08:00 UTC is 16:00.
        page.contains("WQSTATION0001（最近数据 2026-11-29 16:00）"),
        "{page}"
    );
    let (_, other) = app.get("/water/sections/N2?year=2024").await;
    assert!(!other.contains("station-devices"));
}

/// Staff on the web: a section registered (a bad field refused with the input kept), edited,
/// its automatic station linked and unlinked, and retired with its data kept; all audited; a
/// reporter refused (403, audited).
#[tokio::test]
async fn staff_keep_sections_on_the_web() {
    let app = seeded().await;
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
        .get(app.url("/water/sections/new"))
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
    let r = post(
        "/water/sections",
        vec![
            ("code", "W 9"),
            ("name", "滹沱河出境"),
            ("level", "国考"),
            ("water_body", "river"),
            ("target_class", "III"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("断面编码只能由") && body.contains("value=\"滹沱河出境\""),
        "{body}"
    );
    let r = post(
        "/water/sections",
        vec![
            ("code", "W9"),
            ("name", "滹沱河出境"),
            ("level", "国考"),
            ("water_body", "river"),
            ("basin", "滹沱河"),
            ("division_code", "140902"),
            ("target_class", "III"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .water_section("W9")
            .await
            .unwrap()
            .unwrap()
            .basin
            .as_deref(),
        Some("滹沱河")
    );
    let r = post(
        "/water/sections/W9/edit",
        vec![
            ("name", "滹沱河出境断面"),
            ("level", "国考"),
            ("water_body", "river"),
            ("target_class", "II"),
            ("reason", "目标调整"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.store
            .water_section("W9")
            .await
            .unwrap()
            .unwrap()
            .target_class,
        "II"
    );
    let r = post(
        "/water/sections/W9/devices",
        vec![
            ("mn", "WQW9MN01"),
            ("password", "123456"),
            ("crc_policy", "field"),
        ],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.store.water_section_devices().await.unwrap().len(), 1);
    let r = post("/water/sections/W9/devices/WQW9MN01/unlink", vec![])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(app.store.water_section_devices().await.unwrap().is_empty());
    // N1 has 2024 data; retired from 2024-02-01 it keeps its page and data but leaves the
    // city's share from then on.
    let r = post(
        "/water/sections/N1/retire",
        vec![("retired_on", "2024-02-01"), ("reason", "断面调整")],
    )
    .await
    .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url("/water/sections/N1?year=2024"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("已撤销") && page.contains("断面调整"),
        "{page}"
    );
    assert_eq!(
        page.matches("class=\"month\"").count(),
        2,
        "both months stay on its page"
    );
    let years = qingshan_app::water::sections_year(&app.store, 2024)
        .await
        .unwrap();
    let n1 = years.iter().find(|y| y.section.code == "N1").unwrap();
    assert_eq!(n1.monthly.len(), 1, "only January counts for the city");
    let years = qingshan_app::water::sections_year(&app.store, 2025)
        .await
        .unwrap();
    assert!(
        years.iter().all(|y| y.section.code != "N1"),
        "not part of later years"
    );
    let log = app
        .store
        .audit_log(Some("water_section."), 50)
        .await
        .unwrap();
    for action in [
        "water_section.create",
        "water_section.edit",
        "water_section.link_device",
        "water_section.unlink_device",
        "water_section.retire",
    ] {
        assert!(
            log.iter().any(|e| e.action == action && e.outcome == "ok"),
            "{action} not audited"
        );
    }
    assert!(
        log.iter()
            .any(|e| e.action == "water_section.create" && e.outcome == "refused")
    );
    let (rc, rtoken) = common::login(&app.server, "rep").await;
    let r = rc
        .post(app.url("/water/sections/N2/retire"))
        .form(&[
            ("csrf_token", rtoken.as_str()),
            ("retired_on", "2024-01-01"),
            ("reason", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        app.store
            .water_section_retirements()
            .await
            .unwrap()
            .iter()
            .all(|r| r.code != "N2")
    );
    let log = app
        .store
        .audit_log(Some("water_section.retire"), 10)
        .await
        .unwrap();
    assert!(
        log.iter()
            .any(|e| e.outcome == "refused" && e.actor == "rep")
    );
}

/// Sample results uploaded from the water page, all or nothing, with the report shown.
#[tokio::test]
async fn sample_upload_is_all_or_nothing() {
    let app = seeded().await;
    common::user(&app.store, "staff", qingshan_store::Role::Staff, None, None).await;
    let (c, _) = common::login(&app.server, "staff").await;
    let page = c
        .get(app.url("/water"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("qingshan water import"),
        "the page no longer sends users to the command line"
    );
    assert!(
        page.contains("action=\"/water/import\"")
            || page
                .replace("&#x2f;", "/")
                .contains("action=\"/water/import\""),
        "{page}"
    );
    let token = common::hidden(&page, "csrf_token");
    let count = || async { app.store.water_samples(None, 2024).await.unwrap().len() };
    let before = count().await;
    let upload = |body: &str| {
        let (ct, body) = common::upload_form(Some(&token), "samples.csv", body.as_bytes());
        c.post(app.url("/water/import"))
            .header("content-type", ct)
            .body(body)
            .send()
    };
    let bad = "section,date,item,value\nN2,2024-03-10,NH3N,0.8\nN2,2024-03-10,DO,abc\n";
    let r = upload(bad).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let body = r.text().await.unwrap();
    assert!(
        body.contains("第 3 行") && body.contains("未导入"),
        "{body}"
    );
    assert_eq!(count().await, before, "a bad file changes nothing");
    let unknown = "section,date,item,value\nNOPE,2024-03-10,NH3N,0.8\n";
    assert_eq!(
        upload(unknown).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(count().await, before);
    let log = app
        .store
        .audit_log(Some("water_sample.import"), 10)
        .await
        .unwrap();
    assert_eq!(log.iter().filter(|e| e.outcome == "refused").count(), 2);
    let good = "section,date,item,value\nN2,2024-03-10,NH3N,0.8\nN2,2024-03-10,DO,7.1\n";
    let r = upload(good).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    assert_eq!(to, "/water?new=2&changed=0&unchanged=0");
    assert_eq!(count().await, before + 2);
    let shown = c
        .get(app.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        shown.contains("id=\"import-report\"") && shown.contains("新增 2 条"),
        "{shown}"
    );
    for t in ["/water/template.csv", "/water/template.xlsx"] {
        assert_eq!(
            c.get(app.url(t)).send().await.unwrap().status(),
            StatusCode::OK
        );
    }
    // Without a session the upload is refused and nothing is written.
    let (ct, body) = common::upload_form(None, "samples.csv", good.as_bytes());
    let r = common::client()
        .post(app.url("/water/import"))
        .header("content-type", ct)
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.headers()["location"],
        "/login",
        "the anonymous are sent to sign in"
    );
    assert_eq!(count().await, before + 2);
}
