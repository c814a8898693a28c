//! What an import tells the user: how many rows were new, changed, or identical to what was
//! stored (and so not written), which pages get through the redirect's query; or, for a refused
//! file, every bad row with its row number and column, on a page of its own.

use axum::http::StatusCode;
use axum::response::IntoResponse;
use minijinja::context;
use qingshan_app::imports::RowErrors;
use qingshan_store::ImportCounts;
use serde::{Deserialize, Serialize};

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageError, PageResult, page};

/// The counts carried in the query of the page an import form redirects to.
#[derive(Debug, Default, Clone, Copy, Deserialize, Serialize)]
pub struct ImportReport {
    /// Rows with nothing stored before.
    pub new: Option<usize>,
    /// Rows that replaced a different stored value.
    pub changed: Option<usize>,
    /// Rows identical to the stored value: not written.
    pub unchanged: Option<usize>,
}

impl ImportReport {
    /// The report to show, if the query carries one.
    pub fn shown(self) -> Option<ImportReport> {
        self.new.is_some().then_some(self)
    }
}

/// The query that carries `counts` to the page after an import.
pub fn query(counts: &ImportCounts) -> String {
    format!(
        "new={}&changed={}&unchanged={}",
        counts.new, counts.changed, counts.unchanged
    )
}

/// The counts as JSON fields of an import's API answer.
pub fn json(counts: &ImportCounts) -> serde_json::Value {
    serde_json::json!({ "new": counts.new, "changed": counts.changed, "unchanged": counts.unchanged })
}

/// The answer of a form upload that failed: a file with bad rows gets a page listing each (422,
/// with a link `back` to the page of the form); any other error its usual page.
pub fn failed(s: &AppState, auth: &Auth, e: AppError, title: &str, back: &str) -> PageResult {
    match e {
        AppError::Rows(rows) => {
            let mut r = page(
                "import_failed.html",
                auth,
                s,
                context! { title, back, import_errors => errors_context(&rows) },
            )?;
            *r.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
            Ok(r.into_response())
        }
        other => Err(PageError(other)),
    }
}

/// What `import_report.html` shows of a refused file.
fn errors_context(rows: &RowErrors) -> minijinja::Value {
    context! { total => rows.total(), errors => rows.errors, more => rows.more }
}
