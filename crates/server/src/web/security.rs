//! What every HTTP response and connection gets regardless of the route: security headers,
//! the request timeout, connection timeouts (header read, idle keep-alive), and the check
//! that a post-login `next` stays on this site.

use std::convert::Infallible;
use std::future::Future;
use std::net::SocketAddr;
use std::time::Duration;

use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::Response;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::net::TcpListener;
use tower::ServiceExt;

use crate::{ServerConfig, StartError};

/// The content security policy: the pages load only the embedded stylesheet and post forms to
/// this site; no script, no inline style, no frame, no plug-in.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; style-src 'self'; img-src 'self'; \
     form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// The policy of the annual report's HTML page: a standalone document (it is also saved and
/// printed) with its stylesheet and colour cells inline, so inline style is allowed there;
/// the site's stylesheet and sign-out form serve the navigation put on top of it on the site;
/// still no script, no load from anywhere else, no frame.
pub const REPORT_DOCUMENT_POLICY: &str = "default-src 'none'; style-src 'unsafe-inline' 'self'; \
     img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/// Default time a client has to send a request's headers; also how long a keep-alive
/// connection may sit idle between requests (hyper restarts the same timer for every head).
pub const DEFAULT_HEADER_READ_TIMEOUT: Duration = Duration::from_secs(15);

/// Default time one request may take, body upload included. Evidence files reach 200 MB, so
/// this leaves a slow office line minutes; a stalled body cannot hold a connection longer.
pub const DEFAULT_REQUEST_TIMEOUT: Duration = Duration::from_secs(300);

/// Middleware: the security headers on every response. `Cache-Control: no-store` goes on
/// every response that does not set its own caching (only the embedded stylesheet does), so
/// signed-in pages, the API (`/api/v1/me` carries the CSRF token) and the audit log are never
/// kept by a browser or proxy. [`CONTENT_SECURITY_POLICY`] goes on every response that does
/// not set a stricter-scoped one of its own (only the report's HTML does:
/// [`REPORT_DOCUMENT_POLICY`]).
pub async fn headers(req: Request, next: Next) -> Response {
    let mut resp = next.run(req).await;
    let h = resp.headers_mut();
    if !h.contains_key(header::CONTENT_SECURITY_POLICY) {
        h.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
    }
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    resp
}

/// The request timeout layer: a request still running after the configured time is answered
/// with 408 and dropped.
pub fn timeout(config: &ServerConfig) -> tower_http::timeout::TimeoutLayer {
    tower_http::timeout::TimeoutLayer::with_status_code(
        StatusCode::REQUEST_TIMEOUT,
        config.http_request_timeout,
    )
}

/// Where to go after signing in: `next` if it is a path on this site, else `/`.
///
/// Browsers read `\` as `/` and drop tabs and newlines inside URLs, so `/\evil.com` or
/// `/\t/evil.com` would leave the site: only a single leading `/` followed by no second
/// slash, no backslash, no control character and no scheme is accepted.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(n) if is_local_path(n) => n.to_string(),
        _ => "/".into(),
    }
}

fn is_local_path(n: &str) -> bool {
    let Some(rest) = n.strip_prefix('/') else {
        return false;
    };
    if rest.starts_with('/') || n.contains('\\') || n.chars().any(char::is_control) {
        return false;
    }
    // A scheme before the first slash cannot occur after a leading `/`, but an encoded one
    // decoded by a later hop could: refuse `:` in the first path segment, and percent-encoded
    // slashes and backslashes anywhere.
    let first = rest.split(['/', '?', '#']).next().unwrap_or("");
    let lower = n.to_ascii_lowercase();
    !first.contains(':') && !lower.contains("%2f") && !lower.contains("%5c")
}

/// The client's address as recorded and throttled: the connection's peer, unless the peer is
/// a trusted reverse proxy — then the last `X-Forwarded-For` entry that is not itself a
/// trusted proxy (entries before it were written by the client and prove nothing). A header
/// from anyone else is ignored, so it cannot be used to dodge throttling.
pub fn client_address(
    peer: Option<std::net::IpAddr>,
    headers: &axum::http::HeaderMap,
    trusted: &[std::net::IpAddr],
) -> String {
    let Some(peer) = peer else {
        return "unknown".into();
    };
    if !trusted.contains(&peer) {
        return peer.to_string();
    }
    let forwarded: Vec<std::net::IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .iter()
        .rev()
        .find(|a| !trusted.contains(a))
        .unwrap_or(&peer)
        .to_string()
}

/// Serves `app` on `listener` until `shutdown` resolves, with hyper's header-read timeout
/// (which also closes idle keep-alive connections) that `axum::serve` does not expose.
/// Each request carries the peer address as `ConnectInfo`, like `axum::serve` with
/// `into_make_service_with_connect_info`. On shutdown the listener closes, open connections
/// finish their current request (bounded by the request timeout) and then close.
pub async fn serve_http(
    listener: TcpListener,
    app: Router,
    config: &ServerConfig,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    // The first unknown user would otherwise pay for hashing the dummy password.
    qingshan_app::login_throttle::warm_up();
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let mut http = hyper::server::conn::http1::Builder::new();
    http.timer(TokioTimer::new())
        .header_read_timeout(config.http_header_read_timeout)
        .max_buf_size(config.http_max_header_bytes.max(8192));
    tokio::pin!(shutdown);
    loop {
        let (stream, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(a) => a,
                Err(e) => {
                    // Out of descriptors or a reset before accept: wait instead of spinning,
                    // as axum::serve does.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(200)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let svc = app
            .clone()
            .map_request(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.map(Body::new)
            })
            .map_err(|e: Infallible| match e {});
        // No route upgrades the connection (no websockets), so plain HTTP/1.1.
        let conn = http.serve_connection(TokioIo::new(stream), TowerToHyperService::new(svc));
        let watched = graceful.watch(conn);
        tokio::spawn(async move {
            // Timeouts and resets end connections as errors; nothing to do but let go.
            let _ = watched.await;
        });
    }
    drop(listener);
    let _ = tokio::time::timeout(config.http_request_timeout, graceful.shutdown()).await;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forwarded_addresses_only_from_trusted_proxies() {
        let proxy: std::net::IpAddr = "10.0.0.5".parse().unwrap();
        let mut h = axum::http::HeaderMap::new();
        h.insert("x-forwarded-for", "1.2.3.4, 198.51.100.7".parse().unwrap());
        assert_eq!(client_address(Some(proxy), &h, &[proxy]), "198.51.100.7");
        // Not a trusted proxy: its header is the client's own claim.
        let other: std::net::IpAddr = "203.0.113.1".parse().unwrap();
        assert_eq!(client_address(Some(other), &h, &[proxy]), "203.0.113.1");
        assert_eq!(client_address(Some(proxy), &h, &[]), "10.0.0.5");
        // Chained proxies are skipped; garbage is ignored.
        h.insert("x-forwarded-for", "198.51.100.7, 10.0.0.6".parse().unwrap());
        let second: std::net::IpAddr = "10.0.0.6".parse().unwrap();
        assert_eq!(
            client_address(Some(proxy), &h, &[proxy, second]),
            "198.51.100.7"
        );
        h.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(client_address(Some(proxy), &h, &[proxy]), "10.0.0.5");
        assert_eq!(client_address(None, &h, &[proxy]), "unknown");
    }

    #[test]
    fn only_local_paths_are_followed() {
        for ok in [
            "/",
            "/tasks",
            "/indicators/6?year=2024",
            "/a/b#c",
            "/sources?x=a:b",
        ] {
            assert_eq!(safe_next(Some(ok)), ok, "{ok}");
        }
        for bad in [
            "//evil.com",
            "/\\evil.com",
            "\\\\evil.com",
            "/\t/evil.com",
            "/\n/evil.com",
            "https://evil.com",
            "javascript:alert(1)",
            "evil.com",
            "",
            "/%2F%2Fevil.com",
            "/%5cevil.com",
            "/javascript:alert(1)",
        ] {
            assert_eq!(safe_next(Some(bad)), "/", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/");
    }
}
