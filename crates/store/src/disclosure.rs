//! 企业环境信息依法披露 (生态环境部令第24号): the city's yearly list of enterprises obliged to
//! disclose, the temporary-report triggers staff register, and the reports themselves. A report
//! keeps the enterprise's working draft beside its submitted revisions: each submission is a new
//! revision (an amendment never overwrites), and the Beijing date of the first one (`filed_date`)
//! is what lateness is judged on. Every write carries its audit entry.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Paged, Result, Store, StoreError, now_text};

/// An enterprise on a year's list.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisclosureListing {
    /// Row id.
    pub id: i64,
    /// The list's year (the year the annual report covers).
    pub year: i64,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name in the registry, if registered.
    pub enterprise_name: Option<String>,
    /// County in the registry.
    pub division_code: Option<String>,
    /// The basis code of the rules file (第七条 item).
    pub basis: String,
    /// Why, in words (e.g. 第八条's circumstance).
    pub reason: String,
    /// listed or removed.
    pub state: String,
    /// Why it was removed.
    pub removed_reason: Option<String>,
    /// When listed.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// Which listings to show; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct DisclosureListFilter {
    /// The list year.
    pub year: Option<i64>,
    /// listed or removed.
    pub state: Option<String>,
    /// A name fragment or a whole credit code.
    pub query: Option<String>,
    /// One enterprise.
    pub credit_code: Option<String>,
}

/// A temporary-report trigger registered by staff (penalty decisions come from the cases).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisclosureTrigger {
    /// Row id.
    pub id: i64,
    /// The enterprise.
    pub credit_code: String,
    /// Trigger code of the rules file.
    pub kind: String,
    /// The legal document (name and number).
    pub document: String,
    /// The day the enterprise received it, YYYY-MM-DD.
    pub event_date: String,
    /// Staff's note.
    pub note: Option<String>,
    /// When registered.
    pub created_at: String,
}

/// A new trigger, as the app checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisclosureTrigger {
    /// The enterprise.
    pub credit_code: String,
    /// Trigger code.
    pub kind: String,
    /// The legal document.
    pub document: String,
    /// YYYY-MM-DD.
    pub event_date: String,
    /// Note.
    pub note: Option<String>,
}

/// A case with a penalty decision, as a temporary-report trigger.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DecidedCase {
    /// Case id.
    pub id: i64,
    /// 案件编号.
    pub case_number: String,
    /// 处罚决定书文号.
    pub decision_number: Option<String>,
    /// Decision date, YYYY-MM-DD.
    pub decision_date: String,
    /// Fine in fen.
    pub penalty_fen: Option<i64>,
    /// Title.
    pub title: String,
}

/// Which report: enterprise, kind, year and (for a temporary one) its trigger key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DisclosureReportKey {
    /// The enterprise.
    pub credit_code: String,
    /// annual or temporary.
    pub kind: String,
    /// The year covered (annual) or of the event (temporary).
    pub year: i64,
    /// "" for an annual report; `case:ID` or `trigger:ID`.
    pub trigger_key: String,
}

/// A report with its draft and its latest submitted content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisclosureReport {
    /// Row id.
    pub id: i64,
    /// Which report.
    #[serde(flatten)]
    pub key: DisclosureReportKey,
    /// Name in the registry.
    pub enterprise_name: Option<String>,
    /// The trigger's date (temporary).
    pub event_date: Option<String>,
    /// The last day on time, YYYY-MM-DD.
    pub due_date: String,
    /// Submitted revisions (0: never submitted).
    pub revision: i64,
    /// The working copy (JSON object of section → field → text).
    pub draft: String,
    /// The latest submitted content (JSON), if any.
    pub content: Option<String>,
    /// First submission (UTC RFC 3339).
    pub first_submitted_at: Option<String>,
    /// Beijing date of the first submission: lateness is judged on it.
    pub filed_date: Option<String>,
    /// Latest submission.
    pub last_submitted_at: Option<String>,
    /// Created.
    pub created_at: String,
    /// Last change.
    pub updated_at: String,
}

/// Which reports to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct DisclosureReportFilter {
    /// A name fragment or a whole credit code.
    pub query: Option<String>,
    /// One enterprise.
    pub credit_code: Option<String>,
    /// annual or temporary.
    pub kind: Option<String>,
    /// Year.
    pub year: Option<i64>,
    /// Only reports submitted at least once (what the public may see).
    pub submitted_only: bool,
}

/// A submitted revision of a report.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct DisclosureRevision {
    /// The report.
    pub report_id: i64,
    /// 1 = first submission.
    pub revision: i64,
    /// Content (JSON).
    pub content: String,
    /// Why amended (`None` for the first).
    pub reason: Option<String>,
    /// Beijing date of this submission.
    pub filed_date: String,
    /// Who.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// A pattern matching `q` anywhere, with LIKE's wildcards taken literally.
fn contains_pattern(q: &str) -> String {
    let escaped = q
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

const LISTING_SELECT: &str = "SELECT l.id, l.year, l.credit_code, e.name AS enterprise_name, e.division_code, l.basis, l.reason, l.state, \
     l.removed_reason, l.created_at, l.updated_at FROM disclosure_list l LEFT JOIN enterprises e ON e.credit_code = l.credit_code";

const LISTING_WHERE: &str = "WHERE ($1 IS NULL OR l.year = $1) AND ($2 IS NULL OR l.state = $2) \
     AND ($3 IS NULL OR l.credit_code = $4 OR e.name LIKE $3 ESCAPE '\\') AND ($5 IS NULL OR l.credit_code = $5)";

macro_rules! listing_from_row {
    ($r:expr) => {
        DisclosureListing {
            id: $r.try_get("id")?,
            year: $r.try_get("year")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise_name: $r.try_get("enterprise_name")?,
            division_code: $r.try_get("division_code")?,
            basis: $r.try_get("basis")?,
            reason: $r.try_get("reason")?,
            state: $r.try_get("state")?,
            removed_reason: $r.try_get("removed_reason")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

const REPORT_SELECT: &str = "SELECT r.id, r.credit_code, r.kind, r.year, r.trigger_key, e.name AS enterprise_name, r.event_date, r.due_date, \
     r.revision, r.draft, r.content, r.first_submitted_at, r.filed_date, r.last_submitted_at, r.created_at, r.updated_at \
     FROM disclosure_reports r LEFT JOIN enterprises e ON e.credit_code = r.credit_code";

const REPORT_WHERE: &str = "WHERE ($1 IS NULL OR r.credit_code = $2 OR e.name LIKE $1 ESCAPE '\\') AND ($3 IS NULL OR r.credit_code = $3) \
     AND ($4 IS NULL OR r.kind = $4) AND ($5 IS NULL OR r.year = $5) AND ($6 = 0 OR r.revision > 0)";

macro_rules! report_from_row {
    ($r:expr) => {
        DisclosureReport {
            id: $r.try_get("id")?,
            key: DisclosureReportKey {
                credit_code: $r.try_get("credit_code")?,
                kind: $r.try_get("kind")?,
                year: $r.try_get("year")?,
                trigger_key: $r.try_get("trigger_key")?,
            },
            enterprise_name: $r.try_get("enterprise_name")?,
            event_date: $r.try_get("event_date")?,
            due_date: $r.try_get("due_date")?,
            revision: $r.try_get("revision")?,
            draft: $r.try_get("draft")?,
            content: $r.try_get("content")?,
            first_submitted_at: $r.try_get("first_submitted_at")?,
            filed_date: $r.try_get("filed_date")?,
            last_submitted_at: $r.try_get("last_submitted_at")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

fn report_label(key: &DisclosureReportKey) -> String {
    let kind = crate::labels::disclosure_kind(&key.kind);
    if key.trigger_key.is_empty() {
        format!("{} {}年度{kind}", key.credit_code, key.year)
    } else {
        format!("{} {kind}（{}）", key.credit_code, key.trigger_key)
    }
}

impl Store {
    /// Puts an enterprise on the list of `year` (`disclosure.list_add`, audited). One that was
    /// removed is listed again with the new basis and reason; one already listed is
    /// [`StoreError::Conflict`].
    pub async fn add_disclosure_listing(
        &self,
        year: i64,
        credit_code: &str,
        basis: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<DisclosureListing> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let old = sqlx::query("SELECT id, state, basis FROM disclosure_list WHERE year = $1 AND credit_code = $2")
                .bind(year).bind(credit_code).fetch_optional(&mut *tx).await?;
            let (id, old_value) = match old {
                Some(r) => {
                    let state: String = r.try_get("state")?;
                    if state == "listed" {
                        return Err(StoreError::Conflict(format!("{credit_code} 已在 {year} 年环境信息依法披露企业名单中")));
                    }
                    let id: i64 = r.try_get("id")?;
                    sqlx::query("UPDATE disclosure_list SET basis = $1, reason = $2, state = 'listed', removed_reason = NULL, updated_at = $3 WHERE id = $4")
                        .bind(basis).bind(reason).bind(&now).bind(id).execute(&mut *tx).await?;
                    (id, Some("已移出".to_string()))
                }
                None => {
                    let id: i64 = sqlx::query("INSERT INTO disclosure_list (year, credit_code, basis, reason, state, created_by, created_at, updated_at) \
                                               VALUES ($1, $2, $3, $4, 'listed', $5, $6, $6) RETURNING id")
                        .bind(year).bind(credit_code).bind(basis).bind(reason).bind(actor.user_id).bind(&now)
                        .fetch_one(&mut *tx).await?.try_get("id")?;
                    (id, None)
                }
            };
            let mut audit = AuditEntry::ok(actor, "disclosure.list_add", format!("disclosure_list:{id}"));
            audit.old_value = old_value;
            audit.new_value = Some(format!("{year}年 {credit_code} 依据={basis}"));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.disclosure_listing(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("披露名单条目 {id} 写入后未找到")))
    }

    /// Takes an enterprise off a list with a reason (`disclosure.list_remove`, audited); the row
    /// stays. Removing one already removed is [`StoreError::Conflict`].
    pub async fn remove_disclosure_listing(
        &self,
        id: i64,
        reason: &str,
        actor: &Actor,
    ) -> Result<DisclosureListing> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let r = sqlx::query("SELECT state, year, credit_code FROM disclosure_list WHERE id = $1").bind(id)
                .fetch_optional(&mut *tx).await?.ok_or_else(|| StoreError::NotFound(format!("披露名单条目 {id}")))?;
            let state: String = r.try_get("state")?;
            if state != "listed" {
                return Err(StoreError::Conflict(format!("披露名单条目 {id} 已移出")));
            }
            let year: i64 = r.try_get("year")?;
            let code: String = r.try_get("credit_code")?;
            sqlx::query("UPDATE disclosure_list SET state = 'removed', removed_reason = $1, updated_at = $2 WHERE id = $3")
                .bind(reason).bind(now_text()).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "disclosure.list_remove", format!("disclosure_list:{id}"));
            audit.old_value = Some(format!("{year}年 {code} 在名单中"));
            audit.new_value = Some("已移出".into());
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.disclosure_listing(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("披露名单条目 {id}")))
    }

    /// One listing.
    pub async fn disclosure_listing(&self, id: i64) -> Result<Option<DisclosureListing>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{LISTING_SELECT} WHERE l.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(listing_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The listing of one enterprise in one year (listed or removed), if any.
    pub async fn disclosure_listing_of(
        &self,
        year: i64,
        credit_code: &str,
    ) -> Result<Option<DisclosureListing>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{LISTING_SELECT} WHERE l.year = $1 AND l.credit_code = $2")).bind(year).bind(credit_code).fetch_optional(p).await? {
                Some(r) => Some(listing_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of listings, by year (latest first), then credit code.
    pub async fn disclosure_listings_paged(
        &self,
        f: &DisclosureListFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<DisclosureListing>> {
        let pattern = f.query.as_deref().map(contains_pattern);
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM disclosure_list l LEFT JOIN enterprises e ON e.credit_code = l.credit_code {LISTING_WHERE}"))
                .bind(f.year).bind(&f.state).bind(&pattern).bind(&f.query).bind(&f.credit_code)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{LISTING_SELECT} {LISTING_WHERE} ORDER BY l.year DESC, l.credit_code LIMIT $6 OFFSET $7"))
                .bind(f.year).bind(&f.state).bind(&pattern).bind(&f.query).bind(&f.credit_code)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(listing_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Registers a temporary-report trigger (`disclosure.trigger`, audited).
    pub async fn add_disclosure_trigger(
        &self,
        t: &NewDisclosureTrigger,
        actor: &Actor,
    ) -> Result<DisclosureTrigger> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO disclosure_triggers (credit_code, kind, document, event_date, note, created_by, created_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(&t.credit_code).bind(&t.kind).bind(&t.document).bind(&t.event_date).bind(&t.note).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "disclosure.trigger", format!("disclosure_trigger:{id}"));
            audit.new_value = Some(format!("{} {} {}", t.credit_code, t.document, t.event_date));
            audit.detail = t.note.clone();
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.disclosure_trigger(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("临时报告触发事项 {id} 写入后未找到")))
    }

    /// One trigger.
    pub async fn disclosure_trigger(&self, id: i64) -> Result<Option<DisclosureTrigger>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, credit_code, kind, document, event_date, note, created_at FROM disclosure_triggers WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some(DisclosureTrigger { id: r.try_get("id")?, credit_code: r.try_get("credit_code")?, kind: r.try_get("kind")?,
                    document: r.try_get("document")?, event_date: r.try_get("event_date")?, note: r.try_get("note")?, created_at: r.try_get("created_at")? }),
                None => None,
            }
        }))
    }

    /// The triggers of an enterprise dated from `from` to `to` (YYYY-MM-DD, inclusive), oldest first.
    pub async fn disclosure_triggers_of(
        &self,
        credit_code: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DisclosureTrigger>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, credit_code, kind, document, event_date, note, created_at FROM disclosure_triggers \
                                    WHERE credit_code = $1 AND event_date >= $2 AND event_date <= $3 ORDER BY event_date, id")
                .bind(credit_code).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DisclosureTrigger { id: r.try_get("id")?, credit_code: r.try_get("credit_code")?, kind: r.try_get("kind")?,
                    document: r.try_get("document")?, event_date: r.try_get("event_date")?, note: r.try_get("note")?, created_at: r.try_get("created_at")? });
            }
            out
        }))
    }

    /// The cases of an enterprise with a penalty decision dated from `from` to `to`
    /// (YYYY-MM-DD, inclusive), oldest first: the penalty triggers of temporary reports.
    pub async fn decided_cases_of(
        &self,
        credit_code: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DecidedCase>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, case_number, decision_number, decision_date, penalty_fen, title FROM cases \
                                    WHERE credit_code = $1 AND decision_date IS NOT NULL AND decision_date >= $2 AND decision_date <= $3 ORDER BY decision_date, id")
                .bind(credit_code).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DecidedCase { id: r.try_get("id")?, case_number: r.try_get("case_number")?, decision_number: r.try_get("decision_number")?,
                    decision_date: r.try_get("decision_date")?, penalty_fen: r.try_get("penalty_fen")?, title: r.try_get("title")? });
            }
            out
        }))
    }

    /// Saves the working draft of a report (`disclosure.draft`, audited), creating the report
    /// if it does not exist yet. Submitted revisions are not touched.
    pub async fn save_disclosure_draft(
        &self,
        key: &DisclosureReportKey,
        event_date: Option<&str>,
        due_date: &str,
        draft: &str,
        actor: &Actor,
    ) -> Result<DisclosureReport> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let existing = sqlx::query("SELECT id FROM disclosure_reports WHERE credit_code = $1 AND kind = $2 AND year = $3 AND trigger_key = $4")
                .bind(&key.credit_code).bind(&key.kind).bind(key.year).bind(&key.trigger_key).fetch_optional(&mut *tx).await?;
            let id: i64 = match existing {
                Some(r) => {
                    let id: i64 = r.try_get("id")?;
                    sqlx::query("UPDATE disclosure_reports SET draft = $1, updated_at = $2 WHERE id = $3")
                        .bind(draft).bind(&now).bind(id).execute(&mut *tx).await?;
                    id
                }
                None => sqlx::query("INSERT INTO disclosure_reports (credit_code, kind, year, trigger_key, event_date, due_date, revision, draft, created_by, created_at, updated_at) \
                                     VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8, $9, $9) RETURNING id")
                    .bind(&key.credit_code).bind(&key.kind).bind(key.year).bind(&key.trigger_key).bind(event_date).bind(due_date).bind(draft)
                    .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?,
            };
            let mut audit = AuditEntry::ok(actor, "disclosure.draft", format!("disclosure:{id}"));
            audit.new_value = Some(report_label(key));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.disclosure_report(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("披露报告 {id} 写入后未找到")))
    }

    /// Submits `content` as the report's next revision (`disclosure.submit` for the first,
    /// `disclosure.amend` for a later one, with its reason; audited), creating the report if
    /// needed. The first submission's `filed_date` (Beijing date, from the caller) stays the
    /// report's filing date; earlier revisions are kept.
    #[allow(clippy::too_many_arguments)]
    pub async fn submit_disclosure_report(
        &self,
        key: &DisclosureReportKey,
        event_date: Option<&str>,
        due_date: &str,
        content: &str,
        reason: Option<&str>,
        filed_date: &str,
        actor: &Actor,
    ) -> Result<DisclosureReport> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let existing = sqlx::query("SELECT id, revision FROM disclosure_reports WHERE credit_code = $1 AND kind = $2 AND year = $3 AND trigger_key = $4")
                .bind(&key.credit_code).bind(&key.kind).bind(key.year).bind(&key.trigger_key).fetch_optional(&mut *tx).await?;
            let (id, rev): (i64, i64) = match existing {
                Some(r) => {
                    let id: i64 = r.try_get("id")?;
                    let rev: i64 = r.try_get::<i64, _>("revision")? + 1;
                    sqlx::query("UPDATE disclosure_reports SET revision = $1, draft = $2, content = $2, \
                                 first_submitted_at = COALESCE(first_submitted_at, $3), filed_date = COALESCE(filed_date, $4), last_submitted_at = $3, updated_at = $3 WHERE id = $5")
                        .bind(rev).bind(content).bind(&now).bind(filed_date).bind(id).execute(&mut *tx).await?;
                    (id, rev)
                }
                None => {
                    let id: i64 = sqlx::query("INSERT INTO disclosure_reports (credit_code, kind, year, trigger_key, event_date, due_date, revision, draft, content, \
                                               first_submitted_at, filed_date, last_submitted_at, created_by, created_at, updated_at) \
                                               VALUES ($1, $2, $3, $4, $5, $6, 1, $7, $7, $8, $9, $8, $10, $8, $8) RETURNING id")
                        .bind(&key.credit_code).bind(&key.kind).bind(key.year).bind(&key.trigger_key).bind(event_date).bind(due_date).bind(content)
                        .bind(&now).bind(filed_date).bind(actor.user_id).fetch_one(&mut *tx).await?.try_get("id")?;
                    (id, 1)
                }
            };
            sqlx::query("INSERT INTO disclosure_revisions (report_id, revision, content, reason, filed_date, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(id).bind(rev).bind(content).bind(reason).bind(filed_date).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let action = if rev == 1 { "disclosure.submit" } else { "disclosure.amend" };
            let mut audit = AuditEntry::ok(actor, action, format!("disclosure:{id}"));
            audit.old_value = (rev > 1).then(|| format!("第{}版", rev - 1));
            audit.new_value = Some(format!("{} 第{rev}版 报送日期 {filed_date} 截止日期 {due_date}", report_label(key)));
            audit.detail = reason.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.disclosure_report(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("披露报告 {id} 写入后未找到")))
    }

    /// One report.
    pub async fn disclosure_report(&self, id: i64) -> Result<Option<DisclosureReport>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{REPORT_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(report_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The report with this key, if it exists.
    pub async fn disclosure_report_by_key(
        &self,
        key: &DisclosureReportKey,
    ) -> Result<Option<DisclosureReport>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{REPORT_SELECT} WHERE r.credit_code = $1 AND r.kind = $2 AND r.year = $3 AND r.trigger_key = $4"))
                .bind(&key.credit_code).bind(&key.kind).bind(key.year).bind(&key.trigger_key).fetch_optional(p).await? {
                Some(r) => Some(report_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Every report of an enterprise (drafts included), for `year` or all years, by year
    /// (latest first), kind and due date.
    pub async fn disclosure_reports_of(
        &self,
        credit_code: &str,
        year: Option<i64>,
    ) -> Result<Vec<DisclosureReport>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{REPORT_SELECT} WHERE r.credit_code = $1 AND ($2 IS NULL OR r.year = $2) ORDER BY r.year DESC, r.kind, r.due_date, r.id"))
                .bind(credit_code).bind(year).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(report_from_row!(r));
            }
            out
        }))
    }

    /// One page of reports, latest submission first (drafts last).
    pub async fn disclosure_reports_paged(
        &self,
        f: &DisclosureReportFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<DisclosureReport>> {
        let pattern = f.query.as_deref().map(contains_pattern);
        let submitted: i64 = i64::from(f.submitted_only);
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM disclosure_reports r LEFT JOIN enterprises e ON e.credit_code = r.credit_code {REPORT_WHERE}"))
                .bind(&pattern).bind(&f.query).bind(&f.credit_code).bind(&f.kind).bind(f.year).bind(submitted)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{REPORT_SELECT} {REPORT_WHERE} ORDER BY r.revision = 0, r.last_submitted_at DESC, r.id DESC LIMIT $7 OFFSET $8"))
                .bind(&pattern).bind(&f.query).bind(&f.credit_code).bind(&f.kind).bind(f.year).bind(submitted)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(report_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// The submitted revisions of a report, oldest first.
    pub async fn disclosure_revisions(&self, id: i64) -> Result<Vec<DisclosureRevision>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.report_id, v.revision, v.content, v.reason, v.filed_date, v.by_user, u.display_name AS by_name, v.at \
                                    FROM disclosure_revisions v LEFT JOIN users u ON u.id = v.by_user WHERE v.report_id = $1 ORDER BY v.revision")
                .bind(id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DisclosureRevision { report_id: r.try_get("report_id")?, revision: r.try_get("revision")?, content: r.try_get("content")?,
                    reason: r.try_get("reason")?, filed_date: r.try_get("filed_date")?, by_user: r.try_get("by_user")?,
                    by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }
}
