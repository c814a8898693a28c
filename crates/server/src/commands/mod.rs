//! Remote commands to devices (反控) on the web: staff queue a command from the device page's
//! 远程命令 section (or the API), and read a device's command history with its frames. The
//! gateway sends them (see `qingshan_app::commands`). Staff and administrators only: any
//! other account is refused, and the refusal audited.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::post;
use axum::{Extension, Form, Json, Router};
use qingshan_app::commands::{self, Asker, Command};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::PageError;
use crate::web::paging;
use crate::web::query::Query;

/// The queue form's post, the device's command history and the queue in the API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sources/devices/{mn}/commands", post(queue_form))
        .route(
            "/api/v1/sources/devices/{mn}/commands",
            axum::routing::get(api_list).post(api_queue),
        )
}

/// The queue form (`POST /sources/devices/{mn}/commands`): `cn`, optional `value` (interval,
/// new password, time, factor), `begin`/`end` for history, and the session's CSRF token as
/// `csrf` (or `csrf_token`, like the site's other forms).
#[derive(Debug, Deserialize)]
pub struct QueueForm {
    /// CSRF token.
    #[serde(alias = "csrf_token")]
    pub csrf: Option<String>,
    /// Command code, e.g. `1012`.
    pub cn: String,
    /// Interval seconds/minutes, new password, time (Beijing) or factor code.
    pub value: Option<String>,
    /// History window start (Beijing time).
    pub begin: Option<String>,
    /// History window end (Beijing time).
    pub end: Option<String>,
}

/// Checks the requester (staff, CSRF), the device and the command, and queues it; every
/// refusal is audited.
async fn queue(
    s: &AppState,
    auth: &Auth,
    mn: &str,
    csrf: Option<&str>,
    f: &QueueForm,
) -> Result<i64, AppError> {
    const ACTION: &str = "device_command.queue";
    let target = format!("device:{mn}");
    let attempted = Some(format!("cn={}", f.cn.trim()));
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|()| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, ACTION, target, e, attempted).await);
    }
    let cmd = match Command::from_form(
        &f.cn,
        f.value.as_deref(),
        f.begin.as_deref(),
        f.end.as_deref(),
    ) {
        Ok(c) => c,
        Err(e) => return Err(refuse(s, auth, ACTION, target, e.into(), attempted).await),
    };
    match commands::queue(&s.store, mn, cmd, Asker::Staff(auth.actor())).await {
        Ok(id) => Ok(id),
        Err(e @ qingshan_app::Error::NotFound(_)) => {
            Err(refuse(s, auth, ACTION, target, e.into(), attempted).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /sources/devices/{mn}/commands`: queues and returns to the device page's 远程命令.
pub async fn queue_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Form(f): Form<QueueForm>,
) -> Result<Response, PageError> {
    queue(&s, &auth, &mn, f.csrf.as_deref(), &f).await?;
    let to = format!(
        "/sources/devices/{}?queued=1#commands",
        qingshan_app::path_segment(&mn)
    );
    Ok(Redirect::to(&to).into_response())
}

/// The API's queue body.
#[derive(Debug, Deserialize)]
pub struct QueueInput {
    /// Command code, e.g. `"1012"` (a number is accepted too).
    pub cn: Value,
    /// Interval, new password, time (Beijing) or factor code.
    pub value: Option<Value>,
    /// History window start (Beijing time).
    pub begin: Option<String>,
    /// History window end (Beijing time).
    pub end: Option<String>,
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// `POST /api/v1/sources/devices/{mn}/commands` with `{"cn": "1062", "value": "60"}`:
/// 201 with the queued command.
pub async fn api_queue(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    headers: HeaderMap,
    body: Result<Json<QueueInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let input = match body {
        Ok(Json(b)) => b,
        Err(r) => {
            let e = AppError::rejected_body(&r.body_text());
            // Who may not queue is told so, whatever the body.
            if let Err(denied) = auth.require_staff() {
                let target = format!("device:{mn}");
                return Err(refuse(&s, &auth, "device_command.queue", target, denied, None).await);
            }
            return Err(e);
        }
    };
    let f = QueueForm {
        csrf: None,
        cn: text(&input.cn),
        value: input.value.as_ref().map(text),
        begin: input.begin,
        end: input.end,
    };
    let id = queue(&s, &auth, &mn, csrf, &f).await?;
    let command = commands::get(&s.store, id).await?;
    Ok((StatusCode::CREATED, Json(json!({ "command": command }))))
}

/// `GET /api/v1/sources/devices/{mn}/commands?page=N`: the device's commands, newest first,
/// with their states, who asked, times and frames.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    if let Err(e) = auth.require_staff() {
        return Err(refuse(&s, &auth, "data.view", format!("device:{mn}"), e, None).await);
    }
    let page = commands::list(&s.store, &mn, paging::requested(&pq)).await?;
    Ok(Json(json!({
        "mn": mn,
        "in_flight": commands::in_flight(&s.store, &mn).await?,
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
        "commands": page.items,
    })))
}
