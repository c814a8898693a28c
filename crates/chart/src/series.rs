//! A series of timed values (e.g. a device's hourly means) against a limit line; points over
//! the limit are marked.

use std::fmt::Write;

use crate::axis::Ticks;
use crate::{escape, format_number};

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 32.0;

/// `points` (time label, value) in order, against `limit` named `limit_label`; `aria` labels
/// the chart. The first and last time labels are written under the axis, shortened by `short`.
pub fn limit_svg(
    aria: &str,
    points: &[(String, f64)],
    limit: Option<f64>,
    limit_label: &str,
    short: impl Fn(&str) -> String,
) -> String {
    let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    ys.extend(limit);
    let (lo, hi) = ys.iter().fold((0.0_f64, f64::NEG_INFINITY), |(a, b), &y| {
        (a.min(y), b.max(y))
    });
    let hi = if hi.is_finite() { hi } else { 1.0 };
    let ticks = Ticks::covering(lo, hi + (hi - lo).abs().max(1e-6) * 0.05, 4);
    let (lo, hi) = (ticks.lo, ticks.hi);
    let n = points.len().max(2) as f64;
    let x = |i: usize| PAD_L + i as f64 / (n - 1.0) * (W - PAD_L - PAD_R);
    let y = |v: f64| PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg">"#,
        escape(aria)
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
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let _ = write!(
            s,
            r##"<text x="{PAD_L}" y="{}" class="tick">{}</text>"##,
            H - 10.0,
            escape(&short(&first.0))
        );
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>"##,
            W - PAD_R,
            H - 10.0,
            escape(&short(&last.0))
        );
    }
    if let Some(l) = limit {
        let _ = write!(
            s,
            r##"<line x1="{PAD_L}" x2="{}" y1="{:.1}" y2="{:.1}" class="target"><title>{} {}</title></line>"##,
            W - PAD_R,
            y(l),
            y(l),
            escape(limit_label),
            format_number(l, 2)
        );
    }
    if !points.is_empty() {
        let path: Vec<String> = points
            .iter()
            .enumerate()
            .map(|(i, p)| format!("{:.1},{:.1}", x(i), y(p.1)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" class="series"/>"##,
            path.join(" ")
        );
        for (i, p) in points.iter().enumerate() {
            let over = limit.is_some_and(|l| p.1 > l);
            let _ = write!(
                s,
                r##"<circle cx="{:.1}" cy="{:.1}" r="2.5" class="{}"><title>{} {}</title></circle>"##,
                x(i),
                y(p.1),
                if over { "target-dot" } else { "series-dot" },
                escape(&p.0),
                format_number(p.1, 2)
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
    fn marks_points_over_the_limit() {
        let pts = vec![
            ("20260101000000".to_string(), 10.0),
            ("20260101010000".to_string(), 60.0),
        ];
        let svg = limit_svg(
            "小时均值与许可限值",
            &pts,
            Some(50.0),
            "许可限值",
            |t| t.chars().skip(4).take(6).collect(),
        );
        assert_eq!(svg.matches("class=\"target-dot\"").count(), 1);
        assert_eq!(svg.matches("class=\"series-dot\"").count(), 1);
        assert!(svg.contains("<title>许可限值 50</title>"));
        assert!(svg.contains(">010100<"));
        let empty = limit_svg("x", &[], None, "许可限值", |t| t.to_string());
        assert!(!empty.contains("NaN") && !empty.contains("inf"));
    }
}
