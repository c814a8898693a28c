//! A device's analyser parameters (HJ 212 CN 3020) and clock: the full parameter history page,
//! and the API. The device page shows the same sections (`device_params.html`) from
//! `qingshan_app::params::section`.

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use minijinja::context;
use qingshan_store::DeviceOverview;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging::{self, PageQuery, Pager};
use crate::web::query::Query;

/// History rows per page.
const PER_PAGE: i64 = 50;

/// The parameter history page and the parameter and clock API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources/devices/{mn}/params", get(params_page))
        .route("/api/v1/sources/devices/{mn}/params", get(api_params))
        .route("/api/v1/sources/devices/{mn}/clock", get(api_clock))
}

/// The device, if the requester may see its parameters and clock: an enterprise account only
/// its own devices (unknown ones refused too), staff any, a county official its county's. A
/// refusal is audited under `action`.
async fn device(
    s: &AppState,
    auth: &Auth,
    mn: &str,
    action: &str,
) -> Result<DeviceOverview, AppError> {
    let target = format!("device:{mn}");
    if let Err(e) = qingshan_app::scope::may_see_device(&s.store, auth.user.as_ref(), mn).await {
        return Err(refuse(s, auth, action, target, e.into(), None).await);
    }
    let Some(dev) = s.store.device_overview(mn).await? else {
        return Err(AppError::NotFound(format!("没有设备 {mn}")));
    };
    if let Err(e) = qingshan_app::params::may_see(auth.user.as_ref(), &dev) {
        return Err(refuse(s, auth, action, target, e.into(), None).await);
    }
    Ok(dev)
}

/// `GET /sources/devices/{mn}/params`: the device's clock and its whole parameter history,
/// paged, newest first.
pub async fn params_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<PageQuery>,
) -> Result<Response, PageError> {
    let dev = device(&s, &auth, &mn, "page.view").await?;
    let n = paging::requested(&pq);
    let section = qingshan_app::params::section(
        &s.store,
        auth.user.as_ref(),
        &dev,
        n,
        PER_PAGE,
        &s.config.watch,
    )
    .await?;
    let total = section.as_ref().map_or(0, |x| x.params.total);
    let path = format!(
        "/sources/devices/{}/params",
        qingshan_app::path_segment(&mn)
    );
    let pager = Pager::new(n, PER_PAGE, total, &path, None);
    page(
        "device_params_page.html",
        &auth,
        &s,
        context! { dev, params => section, pager, full => true },
    )
}

/// A DataTime (device local time, Beijing) in RFC 3339 with its offset, for the API.
fn rfc3339(data_time: &str) -> Value {
    chrono::NaiveDateTime::parse_from_str(data_time, "%Y%m%d%H%M%S").map_or(Value::Null, |t| {
        Value::String(
            qingshan_app::beijing::to_utc(t)
                .with_timezone(&qingshan_app::beijing::OFFSET)
                .to_rfc3339(),
        )
    })
}

/// `GET /api/v1/sources/devices/{mn}/params?page=N`: current parameters per factor and one
/// page (50) of the history, newest first.
pub async fn api_params(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<PageQuery>,
) -> Result<Json<Value>, AppError> {
    device(&s, &auth, &mn, "data.view").await?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, PER_PAGE);
    let p =
        qingshan_app::params::device_params(&s.store, &mn, limit, offset, &s.config.watch).await?;
    let with_times = |v: &qingshan_app::params::ParamView| {
        let mut j = serde_json::to_value(v).unwrap_or(Value::Null);
        j["data_time_at"] = rfc3339(&v.param.data_time);
        if let Some(prev) = &v.param.previous_time {
            j["previous_time_at"] = rfc3339(prev);
        }
        j
    };
    let factors: Vec<Value> = p
        .factors
        .iter()
        .map(|f| {
            json!({
                "factor": f.factor, "factor_name": f.factor_name, "factor_unit": f.factor_unit,
                "current": f.current.iter().map(with_times).collect::<Vec<_>>(),
            })
        })
        .collect();
    Ok(Json(json!({
        "mn": mn,
        "factors": factors,
        "history": p.history.iter().map(with_times).collect::<Vec<_>>(),
        "total": p.total,
        "page": n,
        "per_page": PER_PAGE,
        "watched": s.config.watch.params.watched,
    })))
}

/// `GET /api/v1/sources/devices/{mn}/clock`: the device's latest clock reading.
pub async fn api_clock(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
) -> Result<Json<Value>, AppError> {
    device(&s, &auth, &mn, "data.view").await?;
    let clock = qingshan_app::params::clock(&s.store, &mn, &s.config.watch).await?;
    let mut v = json!({
        "mn": mn,
        "tolerance_secs": s.config.watch.clock_tolerance_secs,
        "clock": clock,
    });
    if let Some(dt) = clock.as_ref().and_then(|c| c.source_data_time.as_deref()) {
        v["clock"]["source_data_time_at"] = rfc3339(dt);
    }
    Ok(Json(v))
}
