//! Pages in a real browser: headless Chromium (Debian's `chromium`) loads them from the real
//! server and we read back the DOM it built. Skipped loudly without Chromium, except under CI.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::path::Path;
use std::process::Command;

use qingshan_server::ServerConfig;
use qingshan_store::Actor;

fn chromium() -> Option<&'static str> {
    qingshan_testkit::required_program(
        &["/usr/bin/chromium", "/usr/bin/chromium-browser"],
        "Chromium",
        "apt-get install chromium",
    )
    // Leaked once per test: the path is copied into the blocking tasks that run Chromium.
    .map(|p| &*Box::leak(p.display().to_string().into_boxed_str()))
}

fn run_chromium(bin: &str, args: &[&str]) -> String {
    let profile = qingshan_testkit::TempPath::new("chromium", "");
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dashboard_and_indicator_page_render_in_chromium() {
    let Some(bin) = chromium() else { return };
    let (store, plan, _db) = common::fresh_prepared("browser").await;
    let actor = Actor::cli();
    for (year, v) in [(2021, "15.10"), (2022, "15.62"), (2023, "16.05")] {
        let new = qingshan_store::NewIndicatorValue {
            plan_id: plan.meta.id.clone(),
            indicator_number: 6,
            year,
            division_code: "140900".into(),
            value: v.into(),
            note: None,
            reason: None,
            source: "manual".into(),
            capture: None,
        };
        store.record_indicator_value(&new, &actor).await.unwrap();
    }
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(qingshan_server::serve(
        store,
        plan,
        ServerConfig::default(),
        "127.0.0.1:0",
        |a| {
            let _ = addr_tx.send(a);
        },
        std::future::pending(),
    ));
    let addr = addr_rx.await.unwrap();

    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(bin, &["--dump-dom", &format!("http://{addr}/plan")])
    })
    .await
    .unwrap();
    assert!(dom.contains("森林覆盖率"), "dashboard DOM lacks indicators");
    assert_eq!(dom.matches("<tr id=\"indicator-").count(), 24);
    assert!(
        dom.contains("16.05<small>（2023年）</small>"),
        "latest value not shown"
    );

    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(bin, &["--dump-dom", &format!("http://{addr}/indicators/6")])
    })
    .await
    .unwrap();
    assert!(dom.contains("<svg class=\"chart\""));
    assert_eq!(dom.matches("class=\"series-dot\"").count(), 3);

    // A picture for people to look at; kept in the target directory.
    let shot = Path::new(env!("CARGO_TARGET_TMPDIR")).join("dashboard.png");
    let shot_arg = format!("--screenshot={}", shot.display());
    tokio::task::spawn_blocking(move || {
        run_chromium(
            bin,
            &[
                &shot_arg,
                "--window-size=1400,1800",
                &format!("http://{addr}/plan"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(std::fs::metadata(&shot).unwrap().len() > 10_000);
}

/// The warning form and its verdict, and the pollution-source list, as Chromium builds them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn warning_and_sources_pages_render_in_chromium() {
    let Some(bin) = chromium() else { return };
    let (store, plan, _db) = common::fresh_prepared("browser").await;
    let (addr_tx, addr_rx) = tokio::sync::oneshot::channel();
    tokio::spawn(qingshan_server::serve(
        store,
        plan,
        ServerConfig::default(),
        "127.0.0.1:0",
        |a| {
            let _ = addr_tx.send(a);
        },
        std::future::pending(),
    ));
    let addr = addr_rx.await.unwrap();
    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(
            bin,
            &[
                "--dump-dom",
                &format!("http://{addr}/air/warning?forecast=210%2C230%2C250"),
            ],
        )
    })
    .await
    .unwrap();
    assert!(dom.contains("data-level=\"orange\""), "verdict missing");
    assert!(
        dom.contains("<input name=\"forecast\" value=\"210,230,250\""),
        "the form keeps the forecast"
    );
    let dom = tokio::task::spawn_blocking(move || {
        run_chromium(bin, &["--dump-dom", &format!("http://{addr}/sources")])
    })
    .await
    .unwrap();
    assert!(dom.contains("污染源自动监控") && dom.contains("尚无登记的监控设备"));
}
