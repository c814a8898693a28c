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
/// layout, for the user who asked. It also keeps the rule "pages answer pages, the API answers
/// JSON, both in Chinese" for errors handlers and extractors answer otherwise: a JSON error on
/// a page path becomes the error page (a 401 the login page), and a plain-text or empty error
/// (a rejected form body, a wrong method, a timeout) becomes the error page or Chinese JSON.
pub async fn render_errors(State(s): State<AppState>, req: Request, next: Next) -> Response {
    let auth = req.extensions().get::<Auth>().cloned().unwrap_or(Auth {
        user: None,
        csrf: None,
        via: Via::Anonymous,
        peer: String::new(),
    });
    let path = req.uri().path().to_string();
    let back = referer_path(&req);
    let (req, submitted) = match keep_form(req, &path).await {
        Ok(kept) => kept,
        Err(page) => return page,
    };
    let resp = next.run(req).await;
    let err = match resp.extensions().get::<ErrorPage>().cloned() {
        Some(err) => err,
        None => match foreign_error(&path, resp).await {
            Ok(err) => err,
            Err(resp) => return resp,
        },
    };
    let ctx = context! {
        status => err.status.as_u16(),
        message => err.message,
        retry => err.retry,
        form => err.form,
        submitted,
        back,
    };
    match page("error.html", &auth, &s, ctx) {
        Ok(mut page) => {
            *page.status_mut() = err.status;
            page
        }
        Err(_) => (err.status, err.message).into_response(),
    }
}

/// A submitted form's body is kept (it is small: forms carry no files) so that an error page
/// can show people what they typed; passwords and the CSRF token are left out.
async fn keep_form(req: Request, path: &str) -> Result<(Request, Vec<minijinja::Value>), Response> {
    let is_form = req.method() == axum::http::Method::POST
        && !path.starts_with("/api/")
        && req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
    if !is_form {
        return Ok((req, Vec::new()));
    }
    let (parts, body) = req.into_parts();
    // axum's own limit for a form body.
    let Ok(bytes) = axum::body::to_bytes(body, 2 * 1024 * 1024).await else {
        return Err(ErrorPage {
            status: StatusCode::PAYLOAD_TOO_LARGE,
            message: "提交的内容超过大小上限".into(),
            retry: None,
            form: None,
        }
        .into_response());
    };
    let submitted = serde_urlencoded::from_bytes::<Vec<(String, String)>>(&bytes)
        .unwrap_or_default()
        .into_iter()
        .filter(|(k, _)| k != "csrf_token" && !k.contains("password"))
        .filter(|(_, v)| !v.trim().is_empty())
        .take(50)
        .map(|(k, v)| {
            let value: String = v.chars().take(500).collect();
            context! { label => qingshan_app::fields::field_label(&k).into_owned(), value }
        })
        .collect();
    Ok((
        Request::from_parts(parts, axum::body::Body::from(bytes)),
        submitted,
    ))
}

/// The page the request came from, if it is a page of this site: the error page links back.
fn referer_path(req: &Request) -> Option<String> {
    let referer = req
        .headers()
        .get(axum::http::header::REFERER)?
        .to_str()
        .ok()?;
    let host = req.headers().get(axum::http::header::HOST)?.to_str().ok()?;
    let rest = referer.split_once("://")?.1;
    let path = rest.strip_prefix(host)?;
    let safe = crate::web::security::safe_next(Some(path));
    (safe == path).then_some(safe)
}

/// An error response not drawn by [`ErrorPage`], as the error page to draw instead; or the
/// response to send as it is (not an error, already HTML, or an API error already in JSON).
async fn foreign_error(path: &str, resp: Response) -> Result<ErrorPage, Response> {
    let status = resp.status();
    if !(status.is_client_error() || status.is_server_error()) || path == "/healthz" {
        return Err(resp);
    }
    let kind = resp
        .headers()
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let api = path.starts_with("/api/");
    if kind.starts_with("text/html") || (api && kind.starts_with("application/json")) {
        return Err(resp);
    }
    if !api && status == StatusCode::UNAUTHORIZED {
        return Err(Redirect::to("/login").into_response());
    }
    // Error bodies are short; one larger than this is not ours to rewrite.
    let body = match axum::body::to_bytes(resp.into_body(), 64 * 1024).await {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(_) => String::new(),
    };
    let message = if kind.starts_with("application/json") {
        serde_json::from_str::<serde_json::Value>(&body)
            .ok()
            .and_then(|v| v["message"].as_str().map(String::from))
            .unwrap_or_else(|| status_message(status, &body))
    } else {
        status_message(status, &body)
    };
    if api {
        let body = serde_json::json!({ "error": "request", "message": message });
        return Err((status, axum::Json(body)).into_response());
    }
    Ok(ErrorPage {
        status,
        message,
        retry: None,
        form: None,
    })
}

/// A Chinese message for an error answered outside our handlers (axum's rejections, the
/// timeout layer), from its status and text.
fn status_message(status: StatusCode, body: &str) -> String {
    if body.contains("form body") || body.contains("Form") {
        return "提交的表单内容不完整或格式不正确，请返回修改后重新提交".into();
    }
    if body.contains("multipart") || body.contains("Multipart") {
        return "上传的内容无法读取，请重新选择文件上传".into();
    }
    if body.contains("JSON") || body.contains("json") {
        return "请求的 JSON 内容不完整或格式不正确".into();
    }
    match status {
        StatusCode::METHOD_NOT_ALLOWED => "此地址不支持这种请求方式".into(),
        StatusCode::PAYLOAD_TOO_LARGE => "提交的内容超过大小上限".into(),
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "提交的内容类型不受支持".into(),
        StatusCode::REQUEST_TIMEOUT => "请求处理超时，请稍后重试".into(),
        StatusCode::NOT_FOUND => "页面不存在".into(),
        s if s.is_server_error() => "服务器内部错误".into(),
        _ => "请求无法处理，请检查后重试".into(),
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
        is_enterprise => auth.user.as_ref().is_some_and(|u| u.role == Role::Enterprise),
        csrf_token => auth.csrf,
        plan => s.plan.meta,
        demo => s.config.demo.then_some(qingshan_app::demo::ATTRIBUTION),
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
