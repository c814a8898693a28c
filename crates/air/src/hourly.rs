//! Hourly concentration data and its transactional CSV parser.
//!
//! # Time convention
//! Hour `h` (0–23) of a date is the period `h:00–(h+1):00` local time, which
//! CNEMC labels by its end (hour-ending `h+1`). A natural day is hours 0–23.
//!
//! # Layouts recognised by their header
//! * **qingshan hourly v1**: `station,date,hour,so2,no2,co,o3,pm10,pm25`, in any
//!   column order; `date` is `YYYY-MM-DD`, `hour` 0–23 (hour-beginning); µg/m³
//!   except `co` in mg/m³; an empty cell or `NA` is missing.
//! * **UCI Beijing multi-site**: `No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,
//!   TEMP,PRES,DEWP,RAIN,wd,WSPM,station`; hour 0–23 is taken as hour-beginning;
//!   CO is in µg/m³ and converted to mg/m³; `NA` is missing.
//!
//! Values are plain non-negative decimals with at most 4 fractional digits
//! (µg/m³, CO mg/m³); they are kept exact as integer counts of 10⁻⁴.
//! Parsing is transactional: any bad row refuses the whole file and the error
//! names the file line and the column.

use std::collections::BTreeMap;
use std::io::Read;

use chrono::NaiveDate;
use thiserror::Error;

use crate::num::{ParseError as NumberError, ParseErrorKind as NumberKind, Ratio, parse_scaled};
use crate::standard::Pollutant;

/// Fractional digits kept for hourly concentrations (units of 10⁻⁴ µg/m³, CO 10⁻⁴ mg/m³).
pub const HOURLY_DECIMALS: u32 = 4;
/// `10^HOURLY_DECIMALS`.
pub const HOURLY_SCALE: i64 = 10_000;

/// `sum / (count × HOURLY_SCALE)` exactly: one stored value (count 1) or the mean of `count`.
pub(crate) fn from_scaled(sum: i64, count: i64) -> Option<Ratio> {
    Ratio::new(
        i128::from(sum),
        i128::from(count).checked_mul(i128::from(HOURLY_SCALE))?,
    )
}

/// Marks a missing hour in [`DayRecord::column`].
pub const MISSING: u32 = u32::MAX;

/// Largest storable concentration in 10⁻⁴ units (429,496.7294 µg/m³), far above any IAQI table.
pub const MAX_HOURLY: i64 = (MISSING - 1) as i64;

/// A concentration too large for the compact hourly store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Error)]
#[error("hourly value out of range: {0}")]
pub struct ValueOutOfRange(pub i64);

/// The hourly values of one natural day.
///
/// Stored compactly (4 bytes an hour, [`MISSING`] for gaps) because a year of a
/// national network is tens of millions of station-hours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DayRecord {
    /// The natural day.
    pub date: NaiveDate,
    hours: [[u32; 24]; 6],
}

impl DayRecord {
    /// A day with every hour missing.
    pub fn empty(date: NaiveDate) -> DayRecord {
        DayRecord {
            date,
            hours: [[MISSING; 24]; 6],
        }
    }

    /// One hour in units of 10⁻⁴ (µg/m³, CO mg/m³); `None` = missing or invalid.
    pub fn get(&self, p: Pollutant, hour: usize) -> Option<i64> {
        let v = *self.hours.get(p.index())?.get(hour)?;
        (v != MISSING).then_some(i64::from(v))
    }

    /// Sets one hour (units of 10⁻⁴); values must lie in `0..=MAX_HOURLY`.
    pub fn set(
        &mut self,
        p: Pollutant,
        hour: usize,
        value: Option<i64>,
    ) -> Result<(), ValueOutOfRange> {
        let raw = match value {
            None => MISSING,
            Some(v) => u32::try_from(v)
                .ok()
                .filter(|&x| x != MISSING)
                .ok_or(ValueOutOfRange(v))?,
        };
        if let Some(slot) = self.hours.get_mut(p.index()).and_then(|c| c.get_mut(hour)) {
            *slot = raw;
        }
        Ok(())
    }

    /// The raw 24 hours of one pollutant ([`MISSING`] for gaps).
    pub fn column(&self, p: Pollutant) -> &[u32; 24] {
        &self.hours[p.index()]
    }

    /// One hour's concentration as an exact rational in the pollutant's unit.
    pub fn value(&self, p: Pollutant, hour: usize) -> Option<Ratio> {
        self.get(p, hour).and_then(|v| from_scaled(v, 1))
    }
}

/// Hourly data of one station, days in ascending order without duplicates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HourlySeries {
    /// Station name or code.
    pub station: String,
    /// Days present in the data (days absent count as fully missing).
    pub days: Vec<DayRecord>,
}

impl HourlySeries {
    /// Days whose date lies in `[from, to]`.
    pub fn days_between(&self, from: NaiveDate, to: NaiveDate) -> &[DayRecord] {
        let a = self.days.partition_point(|d| d.date < from);
        let b = self.days.partition_point(|d| d.date <= to);
        &self.days[a..b.max(a)]
    }
}

/// Stable kinds of hourly-CSV errors.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseErrorKind {
    /// The header matches no known layout.
    #[error("unrecognised header (expected qingshan hourly v1 or UCI layout)")]
    UnknownLayout,
    /// The input has no header line.
    #[error("empty input")]
    Empty,
    /// A row has a different number of fields than the header.
    #[error("expected {expected} fields, found {found}")]
    FieldCount {
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// Not a plain non-negative decimal (signs, exponents, spaces refused).
    #[error("not a non-negative decimal: {0:?}")]
    BadNumber(String),
    /// More than 4 significant fractional digits.
    #[error("more than 4 decimals: {0:?}")]
    TooPrecise(String),
    /// The value is too large.
    #[error("value out of range: {0:?}")]
    OutOfRange(String),
    /// Not a valid calendar date.
    #[error("invalid date: {0:?}")]
    BadDate(String),
    /// Hour outside 0–23.
    #[error("invalid hour: {0:?}")]
    BadHour(String),
    /// The station name is empty.
    #[error("empty station")]
    EmptyStation,
    /// The same station and hour appear twice.
    #[error("duplicate station hour (first at line {first_line})")]
    Duplicate {
        /// Line of the first occurrence.
        first_line: u64,
    },
    /// The CSV itself is malformed (quotes, encoding) or could not be read.
    #[error("malformed CSV: {0}")]
    Csv(String),
}

impl ParseErrorKind {
    /// A stable machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            ParseErrorKind::UnknownLayout => "unknown_layout",
            ParseErrorKind::Empty => "empty",
            ParseErrorKind::FieldCount { .. } => "field_count",
            ParseErrorKind::BadNumber(_) => "bad_number",
            ParseErrorKind::TooPrecise(_) => "too_precise",
            ParseErrorKind::OutOfRange(_) => "out_of_range",
            ParseErrorKind::BadDate(_) => "bad_date",
            ParseErrorKind::BadHour(_) => "bad_hour",
            ParseErrorKind::EmptyStation => "empty_station",
            ParseErrorKind::Duplicate { .. } => "duplicate",
            ParseErrorKind::Csv(_) => "csv",
        }
    }
}

/// A refused hourly file: the line (1 = header) and column at fault.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("line {line}{}: {kind}", column.as_ref().map(|c| format!(", column {c}")).unwrap_or_default())]
pub struct ParseError {
    /// 1-based line number in the file (the header is line 1).
    pub line: u64,
    /// Column name, when the fault lies in one cell.
    pub column: Option<String>,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// The recognised file layouts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// `station,date,hour,so2,no2,co,o3,pm10,pm25` (CO mg/m³, hour-beginning 0–23).
    QingshanV1,
    /// UCI Beijing multi-site (CO µg/m³).
    Uci,
}

/// The header of the qingshan hourly v1 layout, in canonical order.
pub const QINGSHAN_V1_HEADER: [&str; 9] = [
    "station", "date", "hour", "so2", "no2", "co", "o3", "pm10", "pm25",
];
const UCI_HEADER: [&str; 18] = [
    "No", "year", "month", "day", "hour", "PM2.5", "PM10", "SO2", "NO2", "CO", "O3", "TEMP",
    "PRES", "DEWP", "RAIN", "wd", "WSPM", "station",
];

struct Columns {
    layout: Layout,
    station: usize,
    date: Vec<usize>,
    hour: usize,
    pollutant: [usize; 6],
}

fn detect(header: &[String]) -> Option<Columns> {
    let find = |name: &str| header.iter().position(|h| h == name);
    if header.len() == UCI_HEADER.len() && header.iter().zip(UCI_HEADER).all(|(a, b)| a == b) {
        return Some(Columns {
            layout: Layout::Uci,
            station: 17,
            date: vec![1, 2, 3],
            hour: 4,
            pollutant: [7, 8, 9, 10, 6, 5],
        });
    }
    if header.len() == QINGSHAN_V1_HEADER.len() {
        let idx: Option<Vec<usize>> = QINGSHAN_V1_HEADER.iter().map(|n| find(n)).collect();
        let idx = idx?;
        return Some(Columns {
            layout: Layout::QingshanV1,
            station: idx[0],
            date: vec![idx[1]],
            hour: idx[2],
            pollutant: [idx[3], idx[4], idx[5], idx[6], idx[7], idx[8]],
        });
    }
    None
}

fn decimal_error(e: NumberError, s: &str) -> ParseErrorKind {
    match e.kind() {
        NumberKind::Empty | NumberKind::Syntax => ParseErrorKind::BadNumber(s.to_string()),
        NumberKind::TooPrecise => ParseErrorKind::TooPrecise(s.to_string()),
        NumberKind::TooLarge => ParseErrorKind::OutOfRange(s.to_string()),
    }
}

/// Parses an hourly CSV (either layout) into one series per station, refusing the whole file on any bad row.
pub fn parse_hourly_csv<R: Read>(reader: R) -> Result<Vec<HourlySeries>, ParseError> {
    parse_hourly_csv_all(reader).map_err(|mut all| all.swap_remove(0))
}

/// As [`parse_hourly_csv`], but every bad row is reported (one error per row, in file order; a
/// header error alone). The error list is never empty.
pub fn parse_hourly_csv_all<R: Read>(reader: R) -> Result<Vec<HourlySeries>, Vec<ParseError>> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut records = rdr.records();
    let err = |line: u64, column: Option<&str>, kind: ParseErrorKind| ParseError {
        line,
        column: column.map(str::to_string),
        kind,
    };
    let header: Vec<String> = match records.next() {
        None => return Err(vec![err(1, None, ParseErrorKind::Empty)]),
        Some(Err(e)) => return Err(vec![err(1, None, ParseErrorKind::Csv(e.to_string()))]),
        Some(Ok(r)) => r
            .iter()
            .map(|s| s.trim_start_matches('\u{feff}').to_string())
            .collect(),
    };
    let cols = detect(&header).ok_or_else(|| vec![err(1, None, ParseErrorKind::UnknownLayout)])?;
    // station → date → (day, line of each hour's first occurrence)
    let mut stations: BTreeMap<String, BTreeMap<NaiveDate, (DayRecord, [u64; 24])>> =
        BTreeMap::new();
    let mut errors = Vec::new();
    for rec in records {
        let checked = (|| -> Result<(), ParseError> {
            let rec = rec.map_err(|e| {
                let line = e.position().map_or(0, |p| p.line());
                err(line, None, ParseErrorKind::Csv(e.to_string()))
            })?;
            let line = rec.position().map_or(0, |p| p.line());
            if rec.len() != header.len() {
                return Err(err(
                    line,
                    None,
                    ParseErrorKind::FieldCount {
                        expected: header.len(),
                        found: rec.len(),
                    },
                ));
            }
            let field = |i: usize| rec.get(i).unwrap_or("");
            let station = field(cols.station).trim();
            if station.is_empty() {
                return Err(err(
                    line,
                    Some(&header[cols.station]),
                    ParseErrorKind::EmptyStation,
                ));
            }
            let date = match cols.layout {
                Layout::QingshanV1 => {
                    let s = field(cols.date[0]);
                    NaiveDate::parse_from_str(s, "%Y-%m-%d")
                        .ok()
                        .filter(|_| s.len() == 10)
                        .ok_or_else(|| {
                            err(
                                line,
                                Some(&header[cols.date[0]]),
                                ParseErrorKind::BadDate(s.to_string()),
                            )
                        })?
                }
                Layout::Uci => {
                    let mut ymd = [0u32; 3];
                    for (k, &c) in cols.date.iter().enumerate() {
                        let s = field(c);
                        ymd[k] = s
                            .parse::<u32>()
                            .ok()
                            .filter(|_| s.bytes().all(|b| b.is_ascii_digit()))
                            .ok_or_else(|| {
                                err(
                                    line,
                                    Some(&header[c]),
                                    ParseErrorKind::BadDate(s.to_string()),
                                )
                            })?;
                    }
                    i32::try_from(ymd[0])
                        .ok()
                        .and_then(|y| NaiveDate::from_ymd_opt(y, ymd[1], ymd[2]))
                        .ok_or_else(|| {
                            err(
                                line,
                                Some(&header[cols.date[2]]),
                                ParseErrorKind::BadDate(format!(
                                    "{}-{}-{}",
                                    ymd[0], ymd[1], ymd[2]
                                )),
                            )
                        })?
                }
            };
            let hs = field(cols.hour);
            let hour = hs
                .parse::<usize>()
                .ok()
                .filter(|h| *h < 24 && hs.bytes().all(|b| b.is_ascii_digit()))
                .ok_or_else(|| {
                    err(
                        line,
                        Some(&header[cols.hour]),
                        ParseErrorKind::BadHour(hs.to_string()),
                    )
                })?;
            let mut values = [None; 6];
            for p in Pollutant::ALL {
                let c = cols.pollutant[p.index()];
                let s = field(c);
                if s.is_empty() || s == "NA" {
                    continue;
                }
                let v = if cols.layout == Layout::Uci && p == Pollutant::Co {
                    // µg/m³ with one decimal is exactly 10⁻⁴ mg/m³.
                    parse_scaled(s, 1)
                } else {
                    parse_scaled(s, HOURLY_DECIMALS)
                };
                let v = v.map_err(|e| err(line, Some(&header[c]), decimal_error(e, s)))?;
                if v > MAX_HOURLY {
                    return Err(err(
                        line,
                        Some(&header[c]),
                        ParseErrorKind::OutOfRange(s.to_string()),
                    ));
                }
                values[p.index()] = Some(v);
            }
            let by_date = stations.entry(station.to_string()).or_default();
            let (day, lines) = by_date
                .entry(date)
                .or_insert_with(|| (DayRecord::empty(date), [0; 24]));
            if lines[hour] != 0 {
                return Err(err(
                    line,
                    Some(&header[cols.hour]),
                    ParseErrorKind::Duplicate {
                        first_line: lines[hour],
                    },
                ));
            }
            lines[hour] = line;
            for p in Pollutant::ALL {
                day.hours[p.index()][hour] = values[p.index()].map_or(MISSING, |v| v as u32);
            }
            Ok(())
        })();
        if let Err(e) = checked {
            errors.push(e);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(stations
        .into_iter()
        .map(|(station, days)| HourlySeries {
            station,
            days: days.into_values().map(|(d, _)| d).collect(),
        })
        .collect())
}

/// Writes series in the qingshan hourly v1 layout (the inverse of [`parse_hourly_csv`]).
pub fn write_hourly_csv<W: std::io::Write>(
    series: &[HourlySeries],
    writer: W,
) -> Result<(), csv::Error> {
    let mut w = csv::Writer::from_writer(writer);
    w.write_record(QINGSHAN_V1_HEADER)?;
    for s in series {
        for d in &s.days {
            for h in 0..24 {
                if Pollutant::ALL.iter().all(|p| d.get(*p, h).is_none()) {
                    continue;
                }
                let mut row = vec![
                    s.station.clone(),
                    d.date.format("%Y-%m-%d").to_string(),
                    h.to_string(),
                ];
                for p in Pollutant::ALL {
                    row.push(
                        d.get(p, h)
                            .and_then(|v| from_scaled(v, 1))
                            .map_or(String::new(), |v| v.format_gbt8170(HOURLY_DECIMALS)),
                    );
                }
                w.write_record(&row)?;
            }
        }
    }
    w.flush()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_both_layouts() {
        let own = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-03-01,0,5,20,0.4,80,40,35.5\nA,2026-03-01,1,,,,,,NA\n";
        let s = parse_hourly_csv(own.as_bytes()).unwrap();
        assert_eq!(s.len(), 1);
        let d = &s[0].days[0];
        assert_eq!(d.get(Pollutant::Pm25, 0), Some(355_000));
        assert_eq!(d.get(Pollutant::Co, 0), Some(4_000));
        assert_eq!(d.get(Pollutant::Pm25, 1), None);
        let uci = "\"No\",\"year\",\"month\",\"day\",\"hour\",\"PM2.5\",\"PM10\",\"SO2\",\"NO2\",\"CO\",\"O3\",\"TEMP\",\"PRES\",\"DEWP\",\"RAIN\",\"wd\",\"WSPM\",\"station\"\r\n1,2013,3,1,0,4,4,4,7,300,77,-0.7,1023,-18.8,0,\"NNW\",4.4,\"Aotizhongxin\"\r\n2,2013,3,1,1,NA,8,6.2832,7,NA,77,-1.1,1023.2,-18.2,0,\"N\",4.7,\"Aotizhongxin\"\r\n";
        let s = parse_hourly_csv(uci.as_bytes()).unwrap();
        let d = &s[0].days[0];
        assert_eq!(s[0].station, "Aotizhongxin");
        assert_eq!(
            d.get(Pollutant::Co, 0),
            Some(3_000),
            "300 µg/m³ = 0.3 mg/m³"
        );
        assert_eq!(d.get(Pollutant::So2, 1), Some(62_832));
        assert_eq!(d.get(Pollutant::Pm25, 1), None);
        let big = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-03-01,0,5,20,0.4,80,40,429496.7295\n";
        let e = parse_hourly_csv(big.as_bytes()).unwrap_err();
        assert_eq!(
            (e.column.as_deref(), e.kind.code()),
            (Some("pm25"), "out_of_range")
        );
    }

    #[test]
    fn refuses_whole_file_naming_line_and_column() {
        let bad = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-03-01,0,5,20,0.4,80,40,35\nA,2026-03-01,1,5,-2,0.4,80,40,35\n";
        let e = parse_hourly_csv(bad.as_bytes()).unwrap_err();
        assert_eq!(
            (e.line, e.column.as_deref(), e.kind.code()),
            (3, Some("no2"), "bad_number")
        );
        let dup = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-03-01,0,5,20,0.4,80,40,35\nA,2026-03-01,0,5,2,0.4,80,40,35\n";
        let e = parse_hourly_csv(dup.as_bytes()).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Duplicate { first_line: 2 });
        assert_eq!(e.line, 3);
        let hour = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-03-01,24,5,20,0.4,80,40,35\n";
        assert_eq!(
            parse_hourly_csv(hour.as_bytes()).unwrap_err().kind.code(),
            "bad_hour"
        );
        let date = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-02-30,1,5,20,0.4,80,40,35\n";
        assert_eq!(
            parse_hourly_csv(date.as_bytes()).unwrap_err().kind.code(),
            "bad_date"
        );
        let fields = "station,date,hour,so2,no2,co,o3,pm10,pm25\nA,2026-02-03,1,5,20,0.4,80,40\n";
        assert_eq!(
            parse_hourly_csv(fields.as_bytes()).unwrap_err().kind.code(),
            "field_count"
        );
        assert_eq!(
            parse_hourly_csv("a,b\n".as_bytes())
                .unwrap_err()
                .kind
                .code(),
            "unknown_layout"
        );
        assert_eq!(
            parse_hourly_csv("".as_bytes()).unwrap_err().kind.code(),
            "empty"
        );
        let uci_co = "No,year,month,day,hour,PM2.5,PM10,SO2,NO2,CO,O3,TEMP,PRES,DEWP,RAIN,wd,WSPM,station\n1,2013,3,1,0,4,4,4,7,300.25,77,-0.7,1023,-18.8,0,NNW,4.4,X\n";
        let e = parse_hourly_csv(uci_co.as_bytes()).unwrap_err();
        assert_eq!(
            (e.column.as_deref(), e.kind.code()),
            (Some("CO"), "too_precise")
        );
        assert!(e.to_string().contains("line 2, column CO"));
    }
}
