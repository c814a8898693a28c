//! Evidence files (佐证材料) of task progress reports: kept in the database with their SHA-256,
//! added to one report revision and never changed afterwards, like the reports themselves.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewTaskReport, Result, Store, StoreError, TaskReport, now_text};

/// A file to attach, as the server accepted it after checking its size and content.
#[derive(Debug, Clone)]
pub struct NewEvidence {
    /// File name for display and download, already sanitised.
    pub file_name: String,
    /// MIME type detected from the content.
    pub content_type: String,
    /// The bytes.
    pub content: Vec<u8>,
}

/// A stored evidence file, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Evidence {
    /// Row id.
    pub id: i64,
    /// The task report revision it belongs to.
    pub report_id: i64,
    /// Plan of that report.
    pub plan_id: String,
    /// Area number of the task.
    pub area: i64,
    /// Task number.
    pub number: i64,
    /// Period of the report.
    pub period: String,
    /// Revision of the report.
    pub revision: i64,
    /// File name (sanitised).
    pub file_name: String,
    /// MIME type detected from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the content, lower-case hex.
    pub sha256: String,
    /// Who uploaded it.
    pub uploaded_by: Option<i64>,
    /// Their display name.
    pub uploaded_by_name: Option<String>,
    /// When (UTC).
    pub uploaded_at: String,
}

/// An evidence file with its content.
#[derive(Debug, Clone)]
pub struct EvidenceFile {
    /// What is known about it.
    pub meta: Evidence,
    /// The bytes as uploaded.
    pub content: Vec<u8>,
}

/// A task report revision looked up by id, with the plan it belongs to.
#[derive(Debug, Clone)]
pub struct TaskReportRef {
    /// Plan id.
    pub plan_id: String,
    /// The revision.
    pub report: TaskReport,
}

const EVIDENCE_COLUMNS: &str = "e.id, e.report_id, r.plan_id, r.area, r.number, r.period, r.revision, e.file_name, e.content_type, \
     e.size_bytes, e.sha256, e.uploaded_by, e.uploaded_at, u.display_name";
const EVIDENCE_FROM: &str = "FROM task_evidence e JOIN task_reports r ON r.id = e.report_id LEFT JOIN users u ON u.id = e.uploaded_by";

/// Builds an [`Evidence`] from a row of `EVIDENCE_COLUMNS`.
macro_rules! evidence_from_row {
    ($r:expr) => {{
        Evidence {
            id: $r.try_get("id")?,
            report_id: $r.try_get("report_id")?,
            plan_id: $r.try_get("plan_id")?,
            area: $r.try_get("area")?,
            number: $r.try_get("number")?,
            period: $r.try_get("period")?,
            revision: $r.try_get("revision")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_by: $r.try_get("uploaded_by")?,
            uploaded_by_name: $r.try_get("display_name")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    }};
}

/// Inserts the files of one report revision with an audit entry each, inside the caller's
/// transaction, so a file is never stored without its audit record or without its report.
macro_rules! insert_evidence {
    ($tx:expr, $plan_id:expr, $report:expr, $files:expr, $actor:expr, $now:expr, $by_name:expr) => {{
        let report: &TaskReport = $report;
        let actor: &Actor = $actor;
        let mut out: Vec<Evidence> = Vec::new();
        for f in $files {
            let f: &NewEvidence = f;
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let row = sqlx::query(
                "INSERT INTO task_evidence (report_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
            )
            .bind(report.id).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256)
            .bind(actor.user_id).bind($now).bind(f.content.as_slice())
            .fetch_one(&mut *$tx).await?;
            let id: i64 = row.try_get("id")?;
            let mut audit = AuditEntry::ok(
                actor,
                "task_evidence.upload",
                format!("task:{}-{} period:{}", report.area, report.number, report.period),
            )
            .with_new(f.file_name.clone());
            audit.detail = Some(format!(
                "evidence:{id} report:{} revision:{} type={} size={size} sha256={sha256}",
                report.id, report.revision, f.content_type
            ));
            insert_audit!(&mut *$tx, &audit);
            out.push(Evidence {
                id,
                report_id: report.id,
                plan_id: $plan_id.to_string(),
                area: report.area,
                number: report.number,
                period: report.period.clone(),
                revision: report.revision,
                file_name: f.file_name.clone(),
                content_type: f.content_type.clone(),
                size_bytes: size,
                sha256,
                uploaded_by: actor.user_id,
                uploaded_by_name: $by_name.clone(),
                uploaded_at: $now.to_string(),
            });
        }
        out
    }};
}

impl Store {
    /// Records a task progress report as a new revision together with its evidence files, in
    /// one transaction: the report, every file and an audit entry for each, or nothing.
    pub async fn record_task_report_with_evidence(
        &self,
        r: &NewTaskReport,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<(TaskReport, Vec<Evidence>)> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let prev = sqlx::query("SELECT revision, status FROM task_reports WHERE plan_id = $1 AND area = $2 AND number = $3 AND period = $4 ORDER BY revision DESC LIMIT 1")
                .bind(&r.plan_id).bind(r.area).bind(r.number).bind(&r.period).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(x) => (x.try_get::<i64, _>("revision")? + 1, Some(x.try_get::<String, _>("status")?)),
                None => (1, None),
            };
            let row = sqlx::query("INSERT INTO task_reports (plan_id, area, number, period, revision, status, narrative, reported_by, reported_at) \
                                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind(&r.plan_id).bind(r.area).bind(r.number).bind(&r.period).bind(revision).bind(r.status.as_str()).bind(&r.narrative)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?;
            let id: i64 = row.try_get("id")?;
            let reported_by_name = display_name!(&mut *tx, actor);
            let mut audit = AuditEntry::ok(actor, "task_report.record", format!("task:{}-{} period:{}", r.area, r.number, r.period)).with_new(r.status.as_str().to_string());
            audit.old_value = old;
            insert_audit!(&mut *tx, &audit);
            let report = TaskReport { id, area: r.area, number: r.number, period: r.period.clone(), revision, status: r.status, narrative: r.narrative.clone(),
                                      reported_by_name, reported_at: now.clone() };
            let evidence = insert_evidence!(tx, &r.plan_id, &report, files, actor, &now, report.reported_by_name);
            tx.commit().await?;
            Ok((report, evidence))
        })
    }

    /// Attaches evidence files to an existing task report revision; each audited, all or none.
    pub async fn attach_task_evidence(
        &self,
        report_id: i64,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Vec<Evidence>> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let found = sqlx::query(&format!("{REPORT_SELECT} WHERE r.id = $1")).bind(report_id).fetch_optional(&mut *tx).await?;
            let Some(row) = found else {
                return Err(StoreError::NotFound(format!("任务进展报告 {report_id}")));
            };
            let plan_id: String = row.try_get("plan_id")?;
            let report = task_report_from_row!(row);
            let by_name = display_name!(&mut *tx, actor);
            let evidence = insert_evidence!(tx, &plan_id, &report, files, actor, &now, by_name);
            tx.commit().await?;
            Ok(evidence)
        })
    }

    /// A task report revision by id (any revision, not only the latest).
    pub async fn task_report_by_id(&self, id: i64) -> Result<Option<TaskReportRef>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{REPORT_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(p).await? {
                Some(row) => Some(TaskReportRef { plan_id: row.try_get("plan_id")?, report: task_report_from_row!(row) }),
                None => None,
            }
        }))
    }

    /// The evidence files of one task report revision, in upload order.
    pub async fn task_evidence(&self, report_id: i64) -> Result<Vec<Evidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("SELECT {EVIDENCE_COLUMNS} {EVIDENCE_FROM} WHERE e.report_id = $1 ORDER BY e.id")).bind(report_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(evidence_from_row!(r)); }
            out
        }))
    }

    /// The evidence files of every task report (any revision) of a plan, in upload order.
    pub async fn plan_task_evidence(&self, plan_id: &str) -> Result<Vec<Evidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("SELECT {EVIDENCE_COLUMNS} {EVIDENCE_FROM} WHERE r.plan_id = $1 ORDER BY e.id")).bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(evidence_from_row!(r)); }
            out
        }))
    }

    /// One evidence file with its content.
    pub async fn task_evidence_file(&self, id: i64) -> Result<Option<EvidenceFile>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("SELECT {EVIDENCE_COLUMNS}, e.content {EVIDENCE_FROM} WHERE e.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(EvidenceFile { meta: evidence_from_row!(r), content: r.try_get("content")? }),
                None => None,
            }
        }))
    }
}

/// Columns of a task report (for `task_report_from_row!`) plus its plan.
const REPORT_SELECT: &str = "SELECT r.id, r.plan_id, r.area, r.number, r.period, r.revision, r.status, r.narrative, r.reported_at, u.display_name \
     FROM task_reports r LEFT JOIN users u ON u.id = r.reported_by";
