//! The report as an XLSX workbook: sheets 封面, 指标, 任务, 责任单位, 县市区, 图表 with a
//! native Excel line chart per indicator with reported values (drawn from the ranges of
//! 图表数据), and 附录-评估方法 with the method's figures.

use qingshan_plan::Decimal;
use qingshan_plan::progress::{Grading, Group, Score, Status};
use rust_xlsxwriter::{
    Chart, ChartEmptyCells, ChartFont, ChartFormat, ChartLegendPosition, ChartLine,
    ChartLineDashType, ChartMarker, ChartMarkerType, ChartSolidFill, Color, Format, FormatAlign,
    FormatBorder, Workbook, Worksheet,
};

use crate::html::status_rgb;
use crate::{IndicatorReport, ReportData, ReportError, TaskState};

/// Name of the sheet with the charts.
pub(crate) const CHART_SHEET: &str = "图表";
/// Name of the sheet with the data the charts plot.
pub(crate) const CHART_DATA_SHEET: &str = "图表数据";

struct Formats {
    header: Format,
    text: Format,
    wrap: Format,
    number: Format,
}

fn formats() -> Formats {
    let border = Format::new().set_border(FormatBorder::Thin);
    Formats {
        header: border
            .clone()
            .set_bold()
            .set_background_color(Color::RGB(0x00E8_F5E9))
            .set_align(FormatAlign::Center)
            .set_text_wrap(),
        text: border.clone(),
        wrap: border.clone().set_text_wrap(),
        number: border,
    }
}

fn header(ws: &mut Worksheet, f: &Formats, cols: &[(&str, f64)]) -> Result<(), ReportError> {
    for (c, (name, width)) in cols.iter().enumerate() {
        let c = c as u16;
        ws.write_string_with_format(0, c, *name, &f.header)?;
        ws.set_column_width(c, *width)?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

fn dec(
    ws: &mut Worksheet,
    row: u32,
    col: u16,
    d: Option<Decimal>,
    f: &Formats,
) -> Result<(), ReportError> {
    match d {
        Some(d) => ws.write_number_with_format(row, col, d.to_f64(), &f.number)?,
        None => ws.write_blank(row, col, &f.text)?,
    };
    Ok(())
}

fn status_format(s: Status, f: &Formats) -> Format {
    let (r, g, b) = status_rgb(s);
    f.text.clone().set_background_color(Color::RGB(
        (u32::from(r) << 16) | (u32::from(g) << 8) | u32::from(b),
    ))
}

/// Renders the report as an XLSX workbook.
pub fn render_xlsx(data: &ReportData) -> Result<Vec<u8>, ReportError> {
    let f = formats();
    let mut wb = Workbook::new();
    cover(wb.add_worksheet().set_name("封面")?, data, &f)?;
    indicators(wb.add_worksheet().set_name("指标")?, data, &f)?;
    tasks(wb.add_worksheet().set_name("任务")?, data, &f)?;
    let units: Vec<&Group> = data.by_unit.iter().collect();
    groups(
        wb.add_worksheet().set_name("责任单位")?,
        "责任单位",
        &units,
        &data.unit_scores,
        &f,
    )?;
    let counties: Vec<&Group> = data
        .by_division
        .iter()
        .filter(|g| data.is_county(&g.key))
        .collect();
    groups(
        wb.add_worksheet().set_name("县市区")?,
        "县（市、区）",
        &counties,
        &data.division_scores,
        &f,
    )?;
    let paths: Vec<(&IndicatorReport, PathData)> = data
        .indicators
        .iter()
        .filter_map(|i| Some((i, path_data(i, data.plan.baseline_year, data.year)?)))
        .collect();
    // Charts refer to their data by sheet name; both sheets must exist before either is used.
    wb.add_worksheet().set_name(CHART_SHEET)?;
    let placed = chart_data(wb.add_worksheet().set_name(CHART_DATA_SHEET)?, &paths, &f)?;
    charts(wb.worksheet_from_name(CHART_SHEET)?, data, &paths, &placed)?;
    appendix(wb.add_worksheet().set_name("附录-评估方法")?, data, &f)?;
    // Last, so the sheets before it keep their places in the workbook.
    ledger(wb.add_worksheet().set_name("任务台账")?, data, &f)?;
    Ok(wb.save_to_buffer()?)
}

/// The cover sheet: title, year, issuing unit, date, the plan it assesses and the summary.
fn cover(ws: &mut Worksheet, data: &ReportData, f: &Formats) -> Result<(), ReportError> {
    let c = &data.cover;
    let title = Format::new().set_bold().set_font_size(16).set_text_wrap();
    ws.set_column_width(0, 14.0)?;
    ws.set_column_width(1, 100.0)?;
    ws.write_string_with_format(0, 0, &c.title, &title)?;
    ws.set_row_height(0, 48.0)?;
    let rows = [
        ("评估年度", format!("{}年", c.year)),
        ("编制单位", c.unit.clone()),
        ("印发日期", c.date_text()),
        ("评估依据", data.basis_text()),
        ("摘要", data.summary_text()),
    ];
    for (k, (label, value)) in rows.iter().enumerate() {
        let r = k as u32 + 2;
        ws.write_string_with_format(r, 0, *label, &f.header)?;
        ws.write_string_with_format(r, 1, value, &f.wrap)?;
    }
    ws.set_row_height(6, 60.0)?;
    Ok(())
}

/// 附录: the method's figures, one row per indicator, from the same explanation as the
/// 评估说明 column; the ratio and the projection also as numbers.
fn appendix(ws: &mut Worksheet, data: &ReportData, f: &Formats) -> Result<(), ReportError> {
    let trend = format!("趋势外推：{}", crate::TREND_METHOD);
    header(
        ws,
        f,
        &[
            ("序号", 6.0),
            ("指标", 30.0),
            ("状态", 10.0),
            ("评估方法", 24.0),
            ("计算过程", 70.0),
            ("比值", 10.0),
            (trend.as_str(), 50.0),
            ("预计目标年值", 12.0),
        ],
    )?;
    for (r, i) in data.indicators.iter().enumerate() {
        let row = r as u32 + 1;
        let e = &i.explanation;
        ws.write_number_with_format(row, 0, f64::from(i.number), &f.number)?;
        ws.write_string_with_format(row, 1, &i.name, &f.wrap)?;
        ws.write_string_with_format(row, 2, e.status.label(), &status_format(e.status, f))?;
        ws.write_string_with_format(row, 3, e.method_name(), &f.wrap)?;
        ws.write_string_with_format(row, 4, e.figures(), &f.wrap)?;
        dec(ws, row, 5, i.assessment.ratio, f)?;
        ws.write_string_with_format(row, 6, e.trend_text(), &f.wrap)?;
        match &i.outlook {
            Some(o) if o.projected.is_finite() => {
                ws.write_number_with_format(row, 7, o.projected, &f.number)?
            }
            _ => ws.write_blank(row, 7, &f.text)?,
        };
    }
    let note = data.indicators.len() as u32 + 2;
    ws.write_string(note, 1, data.method_text())?;
    Ok(())
}

/// What one indicator's chart plots, year by year.
#[derive(Debug, Clone, PartialEq)]
struct PathData {
    /// Every year on the horizontal axis, ascending.
    years: Vec<i32>,
    /// The city's reported values (up to the report year).
    actual: Vec<Option<f64>>,
    /// The target line: from the baseline value in its year straight to the target value in
    /// the target year (the pace the linear method expects); only the target when there is
    /// no baseline.
    path: Vec<Option<f64>>,
    /// Name of the target line, e.g. 规划路径（2020年基期→2025年目标）.
    path_label: Option<String>,
    /// Targets assigned by the province (完成省级下达任务), where there are any.
    assigned: Option<Vec<Option<f64>>>,
}

/// The chart data of an indicator, or `None` when it has no reported value to draw.
fn path_data(ind: &IndicatorReport, base_year: i32, year: i32) -> Option<PathData> {
    let a = &ind.assessment;
    let target = a.target.map(|t| (t.year, t.value.to_f64()));
    // As the HTML and PDF charts: the assessment's starting point, else the plan's baseline.
    let base = a
        .base
        .map(|b| (b.year, b.value.to_f64()))
        .or_else(|| ind.baseline.map(|b| (base_year, b.to_f64())));
    // As in the HTML and PDF: a chart for every indicator with reported values, none without.
    ind.chart_absence().is_none().then_some(())?;
    let line = match (base, target) {
        (Some(b), Some(t)) if t.0 > b.0 => Some((b, t)),
        _ => None,
    };
    let mut first = base_year.min(base.map_or(base_year, |b| b.0));
    let mut last = year;
    for y in ind
        .series
        .iter()
        .chain(&ind.assigned)
        .map(|o| o.year)
        .chain(target.map(|t| t.0))
    {
        first = first.min(y);
        last = last.max(y);
    }
    let years: Vec<i32> = (first..=last).collect();
    let at = |obs: &[qingshan_plan::progress::Observation], y: i32| {
        obs.iter().find(|o| o.year == y).map(|o| o.value.to_f64())
    };
    let path = years
        .iter()
        .map(|&y| match (line, target) {
            (Some(((by, bv), (ty, tv))), _) if (by..=ty).contains(&y) => {
                // Rounded so the data sheet shows 15.24, not 15.240000000000002.
                let v = bv + (tv - bv) * f64::from(y - by) / f64::from(ty - by);
                Some((v * 1e6).round() / 1e6)
            }
            (None, Some((ty, tv))) if y == ty => Some(tv),
            _ => None,
        })
        .collect();
    let path_label = match (line, target) {
        (Some(((by, _), (ty, _))), _) => Some(format!("规划路径（{by}年基期→{ty}年目标）")),
        (None, Some((ty, _))) => Some(format!("{ty}年目标")),
        _ => None,
    };
    Some(PathData {
        actual: years.iter().map(|&y| at(&ind.series, y)).collect(),
        assigned: (!ind.assigned.is_empty())
            .then(|| years.iter().map(|&y| at(&ind.assigned, y)).collect()),
        years,
        path,
        path_label,
    })
}

/// Where an indicator's block sits on the data sheet (zero-based rows).
struct Placed {
    /// The header row (series names).
    header: u32,
    /// The first year's row.
    first: u32,
    /// The last year's row.
    last: u32,
}

/// The chart title: number, name and unit.
fn chart_title(i: &IndicatorReport) -> String {
    if i.unit.trim().is_empty() {
        format!("{}. {}", i.number, i.name)
    } else {
        format!("{}. {}（{}）", i.number, i.name, i.unit)
    }
}

/// Writes each indicator's block on the data sheet: its title, a header row naming the series
/// (the charts take the names from there), then one row per year.
fn chart_data(
    ws: &mut Worksheet,
    paths: &[(&IndicatorReport, PathData)],
    f: &Formats,
) -> Result<Vec<Placed>, ReportError> {
    ws.set_column_width(0, 10.0)?;
    for c in 1..=3 {
        ws.set_column_width(c, 22.0)?;
    }
    let mut placed = Vec::with_capacity(paths.len());
    let mut row = 0u32;
    for (ind, p) in paths {
        ws.write_string(row, 0, chart_title(ind))?;
        let header = row + 1;
        ws.write_string_with_format(header, 0, "年份", &f.header)?;
        ws.write_string_with_format(header, 1, "实际值", &f.header)?;
        ws.write_string_with_format(
            header,
            2,
            p.path_label.as_deref().unwrap_or("规划路径"),
            &f.header,
        )?;
        if p.assigned.is_some() {
            ws.write_string_with_format(header, 3, "省级下达目标", &f.header)?;
        }
        for (k, y) in p.years.iter().enumerate() {
            let r = header + 1 + k as u32;
            ws.write_number_with_format(r, 0, f64::from(*y), &f.number)?;
            let cells = [Some(&p.actual), Some(&p.path), p.assigned.as_ref()];
            for (c, series) in cells.iter().enumerate() {
                let Some(series) = series else { continue };
                // Blank cells are gaps: a year without a value is not a zero.
                match series[k] {
                    Some(v) => ws.write_number_with_format(r, c as u16 + 1, v, &f.number)?,
                    None => ws.write_blank(r, c as u16 + 1, &f.number)?,
                };
            }
        }
        let last = header + p.years.len() as u32;
        placed.push(Placed {
            header,
            first: header + 1,
            last,
        });
        row = last + 2;
    }
    Ok(placed)
}

/// Chart size in pixels, and the cells one takes (default 64 × 20 px cells) plus a gap.
const CHART_W: u32 = 576;
const CHART_H: u32 = 320;
const CHART_COLS: u16 = 10;
const CHART_ROWS: u32 = 17;

/// One native line chart per indicator on the chart sheet, two abreast.
fn charts(
    ws: &mut Worksheet,
    data: &ReportData,
    paths: &[(&IndicatorReport, PathData)],
    placed: &[Placed],
) -> Result<(), ReportError> {
    ws.write_string(
        0,
        0,
        format!(
            "各项指标的实际值（实线）与规划路径（虚线，由基期值直线到目标值）；截至 {} 年，数据见“{CHART_DATA_SHEET}”工作表。",
            data.year
        ),
    )?;
    let green = Color::RGB(0x002E_7D4F);
    let grey = Color::RGB(0x0075_7575);
    let orange = Color::RGB(0x00E6_7E22);
    for (k, ((ind, p), at)) in paths.iter().zip(placed).enumerate() {
        let range = |col: u16| (CHART_DATA_SHEET, at.first, col, at.last, col);
        let mut chart = Chart::new_line();
        chart
            .title()
            .set_name(&chart_title(ind))
            .set_font(ChartFont::new().set_size(12).set_bold());
        chart
            .add_series()
            .set_name((CHART_DATA_SHEET, at.header, 1))
            .set_categories(range(0))
            .set_values(range(1))
            .set_format(
                ChartFormat::new().set_line(ChartLine::new().set_color(green).set_width(2.25)),
            )
            .set_marker(
                ChartMarker::new()
                    .set_type(ChartMarkerType::Circle)
                    .set_size(6)
                    .set_format(
                        ChartFormat::new().set_solid_fill(ChartSolidFill::new().set_color(green)),
                    ),
            );
        if p.path_label.is_some() {
            chart
                .add_series()
                .set_name((CHART_DATA_SHEET, at.header, 2))
                .set_categories(range(0))
                .set_values(range(2))
                .set_format(
                    ChartFormat::new().set_line(
                        ChartLine::new()
                            .set_color(grey)
                            .set_width(1.5)
                            .set_dash_type(ChartLineDashType::Dash),
                    ),
                )
                .set_marker(
                    ChartMarker::new()
                        .set_type(ChartMarkerType::Diamond)
                        .set_size(5),
                );
        }
        if p.assigned.is_some() {
            chart
                .add_series()
                .set_name((CHART_DATA_SHEET, at.header, 3))
                .set_categories(range(0))
                .set_values(range(3))
                .set_format(ChartFormat::new().set_no_line())
                .set_marker(
                    ChartMarker::new()
                        .set_type(ChartMarkerType::Square)
                        .set_size(6)
                        .set_format(
                            ChartFormat::new()
                                .set_solid_fill(ChartSolidFill::new().set_color(orange)),
                        ),
                );
        }
        chart.x_axis().set_name("年份");
        if !ind.unit.trim().is_empty() {
            chart.y_axis().set_name(&ind.unit);
        }
        chart.legend().set_position(ChartLegendPosition::Bottom);
        // Years without a reported value are skipped over, not drawn as a drop to zero.
        chart.show_empty_cells_as(ChartEmptyCells::Connected);
        chart.set_width(CHART_W).set_height(CHART_H);
        chart.set_alt_text(format!("{}：实际值与规划路径", chart_title(ind)));
        let row = 2 + (k as u32 / 2) * CHART_ROWS;
        let col = (k as u16 % 2) * CHART_COLS;
        ws.insert_chart(row, col, &chart)?;
    }
    Ok(())
}

fn indicators(ws: &mut Worksheet, data: &ReportData, f: &Formats) -> Result<(), ReportError> {
    let first = data.plan.baseline_year;
    let years: Vec<i32> = (first..=data.year).collect();
    let year_names: Vec<String> = years.iter().map(|y| format!("{y}年")).collect();
    let mut cols: Vec<(&str, f64)> = vec![
        ("序号", 6.0),
        ("类别", 10.0),
        ("指标", 30.0),
        ("单位", 10.0),
        ("基期（原文）", 16.0),
        ("基期值", 10.0),
        ("目标", 20.0),
        ("目标值", 10.0),
    ];
    cols.extend(year_names.iter().map(|y| (y.as_str(), 10.0)));
    cols.extend([
        ("最新值", 10.0),
        ("最新值年份", 10.0),
        ("状态", 10.0),
        ("评估说明", 80.0),
    ]);
    header(ws, f, &cols)?;
    for (r, i) in data.indicators.iter().enumerate() {
        let row = r as u32 + 1;
        let a = &i.assessment;
        ws.write_number_with_format(row, 0, f64::from(i.number), &f.number)?;
        ws.write_string_with_format(row, 1, &i.category, &f.text)?;
        ws.write_string_with_format(row, 2, &i.name, &f.wrap)?;
        ws.write_string_with_format(row, 3, &i.unit, &f.text)?;
        ws.write_string_with_format(row, 4, &i.baseline_text, &f.wrap)?;
        dec(ws, row, 5, i.baseline, f)?;
        ws.write_string_with_format(row, 6, i.target_text(), &f.wrap)?;
        dec(ws, row, 7, a.target.map(|t| t.value), f)?;
        let mut c: u16 = 8;
        for y in &years {
            let v = i.series.iter().find(|o| o.year == *y).map(|o| o.value);
            dec(ws, row, c, v, f)?;
            c += 1;
        }
        dec(ws, row, c, a.current.map(|o| o.value), f)?;
        match a.current {
            Some(o) => ws.write_number_with_format(row, c + 1, f64::from(o.year), &f.number)?,
            None => ws.write_blank(row, c + 1, &f.text)?,
        };
        ws.write_string_with_format(row, c + 2, a.status.label(), &status_format(a.status, f))?;
        ws.write_string_with_format(row, c + 3, &i.reasoning, &f.wrap)?;
    }
    Ok(())
}

fn tasks(ws: &mut Worksheet, data: &ReportData, f: &Formats) -> Result<(), ReportError> {
    header(
        ws,
        f,
        &[
            ("编号", 8.0),
            ("领域", 30.0),
            ("任务", 40.0),
            ("责任单位", 30.0),
            ("状态", 10.0),
            ("报告期", 10.0),
            ("进展情况", 60.0),
        ],
    )?;
    let mut row = 1u32;
    for a in &data.areas {
        for t in &a.tasks {
            let units: Vec<&str> = t.responsible.iter().map(|u| u.name.as_str()).collect();
            ws.write_string_with_format(row, 0, &t.code, &f.text)?;
            ws.write_string_with_format(row, 1, format!("（{}）{}", a.numeral, a.title), &f.wrap)?;
            ws.write_string_with_format(row, 2, &t.title, &f.wrap)?;
            ws.write_string_with_format(row, 3, units.join("、"), &f.wrap)?;
            ws.write_string_with_format(
                row,
                4,
                t.status.map_or("未报告", TaskState::label),
                &f.text,
            )?;
            ws.write_string_with_format(row, 5, t.period.as_deref().unwrap_or(""), &f.text)?;
            ws.write_string_with_format(row, 6, t.narrative.as_deref().unwrap_or(""), &f.wrap)?;
            row += 1;
        }
    }
    Ok(())
}

/// One row per county's or unit's part of each item of the report year.
fn ledger(ws: &mut Worksheet, data: &ReportData, f: &Formats) -> Result<(), ReportError> {
    header(
        ws,
        f,
        &[
            ("任务", 8.0),
            ("事项编号", 10.0),
            ("事项", 40.0),
            ("计量", 20.0),
            ("完成时限", 12.0),
            ("全市情况", 30.0),
            ("全市完成", 10.0),
            ("填报方", 20.0),
            ("角色", 10.0),
            ("审核通过的报告", 30.0),
            ("情况", 10.0),
        ],
    )?;
    let mut row = 1u32;
    for i in &data.ledger {
        for p in &i.parts {
            ws.write_string_with_format(row, 0, format!("{}-{}", i.area, i.task), &f.text)?;
            ws.write_string_with_format(row, 1, &i.id, &f.text)?;
            ws.write_string_with_format(row, 2, &i.text, &f.wrap)?;
            ws.write_string_with_format(row, 3, &i.measure, &f.wrap)?;
            ws.write_string_with_format(row, 4, &i.deadline, &f.text)?;
            ws.write_string_with_format(row, 5, &i.city, &f.wrap)?;
            ws.write_string_with_format(
                row,
                6,
                if i.complete { "已完成" } else { "未完成" },
                &f.text,
            )?;
            ws.write_string_with_format(row, 7, &p.name, &f.text)?;
            ws.write_string_with_format(row, 8, &p.role, &f.text)?;
            ws.write_string_with_format(row, 9, &p.shown, &f.wrap)?;
            let state = if p.complete {
                "已完成"
            } else if p.overdue {
                "逾期"
            } else {
                "未完成"
            };
            ws.write_string_with_format(row, 10, state, &f.text)?;
            row += 1;
        }
    }
    if data.ledger.is_empty() {
        ws.write_string_with_format(1, 0, format!("{}年度无任务台账事项", data.year), &f.text)?;
    }
    Ok(())
}

fn groups(
    ws: &mut Worksheet,
    first: &str,
    groups: &[&Group],
    scores: &[Score],
    f: &Formats,
) -> Result<(), ReportError> {
    let mut cols: Vec<(&str, f64)> = vec![("代码", 10.0), (first, 20.0)];
    cols.extend(Status::ALL.iter().map(|s| (s.label(), 9.0)));
    cols.extend([
        ("合计", 8.0),
        ("扣分", 8.0),
        ("得分", 8.0),
        ("等级", 10.0),
        ("约束性封顶", 10.0),
    ]);
    header(ws, f, &cols)?;
    for (r, g) in groups.iter().enumerate() {
        let row = r as u32 + 1;
        ws.write_string_with_format(row, 0, &g.key, &f.text)?;
        ws.write_string_with_format(row, 1, &g.name, &f.text)?;
        let mut c = 2u16;
        for s in Status::ALL {
            ws.write_number_with_format(row, c, g.counts.get(s) as f64, &f.number)?;
            c += 1;
        }
        ws.write_number_with_format(row, c, g.counts.total as f64, &f.number)?;
        match scores.iter().find(|s| s.key == g.key) {
            Some(s) => match s.grading {
                Grading::Graded {
                    score,
                    grade,
                    capped,
                } => {
                    dec(ws, row, c + 1, Some(s.deducted), f)?;
                    dec(ws, row, c + 2, Some(score), f)?;
                    ws.write_string_with_format(row, c + 3, grade.label(), &f.text)?;
                    ws.write_string_with_format(
                        row,
                        c + 4,
                        if capped { "是" } else { "否" },
                        &f.text,
                    )?;
                }
                // No score, so neither deductions nor a cap: only why.
                Grading::Incomplete { .. } => {
                    ws.write_blank(row, c + 1, &f.text)?;
                    ws.write_blank(row, c + 2, &f.text)?;
                    ws.write_string_with_format(row, c + 3, s.grading.label(), &f.text)?;
                    ws.write_blank(row, c + 4, &f.text)?;
                }
            },
            None => {
                for k in 1..=4 {
                    ws.write_blank(row, c + k, &f.text)?;
                }
            }
        }
    }
    Ok(())
}
