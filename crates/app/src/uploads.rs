//! Monitoring data uploaded from the web: an air hourly file read and stored all or nothing,
//! and the template staff fill in. The file is read by the same parser as the command line's
//! `qingshan air import` (`qingshan_air::parse_hourly_csv`, after `ImportFile` has turned a
//! workbook or a non-UTF-8 CSV into UTF-8 CSV).

use qingshan_store::{Actor, AirError, AirImportSummary, Store};

use crate::imports::{ImportFile, TemplateColumn, TemplateNotes};
use crate::{Error, Result};

const fn col(name: &'static str, meaning: &'static str, text: bool, width: f64) -> TemplateColumn {
    TemplateColumn {
        name,
        meaning,
        text,
        width,
    }
}

/// The air hourly file's columns (qingshan hourly v1) with their meanings.
pub const AIR_HOURLY_TEMPLATE: [TemplateColumn; 9] = [
    col("station", "站点编码（须已登记）；必填", true, 12.0),
    col("date", "日期（YYYY-MM-DD）；必填", true, 12.0),
    col(
        "hour",
        "时次 0–23（小时开始时刻：0 表示 0:00–1:00）；必填",
        false,
        8.0,
    ),
    col("so2", "二氧化硫 SO2，µg/m³；缺测留空或写 NA", false, 10.0),
    col("no2", "二氧化氮 NO2，µg/m³", false, 10.0),
    col("co", "一氧化碳 CO，mg/m³", false, 10.0),
    col("o3", "臭氧 O3 1 小时平均，µg/m³", false, 10.0),
    col("pm10", "颗粒物 PM10，µg/m³", false, 10.0),
    col("pm25", "细颗粒物 PM2.5，µg/m³", false, 10.0),
];

/// Notes of the air hourly template.
pub fn air_hourly_notes() -> TemplateNotes {
    TemplateNotes {
        notes: vec![
            "第 1 行是列名，请勿修改或删除；从第 2 行起每行一个站点一个小时。".into(),
            "导入时只读取第一个工作表（本“说明”表不会被导入）；也可另存为 CSV（UTF-8）后导入。"
                .into(),
            "全部成功或全部不导入：任何一行有误，整个文件都不会写入。".into(),
            "数值为非负小数，最多 4 位小数；同一站点同一小时再次导入时记为新的修订版本，原值保留。"
                .into(),
        ],
        codes: None,
    }
}

/// Reads an uploaded air hourly file (CSV or XLSX) and stores it in one transaction: a bad
/// row, an unregistered station or a file over the budget changes nothing.
pub async fn import_air_hourly_file(
    store: &Store,
    actor: &Actor,
    bytes: Vec<u8>,
) -> Result<AirImportSummary> {
    let file = ImportFile::from_bytes(bytes).map_err(|e| Error::invalid("file", e.to_string()))?;
    let series = qingshan_air::parse_hourly_csv(file.csv())
        .map_err(|e| Error::invalid("file", format!("文件有误，未导入：{e}")))?;
    let rows = crate::air::hours_from_series(&series, "import");
    if rows.is_empty() {
        return Err(Error::invalid("file", "文件中没有小时数据"));
    }
    store
        .import_air_hourly(&rows, actor)
        .await
        .map_err(|e| match e {
            AirError::Invalid { message, .. } => {
                Error::invalid("file", format!("数据有误，未导入：{message}"))
            }
            AirError::Store(qingshan_store::StoreError::NotFound(m)) => {
                Error::invalid("file", format!("数据有误，未导入：{m}"))
            }
            AirError::Store(s) => Error::Store(s),
        })
}
