//! The task ledger (任务台账): web revisions of task items, the reports counties and units make
//! on them (revisions, never overwritten), staff's review (accept or return with a reason), and
//! the reports' evidence files. Every write is audited in its transaction.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Result, Store, StoreError, now_text};

/// A stored web revision of a task item.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ItemRevision {
    /// Row id.
    pub id: i64,
    /// Item id.
    pub item_id: String,
    /// Revision (1, 2, …; the plan file's item is revision 0).
    pub revision: i64,
    /// The item as JSON (the plan crate's `TaskItem`).
    pub definition: String,
    /// Why it was added or changed.
    pub reason: String,
    /// Who.
    pub created_by_name: Option<String>,
    /// When (UTC).
    pub created_at: String,
}

/// A report to store, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewItemReport {
    /// Plan id.
    pub plan_id: String,
    /// Item id.
    pub item_id: String,
    /// `county` or `unit`.
    pub party_kind: String,
    /// County code or unit id.
    pub party: String,
    /// Measured value of a count item (exact decimal text).
    pub value: Option<String>,
    /// State of a milestone item.
    pub done: Option<bool>,
    /// Names of the objects reported done (objects items).
    pub objects_done: Option<Vec<String>>,
    /// What was done.
    pub narrative: String,
}

/// A stored item report revision.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ItemReport {
    /// Row id.
    pub id: i64,
    /// Plan id.
    pub plan_id: String,
    /// Item id.
    pub item_id: String,
    /// `county` or `unit`.
    pub party_kind: String,
    /// County code or unit id.
    pub party: String,
    /// Revision per item and party.
    pub revision: i64,
    /// Count value.
    pub value: Option<String>,
    /// Milestone state.
    pub done: Option<bool>,
    /// Objects reported done.
    pub objects_done: Option<Vec<String>>,
    /// Narrative.
    pub narrative: String,
    /// `submitted`, `accepted` or `returned`.
    pub state: String,
    /// Reporter's display name.
    pub reported_by_name: Option<String>,
    /// When reported (UTC).
    pub reported_at: String,
    /// Reviewer's display name.
    pub reviewed_by_name: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<String>,
    /// Why it was returned (or the acceptance note).
    pub review_reason: Option<String>,
}

/// A stored evidence file of an item report, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ItemEvidence {
    /// Row id.
    pub id: i64,
    /// The report revision.
    pub report_id: i64,
    /// File name.
    pub file_name: String,
    /// MIME type from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// When uploaded.
    pub uploaded_at: String,
}

const REPORT_SELECT: &str = "SELECT r.id, r.plan_id, r.item_id, r.party_kind, r.party, r.revision, r.value, r.done, r.objects_done, r.narrative, r.state, \
     u.display_name AS reported_by_name, r.reported_at, v.display_name AS reviewed_by_name, r.reviewed_at, r.review_reason \
     FROM item_reports r LEFT JOIN users u ON u.id = r.reported_by LEFT JOIN users v ON v.id = r.reviewed_by";

macro_rules! item_report_from_row {
    ($r:expr) => {{
        let done: Option<i64> = $r.try_get("done")?;
        let objects: Option<String> = $r.try_get("objects_done")?;
        let objects_done = match objects {
            Some(text) => Some(
                serde_json::from_str::<Vec<String>>(&text)
                    .map_err(|e| StoreError::Corrupt(format!("事项报告的对象清单：{e}")))?,
            ),
            None => None,
        };
        ItemReport {
            id: $r.try_get("id")?,
            plan_id: $r.try_get("plan_id")?,
            item_id: $r.try_get("item_id")?,
            party_kind: $r.try_get("party_kind")?,
            party: $r.try_get("party")?,
            revision: $r.try_get("revision")?,
            value: $r.try_get("value")?,
            done: done.map(|d| d == 1),
            objects_done,
            narrative: $r.try_get("narrative")?,
            state: $r.try_get("state")?,
            reported_by_name: $r.try_get("reported_by_name")?,
            reported_at: $r.try_get("reported_at")?,
            reviewed_by_name: $r.try_get("reviewed_by_name")?,
            reviewed_at: $r.try_get("reviewed_at")?,
            review_reason: $r.try_get("review_reason")?,
        }
    }};
}

impl Store {
    /// Stores a web revision of an item (`task_item.add` for a new id, `task_item.revise`
    /// otherwise, audited with the old and new definitions). `is_new` says whether the plan or
    /// an earlier revision already has the id: a new item whose id is taken is a conflict.
    pub async fn record_item_revision(
        &self,
        plan_id: &str,
        item_id: &str,
        definition: &str,
        reason: &str,
        exists_in_plan: bool,
        actor: &Actor,
    ) -> Result<ItemRevision> {
        let now = now_text();
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let prev = sqlx::query("SELECT revision, definition FROM task_item_revisions WHERE plan_id = $1 AND item_id = $2 ORDER BY revision DESC LIMIT 1")
                .bind(plan_id).bind(item_id).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(r) => (r.try_get::<i64, _>("revision")? + 1, Some(r.try_get::<String, _>("definition")?)),
                None => (1, None),
            };
            let action = if old.is_none() && !exists_in_plan { "task_item.add" } else { "task_item.revise" };
            let id: i64 = sqlx::query("INSERT INTO task_item_revisions (plan_id, item_id, revision, definition, reason, created_by, created_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(plan_id).bind(item_id).bind(revision).bind(definition).bind(reason).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, action, format!("item:{item_id}")).with_new(definition.to_string());
            audit.old_value = old;
            audit.detail = Some(format!("revision:{revision} 理由：{reason}"));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.item_revisions(plan_id)
            .await?
            .into_iter()
            .find(|r| r.id == id)
            .ok_or_else(|| StoreError::Corrupt(format!("事项修订 {id} 写入后未找到")))
    }

    /// Every web revision of the plan's items, oldest first.
    pub async fn item_revisions(&self, plan_id: &str) -> Result<Vec<ItemRevision>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT t.id, t.item_id, t.revision, t.definition, t.reason, u.display_name, t.created_at \
                                    FROM task_item_revisions t LEFT JOIN users u ON u.id = t.created_by WHERE t.plan_id = $1 ORDER BY t.id")
                .bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ItemRevision { id: r.try_get("id")?, item_id: r.try_get("item_id")?, revision: r.try_get("revision")?,
                    definition: r.try_get("definition")?, reason: r.try_get("reason")?, created_by_name: r.try_get("display_name")?,
                    created_at: r.try_get("created_at")? });
            }
            out
        }))
    }

    /// Records a report as the next revision of its item and party, with its evidence files, in
    /// one transaction (`item_report.record`, and `item_evidence.upload` per file).
    pub async fn record_item_report(
        &self,
        n: &NewItemReport,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<(ItemReport, Vec<ItemEvidence>)> {
        let now = now_text();
        let objects = match &n.objects_done {
            Some(o) => {
                Some(serde_json::to_string(o).map_err(|e| StoreError::Corrupt(e.to_string()))?)
            }
            None => None,
        };
        let (id, evidence) = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let prev = sqlx::query("SELECT revision, state FROM item_reports WHERE plan_id = $1 AND item_id = $2 AND party_kind = $3 AND party = $4 ORDER BY revision DESC LIMIT 1")
                .bind(&n.plan_id).bind(&n.item_id).bind(&n.party_kind).bind(&n.party).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(r) => (r.try_get::<i64, _>("revision")? + 1, Some(r.try_get::<String, _>("state")?)),
                None => (1, None),
            };
            let id: i64 = sqlx::query("INSERT INTO item_reports (plan_id, item_id, party_kind, party, revision, value, done, objects_done, narrative, state, reported_by, reported_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'submitted', $10, $11) RETURNING id")
                .bind(&n.plan_id).bind(&n.item_id).bind(&n.party_kind).bind(&n.party).bind(revision).bind(&n.value)
                .bind(n.done.map(i64::from)).bind(&objects).bind(&n.narrative).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let target = format!("item:{} {}:{}", n.item_id, n.party_kind, n.party);
            let shown = match (&n.value, n.done, &n.objects_done) {
                (Some(v), _, _) => v.clone(),
                (_, Some(d), _) => if d { "完成".to_string() } else { "未完成".to_string() },
                (_, _, Some(o)) => format!("完成对象 {}", o.join("、")),
                _ => String::new(),
            };
            let mut audit = AuditEntry::ok(actor, "item_report.record", target.clone()).with_new(shown);
            audit.old_value = old;
            audit.detail = Some(format!("report:{id} revision:{revision}"));
            insert_audit!(&mut *tx, &audit);
            let mut evidence = Vec::with_capacity(files.len());
            for f in files {
                let sha256 = hex::encode(Sha256::digest(&f.content));
                let size = f.content.len() as i64;
                let fid: i64 = sqlx::query("INSERT INTO item_evidence (report_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                    .bind(id).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind(actor.user_id).bind(&now).bind(f.content.as_slice())
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                let mut a = AuditEntry::ok(actor, "item_evidence.upload", target.clone()).with_new(f.file_name.clone());
                a.detail = Some(format!("evidence:{fid} report:{id} type={} size={size} sha256={sha256}", f.content_type));
                insert_audit!(&mut *tx, &a);
                evidence.push(ItemEvidence { id: fid, report_id: id, file_name: f.file_name.clone(), content_type: f.content_type.clone(),
                    size_bytes: size, sha256, uploaded_at: now.clone() });
            }
            tx.commit().await?;
            (id, evidence)
        });
        let report = self
            .item_report(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("事项报告 {id} 写入后未找到")))?;
        Ok((report, evidence))
    }

    /// Staff's review of a submitted report: accepted, or returned with a reason
    /// (`item_report.accept` / `item_report.return`). A report already reviewed is a
    /// [`StoreError::Conflict`]; an unknown one [`StoreError::NotFound`].
    pub async fn review_item_report(
        &self,
        id: i64,
        accept: bool,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<ItemReport> {
        let now = now_text();
        let new_state = if accept { "accepted" } else { "returned" };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT item_id, party_kind, party, revision, state FROM item_reports WHERE id = $1").bind(id)
                .fetch_optional(&mut *tx).await?.ok_or_else(|| StoreError::NotFound(format!("事项报告 {id}")))?;
            let old: String = row.try_get("state")?;
            if old != "submitted" {
                return Err(StoreError::Conflict(format!("事项报告 {id} 已{}，不能再审核", crate::labels::item_report_state(&old))));
            }
            sqlx::query("UPDATE item_reports SET state = $1, reviewed_by = $2, reviewed_at = $3, review_reason = $4 WHERE id = $5 AND state = 'submitted'")
                .bind(new_state).bind(actor.user_id).bind(&now).bind(reason).bind(id).execute(&mut *tx).await?;
            let item: String = row.try_get("item_id")?;
            let kind: String = row.try_get("party_kind")?;
            let party: String = row.try_get("party")?;
            let revision: i64 = row.try_get("revision")?;
            let action = if accept { "item_report.accept" } else { "item_report.return" };
            let mut audit = AuditEntry::ok(actor, action, format!("item:{item} {kind}:{party}")).with_new(new_state.to_string());
            audit.old_value = Some(old);
            audit.detail = Some(match reason {
                Some(r) => format!("report:{id} revision:{revision} 理由：{r}"),
                None => format!("report:{id} revision:{revision}"),
            });
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.item_report(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("事项报告 {id}")))
    }

    /// One report revision.
    pub async fn item_report(&self, id: i64) -> Result<Option<ItemReport>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{REPORT_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(item_report_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Every report revision of the plan, oldest first (the ledger is small: items × parties).
    pub async fn item_reports(&self, plan_id: &str) -> Result<Vec<ItemReport>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{REPORT_SELECT} WHERE r.plan_id = $1 ORDER BY r.id")).bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(item_report_from_row!(r));
            }
            out
        }))
    }

    /// The evidence files of the plan's item reports, in upload order.
    pub async fn item_evidence(&self, plan_id: &str) -> Result<Vec<ItemEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT e.id, e.report_id, e.file_name, e.content_type, e.size_bytes, e.sha256, e.uploaded_at \
                                    FROM item_evidence e JOIN item_reports r ON r.id = e.report_id WHERE r.plan_id = $1 ORDER BY e.id")
                .bind(plan_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ItemEvidence { id: r.try_get("id")?, report_id: r.try_get("report_id")?, file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?, size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?,
                    uploaded_at: r.try_get("uploaded_at")? });
            }
            out
        }))
    }

    /// One evidence file with its content and the report it belongs to.
    pub async fn item_evidence_file(&self, id: i64) -> Result<Option<(ItemEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, report_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM item_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((ItemEvidence { id: r.try_get("id")?, report_id: r.try_get("report_id")?, file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?, size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?,
                    uploaded_at: r.try_get("uploaded_at")? }, r.try_get("content")?)),
                None => None,
            }
        }))
    }
}
