//! Orders (督办单): staff turn an incident into an order to its enterprise with a deadline; the
//! enterprise replies with evidence; staff accept, return or escalate. Every step is an event
//! and an audit entry; the order's state is the last step's outcome.

use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, NewEvidence, Paged, Result, Store, StoreError, now_text};

/// An order to issue, as the app checked it.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// The incident it is about; its device's enterprise is the addressee.
    pub incident_id: i64,
    /// Short title.
    pub title: String,
    /// What the enterprise must do.
    pub requirement: String,
    /// Deadline, RFC 3339 UTC.
    pub deadline: String,
}

/// A stored order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Order {
    /// Row id.
    pub id: i64,
    /// The incident.
    pub incident_id: i64,
    /// Addressee's 统一社会信用代码.
    pub credit_code: String,
    /// Addressee's name, if still registered.
    pub enterprise: Option<String>,
    /// Addressee's county.
    pub division_code: Option<String>,
    /// Title.
    pub title: String,
    /// Requirement text.
    pub requirement: String,
    /// Current deadline, RFC 3339 UTC.
    pub deadline: String,
    /// issued, replied, returned, accepted or escalated.
    pub state: String,
    /// Issuer.
    pub created_by: Option<i64>,
    /// Issuer's display name.
    pub created_by_name: Option<String>,
    /// When issued.
    pub created_at: String,
    /// Last step.
    pub updated_at: String,
}

/// A step of an order.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrderEvent {
    /// Row id.
    pub id: i64,
    /// The order.
    pub order_id: i64,
    /// issue, reply, return, accept or escalate.
    pub kind: String,
    /// Explanation, reason or note.
    pub note: Option<String>,
    /// The new deadline set by a return.
    pub new_deadline: Option<String>,
    /// Who.
    pub by_user: Option<i64>,
    /// Their display name.
    pub by_name: Option<String>,
    /// When.
    pub at: String,
}

/// An evidence file of a reply, without its content.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct OrderEvidence {
    /// Row id.
    pub id: i64,
    /// The order.
    pub order_id: i64,
    /// The reply it came with.
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

/// Which orders to list; `None` means any.
#[derive(Debug, Clone, Default)]
pub struct OrderFilter {
    /// County.
    pub division_code: Option<String>,
    /// Addressee.
    pub credit_code: Option<String>,
    /// State.
    pub state: Option<String>,
    /// Only orders overdue at this time (RFC 3339 UTC): deadline passed, still issued or returned.
    pub overdue_at: Option<String>,
}

/// A step on an order, as the app checked it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderStep {
    /// The enterprise answers.
    Reply,
    /// Staff send it back with a new deadline.
    Return,
    /// Staff close it.
    Accept,
    /// Staff mark it 转立案.
    Escalate,
}

impl OrderStep {
    fn kind(self) -> &'static str {
        match self {
            OrderStep::Reply => "reply",
            OrderStep::Return => "return",
            OrderStep::Accept => "accept",
            OrderStep::Escalate => "escalate",
        }
    }
    fn action(self) -> &'static str {
        match self {
            OrderStep::Reply => "order.reply",
            OrderStep::Return => "order.return",
            OrderStep::Accept => "order.accept",
            OrderStep::Escalate => "order.escalate",
        }
    }
    fn new_state(self) -> &'static str {
        match self {
            OrderStep::Reply => "replied",
            OrderStep::Return => "returned",
            OrderStep::Accept => "accepted",
            OrderStep::Escalate => "escalated",
        }
    }
    /// The states the step may start from.
    fn allowed_in(self) -> &'static [&'static str] {
        match self {
            OrderStep::Reply => &["issued", "returned"],
            OrderStep::Return | OrderStep::Accept => &["replied"],
            OrderStep::Escalate => &["issued", "replied", "returned"],
        }
    }
}

const ORDER_SELECT: &str = "SELECT o.id, o.incident_id, o.credit_code, e.name AS enterprise, o.division_code, o.title, o.requirement, o.deadline, o.state, \
     o.created_by, u.display_name AS created_by_name, o.created_at, o.updated_at \
     FROM orders o LEFT JOIN enterprises e ON e.credit_code = o.credit_code LEFT JOIN users u ON u.id = o.created_by";

const ORDER_WHERE: &str = "WHERE ($1 IS NULL OR o.division_code = $1) AND ($2 IS NULL OR o.credit_code = $2) AND ($3 IS NULL OR o.state = $3) \
     AND ($4 IS NULL OR (o.deadline < $4 AND o.state IN ('issued', 'returned')))";

macro_rules! order_from_row {
    ($r:expr) => {
        Order {
            id: $r.try_get("id")?,
            incident_id: $r.try_get("incident_id")?,
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            title: $r.try_get("title")?,
            requirement: $r.try_get("requirement")?,
            deadline: $r.try_get("deadline")?,
            state: $r.try_get("state")?,
            created_by: $r.try_get("created_by")?,
            created_by_name: $r.try_get("created_by_name")?,
            created_at: $r.try_get("created_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    };
}

macro_rules! order_evidence_from_row {
    ($r:expr) => {
        OrderEvidence {
            id: $r.try_get("id")?,
            order_id: $r.try_get("order_id")?,
            event_id: $r.try_get("event_id")?,
            file_name: $r.try_get("file_name")?,
            content_type: $r.try_get("content_type")?,
            size_bytes: $r.try_get("size_bytes")?,
            sha256: $r.try_get("sha256")?,
            uploaded_at: $r.try_get("uploaded_at")?,
        }
    };
}

impl Store {
    /// Issues an order on an incident to its device's enterprise (`order.issue`, audited). An
    /// unknown incident is [`StoreError::NotFound`]; one whose device has no enterprise
    /// [`StoreError::Conflict`].
    pub async fn issue_order(&self, n: &NewOrder, actor: &Actor) -> Result<Order> {
        let id: i64 = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let inc = sqlx::query("SELECT i.mn, e.credit_code, e.division_code FROM incidents i LEFT JOIN devices d ON d.mn = i.mn \
                                   LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id WHERE i.id = $1")
                .bind(n.incident_id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("事件 {}", n.incident_id)))?;
            let mn: String = inc.try_get("mn")?;
            let credit: Option<String> = inc.try_get("credit_code")?;
            let division: Option<String> = inc.try_get("division_code")?;
            let credit = credit.ok_or_else(|| StoreError::Conflict(format!("事件 {} 的设备 {mn} 未登记所属企业，无法督办", n.incident_id)))?;
            let now = now_text();
            let id: i64 = sqlx::query("INSERT INTO orders (incident_id, credit_code, division_code, title, requirement, deadline, state, created_by, created_at, updated_at) \
                                       VALUES ($1, $2, $3, $4, $5, $6, 'issued', $7, $8, $8) RETURNING id")
                .bind(n.incident_id).bind(&credit).bind(&division).bind(&n.title).bind(&n.requirement).bind(&n.deadline)
                .bind(actor.user_id).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
            sqlx::query("INSERT INTO order_events (order_id, kind, note, new_deadline, by_user, at) VALUES ($1, 'issue', $2, $3, $4, $5)")
                .bind(id).bind(&n.requirement).bind(&n.deadline).bind(actor.user_id).bind(&now).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, "order.issue", format!("order:{id}"));
            audit.new_value = Some(format!("incident:{} {credit} 期限 {}", n.incident_id, n.deadline));
            audit.detail = Some(format!("{}；要求：{}", n.title, n.requirement));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            id
        });
        self.order(id)
            .await?
            .ok_or_else(|| StoreError::Corrupt(format!("督办单 {id} 写入后未找到")))
    }

    /// Takes a step on an order (audited as `order.reply` / `order.return` / `order.accept` /
    /// `order.escalate`, with one `order.evidence` per file). A step the order's state does not
    /// allow is [`StoreError::Conflict`]; an unknown order [`StoreError::NotFound`].
    pub async fn order_step(
        &self,
        id: i64,
        step: OrderStep,
        note: Option<&str>,
        new_deadline: Option<&str>,
        files: &[NewEvidence],
        actor: &Actor,
    ) -> Result<Order> {
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT state, deadline FROM orders WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?
                .ok_or_else(|| StoreError::NotFound(format!("督办单 {id}")))?;
            let old: String = row.try_get("state")?;
            let old_deadline: String = row.try_get("deadline")?;
            if !step.allowed_in().contains(&old.as_str()) {
                return Err(StoreError::Conflict(format!("督办单 {id} 当前为“{}”，不能{}", crate::labels::order_state(&old), crate::labels::order_event(step.kind()))));
            }
            let now = now_text();
            let deadline = new_deadline.unwrap_or(&old_deadline);
            sqlx::query("UPDATE orders SET state = $1, deadline = $2, updated_at = $3 WHERE id = $4")
                .bind(step.new_state()).bind(deadline).bind(&now).bind(id).execute(&mut *tx).await?;
            let eid: i64 = sqlx::query("INSERT INTO order_events (order_id, kind, note, new_deadline, by_user, at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id")
                .bind(id).bind(step.kind()).bind(note).bind(new_deadline).bind(actor.user_id).bind(&now)
                .fetch_one(&mut *tx).await?.try_get("id")?;
            let mut audit = AuditEntry::ok(actor, step.action(), format!("order:{id}"));
            audit.old_value = Some(old);
            audit.new_value = Some(match new_deadline {
                Some(d) => format!("{} 期限 {d}", step.new_state()),
                None => step.new_state().to_string(),
            });
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            for f in files {
                let sha256 = hex::encode(Sha256::digest(&f.content));
                let size = f.content.len() as i64;
                let fid: i64 = sqlx::query("INSERT INTO order_evidence (order_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_by, uploaded_at, content) \
                                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
                    .bind(id).bind(eid).bind(&f.file_name).bind(&f.content_type).bind(size).bind(&sha256).bind(actor.user_id).bind(&now).bind(f.content.as_slice())
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                let mut a = AuditEntry::ok(actor, "order.evidence", format!("order:{id}")).with_new(f.file_name.clone());
                a.detail = Some(format!("evidence:{fid} type={} size={size} sha256={sha256}", f.content_type));
                insert_audit!(&mut *tx, &a);
            }
            tx.commit().await?;
        });
        self.order(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("督办单 {id}")))
    }

    /// One order.
    pub async fn order(&self, id: i64) -> Result<Option<Order>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{ORDER_SELECT} WHERE o.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(order_from_row!(r)),
                None => None,
            }
        }))
    }

    /// One page of orders, newest first.
    pub async fn orders_paged(
        &self,
        f: &OrderFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<Order>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query(&format!("SELECT COUNT(*) AS n FROM orders o {ORDER_WHERE}"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.overdue_at)
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{ORDER_SELECT} {ORDER_WHERE} ORDER BY o.id DESC LIMIT $5 OFFSET $6"))
                .bind(&f.division_code).bind(&f.credit_code).bind(&f.state).bind(&f.overdue_at)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(order_from_row!(r));
            }
            Paged { items, total }
        }))
    }

    /// Orders overdue at `now` (RFC 3339 UTC) per county (`None`: enterprise without county),
    /// counties in code order.
    pub async fn overdue_orders_by_county(&self, now: &str) -> Result<Vec<(Option<String>, i64)>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT division_code, COUNT(*) AS n FROM orders WHERE deadline < $1 AND state IN ('issued', 'returned') \
                                    GROUP BY division_code ORDER BY division_code")
                .bind(now).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("division_code")?, r.try_get("n")?));
            }
            out
        }))
    }

    /// The steps of an order, oldest first.
    pub async fn order_events(&self, order_id: i64) -> Result<Vec<OrderEvent>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT v.id, v.order_id, v.kind, v.note, v.new_deadline, v.by_user, u.display_name AS by_name, v.at \
                                    FROM order_events v LEFT JOIN users u ON u.id = v.by_user WHERE v.order_id = $1 ORDER BY v.id")
                .bind(order_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(OrderEvent { id: r.try_get("id")?, order_id: r.try_get("order_id")?, kind: r.try_get("kind")?, note: r.try_get("note")?,
                    new_deadline: r.try_get("new_deadline")?, by_user: r.try_get("by_user")?, by_name: r.try_get("by_name")?, at: r.try_get("at")? });
            }
            out
        }))
    }

    /// The evidence files of an order's replies.
    pub async fn order_evidence(&self, order_id: i64) -> Result<Vec<OrderEvidence>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, order_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at FROM order_evidence WHERE order_id = $1 ORDER BY id")
                .bind(order_id).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(order_evidence_from_row!(r));
            }
            out
        }))
    }

    /// One evidence file of an order with its content.
    pub async fn order_evidence_file(&self, id: i64) -> Result<Option<(OrderEvidence, Vec<u8>)>> {
        Ok(with_pool!(self, p => {
            match sqlx::query("SELECT id, order_id, event_id, file_name, content_type, size_bytes, sha256, uploaded_at, content FROM order_evidence WHERE id = $1")
                .bind(id).fetch_optional(p).await? {
                Some(r) => Some((order_evidence_from_row!(r), r.try_get("content")?)),
                None => None,
            }
        }))
    }
}
