//! 减排措施落实核查: whether an enterprise under a heavy-pollution warning cut its hourly
//! emissions by what its 应急减排清单 commits (../shared/reference/heavy-pollution.md §D.3).
//! Pure: the caller reads the stored hourly data, the marks and the clock.
//!
//! - **Emission rate of an hour (kg/h).** The hourly upload's pollutant `-Cou` (HJ 212-2017:
//!   the hour's emitted mass, kg by default, [`CouUnit`]) when present; otherwise the hour's
//!   mean concentration (mg/m³) × the flow's `-Cou` of the hour (a00000, m³) × 10⁻⁶, the
//!   `Gh = C·Q·10⁻⁶` of HJ 212 Appendix D. Exact rationals throughout.
//! - **Baseline of an hour (kg/h).** By default the mean of the same hour of day over the days
//!   before the warning's start (7), marked hours left out by the caller; without data, the
//!   list's declared baseline ([`baseline_by_hour`], [`BaselineRule`]).
//! - **Achieved cut** = baseline − actual. An hour **misses** when the achieved cut is below the
//!   committed one; an hour without data is not proof and counts as missed
//!   (§D.3.3 "gaps are not compliance"). An enterprise is 未落实减排措施 after N consecutive
//!   missed hours of one pollutant (default 3; [`first_run`]).

use std::collections::BTreeMap;

use chrono::{NaiveDateTime, Timelike};
use qingshan_exact::{Number, Ratio, Syntax};

use crate::stats::CouUnit;

/// The HJ 212-2017 factor codes of the list's pollutants: SO2, NOx, 颗粒物, VOCs (as 非甲烷总烃).
pub const POLLUTANT_FACTORS: &[(&str, &str)] = &[
    ("so2", "a21026"),
    ("nox", "a21002"),
    ("pm", "a34013"),
    ("vocs", "a24088"),
];

/// The flow factor of flue gas (m³/s real-time, m³ per period in `-Cou`).
pub const FLOW_FACTOR: &str = "a00000";

/// The factor code of a pollutant code of the list.
pub fn factor_of(pollutant: &str) -> Option<&'static str> {
    POLLUTANT_FACTORS
        .iter()
        .find(|(p, _)| *p == pollutant)
        .map(|(_, f)| *f)
}

/// How an hour's emission rate was obtained.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RateBasis {
    /// The pollutant's `-Cou` of the hour.
    Cou,
    /// Mean concentration × the hour's flow volume.
    ConcentrationFlow,
}

/// Reads a measured decimal exactly.
pub fn parse_measured(s: &str) -> Option<Ratio> {
    Number::parse(s.trim(), Syntax::MEASURED)
        .ok()?
        .to_ratio(18, 20)
        .ok()
}

/// An hour's emission rate in kg/h from the pollutant's `-Cou`, or its `-Avg` (mg/m³) and the
/// flow's `-Cou` (m³); `None` when neither is a number.
pub fn hourly_rate(
    cou: Option<&str>,
    avg: Option<&str>,
    flow_cou: Option<&str>,
    unit: CouUnit,
) -> Option<(Ratio, RateBasis)> {
    if let Some(c) = cou.and_then(parse_measured) {
        let kg = match unit {
            CouUnit::Kg => Some(c),
            CouUnit::G => c.div_int(1000),
            CouUnit::T => c.checked_mul(Ratio::int(1000)),
        }?;
        return Some((kg, RateBasis::Cou));
    }
    let c = avg.and_then(parse_measured)?;
    let q = flow_cou.and_then(parse_measured)?;
    let kg = c.checked_mul(q)?.div_int(1_000_000)?;
    Some((kg, RateBasis::ConcentrationFlow))
}

/// Where the baseline comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BaselineRule {
    /// Mean of the same hour of day over this many days before the start; the list's figure
    /// where an hour of day has no unmarked data.
    SameHoursBefore {
        /// Days looked back.
        days: u32,
    },
    /// Always the list's declared baseline.
    List,
}

impl Default for BaselineRule {
    fn default() -> Self {
        BaselineRule::SameHoursBefore { days: 7 }
    }
}

/// Per hour of day (0–23), the mean of the given hourly rates (already without marked hours);
/// hours of day without samples are absent.
pub fn baseline_by_hour(samples: &[(NaiveDateTime, Ratio)]) -> BTreeMap<u32, Ratio> {
    let mut acc: BTreeMap<u32, Vec<Ratio>> = BTreeMap::new();
    for (t, v) in samples {
        acc.entry(t.hour()).or_default().push(*v);
    }
    acc.into_iter()
        .filter_map(|(h, vs)| {
            let n = vs.len() as i128;
            Ratio::sum(&vs).div_int(n).map(|m| (h, m))
        })
        .collect()
}

/// One hour judged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourJudged {
    /// Start of the hour (device local time).
    pub hour: NaiveDateTime,
    /// Measured rate, kg/h (`None`: no data).
    pub actual: Option<Ratio>,
    /// Baseline, kg/h.
    pub baseline: Ratio,
    /// baseline − actual, kg/h.
    pub achieved: Option<Ratio>,
    /// Whether the committed cut was missed (no data counts as missed).
    pub missed: bool,
}

/// Judges hours: `hours` are (hour, actual rate) in order, `baseline` gives the baseline of an
/// hour, `committed` the committed cut in kg/h.
pub fn judge_hours(
    hours: &[(NaiveDateTime, Option<Ratio>)],
    baseline: impl Fn(NaiveDateTime) -> Ratio,
    committed: Ratio,
) -> Vec<HourJudged> {
    hours
        .iter()
        .map(|(h, actual)| {
            let b = baseline(*h);
            let achieved = actual.and_then(|a| b.checked_sub(a));
            let missed = match achieved {
                Some(a) => a < committed,
                None => true,
            };
            HourJudged {
                hour: *h,
                actual: *actual,
                baseline: b,
                achieved,
                missed,
            }
        })
        .collect()
}

/// The first run of at least `n` consecutive missed hours: (index of its first hour, length of
/// the whole run).
pub fn first_run(judged: &[HourJudged], n: usize) -> Option<(usize, usize)> {
    let n = n.max(1);
    let mut i = 0;
    while i < judged.len() {
        if judged[i].missed {
            let start = i;
            while i < judged.len() && judged[i].missed {
                i += 1;
            }
            if i - start >= n {
                return Some((start, i - start));
            }
        } else {
            i += 1;
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;

    fn h(d: u32, hh: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(2026, 12, d)
            .and_then(|x| x.and_hms_opt(hh, 0, 0))
            .unwrap()
    }
    fn r(s: &str) -> Ratio {
        parse_measured(s).unwrap()
    }

    #[test]
    fn rate_from_cou_or_concentration_times_flow() {
        assert_eq!(
            hourly_rate(Some("12.5"), Some("1"), Some("1"), CouUnit::Kg),
            Some((r("12.5"), RateBasis::Cou))
        );
        assert_eq!(
            hourly_rate(Some("12500"), None, None, CouUnit::G),
            Some((r("12.5"), RateBasis::Cou))
        );
        // 50 mg/m³ × 200000 m³ × 10⁻⁶ = 10 kg in the hour.
        assert_eq!(
            hourly_rate(None, Some("50"), Some("200000"), CouUnit::Kg),
            Some((r("10"), RateBasis::ConcentrationFlow))
        );
        assert_eq!(hourly_rate(None, Some("50"), None, CouUnit::Kg), None);
        assert_eq!(hourly_rate(Some("x"), None, None, CouUnit::Kg), None);
    }

    #[test]
    fn baseline_is_the_mean_of_the_same_hour() {
        let b = baseline_by_hour(&[(h(1, 10), r("10")), (h(2, 10), r("11")), (h(2, 11), r("4"))]);
        assert_eq!(b.get(&10), Some(&r("10.5")));
        assert_eq!(b.get(&11), Some(&r("4")));
        assert_eq!(b.get(&12), None);
    }

    #[test]
    fn three_missed_hours_in_a_row_flag_and_gaps_count() {
        let hours = vec![
            (h(3, 0), Some(r("10"))),
            (h(3, 1), Some(r("7"))),
            (h(3, 2), Some(r("10"))),
            (h(3, 3), None),
            (h(3, 4), Some(r("9.5"))),
        ];
        // Baseline 10, committed cut 3: 7 is a cut of 3 (kept), 9.5 a cut of 0.5 (missed).
        let j = judge_hours(&hours, |_| r("10"), r("3"));
        let missed: Vec<bool> = j.iter().map(|x| x.missed).collect();
        assert_eq!(missed, vec![true, false, true, true, true]);
        assert_eq!(j[1].achieved, Some(r("3")));
        assert_eq!(first_run(&j, 3), Some((2, 3)));
        assert_eq!(first_run(&j, 4), None);
    }

    #[test]
    fn an_enterprise_that_cuts_is_never_flagged() {
        let hours: Vec<_> = (0..6).map(|i| (h(3, i), Some(r("6.9")))).collect();
        let j = judge_hours(&hours, |_| r("10"), r("3"));
        assert!(j.iter().all(|x| !x.missed));
        assert_eq!(first_run(&j, 1), None);
    }
}
