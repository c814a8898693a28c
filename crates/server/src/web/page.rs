//! Page rendering: the one renderer every page goes through (what every page shows: the user,
//! their role, the CSRF token, the plan), and the error a page answers with.

use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Redirect, Response};
use minijinja::context;
use qingshan_store::Role;

use crate::AppState;
use crate::web::auth::{Auth, Via};
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
        ErrorPage {
            status: e.status(),
            message: e.to_string(),
            retry: None,
            form: None,
        }
        .into_response()
    }
}

/// An error page to draw. A handler (or an extractor's rejection) has no user or plan at hand,
/// so it leaves this on the response and [`render_errors`] draws it in the site layout, with
/// the navigation and the signed-in user.
#[derive(Debug, Clone)]
pub struct ErrorPage {
    /// HTTP status.
    pub status: StatusCode,
    /// What went wrong, in Chinese.
    pub message: String,
    /// A link to the same page without the bad input, for a bad query string.
    pub retry: Option<String>,
    /// A form to type the bad parameter again, holding what was typed.
    pub form: Option<RetryForm>,
}

/// The form an error page offers to correct one query parameter, keeping the others.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RetryForm {
    /// The page's path.
    pub action: String,
    /// The parameter's name in the URL.
    pub param: String,
    /// Its Chinese name.
    pub label: String,
    /// What the user typed.
    pub typed: String,
    /// The other parameters, kept as they were.
    pub keep: Vec<(String, String)>,
}

impl IntoResponse for ErrorPage {
    fn into_response(self) -> Response {
        // The body is a plain fallback; render_errors replaces it with the full page.
        let body = format!(
            "<!doctype html><meta charset=\"utf-8\"><title>{} · 青山</title><p>{}</p>",
            self.status.as_u16(),
            crate::web::html::escape(&self.message)
        );
        let status = self.status;
        let mut resp = (status, Html(body)).into_response();
        resp.extensions_mut().insert(self);
        resp
    }
}

/// Middleware: draws every [`ErrorPage`] left on a response with `error.html` in the site
/// layout, for the user who asked.
pub async fn render_errors(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or(Auth {
        user: None,
        csrf: None,
        via: Via::Anonymous,
        peer: String::new(),
    });
    let resp = next.run(req).await;
    let Some(err) = resp.extensions().get::<ErrorPage>().cloned() else {
        return resp;
    };
    let ctx = context! {
        status => err.status.as_u16(),
        message => err.message,
        retry => err.retry,
        form => err.form,
    };
    match page("error.html", &auth, &s, ctx) {
        Ok(mut page) => {
            *page.status_mut() = err.status;
            page
        }
        Err(_) => resp,
    }
}

/// What page handlers return.
pub type PageResult = Result<Response, PageError>;

/// What every page shows: the user, their role, the CSRF token, the plan.
pub fn page_context(auth: &Auth, s: &AppState) -> minijinja::Value {
    context! {
        user => auth.user,
        role_label => auth.user.as_ref().map(|u| u.role.label()),
        is_staff => auth.is_staff(),
        sees_alarms => auth.is_staff() || auth.user.as_ref().is_some_and(|u| u.role == Role::County),
        csrf_token => auth.csrf,
        plan => s.plan.meta,
    }
}

/// Renders a page with what every page shows ([`page_context`]).
pub fn page(name: &str, auth: &Auth, s: &AppState, ctx: minijinja::Value) -> PageResult {
    let html = render(name, context! { ..ctx, ..page_context(auth, s) })?;
    Ok(Html(html).into_response())
}

/// A standalone HTML document (the annual report, which the command line writes as it is)
/// served inside the site: the site's navigation and `extra` (rendered from `template`) are put
/// at the top of its body, and the site stylesheet is linked for them.
pub fn framed_document(
    document: &str,
    template: &str,
    auth: &Auth,
    s: &AppState,
    ctx: minijinja::Value,
) -> Result<String, PageError> {
    let top = render(template, context! { ..ctx, ..page_context(auth, s) })?;
    let mut html = document.replacen(
        "<head>",
        "<head>\n<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<link rel=\"stylesheet\" href=\"/assets/app.css\">",
        1,
    );
    html = html.replacen(
        "<body>",
        &format!("<body class=\"with-site-nav\">\n{top}\n<div class=\"report-doc\">"),
        1,
    );
    Ok(html.replacen("</body>", "</div>\n</body>", 1))
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
