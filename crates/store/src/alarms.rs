//! Supervision alarms: raised and updated by the supervisor, acknowledged and closed by staff.

use serde::Serialize;
use sqlx::Row;

use crate::incidents::attach_incident;
use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Result, Store, StoreError, now_text};

/// An alarm episode found by a rule, to raise or update.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmEpisode {
    /// Rule code: exceedance, offline, device_fault, frozen.
    pub kind: String,
    /// Device.
    pub mn: String,
    /// Factor code ("" for device-wide rules).
    pub factor: String,
    /// Start (DataTime, or a timestamp for offline).
    pub start_time: String,
    /// End, once the condition cleared.
    pub end_time: Option<String>,
    /// Peak value.
    pub peak: Option<String>,
    /// When the peak occurred.
    pub peak_time: Option<String>,
    /// Records in the episode.
    pub records: i64,
    /// What happened, in words.
    pub context: String,
}

/// A stored alarm.
#[derive(Debug, Clone, Serialize)]
pub struct Alarm {
    /// Row id.
    pub id: i64,
    /// Rule code.
    pub kind: String,
    /// Device.
    pub mn: String,
    /// Factor code.
    pub factor: String,
    /// Start.
    pub start_time: String,
    /// End, if cleared.
    pub end_time: Option<String>,
    /// Peak value.
    pub peak: Option<String>,
    /// Peak time.
    pub peak_time: Option<String>,
    /// Records.
    pub records: i64,
    /// Context.
    pub context: String,
    /// open, acknowledged or closed.
    pub status: String,
    /// When raised.
    pub raised_at: String,
    /// Last update.
    pub updated_at: String,
    /// When acknowledged.
    pub acknowledged_at: Option<String>,
    /// When closed.
    pub closed_at: Option<String>,
    /// The disposition note.
    pub disposition: Option<String>,
    /// Enterprise name, for display.
    pub enterprise: Option<String>,
    /// Outlet name, for display.
    pub outlet: Option<String>,
    /// The enterprise's county (GB/T 2260), which decides who may see and handle it.
    pub division_code: Option<String>,
}

/// Which alarms to list.
#[derive(Debug, Clone, Default)]
pub struct AlarmFilter {
    /// open, acknowledged or closed; all when `None`.
    pub status: Option<String>,
    /// Only alarms of enterprises in this county.
    pub division_code: Option<String>,
    /// Only this device's alarms.
    pub mn: Option<String>,
}

/// A permitted limit of a device's outlet.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceLimit {
    /// MN.
    pub mn: String,
    /// Expected interval, seconds.
    pub interval_secs: i64,
    /// Factor code.
    pub factor: String,
    /// Hourly concentration limit, if any.
    pub hourly_limit: Option<String>,
    /// Judge the converted value.
    pub use_converted: bool,
    /// Annual permitted total, t/a, if any.
    pub annual_total_t: Option<String>,
}

/// When a device was last heard from.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceSeen {
    /// MN.
    pub mn: String,
    /// Expected interval, seconds.
    pub interval_secs: i64,
    /// Last upload received (stored form), if any.
    pub last_seen: Option<String>,
    /// When the device was registered.
    pub registered_at: String,
}

/// Whether `raise_alarm` created a new alarm or updated one.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Raised {
    /// A new alarm.
    New(i64),
    /// An existing open alarm was updated.
    Updated(i64),
    /// The alarm was already closed; left alone.
    AlreadyClosed(i64),
}

const ALARM_SELECT: &str = "SELECT a.id, a.kind, a.mn, a.factor, a.start_time, a.end_time, a.peak, a.peak_time, a.records, a.context, a.status, \
     a.raised_at, a.updated_at, a.acknowledged_at, a.closed_at, a.disposition, e.name AS enterprise, o.name AS outlet, e.division_code \
     FROM alarms a LEFT JOIN devices d ON d.mn = a.mn LEFT JOIN outlets o ON o.id = d.outlet_id LEFT JOIN enterprises e ON e.id = o.enterprise_id";

macro_rules! alarm_from_row {
    ($r:expr) => {
        Alarm {
            id: $r.try_get("id")?,
            kind: $r.try_get("kind")?,
            mn: $r.try_get("mn")?,
            factor: $r.try_get("factor")?,
            start_time: $r.try_get("start_time")?,
            end_time: $r.try_get("end_time")?,
            peak: $r.try_get("peak")?,
            peak_time: $r.try_get("peak_time")?,
            records: $r.try_get("records")?,
            context: $r.try_get("context")?,
            status: $r.try_get("status")?,
            raised_at: $r.try_get("raised_at")?,
            updated_at: $r.try_get("updated_at")?,
            acknowledged_at: $r.try_get("acknowledged_at")?,
            closed_at: $r.try_get("closed_at")?,
            disposition: $r.try_get("disposition")?,
            enterprise: $r.try_get("enterprise")?,
            outlet: $r.try_get("outlet")?,
            division_code: $r.try_get("division_code")?,
        }
    };
}

impl Store {
    /// Raises an alarm for an episode, or updates the open one with the same kind, device,
    /// factor and start (its end, peak and context move as the episode goes on). New alarms are
    /// audited as raised by the system.
    pub async fn raise_alarm(&self, ep: &AlarmEpisode) -> Result<Raised> {
        // The table no longer lists the kinds (migration 22): the code's list is the check.
        if qingshan_sources::supervision::AlarmKind::parse(&ep.kind).is_none() {
            return Err(StoreError::Conflict(format!(
                "未知的告警类型「{}」",
                ep.kind
            )));
        }
        let now = now_text();
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let existing = sqlx::query("SELECT id, status FROM alarms WHERE kind = $1 AND mn = $2 AND factor = $3 AND start_time = $4")
                .bind(&ep.kind).bind(&ep.mn).bind(&ep.factor).bind(&ep.start_time).fetch_optional(&mut *tx).await?;
            let out = match existing {
                Some(r) => {
                    let id: i64 = r.try_get("id")?;
                    let status: String = r.try_get("status")?;
                    if status == "closed" {
                        Raised::AlreadyClosed(id)
                    } else {
                        sqlx::query("UPDATE alarms SET end_time = $1, peak = $2, peak_time = $3, records = $4, context = $5, updated_at = $6 WHERE id = $7")
                            .bind(&ep.end_time).bind(&ep.peak).bind(&ep.peak_time).bind(ep.records).bind(&ep.context).bind(&now).bind(id)
                            .execute(&mut *tx).await?;
                        Raised::Updated(id)
                    }
                }
                None => {
                    let id: i64 = sqlx::query("INSERT INTO alarms (kind, mn, factor, start_time, end_time, peak, peak_time, records, context, status, raised_at, updated_at) \
                                               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'open', $10, $10) RETURNING id")
                        .bind(&ep.kind).bind(&ep.mn).bind(&ep.factor).bind(&ep.start_time).bind(&ep.end_time).bind(&ep.peak).bind(&ep.peak_time)
                        .bind(ep.records).bind(&ep.context).bind(&now).fetch_one(&mut *tx).await?.try_get("id")?;
                    let mut audit = AuditEntry::ok(&Actor::system(), "alarm.raise", format!("alarm:{id}"));
                    audit.new_value = Some(format!("{} {} {} {}", ep.kind, ep.mn, ep.factor, ep.start_time));
                    audit.detail = Some(ep.context.clone());
                    insert_audit!(&mut *tx, &audit);
                    Raised::New(id)
                }
            };
            match out {
                Raised::New(id) | Raised::Updated(id) => {
                    attach_incident!(tx, id, &now);
                }
                Raised::AlreadyClosed(_) => {}
            }
            tx.commit().await?;
            out
        }))
    }

    /// Alarms, newest first; optionally only one status.
    pub async fn alarms(&self, filter: &AlarmFilter, limit: i64) -> Result<Vec<Alarm>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{ALARM_SELECT} WHERE ($1 IS NULL OR a.status = $1) AND ($2 IS NULL OR e.division_code = $2) \
                                              AND ($3 IS NULL OR a.mn = $3) ORDER BY a.id DESC LIMIT $4"))
                .bind(&filter.status).bind(&filter.division_code).bind(&filter.mn).bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(alarm_from_row!(r)); }
            out
        }))
    }

    /// How many alarms a filter selects.
    pub async fn count_alarms(&self, filter: &AlarmFilter) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query(&format!("SELECT COUNT(*) AS n FROM ({ALARM_SELECT}) x \
                                  WHERE ($1 IS NULL OR x.status = $1) AND ($2 IS NULL OR x.division_code = $2) AND ($3 IS NULL OR x.mn = $3)"))
                .bind(&filter.status).bind(&filter.division_code).bind(&filter.mn).fetch_one(p).await?.try_get("n")?
        }))
    }

    /// One alarm.
    pub async fn alarm(&self, id: i64) -> Result<Option<Alarm>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{ALARM_SELECT} WHERE a.id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(alarm_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Open alarms of one kind for a device whose episode has not ended.
    pub async fn ongoing_alarms(&self, kind: &str, mn: &str) -> Result<Vec<Alarm>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{ALARM_SELECT} WHERE a.kind = $1 AND a.mn = $2 AND a.end_time IS NULL AND a.status <> 'closed' ORDER BY a.id"))
                .bind(kind).bind(mn).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(alarm_from_row!(r)); }
            out
        }))
    }

    /// Open alarms of one kind, every device, whose episode has not ended: one read for the
    /// supervisor's pass instead of one per device.
    pub async fn ongoing_alarms_of_kind(&self, kind: &str) -> Result<Vec<Alarm>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{ALARM_SELECT} WHERE a.kind = $1 AND a.end_time IS NULL AND a.status <> 'closed' ORDER BY a.mn, a.id"))
                .bind(kind).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(alarm_from_row!(r)); }
            out
        }))
    }

    /// Moves an alarm along its lifecycle: `acknowledge` (open → acknowledged) or `close`
    /// (open or acknowledged → closed, with a disposition note). Audited with old and new status.
    pub async fn transition_alarm(
        &self,
        id: i64,
        to: &str,
        note: Option<&str>,
        actor: &Actor,
    ) -> Result<Alarm> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let row = sqlx::query("SELECT status FROM alarms WHERE id = $1").bind(id).fetch_optional(&mut *tx).await?;
            let Some(row) = row else { return Err(StoreError::NotFound(format!("告警 {id}"))) };
            let from: String = row.try_get("status")?;
            match (from.as_str(), to) {
                ("open", "acknowledged") => {
                    sqlx::query("UPDATE alarms SET status = 'acknowledged', acknowledged_by = $1, acknowledged_at = $2, updated_at = $2 WHERE id = $3")
                        .bind(actor.user_id).bind(&now).bind(id).execute(&mut *tx).await?;
                }
                ("open" | "acknowledged", "closed") => {
                    sqlx::query("UPDATE alarms SET status = 'closed', closed_by = $1, closed_at = $2, disposition = $3, updated_at = $2 WHERE id = $4")
                        .bind(actor.user_id).bind(&now).bind(note).bind(id).execute(&mut *tx).await?;
                }
                _ => return Err(StoreError::Conflict(format!("告警 {id} 当前状态为 {from}，不能改为 {to}"))),
            }
            let mut audit = AuditEntry::ok(actor, &format!("alarm.{}", if to == "closed" { "close" } else { "acknowledge" }), format!("alarm:{id}"));
            audit.old_value = Some(from);
            audit.new_value = Some(to.to_string());
            audit.detail = note.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        self.alarm(id)
            .await?
            .ok_or_else(|| StoreError::NotFound(format!("告警 {id}")))
    }

    /// One device's permitted limits in force on `date` (YYYY-MM-DD): [`Store::supervised_limits`]
    /// for one device, without reading a province's every limit.
    pub async fn supervised_limits_of(&self, mn: &str, date: &str) -> Result<Vec<DeviceLimit>> {
        self.limits_in_force(date, Some(mn)).await
    }

    /// Devices with their permitted limits in force on `date` (YYYY-MM-DD).
    pub async fn supervised_limits(&self, date: &str) -> Result<Vec<DeviceLimit>> {
        self.limits_in_force(date, None).await
    }

    /// The limits in force on `date`, of one device or of all. Two statements rather than
    /// `($2 IS NULL OR d.mn = $2)`, which a generic plan may not serve from the device index.
    async fn limits_in_force(&self, date: &str, mn: Option<&str>) -> Result<Vec<DeviceLimit>> {
        let sql = format!(
            "SELECT d.mn, d.interval_secs, l.factor_code, l.hourly_limit, l.use_converted, l.annual_total_t FROM devices d \
             JOIN permit_limits l ON l.outlet_id = d.outlet_id JOIN permits pm ON pm.id = l.permit_id \
             WHERE {} pm.valid_from <= $1 AND pm.valid_to >= $1 ORDER BY d.mn, l.factor_code",
            if mn.is_some() { "d.mn = $2 AND" } else { "" }
        );
        Ok(with_pool!(self, p => {
            let mut q = sqlx::query(&sql).bind(date);
            if let Some(mn) = mn {
                q = q.bind(mn);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DeviceLimit {
                    mn: r.try_get("mn")?, interval_secs: r.try_get("interval_secs")?, factor: r.try_get("factor_code")?,
                    hourly_limit: r.try_get("hourly_limit")?, use_converted: r.try_get("use_converted")?, annual_total_t: r.try_get("annual_total_t")?,
                });
            }
            out
        }))
    }

    /// A device's hourly (or other CN) uploads in `[from, to)` DataTimes, with all factors.
    /// Keep ranges of real-time and minute data short: see `device_uploads_sql`.
    pub async fn uploads_between(
        &self,
        mn: &str,
        cn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, Vec<crate::FactorValues>)>> {
        Ok(with_pool!(self, p => {
            let sql = crate::sources::device_uploads_sql(cn);
            let mut q = sqlx::query(sql).bind(mn).bind(from).bind(to);
            if sql.contains("$4") {
                q = q.bind(cn);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let json: String = r.try_get("factors")?;
                let f: Vec<crate::FactorValues> = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("uploads.factors: {e}")))?;
                out.push((r.try_get("data_time")?, f));
            }
            out
        }))
    }

    /// For each registered device: its interval, when it last delivered an upload (stored form)
    /// if ever, and when it was registered.
    pub async fn last_seen(&self) -> Result<Vec<DeviceSeen>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT d.mn, d.interval_secs, d.created_at, s.last_received_at AS last FROM devices d LEFT JOIN device_last_seen s ON s.mn = d.mn ORDER BY d.mn")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DeviceSeen { mn: r.try_get("mn")?, interval_secs: r.try_get("interval_secs")?, last_seen: r.try_get("last")?, registered_at: r.try_get("created_at")? });
            }
            out
        }))
    }
}

impl Store {
    /// One page of the alarms a filter selects, newest first, and how many it selects.
    pub async fn alarms_paged(
        &self,
        filter: &AlarmFilter,
        limit: i64,
        offset: i64,
    ) -> Result<crate::Paged<Alarm>> {
        let total = self.count_alarms(filter).await?;
        let items = with_pool!(self, p => {
            let rows = sqlx::query(&format!("{ALARM_SELECT} WHERE ($1 IS NULL OR a.status = $1) AND ($2 IS NULL OR e.division_code = $2) \
                                              AND ($3 IS NULL OR a.mn = $3) ORDER BY a.id DESC LIMIT $4 OFFSET $5"))
                .bind(&filter.status).bind(&filter.division_code).bind(&filter.mn).bind(limit).bind(offset).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(alarm_from_row!(r)); }
            out
        });
        Ok(crate::Paged { items, total })
    }
}
