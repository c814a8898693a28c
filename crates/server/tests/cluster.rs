//! Two servers on one store: what users and devices do on one is seen by the other (sessions,
//! sign-in throttling, the registry), and the work that must happen once runs on one server at
//! a time under the duty lease, which another server takes over when its holder dies.
//!
//! Each "server" has its own connection pool over the same database, as two processes would.
//! The sharing cases run on the backend `QINGSHAN_TEST_BACKEND` chooses; the lease cases on
//! PostgreSQL (skipped loudly without `TEST_DATABASE_URL`, a failure under CI) and on SQLite,
//! where the only server runs the work at once. The same with real processes killed with
//! SIGKILL: `crates/cli/tests/cluster.rs`.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;
use qingshan_server::gateway::GatewayConfig;
use qingshan_server::supervisor::{DUTY_LEASE, LeaseConfig, SupervisorConfig, run_leased};
use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{Actor, Role, Store};
use reqwest::StatusCode;
use reqwest::cookie::CookieStore;
use serde_json::Value;
use tokio::sync::watch;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_session_from_one_server_works_on_the_other() {
    let (a_store, db) = fresh_store("cluster-sessions").await;
    let b_store = Store::connect(db.url()).await.unwrap();
    user(&a_store, "duty", Role::Staff, None, None).await;
    let a = serve(a_store).await;
    let b = serve(b_store).await;

    let jar = Arc::new(reqwest::cookie::Jar::default());
    let c = reqwest::Client::builder()
        .cookie_provider(jar.clone())
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let (status, _) = try_login(&a, &c, "duty", "correct horse").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let cookie = jar
        .cookies(&a.url("/").parse().unwrap())
        .expect("a session cookie");

    // Signed in on A, recognised on B, with the same CSRF token.
    let on_a: Value = c
        .get(a.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let r = c.get(b.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let on_b: Value = r.json().await.unwrap();
    assert_eq!(on_b["user"]["username"], "duty");
    assert_eq!(on_b["csrf_token"], on_a["csrf_token"]);

    // A write on B with A's token (signing out), and the session is gone on A as well.
    let r = c
        .post(b.url("/logout"))
        .form(&[("csrf_token", on_a["csrf_token"].as_str().unwrap())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let stale = reqwest::Client::new()
        .get(a.url("/api/v1/me"))
        .header(reqwest::header::COOKIE, cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_sign_ins_on_one_server_count_on_the_other() {
    let (a_store, db) = fresh_store("cluster-throttle").await;
    let b_store = Store::connect(db.url()).await.unwrap();
    user(&a_store, "duty", Role::Staff, None, None).await;
    let a = serve(a_store).await;
    let b = serve(b_store).await;
    let limit = qingshan_server::ServerConfig::default().login_max_failures;
    for _ in 0..limit {
        let (status, _) = try_login(&a, &client(), "duty", "wrong horse").await;
        assert_ne!(status, StatusCode::SEE_OTHER);
    }
    // The right password on the other server: refused too, the pair is throttled.
    let (status, body) = try_login(&b, &client(), "duty", "correct horse").await;
    assert_ne!(status, StatusCode::SEE_OTHER, "{body}");
    assert!(body.contains("次数过多") || body.contains("稍后"), "{body}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_device_registered_through_one_server_is_accepted_by_the_others_gateway() {
    let (a_store, db) = fresh_store("cluster-registry").await;
    let b_store = Store::connect(db.url()).await.unwrap();
    // B's gateway is up (with an empty registry) before the device is registered through A.
    let gw_b = gateway(b_store, GatewayConfig::default()).await;
    // Several devices at once: the first frame of an MN the gateway does not know makes it
    // look at the registry again, and frames arriving meanwhile wait for that look (they were
    // quarantined before).
    let mut cfg = SimulatorConfig::new(gw_b.addr, 8);
    cfg.interval = Duration::from_millis(200);
    cfg.duration = Duration::from_secs(2);
    cfg.resend_after = Duration::from_millis(500);
    cfg.grace = Duration::from_secs(5);
    a_store
        .import_registry(&simulator::registry(&cfg), &Actor::cli())
        .await
        .unwrap();
    let report = simulator::run(cfg).await;
    assert!(report.sent > 0);
    assert_eq!(report.acked, report.sent, "{report:?}");
    assert_eq!(
        a_store.ingest_stats().await.unwrap().total as u64,
        report.acked
    );
}

/// A server's supervisor under the lease: its task, what it says about holding, and the
/// sender that stops it gracefully.
struct Duty {
    task: tokio::task::JoinHandle<()>,
    holding: watch::Receiver<bool>,
    stop: tokio::sync::oneshot::Sender<()>,
}

fn duty(store: Store, name: &str, takeover: Duration) -> Duty {
    let (holding_tx, holding) = watch::channel(false);
    let (stop, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let cfg = SupervisorConfig {
        period: Duration::from_millis(200),
        ..Default::default()
    };
    let lease = LeaseConfig {
        takeover,
        holder: name.into(),
    };
    let task = tokio::spawn(run_leased(store, cfg, lease, holding_tx, async {
        let _ = stop_rx.await;
    }));
    Duty {
        task,
        holding,
        stop,
    }
}

async fn until_one_holds(duties: &[&Duty], within: Duration) -> Option<usize> {
    let start = Instant::now();
    while start.elapsed() < within {
        let holders: Vec<usize> = (0..duties.len())
            .filter(|i| *duties[*i].holding.borrow())
            .collect();
        assert!(holders.len() <= 1, "two servers hold the duty lease");
        if let [one] = holders[..] {
            return Some(one);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_postgres_server_runs_the_duties_and_another_takes_over_when_it_dies() {
    let Some(db) =
        qingshan_testkit::scratch_db_on(qingshan_testkit::Backend::Postgres, "duty").await
    else {
        return;
    };
    let takeover = Duration::from_secs(1);
    let mut stores = Vec::new();
    for _ in 0..3 {
        let s = Store::connect(db.url()).await.unwrap();
        s.migrate().await.unwrap();
        stores.push(s);
    }
    let watcher = stores[0].clone();
    let names = ["server-a", "server-b", "server-c"];
    let mut duties: Vec<Option<Duty>> = stores
        .iter()
        .zip(names)
        .map(|(s, n)| Some(duty(s.clone(), n, takeover)))
        .collect();

    // One holder, and it stays the only one.
    let live =
        |d: &[Option<Duty>]| -> Vec<usize> { (0..d.len()).filter(|i| d[*i].is_some()).collect() };
    let first = {
        let refs: Vec<&Duty> = duties.iter().flatten().collect();
        until_one_holds(&refs, Duration::from_secs(5))
            .await
            .expect("no server took the duty lease")
    };
    let deadline = Instant::now() + takeover * 2;
    while Instant::now() < deadline {
        let refs: Vec<&Duty> = duties.iter().flatten().collect();
        assert_eq!(until_one_holds(&refs, takeover).await, Some(first));
    }
    assert_eq!(
        watcher.lease_holder(DUTY_LEASE).await.unwrap().as_deref(),
        Some(names[first])
    );

    // The holder dies (its task and connection dropped at once, nothing released).
    let dead = duties[first].take().unwrap();
    dead.task.abort();
    let died = Instant::now();
    let _ = dead.task.await;
    let second = {
        let refs: Vec<&Duty> = duties.iter().flatten().collect();
        let i = until_one_holds(&refs, takeover * 3)
            .await
            .expect("nobody took the lease over");
        live(&duties)[i]
    };
    let took = died.elapsed();
    eprintln!("duty lease taken over in {} ms", took.as_millis());
    assert!(took <= takeover + Duration::from_millis(500), "{took:?}");
    assert_ne!(second, first);
    assert_eq!(
        watcher.lease_holder(DUTY_LEASE).await.unwrap().as_deref(),
        Some(names[second])
    );

    // A graceful stop releases it: the last server takes it at once.
    let leaving = duties[second].take().unwrap();
    leaving.stop.send(()).unwrap();
    leaving.task.await.unwrap();
    let stopped = Instant::now();
    let third = live(&duties)[0];
    let refs: Vec<&Duty> = duties.iter().flatten().collect();
    assert_eq!(until_one_holds(&refs, takeover * 3).await, Some(0));
    assert!(stopped.elapsed() <= takeover);
    assert_eq!(
        watcher.lease_holder(DUTY_LEASE).await.unwrap().as_deref(),
        Some(names[third])
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_only_sqlite_server_runs_the_duties_at_once() {
    let db = qingshan_testkit::scratch_db_on(qingshan_testkit::Backend::Sqlite, "duty")
        .await
        .unwrap();
    let store = Store::connect(db.url()).await.unwrap();
    store.migrate().await.unwrap();
    let d = duty(store, "only", Duration::from_secs(10));
    assert_eq!(
        until_one_holds(&[&d], Duration::from_secs(2)).await,
        Some(0)
    );
    d.stop.send(()).unwrap();
    d.task.await.unwrap();
}
