//! Cases (立案 → 处罚决定 → 整改 → 复查 → 销号): staff open a case on one enterprise from its
//! incidents, or from an order (which becomes 转立案 in the same transaction), citing penalty
//! articles whose wording is copied in; then record the decision (决定书文号, measures, fine,
//! rectification deadline), the enterprise's rectification reports, the closing check and the
//! closing. Every step is an event and an audit entry; the case's state is the last step's outcome.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// A penalty article as the case cites it (copied from the list held as data).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseBasis {
    /// Code in the list.
    pub basis_code: String,
    /// Law and article.
    pub citation: String,
    /// The violation in words.
    pub violation: String,
    /// The statutory fine range in words, if the article has one.
    pub fine_range: Option<String>,
}

/// A case to open, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewCase {
    /// The year its number is counted in (Beijing time).
    pub year: i32,
    /// The incidents it is about; they must all belong to one enterprise.
    pub incident_ids: Vec<i64>,
    /// The order it comes from, which becomes 转立案.
    pub order_id: Option<i64>,
    /// 案由.
    pub title: String,
    /// 违法事实.
    pub facts: String,
    /// Articles cited.
    pub bases: Vec<CaseBasis>,
}

/// A stored case.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Case {
    /// Row id.
    pub id: i64,
    /// 立案编号, `YYYY-NNNN`.
    pub case_number: String,
    /// The enterprise's 统一社会信用代码.
    pub credit_code: String,
    /// Its name, if still registered.
    pub enterprise: Option<String>,
    /// Its county.
    pub division_code: Option<String>,
    /// The order it came from.
    pub order_id: Option<i64>,
    /// 案由.
    pub title: String,
    /// 违法事实.
    pub facts: String,
    /// filed, decided, rectifying, checked or closed.
    pub state: String,
    /// 处罚决定书文号.
    pub decision_number: Option<String>,
    /// Date of the decision, YYYY-MM-DD.
    pub decision_date: Option<String>,
    /// Measure codes, comma-separated.
    pub measures: Option<String>,
    /// Fine in fen (1/100 yuan).
    pub penalty_fen: Option<i64>,
    /// Current rectification deadline, RFC 3339 UTC.
    pub rectify_deadline: Option<String>,
    /// When closed (销号).
    pub closed_at: Option<String>,
    /// Who opened it.
    pub created_by: Option<i64>,
    /// Their display name.
    pub created_by_name: Option<String>,
    /// When opened.
    pub created_at: String,
    /// Last step.
    pub updated_at: String,
}

/// A step of a case.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseEvent {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
    /// file, decide, report, check_pass, check_fail or close.
    pub kind: String,
    /// Facts, decision text, report, check finding or closing note.
    pub note: Option<String>,
    /// The rectification deadline the step set.
    pub new_deadline: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// A document of a case's step, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct CaseEvidence {
    /// Row id.
    pub id: i64,
    /// The case.
    pub case_id: i64,
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

/// Which cases to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    /// County.
    pub division_code: Option<String>,
    /// Enterprise.
    pub credit_code: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Only cases whose rectification is overdue at this time (RFC 3339 UTC).
    pub overdue_at: Option<String>,
}

/// A step on a case, as the app checked it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CaseStep {
    /// The decision: 决定书文号, its date, measures, fine and rectification deadline (if any).
    Decide {
        /// 处罚决定书文号.
        decision_number: String,
        /// YYYY-MM-DD.
        decision_date: String,
        /// Measure codes, comma-separated.
        measures: String,
        /// Fine in fen.
        penalty_fen: Option<i64>,
        /// Rectification deadline, RFC 3339 UTC; `None`: nothing to rectify.
        rectify_deadline: Option<String>,
    },
    /// The enterprise reports its rectification.
    Report,
    /// The closing check found the rectification done.
    CheckPass,
    /// The closing check found it not done; a new deadline.
    CheckFail {
        /// New deadline, RFC 3339 UTC.
        new_deadline: String,
    },
    /// 销号: the case is closed.
    Close,
}

impl CaseStep {
    fn kind(&self) -> &'static str {
        match self {
            CaseStep::Decide { .. } => "decide",
            CaseStep::Report => "report",
            CaseStep::CheckPass => "check_pass",
            CaseStep::CheckFail { .. } => "check_fail",
            CaseStep::Close => "close",
        }
    }
    fn action(&self) -> &'static str {
        match self {
            CaseStep::Decide { .. } => "case.decide",
            CaseStep::Report => "case.report",
            CaseStep::CheckPass | CaseStep::CheckFail { .. } => "case.check",
            CaseStep::Close => "case.close",
        }
    }
    fn new_state(&self) -> &'static str {
        match self {
            CaseStep::Decide {
                rectify_deadline: Some(_),
                ..
            } => "rectifying",
            CaseStep::Decide { .. } => "decided",
            CaseStep::Report | CaseStep::CheckFail { .. } => "rectifying",
            CaseStep::CheckPass => "checked",
            CaseStep::Close => "closed",
        }
    }
    /// The states the step may start from.
    fn allowed_in(&self) -> &'static [&'static str] {
        match self {
            CaseStep::Decide { .. } => &["filed"],
            CaseStep::Report | CaseStep::CheckPass | CaseStep::CheckFail { .. } => &["rectifying"],
            CaseStep::Close => &["decided", "checked"],
        }
    }
    fn new_deadline(&self) -> Option<&str> {
        match self {
            CaseStep::Decide {
                rectify_deadline, ..
            } => rectify_deadline.as_deref(),
            CaseStep::CheckFail { new_deadline } => Some(new_deadline),
            _ => None,
        }
    }
}

const CASE_SELECT: &str = "SELECT c.id, c.case_number, c.credit_code, e.name AS enterprise, c.division_code, c.order_id, c.title, c.facts, c.state, \
     c.decision_number, c.decision_date, c.measures, c.penalty_fen, c.rectify_deadline, c.closed_at, c.created_by, u.display_name AS created_by_name, \
     c.created_at, c.updated_at FROM cases c LEFT JOIN enterprises e ON e.credit_code = c.credit_code LEFT JOIN users u ON u.id = c.created_by";

const CASE_WHERE: &str = "WHERE ($1 IS NULL OR c.division_code = $1) AND ($2 IS NULL OR c.credit_code = $2) AND ($3 IS NULL OR c.state = $3) \
     AND ($4 IS NULL OR (c.rectify_deadline < $4 AND c.state = 'rectifying'))";

macro_rules! case_from_row {
    ($r:expr) => {
        Case {
            id: $r.try_get("id")?,
            case_number: $r.try_get("case_number")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            order_id: $r.try_get("order_id")?,
            title: $r.try_get("title")?,
            facts: $r.try_get("facts")?,
            state: $r.try_get("state")?,
            decision_number: $r.try_get("decision_number")?,
            decision_date: $r.try_get("decision_date")?,
            measures: $r.try_get("measures")?,
            penalty_fen: $r.try_get("penalty_fen")?,
            rectify_deadline: $r.try_get("rectify_deadline")?,
            closed_at: $r.try_get("closed_at")?,
            created_by: $r.try_get("created_by")?,
            created_by_name: $r.try_get("created_by_name")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

macro_rules! case_evidence_from_row {
    ($r:expr) => {
        CaseEvidence {
            id: $r.try_get("id")?,
            case_id: $r.try_get("case_id")?,
            event_id: $r.try_get("event_id")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

macro_rules! insert_case_files {
    ($tx:expr, $case:expr, $event:expr, $files:expr, $actor:expr, $now:expr) => {
        for f in $files {
            let sha256 = hex::encode(Sha256::digest(&f.content));
            let size = f.content.len() as i64;
            let fid: i64 = sqlx::query("INSERT INTO case_evidence (case_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                .bind($case).bind($event).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind($actor.user_id).bind($now).bind(f.content.as_slice())
                .fetch_one(&mut *$tx).await?.try_get("id")?;
            let mut a = AuditEntry::ok($actor, "case.evidence", format!("case:{}", $case)).with_new(f.file_name.clone());
            a.detail = Some(format!("evidence:{fid} type={} size={size} sha256={sha256}", f.content_type));
            insert_audit!(&mut *$tx, &a);
        }
    };
}

impl Store {
    /// Opens a case (`case.file`, audited, with one `case.evidence` per file). Unknown incidents
    /// or order are [`StoreError::NotFound`]; incidents of several enterprises, an incident whose
    /// device has no enterprise, or an order that is closed or not about these incidents are
    /// [`StoreError::Conflict`]. An order becomes 转立案 (`order.escalate`) in the same transaction.
    pub async fn open_case(
        &self,
        n: &NewCase,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Case> {
        if n.incident_ids.is_empty() {
            return Err(StoreError::Conflict("立案须关联至少一个事件".into()));
        }
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut owner: Option<(String, Option<String>)> = None;
            for iid in &n.incident_ids {
                let r = sqlx::query("SELECT i.mn, e.credit_code, e.division_code FROM incidents i LEFT JOIN devices d ON d.mn = i.mn \
                                     LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id WHERE i.id = $1")
                    .bind(iid).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("事件 {iid}")))?;
                let mn: String = r.try_get("mn")?;
                let credit: Option<String> = r.try_get("credit_code")?;
                let credit = credit.ok_or_else(|| StoreError::Conflict(format!("事件 {iid} 的设备 {mn} 未登记所属企业，无法立案")))?;
                let division: Option<String> = r.try_get("division_code")?;
                match &owner {
                    Some((c, _)) if *c != credit => {
                        return Err(StoreError::Conflict(format!("事件 {iid} 属于另一排污单位（{credit}），一个案件只能针对一个排污单位")));
                    }
                    Some(_) => {}
                    None => owner = Some((credit, division)),
                }
            }
            let Some((credit, division)) = owner else {
                return Err(StoreError::Conflict("立案须关联至少一个事件".into()));
            };
            let now = now_text();
            let prefix = format!("{}-", n.year);
            let count: i64 = sqlx::query("SELECT COUNT(*) AS n FROM cases WHERE case_number LIKE $1")
                .bind(format!("{prefix}%")).fetch_one(&mut *tx).await?.try_get("n")?;
            let number = format!("{prefix}{:04}", count + 1);
            let id: i64 = sqlx::query("INSERT INTO cases (case_number, credit_code, division_code, order_id, title, facts, state, created_by, created_at, updated_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, 'filed', $7, $8, $8) RETURNING id")
                .bind(&number).bind(&credit).bind(&division).bind(n.order_id).bind(&n.title).bind(&n.facts)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            for iid in &n.incident_ids {
                sqlx::query("INSERT INTO case_incidents (case_id, incident_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                    .bind(id).bind(iid).execute(&mut *tx).await?;
            }
            for b in &n.bases {
                sqlx::query("INSERT INTO case_bases (case_id, basis_code, citation, violation, fine_range) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING")
                    .bind(id).bind(&b.basis_code).bind(&b.citation).bind(&b.violation).bind(&b.fine_range).execute(&mut *tx).await?;
            }
            let eid: i64 = sqlx::query("INSERT INTO case_events (case_id, kind, note, by_user, at) VALUES ($1, 'file', $2, $3, $4) RETURNING id")
                .bind(id).bind(&n.facts).bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, "case.file", format!("case:{id}"));
            audit.new_value = Some(format!("{number} {credit} {}", n.bases.iter().map(|b| b.basis_code.as_str()).collect::<Vec<_>>().join(",")));
            audit.detail = Some(format!("{}；事件：{}", n.title, n.incident_ids.iter().map(i64::to_string).collect::<Vec<_>>().join("、")));
            insert_audit!(&mut *tx, &audit);
            if let Some(oid) = n.order_id {
                let o = sqlx::query("SELECT state, incident_id FROM orders WHERE id = $1").bind(oid).fetch_optional(&mut *tx).await?
                    .ok_or_else(|| StoreError::NotFound(format!("督办单 {oid}")))?;
                let state: String = o.try_get("state")?;
                let incident: i64 = o.try_get("incident_id")?;
                if !n.incident_ids.contains(&incident) {
                    return Err(StoreError::Conflict(format!("督办单 {oid} 所涉事件 {incident} 不在本案关联事件中")));
                }
                if !matches!(state.as_str(), "issued" | "replied" | "returned") {
                    return Err(StoreError::Conflict(format!("督办单 {oid} 当前为“{}”，不能转立案", crate::labels::order_state(&state))));
                }
                sqlx::query("UPDATE orders SET state = 'escalated', updated_at = $1 WHERE id = $2").bind(&now).bind(oid).execute(&mut *tx).await?;
                let note = format!("立案 {number}");
                sqlx::query("INSERT INTO order_events (order_id, kind, note, by_user, at) VALUES ($1, 'escalate', $2, $3, $4)")
                    .bind(oid).bind(&note).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
                let mut a = AuditEntry::ok(actor, "order.escalate", format!("order:{oid}"));
                a.old_value = Some(state);
                a.new_value = Some("escalated".into());
                a.detail = Some(format!("case:{id}"));
                insert_audit!(&mut *tx, &a);
            }
            insert_case_files!(tx, id, eid, files, actor, &now);
            tx.commit().await?;
            id
        });
        self.case(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("案件 {id} 写入后未找到")))
    }

    /// Takes a step on a case (audited as `case.decide` / `case.report` / `case.check` /
    /// `case.close`, with one `case.evidence` per file). A step the case's state does not allow is
    /// [`StoreError::Conflict`]; an unknown case [`StoreError::NotFound`].
    pub async fn case_step(
        &self,
        id: i64,
        step: &CaseStep,
        note: Option<&str>,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Case> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state FROM cases WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("案件 {id}")))?;
            let old: String = row.try_get("state")?;
            if !step.allowed_in().contains(&old.as_str()) {
                return Err(StoreError::Conflict(format!("案件 {id} 当前为“{}”，不能{}", crate::labels::case_state(&old), crate::labels::case_event(step.kind()))));
            }
            let now = now_text();
            let new_state = step.new_state();
            match step {
                CaseStep::Decide { decision_number, decision_date, measures, penalty_fen, rectify_deadline } => {
                    sqlx::query("UPDATE cases SET state = $1, decision_number = $2, decision_date = $3, measures = $4, penalty_fen = $5, rectify_deadline = $6, updated_at = $7 WHERE id = $8")
                        .bind(new_state).bind(decision_number).bind(decision_date).bind(measures).bind(penalty_fen).bind(rectify_deadline).bind(&now).bind(id)
                        .execute(&mut *tx).await?;
                }
                CaseStep::CheckFail { new_deadline } => {
                    sqlx::query("UPDATE cases SET state = $1, rectify_deadline = $2, updated_at = $3 WHERE id = $4")
                        .bind(new_state).bind(new_deadline).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                CaseStep::Close => {
                    sqlx::query("UPDATE cases SET state = $1, closed_at = $2, updated_at = $2 WHERE id = $3")
                        .bind(new_state).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                CaseStep::Report | CaseStep::CheckPass => {
                    sqlx::query("UPDATE cases SET state = $1, updated_at = $2 WHERE id = $3")
                        .bind(new_state).bind(&now).bind(id).execute(&mut *tx).await?;
                }
            }
            let eid: i64 = sqlx::query("INSERT INTO case_events (case_id, kind, note, new_deadline, by_user, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(id).bind(step.kind()).bind(note).bind(step.new_deadline()).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, step.action(), format!("case:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(match step {
                CaseStep::Decide { decision_number, measures, penalty_fen, rectify_deadline, .. } => format!(
                    "{new_state} {decision_number} measures={measures}{}{}",
                    penalty_fen.map(|f| format!(" 罚款 {}.{:02}", f / 100, f % 100)).unwrap_or_default(),
                    rectify_deadline.as_ref().map(|d| format!(" 期限 {d}")).unwrap_or_default()),
                CaseStep::CheckFail { new_deadline } => format!("{new_state} 期限 {new_deadline}"),
                _ => new_state.to_string(),
            });
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            insert_case_files!(tx, id, eid, files, actor, &now);
            tx.commit().await?;
        });
        self.case(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("案件 {id}")))
    }

    /// One case.
    pub async fn case(&self, id: i64) -> Result<Option<Case>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{CASE_SELECT} WHERE c.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(case_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of cases, newest first.
    pub async fn cases_paged(
        &self,
        f: &CaseFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<Case>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM cases c {CASE_WHERE}"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.overdue_at)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{CASE_SELECT} {CASE_WHERE} ORDER BY c.id DESC LIMIT $5 OFFSET $6"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.overdue_at)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(case_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// The incident ids of a case, in order.
    pub async fn case_incident_ids(&self, case_id: i64) -> Result<Vec<i64>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT incident_id FROM case_incidents WHERE case_id = $1 ORDER BY incident_id")
                .bind(case_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(r.try_get("incident_id")?);
            }
            out
        }))
    }

    /// The cases an incident is part of: `(id, case number, state)`.
    pub async fn cases_of_incident(&self, incident_id: i64) -> Result<Vec<(i64, String, String)>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT c.id, c.case_number, c.state FROM cases c JOIN case_incidents ci ON ci.case_id = c.id WHERE ci.incident_id = $1 ORDER BY c.id")
                .bind(incident_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("id")?, r.try_get("case_number")?, r.try_get("state")?));
            }
            out
        }))
    }

    /// The articles a case cites.
    pub async fn case_bases(&self, case_id: i64) -> Result<Vec<CaseBasis>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT basis_code, citation, violation, fine_range FROM case_bases WHERE case_id = $1 ORDER BY basis_code")
                .bind(case_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CaseBasis { basis_code: r.try_get("basis_code")?, citation: r.try_get("citation")?, violation: r.try_get("violation")?, fine_range: r.try_get("fine_range")? });
            }
            out
        }))
    }

    /// The steps of a case, oldest first.
    pub async fn case_events(&self, case_id: i64) -> Result<Vec<CaseEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.case_id, v.kind, v.note, v.new_deadline, v.by_user, u.display_name AS by_name, v.at \
                                    FROM case_events v LEFT JOIN users u ON u.id = v.by_user WHERE v.case_id = $1 ORDER BY v.id")
                .bind(case_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(CaseEvent { id: r.try_get("id")?, case_id: r.try_get("case_id")?, kind: r.try_get("kind")?, note: r.try_get("note")?,
                    new_deadline: r.try_get("new_deadline")?, by_user: r.try_get("by_user")?, by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The documents of a case's steps.
    pub async fn case_evidence(&self, case_id: i64) -> Result<Vec<CaseEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, case_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM case_evidence WHERE case_id = $1 ORDER BY id")
                .bind(case_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(case_evidence_from_row!(r));
            }
            out
        }))
    }

    /// One document of a case with its content.
    pub async fn case_evidence_file(&self, id: i64) -> Result<Option<(CaseEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, case_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM case_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((case_evidence_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }
}
