//! The qingshan web server: the plan dashboard and its pages (zh-CN, rendered on the server,
//! every asset embedded), the JSON API under `/api/v1`, sessions, API tokens and roles.

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod accounts;
pub mod air;
pub mod api;
pub mod assessment_web;
pub mod auth;
pub mod csv_safe;
mod error;
pub mod evidence;
pub mod gateway;
pub mod import_report;
pub mod imports;
pub mod login_throttle;
mod openapi;
pub mod pages;
pub mod paging;
pub mod secrets;
pub mod security;
pub mod simulator;
pub mod sources_web;
pub mod supervisor;
mod table;
mod templates;
pub mod views;
pub mod water;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use qingshan_plan::Plan;
use qingshan_store::{Actor, AuditEntry, Store};
use tokio::net::TcpListener;

pub use error::AppError;

/// Shared state of every request.
#[derive(Clone)]
pub struct AppState {
    /// The store.
    pub store: Store,
    /// The plan this server carries.
    pub plan: Arc<Plan>,
    /// Settings.
    pub config: Arc<ServerConfig>,
}

/// Settings of the web server.
#[derive(Debug, Clone)]
pub struct ServerConfig {
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Failed logins per (user name, address) pair allowed in the window before that pair is
    /// refused; other addresses can still sign in as that user.
    pub login_max_failures: i64,
    /// Failed logins from one address, whatever the user names, allowed in the window.
    pub login_max_failures_per_address: i64,
    /// The login throttling window, in minutes.
    pub login_window_minutes: i64,
    /// Largest evidence file (佐证材料) accepted, in bytes.
    pub evidence_max_bytes: usize,
    /// Time a client has to send a request's headers, and a keep-alive connection to start
    /// its next request.
    pub http_header_read_timeout: std::time::Duration,
    /// Time one request may take, body included (answered 408 after it).
    pub http_request_timeout: std::time::Duration,
    /// Largest request head (request line and headers) read, in bytes.
    pub http_max_header_bytes: usize,
    /// Reverse proxies whose `X-Forwarded-For` names the client (sign-in throttling and the
    /// audit log need the real address); empty: the connection's address is the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            secure_cookies: false,
            login_max_failures: 5,
            login_max_failures_per_address: login_throttle::DEFAULT_MAX_FAILURES_PER_ADDRESS,
            login_window_minutes: 15,
            evidence_max_bytes: evidence::DEFAULT_MAX_BYTES,
            http_header_read_timeout: security::DEFAULT_HEADER_READ_TIMEOUT,
            http_request_timeout: security::DEFAULT_REQUEST_TIMEOUT,
            http_max_header_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
        }
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] qingshan_store::StoreError),
    /// The address could not be bound.
    #[error("无法监听 {addr}: {source}")]
    Bind {
        /// The address.
        addr: String,
        /// Why.
        source: std::io::Error,
    },
    /// Serving failed.
    #[error("服务运行错误: {0}")]
    Serve(std::io::Error),
}

/// Builds the router with all pages and the API.
pub fn router(state: AppState) -> Router {
    // Routes that take evidence files need more than axum's default 2 MB body.
    let uploads = DefaultBodyLimit::max(evidence::body_limit(state.config.evidence_max_bytes));
    let api = Router::new()
        .route("/plan", get(api::plan))
        .route("/indicators", get(api::indicators))
        .route("/indicators/{number}", get(api::indicator))
        .route(
            "/indicators/{number}/values",
            get(api::indicator_values).post(api::record_value),
        )
        .route("/tasks", get(api::tasks))
        .route("/units", get(api::units))
        .route("/divisions", get(api::divisions))
        .route("/me", get(api::me))
        .route("/tokens", post(api::issue_token))
        .route("/audit", get(api::audit))
        .route("/air/stations", get(air::api_stations))
        .route("/air/stations/{code}/daily", get(air::api_station_daily))
        .route(
            "/air/stations/{code}/daily.csv",
            get(air::api_station_daily_csv),
        )
        .route("/air/assessment", get(air::api_assessment))
        .route("/air/warning", get(air::api_warning))
        .route(
            "/air/counties/{code}/daily.csv",
            get(air::api_county_daily_csv),
        )
        .route(
            "/air/counties/{code}/daily.xlsx",
            get(air::api_county_daily_xlsx),
        )
        .route(
            "/air/stations/{code}/daily.xlsx",
            get(air::api_station_daily_xlsx),
        )
        .route("/water/assessment.xlsx", get(water::api_assessment_xlsx))
        .route("/water/sections", get(water::api_sections))
        .route("/water/assessment", get(water::api_assessment))
        .route("/water/assessment.csv", get(water::api_assessment_csv))
        .route("/openapi.json", get(openapi::document))
        .route("/sources/devices", get(sources_web::api_devices))
        .route(
            "/sources/devices/{mn}/statistics",
            get(sources_web::api_statistics),
        )
        .route(
            "/sources/devices/{mn}/data",
            get(sources_web::api_device_data),
        )
        .route("/sources/import", post(sources_web::api_import))
        .route("/alarms", get(sources_web::api_alarms))
        .route("/alarms.csv", get(sources_web::api_alarms_csv))
        .route("/alarms.xlsx", get(sources_web::api_alarms_xlsx))
        .route(
            "/alarms/{id}/acknowledge",
            post(sources_web::api_acknowledge),
        )
        .route("/alarms/{id}/close", post(sources_web::api_close))
        .route(
            "/indicators/{number}/assigned-targets",
            post(assessment_web::record_assigned),
        )
        .route(
            "/indicators/{number}/judgements",
            post(assessment_web::record_judgement),
        )
        .route(
            "/tasks/{area}/{number}/reports",
            get(assessment_web::task_reports)
                .post(assessment_web::record_task_report)
                .layer(uploads),
        )
        .route(
            "/tasks/reports/{id}/evidence",
            get(evidence::api_list)
                .post(evidence::api_attach)
                .layer(uploads),
        )
        .route("/values/import", post(assessment_web::import_values))
        .route(
            "/indicators/monitoring",
            post(assessment_web::compute_monitoring),
        )
        .route("/values/template.csv", get(assessment_web::values_template))
        .route(
            "/values/template.xlsx",
            get(assessment_web::values_template_xlsx),
        );
    Router::new()
        .route("/", get(pages::dashboard))
        .route("/indicators/{number}", get(pages::indicator))
        .route("/indicators/{number}/values", post(pages::record_value))
        .route("/tasks", get(pages::tasks))
        .route(
            "/tasks/{area}/{number}/reports",
            post(pages::task_report_form).layer(uploads),
        )
        .route(
            "/tasks/reports/{id}/evidence",
            post(evidence::attach_form).layer(uploads),
        )
        .route("/tasks/evidence/{id}", get(evidence::download))
        .route("/air", get(air::overview))
        .route("/air/stations/{code}", get(air::station_page))
        .route("/air/counties/{code}", get(air::county_page))
        .route("/air/warning", get(air::warning_page))
        .route("/water", get(water::overview))
        .route("/water/sections/{code}", get(water::section_page))
        .route("/water/template.csv", get(water::samples_template))
        .route("/water/template.xlsx", get(water::samples_template_xlsx))
        .route("/login", get(pages::login_form).post(pages::login))
        .route("/logout", post(pages::logout))
        .route("/values/import", post(assessment_web::import_values_form))
        .route("/admin/audit", get(pages::audit))
        .route(
            "/admin/users",
            get(accounts::users_page).post(accounts::create_user),
        )
        .route("/admin/users/{id}/{action}", post(accounts::account_action))
        .route(
            "/account/password",
            get(accounts::password_form).post(accounts::password_submit),
        )
        .route("/reports/{file}", get(assessment_web::report))
        .route("/sources", get(sources_web::sources_page))
        .route("/sources/template.csv", get(sources_web::template))
        .route("/sources/template.xlsx", get(sources_web::template_xlsx))
        .route("/sources/import", post(sources_web::import_form))
        .route(
            "/sources/edit",
            get(sources_web::edit_form).post(sources_web::edit_submit),
        )
        .route("/sources/registry.csv", get(sources_web::registry_export))
        .route(
            "/sources/registry.xlsx",
            get(sources_web::registry_export_xlsx),
        )
        .route("/sources/devices/{mn}", get(sources_web::device_page))
        .route("/alarms", get(sources_web::alarms_page))
        .route("/alarms/{id}/{action}", post(sources_web::alarm_form))
        .route("/assets/app.css", get(pages::stylesheet))
        .route("/healthz", get(pages::healthz))
        .nest("/api/v1", api)
        .fallback(pages::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            auth::resolve,
        ))
        .layer(axum::middleware::from_fn(security::headers))
        .layer(security::timeout(&state.config))
        .with_state(state)
}

/// Opens the store, migrates it and writes the plan into it: everything serving needs.
pub async fn prepare(
    db_url: &str,
    plan: Plan,
    plan_source: &str,
) -> Result<(Store, Arc<Plan>), StartError> {
    let store = Store::connect(db_url).await?;
    let applied = store.migrate().await?;
    store.sync_plan(&plan, plan_source).await?;
    let mut entry = AuditEntry::ok(
        &Actor::system(),
        "plan.load",
        format!("plan:{}", plan.meta.id),
    );
    entry.detail = Some(format!(
        "{} 项指标，{} 项任务，迁移 {applied} 个",
        plan.indicators.len(),
        plan.tasks().count()
    ));
    store.audit(&entry).await?;
    Ok((store, Arc::new(plan)))
}

/// Binds `addr` and serves until `shutdown` resolves; calls `on_bound` with the real address
/// (port 0 picks a free one) before accepting.
pub async fn serve(
    state: AppState,
    addr: &str,
    on_bound: impl FnOnce(SocketAddr),
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let listener = TcpListener::bind(addr)
        .await
        .map_err(|source| StartError::Bind {
            addr: addr.to_string(),
            source,
        })?;
    let local = listener.local_addr().map_err(StartError::Serve)?;
    on_bound(local);
    let config = state.config.clone();
    security::serve_http(listener, router(state), &config, shutdown).await
}
