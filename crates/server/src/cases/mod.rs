//! Cases (立案 → 处罚决定 → 整改 → 复查 → 销号) on the web: the list (state, county, overdue
//! rectification; paged), the opening form (from an incident or an order, which becomes
//! 转立案), a case's page with its articles, decision, steps, incidents, evidence frames and
//! documents and the forms of the step due, the case file as PDF, and the JSON API
//! `/api/v1/cases` with the list of penalty articles `/api/v1/legal-bases`. Who may do what is
//! `qingshan_app::cases`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::cases::{self, Decision, Opening};
use qingshan_store::{Case, CaseEvent, CaseFilter, NewEvidence, labels};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::Query;
use crate::web::upload::{EvidenceForm, read_evidence_form};

/// The pages and API of cases; `max_file` is the document file limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route("/cases", get(list_page).post(open_form).layer(limit()))
        .route("/cases/new", get(new_page))
        .route("/cases/{id}", get(case_page))
        .route("/cases/{id}/decide", post(decide_form).layer(limit()))
        .route("/cases/{id}/report", post(report_form).layer(limit()))
        .route("/cases/{id}/check", post(check_form).layer(limit()))
        .route("/cases/{id}/close", post(close_form))
        .route("/cases/{id}/case.pdf", get(case_pdf))
        .route("/cases/documents/{id}", get(document_download))
        .route("/api/v1/legal-bases", get(api_bases))
        .route("/api/v1/cases", get(api_list).post(api_open))
        .route("/api/v1/cases/{id}", get(api_get))
        .route("/api/v1/cases/{id}/decide", post(api_decide))
        .route("/api/v1/cases/{id}/report", post(api_report))
        .route("/api/v1/cases/{id}/check", post(api_check))
        .route("/api/v1/cases/{id}/close", post(api_close))
}

const STATES: [&str; 5] = ["filed", "decided", "rectifying", "checked", "closed"];

fn case_json(c: &Case) -> Value {
    let mut v = serde_json::to_value(c).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("state_label".into(), json!(labels::case_state(&c.state)));
        m.insert(
            "measures_label".into(),
            json!(c.measures.as_deref().map(labels::case_measures)),
        );
        m.insert(
            "penalty_yuan".into(),
            json!(c.penalty_fen.map(|f| format!("{}.{:02}", f / 100, f % 100))),
        );
        m.insert("overdue".into(), json!(cases::is_overdue(c, Utc::now())));
    }
    v
}

fn event_json(e: &CaseEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("kind_label".into(), json!(labels::case_event(&e.kind)));
    }
    v
}

fn bases_json() -> Value {
    let items: Vec<Value> = qingshan_sources::legal::bases()
        .iter()
        .map(|b| {
            let mut v = serde_json::to_value(b).unwrap_or(Value::Null);
            if let Value::Object(m) = &mut v {
                m.insert("citation".into(), json!(b.citation()));
                m.insert("fine_range".into(), json!(b.range_text()));
                m.insert("medium_label".into(), json!(b.medium_label()));
            }
            v
        })
        .collect();
    let measures: Vec<Value> = qingshan_sources::legal::MEASURES
        .iter()
        .map(|(c, n)| json!({ "code": c, "name": n }))
        .collect();
    json!({ "bases": items, "measures": measures })
}

/// Filters of the list (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// State: filed, decided, rectifying, checked, closed.
    pub state: Option<String>,
    /// County (staff; county officials always see their own).
    pub county: Option<String>,
    /// `1`: cases whose rectification deadline passed only.
    pub overdue: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<CaseFilter, AppError> {
    let some = |v: &Option<String>| {
        v.as_deref()
            .map(str::trim)
            .filter(|v| !v.is_empty())
            .map(str::to_string)
    };
    if let Some(st) = some(&q.state)
        && !STATES.contains(&st.as_str())
    {
        return Err(AppError::invalid(
            "state",
            "应为 filed（已立案）、decided（已作出处罚决定）、rectifying（整改中）、checked（复查合格）或 closed（已销号）",
        ));
    }
    let overdue = match q.overdue.as_deref().map(str::trim).unwrap_or("") {
        "" | "0" => false,
        "1" | "true" => true,
        _ => return Err(AppError::invalid("overdue", "应为 1（仅整改逾期）或留空")),
    };
    Ok(CaseFilter {
        division_code: some(&q.county),
        credit_code: None,
        state: some(&q.state),
        overdue_at: overdue.then(|| qingshan_app::marks::stored_time(Utc::now())),
    })
}

/// `GET /cases`: the cases the user may see, newest first, filtered and paged.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = match cases::list(&s.store, auth.user.as_ref(), filter.clone(), limit, offset).await
    {
        Ok(p) => p,
        Err(e) => {
            return Err(
                refuse_app(&s, &auth, "page.view", "page:/cases".into(), e, None)
                    .await
                    .into(),
            );
        }
    };
    let pager = paging::Pager::new(n, paging::PER_PAGE, paged.total, "/cases", raw.as_deref());
    let list: Vec<Value> = paged.items.iter().map(case_json).collect();
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
    let states: Vec<Value> = STATES
        .iter()
        .map(|c| json!({ "code": c, "label": labels::case_state(c) }))
        .collect();
    page(
        "cases.html",
        &auth,
        &s,
        context! { cases => list, q => json!({
            "county": filter.division_code, "state": filter.state, "overdue": filter.overdue_at.is_some(),
        }), counties, states, pager, total => paged.total },
    )
}

/// Where the opening form starts from.
#[derive(Debug, Deserialize, Default)]
pub struct NewQuery {
    /// An incident.
    pub incident: Option<i64>,
    /// An order (its incident is linked; the order becomes 转立案).
    pub order: Option<i64>,
}

/// `GET /cases/new?incident=N` or `?order=N` (staff): the opening form with the incident's
/// facts suggested and the articles that fit its medium first.
pub async fn new_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<NewQuery>,
) -> Result<Response, PageError> {
    if let Err(e) = cases::may_handle(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/cases/new".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    let order = match q.order {
        Some(id) => Some(
            qingshan_app::orders::get(&s.store, auth.user.as_ref(), id)
                .await
                .map_err(AppError::from)?
                .0,
        ),
        None => None,
    };
    let incident_id = order
        .as_ref()
        .map(|o| o.incident_id)
        .or(q.incident)
        .ok_or_else(|| {
            AppError::invalid(
                "incident",
                "请从事件或督办单页面进入立案（缺少事件或督办单编号）",
            )
        })?;
    let d = qingshan_app::incidents::detail(&s.store, auth.user.as_ref(), incident_id)
        .await
        .map_err(AppError::from)?;
    let i = &d.incident;
    let facts = format!(
        "{}（统一社会信用代码 {}）{}监测设备 {} 自 {} 起{}出现{}：{}，峰值 {}{}，累计 {} 小时。",
        i.enterprise.as_deref().unwrap_or("未登记单位"),
        i.credit_code.as_deref().unwrap_or("—"),
        i.outlet.as_deref().unwrap_or("—"),
        i.mn,
        qingshan_app::display::time(&i.start_time),
        i.end_time
            .as_deref()
            .map(|e| format!("至 {} ", qingshan_app::display::time(e)))
            .unwrap_or_else(|| "（持续中）".into()),
        qingshan_sources::supervision::AlarmKind::parse(&i.kind).map_or("告警", |k| k.label()),
        qingshan_app::display::factor(&i.factor),
        i.peak.as_deref().unwrap_or("—"),
        d.multiple
            .as_deref()
            .map(|m| format!("（超标 {m} 倍）"))
            .unwrap_or_default(),
        i.hours
    );
    let bases = bases_json();
    page(
        "case_new.html",
        &auth,
        &s,
        context! { incident => json!(i), order => order.map(|o| json!(o)), facts,
        title => format!("{}超标排放", i.enterprise.as_deref().unwrap_or("")),
        bases => bases["bases"].clone(),
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => qingshan_app::evidence::MAX_FILES },
    )
}

async fn checked_files(
    s: &AppState,
    auth: &Auth,
    up: &mut EvidenceForm,
    target: String,
) -> Result<Vec<NewEvidence>, AppError> {
    let files = std::mem::take(&mut up.files);
    match qingshan_app::evidence::check_files(files, s.config.evidence_max_bytes) {
        Ok(v) => Ok(v),
        Err(b) => {
            let (e, name) = *b;
            Err(refuse(s, auth, "case.evidence", target, e.into(), name).await)
        }
    }
}

fn ids(values: &[String], field: &str) -> Result<Vec<i64>, AppError> {
    values
        .iter()
        .map(|v| v.trim())
        .filter(|v| !v.is_empty())
        .map(|v| {
            v.parse::<i64>()
                .map_err(|_| AppError::invalid(field, format!("「{v}」不是编号")))
        })
        .collect()
}

async fn open(
    s: &AppState,
    auth: &Auth,
    o: &Opening,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Case, AppError> {
    let target = "case:new".to_string();
    let check = cases::may_handle(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "case.file", target, e, None).await);
    }
    match cases::open(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        o,
        files,
        Utc::now(),
    )
    .await
    {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(s, auth, "case.file", target, e, Some(o.title.clone())).await),
    }
}

/// `POST /cases` (multipart; staff): opens a case with its documents.
pub async fn open_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, "case:new".into()).await?;
    let order_id = ids(&up.all("order_id"), "order_id")?.first().copied();
    let o = Opening {
        incident_ids: ids(&up.all("incident_id"), "incident_id")?,
        order_id,
        title: up.fields.get("title").cloned().unwrap_or_default(),
        facts: up.fields.get("facts").cloned().unwrap_or_default(),
        bases: up.all("bases"),
    };
    let c = open(
        &s,
        &auth,
        &o,
        &files,
        up.fields.get("csrf_token").map(String::as_str),
    )
    .await?;
    Ok(Redirect::to(&format!("/cases/{}", c.id)).into_response())
}

/// `GET /cases/{id}`: a case with everything that belongs to it and the forms of its next step.
pub async fn case_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = match cases::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(
                refuse_app(&s, &auth, "page.view", format!("page:/cases/{id}"), e, None)
                    .await
                    .into(),
            );
        }
    };
    let is_party = auth
        .user
        .as_ref()
        .and_then(qingshan_app::scope::confined_to)
        == Some(d.case.credit_code.as_str());
    let may_handle = cases::may_handle(auth.user.as_ref()).is_ok();
    let events: Vec<Value> = d.events.iter().map(event_json).collect();
    let incidents: Vec<Value> = d
        .incidents
        .iter()
        .map(|i| json!({ "incident": i.incident, "multiple": i.multiple, "frames": i.frames }))
        .collect();
    let frame_count: usize = d.incidents.iter().map(|i| i.frames.len()).sum();
    let basis_codes: Vec<&str> = d.bases.iter().map(|b| b.basis_code.as_str()).collect();
    let fine_article = basis_codes
        .iter()
        .filter_map(|c| qingshan_sources::legal::basis(c))
        .any(|b| b.fine_min.is_some() || b.daily);
    page(
        "case.html",
        &auth,
        &s,
        context! { c => case_json(&d.case), bases => d.bases, events, incidents, frame_count,
        documents => d.documents, is_party, may_handle, fine_article,
        measures => qingshan_sources::legal::MEASURES.iter().map(|(c, n)| json!({ "code": c, "name": n })).collect::<Vec<_>>(),
        today => qingshan_app::beijing::today().format("%Y-%m-%d").to_string(),
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => qingshan_app::evidence::MAX_FILES },
    )
}

fn time_opt(
    field: &str,
    v: Option<&str>,
) -> Result<Option<chrono::DateTime<Utc>>, qingshan_app::Error> {
    match v.map(str::trim).filter(|v| !v.is_empty()) {
        Some(t) => qingshan_app::marks::parse_time(field, t).map(Some),
        None => Ok(None),
    }
}

/// A step's input, from a form or a JSON body.
#[derive(Debug, Deserialize, Default)]
pub struct StepBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// 处罚决定书文号 (decide).
    #[serde(default)]
    pub decision_number: Option<String>,
    /// Decision date YYYY-MM-DD (decide).
    #[serde(default)]
    pub decision_date: Option<String>,
    /// Measure codes (decide).
    #[serde(default)]
    pub measures: Vec<String>,
    /// Fine in yuan (decide).
    #[serde(default)]
    pub penalty: Option<String>,
    /// Rectification deadline: Beijing time or RFC 3339 (decide).
    #[serde(default)]
    pub rectify_deadline: Option<String>,
    /// `true`: the closing check passed (check).
    #[serde(default)]
    pub passed: Option<bool>,
    /// New deadline after a failed check.
    #[serde(default)]
    pub new_deadline: Option<String>,
    /// Remarks, the report, the check's finding or the closing note.
    #[serde(default)]
    pub note: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Decide,
    Report,
    Check,
    Close,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Decide => "case.decide",
            Step::Report => "case.report",
            Step::Check => "case.check",
            Step::Close => "case.close",
        }
    }
}

async fn step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    step: Step,
    b: &StepBody,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<Case, AppError> {
    let target = format!("case:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, step.action(), target, e, None).await);
    }
    let (user, actor, now) = (auth.user.as_ref(), auth.actor(), Utc::now());
    let note = b.note.as_deref().unwrap_or("");
    let done = match step {
        Step::Decide => match time_opt("rectify_deadline", b.rectify_deadline.as_deref()) {
            Ok(deadline) => {
                let d = Decision {
                    decision_number: b.decision_number.clone().unwrap_or_default(),
                    decision_date: b.decision_date.clone().unwrap_or_default(),
                    measures: b.measures.clone(),
                    penalty: b.penalty.clone(),
                    rectify_deadline: deadline,
                    note: b.note.clone(),
                };
                cases::decide(&s.store, user, &actor, id, &d, files, now).await
            }
            Err(e) => Err(e),
        },
        Step::Report => cases::report(&s.store, user, &actor, id, note, files).await,
        Step::Check => match time_opt("new_deadline", b.new_deadline.as_deref()) {
            Ok(nd) => {
                cases::check(
                    &s.store,
                    user,
                    &actor,
                    id,
                    b.passed.unwrap_or(false),
                    note,
                    nd,
                    files,
                    now,
                )
                .await
            }
            Err(e) => Err(e),
        },
        Step::Close => cases::close(&s.store, user, &actor, id, note).await,
    };
    match done {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(s, auth, step.action(), target, e, b.note.clone()).await),
    }
}

async fn multipart_step(
    s: AppState,
    auth: Auth,
    id: i64,
    st: Step,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, format!("case:{id}")).await?;
    let field = |n: &str| up.fields.get(n).cloned();
    let b = StepBody {
        csrf_token: field("csrf_token"),
        decision_number: field("decision_number"),
        decision_date: field("decision_date"),
        measures: up.all("measures"),
        penalty: field("penalty"),
        rectify_deadline: field("rectify_deadline"),
        passed: field("passed").map(|v| v == "1"),
        new_deadline: field("new_deadline"),
        note: field("note"),
    };
    step(&s, &auth, id, st, &b, &files, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}

/// `POST /cases/{id}/decide` (multipart; staff): the decision with its documents.
pub async fn decide_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Decide, mp).await
}

/// `POST /cases/{id}/report` (multipart; the enterprise): its rectification with documents.
pub async fn report_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Report, mp).await
}

/// `POST /cases/{id}/check` (multipart; staff): the closing check with its record.
pub async fn check_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Check, mp).await
}

/// `POST /cases/{id}/close` (form; staff): 销号 with the closing note.
pub async fn close_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    step(&s, &auth, id, Step::Close, &b, &[], b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/cases/{id}")).into_response())
}

/// `GET /cases/{id}/case.pdf`: the case file (案卷) with the evidence frames and their SHA-256.
pub async fn case_pdf(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = match cases::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/cases/{id}/case.pdf"),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let bytes = cases::case_file_pdf(&d, Utc::now()).map_err(AppError::from)?;
    let mut r = crate::web::download::attachment(
        bytes,
        "application/pdf",
        &format!("案卷-{}.pdf", d.case.case_number),
    );
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        header::HeaderValue::from_static("no-store"),
    );
    Ok(r)
}

/// `GET /cases/documents/{id}`: a document of a case the user may see.
pub async fn document_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let Some((meta, content)) = s.store.case_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的案件材料")).into());
    };
    if let Err(e) = cases::detail(&s.store, auth.user.as_ref(), meta.case_id).await {
        return Err(refuse_app(
            &s,
            &auth,
            "page.view",
            format!("page:/cases/documents/{id}"),
            e,
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

/// `GET /api/v1/legal-bases`: the penalty articles and measures a case may cite (anyone signed in).
pub async fn api_bases(Extension(auth): Extension<Auth>) -> Result<Json<Value>, AppError> {
    if auth.user.is_none() {
        return Err(AppError::from(qingshan_app::Error::Unauthenticated));
    }
    Ok(Json(bases_json()))
}

/// `GET /api/v1/cases`: cases the user may see, newest first (`state`, `county`, `overdue`, `page`).
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let filter = filter_of(&q)?;
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = match cases::list(&s.store, auth.user.as_ref(), filter, limit, offset).await {
        Ok(p) => p,
        Err(e) => {
            return Err(
                refuse_app(&s, &auth, "page.view", "page:/api/v1/cases".into(), e, None).await,
            );
        }
    };
    let items: Vec<Value> = paged.items.iter().map(case_json).collect();
    Ok(Json(
        json!({ "cases": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/cases/{id}`: one case with its articles, steps, incidents, evidence frames and documents.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let d = match cases::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/api/v1/cases/{id}"),
                e,
                None,
            )
            .await);
        }
    };
    let events: Vec<Value> = d.events.iter().map(event_json).collect();
    let incidents: Vec<Value> = d
        .incidents
        .iter()
        .map(|i| json!({ "incident": i.incident, "multiple": i.multiple, "evidence_frames": i.frames }))
        .collect();
    Ok(Json(json!({
        "case": case_json(&d.case), "bases": d.bases, "events": events,
        "incidents": incidents, "documents": d.documents,
    })))
}

/// Body of `POST /api/v1/cases`.
#[derive(Debug, Deserialize)]
pub struct OpenBody {
    /// Incidents.
    #[serde(default)]
    pub incident_ids: Vec<i64>,
    /// The order it comes from (becomes 转立案).
    #[serde(default)]
    pub order_id: Option<i64>,
    /// 案由.
    pub title: String,
    /// 违法事实.
    pub facts: String,
    /// Codes of the articles (`/api/v1/legal-bases`).
    pub bases: Vec<String>,
}

/// `POST /api/v1/cases` (staff): opens a case (documents go through the form).
pub async fn api_open(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<OpenBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = cases::may_handle(auth.user.as_ref()) {
        return Err(refuse(&s, &auth, "case.file", "case:new".into(), e.into(), None).await);
    }
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let o = Opening {
        incident_ids: b.incident_ids,
        order_id: b.order_id,
        title: b.title,
        facts: b.facts,
        bases: b.bases,
    };
    let c = open(&s, &auth, &o, &[], csrf).await?;
    Ok((StatusCode::CREATED, Json(json!({ "case": case_json(&c) }))))
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
    Ok(Json(json!({ "case": case_json(&c) })))
}

/// `POST /api/v1/cases/{id}/decide` (staff): `decision_number`, `decision_date`, `measures`,
/// `penalty` (yuan), `rectify_deadline`, `note`.
pub async fn api_decide(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Decide, headers, body).await
}

/// `POST /api/v1/cases/{id}/report` (the enterprise): `note` = its rectification report.
pub async fn api_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Report, headers, body).await
}

/// `POST /api/v1/cases/{id}/check` (staff): `passed`, `note` = finding, `new_deadline` if not.
pub async fn api_check(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Check, headers, body).await
}

/// `POST /api/v1/cases/{id}/close` (staff): `note` = the closing note (销号).
pub async fn api_close(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Close, headers, body).await
}
