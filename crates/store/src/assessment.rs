//! Assessment inputs: the province's assigned targets and staff judgements, each revised,
//! never overwritten; and the latest task reports of a plan.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Result, Store, StoreError, TaskReport, now_text};

/// Which indicator, year and division an assessment input is for.
#[derive(Debug, Clone, Copy)]
pub struct InputKey<'a> {
    /// Plan id.
    pub plan_id: &'a str,
    /// Indicator number.
    pub indicator: i64,
    /// Year.
    pub year: i64,
    /// GB/T 2260 division.
    pub division: &'a str,
}

/// A province-assigned target (完成省级下达任务) for one indicator, year and division.
#[derive(Debug, Clone, Serialize)]
pub struct AssignedTargetRow {
    /// Indicator number.
    pub indicator_number: i64,
    /// Year.
    pub year: i64,
    /// Division.
    pub division_code: String,
    /// Revision.
    pub revision: i64,
    /// Exact decimal text.
    pub value: String,
    /// Note (the province's document).
    pub note: Option<String>,
    /// Who entered it (display name), where the read joins it.
    pub entered_by_name: Option<String>,
    /// When entered.
    pub entered_at: String,
}

/// A staff judgement of a qualitative target.
#[derive(Debug, Clone, Serialize)]
pub struct JudgementRow {
    /// Indicator number.
    pub indicator_number: i64,
    /// Year.
    pub year: i64,
    /// Division.
    pub division_code: String,
    /// Revision.
    pub revision: i64,
    /// Judged met.
    pub met: bool,
    /// The written justification.
    pub justification: String,
    /// What the judgement rests on (a document, an inspection record).
    pub evidence: Option<String>,
    /// Who entered it (display name), where the read joins it.
    pub entered_by_name: Option<String>,
    /// When entered.
    pub entered_at: String,
}

impl Store {
    /// Records a province-assigned target as a new revision; audited.
    pub async fn record_assigned_target(
        &self,
        key: InputKey<'_>,
        value: &str,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<AssignedTargetRow> {
        let now = now_text();
        let (plan_id, number, year, division) =
            (key.plan_id, key.indicator, key.year, key.division);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM divisions WHERE code = $1").bind(division).fetch_optional(&mut *tx).await?.is_none() {
                return Err(StoreError::NotFound(format!("行政区划 {division}")));
            }
            let prev = sqlx::query("SELECT revision, value FROM assigned_targets WHERE plan_id = $1 AND indicator_number = $2 AND year = $3 AND division_code = $4 ORDER BY revision DESC LIMIT 1")
                .bind(plan_id).bind(number).bind(year).bind(division).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(r) => (r.try_get::<i64, _>("revision")? + 1, Some(r.try_get::<String, _>("value")?)),
                None => (1, None),
            };
            sqlx::query("INSERT INTO assigned_targets (plan_id, indicator_number, year, division_code, revision, value, note, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(plan_id).bind(number).bind(year).bind(division).bind(revision).bind(value).bind(note).bind(actor.user_id).bind(&now)
                .execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "assigned_target.record", format!("indicator:{number} year:{year} division:{division}")).with_new(value.to_string());
            audit.old_value = old;
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            Ok(AssignedTargetRow { indicator_number: number, year, division_code: division.to_string(), revision, value: value.to_string(), note: note.map(str::to_string), entered_by_name: None, entered_at: now })
        })
    }

    /// Records a staff judgement as a new revision; audited.
    pub async fn record_judgement(
        &self,
        key: InputKey<'_>,
        met: bool,
        justification: &str,
        actor: &Actor,
    ) -> Result<JudgementRow> {
        self.record_judgement_with_evidence(key, met, justification, None, actor)
            .await
    }

    /// Records a staff judgement with a note of its evidence (a document, an inspection record)
    /// as a new revision; audited.
    pub async fn record_judgement_with_evidence(
        &self,
        key: InputKey<'_>,
        met: bool,
        justification: &str,
        evidence: Option<&str>,
        actor: &Actor,
    ) -> Result<JudgementRow> {
        let now = now_text();
        let (plan_id, number, year, division) =
            (key.plan_id, key.indicator, key.year, key.division);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM divisions WHERE code = $1").bind(division).fetch_optional(&mut *tx).await?.is_none() {
                return Err(StoreError::NotFound(format!("行政区划 {division}")));
            }
            let prev = sqlx::query("SELECT revision FROM judgements WHERE plan_id = $1 AND indicator_number = $2 AND year = $3 AND division_code = $4 ORDER BY revision DESC LIMIT 1")
                .bind(plan_id).bind(number).bind(year).bind(division).fetch_optional(&mut *tx).await?;
            let revision = match prev { Some(r) => r.try_get::<i64, _>("revision")? + 1, None => 1 };
            sqlx::query("INSERT INTO judgements (plan_id, indicator_number, year, division_code, revision, met, justification, evidence, entered_by, entered_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)")
                .bind(plan_id).bind(number).bind(year).bind(division).bind(revision).bind(met).bind(justification).bind(evidence).bind(actor.user_id).bind(&now)
                .execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "judgement.record", format!("indicator:{number} year:{year} division:{division}"))
                .with_new(if met { "met".into() } else { "not_met".into() });
            audit.detail = Some(justification.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            Ok(JudgementRow { indicator_number: number, year, division_code: division.to_string(), revision, met, justification: justification.to_string(), evidence: evidence.map(str::to_string), entered_by_name: None, entered_at: now })
        })
    }

    /// The latest revision of every assigned target of a plan.
    pub async fn current_assigned_targets(&self, plan_id: &str) -> Result<Vec<AssignedTargetRow>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT indicator_number, year, division_code, revision, value, note, entered_at FROM assigned_targets a WHERE plan_id = $1 AND revision = \
                (SELECT MAX(b.revision) FROM assigned_targets b WHERE b.plan_id = a.plan_id AND b.indicator_number = a.indicator_number AND b.year = a.year AND b.division_code = a.division_code) \
                ORDER BY indicator_number, year, division_code").bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(AssignedTargetRow { indicator_number: r.try_get("indicator_number")?, year: r.try_get("year")?, division_code: r.try_get("division_code")?,
                    revision: r.try_get("revision")?, value: r.try_get("value")?, note: r.try_get("note")?, entered_by_name: None, entered_at: r.try_get("entered_at")? });
            }
            out
        }))
    }

    /// The latest revision of every judgement of a plan.
    pub async fn current_judgements(&self, plan_id: &str) -> Result<Vec<JudgementRow>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT indicator_number, year, division_code, revision, met, justification, evidence, entered_at FROM judgements a WHERE plan_id = $1 AND revision = \
                (SELECT MAX(b.revision) FROM judgements b WHERE b.plan_id = a.plan_id AND b.indicator_number = a.indicator_number AND b.year = a.year AND b.division_code = a.division_code) \
                ORDER BY indicator_number, year, division_code").bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(JudgementRow { indicator_number: r.try_get("indicator_number")?, year: r.try_get("year")?, division_code: r.try_get("division_code")?,
                    revision: r.try_get("revision")?, met: r.try_get("met")?, justification: r.try_get("justification")?, evidence: r.try_get("evidence")?, entered_by_name: None, entered_at: r.try_get("entered_at")? });
            }
            out
        }))
    }

    /// Every revision of the assigned targets of one indicator, newest first, with who entered
    /// each.
    pub async fn assigned_target_history(
        &self,
        plan_id: &str,
        indicator: i64,
    ) -> Result<Vec<AssignedTargetRow>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT a.indicator_number, a.year, a.division_code, a.revision, a.value, a.note, a.entered_at, u.display_name FROM assigned_targets a \
                LEFT JOIN users u ON u.id = a.entered_by WHERE a.plan_id = $1 AND a.indicator_number = $2 ORDER BY a.year DESC, a.division_code, a.revision DESC")
                .bind(plan_id).bind(indicator).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(AssignedTargetRow { indicator_number: r.try_get("indicator_number")?, year: r.try_get("year")?, division_code: r.try_get("division_code")?,
                    revision: r.try_get("revision")?, value: r.try_get("value")?, note: r.try_get("note")?, entered_by_name: r.try_get("display_name")?, entered_at: r.try_get("entered_at")? });
            }
            out
        }))
    }

    /// Every revision of the judgements of one indicator, newest first, with who entered each.
    pub async fn judgement_history(
        &self,
        plan_id: &str,
        indicator: i64,
    ) -> Result<Vec<JudgementRow>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT j.indicator_number, j.year, j.division_code, j.revision, j.met, j.justification, j.evidence, j.entered_at, u.display_name FROM judgements j \
                LEFT JOIN users u ON u.id = j.entered_by WHERE j.plan_id = $1 AND j.indicator_number = $2 ORDER BY j.year DESC, j.division_code, j.revision DESC")
                .bind(plan_id).bind(indicator).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(JudgementRow { indicator_number: r.try_get("indicator_number")?, year: r.try_get("year")?, division_code: r.try_get("division_code")?,
                    revision: r.try_get("revision")?, met: r.try_get("met")?, justification: r.try_get("justification")?, evidence: r.try_get("evidence")?,
                    entered_by_name: r.try_get("display_name")?, entered_at: r.try_get("entered_at")? });
            }
            out
        }))
    }

    /// The latest report of every task and period of a plan.
    pub async fn all_task_reports(&self, plan_id: &str) -> Result<Vec<TaskReport>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT r.id, r.area, r.number, r.period, r.revision, r.status, r.narrative, r.reported_at, u.display_name FROM task_reports r \
                 LEFT JOIN users u ON u.id = r.reported_by WHERE r.plan_id = $1 \
                 AND r.revision = (SELECT MAX(x.revision) FROM task_reports x WHERE x.plan_id = r.plan_id AND x.area = r.area AND x.number = r.number AND x.period = r.period) \
                 ORDER BY r.area, r.number, r.period").bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for x in rows { out.push(task_report_from_row!(x)); }
            out
        }))
    }
}
