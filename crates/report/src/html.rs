//! The report as one self-contained zh-CN HTML page: inline CSS and inline SVG charts, no
//! scripts, no external assets, so it can be mailed or archived as a single file.

use std::fmt::Write as _;

use qingshan_plan::progress::{Grading, Group, Score, Status, StatusCounts};

use crate::chart::{self, Chart};
use crate::{ReportData, TaskState};

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
h1{font-size:1.6em;text-align:center}.cover{text-align:center;margin:3em 0 2em;padding:2em 0;border-top:3px solid #c62828;border-bottom:1px solid #c62828}\
.cover p{margin:.4em 0;font-size:1.1em}.cover-unit{margin-top:2em!important}h2{border-bottom:2px solid #2e7d32;padding-bottom:.2em;margin-top:2em}\
.meta{text-align:center;color:#555}table{border-collapse:collapse;width:100%;margin:1em 0;font-size:.9em}\
th,td{border:1px solid #bbb;padding:.3em .5em;vertical-align:top}th{background:#e8f5e9;white-space:nowrap}td.s{white-space:nowrap}\
td.n{text-align:right;white-space:nowrap}.charts{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:1em}\
figure{margin:0;border:1px solid #ddd;padding:.5em}figcaption{font-size:.9em;font-weight:bold}\
svg text{font-size:11px;fill:#444}.small{color:#666;font-size:.85em}";

/// Renders the report as a self-contained zh-CN HTML page.
pub fn render_html(data: &ReportData) -> String {
    let mut h = String::with_capacity(64 * 1024);
    let c = &data.cover;
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n<title>{}</title>\n<style>{CSS}</style>\n</head>\n<body>\n",
        esc(&c.title)
    );
    let _ = writeln!(
        h,
        "<header class=\"cover\">\n<h1>{}</h1>\n<p class=\"cover-year\">评估年度：{}年</p>\n<p class=\"cover-unit\">编制单位：{}</p>\n<p class=\"cover-date\">{}</p>\n</header>",
        esc(&c.title),
        c.year,
        esc(&c.unit),
        esc(&c.date_text())
    );
    let _ = writeln!(
        h,
        "<p class=\"meta\">评估依据：{} · 基期{}年</p>",
        esc(&data.basis_text()),
        data.plan.baseline_year,
    );
    let _ = writeln!(
        h,
        "<section class=\"summary\"><h2>摘要</h2>\n<p>{}</p></section>",
        esc(&data.summary_text())
    );

    overview(&mut h, data);
    indicator_table(&mut h, data);
    charts(&mut h, data);
    tasks(&mut h, data);
    ledger(&mut h, data);
    units(&mut h, data);
    counties(&mut h, data);
    appendix(&mut h, data);

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
    h.push_str("<h2>二、指标评估</h2>\n<table>\n<tr><th>序号</th><th>指标</th><th>单位</th><th>基期</th><th>目标</th><th>最新值</th><th>状态</th><th>评估说明</th></tr>\n");
    for i in &data.indicators {
        let st = i.assessment.status;
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td class=\"s\" style=\"background:{}\">{}</td><td>{}</td></tr>",
            i.number,
            esc(&i.name),
            esc(&i.unit),
            esc(&i.baseline_text),
            esc(&i.target_text()),
            esc(&i.latest_text()),
            hex(status_rgb(st)),
            esc(st.label()),
            esc(&i.reasoning),
        );
    }
    h.push_str("</table>\n");
}

fn charts(h: &mut String, data: &ReportData) {
    h.push_str("<h3>指标走势</h3>\n<p class=\"small\">实线为逐年实际值，红色虚线为目标值（延伸至红色方块所示的远期目标），灰色点线为基期值，蓝色细虚线为按近年趋势的推算，菱形为省级下达的年度目标。</p>\n<div class=\"charts\">\n");
    for i in data
        .indicators
        .iter()
        .filter(|i| i.chart_absence().is_none())
    {
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
    let absent: Vec<String> = data
        .indicators
        .iter()
        .filter_map(|i| {
            let why = i.chart_absence()?;
            Some(format!(
                "<li>{}. {}：{}</li>",
                i.number,
                esc(&i.name),
                esc(why)
            ))
        })
        .collect();
    if !absent.is_empty() {
        let _ = writeln!(
            h,
            "<p class=\"small\">以下指标无走势图：</p>\n<ul class=\"small\">{}</ul>",
            absent.concat()
        );
    }
}

fn appendix(h: &mut String, data: &ReportData) {
    h.push_str("<h2>附录：评估方法与计算过程</h2>\n");
    let _ = writeln!(h, "<p class=\"small\">{}</p>", esc(&data.method_text()));
    let _ = writeln!(
        h,
        "<table>\n<tr><th>序号</th><th>指标</th><th>状态</th><th>评估方法</th><th>计算过程</th><th>趋势外推：{}</th></tr>",
        esc(crate::TREND_METHOD)
    );
    for i in &data.indicators {
        let e = &i.explanation;
        let _ = writeln!(
            h,
            "<tr><td class=\"n\">{}</td><td>{}</td><td class=\"s\">{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            i.number,
            esc(&i.name),
            esc(e.status.label()),
            esc(&e.method_name()),
            esc(&e.figures()),
            esc(&e.trend_text()),
        );
    }
    h.push_str("</table>\n");
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

/// A part in words: done, overdue or not yet, with what its accepted report says.
fn part_text(p: &crate::LedgerPart) -> String {
    let state = if p.complete {
        "已完成"
    } else if p.overdue {
        "逾期"
    } else {
        "未完成"
    };
    if p.shown.is_empty() {
        format!("{}：{state}", p.name)
    } else {
        format!("{}：{state}（{}）", p.name, p.shown)
    }
}

fn ledger(h: &mut String, data: &ReportData) {
    h.push_str("<h3>任务台账事项</h3>\n");
    if data.ledger.is_empty() {
        let _ = writeln!(h, "<p>{}年度无任务台账事项。</p>", data.year);
        return;
    }
    let done = data.ledger.iter().filter(|i| i.complete).count();
    let _ = writeln!(
        h,
        "<p>{}年度共{}个事项，已完成{}个。只计审核通过的报告；数量类事项的全市值为各县（市、区）审核通过数值之和。</p>",
        data.year,
        data.ledger.len(),
        done
    );
    h.push_str("<table>\n<tr><th>任务</th><th>事项</th><th>计量</th><th>完成时限</th><th>全市情况</th><th>各县（市、区）</th><th>各单位</th></tr>\n");
    for i in &data.ledger {
        let counties: Vec<String> = i.parts.iter().filter(|p| p.county).map(part_text).collect();
        let units: Vec<String> = i
            .parts
            .iter()
            .filter(|p| !p.county)
            .map(|p| format!("{}（{}）", part_text(p), p.role))
            .collect();
        let _ = writeln!(
            h,
            "<tr><td>{}-{}</td><td>{} {}</td><td>{}</td><td>{}</td><td>{}：{}</td><td>{}</td><td>{}</td></tr>",
            i.area,
            i.task,
            esc(&i.id),
            esc(&i.text),
            esc(&i.measure),
            esc(&i.deadline),
            if i.complete { "已完成" } else { "未完成" },
            esc(&i.city),
            esc(&counties.join("；")),
            esc(&units.join("；")),
        );
    }
    h.push_str("</table>\n<h3>事项完成情况（按责任单位和县（市、区））</h3>\n<table>\n<tr><th>责任单位 / 县（市、区）</th><th>已完成</th><th>逾期</th><th>承担</th></tr>\n");
    for t in &data.ledger_tallies {
        let _ = writeln!(
            h,
            "<tr><td>{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td><td class=\"n\">{}</td></tr>",
            esc(&t.name),
            t.done,
            t.overdue,
            t.total
        );
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
