//! The plan's pages: the dashboard, an indicator with its entry form, and the tasks.

use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect};
use axum::{Extension, Form};
use minijinja::context;
use serde::Deserialize;
use serde_json::Value;

use qingshan_app::evidence;

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::Auth;
use crate::web::chart;
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};

use super::api::{ValueInput, record_value_checked};
use super::views::{indicator_view, indicator_views, insufficient_label, latest_by_indicator};

/// What the dashboard is told after a form (how many values an import stored), and the year
/// to assess.
#[derive(Debug, serde::Deserialize)]
pub struct DashboardQuery {
    /// Values stored by the import just made.
    pub imported: Option<usize>,
    /// The year to assess; empty or absent: the default (the latest complete year). Read as
    /// text so that a bad year gets a Chinese message naming 年份.
    pub year: Option<String>,
}

/// `GET /plan`: the plan dashboard, indicators by category.
pub async fn dashboard(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<DashboardQuery>,
    Query(counts): Query<crate::web::import_report::ImportReport>,
) -> PageResult {
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let views = indicator_views(&s.plan, &values);
    let choice = qingshan_app::report::default_year(&values, &s.plan);
    let year = qingshan_app::report::parse_year(&s.plan, q.year.as_deref())?.unwrap_or(choice.year);
    let issue = qingshan_app::report::issued_today(&s.plan);
    let report = qingshan_app::report::report_data(&s.store, &s.plan, year, &issue).await?;
    let first = s.plan.meta.baseline_year + 1;
    let assess_years: Vec<i32> =
        (first..=s.plan.meta.milestone_years.last().copied().unwrap_or(first)).collect();
    let progress: std::collections::HashMap<String, minijinja::Value> = report
        .indicators
        .iter()
        .map(|i| {
            let st = i.assessment.status;
            (
                i.number.to_string(),
                context! { code => st.code(), label => st.label(), reasoning => i.reasoning },
            )
        })
        .collect();
    let groups: Vec<_> = s
        .plan
        .categories()
        .into_iter()
        .map(|c| context! { category => c, indicators => views.iter().filter(|v| v.category == c).collect::<Vec<_>>() })
        .collect();
    // A 数据不足 value is not data: it does not count as reported.
    let reported = views
        .iter()
        .filter(|v| v.latest.as_ref().is_some_and(|l| l.capture_label.is_none()))
        .count();
    let attention = qingshan_app::sources::attention(&s.store, auth.user.as_ref()).await?;
    page(
        "dashboard.html",
        &auth,
        &s,
        context! { groups, reported, total => views.len(), years => s.plan.target_years(), progress, progress_year => year, progress_why => choice.explanation(year), default_year => choice.year, assess_years, summary => report.summary, imported => q.imported, report => counts.shown(), attention,
        by_unit => rollup_rows(&report.by_unit, &report.unit_scores), by_division => rollup_rows(&report.by_division, &report.division_scores) },
    )
}

/// Roll-up rows for the dashboard: status counts with the 百分制 score and grade beside them.
fn rollup_rows(
    groups: &[qingshan_plan::progress::Group],
    scores: &[qingshan_plan::progress::Score],
) -> Vec<minijinja::Value> {
    groups
        .iter()
        .filter(|g| g.counts.total > 0)
        .map(|g| {
            let score = scores.iter().find(|s| s.key == g.key);
            context! {
                name => g.name, counts => g.counts,
                score => score.and_then(|s| s.score()).map(|d| d.to_string()),
                grade => score.map(|s| s.grading.label()),
                grade_status => score.map(|s| s.grading.code()),
            }
        })
        .collect()
}

/// Query of the indicator page.
#[derive(Deserialize)]
pub struct IndicatorQuery {
    /// Set after a successful save.
    pub saved: Option<u8>,
}

/// `GET /indicators/{number}`: one indicator, its targets, its history and the entry form.
pub async fn indicator(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let ind = s
        .plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let current = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let latest = latest_by_indicator(&current, &s.plan.meta.division).remove(&i64::from(number));
    let view = indicator_view(&s.plan, ind, latest);
    let history = s
        .store
        .indicator_value_history(&s.plan.meta.id, number.into(), None)
        .await?;
    let history: Vec<_> = history
        .iter()
        .rev()
        .map(|v| context! { v => v, division_name => s.plan.division(&v.division_code).map(|d| d.name.as_str()), insufficient => insufficient_label(v) })
        .collect();
    let city_series: Vec<(i64, f64)> = current
        .iter()
        // A figure from too few valid days is no point of the series (数据不足).
        .filter(|v| {
            v.indicator_number == i64::from(number)
                && v.division_code == s.plan.meta.division
                && !v.insufficient()
        })
        .filter_map(|v| {
            v.value
                .parse::<qingshan_plan::Decimal>()
                .ok()
                .map(|d| (v.year, d.to_f64()))
        })
        .collect();
    let chart = chart::indicator_chart(&s.plan, ind, &city_series);
    // Which divisions this user may enter values for; empty means no form.
    let divisions: Vec<_> = match &auth.user {
        Some(u) => s
            .plan
            .divisions
            .iter()
            .filter(|d| qingshan_app::accounts::value_permission(u, ind, &d.code).is_ok())
            .collect(),
        None => Vec::new(),
    };
    let years: Vec<i32> = (s.plan.meta.baseline_year
        ..=s.plan.meta.milestone_years.last().copied().unwrap_or(2035))
        .collect();
    // The form starts at the latest year with data (this indicator's, else any), not 2020.
    let default_year = qingshan_app::report::latest_data_year(&current, Some(i64::from(number)))
        .or_else(|| qingshan_app::report::latest_data_year(&current, None));
    // Indicator 22 only: the questionnaire's and complaint ratings' supporting figures.
    let support = qingshan_app::participation::indicator_support(
        &s.store,
        &s.plan,
        number,
        chrono::Datelike::year(&qingshan_app::beijing::today()),
    )
    .await
    .map_err(AppError::from)?;
    page(
        "indicator.html",
        &auth,
        &s,
        context! { ind => view, history, divisions, years, default_year, saved => q.saved.is_some(), chart, support },
    )
}

/// The value form.
#[derive(Deserialize)]
pub struct ValueForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Year.
    pub year: String,
    /// Division code.
    pub division: String,
    /// Value text.
    pub value: String,
    /// Note.
    pub note: Option<String>,
    /// Reason.
    pub reason: Option<String>,
}

/// `POST /indicators/{number}/values`: the entry form.
pub async fn record_value(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Form(f): Form<ValueForm>,
) -> PageResult {
    let Ok(year) = f.year.trim().parse::<i64>() else {
        let err = AppError::invalid("year", "年份应为四位数字");
        return Err(refuse(
            &s,
            &auth,
            "indicator_value.record",
            format!("indicator:{number}"),
            err,
            Some(f.value),
        )
        .await
        .into());
    };
    let input = ValueInput {
        year,
        division: Some(f.division),
        value: Value::String(f.value),
        note: f.note,
        reason: f.reason,
    };
    record_value_checked(&s, &auth, number, input, f.csrf_token.as_deref(), "manual").await?;
    Ok(Redirect::to(&format!("/indicators/{number}?saved=1")).into_response())
}

/// Query of the tasks page.
#[derive(Deserialize)]
pub struct TasksQuery {
    /// "area" (default) or "unit".
    pub by: Option<String>,
}

/// `GET /tasks`: the main tasks by area or by responsible unit.
pub async fn tasks(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<TasksQuery>,
) -> PageResult {
    let by_unit = q.by.as_deref() == Some("unit");
    let reports = s.store.all_task_reports(&s.plan.meta.id).await?;
    let latest = qingshan_app::tasks::latest_task_reports(&reports);
    // A task is 逾期未报 when nothing was reported for last year or later.
    let due_year = qingshan_app::tasks::due_year(qingshan_app::beijing::today());
    let may_report = |t: &qingshan_plan::Task| {
        auth.user
            .as_ref()
            .is_some_and(|u| qingshan_app::accounts::task_permission(u, t).is_ok())
    };
    // Every period's report with its evidence files: for signed-in users only, as the files
    // themselves are (see `qingshan_app::evidence`).
    let evidence = match auth.user {
        Some(_) => s.store.plan_task_evidence(&s.plan.meta.id).await?,
        None => Vec::new(),
    };
    let mut files_of: std::collections::HashMap<(i64, i64, &str), Vec<&qingshan_store::Evidence>> =
        std::collections::HashMap::new();
    for e in &evidence {
        files_of
            .entry((e.area, e.number, e.period.as_str()))
            .or_default()
            .push(e);
    }
    let reports_of = |t: &qingshan_plan::Task| -> Vec<minijinja::Value> {
        if auth.user.is_none() {
            return Vec::new();
        }
        let key = (i64::from(t.area), i64::from(t.number));
        let mut rs: Vec<&qingshan_store::TaskReport> = reports
            .iter()
            .filter(|r| (r.area, r.number) == key)
            .collect();
        rs.sort_by_key(|r| std::cmp::Reverse(qingshan_app::tasks::period_key(&r.period)));
        rs.into_iter()
            .map(|r| {
                let files: Vec<_> = files_of
                    .get(&(r.area, r.number, r.period.as_str()))
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        context! {
                            id => f.id, name => f.file_name, size => evidence::fmt_size(f.size_bytes.max(0) as u64),
                            by => f.uploaded_by_name, at => f.uploaded_at, revision => f.revision, earlier => f.revision != r.revision,
                        }
                    })
                    .collect();
                context! {
                    id => r.id, period => r.period, status => r.status.as_str(), label => r.status.label(), narrative => r.narrative,
                    revision => r.revision, by => r.reported_by_name, at => r.reported_at, files,
                }
            })
            .collect()
    };
    let task_ctx = |t: &qingshan_plan::Task| {
        let last = latest.get(&(i64::from(t.area), i64::from(t.number)));
        let overdue = qingshan_app::tasks::overdue(last.copied(), due_year);
        context! {
            code => t.code(), area => t.area, number => t.number, title => t.title, paras => t.text.lines().collect::<Vec<_>>(),
            units => t.responsible.iter().map(|u| s.plan.unit_name(u)).collect::<Vec<_>>(),
            latest => last.map(|r| context! { period => r.period, status => r.status.as_str(), label => r.status.label(), narrative => r.narrative, by => r.reported_by_name, at => r.reported_at }),
            overdue, may_report => may_report(t), reports => reports_of(t),
        }
    };
    let areas: Vec<_> = s
        .plan
        .areas
        .iter()
        .map(|a| context! { numeral => qingshan_plan::area_numeral(a.number), title => a.title, tasks => a.tasks.iter().map(task_ctx).collect::<Vec<_>>() })
        .collect();
    let units: Vec<_> = s
        .plan
        .units
        .iter()
        .map(|u| {
            let tasks: Vec<_> = s
                .plan
                .tasks()
                .filter(|t| t.responsible.contains(&u.id))
                .map(task_ctx)
                .collect();
            let indicators: Vec<_> = s
                .plan
                .indicators
                .iter()
                .filter(|i| i.is_owned_by(&u.id))
                .map(|i| context! { number => i.number, name => i.name })
                .collect();
            let lagging = tasks
                .iter()
                .filter(|t| {
                    t.get_attr("latest")
                        .ok()
                        .and_then(|l| l.get_attr("status").ok())
                        .is_some_and(|st| st.as_str() == Some("lagging"))
                })
                .count();
            let overdue = tasks
                .iter()
                .filter(|t| t.get_attr("overdue").ok().is_some_and(|o| o.is_true()))
                .count();
            context! { id => u.id, name => u.name, tasks, indicators, lagging, overdue }
        })
        .collect();
    page(
        "tasks.html",
        &auth,
        &s,
        context! { by_unit, areas, units, task_count => s.plan.tasks().count(), due_year, this_year => due_year + 1,
        accept => evidence::ACCEPT_ATTR, accepted => evidence::ACCEPTED_LABEL,
        max_size => evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => evidence::MAX_FILES },
    )
}
