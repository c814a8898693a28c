//! Storage behind one interface, [`Store`], with two backends: embedded SQLite (the default,
//! a single file, zero setup) and PostgreSQL (several stateless servers sharing one store).
//!
//! Every method runs the same SQL on both backends (placeholders are `$n`, which both accept);
//! only the migrations differ. Writes that change data also write their audit entry in the same
//! transaction, so a change without its audit record cannot exist.

#[macro_use]
mod macros;
mod air;
mod alarms;
mod assessment;
mod cases;
mod commands;
mod complaints;
mod coverage;
mod credit;
mod disclosure;
mod evidence;
mod gaps;
mod heavy;
mod heavy_warnings;
mod idempotent;
mod incidents;
mod inspections;
pub mod labels;
mod lease;
mod ledger;
mod login_throttle;
mod marks;
mod migrate;
mod model;
mod open_existing;
mod orders;
mod paging;
mod params;
mod participation;
mod partitions;
mod refused;
mod sources;
mod stations;
mod water;

use chrono::{SecondsFormat, Utc};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgPool, Row, SqlitePool};
use std::str::FromStr;
use std::time::Duration;

pub use air::*;
pub use alarms::*;
pub use assessment::*;
pub use cases::*;
pub use commands::*;
pub use complaints::*;
pub use coverage::*;
pub use credit::*;
pub use disclosure::*;
pub use evidence::*;
pub use gaps::{DataGap, GAP_STATES, GapScan, GapUpdate, NewDataGap};
pub use heavy::*;
pub use heavy_warnings::*;
pub use idempotent::*;
pub use incidents::{EvidenceFrame, Incident, IncidentAction, IncidentFilter};
pub use inspections::*;
pub use lease::{Lease, lease_key};
pub use ledger::*;
pub use login_throttle::*;
use macros::BeginWrite;
pub use marks::*;
pub use model::*;
pub use orders::*;
pub use paging::*;
pub use params::*;
pub use participation::*;
pub use partitions::{MonthPartition, MonthPartitioned};
use qingshan_plan::Plan;
pub use refused::{
    GarbageRecord, GarbageSession, OVERFLOW_KEY, RefusedBudget, RefusedCount, ReleaseSummary,
    Released,
};
pub use sources::*;
pub use stations::{DeviceLinkChange, Retirement, StationKind, StationRevision};
pub use water::*;

/// Errors of the storage layer, with stable kinds.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database URL is not one we can use.
    #[error("数据库地址无效：{0}（应为 sqlite://文件路径 或 postgres://…）")]
    InvalidUrl(String),
    /// The database refused or failed.
    #[error("数据库错误：{0}")]
    Database(#[from] sqlx::Error),
    /// A referenced row does not exist.
    #[error("未找到：{0}")]
    NotFound(String),
    /// The write collides with an existing row.
    #[error("冲突：{0}")]
    Conflict(String),
    /// Stored data is not what this version expects.
    #[error("数据不一致：{0}")]
    Corrupt(String),
}

impl StoreError {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            StoreError::InvalidUrl(_) => "invalid_url",
            StoreError::Database(_) => "database",
            StoreError::NotFound(_) => "not_found",
            StoreError::Conflict(_) => "conflict",
            StoreError::Corrupt(_) => "corrupt",
        }
    }
}

/// Result of a storage call.
pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// What the writers of one SQLite file and its checkpointer coordinate on.
#[derive(Debug, Default)]
pub struct SqliteShared {
    /// Held by a frame ingest while it writes, and by the checkpointer while it rewinds the log.
    ingest_gate: tokio::sync::Mutex<()>,
}

/// The one storage interface; which backend is behind it is chosen by the URL.
#[derive(Clone, Debug)]
pub enum Store {
    /// Embedded SQLite file, with what its writers and checkpointer share.
    Sqlite(SqlitePool, std::sync::Arc<SqliteShared>),
    /// Shared PostgreSQL server.
    Postgres(PgPool),
}

/// A database URL fit to print: the password of `scheme://user:password@host/…` and any
/// `password=` query parameter become `***`. Every message that shows a URL goes through it.
pub fn redact_url(url: &str) -> String {
    let (scheme, rest) = match url.split_once("://") {
        Some((s, r)) => (Some(s), r),
        None => (None, url),
    };
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(authority_end);
    let authority = match authority.rsplit_once('@') {
        Some((user_info, host)) => match user_info.split_once(':') {
            Some((user, _)) => format!("{user}:***@{host}"),
            None => authority.to_string(),
        },
        None => authority.to_string(),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    match scheme {
        Some(s) => format!("{s}://{authority}{tail}"),
        None => format!("{authority}{tail}"),
    }
}

/// Now, in the fixed-width UTC form every timestamp column uses (sortable as text).
pub fn now_text() -> String {
    Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A timestamp `secs` seconds from now, in the stored form.
pub fn text_in(secs: i64) -> String {
    (Utc::now() + chrono::Duration::seconds(secs)).to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// Attempts of a write that lost the race for a revision number to a concurrent writer
/// (PostgreSQL; SQLite's writers queue): the unique key refuses the second, which retries.
const REVISION_ATTEMPTS: usize = 20;

/// A write refused by a unique key: how a lost revision race shows.
fn is_unique_violation(e: &StoreError) -> bool {
    matches!(e, StoreError::Database(sqlx::Error::Database(d)) if d.is_unique_violation())
}

/// How often the checkpointer looks at the write-ahead log.
const CHECKPOINT_EVERY: Duration = Duration::from_millis(200);
/// Log size (pages) past which the checkpointer rewinds the log to its start.
const CHECKPOINT_REWIND_PAGES: i64 = 8_192;

/// Copies committed pages from the write-ahead log into the database file, beside the writers.
///
/// PASSIVE checkpoints never block a writer. But SQLite rewinds the log only when a write
/// begins after a checkpoint has copied all of it, which under a steady ingest never happens
/// by chance: the log would grow without bound. So once it is past
/// [`CHECKPOINT_REWIND_PAGES`], the checkpointer copies the bulk while ingest goes on, then
/// holds ingest off only while it copies the last few commits; the next write rewinds the log.
/// (SQLite's own RESTART mode waits for the write lock through the busy handler, meanwhile
/// the log grows, and the commits it then blocks can pile up for hundreds of milliseconds.)
async fn checkpointer(pool: SqlitePool, shared: std::sync::Arc<SqliteShared>) {
    let passive = |pool: &SqlitePool| {
        let pool = pool.clone();
        async move {
            let row = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)")
                .fetch_one(&pool)
                .await?;
            // (busy, pages in the log, pages copied)
            Ok::<_, sqlx::Error>((row.try_get::<i64, _>(1)?, row.try_get::<i64, _>(2)?))
        }
    };
    let mut tick = tokio::time::interval(CHECKPOINT_EVERY);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tick.tick() => {}
            _ = pool.close_event() => return,
        }
        let log_pages = match passive(&pool).await {
            Ok((log, _)) => log,
            Err(e) => {
                if pool.is_closed() {
                    return;
                }
                tracing::warn!(error = %e, "checkpoint failed");
                continue;
            }
        };
        if log_pages < CHECKPOINT_REWIND_PAGES {
            continue;
        }
        // What was committed during the first pass; smaller again.
        if passive(&pool).await.is_err() {
            continue;
        }
        let started = std::time::Instant::now();
        let _gate = shared.ingest_gate.lock().await;
        let last = passive(&pool).await;
        tracing::debug!(
            log_pages,
            ?last,
            held_ms = started.elapsed().as_secs_f64() * 1000.0,
            "write-ahead log caught up for rewinding"
        );
    }
}

impl Store {
    /// Opens a store by URL: `sqlite://PATH` (created if missing), `sqlite::memory:`, or `postgres://…`.
    pub async fn connect(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") {
            let memory = url.contains(":memory:");
            let mut opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::InvalidUrl(redact_url(url)))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                // FULL: a write is on disk when the call returns; acknowledgements depend on it.
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                // 64 MiB of page cache per connection keeps the ingest indexes' hot pages in memory.
                .pragma("cache_size", "-65536")
                // Statement journals of multi-row inserts stay in memory instead of temp files.
                .pragma("temp_store", "memory")
                .busy_timeout(Duration::from_secs(10));
            if !memory {
                // The checkpointer below copies the log into the database file; the writers
                // (the gateway's above all) then never pay for it inside a commit.
                opts = opts.pragma("wal_autocheckpoint", "0");
            }
            let pool = SqlitePoolOptions::new()
                // An in-memory database exists per connection; keep exactly one.
                .max_connections(if memory { 1 } else { 8 })
                .min_connections(if memory { 1 } else { 0 })
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(opts)
                .await?;
            let shared = std::sync::Arc::new(SqliteShared::default());
            if !memory {
                tokio::spawn(checkpointer(pool.clone(), shared.clone()));
            }
            Ok(Store::Sqlite(pool, shared))
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let opts = PgConnectOptions::from_str(url)
                .map_err(|_| StoreError::InvalidUrl(redact_url(url)))?;
            let pool = PgPoolOptions::new()
                .max_connections(16)
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(opts)
                .await?;
            Ok(Store::Postgres(pool))
        } else {
            Err(StoreError::InvalidUrl(redact_url(url)))
        }
    }

    /// Which backend this is: "sqlite" or "postgres".
    pub fn backend(&self) -> &'static str {
        match self {
            Store::Sqlite(..) => "sqlite",
            Store::Postgres(_) => "postgres",
        }
    }

    /// Applies pending migrations; returns how many ran.
    ///
    /// On PostgreSQL the whole run holds one session advisory lock, so servers started at the
    /// same moment on one database migrate one after the other (the later ones find nothing
    /// left to do).
    pub async fn migrate(&self) -> Result<usize> {
        let mut lock = migrate::MigrationLock::take(self).await?;
        let done = async {
            let applied = migrate::run(self, &mut lock, i64::MAX).await?;
            // Alarms raised before incidents existed are grouped once, on the first start after.
            self.backfill_incidents().await?;
            Ok(applied)
        }
        .await;
        lock.release().await;
        done
    }

    /// Applies pending migrations up to `version` only: how upgrades from an older schema,
    /// with data in it, are tested.
    pub async fn migrate_to(&self, version: i64) -> Result<usize> {
        let mut lock = migrate::MigrationLock::take(self).await?;
        let done = migrate::run(self, &mut lock, version).await;
        lock.release().await;
        done
    }

    /// Writes a consistent copy of the whole SQLite database to `path` while the server keeps
    /// running (`VACUUM INTO`: one read transaction, compacted, the log folded in), and records
    /// it in the audit log. `path` must not exist. PostgreSQL is backed up with its own tools
    /// (`pg_dump`), so it is refused here.
    pub async fn backup_to(&self, path: &str, actor: &Actor) -> Result<()> {
        match self {
            Store::Sqlite(pool, _) => {
                if std::path::Path::new(path).exists() {
                    return Err(StoreError::Conflict(format!("备份文件 {path} 已存在")));
                }
                sqlx::query("VACUUM INTO $1")
                    .bind(path)
                    .execute(pool)
                    .await?;
                let mut audit = AuditEntry::ok(actor, "database.backup", "database".into());
                audit.detail = Some(format!("备份到 {path}"));
                self.audit(&audit).await
            }
            Store::Postgres(_) => Err(StoreError::Conflict(
                "PostgreSQL 请用 pg_dump 备份（本命令只备份 SQLite 数据库文件）".into(),
            )),
        }
    }

    /// Checks the database answers.
    pub async fn ping(&self) -> Result<()> {
        with_pool!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// Writes the plan (metadata, units, divisions, indicators, tasks) so that values and
    /// reports can refer to it. Idempotent; one transaction.
    pub async fn sync_plan(&self, plan: &Plan, source_toml: &str) -> Result<()> {
        let now = now_text();
        let pid = &plan.meta.id;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("INSERT INTO plans (id, title, document_number, source_toml, loaded_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (id) DO UPDATE SET title = excluded.title, document_number = excluded.document_number, source_toml = excluded.source_toml, loaded_at = excluded.loaded_at")
                .bind(pid).bind(&plan.meta.title).bind(&plan.meta.document_number).bind(source_toml).bind(&now)
                .execute(&mut *tx).await?;
            for u in &plan.units {
                sqlx::query("INSERT INTO units (plan_id, id, name) VALUES ($1, $2, $3) ON CONFLICT (plan_id, id) DO UPDATE SET name = excluded.name")
                    .bind(pid).bind(&u.id).bind(&u.name).execute(&mut *tx).await?;
            }
            for d in &plan.divisions {
                let level = match d.level { qingshan_plan::DivisionLevel::City => "city", qingshan_plan::DivisionLevel::County => "county" };
                sqlx::query("INSERT INTO divisions (code, name, level) VALUES ($1, $2, $3) ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level")
                    .bind(&d.code).bind(&d.name).bind(level).execute(&mut *tx).await?;
            }
            for i in &plan.indicators {
                let targets = serde_json::to_string(&i.targets).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let direction = serde_json::to_value(i.direction).ok().and_then(|v| v.as_str().map(str::to_string)).unwrap_or_default();
                sqlx::query("INSERT INTO indicators (plan_id, number, category, name, unit, direction, baseline_text, baseline, responsible, targets_json) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
                             ON CONFLICT (plan_id, number) DO UPDATE SET category = excluded.category, name = excluded.name, unit = excluded.unit, \
                             direction = excluded.direction, baseline_text = excluded.baseline_text, baseline = excluded.baseline, \
                             responsible = excluded.responsible, targets_json = excluded.targets_json")
                    .bind(pid).bind(i64::from(i.number)).bind(&i.category).bind(&i.name).bind(&i.unit).bind(direction)
                    .bind(&i.baseline_text).bind(i.baseline.map(|b| b.to_string())).bind(i.responsible.join(",")).bind(targets)
                    .execute(&mut *tx).await?;
            }
            for t in plan.tasks() {
                sqlx::query("INSERT INTO tasks (plan_id, area, number, title, body, responsible) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (plan_id, area, number) DO UPDATE SET title = excluded.title, body = excluded.body, responsible = excluded.responsible")
                    .bind(pid).bind(i64::from(t.area)).bind(i64::from(t.number)).bind(&t.title).bind(&t.text).bind(t.responsible.join(","))
                    .execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Number of stored indicators of a plan (what `sync_plan` wrote).
    pub async fn count_indicators(&self, plan_id: &str) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT COUNT(*) AS n FROM indicators WHERE plan_id = $1").bind(plan_id).fetch_one(p).await?.try_get::<i64, _>("n")?
        }))
    }

    // ---- users -------------------------------------------------------------------------

    /// Creates a user; audited as done by `actor`.
    pub async fn create_user(&self, new: &NewUser, actor: &Actor) -> Result<User> {
        let now = now_text();
        let audit = AuditEntry::ok(actor, "user.create", format!("user:{}", new.username))
            .with_new(format!(
                "role={} unit={} division={} credit_code={}",
                new.role.as_str(),
                new.unit_id.as_deref().unwrap_or("-"),
                new.division_code.as_deref().unwrap_or("-"),
                new.credit_code.as_deref().unwrap_or("-")
            ));
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let exists = sqlx::query("SELECT id FROM users WHERE username = $1").bind(&new.username).fetch_optional(&mut *tx).await?;
            if exists.is_some() {
                return Err(StoreError::Conflict(format!("用户名「{}」已存在", new.username)));
            }
            let row = sqlx::query("INSERT INTO users (username, display_name, password_hash, role, unit_id, division_code, active, created_at, credit_code, must_change_password) \
                                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind(&new.username).bind(&new.display_name).bind(&new.password_hash).bind(new.role.as_str())
                .bind(&new.unit_id).bind(&new.division_code).bind(true).bind(&now)
                .bind(&new.credit_code).bind(new.must_change_password)
                .fetch_one(&mut *tx).await?;
            let id: i64 = row.try_get("id")?;
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.user_by_id(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("user {id}")))
    }

    /// A user by id.
    pub async fn user_by_id(&self, id: i64) -> Result<Option<User>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(USER_COLUMNS_BY_ID).bind(id).fetch_optional(p).await? {
                Some(r) => Some(user_from_row!(r)),
                None => None,
            }
        }))
    }

    /// A user and their password hash, by username, for login.
    pub async fn user_credentials(&self, username: &str) -> Result<Option<(User, String)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(USER_COLUMNS_BY_NAME).bind(username).fetch_optional(p).await? {
                Some(r) => {
                    let hash: String = r.try_get("password_hash")?;
                    Some((user_from_row!(r), hash))
                }
                None => None,
            }
        }))
    }

    /// All users, by id.
    pub async fn users(&self) -> Result<Vec<User>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(USER_COLUMNS_ALL).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(user_from_row!(r)); }
            out
        }))
    }

    /// Sets a user's password hash and ends every session of theirs, so a session opened with
    /// the old password does not outlive it. `must_change` is true when someone else (an
    /// administrator's reset) chose the password: the user must change it on signing in.
    /// Audited (without the hash).
    pub async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        must_change: bool,
        actor: &Actor,
    ) -> Result<()> {
        let audit = AuditEntry::ok(actor, "user.password", format!("user_id:{user_id}"))
            .with_new(format!("must_change_password={must_change}"));
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("UPDATE users SET password_hash = $1, must_change_password = $3 WHERE id = $2")
                .bind(password_hash).bind(user_id).bind(must_change).execute(&mut *tx).await?.rows_affected();
            if n == 0 {
                return Err(StoreError::NotFound(format!("用户 {user_id}")));
            }
            sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Opens or closes an account. Closing it ends its sessions and revokes its API tokens at
    /// once; reopening restores neither. Audited with the state before and after.
    pub async fn set_user_active(&self, user_id: i64, active: bool, actor: &Actor) -> Result<()> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let Some(row) = sqlx::query("SELECT active FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await? else {
                return Err(StoreError::NotFound(format!("用户 {user_id}")));
            };
            let was: bool = row.try_get("active")?;
            sqlx::query("UPDATE users SET active = $1 WHERE id = $2").bind(active).bind(user_id).execute(&mut *tx).await?;
            if !active {
                sqlx::query("DELETE FROM sessions WHERE user_id = $1").bind(user_id).execute(&mut *tx).await?;
                sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
                    .bind(&now).bind(user_id).execute(&mut *tx).await?;
            }
            let mut audit = AuditEntry::ok(actor, if active { "user.activate" } else { "user.deactivate" }, format!("user_id:{user_id}"));
            audit.old_value = Some(format!("active={was}"));
            audit.new_value = Some(format!("active={active}"));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    // ---- sessions and tokens -----------------------------------------------------------

    /// Starts a session; the token itself never reaches the database, only its hash.
    pub async fn create_session(
        &self,
        token_hash: &str,
        user_id: i64,
        csrf_token: &str,
        ttl_secs: i64,
    ) -> Result<()> {
        let now = now_text();
        let expires = text_in(ttl_secs);
        with_pool!(self, p => {
            sqlx::query("INSERT INTO sessions (token_hash, user_id, csrf_token, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash).bind(user_id).bind(csrf_token).bind(&now).bind(&expires).execute(p).await?;
        });
        Ok(())
    }

    /// The live session for a token hash: its user and CSRF token.
    pub async fn session(&self, token_hash: &str) -> Result<Option<(User, String)>> {
        let now = now_text();
        Ok(with_pool!(self, p => {
            let r = sqlx::query(&format!("{USER_SELECT}, s.csrf_token FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.active = $3"))
                .bind(token_hash).bind(&now).bind(true).fetch_optional(p).await?;
            match r {
                Some(r) => { let csrf: String = r.try_get("csrf_token")?; Some((user_from_row!(r), csrf)) }
                None => None,
            }
        }))
    }

    /// Ends a session.
    pub async fn delete_session(&self, token_hash: &str) -> Result<()> {
        with_pool!(self, p => { sqlx::query("DELETE FROM sessions WHERE token_hash = $1").bind(token_hash).execute(p).await?; });
        Ok(())
    }

    /// Records an API token issued to a user; audited.
    pub async fn create_api_token(
        &self,
        token_hash: &str,
        user_id: i64,
        label: &str,
        actor: &Actor,
    ) -> Result<i64> {
        let now = now_text();
        let audit = AuditEntry::ok(actor, "token.issue", format!("user_id:{user_id}"))
            .with_new(label.to_string());
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let found = sqlx::query("SELECT id FROM users WHERE id = $1").bind(user_id).fetch_optional(&mut *tx).await?;
            if found.is_none() { return Err(StoreError::NotFound(format!("用户 {user_id}"))); }
            let r = sqlx::query("INSERT INTO api_tokens (token_hash, user_id, label, created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(token_hash).bind(user_id).bind(label).bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?;
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            r.try_get::<i64, _>("id")?
        }))
    }

    /// The user an API token (by hash) belongs to, if the token is live.
    pub async fn api_token_user(&self, token_hash: &str) -> Result<Option<User>> {
        Ok(with_pool!(self, p => {
            let r = sqlx::query(&format!("{USER_SELECT} FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.active = $2"))
                .bind(token_hash).bind(true).fetch_optional(p).await?;
            match r { Some(r) => Some(user_from_row!(r)), None => None }
        }))
    }

    // ---- login throttling ----------------------------------------------------------------

    /// Records a login attempt.
    pub async fn record_login_attempt(&self, username: &str, peer: &str, ok: bool) -> Result<()> {
        let now = now_text();
        with_pool!(self, p => {
            sqlx::query("INSERT INTO login_attempts (username, peer, at, ok) VALUES ($1, $2, $3, $4)")
                .bind(username).bind(peer).bind(&now).bind(ok).execute(p).await?;
        });
        Ok(())
    }

    /// Failed attempts for a username or from a peer since a time (stored form).
    pub async fn failed_logins_since(
        &self,
        username: &str,
        peer: &str,
        since: &str,
    ) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT COUNT(*) AS n FROM login_attempts WHERE ok = $1 AND at >= $2 AND (username = $3 OR peer = $4)")
                .bind(false).bind(since).bind(username).bind(peer).fetch_one(p).await?.try_get::<i64, _>("n")?
        }))
    }

    // ---- audit ---------------------------------------------------------------------------

    /// Writes one audit entry on its own (refusals, logins); changes audit inside their own transaction.
    pub async fn audit(&self, entry: &AuditEntry) -> Result<()> {
        with_pool!(self, p => {
            let mut conn = p.acquire().await?;
            insert_audit!(&mut *conn, entry);
        });
        Ok(())
    }

    /// The newest audit entries first, optionally only those whose action starts with a prefix.
    pub async fn audit_log(
        &self,
        action_prefix: Option<&str>,
        limit: i64,
    ) -> Result<Vec<AuditRecord>> {
        let pattern = format!("{}%", action_prefix.unwrap_or(""));
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, at, actor, actor_user_id, action, target, outcome, old_value, new_value, detail, peer FROM audit_log \
                                    WHERE action LIKE $1 ORDER BY id DESC LIMIT $2")
                .bind(&pattern).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(AuditRecord {
                    id: r.try_get("id")?, at: r.try_get("at")?, actor: r.try_get("actor")?, actor_user_id: r.try_get("actor_user_id")?,
                    action: r.try_get("action")?, target: r.try_get("target")?, outcome: r.try_get("outcome")?,
                    old_value: r.try_get("old_value")?, new_value: r.try_get("new_value")?, detail: r.try_get("detail")?, peer: r.try_get("peer")?,
                });
            }
            out
        }))
    }

    // ---- indicator values ----------------------------------------------------------------

    /// Records many values in one transaction, each a new revision with its audit entry (an
    /// import: all or nothing). Returns how many were stored.
    pub async fn record_indicator_values(
        &self,
        values: &[NewIndicatorValue],
        actor: &Actor,
    ) -> Result<usize> {
        let now = now_text();
        // A concurrent writer may take a revision number first; the whole import is tried again.
        for _ in 0..REVISION_ATTEMPTS {
            let res: Result<()> = with_pool!(self, p => async {
                let mut tx = p.begin_write().await?;
                for v in values {
                    insert_value_revision!(&mut tx, v, actor, &now);
                }
                tx.commit().await?;
                Ok(())
            }.await);
            match res {
                Err(e) if is_unique_violation(&e) => continue,
                other => return other.map(|()| values.len()),
            }
        }
        Err(StoreError::Conflict("并发写入过多，请重试".into()))
    }

    /// Records a value as a new revision (never overwriting), with its audit entry, in one
    /// transaction. Returns the stored revision.
    pub async fn record_indicator_value(
        &self,
        v: &NewIndicatorValue,
        actor: &Actor,
    ) -> Result<IndicatorValue> {
        let now = now_text();
        // A concurrent writer may take the revision number first; try again with the next.
        for _ in 0..REVISION_ATTEMPTS {
            let res: Result<IndicatorValue> = with_pool!(self, p => async {
                let mut tx = p.begin_write().await?;
                let (id, revision) = insert_value_revision!(&mut tx, v, actor, &now);
                let entered_by_name = display_name!(&mut *tx, actor);
                tx.commit().await?;
                Ok(IndicatorValue {
                    id, plan_id: v.plan_id.clone(), indicator_number: v.indicator_number, year: v.year, division_code: v.division_code.clone(),
                    revision, value: v.value.clone(), note: v.note.clone(), reason: v.reason.clone(), source: v.source.clone(),
                    entered_by: actor.user_id, entered_by_name, entered_at: now.clone(),
                    valid_days: v.capture.map(|c| c.valid_days), period_days: v.capture.map(|c| c.period_days), capture_valid: v.capture.map(|c| c.valid),
                })
            }.await);
            match res {
                Err(e) if is_unique_violation(&e) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict("并发写入过多，请重试".into()))
    }

    /// Every revision of one indicator's values, oldest first; optionally one division only.
    pub async fn indicator_value_history(
        &self,
        plan_id: &str,
        number: i64,
        division: Option<&str>,
    ) -> Result<Vec<IndicatorValue>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{VALUE_SELECT} WHERE v.plan_id = $1 AND v.indicator_number = $2 AND ($3 IS NULL OR v.division_code = $3) ORDER BY v.year, v.division_code, v.revision"))
                .bind(plan_id).bind(number).bind(division).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(value_from_row!(r)); }
            out
        }))
    }

    /// The current (latest-revision) value of every indicator, year and division of a plan.
    pub async fn current_indicator_values(&self, plan_id: &str) -> Result<Vec<IndicatorValue>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{VALUE_SELECT} WHERE v.plan_id = $1 AND v.revision = (SELECT MAX(w.revision) FROM indicator_values w \
                 WHERE w.plan_id = v.plan_id AND w.indicator_number = v.indicator_number AND w.year = v.year AND w.division_code = v.division_code) \
                 ORDER BY v.indicator_number, v.year, v.division_code"))
                .bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(value_from_row!(r)); }
            out
        }))
    }

    // ---- task reports --------------------------------------------------------------------

    /// Records a task progress report as a new revision for its period; audited.
    pub async fn record_task_report(&self, r: &NewTaskReport, actor: &Actor) -> Result<TaskReport> {
        Ok(self
            .record_task_report_with_evidence(r, &[], actor)
            .await?
            .0)
    }

    /// Latest report per period of one task, newest period first.
    pub async fn task_reports(
        &self,
        plan_id: &str,
        area: i64,
        number: i64,
    ) -> Result<Vec<TaskReport>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT r.id, r.area, r.number, r.period, r.revision, r.status, r.narrative, r.reported_at, u.display_name FROM task_reports r \
                 LEFT JOIN users u ON u.id = r.reported_by WHERE r.plan_id = $1 AND r.area = $2 AND r.number = $3 \
                 AND r.revision = (SELECT MAX(x.revision) FROM task_reports x WHERE x.plan_id = r.plan_id AND x.area = r.area AND x.number = r.number AND x.period = r.period) \
                 ORDER BY r.period DESC")
                .bind(plan_id).bind(area).bind(number).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for x in rows { out.push(task_report_from_row!(x)); }
            out
        }))
    }
}

const USER_SELECT: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.division_code, u.credit_code, u.active, u.must_change_password, u.password_hash";
const USER_COLUMNS_BY_ID: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.division_code, u.credit_code, u.active, u.must_change_password, u.password_hash FROM users u WHERE u.id = $1";
const USER_COLUMNS_BY_NAME: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.division_code, u.credit_code, u.active, u.must_change_password, u.password_hash FROM users u WHERE u.username = $1";
const USER_COLUMNS_ALL: &str = "SELECT u.id, u.username, u.display_name, u.role, u.unit_id, u.division_code, u.credit_code, u.active, u.must_change_password, u.password_hash FROM users u ORDER BY u.id";
const VALUE_SELECT: &str = "SELECT v.id, v.plan_id, v.indicator_number, v.year, v.division_code, v.revision, v.value, v.note, v.reason, v.source, v.entered_by, v.entered_at, v.valid_days, v.period_days, v.capture_valid, u.display_name \
                            FROM indicator_values v LEFT JOIN users u ON u.id = v.entered_by";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn database_urls_are_printed_without_their_password() {
        assert_eq!(
            redact_url("postgres://qs:s3cr%40t@db.example:5432/qingshan"),
            "postgres://qs:***@db.example:5432/qingshan"
        );
        assert_eq!(
            redact_url("postgresql://qs:p@ss@host/db?sslmode=require&password=x"),
            "postgresql://qs:***@host/db?sslmode=require&password=***"
        );
        // Nothing secret: unchanged.
        for plain in [
            "postgres://qs@host/db",
            "sqlite://qingshan.db",
            "sqlite::memory:",
        ] {
            assert_eq!(redact_url(plain), plain);
        }
    }

    #[tokio::test]
    async fn an_invalid_url_error_does_not_show_the_password() {
        for url in [
            "mysql://root:hunter2@host/db",
            "postgres://qs:hunter2@host:notaport/db",
        ] {
            let err = Store::connect(url).await.unwrap_err();
            let text = err.to_string();
            assert_eq!(err.kind(), "invalid_url", "{text}");
            assert!(
                !text.contains("hunter2") && text.contains(":***@"),
                "{text}"
            );
        }
    }
}
