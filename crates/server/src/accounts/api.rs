//! The accounts' JSON API: the requester, API tokens and the audit log.

use crate::web::query::Query;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::{Extension, Json};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER, new_token, token_hash};
use crate::web::error::AppError;

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /me`: the requester.
pub async fn me(Extension(auth): Extension<Auth>) -> ApiResult {
    let u = auth.require_user()?;
    Ok(Json(json!({ "user": u, "csrf_token": auth.csrf })))
}

/// Body of a token request.
#[derive(Debug, Deserialize)]
pub struct TokenInput {
    /// The user the token acts as.
    pub user_id: i64,
    /// What it is for.
    pub label: String,
}

/// `POST /tokens`: an administrator issues an API token to a user. The token is shown once.
pub async fn issue_token(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<TokenInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(axum::http::StatusCode, Json<Value>), AppError> {
    let action = "token.issue";
    let check = auth
        .require_admin()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok())));
    if let Err(e) = check {
        return Err(refuse(&s, &auth, action, "token".into(), e, None).await);
    }
    let input = body
        .map_err(|rej| AppError::rejected_body(&rej.body_text()))?
        .0;
    if input.label.trim().is_empty() {
        return Err(AppError::invalid("label", "请说明令牌用途"));
    }
    let token = new_token();
    let id = s
        .store
        .create_api_token(
            &token_hash(&token),
            input.user_id,
            input.label.trim(),
            &auth.actor(),
        )
        .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(json!({ "id": id, "token": token, "user_id": input.user_id })),
    ))
}

/// Query of the audit log.
#[derive(Deserialize)]
pub struct AuditQuery {
    /// Only actions starting with this.
    pub action: Option<String>,
    /// How many a page, newest first (default 100, at most 1000).
    pub limit: Option<i64>,
    /// 1-based page of `limit` entries (default 1).
    pub page: Option<String>,
}

/// `GET /audit`: the audit log, for staff, a page at a time (`page`, `limit` a page) with
/// `total` entries matching `action`.
pub async fn audit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AuditQuery>,
) -> ApiResult {
    auth.require_staff()?;
    let per_page = q.limit.unwrap_or(100).clamp(1, 1000);
    let n = crate::web::paging::requested(&crate::web::paging::PageQuery {
        page: q.page.clone(),
    });
    let (limit, offset) = crate::web::paging::window(n, per_page);
    let paged = s
        .store
        .audit_paged(q.action.as_deref(), limit, offset)
        .await?;
    Ok(Json(json!({
        "entries": qingshan_app::secrets::mask_audit(paged.items),
        "total": paged.total, "page": n, "per_page": per_page,
    })))
}
