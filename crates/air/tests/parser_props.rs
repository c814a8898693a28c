//! Property tests of the outside-input parsers (hourly CSV and `air aqi` CSV).

// Integration tests: a failed unwrap is a failed test.
#![allow(clippy::unwrap_used)]

use chrono::NaiveDate;
use proptest::prelude::*;
use qingshan_air::aqi::{AqiOptions, ReportType};
use qingshan_air::cli::aqi_csv;
use qingshan_air::hourly::{DayRecord, HourlySeries, parse_hourly_csv, write_hourly_csv};
use qingshan_air::standard::{AqiStandard, Pollutant};

/// A value in 10⁻⁴ units, or missing.
fn cell() -> impl Strategy<Value = Option<i64>> {
    prop_oneof![1 => Just(None), 4 => (0i64..20_000_000).prop_map(Some)]
}

fn series() -> impl Strategy<Value = HourlySeries> {
    (
        1usize..4,
        prop::collection::vec(prop::collection::vec(cell(), 6 * 24), 1..4),
    )
        .prop_map(|(gap, days)| {
            let start = NaiveDate::from_ymd_opt(2025, 12, 30).unwrap_or_default();
            let days = days
                .into_iter()
                .enumerate()
                .map(|(i, cells)| {
                    let date = start + chrono::Days::new((i * gap) as u64);
                    let mut d = DayRecord::empty(date);
                    for (k, c) in cells.into_iter().enumerate() {
                        d.set(Pollutant::ALL[k / 24], k % 24, c).unwrap();
                    }
                    d
                })
                .collect();
            HourlySeries {
                station: "S1".into(),
                days,
            }
        })
}

fn render(s: &HourlySeries) -> String {
    let mut out = Vec::new();
    write_hourly_csv(std::slice::from_ref(s), &mut out).unwrap();
    String::from_utf8(out).unwrap()
}

/// Days with no value at all are not written, so compare only days with data.
fn nonempty(s: &HourlySeries) -> Vec<DayRecord> {
    s.days
        .iter()
        .filter(|d| {
            Pollutant::ALL
                .iter()
                .any(|&p| (0..24).any(|h| d.get(p, h).is_some()))
        })
        .cloned()
        .collect()
}

const BAD_VALUES: [&str; 8] = ["-1", "1e3", "abc", "1.23456", " 5", "+3", "1,5", "0x10"];

proptest! {
    #[test]
    fn round_trip(s in series()) {
        let text = render(&s);
        let parsed = parse_hourly_csv(text.as_bytes()).unwrap();
        let expected = nonempty(&s);
        if expected.is_empty() {
            prop_assert!(parsed.is_empty());
        } else {
            prop_assert_eq!(parsed.len(), 1);
            prop_assert_eq!(&parsed[0].days, &expected);
        }
    }

    #[test]
    fn one_bad_cell_refuses_the_file_naming_line_and_column(
        s in series(), row_pick in any::<prop::sample::Index>(), col in 3usize..9, bad in 0usize..BAD_VALUES.len()
    ) {
        let text = render(&s);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        prop_assume!(lines.len() > 1);
        let row = 1 + row_pick.index(lines.len() - 1);
        let mut fields: Vec<String> = lines[row].split(',').map(str::to_string).collect();
        let value = BAD_VALUES[bad];
        // The comma case changes the field count instead; quote nothing so the layout stays plain.
        fields[col] = value.to_string();
        lines[row] = fields.join(",");
        let e = parse_hourly_csv(lines.join("\n").as_bytes()).unwrap_err();
        prop_assert_eq!(e.line, row as u64 + 1);
        if value.contains(',') {
            prop_assert_eq!(e.kind.code(), "field_count");
        } else {
            let names = ["station", "date", "hour", "so2", "no2", "co", "o3", "pm10", "pm25"];
            prop_assert_eq!(e.column.as_deref(), Some(names[col]));
        }
    }

    #[test]
    fn bad_date_or_hour_is_named(s in series(), row_pick in any::<prop::sample::Index>(), which in 0usize..4) {
        let text = render(&s);
        let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
        prop_assume!(lines.len() > 1);
        let row = 1 + row_pick.index(lines.len() - 1);
        let mut fields: Vec<String> = lines[row].split(',').map(str::to_string).collect();
        let (col, v) = [(1, "2025-13-01"), (1, "2025-2-1"), (2, "24"), (2, "-1")][which];
        fields[col] = v.to_string();
        lines[row] = fields.join(",");
        let e = parse_hourly_csv(lines.join("\n").as_bytes()).unwrap_err();
        prop_assert_eq!(e.line, row as u64 + 1);
        prop_assert_eq!(e.column.as_deref(), Some(if col == 1 { "date" } else { "hour" }));
    }

    #[test]
    fn arbitrary_input_never_panics(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let _ = parse_hourly_csv(bytes.as_slice());
        let mut out = Vec::new();
        let _ = aqi_csv(bytes.as_slice(), &mut out, AqiStandard::Hj633_2026, ReportType::Daily, &AqiOptions::default());
    }

    #[test]
    fn header_like_garbage_never_panics(rows in prop::collection::vec("[0-9a-zA-Z.,\\-\" ]{0,40}", 0..6)) {
        let text = format!("station,date,hour,so2,no2,co,o3,pm10,pm25\n{}", rows.join("\n"));
        let _ = parse_hourly_csv(text.as_bytes());
        let text = format!("id,pm25_24h,co_1h\n{}", rows.join("\n"));
        let mut out = Vec::new();
        if aqi_csv(text.as_bytes(), &mut out, AqiStandard::Hj633_2012, ReportType::Realtime, &AqiOptions::default()).is_err() {
            prop_assert!(out.is_empty(), "refused input writes nothing");
        }
    }

    #[test]
    fn aqi_csv_accepts_any_decimals(vals in prop::collection::vec((0u32..700_000, 0u32..3), 1..20)) {
        let mut text = String::from("id,pm25_24h\n");
        for (i, (v, d)) in vals.iter().enumerate() {
            let s = match d { 0 => format!("{}", v / 1000), 1 => format!("{}.{}", v / 1000, v % 10), _ => format!("{}.{:03}", v / 1000, v % 1000) };
            text.push_str(&format!("r{i},{s}\n"));
        }
        let mut out = Vec::new();
        let n = aqi_csv(text.as_bytes(), &mut out, AqiStandard::Hj633_2026, ReportType::Daily, &AqiOptions::default()).unwrap();
        prop_assert_eq!(n, vals.len());
        prop_assert_eq!(String::from_utf8(out).unwrap().lines().count(), vals.len() + 1);
    }
}
