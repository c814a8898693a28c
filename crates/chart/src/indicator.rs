//! An indicator's path on its page: the reported values by year against its baseline and the
//! targets of its milestone years.

use std::fmt::Write;

use crate::axis::Ticks;
use crate::{escape, format_number};

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 32.0;

/// What the chart shows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct IndicatorSpec {
    /// The indicator's name (for the accessible label).
    pub name: String,
    /// The first and last year of the x axis (baseline year and last milestone year).
    pub years: (i64, i64),
    /// The baseline value.
    pub baseline: Option<f64>,
    /// Targets: year, value and the target's text.
    pub targets: Vec<(i64, f64, String)>,
    /// Reported values by year.
    pub series: Vec<(i64, f64)>,
}

/// The chart as an SVG element (already escaped; safe to embed).
pub fn indicator_svg(spec: &IndicatorSpec) -> String {
    let (first, last) = (spec.years.0, spec.years.1.max(spec.years.0 + 1));
    let base = spec.baseline;
    let ys: Vec<f64> = spec
        .series
        .iter()
        .map(|p| p.1)
        .chain(spec.targets.iter().map(|t| t.1))
        .chain(base)
        .filter(|v| v.is_finite())
        .collect();
    let (mut lo, mut hi) = if ys.is_empty() {
        (0.0, 1.0)
    } else {
        ys.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
                (a.min(y), b.max(y))
            })
    };
    let span = (hi - lo).abs().max(hi.abs() * 0.05).max(1e-6);
    lo -= span * 0.15;
    hi += span * 0.15;
    let ticks = Ticks::covering(lo, hi, 4);
    let (lo, hi) = (ticks.lo, ticks.hi);
    let x = |year: i64| PAD_L + (year - first) as f64 / (last - first) as f64 * (W - PAD_L - PAD_R);
    let y = |v: f64| PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B);

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{} 走势与目标" xmlns="http://www.w3.org/2000/svg">"#,
        escape(&spec.name)
    );
    let _ = write!(
        s,
        r##"<rect x="{PAD_L}" y="{PAD_T}" width="{}" height="{}" fill="#fafafa" stroke="#ddd"/>"##,
        W - PAD_L - PAD_R,
        H - PAD_T - PAD_B
    );
    for (v, label) in &ticks.values {
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" class="tick" text-anchor="end">{label}</text>"##,
            PAD_L - 6.0,
            y(*v) + 4.0,
        );
    }
    let step = if last - first > 10 { 5 } else { 1 };
    for year in (first..=last).step_by(step) {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{}" class="tick" text-anchor="middle">{year}</text>"##,
            x(year),
            H - 10.0
        );
    }
    if let Some(b) = base {
        let _ = write!(
            s,
            r##"<line x1="{PAD_L}" x2="{}" y1="{:.1}" y2="{:.1}" class="baseline"><title>{first}年现状 {}</title></line>"##,
            W - PAD_R,
            y(b),
            y(b),
            format_number(b, 2)
        );
    }
    for (year, v, text) in &spec.targets {
        let _ = write!(
            s,
            r##"<line x1="{PAD_L}" x2="{:.1}" y1="{:.1}" y2="{:.1}" class="target"><title>{year}年目标 {}</title></line><circle cx="{:.1}" cy="{:.1}" r="4" class="target-dot"/>"##,
            x(*year),
            y(*v),
            y(*v),
            escape(text),
            x(*year),
            y(*v)
        );
    }
    if !spec.series.is_empty() {
        let mut pts = spec.series.clone();
        pts.sort_by_key(|p| p.0);
        let path: Vec<String> = pts
            .iter()
            .map(|(yr, v)| format!("{:.1},{:.1}", x(*yr), y(*v)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" class="series"/>"##,
            path.join(" ")
        );
        for (yr, v) in &pts {
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="3.5" class="series-dot"><title>{yr}年 {}</title></circle>"##,
                x(*yr),
                y(*v),
                format_number(*v, 2)
            );
        }
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_targets_and_series() {
        let svg = indicator_svg(&IndicatorSpec {
            name: "森林覆盖率".into(),
            years: (2020, 2035),
            baseline: Some(14.6),
            targets: vec![(2025, 16.71, "16.71".into()), (2035, 18.0, "18".into())],
            series: vec![(2022, 15.6), (2021, 15.0)],
        });
        assert!(svg.starts_with("<svg"));
        assert_eq!(svg.matches("class=\"target\"").count(), 2);
        assert_eq!(svg.matches("class=\"series-dot\"").count(), 2);
        assert!(svg.contains("<title>2025年目标 16.71</title>"));
    }

    #[test]
    fn no_numbers_no_nan() {
        let svg = indicator_svg(&IndicatorSpec {
            name: "x".into(),
            years: (2020, 2020),
            ..Default::default()
        });
        assert!(!svg.contains("NaN") && !svg.contains("inf"));
    }
}
