//! Who is asking: sessions, API tokens, CSRF and roles, resolved once per request.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::HeaderMap;
use axum::middleware::Next;
use axum::response::Response;
use qingshan_store::{Actor, Role, User};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::web::error::AppError;

/// Session cookie name.
pub const SESSION_COOKIE: &str = "qs_session";
/// Cookie carrying the anonymous CSRF token (login form, double-submit).
pub const CSRF_COOKIE: &str = "qs_csrf";
/// Header carrying the CSRF token on cookie-authenticated API writes.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// Session lifetime.
pub const SESSION_TTL_SECS: i64 = 8 * 3600;

/// A fresh random token (256 bits, hex).
pub fn new_token() -> String {
    let mut b = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut b);
    hex::encode(b)
}

/// What is stored for a token: its SHA-256, so a leaked database does not leak live tokens.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// Compares secrets without an early exit.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A cookie's value from the request headers.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

/// How the request authenticated.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Via {
    /// No credentials: the public.
    Anonymous,
    /// A session cookie (browser); writes need the CSRF token.
    Session,
    /// An API token in `Authorization: Bearer`; no CSRF, no cookies involved.
    Token,
}

/// The requester, resolved once per request by [`resolve`].
#[derive(Debug, Clone)]
pub struct Auth {
    /// The signed-in user, if any.
    pub user: Option<User>,
    /// The session's CSRF token.
    pub csrf: Option<String>,
    /// How they authenticated.
    pub via: Via,
    /// Remote address.
    pub peer: String,
}

impl Auth {
    /// The actor to record in the audit log.
    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(u) => Actor {
                user_id: Some(u.id),
                name: u.username.clone(),
                peer: Some(self.peer.clone()),
            },
            None => Actor {
                user_id: None,
                name: "公众".into(),
                peer: Some(self.peer.clone()),
            },
        }
    }

    /// The user, or 401.
    pub fn require_user(&self) -> Result<&User, AppError> {
        self.user.as_ref().ok_or(AppError::Unauthenticated)
    }

    /// Bureau staff or administrator, or 401/403.
    pub fn require_staff(&self) -> Result<&User, AppError> {
        let u = self.require_user()?;
        if matches!(u.role, Role::Admin | Role::Staff) {
            Ok(u)
        } else {
            Err(AppError::Forbidden(
                "仅生态环境局工作人员和管理员可访问".into(),
            ))
        }
    }

    /// Administrator, or 401/403.
    pub fn require_admin(&self) -> Result<&User, AppError> {
        let u = self.require_user()?;
        if u.role == Role::Admin {
            Ok(u)
        } else {
            Err(AppError::Forbidden("仅系统管理员可执行此操作".into()))
        }
    }

    /// Whether the user is staff or admin.
    pub fn is_staff(&self) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| matches!(u.role, Role::Admin | Role::Staff))
    }

    /// Checks the CSRF token of a cookie-authenticated write (form field or header).
    pub fn check_csrf(&self, presented: Option<&str>) -> Result<(), AppError> {
        match self.via {
            Via::Token => Ok(()),
            Via::Session => match (&self.csrf, presented) {
                (Some(expected), Some(p)) if same_secret(expected, p) => Ok(()),
                _ => Err(AppError::Csrf),
            },
            Via::Anonymous => Err(AppError::Unauthenticated),
        }
    }
}

/// Middleware: resolves the session cookie or API token into an [`Auth`] extension.
pub async fn resolve(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Result<Response, AppError> {
    let peer = crate::web::security::client_address(
        req.extensions()
            .get::<ConnectInfo<SocketAddr>>()
            .map(|c| c.0.ip()),
        req.headers(),
        &state.config.trusted_proxies,
    );
    let headers = req.headers();
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .map(str::to_string);
    let auth = if let Some(token) = bearer {
        match state.store.api_token_user(&token_hash(&token)).await? {
            Some(user) => Auth {
                user: Some(user),
                csrf: None,
                via: Via::Token,
                peer,
            },
            // A wrong token is an error, not silent anonymity: scripts must learn it failed.
            None => return Err(AppError::Unauthenticated),
        }
    } else if let Some(sid) = cookie(headers, SESSION_COOKIE) {
        match state.store.session(&token_hash(&sid)).await? {
            Some((user, csrf)) => Auth {
                user: Some(user),
                csrf: Some(csrf),
                via: Via::Session,
                peer,
            },
            None => Auth {
                user: None,
                csrf: None,
                via: Via::Anonymous,
                peer,
            },
        }
    } else {
        Auth {
            user: None,
            csrf: None,
            via: Via::Anonymous,
            peer,
        }
    };
    req.extensions_mut().insert(auth);
    Ok(next.run(req).await)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_parse() {
        let mut h = HeaderMap::new();
        h.insert(
            axum::http::header::COOKIE,
            "a=1; qs_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&h, "qs_session").as_deref(), Some("abc"));
        assert_eq!(cookie(&h, "c"), None);
    }
}
