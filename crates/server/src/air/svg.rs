//! Server-drawn SVG charts of air quality: the calendar heat map of daily AQI (one cell a day,
//! as openair's calendarPlot) and the monthly PM2.5 trend.
//!
//! Output is deterministic (fixed layout, fixed number formatting) so it can be kept as a
//! golden file, and every piece of text in it is escaped.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};
use qingshan_air::AqiLevel;

use crate::web::html::escape as esc;

/// Fill of a day without a daily AQI.
pub const NO_DATA_FILL: &str = "#E6E9EA";

const CELL: i32 = 20;
const PANEL_W: i32 = CELL * 7 + 16;
const PANEL_H: i32 = CELL * 6 + 44;
const COLS: i32 = 4;
const LEGEND_H: i32 = 36;
const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];
const LEVELS: [AqiLevel; 6] = [
    AqiLevel::L1,
    AqiLevel::L2,
    AqiLevel::L3,
    AqiLevel::L4,
    AqiLevel::L5,
    AqiLevel::L6,
];

/// The ink that stays readable on a level's fill.
fn text_fill(level: Option<AqiLevel>) -> &'static str {
    match level {
        Some(AqiLevel::L4 | AqiLevel::L5 | AqiLevel::L6) => "#FFFFFF",
        _ => "#1F2A2E",
    }
}

/// One day of the calendar.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CalendarDay {
    /// The day.
    pub date: NaiveDate,
    /// Its daily AQI, when computed.
    pub aqi: Option<u32>,
    /// Its level, when computed.
    pub level: Option<AqiLevel>,
    /// Primary pollutants, for the tooltip.
    pub primary: Vec<String>,
}

/// The calendar heat map of one year: twelve month panels (weeks as rows, Monday first), each
/// day a cell filled with its AQI level colour, grey without data; `title` is escaped.
pub fn calendar_svg(title: &str, year: i32, days: &[CalendarDay]) -> String {
    let rows = 12 / COLS;
    let width = PANEL_W * COLS + 8;
    let height = 28 + PANEL_H * rows + LEGEND_H;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="calendar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}" font-family="sans-serif">"#,
        esc(title)
    );
    let _ = write!(
        s,
        r#"<text x="4" y="18" font-size="14" font-weight="600">{}</text>"#,
        esc(title)
    );
    for month in 1..=12u32 {
        let Some(first) = NaiveDate::from_ymd_opt(year, month, 1) else {
            continue;
        };
        let panel = i32::try_from(month - 1).unwrap_or(0);
        let ox = 4 + (panel % COLS) * PANEL_W;
        let oy = 28 + (panel / COLS) * PANEL_H;
        let _ = write!(
            s,
            r#"<g class="month" data-month="{month}"><text x="{}" y="{}" font-size="13" font-weight="600">{month}月</text>"#,
            ox,
            oy + 14
        );
        for (i, w) in WEEKDAYS.iter().enumerate() {
            let i = i32::try_from(i).unwrap_or(0);
            let _ = write!(
                s,
                r##"<text x="{}" y="{}" font-size="10" fill="#6B7A80" text-anchor="middle">{w}</text>"##,
                ox + i * CELL + CELL / 2,
                oy + 32
            );
        }
        let lead = i32::try_from(first.weekday().num_days_from_monday()).unwrap_or(0);
        let mut date = first;
        while date.month() == month {
            let d = i32::try_from(date.day()).unwrap_or(1);
            let slot = lead + d - 1;
            let x = ox + (slot % 7) * CELL;
            let y = oy + 38 + (slot / 7) * CELL;
            let day = days.iter().find(|x| x.date == date);
            let level = day.and_then(|x| x.level);
            let fill = level.map_or(NO_DATA_FILL, |l| l.color());
            let tip = match day.and_then(|x| x.aqi.map(|a| (a, x))) {
                Some((aqi, x)) => {
                    let cat = level.map_or("", |l| l.category());
                    let primary = if x.primary.is_empty() {
                        String::new()
                    } else {
                        format!("，首要污染物 {}", x.primary.join("、"))
                    };
                    format!("{date} AQI {aqi} {cat}{primary}")
                }
                None => format!("{date} 无有效数据"),
            };
            let _ = write!(
                s,
                r##"<g><title>{}</title><rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" stroke="#FFFFFF" stroke-width="1"/><text x="{}" y="{}" font-size="9" fill="{}" text-anchor="middle">{d}</text></g>"##,
                esc(&tip),
                x + CELL / 2,
                y + CELL / 2 + 3,
                text_fill(level)
            );
            match date.succ_opt() {
                Some(n) => date = n,
                None => break,
            }
        }
        s.push_str("</g>");
    }
    let ly = 28 + PANEL_H * rows + 8;
    let mut lx = 4;
    for l in LEVELS {
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{}" stroke="#B0B8BB" stroke-width="0.5"/><text x="{}" y="{}" font-size="11">{}</text>"##,
            l.color(),
            lx + 18,
            ly + 11,
            esc(l.category())
        );
        lx += 18 + 13 * i32::try_from(l.category().chars().count()).unwrap_or(2) + 12;
    }
    let _ = write!(
        s,
        r##"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{NO_DATA_FILL}" stroke="#B0B8BB" stroke-width="0.5"/><text x="{}" y="{}" font-size="11">无数据</text>"##,
        lx + 18,
        ly + 11
    );
    s.push_str("</svg>");
    s
}

/// A month's mean for the trend chart: the value to draw and its published label.
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

/// Monthly mean PM2.5 of a year as a line chart (gaps where a month has no value), with the
/// annual limit as a dashed reference line; `title` is escaped.
pub fn monthly_trend_svg(title: &str, months: &[MonthValue], limit: Option<f64>) -> String {
    let top = months
        .iter()
        .map(|m| m.value)
        .chain(limit)
        .fold(0.0_f64, f64::max);
    let step = nice_step(top / 4.0);
    let hi = (top / step).ceil().max(1.0) * step;
    let x = |m: u32| PL + (f64::from(m) - 0.5) / 12.0 * (TW - PL - PR);
    let y = |v: f64| PT + (hi - v) / hi * (TH - PT - PB);
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="trend" viewBox="0 0 {TW} {TH}" width="{TW}" height="{TH}" role="img" aria-label="{}" font-family="sans-serif">"#,
        esc(title)
    );
    let _ = write!(
        s,
        r#"<text x="4" y="16" font-size="14" font-weight="600">{}</text>"#,
        esc(title)
    );
    let mut v = 0.0;
    while v <= hi + step / 2.0 {
        let _ = write!(
            s,
            r##"<line x1="{PL}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#D9E1E4" stroke-width="1"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#6B7A80" text-anchor="end">{}</text>"##,
            y(v),
            TW - PR,
            y(v),
            PL - 4.0,
            y(v) + 3.0,
            format_tick(v)
        );
        v += step;
    }
    for m in 1..=12u32 {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="10" fill="#6B7A80" text-anchor="middle">{m}月</text>"##,
            x(m),
            TH - PB + 16.0
        );
    }
    if let Some(l) = limit {
        let _ = write!(
            s,
            r##"<line x1="{PL}" y1="{:.1}" x2="{:.1}" y2="{:.1}" stroke="#C62828" stroke-width="1" stroke-dasharray="5 4"/><text x="{:.1}" y="{:.1}" font-size="10" fill="#C62828" text-anchor="end">年均限值 {}</text>"##,
            y(l),
            TW - PR,
            y(l),
            TW - PR,
            y(l) - 4.0,
            format_tick(l)
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
            esc(&m.label),
            x(m.month),
            y(m.value),
            x(m.month),
            y(m.value) - 7.0,
            esc(&m.label)
        );
    }
    if months.is_empty() {
        let _ = write!(
            s,
            r##"<text x="{:.1}" y="{:.1}" font-size="13" fill="#6B7A80" text-anchor="middle">本年无有效月均值</text>"##,
            TW / 2.0,
            TH / 2.0
        );
    }
    s.push_str("</svg>");
    s
}

/// A 1-2-5 step at least `raw`.
fn nice_step(raw: f64) -> f64 {
    if raw <= 0.0 || !raw.is_finite() {
        return 10.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|k| k * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag)
}

fn format_tick(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn calendar_places_days_by_weekday_and_colours_by_level() {
        let days = vec![
            CalendarDay {
                date: d(2024, 1, 1),
                aqi: Some(42),
                level: Some(AqiLevel::L1),
                primary: vec![],
            },
            CalendarDay {
                date: d(2024, 2, 29),
                aqi: Some(235),
                level: Some(AqiLevel::L5),
                primary: vec!["PM2.5".into()],
            },
        ];
        let svg = calendar_svg("站点 <A&B>", 2024, &days);
        // 366 day cells in a leap year, plus 7 legend swatches.
        assert_eq!(svg.matches("<rect").count(), 366 + 7);
        assert!(svg.contains("站点 &lt;A&amp;B&gt;"));
        assert!(!svg.contains("<A&B>"));
        assert!(svg.contains("2024-02-29 AQI 235 重度污染，首要污染物 PM2.5"));
        assert!(svg.contains("2024-03-01 无有效数据"));
        // 2024-01-01 is a Monday: first column of the first week row of January.
        assert!(svg.contains(r##"<rect x="4" y="66" width="20" height="20" fill="#00E400""##));
        insta::assert_snapshot!("calendar_2024", svg);
    }

    #[test]
    fn trend_breaks_at_missing_months() {
        let m = |month: u32, value: f64| MonthValue {
            month,
            value,
            label: format!("{value:.0}"),
        };
        let svg = monthly_trend_svg("PM2.5", &[m(1, 80.0), m(2, 60.0), m(4, 30.0)], Some(35.0));
        assert_eq!(svg.matches("<polyline").count(), 1);
        assert_eq!(svg.matches("<circle").count(), 3);
        assert!(svg.contains("年均限值 35"));
        let empty = monthly_trend_svg("PM2.5", &[], None);
        assert!(empty.contains("本年无有效月均值"));
        assert_eq!(nice_step(17.0), 20.0);
        assert_eq!(nice_step(0.3), 0.5);
    }
}
