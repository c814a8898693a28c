//! Public participation (公众参与): drafts put out for comment (征求意见) with their period and
//! documents, every change a revision; the public's comments with their optional name and
//! contact (personal information: the store hands them only to callers that ask for them,
//! the app only to staff); moderation, how each comment was handled and the published summary;
//! the one-use challenges and the per-address submission log of public writes; and the
//! satisfaction questionnaire's answers, aggregated here. Every write is audited.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// What a revision of a consultation holds, as the app checked it.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct ConsultationFields {
    /// plan_revision, policy or project.
    pub kind: String,
    /// Title of the draft.
    pub title: String,
    /// The notice and the draft's text (background, what is asked).
    pub body: String,
    /// How to submit otherwise and whom to contact (Art. 5 of the Measures).
    pub contact: String,
    /// First day comments are accepted, YYYY-MM-DD (Beijing date).
    pub opens_on: String,
    /// Last day comments are accepted, YYYY-MM-DD (Beijing date).
    pub closes_on: String,
}

/// A stored consultation (its current revision).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Consultation {
    /// Row id.
    pub id: i64,
    /// Current revision (1 = as published).
    pub revision: i64,
    /// The current revision's fields.
    #[serde(flatten)]
    pub fields: ConsultationFields,
    /// The summary of how comments were handled, once written.
    pub summary: Option<String>,
    /// When the summary was published (RFC 3339 UTC); `None`: not yet.
    pub summary_published_at: Option<String>,
    /// Who published it.
    pub created_by: Option<i64>,
    /// When published for comment.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// An earlier or current version of a consultation's fields.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConsultationRevision {
    /// Revision number.
    pub revision: i64,
    /// The fields of that revision.
    #[serde(flatten)]
    pub fields: ConsultationFields,
    /// Why it was changed (`None` for the first).
    pub reason: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// When.
    pub at: String,
}

/// A document of a consultation, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConsultationDocument {
    /// Row id.
    pub id: i64,
    /// The consultation.
    pub consultation_id: i64,
    /// The revision it came with.
    pub revision: i64,
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

/// A comment from the public. `author_name`, `author_contact` and `peer` are personal
/// information: filled only by [`Store::consultation_comment_private`].
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ConsultationComment {
    /// Row id.
    pub id: i64,
    /// The consultation.
    pub consultation_id: i64,
    /// The comment.
    pub body: String,
    /// Whether a name was given.
    pub has_name: bool,
    /// Whether a contact was given.
    pub has_contact: bool,
    /// pending, published or hidden.
    pub state: String,
    /// Why published or hidden.
    pub moderation_reason: Option<String>,
    /// When moderated.
    pub moderated_at: Option<String>,
    /// adopted, partly or rejected, once decided.
    pub decision: Option<String>,
    /// Why.
    pub decision_reason: Option<String>,
    /// When received.
    pub created_at: String,
}

/// The personal details given with a comment.
#[derive(Debug, Clone, Serialize, PartialEq, Eq, Default)]
pub struct CommentPrivate {
    /// Name, if given.
    pub author_name: Option<String>,
    /// Contact, if given.
    pub author_contact: Option<String>,
    /// The address it came from.
    pub peer: String,
}

/// Counts of a consultation's comments by state and decision.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct CommentCounts {
    /// Waiting for moderation.
    pub pending: i64,
    /// Published.
    pub published: i64,
    /// Hidden.
    pub hidden: i64,
    /// Not hidden and not yet decided.
    pub undecided: i64,
}

/// The comments to list: `None` any state.
#[derive(Debug, Clone, Default)]
pub struct CommentFilter {
    /// State.
    pub state: Option<String>,
    /// Only comments with a decision.
    pub decided: bool,
}

/// Answers of the satisfaction questionnaire counted per question and choice.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct ChoiceCount {
    /// Question id.
    pub question: String,
    /// Choice id.
    pub choice: String,
    /// Answers.
    pub count: i64,
}

const CONSULTATION_SELECT: &str = "SELECT id, revision, kind, title, body, contact, opens_on, closes_on, summary, summary_published_at, \
     created_by, created_at, updated_at FROM consultations";

const COMMENT_SELECT: &str = "SELECT id, consultation_id, body, author_name, author_contact, state, moderation_reason, moderated_at, \
     decision, decision_reason, created_at FROM consultation_comments";

macro_rules! consultation_from_row {
    ($r:expr) => {
        Consultation {
            id: $r.try_get("id")?,
            revision: $r.try_get("revision")?,
            fields: ConsultationFields {
                kind: $r.try_get("kind")?,
                title: $r.try_get("title")?,
                body: $r.try_get("body")?,
                contact: $r.try_get("contact")?,
                opens_on: $r.try_get("opens_on")?,
                closes_on: $r.try_get("closes_on")?,
            },
            summary: $r.try_get("summary")?,
            summary_published_at: $r.try_get("summary_published_at")?,
            created_by: $r.try_get("created_by")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

macro_rules! comment_from_row {
    ($r:expr) => {{
        let name: Option<String> = $r.try_get("author_name")?;
        let contact: Option<String> = $r.try_get("author_contact")?;
        ConsultationComment {
            id: $r.try_get("id")?,
            consultation_id: $r.try_get("consultation_id")?,
            body: $r.try_get("body")?,
            has_name: name.is_some(),
            has_contact: contact.is_some(),
            state: $r.try_get("state")?,
            moderation_reason: $r.try_get("moderation_reason")?,
            moderated_at: $r.try_get("moderated_at")?,
            decision: $r.try_get("decision")?,
            decision_reason: $r.try_get("decision_reason")?,
            created_at: $r.try_get("created_at")?,
        }
    }};
}

macro_rules! document_from_row {
    ($r:expr) => {
        ConsultationDocument {
            id: $r.try_get("id")?,
            consultation_id: $r.try_get("consultation_id")?,
            revision: $r.try_get("revision")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

macro_rules! insert_documents {
    ($tx:expr, $id:expr, $rev:expr, $files:expr, $actor:expr, $now:expr) => {
        for f in $files {
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let fid: i64 = sqlx::query("INSERT INTO consultation_documents (consultation_id, revision, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind($id).bind($rev).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind($actor.user_id).bind($now).bind(f.content.as_slice())
                .fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "consultation.document", format!("consultation:{}", $id)).with_new(f.file_name.clone());
            a.detail = Some(format!("document:{fid} type={} size={size} sha256={sha256}", f.content_type));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

macro_rules! insert_consultation_revision {
    ($tx:expr, $id:expr, $rev:expr, $f:expr, $reason:expr, $actor:expr, $now:expr) => {
        sqlx::query("INSERT INTO consultation_revisions (consultation_id, revision, kind, title, body, contact, opens_on, closes_on, reason, by_user, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
            .bind($id).bind($rev).bind(&$f.kind).bind(&$f.title).bind(&$f.body).bind(&$f.contact)
            .bind(&$f.opens_on).bind(&$f.closes_on).bind($reason).bind($actor.user_id).bind($now)
            .execute(&mut *$tx).await?;
    };
}

fn fields_summary(f: &ConsultationFields) -> String {
    format!(
        "{} {} 期限={}至{}",
        f.kind, f.title, f.opens_on, f.closes_on
    )
}

impl Store {
    /// Publishes a draft for comment (`consultation.create`, with one `consultation.document`
    /// per file), at revision 1.
    pub async fn create_consultation(
        &self,
        f: &ConsultationFields,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Consultation> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO consultations (revision, kind, title, body, contact, opens_on, closes_on, created_by, created_at, updated_at) \
                                       VALUES (1, $1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id")
                .bind(&f.kind).bind(&f.title).bind(&f.body).bind(&f.contact).bind(&f.opens_on).bind(&f.closes_on)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            insert_consultation_revision!(tx, id, 1_i64, f, None::<String>, actor, &now);
            let mut audit = AuditEntry::ok(actor, "consultation.create", format!("consultation:{id}"));
            audit.new_value = Some(format!("revision=1 {}", fields_summary(f)));
            insert_audit!(&mut *tx, &audit);
            insert_documents!(tx, id, 1_i64, files, actor, &now);
            tx.commit().await?;
            id
        });
        self.consultation(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("征求意见 {id} 写入后未找到")))
    }

    /// Revises a consultation (`consultation.revise`): a new revision beside the old ones, with
    /// its reason and any further documents. Once the summary is published it is
    /// [`StoreError::Conflict`].
    pub async fn revise_consultation(
        &self,
        id: i64,
        f: &ConsultationFields,
        reason: &str,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Consultation> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT revision, kind, title, opens_on, closes_on, summary_published_at FROM consultations WHERE id = $1")
                .bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("征求意见 {id}")))?;
            let published: Option<String> = row.try_get("summary_published_at")?;
            if published.is_some() {
                return Err(StoreError::Conflict(format!("征求意见 {id} 已公布意见采纳情况，不能再修改")));
            }
            let old = ConsultationFields {
                kind: row.try_get("kind")?,
                title: row.try_get("title")?,
                opens_on: row.try_get("opens_on")?,
                closes_on: row.try_get("closes_on")?,
                ..Default::default()
            };
            let rev: i64 = row.try_get::<i64, _>("revision")? + 1;
            let now = now_text();
            sqlx::query("UPDATE consultations SET revision = $1, kind = $2, title = $3, body = $4, contact = $5, opens_on = $6, closes_on = $7, updated_at = $8 WHERE id = $9")
                .bind(rev).bind(&f.kind).bind(&f.title).bind(&f.body).bind(&f.contact).bind(&f.opens_on).bind(&f.closes_on).bind(&now).bind(id)
                .execute(&mut *tx).await?;
            insert_consultation_revision!(tx, id, rev, f, Some(reason), actor, &now);
            let mut audit = AuditEntry::ok(actor, "consultation.revise", format!("consultation:{id}"));
            audit.old_value = Some(format!("revision={} {}", rev - 1, fields_summary(&old)));
            audit.new_value = Some(format!("revision={rev} {}", fields_summary(f)));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            insert_documents!(tx, id, rev, files, actor, &now);
            tx.commit().await?;
        });
        self.consultation(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("征求意见 {id}")))
    }

    /// One consultation.
    pub async fn consultation(&self, id: i64) -> Result<Option<Consultation>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{CONSULTATION_SELECT} WHERE id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(consultation_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of consultations, the latest opening first.
    pub async fn consultations_paged(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<Consultation>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM consultations").fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{CONSULTATION_SELECT} ORDER BY opens_on DESC, id DESC LIMIT $1 OFFSET $2"))
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(consultation_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Every revision of a consultation, oldest first.
    pub async fn consultation_revisions(&self, id: i64) -> Result<Vec<ConsultationRevision>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT * FROM consultation_revisions WHERE consultation_id = $1 ORDER BY revision")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ConsultationRevision {
                    revision: r.try_get("revision")?,
                    fields: ConsultationFields {
                        kind: r.try_get("kind")?,
                        title: r.try_get("title")?,
                        body: r.try_get("body")?,
                        contact: r.try_get("contact")?,
                        opens_on: r.try_get("opens_on")?,
                        closes_on: r.try_get("closes_on")?,
                    },
                    reason: r.try_get("reason")?,
                    by_user: r.try_get("by_user")?,
                    at: r.try_get("at")?,
                });
            }
            out
        }))
    }

    /// The documents of a consultation.
    pub async fn consultation_documents(&self, id: i64) -> Result<Vec<ConsultationDocument>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, consultation_id, revision, file_name, content_type, size_bytes, sha256, uploaded_at FROM consultation_documents WHERE consultation_id = $1 ORDER BY id")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(document_from_row!(r));
            }
            out
        }))
    }

    /// One document with its content.
    pub async fn consultation_document_file(
        &self,
        id: i64,
    ) -> Result<Option<(ConsultationDocument, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, consultation_id, revision, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM consultation_documents WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((document_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }

    /// Keeps a challenge's answer under the hash of its token until `expires_at`; expired
    /// challenges are dropped on the way.
    pub async fn issue_participation_challenge(
        &self,
        token_hash: &str,
        answer: &str,
        peer: &str,
        expires_at: &str,
    ) -> Result<()> {
        with_pool!(self, p => {
            let now = now_text();
            sqlx::query("DELETE FROM participation_challenges WHERE expires_at < $1").bind(&now).execute(p).await?;
            sqlx::query("INSERT INTO participation_challenges (token_hash, answer, peer, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
                .bind(token_hash).bind(answer).bind(peer).bind(&now).bind(expires_at).execute(p).await?;
        });
        Ok(())
    }

    /// Uses up a challenge: its answer if it exists, is unused and unexpired (it is then used,
    /// whatever the caller makes of the answer), else `None`.
    pub async fn take_participation_challenge(&self, token_hash: &str) -> Result<Option<String>> {
        Ok(with_pool!(self, p => {
            let now = now_text();
            match sqlx::query("UPDATE participation_challenges SET used = $1 WHERE token_hash = $2 AND used = $3 AND expires_at >= $4 RETURNING answer")
                .bind(true).bind(token_hash).bind(false).bind(&now).fetch_optional(p).await? {
                Some(r) => Some(r.try_get("answer")?),
                None => None,
            }
        }))
    }

    /// Accepted public submissions from `peer` at or after `since` (RFC 3339 UTC).
    pub async fn participation_submissions_since(&self, peer: &str, since: &str) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT COUNT(*) AS n FROM participation_submissions WHERE peer = $1 AND at >= $2")
                .bind(peer).bind(since).fetch_one(p).await?.try_get("n")?
        }))
    }

    /// Records a comment from the public (`consultation.comment`, pending moderation). The
    /// audit entry keeps its length, not its author's details.
    pub async fn add_consultation_comment(
        &self,
        consultation_id: i64,
        body: &str,
        private: &CommentPrivate,
        actor: &Actor,
    ) -> Result<ConsultationComment> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO consultation_comments (consultation_id, body, author_name, author_contact, peer, state, created_at) \
                                       VALUES ($1, $2, $3, $4, $5, 'pending', $6) RETURNING id")
                .bind(consultation_id).bind(body).bind(&private.author_name).bind(&private.author_contact).bind(&private.peer).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            sqlx::query("INSERT INTO participation_submissions (peer, kind, at) VALUES ($1, 'comment', $2)")
                .bind(&private.peer).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "consultation.comment", format!("consultation:{consultation_id}"));
            audit.new_value = Some(format!("comment:{id} 字数={}", body.chars().count()));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.consultation_comment(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("意见 {id} 写入后未找到")))
    }

    /// One comment, without its author's details.
    pub async fn consultation_comment(&self, id: i64) -> Result<Option<ConsultationComment>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{COMMENT_SELECT} WHERE id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(comment_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The personal details of a comment (staff only: the app decides who asks).
    pub async fn consultation_comment_private(&self, id: i64) -> Result<Option<CommentPrivate>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT author_name, author_contact, peer FROM consultation_comments WHERE id = $1").bind(id).fetch_optional(p).await? {
                Some(r) => Some(CommentPrivate { author_name: r.try_get("author_name")?, author_contact: r.try_get("author_contact")?, peer: r.try_get("peer")? }),
                None => None,
            }
        }))
    }

    /// One page of a consultation's comments, oldest first, without their authors' details.
    pub async fn consultation_comments_paged(
        &self,
        consultation_id: i64,
        f: &CommentFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<ConsultationComment>> {
        const WHERE: &str = "WHERE consultation_id = $1 AND ($2 IS NULL OR state = $2) AND ($3 = $4 OR decision IS NOT NULL)";
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM consultation_comments {WHERE}"))
                .bind(consultation_id).bind(&f.state).bind(f.decided).bind(false).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{COMMENT_SELECT} {WHERE} ORDER BY id LIMIT $5 OFFSET $6"))
                .bind(consultation_id).bind(&f.state).bind(f.decided).bind(false).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(comment_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// A consultation's comments counted by state, and those not hidden still undecided.
    pub async fn consultation_comment_counts(&self, consultation_id: i64) -> Result<CommentCounts> {
        Ok(with_pool!(self, p => {
            let r = sqlx::query("SELECT \
                    COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
                    COALESCE(SUM(CASE WHEN state = 'published' THEN 1 ELSE 0 END), 0) AS published, \
                    COALESCE(SUM(CASE WHEN state = 'hidden' THEN 1 ELSE 0 END), 0) AS hidden, \
                    COALESCE(SUM(CASE WHEN state <> 'hidden' AND decision IS NULL THEN 1 ELSE 0 END), 0) AS undecided \
                    FROM consultation_comments WHERE consultation_id = $1")
                .bind(consultation_id).fetch_one(p).await?;
            CommentCounts { pending: r.try_get("pending")?, published: r.try_get("published")?, hidden: r.try_get("hidden")?, undecided: r.try_get("undecided")? }
        }))
    }

    /// Publishes or hides a comment with the reason (`consultation.moderate`).
    pub async fn moderate_consultation_comment(
        &self,
        id: i64,
        publish: bool,
        reason: &str,
        actor: &Actor,
    ) -> Result<ConsultationComment> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT c.consultation_id, c.state, k.summary_published_at FROM consultation_comments c JOIN consultations k ON k.id = c.consultation_id WHERE c.id = $1")
                .bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("意见 {id}")))?;
            let published: Option<String> = row.try_get("summary_published_at")?;
            if published.is_some() {
                return Err(StoreError::Conflict("意见采纳情况已公布，不能再审核意见".into()));
            }
            let cid: i64 = row.try_get("consultation_id")?;
            let old: String = row.try_get("state")?;
            let new = if publish { "published" } else { "hidden" };
            let now = now_text();
            sqlx::query("UPDATE consultation_comments SET state = $1, moderation_reason = $2, moderated_by = $3, moderated_at = $4 WHERE id = $5")
                .bind(new).bind(reason).bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "consultation.moderate", format!("consultation_comment:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(new.to_string());
            audit.detail = Some(format!("consultation:{cid} {reason}"));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.consultation_comment(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("意见 {id}")))
    }

    /// Records how comments were handled (`consultation.decide`, one entry per comment): one
    /// decision and reason for every comment in `ids` (a group). Comments of another
    /// consultation, hidden ones, or a consultation whose summary is published are
    /// [`StoreError::Conflict`]; an unknown id is [`StoreError::NotFound`].
    pub async fn decide_consultation_comments(
        &self,
        consultation_id: i64,
        ids: &[i64],
        decision: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<()> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let k = sqlx::query("SELECT summary_published_at FROM consultations WHERE id = $1").bind(consultation_id)
                .fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("征求意见 {consultation_id}")))?;
            if k.try_get::<Option<String>, _>("summary_published_at")?.is_some() {
                return Err(StoreError::Conflict("意见采纳情况已公布，不能再修改处理意见".into()));
            }
            let now = now_text();
            for id in ids {
                let row = sqlx::query("SELECT consultation_id, state, decision FROM consultation_comments WHERE id = $1")
                    .bind(id).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("意见 {id}")))?;
                if row.try_get::<i64, _>("consultation_id")? != consultation_id {
                    return Err(StoreError::Conflict(format!("意见 {id} 不属于本次征求意见")));
                }
                if row.try_get::<String, _>("state")? == "hidden" {
                    return Err(StoreError::Conflict(format!("意见 {id} 已隐藏，无需填写处理情况")));
                }
                let old: Option<String> = row.try_get("decision")?;
                sqlx::query("UPDATE consultation_comments SET decision = $1, decision_reason = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
                    .bind(decision).bind(reason).bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
                let mut audit = AuditEntry::ok(actor, "consultation.decide", format!("consultation_comment:{id}"));
                audit.old_value = old;
                audit.new_value = Some(decision.to_string());
                audit.detail = Some(format!("consultation:{consultation_id} {reason}"));
                insert_audit!(&mut *tx, &audit);
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Publishes the summary of how comments were handled (`consultation.summary`). Comments
    /// still pending moderation or without a decision make it [`StoreError::Conflict`], as does
    /// a summary already published.
    pub async fn publish_consultation_summary(
        &self,
        id: i64,
        summary: &str,
        actor: &Actor,
    ) -> Result<Consultation> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let k = sqlx::query("SELECT summary_published_at FROM consultations WHERE id = $1").bind(id)
                .fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("征求意见 {id}")))?;
            if k.try_get::<Option<String>, _>("summary_published_at")?.is_some() {
                return Err(StoreError::Conflict("意见采纳情况已经公布".into()));
            }
            let r = sqlx::query("SELECT COALESCE(SUM(CASE WHEN state = 'pending' THEN 1 ELSE 0 END), 0) AS pending, \
                                 COALESCE(SUM(CASE WHEN state <> 'hidden' AND decision IS NULL THEN 1 ELSE 0 END), 0) AS undecided \
                                 FROM consultation_comments WHERE consultation_id = $1")
                .bind(id).fetch_one(&mut *tx).await?;
            let (pending, undecided): (i64, i64) = (r.try_get("pending")?, r.try_get("undecided")?);
            if pending > 0 {
                return Err(StoreError::Conflict(format!("还有 {pending} 条意见未审核（公开或隐藏），不能公布采纳情况")));
            }
            if undecided > 0 {
                return Err(StoreError::Conflict(format!("还有 {undecided} 条意见未填写采纳情况，不能公布")));
            }
            let now = now_text();
            sqlx::query("UPDATE consultations SET summary = $1, summary_published_at = $2, summary_by = $3, updated_at = $2 WHERE id = $4")
                .bind(summary).bind(&now).bind(actor.user_id).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "consultation.summary", format!("consultation:{id}"));
            audit.new_value = Some(summary.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.consultation(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("征求意见 {id}")))
    }

    /// Records one filled questionnaire (`satisfaction.answer`): its answers (question,
    /// choice) counted under `year`.
    pub async fn add_satisfaction_response(
        &self,
        questionnaire: &str,
        year: i32,
        answers: &[(String, String)],
        peer: &str,
        actor: &Actor,
    ) -> Result<i64> {
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO satisfaction_responses (questionnaire, year, created_at) VALUES ($1, $2, $3) RETURNING id")
                .bind(questionnaire).bind(i64::from(year)).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            for (q, c) in answers {
                sqlx::query("INSERT INTO satisfaction_answers (response_id, question, choice) VALUES ($1, $2, $3)")
                    .bind(id).bind(q).bind(c).execute(&mut *tx).await?;
            }
            sqlx::query("INSERT INTO participation_submissions (peer, kind, at) VALUES ($1, 'satisfaction', $2)")
                .bind(peer).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "satisfaction.answer", format!("satisfaction:{questionnaire}"));
            audit.new_value = Some(format!("response:{id} year={year} answers={}", answers.len()));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        }))
    }

    /// The questionnaire's responses in `year` and its answers counted per question and choice.
    pub async fn satisfaction_counts(
        &self,
        questionnaire: &str,
        year: i32,
    ) -> Result<(i64, Vec<ChoiceCount>)> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM satisfaction_responses WHERE questionnaire = $1 AND year = $2")
                .bind(questionnaire).bind(i64::from(year)).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query("SELECT a.question, a.choice, COUNT(*) AS n FROM satisfaction_answers a JOIN satisfaction_responses r ON r.id = a.response_id \
                                    WHERE r.questionnaire = $1 AND r.year = $2 GROUP BY a.question, a.choice ORDER BY a.question, a.choice")
                .bind(questionnaire).bind(i64::from(year)).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(ChoiceCount { question: r.try_get("question")?, choice: r.try_get("choice")?, count: r.try_get("n")? });
            }
            (total, out)
        }))
    }
}
