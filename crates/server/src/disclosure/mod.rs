//! 企业环境信息依法披露 on the web: the public search of submitted reports (`/disclosure`), a
//! submitted report with its revisions, the published list of obliged enterprises; the
//! enterprise's own reports with their due dates and the report form (prefilled, saved as a
//! draft, submitted, amended); the staff's list maintenance, trigger registration and overdue
//! list; and the JSON API `/api/v1/disclosure…`. Who may do what is `qingshan_app::disclosure`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Extension, Form, Json, Router};
use chrono::{Datelike, NaiveDate};
use minijinja::context;
use qingshan_app::disclosure::{self, Filing, ListingInput, ReportKind, TriggerInput};
use qingshan_store::DisclosureListFilter;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::audit::{refuse, refuse_app};
use crate::web::auth::{Auth, CSRF_HEADER};
use crate::web::error::AppError;
use crate::web::page::{PageError, page};
use crate::web::paging;
use crate::web::query::{Query, filled};

/// The pages and API of legally required disclosure.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/disclosure", get(search_page))
        .route("/disclosure/list", get(list_page))
        .route("/disclosure/reports/{id}", get(report_page))
        .route("/disclosure/mine", get(mine_page))
        .route("/disclosure/edit", get(edit_page).post(edit_form))
        .route("/disclosure/manage", get(manage_page))
        .route("/disclosure/manage/list", post(list_add_form))
        .route(
            "/disclosure/manage/list/{id}/remove",
            post(list_remove_form),
        )
        .route("/disclosure/manage/triggers", post(trigger_form))
        .route("/disclosure/overdue", get(overdue_page))
        .route("/api/v1/disclosure/reports", get(api_search))
        .route("/api/v1/disclosure/reports/{id}", get(api_report))
        .route("/api/v1/disclosure/list", get(api_list).post(api_list_add))
        .route("/api/v1/disclosure/list/{id}/remove", post(api_list_remove))
        .route("/api/v1/disclosure/triggers", post(api_trigger))
        .route("/api/v1/disclosure/overdue", get(api_overdue))
        .route("/api/v1/disclosure/dues", get(api_dues))
        .route("/api/v1/disclosure/draft", get(api_draft).post(api_file))
        .route("/api/v1/disclosure/rules", get(api_rules))
}

fn today() -> NaiveDate {
    qingshan_app::beijing::today()
}

fn year_param(v: &Option<String>, default: i64) -> Result<i64, AppError> {
    match filled(v) {
        None => Ok(default),
        Some(y) => y
            .parse::<i64>()
            .ok()
            .filter(|y| (2000..=2100).contains(y))
            .ok_or_else(|| AppError::invalid("year", format!("「{y}」不是有效的年份"))),
    }
}

fn date_param(field: &str, v: &Option<String>) -> Result<NaiveDate, AppError> {
    match filled(v) {
        None => Ok(today()),
        Some(d) => NaiveDate::parse_from_str(&d, "%Y-%m-%d").map_err(|_| {
            AppError::invalid(field, format!("「{d}」不是有效的日期，应为 YYYY-MM-DD"))
        }),
    }
}

/// The report year most enterprises work on: last year's annual report.
fn default_year() -> i64 {
    i64::from(today().year()) - 1
}

/// Search and list parameters (all optional).
#[derive(Debug, Deserialize, Default)]
pub struct SearchQuery {
    /// A name fragment or a whole credit code.
    pub q: Option<String>,
    /// annual or temporary.
    pub kind: Option<String>,
    /// Year.
    pub year: Option<String>,
    /// Beijing date the overdue list is judged on (staff), YYYY-MM-DD.
    pub as_of: Option<String>,
    /// One enterprise (staff; an enterprise account always its own).
    pub credit_code: Option<String>,
    /// Which report: "" for the annual one, or a temporary report's trigger key.
    pub trigger: Option<String>,
}

fn report_row(r: &qingshan_store::DisclosureReport) -> Value {
    json!({ "id": r.id, "credit_code": r.key.credit_code, "enterprise_name": r.enterprise_name,
            "kind": r.key.kind, "kind_label": qingshan_store::labels::disclosure_kind(&r.key.kind),
            "year": r.key.year, "event_date": r.event_date, "due_date": r.due_date, "revision": r.revision,
            "filed_date": r.filed_date, "first_submitted_at": r.first_submitted_at, "last_submitted_at": r.last_submitted_at,
            "late": r.filed_date.as_deref().is_some_and(|f| f > r.due_date.as_str()) })
}

async fn searched(
    s: &AppState,
    q: &SearchQuery,
    n: i64,
) -> Result<qingshan_store::Paged<qingshan_store::DisclosureReport>, AppError> {
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let year = match filled(&q.year) {
        None => None,
        Some(_) => Some(year_param(&q.year, 0)?),
    };
    Ok(disclosure::search(&s.store, filled(&q.q), filled(&q.kind), year, limit, offset).await?)
}

/// `GET /disclosure` (anyone): search submitted reports by name or credit code.
pub async fn search_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let p = searched(&s, &q, n).await?;
    let pager = paging::Pager::new(n, paging::PER_PAGE, p.total, "/disclosure", raw.as_deref());
    let reports: Vec<Value> = p.items.iter().map(report_row).collect();
    let staff = disclosure::may_manage(auth.user.as_ref()).is_ok();
    page(
        "disclosure.html",
        &auth,
        &s,
        context! { reports, total => p.total, pager, staff,
        q => json!({ "q": filled(&q.q), "kind": filled(&q.kind), "year": filled(&q.year) }) },
    )
}

/// `GET /api/v1/disclosure/reports` (anyone): submitted reports (`q`, `kind`, `year`, `page`).
pub async fn api_search(
    State(s): State<AppState>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let p = searched(&s, &q, n).await?;
    let reports: Vec<Value> = p.items.iter().map(report_row).collect();
    Ok(Json(
        json!({ "reports": reports, "total": p.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

/// `GET /disclosure/reports/{id}` (anyone): a submitted report, its sections and revisions.
pub async fn report_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
) -> Result<Response, PageError> {
    let r = disclosure::public_report(&s.store, id)
        .await
        .map_err(AppError::from)?;
    page("disclosure_report.html", &auth, &s, context! { r })
}

/// `GET /api/v1/disclosure/reports/{id}` (anyone): a submitted report with its revisions.
pub async fn api_report(
    State(s): State<AppState>,
    Path(id): Path<i64>,
) -> Result<Json<Value>, AppError> {
    let r = disclosure::public_report(&s.store, id).await?;
    Ok(Json(json!(r)))
}

async fn listed(
    s: &AppState,
    auth: &Auth,
    q: &SearchQuery,
    n: i64,
    state: Option<String>,
) -> Result<(i64, qingshan_store::Paged<disclosure::ListingView>), AppError> {
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    let year = year_param(&q.year, default_year())?;
    let staff = disclosure::may_manage(auth.user.as_ref()).is_ok();
    let f = DisclosureListFilter {
        year: Some(year),
        // The public sees the published list only; staff may ask for removed entries.
        state: if staff { state } else { Some("listed".into()) },
        query: filled(&q.q),
        credit_code: None,
    };
    Ok((
        year,
        disclosure::listings(&s.store, &f, limit, offset).await?,
    ))
}

/// `GET /disclosure/list` (anyone): the published list of a year (`year`, `q`, `page`).
pub async fn list_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let n = paging::requested(&pq);
    let (year, p) = listed(&s, &auth, &q, n, Some("listed".into())).await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        p.total,
        "/disclosure/list",
        raw.as_deref(),
    );
    page(
        "disclosure_list.html",
        &auth,
        &s,
        context! { year, listings => p.items, total => p.total, pager, q => json!({ "q": filled(&q.q) }) },
    )
}

/// `GET /api/v1/disclosure/list` (anyone): a year's published list (`year`, `q`, `page`).
pub async fn api_list(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let n = paging::requested(&pq);
    let (year, p) = listed(&s, &auth, &q, n, None).await?;
    Ok(Json(
        json!({ "year": year, "listings": p.items, "total": p.total, "page": n, "per_page": paging::PER_PAGE }),
    ))
}

fn kind_of(v: &Option<String>) -> Result<ReportKind, AppError> {
    match filled(v).as_deref() {
        None | Some("annual") => Ok(ReportKind::Annual),
        Some("temporary") => Ok(ReportKind::Temporary),
        Some(_) => Err(AppError::invalid(
            "kind",
            "应为 annual（年度报告）或 temporary（临时报告）",
        )),
    }
}

/// Whose reports the user reads, refusals audited against `target`.
async fn reader(
    s: &AppState,
    auth: &Auth,
    q: &SearchQuery,
    target: &str,
) -> Result<String, AppError> {
    match disclosure::reader_of(auth.user.as_ref(), q.credit_code.as_deref()) {
        Ok(c) => Ok(c),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "page.view",
            target.into(),
            e,
            q.credit_code.clone(),
        )
        .await),
    }
}

/// `GET /disclosure/mine`: the enterprise's reports of a year with their due dates (an
/// enterprise account its own; staff any, with `credit_code`).
pub async fn mine_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let code = reader(&s, &auth, &q, "page:/disclosure/mine").await?;
    let year = year_param(&q.year, default_year())?;
    let dues = disclosure::due_views(&s.store, &code, year, today())
        .await
        .map_err(AppError::from)?;
    let listing = s
        .store
        .disclosure_listing_of(year, &code)
        .await
        .map_err(AppError::from)?
        .map(disclosure::listing_view)
        .transpose()
        .map_err(AppError::from)?;
    let reports: Vec<Value> = s
        .store
        .disclosure_reports_of(&code, None)
        .await
        .map_err(AppError::from)?
        .iter()
        .map(report_row)
        .collect();
    let years: Vec<i64> = (2022..=i64::from(today().year())).rev().collect();
    let writer = disclosure::writer_of(auth.user.as_ref(), Some(&code)).is_ok();
    page(
        "disclosure_mine.html",
        &auth,
        &s,
        context! { code, year, years, dues, listing, reports, writer },
    )
}

/// `GET /api/v1/disclosure/dues`: the reports an enterprise owes for `year` with their status
/// on `as_of` (staff may pick a date; default today) and their lapses (late or missing).
pub async fn api_dues(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let code = reader(&s, &auth, &q, "page:/api/v1/disclosure/dues").await?;
    let year = year_param(&q.year, default_year())?;
    let as_of = date_param("as_of", &q.as_of)?;
    let dues = disclosure::due_views(&s.store, &code, year, as_of).await?;
    let lapses: Vec<&disclosure::DisclosureLapse> =
        dues.iter().filter_map(|d| d.lapse.as_ref()).collect();
    Ok(Json(
        json!({ "credit_code": code, "year": year, "as_of": as_of, "dues": dues, "lapses": lapses }),
    ))
}

/// `GET /disclosure/edit` (`year`, `kind`, `trigger`): the form of one report the enterprise
/// owes, prefilled where qingshan has the data; staff read it.
pub async fn edit_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
) -> Result<Response, PageError> {
    let code = reader(&s, &auth, &q, "page:/disclosure/edit").await?;
    let year = year_param(&q.year, default_year())?;
    let kind = kind_of(&q.kind)?;
    let trigger = filled(&q.trigger).unwrap_or_default();
    let form = disclosure::form(&s.store, &code, year, kind, &trigger, today())
        .await
        .map_err(AppError::from)?;
    let writer = disclosure::writer_of(auth.user.as_ref(), Some(&code)).is_ok();
    page(
        "disclosure_edit.html",
        &auth,
        &s,
        context! { form, year, kind => kind.code(), kind_label => kind.label(), trigger, writer },
    )
}

/// `GET /api/v1/disclosure/draft` (`credit_code`, `year`, `kind`, `trigger`): the form with its
/// values (the draft, else prefilled) for the enterprise's own account or staff.
pub async fn api_draft(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
) -> Result<Json<Value>, AppError> {
    let code = reader(&s, &auth, &q, "page:/api/v1/disclosure/draft").await?;
    let year = year_param(&q.year, default_year())?;
    let kind = kind_of(&q.kind)?;
    let trigger = filled(&q.trigger).unwrap_or_default();
    let form = disclosure::form(&s.store, &code, year, kind, &trigger, today()).await?;
    Ok(Json(json!(form)))
}

async fn file(
    s: &AppState,
    auth: &Auth,
    credit_code: Option<&str>,
    f: &Filing,
    csrf: Option<&str>,
) -> Result<qingshan_store::DisclosureReport, AppError> {
    let action = if f.submit {
        "disclosure.submit"
    } else {
        "disclosure.draft"
    };
    let target = format!("disclosure:{}", credit_code.unwrap_or("own"));
    let code = match disclosure::writer_of(auth.user.as_ref(), credit_code) {
        Ok(c) => c,
        Err(e) => {
            return Err(
                refuse_app(s, auth, action, target, e, credit_code.map(str::to_string)).await,
            );
        }
    };
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, action, target, e, None).await);
    }
    match disclosure::file(&s.store, &auth.actor(), &code, f, today()).await {
        Ok(r) => Ok(r),
        Err(e) => Err(refuse_app(
            s,
            auth,
            action,
            format!("disclosure:{code}"),
            e,
            f.reason.clone(),
        )
        .await),
    }
}

/// `POST /disclosure/edit` (form; the enterprise's own account): saves the draft or submits.
pub async fn edit_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Result<Response, PageError> {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone());
    let year = year_param(&get("year"), default_year())?;
    let mut f = Filing {
        year,
        kind: get("kind").unwrap_or_default(),
        trigger_key: get("trigger").unwrap_or_default(),
        submit: get("action").as_deref() == Some("submit"),
        reason: get("reason"),
        ..Default::default()
    };
    for (k, v) in &pairs {
        if k.contains('.') {
            f.values.insert(k.clone(), v.clone());
        }
    }
    let code = get("credit_code");
    let r = file(&s, &auth, code.as_deref(), &f, get("csrf_token").as_deref()).await?;
    let to = if r.revision > 0 && f.submit {
        format!("/disclosure/reports/{}", r.id)
    } else {
        format!(
            "/disclosure/edit?year={}&kind={}&trigger={}",
            r.key.year,
            r.key.kind,
            qingshan_app::path_segment(&r.key.trigger_key)
        )
    };
    Ok(Redirect::to(&to).into_response())
}

/// A filing as JSON: the enterprise's own (`credit_code` may be left out).
#[derive(Debug, Deserialize)]
pub struct FilingBody {
    /// The enterprise (an enterprise account: its own only).
    #[serde(default)]
    pub credit_code: Option<String>,
    /// The filing.
    #[serde(flatten)]
    pub filing: Filing,
}

/// `POST /api/v1/disclosure/draft` (the enterprise's own account; CSRF header with a cookie
/// session): saves the draft (`submit: false`) or submits a revision (`submit: true`).
pub async fn api_file(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<FilingBody>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let b = match body {
        Ok(Json(b)) => b,
        Err(r) => {
            // Who may not write at all is refused (and audited) before the body matters.
            if let Err(e) = disclosure::writer_of(auth.user.as_ref(), None) {
                return Err(refuse_app(
                    &s,
                    &auth,
                    "disclosure.submit",
                    "disclosure:own".into(),
                    e,
                    None,
                )
                .await);
            }
            return Err(AppError::rejected_body(&r.body_text()));
        }
    };
    let r = file(&s, &auth, b.credit_code.as_deref(), &b.filing, csrf).await?;
    let status = if b.filing.submit {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(json!({ "report": report_row(&r) }))))
}

/// `GET /api/v1/disclosure/rules` (anyone): the rules file as data (bases, triggers, sections
/// with their fields and sources, deadlines) and the working-day calendar's years.
pub async fn api_rules() -> Result<Json<Value>, AppError> {
    let rules = disclosure::rules()?;
    let cal = disclosure::calendar()?;
    let years: Vec<Value> = cal
        .years
        .values()
        .map(|y| json!({ "year": y.year, "source": y.source, "confirmed": y.confirmed }))
        .collect();
    Ok(Json(json!({ "rules": rules, "calendar": years })))
}

async fn staff_only(s: &AppState, auth: &Auth, action: &str, target: &str) -> Result<(), AppError> {
    match disclosure::may_manage(auth.user.as_ref()) {
        Ok(()) => Ok(()),
        Err(e) => Err(refuse_app(s, auth, action, target.into(), e, None).await),
    }
}

/// `GET /disclosure/manage` (staff): a year's list with removed entries, the add and
/// trigger forms.
pub async fn manage_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    staff_only(&s, &auth, "page.view", "page:/disclosure/manage").await?;
    let n = paging::requested(&pq);
    let (year, p) = listed(&s, &auth, &q, n, None).await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        p.total,
        "/disclosure/manage",
        raw.as_deref(),
    );
    let rules = disclosure::rules().map_err(AppError::from)?;
    let triggers: Vec<&qingshan_sources::disclosure::Coded> = rules
        .trigger
        .iter()
        .filter(|t| t.code != "penalty")
        .collect();
    page(
        "disclosure_manage.html",
        &auth,
        &s,
        context! { year, listings => p.items, total => p.total, pager, bases => &rules.basis,
        reasons => &rules.penalty_reason, triggers, q => json!({ "q": filled(&q.q) }) },
    )
}

/// A list entry from the form (the year as typed).
#[derive(Debug, Deserialize, Default)]
pub struct ListBody {
    /// CSRF token.
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The list year.
    #[serde(default)]
    pub year: Option<String>,
    /// 统一社会信用代码.
    #[serde(default)]
    pub credit_code: String,
    /// Basis code.
    #[serde(default)]
    pub basis: String,
    /// Reason.
    #[serde(default)]
    pub reason: String,
}

/// A removal's reason, from a form or JSON.
#[derive(Debug, Deserialize, Default)]
pub struct RemoveBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// A trigger, from a form or JSON.
#[derive(Debug, Deserialize, Default)]
pub struct TriggerBody {
    /// CSRF token (forms).
    #[serde(default)]
    pub csrf_token: Option<String>,
    /// The trigger.
    #[serde(flatten)]
    pub input: TriggerInput,
}

async fn add_listing(
    s: &AppState,
    auth: &Auth,
    input: &ListingInput,
    csrf: Option<&str>,
) -> Result<qingshan_store::DisclosureListing, AppError> {
    let target = "disclosure_list:new".to_string();
    staff_only(s, auth, "disclosure.list_add", &target).await?;
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, "disclosure.list_add", target, e, None).await);
    }
    match disclosure::add_listing(&s.store, auth.user.as_ref(), &auth.actor(), input, today()).await
    {
        Ok(l) => Ok(l),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "disclosure.list_add",
            target,
            e,
            Some(input.credit_code.clone()),
        )
        .await),
    }
}

async fn remove_listing(
    s: &AppState,
    auth: &Auth,
    id: i64,
    reason: &str,
    csrf: Option<&str>,
) -> Result<qingshan_store::DisclosureListing, AppError> {
    let target = format!("disclosure_list:{id}");
    staff_only(s, auth, "disclosure.list_remove", &target).await?;
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, "disclosure.list_remove", target, e, None).await);
    }
    match disclosure::remove_listing(&s.store, auth.user.as_ref(), &auth.actor(), id, reason).await
    {
        Ok(l) => Ok(l),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "disclosure.list_remove",
            target,
            e,
            Some(reason.to_string()),
        )
        .await),
    }
}

async fn add_trigger(
    s: &AppState,
    auth: &Auth,
    input: &TriggerInput,
    csrf: Option<&str>,
) -> Result<qingshan_store::DisclosureTrigger, AppError> {
    let target = "disclosure_trigger:new".to_string();
    staff_only(s, auth, "disclosure.trigger", &target).await?;
    if let Err(e) = auth.check_csrf(csrf) {
        return Err(refuse(s, auth, "disclosure.trigger", target, e, None).await);
    }
    match disclosure::add_trigger(&s.store, auth.user.as_ref(), &auth.actor(), input, today()).await
    {
        Ok(t) => Ok(t),
        Err(e) => Err(refuse_app(
            s,
            auth,
            "disclosure.trigger",
            target,
            e,
            Some(input.document.clone()),
        )
        .await),
    }
}

/// `POST /disclosure/manage/list` (form; staff): puts an enterprise on a year's list.
pub async fn list_add_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(b): Form<ListBody>,
) -> Result<Response, PageError> {
    let input = ListingInput {
        year: year_param(&b.year, default_year())?,
        credit_code: b.credit_code,
        basis: b.basis,
        reason: b.reason,
    };
    let l = add_listing(&s, &auth, &input, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/disclosure/manage?year={}", l.year)).into_response())
}

/// `POST /disclosure/manage/list/{id}/remove` (form; staff): takes an entry off with a reason.
pub async fn list_remove_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    Form(b): Form<RemoveBody>,
) -> Result<Response, PageError> {
    let l = remove_listing(&s, &auth, id, &b.reason, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!("/disclosure/manage?year={}", l.year)).into_response())
}

/// `POST /disclosure/manage/triggers` (form; staff): registers a temporary-report trigger.
pub async fn trigger_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(b): Form<TriggerBody>,
) -> Result<Response, PageError> {
    let t = add_trigger(&s, &auth, &b.input, b.csrf_token.as_deref()).await?;
    Ok(Redirect::to(&format!(
        "/disclosure/mine?credit_code={}&year={}",
        qingshan_app::path_segment(&t.credit_code),
        &t.event_date[..4]
    ))
    .into_response())
}

fn json_body<T>(
    body: Result<Json<T>, axum::extract::rejection::JsonRejection>,
) -> Result<T, AppError> {
    body.map(|Json(b)| b)
        .map_err(|r| AppError::rejected_body(&r.body_text()))
}

/// `POST /api/v1/disclosure/list` (staff): puts an enterprise on a year's list.
pub async fn api_list_add(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<ListingInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff_only(&s, &auth, "disclosure.list_add", "disclosure_list:new").await?;
    let input = json_body(body)?;
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let l = add_listing(&s, &auth, &input, csrf).await?;
    let v = disclosure::listing_view(l)?;
    Ok((StatusCode::CREATED, Json(json!({ "listing": v }))))
}

/// `POST /api/v1/disclosure/list/{id}/remove` (staff): takes an entry off with `reason`.
pub async fn api_list_remove(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(id): Path<i64>,
    headers: HeaderMap,
    body: Result<Json<RemoveBody>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, AppError> {
    staff_only(
        &s,
        &auth,
        "disclosure.list_remove",
        &format!("disclosure_list:{id}"),
    )
    .await?;
    let b = json_body(body)?;
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let l = remove_listing(&s, &auth, id, &b.reason, csrf).await?;
    Ok(Json(json!({ "listing": disclosure::listing_view(l)? })))
}

/// `POST /api/v1/disclosure/triggers` (staff): registers a temporary-report trigger.
pub async fn api_trigger(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    body: Result<Json<TriggerInput>, axum::extract::rejection::JsonRejection>,
) -> Result<(StatusCode, Json<Value>), AppError> {
    staff_only(&s, &auth, "disclosure.trigger", "disclosure_trigger:new").await?;
    let input = json_body(body)?;
    let csrf = headers.get(CSRF_HEADER).and_then(|v| v.to_str().ok());
    let t = add_trigger(&s, &auth, &input, csrf).await?;
    Ok((StatusCode::CREATED, Json(json!({ "trigger": t }))))
}

async fn overdue_rows(
    s: &AppState,
    auth: &Auth,
    q: &SearchQuery,
    target: &str,
) -> Result<(i64, NaiveDate, Vec<disclosure::OverdueRow>), AppError> {
    staff_only(s, auth, "page.view", target).await?;
    let year = year_param(&q.year, default_year())?;
    let as_of = date_param("as_of", &q.as_of)?;
    let rows = disclosure::overdue(&s.store, auth.user.as_ref(), year, as_of).await?;
    Ok((year, as_of, rows))
}

fn page_of<T: Clone>(rows: &[T], n: i64) -> Vec<T> {
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    rows.iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .cloned()
        .collect()
}

/// `GET /disclosure/overdue` (staff): late and missing reports of a year's listed enterprises
/// on `as_of` (default today), paged.
pub async fn overdue_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> Result<Response, PageError> {
    let (year, as_of, rows) = overdue_rows(&s, &auth, &q, "page:/disclosure/overdue").await?;
    let n = paging::requested(&pq);
    let total = rows.len() as i64;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        total,
        "/disclosure/overdue",
        raw.as_deref(),
    );
    page(
        "disclosure_overdue.html",
        &auth,
        &s,
        context! { year, as_of => as_of.to_string(), rows => page_of(&rows, n), total, pager },
    )
}

/// `GET /api/v1/disclosure/overdue` (staff): the same as JSON (`year`, `as_of`, `page`).
pub async fn api_overdue(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<SearchQuery>,
    Query(pq): Query<paging::PageQuery>,
) -> Result<Json<Value>, AppError> {
    let (year, as_of, rows) =
        overdue_rows(&s, &auth, &q, "page:/api/v1/disclosure/overdue").await?;
    let n = paging::requested(&pq);
    Ok(Json(
        json!({ "year": year, "as_of": as_of, "overdue": page_of(&rows, n), "total": rows.len(), "page": n, "per_page": paging::PER_PAGE }),
    ))
}
