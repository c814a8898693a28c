//! End-to-end tests: the real server on port 0 with a fresh SQLite database, driven over HTTP.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::{Server, client};
use qingshan_store::{Role, Store, User};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};

struct App {
    _db: common::ScratchDb,
    server: Server,
    store: Store,
}

impl App {
    fn url(&self, path: &str) -> String {
        self.server.url(path)
    }

    async fn user(
        &self,
        username: &str,
        role: Role,
        unit: Option<&str>,
        division: Option<&str>,
    ) -> User {
        common::user(&self.store, username, role, unit, division).await
    }

    /// A browser-like client signed in as `username`; returns it with the session's CSRF token.
    async fn login(&self, username: &str) -> (Client, String) {
        common::login(&self.server, username).await
    }

    async fn try_login(&self, c: &Client, username: &str, password: &str) -> (StatusCode, String) {
        common::try_login(&self.server, c, username, password).await
    }

    async fn audit(&self) -> Vec<qingshan_store::AuditRecord> {
        self.store.audit_log(None, 1000).await.unwrap()
    }
}

async fn spawn() -> App {
    let (store, _db) = common::fresh_store("http").await;
    App {
        _db,
        server: common::serve(store.clone()).await,
        store,
    }
}

#[tokio::test]
async fn dashboard_is_public_and_lists_every_indicator() {
    let app = spawn().await;
    let r = client().get(app.url("/plan")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    let plan = qingshan_plan::xinzhou().unwrap();
    for i in &plan.indicators {
        // minijinja's HTML escaping writes "/" as "&#x2f;".
        assert!(
            html.contains(&i.name.replace('/', "&#x2f;")),
            "dashboard lacks indicator {} {}",
            i.number,
            i.name
        );
    }
    for c in plan.categories() {
        assert!(html.contains(&format!("<h2>{c}</h2>")));
    }
    assert!(html.contains("lang=\"zh-CN\""));
    let css = client()
        .get(app.url("/assets/app.css"))
        .send()
        .await
        .unwrap();
    assert_eq!(css.headers()["content-type"], "text/css; charset=utf-8");
    // No asset may come from outside: the intranet has no internet.
    assert!(!html.contains("http://") || html.matches("http://").count() == 0);
    assert!(!html.contains("https://"));
}

#[tokio::test]
async fn public_cannot_reach_staff_pages_or_write() {
    let app = spawn().await;
    let c = client();
    let r = c.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login");
    assert_eq!(
        c.get(app.url("/api/v1/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNAUTHORIZED
    );
    let r = c
        .post(app.url("/api/v1/indicators/6/values"))
        .json(&json!({"year": 2023, "value": "15.1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    let r = c
        .post(app.url("/indicators/6/values"))
        .form(&[("year", "2023"), ("division", "140900"), ("value", "15.1")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(app.url("/api/v1/tokens"))
        .json(&json!({"user_id": 1, "label": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    assert!(
        app.store
            .current_indicator_values("xinzhou-beautiful-shanxi-2023")
            .await
            .unwrap()
            .is_empty()
    );
    let refused: Vec<_> = app
        .audit()
        .await
        .into_iter()
        .filter(|e| e.outcome == "refused" && e.actor == "公众")
        .collect();
    assert!(
        refused
            .iter()
            .any(|e| e.action == "indicator_value.record" && e.target.starts_with("indicator:6"))
    );
    assert!(refused.iter().any(|e| e.target == "page:/admin/audit"));
    assert!(refused.iter().any(|e| e.action == "token.issue"));
}

#[tokio::test]
async fn water_bureau_reporter_cannot_change_forest_cover() {
    let app = spawn().await;
    app.user("slj-reporter", Role::Reporter, Some("slj"), None)
        .await;
    let (c, csrf) = app.login("slj-reporter").await;

    let r = c
        .post(app.url("/api/v1/indicators/6/values"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2023, "division": "140900", "value": "15.30"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["error"], "forbidden");

    // The web form is refused the same way.
    let page = c
        .get(app.url("/indicators/6"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        !page.contains("action=\"/indicators/6/values\""),
        "no entry form for another unit's indicator"
    );
    let r = c
        .post(app.url("/indicators/6/values"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("year", "2023"),
            ("division", "140900"),
            ("value", "15.30"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);

    let log = app.audit().await;
    let attempts: Vec<_> = log
        .iter()
        .filter(|e| e.actor == "slj-reporter" && e.target.starts_with("indicator:6 "))
        .collect();
    assert_eq!(attempts.len(), 2, "{log:#?}");
    for a in attempts {
        assert_eq!(a.outcome, "refused");
        assert_eq!(a.new_value.as_deref(), Some("15.30"));
        assert!(a.detail.as_deref().unwrap().starts_with("forbidden"));
        assert_eq!(a.peer.as_deref(), Some("127.0.0.1"));
    }
    assert!(
        app.store
            .indicator_value_history("xinzhou-beautiful-shanxi-2023", 6, None)
            .await
            .unwrap()
            .is_empty()
    );

    // Its own indicator (7, 水土保持率) is fine.
    let r = c
        .post(app.url("/api/v1/indicators/7/values"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2023, "value": "60.12", "reason": "年报"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
}

#[tokio::test]
async fn forms_without_csrf_token_are_refused() {
    let app = spawn().await;
    app.user("staff", Role::Staff, None, None).await;
    let (c, csrf) = app.login("staff").await;
    let form = [("year", "2022"), ("division", "140902"), ("value", "15.02")];
    let r = c
        .post(app.url("/indicators/6/values"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = c
        .post(app.url("/indicators/6/values"))
        .form(&[
            ("csrf_token", "0".repeat(64).as_str()),
            form[0],
            form[1],
            form[2],
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    // The API with a session cookie needs the header too.
    let r = c
        .post(app.url("/api/v1/indicators/6/values"))
        .json(&json!({"year": 2022, "value": "1"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert_eq!(r.json::<Value>().await.unwrap()["error"], "csrf");
    assert!(
        app.store
            .indicator_value_history("xinzhou-beautiful-shanxi-2023", 6, None)
            .await
            .unwrap()
            .is_empty()
    );
    // Logout without the token is refused as well; with it, it works.
    assert_eq!(
        c.post(app.url("/logout"))
            .form(&[("x", "y")])
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    let r = c
        .post(app.url("/indicators/6/values"))
        .form(&[("csrf_token", csrf.as_str()), form[0], form[1], form[2]])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let page = c
        .get(app.url("/indicators/6?saved=1"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("已保存为新的修订版本"));
    assert!(page.contains("15.02") && page.contains("忻府区"));
    let csrf_refusals = app
        .audit()
        .await
        .into_iter()
        .filter(|e| {
            e.outcome == "refused" && e.detail.as_deref().is_some_and(|d| d.starts_with("csrf"))
        })
        .count();
    assert_eq!(csrf_refusals, 3);
    // The login form itself is CSRF-protected.
    let r = client()
        .post(app.url("/login"))
        .form(&[("username", "staff"), ("password", "correct horse")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn values_are_validated_and_revised() {
    let app = spawn().await;
    app.user("staff", Role::Staff, None, None).await;
    let (c, csrf) = app.login("staff").await;
    let post = |body: Value| {
        c.post(app.url("/api/v1/indicators/6/values"))
            .header("x-csrf-token", &csrf)
            .json(&body)
            .send()
    };
    for (body, field) in [
        (json!({"year": 2023, "value": "120"}), "value"),
        (json!({"year": 2023, "value": "十五"}), "value"),
        (json!({"year": 2019, "value": "15"}), "year"),
        (
            json!({"year": 2023, "division": "110000", "value": "15"}),
            "division",
        ),
    ] {
        let r = post(body.clone()).await.unwrap();
        assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(r.json::<Value>().await.unwrap()["field"], field, "{body}");
    }
    let r = c
        .post(app.url("/api/v1/indicators/6/values"))
        .header("x-csrf-token", &csrf)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        post(json!({"year": 2023, "value": 99}))
            .await
            .unwrap()
            .status(),
        StatusCode::CREATED
    );
    let second: Value = post(json!({"year": 2023, "value": "15.40", "reason": "统计年鉴更正"}))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(second["value"]["revision"], 2);
    assert_eq!(second["value"]["value"], "15.40");
    let hist: Value = client()
        .get(app.url("/api/v1/indicators/6/values"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let values: Vec<&str> = hist["values"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["value"].as_str().unwrap())
        .collect();
    assert_eq!(values, ["99", "15.40"]);
    let ind: Value = client()
        .get(app.url("/api/v1/indicators/6"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(ind["indicator"]["latest"]["value"], "15.40");
    assert_eq!(ind["indicator"]["targets"][0]["text"], "16.71");
}

#[tokio::test]
async fn logins_are_throttled() {
    let app = spawn().await;
    app.user("admin", Role::Admin, None, None).await;
    let c = client();
    for _ in 0..5 {
        assert_eq!(
            app.try_login(&c, "admin", "wrong").await.0,
            StatusCode::UNAUTHORIZED
        );
    }
    let (status, body) = app.try_login(&c, "admin", "correct horse").await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
    assert!(body.contains("尝试次数过多"));
    let log = app.audit().await;
    assert_eq!(
        log.iter()
            .filter(|e| e.action == "session.login" && e.outcome == "refused")
            .count(),
        6
    );
}

#[tokio::test]
async fn admin_issues_api_tokens_for_scripts() {
    let app = spawn().await;
    app.user("admin", Role::Admin, None, None).await;
    let reporter = app.user("water", Role::Reporter, Some("slj"), None).await;
    let (c, csrf) = app.login("admin").await;
    let r = c
        .post(app.url("/api/v1/tokens"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"user_id": reporter.id, "label": "水利统计系统对接"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let token = r.json::<Value>().await.unwrap()["token"]
        .as_str()
        .unwrap()
        .to_string();

    let script = Client::new();
    let r = script
        .post(app.url("/api/v1/indicators/5/values"))
        .bearer_auth(&token)
        .json(&json!({"year": 2024, "value": "9.8"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    assert_eq!(
        r.json::<Value>().await.unwrap()["value"]["entered_by_name"],
        "water显示名"
    );
    let r = script
        .post(app.url("/api/v1/indicators/6/values"))
        .bearer_auth(&token)
        .json(&json!({"year": 2024, "value": "9.8"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let r = script
        .get(app.url("/api/v1/indicators"))
        .bearer_auth("not-a-token")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNAUTHORIZED);
    // A reporter may not issue tokens.
    let r = script
        .post(app.url("/api/v1/tokens"))
        .bearer_auth(&token)
        .json(&json!({"user_id": reporter.id, "label": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn county_user_sees_and_writes_only_its_division() {
    let app = spawn().await;
    app.user("xinfu", Role::County, None, Some("140902")).await;
    let (c, csrf) = app.login("xinfu").await;
    let ok = c
        .post(app.url("/api/v1/indicators/17/values"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2024, "division": "140902", "value": "55"}))
        .send()
        .await
        .unwrap();
    assert_eq!(ok.status(), StatusCode::CREATED);
    let no = c
        .post(app.url("/api/v1/indicators/17/values"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2024, "division": "140921", "value": "55"}))
        .send()
        .await
        .unwrap();
    assert_eq!(no.status(), StatusCode::FORBIDDEN);
    let page = c
        .get(app.url("/indicators/17"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("value=\"140902\"") && !page.contains("value=\"140921\""));
    assert_eq!(
        c.get(app.url("/admin/audit"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn staff_see_the_audit_log() {
    let app = spawn().await;
    app.user("staff", Role::Staff, None, None).await;
    let (c, _) = app.login("staff").await;
    let r = c.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let html = r.text().await.unwrap();
    // Actions by their Chinese labels, never the codes.
    assert!(html.contains("<td>载入规划</td>") && html.contains("<td>登录</td>"));
    assert!(!html.contains("plan.load") && !html.contains("session.login"));
    let api: Value = c
        .get(app.url("/api/v1/audit?action=session."))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["entries"][0]["action"], "session.login");
}

#[tokio::test]
async fn tasks_pages_and_api() {
    let app = spawn().await;
    let c = client();
    let html = c
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(html.matches("<details class=\"task\"").count(), 25);
    assert!(html.contains("（三）全域治污勠力攻坚"));
    let by_unit = c
        .get(app.url("/tasks?by=unit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(by_unit.contains("id=\"unit-sthj\"") && by_unit.contains("市公安局交警支队"));
    let api: Value = c
        .get(app.url("/api/v1/tasks"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(api["areas"].as_array().unwrap().len(), 8);
    assert_eq!(api["counties_carry_all_tasks"], true);
    assert_eq!(
        c.get(app.url("/nope")).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(app.url("/api/v1/nope"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        c.get(app.url("/indicators/99"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn openapi_describes_the_api_and_health_answers() {
    let app = spawn().await;
    let c = client();
    let doc: Value = c
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(doc["openapi"], "3.1.0");
    for p in [
        "/plan",
        "/indicators",
        "/indicators/{number}",
        "/indicators/{number}/values",
        "/tasks",
        "/units",
        "/divisions",
        "/me",
        "/tokens",
        "/audit",
    ] {
        assert!(doc["paths"].get(p).is_some(), "openapi lacks {p}");
        let live = p.replace("{number}", "6");
        let status = c
            .get(app.url(&format!("/api/v1{live}")))
            .send()
            .await
            .unwrap()
            .status();
        assert_ne!(
            status,
            StatusCode::NOT_FOUND,
            "{p} documented but not routed"
        );
    }
    let h: Value = c
        .get(app.url("/healthz"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(h["status"], "ok");
    let backend = match qingshan_testkit::backend() {
        qingshan_testkit::Backend::Sqlite => "sqlite",
        qingshan_testkit::Backend::Postgres => "postgres",
    };
    assert_eq!(h["backend"], backend);
}

#[tokio::test]
async fn dashboard_shows_progress_and_units_report_only_their_tasks() {
    let app = spawn().await;
    app.user("staff", Role::Staff, None, None).await;
    app.user("slj-reporter", Role::Reporter, Some("slj"), None)
        .await;
    let (staff, csrf) = app.login("staff").await;
    for (year, v) in [
        (2021, "14.80"),
        (2022, "15.30"),
        (2023, "15.90"),
        (2024, "16.40"),
    ] {
        let r = staff
            .post(app.url("/api/v1/indicators/6/values"))
            .header("x-csrf-token", &csrf)
            .json(&json!({"year": year, "value": v}))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::CREATED);
    }
    let html = client()
        .get(app.url("/plan"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(html.contains("进展按 2024 年评估"));
    let row = html
        .split("id=\"indicator-6\"")
        .nth(1)
        .unwrap()
        .split("</tr>")
        .next()
        .unwrap();
    assert!(row.contains("class=\"status status-"), "{row}");
    assert!(
        row.contains("title=\""),
        "status carries its reasoning: {row}"
    );
    assert!(
        html.matches("class=\"status status-not_available\"")
            .count()
            >= 20
    );
    // The roll-ups add up: each indicator counted once under its responsible unit (24 in all).
    let units = html
        .split("按责任单位汇总")
        .nth(1)
        .unwrap()
        .split("</table>")
        .next()
        .unwrap();
    let totals: Vec<usize> = units
        .split("<tr><td>")
        .skip(1)
        .map(|row| {
            row.split("<td class=\"num\">")
                .nth(1)
                .unwrap()
                .split('<')
                .next()
                .unwrap()
                .parse()
                .unwrap()
        })
        .collect();
    assert_eq!(totals.iter().sum::<usize>(), 24, "{units}");
    assert!(units.contains("市规划和自然资源局</td><td class=\"num\">6<"));
    assert!(units.contains("市生态环境局</td><td class=\"num\">9<"));
    assert!(html.contains("按县（市、区）汇总"));
    let report = client().get(app.url("/reports/2024")).send().await.unwrap();
    assert_eq!(report.status(), StatusCode::OK);
    assert!(report.text().await.unwrap().contains("森林覆盖率"));
    assert_eq!(
        client()
            .get(app.url("/reports/2019"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );

    // Assigned targets and judgements are staff-only.
    let r = staff
        .post(app.url("/api/v1/indicators/11/assigned-targets"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2024, "value": "78.5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let r = staff
        .post(app.url("/api/v1/indicators/6/assigned-targets"))
        .header("x-csrf-token", &csrf)
        .json(&json!({"year": 2024, "value": "16"}))
        .send()
        .await
        .unwrap();
    assert_eq!(
        r.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "indicator 6 has its own numeric target"
    );

    let (rep, rcsrf) = app.login("slj-reporter").await;
    let body =
        json!({"period": "2024", "status": "in_progress", "narrative": "推进水土流失综合治理"});
    let own = rep
        .post(app.url("/api/v1/tasks/3/2/reports"))
        .header("x-csrf-token", &rcsrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(own.status(), StatusCode::CREATED);
    let other = rep
        .post(app.url("/api/v1/tasks/2/1/reports"))
        .header("x-csrf-token", &rcsrf)
        .json(&body)
        .send()
        .await
        .unwrap();
    assert_eq!(other.status(), StatusCode::FORBIDDEN);
    let r = rep
        .post(app.url("/api/v1/indicators/11/assigned-targets"))
        .header("x-csrf-token", &rcsrf)
        .json(&json!({"year": 2024, "value": "78.5"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let bad = rep
        .post(app.url("/api/v1/tasks/3/2/reports"))
        .header("x-csrf-token", &rcsrf)
        .json(&json!({"period": "2024Q5", "status": "in_progress", "narrative": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.json::<Value>().await.unwrap()["field"], "period");
    let log = app.audit().await;
    assert!(log.iter().any(|e| e.action == "task_report.record"
        && e.outcome == "refused"
        && e.target == "task:2-1"
        && e.actor == "slj-reporter"));
    assert_eq!(
        app.store
            .task_reports("xinzhou-beautiful-shanxi-2023", 2, 1)
            .await
            .unwrap()
            .len(),
        0
    );
}

#[tokio::test]
async fn value_imports_are_all_or_nothing_and_role_checked() {
    let app = spawn().await;
    app.user("slj-reporter", Role::Reporter, Some("slj"), None)
        .await;
    let (c, csrf) = app.login("slj-reporter").await;
    let post = |body: &'static str| {
        c.post(app.url("/api/v1/values/import"))
            .header("x-csrf-token", &csrf)
            .body(body)
            .send()
    };
    let template = client()
        .get(app.url("/api/v1/values/template.csv"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        template
            .trim_start_matches('\u{feff}')
            .starts_with("指标序号,年份,行政区划代码,数值,备注,修订原因")
    );
    // A bad cell on row 3: refused with row and column, nothing stored.
    let r = post("indicator,year,division,value\n7,2023,140900,60.1\n7,2024,140900,六十\n")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let v: Value = r.json().await.unwrap();
    assert_eq!(v["field"], "file");
    assert_eq!(v["errors"][0]["row"], 3);
    assert_eq!(v["errors"][0]["column"], "数值");
    // Another unit's indicator on row 3: 403, audited, nothing stored.
    let r = post("indicator,year,division,value\n7,2023,140900,60.1\n6,2023,140900,15\n")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    assert!(
        r.json::<Value>().await.unwrap()["message"]
            .as_str()
            .unwrap()
            .starts_with("第 3 行")
    );
    assert!(
        app.store
            .current_indicator_values("xinzhou-beautiful-shanxi-2023")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        app.audit()
            .await
            .iter()
            .any(|e| e.action == "indicator_value.import"
                && e.outcome == "refused"
                && e.target == "indicator:6 row:3")
    );
    // Its own indicators: stored, each a revision with source "import".
    let r = post("indicator,year,division,value,reason\n7,2023,140900,60.1,年报\n7,2024,140900,60.4,年报\n5,2024,140902,9.5,\n").await.unwrap();
    assert_eq!(r.status(), StatusCode::CREATED);
    let cur = app
        .store
        .current_indicator_values("xinzhou-beautiful-shanxi-2023")
        .await
        .unwrap();
    assert_eq!(cur.len(), 3);
    assert!(cur.iter().all(|v| v.source == "import"));
}

#[tokio::test]
async fn units_report_task_progress_on_the_tasks_page() {
    let app = spawn().await;
    app.user("slj-reporter", Role::Reporter, Some("slj"), None)
        .await;
    let (c, csrf) = app.login("slj-reporter").await;
    let page = c
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(
        page.matches("填报进展</button>").count(),
        5,
        "市水利局 carries 5 tasks: a form on each, none elsewhere"
    );
    assert!(
        page.contains("action=\"/tasks/3/2/reports\"")
            && !page.contains("action=\"/tasks/2/1/reports\"")
    );
    let r = c
        .post(app.url("/tasks/3/2/reports"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("period", "2025Q3"),
            ("status", "lagging"),
            ("narrative", "生态补水工程延期"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let r = c
        .post(app.url("/tasks/2/1/reports"))
        .form(&[
            ("csrf_token", csrf.as_str()),
            ("period", "2025"),
            ("status", "completed"),
            ("narrative", "x"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let page = client()
        .get(app.url("/tasks"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("滞后（2025Q3）") && page.contains("生态补水工程延期"));
    assert_eq!(
        page.matches("填报进展</button>").count(),
        0,
        "the public gets no forms"
    );
    let by_unit = client()
        .get(app.url("/tasks?by=unit"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let slj = by_unit
        .split("id=\"unit-slj\"")
        .nth(1)
        .unwrap()
        .split("</section>")
        .next()
        .unwrap();
    assert!(
        slj.contains("滞后 1 项") && slj.contains("逾期未报 4 项"),
        "{slj}"
    );
}
