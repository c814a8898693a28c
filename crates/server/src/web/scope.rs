//! The gate every request passes after sign-in is resolved, before any handler: an account
//! whose password was set by someone else goes to the password page first, and an enterprise
//! account (排污单位) reaches only the routes listed in [`ENTERPRISE_ROUTES`] — everything else
//! answers 403 and is audited, whatever the handler behind it would have done. Which devices
//! and records inside those routes it may see is the app's rule (`qingshan_app::scope`),
//! applied by the handlers.

use axum::extract::{Request, State};
use axum::http::Method;
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use qingshan_store::Role;

use crate::AppState;
use crate::web::audit::refuse;
use crate::web::auth::Auth;
use crate::web::error::AppError;

/// The password page, the one page an account that must change its password may open.
pub const PASSWORD_PAGE: &str = "/account/password";

/// The enterprise account's home.
pub const ENTERPRISE_HOME: &str = "/enterprise";

/// What an enterprise account may open: method and path pattern (`{…}` matches one segment,
/// a trailing `*` any rest). A feature that serves enterprise accounts adds its paths here;
/// its handlers must still confine what they show with `qingshan_app::scope`.
pub const ENTERPRISE_ROUTES: &[(&str, &str)] = &[
    ("GET", "/enterprise"),
    ("GET", "/api/v1/enterprise"),
    ("GET", "/sources"),
    ("GET", "/sources/devices/{mn}"),
    ("GET", "/api/v1/sources/devices"),
    ("GET", "/api/v1/sources/devices/{mn}/data"),
    ("GET", "/api/v1/sources/devices/{mn}/statistics"),
    // The gaps in its own devices' data and their backfill.
    ("GET", "/sources/devices/{mn}/gaps"),
    ("GET", "/api/v1/sources/devices/{mn}/gaps"),
    // Its own devices' analyser parameters and clock (qingshan_app::params::may_see).
    ("GET", "/sources/devices/{mn}/params"),
    ("GET", "/api/v1/sources/devices/{mn}/params"),
    ("GET", "/api/v1/sources/devices/{mn}/clock"),
    ("GET", "/api/v1/me"),
    // Its incidents, and its data marks (filed for its own devices, read back, not reviewed).
    ("GET", "/alarms"),
    ("GET", "/incidents/{id}"),
    ("GET", "/api/v1/incidents"),
    ("GET", "/api/v1/incidents/{id}"),
    ("GET", "/marks"),
    ("GET", "/marks/new"),
    ("POST", "/marks/new"),
    ("GET", "/marks/{id}"),
    ("GET", "/marks/evidence/{id}"),
    ("GET", "/api/v1/marks"),
    ("POST", "/api/v1/marks"),
    ("GET", "/api/v1/marks/rule"),
    ("GET", "/api/v1/marks/{id}"),
    // Orders (督办单) addressed to it: read, and answered with evidence.
    ("GET", "/orders"),
    ("GET", "/orders/{id}"),
    ("POST", "/orders/{id}/reply"),
    ("GET", "/orders/evidence/{id}"),
    ("GET", "/api/v1/orders"),
    ("GET", "/api/v1/orders/{id}"),
    ("POST", "/api/v1/orders/{id}/reply"),
    // Cases against it: read, the case file, and its rectification reports.
    ("GET", "/cases"),
    ("GET", "/cases/{id}"),
    ("POST", "/cases/{id}/report"),
    ("GET", "/cases/{id}/case.pdf"),
    ("GET", "/cases/documents/{id}"),
    ("GET", "/api/v1/cases"),
    ("GET", "/api/v1/cases/{id}"),
    ("POST", "/api/v1/cases/{id}/report"),
    ("GET", "/api/v1/legal-bases"),
    // 绩效分级: the public list, its own records, and applications for itself; its own entries
    // of the 应急减排清单 (read only).
    ("GET", "/heavy/grades"),
    ("GET", "/heavy/grades/apply"),
    ("POST", "/heavy/grades/apply"),
    ("GET", "/heavy/grades/{id}"),
    ("GET", "/heavy/grades/documents/{id}"),
    ("GET", "/api/v1/heavy/rules"),
    ("GET", "/api/v1/heavy/grades"),
    ("GET", "/api/v1/heavy/grades/{id}"),
    ("GET", "/heavy/reductions"),
    ("GET", "/api/v1/heavy/reductions"),
    // Heavy-pollution warnings: the list, the warnings it received notices of (its own figures
    // only), its confirmation of a notice, and its part of the episode report.
    ("GET", "/heavy/warnings"),
    ("GET", "/heavy/warnings/{id}"),
    ("POST", "/heavy/warnings/notices/{id}/confirm"),
    ("GET", "/heavy/warnings/{id}/report.html"),
    ("GET", "/heavy/warnings/{id}/report.pdf"),
    ("GET", "/heavy/warnings/{id}/report.xlsx"),
    ("GET", "/api/v1/heavy/warnings"),
    ("GET", "/api/v1/heavy/warnings/{id}"),
    ("GET", "/api/v1/heavy/warnings/{id}/report"),
    ("POST", "/api/v1/heavy/warnings/notices/{id}/confirm"),
    // The complaints desk's public figures are everyone's; its form and cases are not (an
    // enterprise's staff file as citizens, signed out, and never see who complained).
    ("GET", "/public/complaints"),
    ("GET", "/api/v1/complaints/stats"),
    // 环境信用: the public lookup, its own ratings with their events and files, its objections
    // and repair applications (qingshan_app::credit confines them to its own).
    ("GET", "/credit"),
    ("GET", "/credit/ratings"),
    ("GET", "/credit/ratings.xlsx"),
    ("GET", "/credit/ratings/{id}"),
    ("POST", "/credit/ratings/{id}/objections"),
    ("POST", "/credit/ratings/{id}/repairs"),
    ("GET", "/credit/findings/{id}"),
    ("GET", "/credit/evidence/{id}"),
    ("GET", "/api/v1/credit/rules"),
    ("GET", "/api/v1/credit/lookup"),
    ("GET", "/api/v1/credit/ratings"),
    ("GET", "/api/v1/credit/ratings/{id}"),
    ("POST", "/api/v1/credit/ratings/{id}/objections"),
    ("POST", "/api/v1/credit/ratings/{id}/repairs"),
    ("GET", "/account/password"),
    ("POST", "/account/password"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/assets/*"),
    ("GET", "/healthz"),
    // 信息公开: the public portal is everyone's, an enterprise's staff included.
    ("GET", "/public"),
    ("GET", "/public/air"),
    ("GET", "/public/water"),
    ("GET", "/public/plan"),
    ("GET", "/public/sources"),
    ("GET", "/public/data/air-daily.csv"),
    ("GET", "/public/data/air-daily.xlsx"),
    ("GET", "/public/data/water-sections.csv"),
    ("GET", "/public/data/water-sections.xlsx"),
    ("GET", "/public/data/plan-progress.csv"),
    ("GET", "/public/data/plan-progress.xlsx"),
    ("GET", "/api/v1/public/home"),
    ("GET", "/api/v1/public/air/daily"),
    ("GET", "/api/v1/public/water/sections"),
    ("GET", "/api/v1/public/plan"),
    // 公众参与: reading consultations, commenting and the questionnaire are everyone's too.
    ("GET", "/public/consultations"),
    ("GET", "/public/consultations/{id}"),
    ("POST", "/public/consultations/{id}/comments"),
    ("GET", "/public/consultations/documents/{id}"),
    ("GET", "/public/satisfaction"),
    ("POST", "/public/satisfaction"),
    ("GET", "/api/v1/consultations"),
    ("GET", "/api/v1/consultations/challenge"),
    ("GET", "/api/v1/consultations/satisfaction"),
    ("POST", "/api/v1/consultations/satisfaction"),
    ("GET", "/api/v1/consultations/{id}"),
    ("POST", "/api/v1/consultations/{id}/comments"),
    // 企业环境信息依法披露: its own reports (qingshan_app::disclosure::reader_of/writer_of),
    // and what the public reads (submitted reports, the published list, the rules).
    ("GET", "/disclosure"),
    ("GET", "/disclosure/list"),
    ("GET", "/disclosure/reports/{id}"),
    ("GET", "/disclosure/mine"),
    ("GET", "/disclosure/edit"),
    ("POST", "/disclosure/edit"),
    ("GET", "/api/v1/disclosure/reports"),
    ("GET", "/api/v1/disclosure/reports/{id}"),
    ("GET", "/api/v1/disclosure/list"),
    ("GET", "/api/v1/disclosure/dues"),
    ("GET", "/api/v1/disclosure/draft"),
    ("POST", "/api/v1/disclosure/draft"),
    ("GET", "/api/v1/disclosure/rules"),
];

/// What an account that must change its password may open meanwhile.
const PASSWORD_ROUTES: &[(&str, &str)] = &[
    ("GET", PASSWORD_PAGE),
    ("POST", PASSWORD_PAGE),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/assets/*"),
    ("GET", "/healthz"),
];

/// Whether `path` matches `pattern` (see [`ENTERPRISE_ROUTES`]).
fn matches(pattern: &str, path: &str) -> bool {
    if let Some(prefix) = pattern.strip_suffix('*') {
        return path.starts_with(prefix);
    }
    let (mut p, mut q) = (pattern.split('/'), path.split('/'));
    loop {
        match (p.next(), q.next()) {
            (None, None) => return true,
            (Some(a), Some(b)) if a.starts_with('{') && a.ends_with('}') => {
                if b.is_empty() {
                    return false;
                }
            }
            (Some(a), Some(b)) if a == b => {}
            _ => return false,
        }
    }
}

/// Whether the request is listed in `routes`; HEAD counts as GET.
fn listed(routes: &[(&str, &str)], method: &Method, path: &str) -> bool {
    let method = if method == Method::HEAD {
        "GET"
    } else {
        method.as_str()
    };
    routes.iter().any(|(m, p)| *m == method && matches(p, path))
}

/// Middleware (inside [`crate::web::auth::resolve`]): the password-change gate and the
/// enterprise account's route list.
pub async fn gate(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let Some(auth) = req.extensions().get::<Auth>().cloned() else {
        return next.run(req).await;
    };
    let Some(user) = auth.user.as_ref() else {
        return next.run(req).await;
    };
    let path = req.uri().path().to_string();
    let method = req.method().clone();
    let api = path.starts_with("/api/");
    if user.must_change_password && !listed(PASSWORD_ROUTES, &method, &path) {
        if !api && method == Method::GET {
            return Redirect::to(PASSWORD_PAGE).into_response();
        }
        return AppError::Forbidden("首次登录或密码被重置后，须先修改密码才能继续使用".into())
            .into_response();
    }
    if user.role == Role::Enterprise {
        if path == "/" && method == Method::GET {
            return Redirect::to(ENTERPRISE_HOME).into_response();
        }
        if !listed(ENTERPRISE_ROUTES, &method, &path) {
            let err = AppError::Forbidden("排污单位账号无权访问此页面或接口".into());
            let action = if method == Method::GET {
                "page.view"
            } else {
                "page.submit"
            };
            return refuse(&s, &auth, action, format!("page:{path}"), err, None)
                .await
                .into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns() {
        assert!(matches("/sources/devices/{mn}", "/sources/devices/MN1"));
        assert!(!matches("/sources/devices/{mn}", "/sources/devices/"));
        assert!(!matches("/sources/devices/{mn}", "/sources/devices/MN1/x"));
        assert!(!matches("/sources", "/sources/edit"));
        assert!(matches("/assets/*", "/assets/app.css"));
        assert!(listed(ENTERPRISE_ROUTES, &Method::HEAD, "/sources"));
        assert!(!listed(ENTERPRISE_ROUTES, &Method::POST, "/sources"));
        assert!(!listed(ENTERPRISE_ROUTES, &Method::GET, "/admin/users"));
    }
}
