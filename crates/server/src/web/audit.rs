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

/// An app error on a write or a view: the refusals of the app (role, scope, input, state, an
/// unknown record) are audited under `action` and `target` like [`refuse`]; other errors (the
/// store failing) pass through unaudited, to be logged where they are answered.
pub async fn refuse_app(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: String,
    e: qingshan_app::Error,
    attempted: Option<String>,
) -> AppError {
    match e {
        e @ (qingshan_app::Error::Forbidden(_)
        | qingshan_app::Error::Unauthenticated
        | qingshan_app::Error::Invalid { .. }
        | qingshan_app::Error::NotFound(_)
        | qingshan_app::Error::Conflict(_)) => {
            refuse(s, auth, action, target, e.into(), attempted).await
        }
        e => e.into(),
    }
}

/// A staff write: the caller must be staff (or an administrator) and present the session's CSRF
/// token; a refusal is audited under `action` and `target` before it is returned.
pub async fn staff_write(
    s: &AppState,
    auth: &Auth,
    action: &str,
    target: &str,
    csrf: Option<&str>,
) -> Result<(), AppError> {
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(csrf));
    match check {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(s, auth, action, target.to_string(), e, None).await),
    }
}
