//! The public registry list (`/sources`) and its API a page at a time with the same filters;
//! the audit log's API paged with the page's filter; the quarantine's API (staff).

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{client, fresh_store, login, serve, user};
use qingshan_simulator::{self as simulator, SimulatorConfig};
use qingshan_store::{Actor, AuditEntry, Role};
use reqwest::StatusCode;
use serde_json::Value;

#[tokio::test]
async fn the_registry_list_is_paged_and_filtered_on_the_page_and_the_api() {
    let (store, _db) = fresh_store("registry-paging").await;
    let cfg = SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 250);
    let mut reg = simulator::registry(&cfg);
    // One enterprise elsewhere, with a water outlet.
    let other = &mut reg.enterprises[7];
    other.division_code = Some("140981".into());
    let code = other.credit_code.clone();
    for o in reg.outlets.iter_mut().filter(|o| o.credit_code == code) {
        o.kind = qingshan_sources::OutletKind::Water;
    }
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let server = serve(store.clone()).await;
    let public = client();
    let get = |path: String| {
        let c = public.clone();
        let url = server.url(&path);
        async move {
            let r = c.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let first = get("/sources".into()).await;
    assert!(first.contains("共 250 台监控设备，在线 0 台"), "{first}");
    assert!(first.contains("第 1 / 3 页，共 250 条"));
    assert!(first.contains("sources?page=2\" rel=\"next\""));
    let mn = |i: usize| simulator::device_mn(i);
    assert!(first.contains(&mn(0)) && first.contains(&mn(99)) && !first.contains(&mn(100)));
    let last = get("/sources?page=3".into()).await;
    assert!(last.contains(&mn(249)) && !last.contains(&mn(199)));
    // Filters: the pager keeps them.
    let water = get("/sources?kind=water".into()).await;
    assert!(
        water.contains("共 1 台监控设备") && water.contains(&mn(7)),
        "{water}"
    );
    let county = get("/sources?county=140981".into()).await;
    assert!(county.contains("共 1 台监控设备") && county.contains(&mn(7)));
    let search =
        get("/sources?q=%E6%A8%A1%E6%8B%9F%E6%8E%92%E6%B1%A1%E5%8D%95%E4%BD%8D0012".into()).await;
    // 模拟排污单位0012x: ten enterprises.
    assert!(search.contains("共 10 台监控设备"), "{search}");
    let searched_pages = get("/sources?q=%E5%8D%95%E4%BD%8D&page=2".into()).await;
    assert!(searched_pages.contains("sources?q=%E5%8D%95%E4%BD%8D&amp;page=3\" rel=\"next\""));
    let none = get("/sources?q=%25".into()).await;
    assert!(none.contains("没有符合条件的监控设备"));

    // The API: the same pages and filters.
    let api = |path: &'static str| {
        let c = public.clone();
        let url = server.url(path);
        async move {
            c.get(url)
                .send()
                .await
                .unwrap()
                .json::<Value>()
                .await
                .unwrap()
        }
    };
    let p2 = api("/api/v1/sources/devices?page=2").await;
    assert_eq!(p2["total"], 250);
    assert_eq!(p2["online"], 0);
    assert_eq!(p2["page"], 2);
    assert_eq!(p2["devices"].as_array().unwrap().len(), 100);
    assert_eq!(p2["devices"][0]["mn"], mn(100));
    let w = api("/api/v1/sources/devices?kind=water").await;
    assert_eq!(w["total"], 1);
    assert_eq!(w["devices"][0]["mn"], mn(7));
    assert_eq!(w["devices"][0]["online"], false);

    // The audit log's API pages with the page's filter; the quarantine's API is the staff's.
    for i in 0..120 {
        store
            .audit(&AuditEntry::ok(
                &Actor::cli(),
                "test.fill",
                format!("fill:{i:03}"),
            ))
            .await
            .unwrap();
    }
    user(&store, "staff", Role::Staff, None, None).await;
    let (staff, _) = login(&server, "staff").await;
    let audit: Value = staff
        .get(server.url("/api/v1/audit?action=test.&limit=50&page=3"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(audit["total"], 120);
    assert_eq!(audit["page"], 3);
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 20);
    assert_eq!(entries[0]["target"], "fill:019");
    let page = staff
        .get(server.url("/admin/audit?action=test.&page=2"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("第 2 / 2 页，共 120 条"), "{page}");
    let q: Value = staff
        .get(server.url("/api/v1/sources/quarantine"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(q["total"], 0);
    let r = public
        .get(server.url("/api/v1/sources/quarantine"))
        .send()
        .await
        .unwrap();
    assert!(r.status().is_client_error());
}

/// The anonymous list is kept for the configured time (page and API alike, per query), with
/// the grades of the enterprises on the page; signed-in users always read it anew; a time of
/// zero keeps nothing.
#[tokio::test]
async fn the_public_list_is_kept_for_its_freshness_time_and_shows_the_pages_grades() {
    let (store, _db) = fresh_store("registry-kept").await;
    let cfg = SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 150);
    let reg = simulator::registry(&cfg);
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // A published grade for an enterprise on page 2 (the list is by name, as the MNs are).
    let rated = &reg.enterprises[120];
    let cli = Actor::cli();
    let draft = store
        .save_credit_draft(
            &qingshan_store::NewCreditRating {
                year: 2025,
                credit_code: rated.credit_code.clone(),
                enterprise: rated.name.clone(),
                division_code: rated.division_code.clone(),
                rule_set: "shanxi-2024".into(),
                result: qingshan_store::CreditResult {
                    score: 95,
                    grade: "A".into(),
                    vetoed: false,
                    events_json: "[]".into(),
                },
            },
            &cli,
        )
        .await
        .unwrap();
    store.publish_credit_rating(draft.id, &cli).await.unwrap();
    let server = common::serve_with(
        store.clone(),
        qingshan_server::ServerConfig {
            public_list_fresh_for: std::time::Duration::from_secs(600),
            ..Default::default()
        },
    )
    .await;
    let text = |c: reqwest::Client, path: &'static str| {
        let url = server.url(path);
        async move {
            let r = c.get(url).send().await.unwrap();
            assert_eq!(r.status(), StatusCode::OK, "{path}");
            r.text().await.unwrap()
        }
    };
    let public = client();
    let first = text(public.clone(), "/sources").await;
    assert!(first.contains("共 150 台监控设备"), "{first}");
    assert!(!first.contains("credit-badge"), "no grade on page 1");
    let second = text(public.clone(), "/sources?page=2").await;
    assert!(
        second.contains("credit-badge credit-A") && second.contains(&rated.name),
        "{second}"
    );
    assert_eq!(second.matches("credit-badge").count(), 1);
    let api: Value =
        serde_json::from_str(&text(public.clone(), "/api/v1/sources/devices").await).unwrap();
    assert_eq!(api["total"], 150);

    // Ten more enterprises: the public keeps seeing the kept list, staff the new one.
    let more = simulator::registry(&SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 160));
    store.import_registry(&more, &Actor::cli()).await.unwrap();
    assert!(
        text(public.clone(), "/sources")
            .await
            .contains("共 150 台监控设备")
    );
    let api: Value =
        serde_json::from_str(&text(public.clone(), "/api/v1/sources/devices").await).unwrap();
    assert_eq!(api["total"], 150);
    // Another query is read now.
    let api: Value =
        serde_json::from_str(&text(public.clone(), "/api/v1/sources/devices?page=1").await)
            .unwrap();
    assert_eq!(api["total"], 160);
    user(&store, "staff", Role::Staff, None, None).await;
    let (staff, _) = login(&server, "staff").await;
    assert!(text(staff, "/sources").await.contains("共 160 台监控设备"));

    // Kept for no time: every request reads the registry.
    let fresh = common::serve_with(
        store.clone(),
        qingshan_server::ServerConfig {
            public_list_fresh_for: std::time::Duration::ZERO,
            ..Default::default()
        },
    )
    .await;
    let r = public.get(fresh.url("/sources")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("共 160 台监控设备"));
    let even = simulator::registry(&SimulatorConfig::new("127.0.0.1:1".parse().unwrap(), 170));
    store.import_registry(&even, &Actor::cli()).await.unwrap();
    let r = public.get(fresh.url("/sources")).send().await.unwrap();
    assert!(r.text().await.unwrap().contains("共 170 台监控设备"));
}
