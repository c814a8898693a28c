//! Spearman rank-correlation trend test (HJ 663-2013 Appendix B).

use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::num::Ratio;

/// Critical values W_p of r_s at significance 0.05, by number of periods n.
///
/// The table printed in HJ 663-2013 Appendix B / HJ 641 (classic Spearman table);
/// not re-checked against the official HJ 663-2026 text.
pub const CRITICAL_005: [(u32, u32); 16] = [
    (5, 900),
    (6, 829),
    (7, 714),
    (8, 643),
    (9, 600),
    (10, 564),
    (12, 506),
    (14, 456),
    (16, 425),
    (18, 399),
    (20, 377),
    (22, 359),
    (24, 343),
    (26, 329),
    (28, 317),
    (30, 306),
];

/// Trend direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum TrendDirection {
    /// Significant rise (r_s > 0 and |r_s| ≥ W_p).
    Rising,
    /// Significant fall.
    Falling,
    /// No significant change.
    NoSignificantChange,
}

/// Result of the test.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TrendResult {
    /// Number of periods.
    pub n: u32,
    /// r_s = 1 − 6Σd²/(n³ − n), exact.
    pub rs: Ratio,
    /// Critical value used (for the largest tabulated n ≤ the actual n).
    pub critical: Ratio,
    /// The verdict.
    pub direction: TrendDirection,
}

/// Why the test cannot run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
pub enum TrendError {
    /// Fewer than 5 periods (the method needs n ≥ 5).
    #[error("need at least 5 periods, got {0}")]
    TooFew(usize),
    /// More than 30 periods (beyond the table).
    #[error("more than 30 periods ({0}) is beyond the critical-value table")]
    TooMany(usize),
}

impl TrendError {
    /// Stable machine-readable kind.
    pub fn code(&self) -> &'static str {
        match self {
            TrendError::TooFew(_) => "too_few",
            TrendError::TooMany(_) => "too_many",
        }
    }
}

/// Ranks (1-based, ties get their average rank), doubled to stay integral.
fn doubled_ranks(values: &[Ratio]) -> Vec<i128> {
    let mut idx: Vec<usize> = (0..values.len()).collect();
    idx.sort_by(|&a, &b| values[a].cmp(&values[b]));
    let mut ranks = vec![0i128; values.len()];
    let mut i = 0;
    while i < idx.len() {
        let mut j = i;
        while j + 1 < idx.len() && values[idx[j + 1]] == values[idx[i]] {
            j += 1;
        }
        // average of ranks i+1 ..= j+1, doubled
        let r2 = (i + 1 + j + 1) as i128;
        for &k in &idx[i..=j] {
            ranks[k] = r2;
        }
        i = j + 1;
    }
    ranks
}

/// Tests a series of period values (in time order) for a monotonic trend at the 0.05 level.
pub fn spearman_trend(values: &[Ratio]) -> Result<TrendResult, TrendError> {
    let n = values.len();
    if n < 5 {
        return Err(TrendError::TooFew(n));
    }
    if n > 30 {
        return Err(TrendError::TooMany(n));
    }
    let ranks = doubled_ranks(values);
    // d = time rank − value rank; with doubled ranks Σd² = Σ(2d)²/4.
    let sum_d2x4: i128 = ranks
        .iter()
        .enumerate()
        .map(|(t, &r)| (2 * (t as i128 + 1) - r).pow(2))
        .sum();
    let nn = n as i128;
    // rs = 1 − 6Σd²/(n³ − n); n ≤ 30 keeps every term small, and n ≥ 5 makes n³ − n > 0.
    let den = 4 * (nn * nn * nn - nn);
    let rs = Ratio::ratio(den - 6 * sum_d2x4, den);
    let crit = CRITICAL_005
        .iter()
        .rev()
        .find(|(k, _)| *k as usize <= n)
        .map_or(900, |(_, w)| *w);
    let critical = Ratio::ratio(i128::from(crit), 1000);
    let abs = rs.abs();
    let direction = if abs >= critical {
        if rs > Ratio::ZERO {
            TrendDirection::Rising
        } else {
            TrendDirection::Falling
        }
    } else {
        TrendDirection::NoSignificantChange
    };
    Ok(TrendResult {
        n: n as u32,
        rs,
        critical,
        direction,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn v(xs: &[i128]) -> Vec<Ratio> {
        xs.iter().map(|&x| Ratio::new(x, 1).unwrap()).collect()
    }

    #[test]
    fn monotone_series() {
        let r = spearman_trend(&v(&[89, 85, 81, 73, 58])).unwrap();
        assert_eq!(r.rs, Ratio::int(-1));
        assert_eq!(r.direction, TrendDirection::Falling);
        let r = spearman_trend(&v(&[1, 2, 3, 4, 5, 6])).unwrap();
        assert_eq!(r.direction, TrendDirection::Rising);
    }

    #[test]
    fn threshold_and_ties() {
        // n = 5, one swap: Σd² = 2 → r_s = 1 − 12/120 = 0.9 = W_p → significant (≥).
        let r = spearman_trend(&v(&[1, 2, 3, 5, 4])).unwrap();
        assert_eq!(r.rs, Ratio::new(9, 10).unwrap());
        assert_eq!(r.direction, TrendDirection::Rising);
        // two swaps: Σd² = 4 → 0.8 < 0.9
        let r = spearman_trend(&v(&[2, 1, 3, 5, 4])).unwrap();
        assert_eq!(r.direction, TrendDirection::NoSignificantChange);
        // ties get average ranks: values 1,1,2,3,4 → ranks 1.5,1.5,3,4,5; Σd² = 0.5 → r_s = 0.975
        let r = spearman_trend(&v(&[1, 1, 2, 3, 4])).unwrap();
        assert_eq!(r.rs, Ratio::new(39, 40).unwrap());
        // n = 11 uses the n = 10 value.
        let r = spearman_trend(&v(&[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11])).unwrap();
        assert_eq!(r.critical, Ratio::new(564, 1000).unwrap());
        assert_eq!(
            spearman_trend(&v(&[1, 2, 3, 4])).unwrap_err().code(),
            "too_few"
        );
    }
}
