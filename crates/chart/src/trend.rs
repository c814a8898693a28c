//! A year's monthly means as a line chart from zero, with gaps where a month has no value and an
//! optional limit as a dashed reference line.

use std::fmt::Write;

use crate::axis::Ticks;
use crate::{escape, format_number};

/// A month's mean: the value to draw and its published label.
#[derive(Debug, Clone, PartialEq)]
pub struct MonthValue {
    /// Month 1–12.
    pub month: u32,
    /// Mean, for placing the point.
    pub value: f64,
    /// The label shown (already rounded as published).
    pub label: String,
}

const TW: f64 = 640.0;
const TH: f64 = 260.0;
const PL: f64 = 48.0;
const PR: f64 = 16.0;
const PT: f64 = 28.0;
const PB: f64 = 32.0;

/// The trend of `months`; `limit_label` names the limit line (e.g. 年均限值); `title` and labels
/// are escaped. Without any month it says `empty_note`.
pub fn monthly_trend_svg(
    title: &str,
    months: &[MonthValue],
    limit: Option<(f64, &str)>,
    empty_note: &str,
) -> String {
    let top = months
        .iter()
        .map(|m| m.value)
        .chain(limit.map(|l| l.0))
        .fold(0.0_f64, f64::max);
    let ticks = Ticks::from_zero(top, 4, 10.0);
    let hi = ticks.hi;
    let x = |m: u32| PL + (f64::from(m) - 0.5) / 12.0 * (TW - PL - PR);
    let y = |v: f64| PT + (hi - v) / hi * (TH - PT - PB);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {TW} {TH}" width="{TW}" height="{TH}" role="img" aria-label="{}" font-family="sans-serif">"#,
        escape(title)
    );
    let _ = write!(
        s,
        r#"<text x="4" y="16" font-size="14" font-weight="600">{}</text>"#,
        escape(title)
    );
    for (v, label) in &ticks.values {
        let _ = write!(
            s,
            r##"<line x1="{PL}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#D9E1E4" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#6B7A80" text-anchor="end">{label}</text>"##,
            y(*v),
            TW - PR,
            y(*v),
            PL - 4.0,
            y(*v) + 3.0,
        );
    }
    for m in 1..=12u32 {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#6B7A80" text-anchor="middle">{m}月</text>"##,
            x(m),
            TH - PB + 16.0
        );
    }
    if let Some((l, name)) = limit {
        let _ = write!(
            s,
            r##"<line x1="{PL}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#C62828" stroke-width="1" stroke-dasharray="5 4"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#C62828" text-anchor="end">{} {}</text>"##,
            y(l),
            TW - PR,
            y(l),
            TW - PR,
            y(l) - 4.0,
            escape(name),
            format_number(l, 1)
        );
    }
    // Consecutive months are joined; a month without a value breaks the line.
    let mut sorted: Vec<&MonthValue> = months.iter().collect();
    sorted.sort_by_key(|m| m.month);
    let mut runs: Vec<Vec<&MonthValue>> = Vec::new();
    for m in sorted {
        match runs.last_mut() {
            Some(run) if run.last().is_some_and(|p| p.month + 1 == m.month) => run.push(m),
            _ => runs.push(vec![m]),
        }
    }
    for run in runs.iter().filter(|r| r.len() > 1) {
        let pts: Vec<String> = run
            .iter()
            .map(|m| format!("{:.1},{:.1}", x(m.month), y(m.value)))
            .collect();
        let _ = write!(
            s,
            r##"<polyline points="{}" fill="none" stroke="#2E7D4F" stroke-width="2"/>"##,
            pts.join(" ")
        );
    }
    for m in runs.iter().flatten() {
        let _ = write!(
            s,
            r##"<g><title>{}月 {}</title><circle cx="{:.1}" cy="{:.1}" r="3.5" fill="#2E7D4F"/><text x="{:.1}" y="{:.1}" font-size="10" text-anchor="middle">{}</text></g>"##,
            m.month,
            escape(&m.label),
            x(m.month),
            y(m.value),
            x(m.month),
            y(m.value) - 7.0,
            escape(&m.label)
        );
    }
    if months.is_empty() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" fill="#6B7A80" text-anchor="middle">{}</text>"##,
            TW / 2.0,
            TH / 2.0,
            escape(empty_note)
        );
    }
    s.push_str("</svg>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trend_breaks_at_missing_months() {
        let m = |month: u32, value: f64| MonthValue {
            month,
            value,
            label: format!("{value:.0}"),
        };
        let svg = monthly_trend_svg(
            "PM2.5",
            &[m(1, 80.0), m(2, 60.0), m(4, 30.0)],
            Some((35.0, "年均限值")),
            "本年无有效月均值",
        );
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("年均限值 35"));
        let empty = monthly_trend_svg("PM2.5", &[], None, "本年无有效月均值");
        assert!(empty.contains("本年无有效月均值"));
    }
}
