//! The duty lease: one holder at a time on PostgreSQL, taken over as soon as the holder's
//! session ends (released, or its connection gone as with a killed process); always granted
//! on SQLite, which has one server.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use qingshan_store::Store;
use qingshan_testkit::{Backend, scratch_db_on};

const TAKEOVER: Duration = Duration::from_secs(2);

#[tokio::test]
async fn one_postgres_server_holds_a_lease_and_another_takes_it_over() {
    let Some(db) = scratch_db_on(Backend::Postgres, "lease").await else {
        return;
    };
    let a = Store::connect(db.url()).await.unwrap();
    let b = Store::connect(db.url()).await.unwrap();
    assert_eq!(a.lease_holder("duties").await.unwrap(), None);

    let mut held = a
        .try_lease("duties", "server-a", TAKEOVER)
        .await
        .unwrap()
        .expect("a free lease is granted");
    assert!(held.still_held(TAKEOVER).await);
    assert_eq!(
        b.lease_holder("duties").await.unwrap().as_deref(),
        Some("server-a")
    );
    // Held: the other server is refused, however often it asks.
    for _ in 0..3 {
        assert!(
            b.try_lease("duties", "server-b", TAKEOVER)
                .await
                .unwrap()
                .is_none()
        );
    }
    // Another lease name is another lock.
    let other = b.try_lease("other", "server-b", TAKEOVER).await.unwrap();
    assert!(other.is_some());

    // Given up on shutdown: the next attempt gets it at once.
    held.release().await;
    let mut by_b = b
        .try_lease("duties", "server-b", TAKEOVER)
        .await
        .unwrap()
        .expect("released lease is free");
    assert_eq!(
        a.lease_holder("duties").await.unwrap().as_deref(),
        Some("server-b")
    );

    // The holder's session killed (what a SIGKILLed server's closed connection amounts to):
    // the holder notices on its next check, and the other server takes over.
    let pid: i32 = match &a {
        Store::Postgres(p) => sqlx::query_scalar(
            "SELECT pid FROM pg_stat_activity WHERE application_name = 'qingshan lease duties: server-b'",
        )
        .fetch_one(p)
        .await
        .unwrap(),
        Store::Sqlite(..) => unreachable!(),
    };
    if let Store::Postgres(p) = &a {
        sqlx::query("SELECT pg_terminate_backend($1)")
            .bind(pid)
            .execute(p)
            .await
            .unwrap();
    }
    let killed = Instant::now();
    let taken = loop {
        if let Some(l) = a.try_lease("duties", "server-a", TAKEOVER).await.unwrap() {
            break l;
        }
        assert!(
            killed.elapsed() < TAKEOVER,
            "lease not free after the holder died"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        !by_b.still_held(TAKEOVER).await,
        "a dead session holds nothing"
    );
    assert_eq!(
        b.lease_holder("duties").await.unwrap().as_deref(),
        Some("server-a")
    );
    taken.release().await;
}

#[tokio::test]
async fn sqlite_leases_are_always_granted() {
    let db = scratch_db_on(Backend::Sqlite, "lease").await.unwrap();
    let s = Store::connect(db.url()).await.unwrap();
    let mut first = s
        .try_lease("duties", "only", TAKEOVER)
        .await
        .unwrap()
        .unwrap();
    assert!(first.still_held(TAKEOVER).await);
    assert!(
        s.try_lease("duties", "only", TAKEOVER)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(s.lease_holder("duties").await.unwrap(), None);
}
