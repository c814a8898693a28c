//! 企业环境信用评价 on the web: the public lookup of published ratings (`/credit`), the ratings
//! list by year, grade and county for staff, counties and the enterprise itself (paged, XLSX),
//! a rating with its events — each linked to its source record — and the objection, repair and
//! staff decision forms, 一票否决 findings, and the JSON API `/api/v1/credit`. Who may do what
//! is `qingshan_app::credit`.

use axum::extract::{Multipart, Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::Utc;
use minijinja::context;
use qingshan_app::credit::{self, ListFilter};
use qingshan_sources::credit::CreditEvent;
use qingshan_store::{CreditRating, NewEvidence};
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

/// The pages and API of the credit rating; `max_file` is the evidence limit.
pub fn routes(max_file: usize) -> Router<AppState> {
    let limit =
        || axum::extract::DefaultBodyLimit::max(qingshan_app::evidence::body_limit(max_file));
    Router::new()
        .route("/credit", get(lookup_page))
        .route("/credit/ratings", get(list_page))
        .route("/credit/ratings.xlsx", get(export_xlsx))
        .route("/credit/ratings/compute", post(compute_form))
        .route("/credit/ratings/{id}", get(rating_page))
        .route("/credit/ratings/{id}/publish", post(publish_form))
        .route(
            "/credit/ratings/{id}/objections",
            post(objection_form).layer(limit()),
        )
        .route(
            "/credit/ratings/{id}/repairs",
            post(repair_form).layer(limit()),
        )
        .route(
            "/credit/objections/{id}/decide",
            post(objection_decide_form),
        )
        .route("/credit/repairs/{id}/decide", post(repair_decide_form))
        .route("/credit/findings", post(finding_form))
        .route("/credit/findings/{id}", get(finding_page))
        .route("/credit/evidence/{id}", get(evidence_download))
        .route("/api/v1/credit/rules", get(api_rules))
        .route("/api/v1/credit/lookup", get(api_lookup))
        .route("/api/v1/credit/ratings", get(api_list))
        .route("/api/v1/credit/ratings/compute", post(api_compute))
        .route("/api/v1/credit/ratings/{id}", get(api_get))
        .route("/api/v1/credit/ratings/{id}/publish", post(api_publish))
        .route("/api/v1/credit/ratings/{id}/objections", post(api_object))
        .route("/api/v1/credit/ratings/{id}/repairs", post(api_repair))
        .route(
            "/api/v1/credit/objections/{id}/decide",
            post(api_objection_decide),
        )
        .route(
            "/api/v1/credit/repairs/{id}/decide",
            post(api_repair_decide),
        )
        .route("/api/v1/credit/findings", post(api_finding))
}

fn marking() -> qingshan_sources::marking::MarkingOptions {
    qingshan_sources::marking::MarkingOptions::default()
}

fn county_name(s: &AppState, code: Option<&str>) -> String {
    code.and_then(|c| s.plan.division(c))
        .map(|d| d.name.clone())
        .unwrap_or_default()
}

fn rating_json(s: &AppState, r: &CreditRating) -> Value {
    let mut v = serde_json::to_value(r).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("badge".into(), json!(credit::badge_of(r)));
        m.insert("state_label".into(), json!(credit::state_label(&r.state)));
        m.insert(
            "county".into(),
            json!(county_name(s, r.division_code.as_deref())),
        );
        m.insert(
            "grade_before_repair_label".into(),
            json!(
                r.grade_before_repair
                    .as_deref()
                    .and_then(|g| credit::rules().ok().and_then(|x| x.grade(g)))
                    .map(|g| g.label.clone())
            ),
        );
    }
    v
}

/// What the public sees of a published rating: no events, no drafts.
fn public_json(s: &AppState, r: &CreditRating) -> Value {
    json!({ "year": r.year, "credit_code": r.credit_code, "enterprise": r.enterprise,
            "county": county_name(s, r.division_code.as_deref()), "score": r.score,
            "grade": r.grade, "badge": credit::badge_of(r), "published_at": r.published_at })
}

fn event_json(e: &CreditEvent) -> Value {
    let mut v = serde_json::to_value(e).unwrap_or(Value::Null);
    if let Value::Object(m) = &mut v {
        m.insert("key".into(), json!(e.key()));
        m.insert("kind_label".into(), json!(credit::event_label(&e.kind)));
    }
    v
}

/// The public lookup's query.
#[derive(Debug, Deserialize, Default)]
pub struct LookupQuery {
    /// Enterprise name (part) or 统一社会信用代码.
    pub q: Option<String>,
}

/// `GET /credit` (anyone): published ratings found by name or credit code.
pub async fn lookup_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<LookupQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let text = q.q.clone().unwrap_or_default();
    let found = credit::lookup(&s.store, &text, limit, offset)
        .await
        .map_err(AppError::from)?;
    let pager = paging::Pager::new(n, paging::PER_PAGE, found.total, "/credit", raw.as_deref());
    let ratings: Vec<Value> = found.items.iter().map(|r| public_json(&s, r)).collect();
    let rules = credit::rules().map_err(AppError::from)?;
    page(
        "credit_lookup.html",
        &auth,
        &s,
        context! { ratings, total => found.total, pager, q => text, grades => rules.grade.clone(),
        rule_set => rules.rule_set.clone(), signed_in => auth.user.is_some() },
    )
}

/// `GET /api/v1/credit/lookup` (anyone): `q`, `page`.
pub async fn api_lookup(
    State(s): State<AppState>,
    Query(q): Query<LookupQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let found = credit::lookup(&s.store, q.q.as_deref().unwrap_or(""), limit, offset).await?;
    let items: Vec<Value> = found.items.iter().map(|r| public_json(&s, r)).collect();
    Ok(Json(
        json!({ "ratings": items, "total": found.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/credit/rules` (anyone): the scoring model in force, with sources and which
/// parts are confirmed.
pub async fn api_rules() -> Result<Json<Value>, AppError> {
    Ok(Json(json!(credit::rules()?)))
}

/// Filters of the ratings list.
#[derive(Debug, Deserialize, Default)]
pub struct ListQuery {
    /// Year.
    pub year: Option<String>,
    /// Grade code.
    pub grade: Option<String>,
    /// County (staff).
    pub county: Option<String>,
}

fn filter_of(q: &ListQuery) -> Result<ListFilter, AppError> {
    let year = match filled(&q.year) {
        None => None,
        Some(y) => Some(
            y.parse::<i32>()
                .map_err(|_| AppError::invalid("year", "应为四位年份"))?,
        ),
    };
    Ok(ListFilter {
        year,
        grade: filled(&q.grade),
        county: filled(&q.county),
    })
}

async fn listed(
    s: &AppState,
    auth: &Auth,
    q: &ListQuery,
    limit: i64,
    offset: i64,
    target: &str,
) -> Result<qingshan_store::Paged<CreditRating>, AppError> {
    let f = filter_of(q)?;
    match credit::list(&s.store, auth.user.as_ref(), &f, limit, offset).await {
        Ok(p) => Ok(p),
        Err(e) => Err(refuse_app(s, auth, "page.view", target.into(), e, None).await),
    }
}

/// `GET /credit/ratings`: the ratings the user may see (drafts included), by year, grade and
/// county, paged; staff's compute and finding forms.
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = listed(&s, &auth, &q, limit, offset, "page:/credit/ratings").await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/credit/ratings",
        raw.as_deref(),
    );
    let ratings: Vec<Value> = paged.items.iter().map(|r| rating_json(&s, r)).collect();
    let rules = credit::rules().map_err(AppError::from)?;
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
    let this_year = {
        use chrono::Datelike;
        qingshan_app::beijing::today().year()
    };
    page(
        "credit_ratings.html",
        &auth,
        &s,
        context! { ratings, total => paged.total, pager, counties, grades => rules.grade.clone(),
        vetoes => rules.veto.clone(), staff => credit::may_manage(auth.user.as_ref()).is_ok(),
        q => json!({ "year": filled(&q.year), "grade": filled(&q.grade), "county": filled(&q.county) }),
        export_query, last_year => this_year - 1 },
    )
}

/// Most rows an export holds.
const EXPORT_MAX: i64 = 10_000;

/// `GET /credit/ratings.xlsx`: the ratings the user may see, filtered, as XLSX.
pub async fn export_xlsx(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
) -> Result<Response, PageError> {
    let paged = listed(&s, &auth, &q, EXPORT_MAX, 0, "page:/credit/ratings.xlsx").await?;
    let (columns, rows) = credit::table(&s.plan, &paged.items);
    Ok(Table {
        name: "企业环境信用评价".into(),
        columns,
        rows,
        numbers: false,
    }
    .download("xlsx", "credit-ratings")?)
}

/// Body of a compute request.
#[derive(Debug, Deserialize, Default)]
pub struct ComputeBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Rated year.
    #[serde(default)]
    pub year: Option<String>,
    /// One enterprise only (empty: every registered enterprise).
    #[serde(default)]
    pub credit_code: Option<String>,
}

async fn compute(
    s: &AppState,
    auth: &Auth,
    b: &ComputeBody,
    csrf: Option<&str>,
) -> Result<Vec<CreditRating>, AppError> {
    let target = "credit_rating:new".to_string();
    let check = credit::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "credit.compute", target, e, None).await);
    }
    let year = match filled(&b.year).map(|y| y.parse::<i32>()) {
        Some(Ok(y)) => y,
        _ => return Err(AppError::invalid("year", "应为四位年份")),
    };
    let only = filled(&b.credit_code);
    match credit::compute(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        year,
        only.as_deref(),
        Utc::now(),
        &marking(),
    )
    .await
    {
        Ok(v) => Ok(v),
        Err(e) => Err(refuse_app(s, auth, "credit.compute", target, e, b.year.clone()).await),
    }
}

/// `POST /credit/ratings/compute` (form; staff): computes the drafts of a year.
pub async fn compute_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(b): Form<ComputeBody>,
) -> Result<Response, PageError> {
    compute(&s, &auth, &b, b.csrf_token.as_deref()).await?;
    let year = filled(&b.year).unwrap_or_default();
    Ok(Redirect::to(&format!("/credit/ratings?year={year}")).into_response())
}

/// `POST /api/v1/credit/ratings/compute` (staff): `year`, optional `credit_code`.
pub async fn api_compute(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Option<Json<Value>>,
) -> Result<Json<Value>, AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let v = body.map(|b| b.0).unwrap_or(Value::Null);
    let b = ComputeBody {
        csrf_token: None,
        year: v["year"]
            .as_i64()
            .map(|y| y.to_string())
            .or_else(|| v["year"].as_str().map(str::to_string)),
        credit_code: v["credit_code"].as_str().map(str::to_string),
    };
    let done = compute(&s, &auth, &b, csrf).await?;
    let items: Vec<Value> = done.iter().map(|r| rating_json(&s, r)).collect();
    Ok(Json(json!({ "ratings": items })))
}

/// A rating the user may see in full, or the refusal (audited).
async fn detail(
    s: &AppState,
    auth: &Auth,
    id: i64,
    target: String,
) -> Result<credit::RatingDetail, AppError> {
    match credit::detail(&s.store, auth.user.as_ref(), id).await {
        Ok(d) => Ok(d),
        Err(e) => Err(refuse_app(s, auth, "page.view", target, e, None).await),
    }
}

/// `GET /credit/ratings/{id}`: a rating with its events (each linked to its record), objections,
/// repair applications, and the forms of who may act.
pub async fn rating_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let d = detail(&s, &auth, id, format!("page:/credit/ratings/{id}")).await?;
    let staff = credit::may_manage(auth.user.as_ref()).is_ok();
    let own = auth
        .user
        .as_ref()
        .and_then(|u| u.credit_code.as_deref())
        .is_some_and(|c| c == d.rating.credit_code)
        && !staff;
    let events: Vec<Value> = d.events.iter().map(event_json).collect();
    let label = |k: &str| {
        d.events
            .iter()
            .find(|e| e.key() == k)
            .map_or(k.to_string(), |e| e.summary.clone())
    };
    let objections: Vec<Value> = d
        .objections
        .iter()
        .map(|o| {
            let mut v = json!(o);
            v["event"] = json!(label(&o.event_key));
            v["state_label"] = json!(credit::decision_label(&o.state));
            v
        })
        .collect();
    let repairs: Vec<Value> = d
        .repairs
        .iter()
        .map(|r| {
            let mut v = json!(r);
            v["state_label"] = json!(credit::decision_label(&r.state));
            v
        })
        .collect();
    let rules = credit::rules().map_err(AppError::from)?;
    let repair_rule = rules.repair(&d.rating.grade).cloned();
    page(
        "credit_rating.html",
        &auth,
        &s,
        context! { r => rating_json(&s, &d.rating), events, objections, repairs, evidence => d.evidence,
        objection_until => d.objection_until, repair_opens => d.repair_opens, repair_rule,
        start_score => rules.rule_set.start_score, rule_set => rules.rule_set.clone(), staff, own,
        accept => qingshan_app::evidence::ACCEPT_ATTR, accepted => qingshan_app::evidence::ACCEPTED_LABEL,
        max_file => qingshan_app::evidence::fmt_size(s.config.evidence_max_bytes as u64) },
    )
}

/// `GET /api/v1/credit/ratings`: the ratings the user may see (`year`, `grade`, `county`, `page`).
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ListQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let paged = listed(&s, &auth, &q, limit, offset, "page:/api/v1/credit/ratings").await?;
    let items: Vec<Value> = paged.items.iter().map(|r| rating_json(&s, r)).collect();
    Ok(Json(
        json!({ "ratings": items, "total": paged.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /api/v1/credit/ratings/{id}`: a rating with its events, objections, repairs and files.
pub async fn api_get(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let d = detail(&s, &auth, id, format!("page:/api/v1/credit/ratings/{id}")).await?;
    let events: Vec<Value> = d.events.iter().map(event_json).collect();
    Ok(Json(json!({
        "rating": rating_json(&s, &d.rating), "events": events, "objections": d.objections,
        "repairs": d.repairs, "evidence": d.evidence, "objection_until": d.objection_until,
        "repair_opens": d.repair_opens,
    })))
}

/// A plain form or JSON body of a step: CSRF, free text fields.
#[derive(Debug, Deserialize, Default)]
pub struct StepBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The event an objection names.
    #[serde(default)]
    pub event_key: Option<String>,
    /// Reason of an objection or repair application.
    #[serde(default)]
    pub reason: Option<String>,
    /// Staff's decision text.
    #[serde(default)]
    pub decision: Option<String>,
    /// `uphold`/`reject` (objection), `accept`/`reject` (repair).
    #[serde(default)]
    pub outcome: Option<String>,
}

#[derive(Clone, Copy)]
enum Step {
    Publish,
    Object,
    Repair,
    DecideObjection,
    DecideRepair,
}

impl Step {
    fn action(self) -> &'static str {
        match self {
            Step::Publish => "credit.publish",
            Step::Object => "credit.objection",
            Step::Repair => "credit.repair",
            Step::DecideObjection => "credit.objection_decide",
            Step::DecideRepair => "credit.repair_decide",
        }
    }
    fn target(self, id: i64) -> String {
        match self {
            Step::DecideObjection => format!("objection:{id}"),
            Step::DecideRepair => format!("repair:{id}"),
            _ => format!("credit_rating:{id}"),
        }
    }
}

/// Takes a step; returns the rating it concerns.
async fn step(
    s: &AppState,
    auth: &Auth,
    id: i64,
    st: Step,
    b: &StepBody,
    files: &[NewEvidence],
    csrf: Option<&str>,
) -> Result<i64, AppError> {
    let target = st.target(id);
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, st.action(), target, e, None).await);
    }
    let (user, actor) = (auth.user.as_ref(), auth.actor());
    let today = qingshan_app::beijing::today();
    let reason = b.reason.as_deref().unwrap_or("");
    let decision = b.decision.as_deref().unwrap_or("");
    let outcome = b.outcome.as_deref().unwrap_or("");
    let done = match st {
        Step::Publish => credit::publish(&s.store, user, &actor, id)
            .await
            .map(|r| r.id),
        Step::Object => credit::object(
            &s.store,
            user,
            &actor,
            id,
            b.event_key.as_deref().unwrap_or(""),
            reason,
            files,
            today,
        )
        .await
        .map(|o| o.rating_id),
        Step::Repair => credit::apply_repair(&s.store, user, &actor, id, reason, files, today)
            .await
            .map(|r| r.rating_id),
        Step::DecideObjection => match outcome {
            "uphold" | "reject" => {
                credit::decide_objection(&s.store, user, &actor, id, outcome == "uphold", decision)
                    .await
                    .map(|o| o.rating_id)
            }
            _ => Err(qingshan_app::Error::invalid(
                "outcome",
                "应为 uphold（异议成立）或 reject（不予采纳）",
            )),
        },
        Step::DecideRepair => match outcome {
            "accept" | "reject" => {
                credit::decide_repair(&s.store, user, &actor, id, outcome == "accept", decision)
                    .await
                    .map(|r| r.rating_id)
            }
            _ => Err(qingshan_app::Error::invalid(
                "outcome",
                "应为 accept（修复通过）或 reject（不予修复）",
            )),
        },
    };
    let attempted = b.reason.clone().or_else(|| b.decision.clone());
    match done {
        Ok(r) => Ok(r),
        Err(e) => Err(refuse_app(s, auth, st.action(), target, e, attempted).await),
    }
}

async fn form_step(
    s: AppState,
    auth: Auth,
    id: i64,
    st: Step,
    b: StepBody,
) -> Result<Response, PageError> {
    let rating = step(&s, &auth, id, st, &b, &[], b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/credit/ratings/{rating}")).into_response())
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
            Err(refuse(s, auth, "credit.evidence", target, e.into(), name).await)
        }
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
    let files = checked_files(&s, &auth, &mut up, st.target(id)).await?;
    let b = StepBody {
        csrf_token: up.fields.get("csrf_token").cloned(),
        event_key: up.fields.get("event_key").cloned(),
        reason: up.fields.get("reason").cloned(),
        ..Default::default()
    };
    let rating = step(&s, &auth, id, st, &b, &files, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/credit/ratings/{rating}")).into_response())
}

/// `POST /credit/ratings/{id}/publish` (form; staff): freezes and publishes a draft.
pub async fn publish_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::Publish, b).await
}

/// `POST /credit/ratings/{id}/objections` (multipart; the enterprise): `event_key`, `reason`,
/// files.
pub async fn objection_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Object, mp).await
}

/// `POST /credit/ratings/{id}/repairs` (multipart; the enterprise): `reason`, files.
pub async fn repair_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    mp: Multipart,
) -> Result<Response, PageError> {
    multipart_step(s, auth, id, Step::Repair, mp).await
}

/// `POST /credit/objections/{id}/decide` (form; staff): `outcome` uphold/reject, `decision`.
pub async fn objection_decide_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::DecideObjection, b).await
}

/// `POST /credit/repairs/{id}/decide` (form; staff): `outcome` accept/reject, `decision`.
pub async fn repair_decide_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<StepBody>,
) -> Result<Response, PageError> {
    form_step(s, auth, id, Step::DecideRepair, b).await
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
    let rating = step(&s, &auth, id, st, &b, &[], csrf).await?;
    let d = detail(
        &s,
        &auth,
        rating,
        format!("page:/api/v1/credit/ratings/{rating}"),
    )
    .await?;
    let events: Vec<Value> = d.events.iter().map(event_json).collect();
    Ok(Json(json!({
        "rating": rating_json(&s, &d.rating), "events": events,
        "objections": d.objections, "repairs": d.repairs,
    })))
}

/// `POST /api/v1/credit/ratings/{id}/publish` (staff).
pub async fn api_publish(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Publish, headers, body).await
}

/// `POST /api/v1/credit/ratings/{id}/objections` (the enterprise): `event_key`, `reason`.
pub async fn api_object(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Object, headers, body).await
}

/// `POST /api/v1/credit/ratings/{id}/repairs` (the enterprise): `reason`.
pub async fn api_repair(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::Repair, headers, body).await
}

/// `POST /api/v1/credit/objections/{id}/decide` (staff): `outcome`, `decision`.
pub async fn api_objection_decide(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::DecideObjection, headers, body).await
}

/// `POST /api/v1/credit/repairs/{id}/decide` (staff): `outcome`, `decision`.
pub async fn api_repair_decide(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Option<Json<StepBody>>,
) -> Result<Json<Value>, AppError> {
    api_step(s, auth, id, Step::DecideRepair, headers, body).await
}

/// Body of a finding.
#[derive(Debug, Deserialize, Default)]
pub struct FindingBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The enterprise's 统一社会信用代码.
    #[serde(default)]
    pub credit_code: String,
    /// Veto kind.
    #[serde(default)]
    pub kind: String,
    /// YYYY-MM-DD.
    #[serde(default)]
    pub occurred_on: String,
    /// The case, if any (forms send text).
    #[serde(default)]
    pub case_id: Option<Value>,
    /// Basis.
    #[serde(default)]
    pub note: String,
}

async fn finding(
    s: &AppState,
    auth: &Auth,
    b: &FindingBody,
    csrf: Option<&str>,
) -> Result<qingshan_store::CreditFinding, AppError> {
    let target = format!("enterprise:{}", b.credit_code.trim());
    let check = credit::may_manage(auth.user.as_ref())
        .map_err(AppError::from)
        .and_then(|_| auth.check_csrf(csrf));
    if let Err(e) = check {
        return Err(refuse(s, auth, "credit.finding", target, e, None).await);
    }
    let case_id = match &b.case_id {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => n.as_i64(),
        Some(Value::String(t)) if t.trim().is_empty() => None,
        Some(Value::String(t)) => Some(
            t.trim()
                .parse::<i64>()
                .map_err(|_| AppError::invalid("case_id", "应为案件编号（整数）"))?,
        ),
        Some(_) => return Err(AppError::invalid("case_id", "应为案件编号（整数）")),
    };
    match credit::record_finding(
        &s.store,
        auth.user.as_ref(),
        &auth.actor(),
        &b.credit_code,
        &b.kind,
        &b.occurred_on,
        case_id,
        &b.note,
    )
    .await
    {
        Ok(f) => Ok(f),
        Err(e) => Err(refuse_app(s, auth, "credit.finding", target, e, Some(b.note.clone())).await),
    }
}

/// Form body of a finding (every field text).
#[derive(Debug, Deserialize, Default)]
pub struct FindingForm {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Credit code.
    #[serde(default)]
    pub credit_code: String,
    /// Veto kind.
    #[serde(default)]
    pub kind: String,
    /// Date.
    #[serde(default)]
    pub occurred_on: String,
    /// Case id as typed.
    #[serde(default)]
    pub case_id: Option<String>,
    /// Basis.
    #[serde(default)]
    pub note: String,
}

/// `POST /credit/findings` (form; staff): records an 一票否决 finding.
pub async fn finding_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<FindingForm>,
) -> Result<Response, PageError> {
    let b = FindingBody {
        csrf_token: f.csrf_token,
        credit_code: f.credit_code,
        kind: f.kind,
        occurred_on: f.occurred_on,
        case_id: f.case_id.map(Value::String),
        note: f.note,
    };
    let done = finding(&s, &auth, &b, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/credit/findings/{}", done.id)).into_response())
}

/// `POST /api/v1/credit/findings` (staff): `credit_code`, `kind`, `occurred_on`, `case_id`, `note`.
pub async fn api_finding(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<FindingBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = body.map_err(|r| AppError::rejected_body(&r.body_text()))?.0;
    let f = finding(&s, &auth, &b, csrf).await?;
    Ok((StatusCode::CREATED, Json(json!({ "finding": f }))))
}

/// `GET /credit/findings/{id}`: one finding (staff, the enterprise's county, the enterprise).
pub async fn finding_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let target = format!("page:/credit/findings/{id}");
    let (county, code) = match credit::scope(auth.user.as_ref()) {
        Ok(v) => v,
        Err(e) => {
            return Err(refuse_app(&s, &auth, "page.view", target, e, None)
                .await
                .into());
        }
    };
    let Some(f) = s.store.credit_finding(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的一票否决认定")).into());
    };
    let registry = s.store.export_registry().await?;
    let ent = registry
        .enterprises
        .iter()
        .find(|e| e.credit_code == f.credit_code);
    let refused = code.is_some_and(|c| c != f.credit_code)
        || (county.is_some() && county != ent.and_then(|e| e.division_code.clone()));
    if refused {
        let e = qingshan_app::Error::Forbidden("无权查看该一票否决认定".into());
        return Err(refuse_app(&s, &auth, "page.view", target, e, None)
            .await
            .into());
    }
    let label = credit::event_label(&f.kind);
    page(
        "credit_finding.html",
        &auth,
        &s,
        context! { f, label, enterprise => ent.map(|e| e.name.clone()) },
    )
}

/// `GET /credit/evidence/{id}`: a file of an objection or repair the user may see.
pub async fn evidence_download(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let Some((meta, content)) = s.store.credit_evidence_file(id).await? else {
        return Err(AppError::NotFound(format!("没有编号为 {id} 的佐证材料")).into());
    };
    detail(
        &s,
        &auth,
        meta.rating_id,
        format!("page:/credit/evidence/{id}"),
    )
    .await?;
    Ok(crate::web::download::stored_file(
        content,
        &meta.content_type,
        &meta.file_name,
    )?)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    /// The plate colours live in the rule file and in the stylesheet (inline styles are
    /// refused by the CSP): each grade's class must carry its colour.
    #[test]
    fn the_stylesheet_has_every_grade_colour() {
        let css = include_str!("../../assets/app.css");
        for g in &qingshan_app::credit::rules().unwrap().grade {
            let rule = format!(".credit-{} {{ background: {};", g.code, g.colour);
            assert!(css.contains(&rule), "app.css lacks {rule}");
        }
    }
}
