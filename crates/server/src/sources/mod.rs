//! Pollution-source supervision on the web: the registry, device status, a device's hourly
//! values against its permit limit, and the alarm centre.

mod cache;
mod incidents;

use std::collections::HashMap;

use crate::web::query::Query;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::{DateTime, Utc};
use minijinja::context;
use qingshan_app::imports;
use qingshan_app::sources::{
    LIMIT_COLUMNS, REGISTRY_LABELS, RegistryRow, alarm_scope, online, registry_rows,
};
use qingshan_sources::supervision::AlarmKind;
use qingshan_store::{Alarm, AlarmFilter, DeviceLimit, DeviceOverview};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, staff_write};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::chart;
use crate::web::download::{csv_attachment, xlsx_attachment};
use crate::web::error::AppError;
use crate::web::import_report;
use crate::web::page::{PageError, page, page_context};
use crate::web::paging;
use crate::web::table::Table;
use crate::web::templates::render;

/// The registry, device and alarm pages and their JSON API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .merge(incidents::routes())
        .route("/sources", get(sources_page))
        .route("/sources/template.csv", get(template))
        .route("/sources/template.xlsx", get(template_xlsx))
        .route("/sources/import", post(import_form))
        .route("/sources/edit", get(edit_form).post(edit_submit))
        .route("/sources/registry.csv", get(registry_export))
        .route("/sources/registry.xlsx", get(registry_export_xlsx))
        .route("/sources/devices/{mn}", get(device_page))
        .route("/sources/quarantine/{mn}/release", post(release_form))
        .route("/alarms/{id}/{action}", post(alarm_form))
        .route("/api/v1/sources/devices", get(api_devices))
        .route(
            "/api/v1/sources/devices/{mn}/statistics",
            get(api_statistics),
        )
        .route("/api/v1/sources/devices/{mn}/data", get(api_device_data))
        .route("/api/v1/sources/import", post(api_import))
        .route("/api/v1/alarms", get(api_alarms))
        .route("/api/v1/alarms.csv", get(api_alarms_csv))
        .route("/api/v1/alarms.xlsx", get(api_alarms_xlsx))
        .route("/api/v1/alarms/{id}/acknowledge", post(api_acknowledge))
        .route("/api/v1/alarms/{id}/close", post(api_close))
        .route("/api/v1/sources/quarantine", get(api_quarantine))
}

fn device_json(d: &DeviceOverview, now: DateTime<Utc>) -> Value {
    let mut v = serde_json::to_value(d).unwrap_or(Value::Null);
    v["online"] = Value::Bool(online(d, now));
    v
}

fn alarm_json(a: &Alarm) -> Value {
    let mut v = serde_json::to_value(a).unwrap_or(Value::Null);
    v["kind_label"] = Value::String(
        AlarmKind::parse(&a.kind)
            .map_or(a.kind.as_str(), |k| k.label())
            .to_string(),
    );
    v
}

/// Whether the requester may see the device `mn` (an enterprise account: only its own); a
/// refusal is audited under `action` before it is returned.
async fn device_visible(s: &AppState, auth: &Auth, mn: &str, action: &str) -> Result<(), AppError> {
    match qingshan_app::scope::may_see_device(&s.store, auth.user.as_ref(), mn).await {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse(s, auth, action, format!("device:{mn}"), e.into(), None).await),
    }
}

/// `GET /api/v1/sources/devices`: the devices with their enterprise, outlet and online status,
/// a page at a time (`page`, 100 a page) and narrowed by `q`, `county` and `kind` as on
/// `/sources` (an enterprise account: its own devices only). `total` and `online` count the
/// whole filtered list.
pub async fn api_devices(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    Query(rq): Query<RegistryQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, AppError> {
    let body = if auth.user.is_none() {
        let key = format!("api?{}", raw.unwrap_or_default());
        cache::public(&s, key, || devices_json(&s, &auth, &pq, &rq)).await?
    } else {
        devices_json(&s, &auth, &pq, &rq).await?
    };
    Ok((
        [(axum::http::header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response())
}

/// The body of [`api_devices`].
async fn devices_json(
    s: &AppState,
    auth: &Auth,
    pq: &paging::PageQuery,
    rq: &RegistryQuery,
) -> Result<Bytes, AppError> {
    let now = Utc::now();
    let n = paging::requested(pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let list = qingshan_app::sources::registry_page(
        &s.store,
        auth.user.as_ref(),
        rq.filter(),
        limit,
        offset,
        now,
    )
    .await?;
    let devices: Vec<Value> = list.items.iter().map(|d| device_json(d, now)).collect();
    let body = json!({
        "devices": devices, "total": list.total, "online": list.online,
        "page": n, "per_page": paging::PER_PAGE,
    });
    Ok(Bytes::from(body.to_string()))
}

/// `GET /api/v1/sources/quarantine`: the unknown MNs waiting in quarantine (staff), by MN, a
/// page at a time (`page`, 100 a page) as on `/sources`.
pub async fn api_quarantine(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    if let Err(e) = auth.require_staff() {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/api/v1/sources/quarantine".into(),
            e,
            None,
        )
        .await);
    }
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let q = s.store.quarantine_paged(limit, offset).await?;
    Ok(Json(json!({
        "quarantine": q.items, "total": q.total, "page": n, "per_page": paging::PER_PAGE,
    })))
}

/// Query of a device's hourly series.
#[derive(Deserialize)]
pub struct SeriesQuery {
    /// Factor code (e.g. a21026).
    pub factor: String,
    /// First DataTime (YYYYMMDDhhmmss), inclusive.
    pub from: String,
    /// Last DataTime, exclusive.
    pub to: String,
    /// CN: 2061 hourly (default), 2051 minute, 2031 daily, 2011 real-time.
    pub cn: Option<String>,
}

/// `GET /api/v1/sources/devices/{mn}/data`: stored values of one factor in a time range.
pub async fn api_device_data(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(q): Query<SeriesQuery>,
) -> Result<Json<Value>, AppError> {
    device_visible(&s, &auth, &mn, "data.view").await?;
    let cn = q.cn.unwrap_or_else(|| "2061".into());
    if !matches!(
        cn.as_str(),
        "2011" | "2051" | "2061" | "2031" | "2021" | "2041"
    ) {
        return Err(AppError::invalid(
            "cn",
            "应为 2011、2051、2061、2031、2021 或 2041",
        ));
    }
    let parse = |field: &'static str, v: &str| {
        chrono::NaiveDateTime::parse_from_str(v, "%Y%m%d%H%M%S")
            .map_err(|_| AppError::invalid(field, "应为 YYYYMMDDhhmmss 格式的数据时间"))
    };
    let (from, to) = (parse("from", &q.from)?, parse("to", &q.to)?);
    if to <= from {
        return Err(AppError::invalid("to", "应晚于 from"));
    }
    // Real-time, minute and state data are indexed by time across all devices (see the store).
    if !matches!(cn.as_str(), "2061" | "2031") && to - from > chrono::Duration::hours(24) {
        return Err(AppError::invalid(
            "to",
            "实时、分钟和状态数据一次最多查询 24 小时；更长的时段请查小时（2061）或日（2031）数据",
        ));
    }
    let data = s
        .store
        .measurements(&mn, &cn, &q.factor, &q.from, &q.to)
        .await?;
    Ok(Json(
        json!({ "mn": mn, "cn": cn, "factor": q.factor, "values": data }),
    ))
}

/// Query of the alarm list.
#[derive(Deserialize)]
pub struct AlarmQuery {
    /// open, acknowledged or closed.
    pub status: Option<String>,
    /// A county (GB/T 2260) to narrow to; county officials always see only their own.
    pub county: Option<String>,
}

/// The alarms a query asks for, within what the user may see.
fn alarm_filter(auth: &Auth, q: &AlarmQuery) -> Result<AlarmFilter, AppError> {
    Ok(qingshan_app::sources::alarm_filter(
        auth.user.as_ref(),
        q.status.as_deref(),
        q.county.as_deref(),
    )?)
}

/// `GET /api/v1/alarms`: alarms, newest first (staff: all or `?county=`; county officials:
/// their county's).
pub async fn api_alarms(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AlarmQuery>,
) -> Result<Json<Value>, AppError> {
    let filter = alarm_filter(&auth, &q)?;
    let alarms: Vec<Value> = s
        .store
        .alarms(&filter, 500)
        .await?
        .iter()
        .map(alarm_json)
        .collect();
    Ok(Json(json!({ "alarms": alarms })))
}

/// Body of a close request.
#[derive(Deserialize)]
pub struct CloseInput {
    /// The disposition note (处置说明).
    pub note: String,
}

async fn transition(
    s: &AppState,
    auth: &Auth,
    id: i64,
    to: &str,
    note: Option<&str>,
    csrf: Option<&str>,
) -> Result<Alarm, AppError> {
    let action = if to == "closed" {
        "alarm.close"
    } else {
        "alarm.acknowledge"
    };
    let target = format!("alarm:{id}");
    let check = alarm_scope(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, action, target, e, note.map(str::to_string)).await);
    }
    let moved = qingshan_app::sources::transition_alarm(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        to,
        note,
    )
    .await;
    match moved {
        Ok(a) => Ok(a),
        Err(e @ qingshan_app::Error::Forbidden(_)) => {
            Err(refuse(s, auth, action, target, e.into(), note.map(str::to_string)).await)
        }
        Err(e @ qingshan_app::Error::Invalid { .. }) => {
            Err(refuse(s, auth, action, target, e.into(), None).await)
        }
        Err(e) => Err(e.into()),
    }
}

/// `POST /api/v1/alarms/{id}/acknowledge`.
pub async fn api_acknowledge(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let a = transition(&s, &auth, id, "acknowledged", None, csrf).await?;
    Ok(Json(json!({ "alarm": alarm_json(&a) })))
}

/// `POST /api/v1/alarms/{id}/close` with `{"note": "…"}`.
pub async fn api_close(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<CloseInput>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let note = body
        .map_err(|r| AppError::rejected_body(&r.body_text()))?
        .0
        .note;
    let a = transition(&s, &auth, id, "closed", Some(&note), csrf).await?;
    Ok(Json(json!({ "alarm": alarm_json(&a) })))
}

/// `POST /api/v1/sources/import`: a registry file as the body, CSV or XLSX (told apart by
/// content) (staff). All or nothing.
pub async fn api_import(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    import(&s, &auth, csrf, body.to_vec()).await.map(|(j, _)| j)
}

async fn import(
    s: &AppState,
    auth: &Auth,
    csrf: Option<&str>,
    bytes: Vec<u8>,
) -> Result<(Json<Value>, qingshan_store::ImportCounts), AppError> {
    staff_write(s, auth, "registry.import", "registry", csrf).await?;
    match qingshan_app::sources::import_registry(&s.store, &auth.actor(), bytes).await {
        Ok(counts) => Ok((Json(json!(counts)), counts.records)),
        Err(e @ (qingshan_app::Error::Invalid { .. } | qingshan_app::Error::Rows(_))) => {
            Err(refuse(
                s,
                auth,
                "registry.import",
                "registry".into(),
                e.into(),
                None,
            )
            .await)
        }
        Err(e) => Err(e.into()),
    }
}

/// `GET /sources/template.csv`: the registry file's header, for spreadsheets.
pub async fn template() -> Response {
    csv_attachment(
        imports::template_csv(&imports::REGISTRY_TEMPLATE),
        "registry-template.csv",
    )
}

/// `GET /sources/template.xlsx`: the registry workbook to fill in, with a 说明 sheet.
pub async fn template_xlsx() -> Result<Response, AppError> {
    xlsx_attachment(
        imports::template_xlsx(&imports::REGISTRY_TEMPLATE, &imports::registry_notes()),
        "registry-template.xlsx",
    )
}

/// The filters of the registry list, on the page and the API alike.
#[derive(Debug, Default, Deserialize)]
pub struct RegistryQuery {
    /// Part of the enterprise name, credit code or MN.
    pub q: Option<String>,
    /// County (GB/T 2260 code).
    pub county: Option<String>,
    /// `gas` (废气) or `water` (废水).
    pub kind: Option<String>,
    /// Page of the quarantine list on `/sources` (the devices use `page`).
    pub qpage: Option<String>,
}

impl RegistryQuery {
    fn filter(&self) -> qingshan_store::RegistryFilter {
        let given = |v: &Option<String>| {
            v.as_deref()
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .map(str::to_string)
        };
        qingshan_store::RegistryFilter {
            search: given(&self.q),
            division_code: given(&self.county),
            outlet_kind: given(&self.kind),
            credit_code: None,
        }
    }
}

/// `GET /sources`: enterprises, outlets and devices with their online status, a page at a time
/// (`page`), narrowed by `q`, `county` and `kind`.
pub async fn sources_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    Query(rq): Query<RegistryQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
    Query(report): Query<import_report::ImportReport>,
) -> Result<Response, PageError> {
    let raw = raw.as_deref();
    let body = if auth.user.is_none() {
        let key = format!("page?{}", raw.unwrap_or_default());
        cache::public(&s, key, || sources_html(&s, &auth, &pq, &rq, raw, report)).await?
    } else {
        sources_html(&s, &auth, &pq, &rq, raw, report).await?
    };
    Ok(Html(body).into_response())
}

/// The body of [`sources_page`].
async fn sources_html(
    s: &AppState,
    auth: &Auth,
    pq: &paging::PageQuery,
    rq: &RegistryQuery,
    raw: Option<&str>,
    report: import_report::ImportReport,
) -> Result<Bytes, PageError> {
    let now = Utc::now();
    let n = paging::requested(pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let list = qingshan_app::sources::registry_page(
        &s.store,
        auth.user.as_ref(),
        rq.filter(),
        limit,
        offset,
        now,
    )
    .await?;
    let devices: Vec<Value> = list.items.iter().map(|d| device_json(d, now)).collect();
    let pager = paging::Pager::new(n, paging::PER_PAGE, list.total, "/sources", raw);
    // An unknown-MN flood leaves one row per MN: the list is paged too, by `qpage`.
    let (quarantine, quarantine_pager) = if auth.is_staff() {
        let n = paging::requested(&paging::PageQuery {
            page: rq.qpage.clone(),
        });
        let (limit, offset) = paging::window(n, paging::PER_PAGE);
        let q = s.store.quarantine_paged(limit, offset).await?;
        let pager =
            paging::Pager::for_param("qpage", n, paging::PER_PAGE, q.total, "/sources", raw);
        (q.items, Some(pager))
    } else {
        (Vec::new(), None)
    };
    // The grades of the enterprises on this page only (not every published rating).
    let codes: Vec<&str> = list.items.iter().map(|d| d.credit_code.as_str()).collect();
    let credit = qingshan_app::credit::badges(&s.store, &codes).await?;
    let filter = context! { q => rq.q, county => rq.county, kind => rq.kind };
    let ctx = context! {
        devices, total => list.total, online_count => list.online, pager, filter,
        quarantine, quarantine_pager, report => report.shown(), credit
    };
    let html = render("sources.html", context! { ..ctx, ..page_context(auth, s) })?;
    Ok(Bytes::from(html))
}

/// `GET /sources/devices/{mn}`: a device's hourly values of the last days against its limits.
pub async fn device_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    device_visible(&s, &auth, &mn, "page.view").await?;
    let Some(dev) = s.store.device_overview(&mn).await? else {
        return Err(AppError::NotFound(format!("没有设备 {mn}")).into());
    };
    let dev = &dev;
    let now = Utc::now();
    let local = qingshan_app::beijing::local(now);
    let from = (local - chrono::Duration::days(7))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let to = (local + chrono::Duration::hours(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let date = local.format("%Y-%m-%d").to_string();
    let limits: Vec<DeviceLimit> = s.store.supervised_limits_of(&mn, &date).await?;
    let mut charts = Vec::new();
    for l in limits.iter().filter(|l| l.hourly_limit.is_some()) {
        let data = s
            .store
            .measurements(&mn, "2061", &l.factor, &from, &to)
            .await?;
        let points: Vec<(String, f64)> = data
            .iter()
            .filter_map(|m| {
                let v = if l.use_converted {
                    m.values.zs_avg.as_ref().or(m.values.avg.as_ref())
                } else {
                    m.values.avg.as_ref()
                };
                v.and_then(|t| t.parse::<f64>().ok())
                    .map(|x| (m.data_time.clone(), x))
            })
            .collect();
        let limit = l.hourly_limit.clone().unwrap_or_default();
        let svg = chart::limit_chart(&points, limit.parse::<f64>().ok());
        charts.push(context! { factor => l.factor, limit, converted => l.use_converted, svg, count => points.len() });
    }
    let (year, month) = (
        local.format("%Y").to_string().parse().unwrap_or(2026),
        local.format("%m").to_string().parse().unwrap_or(1),
    );
    let stats = qingshan_app::sources::device_statistics_counting(
        &s.store,
        &mn,
        year,
        month,
        &limits,
        s.config.transmission_counting,
    )
    .await?;
    // The device page is public. Everyone sees how many of its alarms are open (an empty list
    // must never read as "no alarms"); the alarms themselves, with their disposition, are shown
    // to those who may handle them.
    let open_alarms = s
        .store
        .count_alarms(&AlarmFilter {
            status: Some("open".into()),
            mn: Some(mn.clone()),
            ..AlarmFilter::default()
        })
        .await?;
    let (alarms, sees_details): (Vec<Value>, bool) = match alarm_scope(auth.user.as_ref()) {
        Ok(division_code) if division_code.is_none() || division_code == dev.division_code => {
            let filter = AlarmFilter {
                division_code,
                mn: Some(mn.clone()),
                ..AlarmFilter::default()
            };
            let list = s
                .store
                .alarms(&filter, 500)
                .await?
                .iter()
                .map(alarm_json)
                .collect();
            (list, true)
        }
        _ => (Vec::new(), false),
    };
    // The 远程命令 section (device_commands.html): staff only, paged by `page`.
    let (commands, command_pager) = if auth.is_staff() {
        let list = qingshan_app::commands::list(&s.store, &mn, paging::requested(&pq)).await?;
        let path = format!("/sources/devices/{}", qingshan_app::path_segment(&mn));
        let pager = paging::Pager::new(list.page, list.per_page, list.total, &path, raw.as_deref());
        (Some(list), Some(pager))
    } else {
        (None, None)
    };
    let command_kinds: Vec<Value> = qingshan_app::commands::Command::CODES
        .iter()
        .map(|c| json!({ "cn": c, "label": qingshan_app::commands::Command::label_of(*c) }))
        .collect();
    // 时钟 and 分析仪参数 (device_params.html): the first page of the history.
    let params =
        qingshan_app::params::section(&s.store, auth.user.as_ref(), dev, 1, 20, &s.config.watch)
            .await?;
    page(
        "device.html",
        &auth,
        &s,
        context! { dev => device_json(dev, now), charts, alarms, sees_details, open_alarms, stats, commands, command_pager, command_kinds, gaps => qingshan_app::backfill::gaps(&s.store, &mn, 1).await?, params },
    )
}

/// The alarm forms.
#[derive(Deserialize)]
pub struct AlarmForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Disposition note (close only).
    pub note: Option<String>,
}

/// `POST /alarms/{id}/acknowledge` and `/alarms/{id}/close` (forms).
pub async fn alarm_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((id, action)): Path<(i64, String)>,
    Form(f): Form<AlarmForm>,
) -> Result<Response, PageError> {
    let to = match action.as_str() {
        "acknowledge" => "acknowledged",
        "close" => "closed",
        _ => return Err(AppError::NotFound("没有此操作".into()).into()),
    };
    let note = if to == "closed" {
        Some(f.note.as_deref().unwrap_or(""))
    } else {
        None
    };
    transition(&s, &auth, id, to, note, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to("/alarms").into_response())
}

/// `POST /sources/import` (form upload of the registry, CSV or XLSX).
pub async fn import_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let mut csrf = None;
    let mut file = Vec::new();
    while let Ok(Some(field)) = multipart.next_field().await {
        match field.name() {
            Some("csrf_token") => csrf = field.text().await.ok(),
            Some("file") => file = field.bytes().await.map(|b| b.to_vec()).unwrap_or_default(),
            _ => {}
        }
    }
    match import(&s, &auth, csrf.as_deref(), file).await {
        Ok((_, counts)) => {
            let to = format!("/sources?imported=1&{}", import_report::query(&counts));
            Ok(Redirect::to(&to).into_response())
        }
        Err(e) => import_report::failed(&s, &auth, e, "登记表导入", "/sources"),
    }
}

/// Query of a device's statistics.
#[derive(Deserialize)]
pub struct StatsQuery {
    /// Year.
    pub year: i32,
    /// Month (1–12) for the transmission figures.
    pub month: u32,
}

/// `GET /api/v1/sources/devices/{mn}/statistics?year=YYYY&month=M`.
pub async fn api_statistics(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Query(q): Query<StatsQuery>,
) -> Result<Json<Value>, AppError> {
    device_visible(&s, &auth, &mn, "data.view").await?;
    let date = format!("{:04}-{:02}-01", q.year, q.month.clamp(1, 12));
    let limits: Vec<DeviceLimit> = s.store.supervised_limits_of(&mn, &date).await?;
    Ok(Json(
        qingshan_app::sources::device_statistics_counting(
            &s.store,
            &mn,
            q.year,
            q.month,
            &limits,
            s.config.transmission_counting,
        )
        .await?,
    ))
}

/// Which row the edit form is for.
#[derive(Deserialize)]
pub struct EditQuery {
    /// The device; a new (or quarantined) MN starts a blank form with it filled in.
    pub mn: Option<String>,
    /// The factor whose limit to edit; without it the form adds a limit to the device.
    pub factor: Option<String>,
}

fn edit_page(
    s: &AppState,
    auth: &Auth,
    row: &RegistryRow,
    error: Option<String>,
    existing: bool,
) -> Result<Response, PageError> {
    let row = &qingshan_app::secrets::mask_form_row(row);
    let fields: Vec<Value> = REGISTRY_LABELS
        .iter()
        .map(|(name, label)| json!({ "name": name, "label": label, "value": row.get(*name).cloned().unwrap_or_default() }))
        .collect();
    let counties: Vec<Value> = s
        .plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect();
    let refused = error.is_some();
    let mut resp = page(
        "registry_edit.html",
        auth,
        s,
        context! { fields, counties, error, existing, mn => row.get("mn"), factor => row.get("factor_code") },
    )?;
    if refused {
        *resp.status_mut() = axum::http::StatusCode::UNPROCESSABLE_ENTITY;
    }
    Ok(resp)
}

/// `GET /sources/edit`: the form to register a device or edit one row of the registry (staff).
pub async fn edit_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<EditQuery>,
) -> Result<Response, PageError> {
    if let Err(e) = auth.require_staff() {
        return Err(
            refuse(&s, &auth, "page.view", "page:/sources/edit".into(), e, None)
                .await
                .into(),
        );
    }
    let rows = registry_rows(&s.store).await?;
    let of_device: Vec<&HashMap<String, String>> = match &q.mn {
        Some(mn) => rows.iter().filter(|r| r.get("mn") == Some(mn)).collect(),
        None => Vec::new(),
    };
    let wanted = q.factor.as_deref().filter(|f| !f.is_empty());
    let (row, existing) = match (of_device.first(), wanted) {
        // A new device (perhaps one waiting in quarantine): a blank form with its MN.
        (None, _) => {
            let mut row = HashMap::new();
            if let Some(mn) = &q.mn {
                row.insert("mn".to_string(), mn.clone());
            }
            (row, false)
        }
        (Some(_), Some(f)) => {
            match of_device
                .iter()
                .find(|r| r.get("factor_code").map(String::as_str) == Some(f))
            {
                Some(r) => ((*r).clone(), true),
                None => {
                    return Err(AppError::NotFound(format!(
                        "设备 {} 没有因子 {f} 的许可限值",
                        q.mn.clone().unwrap_or_default()
                    ))
                    .into());
                }
            }
        }
        // The device's details with the limit columns blank: adds a factor's limit.
        (Some(first), None) => {
            let mut row = (*first).clone();
            for c in LIMIT_COLUMNS {
                row.insert(c.to_string(), String::new());
            }
            (row, true)
        }
    };
    edit_page(&s, &auth, &row, None, existing)
}

/// `POST /sources/edit`: applies one registry row from the form, checked exactly as an
/// imported file's row is; refused rows change nothing and come back with the error.
pub async fn edit_submit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let mn = form
        .get("mn")
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let factor = form
        .get("factor_code")
        .map(|v| v.trim().to_string())
        .unwrap_or_default();
    let target = format!("device:{mn}:{factor}");
    let csrf = form.get("csrf_token").map(String::as_str);
    staff_write(&s, &auth, "registry.edit", &target, csrf).await?;
    let row = qingshan_app::sources::row_from_form(&form);
    match qingshan_app::sources::edit_registry_row(&s.store, &auth.actor(), &row, target.clone())
        .await
    {
        Ok(()) => Ok(Redirect::to(&format!("/sources/devices/{mn}?saved=1")).into_response()),
        Err(qingshan_app::Error::Invalid { message, .. }) => {
            let _ = refuse(
                &s,
                &auth,
                "registry.edit",
                target,
                AppError::invalid("row", message.clone()),
                Some(qingshan_app::sources::row_text(&row)),
            )
            .await;
            let existing = !mn.is_empty()
                && registry_rows(&s.store)
                    .await?
                    .iter()
                    .any(|r| r.get("mn") == Some(&mn));
            edit_page(&s, &auth, &row, Some(message), existing)
        }
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// `POST /sources/quarantine/{mn}/release` (staff): the quarantined frames of a device
/// registered since go into its data, judged as if they arrived now (a resent frame stored
/// once), audited; an MN still unknown is refused and its quarantine kept.
pub async fn release_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(mn): Path<String>,
    Form(form): Form<HashMap<String, String>>,
) -> Result<Response, PageError> {
    let target = format!("device:{mn}");
    let csrf = form.get("csrf_token").map(String::as_str);
    staff_write(&s, &auth, "quarantine.release", &target, csrf).await?;
    match qingshan_app::ingest::release_quarantine(&s.store, &mn, &auth.actor()).await {
        Ok(r) => Ok(Redirect::to(&format!(
            "/sources/devices/{}?released={}",
            qingshan_app::path_segment(&mn),
            r.stored
        ))
        .into_response()),
        Err(qingshan_app::Error::Invalid { message, .. }) => Err(refuse(
            &s,
            &auth,
            "quarantine.release",
            target,
            AppError::invalid("mn", message),
            None,
        )
        .await
        .into()),
        Err(e) => Err(AppError::from(e).into()),
    }
}

/// `GET /sources/registry.csv`: the whole registry in the import format (staff), to edit in a
/// spreadsheet and import again.
pub async fn registry_export(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, AppError> {
    registry_download(&s, &auth, "csv").await
}

/// `GET /sources/registry.xlsx`: the same as a workbook, every cell as text so it imports back
/// exactly (staff).
pub async fn registry_export_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, AppError> {
    registry_download(&s, &auth, "xlsx").await
}

async fn registry_download(s: &AppState, auth: &Auth, format: &str) -> Result<Response, AppError> {
    auth.require_staff()?;
    let rows = qingshan_sources::registry_rows(&s.store.export_registry().await?);
    Table {
        name: "污染源登记表".into(),
        // The import reads the machine column names: keep them as the header.
        columns: REGISTRY_LABELS.iter().map(|(n, _)| (*n, *n)).collect(),
        rows,
        numbers: false,
    }
    .download(format, "registry")
}

/// `GET /api/v1/alarms.csv`: the alarm list as a table, within what the user may see (staff:
/// all or `?county=`; county officials: their county's).
pub async fn api_alarms_csv(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AlarmQuery>,
) -> Result<Response, AppError> {
    alarms_download(&s, &auth, &q, "csv").await
}

/// `GET /api/v1/alarms.xlsx`: the same as a workbook.
pub async fn api_alarms_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AlarmQuery>,
) -> Result<Response, AppError> {
    alarms_download(&s, &auth, &q, "xlsx").await
}

async fn alarms_download(
    s: &AppState,
    auth: &Auth,
    q: &AlarmQuery,
    format: &str,
) -> Result<Response, AppError> {
    let filter = alarm_filter(auth, q)?;
    use crate::web::display::{beijing, factor, label};
    let rows = s
        .store
        .alarms(&filter, 100_000)
        .await?
        .into_iter()
        .map(|a| {
            vec![
                a.id.to_string(),
                label("alarm_kind", &a.kind),
                a.enterprise.unwrap_or_default(),
                a.outlet.unwrap_or_default(),
                a.division_code.unwrap_or_default(),
                a.mn,
                factor(&a.factor),
                beijing(&a.start_time),
                a.end_time.as_deref().map(beijing).unwrap_or_default(),
                a.peak.unwrap_or_default(),
                a.context,
                label("alarm_status", &a.status),
                beijing(&a.raised_at),
                a.acknowledged_at
                    .as_deref()
                    .map(beijing)
                    .unwrap_or_default(),
                a.closed_at.as_deref().map(beijing).unwrap_or_default(),
                a.disposition.unwrap_or_default(),
            ]
        })
        .collect();
    Table {
        name: "告警".into(),
        // A download for people, not for importing back: Chinese headers in the CSV too.
        columns: vec![
            ("编号", "编号"),
            ("类型", "类型"),
            ("排污单位", "排污单位"),
            ("排放口", "排放口"),
            ("区县", "区县"),
            ("设备 MN", "设备 MN"),
            ("因子", "因子"),
            ("开始", "开始"),
            ("结束", "结束"),
            ("峰值", "峰值"),
            ("说明", "说明"),
            ("状态", "状态"),
            ("产生时间", "产生时间"),
            ("确认时间", "确认时间"),
            ("关闭时间", "关闭时间"),
            ("处置说明", "处置说明"),
        ],
        rows,
        numbers: false,
    }
    .download(format, "alarms")
}
