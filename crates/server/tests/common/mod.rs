//! What the server's integration tests share: a real server on port 0 over a given store, and
//! browser-like sign-in.

#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use std::net::SocketAddr;
use std::sync::Arc;

use qingshan_server::ServerConfig;
use qingshan_store::{Actor, NewUser, Role, Store, User};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;

/// A running server; it stops when this is dropped.
pub struct Server {
    /// Its address.
    pub addr: SocketAddr,
    _stop: tokio::sync::oneshot::Sender<()>,
}

impl Server {
    /// A URL on the server.
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }
}

/// A running HJ 212 gateway: its address, the sender that stops it, and its task (which ends
/// once it has drained).
pub struct Gateway {
    /// Its address.
    pub addr: SocketAddr,
    /// Send (or drop) to stop it.
    pub stop: tokio::sync::oneshot::Sender<()>,
    /// The gateway's task.
    pub task: tokio::task::JoinHandle<()>,
}

/// Starts the HJ 212 gateway over `store` on 127.0.0.1:0 with these settings.
pub async fn gateway(store: Store, config: qingshan_server::gateway::GatewayConfig) -> Gateway {
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    let task = tokio::spawn(async move {
        qingshan_server::gateway::bind_and_run(
            store,
            "127.0.0.1:0",
            config,
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    Gateway {
        addr: addr_rx.await.unwrap(),
        stop,
        task,
    }
}

/// Serves the embedded Xinzhou plan over `store` on 127.0.0.1:0.
pub async fn serve(store: Store) -> Server {
    serve_with(store, ServerConfig::default()).await
}

/// Serves the embedded Xinzhou plan over `store` on 127.0.0.1:0 with these settings.
pub async fn serve_with(store: Store, config: ServerConfig) -> Server {
    let plan = Arc::new(qingshan_plan::xinzhou().unwrap());
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(async move {
        qingshan_server::serve(
            store,
            plan,
            config,
            "127.0.0.1:0",
            |a| {
                let _ = addr_tx.send(a);
            },
            async {
                let _ = stop_rx.await;
            },
        )
        .await
        .unwrap();
    });
    Server {
        addr: addr_rx.await.unwrap(),
        _stop: stop_tx,
    }
}

pub use qingshan_testkit::ScratchDb;

pub mod webdriver;

/// A fresh database of this test's own on the backend this run chose (`QINGSHAN_TEST_BACKEND`:
/// SQLite by default, PostgreSQL in CI's second pass), migrated, with the Xinzhou plan
/// written. The database is removed when the returned [`ScratchDb`] is dropped: keep it for the
/// whole test.
pub async fn fresh_store(tag: &str) -> (Store, ScratchDb) {
    let (store, _, db) = fresh_prepared(tag).await;
    (store, db)
}

/// As [`fresh_store`], with the plan as the server prepared it.
pub async fn fresh_prepared(tag: &str) -> (Store, Arc<qingshan_plan::Plan>, ScratchDb) {
    let db = scratch(tag).await;
    let (store, plan) = qingshan_server::prepare(
        db.url(),
        qingshan_plan::xinzhou().unwrap(),
        qingshan_plan::XINZHOU_TOML,
    )
    .await
    .unwrap();
    (store, plan, db)
}

/// An empty database on the chosen backend, not migrated.
pub async fn scratch(tag: &str) -> ScratchDb {
    qingshan_testkit::scratch_db(tag)
        .await
        .expect("QINGSHAN_TEST_BACKEND=postgres 需要 TEST_DATABASE_URL")
}

/// Creates an account whose password is "correct horse".
pub async fn user(
    store: &Store,
    username: &str,
    role: Role,
    unit: Option<&str>,
    division: Option<&str>,
) -> User {
    store
        .create_user(
            &NewUser {
                username: username.into(),
                display_name: format!("{username}显示名"),
                password_hash: qingshan_app::accounts::hash_password("correct horse").unwrap(),
                role,
                unit_id: unit.map(String::from),
                division_code: division.map(String::from),
                credit_code: None,
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
}

/// A cookie-keeping client that does not follow redirects.
pub fn client() -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .build()
        .unwrap()
}

/// The value of a hidden form field.
pub fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let start = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no hidden {name} in page"))
        + marker.len();
    html[start..].split('"').next().unwrap().to_string()
}

/// Signs in through the login form: the status of the POST and its body.
pub async fn try_login(
    server: &Server,
    c: &Client,
    username: &str,
    password: &str,
) -> (StatusCode, String) {
    let page = c
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&page, "csrf_token");
    let r = c
        .post(server.url("/login"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("username", username),
            ("password", password),
        ])
        .send()
        .await
        .unwrap();
    let s = r.status();
    (s, r.text().await.unwrap())
}

/// A client signed in as `username` (password "correct horse"), with the session's CSRF token.
pub async fn login(server: &Server, username: &str) -> (Client, String) {
    let c = client();
    let (status, _) = try_login(server, &c, username, "correct horse").await;
    assert_eq!(status, StatusCode::SEE_OTHER, "login of {username}");
    let me: Value = c
        .get(server.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    (c, me["csrf_token"].as_str().unwrap().to_string())
}

/// An upload form as a browser sends it: a `csrf_token` field (when given) and one `file`
/// part; the Content-Type and the body.
pub fn upload_form(csrf: Option<&str>, file_name: &str, data: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----qingshanUploadBoundary4f1c";
    let mut body = Vec::new();
    if let Some(t) = csrf {
        body.extend_from_slice(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{t}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\nContent-Type: application/octet-stream\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(data);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
