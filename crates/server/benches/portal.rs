//! Benchmark of the 信息公开 portal's home (`GET /public`) under load: the real server on
//! 127.0.0.1 over a SQLite store in a temporary directory, holding a year of hourly data of
//! `QINGSHAN_BENCH_STATIONS` air stations (14, one per county), `QINGSHAN_BENCH_SECTIONS`
//! water sections (20) with monthly samples, the simulator's registry of 200 enterprises with
//! permits, a city value per indicator and year, and a warning in force.
//!
//! `QINGSHAN_BENCH_CLIENTS` clients (100), each with its own HTTP connection (reqwest,
//! keep-alive), ask for the home one request after the other for `QINGSHAN_BENCH_SECS` (30 s)
//! after a warm-up request. Reports: the once-a-minute computation of the home's figures, and
//! the requests' latency (p50/p95/p99/max) and throughput. The target is p99 < 50 ms.
//!
//! Run: `cargo bench -p qingshan-server --bench portal` (not part of `cargo test`; under
//! `cargo test --benches` it runs a tiny load only).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{Duration as Days, NaiveDate};
use qingshan_server::ServerConfig;
use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{
    Actor, AirStation, NewAirHour, NewIndicatorValue, NewWaterSample, Role, Store, WaterSection,
};

fn env_or(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(bench());
}

/// A concentration that wanders with the hour and the day, so that days differ.
fn value(base: u32, day: i64, hour: u32) -> String {
    let v = base + ((day * 7 + i64::from(hour) * 3) % 40) as u32;
    v.to_string()
}

async fn seed(store: &Store, plan: &qingshan_plan::Plan, stations: usize, sections: usize) {
    let actor = Actor::cli();
    let counties: Vec<_> = plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .collect();
    let list: Vec<AirStation> = (0..stations)
        .map(|i| {
            let c = counties[i % counties.len()];
            AirStation {
                code: format!("B{i:03}"),
                name: format!("{}监测站{i}", c.name),
                control_level: if i < 5 { "国控" } else { "省控" }.into(),
                division_code: Some(c.code.clone()),
                longitude: Some(format!("{:.3}", 111.5 + (i as f64) * 0.12)),
                latitude: Some(format!("{:.3}", 38.3 + (i as f64 % 5.0) * 0.25)),
            }
        })
        .collect();
    store.upsert_air_stations(&list, &actor).await.unwrap();
    // A year of hours up to the current Beijing hour.
    let now = qingshan_app::beijing::now().naive_local();
    let today = now.date();
    let first = today - Days::days(365);
    let mut batch = Vec::with_capacity(24 * 1000);
    for s in &list {
        let mut day = first;
        while day <= today {
            let d = (day - first).num_days();
            let last_hour = if day == today { now.hour_of_day() } else { 23 };
            for h in 0..=last_hour {
                batch.push(NewAirHour {
                    station_code: s.code.clone(),
                    hour: format!("{day}T{h:02}:00"),
                    values: [
                        Some(value(5, d, h)),
                        Some(value(15, d, h)),
                        Some("0.8".into()),
                        Some(value(40, d, h)),
                        Some(value(50, d, h)),
                        Some(value(25, d, h)),
                    ],
                    source: "import".into(),
                });
            }
            if batch.len() >= 24 * 1000 {
                store.import_air_hourly(&batch, &actor).await.unwrap();
                batch.clear();
            }
            day += Days::days(1);
        }
    }
    if !batch.is_empty() {
        store.import_air_hourly(&batch, &actor).await.unwrap();
    }
    // Sections with a sample a month for the last twelve months.
    let secs: Vec<WaterSection> = (0..sections)
        .map(|i| WaterSection {
            code: format!("S{i:03}"),
            name: format!("断面{i}"),
            level: if i < 6 { "国考" } else { "省考" }.into(),
            water_body: "river".into(),
            basin: Some("滹沱河".into()),
            division_code: Some(counties[i % counties.len()].code.clone()),
            target_class: "III".into(),
            is_drinking_source: false,
        })
        .collect();
    store.upsert_water_sections(&secs, &actor).await.unwrap();
    let mut samples = Vec::new();
    for (i, s) in secs.iter().enumerate() {
        for m in 0..12 {
            let date = first + Days::days(30 * m + 15);
            for (item, v) in [
                ("NH3N", format!("0.{}", 3 + (i + m as usize) % 7)),
                ("CODMn", format!("{}", 2 + (i % 5))),
                ("TP", "0.1".to_string()),
                ("DO", "7".to_string()),
                ("COD", "15".to_string()),
                ("BOD5", "3".to_string()),
            ] {
                samples.push(NewWaterSample {
                    section_code: s.code.clone(),
                    date: date.to_string(),
                    item: item.into(),
                    value: v,
                    below_detection: false,
                    source: "import".into(),
                });
            }
        }
    }
    store.import_water_samples(&samples, &actor).await.unwrap();
    // The simulator's registry: enterprises with permits.
    let reg = simulator::registry(&SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 200));
    store.import_registry(&reg, &actor).await.unwrap();
    // A city value of every numeric indicator for the last five years.
    let mut values = Vec::new();
    for ind in &plan.indicators {
        let Some(b) = ind.baseline else { continue };
        for y in 2021..=2025 {
            values.push(NewIndicatorValue {
                plan_id: plan.meta.id.clone(),
                indicator_number: i64::from(ind.number),
                year: y,
                division_code: plan.meta.division.clone(),
                value: b.to_string(),
                note: None,
                reason: None,
                source: "manual".into(),
                capture: None,
            });
        }
    }
    store
        .record_indicator_values(&values, &actor)
        .await
        .unwrap();
    let staff = store
        .create_user(
            &qingshan_store::NewUser {
                username: "bench".into(),
                display_name: "压测".into(),
                password_hash: "x".into(),
                role: Role::Staff,
                unit_id: None,
                division_code: None,
                credit_code: None,
                must_change_password: false,
            },
            &actor,
        )
        .await
        .unwrap();
    qingshan_app::warnings::issue(
        store,
        Some(&staff),
        &qingshan_app::warnings::StepForm {
            level: "yellow".into(),
            justification: "压测".into(),
            ..Default::default()
        },
        chrono::Utc::now(),
        &actor,
    )
    .await
    .unwrap();
}

trait HourOfDay {
    fn hour_of_day(&self) -> u32;
}

impl HourOfDay for chrono::NaiveDateTime {
    fn hour_of_day(&self) -> u32 {
        chrono::Timelike::hour(self)
    }
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let k = ((sorted.len() as f64) * p / 100.0).ceil() as usize;
    sorted[k.clamp(1, sorted.len()) - 1]
}

async fn bench() {
    let quick = !std::env::args().any(|a| a == "--bench");
    let stations = env_or("QINGSHAN_BENCH_STATIONS", if quick { 2 } else { 14 }) as usize;
    let sections = env_or("QINGSHAN_BENCH_SECTIONS", if quick { 2 } else { 20 }) as usize;
    let clients = env_or("QINGSHAN_BENCH_CLIENTS", if quick { 4 } else { 100 }) as usize;
    let secs = env_or("QINGSHAN_BENCH_SECS", if quick { 2 } else { 30 });
    let dir = std::env::temp_dir().join(format!("qingshan-bench-portal-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let url = format!("sqlite://{}", dir.join("bench.db").display());
    let (store, plan) = qingshan_server::prepare(
        &url,
        qingshan_plan::xinzhou().unwrap(),
        qingshan_plan::XINZHOU_TOML,
    )
    .await
    .unwrap();

    let t = Instant::now();
    seed(&store, &plan, stations, sections).await;
    let hours = store
        .air_coverage()
        .await
        .unwrap()
        .iter()
        .map(|c| c.hours)
        .sum::<i64>();
    println!(
        "seeded {stations} stations ({hours} station-hours, a year), {sections} sections, 200 enterprises in {:.1} s",
        t.elapsed().as_secs_f64()
    );

    // What the once-a-minute recomputation costs.
    let today: NaiveDate = qingshan_app::beijing::today();
    let mut compute = Vec::new();
    for _ in 0..3 {
        let t = Instant::now();
        let h = qingshan_app::portal::home(&store, &plan, today)
            .await
            .unwrap();
        compute.push(t.elapsed());
        assert_eq!(h.stations.len(), stations);
    }
    println!(
        "home figures computed (once a minute per server): {:?}",
        compute
            .iter()
            .map(|d| format!("{:.1} ms", d.as_secs_f64() * 1000.0))
            .collect::<Vec<_>>()
    );

    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let server_store = store.clone();
    let server_plan = plan.clone();
    tokio::spawn(async move {
        qingshan_server::serve(
            server_store,
            server_plan,
            ServerConfig::default(),
            "127.0.0.1:0",
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    let addr = addr_rx.await.unwrap();
    let home = format!("http://{addr}/public");
    // Warm-up: the first request computes the minute's figures.
    let t = Instant::now();
    let first = reqwest::get(&home).await.unwrap();
    assert_eq!(first.status(), 200);
    let size = first.bytes().await.unwrap().len();
    println!(
        "first request (computes): {:.1} ms, {size} bytes",
        t.elapsed().as_secs_f64() * 1000.0
    );

    let until = Instant::now() + Duration::from_secs(secs);
    let mut tasks = Vec::new();
    let home = Arc::new(home);
    for _ in 0..clients {
        let home = home.clone();
        tasks.push(tokio::spawn(async move {
            let c = reqwest::Client::builder()
                .pool_max_idle_per_host(1)
                .build()
                .unwrap();
            let mut lat = Vec::new();
            let mut errors = 0u64;
            while Instant::now() < until {
                let t = Instant::now();
                match c.get(home.as_str()).send().await {
                    Ok(r) if r.status() == 200 => {
                        let _ = r.bytes().await;
                        lat.push(t.elapsed());
                    }
                    _ => errors += 1,
                }
            }
            (lat, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.unwrap();
        all.extend(l);
        errors += e;
    }
    all.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let p99 = percentile(&all, 99.0);
    println!(
        "{clients} clients × {secs} s: {} requests ({:.0}/s), {errors} errors; latency p50 {:.1} ms, p95 {:.1} ms, p99 {:.1} ms, max {:.1} ms — {}",
        all.len(),
        all.len() as f64 / secs as f64,
        ms(percentile(&all, 50.0)),
        ms(percentile(&all, 95.0)),
        ms(p99),
        ms(*all.last().unwrap_or(&Duration::ZERO)),
        if p99 < Duration::from_millis(50) {
            "p99 under 50 ms"
        } else {
            "p99 NOT under 50 ms"
        }
    );
    let _ = stop_tx.send(());
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}
