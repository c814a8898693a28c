//! 督办单 on the web: the list (state, county, overdue; paged), an order's page with its steps,
//! the enterprise's reply form (with evidence files) and the staff's forms (退回/办结; 转立案 is
//! the opening of a case, `/cases/new?order=N`),
//! the issue form posted from an incident's page, and the JSON API `/api/v1/orders`. Who may do
//! what is `qingshan_app::orders`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::orders;
use qingshan_store::{NewEvidence, Order, OrderEvent, OrderFilter, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;
use crate::web::upload::read_evidence_form;

/// The pages and API of orders; `max_file` is the evidence file limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    Router::new()
        .route("/orders", get(list_page))
        .route("/orders/new", post(issue_form))
        .route("/orders/{id}", get(order_page))
        .route(
            "/orders/{id}/reply",
            post(reply_form).layer(axum::extract::DefaultBodyLimit::max(
                qingshan_app::evidence::body_limit(max_file),
            )),
        )
        .route("/orders/{id}/return", post(return_form))
        .route("/orders/{id}/accept", post(accept_form))
        .route("/orders/evidence/{id}", get(evidence_download))
        .route("/api/v1/orders", get(api_list).post(api_issue))
        .route("/api/v1/orders/{id}", get(api_get))
        .route("/api/v1/orders/{id}/reply", post(api_reply))
        .route("/api/v1/orders/{id}/return", post(api_return))
        .route("/api/v1/orders/{id}/accept", post(api_accept))
}

fn order_json(o: &Order) -> Value {
    let mut v = serde_json::to_value(o).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("state_label".into(), json!(labels::order_state(&o.state)));
        m.insert("overdue".into(), json!(orders::is_overdue(o, Utc::now())));
    }
    v
}

fn event_json(e: &OrderEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind_label".into(), json!(labels::order_event(&e.kind)));
    }
    v
}

/// Filters of the list (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// State: issued, replied, returned, accepted, escalated.
    pub state: Option<String>,
    /// County (staff; county officials always see their own).
    pub county: Option<String>,
    /// `1`: overdue ones only.
    pub overdue: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<OrderFilter, AppError> {
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(st) = some(&q.state)
        && !matches!(
            st.as_str(),
            "issued" | "replied" | "returned" | "accepted" | "escalated"
        )
    {
        return Err(AppError::invalid(
            "state",
            "应为 issued、replied、returned、accepted 或 escalated",
        ));
    }
    let overdue = match q.overdue.as_deref().map(str::trim).unwrap_or("") {
        "" | "0" => false,
        "1" | "true" => true,
        _ => return Err(AppError::invalid("overdue", "应为 1（仅逾期）或留空")),
    };
    Ok(OrderFilter {
        division_code: some(&q.county),
        credit_code: None,
        state: some(&q.state),
        overdue_at: overdue.then(|| qingshan_app::marks::stored_time(Utc::now())),
    })
}

/// Overdue orders per county for the bureau and county officials; none for an enterprise
/// account (the count is the bureau's; its list still flags its own overdue orders).
async fn overdue_counts(s: &AppState, auth: &Auth) -> Result<Vec<(Option<String>, i64)>, AppError> {
    if auth
        .user
        .as_ref()
        .and_then(qingshan_app::scope::confined_to)
        .is_some()
    {
        return Ok(Vec::new());
    }
    Ok(orders::overdue_by_county(&s.store, auth.user.as_ref(), Utc::now()).await?)
}

/// `GET /orders`: the orders the user may see, newest first, filtered and paged, with the
/// overdue count per county for the bureau.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    if let Err(e) = orders::list_scope(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/orders".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = orders::list(&s.store, auth.user.as_ref(), filter.clone(), limit, offset).await?;
    let pager = paging::Pager::new(n, paging::PER_PAGE, paged.total, "/orders", raw.as_deref());
    let list: Vec<Value> = paged.items.iter().map(order_json).collect();
    let county_name = |c: &Option<String>| {
        c.as_deref()
            .and_then(|c| s.plan.division(c))
            .map_or_else(|| "未登记区县".to_string(), |d| d.name.clone())
    };
    let overdue: Vec<Value> = overdue_counts(&s, &auth)
        .await?
        .iter()
        .map(|(c, n)| json!({ "code": c, "name": county_name(c), "count": n }))
        .collect();
    let counties: Vec<Value> = if auth.is_staff() {
        s.plan
            .divisions
            .iter()
            .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
            .map(|d| json!({ "code": d.code, "name": d.name }))
            .collect()
    } else {
        Vec::new()
    };
    page(
        "orders.html",
        &auth,
        &s,
        context! { orders => list, q => json!({
            "county": filter.division_code, "state": filter.state, "overdue": filter.overdue_at.is_some(),
        }), counties, overdue, pager, total => paged.total },
    )
}

/// `GET /orders/{id}`: an order, its steps and evidence, the reply form for the addressed
/// enterprise and the staff's forms.
pub async fn order_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let (o, events) = match orders::get(&s.store, auth.user.as_ref(), id).await {
        Ok(v) => v,
        Err(e @ (qingshan_app::Error::Forbidden(_) | qingshan_app::Error::Unauthenticated)) => {
            return Err(refuse(
                &s,
                &auth,
                "page.view",
                format!("page:/orders/{id}"),
                e.into(),
                None,
            )
            .await
            .into());
        }
        Err(e) => return Err(AppError::from(e).into()),
    };
    let evidence = s.store.order_evidence(id).await?;
    let is_addressee = auth
        .user
        .as_ref()
        .and_then(qingshan_app::scope::confined_to)
        == Some(o.credit_code.as_str());
    let may_reply = is_addressee && matches!(o.state.as_str(), "issued" | "returned");
    let may_handle = orders::may_handle(auth.user.as_ref()).is_ok();
    let events: Vec<Value> = events.iter().map(event_json).collect();
    let max = s.config.evidence_max_bytes as u64;
    page(
        "order.html",
        &auth,
        &s,
        context! { o => order_json(&o), events, evidence, may_reply, may_handle,
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(max), max_files => qingshan_app::evidence::MAX_FILES },
    )
}

/// The issue form's fields (posted from an incident's page).
#[derive(Debug, Deserialize)]
pub struct IssueForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The incident.
    pub incident_id: i64,
    /// Title; defaults to "事件 N 督办".
    #[serde(default)]
    pub title: Option<String>,
    /// Requirement.
    #[serde(default)]
    pub requirement: String,
    /// Deadline: Beijing time or RFC 3339.
    #[serde(default)]
    pub deadline: String,
}

async fn issue(
    s: &AppState,
    auth: &Auth,
    f: &IssueForm,
    csrf: Option<&str>,
) -> Result<Order, AppError> {
    let target = format!("incident:{}", f.incident_id);
    let check = orders::may_handle(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "order.issue", target, e, None).await);
    }
    let title = f
        .title
        .as_deref()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map_or_else(|| format!("事件 {} 督办", f.incident_id), str::to_string);
    let now = Utc::now();
    let result = match qingshan_app::marks::parse_time("deadline", &f.deadline) {
        Ok(d) => {
            orders::issue(
                &s.store,
                auth.user.as_ref(),
                &auth.actor(),
                f.incident_id,
                &title,
                &f.requirement,
                d,
                now,
            )
            .await
        }
        Err(e) => Err(e),
    };
    match result {
        Ok(o) => Ok(o),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "order.issue",
            target,
            e,
            Some(f.requirement.clone()),
        )
        .await),
    }
}

/// `POST /orders/new` (form on an incident's page; staff).
pub async fn issue_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<IssueForm>,
) -> Result<Response, PageError> {
    let o = issue(&s, &auth, &f, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/orders/{}", o.id)).into_response())
}

async fn reply(
    s: &AppState,
    auth: &Auth,
    id: i64,
    explanation: &str,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Order, AppError> {
    let target = format!("order:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, "order.reply", target, e, None).await);
    }
    match orders::reply(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        explanation,
        files,
    )
    .await
    {
        Ok(o) => Ok(o),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "order.reply",
            target,
            e,
            Some(explanation.to_string()),
        )
        .await),
    }
}

/// `POST /orders/{id}/reply` (multipart: the explanation and up to ten evidence files; the
/// addressed enterprise).
pub async fn reply_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let csrf = up.fields.get("csrf_token").cloned();
    let explanation = up.fields.get("explanation").cloned().unwrap_or_default();
    let files = match qingshan_app::evidence::check_files(up.files, s.config.evidence_max_bytes) {
        Ok(v) => v,
        Err(b) => {
            let (e, name) = *b;
            return Err(refuse(
                &s,
                &auth,
                "order.evidence",
                format!("order:{id}"),
                e.into(),
                name,
            )
            .await
            .into());
        }
    };
    reply(&s, &auth, id, &explanation, &files, csrf.as_deref()).await?;
    Ok(Redirect::to(&format!("/orders/{id}")).into_response())
}

/// A staff step's fields.
#[derive(Debug, Deserialize, Default)]
pub struct StepForm {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Note; the reason of a return.
    #[serde(default)]
    pub note: Option<String>,
    /// New deadline of a return: Beijing time or RFC 3339.
    #[serde(default)]
    pub new_deadline: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Return,
    Accept,
}

async fn staff_step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    step: Step,
    f: &StepForm,
    csrf: Option<&str>,
) -> Result<Order, AppError> {
    let action = match step {
        Step::Return => "order.return",
        Step::Accept => "order.accept",
    };
    let target = format!("order:{id}");
    let check = orders::may_handle(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, action, target, e, f.note.clone()).await);
    }
    let user = auth.user.as_ref();
    let actor = auth.actor();
    let note = f.note.as_deref();
    let done = match step {
        Step::Return => match qingshan_app::marks::parse_time(
            "new_deadline",
            f.new_deadline.as_deref().unwrap_or(""),
        ) {
            Ok(d) => {
                orders::send_back(
                    &s.store,
                    user,
                    &actor,
                    id,
                    note.unwrap_or(""),
                    d,
                    Utc::now(),
                )
                .await
            }
            Err(e) => Err(e),
        },
        Step::Accept => orders::accept(&s.store, user, &actor, id, note).await,
    };
    match done {
        Ok(o) => Ok(o),
        Err(e) => Err(refuse_app(s, auth, action, target, e, f.note.clone()).await),
    }
}

async fn step_form(
    s: AppState,
    auth: Auth,
    id: i64,
    step: Step,
    f: StepForm,
) -> Result<Response, PageError> {
    staff_step(&s, &auth, id, step, &f, f.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/orders/{id}")).into_response())
}

/// `POST /orders/{id}/return` (form; staff): reason and new deadline.
pub async fn return_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    step_form(s, auth, id, Step::Return, f).await
}

/// `POST /orders/{id}/accept` (form; staff).
pub async fn accept_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(f): Form<StepForm>,
) -> Result<Response, PageError> {
    step_form(s, auth, id, Step::Accept, f).await
}

/// `GET /orders/evidence/{id}`: an evidence file of an order the user may see.
pub async fn evidence_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let Some((meta, content)) = s.store.order_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的佐证材料")).into());
    };
    if let Err(e) = orders::get(&s.store, auth.user.as_ref(), meta.order_id).await {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            format!("page:/orders/evidence/{id}"),
            e.into(),
            None,
        )
        .await
        .into());
    }
    Ok(crate::web::download::stored_file(
        content,
        &meta.content_type,
        &meta.file_name,
    )?)
}

/// `GET /api/v1/orders`: orders the user may see, newest first (`state`, `county`, `overdue`,
/// `page`), with the overdue count per county for the bureau.
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = match orders::list(&s.store, auth.user.as_ref(), filter, limit, offset).await {
        Ok(p) => p,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                "page:/api/v1/orders".into(),
                e,
                None,
            )
            .await);
        }
    };
    let items: Vec<Value> = paged.items.iter().map(order_json).collect();
    let overdue: Vec<Value> = overdue_counts(&s, &auth)
        .await?
        .into_iter()
        .map(|(c, n)| json!({ "division_code": c, "count": n }))
        .collect();
    Ok(Json(
        json!({ "orders": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE, "overdue_by_county": overdue }),
    ))
}

/// `GET /api/v1/orders/{id}`: one order with its steps and evidence files.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let (o, events) = match orders::get(&s.store, auth.user.as_ref(), id).await {
        Ok(v) => v,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/api/v1/orders/{id}"),
                e,
                None,
            )
            .await);
        }
    };
    let evidence = s.store.order_evidence(id).await?;
    let events: Vec<Value> = events.iter().map(event_json).collect();
    Ok(Json(
        json!({ "order": order_json(&o), "events": events, "evidence": evidence }),
    ))
}

/// Body of `POST /api/v1/orders`.
#[derive(Debug, Deserialize)]
pub struct IssueBody {
    /// The incident.
    pub incident_id: i64,
    /// Title; defaults to "事件 N 督办".
    #[serde(default)]
    pub title: Option<String>,
    /// Requirement.
    pub requirement: String,
    /// Deadline: RFC 3339, or Beijing time `YYYY-MM-DD HH:MM`.
    pub deadline: String,
}

/// `POST /api/v1/orders` (staff): issues an order on an incident.
pub async fn api_issue(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<IssueBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = orders::may_handle(auth.user.as_ref()) {
        return Err(refuse(&s, &auth, "order.issue", "order:new".into(), e.into(), None).await);
    }
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let f = IssueForm {
        csrf_token: None,
        incident_id: b.incident_id,
        title: b.title,
        requirement: b.requirement,
        deadline: b.deadline,
    };
    let o = issue(&s, &auth, &f, csrf).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "order": order_json(&o) })),
    ))
}

/// Body of a reply through the API (evidence files go through the form).
#[derive(Debug, Deserialize, Default)]
pub struct ReplyBody {
    /// Explanation.
    #[serde(default)]
    pub explanation: String,
}

/// `POST /api/v1/orders/{id}/reply` (the addressed enterprise).
pub async fn api_reply(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ReplyBody>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = body.map(|b| b.0).unwrap_or_default();
    let o = reply(&s, &auth, id, &b.explanation, &[], csrf).await?;
    Ok(Json(json!({ "order": order_json(&o) })))
}

async fn api_step(
    s: AppState,
    auth: Auth,
    id: i64,
    step: Step,
    headers: HeaderMap,
    body: Option<Json<StepForm>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let f = body.map(|b| b.0).unwrap_or_default();
    let o = staff_step(&s, &auth, id, step, &f, csrf).await?;
    Ok(Json(json!({ "order": order_json(&o) })))
}

/// `POST /api/v1/orders/{id}/return` with `{"note": "理由", "new_deadline": "…"}` (staff).
pub async fn api_return(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepForm>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Return, headers, body).await
}

/// `POST /api/v1/orders/{id}/accept` with an optional `{"note": "…"}` (staff).
pub async fn api_accept(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepForm>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Accept, headers, body).await
}
