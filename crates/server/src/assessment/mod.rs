//! The annual assessment on the web: inputs staff and departments enter (assigned targets,
//! judgements, task reports), and the report (规划实施情况评估报告) in HTML, PDF and XLSX.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use qingshan_store::Evidence;
use serde::Deserialize;
use serde_json::{Value, json};

use qingshan_app::evidence::Files;
use qingshan_app::imports::{self, ImportFile};
use qingshan_app::report::{check_year, report_data};

use crate::AppState;
use crate::web::audit::{refuse, staff_write};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::download::{XLSX_CONTENT_TYPE, csv_attachment, xlsx_attachment};
use crate::web::error::AppError;
use crate::web::import_report;
use crate::web::page::PageError;

use evidence::evidence_json;

pub mod evidence;
mod inputs;
mod task_form;

/// The assessment's routes: values entry and import, inputs staff enter, task reports with
/// their evidence, the monitoring computation and the report. Routes that take evidence files
/// accept bodies up to `evidence_max_bytes` per file.
pub fn routes(evidence_max_bytes: usize) -> Router<AppState> {
    // Routes that take evidence files need more than axum's default 2 MB body.
    let uploads = DefaultBodyLimit::max(qingshan_app::evidence::body_limit(evidence_max_bytes));
    Router::new()
        .route(
            "/api/v1/indicators/{number}/assigned-targets",
            post(record_assigned),
        )
        .route(
            "/api/v1/indicators/{number}/judgements",
            post(record_judgement),
        )
        .route(
            "/api/v1/tasks/{area}/{number}/reports",
            get(task_reports).post(record_task_report).layer(uploads),
        )
        .route(
            "/api/v1/tasks/reports/{id}/evidence",
            get(evidence::api_list)
                .post(evidence::api_attach)
                .layer(uploads),
        )
        .route("/api/v1/values/import", post(import_values))
        .route("/api/v1/indicators/monitoring", post(compute_monitoring))
        .route("/api/v1/values/template.csv", get(values_template))
        .route("/api/v1/values/template.xlsx", get(values_template_xlsx))
        .route(
            "/tasks/{area}/{number}/reports",
            post(task_form::task_report_form).layer(uploads),
        )
        .route(
            "/tasks/reports/{id}/evidence",
            post(evidence::attach_form).layer(uploads),
        )
        .route("/tasks/evidence/{id}", get(evidence::download))
        .route("/values/import", post(import_values_form))
        .route("/indicators/{number}/assessment", get(inputs::inputs_page))
        .route(
            "/indicators/{number}/assigned-targets",
            post(inputs::assigned_form),
        )
        .route(
            "/indicators/{number}/judgements",
            post(inputs::judgement_form),
        )
        .route("/reports/{file}", get(report))
}

/// `GET /reports/{file}`: `2024` (HTML page), `2024.pdf` or `2024.xlsx`.
pub async fn report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(file): Path<String>,
) -> Result<Response, PageError> {
    let (year, ext) = file
        .split_once('.')
        .map_or((file.as_str(), "html"), |(y, e)| (y, e));
    let year: i32 = year
        .parse()
        .map_err(|_| AppError::NotFound(format!("没有报告 {file}")))?;
    check_year(&s.plan, year)?;
    let issue = qingshan_app::report::issued_today(&s.plan);
    let data = report_data(&s.store, &s.plan, year, &issue).await?;
    let name = format!("assessment-{year}");
    match ext {
        "html" => {
            let html = crate::web::page::framed_document(
                &qingshan_report::render_html(&data),
                "report.html",
                &auth,
                &s,
                minijinja::context! { year },
            )?;
            Ok((
                [(
                    axum::http::header::CONTENT_SECURITY_POLICY,
                    crate::web::security::REPORT_DOCUMENT_POLICY,
                )],
                Html(html),
            )
                .into_response())
        }
        "xlsx" => {
            let bytes = qingshan_report::render_xlsx(&data)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok(crate::web::download::attachment(
                bytes,
                XLSX_CONTENT_TYPE,
                &format!("{name}.xlsx"),
            ))
        }
        "pdf" => {
            let Some((_, font)) = qingshan_report::find_cjk_font() else {
                return Err(AppError::Internal(
                    "未找到中文字体（安装 fonts-wqy-microhei 或设置 QINGSHAN_FONT）".into(),
                )
                .into());
            };
            let bytes = qingshan_report::render_pdf(&data, &font)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            Ok((
                [
                    (header::CONTENT_TYPE, "application/pdf".to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("inline; filename=\"{name}.pdf\""),
                    ),
                ],
                bytes,
            )
                .into_response())
        }
        _ => Err(AppError::NotFound(format!("没有报告格式 {ext}")).into()),
    }
}

/// Body of an assigned target.
#[derive(Debug, Deserialize)]
pub struct AssignedInput {
    /// Year.
    pub year: i64,
    /// Division (default: the plan's own).
    pub division: Option<String>,
    /// Exact decimal text.
    pub value: String,
    /// The province's document.
    pub note: Option<String>,
}

/// `POST /api/v1/indicators/{number}/assigned-targets` (staff): the province's value for a year.
pub async fn record_assigned(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<AssignedInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let action = "assigned_target.record";
    let target = format!("indicator:{number}");
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    staff_write(&s, &auth, action, &target, csrf).await?;
    let input = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let attempted = Some(input.value.clone());
    let row = qingshan_app::assessment::record_assigned_target(
        &s.store,
        &s.plan,
        &auth.actor(),
        qingshan_app::assessment::InputAt {
            number,
            year: input.year,
            division: input.division,
        },
        &input.value,
        input.note.as_deref(),
    )
    .await;
    let row = match row {
        Ok(r) => r,
        Err(e @ (qingshan_app::Error::NotFound(_) | qingshan_app::Error::Store(_))) => {
            return Err(e.into());
        }
        Err(e) => return Err(refuse(&s, &auth, action, target, e.into(), attempted).await),
    };
    Ok((StatusCode::CREATED, Json(json!({ "assigned_target": row }))))
}

/// Body of a judgement.
#[derive(Debug, Deserialize)]
pub struct JudgementInput {
    /// Year.
    pub year: i64,
    /// Division (default: the plan's own).
    pub division: Option<String>,
    /// Whether the target is judged met.
    pub met: bool,
    /// Why (required).
    pub justification: String,
    /// What the judgement rests on (optional).
    pub evidence: Option<String>,
}

/// `POST /api/v1/indicators/{number}/judgements` (staff): a qualitative target judged.
pub async fn record_judgement(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    headers: HeaderMap,
    body: Result<Json<JudgementInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let action = "judgement.record";
    let target = format!("indicator:{number}");
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    staff_write(&s, &auth, action, &target, csrf).await?;
    let input = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let row = qingshan_app::assessment::record_judgement(
        &s.store,
        &s.plan,
        &auth.actor(),
        qingshan_app::assessment::InputAt {
            number,
            year: input.year,
            division: input.division,
        },
        input.met,
        &input.justification,
        input.evidence.as_deref(),
    )
    .await;
    let row = match row {
        Ok(r) => r,
        Err(e @ (qingshan_app::Error::NotFound(_) | qingshan_app::Error::Store(_))) => {
            return Err(e.into());
        }
        Err(e) => return Err(refuse(&s, &auth, action, target, e.into(), None).await),
    };
    Ok((StatusCode::CREATED, Json(json!({ "judgement": row }))))
}

/// Body of a task report.
#[derive(Debug, Deserialize)]
pub struct TaskReportBody {
    /// "2024" or "2024Q3".
    pub period: String,
    /// not_started, in_progress, completed or lagging.
    pub status: String,
    /// What was done.
    pub narrative: String,
}

impl TaskReportBody {
    /// The report's fields out of an upload form; missing ones are empty and refused as such.
    pub(crate) fn from_fields(fields: &std::collections::HashMap<String, String>) -> Self {
        let field = |k: &str| fields.get(k).cloned().unwrap_or_default();
        TaskReportBody {
            period: field("period"),
            status: field("status"),
            narrative: field("narrative"),
        }
    }
}

/// `GET /api/v1/tasks/{area}/{number}/reports`: the latest report of each period, with the ids
/// evidence is attached to.
pub async fn task_reports(
    State(s): State<AppState>,
    Path((area, number)): Path<(u32, u32)>,
) -> Result<Json<Value>, AppError> {
    if s.plan.task(area, number).is_none() {
        return Err(AppError::NotFound(format!("没有任务 {area}-{number}")));
    }
    let reports = s
        .store
        .task_reports(&s.plan.meta.id, area.into(), number.into())
        .await?;
    Ok(Json(json!({ "reports": reports })))
}

/// `POST /api/v1/tasks/{area}/{number}/reports`: a responsible unit reports a task's progress,
/// as JSON, or as multipart/form-data with evidence files (parts named `file` or `files`).
pub async fn record_task_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((area, number)): Path<(u32, u32)>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let (input, files) = if evidence::is_multipart(req.headers()) {
        let up = read_report_upload(&s, &auth, area, number, req).await?;
        (TaskReportBody::from_fields(&up.fields), up.files)
    } else {
        match Json::<TaskReportBody>::from_request(req, &s).await {
            Ok(Json(b)) => (b, Files::default()),
            Err(r) => {
                return Err(refuse(
                    &s,
                    &auth,
                    "task_report.record",
                    format!("task:{area}-{number}"),
                    AppError::rejected_body(&r.body_text()),
                    None,
                )
                .await);
            }
        }
    };
    let (r, files) =
        record_task_report_with_files(&s, &auth, area, number, input, csrf.as_deref(), files)
            .await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "report": r, "evidence": files.iter().map(evidence_json).collect::<Vec<_>>() }),
        ),
    ))
}

/// Reads a report form with files, once the requester is known to be allowed on the task:
/// nobody else gets to send files at all. Refusals are audited.
pub(crate) async fn read_report_upload(
    s: &AppState,
    auth: &Auth,
    area: u32,
    number: u32,
    req: Request,
) -> Result<evidence::Upload, AppError> {
    let target = format!("task:{area}-{number}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, "task_report.record", target, e, None).await),
    };
    let Some(task) = s.plan.task(area, number) else {
        return Err(AppError::NotFound(format!("没有任务 {area}-{number}")));
    };
    if let Err(e) = qingshan_app::accounts::task_permission(&user, task) {
        return Err(refuse(s, auth, "task_report.record", target, e.into(), None).await);
    }
    match evidence::read_request(s, req).await {
        Ok(up) => Ok(up),
        Err(e) => Err(refuse(s, auth, "task_evidence.upload", target, e, None).await),
    }
}

/// Every check of a task report (role, unit, CSRF, period, status, narrative) and of its
/// evidence files (size, content), then the write; shared by the API and the form. The report
/// and its files are stored together or not at all.
pub(crate) async fn record_task_report_with_files(
    s: &AppState,
    auth: &Auth,
    area: u32,
    number: u32,
    input: TaskReportBody,
    csrf: Option<&str>,
    files: Files,
) -> Result<(qingshan_store::TaskReport, Vec<Evidence>), AppError> {
    let action = "task_report.record";
    let target = format!("task:{area}-{number}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    let period = input.period.clone();
    let checked = qingshan_app::tasks::check_task_report(
        &s.plan,
        &user,
        area,
        number,
        qingshan_app::tasks::ReportInput {
            period: input.period,
            status: input.status,
            narrative: input.narrative,
        },
    );
    let new = match checked {
        Ok(n) => n,
        Err(e @ qingshan_app::Error::NotFound(_)) => return Err(e.into()),
        Err(e) => return Err(refuse(s, auth, action, target, e.into(), None).await),
    };
    let accepted = match qingshan_app::evidence::check_files(files, s.config.evidence_max_bytes) {
        Ok(a) => a,
        Err(refused) => {
            let (e, file) = *refused;
            let target = format!("{target} period:{period}");
            return Err(evidence::refuse_files(s, auth, target, (e.into(), file)).await);
        }
    };
    Ok(qingshan_app::tasks::record_task_report(&s.store, &new, &accepted, &auth.actor()).await?)
}

/// `GET /api/v1/values/template.csv`: the values import file's header.
pub async fn values_template() -> Response {
    csv_attachment(
        imports::template_csv(&imports::VALUES_TEMPLATE),
        "values-template.csv",
    )
}

/// `GET /api/v1/values/template.xlsx`: the values workbook to fill in, with a 说明 sheet.
pub async fn values_template_xlsx() -> Result<Response, AppError> {
    xlsx_attachment(
        imports::template_xlsx(&imports::VALUES_TEMPLATE, &imports::values_notes()),
        "values-template.xlsx",
    )
}

/// `POST /api/v1/values/import`: a values file as the body, CSV or XLSX (told apart by
/// content). All or nothing: a bad row (422) or a row the user may not write (403) is named,
/// audited, and nothing is stored.
pub async fn import_values(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let c = import_values_file(&s, &auth, csrf, body.to_vec()).await?;
    let mut answer = import_report::json(&c);
    answer["imported"] = json!(c.new + c.changed);
    Ok((StatusCode::CREATED, Json(answer)))
}

/// `POST /values/import` (form upload of a values file, CSV or XLSX): the same all-or-nothing
/// import as the API, back to the dashboard with the count.
pub async fn import_values_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mut multipart: axum::extract::Multipart,
) -> Result<Response, PageError> {
    let mut csrf = None;
    let mut file = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.ok(),
            Some("file") => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    let c = match import_values_file(&s, &auth, csrf.as_deref(), file).await {
        Ok(c) => c,
        Err(e) => return import_report::failed(&s, &auth, e, "指标数值导入", "/plan"),
    };
    let to = format!(
        "/plan?imported={}&{}",
        c.new + c.changed,
        import_report::query(&c)
    );
    Ok(axum::response::Redirect::to(&to).into_response())
}

async fn import_values_file(
    s: &AppState,
    auth: &Auth,
    csrf: Option<&str>,
    body: Vec<u8>,
) -> Result<qingshan_store::ImportCounts, AppError> {
    let action = "indicator_value.import";
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, "values".into(), e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, "values".into(), e, None).await);
    }
    let file = match ImportFile::from_bytes(body) {
        Ok(f) => f,
        Err(e) => {
            let err = AppError::invalid("file", e.to_string());
            return Err(refuse(s, auth, action, "values".into(), err, None).await);
        }
    };
    let rows = match imports::read_values(file, &s.plan) {
        Ok(r) => r,
        Err(e) => {
            return Err(refuse(s, auth, action, "values".into(), AppError::Rows(e), None).await);
        }
    };
    for r in &rows {
        let Some(ind) = s.plan.indicator(r.indicator) else {
            continue;
        };
        if let Err(why) = qingshan_app::accounts::value_permission(&user, ind, &r.division) {
            let err = AppError::Forbidden(format!("第 {} 行：{why}", r.row));
            return Err(refuse(
                s,
                auth,
                action,
                format!("indicator:{} row:{}", r.indicator, r.row),
                err,
                Some(r.value.to_string()),
            )
            .await);
        }
    }
    Ok(qingshan_app::values::record_imported(&s.store, &s.plan, &rows, &auth.actor()).await?)
}

/// Query of the monitoring computation.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// The year.
    pub year: i32,
}

/// `POST /api/v1/indicators/monitoring?year=YYYY` (staff): offers the monitoring-based values.
pub async fn compute_monitoring(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    crate::web::query::Query(q): crate::web::query::Query<YearQuery>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    staff_write(
        &s,
        &auth,
        "indicator_value.monitoring",
        "indicators:11-14,23,24",
        csrf,
    )
    .await?;
    let recorded = qingshan_app::monitoring::record_monitoring_indicators(
        &s.store,
        &s.plan,
        q.year,
        &auth.actor(),
    )
    .await?;
    Ok(Json(json!({ "recorded": recorded })))
}
