//! 信息公开: the public's portal (`/public`), without sign-in, in the public layout
//! (`public_base.html`): today's air on the county map with each station's AQI and health
//! advice, the heavy-pollution warning in force, the surface-water sections, the plan's
//! progress in plain words, links to enterprises' public information, open data downloads and
//! the read API under `/api/v1/public`. The figures are `qingshan_app::portal`'s.

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;

use crate::AppState;
use crate::web::page::PageError;
use crate::web::public::{cacheable, render_public};

/// The portal's pages, downloads and API.
pub fn routes() -> Router<AppState> {
    Router::new().route("/public", get(home))
}

/// `GET /public`: the portal's home.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    let html = render_public("public_home.html", &s, context! { nav_current => "/public" })?;
    Ok(cacheable(&headers, "text/html; charset=utf-8", 60, html))
}
