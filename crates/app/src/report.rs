//! The annual assessment report's data (规划实施情况评估报告), read from the store.

use qingshan_plan::Plan;
use qingshan_report::{
    AssignedTarget, Inputs, ManualJudgement, ReportData, TaskReportInput, TaskState, ValueInput,
};
use qingshan_store::{IndicatorValue, Store};

use crate::{Error, Result};

/// Everything the report for `year` rests on, read from the store.
pub async fn report_data(store: &Store, plan: &Plan, year: i32) -> Result<ReportData> {
    let pid = &plan.meta.id;
    let values = store.current_indicator_values(pid).await?;
    let assigned = store.current_assigned_targets(pid).await?;
    let judgements = store.current_judgements(pid).await?;
    let tasks = store.all_task_reports(pid).await?;
    let inputs = Inputs {
        values: values
            .iter()
            .map(|v| ValueInput {
                indicator: v.indicator_number as u32,
                year: v.year as i32,
                division: v.division_code.clone(),
                value: v.value.clone(),
            })
            .collect(),
        assigned: assigned
            .iter()
            .map(|a| AssignedTarget {
                indicator: a.indicator_number as u32,
                year: a.year as i32,
                division: a.division_code.clone(),
                value: a.value.clone(),
            })
            .collect(),
        judgements: judgements
            .iter()
            .filter(|j| j.year == i64::from(year))
            .map(|j| ManualJudgement {
                indicator: j.indicator_number as u32,
                division: j.division_code.clone(),
                met: j.met,
                justification: j.justification.clone(),
            })
            .collect(),
        task_reports: tasks
            .iter()
            .filter_map(|t| {
                let status = t.status.as_str().parse::<TaskState>().ok()?;
                Some(TaskReportInput {
                    area: t.area as u32,
                    number: t.number as u32,
                    period: t.period.clone(),
                    status,
                    narrative: t.narrative.clone(),
                })
            })
            .collect(),
        options: Default::default(),
        scoring: Default::default(),
    };
    ReportData::build(plan, year, &inputs).map_err(Error::Report)
}

/// Checks that `year` is one the plan assesses: after its baseline year, up to its last
/// milestone.
pub fn check_year(plan: &Plan, year: i32) -> Result<()> {
    let first = plan.meta.baseline_year + 1;
    let last = plan.meta.milestone_years.last().copied().unwrap_or(first);
    if year < first || year > last {
        return Err(Error::invalid(
            "year",
            format!("评估年度应在 {first}–{last} 之间"),
        ));
    }
    Ok(())
}

/// The latest year with any city value, for the dashboard's status column.
pub fn latest_year(values: &[IndicatorValue], city: &str) -> Option<i32> {
    values
        .iter()
        .filter(|v| v.division_code == city)
        .map(|v| v.year as i32)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_the_plan_are_named() {
        let plan = qingshan_plan::xinzhou().unwrap_or_else(|e| panic!("{e}"));
        let first = plan.meta.baseline_year + 1;
        assert!(check_year(&plan, first).is_ok());
        let e = check_year(&plan, first - 1).err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.starts_with("年份：评估年度应在")));
    }
}
