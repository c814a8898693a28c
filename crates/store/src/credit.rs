//! Enterprise environmental credit ratings (企业环境信用评价): one enterprise's year, scored by the
//! app under a named rule set, with the events that decided it frozen as JSON (each naming its
//! source record); a draft until staff publish it, after which only an upheld objection or an
//! accepted 信用修复 changes it — each in the same transaction as the decision, audited. Staff
//! record 一票否决 findings. The store keeps what the app computed; it does not score.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// A rating as the app computed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCreditRating {
    /// Rated year.
    pub year: i32,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Enterprise name at the time.
    pub enterprise: String,
    /// County.
    pub division_code: Option<String>,
    /// Rule set code.
    pub rule_set: String,
    /// Result.
    pub result: CreditResult,
}

/// Score, grade and the events behind them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditResult {
    /// Score.
    pub score: i64,
    /// Grade code.
    pub grade: String,
    /// Whether an 一票否决 decided the grade.
    pub vetoed: bool,
    /// The events as a JSON list (the app's `CreditEvent`s).
    pub events_json: String,
}

/// A stored rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditRating {
    /// Row id.
    pub id: i64,
    /// Rated year.
    pub year: i32,
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Enterprise name when rated.
    pub enterprise: String,
    /// County.
    pub division_code: Option<String>,
    /// Rule set code.
    pub rule_set: String,
    /// Score.
    pub score: i64,
    /// Grade code.
    pub grade: String,
    /// Whether an 一票否决 decided it.
    pub vetoed: bool,
    /// Events, JSON.
    #[serde(skip)]
    pub events_json: String,
    /// draft or published.
    pub state: String,
    /// Who computed it.
    pub computed_by: Option<i64>,
    /// When.
    pub computed_at: String,
    /// Who published it.
    pub published_by: Option<i64>,
    /// When published (frozen).
    pub published_at: Option<String>,
    /// The grade before an accepted repair.
    pub grade_before_repair: Option<String>,
    /// When a repair was accepted.
    pub repaired_at: Option<String>,
}

/// Which ratings to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct CreditFilter {
    /// Year.
    pub year: Option<i32>,
    /// Grade code.
    pub grade: Option<String>,
    /// County.
    pub division_code: Option<String>,
    /// One enterprise.
    pub credit_code: Option<String>,
    /// Only published ones.
    pub published_only: bool,
    /// Name contains or code equals (the public lookup).
    pub query: Option<String>,
}

/// A staff finding of an 一票否决 item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditFinding {
    /// Row id.
    pub id: i64,
    /// Enterprise.
    pub credit_code: String,
    /// Veto kind of the rule set.
    pub kind: String,
    /// When the conduct happened, YYYY-MM-DD.
    pub occurred_on: String,
    /// The case that established it, if any.
    pub case_id: Option<i64>,
    /// Basis.
    pub note: String,
    /// Who recorded it.
    pub by_user: Option<i64>,
    /// When.
    pub at: String,
}

/// An enterprise's objection to one event of a rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditObjection {
    /// Row id.
    pub id: i64,
    /// The rating.
    pub rating_id: i64,
    /// The event's key.
    pub event_key: String,
    /// The enterprise's reason.
    pub reason: String,
    /// pending, upheld or rejected.
    pub state: String,
    /// Staff's answer.
    pub decision: Option<String>,
    /// Who filed it.
    pub filed_by: Option<i64>,
    /// When.
    pub filed_at: String,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
}

/// A 信用修复 application.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditRepair {
    /// Row id.
    pub id: i64,
    /// The rating.
    pub rating_id: i64,
    /// What was rectified.
    pub reason: String,
    /// Decision due by, YYYY-MM-DD.
    pub due_by: String,
    /// pending, accepted or rejected.
    pub state: String,
    /// Staff's answer.
    pub decision: Option<String>,
    /// Who applied.
    pub filed_by: Option<i64>,
    /// When.
    pub filed_at: String,
    /// Who decided.
    pub decided_by: Option<i64>,
    /// When.
    pub decided_at: Option<String>,
}

/// A file of an objection or repair application, without its content.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CreditEvidence {
    /// Row id.
    pub id: i64,
    /// The rating.
    pub rating_id: i64,
    /// objection or repair.
    pub parent_kind: String,
    /// Its id.
    pub parent_id: i64,
    /// File name.
    pub file_name: String,
    /// MIME type.
    pub content_type: String,
    /// Size.
    pub size_bytes: i64,
    /// SHA-256.
    pub sha256: String,
    /// When.
    pub uploaded_at: String,
}

const RATING_SELECT: &str = "SELECT id, year, credit_code, enterprise, division_code, rule_set, score, grade, vetoed, events, state, \
     computed_by, computed_at, published_by, published_at, grade_before_repair, repaired_at FROM credit_ratings r";

/// The most credit codes bound in one query (SQLite allows 32,766 binds, PostgreSQL 65,535).
const CODES_CHUNK: usize = 500;

const RATING_WHERE: &str = "WHERE ($1 IS NULL OR r.year = $1) AND ($2 IS NULL OR r.grade = $2) AND ($3 IS NULL OR r.division_code = $3) \
     AND ($4 IS NULL OR r.credit_code = $4) AND ($5 = 0 OR r.state = 'published') \
     AND ($6 IS NULL OR r.credit_code = $6 OR r.enterprise LIKE '%' || $6 || '%')";

macro_rules! rating_from_row {
    ($r:expr) => {{
        let year: i64 = $r.try_get("year")?;
        CreditRating {
            id: $r.try_get("id")?,
            year: i32::try_from(year)
                .map_err(|_| StoreError::Corrupt(format!("信用评价年度 {year}")))?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            rule_set: $r.try_get("rule_set")?,
            score: $r.try_get("score")?,
            grade: $r.try_get("grade")?,
            vetoed: $r.try_get("vetoed")?,
            events_json: $r.try_get("events")?,
            state: $r.try_get("state")?,
            computed_by: $r.try_get("computed_by")?,
            computed_at: $r.try_get("computed_at")?,
            published_by: $r.try_get("published_by")?,
            published_at: $r.try_get("published_at")?,
            grade_before_repair: $r.try_get("grade_before_repair")?,
            repaired_at: $r.try_get("repaired_at")?,
        }
    }};
}

macro_rules! insert_credit_files {
    ($tx:expr, $rating:expr, $kind:expr, $parent:expr, $files:expr, $actor:expr, $now:expr) => {
        for f in $files {
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let fid: i64 = sqlx::query("INSERT INTO credit_evidence (rating_id, parent_kind, parent_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
                .bind($rating).bind($kind).bind($parent).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256)
                .bind($actor.user_id).bind($now).bind(f.content.as_slice())
                .fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "credit.evidence", format!("credit_rating:{}", $rating)).with_new(f.file_name.clone());
            a.detail = Some(format!("{}:{} evidence:{fid} type={} size={size} sha256={sha256}", $kind, $parent, f.content_type));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

fn result_text(score: i64, grade: &str, vetoed: bool) -> String {
    format!(
        "score={score} grade={grade}{}",
        if vetoed { " 一票否决" } else { "" }
    )
}

impl Store {
    /// Writes a computed rating as a draft (`credit.compute`, audited with old and new result),
    /// replacing the enterprise's draft of that year. A published rating is frozen:
    /// [`StoreError::Conflict`].
    pub async fn save_credit_draft(
        &self,
        n: &NewCreditRating,
        actor: &Actor,
    ) -> Result<CreditRating> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let old = sqlx::query("SELECT id, state, score, grade, vetoed FROM credit_ratings WHERE year = $1 AND credit_code = $2")
                .bind(i64::from(n.year)).bind(&n.credit_code).fetch_optional(&mut *tx).await?;
            let r = &n.result;
            let (id, old_text) = match old {
                Some(row) => {
                    let id: i64 = row.try_get("id")?;
                    let state: String = row.try_get("state")?;
                    if state == "published" {
                        return Err(StoreError::Conflict(format!("{} 年度 {} 的信用评价已公布，不再重新计算", n.year, n.enterprise)));
                    }
                    let old_text = result_text(row.try_get("score")?, &row.try_get::<String, _>("grade")?, row.try_get("vetoed")?);
                    sqlx::query("UPDATE credit_ratings SET enterprise = $1, division_code = $2, rule_set = $3, score = $4, grade = $5, vetoed = $6, events = $7, \
                                 computed_by = $8, computed_at = $9 WHERE id = $10")
                        .bind(&n.enterprise).bind(&n.division_code).bind(&n.rule_set).bind(r.score).bind(&r.grade).bind(r.vetoed).bind(&r.events_json)
                        .bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
                    (id, Some(old_text))
                }
                None => {
                    let id: i64 = sqlx::query("INSERT INTO credit_ratings (year, credit_code, enterprise, division_code, rule_set, score, grade, vetoed, events, state, computed_by, computed_at) \
                                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'draft', $10, $11) RETURNING id")
                        .bind(i64::from(n.year)).bind(&n.credit_code).bind(&n.enterprise).bind(&n.division_code).bind(&n.rule_set)
                        .bind(r.score).bind(&r.grade).bind(r.vetoed).bind(&r.events_json).bind(actor.user_id).bind(&now)
                        .fetch_one(&mut *tx).await?.try_get("id")?;
                    (id, None)
                }
            };
            let mut audit = AuditEntry::ok(actor, "credit.compute", format!("credit_rating:{id}"));
            audit.old_value = old_text;
            audit.new_value = Some(result_text(r.score, &r.grade, r.vetoed));
            audit.detail = Some(format!("{} {} {}", n.year, n.credit_code, n.rule_set));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.credit_rating(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("信用评价 {id} 写入后未找到")))
    }

    /// Publishes (freezes) a draft rating (`credit.publish`). Already published:
    /// [`StoreError::Conflict`].
    pub async fn publish_credit_rating(&self, id: i64, actor: &Actor) -> Result<CreditRating> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state, score, grade, vetoed FROM credit_ratings WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("信用评价 {id}")))?;
            let state: String = row.try_get("state")?;
            if state != "draft" {
                return Err(StoreError::Conflict(format!("信用评价 {id} 已公布")));
            }
            let now = now_text();
            sqlx::query("UPDATE credit_ratings SET state = 'published', published_by = $1, published_at = $2 WHERE id = $3")
                .bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "credit.publish", format!("credit_rating:{id}"));
            audit.old_value = Some(state);
            audit.new_value = Some(result_text(row.try_get("score")?, &row.try_get::<String, _>("grade")?, row.try_get("vetoed")?));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.credit_rating(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用评价 {id}")))
    }

    /// One rating.
    pub async fn credit_rating(&self, id: i64) -> Result<Option<CreditRating>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{RATING_SELECT} WHERE r.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(rating_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The latest published rating of an enterprise (the grade its pages show).
    pub async fn latest_published_credit(&self, credit_code: &str) -> Result<Option<CreditRating>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{RATING_SELECT} WHERE r.credit_code = $1 AND r.state = 'published' ORDER BY r.year DESC LIMIT 1"))
                .bind(credit_code).fetch_optional(p).await? {
                Some(r) => Some(rating_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The latest published rating of each of these enterprises that has one, by 统一社会信用代码:
    /// the grades beside a page of a list (the registry), one query for the page instead of
    /// reading every rating.
    pub async fn latest_published_credits(
        &self,
        credit_codes: &[&str],
    ) -> Result<std::collections::HashMap<String, CreditRating>> {
        let mut out = std::collections::HashMap::new();
        // Bounded lists of binds: a page is 100 rows, but callers may pass more.
        for chunk in credit_codes.chunks(CODES_CHUNK) {
            with_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(format!("{RATING_SELECT} WHERE r.state = 'published' AND r.credit_code IN ("));
                let mut sep = qb.separated(", ");
                for code in chunk {
                    sep.push_bind(*code);
                }
                // Latest year first: the first row of an enterprise is its latest.
                qb.push(") ORDER BY r.credit_code, r.year DESC");
                for r in qb.build().fetch_all(p).await? {
                    let rating = rating_from_row!(r);
                    out.entry(rating.credit_code.clone()).or_insert(rating);
                }
            });
        }
        Ok(out)
    }

    /// One page of ratings: latest year first, then grade (best first by code), then name.
    pub async fn credit_ratings_paged(
        &self,
        f: &CreditFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<CreditRating>> {
        let year = f.year.map(i64::from);
        let published = i64::from(f.published_only);
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM credit_ratings r {RATING_WHERE}"))
                .bind(year).bind(&f.grade).bind(&f.division_code).bind(&f.credit_code).bind(published).bind(&f.query)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{RATING_SELECT} {RATING_WHERE} ORDER BY r.year DESC, r.grade, r.enterprise, r.id LIMIT $7 OFFSET $8"))
                .bind(year).bind(&f.grade).bind(&f.division_code).bind(&f.credit_code).bind(published).bind(&f.query)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(rating_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Records an 一票否决 finding (`credit.finding`).
    pub async fn record_credit_finding(
        &self,
        credit_code: &str,
        kind: &str,
        occurred_on: &str,
        case_id: Option<i64>,
        note: &str,
        actor: &Actor,
    ) -> Result<CreditFinding> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO credit_findings (credit_code, kind, occurred_on, case_id, note, by_user, at) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(credit_code).bind(kind).bind(occurred_on).bind(case_id).bind(note).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "credit.finding", format!("enterprise:{credit_code}"));
            audit.new_value = Some(format!("{kind} {occurred_on}{}", case_id.map(|c| format!(" case:{c}")).unwrap_or_default()));
            audit.detail = Some(note.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.credit_findings(credit_code, "0000-01-01", "9999-12-31")
            .await?
            .into_iter()
            .find(|f| f.id == id)
            .ok_or_else(|| StoreError::Corrupt(format!("一票否决认定 {id} 写入后未找到")))
    }

    /// The findings of an enterprise whose conduct fell within `[from, to]` (YYYY-MM-DD).
    pub async fn credit_findings(
        &self,
        credit_code: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<CreditFinding>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, credit_code, kind, occurred_on, case_id, note, by_user, at FROM credit_findings \
                                    WHERE credit_code = $1 AND occurred_on >= $2 AND occurred_on <= $3 ORDER BY occurred_on, id")
                .bind(credit_code).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CreditFinding { id: r.try_get("id")?, credit_code: r.try_get("credit_code")?, kind: r.try_get("kind")?,
                    occurred_on: r.try_get("occurred_on")?, case_id: r.try_get("case_id")?, note: r.try_get("note")?,
                    by_user: r.try_get("by_user")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// One finding.
    pub async fn credit_finding(&self, id: i64) -> Result<Option<CreditFinding>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, credit_code, kind, occurred_on, case_id, note, by_user, at FROM credit_findings WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some(CreditFinding { id: r.try_get("id")?, credit_code: r.try_get("credit_code")?, kind: r.try_get("kind")?,
                    occurred_on: r.try_get("occurred_on")?, case_id: r.try_get("case_id")?, note: r.try_get("note")?,
                    by_user: r.try_get("by_user")?, at: r.try_get("at")? }),
                None => None,
            }
        }))
    }

    /// Files an objection to one event of a rating (`credit.objection`, with its files).
    pub async fn file_credit_objection(
        &self,
        rating_id: i64,
        event_key: &str,
        reason: &str,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<CreditObjection> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let pending: i64 = sqlx::query("SELECT COUNT(*) AS n FROM credit_objections WHERE rating_id = $1 AND event_key = $2 AND state = 'pending'")
                .bind(rating_id).bind(event_key).fetch_one(&mut *tx).await?.try_get("n")?;
            if pending > 0 {
                return Err(StoreError::Conflict("对该事项的异议尚待处理，请勿重复提出".into()));
            }
            let id: i64 = sqlx::query("INSERT INTO credit_objections (rating_id, event_key, reason, state, filed_by, filed_at) VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id")
                .bind(rating_id).bind(event_key).bind(reason).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "credit.objection", format!("credit_rating:{rating_id}"));
            audit.new_value = Some(format!("objection:{id} {event_key}"));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            insert_credit_files!(tx, rating_id, "objection", id, files, actor, &now);
            tx.commit().await?;
            id
        });
        self.credit_objection(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("异议 {id} 写入后未找到")))
    }

    /// Decides a pending objection (`credit.objection_decide`); when upheld, `result` is the
    /// rating recomputed without the event, written in the same transaction. Decided already:
    /// [`StoreError::Conflict`].
    pub async fn decide_credit_objection(
        &self,
        id: i64,
        upheld: bool,
        decision: &str,
        result: Option<&CreditResult>,
        actor: &Actor,
    ) -> Result<CreditObjection> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT rating_id, state FROM credit_objections WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("异议 {id}")))?;
            let state: String = row.try_get("state")?;
            if state != "pending" {
                return Err(StoreError::Conflict(format!("异议 {id} 已处理")));
            }
            let rating_id: i64 = row.try_get("rating_id")?;
            let now = now_text();
            let new_state = if upheld { "upheld" } else { "rejected" };
            sqlx::query("UPDATE credit_objections SET state = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
                .bind(new_state).bind(decision).bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "credit.objection_decide", format!("credit_rating:{rating_id}"));
            audit.old_value = Some(format!("objection:{id} pending"));
            audit.new_value = Some(match result {
                Some(r) => format!("{new_state} {}", result_text(r.score, &r.grade, r.vetoed)),
                None => new_state.to_string(),
            });
            audit.detail = Some(decision.to_string());
            if let Some(r) = result {
                sqlx::query("UPDATE credit_ratings SET score = $1, grade = $2, vetoed = $3, events = $4 WHERE id = $5")
                    .bind(r.score).bind(&r.grade).bind(r.vetoed).bind(&r.events_json).bind(rating_id).execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.credit_objection(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("异议 {id}")))
    }

    /// One objection.
    pub async fn credit_objection(&self, id: i64) -> Result<Option<CreditObjection>> {
        Ok(self
            .credit_objections_where("id = $1", id)
            .await?
            .into_iter()
            .next())
    }

    /// The objections to a rating, oldest first.
    pub async fn credit_objections(&self, rating_id: i64) -> Result<Vec<CreditObjection>> {
        self.credit_objections_where("rating_id = $1", rating_id)
            .await
    }

    async fn credit_objections_where(&self, cond: &str, v: i64) -> Result<Vec<CreditObjection>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("SELECT id, rating_id, event_key, reason, state, decision, filed_by, filed_at, decided_by, decided_at \
                                             FROM credit_objections WHERE {cond} ORDER BY id"))
                .bind(v).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CreditObjection { id: r.try_get("id")?, rating_id: r.try_get("rating_id")?, event_key: r.try_get("event_key")?,
                    reason: r.try_get("reason")?, state: r.try_get("state")?, decision: r.try_get("decision")?,
                    filed_by: r.try_get("filed_by")?, filed_at: r.try_get("filed_at")?, decided_by: r.try_get("decided_by")?,
                    decided_at: r.try_get("decided_at")? });
            }
            out
        }))
    }

    /// Files a 信用修复 application (`credit.repair`, with its files), to be decided by `due_by`.
    /// One pending application at a time: [`StoreError::Conflict`].
    pub async fn file_credit_repair(
        &self,
        rating_id: i64,
        reason: &str,
        due_by: &str,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<CreditRepair> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let now = now_text();
            let pending: i64 = sqlx::query("SELECT COUNT(*) AS n FROM credit_repairs WHERE rating_id = $1 AND state = 'pending'")
                .bind(rating_id).fetch_one(&mut *tx).await?.try_get("n")?;
            if pending > 0 {
                return Err(StoreError::Conflict("已有信用修复申请待审核，请勿重复提出".into()));
            }
            let id: i64 = sqlx::query("INSERT INTO credit_repairs (rating_id, reason, due_by, state, filed_by, filed_at) VALUES ($1, $2, $3, 'pending', $4, $5) RETURNING id")
                .bind(rating_id).bind(reason).bind(due_by).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "credit.repair", format!("credit_rating:{rating_id}"));
            audit.new_value = Some(format!("repair:{id} due_by={due_by}"));
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            insert_credit_files!(tx, rating_id, "repair", id, files, actor, &now);
            tx.commit().await?;
            id
        });
        self.credit_repair(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("信用修复申请 {id} 写入后未找到")))
    }

    /// Decides a pending repair application (`credit.repair_decide`); when accepted, `result` is
    /// the rating with its points cancelled, and the grade before is kept.
    pub async fn decide_credit_repair(
        &self,
        id: i64,
        accepted: bool,
        decision: &str,
        result: Option<&CreditResult>,
        actor: &Actor,
    ) -> Result<CreditRepair> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT rating_id, state FROM credit_repairs WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("信用修复申请 {id}")))?;
            let state: String = row.try_get("state")?;
            if state != "pending" {
                return Err(StoreError::Conflict(format!("信用修复申请 {id} 已处理")));
            }
            let rating_id: i64 = row.try_get("rating_id")?;
            let now = now_text();
            let new_state = if accepted { "accepted" } else { "rejected" };
            sqlx::query("UPDATE credit_repairs SET state = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
                .bind(new_state).bind(decision).bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "credit.repair_decide", format!("credit_rating:{rating_id}"));
            if let Some(r) = result {
                let before: String = sqlx::query("SELECT grade FROM credit_ratings WHERE id = $1").bind(rating_id)
                    .fetch_one(&mut *tx).await?.try_get("grade")?;
                sqlx::query("UPDATE credit_ratings SET score = $1, grade = $2, vetoed = $3, events = $4, grade_before_repair = $5, repaired_at = $6 WHERE id = $7")
                    .bind(r.score).bind(&r.grade).bind(r.vetoed).bind(&r.events_json).bind(&before).bind(&now).bind(rating_id)
                    .execute(&mut *tx).await?;
                audit.old_value = Some(format!("repair:{id} pending grade={before}"));
                audit.new_value = Some(format!("{new_state} {}", result_text(r.score, &r.grade, r.vetoed)));
            } else {
                audit.old_value = Some(format!("repair:{id} pending"));
                audit.new_value = Some(new_state.to_string());
            }
            audit.detail = Some(decision.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.credit_repair(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("信用修复申请 {id}")))
    }

    /// One repair application.
    pub async fn credit_repair(&self, id: i64) -> Result<Option<CreditRepair>> {
        Ok(self
            .credit_repairs_where("id = $1", id)
            .await?
            .into_iter()
            .next())
    }

    /// The repair applications of a rating, oldest first.
    pub async fn credit_repairs(&self, rating_id: i64) -> Result<Vec<CreditRepair>> {
        self.credit_repairs_where("rating_id = $1", rating_id).await
    }

    async fn credit_repairs_where(&self, cond: &str, v: i64) -> Result<Vec<CreditRepair>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("SELECT id, rating_id, reason, due_by, state, decision, filed_by, filed_at, decided_by, decided_at \
                                             FROM credit_repairs WHERE {cond} ORDER BY id"))
                .bind(v).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CreditRepair { id: r.try_get("id")?, rating_id: r.try_get("rating_id")?, reason: r.try_get("reason")?,
                    due_by: r.try_get("due_by")?, state: r.try_get("state")?, decision: r.try_get("decision")?,
                    filed_by: r.try_get("filed_by")?, filed_at: r.try_get("filed_at")?, decided_by: r.try_get("decided_by")?,
                    decided_at: r.try_get("decided_at")? });
            }
            out
        }))
    }

    /// The files of a rating's objections and repair applications.
    pub async fn credit_evidence(&self, rating_id: i64) -> Result<Vec<CreditEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, rating_id, parent_kind, parent_id, file_name, content_type, size_bytes, sha256, uploaded_at \
                                    FROM credit_evidence WHERE rating_id = $1 ORDER BY id")
                .bind(rating_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CreditEvidence { id: r.try_get("id")?, rating_id: r.try_get("rating_id")?, parent_kind: r.try_get("parent_kind")?,
                    parent_id: r.try_get("parent_id")?, file_name: r.try_get("file_name")?, content_type: r.try_get("content_type")?,
                    size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?, uploaded_at: r.try_get("uploaded_at")? });
            }
            out
        }))
    }

    /// One file with its content.
    pub async fn credit_evidence_file(&self, id: i64) -> Result<Option<(CreditEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, rating_id, parent_kind, parent_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM credit_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((CreditEvidence { id: r.try_get("id")?, rating_id: r.try_get("rating_id")?, parent_kind: r.try_get("parent_kind")?,
                    parent_id: r.try_get("parent_id")?, file_name: r.try_get("file_name")?, content_type: r.try_get("content_type")?,
                    size_bytes: r.try_get("size_bytes")?, sha256: r.try_get("sha256")?, uploaded_at: r.try_get("uploaded_at")? },
                    r.try_get("content")?)),
                None => None,
            }
        }))
    }
}
