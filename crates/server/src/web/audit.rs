//! Refused writes are audited: who tried what, on what, and why it was refused.

use qingshan_store::AuditEntry;

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;

/// Audits a refused write and hands the error back.
pub async fn refuse(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: String,
    err: AppError,
    attempted: Option<String>,
) -> AppError {
    let mut e = AuditEntry::refused(
        &auth.actor(),
        action,
        target,
        format!("{}: {err}", err.kind()),
    );
    e.new_value = attempted;
    if let Err(store_err) = s.store.audit(&e).await {
        tracing::error!(%store_err, "could not audit a refused write");
    }
    err
}
