//! Servers started at the same instant on one empty database: every one of them migrates (or
//! finds the work done) and comes up; the schema is applied once.
//!
//! On PostgreSQL this needs `TEST_DATABASE_URL` (skipped loudly without it, a failure under CI).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::sync::Arc;

use qingshan_store::Store;
use qingshan_testkit::{Backend, scratch_db_on};

/// How many stores start together: more than two makes the race all but certain.
const SERVERS: usize = 6;

/// Starts `SERVERS` "servers" on `url`, each a thread with its own runtime and connection
/// pool as a process would have; they connect, meet at the starting line and migrate at once.
/// Returns each one's result and how many migrations the database recorded.
async fn start_together(url: &str) -> (Vec<Result<usize, String>>, i64) {
    let barrier = Arc::new(std::sync::Barrier::new(SERVERS));
    let threads: Vec<_> = (0..SERVERS)
        .map(|_| {
            let (url, barrier) = (url.to_string(), barrier.clone());
            std::thread::spawn(move || {
                let rt = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .unwrap();
                rt.block_on(async move {
                    let store = Store::connect(&url).await.unwrap();
                    // A live connection before the line, so the migrations start together
                    // rather than one behind another's connection set-up.
                    store.ping().await.unwrap();
                    barrier.wait();
                    let r = store.migrate().await.map_err(|e| e.to_string());
                    close(store).await;
                    r
                })
            })
        })
        .collect();
    let results: Vec<Result<usize, String>> =
        threads.into_iter().map(|t| t.join().unwrap()).collect();
    let store = Store::connect(url).await.unwrap();
    let recorded: i64 = match &store {
        Store::Postgres(p) => sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(p)
            .await
            .unwrap(),
        Store::Sqlite(p, _) => sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations")
            .fetch_one(p)
            .await
            .unwrap(),
    };
    close(store).await;
    (results, recorded)
}

async fn close(store: Store) {
    match store {
        Store::Postgres(p) => p.close().await,
        Store::Sqlite(p, _) => p.close().await,
    }
}

async fn all_come_up(backend: Backend) {
    let Some(db) = scratch_db_on(backend, "migrate-race").await else {
        return;
    };
    let (results, recorded) = start_together(db.url()).await;
    let failed: Vec<&String> = results.iter().filter_map(|r| r.as_ref().err()).collect();
    assert!(failed.is_empty(), "servers failed to migrate: {failed:?}");
    let applied: usize = results.iter().map(|r| *r.as_ref().unwrap()).sum();
    // Every migration applied exactly once across the servers.
    assert_eq!(applied as i64, recorded, "{results:?}");
    assert!(recorded > 20, "only {recorded} migrations recorded");
    // PostgreSQL: the session lock covers the whole run, so one server applies them all.
    // SQLite locks the file per migration, so servers may share the run (each migration still
    // applied once, as checked above).
    if backend == Backend::Postgres {
        let max = results.iter().map(|r| *r.as_ref().unwrap()).max().unwrap();
        assert_eq!(
            max as i64, recorded,
            "the migrations were split: {results:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn servers_started_together_on_empty_postgres_all_come_up() {
    // Several rounds: one lucky interleaving must not pass a broken lock.
    for _ in 0..3 {
        all_come_up(Backend::Postgres).await;
    }
}

// No SQLite case: several servers share one store only on PostgreSQL (docs/operations.md). Six
// processes migrating one new SQLite file at once were seen both to share the run and, once, to
// stall on the file lock; that is noted as an open problem, not promised here.
