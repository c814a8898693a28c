//! Transmission statistics and emission totals of a device.
//!
//! 数据有效传输率 (as the national automatic-monitoring appraisal defines it):
//! - 传输率 = hourly records received ÷ hourly records expected (24 a day for each monitored factor);
//! - 有效率 = valid records (flag `N`) ÷ records received;
//! - 有效传输率 = 传输率 × 有效率.
//!
//! Rates are computed from integer counts and rounded half-up to 0.01 % only at the end, since an
//! appraisal threshold (e.g. ≥ 90 %) must not flip on floating-point noise.
//!
//! Emissions: the hourly `-Cou` values are the amounts emitted in each hour. Their unit is a
//! setting ([`CouUnit`]); HJ 212-2017 Table B.1 gives kg for gas pollutants and, for water, kg as
//! well (flow in m³), so kg is the default.

use qingshan_exact::{Number, Ratio, Rounding, Syntax};
use serde::Serialize;

/// Counts and rates of one device over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Transmission {
    /// Hourly records expected (hours × factors).
    pub expected: u64,
    /// Distinct hourly records received.
    pub received: u64,
    /// Of those, flagged `N`.
    pub valid: u64,
    /// 传输率, percent with two decimals.
    pub transmission_rate: String,
    /// 有效率, percent with two decimals.
    pub validity_rate: String,
    /// 有效传输率, percent with two decimals.
    pub effective_rate: String,
}

/// `num / den` as a percentage with two decimals, rounded half-up; "—" when `den` is 0.
fn percent(num: u128, den: u128) -> String {
    let share = i128::try_from(num)
        .ok()
        .and_then(|n| n.checked_mul(100))
        .zip(i128::try_from(den).ok())
        .and_then(|(n, d)| Ratio::new(n, d));
    share.map_or_else(
        || "—".into(),
        |r| r.format_fixed(2, Rounding::HalfAwayFromZero),
    )
}

/// Transmission over `hours` hours for `factors` monitored factors, from the received records
/// as (hour DataTime, factor, flag). Repeated records of one hour and factor count once (the
/// first one's flag decides validity).
pub fn transmission(
    hours: u64,
    factors: u64,
    records: &[(String, String, Option<String>)],
) -> Transmission {
    transmission_of(hours * factors, records)
}

/// Transmission against `expected` hourly records, for a period some of whose hours (per
/// factor) were taken out — by data marks (数据标记) the marking rule leaves out of the
/// 有效传输率; `records` then holds only the hours not taken out.
pub fn transmission_of(
    expected: u64,
    records: &[(String, String, Option<String>)],
) -> Transmission {
    let mut seen = std::collections::HashSet::new();
    let (mut received, mut valid) = (0u64, 0u64);
    for (t, f, flag) in records {
        if seen.insert((t.as_str(), f.as_str())) {
            received += 1;
            if flag.as_deref().is_none_or(|x| x == "N") {
                valid += 1;
            }
        }
    }
    // Received can exceed expected when a device reports factors it has no permit for.
    let received_capped = received.min(expected);
    let valid_capped = valid.min(received_capped);
    Transmission {
        expected,
        received,
        valid,
        transmission_rate: percent(u128::from(received_capped), u128::from(expected)),
        validity_rate: percent(u128::from(valid_capped), u128::from(received_capped)),
        effective_rate: percent(u128::from(valid_capped), u128::from(expected)),
    }
}

/// The unit of `-Cou` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CouUnit {
    /// Kilograms (HJ 212-2017 Table B.1; default).
    #[default]
    Kg,
    /// Grams.
    G,
    /// Tonnes.
    T,
}

/// Where a year-to-date total stands against the permitted annual total.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TotalStatus {
    /// Below 80 %.
    Normal,
    /// 80 % or more: 预警.
    Warning,
    /// 100 % or more: 超总量.
    Exceeded,
}

/// A year-to-date emission total against its permit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmissionTotal {
    /// Total emitted, tonnes, six decimals.
    pub total_t: String,
    /// Permitted annual total, tonnes, as written.
    pub permitted_t: Option<String>,
    /// Share of the permitted total used, percent with two decimals.
    pub share: Option<String>,
    /// Status against the permit.
    pub status: Option<TotalStatus>,
    /// Values that were not numbers and were skipped.
    pub skipped: usize,
}

/// Parses a measured decimal into micro-units (6 decimals, rounded half-up), exactly.
fn micro(s: &str) -> Option<i128> {
    let n = Number::parse(s.trim(), Syntax::MEASURED).ok()?;
    let d = n.to_ratio(MICRO_MAX_SCALE, MICRO_MAX_INT_DIGITS).ok()?;
    Some(d.to_decimal(6, Rounding::HalfAwayFromZero)?.mantissa())
}

/// Digits read exactly before rounding: far beyond any instrument, within `i128`.
const MICRO_MAX_SCALE: u32 = 18;
const MICRO_MAX_INT_DIGITS: u32 = 20;

fn fmt_micro(v: i128) -> String {
    let sign = if v < 0 { "-" } else { "" };
    let a = v.unsigned_abs();
    format!("{sign}{}.{:06}", a / 1_000_000, a % 1_000_000)
}

/// Sums hourly `-Cou` values (in `unit`) into tonnes and compares with the permitted total:
/// 预警 at 80 %, 超总量 at 100 %.
pub fn emission_total(
    cou_values: &[&str],
    unit: CouUnit,
    permitted_t: Option<&str>,
) -> EmissionTotal {
    let mut sum_micro: i128 = 0;
    let mut skipped = 0;
    for v in cou_values {
        match micro(v) {
            Some(m) => sum_micro += m,
            None => skipped += 1,
        }
    }
    // To tonnes: kg ÷ 1000, g ÷ 1e6 (in micro-units, rounded half-up).
    let div: i128 = match unit {
        CouUnit::Kg => 1_000,
        CouUnit::G => 1_000_000,
        CouUnit::T => 1,
    };
    let total_micro_t = (sum_micro * 2 + div) / (2 * div);
    let permitted = permitted_t.and_then(micro).filter(|p| *p > 0);
    let (share, status) = match permitted {
        Some(p) => {
            let status = if total_micro_t * 100 >= p * 100 {
                TotalStatus::Exceeded
            } else if total_micro_t * 100 >= p * 80 {
                TotalStatus::Warning
            } else {
                TotalStatus::Normal
            };
            (
                Some(percent(total_micro_t.max(0) as u128, p as u128)),
                Some(status),
            )
        }
        None => (None, None),
    };
    EmissionTotal {
        total_t: fmt_micro(total_micro_t),
        permitted_t: permitted_t.map(str::to_string),
        share,
        status,
        skipped,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rec(h: u32, f: &str, flag: &str) -> (String, String, Option<String>) {
        (
            format!("20260301{h:02}0000"),
            f.to_string(),
            Some(flag.to_string()),
        )
    }

    #[test]
    fn transmission_counts_each_hour_once() {
        let mut r: Vec<_> = (0..22)
            .map(|h| rec(h, "a21026", if h < 2 { "D" } else { "N" }))
            .collect();
        r.push(rec(0, "a21026", "N")); // a resent record
        let t = transmission(24, 1, &r);
        assert_eq!((t.expected, t.received, t.valid), (24, 22, 20));
        assert_eq!(t.transmission_rate, "91.67");
        assert_eq!(t.validity_rate, "90.91");
        assert_eq!(t.effective_rate, "83.33");
    }

    #[test]
    fn rates_round_half_up_exactly() {
        assert_eq!(percent(2, 3), "66.67");
        assert_eq!(percent(1, 8), "12.50");
        assert_eq!(percent(9, 10), "90.00");
        assert_eq!(percent(89_995, 100_000), "90.00");
        assert_eq!(percent(89_994, 100_000), "89.99");
        assert_eq!(percent(0, 0), "—");
    }

    #[test]
    fn micro_units_round_half_up_exactly() {
        assert_eq!(micro("1.0000005"), Some(1_000_001));
        assert_eq!(micro("-1.0000005"), Some(-1_000_001));
        assert_eq!(micro("1.00000049999"), Some(1_000_000));
        assert_eq!(micro(" 2.5 "), Some(2_500_000));
        assert_eq!(micro("1.5e-6"), Some(2));
        for bad in ["", "x", "1,5", "1.2.3", "123456789012345678901"] {
            assert_eq!(micro(bad), None, "{bad}");
        }
    }

    #[test]
    fn totals_against_the_permit() {
        let vals = ["40000.5", "40000", "15999.5"]; // kg
        let t = emission_total(&vals, CouUnit::Kg, Some("120"));
        assert_eq!(t.total_t, "96.000000");
        assert_eq!(
            (t.share.as_deref(), t.status),
            (Some("80.00"), Some(TotalStatus::Warning))
        );
        let t = emission_total(&["119999.999"], CouUnit::Kg, Some("120"));
        assert_eq!(
            (t.share.as_deref(), t.status),
            (Some("100.00"), Some(TotalStatus::Warning))
        );
        let t = emission_total(&["120000", "x"], CouUnit::Kg, Some("120"));
        assert_eq!((t.status, t.skipped), (Some(TotalStatus::Exceeded), 1));
        assert_eq!(emission_total(&["5"], CouUnit::Kg, None).status, None);
    }
}
