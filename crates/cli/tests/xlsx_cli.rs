//! The command-line imports read XLSX workbooks (recognised by content, whatever the file is
//! called) exactly as they read CSV: a registry, indicator values and water samples; a bad row
//! is named by row, column and column letter, and nothing is stored. `… template --format xlsx`
//! writes the workbook the imports read.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::Command;

use qingshan_store::Store;
use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env("QINGSHAN_LOG", "warn")
        .env_remove("QINGSHAN_DB")
        .env_remove("QINGSHAN_PLAN")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("qingshan-xlsx-cli-{}-{name}", uuid::Uuid::new_v4()))
}

fn db() -> String {
    format!("sqlite://{}", temp("db").display())
}

enum Cell {
    Text(&'static str),
    Number(f64),
    Date(u16, u8, u8),
}

use Cell::{Date, Number, Text};

/// Writes a one-sheet workbook to a temporary file named `name`.
fn workbook(name: &str, header: &[&str], rows: &[Vec<Cell>]) -> PathBuf {
    let mut wb = Workbook::new();
    let date = Format::new().set_num_format_index(14);
    let ws = wb.add_worksheet();
    for (c, h) in header.iter().enumerate() {
        ws.write_string(0, c as u16, *h).unwrap();
    }
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            let (r, c) = (r as u32 + 1, c as u16);
            match cell {
                Text(t) => ws.write_string(r, c, *t).map(|_| ()),
                Number(n) => ws.write_number(r, c, *n).map(|_| ()),
                Date(y, m, d) => ws
                    .write_datetime_with_format(
                        r,
                        c,
                        ExcelDateTime::from_ymd(*y, *m, *d).unwrap(),
                        &date,
                    )
                    .map(|_| ()),
            }
            .unwrap();
        }
    }
    let path = temp(name);
    wb.save(&path).unwrap();
    path
}

fn registry(second_credit_code: &'static str) -> Vec<Vec<Cell>> {
    let row = |credit: &'static str, mn: &'static str, factor: &'static str, limit: f64| {
        vec![
            Text(credit),
            Text("某热电有限公司"),
            Text("140902"),
            Text("电力"),
            Text("忻府区"),
            Number(112.73),
            Number(38.42),
            Text("简化管理"),
            Text("DA001"),
            Text("1号锅炉"),
            Text("gas"),
            Text(mn),
            Number(2017.0),
            Text("strict"),
            Text("000123"),
            Number(60.0),
            Text("91140900MA0001"),
            Date(2024, 1, 1),
            Date(2028, 12, 31),
            Text(factor),
            Number(limit),
            Text("是"),
            Number(6.0),
            Number(120.5),
        ]
    };
    vec![
        row("9144030071526726XG", "MNCLI0001", "a21026", 35.0),
        row(second_credit_code, "MNCLI0001", "a21002", 0.015),
    ]
}

/// `(mn, factor, hourly limit)` of every stored limit.
fn stored_limits(url: &str) -> Vec<(String, String, String)> {
    tokio::runtime::Runtime::new().unwrap().block_on(async {
        let s = Store::connect(url).await.unwrap();
        s.migrate().await.unwrap();
        s.supervised_limits("2025-06-01")
            .await
            .unwrap()
            .into_iter()
            .map(|l| (l.mn, l.factor, l.hourly_limit.unwrap_or_default()))
            .collect()
    })
}

#[test]
fn registry_workbook_is_imported_exactly_or_not_at_all() {
    let url = db();
    // Named .csv on purpose: the content decides.
    let bad = workbook(
        "bad-registry.csv",
        &qingshan_sources::REGISTRY_COLUMNS,
        &registry("9144030071526726X1"),
    );
    let r = run(&["sources", "import", bad.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("第 3 行「统一社会信用代码」列（A 列）：校验位应为「G」，实为「1」"),
        "{}",
        r.stderr
    );
    assert!(stored_limits(&url).is_empty());

    let good = workbook(
        "registry.xlsx",
        &qingshan_sources::REGISTRY_COLUMNS,
        &registry("9144030071526726XG"),
    );
    let r = run(&["sources", "import", good.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout
            .contains("企业 1，排放口 1，设备 1，许可证 1，限值 2"),
        "{}",
        r.stdout
    );
    let s = |v: &str| v.to_string();
    assert_eq!(
        stored_limits(&url),
        [
            (s("MNCLI0001"), s("a21002"), s("0.015")),
            (s("MNCLI0001"), s("a21026"), s("35")),
        ]
    );
}

#[test]
fn values_workbook_is_imported_exactly_or_not_at_all() {
    let url = db();
    let header = qingshan_plan::values::VALUE_COLUMNS;
    let bad = workbook(
        "bad-values.xlsx",
        &header,
        &[
            vec![Number(7.0), Number(2023.0), Text("140900"), Text("60.10")],
            vec![Number(99.0), Number(2023.0), Text("140900"), Number(1.0)],
        ],
    );
    let r = run(&["values", "import", bad.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("第 3 行「指标序号」列（A 列）：规划中没有第 99 项指标"),
        "{}",
        r.stderr
    );
    let good = workbook(
        "values.xlsx",
        &header,
        &[
            vec![Number(7.0), Number(2023.0), Text("140900"), Text("60.10")],
            vec![Number(17.0), Number(2024.0), Text("140902"), Number(0.015)],
        ],
    );
    let r = run(&["values", "import", good.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入 2 条指标数值"), "{}", r.stdout);
    let values = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let s = Store::connect(&url).await.unwrap();
        let mut v: Vec<(i64, String)> = s
            .current_indicator_values("xinzhou-beautiful-shanxi-2023")
            .await
            .unwrap()
            .into_iter()
            .map(|v| (v.indicator_number, v.value))
            .collect();
        v.sort();
        v
    });
    assert_eq!(values, [(7, "60.10".into()), (17, "0.015".into())]);
}

#[test]
fn water_samples_workbook_names_the_row_and_letter() {
    let url = db();
    let sections = workbook(
        "sections.xlsx",
        &[
            "code",
            "name",
            "level",
            "water_body",
            "basin",
            "division_code",
            "target_class",
            "drinking_source",
        ],
        &[vec![
            Text("W1"),
            Text("青山桥"),
            Text("国考"),
            Text("river"),
            Text("青山河"),
            Text("140902"),
            Text("III"),
            Text("否"),
        ]],
    );
    let r = run(&[
        "water",
        "sections",
        "import",
        sections.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let header = ["section", "date", "item", "value"];
    let bad = workbook(
        "bad-samples.xlsx",
        &header,
        &[
            vec![Text("W1"), Date(2024, 1, 10), Text("NH3N"), Number(0.5)],
            vec![Text("W1"), Date(2024, 1, 10), Text("TP"), Text("n.d.")],
        ],
    );
    let r = run(&["water", "import", bad.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("第 3 行「监测结果」列（D 列）：不是有效数字（「n.d.」"),
        "{}",
        r.stderr
    );
    let good = workbook(
        "samples.xlsx",
        &header,
        &[
            vec![Text("W1"), Date(2024, 1, 10), Text("NH3N"), Number(0.5)],
            vec![Text("W1"), Date(2024, 1, 10), Text("Hg"), Text("<0.00005")],
        ],
    );
    let r = run(&["water", "import", good.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let rows = tokio::runtime::Runtime::new().unwrap().block_on(async {
        let s = Store::connect(&url).await.unwrap();
        s.water_samples(None, 2024)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.date, r.item, r.value, r.below_detection))
            .collect::<Vec<_>>()
    });
    let s = |v: &str| v.to_string();
    assert_eq!(
        rows,
        [
            (s("2024-01-10"), s("Hg"), s("0.00005"), true),
            (s("2024-01-10"), s("NH3N"), s("0.5"), false),
        ]
    );
}

#[test]
fn templates_as_csv_by_default_and_xlsx_on_request() {
    let r = run(&["sources", "template"]);
    assert_eq!(r.code, 0);
    let zh =
        |t: &[qingshan_app::imports::TemplateColumn]| t.iter().map(|c| c.zh).collect::<Vec<_>>();
    use qingshan_app::imports::{
        AIR_HOURLY_TEMPLATE, AIR_STATION_TEMPLATE, REGISTRY_TEMPLATE, VALUES_TEMPLATE,
        WATER_SECTION_TEMPLATE,
    };
    // Chinese headers, with a byte-order mark so spreadsheet programs read UTF-8.
    assert_eq!(
        r.stdout,
        format!("\u{feff}{}\n", zh(&REGISTRY_TEMPLATE).join(","))
    );
    assert!(
        r.stdout
            .starts_with("\u{feff}统一社会信用代码,排污单位名称,")
    );
    let r = run(&["sources", "template", "--format", "xlsx"]);
    assert_ne!(r.code, 0, "a workbook is not written to a terminal");
    for (cmd, columns) in [
        (&["sources"][..], zh(&REGISTRY_TEMPLATE)),
        (&["values"][..], zh(&VALUES_TEMPLATE)),
        (
            &["water"][..],
            vec!["断面编码", "采样日期", "监测项目", "监测结果"],
        ),
        (&["water", "sections"][..], zh(&WATER_SECTION_TEMPLATE)),
        (&["air"][..], zh(&AIR_HOURLY_TEMPLATE)),
        (&["air", "stations"][..], zh(&AIR_STATION_TEMPLATE)),
    ] {
        let out = temp(&format!("{}-template.xlsx", cmd.join("-")));
        let mut args = cmd.to_vec();
        args.extend(["template", "--format", "xlsx", "-o", out.to_str().unwrap()]);
        let r = run(&args);
        assert_eq!(r.code, 0, "{cmd:?}: {}", r.stderr);
        let sheet = qingshan_tabular::read_first_sheet(&std::fs::read(&out).unwrap()).unwrap();
        assert_eq!(sheet.rows(), [columns], "{cmd:?}");
    }
    // A file called .xlsx that is none is refused before any CSV parsing.
    let fake = temp("fake.xlsx");
    std::fs::write(&fake, "credit_code\n").unwrap();
    let r = run(&["sources", "import", fake.to_str().unwrap(), "--db", &db()]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("内容不是 XLSX 工作簿"), "{}", r.stderr);
}

#[test]
fn chinese_headers_import_and_every_bad_row_is_listed() {
    let url = db();
    let csv = |name: &str, text: &str| {
        let p = temp(name);
        std::fs::write(&p, text).unwrap();
        p
    };
    let bad = csv(
        "bad-values.csv",
        "指标序号,年份,行政区划代码,数值（%）\n7,2023,140900,abc\n7,2024,140900,60\n99,2023,140900,1\n7,2023,999999,1\n",
    );
    let r = run(&["values", "import", bad.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    let lines: Vec<&str> = r.stderr.lines().filter(|l| l.starts_with("第 ")).collect();
    assert_eq!(lines.len(), 3, "{}", r.stderr);
    assert!(lines[0].starts_with("第 2 行「数值」列："), "{}", r.stderr);
    assert_eq!(lines[1], "第 4 行「指标序号」列：规划中没有第 99 项指标");
    assert!(
        lines[2].starts_with("第 5 行「行政区划代码」列："),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("文件有 3 处错误，未导入"), "{}", r.stderr);
    for english in ["row ", "column ", "value:"] {
        assert!(!r.stderr.contains(english), "{}", r.stderr);
    }
    let good = csv(
        "values.csv",
        " 指标序号 ,年份,行政区划代码,数值（%）,备注\n7,2023,140900,60.10,样例\n",
    );
    let r = run(&["values", "import", good.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入 1 条指标数值"), "{}", r.stdout);
}
