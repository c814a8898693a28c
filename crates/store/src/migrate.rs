//! Schema migrations, embedded in the binary and tracked in `schema_migrations`.
//!
//! Each backend has its own SQL (types and identity columns differ); versions must match.

use crate::macros::BeginWrite;
use crate::{Result, Store, now_text};

struct Migration {
    version: i64,
    name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "sources",
        sqlite: include_str!("../migrations/sqlite/0002_sources.sql"),
        postgres: include_str!("../migrations/postgres/0002_sources.sql"),
    },
    Migration {
        version: 3,
        name: "alarms",
        sqlite: include_str!("../migrations/sqlite/0003_alarms.sql"),
        postgres: include_str!("../migrations/postgres/0003_alarms.sql"),
    },
    Migration {
        version: 4,
        name: "air",
        sqlite: include_str!("../migrations/sqlite/0004_air.sql"),
        postgres: include_str!("../migrations/postgres/0004_air.sql"),
    },
    Migration {
        version: 5,
        name: "assessment",
        sqlite: include_str!("../migrations/sqlite/0005_assessment.sql"),
        postgres: include_str!("../migrations/postgres/0005_assessment.sql"),
    },
    Migration {
        version: 6,
        name: "water",
        sqlite: include_str!("../migrations/sqlite/0006_water.sql"),
        postgres: include_str!("../migrations/postgres/0006_water.sql"),
    },
    Migration {
        version: 7,
        name: "air_devices",
        sqlite: include_str!("../migrations/sqlite/0007_air_devices.sql"),
        postgres: include_str!("../migrations/postgres/0007_air_devices.sql"),
    },
    Migration {
        version: 8,
        name: "ingest_keys",
        sqlite: include_str!("../migrations/sqlite/0008_ingest_keys.sql"),
        postgres: include_str!("../migrations/postgres/0008_ingest_keys.sql"),
    },
    Migration {
        version: 9,
        name: "task_evidence",
        sqlite: include_str!("../migrations/sqlite/0009_task_evidence.sql"),
        postgres: include_str!("../migrations/postgres/0009_task_evidence.sql"),
    },
    Migration {
        version: 10,
        name: "water_devices",
        sqlite: include_str!("../migrations/sqlite/0010_water_devices.sql"),
        postgres: include_str!("../migrations/postgres/0010_water_devices.sql"),
    },
    Migration {
        version: 11,
        name: "refused_traffic",
        sqlite: include_str!("../migrations/sqlite/0011_refused_traffic.sql"),
        postgres: include_str!("../migrations/postgres/0011_refused_traffic.sql"),
    },
    Migration {
        version: 12,
        name: "web_throttle",
        sqlite: include_str!("../migrations/sqlite/0012_web_throttle.sql"),
        postgres: include_str!("../migrations/postgres/0012_web_throttle.sql"),
    },
    Migration {
        version: 13,
        name: "value_capture",
        sqlite: include_str!("../migrations/sqlite/0013_value_capture.sql"),
        postgres: include_str!("../migrations/postgres/0013_value_capture.sql"),
    },
    Migration {
        version: 14,
        name: "station_forms",
        sqlite: include_str!("../migrations/sqlite/0014_station_forms.sql"),
        postgres: include_str!("../migrations/postgres/0014_station_forms.sql"),
    },
    Migration {
        version: 15,
        name: "incidents",
        sqlite: include_str!("../migrations/sqlite/0015_incidents.sql"),
        postgres: include_str!("../migrations/postgres/0015_incidents.sql"),
    },
    Migration {
        version: 16,
        name: "enterprise_accounts",
        sqlite: include_str!("../migrations/sqlite/0016_enterprise_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0016_enterprise_accounts.sql"),
    },
    Migration {
        version: 17,
        name: "data_marks",
        sqlite: include_str!("../migrations/sqlite/0017_data_marks.sql"),
        postgres: include_str!("../migrations/postgres/0017_data_marks.sql"),
    },
    Migration {
        version: 18,
        name: "orders",
        sqlite: include_str!("../migrations/sqlite/0018_orders.sql"),
        postgres: include_str!("../migrations/postgres/0018_orders.sql"),
    },
    Migration {
        version: 19,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0019_cases.sql"),
        postgres: include_str!("../migrations/postgres/0019_cases.sql"),
    },
    Migration {
        version: 20,
        name: "device_commands",
        sqlite: include_str!("../migrations/sqlite/0020_device_commands.sql"),
        postgres: include_str!("../migrations/postgres/0020_device_commands.sql"),
    },
    Migration {
        version: 21,
        name: "data_gaps",
        sqlite: include_str!("../migrations/sqlite/0021_data_gaps.sql"),
        postgres: include_str!("../migrations/postgres/0021_data_gaps.sql"),
    },
    Migration {
        version: 22,
        name: "analyser_params",
        sqlite: include_str!("../migrations/sqlite/0022_analyser_params.sql"),
        postgres: include_str!("../migrations/postgres/0022_analyser_params.sql"),
    },
    Migration {
        version: 23,
        name: "heavy",
        sqlite: include_str!("../migrations/sqlite/0023_heavy.sql"),
        postgres: include_str!("../migrations/postgres/0023_heavy.sql"),
    },
    Migration {
        version: 24,
        name: "heavy_warnings",
        sqlite: include_str!("../migrations/sqlite/0024_heavy_warnings.sql"),
        postgres: include_str!("../migrations/postgres/0024_heavy_warnings.sql"),
    },
    Migration {
        version: 25,
        name: "task_ledger",
        sqlite: include_str!("../migrations/sqlite/0025_task_ledger.sql"),
        postgres: include_str!("../migrations/postgres/0025_task_ledger.sql"),
    },
    Migration {
        version: 26,
        name: "inspections",
        sqlite: include_str!("../migrations/sqlite/0026_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0026_inspections.sql"),
    },
    Migration {
        version: 27,
        name: "disclosure",
        sqlite: include_str!("../migrations/sqlite/0027_disclosure.sql"),
        postgres: include_str!("../migrations/postgres/0027_disclosure.sql"),
    },
    Migration {
        version: 28,
        name: "credit",
        sqlite: include_str!("../migrations/sqlite/0028_credit.sql"),
        postgres: include_str!("../migrations/postgres/0028_credit.sql"),
    },
    Migration {
        version: 29,
        name: "complaints",
        sqlite: include_str!("../migrations/sqlite/0029_complaints.sql"),
        postgres: include_str!("../migrations/postgres/0029_complaints.sql"),
    },
    Migration {
        version: 30,
        name: "participation",
        sqlite: include_str!("../migrations/sqlite/0030_participation.sql"),
        postgres: include_str!("../migrations/postgres/0030_participation.sql"),
    },
    Migration {
        version: 34,
        name: "registry_paging",
        sqlite: include_str!("../migrations/sqlite/0034_registry_paging.sql"),
        postgres: include_str!("../migrations/postgres/0034_registry_paging.sql"),
    },
    Migration {
        version: 35,
        name: "month_partitions",
        sqlite: include_str!("../migrations/sqlite/0035_month_partitions.sql"),
        postgres: include_str!("../migrations/postgres/0035_month_partitions.sql"),
    },
    Migration {
        version: 36,
        name: "ongoing_alarms",
        sqlite: include_str!("../migrations/sqlite/0036_ongoing_alarms.sql"),
        postgres: include_str!("../migrations/postgres/0036_ongoing_alarms.sql"),
    },
];

/// The migration after which alarm kinds are the code's alone (`AlarmKind`): the CHECK that
/// listed them, rebuilt for every new kind, is dropped (PostgreSQL in its SQL file, SQLite by
/// rebuilding the table in [`run`]).
const ALARM_KINDS_FREED: i64 = 22;

/// A table definition without its `CHECK (kind IN (…))` clause.
fn without_kind_check(sql: &str) -> String {
    let Some(start) = sql.find("CHECK (kind IN (") else {
        return sql.to_string();
    };
    match sql[start..].find("))") {
        Some(len) => format!("{}{}", sql[..start].trim_end(), &sql[start + len + 2..]),
        None => sql.to_string(),
    }
}

/// The advisory-lock key every server migrating one PostgreSQL database takes.
const MIGRATION_LOCK: i64 = 7262147;

/// The session-level advisory lock held across a whole migration run on PostgreSQL: from the
/// creation of `schema_migrations` to the last migration and what runs after it. (A lock taken
/// inside each migration's transaction left the `CREATE TABLE IF NOT EXISTS` before it to race:
/// two servers started at once on an empty database collided on `pg_type`.) SQLite's writers
/// queue on the file's write lock, so it holds nothing.
pub(crate) struct MigrationLock(Option<sqlx::pool::PoolConnection<sqlx::Postgres>>);

impl MigrationLock {
    /// Waits for the lock (PostgreSQL) on a connection of the store's pool.
    pub(crate) async fn take(store: &Store) -> Result<MigrationLock> {
        match store {
            Store::Sqlite(..) => Ok(MigrationLock(None)),
            Store::Postgres(p) => {
                let mut conn = p.acquire().await?;
                sqlx::query("SELECT pg_advisory_lock($1)")
                    .bind(MIGRATION_LOCK)
                    .execute(&mut *conn)
                    .await?;
                Ok(MigrationLock(Some(conn)))
            }
        }
    }

    /// Gives the lock back. A connection that cannot say it did is closed instead of going
    /// back to the pool: the session ends and the server drops the lock with it.
    pub(crate) async fn release(mut self) {
        let Some(mut conn) = self.0.take() else {
            return;
        };
        let unlocked = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(MIGRATION_LOCK)
            .execute(&mut *conn)
            .await;
        if let Err(e) = unlocked {
            tracing::warn!(error = %e, "releasing the migration lock failed; closing its connection");
            let _ = conn.close().await;
        }
    }
}

impl Drop for MigrationLock {
    fn drop(&mut self) {
        // Dropped without `release` (the future was cancelled): never hand a locked session
        // back to the pool.
        if let Some(conn) = self.0.take() {
            drop(conn.detach());
        }
    }
}

/// Applies the migrations up to `up_to` that are not yet recorded, holding `lock` (taken
/// with [`MigrationLock::take`] on the same store).
pub(crate) async fn run(store: &Store, lock: &mut MigrationLock, up_to: i64) -> Result<usize> {
    // One body for both backends: `$exec` runs the statements outside a transaction, `$begin`
    // opens each migration's transaction.
    macro_rules! apply {
        ($exec:expr, $begin:expr) => {{
            let mut applied = 0;
            sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
                .execute($exec).await?;
            for m in MIGRATIONS.iter().filter(|m| m.version <= up_to) {
                let mut tx = $begin.await?;
                let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(m.version).fetch_optional(&mut *tx).await?;
                if done.is_some() {
                    continue;
                }
                let sql = match store { Store::Sqlite(..) => m.sqlite, Store::Postgres(_) => m.postgres };
                sqlx::raw_sql(sql).execute(&mut *tx).await?;
                if m.version == ALARM_KINDS_FREED && matches!(store, Store::Sqlite(..)) {
                    // SQLite cannot drop a CHECK: the alarms table is rebuilt from its own stored
                    // definition without the kind list, so columns or indexes other migrations
                    // added stay as they are.
                    let table: String = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'alarms'")
                        .fetch_one(&mut *tx).await?;
                    let indexes: Vec<String> = sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'alarms' AND sql IS NOT NULL")
                        .fetch_all(&mut *tx).await?;
                    let rebuilt = without_kind_check(&table)
                        .replacen("CREATE TABLE alarms", "CREATE TABLE alarms_rebuilt", 1);
                    sqlx::raw_sql(&rebuilt).execute(&mut *tx).await?;
                    sqlx::raw_sql("INSERT INTO alarms_rebuilt SELECT * FROM alarms; DROP TABLE alarms; ALTER TABLE alarms_rebuilt RENAME TO alarms;")
                        .execute(&mut *tx).await?;
                    for ix in indexes {
                        sqlx::raw_sql(&ix).execute(&mut *tx).await?;
                    }
                }
                sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                    .bind(m.version).bind(m.name).bind(now_text()).execute(&mut *tx).await?;
                tx.commit().await?;
                tracing::info!(version = m.version, name = m.name, "migration applied");
                applied += 1;
            }
            applied
        }};
    }
    Ok(match store {
        Store::Postgres(_) => {
            let Some(conn) = lock.0.as_mut() else {
                return Err(crate::StoreError::Corrupt(
                    "迁移锁不属于这个 PostgreSQL 数据库".into(),
                ));
            };
            let conn: &mut sqlx::PgConnection = conn.as_mut();
            apply!(&mut *conn, sqlx::Connection::begin(&mut *conn))
        }
        Store::Sqlite(p, _) => apply!(p, p.begin_write()),
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn the_kind_check_is_cut_out_and_nothing_else() {
        let sql = "CREATE TABLE alarms (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    kind TEXT NOT NULL CHECK (kind IN ('exceedance', 'offline')),\n    status TEXT NOT NULL CHECK (status IN ('open'))\n)";
        assert_eq!(
            super::without_kind_check(sql),
            "CREATE TABLE alarms (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    kind TEXT NOT NULL,\n    status TEXT NOT NULL CHECK (status IN ('open'))\n)"
        );
        assert_eq!(
            super::without_kind_check("CREATE TABLE x (a TEXT)"),
            "CREATE TABLE x (a TEXT)"
        );
    }
}
