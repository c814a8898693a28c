//! Inspection rectification lists (督察整改) on the web: the register (filters by source, state,
//! county, unit and 逾期/临期; paged; CSV/XLSX export), the registration form, a problem's page
//! with its revisions, progress reports, evidence files and the forms of who may act, the
//! public summary of closed problems, and the JSON API `/api/v1/inspections`. Who may do what
//! is `qingshan_app::inspections`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::NaiveDate;
use minijinja::context;
use qingshan_app::inspections::{self, Due, ListFilter, Registration};
use qingshan_store::{InspectionEvent, InspectionProblem, NewEvidence, labels};
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
use crate::web::upload::{EvidenceForm, read_evidence_form};

/// The pages and API of the inspection rectification lists; `max_file` is the evidence limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route(
            "/inspections",
            get(list_page).post(register_form).layer(limit()),
        )
        .route("/inspections/new", get(new_page))
        .route("/inspections/public", get(public_page))
        .route("/inspections/register.csv", get(export_csv))
        .route("/inspections/register.xlsx", get(export_xlsx))
        .route("/inspections/{id}", get(problem_page))
        .route("/inspections/{id}/revise", post(revise_form).layer(limit()))
        .route("/inspections/{id}/report", post(report_form).layer(limit()))
        .route("/inspections/{id}/close", post(close_form).layer(limit()))
        .route("/inspections/{id}/reopen", post(reopen_form))
        .route("/inspections/evidence/{id}", get(evidence_download))
        .route("/api/v1/inspections", get(api_list).post(api_register))
        .route("/api/v1/inspections/public", get(api_public))
        .route("/api/v1/inspections/{id}", get(api_get))
        .route("/api/v1/inspections/{id}/revise", post(api_revise))
        .route("/api/v1/inspections/{id}/report", post(api_report))
        .route("/api/v1/inspections/{id}/close", post(api_close))
        .route("/api/v1/inspections/{id}/reopen", post(api_reopen))
}

fn today() -> NaiveDate {
    qingshan_app::beijing::today()
}

fn problem_json(s: &AppState, p: &InspectionProblem) -> Value {
    let mut v = serde_json::to_value(p).unwrap_or(Value::Null);
    let due = inspections::due(p, today(), s.config.inspection_warn_days);
    if let Value::Object(m) = &mut v {
        m.insert(
            "state_label".into(),
            json!(labels::inspection_state(&p.state)),
        );
        m.insert(
            "source_label".into(),
            json!(labels::inspection_source(&p.fields.source_kind)),
        );
        m.insert(
            "unit_names".into(),
            json!(inspections::unit_names(&s.plan, &p.fields.units)),
        );
        m.insert(
            "county_names".into(),
            json!(inspections::county_names(&s.plan, &p.fields.counties)),
        );
        m.insert("due".into(), json!(due));
        m.insert("due_label".into(), json!(due.label()));
    }
    v
}

fn event_json(s: &AppState, e: &InspectionEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert(
            "kind_label".into(),
            json!(labels::inspection_event(&e.kind)),
        );
        let by = match (&e.for_unit, &e.for_county) {
            (Some(u), _) => inspections::unit_names(&s.plan, std::slice::from_ref(u)),
            (None, Some(c)) => inspections::county_names(&s.plan, std::slice::from_ref(c)),
            _ => String::new(),
        };
        m.insert("for_label".into(), json!(by));
    }
    v
}

/// Filters of the register (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// Source kind: central, provincial, audit, other.
    pub source: Option<String>,
    /// State: rectifying, reported, closed.
    pub state: Option<String>,
    /// County (staff; a county official always sees their own).
    pub county: Option<String>,
    /// Responsible unit (staff; a reporter always sees their own).
    pub unit: Option<String>,
    /// `overdue` (逾期) or `at_risk` (逾期和临期).
    pub due: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<ListFilter, AppError> {
    let source = filled(&q.source);
    if source
        .as_deref()
        .is_some_and(|k| !inspections::SOURCE_KINDS.contains(&k))
    {
        return Err(AppError::invalid(
            "source",
            "应为 central（中央生态环境保护督察）、provincial（省级生态环境保护督察）、audit（审计）或 other（其他督查检查）",
        ));
    }
    let state = filled(&q.state);
    if state
        .as_deref()
        .is_some_and(|k| !inspections::STATES.contains(&k))
    {
        return Err(AppError::invalid(
            "state",
            "应为 rectifying（整改中）、reported（已报完成待销号）或 closed（已销号）",
        ));
    }
    let due = match filled(&q.due).as_deref() {
        None => None,
        Some("overdue") => Some(Due::Overdue),
        Some("at_risk") => Some(Due::AtRisk),
        Some(_) => {
            return Err(AppError::invalid(
                "due",
                "应为 overdue（仅逾期）或 at_risk（逾期和临期）",
            ));
        }
    };
    Ok(ListFilter {
        source_kind: source,
        state,
        county: filled(&q.county),
        unit: filled(&q.unit),
        due,
    })
}

async fn listed(
    s: &AppState,
    auth: &Auth,
    q: &ListQuery,
    limit: i64,
    offset: i64,
    target: &str,
) -> Result<(ListFilter, qingshan_store::Paged<InspectionProblem>), AppError> {
    let f = filter_of(q)?;
    match inspections::list(
        &s.store,
        auth.user.as_ref(),
        &f,
        today(),
        s.config.inspection_warn_days,
        limit,
        offset,
    )
    .await
    {
        Ok(p) => Ok((f, p)),
        Err(e) => Err(refuse_app(s, auth, "page.view", target.into(), e, None).await),
    }
}

fn choices(s: &AppState) -> (Vec<Value>, Vec<Value>, Vec<Value>, Vec<Value>) {
    let counties = s
        .plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .map(|d| json!({ "code": d.code, "name": d.name }))
        .collect();
    let units = s
        .plan
        .units
        .iter()
        .map(|u| json!({ "id": u.id, "name": u.name }))
        .collect();
    let sources = inspections::SOURCE_KINDS
        .iter()
        .map(|c| json!({ "code": c, "label": labels::inspection_source(c) }))
        .collect();
    let states = inspections::STATES
        .iter()
        .map(|c| json!({ "code": c, "label": labels::inspection_state(c) }))
        .collect();
    (counties, units, sources, states)
}

/// `GET /inspections`: the register the user may see, by deadline, filtered and paged.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (f, paged) = listed(&s, &auth, &q, limit, offset, "page:/inspections").await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/inspections",
        raw.as_deref(),
    );
    let list: Vec<Value> = paged.items.iter().map(|p| problem_json(&s, p)).collect();
    let (counties, units, sources, states) = choices(&s);
    let staff = inspections::may_manage(auth.user.as_ref()).is_ok();
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
        "inspections.html",
        &auth,
        &s,
        context! { problems => list, total => paged.total, pager, staff, counties, units, sources, states,
        q => json!({ "source": f.source_kind, "state": f.state, "county": f.county, "unit": f.unit,
                     "due": match f.due { Some(Due::Overdue) => "overdue", Some(Due::AtRisk) => "at_risk", _ => "" } }),
        export_query, warn_days => s.config.inspection_warn_days },
    )
}

/// Most rows an export holds.
const EXPORT_MAX: i64 = 10_000;

async fn export(s: AppState, auth: Auth, q: ListQuery, format: &str) -> Result<Response, AppError> {
    let target = format!("page:/inspections/register.{format}");
    let (_, paged) = listed(&s, &auth, &q, EXPORT_MAX, 0, &target).await?;
    let (columns, rows) = inspections::register_table(
        &s.plan,
        &paged.items,
        today(),
        s.config.inspection_warn_days,
    );
    Table {
        name: "督察整改台账".into(),
        columns,
        rows,
        numbers: false,
    }
    .download(format, "inspections")
}

/// `GET /inspections/register.csv`: the register the user may see as CSV (formulas neutralised).
pub async fn export_csv(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(export(s, auth, q, "csv").await?)
}

/// `GET /inspections/register.xlsx`: the register the user may see as an XLSX workbook.
pub async fn export_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    Ok(export(s, auth, q, "xlsx").await?)
}

fn form_context(s: &AppState) -> minijinja::Value {
    let (counties, units, sources, _) = choices(s);
    context! { counties, units, sources,
    accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
    max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => qingshan_app::evidence::MAX_FILES }
}

/// `GET /inspections/new` (staff): the registration form.
pub async fn new_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    if let Err(e) = inspections::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "page.view",
            "page:/inspections/new".into(),
            e.into(),
            None,
        )
        .await
        .into());
    }
    page(
        "inspection_new.html",
        &auth,
        &s,
        context! { f => form_context(&s) },
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
            Err(refuse(s, auth, "inspection.evidence", target, e.into(), name).await)
        }
    }
}

fn registration_of(up: &EvidenceForm) -> Registration {
    let field = |n: &str| up.fields.get(n).cloned().unwrap_or_default();
    Registration {
        source_kind: field("source_kind"),
        source_batch: field("source_batch"),
        title: field("title"),
        description: field("description"),
        measures: field("measures"),
        units: up.all("units"),
        counties: up.all("counties"),
        deadline: field("deadline"),
        internal_note: up.fields.get("internal_note").cloned(),
    }
}

/// A step's input, from a form or a JSON body.
#[derive(Debug, Deserialize, Default)]
pub struct StepBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The report, the closing basis or the re-opening reason.
    #[serde(default)]
    pub note: Option<String>,
    /// A report saying the rectification is complete.
    #[serde(default)]
    pub done: Option<bool>,
}

#[derive(Clone, Copy)]
enum Step {
    Report,
    Close,
    Reopen,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Report => "inspection.report",
            Step::Close => "inspection.close",
            Step::Reopen => "inspection.reopen",
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
) -> Result<InspectionProblem, AppError> {
    let target = format!("inspection:{id}");
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, st.action(), target, e, None).await);
    }
    let (user, actor) = (auth.user.as_ref(), auth.actor());
    let note = b.note.as_deref().unwrap_or("");
    let done = match st {
        Step::Report => {
            inspections::report(
                &s.store,
                user,
                &actor,
                id,
                note,
                b.done.unwrap_or(false),
                files,
            )
            .await
        }
        Step::Close => inspections::close(&s.store, user, &actor, id, note, files).await,
        Step::Reopen => inspections::reopen(&s.store, user, &actor, id, note).await,
    };
    match done {
        Ok(p) => Ok(p),
        Err(e) => Err(refuse_app(s, auth, st.action(), target, e, b.note.clone()).await),
    }
}

async fn register(
    s: &AppState,
    auth: &Auth,
    r: &Registration,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<InspectionProblem, AppError> {
    let target = "inspection:new".to_string();
    let check = inspections::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "inspection.register", target, e, None).await);
    }
    match inspections::register(
        &s.store,
        &s.plan,
        auth.user.as_ref(),
        &auth.actor(),
        r,
        files,
        today(),
    )
    .await
    {
        Ok(p) => Ok(p),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "inspection.register",
            target,
            e,
            Some(r.title.clone()),
        )
        .await),
    }
}

async fn revise(
    s: &AppState,
    auth: &Auth,
    id: i64,
    r: &Registration,
    reason: &str,
    csrf: Option<&str>,
) -> Result<InspectionProblem, AppError> {
    let target = format!("inspection:{id}");
    let check = inspections::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "inspection.revise", target, e, None).await);
    }
    match inspections::revise(
        &s.store,
        &s.plan,
        auth.user.as_ref(),
        &auth.actor(),
        id,
        r,
        reason,
    )
    .await
    {
        Ok(p) => Ok(p),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "inspection.revise",
            target,
            e,
            Some(reason.to_string()),
        )
        .await),
    }
}

/// `POST /inspections` (multipart; staff): registers a problem with its documents.
pub async fn register_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, "inspection:new".into()).await?;
    let r = registration_of(&up);
    let p = register(
        &s,
        &auth,
        &r,
        &files,
        up.fields.get("csrf_token").map(String::as_str),
    )
    .await?;
    Ok(Redirect::to(&format!("/inspections/{}", p.id)).into_response())
}

/// `POST /inspections/{id}/revise` (multipart; staff): a new revision with its reason.
pub async fn revise_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    let up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let r = registration_of(&up);
    let reason = up.fields.get("reason").cloned().unwrap_or_default();
    revise(
        &s,
        &auth,
        id,
        &r,
        &reason,
        up.fields.get("csrf_token").map(String::as_str),
    )
    .await?;
    Ok(Redirect::to(&format!("/inspections/{id}")).into_response())
}

async fn multipart_step(
    s: AppState,
    auth: Auth,
    id: i64,
    st: Step,
    mp: Multipart,
) -> Result<Response, PageError> {
    let mut up = read_evidence_form(mp, s.config.evidence_max_bytes).await?;
    let files = checked_files(&s, &auth, &mut up, format!("inspection:{id}")).await?;
    let b = StepBody {
        csrf_token: up.fields.get("csrf_token").cloned(),
        note: up.fields.get("note").cloned(),
        done: up.fields.get("done").map(|v| v == "1"),
    };
    step(&s, &auth, id, st, &b, &files, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/inspections/{id}")).into_response())
}

/// `POST /inspections/{id}/report` (multipart; a responsible unit, a concerned county, staff).
pub async fn report_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Report, mp).await
}

/// `POST /inspections/{id}/close` (multipart; staff): 销号 with its basis and documents.
pub async fn close_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Close, mp).await
}

/// `POST /inspections/{id}/reopen` (form; staff): re-opens a closed problem with the reason.
pub async fn reopen_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    step(
        &s,
        &auth,
        id,
        Step::Reopen,
        &b,
        &[],
        b.csrf_token.as_deref(),
    )
    .await?;
    Ok(Redirect::to(&format!("/inspections/{id}")).into_response())
}

/// `GET /inspections/{id}`: a problem with its revisions, reports and files, and the forms the
/// user may use.
pub async fn problem_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = match inspections::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/inspections/{id}"),
                e,
                None,
            )
            .await
            .into());
        }
    };
    let staff = inspections::may_manage(auth.user.as_ref()).is_ok();
    let may_report = d.problem.state != "closed"
        && inspections::reporting_for(auth.user.as_ref(), &d.problem).is_ok();
    let events: Vec<Value> = d.events.iter().map(|e| event_json(&s, e)).collect();
    let revisions: Vec<Value> = d
        .revisions
        .iter()
        .map(|r| {
            json!({ "revision": r.revision, "at": r.at, "reason": r.reason, "title": r.fields.title,
                    "deadline": r.fields.deadline, "measures": r.fields.measures,
                    "units": inspections::unit_names(&s.plan, &r.fields.units),
                    "counties": inspections::county_names(&s.plan, &r.fields.counties) })
        })
        .collect();
    page(
        "inspection.html",
        &auth,
        &s,
        context! { p => problem_json(&s, &d.problem), events, revisions, evidence => d.evidence,
        staff, may_report, f => form_context(&s) },
    )
}

/// `GET /inspections/evidence/{id}`: an evidence file of a problem the user may see.
pub async fn evidence_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let Some((meta, content)) = s.store.inspection_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的督察整改佐证材料")).into());
    };
    if let Err(e) = inspections::detail(&s.store, auth.user.as_ref(), meta.problem_id).await {
        return Err(refuse_app(
            &s,
            &auth,
            "page.view",
            format!("page:/inspections/evidence/{id}"),
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

/// `GET /inspections/public` (anyone): per source the problems registered and closed, and the
/// closed problems, without internal notes, reports or files.
pub async fn public_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
) -> Result<Response, PageError> {
    let summary = inspections::public_summary(&s.store, &s.plan)
        .await
        .map_err(AppError::from)?;
    page("inspections_public.html", &auth, &s, context! { summary })
}

/// `GET /api/v1/inspections/public` (anyone): the public summary.
pub async fn api_public(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let summary = inspections::public_summary(&s.store, &s.plan).await?;
    Ok(Json(json!(summary)))
}

/// `GET /api/v1/inspections`: the problems the user may see (`source`, `state`, `county`,
/// `unit`, `due`, `page`).
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let (_, paged) = listed(&s, &auth, &q, limit, offset, "page:/api/v1/inspections").await?;
    let items: Vec<Value> = paged.items.iter().map(|p| problem_json(&s, p)).collect();
    Ok(Json(
        json!({ "problems": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/inspections/{id}`: one problem with its revisions, steps and evidence files.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let d = match inspections::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => d,
        Err(e) => {
            return Err(refuse_app(
                &s,
                &auth,
                "page.view",
                format!("page:/api/v1/inspections/{id}"),
                e,
                None,
            )
            .await);
        }
    };
    let events: Vec<Value> = d.events.iter().map(|e| event_json(&s, e)).collect();
    Ok(Json(json!({
        "problem": problem_json(&s, &d.problem), "revisions": d.revisions,
        "events": events, "evidence": d.evidence,
    })))
}

/// Body of `POST /api/v1/inspections` and `…/{id}/revise`.
#[derive(Debug, Deserialize, Default)]
pub struct ProblemBody {
    /// central, provincial, audit or other.
    #[serde(default)]
    pub source_kind: String,
    /// Batch or round.
    #[serde(default)]
    pub source_batch: String,
    /// Title.
    #[serde(default)]
    pub title: String,
    /// The problem.
    #[serde(default)]
    pub description: String,
    /// Measures.
    #[serde(default)]
    pub measures: String,
    /// Unit ids of the plan.
    #[serde(default)]
    pub units: Vec<String>,
    /// County codes.
    #[serde(default)]
    pub counties: Vec<String>,
    /// Deadline YYYY-MM-DD.
    #[serde(default)]
    pub deadline: String,
    /// Internal note.
    #[serde(default)]
    pub internal_note: Option<String>,
    /// Reason (revise).
    #[serde(default)]
    pub reason: Option<String>,
}

impl ProblemBody {
    fn registration(self) -> (Registration, String) {
        (
            Registration {
                source_kind: self.source_kind,
                source_batch: self.source_batch,
                title: self.title,
                description: self.description,
                measures: self.measures,
                units: self.units,
                counties: self.counties,
                deadline: self.deadline,
                internal_note: self.internal_note,
            },
            self.reason.unwrap_or_default(),
        )
    }
}

/// `POST /api/v1/inspections` (staff): registers a problem (files go through the form).
pub async fn api_register(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<ProblemBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    if let Err(e) = inspections::may_manage(auth.user.as_ref()) {
        return Err(refuse(
            &s,
            &auth,
            "inspection.register",
            "inspection:new".into(),
            e.into(),
            None,
        )
        .await);
    }
    let (r, _) = body
        .map_err(|r| AppError::rejected_body(&r.body_text()))?
        .0
        .registration();
    let p = register(&s, &auth, &r, &[], csrf).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "problem": problem_json(&s, &p) })),
    ))
}

/// `POST /api/v1/inspections/{id}/revise` (staff): the fields of the new revision and `reason`.
pub async fn api_revise(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<ProblemBody>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let (r, reason) = body.map(|b| b.0).unwrap_or_default().registration();
    let p = revise(&s, &auth, id, &r, &reason, csrf).await?;
    Ok(Json(json!({ "problem": problem_json(&s, &p) })))
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
    let p = step(&s, &auth, id, st, &b, &[], csrf).await?;
    Ok(Json(json!({ "problem": problem_json(&s, &p) })))
}

/// `POST /api/v1/inspections/{id}/report`: `note` (progress) and `done` (rectification complete).
pub async fn api_report(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Report, headers, body).await
}

/// `POST /api/v1/inspections/{id}/close` (staff): `note` = the basis of 销号.
pub async fn api_close(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Close, headers, body).await
}

/// `POST /api/v1/inspections/{id}/reopen` (staff): `note` = the reason.
pub async fn api_reopen(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Reopen, headers, body).await
}
