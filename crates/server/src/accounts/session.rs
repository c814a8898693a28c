//! Signing in and out, and the audit log page.

use crate::web::query::Query;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect};
use axum::{Extension, Form};
use minijinja::context;
use qingshan_app::login_throttle::{self, LoginLimits};
use qingshan_app::secrets::mask_audit;
use qingshan_store::AuditEntry;
use serde::Deserialize;
use serde_json::Value;

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::{self, Auth, CSRF_COOKIE, SESSION_COOKIE, SESSION_TTL_SECS, Via};
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};
use crate::web::paging;
use crate::web::security::safe_next;

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
    let limits = LoginLimits {
        per_pair: s.config.login_max_failures,
        per_address: s.config.login_max_failures_per_address,
        window_minutes: s.config.login_window_minutes,
    };
    if login_throttle::throttled(&s.store, &limits, &f.username, &auth.peer).await? {
        let err = AppError::TooManyAttempts(s.config.login_window_minutes);
        return Err(refuse(&s, &auth, "session.login", target, err, None)
            .await
            .into());
    }
    let found = s.store.user_credentials(&f.username).await?;
    let user = match login_throttle::verify(found, &f.password) {
        Some(u) => u,
        None => {
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
    let next = safe_next(f.next.as_deref());
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

/// The audit log page's filter (as the API's `action`).
#[derive(Debug, Default, serde::Deserialize)]
pub struct AuditFilter {
    /// Only actions starting with this.
    pub action: Option<String>,
}

/// `GET /admin/audit`: the audit log, for staff, paged, optionally only actions starting
/// with `action`.
pub async fn audit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(pq): Query<paging::PageQuery>,
    Query(filter): Query<AuditFilter>,
    RawQuery(raw): RawQuery,
) -> PageResult {
    if let Err(e) = auth.require_staff() {
        let e = refuse(&s, &auth, "page.view", "page:/admin/audit".into(), e, None).await;
        return Err(e.into());
    }
    let n = paging::requested(&pq);
    let (limit, offset) = paging::window(n, paging::PER_PAGE);
    // The API's filter too: actions starting with `action`.
    let action = filter
        .action
        .as_deref()
        .map(str::trim)
        .filter(|a| !a.is_empty())
        .map(str::to_string);
    let paged = s
        .store
        .audit_paged(action.as_deref(), limit, offset)
        .await?;
    let pager = paging::Pager::new(
        n,
        paging::PER_PAGE,
        paged.total,
        "/admin/audit",
        raw.as_deref(),
    );
    let entries = mask_audit(paged.items);
    page("audit.html", &auth, &s, context! { entries, pager, action })
}
