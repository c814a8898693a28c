use super::*;
use crate::{Target, xinzhou};
use proptest::prelude::*;

fn d(s: &str) -> Decimal {
    s.parse().unwrap()
}

fn o(year: i32, v: &str) -> Observation {
    Observation::new(year, d(v))
}

fn opts(method: Method) -> Options {
    Options {
        method,
        ..Options::default()
    }
}

/// A numeric case judged as of the current value's year.
fn num(
    direction: Direction,
    base: (i32, &str),
    target: (i32, &str),
    current: Option<(i32, &str)>,
    method: Method,
) -> Assessment {
    let current = current.map(|(y, v)| o(y, v));
    assess_numeric(
        &NumericCase {
            direction,
            base: o(base.0, base.1),
            target: o(target.0, target.1),
            current,
            year: current.map_or(base.0, |c| c.year),
        },
        &opts(method),
    )
}

fn cagr(from: f64, to: f64, years: f64) -> f64 {
    (to / from).powf(1.0 / years) - 1.0
}

fn close(a: Decimal, expected: f64) {
    assert!(
        (a.to_f64() - expected).abs() <= 5e-7,
        "{a} vs expected {expected}"
    );
}

// ---- Open SDG, both directions ----

#[test]
fn opensdg_higher_is_better_forest_cover() {
    // 森林覆盖率 14.21 (2020) → 16.71 (2025); 15.50 reported for 2023.
    let a = num(
        Direction::Higher,
        (2020, "14.21"),
        (2025, "16.71"),
        Some((2023, "15.50")),
        Method::OpenSdg,
    );
    let expected = cagr(14.21, 15.5, 3.0) / cagr(14.21, 16.71, 5.0);
    close(a.ratio.unwrap(), expected);
    assert_eq!(a.status, Status::ModerateProgress, "ratio {expected}");
    assert_eq!(a.rule, Rule::CagrRatio);
    assert_eq!(a.method, Some(Method::OpenSdg));
    assert_eq!(a.fallback, None);
    assert_eq!(a.time_elapsed, Some(d("0.600000")));
    // (15.50 − 14.21) / (16.71 − 14.21) = 1.29 / 2.5
    assert_eq!(a.gap_closed, Some(d("0.516000")));
    assert!((a.actual_cagr.unwrap() - cagr(14.21, 15.5, 3.0)).abs() < 1e-12);
    assert!((a.required_cagr.unwrap() - cagr(14.21, 16.71, 5.0)).abs() < 1e-12);
    assert!((a.required_change_per_year.unwrap() - 0.5).abs() < 1e-12);
    assert!((a.actual_change_per_year.unwrap() - 0.43).abs() < 1e-12);
}

#[test]
fn opensdg_lower_is_better() {
    // PM2.5 44 → 35 by 2025; 41 in 2024 is a third of the gap in four fifths of the time.
    let a = num(
        Direction::Lower,
        (2020, "44"),
        (2025, "35"),
        Some((2024, "41")),
        Method::OpenSdg,
    );
    let expected = -cagr(44.0, 41.0, 4.0) / cagr(44.0, 35.0, 5.0).abs();
    assert!(expected > 0.0);
    close(a.ratio.unwrap(), expected);
    assert_eq!(a.status, Status::LimitedProgress);
    // Moving the wrong way is deterioration, with a negative ratio.
    let a = num(
        Direction::Lower,
        (2020, "44"),
        (2025, "35"),
        Some((2024, "46")),
        Method::OpenSdg,
    );
    assert!(a.ratio.unwrap() < Decimal::from_int(0));
    assert_eq!(a.status, Status::Deterioration);
}

// ---- Linear, both directions ----

#[test]
fn linear_higher_is_better() {
    // 农村生活污水治理率 5 → 20 by 2025; 14 in 2023: 9/15 = 0.6 of the gap, 0.6 of the time.
    let a = num(
        Direction::Higher,
        (2020, "5"),
        (2025, "20"),
        Some((2023, "14")),
        Method::Linear,
    );
    assert_eq!(a.ratio, Some(d("1.000000")));
    assert_eq!(a.status, Status::SubstantialProgress);
    assert_eq!(a.rule, Rule::LinearPace);
    assert_eq!(a.method, Some(Method::Linear));
    assert_eq!(a.gap_closed, Some(d("0.600000")));
    let a = num(
        Direction::Higher,
        (2020, "5"),
        (2025, "20"),
        Some((2023, "11")),
        Method::Linear,
    );
    // 6/15 = 0.4 of the gap in 0.6 of the time.
    assert_eq!(a.ratio, Some(d("0.666667")));
    assert_eq!(a.status, Status::ModerateProgress);
}

#[test]
fn linear_lower_is_better() {
    let a = num(
        Direction::Lower,
        (2020, "44"),
        (2025, "35"),
        Some((2024, "41")),
        Method::Linear,
    );
    // 3/9 of the gap in 4/5 of the time = 0.416667.
    assert_eq!(a.ratio, Some(d("0.416667")));
    assert_eq!(a.gap_closed, Some(d("0.333333")));
    assert_eq!(a.status, Status::LimitedProgress);
    let a = num(
        Direction::Lower,
        (2020, "44"),
        (2025, "35"),
        Some((2022, "47")),
        Method::Linear,
    );
    assert_eq!(a.ratio, Some(d("-0.833333")));
    assert_eq!(a.status, Status::Deterioration);
}

// ---- Targets met, baselines past the target ----

#[test]
fn target_met_at_baseline_is_achieved_by_both_methods() {
    for m in [Method::OpenSdg, Method::Linear] {
        // Higher is better, baseline 90 already above the target 85.
        let a = num(
            Direction::Higher,
            (2020, "90"),
            (2025, "85"),
            Some((2022, "88")),
            m,
        );
        assert_eq!(a.status, Status::TargetAchieved, "{m}");
        assert_eq!(a.rule, Rule::TargetAchieved);
        // Lower is better, baseline 30 already under the cap 35 and rising but still under.
        let a = num(
            Direction::Lower,
            (2020, "30"),
            (2025, "35"),
            Some((2022, "32")),
            m,
        );
        assert_eq!(a.status, Status::TargetAchieved, "{m}");
    }
}

#[test]
fn baseline_past_target_then_breached_is_deterioration() {
    // §7: a plain CAGR ratio calls this "significant progress"; the direction-safe ratio
    // is negative because the indicator moved the wrong way.
    for m in [Method::OpenSdg, Method::Linear] {
        let a = num(
            Direction::Lower,
            (2020, "30"),
            (2025, "35"),
            Some((2022, "36")),
            m,
        );
        assert_eq!(a.status, Status::Deterioration, "{m}");
        assert!(
            a.ratio.unwrap() < Decimal::from_int(0),
            "{m}: {:?}",
            a.ratio
        );
        let a = num(
            Direction::Higher,
            (2020, "90"),
            (2025, "85"),
            Some((2022, "84")),
            m,
        );
        assert_eq!(a.status, Status::Deterioration, "{m}");
        assert!(a.ratio.unwrap() < Decimal::from_int(0), "{m}");
    }
    // Plain ratio for the record: CAGR_a/CAGR_r would be positive here.
    assert!(cagr(30.0, 36.0, 2.0) / cagr(30.0, 35.0, 5.0) > 0.95);
}

#[test]
fn exactly_on_target_is_achieved_in_both_directions() {
    for m in [Method::OpenSdg, Method::Linear] {
        let a = num(
            Direction::Higher,
            (2020, "14.21"),
            (2025, "16.71"),
            Some((2023, "16.710")),
            m,
        );
        assert_eq!(a.status, Status::TargetAchieved);
        let a = num(
            Direction::Lower,
            (2020, "44"),
            (2025, "35"),
            Some((2023, "35.00")),
            m,
        );
        assert_eq!(a.status, Status::TargetAchieved);
        let a = num(
            Direction::Lower,
            (2020, "44"),
            (2025, "35"),
            Some((2023, "35.01")),
            m,
        );
        assert_ne!(a.status, Status::TargetAchieved);
    }
}

// ---- Zero baselines and zero targets ----

#[test]
fn zero_baseline_falls_back_to_linear() {
    let a = num(
        Direction::Higher,
        (2020, "0"),
        (2025, "20"),
        Some((2023, "10")),
        Method::OpenSdg,
    );
    assert_eq!(a.method, Some(Method::Linear));
    assert_eq!(a.fallback, Some(Fallback::NonPositiveValue));
    assert_eq!(a.rule, Rule::LinearPace);
    assert_eq!(a.actual_cagr, None);
    // (10/20) / (3/5)
    assert_eq!(a.ratio, Some(d("0.833333")));
    assert_eq!(a.status, Status::ModerateProgress);
    // Open SDG's 0.001 substitution would have called any rise "substantial".
    assert!(cagr(0.001, 10.0, 3.0) / cagr(0.001, 20.0, 5.0) > 0.95);
}

#[test]
fn zero_target_worked_example_from_the_reference() {
    // 黑臭水体 12 (2020) → 0 (2025), 5 left in 2023: 7/12 of the gap in 3/5 of the time.
    for m in [Method::OpenSdg, Method::Linear] {
        let a = num(
            Direction::Lower,
            (2020, "12"),
            (2025, "0"),
            Some((2023, "5")),
            m,
        );
        assert_eq!(a.ratio, Some(d("0.972222")), "{m}");
        assert_eq!(a.status, Status::SubstantialProgress, "{m}");
        assert_eq!(a.method, Some(Method::Linear));
        assert_eq!(
            a.fallback,
            (m == Method::OpenSdg).then_some(Fallback::NonPositiveValue)
        );
    }
    let a = num(
        Direction::Lower,
        (2020, "12"),
        (2025, "0"),
        Some((2023, "0")),
        Method::OpenSdg,
    );
    assert_eq!(a.status, Status::TargetAchieved);
}

#[test]
fn negative_values_use_linear() {
    let a = num(
        Direction::Higher,
        (2020, "-4"),
        (2025, "6"),
        Some((2022, "0")),
        Method::OpenSdg,
    );
    assert_eq!(a.fallback, Some(Fallback::NonPositiveValue));
    // 4/10 of the gap in 2/5 of the time.
    assert_eq!(a.ratio, Some(d("1.000000")));
    assert_eq!(a.status, Status::SubstantialProgress);
}

// ---- Hold targets ----

#[test]
fn hold_targets_never_compute_a_ratio() {
    for m in [Method::OpenSdg, Method::Linear] {
        let kept = num(
            Direction::Hold,
            (2020, "100"),
            (2025, "100"),
            Some((2023, "100")),
            m,
        );
        assert_eq!(kept.status, Status::TargetAchieved);
        assert_eq!(kept.ratio, None);
        assert_eq!(kept.gap_closed, None);
        let broken = num(
            Direction::Hold,
            (2020, "100"),
            (2025, "100"),
            Some((2023, "99.5")),
            m,
        );
        assert_eq!(broken.status, Status::Deterioration);
        assert_eq!(broken.rule, Rule::HoldBroken);
        assert_eq!(broken.ratio, None);
        assert_eq!(broken.method, Some(Method::Linear));
        assert_eq!(
            broken.reasoning().contains("按保持规则"),
            m == Method::OpenSdg,
            "{}",
            broken.reasoning()
        );
        let missed = num(
            Direction::Hold,
            (2020, "100"),
            (2025, "100"),
            Some((2025, "99.5")),
            m,
        );
        assert_eq!(missed.status, Status::TargetMissed);
    }
    // A target equal to the baseline with an explicit direction is a hold too.
    let a = num(
        Direction::Lower,
        (2020, "35"),
        (2025, "35"),
        Some((2022, "34")),
        Method::OpenSdg,
    );
    assert_eq!(a.status, Status::TargetAchieved);
    assert_eq!(a.fallback, Some(Fallback::TargetEqualsBaseline));
    let a = num(
        Direction::Lower,
        (2020, "35"),
        (2025, "35"),
        Some((2022, "36")),
        Method::OpenSdg,
    );
    assert_eq!(a.status, Status::Deterioration);
}

#[test]
fn plan_hold_target_uses_the_baseline() {
    let plan = xinzhou().unwrap();
    let red_line = plan.indicator(1).unwrap();
    let t = milestone(red_line, 2023).unwrap();
    assert_eq!(t.kind, TargetKind::Hold);
    let obs = [o(2023, "0.620607")];
    let a = assess(
        &Case::for_indicator(red_line, t, 2020, 2023, &obs),
        &Options::default(),
    );
    assert_eq!(a.status, Status::TargetAchieved);
    assert_eq!(a.target.unwrap().source, TargetSource::Hold);
    assert_eq!(a.target.unwrap().value, d("0.620607"));
    let obs = [o(2023, "0.6206")];
    let a = assess(
        &Case::for_indicator(red_line, t, 2020, 2023, &obs),
        &Options::default(),
    );
    assert_eq!(a.status, Status::Deterioration);
}

// ---- Missing years and data ----

#[test]
fn missing_years_use_the_latest_earlier_value_and_say_so() {
    let plan = xinzhou().unwrap();
    let forest = plan.indicator(6).unwrap();
    let t = milestone(forest, 2022).unwrap();
    let obs = [o(2023, "15.8"), o(2021, "14.9")];
    let a = assess(
        &Case::for_indicator(forest, t, 2020, 2022, &obs),
        &Options::default(),
    );
    assert_eq!(a.current, Some(o(2021, "14.9")));
    assert!(a.stale);
    assert!(a.reasoning().contains("沿用"));
    let a = assess(
        &Case::for_indicator(forest, t, 2020, 2024, &obs),
        &Options::default(),
    );
    assert_eq!(a.current, Some(o(2023, "15.8")));
    assert!(a.stale);
    let a = assess(
        &Case::for_indicator(forest, t, 2020, 2023, &obs),
        &Options::default(),
    );
    assert!(!a.stale);
}

#[test]
fn no_value_or_no_elapsed_time_is_not_available() {
    let a = num(
        Direction::Higher,
        (2020, "14.21"),
        (2025, "16.71"),
        None,
        Method::OpenSdg,
    );
    assert_eq!((a.status, a.rule), (Status::NotAvailable, Rule::NoData));
    assert_eq!(a.ratio, None);
    let a = num(
        Direction::Higher,
        (2020, "14.21"),
        (2025, "16.71"),
        Some((2020, "14.5")),
        Method::OpenSdg,
    );
    assert_eq!(
        (a.status, a.rule),
        (Status::NotAvailable, Rule::NoElapsedTime)
    );
    let a = num(
        Direction::Higher,
        (2020, "14.21"),
        (2020, "16.71"),
        Some((2022, "14.5")),
        Method::Linear,
    );
    assert_eq!(
        (a.status, a.rule),
        (Status::NotAvailable, Rule::InvalidPeriod)
    );
}

#[test]
fn missing_baseline_uses_first_reported_value() {
    let plan = xinzhou().unwrap();
    let co2 = plan.indicator(4).unwrap();
    assert_eq!(co2.baseline, None);
    let t = milestone(co2, 2023).unwrap();
    let obs = [o(2021, "4"), o(2023, "12")];
    let a = assess(
        &Case::for_indicator(co2, t, 2020, 2023, &obs),
        &Options::default(),
    );
    assert!(a.base_substituted);
    assert_eq!(a.base, Some(o(2021, "4")));
    assert_eq!(a.target.unwrap().value, d("18"));
    assert_ne!(a.status, Status::NotAvailable);
    // With a single value there is nothing to measure a pace from.
    let obs = [o(2021, "4")];
    let a = assess(
        &Case::for_indicator(co2, t, 2020, 2023, &obs),
        &Options::default(),
    );
    assert_eq!((a.status, a.rule), (Status::NotAvailable, Rule::NoBaseline));
}

// ---- After the target year ----

#[test]
fn after_the_target_year_the_result_is_binary() {
    for m in [Method::OpenSdg, Method::Linear] {
        // A pace that would be "on track" is still a miss once 2025 has come.
        let a = num(
            Direction::Higher,
            (2020, "14.21"),
            (2025, "16.71"),
            Some((2025, "16.70")),
            m,
        );
        assert_eq!(a.status, Status::TargetMissed);
        assert_eq!(a.rule, Rule::FinalMissed);
        assert!(a.ratio.unwrap() >= d("0.95"));
        let a = num(
            Direction::Higher,
            (2020, "14.21"),
            (2025, "16.71"),
            Some((2026, "16.80")),
            m,
        );
        assert_eq!(a.status, Status::TargetAchieved);
        assert_eq!(a.rule, Rule::FinalAchieved);
        let a = num(
            Direction::Lower,
            (2020, "44"),
            (2025, "35"),
            Some((2027, "36")),
            m,
        );
        assert_eq!(a.status, Status::TargetMissed);
    }
}

#[test]
fn milestone_moves_on_after_2025() {
    let plan = xinzhou().unwrap();
    let forest = plan.indicator(6).unwrap();
    assert_eq!(milestone(forest, 2021).unwrap().year, 2025);
    assert_eq!(milestone(forest, 2025).unwrap().year, 2025);
    assert_eq!(milestone(forest, 2026).unwrap().year, 2035);
    assert_eq!(milestone(forest, 2040).unwrap().year, 2035);
    let t = milestone(forest, 2027).unwrap();
    let obs = [o(2027, "17.5")];
    let a = assess(
        &Case::for_indicator(forest, t, 2020, 2027, &obs),
        &Options::default(),
    );
    assert_eq!(a.target.unwrap().value, d("19.71"));
    assert_eq!(a.time_elapsed, Some(d("0.466667")));
}

// ---- Threshold boundaries ----

#[test]
fn opensdg_boundaries_decide_deterministically() {
    // CAGR_r = 20 % (2.0736 = 1.2⁴), CAGR_a = 19 % (1.4161 = 1.19²): R is exactly 0.95,
    // which floats compute as 0.9499999…; the published six-place ratio decides.
    let case = |cur: &str| {
        num(
            Direction::Higher,
            (2020, "100"),
            (2024, "207.36"),
            Some((2022, cur)),
            Method::OpenSdg,
        )
    };
    let at = case("141.61");
    assert_eq!(at.ratio, Some(d("0.950000")));
    assert_eq!(at.status, Status::SubstantialProgress);
    let below = case("141.60");
    assert!(below.ratio.unwrap() < d("0.95"));
    assert_eq!(below.status, Status::ModerateProgress);
    let above = case("141.62");
    assert_eq!(above.status, Status::SubstantialProgress);
    // 1.2544 = 1.12²: R exactly 0.60 (floats: 0.5999999999999995).
    let at = case("125.44");
    assert_eq!(at.ratio, Some(d("0.600000")));
    assert_eq!(at.status, Status::ModerateProgress);
    assert_eq!(case("125.43").status, Status::LimitedProgress);
    // No change is exactly 0: limited, not deterioration.
    let at = case("100");
    assert_eq!(at.ratio, Some(d("0.000000")));
    assert_eq!(at.status, Status::LimitedProgress);
    assert_eq!(case("99.99").status, Status::Deterioration);
}

#[test]
fn linear_boundaries_are_exact() {
    // 0 → 100 over 2020–2030, judged in 2024 (0.4 of the time).
    let case = |cur: &str| {
        num(
            Direction::Higher,
            (2020, "0"),
            (2030, "100"),
            Some((2024, cur)),
            Method::Linear,
        )
    };
    assert_eq!(case("38").ratio, Some(d("0.950000")));
    assert_eq!(case("38").status, Status::SubstantialProgress);
    assert_eq!(case("37.99").status, Status::ModerateProgress);
    assert_eq!(case("24").ratio, Some(d("0.600000")));
    assert_eq!(case("24").status, Status::ModerateProgress);
    assert_eq!(case("23.99").status, Status::LimitedProgress);
    assert_eq!(case("0").status, Status::LimitedProgress);
    assert_eq!(case("-0.01").status, Status::Deterioration);
    // Within half a millionth of a cut-off the published ratio rounds onto it.
    assert_eq!(case("37.9999999").ratio, Some(d("0.950000")));
    assert_eq!(case("37.9999999").status, Status::SubstantialProgress);
    assert_eq!(case("37.99996").ratio, Some(d("0.949999")));
    assert_eq!(case("37.99996").status, Status::ModerateProgress);
}

#[test]
fn thresholds_are_configurable() {
    let t = Thresholds::unsd2022();
    assert_eq!(t.classify(d("0.5")), Status::ModerateProgress);
    assert_eq!(t.classify(d("0.49")), Status::LimitedProgress);
    assert_eq!(t.classify(d("-0.1")), Status::LimitedProgress);
    assert_eq!(t.classify(d("-0.11")), Status::Deterioration);
    let d0 = Thresholds::default();
    assert_eq!(d0.classify(d("0.5")), Status::LimitedProgress);
    let options = Options {
        method: Method::Linear,
        thresholds: t,
        ..Options::default()
    };
    // 0.2 of the gap in 0.4 of the time: 0.5, moderate under UNSD, limited under Eurostat.
    let case = NumericCase {
        direction: Direction::Higher,
        base: o(2020, "0"),
        target: o(2030, "100"),
        current: Some(o(2024, "20")),
        year: 2024,
    };
    assert_eq!(
        assess_numeric(&case, &options).status,
        Status::ModerateProgress
    );
    assert_eq!(
        assess_numeric(&case, &opts(Method::Linear)).status,
        Status::LimitedProgress
    );
}

// ---- Target kinds from the plan ----

#[test]
fn relative_reduction_of_a_rate_indicator() {
    // 单位GDP能源消耗降低 (higher is better): 较2020年下降14.5% means a cumulative
    // reduction of 14.5 by 2025, counted from 0 in 2020.
    let plan = xinzhou().unwrap();
    let energy = plan.indicator(3).unwrap();
    let t = milestone(energy, 2023).unwrap();
    let obs = [o(2023, "9")];
    let a = assess(
        &Case::for_indicator(energy, t, 2020, 2023, &obs),
        &Options::default(),
    );
    let target = a.target.unwrap();
    assert_eq!(target.value, d("14.5"));
    assert!(matches!(
        target.source,
        TargetSource::CumulativeReduction {
            relative_to: 2020,
            ..
        }
    ));
    assert_eq!(a.base, Some(o(2020, "0")));
    assert_eq!(a.fallback, Some(Fallback::NonPositiveValue));
    // (9 / 14.5) / (3 / 5)
    assert_eq!(a.ratio, Some(d("1.034483")));
    assert_eq!(a.status, Status::SubstantialProgress);
}

#[test]
fn relative_reduction_of_a_level_resolves_exactly() {
    let target = Target {
        year: 2025,
        text: "较2020年下降14.5%".into(),
        kind: TargetKind::Reduction {
            percent: d("14.5"),
            relative_to: 2020,
        },
    };
    let obs = [o(2023, "0.46")];
    let case = Case {
        year: 2023,
        direction: Direction::Lower,
        target: &target,
        base_year: 2020,
        baseline: Some(d("0.50")),
        observations: &obs,
        assigned: None,
        judgement: None,
    };
    let a = assess(&case, &Options::default());
    // 0.50 × 0.855
    assert_eq!(a.target.unwrap().value, d("0.4275"));
    assert_eq!(a.target.unwrap().value.to_string(), "0.4275");
    assert_eq!(a.rule, Rule::CagrRatio);
    // Relative to a year that is not the baseline: the reported value of that year.
    let target2 = Target {
        kind: TargetKind::Reduction {
            percent: d("10"),
            relative_to: 2021,
        },
        ..target.clone()
    };
    let obs = [o(2021, "0.60"), o(2023, "0.55")];
    let a = assess(
        &Case {
            target: &target2,
            observations: &obs,
            ..case
        },
        &Options::default(),
    );
    assert_eq!(a.target.unwrap().value, d("0.54"));
    let a = assess(
        &Case {
            target: &target2,
            observations: &[o(2023, "0.55")],
            ..case
        },
        &Options::default(),
    );
    assert_eq!((a.status, a.rule), (Status::NotAvailable, Rule::NoBaseline));
}

#[test]
fn continuous_decline_is_judged_year_on_year() {
    let plan = xinzhou().unwrap();
    let co2 = plan.indicator(4).unwrap();
    let t = milestone(co2, 2027).unwrap();
    assert_eq!(t.kind, TargetKind::ContinuousDecline);
    let judge = |obs: &[Observation], year: i32| {
        assess(
            &Case::for_indicator(co2, t, 2020, year, obs),
            &Options::default(),
        )
    };
    // The indicator is the reduction rate (higher is better): a rising cumulative reduction
    // means emissions intensity keeps falling.
    let a = judge(&[o(2026, "20"), o(2027, "21.5")], 2027);
    assert_eq!(
        (a.status, a.rule),
        (Status::TargetAchieved, Rule::YearOnYear)
    );
    assert_eq!(a.previous, Some(o(2026, "20")));
    assert!((a.actual_change_per_year.unwrap() - 1.5).abs() < 1e-12);
    assert_eq!(
        judge(&[o(2026, "20"), o(2027, "20.0")], 2027).status,
        Status::LimitedProgress
    );
    assert_eq!(
        judge(&[o(2026, "20"), o(2027, "19")], 2027).status,
        Status::Deterioration
    );
    // A gap year compares with the latest earlier value.
    let a = judge(&[o(2026, "20"), o(2028, "22")], 2028);
    assert_eq!(a.previous, Some(o(2026, "20")));
    let a = judge(&[o(2027, "20")], 2027);
    assert_eq!(
        (a.status, a.rule),
        (Status::NotAvailable, Rule::NoPreviousYear)
    );
    assert_eq!(judge(&[], 2027).rule, Rule::NoData);

    // For a level (lower is better), the value itself must fall.
    let target = Target {
        year: 2035,
        text: "持续下降".into(),
        kind: TargetKind::ContinuousDecline,
    };
    let falling = [o(2027, "43")];
    let case = Case {
        year: 2027,
        direction: Direction::Lower,
        target: &target,
        base_year: 2020,
        baseline: Some(d("44")),
        observations: &falling,
        assigned: None,
        judgement: None,
    };
    let a = assess(&case, &Options::default());
    assert_eq!(a.status, Status::TargetAchieved);
    assert_eq!(a.previous, Some(o(2020, "44")));
}

#[test]
fn provincial_assignment_becomes_that_years_target() {
    let plan = xinzhou().unwrap();
    let pm = plan.indicator(12).unwrap();
    let t = milestone(pm, 2024).unwrap();
    assert_eq!(t.kind, TargetKind::ProvincialAssignment);
    let obs = [o(2023, "39"), o(2024, "37")];
    let base = Case::for_indicator(pm, t, 2020, 2024, &obs);
    let a = assess(&base, &Options::default());
    assert_eq!(
        (a.status, a.rule),
        (Status::NotAvailable, Rule::AwaitingAssignment)
    );
    let a = assess(
        &Case {
            assigned: Some(d("38")),
            ..base
        },
        &Options::default(),
    );
    let target = a.target.unwrap();
    assert_eq!((target.year, target.value), (2024, d("38")));
    assert_eq!(target.source, TargetSource::ProvincialAssignment);
    assert_eq!(
        (a.status, a.rule),
        (Status::TargetAchieved, Rule::FinalAchieved)
    );
    let a = assess(
        &Case {
            assigned: Some(d("36")),
            ..base
        },
        &Options::default(),
    );
    assert_eq!(
        (a.status, a.rule),
        (Status::TargetMissed, Rule::FinalMissed)
    );
    // Without the province's number, staff may judge it with a justification.
    let j = Judgement {
        met: true,
        justification: "省厅通报完成年度任务".into(),
    };
    let a = assess(
        &Case {
            judgement: Some(&j),
            ..base
        },
        &Options::default(),
    );
    assert_eq!(a.status, Status::Manual);
    assert_eq!(a.judgement.as_ref(), Some(&j));
}

#[test]
fn qualitative_targets_need_a_justified_judgement() {
    let plan = xinzhou().unwrap();
    let land = plan.indicator(16).unwrap();
    let t = milestone(land, 2024).unwrap();
    assert_eq!(t.kind, TargetKind::EffectivelyEnsured);
    let base = Case::for_indicator(land, t, 2020, 2024, &[]);
    let a = assess(&base, &Options::default());
    assert_eq!(
        (a.status, a.rule),
        (Status::NotAvailable, Rule::AwaitingJudgement)
    );
    let blank = Judgement {
        met: true,
        justification: "  ".into(),
    };
    let a = assess(
        &Case {
            judgement: Some(&blank),
            ..base
        },
        &Options::default(),
    );
    assert_eq!(a.status, Status::NotAvailable);
    let j = Judgement {
        met: false,
        justification: "两块地块未完成风险管控".into(),
    };
    let a = assess(
        &Case {
            judgement: Some(&j),
            ..base
        },
        &Options::default(),
    );
    assert_eq!((a.status, a.rule), (Status::Manual, Rule::ManualJudgement));
    assert!(a.reasoning().contains("两块地块未完成风险管控"));
    assert!(a.reasoning().contains("未达到"));
}

#[test]
fn undetermined_target_is_not_available() {
    let plan = xinzhou().unwrap();
    let energy = plan.indicator(3).unwrap();
    let t = milestone(energy, 2027).unwrap();
    assert_eq!(t.kind, TargetKind::Undetermined);
    let obs = [o(2027, "20")];
    let a = assess(
        &Case::for_indicator(energy, t, 2020, 2027, &obs),
        &Options::default(),
    );
    assert_eq!((a.status, a.rule), (Status::NotAvailable, Rule::NoTarget));
}

#[test]
fn every_xinzhou_indicator_gets_a_status_with_reasoning() {
    let plan = xinzhou().unwrap();
    for ind in &plan.indicators {
        for year in [2021, 2024, 2025, 2026] {
            let Some(t) = milestone(ind, year) else {
                continue;
            };
            let base = ind.baseline.unwrap_or(Decimal::from_int(10));
            let obs = [Observation::new(2021, base), Observation::new(year, base)];
            let a = assess(
                &Case::for_indicator(ind, t, plan.meta.baseline_year, year, &obs),
                &Options::default(),
            );
            let r = a.reasoning();
            assert!(r.starts_with(a.status.label()), "{}: {r}", ind.name);
        }
    }
}

#[test]
fn reasoning_shows_the_numbers() {
    let a = num(
        Direction::Higher,
        (2020, "14.21"),
        (2025, "16.71"),
        Some((2023, "15.50")),
        Method::Linear,
    );
    let r = a.reasoning();
    for part in [
        "需加快",
        "2023年值 15.50",
        "基期2020年 14.21",
        "2025年目标 16.71",
        "51.6%",
        "60.0%",
        "0.86",
    ] {
        assert!(r.contains(part), "{part} missing from {r}");
    }
}

#[test]
fn codes_round_trip() {
    for s in Status::ALL {
        assert_eq!(s.code().parse::<Status>(), Ok(s));
        assert!(!s.label().is_empty());
    }
    assert!("on_track".parse::<Status>().is_err());
    for m in [Method::OpenSdg, Method::Linear] {
        assert_eq!(m.code().parse::<Method>(), Ok(m));
    }
    assert!("cagr".parse::<Method>().is_err());
    assert_eq!(Method::default(), Method::OpenSdg);
    let json = serde_json_like(&Status::TargetAchieved);
    assert_eq!(json, "target_achieved");
}

fn serde_json_like(s: &Status) -> String {
    // The crate has no JSON dependency; TOML's serializer shows the serde name just as well.
    #[derive(serde::Serialize)]
    struct W {
        s: Status,
    }
    toml::to_string(&W { s: *s })
        .unwrap()
        .trim()
        .trim_start_matches("s = ")
        .trim_matches('"')
        .to_string()
}

// ---- Properties ----

fn direction() -> impl Strategy<Value = Direction> {
    prop_oneof![
        Just(Direction::Higher),
        Just(Direction::Lower),
        Just(Direction::Hold)
    ]
}

fn method() -> impl Strategy<Value = Method> {
    prop_oneof![Just(Method::OpenSdg), Just(Method::Linear)]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// A better current value never gives a worse status, in either method or direction,
    /// before, at or after the target year.
    #[test]
    fn better_value_never_worse_status(
        dir in direction(),
        m in method(),
        base in -5_000i64..5_000,
        target in -5_000i64..5_000,
        a in -10_000i64..10_000,
        b in -10_000i64..10_000,
        t0 in 2000i32..2030,
        span in 1i32..16,
        elapsed in 1i32..20,
    ) {
        let v = |x: i64| Decimal::new(i128::from(x), 2);
        let good = good_sign(dir);
        let (worse, better) = if (a - b) * i64::from(good) <= 0 { (a, b) } else { (b, a) };
        let judge = |c: i64| assess_numeric(
            &NumericCase {
                direction: dir,
                base: Observation::new(t0, v(base)),
                target: Observation::new(t0 + span, v(target)),
                current: Some(Observation::new(t0 + elapsed, v(c))),
                year: t0 + elapsed,
            },
            &opts(m),
        );
        let (w, bt) = (judge(worse), judge(better));
        let (rw, rb) = (w.status.rank(), bt.status.rank());
        prop_assert!(rw.is_some() && rb.is_some(), "{w:?} {bt:?}");
        prop_assert!(rb >= rw, "worse {worse} → {:?} {:?}, better {better} → {:?} {:?}",
            w.status, w.ratio, bt.status, bt.ratio);
        if let (Some(x), Some(y)) = (w.ratio, bt.ratio)
            && w.method == bt.method
        {
            prop_assert!(y >= x);
        }
    }

    /// Real decimals with many digits: still no panic, and the same monotonicity.
    #[test]
    fn monotone_with_fine_decimals(
        dir in direction(),
        m in method(),
        base in 1i64..1_000_000_000,
        target in 1i64..1_000_000_000,
        a in 1i64..1_000_000_000,
        step in 0i64..1_000,
        elapsed in 1i32..5,
    ) {
        let v = |x: i64| Decimal::new(i128::from(x), 6);
        let good = i64::from(good_sign(dir));
        let worse = a;
        let better = a + good * step;
        let judge = |c: i64| assess_numeric(
            &NumericCase {
                direction: dir,
                base: Observation::new(2020, v(base)),
                target: Observation::new(2025, v(target)),
                current: Some(Observation::new(2020 + elapsed, v(c))),
                year: 2020 + elapsed,
            },
            &opts(m),
        );
        prop_assert!(judge(better).status.rank() >= judge(worse).status.rank());
    }
}
