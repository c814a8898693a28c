//! The air imports: the station registry and hourly data, read with Chinese headers or codes,
//! every bad row listed, and stored all or nothing.

use qingshan_air::{HourlySeries, ParseError, ParseErrorKind};
use qingshan_store::{AIR_CONTROL_LEVELS, Actor, AirError, AirImportSummary, AirStation, Store};
use qingshan_tabular::headers::{Header, fold, match_header};

use super::{
    AIR_HOURLY_TEMPLATE, AIR_STATION_TEMPLATE, ImportFile, RowErrors, Table, store_refusal,
};
use crate::Result;

/// A station file read: the stations, the row of each, and the file for messages.
#[derive(Debug)]
pub struct Stations {
    /// The stations.
    pub stations: Vec<AirStation>,
    /// Row number of each.
    pub rows: Vec<u64>,
    file: ImportFile,
}

/// A control level as stored (`国控`, `省控`, `县控`), from what a spreadsheet may say.
fn control_level(cell: &str) -> Option<&'static str> {
    let f = fold(cell);
    let f = f.strip_suffix("站").unwrap_or(&f);
    match f {
        "国控" | "国家" | "national" => Some(AIR_CONTROL_LEVELS[0]),
        "省控" | "省级" | "provincial" => Some(AIR_CONTROL_LEVELS[1]),
        "县控" | "县级" | "county" => Some(AIR_CONTROL_LEVELS[2]),
        _ => None,
    }
}

/// Whether `cell` is a longitude or latitude within `max` degrees.
fn coordinate(cell: &str, max: f64) -> bool {
    cell.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
        && cell.parse::<f64>().is_ok_and(|x| x.abs() <= max)
}

/// Reads a station file (CSV or XLSX; Chinese headers or codes), listing every bad row.
pub fn read_stations(file: ImportFile) -> Result<Stations, RowErrors> {
    let file = file.with_headers(&AIR_STATION_TEMPLATE)?;
    let table = Table::read(&file, &super::AIR_STATION_COLUMNS)?;
    let mut errors = RowErrors::default();
    let (mut stations, mut rows) = (Vec::new(), Vec::new());
    for r in &table.rows {
        let mut ok = true;
        let mut bad = |column: &str, message: String| {
            errors.cell(r.row, &file, column, message);
            ok = false;
        };
        if r.get("code").is_empty() {
            bad("code", "不能为空".into());
        }
        if r.get("name").is_empty() {
            bad("name", "不能为空".into());
        }
        let level = control_level(r.get("level"));
        if level.is_none() {
            bad(
                "level",
                format!("应为 国控、省控 或 县控，而不是「{}」", r.get("level")),
            );
        }
        let division = r.get("division_code");
        if !division.is_empty()
            && (division.len() != 6 || !division.bytes().all(|b| b.is_ascii_digit()))
        {
            bad(
                "division_code",
                format!("应为 6 位数字，而不是「{division}」"),
            );
        }
        for (column, max) in [("longitude", 180.0), ("latitude", 90.0)] {
            let v = r.get(column);
            if !v.is_empty() && !coordinate(v, max) {
                bad(column, format!("不是有效的经纬度（「{v}」）"));
            }
        }
        if ok {
            stations.push(AirStation {
                code: r.get("code").to_string(),
                name: r.get("name").to_string(),
                control_level: level.unwrap_or_default().to_string(),
                division_code: r.opt("division_code"),
                longitude: r.opt("longitude"),
                latitude: r.opt("latitude"),
            });
            rows.push(r.row);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Stations {
        stations,
        rows,
        file,
    })
}

/// What is wrong, in Chinese, for an hourly file's error.
fn hourly_message(kind: &ParseErrorKind) -> String {
    match kind {
        ParseErrorKind::UnknownLayout => format!(
            "表头无法识别：应为 {}（列的顺序不限），或 UCI 北京多站点数据的原表头",
            AIR_HOURLY_TEMPLATE
                .iter()
                .map(|c| c.zh)
                .collect::<Vec<_>>()
                .join("、")
        ),
        ParseErrorKind::Empty => "文件是空的，没有表头行".into(),
        ParseErrorKind::FieldCount { expected, found } => {
            format!("应有 {expected} 列，实有 {found} 列")
        }
        ParseErrorKind::BadNumber(s) => format!("不是有效的非负数（「{}」）", clip(s)),
        ParseErrorKind::TooPrecise(s) => format!("小数超过 4 位（「{}」）", clip(s)),
        ParseErrorKind::OutOfRange(s) => format!("数值超出范围（「{}」）", clip(s)),
        ParseErrorKind::BadDate(s) => format!("不是有效日期（「{}」，应为 YYYY-MM-DD）", clip(s)),
        ParseErrorKind::BadHour(s) => format!("小时应为 0–23 的整数（「{}」）", clip(s)),
        ParseErrorKind::EmptyStation => "不能为空".into(),
        ParseErrorKind::Duplicate { first_line } => {
            format!("同一站点同一小时已在第 {first_line} 行出现")
        }
        ParseErrorKind::Csv(_) => "CSV 格式错误（引号不成对或编码有误）".into(),
    }
}

fn clip(s: &str) -> String {
    qingshan_tabular::preview(s).into_owned()
}

/// The hourly parser's errors as rows to list; with `time` (the header of a 监测时间 column
/// split into date and hour), errors in either are named by it.
fn hourly_errors(errors: Vec<ParseError>, file: &ImportFile, time: Option<&str>) -> RowErrors {
    let mut out = RowErrors::default();
    for e in errors {
        match (e.column.as_deref(), time) {
            (Some("date" | "hour"), Some(t)) => {
                out.push(e.line, Some(t.to_string()), hourly_message(&e.kind));
            }
            (Some(c), _) => out.cell(e.line, file, c, hourly_message(&e.kind)),
            (None, _) => out.push(e.line, None, hourly_message(&e.kind)),
        }
    }
    out
}

/// The one-column time a monitoring platform exports (`监测时间`), as `YYYY-MM-DD` and hour:
/// `2024-01-05 13:00`, `2024-01-05 13:00:00`, `2024/1/5 13:00`, `2024-01-05T13`. Anything
/// else stays whole in the date, for the reader to refuse.
fn split_time(cell: &str) -> (String, String) {
    let t = cell.trim();
    let (date, time) = match t.split_once([' ', 'T']) {
        Some((d, h)) => (d.trim(), h.trim()),
        None => return (t.to_string(), String::new()),
    };
    let parts: Vec<&str> = date.split(['-', '/']).collect();
    let date = match parts.as_slice() {
        [y, m, d] if y.len() == 4 => match (m.parse::<u32>(), d.parse::<u32>()) {
            (Ok(m), Ok(d)) => format!("{y}-{m:02}-{d:02}"),
            _ => date.to_string(),
        },
        _ => date.to_string(),
    };
    let hour = time.split(':').next().unwrap_or("");
    let hour = hour.trim_start_matches('0');
    let hour = if hour.is_empty() { "0" } else { hour };
    (date, hour.to_string())
}

/// The time column's header of the hourly file.
const TIME: Header = Header {
    code: "time",
    zh: "监测时间",
};

/// Reads an hourly data file (CSV or XLSX): the qingshan hourly layout with Chinese headers or
/// codes — the time as 监测日期 and 小时, or as one 监测时间 column (`2024-01-05 13:00`, the hour
/// the hourly value starts) — or the UCI Beijing multi-site layout as published. Every bad row
/// is listed.
pub fn read_hourly(file: ImportFile) -> Result<Vec<HourlySeries>, RowErrors> {
    if file.csv().starts_with(b"No,year,month,day,hour,") {
        return qingshan_air::parse_hourly_csv_all(file.csv())
            .map_err(|e| hourly_errors(e, &file, None));
    }
    let file = file.with_headers_or(&AIR_HOURLY_TEMPLATE, |cell| {
        match_header(cell, &[TIME]).map(|_| TIME.code.to_string())
    })?;
    let codes = file.codes();
    let Some(t) = codes.iter().position(|c| c == TIME.code) else {
        return qingshan_air::parse_hourly_csv_all(file.csv())
            .map_err(|e| hourly_errors(e, &file, None));
    };
    if codes.iter().any(|c| c == "date" || c == "hour") {
        return Err(RowErrors::one(
            1,
            Some(file.header(TIME.code)),
            "已有「监测时间」列时不能再有「监测日期」「小时」列",
        ));
    }
    // Split the time into the reader's date and hour columns.
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(file.csv());
    let mut w = csv::Writer::from_writer(Vec::with_capacity(file.csv().len() + 1024));
    for (i, rec) in rdr.records().enumerate() {
        let row = i as u64 + 1;
        let rec =
            rec.map_err(|_| RowErrors::one(row, None, "CSV 格式错误（引号不成对或编码有误）"))?;
        let blank = rec.iter().all(|c| c.trim().is_empty());
        let mut out: Vec<String> = Vec::with_capacity(rec.len() + 1);
        for (j, cell) in rec.iter().enumerate() {
            if j != t {
                out.push(cell.to_string());
            } else if i == 0 {
                out.extend(["date".to_string(), "hour".to_string()]);
            } else if blank {
                out.extend([String::new(), String::new()]);
            } else {
                let (d, h) = split_time(cell);
                out.extend([d, h]);
            }
        }
        w.write_record(&out)
            .map_err(|_| RowErrors::one(row, None, "无法读取"))?;
    }
    let csv = w
        .into_inner()
        .map_err(|_| RowErrors::one(1, None, "无法读取"))?;
    let header = file.header(TIME.code);
    qingshan_air::parse_hourly_csv_all(&csv[..]).map_err(|e| hourly_errors(e, &file, Some(&header)))
}

/// Reads and stores a station file, all or nothing; returns how many stations were written.
pub async fn import_stations(store: &Store, actor: &Actor, file: ImportFile) -> Result<usize> {
    let read = read_stations(file)?;
    store
        .upsert_air_stations(&read.stations, actor)
        .await
        .map_err(|e| match e {
            AirError::Invalid {
                row,
                column,
                message,
            } => store_refusal(&read.rows, &read.file, row, &column, message),
            AirError::Store(s) => crate::Error::Store(s),
        })
}

/// Reads and stores an hourly data file, all or nothing.
pub async fn import_hourly(
    store: &Store,
    actor: &Actor,
    file: ImportFile,
) -> Result<AirImportSummary> {
    let series = read_hourly(file)?;
    let rows = crate::air::hours_from_series(&series, "import");
    store
        .import_air_hourly(&rows, actor)
        .await
        .map_err(|e| match e {
            AirError::Invalid {
                column, message, ..
            } => crate::Error::invalid("file", format!("{column}：{message}")),
            // An unregistered station named in the file is the file's fault, not a missing page.
            AirError::Store(qingshan_store::StoreError::NotFound(m)) => {
                crate::Error::invalid("file", format!("文件有误，未导入：{m}"))
            }
            AirError::Store(s) => crate::Error::Store(s),
        })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn file(text: &str) -> ImportFile {
        ImportFile::from_bytes(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn stations_with_chinese_headers() {
        let s = read_stations(file(
            "站点编码,站点名称,控制级别,行政区划代码,经度（°）,纬度\n1001A,忻州市监测站,国控,140902,112.73,38.42\n",
        ))
        .unwrap();
        assert_eq!(s.stations[0].control_level, "国控");
        assert_eq!(s.stations[0].longitude.as_deref(), Some("112.73"));
        let e = read_stations(file(
            "code,name,level,division_code,longitude,latitude\n,a,国控,,,\nB,b,村控,,,\nC,c,省控站,,,\n",
        ))
        .unwrap_err();
        assert_eq!(e.total(), 2, "{e}");
        assert_eq!(e.errors[0].to_string(), "第 2 行「站点编码」列：不能为空");
    }

    #[test]
    fn hourly_with_chinese_headers_and_units() {
        let s = read_hourly(file(
            "站点编码,监测日期,小时,SO2（μg/m³）,NO2(μg/m³),CO（mg/m³）,O3,PM10,PM2.5（μg/m³）\nA,2024-01-01,0,5,20,0.6,40,80,55\n",
        ))
        .unwrap();
        assert_eq!(s[0].station, "A");
        let rows = crate::air::hours_from_series(&s, "import");
        assert_eq!(rows[0].values[5].as_deref(), Some("55"));
    }

    #[test]
    fn hourly_with_one_time_column() {
        let s = read_hourly(file(
            "站点编码,监测时间,SO2,NO2,CO,O3,PM10,PM2.5\nA,2024-01-01 00:00,5,20,0.6,40,80,55\nA,2024/1/1 13:00:00,6,20,0.6,40,80,56\n",
        ))
        .unwrap();
        assert_eq!(s[0].days.len(), 1);
        let rows = crate::air::hours_from_series(&s, "import");
        let hours: Vec<&str> = rows.iter().map(|r| r.hour.as_str()).collect();
        assert_eq!(hours, ["2024-01-01T00:00", "2024-01-01T13:00"]);
        let e = read_hourly(file(
            "站点编码,监测时间,SO2,NO2,CO,O3,PM10,PM2.5\nA,昨天,5,20,0.6,40,80,55\nA,2024-01-01 25:00,5,20,0.6,40,80,55\n",
        ))
        .unwrap_err();
        assert_eq!(e.errors.len(), 2, "{e}");
        assert!(
            e.errors
                .iter()
                .all(|x| x.column.as_deref() == Some("监测时间")),
            "{e}"
        );
    }

    #[test]
    fn every_bad_hourly_row_is_listed_in_chinese() {
        let e = read_hourly(file(
            "站点编码,监测日期,小时,SO2,NO2,CO,O3,PM10,PM2.5\nA,2024-01-01,0,x,20,0.6,40,80,55\nA,2024-01-01,24,5,20,0.6,40,80,55\nA,2024-02-30,1,5,20,0.6,40,80,55\nA,2024-01-01,0,5,20,0.6,40,80,55\n",
        ))
        .unwrap_err();
        let lines = e.lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert_eq!(
            lines[0],
            "第 2 行「SO2（μg/m³）」列：不是有效的非负数（「x」）"
        );
        assert!(lines[1].starts_with("第 3 行「小时」列："), "{}", lines[1]);
        assert!(
            lines[2].starts_with("第 4 行「监测日期」列："),
            "{}",
            lines[2]
        );
    }
}
