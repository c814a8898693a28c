//! 任务台账 on the web: a task's items with their roll-up (`/tasks/{area}/{number}/items`), an
//! item with every county's and unit's reports, the report form (with evidence files) for the
//! county or unit concerned, the staff's review (通过/退回) and item forms, the lists of returned
//! and overdue parts per unit and county (`/ledger`), and the JSON API `/api/v1/ledger/…`.
//! Who may do what is `qingshan_app::ledger`.

use axum::extract::{FromRequest, Path, Request, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use minijinja::context;
use qingshan_app::evidence::Files;
use qingshan_app::ledger::{self, ItemInput, Party, ReportInput};
use qingshan_store::{ItemEvidence, ItemReport, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::query::Query;
use crate::web::upload::read_evidence_form;

/// The ledger's pages and API; `max_file` is the evidence file limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let uploads =
        axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route("/tasks/{area}/{number}/items", get(task_items_page))
        .route("/ledger", get(attention_page))
        .route("/ledger/items", post(add_form))
        .route("/ledger/items/{id}", get(item_page))
        .route("/ledger/items/{id}/revise", post(revise_form))
        .route(
            "/ledger/items/{id}/reports",
            post(report_form).layer(uploads),
        )
        .route("/ledger/reports/{id}/review", post(review_form))
        .route("/ledger/evidence/{id}", get(evidence_download))
        .route("/api/v1/ledger/items", get(api_items).post(api_add))
        .route("/api/v1/ledger/items/{id}", get(api_item))
        .route("/api/v1/ledger/items/{id}/revisions", post(api_revise))
        .route(
            "/api/v1/ledger/items/{id}/reports",
            post(api_report).layer(uploads),
        )
        .route("/api/v1/ledger/reports/{id}/review", post(api_review))
        .route("/api/v1/ledger/attention", get(api_attention))
        .route("/api/v1/ledger/todo", get(api_todo))
}

fn report_json(r: &ItemReport) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "state_label".into(),
            json!(labels::item_report_state(&r.state)),
        );
    }
    v
}

// ---- the writes, shared by the forms and the API ----------------------------------------------

async fn record(
    s: &AppState,
    auth: &Auth,
    item_id: &str,
    input: ReportInput,
    csrf: Option<&str>,
    files: Files,
) -> Result<(ItemReport, Vec<ItemEvidence>), AppError> {
    let action = "item_report.record";
    let target = format!("item:{item_id}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    let item = ledger::item(&s.store, &s.plan, item_id).await?;
    let attempted = input.value.clone().or(input.done.clone());
    let checked = match ledger::check_report(&s.plan, &user, &item, input) {
        Ok(c) => c,
        Err(e) => return Err(refuse(s, auth, action, target, e.into(), attempted).await),
    };
    let accepted = match qingshan_app::evidence::check_files(files, s.config.evidence_max_bytes) {
        Ok(a) => a,
        Err(b) => {
            let (e, name) = *b;
            return Err(refuse(s, auth, "item_evidence.upload", target, e.into(), name).await);
        }
    };
    Ok(ledger::record_report(&s.store, &checked, &accepted, &auth.actor()).await?)
}

async fn review(
    s: &AppState,
    auth: &Auth,
    id: i64,
    accept: bool,
    reason: &str,
    csrf: Option<&str>,
) -> Result<ItemReport, AppError> {
    let action = if accept {
        "item_report.accept"
    } else {
        "item_report.return"
    };
    let target = format!("item_report:{id}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    match ledger::review(&s.store, &s.plan, &user, id, accept, reason, &auth.actor()).await {
        Ok(r) => Ok(r),
        Err(e @ (qingshan_app::Error::NotFound(_) | qingshan_app::Error::Store(_))) => {
            Err(e.into())
        }
        Err(e) => Err(refuse(s, auth, action, target, e.into(), None).await),
    }
}

async fn save(
    s: &AppState,
    auth: &Auth,
    existing: Option<&str>,
    input: ItemInput,
    csrf: Option<&str>,
) -> Result<qingshan_plan::TaskItem, AppError> {
    let action = if existing.is_some() {
        "task_item.revise"
    } else {
        "task_item.add"
    };
    let target = format!("item:{}", existing.unwrap_or(input.id.as_str()));
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, action, target, e, None).await),
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    match ledger::save_item(&s.store, &s.plan, &user, existing, input, &auth.actor()).await {
        Ok(i) => Ok(i),
        Err(e @ (qingshan_app::Error::NotFound(_) | qingshan_app::Error::Store(_))) => {
            Err(e.into())
        }
        Err(e) => Err(refuse(s, auth, action, target, e.into(), None).await),
    }
}

fn report_input(
    fields: &std::collections::HashMap<String, String>,
    objects: Vec<String>,
) -> ReportInput {
    ReportInput {
        value: fields.get("value").cloned(),
        done: fields.get("done").cloned(),
        objects_done: objects,
        narrative: fields.get("narrative").cloned().unwrap_or_default(),
    }
}

// ---- pages ------------------------------------------------------------------------------------

fn today() -> chrono::NaiveDate {
    qingshan_app::beijing::today()
}

/// `GET /tasks/{area}/{number}/items` (signed in): the task's items with the city's figure and
/// each county's and unit's state; staff get the form to add an item.
pub async fn task_items_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((area, number)): Path<(u32, u32)>,
) -> Result<Response, PageError> {
    let user = auth.require_user()?.clone();
    let task = s
        .plan
        .task(area, number)
        .ok_or_else(|| AppError::NotFound(format!("没有任务 {area}-{number}")))?
        .clone();
    let statuses: Vec<_> = ledger::ledger(&s.store, &s.plan, today())
        .await?
        .into_iter()
        .filter(|st| st.item.area == area && st.item.task == number)
        .collect();
    let mine = ledger::party_of(&user);
    let units: Vec<Value> = s
        .plan
        .units
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name}))
        .collect();
    page(
        "ledger_task.html",
        &auth,
        &s,
        context! { task, area_numeral => qingshan_plan::area_numeral(area), statuses, mine, units,
        next_id => format!("{area}-{number}-{}", statuses_len_plus(&s, area, number).await?) },
    )
}

async fn statuses_len_plus(s: &AppState, area: u32, number: u32) -> Result<usize, AppError> {
    let n = ledger::items(&s.store, &s.plan)
        .await?
        .iter()
        .filter(|i| i.area == area && i.task == number)
        .count();
    Ok(n + 1)
}

/// `GET /ledger/items/{id}` (signed in): one item, every party's reports (newest first) with
/// their evidence, the report form for the county or unit concerned, review and revise forms
/// for staff.
pub async fn item_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Result<Response, PageError> {
    let user = auth.require_user()?.clone();
    let item = ledger::item(&s.store, &s.plan, &id).await?;
    let reports = s.store.item_reports(&s.plan.meta.id).await?;
    let status = ledger::rollup(&s.plan, &item, &reports, today());
    let evidence = s.store.item_evidence(&s.plan.meta.id).await?;
    let mut history: Vec<Value> = reports
        .iter()
        .filter(|r| r.item_id == id)
        .map(|r| {
            let mut v = report_json(r);
            v["party_name"] = json!(if r.party_kind == "county" {
                Party::County(r.party.clone()).name(&s.plan)
            } else {
                Party::Unit(r.party.clone()).name(&s.plan)
            });
            v["evidence"] = json!(
                evidence
                    .iter()
                    .filter(|e| e.report_id == r.id)
                    .collect::<Vec<_>>()
            );
            v
        })
        .collect();
    history.reverse();
    let may_report = ledger::item_permission(&user, &item).ok();
    let my_objects: Vec<String> = match (&item.measure, &may_report) {
        (qingshan_plan::Measure::Objects { objects }, Some(p)) => objects
            .iter()
            .filter(|o| match p {
                Party::County(c) => o.county.as_deref() == Some(c.as_str()),
                Party::Unit(_) => true,
            })
            .map(|o| o.name.clone())
            .collect(),
        _ => Vec::new(),
    };
    let counties_text = if item.counties == s.plan.county_codes() {
        "all".to_string()
    } else {
        item.counties.join(" ")
    };
    let objects_text = match &item.measure {
        qingshan_plan::Measure::Objects { objects } => objects
            .iter()
            .map(|o| match &o.county {
                Some(c) => format!("{}|{c}", o.name),
                None => o.name.clone(),
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    };
    let units: Vec<Value> = s
        .plan
        .units
        .iter()
        .map(|u| json!({"id": u.id, "name": u.name}))
        .collect();
    page(
        "ledger_item.html",
        &auth,
        &s,
        context! { st => status, item, history, may_report, my_objects, counties_text, objects_text, units,
        supporting_text => item.supporting.join(" "),
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64),
        max_files => qingshan_app::evidence::MAX_FILES },
    )
}

/// Filter of the attention lists.
#[derive(Debug, Deserialize, Default)]
pub struct AttentionQuery {
    /// One county.
    #[serde(default)]
    pub county: Option<String>,
    /// One unit.
    #[serde(default)]
    pub unit: Option<String>,
}

impl AttentionQuery {
    fn party(&self) -> Option<Party> {
        match (&self.county, &self.unit) {
            (Some(c), _) if !c.is_empty() => Some(Party::County(c.clone())),
            (_, Some(u)) if !u.is_empty() => Some(Party::Unit(u.clone())),
            _ => None,
        }
    }
}

/// Returned and overdue parts grouped by county and by unit.
fn grouped(rows: &[ledger::AttentionRow]) -> (Vec<Value>, Vec<Value>) {
    let mut counties: Vec<(String, String, Vec<&ledger::AttentionRow>)> = Vec::new();
    let mut units: Vec<(String, String, Vec<&ledger::AttentionRow>)> = Vec::new();
    for r in rows {
        let list = match r.party {
            Party::County(_) => &mut counties,
            Party::Unit(_) => &mut units,
        };
        match list.iter_mut().find(|(c, _, _)| c == r.party.code()) {
            Some(g) => g.2.push(r),
            None => list.push((r.party.code().to_string(), r.party_name.clone(), vec![r])),
        }
    }
    let to_json = |l: Vec<(String, String, Vec<&ledger::AttentionRow>)>| {
        l.into_iter()
            .map(|(code, name, rows)| {
                json!({"code": code, "name": name,
                       "returned": rows.iter().filter(|r| r.reason == "returned").count(),
                       "overdue": rows.iter().filter(|r| r.reason == "overdue").count(),
                       "rows": rows})
            })
            .collect()
    };
    (to_json(counties), to_json(units))
}

/// `GET /ledger[?county=…|unit=…]` (signed in): returned reports and overdue parts, per county
/// and per unit.
pub async fn attention_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AttentionQuery>,
) -> Result<Response, PageError> {
    auth.require_user()?;
    let statuses = ledger::ledger(&s.store, &s.plan, today()).await?;
    let party = q.party();
    let rows = ledger::attention(&statuses, party.as_ref());
    let (counties, units) = grouped(&rows);
    let complete = statuses.iter().filter(|st| st.complete).count();
    page(
        "ledger.html",
        &auth,
        &s,
        context! { counties, units, statuses, complete, total => statuses.len(),
        filter => party.as_ref().map(|p| p.name(&s.plan)) },
    )
}

/// The report form's fields (the multipart parts).
async fn report_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    req: Request,
) -> Result<Response, PageError> {
    let up = read_upload(&s, &auth, &id, req).await?;
    let input = report_input(&up.fields, up.all("objects_done"));
    let csrf = up.fields.get("csrf_token").cloned();
    record(&s, &auth, &id, input, csrf.as_deref(), up.files).await?;
    Ok(Redirect::to(&format!("/ledger/items/{id}")).into_response())
}

/// Reads a multipart body once the requester is known to report on the item (nobody else
/// gets to send files); refusals are audited.
async fn read_upload(
    s: &AppState,
    auth: &Auth,
    id: &str,
    req: Request,
) -> Result<crate::web::upload::EvidenceForm, AppError> {
    let target = format!("item:{id}");
    let user = match auth.require_user() {
        Ok(u) => u.clone(),
        Err(e) => return Err(refuse(s, auth, "item_report.record", target, e, None).await),
    };
    let item = ledger::item(&s.store, &s.plan, id).await?;
    if let Err(e) = ledger::item_permission(&user, &item) {
        return Err(refuse(s, auth, "item_report.record", target, e.into(), None).await);
    }
    let mp = axum::extract::Multipart::from_request(req, s)
        .await
        .map_err(|r| {
            AppError::invalid(
                "body",
                format!("应为 multipart/form-data：{}", r.body_text()),
            )
        })?;
    match read_evidence_form(mp, s.config.evidence_max_bytes).await {
        Ok(up) => Ok(up),
        Err(e) => Err(refuse(s, auth, "item_evidence.upload", target, e, None).await),
    }
}

/// The review form.
#[derive(Debug, Deserialize, Default)]
pub struct ReviewForm {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// `accept` or `return`.
    #[serde(default)]
    pub decision: String,
    /// Reason (required to return).
    #[serde(default)]
    pub reason: String,
}

fn decision(d: &str) -> Result<bool, AppError> {
    match d {
        "accept" => Ok(true),
        "return" => Ok(false),
        _ => Err(AppError::invalid("decision", "应为“通过”或“退回”")),
    }
}

/// `POST /ledger/reports/{id}/review` (form; staff).
async fn review_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<ReviewForm>,
) -> Result<Response, PageError> {
    let accept = decision(&f.decision)?;
    let r = review(&s, &auth, id, accept, &f.reason, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/ledger/items/{}", r.item_id)).into_response())
}

/// The item form (staff): the fields of [`ItemInput`] and the CSRF token.
#[derive(Debug, Deserialize, Default)]
pub struct ItemForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The item.
    #[serde(flatten)]
    pub item: ItemInput,
}

/// `POST /ledger/items` (form; staff): a new item.
async fn add_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<ItemForm>,
) -> Result<Response, PageError> {
    let item = save(&s, &auth, None, f.item, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/ledger/items/{}", item.id)).into_response())
}

/// `POST /ledger/items/{id}/revise` (form; staff): a new revision of an item.
async fn revise_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    Form(f): Form<ItemForm>,
) -> Result<Response, PageError> {
    let item = save(&s, &auth, Some(&id), f.item, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/ledger/items/{}", item.id)).into_response())
}

/// `GET /ledger/evidence/{id}` (signed in): an evidence file, as an attachment.
async fn evidence_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    auth.require_user()?;
    let Some((meta, content)) = s.store.item_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的佐证材料")).into());
    };
    ledger::report_of_plan(&s.store, &s.plan, meta.report_id).await?;
    Ok(crate::web::download::stored_file(
        content,
        &meta.content_type,
        &meta.file_name,
    )?)
}

// ---- API ----------------------------------------------------------------------------------------

/// Filter of the item list.
#[derive(Debug, Deserialize, Default)]
pub struct ItemsQuery {
    /// Only this task ("3-1").
    #[serde(default)]
    pub task: Option<String>,
}

/// `GET /api/v1/ledger/items[?task=3-1]` (signed in): items with their roll-up.
async fn api_items(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ItemsQuery>,
) -> Result<Json<Value>, AppError> {
    auth.require_user()?;
    let statuses: Vec<_> = ledger::ledger(&s.store, &s.plan, today())
        .await?
        .into_iter()
        .filter(|st| q.task.as_deref().is_none_or(|t| st.item.task_code() == t))
        .collect();
    Ok(Json(json!({ "items": statuses })))
}

/// `GET /api/v1/ledger/items/{id}` (signed in): an item, its roll-up and every report revision.
async fn api_item(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
) -> Result<Json<Value>, AppError> {
    auth.require_user()?;
    let item = ledger::item(&s.store, &s.plan, &id).await?;
    let reports = s.store.item_reports(&s.plan.meta.id).await?;
    let status = ledger::rollup(&s.plan, &item, &reports, today());
    let mine: Vec<Value> = reports
        .iter()
        .filter(|r| r.item_id == id)
        .map(report_json)
        .collect();
    Ok(Json(json!({ "item": status, "reports": mine })))
}

/// `POST /api/v1/ledger/items` (staff): a new item (the fields of the form, with `reason`).
async fn api_add(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<ItemInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let input = match body {
        Ok(Json(b)) => b,
        Err(r) => {
            let e = AppError::rejected_body(&r.body_text());
            return Err(refuse(&s, &auth, "task_item.add", "item:".into(), e, None).await);
        }
    };
    let item = save(&s, &auth, None, input, csrf).await?;
    Ok((StatusCode::CREATED, Json(json!({ "item": item }))))
}

/// `POST /api/v1/ledger/items/{id}/revisions` (staff): a new revision of an item.
async fn api_revise(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    headers: HeaderMap,
    body: Result<Json<ItemInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let input = match body {
        Ok(Json(b)) => b,
        Err(r) => {
            let e = AppError::rejected_body(&r.body_text());
            return Err(refuse(&s, &auth, "task_item.revise", format!("item:{id}"), e, None).await);
        }
    };
    let item = save(&s, &auth, Some(&id), input, csrf).await?;
    Ok((StatusCode::CREATED, Json(json!({ "item": item }))))
}

/// The JSON body of a report.
#[derive(Debug, Deserialize, Default)]
pub struct ReportBody {
    /// Count value.
    #[serde(default)]
    pub value: Option<String>,
    /// Milestone: `yes` or `no`.
    #[serde(default)]
    pub done: Option<String>,
    /// Objects done.
    #[serde(default)]
    pub objects_done: Vec<String>,
    /// Narrative.
    #[serde(default)]
    pub narrative: String,
}

/// `POST /api/v1/ledger/items/{id}/reports`: a county or unit reports, as JSON or as
/// multipart/form-data with evidence files (parts named `files`).
async fn api_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<String>,
    req: Request,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = req
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let multipart = req
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.to_ascii_lowercase().starts_with("multipart/form-data"));
    let (input, files) = if multipart {
        let up = read_upload(&s, &auth, &id, req).await?;
        (report_input(&up.fields, up.all("objects_done")), up.files)
    } else {
        match Json::<ReportBody>::from_request(req, &s).await {
            Ok(Json(b)) => (
                ReportInput {
                    value: b.value,
                    done: b.done,
                    objects_done: b.objects_done,
                    narrative: b.narrative,
                },
                Files::default(),
            ),
            Err(r) => {
                let e = AppError::rejected_body(&r.body_text());
                return Err(refuse(
                    &s,
                    &auth,
                    "item_report.record",
                    format!("item:{id}"),
                    e,
                    None,
                )
                .await);
            }
        }
    };
    let (r, files) = record(&s, &auth, &id, input, csrf.as_deref(), files).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "report": report_json(&r), "evidence": files })),
    ))
}

/// `POST /api/v1/ledger/reports/{id}/review` with `{"decision": "accept"|"return", "reason": "…"}` (staff).
async fn api_review(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<ReviewForm>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let f = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let accept = decision(&f.decision)?;
    let r = review(&s, &auth, id, accept, &f.reason, csrf).await?;
    Ok(Json(json!({ "report": report_json(&r) })))
}

/// `GET /api/v1/ledger/attention[?county=…|unit=…]` (signed in): returned and overdue parts.
async fn api_attention(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<AttentionQuery>,
) -> Result<Json<Value>, AppError> {
    auth.require_user()?;
    let statuses = ledger::ledger(&s.store, &s.plan, today()).await?;
    let rows = ledger::attention(&statuses, q.party().as_ref());
    let (counties, units) = grouped(&rows);
    Ok(Json(
        json!({ "rows": rows, "by_county": counties, "by_unit": units }),
    ))
}

/// `GET /api/v1/ledger/todo` (signed in): the requester's open items and returned reports.
async fn api_todo(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Value>, AppError> {
    let user = auth.require_user()?.clone();
    let todo = ledger::todo_for(&s.store, &s.plan, &user, today()).await?;
    Ok(Json(json!(todo)))
}
