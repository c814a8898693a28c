//! Surface water in the store: the section registry and sample results.
//!
//! Sample values are kept as exact decimal text and are never overwritten: importing a
//! section-date-item again adds a revision, and every read takes the latest one.
//!
//! Manual results (sources `import` and `api`) and the daily means of automatic stations
//! (source `hj212`) of the same section, date and item live side by side: each kind is revised
//! on its own, and reads return the latest revision of each kind. Revision numbers still count
//! every stored value of the section-date-item, both kinds together.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Store, StoreError, now_text};

/// Assessment levels of a section (national, provincial, city).
pub const WATER_SECTION_LEVELS: [&str; 3] = ["国考", "省考", "市考"];

/// Water-body kinds, as `qingshan water classify` spells them.
pub const WATER_BODIES: [&str; 2] = ["river", "lake"];

/// Target classes a section may be given.
pub const WATER_TARGET_CLASSES: [&str; 5] = ["I", "II", "III", "IV", "V"];

/// Where water samples came from.
pub const WATER_SOURCES: [&str; 3] = ["import", "hj212", "api"];

/// Item codes accepted in samples: the GB 3838-2002 Table 1 codes of `qingshan water classify`.
pub const WATER_ITEM_CODES: [&str; 23] = [
    "pH", "DO", "CODMn", "COD", "BOD5", "NH3N", "TP", "TN", "Cu", "Zn", "F", "Se", "As", "Hg",
    "Cd", "Cr6", "Pb", "CN", "Phenol", "Oil", "LAS", "S2", "FC",
];

/// The source of automatic-station data; every other source is a manual result.
pub const AUTOMATIC_SOURCE: &str = "hj212";

/// Whether `code` is an item samples may carry: a GB 3838-2002 Table 1 code
/// ([`WATER_ITEM_CODES`]) or the code of a Table 2 (`T2-1` … `T2-5`) or Table 3 (`T3-1` …
/// `T3-80`) item, exactly as [`qingshan_water::drinking::SingleLimitItem::code`] writes it.
pub fn is_water_item_code(code: &str) -> bool {
    WATER_ITEM_CODES.contains(&code) || single_limit_table(code).is_some()
}

/// The table (2 or 3) of a Table 2/3 item code in its canonical spelling; `None` otherwise.
pub fn single_limit_table(code: &str) -> Option<u8> {
    qingshan_water::drinking::single_limit_item_by_code(code)
        .filter(|i| i.code() == code)
        .map(|i| i.table)
}

/// Rows per multi-row insert: 9 parameters a row stays well under SQLite's 32766.
const SAMPLE_CHUNK: usize = 1000;

/// A surface-water monitoring section (断面) or drinking-water source point.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WaterSection {
    /// Section code (unique).
    pub code: String,
    /// Name.
    pub name: String,
    /// 国考, 省考 or 市考.
    pub level: String,
    /// `river` or `lake` (lakes and reservoirs).
    pub water_body: String,
    /// River, lake or basin name.
    pub basin: Option<String>,
    /// GB/T 2260 code of the county it lies in.
    pub division_code: Option<String>,
    /// 水质目标: I to V.
    pub target_class: String,
    /// Whether it is a centralised drinking-water source.
    pub is_drinking_source: bool,
}

/// One sample result to import.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWaterSample {
    /// Section code (must be registered).
    pub section_code: String,
    /// Sampling date, `YYYY-MM-DD`.
    pub date: String,
    /// Item code (see [`WATER_ITEM_CODES`]).
    pub item: String,
    /// Plain non-negative decimal; the detection limit when `below_detection`.
    pub value: String,
    /// Not detected: `value` is the method's detection limit.
    pub below_detection: bool,
    /// import, hj212 or api.
    pub source: String,
}

/// A stored sample result (its latest revision).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaterSample {
    /// Section code.
    pub section_code: String,
    /// Sampling date, `YYYY-MM-DD`.
    pub date: String,
    /// Item code.
    pub item: String,
    /// Revision (1 = first import).
    pub revision: i64,
    /// Value as stored; the detection limit when `below_detection`.
    pub value: String,
    /// Not detected.
    pub below_detection: bool,
    /// import, hj212 or api.
    pub source: String,
    /// When this revision was stored.
    pub imported_at: String,
}

/// What a sample import stored.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct WaterImportSummary {
    /// Results stored.
    pub rows: usize,
    /// Distinct sections.
    pub sections: usize,
    /// Results that already had a value and got a new revision.
    pub revised: usize,
    /// First sampling date imported.
    pub first_date: Option<String>,
    /// Last sampling date imported.
    pub last_date: Option<String>,
}

/// Why a water write was refused.
#[derive(Debug, thiserror::Error)]
pub enum WaterStoreError {
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

impl WaterStoreError {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            WaterStoreError::Invalid { .. } => "invalid",
            WaterStoreError::Store(e) => e.kind(),
        }
    }
}

impl From<sqlx::Error> for WaterStoreError {
    fn from(e: sqlx::Error) -> Self {
        WaterStoreError::Store(StoreError::Database(e))
    }
}

fn invalid(row: usize, column: &str, message: impl Into<String>) -> WaterStoreError {
    WaterStoreError::Invalid {
        row,
        column: column.to_string(),
        message: message.into(),
    }
}

/// A plain non-negative decimal (`12`, `0.05`): what the exact value column holds.
fn is_plain_decimal(s: &str) -> bool {
    let (int, frac) = s.split_once('.').unwrap_or((s, "0"));
    !int.is_empty()
        && !frac.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
}

/// Checks a sampling date is exactly `YYYY-MM-DD` and exists.
pub fn valid_water_date(s: &str) -> bool {
    s.len() == 10 && NaiveDate::parse_from_str(s, "%Y-%m-%d").is_ok()
}

pub(crate) fn validate_section(i: usize, s: &WaterSection) -> Result<(), WaterStoreError> {
    let row = i + 1;
    if s.code.trim().is_empty() || s.code.trim() != s.code || s.code.chars().count() > 64 {
        return Err(invalid(
            row,
            "code",
            "断面编码不能为空、首尾不能有空格、不超过 64 字",
        ));
    }
    if s.name.trim().is_empty() {
        return Err(invalid(row, "name", "断面名称不能为空"));
    }
    if !WATER_SECTION_LEVELS.contains(&s.level.as_str()) {
        return Err(invalid(
            row,
            "level",
            format!("应为 国考、省考 或 市考，而不是「{}」", s.level),
        ));
    }
    if !WATER_BODIES.contains(&s.water_body.as_str()) {
        return Err(invalid(
            row,
            "water_body",
            format!("应为 river 或 lake，而不是「{}」", s.water_body),
        ));
    }
    if !WATER_TARGET_CLASSES.contains(&s.target_class.as_str()) {
        return Err(invalid(
            row,
            "target_class",
            format!("应为 I、II、III、IV 或 V，而不是「{}」", s.target_class),
        ));
    }
    Ok(())
}

fn validate_samples(rows: &[NewWaterSample]) -> Result<(), WaterStoreError> {
    let mut seen: HashMap<(&str, &str, &str), usize> = HashMap::new();
    for (i, r) in rows.iter().enumerate() {
        let row = i + 1;
        if r.section_code.is_empty() {
            return Err(invalid(row, "section", "断面编码不能为空"));
        }
        if !valid_water_date(&r.date) {
            return Err(invalid(
                row,
                "date",
                format!("应为 YYYY-MM-DD，而不是「{}」", r.date),
            ));
        }
        if !is_water_item_code(&r.item) {
            return Err(invalid(row, "item", format!("未知监测项目「{}」", r.item)));
        }
        if !is_plain_decimal(&r.value) {
            return Err(invalid(
                row,
                "value",
                format!("不是非负小数：「{}」", r.value),
            ));
        }
        if !WATER_SOURCES.contains(&r.source.as_str()) {
            return Err(invalid(
                row,
                "source",
                format!("应为 import、hj212 或 api，而不是「{}」", r.source),
            ));
        }
        if let Some(first) = seen.insert((&r.section_code, &r.date, &r.item), row) {
            return Err(invalid(
                row,
                "item",
                format!("与第 {first} 条记录的断面、日期和项目重复"),
            ));
        }
    }
    Ok(())
}

/// Refuses Table 2/3 items at sections that are not drinking-water sources: GB 3838-2002
/// applies those tables to centralised drinking-water sources only (§4 of the standard).
fn check_drinking_items(
    rows: &[NewWaterSample],
    drinking: &HashMap<&str, bool>,
) -> Result<(), WaterStoreError> {
    for (i, r) in rows.iter().enumerate() {
        let Some(table) = single_limit_table(&r.item) else {
            continue;
        };
        if !drinking
            .get(r.section_code.as_str())
            .copied()
            .unwrap_or(false)
        {
            let name = qingshan_water::drinking::single_limit_item_by_code(&r.item)
                .map_or("", |x| x.name_zh);
            return Err(invalid(
                i + 1,
                "item",
                format!(
                    "断面「{}」不是集中式饮用水水源，不能导入表 {table} 项目「{} {name}」（GB 3838-2002 表 2、表 3 只适用于集中式生活饮用水地表水源地）",
                    r.section_code, r.item
                ),
            ));
        }
    }
    Ok(())
}

macro_rules! water_section_from_row {
    ($r:expr) => {
        WaterSection {
            code: $r.try_get("code")?,
            name: $r.try_get("name")?,
            level: $r.try_get("level")?,
            water_body: $r.try_get("water_body")?,
            basin: $r.try_get("basin")?,
            division_code: $r.try_get("division_code")?,
            target_class: $r.try_get("target_class")?,
            is_drinking_source: $r.try_get("is_drinking_source")?,
        }
    };
}

macro_rules! water_sample_from_row {
    ($r:expr) => {
        WaterSample {
            section_code: $r.try_get("section_code")?,
            date: $r.try_get("sample_date")?,
            item: $r.try_get("item")?,
            revision: $r.try_get("revision")?,
            value: $r.try_get("value")?,
            below_detection: $r.try_get("below_detection")?,
            source: $r.try_get("source")?,
            imported_at: $r.try_get("imported_at")?,
        }
    };
}

const SECTION_SELECT: &str = "SELECT code, name, level, water_body, basin, division_code, target_class, is_drinking_source FROM water_sections";

impl Store {
    /// Adds or updates sections by code in one transaction; audited. Returns how many were written.
    pub async fn upsert_water_sections(
        &self,
        sections: &[WaterSection],
        actor: &Actor,
    ) -> Result<usize, WaterStoreError> {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for (i, s) in sections.iter().enumerate() {
            validate_section(i, s)?;
            if let Some(first) = seen.insert(&s.code, i + 1) {
                return Err(invalid(
                    i + 1,
                    "code",
                    format!("与第 {first} 条记录的断面编码重复"),
                ));
            }
        }
        let now = now_text();
        let mut audit = AuditEntry::ok(actor, "water_section.import", "water_sections".into());
        audit.detail = Some(format!(
            "断面 {} 个：{}",
            sections.len(),
            sections
                .iter()
                .map(|s| s.code.as_str())
                .collect::<Vec<_>>()
                .join("、")
        ));
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for s in sections {
                sqlx::query("INSERT INTO water_sections (code, name, level, water_body, basin, division_code, target_class, is_drinking_source, updated_at) \
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                             ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, water_body = excluded.water_body, \
                             basin = excluded.basin, division_code = excluded.division_code, target_class = excluded.target_class, \
                             is_drinking_source = excluded.is_drinking_source, updated_at = excluded.updated_at")
                    .bind(&s.code).bind(&s.name).bind(&s.level).bind(&s.water_body).bind(&s.basin)
                    .bind(&s.division_code).bind(&s.target_class).bind(s.is_drinking_source).bind(&now)
                    .execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(sections.len())
    }

    /// Every section, by code.
    pub async fn water_sections(&self) -> Result<Vec<WaterSection>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{SECTION_SELECT} ORDER BY code")).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(water_section_from_row!(r)); }
            out
        }))
    }

    /// One section by code.
    pub async fn water_section(&self, code: &str) -> Result<Option<WaterSection>, StoreError> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{SECTION_SELECT} WHERE code = $1")).bind(code).fetch_optional(p).await? {
                Some(r) => Some(water_section_from_row!(r)),
                None => None,
            }
        }))
    }

    /// Stores sample results in one transaction, all or nothing; audited. A result already
    /// stored gets a new revision beside the old one. Every section must be registered.
    pub async fn import_water_samples(
        &self,
        rows: &[NewWaterSample],
        actor: &Actor,
    ) -> Result<WaterImportSummary, WaterStoreError> {
        validate_samples(rows)?;
        for _ in 0..crate::REVISION_ATTEMPTS {
            match self.import_water_samples_once(rows, actor).await {
                Err(WaterStoreError::Store(e)) if crate::is_unique_violation(&e) => continue,
                other => return other,
            }
        }
        Err(StoreError::Conflict("并发导入过多，请重试".into()).into())
    }

    async fn import_water_samples_once(
        &self,
        rows: &[NewWaterSample],
        actor: &Actor,
    ) -> Result<WaterImportSummary, WaterStoreError> {
        let now = now_text();
        let sections: BTreeSet<&str> = rows.iter().map(|r| r.section_code.as_str()).collect();
        let dates: BTreeSet<&str> = rows.iter().map(|r| r.date.as_str()).collect();
        let base = WaterImportSummary {
            rows: rows.len(),
            sections: sections.len(),
            revised: 0,
            first_date: dates.first().map(|d| d.to_string()),
            last_date: dates.last().map(|d| d.to_string()),
        };
        let (lo, hi) = (
            base.first_date.clone().unwrap_or_default(),
            base.last_date.clone().unwrap_or_default(),
        );
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Per section-date-item: the highest revision of any source (numbering is shared),
            // and whether a manual / an automatic value exists (each kind is revised apart).
            let mut latest: HashMap<(String, String, String), (i64, bool, bool)> = HashMap::new();
            let mut drinking: HashMap<&str, bool> = HashMap::new();
            for code in &sections {
                let found = sqlx::query("SELECT is_drinking_source FROM water_sections WHERE code = $1").bind(*code).fetch_optional(&mut *tx).await?;
                let Some(found) = found else {
                    return Err(StoreError::NotFound(format!("水质断面「{code}」未登记，请先导入断面")).into());
                };
                drinking.insert(*code, found.try_get("is_drinking_source")?);
                // One revision query per section over the batch's date range.
                let prev = sqlx::query("SELECT sample_date, item, source, MAX(revision) AS revision FROM water_samples \
                     WHERE section_code = $1 AND sample_date >= $2 AND sample_date <= $3 GROUP BY sample_date, item, source")
                    .bind(*code).bind(&lo).bind(&hi).fetch_all(&mut *tx).await?;
                for r in prev {
                    let source: String = r.try_get("source")?;
                    let rev: i64 = r.try_get("revision")?;
                    let e = latest.entry(((*code).to_string(), r.try_get("sample_date")?, r.try_get("item")?)).or_insert((0, false, false));
                    e.0 = e.0.max(rev);
                    if source == AUTOMATIC_SOURCE { e.2 = true } else { e.1 = true }
                }
            }
            check_drinking_items(rows, &drinking)?;
            let mut revised = 0usize;
            let items: Vec<(&NewWaterSample, i64)> = rows
                .iter()
                .map(|r| match latest.get(&(r.section_code.clone(), r.date.clone(), r.item.clone())) {
                    Some((n, manual, automatic)) => {
                        if (r.source == AUTOMATIC_SOURCE && *automatic) || (r.source != AUTOMATIC_SOURCE && *manual) {
                            revised += 1;
                        }
                        (r, n + 1)
                    }
                    None => (r, 1),
                })
                .collect();
            for chunk in items.chunks(SAMPLE_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO water_samples (section_code, sample_date, item, revision, value, below_detection, source, imported_at, imported_by) ");
                qb.push_values(chunk, |mut b, (r, rev)| {
                    b.push_bind(&r.section_code).push_bind(&r.date).push_bind(&r.item).push_bind(*rev)
                        .push_bind(&r.value).push_bind(r.below_detection).push_bind(&r.source)
                        .push_bind(&now).push_bind(actor.user_id);
                });
                qb.build().execute(&mut *tx).await?;
            }
            let mut audit = AuditEntry::ok(actor, "water_sample.import", format!("water_sections:{}", sections.iter().copied().collect::<Vec<_>>().join(",")));
            audit.detail = Some(format!(
                "断面 {} 个，监测结果 {} 条（其中修订 {revised} 条），{} 至 {}",
                sections.len(), rows.len(),
                base.first_date.as_deref().unwrap_or("-"), base.last_date.as_deref().unwrap_or("-")
            ));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
            Ok(WaterImportSummary { revised, ..base })
        })
    }

    /// The latest revision of each stored result of one section (or of every section when
    /// `None`) sampled in `year`, ordered by section, date and item.
    ///
    /// A section-date-item with both a manual result and an automatic daily mean comes back
    /// twice, once per kind (manual sources before `hj212`): callers choose between them.
    pub async fn water_samples(
        &self,
        section: Option<&str>,
        year: i32,
    ) -> Result<Vec<WaterSample>, StoreError> {
        self.water_samples_between(
            section,
            &format!("{year:04}-01-01"),
            &format!("{year:04}-12-31"),
        )
        .await
    }

    /// Like [`Store::water_samples`], for sampling dates `from` to `to` (`YYYY-MM-DD`, both
    /// included).
    pub async fn water_samples_between(
        &self,
        section: Option<&str>,
        from: &str,
        to: &str,
    ) -> Result<Vec<WaterSample>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT s.section_code, s.sample_date, s.item, s.revision, s.value, s.below_detection, s.source, s.imported_at \
                 FROM water_samples s WHERE ($1 IS NULL OR s.section_code = $1) AND s.sample_date >= $2 AND s.sample_date <= $3 \
                 AND s.revision = (SELECT MAX(x.revision) FROM water_samples x WHERE x.section_code = s.section_code AND x.sample_date = s.sample_date AND x.item = s.item \
                     AND (x.source = 'hj212') = (s.source = 'hj212')) \
                 ORDER BY s.section_code, s.sample_date, s.item, s.source = 'hj212'")
                .bind(section).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(water_sample_from_row!(r)); }
            out
        }))
    }

    /// Every revision of one section-date-item, oldest first.
    pub async fn water_sample_history(
        &self,
        section: &str,
        date: &str,
        item: &str,
    ) -> Result<Vec<WaterSample>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT section_code, sample_date, item, revision, value, below_detection, source, imported_at FROM water_samples \
                 WHERE section_code = $1 AND sample_date = $2 AND item = $3 ORDER BY revision")
                .bind(section).bind(date).bind(item).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows { out.push(water_sample_from_row!(r)); }
            out
        }))
    }

    /// The latest sampling date stored, if any.
    pub async fn water_last_date(&self) -> Result<Option<String>, StoreError> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT MAX(sample_date) AS d FROM water_samples")
                .fetch_one(p).await?.try_get::<Option<String>, _>("d")?
        }))
    }
}

/// An HJ 212 device (数采仪) of an automatic surface-water station at a section.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WaterSectionDevice {
    /// MN.
    pub mn: String,
    /// Section code.
    pub section_code: String,
    /// The PW it must send.
    pub password: String,
    /// "strict" or "field".
    pub crc_policy: String,
}

impl Store {
    /// Links an HJ 212 device to a water section (or moves it to another one); audited with
    /// the section it was linked to before. An MN already in use by a pollution-source device
    /// or an air station is refused: the gateway keys every device by MN alone.
    pub async fn link_water_section_device(
        &self,
        d: &WaterSectionDevice,
        actor: &Actor,
    ) -> Result<(), StoreError> {
        if !["strict", "field"].contains(&d.crc_policy.as_str()) {
            return Err(StoreError::Conflict(format!(
                "CRC 策略应为 strict 或 field，而不是「{}」",
                d.crc_policy
            )));
        }
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            if sqlx::query("SELECT code FROM water_sections WHERE code = $1").bind(&d.section_code).fetch_optional(&mut *tx).await?.is_none() {
                return Err(StoreError::NotFound(format!("水质断面「{}」", d.section_code)));
            }
            if sqlx::query("SELECT mn FROM devices WHERE mn = $1").bind(&d.mn).fetch_optional(&mut *tx).await?.is_some() {
                return Err(StoreError::Conflict(format!("设备 {} 已登记为污染源监控设备", d.mn)));
            }
            if let Some(r) = sqlx::query("SELECT station_code FROM air_station_devices WHERE mn = $1").bind(&d.mn).fetch_optional(&mut *tx).await? {
                let station: String = r.try_get("station_code")?;
                return Err(StoreError::Conflict(format!("设备 {} 已关联空气站点 {station}", d.mn)));
            }
            let before: Option<String> = match sqlx::query("SELECT section_code FROM water_section_devices WHERE mn = $1").bind(&d.mn).fetch_optional(&mut *tx).await? {
                Some(r) => Some(r.try_get("section_code")?),
                None => None,
            };
            sqlx::query("INSERT INTO water_section_devices (mn, section_code, password, crc_policy, linked_at) VALUES ($1, $2, $3, $4, $5) \
                         ON CONFLICT (mn) DO UPDATE SET section_code = excluded.section_code, password = excluded.password, crc_policy = excluded.crc_policy, linked_at = excluded.linked_at")
                .bind(&d.mn).bind(&d.section_code).bind(&d.password).bind(&d.crc_policy).bind(&now).execute(&mut *tx).await?;
            crate::stations::insert_link_change!(tx, "water", &d.mn, &d.section_code, "link", actor, &now);
            let mut audit = AuditEntry::ok(actor, "water_section.link_device", format!("water_section:{}", d.section_code)).with_new(d.mn.clone());
            audit.old_value = before.map(|b| format!("{} → 断面 {b}", d.mn));
            audit.detail = Some(format!("CRC 策略 {}", d.crc_policy));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every HJ 212 device of a water section, by MN.
    pub async fn water_section_devices(&self) -> Result<Vec<WaterSectionDevice>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, section_code, password, crc_policy FROM water_section_devices ORDER BY mn").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(WaterSectionDevice { mn: r.try_get("mn")?, section_code: r.try_get("section_code")?, password: r.try_get("password")?, crc_policy: r.try_get("crc_policy")? });
            }
            out
        }))
    }

    /// The hourly (CN=2061) uploads of surface-water quality monitoring (ST=21) a device sent
    /// with `from <= DataTime < to` (`YYYYMMDDhhmmss`), in upload order (DataTime, QN,
    /// segment). Uploads under another system code are left out: a linked MN that also sends,
    /// say, waste-water data (ST=32) must not turn them into river quality.
    pub async fn water_station_uploads(
        &self,
        mn: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<(String, Vec<crate::FactorValues>)>, StoreError> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT data_time, factors FROM uploads WHERE mn = $1 AND cn = '2061' AND data_time >= $2 AND data_time < $3 AND st = '21' ORDER BY data_time, qn, pno")
                .bind(mn).bind(from).bind(to).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                let json: String = r.try_get("factors")?;
                let f: Vec<crate::FactorValues> = serde_json::from_str(&json).map_err(|e| StoreError::Corrupt(format!("uploads.factors: {e}")))?;
                out.push((r.try_get("data_time")?, f));
            }
            out
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_and_dates() {
        assert!(is_plain_decimal("0.05"));
        assert!(is_plain_decimal("7"));
        assert!(!is_plain_decimal("-1"));
        assert!(!is_plain_decimal(".5"));
        assert!(!is_plain_decimal("1e3"));
        assert!(!is_plain_decimal(""));
        assert!(valid_water_date("2024-02-29"));
        assert!(!valid_water_date("2023-02-29"));
        assert!(!valid_water_date("2024-2-01"));
    }

    #[test]
    fn item_codes_of_all_three_tables() {
        assert!(is_water_item_code("NH3N"));
        assert!(is_water_item_code("T2-5"));
        assert!(is_water_item_code("T3-80"));
        assert_eq!(single_limit_table("T2-1"), Some(2));
        assert_eq!(single_limit_table("T3-1"), Some(3));
        // Only the canonical spelling is stored; readers normalise before.
        for bad in ["t2-1", " T2-1", "T2-6", "T3-81", "T3-01", "nh3n", "苯"] {
            assert!(!is_water_item_code(bad), "{bad}");
        }
    }
}
