//! The task report form of the tasks page.

use axum::Extension;
use axum::Form;
use axum::extract::{FromRequest, Path, Request, State};
use axum::response::{IntoResponse, Redirect};
use serde::Deserialize;

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::PageResult;

use super::evidence;
use super::{TaskReportBody, read_report_upload, record_task_report_with_files};

/// The task report form.
#[derive(Deserialize)]
pub struct TaskReportForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Period.
    pub period: String,
    /// Status code.
    pub status: String,
    /// Narrative.
    pub narrative: String,
}

/// `POST /tasks/{area}/{number}/reports` (form): the same checks as the API. A multipart form
/// may carry evidence files with the report (parts named `files`).
pub async fn task_report_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((area, number)): Path<(u32, u32)>,
    req: Request,
) -> PageResult {
    let (csrf, body, files) = if evidence::is_multipart(req.headers()) {
        let up = read_report_upload(&s, &auth, area, number, req).await?;
        let body = TaskReportBody::from_fields(&up.fields);
        (up.fields.get("csrf_token").cloned(), body, up.files)
    } else {
        let Form(f) = Form::<TaskReportForm>::from_request(req, &s)
            .await
            .map_err(|r| AppError::rejected_body(&r.body_text()))?;
        let body = TaskReportBody {
            period: f.period,
            status: f.status,
            narrative: f.narrative,
        };
        (f.csrf_token, body, qingshan_app::evidence::Files::default())
    };
    record_task_report_with_files(&s, &auth, area, number, body, csrf.as_deref(), files).await?;
    Ok(Redirect::to(&format!("/tasks#task-{area}-{number}")).into_response())
}
