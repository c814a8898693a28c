//! Gaps in a device's period data and their backfill (补传): what the supervisor found missing,
//! how far its hourly look has come, and the state of each gap's history requests
//! (docs/backfill.md). Times of gaps are DataTimes (device local time, `YYYYMMDDhhmmss`).

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Paged, Result, Store, StoreError, now_text};

/// A gap's states, in the order a gap usually goes through them.
pub const GAP_STATES: &[&str] = &["pending", "requesting", "partial", "filled", "failed"];

/// A recorded gap in one device's data of one CN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DataGap {
    /// Row id.
    pub id: i64,
    /// Device.
    pub mn: String,
    /// 2051 (minute), 2061 (hourly) or 2031 (daily).
    pub cn: String,
    /// DataTime of the first missing period.
    pub begin_time: String,
    /// DataTime after the last missing period (exclusive).
    pub end_time: String,
    /// Length of one period, seconds.
    pub interval_secs: i64,
    /// Periods missing when found.
    pub expected: i64,
    /// Of those, how many have arrived since.
    pub filled: i64,
    /// pending, requesting, partial, filled or failed.
    pub state: String,
    /// History requests sent for it so far.
    pub tries: i64,
    /// When the next request may go (stored UTC form), while the gap waits.
    pub next_try: Option<String>,
    /// The latest history request (device command id).
    pub command_id: Option<i64>,
    /// When the gap was found (stored UTC form).
    pub detected_at: String,
    /// When its state last changed (stored UTC form).
    pub updated_at: String,
}

/// A gap to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDataGap {
    /// Device.
    pub mn: String,
    /// CN.
    pub cn: String,
    /// DataTime of the first missing period.
    pub begin_time: String,
    /// DataTime after the last missing period.
    pub end_time: String,
    /// Period length, seconds.
    pub interval_secs: i64,
    /// Missing periods.
    pub expected: i64,
}

/// How far the look for gaps has come for one device and CN.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapScan {
    /// Device.
    pub mn: String,
    /// CN.
    pub cn: String,
    /// The device's first data of this CN the look saw (DataTime): nothing before it is expected.
    pub first_data_time: String,
    /// Periods before this DataTime have been looked at.
    pub scanned_to: String,
    /// Period length the look expects, seconds.
    pub interval_secs: i64,
}

/// A gap's new state after a request was queued or its outcome seen.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GapUpdate {
    /// Gap id.
    pub id: i64,
    /// New state.
    pub state: String,
    /// Requests so far.
    pub tries: i64,
    /// Next request not before (stored form), while waiting.
    pub next_try: Option<String>,
    /// Latest request.
    pub command_id: Option<i64>,
    /// Periods arrived.
    pub filled: i64,
}

const GAP_SELECT: &str = "SELECT id, mn, cn, begin_time, end_time, interval_secs, expected, filled, state, tries, next_try, command_id, detected_at, updated_at FROM data_gaps";

macro_rules! gap_from_row {
    ($r:expr) => {{
        DataGap {
            id: $r.try_get("id")?,
            mn: $r.try_get("mn")?,
            cn: $r.try_get("cn")?,
            begin_time: $r.try_get("begin_time")?,
            end_time: $r.try_get("end_time")?,
            interval_secs: $r.try_get("interval_secs")?,
            expected: $r.try_get("expected")?,
            filled: $r.try_get("filled")?,
            state: $r.try_get("state")?,
            tries: $r.try_get("tries")?,
            next_try: $r.try_get("next_try")?,
            command_id: $r.try_get("command_id")?,
            detected_at: $r.try_get("detected_at")?,
            updated_at: $r.try_get("updated_at")?,
        }
    }};
}

fn check_state(state: &str) -> Result<()> {
    if GAP_STATES.contains(&state) {
        Ok(())
    } else {
        Err(StoreError::Conflict(format!("未知的缺数状态 {state}")))
    }
}

impl Store {
    /// Every device's and CN's progress of the look for gaps.
    pub async fn gap_scans(&self) -> Result<Vec<GapScan>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, cn, first_data_time, scanned_to, interval_secs FROM data_gap_scans ORDER BY mn, cn")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(GapScan { mn: r.try_get("mn")?, cn: r.try_get("cn")?, first_data_time: r.try_get("first_data_time")?,
                    scanned_to: r.try_get("scanned_to")?, interval_secs: r.try_get("interval_secs")? });
            }
            out
        }))
    }

    /// Records one look for gaps: its progress and the gaps it found (each audited as found by
    /// the system), in one transaction. Returns the new gaps' ids.
    pub async fn record_gap_scan(&self, scan: &GapScan, gaps: &[NewDataGap]) -> Result<Vec<i64>> {
        let now = now_text();
        let actor = Actor::system();
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("INSERT INTO data_gap_scans (mn, cn, first_data_time, scanned_to, interval_secs) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (mn, cn) DO UPDATE SET first_data_time = excluded.first_data_time, scanned_to = excluded.scanned_to, interval_secs = excluded.interval_secs")
                .bind(&scan.mn).bind(&scan.cn).bind(&scan.first_data_time).bind(&scan.scanned_to).bind(scan.interval_secs)
                .execute(&mut *tx).await?;
            let mut ids = Vec::with_capacity(gaps.len());
            for g in gaps {
                let id: i64 = sqlx::query("INSERT INTO data_gaps (mn, cn, begin_time, end_time, interval_secs, expected, state, next_try, detected_at, updated_at) \
                                           VALUES ($1, $2, $3, $4, $5, $6, 'pending', NULL, $7, $7) RETURNING id")
                    .bind(&g.mn).bind(&g.cn).bind(&g.begin_time).bind(&g.end_time).bind(g.interval_secs).bind(g.expected).bind(&now)
                    .fetch_one(&mut *tx).await?.try_get("id")?;
                let mut audit = AuditEntry::ok(&actor, "data_gap.detect", format!("device:{} gap:{id}", g.mn));
                audit.detail = Some(format!("CN={} {}–{}，缺 {} 条", g.cn, g.begin_time, g.end_time, g.expected));
                insert_audit!(&mut *tx, &audit);
                ids.push(id);
            }
            tx.commit().await?;
            ids
        }))
    }

    /// The DataTimes of a device's stored uploads of one CN within `[from, to)`, each with
    /// whether it was backfilled (a DataTime may repeat: resends with another QN, segments).
    pub async fn period_times(
        &self,
        mn: &str,
        cn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, bool)>> {
        Ok(with_pool!(self, p => {
            // The CN as a literal lets the hourly and daily partial indexes serve (migration 0008).
            let sql = crate::sources::device_uploads_sql(cn).replace("SELECT data_time, factors", "SELECT data_time, backfilled");
            let mut q = sqlx::query(&sql).bind(mn).bind(from).bind(to);
            if sql.contains("$4") {
                q = q.bind(cn);
            }
            let rows = q.fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("data_time")?, r.try_get("backfilled")?));
            }
            out
        }))
    }

    /// Which of `times` (DataTimes) a device has stored uploads of one CN at, each with
    /// whether it was backfilled: point look-ups on the uploads' DataTime-led key, so that
    /// checking a day of one device's minute data does not scan every device's day.
    pub async fn period_times_at(
        &self,
        mn: &str,
        cn: &str,
        times: &[String],
    ) -> Result<Vec<(String, bool)>> {
        let mut out = Vec::new();
        for chunk in times.chunks(500) {
            with_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new("SELECT data_time, backfilled FROM uploads WHERE data_time IN (");
                let mut list = qb.separated(", ");
                for t in chunk {
                    list.push_bind(t);
                }
                list.push_unseparated(") AND mn = ");
                qb.push_bind(mn).push(" AND cn = ").push_bind(cn).push(" ORDER BY data_time");
                for r in qb.build().fetch_all(p).await? {
                    out.push((r.try_get("data_time")?, r.try_get("backfilled")?));
                }
            });
        }
        Ok(out)
    }

    /// The DataTimes of every device's stored uploads of one CN within `[from, to)`, as
    /// (MN, DataTime, backfilled): one range scan of the uploads' DataTime-led key, so the
    /// hourly look reads an hour of all devices at once instead of one scan per device.
    pub async fn period_times_all(
        &self,
        cn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, String, bool)>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, data_time, backfilled FROM uploads WHERE data_time >= $1 AND data_time < $2 AND cn = $3")
                .bind(from).bind(to).bind(cn).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("mn")?, r.try_get("data_time")?, r.try_get("backfilled")?));
            }
            out
        }))
    }

    /// How many of a device's stored uploads of one CN within `[from, to)` are backfilled, and
    /// how many rows there are in all.
    pub async fn backfilled_count(
        &self,
        mn: &str,
        cn: &str,
        from: &str,
        to: &str,
    ) -> Result<(i64, i64)> {
        let rows = self.period_times(mn, cn, from, to).await?;
        let backfilled = rows.iter().filter(|(_, b)| *b).count();
        Ok((
            i64::try_from(backfilled).unwrap_or(i64::MAX),
            i64::try_from(rows.len()).unwrap_or(i64::MAX),
        ))
    }

    /// A device's recorded gaps of one CN that overlap `[from, to)`.
    pub async fn gaps_overlapping(
        &self,
        mn: &str,
        cn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<DataGap>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{GAP_SELECT} WHERE mn = $1 AND cn = $2 AND end_time > $3 AND begin_time < $4 ORDER BY begin_time"))
                .bind(mn).bind(cn).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(gap_from_row!(r)); }
            out
        }))
    }

    /// One page of a device's gaps, newest first, and how many it has.
    pub async fn data_gaps(&self, mn: &str, limit: i64, offset: i64) -> Result<Paged<DataGap>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM data_gaps WHERE mn = $1").bind(mn).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("{GAP_SELECT} WHERE mn = $1 ORDER BY begin_time DESC, cn, id DESC LIMIT $2 OFFSET $3"))
                .bind(mn).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows { items.push(gap_from_row!(r)); }
            Paged { items, total }
        }))
    }

    /// One gap.
    pub async fn data_gap(&self, id: i64) -> Result<Option<DataGap>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{GAP_SELECT} WHERE id = $1")).bind(id).fetch_optional(p).await? {
                Some(r) => Some(gap_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Every gap still being worked on (waiting, requesting, partly filled), oldest first.
    pub async fn open_data_gaps(&self) -> Result<Vec<DataGap>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{GAP_SELECT} WHERE state IN ('pending', 'requesting', 'partial') ORDER BY mn, begin_time, id"))
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(gap_from_row!(r)); }
            out
        }))
    }

    /// Moves a gap on (a request queued, an outcome seen); audited under `action` with
    /// `detail` when the change is worth a line in the audit log (requests, giving up).
    pub async fn update_data_gap(
        &self,
        u: &GapUpdate,
        action: Option<(&str, String)>,
    ) -> Result<()> {
        check_state(&u.state)?;
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let Some(old) = sqlx::query("SELECT mn, state FROM data_gaps WHERE id = $1").bind(u.id).fetch_optional(&mut *tx).await? else {
                return Err(StoreError::NotFound(format!("缺数记录 {}", u.id)));
            };
            let (mn, was): (String, String) = (old.try_get("mn")?, old.try_get("state")?);
            sqlx::query("UPDATE data_gaps SET state = $1, tries = $2, next_try = $3, command_id = $4, filled = $5, updated_at = $6 WHERE id = $7")
                .bind(&u.state).bind(u.tries).bind(&u.next_try).bind(u.command_id).bind(u.filled).bind(&now).bind(u.id)
                .execute(&mut *tx).await?;
            if let Some((action, detail)) = action {
                let mut audit = AuditEntry::ok(&Actor::system(), action, format!("device:{mn} gap:{}", u.id));
                audit.old_value = Some(was);
                audit.new_value = Some(u.state.clone());
                audit.detail = Some(detail);
                insert_audit!(&mut *tx, &audit);
            }
            tx.commit().await?;
        });
        Ok(())
    }
}

/// Whether the gateway's ingest takes an upload as backfilled.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Backfill {
    /// Live data (or not period data): stored by the usual key.
    No,
    /// For a recorded gap, not stored yet: stored, marked backfilled.
    Yes,
    /// For a recorded gap, but its DataTime and segment are stored already: a duplicate.
    AlreadyStored,
}

/// The CNs whose data comes in periods and can be asked for again (history requests).
pub(crate) fn is_period_cn(cn: &str) -> bool {
    matches!(cn, "2051" | "2061" | "2031")
}

/// For each `(upload, received_at)` of a batch, inside the ingest's transaction: whether it
/// fills a recorded gap of its device and CN, and if so whether its DataTime and segment are
/// stored already (under whatever QN) or earlier in the same batch. Two small reads per
/// batch, and only when the batch holds period data: the gaps of its devices, and the stored
/// rows of the backfilled DataTimes (point look-ups on the uploads' DataTime-led key).
macro_rules! backfilled_in {
    ($tx:expr, $uploads:expr) => {{
        use std::collections::{HashMap, HashSet};
        use $crate::gaps::Backfill;
        let tx = $tx;
        let uploads: &[(&$crate::Upload, &str)] = $uploads;
        let mut out = vec![Backfill::No; uploads.len()];
        let period: Vec<usize> = (0..uploads.len())
            .filter(|&i| $crate::gaps::is_period_cn(&uploads[i].0.cn))
            .collect();
        if let Some(min_time) = period.iter().map(|&i| uploads[i].0.data_time.as_str()).min() {
            let mut mns: Vec<&str> = period.iter().map(|&i| uploads[i].0.mn.as_str()).collect();
            mns.sort_unstable();
            mns.dedup();
            let mut spans: HashMap<(String, String), Vec<(String, String)>> = HashMap::new();
            for chunk in mns.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new("SELECT mn, cn, begin_time, end_time FROM data_gaps WHERE end_time > ");
                qb.push_bind(min_time).push(" AND mn IN (");
                let mut list = qb.separated(", ");
                for mn in chunk {
                    list.push_bind(*mn);
                }
                list.push_unseparated(")");
                for r in qb.build().fetch_all(&mut **tx).await? {
                    spans
                        .entry((r.try_get("mn")?, r.try_get("cn")?))
                        .or_default()
                        .push((r.try_get("begin_time")?, r.try_get("end_time")?));
                }
            }
            let candidates: Vec<usize> = period
                .into_iter()
                .filter(|&i| {
                    let u = uploads[i].0;
                    spans.get(&(u.mn.clone(), u.cn.clone())).is_some_and(|v| {
                        v.iter().any(|(b, e)| u.data_time.as_str() >= b.as_str() && u.data_time.as_str() < e.as_str())
                    })
                })
                .collect();
            let mut stored: HashSet<(String, String, String, i64)> = HashSet::new();
            for chunk in candidates.chunks(3000) {
                let mut qb = sqlx::QueryBuilder::new("SELECT u.data_time, u.mn, u.cn, u.pno FROM (");
                qb.push_values(chunk, |mut b, &i| {
                    let u = uploads[i].0;
                    b.push_bind(&u.data_time).push_bind(&u.mn).push_bind(&u.cn);
                });
                qb.push(") AS v JOIN uploads u ON u.data_time = v.column1 AND u.mn = v.column2 AND u.cn = v.column3");
                for r in qb.build().fetch_all(&mut **tx).await? {
                    stored.insert((r.try_get("mn")?, r.try_get("cn")?, r.try_get("data_time")?, r.try_get("pno")?));
                }
            }
            for i in candidates {
                let u = uploads[i].0;
                // The first of a batch's repeats is stored; the others find it "stored".
                out[i] = if stored.insert((u.mn.clone(), u.cn.clone(), u.data_time.clone(), u.pno)) {
                    Backfill::Yes
                } else {
                    Backfill::AlreadyStored
                };
            }
        }
        out
    }};
}
pub(crate) use backfilled_in;
