//! Data marks (数据标记): filed for a device's period, reviewed by the bureau, never changing
//! the data they cover. Their evidence files are kept like the task reports' evidence.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// A mark to file, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewDataMark {
    /// Device MN.
    pub mn: String,
    /// Factor code, or empty for the whole device.
    pub factor: String,
    /// Kind code of the marking rule.
    pub kind: String,
    /// Start, RFC 3339 UTC.
    pub start_time: String,
    /// End, RFC 3339 UTC; `None` while it goes on.
    pub end_time: Option<String>,
    /// Reason given.
    pub reason: String,
    /// When it was filed, RFC 3339 UTC (the app's clock).
    pub filed_at: String,
    /// The filing deadline under the rule, RFC 3339 UTC.
    pub deadline: String,
    /// Filed after the deadline (迟报).
    pub late: bool,
    /// 疑似虚假标记: why, if the data contradict it.
    pub suspicion: Option<String>,
}

/// A stored mark.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DataMark {
    /// Row id.
    pub id: i64,
    /// Device MN.
    pub mn: String,
    /// Factor code, empty for the whole device.
    pub factor: String,
    /// Kind code.
    pub kind: String,
    /// Start, RFC 3339 UTC.
    pub start_time: String,
    /// End, RFC 3339 UTC, if ended.
    pub end_time: Option<String>,
    /// Reason.
    pub reason: String,
    /// Filed late (迟报).
    pub late: bool,
    /// Filing deadline, RFC 3339 UTC.
    pub deadline: String,
    /// `pending`, `accepted` or `rejected`.
    pub state: String,
    /// 疑似虚假标记: why.
    pub suspicion: Option<String>,
    /// Who filed it.
    pub filed_by: Option<i64>,
    /// Their display name.
    pub filed_by_name: Option<String>,
    /// When, RFC 3339 UTC.
    pub filed_at: String,
    /// Reviewer's display name.
    pub reviewed_by_name: Option<String>,
    /// When reviewed.
    pub reviewed_at: Option<String>,
    /// The reviewer's note (the reason of a rejection).
    pub review_note: Option<String>,
    /// Enterprise of the device.
    pub enterprise: Option<String>,
    /// Its 统一社会信用代码.
    pub credit_code: Option<String>,
    /// County of the enterprise.
    pub division_code: Option<String>,
    /// Evidence files attached.
    pub evidence_count: i64,
}

/// Which marks to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct DataMarkFilter {
    /// County.
    pub division_code: Option<String>,
    /// Device.
    pub mn: Option<String>,
    /// Kind code.
    pub kind: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Late ones only (`true`) or in time only (`false`).
    pub late: Option<bool>,
    /// Suspicious ones only (`true`) or unsuspicious only (`false`).
    pub suspicious: Option<bool>,
    /// Only this enterprise's devices (统一社会信用代码).
    pub credit_code: Option<String>,
}

/// An evidence file of a mark, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct MarkEvidence {
    /// Row id.
    pub id: i64,
    /// The mark.
    pub mark_id: i64,
    /// File name.
    pub file_name: String,
    /// MIME type detected from the content.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256, lower-case hex.
    pub sha256: String,
    /// When uploaded.
    pub uploaded_at: String,
}

const MARK_SELECT: &str = "SELECT m.id, m.mn, m.factor, m.kind, m.start_time, m.end_time, m.reason, m.late, m.deadline, m.state, m.suspicion, \
     m.filed_by, fu.display_name AS filed_by_name, m.filed_at, ru.display_name AS reviewed_by_name, m.reviewed_at, m.review_note, \
     e.name AS enterprise, e.credit_code, e.division_code, (SELECT COUNT(*) FROM data_mark_evidence x WHERE x.mark_id = m.id) AS evidence_count \
     FROM data_marks m LEFT JOIN users fu ON fu.id = m.filed_by LEFT JOIN users ru ON ru.id = m.reviewed_by \
     LEFT JOIN devices d ON d.mn = m.mn LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id";

const MARK_WHERE: &str = "WHERE ($1 IS NULL OR e.division_code = $1) AND ($2 IS NULL OR m.mn = $2) AND ($3 IS NULL OR m.kind = $3) \
     AND ($4 IS NULL OR m.state = $4) AND ($5 IS NULL OR m.late = $5) \
     AND ($6 IS NULL OR ($6 = (m.suspicion IS NOT NULL))) AND ($7 IS NULL OR e.credit_code = $7)";

macro_rules! mark_from_row {
    ($r:expr) => {
        DataMark {
            id: $r.try_get("id")?,
            mn: $r.try_get("mn")?,
            factor: $r.try_get("factor")?,
            kind: $r.try_get("kind")?,
            start_time: $r.try_get("start_time")?,
            end_time: $r.try_get("end_time")?,
            reason: $r.try_get("reason")?,
            late: $r.try_get("late")?,
            deadline: $r.try_get("deadline")?,
            state: $r.try_get("state")?,
            suspicion: $r.try_get("suspicion")?,
            filed_by: $r.try_get("filed_by")?,
            filed_by_name: $r.try_get("filed_by_name")?,
            filed_at: $r.try_get("filed_at")?,
            reviewed_by_name: $r.try_get("reviewed_by_name")?,
            reviewed_at: $r.try_get("reviewed_at")?,
            review_note: $r.try_get("review_note")?,
            enterprise: $r.try_get("enterprise")?,
            credit_code: $r.try_get("credit_code")?,
            division_code: $r.try_get("division_code")?,
            evidence_count: $r.try_get("evidence_count")?,
        }
    };
}

impl Store {
    /// Files a mark with its evidence files, audited (`data_mark.file`, and one
    /// `data_mark.evidence` per file) in one transaction. An unknown device is
    /// [`StoreError::NotFound`].
    pub async fn file_data_mark(
        &self,
        m: &NewDataMark,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<DataMark> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let known = sqlx::query("SELECT mn FROM devices WHERE mn = $1").bind(&m.mn).fetch_optional(&mut *tx).await?;
            if known.is_none() {
                return Err(StoreError::NotFound(format!("设备 {}", m.mn)));
            }
            let id: i64 = sqlx::query("INSERT INTO data_marks (mn, factor, kind, start_time, end_time, reason, late, deadline, state, suspicion, filed_by, filed_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', $9, $10, $11) RETURNING id")
                .bind(&m.mn).bind(&m.factor).bind(&m.kind).bind(&m.start_time).bind(&m.end_time).bind(&m.reason)
                .bind(m.late).bind(&m.deadline).bind(&m.suspicion).bind(actor.user_id).bind(&m.filed_at)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "data_mark.file", format!("data_mark:{id}"));
            audit.new_value = Some(format!("{} {} {} {}–{}", m.mn, m.factor, m.kind, m.start_time, m.end_time.as_deref().unwrap_or("")));
            audit.detail = Some(format!("{}；原因：{}", if m.late { "迟报" } else { "按时提交" }, m.reason));
            insert_audit!(&mut *tx, &audit);
            let now = now_text();
            for f in files {
                let sha256 = hex::encode(Sha256::digest(&f.content));
                let size = f.content.len() as i64;
                let eid: i64 = sqlx::query("INSERT INTO data_mark_evidence (mark_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                    .bind(id).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind(actor.user_id).bind(&now).bind(f.content.as_slice())
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                let mut a = AuditEntry::ok(actor, "data_mark.evidence", format!("data_mark:{id}")).with_new(f.file_name.clone());
                a.detail = Some(format!("evidence:{eid} type={} size={size} sha256={sha256}", f.content_type));
                insert_audit!(&mut *tx, &a);
            }
            tx.commit().await?;
            id
        });
        self.data_mark(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("标记 {id} 写入后未找到")))
    }

    /// One mark.
    pub async fn data_mark(&self, id: i64) -> Result<Option<DataMark>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{MARK_SELECT} WHERE m.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(mark_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of marks, newest first.
    pub async fn data_marks_paged(
        &self,
        f: &DataMarkFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<DataMark>> {
        Ok(with_pool!(self, p => {
            let count = format!("SELECT COUNT(*) AS n FROM data_marks m LEFT JOIN devices d ON d.mn = m.mn LEFT JOIN outlets o ON o.id = d.outlet_id \
                                 LEFT JOIN enterprises e ON e.id = o.enterprise_id {MARK_WHERE}");
            let total: i64 = sqlx::query(&count)
                .bind(&f.division_code).bind(&f.mn).bind(&f.kind).bind(&f.state).bind(f.late).bind(f.suspicious)
                .bind(&f.credit_code).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{MARK_SELECT} {MARK_WHERE} ORDER BY m.id DESC LIMIT $8 OFFSET $9"))
                .bind(&f.division_code).bind(&f.mn).bind(&f.kind).bind(&f.state).bind(f.late).bind(f.suspicious)
                .bind(&f.credit_code).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(mark_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// The marks of a device, in any state, whose period overlaps `[from, to)` (RFC 3339 UTC),
    /// oldest first.
    pub async fn data_marks_overlapping(
        &self,
        mn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DataMark>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{MARK_SELECT} WHERE m.mn = $1 AND m.start_time < $3 AND (m.end_time IS NULL OR m.end_time > $2) ORDER BY m.start_time, m.id"))
                .bind(mn).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(mark_from_row!(r));
            }
            out
        }))
    }

    /// The marks of every device, in any state, whose period overlaps `[from, to)` (RFC 3339
    /// UTC), by device and then oldest first: one read for the supervisor's pass instead of one
    /// per device.
    pub async fn data_marks_overlapping_all(&self, from: &str, to: &str) -> Result<Vec<DataMark>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{MARK_SELECT} WHERE m.start_time < $2 AND (m.end_time IS NULL OR m.end_time > $1) ORDER BY m.mn, m.start_time, m.id"))
                .bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(mark_from_row!(r));
            }
            out
        }))
    }

    /// Accepts or rejects a pending mark (`data_mark.accept` / `data_mark.reject`, audited with
    /// the note). A mark already reviewed is [`StoreError::Conflict`]; an unknown one
    /// [`StoreError::NotFound`].
    pub async fn review_data_mark(
        &self,
        id: i64,
        accept: bool,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<DataMark> {
        let state = if accept { "accepted" } else { "rejected" };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state FROM data_marks WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("标记 {id}")))?;
            let old: String = row.try_get("state")?;
            if old != "pending" {
                return Err(StoreError::Conflict(format!("标记 {id} 已审核")));
            }
            sqlx::query("UPDATE data_marks SET state = $1, reviewed_by = $2, reviewed_at = $3, review_note = $4 WHERE id = $5")
                .bind(state).bind(actor.user_id).bind(now_text()).bind(note).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, if accept { "data_mark.accept" } else { "data_mark.reject" }, format!("data_mark:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(state.to_string());
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.data_mark(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("标记 {id}")))
    }

    /// Records (or clears) why a mark looks false, audited as the system's finding
    /// (`data_mark.suspect`) when it changes.
    pub async fn set_data_mark_suspicion(&self, id: i64, why: Option<&str>) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT suspicion FROM data_marks WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("标记 {id}")))?;
            let old: Option<String> = row.try_get("suspicion")?;
            if old.as_deref() != why {
                sqlx::query("UPDATE data_marks SET suspicion = $1 WHERE id = $2").bind(why).bind(id).execute(&mut *tx).await?;
                let mut audit = AuditEntry::ok(&Actor::system(), "data_mark.suspect", format!("data_mark:{id}"));
                audit.old_value = old;
                audit.new_value = why.map(str::to_string);
                insert_audit!(&mut *tx, &audit);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// The evidence files of a mark.
    pub async fn data_mark_evidence(&self, mark_id: i64) -> Result<Vec<MarkEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, mark_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM data_mark_evidence WHERE mark_id = $1 ORDER BY id")
                .bind(mark_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(MarkEvidence { id: r.try_get("id")?, mark_id: r.try_get("mark_id")?, file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?, size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?, uploaded_at: r.try_get("uploaded_at")? });
            }
            out
        }))
    }

    /// One evidence file of a mark with its content.
    pub async fn data_mark_evidence_file(
        &self,
        id: i64,
    ) -> Result<Option<(MarkEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, mark_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM data_mark_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((MarkEvidence { id: r.try_get("id")?, mark_id: r.try_get("mark_id")?, file_name: r.try_get("file_name")?,
                    content_type: r.try_get("content_type")?, size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?, uploaded_at: r.try_get("uploaded_at")? },
                    r.try_get("content")?)),
                None => None,
            }
        }))
    }
}
