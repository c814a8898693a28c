//! Water sample files uploaded from the web: read (CSV or XLSX) and stored all or nothing.
//!
//! The reading is the command line's `qingshan water import` reader (`crates/cli`'s
//! `water_cmd::read_samples`) brought down to the app so the pages can use it; the two are to
//! become one when the import rework (Chinese headers, every bad row listed) lands.

use qingshan_store::{Actor, ImportCounts, NewWaterSample, Store, WaterStoreError};
use qingshan_water::{Exact, Item};

use crate::imports::{ImportFile, WATER_SAMPLE_COLUMNS as SAMPLE_COLUMNS};
use crate::{Error, Result};

fn bad(message: impl Into<String>) -> Error {
    Error::invalid("file", message)
}

/// The code of an item cell: a GB 3838 table 1 code, or a table 2/3 item by code or name.
pub fn sample_item_code(cell: &str) -> Option<String> {
    use qingshan_water::drinking::{single_limit_item_by_code, single_limit_item_by_name};
    Item::from_code(cell)
        .map(|i| i.code().to_string())
        .or_else(|| {
            single_limit_item_by_code(cell)
                .or_else(|| single_limit_item_by_name(cell))
                .map(|i| i.code())
        })
}

/// Links an automatic station's device to a section (`water sections link`).
struct Table {
    rows: Vec<(u64, Vec<String>)>,
    file: ImportFile,
}

impl Table {
    /// `列 value`, with the column letter added for a workbook: `列 value（D 列）`.
    fn column(&self, name: &str) -> String {
        match self.file.letter(name) {
            Some(letter) => format!("列 {name}（{letter} 列）"),
            None => format!("列 {name}"),
        }
    }
}

/// Reads the records of an import file, checking the header against `columns`.
fn read_table(file: ImportFile, columns: &[&str]) -> Result<Table> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(file.csv());
    let header: Vec<String> = rdr
        .headers()
        .map_err(|_| bad("第 1 行：无法读取表头"))?
        .iter()
        .map(|h| h.trim_start_matches('\u{feff}').trim().to_string())
        .collect();
    let mut idx = Vec::with_capacity(columns.len());
    for name in columns {
        idx.push(header.iter().position(|h| h == name).ok_or_else(|| {
            bad(format!(
                "第 1 行：缺少列 {name}（应为 {}）",
                columns.join(",")
            ))
        })?);
    }
    if let Some(extra) = header.iter().find(|h| !columns.contains(&h.as_str())) {
        return Err(bad(format!(
            "第 1 行：未知列 {extra}（应为 {}）",
            columns.join(",")
        )));
    }
    let mut rows = Vec::new();
    for (i, rec) in rdr.records().enumerate() {
        let rec = rec.map_err(|_| bad("CSV 格式错误"))?;
        // Workbooks and decoded CSV files alike come one record per spreadsheet row (blank rows
        // kept as empty records), so the record count is the row a spreadsheet shows.
        let line = i as u64 + 2;
        if rec.iter().all(|f| f.trim().is_empty()) {
            continue;
        }
        if rec.len() != header.len() {
            return Err(bad(format!(
                "第 {line} 行：应有 {} 列，实有 {} 列",
                header.len(),
                rec.len()
            )));
        }
        let cells = idx
            .iter()
            .map(|i| rec.get(*i).unwrap_or("").trim().to_string())
            .collect();
        rows.push((line, cells));
    }
    Ok(Table { rows, file })
}

/// A sample file read: the results, the row of each, and the file for messages.
pub struct Samples {
    /// The results.
    pub samples: Vec<NewWaterSample>,
    /// Row number of each.
    pub lines: Vec<u64>,
    table: Table,
}

/// Reads the monthly sample file (CSV or XLSX); every cell is checked before anything is
/// written.
pub fn read_samples(file: ImportFile) -> Result<Samples> {
    let table = read_table(file, &SAMPLE_COLUMNS)?;
    let (mut samples, mut lines) = (Vec::new(), Vec::new());
    for (line, c) in &table.rows {
        let item = sample_item_code(&c[2]).ok_or_else(|| {
            bad(format!(
                "第 {line} 行，{}：未知监测项目「{}」",
                table.column("item"),
                c[2]
            ))
        })?;
        // `<DL` is how laboratories write a result below the detection limit DL.
        let (text, below_detection) = match c[3].strip_prefix('<') {
            Some(rest) => (rest.trim().to_string(), true),
            None => (c[3].clone(), false),
        };
        let value = Exact::parse(&text).map_err(|e| {
            bad(format!(
                "第 {line} 行，{}：不是数值「{}」（{e}）",
                table.column("value"),
                c[3]
            ))
        })?;
        if value.is_negative() {
            return Err(bad(format!(
                "第 {line} 行，{}：浓度不能为负「{}」",
                table.column("value"),
                c[3]
            )));
        }
        if below_detection && value.is_zero() {
            return Err(bad(format!(
                "第 {line} 行，{}：检出限必须大于 0「{}」",
                table.column("value"),
                c[3]
            )));
        }
        samples.push(NewWaterSample {
            section_code: c[0].clone(),
            date: c[1].clone(),
            item,
            value: text,
            below_detection,
            source: "import".to_string(),
        });
        lines.push(*line);
    }
    Ok(Samples {
        samples,
        lines,
        table,
    })
}

/// Reads an uploaded sample file and stores it in one transaction: a bad cell, an unknown
/// section or a file over the budget changes nothing. Rows identical to the stored results are
/// counted and not written.
pub async fn import_water_samples_file(
    store: &Store,
    actor: &Actor,
    bytes: Vec<u8>,
) -> Result<ImportCounts> {
    let file = ImportFile::from_bytes(bytes).map_err(|e| bad(e.to_string()))?;
    let read = read_samples(file)?;
    if read.samples.is_empty() {
        return Err(bad("文件中没有监测结果"));
    }
    match store
        .import_water_samples_changes(&read.samples, actor)
        .await
    {
        Ok((_, counts)) => Ok(counts),
        Err(WaterStoreError::Invalid {
            row,
            column,
            message,
        }) => {
            let line = read.lines.get(row.saturating_sub(1)).copied().unwrap_or(0);
            Err(bad(format!(
                "第 {line} 行，{}：{message}",
                read.table.column(&column)
            )))
        }
        Err(WaterStoreError::Store(qingshan_store::StoreError::NotFound(m))) => Err(bad(m)),
        Err(WaterStoreError::Store(e)) => Err(Error::Store(e)),
    }
}
