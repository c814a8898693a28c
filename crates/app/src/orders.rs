//! 督办单: staff turn an incident into an order to the incident's enterprise with a deadline;
//! the enterprise replies with an explanation and evidence; staff accept (办结), return (with a
//! reason and a later deadline) or escalate (转立案: opening a case, `crate::cases::open`). Who may do what is decided here, once,
//! for pages, API and CLI. Clocks are parameters (`now`) so tests control time.

use chrono::{DateTime, Utc};
use qingshan_store::{
    Actor, NewEvidence, NewOrder, Order, OrderEvent, OrderFilter, OrderStep, Paged, Role, Store,
    StoreError, User,
};

use crate::marks::stored_time;
use crate::{Error, Result};

/// Longest title, characters.
pub const MAX_TITLE_CHARS: usize = 100;
/// Longest requirement, reply or note, characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// Who may issue, return, accept and escalate orders: the bureau's staff and administrators.
pub fn may_handle(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "督办单仅由生态环境局工作人员下发和处理".into(),
        )),
    }
}

/// Which orders the user may list: `(county, credit code)` to confine to. Staff see all, a
/// county official their county, an enterprise account its own; others are refused.
pub fn list_scope(user: Option<&User>) -> Result<(Option<String>, Option<String>)> {
    crate::scope::enforcement_scope(user, "督办单")
}

/// Whether an order is overdue at `now`: its deadline passed while it waits for an answer.
pub fn is_overdue(o: &Order, now: DateTime<Utc>) -> bool {
    matches!(o.state.as_str(), "issued" | "returned") && o.deadline < stored_time(now)
}

fn text(field: &str, label: &str, value: &str, max: usize) -> Result<String> {
    let v = value.trim();
    if v.is_empty() {
        return Err(Error::invalid(field, format!("请填写{label}")));
    }
    if v.chars().count() > max {
        return Err(Error::invalid(
            field,
            format!("{label}最多 {max} 个字，现为 {} 个字", v.chars().count()),
        ));
    }
    Ok(v.to_string())
}

fn later_than_now(field: &str, deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<String> {
    if deadline <= now {
        return Err(Error::invalid(field, "办理期限应晚于当前时间"));
    }
    Ok(stored_time(deadline))
}

fn store_err(id: i64, e: StoreError) -> Error {
    match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {id} 的督办单")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    }
}

/// Issues an order on incident `incident_id` (staff only); the incident's enterprise is the
/// addressee.
#[allow(clippy::too_many_arguments)]
pub async fn issue(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    incident_id: i64,
    title: &str,
    requirement: &str,
    deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Order> {
    may_handle(user)?;
    let n = NewOrder {
        incident_id,
        title: text("title", "督办事项", title, MAX_TITLE_CHARS)?,
        requirement: text("requirement", "督办要求", requirement, MAX_TEXT_CHARS)?,
        deadline: later_than_now("deadline", deadline, now)?,
    };
    store.issue_order(&n, actor).await.map_err(|e| match e {
        StoreError::NotFound(_) => Error::NotFound(format!("没有编号为 {incident_id} 的事件")),
        StoreError::Conflict(m) => Error::Conflict(m),
        other => other.into(),
    })
}

/// One page of the orders the user may see, with `filter`'s state/county/overdue asked for.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    mut filter: OrderFilter,
    limit: i64,
    offset: i64,
) -> Result<Paged<Order>> {
    let (county, code) = list_scope(user)?;
    if county.is_some() {
        filter.division_code = county;
    }
    if code.is_some() {
        filter.credit_code = code;
    }
    Ok(store.orders_paged(&filter, limit, offset).await?)
}

/// One order with its steps, if the user may see it: staff any, a county official their
/// county's, the addressed enterprise its own.
pub async fn get(store: &Store, user: Option<&User>, id: i64) -> Result<(Order, Vec<OrderEvent>)> {
    let (county, code) = list_scope(user)?;
    let o = store
        .order(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的督办单")))?;
    if code.is_some_and(|c| c != o.credit_code) {
        return Err(Error::Forbidden("该督办单不是下发给本单位的".into()));
    }
    if county.is_some() && county != o.division_code {
        return Err(Error::Forbidden("该督办单不属于本区县".into()));
    }
    let events = store.order_events(id).await?;
    Ok((o, events))
}

/// The enterprise's reply with its evidence (already checked by
/// [`crate::evidence::check_files`]): only the addressed enterprise, only while the order waits
/// for an answer.
pub async fn reply(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    explanation: &str,
    files: &[NewEvidence],
) -> Result<Order> {
    let u = user.ok_or(Error::Unauthenticated)?;
    let own = crate::scope::confined_to(u)
        .ok_or_else(|| Error::Forbidden("督办单只能由被督办单位答复".into()))?;
    let o = store
        .order(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的督办单")))?;
    if o.credit_code != own {
        return Err(Error::Forbidden("该督办单不是下发给本单位的".into()));
    }
    let note = text("explanation", "答复说明", explanation, MAX_TEXT_CHARS)?;
    store
        .order_step(id, OrderStep::Reply, Some(&note), None, files, actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Sends a reply back (staff only) with a reason and a new deadline later than `now`.
pub async fn send_back(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    reason: &str,
    new_deadline: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<Order> {
    may_handle(user)?;
    let reason = text("reason", "退回理由", reason, MAX_TEXT_CHARS)?;
    let d = later_than_now("new_deadline", new_deadline, now)?;
    store
        .order_step(id, OrderStep::Return, Some(&reason), Some(&d), &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

/// Accepts a reply and closes the order (staff only), with an optional note.
pub async fn accept(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    note: Option<&str>,
) -> Result<Order> {
    may_handle(user)?;
    let note = optional(note)?;
    store
        .order_step(id, OrderStep::Accept, note.as_deref(), None, &[], actor)
        .await
        .map_err(|e| store_err(id, e))
}

fn optional(note: Option<&str>) -> Result<Option<String>> {
    match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => text("note", "意见", n, MAX_TEXT_CHARS).map(Some),
        None => Ok(None),
    }
}

/// Overdue orders per county at `now`, within what the user may see (a county official only
/// their county; staff all). Enterprise accounts are refused: the count is the bureau's.
pub async fn overdue_by_county(
    store: &Store,
    user: Option<&User>,
    now: DateTime<Utc>,
) -> Result<Vec<(Option<String>, i64)>> {
    let (county, code) = list_scope(user)?;
    if code.is_some() {
        return Err(Error::Forbidden("逾期统计仅向生态环境局和区县开放".into()));
    }
    let all = store.overdue_orders_by_county(&stored_time(now)).await?;
    Ok(match county {
        Some(c) => all
            .into_iter()
            .filter(|(d, _)| d.as_deref() == Some(c.as_str()))
            .collect(),
        None => all,
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn user(role: Role, division: Option<&str>, credit: Option<&str>) -> User {
        User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role,
            unit_id: None,
            division_code: division.map(str::to_string),
            credit_code: credit.map(str::to_string),
            active: true,
            must_change_password: false,
        }
    }

    #[test]
    fn only_staff_handle_and_each_role_sees_its_part() {
        let staff = user(Role::Staff, None, None);
        let county = user(Role::County, Some("140902"), None);
        let ent = user(Role::Enterprise, None, Some("A"));
        let reporter = user(Role::Reporter, None, None);
        assert!(may_handle(Some(&staff)).is_ok());
        for u in [&county, &ent, &reporter] {
            assert_eq!(may_handle(Some(u)).unwrap_err().kind(), "forbidden");
        }
        assert_eq!(list_scope(Some(&staff)).unwrap(), (None, None));
        assert_eq!(
            list_scope(Some(&county)).unwrap(),
            (Some("140902".into()), None)
        );
        assert_eq!(list_scope(Some(&ent)).unwrap(), (None, Some("A".into())));
        assert!(list_scope(Some(&reporter)).is_err());
    }

    #[test]
    fn overdue_means_unanswered_past_the_deadline() {
        let now = crate::marks::parse_time("t", "2026-03-06T00:00:00Z").unwrap();
        let mut o = Order {
            id: 1,
            incident_id: 1,
            credit_code: "A".into(),
            enterprise: None,
            division_code: None,
            title: "t".into(),
            requirement: "r".into(),
            deadline: "2026-03-05T00:00:00Z".into(),
            state: "issued".into(),
            created_by: None,
            created_by_name: None,
            created_at: String::new(),
            updated_at: String::new(),
        };
        assert!(is_overdue(&o, now));
        o.state = "replied".into();
        assert!(!is_overdue(&o, now));
        o.state = "returned".into();
        o.deadline = "2026-03-07T00:00:00Z".into();
        assert!(!is_overdue(&o, now));
    }

    #[test]
    fn a_deadline_must_lie_ahead() {
        let now = crate::marks::parse_time("t", "2026-03-06T00:00:00Z").unwrap();
        assert!(later_than_now("d", now, now).is_err());
        assert!(text("r", "退回理由", "  ", 10).is_err());
    }
}
