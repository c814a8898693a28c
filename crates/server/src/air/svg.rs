//! The air pages' charts in the chart crate's terms: the calendar heat map of daily AQI
//! coloured by HJ 633 level (one cell a day, as openair's calendarPlot) and the monthly PM2.5
//! trend against the annual limit. The drawing is `qingshan_chart`'s.

use chrono::NaiveDate;
use qingshan_air::AqiLevel;
use qingshan_chart::calendar::{self, DARK_INK, Day, LIGHT_INK, Swatch};
pub use qingshan_chart::trend::MonthValue;

const LEVELS: [AqiLevel; 6] = [
    AqiLevel::L1,
    AqiLevel::L2,
    AqiLevel::L3,
    AqiLevel::L4,
    AqiLevel::L5,
    AqiLevel::L6,
];

/// The ink that stays readable on a level's fill.
fn text_fill(level: AqiLevel) -> &'static str {
    match level {
        AqiLevel::L4 | AqiLevel::L5 | AqiLevel::L6 => LIGHT_INK,
        _ => DARK_INK,
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

/// The calendar heat map of one year: each day filled with its AQI level colour, grey without
/// data; `title` is escaped.
pub fn calendar_svg(title: &str, year: i32, days: &[CalendarDay]) -> String {
    let cells: Vec<Day> = days
        .iter()
        .filter_map(|d| {
            let (aqi, level) = (d.aqi?, d.level?);
            let primary = if d.primary.is_empty() {
                String::new()
            } else {
                format!("，首要污染物 {}", d.primary.join("、"))
            };
            Some(Day {
                date: d.date,
                fill: level.color().to_string(),
                ink: text_fill(level),
                tooltip: format!("{} AQI {aqi} {}{primary}", d.date, level.category()),
            })
        })
        .collect();
    let legend: Vec<Swatch> = LEVELS
        .iter()
        .map(|l| Swatch {
            fill: l.color().to_string(),
            label: l.category().to_string(),
        })
        .collect();
    calendar::calendar_svg(title, year, &cells, &legend)
}

/// Monthly mean PM2.5 of a year as a line chart (gaps where a month has no value), with the
/// annual limit as a dashed reference line; `title` is escaped.
pub fn monthly_trend_svg(title: &str, months: &[MonthValue], limit: Option<f64>) -> String {
    qingshan_chart::trend::monthly_trend_svg(
        title,
        months,
        limit.map(|l| (l, "年均限值")),
        "本年无有效月均值",
    )
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
    }
}
