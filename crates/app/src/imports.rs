//! Import files as they arrive from a form, the API or the command line, and the templates to
//! fill in.
//!
//! A file is CSV as given, or an XLSX workbook (recognised by its content, whatever its name)
//! whose first sheet is rendered as CSV by `qingshan_tabular`. Either way one CSV reader per
//! kind of file checks it, so the rules, the all-or-nothing behaviour and the row numbers (the
//! spreadsheet's, header = row 1) are the same; errors from a workbook also name the column
//! letter.

use qingshan_plan::Plan;
use qingshan_plan::values::{ValueRow, ValuesError};
use qingshan_sources::{Registry, RegistryError};
use qingshan_tabular::headers::Header;
use qingshan_tabular::{Sheet, TabularError};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

pub mod air;
pub mod heavy;
pub mod water;

/// An import file's content, ready for a CSV reader.
#[derive(Debug, Clone)]
pub struct ImportFile {
    csv: Vec<u8>,
    sheet: Option<Sheet>,
    /// After [`ImportFile::with_headers`]: each column's code and the header as written.
    columns: Vec<(String, String)>,
    table: &'static [TemplateColumn],
}

impl ImportFile {
    /// Takes a file's bytes through [`qingshan_tabular::read_import`] within its default
    /// budget: an XLSX workbook's first sheet, or a CSV file in UTF-8, UTF-16 or GBK, as CSV
    /// with one record per spreadsheet row. Bombs, other encodings, the old binary `.xls`
    /// format and encrypted workbooks are refused in Chinese.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<ImportFile, TabularError> {
        let import = qingshan_tabular::read_import(&bytes, &qingshan_tabular::Limits::default())?;
        Ok(ImportFile {
            csv: import.to_csv().into_bytes(),
            sheet: import.is_xlsx().then(|| import.into_sheet()),
            columns: Vec::new(),
            table: &[],
        })
    }

    /// The file with its header row rewritten to the codes of `table`: each header may be the
    /// column's Chinese header or its code ([`qingshan_tabular::headers::match_header`]).
    /// Unknown and repeated columns are refused, each named, with the accepted headers listed.
    pub fn with_headers(self, table: &'static [TemplateColumn]) -> Result<ImportFile, RowErrors> {
        self.with_headers_or(table, |_| None)
    }

    /// As [`ImportFile::with_headers`], with `extra` naming the code of a header the table does
    /// not have (a water item's column, `氨氮` → `NH3N`).
    pub fn with_headers_or(
        mut self,
        table: &'static [TemplateColumn],
        extra: impl Fn(&str) -> Option<String>,
    ) -> Result<ImportFile, RowErrors> {
        let headers: Vec<Header> = table.iter().map(TemplateColumn::header).collect();
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .from_reader(&self.csv[..]);
        let mut rec = csv::StringRecord::new();
        match rdr.read_record(&mut rec) {
            Ok(true) => {}
            Ok(false) => return Err(RowErrors::one(1, None, "文件是空的，没有表头行")),
            Err(_) => return Err(RowErrors::one(1, None, "表头行无法读取（CSV 格式错误）")),
        }
        let rest = usize::try_from(rdr.position().byte()).unwrap_or(self.csv.len());
        let mut errors = RowErrors::default();
        let mut columns: Vec<(String, String)> = Vec::with_capacity(rec.len());
        for cell in rec.iter() {
            let written =
                qingshan_tabular::preview(cell.trim_start_matches('\u{feff}').trim()).into_owned();
            let code = match qingshan_tabular::headers::match_header(cell, &headers) {
                Some(i) => Some(table[i].name.to_string()),
                None => extra(cell),
            };
            match code {
                Some(code) => {
                    if columns.iter().any(|(c, _)| *c == code) {
                        errors.push(1, Some(written.clone()), "列重复（同一列出现了两次）");
                    }
                    columns.push((code, written));
                }
                None if written.is_empty() => {
                    errors.push(1, None, format!("第 {} 列没有列名", columns.len() + 1));
                    columns.push((String::new(), written));
                }
                None => {
                    errors.push(
                        1,
                        Some(written.clone()),
                        format!(
                            "未知列；可用的列名：{}",
                            qingshan_tabular::headers::accepted(&headers)
                        ),
                    );
                    columns.push((String::new(), written));
                }
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut w = csv::Writer::from_writer(Vec::with_capacity(self.csv.len() + 64));
        w.write_record(columns.iter().map(|(c, _)| c.as_str()))
            .map_err(|_| RowErrors::one(1, None, "表头行无法改写"))?;
        let mut out = w
            .into_inner()
            .map_err(|_| RowErrors::one(1, None, "表头行无法改写"))?;
        out.extend_from_slice(self.csv.get(rest..).unwrap_or_default());
        self.csv = out;
        self.columns = columns;
        self.table = table;
        Ok(self)
    }

    /// The column codes of the header row, after [`ImportFile::with_headers`].
    pub fn codes(&self) -> Vec<String> {
        self.columns.iter().map(|(c, _)| c.clone()).collect()
    }

    /// The content as CSV.
    pub fn csv(&self) -> &[u8] {
        &self.csv
    }

    /// Whether the file was an XLSX workbook.
    pub fn is_xlsx(&self) -> bool {
        self.sheet.is_some()
    }

    /// The column letter of the column whose code is `column`, in a workbook.
    pub fn letter(&self, column: &str) -> Option<String> {
        let sheet = self.sheet.as_ref()?;
        match self.columns.iter().position(|(c, _)| c == column) {
            Some(i) => Some(qingshan_tabular::column_letter(i)),
            None => sheet
                .header_column(column)
                .map(qingshan_tabular::column_letter),
        }
    }

    /// The Chinese header of the column whose code is `column` (the header as written for a
    /// column the table does not have, such as a water item's).
    pub fn header(&self, column: &str) -> String {
        match self.table.iter().find(|c| c.name == column) {
            Some(c) => c.zh.to_string(),
            None => self
                .columns
                .iter()
                .find(|(c, _)| c == column)
                .map_or_else(|| column.to_string(), |(_, w)| w.clone()),
        }
    }

    /// A column as messages name it: its Chinese header, with `（D 列）` added in a workbook.
    pub fn column_label(&self, column: &str) -> String {
        let header = self.header(column);
        match self.letter(column) {
            Some(letter) => format!("{header}（{letter} 列）"),
            None => header,
        }
    }

    /// `message` with every `「code」` of the table's columns shown as `「中文列名」`.
    fn in_chinese(&self, message: &str) -> String {
        let mut m = message.to_string();
        for c in self.table {
            m = m.replace(&format!("「{}」", c.name), &format!("「{}」", c.zh));
        }
        m
    }
}

/// The records of an import file whose header row [`ImportFile::with_headers`] has rewritten,
/// blank rows skipped (still counted).
#[derive(Debug)]
pub(crate) struct Table {
    pub(crate) rows: Vec<TableRow>,
}

/// One record of a [`Table`]: its row number and its trimmed cells by column code.
#[derive(Debug)]
pub(crate) struct TableRow {
    pub(crate) row: u64,
    cells: Vec<(String, String)>,
}

impl TableRow {
    /// The trimmed cell of column `code`; empty when the file has no such column.
    pub(crate) fn get(&self, code: &str) -> &str {
        self.cells
            .iter()
            .find(|(c, _)| c == code)
            .map_or("", |(_, v)| v.as_str())
    }

    /// The cell, `None` when empty.
    pub(crate) fn opt(&self, code: &str) -> Option<String> {
        Some(self.get(code).to_string()).filter(|v| !v.is_empty())
    }
}

impl Table {
    /// Reads the records, refusing a file without one of the `required` columns, and listing
    /// every row with the wrong number of cells.
    pub(crate) fn read(file: &ImportFile, required: &[&str]) -> Result<Table, RowErrors> {
        let codes = file.codes();
        let mut errors = RowErrors::default();
        for r in required {
            if !codes.iter().any(|c| c == r) {
                errors.push(1, None, format!("缺少必需列「{}」", file.header(r)));
            }
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let mut rdr = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(true)
            .from_reader(file.csv());
        let mut rows = Vec::new();
        for (i, rec) in rdr.records().enumerate() {
            // One record per spreadsheet row (blank rows kept as empty records), so the record
            // count is the row a spreadsheet shows.
            let row = i as u64 + 2;
            let rec = match rec {
                Ok(r) => r,
                Err(_) => {
                    errors.push(row, None, "CSV 格式错误（引号不成对或编码有误）");
                    continue;
                }
            };
            if rec.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            if rec.len() != codes.len() {
                errors.push(
                    row,
                    None,
                    format!("应有 {} 列，实有 {} 列", codes.len(), rec.len()),
                );
                continue;
            }
            let cells = codes
                .iter()
                .zip(rec.iter())
                .map(|(c, v)| (c.clone(), v.trim().to_string()))
                .collect();
            rows.push(TableRow { row, cells });
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Table { rows })
    }
}

/// Whether `s` is a calendar date written `YYYY-MM-DD`.
pub(crate) fn is_iso_date(s: &str) -> bool {
    s.len() == 10 && chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

/// A store's refusal of record `record` (1-based, in the order given) of a batch read from
/// `file`, where `rows[i]` is the file row of record i + 1.
pub(crate) fn store_refusal(
    rows: &[u64],
    file: &ImportFile,
    record: usize,
    column: &str,
    message: String,
) -> crate::Error {
    let row = rows.get(record.saturating_sub(1)).copied().unwrap_or(0);
    let mut e = RowErrors::default();
    e.cell(row, file, column, message);
    crate::Error::Rows(e)
}

/// The registry reader's errors as rows to list.
pub fn registry_errors(errors: Vec<RegistryError>, file: &ImportFile) -> RowErrors {
    let mut out = RowErrors::default();
    for e in errors {
        match e {
            RegistryError::Cell {
                row,
                column,
                message,
            } => out.cell(row, file, &column, file.in_chinese(&message)),
            RegistryError::Csv { row, message } => out.push(row, None, message),
            RegistryError::Header(message) => out.push(1, None, file.in_chinese(&message)),
        }
    }
    out
}

/// The values reader's errors as rows to list.
pub fn values_errors(errors: Vec<ValuesError>, file: &ImportFile) -> RowErrors {
    let mut out = RowErrors::default();
    for e in errors {
        if e.column.starts_with('(') {
            out.push(e.row, None, e.message);
        } else {
            out.cell(e.row, file, &e.column, file.in_chinese(&e.message));
        }
    }
    out
}

/// Reads a values file (Chinese headers or codes) against the plan, listing every bad row.
pub fn read_values(file: ImportFile, plan: &Plan) -> Result<Vec<ValueRow>, RowErrors> {
    let file = file.with_headers(&VALUES_TEMPLATE)?;
    qingshan_plan::values::read_values_all(file.csv(), plan).map_err(|e| values_errors(e, &file))
}

/// Reads a registry file (Chinese headers or codes), listing every bad row.
pub fn read_registry(file: ImportFile) -> Result<Registry, RowErrors> {
    let file = file.with_headers(&REGISTRY_TEMPLATE)?;
    qingshan_sources::read_registry_all(file.csv()).map_err(|e| registry_errors(e, &file))
}

/// One column of an import: its code and Chinese header (which the reader accepts, and which the
/// template writes), and what the template's 说明 sheet says of it.
#[derive(Debug, Clone, Copy)]
pub struct TemplateColumn {
    /// The code the reader uses (`credit_code`); accepted as a header too.
    pub name: &'static str,
    /// The Chinese header, with the unit where the column has one (`PM2.5（μg/m³）`).
    pub zh: &'static str,
    /// What goes in it, in Chinese, for the 说明 sheet.
    pub meaning: &'static str,
    /// Formatted as text, so a spreadsheet keeps leading zeros, long digit strings, dates and
    /// trailing zeros exactly as typed instead of turning them into numbers.
    pub text: bool,
    /// Column width in characters.
    pub width: f64,
}

const fn col(
    name: &'static str,
    zh: &'static str,
    meaning: &'static str,
    text: bool,
    width: f64,
) -> TemplateColumn {
    TemplateColumn {
        name,
        zh,
        meaning,
        text,
        width,
    }
}

impl TemplateColumn {
    /// The column's header pair, for the matcher.
    pub const fn header(&self) -> Header {
        Header {
            code: self.name,
            zh: self.zh,
        }
    }
}

/// The registry file's columns ([`qingshan_sources::REGISTRY_COLUMNS`], in order) with their meanings.
pub const REGISTRY_TEMPLATE: [TemplateColumn; 24] = [
    col(
        "credit_code",
        "统一社会信用代码",
        "排污单位统一社会信用代码（18 位，含校验位）；必填",
        true,
        22.0,
    ),
    col(
        "enterprise_name",
        "排污单位名称",
        "排污单位名称；必填",
        false,
        28.0,
    ),
    col(
        "division_code",
        "行政区划代码",
        "所在县（市、区）行政区划代码（GB/T 2260，6 位数字）",
        true,
        14.0,
    ),
    col("industry", "行业", "行业", false, 12.0),
    col("address", "地址", "地址", false, 28.0),
    col("longitude", "经度", "经度（十进制度）", false, 12.0),
    col("latitude", "纬度", "纬度（十进制度）", false, 12.0),
    col(
        "permit_class",
        "排污许可管理类别",
        "固定污染源排污许可分类管理名录中的类别：重点管理、简化管理 或 登记管理（前两类须持证，指标 23 排污许可证覆盖率据此计算）；留空则不计入该指标",
        false,
        16.0,
    ),
    col(
        "outlet_code",
        "排放口编号",
        "排放口编号（如 DA001 废气、DW001 废水）；必填",
        true,
        12.0,
    ),
    col("outlet_name", "排放口名称", "排放口名称；必填", false, 16.0),
    col(
        "outlet_kind",
        "排放口类型",
        "排放口类型：废气 或 废水（也可填 gas、water）；必填",
        false,
        12.0,
    ),
    col(
        "mn",
        "数采仪MN号",
        "数采仪 MN 号（设备唯一标识，不超过 24 位字母数字）；必填",
        true,
        28.0,
    ),
    col(
        "protocol",
        "协议版本",
        "HJ 212 协议版本：2005、2017 或 2025；必填",
        true,
        10.0,
    ),
    col(
        "crc_policy",
        "CRC校验策略",
        "CRC 校验策略：strict（只认标准算法）或 field（兼容现场常见变体）；必填",
        false,
        12.0,
    ),
    col(
        "password",
        "设备密码",
        "设备访问密码 PW（不超过 32 个字符，不含 ; & , =）；必填",
        true,
        12.0,
    ),
    col(
        "interval_secs",
        "上报周期（秒）",
        "数据上报周期（秒，正整数；空白按 60）",
        false,
        14.0,
    ),
    col(
        "permit_number",
        "排污许可证编号",
        "排污许可证编号；填写因子限值时必填",
        true,
        22.0,
    ),
    col(
        "permit_valid_from",
        "许可证有效期起",
        "许可证有效期起（YYYY-MM-DD）；有许可证编号时必填",
        true,
        18.0,
    ),
    col(
        "permit_valid_to",
        "许可证有效期止",
        "许可证有效期止（YYYY-MM-DD）；有许可证编号时必填",
        true,
        18.0,
    ),
    col(
        "factor_code",
        "监测因子编码",
        "监测因子编码（HJ 212-2017，如 a21026 二氧化硫、w01018 化学需氧量）",
        true,
        12.0,
    ),
    col(
        "hourly_limit",
        "小时浓度限值",
        "小时浓度限值（许可排放浓度）",
        false,
        14.0,
    ),
    col(
        "use_converted",
        "按折算值判定",
        "是否按折算值判定：是/否（或 1/0、true/false；空白为否）",
        false,
        14.0,
    ),
    col(
        "reference_o2",
        "基准氧含量（%）",
        "基准氧含量（%）；按折算值判定时必填",
        false,
        14.0,
    ),
    col(
        "annual_total_t",
        "年许可排放量（吨/年）",
        "年许可排放量（吨/年）",
        false,
        16.0,
    ),
];

/// The values file's columns ([`qingshan_plan::values::VALUE_COLUMNS`], in order) with their meanings.
pub const VALUES_TEMPLATE: [TemplateColumn; 6] = [
    col(
        "indicator",
        "指标序号",
        "指标序号（见规划指标表）；必填",
        false,
        10.0,
    ),
    col(
        "year",
        "年份",
        "年份（四位数字，在规划基准年至目标年之间）；必填",
        false,
        8.0,
    ),
    col(
        "division",
        "行政区划代码",
        "行政区划代码（GB/T 2260，6 位）；空白为规划所属行政区（全市）",
        true,
        12.0,
    ),
    col(
        "value",
        "数值",
        "数值（按原样保留有效数字，如 60.10；以 % 计的指标填 0–100 的数，不带 %）；必填",
        true,
        14.0,
    ),
    col("note", "备注", "备注", false, 30.0),
    col(
        "reason",
        "修订原因",
        "修订原因（更改已有数值时填写）",
        false,
        30.0,
    ),
];

/// The columns of the surface-water monthly sample file (long layout: one result a row).
pub const WATER_SAMPLE_COLUMNS: [&str; 4] = ["section", "date", "item", "value"];

/// The water sample file's columns ([`WATER_SAMPLE_COLUMNS`], in order) with their meanings.
/// A file may instead carry one column per item (wide layout), headed by the item's Chinese
/// name or code (`氨氮`, `NH3-N`, `总磷（mg/L）`).
pub const WATER_SAMPLE_TEMPLATE: [TemplateColumn; 4] = [
    col(
        "section",
        "断面编码",
        "断面编码（须已登记）；必填",
        true,
        14.0,
    ),
    col(
        "date",
        "采样日期",
        "采样日期（YYYY-MM-DD）；必填",
        true,
        14.0,
    ),
    col(
        "item",
        "监测项目",
        "监测项目名称或代码（如 氨氮、NH3-N、总磷，见下表）；必填",
        true,
        16.0,
    ),
    col(
        "value",
        "监测结果",
        "监测结果，按 GB 3838-2002 的单位（见下表），按原样保留有效数字；低于检出限写作 <检出限，如 <0.01；必填",
        true,
        14.0,
    ),
];

/// The water section file's columns, every one required (in any order).
pub const WATER_SECTION_COLUMNS: [&str; 8] = [
    "code",
    "name",
    "level",
    "water_body",
    "basin",
    "division_code",
    "target_class",
    "drinking_source",
];

/// The air station file's columns, every one required (in any order).
pub const AIR_STATION_COLUMNS: [&str; 6] = [
    "code",
    "name",
    "level",
    "division_code",
    "longitude",
    "latitude",
];

/// The water section file's columns ([`WATER_SECTION_COLUMNS`]) with their meanings.
pub const WATER_SECTION_TEMPLATE: [TemplateColumn; 8] = [
    col("code", "断面编码", "断面编码（唯一）；必填", true, 14.0),
    col("name", "断面名称", "断面名称；必填", false, 20.0),
    col(
        "level",
        "控制级别",
        "控制级别：国考、省考 或 市考；必填",
        false,
        12.0,
    ),
    col(
        "water_body",
        "水体类型",
        "水体类型：河流 或 湖库（也可填 river、lake）；必填",
        false,
        10.0,
    ),
    col("basin", "所属流域", "所属流域或河流", false, 14.0),
    col(
        "division_code",
        "行政区划代码",
        "所在县（市、区）行政区划代码（GB/T 2260，6 位数字）",
        true,
        14.0,
    ),
    col(
        "target_class",
        "水质目标",
        "水质目标类别：I、II、III、IV、V（也可填 Ⅲ、Ⅲ类）；必填",
        false,
        10.0,
    ),
    col(
        "drinking_source",
        "饮用水水源地",
        "是否饮用水水源地：是/否（空白为否）",
        false,
        12.0,
    ),
];

/// The air station file's columns ([`AIR_STATION_COLUMNS`]) with their meanings.
pub const AIR_STATION_TEMPLATE: [TemplateColumn; 6] = [
    col("code", "站点编码", "站点编码（唯一）；必填", true, 14.0),
    col("name", "站点名称", "站点名称；必填", false, 20.0),
    col(
        "level",
        "控制级别",
        "控制级别：国控、省控 或 县控；必填",
        false,
        12.0,
    ),
    col(
        "division_code",
        "行政区划代码",
        "所在县（市、区）行政区划代码（GB/T 2260，6 位数字）",
        true,
        14.0,
    ),
    col("longitude", "经度", "经度（十进制度）", false, 12.0),
    col("latitude", "纬度", "纬度（十进制度）", false, 12.0),
];

/// The air hourly data file's columns (qingshan hourly v1; the UCI Beijing layout is read as
/// published).
pub const AIR_HOURLY_TEMPLATE: [TemplateColumn; 9] = [
    col(
        "station",
        "站点编码",
        "站点编码（须已登记）；必填",
        true,
        14.0,
    ),
    col(
        "date",
        "监测日期",
        "监测日期（YYYY-MM-DD）；必填",
        true,
        12.0,
    ),
    col(
        "hour",
        "小时",
        "小时（0–23，时段开始的整点，北京时间）；必填",
        false,
        8.0,
    ),
    col(
        "so2",
        "SO2（μg/m³）",
        "二氧化硫小时浓度（μg/m³）；空白为缺测",
        false,
        12.0,
    ),
    col(
        "no2",
        "NO2（μg/m³）",
        "二氧化氮小时浓度（μg/m³）；空白为缺测",
        false,
        12.0,
    ),
    col(
        "co",
        "CO（mg/m³）",
        "一氧化碳小时浓度（mg/m³）；空白为缺测",
        false,
        12.0,
    ),
    col(
        "o3",
        "O3（μg/m³）",
        "臭氧小时浓度（μg/m³）；空白为缺测",
        false,
        12.0,
    ),
    col(
        "pm10",
        "PM10（μg/m³）",
        "PM10 小时浓度（μg/m³）；空白为缺测",
        false,
        12.0,
    ),
    col(
        "pm25",
        "PM2.5（μg/m³）",
        "PM2.5 小时浓度（μg/m³）；空白为缺测",
        false,
        12.0,
    ),
];

/// The most bad rows an import lists; the rest are counted.
pub const MAX_LISTED: usize = 100;

/// One bad cell (or row) of an import file.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct RowError {
    /// The spreadsheet's row number (the header is row 1).
    pub row: u64,
    /// The column's Chinese header (as written, for a column the import does not know), when
    /// one cell or the header is at fault.
    pub column: Option<String>,
    /// The column's letter, in a workbook.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub letter: Option<String>,
    /// What is wrong, in Chinese.
    pub message: String,
}

impl std::fmt::Display for RowError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.column, &self.letter) {
            (Some(c), Some(l)) => {
                write!(f, "第 {} 行「{c}」列（{l} 列）：{}", self.row, self.message)
            }
            (Some(c), None) => write!(f, "第 {} 行「{c}」列：{}", self.row, self.message),
            (None, _) => write!(f, "第 {} 行：{}", self.row, self.message),
        }
    }
}

/// Every bad row of a refused import file, up to [`MAX_LISTED`], and how many more there were.
#[derive(Debug, Clone, PartialEq, Eq, Default, serde::Serialize)]
pub struct RowErrors {
    /// The errors listed, in row order.
    pub errors: Vec<RowError>,
    /// How many more errors the file had.
    pub more: usize,
}

impl RowErrors {
    /// One error.
    pub fn one(row: u64, column: Option<String>, message: impl Into<String>) -> RowErrors {
        let mut e = RowErrors::default();
        e.push(row, column, message);
        e
    }

    /// Adds an error, or counts it past [`MAX_LISTED`].
    pub fn push(&mut self, row: u64, column: Option<String>, message: impl Into<String>) {
        if self.errors.len() < MAX_LISTED {
            self.errors.push(RowError {
                row,
                column,
                letter: None,
                message: message.into(),
            });
        } else {
            self.more += 1;
        }
    }

    /// Adds an error in the cell of column `code` (named by its Chinese header and, in a
    /// workbook, its letter), or counts it past [`MAX_LISTED`].
    pub fn cell(&mut self, row: u64, file: &ImportFile, code: &str, message: impl Into<String>) {
        self.push(row, Some(file.header(code)), message);
        if let Some(last) = self.errors.last_mut()
            && self.more == 0
            && last.row == row
        {
            last.letter = file.letter(code);
        }
    }

    /// Whether nothing is wrong.
    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }

    /// How many errors in all.
    pub fn total(&self) -> usize {
        self.errors.len() + self.more
    }

    /// The lines a person reads, the last one saying how many were left out.
    pub fn lines(&self) -> Vec<String> {
        let mut out: Vec<String> = self.errors.iter().map(ToString::to_string).collect();
        if self.more > 0 {
            out.push(format!("另有 {} 处错误未列出", self.more));
        }
        out
    }
}

impl std::fmt::Display for RowErrors {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "文件有 {} 处错误，未导入：", self.total())?;
        for line in self.lines() {
            write!(f, "\n{line}")?;
        }
        Ok(())
    }
}

impl std::error::Error for RowErrors {}

/// Every import: its name, where it is done, and its columns (for `docs/imports.md`).
pub const IMPORTS: [(&str, &str, &[TemplateColumn]); 7] = [
    (
        "规划指标数值",
        "网页“规划指标”页上传；`qingshan values import`；`POST /api/v1/values/import`",
        &VALUES_TEMPLATE,
    ),
    (
        "污染源登记表",
        "网页“污染源监控”页上传；`qingshan sources import`；`POST /api/v1/sources/import`",
        &REGISTRY_TEMPLATE,
    ),
    (
        "空气站点",
        "`qingshan air stations import`",
        &AIR_STATION_TEMPLATE,
    ),
    (
        "空气小时数据",
        "`qingshan air import`（时间也可写成一列“监测时间”，如 2024-01-05 13:00，为该小时的开始；也读 UCI 北京多站点数据的原始 CSV）",
        &AIR_HOURLY_TEMPLATE,
    ),
    (
        "水质断面",
        "`qingshan water sections import`",
        &WATER_SECTION_TEMPLATE,
    ),
    (
        "地表水监测结果",
        "`qingshan water import`（长表：每行一个项目；或宽表：每个监测项目一列，如 氨氮、总磷）",
        &WATER_SAMPLE_TEMPLATE,
    ),
    (
        "应急减排清单",
        "网页“应急减排清单”页上传（工作人员）；`POST /heavy/reductions/import`（每行一项措施，同一企业同一级别的多行合为一条）",
        &heavy::HEAVY_REDUCTION_TEMPLATE,
    ),
];

/// The columns of every import as Markdown, the body of `docs/imports.md`.
pub fn columns_doc() -> String {
    let mut out = String::from(
        "# 导入文件的列\n\n\
         <!-- Generated from the header tables in crates/app/src/imports.rs: \
         QINGSHAN_UPDATE_DOCS=1 cargo test -p qingshan-app imports_doc -->\n\n\
         每种导入文件的第 1 行是列名，可写中文列名，也可写其代码；前后空格、全角字母和括号、\
         括号中的单位（如“数值（%）”“PM2.5（μg/m³）”）不影响识别，列的顺序不限。\
         模板（CSV 与 XLSX）使用中文列名。文件中任何一行有误，整个文件都不导入，\
         错误逐条列出行号和列名（最多 100 条）。\n",
    );
    for (name, where_, columns) in IMPORTS {
        out.push_str(&format!(
            "\n## {name}\n\n{where_}\n\n| 列名 | 代码 | 说明 |\n|---|---|---|\n"
        ));
        for c in columns {
            out.push_str(&format!("| {} | `{}` | {} |\n", c.zh, c.name, c.meaning));
        }
    }
    out.push_str("\n地表水监测项目（列名或“监测项目”列的值）可写 GB 3838-2002 的中文名称或常用代码：\n\n| 项目 | 也可写作 |\n|---|---|\n");
    for i in qingshan_water::Item::ALL {
        out.push_str(&format!("| {} | {} |\n", i.name_zh(), i.names().join("、")));
    }
    out
}

/// What a template workbook holds besides its columns.
#[derive(Debug, Clone, Default)]
pub struct TemplateNotes {
    /// Lines of advice on the 说明 sheet.
    pub notes: Vec<String>,
    /// A code list on the 说明 sheet: its title, its column headers and its rows.
    pub codes: Option<(String, [String; 3], Vec<[String; 3]>)>,
}

/// Notes common to every template.
fn common_notes() -> Vec<String> {
    vec![
        "第 1 行是列名，请勿修改或删除；从第 2 行起每行一条记录。".into(),
        "导入时只读取第一个工作表（本“说明”表不会被导入）；也可另存为 CSV（UTF-8）后导入。".into(),
        "列名可写中文列名或其代码（见“也可写作”），前后空格、全角括号和括号中的单位不影响识别；列的顺序不限。".into(),
        "全部成功或全部不导入：任何一行有误，整个文件都不会写入；错误提示逐条列出有误的行号和列（最多 100 条）。".into(),
        "标为“文本”的列已设为文本格式，请勿改为数值或日期格式，以免代码丢失前导 0、长数字被改写或数值末尾的 0 被省略。"
            .into(),
    ]
}

/// Notes of the registry template.
pub fn registry_notes() -> TemplateNotes {
    let mut notes = common_notes();
    notes.push(
        "每行填写一台监控设备的一个许可因子；同一企业、排放口、设备的信息在多行中重复填写，且必须一致。"
            .into(),
    );
    notes.push("没有许可证或限值的设备，许可证及其后各列留空即可。".into());
    TemplateNotes { notes, codes: None }
}

/// Notes of the air hourly template.
pub fn air_hourly_notes() -> TemplateNotes {
    let mut notes = common_notes();
    notes.push("每行一个站点一个小时；时次 0–23 为小时开始时刻（0 表示 0:00–1:00），也可只填一列“监测时间”。".into());
    notes.push("数值为非负小数，最多 4 位小数，缺测留空或写 NA；同一站点同一小时再次导入时记为新的修订版本，原值保留。".into());
    TemplateNotes { notes, codes: None }
}

/// Notes of the values template.
pub fn values_notes() -> TemplateNotes {
    let mut notes = common_notes();
    notes.push("同一指标、年份、行政区划在一个文件中只能出现一次；已有数值不会被覆盖，而是记为新的修订版本。".into());
    TemplateNotes { notes, codes: None }
}

/// Notes of the water sample template, with the item codes.
pub fn water_sample_notes() -> TemplateNotes {
    let mut notes = common_notes();
    notes.push(
        "每行一个断面、一个采样日期、一个监测项目的结果；同一断面、日期、项目再次导入时记为修订。"
            .into(),
    );
    let rows = qingshan_water::Item::ALL
        .iter()
        .map(|i| {
            [
                i.code().to_string(),
                i.name_zh().to_string(),
                match i.unit() {
                    "" => "无量纲".to_string(),
                    u => u.to_string(),
                },
            ]
        })
        .collect();
    TemplateNotes {
        notes,
        codes: Some((
            "监测项目代码".into(),
            ["代码".into(), "项目".into(), "单位".into()],
            rows,
        )),
    }
}

/// A template as CSV: the Chinese header row, with a byte-order mark so spreadsheet programs
/// read the text as UTF-8.
pub fn template_csv(columns: &[TemplateColumn]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.zh).collect();
    format!("\u{feff}{}\n", names.join(","))
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0x00E8_F5E9))
}

/// A template as an XLSX workbook: the first sheet `数据` with the bold, frozen Chinese header
/// row, text-formatted code columns and widths; the second sheet `说明` with each column's
/// letter, Chinese header, code, meaning and format, then the notes and any code list.
pub fn template_xlsx(
    columns: &[TemplateColumn],
    extra: &TemplateNotes,
) -> Result<Vec<u8>, XlsxError> {
    let header = header_format();
    let text = Format::new().set_num_format_index(49);
    let mut wb = Workbook::new();
    let data = wb.add_worksheet().set_name("数据")?;
    for (i, c) in columns.iter().enumerate() {
        let i = i as u16;
        if c.text {
            data.set_column_format(i, &text)?;
        }
        data.set_column_width(i, c.width)?;
        data.write_string_with_format(0, i, c.zh, &header)?;
    }
    data.set_freeze_panes(1, 0)?;
    explain(
        wb.add_worksheet().set_name("说明")?,
        columns,
        extra,
        &header,
    )?;
    wb.save_to_buffer()
}

/// The width of the 说明 column, in characters.
const EXPLAIN_WIDTH: f64 = 80.0;

/// Writes wrapped text and makes its row tall enough, since not every spreadsheet program
/// grows a row for wrapped text by itself.
fn wrapped(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    text: &str,
    wrap: &Format,
) -> Result<(), XlsxError> {
    // A CJK character is about two digits wide.
    let units: f64 = text
        .chars()
        .map(|c| if c.is_ascii() { 1.0 } else { 2.0 })
        .sum();
    let lines = (units / (EXPLAIN_WIDTH - 2.0)).ceil().max(1.0);
    ws.write_string_with_format(row, col, text, wrap)?;
    if lines > 1.0 {
        ws.set_row_height(row, 15.0 * lines)?;
    }
    Ok(())
}

fn explain(
    ws: &mut Worksheet,
    columns: &[TemplateColumn],
    extra: &TemplateNotes,
    header: &Format,
) -> Result<(), XlsxError> {
    let wrap = Format::new().set_text_wrap();
    let bold = Format::new().set_bold();
    for (i, (title, width)) in [
        ("列", 6.0),
        ("列名", 20.0),
        ("也可写作", 16.0),
        ("说明", EXPLAIN_WIDTH),
        ("格式", 8.0),
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(0, i as u16, *title, header)?;
        ws.set_column_width(i as u16, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    let mut row = 1u32;
    for (i, c) in columns.iter().enumerate() {
        ws.write_string(row, 0, qingshan_tabular::column_letter(i))?;
        ws.write_string(row, 1, c.zh)?;
        ws.write_string(row, 2, c.name)?;
        wrapped(ws, row, 3, c.meaning, &wrap)?;
        ws.write_string(row, 4, if c.text { "文本" } else { "常规" })?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "填写说明", &bold)?;
    row += 1;
    for (i, note) in extra.notes.iter().enumerate() {
        ws.write_string(row, 0, format!("{}.", i + 1))?;
        wrapped(ws, row, 3, note, &wrap)?;
        row += 1;
    }
    if let Some((title, heads, rows)) = &extra.codes {
        row += 1;
        ws.write_string_with_format(row, 0, title, &bold)?;
        row += 1;
        for (i, h) in heads.iter().enumerate() {
            ws.write_string_with_format(row, i as u16 + 1, h, header)?;
        }
        row += 1;
        for r in rows {
            for (i, cell) in r.iter().enumerate() {
                ws.write_string(row, i as u16 + 1, cell)?;
            }
            row += 1;
        }
    }
    Ok(())
}

/// The media type of an XLSX workbook.
pub const XLSX_CONTENT_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use qingshan_plan::values::VALUE_COLUMNS;
    use qingshan_sources::REGISTRY_COLUMNS;

    use super::*;

    const ALL: [&[TemplateColumn]; 7] = [
        &REGISTRY_TEMPLATE,
        &VALUES_TEMPLATE,
        &WATER_SAMPLE_TEMPLATE,
        &WATER_SECTION_TEMPLATE,
        &AIR_STATION_TEMPLATE,
        &AIR_HOURLY_TEMPLATE,
        &heavy::HEAVY_REDUCTION_TEMPLATE,
    ];

    fn plan() -> Plan {
        qingshan_plan::xinzhou().unwrap()
    }

    fn file(text: &str) -> ImportFile {
        ImportFile::from_bytes(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn templates_follow_the_readers_columns() {
        let names = |t: &[TemplateColumn]| t.iter().map(|c| c.name).collect::<Vec<_>>();
        let zh = |t: &[TemplateColumn]| t.iter().map(|c| c.zh).collect::<Vec<_>>();
        assert_eq!(names(&REGISTRY_TEMPLATE), REGISTRY_COLUMNS);
        assert_eq!(names(&VALUES_TEMPLATE), VALUE_COLUMNS);
        assert_eq!(names(&WATER_SAMPLE_TEMPLATE), WATER_SAMPLE_COLUMNS);
        assert_eq!(
            names(&AIR_HOURLY_TEMPLATE),
            qingshan_air::hourly::QINGSHAN_V1_HEADER
        );
        assert_eq!(names(&AIR_STATION_TEMPLATE), AIR_STATION_COLUMNS);
        assert_eq!(names(&WATER_SECTION_TEMPLATE), WATER_SECTION_COLUMNS);
        for (cols, notes) in [
            (&REGISTRY_TEMPLATE[..], registry_notes()),
            (&VALUES_TEMPLATE[..], values_notes()),
            (&WATER_SAMPLE_TEMPLATE[..], water_sample_notes()),
        ] {
            let bytes = template_xlsx(cols, &notes).unwrap();
            let sheet = qingshan_tabular::read_first_sheet(&bytes).unwrap();
            assert_eq!(sheet.name(), "数据");
            assert_eq!(sheet.rows().len(), 1, "header only");
            assert_eq!(sheet.rows()[0], zh(cols));
            let file = ImportFile::from_bytes(bytes).unwrap();
            assert!(file.is_xlsx());
            assert_eq!(
                String::from_utf8(file.csv().to_vec()).unwrap(),
                template_csv(cols).trim_start_matches('\u{feff}')
            );
            // The template's own header reads back as the codes.
            assert_eq!(file.with_headers(cols).unwrap().codes(), names(cols));
        }
    }

    #[test]
    fn imports_doc_is_generated_from_the_tables() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/imports.md");
        if std::env::var_os("QINGSHAN_UPDATE_DOCS").is_some() {
            std::fs::write(path, columns_doc()).unwrap();
        }
        assert_eq!(
            std::fs::read_to_string(path).unwrap_or_default(),
            columns_doc(),
            "docs/imports.md is out of date: QINGSHAN_UPDATE_DOCS=1 cargo test -p qingshan-app imports_doc"
        );
    }

    fn widen(s: &str) -> String {
        s.chars()
            .map(|c| match c {
                '!'..='~' => char::from_u32(c as u32 + 0xfee0).unwrap_or(c),
                c => c,
            })
            .collect()
    }

    proptest::proptest! {
        /// Any accepted spelling of any column of any import maps to that column: its Chinese
        /// header or its code, with spaces around, full-width characters, a unit in brackets.
        #[test]
        fn any_accepted_spelling_of_a_real_header_maps_to_its_column(
            t in 0..ALL.len(),
            i in 0..30usize,
            zh in proptest::bool::ANY,
            wide in proptest::bool::ANY,
            pad in "[ \u{3000}]{0,2}",
            unit in proptest::option::of("[（(【\\[][a-zA-Z%/³μ·吨年]{1,6}[）)】\\]]"),
        ) {
            let table = ALL[t];
            let i = i % table.len();
            let c = table[i];
            let mut cell = if zh { c.zh.to_string() } else { c.name.to_string() };
            if wide {
                cell = widen(&cell);
            }
            if let Some(u) = unit {
                cell.push_str(&u);
            }
            let cell = format!("{pad}{cell}{pad}");
            let headers: Vec<Header> = table.iter().map(TemplateColumn::header).collect();
            proptest::prop_assert_eq!(qingshan_tabular::headers::match_header(&cell, &headers), Some(i), "{}", cell);
            let file = ImportFile::from_bytes(format!("{cell}\n").into_bytes()).unwrap();
            let file = file.with_headers(table).unwrap();
            proptest::prop_assert_eq!(file.codes(), vec![c.name.to_string()]);
        }

        /// Arbitrary header rows never panic: they map, or are refused in Chinese.
        #[test]
        fn arbitrary_header_rows_never_panic(row in "\\PC{0,200}") {
            let Ok(file) = ImportFile::from_bytes(format!("{row}\n1\n").into_bytes()) else {
                return Ok(());
            };
            if let Err(e) = file.with_headers(&VALUES_TEMPLATE) {
                proptest::prop_assert!(!e.errors.is_empty());
                proptest::prop_assert!(e.errors.iter().all(|x| x.row == 1));
            }
        }
    }

    #[test]
    fn every_header_is_chinese_and_distinct() {
        for t in ALL {
            for (i, c) in t.iter().enumerate() {
                assert!(!c.zh.is_ascii() || c.zh.contains('（'), "{}", c.zh);
                let headers: Vec<Header> = t.iter().map(TemplateColumn::header).collect();
                assert_eq!(
                    qingshan_tabular::headers::match_header(c.zh, &headers),
                    Some(i)
                );
                assert_eq!(
                    qingshan_tabular::headers::match_header(c.name, &headers),
                    Some(i)
                );
            }
        }
    }

    #[test]
    fn values_with_chinese_headers_import() {
        let rows = read_values(
            file("指标序号, 年份 ,行政区划代码,数值（%）,备注,修订原因\n1,2024,,82.5,,\n"),
            &plan(),
        )
        .unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].value.to_string(), "82.5");
        let codes = read_values(file("indicator,year,value\n1,2024,82.5\n"), &plan()).unwrap();
        assert_eq!(codes[0].value, rows[0].value);
    }

    #[test]
    fn three_bad_rows_are_all_listed_in_chinese() {
        let e = read_values(
            file("指标序号,年份,数值\n1,2024,abc\n1,2023,80\n999,2024,1\n1,1800,2\n"),
            &plan(),
        )
        .unwrap_err();
        let lines = e.lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(lines[0].starts_with("第 2 行「数值」列："), "{}", lines[0]);
        assert!(
            lines[1].starts_with("第 4 行「指标序号」列：规划中没有第 999 项指标"),
            "{}",
            lines[1]
        );
        assert!(lines[2].starts_with("第 5 行「年份」列："), "{}", lines[2]);
        let text = e.to_string();
        assert!(text.starts_with("文件有 3 处错误，未导入："), "{text}");
        for english in ["row ", "column ", "value:", "indicator"] {
            assert!(!text.contains(english), "{text}");
        }
    }

    #[test]
    fn more_than_a_hundred_errors_are_counted() {
        let mut text = String::from("指标序号,年份,数值\n");
        for _ in 0..130 {
            text.push_str("1,2024,x\n");
        }
        let e = read_values(file(&text), &plan()).unwrap_err();
        assert_eq!(e.errors.len(), MAX_LISTED);
        assert_eq!(e.more, 30);
        assert_eq!(e.lines().last().unwrap(), "另有 30 处错误未列出");
    }

    #[test]
    fn unknown_and_repeated_columns_are_named() {
        let e = read_values(file("指标序号,年份,数值,颜色,value\n"), &plan()).unwrap_err();
        assert_eq!(e.errors.len(), 2, "{e}");
        assert_eq!(e.errors[0].column.as_deref(), Some("颜色"));
        assert!(
            e.errors[0]
                .message
                .starts_with("未知列；可用的列名：指标序号（indicator）、年份（year）")
        );
        assert_eq!(e.errors[1].column.as_deref(), Some("value"));
        assert!(e.errors[1].message.contains("重复"));
        let missing = read_values(file("指标序号,年份\n"), &plan()).unwrap_err();
        assert_eq!(missing.errors[0].message, "缺少必需列");
        assert_eq!(missing.errors[0].column.as_deref(), Some("数值"));
    }

    #[test]
    fn registry_with_chinese_headers_imports() {
        let header: Vec<&str> = REGISTRY_TEMPLATE.iter().map(|c| c.zh).collect();
        let text = format!(
            "{}\n91140900MA0K00000D,忻州示例热电有限公司,140902,电力,,,,重点管理,DA001,1号锅炉排口,废气,MN0001,2017,strict,123456,60,,,,,,,,\n",
            header.join(",")
        );
        let check = qingshan_sources::check_credit_code("91140900MA0K00000D");
        let reg = read_registry(file(&text));
        match check {
            Ok(()) => assert_eq!(reg.unwrap().enterprises.len(), 1),
            Err(_) => {
                let e = reg.unwrap_err();
                assert_eq!(e.errors.len(), 1, "{e}");
                assert!(
                    e.errors[0]
                        .to_string()
                        .starts_with("第 2 行「统一社会信用代码」列：")
                );
            }
        }
    }

    #[test]
    fn workbook_messages_add_the_column_letter() {
        let wb =
            ImportFile::from_bytes(template_xlsx(&REGISTRY_TEMPLATE, &registry_notes()).unwrap())
                .unwrap()
                .with_headers(&REGISTRY_TEMPLATE)
                .unwrap();
        assert_eq!(wb.column_label("hourly_limit"), "小时浓度限值（U 列）");
        let e = registry_errors(
            vec![RegistryError::Cell {
                row: 3,
                column: "credit_code".into(),
                message: "校验位应为「G」，实为「1」".into(),
            }],
            &wb,
        );
        assert_eq!(
            e.errors[0].to_string(),
            "第 3 行「统一社会信用代码」列（A 列）：校验位应为「G」，实为「1」"
        );
        assert_eq!(wb.letter("(行)"), None);
        assert_eq!(
            ImportFile::from_bytes(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
                .unwrap_err()
                .kind(),
            "legacy_workbook"
        );
    }
}
