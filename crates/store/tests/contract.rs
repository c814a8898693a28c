//! The storage contract: the same cases run against SQLite and PostgreSQL.
//!
//! PostgreSQL cases need `TEST_DATABASE_URL` (a server where we may create databases); each
//! test gets a fresh database. Without it they are skipped loudly, except under CI, where a
//! missing PostgreSQL is a failure.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use qingshan_store::*;

async fn sqlite() -> Store {
    let store = sqlite_unmigrated().await;
    store.migrate().await.unwrap();
    store
}

async fn sqlite_unmigrated() -> Store {
    let path = std::env::temp_dir().join(format!("qingshan-contract-{}.db", uuid::Uuid::new_v4()));
    Store::connect(&format!("sqlite://{}", path.display()))
        .await
        .unwrap()
}

async fn postgres() -> Option<(Store, ScratchDb)> {
    let (store, db) = postgres_unmigrated().await?;
    store.migrate().await.unwrap();
    Some((store, db))
}

/// A case's own PostgreSQL database, dropped when the case passes (a failing case leaves it
/// for a look); without this every run left some sixty databases behind.
struct ScratchDb {
    admin: Store,
    name: String,
}

impl ScratchDb {
    async fn remove(self) {
        let Store::Postgres(pool) = &self.admin else {
            return;
        };
        // FORCE: the case's pool may still hold connections while it closes.
        sqlx::query(&format!("DROP DATABASE \"{}\" WITH (FORCE)", self.name))
            .execute(pool)
            .await
            .unwrap();
    }
}

async fn postgres_unmigrated() -> Option<(Store, ScratchDb)> {
    let url = qingshan_testkit::postgres_admin_url()?;
    let admin = Store::connect(&url).await.unwrap();
    let name = format!("t_{}", uuid::Uuid::new_v4().simple());
    let Store::Postgres(pool) = &admin else {
        panic!("TEST_DATABASE_URL is not PostgreSQL")
    };
    sqlx::query(&format!("CREATE DATABASE \"{name}\""))
        .execute(pool)
        .await
        .unwrap();
    let base = url.rsplit_once('/').map(|(b, _)| b).unwrap();
    let store = Store::connect(&format!("{base}/{name}")).await.unwrap();
    Some((store, ScratchDb { admin, name }))
}

macro_rules! contract {
    ($($name:ident),* $(,)?) => {
        mod on_sqlite { $( #[tokio::test] async fn $name() { super::$name(super::sqlite().await).await } )* }
        mod on_postgres { $( #[tokio::test] async fn $name() { if let Some((s, db)) = super::postgres().await { super::$name(s).await; db.remove().await } } )* }
    };
}

contract!(
    migrations_are_idempotent,
    plan_sync_is_idempotent,
    users_and_credentials,
    password_change_and_deactivation_end_access,
    sessions_expire_and_end,
    api_tokens,
    values_are_revised_never_overwritten,
    values_keep_their_capture,
    bad_value_changes_nothing,
    concurrent_revisions_are_distinct,
    task_reports_revise,
    task_evidence_is_stored_listed_and_audited,
    task_evidence_needs_its_report,
    login_attempts_counted,
    refusals_are_audited,
    registry_import_and_devices,
    registry_exports_what_was_imported,
    alarms_filter_and_count_by_county,
    ingest_stores_once_and_archives_everything,
    ingest_large_batches_in_chunks,
    device_series_by_cn_and_last_delivery,
    assessment_inputs_are_revised,
    air_stations_upsert_and_list,
    air_hourly_revisions_never_overwrite,
    air_import_is_all_or_nothing,
    water_sections_upsert_and_list,
    water_samples_revise_never_overwrite,
    water_import_is_all_or_nothing,
    water_section_devices_link_and_move,
    water_samples_keep_manual_and_automatic_apart,
    water_station_uploads_are_st_21_hourly_only,
    water_single_limit_items_only_at_drinking_sources,
    refused_traffic_is_archived_within_its_budget,
    registry_version_moves_with_every_registry_write,
    quarantined_frames_are_released_once,
    refused_traffic_expires_on_its_own_cutoff,
    garbage_summaries_are_bounded_per_address,
    login_failures_count_per_pair_and_per_address,
    imports_skip_rows_identical_to_the_stored_ones,
    long_lists_come_in_pages,
    stations_are_created_edited_and_retired_never_deleted,
    device_links_keep_their_history,
    assessment_inputs_keep_their_history,
    incidents_group_consecutive_alarms,
    enterprise_users_carry_their_credit_code,
    data_marks_are_filed_reviewed_and_audited,
    orders_go_through_reply_return_and_accept,
    cases_go_from_filing_to_closing,
    data_gaps_are_recorded_moved_on_and_audited,
    backfilled_data_is_marked_and_stored_once,
    device_commands_queue_in_order_and_keep_their_frames,
    device_command_password_changes_the_registry_only_when_confirmed,
    device_commands_nobody_follows_time_out,
    analyser_params_keep_every_revision,
    device_clocks_are_saved_whole_by_device,
    item_reports_are_revised_reviewed_and_audited,
    heavy_grades_are_applied_reviewed_published_and_superseded,
    heavy_reduction_list_is_revised_never_overwritten,
    heavy_warnings_record_each_step_and_its_notices,
    inspection_problems_are_revised_reported_closed_and_reopened,
    permit_holdings_and_section_automation,
    consultations_keep_revisions_comments_and_their_handling,
    complaints_are_filed_limited_merged_handled_and_rated,
    disclosure_list_reports_and_revisions,
    credit_ratings_are_drafted_published_corrected_and_repaired,
    registry_lists_come_in_pages_with_filters,
    one_device_one_enterprise_and_a_page_of_grades,
);

/// Item reports are revisions per item and party; a review moves only a submitted revision; web
/// item revisions are numbered per item; every write leaves its audit entry.
async fn item_reports_are_revised_reviewed_and_audited(store: Store) {
    let u = reporter(&store, "ledger").await;
    let a = actor(&u);
    let r = store
        .record_item_revision("p", "x-1", "{}", "新增", false, &a)
        .await
        .unwrap();
    assert_eq!(r.revision, 1);
    let r = store
        .record_item_revision("p", "x-1", "{\"a\":1}", "改目标", false, &a)
        .await
        .unwrap();
    assert_eq!(r.revision, 2);
    let n = NewItemReport {
        plan_id: "p".into(),
        item_id: "x-1".into(),
        party_kind: "county".into(),
        party: "140902".into(),
        value: Some("3".into()),
        done: None,
        objects_done: Some(vec!["甲".into()]),
        narrative: "已淘汰".into(),
    };
    let file = NewEvidence {
        file_name: "a.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4".to_vec(),
    };
    let (first, ev) = store.record_item_report(&n, &[file], &a).await.unwrap();
    assert_eq!((first.revision, first.state.as_str()), (1, "submitted"));
    assert_eq!(first.objects_done.as_deref(), Some(&["甲".to_string()][..]));
    assert_eq!(ev.len(), 1);
    let back = store.item_report(first.id).await.unwrap().unwrap();
    assert_eq!(back, first);
    let returned = store
        .review_item_report(first.id, false, Some("缺佐证"), &a)
        .await
        .unwrap();
    assert_eq!(returned.state, "returned");
    assert_eq!(returned.review_reason.as_deref(), Some("缺佐证"));
    assert!(matches!(
        store.review_item_report(first.id, true, None, &a).await,
        Err(StoreError::Conflict(_))
    ));
    let (second, _) = store.record_item_report(&n, &[], &a).await.unwrap();
    assert_eq!(second.revision, 2);
    store
        .review_item_report(second.id, true, None, &a)
        .await
        .unwrap();
    let all = store.item_reports("p").await.unwrap();
    assert_eq!(
        all.iter().map(|r| r.state.as_str()).collect::<Vec<_>>(),
        ["returned", "accepted"]
    );
    let (meta, bytes) = store.item_evidence_file(ev[0].id).await.unwrap().unwrap();
    assert_eq!(
        (meta.report_id, bytes.as_slice()),
        (first.id, &b"%PDF-1.4"[..])
    );
    let audit = store.audit_log(None, 100).await.unwrap();
    for action in [
        "task_item.add",
        "task_item.revise",
        "item_report.record",
        "item_evidence.upload",
        "item_report.return",
        "item_report.accept",
    ] {
        assert!(audit.iter().any(|e| e.action == action), "{action}");
    }
}

/// An enterprise account keeps its 统一社会信用代码 and the flag that forces a password change;
/// a reset by someone else sets the flag, the user's own change clears it. An enterprise
/// account without a code is refused by the schema itself.
async fn enterprise_users_carry_their_credit_code(store: Store) {
    let new = NewUser {
        username: "plant".into(),
        display_name: "某电厂".into(),
        password_hash: "$argon2id$first".into(),
        role: Role::Enterprise,
        unit_id: None,
        division_code: None,
        credit_code: Some("91140900MA0K00000D".into()),
        must_change_password: true,
    };
    let u = store.create_user(&new, &Actor::cli()).await.unwrap();
    assert_eq!(u.role, Role::Enterprise);
    assert_eq!(u.credit_code.as_deref(), Some("91140900MA0K00000D"));
    assert!(u.must_change_password);
    let (found, _) = store.user_credentials("plant").await.unwrap().unwrap();
    assert_eq!(found, u);
    let log = store.audit_log(Some("user.create"), 10).await.unwrap();
    assert!(
        log[0]
            .new_value
            .as_deref()
            .unwrap_or("")
            .contains("credit_code=91140900MA0K00000D")
    );

    store.create_session("e1", u.id, "c1", 3600).await.unwrap();
    let (in_session, _) = store.session("e1").await.unwrap().unwrap();
    assert!(in_session.must_change_password);
    store
        .set_password(u.id, "$argon2id$own", false, &Actor::cli())
        .await
        .unwrap();
    assert!(
        !store
            .user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );
    store
        .set_password(u.id, "$argon2id$reset", true, &Actor::cli())
        .await
        .unwrap();
    assert!(
        store
            .user_by_id(u.id)
            .await
            .unwrap()
            .unwrap()
            .must_change_password
    );

    let without = NewUser {
        username: "nocode".into(),
        credit_code: None,
        ..new
    };
    assert!(store.create_user(&without, &Actor::cli()).await.is_err());
    assert!(store.user_credentials("nocode").await.unwrap().is_none());
}

/// Migration 16 rebuilds the users table on SQLite: the accounts, their ids and everything
/// that points at them survive, and the foreign keys still hold afterwards.
async fn users_survive_the_enterprise_migration(store: Store) {
    store.migrate_to(14).await.unwrap();
    macro_rules! seed {
        ($pool:expr) => {{
            sqlx::query("INSERT INTO users (username, display_name, password_hash, role, unit_id, division_code, active, created_at) VALUES ('old', '老账号', 'h', 'county', NULL, '140902', $1, '2026-01-01T00:00:00Z')")
                .bind(true).execute($pool).await.unwrap();
            let id: i64 = sqlx::query_scalar("SELECT id FROM users WHERE username = 'old'").fetch_one($pool).await.unwrap();
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ('sold', $1, 'c', '2026-01-01T00:00:00Z', '2999-01-01T00:00:00Z')")
                .bind(id).execute($pool).await.unwrap();
            id
        }};
    }
    let id = match &store {
        Store::Sqlite(pool, _) => seed!(pool),
        Store::Postgres(pool) => seed!(pool),
    };
    store.migrate_to(16).await.unwrap();
    let u = store.user_by_id(id).await.unwrap().unwrap();
    assert_eq!((u.username.as_str(), u.role), ("old", Role::County));
    assert_eq!(u.division_code.as_deref(), Some("140902"));
    assert_eq!((u.credit_code, u.must_change_password), (None, false));
    assert_eq!(store.session("sold").await.unwrap().unwrap().0.id, id);
    assert!(
        store
            .create_session("orphan", 9999, "c", 3600)
            .await
            .is_err(),
        "foreign keys still hold"
    );
    let next = reporter(&store, "after").await;
    assert!(next.id > id);
}

mod enterprise_upgrade {
    #[tokio::test]
    async fn on_sqlite() {
        super::users_survive_the_enterprise_migration(super::sqlite_unmigrated().await).await
    }
    #[tokio::test]
    async fn on_postgres() {
        if let Some((s, db)) = super::postgres_unmigrated().await {
            super::users_survive_the_enterprise_migration(s).await;
            db.remove().await
        }
    }
}

fn plan() -> qingshan_plan::Plan {
    qingshan_plan::xinzhou().unwrap()
}

async fn seeded(store: &Store) -> qingshan_plan::Plan {
    let p = plan();
    store
        .sync_plan(&p, qingshan_plan::XINZHOU_TOML)
        .await
        .unwrap();
    p
}

async fn reporter(store: &Store, name: &str) -> User {
    store
        .create_user(
            &NewUser {
                username: name.into(),
                display_name: format!("{name} 填报员"),
                password_hash: "$argon2id$fake".into(),
                role: Role::Reporter,
                unit_id: Some("slj".into()),
                division_code: None,
                credit_code: None,
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap()
}

fn actor(u: &User) -> Actor {
    Actor {
        user_id: Some(u.id),
        name: u.username.clone(),
        peer: Some("127.0.0.1".into()),
    }
}

fn value(n: i64, year: i64, div: &str, v: &str) -> NewIndicatorValue {
    NewIndicatorValue {
        plan_id: "xinzhou-beautiful-shanxi-2023".into(),
        indicator_number: n,
        year,
        division_code: div.into(),
        value: v.into(),
        note: None,
        reason: Some("年报".into()),
        source: "manual".into(),
        capture: None,
    }
}

async fn migrations_are_idempotent(store: Store) {
    assert_eq!(store.migrate().await.unwrap(), 0);
    store.ping().await.unwrap();
}

async fn plan_sync_is_idempotent(store: Store) {
    let p = seeded(&store).await;
    store
        .sync_plan(&p, qingshan_plan::XINZHOU_TOML)
        .await
        .unwrap();
    assert_eq!(store.count_indicators(&p.meta.id).await.unwrap(), 24);
}

async fn users_and_credentials(store: Store) {
    let u = reporter(&store, "water").await;
    assert_eq!(u.role, Role::Reporter);
    assert_eq!(u.unit_id.as_deref(), Some("slj"));
    let dup = store
        .create_user(
            &NewUser {
                username: "water".into(),
                display_name: "x".into(),
                password_hash: "h".into(),
                role: Role::Staff,
                unit_id: None,
                division_code: None,
                credit_code: None,
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert_eq!(dup.kind(), "conflict");
    let (found, hash) = store.user_credentials("water").await.unwrap().unwrap();
    assert_eq!(found, u);
    assert_eq!(hash, "$argon2id$fake");
    assert!(store.user_credentials("nobody").await.unwrap().is_none());
    assert_eq!(store.users().await.unwrap().len(), 1);
    let log = store.audit_log(Some("user."), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].target, "user:water");
}

/// A new password ends every session; closing an account ends its sessions and revokes its
/// tokens, and reopening it brings neither back. All audited.
async fn password_change_and_deactivation_end_access(store: Store) {
    let u = reporter(&store, "water").await;
    store.create_session("s1", u.id, "c1", 3600).await.unwrap();
    store.create_session("s2", u.id, "c2", 3600).await.unwrap();
    store
        .set_password(u.id, "$argon2id$new", false, &Actor::cli())
        .await
        .unwrap();
    assert!(store.session("s1").await.unwrap().is_none());
    assert!(store.session("s2").await.unwrap().is_none());
    assert_eq!(
        store.user_credentials("water").await.unwrap().unwrap().1,
        "$argon2id$new"
    );
    assert_eq!(
        store
            .set_password(9999, "x", false, &Actor::cli())
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );

    store.create_session("s3", u.id, "c3", 3600).await.unwrap();
    store
        .create_api_token("t1", u.id, "接口", &Actor::cli())
        .await
        .unwrap();
    assert!(store.api_token_user("t1").await.unwrap().is_some());
    store
        .set_user_active(u.id, false, &Actor::cli())
        .await
        .unwrap();
    assert!(store.session("s3").await.unwrap().is_none());
    assert!(store.api_token_user("t1").await.unwrap().is_none());
    assert!(!store.user_by_id(u.id).await.unwrap().unwrap().active);
    store
        .set_user_active(u.id, true, &Actor::cli())
        .await
        .unwrap();
    assert!(store.user_by_id(u.id).await.unwrap().unwrap().active);
    assert!(
        store.api_token_user("t1").await.unwrap().is_none(),
        "revoked for good"
    );
    let log = store.audit_log(Some("user."), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions[..3],
        ["user.activate", "user.deactivate", "user.password"]
    );
    assert_eq!(log[1].old_value.as_deref(), Some("active=true"));
    assert!(
        log.iter()
            .all(|e| !e.new_value.as_deref().unwrap_or("").contains("argon2"))
    );
}

async fn sessions_expire_and_end(store: Store) {
    let u = reporter(&store, "s").await;
    store
        .create_session("live", u.id, "csrf1", 3600)
        .await
        .unwrap();
    store
        .create_session("old", u.id, "csrf2", -1)
        .await
        .unwrap();
    let (su, csrf) = store.session("live").await.unwrap().unwrap();
    assert_eq!((su.id, csrf.as_str()), (u.id, "csrf1"));
    assert!(store.session("old").await.unwrap().is_none());
    store.delete_session("live").await.unwrap();
    assert!(store.session("live").await.unwrap().is_none());
}

async fn api_tokens(store: Store) {
    let u = reporter(&store, "t").await;
    store
        .create_api_token("hash1", u.id, "script", &Actor::cli())
        .await
        .unwrap();
    assert_eq!(
        store.api_token_user("hash1").await.unwrap().unwrap().id,
        u.id
    );
    assert!(store.api_token_user("nope").await.unwrap().is_none());
    assert_eq!(
        store
            .create_api_token("hash2", 9999, "x", &Actor::cli())
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
}

async fn values_are_revised_never_overwritten(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "v").await;
    let a = store
        .record_indicator_value(&value(7, 2023, "140900", "60.10"), &actor(&u))
        .await
        .unwrap();
    let b = store
        .record_indicator_value(&value(7, 2023, "140900", "60.25"), &actor(&u))
        .await
        .unwrap();
    store
        .record_indicator_value(&value(7, 2023, "140902", "58"), &actor(&u))
        .await
        .unwrap();
    assert_eq!((a.revision, b.revision), (1, 2));
    let hist = store
        .indicator_value_history(&p.meta.id, 7, Some("140900"))
        .await
        .unwrap();
    assert_eq!(
        hist.iter().map(|v| v.value.as_str()).collect::<Vec<_>>(),
        ["60.10", "60.25"]
    );
    assert_eq!(hist[1].entered_by_name.as_deref(), Some("v 填报员"));
    assert_eq!(
        store
            .indicator_value_history(&p.meta.id, 7, None)
            .await
            .unwrap()
            .len(),
        3
    );
    let cur = store.current_indicator_values(&p.meta.id).await.unwrap();
    assert_eq!(cur.len(), 2);
    assert_eq!(
        cur.iter()
            .find(|v| v.division_code == "140900")
            .unwrap()
            .value,
        "60.25"
    );
    let log = store.audit_log(Some("indicator_value."), 10).await.unwrap();
    assert_eq!(log.len(), 3);
    let second = log
        .iter()
        .find(|e| e.new_value.as_deref() == Some("60.25"))
        .unwrap();
    assert_eq!(second.old_value.as_deref(), Some("60.10"));
    assert_eq!(second.actor, "v");
}

async fn values_keep_their_capture(store: Store) {
    let p = seeded(&store).await;
    let few = Capture {
        valid_days: 56,
        period_days: 365,
        valid: false,
    };
    let mut computed = value(12, 2025, "140900", "104");
    computed.source = "monitoring".into();
    computed.capture = Some(few);
    let stored = store
        .record_indicator_value(&computed, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(stored.capture(), Some(few));
    assert!(stored.insufficient());
    // A hand-entered value has no capture and is unaffected.
    store
        .record_indicator_value(&value(12, 2024, "140900", "38"), &Actor::cli())
        .await
        .unwrap();
    let cur = store.current_indicator_values(&p.meta.id).await.unwrap();
    let of = |y: i64| cur.iter().find(|v| v.year == y).unwrap();
    assert_eq!(of(2025).capture(), Some(few));
    assert_eq!(
        (
            of(2025).valid_days,
            of(2025).period_days,
            of(2025).capture_valid
        ),
        (Some(56), Some(365), Some(false))
    );
    assert_eq!(of(2024).capture(), None);
    assert!(!of(2024).insufficient());
    let json = serde_json::to_value(of(2025)).unwrap();
    assert_eq!(json["valid_days"], 56);
    assert_eq!(json["period_days"], 365);
    assert_eq!(json["capture_valid"], false);
    assert!(serde_json::to_value(of(2024)).unwrap()["capture_valid"].is_null());

    // Revisions keep their own capture: a full year replaces the short one, and the history
    // still shows the short one.
    computed.capture = Some(Capture {
        valid_days: 360,
        period_days: 365,
        valid: true,
    });
    computed.value = "41".into();
    store
        .record_indicator_value(&computed, &Actor::cli())
        .await
        .unwrap();
    let hist = store
        .indicator_value_history(&p.meta.id, 12, Some("140900"))
        .await
        .unwrap();
    let caps: Vec<_> = hist
        .iter()
        .filter(|v| v.year == 2025)
        .map(|v| (v.revision, v.capture().map(|c| (c.valid_days, c.valid))))
        .collect();
    assert_eq!(caps, [(1, Some((56, false))), (2, Some((360, true)))]);
    // The audit entry names the capture.
    let log = store.audit_log(Some("indicator_value."), 10).await.unwrap();
    assert!(log.iter().any(|e| {
        e.detail
            .as_deref()
            .is_some_and(|d| d.contains("valid_days=56/365"))
    }));
    // An import of the same figure without capture is a change, not "unchanged".
    computed.capture = None;
    computed.source = "import".into();
    let counts = store
        .record_indicator_values_changes(&[computed], &Actor::cli())
        .await
        .unwrap();
    assert_eq!(counts.changed, 1);
    let cur = store.current_indicator_values(&p.meta.id).await.unwrap();
    assert_eq!(cur.iter().find(|v| v.year == 2025).unwrap().capture(), None);
}

async fn bad_value_changes_nothing(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "b").await;
    let e = store
        .record_indicator_value(&value(7, 2023, "999999", "1"), &actor(&u))
        .await
        .unwrap_err();
    assert_eq!(e.kind(), "not_found");
    assert!(
        store
            .current_indicator_values(&p.meta.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .audit_log(Some("indicator_value."), 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn concurrent_revisions_are_distinct(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "c").await;
    let mut handles = Vec::new();
    for i in 0..6 {
        let s = store.clone();
        let a = actor(&u);
        handles.push(tokio::spawn(async move {
            s.record_indicator_value(&value(9, 2024, "140900", &format!("2{i}")), &a)
                .await
        }));
    }
    for h in handles {
        h.await.unwrap().unwrap();
    }
    let mut revs: Vec<i64> = store
        .indicator_value_history(&p.meta.id, 9, None)
        .await
        .unwrap()
        .iter()
        .map(|v| v.revision)
        .collect();
    revs.sort();
    assert_eq!(revs, [1, 2, 3, 4, 5, 6]);
}

async fn task_reports_revise(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "task").await;
    let r = NewTaskReport {
        plan_id: p.meta.id.clone(),
        area: 3,
        number: 2,
        period: "2024".into(),
        status: TaskStatus::InProgress,
        narrative: "推进入河排污口整治".into(),
    };
    store.record_task_report(&r, &actor(&u)).await.unwrap();
    let done = store
        .record_task_report(
            &NewTaskReport {
                status: TaskStatus::Completed,
                ..r.clone()
            },
            &actor(&u),
        )
        .await
        .unwrap();
    assert_eq!(done.revision, 2);
    store
        .record_task_report(
            &NewTaskReport {
                period: "2023".into(),
                ..r
            },
            &actor(&u),
        )
        .await
        .unwrap();
    let reps = store.task_reports(&p.meta.id, 3, 2).await.unwrap();
    assert_eq!(
        reps.iter()
            .map(|r| (r.period.as_str(), r.status))
            .collect::<Vec<_>>(),
        [
            ("2024", TaskStatus::Completed),
            ("2023", TaskStatus::InProgress)
        ]
    );
}

fn evidence(name: &str, content_type: &str, content: Vec<u8>) -> NewEvidence {
    NewEvidence {
        file_name: name.into(),
        content_type: content_type.into(),
        content,
    }
}

async fn task_evidence_is_stored_listed_and_audited(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "evidence").await;
    // Every byte value, NULs and invalid UTF-8 included, and more than one page.
    let scan: Vec<u8> = (0..300_000u32).map(|i| (i % 251) as u8).collect();
    let r = NewTaskReport {
        plan_id: p.meta.id.clone(),
        area: 3,
        number: 2,
        period: "2024".into(),
        status: TaskStatus::InProgress,
        narrative: "推进入河排污口整治".into(),
    };
    let (first, files) = store
        .record_task_report_with_evidence(
            &r,
            &[
                evidence("验收报告.pdf", "application/pdf", b"abc".to_vec()),
                evidence("现场照片.png", "image/png", scan.clone()),
            ],
            &actor(&u),
        )
        .await
        .unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(files.len(), 2);
    assert_eq!(
        files[0].sha256,
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
    );
    assert_eq!(
        (files[1].size_bytes, files[1].report_id, files[1].revision),
        (300_000, first.id, 1)
    );
    assert_eq!(
        files[0].uploaded_by_name.as_deref(),
        Some("evidence 填报员")
    );

    // A later revision of the same period, then a file attached to the first one.
    let second = store
        .record_task_report(
            &NewTaskReport {
                status: TaskStatus::Completed,
                ..r.clone()
            },
            &actor(&u),
        )
        .await
        .unwrap();
    assert!(store.task_evidence(second.id).await.unwrap().is_empty());
    let late = store
        .attach_task_evidence(
            first.id,
            &[evidence(
                "补充说明.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
                vec![0x50, 0x4b, 0x03, 0x04],
            )],
            &actor(&u),
        )
        .await
        .unwrap();
    assert_eq!(late.len(), 1);
    assert_eq!(late[0].period, "2024");

    let listed = store.task_evidence(first.id).await.unwrap();
    assert_eq!(
        listed
            .iter()
            .map(|e| e.file_name.as_str())
            .collect::<Vec<_>>(),
        ["验收报告.pdf", "现场照片.png", "补充说明.docx"]
    );
    assert_eq!(listed[..2], files[..]);
    assert_eq!(listed[2], late[0]);
    assert_eq!(store.plan_task_evidence(&p.meta.id).await.unwrap(), listed);
    assert!(
        store
            .plan_task_evidence("another-plan")
            .await
            .unwrap()
            .is_empty()
    );

    let got = store
        .task_evidence_file(files[1].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.content, scan);
    assert_eq!(got.meta, files[1]);
    assert_eq!((got.meta.area, got.meta.number), (3, 2));
    assert!(store.task_evidence_file(9_999).await.unwrap().is_none());

    let found = store.task_report_by_id(first.id).await.unwrap().unwrap();
    assert_eq!(
        (found.plan_id.as_str(), found.report.revision),
        (p.meta.id.as_str(), 1)
    );
    assert_eq!(found.report.status, TaskStatus::InProgress);
    assert!(store.task_report_by_id(9_999).await.unwrap().is_none());

    let log = store.audit_log(Some("task_evidence."), 10).await.unwrap();
    assert_eq!(log.len(), 3);
    assert!(log.iter().all(|e| e.outcome == "ok"
        && e.target == "task:3-2 period:2024"
        && e.actor == "evidence"
        && e.actor_user_id == Some(u.id)));
    let png = log
        .iter()
        .find(|e| e.new_value.as_deref() == Some("现场照片.png"))
        .unwrap();
    let detail = png.detail.as_deref().unwrap();
    assert!(
        detail.contains(&format!("evidence:{}", files[1].id))
            && detail.contains(&format!("report:{}", first.id))
            && detail.contains("type=image/png size=300000 sha256=")
            && detail.contains(&files[1].sha256),
        "{detail}"
    );
}

async fn task_evidence_needs_its_report(store: Store) {
    seeded(&store).await;
    let u = reporter(&store, "nobody").await;
    let err = store
        .attach_task_evidence(
            42,
            &[evidence("a.pdf", "application/pdf", b"%PDF-1.7".to_vec())],
            &actor(&u),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found");
    assert!(
        store
            .audit_log(Some("task_evidence."), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert!(store.task_evidence_file(1).await.unwrap().is_none());
}

async fn login_attempts_counted(store: Store) {
    let since = now_text();
    for _ in 0..3 {
        store
            .record_login_attempt("x", "10.0.0.1", false)
            .await
            .unwrap();
    }
    store
        .record_login_attempt("x", "10.0.0.1", true)
        .await
        .unwrap();
    store
        .record_login_attempt("y", "10.0.0.2", false)
        .await
        .unwrap();
    assert_eq!(
        store
            .failed_logins_since("x", "10.0.0.9", &since)
            .await
            .unwrap(),
        3
    );
    assert_eq!(
        store
            .failed_logins_since("z", "10.0.0.2", &since)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .failed_logins_since("x", "10.0.0.1", &text_in(10))
            .await
            .unwrap(),
        0
    );
}

async fn refusals_are_audited(store: Store) {
    let e = AuditEntry::refused(
        &Actor {
            user_id: None,
            name: "公众".into(),
            peer: Some("1.2.3.4".into()),
        },
        "indicator_value.record",
        "indicator:6".into(),
        "无权限",
    );
    store.audit(&e).await.unwrap();
    let log = store.audit_log(None, 5).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(
        (
            log[0].outcome.as_str(),
            log[0].detail.as_deref(),
            log[0].peer.as_deref()
        ),
        ("refused", Some("无权限"), Some("1.2.3.4"))
    );
}

const REGISTRY: &str = "credit_code,enterprise_name,division_code,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,interval_secs,permit_number,permit_valid_from,permit_valid_to,factor_code,hourly_limit,use_converted,reference_o2,annual_total_t
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MN0001,2017,strict,123456,60,P-001,2024-01-01,2028-12-31,a21026,35,1,6,120.5
9144030071526726XG,某热电有限公司,140902,DA001,1号锅炉,gas,MN0001,2017,strict,123456,60,P-001,2024-01-01,2028-12-31,a21002,50,1,6,200
91110000802100433B,某化工有限公司,140981,DW001,总排口,water,MN0002,2005,field,654321,300,,,,,,,,
";

async fn registry_exports_what_was_imported(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let out = store.export_registry().await.unwrap();
    let mut csv = Vec::new();
    qingshan_sources::write_registry(&out, &mut csv).unwrap();
    let again = qingshan_sources::read_registry(csv.as_slice()).unwrap();
    let sorted = |mut r: qingshan_sources::Registry| {
        r.enterprises
            .sort_by(|a, b| a.credit_code.cmp(&b.credit_code));
        r.devices.sort_by(|a, b| a.mn.cmp(&b.mn));
        r.limits.sort_by(|a, b| a.factor_code.cmp(&b.factor_code));
        r
    };
    assert_eq!(sorted(again), sorted(reg.clone()));

    // One row edited: the change is applied and audited with the row before and after.
    let mut one = reg.clone();
    one.limits.retain(|l| l.factor_code == "a21026");
    one.limits[0].hourly_limit = Some("30".into());
    one.enterprises
        .retain(|e| e.credit_code == one.limits[0].credit_code);
    store
        .edit_registry_row(
            &one,
            &Actor::cli(),
            "device:MN0001:a21026".into(),
            Some("old row".into()),
            "new row".into(),
        )
        .await
        .unwrap();
    let out = store.export_registry().await.unwrap();
    let l = out
        .limits
        .iter()
        .find(|l| l.factor_code == "a21026")
        .unwrap();
    assert_eq!(l.hourly_limit.as_deref(), Some("30"));
    let audit = store.audit_log(Some("registry.edit"), 5).await.unwrap();
    assert_eq!(
        (
            audit[0].target.as_str(),
            audit[0].old_value.as_deref(),
            audit[0].new_value.as_deref()
        ),
        ("device:MN0001:a21026", Some("old row"), Some("new row"))
    );
}

/// The alarm list and its count select the same alarms, by status, county and device.
async fn alarms_filter_and_count_by_county(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    for mn in ["MN0001", "MN0002"] {
        store
            .raise_alarm(&AlarmEpisode {
                kind: "offline".into(),
                mn: mn.into(),
                factor: String::new(),
                start_time: "2026-01-01T00:00:00.000Z".into(),
                end_time: None,
                peak: None,
                peak_time: None,
                records: 0,
                context: "离线".into(),
            })
            .await
            .unwrap();
    }
    for (filter, want) in [
        (AlarmFilter::default(), 2),
        (
            AlarmFilter {
                division_code: Some("140902".into()),
                ..Default::default()
            },
            1,
        ),
        (
            AlarmFilter {
                division_code: Some("140981".into()),
                ..Default::default()
            },
            1,
        ),
        (
            AlarmFilter {
                division_code: Some("140921".into()),
                ..Default::default()
            },
            0,
        ),
        (
            AlarmFilter {
                status: Some("closed".into()),
                ..Default::default()
            },
            0,
        ),
        (
            AlarmFilter {
                mn: Some("MN0002".into()),
                status: Some("open".into()),
                ..Default::default()
            },
            1,
        ),
    ] {
        let listed = store.alarms(&filter, 100).await.unwrap();
        assert_eq!(listed.len(), want, "{filter:?}");
        assert_eq!(
            store.count_alarms(&filter).await.unwrap(),
            want as i64,
            "{filter:?}"
        );
        if let Some(code) = &filter.division_code {
            assert!(
                listed
                    .iter()
                    .all(|a| a.division_code.as_ref() == Some(code))
            );
        }
    }
    // The supervisor's one read of a kind's ongoing alarms: every device's, and only those
    // whose episode has not ended; each as the per-device read gives it.
    store
        .raise_alarm(&AlarmEpisode {
            kind: "offline".into(),
            mn: "MN0001".into(),
            factor: String::new(),
            start_time: "2026-01-01T00:00:00.000Z".into(),
            end_time: Some("2026-01-02T00:00:00.000Z".into()),
            peak: None,
            peak_time: None,
            records: 0,
            context: "离线；已恢复".into(),
        })
        .await
        .unwrap();
    let ongoing = store.ongoing_alarms_of_kind("offline").await.unwrap();
    assert_eq!(
        ongoing.iter().map(|a| a.mn.as_str()).collect::<Vec<_>>(),
        ["MN0002"]
    );
    let ids = |v: &[qingshan_store::Alarm]| v.iter().map(|a| a.id).collect::<Vec<_>>();
    assert_eq!(
        ids(&ongoing),
        ids(&store.ongoing_alarms("offline", "MN0002").await.unwrap())
    );
    assert!(
        store
            .ongoing_alarms_of_kind("exceedance")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn registry_import_and_devices(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // Importing again updates in place.
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let devs = store.registered_devices().await.unwrap();
    assert_eq!(
        devs.iter()
            .map(|d| (d.mn.as_str(), d.crc_policy.as_str(), d.interval_secs))
            .collect::<Vec<_>>(),
        [("MN0001", "strict", 60), ("MN0002", "field", 300)]
    );
    assert_eq!(
        store.audit_log(Some("registry."), 10).await.unwrap().len(),
        2
    );
}

fn upload(mn: &str, qn: &str, dt: &str, rtd: &str) -> ReceivedFrame {
    ReceivedFrame {
        received_at: now_text(),
        peer: "127.0.0.1:5000".into(),
        bytes: format!("##frame {mn} {qn}").into_bytes(),
        verdict: FrameVerdict::Upload,
        mn: Some(mn.into()),
        cn: Some("2011".into()),
        error_kind: None,
        message: None,
        upload: Some(Upload {
            mn: mn.into(),
            cn: "2011".into(),
            qn: qn.into(),
            data_time: dt.into(),
            pno: 0,
            st: Some("31".into()),
            flag: Some(5),
            factors: vec![FactorValues {
                factor: "a21026".into(),
                rtd: Some(rtd.into()),
                flag: Some("N".into()),
                ..Default::default()
            }],
        }),
    }
}

async fn ingest_stores_once_and_archives_everything(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let mut bad = upload("MN0001", "x", "y", "z");
    bad.verdict = FrameVerdict::Rejected;
    bad.upload = None;
    bad.error_kind = Some("crc_mismatch".into());
    let mut unknown = upload("MN9999", "20260101000000000", "20260101000000", "1");
    unknown.verdict = FrameVerdict::Quarantined;
    let batch = vec![
        upload("MN0001", "20260101000000000", "20260101000000", "12.30"),
        upload("MN0001", "20260101000000000", "20260101000000", "12.30"),
        upload("MN0001", "20260101000030000", "20260101000030", "12.50"),
        bad,
        unknown,
    ];
    let out = store.ingest(&batch).await.unwrap();
    assert_eq!(
        out,
        [
            IngestOutcome::Stored,
            IngestOutcome::Duplicate,
            IngestOutcome::Stored,
            IngestOutcome::Archived,
            IngestOutcome::Archived
        ]
    );
    // The same frame in a later batch is still a duplicate.
    assert_eq!(
        store.ingest(&batch[..1]).await.unwrap(),
        [IngestOutcome::Duplicate]
    );
    let stats = store.ingest_stats().await.unwrap();
    assert_eq!(
        (stats.total, stats.by_cn["2011"], stats.by_device["MN0001"]),
        (2, 2, 2)
    );
    let counts = store.archive_counts().await.unwrap();
    assert_eq!(
        (
            counts["stored"],
            counts["duplicate"],
            counts["rejected"],
            counts["quarantined"]
        ),
        (2, 2, 1, 1)
    );
    let q = store.quarantine().await.unwrap();
    assert_eq!((q.len(), q[0].mn.as_str(), q[0].frames), (1, "MN9999", 1));
    let m = store
        .measurements(
            "MN0001",
            "2011",
            "a21026",
            "20260101000000",
            "20260102000000",
        )
        .await
        .unwrap();
    assert_eq!(
        m.iter()
            .map(|m| m.values.rtd.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["12.30", "12.50"]
    );
}

async fn ingest_large_batches_in_chunks(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let mut batch: Vec<ReceivedFrame> = (0..4100)
        .map(|i| {
            upload(
                "MN0001",
                &format!("20260101{i:09}"),
                &format!("2026010100{i:04}"),
                &format!("{i}.5"),
            )
        })
        .collect();
    batch.push(upload(
        "MN0001",
        "20260101000004099",
        "20260101004099",
        "4099.5",
    ));
    let out = store.ingest(&batch).await.unwrap();
    assert_eq!(
        out.iter().filter(|o| **o == IngestOutcome::Stored).count(),
        4100
    );
    assert_eq!(out[4100], IngestOutcome::Duplicate);
    let m = store
        .measurements(
            "MN0001",
            "2011",
            "a21026",
            "20260101004090",
            "20260101004100",
        )
        .await
        .unwrap();
    assert_eq!(
        m.iter()
            .map(|m| m.values.rtd.clone().unwrap())
            .collect::<Vec<_>>(),
        (4090..4100).map(|i| format!("{i}.5")).collect::<Vec<_>>()
    );
    assert_eq!(store.archive_counts().await.unwrap()["stored"], 4100);
}

fn upload_cn(mn: &str, cn: &str, dt: &str, rtd: &str) -> ReceivedFrame {
    let mut f = upload(mn, &format!("{dt}000"), dt, rtd);
    f.cn = Some(cn.into());
    if let Some(u) = f.upload.as_mut() {
        u.cn = cn.into();
    }
    f
}

/// Each CN's series is read through its own index (hourly and daily: per device; the rest:
/// by DataTime), and must give the same answer either way: one device's rows, in order.
async fn device_series_by_cn_and_last_delivery(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let mut batch = Vec::new();
    // Both devices report at the same DataTimes, newest first, so order comes from the query.
    for h in (0..6).rev() {
        for mn in ["MN0001", "MN0002"] {
            let v = if mn == "MN0001" { h } else { 100 + h };
            batch.push(upload_cn(
                mn,
                "2061",
                &format!("202601010{h}0000"),
                &format!("{v}.1"),
            ));
            batch.push(upload_cn(
                mn,
                "2031",
                &format!("2026010{}000000", h + 1),
                &format!("{v}.2"),
            ));
            batch.push(upload_cn(
                mn,
                "2011",
                &format!("202601010{h}0030"),
                &format!("{v}.3"),
            ));
            batch.push(upload_cn(
                mn,
                "2051",
                &format!("202601010{h}0100"),
                &format!("{v}.4"),
            ));
        }
    }
    let out = store.ingest(&batch).await.unwrap();
    assert!(out.iter().all(|o| *o == IngestOutcome::Stored), "{out:?}");
    for (cn, from, to, want) in [
        (
            "2061",
            "20260101010000",
            "20260101040000",
            ["1.1", "2.1", "3.1"],
        ),
        (
            "2031",
            "20260102000000",
            "20260105000000",
            ["1.2", "2.2", "3.2"],
        ),
        (
            "2011",
            "20260101010000",
            "20260101040000",
            ["1.3", "2.3", "3.3"],
        ),
        (
            "2051",
            "20260101010000",
            "20260101040000",
            ["1.4", "2.4", "3.4"],
        ),
    ] {
        let got = store
            .measurements("MN0001", cn, "a21026", from, to)
            .await
            .unwrap();
        assert_eq!(
            got.iter()
                .map(|m| m.values.rtd.as_deref().unwrap())
                .collect::<Vec<_>>(),
            want,
            "CN {cn}"
        );
        assert!(got.iter().all(|m| m.cn == cn));
        let rows = store.uploads_between("MN0002", cn, from, to).await.unwrap();
        assert_eq!(rows.len(), 3, "CN {cn}");
    }

    // When a device last delivered: the latest arrival, a resent duplicate included.
    let seen =
        |all: Vec<DeviceSeen>, mn: &str| all.into_iter().find(|d| d.mn == mn).unwrap().last_seen;
    let latest = |mn: &str| {
        batch
            .iter()
            .filter(|f| f.mn.as_deref() == Some(mn))
            .map(|f| f.received_at.clone())
            .max()
    };
    assert_eq!(
        seen(store.last_seen().await.unwrap(), "MN0001"),
        latest("MN0001")
    );
    let mut again = batch[0].clone();
    again.received_at = "2099-01-01T00:00:00.000Z".into();
    assert_eq!(
        store.ingest(&[again]).await.unwrap(),
        [IngestOutcome::Duplicate]
    );
    assert_eq!(
        seen(store.last_seen().await.unwrap(), "MN0001").as_deref(),
        Some("2099-01-01T00:00:00.000Z")
    );
    // An older arrival processed later does not move it back.
    let mut late = upload_cn("MN0001", "2011", "20260101070030", "7.3");
    late.received_at = "2000-01-01T00:00:00.000Z".into();
    store.ingest(&[late]).await.unwrap();
    let overview = store.registry_overview().await.unwrap();
    let d = overview.iter().find(|d| d.mn == "MN0001").unwrap();
    assert_eq!(d.last_seen.as_deref(), Some("2099-01-01T00:00:00.000Z"));
    assert_eq!(
        seen(store.last_seen().await.unwrap(), "MN0002"),
        latest("MN0002")
    );
}

/// A database with uploads under schema 7 keeps every row, its uniqueness and each device's
/// last delivery through migration 8, which rebuilds the uploads' keys.
async fn uploads_survive_the_key_migration(store: Store) {
    store.migrate_to(7).await.unwrap();
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let rows = [
        (
            "MN0001",
            "2061",
            "20260101000000",
            "2026-01-01T00:05:00.000Z",
            "1.1",
        ),
        (
            "MN0001",
            "2061",
            "20260101010000",
            "2026-01-01T01:05:00.000Z",
            "2.1",
        ),
        (
            "MN0002",
            "2011",
            "20260101000030",
            "2026-01-01T00:00:31.000Z",
            "3.3",
        ),
    ];
    macro_rules! insert {
        ($pool:expr) => {
            for (mn, cn, dt, at, v) in rows {
                sqlx::query("INSERT INTO uploads (mn, cn, qn, data_time, pno, st, flag, received_at, factors) VALUES ($1, $2, $3, $4, 0, '31', 5, $5, $6)")
                    .bind(mn).bind(cn).bind(format!("{dt}000")).bind(dt).bind(at)
                    .bind(format!(r#"[{{"factor":"a21026","avg":"{v}","rtd":"{v}"}}]"#))
                    .execute($pool).await.unwrap();
            }
        };
    }
    match &store {
        Store::Sqlite(pool, _) => insert!(pool),
        Store::Postgres(pool) => insert!(pool),
    }
    assert_eq!(store.migrate_to(8).await.unwrap(), 1);
    let stats = store.ingest_stats().await.unwrap();
    assert_eq!((stats.total, stats.by_device["MN0001"]), (3, 2));
    let m = store
        .measurements(
            "MN0001",
            "2061",
            "a21026",
            "20260101000000",
            "20260102000000",
        )
        .await
        .unwrap();
    assert_eq!(
        m.iter()
            .map(|m| m.values.rtd.as_deref().unwrap())
            .collect::<Vec<_>>(),
        ["1.1", "2.1"]
    );
    let seen = store.last_seen().await.unwrap();
    assert_eq!(
        seen.iter()
            .find(|d| d.mn == "MN0001")
            .unwrap()
            .last_seen
            .as_deref(),
        Some("2026-01-01T01:05:00.000Z")
    );
    // Today's ingest needs today's schema (it marks backfilled data, migration 21): the key
    // survives the later migrations too.
    store.migrate().await.unwrap();
    let again = upload_cn("MN0002", "2011", "20260101000030", "3.3");
    assert_eq!(
        store.ingest(&[again]).await.unwrap(),
        [IngestOutcome::Duplicate]
    );
}

mod upgrade {
    #[tokio::test]
    async fn on_sqlite() {
        super::uploads_survive_the_key_migration(super::sqlite_unmigrated().await).await
    }
    #[tokio::test]
    async fn on_postgres() {
        if let Some((s, db)) = super::postgres_unmigrated().await {
            super::uploads_survive_the_key_migration(s).await;
            db.remove().await
        }
    }
}

/// The hourly series must be read through the per-device partial index, not by scanning
/// every device's data: the index is usable only when the query names the CN literally.
#[tokio::test]
async fn sqlite_series_queries_use_their_indexes() {
    let store = sqlite().await;
    let Store::Sqlite(pool, _) = &store else {
        unreachable!()
    };
    let plan = |sql: String| async move {
        let mut conn = pool.acquire().await.unwrap();
        // EXPLAIN does not read the database, so it would not notice a connection's schema
        // is older than the migrations: read something first.
        sqlx::query("SELECT COUNT(*) FROM uploads")
            .fetch_one(&mut *conn)
            .await
            .unwrap();
        let rows = sqlx::query(&format!("EXPLAIN QUERY PLAN {sql}"))
            .bind("MN0001")
            .bind("a")
            .bind("b")
            .bind("2011")
            .fetch_all(&mut *conn)
            .await
            .unwrap();
        rows.iter()
            .map(|r| sqlx::Row::get::<String, _>(r, "detail"))
            .collect::<Vec<_>>()
            .join("; ")
    };
    let hourly = plan(qingshan_store::device_uploads_sql("2061").to_string()).await;
    assert!(hourly.contains("uploads_hourly"), "{hourly}");
    let daily = plan(qingshan_store::device_uploads_sql("2031").to_string()).await;
    assert!(daily.contains("uploads_daily"), "{daily}");
    let realtime = plan(qingshan_store::device_uploads_sql("2011").to_string()).await;
    assert!(
        realtime.contains("sqlite_autoindex_uploads_1") && realtime.contains("data_time>?"),
        "{realtime}"
    );
}

fn air_station(code: &str, level: &str) -> AirStation {
    AirStation {
        code: code.into(),
        name: format!("{code}站"),
        control_level: level.into(),
        division_code: Some("140902".into()),
        longitude: Some("112.7336".into()),
        latitude: Some("38.4167".into()),
    }
}

fn air_hour(code: &str, hour: &str, pm25: &str) -> NewAirHour {
    NewAirHour {
        station_code: code.into(),
        hour: hour.into(),
        values: [
            Some("5".into()),
            Some("20".into()),
            Some("0.6".into()),
            None,
            Some("60".into()),
            Some(pm25.into()),
        ],
        source: "import".into(),
    }
}

fn day(s: &str) -> chrono::NaiveDate {
    chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

async fn air_stations_upsert_and_list(store: Store) {
    let n = store
        .upsert_air_stations(
            &[air_station("B02", "省控"), air_station("A01", "国控")],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(n, 2);
    let list = store.air_stations().await.unwrap();
    assert_eq!(
        list.iter().map(|s| s.code.as_str()).collect::<Vec<_>>(),
        ["A01", "B02"]
    );
    let mut renamed = air_station("B02", "县控");
    renamed.name = "北城".into();
    renamed.longitude = None;
    store
        .upsert_air_stations(&[renamed.clone()], &Actor::cli())
        .await
        .unwrap();
    assert_eq!(store.air_station("B02").await.unwrap(), Some(renamed));
    // A bad level anywhere refuses the whole batch.
    let e = store
        .upsert_air_stations(
            &[air_station("C03", "国控"), air_station("D04", "市控")],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AirError::Invalid { row: 2, column, .. } if column == "level"),
        "{e}"
    );
    assert!(store.air_station("C03").await.unwrap().is_none());
    let audit = store.audit_log(Some("air_station."), 10).await.unwrap();
    assert_eq!(audit.len(), 2);
}

async fn air_hourly_revisions_never_overwrite(store: Store) {
    store
        .upsert_air_stations(&[air_station("A01", "国控")], &Actor::cli())
        .await
        .unwrap();
    let first = store
        .import_air_hourly(
            &[
                air_hour("A01", "2024-03-01T00:00", "35"),
                air_hour("A01", "2024-03-01T01:00", "36.5"),
                air_hour("A01", "2024-03-02T00:00", "40"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!((first.rows, first.stations, first.revised), (3, 1, 0));
    assert_eq!(first.first_hour.as_deref(), Some("2024-03-01T00:00"));
    assert_eq!(first.last_hour.as_deref(), Some("2024-03-02T00:00"));
    let second = store
        .import_air_hourly(
            &[air_hour("A01", "2024-03-01T01:00", "37.25")],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(second.revised, 1);
    let hours = store
        .air_hours(Some("A01"), day("2024-03-01"), day("2024-03-01"))
        .await
        .unwrap();
    assert_eq!(hours.len(), 2);
    assert_eq!(hours[1].hour, "2024-03-01T01:00");
    assert_eq!(hours[1].revision, 2);
    assert_eq!(hours[1].values[5].as_deref(), Some("37.25"));
    assert_eq!(hours[1].values[3], None);
    assert_eq!(hours[0].values[2].as_deref(), Some("0.6"));
    let history = store
        .air_hour_history("A01", "2024-03-01T01:00")
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| (h.revision, h.values[5].clone().unwrap()))
            .collect::<Vec<_>>(),
        [(1, "36.5".to_string()), (2, "37.25".to_string())]
    );
    let all = store
        .air_hours(None, day("2024-03-01"), day("2024-03-02"))
        .await
        .unwrap();
    assert_eq!(all.len(), 3);
    let cov = store.air_coverage().await.unwrap();
    assert_eq!(cov.len(), 1);
    assert_eq!(
        (
            cov[0].first_hour.as_str(),
            cov[0].last_hour.as_str(),
            cov[0].hours
        ),
        ("2024-03-01T00:00", "2024-03-02T00:00", 3)
    );
    assert_eq!(
        store
            .audit_log(Some("air_hourly.import"), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn air_import_is_all_or_nothing(store: Store) {
    store
        .upsert_air_stations(&[air_station("A01", "国控")], &Actor::cli())
        .await
        .unwrap();
    let unknown = store
        .import_air_hourly(
            &[
                air_hour("A01", "2024-03-01T00:00", "35"),
                air_hour("ZZ9", "2024-03-01T00:00", "35"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert_eq!(unknown.kind(), "not_found", "{unknown}");
    let mut bad = air_hour("A01", "2024-03-01T02:00", "35");
    bad.values[1] = Some("-3".into());
    let e = store
        .import_air_hourly(
            &[air_hour("A01", "2024-03-01T01:00", "35"), bad],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&e, AirError::Invalid { row: 2, column, .. } if column == "no2"),
        "{e}"
    );
    let dup = store
        .import_air_hourly(
            &[
                air_hour("A01", "2024-03-01T01:00", "35"),
                air_hour("A01", "2024-03-01T01:00", "36"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(matches!(&dup, AirError::Invalid { row: 2, .. }), "{dup}");
    let nothing = store
        .air_hours(None, day("2024-01-01"), day("2024-12-31"))
        .await
        .unwrap();
    assert!(nothing.is_empty());
    // A batch larger than one multi-row statement still lands whole.
    let start = day("2024-01-01").and_hms_opt(0, 0, 0).unwrap();
    let many: Vec<NewAirHour> = (0..2500)
        .map(|h| {
            let t = start + chrono::Duration::hours(h);
            air_hour(
                "A01",
                &t.format("%Y-%m-%dT%H:00").to_string(),
                &format!("{}", h % 97),
            )
        })
        .collect();
    let s = store.import_air_hourly(&many, &Actor::cli()).await.unwrap();
    assert_eq!(s.rows, 2500);
    let back = store
        .air_hours(Some("A01"), day("2024-01-01"), day("2024-12-31"))
        .await
        .unwrap();
    assert_eq!(back.len(), 2500);
    assert_eq!(
        back[2499].values[5].as_deref(),
        Some(format!("{}", 2499 % 97).as_str())
    );
}

async fn assessment_inputs_are_revised(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "staffish").await;
    store
        .record_assigned_target(
            InputKey {
                plan_id: &p.meta.id,
                indicator: 11,
                year: 2024,
                division: "140900",
            },
            "75.0",
            Some("晋环发〔2024〕1号"),
            &actor(&u),
        )
        .await
        .unwrap();
    let r2 = store
        .record_assigned_target(
            InputKey {
                plan_id: &p.meta.id,
                indicator: 11,
                year: 2024,
                division: "140900",
            },
            "76.2",
            None,
            &actor(&u),
        )
        .await
        .unwrap();
    assert_eq!(r2.revision, 2);
    let cur = store.current_assigned_targets(&p.meta.id).await.unwrap();
    assert_eq!((cur.len(), cur[0].value.as_str()), (1, "76.2"));
    assert_eq!(
        store
            .record_assigned_target(
                InputKey {
                    plan_id: &p.meta.id,
                    indicator: 11,
                    year: 2024,
                    division: "999999"
                },
                "1",
                None,
                &actor(&u)
            )
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
    store
        .record_judgement(
            InputKey {
                plan_id: &p.meta.id,
                indicator: 16,
                year: 2024,
                division: "140900",
            },
            false,
            "两地块未完成风险管控",
            &actor(&u),
        )
        .await
        .unwrap();
    store
        .record_judgement(
            InputKey {
                plan_id: &p.meta.id,
                indicator: 16,
                year: 2024,
                division: "140900",
            },
            true,
            "复核后已完成",
            &actor(&u),
        )
        .await
        .unwrap();
    let j = store.current_judgements(&p.meta.id).await.unwrap();
    assert_eq!((j.len(), j[0].met, j[0].revision), (1, true, 2));
    let t = NewTaskReport {
        plan_id: p.meta.id.clone(),
        area: 1,
        number: 2,
        period: "2024".into(),
        status: TaskStatus::Lagging,
        narrative: "滞后".into(),
    };
    store.record_task_report(&t, &actor(&u)).await.unwrap();
    store
        .record_task_report(
            &NewTaskReport {
                area: 3,
                number: 1,
                ..t.clone()
            },
            &actor(&u),
        )
        .await
        .unwrap();
    store
        .record_task_report(
            &NewTaskReport {
                status: TaskStatus::Completed,
                ..t
            },
            &actor(&u),
        )
        .await
        .unwrap();
    let all = store.all_task_reports(&p.meta.id).await.unwrap();
    assert_eq!(
        all.iter()
            .map(|r| (r.area, r.number, r.status))
            .collect::<Vec<_>>(),
        [(1, 2, TaskStatus::Completed), (3, 1, TaskStatus::Lagging)]
    );
    assert_eq!(
        store
            .audit_log(Some("assigned_target."), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

fn water_section(
    code: &str,
    level: &str,
    body: &str,
    target: &str,
    drinking: bool,
) -> WaterSection {
    WaterSection {
        code: code.into(),
        name: format!("{code} 断面"),
        level: level.into(),
        water_body: body.into(),
        basin: Some("青山河".into()),
        division_code: Some("140902".into()),
        target_class: target.into(),
        is_drinking_source: drinking,
    }
}

fn water_sample(section: &str, date: &str, item: &str, value: &str, nd: bool) -> NewWaterSample {
    NewWaterSample {
        section_code: section.into(),
        date: date.into(),
        item: item.into(),
        value: value.into(),
        below_detection: nd,
        source: "import".into(),
    }
}

async fn water_sections_upsert_and_list(store: Store) {
    let a = water_section("W1", "国考", "river", "III", false);
    let b = water_section("W2", "市考", "lake", "II", true);
    assert_eq!(
        store
            .upsert_water_sections(&[b.clone(), a.clone()], &Actor::cli())
            .await
            .unwrap(),
        2
    );
    assert_eq!(
        store.water_sections().await.unwrap(),
        [a.clone(), b.clone()]
    );
    let a2 = WaterSection {
        target_class: "II".into(),
        basin: None,
        ..a.clone()
    };
    store
        .upsert_water_sections(std::slice::from_ref(&a2), &Actor::cli())
        .await
        .unwrap();
    assert_eq!(store.water_section("W1").await.unwrap(), Some(a2));
    assert_eq!(store.water_section("nope").await.unwrap(), None);
    let bad = WaterSection {
        level: "国控".into(),
        ..water_section("W3", "国考", "river", "III", false)
    };
    let err = store
        .upsert_water_sections(&[a.clone(), bad], &Actor::cli())
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WaterStoreError::Invalid { row: 2, column, .. } if column == "level"),
        "{err}"
    );
    let err = store
        .upsert_water_sections(
            &[water_section("W4", "国考", "river", "劣V", false)],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(matches!(&err, WaterStoreError::Invalid { column, .. } if column == "target_class"));
    assert_eq!(store.water_sections().await.unwrap().len(), 2);
    assert_eq!(
        store
            .audit_log(Some("water_section."), 10)
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn water_samples_revise_never_overwrite(store: Store) {
    store
        .upsert_water_sections(
            &[
                water_section("W1", "国考", "river", "III", false),
                water_section("W2", "国考", "river", "III", false),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let first = vec![
        water_sample("W1", "2024-01-10", "DO", "7.5", false),
        water_sample("W1", "2024-01-10", "NH3N", "0.5", false),
        water_sample("W1", "2024-02-10", "Hg", "0.00004", true),
        water_sample("W2", "2024-01-11", "TP", "0.1", false),
        water_sample("W1", "2023-12-10", "DO", "6", false),
    ];
    let s = store
        .import_water_samples(&first, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(
        (
            s.rows,
            s.sections,
            s.revised,
            s.first_date.as_deref(),
            s.last_date.as_deref()
        ),
        (5, 2, 0, Some("2023-12-10"), Some("2024-02-10"))
    );
    let s = store
        .import_water_samples(
            &[water_sample("W1", "2024-01-10", "NH3N", "1.25", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(s.revised, 1);
    let w1 = store.water_samples(Some("W1"), 2024).await.unwrap();
    assert_eq!(
        w1.iter()
            .map(|r| (
                r.date.as_str(),
                r.item.as_str(),
                r.value.as_str(),
                r.revision,
                r.below_detection
            ))
            .collect::<Vec<_>>(),
        [
            ("2024-01-10", "DO", "7.5", 1, false),
            ("2024-01-10", "NH3N", "1.25", 2, false),
            ("2024-02-10", "Hg", "0.00004", 1, true),
        ]
    );
    assert_eq!(store.water_samples(None, 2024).await.unwrap().len(), 4);
    assert_eq!(store.water_samples(None, 2023).await.unwrap().len(), 1);
    let history = store
        .water_sample_history("W1", "2024-01-10", "NH3N")
        .await
        .unwrap();
    assert_eq!(
        history.iter().map(|r| r.value.as_str()).collect::<Vec<_>>(),
        ["0.5", "1.25"]
    );
    assert_eq!(
        store.water_last_date().await.unwrap().as_deref(),
        Some("2024-02-10")
    );
}

async fn water_import_is_all_or_nothing(store: Store) {
    store
        .upsert_water_sections(
            &[water_section("W1", "国考", "river", "III", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    // An unregistered section, found inside the transaction after other rows were checked.
    let err = store
        .import_water_samples(
            &[
                water_sample("W1", "2024-03-01", "DO", "8", false),
                water_sample("W9", "2024-03-01", "DO", "8", false),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found", "{err}");
    for (bad, column) in [
        (water_sample("W1", "2024-02-30", "DO", "8", false), "date"),
        (water_sample("W1", "2024-03-01", "XX", "8", false), "item"),
        (water_sample("W1", "2024-03-01", "DO", "-1", false), "value"),
        (
            water_sample("W1", "2024-03-01", "DO", "abc", false),
            "value",
        ),
        (water_sample("W1", "2024-03-01", "pH", "7", false), "item"),
    ] {
        let rows = vec![water_sample("W1", "2024-03-01", "pH", "7.2", false), bad];
        let err = store
            .import_water_samples(&rows, &Actor::cli())
            .await
            .unwrap_err();
        assert!(
            matches!(&err, WaterStoreError::Invalid { row: 2, column: c, .. } if c == column),
            "{column}: {err}"
        );
    }
    assert!(store.water_samples(None, 2024).await.unwrap().is_empty());
    assert!(
        store
            .audit_log(Some("water_sample."), 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.water_last_date().await.unwrap(), None);
}

fn water_device(mn: &str, section: &str) -> WaterSectionDevice {
    WaterSectionDevice {
        mn: mn.into(),
        section_code: section.into(),
        password: "123456".into(),
        crc_policy: "field".into(),
    }
}

async fn water_section_devices_link_and_move(store: Store) {
    store
        .upsert_water_sections(
            &[
                water_section("W1", "国考", "river", "III", false),
                water_section("W2", "省考", "lake", "II", true),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert!(store.water_section_devices().await.unwrap().is_empty());
    store
        .link_water_section_device(&water_device("WQ02", "W2"), &Actor::cli())
        .await
        .unwrap();
    store
        .link_water_section_device(&water_device("WQ01", "W1"), &Actor::cli())
        .await
        .unwrap();
    assert_eq!(
        store.water_section_devices().await.unwrap(),
        [water_device("WQ01", "W1"), water_device("WQ02", "W2")]
    );
    // Re-linking moves the device and keeps the new password and CRC policy.
    let moved = WaterSectionDevice {
        password: "654321".into(),
        crc_policy: "strict".into(),
        ..water_device("WQ01", "W2")
    };
    store
        .link_water_section_device(&moved, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(store.water_section_devices().await.unwrap()[0], moved);
    // Refusals change nothing: an unknown section, an MN of a pollution-source device or of
    // an air station.
    let err = store
        .link_water_section_device(&water_device("WQ03", "W9"), &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found", "{err}");
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let err = store
        .link_water_section_device(&water_device("MN0001", "W1"), &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    store
        .upsert_air_stations(&[air_station("A01", "国控")], &Actor::cli())
        .await
        .unwrap();
    store
        .link_air_station_device(
            &AirStationDevice {
                mn: "AIR01".into(),
                station_code: "A01".into(),
                password: "123456".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let err = store
        .link_water_section_device(&water_device("AIR01", "W1"), &Actor::cli())
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "conflict", "{err}");
    assert_eq!(store.water_section_devices().await.unwrap().len(), 2);
    let audit = store
        .audit_log(Some("water_section.link_device"), 10)
        .await
        .unwrap();
    assert_eq!(audit.len(), 3);
    // Newest first: the move names where the device was before.
    assert_eq!(audit[0].target, "water_section:W2");
    assert_eq!(audit[0].new_value.as_deref(), Some("WQ01"));
    assert_eq!(audit[0].old_value.as_deref(), Some("WQ01 → 断面 W1"));
}

async fn water_samples_keep_manual_and_automatic_apart(store: Store) {
    store
        .upsert_water_sections(
            &[water_section("W1", "国考", "river", "III", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let auto = |date: &str, item: &str, value: &str| NewWaterSample {
        source: "hj212".into(),
        ..water_sample("W1", date, item, value, false)
    };
    store
        .import_water_samples(
            &[water_sample("W1", "2024-05-10", "DO", "6.2", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    // The automatic daily mean of the same day and item is not a revision of the manual value.
    let s = store
        .import_water_samples(
            &[
                auto("2024-05-10", "DO", "7.125"),
                auto("2024-05-11", "DO", "7"),
            ],
            &Actor::system(),
        )
        .await
        .unwrap();
    assert_eq!(s.revised, 0);
    let s = store
        .import_water_samples(&[auto("2024-05-10", "DO", "7.25")], &Actor::system())
        .await
        .unwrap();
    assert_eq!(s.revised, 1);
    let rows = |v: Vec<WaterSample>| {
        v.into_iter()
            .map(|r| (r.date, r.value, r.source, r.revision))
            .collect::<Vec<_>>()
    };
    let s = |x: &str| x.to_string();
    assert_eq!(
        rows(store.water_samples(Some("W1"), 2024).await.unwrap()),
        [
            (s("2024-05-10"), s("6.2"), s("import"), 1),
            (s("2024-05-10"), s("7.25"), s("hj212"), 3),
            (s("2024-05-11"), s("7"), s("hj212"), 1),
        ]
    );
    // A manual correction revises the manual value only.
    store
        .import_water_samples(
            &[water_sample("W1", "2024-05-10", "DO", "6.4", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(
        rows(
            store
                .water_samples_between(None, "2024-05-10", "2024-05-10")
                .await
                .unwrap()
        ),
        [
            (s("2024-05-10"), s("6.4"), s("import"), 4),
            (s("2024-05-10"), s("7.25"), s("hj212"), 3),
        ]
    );
    assert_eq!(
        store
            .water_sample_history("W1", "2024-05-10", "DO")
            .await
            .unwrap()
            .len(),
        4
    );
}

fn water_upload(mn: &str, st: &str, cn: &str, dt: &str, value: &str) -> ReceivedFrame {
    let mut f = upload_cn(mn, cn, dt, value);
    if let Some(u) = f.upload.as_mut() {
        u.st = Some(st.into());
        u.factors = vec![FactorValues {
            factor: "w21003".into(),
            avg: Some(value.into()),
            flag: Some("N".into()),
            ..Default::default()
        }];
    }
    f
}

async fn water_station_uploads_are_st_21_hourly_only(store: Store) {
    store
        .ingest(&[
            water_upload("WQ01", "21", "2061", "20240510080000", "0.4"),
            water_upload("WQ01", "21", "2061", "20240510090000", "0.5"),
            water_upload("WQ01", "32", "2061", "20240510100000", "9.9"),
            water_upload("WQ01", "21", "2011", "20240510100500", "9.9"),
            water_upload("WQ02", "21", "2061", "20240510080000", "9.9"),
            water_upload("WQ01", "21", "2061", "20240511000000", "0.6"),
        ])
        .await
        .unwrap();
    let got = store
        .water_station_uploads("WQ01", "20240510000000", "20240511000000")
        .await
        .unwrap();
    assert_eq!(
        got.iter()
            .map(|(t, f)| (t.as_str(), f[0].avg.as_deref()))
            .collect::<Vec<_>>(),
        [
            ("20240510080000", Some("0.4")),
            ("20240510090000", Some("0.5"))
        ]
    );
}

async fn water_single_limit_items_only_at_drinking_sources(store: Store) {
    store
        .upsert_water_sections(
            &[
                water_section("W1", "国考", "river", "III", false),
                water_section("P1", "市考", "lake", "II", true),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    // A Table 3 item at a section that is not a drinking-water source: row 3, column item.
    let err = store
        .import_water_samples(
            &[
                water_sample("P1", "2024-05-10", "T2-4", "0.2", false),
                water_sample("W1", "2024-05-10", "DO", "6", false),
                water_sample("W1", "2024-05-10", "T3-19", "0.001", false),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, WaterStoreError::Invalid { row: 3, column, message } if column == "item" && message.contains("T3-19")),
        "{err}"
    );
    // Unknown or non-canonical codes are refused before the transaction.
    for bad in ["T3-81", "t2-4", "铁"] {
        let err = store
            .import_water_samples(
                &[water_sample("P1", "2024-05-10", bad, "0.2", false)],
                &Actor::cli(),
            )
            .await
            .unwrap_err();
        assert!(
            matches!(&err, WaterStoreError::Invalid { row: 1, column, .. } if column == "item"),
            "{bad}: {err}"
        );
    }
    assert!(store.water_samples(None, 2024).await.unwrap().is_empty());
    assert!(
        store
            .audit_log(Some("water_sample."), 10)
            .await
            .unwrap()
            .is_empty()
    );
    // At the drinking-water source they are stored like any result.
    let s = store
        .import_water_samples(
            &[
                water_sample("P1", "2024-05-10", "T2-4", "0.2", false),
                water_sample("P1", "2024-05-10", "T3-19", "0.002", true),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    assert_eq!(s.rows, 2);
    let stored = store.water_samples(Some("P1"), 2024).await.unwrap();
    assert_eq!(
        stored
            .iter()
            .map(|r| (r.item.as_str(), r.value.as_str(), r.below_detection))
            .collect::<Vec<_>>(),
        [("T2-4", "0.2", false), ("T3-19", "0.002", true)]
    );
}

/// Writers never checkpoint (the store turns SQLite's automatic checkpoints off), so the
/// store's own checkpointer must copy the log into the database file soon after a commit.
#[tokio::test]
async fn sqlite_log_is_checkpointed_in_the_background() {
    let store = sqlite().await;
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let batch: Vec<ReceivedFrame> = (0..500)
        .map(|i| {
            upload(
                "MN0001",
                &format!("20260101{i:09}"),
                &format!("2026010100{i:04}"),
                "1.0",
            )
        })
        .collect();
    store.ingest(&batch).await.unwrap();
    let Store::Sqlite(pool, _) = &store else {
        unreachable!()
    };
    let copied = |pool: sqlx::SqlitePool| async move {
        // A NOOP-sized look: PASSIVE with nothing left to copy reports log == checkpointed.
        let r = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(&pool)
            .await
            .unwrap();
        (
            sqlx::Row::get::<i64, _>(&r, 1),
            sqlx::Row::get::<i64, _>(&r, 2),
        )
    };
    let autocheckpoint: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(
        autocheckpoint, 0,
        "writers must not checkpoint inside their commits"
    );
    let mut waited = 0;
    loop {
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        waited += 100;
        // Read how far the background checkpointer got, without copying anything ourselves:
        // the database file's page count grows only through checkpoints.
        let pages: i64 = sqlx::query_scalar("SELECT page_count FROM pragma_page_count()")
            .fetch_one(pool)
            .await
            .unwrap();
        let file = std::fs::metadata(sqlite_path(pool).await).unwrap().len() as i64;
        if file >= pages * 4096 && pages > 10 {
            break;
        }
        assert!(
            waited < 5000,
            "the log was not checkpointed within 5 s (file {file} bytes, {pages} pages)"
        );
    }
    let (log, done) = copied(pool.clone()).await;
    assert_eq!(log, done);
}

async fn sqlite_path(pool: &sqlx::SqlitePool) -> String {
    let r = sqlx::query("PRAGMA database_list")
        .fetch_one(pool)
        .await
        .unwrap();
    sqlx::Row::get::<String, _>(&r, "file")
}

/// A frame the gateway did not accept, from `peer`, at `at`.
fn refused_frame(
    verdict: FrameVerdict,
    mn: Option<&str>,
    qn: &str,
    peer: &str,
    at: &str,
) -> ReceivedFrame {
    let mut f = upload(mn.unwrap_or(""), qn, &qn[..14], "1");
    f.verdict = verdict;
    f.mn = mn.map(str::to_string);
    f.upload = None;
    f.peer = peer.into();
    f.received_at = at.into();
    f
}

async fn refused_traffic_is_archived_within_its_budget(store: Store) {
    let budget = RefusedBudget {
        keep_per_key: 5,
        max_keys: 3,
    };
    // An unknown MN floods across two batches: five kept, the rest counted.
    let flood: Vec<ReceivedFrame> = (0..12)
        .map(|i| {
            refused_frame(
                FrameVerdict::Quarantined,
                Some("MNX"),
                &format!("20260101000000{i:03}"),
                "10.0.0.1:4000",
                &now_text(),
            )
        })
        .collect();
    let out = store
        .ingest_bounded(&flood[..3], &[], &budget)
        .await
        .unwrap();
    assert!(out.iter().all(|o| *o == IngestOutcome::Archived), "{out:?}");
    let out = store
        .ingest_bounded(&flood[3..], &[], &budget)
        .await
        .unwrap();
    let kept = out
        .iter()
        .filter(|o| **o == IngestOutcome::Archived)
        .count();
    let counted = out.iter().filter(|o| **o == IngestOutcome::Counted).count();
    assert_eq!((kept, counted), (2, 7));
    // Wrong passwords are counted per MN, undecodable frames without MN per address.
    let mut other: Vec<ReceivedFrame> = (0..7)
        .map(|i| {
            refused_frame(
                FrameVerdict::Refused,
                Some("MN0001"),
                &format!("20260101000001{i:03}"),
                "10.0.0.2:4000",
                &now_text(),
            )
        })
        .collect();
    other.extend((0..6).map(|i| {
        refused_frame(
            FrameVerdict::Rejected,
            None,
            &format!("20260101000002{i:03}"),
            "10.0.0.3:4001",
            &now_text(),
        )
    }));
    store.ingest_bounded(&other, &[], &budget).await.unwrap();
    let counts = store.archive_counts().await.unwrap();
    assert_eq!(
        (counts["quarantined"], counts["refused"], counts["rejected"]),
        (5, 5, 5)
    );
    let q = store.quarantine().await.unwrap();
    assert_eq!(
        q.iter()
            .map(|q| (q.mn.as_str(), q.frames, q.kept, q.peer.as_str()))
            .collect::<Vec<_>>(),
        [("MNX", 12, 5, "10.0.0.1:4000")]
    );
    let rejected = store.refused_counts("rejected").await.unwrap();
    assert_eq!(
        (
            rejected[0].key.as_str(),
            rejected[0].total,
            rejected[0].kept
        ),
        ("10.0.0.3", 6, 5)
    );
    // Random MNs: three keys of their own, every further one counted under the overflow key.
    let random: Vec<ReceivedFrame> = (0..6)
        .map(|i| {
            refused_frame(
                FrameVerdict::Quarantined,
                Some(&format!("RND{i}")),
                &format!("20260101000003{i:03}"),
                "10.0.0.4:4000",
                &now_text(),
            )
        })
        .collect();
    store.ingest_bounded(&random, &[], &budget).await.unwrap();
    let q = store.quarantine().await.unwrap();
    let keys: Vec<(&str, i64)> = q.iter().map(|q| (q.mn.as_str(), q.frames)).collect();
    assert_eq!(keys, [("*", 4), ("MNX", 12), ("RND0", 1), ("RND1", 1)]);
    // Accepted uploads are untouched by the budget.
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let ups: Vec<ReceivedFrame> = (0..8)
        .map(|i| {
            upload(
                "MN0001",
                &format!("20260102000000{i:03}"),
                &format!("2026010200000{i}"),
                "1",
            )
        })
        .collect();
    let out = store.ingest_bounded(&ups, &[], &budget).await.unwrap();
    assert!(out.iter().all(|o| *o == IngestOutcome::Stored));
}

async fn registry_version_moves_with_every_registry_write(store: Store) {
    let v0 = store.registry_version().await.unwrap();
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let v1 = store.registry_version().await.unwrap();
    assert!(v1 > v0, "{v0} → {v1}");
    // An edit (here: the same rows again, as the web form writes them) moves it too.
    store
        .edit_registry_row(
            &reg,
            &Actor::cli(),
            "device:MN0001".into(),
            None,
            "x".into(),
        )
        .await
        .unwrap();
    let v2 = store.registry_version().await.unwrap();
    assert!(v2 > v1);
    // Air and water station devices are part of what the gateway accepts.
    store
        .upsert_air_stations(&[air_station("XZ01", "国控")], &Actor::cli())
        .await
        .unwrap();
    let v3 = store.registry_version().await.unwrap();
    store
        .link_air_station_device(
            &AirStationDevice {
                mn: "AIR01".into(),
                station_code: "XZ01".into(),
                password: "1".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let v4 = store.registry_version().await.unwrap();
    assert!(v4 > v3);
    store
        .upsert_water_sections(
            &[water_section("S01", "国考", "river", "III", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .link_water_section_device(&water_device("W01", "S01"), &Actor::cli())
        .await
        .unwrap();
    let v5 = store.registry_version().await.unwrap();
    assert!(v5 > v4);
    // Data does not move it: the gateway's check stays a no-op under ingest.
    store
        .ingest(&[upload("MN0001", "20260101000000000", "20260101000000", "1")])
        .await
        .unwrap();
    assert_eq!(store.registry_version().await.unwrap(), v5);
}

/// The release's classification in these cases: a frame is `UP qn dt rtd` (an upload),
/// `REQ` (no data) or `BAD` (refused by the registration).
fn classify_test_frame(mn: &str) -> impl Fn(&[u8]) -> Released + '_ {
    move |b: &[u8]| {
        let text = String::from_utf8_lossy(b).to_string();
        let parts: Vec<&str> = text.split(' ').collect();
        match parts[0] {
            "UP" => Released::Upload(upload(mn, parts[1], parts[2], parts[3]).upload.unwrap()),
            "REQ" => Released::NoData,
            _ => Released::Refused("访问密码（PW）错误".into()),
        }
    }
}

async fn quarantined_frames_are_released_once(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let frame = |bytes: &str| {
        let mut f = refused_frame(
            FrameVerdict::Quarantined,
            Some("MN0003"),
            "20260101000000000",
            "10.0.0.9:4000",
            &now_text(),
        );
        f.bytes = bytes.as_bytes().to_vec();
        f
    };
    let budget = RefusedBudget {
        keep_per_key: 4,
        max_keys: 10,
    };
    store
        .ingest_bounded(
            &[
                frame("UP 20260101000000000 20260101000000 1.5"),
                // Resent: its data must be stored once.
                frame("UP 20260101000000000 20260101000000 1.5"),
                frame("UP 20260101000100000 20260101000100 2.5"),
                frame("REQ"),
                frame("BAD"),
                frame("UP 20260101000200000 20260101000200 3.5"),
            ],
            &[],
            &budget,
        )
        .await
        .unwrap();
    // Not registered yet: refused, nothing changes.
    let err = store
        .release_quarantine("MN0003", &Actor::cli(), classify_test_frame("MN0003"))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found");
    assert_eq!(store.archive_counts().await.unwrap()["quarantined"], 4);

    let mut reg3 = reg.clone();
    reg3.devices.truncate(1);
    reg3.devices[0].mn = "MN0003".into();
    store.import_registry(&reg3, &Actor::cli()).await.unwrap();
    let staff = Actor {
        user_id: None,
        name: "wangli".into(),
        peer: Some("10.1.1.1".into()),
    };
    let summary = store
        .release_quarantine("MN0003", &staff, classify_test_frame("MN0003"))
        .await
        .unwrap();
    assert_eq!(
        summary,
        ReleaseSummary {
            frames: 4,
            stored: 2,
            duplicate: 1,
            no_data: 1,
            refused: 0,
            counted_only: 2
        }
    );
    let stats = store.ingest_stats().await.unwrap();
    assert_eq!(stats.by_device["MN0003"], 2);
    let m = store
        .measurements(
            "MN0003",
            "2011",
            "a21026",
            "20260101000000",
            "20260102000000",
        )
        .await
        .unwrap();
    assert_eq!(
        m.iter()
            .map(|m| m.values.rtd.clone().unwrap())
            .collect::<Vec<_>>(),
        ["1.5", "2.5"]
    );
    assert!(
        store
            .last_seen_of_all()
            .await
            .unwrap()
            .contains_key("MN0003")
    );
    assert!(store.quarantine().await.unwrap().is_empty());
    let counts = store.archive_counts().await.unwrap();
    assert_eq!(
        (
            counts.get("quarantined"),
            counts["stored"],
            counts["duplicate"]
        ),
        (None, 3, 1)
    );
    let audit = store
        .audit_log(Some("quarantine.release"), 10)
        .await
        .unwrap();
    assert_eq!(
        (
            audit.len(),
            audit[0].actor.as_str(),
            audit[0].target.as_str()
        ),
        (1, "wangli", "device:MN0003")
    );
    assert!(
        audit[0].detail.as_deref().unwrap().contains("存入数据 2"),
        "{:?}",
        audit[0].detail
    );
    // Released twice: nothing left to release, nothing stored again.
    let again = store
        .release_quarantine("MN0003", &staff, classify_test_frame("MN0003"))
        .await
        .unwrap();
    assert_eq!((again.frames, again.stored), (0, 0));
    assert_eq!(store.ingest_stats().await.unwrap().by_device["MN0003"], 2);
}

async fn refused_traffic_expires_on_its_own_cutoff(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let old = "2025-01-01T00:00:00.000Z";
    let mut accepted = upload("MN0001", "20250101000000000", "20250101000000", "1");
    accepted.received_at = old.into();
    store
        .ingest(&[
            accepted,
            refused_frame(
                FrameVerdict::Quarantined,
                Some("OLD"),
                "20250101000000000",
                "10.0.0.1:1",
                old,
            ),
            refused_frame(
                FrameVerdict::Refused,
                Some("MN0001"),
                "20250101000000000",
                "10.0.0.1:1",
                old,
            ),
            refused_frame(
                FrameVerdict::Quarantined,
                Some("NEW"),
                "20260101000000000",
                "10.0.0.1:1",
                &now_text(),
            ),
        ])
        .await
        .unwrap();
    let garbage = |conn: &str, at: &str, head: &[u8], bytes: i64| GarbageRecord {
        conn: conn.into(),
        peer: "10.0.0.1:1".into(),
        first_at: at.into(),
        last_at: at.into(),
        bytes,
        head: head.to_vec(),
        first: true,
    };
    let recent = now_text();
    store
        .ingest_bounded(
            &[],
            &[
                garbage("a", old, b"\x00\x01", 2),
                garbage("b", &recent, b"GET / HTTP/1.1", 14),
            ],
            &RefusedBudget::default(),
        )
        .await
        .unwrap();
    // The connection goes on: its one record is brought up to date.
    let mut grown = garbage("b", &recent, b"GET / HTTP/1.1\r\n", 4096);
    grown.last_at = now_text();
    grown.first = false;
    store
        .ingest_bounded(&[], &[grown], &RefusedBudget::default())
        .await
        .unwrap();
    // Removes the old refused frames, counters and summaries (2 + 2 + 1), keeps accepted frames.
    assert_eq!(
        store
            .purge_refused_traffic("2025-06-01T00:00:00.000Z")
            .await
            .unwrap(),
        5
    );
    let counts = store.archive_counts().await.unwrap();
    assert_eq!(
        (
            counts["stored"],
            counts["quarantined"],
            counts["garbage"],
            counts.get("refused")
        ),
        (1, 1, 1, None)
    );
    let q = store.quarantine().await.unwrap();
    assert_eq!(q.iter().map(|q| q.mn.as_str()).collect::<Vec<_>>(), ["NEW"]);
    let s = store.garbage_sessions(10).await.unwrap();
    assert_eq!(
        (s.len(), s[0].bytes, s[0].head.as_slice()),
        (1, 4096, &b"GET / HTTP/1.1\r\n"[..])
    );
    assert_eq!(
        store
            .audit_log(Some("refused_archive.purge"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
    // Nothing left to purge: no audit entry.
    assert_eq!(
        store
            .purge_refused_traffic("2025-06-01T00:00:00.000Z")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .audit_log(Some("refused_archive.purge"), 10)
            .await
            .unwrap()
            .len(),
        1
    );
}

async fn garbage_summaries_are_bounded_per_address(store: Store) {
    let budget = RefusedBudget {
        keep_per_key: 2,
        max_keys: 10,
    };
    let record = |n: usize, first: bool| GarbageRecord {
        conn: format!("conn-{n}"),
        peer: format!("198.51.100.7:{}", 40000 + n),
        first_at: now_text(),
        last_at: now_text(),
        bytes: 10 * n as i64,
        head: b"\x16\x03\x01".to_vec(),
        first,
    };
    // Five connections of one address: two summaries, five counted.
    let first: Vec<GarbageRecord> = (1..=5).map(|n| record(n, true)).collect();
    store
        .ingest_bounded(&[], &first[..3], &budget)
        .await
        .unwrap();
    store
        .ingest_bounded(&[], &first[3..], &budget)
        .await
        .unwrap();
    // Their closing records: those summarised are brought up to date, the others dropped.
    let mut closing: Vec<GarbageRecord> = (1..=5).map(|n| record(n, false)).collect();
    for c in &mut closing {
        c.bytes += 1000;
    }
    store.ingest_bounded(&[], &closing, &budget).await.unwrap();
    let sessions = store.garbage_sessions(10).await.unwrap();
    assert_eq!(
        sessions
            .iter()
            .map(|g| (g.peer.as_str(), g.bytes))
            .collect::<Vec<_>>(),
        [("198.51.100.7:40002", 1020), ("198.51.100.7:40001", 1010)]
    );
    let counted = store.refused_counts("garbage").await.unwrap();
    assert_eq!(
        counted
            .iter()
            .map(|c| (c.key.as_str(), c.total, c.kept))
            .collect::<Vec<_>>(),
        [("198.51.100.7", 5, 2)]
    );
    // A short connection's first and closing records in one batch.
    let mut other = record(6, true);
    other.peer = "192.0.2.1:1".into();
    let mut closed = other.clone();
    closed.first = false;
    closed.bytes = 4097;
    store
        .ingest_bounded(&[], &[other, closed], &budget)
        .await
        .unwrap();
    assert_eq!(store.garbage_sessions(1).await.unwrap()[0].bytes, 4097);
}

async fn login_failures_count_per_pair_and_per_address(store: Store) {
    let since = now_text();
    for _ in 0..4 {
        store
            .record_login_attempt("admin", "10.0.0.1", false)
            .await
            .unwrap();
    }
    store
        .record_login_attempt("other", "10.0.0.1", false)
        .await
        .unwrap();
    store
        .record_login_attempt("admin", "10.0.0.2", true)
        .await
        .unwrap();
    let at = |u: &'static str, p: &'static str| {
        let store = store.clone();
        let since = since.clone();
        async move { store.login_failures_since(u, p, &since).await.unwrap() }
    };
    assert_eq!(
        at("admin", "10.0.0.1").await,
        LoginFailures {
            pair: 4,
            address: 5
        }
    );
    // The same user from elsewhere has no failures of its own.
    assert_eq!(
        at("admin", "10.0.0.2").await,
        LoginFailures {
            pair: 0,
            address: 0
        }
    );
    assert_eq!(
        at("nobody", "10.0.0.1").await,
        LoginFailures {
            pair: 0,
            address: 5
        }
    );
    assert_eq!(
        store
            .login_failures_since("admin", "10.0.0.1", &text_in(10))
            .await
            .unwrap(),
        LoginFailures::default()
    );
}

async fn imports_skip_rows_identical_to_the_stored_ones(store: Store) {
    let p = seeded(&store).await;
    // Registry: the second import of the same file writes nothing, not even an audit entry.
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    let first = store
        .import_registry_changes(&reg, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((first.changed, first.unchanged), (0, 0));
    assert!(first.new > 0);
    let audits = store.audit_log(Some("registry."), 100).await.unwrap().len();
    let again = store
        .import_registry_changes(&reg, &Actor::cli())
        .await
        .unwrap();
    assert_eq!(
        (again.new, again.changed, again.unchanged),
        (0, 0, first.new)
    );
    assert_eq!(
        store.audit_log(Some("registry."), 100).await.unwrap().len(),
        audits
    );
    // One limit changed: only it is written.
    let mut edited = reg.clone();
    edited.limits[0].hourly_limit = Some("30".into());
    let c = store
        .import_registry_changes(&edited, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((c.new, c.changed, c.unchanged), (0, 1, first.new - 1));
    assert_eq!(
        store
            .export_registry()
            .await
            .unwrap()
            .limits
            .iter()
            .filter(|l| l.hourly_limit.as_deref() == Some("30"))
            .count(),
        1
    );

    // Indicator values: identical value and note make no new revision.
    let values = vec![
        value(7, 2023, "140900", "60.1"),
        value(7, 2024, "140900", "60.4"),
    ];
    let c = store
        .record_indicator_values_changes(&values, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((c.new, c.changed, c.unchanged), (2, 0, 0));
    let mut next = values.clone();
    next[1].value = "61".into();
    let c = store
        .record_indicator_values_changes(&next, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((c.new, c.changed, c.unchanged), (0, 1, 1));
    let c = store
        .record_indicator_values_changes(&next, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((c.new, c.changed, c.unchanged), (0, 0, 2));
    let history = store
        .indicator_value_history(&p.meta.id, 7, None)
        .await
        .unwrap();
    assert_eq!(history.len(), 3, "{history:?}");
    assert_eq!(
        store
            .audit_log(Some("indicator_value."), 100)
            .await
            .unwrap()
            .len(),
        3
    );

    // Water samples: the same kind (manual) compared; a different value is a revision.
    store
        .upsert_water_sections(
            &[water_section("W1", "国考", "river", "III", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    let rows = vec![
        water_sample("W1", "2024-01-10", "DO", "7.5", false),
        water_sample("W1", "2024-01-10", "Hg", "0.00004", true),
    ];
    let (s, c) = store
        .import_water_samples_changes(&rows, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((s.rows, c.new, c.changed, c.unchanged), (2, 2, 0, 0));
    let audits = store
        .audit_log(Some("water_sample."), 100)
        .await
        .unwrap()
        .len();
    let (s, c) = store
        .import_water_samples_changes(&rows, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((s.rows, c.new, c.changed, c.unchanged), (0, 0, 0, 2));
    assert_eq!(
        store
            .audit_log(Some("water_sample."), 100)
            .await
            .unwrap()
            .len(),
        audits
    );
    let mut changed = rows.clone();
    changed[0].value = "7.25".into();
    let (s, c) = store
        .import_water_samples_changes(&changed, &Actor::cli())
        .await
        .unwrap();
    assert_eq!((s.rows, s.revised, c.changed, c.unchanged), (1, 1, 1, 1));
    assert_eq!(
        store
            .water_sample_history("W1", "2024-01-10", "DO")
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        store
            .water_sample_history("W1", "2024-01-10", "Hg")
            .await
            .unwrap()
            .len(),
        1
    );
    // An error names the row of the file, not of what was left to write.
    let bad = vec![
        rows[0].clone(),
        water_sample("W9", "2024-01-10", "DO", "7", false),
    ];
    assert!(
        store
            .import_water_samples_changes(&bad, &Actor::cli())
            .await
            .is_err()
    );
}

async fn long_lists_come_in_pages(store: Store) {
    for i in 0..7 {
        store
            .audit(&AuditEntry::ok(&Actor::cli(), "page.test", format!("t{i}")))
            .await
            .unwrap();
    }
    let first = store.audit_paged(Some("page."), 3, 0).await.unwrap();
    let last = store.audit_paged(Some("page."), 3, 6).await.unwrap();
    assert_eq!(first.total, 7);
    assert_eq!(
        first
            .items
            .iter()
            .map(|e| e.target.as_str())
            .collect::<Vec<_>>(),
        ["t6", "t5", "t4"]
    );
    assert_eq!(
        last.items
            .iter()
            .map(|e| e.target.as_str())
            .collect::<Vec<_>>(),
        ["t0"]
    );
    let frames: Vec<ReceivedFrame> = (0..5)
        .map(|i| ReceivedFrame {
            received_at: now_text(),
            peer: "10.0.0.1".into(),
            bytes: format!("##frame{i}").into_bytes(),
            verdict: FrameVerdict::Quarantined,
            mn: Some(format!("MNUNKNOWN{i}")),
            cn: Some("2011".into()),
            error_kind: None,
            message: None,
            upload: None,
        })
        .collect();
    store.ingest(&frames).await.unwrap();
    let q = store.quarantine_paged(2, 2).await.unwrap();
    assert_eq!(q.total, 5);
    assert_eq!(
        q.items.iter().map(|d| d.mn.as_str()).collect::<Vec<_>>(),
        ["MNUNKNOWN2", "MNUNKNOWN3"]
    );
    let a = store
        .alarms_paged(&AlarmFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!((a.total, a.items.len()), (0, 0));
}

async fn stations_are_created_edited_and_retired_never_deleted(store: Store) {
    let u = reporter(&store, "station_staff").await;
    let a = air_station("A1", "国控");
    store.create_air_station(&a, &actor(&u)).await.unwrap();
    // A code already registered is refused, and nothing changes.
    let again = store
        .create_air_station(&air_station("A1", "省控"), &actor(&u))
        .await;
    assert_eq!(again.unwrap_err().kind(), "conflict");
    assert_eq!(store.air_station("A1").await.unwrap().unwrap(), a);
    let mut edited = a.clone();
    edited.name = "新名站".into();
    store
        .edit_air_station(&edited, Some("更名"), &actor(&u))
        .await
        .unwrap();
    assert_eq!(
        store.air_station("A1").await.unwrap().unwrap().name,
        "新名站"
    );
    let missing = store
        .edit_air_station(&air_station("A9", "国控"), None, &actor(&u))
        .await;
    assert_eq!(missing.unwrap_err().kind(), "not_found");
    store
        .import_air_hourly(&[air_hour("A1", "2024-01-01T00:00", "30")], &Actor::cli())
        .await
        .unwrap();
    store
        .retire_air_station("A1", "2024-06-01", "搬迁", &actor(&u))
        .await
        .unwrap();
    let twice = store
        .retire_air_station("A1", "2024-07-01", "再撤", &actor(&u))
        .await;
    assert_eq!(twice.unwrap_err().kind(), "conflict");
    // Retired, not deleted: the station and its data are still there.
    assert_eq!(store.air_stations().await.unwrap().len(), 1);
    let (from, to) = (
        chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap(),
        chrono::NaiveDate::from_ymd_opt(2024, 12, 31).unwrap(),
    );
    assert_eq!(
        store.air_hours(Some("A1"), from, to).await.unwrap().len(),
        1
    );
    assert_eq!(
        store.air_station_retirements().await.unwrap(),
        [Retirement {
            code: "A1".into(),
            retired_on: "2024-06-01".into(),
            reason: "搬迁".into()
        }]
    );
    // A later import of the station list keeps the retirement.
    store
        .upsert_air_stations(&[edited.clone()], &Actor::cli())
        .await
        .unwrap();
    assert_eq!(store.air_station_retirements().await.unwrap().len(), 1);
    let revs = store
        .station_revisions(StationKind::Air, "A1")
        .await
        .unwrap();
    assert_eq!(
        revs.iter()
            .map(|r| (r.revision, r.action.as_str()))
            .collect::<Vec<_>>(),
        [(1, "create"), (2, "edit"), (3, "retire")]
    );
    assert_eq!(revs[1].reason.as_deref(), Some("更名"));
    assert!(revs[1].record.contains("新名站"));
    assert_eq!(
        revs[0].changed_by_name.as_deref(),
        Some("station_staff 填报员")
    );
    let log = store.audit_log(Some("air_station."), 10).await.unwrap();
    let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    assert!(
        actions.contains(&"air_station.create")
            && actions.contains(&"air_station.edit")
            && actions.contains(&"air_station.retire"),
        "{actions:?}"
    );

    // Water sections alike.
    let w = water_section("W1", "国考", "river", "III", false);
    store.create_water_section(&w, &actor(&u)).await.unwrap();
    assert_eq!(
        store
            .create_water_section(&w, &actor(&u))
            .await
            .unwrap_err()
            .kind(),
        "conflict"
    );
    let mut we = w.clone();
    we.target_class = "II".into();
    store
        .edit_water_section(&we, None, &actor(&u))
        .await
        .unwrap();
    assert_eq!(
        store
            .water_section("W1")
            .await
            .unwrap()
            .unwrap()
            .target_class,
        "II"
    );
    store
        .retire_water_section("W1", "2025-01-01", "并入 W2", &actor(&u))
        .await
        .unwrap();
    assert_eq!(store.water_sections().await.unwrap().len(), 1);
    assert_eq!(
        store.water_section_retirements().await.unwrap()[0].retired_on,
        "2025-01-01"
    );
    assert_eq!(
        store
            .station_revisions(StationKind::Water, "W1")
            .await
            .unwrap()
            .len(),
        3
    );
    assert!(
        store
            .station_revisions(StationKind::Air, "W1")
            .await
            .unwrap()
            .is_empty()
    );
}

async fn device_links_keep_their_history(store: Store) {
    let u = reporter(&store, "link_staff").await;
    store
        .create_air_station(&air_station("A1", "国控"), &actor(&u))
        .await
        .unwrap();
    let d = AirStationDevice {
        mn: "AIRMN0001".into(),
        station_code: "A1".into(),
        password: "123456".into(),
        crc_policy: "strict".into(),
    };
    store.link_air_station_device(&d, &actor(&u)).await.unwrap();
    assert_eq!(store.air_station_devices().await.unwrap(), [d]);
    assert_eq!(
        store
            .unlink_air_station_device("AIRMN0001", &actor(&u))
            .await
            .unwrap(),
        "A1"
    );
    assert!(store.air_station_devices().await.unwrap().is_empty());
    assert_eq!(
        store
            .unlink_air_station_device("AIRMN0001", &actor(&u))
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
    let h = store
        .device_link_history(StationKind::Air, "A1")
        .await
        .unwrap();
    assert_eq!(
        h.iter()
            .map(|c| (c.mn.as_str(), c.action.as_str()))
            .collect::<Vec<_>>(),
        [("AIRMN0001", "link"), ("AIRMN0001", "unlink")]
    );
    assert_eq!(h[0].changed_by_name.as_deref(), Some("link_staff 填报员"));
    let log = store
        .audit_log(Some("air_station.unlink_device"), 10)
        .await
        .unwrap();
    assert_eq!(
        (log.len(), log[0].old_value.as_deref()),
        (1, Some("AIRMN0001"))
    );

    store
        .upsert_water_sections(
            &[water_section("W1", "国考", "river", "III", false)],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .link_water_section_device(&water_device("WQ01", "W1"), &actor(&u))
        .await
        .unwrap();
    store
        .unlink_water_section_device("WQ01", &actor(&u))
        .await
        .unwrap();
    assert!(store.water_section_devices().await.unwrap().is_empty());
    assert_eq!(
        store
            .device_link_history(StationKind::Water, "W1")
            .await
            .unwrap()
            .len(),
        2
    );
}

async fn assessment_inputs_keep_their_history(store: Store) {
    let p = seeded(&store).await;
    let u = reporter(&store, "judge").await;
    let key = InputKey {
        plan_id: &p.meta.id,
        indicator: 16,
        year: 2024,
        division: "140900",
    };
    store
        .record_judgement_with_evidence(key, false, "未完成", Some("忻环函〔2024〕1号"), &actor(&u))
        .await
        .unwrap();
    store
        .record_judgement(key, true, "复核后已完成", &actor(&u))
        .await
        .unwrap();
    let h = store.judgement_history(&p.meta.id, 16).await.unwrap();
    assert_eq!(
        h.iter()
            .map(|j| (j.revision, j.met, j.evidence.as_deref()))
            .collect::<Vec<_>>(),
        [(2, true, None), (1, false, Some("忻环函〔2024〕1号"))]
    );
    assert_eq!(h[0].entered_by_name.as_deref(), Some("judge 填报员"));
    assert_eq!(
        store.current_judgements(&p.meta.id).await.unwrap()[0].revision,
        2
    );
    assert!(
        store
            .judgement_history(&p.meta.id, 15)
            .await
            .unwrap()
            .is_empty()
    );
    let key = InputKey {
        plan_id: &p.meta.id,
        indicator: 11,
        year: 2025,
        division: "140900",
    };
    store
        .record_assigned_target(key, "1.5", Some("晋环发〔2025〕3号"), &actor(&u))
        .await
        .unwrap();
    store
        .record_assigned_target(key, "1.8", None, &actor(&u))
        .await
        .unwrap();
    let a = store.assigned_target_history(&p.meta.id, 11).await.unwrap();
    assert_eq!(
        a.iter()
            .map(|r| (r.revision, r.value.as_str(), r.note.as_deref()))
            .collect::<Vec<_>>(),
        [(2, "1.8", None), (1, "1.5", Some("晋环发〔2025〕3号"))]
    );
    assert_eq!(a[1].entered_by_name.as_deref(), Some("judge 填报员"));
}

fn exceedance(start: &str, end: Option<&str>, peak: &str, records: i64) -> AlarmEpisode {
    AlarmEpisode {
        kind: "exceedance".into(),
        mn: "MN0001".into(),
        factor: "a21026".into(),
        start_time: start.into(),
        end_time: end.map(str::to_string),
        peak: Some(peak.into()),
        peak_time: Some(start.into()),
        records,
        context: "超标".into(),
    }
}

/// Alarms of one device, kind and factor that follow each other within an hour make one
/// incident with their start, end, peak, hours and the permit's limit; one compliant hour
/// between them starts another. Handling is audited; a closed incident can be re-opened.
async fn incidents_group_consecutive_alarms(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // A run re-found each time more data arrive: the same alarm updated, one incident.
    store
        .raise_alarm(&exceedance("20260301000000", None, "40", 3))
        .await
        .unwrap();
    store
        .raise_alarm(&exceedance(
            "20260301000000",
            Some("20260301040000"),
            "52.5",
            5,
        ))
        .await
        .unwrap();
    // The next hour continues it; two hours later (one compliant hour) opens another.
    store
        .raise_alarm(&exceedance(
            "20260301050000",
            Some("20260301090000"),
            "48",
            5,
        ))
        .await
        .unwrap();
    store
        .raise_alarm(&exceedance("20260301110000", None, "36", 1))
        .await
        .unwrap();
    let all = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(all.total, 2);
    let second = &all.items[0];
    let first = &all.items[1];
    assert_eq!(
        (
            first.start_time.as_str(),
            first.end_time.as_deref(),
            first.peak.as_deref(),
            first.hours,
            first.alarm_count,
            first.limit_value.as_deref(),
            first.status.as_str(),
            first.division_code.as_deref(),
            first.credit_code.as_deref(),
        ),
        (
            "20260301000000",
            Some("20260301090000"),
            Some("52.5"),
            10,
            2,
            Some("35"),
            "open",
            Some("140902"),
            Some("9144030071526726XG"),
        )
    );
    assert_eq!(
        (
            second.start_time.as_str(),
            second.end_time.as_deref(),
            second.hours
        ),
        ("20260301110000", None, 1)
    );
    assert_eq!(store.incident_alarms(first.id).await.unwrap().len(), 2);
    for (filter, want) in [
        (
            IncidentFilter {
                division_code: Some("140902".into()),
                ..Default::default()
            },
            2,
        ),
        (
            IncidentFilter {
                division_code: Some("140981".into()),
                ..Default::default()
            },
            0,
        ),
        (
            IncidentFilter {
                credit_code: Some("91110000802100433B".into()),
                ..Default::default()
            },
            0,
        ),
        (
            IncidentFilter {
                kind: Some("offline".into()),
                ..Default::default()
            },
            0,
        ),
        (
            IncidentFilter {
                from_day: Some("2026-03-01".into()),
                to_day: Some("2026-03-01".into()),
                ..Default::default()
            },
            2,
        ),
        (
            IncidentFilter {
                from_day: Some("2026-03-02".into()),
                ..Default::default()
            },
            0,
        ),
    ] {
        assert_eq!(
            store.count_incidents(&filter).await.unwrap(),
            want,
            "{filter:?}"
        );
        assert_eq!(
            store
                .incidents_paged(&filter, 10, 0)
                .await
                .unwrap()
                .items
                .len() as i64,
            want,
            "{filter:?}"
        );
    }
    assert_eq!(
        store.open_incidents_by_county().await.unwrap(),
        vec![(Some("140902".to_string()), 2)]
    );

    let staff = store
        .create_user(
            &NewUser {
                username: "duty".into(),
                display_name: "值班员".into(),
                password_hash: "$argon2id$fake".into(),
                role: Role::Staff,
                unit_id: None,
                division_code: None,
                credit_code: None,
                must_change_password: false,
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    let who = actor(&staff);
    let acked = store
        .transition_incident(first.id, &IncidentAction::Acknowledge, None, &who)
        .await
        .unwrap();
    assert_eq!(acked.status, "acknowledged");
    let assigned = store
        .transition_incident(
            first.id,
            &IncidentAction::Assign(staff.id),
            Some("请核查"),
            &who,
        )
        .await
        .unwrap();
    assert_eq!(
        (assigned.status.as_str(), assigned.assignee_name.as_deref()),
        ("assigned", Some("值班员"))
    );
    assert!(matches!(
        store
            .transition_incident(first.id, &IncidentAction::Acknowledge, None, &who)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let closed = store
        .transition_incident(first.id, &IncidentAction::Close, Some("企业已整改"), &who)
        .await
        .unwrap();
    assert_eq!(
        (closed.status.as_str(), closed.note.as_deref()),
        ("closed", Some("企业已整改"))
    );
    assert!(closed.closed_at.is_some());
    // A closed incident takes no more alarms: a new one next to it opens a new incident.
    store
        .raise_alarm(&exceedance(
            "20260301100000",
            Some("20260301100000"),
            "60",
            1,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .count_incidents(&IncidentFilter::default())
            .await
            .unwrap(),
        2,
        "joins the open second"
    );
    let reopened = store
        .transition_incident(first.id, &IncidentAction::Reopen, Some("标记被驳回"), &who)
        .await
        .unwrap();
    assert_eq!(
        (reopened.status.as_str(), reopened.closed_at.as_deref()),
        ("open", None)
    );
    let actions: Vec<String> = store
        .audit_log(Some("incident."), 100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.target == format!("incident:{}", first.id))
        .map(|e| e.action)
        .collect();
    for a in [
        "incident.open",
        "incident.acknowledge",
        "incident.assign",
        "incident.close",
        "incident.reopen",
    ] {
        assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
    }
    // Late data: a run that ended well before the first incident is an incident of its own;
    // one that ended the hour before joins it.
    store
        .raise_alarm(&exceedance(
            "20260228190000",
            Some("20260228210000"),
            "41",
            3,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .count_incidents(&IncidentFilter::default())
            .await
            .unwrap(),
        3
    );
    store
        .raise_alarm(&exceedance(
            "20260228230000",
            Some("20260228230000"),
            "39",
            1,
        ))
        .await
        .unwrap();
    assert_eq!(
        store
            .count_incidents(&IncidentFilter::default())
            .await
            .unwrap(),
        3
    );
    let early = store.incident(first.id).await.unwrap().unwrap();
    assert_eq!(
        (early.start_time.as_str(), early.hours),
        ("20260228230000", 11)
    );
    let late = store
        .incidents_paged(
            &IncidentFilter {
                from_day: Some("2026-02-28".into()),
                to_day: Some("2026-02-28".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(late.total, 2, "the first incident now starts on 02-28 too");
    let frames = store
        .evidence_frames("MN0001", "2061", "20260301000000", "20260301090000", 100)
        .await
        .unwrap();
    assert!(frames.is_empty(), "no frames were archived here");
}

/// Alarms raised before migration 15 are grouped into incidents on the first start after it.
async fn alarms_before_incidents_are_grouped_on_upgrade(store: Store) {
    store.migrate_to(14).await.unwrap();
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    // Raised by the old code: no incident column yet.
    macro_rules! insert {
        ($pool:expr) => {
            for (i, start) in ["20260301000000", "20260301010000", "20260301020000", "20260301050000"].iter().enumerate() {
                sqlx::query("INSERT INTO alarms (kind, mn, factor, start_time, end_time, peak, peak_time, records, context, status, raised_at, updated_at) \
                             VALUES ('exceedance', 'MN0001', 'a21026', $1, $1, $2, $1, 1, '超标', 'open', $3, $3)")
                    .bind(start).bind(format!("{}", 40 + i)).bind("2026-03-01T00:00:00.000Z")
                    .execute($pool).await.unwrap();
            }
        };
    }
    match &store {
        Store::Sqlite(pool, _) => insert!(pool),
        Store::Postgres(pool) => insert!(pool),
    }
    store.migrate().await.unwrap();
    let all = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap();
    assert_eq!(
        all.items
            .iter()
            .map(|i| (i.start_time.as_str(), i.hours, i.peak.as_deref()))
            .collect::<Vec<_>>(),
        vec![
            ("20260301050000", 1, Some("43")),
            ("20260301000000", 3, Some("42"))
        ]
    );
    assert_eq!(store.backfill_incidents().await.unwrap(), 0, "grouped once");
}

mod incidents_upgrade {
    #[tokio::test]
    async fn on_sqlite() {
        super::alarms_before_incidents_are_grouped_on_upgrade(super::sqlite_unmigrated().await)
            .await
    }
    #[tokio::test]
    async fn on_postgres() {
        if let Some((s, db)) = super::postgres_unmigrated().await {
            super::alarms_before_incidents_are_grouped_on_upgrade(s).await;
            db.remove().await
        }
    }
}

async fn data_marks_are_filed_reviewed_and_audited(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let u = reporter(&store, "marker").await;
    let new = |mn: &str, start: &str, end: Option<&str>| NewDataMark {
        mn: mn.into(),
        factor: "a21026".into(),
        kind: "maintenance".into(),
        start_time: start.into(),
        end_time: end.map(str::to_string),
        reason: "更换采样探头".into(),
        filed_at: "2026-03-01T01:00:00Z".into(),
        deadline: "2026-03-02T00:00:00Z".into(),
        late: false,
        suspicion: None,
    };
    let pdf = NewEvidence {
        file_name: "维护记录.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 test".to_vec(),
    };
    let m = store
        .file_data_mark(
            &new(
                "MN0001",
                "2026-03-01T00:00:00Z",
                Some("2026-03-01T03:00:00Z"),
            ),
            &[pdf],
            &actor(&u),
        )
        .await
        .unwrap();
    assert_eq!(
        (m.state.as_str(), m.late, m.evidence_count),
        ("pending", false, 1)
    );
    assert_eq!(m.division_code.as_deref(), Some("140902"));
    assert_eq!(m.filed_by_name.as_deref(), Some("marker 填报员"));
    let mut late = new("MN0002", "2026-02-01T00:00:00Z", None);
    late.late = true;
    late.factor = String::new();
    let open = store.file_data_mark(&late, &[], &actor(&u)).await.unwrap();
    assert!(open.late && open.end_time.is_none());
    // An unknown device is refused and nothing is stored.
    let err = store
        .file_data_mark(&new("NOPE", "2026-03-01T00:00:00Z", None), &[], &actor(&u))
        .await
        .unwrap_err();
    assert_eq!(err.kind(), "not_found");
    // A period that ends before it starts is refused by the schema.
    assert!(
        store
            .file_data_mark(
                &new(
                    "MN0001",
                    "2026-03-01T05:00:00Z",
                    Some("2026-03-01T04:00:00Z")
                ),
                &[],
                &actor(&u)
            )
            .await
            .is_err()
    );

    // Overlap: half-open periods, an open mark reaches forward.
    let over = store
        .data_marks_overlapping("MN0001", "2026-03-01T02:00:00Z", "2026-03-01T05:00:00Z")
        .await
        .unwrap();
    assert_eq!(over.iter().map(|m| m.id).collect::<Vec<_>>(), [m.id]);
    assert!(
        store
            .data_marks_overlapping("MN0001", "2026-03-01T03:00:00Z", "2026-03-01T05:00:00Z")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .data_marks_overlapping("MN0002", "2030-01-01T00:00:00Z", "2030-01-02T00:00:00Z")
            .await
            .unwrap()
            .len(),
        1
    );
    // Every device's at once, by device: what the per-device reads give, one after the other.
    let (from, to) = ("2026-02-15T00:00:00Z", "2026-03-01T05:00:00Z");
    let mut each = store
        .data_marks_overlapping("MN0001", from, to)
        .await
        .unwrap();
    each.extend(
        store
            .data_marks_overlapping("MN0002", from, to)
            .await
            .unwrap(),
    );
    assert_eq!(each.len(), 2);
    assert_eq!(
        store.data_marks_overlapping_all(from, to).await.unwrap(),
        each
    );
    assert!(
        store
            .data_marks_overlapping_all("2025-01-01T00:00:00Z", "2025-02-01T00:00:00Z")
            .await
            .unwrap()
            .is_empty()
    );

    // Filters and paging.
    let all = store
        .data_marks_paged(&DataMarkFilter::default(), 1, 0)
        .await
        .unwrap();
    assert_eq!(
        (all.total, all.items.len(), all.items[0].id),
        (2, 1, open.id)
    );
    let f = DataMarkFilter {
        late: Some(true),
        ..DataMarkFilter::default()
    };
    assert_eq!(
        store
            .data_marks_paged(&f, 10, 0)
            .await
            .unwrap()
            .items
            .iter()
            .map(|m| m.id)
            .collect::<Vec<_>>(),
        [open.id]
    );
    let f = DataMarkFilter {
        division_code: Some("140902".into()),
        kind: Some("maintenance".into()),
        state: Some("pending".into()),
        ..DataMarkFilter::default()
    };
    assert_eq!(store.data_marks_paged(&f, 10, 0).await.unwrap().total, 1);

    // Suspicion is recorded once, audited as the system's finding.
    store
        .set_data_mark_suspicion(m.id, Some("设备标识正常"))
        .await
        .unwrap();
    store
        .set_data_mark_suspicion(m.id, Some("设备标识正常"))
        .await
        .unwrap();
    let f = DataMarkFilter {
        suspicious: Some(true),
        ..DataMarkFilter::default()
    };
    assert_eq!(
        store.data_marks_paged(&f, 10, 0).await.unwrap().items[0]
            .suspicion
            .as_deref(),
        Some("设备标识正常")
    );
    let f = DataMarkFilter {
        suspicious: Some(false),
        ..DataMarkFilter::default()
    };
    assert_eq!(
        store.data_marks_paged(&f, 10, 0).await.unwrap().items[0].id,
        open.id
    );

    // Review: once, audited with the reason.
    let r = store
        .review_data_mark(m.id, false, Some("运维记录与维护时段不符"), &actor(&u))
        .await
        .unwrap();
    assert_eq!(
        (r.state.as_str(), r.review_note.as_deref()),
        ("rejected", Some("运维记录与维护时段不符"))
    );
    assert_eq!(
        store
            .review_data_mark(m.id, true, None, &actor(&u))
            .await
            .unwrap_err()
            .kind(),
        "conflict"
    );
    assert_eq!(
        store
            .review_data_mark(9999, true, None, &actor(&u))
            .await
            .unwrap_err()
            .kind(),
        "not_found"
    );
    store
        .review_data_mark(open.id, true, None, &actor(&u))
        .await
        .unwrap();

    let log = store.audit_paged(Some("data_mark."), 50, 0).await.unwrap();
    let actions: Vec<&str> = log.items.iter().rev().map(|a| a.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "data_mark.file",
            "data_mark.evidence",
            "data_mark.file",
            "data_mark.suspect",
            "data_mark.reject",
            "data_mark.accept"
        ]
    );
    let files = store.data_mark_evidence(m.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let (meta, content) = store
        .data_mark_evidence_file(files[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (meta.file_name.as_str(), content.as_slice()),
        ("维护记录.pdf", b"%PDF-1.4 test".as_slice())
    );
}

/// An order is addressed to the incident's enterprise; reply, return (new deadline), reply and
/// accept are events and audit entries; a step the state does not allow is a conflict; an
/// order past its deadline and unanswered is overdue, counted per county.
async fn orders_go_through_reply_return_and_accept(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    store
        .raise_alarm(&exceedance("20260301000000", None, "40", 3))
        .await
        .unwrap();
    let inc = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap()
        .items[0]
        .id;
    let u = reporter(&store, "orderer").await;
    let a = actor(&u);
    let o = store
        .issue_order(
            &NewOrder {
                incident_id: inc,
                title: "超标督办".into(),
                requirement: "说明超标原因并整改".into(),
                deadline: "2026-03-05T00:00:00Z".into(),
            },
            &a,
        )
        .await
        .unwrap();
    assert_eq!(o.credit_code, "9144030071526726XG");
    assert_eq!(o.division_code.as_deref(), Some("140902"));
    assert_eq!(o.state, "issued");
    assert!(matches!(
        store
            .issue_order(
                &NewOrder {
                    incident_id: 999_999,
                    title: "x".into(),
                    requirement: "x".into(),
                    deadline: "2026-03-05T00:00:00Z".into()
                },
                &a
            )
            .await,
        Err(StoreError::NotFound(_))
    ));
    // Overdue after its deadline while unanswered, not before.
    let late = OrderFilter {
        overdue_at: Some("2026-03-06T00:00:00Z".into()),
        ..Default::default()
    };
    assert_eq!(store.orders_paged(&late, 10, 0).await.unwrap().total, 1);
    let early = OrderFilter {
        overdue_at: Some("2026-03-04T00:00:00Z".into()),
        ..Default::default()
    };
    assert_eq!(store.orders_paged(&early, 10, 0).await.unwrap().total, 0);
    assert_eq!(
        store
            .overdue_orders_by_county("2026-03-06T00:00:00Z")
            .await
            .unwrap(),
        vec![(Some("140902".to_string()), 1)]
    );
    // Accept before a reply is refused.
    assert!(matches!(
        store
            .order_step(o.id, OrderStep::Accept, None, None, &[], &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let pdf = NewEvidence {
        file_name: "整改报告.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 order".to_vec(),
    };
    let r = store
        .order_step(o.id, OrderStep::Reply, Some("已更换滤袋"), None, &[pdf], &a)
        .await
        .unwrap();
    assert_eq!(r.state, "replied");
    assert_eq!(
        store.orders_paged(&late, 10, 0).await.unwrap().total,
        0,
        "answered is not overdue"
    );
    let r = store
        .order_step(
            o.id,
            OrderStep::Return,
            Some("缺少监测报告"),
            Some("2026-03-10T00:00:00Z"),
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (r.state.as_str(), r.deadline.as_str()),
        ("returned", "2026-03-10T00:00:00Z")
    );
    store
        .order_step(o.id, OrderStep::Reply, Some("补充报告"), None, &[], &a)
        .await
        .unwrap();
    let r = store
        .order_step(o.id, OrderStep::Accept, Some("同意办结"), None, &[], &a)
        .await
        .unwrap();
    assert_eq!(r.state, "accepted");
    assert!(matches!(
        store
            .order_step(o.id, OrderStep::Escalate, None, None, &[], &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let kinds: Vec<String> = store
        .order_events(o.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["issue", "reply", "return", "reply", "accept"]);
    let ev = store.order_evidence(o.id).await.unwrap();
    assert_eq!(ev.len(), 1);
    let (meta, bytes) = store.order_evidence_file(ev[0].id).await.unwrap().unwrap();
    assert_eq!(
        (meta.file_name.as_str(), bytes.as_slice()),
        ("整改报告.pdf", b"%PDF-1.4 order".as_slice())
    );
    let log: Vec<String> = store
        .audit_log(Some("order."), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        log,
        [
            "order.accept",
            "order.reply",
            "order.return",
            "order.evidence",
            "order.reply",
            "order.issue"
        ]
    );
    let f = OrderFilter {
        credit_code: Some("nobody".into()),
        ..Default::default()
    };
    assert_eq!(store.orders_paged(&f, 10, 0).await.unwrap().total, 0);
}

/// A case opened from an order's incident makes the order 转立案 in the same transaction; it is
/// numbered per year; its steps follow 立案 → 处罚决定 → 整改 → 复查 (failed once, then passed)
/// → 销号, each an event and an audit entry; a step out of turn is a conflict; a case on another
/// enterprise's incident, or an order already closed, is refused and changes nothing.
async fn cases_go_from_filing_to_closing(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    store
        .raise_alarm(&exceedance("20260301000000", None, "40", 3))
        .await
        .unwrap();
    let inc = store
        .incidents_paged(&IncidentFilter::default(), 10, 0)
        .await
        .unwrap()
        .items[0]
        .id;
    let u = reporter(&store, "caseworker").await;
    let a = actor(&u);
    let o = store
        .issue_order(
            &NewOrder {
                incident_id: inc,
                title: "超标督办".into(),
                requirement: "说明超标原因".into(),
                deadline: "2026-03-05T00:00:00Z".into(),
            },
            &a,
        )
        .await
        .unwrap();
    let basis = CaseBasis {
        basis_code: "air-99-2".into(),
        citation: "《中华人民共和国大气污染防治法》第九十九条第（二）项".into(),
        violation: "超标排放".into(),
        fine_range: Some("10万元以上100万元以下".into()),
    };
    let new_case = |order_id, incidents: Vec<i64>| NewCase {
        year: 2026,
        incident_ids: incidents,
        order_id,
        title: "超标排放大气污染物".into(),
        facts: "2026年3月1日二氧化硫小时浓度连续超标".into(),
        bases: vec![basis.clone()],
    };
    assert!(matches!(
        store
            .open_case(&new_case(None, vec![999_999]), &[], &a)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let doc = evidence(
        "现场检查笔录.pdf",
        "application/pdf",
        b"%PDF-1.4 case".to_vec(),
    );
    let c = store
        .open_case(&new_case(Some(o.id), vec![inc]), &[doc], &a)
        .await
        .unwrap();
    assert_eq!(c.case_number, "2026-0001");
    assert_eq!(c.state, "filed");
    assert_eq!(c.credit_code, "9144030071526726XG");
    assert_eq!(c.division_code.as_deref(), Some("140902"));
    assert_eq!(store.order(o.id).await.unwrap().unwrap().state, "escalated");
    assert_eq!(store.case_incident_ids(c.id).await.unwrap(), vec![inc]);
    assert_eq!(store.case_bases(c.id).await.unwrap(), vec![basis.clone()]);
    assert_eq!(
        store.cases_of_incident(inc).await.unwrap(),
        vec![(c.id, "2026-0001".to_string(), "filed".to_string())]
    );
    // The order is escalated now: a second case from it is refused, and nothing is written.
    assert!(matches!(
        store
            .open_case(&new_case(Some(o.id), vec![inc]), &[], &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let second = store
        .open_case(&new_case(None, vec![inc]), &[], &a)
        .await
        .unwrap();
    assert_eq!(second.case_number, "2026-0002");
    // Out of turn.
    assert!(matches!(
        store.case_step(c.id, &CaseStep::Close, None, &[], &a).await,
        Err(StoreError::Conflict(_))
    ));
    let decide = CaseStep::Decide {
        decision_number: "忻环罚〔2026〕12号".into(),
        decision_date: "2026-03-20".into(),
        measures: "rectify,fine".into(),
        penalty_fen: Some(15_000_000),
        rectify_deadline: Some("2026-04-20T00:00:00Z".into()),
    };
    let c = store
        .case_step(c.id, &decide, Some("责令改正并处罚款"), &[], &a)
        .await
        .unwrap();
    assert_eq!(c.state, "rectifying");
    assert_eq!(c.penalty_fen, Some(15_000_000));
    assert_eq!(c.decision_number.as_deref(), Some("忻环罚〔2026〕12号"));
    let overdue = CaseFilter {
        overdue_at: Some("2026-04-21T00:00:00Z".into()),
        ..Default::default()
    };
    assert_eq!(store.cases_paged(&overdue, 10, 0).await.unwrap().total, 1);
    let report = evidence(
        "整改报告.pdf",
        "application/pdf",
        b"%PDF-1.4 report".to_vec(),
    );
    store
        .case_step(
            c.id,
            &CaseStep::Report,
            Some("已更换脱硫设备"),
            &[report],
            &a,
        )
        .await
        .unwrap();
    let c = store
        .case_step(
            c.id,
            &CaseStep::CheckFail {
                new_deadline: "2026-05-20T00:00:00Z".into(),
            },
            Some("复查仍超标"),
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(c.state, "rectifying");
    assert_eq!(c.rectify_deadline.as_deref(), Some("2026-05-20T00:00:00Z"));
    assert_eq!(store.cases_paged(&overdue, 10, 0).await.unwrap().total, 0);
    store
        .case_step(c.id, &CaseStep::CheckPass, Some("复查达标"), &[], &a)
        .await
        .unwrap();
    let c = store
        .case_step(c.id, &CaseStep::Close, Some("同意销号"), &[], &a)
        .await
        .unwrap();
    assert_eq!(c.state, "closed");
    assert!(c.closed_at.is_some());
    let kinds: Vec<String> = store
        .case_events(c.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            "file",
            "decide",
            "report",
            "check_fail",
            "check_pass",
            "close"
        ]
    );
    let docs = store.case_evidence(c.id).await.unwrap();
    assert_eq!(docs.len(), 2);
    let (meta, bytes) = store.case_evidence_file(docs[1].id).await.unwrap().unwrap();
    assert_eq!(
        (meta.file_name.as_str(), bytes.as_slice()),
        ("整改报告.pdf", b"%PDF-1.4 report".as_slice())
    );
    let actions: Vec<String> = store
        .audit_log(Some("case."), 20)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "case.close",
            "case.check",
            "case.check",
            "case.evidence",
            "case.report",
            "case.decide",
            "case.file",
            "case.evidence",
            "case.file"
        ]
    );
    let mine = CaseFilter {
        credit_code: Some("9144030071526726XG".into()),
        state: Some("closed".into()),
        ..Default::default()
    };
    assert_eq!(store.cases_paged(&mine, 10, 0).await.unwrap().total, 1);
}

/// A look for gaps records its progress and the gaps in one step, each gap audited; a gap
/// moves through its states (an unknown state is refused) and is listed newest first.
async fn data_gaps_are_recorded_moved_on_and_audited(store: Store) {
    let scan = GapScan {
        mn: "MN0001".into(),
        cn: "2051".into(),
        first_data_time: "20260101000000".into(),
        scanned_to: "20260101120000".into(),
        interval_secs: 60,
    };
    let gap = |b: &str, e: &str, n| NewDataGap {
        mn: "MN0001".into(),
        cn: "2051".into(),
        begin_time: b.into(),
        end_time: e.into(),
        interval_secs: 60,
        expected: n,
    };
    let ids = store
        .record_gap_scan(
            &scan,
            &[
                gap("20260101030000", "20260101060000", 180),
                gap("20260101070000", "20260101071000", 10),
            ],
        )
        .await
        .unwrap();
    assert_eq!(ids.len(), 2);
    // The look goes on: the progress row is replaced, not added.
    let later = GapScan {
        scanned_to: "20260101130000".into(),
        ..scan.clone()
    };
    store.record_gap_scan(&later, &[]).await.unwrap();
    assert_eq!(store.gap_scans().await.unwrap(), vec![later]);
    assert_eq!(
        store.audit_log(Some("data_gap."), 10).await.unwrap().len(),
        2
    );

    let open = store.open_data_gaps().await.unwrap();
    assert_eq!(open.len(), 2);
    assert!(open.iter().all(|g| g.state == "pending" && g.tries == 0));
    let over = store
        .gaps_overlapping("MN0001", "2051", "20260101055900", "20260101070100")
        .await
        .unwrap();
    assert_eq!(over.iter().map(|g| g.id).collect::<Vec<_>>(), ids);
    assert!(
        store
            .gaps_overlapping("MN0001", "2061", "20260101000000", "20260102000000")
            .await
            .unwrap()
            .is_empty()
    );

    let update = GapUpdate {
        id: ids[0],
        state: "requesting".into(),
        tries: 1,
        next_try: None,
        command_id: Some(7),
        filled: 0,
    };
    store
        .update_data_gap(&update, Some(("data_gap.request", "请求 2051".into())))
        .await
        .unwrap();
    let g = store.data_gap(ids[0]).await.unwrap().unwrap();
    assert_eq!(
        (g.state.as_str(), g.tries, g.command_id),
        ("requesting", 1, Some(7))
    );
    let bad = GapUpdate {
        state: "lost".into(),
        ..update.clone()
    };
    assert!(store.update_data_gap(&bad, None).await.is_err());
    let failed = GapUpdate {
        id: ids[1],
        state: "failed".into(),
        tries: 3,
        next_try: None,
        command_id: Some(9),
        filled: 0,
    };
    store.update_data_gap(&failed, None).await.unwrap();
    assert_eq!(store.open_data_gaps().await.unwrap().len(), 1);
    let page = store.data_gaps("MN0001", 1, 0).await.unwrap();
    assert_eq!(page.total, 2);
    assert_eq!(page.items[0].id, ids[1]);
    assert_eq!(page.items[0].state, "failed");
    assert!(
        store
            .data_gaps("MN0002", 10, 0)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let audit = store.audit_log(Some("data_gap.request"), 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].new_value.as_deref(), Some("requesting"));
}

/// Period data for a recorded gap is marked backfilled and stored once per DataTime whatever
/// QN it comes with (a history answer repeats data under new QNs); data outside gaps is
/// stored by the usual key.
async fn backfilled_data_is_marked_and_stored_once(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let with_qn = |dt: &str, qn: &str| {
        let mut f = upload_cn("MN0001", "2051", dt, "1.5");
        if let Some(u) = f.upload.as_mut() {
            u.qn = qn.into();
        }
        f
    };
    // Live minute data at 10:00 and 10:04; 10:01–10:03 missing.
    store
        .ingest(&[
            with_qn("20260101100000", "a"),
            with_qn("20260101100400", "b"),
        ])
        .await
        .unwrap();
    let scan = GapScan {
        mn: "MN0001".into(),
        cn: "2051".into(),
        first_data_time: "20260101100000".into(),
        scanned_to: "20260101100500".into(),
        interval_secs: 60,
    };
    store
        .record_gap_scan(
            &scan,
            &[NewDataGap {
                mn: "MN0001".into(),
                cn: "2051".into(),
                begin_time: "20260101100100".into(),
                end_time: "20260101100400".into(),
                interval_secs: 60,
                expected: 3,
            }],
        )
        .await
        .unwrap();
    // The history answer: 10:01 twice in one batch (two QNs), 10:02, and 10:04 again, which
    // lies outside the gap and keeps the usual key (a resend with its own QN is its own row).
    let outcomes = store
        .ingest(&[
            with_qn("20260101100100", "h1"),
            with_qn("20260101100100", "h2"),
            with_qn("20260101100200", "h1"),
            with_qn("20260101100400", "b"),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcomes,
        [
            IngestOutcome::Stored,
            IngestOutcome::Duplicate,
            IngestOutcome::Stored,
            IngestOutcome::Duplicate
        ]
    );
    // Asked again (the request was retried): 10:01 and 10:02 are stored already, 10:03 is new.
    let again = store
        .ingest(&[
            with_qn("20260101100100", "h3"),
            with_qn("20260101100200", "h3"),
            with_qn("20260101100300", "h3"),
        ])
        .await
        .unwrap();
    assert_eq!(
        again,
        [
            IngestOutcome::Duplicate,
            IngestOutcome::Duplicate,
            IngestOutcome::Stored
        ]
    );
    let rows = store
        .period_times("MN0001", "2051", "20260101000000", "20260102000000")
        .await
        .unwrap();
    assert_eq!(
        rows,
        [
            ("20260101100000".to_string(), false),
            ("20260101100100".to_string(), true),
            ("20260101100200".to_string(), true),
            ("20260101100300".to_string(), true),
            ("20260101100400".to_string(), false),
        ]
    );
    assert_eq!(
        store
            .backfilled_count("MN0001", "2051", "20260101000000", "20260102000000")
            .await
            .unwrap(),
        (3, 5)
    );
    // Another device's data at the same times is not backfilled.
    let mut other = with_qn("20260101100100", "z");
    other.mn = Some("MN0002".into());
    if let Some(u) = other.upload.as_mut() {
        u.mn = "MN0002".into();
    }
    assert_eq!(
        store.ingest(&[other]).await.unwrap(),
        [IngestOutcome::Stored]
    );
    assert_eq!(
        store
            .period_times("MN0002", "2051", "20260101000000", "20260102000000")
            .await
            .unwrap(),
        [("20260101100100".to_string(), false)]
    );
}

fn new_command(mn: &str, cn: &str, params: &str) -> NewDeviceCommand {
    NewDeviceCommand {
        mn: mn.into(),
        cn: cn.into(),
        params: params.into(),
        reason: None,
        audit_text: format!("测试 {cn}"),
    }
}

/// Commands of one device are claimed one at a time in the order they were queued; events
/// move the state and keep the frames; a final state is not left again; the audit log names
/// who asked.
async fn device_commands_queue_in_order_and_keep_their_frames(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    assert_eq!(
        store.device_protocol("MN0002").await.unwrap().as_deref(),
        Some("2005")
    );
    assert_eq!(store.device_protocol("NOPE").await.unwrap(), None);
    let staff = Actor {
        user_id: None,
        name: "张三".into(),
        peer: Some("10.0.0.1".into()),
    };
    let first = store
        .queue_device_command(&new_command("MN0001", "1012", ""), &staff)
        .await
        .unwrap();
    let system = NewDeviceCommand {
        reason: Some("补传缺失数据".into()),
        ..new_command(
            "MN0001",
            "2051",
            "BeginTime=20261203000000;EndTime=20261203010000",
        )
    };
    let second = store
        .queue_device_command(&system, &Actor::system())
        .await
        .unwrap();
    store
        .queue_device_command(&new_command("MN0002", "1011", ""), &staff)
        .await
        .unwrap();
    assert_eq!(store.device_commands_in_flight("MN0001").await.unwrap(), 2);
    assert_eq!(
        store.devices_with_queued_commands().await.unwrap(),
        vec!["MN0001".to_string(), "MN0002".to_string()]
    );

    let c = store.claim_device_command("MN0001").await.unwrap().unwrap();
    assert_eq!(
        (c.id, c.state.as_str(), c.asked_by.as_str()),
        (first, "sent", "张三")
    );
    // One at a time: the second waits while the first is executed.
    assert!(
        store
            .claim_device_command("MN0001")
            .await
            .unwrap()
            .is_none()
    );
    let at = "2026-12-03T05:00:00.000Z".to_string();
    store
        .apply_command_events(&[
            CommandEvent::Sent {
                command_id: first,
                qn: "20261203130000000".into(),
                at: at.clone(),
            },
            CommandEvent::Frame {
                command_id: first,
                at: at.clone(),
                outbound: true,
                cn: "1012".into(),
                frame: "##0001QN=20261203130000000;CN=1012".into(),
            },
            CommandEvent::Frame {
                command_id: first,
                at: at.clone(),
                outbound: false,
                cn: "9011".into(),
                frame: "##0002QN=20261203130000000;CN=9011".into(),
            },
            CommandEvent::Accepted {
                command_id: first,
                qn_rtn: 1,
                at: at.clone(),
            },
            CommandEvent::Frame {
                command_id: first,
                at: at.clone(),
                outbound: false,
                cn: "9012".into(),
                frame: "##0003QN=20261203130000000;CN=9012".into(),
            },
            CommandEvent::Finished {
                command_id: first,
                state: CommandState::Done,
                exe_rtn: Some(1),
                note: None,
                at: at.clone(),
            },
        ])
        .await
        .unwrap();
    let done = store.device_command(first).await.unwrap().unwrap();
    assert_eq!(
        (done.state(), done.attempts, done.qn_rtn, done.exe_rtn),
        (Some(CommandState::Done), 1, Some(1), Some(1))
    );
    assert_eq!(done.qn.as_deref(), Some("20261203130000000"));
    assert_eq!(done.finished_at.as_deref(), Some(at.as_str()));
    // A late event does not reopen a finished command.
    store
        .apply_command_events(&[CommandEvent::Finished {
            command_id: first,
            state: CommandState::TimedOut,
            exe_rtn: None,
            note: Some("迟到".into()),
            at: at.clone(),
        }])
        .await
        .unwrap();
    assert_eq!(
        store.device_command(first).await.unwrap().unwrap().state(),
        Some(CommandState::Done)
    );
    let frames = store.device_command_frames(&[first], 2).await.unwrap();
    assert_eq!(
        frames
            .iter()
            .map(|f| (f.direction.as_str(), f.cn.as_str()))
            .collect::<Vec<_>>(),
        vec![("out", "1012"), ("in", "9011")]
    );
    assert_eq!(
        store
            .device_command_frames(&[first, second], 50)
            .await
            .unwrap()
            .len(),
        3
    );

    let c = store.claim_device_command("MN0001").await.unwrap().unwrap();
    assert_eq!(
        (c.id, c.asked_by.as_str(), c.reason.as_deref()),
        (second, "system", Some("补传缺失数据"))
    );
    store
        .apply_command_events(&[
            CommandEvent::Sent {
                command_id: second,
                qn: "Q2".into(),
                at: at.clone(),
            },
            CommandEvent::Accepted {
                command_id: second,
                qn_rtn: 1,
                at: at.clone(),
            },
            CommandEvent::Data {
                command_id: second,
                result: None,
                at: at.clone(),
            },
            CommandEvent::Data {
                command_id: second,
                result: None,
                at: at.clone(),
            },
            CommandEvent::Finished {
                command_id: second,
                state: CommandState::Failed,
                exe_rtn: Some(100),
                note: None,
                at: at.clone(),
            },
        ])
        .await
        .unwrap();
    let failed = store.device_command(second).await.unwrap().unwrap();
    assert_eq!(
        (failed.state.as_str(), failed.data_frames, failed.exe_rtn),
        ("failed", 2, Some(100))
    );
    assert!(
        store
            .claim_device_command("MN0001")
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(store.device_commands_in_flight("MN0001").await.unwrap(), 0);

    let page = store.device_commands_paged("MN0001", 1, 0).await.unwrap();
    assert_eq!((page.total, page.items[0].id), (2, second), "newest first");
    let log = store
        .audit_log(Some("device_command.queue"), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 3);
    assert!(
        log.iter().any(|e| e.actor == "system"
            && e.detail
                .as_deref()
                .is_some_and(|d| d.contains("补传缺失数据"))),
        "{log:?}"
    );
    assert!(
        log.iter()
            .any(|e| e.actor == "张三" && e.target == "device:MN0001"),
        "{log:?}"
    );
    // A refusal is final too.
    let c = store.claim_device_command("MN0002").await.unwrap().unwrap();
    store
        .apply_command_events(&[CommandEvent::Refused {
            command_id: c.id,
            qn_rtn: 3,
            at: at.clone(),
        }])
        .await
        .unwrap();
    let r = store.device_command(c.id).await.unwrap().unwrap();
    assert_eq!((r.state.as_str(), r.qn_rtn), ("refused", Some(3)));
}

/// 1072: the registry keeps the old password until the device confirms; the confirmation
/// changes it (and the registry version the gateway watches) and is audited without the
/// password.
async fn device_command_password_changes_the_registry_only_when_confirmed(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let id = store
        .queue_device_command(
            &new_command("MN0001", "1072", "NewPW=abc123"),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store.claim_device_command("MN0001").await.unwrap().unwrap();
    let pw = |s: Store| async move {
        s.registered_devices()
            .await
            .unwrap()
            .into_iter()
            .find(|d| d.mn == "MN0001")
            .unwrap()
            .password
    };
    assert_eq!(pw(store.clone()).await, "123456");
    let version = store.registry_version().await.unwrap();
    store
        .apply_command_events(&[CommandEvent::Accepted {
            command_id: id,
            qn_rtn: 1,
            at: now_text(),
        }])
        .await
        .unwrap();
    assert_eq!(
        pw(store.clone()).await,
        "123456",
        "9011 alone changes nothing"
    );
    store
        .apply_command_events(&[
            CommandEvent::Finished {
                command_id: id,
                state: CommandState::Done,
                exe_rtn: Some(1),
                note: None,
                at: now_text(),
            },
            CommandEvent::PasswordConfirmed {
                command_id: id,
                mn: "MN0001".into(),
                new_pw: "abc123".into(),
            },
        ])
        .await
        .unwrap();
    assert_eq!(pw(store.clone()).await, "abc123");
    assert!(store.registry_version().await.unwrap() > version);
    let log = store
        .audit_log(Some("device_command.password"), 10)
        .await
        .unwrap();
    assert_eq!(log.len(), 1);
    let text = format!("{:?}", log[0]);
    assert!(
        !text.contains("abc123") && !text.contains("123456"),
        "{text}"
    );
}

/// Commands nobody follows any more time out: in flight and untouched since the cutoff, or
/// queued for a device that never connected.
async fn device_commands_nobody_follows_time_out(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let a = store
        .queue_device_command(&new_command("MN0001", "1011", ""), &Actor::cli())
        .await
        .unwrap();
    let b = store
        .queue_device_command(&new_command("MN0002", "1011", ""), &Actor::cli())
        .await
        .unwrap();
    store.claim_device_command("MN0001").await.unwrap().unwrap();
    store
        .apply_command_events(&[CommandEvent::Sent {
            command_id: a,
            qn: "Q".into(),
            at: "2026-01-01T00:00:00.000Z".into(),
        }])
        .await
        .unwrap();
    // Cut-offs before everything: nothing changes.
    assert_eq!(
        store
            .expire_device_commands("2000-01-01T00:00:00.000Z", "2000-01-01T00:00:00.000Z")
            .await
            .unwrap(),
        0
    );
    assert_eq!(
        store
            .expire_device_commands("2026-06-01T00:00:00.000Z", "2000-01-01T00:00:00.000Z")
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .device_command(a)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str(),
        "timed_out"
    );
    assert_eq!(
        store
            .device_command(b)
            .await
            .unwrap()
            .unwrap()
            .state
            .as_str(),
        "queued"
    );
    assert_eq!(
        store
            .expire_device_commands("2000-01-01T00:00:00.000Z", &text_in(60))
            .await
            .unwrap(),
        1
    );
    let expired = store.device_command(b).await.unwrap().unwrap();
    assert_eq!(expired.state.as_str(), "timed_out");
    assert!(expired.note.unwrap().contains("未连接"));
}

fn param(code: &str, value: &str, dt: &str, sha: &str) -> NewAnalyserParam {
    NewAnalyserParam {
        mn: "MNPARAM".into(),
        factor: "w01018".into(),
        code: code.into(),
        value: value.into(),
        data_time: dt.into(),
        received_at: "2026-12-03T06:00:00.000Z".into(),
        qn: format!("{dt}000"),
        frame_sha256: sha.into(),
        changed: false,
        previous_value: None,
        previous_time: None,
        mark_id: None,
        alarm_id: None,
    }
}

/// Parameter values are added, never overwritten: a resent frame adds nothing, a new upload
/// is a new revision, the latest per factor and code is what the next one is compared with,
/// and the history pages newest first.
async fn analyser_params_keep_every_revision(store: Store) {
    let first = vec![
        param("i13001", "500", "20261203130000", "aa"),
        param("i13008", "1.00", "20261203130000", "aa"),
    ];
    assert_eq!(store.record_analyser_params(&first).await.unwrap(), 2);
    // The same frame again (a resend): nothing added.
    assert_eq!(store.record_analyser_params(&first).await.unwrap(), 0);
    assert!(
        store
            .analyser_frame_recorded("MNPARAM", "aa")
            .await
            .unwrap()
    );
    assert!(
        !store
            .analyser_frame_recorded("MNPARAM", "bb")
            .await
            .unwrap()
    );
    let mut changed = param("i13001", "1000", "20261203140000", "bb");
    changed.changed = true;
    changed.previous_value = Some("500".into());
    changed.previous_time = Some("20261203130000".into());
    changed.alarm_id = Some(7);
    assert_eq!(store.record_analyser_params(&[changed]).await.unwrap(), 1);
    let latest = store.latest_analyser_params("MNPARAM").await.unwrap();
    let values: Vec<(&str, &str, bool)> = latest
        .iter()
        .map(|a| (a.code.as_str(), a.value.as_str(), a.changed))
        .collect();
    assert_eq!(
        values,
        vec![("i13001", "1000", true), ("i13008", "1.00", false)]
    );
    assert_eq!(latest[0].previous_value.as_deref(), Some("500"));
    assert_eq!(latest[0].alarm_id, Some(7));
    assert!(
        store
            .latest_analyser_params("OTHER")
            .await
            .unwrap()
            .is_empty()
    );
    let page = store
        .analyser_params_paged("MNPARAM", None, 2, 0)
        .await
        .unwrap();
    assert_eq!(page.total, 3);
    assert_eq!(page.items.len(), 2);
    assert_eq!(page.items[0].value, "1000");
    let rest = store
        .analyser_params_paged("MNPARAM", Some("w01018"), 2, 2)
        .await
        .unwrap();
    assert_eq!((rest.total, rest.items.len()), (3, 1));
    let none = store
        .analyser_params_paged("MNPARAM", Some("a21026"), 10, 0)
        .await
        .unwrap();
    assert_eq!((none.total, none.items.len()), (0, 0));
}

/// Clock states are written whole per device and read back by device, many at once.
async fn device_clocks_are_saved_whole_by_device(store: Store) {
    assert!(store.device_clock("MNCLOCK1").await.unwrap().is_none());
    let a = DeviceClock {
        mn: "MNCLOCK1".into(),
        offset_secs: Some(900),
        measured_at: Some("2026-12-03T06:00:00.000Z".into()),
        source_cn: Some("2011".into()),
        source_data_time: Some("20261203141500".into()),
        head_2011: Some("20261203141500".into()),
        drift_start: Some("2026-12-03T06:00:00.000Z".into()),
        drift_peak_secs: Some(900),
        ..DeviceClock::default()
    };
    let b = DeviceClock {
        mn: "MNCLOCK2".into(),
        offset_secs: Some(-30),
        head_2061: Some("20261203130000".into()),
        ..DeviceClock::default()
    };
    store
        .save_device_clocks(&[a.clone(), b.clone()])
        .await
        .unwrap();
    assert_eq!(
        store.device_clock("MNCLOCK1").await.unwrap(),
        Some(a.clone())
    );
    // A later state replaces the whole row: an ended drift leaves no start behind.
    let ended = DeviceClock {
        offset_secs: Some(2),
        drift_start: None,
        drift_peak_secs: None,
        ..a
    };
    store
        .save_device_clocks(std::slice::from_ref(&ended))
        .await
        .unwrap();
    let mut both = store
        .device_clocks(&["MNCLOCK2", "MNCLOCK1", "MNNONE"])
        .await
        .unwrap();
    both.sort_by(|x, y| x.mn.cmp(&y.mn));
    assert_eq!(both, vec![ended, b]);
}

/// 绩效分级: an application goes applied → reviewed → published with its documents and events;
/// a second open application in the same industry is refused; a direct record replaces the
/// published grade (superseded, kept); a returned one never reaches the public list; every step
/// is audited.
async fn heavy_grades_are_applied_reviewed_published_and_superseded(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let u = reporter(&store, "grader").await;
    let a = actor(&u);
    let new = |credit: &str, grade: &str, kind: &str| NewHeavyGrade {
        credit_code: credit.into(),
        industry: "coking".into(),
        grade: grade.into(),
        valid_from: "2026-01-01".into(),
        valid_to: Some("2026-12-31".into()),
        kind: kind.into(),
        public_note: None,
        note: Some("申请 B 级".into()),
    };
    assert!(matches!(
        store
            .heavy_grade_apply(&new("91000000000000000X", "B", "apply"), &[], &a)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let doc = evidence(
        "绩效分级申请表.pdf",
        "application/pdf",
        b"%PDF-1.4 grade".to_vec(),
    );
    let g = store
        .heavy_grade_apply(&new("9144030071526726XG", "B", "apply"), &[doc], &a)
        .await
        .unwrap();
    assert_eq!(
        (g.state.as_str(), g.division_code.as_deref()),
        ("applied", Some("140902"))
    );
    assert!(matches!(
        store
            .heavy_grade_apply(&new("9144030071526726XG", "A", "upgrade"), &[], &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .heavy_grade_step(g.id, HeavyGradeStep::Publish, None, &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let g = store
        .heavy_grade_step(
            g.id,
            HeavyGradeStep::Approve,
            Some("材料齐全，现场核查属实"),
            &a,
        )
        .await
        .unwrap();
    assert_eq!(g.state, "reviewed");
    assert_eq!(g.internal_note.as_deref(), Some("材料齐全，现场核查属实"));
    assert!(store.heavy_grades_published().await.unwrap().is_empty());
    let g = store
        .heavy_grade_step(g.id, HeavyGradeStep::Publish, None, &a)
        .await
        .unwrap();
    assert_eq!(g.state, "published");
    assert!(g.published_at.is_some());
    let published = store.heavy_grades_published().await.unwrap();
    assert_eq!(published.iter().map(|p| p.id).collect::<Vec<_>>(), [g.id]);
    let files = store.heavy_grade_evidence(g.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let (f, content) = store
        .heavy_grade_evidence_file(files[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (f.file_name.as_str(), content.as_slice()),
        ("绩效分级申请表.pdf", b"%PDF-1.4 grade".as_slice())
    );
    // A direct record replaces it; the old one is kept as superseded.
    let d = store
        .heavy_grade_apply(&new("9144030071526726XG", "A", "direct"), &[], &a)
        .await
        .unwrap();
    assert_eq!(d.state, "published");
    assert_eq!(
        store.heavy_grade(g.id).await.unwrap().unwrap().state,
        "superseded"
    );
    let published = store.heavy_grades_published().await.unwrap();
    assert_eq!(
        published
            .iter()
            .map(|p| (p.id, p.grade.as_str()))
            .collect::<Vec<_>>(),
        [(d.id, "A")]
    );
    let kinds: Vec<String> = store
        .heavy_grade_events(g.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, ["apply", "approve", "publish", "supersede"]);
    // A returned application stays out of the public list.
    let r = store
        .heavy_grade_apply(&new("91110000802100433B", "C", "apply"), &[], &a)
        .await
        .unwrap();
    let r = store
        .heavy_grade_step(r.id, HeavyGradeStep::Return, Some("缺少监测报告"), &a)
        .await
        .unwrap();
    assert_eq!(r.state, "returned");
    assert!(
        store
            .heavy_grades_published()
            .await
            .unwrap()
            .iter()
            .all(|p| p.id != r.id)
    );
    let by_county = store
        .heavy_grades_paged(
            &HeavyGradeFilter {
                division_code: Some("140981".into()),
                ..Default::default()
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        by_county.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        [r.id]
    );
    let actions: Vec<String> = store
        .audit_log(Some("heavy_grade."), 50)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "heavy_grade.apply",
            "heavy_grade.evidence",
            "heavy_grade.approve",
            "heavy_grade.publish",
            "heavy_grade.record",
            "heavy_grade.supersede",
            "heavy_grade.apply",
            "heavy_grade.return"
        ]
    );
}

/// 应急减排清单: entries and baselines are revisions (history kept, latest counts), outlets are
/// checked against the registry and resolve to their devices' MNs, a removed entry leaves the
/// list, and every write is audited.
async fn heavy_reduction_list_is_revised_never_overwritten(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let u = reporter(&store, "lister").await;
    let a = actor(&u);
    let kg = |so2: &str, nox: &str| Kg4 {
        so2: so2.into(),
        nox: nox.into(),
        pm: "0".into(),
        vocs: "0".into(),
    };
    let entry = |outlets: Vec<String>, so2: &str| NewHeavyReduction {
        credit_code: "9144030071526726XG".into(),
        level: "yellow".into(),
        measures: vec![
            HeavyMeasure {
                code: "limit".into(),
                percent: Some("20".into()),
                process: None,
            },
            HeavyMeasure {
                code: "stop_process".into(),
                percent: None,
                process: Some("2号焦炉推焦".into()),
            },
        ],
        reduction: kg(so2, "1.5"),
        outlet_codes: outlets,
        note: None,
    };
    assert!(matches!(
        store
            .heavy_reduction_save(&entry(vec!["DA999".into()], "1"), &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let first = store
        .heavy_reduction_save(&entry(vec!["DA001".into()], "1.25"), &a)
        .await
        .unwrap();
    assert_eq!(first.revision, 1);
    assert_eq!(first.mns, ["MN0001"]);
    assert_eq!(first.division_code.as_deref(), Some("140902"));
    assert_eq!(first.measures[1].process.as_deref(), Some("2号焦炉推焦"));
    let second = store
        .heavy_reduction_save(&entry(vec!["DA001".into()], "2.500"), &a)
        .await
        .unwrap();
    assert_eq!(
        (second.revision, second.reduction.so2.as_str()),
        (2, "2.500")
    );
    let list = store.heavy_reductions("yellow").await.unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].id, second.id);
    assert!(store.heavy_reductions("orange").await.unwrap().is_empty());
    let history = store
        .heavy_reduction_history("9144030071526726XG", "yellow")
        .await
        .unwrap();
    assert_eq!(
        history
            .iter()
            .map(|h| h.reduction.so2.as_str())
            .collect::<Vec<_>>(),
        ["2.500", "1.25"]
    );
    store
        .heavy_baseline_save(
            "9144030071526726XG",
            &kg("10", "20"),
            Some("2025 年正常工况"),
            &a,
        )
        .await
        .unwrap();
    let b = store
        .heavy_baseline_save("9144030071526726XG", &kg("12", "20"), None, &a)
        .await
        .unwrap();
    assert_eq!((b.revision, b.baseline.so2.as_str()), (2, "12"));
    assert_eq!(
        store
            .heavy_baseline_history("9144030071526726XG")
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(matches!(
        store
            .heavy_baseline_save("91000000000000000X", &kg("1", "1"), None, &a)
            .await,
        Err(StoreError::NotFound(_))
    ));
    store
        .heavy_reduction_remove("9144030071526726XG", "yellow", "企业已关停", &a)
        .await
        .unwrap();
    assert!(store.heavy_reductions("yellow").await.unwrap().is_empty());
    assert!(
        store
            .heavy_reduction("9144030071526726XG", "yellow")
            .await
            .unwrap()
            .is_none()
    );
    assert!(matches!(
        store
            .heavy_reduction_remove("9144030071526726XG", "yellow", "再次移出", &a)
            .await,
        Err(StoreError::NotFound(_))
    ));
    let actions: Vec<String> = store
        .audit_log(Some("heavy_"), 50)
        .await
        .unwrap()
        .into_iter()
        .rev()
        .map(|e| e.action)
        .collect();
    assert_eq!(
        actions,
        [
            "heavy_reduction.save",
            "heavy_reduction.save",
            "heavy_baseline.save",
            "heavy_baseline.save",
            "heavy_reduction.remove"
        ]
    );
}

/// A warning is issued with its notices, raised (old notices superseded, new ones sent) and
/// lifted; each step is an event and an audit entry; an enterprise confirms a notice once; a
/// lifted warning takes no more steps. The alarm kind 未落实减排措施 is accepted by the schema
/// (migration 0024 rebuilt the SQLite table) and existing alarms survive.
async fn heavy_warnings_record_each_step_and_its_notices(store: Store) {
    let u = reporter(&store, "warner").await;
    let a = actor(&u);
    let draft = |code: &str| NoticeDraft {
        credit_code: code.into(),
        enterprise: format!("企业{code}"),
        division_code: Some("140902".into()),
        measures: "限产 30 %".into(),
        reductions: r#"[{"pollutant":"so2","reduction_kg_h":"3","baseline_kg_h":"10"}]"#.into(),
        mns: r#"["MN0001"]"#.into(),
    };
    let step = |level: &str, at: &str| WarningStepInput {
        level: level.into(),
        effective_at: at.into(),
        forecast: Some("AQI 220, 230, 240".into()),
        justification: "会商意见".into(),
    };
    let w = store
        .issue_heavy_warning(
            &step("yellow", "2026-12-03T00:00:00.000Z"),
            &["140902".to_string(), "140921".to_string()],
            Some("忻气防办〔2026〕1号"),
            &[draft("A1"), draft("B2")],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(w.areas, vec!["140902", "140921"]);
    assert_eq!(w.state, "active");
    let notices = store.warning_notices(w.id, None).await.unwrap();
    assert_eq!(notices.len(), 2);
    let confirmed = store
        .confirm_warning_notice(notices[0].id, Some("已落实"), &a)
        .await
        .unwrap();
    assert_eq!(confirmed.state, "confirmed");
    assert_eq!(confirmed.confirmed_by, Some(u.id));
    assert!(matches!(
        store.confirm_warning_notice(notices[0].id, None, &a).await,
        Err(StoreError::Conflict(_))
    ));
    let w = store
        .heavy_warning_step(
            w.id,
            WarningStep::Raise,
            &step("orange", "2026-12-04T00:00:00.000Z"),
            &[draft("A1")],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(w.level, "orange");
    let notices = store.warning_notices(w.id, None).await.unwrap();
    let states: Vec<&str> = notices.iter().map(|n| n.state.as_str()).collect();
    assert_eq!(states, vec!["superseded", "superseded", "issued"]);
    assert_eq!(store.open_warning_notices_of("A1").await.unwrap().len(), 1);
    assert!(
        store
            .open_warning_notices_of("B2")
            .await
            .unwrap()
            .is_empty()
    );
    let w = store
        .heavy_warning_step(
            w.id,
            WarningStep::Lift,
            &step("orange", "2026-12-05T00:00:00.000Z"),
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(w.state, "lifted");
    assert_eq!(w.lifted_at.as_deref(), Some("2026-12-05T00:00:00.000Z"));
    assert!(
        store
            .open_warning_notices_of("A1")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(matches!(
        store
            .heavy_warning_step(
                w.id,
                WarningStep::Lower,
                &step("yellow", "2026-12-06T00:00:00.000Z"),
                &[],
                &a
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let kinds: Vec<String> = store
        .heavy_warning_events(w.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds, vec!["issue", "raise", "lift"]);
    let audit: Vec<String> = store
        .audit_log(Some("heavy_warning."), 10)
        .await
        .unwrap()
        .into_iter()
        .map(|r| r.action)
        .collect();
    assert_eq!(
        audit,
        vec![
            "heavy_warning.lift",
            "heavy_warning.raise",
            "heavy_warning.issue"
        ]
    );
    assert_eq!(
        store
            .audit_log(Some("warning_notice.issue"), 10)
            .await
            .unwrap()
            .len(),
        3
    );
    assert_eq!(store.heavy_warnings_paged(10, 0).await.unwrap().total, 1);
    assert!(store.active_heavy_warnings().await.unwrap().is_empty());
    let mut ep = exceedance("20261203000000", None, "40", 3);
    ep.kind = "reduction_not_met".into();
    assert!(matches!(
        store.raise_alarm(&ep).await.unwrap(),
        Raised::New(_)
    ));
    ep.kind = "no_such_kind".into();
    assert!(store.raise_alarm(&ep).await.is_err());
}

fn inspection_fields(title: &str, deadline: &str, counties: &[&str]) -> InspectionFields {
    InspectionFields {
        source_kind: "central".into(),
        source_batch: "第二轮中央生态环境保护督察".into(),
        title: title.into(),
        description: "城区段雨污混接，汛期溢流入河".into(),
        measures: "雨污分流改造".into(),
        units: vec!["sthj".into(), "zjj".into()],
        counties: counties.iter().map(|c| c.to_string()).collect(),
        deadline: deadline.into(),
        internal_note: Some("内部调度".into()),
    }
}

/// A problem (督察整改) is registered at revision 1; a revision keeps the old one and moves the
/// scoped lists; a report is an event with its unit or county and its files; 销号 without any
/// evidence on file is a conflict, with evidence it closes; a closed problem cannot be revised
/// or reported on, only re-opened with a reason. Every step is audited; the public counts and
/// the deadline filter see the same rows.
async fn inspection_problems_are_revised_reported_closed_and_reopened(store: Store) {
    seeded(&store).await;
    let u = reporter(&store, "inspector").await;
    let a = actor(&u);
    let p = store
        .register_inspection_problem(
            2026,
            &inspection_fields("雨污混接", "2026-06-30", &["140902"]),
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (p.problem_number.as_str(), p.revision, p.state.as_str()),
        ("2026-0001", 1, "rectifying")
    );
    let q = store
        .register_inspection_problem(
            2026,
            &inspection_fields("垃圾堆放", "2026-12-31", &[]),
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(q.problem_number, "2026-0002");
    let list = |f: InspectionFilter| {
        let store = &store;
        async move {
            store
                .inspection_problems_paged(&f, 100, 0)
                .await
                .unwrap()
                .items
                .into_iter()
                .map(|p| p.id)
                .collect::<Vec<_>>()
        }
    };
    let county = |c: &str| InspectionFilter {
        division_code: Some(c.into()),
        ..Default::default()
    };
    assert_eq!(list(county("140902")).await, vec![p.id]);
    assert_eq!(
        list(InspectionFilter {
            unit_id: Some("zjj".into()),
            ..Default::default()
        })
        .await,
        vec![p.id, q.id]
    );
    assert_eq!(
        list(InspectionFilter {
            due_by: Some("2026-07-01".into()),
            ..Default::default()
        })
        .await,
        vec![p.id]
    );

    // A revision: the county moves, the deadline too; revision 1 is kept as it was.
    let revised = store
        .revise_inspection_problem(
            p.id,
            &inspection_fields("雨污混接", "2026-09-30", &["140921"]),
            "省督察办同意延期",
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (revised.revision, revised.fields.deadline.as_str()),
        (2, "2026-09-30")
    );
    let revs = store.inspection_revisions(p.id).await.unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(
        (
            revs[0].fields.counties.clone(),
            revs[0].fields.deadline.as_str(),
            revs[0].reason.as_deref()
        ),
        (vec!["140902".to_string()], "2026-06-30", None)
    );
    assert_eq!(revs[1].reason.as_deref(), Some("省督察办同意延期"));
    assert!(list(county("140902")).await.is_empty());
    assert_eq!(list(county("140921")).await, vec![p.id]);

    // 销号 with nothing on file is refused and writes nothing.
    let err = store
        .inspection_step(p.id, &InspectionStep::Close, "已整改", &[], &a)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err:?}");
    assert_eq!(
        store.inspection_problem(p.id).await.unwrap().unwrap().state,
        "rectifying"
    );

    let report = InspectionStep::Report {
        done: true,
        for_unit: None,
        for_county: Some("140921".into()),
    };
    let doc = evidence(
        "验收报告.pdf",
        "application/pdf",
        b"%PDF-1.4 inspection".to_vec(),
    );
    let reported = store
        .inspection_step(p.id, &report, "改造完成", &[doc], &a)
        .await
        .unwrap();
    assert_eq!(reported.state, "reported");
    let files = store.inspection_evidence(p.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let (meta, content) = store
        .inspection_evidence_file(files[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (meta.problem_id, content.as_slice()),
        (p.id, b"%PDF-1.4 inspection".as_slice())
    );
    let closed = store
        .inspection_step(p.id, &InspectionStep::Close, "现场核查合格", &[], &a)
        .await
        .unwrap();
    assert_eq!(
        (closed.state.as_str(), closed.close_basis.as_deref()),
        ("closed", Some("现场核查合格"))
    );
    assert!(closed.closed_at.is_some());
    // Closed: the deadline filter no longer lists it; revising or reporting is a conflict.
    assert!(
        list(InspectionFilter {
            due_by: Some("2027-01-01".into()),
            ..Default::default()
        })
        .await
            == vec![q.id]
    );
    assert!(matches!(
        store
            .revise_inspection_problem(p.id, &inspection_fields("x", "2026-09-30", &[]), "r", &a)
            .await
            .unwrap_err(),
        StoreError::Conflict(_)
    ));
    assert!(matches!(
        store
            .inspection_step(p.id, &report, "再报", &[], &a)
            .await
            .unwrap_err(),
        StoreError::Conflict(_)
    ));
    let counts = store.inspection_source_counts().await.unwrap();
    assert_eq!(counts.len(), 1);
    assert_eq!((counts[0].total, counts[0].closed), (2, 1));

    let reopened = store
        .inspection_step(p.id, &InspectionStep::Reopen, "群众再次举报", &[], &a)
        .await
        .unwrap();
    assert_eq!(
        (
            reopened.state.as_str(),
            reopened.closed_at.as_deref(),
            reopened.close_basis.as_deref()
        ),
        ("rectifying", None, None)
    );
    let kinds: Vec<(String, bool, Option<String>)> = store
        .inspection_events(p.id)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.kind, e.done, e.for_county))
        .collect();
    assert_eq!(
        kinds,
        vec![
            ("register".to_string(), false, None),
            ("revise".to_string(), false, None),
            ("report".to_string(), true, Some("140921".to_string())),
            ("close".to_string(), false, None),
            ("reopen".to_string(), false, None),
        ]
    );
    for (action, n) in [
        ("inspection.register", 2),
        ("inspection.revise", 1),
        ("inspection.report", 1),
        ("inspection.evidence", 1),
        ("inspection.close", 1),
        ("inspection.reopen", 1),
    ] {
        assert_eq!(
            store.audit_log(Some(action), 10).await.unwrap().len(),
            n,
            "{action}"
        );
    }
    assert!(matches!(
        store
            .inspection_step(999_999, &InspectionStep::Close, "x", &[], &a)
            .await
            .unwrap_err(),
        StoreError::NotFound(_)
    ));
}

/// Indicator 23 and 24's inputs: each enterprise with its permit class (imported from the
/// registry's `permit_class` column, exported again) and its permits valid on a day; each
/// water section with its linked automatic-station devices and its retirement.
async fn permit_holdings_and_section_automation(store: Store) {
    let file = "credit_code,enterprise_name,division_code,permit_class,outlet_code,outlet_name,outlet_kind,mn,protocol,crc_policy,password,permit_number,permit_valid_from,permit_valid_to
9144030071526726XG,甲热电,140902,重点管理,DA001,1号锅炉,gas,MNP001,2017,strict,123456,P-001,2024-01-01,2028-12-31
91110000802100433B,乙化工,140981,simplified,DW001,总排口,water,MNP002,2017,strict,123456,P-002,2020-01-01,2024-12-30
911100007109255774,丙砖厂,140981,登记管理,DA001,窑炉,gas,MNP003,2017,strict,123456,,,
";
    let reg = qingshan_sources::read_registry(file.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let h = store.permit_holdings("2024-12-31").await.unwrap();
    let got: Vec<(&str, Option<&str>, i64)> = h
        .iter()
        .map(|h| (h.name.as_str(), h.permit_class.as_deref(), h.valid_permits))
        .collect();
    assert_eq!(
        got,
        vec![
            ("丙砖厂", Some("registration"), 0),
            ("乙化工", Some("simplified"), 0),
            ("甲热电", Some("key"), 1)
        ]
    );
    let before = store.permit_holdings("2024-12-30").await.unwrap();
    assert_eq!(
        before.iter().map(|h| h.valid_permits).collect::<Vec<_>>(),
        vec![0, 1, 1]
    );
    let out = store.export_registry().await.unwrap();
    let mut classes: Vec<(String, Option<String>)> = out
        .enterprises
        .iter()
        .map(|e| (e.credit_code.clone(), e.permit_class.clone()))
        .collect();
    classes.sort();
    assert_eq!(
        classes[1],
        (
            "91110000802100433B".to_string(),
            Some("simplified".to_string())
        )
    );

    let section = |code: &str, level: &str| WaterSection {
        code: code.into(),
        name: format!("断面{code}"),
        level: level.into(),
        water_body: "river".into(),
        basin: None,
        division_code: Some("140902".into()),
        target_class: "III".into(),
        is_drinking_source: false,
    };
    store
        .upsert_water_sections(
            &[
                section("W1", "国考"),
                section("W2", "省考"),
                section("W3", "市考"),
            ],
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .link_water_section_device(
            &WaterSectionDevice {
                mn: "MNW1".into(),
                section_code: "W1".into(),
                password: "123456".into(),
                crc_policy: "strict".into(),
            },
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .retire_water_section("W3", "2024-06-30", "断面调整", &Actor::cli())
        .await
        .unwrap();
    let s = store.section_automation().await.unwrap();
    let got: Vec<(&str, i64, Option<&str>)> = s
        .iter()
        .map(|s| (s.code.as_str(), s.devices, s.retired_on.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            ("W1", 1, None),
            ("W2", 0, None),
            ("W3", 0, Some("2024-06-30"))
        ]
    );
}

/// Complaints: a submission uses its challenge nonce once and counts against its address's
/// window; contact details are kept apart (none when anonymous); a step the state does not allow
/// is refused; a merged case follows its main case; a rating is given once; the counts add up;
/// the challenge key is made once. No audit entry carries the contact details.
async fn complaints_are_filed_limited_merged_handled_and_rated(store: Store) {
    let actor = Actor::cli();
    let new = |anonymous: bool| NewComplaint {
        category: "air".into(),
        description: "夜间冒黑烟".into(),
        address: Some("忻府区长征街".into()),
        division_code: Some("140902".into()),
        division_match: Some("address".into()),
        accept_by: "2026-12-07".into(),
        anonymous,
        contact: Some(ComplaintContact {
            name: Some("王小明".into()),
            phone: Some("13912345678".into()),
            email: None,
        }),
        ..Default::default()
    };
    let photo = NewPhoto {
        file: NewEvidence {
            file_name: "a.jpg".into(),
            content_type: "image/jpeg".into(),
            content: vec![0xFF, 0xD8, 0xFF, 0xD9],
        },
        meta: "已去除：APP1 Exif".into(),
    };
    let since = "2000-01-01T00:00:00.000Z";
    let submit = |hash: String,
                  nonce: &'static str,
                  peer: &'static str,
                  anonymous: bool,
                  photos: Vec<NewPhoto>| {
        let store = store.clone();
        let actor = actor.clone();
        let c = new(anonymous);
        async move {
            store
                .submit_complaint(2026, &hash, nonce, peer, since, 2, &c, &photos, &actor)
                .await
                .unwrap()
        }
    };
    let Submitted::Filed(a) = submit("a".repeat(64), "n1", "p1", false, vec![photo]).await else {
        panic!("not filed")
    };
    assert_eq!(a.case_number, "TS2026-0001");
    assert_eq!(a.state, "submitted");
    assert!(matches!(
        submit("b".repeat(64), "n1", "p2", false, vec![]).await,
        Submitted::ChallengeUsed
    ));
    let Submitted::Filed(b) = submit("b".repeat(64), "n2", "p1", true, vec![]).await else {
        panic!("not filed")
    };
    assert!(matches!(
        submit("c".repeat(64), "n3", "p1", false, vec![]).await,
        Submitted::RateLimited
    ));
    let Submitted::Filed(c) = submit("c".repeat(64), "n3", "p3", false, vec![]).await else {
        panic!("not filed")
    };
    assert_eq!(
        store
            .complaint_contact(a.id)
            .await
            .unwrap()
            .unwrap()
            .phone
            .as_deref(),
        Some("13912345678")
    );
    assert!(
        store.complaint_contact(b.id).await.unwrap().is_none(),
        "anonymous: no contact kept"
    );
    assert_eq!(
        store
            .complaint_by_tracking(&"b".repeat(64))
            .await
            .unwrap()
            .unwrap()
            .id,
        b.id
    );
    let files = store.complaint_files(a.id).await.unwrap();
    assert_eq!((files.len(), files[0].kind.as_str()), (1, "photo"));
    assert_eq!(
        store.complaint_file(files[0].id).await.unwrap().unwrap().1,
        vec![0xFF, 0xD8, 0xFF, 0xD9]
    );

    // Handling before acceptance, rating before closing: refused.
    let handle = ComplaintStep::Handle {
        finding: "substantiated".into(),
        measures: "整改".into(),
        reply: "属实".into(),
    };
    assert!(matches!(
        store
            .complaint_step(a.id, &handle, Some("核查"), &[], &actor)
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .complaint_step(a.id, &ComplaintStep::Rate { rating: 5 }, None, &[], &actor)
            .await,
        Err(StoreError::Conflict(_))
    ));
    // b joins a; c joins b, so it follows to a; nothing joins a merged case.
    store
        .complaint_step(
            b.id,
            &ComplaintStep::Merge { into: a.id },
            None,
            &[],
            &actor,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .complaint_step(
                c.id,
                &ComplaintStep::Merge { into: b.id },
                None,
                &[],
                &actor
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .complaint_step(
                a.id,
                &ComplaintStep::Merge { into: a.id },
                None,
                &[],
                &actor
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    let routed = store
        .complaint_step(
            a.id,
            &ComplaintStep::Route {
                county: Some("140902".into()),
                unit: None,
                due_by: "2027-01-02".into(),
            },
            Some("请核查"),
            &[],
            &actor,
        )
        .await
        .unwrap();
    assert_eq!(
        (
            routed.state.as_str(),
            routed.route_county.as_deref(),
            routed.due_by.as_deref()
        ),
        ("routed", Some("140902"), Some("2027-01-02"))
    );
    let f = ComplaintFilter {
        route_county: Some("140902".into()),
        ..Default::default()
    };
    assert_eq!(store.complaints_paged(&f, 10, 0).await.unwrap().total, 1);
    let f = ComplaintFilter {
        overdue_on: Some("2027-01-03".into()),
        ..Default::default()
    };
    assert_eq!(
        store.complaints_paged(&f, 10, 0).await.unwrap().total,
        2,
        "a past its due day, c past its acceptance day"
    );
    let evidence = NewEvidence {
        file_name: "检查记录.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4".to_vec(),
    };
    let closed = store
        .complaint_step(a.id, &handle, Some("现场核查"), &[evidence], &actor)
        .await
        .unwrap();
    assert_eq!(
        (
            closed.state.as_str(),
            closed.finding.as_deref(),
            closed.investigation.as_deref()
        ),
        ("closed", Some("substantiated"), Some("现场核查"))
    );
    assert_eq!(store.complaint_files(a.id).await.unwrap().len(), 2);
    assert_eq!(store.complaints_merged_into(a.id).await.unwrap().len(), 1);
    store
        .complaint_step(
            b.id,
            &ComplaintStep::Rate { rating: 4 },
            Some("满意"),
            &[],
            &actor,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .complaint_step(b.id, &ComplaintStep::Rate { rating: 1 }, None, &[], &actor)
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .complaint_step(
            c.id,
            &ComplaintStep::Reject,
            Some("不属于生态环境部门职责"),
            &[],
            &actor,
        )
        .await
        .unwrap();
    store
        .complaint_step(a.id, &ComplaintStep::Rate { rating: 5 }, None, &[], &actor)
        .await
        .unwrap();

    let n = store
        .complaint_counts("2000-01-01T00:00:00.000Z", "2999-01-01T00:00:00.000Z")
        .await
        .unwrap();
    assert_eq!(n.by_state.iter().map(|(_, n)| n).sum::<i64>(), 3);
    assert_eq!((n.rated, n.rating_sum), (2, 9));
    assert_eq!(n.by_finding, vec![("substantiated".to_string(), 1)]);
    assert_eq!(n.by_county, vec![(Some("140902".to_string()), 3)]);

    // The challenge key is made once.
    let k = store.complaint_secret("first").await.unwrap();
    assert_eq!(k, "first");
    assert_eq!(store.complaint_secret("second").await.unwrap(), "first");

    let audit = store.audit_log(None, 1000).await.unwrap();
    for action in [
        "complaint.submit",
        "complaint.file",
        "complaint.merge",
        "complaint.route",
        "complaint.handle",
        "complaint.rate",
        "complaint.reject",
    ] {
        assert!(audit.iter().any(|e| e.action == action), "{action} audited");
    }
    assert!(
        audit
            .iter()
            .all(|e| !format!("{e:?}").contains("13912345678")
                && !format!("{e:?}").contains("王小明"))
    );
}

fn consultation_fields(title: &str, opens: &str, closes: &str) -> ConsultationFields {
    ConsultationFields {
        kind: "plan_revision".into(),
        title: title.into(),
        body: "修订草案说明".into(),
        contact: "电话 0350-3000000".into(),
        opens_on: opens.into(),
        closes_on: closes.into(),
    }
}

/// A consultation (征求意见) keeps every revision and its documents; a comment keeps its
/// author's details apart (only the private read returns them); moderation and decisions are
/// audited one per comment; the summary refuses while comments are pending or undecided and
/// freezes everything once published; challenges are single-use and expire; the submission
/// log counts per address; questionnaire answers are counted per year, question and choice.
async fn consultations_keep_revisions_comments_and_their_handling(store: Store) {
    seeded(&store).await;
    let u = reporter(&store, "consult").await;
    let a = actor(&u);
    let doc = NewEvidence {
        file_name: "草案.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 draft".to_vec(),
    };
    let c = store
        .create_consultation(
            &consultation_fields("规划修订", "2026-12-01", "2026-12-31"),
            &[doc],
            &a,
        )
        .await
        .unwrap();
    assert_eq!(c.revision, 1);
    let c = store
        .revise_consultation(
            c.id,
            &consultation_fields("规划修订（二）", "2026-12-01", "2027-01-15"),
            "延长",
            &[],
            &a,
        )
        .await
        .unwrap();
    assert_eq!((c.revision, c.fields.closes_on.as_str()), (2, "2027-01-15"));
    let revs = store.consultation_revisions(c.id).await.unwrap();
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].fields.title, "规划修订");
    assert_eq!(revs[1].reason.as_deref(), Some("延长"));
    let docs = store.consultation_documents(c.id).await.unwrap();
    assert_eq!(docs.len(), 1);
    let (_, bytes) = store
        .consultation_document_file(docs[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(bytes, b"%PDF-1.4 draft");

    let public = Actor {
        user_id: None,
        name: "公众".into(),
        peer: Some("198.51.100.7".into()),
    };
    let private = CommentPrivate {
        author_name: Some("王五".into()),
        author_contact: Some("13900000000".into()),
        peer: "198.51.100.7".into(),
    };
    let m1 = store
        .add_consultation_comment(c.id, "意见一", &private, &public)
        .await
        .unwrap();
    let m2 = store
        .add_consultation_comment(
            c.id,
            "意见二",
            &CommentPrivate {
                peer: "198.51.100.8".into(),
                ..Default::default()
            },
            &public,
        )
        .await
        .unwrap();
    assert!(m1.has_name && m1.has_contact && !m2.has_name);
    assert_eq!(m1.state, "pending");
    assert!(!format!("{m1:?}").contains("13900000000"));
    let p = store
        .consultation_comment_private(m1.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(p, private);
    let since = "2000-01-01T00:00:00.000Z";
    assert_eq!(
        store
            .participation_submissions_since("198.51.100.7", since)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        store
            .participation_submissions_since("198.51.100.9", since)
            .await
            .unwrap(),
        0
    );
    let log = store.audit_log(None, 1000).await.unwrap();
    assert!(
        log.iter()
            .filter(|e| e.action == "consultation.comment")
            .all(|e| !format!("{e:?}").contains("王五"))
    );

    // Pending and undecided comments hold the summary back.
    let err = store
        .publish_consultation_summary(c.id, "说明", &a)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "{err}");
    store
        .moderate_consultation_comment(m1.id, true, "可以公开", &a)
        .await
        .unwrap();
    store
        .moderate_consultation_comment(m2.id, false, "无关", &a)
        .await
        .unwrap();
    let err = store
        .decide_consultation_comments(c.id, &[m2.id], "adopted", "x", &a)
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::Conflict(_)),
        "a hidden comment takes no decision: {err}"
    );
    let counts = store.consultation_comment_counts(c.id).await.unwrap();
    assert_eq!(
        counts,
        CommentCounts {
            pending: 0,
            published: 1,
            hidden: 1,
            undecided: 1
        }
    );
    assert!(
        store
            .publish_consultation_summary(c.id, "说明", &a)
            .await
            .is_err()
    );
    store
        .decide_consultation_comments(c.id, &[m1.id], "partly", "部分可行", &a)
        .await
        .unwrap();
    let decided = store
        .consultation_comments_paged(
            c.id,
            &CommentFilter {
                state: None,
                decided: true,
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(
        (decided.total, decided.items[0].decision.as_deref()),
        (1, Some("partly"))
    );
    let published = store
        .consultation_comments_paged(
            c.id,
            &CommentFilter {
                state: Some("published".into()),
                decided: false,
            },
            10,
            0,
        )
        .await
        .unwrap();
    assert_eq!(published.total, 1);
    let c = store
        .publish_consultation_summary(c.id, "已逐条研究", &a)
        .await
        .unwrap();
    assert!(c.summary_published_at.is_some());
    for e in [
        store
            .moderate_consultation_comment(m1.id, false, "x", &a)
            .await
            .unwrap_err(),
        store
            .decide_consultation_comments(c.id, &[m1.id], "adopted", "x", &a)
            .await
            .unwrap_err(),
        store
            .revise_consultation(
                c.id,
                &consultation_fields("x", "2026-12-01", "2026-12-31"),
                "x",
                &[],
                &a,
            )
            .await
            .unwrap_err(),
        store
            .publish_consultation_summary(c.id, "again", &a)
            .await
            .unwrap_err(),
    ] {
        assert!(matches!(e, StoreError::Conflict(_)), "{e}");
    }
    let log = store.audit_log(None, 1000).await.unwrap();
    for (action, n) in [
        ("consultation.create", 1),
        ("consultation.revise", 1),
        ("consultation.document", 1),
        ("consultation.comment", 2),
        ("consultation.moderate", 2),
        ("consultation.decide", 1),
        ("consultation.summary", 1),
    ] {
        assert_eq!(
            log.iter().filter(|e| e.action == action).count(),
            n,
            "{action}"
        );
    }

    // Challenges: single use; expired ones are not accepted.
    store
        .issue_participation_challenge("h1", "12", "198.51.100.7", &text_in(600))
        .await
        .unwrap();
    store
        .issue_participation_challenge("h2", "9", "198.51.100.7", &text_in(-1))
        .await
        .unwrap();
    assert_eq!(
        store
            .take_participation_challenge("h1")
            .await
            .unwrap()
            .as_deref(),
        Some("12")
    );
    assert_eq!(
        store.take_participation_challenge("h1").await.unwrap(),
        None
    );
    assert_eq!(
        store.take_participation_challenge("h2").await.unwrap(),
        None
    );
    assert_eq!(
        store.take_participation_challenge("nope").await.unwrap(),
        None
    );

    // Questionnaires are counted per year, question and choice.
    let ans = |o: &str| {
        vec![
            ("overall".to_string(), o.to_string()),
            ("air".to_string(), "satisfied".to_string()),
        ]
    };
    store
        .add_satisfaction_response("q1", 2026, &ans("satisfied"), "198.51.100.7", &public)
        .await
        .unwrap();
    store
        .add_satisfaction_response("q1", 2026, &ans("satisfied"), "198.51.100.7", &public)
        .await
        .unwrap();
    store
        .add_satisfaction_response("q1", 2026, &ans("neutral"), "198.51.100.7", &public)
        .await
        .unwrap();
    store
        .add_satisfaction_response("q1", 2025, &ans("neutral"), "198.51.100.7", &public)
        .await
        .unwrap();
    store
        .add_satisfaction_response("q2", 2026, &ans("neutral"), "198.51.100.7", &public)
        .await
        .unwrap();
    let (n, counts) = store.satisfaction_counts("q1", 2026).await.unwrap();
    assert_eq!(n, 3);
    let get = |q: &str, c: &str| {
        counts
            .iter()
            .find(|x| x.question == q && x.choice == c)
            .map(|x| x.count)
    };
    assert_eq!(get("overall", "satisfied"), Some(2));
    assert_eq!(get("overall", "neutral"), Some(1));
    assert_eq!(get("air", "satisfied"), Some(3));
    assert_eq!(counts.len(), 3);
    assert_eq!(
        store
            .participation_submissions_since("198.51.100.7", since)
            .await
            .unwrap(),
        6
    );
}

/// 企业环境信息依法披露: a listing is unique per year and enterprise, removed with a reason and
/// listed again; the name search and the credit code find it. A report's draft is not submitted;
/// each submission is a revision, the first's filing date stays; the public filter sees only
/// submitted reports. Triggers and decided cases are found by date. Every write is audited.
async fn disclosure_list_reports_and_revisions(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let a = Actor::cli();
    let code = "9144030071526726XG";
    let l = store
        .add_disclosure_listing(2025, code, "key_discharger", "重点排污单位名录", &a)
        .await
        .unwrap();
    assert_eq!(l.enterprise_name.as_deref(), Some("某热电有限公司"));
    assert!(matches!(
        store
            .add_disclosure_listing(2025, code, "key_discharger", "再次", &a)
            .await,
        Err(StoreError::Conflict(_))
    ));
    store
        .add_disclosure_listing(
            2025,
            "91110000802100433B",
            "cleaner_production",
            "清洁生产审核",
            &a,
        )
        .await
        .unwrap();
    let f = DisclosureListFilter {
        year: Some(2025),
        query: Some("热电".into()),
        ..Default::default()
    };
    let found = store.disclosure_listings_paged(&f, 10, 0).await.unwrap();
    assert_eq!(
        (found.total, found.items[0].credit_code.as_str()),
        (1, code)
    );
    let f = DisclosureListFilter {
        query: Some(code.into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .disclosure_listings_paged(&f, 10, 0)
            .await
            .unwrap()
            .total,
        1
    );
    // A wildcard in the query is literal.
    let f = DisclosureListFilter {
        query: Some("%".into()),
        ..Default::default()
    };
    assert_eq!(
        store
            .disclosure_listings_paged(&f, 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
    let removed = store
        .remove_disclosure_listing(l.id, "关停", &a)
        .await
        .unwrap();
    assert_eq!(removed.state, "removed");
    assert!(
        store
            .remove_disclosure_listing(l.id, "关停", &a)
            .await
            .is_err()
    );
    let again = store
        .add_disclosure_listing(2025, code, "key_discharger", "复产", &a)
        .await
        .unwrap();
    assert_eq!(
        (again.id, again.state.as_str(), again.reason.as_str()),
        (l.id, "listed", "复产")
    );

    let key = DisclosureReportKey {
        credit_code: code.into(),
        kind: "annual".into(),
        year: 2025,
        trigger_key: String::new(),
    };
    let d = store
        .save_disclosure_draft(&key, None, "2026-03-15", "{\"a\":1}", &a)
        .await
        .unwrap();
    assert_eq!((d.revision, d.filed_date.clone()), (0, None));
    let public = DisclosureReportFilter {
        submitted_only: true,
        ..Default::default()
    };
    assert_eq!(
        store
            .disclosure_reports_paged(&public, 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
    let s1 = store
        .submit_disclosure_report(
            &key,
            None,
            "2026-03-15",
            "{\"a\":2}",
            None,
            "2026-03-16",
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (s1.id, s1.revision, s1.filed_date.as_deref()),
        (d.id, 1, Some("2026-03-16"))
    );
    let s2 = store
        .submit_disclosure_report(
            &key,
            None,
            "2026-03-15",
            "{\"a\":3}",
            Some("更正排放量"),
            "2026-04-01",
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (s2.revision, s2.filed_date.as_deref(), s2.content.as_deref()),
        (2, Some("2026-03-16"), Some("{\"a\":3}"))
    );
    let revs = store.disclosure_revisions(d.id).await.unwrap();
    assert_eq!(
        revs.iter()
            .map(|r| (r.revision, r.content.as_str(), r.filed_date.as_str()))
            .collect::<Vec<_>>(),
        vec![
            (1, "{\"a\":2}", "2026-03-16"),
            (2, "{\"a\":3}", "2026-04-01")
        ]
    );
    let public = DisclosureReportFilter {
        submitted_only: true,
        query: Some("热电".into()),
        ..Default::default()
    };
    let p = store
        .disclosure_reports_paged(&public, 10, 0)
        .await
        .unwrap();
    assert_eq!((p.total, p.items[0].id), (1, d.id));
    // A temporary report created by submission directly.
    let tkey = DisclosureReportKey {
        credit_code: code.into(),
        kind: "temporary".into(),
        year: 2025,
        trigger_key: "trigger:1".into(),
    };
    let t = store
        .submit_disclosure_report(
            &tkey,
            Some("2025-06-02"),
            "2025-06-09",
            "{}",
            None,
            "2025-06-05",
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        (t.revision, t.event_date.as_deref()),
        (1, Some("2025-06-02"))
    );
    assert_eq!(
        store
            .disclosure_reports_of(code, Some(2025))
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        store
            .disclosure_report_by_key(&tkey)
            .await
            .unwrap()
            .is_some()
    );

    let tr = store
        .add_disclosure_trigger(
            &NewDisclosureTrigger {
                credit_code: code.into(),
                kind: "permit_change".into(),
                document: "排污许可证变更".into(),
                event_date: "2025-07-01".into(),
                note: None,
            },
            &a,
        )
        .await
        .unwrap();
    assert_eq!(
        store
            .disclosure_triggers_of(code, "2025-01-01", "2025-12-31")
            .await
            .unwrap(),
        vec![tr.clone()]
    );
    assert!(
        store
            .disclosure_triggers_of(code, "2026-01-01", "2026-12-31")
            .await
            .unwrap()
            .is_empty()
    );
    assert!(
        store
            .decided_cases_of(code, "2025-01-01", "2025-12-31")
            .await
            .unwrap()
            .is_empty()
    );

    let log = store.audit_log(Some("disclosure."), 100).await.unwrap();
    let mut actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
    actions.sort_unstable();
    actions.dedup();
    assert_eq!(
        actions,
        [
            "disclosure.amend",
            "disclosure.draft",
            "disclosure.list_add",
            "disclosure.list_remove",
            "disclosure.submit",
            "disclosure.trigger"
        ]
    );
}

fn credit_rating(
    year: i32,
    code: &str,
    name: &str,
    score: i64,
    grade: &str,
    vetoed: bool,
) -> NewCreditRating {
    NewCreditRating {
        year,
        credit_code: code.into(),
        enterprise: name.into(),
        division_code: Some("140902".into()),
        rule_set: "shanxi-2024".into(),
        result: CreditResult {
            score,
            grade: grade.into(),
            vetoed,
            events_json: "[]".into(),
        },
    }
}

/// A rating is a draft until published; recomputing replaces a draft and is refused on a
/// published one; the public filter sees published ratings only (by name or code); an upheld
/// objection and an accepted repair rewrite the result in their transaction (the grade before
/// the repair kept); findings are kept by date; every step is audited.
async fn credit_ratings_are_drafted_published_corrected_and_repaired(store: Store) {
    let cli = Actor::cli();
    let a = store
        .save_credit_draft(
            &credit_rating(2026, "CODEA", "甲热电", 80, "B", false),
            &cli,
        )
        .await
        .unwrap();
    assert_eq!(a.state, "draft");
    let a2 = store
        .save_credit_draft(
            &credit_rating(2026, "CODEA", "甲热电", 70, "C", false),
            &cli,
        )
        .await
        .unwrap();
    assert_eq!((a2.id, a2.score, a2.grade.as_str()), (a.id, 70, "C"));
    let b = store
        .save_credit_draft(
            &credit_rating(2026, "CODEB", "乙化工", 100, "D", true),
            &cli,
        )
        .await
        .unwrap();
    let public = |q: Option<&str>| CreditFilter {
        published_only: true,
        query: q.map(String::from),
        ..Default::default()
    };
    assert_eq!(
        store
            .credit_ratings_paged(&public(None), 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
    store.publish_credit_rating(a.id, &cli).await.unwrap();
    assert!(matches!(
        store.publish_credit_rating(a.id, &cli).await,
        Err(StoreError::Conflict(_))
    ));
    assert!(matches!(
        store
            .save_credit_draft(
                &credit_rating(2026, "CODEA", "甲热电", 90, "A", false),
                &cli
            )
            .await,
        Err(StoreError::Conflict(_))
    ));
    for q in [None, Some("热电"), Some("CODEA")] {
        let p = store.credit_ratings_paged(&public(q), 10, 0).await.unwrap();
        assert_eq!((p.total, p.items[0].id), (1, a.id), "{q:?}");
    }
    assert_eq!(
        store
            .credit_ratings_paged(&public(Some("乙化工")), 10, 0)
            .await
            .unwrap()
            .total,
        0
    );
    let all = CreditFilter {
        year: Some(2026),
        grade: Some("D".into()),
        ..Default::default()
    };
    assert_eq!(
        store.credit_ratings_paged(&all, 10, 0).await.unwrap().items[0].id,
        b.id
    );
    assert_eq!(
        store
            .latest_published_credit("CODEA")
            .await
            .unwrap()
            .unwrap()
            .id,
        a.id
    );
    assert!(
        store
            .latest_published_credit("CODEB")
            .await
            .unwrap()
            .is_none()
    );

    let f = store
        .record_credit_finding("CODEB", "falsified", "2026-06-01", None, "篡改参数", &cli)
        .await
        .unwrap();
    assert_eq!(
        store
            .credit_findings("CODEB", "2026-01-01", "2026-12-31")
            .await
            .unwrap(),
        vec![f.clone()]
    );
    assert!(
        store
            .credit_findings("CODEB", "2025-01-01", "2025-12-31")
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(store.credit_finding(f.id).await.unwrap(), Some(f));

    let file = NewEvidence {
        file_name: "说明.pdf".into(),
        content_type: "application/pdf".into(),
        content: b"%PDF-1.4 x".to_vec(),
    };
    let o = store
        .file_credit_objection(
            a.id,
            "exceedance:incident:1",
            "启炉工况",
            std::slice::from_ref(&file),
            &cli,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .file_credit_objection(a.id, "exceedance:incident:1", "再次", &[], &cli)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let fixed = CreditResult {
        score: 72,
        grade: "C".into(),
        vetoed: false,
        events_json: "[1]".into(),
    };
    let o = store
        .decide_credit_objection(o.id, true, "成立", Some(&fixed), &cli)
        .await
        .unwrap();
    assert_eq!(o.state, "upheld");
    let r = store.credit_rating(a.id).await.unwrap().unwrap();
    assert_eq!((r.score, r.events_json.as_str()), (72, "[1]"));
    assert!(matches!(
        store
            .decide_credit_objection(o.id, false, "x", None, &cli)
            .await,
        Err(StoreError::Conflict(_))
    ));

    let rep = store
        .file_credit_repair(
            b.id,
            "已整改",
            "2027-01-15",
            std::slice::from_ref(&file),
            &cli,
        )
        .await
        .unwrap();
    assert!(matches!(
        store
            .file_credit_repair(b.id, "again", "2027-01-15", &[], &cli)
            .await,
        Err(StoreError::Conflict(_))
    ));
    let restored = CreditResult {
        score: 100,
        grade: "A".into(),
        vetoed: false,
        events_json: "[]".into(),
    };
    let rep = store
        .decide_credit_repair(rep.id, true, "通过", Some(&restored), &cli)
        .await
        .unwrap();
    assert_eq!(rep.state, "accepted");
    let r = store.credit_rating(b.id).await.unwrap().unwrap();
    assert_eq!(
        (r.grade.as_str(), r.vetoed, r.grade_before_repair.as_deref()),
        ("A", false, Some("D"))
    );
    assert!(r.repaired_at.is_some());
    let files = store.credit_evidence(a.id).await.unwrap();
    assert_eq!(files.len(), 1);
    let (meta, content) = store
        .credit_evidence_file(files[0].id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (meta.parent_kind.as_str(), content),
        ("objection", file.content.clone())
    );
    assert_eq!(store.credit_repairs(b.id).await.unwrap().len(), 1);
    assert_eq!(store.credit_objections(a.id).await.unwrap().len(), 1);

    let audit = store.audit_log(Some("credit."), 100).await.unwrap();
    for action in [
        "credit.compute",
        "credit.publish",
        "credit.finding",
        "credit.objection",
        "credit.objection_decide",
        "credit.repair",
        "credit.repair_decide",
        "credit.evidence",
    ] {
        assert!(
            audit.iter().any(|e| e.action == action),
            "{action} not audited"
        );
    }
}

/// The registry list a page at a time with its filters (county, outlet kind, one enterprise,
/// a search taken literally), and the count of devices seen since a moment per interval.
async fn registry_lists_come_in_pages_with_filters(store: Store) {
    use qingshan_store::RegistryFilter;
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    let all = RegistryFilter::default();
    let first = store.registry_paged(&all, 1, 0).await.unwrap();
    let second = store.registry_paged(&all, 1, 1).await.unwrap();
    assert_eq!((first.total, second.total), (2, 2));
    let mut mns = vec![first.items[0].mn.clone(), second.items[0].mn.clone()];
    mns.sort();
    assert_eq!(mns, ["MN0001", "MN0002"]);
    assert!(
        store
            .registry_paged(&all, 1, 2)
            .await
            .unwrap()
            .items
            .is_empty()
    );
    let only = |f: RegistryFilter| {
        let store = store.clone();
        async move {
            let p = store.registry_paged(&f, 100, 0).await.unwrap();
            assert_eq!(p.total, p.items.len() as i64);
            p.items.into_iter().map(|d| d.mn).collect::<Vec<_>>()
        }
    };
    let f = |search: Option<&str>, county: Option<&str>, kind: Option<&str>, code: Option<&str>| {
        RegistryFilter {
            search: search.map(str::to_string),
            division_code: county.map(str::to_string),
            outlet_kind: kind.map(str::to_string),
            credit_code: code.map(str::to_string),
        }
    };
    assert_eq!(only(f(None, None, Some("water"), None)).await, ["MN0002"]);
    assert_eq!(only(f(None, Some("140902"), None, None)).await, ["MN0001"]);
    assert_eq!(only(f(Some("热电"), None, None, None)).await, ["MN0001"]);
    assert_eq!(only(f(Some("MN0002"), None, None, None)).await, ["MN0002"]);
    assert_eq!(
        only(f(Some("91110000802100433B"), None, None, None)).await,
        ["MN0002"]
    );
    assert!(only(f(Some("%"), None, None, None)).await.is_empty());
    assert!(only(f(Some("MN000_"), None, None, None)).await.is_empty());
    assert_eq!(
        only(f(None, None, None, Some("9144030071526726XG"))).await,
        ["MN0001"]
    );
    assert!(
        only(f(None, Some("140902"), Some("water"), None))
            .await
            .is_empty()
    );

    // Nothing delivered yet: nobody is recent. Then MN0001 delivers.
    assert_eq!(
        store
            .registry_recent_count(&all, |_| "0".into())
            .await
            .unwrap(),
        0
    );
    store
        .ingest(&[upload("MN0001", "20260101000000000", "20260101000000", "1")])
        .await
        .unwrap();
    assert_eq!(
        store
            .registry_recent_count(&all, |_| "0".into())
            .await
            .unwrap(),
        1
    );
    // The moment is asked per reporting interval (MN0001 reports every 60 s).
    let since_60_far = |interval: i64| {
        if interval == 60 {
            "9".into()
        } else {
            "0".into()
        }
    };
    assert_eq!(
        store
            .registry_recent_count(&all, since_60_far)
            .await
            .unwrap(),
        0
    );
    let water = f(None, None, Some("water"), None);
    assert_eq!(
        store
            .registry_recent_count(&water, |_| "0".into())
            .await
            .unwrap(),
        0
    );
    // The dashboard's counts per county: what the whole registry gives, counted by hand.
    let sinces: [fn(i64) -> String; 2] = [|_| "0".into(), since_60_far];
    for since in sinces {
        let mut want: std::collections::BTreeMap<Option<String>, (i64, i64)> = Default::default();
        for d in store.registry_overview().await.unwrap() {
            let e = want.entry(d.division_code.clone()).or_default();
            e.0 += 1;
            if d.last_seen
                .as_deref()
                .is_some_and(|t| t >= since(d.interval_secs).as_str())
            {
                e.1 += 1;
            }
        }
        assert_eq!(store.device_counts_by_county(since).await.unwrap(), want);
    }
    assert_eq!(
        store
            .device_counts_by_county(|_| "0".into())
            .await
            .unwrap()
            .values()
            .map(|c| c.1)
            .sum::<i64>(),
        1
    );
}

/// One device, one enterprise's devices and the latest published grade of a page's
/// enterprises, each read on its own: the same rows the whole registry and the ratings give.
async fn one_device_one_enterprise_and_a_page_of_grades(store: Store) {
    let reg = qingshan_sources::read_registry(REGISTRY.as_bytes()).unwrap();
    store.import_registry(&reg, &Actor::cli()).await.unwrap();
    store
        .ingest(&[upload("MN0002", "20260101000000000", "20260101000000", "1")])
        .await
        .unwrap();
    let all = store.registry_overview().await.unwrap();
    for d in &all {
        assert_eq!(
            store.device_overview(&d.mn).await.unwrap().as_ref(),
            Some(d)
        );
    }
    let two = store.device_overview("MN0002").await.unwrap().unwrap();
    assert_eq!(
        (two.credit_code.as_str(), two.outlet_kind.as_str()),
        ("91110000802100433B", "water")
    );
    assert!(two.last_seen.is_some());
    assert!(store.device_overview("MN9999").await.unwrap().is_none());
    // A pattern is not a match: the MN is compared whole.
    assert!(store.device_overview("MN000%").await.unwrap().is_none());
    // One device's limits: the rows of every device's limits that are its own.
    let key = |l: &qingshan_store::DeviceLimit| format!("{l:?}");
    let every = store.supervised_limits("2026-03-01").await.unwrap();
    assert!(!every.is_empty());
    for d in &all {
        let own: Vec<String> = every.iter().filter(|l| l.mn == d.mn).map(key).collect();
        let of: Vec<String> = store
            .supervised_limits_of(&d.mn, "2026-03-01")
            .await
            .unwrap()
            .iter()
            .map(key)
            .collect();
        assert_eq!(of, own, "{}", d.mn);
    }
    assert!(
        store
            .supervised_limits_of("MN0001", "1999-01-01")
            .await
            .unwrap()
            .is_empty()
    );
    let of = |code: &'static str| {
        let store = store.clone();
        async move {
            store
                .enterprise_devices(code)
                .await
                .unwrap()
                .into_iter()
                .map(|d| d.mn)
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(of("9144030071526726XG").await, ["MN0001"]);
    assert_eq!(of("91110000802100433B").await, ["MN0002"]);
    assert!(of("NOSUCHCODE").await.is_empty());

    // Grades: A has 2025 and 2026 published (2026 is the latest), B only a draft, C a
    // published 2026 and a draft 2027 (the draft is not shown).
    let cli = Actor::cli();
    let publish = |year: i32, code: &'static str, grade: &'static str| {
        let store = store.clone();
        let cli = cli.clone();
        async move {
            let r = store
                .save_credit_draft(&credit_rating(year, code, code, 90, grade, false), &cli)
                .await
                .unwrap();
            store.publish_credit_rating(r.id, &cli).await.unwrap()
        }
    };
    publish(2025, "CODEA", "B").await;
    let a = publish(2026, "CODEA", "A").await;
    store
        .save_credit_draft(&credit_rating(2026, "CODEB", "CODEB", 70, "C", false), &cli)
        .await
        .unwrap();
    let c = publish(2026, "CODEC", "D").await;
    store
        .save_credit_draft(&credit_rating(2027, "CODEC", "CODEC", 95, "A", false), &cli)
        .await
        .unwrap();
    let got = store
        .latest_published_credits(&["CODEA", "CODEB", "CODEC", "NONE"])
        .await
        .unwrap();
    let mut codes: Vec<_> = got.keys().cloned().collect();
    codes.sort();
    assert_eq!(codes, ["CODEA", "CODEC"]);
    assert_eq!(got["CODEA"], a);
    assert_eq!(got["CODEC"], c);
    assert_eq!(
        Some(&got["CODEA"]),
        store
            .latest_published_credit("CODEA")
            .await
            .unwrap()
            .as_ref()
    );
    assert!(
        store
            .latest_published_credits(&[])
            .await
            .unwrap()
            .is_empty()
    );
    // More codes than one query binds: every one still answered.
    let many: Vec<String> = (0..1200).map(|i| format!("X{i:04}")).collect();
    let mut asked: Vec<&str> = many.iter().map(String::as_str).collect();
    asked.push("CODEC");
    assert_eq!(
        store
            .latest_published_credits(&asked)
            .await
            .unwrap()
            .keys()
            .collect::<Vec<_>>(),
        ["CODEC"]
    );
}
