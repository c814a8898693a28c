//! What belongs to no feature: the stylesheet, the health check and the answer to unknown paths.

use axum::Extension;
use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::Value;

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::PageError;

/// The kernel's own routes.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/assets/app.css", get(stylesheet))
        .route("/healthz", get(healthz))
        .route("/assets/public.css", get(crate::web::public::stylesheet))
}

/// The embedded stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/app.css"),
    )
}

/// `GET /healthz`: the process and its store answer.
pub async fn healthz(State(s): State<AppState>) -> Result<axum::Json<Value>, AppError> {
    s.store.ping().await?;
    Ok(axum::Json(
        serde_json::json!({ "status": "ok", "backend": s.store.backend(), "plan": s.plan.meta.id }),
    ))
}

/// Anything else.
pub async fn not_found(Extension(auth): Extension<Auth>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return AppError::NotFound(format!("没有此接口：{}", uri.path())).into_response();
    }
    let _ = &auth;
    PageError(AppError::NotFound(format!("页面不存在：{}", uri.path()))).into_response()
}
