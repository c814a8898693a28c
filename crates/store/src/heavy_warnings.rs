//! Heavy-pollution warnings (重污染天气预警): the city's act as staff record it — issue, raise,
//! lower, lift — each step an event with who, when and the forecast that justified it, and the
//! notices (应急减排措施通知) each step sends to the enterprises of the warned counties, which
//! they confirm. Every write is audited in its transaction.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Paged, Result, Store, StoreError, now_text};

/// A warning step's input, as the app checked it.
#[derive(Debug, Clone)]
pub struct WarningStepInput {
    /// The level in force after the step (yellow, orange, red).
    pub level: String,
    /// When it takes effect, RFC 3339 UTC.
    pub effective_at: String,
    /// The forecast behind it (AQI values or text).
    pub forecast: Option<String>,
    /// Why (会商意见, document).
    pub justification: String,
}

/// A notice to send with a step: one enterprise's measures of the level.
#[derive(Debug, Clone)]
pub struct NoticeDraft {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name.
    pub enterprise: String,
    /// County.
    pub division_code: Option<String>,
    /// The measures, as text.
    pub measures: String,
    /// JSON of the per-pollutant reductions and baselines.
    pub reductions: String,
    /// JSON array of the affected devices' MNs.
    pub mns: String,
}

/// A stored warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyWarning {
    /// Row id.
    pub id: i64,
    /// Level in force (or last in force).
    pub level: String,
    /// active or lifted.
    pub state: String,
    /// County codes; empty: the whole city.
    pub areas: Vec<String>,
    /// 文号, if any.
    pub document_no: Option<String>,
    /// Start, RFC 3339 UTC.
    pub start_at: String,
    /// When lifted.
    pub lifted_at: Option<String>,
    /// Issuer.
    pub created_by: Option<i64>,
    /// Issuer's name.
    pub created_by_name: Option<String>,
    /// When recorded.
    pub created_at: String,
}

/// A step of a warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WarningEvent {
    /// Row id.
    pub id: i64,
    /// The warning.
    pub warning_id: i64,
    /// issue, raise, lower or lift.
    pub kind: String,
    /// Level after the step.
    pub level: String,
    /// When it took effect.
    pub effective_at: String,
    /// Forecast.
    pub forecast: Option<String>,
    /// Justification.
    pub justification: String,
    /// Who.
    pub by_user: Option<i64>,
    /// Their name.
    pub by_name: Option<String>,
    /// When recorded.
    pub at: String,
}

/// A stored notice.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct WarningNotice {
    /// Row id.
    pub id: i64,
    /// The warning.
    pub warning_id: i64,
    /// The step that sent it.
    pub event_id: i64,
    /// Level.
    pub level: String,
    /// Addressee.
    pub credit_code: String,
    /// Addressee's name.
    pub enterprise: String,
    /// County.
    pub division_code: Option<String>,
    /// Measures.
    pub measures: String,
    /// Reductions JSON.
    pub reductions: String,
    /// MNs JSON.
    pub mns: String,
    /// issued, confirmed or superseded.
    pub state: String,
    /// When sent.
    pub issued_at: String,
    /// Who confirmed.
    pub confirmed_by: Option<i64>,
    /// Their name.
    pub confirmed_by_name: Option<String>,
    /// When.
    pub confirmed_at: Option<String>,
    /// Their note.
    pub confirm_note: Option<String>,
}

/// A step after issuing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WarningStep {
    /// To a higher level.
    Raise,
    /// To a lower level.
    Lower,
    /// End.
    Lift,
}

impl WarningStep {
    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            WarningStep::Raise => "raise",
            WarningStep::Lower => "lower",
            WarningStep::Lift => "lift",
        }
    }
}

const WARNING_SELECT: &str = "SELECT w.id, w.level, w.state, w.areas, w.document_no, w.start_at, w.lifted_at, w.created_by, \
     u.display_name AS created_by_name, w.created_at FROM heavy_warnings w LEFT JOIN users u ON u.id = w.created_by";

const NOTICE_SELECT: &str = "SELECT n.id, n.warning_id, n.event_id, n.level, n.credit_code, n.enterprise, n.division_code, n.measures, \
     n.reductions, n.mns, n.state, n.issued_at, n.confirmed_by, u.display_name AS confirmed_by_name, n.confirmed_at, n.confirm_note \
     FROM warning_notices n LEFT JOIN users u ON u.id = n.confirmed_by";

fn split_areas(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|x| !x.is_empty())
        .map(str::to_string)
        .collect()
}

macro_rules! warning_from_row {
    ($r:expr) => {{
        let areas: String = $r.try_get("areas")?;
        HeavyWarning {
            id: $r.try_get("id")?,
            level: $r.try_get("level")?,
            state: $r.try_get("state")?,
            areas: split_areas(&areas),
            document_no: $r.try_get("document_no")?,
            start_at: $r.try_get("start_at")?,
            lifted_at: $r.try_get("lifted_at")?,
            created_by: $r.try_get("created_by")?,
            created_by_name: $r.try_get("created_by_name")?,
            created_at: $r.try_get("created_at")?,
        }
    }};
}

macro_rules! notice_from_row {
    ($r:expr) => {
        WarningNotice {
            id: $r.try_get("id")?,
            warning_id: $r.try_get("warning_id")?,
            event_id: $r.try_get("event_id")?,
            level: $r.try_get("level")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            measures: $r.try_get("measures")?,
            reductions: $r.try_get("reductions")?,
            mns: $r.try_get("mns")?,
            state: $r.try_get("state")?,
            issued_at: $r.try_get("issued_at")?,
            confirmed_by: $r.try_get("confirmed_by")?,
            confirmed_by_name: $r.try_get("confirmed_by_name")?,
            confirmed_at: $r.try_get("confirmed_at")?,
            confirm_note: $r.try_get("confirm_note")?,
        }
    };
}

/// Inserts the notices of a step with their audit entries.
macro_rules! insert_notices {
    ($tx:expr, $warning:expr, $event:expr, $level:expr, $notices:expr, $actor:expr, $now:expr) => {
        for n in $notices {
            let nid: i64 = sqlx::query("INSERT INTO warning_notices (warning_id, event_id, level, credit_code, enterprise, division_code, measures, reductions, mns, state, issued_at) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'issued', $10) RETURNING id")
                .bind($warning).bind($event).bind($level).bind(&n.credit_code).bind(&n.enterprise).bind(&n.division_code)
                .bind(&n.measures).bind(&n.reductions).bind(&n.mns).bind($now).fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "warning_notice.issue", format!("warning_notice:{nid}"));
            a.new_value = Some(format!("heavy_warning:{} {} {}", $warning, $level, n.credit_code));
            a.detail = Some(n.measures.clone());
            insert_audit!(&mut *$tx, &a);
        }
    };
}

impl Store {
    /// Issues a warning with its notices (`heavy_warning.issue`, one `warning_notice.issue` per
    /// notice; audited).
    pub async fn issue_heavy_warning(
        &self,
        step: &WarningStepInput,
        areas: &[String],
        document_no: Option<&str>,
        notices: &[NoticeDraft],
        actor: &Actor,
    ) -> Result<HeavyWarning> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let areas_text = areas.join(",");
            let id: i64 = sqlx::query("INSERT INTO heavy_warnings (level, state, areas, document_no, start_at, created_by, created_at, updated_at) \
                                       VALUES ($1, 'active', $2, $3, $4, $5, $6, $6) RETURNING id")
                .bind(&step.level).bind(&areas_text).bind(document_no).bind(&step.effective_at).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let eid: i64 = sqlx::query("INSERT INTO heavy_warning_events (warning_id, kind, level, effective_at, forecast, justification, by_user, at) \
                                        VALUES ($1, 'issue', $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(id).bind(&step.level).bind(&step.effective_at).bind(&step.forecast).bind(&step.justification)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "heavy_warning.issue", format!("heavy_warning:{id}"));
            audit.new_value = Some(format!("{} 起 {} 区域 {}", step.level, step.effective_at, if areas_text.is_empty() { "全市" } else { &areas_text }));
            audit.detail = Some(format!("{}；预报：{}", step.justification, step.forecast.as_deref().unwrap_or("")));
            insert_audit!(&mut *tx, &audit);
            insert_notices!(tx, id, eid, &step.level, notices, actor, &now);
            tx.commit().await?;
            id
        });
        self.heavy_warning(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("预警 {id} 写入后未找到")))
    }

    /// Raises, lowers or lifts an active warning (`heavy_warning.raise` / `.lower` / `.lift`,
    /// audited). Raising or lowering supersedes the notices still in force and sends `notices`;
    /// lifting supersedes none (the record of who confirmed stays). A lifted warning is
    /// [`StoreError::Conflict`]; an unknown one [`StoreError::NotFound`].
    pub async fn heavy_warning_step(
        &self,
        id: i64,
        kind: WarningStep,
        step: &WarningStepInput,
        notices: &[NoticeDraft],
        actor: &Actor,
    ) -> Result<HeavyWarning> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT level, state FROM heavy_warnings WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("预警 {id}")))?;
            let old_level: String = row.try_get("level")?;
            let state: String = row.try_get("state")?;
            if state != "active" {
                return Err(StoreError::Conflict(format!("预警 {id} 已解除，不能再{}", crate::labels::warning_event(kind.code()))));
            }
            let now = now_text();
            match kind {
                WarningStep::Lift => {
                    sqlx::query("UPDATE heavy_warnings SET state = 'lifted', lifted_at = $1, updated_at = $2 WHERE id = $3")
                        .bind(&step.effective_at).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                WarningStep::Raise | WarningStep::Lower => {
                    sqlx::query("UPDATE heavy_warnings SET level = $1, updated_at = $2 WHERE id = $3")
                        .bind(&step.level).bind(&now).bind(id).execute(&mut *tx).await?;
                    sqlx::query("UPDATE warning_notices SET state = 'superseded' WHERE warning_id = $1 AND state IN ('issued', 'confirmed')")
                        .bind(id).execute(&mut *tx).await?;
                }
            }
            let eid: i64 = sqlx::query("INSERT INTO heavy_warning_events (warning_id, kind, level, effective_at, forecast, justification, by_user, at) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(id).bind(kind.code()).bind(&step.level).bind(&step.effective_at).bind(&step.forecast).bind(&step.justification)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, &format!("heavy_warning.{}", kind.code()), format!("heavy_warning:{id}"));
            audit.old_value = Some(old_level);
            audit.new_value = Some(format!("{} 自 {}", step.level, step.effective_at));
            audit.detail = Some(format!("{}；预报：{}", step.justification, step.forecast.as_deref().unwrap_or("")));
            insert_audit!(&mut *tx, &audit);
            if kind != WarningStep::Lift {
                insert_notices!(tx, id, eid, &step.level, notices, actor, &now);
            }
            tx.commit().await?;
        });
        self.heavy_warning(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("预警 {id}")))
    }

    /// One warning.
    pub async fn heavy_warning(&self, id: i64) -> Result<Option<HeavyWarning>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{WARNING_SELECT} WHERE w.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(warning_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of warnings, newest first.
    pub async fn heavy_warnings_paged(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<HeavyWarning>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM heavy_warnings").fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{WARNING_SELECT} ORDER BY w.start_at DESC, w.id DESC LIMIT $1 OFFSET $2"))
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(warning_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// The active warnings, oldest first.
    pub async fn active_heavy_warnings(&self) -> Result<Vec<HeavyWarning>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{WARNING_SELECT} WHERE w.state = 'active' ORDER BY w.id")).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(warning_from_row!(r));
            }
            out
        }))
    }

    /// The steps of a warning, oldest first.
    pub async fn heavy_warning_events(&self, warning_id: i64) -> Result<Vec<WarningEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.warning_id, v.kind, v.level, v.effective_at, v.forecast, v.justification, v.by_user, \
                                    u.display_name AS by_name, v.at FROM heavy_warning_events v LEFT JOIN users u ON u.id = v.by_user \
                                    WHERE v.warning_id = $1 ORDER BY v.id")
                .bind(warning_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(WarningEvent { id: r.try_get("id")?, warning_id: r.try_get("warning_id")?, kind: r.try_get("kind")?, level: r.try_get("level")?,
                    effective_at: r.try_get("effective_at")?, forecast: r.try_get("forecast")?, justification: r.try_get("justification")?,
                    by_user: r.try_get("by_user")?, by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The notices of a warning (all steps), oldest first; optionally only one addressee.
    pub async fn warning_notices(
        &self,
        warning_id: i64,
        credit_code: Option<&str>,
    ) -> Result<Vec<WarningNotice>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{NOTICE_SELECT} WHERE n.warning_id = $1 AND ($2 IS NULL OR n.credit_code = $2) ORDER BY n.id"))
                .bind(warning_id).bind(credit_code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(notice_from_row!(r));
            }
            out
        }))
    }

    /// The notices to one enterprise that are still in force, newest first.
    pub async fn open_warning_notices_of(&self, credit_code: &str) -> Result<Vec<WarningNotice>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{NOTICE_SELECT} JOIN heavy_warnings w ON w.id = n.warning_id \
                                             WHERE n.credit_code = $1 AND n.state IN ('issued', 'confirmed') AND w.state = 'active' ORDER BY n.id DESC"))
                .bind(credit_code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(notice_from_row!(r));
            }
            out
        }))
    }

    /// One notice.
    pub async fn warning_notice(&self, id: i64) -> Result<Option<WarningNotice>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{NOTICE_SELECT} WHERE n.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(notice_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The enterprise confirms a notice (`warning_notice.confirm`, audited). Only a notice still
    /// `issued` can be confirmed ([`StoreError::Conflict`] otherwise).
    pub async fn confirm_warning_notice(
        &self,
        id: i64,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<WarningNotice> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let state: String = sqlx::query("SELECT state FROM warning_notices WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("减排措施通知 {id}")))?.try_get("state")?;
            if state != "issued" {
                return Err(StoreError::Conflict(format!("减排措施通知 {id} 当前为“{}”，不能确认", crate::labels::notice_state(&state))));
            }
            let now = now_text();
            sqlx::query("UPDATE warning_notices SET state = 'confirmed', confirmed_by = $1, confirmed_at = $2, confirm_note = $3 WHERE id = $4")
                .bind(actor.user_id).bind(&now).bind(note).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "warning_notice.confirm", format!("warning_notice:{id}"));
            audit.old_value = Some(state);
            audit.new_value = Some("confirmed".into());
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.warning_notice(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("减排措施通知 {id}")))
    }
}
