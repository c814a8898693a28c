//! The calendar heat map of a year (one cell a day, as openair's calendarPlot): twelve month
//! panels, weeks as rows, Monday first, each day filled with the colour the caller chose.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use crate::escape;

/// Fill of a day without data.
pub const NO_DATA_FILL: &str = "#E6E9EA";
/// Ink of a day's number on light fills.
pub const DARK_INK: &str = "#1F2A2E";
/// Ink of a day's number on dark fills.
pub const LIGHT_INK: &str = "#FFFFFF";

const CELL: i32 = 20;
const PANEL_W: i32 = CELL * 7 + 16;
const PANEL_H: i32 = CELL * 6 + 44;
const COLS: i32 = 4;
const LEGEND_H: i32 = 36;
const WEEKDAYS: [&str; 7] = ["一", "二", "三", "四", "五", "六", "日"];

/// One day with data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Day {
    /// The day.
    pub date: NaiveDate,
    /// Its cell's fill.
    pub fill: String,
    /// The ink of its number, readable on the fill.
    pub ink: &'static str,
    /// The tooltip (escaped here).
    pub tooltip: String,
}

/// One swatch of the legend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Swatch {
    /// Its fill.
    pub fill: String,
    /// Its label (escaped here).
    pub label: String,
}

/// The calendar of `year`; days not in `days` are drawn as without data and the legend ends
/// with their swatch. `title` is escaped.
pub fn calendar_svg(title: &str, year: i32, days: &[Day], legend: &[Swatch]) -> String {
    let rows = 12 / COLS;
    let width = PANEL_W * COLS + 8;
    let height = 28 + PANEL_H * rows + LEGEND_H;
    let mut s = String::new();
    let _ = write!(
        s,
        r#"<svg xmlns="http://www.w3.org/2000/svg" class="calendar" viewBox="0 0 {width} {height}" width="{width}" height="{height}" role="img" aria-label="{}" font-family="sans-serif">"#,
        escape(title)
    );
    let _ = write!(
        s,
        r#"<text x="4" y="18" font-size="14" font-weight="600">{}</text>"#,
        escape(title)
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
            let (fill, ink, tip) = match days.iter().find(|x| x.date == date) {
                Some(day) => (day.fill.as_str(), day.ink, escape(&day.tooltip)),
                None => (NO_DATA_FILL, DARK_INK, format!("{date} 无有效数据")),
            };
            let _ = write!(
                s,
                r##"<g><title>{tip}</title><rect x="{x}" y="{y}" width="{CELL}" height="{CELL}" fill="{fill}" stroke="#FFFFFF" stroke-width="1"/><text x="{}" y="{}" font-size="9" fill="{ink}" text-anchor="middle">{d}</text></g>"##,
                x + CELL / 2,
                y + CELL / 2 + 3,
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
    for sw in legend {
        let _ = write!(
            s,
            r##"<rect x="{lx}" y="{ly}" width="14" height="14" fill="{}" stroke="#B0B8BB" stroke-width="0.5"/><text x="{}" y="{}" font-size="11">{}</text>"##,
            escape(&sw.fill),
            lx + 18,
            ly + 11,
            escape(&sw.label)
        );
        lx += 18 + 13 * i32::try_from(sw.label.chars().count()).unwrap_or(2) + 12;
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_days_by_weekday() {
        let days = vec![Day {
            date: NaiveDate::from_ymd_opt(2024, 1, 1).unwrap_or_default(),
            fill: "#00E400".into(),
            ink: DARK_INK,
            tooltip: "2024-01-01 <优>".into(),
        }];
        let svg = calendar_svg("站点 <A&B>", 2024, &days, &[]);
        // 366 day cells in a leap year, plus the no-data swatch.
        assert_eq!(svg.matches("<rect").count(), 366 + 1);
        assert!(svg.contains("站点 &lt;A&amp;B&gt;") && !svg.contains("<A&B>"));
        assert!(svg.contains("2024-01-01 &lt;优&gt;"));
        assert!(svg.contains("2024-03-01 无有效数据"));
        // 2024-01-01 is a Monday: first column of the first week row of January.
        assert!(svg.contains(r##"<rect x="4" y="66" width="20" height="20" fill="#00E400""##));
    }
}
