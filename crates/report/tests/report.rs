#![allow(clippy::unwrap_used, clippy::expect_used)]
//! The annual report built from a synthetic 2021–2024 dataset on Xinzhou's plan, rendered in
//! every format and read back.

use std::io::Read;
use std::path::PathBuf;
use std::process::Command;

use qingshan_plan::progress::{Rule, Status};
use qingshan_plan::{Plan, xinzhou};
use qingshan_report::{
    AssignedTarget, Inputs, Issue, ManualJudgement, ReportData, ReportErrorKind, TaskReportInput,
    TaskState, ValueInput, find_cjk_font, render_html, render_pdf, render_xlsx,
};

const CITY: &str = "140900";
const WUTAI: &str = "140922";
const YUANPING: &str = "140981";

fn v(indicator: u32, year: i32, division: &str, value: &str) -> ValueInput {
    ValueInput {
        indicator,
        year,
        division: division.to_string(),
        value: value.to_string(),
    }
}

fn task(
    area: u32,
    number: u32,
    period: &str,
    status: TaskState,
    narrative: &str,
) -> TaskReportInput {
    TaskReportInput {
        area,
        number,
        period: period.to_string(),
        status,
        narrative: narrative.to_string(),
    }
}

fn inputs() -> Inputs {
    let mut values = Vec::new();
    let series: [(u32, [&str; 4]); 7] = [
        // 生态保护红线面积, held.
        (1, ["0.620607", "0.620607", "0.620607", "0.620607"]),
        // 能耗降低, cumulative since 2020.
        (3, ["3.1", "6.0", "9.0", "11.2"]),
        // 森林覆盖率.
        (6, ["14.6", "15.1", "15.5", "15.9"]),
        // 水土保持率.
        (7, ["60.0", "60.4", "60.7", "61.0"]),
        // PM2.5, assigned by the province.
        (12, ["42", "40", "39", "37"]),
        // 城镇生活污水集中收集率, falling.
        (17, ["47.0", "46.5", "46.0", "45.8"]),
        // 农村生活污水治理率.
        (21, ["8", "11", "14", "17"]),
    ];
    for (n, vals) in series {
        for (k, val) in vals.iter().enumerate() {
            values.push(v(n, 2021 + k as i32, CITY, val));
        }
    }
    // A value after the report year must not show.
    values.push(v(6, 2025, CITY, "99"));
    // A revision: the later entry for the same year wins.
    values.push(v(7, 2024, CITY, "61.5"));
    values.extend([
        v(6, 2020, WUTAI, "20.1"),
        v(6, 2022, WUTAI, "20.5"),
        v(6, 2024, WUTAI, "21.4"),
        v(17, 2021, YUANPING, "40"),
        v(17, 2024, YUANPING, "38"),
    ]);
    Inputs {
        values,
        assigned: vec![AssignedTarget {
            indicator: 12,
            year: 2024,
            division: CITY.to_string(),
            value: "38".to_string(),
        }],
        judgements: vec![ManualJudgement {
            indicator: 16,
            division: CITY.to_string(),
            met: true,
            justification: "重点建设用地均完成土壤污染状况调查，安全利用率100%".to_string(),
        }],
        task_reports: vec![
            task(
                1,
                1,
                "2024Q2",
                TaskState::InProgress,
                "完成国土空间总体规划报批",
            ),
            task(
                1,
                1,
                "2024",
                TaskState::Completed,
                "国土空间总体规划获批实施",
            ),
            task(
                3,
                2,
                "2024",
                TaskState::Lagging,
                "汾河流域2个断面水质<Ⅲ类，整治滞后",
            ),
            task(2, 1, "2023", TaskState::NotStarted, "尚未启动"),
            task(4, 1, "2025Q1", TaskState::Completed, "下一年度的报告"),
        ],
        ledger: ledger_items(),
        ..Inputs::default()
    }
}

fn part(
    name: &str,
    county: bool,
    role: &str,
    shown: &str,
    complete: bool,
    overdue: bool,
) -> qingshan_report::LedgerPart {
    qingshan_report::LedgerPart {
        name: name.into(),
        county,
        role: role.into(),
        shown: shown.into(),
        complete,
        overdue,
    }
}

/// Two items of 2024 as the app judges them (one done, one with an overdue county), and one of
/// another year that the 2024 report leaves out.
fn ledger_items() -> Vec<qingshan_report::LedgerItem> {
    let item =
        |id: &str, year: i32, city: &str, complete: bool, parts| qingshan_report::LedgerItem {
            id: id.into(),
            area: 3,
            task: 1,
            text: "加快35蒸吨以下燃煤锅炉动态清零".into(),
            measure: "数量：不高于 0台".into(),
            deadline: format!("{year}-12-31"),
            year,
            city: city.into(),
            complete,
            parts,
        };
    vec![
        item(
            "3-1-1",
            2024,
            "2台（2/2 已通过审核）",
            false,
            vec![
                part("忻府区", true, "区县", "0台", true, false),
                part("定襄县", true, "区县", "2台", false, true),
                part("市生态环境局", false, "牵头单位", "", false, true),
            ],
        ),
        item(
            "3-1-9",
            2024,
            "0台（1/1 已通过审核）",
            true,
            vec![
                part("忻府区", true, "区县", "0台", true, false),
                part("市生态环境局", false, "牵头单位", "已报", true, false),
            ],
        ),
        item("3-1-8", 2025, "0台", false, vec![]),
    ]
}

#[test]
fn the_report_shows_the_years_items_with_parts_per_unit_and_county() {
    let d = data();
    assert_eq!(
        d.ledger.iter().map(|i| i.id.as_str()).collect::<Vec<_>>(),
        ["3-1-1", "3-1-9"]
    );
    let xinfu = d
        .ledger_tallies
        .iter()
        .find(|t| t.name == "忻府区")
        .unwrap();
    assert_eq!((xinfu.done, xinfu.overdue, xinfu.total), (2, 0, 2));
    let dx = d
        .ledger_tallies
        .iter()
        .find(|t| t.name == "定襄县")
        .unwrap();
    assert_eq!((dx.done, dx.overdue, dx.total), (0, 1, 1));
    let sthj = d
        .ledger_tallies
        .iter()
        .find(|t| t.name == "市生态环境局")
        .unwrap();
    assert_eq!((sthj.done, sthj.overdue, sthj.total), (1, 1, 2));
    let html = render_html(&d);
    assert!(html.contains("2024年度共2个事项，已完成1个"));
    assert!(html.contains("定襄县：逾期（2台）"));
}

fn plan() -> Plan {
    xinzhou().unwrap()
}

/// A fixed issue, so the golden files do not change with the day they are run.
fn issue() -> Issue {
    Issue {
        unit: "忻州市生态环境局".to_string(),
        date: chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
    }
}

fn data() -> ReportData {
    ReportData::build(&plan(), 2024, &inputs(), &issue()).unwrap()
}

#[test]
fn statuses_follow_the_progress_methods() {
    let d = data();
    let status = |n: u32| {
        d.indicators
            .iter()
            .find(|i| i.number == n)
            .unwrap()
            .assessment
            .clone()
    };
    assert_eq!(status(1).status, Status::TargetAchieved);
    let pm = status(12);
    assert_eq!(
        (pm.status, pm.rule),
        (Status::TargetAchieved, Rule::FinalAchieved)
    );
    assert!(d.indicators[11].reasoning.contains("省级下达"));
    assert_eq!(status(16).status, Status::Manual);
    assert_eq!(status(17).status, Status::Deterioration);
    // Nothing was reported for 9 (湿地保护率): no data, which leaves its unit ungraded.
    assert_eq!(
        (status(9).status, status(9).rule),
        (Status::NotAvailable, Rule::NoData)
    );
    // The 2025 value is outside a 2024 report.
    let forest = &d.indicators[5];
    assert_eq!(forest.series.last().unwrap().year, 2024);
    assert_eq!(forest.assessment.current.unwrap().value.to_string(), "15.9");
    // The revised 2024 value of 7 is the one judged.
    assert_eq!(status(7).current.unwrap().value.to_string(), "61.5");
    // Outlook anchored at the baseline: five points 2020–2024.
    let o = forest.outlook.as_ref().unwrap();
    assert_eq!((o.points, o.years, o.target_year), (5, (2020, 2024), 2025));
}

#[test]
fn roll_ups_add_up() {
    let d = data();
    assert_eq!(d.summary.total, 24);
    assert_eq!(d.by_unit.iter().map(|g| g.counts.total).sum::<usize>(), 24);
    assert_eq!(
        d.by_category.iter().map(|g| g.counts.total).sum::<usize>(),
        24
    );
    let city = d.by_division.iter().find(|g| g.key == CITY).unwrap();
    assert_eq!(city.counts, d.summary);
    // Counties are judged only on what they reported.
    let wutai = d.by_division.iter().find(|g| g.key == WUTAI).unwrap();
    assert_eq!(wutai.counts.total, 1);
    let yuanping = d.by_division.iter().find(|g| g.key == YUANPING).unwrap();
    assert_eq!(yuanping.counts.total, 1);
    assert_eq!(d.division_assessments.len(), 2);
    // 五台县's own 2020 value is its baseline, not the city's 14.21.
    let w = d
        .division_assessments
        .iter()
        .find(|a| a.division == WUTAI)
        .unwrap();
    assert_eq!(w.assessment.base.unwrap().value.to_string(), "20.1");
    assert!(!w.assessment.base_substituted);
    // 原平市 has no 2020 value: its first report stands in, and says so.
    let y = d
        .division_assessments
        .iter()
        .find(|a| a.division == YUANPING)
        .unwrap();
    assert!(y.assessment.base_substituted);
    assert_eq!(y.assessment.status, Status::Deterioration);
    let ys = d
        .division_scores
        .iter()
        .find(|s| s.key == YUANPING)
        .unwrap();
    assert_eq!(ys.score().map(|s| s.to_string()).as_deref(), Some("94"));
    // 规划和自然资源局 owns 9 (no data): no score, no grade, and the report says why.
    let gh = d.unit_scores.iter().find(|s| s.key == "ghzrzy").unwrap();
    assert_eq!((gh.score(), gh.grade()), (None, None));
    assert!(gh.missing() >= 1);
    let html = qingshan_report::render_html(&d);
    assert!(html.contains(&format!("数据不全（{} 项无数据）", gh.missing())));
    // Every unit owning an indicator has a score, and scores match the counts.
    assert_eq!(d.unit_scores.len(), d.by_unit.len());
    for s in &d.unit_scores {
        let g = d.by_unit.iter().find(|g| g.key == s.key).unwrap();
        assert_eq!(s.indicators, g.counts.total, "{}", s.key);
    }
}

#[test]
fn tasks_take_the_latest_report_up_to_the_year() {
    let d = data();
    let find = |code: &str| {
        d.areas
            .iter()
            .flat_map(|a| a.tasks.iter())
            .find(|t| t.code == code)
            .unwrap()
    };
    assert_eq!(find("1-1").status, Some(TaskState::Completed));
    assert_eq!(find("1-1").period.as_deref(), Some("2024"));
    assert_eq!(find("3-2").status, Some(TaskState::Lagging));
    assert_eq!(find("2-1").status, Some(TaskState::NotStarted));
    assert_eq!(find("4-1").status, None);
    let t = &d.task_summary;
    assert_eq!(t.total, plan().tasks().count());
    assert_eq!(
        (t.completed, t.lagging, t.not_started, t.in_progress),
        (1, 1, 1, 0)
    );
    assert_eq!(t.unreported, t.total - 3);
}

#[test]
fn bad_inputs_are_refused_with_an_input_error() {
    let p = plan();
    let mut i = inputs();
    i.values.push(v(6, 2023, CITY, "15,5"));
    let e = ReportData::build(&p, 2024, &i, &issue()).unwrap_err();
    assert_eq!(e.kind(), ReportErrorKind::Input);
    assert!(e.to_string().contains("15,5"), "{e}");

    let mut i = inputs();
    i.values.push(v(6, 2023, "999999", "1"));
    assert!(
        ReportData::build(&p, 2024, &i, &issue())
            .unwrap_err()
            .to_string()
            .contains("999999")
    );

    let mut i = inputs();
    i.values.push(v(99, 2023, CITY, "1"));
    assert_eq!(
        ReportData::build(&p, 2024, &i, &issue())
            .unwrap_err()
            .kind()
            .code(),
        "input"
    );

    let mut i = inputs();
    i.task_reports
        .push(task(1, 1, "2024H1", TaskState::Completed, ""));
    assert!(
        ReportData::build(&p, 2024, &i, &issue())
            .unwrap_err()
            .to_string()
            .contains("2024H1")
    );

    let mut i = inputs();
    i.task_reports
        .push(task(9, 9, "2024", TaskState::Completed, ""));
    assert!(ReportData::build(&p, 2024, &i, &issue()).is_err());
}

#[test]
fn the_cover_takes_the_callers_unit_and_date_and_the_plans_title() {
    let d = data();
    assert_eq!(
        d.cover.title,
        "《忻州市贯彻落实〈美丽山西建设规划纲要（2023-2035年）〉实施方案》2024年度实施进展评估报告"
    );
    assert_eq!(d.cover.unit, "忻州市生态环境局");
    assert_eq!(d.cover.date_text(), "2025年3月31日");
    let other = Issue {
        unit: "忻州市美丽忻州建设领导小组办公室".into(),
        date: chrono::NaiveDate::from_ymd_opt(2025, 12, 1).unwrap(),
    };
    let d = ReportData::build(&plan(), 2024, &inputs(), &other).unwrap();
    assert_eq!(d.cover.unit, other.unit);
    assert_eq!(d.cover.date_text(), "2025年12月1日");
    // A blank unit falls back to the default, never an unsigned cover.
    let blank = Issue {
        unit: "  ".into(),
        ..other
    };
    let d = ReportData::build(&plan(), 2024, &inputs(), &blank).unwrap();
    assert_eq!(d.cover.unit, qingshan_report::default_unit(&plan()));
    assert_eq!(d.cover.unit, "忻州市生态环境局");
}

#[test]
fn report_data_serialises() {
    let json = serde_json::to_value(data()).unwrap();
    assert_eq!(json["year"], 2024);
    assert_eq!(json["indicators"].as_array().unwrap().len(), 24);
    assert_eq!(
        json["indicators"][11]["assessment"]["status"],
        "target_achieved"
    );
    assert_eq!(json["summary"]["total"], 24);
}

#[test]
fn html_golden() {
    let html = render_html(&data());
    insta::assert_snapshot!("report_2024_html", html);
}

#[test]
fn html_is_escaped_self_contained_and_complete() {
    let mut i = inputs();
    i.task_reports.push(task(
        5,
        1,
        "2024",
        TaskState::InProgress,
        "<script>alert('x')</script> & \"引号\"",
    ));
    let d = ReportData::build(&plan(), 2024, &i, &issue()).unwrap();
    let html = render_html(&d);
    assert!(!html.contains("<script>"));
    assert!(
        html.contains("&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt; &amp; &quot;引号&quot;")
    );
    assert!(html.contains("汾河流域2个断面水质&lt;Ⅲ类"));
    for forbidden in ["http://", "https://"] {
        // The only URL allowed is the SVG namespace, which is not fetched.
        let n = html.matches(forbidden).count();
        let ns = html.matches("http://www.w3.org/2000/svg").count();
        assert_eq!(
            n - if forbidden == "http://" { ns } else { 0 },
            0,
            "{forbidden}"
        );
    }
    for section in [
        "总体情况",
        "指标评估",
        "任务进展",
        "责任单位",
        "县（市、区）",
        "附录：评估方法与计算过程",
    ] {
        assert!(html.contains(section), "{section}");
    }
    // Method names and ratios are in the appendix only.
    let (body, appendix) = html.split_at(html.find("附录：评估方法与计算过程").unwrap());
    for jargon in ["Theil", "Open SDG", "泰尔", "比值"] {
        assert!(!body.contains(jargon), "{jargon} before the appendix");
        assert!(appendix.contains(jargon), "{jargon} in the appendix");
    }
    // A chart for each of the 7 indicators with values; the 17 others say why they have none.
    assert_eq!(html.matches("<svg ").count(), 7);
    // Each chart's value line, and the target path on to the 2035 target of the five
    // charted indicators that have a numeric one (1, 6, 7, 17, 21; not 3 or 12).
    assert_eq!(html.matches("<polyline ").count(), 7 + 5);
    assert_eq!(html.matches("<title>2035年目标 ").count(), 5);
    assert_eq!(
        html.matches("暂无上报数据，未绘制走势图").count()
            + html.matches("定性目标，以人工评定为准").count(),
        17
    );
}

fn unzip(bytes: &[u8]) -> zip::ZipArchive<std::io::Cursor<&[u8]>> {
    zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap()
}

fn entry(z: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>, name: &str) -> String {
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

#[test]
fn xlsx_has_its_sheets_with_the_right_rows() {
    let d = data();
    let bytes = render_xlsx(&d).unwrap();
    std::fs::write(out_dir().join("report-2024.xlsx"), &bytes).unwrap();
    assert_eq!(&bytes[..2], b"PK");
    let mut z = unzip(&bytes);
    let wb = entry(&mut z, "xl/workbook.xml");
    let names: Vec<&str> = wb
        .split("<sheet ")
        .skip(1)
        .map(|s| {
            s.split("name=\"")
                .nth(1)
                .unwrap()
                .split('"')
                .next()
                .unwrap()
        })
        .collect();
    assert_eq!(
        names,
        [
            "封面",
            "指标",
            "任务",
            "责任单位",
            "县市区",
            "图表",
            "图表数据",
            "附录-评估方法",
            "任务台账"
        ]
    );
    let rows = |z: &mut zip::ZipArchive<_>, n: usize| {
        entry(z, &format!("xl/worksheets/sheet{n}.xml"))
            .matches("<row ")
            .count()
    };
    assert_eq!(rows(&mut z, 2), 1 + 24);
    assert_eq!(rows(&mut z, 3), 1 + plan().tasks().count());
    // 任务台账: one row per part of the year's two items (3 + 2).
    assert_eq!(rows(&mut z, 9), 1 + 5);
    assert_eq!(rows(&mut z, 4), 1 + d.by_unit.len());
    assert_eq!(rows(&mut z, 5), 1 + 14);
    // The appendix: a header, 24 indicators, the note on the method.
    assert_eq!(rows(&mut z, 8), 1 + 24 + 1);
    // Numbers are stored as numbers: the baseline of indicator 1 in F2, the 2024 forest
    // value in the 2024 column (I=2020 … M=2024) of row 7.
    let s1 = entry(&mut z, "xl/worksheets/sheet2.xml");
    assert!(
        s1.contains("<c r=\"F2\" s=\"") && s1.contains("<v>0.620607</v>"),
        "F2"
    );
    let m7 = s1.split("<c r=\"M7\"").nth(1).unwrap();
    assert!(m7.starts_with(" s=\"") && m7.split("</c>").next().unwrap().contains("<v>15.9</v>"));
    let shared = entry(&mut z, "xl/sharedStrings.xml");
    assert!(shared.contains("森林覆盖率") && shared.contains("需加快"));
    // A unit with an indicator lacking data: the reason in place of a grade.
    assert!(shared.contains("数据不全（1 项无数据）"));
}

/// The cells of a worksheet part: reference → text (shared strings resolved); blanks left out.
fn cells(sheet: &str, shared: &[String]) -> std::collections::HashMap<String, String> {
    let mut out = std::collections::HashMap::new();
    for c in sheet.split("<c r=\"").skip(1) {
        let (r, rest) = c.split_once('"').unwrap();
        let tag = rest.split('>').next().unwrap();
        if tag.ends_with('/') {
            continue;
        }
        let Some(v) = rest
            .split("</c>")
            .next()
            .unwrap()
            .split("<v>")
            .nth(1)
            .and_then(|v| v.split("</v>").next())
        else {
            continue;
        };
        let v = if tag.contains("t=\"s\"") {
            shared[v.parse::<usize>().unwrap()].clone()
        } else {
            v.to_string()
        };
        out.insert(r.to_string(), v);
    }
    out
}

fn shared_strings(xml: &str) -> Vec<String> {
    xml.split("<si>")
        .skip(1)
        .map(|si| {
            si.split("<t")
                .skip(1)
                .map(|t| t.split_once('>').unwrap().1.split("</t>").next().unwrap())
                .collect()
        })
        .collect()
}

/// The cells of a range like `图表数据!$B$39:$B$44` (one column), top to bottom.
fn column(range: &str, cells: &std::collections::HashMap<String, String>) -> Vec<Option<String>> {
    let (sheet, r) = range.split_once('!').unwrap();
    assert_eq!(sheet.trim_matches('\''), "图表数据", "{range}");
    let r = r.replace('$', "");
    let (a, b) = r.split_once(':').unwrap_or((&r, &r));
    let split = |c: &str| {
        let k = c.find(|ch: char| ch.is_ascii_digit()).unwrap();
        (c[..k].to_string(), c[k..].parse::<u32>().unwrap())
    };
    let ((col, first), (col2, last)) = (split(a), split(b));
    assert_eq!(col, col2, "{range} is one column");
    (first..=last)
        .map(|row| cells.get(&format!("{col}{row}")).cloned())
        .collect()
}

/// A chart series resolved on its data sheet: name, categories, values.
type Series = (String, Vec<Option<String>>, Vec<Option<String>>);

#[test]
fn xlsx_charts_plot_each_numeric_indicator_against_its_target_line() {
    let d = data();
    let bytes = render_xlsx(&d).unwrap();
    let mut z = unzip(&bytes);
    let shared = shared_strings(&entry(&mut z, "xl/sharedStrings.xml"));
    // Sheets 6 and 7 are 图表 and 图表数据 (see the sheet order test above).
    let data_cells = cells(&entry(&mut z, "xl/worksheets/sheet7.xml"), &shared);
    assert!(
        entry(&mut z, "xl/worksheets/_rels/sheet6.xml.rels").contains("../drawings/drawing1.xml"),
        "the charts sit on 图表"
    );
    let drawing_rels = entry(&mut z, "xl/drawings/_rels/drawing1.xml.rels");

    // One chart per indicator with reported values, in plan order, as in the HTML and PDF.
    let charted: Vec<&qingshan_report::IndicatorReport> = d
        .indicators
        .iter()
        .filter(|i| !i.series.is_empty())
        .collect();
    assert_eq!(charted.len(), 7);
    assert!(
        z.by_name(&format!("xl/charts/chart{}.xml", charted.len() + 1))
            .is_err()
    );
    let mut titles = Vec::new();
    let mut charts = std::collections::HashMap::new();
    for (k, ind) in charted.iter().enumerate() {
        let name = format!("xl/charts/chart{}.xml", k + 1);
        let xml = entry(&mut z, &name);
        assert!(drawing_rels.contains(&format!("../charts/chart{}.xml", k + 1)));
        assert!(xml.contains("<c:lineChart>"), "{name} is a line chart");
        let title = format!("{}. {}（{}）", ind.number, ind.name, ind.unit);
        assert!(
            xml.contains(&format!("<a:t>{title}</a:t>")),
            "{name}: {title}"
        );
        titles.push(title);
        charts.insert(ind.number, xml);
    }
    assert!(titles.contains(&"6. 森林覆盖率（%）".to_string()));

    // The series of a chart: (name, categories, values), each resolved on 图表数据.
    let series = |xml: &str| -> Vec<Series> {
        xml.split("<c:ser>")
            .skip(1)
            .map(|ser| {
                let f: Vec<&str> = ser
                    .split("<c:f>")
                    .skip(1)
                    .map(|x| x.split("</c:f>").next().unwrap())
                    .collect();
                assert_eq!(f.len(), 3, "name, categories, values");
                let name = column(f[0], &data_cells)[0].clone().unwrap();
                (name, column(f[1], &data_cells), column(f[2], &data_cells))
            })
            .collect()
    };
    let num = |v: &Option<String>| v.as_deref().map(|s| s.parse::<f64>().unwrap());

    // 森林覆盖率: the reported path 2021–2024 and the line from the baseline to the 2025 target.
    let forest = d.indicators.iter().find(|i| i.number == 6).unwrap();
    let base = forest.assessment.base.unwrap();
    let target = forest.assessment.target.unwrap();
    let s = series(&charts[&6]);
    assert_eq!(s.len(), 2);
    let (actual_name, years, actual) = &s[0];
    assert_eq!(actual_name, "实际值");
    let years: Vec<i32> = years.iter().map(|y| num(y).unwrap() as i32).collect();
    assert_eq!(years, (base.year..=target.year).collect::<Vec<_>>());
    let expected: Vec<Option<f64>> = years
        .iter()
        .map(|y| {
            forest
                .series
                .iter()
                .find(|o| o.year == *y)
                .map(|o| o.value.to_f64())
        })
        .collect();
    assert_eq!(actual.iter().map(num).collect::<Vec<_>>(), expected);
    assert_eq!(
        expected[1..5],
        [Some(14.6), Some(15.1), Some(15.5), Some(15.9)]
    );
    let (path_name, path_years, path) = &s[1];
    assert_eq!(
        path_name,
        &format!("规划路径（{}年基期→{}年目标）", base.year, target.year)
    );
    assert_eq!(path_years.len(), years.len());
    let path: Vec<f64> = path.iter().map(|v| num(v).unwrap()).collect();
    let (b, t) = (base.value.to_f64(), target.value.to_f64());
    assert!((path[0] - b).abs() < 1e-9 && (path[path.len() - 1] - t).abs() < 1e-9);
    let step = (t - b) / f64::from(target.year - base.year);
    for w in path.windows(2) {
        assert!(
            (w[1] - w[0] - step).abs() < 1e-5,
            "a straight line: {path:?}"
        );
    }

    // PM2.5, a 完成省级下达任务 indicator: the province's target as a third series.
    let pm = series(&charts[&12]);
    assert_eq!(pm.len(), 3);
    assert_eq!(pm[2].0, "省级下达目标");
    let last = pm[2].2.last().unwrap();
    assert_eq!(num(last), Some(38.0));
}

/// A CJK font, or `None` after saying loudly why the test cannot run (a failure on CI).
fn font_or_skip(test: &str) -> Option<Vec<u8>> {
    let found = find_cjk_font();
    qingshan_testkit::require(
        found.is_some(),
        &format!("{test}: CJK 字体"),
        "apt-get install fonts-wqy-microhei，或设置 QINGSHAN_FONT",
    );
    found.map(|(_, bytes)| bytes)
}

fn tool_or_skip(test: &str, tool: &str) -> bool {
    qingshan_testkit::required_program(
        &[tool],
        &format!("{test}: {tool}"),
        "apt-get install poppler-utils",
    )
    .is_some()
}

fn out_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("qingshan-report");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn pdf_embeds_a_font_subset() {
    let Some(font) = font_or_skip("pdf_embeds_a_font_subset") else {
        return;
    };
    let pdf = render_pdf(&data(), &font).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let text = String::from_utf8_lossy(&pdf);
    assert!(text.contains("/FontFile2") || text.contains("/FontFile3"));
    // A subset's name carries a six-capital-letter tag: /ABCDEF+Name.
    let tagged = text.split("/BaseFont").skip(1).any(|rest| {
        let rest = rest.trim_start().trim_start_matches('/');
        let tag: Vec<char> = rest.chars().take(7).collect();
        tag.len() == 7 && tag[..6].iter().all(char::is_ascii_uppercase) && tag[6] == '+'
    });
    assert!(tagged, "no subset tag on the embedded font");
    // A subset is far smaller than the 5 MB font.
    assert!(pdf.len() < font.len() / 4, "{} bytes", pdf.len());
}

#[test]
fn pdf_fonts_are_embedded_and_page_one_renders() {
    let Some(font) = font_or_skip("pdf_fonts_are_embedded_and_page_one_renders") else {
        return;
    };
    if !tool_or_skip("pdf_fonts_are_embedded_and_page_one_renders", "pdftoppm") {
        return;
    }
    let dir = out_dir();
    let path = dir.join("report-2024.pdf");
    std::fs::write(&path, render_pdf(&data(), &font).unwrap()).unwrap();

    let fonts = Command::new("pdffonts").arg(&path).output().unwrap();
    assert!(fonts.status.success());
    let listing = String::from_utf8_lossy(&fonts.stdout);
    let rows: Vec<&str> = listing.lines().skip(2).collect();
    assert!(!rows.is_empty(), "{listing}");
    for row in &rows {
        // name type encoding emb sub uni object ID
        let cols: Vec<&str> = row.split_whitespace().collect();
        let n = cols.len();
        assert!(n >= 7, "{row}");
        assert_eq!(cols[n - 5], "yes", "not embedded: {row}");
        assert_eq!(cols[n - 4], "yes", "not a subset: {row}");
        assert_eq!(cols[n - 3], "yes", "no ToUnicode: {row}");
    }
    assert!(
        rows.iter()
            .any(|r| r.contains("WenQuanYi") || r.contains("CJK") || r.contains("Hei")),
        "{listing}"
    );

    for old in std::fs::read_dir(&dir).unwrap().filter_map(Result::ok) {
        if old.file_name().to_string_lossy().ends_with(".png") {
            std::fs::remove_file(old.path()).unwrap();
        }
    }
    let prefix = dir.join("page");
    let st = Command::new("pdftoppm")
        .args(["-png", "-r", "80", "-f", "1", "-l", "3"])
        .arg(&path)
        .arg(&prefix)
        .status()
        .unwrap();
    assert!(st.success());
    let png = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(Result::ok)
        .map(|e| e.path())
        .find(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("page") && n.ends_with("1.png"))
        })
        .expect("page 1 PNG");
    let bytes = std::fs::read(&png).unwrap();
    assert!(bytes.starts_with(b"\x89PNG"));
    // A blank A4 page at 80 dpi compresses to about 2 kB; the title page has text on it.
    assert!(
        bytes.len() > 8_000,
        "page 1 looks blank: {} bytes",
        bytes.len()
    );
    eprintln!("page 1 rendered to {}", png.display());

    // The text layer carries the Chinese text (ToUnicode maps are right).
    let txt = Command::new("pdftotext")
        .args(["-f", "1", "-l", "2"])
        .arg(&path)
        .arg("-")
        .output();
    if let Ok(out) = txt {
        let s = String::from_utf8_lossy(&out.stdout).replace('\n', "");
        assert!(s.contains("实施进展评估报告"), "{s}");
        assert!(s.contains("总体情况"), "{s}");
    }
}

#[test]
fn pdf_refuses_a_font_without_chinese() {
    let e = render_pdf(&data(), b"not a font").unwrap_err();
    assert_eq!(e.kind(), ReportErrorKind::Font);
}

/// The cells of a worksheet in reading order, one `A1 = text` line each, for a golden file.
fn sheet_dump(
    z: &mut zip::ZipArchive<std::io::Cursor<&[u8]>>,
    n: usize,
    shared: &[String],
) -> String {
    let cells = cells(&entry(z, &format!("xl/worksheets/sheet{n}.xml")), shared);
    let key = |r: &str| {
        let k = r.find(|c: char| c.is_ascii_digit()).unwrap();
        let col = r[..k]
            .chars()
            .fold(0u32, |acc, c| acc * 26 + (c as u32 - 'A' as u32 + 1));
        (r[k..].parse::<u32>().unwrap(), col)
    };
    let mut refs: Vec<&String> = cells.keys().collect();
    refs.sort_by_key(|r| key(r));
    refs.iter()
        .map(|r| format!("{r} = {}\n", cells[*r]))
        .collect()
}

#[test]
fn xlsx_golden() {
    let bytes = render_xlsx(&data()).unwrap();
    let mut z = unzip(&bytes);
    let shared = shared_strings(&entry(&mut z, "xl/sharedStrings.xml"));
    // 封面, 指标, 附录-评估方法: what a reader of the workbook reads.
    for (n, name) in [(1, "cover"), (2, "indicators"), (8, "appendix")] {
        insta::assert_snapshot!(
            format!("report_2024_xlsx_{name}"),
            sheet_dump(&mut z, n, &shared)
        );
    }
}

#[test]
fn pdf_has_its_cover_and_keeps_the_method_in_the_appendix() {
    let test = "pdf_has_its_cover_and_keeps_the_method_in_the_appendix";
    let Some(font) = font_or_skip(test) else {
        return;
    };
    if !tool_or_skip(test, "pdftotext") || !tool_or_skip(test, "pdfinfo") {
        return;
    }
    let path = out_dir().join("report-2024-structure.pdf");
    std::fs::write(&path, render_pdf(&data(), &font).unwrap()).unwrap();
    let info = Command::new("pdfinfo").arg(&path).output().unwrap();
    let info = String::from_utf8_lossy(&info.stdout);
    let pages: usize = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    assert!((8..=30).contains(&pages), "{pages} pages");

    let text = |first: usize, last: usize| {
        let out = Command::new("pdftotext")
            .args(["-f", &first.to_string(), "-l", &last.to_string()])
            .arg(&path)
            .arg("-")
            .output()
            .unwrap();
        assert!(out.status.success());
        String::from_utf8_lossy(&out.stdout).to_string()
    };
    // The title wraps on the cover; its words are checked across the lines.
    let cover = text(1, 1).replace('\n', "");
    for needle in [
        "忻州市贯彻落实",
        "2024年度实施进展评估报告",
        "评估年度：2024年",
        "编制单位：忻州市生态环境局",
        "2025年3月31日",
    ] {
        assert!(cover.contains(needle), "cover lacks {needle}: {cover}");
    }
    let all = text(1, pages);
    let appendix = all
        .find("附录：评估方法与计算过程")
        .expect("the appendix heading");
    let (body, tail) = all.split_at(appendix);
    for jargon in ["Theil", "Open SDG", "泰尔", "比值"] {
        assert!(!body.contains(jargon), "{jargon} before the appendix");
    }
    assert!(
        tail.contains("Theil") && tail.contains("Open SDG"),
        "{tail}"
    );
    assert!(
        body.contains("摘要") && body.contains("进度滞后"),
        "the summary"
    );
    // A chart per indicator with values: its caption is on a page with the 走势 heading.
    assert!(body.contains("6. 森林覆盖率（%）"), "the forest chart");
    assert!(body.contains("暂无上报数据，未绘制走势图"));
}
