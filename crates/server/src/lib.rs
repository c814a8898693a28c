//! The qingshan web server: the plan dashboard and its pages (zh-CN, rendered on the server,
//! every asset embedded), the JSON API under `/api/v1`, sessions, API tokens and roles.
//!
//! [`web`] is the kernel every page shares; each feature is a module with its own `routes()`
//! that uses the kernel and `qingshan_app`, never another feature; this file only assembles
//! them (docs/architecture.md).

// The OpenAPI document is one large `json!` literal.
#![recursion_limit = "512"]

pub mod accounts;
pub mod air;
pub mod assessment;
pub mod backfill;
pub mod cases;
pub mod cockpit;
pub mod commands;
pub mod complaints;
pub mod credit;
pub mod disclosure;
pub mod enterprise;
pub mod gateway;
pub mod heavy;
pub mod inspections;
pub mod ledger;
pub mod marks;
pub mod openapi;
pub mod orders;
pub mod params;
pub mod participation;
pub mod plan;
pub mod portal;
pub mod sources;
pub mod supervisor;
pub mod warnings;
pub mod water;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use qingshan_plan::Plan;
use qingshan_store::Store;
use tokio::net::TcpListener;

pub use web::error::AppError;

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
    /// A demonstration (`qingshan demo`): every page carries the 演示数据 banner.
    pub demo: bool,
    /// How backfilled (补传) data counts in the 传输率 shown (docs/backfill.md): 补全 by default.
    pub transmission_counting: qingshan_app::backfill::BackfillCounting,
    /// The clock watch's and parameter judgement's settings, as the gateway applies them (the
    /// pages read offsets against the same tolerance).
    pub watch: qingshan_app::params::WatchConfig,
    /// Days before its deadline an open inspection problem (督察整改) counts as at risk.
    pub inspection_warn_days: u32,
    /// The complaints desk: deadlines (options, docs/complaints.md) and the submissions allowed
    /// per address and window.
    pub complaints: qingshan_app::complaints::Settings,
    /// How long the public registry list (`/sources` and its API, as anonymous visitors see it)
    /// is served again before it is read anew (5 s; zero: every request reads it).
    pub public_list_fresh_for: std::time::Duration,
}

impl Default for ServerConfig {
    fn default() -> Self {
        ServerConfig {
            secure_cookies: false,
            login_max_failures: 5,
            login_max_failures_per_address:
                qingshan_app::login_throttle::DEFAULT_MAX_FAILURES_PER_ADDRESS,
            login_window_minutes: 15,
            evidence_max_bytes: qingshan_app::evidence::DEFAULT_MAX_BYTES,
            http_header_read_timeout: web::security::DEFAULT_HEADER_READ_TIMEOUT,
            http_request_timeout: web::security::DEFAULT_REQUEST_TIMEOUT,
            http_max_header_bytes: 64 * 1024,
            trusted_proxies: Vec::new(),
            demo: false,
            transmission_counting: Default::default(),
            watch: qingshan_app::params::WatchConfig::default(),
            inspection_warn_days: qingshan_app::inspections::DEFAULT_WARN_DAYS,
            complaints: qingshan_app::complaints::Settings::default(),
            public_list_fresh_for: std::time::Duration::from_secs(5),
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

/// Builds the router: every feature's routes, the kernel's, and sign-in resolved for each request.
pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(plan::routes())
        .merge(cockpit::routes())
        .merge(assessment::routes(state.config.evidence_max_bytes))
        .merge(air::routes())
        .merge(water::routes())
        .merge(sources::routes())
        .merge(backfill::routes())
        .merge(commands::routes())
        .merge(marks::routes(state.config.evidence_max_bytes))
        .merge(orders::routes(state.config.evidence_max_bytes))
        .merge(ledger::routes(state.config.evidence_max_bytes))
        .merge(cases::routes(state.config.evidence_max_bytes))
        .merge(params::routes())
        .merge(heavy::routes(state.config.evidence_max_bytes))
        .merge(warnings::routes())
        .merge(inspections::routes(state.config.evidence_max_bytes))
        .merge(participation::routes(state.config.evidence_max_bytes))
        .merge(credit::routes(state.config.evidence_max_bytes))
        .merge(disclosure::routes())
        .merge(accounts::routes())
        .merge(enterprise::routes())
        .merge(openapi::routes())
        .merge(portal::routes())
        .merge(web::routes::routes())
        .merge(complaints::routes(state.config.evidence_max_bytes))
        .fallback(web::routes::not_found)
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::page::render_errors,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::scope::gate,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            web::auth::resolve,
        ))
        .layer(axum::middleware::from_fn(web::security::headers))
        .layer(web::security::timeout(&state.config))
        .with_state(state)
}

/// Opens the store, migrates it and writes the plan into it: everything serving needs.
pub async fn prepare(
    db_url: &str,
    plan: Plan,
    plan_source: &str,
) -> Result<(Store, Arc<Plan>), StartError> {
    Ok(qingshan_app::prepare(db_url, plan, plan_source).await?)
}

/// Serves `plan` over `store` with `config`: binds `addr` and serves until `shutdown`
/// resolves; calls `on_bound` with the real address (port 0 picks a free one) before accepting.
pub async fn serve(
    store: Store,
    plan: Arc<Plan>,
    config: ServerConfig,
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
    let state = AppState {
        store,
        plan,
        config: Arc::new(config),
    };
    on_bound(local);
    let config = state.config.clone();
    web::security::serve_http(listener, router(state), &config, shutdown).await
}
