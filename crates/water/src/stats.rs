//! Period and spatial means as 22号 and 82号 compute them: arithmetic means of
//! the samples, values below the detection limit counted as half of it, and
//! pH averaged through hydrogen-ion concentration.

use std::collections::BTreeMap;

use crate::assess::Sample;
use crate::error::WaterError;
use crate::exact::Exact;
use crate::standard::{Item, WaterBody, d};

/// One laboratory or station result.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measurement {
    /// A quantified value.
    Value(Exact),
    /// Not detected; the method's detection limit is given.
    BelowDetection {
        /// The detection limit.
        limit: Exact,
    },
}

/// How a result below the detection limit enters a mean.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BelowDetectionPolicy {
    /// Half the detection limit (82号 point 7; default).
    #[default]
    HalfLimit,
    /// Zero.
    Zero,
    /// The detection limit itself.
    Limit,
}

/// How pH values are averaged.
///
/// The H⁺ method is what two public libraries implement citing 82号 but is
/// unconfirmed (reference §2.9), hence the option.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PhMean {
    /// −log10 of the mean of 10^(−pH) (default).
    #[default]
    HydrogenIon,
    /// Plain arithmetic mean, exact.
    Arithmetic,
}

/// Decimals kept for a pH mean through H⁺.
///
/// The logarithm makes this mean irrational in general, so it is computed in
/// `f64` and fixed here; 6 decimals is far inside `f64` precision and far
/// finer than the 2 decimals pH is measured to, so the only values that can
/// land on the wrong side of 6 or 9 are within 5·10⁻⁷ of it.
pub const PH_MEAN_DECIMALS: u32 = 6;

/// Options for means.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct MeanOptions {
    /// Treatment of non-detects.
    pub below_detection: BelowDetectionPolicy,
    /// pH averaging.
    pub ph: PhMean,
}

impl Measurement {
    /// The value that enters calculations under `policy`.
    pub fn value(self, policy: BelowDetectionPolicy) -> Result<Exact, WaterError> {
        match self {
            Measurement::Value(v) => Ok(v),
            Measurement::BelowDetection { limit } => match policy {
                BelowDetectionPolicy::HalfLimit => limit
                    .checked_mul(const { d(5, 1) })
                    .ok_or(WaterError::Overflow("halving a detection limit")),
                BelowDetectionPolicy::Zero => Ok(Exact::ZERO),
                BelowDetectionPolicy::Limit => Ok(limit),
            },
        }
    }
}

/// Arithmetic mean of exact values; `None` for no values.
pub fn arithmetic_mean(values: &[Exact]) -> Result<Option<Exact>, WaterError> {
    if values.is_empty() {
        return Ok(None);
    }
    let overflow = || WaterError::Overflow("averaging");
    let mut sum = Exact::ZERO;
    for v in values {
        sum = sum.checked_add(*v).ok_or_else(overflow)?;
    }
    let n = Exact::int(i64::try_from(values.len()).map_err(|_| overflow())?);
    sum.checked_div(n).map(Some).ok_or_else(overflow)
}

/// pH mean through hydrogen-ion concentration, kept to [`PH_MEAN_DECIMALS`].
pub fn ph_mean_hydrogen(values: &[Exact]) -> Result<Option<Exact>, WaterError> {
    let Some(first) = values.first() else {
        return Ok(None);
    };
    // Identical values average to themselves; skip the float round trip so
    // they stay exact (a constant 9.0 must not become 8.999999…).
    if values.iter().all(|v| v == first) {
        return Ok(Some(*first));
    }
    let mean_h = values.iter().map(|v| 10f64.powf(-v.to_f64())).sum::<f64>() / values.len() as f64;
    let ph = -mean_h.log10();
    let text = format!("{ph:.12}");
    Exact::parse(&text)
        .ok()
        .and_then(|e| e.round_half_even(PH_MEAN_DECIMALS))
        .map(Some)
        .ok_or_else(|| WaterError::Invalid(format!("pH mean {ph} is not finite")))
}

/// Mean of one item's measurements under `options`.
pub fn mean(
    item: Item,
    values: &[Measurement],
    options: MeanOptions,
) -> Result<Option<Exact>, WaterError> {
    let exact = values
        .iter()
        .map(|m| m.value(options.below_detection))
        .collect::<Result<Vec<_>, _>>()?;
    if item == Item::Ph && options.ph == PhMean::HydrogenIon {
        ph_mean_hydrogen(&exact)
    } else {
        arithmetic_mean(&exact)
    }
}

/// Measurements of one section or point on one date.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Observation {
    /// Results by item; an absent item was not measured that day.
    pub values: BTreeMap<Item, Measurement>,
}

/// Averages observations over a period, item by item: each item's mean uses
/// only the observations that measured it (weekly to annual evaluation all
/// work on arithmetic means, 22号 §2.2).
pub fn period_mean(
    water_body: WaterBody,
    observations: &[Observation],
    options: MeanOptions,
) -> Result<Sample, WaterError> {
    let mut by_item: BTreeMap<Item, Vec<Measurement>> = BTreeMap::new();
    for o in observations {
        for (item, m) in &o.values {
            by_item.entry(*item).or_default().push(*m);
        }
    }
    let mut sample = Sample::new(water_body);
    for (item, ms) in by_item {
        if let Some(v) = mean(item, &ms, options)? {
            sample.values.insert(item, v);
        }
    }
    Ok(sample)
}

/// Averages already-averaged samples (points of a lake, sections of a short
/// river) item by item; below-detection handling has happened upstream.
pub fn spatial_mean(
    water_body: WaterBody,
    samples: &[Sample],
    ph: PhMean,
) -> Result<Sample, WaterError> {
    let mut by_item: BTreeMap<Item, Vec<Measurement>> = BTreeMap::new();
    for s in samples {
        for (item, v) in &s.values {
            by_item
                .entry(*item)
                .or_default()
                .push(Measurement::Value(*v));
        }
    }
    let options = MeanOptions {
        below_detection: BelowDetectionPolicy::default(),
        ph,
    };
    let mut out = Sample::new(water_body);
    for (item, ms) in by_item {
        if let Some(v) = mean(item, &ms, options)? {
            out.values.insert(item, v);
        }
    }
    Ok(out)
}

/// A lake or reservoir with several points and dates: average each point
/// over time first, then the points in space (22号 §2.6).
pub fn lake_mean(points: &[Vec<Observation>], options: MeanOptions) -> Result<Sample, WaterError> {
    let per_point = points
        .iter()
        .map(|obs| period_mean(WaterBody::Lake, obs, options))
        .collect::<Result<Vec<_>, _>>()?;
    spatial_mean(WaterBody::Lake, &per_point, options.ph)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    fn v(s: &str) -> Measurement {
        Measurement::Value(p(s))
    }

    fn obs(values: &[(Item, Measurement)]) -> Observation {
        Observation {
            values: values.iter().copied().collect(),
        }
    }

    #[test]
    fn ph_mean_through_hydrogen_ions() {
        // Worked example 3 of the reference.
        let m = mean(Item::Ph, &[v("6.5"), v("8.5")], MeanOptions::default())
            .unwrap()
            .unwrap();
        assert_eq!(m.to_fixed(3).unwrap(), "6.797");
        let a = mean(
            Item::Ph,
            &[v("6.5"), v("8.5")],
            MeanOptions {
                ph: PhMean::Arithmetic,
                ..MeanOptions::default()
            },
        )
        .unwrap();
        assert_eq!(a, Some(p("7.5")));
        // Constant series stay exact at the boundary.
        let m = mean(Item::Ph, &[v("9"), v("9"), v("9")], MeanOptions::default()).unwrap();
        assert_eq!(m, Some(p("9")));
        assert_eq!(mean(Item::Ph, &[], MeanOptions::default()).unwrap(), None);
    }

    #[test]
    fn below_detection_counts_as_half() {
        let nd = Measurement::BelowDetection { limit: p("0.01") };
        let m = mean(Item::Cu, &[nd, v("0.02")], MeanOptions::default()).unwrap();
        assert_eq!(m, Some(p("0.0125")));
        let zero = MeanOptions {
            below_detection: BelowDetectionPolicy::Zero,
            ..MeanOptions::default()
        };
        assert_eq!(
            mean(Item::Cu, &[nd, v("0.02")], zero).unwrap(),
            Some(p("0.01"))
        );
        let full = MeanOptions {
            below_detection: BelowDetectionPolicy::Limit,
            ..MeanOptions::default()
        };
        assert_eq!(
            mean(Item::Cu, &[nd, v("0.02")], full).unwrap(),
            Some(p("0.015"))
        );
    }

    #[test]
    fn annual_mean_is_not_the_worst_month() {
        // Four Class IV months (NH3-N 1.2) and eight at 0.8: the annual mean
        // 0.9333… is Class III.
        let mut months = Vec::new();
        for i in 0..12 {
            let x = if i < 4 { "1.2" } else { "0.8" };
            months.push(obs(&[(Item::Nh3n, v(x))]));
        }
        let s = period_mean(WaterBody::River, &months, MeanOptions::default()).unwrap();
        let m = s.values[&Item::Nh3n];
        assert_eq!(m, Exact::new(14, 15).unwrap());
        let a = crate::assess::assess(&s, &crate::assess::AssessOptions::default()).unwrap();
        assert_eq!(a.class, Some(crate::standard::Class::III));
    }

    #[test]
    fn mean_exactly_at_a_limit_is_inclusive() {
        // 0.9 and 1.1 average to exactly 1.0, the Class III NH3-N limit.
        let s = period_mean(
            WaterBody::River,
            &[
                obs(&[(Item::Nh3n, v("0.9"))]),
                obs(&[(Item::Nh3n, v("1.1"))]),
            ],
            MeanOptions::default(),
        )
        .unwrap();
        let a = crate::assess::assess(&s, &crate::assess::AssessOptions::default()).unwrap();
        assert_eq!(a.class, Some(crate::standard::Class::III));
    }

    #[test]
    fn lake_averages_time_then_space() {
        // Point A: 3 dates, point B: 1 date. Time-then-space gives
        // ((0.01+0.01+0.04)/3 + 0.10)/2 = 0.06; pooling all four would give 0.04.
        let a = vec![
            obs(&[(Item::Tp, v("0.01"))]),
            obs(&[(Item::Tp, v("0.01"))]),
            obs(&[(Item::Tp, v("0.04"))]),
        ];
        let b = vec![obs(&[(Item::Tp, v("0.10"))])];
        let s = lake_mean(&[a, b], MeanOptions::default()).unwrap();
        assert_eq!(s.values[&Item::Tp], p("0.06"));
        assert_eq!(s.water_body, WaterBody::Lake);
    }

    #[test]
    fn items_average_over_the_observations_that_measured_them() {
        let s = period_mean(
            WaterBody::River,
            &[
                obs(&[(Item::Cod, v("10")), (Item::Pb, v("0.02"))]),
                obs(&[(Item::Cod, v("20"))]),
            ],
            MeanOptions::default(),
        )
        .unwrap();
        assert_eq!(s.values[&Item::Cod], p("15"));
        assert_eq!(s.values[&Item::Pb], p("0.02"));
    }
}
