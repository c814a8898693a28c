//! The proof from the data (减排措施落实核查, docs/heavy-warnings.md) with the real simulator:
//! two simulated 数采仪 of two enterprises speak HJ 212 over TCP to the real gateway of a
//! server started here. They upload their hourly data (2061) of the seven days before the
//! warning — the baseline — then staff issue an orange warning through the API, and the
//! devices upload the warning's hours: one enterprise carries on at its usual level, the other
//! has cut to half from the warning's start (the simulator's emission schedule). The
//! supervisor's check, run with its clock at each hour, flags the first one 未落实减排措施 with
//! one `reduction_not_met` alarm once N = 3 hours have been missed, not before, and never the
//! second. Every expected figure is computed here from what the store holds.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDate, NaiveDateTime, TimeZone, Timelike, Utc};
use qingshan_exact::{Ratio, Rounding};
use qingshan_server::gateway::GatewayConfig;
use qingshan_simulator::{self as simulator, Emission, EmissionStep, SimulatorConfig};
use qingshan_store::{
    Actor, AlarmFilter, HeavyMeasure, Kg4, NewHeavyReduction, Raised, Role, Store,
};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Device 0 (enterprise A) keeps emitting as usual; device 1 (enterprise B) cuts.
const HOLDS: usize = 0;
const CUTS: usize = 1;
/// B's production limit during the warning: half (限产 50 %).
const CUT_SCALE: f64 = 0.5;
/// The committed SO2 cut of both enterprises at the orange level, kg/h.
const COMMITTED_KG_H: &str = "0.6";
/// Warning hours the devices upload.
const HOURS: i64 = 6;
/// N of the rule (the default).
const N: i64 = 3;

/// The warning starts at 2026-11-20 00:00 Beijing time.
fn start_local() -> NaiveDateTime {
    NaiveDate::from_ymd_opt(2026, 11, 20)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
}

fn dt(t: NaiveDateTime) -> String {
    t.format("%Y%m%d%H%M%S").to_string()
}

fn at_local(t: NaiveDateTime) -> chrono::DateTime<Utc> {
    Utc.from_utc_datetime(&(t - Duration::hours(8)))
}

fn kg3(r: Ratio) -> String {
    r.format_fixed(3, Rounding::HalfEven)
}

/// The fleet: two devices uploading hourly data (2061) from `from`, `uploads` hours, as fast
/// as the gateway acknowledges them; B's emissions at half from the warning's start.
fn fleet(to: std::net::SocketAddr, from: NaiveDateTime, uploads: u64) -> SimulatorConfig {
    let mut cfg = SimulatorConfig::new(to, 2);
    cfg.cn = "2061".into();
    cfg.interval = StdDuration::from_millis(5);
    cfg.uploads = Some(uploads);
    // Long enough for the uploads on a busy machine; the devices then idle until it ends.
    cfg.duration = StdDuration::from_millis(5 * uploads + 4000);
    cfg.grace = StdDuration::from_secs(20);
    cfg.period_start = Some(from);
    cfg.emission = vec![EmissionStep {
        device: CUTS,
        factor: None,
        from: start_local(),
        scale: CUT_SCALE,
    }];
    cfg
}

/// The stored hourly SO2 load (-Cou, kg) of `mn` in `[from, to)`, by hour.
async fn stored_so2(
    store: &Store,
    mn: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> BTreeMap<NaiveDateTime, String> {
    store
        .uploads_between(mn, "2061", &dt(from), &dt(to))
        .await
        .unwrap()
        .into_iter()
        .map(|(t, factors)| {
            let so2 = factors.iter().find(|f| f.factor == "a21026").unwrap();
            (
                NaiveDateTime::parse_from_str(&t, "%Y%m%d%H%M%S").unwrap(),
                so2.cou.clone().unwrap(),
            )
        })
        .collect()
}

fn reduction_alarms(alarms: &[qingshan_store::Alarm]) -> Vec<&qingshan_store::Alarm> {
    alarms
        .iter()
        .filter(|a| a.kind == "reduction_not_met")
        .collect()
}

#[tokio::test]
async fn a_simulated_plant_at_its_baseline_is_flagged_after_n_hours_and_one_that_cuts_is_not() {
    let (store, _db) = common::fresh_store("heavy_warnings_sim").await;
    let s = start_local();
    // The devices are registered before the gateway starts, so none of their frames is taken
    // for a stranger's (quarantined).
    let reg = simulator::registry(&fleet(([127, 0, 0, 1], 0).into(), s, 1));
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let gw = common::gateway(store.clone(), GatewayConfig::default()).await;
    let server = common::serve(store.clone()).await;
    let week = fleet(gw.addr, s - Duration::days(7), 7 * 24);
    let code = |i: usize| reg.enterprises[i].credit_code.clone();
    let name = |i: usize| reg.enterprises[i].name.clone();
    let mn = simulator::device_mn;
    // Both have orange measures committing the same SO2 cut; no declared baseline, so every
    // hour's baseline must come from the data.
    for i in [HOLDS, CUTS] {
        store
            .heavy_reduction_save(
                &NewHeavyReduction {
                    credit_code: code(i),
                    level: "orange".into(),
                    measures: vec![HeavyMeasure {
                        code: "limit".into(),
                        percent: Some("50".into()),
                        process: None,
                    }],
                    reduction: Kg4 {
                        so2: COMMITTED_KG_H.into(),
                        ..Default::default()
                    },
                    outlet_codes: vec!["DA001".into()],
                    note: None,
                },
                &Actor::cli(),
            )
            .await
            .unwrap();
    }
    common::user(&store, "staff", Role::Staff, None, None).await;

    // The week before the warning reaches the server through the gateway.
    let before = simulator::run(week).await;
    assert_eq!(
        (before.sent, before.acked),
        (2 * 7 * 24, 2 * 7 * 24),
        "{before:?}"
    );
    for i in [HOLDS, CUTS] {
        let rows = stored_so2(&store, &mn(i), s - Duration::days(7), s).await;
        let missing: Vec<String> = (0..7 * 24)
            .map(|h| s - Duration::days(7) + Duration::hours(h))
            .filter(|t| !rows.contains_key(t))
            .map(dt)
            .collect();
        assert_eq!(rows.len(), 7 * 24, "{} lacks {missing:?}", mn(i));
    }

    // Staff issue an orange warning for 忻府区 from 00:00.
    let (c, csrf) = common::login(&server, "staff").await;
    let resp = c
        .post(server.url("/api/v1/heavy/warnings"))
        .header("x-csrf-token", &csrf)
        .json(&json!({
            "level": "orange",
            "effective_at": "2026-11-20 00:00",
            "areas": ["140902"],
            "forecast": "AQI 230、260、280",
            "justification": "会商",
        }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::CREATED);
    let v: Value = resp.json().await.unwrap();
    let id = v["warning"]["id"].as_i64().unwrap();
    let mut got: Vec<String> = v["notices"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n["credit_code"].as_str().unwrap().to_string())
        .collect();
    got.sort();
    let mut want = vec![code(HOLDS), code(CUTS)];
    want.sort();
    assert_eq!(got, want);

    // The warning's hours: A as usual, B at half.
    let during = simulator::run(fleet(gw.addr, s, HOURS as u64)).await;
    assert_eq!(
        (during.sent, during.acked),
        (2 * HOURS as u64, 2 * HOURS as u64),
        "{during:?}"
    );

    // What the store holds, and what the rule makes of it: the baseline of an hour is the
    // mean of the same hour over the seven days before.
    let committed = Ratio::parse(COMMITTED_KG_H).unwrap();
    let mut expected: BTreeMap<usize, Vec<(NaiveDateTime, Ratio, Ratio, bool)>> = BTreeMap::new();
    for i in [HOLDS, CUTS] {
        let week = stored_so2(&store, &mn(i), s - Duration::days(7), s).await;
        let warn = stored_so2(&store, &mn(i), s, s + Duration::hours(HOURS)).await;
        assert_eq!(warn.len(), HOURS as usize);
        let mut rows = Vec::new();
        for (h, actual) in &warn {
            let same: Vec<Ratio> = week
                .iter()
                .filter(|(t, _)| t.hour() == h.hour())
                .map(|(_, v)| Ratio::parse(v).unwrap())
                .collect();
            assert_eq!(same.len(), 7);
            let base = Ratio::sum(&same).div_int(7).unwrap();
            let actual = Ratio::parse(actual).unwrap();
            let achieved = base.checked_sub(actual).unwrap();
            rows.push((*h, base, actual, achieved < committed));
        }
        expected.insert(i, rows);
    }
    // The devices sent what their schedules say: A its usual series, B half of it.
    let b_schedule = Emission::for_device(&fleet(gw.addr, s, 1).emission, CUTS);
    for (h, _, actual, _) in &expected[&CUTS] {
        let usual = simulator::aggregate(CUTS, "a21026", *h, 60, simulator::Shape::Normal);
        let cut = simulator::aggregate_emitted(
            CUTS,
            "a21026",
            *h,
            60,
            simulator::Shape::Normal,
            &b_schedule,
        );
        assert_eq!(kg3(*actual), format!("{:.3}", cut.cou));
        assert!(
            cut.cou < usual.cou * (CUT_SCALE + 0.05),
            "{h}: {} vs {}",
            cut.cou,
            usual.cou
        );
    }
    for (h, _, actual, _) in &expected[&HOLDS] {
        let usual = simulator::aggregate(HOLDS, "a21026", *h, 60, simulator::Shape::Normal);
        assert_eq!(kg3(*actual), format!("{:.3}", usual.cou));
    }
    // By the stored data A misses its commitment every hour and B meets it every hour; the
    // test means nothing otherwise.
    assert!(
        expected[&HOLDS].iter().all(|r| r.3),
        "{:?}",
        expected[&HOLDS]
    );
    assert!(
        expected[&CUTS].iter().all(|r| !r.3),
        "{:?}",
        expected[&CUTS]
    );

    // The supervisor's pass, its clock at each hour: nothing before N whole hours are missed.
    let cfg = qingshan_app::warnings::CheckConfig::default();
    assert_eq!(cfg.consecutive_hours, N as usize);
    for k in 0..N {
        let raised =
            qingshan_app::warnings::check_active(&store, at_local(s + Duration::hours(k)), &cfg)
                .await
                .unwrap();
        assert!(raised.is_empty(), "at {k}:00: {raised:?}");
    }
    let none = store.alarms(&AlarmFilter::default(), 100).await.unwrap();
    assert!(reduction_alarms(&none).is_empty(), "{none:?}");
    // At 03:00 three hours are missed: A is flagged, with exactly one alarm.
    let raised =
        qingshan_app::warnings::check_active(&store, at_local(s + Duration::hours(N)), &cfg)
            .await
            .unwrap();
    assert_eq!(raised.len(), 1, "{raised:?}");
    assert!(matches!(raised[0], Raised::New(_)));
    let alarms = store.alarms(&AlarmFilter::default(), 100).await.unwrap();
    let hw = reduction_alarms(&alarms);
    assert_eq!(hw.len(), 1, "{alarms:?}");
    assert_eq!(hw[0].mn, mn(HOLDS));
    assert_eq!(hw[0].factor, "a21026");
    assert_eq!(hw[0].start_time, dt(s));
    assert!(hw[0].context.contains(&name(HOLDS)), "{}", hw[0].context);
    assert!(hw[0].context.contains("连续 3 小时"), "{}", hw[0].context);
    // Later passes keep the one alarm.
    let later =
        qingshan_app::warnings::check_active(&store, at_local(s + Duration::hours(HOURS)), &cfg)
            .await
            .unwrap();
    assert_eq!(later.len(), 1);
    assert!(matches!(later[0], Raised::Updated(_)));
    let alarms = store.alarms(&AlarmFilter::default(), 100).await.unwrap();
    assert_eq!(reduction_alarms(&alarms).len(), 1);

    // The hourly figures the check judged are those computed above from the stored data.
    let w = store.heavy_warning(id).await.unwrap().unwrap();
    let judged =
        qingshan_app::warnings::compliance(&store, &w, at_local(s + Duration::hours(HOURS)), &cfg)
            .await
            .unwrap();
    assert_eq!(judged.len(), 2);
    for e in &judged {
        let i = if e.credit_code == code(HOLDS) {
            HOLDS
        } else {
            CUTS
        };
        assert_eq!(e.flagged, i == HOLDS, "{}", e.enterprise);
        assert_eq!(e.mns, vec![mn(i)]);
        let so2 = e.pollutants.iter().find(|p| p.pollutant == "so2").unwrap();
        let rows: Vec<(String, String, Option<String>, bool)> = so2
            .hours
            .iter()
            .map(|h| {
                (
                    h.hour.clone(),
                    h.baseline.clone(),
                    h.actual.clone(),
                    h.missed,
                )
            })
            .collect();
        let want: Vec<(String, String, Option<String>, bool)> = expected[&i]
            .iter()
            .map(|(h, b, a, m)| {
                (
                    h.format("%Y-%m-%d %H:00").to_string(),
                    kg3(*b),
                    Some(kg3(*a)),
                    *m,
                )
            })
            .collect();
        assert_eq!(rows, want, "{}", e.enterprise);
    }

    // Lifted at 06:00, the warning page lists A as 未落实减排措施 and B as 已落实.
    let resp = c
        .post(server.url(&format!("/api/v1/heavy/warnings/{id}/lift")))
        .header("x-csrf-token", &csrf)
        .json(&json!({ "effective_at": "2026-11-20 06:00", "forecast": "未来 36 小时 AQI ≤ 150", "justification": "解除" }))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::OK);
    let html = c
        .get(server.url(&format!("/heavy/warnings/{id}")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let table = &html[html.find("id=\"compliance\"").unwrap()..];
    let table = &table[..table.find("</table>").unwrap()];
    let row_of = |n: &str| -> String {
        let at = table
            .find(&format!("<td>{n}</td>"))
            .unwrap_or_else(|| panic!("{n}: {table}"));
        let end = table[at..].find("</tr>").unwrap() + at;
        table[at..end].to_string()
    };
    assert!(
        row_of(&name(HOLDS)).contains("未落实减排措施（2026-11-20 00:00 起连续 6 小时）"),
        "{}",
        row_of(&name(HOLDS))
    );
    assert!(
        row_of(&name(CUTS)).contains("已落实"),
        "{}",
        row_of(&name(CUTS))
    );
    let _ = gw.stop.send(());
}
