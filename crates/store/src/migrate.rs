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
        version: 26,
        name: "inspections",
        sqlite: include_str!("../migrations/sqlite/0026_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0026_inspections.sql"),
    },
];

pub(crate) async fn run(store: &Store, up_to: i64) -> Result<usize> {
    let mut applied = 0;
    with_pool!(store, p => {
        sqlx::raw_sql("CREATE TABLE IF NOT EXISTS schema_migrations (version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            .execute(p).await?;
        for m in MIGRATIONS.iter().filter(|m| m.version <= up_to) {
            let mut tx = p.begin_write().await?;
            // Several servers may start at once against one PostgreSQL; the lock makes one migrate.
            if matches!(store, Store::Postgres(_)) {
                sqlx::query("SELECT pg_advisory_xact_lock(7262147)").execute(&mut *tx).await?;
            }
            let done = sqlx::query("SELECT version FROM schema_migrations WHERE version = $1")
                .bind(m.version).fetch_optional(&mut *tx).await?;
            if done.is_some() {
                continue;
            }
            let sql = match store { Store::Sqlite(..) => m.sqlite, Store::Postgres(_) => m.postgres };
            sqlx::raw_sql(sql).execute(&mut *tx).await?;
            sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                .bind(m.version).bind(m.name).bind(now_text()).execute(&mut *tx).await?;
            tx.commit().await?;
            tracing::info!(version = m.version, name = m.name, "migration applied");
            applied += 1;
        }
    });
    Ok(applied)
}
