//! Inspection rectification lists (督察整改): problems found by central or provincial
//! environmental inspections or audits, registered by staff with their responsible units and
//! counties, measures and deadline. A change of those is a new revision (the old ones kept);
//! units and counties report progress with evidence files; staff close a problem (销号) with
//! its basis, and may re-open it with a reason. Every step is an event and an audit entry.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// What a revision of a problem holds, as the app checked it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct InspectionFields {
    /// central, provincial, audit or other.
    pub source_kind: String,
    /// The batch or round, e.g. 第二轮中央生态环境保护督察.
    pub source_batch: String,
    /// A short title.
    pub title: String,
    /// The problem as the inspection found it.
    pub description: String,
    /// The rectification measures.
    pub measures: String,
    /// Responsible units (the plan's unit ids), in order, at least one.
    pub units: Vec<String>,
    /// Counties concerned (GB/T 2260 codes); empty: the city as a whole.
    pub counties: Vec<String>,
    /// The rectification deadline, YYYY-MM-DD (Beijing date).
    pub deadline: String,
    /// Staff's internal note, never shown to the public.
    pub internal_note: Option<String>,
}

/// A stored problem (its current revision).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionProblem {
    /// Row id.
    pub id: i64,
    /// 问题编号, `YYYY-NNNN`.
    pub problem_number: String,
    /// Current revision (1 = as registered).
    pub revision: i64,
    /// The current revision's fields.
    #[serde(flatten)]
    pub fields: InspectionFields,
    /// rectifying, reported (completion reported, waiting for 销号) or closed.
    pub state: String,
    /// When closed (销号).
    pub closed_at: Option<String>,
    /// The basis of the closing decision.
    pub close_basis: Option<String>,
    /// Who registered it.
    pub created_by: Option<i64>,
    /// Their display name.
    pub created_by_name: Option<String>,
    /// When registered.
    pub created_at: String,
    /// Last step.
    pub updated_at: String,
}

/// An earlier or current version of a problem's fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionRevision {
    /// The problem.
    pub problem_id: i64,
    /// Revision number.
    pub revision: i64,
    /// The fields of that revision.
    #[serde(flatten)]
    pub fields: InspectionFields,
    /// Why it was changed (`None` for the first).
    pub reason: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// When.
    pub at: String,
}

/// A step on a problem.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionEvent {
    /// Row id.
    pub id: i64,
    /// The problem.
    pub problem_id: i64,
    /// register, revise, report, close or reopen.
    pub kind: String,
    /// The report, the closing basis, the reason.
    pub note: Option<String>,
    /// A report saying the rectification is complete.
    pub done: bool,
    /// The unit a report was made for.
    pub for_unit: Option<String>,
    /// The county a report was made for.
    pub for_county: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// An evidence file of a problem, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionEvidence {
    /// Row id.
    pub id: i64,
    /// The problem.
    pub problem_id: i64,
    /// The step it came with.
    pub event_id: i64,
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

/// Which problems to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct InspectionFilter {
    /// Problems of this responsible unit.
    pub unit_id: Option<String>,
    /// Problems concerning this county.
    pub division_code: Option<String>,
    /// Source kind.
    pub source_kind: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Only open problems whose deadline is on or before this date (YYYY-MM-DD).
    pub due_by: Option<String>,
}

/// A step on a problem, as the app checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InspectionStep {
    /// A progress report by a unit or county; `done` says the rectification is complete.
    Report {
        /// Complete.
        done: bool,
        /// For which responsible unit.
        for_unit: Option<String>,
        /// For which county.
        for_county: Option<String>,
    },
    /// 销号 by staff; the note is the basis.
    Close,
    /// Re-opened by staff; the note is the reason.
    Reopen,
}

impl InspectionStep {
    fn kind(&self) -> &'static str {
        match self {
            InspectionStep::Report { .. } => "report",
            InspectionStep::Close => "close",
            InspectionStep::Reopen => "reopen",
        }
    }
    fn action(&self) -> &'static str {
        match self {
            InspectionStep::Report { .. } => "inspection.report",
            InspectionStep::Close => "inspection.close",
            InspectionStep::Reopen => "inspection.reopen",
        }
    }
    fn allowed_in(&self) -> &'static [&'static str] {
        match self {
            InspectionStep::Report { .. } | InspectionStep::Close => &["rectifying", "reported"],
            InspectionStep::Reopen => &["closed"],
        }
    }
    fn new_state(&self) -> &'static str {
        match self {
            InspectionStep::Report { done: true, .. } => "reported",
            InspectionStep::Report { .. } | InspectionStep::Reopen => "rectifying",
            InspectionStep::Close => "closed",
        }
    }
}

/// Closed problems of one source, for the public summary.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct InspectionSourceCount {
    /// Source kind.
    pub source_kind: String,
    /// Batch or round.
    pub source_batch: String,
    /// Problems registered.
    pub total: i64,
    /// Of which closed (销号).
    pub closed: i64,
}

fn join(v: &[String]) -> String {
    v.join(",")
}

fn split(s: &str) -> Vec<String> {
    s.split(',')
        .filter(|p| !p.is_empty())
        .map(str::to_string)
        .collect()
}

const PROBLEM_SELECT: &str = "SELECT p.id, p.problem_number, p.revision, p.source_kind, p.source_batch, p.title, p.description, p.measures, \
     p.units, p.counties, p.deadline, p.internal_note, p.state, p.closed_at, p.close_basis, p.created_by, u.display_name AS created_by_name, \
     p.created_at, p.updated_at FROM inspection_problems p LEFT JOIN users u ON u.id = p.created_by";

const PROBLEM_WHERE: &str = "WHERE ($1 IS NULL OR EXISTS (SELECT 1 FROM inspection_problem_units x WHERE x.problem_id = p.id AND x.unit_id = $1)) \
     AND ($2 IS NULL OR EXISTS (SELECT 1 FROM inspection_problem_counties y WHERE y.problem_id = p.id AND y.division_code = $2)) \
     AND ($3 IS NULL OR p.source_kind = $3) AND ($4 IS NULL OR p.state = $4) \
     AND ($5 IS NULL OR (p.deadline <= $5 AND p.state <> 'closed'))";

macro_rules! problem_from_row {
    ($r:expr) => {{
        let units: String = $r.try_get("units")?;
        let counties: String = $r.try_get("counties")?;
        InspectionProblem {
            id: $r.try_get("id")?,
            problem_number: $r.try_get("problem_number")?,
            revision: $r.try_get("revision")?,
            fields: InspectionFields {
                source_kind: $r.try_get("source_kind")?,
                source_batch: $r.try_get("source_batch")?,
                title: $r.try_get("title")?,
                description: $r.try_get("description")?,
                measures: $r.try_get("measures")?,
                units: split(&units),
                counties: split(&counties),
                deadline: $r.try_get("deadline")?,
                internal_note: $r.try_get("internal_note")?,
            },
            state: $r.try_get("state")?,
            closed_at: $r.try_get("closed_at")?,
            close_basis: $r.try_get("close_basis")?,
            created_by: $r.try_get("created_by")?,
            created_by_name: $r.try_get("created_by_name")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    }};
}

macro_rules! inspection_evidence_from_row {
    ($r:expr) => {
        InspectionEvidence {
            id: $r.try_get("id")?,
            problem_id: $r.try_get("problem_id")?,
            event_id: $r.try_get("event_id")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

macro_rules! insert_inspection_files {
    ($tx:expr, $problem:expr, $event:expr, $files:expr, $actor:expr, $now:expr) => {
        for f in $files {
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let fid: i64 = sqlx::query("INSERT INTO inspection_evidence (problem_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind($problem).bind($event).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind($actor.user_id).bind($now).bind(f.content.as_slice())
                .fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "inspection.evidence", format!("inspection:{}", $problem)).with_new(f.file_name.clone());
            a.detail = Some(format!("evidence:{fid} type={} size={size} sha256={sha256}", f.content_type));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

/// The current units and counties of a problem, replaced with each revision.
macro_rules! set_scope {
    ($tx:expr, $id:expr, $f:expr) => {
        sqlx::query("DELETE FROM inspection_problem_units WHERE problem_id = $1").bind($id).execute(&mut *$tx).await?;
        sqlx::query("DELETE FROM inspection_problem_counties WHERE problem_id = $1").bind($id).execute(&mut *$tx).await?;
        for u in &$f.units {
            sqlx::query("INSERT INTO inspection_problem_units (problem_id, unit_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind($id).bind(u).execute(&mut *$tx).await?;
        }
        for c in &$f.counties {
            sqlx::query("INSERT INTO inspection_problem_counties (problem_id, division_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind($id).bind(c).execute(&mut *$tx).await?;
        }
    };
}

macro_rules! insert_revision {
    ($tx:expr, $id:expr, $rev:expr, $f:expr, $reason:expr, $actor:expr, $now:expr) => {
        sqlx::query("INSERT INTO inspection_problem_revisions (problem_id, revision, source_kind, source_batch, title, description, measures, units, counties, deadline, internal_note, reason, by_user, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)")
            .bind($id).bind($rev).bind(&$f.source_kind).bind(&$f.source_batch).bind(&$f.title).bind(&$f.description).bind(&$f.measures)
            .bind(join(&$f.units)).bind(join(&$f.counties)).bind(&$f.deadline).bind(&$f.internal_note).bind($reason).bind($actor.user_id).bind($now)
            .execute(&mut *$tx).await?;
    };
}

fn summary(f: &InspectionFields) -> String {
    format!(
        "{} {} 责任单位={} 区县={} 期限={}",
        f.source_kind,
        f.title,
        join(&f.units),
        join(&f.counties),
        f.deadline
    )
}

impl Store {
    /// Registers a problem (`inspection.register`, audited, with one `inspection.evidence` per
    /// file), numbered `YYYY-NNNN` in `year`, in state `rectifying` at revision 1.
    pub async fn register_inspection_problem(
        &self,
        year: i32,
        f: &InspectionFields,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<InspectionProblem> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let prefix = format!("{year}-");
            let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM inspection_problems WHERE problem_number LIKE $1")
                .bind(format!("{prefix}%")).fetch_one(&mut *tx).await?.try_get("n")?;
            let number = format!("{prefix}{:04}", count + 1);
            let id: i64 = sqlx::query("INSERT INTO inspection_problems (problem_number, revision, source_kind, source_batch, title, description, measures, units, counties, deadline, internal_note, state, created_by, created_at, updated_at) \
                                       VALUES ($1, 1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'rectifying', $11, $12, $12) RETURNING id")
                .bind(&number).bind(&f.source_kind).bind(&f.source_batch).bind(&f.title).bind(&f.description).bind(&f.measures)
                .bind(join(&f.units)).bind(join(&f.counties)).bind(&f.deadline).bind(&f.internal_note).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            set_scope!(tx, id, f);
            insert_revision!(tx, id, 1_i64, f, None::<String>, actor, &now);
            let eid: i64 = sqlx::query("INSERT INTO inspection_events (problem_id, kind, note, by_user, at) VALUES ($1, 'register', $2, $3, $4) RETURNING id")
                .bind(id).bind(&f.description).bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "inspection.register", format!("inspection:{id}"));
            audit.new_value = Some(format!("{number} revision=1 {}", summary(f)));
            audit.detail = Some(f.source_batch.clone());
            insert_audit!(&mut *tx, &audit);
            insert_inspection_files!(tx, id, eid, files, actor, &now);
            tx.commit().await?;
            id
        });
        self.inspection_problem(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("督察整改问题 {id} 写入后未找到")))
    }

    /// Revises a problem's fields (`inspection.revise`): a new revision beside the old ones,
    /// with its reason. A closed problem must be re-opened first ([`StoreError::Conflict`]).
    pub async fn revise_inspection_problem(
        &self,
        id: i64,
        f: &InspectionFields,
        reason: &str,
        actor: &Actor,
    ) -> Result<InspectionProblem> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT revision, state, source_kind, title, units, counties, deadline FROM inspection_problems WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("督察整改问题 {id}")))?;
            let state: String = row.try_get("state")?;
            if state == "closed" {
                return Err(StoreError::Conflict(format!("督察整改问题 {id} 已销号，须先重新打开才能修改")));
            }
            let old = InspectionFields {
                source_kind: row.try_get("source_kind")?,
                title: row.try_get("title")?,
                units: split(&row.try_get::<String, _>("units")?),
                counties: split(&row.try_get::<String, _>("counties")?),
                deadline: row.try_get("deadline")?,
                ..Default::default()
            };
            let rev: i64 = row.try_get::<i64, _>("revision")? + 1;
            let now = now_text();
            sqlx::query("UPDATE inspection_problems SET revision = $1, source_kind = $2, source_batch = $3, title = $4, description = $5, measures = $6, \
                         units = $7, counties = $8, deadline = $9, internal_note = $10, updated_at = $11 WHERE id = $12")
                .bind(rev).bind(&f.source_kind).bind(&f.source_batch).bind(&f.title).bind(&f.description).bind(&f.measures)
                .bind(join(&f.units)).bind(join(&f.counties)).bind(&f.deadline).bind(&f.internal_note).bind(&now).bind(id)
                .execute(&mut *tx).await?;
            set_scope!(tx, id, f);
            insert_revision!(tx, id, rev, f, Some(reason), actor, &now);
            sqlx::query("INSERT INTO inspection_events (problem_id, kind, note, by_user, at) VALUES ($1, 'revise', $2, $3, $4)")
                .bind(id).bind(reason).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "inspection.revise", format!("inspection:{id}"));
            audit.old_value = Some(format!("revision={} {}", rev - 1, summary(&old)));
            audit.new_value = Some(format!("revision={rev} {}", summary(f)));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.inspection_problem(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("督察整改问题 {id}")))
    }

    /// Takes a step on a problem (audited as `inspection.report` / `inspection.close` /
    /// `inspection.reopen`, with one `inspection.evidence` per file). A step the state does
    /// not allow, or a 销号 of a problem without any evidence file, is [`StoreError::Conflict`].
    pub async fn inspection_step(
        &self,
        id: i64,
        step: &InspectionStep,
        note: &str,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<InspectionProblem> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state FROM inspection_problems WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("督察整改问题 {id}")))?;
            let old: String = row.try_get("state")?;
            if !step.allowed_in().contains(&old.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "督察整改问题 {id} 当前为“{}”，不能{}",
                    crate::labels::inspection_state(&old),
                    crate::labels::inspection_event(step.kind())
                )));
            }
            if matches!(step, InspectionStep::Close) && files.is_empty() {
                let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM inspection_evidence WHERE problem_id = $1")
                    .bind(id).fetch_one(&mut *tx).await?.try_get("n")?;
                if n == 0 {
                    return Err(StoreError::Conflict(format!("督察整改问题 {id} 尚无整改完成的佐证材料，不能销号")));
                }
            }
            let now = now_text();
            let new_state = step.new_state();
            match step {
                InspectionStep::Close => {
                    sqlx::query("UPDATE inspection_problems SET state = $1, closed_at = $2, close_basis = $3, updated_at = $2 WHERE id = $4")
                        .bind(new_state).bind(&now).bind(note).bind(id).execute(&mut *tx).await?;
                }
                InspectionStep::Reopen => {
                    sqlx::query("UPDATE inspection_problems SET state = $1, closed_at = NULL, close_basis = NULL, updated_at = $2 WHERE id = $3")
                        .bind(new_state).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                InspectionStep::Report { .. } => {
                    sqlx::query("UPDATE inspection_problems SET state = $1, updated_at = $2 WHERE id = $3")
                        .bind(new_state).bind(&now).bind(id).execute(&mut *tx).await?;
                }
            }
            let (done, for_unit, for_county) = match step {
                InspectionStep::Report { done, for_unit, for_county } => (*done, for_unit.clone(), for_county.clone()),
                _ => (false, None, None),
            };
            let eid: i64 = sqlx::query("INSERT INTO inspection_events (problem_id, kind, note, done, for_unit, for_county, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
                .bind(id).bind(step.kind()).bind(note).bind(done).bind(&for_unit).bind(&for_county).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, step.action(), format!("inspection:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(new_state.to_string());
            audit.detail = Some(match (&for_unit, &for_county) {
                (Some(u), _) => format!("unit:{u} {note}"),
                (None, Some(c)) => format!("division:{c} {note}"),
                _ => note.to_string(),
            });
            insert_audit!(&mut *tx, &audit);
            insert_inspection_files!(tx, id, eid, files, actor, &now);
            tx.commit().await?;
        });
        self.inspection_problem(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("督察整改问题 {id}")))
    }

    /// One problem.
    pub async fn inspection_problem(&self, id: i64) -> Result<Option<InspectionProblem>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{PROBLEM_SELECT} WHERE p.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(problem_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of problems, by deadline (earliest first), then number.
    pub async fn inspection_problems_paged(
        &self,
        f: &InspectionFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<InspectionProblem>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM inspection_problems p {PROBLEM_WHERE}"))
                .bind(&f.unit_id).bind(&f.division_code).bind(&f.source_kind).bind(&f.state).bind(&f.due_by)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{PROBLEM_SELECT} {PROBLEM_WHERE} ORDER BY p.deadline, p.problem_number LIMIT $6 OFFSET $7"))
                .bind(&f.unit_id).bind(&f.division_code).bind(&f.source_kind).bind(&f.state).bind(&f.due_by)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(problem_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Every revision of a problem, oldest first.
    pub async fn inspection_revisions(&self, id: i64) -> Result<Vec<InspectionRevision>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT * FROM inspection_problem_revisions WHERE problem_id = $1 ORDER BY revision")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let units: String = r.try_get("units")?;
                let counties: String = r.try_get("counties")?;
                out.push(InspectionRevision {
                    problem_id: r.try_get("problem_id")?,
                    revision: r.try_get("revision")?,
                    fields: InspectionFields {
                        source_kind: r.try_get("source_kind")?,
                        source_batch: r.try_get("source_batch")?,
                        title: r.try_get("title")?,
                        description: r.try_get("description")?,
                        measures: r.try_get("measures")?,
                        units: split(&units),
                        counties: split(&counties),
                        deadline: r.try_get("deadline")?,
                        internal_note: r.try_get("internal_note")?,
                    },
                    reason: r.try_get("reason")?,
                    by_user: r.try_get("by_user")?,
                    at: r.try_get("at")?,
                });
            }
            out
        }))
    }

    /// The steps of a problem, oldest first.
    pub async fn inspection_events(&self, id: i64) -> Result<Vec<InspectionEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.problem_id, v.kind, v.note, v.done, v.for_unit, v.for_county, v.by_user, u.display_name AS by_name, v.at \
                                    FROM inspection_events v LEFT JOIN users u ON u.id = v.by_user WHERE v.problem_id = $1 ORDER BY v.id")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(InspectionEvent { id: r.try_get("id")?, problem_id: r.try_get("problem_id")?, kind: r.try_get("kind")?, note: r.try_get("note")?,
                    done: r.try_get("done")?, for_unit: r.try_get("for_unit")?, for_county: r.try_get("for_county")?,
                    by_user: r.try_get("by_user")?, by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The evidence files of a problem.
    pub async fn inspection_evidence(&self, id: i64) -> Result<Vec<InspectionEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, problem_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM inspection_evidence WHERE problem_id = $1 ORDER BY id")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(inspection_evidence_from_row!(r));
            }
            out
        }))
    }

    /// One evidence file with its content.
    pub async fn inspection_evidence_file(
        &self,
        id: i64,
    ) -> Result<Option<(InspectionEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, problem_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM inspection_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((inspection_evidence_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }

    /// Problems and closed problems per source (kind and batch), for the public summary.
    pub async fn inspection_source_counts(&self) -> Result<Vec<InspectionSourceCount>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT source_kind, source_batch, COUNT(*) AS total, \
                                    SUM(CASE WHEN state = 'closed' THEN 1 ELSE 0 END) AS closed \
                                    FROM inspection_problems GROUP BY source_kind, source_batch ORDER BY source_kind, source_batch")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(InspectionSourceCount { source_kind: r.try_get("source_kind")?, source_batch: r.try_get("source_batch")?,
                    total: r.try_get("total")?, closed: r.try_get("closed")? });
            }
            out
        }))
    }
}
