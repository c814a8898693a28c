//! Leases for work that must happen once however many servers share the store (the
//! supervisor's rules, backfill requests, retention purges): on PostgreSQL a session-level
//! advisory lock held on a connection of its own, outside the pool.
//!
//! Why a session lock and not a lease row with an expiry: a server killed with SIGKILL leaves
//! a row behind until it expires, while its connection closes with the process, and the
//! database drops the lock at once; another server's next attempt takes it. A holder whose
//! machine vanishes without closing the connection is noticed by the database's TCP
//! keepalives, which the lease connection sets to the takeover time; the holder itself stops
//! as soon as a check of its connection fails or takes longer than that. SQLite is one
//! server's file: its lease is always granted.

use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{Connection, PgConnection, Row};

use crate::{Result, Store};

/// A lease held by this process; dropping it (or the process dying) gives it up.
#[derive(Debug)]
pub struct Lease {
    name: String,
    key: i64,
    held: Held,
}

#[derive(Debug)]
enum Held {
    /// SQLite: the only server.
    Local,
    /// The connection whose session holds the advisory lock.
    Postgres(Box<PgConnection>),
}

/// The advisory-lock key of a lease name: the first eight bytes of its SHA-256, so a name
/// stands for the same lock on every server and version.
pub fn lease_key(name: &str) -> i64 {
    let digest = Sha256::digest(format!("qingshan lease {name}").as_bytes());
    let mut first = [0u8; 8];
    first.copy_from_slice(&digest[..8]);
    i64::from_be_bytes(first)
}

impl Store {
    /// Takes the lease `name` if no other server holds it; `None` when one does. `holder`
    /// names this server in `pg_stat_activity.application_name` (what operators and tests
    /// read to see who holds it); `takeover` bounds how long the database keeps the lock of a
    /// holder that stopped answering (TCP keepalives).
    pub async fn try_lease(
        &self,
        name: &str,
        holder: &str,
        takeover: Duration,
    ) -> Result<Option<Lease>> {
        let key = lease_key(name);
        let Store::Postgres(pool) = self else {
            return Ok(Some(Lease {
                name: name.to_string(),
                key,
                held: Held::Local,
            }));
        };
        let opts = pool
            .connect_options()
            .as_ref()
            .clone()
            .application_name(&lease_application_name(name, holder));
        let mut conn = PgConnection::connect_with(&opts).await?;
        let idle = takeover.as_secs().clamp(1, 3600);
        // The database probes a silent holder after `idle` seconds, then every second, and
        // ends its session (dropping the lock) after three unanswered probes. Ignored on a
        // Unix socket, where a dead process always closes the connection.
        sqlx::query(
            "SELECT set_config('tcp_keepalives_idle', $1, false), \
             set_config('tcp_keepalives_interval', '1', false), \
             set_config('tcp_keepalives_count', '3', false)",
        )
        .bind(idle.to_string())
        .execute(&mut conn)
        .await?;
        let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
            .bind(key)
            .fetch_one(&mut conn)
            .await?;
        if !got {
            let _ = conn.close().await;
            return Ok(None);
        }
        Ok(Some(Lease {
            name: name.to_string(),
            key,
            held: Held::Postgres(Box::new(conn)),
        }))
    }

    /// Who holds the lease `name` now: the holder named in [`Store::try_lease`], or `None`
    /// when nobody does (or on SQLite, where there is no one to ask).
    pub async fn lease_holder(&self, name: &str) -> Result<Option<String>> {
        let Store::Postgres(pool) = self else {
            return Ok(None);
        };
        let key = lease_key(name);
        // A bigint advisory key is kept as two 32-bit halves (classid high, objid low).
        let row = sqlx::query(
            "SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 \
               AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
               AND l.classid::bigint = ($1 >> 32) & 4294967295 AND l.objid::bigint = $1 & 4294967295",
        )
        .bind(key)
        .fetch_optional(pool)
        .await?;
        let Some(row) = row else {
            return Ok(None);
        };
        let app: String = row.try_get("application_name")?;
        let prefix = lease_application_name(name, "");
        Ok(Some(app.strip_prefix(&prefix).unwrap_or(&app).to_string()))
    }
}

/// What a lease connection calls itself (PostgreSQL keeps the first 63 bytes).
fn lease_application_name(name: &str, holder: &str) -> String {
    format!("qingshan lease {name}: {holder}")
}

impl Lease {
    /// The lease's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the lease is still held: its connection answers within `within` and its
    /// session still has the lock. A failed or slow check means the lease may already be
    /// another server's; the holder stops the leased work and drops it.
    pub async fn still_held(&mut self, within: Duration) -> bool {
        let key = self.key;
        let Held::Postgres(conn) = &mut self.held else {
            return true;
        };
        let check = sqlx::query_scalar::<_, bool>(
            "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND pid = pg_backend_pid() AND objsubid = 1 \
             AND classid::bigint = ($1 >> 32) & 4294967295 AND objid::bigint = $1 & 4294967295)",
        )
        .bind(key)
        .fetch_one(conn.as_mut());
        matches!(tokio::time::timeout(within, check).await, Ok(Ok(true)))
    }

    /// Gives the lease up at once (a graceful shutdown): the next server's attempt gets it
    /// without waiting for anything.
    pub async fn release(self) {
        if let Held::Postgres(mut conn) = self.held {
            let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
                .bind(self.key)
                .execute(conn.as_mut())
                .await;
            let _ = conn.close().await;
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn lease_keys_are_stable_and_distinct() {
        assert_eq!(super::lease_key("duties"), super::lease_key("duties"));
        assert_ne!(super::lease_key("duties"), super::lease_key("other"));
        // Not the migration lock's key.
        assert_ne!(super::lease_key("duties"), 7262147);
    }
}

#[cfg(test)]
mod send_check {
    fn is_send<T: Send>(_: T) {}
    #[allow(dead_code)]
    async fn futures_are_send(store: crate::Store, mut lease: super::Lease) {
        is_send(store.try_lease("x", "y", std::time::Duration::from_secs(1)));
        is_send(store.lease_holder("x"));
        is_send(lease.still_held(std::time::Duration::from_secs(1)));
        is_send(lease.release());
    }
}
