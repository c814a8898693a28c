//! What indicators 23 and 24 are computed from: each enterprise's permit class with the number
//! of its permits valid on a day, and each water section with the automatic-station devices
//! linked to it.

use serde::Serialize;
use sqlx::Row;

use crate::{Result, Store};

/// An enterprise of the registry with the permits it holds on one day.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PermitHolding {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name.
    pub name: String,
    /// County.
    pub division_code: Option<String>,
    /// key, simplified, registration, or `None` when not entered.
    pub permit_class: Option<String>,
    /// Permits valid on the day (valid_from ≤ day ≤ valid_to).
    pub valid_permits: i64,
}

/// A water section with its linked automatic-station devices.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct SectionAutomation {
    /// Section code.
    pub code: String,
    /// Name.
    pub name: String,
    /// 国考, 省考 or 市考.
    pub level: String,
    /// County.
    pub division_code: Option<String>,
    /// The day it was retired, if it was.
    pub retired_on: Option<String>,
    /// HJ 212 devices (MN) of automatic stations linked to it.
    pub devices: i64,
}

impl Store {
    /// Every enterprise of the registry with its permit class and the number of its permits
    /// valid on `day` (YYYY-MM-DD), by credit code.
    pub async fn permit_holdings(&self, day: &str) -> Result<Vec<PermitHolding>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT e.credit_code, e.name, e.division_code, e.permit_class, \
                                    (SELECT COUNT(*) FROM permits pm WHERE pm.enterprise_id = e.id AND pm.valid_from <= $1 AND pm.valid_to >= $1) AS valid_permits \
                                    FROM enterprises e ORDER BY e.credit_code")
                .bind(day).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(PermitHolding { credit_code: r.try_get("credit_code")?, name: r.try_get("name")?, division_code: r.try_get("division_code")?,
                    permit_class: r.try_get("permit_class")?, valid_permits: r.try_get("valid_permits")? });
            }
            out
        }))
    }

    /// Every water section with the number of automatic-station devices linked to it, by code.
    pub async fn section_automation(&self) -> Result<Vec<SectionAutomation>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT s.code, s.name, s.level, s.division_code, s.retired_on, \
                                    (SELECT COUNT(*) FROM water_section_devices d WHERE d.section_code = s.code) AS devices \
                                    FROM water_sections s ORDER BY s.code")
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(SectionAutomation { code: r.try_get("code")?, name: r.try_get("name")?, level: r.try_get("level")?,
                    division_code: r.try_get("division_code")?, retired_on: r.try_get("retired_on")?, devices: r.try_get("devices")? });
            }
            out
        }))
    }
}
