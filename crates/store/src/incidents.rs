//! Incidents (事件): consecutive alarms of one device, kind and factor grouped into one episode
//! that staff handle as a whole (确认, 指派, 关闭), with its hours and evidence frames.
//!
//! An alarm joins the latest unclosed incident of its device, kind and factor when it starts at
//! most one hour after that incident's last time (or while the incident is still going on);
//! otherwise it opens a new incident. The grouping is kept inside the transaction that raises
//! or updates the alarm, so lists, counts and paging are plain queries.

use chrono::{DateTime, Duration, NaiveDateTime};
use qingshan_plan::Decimal;
use serde::Serialize;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Result, Store, StoreError, now_text};

/// A stored incident.
#[derive(Debug, Clone, Serialize)]
pub struct Incident {
    /// Row id.
    pub id: i64,
    /// Rule code of its alarms: exceedance, offline, device_fault, frozen, annual_total.
    pub kind: String,
    /// Device (MN).
    pub mn: String,
    /// Factor code ("" for device-wide rules).
    pub factor: String,
    /// Start, in the form of its first alarm (DataTime, or a timestamp for offline).
    pub start_time: String,
    /// The start's date in Beijing time.
    pub start_day: String,
    /// End; `None` while it goes on.
    pub end_time: Option<String>,
    /// The latest time its alarms reached.
    pub last_time: String,
    /// Peak value.
    pub peak: Option<String>,
    /// When the peak occurred.
    pub peak_time: Option<String>,
    /// The hourly limit in force when it started (exceedances).
    pub limit_value: Option<String>,
    /// Records over the limit (or flagged) in its alarms.
    pub hours: i64,
    /// Alarms grouped in it.
    pub alarm_count: i64,
    /// open, acknowledged, assigned or closed.
    pub status: String,
    /// The staff user it is assigned to.
    pub assignee: Option<i64>,
    /// The assignee's display name.
    pub assignee_name: Option<String>,
    /// When the incident was opened.
    pub opened_at: String,
    /// Last change.
    pub updated_at: String,
    /// When closed.
    pub closed_at: Option<String>,
    /// The last handling note (closing or assignment note).
    pub note: Option<String>,
    /// Enterprise name.
    pub enterprise: Option<String>,
    /// Enterprise 统一社会信用代码.
    pub credit_code: Option<String>,
    /// Outlet name.
    pub outlet: Option<String>,
    /// The enterprise's county (GB/T 2260).
    pub division_code: Option<String>,
    /// What its latest alarm says, in words.
    pub context: Option<String>,
}

/// Which incidents to list.
#[derive(Debug, Clone, Default)]
pub struct IncidentFilter {
    /// Only this county's enterprises.
    pub division_code: Option<String>,
    /// Only this enterprise (统一社会信用代码).
    pub credit_code: Option<String>,
    /// Only this kind.
    pub kind: Option<String>,
    /// Only this status.
    pub status: Option<String>,
    /// Only incidents starting on or after this date (YYYY-MM-DD, Beijing).
    pub from_day: Option<String>,
    /// Only incidents starting on or before this date (YYYY-MM-DD, Beijing).
    pub to_day: Option<String>,
    /// Only this device.
    pub mn: Option<String>,
}

/// A handling step on an incident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IncidentAction {
    /// 确认: open → acknowledged.
    Acknowledge,
    /// 指派 to a staff user: any unclosed state → assigned.
    Assign(i64),
    /// 关闭 with a note: any unclosed state → closed.
    Close,
    /// 重新打开 (e.g. a data mark was rejected): closed or handled → open.
    Reopen,
}

impl IncidentAction {
    /// The audit action string.
    pub fn audit_action(&self) -> &'static str {
        match self {
            IncidentAction::Acknowledge => "incident.acknowledge",
            IncidentAction::Assign(_) => "incident.assign",
            IncidentAction::Close => "incident.close",
            IncidentAction::Reopen => "incident.reopen",
        }
    }
}

/// An archived frame that is evidence of an incident.
#[derive(Debug, Clone, Serialize)]
pub struct EvidenceFrame {
    /// The raw archive's row id.
    pub id: i64,
    /// Device.
    pub mn: Option<String>,
    /// Command code.
    pub cn: Option<String>,
    /// DataTime of the frame.
    pub data_time: Option<String>,
    /// When it was received (stored form).
    pub received_at: String,
    /// SHA-256 of the frame's bytes, hex.
    pub sha256: String,
}

const INCIDENT_SELECT: &str = "SELECT i.id, i.kind, i.mn, i.factor, i.start_time, i.start_day, i.end_time, i.last_time, i.peak, i.peak_time, \
     i.limit_value, i.hours, i.alarm_count, i.status, i.assignee, u.display_name AS assignee_name, i.opened_at, i.updated_at, i.closed_at, i.note, \
     e.name AS enterprise, e.credit_code, o.name AS outlet, e.division_code, \
     (SELECT a.context FROM alarms a WHERE a.incident_id = i.id ORDER BY a.id DESC LIMIT 1) AS context \
     FROM incidents i LEFT JOIN users u ON u.id = i.assignee LEFT JOIN devices d ON d.mn = i.mn \
     LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id";

const INCIDENT_WHERE: &str = "WHERE ($1 IS NULL OR e.division_code = $1) AND ($2 IS NULL OR e.credit_code = $2) AND ($3 IS NULL OR i.kind = $3) \
     AND ($4 IS NULL OR i.status = $4) AND ($5 IS NULL OR i.start_day >= $5) AND ($6 IS NULL OR i.start_day <= $6) AND ($7 IS NULL OR i.mn = $7)";

macro_rules! incident_from_row {
    ($r:expr) => {
        Incident {
            id: $r.try_get("id")?,
            kind: $r.try_get("kind")?,
            mn: $r.try_get("mn")?,
            factor: $r.try_get("factor")?,
            start_time: $r.try_get("start_time")?,
            start_day: $r.try_get("start_day")?,
            end_time: $r.try_get("end_time")?,
            last_time: $r.try_get("last_time")?,
            peak: $r.try_get("peak")?,
            peak_time: $r.try_get("peak_time")?,
            limit_value: $r.try_get("limit_value")?,
            hours: $r.try_get("hours")?,
            alarm_count: $r.try_get("alarm_count")?,
            status: $r.try_get("status")?,
            assignee: $r.try_get("assignee")?,
            assignee_name: $r.try_get("assignee_name")?,
            opened_at: $r.try_get("opened_at")?,
            updated_at: $r.try_get("updated_at")?,
            closed_at: $r.try_get("closed_at")?,
            note: $r.try_get("note")?,
            enterprise: $r.try_get("enterprise")?,
            credit_code: $r.try_get("credit_code")?,
            outlet: $r.try_get("outlet")?,
            division_code: $r.try_get("division_code")?,
            context: $r.try_get("context")?,
        }
    };
}

macro_rules! bind_filter {
    ($q:expr, $f:expr) => {
        $q.bind(&$f.division_code)
            .bind(&$f.credit_code)
            .bind(&$f.kind)
            .bind(&$f.status)
            .bind(&$f.from_day)
            .bind(&$f.to_day)
            .bind(&$f.mn)
    };
}

/// A time as stored on alarms (DataTime `YYYYMMDDHHMMSS` in Beijing time, or RFC 3339, or
/// `never:<RFC 3339>` for devices that never reported), as Beijing local time.
pub(crate) fn beijing_time(t: &str) -> Option<NaiveDateTime> {
    let t = t.strip_prefix("never:").unwrap_or(t);
    if let Ok(n) = NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S") {
        return Some(n);
    }
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|d| d.naive_utc() + Duration::hours(8))
}

/// The Beijing date of a stored time; the first characters for forms that are not times (an
/// annual-total alarm's `2026-80`).
pub(crate) fn start_day(t: &str) -> String {
    match beijing_time(t) {
        Some(n) => n.format("%Y-%m-%d").to_string(),
        None => format!("{}-01-01", t.get(..4).unwrap_or("0000")),
    }
}

/// Whether an alarm starting at `start` continues an incident last seen at `last`: at most one
/// hour later. One compliant hour between them (two hours apart) ends the incident. Forms that
/// are not times never continue anything.
pub(crate) fn continues(last: &str, start: &str) -> bool {
    match (beijing_time(last), beijing_time(start)) {
        (Some(l), Some(s)) => s <= l + Duration::hours(1),
        _ => false,
    }
}

/// Member alarms of an incident, as (start, end, peak, peak_time, records).
pub(crate) type Member = (String, Option<String>, Option<String>, Option<String>, i64);

/// The incident's figures from its alarms: start, end (None while any goes on), last time,
/// peak and its time, hours. Alarms that overlap (a run re-found from a later look-back window)
/// count their records once: the larger of the overlapping ones.
#[allow(clippy::type_complexity)]
pub(crate) fn aggregate(
    members: &[Member],
) -> (
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    i64,
) {
    let mut sorted: Vec<&Member> = members.iter().collect();
    sorted.sort_by_key(|m| beijing_time(&m.0));
    let start = sorted.first().map(|m| m.0.clone()).unwrap_or_default();
    let ongoing = sorted.iter().any(|m| m.1.is_none());
    let last_of = |m: &Member| -> String {
        let mut t = m.1.clone().unwrap_or_else(|| m.0.clone());
        if let Some(p) = &m.3
            && beijing_time(p) > beijing_time(&t)
        {
            t = p.clone();
        }
        t
    };
    let mut last = start.clone();
    let mut hours = 0;
    let mut group_last: Option<String> = None;
    let mut group_hours = 0;
    for m in &sorted {
        let l = last_of(m);
        match &group_last {
            Some(g) if beijing_time(&m.0) <= beijing_time(g) => {
                group_hours = group_hours.max(m.4);
                if beijing_time(&l) > beijing_time(g) {
                    group_last = Some(l.clone());
                }
            }
            _ => {
                hours += group_hours;
                group_hours = m.4;
                group_last = Some(l.clone());
            }
        }
        if beijing_time(&l) > beijing_time(&last) {
            last = l;
        }
    }
    hours += group_hours;
    let end = if ongoing {
        None
    } else {
        sorted
            .iter()
            .filter_map(|m| m.1.clone())
            .max_by_key(|e| beijing_time(e))
    };
    let peak = sorted
        .iter()
        .filter_map(|m| {
            let v = m.2.as_deref()?.parse::<Decimal>().ok()?;
            Some((v, m.2.clone(), m.3.clone()))
        })
        .max_by(|a, b| a.0.cmp(&b.0));
    let (peak, peak_time) = peak.map(|p| (p.1, p.2)).unwrap_or((None, None));
    (start, end, last, peak, peak_time, hours)
}

/// Puts an alarm into its incident (joining or opening one) and brings the incident's figures
/// up to date, inside the caller's transaction. Yields the incident id.
macro_rules! attach_incident {
    ($tx:expr, $alarm_id:expr, $now:expr) => {{
        let alarm_id: i64 = $alarm_id;
        let now: &str = $now;
        let a = sqlx::query("SELECT kind, mn, factor, start_time, end_time, incident_id FROM alarms WHERE id = $1")
            .bind(alarm_id).fetch_one(&mut *$tx).await?;
        let kind: String = a.try_get("kind")?;
        let mn: String = a.try_get("mn")?;
        let factor: String = a.try_get("factor")?;
        let start: String = a.try_get("start_time")?;
        let alarm_end: Option<String> = a.try_get("end_time")?;
        let existing: Option<i64> = a.try_get("incident_id")?;
        let incident_id = match existing {
            Some(id) => id,
            None => {
                let candidates = sqlx::query("SELECT id, start_time, end_time, last_time FROM incidents WHERE kind = $1 AND mn = $2 AND factor = $3 AND status <> 'closed' \
                                              ORDER BY id DESC LIMIT 50")
                    .bind(&kind).bind(&mn).bind(&factor).fetch_all(&mut *$tx).await?;
                let mut joined: Option<i64> = None;
                for r in &candidates {
                    let i_start: String = r.try_get("start_time")?;
                    let i_end: Option<String> = r.try_get("end_time")?;
                    let i_last: String = r.try_get("last_time")?;
                    // The two periods overlap or touch within an hour, on either side (alarms
                    // may be raised out of order when older data arrive late).
                    let after_ok = i_end.is_none() || $crate::incidents::continues(&i_last, &start);
                    let a_last = alarm_end.clone().unwrap_or_else(|| start.clone());
                    let before_ok = alarm_end.is_none() || $crate::incidents::continues(&a_last, &i_start);
                    if after_ok && before_ok {
                        joined = Some(r.try_get("id")?);
                        break;
                    }
                }
                match joined {
                    Some(id) => id,
                    None => {
                        let day = $crate::incidents::start_day(&start);
                        let limit: Option<String> = if kind == "exceedance" {
                            sqlx::query("SELECT l.hourly_limit FROM devices d JOIN permit_limits l ON l.outlet_id = d.outlet_id \
                                         JOIN permits pm ON pm.id = l.permit_id WHERE d.mn = $1 AND l.factor_code = $2 \
                                         AND pm.valid_from <= $3 AND pm.valid_to >= $3 ORDER BY pm.valid_from DESC LIMIT 1")
                                .bind(&mn).bind(&factor).bind(&day).fetch_optional(&mut *$tx).await?
                                .map(|r| r.try_get::<Option<String>, _>("hourly_limit")).transpose()?.flatten()
                        } else {
                            None
                        };
                        let id: i64 = sqlx::query("INSERT INTO incidents (kind, mn, factor, start_time, start_day, last_time, limit_value, status, opened_at, updated_at) \
                                                   VALUES ($1, $2, $3, $4, $5, $4, $6, 'open', $7, $7) RETURNING id")
                            .bind(&kind).bind(&mn).bind(&factor).bind(&start).bind(&day).bind(&limit).bind(now)
                            .fetch_one(&mut *$tx).await?.try_get("id")?;
                        let mut audit = $crate::AuditEntry::ok(&$crate::Actor::system(), "incident.open", format!("incident:{id}"));
                        audit.new_value = Some(format!("{kind} {mn} {factor} {start}"));
                        audit.detail = Some(format!("alarm:{alarm_id}"));
                        insert_audit!(&mut *$tx, &audit);
                        id
                    }
                }
            }
        };
        sqlx::query("UPDATE alarms SET incident_id = $1 WHERE id = $2").bind(incident_id).bind(alarm_id).execute(&mut *$tx).await?;
        let rows = sqlx::query("SELECT start_time, end_time, peak, peak_time, records FROM alarms WHERE incident_id = $1")
            .bind(incident_id).fetch_all(&mut *$tx).await?;
        let mut members: Vec<$crate::incidents::Member> = Vec::with_capacity(rows.len());
        for r in &rows {
            members.push((r.try_get("start_time")?, r.try_get("end_time")?, r.try_get("peak")?, r.try_get("peak_time")?, r.try_get("records")?));
        }
        let (start, end, last, peak, peak_time, hours) = $crate::incidents::aggregate(&members);
        sqlx::query("UPDATE incidents SET start_time = $1, start_day = $2, end_time = $3, last_time = $4, peak = $5, peak_time = $6, hours = $7, \
                     alarm_count = $8, updated_at = $9 WHERE id = $10")
            .bind(&start).bind($crate::incidents::start_day(&start)).bind(&end).bind(&last).bind(&peak).bind(&peak_time).bind(hours)
            .bind(members.len() as i64).bind(now).bind(incident_id).execute(&mut *$tx).await?;
        incident_id
    }};
}
pub(crate) use attach_incident;

impl Store {
    /// Groups alarms that have no incident yet (those raised before incidents existed), oldest
    /// first, exactly as if they had been raised now. Returns how many were grouped. Runs after
    /// migrations; cheap when there is nothing to do.
    pub async fn backfill_incidents(&self) -> Result<usize> {
        let now = now_text();
        Ok(with_pool!(self, p => {
            let ids: Vec<i64> = sqlx::query("SELECT id FROM alarms WHERE incident_id IS NULL ORDER BY kind, mn, factor, id")
                .fetch_all(p).await?.iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?;
            if !ids.is_empty() {
                let mut tx = p.begin_write().await?;
                for id in &ids {
                    attach_incident!(tx, *id, &now);
                }
                tx.commit().await?;
            }
            ids.len()
        }))
    }

    /// One page of the incidents a filter selects, newest first, and how many it selects.
    pub async fn incidents_paged(
        &self,
        filter: &IncidentFilter,
        limit: i64,
        offset: i64,
    ) -> Result<crate::Paged<Incident>> {
        let total = self.count_incidents(filter).await?;
        let items = with_pool!(self, p => {
            let sql = format!("{INCIDENT_SELECT} {INCIDENT_WHERE} ORDER BY i.start_day DESC, i.id DESC LIMIT $8 OFFSET $9");
            let rows = bind_filter!(sqlx::query(&sql), filter).bind(limit).bind(offset).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(incident_from_row!(r)); }
            out
        });
        Ok(crate::Paged { items, total })
    }

    /// How many incidents a filter selects.
    pub async fn count_incidents(&self, filter: &IncidentFilter) -> Result<i64> {
        Ok(with_pool!(self, p => {
            let sql = format!("SELECT COUNT(*) AS n FROM incidents i LEFT JOIN devices d ON d.mn = i.mn LEFT JOIN outlets o ON o.id = d.outlet_id \
                               LEFT JOIN enterprises e ON e.id = o.enterprise_id {INCIDENT_WHERE}");
            bind_filter!(sqlx::query(&sql), filter).fetch_one(p).await?.try_get("n")?
        }))
    }

    /// Incidents waiting to be handled (待处理) per county (the enterprise's GB/T 2260 code;
    /// `None` for devices not in the registry).
    pub async fn open_incidents_by_county(&self) -> Result<Vec<(Option<String>, i64)>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT e.division_code, COUNT(*) AS n FROM incidents i LEFT JOIN devices d ON d.mn = i.mn \
                                    LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id \
                                    WHERE i.status = 'open' GROUP BY e.division_code ORDER BY e.division_code")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push((r.try_get("division_code")?, r.try_get("n")?)); }
            out
        }))
    }

    /// One incident.
    pub async fn incident(&self, id: i64) -> Result<Option<Incident>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{INCIDENT_SELECT} WHERE i.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(incident_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The alarms grouped in an incident, oldest first.
    pub async fn incident_alarms(&self, id: i64) -> Result<Vec<crate::Alarm>> {
        let ids: Vec<i64> = with_pool!(self, p => {
            sqlx::query("SELECT id FROM alarms WHERE incident_id = $1 ORDER BY id").bind(id).fetch_all(p).await?
                .iter().map(|r| r.try_get("id")).collect::<std::result::Result<_, _>>()?
        });
        let mut out = Vec::with_capacity(ids.len());
        for a in ids {
            if let Some(alarm) = self.alarm(a).await? {
                out.push(alarm);
            }
        }
        Ok(out)
    }

    /// The archived frames of a device with DataTimes in `[from, to]` (DataTime form), stored
    /// or duplicate, oldest first, at most `limit`: an incident's evidence. The bytes stay in
    /// the archive; only their SHA-256 is returned.
    pub async fn evidence_frames(
        &self,
        mn: &str,
        cn: &str,
        from: &str,
        to: &str,
        limit: i64,
    ) -> Result<Vec<EvidenceFrame>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, mn, cn, data_time, received_at, bytes FROM raw_frames WHERE mn = $1 AND cn = $2 \
                                    AND data_time >= $3 AND data_time <= $4 AND verdict IN ('stored', 'duplicate') ORDER BY data_time, id LIMIT $5")
                .bind(mn).bind(cn).bind(from).bind(to).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let bytes: Vec<u8> = r.try_get("bytes")?;
                out.push(EvidenceFrame {
                    id: r.try_get("id")?, mn: r.try_get("mn")?, cn: r.try_get("cn")?, data_time: r.try_get("data_time")?,
                    received_at: r.try_get("received_at")?, sha256: hex::encode(Sha256::digest(&bytes)),
                });
            }
            out
        }))
    }

    /// Moves an incident along: 确认 (open → acknowledged), 指派 (unclosed → assigned, to a
    /// user), 关闭 (unclosed → closed, with a note), 重新打开 (not open → open, with a reason).
    /// Audited with the old and new status and the note.
    pub async fn transition_incident(
        &self,
        id: i64,
        action: &IncidentAction,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<Incident> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT status FROM incidents WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else { return Err(StoreError::NotFound(format!("事件 {id}"))) };
            let from: String = row.try_get("status")?;
            let to = match (from.as_str(), action) {
                ("open", IncidentAction::Acknowledge) => "acknowledged",
                ("open" | "acknowledged" | "assigned", IncidentAction::Assign(_)) => "assigned",
                ("open" | "acknowledged" | "assigned", IncidentAction::Close) => "closed",
                ("acknowledged" | "assigned" | "closed", IncidentAction::Reopen) => "open",
                _ => return Err(StoreError::Conflict(format!("事件 {id} 当前状态为 {}，不能{}",
                    crate::labels::alarm_status(&from), crate::labels::audit_action(action.audit_action())))),
            };
            let assignee = match action { IncidentAction::Assign(u) => Some(*u), _ => None };
            if let Some(u) = assignee
                && sqlx::query("SELECT id FROM users WHERE id = $1").bind(u).fetch_optional(&mut *tx).await?.is_none()
            {
                return Err(StoreError::NotFound(format!("用户 {u}")));
            }
            let closed_at = (to == "closed").then(|| now.clone());
            sqlx::query("UPDATE incidents SET status = $1, assignee = COALESCE($2, CASE WHEN $1 = 'open' THEN NULL ELSE assignee END), \
                         closed_at = $3, note = COALESCE($4, note), updated_at = $5 WHERE id = $6")
                .bind(to).bind(assignee).bind(&closed_at).bind(note).bind(&now).bind(id).execute(&mut *tx).await?;
            let mut audit = AuditEntry::ok(actor, action.audit_action(), format!("incident:{id}"));
            audit.old_value = Some(from);
            audit.new_value = Some(match assignee { Some(u) => format!("{to} user:{u}"), None => to.to_string() });
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.incident(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("事件 {id}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str, e: Option<&str>, peak: &str, records: i64) -> Member {
        (
            s.into(),
            e.map(str::to_string),
            Some(peak.into()),
            Some(s.into()),
            records,
        )
    }

    #[test]
    fn an_hour_later_continues_two_hours_later_does_not() {
        assert!(continues("20260101050000", "20260101060000"));
        assert!(!continues("20260101050000", "20260101070000"));
        assert!(continues(
            "2026-01-01T00:00:00.000Z",
            "2026-01-01T00:30:00.000Z"
        ));
        assert!(!continues("2026-80", "2026-100"));
    }

    #[test]
    fn overlapping_alarms_count_their_hours_once() {
        let members = vec![
            m("20260101000000", Some("20260101040000"), "12.5", 5),
            m("20260101020000", Some("20260101040000"), "13", 3),
            m("20260101050000", None, "9", 2),
        ];
        let (start, end, last, peak, _, hours) = aggregate(&members);
        assert_eq!(start, "20260101000000");
        assert_eq!(end, None);
        assert_eq!(last, "20260101050000");
        assert_eq!(peak.as_deref(), Some("13"));
        assert_eq!(hours, 7);
        assert_eq!(start_day("2026-01-01T20:00:00.000Z"), "2026-01-02");
    }
}
