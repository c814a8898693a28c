//! The plan: the dashboard, each indicator with its values and entry form, the tasks page, and
//! the plan's JSON API (indicators, values, tasks, units, divisions).

use axum::Router;
use axum::routing::get;

use crate::AppState;

pub mod api;
pub mod pages;
pub mod views;

/// The plan's pages and API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/plan", get(pages::dashboard))
        .route("/indicators/{number}", get(pages::indicator))
        .route(
            "/indicators/{number}/values",
            axum::routing::post(pages::record_value),
        )
        .route("/tasks", get(pages::tasks))
        .route("/api/v1/plan", get(api::plan))
        .route("/api/v1/indicators", get(api::indicators))
        .route("/api/v1/indicators/{number}", get(api::indicator))
        .route(
            "/api/v1/indicators/{number}/values",
            get(api::indicator_values).post(api::record_value),
        )
        .route("/api/v1/progress", get(api::progress))
        .route("/api/v1/tasks", get(api::tasks))
        .route("/api/v1/units", get(api::units))
        .route("/api/v1/divisions", get(api::divisions))
}
