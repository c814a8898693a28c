//! Incidents (事件): the alarm centre's unit of work. Lists with filters and paging within what
//! the user may see, one incident with its alarms and evidence frames, bulk handling by staff
//! (确认, 指派, 关闭), and the calls other features use: re-opening an incident (a rejected data
//! mark) and counting open incidents per county (the cockpit).
//!
//! 超标倍数 = (C − S) / S with C the peak hourly value and S the hourly limit in force when the
//! incident started (../shared/reference/air.md, 超标倍数 B = (C − S)/S), computed exactly by
//! `qingshan_sources::supervision::exceed_multiple` (qingshan-exact ratios, two decimals, half
//! away from zero).
//!
//! A missing hour (no record: the device was offline) inside a run does not end an incident:
//! missing data are no evidence of compliance, and the outage is an incident of its own kind
//! (离线). It is not counted as an hour over the limit either. One hour with a compliant record
//! ends the incident.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use qingshan_sources::supervision::{AlarmKind, exceed_multiple};
use qingshan_store::{
    Actor, Alarm, EvidenceFrame, Incident, IncidentAction, IncidentFilter, Paged, Role, Store, User,
};
use serde::Serialize;

use crate::sources::alarm_scope;
use crate::{Error, Result};

/// Incident states, as stored, in their order.
pub const STATES: [&str; 4] = ["open", "acknowledged", "assigned", "closed"];

/// Most incidents one bulk action may handle.
pub const BULK_MAX: usize = 200;

/// Most evidence frames shown for one incident.
pub const FRAMES_MAX: i64 = 500;

/// The list filters as they come from a form or query string (empty means any).
#[derive(Debug, Clone, Default, serde::Deserialize, Serialize)]
pub struct IncidentQuery {
    /// County (GB/T 2260); county officials always see only their own.
    pub county: Option<String>,
    /// Enterprise 统一社会信用代码.
    pub enterprise: Option<String>,
    /// Kind (exceedance, offline, device_fault, frozen, annual_total).
    pub kind: Option<String>,
    /// State (open, acknowledged, assigned, closed).
    pub status: Option<String>,
    /// Started on or after (YYYY-MM-DD, Beijing).
    pub from: Option<String>,
    /// Started on or before (YYYY-MM-DD, Beijing).
    pub to: Option<String>,
}

fn given(v: &Option<String>) -> Option<String> {
    v.as_deref()
        .map(str::trim)
        .filter(|v| !v.is_empty())
        .map(str::to_string)
}

fn date(field: &str, v: &Option<String>) -> Result<Option<String>> {
    match given(v) {
        None => Ok(None),
        Some(d) => match NaiveDate::parse_from_str(&d, "%Y-%m-%d") {
            Ok(n) => Ok(Some(n.format("%Y-%m-%d").to_string())),
            Err(_) => Err(Error::invalid(
                field,
                format!("日期“{d}”无法识别，应为 年-月-日（如 2026-03-01）"),
            )),
        },
    }
}

/// The filter a query asks for, within what the user may see. Unknown kinds, states or dates are
/// [`Error::Invalid`] naming the field.
pub fn incident_filter(user: Option<&User>, q: &IncidentQuery) -> Result<IncidentFilter> {
    // An enterprise account sees its own incidents, whatever the query names.
    if let Some(code) = user.and_then(crate::scope::confined_to) {
        let mut f = validate(q)?;
        f.credit_code = Some(code.to_string());
        return Ok(f);
    }
    let scope = alarm_scope(user)?;
    let mut f = validate(q)?;
    if scope.is_some() {
        f.division_code = scope;
    }
    Ok(f)
}

/// The filter a query asks for, before the user's scope is applied.
fn validate(q: &IncidentQuery) -> Result<IncidentFilter> {
    let kind = given(&q.kind);
    if let Some(k) = &kind
        && AlarmKind::parse(k).is_none()
    {
        return Err(Error::invalid("kind", format!("没有“{k}”这种事件类型")));
    }
    let status = given(&q.status);
    if let Some(s) = &status
        && !STATES.contains(&s.as_str())
    {
        return Err(Error::invalid("status", format!("没有“{s}”这种处理状态")));
    }
    let from_day = date("from", &q.from)?;
    let to_day = date("to", &q.to)?;
    if let (Some(f), Some(t)) = (&from_day, &to_day)
        && f > t
    {
        return Err(Error::invalid("to", "结束日期早于开始日期"));
    }
    Ok(IncidentFilter {
        division_code: given(&q.county),
        credit_code: given(&q.enterprise),
        kind,
        status,
        from_day,
        to_day,
        mn: None,
    })
}

/// One page of the incidents a query selects for the user.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    q: &IncidentQuery,
    limit: i64,
    offset: i64,
) -> Result<Paged<Incident>> {
    let filter = incident_filter(user, q)?;
    Ok(store.incidents_paged(&filter, limit, offset).await?)
}

/// The 超标倍数 of an incident's peak over its limit, exactly; `None` when either is missing.
pub fn multiple(i: &Incident) -> Option<String> {
    let peak = i.peak.as_deref()?.parse().ok()?;
    let limit = i.limit_value.as_deref()?.parse().ok()?;
    Some(exceed_multiple(peak, limit)).filter(|m| m != "—")
}

/// One incident with its alarms and the archived frames of its hours.
#[derive(Debug, Clone, Serialize)]
pub struct IncidentDetail {
    /// The incident.
    pub incident: Incident,
    /// 超标倍数 of the peak, if it has a limit.
    pub multiple: Option<String>,
    /// Its alarms, oldest first.
    pub alarms: Vec<Alarm>,
    /// The archived hourly frames from start to end (or last time), as evidence.
    pub frames: Vec<EvidenceFrame>,
}

/// One incident, if the user may see it (a county official: their county's only).
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<IncidentDetail> {
    let enterprise = user.and_then(crate::scope::confined_to);
    let scope = match enterprise {
        Some(_) => None,
        None => alarm_scope(user)?,
    };
    let incident = store
        .incident(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的事件")))?;
    if let Some(code) = enterprise
        && incident.credit_code.as_deref() != Some(code)
    {
        return Err(Error::Forbidden("该事件不属于本单位".into()));
    }
    if let Some(county) = scope
        && incident.division_code.as_deref() != Some(county.as_str())
    {
        return Err(Error::Forbidden("该事件不属于本区县的排污单位".into()));
    }
    let alarms = store.incident_alarms(id).await?;
    // Hour-based rules are judged on hourly data (2061); their DataTimes bound the frames.
    let frames = if incident.start_time.len() == 14 && incident.last_time.len() == 14 {
        store
            .evidence_frames(
                &incident.mn,
                "2061",
                &incident.start_time,
                incident.end_time.as_deref().unwrap_or(&incident.last_time),
                FRAMES_MAX,
            )
            .await?
    } else {
        Vec::new()
    };
    Ok(IncidentDetail {
        multiple: multiple(&incident),
        incident,
        alarms,
        frames,
    })
}

/// What one bulk action did to one incident.
#[derive(Debug, Clone, Serialize)]
pub struct BulkOutcome {
    /// The incident.
    pub id: i64,
    /// Whether it moved.
    pub ok: bool,
    /// Why not, in Chinese.
    pub error: Option<String>,
}

/// Whether the user is bureau staff, who handle incidents.
pub fn may_handle(user: Option<&User>) -> Result<()> {
    match user.map(|u| u.role) {
        None => Err(Error::Unauthenticated),
        Some(Role::Admin | Role::Staff) => Ok(()),
        Some(_) => Err(Error::Forbidden(
            "事件仅由生态环境局工作人员批量处理".into(),
        )),
    }
}

/// Parses a bulk action name (`acknowledge`, `assign`, `close`) with its assignee.
pub fn parse_action(action: &str, assignee: Option<i64>) -> Result<IncidentAction> {
    match action {
        "acknowledge" => Ok(IncidentAction::Acknowledge),
        "close" => Ok(IncidentAction::Close),
        "assign" => assignee
            .map(IncidentAction::Assign)
            .ok_or_else(|| Error::invalid("assignee", "指派须选择处理人")),
        other => Err(Error::invalid(
            "action",
            format!("没有“{other}”这种操作，可选：确认、指派、关闭"),
        )),
    }
}

/// Applies one action to several incidents (staff only), each audited on its own. Closing needs
/// a note; assignment a staff user. An incident that cannot move (already closed, unknown) is
/// reported in its outcome and the others still move.
pub async fn bulk(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    ids: &[i64],
    action: &IncidentAction,
    note: Option<&str>,
) -> Result<Vec<BulkOutcome>> {
    may_handle(user)?;
    if ids.is_empty() {
        return Err(Error::invalid("ids", "请至少勾选一个事件"));
    }
    if ids.len() > BULK_MAX {
        return Err(Error::invalid(
            "ids",
            format!("一次最多处理 {BULK_MAX} 个事件"),
        ));
    }
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if *action == IncidentAction::Close && note.is_none() {
        return Err(Error::invalid("note", "关闭事件须填写处置说明"));
    }
    if let IncidentAction::Assign(uid) = action {
        let ok = store.user_by_id(*uid).await?.is_some_and(|u| {
            u.active && matches!(u.role, Role::Admin | Role::Staff | Role::County)
        });
        if !ok {
            return Err(Error::invalid("assignee", "处理人须为在用的工作人员账号"));
        }
    }
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let r = store.transition_incident(*id, action, note, actor).await;
        out.push(match r {
            Ok(_) => BulkOutcome {
                id: *id,
                ok: true,
                error: None,
            },
            Err(e) => BulkOutcome {
                id: *id,
                ok: false,
                error: Some(e.to_string()),
            },
        });
    }
    Ok(out)
}

/// Re-opens an incident (for other features: a rejected data mark restores the judgement), with
/// the reason audited. Incidents already open are left alone and returned as they are.
pub async fn reopen(store: &Store, actor: &Actor, id: i64, reason: &str) -> Result<Incident> {
    let i = store
        .incident(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的事件")))?;
    if i.status == "open" {
        return Ok(i);
    }
    Ok(store
        .transition_incident(id, &IncidentAction::Reopen, Some(reason), actor)
        .await?)
}

/// The incidents of a device and factor that overlap a DataTime range (`YYYYMMDDHHMMSS`, both
/// ends included), for features that change the judgement of those hours (data marks).
pub async fn touching(
    store: &Store,
    mn: &str,
    factor: Option<&str>,
    from: &str,
    to: &str,
) -> Result<Vec<Incident>> {
    let filter = IncidentFilter {
        mn: Some(mn.to_string()),
        ..IncidentFilter::default()
    };
    let all = store.incidents_paged(&filter, 10_000, 0).await?;
    Ok(all
        .items
        .into_iter()
        .filter(|i| factor.is_none_or(|f| f == i.factor))
        .filter(|i| i.start_time.as_str() <= to)
        .filter(|i| i.end_time.as_deref().unwrap_or(&i.last_time) >= from)
        .collect())
}

/// Incidents waiting to be handled (待处理) per county (GB/T 2260), for the cockpit.
pub async fn open_by_county(store: &Store) -> Result<BTreeMap<String, i64>> {
    Ok(store
        .open_incidents_by_county()
        .await?
        .into_iter()
        .filter_map(|(c, n)| c.map(|c| (c, n)))
        .collect())
}

/// Incidents waiting to be handled (待处理) in a scope (all counties, or one).
pub async fn open_count(store: &Store, division_code: Option<&str>) -> Result<i64> {
    Ok(store
        .count_incidents(&IncidentFilter {
            division_code: division_code.map(str::to_string),
            status: Some("open".into()),
            ..IncidentFilter::default()
        })
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bad_filters_are_named_in_chinese() {
        let q = IncidentQuery {
            from: Some("2026/3/1".into()),
            ..IncidentQuery::default()
        };
        match validate(&q) {
            Err(Error::Invalid { field, message }) => {
                assert_eq!(field, "from");
                assert!(message.contains("2026/3/1"), "{message}");
            }
            other => panic!("{other:?}"),
        }
        let q = IncidentQuery {
            status: Some("done".into()),
            ..IncidentQuery::default()
        };
        assert!(matches!(validate(&q), Err(Error::Invalid { .. })));
        assert!(matches!(
            parse_action("assign", None),
            Err(Error::Invalid { .. })
        ));
    }
}
