//! What the public's pages share (the 信息公开 portal, the complaints desk, participation,
//! disclosure, credit): rendering in `public_base.html` without a user, and answering with
//! `Cache-Control` and an `ETag` so that a phone or a proxy keeps what has not changed.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use minijinja::context;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::web::page::PageError;
use crate::web::templates::render;

/// What every public page shows: the plan's metadata, the city's name, the demo notice and
/// the time of printing (Beijing time). Deliberately no user, no role and no CSRF token: the
/// same page is served to everyone, so it can be cached.
pub fn public_context(s: &AppState) -> minijinja::Value {
    context! {
        plan => s.plan.meta,
        city_name => s.plan.division(&s.plan.meta.division).map_or("全市", |d| d.name.as_str()),
        demo => s.config.demo.then_some(qingshan_app::demo::ATTRIBUTION),
        printed_at => qingshan_app::beijing::now().format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// Renders a public page (a template extending `public_base.html`) to HTML.
pub fn render_public(name: &str, s: &AppState, ctx: minijinja::Value) -> Result<String, PageError> {
    Ok(render(name, context! { ..ctx, ..public_context(s) })?)
}

/// The strong validator of a body: the first 16 bytes of its SHA-256, quoted.
pub fn etag_of(body: &[u8]) -> String {
    let digest = Sha256::digest(body);
    format!("\"{}\"", hex::encode(&digest[..16]))
}

/// A public answer: `200` with the body, its type, `Cache-Control: public, max-age=…` and an
/// `ETag`; `304 Not Modified` (no body) when the request's `If-None-Match` names that tag.
pub fn cacheable(
    request: &HeaderMap,
    content_type: &'static str,
    max_age_seconds: u32,
    body: impl Into<bytes_body::Body>,
) -> Response {
    Rendered::new(body).answer(request, content_type, max_age_seconds)
}

/// A rendered body kept for reuse with its tag, so that a busy page is neither rendered nor
/// hashed again for every request.
#[derive(Debug, Clone)]
pub struct Rendered {
    /// The body.
    pub body: axum::body::Bytes,
    /// Its [`etag_of`].
    pub etag: String,
}

impl Rendered {
    /// Keeps a body with its tag.
    pub fn new(body: impl Into<bytes_body::Body>) -> Rendered {
        let body = body.into().0;
        let etag = etag_of(&body);
        Rendered {
            body: body.into(),
            etag,
        }
    }

    /// Answers as [`cacheable`] does, without rendering or hashing again.
    pub fn answer(
        &self,
        request: &HeaderMap,
        content_type: &'static str,
        max_age_seconds: u32,
    ) -> Response {
        let matches = request
            .get(header::IF_NONE_MATCH)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| {
                v.split(',')
                    .any(|t| t.trim() == self.etag || t.trim() == "*")
            });
        let mut headers = HeaderMap::new();
        if let Ok(v) = HeaderValue::from_str(&self.etag) {
            headers.insert(header::ETAG, v);
        }
        if let Ok(v) = HeaderValue::from_str(&format!("public, max-age={max_age_seconds}")) {
            headers.insert(header::CACHE_CONTROL, v);
        }
        if matches {
            return (StatusCode::NOT_MODIFIED, headers).into_response();
        }
        headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        (headers, self.body.clone()).into_response()
    }
}

/// The bodies [`cacheable`] takes (HTML text or download bytes).
pub mod bytes_body {
    /// A response body as bytes.
    pub struct Body(pub Vec<u8>);

    impl From<String> for Body {
        fn from(s: String) -> Self {
            Body(s.into_bytes())
        }
    }

    impl From<Vec<u8>> for Body {
        fn from(v: Vec<u8>) -> Self {
            Body(v)
        }
    }
}

/// The public layout's stylesheet.
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/public.css"),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn etag_changes_with_the_body_and_304_answers_a_match() {
        let a = etag_of(b"a");
        assert_ne!(a, etag_of(b"b"));
        let first = cacheable(&HeaderMap::new(), "text/plain", 60, "a".to_string());
        assert_eq!(first.status(), StatusCode::OK);
        assert_eq!(first.headers()[header::ETAG], a.as_str());
        let mut req = HeaderMap::new();
        req.insert(header::IF_NONE_MATCH, HeaderValue::from_str(&a).unwrap());
        let again = cacheable(&req, "text/plain", 60, "a".to_string());
        assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
        let changed = cacheable(&req, "text/plain", 60, "b".to_string());
        assert_eq!(changed.status(), StatusCode::OK);
    }
}
