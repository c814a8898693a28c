//! Import files as they arrive from a form, the API or the command line, and the templates to
//! fill in.
//!
//! A file is CSV as given, or an XLSX workbook (recognised by its content, whatever its name)
//! whose first sheet is rendered as CSV by `qingshan_tabular`. Either way one CSV reader per
//! kind of file checks it, so the rules, the all-or-nothing behaviour and the row numbers (the
//! spreadsheet's, header = row 1) are the same; errors from a workbook also name the column
//! letter.

use qingshan_plan::values::ValuesError;
use qingshan_sources::RegistryError;
use qingshan_tabular::{Sheet, TabularError};
use rust_xlsxwriter::{Color, Format, FormatBorder, Workbook, Worksheet, XlsxError};

/// An import file's content, ready for a CSV reader.
#[derive(Debug, Clone)]
pub struct ImportFile {
    csv: Vec<u8>,
    sheet: Option<Sheet>,
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
        })
    }

    /// The content as CSV.
    pub fn csv(&self) -> &[u8] {
        &self.csv
    }

    /// Whether the file was an XLSX workbook.
    pub fn is_xlsx(&self) -> bool {
        self.sheet.is_some()
    }

    /// The column letter of the column headed `column`, in a workbook.
    pub fn letter(&self, column: &str) -> Option<String> {
        let sheet = self.sheet.as_ref()?;
        sheet
            .header_column(column)
            .map(qingshan_tabular::column_letter)
    }

    /// A column as messages name it: `「credit_code」列`, with `（A 列）` added in a workbook.
    pub fn column_label(&self, column: &str) -> String {
        match self.letter(column) {
            Some(letter) => format!("「{column}」列（{letter} 列）"),
            None => format!("「{column}」列"),
        }
    }
}

/// A registry error in the reader's own words, with the column letter for a workbook.
pub fn registry_error(e: &RegistryError, file: &ImportFile) -> String {
    match e {
        RegistryError::Cell {
            row,
            column,
            message,
        } => format!("第 {row} 行{}: {message}", file.column_label(column)),
        other => other.to_string(),
    }
}

/// A values error in the reader's own words, with the column letter for a workbook.
pub fn values_error(e: &ValuesError, file: &ImportFile) -> String {
    format!(
        "第 {} 行{}: {}",
        e.row,
        file.column_label(&e.column),
        e.message
    )
}

/// One column of a template.
#[derive(Debug, Clone, Copy)]
pub struct TemplateColumn {
    /// The header, exactly as the reader wants it.
    pub name: &'static str,
    /// What goes in it, in Chinese, for the 说明 sheet.
    pub meaning: &'static str,
    /// Formatted as text, so a spreadsheet keeps leading zeros, long digit strings, dates and
    /// trailing zeros exactly as typed instead of turning them into numbers.
    pub text: bool,
    /// Column width in characters.
    pub width: f64,
}

const fn col(name: &'static str, meaning: &'static str, text: bool, width: f64) -> TemplateColumn {
    TemplateColumn {
        name,
        meaning,
        text,
        width,
    }
}

/// The registry file's columns ([`qingshan_sources::REGISTRY_COLUMNS`], in order) with their meanings.
pub const REGISTRY_TEMPLATE: [TemplateColumn; 23] = [
    col(
        "credit_code",
        "排污单位统一社会信用代码（18 位，含校验位）；必填",
        true,
        22.0,
    ),
    col("enterprise_name", "排污单位名称；必填", false, 28.0),
    col(
        "division_code",
        "所在县（市、区）行政区划代码（GB/T 2260，6 位数字）",
        true,
        14.0,
    ),
    col("industry", "行业", false, 12.0),
    col("address", "地址", false, 28.0),
    col("longitude", "经度（十进制度）", false, 12.0),
    col("latitude", "纬度（十进制度）", false, 12.0),
    col(
        "outlet_code",
        "排放口编号（如 DA001 废气、DW001 废水）；必填",
        true,
        12.0,
    ),
    col("outlet_name", "排放口名称；必填", false, 16.0),
    col(
        "outlet_kind",
        "排放口类型：gas（废气）或 water（废水），也可填“废气”“废水”；必填",
        false,
        12.0,
    ),
    col(
        "mn",
        "数采仪 MN 号（设备唯一标识，不超过 24 位字母数字）；必填",
        true,
        28.0,
    ),
    col(
        "protocol",
        "HJ 212 协议版本：2005、2017 或 2025；必填",
        true,
        10.0,
    ),
    col(
        "crc_policy",
        "CRC 校验策略：strict（只认标准算法）或 field（兼容现场常见变体）；必填",
        false,
        12.0,
    ),
    col(
        "password",
        "设备访问密码 PW（不超过 32 个字符，不含 ; & , =）；必填",
        true,
        12.0,
    ),
    col(
        "interval_secs",
        "数据上报周期（秒，正整数；空白按 60）",
        false,
        14.0,
    ),
    col(
        "permit_number",
        "排污许可证编号；填写因子限值时必填",
        true,
        22.0,
    ),
    col(
        "permit_valid_from",
        "许可证有效期起（YYYY-MM-DD）；有许可证编号时必填",
        true,
        18.0,
    ),
    col(
        "permit_valid_to",
        "许可证有效期止（YYYY-MM-DD）；有许可证编号时必填",
        true,
        18.0,
    ),
    col(
        "factor_code",
        "监测因子编码（HJ 212-2017，如 a21026 二氧化硫、w01018 化学需氧量）",
        true,
        12.0,
    ),
    col("hourly_limit", "小时浓度限值（许可排放浓度）", false, 14.0),
    col(
        "use_converted",
        "是否按折算值判定：是/否（或 1/0、true/false；空白为否）",
        false,
        14.0,
    ),
    col(
        "reference_o2",
        "基准氧含量（%）；按折算值判定时必填",
        false,
        14.0,
    ),
    col("annual_total_t", "年许可排放量（吨/年）", false, 16.0),
];

/// The values file's columns ([`qingshan_plan::values::VALUE_COLUMNS`], in order) with their meanings.
pub const VALUES_TEMPLATE: [TemplateColumn; 6] = [
    col("indicator", "指标序号（见规划指标表）；必填", false, 10.0),
    col(
        "year",
        "年份（四位数字，在规划基准年至目标年之间）；必填",
        false,
        8.0,
    ),
    col(
        "division",
        "行政区划代码（GB/T 2260，6 位）；空白为规划所属行政区（全市）",
        true,
        12.0,
    ),
    col(
        "value",
        "数值（按原样保留有效数字，如 60.10；以 % 计的指标填 0–100 的数，不带 %）；必填",
        true,
        14.0,
    ),
    col("note", "备注", false, 30.0),
    col("reason", "修订原因（更改已有数值时填写）", false, 30.0),
];

/// The columns of the surface-water monthly sample file.
pub const WATER_SAMPLE_COLUMNS: [&str; 4] = ["section", "date", "item", "value"];

/// The water sample file's columns ([`WATER_SAMPLE_COLUMNS`], in order) with their meanings.
pub const WATER_SAMPLE_TEMPLATE: [TemplateColumn; 4] = [
    col("section", "断面编码（须已登记）；必填", true, 14.0),
    col("date", "采样日期（YYYY-MM-DD）；必填", true, 14.0),
    col(
        "item",
        "监测项目代码（见下表，不区分大小写）；必填",
        true,
        10.0,
    ),
    col(
        "value",
        "监测结果，按 GB 3838-2002 的单位（见下表），按原样保留有效数字；低于检出限写作 <检出限，如 <0.01；必填",
        true,
        14.0,
    ),
];

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
        "全部成功或全部不导入：任何一行有误，整个文件都不会写入，错误提示会指出行号和列。".into(),
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

/// A template as CSV: the header row, with a byte-order mark so spreadsheet programs read the
/// text as UTF-8.
pub fn template_csv(columns: &[TemplateColumn]) -> String {
    let names: Vec<&str> = columns.iter().map(|c| c.name).collect();
    format!("\u{feff}{}\n", names.join(","))
}

fn header_format() -> Format {
    Format::new()
        .set_bold()
        .set_border(FormatBorder::Thin)
        .set_background_color(Color::RGB(0x00E8_F5E9))
}

/// A template as an XLSX workbook: the first sheet `数据` with the bold, frozen header row,
/// text-formatted code columns and widths; the second sheet `说明` with each column's letter,
/// name, meaning and format, then the notes and any code list.
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
        data.write_string_with_format(0, i, c.name, &header)?;
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
        ws.write_string(row, 1, c.name)?;
        wrapped(ws, row, 2, c.meaning, &wrap)?;
        ws.write_string(row, 3, if c.text { "文本" } else { "常规" })?;
        row += 1;
    }
    row += 1;
    ws.write_string_with_format(row, 0, "填写说明", &bold)?;
    row += 1;
    for (i, note) in extra.notes.iter().enumerate() {
        ws.write_string(row, 0, format!("{}.", i + 1))?;
        wrapped(ws, row, 2, note, &wrap)?;
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

    #[test]
    fn templates_follow_the_readers_columns() {
        let names = |t: &[TemplateColumn]| t.iter().map(|c| c.name).collect::<Vec<_>>();
        assert_eq!(names(&REGISTRY_TEMPLATE), REGISTRY_COLUMNS);
        assert_eq!(names(&VALUES_TEMPLATE), VALUE_COLUMNS);
        assert_eq!(names(&WATER_SAMPLE_TEMPLATE), WATER_SAMPLE_COLUMNS);
        for (cols, notes) in [
            (&REGISTRY_TEMPLATE[..], registry_notes()),
            (&VALUES_TEMPLATE[..], values_notes()),
            (&WATER_SAMPLE_TEMPLATE[..], water_sample_notes()),
        ] {
            let bytes = template_xlsx(cols, &notes).unwrap();
            let sheet = qingshan_tabular::read_first_sheet(&bytes).unwrap();
            assert_eq!(sheet.name(), "数据");
            assert_eq!(sheet.rows().len(), 1, "header only");
            assert_eq!(sheet.rows()[0], names(cols));
            let file = ImportFile::from_bytes(bytes).unwrap();
            assert!(file.is_xlsx());
            assert_eq!(
                String::from_utf8(file.csv().to_vec()).unwrap(),
                template_csv(cols).trim_start_matches('\u{feff}')
            );
        }
    }

    #[test]
    fn messages_match_the_readers_and_add_the_letter_for_workbooks() {
        let e = RegistryError::Cell {
            row: 3,
            column: "credit_code".into(),
            message: "校验位应为「G」，实为「1」".into(),
        };
        let csv = ImportFile::from_bytes(b"credit_code\n".to_vec()).unwrap();
        assert_eq!(registry_error(&e, &csv), e.to_string());
        let v = ValuesError {
            row: 4,
            column: "value".into(),
            message: "不能为空".into(),
        };
        assert_eq!(values_error(&v, &csv), v.to_string());
        let wb =
            ImportFile::from_bytes(template_xlsx(&REGISTRY_TEMPLATE, &registry_notes()).unwrap())
                .unwrap();
        assert_eq!(
            registry_error(&e, &wb),
            "第 3 行「credit_code」列（A 列）: 校验位应为「G」，实为「1」"
        );
        assert_eq!(wb.letter("hourly_limit").as_deref(), Some("T"));
        assert_eq!(wb.letter("(行)"), None);
        assert_eq!(
            ImportFile::from_bytes(vec![0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
                .unwrap_err()
                .kind(),
            "legacy_workbook"
        );
    }
}
