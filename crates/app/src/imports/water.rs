//! The surface-water imports: the section registry and the monthly sample results, read with
//! Chinese headers or codes, every bad row listed, and stored all or nothing.

use qingshan_store::{
    Actor, ImportCounts, NewWaterSample, Store, WaterImportSummary, WaterSection, WaterStoreError,
};
use qingshan_tabular::headers::{fold, strip_last_group};
use qingshan_water::{Exact, Item};

use super::{
    ImportFile, RowErrors, Table, WATER_SAMPLE_TEMPLATE, WATER_SECTION_TEMPLATE, store_refusal,
};
use crate::Result;

/// The GB 3838-2002 Table 1 item a header or cell names, by any of its names
/// ([`Item::names`]), whatever the spaces, full-width characters and a unit in brackets:
/// `氨氮`, `NH3-N`, `总磷（mg/L）`, `铬（六价）`. A bare `铬` is not 六价铬 and names nothing.
pub fn water_item(cell: &str) -> Option<Item> {
    let mut key = fold(cell);
    loop {
        if let Some(item) = Item::ALL
            .into_iter()
            .find(|i| i.names().iter().any(|n| fold(n) == key))
        {
            return Some(item);
        }
        key = strip_last_group(&key)?;
    }
}

/// The stored code of a sample file's item: a GB 3838-2002 Table 1 item by any of its names
/// (`氨氮`, `nh3n` → `NH3N`), or a Table 2/3 item by code (`t2-4` → `T2-4`) or by its Chinese
/// or English name (`铁` → `T2-4`); `None` for anything else.
pub fn sample_item_code(cell: &str) -> Option<String> {
    use qingshan_water::drinking::{single_limit_item_by_code, single_limit_item_by_name};
    let cell = cell.trim();
    water_item(cell).map(|i| i.code().to_string()).or_else(|| {
        single_limit_item_by_code(cell)
            .or_else(|| single_limit_item_by_name(cell))
            .map(|i| i.code())
    })
}

/// A section file read: the sections, the row of each, and the file for messages.
#[derive(Debug)]
pub struct Sections {
    /// The sections.
    pub sections: Vec<WaterSection>,
    /// Row number of each.
    pub rows: Vec<u64>,
    file: ImportFile,
}

/// The section levels as stored, from what a spreadsheet may say.
fn section_level(cell: &str) -> Option<&'static str> {
    match fold(cell).as_str() {
        "国考" | "国控" | "国家" | "national" => Some("国考"),
        "省考" | "省控" | "省级" | "provincial" => Some("省考"),
        "市考" | "市控" | "市级" | "municipal" => Some("市考"),
        _ => None,
    }
}

/// A target class as stored (`I`…`V`), also from `Ⅲ`, `Ⅲ类`, `III类`, `3`.
pub fn target_class(cell: &str) -> Option<&'static str> {
    let f = fold(cell);
    let f = f.strip_suffix('类').unwrap_or(&f);
    Some(match f {
        "i" | "ⅰ" | "Ⅰ" | "1" => "I",
        "ii" | "ⅱ" | "Ⅱ" | "2" => "II",
        "iii" | "ⅲ" | "Ⅲ" | "3" => "III",
        "iv" | "ⅳ" | "Ⅳ" | "4" => "IV",
        "v" | "ⅴ" | "Ⅴ" | "5" => "V",
        _ => return None,
    })
}

/// Reads a section file (CSV or XLSX; Chinese headers or codes), listing every bad row.
pub fn read_sections(file: ImportFile) -> Result<Sections, RowErrors> {
    let file = file.with_headers(&WATER_SECTION_TEMPLATE)?;
    let table = Table::read(&file, &super::WATER_SECTION_COLUMNS)?;
    let mut errors = RowErrors::default();
    let (mut sections, mut rows) = (Vec::new(), Vec::new());
    for r in &table.rows {
        let mut bad = |column: &str, message: String| {
            errors.cell(r.row, &file, column, message);
        };
        let level = section_level(r.get("level"));
        if level.is_none() {
            bad(
                "level",
                format!("应为 国考、省考 或 市考，而不是「{}」", r.get("level")),
            );
        }
        let water_body = match fold(r.get("water_body")).as_str() {
            "river" | "河流" | "河" => Some("river"),
            "lake" | "湖库" | "湖泊" | "水库" | "湖" => Some("lake"),
            other => {
                bad(
                    "water_body",
                    format!("应为 河流 或 湖库（river/lake），而不是「{other}」"),
                );
                None
            }
        };
        let class = target_class(r.get("target_class"));
        if class.is_none() {
            bad(
                "target_class",
                format!(
                    "应为 I、II、III、IV 或 V 类，而不是「{}」",
                    r.get("target_class")
                ),
            );
        }
        let drinking = match fold(r.get("drinking_source")).as_str() {
            "" | "0" | "false" | "no" | "否" => Some(false),
            "1" | "true" | "yes" | "是" => Some(true),
            other => {
                bad(
                    "drinking_source",
                    format!("应为 是 或 否，而不是「{other}」"),
                );
                None
            }
        };
        if r.get("code").is_empty() {
            bad("code", "不能为空".into());
        }
        if r.get("name").is_empty() {
            bad("name", "不能为空".into());
        }
        if let (Some(level), Some(water_body), Some(class), Some(drinking)) =
            (level, water_body, class, drinking)
        {
            sections.push(WaterSection {
                code: r.get("code").to_string(),
                name: r.get("name").to_string(),
                level: level.to_string(),
                water_body: water_body.to_string(),
                basin: r.opt("basin"),
                division_code: r.opt("division_code"),
                target_class: class.to_string(),
                is_drinking_source: drinking,
            });
            rows.push(r.row);
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Sections {
        sections,
        rows,
        file,
    })
}

/// A sample file read: the results, the row of each, and the file for messages.
#[derive(Debug)]
pub struct Samples {
    /// The results.
    pub samples: Vec<NewWaterSample>,
    /// Row number of each.
    pub rows: Vec<u64>,
    file: ImportFile,
}

/// Checks one result cell: a plain non-negative number, or `<DL` for below the detection limit
/// DL. Returns the number's text and whether it was below the detection limit.
fn result_cell(cell: &str) -> Result<(String, bool), String> {
    // `<DL` is how laboratories write a result below the detection limit DL.
    let (text, below) = match cell.strip_prefix(['<', '＜']) {
        Some(rest) => (rest.trim().to_string(), true),
        None => (cell.to_string(), false),
    };
    let value = Exact::parse(&text).map_err(|e| format!("不是有效数字（「{cell}」：{e}）"))?;
    if value.is_negative() {
        return Err(format!("浓度不能为负（「{cell}」）"));
    }
    if below && value.is_zero() {
        return Err(format!("检出限必须大于 0（「{cell}」）"));
    }
    Ok((text, below))
}

/// Reads a monthly sample file (CSV or XLSX), listing every bad row. Two layouts: long, one
/// result a row (`断面编码, 采样日期, 监测项目, 监测结果`), or wide, one column per item headed by
/// its name or code (`断面编码, 采样日期, 氨氮, 总磷（mg/L）, 高锰酸盐指数`), where an empty
/// cell is no result.
pub fn read_samples(file: ImportFile) -> Result<Samples, RowErrors> {
    let file = file.with_headers_or(&WATER_SAMPLE_TEMPLATE, sample_item_code)?;
    let codes: Vec<String> = file.codes().to_vec();
    let fixed = ["section", "date", "item", "value"];
    let item_columns: Vec<String> = codes
        .iter()
        .filter(|c| !fixed.contains(&c.as_str()))
        .cloned()
        .collect();
    let long = codes.iter().any(|c| c == "item" || c == "value");
    if long && !item_columns.is_empty() {
        return Err(RowErrors::one(
            1,
            Some(file.header(&item_columns[0])),
            "已有「监测项目」「监测结果」列时不能再按项目分列；请选用一种格式",
        ));
    }
    let required: &[&str] = if long {
        &["section", "date", "item", "value"]
    } else if item_columns.is_empty() {
        return Err(RowErrors::one(
            1,
            None,
            "缺少「监测项目」「监测结果」列，也没有以监测项目命名的列（如 氨氮、总磷）",
        ));
    } else {
        &["section", "date"]
    };
    let table = Table::read(&file, required)?;
    let mut errors = RowErrors::default();
    let (mut samples, mut rows) = (Vec::new(), Vec::new());
    for r in &table.rows {
        let mut row_ok = true;
        let mut bad = |column: &str, message: String| {
            errors.cell(r.row, &file, column, message);
            row_ok = false;
        };
        let section = r.get("section");
        if section.is_empty() {
            bad("section", "不能为空".into());
        }
        let date = r.get("date");
        if !crate::imports::is_iso_date(date) {
            bad(
                "date",
                format!("应为 YYYY-MM-DD 格式的日期，而不是「{date}」"),
            );
        }
        let mut results: Vec<(String, &str, &str)> = Vec::new();
        if long {
            match sample_item_code(r.get("item")) {
                Some(code) => results.push((code, "value", r.get("value"))),
                None => bad(
                    "item",
                    format!(
                        "未知监测项目「{}」（可写 氨氮、总磷、高锰酸盐指数 等名称或代码）",
                        r.get("item")
                    ),
                ),
            }
        } else {
            for c in &item_columns {
                let cell = r.get(c);
                if !cell.is_empty() {
                    results.push((c.clone(), c.as_str(), cell));
                }
            }
        }
        let mut checked = Vec::new();
        for (item, column, cell) in results {
            match result_cell(cell) {
                Ok((value, below)) => checked.push((item, value, below)),
                Err(m) => bad(column, m),
            }
        }
        if row_ok {
            for (item, value, below_detection) in checked {
                samples.push(NewWaterSample {
                    section_code: section.to_string(),
                    date: date.to_string(),
                    item,
                    value,
                    below_detection,
                    source: "import".to_string(),
                });
                rows.push(r.row);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Samples {
        samples,
        rows,
        file,
    })
}

/// The store's refusal of a batch, named by row and column of the file.
fn refusal(rows: &[u64], file: &ImportFile, e: WaterStoreError) -> crate::Error {
    match e {
        WaterStoreError::Invalid {
            row,
            column,
            message,
        } => store_refusal(rows, file, row, &column, message),
        // An unknown section named in the file is the file's fault, not a missing page.
        WaterStoreError::Store(qingshan_store::StoreError::NotFound(m)) => {
            crate::Error::invalid("file", format!("文件有误，未导入：{m}"))
        }
        WaterStoreError::Store(s) => crate::Error::Store(s),
    }
}

/// Reads and stores a section file, all or nothing; returns how many sections were written.
pub async fn import_sections(store: &Store, actor: &Actor, file: ImportFile) -> Result<usize> {
    let read = read_sections(file)?;
    store
        .upsert_water_sections(&read.sections, actor)
        .await
        .map_err(|e| refusal(&read.rows, &read.file, e))
}

/// Reads and stores a sample file, all or nothing.
pub async fn import_samples(
    store: &Store,
    actor: &Actor,
    file: ImportFile,
) -> Result<(WaterImportSummary, ImportCounts)> {
    let read = read_samples(file)?;
    store
        .import_water_samples_changes(&read.samples, actor)
        .await
        .map_err(|e| refusal(&read.rows, &read.file, e))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn file(text: &str) -> ImportFile {
        ImportFile::from_bytes(text.as_bytes().to_vec()).unwrap()
    }

    #[test]
    fn items_by_any_name() {
        for (cell, code) in [
            ("氨氮", "NH3N"),
            ("NH3-N", "NH3N"),
            (" 氨氮（mg/L） ", "NH3N"),
            ("总磷", "TP"),
            ("高锰酸盐指数", "CODMn"),
            ("CODMn", "CODMn"),
            ("COD", "COD"),
            ("化学需氧量", "COD"),
            ("pH值", "pH"),
            ("铬（六价）", "Cr6"),
            ("铬(六价)(mg/L)", "Cr6"),
            ("六价铬", "Cr6"),
            ("粪大肠菌群（个/L）", "FC"),
        ] {
            assert_eq!(water_item(cell).map(Item::code), Some(code), "{cell}");
        }
        assert_eq!(water_item("铬"), None);
        assert_eq!(water_item("氨"), None);
        for i in Item::ALL {
            assert_eq!(water_item(i.name_zh()), Some(i));
            assert_eq!(water_item(i.code()), Some(i));
        }
        assert_eq!(sample_item_code("铁").as_deref(), Some("T2-4"));
    }

    #[test]
    fn wide_file_with_chinese_item_headers() {
        let s = read_samples(file(
            "断面编码,采样日期,氨氮（mg/L）,总磷,高锰酸盐指数\nS1,2024-01-05,0.52,<0.01,\nS1,2024-02-05,,0.05,4.1\n",
        ))
        .unwrap();
        let got: Vec<_> = s
            .samples
            .iter()
            .map(|x| {
                (
                    x.date.as_str(),
                    x.item.as_str(),
                    x.value.as_str(),
                    x.below_detection,
                )
            })
            .collect();
        assert_eq!(
            got,
            [
                ("2024-01-05", "NH3N", "0.52", false),
                ("2024-01-05", "TP", "0.01", true),
                ("2024-02-05", "TP", "0.05", false),
                ("2024-02-05", "CODMn", "4.1", false),
            ]
        );
        assert_eq!(s.rows, [2, 2, 3, 3]);
    }

    #[test]
    fn long_file_with_chinese_headers_and_items() {
        let s = read_samples(file(
            "断面编码,采样日期,监测项目,监测结果（mg/L）\nS1,2024-01-05,氨氮,0.5\nS1,2024-01-05,NH3-N,0.6\n",
        ))
        .unwrap();
        assert_eq!(s.samples[0].item, "NH3N");
        assert_eq!(s.samples.len(), 2, "duplicates are the store's to refuse");
    }

    #[test]
    fn every_bad_row_is_listed() {
        let e = read_samples(file(
            "断面编码,采样日期,监测项目,监测结果\nS1,2024-01-05,氨氮,abc\nS1,2024-13-05,氨氮,1\nS1,2024-01-05,氨,1\nS1,2024-01-06,总磷,0.1\n",
        ))
        .unwrap_err();
        let lines = e.lines();
        assert_eq!(lines.len(), 3, "{lines:?}");
        assert!(
            lines[0].starts_with("第 2 行「监测结果」列：不是有效数字（「abc」"),
            "{}",
            lines[0]
        );
        assert!(
            lines[1].starts_with("第 3 行「采样日期」列："),
            "{}",
            lines[1]
        );
        assert!(
            lines[2].starts_with("第 4 行「监测项目」列：未知监测项目「氨」"),
            "{}",
            lines[2]
        );
    }

    #[test]
    fn unknown_headers_are_named_with_the_accepted_ones() {
        let e = read_samples(file("断面编码,采样日期,颜色\n")).unwrap_err();
        assert_eq!(e.errors[0].column.as_deref(), Some("颜色"));
        assert!(e.errors[0].message.contains("断面编码（section）"));
    }

    #[test]
    fn sections_with_chinese_headers_and_values() {
        let s = read_sections(file(
            "断面编码,断面名称,控制级别,水体类型,所属流域,行政区划代码,水质目标,饮用水水源地\nW1,滹沱河济胜桥,国考,河流,滹沱河,140902,Ⅲ类,否\n",
        ))
        .unwrap();
        assert_eq!(s.sections[0].level, "国考");
        assert_eq!(s.sections[0].water_body, "river");
        assert_eq!(s.sections[0].target_class, "III");
        let e = read_sections(file(
            "code,name,level,water_body,basin,division_code,target_class,drinking_source\nW1,a,国考,海,,,III,\nW2,b,村考,河流,,,VI,\n",
        ))
        .unwrap_err();
        assert_eq!(e.total(), 3, "{e}");
    }
}
