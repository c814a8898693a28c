//! Analyser parameters (HJ 212 CN 3020) as devices upload them, every revision kept, and the
//! devices' clock readings.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Paged, Result, Store};

/// A parameter value to record, as the app judged it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAnalyserParam {
    /// Device MN.
    pub mn: String,
    /// Factor code (the frame's `PolId`, 2005 codes mapped), empty for the logger itself.
    pub factor: String,
    /// Information code (`i13001` …).
    pub code: String,
    /// Value as sent.
    pub value: String,
    /// The frame's DataTime (YYYYMMDDhhmmss, device local time).
    pub data_time: String,
    /// When the frame arrived (stored form).
    pub received_at: String,
    /// The frame's QN (empty when none).
    pub qn: String,
    /// SHA-256 of the frame's bytes, lower-case hex: which archived frame it came from.
    pub frame_sha256: String,
    /// The value differs from the one stored before it for this device, factor and code.
    pub changed: bool,
    /// That earlier value.
    pub previous_value: Option<String>,
    /// Its DataTime.
    pub previous_time: Option<String>,
    /// The valid data mark that covered the change.
    pub mark_id: Option<i64>,
    /// The 参数变更 alarm the change raised.
    pub alarm_id: Option<i64>,
}

/// A stored parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AnalyserParam {
    /// Row id (arrival order).
    pub id: i64,
    /// Device MN.
    pub mn: String,
    /// Factor code, empty for the logger.
    pub factor: String,
    /// Information code.
    pub code: String,
    /// Value as sent.
    pub value: String,
    /// DataTime (device local time).
    pub data_time: String,
    /// When it arrived.
    pub received_at: String,
    /// QN of the frame.
    pub qn: String,
    /// SHA-256 of the frame.
    pub frame_sha256: String,
    /// Differs from the value before it.
    pub changed: bool,
    /// The value before it.
    pub previous_value: Option<String>,
    /// The DataTime of the value before it.
    pub previous_time: Option<String>,
    /// The valid mark that covered the change.
    pub mark_id: Option<i64>,
    /// The alarm the change raised.
    pub alarm_id: Option<i64>,
}

/// A device's clock state: the latest reading and what the next one is judged against.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct DeviceClock {
    /// Device MN.
    pub mn: String,
    /// Seconds the device's clock is ahead of the server's (negative: behind), latest reading.
    pub offset_secs: Option<i64>,
    /// When that reading was taken (stored form).
    pub measured_at: Option<String>,
    /// CN of the frame it was read from.
    pub source_cn: Option<String>,
    /// DataTime of that frame.
    pub source_data_time: Option<String>,
    /// Newest real-time (2011) DataTime received.
    pub head_2011: Option<String>,
    /// Newest minute (2051) DataTime received.
    pub head_2051: Option<String>,
    /// Newest hourly (2061) DataTime received.
    pub head_2061: Option<String>,
    /// Start (the open 时钟偏差 alarm's key) while the offset is beyond the setting.
    pub drift_start: Option<String>,
    /// Largest offset (absolute, seconds) of the open drift.
    pub drift_peak_secs: Option<i64>,
}

const PARAM_COLUMNS: &str = "id, mn, factor, code, value, data_time, received_at, qn, frame_sha256, changed, previous_value, previous_time, mark_id, alarm_id";
const CLOCK_COLUMNS: &str = "mn, offset_secs, measured_at, source_cn, source_data_time, head_2011, head_2051, head_2061, drift_start, drift_peak_secs";

macro_rules! param_from_row {
    ($r:expr) => {
        AnalyserParam {
            id: $r.try_get("id")?,
            mn: $r.try_get("mn")?,
            factor: $r.try_get("factor")?,
            code: $r.try_get("code")?,
            value: $r.try_get("value")?,
            data_time: $r.try_get("data_time")?,
            received_at: $r.try_get("received_at")?,
            qn: $r.try_get("qn")?,
            frame_sha256: $r.try_get("frame_sha256")?,
            changed: $r.try_get("changed")?,
            previous_value: $r.try_get("previous_value")?,
            previous_time: $r.try_get("previous_time")?,
            mark_id: $r.try_get("mark_id")?,
            alarm_id: $r.try_get("alarm_id")?,
        }
    };
}

macro_rules! clock_from_row {
    ($r:expr) => {
        DeviceClock {
            mn: $r.try_get("mn")?,
            offset_secs: $r.try_get("offset_secs")?,
            measured_at: $r.try_get("measured_at")?,
            source_cn: $r.try_get("source_cn")?,
            source_data_time: $r.try_get("source_data_time")?,
            head_2011: $r.try_get("head_2011")?,
            head_2051: $r.try_get("head_2051")?,
            head_2061: $r.try_get("head_2061")?,
            drift_start: $r.try_get("drift_start")?,
            drift_peak_secs: $r.try_get("drift_peak_secs")?,
        }
    };
}

/// Rows per multi-row statement, under SQLite's 32766 bound parameters.
const CHUNK: usize = 2000;

impl Store {
    /// The gateway's writes (after a batch's ingest) stay off the SQLite checkpointer's rewind,
    /// as the ingest itself does.
    async fn ingest_gate(&self) -> Option<tokio::sync::MutexGuard<'_, ()>> {
        match self {
            Store::Sqlite(_, shared) => Some(shared.ingest_gate.lock().await),
            Store::Postgres(_) => None,
        }
    }

    /// Records parameter values; a value already recorded from the same frame (same device,
    /// factor, code, DataTime and frame hash: a resend) is left alone. Returns the rows added.
    pub async fn record_analyser_params(&self, rows: &[NewAnalyserParam]) -> Result<u64> {
        if rows.is_empty() {
            return Ok(0);
        }
        let _gate = self.ingest_gate().await;
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut n = 0;
            for chunk in rows.chunks(CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO analyser_params (mn, factor, code, value, data_time, received_at, qn, frame_sha256, changed, previous_value, previous_time, mark_id, alarm_id) ");
                qb.push_values(chunk, |mut b, r| {
                    b.push_bind(&r.mn).push_bind(&r.factor).push_bind(&r.code).push_bind(&r.value).push_bind(&r.data_time)
                        .push_bind(&r.received_at).push_bind(&r.qn).push_bind(&r.frame_sha256).push_bind(r.changed)
                        .push_bind(&r.previous_value).push_bind(&r.previous_time).push_bind(r.mark_id).push_bind(r.alarm_id);
                });
                qb.push(" ON CONFLICT (mn, factor, code, data_time, frame_sha256) DO NOTHING");
                n += qb.build().execute(&mut *tx).await?.rows_affected();
            }
            tx.commit().await?;
            n
        }))
    }

    /// Whether parameters from the frame with this hash are recorded for the device.
    pub async fn analyser_frame_recorded(&self, mn: &str, frame_sha256: &str) -> Result<bool> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT 1 AS x FROM analyser_params WHERE mn = $1 AND frame_sha256 = $2 LIMIT 1")
                .bind(mn).bind(frame_sha256).fetch_optional(p).await?.is_some()
        }))
    }

    /// The latest recorded value of each (factor, code) of a device: what the next upload is
    /// compared with.
    pub async fn latest_analyser_params(&self, mn: &str) -> Result<Vec<AnalyserParam>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("SELECT {PARAM_COLUMNS} FROM analyser_params a WHERE mn = $1 AND id = \
                 (SELECT MAX(b.id) FROM analyser_params b WHERE b.mn = a.mn AND b.factor = a.factor AND b.code = a.code) ORDER BY factor, code"))
                .bind(mn).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(param_from_row!(r)); }
            out
        }))
    }

    /// One page of a device's parameter history, newest first; only one factor's when given.
    pub async fn analyser_params_paged(
        &self,
        mn: &str,
        factor: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<AnalyserParam>> {
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM analyser_params WHERE mn = $1 AND ($2 IS NULL OR factor = $2)")
                .bind(mn).bind(factor).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query(&format!("SELECT {PARAM_COLUMNS} FROM analyser_params WHERE mn = $1 AND ($2 IS NULL OR factor = $2) \
                                             ORDER BY id DESC LIMIT $3 OFFSET $4"))
                .bind(mn).bind(factor).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows { items.push(param_from_row!(r)); }
            Paged { items, total }
        }))
    }

    /// The clock states of these devices (those that have one).
    pub async fn device_clocks(&self, mns: &[&str]) -> Result<Vec<DeviceClock>> {
        let mut out = Vec::new();
        for chunk in mns.chunks(CHUNK) {
            with_pool!(self, p => {
                let mut qb = sqlx::QueryBuilder::new(format!("SELECT {CLOCK_COLUMNS} FROM device_clock WHERE mn IN ("));
                let mut sep = qb.separated(", ");
                for mn in chunk {
                    sep.push_bind(*mn);
                }
                qb.push(")");
                for r in qb.build().fetch_all(p).await? {
                    out.push(clock_from_row!(r));
                }
            });
        }
        Ok(out)
    }

    /// One device's clock state.
    pub async fn device_clock(&self, mn: &str) -> Result<Option<DeviceClock>> {
        Ok(self.device_clocks(&[mn]).await?.into_iter().next())
    }

    /// Writes clock states (whole rows, by MN), in one transaction.
    pub async fn save_device_clocks(&self, rows: &[DeviceClock]) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        let _gate = self.ingest_gate().await;
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for chunk in rows.chunks(CHUNK / 10) {
                let mut qb = sqlx::QueryBuilder::new(format!("INSERT INTO device_clock ({CLOCK_COLUMNS}) "));
                qb.push_values(chunk, |mut b, c| {
                    b.push_bind(&c.mn).push_bind(c.offset_secs).push_bind(&c.measured_at).push_bind(&c.source_cn)
                        .push_bind(&c.source_data_time).push_bind(&c.head_2011).push_bind(&c.head_2051).push_bind(&c.head_2061)
                        .push_bind(&c.drift_start).push_bind(c.drift_peak_secs);
                });
                qb.push(" ON CONFLICT (mn) DO UPDATE SET offset_secs = excluded.offset_secs, measured_at = excluded.measured_at, \
                          source_cn = excluded.source_cn, source_data_time = excluded.source_data_time, head_2011 = excluded.head_2011, \
                          head_2051 = excluded.head_2051, head_2061 = excluded.head_2061, drift_start = excluded.drift_start, \
                          drift_peak_secs = excluded.drift_peak_secs");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }
}
