//! The simulated devices' measurements: a deterministic function of device, factor and minute
//! (Beijing device time), so that the same minute always has the same value, whether it is
//! uploaded live or fetched later as history (补传). Period values (minute data of any
//! `MinInterval`, hourly, daily) are the mean, minimum and maximum of the minute values of the
//! period, as a 数采仪 aggregates its samples.

use chrono::{NaiveDateTime, Timelike};

use crate::emission::Emission;

/// Which fault shapes the values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Shape {
    /// A daily cycle with slower swings and a little noise.
    #[default]
    Normal,
    /// SO2 well above the permit limit.
    Exceed,
    /// Constant values.
    Frozen,
}

/// The flue-gas factors a simulated device measures, with their typical level (mg/m³) and
/// swing.
pub const FACTORS: [(&str, f64, f64); 3] = [
    ("a21026", 18.0, 6.0),
    ("a21002", 30.0, 8.0),
    ("a34013", 4.0, 1.0),
];

/// Flue-gas flow, m³/h: what turns a concentration into a load (Cou, kg).
pub const FLOW_M3_PER_H: f64 = 80_000.0;

/// A stable hash of the inputs in [-1, 1] (SplitMix64): noise that is the same every run.
fn noise(device: usize, factor: &str, minute: i64) -> f64 {
    let mut x = (device as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (minute as u64);
    for b in factor.bytes() {
        x = x.wrapping_mul(31).wrapping_add(u64::from(b));
    }
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^= x >> 31;
    (x >> 11) as f64 / (1u64 << 52) as f64 - 1.0
}

/// Minutes since 1970-01-01 00:00 of a device (Beijing) time.
pub fn minute_of(t: NaiveDateTime) -> i64 {
    t.and_utc().timestamp().div_euclid(60)
}

/// The value of `factor` at minute `minute` (see [`minute_of`]) of device `device` at its usual
/// emission level, rounded to two decimals.
pub fn minute_value(device: usize, factor: &str, minute: i64, shape: Shape) -> f64 {
    emitted_value(device, factor, minute, shape, &Emission::default())
}

/// The value of `factor` at minute `minute` of device `device` under its emission schedule:
/// the usual value times the scale in force at that minute, rounded to two decimals.
pub fn emitted_value(
    device: usize,
    factor: &str,
    minute: i64,
    shape: Shape,
    emission: &Emission,
) -> f64 {
    let Some(&(_, level, swing)) = FACTORS.iter().find(|(c, _, _)| *c == factor) else {
        return 0.0;
    };
    let v = match shape {
        Shape::Frozen => level * 2.0 / 3.0,
        _ => {
            let day = std::f64::consts::TAU * (minute.rem_euclid(1440) as f64) / 1440.0;
            let slow = std::f64::consts::TAU * (minute.rem_euclid(97) as f64) / 97.0;
            let phase = device as f64;
            let base = if shape == Shape::Exceed && factor == "a21026" {
                level * 4.5
            } else {
                level
            };
            base + swing * (day + phase).sin()
                + 0.4 * swing * (slow + 2.0 * phase).sin()
                + 0.15 * swing * noise(device, factor, minute)
        }
    };
    let v = v.max(0.0) * emission.scale(factor, minute);
    (v * 100.0).round() / 100.0
}

/// A period's aggregate of one factor: mean, minimum and maximum of its minutes.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Aggregate {
    /// Mean.
    pub avg: f64,
    /// Minimum.
    pub min: f64,
    /// Maximum.
    pub max: f64,
    /// Load over the period, kg (mean × flow × duration).
    pub cou: f64,
}

/// The aggregate of `factor` over `minutes` minutes starting at `start` (device time), at the
/// device's usual emission level.
pub fn aggregate(
    device: usize,
    factor: &str,
    start: NaiveDateTime,
    minutes: i64,
    shape: Shape,
) -> Aggregate {
    aggregate_emitted(device, factor, start, minutes, shape, &Emission::default())
}

/// The aggregate of `factor` over `minutes` minutes starting at `start` under the device's
/// emission schedule (each minute scaled by the step in force then).
pub fn aggregate_emitted(
    device: usize,
    factor: &str,
    start: NaiveDateTime,
    minutes: i64,
    shape: Shape,
    emission: &Emission,
) -> Aggregate {
    let first = minute_of(start.with_second(0).unwrap_or(start));
    let n = minutes.max(1);
    let (mut sum, mut min, mut max) = (0.0, f64::INFINITY, f64::NEG_INFINITY);
    for m in first..first + n {
        let v = emitted_value(device, factor, m, shape, emission);
        sum += v;
        min = min.min(v);
        max = max.max(v);
    }
    let avg = sum / n as f64;
    Aggregate {
        avg,
        min,
        max,
        cou: avg * FLOW_M3_PER_H * n as f64 / 60.0 / 1e6,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y%m%d%H%M%S").unwrap()
    }

    #[test]
    fn the_same_minute_always_has_the_same_value() {
        let m = minute_of(at("20261203083000"));
        assert_eq!(
            minute_value(3, "a21026", m, Shape::Normal),
            minute_value(3, "a21026", m, Shape::Normal)
        );
        // Different devices and minutes differ.
        assert_ne!(
            minute_value(3, "a21026", m, Shape::Normal),
            minute_value(4, "a21026", m, Shape::Normal)
        );
        assert_ne!(
            minute_value(3, "a21026", m, Shape::Normal),
            minute_value(3, "a21026", m + 1, Shape::Normal)
        );
    }

    #[test]
    fn values_are_plausible_flue_gas_levels() {
        let start = minute_of(at("20261203000000"));
        for m in start..start + 2 * 1440 {
            let so2 = minute_value(0, "a21026", m, Shape::Normal);
            assert!((5.0..35.0).contains(&so2), "{so2}");
            assert!(minute_value(0, "a21026", m, Shape::Exceed) > 50.0);
        }
    }

    #[test]
    fn an_hour_is_the_mean_of_its_minutes() {
        let h = aggregate(1, "a21002", at("20261203080000"), 60, Shape::Normal);
        let six: Vec<Aggregate> = (0..6)
            .map(|k| {
                aggregate(
                    1,
                    "a21002",
                    at("20261203080000") + chrono::Duration::minutes(10 * k),
                    10,
                    Shape::Normal,
                )
            })
            .collect();
        let mean = six.iter().map(|a| a.avg).sum::<f64>() / 6.0;
        assert!((h.avg - mean).abs() < 1e-9);
        assert_eq!(
            h.min,
            six.iter().map(|a| a.min).fold(f64::INFINITY, f64::min)
        );
        assert!(h.min <= h.avg && h.avg <= h.max);
    }

    #[test]
    fn an_emission_step_scales_concentration_and_load_from_its_minute() {
        let steps = [crate::EmissionStep::parse("1:a21026:2026-12-03T08:30:0.5").unwrap()];
        let e = Emission::for_device(&steps, 1);
        let start = at("20261203080000");
        let usual = aggregate(1, "a21026", start, 60, Shape::Normal);
        let cut = aggregate_emitted(1, "a21026", start, 60, Shape::Normal, &e);
        // The first half hour as usual, the second at half.
        let first = aggregate(1, "a21026", start, 30, Shape::Normal);
        let second = aggregate(
            1,
            "a21026",
            start + chrono::Duration::minutes(30),
            30,
            Shape::Normal,
        );
        let want = (first.avg + second.avg / 2.0) / 2.0;
        assert!((cut.avg - want).abs() < 0.01, "{} vs {want}", cut.avg);
        assert!(cut.avg < usual.avg * 0.8);
        // The load follows the concentration (Gh = C·Q): same ratio.
        assert!((cut.cou / usual.cou - cut.avg / usual.avg).abs() < 1e-9);
        // Other factors and devices are untouched.
        assert_eq!(
            aggregate_emitted(1, "a21002", start, 60, Shape::Normal, &e),
            aggregate(1, "a21002", start, 60, Shape::Normal)
        );
        assert_eq!(
            aggregate_emitted(
                0,
                "a21026",
                start,
                60,
                Shape::Normal,
                &Emission::for_device(&steps, 0)
            ),
            aggregate(0, "a21026", start, 60, Shape::Normal)
        );
    }
}
