//! Ambient air monitoring in the store: the station registry and hourly concentrations.
//!
//! Hourly values are kept as exact decimal text and are never overwritten: importing a
//! station-hour again adds a revision, and every read takes the latest one.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use chrono::{NaiveDate, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Store, StoreError, now_text};

/// Control levels of an air station.
pub const AIR_CONTROL_LEVELS: [&str; 3] = ["国控", "省控", "县控"];

/// Where hourly air data came from.
pub const AIR_SOURCES: [&str; 3] = ["import", "hj212", "api"];

/// The pollutant columns, in the order of the `values` arrays (SO2, NO2, CO, O3, PM10, PM2.5).
pub const AIR_POLLUTANT_COLUMNS: [&str; 6] = ["so2", "no2", "co", "o3", "pm10", "pm25"];

/// Rows per multi-row insert: 14 parameters a row stays well under SQLite's 32766.
const HOUR_CHUNK: usize = 1000;

/// An air-quality monitoring station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AirStation {
    /// Station code (unique).
    pub code: String,
    /// Name.
    pub name: String,
    /// 国控, 省控 or 县控.
    pub control_level: String,
    /// GB/T 2260 code of the county it lies in.
    pub division_code: Option<String>,
    /// Longitude, decimal degrees as text.
    pub longitude: Option<String>,
    /// Latitude, decimal degrees as text.
    pub latitude: Option<String>,
}

/// One station-hour to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewAirHour {
    /// Station code (must be registered).
    pub station_code: String,
    /// Hour-beginning local time, `YYYY-MM-DDTHH:00`.
    pub hour: String,
    /// SO2, NO2, CO, O3, PM10, PM2.5 as plain decimals (µg/m³, CO mg/m³); `None` = missing.
    pub values: [Option<String>; 6],
    /// import, hj212 or api.
    pub source: String,
}

/// A stored station-hour (its latest revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirHour {
    /// Station code.
    pub station_code: String,
    /// Hour-beginning local time, `YYYY-MM-DDTHH:00`.
    pub hour: String,
    /// Revision (1 = first import).
    pub revision: i64,
    /// SO2, NO2, CO, O3, PM10, PM2.5 as stored.
    pub values: [Option<String>; 6],
    /// import, hj212 or api.
    pub source: String,
    /// When this revision was stored.
    pub imported_at: String,
}

/// What an import stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct AirImportSummary {
    /// Station-hours stored.
    pub rows: usize,
    /// Distinct stations.
    pub stations: usize,
    /// Station-hours that already had a value and got a new revision.
    pub revised: usize,
    /// First hour imported.
    pub first_hour: Option<String>,
    /// Last hour imported.
    pub last_hour: Option<String>,
}

/// Which hours a station has stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirCoverage {
    /// Station code.
    pub station_code: String,
    /// First stored hour.
    pub first_hour: String,
    /// Last stored hour.
    pub last_hour: String,
    /// Distinct stored hours.
    pub hours: i64,
}

/// Why an air write was refused.
#[derive(Debug, thiserror::Error)]
pub enum AirError {
    /// An input record is invalid; `row` counts from 1 in the order given.
    #[error("第 {row} 条记录的 {column} 无效：{message}")]
    Invalid {
        /// 1-based position in the batch.
        row: usize,
        /// Field at fault.
        column: String,
        /// What is wrong.
        message: String,
    },
    /// The store refused or failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl AirError {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            AirError::Invalid { .. } => "invalid",
            AirError::Store(e) => e.kind(),
        }
    }
}

impl From<sqlx::Error> for AirError {
    fn from(e: sqlx::Error) -> Self {
        AirError::Store(StoreError::Database(e))
    }
}

fn invalid(row: usize, column: &str, message: impl Into<String>) -> AirError {
    AirError::Invalid {
        row,
        column: column.to_string(),
        message: message.into(),
    }
}

/// A plain decimal (`12`, `0.5`), optionally signed when `signed`: what exact text columns hold.
fn is_plain_decimal(s: &str, signed: bool) -> bool {
    let body = if signed {
        s.strip_prefix('-').unwrap_or(s)
    } else {
        s
    };
    let (int, frac) = body.split_once('.').unwrap_or((body, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Checks an hour label is exactly `YYYY-MM-DDTHH:00`.
pub fn valid_air_hour(s: &str) -> bool {
    s.len() == 16
        && NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").is_ok_and(|t| t.minute() == 0)
}

pub(crate) fn validate_station(i: usize, s: &AirStation) -> Result<(), AirError> {
    let row = i + 1;
    if s.code.trim().is_empty() || s.code.trim() != s.code || s.code.chars().count() > 64 {
        return Err(invalid(
            row,
            "code",
            "站点编码不能为空、首尾不能有空格、不超过 64 字",
        ));
    }
    if s.name.trim().is_empty() {
        return Err(invalid(row, "name", "站点名称不能为空"));
    }
    if !AIR_CONTROL_LEVELS.contains(&s.control_level.as_str()) {
        return Err(invalid(
            row,
            "level",
            format!("应为 国控、省控 或 县控，而不是「{}」", s.control_level),
        ));
    }
    for (col, v, max) in [
        ("longitude", &s.longitude, 180),
        ("latitude", &s.latitude, 90),
    ] {
        if let Some(v) = v {
            let ok = is_plain_decimal(v, true)
                && v.parse::<f64>().is_ok_and(|x| x.abs() <= f64::from(max));
            if !ok {
                return Err(invalid(row, col, format!("不是有效的经纬度：「{v}」")));
            }
        }
    }
    Ok(())
}

fn validate_hours(rows: &[NewAirHour]) -> Result<(), AirError> {
    let mut seen: HashMap<(&str, &str), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 1;
        if r.station_code.is_empty() {
            return Err(invalid(row, "station", "站点编码不能为空"));
        }
        if !valid_air_hour(&r.hour) {
            return Err(invalid(
                row,
                "hour",
                format!("应为 YYYY-MM-DDTHH:00，而不是「{}」", r.hour),
            ));
        }
        for (col, v) in AIR_POLLUTANT_COLUMNS.iter().zip(&r.values) {
            if let Some(v) = v
                && !is_plain_decimal(v, false)
            {
                return Err(invalid(row, col, format!("不是非负小数：「{v}」")));
            }
        }
        if !AIR_SOURCES.contains(&r.source.as_str()) {
            return Err(invalid(
                row,
                "source",
                format!("应为 import、hj212 或 api，而不是「{}」", r.source),
            ));
        }
        if let Some(first) = seen.insert((&r.station_code, &r.hour), row) {
            return Err(invalid(
                row,
                "hour",
                format!("与第 {first} 条记录的站点和时次重复"),
            ));
        }
    }
    Ok(())
}

macro_rules! air_station_from_row {
    ($r:expr) => {
        AirStation {
            code: $r.try_get("code")?,
            name: $r.try_get("name")?,
            control_level: $r.try_get("control_level")?,
            division_code: $r.try_get("division_code")?,
            longitude: $r.try_get("longitude")?,
            latitude: $r.try_get("latitude")?,
        }
    };
}

const STATION_SELECT: &str =
    "SELECT code, name, control_level, division_code, longitude, latitude FROM air_stations";

impl Store {
    /// Adds or updates stations by code in one transaction; audited. Returns how many were written.
    pub async fn upsert_air_stations(
        &self,
        stations: &[AirStation],
        actor: &Actor,
    ) -> Result<usize, AirError> {
        for (i, s) in stations.iter().enumerate() {
            validate_station(i, s)?;
        }
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, s) in stations.iter().enumerate() {
            if let Some(first) = seen.insert(&s.code, i + 1) {
                return Err(invalid(
                    i + 1,
                    "code",
                    format!("与第 {first} 条记录的站点编码重复"),
                ));
            }
        }
        let now = now_text();
        let mut audit = AuditEntry::ok(actor, "air_station.import", "air_stations".into());
        audit.detail = Some(format!(
            "站点 {} 个：{}",
            stations.len(),
            stations
                .iter()
                .map(|s| s.code.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ));
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for s in stations {
                sqlx::query("INSERT INTO air_stations (code, name, control_level, division_code, longitude, latitude, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, control_level = excluded.control_level, division_code = excluded.division_code, \
                             longitude = excluded.longitude, latitude = excluded.latitude, updated_at = excluded.updated_at")
                    .bind(&s.code).bind(&s.name).bind(&s.control_level).bind(&s.division_code).bind(&s.longitude).bind(&s.latitude).bind(&now)
                    .execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(stations.len())
    }

    /// Every station, by code.
    pub async fn air_stations(&self) -> Result<Vec<AirStation>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{STATION_SELECT} ORDER BY code")).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(air_station_from_row!(r)); }
            out
        }))
    }

    /// One station by code.
    pub async fn air_station(&self, code: &str) -> Result<Option<AirStation>, StoreError> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{STATION_SELECT} WHERE code = $1")).bind(code).fetch_optional(p).await? {
                Some(r) => Some(air_station_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Stores station-hours in one transaction, all or nothing; audited. A station-hour already
    /// stored gets a new revision beside the old one. Every station must be registered.
    pub async fn import_air_hourly(
        &self,
        rows: &[NewAirHour],
        actor: &Actor,
    ) -> Result<AirImportSummary, AirError> {
        validate_hours(rows)?;
        for _ in 0..crate::REVISION_ATTEMPTS {
            match self.import_air_hourly_once(rows, actor).await {
                Err(e) if crate::is_unique_violation(&e) => continue,
                other => return Ok(other?),
            }
        }
        Err(StoreError::Conflict("并发导入过多，请重试".into()).into())
    }

    async fn import_air_hourly_once(
        &self,
        rows: &[NewAirHour],
        actor: &Actor,
    ) -> Result<AirImportSummary, StoreError> {
        let now = now_text();
        // Per station, the range of hours in the batch: one revision query per station.
        let mut ranges: BTreeMap<&str, (&str, &str)> = BTreeMap::new();
        for r in rows {
            let e = ranges.entry(&r.station_code).or_insert((&r.hour, &r.hour));
            e.0 = e.0.min(&r.hour);
            e.1 = e.1.max(&r.hour);
        }
        let hours: BTreeSet<&str> = rows.iter().map(|r| r.hour.as_str()).collect();
        let summary_base = AirImportSummary {
            rows: rows.len(),
            stations: ranges.len(),
            revised: 0,
            first_hour: hours.first().map(|h| h.to_string()),
            last_hour: hours.last().map(|h| h.to_string()),
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let mut latest: HashMap<(String, String), i64> = HashMap::new();
            for (code, (from, to)) in &ranges {
                let found = sqlx::query("SELECT code FROM air_stations WHERE code = $1").bind(*code).fetch_optional(&mut *tx).await?;
                if found.is_none() {
                    return Err(StoreError::NotFound(format!("空气站点「{code}」未登记，请先导入站点")));
                }
                let prev = sqlx::query("SELECT hour, MAX(revision) AS revision FROM air_hourly WHERE station_code = $1 AND hour >= $2 AND hour <= $3 GROUP BY hour")
                    .bind(*code).bind(*from).bind(*to).fetch_all(&mut *tx).await?;
                for r in prev {
                    latest.insert(((*code).to_string(), r.try_get("hour")?), r.try_get("revision")?);
                }
            }
            let mut revised = 0usize;
            let revisions: Vec<i64> = rows
                .iter()
                .map(|r| match latest.get(&(r.station_code.clone(), r.hour.clone())) {
                    Some(n) => { revised += 1; n + 1 }
                    None => 1,
                })
                .collect();
            let items: Vec<(&NewAirHour, i64)> = rows.iter().zip(revisions).collect();
            for chunk in items.chunks(HOUR_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO air_hourly (station_code, hour, revision, so2, no2, co, o3, pm10, pm25, source, imported_at, imported_by) ");
                qb.push_values(chunk, |mut b, (r, rev)| {
                    b.push_bind(&r.station_code).push_bind(&r.hour).push_bind(*rev);
                    for v in &r.values { b.push_bind(v); }
                    b.push_bind(&r.source).push_bind(&now).push_bind(actor.user_id);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let mut audit = AuditEntry::ok(actor, "air_hourly.import", format!("air_stations:{}", ranges.keys().copied().collect::<Vec<_>>().join(",")));
            audit.detail = Some(format!(
                "站点 {} 个，小时数据 {} 条（其中修订 {revised} 条），{} 至 {}",
                ranges.len(), rows.len(),
                summary_base.first_hour.as_deref().unwrap_or("-"), summary_base.last_hour.as_deref().unwrap_or("-")
            ));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            Ok(AirImportSummary { revised, ..summary_base })
        })
    }

    /// The latest revision of each stored hour of one station (or of every station when `None`)
    /// whose date lies in `[from, to]`, ordered by station and hour.
    pub async fn air_hours(
        &self,
        station: Option<&str>,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<AirHour>, StoreError> {
        let lo = format!("{}T00:00", from.format("%Y-%m-%d"));
        let hi = format!("{}T23:59", to.format("%Y-%m-%d"));
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT h.station_code, h.hour, h.revision, h.so2, h.no2, h.co, h.o3, h.pm10, h.pm25, h.source, h.imported_at \
                 FROM air_hourly h WHERE ($1 IS NULL OR h.station_code = $1) AND h.hour >= $2 AND h.hour <= $3 \
                 AND h.revision = (SELECT MAX(x.revision) FROM air_hourly x WHERE x.station_code = h.station_code AND x.hour = h.hour) \
                 ORDER BY h.station_code, h.hour")
                .bind(station).bind(&lo).bind(&hi).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut values: [Option<String>; 6] = Default::default();
                for (slot, col) in values.iter_mut().zip(AIR_POLLUTANT_COLUMNS) {
                    *slot = r.try_get(col)?;
                }
                out.push(AirHour {
                    station_code: r.try_get("station_code")?, hour: r.try_get("hour")?, revision: r.try_get("revision")?,
                    values, source: r.try_get("source")?, imported_at: r.try_get("imported_at")?,
                });
            }
            out
        }))
    }

    /// Every revision of one station-hour, oldest first.
    pub async fn air_hour_history(
        &self,
        station: &str,
        hour: &str,
    ) -> Result<Vec<AirHour>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT station_code, hour, revision, so2, no2, co, o3, pm10, pm25, source, imported_at FROM air_hourly \
                 WHERE station_code = $1 AND hour = $2 ORDER BY revision")
                .bind(station).bind(hour).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let mut values: [Option<String>; 6] = Default::default();
                for (slot, col) in values.iter_mut().zip(AIR_POLLUTANT_COLUMNS) {
                    *slot = r.try_get(col)?;
                }
                out.push(AirHour {
                    station_code: r.try_get("station_code")?, hour: r.try_get("hour")?, revision: r.try_get("revision")?,
                    values, source: r.try_get("source")?, imported_at: r.try_get("imported_at")?,
                });
            }
            out
        }))
    }

    /// First and last stored hour and the number of distinct hours of each station with data.
    pub async fn air_coverage(&self) -> Result<Vec<AirCoverage>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT station_code, MIN(hour) AS first_hour, MAX(hour) AS last_hour, COUNT(DISTINCT hour) AS hours \
                 FROM air_hourly GROUP BY station_code ORDER BY station_code")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(AirCoverage {
                    station_code: r.try_get("station_code")?, first_hour: r.try_get("first_hour")?,
                    last_hour: r.try_get("last_hour")?, hours: r.try_get("hours")?,
                });
            }
            out
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_hours() {
        assert!(is_plain_decimal("12", false));
        assert!(is_plain_decimal("0.5", false));
        assert!(!is_plain_decimal("-1", false));
        assert!(is_plain_decimal("-1.25", true));
        assert!(!is_plain_decimal(".5", false));
        assert!(!is_plain_decimal("5.", false));
        assert!(!is_plain_decimal("1e3", false));
        assert!(!is_plain_decimal("", false));
        assert!(valid_air_hour("2024-02-29T23:00"));
        assert!(!valid_air_hour("2023-02-29T23:00"));
        assert!(!valid_air_hour("2024-01-01T24:00"));
        assert!(!valid_air_hour("2024-01-01T01:30"));
        assert!(!valid_air_hour("2024-01-01 01:00"));
        assert!(!valid_air_hour("2024-1-01T01:00"));
    }
}

/// An HJ 212 device (数采仪) of an automatic air station.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AirStationDevice {
    /// MN.
    pub mn: String,
    /// Station code.
    pub station_code: String,
    /// The PW it must send.
    pub password: String,
    /// "strict" or "field".
    pub crc_policy: String,
}

impl Store {
    /// Links an HJ 212 device to an air station (or re-links it); audited.
    pub async fn link_air_station_device(
        &self,
        d: &AirStationDevice,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = crate::now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM air_stations WHERE code = $1").bind(&d.station_code).fetch_optional(&mut *tx).await?.is_none() {
                return Err(StoreError::NotFound(format!("空气站点 {}", d.station_code)));
            }
            sqlx::query("INSERT INTO air_station_devices (mn, station_code, password, crc_policy, linked_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (mn) DO UPDATE SET station_code = excluded.station_code, password = excluded.password, crc_policy = excluded.crc_policy, linked_at = excluded.linked_at")
                .bind(&d.mn).bind(&d.station_code).bind(&d.password).bind(&d.crc_policy).bind(&now).execute(&mut *tx).await?;
            crate::stations::insert_link_change!(tx, "air", &d.mn, &d.station_code, "link", actor, &now);
            let audit = AuditEntry::ok(actor, "air_station.link_device", format!("air_station:{}", d.station_code)).with_new(d.mn.clone());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every HJ 212 device of an air station.
    pub async fn air_station_devices(&self) -> Result<Vec<AirStationDevice>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, station_code, password, crc_policy FROM air_station_devices ORDER BY mn").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(AirStationDevice { mn: r.try_get("mn")?, station_code: r.try_get("station_code")?, password: r.try_get("password")?, crc_policy: r.try_get("crc_policy")? });
            }
            out
        }))
    }
}
