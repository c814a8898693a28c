//! Heavy-pollution response, first half: the 绩效分级 register (an enterprise applies for a grade
//! with documents, the county reviews, the city publishes; staff may record a grade directly)
//! and the 应急减排清单 (一厂一策: per enterprise and warning level, the measures, the reductions
//! they bring per pollutant in kg/h and the monitored outlets they affect) with each enterprise's
//! baseline emissions. Nothing is overwritten: steps are events, list entries and baselines are
//! revisions, and every write is audited in the same transaction.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// A grade to apply for or record, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewHeavyGrade {
    /// The enterprise's 统一社会信用代码 (must be registered).
    pub credit_code: String,
    /// Industry code (rules data).
    pub industry: String,
    /// Grade code (rules data).
    pub grade: String,
    /// Valid from, YYYY-MM-DD.
    pub valid_from: String,
    /// Valid to, YYYY-MM-DD; `None`: until replaced.
    pub valid_to: Option<String>,
    /// apply (first grade), upgrade, or direct (recorded by staff, published at once).
    pub kind: String,
    /// Note shown on the public list.
    pub public_note: Option<String>,
    /// The applicant's or recorder's note, kept with the first step.
    pub note: Option<String>,
}

/// A grade record: an application on its way, a published grade, or one it replaced.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyGrade {
    /// Row id.
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name, if still registered.
    pub enterprise: Option<String>,
    /// County.
    pub division_code: Option<String>,
    /// Industry code.
    pub industry: String,
    /// Grade code.
    pub grade: String,
    /// Valid from, YYYY-MM-DD.
    pub valid_from: String,
    /// Valid to, YYYY-MM-DD.
    pub valid_to: Option<String>,
    /// apply, upgrade or direct.
    pub kind: String,
    /// applied, returned, reviewed, published or superseded.
    pub state: String,
    /// Note shown on the public list.
    pub public_note: Option<String>,
    /// Review note (internal: the public list never shows it).
    pub internal_note: Option<String>,
    /// Who applied or recorded it.
    pub created_by: Option<i64>,
    /// Their display name.
    pub created_by_name: Option<String>,
    /// When.
    pub created_at: String,
    /// Last step.
    pub updated_at: String,
    /// When published.
    pub published_at: Option<String>,
}

/// A step of a grade record.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyGradeEvent {
    /// Row id.
    pub id: i64,
    /// The grade record.
    pub grade_id: i64,
    /// apply, approve, return, publish, record or supersede.
    pub kind: String,
    /// Note or reason.
    pub note: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// A document of a grade record, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyGradeEvidence {
    /// Row id.
    pub id: i64,
    /// The grade record.
    pub grade_id: i64,
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

/// Which grade records to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct HeavyGradeFilter {
    /// County.
    pub division_code: Option<String>,
    /// Enterprise.
    pub credit_code: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Industry.
    pub industry: Option<String>,
}

/// A review or publishing step on a grade record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeavyGradeStep {
    /// The county approves the application (applied → reviewed).
    Approve,
    /// The county returns it with a reason (applied → returned).
    Return,
    /// The city publishes it (reviewed → published); the enterprise's earlier published grade
    /// in the same industry becomes superseded.
    Publish,
}

impl HeavyGradeStep {
    fn kind(self) -> &'static str {
        match self {
            HeavyGradeStep::Approve => "approve",
            HeavyGradeStep::Return => "return",
            HeavyGradeStep::Publish => "publish",
        }
    }
    fn action(self) -> &'static str {
        match self {
            HeavyGradeStep::Approve => "heavy_grade.approve",
            HeavyGradeStep::Return => "heavy_grade.return",
            HeavyGradeStep::Publish => "heavy_grade.publish",
        }
    }
    fn required_state(self) -> &'static str {
        match self {
            HeavyGradeStep::Approve | HeavyGradeStep::Return => "applied",
            HeavyGradeStep::Publish => "reviewed",
        }
    }
    fn to_state(self) -> &'static str {
        match self {
            HeavyGradeStep::Approve => "reviewed",
            HeavyGradeStep::Return => "returned",
            HeavyGradeStep::Publish => "published",
        }
    }
}

/// One measure of a list entry.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyMeasure {
    /// Measure code (rules data).
    pub code: String,
    /// Percentage for 限产 / 停产部分生产线, exact decimal text.
    pub percent: Option<String>,
    /// Process, line or facility named.
    pub process: Option<String>,
}

/// Per-pollutant kg/h figures, exact decimal text.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct Kg4 {
    /// 二氧化硫.
    pub so2: String,
    /// 氮氧化物.
    pub nox: String,
    /// 颗粒物.
    pub pm: String,
    /// 挥发性有机物.
    pub vocs: String,
}

/// A list entry to save, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewHeavyReduction {
    /// 统一社会信用代码 (must be registered).
    pub credit_code: String,
    /// yellow, orange or red.
    pub level: String,
    /// Measures, in order.
    pub measures: Vec<HeavyMeasure>,
    /// Reductions, kg/h.
    pub reduction: Kg4,
    /// Outlet codes of the enterprise the measures affect (must be registered).
    pub outlet_codes: Vec<String>,
    /// Note.
    pub note: Option<String>,
}

/// A revision of a list entry, with the enterprise it belongs to.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyReduction {
    /// Row id.
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name, if registered.
    pub enterprise: Option<String>,
    /// County, if registered.
    pub division_code: Option<String>,
    /// yellow, orange or red.
    pub level: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Taken off the list by this revision.
    pub removed: bool,
    /// Reductions, kg/h.
    pub reduction: Kg4,
    /// Note.
    pub note: Option<String>,
    /// Who saved it.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
    /// Measures, in order.
    pub measures: Vec<HeavyMeasure>,
    /// Outlet codes affected.
    pub outlet_codes: Vec<String>,
    /// MNs of the devices on those outlets.
    pub mns: Vec<String>,
}

/// A revision of an enterprise's baseline emissions.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HeavyBaseline {
    /// Row id.
    pub id: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Revision, from 1.
    pub revision: i64,
    /// Baseline emissions, kg/h.
    pub baseline: Kg4,
    /// Basis of the figures.
    pub note: Option<String>,
    /// Who saved it.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

const GRADE_SELECT: &str = "SELECT g.id, g.credit_code, e.name AS enterprise, g.division_code, g.industry, g.grade, g.valid_from, g.valid_to, g.kind, g.state, \
     g.public_note, g.internal_note, g.created_by, u.display_name AS created_by_name, g.created_at, g.updated_at, g.published_at \
     FROM heavy_grades g LEFT JOIN enterprises e ON e.credit_code = g.credit_code LEFT JOIN users u ON u.id = g.created_by";

const GRADE_WHERE: &str = "WHERE ($1 IS NULL OR g.division_code = $1) AND ($2 IS NULL OR g.credit_code = $2) AND ($3 IS NULL OR g.state = $3) \
     AND ($4 IS NULL OR g.industry = $4)";

const REDUCTION_SELECT: &str = "SELECT r.id, r.credit_code, e.name AS enterprise, e.division_code, r.level, r.revision, r.removed, r.so2, r.nox, r.pm, r.vocs, \
     r.note, r.by_user, u.display_name AS by_name, r.at FROM heavy_reductions r LEFT JOIN enterprises e ON e.credit_code = r.credit_code \
     LEFT JOIN users u ON u.id = r.by_user";

const BASELINE_SELECT: &str = "SELECT b.id, b.credit_code, b.revision, b.so2, b.nox, b.pm, b.vocs, b.note, b.by_user, u.display_name AS by_name, b.at \
     FROM heavy_baselines b LEFT JOIN users u ON u.id = b.by_user";

macro_rules! grade_from_row {
    ($r:expr) => {
        HeavyGrade {
            id: $r.try_get("id")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            industry: $r.try_get("industry")?,
            grade: $r.try_get("grade")?,
            valid_from: $r.try_get("valid_from")?,
            valid_to: $r.try_get("valid_to")?,
            kind: $r.try_get("kind")?,
            state: $r.try_get("state")?,
            public_note: $r.try_get("public_note")?,
            internal_note: $r.try_get("internal_note")?,
            created_by: $r.try_get("created_by")?,
            created_by_name: $r.try_get("created_by_name")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
            published_at: $r.try_get("published_at")?,
        }
    };
}

macro_rules! kg4_from_row {
    ($r:expr) => {
        Kg4 {
            so2: $r.try_get("so2")?,
            nox: $r.try_get("nox")?,
            pm: $r.try_get("pm")?,
            vocs: $r.try_get("vocs")?,
        }
    };
}

macro_rules! reduction_from_row {
    ($r:expr) => {
        HeavyReduction {
            id: $r.try_get("id")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            level: $r.try_get("level")?,
            revision: $r.try_get("revision")?,
            removed: $r.try_get("removed")?,
            reduction: kg4_from_row!($r),
            note: $r.try_get("note")?,
            by_user: $r.try_get("by_user")?,
            by_name: $r.try_get("by_name")?,
            at: $r.try_get("at")?,
            measures: Vec::new(),
            outlet_codes: Vec::new(),
            mns: Vec::new(),
        }
    };
}

macro_rules! baseline_from_row {
    ($r:expr) => {
        HeavyBaseline {
            id: $r.try_get("id")?,
            credit_code: $r.try_get("credit_code")?,
            revision: $r.try_get("revision")?,
            baseline: kg4_from_row!($r),
            note: $r.try_get("note")?,
            by_user: $r.try_get("by_user")?,
            by_name: $r.try_get("by_name")?,
            at: $r.try_get("at")?,
        }
    };
}

macro_rules! grade_evidence_from_row {
    ($r:expr) => {
        HeavyGradeEvidence {
            id: $r.try_get("id")?,
            grade_id: $r.try_get("grade_id")?,
            event_id: $r.try_get("event_id")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

/// Marks the enterprise's published grade in the industry superseded (event and audit), inside
/// the transaction that publishes `$new`.
macro_rules! supersede_previous {
    ($tx:expr, $credit:expr, $industry:expr, $new:expr, $actor:expr, $now:expr) => {
        let old = sqlx::query("SELECT id, grade FROM heavy_grades WHERE credit_code = $1 AND industry = $2 AND state = 'published' AND id <> $3")
            .bind($credit).bind($industry).bind($new).fetch_all(&mut *$tx).await?;
        for r in old {
            let oid: i64 = r.try_get("id")?;
            let og: String = r.try_get("grade")?;
            sqlx::query("UPDATE heavy_grades SET state = 'superseded', updated_at = $1 WHERE id = $2").bind($now).bind(oid).execute(&mut *$tx).await?;
            sqlx::query("INSERT INTO heavy_grade_events (grade_id, kind, note, by_user, at) VALUES ($1, 'supersede', $2, $3, $4)")
                .bind(oid).bind(format!("由分级记录 {} 取代", $new)).bind($actor.user_id).bind($now).execute(&mut *$tx).await?;
            let mut a = AuditEntry::ok($actor, "heavy_grade.supersede", format!("heavy_grade:{oid}"));
            a.old_value = Some(format!("published {og}"));
            a.new_value = Some("superseded".into());
            a.detail = Some(format!("heavy_grade:{}", $new));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

fn kg_text(k: &Kg4) -> String {
    format!("SO2={} NOx={} PM={} VOCs={}", k.so2, k.nox, k.pm, k.vocs)
}

impl Store {
    /// Applies for a grade (kind apply or upgrade: state applied, `heavy_grade.apply`) or records
    /// one directly (kind direct: published at once, `heavy_grade.record`, replacing the published
    /// grade of the same industry), with one `heavy_grade.evidence` per file. An unregistered
    /// enterprise is [`StoreError::NotFound`]; a second open application in the same industry is
    /// [`StoreError::Conflict`].
    pub async fn heavy_grade_apply(
        &self,
        n: &NewHeavyGrade,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<HeavyGrade> {
        let direct = n.kind == "direct";
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let e = sqlx::query("SELECT division_code FROM enterprises WHERE credit_code = $1").bind(&n.credit_code)
                .fetch_optional(&mut *tx).await?.ok_or_else(|| StoreError::NotFound(format!("排污单位 {}", n.credit_code)))?;
            let division: Option<String> = e.try_get("division_code")?;
            if !direct {
                let open = sqlx::query("SELECT id FROM heavy_grades WHERE credit_code = $1 AND industry = $2 AND state IN ('applied', 'reviewed')")
                    .bind(&n.credit_code).bind(&n.industry).fetch_optional(&mut *tx).await?;
                if let Some(r) = open {
                    let oid: i64 = r.try_get("id")?;
                    return Err(StoreError::Conflict(format!("该行业已有办理中的分级申请（记录 {oid}），请待其办结后再申请")));
                }
            }
            let now = now_text();
            let state = if direct { "published" } else { "applied" };
            let published_at = direct.then(|| now.clone());
            // The applicant's note stays with its step; the internal note is the review's.
            let id: i64 = sqlx::query("INSERT INTO heavy_grades (credit_code, division_code, industry, grade, valid_from, valid_to, kind, state, public_note, \
                                       created_by, created_at, updated_at, published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11, $12) RETURNING id")
                .bind(&n.credit_code).bind(&division).bind(&n.industry).bind(&n.grade).bind(&n.valid_from).bind(&n.valid_to)
                .bind(&n.kind).bind(state).bind(&n.public_note).bind(actor.user_id).bind(&now).bind(&published_at)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let event_kind = if direct { "record" } else { "apply" };
            let eid: i64 = sqlx::query("INSERT INTO heavy_grade_events (grade_id, kind, note, by_user, at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(id).bind(event_kind).bind(&n.note).bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let action = if direct { "heavy_grade.record" } else { "heavy_grade.apply" };
            let mut audit = AuditEntry::ok(actor, action, format!("heavy_grade:{id}"));
            audit.new_value = Some(format!("{} {} {} {}–{}", n.credit_code, n.industry, n.grade, n.valid_from, n.valid_to.as_deref().unwrap_or("")));
            audit.detail = n.note.clone();
            insert_audit!(&mut *tx, &audit);
            if direct {
                supersede_previous!(tx, &n.credit_code, &n.industry, id, actor, &now);
            }
            for f in files {
                let sha256 = hex::encode(Sha256::digest(&f.content));
                let size = f.content.len() as i64;
                let fid: i64 = sqlx::query("INSERT INTO heavy_grade_evidence (grade_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                    .bind(id).bind(eid).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind(actor.user_id).bind(&now).bind(f.content.as_slice())
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                let mut a = AuditEntry::ok(actor, "heavy_grade.evidence", format!("heavy_grade:{id}")).with_new(f.file_name.clone());
                a.detail = Some(format!("evidence:{fid} type={} size={size} sha256={sha256}", f.content_type));
                insert_audit!(&mut *tx, &a);
            }
            tx.commit().await?;
            id
        });
        self.heavy_grade(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("分级记录 {id} 写入后未找到")))
    }

    /// Takes a review or publishing step (audited as `heavy_grade.approve` / `.return` /
    /// `.publish`); the note becomes the record's internal note. A step the state does not allow
    /// is [`StoreError::Conflict`]; an unknown record [`StoreError::NotFound`].
    pub async fn heavy_grade_step(
        &self,
        id: i64,
        step: HeavyGradeStep,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<HeavyGrade> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state, credit_code, industry, grade FROM heavy_grades WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("分级记录 {id}")))?;
            let old: String = row.try_get("state")?;
            if old != step.required_state() {
                return Err(StoreError::Conflict(format!("分级记录 {id} 当前为“{}”，不能{}",
                    crate::labels::heavy_grade_state(&old), crate::labels::heavy_grade_event(step.kind()))));
            }
            let credit: String = row.try_get("credit_code")?;
            let industry: String = row.try_get("industry")?;
            let grade: String = row.try_get("grade")?;
            let now = now_text();
            let new_state = step.to_state();
            if step == HeavyGradeStep::Publish {
                sqlx::query("UPDATE heavy_grades SET state = $1, published_at = $2, updated_at = $2 WHERE id = $3")
                    .bind(new_state).bind(&now).bind(id).execute(&mut *tx).await?;
            } else {
                sqlx::query("UPDATE heavy_grades SET state = $1, internal_note = COALESCE($2, internal_note), updated_at = $3 WHERE id = $4")
                    .bind(new_state).bind(note).bind(&now).bind(id).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO heavy_grade_events (grade_id, kind, note, by_user, at) VALUES ($1, $2, $3, $4, $5)")
                .bind(id).bind(step.kind()).bind(note).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, step.action(), format!("heavy_grade:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(format!("{new_state} {credit} {industry} {grade}"));
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            if step == HeavyGradeStep::Publish {
                supersede_previous!(tx, &credit, &industry, id, actor, &now);
            }
            tx.commit().await?;
        });
        self.heavy_grade(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("分级记录 {id}")))
    }

    /// One grade record.
    pub async fn heavy_grade(&self, id: i64) -> Result<Option<HeavyGrade>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{GRADE_SELECT} WHERE g.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(grade_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of grade records, by enterprise name then newest first.
    pub async fn heavy_grades_paged(
        &self,
        f: &HeavyGradeFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<HeavyGrade>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM heavy_grades g {GRADE_WHERE}"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.industry)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{GRADE_SELECT} {GRADE_WHERE} ORDER BY g.credit_code, g.id DESC LIMIT $5 OFFSET $6"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.industry)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(grade_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Every published grade (the public list), by enterprise then industry.
    pub async fn heavy_grades_published(&self) -> Result<Vec<HeavyGrade>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{GRADE_SELECT} WHERE g.state = 'published' ORDER BY g.credit_code, g.industry"))
                .fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(grade_from_row!(r));
            }
            items
        }))
    }

    /// The steps of a grade record, oldest first.
    pub async fn heavy_grade_events(&self, grade_id: i64) -> Result<Vec<HeavyGradeEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.grade_id, v.kind, v.note, v.by_user, u.display_name AS by_name, v.at \
                                    FROM heavy_grade_events v LEFT JOIN users u ON u.id = v.by_user WHERE v.grade_id = $1 ORDER BY v.id")
                .bind(grade_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(HeavyGradeEvent { id: r.try_get("id")?, grade_id: r.try_get("grade_id")?, kind: r.try_get("kind")?, note: r.try_get("note")?,
                    by_user: r.try_get("by_user")?, by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The documents of a grade record.
    pub async fn heavy_grade_evidence(&self, grade_id: i64) -> Result<Vec<HeavyGradeEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, grade_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM heavy_grade_evidence WHERE grade_id = $1 ORDER BY id")
                .bind(grade_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(grade_evidence_from_row!(r));
            }
            out
        }))
    }

    /// One document of a grade record with its content.
    pub async fn heavy_grade_evidence_file(
        &self,
        id: i64,
    ) -> Result<Option<(HeavyGradeEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, grade_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM heavy_grade_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((grade_evidence_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }

    /// Saves a new revision of an enterprise's baseline emissions (`heavy_baseline.save`).
    /// An unregistered enterprise is [`StoreError::NotFound`].
    pub async fn heavy_baseline_save(
        &self,
        credit_code: &str,
        baseline: &Kg4,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<HeavyBaseline> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("SELECT id FROM enterprises WHERE credit_code = $1").bind(credit_code).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("排污单位 {credit_code}")))?;
            let prev = sqlx::query("SELECT revision, so2, nox, pm, vocs FROM heavy_baselines WHERE credit_code = $1 ORDER BY revision DESC LIMIT 1")
                .bind(credit_code).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(r) => (r.try_get::<i64, _>("revision")? + 1, Some(kg_text(&kg4_from_row!(r)))),
                None => (1, None),
            };
            let now = now_text();
            sqlx::query("INSERT INTO heavy_baselines (credit_code, revision, so2, nox, pm, vocs, note, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(credit_code).bind(revision).bind(&baseline.so2).bind(&baseline.nox).bind(&baseline.pm).bind(&baseline.vocs)
                .bind(note).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "heavy_baseline.save", format!("enterprise:{credit_code}"));
            audit.old_value = old;
            audit.new_value = Some(format!("revision:{revision} {}", kg_text(baseline)));
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.heavy_baseline(credit_code)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("基准排放 {credit_code} 写入后未找到")))
    }

    /// The current baseline of an enterprise.
    pub async fn heavy_baseline(&self, credit_code: &str) -> Result<Option<HeavyBaseline>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{BASELINE_SELECT} WHERE b.credit_code = $1 ORDER BY b.revision DESC LIMIT 1"))
                .bind(credit_code).fetch_optional(p).await? {
                Some(r) => Some(baseline_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Every revision of an enterprise's baseline, newest first.
    pub async fn heavy_baseline_history(&self, credit_code: &str) -> Result<Vec<HeavyBaseline>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{BASELINE_SELECT} WHERE b.credit_code = $1 ORDER BY b.revision DESC"))
                .bind(credit_code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(baseline_from_row!(r));
            }
            out
        }))
    }

    /// Saves a new revision of an enterprise's entry at a level (`heavy_reduction.save`). An
    /// unregistered enterprise is [`StoreError::NotFound`]; an outlet code the enterprise does
    /// not have is [`StoreError::Conflict`].
    pub async fn heavy_reduction_save(
        &self,
        n: &NewHeavyReduction,
        actor: &Actor,
    ) -> Result<HeavyReduction> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let e = sqlx::query("SELECT id FROM enterprises WHERE credit_code = $1").bind(&n.credit_code).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("排污单位 {}", n.credit_code)))?;
            let eid: i64 = e.try_get("id")?;
            for code in &n.outlet_codes {
                sqlx::query("SELECT id FROM outlets WHERE enterprise_id = $1 AND code = $2").bind(eid).bind(code)
                    .fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::Conflict(format!("排污单位 {} 没有编号为 {code} 的排放口", n.credit_code)))?;
            }
            let prev = sqlx::query("SELECT revision, removed, so2, nox, pm, vocs FROM heavy_reductions WHERE credit_code = $1 AND level = $2 ORDER BY revision DESC LIMIT 1")
                .bind(&n.credit_code).bind(&n.level).fetch_optional(&mut *tx).await?;
            let (revision, old) = match prev {
                Some(r) => {
                    let removed: bool = r.try_get("removed")?;
                    (r.try_get::<i64, _>("revision")? + 1, Some(if removed { "removed".to_string() } else { kg_text(&kg4_from_row!(r)) }))
                }
                None => (1, None),
            };
            let now = now_text();
            let rid: i64 = sqlx::query("INSERT INTO heavy_reductions (credit_code, level, revision, removed, so2, nox, pm, vocs, note, by_user, at) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                .bind(&n.credit_code).bind(&n.level).bind(revision).bind(false).bind(&n.reduction.so2).bind(&n.reduction.nox)
                .bind(&n.reduction.pm).bind(&n.reduction.vocs).bind(&n.note).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            for (seq, m) in n.measures.iter().enumerate() {
                sqlx::query("INSERT INTO heavy_reduction_measures (reduction_id, seq, code, percent, process) VALUES ($1, $2, $3, $4, $5)")
                    .bind(rid).bind(seq as i64).bind(&m.code).bind(&m.percent).bind(&m.process).execute(&mut *tx).await?;
            }
            for code in &n.outlet_codes {
                sqlx::query("INSERT INTO heavy_reduction_outlets (reduction_id, outlet_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(rid).bind(code).execute(&mut *tx).await?;
            }
            let mut audit = AuditEntry::ok(actor, "heavy_reduction.save", format!("enterprise:{} level:{}", n.credit_code, n.level));
            audit.old_value = old;
            audit.new_value = Some(format!("revision:{revision} {} reduction_measures={} outlets={}", kg_text(&n.reduction),
                n.measures.iter().map(|m| m.code.as_str()).collect::<Vec<_>>().join(","), n.outlet_codes.join(",")));
            audit.detail = n.note.clone();
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.heavy_reduction(&n.credit_code, &n.level)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("减排清单 {} 写入后未找到", n.credit_code)))
    }

    /// Takes an enterprise off the list at a level with a reason (`heavy_reduction.remove`): a
    /// revision marked removed, figures kept. No current entry is [`StoreError::NotFound`].
    pub async fn heavy_reduction_remove(
        &self,
        credit_code: &str,
        level: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let prev = sqlx::query("SELECT id, revision, removed, so2, nox, pm, vocs FROM heavy_reductions WHERE credit_code = $1 AND level = $2 ORDER BY revision DESC LIMIT 1")
                .bind(credit_code).bind(level).fetch_optional(&mut *tx).await?;
            let Some(r) = prev else {
                return Err(StoreError::NotFound(format!("减排清单中 {credit_code} 的该级别措施")));
            };
            if r.try_get::<bool, _>("removed")? {
                return Err(StoreError::NotFound(format!("减排清单中 {credit_code} 的该级别措施")));
            }
            let revision = r.try_get::<i64, _>("revision")? + 1;
            let k = kg4_from_row!(r);
            let now = now_text();
            sqlx::query("INSERT INTO heavy_reductions (credit_code, level, revision, removed, so2, nox, pm, vocs, note, by_user, at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(credit_code).bind(level).bind(revision).bind(true).bind(&k.so2).bind(&k.nox).bind(&k.pm).bind(&k.vocs)
                .bind(reason).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "heavy_reduction.remove", format!("enterprise:{credit_code} level:{level}"));
            audit.old_value = Some(kg_text(&k));
            audit.new_value = Some(format!("revision:{revision} removed"));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Fills in the measures, outlets and their devices' MNs of entries.
    async fn heavy_reduction_details(&self, items: &mut [HeavyReduction]) -> Result<()> {
        with_pool!(self, p => {
            for it in items.iter_mut() {
                let rows = sqlx::query("SELECT code, percent, process FROM heavy_reduction_measures WHERE reduction_id = $1 ORDER BY seq")
                    .bind(it.id).fetch_all(p).await?;
                for r in rows {
                    it.measures.push(HeavyMeasure { code: r.try_get("code")?, percent: r.try_get("percent")?, process: r.try_get("process")? });
                }
                let rows = sqlx::query("SELECT outlet_code FROM heavy_reduction_outlets WHERE reduction_id = $1 ORDER BY outlet_code")
                    .bind(it.id).fetch_all(p).await?;
                for r in rows {
                    it.outlet_codes.push(r.try_get("outlet_code")?);
                }
                let rows = sqlx::query("SELECT d.mn FROM heavy_reduction_outlets ro JOIN enterprises e ON e.credit_code = $2 \
                                        JOIN outlets o ON o.enterprise_id = e.id AND o.code = ro.outlet_code JOIN devices d ON d.outlet_id = o.id \
                                        WHERE ro.reduction_id = $1 ORDER BY d.mn")
                    .bind(it.id).bind(&it.credit_code).fetch_all(p).await?;
                for r in rows {
                    it.mns.push(r.try_get("mn")?);
                }
            }
        });
        Ok(())
    }

    /// The current entry of an enterprise at a level (`None` if never listed or removed).
    pub async fn heavy_reduction(
        &self,
        credit_code: &str,
        level: &str,
    ) -> Result<Option<HeavyReduction>> {
        let mut items: Vec<HeavyReduction> = with_pool!(self, p => {
            let rows = sqlx::query(&format!("{REDUCTION_SELECT} WHERE r.credit_code = $1 AND r.level = $2 ORDER BY r.revision DESC LIMIT 1"))
                .bind(credit_code).bind(level).fetch_all(p).await?;
            let mut out = Vec::new();
            for r in rows {
                out.push(reduction_from_row!(r));
            }
            out
        });
        items.retain(|r| !r.removed);
        self.heavy_reduction_details(&mut items).await?;
        Ok(items.pop())
    }

    /// The current list at a level: each enterprise's latest revision unless removed, by county
    /// then enterprise.
    pub async fn heavy_reductions(&self, level: &str) -> Result<Vec<HeavyReduction>> {
        let mut items: Vec<HeavyReduction> = with_pool!(self, p => {
            let rows = sqlx::query(&format!("{REDUCTION_SELECT} WHERE r.level = $1 AND r.removed = $2 AND r.revision = \
                                             (SELECT MAX(x.revision) FROM heavy_reductions x WHERE x.credit_code = r.credit_code AND x.level = r.level) \
                                             ORDER BY e.division_code, r.credit_code"))
                .bind(level).bind(false).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(reduction_from_row!(r));
            }
            out
        });
        self.heavy_reduction_details(&mut items).await?;
        Ok(items)
    }

    /// Every revision of an enterprise's entry at a level, newest first.
    pub async fn heavy_reduction_history(
        &self,
        credit_code: &str,
        level: &str,
    ) -> Result<Vec<HeavyReduction>> {
        let mut items: Vec<HeavyReduction> = with_pool!(self, p => {
            let rows = sqlx::query(&format!("{REDUCTION_SELECT} WHERE r.credit_code = $1 AND r.level = $2 ORDER BY r.revision DESC"))
                .bind(credit_code).bind(level).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(reduction_from_row!(r));
            }
            out
        });
        self.heavy_reduction_details(&mut items).await?;
        Ok(items)
    }

    /// The current baseline of every enterprise that has one, by credit code.
    pub async fn heavy_baselines_current(&self) -> Result<Vec<HeavyBaseline>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{BASELINE_SELECT} WHERE b.revision = (SELECT MAX(x.revision) FROM heavy_baselines x WHERE x.credit_code = b.credit_code) \
                                             ORDER BY b.credit_code"))
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(baseline_from_row!(r));
            }
            out
        }))
    }
}
