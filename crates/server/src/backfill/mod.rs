//! Gaps in a device's data and their automatic backfill (补传) on the web: the full list of a
//! device's gaps (the device page shows the newest through `device_gaps.html`) and its JSON
//! API. The gaps are found and followed by the supervisor (`qingshan_app::backfill`).

use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::get;
use axum::{Extension, Json, Router};
use minijinja::context;
use qingshan_app::backfill;

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;

/// The gaps page and API of a device.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources/devices/{mn}/gaps", get(gaps_page))
        .route("/api/v1/sources/devices/{mn}/gaps", get(api_gaps))
}

/// Whether the requester may see device `mn` (the device page's rule: an enterprise account
/// only its own); a refusal is audited under `action`.
async fn device_visible(s: &AppState, auth: &Auth, mn: &str, action: &str) -> Result<(), AppError> {
    match qingshan_app::scope::may_see_device(&s.store, auth.user.as_ref(), mn).await {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(s, auth, action, format!("device:{mn}"), e.into(), None).await),
    }
}

/// A registered pollution-source device, or 404.
async fn registered(s: &AppState, mn: &str) -> Result<(), AppError> {
    if s.store
        .registered_devices()
        .await?
        .iter()
        .any(|d| d.mn == mn)
    {
        Ok(())
    } else {
        Err(AppError::NotFound(format!("没有设备 {mn}")))
    }
}

/// `GET /sources/devices/{mn}/gaps?page=N`: every gap of the device, newest first, paged.
pub async fn gaps_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    device_visible(&s, &auth, &mn, "page.view").await?;
    registered(&s, &mn).await?;
    let n = paging::requested(&pq);
    let gaps = backfill::gaps(&s.store, &mn, n).await?;
    let pager = paging::Pager::new(
        n,
        gaps.per_page,
        gaps.total,
        &format!("/sources/devices/{}/gaps", qingshan_app::path_segment(&mn)),
        raw.as_deref(),
    );
    page(
        "gaps.html",
        &auth,
        &s,
        context! { dev => context! { mn }, gaps, gaps_pager => pager },
    )
}

/// `GET /api/v1/sources/devices/{mn}/gaps?page=N`: the device's gaps, newest first, with their
/// spans (RFC 3339, Beijing offset), state and history requests.
pub async fn api_gaps(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<backfill::GapPage>, AppError> {
    device_visible(&s, &auth, &mn, "data.view").await?;
    registered(&s, &mn).await?;
    Ok(Json(
        backfill::gaps(&s.store, &mn, paging::requested(&pq)).await?,
    ))
}
