//! The complaints desk (信访投诉举报) on the web: the citizen's pages and API without sign-in
//! ([`public`]), and the staff's and handlers' side here: the list (state, county, overdue;
//! paged; CSV/XLSX with masked contacts), a case with its steps, photos and the forms of who
//! may act (accept, reject, merge, route; the handler's investigation and reply), and
//! `/api/v1/complaints…`. Who may do and see what is `qingshan_app::complaints`.

pub mod public;

use axum::extract::{Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::NaiveDate;
use minijinja::context;
use qingshan_app::complaints::{self, Detail, Handling, ListFilter, Routing};
use qingshan_store::{Complaint, ComplaintEvent, NewEvidence, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::{Query, filled};
use crate::web::table::Table;
use crate::web::upload::read_evidence_form;

/// The pages and API of the complaints desk; `max_file` is the evidence limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route("/public/complaints", get(public::public_page))
        .route(
            "/public/complaints/new",
            get(public::new_page)
                .post(public::submit_form)
                .layer(limit()),
        )
        .route(
            "/public/complaints/track",
            get(public::track_page).post(public::track_form),
        )
        .route("/public/complaints/rate", post(public::rate_form))
        .route("/api/v1/complaints/challenge", get(public::api_challenge))
        .route("/api/v1/complaints/submissions", post(public::api_submit))
        .route("/api/v1/complaints/track", post(public::api_track))
        .route("/api/v1/complaints/rate", post(public::api_rate))
        .route("/api/v1/complaints/stats", get(public::api_stats))
        .route("/complaints", get(list_page))
        .route("/complaints/export.csv", get(export_csv))
        .route("/complaints/export.xlsx", get(export_xlsx))
        .route("/complaints/files/{id}", get(file_download))
        .route("/complaints/{id}", get(complaint_page))
        .route("/complaints/{id}/accept", post(accept_form))
        .route("/complaints/{id}/reject", post(reject_form))
        .route("/complaints/{id}/merge", post(merge_form))
        .route("/complaints/{id}/route", post(route_form))
        .route("/complaints/{id}/handle", post(handle_form).layer(limit()))
        .route("/api/v1/complaints", get(api_list))
        .route("/api/v1/complaints/attention", get(api_attention))
        .route("/api/v1/complaints/enterprise/{code}", get(api_enterprise))
        .route("/api/v1/complaints/{id}", get(api_get))
        .route("/api/v1/complaints/{id}/accept", post(api_accept))
        .route("/api/v1/complaints/{id}/reject", post(api_reject))
        .route("/api/v1/complaints/{id}/merge", post(api_merge))
        .route("/api/v1/complaints/{id}/route", post(api_route))
        .route("/api/v1/complaints/{id}/handle", post(api_handle))
}

fn today() -> NaiveDate {
    qingshan_app::beijing::today()
}

fn county_name(s: &AppState, code: Option<&str>) -> String {
    code.and_then(|c| s.plan.division(c))
        .map_or_else(String::new, |d| d.name.clone())
}

fn handler_name(s: &AppState, c: &Complaint) -> String {
    match (&c.route_county, &c.route_unit) {
        (Some(k), _) => county_name(s, Some(k)),
        (None, Some(u)) => s.plan.unit(u).map_or_else(|| u.clone(), |u| u.name.clone()),
        _ => String::new(),
    }
}

/// A complaint as JSON for lists and pages: its codes with their Chinese labels. Coordinates
/// are left out unless `handler` (a complainant's map point can be their home).
fn complaint_json(s: &AppState, c: &Complaint, handler: bool) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    let due = complaints::due(c, today());
    if let Value::Object(m) = &mut v {
        if !handler {
            m.insert("longitude".into(), Value::Null);
            m.insert("latitude".into(), Value::Null);
        }
        m.insert(
            "state_label".into(),
            json!(labels::complaint_state(&c.state)),
        );
        m.insert(
            "category_label".into(),
            json!(labels::complaint_category(&c.category)),
        );
        m.insert(
            "finding_label".into(),
            json!(c.finding.as_deref().map(labels::complaint_finding)),
        );
        m.insert(
            "county_name".into(),
            json!(county_name(s, c.division_code.as_deref())),
        );
        m.insert(
            "division_match_label".into(),
            json!(
                c.division_match
                    .as_deref()
                    .map(complaints::division_match_label)
            ),
        );
        m.insert(
            "enterprise_match_label".into(),
            json!(
                c.enterprise_match
                    .as_deref()
                    .map(complaints::enterprise_match_label)
            ),
        );
        m.insert("handler_name".into(), json!(handler_name(s, c)));
        m.insert("due".into(), json!(due));
        m.insert("due_label".into(), json!(due.label()));
    }
    v
}

fn event_json(s: &AppState, e: &ComplaintEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind_label".into(), json!(labels::complaint_event(&e.kind)));
        let to = match (&e.for_county, &e.for_unit) {
            (Some(c), _) if e.kind == "route" => county_name(s, Some(c)),
            (_, Some(u)) => s.plan.unit(u).map_or_else(|| u.clone(), |u| u.name.clone()),
            _ => String::new(),
        };
        m.insert("to_label".into(), json!(to));
    }
    v
}

fn detail_json(s: &AppState, d: &Detail) -> Value {
    json!({
        "complaint": complaint_json(s, &d.complaint, d.handler),
        "handler": d.handler,
        "contact": d.contact,
        "events": d.events.iter().map(|e| event_json(s, e)).collect::<Vec<_>>(),
        "files": d.files,
        "merged": d.merged.iter().map(|c| complaint_json(s, c, false)).collect::<Vec<_>>(),
        "main": d.main.as_ref().map(|c| complaint_json(s, c, false)),
    })
}

/// Filters of the list (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// State: submitted, accepted, routed, closed, rejected, merged.
    pub state: Option<String>,
    /// Matched county (GB/T 2260).
    pub county: Option<String>,
    /// Linked enterprise's credit code.
    pub enterprise: Option<String>,
    /// `1`: only overdue (escalated) cases.
    pub overdue: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<ListFilter, AppError> {
    let state = filled(&q.state);
    if state
        .as_deref()
        .is_some_and(|k| !complaints::STATES.contains(&k))
    {
        return Err(AppError::invalid(
            "state",
            "应为 submitted（待受理）、accepted（已受理）、routed（已交办）、closed（已办结）、rejected（不予受理）或 merged（已合并）",
        ));
    }
    Ok(ListFilter {
        state,
        county: filled(&q.county),
        credit_code: filled(&q.enterprise),
        overdue: filled(&q.overdue).is_some_and(|v| v == "1" || v == "true"),
    })
}

async fn listed(
    s: &AppState,
    auth: &Auth,
    q: &ListQuery,
    limit: i64,
    offset: i64,
    target: &str,
) -> Result<(ListFilter, qingshan_store::Paged<Complaint>), AppError> {
    let f = filter_of(q)?;
    match complaints::list(&s.store, auth.user.as_ref(), &f, today(), limit, offset).await {
        Ok(p) => Ok((f, p)),
        Err(e) => Err(refuse_app(s, auth, "page.view", target.into(), e, None).await),
    }
}

/// `GET /complaints`: the cases the user may see, newest first, filtered and paged.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (f, paged) = listed(&s, &auth, &q, limit, offset, "page:/complaints").await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/complaints",
        raw.as_deref(),
    );
    let list: Vec<Value> = paged
        .items
        .iter()
        .map(|c| complaint_json(&s, c, false))
        .collect();
    let staff = complaints::may_triage(auth.user.as_ref()).is_ok();
    let attention = if staff {
        Some(complaints::attention(&s.store, today()).await?)
    } else {
        None
    };
    let states: Vec<Value> = complaints::STATES
        .iter()
        .map(|c| json!({ "code": c, "label": labels::complaint_state(c) }))
        .collect();
    let counties: Vec<Value> = s
        .plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect();
    let export_query = raw
        .as_deref()
        .map(|r| {
            r.split('&')
                .filter(|p| !p.starts_with("page="))
                .collect::<Vec<_>>()
                .join("&")
        })
        .unwrap_or_default();
    page(
        "complaints.html",
        &auth,
        &s,
        context! { complaints => list, total => paged.total, pager, staff, attention, states, counties,
        q => json!({ "state": f.state, "county": f.county, "enterprise": f.credit_code, "overdue": f.overdue }),
        export_query },
    )
}

/// Most rows an export holds.
const EXPORT_MAX: i64 = 5_000;

async fn export(s: AppState, auth: Auth, q: ListQuery, format: &str) -> Result<Response, AppError> {
    let target = format!("page:/complaints/export.{format}");
    let (_, paged) = listed(&s, &auth, &q, EXPORT_MAX, 0, &target).await?;
    let (columns, rows) =
        complaints::export_table(&s.store, &s.plan, &paged.items, today()).await?;
    Table {
        name: "投诉举报台账".into(),
        columns,
        rows,
        numbers: false,
    }
    .download(format, "complaints")
}

/// `GET /complaints/export.csv`: the list as CSV, contacts masked (formulas neutralised).
pub async fn export_csv(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(export(s, auth, q, "csv").await?)
}

/// `GET /complaints/export.xlsx`: the list as an XLSX workbook, contacts masked.
pub async fn export_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(export(s, auth, q, "xlsx").await?)
}

async fn detail(s: &AppState, auth: &Auth, id: i64, target: String) -> Result<Detail, AppError> {
    match complaints::detail(&s.store, auth.user.as_ref(), &auth.actor(), id).await {
        Ok(d) => Ok(d),
        Err(e) => Err(refuse_app(s, auth, "page.view", target, e, None).await),
    }
}

/// `GET /complaints/{id}`: a case with its steps and files, and the forms the user may use.
pub async fn complaint_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = detail(&s, &auth, id, format!("page:/complaints/{id}")).await?;
    let staff = complaints::may_triage(auth.user.as_ref()).is_ok();
    let open = matches!(
        d.complaint.state.as_str(),
        "submitted" | "accepted" | "routed"
    );
    let may_handle = d.handler && matches!(d.complaint.state.as_str(), "accepted" | "routed");
    let units: Vec<Value> = s
        .plan
        .units
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name }))
        .collect();
    let counties: Vec<Value> = s
        .plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect();
    let findings: Vec<Value> = complaints::FINDINGS
        .iter()
        .map(|c| json!({ "code": c, "label": labels::complaint_finding(c) }))
        .collect();
    let v = detail_json(&s, &d);
    let mut r = page(
        "complaint.html",
        &auth,
        &s,
        context! { d => v, staff, open, may_handle, units, counties, findings,
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL },
    )?;
    r.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("private, no-store"),
    );
    Ok(r)
}

/// `GET /complaints/files/{id}`: a photo (metadata already stripped) or an evidence file of a
/// case the user may see.
pub async fn file_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    match complaints::file(&s.store, auth.user.as_ref(), id).await {
        Ok((meta, content)) => Ok(crate::web::download::stored_file(
            content,
            &meta.content_type,
            &meta.file_name,
        )?),
        Err(e) => Err(refuse_app(
            &s,
            &auth,
            "page.view",
            format!("page:/complaints/files/{id}"),
            e,
            None,
        )
        .await
        .into()),
    }
}

/// A step's input, from a form or a JSON body.
#[derive(Debug, Deserialize, Default)]
pub struct StepBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Reason (reject), instructions (route), a note (accept).
    #[serde(default)]
    pub note: Option<String>,
    /// The main case, by id or case number (merge).
    #[serde(default)]
    pub into: Option<String>,
    /// County code (route).
    #[serde(default)]
    pub county: Option<String>,
    /// Unit id (route).
    #[serde(default)]
    pub unit: Option<String>,
    /// Deadline YYYY-MM-DD (route).
    #[serde(default)]
    pub due_by: Option<String>,
    /// The investigation (handle).
    #[serde(default)]
    pub investigation: Option<String>,
    /// substantiated, partly, unsubstantiated (handle).
    #[serde(default)]
    pub finding: Option<String>,
    /// Measures (handle).
    #[serde(default)]
    pub measures: Option<String>,
    /// Reply (handle).
    #[serde(default)]
    pub reply: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Accept,
    Reject,
    Merge,
    Route,
    Handle,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Accept => "complaint.accept",
            Step::Reject => "complaint.reject",
            Step::Merge => "complaint.merge",
            Step::Route => "complaint.route",
            Step::Handle => "complaint.handle",
        }
    }
}

async fn step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    st: Step,
    b: &StepBody,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Complaint, AppError> {
    let target = format!("complaint:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, st.action(), target, e, None).await);
    }
    let (user, actor) = (auth.user.as_ref(), auth.actor());
    let settings = &s.config.complaints;
    let done = match st {
        Step::Accept => {
            complaints::accept(
                &s.store,
                user,
                &actor,
                id,
                b.note.as_deref(),
                settings,
                today(),
            )
            .await
        }
        Step::Reject => {
            complaints::reject(&s.store, user, &actor, id, b.note.as_deref().unwrap_or("")).await
        }
        Step::Merge => {
            complaints::merge(&s.store, user, &actor, id, b.into.as_deref().unwrap_or("")).await
        }
        Step::Route => {
            let r = Routing {
                county: b.county.clone(),
                unit: b.unit.clone(),
                due_by: b.due_by.clone(),
                note: b.note.clone(),
            };
            complaints::route(&s.store, &s.plan, user, &actor, id, &r, settings, today()).await
        }
        Step::Handle => {
            let h = Handling {
                investigation: b.investigation.clone().unwrap_or_default(),
                finding: b.finding.clone().unwrap_or_default(),
                measures: b.measures.clone().unwrap_or_default(),
                reply: b.reply.clone().unwrap_or_default(),
            };
            complaints::handle(&s.store, user, &actor, id, &h, files).await
        }
    };
    match done {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(s, auth, st.action(), target, e, None).await),
    }
}

async fn form_step(
    s: AppState,
    auth: Auth,
    id: i64,
    st: Step,
    b: StepBody,
) -> Result<Response, PageError> {
    step(&s, &auth, id, st, &b, &[], b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/complaints/{id}")).into_response())
}

/// `POST /complaints/{id}/accept` (staff).
pub async fn accept_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::Accept, b).await
}

/// `POST /complaints/{id}/reject` (staff): `note` = the reason.
pub async fn reject_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::Reject, b).await
}

/// `POST /complaints/{id}/merge` (staff): `into` = the main case.
pub async fn merge_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::Merge, b).await
}

/// `POST /complaints/{id}/route` (staff): `county` or `unit`, `due_by`, `note`.
pub async fn route_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::Route, b).await
}

/// `POST /complaints/{id}/handle` (multipart; the handler or staff): investigation, finding,
/// measures, reply and evidence files.
pub async fn handle_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = match qingshan_app::evidence::check_files(
        std::mem::take(&mut up.files),
        s.config.evidence_max_bytes,
    ) {
        Ok(v) => v,
        Err(b) => {
            let (e, name) = *b;
            return Err(refuse(
                &s,
                &auth,
                "complaint.file",
                format!("complaint:{id}"),
                e.into(),
                name,
            )
            .await
            .into());
        }
    };
    let get = |n: &str| up.fields.get(n).cloned();
    let b = StepBody {
        csrf_token: get("csrf_token"),
        investigation: get("investigation"),
        finding: get("finding"),
        measures: get("measures"),
        reply: get("reply"),
        ..Default::default()
    };
    step(
        &s,
        &auth,
        id,
        Step::Handle,
        &b,
        &files,
        b.csrf_token.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/complaints/{id}")).into_response())
}

/// `GET /api/v1/complaints`: the cases the user may see (`state`, `county`, `enterprise`,
/// `overdue`, `page`); coordinates and contacts are not in lists.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (_, paged) = listed(&s, &auth, &q, limit, offset, "page:/api/v1/complaints").await?;
    let items: Vec<Value> = paged
        .items
        .iter()
        .map(|c| complaint_json(&s, c, false))
        .collect();
    Ok(Json(
        json!({ "complaints": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/complaints/attention` (staff): overdue (escalated) and open cases.
pub async fn api_attention(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Json<Value>, AppError> {
    if let Err(e) = complaints::may_triage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/api/v1/complaints/attention".into(),
            e.into(),
            None,
        )
        .await);
    }
    let a = complaints::attention(&s.store, today()).await?;
    Ok(Json(json!(a)))
}

/// `GET /api/v1/complaints/enterprise/{code}`: the cases linked to an enterprise (its record),
/// with the substantiated ones of this year for its credit rating.
pub async fn api_enterprise(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
) -> Result<Json<Value>, AppError> {
    let list = match complaints::for_enterprise(&s.store, auth.user.as_ref(), &code).await {
        Ok(l) => l,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/api/v1/complaints/enterprise/{code}"),
                e,
                None,
            )
            .await);
        }
    };
    let year = chrono::Datelike::year(&today());
    let substantiated = complaints::substantiated_for(&s.store, &code, year).await?;
    Ok(Json(
        json!({ "credit_code": code, "complaints": list, "year": year, "substantiated": substantiated }),
    ))
}

/// `GET /api/v1/complaints/{id}`: one case with its steps and files; contact details in full
/// only for its handler (masked otherwise).
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let d = detail(&s, &auth, id, format!("page:/api/v1/complaints/{id}")).await?;
    Ok(Json(detail_json(&s, &d)))
}

async fn api_step(
    s: AppState,
    auth: Auth,
    id: i64,
    st: Step,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = body.map(|b| b.0).unwrap_or_default();
    let c = step(&s, &auth, id, st, &b, &[], csrf).await?;
    Ok(Json(json!({ "complaint": complaint_json(&s, &c, true) })))
}

/// `POST /api/v1/complaints/{id}/accept` (staff): `note`.
pub async fn api_accept(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Accept, headers, body).await
}

/// `POST /api/v1/complaints/{id}/reject` (staff): `note` = the reason.
pub async fn api_reject(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Reject, headers, body).await
}

/// `POST /api/v1/complaints/{id}/merge` (staff): `into` = the main case (id or number).
pub async fn api_merge(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Merge, headers, body).await
}

/// `POST /api/v1/complaints/{id}/route` (staff): `county` or `unit`, `due_by`, `note`.
pub async fn api_route(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Route, headers, body).await
}

/// `POST /api/v1/complaints/{id}/handle` (the handler or staff): `investigation`, `finding`,
/// `measures`, `reply` (evidence files through the form).
pub async fn api_handle(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Handle, headers, body).await
}
