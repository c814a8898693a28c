//! The monitoring network as staff keep it from the web: air stations and water sections
//! created, edited and retired (never deleted), every version kept; and the history of the
//! HJ 212 devices linked to them.

use serde::Serialize;
use sqlx::Row;

use crate::air::validate_station;
use crate::macros::BeginWrite;
use crate::water::validate_section;
use crate::{
    Actor, AirError, AirStation, AuditEntry, Store, StoreError, WaterSection, WaterStoreError,
    now_text,
};

/// Which network a station belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum StationKind {
    /// An air station.
    Air,
    /// A water section.
    Water,
}

impl StationKind {
    /// The stored word.
    pub fn as_str(self) -> &'static str {
        match self {
            StationKind::Air => "air",
            StationKind::Water => "water",
        }
    }
}

/// A station or section taken out of service: from `retired_on` its data no longer count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Retirement {
    /// Station or section code.
    pub code: String,
    /// First day (`YYYY-MM-DD`) the station no longer counts.
    pub retired_on: String,
    /// Why it was retired.
    pub reason: String,
}

/// One version of a station or section written from a form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StationRevision {
    /// 1, 2, … per station.
    pub revision: i64,
    /// create, edit or retire.
    pub action: String,
    /// The whole record after the change, as JSON.
    pub record: String,
    /// Why (edits and retirements).
    pub reason: Option<String>,
    /// Who changed it (display name), when known.
    pub changed_by_name: Option<String>,
    /// When (RFC 3339, UTC).
    pub changed_at: String,
}

/// One link or unlink of an HJ 212 device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceLinkChange {
    /// The device's MN.
    pub mn: String,
    /// Station or section code.
    pub code: String,
    /// link or unlink.
    pub action: String,
    /// Who (display name), when known.
    pub changed_by_name: Option<String>,
    /// When (RFC 3339, UTC).
    pub changed_at: String,
}

/// Inserts the next revision of a station record inside a transaction.
macro_rules! insert_revision {
    ($tx:expr, $kind:expr, $code:expr, $action:expr, $record:expr, $reason:expr, $actor:expr, $now:expr) => {{
        let next: i64 = sqlx::query("SELECT COALESCE(MAX(revision), 0) + 1 AS n FROM station_revisions WHERE kind = $1 AND code = $2")
            .bind($kind).bind($code).fetch_one(&mut *$tx).await?.try_get("n")?;
        sqlx::query("INSERT INTO station_revisions (kind, code, revision, action, record, reason, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
            .bind($kind).bind($code).bind(next).bind($action).bind($record).bind($reason).bind($actor.user_id).bind($now)
            .execute(&mut *$tx).await?;
    }};
}

/// Inserts a device link change inside a transaction.
macro_rules! insert_link_change {
    ($tx:expr, $kind:expr, $mn:expr, $code:expr, $action:expr, $actor:expr, $now:expr) => {{
        sqlx::query("INSERT INTO device_link_history (kind, mn, code, action, changed_by, changed_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind($kind).bind($mn).bind($code).bind($action).bind($actor.user_id).bind($now)
            .execute(&mut *$tx).await?;
    }};
}
pub(crate) use insert_link_change;

fn json<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

impl Store {
    /// Registers a new air station; a code already registered is a conflict. Audited, with
    /// its first revision.
    pub async fn create_air_station(&self, s: &AirStation, actor: &Actor) -> Result<(), AirError> {
        validate_station(0, s)?;
        let now = now_text();
        let record = json(s);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM air_stations WHERE code = $1").bind(&s.code).fetch_optional(&mut *tx).await?.is_some() {
                return Err(StoreError::Conflict(format!("站点编码「{}」已存在", s.code)).into());
            }
            sqlx::query("INSERT INTO air_stations (code, name, control_level, division_code, longitude, latitude, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7)")
                .bind(&s.code).bind(&s.name).bind(&s.control_level).bind(&s.division_code).bind(&s.longitude).bind(&s.latitude).bind(&now)
                .execute(&mut *tx).await?;
            insert_revision!(tx, "air", &s.code, "create", &record, None::<String>, actor, &now);
            let audit = AuditEntry::ok(actor, "air_station.create", format!("air_station:{}", s.code)).with_new(record.clone());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Changes a registered air station (its code stays); the old and new records are audited
    /// and the new one kept as a revision.
    pub async fn edit_air_station(
        &self,
        s: &AirStation,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), AirError> {
        validate_station(0, s)?;
        let Some(old) = self.air_station(&s.code).await? else {
            return Err(StoreError::NotFound(format!("空气站点「{}」", s.code)).into());
        };
        let now = now_text();
        let record = json(s);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE air_stations SET name = $2, control_level = $3, division_code = $4, longitude = $5, latitude = $6, updated_at = $7 WHERE code = $1")
                .bind(&s.code).bind(&s.name).bind(&s.control_level).bind(&s.division_code).bind(&s.longitude).bind(&s.latitude).bind(&now)
                .execute(&mut *tx).await?;
            insert_revision!(tx, "air", &s.code, "edit", &record, reason, actor, &now);
            let mut audit = AuditEntry::ok(actor, "air_station.edit", format!("air_station:{}", s.code)).with_new(record.clone());
            audit.old_value = Some(json(&old));
            audit.detail = reason.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Retires an air station from `on` (`YYYY-MM-DD`) for `reason`; its data are kept. A
    /// station already retired is a conflict.
    pub async fn retire_air_station(
        &self,
        code: &str,
        on: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let Some(r) = sqlx::query("SELECT retired_on FROM air_stations WHERE code = $1").bind(code).fetch_optional(&mut *tx).await? else {
                return Err(StoreError::NotFound(format!("空气站点「{code}」")));
            };
            if let Some(d) = r.try_get::<Option<String>, _>("retired_on")? {
                return Err(StoreError::Conflict(format!("站点「{code}」已于 {d} 撤销")));
            }
            sqlx::query("UPDATE air_stations SET retired_on = $2, retired_reason = $3, updated_at = $4 WHERE code = $1")
                .bind(code).bind(on).bind(reason).bind(&now).execute(&mut *tx).await?;
            let record = serde_json::json!({ "code": code, "retired_on": on }).to_string();
            insert_revision!(tx, "air", code, "retire", &record, Some(reason), actor, &now);
            let mut audit = AuditEntry::ok(actor, "air_station.retire", format!("air_station:{code}")).with_new(on.to_string());
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every retired air station, by code.
    pub async fn air_station_retirements(&self) -> Result<Vec<Retirement>, StoreError> {
        self.retirements("SELECT code, retired_on, retired_reason FROM air_stations WHERE retired_on IS NOT NULL ORDER BY code").await
    }

    /// Registers a new water section; a code already registered is a conflict. Audited, with
    /// its first revision.
    pub async fn create_water_section(
        &self,
        s: &WaterSection,
        actor: &Actor,
    ) -> Result<(), WaterStoreError> {
        validate_section(0, s)?;
        let now = now_text();
        let record = json(s);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM water_sections WHERE code = $1").bind(&s.code).fetch_optional(&mut *tx).await?.is_some() {
                return Err(StoreError::Conflict(format!("断面编码「{}」已存在", s.code)).into());
            }
            sqlx::query("INSERT INTO water_sections (code, name, level, water_body, basin, division_code, target_class, is_drinking_source, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(&s.code).bind(&s.name).bind(&s.level).bind(&s.water_body).bind(&s.basin).bind(&s.division_code).bind(&s.target_class).bind(s.is_drinking_source).bind(&now)
                .execute(&mut *tx).await?;
            insert_revision!(tx, "water", &s.code, "create", &record, None::<String>, actor, &now);
            let audit = AuditEntry::ok(actor, "water_section.create", format!("water_section:{}", s.code)).with_new(record.clone());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Changes a registered water section (its code stays); audited and kept as a revision.
    pub async fn edit_water_section(
        &self,
        s: &WaterSection,
        reason: Option<&str>,
        actor: &Actor,
    ) -> Result<(), WaterStoreError> {
        validate_section(0, s)?;
        let Some(old) = self.water_section(&s.code).await? else {
            return Err(StoreError::NotFound(format!("水质断面「{}」", s.code)).into());
        };
        let now = now_text();
        let record = json(s);
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            sqlx::query("UPDATE water_sections SET name = $2, level = $3, water_body = $4, basin = $5, division_code = $6, target_class = $7, is_drinking_source = $8, updated_at = $9 WHERE code = $1")
                .bind(&s.code).bind(&s.name).bind(&s.level).bind(&s.water_body).bind(&s.basin).bind(&s.division_code).bind(&s.target_class).bind(s.is_drinking_source).bind(&now)
                .execute(&mut *tx).await?;
            insert_revision!(tx, "water", &s.code, "edit", &record, reason, actor, &now);
            let mut audit = AuditEntry::ok(actor, "water_section.edit", format!("water_section:{}", s.code)).with_new(record.clone());
            audit.old_value = Some(json(&old));
            audit.detail = reason.map(str::to_string);
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Retires a water section from `on` (`YYYY-MM-DD`) for `reason`; its data are kept.
    pub async fn retire_water_section(
        &self,
        code: &str,
        on: &str,
        reason: &str,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let Some(r) = sqlx::query("SELECT retired_on FROM water_sections WHERE code = $1").bind(code).fetch_optional(&mut *tx).await? else {
                return Err(StoreError::NotFound(format!("水质断面「{code}」")));
            };
            if let Some(d) = r.try_get::<Option<String>, _>("retired_on")? {
                return Err(StoreError::Conflict(format!("断面「{code}」已于 {d} 撤销")));
            }
            sqlx::query("UPDATE water_sections SET retired_on = $2, retired_reason = $3, updated_at = $4 WHERE code = $1")
                .bind(code).bind(on).bind(reason).bind(&now).execute(&mut *tx).await?;
            let record = serde_json::json!({ "code": code, "retired_on": on }).to_string();
            insert_revision!(tx, "water", code, "retire", &record, Some(reason), actor, &now);
            let mut audit = AuditEntry::ok(actor, "water_section.retire", format!("water_section:{code}")).with_new(on.to_string());
            audit.detail = Some(reason.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every retired water section, by code.
    pub async fn water_section_retirements(&self) -> Result<Vec<Retirement>, StoreError> {
        self.retirements("SELECT code, retired_on, retired_reason FROM water_sections WHERE retired_on IS NOT NULL ORDER BY code").await
    }

    async fn retirements(&self, sql: &str) -> Result<Vec<Retirement>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(sql).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(Retirement {
                    code: r.try_get("code")?,
                    retired_on: r.try_get("retired_on")?,
                    reason: r.try_get::<Option<String>, _>("retired_reason")?.unwrap_or_default(),
                });
            }
            out
        }))
    }

    /// Every version of a station or section written from a form, oldest first.
    pub async fn station_revisions(
        &self,
        kind: StationKind,
        code: &str,
    ) -> Result<Vec<StationRevision>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT r.revision, r.action, r.record, r.reason, r.changed_at, u.display_name FROM station_revisions r \
                                    LEFT JOIN users u ON u.id = r.changed_by WHERE r.kind = $1 AND r.code = $2 ORDER BY r.revision")
                .bind(kind.as_str()).bind(code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(StationRevision {
                    revision: r.try_get("revision")?,
                    action: r.try_get("action")?,
                    record: r.try_get("record")?,
                    reason: r.try_get("reason")?,
                    changed_by_name: r.try_get("display_name")?,
                    changed_at: r.try_get("changed_at")?,
                });
            }
            out
        }))
    }

    /// Unlinks an HJ 212 device from its air station; audited, kept in the link history. An
    /// MN not linked to an air station is not found.
    pub async fn unlink_air_station_device(
        &self,
        mn: &str,
        actor: &Actor,
    ) -> Result<String, StoreError> {
        self.unlink_device(StationKind::Air, mn, actor).await
    }

    /// Unlinks an HJ 212 device from its water section; audited, kept in the link history.
    pub async fn unlink_water_section_device(
        &self,
        mn: &str,
        actor: &Actor,
    ) -> Result<String, StoreError> {
        self.unlink_device(StationKind::Water, mn, actor).await
    }

    /// Removes the link of `mn` and returns the code it was linked to.
    async fn unlink_device(
        &self,
        kind: StationKind,
        mn: &str,
        actor: &Actor,
    ) -> Result<String, StoreError> {
        let (table, column, action, label) = match kind {
            StationKind::Air => (
                "air_station_devices",
                "station_code",
                "air_station.unlink_device",
                "air_station",
            ),
            StationKind::Water => (
                "water_section_devices",
                "section_code",
                "water_section.unlink_device",
                "water_section",
            ),
        };
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let Some(r) = sqlx::query(&format!("SELECT {column} AS code FROM {table} WHERE mn = $1")).bind(mn).fetch_optional(&mut *tx).await? else {
                return Err(StoreError::NotFound(format!("设备 {mn} 的关联")));
            };
            let code: String = r.try_get("code")?;
            sqlx::query(&format!("DELETE FROM {table} WHERE mn = $1")).bind(mn).execute(&mut *tx).await?;
            insert_link_change!(tx, kind.as_str(), mn, &code, "unlink", actor, &now);
            let mut audit = AuditEntry::ok(actor, action, format!("{label}:{code}"));
            audit.old_value = Some(mn.to_string());
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            Ok(code)
        })
    }

    /// Every link and unlink of devices at a station or section, oldest first.
    pub async fn device_link_history(
        &self,
        kind: StationKind,
        code: &str,
    ) -> Result<Vec<DeviceLinkChange>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT h.mn, h.code, h.action, h.changed_at, u.display_name FROM device_link_history h \
                                    LEFT JOIN users u ON u.id = h.changed_by WHERE h.kind = $1 AND h.code = $2 ORDER BY h.id")
                .bind(kind.as_str()).bind(code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(DeviceLinkChange {
                    mn: r.try_get("mn")?,
                    code: r.try_get("code")?,
                    action: r.try_get("action")?,
                    changed_by_name: r.try_get("display_name")?,
                    changed_at: r.try_get("changed_at")?,
                });
            }
            out
        }))
    }
}
