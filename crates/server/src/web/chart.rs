//! What the pages chart, said in the chart crate's terms: an indicator's path against its
//! baseline and targets, and a device's hourly values against its permit limit. The drawing
//! is `qingshan_chart`'s, shared with the report.

use qingshan_chart::indicator::{IndicatorSpec, indicator_svg};
use qingshan_chart::series::limit_svg;
use qingshan_plan::{Indicator, Plan, TargetKind};

/// The chart of an indicator's city values by year (already escaped; safe to embed).
pub fn indicator_chart(plan: &Plan, ind: &Indicator, series: &[(i64, f64)]) -> String {
    let first = i64::from(plan.meta.baseline_year);
    let last = plan
        .meta
        .milestone_years
        .last()
        .map_or(first + 1, |y| i64::from(*y))
        .max(first + 1);
    let baseline = ind.baseline.map(|b| b.to_f64());
    let targets = ind
        .targets
        .iter()
        .filter_map(|t| {
            let v = match &t.kind {
                TargetKind::Value { value } => Some(value.to_f64()),
                TargetKind::Hold => baseline,
                _ => None,
            }?;
            Some((i64::from(t.year), v, t.text.clone()))
        })
        .collect();
    indicator_svg(&IndicatorSpec {
        name: ind.name.clone(),
        years: (first, last),
        baseline,
        targets,
        series: series.to_vec(),
    })
}

/// Hourly values (DataTime text, value) against a limit line, as an SVG element.
pub fn limit_chart(points: &[(String, f64)], limit: Option<f64>) -> String {
    // DataTime is YYYYMMDDhhmmss: the axis shows MMDDhh.
    limit_svg(
        "小时均值与许可限值",
        points,
        limit,
        "许可限值",
        |t| t.chars().skip(4).take(6).collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_targets_and_series() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let svg = indicator_chart(
            &plan,
            plan.indicator(6).unwrap(),
            &[(2021, 15.0), (2022, 15.6)],
        );
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("class=\"target\"").count(), 2);
        assert_eq!(svg.matches("class=\"series-dot\"").count(), 2);
        assert!(svg.contains("<title>2025年目标 16.71</title>"));
    }

    #[test]
    fn no_numbers_no_nan() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let svg = indicator_chart(&plan, plan.indicator(24).unwrap(), &[]);
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
