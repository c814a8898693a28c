//! Evidence files (佐证材料) of task progress reports on the web: how an upload is read within
//! the size limit, and the pages and API that attach, list and download them. Which files are
//! accepted is decided in `qingshan_app::evidence`.
//!
//! Evidence is for signed-in users only, listing and download alike: it is the departments'
//! working material (scans of internal documents, site photos with people in them), while the
//! public keeps seeing each task's status and narrative as before.

use axum::extract::{FromRequest, Multipart, Path, Request, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Json};
use qingshan_app::evidence::{Files, check_files};
use qingshan_app::tasks::{attach_evidence, may_attach, report_of_plan};
use qingshan_store::{Evidence, TaskReportRef};
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::PageError;

const ACTION: &str = "task_evidence.upload";

pub use crate::web::upload::content_disposition;
pub(crate) use crate::web::upload::{EvidenceForm as Upload, read_evidence_form as read_upload};

/// Reads a multipart request body.
pub(crate) async fn read_request(s: &AppState, req: Request) -> Result<Upload, AppError> {
    let mp = Multipart::from_request(req, s).await.map_err(|r| {
        AppError::invalid(
            "body",
            format!("应为 multipart/form-data：{}", r.body_text()),
        )
    })?;
    read_upload(mp, s.config.evidence_max_bytes).await
}

/// Whether a request carries a multipart body.
pub(crate) fn is_multipart(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| {
            v.trim_start()
                .to_ascii_lowercase()
                .starts_with("multipart/form-data")
        })
}
/// Audits the refusal of an upload and hands the error back.
pub(crate) async fn refuse_files(
    s: &AppState,
    auth: &Auth,
    target: String,
    (err, file): (AppError, Option<String>),
) -> AppError {
    refuse(s, auth, ACTION, target, err, file).await
}

fn report_target(r: &TaskReportRef) -> String {
    format!(
        "task:{}-{} period:{}",
        r.report.area, r.report.number, r.report.period
    )
}

/// Who may attach to a report revision: a signed-in user allowed on its task. Checked before
/// the body is read, so that nobody else gets to send files at all; refusals are audited.
async fn attach_target(
    s: &AppState,
    auth: &Auth,
    report_id: i64,
) -> Result<TaskReportRef, AppError> {
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => {
            return Err(refuse(s, auth, ACTION, format!("task_report:{report_id}"), e, None).await);
        }
    };
    let report = report_of_plan(&s.store, &s.plan, report_id).await?;
    match may_attach(&s.plan, &user, &report) {
        Ok(()) => Ok(report),
        Err(e @ qingshan_app::Error::NotFound(_)) => Err(e.into()),
        Err(e) => Err(refuse(s, auth, ACTION, report_target(&report), e.into(), None).await),
    }
}

/// Checks the files and attaches them to the report revision; refusals are audited.
async fn attach_files(
    s: &AppState,
    auth: &Auth,
    report: &TaskReportRef,
    files: Files,
) -> Result<Vec<Evidence>, AppError> {
    if files.is_empty() {
        let e = AppError::invalid("files", "请选择要上传的佐证材料");
        return Err(refuse(s, auth, ACTION, report_target(report), e, None).await);
    }
    let accepted = match check_files(files, s.config.evidence_max_bytes) {
        Ok(a) => a,
        Err(refused) => {
            let (e, file) = *refused;
            return Err(refuse_files(s, auth, report_target(report), (e.into(), file)).await);
        }
    };
    Ok(attach_evidence(&s.store, report, &accepted, &auth.actor()).await?)
}

/// An evidence file's description as the API gives it, with where to download it.
pub fn evidence_json(e: &Evidence) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    v["download_url"] = Value::String(format!("/tasks/evidence/{}", e.id));
    v
}

/// `POST /tasks/reports/{id}/evidence` (form): attaches files to an existing report revision.
pub async fn attach_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(report_id): Path<i64>,
    req: Request,
) -> Result<Response, PageError> {
    let report = attach_target(&s, &auth, report_id).await?;
    let up = match read_request(&s, req).await {
        Ok(u) => u,
        Err(e) => {
            return Err(refuse(&s, &auth, ACTION, report_target(&report), e, None)
                .await
                .into());
        }
    };
    if let Err(e) = auth.check_csrf(up.fields.get("csrf_token").map(String::as_str)) {
        return Err(refuse(&s, &auth, ACTION, report_target(&report), e, None)
            .await
            .into());
    }
    attach_files(&s, &auth, &report, up.files).await?;
    Ok(Redirect::to(&format!(
        "/tasks#task-{}-{}",
        report.report.area, report.report.number
    ))
    .into_response())
}

/// `POST /api/v1/tasks/reports/{id}/evidence`: attaches files (multipart, parts named `file`
/// or `files`) to a report revision.
pub async fn api_attach(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(report_id): Path<i64>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let report = attach_target(&s, &auth, report_id).await?;
    let csrf = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    if let Err(e) = auth.check_csrf(csrf.as_deref()) {
        return Err(refuse(&s, &auth, ACTION, report_target(&report), e, None).await);
    }
    let up = match read_request(&s, req).await {
        Ok(u) => u,
        Err(e) => return Err(refuse(&s, &auth, ACTION, report_target(&report), e, None).await),
    };
    let stored = attach_files(&s, &auth, &report, up.files).await?;
    Ok((
        StatusCode::CREATED,
        Json(
            json!({ "report": report.report, "evidence": stored.iter().map(evidence_json).collect::<Vec<_>>() }),
        ),
    ))
}

/// `GET /api/v1/tasks/reports/{id}/evidence` (signed in): the files of a report revision.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(report_id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    auth.require_user()?;
    let report = report_of_plan(&s.store, &s.plan, report_id).await?;
    let files = s.store.task_evidence(report_id).await?;
    Ok(Json(json!({
        "report": report.report,
        "evidence": files.iter().map(evidence_json).collect::<Vec<_>>(),
    })))
}

/// `GET /tasks/evidence/{id}` (signed in): the file as uploaded, always as an attachment, with
/// the type recognised at upload and no sniffing by the browser.
pub async fn download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    auth.require_user()?;
    let file = match s.store.task_evidence_file(id).await? {
        Some(f) if f.meta.plan_id == s.plan.meta.id => f,
        _ => return Err(AppError::NotFound(format!("没有编号为 {id} 的佐证材料")).into()),
    };
    Ok(crate::web::download::stored_file(
        file.content,
        &file.meta.content_type,
        &file.meta.file_name,
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn download_names_follow_rfc_5987() {
        assert_eq!(
            content_disposition("2024年 验收报告.pdf"),
            "attachment; filename=\"2024_ ____.pdf\"; filename*=UTF-8''2024%E5%B9%B4%20%E9%AA%8C%E6%94%B6%E6%8A%A5%E5%91%8A.pdf"
        );
        assert_eq!(
            content_disposition("a;b%\".pdf"),
            "attachment; filename=\"a_b__.pdf\"; filename*=UTF-8''a%3Bb%25%22.pdf"
        );
    }
}
