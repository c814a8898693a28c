//! `qingshan plan …`: show, list and check plans.

use std::io::Write;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Subcommand, ValueEnum};
use qingshan_plan::{Plan, area_numeral};

use crate::{PlanArg, load_plan};

/// Output formats.
#[derive(Clone, Copy, ValueEnum)]
pub enum Format {
    /// Aligned text for people.
    Table,
    /// CSV with a header row.
    Csv,
    /// JSON.
    Json,
}

/// Plan subcommands.
#[derive(Subcommand)]
pub enum PlanCommand {
    /// The plan's metadata and counts.
    Show,
    /// The indicator table.
    Indicators {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// The main tasks with their responsible units.
    Tasks {
        /// Output format.
        #[arg(long, value_enum, default_value = "table")]
        format: Format,
    },
    /// Validate a plan file; errors name file, line and field.
    Check {
        /// The plan file.
        file: PathBuf,
    },
    /// Progress status per row of a CSV (id,direction,base_year,base_value,target_year,
    /// target_value,current_year,current_value → id,ratio,status).
    Progress(crate::progress_cmd::ProgressArgs),
}

/// The plan a command works on (for `check`, the file it checks).
pub fn load_for(cmd: &PlanCommand, arg: &PlanArg) -> anyhow::Result<(Plan, String)> {
    match cmd {
        PlanCommand::Check { file } => load_plan(&PlanArg {
            plan: Some(file.clone()),
        }),
        _ => load_plan(arg),
    }
}

fn units(plan: &Plan, ids: &[String]) -> String {
    ids.iter()
        .map(|u| plan.unit_name(u))
        .collect::<Vec<_>>()
        .join("、")
}

/// Runs a plan command.
pub fn run(cmd: PlanCommand, plan: &Plan) -> anyhow::Result<()> {
    let mut out = std::io::stdout().lock();
    match cmd {
        PlanCommand::Show => {
            let m = &plan.meta;
            writeln!(out, "{}", m.title)?;
            writeln!(
                out,
                "文号：{}　印发：{}　日期：{}",
                m.document_number, m.issuer, m.date
            )?;
            writeln!(
                out,
                "基准年：{}　目标年：{}",
                m.baseline_year,
                m.milestone_years
                    .iter()
                    .map(i32::to_string)
                    .collect::<Vec<_>>()
                    .join("、")
            )?;
            let div = plan
                .division(&m.division)
                .map_or(m.division.as_str(), |d| d.name.as_str());
            writeln!(
                out,
                "行政区：{div}（{}），下辖 {} 个县（市、区）",
                m.division,
                plan.divisions.len().saturating_sub(1)
            )?;
            writeln!(
                out,
                "指标：{} 项（{}）",
                plan.indicators.len(),
                plan.categories().join("、")
            )?;
            writeln!(
                out,
                "任务：{} 个领域，{} 项任务",
                plan.areas.len(),
                plan.tasks().count()
            )?;
            writeln!(out, "责任单位：{} 个", plan.units.len())?;
        }
        PlanCommand::Indicators { format } => {
            let years = plan.target_years();
            let mut header = vec![
                "number".to_string(),
                "category".into(),
                "name".into(),
                "unit".into(),
                format!("baseline_{}", plan.meta.baseline_year),
            ];
            header.extend(years.iter().map(|y| format!("target_{y}")));
            header.push("responsible_units".into());
            let rows: Vec<Vec<String>> = plan
                .indicators
                .iter()
                .map(|i| {
                    let mut r = vec![
                        i.number.to_string(),
                        i.category.clone(),
                        i.name.clone(),
                        i.unit.clone(),
                        i.baseline_text.clone(),
                    ];
                    r.extend(
                        years
                            .iter()
                            .map(|y| i.target(*y).map(|t| t.text.clone()).unwrap_or_default()),
                    );
                    r.push(units(plan, &i.responsible));
                    r
                })
                .collect();
            match format {
                Format::Json => serde_json::to_writer_pretty(&mut out, &plan.indicators)?,
                Format::Csv => write_csv(&mut out, &header, &rows)?,
                Format::Table => {
                    let mut h: Vec<String> = ["序号", "类别", "指标", "单位"]
                        .iter()
                        .map(|s| s.to_string())
                        .collect();
                    h.push(format!("{}年现状", plan.meta.baseline_year));
                    h.extend(years.iter().map(|y| format!("{y}年目标")));
                    h.push("责任单位".into());
                    write_table(
                        &mut out,
                        &h.iter().map(String::as_str).collect::<Vec<_>>(),
                        &rows,
                    )?
                }
            }
        }
        PlanCommand::Tasks { format } => {
            let header: Vec<String> = [
                "area",
                "area_title",
                "number",
                "code",
                "title",
                "responsible_units",
            ]
            .iter()
            .map(|s| s.to_string())
            .collect();
            let rows: Vec<Vec<String>> = plan
                .areas
                .iter()
                .flat_map(|a| {
                    a.tasks.iter().map(move |t| {
                        vec![
                            a.number.to_string(),
                            a.title.clone(),
                            t.number.to_string(),
                            t.code(),
                            t.title.clone(),
                            units(plan, &t.responsible),
                        ]
                    })
                })
                .collect();
            match format {
                Format::Json => serde_json::to_writer_pretty(&mut out, &plan.areas)?,
                Format::Csv => write_csv(&mut out, &header, &rows)?,
                Format::Table => {
                    for a in &plan.areas {
                        writeln!(out, "（{}）{}", area_numeral(a.number), a.title)?;
                        for t in &a.tasks {
                            writeln!(
                                out,
                                "  {} {}　——　{}",
                                t.code(),
                                t.title,
                                units(plan, &t.responsible)
                            )?;
                        }
                    }
                    if plan.meta.counties_carry_all_tasks {
                        writeln!(out, "注：各县（市、区）人民政府均需落实全部任务。")?;
                    }
                }
            }
        }
        PlanCommand::Progress(args) => crate::progress_cmd::run(args)?,
        PlanCommand::Check { file } => {
            writeln!(
                out,
                "{}: 通过检查（{} 项指标，{} 项任务，{} 个责任单位，{} 个行政区划）",
                file.display(),
                plan.indicators.len(),
                plan.tasks().count(),
                plan.units.len(),
                plan.divisions.len()
            )?;
            if let Some(m) = &plan.map {
                writeln!(
                    out,
                    "地图：{}（{}，{} 个区县边界，均已闭合、代码均为本规划区县）",
                    m.file,
                    m.crs.as_str(),
                    m.shapes.len()
                )?;
            }
        }
    }
    out.flush().context("写出失败")?;
    Ok(())
}

fn write_csv(out: &mut impl Write, header: &[String], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record(header)?;
    for r in rows {
        w.write_record(r)?;
    }
    w.flush()?;
    Ok(())
}

fn display_width(s: &str) -> usize {
    // CJK characters take two terminal columns.
    s.chars()
        .map(|c| if (c as u32) >= 0x1100 { 2 } else { 1 })
        .sum()
}

fn write_table(out: &mut impl Write, header: &[&str], rows: &[Vec<String>]) -> anyhow::Result<()> {
    let cols = header.len();
    let mut widths: Vec<usize> = header.iter().map(|h| display_width(h)).collect();
    for r in rows {
        for (i, c) in r.iter().enumerate().take(cols) {
            widths[i] = widths[i].max(display_width(c).min(40));
        }
    }
    let line = |out: &mut dyn Write, cells: Vec<&str>| -> std::io::Result<()> {
        let mut s = String::new();
        for (i, c) in cells.iter().enumerate() {
            let c: String = if display_width(c) > 40 {
                c.chars().take(18).collect::<String>() + "…"
            } else {
                c.to_string()
            };
            s.push_str(&c);
            if i + 1 < cells.len() {
                s.push_str(&" ".repeat(widths[i].saturating_sub(display_width(&c)) + 2));
            }
        }
        writeln!(out, "{}", s.trim_end())
    };
    line(out, header.to_vec())?;
    for r in rows {
        line(out, r.iter().map(String::as_str).collect())?;
    }
    Ok(())
}
