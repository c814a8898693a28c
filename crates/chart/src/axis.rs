//! Axis arithmetic shared by every chart: steps of 1, 2 or 5 × 10ⁿ and the ticks they give.

use crate::format_number;

/// The smallest step of 1, 2 or 5 × 10ⁿ that is at least `raw`; `None` when `raw` is not a
/// positive finite number (the caller chooses what an empty axis shows).
pub fn nice_step(raw: f64) -> Option<f64> {
    if raw.is_nan() || raw <= 0.0 || raw.is_infinite() {
        return None;
    }
    let mag = 10f64.powf(raw.log10().floor());
    // Division keeps 0.3 / 0.1 from landing a hair above 3 and jumping to the next step.
    let f = raw / mag;
    let k = if f <= 1.0 + 1e-9 {
        1.0
    } else if f <= 2.0 + 1e-9 {
        2.0
    } else if f <= 5.0 + 1e-9 {
        5.0
    } else {
        10.0
    };
    Some(k * mag)
}

/// Decimals needed to write multiples of `step` exactly (0 for steps of 1 or more).
pub fn decimals_for(step: f64) -> usize {
    if step >= 1.0 || step.is_nan() || step <= 0.0 {
        0
    } else {
        // A step is 1, 2 or 5 × 10⁻ⁿ, so n decimals suffice.
        (-step.log10().floor()) as usize
    }
}

/// Ticks of a linear axis: round bounds enclosing the data and the labelled values between.
#[derive(Debug, Clone, PartialEq)]
pub struct Ticks {
    /// Lowest value of the axis.
    pub lo: f64,
    /// Highest value of the axis.
    pub hi: f64,
    /// Distance between ticks.
    pub step: f64,
    /// Each tick's value and its label.
    pub values: Vec<(f64, String)>,
}

impl Ticks {
    /// About `intervals` round intervals enclosing `lo..=hi`; an empty or flat range gets one
    /// interval of a step suited to its magnitude.
    pub fn covering(lo: f64, hi: f64, intervals: u32) -> Ticks {
        let (lo, hi) = if lo.is_finite() && hi.is_finite() && lo <= hi {
            (lo, hi)
        } else {
            (0.0, 1.0)
        };
        let span = hi - lo;
        let raw = if span > 1e-12 {
            span / f64::from(intervals.max(1))
        } else {
            (lo.abs() * 0.05).max(1e-6)
        };
        let step = nice_step(raw).unwrap_or(1.0);
        let t_lo = (lo / step).floor() * step;
        let mut t_hi = (hi / step).ceil() * step;
        if t_hi - t_lo < step {
            t_hi = t_lo + step;
        }
        Ticks::from_bounds(t_lo, t_hi, step)
    }

    /// Ticks from `0` to the first multiple of a round step at or above `top`, about
    /// `intervals` of them (bars and means that start at zero); `None` steps become `empty_step`.
    pub fn from_zero(top: f64, intervals: u32, empty_step: f64) -> Ticks {
        let step = nice_step(top / f64::from(intervals.max(1))).unwrap_or(empty_step);
        let hi = (top / step).ceil().max(1.0) * step;
        Ticks::from_bounds(0.0, hi, step)
    }

    fn from_bounds(lo: f64, hi: f64, step: f64) -> Ticks {
        let places = decimals_for(step);
        let mut values = Vec::new();
        let mut i = 0.0;
        loop {
            let v = lo + i * step;
            if v > hi + step * 1e-6 {
                break;
            }
            values.push((v, format_number(v, places)));
            i += 1.0;
        }
        Ticks {
            lo,
            hi,
            step,
            values,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn steps_are_one_two_five() {
        assert_eq!(nice_step(1.0), Some(1.0));
        assert_eq!(nice_step(0.625), Some(1.0));
        assert_eq!(nice_step(17.0), Some(20.0));
        assert_eq!(nice_step(17.5), Some(20.0));
        assert_eq!(nice_step(0.3), Some(0.5));
        assert_eq!(nice_step(0.075), Some(0.1));
        assert_eq!(nice_step(0.0), None);
        assert_eq!(nice_step(f64::NAN), None);
        assert_eq!(decimals_for(0.1), 1);
        assert_eq!(decimals_for(0.05), 2);
        assert_eq!(decimals_for(5.0), 0);
    }

    #[test]
    fn ticks_enclose_the_data() {
        let t = Ticks::covering(12.3, 47.9, 4);
        assert_eq!(t.step, 10.0);
        assert_eq!((t.lo, t.hi), (10.0, 50.0));
        let labels: Vec<&str> = t.values.iter().map(|v| v.1.as_str()).collect();
        assert_eq!(labels, ["10", "20", "30", "40", "50"]);
        let z = Ticks::from_zero(0.0, 4, 10.0);
        assert_eq!((z.lo, z.hi, z.step), (0.0, 10.0, 10.0));
        let flat = Ticks::covering(16.71, 16.71, 4);
        assert!(flat.lo <= 16.71 && flat.hi >= 16.71 && flat.hi > flat.lo);
    }

    proptest! {
        #[test]
        fn any_range_gets_finite_enclosing_ticks(a in -1e9f64..1e9, b in -1e9f64..1e9, n in 1u32..10) {
            let (lo, hi) = if a <= b { (a, b) } else { (b, a) };
            let t = Ticks::covering(lo, hi, n);
            prop_assert!(t.lo <= lo + t.step * 1e-6 && t.hi >= hi - t.step * 1e-6);
            prop_assert!(t.values.len() >= 2 && t.values.len() <= 2 * n as usize + 3);
            prop_assert!(t.values.iter().all(|(v, s)| v.is_finite() && !s.contains("NaN")));
        }
    }
}
