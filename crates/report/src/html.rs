//! The report as one self-contained zh-CN HTML page: inline CSS and inline SVG charts, no
//! scripts, no external assets, so it can be mailed or archived as a single file.

use std::fmt::Write as _;

use qingshan_plan::progress::{Grading, Group, Score, Status, StatusCounts};

use crate::chart::{self, Chart};
use crate::{IndicatorReport, ReportData, TaskState, fmt_num};

/// The one escape function, for HTML element content and attribute values.
pub(crate) use qingshan_chart::escape as esc;

/// Background colour of a status, shared by the HTML, PDF and XLSX renderings.
pub(crate) fn status_rgb(s: Status) -> (u8, u8, u8) {
    match s {
        Status::TargetAchieved => (198, 239, 206),
        Status::SubstantialProgress => (221, 241, 213),
        Status::ModerateProgress => (255, 235, 156),
        Status::LimitedProgress => (252, 213, 180),
        Status::Deterioration | Status::TargetMissed => (255, 199, 206),
        Status::NotAvailable => (230, 230, 230),
        Status::Manual => (221, 235, 247),
    }
}

fn hex((r, g, b): (u8, u8, u8)) -> String {
    format!("#{r:02x}{g:02x}{b:02x}")
}

const CSS: &str = "body{font-family:'Noto Sans CJK SC','WenQuanYi Micro Hei','Microsoft YaHei',sans-serif;margin:2em auto;max-width:1100px;color:#222;line-height:1.5}\
h1{font-size:1.6em;text-align:center}h2{border-bottom:2px solid #2e7d32;padding-bottom:.2em;margin-top:2em}\
.meta{text-align:center;color:#555}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.9em}\
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top}th{background:#e8f5e9;white-space:nowrap}td.s{white-space:nowrap}\
td.n{text-align:right;white-space:nowrap}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}\
figure{margin:0;border:1px solid #ddd;padding:.5em}figcaption{font-size:.9em;font-weight:bold}\
svg text{font-size:11px;fill:#444}.small{color:#666;font-size:.85em}";

/// Renders the report as a self-contained zh-CN HTML page.
pub fn render_html(data: &ReportData) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let title = format!("{}实施情况评估报告（{}年度）", data.plan.title, data.year);
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&title)
    );
    let _ = writeln!(h, "<h1>{}</h1>", esc(&title));
    let _ = writeln!(
        h,
        "<p class=\"meta\">{} {} · {}印发 · 基期{}年 · 评估方法：{}</p>",
        esc(&data.plan.issuer),
        esc(&data.plan.document_number),
        esc(&data.plan.date),
        data.plan.baseline_year,
        esc(data.options.method.label())
    );

    overview(&mut h, data);
    indicator_table(&mut h, data);
    charts(&mut h, data);
    tasks(&mut h, data);
    units(&mut h, data);
    counties(&mut h, data);

    h.push_str("</body>\n</html>\n");
    h
}

fn counts_header(h: &mut String, first: &str) {
    let _ = write!(h, "<tr><th>{}</th>", esc(first));
    for s in Status::ALL {
        let _ = write!(h, "<th>{}</th>", esc(s.label()));
    }
    h.push_str("<th>合计</th>");
}

fn counts_cells(h: &mut String, c: &StatusCounts) {
    for s in Status::ALL {
        let _ = write!(h, "<td class=\"n\">{}</td>", c.get(s));
    }
    let _ = write!(h, "<td class=\"n\">{}</td>", c.total);
}

fn overview(h: &mut String, data: &ReportData) {
    h.push_str("<h2>一、总体情况</h2>\n");
    let s = &data.summary;
    let good = s.target_achieved + s.substantial_progress;
    let _ = writeln!(
        h,
        "<p>{}年度，{}规划{}项指标中，已达标{}项，进展良好{}项，合计{}项达标或进展良好；需加快{}项，进展缓慢{}项，倒退{}项，未完成{}项；无数据{}项，人工评定{}项。{}项主要任务中，已完成{}项，推进中{}项，未启动{}项，滞后{}项，未报告{}项。</p>",
        data.year,
        esc(&data.plan.division_name),
        s.total,
        s.target_achieved,
        s.substantial_progress,
        good,
        s.moderate_progress,
        s.limited_progress,
        s.deterioration,
        s.target_missed,
        s.not_available,
        s.manual,
        data.task_summary.total,
        data.task_summary.completed,
        data.task_summary.in_progress,
        data.task_summary.not_started,
        data.task_summary.lagging,
        data.task_summary.unreported,
    );
    h.push_str("<table>\n");
    counts_header(h, "类别");
    h.push_str("</tr>\n");
    for g in &data.by_category {
        let _ = write!(h, "<tr><td>{}</td>", esc(&g.name));
        counts_cells(h, &g.counts);
        h.push_str("</tr>\n");
    }
    h.push_str("<tr><th>全部指标</th>");
    counts_cells(h, &data.summary);
    h.push_str("</tr>\n</table>\n");
}

fn indicator_table(h: &mut String, data: &ReportData) {
    h.push_str("<h2>二、指标评估</h2>\n<table>\n<tr><th>序号</th><th>指标</th><th>单位</th><th>基期</th><th>目标</th><th>最新值</th><th>状态</th><th>依据</th></tr>\n");
    for i in &data.indicators {
        let st = i.assessment.status;
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"s\" style=\"background:{}\">{}</td><td>{}{}</td></tr>",
            i.number,
            esc(&i.name),
            esc(&i.unit),
            esc(&i.baseline_text),
            esc(&i.target_text()),
            esc(&i.latest_text()),
            hex(status_rgb(st)),
            esc(st.label()),
            esc(&i.reasoning),
            outlook_note(i)
                .map(|o| format!("<br><span class=\"small\">{}</span>", esc(&o)))
                .unwrap_or_default(),
        );
    }
    h.push_str("</table>\n");
}

/// The outlook sentence shown beside the status.
pub(crate) fn outlook_note(i: &IndicatorReport) -> Option<String> {
    let o = i.outlook.as_ref()?;
    let verdict = match o.reaches_target {
        Some(true) => "，可达到目标",
        Some(false) => "，难以达到目标",
        None => "",
    };
    Some(format!(
        "趋势外推（Theil–Sen，{}–{}年{}个点）：{}年预计 {}{}",
        o.years.0,
        o.years.1,
        o.points,
        o.target_year,
        fmt_num(o.projected, 2),
        verdict
    ))
}

fn charts(h: &mut String, data: &ReportData) {
    h.push_str("<h3>指标走势</h3>\n<p class=\"small\">实线为逐年实际值，虚线为目标值，点线为基期值，细虚线为趋势外推，菱形为省级下达的年度目标。</p>\n<div class=\"charts\">\n");
    for i in &data.indicators {
        let c = chart::layout(i, data.plan.baseline_year, data.year, 360.0, 210.0, 11.0);
        let _ = write!(
            h,
            "<figure><figcaption>{}. {}（{}）</figcaption>",
            i.number,
            esc(&i.name),
            esc(&i.unit)
        );
        svg(h, &c);
        h.push_str("</figure>\n");
    }
    h.push_str("</div>\n");
}

fn svg(h: &mut String, c: &Chart) {
    h.push_str(&qingshan_chart::line::to_svg(c));
}

fn task_label(s: Option<TaskState>) -> &'static str {
    s.map_or("未报告", TaskState::label)
}

fn tasks(h: &mut String, data: &ReportData) {
    h.push_str("<h2>三、任务进展</h2>\n");
    let t = &data.task_summary;
    let _ = writeln!(
        h,
        "<p>共{}项任务：已完成{}项，推进中{}项，未启动{}项，滞后{}项，未报告{}项。</p>",
        t.total, t.completed, t.in_progress, t.not_started, t.lagging, t.unreported
    );
    h.push_str("<table>\n<tr><th>编号</th><th>任务</th><th>责任单位</th><th>状态</th><th>报告期</th><th>进展情况</th></tr>\n");
    for a in &data.areas {
        let _ = writeln!(
            h,
            "<tr><th colspan=\"6\" style=\"text-align:left\">（{}）{}</th></tr>",
            esc(&a.numeral),
            esc(&a.title)
        );
        for task in &a.tasks {
            let units: Vec<&str> = task.responsible.iter().map(|u| u.name.as_str()).collect();
            let _ = writeln!(
                h,
                "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                esc(&task.code),
                esc(&task.title),
                esc(&units.join("、")),
                esc(task_label(task.status)),
                esc(task.period.as_deref().unwrap_or("—")),
                esc(task.narrative.as_deref().unwrap_or("—")),
            );
        }
    }
    h.push_str("</table>\n");
}

fn score_cells(h: &mut String, s: Option<&Score>) {
    match s.map(|s| (s, s.grading)) {
        Some((
            s,
            Grading::Graded {
                score,
                grade,
                capped,
            },
        )) => {
            let _ = write!(
                h,
                "<td class=\"n\">{}</td><td class=\"n\">{}</td><td>{}{}</td>",
                s.deducted,
                score,
                esc(grade.label()),
                if capped {
                    "（约束性指标封顶）"
                } else {
                    ""
                }
            );
        }
        // Deductions over the indicators that happen to have data would suggest a score.
        Some((_, g @ Grading::Incomplete { .. })) => {
            let _ = write!(
                h,
                "<td>—</td><td>—</td><td class=\"incomplete\">{}</td>",
                esc(&g.label())
            );
        }
        None => h.push_str("<td>—</td><td>—</td><td>—</td>"),
    }
}

fn group_table(h: &mut String, first: &str, groups: &[&Group], scores: &[Score]) {
    h.push_str("<table>\n");
    counts_header(h, first);
    h.push_str("<th>扣分</th><th>得分</th><th>等级</th></tr>\n");
    for g in groups {
        let _ = write!(h, "<tr><td>{}</td>", esc(&g.name));
        counts_cells(h, &g.counts);
        score_cells(h, scores.iter().find(|s| s.key == g.key));
        h.push_str("</tr>\n");
    }
    h.push_str("</table>\n");
}

fn units(h: &mut String, data: &ReportData) {
    h.push_str("<h2>四、责任单位</h2>\n");
    let _ = writeln!(
        h,
        "<p class=\"small\">百分制：满分{}分，按指标状态扣分（需加快{}、进展缓慢{}、倒退{}、未完成{}、人工评定未达到{}），最低{}分；优秀≥{}，良好≥{}，合格≥{}。有指标无数据的单位不评分、不定等级，记为“数据不全”。</p>",
        data.scoring.full_marks,
        data.scoring.deductions.moderate_progress,
        data.scoring.deductions.limited_progress,
        data.scoring.deductions.deterioration,
        data.scoring.deductions.target_missed,
        data.scoring.deductions.manual_not_met,
        data.scoring.floor,
        data.scoring.grades.excellent,
        data.scoring.grades.good,
        data.scoring.grades.pass,
    );
    let groups: Vec<&Group> = data.by_unit.iter().collect();
    group_table(h, "责任单位", &groups, &data.unit_scores);
    h.push_str("<h3>任务进展（按责任单位）</h3>\n<table>\n<tr><th>责任单位</th><th>已完成</th><th>推进中</th><th>未启动</th><th>滞后</th><th>未报告</th><th>合计</th></tr>\n");
    for u in &data.tasks_by_unit {
        let c = &u.counts;
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&u.name),
            c.completed,
            c.in_progress,
            c.not_started,
            c.lagging,
            c.unreported,
            c.total
        );
    }
    h.push_str("</table>\n");
}

fn counties(h: &mut String, data: &ReportData) {
    h.push_str("<h2>五、县（市、区）</h2>\n");
    let groups: Vec<&Group> = data
        .by_division
        .iter()
        .filter(|g| data.is_county(&g.key))
        .collect();
    if groups.iter().all(|g| g.counts.total == 0) {
        h.push_str("<p>各县（市、区）本年度尚未上报指标数据。</p>\n");
    } else {
        h.push_str("<p class=\"small\">各县（市、区）按其已上报数据的指标评估；未上报任何数据的指标不计入。</p>\n");
    }
    group_table(h, "县（市、区）", &groups, &data.division_scores);
}
