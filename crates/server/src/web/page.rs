//! Page rendering: the one renderer every page goes through (what every page shows: the user,
//! their role, the CSRF token, the plan), and the error a page answers with.

use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use qingshan_store::Role;
use serde_json::Value;

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::templates::render;

/// An error on a page: the login page for the anonymous, an error page for the rest.
pub struct PageError(pub AppError);

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
pub type PageResult = Result<Response, PageError>;

/// Renders a page with what every page shows: the user, their role, the CSRF token, the plan.
pub fn page(name: &str, auth: &Auth, s: &AppState, ctx: minijinja::Value) -> PageResult {
    let base = context! {
        user => auth.user,
        role_label => auth.user.as_ref().map(|u| u.role.label()),
        is_staff => auth.is_staff(),
        sees_alarms => auth.is_staff() || auth.user.as_ref().is_some_and(|u| u.role == Role::County),
        csrf_token => auth.csrf,
        plan => s.plan.meta,
        demo => s.config.demo.then_some(qingshan_app::demo::ATTRIBUTION),
    };
    let html = render(name, context! { ..ctx, ..base })?;
    Ok(Html(html).into_response())
}

impl From<qingshan_app::Error> for PageError {
    fn from(e: qingshan_app::Error) -> Self {
        PageError(e.into())
    }
}

impl From<qingshan_app::air::AirDataError> for PageError {
    fn from(e: qingshan_app::air::AirDataError) -> Self {
        PageError(e.into())
    }
}

impl From<qingshan_app::water::WaterDataError> for PageError {
    fn from(e: qingshan_app::water::WaterDataError) -> Self {
        PageError(e.into())
    }
}
