//! The report as an XLSX workbook: sheets 指标, 任务, 责任单位, 县市区.

use qingshan_plan::Decimal;
use qingshan_plan::progress::{Group, Score, Status};
use rust_xlsxwriter::{Color, Format, FormatAlign, FormatBorder, Workbook, Worksheet};

use crate::html::status_rgb;
use crate::{ReportData, ReportError, TaskState};

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
    Ok(wb.save_to_buffer()?)
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
        ("状态代码", 20.0),
        ("比值", 10.0),
        ("预计目标年值", 12.0),
        ("依据", 80.0),
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
        ws.write_string_with_format(row, c + 3, a.status.code(), &f.text)?;
        dec(ws, row, c + 4, a.ratio, f)?;
        match &i.outlook {
            Some(o) if o.projected.is_finite() => {
                ws.write_number_with_format(row, c + 5, o.projected, &f.number)?
            }
            _ => ws.write_blank(row, c + 5, &f.text)?,
        };
        ws.write_string_with_format(row, c + 6, &i.reasoning, &f.wrap)?;
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
            ("状态代码", 14.0),
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
            ws.write_string_with_format(row, 5, t.status.map_or("", TaskState::code), &f.text)?;
            ws.write_string_with_format(row, 6, t.period.as_deref().unwrap_or(""), &f.text)?;
            ws.write_string_with_format(row, 7, t.narrative.as_deref().unwrap_or(""), &f.wrap)?;
            row += 1;
        }
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
            Some(s) => {
                dec(ws, row, c + 1, Some(s.deducted), f)?;
                dec(ws, row, c + 2, Some(s.score), f)?;
                ws.write_string_with_format(row, c + 3, s.grade.label(), &f.text)?;
                ws.write_boolean_with_format(row, c + 4, s.capped, &f.text)?;
            }
            None => {
                for k in 1..=4 {
                    ws.write_blank(row, c + k, &f.text)?;
                }
            }
        }
    }
    Ok(())
}
