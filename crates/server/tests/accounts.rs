//! Accounts on the web, end to end: the administrator opens, closes and resets accounts, and
//! each user changes their own password; every path ends sessions the way it should.

#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use qingshan_store::Role;
use reqwest::StatusCode;
use serde_json::Value;

async fn me(c: &reqwest::Client, server: &common::Server) -> Value {
    c.get(server.url("/api/v1/me"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}

#[tokio::test]
async fn admin_opens_accounts_and_users_change_their_password() {
    let (store, _db) = common::fresh_store("accounts").await;
    common::user(&store, "admin", Role::Admin, None, None).await;
    common::user(&store, "staff", Role::Staff, None, None).await;
    let server = common::serve(store.clone()).await;
    let (admin, _) = common::login(&server, "admin").await;
    let page = admin
        .get(server.url("/admin/users"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let csrf = common::hidden(&page, "csrf_token");
    let open = |extra: &[(&str, &str)]| {
        let mut form = vec![
            ("csrf_token", csrf.as_str()),
            ("username", "shuili"),
            ("display_name", "水利局填报员"),
            ("role", "reporter"),
            ("password", "Shuili-2026"),
        ];
        form.extend_from_slice(extra);
        admin.post(server.url("/admin/users")).form(&form).send()
    };
    // A reporter without a unit could enter nothing: refused, nothing created.
    let r = open(&[]).await.unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().await.unwrap().contains("须选择所属责任单位"));
    let r = open(&[("unit_id", "slj"), ("password", "weakpassword")])
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(store.users().await.unwrap().len(), 2);
    let r = open(&[("unit_id", "slj")]).await.unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    let u = store.user_credentials("shuili").await.unwrap().unwrap().0;
    assert_eq!(
        (u.role, u.unit_id.as_deref()),
        (Role::Reporter, Some("slj"))
    );
    assert_eq!(
        open(&[("unit_id", "slj")]).await.unwrap().status(),
        StatusCode::CONFLICT
    );

    // The reporter signs in with the first password and changes it.
    let c = common::client();
    let (status, _) = common::try_login(&server, &c, "shuili", "Shuili-2026").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let form = c
        .get(server.url("/account/password"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let own_csrf = common::hidden(&form, "csrf_token");
    let change = |current: &str, new: &str, confirm: &str| {
        c.post(server.url("/account/password"))
            .form(&[
                ("csrf_token", own_csrf.as_str()),
                ("current", current),
                ("new", new),
                ("confirm", confirm),
            ])
            .send()
    };
    assert_eq!(
        change("wrong", "Better-2027", "Better-2027")
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
    assert_eq!(
        change("Shuili-2026", "Better-2027", "Better-2028")
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        change("Shuili-2026", "shuili", "shuili")
            .await
            .unwrap()
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let r = change("Shuili-2026", "Better-2027", "Better-2027")
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert_eq!(r.headers()["location"], "/login?changed=1");
    // The session opened with the old password is over; only the new one signs in.
    assert!(me(&c, &server).await["user"].is_null());
    assert_eq!(
        common::try_login(&server, &common::client(), "shuili", "Shuili-2026")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = common::try_login(&server, &c, "shuili", "Better-2027").await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    assert_eq!(me(&c, &server).await["user"]["username"], "shuili");

    // Closing the account ends its session at once and keeps it out.
    let r = admin
        .post(server.url(&format!("/admin/users/{}/deactivate", u.id)))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::SEE_OTHER);
    assert!(me(&c, &server).await["user"].is_null());
    assert_eq!(
        common::try_login(&server, &common::client(), "shuili", "Better-2027")
            .await
            .0,
        StatusCode::UNAUTHORIZED
    );
    // An administrator cannot lock themselves out; staff may not manage accounts at all.
    let admin_id = store.user_credentials("admin").await.unwrap().unwrap().0.id;
    let r = admin
        .post(server.url(&format!("/admin/users/{admin_id}/deactivate")))
        .form(&[("csrf_token", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::FORBIDDEN);
    let (staff, _) = common::login(&server, "staff").await;
    assert_eq!(
        staff
            .get(server.url("/admin/users"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );

    let log = store.audit_log(Some("user."), 20).await.unwrap();
    for action in ["user.create", "user.password", "user.deactivate"] {
        assert!(
            log.iter().any(|e| e.action == action && e.outcome == "ok"),
            "{action}"
        );
    }
    assert!(
        log.iter()
            .any(|e| e.action == "user.password" && e.outcome == "refused"),
        "wrong current password audited"
    );
}
