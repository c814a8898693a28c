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
            credit_code: $r.try_get("credit_code")?,
            active: $r.try_get("active")?,
            must_change_password: $r.try_get("must_change_password")?,
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
            valid_days: $r.try_get("valid_days")?,
            period_days: $r.try_get("period_days")?,
            capture_valid: $r.try_get("capture_valid")?,
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

/// Inserts a [`crate::NewIndicatorValue`] as the next revision of its indicator, year and
/// division, with its audit entry, inside the caller's transaction; evaluates to
/// `(row id, revision)`. Returns early with `NotFound` for an unknown division, and with the
/// database's unique violation when a concurrent writer took the revision number.
macro_rules! insert_value_revision {
    ($tx:expr, $v:expr, $actor:expr, $now:expr) => {{
        let v: &$crate::NewIndicatorValue = $v;
        let actor: &$crate::Actor = $actor;
        let tx = $tx;
        if sqlx::query("SELECT code FROM divisions WHERE code = $1").bind(&v.division_code).fetch_optional(&mut **tx).await?.is_none() {
            return Err($crate::StoreError::NotFound(format!("行政区划 {}", v.division_code)));
        }
        let prev = sqlx::query("SELECT revision, value FROM indicator_values WHERE plan_id = $1 AND indicator_number = $2 AND year = $3 AND division_code = $4 ORDER BY revision DESC LIMIT 1")
            .bind(&v.plan_id).bind(v.indicator_number).bind(v.year).bind(&v.division_code).fetch_optional(&mut **tx).await?;
        let (revision, old) = match prev {
            Some(r) => (r.try_get::<i64, _>("revision")? + 1, Some(r.try_get::<String, _>("value")?)),
            None => (1, None),
        };
        let id: i64 = sqlx::query("INSERT INTO indicator_values (plan_id, indicator_number, year, division_code, revision, value, note, reason, source, entered_by, entered_at, valid_days, period_days, capture_valid) \
                                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id")
            .bind(&v.plan_id).bind(v.indicator_number).bind(v.year).bind(&v.division_code).bind(revision).bind(&v.value)
            .bind(&v.note).bind(&v.reason).bind(&v.source).bind(actor.user_id).bind($now)
            .bind(v.capture.map(|c| c.valid_days)).bind(v.capture.map(|c| c.period_days)).bind(v.capture.map(|c| c.valid))
            .fetch_one(&mut **tx).await?
            .try_get("id")?;
        let mut audit = $crate::AuditEntry::ok(actor, "indicator_value.record", format!("indicator:{} year:{} division:{}", v.indicator_number, v.year, v.division_code))
            .with_new(v.value.clone());
        audit.old_value = old;
        audit.detail = Some(match v.capture {
            Some(c) => format!("revision={revision} source={} reason={} valid_days={}/{} capture_valid={}", v.source, v.reason.as_deref().unwrap_or(""), c.valid_days, c.period_days, c.valid),
            None => format!("revision={revision} source={} reason={}", v.source, v.reason.as_deref().unwrap_or("")),
        });
        insert_audit!(&mut **tx, &audit);
        (id, revision)
    }};
}
