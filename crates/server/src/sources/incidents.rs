//! The alarm centre lists incidents (事件), not single alarms: filters, bulk handling by staff,
//! one incident's page with its hours and evidence frames, and the JSON API.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{NaiveDateTime, TimeZone};
use minijinja::context;
use qingshan_app::incidents::{self, IncidentQuery};
use qingshan_sources::supervision::AlarmKind;
use qingshan_store::{Incident, Role};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;

/// The incident pages and API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alarms", get(alarms_page))
        .route("/alarms/bulk", post(bulk_form))
        .route("/incidents/{id}", get(incident_page))
        .route("/api/v1/incidents", get(api_list))
        .route("/api/v1/incidents/bulk", post(api_bulk))
        .route("/api/v1/incidents/{id}", get(api_one))
}

/// A stored time (DataTime in Beijing time, or RFC 3339) as RFC 3339 with the +08:00 offset,
/// for the API; other forms (an annual-total period) as they are.
fn rfc3339(t: &str) -> String {
    let bj = qingshan_app::beijing::OFFSET;
    if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S")
        && let Some(d) = bj.from_local_datetime(&n).single()
    {
        return d.to_rfc3339();
    }
    match chrono::DateTime::parse_from_rfc3339(t) {
        Ok(d) => d.with_timezone(&bj).to_rfc3339(),
        Err(_) => t.to_string(),
    }
}

/// Rewrites the named time fields of a JSON object as RFC 3339 with the +08:00 offset.
fn with_offsets(v: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(t) = v.get(*k).and_then(Value::as_str).map(rfc3339) {
            v[*k] = Value::String(t);
        }
    }
}

fn incident_json(i: &Incident) -> Value {
    let mut v = serde_json::to_value(i).unwrap_or(Value::Null);
    v["kind_label"] = Value::String(
        AlarmKind::parse(&i.kind)
            .map_or(i.kind.as_str(), |k| k.label())
            .to_string(),
    );
    v["status_label"] = Value::String(qingshan_store::labels::alarm_status(&i.status).into_owned());
    v["multiple"] = json!(incidents::multiple(i));
    with_offsets(
        &mut v,
        &[
            "start_time",
            "end_time",
            "last_time",
            "peak_time",
            "opened_at",
            "updated_at",
            "closed_at",
        ],
    );
    v["duration"] = json!(duration(i));
    // Hours over the limit mean something only for rules judged on records.
    v["counts_hours"] = json!(!matches!(i.kind.as_str(), "offline" | "annual_total"));
    v
}

/// How long an incident lasted (or has lasted until its last record), in words.
fn duration(i: &Incident) -> Option<String> {
    let parse = |t: &str| {
        NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S")
            .ok()
            .or_else(|| {
                chrono::DateTime::parse_from_rfc3339(t).ok().map(|d| {
                    d.with_timezone(&qingshan_app::beijing::OFFSET)
                        .naive_local()
                })
            })
    };
    let start = parse(&i.start_time)?;
    let end = parse(i.end_time.as_deref().unwrap_or(&i.last_time))?;
    // An hourly record stands for the hour it opens: ten records from 00:00 to 09:00 are 10 h.
    let hourly = i.start_time.len() == 14;
    let mins = (end - start).num_minutes() + if hourly { 60 } else { 0 };
    let (h, m) = (mins / 60, mins % 60);
    let text = match (h, m) {
        (0, m) => format!("{m} 分钟"),
        (h, 0) => format!("{h} 小时"),
        (h, m) => format!("{h} 小时 {m} 分钟"),
    };
    // While it goes on, the span up to its latest record is a lower bound; an outage has no
    // records to measure by, so its length is not shown until it ends.
    match (&i.end_time, hourly) {
        (Some(_), _) => Some(text),
        (None, true) => Some(format!("至少 {text}")),
        (None, false) => None,
    }
}

fn counties(s: &AppState, auth: &Auth) -> Vec<Value> {
    if auth.is_staff() {
        s.plan
            .divisions
            .iter()
            .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
            .map(|d| json!({ "code": d.code, "name": d.name }))
            .collect()
    } else {
        Vec::new()
    }
}

async fn assignees(s: &AppState, auth: &Auth) -> Result<Vec<Value>, AppError> {
    if !auth.is_staff() {
        return Ok(Vec::new());
    }
    Ok(s.store
        .users()
        .await?
        .into_iter()
        .filter(|u| u.active && matches!(u.role, Role::Admin | Role::Staff | Role::County))
        .map(|u| json!({ "id": u.id, "name": u.display_name }))
        .collect())
}

/// `GET /alarms`: the alarm centre, one row per incident (staff: all or filtered; county
/// officials: their county's).
pub async fn alarms_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<IncidentQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let filter = match incidents::incident_filter(auth.user.as_ref(), &q) {
        Ok(f) => f,
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Unauthenticated)) => {
            return Err(refuse(
                &s,
                &auth,
                "page.view",
                "page:/alarms".into(),
                e.into(),
                None,
            )
            .await
            .into());
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = s.store.incidents_paged(&filter, limit, offset).await?;
    let pager = paging::Pager::new(n, paging::PER_PAGE, paged.total, "/alarms", raw.as_deref());
    let items: Vec<Value> = paged.items.iter().map(incident_json).collect();
    let kinds: Vec<Value> = [
        AlarmKind::Exceedance,
        AlarmKind::Offline,
        AlarmKind::DeviceFault,
        AlarmKind::Frozen,
        AlarmKind::AnnualTotal,
        AlarmKind::ReductionNotMet,
    ]
    .iter()
    .map(|k| json!({ "code": k.code(), "name": k.label() }))
    .collect();
    let states: Vec<Value> = incidents::STATES
        .iter()
        .map(|c| json!({ "code": c, "name": qingshan_store::labels::alarm_status(c) }))
        .collect();
    page(
        "alarms.html",
        &auth,
        &s,
        context! {
            incidents => items, q, county => filter.division_code, counties => counties(&s, &auth),
            kinds, states, assignees => assignees(&s, &auth).await?, total => paged.total, pager,
        },
    )
}

/// `GET /incidents/{id}`: one incident with its alarms, peak, 超标倍数 and evidence frames.
pub async fn incident_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = match incidents::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Unauthenticated)) => {
            return Err(refuse(
                &s,
                &auth,
                "page.view",
                format!("incident:{id}"),
                e.into(),
                None,
            )
            .await
            .into());
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    page(
        "incident.html",
        &auth,
        &s,
        context! {
            i => incident_json(&d.incident), alarms => d.alarms, frames => d.frames,
            assignees => assignees(&s, &auth).await?,
            cases => s.store.cases_of_incident(id).await?.into_iter()
                .map(|(id, number, state)| serde_json::json!({ "id": id, "number": number, "state": qingshan_store::labels::case_state(&state) }))
                .collect::<Vec<_>>(),
        },
    )
}

/// A bulk action, from the form or the API.
#[derive(Debug, Default, Deserialize)]
pub struct BulkInput {
    /// The incidents.
    #[serde(default)]
    pub ids: Vec<i64>,
    /// acknowledge, assign or close.
    #[serde(default)]
    pub action: String,
    /// The user to assign to.
    pub assignee: Option<i64>,
    /// The note (required to close).
    pub note: Option<String>,
}

async fn run_bulk(
    s: &AppState,
    auth: &Auth,
    input: &BulkInput,
    csrf: Option<&str>,
) -> Result<Vec<incidents::BulkOutcome>, AppError> {
    let action_name = match input.action.as_str() {
        a @ ("acknowledge" | "assign" | "close") => format!("incident.{a}"),
        _ => "incident.bulk".to_string(),
    };
    let target = format!(
        "incident:{}",
        input
            .ids
            .iter()
            .map(i64::to_string)
            .collect::<Vec<_>>()
            .join(",")
    );
    let check = auth
        .require_staff()
        .map(|_| ())
        .and_then(|_| auth.check_csrf(csrf))
        .and_then(|_| {
            incidents::parse_action(&input.action, input.assignee)
                .map(|_| ())
                .map_err(AppError::from)
        });
    if let Err(e) = check {
        return Err(refuse(s, auth, &action_name, target, e, input.note.clone()).await);
    }
    let action = incidents::parse_action(&input.action, input.assignee)?;
    match incidents::bulk(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        &input.ids,
        &action,
        input.note.as_deref(),
    )
    .await
    {
        Ok(out) => Ok(out),
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Invalid { .. })) => {
            Err(refuse(s, auth, &action_name, target, e.into(), input.note.clone()).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// Reads the bulk form: `ids` repeated (one per ticked box), `action`, `assignee`, `note`,
/// `csrf_token`. Bad numbers are a Chinese error naming the field.
fn parse_form(body: &[u8]) -> Result<(BulkInput, Option<String>), AppError> {
    let mut input = BulkInput::default();
    let mut csrf = None;
    for (k, v) in form_urlencoded::parse(body) {
        match k.as_ref() {
            "ids" => input
                .ids
                .push(v.trim().parse().map_err(|_| AppError::Invalid {
                    field: "ids".into(),
                    message: format!("事件编号“{v}”不是整数"),
                })?),
            "action" => input.action = v.into_owned(),
            "assignee" if !v.trim().is_empty() => {
                input.assignee = Some(v.trim().parse().map_err(|_| AppError::Invalid {
                    field: "assignee".into(),
                    message: format!("处理人编号“{v}”不是整数"),
                })?)
            }
            "note" => input.note = Some(v.into_owned()),
            "csrf_token" => csrf = Some(v.into_owned()),
            _ => {}
        }
    }
    Ok((input, csrf))
}

/// `POST /alarms/bulk` (form): acknowledge, assign or close the ticked incidents (staff).
pub async fn bulk_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    body: Bytes,
) -> Result<Response, PageError> {
    let (input, csrf) = match parse_form(&body) {
        Ok(x) => x,
        Err(e) => {
            return Err(
                refuse(&s, &auth, "incident.bulk", "incident:".into(), e, None)
                    .await
                    .into(),
            );
        }
    };
    let out = run_bulk(&s, &auth, &input, csrf.as_deref()).await?;
    let failed: Vec<String> = out
        .iter()
        .filter(|o| !o.ok)
        .map(|o| format!("{}：{}", o.id, o.error.as_deref().unwrap_or("")))
        .collect();
    if !failed.is_empty() {
        return Err(AppError::Conflict(format!("以下事件未能处理：{}", failed.join("；"))).into());
    }
    Ok(Redirect::to("/alarms").into_response())
}

/// `GET /api/v1/incidents`: incidents, newest first, paged (`?page=`), with the list filters.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<IncidentQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = incidents::list(&s.store, auth.user.as_ref(), &q, limit, offset).await?;
    let items: Vec<Value> = paged.items.iter().map(incident_json).collect();
    Ok(Json(json!({
        "incidents": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE,
    })))
}

/// `GET /api/v1/incidents/{id}`: one incident with its alarms and evidence frames.
pub async fn api_one(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let d = match incidents::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Unauthenticated)) => {
            let target = format!("incident:{id}");
            return Err(refuse(&s, &auth, "data.view", target, e.into(), None).await);
        }
        Err(e) => return Err(e.into()),
    };
    let frames: Vec<Value> = d
        .frames
        .iter()
        .map(|f| {
            let mut v = serde_json::to_value(f).unwrap_or(Value::Null);
            with_offsets(&mut v, &["data_time", "received_at"]);
            v
        })
        .collect();
    let alarms: Vec<Value> = d
        .alarms
        .iter()
        .map(|a| {
            let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
            with_offsets(
                &mut v,
                &[
                    "start_time",
                    "end_time",
                    "peak_time",
                    "raised_at",
                    "updated_at",
                    "acknowledged_at",
                    "closed_at",
                ],
            );
            v
        })
        .collect();
    Ok(Json(
        json!({ "incident": incident_json(&d.incident), "alarms": alarms, "frames": frames }),
    ))
}

/// `POST /api/v1/incidents/bulk` with `{"ids": [..], "action": "acknowledge|assign|close",
/// "assignee": 3, "note": "…"}` (staff).
pub async fn api_bulk(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<BulkInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let input = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let out = run_bulk(&s, &auth, &input, csrf).await?;
    Ok(Json(json!({ "results": out })))
}
