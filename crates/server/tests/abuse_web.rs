//! Issue 12, the web side: each row of the hostile-input table tried against the real server
//! on port 0, asserting the new behaviour (sign-in lockout from elsewhere, account probing by
//! timing, open redirect, formula export, missing headers, unbounded connections, unpaged
//! lists, device passwords in the audit log, re-imports that pile up revisions).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::io::Read;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use common::{Server, hidden, login, serve_with, user};
use qingshan_server::ServerConfig;
use qingshan_store::{Actor, AlarmEpisode, AuditEntry, FrameVerdict, ReceivedFrame, Role, Store};
use reqwest::redirect::Policy;
use reqwest::{Client, StatusCode};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const PASSWORD: &str = "S3cretPW-01";

/// One device whose enterprise name is a formula and whose address starts with `@`.
const REGISTRY: &str = "credit_code,enterprise_name,division_code,industry,address,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs
9144030071526726XG,\"=HYPERLINK(\"\"http://evil.example/\"\",\"\"点我\"\")\",140902,电力,@SUM(A1:A2),DA001,1号锅炉,gas,MNWEB0001,2017,strict,S3cretPW-01,30
";

/// A cookie-keeping client that does not follow redirects, connecting from `from`.
fn client_from(from: &str) -> Client {
    Client::builder()
        .cookie_store(true)
        .redirect(Policy::none())
        .local_address(from.parse::<IpAddr>().unwrap())
        .build()
        .unwrap()
}

/// Posts the login form (with `next` if given): status, Location and body.
async fn post_login(
    server: &Server,
    c: &Client,
    username: &str,
    password: &str,
    next: Option<&str>,
) -> (StatusCode, Option<String>, String) {
    let page = c
        .get(server.url("/login"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let token = hidden(&page, "csrf_token");
    let mut form = vec![
        ("csrf_token", token.as_str()),
        ("username", username),
        ("password", password),
    ];
    if let Some(n) = next {
        form.push(("next", n));
    }
    let r = c
        .post(server.url("/login"))
        .form(&form)
        .send()
        .await
        .unwrap();
    let status = r.status();
    let location = r
        .headers()
        .get("location")
        .map(|v| v.to_str().unwrap().to_string());
    (status, location, r.text().await.unwrap())
}

/// A server with a staff and an admin account; the database lives as long as the returned
/// [`common::ScratchDb`].
async fn staff_server(tag: &str, config: ServerConfig) -> (Server, Store, common::ScratchDb) {
    let (store, db) = common::fresh_store(tag).await;
    user(&store, "staff", Role::Staff, None, None).await;
    user(&store, "admin", Role::Admin, None, None).await;
    (serve_with(store.clone(), config).await, store, db)
}

/// Row 7: five wrong passwords for the administrator from one address stop that address, not
/// the administrator at another; many user names from one address hit the address ceiling.
#[tokio::test]
async fn wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere() {
    let (server, _store, _db) = staff_server(
        "abuse-lockout",
        ServerConfig {
            login_max_failures_per_address: 8,
            ..ServerConfig::default()
        },
    )
    .await;
    let attacker = client_from("127.0.0.2");
    for _ in 0..5 {
        let (s, _, _) = post_login(&server, &attacker, "admin", "wrong", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, body) = post_login(&server, &attacker, "admin", "correct horse", None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("尝试次数过多"));

    // The administrator at their own desk signs in.
    let desk = client_from("127.0.0.3");
    let (s, _, body) = post_login(&server, &desk, "admin", "correct horse", None).await;
    assert_eq!(s, StatusCode::SEE_OTHER, "{body}");

    // Spraying other names from the attacker's address meets the per-address ceiling (8).
    for name in ["u1", "u2"] {
        let (s, _, _) = post_login(&server, &attacker, name, "wrong", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = post_login(&server, &attacker, "staff", "wrong", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // Eight failures from this address: even a right password for another user is refused here.
    let (s, _, _) = post_login(&server, &attacker, "staff", "correct horse", None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = post_login(
        &server,
        &client_from("127.0.0.3"),
        "staff",
        "correct horse",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);
}

/// Row 7 behind a reverse proxy: with the proxy trusted, throttling follows the address in
/// `X-Forwarded-For`, so one client's failures do not stop everyone behind the proxy; the
/// same header from an untrusted address changes nothing.
#[tokio::test]
async fn throttling_behind_a_trusted_proxy_follows_the_forwarded_address() {
    let (server, _store, _db) = staff_server(
        "abuse-proxy",
        ServerConfig {
            trusted_proxies: vec!["127.0.0.4".parse().unwrap()],
            ..ServerConfig::default()
        },
    )
    .await;
    let via_proxy = |client: &str| {
        Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .local_address("127.0.0.4".parse::<IpAddr>().unwrap())
            .default_headers(
                [("x-forwarded-for".parse().unwrap(), client.parse().unwrap())]
                    .into_iter()
                    .collect(),
            )
            .build()
            .unwrap()
    };
    let attacker = via_proxy("198.51.100.7");
    for _ in 0..5 {
        let (s, _, _) = post_login(&server, &attacker, "admin", "wrong", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = post_login(&server, &attacker, "admin", "correct horse", None).await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
    let (s, _, _) = post_login(
        &server,
        &via_proxy("198.51.100.8"),
        "admin",
        "correct horse",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::SEE_OTHER);

    // Not the proxy: a forged header per attempt does not spread the failures.
    for i in 0..5 {
        let c = Client::builder()
            .cookie_store(true)
            .redirect(Policy::none())
            .local_address("127.0.0.5".parse::<IpAddr>().unwrap())
            .default_headers(
                [(
                    "x-forwarded-for".parse().unwrap(),
                    format!("192.0.2.{i}").parse().unwrap(),
                )]
                .into_iter()
                .collect(),
            )
            .build()
            .unwrap();
        let (s, _, _) = post_login(&server, &c, "staff", "wrong", None).await;
        assert_eq!(s, StatusCode::UNAUTHORIZED);
    }
    let (s, _, _) = post_login(
        &server,
        &client_from("127.0.0.5"),
        "staff",
        "correct horse",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::TOO_MANY_REQUESTS);
}

/// Row 8: an unknown user name costs an Argon2 verification like a real one (against a dummy
/// hash), so the answer's timing does not tell which names exist.
#[tokio::test]
async fn unknown_user_names_are_verified_like_real_ones() {
    let (server, _store, _db) = staff_server("abuse-timing", ServerConfig::default()).await;
    let c = common::client();
    let before = qingshan_app::login_throttle::verifications();
    let (s, _, body) = post_login(&server, &c, "no-such-user", "whatever", None).await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    assert!(body.contains("用户名或密码错误"));
    assert!(qingshan_app::login_throttle::verifications() > before);
}

/// Row 9: `next` is followed only to a path on this site.
#[tokio::test]
async fn login_redirects_only_to_local_paths() {
    let (server, _store, _db) = staff_server("abuse-next", ServerConfig::default()).await;
    for (next, expected) in [
        ("/\\evil.com", "/"),
        ("//evil.com", "/"),
        ("https://evil.com/", "/"),
        ("/\t/evil.com", "/"),
        ("/%5cevil.com", "/"),
        ("/tasks?year=2024", "/tasks?year=2024"),
    ] {
        let c = common::client();
        let (s, location, _) = post_login(&server, &c, "staff", "correct horse", Some(next)).await;
        assert_eq!(s, StatusCode::SEE_OTHER);
        assert_eq!(location.as_deref(), Some(expected), "next={next:?}");
    }
}

/// Imports the formula registry as staff through the API; returns the answer.
async fn import_registry(server: &Server, c: &Client, csrf: &str, body: &str) -> Value {
    let r = c
        .post(server.url("/api/v1/sources/import"))
        .header("x-csrf-token", csrf)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    r.json().await.unwrap()
}

/// The text of every cell of the first sheet of a workbook, and whether any cell is a formula.
fn xlsx_cells(bytes: &[u8]) -> (String, bool) {
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
    let mut sheet = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .unwrap()
        .read_to_string(&mut sheet)
        .unwrap();
    let mut strings = String::new();
    if let Ok(mut f) = zip.by_name("xl/sharedStrings.xml") {
        f.read_to_string(&mut strings).unwrap();
    }
    (
        format!("{sheet}{strings}"),
        sheet.contains("<f>") || sheet.contains("<f "),
    )
}

/// Row 10: text typed by users that a spreadsheet would run as a formula is neutralised in
/// CSV exports; workbooks keep it as a string cell; the staff registry export imports back
/// unchanged.
#[tokio::test]
async fn exports_neutralise_spreadsheet_formulas() {
    let (server, store, _db) = staff_server("abuse-formula", ServerConfig::default()).await;
    let (c, csrf) = login(&server, "staff").await;
    import_registry(&server, &c, &csrf, REGISTRY).await;
    let csv = c
        .get(server.url("/sources/registry.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(csv.contains("\"'=HYPERLINK("), "{csv}");
    assert!(csv.contains(",'@SUM(A1:A2),"), "{csv}");
    assert!(!csv.contains(",=HYPERLINK") && !csv.contains(",\"=HYPERLINK"));
    let xlsx = c
        .get(server.url("/sources/registry.xlsx"))
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let (cells, formulas) = xlsx_cells(&xlsx);
    assert!(!formulas, "a cell became a formula");
    assert!(cells.contains("=HYPERLINK("));

    // The CSV export imports back as it was: every record unchanged, nothing written.
    let back = import_registry(&server, &c, &csrf, csv.trim_start_matches('\u{feff}')).await;
    assert_eq!(back["records"]["new"], 0, "{back}");
    assert_eq!(back["records"]["changed"], 0, "{back}");
    let reg = store.export_registry().await.unwrap();
    assert!(reg.enterprises[0].name.starts_with("=HYPERLINK"));

    // Alarms: the context written by the system and the disposition typed by a user.
    store
        .raise_alarm(&AlarmEpisode {
            kind: "exceedance".into(),
            mn: "MNWEB0001".into(),
            factor: "a21026".into(),
            start_time: "20240101000000".into(),
            end_time: None,
            peak: Some("-12.5".into()),
            peak_time: None,
            records: 1,
            context: "+1+1".into(),
        })
        .await
        .unwrap();
    let id = store.alarms(&Default::default(), 10).await.unwrap()[0].id;
    let r = c
        .post(server.url(&format!("/api/v1/alarms/{id}/close")))
        .header("x-csrf-token", &csrf)
        .json(&serde_json::json!({ "note": "-2+3 @A1" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csv = c
        .get(server.url("/api/v1/alarms.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let row = csv.lines().nth(1).unwrap();
    assert!(row.contains(",'+1+1,"), "{row}");
    assert!(row.ends_with(",'-2+3 @A1"), "{row}");
    // A plain negative number is data, not a formula: left as it is.
    assert!(row.contains(",-12.5,"), "{row}");
}

/// Row 11: the security headers on every response, `no-store` on signed-in pages and the API.
#[tokio::test]
async fn every_response_carries_security_headers() {
    let (server, _store, _db) = staff_server("abuse-headers", ServerConfig::default()).await;
    let (c, _) = login(&server, "staff").await;
    for path in [
        "/",
        "/login",
        "/api/v1/me",
        "/admin/audit",
        "/sources",
        "/no-such-page",
        "/api/v1/nothing",
    ] {
        let r = c.get(server.url(path)).send().await.unwrap();
        let h = r.headers();
        let get = |n: &str| h.get(n).map(|v| v.to_str().unwrap().to_string());
        let csp = get("content-security-policy").unwrap_or_default();
        assert!(csp.contains("default-src 'none'"), "{path}: {csp}");
        assert!(csp.contains("style-src 'self'"), "{path}: {csp}");
        assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
        assert!(!csp.contains("unsafe-inline"), "{path}: {csp}");
        assert_eq!(get("x-frame-options").as_deref(), Some("DENY"), "{path}");
        assert_eq!(
            get("x-content-type-options").as_deref(),
            Some("nosniff"),
            "{path}"
        );
        assert_eq!(
            get("referrer-policy").as_deref(),
            Some("same-origin"),
            "{path}"
        );
        assert_eq!(get("cache-control").as_deref(), Some("no-store"), "{path}");
    }
    // The embedded stylesheet keeps its own caching, and still gets the other headers.
    let r = c.get(server.url("/assets/app.css")).send().await.unwrap();
    assert!(
        r.headers()["cache-control"]
            .to_str()
            .unwrap()
            .starts_with("public")
    );
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    // The annual report is a standalone document with its stylesheet inline: its own policy
    // allows inline style and nothing else the site policy forbids.
    let r = c.get(server.url("/reports/2024")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(csp.contains("style-src 'unsafe-inline'"), "{csp}");
    assert!(csp.contains("default-src 'none'"), "{csp}");
    assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
    assert!(!csp.contains("script"), "{csp}");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(r.text().await.unwrap().contains("<style>"));
    // The pages need nothing the policy forbids: no inline style or script anywhere.
    for path in [
        "/",
        "/air",
        "/water",
        "/sources",
        "/alarms",
        "/admin/audit",
        "/tasks",
    ] {
        let html = c
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!html.contains("style=\""), "{path} has an inline style");
        assert!(!html.contains("<script"), "{path} has a script");
    }
}

/// Reads until the peer closes; how long that took, or None if still open at `limit`.
async fn closed_within(stream: &mut tokio::net::TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Ok(Ok(0)) | Ok(Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => continue,
            Err(_) => return None,
        }
    }
}

/// Row 12: a half-sent request head, an idle keep-alive connection and a stalled body are cut
/// off by the configured timeouts; with the defaults the same half-sent head is still waited for.
#[tokio::test]
async fn slow_and_idle_connections_are_timed_out() {
    let config = ServerConfig {
        http_header_read_timeout: Duration::from_millis(400),
        http_request_timeout: Duration::from_millis(800),
        ..ServerConfig::default()
    };
    let (server, _store, _db) = staff_server("abuse-timeouts", config).await;
    // Half a request head.
    let mut half = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    let took = closed_within(&mut half, Duration::from_secs(5)).await;
    assert!(
        took.is_some_and(|t| t >= Duration::from_millis(300)),
        "{took:?}"
    );

    // An idle keep-alive connection after one request.
    let mut idle = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let took = closed_within(&mut idle, Duration::from_secs(5)).await;
    assert!(took.is_some(), "idle keep-alive connection never closed");

    // A body that stops halfway: 408 once the request timeout passes.
    let mut stalled = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    stalled
        .write_all(b"POST /login HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 100\r\n\r\nusername=a")
        .await
        .unwrap();
    let mut answer = Vec::new();
    let read = tokio::time::timeout(Duration::from_secs(5), async {
        let mut buf = [0u8; 1024];
        loop {
            match stalled.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    answer.extend_from_slice(&buf[..n]);
                    if answer.windows(4).any(|w| w == b"\r\n\r\n") {
                        break;
                    }
                }
            }
        }
    })
    .await;
    assert!(read.is_ok(), "a stalled body was waited for");
    assert!(
        String::from_utf8_lossy(&answer).starts_with("HTTP/1.1 408"),
        "{}",
        String::from_utf8_lossy(&answer)
    );

    // The control: with the default timeouts the same half head is still open after a second.
    let (patient, _s, _db) = staff_server("abuse-timeouts-default", ServerConfig::default()).await;
    let mut half = tokio::net::TcpStream::connect(patient.addr).await.unwrap();
    half.write_all(b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    assert_eq!(closed_within(&mut half, Duration::from_secs(1)).await, None);
}

/// Row 6: after an unknown-MN flood the staff page lists the quarantine 100 at a time, with a
/// pager; the alarm centre and the audit log are paged the same way.
#[tokio::test]
async fn lists_that_grow_with_data_are_paged() {
    let (server, store, _db) = staff_server("abuse-paging", ServerConfig::default()).await;
    let frames: Vec<ReceivedFrame> = (0..250)
        .map(|i| ReceivedFrame {
            received_at: qingshan_store::now_text(),
            peer: "203.0.113.9".into(),
            bytes: format!("##flood{i}").into_bytes(),
            verdict: FrameVerdict::Quarantined,
            mn: Some(format!("MNFLOOD{i:04}")),
            cn: Some("2011".into()),
            error_kind: None,
            message: None,
            upload: None,
        })
        .collect();
    store.ingest(&frames).await.unwrap();
    for i in 0..130 {
        store
            .audit(&AuditEntry::ok(
                &Actor::cli(),
                "test.fill",
                format!("fill:{i:03}"),
            ))
            .await
            .unwrap();
    }
    let (c, _) = login(&server, "staff").await;
    let page = |path: &'static str| {
        let c = c.clone();
        let url = server.url(path);
        async move { c.get(url).send().await.unwrap().text().await.unwrap() }
    };
    let first = page("/sources").await;
    assert_eq!(
        first.matches("MNFLOOD").count() / 3,
        100,
        "every MN appears three times: cell, registration link and release form"
    );
    assert!(first.contains("MNFLOOD0099") && !first.contains("MNFLOOD0100"));
    assert!(first.contains("第 1 / 3 页，共 250 条"));
    assert!(first.contains("sources?qpage=2\" rel=\"next\""));
    let last = page("/sources?qpage=3").await;
    assert!(last.contains("MNFLOOD0249") && !last.contains("MNFLOOD0199"));
    assert!(!last.contains("下一页"));

    let audit = page("/admin/audit").await;
    assert!(audit.contains("fill:129") && !audit.contains("fill:029"));
    assert!(audit.contains("audit?page=2\" rel=\"next\""));
    let older = page("/admin/audit?page=2").await;
    assert!(older.contains("fill:029") && !older.contains("fill:129"));

    for i in 0..120 {
        store
            .raise_alarm(&AlarmEpisode {
                kind: "offline".into(),
                mn: format!("MNALARM{i:04}"),
                factor: String::new(),
                start_time: format!("2024010100{i:04}"),
                end_time: None,
                peak: None,
                peak_time: None,
                records: 1,
                context: "离线".into(),
            })
            .await
            .unwrap();
    }
    let alarms = page("/alarms?status=open").await;
    assert!(alarms.contains("第 1 / 2 页，共 120 条"), "{alarms}");
    assert!(alarms.contains("alarms?status=open&amp;page=2\" rel=\"next\""));
    let rest = page("/alarms?status=open&page=2").await;
    assert_eq!(rest.matches("<tr id=\"incident-").count(), 20);
}

/// Row 13 (web): a device password is never in the audit log nor on a page; the edit form
/// shows a mask and keeps the password when the mask comes back. The staff-only export in
/// the import format keeps it (it must import back).
#[tokio::test]
async fn device_passwords_are_masked_in_the_audit_log_and_on_pages() {
    let (server, store, _db) = staff_server("abuse-secrets", ServerConfig::default()).await;
    let (c, csrf) = login(&server, "staff").await;
    import_registry(&server, &c, &csrf, REGISTRY).await;
    let form = c
        .get(server.url("/sources/edit?mn=MNWEB0001"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!form.contains(PASSWORD));
    assert!(form.contains("value=\"******\""));
    let fields = |password: &str| {
        let mut f: Vec<(String, String)> = qingshan_sources::REGISTRY_COLUMNS
            .iter()
            .map(|c| (c.to_string(), String::new()))
            .collect();
        for (k, v) in [
            ("credit_code", "9144030071526726XG"),
            ("enterprise_name", "某热电有限公司"),
            ("division_code", "140902"),
            ("outlet_code", "DA001"),
            ("outlet_name", "1号锅炉"),
            ("outlet_kind", "gas"),
            ("mn", "MNWEB0001"),
            ("protocol", "2017"),
            ("crc_policy", "strict"),
            ("password", password),
            ("interval_secs", "60"),
        ] {
            f.iter_mut().find(|(n, _)| n == k).unwrap().1 = v.to_string();
        }
        f.push(("csrf_token".into(), csrf.clone()));
        f
    };
    // The mask sent back keeps the stored password.
    let r = c
        .post(server.url("/sources/edit"))
        .form(&fields("******"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let devices = store.registered_devices().await.unwrap();
    assert_eq!(devices[0].password, PASSWORD);
    assert_eq!(devices[0].interval_secs, 60);
    // A new password is taken, and audited masked.
    let r = c
        .post(server.url("/sources/edit"))
        .form(&fields("N3wPW-02"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        store.registered_devices().await.unwrap()[0].password,
        "N3wPW-02"
    );
    // A refused edit is audited with its row, masked too.
    let mut bad = fields("Bad-PW-03");
    bad.iter_mut()
        .find(|(n, _)| n == "interval_secs")
        .unwrap()
        .1 = "soon".into();
    let r = c
        .post(server.url("/sources/edit"))
        .form(&bad)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let refused = r.text().await.unwrap();
    assert!(!refused.contains("Bad-PW-03"));

    let audit_page = c
        .get(server.url("/admin/audit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let audit_api = c
        .get(server.url("/api/v1/audit?limit=1000"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let log = format!("{:?}", store.audit_log(None, 1000).await.unwrap());
    for secret in [PASSWORD, "N3wPW-02", "Bad-PW-03"] {
        assert!(!audit_page.contains(secret), "audit page shows {secret}");
        assert!(!audit_api.contains(secret), "audit API shows {secret}");
        assert!(!log.contains(secret), "audit log holds {secret}");
    }
    assert!(audit_page.contains("******"));
    for path in [
        "/sources",
        "/sources/devices/MNWEB0001",
        "/api/v1/sources/devices",
    ] {
        let body = c
            .get(server.url(path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(!body.contains("N3wPW-02"), "{path} shows the password");
    }
    // The staff export in the import format carries it, so that it imports back.
    let export = c
        .get(server.url("/sources/registry.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(export.contains("N3wPW-02"));
}

/// Row 15: importing the same registry or values file again reports every row unchanged
/// and writes nothing: no revision, no audit entry.
#[tokio::test]
async fn reimporting_the_same_file_writes_nothing() {
    let (server, store, _db) = staff_server("abuse-idempotent", ServerConfig::default()).await;
    let (c, csrf) = login(&server, "staff").await;
    let first = import_registry(&server, &c, &csrf, REGISTRY).await;
    assert_eq!(first["records"]["unchanged"], 0);
    let audits = store.audit_log(None, 10_000).await.unwrap().len();
    let again = import_registry(&server, &c, &csrf, REGISTRY).await;
    assert_eq!(again["records"]["new"], 0);
    assert_eq!(again["records"]["changed"], 0);
    assert_eq!(again["records"]["unchanged"], first["records"]["new"]);
    assert_eq!(store.audit_log(None, 10_000).await.unwrap().len(), audits);

    let values =
        "indicator,year,division,value,reason\n7,2023,140900,60.1,年报\n7,2024,140900,60.4,年报\n";
    let post = |body: &'static str| {
        c.post(server.url("/api/v1/values/import"))
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
    };
    let r: Value = post(values).await.unwrap().json().await.unwrap();
    assert_eq!(
        (r["new"].as_u64(), r["imported"].as_u64()),
        (Some(2), Some(2)),
        "{r}"
    );
    let r: Value = post(values).await.unwrap().json().await.unwrap();
    assert_eq!(
        (
            r["new"].as_u64(),
            r["changed"].as_u64(),
            r["unchanged"].as_u64()
        ),
        (Some(0), Some(0), Some(2)),
        "{r}"
    );
    let r: Value = post(
        "indicator,year,division,value,reason\n7,2023,140900,60.1,年报\n7,2024,140900,61,更正\n",
    )
    .await
    .unwrap()
    .json()
    .await
    .unwrap();
    assert_eq!(
        (r["changed"].as_u64(), r["unchanged"].as_u64()),
        (Some(1), Some(1)),
        "{r}"
    );
    let history = store
        .indicator_value_history("xinzhou-beautiful-shanxi-2023", 7, None)
        .await
        .unwrap();
    assert_eq!(history.len(), 3);

    // The form upload says so on the page it returns to.
    let boundary = "qingshan-abuse-boundary";
    let body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"v.csv\"\r\nContent-Type: text/csv\r\n\r\n{values}\r\n\
         --{boundary}--\r\n"
    );
    let r = c
        .post(server.url("/values/import"))
        .header(
            "content-type",
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(body)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let to = r.headers()["location"].to_str().unwrap().to_string();
    let html = c
        .get(server.url(&to))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("未变 1 条"), "{to}");
}
