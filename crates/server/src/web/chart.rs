//! Small server-drawn SVG charts: an indicator's path against its baseline and targets, and a
//! device's hourly values against its permit limit.

use std::fmt::Write;

use qingshan_plan::{Indicator, Plan, TargetKind};

const W: f64 = 640.0;
const H: f64 = 240.0;
const PAD_L: f64 = 56.0;
const PAD_R: f64 = 16.0;
const PAD_T: f64 = 16.0;
const PAD_B: f64 = 32.0;

use crate::web::html::escape as esc;

/// The chart as an SVG element (already escaped; safe to embed).
pub fn indicator_chart(plan: &Plan, ind: &Indicator, series: &[(i64, f64)]) -> String {
    let first = i64::from(plan.meta.baseline_year);
    let last = plan
        .meta
        .milestone_years
        .last()
        .map_or(first + 1, |y| i64::from(*y))
        .max(first + 1);
    let base = ind.baseline.map(|b| b.to_f64());
    let mut targets: Vec<(i64, f64, String)> = Vec::new();
    for t in &ind.targets {
        let v = match &t.kind {
            TargetKind::Value { value } => Some(value.to_f64()),
            TargetKind::Hold => base,
            _ => None,
        };
        if let Some(v) = v {
            targets.push((i64::from(t.year), v, t.text.clone()));
        }
    }
    let ys: Vec<f64> = series
        .iter()
        .map(|p| p.1)
        .chain(targets.iter().map(|t| t.1))
        .chain(base)
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
    let x = |year: i64| PAD_L + (year - first) as f64 / (last - first) as f64 * (W - PAD_L - PAD_R);
    let y = |v: f64| PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B);

    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="{} 走势与目标" xmlns="http://www.w3.org/2000/svg">"#,
        esc(&ind.name)
    );
    let _ = write!(
        s,
        r##"<rect x="{PAD_L}" y="{PAD_T}" width="{}" height="{}" fill="#fafafa" stroke="#ddd"/>"##,
        W - PAD_L - PAD_R,
        H - PAD_T - PAD_B
    );
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            PAD_L - 6.0,
            y(v) + 4.0,
            trim_num(v)
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
            trim_num(b)
        );
    }
    for (year, v, text) in &targets {
        let _ = write!(
            s,
            r##"<line x1="{PAD_L}" x2="{:.1}" y1="{:.1}" y2="{:.1}" class="target"><title>{year}年目标 {}</title></line><circle cx="{:.1}" cy="{:.1}" r="4" class="target-dot"/>"##,
            x(*year),
            y(*v),
            y(*v),
            esc(text),
            x(*year),
            y(*v)
        );
    }
    if !series.is_empty() {
        let mut pts = series.to_vec();
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
                trim_num(*v)
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Hourly values (DataTime text, value) against a limit line, as an SVG element.
pub fn limit_chart(points: &[(String, f64)], limit: Option<f64>) -> String {
    let mut ys: Vec<f64> = points.iter().map(|p| p.1).collect();
    ys.extend(limit);
    let (mut lo, mut hi) = if ys.is_empty() {
        (0.0, 1.0)
    } else {
        ys.iter()
            .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), &y| {
                (a.min(y), b.max(y))
            })
    };
    lo = lo.min(0.0);
    let span = (hi - lo).abs().max(1e-6);
    hi += span * 0.1;
    let n = points.len().max(2) as f64;
    let x = |i: usize| PAD_L + i as f64 / (n - 1.0) * (W - PAD_L - PAD_R);
    let y = |v: f64| PAD_T + (hi - v) / (hi - lo) * (H - PAD_T - PAD_B);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg class="chart" viewBox="0 0 {W} {H}" role="img" aria-label="小时均值与许可限值" xmlns="http://www.w3.org/2000/svg">"#
    );
    let _ = write!(
        s,
        r##"<rect x="{PAD_L}" y="{PAD_T}" width="{}" height="{}" fill="#fafafa" stroke="#ddd"/>"##,
        W - PAD_L - PAD_R,
        H - PAD_T - PAD_B
    );
    for i in 0..=4 {
        let v = lo + (hi - lo) * f64::from(i) / 4.0;
        let _ = write!(
            s,
            r##"<text x="{}" y="{:.1}" class="tick" text-anchor="end">{}</text>"##,
            PAD_L - 6.0,
            y(v) + 4.0,
            trim_num(v)
        );
    }
    if let (Some(first), Some(last)) = (points.first(), points.last()) {
        let label = |t: &str| esc(&t.chars().skip(4).take(6).collect::<String>());
        let _ = write!(
            s,
            r##"<text x="{PAD_L}" y="{}" class="tick">{}</text>"##,
            H - 10.0,
            label(&first.0)
        );
        let _ = write!(
            s,
            r##"<text x="{}" y="{}" class="tick" text-anchor="end">{}</text>"##,
            W - PAD_R,
            H - 10.0,
            label(&last.0)
        );
    }
    if let Some(l) = limit {
        let _ = write!(
            s,
            r##"<line x1="{PAD_L}" x2="{}" y1="{:.1}" y2="{:.1}" class="target"><title>许可限值 {}</title></line>"##,
            W - PAD_R,
            y(l),
            y(l),
            trim_num(l)
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
                esc(&p.0),
                trim_num(p.1)
            );
        }
    }
    s.push_str("</svg>");
    s
}

fn trim_num(v: f64) -> String {
    let t = format!("{v:.2}");
    t.trim_end_matches('0').trim_end_matches('.').to_string()
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
