//! Server-rendered pages (zh-CN).

use axum::extract::{FromRequest, Path, Query, Request, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use qingshan_store::{AuditEntry, Role};
use serde::Deserialize;
use serde_json::Value;

use crate::api::{ValueInput, record_value_checked, refuse};
use crate::auth::{self, Auth, CSRF_COOKIE, SESSION_COOKIE, SESSION_TTL_SECS, Via};
use crate::templates::render;
use crate::views::{indicator_view, indicator_views, latest_by_indicator};
use crate::{AppError, AppState};

/// An error on a page: the login page for the anonymous, an error page for the rest.
pub struct PageError(AppError);

impl From<AppError> for PageError {
    fn from(e: AppError) -> Self {
        PageError(e)
    }
}

impl From<qingshan_store::StoreError> for PageError {
    fn from(e: qingshan_store::StoreError) -> Self {
        PageError(e.into())
    }
}

impl From<minijinja::Error> for PageError {
    fn from(e: minijinja::Error) -> Self {
        PageError(e.into())
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let e = self.0;
        if matches!(e, AppError::Unauthenticated) {
            return Redirect::to("/login").into_response();
        }
        if let AppError::Internal(detail) = &e {
            tracing::error!(%detail, "internal error on a page");
        }
        let html = render("error.html", context! { status => e.status().as_u16(), message => e.to_string(), user => Value::Null })
            .unwrap_or_else(|_| e.to_string());
        (e.status(), Html(html)).into_response()
    }
}

/// What page handlers return.
pub(crate) type PageResult = Result<Response, PageError>;

/// Renders a page with what every page shows: the user, their role, the CSRF token, the plan.
pub(crate) fn page(name: &str, auth: &Auth, s: &AppState, ctx: minijinja::Value) -> PageResult {
    let base = context! {
        user => auth.user,
        role_label => auth.user.as_ref().map(|u| u.role.label()),
        is_staff => auth.is_staff(),
        sees_alarms => auth.is_staff() || auth.user.as_ref().is_some_and(|u| u.role == Role::County),
        csrf_token => auth.csrf,
        plan => s.plan.meta,
    };
    let html = render(name, context! { ..ctx, ..base })?;
    Ok(Html(html).into_response())
}

/// What the dashboard is told after a form: how many values an import stored.
#[derive(Debug, serde::Deserialize)]
pub struct DashboardQuery {
    /// Values stored by the import just made.
    pub imported: Option<usize>,
}

/// `GET /`: the plan dashboard, indicators by category.
pub async fn dashboard(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    axum::extract::Query(q): axum::extract::Query<DashboardQuery>,
    axum::extract::Query(counts): axum::extract::Query<crate::import_report::ImportReport>,
) -> PageResult {
    let values = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let views = indicator_views(&s.plan, &values);
    // Progress as of the latest year with a city value (the plan's first year when none).
    let year = crate::assessment_web::latest_year(&values, &s.plan.meta.division)
        .unwrap_or(s.plan.meta.baseline_year + 1);
    let report = crate::assessment_web::report_data(&s, year).await?;
    let progress: std::collections::HashMap<String, minijinja::Value> = report
        .indicators
        .iter()
        .map(|i| {
            let st = i.assessment.status;
            (
                i.number.to_string(),
                context! { code => st.code(), label => st.label(), reasoning => i.reasoning },
            )
        })
        .collect();
    let groups: Vec<_> = s
        .plan
        .categories()
        .into_iter()
        .map(|c| context! { category => c, indicators => views.iter().filter(|v| v.category == c).collect::<Vec<_>>() })
        .collect();
    let reported = views.iter().filter(|v| v.latest.is_some()).count();
    let attention = crate::sources_web::attention(&s, &auth).await?;
    page(
        "dashboard.html",
        &auth,
        &s,
        context! { groups, reported, total => views.len(), years => s.plan.target_years(), progress, progress_year => year, summary => report.summary, imported => q.imported, report => counts.shown(), attention,
        by_unit => rollup_rows(&report.by_unit, &report.unit_scores), by_division => rollup_rows(&report.by_division, &report.division_scores) },
    )
}

/// Roll-up rows for the dashboard: status counts with the 百分制 score and grade beside them.
fn rollup_rows(
    groups: &[qingshan_plan::progress::Group],
    scores: &[qingshan_plan::progress::Score],
) -> Vec<minijinja::Value> {
    groups
        .iter()
        .filter(|g| g.counts.total > 0)
        .map(|g| {
            let score = scores.iter().find(|s| s.key == g.key);
            context! {
                name => g.name, counts => g.counts,
                score => score.map(|s| s.score.to_string()), grade => score.map(|s| s.grade.label()),
            }
        })
        .collect()
}

/// Query of the indicator page.
#[derive(Deserialize)]
pub struct IndicatorQuery {
    /// Set after a successful save.
    pub saved: Option<u8>,
}

/// `GET /indicators/{number}`: one indicator, its targets, its history and the entry form.
pub async fn indicator(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Query(q): Query<IndicatorQuery>,
) -> PageResult {
    let ind = s
        .plan
        .indicator(number)
        .ok_or_else(|| AppError::NotFound(format!("没有第 {number} 项指标")))?;
    let current = s.store.current_indicator_values(&s.plan.meta.id).await?;
    let latest = latest_by_indicator(&current, &s.plan.meta.division).remove(&i64::from(number));
    let view = indicator_view(&s.plan, ind, latest);
    let history = s
        .store
        .indicator_value_history(&s.plan.meta.id, number.into(), None)
        .await?;
    let history: Vec<_> = history
        .iter()
        .rev()
        .map(|v| context! { v => v, division_name => s.plan.division(&v.division_code).map(|d| d.name.as_str()) })
        .collect();
    let city_series: Vec<(i64, f64)> = current
        .iter()
        .filter(|v| {
            v.indicator_number == i64::from(number) && v.division_code == s.plan.meta.division
        })
        .filter_map(|v| {
            v.value
                .parse::<qingshan_plan::Decimal>()
                .ok()
                .map(|d| (v.year, d.to_f64()))
        })
        .collect();
    let chart = crate::pages::chart::indicator_chart(&s.plan, ind, &city_series);
    // Which divisions this user may enter values for; empty means no form.
    let divisions: Vec<_> = match &auth.user {
        Some(u) => s
            .plan
            .divisions
            .iter()
            .filter(|d| auth::value_permission(u, ind, &d.code).is_ok())
            .collect(),
        None => Vec::new(),
    };
    let years: Vec<i32> = (s.plan.meta.baseline_year
        ..=s.plan.meta.milestone_years.last().copied().unwrap_or(2035))
        .collect();
    page(
        "indicator.html",
        &auth,
        &s,
        context! { ind => view, history, divisions, years, saved => q.saved.is_some(), chart },
    )
}

/// The value form.
#[derive(Deserialize)]
pub struct ValueForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Year.
    pub year: String,
    /// Division code.
    pub division: String,
    /// Value text.
    pub value: String,
    /// Note.
    pub note: Option<String>,
    /// Reason.
    pub reason: Option<String>,
}

/// `POST /indicators/{number}/values`: the entry form.
pub async fn record_value(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(number): Path<u32>,
    Form(f): Form<ValueForm>,
) -> PageResult {
    let Ok(year) = f.year.trim().parse::<i64>() else {
        let err = AppError::invalid("year", "年份应为四位数字");
        return Err(refuse(
            &s,
            &auth,
            "indicator_value.record",
            format!("indicator:{number}"),
            err,
            Some(f.value),
        )
        .await
        .into());
    };
    let input = ValueInput {
        year,
        division: Some(f.division),
        value: Value::String(f.value),
        note: f.note,
        reason: f.reason,
    };
    record_value_checked(&s, &auth, number, input, f.csrf_token.as_deref(), "manual").await?;
    Ok(Redirect::to(&format!("/indicators/{number}?saved=1")).into_response())
}

/// Query of the tasks page.
#[derive(Deserialize)]
pub struct TasksQuery {
    /// "area" (default) or "unit".
    pub by: Option<String>,
}

/// `GET /tasks`: the main tasks by area or by responsible unit.
pub async fn tasks(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<TasksQuery>,
) -> PageResult {
    let by_unit = q.by.as_deref() == Some("unit");
    let reports = s.store.all_task_reports(&s.plan.meta.id).await?;
    let latest = latest_task_reports(&reports);
    // A task is 逾期未报 when nothing was reported for last year or later.
    let due_year = (chrono::Utc::now() + chrono::Duration::hours(8))
        .format("%Y")
        .to_string()
        .parse::<i32>()
        .unwrap_or(2026)
        - 1;
    let may_report = |t: &qingshan_plan::Task| {
        auth.user
            .as_ref()
            .is_some_and(|u| crate::evidence::task_permission(u, t).is_ok())
    };
    // Every period's report with its evidence files: for signed-in users only, as the files
    // themselves are (see `crate::evidence`).
    let evidence = match auth.user {
        Some(_) => s.store.plan_task_evidence(&s.plan.meta.id).await?,
        None => Vec::new(),
    };
    let mut files_of: std::collections::HashMap<(i64, i64, &str), Vec<&qingshan_store::Evidence>> =
        std::collections::HashMap::new();
    for e in &evidence {
        files_of
            .entry((e.area, e.number, e.period.as_str()))
            .or_default()
            .push(e);
    }
    let reports_of = |t: &qingshan_plan::Task| -> Vec<minijinja::Value> {
        if auth.user.is_none() {
            return Vec::new();
        }
        let key = (i64::from(t.area), i64::from(t.number));
        let mut rs: Vec<&qingshan_store::TaskReport> = reports
            .iter()
            .filter(|r| (r.area, r.number) == key)
            .collect();
        rs.sort_by_key(|r| std::cmp::Reverse(period_key(&r.period)));
        rs.into_iter()
            .map(|r| {
                let files: Vec<_> = files_of
                    .get(&(r.area, r.number, r.period.as_str()))
                    .into_iter()
                    .flatten()
                    .map(|f| {
                        context! {
                            id => f.id, name => f.file_name, size => crate::evidence::fmt_size(f.size_bytes.max(0) as u64),
                            by => f.uploaded_by_name, at => f.uploaded_at, revision => f.revision, earlier => f.revision != r.revision,
                        }
                    })
                    .collect();
                context! {
                    id => r.id, period => r.period, status => r.status.as_str(), label => r.status.label(), narrative => r.narrative,
                    revision => r.revision, by => r.reported_by_name, at => r.reported_at, files,
                }
            })
            .collect()
    };
    let task_ctx = |t: &qingshan_plan::Task| {
        let last = latest.get(&(i64::from(t.area), i64::from(t.number)));
        let overdue = last.is_none_or(|r| period_key(&r.period).0 < due_year);
        context! {
            code => t.code(), area => t.area, number => t.number, title => t.title, paras => t.text.lines().collect::<Vec<_>>(),
            units => t.responsible.iter().map(|u| s.plan.unit_name(u)).collect::<Vec<_>>(),
            latest => last.map(|r| context! { period => r.period, status => r.status.as_str(), label => r.status.label(), narrative => r.narrative, by => r.reported_by_name, at => r.reported_at }),
            overdue, may_report => may_report(t), reports => reports_of(t),
        }
    };
    let areas: Vec<_> = s
        .plan
        .areas
        .iter()
        .map(|a| context! { numeral => qingshan_plan::area_numeral(a.number), title => a.title, tasks => a.tasks.iter().map(task_ctx).collect::<Vec<_>>() })
        .collect();
    let units: Vec<_> = s
        .plan
        .units
        .iter()
        .map(|u| {
            let tasks: Vec<_> = s
                .plan
                .tasks()
                .filter(|t| t.responsible.contains(&u.id))
                .map(task_ctx)
                .collect();
            let indicators: Vec<_> = s
                .plan
                .indicators
                .iter()
                .filter(|i| i.is_owned_by(&u.id))
                .map(|i| context! { number => i.number, name => i.name })
                .collect();
            let lagging = tasks
                .iter()
                .filter(|t| {
                    t.get_attr("latest")
                        .ok()
                        .and_then(|l| l.get_attr("status").ok())
                        .is_some_and(|st| st.as_str() == Some("lagging"))
                })
                .count();
            let overdue = tasks
                .iter()
                .filter(|t| t.get_attr("overdue").ok().is_some_and(|o| o.is_true()))
                .count();
            context! { id => u.id, name => u.name, tasks, indicators, lagging, overdue }
        })
        .collect();
    page(
        "tasks.html",
        &auth,
        &s,
        context! { by_unit, areas, units, task_count => s.plan.tasks().count(), due_year, this_year => due_year + 1,
        accept => crate::evidence::ACCEPT_ATTR, accepted => crate::evidence::ACCEPTED_LABEL,
        max_size => crate::evidence::fmt_size(s.config.evidence_max_bytes as u64), max_files => crate::evidence::MAX_FILES },
    )
}

/// Orders periods: "2024Q1" < … < "2024Q4" < "2024" (an annual report closes the year).
fn period_key(p: &str) -> (i32, u8) {
    let year = p.get(..4).and_then(|y| y.parse().ok()).unwrap_or(0);
    let q = p.get(5..6).and_then(|q| q.parse().ok()).unwrap_or(5);
    (year, q)
}

/// The latest report of each task.
fn latest_task_reports(
    reports: &[qingshan_store::TaskReport],
) -> std::collections::HashMap<(i64, i64), &qingshan_store::TaskReport> {
    let mut out: std::collections::HashMap<(i64, i64), &qingshan_store::TaskReport> =
        std::collections::HashMap::new();
    for r in reports {
        let e = out.entry((r.area, r.number)).or_insert(r);
        if period_key(&r.period) > period_key(&e.period) {
            *e = r;
        }
    }
    out
}

/// The task report form.
#[derive(Deserialize)]
pub struct TaskReportForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// Period.
    pub period: String,
    /// Status code.
    pub status: String,
    /// Narrative.
    pub narrative: String,
}

/// `POST /tasks/{area}/{number}/reports` (form): the same checks as the API. A multipart form
/// may carry evidence files with the report (parts named `files`).
pub async fn task_report_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((area, number)): Path<(u32, u32)>,
    req: Request,
) -> PageResult {
    let (csrf, body, files) = if crate::evidence::is_multipart(req.headers()) {
        let up = crate::assessment_web::read_report_upload(&s, &auth, area, number, req).await?;
        let body = crate::assessment_web::TaskReportBody::from_fields(&up.fields);
        (up.fields.get("csrf_token").cloned(), body, up.files)
    } else {
        let Form(f) = Form::<TaskReportForm>::from_request(req, &s)
            .await
            .map_err(|r| AppError::invalid("body", r.body_text()))?;
        let body = crate::assessment_web::TaskReportBody {
            period: f.period,
            status: f.status,
            narrative: f.narrative,
        };
        (f.csrf_token, body, crate::evidence::Files::default())
    };
    crate::assessment_web::record_task_report_with_files(
        &s,
        &auth,
        area,
        number,
        body,
        csrf.as_deref(),
        files,
    )
    .await?;
    Ok(Redirect::to(&format!("/tasks#task-{area}-{number}")).into_response())
}

/// Query of the login page.
#[derive(Deserialize)]
pub struct LoginQuery {
    /// Where to go after signing in.
    pub next: Option<String>,
    /// Set after a password change.
    pub changed: Option<String>,
}

fn cookie_header(
    name: &str,
    value: &str,
    max_age: i64,
    secure: bool,
) -> Result<HeaderValue, AppError> {
    let secure = if secure { "; Secure" } else { "" };
    HeaderValue::from_str(&format!(
        "{name}={value}; Path=/; HttpOnly; SameSite=Lax; Max-Age={max_age}{secure}"
    ))
    .map_err(|e| AppError::Internal(e.to_string()))
}

/// `GET /login`: the form, with a CSRF token bound to a cookie (double submit).
pub async fn login_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Query(q): Query<LoginQuery>,
) -> PageResult {
    let token = auth::cookie(&headers, CSRF_COOKIE)
        .filter(|t| t.len() == 64)
        .unwrap_or_else(auth::new_token);
    let mut resp = page(
        "login.html",
        &auth,
        &s,
        context! { login_csrf => token, next => q.next, error => Value::Null, changed => q.changed.is_some() },
    )?;
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(CSRF_COOKIE, &token, 3600, s.config.secure_cookies)?,
    );
    Ok(resp)
}

/// The login form.
#[derive(Deserialize)]
pub struct LoginForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// User name.
    pub username: String,
    /// Password.
    pub password: String,
    /// Where to go next.
    pub next: Option<String>,
}

/// `POST /login`: checks CSRF, throttles, verifies the password, starts a session.
pub async fn login(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> PageResult {
    let target = format!("user:{}", f.username);
    let cookie_token = auth::cookie(&headers, CSRF_COOKIE);
    let csrf_ok =
        matches!((&cookie_token, &f.csrf_token), (Some(c), Some(t)) if auth::same_secret(c, t));
    if !csrf_ok {
        return Err(
            refuse(&s, &auth, "session.login", target, AppError::Csrf, None)
                .await
                .into(),
        );
    }
    if let Err(err) = crate::login_throttle::check(&s, &f.username, &auth.peer).await {
        return Err(refuse(&s, &auth, "session.login", target, err, None)
            .await
            .into());
    }
    let found = s.store.user_credentials(&f.username).await?;
    let user = match crate::login_throttle::verify(found, &f.password) {
        Some(u) => u,
        _ => {
            s.store
                .record_login_attempt(&f.username, &auth.peer, false)
                .await?;
            s.store
                .audit(&AuditEntry::refused(
                    &auth.actor(),
                    "session.login",
                    target,
                    "用户名或密码错误",
                ))
                .await?;
            let token = cookie_token.unwrap_or_default();
            let resp = page(
                "login.html",
                &auth,
                &s,
                context! { login_csrf => token, next => f.next, error => "用户名或密码错误" },
            )?;
            return Ok((StatusCode::UNAUTHORIZED, resp).into_response());
        }
    };
    s.store
        .record_login_attempt(&f.username, &auth.peer, true)
        .await?;
    let sid = auth::new_token();
    let csrf = auth::new_token();
    s.store
        .create_session(&auth::token_hash(&sid), user.id, &csrf, SESSION_TTL_SECS)
        .await?;
    let actor = qingshan_store::Actor {
        user_id: Some(user.id),
        name: user.username.clone(),
        peer: Some(auth.peer.clone()),
    };
    s.store
        .audit(&AuditEntry::ok(&actor, "session.login", target))
        .await?;
    // Only same-site paths: an open redirect would make the login page a phishing tool.
    let next = crate::security::safe_next(f.next.as_deref());
    let mut resp = Redirect::to(&next).into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(
            SESSION_COOKIE,
            &sid,
            SESSION_TTL_SECS,
            s.config.secure_cookies,
        )?,
    );
    Ok(resp)
}

/// The logout form.
#[derive(Deserialize)]
pub struct LogoutForm {
    /// CSRF token.
    pub csrf_token: Option<String>,
}

/// `POST /logout`.
pub async fn logout(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    headers: HeaderMap,
    Form(f): Form<LogoutForm>,
) -> PageResult {
    if auth.via == Via::Session {
        auth.check_csrf(f.csrf_token.as_deref())?;
        if let Some(sid) = auth::cookie(&headers, SESSION_COOKIE) {
            s.store.delete_session(&auth::token_hash(&sid)).await?;
        }
        s.store
            .audit(&AuditEntry::ok(
                &auth.actor(),
                "session.logout",
                "session".into(),
            ))
            .await?;
    }
    let mut resp = Redirect::to("/").into_response();
    resp.headers_mut().append(
        header::SET_COOKIE,
        cookie_header(SESSION_COOKIE, "", 0, s.config.secure_cookies)?,
    );
    Ok(resp)
}

/// `GET /admin/audit`: the audit log, for staff.
pub async fn audit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<crate::paging::PageQuery>,
    axum::extract::RawQuery(raw): axum::extract::RawQuery,
) -> PageResult {
    if let Err(e) = auth.require_staff() {
        let e = refuse(&s, &auth, "page.view", "page:/admin/audit".into(), e, None).await;
        return Err(e.into());
    }
    let n = crate::paging::requested(&pq);
    let (limit, offset) = crate::paging::window(n, crate::paging::PER_PAGE);
    let paged = s.store.audit_paged(None, limit, offset).await?;
    let pager = crate::paging::Pager::new(
        n,
        crate::paging::PER_PAGE,
        paged.total,
        "/admin/audit",
        raw.as_deref(),
    );
    let entries = crate::secrets::mask_audit(paged.items);
    page("audit.html", &auth, &s, context! { entries, pager })
}

/// The embedded stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../assets/app.css"),
    )
}

/// `GET /healthz`: the process and its store answer.
pub async fn healthz(State(s): State<AppState>) -> Result<axum::Json<Value>, AppError> {
    s.store.ping().await?;
    Ok(axum::Json(
        serde_json::json!({ "status": "ok", "backend": s.store.backend(), "plan": s.plan.meta.id }),
    ))
}

/// Anything else.
pub async fn not_found(Extension(auth): Extension<Auth>, uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        return AppError::NotFound(format!("没有此接口：{}", uri.path())).into_response();
    }
    let _ = &auth;
    PageError(AppError::NotFound(format!("页面不存在：{}", uri.path()))).into_response()
}

/// Whether a role is shown the staff navigation.
pub fn is_staff_role(r: Role) -> bool {
    matches!(r, Role::Admin | Role::Staff)
}

pub mod chart;
