//! 重污染天气预警 on the web: the list with the issue form (staff), a warning's page with its
//! timeline, the notices and who confirmed them, the live compliance table and the staff's
//! raise / lower / lift forms, the enterprise's confirm form, the episode report as HTML, PDF and
//! XLSX, and the JSON API `/api/v1/heavy/warnings…`. Who may do what is
//! `qingshan_app::warnings`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::warnings::{self, CheckConfig, StepForm};
use qingshan_store::{HeavyWarning, WarningEvent, WarningNotice, WarningStep, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;

/// The pages and API of heavy-pollution warnings.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/heavy/warnings", get(list_page).post(issue_form))
        .route("/heavy/warnings/{id}", get(warning_page))
        .route("/heavy/warnings/{id}/raise", post(raise_form))
        .route("/heavy/warnings/{id}/lower", post(lower_form))
        .route("/heavy/warnings/{id}/lift", post(lift_form))
        .route("/heavy/warnings/notices/{id}/confirm", post(confirm_form))
        .route("/heavy/warnings/{id}/report.html", get(report_html))
        .route("/heavy/warnings/{id}/report.pdf", get(report_pdf))
        .route("/heavy/warnings/{id}/report.xlsx", get(report_xlsx))
        .route("/api/v1/heavy/warnings", get(api_list).post(api_issue))
        .route("/api/v1/heavy/warnings/{id}", get(api_get))
        .route("/api/v1/heavy/warnings/{id}/raise", post(api_raise))
        .route("/api/v1/heavy/warnings/{id}/lower", post(api_lower))
        .route("/api/v1/heavy/warnings/{id}/lift", post(api_lift))
        .route(
            "/api/v1/heavy/warnings/notices/{id}/confirm",
            post(api_confirm),
        )
        .route("/api/v1/heavy/warnings/{id}/report", get(api_report))
}

fn warning_json(w: &HeavyWarning) -> Value {
    let mut v = serde_json::to_value(w).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("level_label".into(), json!(labels::warning_level(&w.level)));
        m.insert("state_label".into(), json!(labels::warning_state(&w.state)));
        m.insert("areas_label".into(), json!(warnings::areas_text(&w.areas)));
    }
    v
}

fn event_json(e: &WarningEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind_label".into(), json!(labels::warning_event(&e.kind)));
        m.insert("level_label".into(), json!(labels::warning_level(&e.level)));
    }
    v
}

fn notice_json(n: &WarningNotice) -> Value {
    let mut v = serde_json::to_value(n).unwrap_or(Value::Null);
    let reductions: Vec<warnings::NoticeReduction> =
        serde_json::from_str(&n.reductions).unwrap_or_default();
    let mns: Vec<String> = serde_json::from_str(&n.mns).unwrap_or_default();
    if let Value::Object(m) = &mut v {
        m.insert("level_label".into(), json!(labels::warning_level(&n.level)));
        m.insert("state_label".into(), json!(labels::notice_state(&n.state)));
        m.insert(
            "county".into(),
            json!(
                n.division_code
                    .as_deref()
                    .map_or_else(|| "未登记".to_string(), warnings::county_name)
            ),
        );
        let rs: Vec<Value> = reductions
            .iter()
            .map(|r| {
                let name = warnings::POLLUTANTS
                    .iter()
                    .find(|(c, _)| *c == r.pollutant)
                    .map_or("其他污染物", |(_, n)| *n);
                json!({ "pollutant": r.pollutant, "name": name, "reduction_kg_h": r.reduction_kg_h, "baseline_kg_h": r.baseline_kg_h })
            })
            .collect();
        m.insert("reductions".into(), json!(rs));
        m.insert("mns".into(), json!(mns));
    }
    v
}

/// The check's settings for pages: the defaults, as the supervisor's pass uses them.
fn check_config(_s: &AppState) -> CheckConfig {
    CheckConfig::default()
}

fn counties_json() -> Vec<Value> {
    warnings::counties()
        .into_iter()
        .map(|(code, name)| json!({ "code": code, "name": name }))
        .collect()
}

/// `GET /heavy/warnings`: the warnings, newest first (paged), and the issue form for staff.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = match warnings::list(&s.store, auth.user.as_ref(), limit, offset).await {
        Ok(p) => p,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                "page:/heavy/warnings".into(),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/heavy/warnings",
        raw.as_deref(),
    );
    let list: Vec<Value> = paged.items.iter().map(warning_json).collect();
    let mine: Vec<Value> = match warnings::confine(auth.user.as_ref()) {
        Some(_) => warnings::my_notices(&s.store, auth.user.as_ref())
            .await?
            .iter()
            .map(notice_json)
            .collect(),
        None => Vec::new(),
    };
    let may_manage = warnings::may_manage(auth.user.as_ref()).is_ok();
    page(
        "warnings.html",
        &auth,
        &s,
        context! { warnings => list, pager, total => paged.total, may_manage, counties => counties_json(), mine,
        levels => warnings::LEVELS },
    )
}

/// The issue and step forms' fields.
#[derive(Debug, Deserialize, Default)]
pub struct WarningForm {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Level.
    #[serde(default)]
    pub level: String,
    /// Effective time.
    #[serde(default)]
    pub effective_at: String,
    /// Forecast.
    #[serde(default)]
    pub forecast: String,
    /// Justification.
    #[serde(default)]
    pub justification: String,
    /// Counties (form: repeated `areas`).
    #[serde(default)]
    pub areas: Vec<String>,
    /// 文号.
    #[serde(default)]
    pub document_no: String,
}

impl WarningForm {
    fn step(&self) -> StepForm {
        StepForm {
            level: self.level.clone(),
            effective_at: self.effective_at.clone(),
            forecast: self.forecast.clone(),
            justification: self.justification.clone(),
            areas: self.areas.clone(),
            document_no: self.document_no.clone(),
        }
    }
}

/// Reads a form body with repeated `areas` fields (serde_urlencoded cannot).
fn parse_form(body: &str) -> WarningForm {
    let mut f = WarningForm::default();
    for (k, v) in form_urlencoded::parse(body.as_bytes()) {
        let v = v.into_owned();
        match k.as_ref() {
            "csrf_token" => f.csrf_token = Some(v),
            "level" => f.level = v,
            "effective_at" => f.effective_at = v,
            "forecast" => f.forecast = v,
            "justification" => f.justification = v,
            "areas" => f.areas.push(v),
            "document_no" => f.document_no = v,
            _ => {}
        }
    }
    f
}

async fn issue(
    s: &AppState,
    auth: &Auth,
    f: &WarningForm,
    csrf: Option<&str>,
) -> Result<HeavyWarning, AppError> {
    let target = "heavy_warning:new".to_string();
    let check = warnings::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "heavy_warning.issue", target, e, None).await);
    }
    match warnings::issue(
        &s.store,
        auth.user.as_ref(),
        &f.step(),
        Utc::now(),
        &auth.actor(),
    )
    .await
    {
        Ok(w) => Ok(w),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "heavy_warning.issue",
            target,
            e,
            Some(f.justification.clone()),
        )
        .await),
    }
}

/// `POST /heavy/warnings` (form; staff): issues a warning.
pub async fn issue_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    body: String,
) -> Result<Response, PageError> {
    let f = parse_form(&body);
    let w = issue(&s, &auth, &f, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/warnings/{}", w.id)).into_response())
}

async fn step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    kind: WarningStep,
    f: &WarningForm,
    csrf: Option<&str>,
) -> Result<HeavyWarning, AppError> {
    let action = format!("heavy_warning.{}", kind.code());
    let target = format!("heavy_warning:{id}");
    let check = warnings::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, &action, target, e, None).await);
    }
    match warnings::step(
        &s.store,
        auth.user.as_ref(),
        id,
        kind,
        &f.step(),
        Utc::now(),
        &auth.actor(),
    )
    .await
    {
        Ok(w) => Ok(w),
        Err(e) => Err(refuse_app(s, auth, &action, target, e, Some(f.justification.clone())).await),
    }
}

async fn step_form(
    s: AppState,
    auth: Auth,
    id: i64,
    kind: WarningStep,
    f: WarningForm,
) -> Result<Response, PageError> {
    step(&s, &auth, id, kind, &f, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/warnings/{id}")).into_response())
}

/// `POST /heavy/warnings/{id}/raise` (form; staff).
pub async fn raise_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<WarningForm>,
) -> Result<Response, PageError> {
    step_form(s, auth, id, WarningStep::Raise, f).await
}

/// `POST /heavy/warnings/{id}/lower` (form; staff).
pub async fn lower_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<WarningForm>,
) -> Result<Response, PageError> {
    step_form(s, auth, id, WarningStep::Lower, f).await
}

/// `POST /heavy/warnings/{id}/lift` (form; staff).
pub async fn lift_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<WarningForm>,
) -> Result<Response, PageError> {
    step_form(s, auth, id, WarningStep::Lift, f).await
}

/// The confirm form's fields.
#[derive(Debug, Deserialize, Default)]
pub struct ConfirmForm {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Note (e.g. how the measures are carried out).
    #[serde(default)]
    pub note: String,
}

async fn confirm(
    s: &AppState,
    auth: &Auth,
    id: i64,
    f: &ConfirmForm,
    csrf: Option<&str>,
) -> Result<WarningNotice, AppError> {
    let target = format!("warning_notice:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, "warning_notice.confirm", target, e, None).await);
    }
    match warnings::confirm(&s.store, auth.user.as_ref(), id, &f.note, &auth.actor()).await {
        Ok(n) => Ok(n),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "warning_notice.confirm",
            target,
            e,
            Some(f.note.clone()),
        )
        .await),
    }
}

/// `POST /heavy/warnings/notices/{id}/confirm` (form; the addressed enterprise).
pub async fn confirm_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<ConfirmForm>,
) -> Result<Response, PageError> {
    let n = confirm(&s, &auth, id, &f, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/heavy/warnings/{}", n.warning_id)).into_response())
}

async fn report_of(
    s: &AppState,
    auth: &Auth,
    id: i64,
    what: &str,
) -> Result<warnings::EpisodeReport, AppError> {
    match warnings::episode_report(
        &s.store,
        auth.user.as_ref(),
        id,
        Utc::now(),
        &check_config(s),
    )
    .await
    {
        Ok(r) => Ok(r),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "page.view",
            format!("page:/heavy/warnings/{id}{what}"),
            e,
            None,
        )
        .await),
    }
}

fn report_json(r: &warnings::EpisodeReport) -> Value {
    let events: Vec<Value> = r.detail.events.iter().map(event_json).collect();
    let notices: Vec<Value> = r.detail.notices.iter().map(notice_json).collect();
    json!({
        "warning": warning_json(&r.detail.warning),
        "events": events,
        "notices": notices,
        "areas": r.areas, "start": r.start, "end": r.end, "duration_hours": r.duration_hours,
        "enterprises": r.enterprises, "totals": r.totals, "stations": r.stations, "rule": r.rule,
    })
}

/// `GET /heavy/warnings/{id}`: the warning, its timeline, the notices with who confirmed, the
/// live compliance table, and the staff's forms.
pub async fn warning_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = report_of(&s, &auth, id, "").await?;
    let own = warnings::confine(auth.user.as_ref());
    let may_manage = warnings::may_manage(auth.user.as_ref()).is_ok();
    let current: Vec<Value> = r
        .detail
        .notices
        .iter()
        .filter(|n| n.state != "superseded")
        .map(notice_json)
        .collect();
    let confirmed = r
        .detail
        .notices
        .iter()
        .filter(|n| n.state == "confirmed")
        .count();
    let pending = r
        .detail
        .notices
        .iter()
        .filter(|n| n.state == "issued")
        .count();
    page(
        "warning.html",
        &auth,
        &s,
        context! { r => report_json(&r), current, confirmed, pending, may_manage,
        own, levels => warnings::LEVELS, rows => warnings::enterprise_rows(&r) },
    )
}

/// `GET /heavy/warnings/{id}/report.html`: the episode report as a page.
pub async fn report_html(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = report_of(&s, &auth, id, "/report.html").await?;
    page(
        "warning_report.html",
        &auth,
        &s,
        context! { r => report_json(&r), rows => warnings::enterprise_rows(&r) },
    )
}

/// `GET /heavy/warnings/{id}/report.pdf`.
pub async fn report_pdf(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = report_of(&s, &auth, id, "/report.pdf").await?;
    let bytes = warnings::report_pdf(&r, Utc::now()).map_err(AppError::from)?;
    let mut resp = crate::web::download::attachment(
        bytes,
        "application/pdf",
        &format!("重污染天气应急过程总结-{id}.pdf"),
    );
    resp.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(resp)
}

/// `GET /heavy/warnings/{id}/report.xlsx`.
pub async fn report_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = report_of(&s, &auth, id, "/report.xlsx").await?;
    let bytes = warnings::report_xlsx(&r).map_err(AppError::from)?;
    Ok(crate::web::download::attachment(
        bytes,
        crate::web::download::XLSX_CONTENT_TYPE,
        &format!("重污染天气应急过程总结-{id}.xlsx"),
    ))
}

/// `GET /api/v1/heavy/warnings`: warnings, newest first (`page`).
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = match warnings::list(&s.store, auth.user.as_ref(), limit, offset).await {
        Ok(p) => p,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                "page:/api/v1/heavy/warnings".into(),
                e,
                None,
            )
            .await);
        }
    };
    let items: Vec<Value> = paged.items.iter().map(warning_json).collect();
    Ok(Json(
        json!({ "warnings": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/heavy/warnings/{id}`: the warning with its steps, notices and live compliance.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let r = report_of(&s, &auth, id, "").await?;
    Ok(Json(report_json(&r)))
}

/// `GET /api/v1/heavy/warnings/{id}/report`: the episode report's figures.
pub async fn api_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let r = report_of(&s, &auth, id, "/report").await?;
    Ok(Json(report_json(&r)))
}

fn body_of(
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<WarningForm, AppError> {
    Ok(body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0)
}

/// `POST /api/v1/heavy/warnings` (staff): `{"level", "effective_at", "areas": [..],
/// "forecast", "justification", "document_no"}`.
pub async fn api_issue(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = warnings::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "heavy_warning.issue",
            "heavy_warning:new".into(),
            e.into(),
            None,
        )
        .await);
    }
    let f = body_of(body)?;
    let w = issue(&s, &auth, &f, csrf).await?;
    let notices: Vec<Value> = s
        .store
        .warning_notices(w.id, None)
        .await?
        .iter()
        .map(notice_json)
        .collect();
    Ok((
        StatusCode::CREATED,
        Json(json!({ "warning": warning_json(&w), "notices": notices })),
    ))
}

async fn api_step(
    s: AppState,
    auth: Auth,
    id: i64,
    kind: WarningStep,
    headers: HeaderMap,
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = warnings::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            &format!("heavy_warning.{}", kind.code()),
            format!("heavy_warning:{id}"),
            e.into(),
            None,
        )
        .await);
    }
    let f = body_of(body)?;
    let w = step(&s, &auth, id, kind, &f, csrf).await?;
    Ok(Json(json!({ "warning": warning_json(&w) })))
}

/// `POST /api/v1/heavy/warnings/{id}/raise` (staff): `{"level", "effective_at", "forecast",
/// "justification"}`.
pub async fn api_raise(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, WarningStep::Raise, headers, body).await
}

/// `POST /api/v1/heavy/warnings/{id}/lower` (staff).
pub async fn api_lower(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, WarningStep::Lower, headers, body).await
}

/// `POST /api/v1/heavy/warnings/{id}/lift` (staff): `{"effective_at", "forecast",
/// "justification"}`.
pub async fn api_lift(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<WarningForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, WarningStep::Lift, headers, body).await
}

/// `POST /api/v1/heavy/warnings/notices/{id}/confirm` (the addressed enterprise): `{"note"}`.
pub async fn api_confirm(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<ConfirmForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    // The body is optional (only a note): none, or not JSON, confirms without one.
    let f = match body {
        Ok(b) => b.0,
        Err(axum::extract::rejection::JsonRejection::MissingJsonContentType(_)) => {
            ConfirmForm::default()
        }
        Err(r) => return Err(AppError::rejected_body(&r.body_text())),
    };
    let n = confirm(&s, &auth, id, &f, csrf).await?;
    Ok(Json(json!({ "notice": notice_json(&n) })))
}
