//! Task progress reports (任务进展): which periods exist and how they order, the checks a report
//! passes, and storing it with its evidence.

use std::collections::HashMap;

use qingshan_plan::Plan;
use qingshan_store::{
    Actor, Evidence, NewEvidence, NewTaskReport, Store, TaskReport, TaskReportRef, TaskStatus, User,
};

use crate::accounts::task_permission;
use crate::{Error, Result};

/// Whether `p` is a period: a year (`2024`) or a quarter (`2024Q3`).
pub fn valid_period(p: &str) -> bool {
    let b = p.as_bytes();
    (b.len() == 4 && b.iter().all(u8::is_ascii_digit))
        || (b.len() == 6
            && b[..4].iter().all(u8::is_ascii_digit)
            && b[4] == b'Q'
            && (b'1'..=b'4').contains(&b[5]))
}

/// Orders periods: "2024Q1" < … < "2024Q4" < "2024" (an annual report closes the year).
pub fn period_key(p: &str) -> (i32, u8) {
    let year = p.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let q = p.get(5..6).and_then(|q| q.parse().ok()).unwrap_or(5);
    (year, q)
}

/// The latest report of each task.
pub fn latest_task_reports(reports: &[TaskReport]) -> HashMap<(i64, i64), &TaskReport> {
    let mut out: HashMap<(i64, i64), &TaskReport> = HashMap::new();
    for r in reports {
        let e = out.entry((r.area, r.number)).or_insert(r);
        if period_key(&r.period) > period_key(&e.period) {
            *e = r;
        }
    }
    out
}

/// A report as entered: period, status code and narrative.
#[derive(Debug, Clone)]
pub struct ReportInput {
    /// "2024" or "2024Q3".
    pub period: String,
    /// not_started, in_progress, completed or lagging.
    pub status: String,
    /// What was done.
    pub narrative: String,
}

/// Checks a report `user` makes on task `area`-`number`: the task exists ([`Error::NotFound`]),
/// the user may report on it ([`Error::Forbidden`]), and the status, period and narrative are
/// well formed ([`Error::Invalid`]). The report to store.
pub fn check_task_report(
    plan: &Plan,
    user: &User,
    area: u32,
    number: u32,
    input: ReportInput,
) -> Result<NewTaskReport> {
    let task = plan
        .task(area, number)
        .ok_or_else(|| Error::NotFound(format!("没有任务 {area}-{number}")))?;
    task_permission(user, task)?;
    let status = TaskStatus::parse(&input.status).ok_or_else(|| {
        Error::invalid(
            "status",
            "应为 not_started、in_progress、completed 或 lagging",
        )
    })?;
    if !valid_period(&input.period) {
        return Err(Error::invalid("period", "期间应为 2024 或 2024Q3 的形式"));
    }
    if input.narrative.trim().is_empty() || input.narrative.chars().count() > 5000 {
        return Err(Error::invalid(
            "narrative",
            "进展说明不能为空且不超过 5000 字",
        ));
    }
    Ok(NewTaskReport {
        plan_id: plan.meta.id.clone(),
        area: area.into(),
        number: number.into(),
        period: input.period,
        status,
        narrative: input.narrative,
    })
}

/// Stores a checked report and its checked evidence files together, or nothing.
pub async fn record_task_report(
    store: &Store,
    report: &NewTaskReport,
    evidence: &[NewEvidence],
    actor: &Actor,
) -> Result<(TaskReport, Vec<Evidence>)> {
    Ok(store
        .record_task_report_with_evidence(report, evidence, actor)
        .await?)
}

/// A report revision of `plan` by id; [`Error::NotFound`] for another plan's or none.
pub async fn report_of_plan(store: &Store, plan: &Plan, report_id: i64) -> Result<TaskReportRef> {
    match store.task_report_by_id(report_id).await? {
        Some(r) if r.plan_id == plan.meta.id => Ok(r),
        _ => Err(Error::NotFound(format!(
            "没有编号为 {report_id} 的任务进展报告"
        ))),
    }
}

/// Whether `user` may attach evidence to `report`: its task exists ([`Error::NotFound`]) and the
/// user may report on it ([`Error::Forbidden`]).
pub fn may_attach(plan: &Plan, user: &User, report: &TaskReportRef) -> Result<()> {
    let (area, number) = (report.report.area, report.report.number);
    let task = u32::try_from(area)
        .ok()
        .zip(u32::try_from(number).ok())
        .and_then(|(a, n)| plan.task(a, n))
        .ok_or_else(|| Error::NotFound(format!("没有任务 {area}-{number}")))?;
    task_permission(user, task)
}

/// Attaches checked evidence files to a report revision.
pub async fn attach_evidence(
    store: &Store,
    report: &TaskReportRef,
    evidence: &[NewEvidence],
    actor: &Actor,
) -> Result<Vec<Evidence>> {
    Ok(store
        .attach_task_evidence(report.report.id, evidence, actor)
        .await?)
}

/// The year a task's report is due for: last year (Beijing time). A task is 逾期未报 when its
/// latest report is for an earlier period, or when it has none.
pub fn due_year(today: chrono::NaiveDate) -> i32 {
    chrono::Datelike::year(&today) - 1
}

/// Whether a task whose latest report is `latest` is 逾期未报 in `due_year`.
pub fn overdue(latest: Option<&qingshan_store::TaskReport>, due_year: i32) -> bool {
    latest.is_none_or(|r| period_key(&r.period).0 < due_year)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_are_years_or_quarters_and_a_year_closes_its_quarters() {
        for p in ["2024", "2024Q1", "2024Q4"] {
            assert!(valid_period(p), "{p}");
        }
        for p in ["", "24", "2024Q5", "2024q1", "2024-1", "二〇二四"] {
            assert!(!valid_period(p), "{p}");
        }
        assert!(period_key("2024Q4") < period_key("2024"));
        assert!(period_key("2024") < period_key("2025Q1"));
    }
}
