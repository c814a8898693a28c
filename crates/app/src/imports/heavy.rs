//! The 应急减排清单 (一厂一策) import: one row per measure of an enterprise at a warning level;
//! the rows of the same enterprise and level make one entry of the list, whose reductions
//! (kg/h), outlets and note are given on any of its rows (the same on every row that gives
//! them). Every bad row is listed in Chinese and nothing is written unless the whole file is
//! good; each entry saved is a new revision, as when staff save it by hand
//! (`crate::heavy::save_reduction`).

use std::collections::BTreeMap;

use qingshan_exact::Ratio;
use qingshan_sources::heavy;
use qingshan_store::{Actor, Store, User};
use qingshan_tabular::headers::fold;

use super::{ImportFile, RowErrors, Table, TemplateColumn, TemplateNotes, col, common_notes};
use crate::heavy::{MeasureInput, ReductionForm, check_reduction, may_manage};
use crate::{Error, Result};

/// The reduction list file's columns that must be present.
pub const HEAVY_REDUCTION_COLUMNS: [&str; 3] = ["credit_code", "level", "measure"];

/// The reduction list file's columns with their meanings.
pub const HEAVY_REDUCTION_TEMPLATE: [TemplateColumn; 11] = [
    col(
        "credit_code",
        "统一社会信用代码",
        "排污单位统一社会信用代码（18 位，须已在污染源登记表中）；必填",
        true,
        22.0,
    ),
    col(
        "level",
        "预警级别",
        "黄色、橙色 或 红色（也可填 yellow、orange、red）；必填",
        false,
        10.0,
    ),
    col(
        "measure",
        "减排措施",
        "措施名称或代码，见“减排措施”代码表；每行一项措施；必填",
        false,
        18.0,
    ),
    col(
        "percent",
        "比例（%）",
        "限产、停产部分生产线的比例（大于 0、不大于 100）；其他措施留空",
        false,
        10.0,
    ),
    col(
        "process",
        "工序或设施",
        "停用工序、停产部分生产线所涉工序或设施",
        false,
        16.0,
    ),
    col(
        "so2",
        "二氧化硫减排量（kg/h）",
        "本级别全部措施的二氧化硫减排量（千克/小时）；空白为 0",
        true,
        14.0,
    ),
    col(
        "nox",
        "氮氧化物减排量（kg/h）",
        "氮氧化物减排量（千克/小时）；空白为 0",
        true,
        14.0,
    ),
    col(
        "pm",
        "颗粒物减排量（kg/h）",
        "颗粒物减排量（千克/小时）；空白为 0",
        true,
        14.0,
    ),
    col(
        "vocs",
        "挥发性有机物减排量（kg/h）",
        "挥发性有机物减排量（千克/小时）；空白为 0",
        true,
        14.0,
    ),
    col(
        "outlets",
        "涉及排放口",
        "措施影响的排放口编号，多个用逗号或顿号分隔（须为该企业已登记的排放口）",
        true,
        16.0,
    ),
    col("note", "说明", "说明（可选）", false, 24.0),
];

/// Columns given once per entry: on any of its rows, the same wherever given.
const ENTRY_COLUMNS: [&str; 6] = ["so2", "nox", "pm", "vocs", "outlets", "note"];

/// Notes of the reduction list template, with the measure codes.
pub fn heavy_reduction_notes() -> TemplateNotes {
    let mut notes = common_notes();
    notes.push("每行填写一家企业在一个预警级别下的一项减排措施；同一企业、同一级别的多行合为清单中的一条。".into());
    notes.push("减排量、涉及排放口和说明按“企业 + 级别”填写一次即可（可填在其中任一行）；多行都填时必须一致。".into());
    notes.push("导入后，文件中出现的每个“企业 + 级别”记为该条的新修订版本（整条替换），文件中未出现的不受影响。".into());
    let rows = heavy::rules()
        .measure
        .iter()
        .map(|m| {
            let needs = match (m.percent, m.process) {
                (true, true) => "比例、工序或设施",
                (true, false) => "比例",
                (false, true) => "工序或设施",
                (false, false) => "—",
            };
            [m.code.clone(), m.name.clone(), needs.to_string()]
        })
        .collect();
    TemplateNotes {
        notes,
        codes: Some((
            "减排措施".into(),
            ["代码".into(), "名称".into(), "须另填".into()],
            rows,
        )),
    }
}

/// The level code (`yellow` …) of what a spreadsheet may say: 黄色、黄色预警、黄、yellow, ….
fn level_code(cell: &str) -> Option<String> {
    let f = fold(cell);
    heavy::rules()
        .level
        .iter()
        .find(|l| {
            let label = fold(&l.label);
            let short = label.trim_end_matches("预警");
            f == l.code
                || f == label
                || f == short
                || short.chars().next().is_some_and(|c| f == c.to_string())
        })
        .map(|l| l.code.clone())
}

/// A measure kind from its code or Chinese name (the name also without its bracketed part).
fn measure_kind(cell: &str) -> Option<&'static heavy::MeasureKind> {
    let f = fold(cell);
    heavy::rules().measure.iter().find(|m| {
        let name = fold(&m.name);
        let short = name.split('(').next().unwrap_or(&name);
        f == m.code || f == name || f == short
    })
}

/// The rows of one enterprise and level: the first row, the entry, and the row that gave each
/// of [`ENTRY_COLUMNS`].
type Group = (u64, ReductionForm, BTreeMap<&'static str, u64>);

/// A reduction list file read: the entries, the first row of each, and the file for messages.
#[derive(Debug)]
pub struct Reductions {
    /// The entries, as staff would give them in the form.
    pub forms: Vec<ReductionForm>,
    /// The first file row of each entry.
    pub rows: Vec<u64>,
    file: ImportFile,
}

/// Reads a reduction list file (CSV or XLSX; Chinese headers or codes), listing every bad row.
pub fn read_reductions(file: ImportFile) -> Result<Reductions, RowErrors> {
    let file = file.with_headers(&HEAVY_REDUCTION_TEMPLATE)?;
    let table = Table::read(&file, &HEAVY_REDUCTION_COLUMNS)?;
    let mut errors = RowErrors::default();
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    for r in &table.rows {
        let mut ok = true;
        let mut bad = |column: &str, message: String| {
            errors.cell(r.row, &file, column, message);
            ok = false;
        };
        let code = r.get("credit_code");
        let code_ok = code.len() == 18
            && code.is_ascii()
            && qingshan_sources::credit_code_check_char(&code[..17])
                .is_some_and(|c| code.ends_with(c));
        if code.is_empty() {
            bad("credit_code", "不能为空".into());
        } else if !code_ok {
            bad(
                "credit_code",
                format!("不是有效的统一社会信用代码（「{code}」）"),
            );
        }
        let level = level_code(r.get("level"));
        if level.is_none() {
            bad(
                "level",
                format!("应为 黄色、橙色 或 红色，而不是「{}」", r.get("level")),
            );
        }
        let kind = measure_kind(r.get("measure"));
        match kind {
            None if r.get("measure").is_empty() => bad("measure", "不能为空".into()),
            None => bad(
                "measure",
                format!(
                    "未知的减排措施「{}」（见模板“说明”表中的代码表）",
                    r.get("measure")
                ),
            ),
            Some(k) => {
                let percent = r.get("percent").trim_end_matches(['%', '％']).trim();
                if k.percent {
                    let p =
                        heavy::parse_kg(percent).filter(|p| !p.is_zero() && *p <= Ratio::int(100));
                    if p.is_none() {
                        bad(
                            "percent",
                            format!("{}须填写大于 0、不大于 100 的比例", k.name),
                        );
                    }
                } else if !percent.is_empty() {
                    bad("percent", format!("{}不填写比例", k.name));
                }
                if k.process && r.get("process").is_empty() {
                    bad("process", format!("请填写{}所涉工序或设施", k.name));
                }
            }
        }
        for p in ["so2", "nox", "pm", "vocs"] {
            let v = r.get(p);
            if !v.is_empty() && heavy::parse_kg(v).is_none() {
                bad(
                    p,
                    format!(
                        "应为不小于 0 的数（千克/小时，最多 {} 位小数），而不是「{v}」",
                        heavy::MAX_KG_DECIMALS
                    ),
                );
            }
        }
        let (Some(level), Some(kind), true) = (level, kind, ok) else {
            continue;
        };
        let entry = groups
            .entry((code.to_string(), level.clone()))
            .or_insert_with(|| {
                (
                    r.row,
                    ReductionForm {
                        credit_code: code.to_string(),
                        level,
                        ..Default::default()
                    },
                    BTreeMap::new(),
                )
            });
        entry.1.measures.push(MeasureInput {
            code: kind.code.clone(),
            percent: r
                .opt("percent")
                .map(|p| p.trim_end_matches(['%', '％']).trim().to_string()),
            process: r.opt("process"),
        });
        for c in ENTRY_COLUMNS {
            let v = r.get(c);
            if v.is_empty() {
                continue;
            }
            let form = &mut entry.1;
            let slot = match c {
                "so2" => &mut form.so2,
                "nox" => &mut form.nox,
                "pm" => &mut form.pm,
                "vocs" => &mut form.vocs,
                "outlets" => &mut form.outlets,
                _ => form.note.get_or_insert_with(String::new),
            };
            match entry.2.get(c) {
                Some(first) if slot.as_str() != v => errors.cell(
                    r.row,
                    &file,
                    c,
                    format!("与第 {first} 行所填「{slot}」不一致（同一企业同一级别只填一个值）"),
                ),
                Some(_) => {}
                None => {
                    *slot = v.to_string();
                    entry.2.insert(c, r.row);
                }
            }
        }
    }
    let mut forms = Vec::new();
    let mut rows = Vec::new();
    for (_, (row, form, _)) in groups {
        // The entry's own limits (number of measures and outlets, note length).
        if let Err(Error::Invalid { field, message }) = check_reduction(&form) {
            let column = match field.as_str() {
                "measures" => "measure",
                f => f,
            };
            errors.cell(row, &file, column, message);
            continue;
        }
        forms.push(form);
        rows.push(row);
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if forms.is_empty() {
        return Err(RowErrors::one(1, None, "文件中没有清单记录"));
    }
    Ok(Reductions { forms, rows, file })
}

/// Reads a reduction list file (CSV or XLSX bytes) and saves it, all or nothing: every enterprise must be
/// registered and every outlet one of its own, else every such row is listed and nothing is
/// written. Staff only. Returns how many entries were saved.
pub async fn import_reductions(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    bytes: Vec<u8>,
) -> Result<usize> {
    may_manage(user)?;
    let file = ImportFile::from_bytes(bytes).map_err(|e| Error::invalid("file", e.to_string()))?;
    let read = read_reductions(file)?;
    let reg = store.export_registry().await?;
    let mut errors = RowErrors::default();
    let mut checked = Vec::with_capacity(read.forms.len());
    for (form, row) in read.forms.iter().zip(&read.rows) {
        let n = check_reduction(form)?;
        if !reg
            .enterprises
            .iter()
            .any(|e| e.credit_code == n.credit_code)
        {
            errors.cell(
                *row,
                &read.file,
                "credit_code",
                format!(
                    "排污单位 {} 尚未登记（请先导入污染源登记表）",
                    n.credit_code
                ),
            );
            continue;
        }
        let unknown: Vec<&str> = n
            .outlet_codes
            .iter()
            .filter(|o| {
                !reg.outlets
                    .iter()
                    .any(|x| x.credit_code == n.credit_code && &x.code == *o)
            })
            .map(String::as_str)
            .collect();
        if !unknown.is_empty() {
            errors.cell(
                *row,
                &read.file,
                "outlets",
                format!("该企业没有登记排放口 {}", unknown.join("、")),
            );
            continue;
        }
        checked.push(n);
    }
    if !errors.is_empty() {
        return Err(Error::Rows(errors));
    }
    for n in &checked {
        store.heavy_reduction_save(n, actor).await?;
    }
    Ok(checked.len())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn code(body: &str) -> String {
        format!(
            "{body}{}",
            qingshan_sources::credit_code_check_char(body).unwrap()
        )
    }

    fn read(csv: &str) -> Result<Reductions, RowErrors> {
        read_reductions(ImportFile::from_bytes(csv.as_bytes().to_vec()).unwrap())
    }

    #[test]
    fn rows_of_one_enterprise_and_level_make_one_entry() {
        let a = code("91140900MA0K12345");
        let csv = format!(
            "统一社会信用代码,预警级别,减排措施,比例（%）,工序或设施,二氧化硫减排量（kg/h）,氮氧化物减排量（kg/h）,颗粒物减排量（kg/h）,挥发性有机物减排量（kg/h）,涉及排放口,说明\n\
             {a},橙色,限产,30%,,1.5,2,,,DA001、DA002,\n\
             {a},橙色,停用工序,,烧结机,1.5,,,,,\n\
             {a},红色预警,stop,,,3,,,,DA001,全厂停产\n"
        );
        let r = read(&csv).unwrap();
        assert_eq!(r.forms.len(), 2);
        assert_eq!(r.rows, [2, 4]);
        let orange = r.forms.iter().find(|f| f.level == "orange").unwrap();
        assert_eq!(orange.measures.len(), 2);
        assert_eq!(orange.measures[0].percent.as_deref(), Some("30"));
        assert_eq!(orange.measures[1].process.as_deref(), Some("烧结机"));
        assert_eq!(
            (
                orange.so2.as_str(),
                orange.nox.as_str(),
                orange.outlets.as_str()
            ),
            ("1.5", "2", "DA001、DA002")
        );
        let n = check_reduction(orange).unwrap();
        assert_eq!(n.outlet_codes, ["DA001", "DA002"]);
        let red = r.forms.iter().find(|f| f.level == "red").unwrap();
        assert_eq!(red.note.as_deref(), Some("全厂停产"));
    }

    #[test]
    fn every_bad_row_is_listed_in_chinese() {
        let a = code("91140900MA0K12345");
        let csv = format!(
            "credit_code,level,measure,percent,process,so2,nox,pm,vocs,outlets,note\n\
             {a},橙色,限产,,,1,,,,,\n\
             123,紫色,跳舞,,,-1,,,,,\n\
             {a},橙色,停用工序,,,2,,,,,\n\
             {a},黄色,停产,50,,x,,,,,\n"
        );
        let e = read(&csv).unwrap_err();
        let lines = e.lines().join("\n");
        for want in [
            "第 2 行",
            "限产须填写大于 0、不大于 100 的比例",
            "第 3 行",
            "不是有效的统一社会信用代码",
            "应为 黄色、橙色 或 红色，而不是「紫色」",
            "未知的减排措施「跳舞」",
            "「-1」",
            "第 4 行",
            "请填写停用工序所涉工序或设施",
            "第 5 行",
            "停产不填写比例",
            "「x」",
        ] {
            assert!(lines.contains(want), "{want} not in:\n{lines}");
        }
    }

    #[test]
    fn an_entry_gives_its_reductions_once() {
        let a = code("91140900MA0K12345");
        let csv = format!(
            "credit_code,level,measure,percent,process,so2,nox,pm,vocs,outlets,note\n\
             {a},orange,limit,30,,1.5,,,,DA001,\n\
             {a},orange,transport,,,1.6,,,,DA001,\n"
        );
        let lines = read(&csv).unwrap_err().lines().join("\n");
        assert!(lines.contains("第 3 行"), "{lines}");
        assert!(lines.contains("与第 2 行所填「1.5」不一致"), "{lines}");
        let empty = read("credit_code,level,measure\n").unwrap_err();
        assert!(empty.lines().join("").contains("没有清单记录"));
        let missing = read("credit_code,level\n").unwrap_err();
        assert!(missing.lines().join("").contains("缺少必需列「减排措施」"));
    }
}
