//! The indicator-values import file: one CSV row per indicator, year and division. Reading is
//! all or nothing, and every error names its row and column.

use std::io::Read;

use crate::{Decimal, Plan};

/// The file's columns, in order (the downloadable template's header).
pub const VALUE_COLUMNS: [&str; 6] = ["indicator", "year", "division", "value", "note", "reason"];

/// One checked row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueRow {
    /// 1-based row in the file (the header is row 1).
    pub row: u64,
    /// Indicator number.
    pub indicator: u32,
    /// Year.
    pub year: i32,
    /// GB/T 2260 division code.
    pub division: String,
    /// The value, exact.
    pub value: Decimal,
    /// Note.
    pub note: Option<String>,
    /// Reason for the revision.
    pub reason: Option<String>,
}

/// A values file that cannot be imported.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("第 {row} 行「{column}」列: {message}")]
pub struct ValuesError {
    /// 1-based row (header = 1).
    pub row: u64,
    /// Column name.
    pub column: String,
    /// What is wrong.
    pub message: String,
}

/// How many characters of a cell a message repeats (as `qingshan_tabular::PREVIEW_CHARS`).
const QUOTED_CHARS: usize = 100;

/// `text` cut to [`QUOTED_CHARS`] characters and `…`, so that no message echoes a huge cell (or
/// header) back. Written here, not taken from `qingshan_tabular`, which this crate does not use.
fn clip(text: &str) -> String {
    match text.char_indices().nth(QUOTED_CHARS) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_string(),
    }
}

/// A CSV reader's error in words: the file reaches the reader as UTF-8 rows already, so what
/// remains is a broken file given to the reader directly.
fn csv_message(e: &csv::Error) -> String {
    match e.kind() {
        csv::ErrorKind::Utf8 { .. } => "不是有效的 UTF-8 文本".to_string(),
        csv::ErrorKind::Io(io) => format!("读取失败：{io}"),
        _ => "CSV 格式错误".to_string(),
    }
}

/// Reads and checks a values CSV against the plan. The CSV has one record per spreadsheet row,
/// as `qingshan_tabular::read_import` renders any import file, so record n is row n; records of
/// only empty or blank cells (the empty rows a spreadsheet leaves) are skipped, still counted.
/// Stops at the first bad cell; [`read_values_all`] lists them all.
pub fn read_values(input: impl Read, plan: &Plan) -> Result<Vec<ValueRow>, ValuesError> {
    read_values_all(input, plan).map_err(|mut all| all.swap_remove(0))
}

/// As [`read_values`], but every bad row is reported (one error per row, in row order; a
/// header error alone). The error list is never empty.
pub fn read_values_all(input: impl Read, plan: &Plan) -> Result<Vec<ValueRow>, Vec<ValuesError>> {
    let err = |row: u64, column: &str, message: String| ValuesError {
        row,
        column: clip(column),
        message,
    };
    let mut rdr = csv::ReaderBuilder::new().flexible(true).from_reader(input);
    let headers = rdr
        .headers()
        .map_err(|e| vec![err(1, "(表头)", csv_message(&e))])?
        .clone();
    let names: Vec<String> = headers
        .iter()
        .map(|h| h.trim().trim_start_matches('\u{feff}').to_string())
        .collect();
    for n in &names {
        if !VALUE_COLUMNS.contains(&n.as_str()) {
            return Err(vec![err(
                1,
                n,
                format!("未知列；可用列：{}", VALUE_COLUMNS.join(",")),
            )]);
        }
    }
    for required in ["indicator", "year", "value"] {
        if !names.iter().any(|n| n == required) {
            return Err(vec![err(1, required, "缺少必需列".into())]);
        }
    }
    let col = |rec: &csv::StringRecord, name: &str| -> Option<String> {
        names
            .iter()
            .position(|n| n == name)
            .and_then(|i| rec.get(i))
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
    };
    let first = plan.meta.baseline_year;
    let last = plan.meta.milestone_years.last().copied().unwrap_or(first);
    let mut out: Vec<ValueRow> = Vec::new();
    let mut errors = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 2;
        let checked = (|| {
            let rec = rec.map_err(|e| err(row, "(行)", csv_message(&e)))?;
            if rec.iter().all(|f| f.trim().is_empty()) {
                return Ok(None);
            }
            if rec.len() != names.len() {
                return Err(err(
                    row,
                    "(行)",
                    format!("应有 {} 列，实有 {} 列", names.len(), rec.len()),
                ));
            }
            let n: u32 = col(&rec, "indicator")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err(row, "indicator", "应为指标序号".into()))?;
            let ind = plan
                .indicator(n)
                .ok_or_else(|| err(row, "indicator", format!("规划中没有第 {n} 项指标")))?;
            let year: i32 = col(&rec, "year")
                .and_then(|v| v.parse().ok())
                .ok_or_else(|| err(row, "year", "应为四位年份".into()))?;
            if year < first || year > last {
                return Err(err(row, "year", format!("年份应在 {first}–{last} 之间")));
            }
            let division = col(&rec, "division").unwrap_or_else(|| plan.meta.division.clone());
            if plan.division(&division).is_none() {
                return Err(err(
                    row,
                    "division",
                    format!("未知的行政区划代码「{}」", clip(&division)),
                ));
            }
            let text = col(&rec, "value").ok_or_else(|| err(row, "value", "不能为空".into()))?;
            let value: Decimal = text.parse().map_err(|e: crate::DecimalError| {
                let shown = if text.chars().count() > QUOTED_CHARS {
                    format!("「{}」不是十进制数", clip(&text))
                } else {
                    e.to_string()
                };
                err(row, "value", shown)
            })?;
            if ind.is_percentage()
                && (value < Decimal::from_int(0) || value > Decimal::from_int(100))
            {
                return Err(err(
                    row,
                    "value",
                    format!("指标 {n} 以 % 计，数值应在 0–100 之间"),
                ));
            }
            if let Some(dup) = out
                .iter()
                .find(|r| r.indicator == n && r.year == year && r.division == division)
            {
                return Err(err(
                    row,
                    "indicator",
                    format!("与第 {} 行重复（同一指标、年份、行政区划）", dup.row),
                ));
            }
            Ok(Some(ValueRow {
                row,
                indicator: n,
                year,
                division,
                value,
                note: col(&rec, "note"),
                reason: col(&rec, "reason"),
            }))
        })();
        match checked {
            Ok(Some(r)) => out.push(r),
            Ok(None) => {}
            Err(e) => errors.push(e),
        }
    }
    if errors.is_empty() {
        Ok(out)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn plan() -> Plan {
        crate::xinzhou().unwrap()
    }

    #[test]
    fn reads_good_rows() {
        let csv = "indicator,year,division,value,note,reason\n7,2023,140900,60.10,,年报\n17,2024,140902,55,,\n";
        let rows = read_values(csv.as_bytes(), &plan()).unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].value.to_string(), "60.10");
        assert_eq!(rows[1].division, "140902");
    }

    #[test]
    fn errors_name_row_and_column() {
        let p = plan();
        let e = read_values(
            "indicator,year,value\n7,2023,60\n6,2023,一百\n".as_bytes(),
            &p,
        )
        .unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (3, "value"));
        let e = read_values("indicator,year,value\n6,2023,120\n".as_bytes(), &p).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (2, "value"));
        let e = read_values("indicator,year,value\n99,2023,1\n".as_bytes(), &p).unwrap_err();
        assert_eq!(e.column, "indicator");
        let e = read_values("indicator,year,value,colour\n".as_bytes(), &p).unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (1, "colour"));
        let e = read_values(
            "indicator,year,value\n7,2023,60\n7,2023,61\n".as_bytes(),
            &p,
        )
        .unwrap_err();
        assert!(
            e.to_string()
                .starts_with("第 3 行「indicator」列: 与第 2 行重复"),
            "{e}"
        );
    }

    #[test]
    fn blank_rows_are_skipped_and_still_counted() {
        let p = plan();
        let e = read_values(
            "indicator,year,value\n7,2023,60\n,,\n , ,\n6,2023,一百\n".as_bytes(),
            &p,
        )
        .unwrap_err();
        assert_eq!((e.row, e.column.as_str()), (5, "value"));
        let rows = read_values("indicator,year,value\n,,\n7,2023,60\n,,\n".as_bytes(), &p).unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].row, 3);
    }

    #[test]
    fn messages_repeat_at_most_a_hundred_characters_of_a_cell() {
        let p = plan();
        let huge = "九".repeat(50_000);
        let e = read_values(
            format!("indicator,year,value\n7,2023,{huge}\n").as_bytes(),
            &p,
        )
        .unwrap_err();
        assert_eq!(
            e.to_string(),
            format!("第 2 行「value」列: 「{}…」不是十进制数", "九".repeat(100))
        );
        let e = read_values(format!("indicator,year,{huge}\n").as_bytes(), &p).unwrap_err();
        assert!(e.to_string().chars().count() < 200, "{e}");
        let e = read_values(
            format!("indicator,year,division,value\n7,2023,{huge},1\n").as_bytes(),
            &p,
        )
        .unwrap_err();
        assert!(e.to_string().chars().count() < 200, "{e}");
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*") {
            let p = crate::xinzhou().unwrap();
            let _ = read_values(s.as_bytes(), &p);
            let _ = read_values(format!("indicator,year,division,value\n{s}").as_bytes(), &p);
        }
    }
}
