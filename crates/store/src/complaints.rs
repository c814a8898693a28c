//! The complaints desk (信访投诉举报): citizens' reports with their photos (kept with their
//! metadata already stripped), the contact details in a table of their own, staff's triage
//! (accept, reject, merge), routing to a county or a department with a deadline, the handler's
//! investigation, findings, measures and reply with evidence, and the complainant's rating.
//! The tracking code is kept only as its SHA-256. Every step is an event and an audit entry;
//! no audit entry carries contact details.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// A complainant's contact details, any of them optional.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct ComplaintContact {
    /// Name.
    pub name: Option<String>,
    /// Telephone.
    pub phone: Option<String>,
    /// E-mail.
    pub email: Option<String>,
}

impl ComplaintContact {
    /// Whether nothing was given.
    pub fn is_empty(&self) -> bool {
        self.name.is_none() && self.phone.is_none() && self.email.is_none()
    }
}

/// A report as the app checked it.
#[derive(Debug, Clone, Default)]
pub struct NewComplaint {
    /// air, water, noise, waste, soil, ecology or other.
    pub category: String,
    /// What happened.
    pub description: String,
    /// Where, in words.
    pub address: Option<String>,
    /// Where, WGS-84 longitude as typed (decimal degrees).
    pub longitude: Option<String>,
    /// Where, WGS-84 latitude.
    pub latitude: Option<String>,
    /// The county matched (GB/T 2260).
    pub division_code: Option<String>,
    /// How the county was matched: chosen, point or address.
    pub division_match: Option<String>,
    /// The registered enterprise matched.
    pub credit_code: Option<String>,
    /// How: distance or name.
    pub enterprise_match: Option<String>,
    /// When it happened, as given (Beijing time, `YYYY-MM-DD HH:MM` or a date).
    pub occurred_at: Option<String>,
    /// The complainant chose to stay anonymous (no contact details kept).
    pub anonymous: bool,
    /// Last day to accept or reject it (YYYY-MM-DD).
    pub accept_by: String,
    /// Contact details (none when anonymous).
    pub contact: Option<ComplaintContact>,
}

/// A photo to keep with a report: the file (metadata already stripped) and what was removed.
#[derive(Debug, Clone)]
pub struct NewPhoto {
    /// The cleaned file.
    pub file: NewEvidence,
    /// What the original carried (for handling staff only).
    pub meta: String,
}

/// A stored complaint (without contact details).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Complaint {
    /// Row id.
    pub id: i64,
    /// 案件编号 `TS{year}-NNNN`.
    pub case_number: String,
    /// Category code.
    pub category: String,
    /// What happened.
    pub description: String,
    /// Where, in words.
    pub address: Option<String>,
    /// Longitude (WGS-84).
    pub longitude: Option<String>,
    /// Latitude (WGS-84).
    pub latitude: Option<String>,
    /// County matched.
    pub division_code: Option<String>,
    /// How it was matched.
    pub division_match: Option<String>,
    /// Enterprise matched.
    pub credit_code: Option<String>,
    /// Its registered name.
    pub enterprise_name: Option<String>,
    /// How it was matched.
    pub enterprise_match: Option<String>,
    /// When it happened, as given.
    pub occurred_at: Option<String>,
    /// Filed anonymously.
    pub anonymous: bool,
    /// submitted, accepted, routed, closed, rejected or merged.
    pub state: String,
    /// Last day to accept or reject.
    pub accept_by: String,
    /// Last day to finish (set on acceptance or routing).
    pub due_by: Option<String>,
    /// County routed to.
    pub route_county: Option<String>,
    /// Department (plan unit) routed to.
    pub route_unit: Option<String>,
    /// Why rejected.
    pub reject_reason: Option<String>,
    /// The case it was merged into.
    pub merged_into: Option<i64>,
    /// substantiated, partly or unsubstantiated.
    pub finding: Option<String>,
    /// The investigation.
    pub investigation: Option<String>,
    /// The measures taken.
    pub measures: Option<String>,
    /// The reply to the complainant.
    pub reply: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
    /// The complainant's rating, 1–5.
    pub rating: Option<i64>,
    /// Their comment.
    pub rating_comment: Option<String>,
    /// When rated.
    pub rated_at: Option<String>,
    /// When filed.
    pub submitted_at: String,
    /// Last step.
    pub updated_at: String,
}

/// A step on a complaint.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComplaintEvent {
    /// Row id.
    pub id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// submit, accept, reject, merge, route, handle or rate.
    pub kind: String,
    /// The reason, the instruction, the investigation.
    pub note: Option<String>,
    /// County routed to.
    pub for_county: Option<String>,
    /// Unit routed to.
    pub for_unit: Option<String>,
    /// Who (none: the public).
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// A photo or an evidence file of a complaint, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ComplaintFile {
    /// Row id.
    pub id: i64,
    /// The complaint.
    pub complaint_id: i64,
    /// The step it came with.
    pub event_id: i64,
    /// photo (the citizen's) or evidence (the handler's).
    pub kind: String,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size in bytes.
    pub size_bytes: i64,
    /// SHA-256 of the kept content.
    pub sha256: String,
    /// What the original carried (handling staff only).
    pub meta: Option<String>,
    /// When.
    pub uploaded_at: String,
}

/// Which complaints to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct ComplaintFilter {
    /// State.
    pub state: Option<String>,
    /// Routed to this county.
    pub route_county: Option<String>,
    /// Routed to this unit.
    pub route_unit: Option<String>,
    /// Matched to this county.
    pub division_code: Option<String>,
    /// Linked to this enterprise.
    pub credit_code: Option<String>,
    /// Only open complaints past a deadline before this date (YYYY-MM-DD): not accepted by
    /// `accept_by`, or not finished by `due_by`.
    pub overdue_on: Option<String>,
}

/// A step on a complaint, as the app checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ComplaintStep {
    /// Accepted (受理) with the day it must be finished.
    Accept {
        /// YYYY-MM-DD.
        due_by: String,
    },
    /// Rejected as out of scope; the note is the reason.
    Reject,
    /// Merged into another case as its duplicate.
    Merge {
        /// The case it joins.
        into: i64,
    },
    /// Routed (交办) to a county or a unit; accepts it if not yet accepted.
    Route {
        /// County.
        county: Option<String>,
        /// Unit.
        unit: Option<String>,
        /// YYYY-MM-DD.
        due_by: String,
    },
    /// Handled (办结): investigation (the note), findings, measures and the reply.
    Handle {
        /// substantiated, partly or unsubstantiated.
        finding: String,
        /// Measures taken.
        measures: String,
        /// The reply to the complainant.
        reply: String,
    },
    /// Rated by the complainant (the note is the comment).
    Rate {
        /// 1–5.
        rating: i64,
    },
}

impl ComplaintStep {
    fn kind(&self) -> &'static str {
        match self {
            ComplaintStep::Accept { .. } => "accept",
            ComplaintStep::Reject => "reject",
            ComplaintStep::Merge { .. } => "merge",
            ComplaintStep::Route { .. } => "route",
            ComplaintStep::Handle { .. } => "handle",
            ComplaintStep::Rate { .. } => "rate",
        }
    }
    fn action(&self) -> &'static str {
        match self {
            ComplaintStep::Accept { .. } => "complaint.accept",
            ComplaintStep::Reject => "complaint.reject",
            ComplaintStep::Merge { .. } => "complaint.merge",
            ComplaintStep::Route { .. } => "complaint.route",
            ComplaintStep::Handle { .. } => "complaint.handle",
            ComplaintStep::Rate { .. } => "complaint.rate",
        }
    }
    fn allowed_in(&self) -> &'static [&'static str] {
        match self {
            ComplaintStep::Accept { .. } | ComplaintStep::Reject => &["submitted"],
            ComplaintStep::Merge { .. } => &["submitted", "accepted", "routed"],
            ComplaintStep::Route { .. } => &["submitted", "accepted", "routed"],
            ComplaintStep::Handle { .. } => &["accepted", "routed"],
            ComplaintStep::Rate { .. } => &["closed", "rejected", "merged"],
        }
    }
}

/// What [`Store::submit_complaint`] did.
#[derive(Debug, Clone)]
pub enum Submitted {
    /// Filed.
    Filed(Box<Complaint>),
    /// The address already filed the most allowed in the window.
    RateLimited,
    /// The challenge was already used.
    ChallengeUsed,
}

/// Counts for the public statistics and the dashboard.
#[derive(Debug, Clone, Default, Serialize, PartialEq)]
pub struct ComplaintCounts {
    /// Per state: (state, count).
    pub by_state: Vec<(String, i64)>,
    /// Per matched county: (code, count); None: not matched.
    pub by_county: Vec<(Option<String>, i64)>,
    /// Per category: (category, count).
    pub by_category: Vec<(String, i64)>,
    /// Per finding of closed cases: (finding, count).
    pub by_finding: Vec<(String, i64)>,
    /// Ratings given.
    pub rated: i64,
    /// Their sum.
    pub rating_sum: i64,
}

const SELECT: &str = "SELECT c.id, c.case_number, c.category, c.description, c.address, c.longitude, c.latitude, c.division_code, c.division_match, \
     c.credit_code, e.name AS enterprise_name, c.enterprise_match, c.occurred_at, c.anonymous, c.state, c.accept_by, c.due_by, c.route_county, c.route_unit, \
     c.reject_reason, c.merged_into, c.finding, c.investigation, c.measures, c.reply, c.closed_at, c.rating, c.rating_comment, c.rated_at, c.submitted_at, c.updated_at \
     FROM complaints c LEFT JOIN enterprises e ON e.credit_code = c.credit_code";

const WHERE: &str = "WHERE ($1 IS NULL OR c.state = $1) AND ($2 IS NULL OR c.route_county = $2) AND ($3 IS NULL OR c.route_unit = $3) \
     AND ($4 IS NULL OR c.division_code = $4) AND ($5 IS NULL OR c.credit_code = $5) \
     AND ($6 IS NULL OR (c.state = 'submitted' AND c.accept_by < $6) OR (c.state IN ('accepted', 'routed') AND c.due_by < $6))";

macro_rules! complaint_from_row {
    ($r:expr) => {
        Complaint {
            id: $r.try_get("id")?,
            case_number: $r.try_get("case_number")?,
            category: $r.try_get("category")?,
            description: $r.try_get("description")?,
            address: $r.try_get("address")?,
            longitude: $r.try_get("longitude")?,
            latitude: $r.try_get("latitude")?,
            division_code: $r.try_get("division_code")?,
            division_match: $r.try_get("division_match")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise_name: $r.try_get("enterprise_name")?,
            enterprise_match: $r.try_get("enterprise_match")?,
            occurred_at: $r.try_get("occurred_at")?,
            anonymous: $r.try_get("anonymous")?,
            state: $r.try_get("state")?,
            accept_by: $r.try_get("accept_by")?,
            due_by: $r.try_get("due_by")?,
            route_county: $r.try_get("route_county")?,
            route_unit: $r.try_get("route_unit")?,
            reject_reason: $r.try_get("reject_reason")?,
            merged_into: $r.try_get("merged_into")?,
            finding: $r.try_get("finding")?,
            investigation: $r.try_get("investigation")?,
            measures: $r.try_get("measures")?,
            reply: $r.try_get("reply")?,
            closed_at: $r.try_get("closed_at")?,
            rating: $r.try_get("rating")?,
            rating_comment: $r.try_get("rating_comment")?,
            rated_at: $r.try_get("rated_at")?,
            submitted_at: $r.try_get("submitted_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

macro_rules! file_from_row {
    ($r:expr) => {
        ComplaintFile {
            id: $r.try_get("id")?,
            complaint_id: $r.try_get("complaint_id")?,
            event_id: $r.try_get("event_id")?,
            kind: $r.try_get("kind")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            meta: $r.try_get("meta")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

/// Inserts files of one kind for a step, each audited (`complaint.file`) by name, type, size
/// and hash — never the metadata, which may say where the complainant stood.
macro_rules! insert_files {
    ($tx:expr, $id:expr, $event:expr, $kind:expr, $files:expr, $actor:expr, $now:expr) => {
        for (f, meta) in $files {
            let f: &NewEvidence = f;
            let meta: Option<&String> = meta;
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let fid: i64 = sqlx::query("INSERT INTO complaint_files (complaint_id, event_id, kind, file_name, content_type, size_bytes, sha256, meta, uploaded_by, uploaded_at, content) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
                .bind($id).bind($event).bind($kind).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind(meta)
                .bind($actor.user_id).bind($now).bind(f.content.as_slice())
                .fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "complaint.file", format!("complaint:{}", $id));
            a.detail = Some(format!("evidence:{fid} type={} size={size} sha256={sha256}", f.content_type));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

impl Store {
    /// Files a report (`complaint.submit`, audited with its number and category only): the
    /// challenge `nonce` is used up, the address's submissions since `since` are counted
    /// first (at `max_in_window` it is [`Submitted::RateLimited`], nothing written), and the
    /// case is numbered `TS{year}-NNNN`.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_complaint(
        &self,
        year: i32,
        tracking_hash: &str,
        nonce: &str,
        peer_hash: &str,
        since: &str,
        max_in_window: i64,
        c: &NewComplaint,
        photos: &[NewPhoto],
        actor: &Actor,
    ) -> Result<Submitted> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n: i64 = sqlx::query("SELECT COUNT(*) AS n FROM complaint_submissions WHERE peer_hash = $1 AND at >= $2")
                .bind(peer_hash).bind(since).fetch_one(&mut *tx).await?.try_get("n")?;
            if n >= max_in_window {
                return Ok(Submitted::RateLimited);
            }
            let used = sqlx::query("SELECT nonce FROM complaint_submissions WHERE nonce = $1").bind(nonce).fetch_optional(&mut *tx).await?;
            if used.is_some() {
                return Ok(Submitted::ChallengeUsed);
            }
            let now = now_text();
            sqlx::query("INSERT INTO complaint_submissions (nonce, peer_hash, at) VALUES ($1, $2, $3)")
                .bind(nonce).bind(peer_hash).bind(&now).execute(&mut *tx).await?;
            let prefix = format!("TS{year}-");
            let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM complaints WHERE case_number LIKE $1")
                .bind(format!("{prefix}%")).fetch_one(&mut *tx).await?.try_get("n")?;
            let number = format!("{prefix}{:04}", count + 1);
            let id: i64 = sqlx::query("INSERT INTO complaints (case_number, tracking_hash, category, description, address, longitude, latitude, division_code, division_match, \
                                       credit_code, enterprise_match, occurred_at, anonymous, state, accept_by, submitted_at, updated_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'submitted', $14, $15, $15) RETURNING id")
                .bind(&number).bind(tracking_hash).bind(&c.category).bind(&c.description).bind(&c.address).bind(&c.longitude).bind(&c.latitude)
                .bind(&c.division_code).bind(&c.division_match).bind(&c.credit_code).bind(&c.enterprise_match).bind(&c.occurred_at)
                .bind(c.anonymous).bind(&c.accept_by).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            if let Some(k) = c.contact.as_ref().filter(|k| !c.anonymous && !k.is_empty()) {
                sqlx::query("INSERT INTO complaint_contacts (complaint_id, name, phone, email) VALUES ($1, $2, $3, $4)")
                    .bind(id).bind(&k.name).bind(&k.phone).bind(&k.email).execute(&mut *tx).await?;
            }
            let eid: i64 = sqlx::query("INSERT INTO complaint_events (complaint_id, kind, for_county, by_user, at) VALUES ($1, 'submit', $2, $3, $4) RETURNING id")
                .bind(id).bind(&c.division_code).bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "complaint.submit", format!("complaint:{id}"));
            audit.new_value = Some(format!(
                "{number} {} photos={}",
                crate::labels::complaint_category(&c.category),
                photos.len()
            ));
            insert_audit!(&mut *tx, &audit);
            let files = photos.iter().map(|p| (&p.file, Some(&p.meta)));
            insert_files!(tx, id, eid, "photo", files, actor, &now);
            tx.commit().await?;
            id
        });
        let c = self
            .complaint(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("投诉举报 {id} 写入后未找到")))?;
        Ok(Submitted::Filed(Box::new(c)))
    }

    /// Takes a step on a complaint (audited as `complaint.accept` … `complaint.rate`, one
    /// `complaint.file` per evidence file). A step the state does not allow, a merge into a
    /// merged, rejected or the same case, or a second rating is [`StoreError::Conflict`].
    pub async fn complaint_step(
        &self,
        id: i64,
        step: &ComplaintStep,
        note: Option<&str>,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Complaint> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state, rating FROM complaints WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("投诉举报 {id}")))?;
            let old: String = row.try_get("state")?;
            let rated: Option<i64> = row.try_get("rating")?;
            if !step.allowed_in().contains(&old.as_str()) {
                return Err(StoreError::Conflict(format!(
                    "投诉举报 {id} 当前为“{}”，不能{}",
                    crate::labels::complaint_state(&old),
                    crate::labels::complaint_event(step.kind())
                )));
            }
            let now = now_text();
            let mut new_state = old.clone();
            match step {
                ComplaintStep::Accept { due_by } => {
                    new_state = "accepted".into();
                    sqlx::query("UPDATE complaints SET state = 'accepted', due_by = $1, updated_at = $2 WHERE id = $3")
                        .bind(due_by).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ComplaintStep::Reject => {
                    new_state = "rejected".into();
                    sqlx::query("UPDATE complaints SET state = 'rejected', reject_reason = $1, closed_at = $2, updated_at = $2 WHERE id = $3")
                        .bind(note).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ComplaintStep::Merge { into } => {
                    if *into == id {
                        return Err(StoreError::Conflict("不能把投诉举报合并到它自己".into()));
                    }
                    let target = sqlx::query("SELECT state FROM complaints WHERE id = $1").bind(*into).fetch_optional(&mut *tx).await?
                        .ok_or_else(|| StoreError::NotFound(format!("投诉举报 {into}")))?;
                    let ts: String = target.try_get("state")?;
                    if matches!(ts.as_str(), "merged" | "rejected") {
                        return Err(StoreError::Conflict(format!(
                            "投诉举报 {into} 当前为“{}”，不能作为合并的主件",
                            crate::labels::complaint_state(&ts)
                        )));
                    }
                    new_state = "merged".into();
                    sqlx::query("UPDATE complaints SET state = 'merged', merged_into = $1, updated_at = $2 WHERE id = $3")
                        .bind(*into).bind(&now).bind(id).execute(&mut *tx).await?;
                    // Cases merged into this one follow it to the main case.
                    sqlx::query("UPDATE complaints SET merged_into = $1, updated_at = $2 WHERE merged_into = $3")
                        .bind(*into).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ComplaintStep::Route { county, unit, due_by } => {
                    new_state = "routed".into();
                    sqlx::query("UPDATE complaints SET state = 'routed', route_county = $1, route_unit = $2, due_by = $3, updated_at = $4 WHERE id = $5")
                        .bind(county).bind(unit).bind(due_by).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ComplaintStep::Handle { finding, measures, reply } => {
                    new_state = "closed".into();
                    sqlx::query("UPDATE complaints SET state = 'closed', finding = $1, investigation = $2, measures = $3, reply = $4, closed_at = $5, updated_at = $5 WHERE id = $6")
                        .bind(finding).bind(note).bind(measures).bind(reply).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ComplaintStep::Rate { rating } => {
                    if rated.is_some() {
                        return Err(StoreError::Conflict(format!("投诉举报 {id} 已评价过")));
                    }
                    sqlx::query("UPDATE complaints SET rating = $1, rating_comment = $2, rated_at = $3, updated_at = $3 WHERE id = $4")
                        .bind(*rating).bind(note).bind(&now).bind(id).execute(&mut *tx).await?;
                }
            }
            let (for_county, for_unit) = match step {
                ComplaintStep::Route { county, unit, .. } => (county.clone(), unit.clone()),
                _ => (None, None),
            };
            let eid: i64 = sqlx::query("INSERT INTO complaint_events (complaint_id, kind, note, for_county, for_unit, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(id).bind(step.kind()).bind(note).bind(&for_county).bind(&for_unit).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, step.action(), format!("complaint:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(new_state);
            audit.detail = Some(match step {
                ComplaintStep::Accept { due_by } => format!("due={due_by}"),
                ComplaintStep::Merge { into } => format!("complaint:{into}"),
                ComplaintStep::Route { county, unit, due_by } => format!(
                    "{}{} due={due_by}",
                    county.as_deref().map(|c| format!("division:{c} ")).unwrap_or_default(),
                    unit.as_deref().map(|u| format!("unit:{u}")).unwrap_or_default()
                ),
                ComplaintStep::Handle { finding, .. } => format!("finding={finding}"),
                ComplaintStep::Rate { rating } => format!("rating={rating}"),
                ComplaintStep::Reject => note.unwrap_or_default().to_string(),
            });
            insert_audit!(&mut *tx, &audit);
            let files = files.iter().map(|f| (f, None::<&String>));
            insert_files!(tx, id, eid, "evidence", files, actor, &now);
            tx.commit().await?;
        });
        self.complaint(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("投诉举报 {id}")))
    }

    /// One complaint.
    pub async fn complaint(&self, id: i64) -> Result<Option<Complaint>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{SELECT} WHERE c.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(complaint_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The complaint a tracking code (by its SHA-256) belongs to.
    pub async fn complaint_by_tracking(&self, tracking_hash: &str) -> Result<Option<Complaint>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{SELECT} WHERE c.tracking_hash = $1")).bind(tracking_hash).fetch_optional(p).await? {
                Some(r) => Some(complaint_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of complaints, newest first.
    pub async fn complaints_paged(
        &self,
        f: &ComplaintFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<Complaint>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM complaints c {WHERE}"))
                .bind(&f.state).bind(&f.route_county).bind(&f.route_unit).bind(&f.division_code).bind(&f.credit_code).bind(&f.overdue_on)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{SELECT} {WHERE} ORDER BY c.id DESC LIMIT $7 OFFSET $8"))
                .bind(&f.state).bind(&f.route_county).bind(&f.route_unit).bind(&f.division_code).bind(&f.credit_code).bind(&f.overdue_on)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(complaint_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// The cases merged into `id`.
    pub async fn complaints_merged_into(&self, id: i64) -> Result<Vec<Complaint>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{SELECT} WHERE c.merged_into = $1 ORDER BY c.id")).bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(complaint_from_row!(r));
            }
            out
        }))
    }

    /// A complaint's contact details, if any were given.
    pub async fn complaint_contact(&self, id: i64) -> Result<Option<ComplaintContact>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT name, phone, email FROM complaint_contacts WHERE complaint_id = $1").bind(id).fetch_optional(p).await? {
                Some(r) => Some(ComplaintContact { name: r.try_get("name")?, phone: r.try_get("phone")?, email: r.try_get("email")? }),
                None => None,
            }
        }))
    }

    /// The steps of a complaint, oldest first.
    pub async fn complaint_events(&self, id: i64) -> Result<Vec<ComplaintEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.complaint_id, v.kind, v.note, v.for_county, v.for_unit, v.by_user, u.display_name AS by_name, v.at \
                                    FROM complaint_events v LEFT JOIN users u ON u.id = v.by_user WHERE v.complaint_id = $1 ORDER BY v.id")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ComplaintEvent { id: r.try_get("id")?, complaint_id: r.try_get("complaint_id")?, kind: r.try_get("kind")?, note: r.try_get("note")?,
                    for_county: r.try_get("for_county")?, for_unit: r.try_get("for_unit")?, by_user: r.try_get("by_user")?,
                    by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The photos and evidence files of a complaint.
    pub async fn complaint_files(&self, id: i64) -> Result<Vec<ComplaintFile>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, complaint_id, event_id, kind, file_name, content_type, size_bytes, sha256, meta, uploaded_at FROM complaint_files WHERE complaint_id = $1 ORDER BY id")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(file_from_row!(r));
            }
            out
        }))
    }

    /// One file with its content.
    pub async fn complaint_file(&self, id: i64) -> Result<Option<(ComplaintFile, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, complaint_id, event_id, kind, file_name, content_type, size_bytes, sha256, meta, uploaded_at, content FROM complaint_files WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((file_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }

    /// The key submission challenges are signed with: the stored one, or `candidate` stored
    /// now if there is none yet (two servers racing keep the first).
    pub async fn complaint_secret(&self, candidate: &str) -> Result<String> {
        Ok(with_pool!(self, p => {
            sqlx::query("INSERT INTO complaint_secret (id, secret) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
                .bind(candidate).execute(p).await?;
            sqlx::query("SELECT secret FROM complaint_secret WHERE id = 1").fetch_one(p).await?.try_get("secret")?
        }))
    }

    /// Counts by state, county, category and finding, and the ratings, of complaints filed
    /// from `from` (inclusive) to `to` (exclusive), RFC 3339 UTC.
    pub async fn complaint_counts(&self, from: &str, to: &str) -> Result<ComplaintCounts> {
        Ok(with_pool!(self, p => {
            let mut c = ComplaintCounts::default();
            for r in sqlx::query("SELECT state, COUNT(*) AS n FROM complaints WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY state ORDER BY state")
                .bind(from).bind(to).fetch_all(p).await? {
                c.by_state.push((r.try_get("state")?, r.try_get("n")?));
            }
            for r in sqlx::query("SELECT division_code, COUNT(*) AS n FROM complaints WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY division_code ORDER BY division_code")
                .bind(from).bind(to).fetch_all(p).await? {
                c.by_county.push((r.try_get("division_code")?, r.try_get("n")?));
            }
            for r in sqlx::query("SELECT category, COUNT(*) AS n FROM complaints WHERE submitted_at >= $1 AND submitted_at < $2 GROUP BY category ORDER BY category")
                .bind(from).bind(to).fetch_all(p).await? {
                c.by_category.push((r.try_get("category")?, r.try_get("n")?));
            }
            for r in sqlx::query("SELECT finding, COUNT(*) AS n FROM complaints WHERE submitted_at >= $1 AND submitted_at < $2 AND finding IS NOT NULL GROUP BY finding ORDER BY finding")
                .bind(from).bind(to).fetch_all(p).await? {
                c.by_finding.push((r.try_get("finding")?, r.try_get("n")?));
            }
            let r = sqlx::query("SELECT COUNT(rating) AS n, CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS s FROM complaints WHERE submitted_at >= $1 AND submitted_at < $2")
                .bind(from).bind(to).fetch_one(p).await?;
            c.rated = r.try_get("n")?;
            c.rating_sum = r.try_get("s")?;
            c
        }))
    }
}
