//! Outlook: where the reported values are heading, by a Theil–Sen line projected to the
//! target year.
//!
//! Theil–Sen (the median of all pairwise slopes) is used rather than least squares because a
//! city's series is short (2020–2024) and one revised or odd year should not swing the line.

use serde::Serialize;

use super::{Observation, RATIO_DECIMALS, good_sign, normalise, round_f64};
use crate::{Decimal, Direction};

/// A trend projection shown beside a status.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outlook {
    /// Theil–Sen slope: the median of the pairwise slopes, in units per year.
    pub slope: f64,
    /// Number of distinct years the line is fitted to.
    pub points: usize,
    /// First and last year fitted.
    pub years: (i32, i32),
    /// The year projected to.
    pub target_year: i32,
    /// The value the line reaches in `target_year`.
    pub projected: f64,
    /// Whether the projection meets the target (direction-aware, inclusive), if one is given.
    pub reaches_target: Option<bool>,
}

fn median(mut xs: Vec<f64>) -> Option<f64> {
    if xs.is_empty() {
        return None;
    }
    xs.sort_by(f64::total_cmp);
    let m = xs.len() / 2;
    Some(if xs.len() % 2 == 1 {
        xs[m]
    } else {
        (xs[m - 1] + xs[m]) / 2.0
    })
}

/// The Theil–Sen projection of `points` to `target_year`; `None` with fewer than two years.
///
/// The intercept is Sen's: the median of `value − slope·year`, so the projection is
/// `median(value_i + slope·(target_year − year_i))`. A repeated year keeps its later entry.
/// Pass the baseline among the points if it should anchor the line.
pub fn outlook(
    points: &[Observation],
    target_year: i32,
    target: Option<Decimal>,
    direction: Direction,
) -> Option<Outlook> {
    let pts = normalise(points);
    if pts.len() < 2 {
        return None;
    }
    let xy: Vec<(f64, f64)> = pts
        .iter()
        .map(|o| (f64::from(o.year), o.value.to_f64()))
        .collect();
    let mut slopes = Vec::with_capacity(xy.len() * (xy.len() - 1) / 2);
    for (i, a) in xy.iter().enumerate() {
        for b in &xy[i + 1..] {
            slopes.push((b.1 - a.1) / (b.0 - a.0));
        }
    }
    let slope = median(slopes)?;
    let projected = median(
        xy.iter()
            .map(|(x, y)| y + slope * (f64::from(target_year) - x))
            .collect(),
    )?;
    if !slope.is_finite() || !projected.is_finite() {
        return None;
    }
    // Compared as the rounded decimal a report would print, so a projection that lands on
    // the target counts as reaching it.
    let reaches_target = target.and_then(|t| {
        let p = round_f64(projected, RATIO_DECIMALS)?;
        Some(match good_sign(direction) {
            1 => p >= t,
            _ => p <= t,
        })
    });
    let first = pts.first()?.year;
    let last = pts.last()?.year;
    Some(Outlook {
        slope,
        points: pts.len(),
        years: (first, last),
        target_year,
        projected,
        reaches_target,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn obs(pairs: &[(i32, &str)]) -> Vec<Observation> {
        pairs
            .iter()
            .map(|(y, v)| Observation::new(*y, v.parse().unwrap()))
            .collect()
    }

    #[test]
    fn straight_line_projects_exactly() {
        // 森林覆盖率 gaining 0.5 a year from 14.21 reaches 16.71 in 2025.
        let pts = obs(&[
            (2020, "14.21"),
            (2021, "14.71"),
            (2022, "15.21"),
            (2023, "15.71"),
        ]);
        let o = outlook(
            &pts,
            2025,
            Some("16.71".parse().unwrap()),
            Direction::Higher,
        )
        .unwrap();
        assert!((o.slope - 0.5).abs() < 1e-12);
        assert!((o.projected - 16.71).abs() < 1e-9);
        assert_eq!(o.reaches_target, Some(true));
        assert_eq!(o.points, 4);
        assert_eq!(o.years, (2020, 2023));
    }

    #[test]
    fn forest_cover_example_from_the_docs() {
        let pts = obs(&[
            (2020, "14.21"),
            (2021, "14.6"),
            (2022, "15.1"),
            (2023, "15.5"),
            (2024, "15.9"),
        ]);
        let o = outlook(
            &pts,
            2025,
            Some("16.71".parse().unwrap()),
            Direction::Higher,
        )
        .unwrap();
        assert!((o.slope - 0.42625).abs() < 1e-9, "{}", o.slope);
        assert!((o.projected - 16.34125).abs() < 1e-9, "{}", o.projected);
        assert_eq!(o.reaches_target, Some(false));
    }

    #[test]
    fn one_outlier_does_not_swing_the_slope() {
        let pts = obs(&[
            (2020, "10"),
            (2021, "11"),
            (2022, "30"),
            (2023, "13"),
            (2024, "14"),
        ]);
        let o = outlook(&pts, 2025, Some("16".parse().unwrap()), Direction::Higher).unwrap();
        assert!((o.slope - 1.0).abs() < 1e-12, "{}", o.slope);
        assert!((o.projected - 15.0).abs() < 1e-9);
        assert_eq!(o.reaches_target, Some(false));
    }

    #[test]
    fn lower_is_better_compares_the_other_way() {
        let pts = obs(&[(2020, "44"), (2021, "42"), (2022, "40")]);
        let o = outlook(&pts, 2025, Some("35".parse().unwrap()), Direction::Lower).unwrap();
        assert!((o.projected - 34.0).abs() < 1e-9);
        assert_eq!(o.reaches_target, Some(true));
        let o = outlook(&pts, 2025, Some("33".parse().unwrap()), Direction::Lower).unwrap();
        assert_eq!(o.reaches_target, Some(false));
    }

    #[test]
    fn needs_two_distinct_years() {
        assert_eq!(
            outlook(&obs(&[(2021, "1")]), 2025, None, Direction::Higher),
            None
        );
        assert_eq!(
            outlook(
                &obs(&[(2021, "1"), (2021, "2")]),
                2025,
                None,
                Direction::Higher
            ),
            None
        );
        assert_eq!(outlook(&[], 2025, None, Direction::Higher), None);
    }

    #[test]
    fn without_target_there_is_no_verdict() {
        let o = outlook(
            &obs(&[(2021, "1"), (2023, "2")]),
            2025,
            None,
            Direction::Higher,
        )
        .unwrap();
        assert_eq!(o.reaches_target, None);
        assert!((o.projected - 3.0).abs() < 1e-12);
    }
}
