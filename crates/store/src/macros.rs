//! Row helpers shared by both backends (the macro bodies expand once per backend).

/// Runs the same body against whichever pool the store holds.
macro_rules! with_pool {
    ($store:expr, $pool:ident => $body:expr) => {
        match $store {
            $crate::Store::Sqlite($pool, _) => $body,
            $crate::Store::Postgres($pool) => $body,
        }
    };
}

/// Inserts an [`crate::AuditEntry`] with the given executor.
macro_rules! insert_audit {
    ($exec:expr, $e:expr) => {{
        let e: &$crate::AuditEntry = $e;
        sqlx::query("INSERT INTO audit_log (at, actor, actor_user_id, action, target, outcome, old_value, new_value, detail, peer) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
            .bind($crate::now_text()).bind(&e.actor).bind(e.actor_user_id).bind(&e.action).bind(&e.target)
            .bind(e.outcome.as_str()).bind(&e.old_value).bind(&e.new_value).bind(&e.detail).bind(&e.peer)
            .execute($exec).await?;
    }};
}

/// Builds a [`crate::User`] from a row with the user columns.
macro_rules! user_from_row {
    ($r:expr) => {{
        let role: String = $r.try_get("role")?;
        $crate::User {
            id: $r.try_get("id")?,
            username: $r.try_get("username")?,
            display_name: $r.try_get("display_name")?,
            role: $crate::Role::parse(&role)
                .ok_or_else(|| $crate::StoreError::Corrupt(format!("未知角色 {role}")))?,
            unit_id: $r.try_get("unit_id")?,
            division_code: $r.try_get("division_code")?,
            active: $r.try_get("active")?,
        }
    }};
}

/// Builds a [`crate::IndicatorValue`] from a row of `VALUE_SELECT`.
macro_rules! value_from_row {
    ($r:expr) => {{
        $crate::IndicatorValue {
            id: $r.try_get("id")?,
            plan_id: $r.try_get("plan_id")?,
            indicator_number: $r.try_get("indicator_number")?,
            year: $r.try_get("year")?,
            division_code: $r.try_get("division_code")?,
            revision: $r.try_get("revision")?,
            value: $r.try_get("value")?,
            note: $r.try_get("note")?,
            reason: $r.try_get("reason")?,
            source: $r.try_get("source")?,
            entered_by: $r.try_get("entered_by")?,
            entered_by_name: $r.try_get("display_name")?,
            entered_at: $r.try_get("entered_at")?,
        }
    }};
}

/// Builds a [`crate::TaskReport`] from a row with the task report columns and the reporter's
/// `display_name`.
macro_rules! task_report_from_row {
    ($r:expr) => {{
        let status: String = $r.try_get("status")?;
        $crate::TaskReport {
            id: $r.try_get("id")?,
            area: $r.try_get("area")?,
            number: $r.try_get("number")?,
            period: $r.try_get("period")?,
            revision: $r.try_get("revision")?,
            status: $crate::TaskStatus::parse(&status)
                .ok_or_else(|| $crate::StoreError::Corrupt(status.clone()))?,
            narrative: $r.try_get("narrative")?,
            reported_by_name: $r.try_get("display_name")?,
            reported_at: $r.try_get("reported_at")?,
        }
    }};
}

/// Starts a write transaction. SQLite must take its write lock up front (`BEGIN IMMEDIATE`):
/// a deferred transaction that reads and then writes fails with "database is locked" instead of
/// waiting when another writer got there first.
pub(crate) trait BeginWrite {
    type Db: sqlx::Database;
    fn begin_write(
        &self,
    ) -> impl std::future::Future<Output = Result<sqlx::Transaction<'static, Self::Db>, sqlx::Error>>
    + Send;
}

impl BeginWrite for sqlx::SqlitePool {
    type Db = sqlx::Sqlite;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Sqlite>, sqlx::Error> {
        self.begin_with("BEGIN IMMEDIATE").await
    }
}

impl BeginWrite for sqlx::PgPool {
    type Db = sqlx::Postgres;
    async fn begin_write(&self) -> Result<sqlx::Transaction<'static, sqlx::Postgres>, sqlx::Error> {
        self.begin().await
    }
}

/// The display name of the actor's user (what reads return), or the actor's name.
macro_rules! display_name {
    ($exec:expr, $actor:expr) => {{
        let actor: &$crate::Actor = $actor;
        match actor.user_id {
            Some(id) => sqlx::query("SELECT display_name FROM users WHERE id = $1")
                .bind(id)
                .fetch_optional($exec)
                .await?
                .map(|r| r.try_get::<String, _>("display_name"))
                .transpose()?,
            None => Some(actor.name.clone()),
        }
    }};
}
