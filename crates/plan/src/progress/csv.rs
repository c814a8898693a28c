//! The CSV contract of `qingshan plan progress`.
//!
//! In: a header row naming the columns `id, direction, base_year, base_value, target_year,
//! target_value, current_year, current_value` (any order, surrounding spaces ignored, extra
//! columns ignored); `direction` is `higher` or `lower` (`hold` is accepted too). An empty
//! `current_value` (with or without `current_year`) means nothing was reported.
//!
//! Out: `id, ratio, status`, one row per input row in input order; `ratio` is empty where none
//! is defined. Every row is read and checked before anything is written, so a bad row yields
//! an error naming its line and column and no output at all.

use std::io::{Read, Write};

use serde::Serialize;

use super::{Assessment, Method, NumericCase, Observation, Options, assess_numeric};
use crate::{Decimal, Direction};

/// Stable kinds of CSV errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ProgressErrorKind {
    /// Reading the input or writing the output failed.
    Io,
    /// The input is not well-formed CSV (e.g. a row with the wrong number of fields).
    Syntax,
    /// The header row is missing, lacks a column or repeats one.
    Header,
    /// A field has a value the contract does not allow.
    Value,
}

impl ProgressErrorKind {
    /// Stable machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            ProgressErrorKind::Io => "io",
            ProgressErrorKind::Syntax => "syntax",
            ProgressErrorKind::Header => "header",
            ProgressErrorKind::Value => "value",
        }
    }
}

/// A CSV input that cannot be used, with where and why.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{}{}", where_(*line, column.as_deref()), message)]
pub struct ProgressError {
    /// What sort of error.
    pub kind: ProgressErrorKind,
    /// 1-based line of the input (the header is line 1), when known.
    pub line: Option<u64>,
    /// The column concerned, when there is one.
    pub column: Option<String>,
    /// What is wrong, in plain words.
    pub message: String,
}

fn where_(line: Option<u64>, column: Option<&str>) -> String {
    match (line, column) {
        (Some(l), Some(c)) => format!("第{l}行，列 {c}："),
        (Some(l), None) => format!("第{l}行："),
        (None, Some(c)) => format!("列 {c}："),
        (None, None) => String::new(),
    }
}

impl ProgressError {
    fn new(
        kind: ProgressErrorKind,
        line: Option<u64>,
        column: Option<&str>,
        message: impl Into<String>,
    ) -> Self {
        ProgressError {
            kind,
            line,
            column: column.map(str::to_string),
            message: message.into(),
        }
    }

    fn from_csv(e: &::csv::Error) -> Self {
        let line = e.position().map(|p| p.line());
        let kind = if e.is_io_error() {
            ProgressErrorKind::Io
        } else {
            ProgressErrorKind::Syntax
        };
        let message = match e.kind() {
            ::csv::ErrorKind::UnequalLengths {
                expected_len, len, ..
            } => format!("该行有 {len}个字段，表头有 {expected_len} 个"),
            ::csv::ErrorKind::Utf8 { .. } => "不是有效的 UTF-8 文本".to_string(),
            _ => e.to_string(),
        };
        ProgressError::new(kind, line, None, message)
    }
}

/// The input columns, in the contract's order.
pub const COLUMNS: [&str; 8] = [
    "id",
    "direction",
    "base_year",
    "base_value",
    "target_year",
    "target_value",
    "current_year",
    "current_value",
];

/// One checked input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    /// 1-based line of the row in the input.
    pub line: u64,
    /// The row's id, as given.
    pub id: String,
    /// The case it describes.
    pub case: NumericCase,
}

/// Reads and checks every row; the first bad one is the error.
pub fn read<R: Read>(reader: R) -> Result<Vec<Row>, ProgressError> {
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(false)
        .trim(::csv::Trim::All)
        .from_reader(reader);
    let mut records = rdr.records();
    let header = match records.next() {
        Some(r) => r.map_err(|e| ProgressError::from_csv(&e))?,
        None => {
            return Err(ProgressError::new(
                ProgressErrorKind::Header,
                Some(1),
                None,
                format!("输入为空，缺少表头（应为 {}）", COLUMNS.join(",")),
            ));
        }
    };
    let mut index = [0usize; 8];
    for (slot, name) in index.iter_mut().zip(COLUMNS) {
        let found: Vec<usize> = header
            .iter()
            .enumerate()
            .filter(|(_, h)| h.trim_start_matches('\u{feff}').trim() == name)
            .map(|(i, _)| i)
            .collect();
        match found.as_slice() {
            [i] => *slot = *i,
            [] => {
                return Err(ProgressError::new(
                    ProgressErrorKind::Header,
                    Some(1),
                    Some(name),
                    format!("表头缺少此列（应为 {}）", COLUMNS.join(",")),
                ));
            }
            _ => {
                return Err(ProgressError::new(
                    ProgressErrorKind::Header,
                    Some(1),
                    Some(name),
                    "表头中此列重复",
                ));
            }
        }
    }

    let mut rows = Vec::new();
    for rec in records {
        let rec = rec.map_err(|e| ProgressError::from_csv(&e))?;
        let line = rec.position().map_or(0, |p| p.line());
        let fields = index.map(|i| rec.get(i).unwrap_or(""));
        rows.push(parse_row(line, &fields)?);
    }
    Ok(rows)
}

fn parse_row(line: u64, fields: &[&str; 8]) -> Result<Row, ProgressError> {
    let field = |i: usize| fields.get(i).copied().unwrap_or("");
    let err = |col: usize, msg: String| {
        ProgressError::new(
            ProgressErrorKind::Value,
            Some(line),
            Some(COLUMNS[col]),
            msg,
        )
    };
    let year = |col: usize| -> Result<i32, ProgressError> {
        let t = field(col);
        match t.parse::<i32>() {
            Ok(y) if (1000..=9999).contains(&y) => Ok(y),
            _ => Err(err(col, format!("「{t}」不是四位数年份"))),
        }
    };
    let value = |col: usize| -> Result<Decimal, ProgressError> {
        field(col)
            .parse::<Decimal>()
            .map_err(|e| err(col, e.to_string()))
    };

    let id = field(0).to_string();
    if id.is_empty() {
        return Err(err(0, "id 不能为空".to_string()));
    }
    let direction = match field(1).to_ascii_lowercase().as_str() {
        "higher" => Direction::Higher,
        "lower" => Direction::Lower,
        "hold" => Direction::Hold,
        other => {
            return Err(err(
                1,
                format!("「{other}」不是方向（应为 higher 或 lower）"),
            ));
        }
    };
    let base_year = year(2)?;
    let base_value = value(3)?;
    let target_year = year(4)?;
    let target_value = value(5)?;
    if target_year <= base_year {
        return Err(err(
            4,
            format!("目标年 {target_year} 应晚于基期年 {base_year}"),
        ));
    }
    let current = if field(7).is_empty() {
        if !field(6).is_empty() {
            year(6)?;
        }
        None
    } else {
        Some(Observation::new(year(6)?, value(7)?))
    };
    Ok(Row {
        line,
        id,
        case: NumericCase {
            direction,
            base: Observation::new(base_year, base_value),
            target: Observation::new(target_year, target_value),
            current,
            // A row is judged as of its own latest value; with none, as of its base year.
            year: current.map_or(base_year, |c| c.year),
        },
    })
}

/// Writes `id, ratio, status` for assessed rows.
pub fn write<W: Write>(writer: W, rows: &[(String, Assessment)]) -> Result<(), ProgressError> {
    let io = |e: ::csv::Error| ProgressError::from_csv(&e);
    let mut w = ::csv::Writer::from_writer(writer);
    w.write_record(["id", "ratio", "status"]).map_err(io)?;
    for (id, a) in rows {
        let ratio = a.ratio.map(|r| r.to_string()).unwrap_or_default();
        w.write_record([id.as_str(), ratio.as_str(), a.status.code()])
            .map_err(io)?;
    }
    w.flush().map_err(|e| {
        ProgressError::new(ProgressErrorKind::Io, None, None, format!("写出失败：{e}"))
    })
}

/// Reads, judges and writes: the whole `qingshan plan progress` command.
pub fn run<R: Read, W: Write>(reader: R, writer: W, method: Method) -> Result<(), ProgressError> {
    let options = Options {
        method,
        pace_after_target: true,
        ..Options::default()
    };
    let rows = read(reader)?;
    let judged: Vec<(String, Assessment)> = rows
        .into_iter()
        .map(|r| {
            let a = assess_numeric(&r.case, &options);
            (r.id, a)
        })
        .collect();
    write(writer, &judged)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const HEADER: &str =
        "id,direction,base_year,base_value,target_year,target_value,current_year,current_value\n";

    fn run_str(input: &str, method: Method) -> Result<String, ProgressError> {
        let mut out = Vec::new();
        run(input.as_bytes(), &mut out, method)?;
        Ok(String::from_utf8(out).unwrap())
    }

    #[test]
    fn judges_rows_in_order() {
        let input = format!(
            "{HEADER}\
             forest,higher,2020,14.21,2025,16.71,2023,15.50\n\
             pm25,lower,2020,44,2025,35,2024,46\n\
             black,lower,2020,12,2025,0,2023,5\n\
             red,higher,2020,100,2025,100,2023,100\n\
             late,higher,2020,14.21,2025,16.71,2026,16.00\n\
             none,higher,2020,14.21,2025,16.71,,\n"
        );
        let out = run_str(&input, Method::Linear).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(
            lines,
            [
                "id,ratio,status",
                "forest,0.860000,moderate_progress",
                "pm25,-0.277778,deterioration",
                "black,0.972222,substantial_progress",
                "red,,target_achieved",
                "late,0.596667,limited_progress",
                "none,,not_available",
            ]
        );
        let out = run_str(&input, Method::OpenSdg).unwrap();
        let lines: Vec<&str> = out.lines().collect();
        assert!(lines[1].ends_with(",moderate_progress"), "{}", lines[1]);
        assert!(lines[1].starts_with("forest,0.89"), "{}", lines[1]);
        // A zero target has no growth rate: the linear pace stands in.
        assert_eq!(lines[3], "black,0.972222,substantial_progress");
    }

    #[test]
    fn header_may_be_reordered_spaced_and_extended() {
        let input = "current_value, current_year ,note,id,direction,base_year,base_value,target_year,target_value\n\
                     15.50,2023,x,forest,higher,2020,14.21,2025,16.71\n";
        let out = run_str(input, Method::Linear).unwrap();
        assert_eq!(out, "id,ratio,status\nforest,0.860000,moderate_progress\n");
        let bom = format!("\u{feff}{HEADER}a,higher,2020,1,2025,2,2021,1.2\n");
        assert!(run_str(&bom, Method::OpenSdg).is_ok());
    }

    #[test]
    fn errors_name_line_and_column() {
        let e = run_str("", Method::OpenSdg).unwrap_err();
        assert_eq!(e.kind, ProgressErrorKind::Header);
        let e = run_str("id,direction\n", Method::OpenSdg).unwrap_err();
        assert_eq!(e.kind, ProgressErrorKind::Header);
        assert_eq!(e.column.as_deref(), Some("base_year"));
        let e = run_str(
            &format!("{HEADER}a,up,2020,1,2025,2,2021,1\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.kind, ProgressErrorKind::Value);
        assert_eq!((e.line, e.column.as_deref()), (Some(2), Some("direction")));
        let bad_value =
            format!("{HEADER}a,higher,2020,1,2025,2,2021,1\nb,lower,2020,1,2025,0.5,2021,1,5\n");
        let e = run_str(&bad_value, Method::OpenSdg).unwrap_err();
        assert_eq!(e.kind, ProgressErrorKind::Syntax);
        assert_eq!(e.line, Some(3));
        let e = run_str(
            &format!("{HEADER}a,higher,2020,1,2025,2,2021,1\nb,lower,2020,1,2025,abc,2021,1\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref()),
            (Some(3), Some("target_value"))
        );
        assert!(e.to_string().starts_with("第3行，列 target_value："), "{e}");
        let e = run_str(
            &format!("{HEADER}a,higher,2025,1,2020,2,2021,1\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("target_year"));
        let e = run_str(
            &format!("{HEADER}a,higher,20x0,1,2025,2,2021,1\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("base_year"));
        let e = run_str(
            &format!("{HEADER},higher,2020,1,2025,2,2021,1\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("id"));
        let e = run_str(
            &format!("{HEADER}a,higher,2020,1,2025,2,20,\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("current_year"));
        let e = run_str(
            &format!("{HEADER}a,higher,2020,1,2025,2,,3\n"),
            Method::OpenSdg,
        )
        .unwrap_err();
        assert_eq!(e.column.as_deref(), Some("current_year"));
        let dup = "id,id,direction,base_year,base_value,target_year,target_value,current_year,current_value\n";
        let e = run_str(dup, Method::OpenSdg).unwrap_err();
        assert_eq!(
            (e.kind, e.column.as_deref()),
            (ProgressErrorKind::Header, Some("id"))
        );
        assert_eq!(ProgressErrorKind::Value.as_str(), "value");
    }

    #[test]
    fn nothing_is_written_when_a_row_is_bad() {
        let mut out = Vec::new();
        let input =
            format!("{HEADER}a,higher,2020,1,2025,2,2021,1\nb,sideways,2020,1,2025,2,2021,1\n");
        assert!(run(input.as_bytes(), &mut out, Method::OpenSdg).is_err());
        assert!(out.is_empty());
    }

    #[test]
    fn header_only_gives_header_only() {
        assert_eq!(
            run_str(HEADER, Method::Linear).unwrap(),
            "id,ratio,status\n"
        );
    }

    #[test]
    fn ids_with_commas_and_quotes_round_trip() {
        let input =
            format!("{HEADER}\"森林覆盖率, 忻州\",higher,2020,14.21,2025,16.71,2025,16.71\n");
        let out = run_str(&input, Method::OpenSdg).unwrap();
        assert!(out.contains("\"森林覆盖率, 忻州\","), "{out}");
        assert!(out.trim_end().ends_with(",target_achieved"));
    }

    fn cell() -> impl Strategy<Value = String> {
        prop_oneof![
            Just(String::new()),
            Just("higher".to_string()),
            Just("lower".to_string()),
            Just("hold".to_string()),
            (1000i32..3000).prop_map(|y| y.to_string()),
            (-100_000i64..100_000, 0u32..4)
                .prop_map(|(m, s)| Decimal::new(i128::from(m), s).to_string()),
            "[0-9]{1,40}",
            "-?[0-9]{0,30}\\.[0-9]{0,15}",
            "\\PC{0,8}",
        ]
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(1000))]

        /// Arbitrary bytes never panic: the result is output or a located error.
        #[test]
        fn arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            let mut input = HEADER.as_bytes().to_vec();
            input.extend_from_slice(&bytes);
            let mut out = Vec::new();
            let _ = run(&input[..], &mut out, Method::OpenSdg);
            let _ = run(&bytes[..], &mut Vec::new(), Method::Linear);
        }

        /// Rows of plausible and implausible cells: output has one line per row, or an error
        /// names a line.
        #[test]
        fn structured_rows_are_judged_or_refused(
            rows in proptest::collection::vec(proptest::collection::vec(cell(), 8), 0..6),
            linear in any::<bool>(),
        ) {
            let mut input = HEADER.to_string();
            for r in &rows {
                let quoted: Vec<String> = r
                    .iter()
                    .map(|c| format!("\"{}\"", c.replace('"', "\"\"")))
                    .collect();
                input.push_str(&quoted.join(","));
                input.push('\n');
            }
            let method = if linear { Method::Linear } else { Method::OpenSdg };
            match run_str(&input, method) {
                Ok(out) => {
                    let mut rdr = ::csv::Reader::from_reader(out.as_bytes());
                    let n = rdr.records().count();
                    prop_assert_eq!(n, rows.len());
                }
                Err(e) => prop_assert!(e.line.is_some(), "{e:?}"),
            }
        }
    }
}
