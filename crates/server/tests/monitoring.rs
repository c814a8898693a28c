//! Indicators 11 and 12 computed from stored air monitoring data, offered to the plan, and
//! protected against silent overwriting.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use chrono::Datelike;

use qingshan_store::{Actor, AirStation, Role};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Dongsi's 2014 hours relabelled as 2024, inside the plan's years (both before 2026-03-01, so
/// the same editions of the standards apply).
fn dongsi_2024() -> qingshan_air::HourlySeries {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/air/beijing-uci/PRSA_Data_Dongsi_20130301-20170228.csv");
    let mut all =
        qingshan_air::parse_hourly_csv(std::io::BufReader::new(std::fs::File::open(p).unwrap()))
            .unwrap();
    let mut s = all.remove(0);
    s.days.retain(|d| d.date.format("%Y").to_string() == "2014");
    for d in &mut s.days {
        d.date = d.date.with_year(2024).unwrap();
    }
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn air_indicators_come_from_monitoring_and_only_staff_may_correct_them() {
    let (store, plan, _db) = common::fresh_prepared("mon").await;
    let station = AirStation {
        code: "Dongsi".into(),
        name: "东四".into(),
        control_level: "国控".into(),
        division_code: Some("140902".into()),
        longitude: None,
        latitude: None,
    };
    store
        .upsert_air_stations(&[station], &Actor::cli())
        .await
        .unwrap();
    let series = dongsi_2024();
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
        2024,
        &Actor::system(),
    )
    .await
    .unwrap();
    // The same numbers as the station's own HJ 663 assessment (one national station = the city).
    let direct = qingshan_air::assess_year(&series, 2024, &qingshan_air::AssessOptions::default());
    let want_11 = direct.good_days_ratio.unwrap().format_gbt8170(1);
    let want_12 = direct.pollutants[qingshan_air::Pollutant::Pm25.index()]
        .mean
        .unwrap()
        .format_gbt8170(0);
    let got: Vec<(i64, &str, &str, &str)> = recorded
        .iter()
        .map(|v| {
            (
                v.indicator_number,
                v.division_code.as_str(),
                v.value.as_str(),
                v.source.as_str(),
            )
        })
        .collect();
    // The station is the city's only national station and the only station of 忻府区, so the
    // county's values are the city's; counties without stations get none.
    assert_eq!(
        got,
        [
            (11, "140900", want_11.as_str(), "monitoring"),
            (12, "140900", want_12.as_str(), "monitoring"),
            (11, "140902", want_11.as_str(), "monitoring"),
            (12, "140902", want_12.as_str(), "monitoring"),
        ]
    );
    let note = recorded[0].note.as_deref().unwrap();
    let days = direct.valid_days;
    assert!(
        note.contains("Dongsi") && note.contains(&format!("有效天数 {days}/366（数据获取率")),
        "{note}"
    );
    // Idempotent: nothing new when the data did not change.
    assert!(
        qingshan_app::monitoring::record_monitoring_indicators(
            &store,
            &plan,
            2024,
            &Actor::system()
        )
        .await
        .unwrap()
        .is_empty()
    );

    // Over HTTP: the responsible unit may not overwrite it; staff may correct it with a reason.
    let server = common::serve(store.clone()).await;
    let addr = server.addr;
    common::user(&store, "sthj", Role::Reporter, Some("sthj"), None).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let login = |user: &'static str| common::login(&server, user);
    let (rep, rcsrf) = login("sthj").await;
    let r = rep
        .post(format!("http://{addr}/api/v1/indicators/11/values"))
        .header("x-csrf-token", &rcsrf)
        .json(&json!({"year": 2024, "value": "80", "reason": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (staff, scsrf) = login("staff").await;
    let r = staff
        .post(format!("http://{addr}/api/v1/indicators/11/values"))
        .header("x-csrf-token", &scsrf)
        .json(&json!({"year": 2024, "value": "50.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let r = staff
        .post(format!("http://{addr}/api/v1/indicators/11/values"))
        .header("x-csrf-token", &scsrf)
        .json(&json!({"year": 2024, "value": "50.1", "reason": "剔除沙尘天气影响（复核）"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["value"]["source"],
        "correction"
    );
    // The API entry point needs staff too.
    let r = rep
        .post(format!(
            "http://{addr}/api/v1/indicators/monitoring?year=2024"
        ))
        .header("x-csrf-token", &rcsrf)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn water_indicators_come_from_the_national_sections() {
    use qingshan_store::{NewWaterSample, WaterSection};
    let (store, plan, _db) = common::fresh_prepared("monw").await;
    let section = |code: &str, level: &str, drinking: bool| WaterSection {
        code: code.into(),
        name: format!("{code}断面"),
        level: level.into(),
        water_body: "river".into(),
        basin: Some("汾河".into()),
        division_code: Some("140902".into()),
        target_class: "III".into(),
        is_drinking_source: drinking,
    };
    store
        .upsert_water_sections(
            &[
                section("G1", "国考", false),
                section("G2", "国考", true),
                section("S1", "省考", false),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    // G1 at Class II (NH3-N 0.4), G2 at Class IV (NH3-N 1.4), S1 at Class V: 1 of 2 national sections ≤ III.
    let sample = |code: &str, nh3n: &str| NewWaterSample {
        section_code: code.into(),
        date: "2024-06-15".into(),
        item: "NH3N".into(),
        value: nh3n.into(),
        below_detection: false,
        source: "import".into(),
    };
    store
        .import_water_samples(
            &[
                sample("G1", "0.4"),
                sample("G2", "1.4"),
                sample("S1", "1.9"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let recorded = qingshan_app::monitoring::record_monitoring_indicators(
        &store,
        &plan,
        2024,
        &Actor::system(),
    )
    .await
    .unwrap();
    let got: Vec<(i64, &str)> = recorded
        .iter()
        .map(|v| (v.indicator_number, v.value.as_str()))
        .collect();
    assert_eq!(got, [(13, "50.0"), (14, "0.0")]);
    assert!(recorded[0].note.as_deref().unwrap().contains("G1、G2"));
    // A year without any monitoring data is refused.
    assert!(
        qingshan_app::monitoring::record_monitoring_indicators(
            &store,
            &plan,
            2023,
            &Actor::system()
        )
        .await
        .is_err()
    );
}
