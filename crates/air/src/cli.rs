//! The CSV/JSON front ends behind `qingshan air aqi` and `qingshan air assess`.

use std::io::{Read, Write};

use thiserror::Error;

use crate::aqi::{AqiInput, AqiOptions, ReportType, Slot, compute_aqi};
use crate::assess::{AnnualAssessment, AssessOptions, assess_year};
use crate::hourly::{ParseError, parse_hourly_csv};
use crate::num::{Number, ParseError as NumberError, Ratio, Syntax};
use crate::standard::AqiStandard;

/// Concentration columns accepted by `air aqi` (µg/m³, CO mg/m³).
pub const AQI_INPUT_COLUMNS: [&str; 12] = [
    "so2_24h", "so2_1h", "no2_24h", "no2_1h", "co_24h", "co_1h", "o3_1h", "o3_8h", "pm10_24h",
    "pm10_1h", "pm25_24h", "pm25_1h",
];

/// Output header of `air aqi`.
pub const AQI_OUTPUT_HEADER: [&str; 13] = [
    "id",
    "iaqi_so2",
    "iaqi_no2",
    "iaqi_co",
    "iaqi_o3_1h",
    "iaqi_o3_8h",
    "iaqi_pm10",
    "iaqi_pm25",
    "aqi",
    "level",
    "category",
    "color",
    "primary_pollutants",
];

/// Why `air aqi` refused its input (nothing is written then).
#[derive(Debug, Error)]
pub enum AqiCsvError {
    /// The header is not `id` followed by known concentration columns.
    #[error("bad header: {0}")]
    Header(String),
    /// A cell is not a plain non-negative decimal.
    #[error("line {line}, column {column}: not a non-negative decimal: {value:?}")]
    Value {
        /// 1-based line (header = 1).
        line: u64,
        /// Column name.
        column: String,
        /// The cell.
        value: String,
    },
    /// A row has the wrong number of fields.
    #[error("line {line}: expected {expected} fields, found {found}")]
    FieldCount {
        /// 1-based line.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// Malformed CSV or an I/O failure.
    #[error("csv: {0}")]
    Csv(#[from] csv::Error),
    /// Writing failed.
    #[error("io: {0}")]
    Io(#[from] std::io::Error),
}

impl AqiCsvError {
    /// Stable machine-readable kind.
    pub fn code(&self) -> &'static str {
        match self {
            AqiCsvError::Header(_) => "header",
            AqiCsvError::Value { .. } => "value",
            AqiCsvError::FieldCount { .. } => "field_count",
            AqiCsvError::Csv(_) => "csv",
            AqiCsvError::Io(_) => "io",
        }
    }
}

/// A concentration cell of the AQI CSV: unsigned, no exponent, up to 18 decimals exactly.
pub(crate) fn parse_ratio(s: &str) -> Result<Ratio, NumberError> {
    Number::parse(s, Syntax::UNSIGNED)?
        .to_ratio(18, 18)
        .map_err(|k| NumberError::new(k, s))
}

fn set(input: &mut AqiInput, column: &str, v: Option<Ratio>) {
    let slot = match column {
        "so2_24h" => &mut input.so2_24h,
        "so2_1h" => &mut input.so2_1h,
        "no2_24h" => &mut input.no2_24h,
        "no2_1h" => &mut input.no2_1h,
        "co_24h" => &mut input.co_24h,
        "co_1h" => &mut input.co_1h,
        "o3_1h" => &mut input.o3_1h,
        "o3_8h" => &mut input.o3_8h,
        "pm10_24h" => &mut input.pm10_24h,
        "pm10_1h" => &mut input.pm10_1h,
        "pm25_24h" => &mut input.pm25_24h,
        _ => &mut input.pm25_1h,
    };
    *slot = v;
}

/// Reads the `air aqi` CSV, computes each row's report and writes the output CSV; returns the row count.
///
/// Transactional: every row is validated before anything is written. The output is gathered in
/// memory first; [`aqi_csv_streaming`] is the row-by-row form for inputs of any size.
pub fn aqi_csv<R: Read, W: Write>(
    reader: R,
    mut writer: W,
    standard: AqiStandard,
    report: ReportType,
    opts: &AqiOptions,
) -> Result<usize, AqiCsvError> {
    let mut out = Vec::new();
    let n = aqi_csv_streaming(reader, &mut out, standard, report, opts)?;
    writer.write_all(&out)?;
    writer.flush()?;
    Ok(n)
}

/// Row by row: reads one input row, writes its output row, and keeps nothing else, so memory
/// does not grow with the input. Returns the row count.
///
/// Not transactional by itself: on an error the rows before the bad one are already in
/// `writer`. A caller that must write nothing on a refused file (as `qingshan air aqi` does)
/// gives it a spool and discards it on error.
pub fn aqi_csv_streaming<R: Read, W: Write>(
    reader: R,
    writer: W,
    standard: AqiStandard,
    report: ReportType,
    opts: &AqiOptions,
) -> Result<usize, AqiCsvError> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .buffer_capacity(64 * 1024)
        .from_reader(reader);
    let header: Vec<String> = rdr
        .headers()?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').to_string())
        .collect();
    if header.first().map(String::as_str) != Some("id") {
        return Err(AqiCsvError::Header("the first column must be `id`".into()));
    }
    for (i, h) in header.iter().enumerate().skip(1) {
        if !AQI_INPUT_COLUMNS.contains(&h.as_str()) {
            return Err(AqiCsvError::Header(format!("unknown column `{h}`")));
        }
        if header[..i].contains(h) {
            return Err(AqiCsvError::Header(format!("duplicate column `{h}`")));
        }
    }
    let mut w = csv::WriterBuilder::new()
        .buffer_capacity(64 * 1024)
        .from_writer(writer);
    w.write_record(AQI_OUTPUT_HEADER)?;
    // One record and one number buffer, reused for every row.
    let mut rec = csv::StringRecord::new();
    let mut num = String::with_capacity(12);
    let mut rows = 0usize;
    while rdr.read_record(&mut rec)? {
        let line = rec.position().map_or(0, |p| p.line());
        if rec.len() != header.len() {
            return Err(AqiCsvError::FieldCount {
                line,
                expected: header.len(),
                found: rec.len(),
            });
        }
        let mut input = AqiInput::default();
        for (i, h) in header.iter().enumerate().skip(1) {
            let cell = rec.get(i).unwrap_or("").trim();
            let v = if cell.is_empty() {
                None
            } else {
                Some(
                    parse_ratio(cell).map_err(|_: NumberError| AqiCsvError::Value {
                        line,
                        column: h.clone(),
                        value: cell.to_string(),
                    })?,
                )
            };
            set(&mut input, h, v);
        }
        let r = compute_aqi(standard, report, &input, opts);
        w.write_field(rec.get(0).unwrap_or(""))?;
        for s in Slot::ALL {
            w.write_field(fmt_opt(&mut num, r.iaqi[s.index()]))?;
        }
        w.write_field(fmt_opt(&mut num, r.aqi))?;
        w.write_field(fmt_opt(&mut num, r.level.map(|l| u32::from(l.number()))))?;
        w.write_field(r.level.map_or("", |l| l.category()))?;
        w.write_field(r.level.map_or("", |l| l.color()))?;
        let mut primary = String::new();
        for (k, s) in r.primary.iter().enumerate() {
            if k > 0 {
                primary.push(';');
            }
            primary.push_str(s.name());
        }
        w.write_field(&primary)?;
        w.write_record(None::<&[u8]>)?;
        rows += 1;
    }
    w.flush()?;
    Ok(rows)
}

/// `v` as decimal text in `buf` (empty for `None`).
fn fmt_opt(buf: &mut String, v: Option<u32>) -> &str {
    use std::fmt::Write as _;
    buf.clear();
    if let Some(v) = v {
        // Writing to a String cannot fail.
        let _ = write!(buf, "{v}");
    }
    buf.as_str()
}

/// Why `air assess` failed.
#[derive(Debug, Error)]
pub enum AssessError {
    /// The hourly file was refused.
    #[error("hourly data refused: {0}")]
    Parse(#[from] ParseError),
    /// The file must hold exactly one station.
    #[error("expected one station in the file, found {0}")]
    StationCount(usize),
}

impl AssessError {
    /// Stable machine-readable kind.
    pub fn code(&self) -> &'static str {
        match self {
            AssessError::Parse(e) => e.kind.code(),
            AssessError::StationCount(_) => "station_count",
        }
    }
}

/// Parses one station's hourly CSV (either layout) and assesses `year`.
pub fn assess_csv<R: Read>(
    reader: R,
    year: i32,
    opts: &AssessOptions,
) -> Result<AnnualAssessment, AssessError> {
    let series = parse_hourly_csv(reader)?;
    match series.as_slice() {
        [one] => Ok(assess_year(one, year, opts)),
        _ => Err(AssessError::StationCount(series.len())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(input: &str, std: AqiStandard, t: ReportType) -> String {
        let mut out = Vec::new();
        aqi_csv(input.as_bytes(), &mut out, std, t, &AqiOptions::default()).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn aqi_csv_contract() {
        let input = "id,so2_24h,no2_24h,co_24h,o3_1h,o3_8h,pm10_24h,pm25_24h\n\
                     a,5,20,0.5,100,80,150,75\n\
                     b,5,20,2.2,100,80,40,\n\
                     c,5,20,0.5,100,80,40,20\n";
        let out = run(input, AqiStandard::Hj633_2012, ReportType::Daily);
        let lines: Vec<&str> = out.lines().collect();
        assert_eq!(lines[0], AQI_OUTPUT_HEADER.join(","));
        assert_eq!(
            lines[1],
            "a,5,25,13,32,40,100,100,100,2,良,#FFFF00,PM10;PM2.5"
        );
        // PM2.5 missing and the rest ≤ 100: AQI and its fields empty.
        assert_eq!(lines[2], "b,5,25,55,32,40,40,,,,,,");
        assert_eq!(lines[3], "c,5,25,13,32,40,40,29,40,1,优,#00E400,");
        let out26 = run(input, AqiStandard::Hj633_2026, ReportType::Daily);
        let l: Vec<&str> = out26.lines().collect();
        assert_eq!(l[1], "a,5,25,13,,40,112,114,114,3,轻度污染,#FF7E00,PM2.5");
    }

    #[test]
    fn aqi_csv_refuses_bad_input_whole() {
        let mut out = Vec::new();
        let bad = "id,pm25_24h\na,10\nb,-3\n";
        let e = aqi_csv(
            bad.as_bytes(),
            &mut out,
            AqiStandard::Hj633_2012,
            ReportType::Daily,
            &AqiOptions::default(),
        )
        .unwrap_err();
        assert!(
            matches!(&e, AqiCsvError::Value { line: 3, column, .. } if column == "pm25_24h"),
            "{e}"
        );
        assert!(out.is_empty());
        let e = aqi_csv(
            "x,pm25_24h\n".as_bytes(),
            &mut out,
            AqiStandard::Hj633_2012,
            ReportType::Daily,
            &AqiOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "header");
        let e = aqi_csv(
            "id,pm2.5\n".as_bytes(),
            &mut out,
            AqiStandard::Hj633_2012,
            ReportType::Daily,
            &AqiOptions::default(),
        )
        .unwrap_err();
        assert_eq!(e.code(), "header");
    }

    #[test]
    fn aqi_csv_realtime() {
        let input = "id,so2_1h,so2_24h,no2_1h,co_1h,o3_1h,o3_8h,pm10_1h,pm25_1h,pm10_24h,pm25_24h\nr,900,500,10,0.5,850,820,10,10,10,10\n";
        let out = run(input, AqiStandard::Hj633_2012, ReportType::Realtime);
        assert_eq!(
            out.lines().nth(1),
            Some("r,154,5,5,325,,10,15,325,6,严重污染,#7E0023,O3_1h")
        );
        let out = run(input, AqiStandard::Hj633_2026, ReportType::Realtime);
        assert_eq!(
            out.lines().nth(1),
            Some("r,200,5,5,325,,10,15,325,6,严重污染,#7E0023,O3_1h")
        );
    }
}
