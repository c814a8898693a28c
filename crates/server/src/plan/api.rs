//! The plan's JSON API under `/api/v1`: the plan, its indicators and their values, tasks,
//! units and divisions.

use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::{Extension, Json};
use qingshan_store::IndicatorValue;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;

use super::views::{indicator_view, indicator_views, latest_by_indicator};

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /plan`: the plan's metadata.
pub async fn plan(State(s): State<AppState>) -> ApiResult {
    Ok(Json(
        json!({ "plan": s.plan.meta, "categories": s.plan.categories() }),
    ))
}

/// `GET /indicators`: every indicator with targets and its latest city value.
pub async fn indicators(State(s): State<AppState>) -> ApiResult {
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    Ok(Json(
        json!({ "indicators": indicator_views(&s.plan, &values) }),
    ))
}

/// `GET /indicators/{number}`.
pub async fn indicator(State(s): State<AppState>, Path(number): Path<u32>) -> ApiResult {
    let ind = s
        .plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let latest = latest_by_indicator(&values, &s.plan.meta.division).remove(&i64::from(number));
    Ok(Json(
        json!({ "indicator": indicator_view(&s.plan, ind, latest), "definition": ind }),
    ))
}

/// Query of the progress API.
#[derive(Deserialize)]
pub struct ProgressQuery {
    /// The year to assess; absent or empty: the latest complete year. Text, so that a bad year
    /// gets a Chinese message naming 年份.
    pub year: Option<String>,
}

/// `GET /progress`: the assessment of one year (the latest complete year by default) with why
/// that year, each indicator's status, and the 百分制 scores of units and counties; a group
/// with indicators lacking data has `score` and `grade` null, `grade_status` `incomplete` and
/// `missing` N.
pub async fn progress(State(s): State<AppState>, Query(q): Query<ProgressQuery>) -> ApiResult {
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let choice = qingshan_app::report::default_year(&values, &s.plan);
    let year = qingshan_app::report::parse_year(&s.plan, q.year.as_deref())?.unwrap_or(choice.year);
    let issue = qingshan_app::report::issued_today(&s.plan);
    let r = qingshan_app::report::report_data(&s.store, &s.plan, year, &issue).await?;
    let indicators: Vec<Value> = r
        .indicators
        .iter()
        .map(|i| {
            json!({ "number": i.number, "status": i.assessment.status.code(), "status_label": i.assessment.status.label(),
                    "rule": i.assessment.rule.code(), "reasoning": i.reasoning })
        })
        .collect();
    Ok(Json(json!({
        "year": year, "default_year": choice.year, "year_basis": choice.explanation(year),
        "indicators_with_data": choice.counts.iter().map(|(y, n)| json!({ "year": y, "count": n })).collect::<Vec<_>>(),
        "summary": r.summary, "indicators": indicators,
        "unit_scores": r.unit_scores, "division_scores": r.division_scores,
    })))
}

/// Query of the value history.
#[derive(Deserialize)]
pub struct HistoryQuery {
    /// Only this division.
    pub division: Option<String>,
}

/// `GET /indicators/{number}/values`: every revision, oldest first.
pub async fn indicator_values(
    State(s): State<AppState>,
    Path(number): Path<u32>,
    Query(q): Query<HistoryQuery>,
) -> ApiResult {
    s.plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let hist = s
        .store
        .indicator_value_history(&s.plan.meta.id, number.into(), q.division.as_deref())
        .await?;
    Ok(Json(json!({ "values": hist })))
}

/// Body of a value to record.
#[derive(Debug, Deserialize)]
pub struct ValueInput {
    /// Year the value describes.
    pub year: i64,
    /// GB/T 2260 code; defaults to the plan's own division.
    pub division: Option<String>,
    /// The value: a decimal string (exact) or a JSON number.
    pub value: Value,
    /// Note shown with the value.
    pub note: Option<String>,
    /// Why (for a revision).
    pub reason: Option<String>,
}

/// Records an indicator value for the requester after every check; shared by form and API.
pub(crate) async fn record_value_checked(
    s: &AppState,
    auth: &Auth,
    number: u32,
    input: ValueInput,
    csrf: Option<&str>,
    source: &str,
) -> Result<IndicatorValue, AppError> {
    let action = "indicator_value.record";
    let division = input
        .division
        .clone()
        .unwrap_or_else(|| s.plan.meta.division.clone());
    let target = format!("indicator:{number} year:{} division:{division}", input.year);
    let value_text = match &input.value {
        Value::String(t) => t.clone(),
        Value::Number(n) => n.to_string(),
        other => other.to_string(),
    };
    let attempted = Some(value_text.clone());
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, attempted).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, attempted).await);
    }
    let entry = qingshan_app::values::ValueEntry {
        number,
        year: input.year,
        division,
        value: value_text,
        note: input.note,
        reason: input.reason,
        source: source.to_string(),
    };
    match qingshan_app::values::record_value(&s.store, &s.plan, &user, &auth.actor(), entry).await {
        Ok(v) => Ok(v),
        Err(e @ qingshan_app::Error::Store(_)) => Err(e.into()),
        Err(e) => Err(refuse(s, auth, action, target, e.into(), attempted).await),
    }
}

/// `POST /indicators/{number}/values`: records a value (a new revision; nothing is overwritten).
pub async fn record_value(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<ValueInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let target = format!("indicator:{number}");
    let input = match body {
        Ok(Json(i)) => i,
        Err(rej) => {
            let err = AppError::rejected_body(&rej.body_text());
            return Err(refuse(&s, &auth, "indicator_value.record", target, err, None).await);
        }
    };
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let stored = record_value_checked(&s, &auth, number, input, csrf, "api").await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "value": stored })),
    ))
}

/// `GET /tasks`: the main tasks by area.
pub async fn tasks(State(s): State<AppState>) -> ApiResult {
    Ok(Json(
        json!({ "areas": s.plan.areas, "counties_carry_all_tasks": s.plan.meta.counties_carry_all_tasks }),
    ))
}

/// `GET /units`.
pub async fn units(State(s): State<AppState>) -> ApiResult {
    Ok(Json(json!({ "units": s.plan.units })))
}

/// `GET /divisions`.
pub async fn divisions(State(s): State<AppState>) -> ApiResult {
    Ok(Json(json!({ "divisions": s.plan.divisions })))
}
