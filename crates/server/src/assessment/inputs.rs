//! The assessment inputs of one indicator on the web: the province's assigned target
//! (完成省级下达任务) and staff judgements (有效保障 and other qualitative targets), each with
//! its forms for staff, its history of revisions, and the status the year gets from them.

use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::{Extension, Form};
use minijinja::context;
use serde::{Deserialize, Serialize};

use qingshan_app::assessment::{InputAt, input_history, takes_assigned_target};

use crate::AppState;
use crate::web::audit::{refuse, staff_write};
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};

/// Query of the page: the year whose status is shown, and what was just saved.
#[derive(Debug, Default, Deserialize)]
pub struct InputsQuery {
    /// The year to show (default: the latest year with an input, else last year).
    pub year: Option<String>,
    /// `assigned` or `judgement` after a save.
    pub saved: Option<String>,
}

/// The assigned-target form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct AssignedForm {
    /// CSRF token.
    #[serde(default, skip_serializing)]
    pub csrf_token: Option<String>,
    /// Year.
    #[serde(default)]
    pub year: String,
    /// Division code.
    #[serde(default)]
    pub division: String,
    /// The province's value.
    #[serde(default)]
    pub value: String,
    /// The province's document.
    #[serde(default)]
    pub note: String,
}

/// The judgement form.
#[derive(Debug, Default, Clone, Deserialize, Serialize)]
pub struct JudgementForm {
    /// CSRF token.
    #[serde(default, skip_serializing)]
    pub csrf_token: Option<String>,
    /// Year.
    #[serde(default)]
    pub year: String,
    /// Division code.
    #[serde(default)]
    pub division: String,
    /// `met` (达标) or `not_met` (未达标).
    #[serde(default)]
    pub result: String,
    /// Why.
    #[serde(default)]
    pub justification: String,
    /// What it rests on.
    #[serde(default)]
    pub evidence: String,
}

/// What a refused form shows again: the message and the user's input.
#[derive(Default)]
struct Refused {
    assigned: Option<(String, AssignedForm)>,
    judgement: Option<(String, JudgementForm)>,
}

fn years(s: &AppState) -> Vec<i32> {
    let first = s.plan.meta.baseline_year + 1;
    let last = s.plan.meta.milestone_years.last().copied().unwrap_or(first);
    (first..=last).collect()
}

/// The message a form shows for a refusal: an invalid field's message alone.
pub(crate) fn form_message(e: &AppError) -> String {
    match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

fn parse_year(s: &AppState, text: &str) -> Result<i64, AppError> {
    let y: i32 = text
        .trim()
        .parse()
        .map_err(|_| AppError::invalid("year", "年份应为四位数字"))?;
    qingshan_app::report::check_year(&s.plan, y)?;
    Ok(i64::from(y))
}

/// `GET /indicators/{number}/assessment`: the assigned targets and judgements of an indicator,
/// their history, the status of the chosen year, and (for staff) the forms.
pub async fn inputs_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Query(q): Query<InputsQuery>,
) -> PageResult {
    render(&s, &auth, number, &q, Refused::default(), StatusCode::OK).await
}

async fn render(
    s: &AppState,
    auth: &Auth,
    number: u32,
    q: &InputsQuery,
    refused: Refused,
    status: StatusCode,
) -> PageResult {
    let ind = s
        .plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let (assigned, judgements) = input_history(&s.store, &s.plan, number).await?;
    let all_years = years(s);
    let latest_input = assigned
        .iter()
        .map(|a| a.year)
        .chain(judgements.iter().map(|j| j.year))
        .max()
        .and_then(|y| i32::try_from(y).ok());
    let last_year = chrono::Datelike::year(&chrono::Utc::now()) - 1;
    let fallback = latest_input.unwrap_or(last_year);
    // A written year must be one the plan assesses (a Chinese error naming 年份 otherwise);
    // without one, the latest year with an input, else last year.
    let year = match qingshan_app::report::parse_year(&s.plan, q.year.as_deref())? {
        Some(y) => y,
        None => all_years
            .iter()
            .copied()
            .find(|y| *y == fallback)
            .or_else(|| all_years.last().copied())
            .unwrap_or(fallback),
    };
    let issue = qingshan_app::report::issued_today(&s.plan);
    let report = qingshan_app::report::report_data(&s.store, &s.plan, year, &issue).await?;
    let year_status = report
        .indicators
        .iter()
        .find(|i| i.number == number)
        .map(|i| {
            let st = i.assessment.status;
            context! { code => st.code(), label => st.label(), reasoning => i.reasoning }
        });
    let division_name = |code: &str| {
        s.plan
            .division(code)
            .map_or_else(|| code.to_string(), |d| d.name.clone())
    };
    let assigned: Vec<_> = assigned
        .iter()
        .map(|a| context! { a => a, division_name => division_name(&a.division_code) })
        .collect();
    let judgements: Vec<_> = judgements
        .iter()
        .map(|j| context! { j => j, division_name => division_name(&j.division_code) })
        .collect();
    let (assigned_error, assigned_form) = match refused.assigned {
        Some((m, f)) => (Some(m), f),
        None => (
            None,
            AssignedForm {
                year: year.to_string(),
                division: s.plan.meta.division.clone(),
                ..AssignedForm::default()
            },
        ),
    };
    let (judgement_error, judgement_form) = match refused.judgement {
        Some((m, f)) => (Some(m), f),
        None => (
            None,
            JudgementForm {
                year: year.to_string(),
                division: s.plan.meta.division.clone(),
                ..JudgementForm::default()
            },
        ),
    };
    let targets: Vec<_> = ind
        .targets
        .iter()
        .map(|t| context! { year => t.year, text => t.text, kind => t.kind.label() })
        .collect();
    let mut resp = page(
        "assessment_inputs.html",
        auth,
        s,
        context! {
            number, name => ind.name, unit => ind.unit, targets,
            takes_assigned => takes_assigned_target(&s.plan, number),
            year, years => all_years, status => year_status, assigned, judgements,
            divisions => s.plan.divisions.iter().map(|d| context! { code => d.code, name => d.name }).collect::<Vec<_>>(),
            assigned_error, assigned_form, judgement_error, judgement_form,
            saved => q.saved.as_deref().filter(|v| matches!(*v, "assigned" | "judgement")),
        },
    )?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// `POST /indicators/{number}/assigned-targets` (staff, form): the province's value for a
/// year; back to the page, or the form again with the message and what was typed.
pub async fn assigned_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Form(f): Form<AssignedForm>,
) -> PageResult {
    let action = "assigned_target.record";
    let target = format!("indicator:{number}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    if s.plan.indicator(number).is_none() {
        return Err(AppError::NotFound(format!("没有第 {number} 项指标")).into());
    }
    let result = match parse_year(&s, &f.year) {
        Ok(year) => qingshan_app::assessment::record_assigned_target(
            &s.store,
            &s.plan,
            &auth.actor(),
            InputAt {
                number,
                year,
                division: Some(f.division.trim().to_string()).filter(|d| !d.is_empty()),
            },
            &f.value,
            Some(f.note.trim()).filter(|n| !n.is_empty()),
        )
        .await
        .map_err(AppError::from),
        Err(e) => Err(e),
    };
    match result {
        Ok(row) => Ok(Redirect::to(&format!(
            "/indicators/{number}/assessment?year={}&saved=assigned",
            row.year
        ))
        .into_response()),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let e = refuse(&s, &auth, action, target, e, Some(f.value.clone())).await;
            let status = e.status();
            let q = InputsQuery {
                year: Some(f.year.clone()),
                saved: None,
            };
            let refused = Refused {
                assigned: Some((form_message(&e), f)),
                judgement: None,
            };
            render(&s, &auth, number, &q, refused, status).await
        }
    }
}

/// `POST /indicators/{number}/judgements` (staff, form): a judgement with its reasoning and
/// evidence note; back to the page, or the form again with the message and what was typed.
pub async fn judgement_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Form(f): Form<JudgementForm>,
) -> PageResult {
    let action = "judgement.record";
    let target = format!("indicator:{number}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    if s.plan.indicator(number).is_none() {
        return Err(AppError::NotFound(format!("没有第 {number} 项指标")).into());
    }
    let met = match f.result.as_str() {
        "met" => Ok(true),
        "not_met" => Ok(false),
        _ => Err(AppError::invalid(
            "result",
            "请选择评定结果：达标 或 未达标",
        )),
    };
    let result = match (parse_year(&s, &f.year), met) {
        (Ok(year), Ok(met)) => qingshan_app::assessment::record_judgement(
            &s.store,
            &s.plan,
            &auth.actor(),
            InputAt {
                number,
                year,
                division: Some(f.division.trim().to_string()).filter(|d| !d.is_empty()),
            },
            met,
            &f.justification,
            Some(f.evidence.as_str()),
        )
        .await
        .map_err(AppError::from),
        (Err(e), _) | (_, Err(e)) => Err(e),
    };
    match result {
        Ok(row) => Ok(Redirect::to(&format!(
            "/indicators/{number}/assessment?year={}&saved=judgement",
            row.year
        ))
        .into_response()),
        Err(e @ AppError::Internal(_)) => Err(e.into()),
        Err(e) => {
            let e = refuse(&s, &auth, action, target, e, Some(f.result.clone())).await;
            let status = e.status();
            let q = InputsQuery {
                year: Some(f.year.clone()),
                saved: None,
            };
            let refused = Refused {
                assigned: None,
                judgement: Some((form_message(&e), f)),
            };
            render(&s, &auth, number, &q, refused, status).await
        }
    }
}
