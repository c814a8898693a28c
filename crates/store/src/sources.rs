//! Pollution sources in the store: the registry, the raw frame archive and uploaded data.

use qingshan_sources::Registry;
use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{Actor, AuditEntry, Result, Store, StoreError, now_text};

/// A registered device as the gateway needs it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RegisteredDevice {
    /// MN.
    pub mn: String,
    /// Outlet row id.
    pub outlet_id: i64,
    /// "2005", "2017" or "2025".
    pub protocol: String,
    /// "strict" or "field".
    pub crc_policy: String,
    /// The PW it must send.
    pub password: String,
    /// Expected reporting interval, seconds.
    pub interval_secs: i64,
}

/// What the gateway decided about a frame before storing it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FrameVerdict {
    /// A valid upload from a registered device: store its data.
    Upload,
    /// A valid frame from an unknown MN: keep it for staff to register.
    Quarantined,
    /// A valid frame with a wrong password or otherwise not accepted.
    Refused,
    /// Could not be decoded (CRC, length, syntax).
    Rejected,
    /// Bytes between frames.
    Garbage,
    /// A valid frame that carries no data to store (requests, replies, notifications).
    Control,
}

/// One factor's values in an upload, as exact text.
/// Absent fields are left out of the stored JSON: a frame carries only a few per factor.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct FactorValues {
    /// 2017 factor code (2005 codes mapped).
    pub factor: String,
    /// Real-time value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rtd: Option<String>,
    /// Minimum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<String>,
    /// Mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub avg: Option<String>,
    /// Maximum.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<String>,
    /// Cumulative amount.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cou: Option<String>,
    /// Converted real-time value.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zs_rtd: Option<String>,
    /// Converted mean.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub zs_avg: Option<String>,
    /// Data flag (N, F, M, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub flag: Option<String>,
    /// Extended flag.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub eflag: Option<String>,
    /// Other fields, `name=value;…`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<String>,
}

/// The data of an upload frame.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Upload {
    /// MN.
    pub mn: String,
    /// CN.
    pub cn: String,
    /// QN (empty when the frame had none).
    pub qn: String,
    /// DataTime (empty when none).
    pub data_time: String,
    /// Segment number of a split packet (0 when not split).
    pub pno: i64,
    /// ST.
    pub st: Option<String>,
    /// Flag.
    pub flag: Option<i64>,
    /// Factors.
    pub factors: Vec<FactorValues>,
}

/// A received frame to archive (and, for uploads, to store).
#[derive(Debug, Clone)]
pub struct ReceivedFrame {
    /// When it arrived (stored form).
    pub received_at: String,
    /// Remote address.
    pub peer: String,
    /// The exact bytes.
    pub bytes: Vec<u8>,
    /// The gateway's verdict.
    pub verdict: FrameVerdict,
    /// MN, if readable.
    pub mn: Option<String>,
    /// CN, if readable.
    pub cn: Option<String>,
    /// Error kind (decode errors: crc_mismatch…; refusals: bad_password).
    pub error_kind: Option<String>,
    /// Human message.
    pub message: Option<String>,
    /// The data, for uploads.
    pub upload: Option<Upload>,
}

/// What became of an archived frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IngestOutcome {
    /// Its data is stored (first time).
    Stored,
    /// Same MN, CN, QN, DataTime and segment as a stored upload: archived only.
    Duplicate,
    /// Archived with its verdict.
    Archived,
    /// Not accepted and beyond the archive's budget for its MN or address: only counted.
    Counted,
}

/// Counts of stored uploads (each once).
#[derive(Debug, Clone, Default, Serialize)]
pub struct IngestStats {
    /// All stored uploads.
    pub total: i64,
    /// By CN.
    pub by_cn: std::collections::BTreeMap<String, i64>,
    /// By MN.
    pub by_device: std::collections::BTreeMap<String, i64>,
}

/// A frame kept in quarantine, grouped by MN.
#[derive(Debug, Clone, Serialize)]
pub struct QuarantinedDevice {
    /// MN.
    pub mn: String,
    /// Frames received.
    pub frames: i64,
    /// Frames kept in the archive (the first ones; the rest are only counted).
    pub kept: i64,
    /// First seen.
    pub first_seen: String,
    /// Last seen.
    pub last_seen: String,
    /// Last peer.
    pub peer: String,
}

/// A device with its enterprise and outlet, as the registry pages show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DeviceOverview {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Enterprise name.
    pub enterprise: String,
    /// County code.
    pub division_code: Option<String>,
    /// Industry.
    pub industry: Option<String>,
    /// Outlet code.
    pub outlet_code: String,
    /// Outlet name.
    pub outlet_name: String,
    /// gas or water.
    pub outlet_kind: String,
    /// MN.
    pub mn: String,
    /// Protocol version.
    pub protocol: String,
    /// Expected interval, seconds.
    pub interval_secs: i64,
    /// Last upload received, if any.
    pub last_seen: Option<String>,
}

/// A stored measurement row.
#[derive(Debug, Clone, Serialize)]
pub struct Measurement {
    /// DataTime.
    pub data_time: String,
    /// CN.
    pub cn: String,
    /// Values.
    #[serde(flatten)]
    pub values: FactorValues,
}

/// The query for one device's uploads of one CN in a DataTime range, binding MN, from, to
/// (and the CN for the CNs without a per-device index).
///
/// Hourly and daily data have per-device partial indexes, usable only when the query names
/// the CN as a literal; real-time, minute and state data are found through the DataTime-led
/// unique key (see migration 0008), so callers keep their ranges short.
pub fn device_uploads_sql(cn: &str) -> &'static str {
    match cn {
        "2061" => {
            "SELECT data_time, factors FROM uploads WHERE mn = $1 AND cn = '2061' AND data_time >= $2 AND data_time < $3 ORDER BY data_time, qn, pno"
        }
        "2031" => {
            "SELECT data_time, factors FROM uploads WHERE mn = $1 AND cn = '2031' AND data_time >= $2 AND data_time < $3 ORDER BY data_time, qn, pno"
        }
        _ => {
            "SELECT data_time, factors FROM uploads WHERE data_time >= $2 AND data_time < $3 AND mn = $1 AND cn = $4 ORDER BY data_time, qn, pno"
        }
    }
}

/// The columns of a [`DeviceOverview`] over `e` (enterprises), `o` (outlets), `d` (devices)
/// and `s` (their last upload).
const OVERVIEW_SELECT: &str = "SELECT e.credit_code, e.name AS enterprise, e.division_code, e.industry, o.code AS outlet_code, o.name AS outlet_name, o.kind, \
     d.mn, d.protocol, d.interval_secs, s.last_received_at AS last_seen \
     FROM devices d LEFT JOIN device_last_seen s ON s.mn = d.mn JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id";

/// Builds a [`DeviceOverview`] from a row of [`OVERVIEW_SELECT`].
macro_rules! overview_from_row {
    ($r:expr) => {{
        DeviceOverview {
            credit_code: $r.try_get("credit_code")?,
            enterprise: $r.try_get("enterprise")?,
            division_code: $r.try_get("division_code")?,
            industry: $r.try_get("industry")?,
            outlet_code: $r.try_get("outlet_code")?,
            outlet_name: $r.try_get("outlet_name")?,
            outlet_kind: $r.try_get("kind")?,
            mn: $r.try_get("mn")?,
            protocol: $r.try_get("protocol")?,
            interval_secs: $r.try_get("interval_secs")?,
            last_seen: $r.try_get("last_seen")?,
        }
    }};
}

/// Rows per multi-row statement, under SQLite's 32766 bound parameters.
const UPLOAD_CHUNK: usize = 3000;
const RAW_CHUNK: usize = 3000;

impl Store {
    /// Imports a registry in one transaction: enterprises, outlets, devices, permits and limits
    /// are added or updated by their natural keys. Audited.
    pub async fn import_registry(&self, reg: &Registry, actor: &Actor) -> Result<()> {
        let mut audit = AuditEntry::ok(actor, "registry.import", "registry".into());
        audit.detail = Some(format!(
            "企业 {}，排放口 {}，设备 {}，许可证 {}，限值 {}",
            reg.enterprises.len(),
            reg.outlets.len(),
            reg.devices.len(),
            reg.permits.len(),
            reg.limits.len()
        ));
        self.apply_registry(reg, &audit).await
    }

    /// Adds or updates one registry row (an enterprise's outlet, device, permit and one
    /// factor's limit) edited on the web; the audit entry keeps the row before and after.
    pub async fn edit_registry_row(
        &self,
        reg: &Registry,
        actor: &Actor,
        target: String,
        old_row: Option<String>,
        new_row: String,
    ) -> Result<()> {
        let mut audit = AuditEntry::ok(actor, "registry.edit", target);
        audit.old_value = old_row;
        audit.new_value = Some(new_row);
        self.apply_registry(reg, &audit).await
    }

    /// The whole registry, in the form it is imported in (for export and editing).
    pub async fn export_registry(&self) -> Result<Registry> {
        use qingshan_sources::{Device, Enterprise, Limit, Outlet, OutletKind, Permit};
        let mut reg = Registry::default();
        with_pool!(self, p => {
            for r in sqlx::query("SELECT credit_code, name, division_code, industry, address, longitude, latitude, permit_class FROM enterprises ORDER BY credit_code").fetch_all(p).await? {
                reg.enterprises.push(Enterprise {
                    credit_code: r.try_get("credit_code")?, name: r.try_get("name")?, division_code: r.try_get("division_code")?,
                    industry: r.try_get("industry")?, address: r.try_get("address")?, longitude: r.try_get("longitude")?, latitude: r.try_get("latitude")?,
                    permit_class: r.try_get("permit_class")?,
                });
            }
            for r in sqlx::query("SELECT e.credit_code, o.code, o.name, o.kind FROM outlets o JOIN enterprises e ON e.id = o.enterprise_id ORDER BY e.credit_code, o.code").fetch_all(p).await? {
                let kind: String = r.try_get("kind")?;
                reg.outlets.push(Outlet {
                    credit_code: r.try_get("credit_code")?, code: r.try_get("code")?, name: r.try_get("name")?,
                    kind: if kind == "water" { OutletKind::Water } else { OutletKind::Gas },
                });
            }
            for r in sqlx::query("SELECT d.mn, e.credit_code, o.code, d.protocol, d.crc_policy, d.password, d.interval_secs FROM devices d \
                                  JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id ORDER BY d.mn").fetch_all(p).await? {
                let interval: i64 = r.try_get("interval_secs")?;
                reg.devices.push(Device {
                    mn: r.try_get("mn")?, credit_code: r.try_get("credit_code")?, outlet_code: r.try_get("code")?, protocol: r.try_get("protocol")?,
                    crc_policy: r.try_get("crc_policy")?, password: r.try_get("password")?,
                    interval_secs: u32::try_from(interval).map_err(|_| StoreError::Corrupt(format!("devices.interval_secs {interval}")))?,
                });
            }
            for r in sqlx::query("SELECT pm.permit_number, e.credit_code, pm.valid_from, pm.valid_to FROM permits pm JOIN enterprises e ON e.id = pm.enterprise_id ORDER BY pm.permit_number").fetch_all(p).await? {
                reg.permits.push(Permit { number: r.try_get("permit_number")?, credit_code: r.try_get("credit_code")?, valid_from: r.try_get("valid_from")?, valid_to: r.try_get("valid_to")? });
            }
            for r in sqlx::query("SELECT pm.permit_number, e.credit_code, o.code, l.factor_code, l.hourly_limit, l.use_converted, l.reference_o2, l.annual_total_t \
                                  FROM permit_limits l JOIN permits pm ON pm.id = l.permit_id JOIN outlets o ON o.id = l.outlet_id JOIN enterprises e ON e.id = o.enterprise_id \
                                  ORDER BY e.credit_code, o.code, l.factor_code").fetch_all(p).await? {
                reg.limits.push(Limit {
                    permit_number: r.try_get("permit_number")?, credit_code: r.try_get("credit_code")?, outlet_code: r.try_get("code")?,
                    factor_code: r.try_get("factor_code")?, hourly_limit: r.try_get("hourly_limit")?, use_converted: r.try_get("use_converted")?,
                    reference_o2: r.try_get("reference_o2")?, annual_total_t: r.try_get("annual_total_t")?,
                });
            }
        });
        Ok(reg)
    }

    async fn apply_registry(&self, reg: &Registry, audit: &AuditEntry) -> Result<()> {
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            for e in &reg.enterprises {
                sqlx::query("INSERT INTO enterprises (credit_code, name, division_code, industry, address, longitude, latitude, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
                             ON CONFLICT (credit_code) DO UPDATE SET name = excluded.name, division_code = excluded.division_code, industry = excluded.industry, \
                             address = excluded.address, longitude = excluded.longitude, latitude = excluded.latitude")
                    .bind(&e.credit_code).bind(&e.name).bind(&e.division_code).bind(&e.industry).bind(&e.address).bind(&e.longitude).bind(&e.latitude).bind(&now)
                    .execute(&mut *tx).await?;
            }
            // The permit class (migration 26) is optional: a file that gives no class at all
            // leaves the stored classes as they are; one that gives any sets every enterprise's.
            if reg.enterprises.iter().any(|e| e.permit_class.is_some()) {
                for e in &reg.enterprises {
                    sqlx::query("UPDATE enterprises SET permit_class = $2 WHERE credit_code = $1")
                        .bind(&e.credit_code).bind(&e.permit_class).execute(&mut *tx).await?;
                }
            }
            for o in &reg.outlets {
                sqlx::query("INSERT INTO outlets (enterprise_id, code, name, kind) SELECT id, $2, $3, $4 FROM enterprises WHERE credit_code = $1 \
                             ON CONFLICT (enterprise_id, code) DO UPDATE SET name = excluded.name, kind = excluded.kind")
                    .bind(&o.credit_code).bind(&o.code).bind(&o.name).bind(o.kind.as_str()).execute(&mut *tx).await?;
            }
            for d in &reg.devices {
                let r = sqlx::query("INSERT INTO devices (mn, outlet_id, protocol, crc_policy, password, interval_secs, created_at) \
                             SELECT $1, o.id, $4, $5, $6, $7, $8 FROM outlets o JOIN enterprises e ON e.id = o.enterprise_id WHERE e.credit_code = $2 AND o.code = $3 \
                             ON CONFLICT (mn) DO UPDATE SET outlet_id = excluded.outlet_id, protocol = excluded.protocol, crc_policy = excluded.crc_policy, \
                             password = excluded.password, interval_secs = excluded.interval_secs")
                    .bind(&d.mn).bind(&d.credit_code).bind(&d.outlet_code).bind(&d.protocol).bind(&d.crc_policy).bind(&d.password)
                    .bind(i64::from(d.interval_secs)).bind(&now).execute(&mut *tx).await?;
                if r.rows_affected() == 0 {
                    return Err(StoreError::NotFound(format!("设备 {} 的排放口 {}/{}", d.mn, d.credit_code, d.outlet_code)));
                }
            }
            for pm in &reg.permits {
                sqlx::query("INSERT INTO permits (enterprise_id, permit_number, valid_from, valid_to) SELECT id, $2, $3, $4 FROM enterprises WHERE credit_code = $1 \
                             ON CONFLICT (permit_number) DO UPDATE SET valid_from = excluded.valid_from, valid_to = excluded.valid_to")
                    .bind(&pm.credit_code).bind(&pm.number).bind(&pm.valid_from).bind(&pm.valid_to).execute(&mut *tx).await?;
            }
            for l in &reg.limits {
                sqlx::query("INSERT INTO permit_limits (permit_id, outlet_id, factor_code, hourly_limit, use_converted, reference_o2, annual_total_t) \
                             SELECT pm.id, o.id, $4, $5, $6, $7, $8 FROM permits pm JOIN enterprises e ON e.id = pm.enterprise_id JOIN outlets o ON o.enterprise_id = e.id \
                             WHERE pm.permit_number = $1 AND e.credit_code = $2 AND o.code = $3 \
                             ON CONFLICT (permit_id, outlet_id, factor_code) DO UPDATE SET hourly_limit = excluded.hourly_limit, use_converted = excluded.use_converted, \
                             reference_o2 = excluded.reference_o2, annual_total_t = excluded.annual_total_t")
                    .bind(&l.permit_number).bind(&l.credit_code).bind(&l.outlet_code).bind(&l.factor_code).bind(&l.hourly_limit)
                    .bind(l.use_converted).bind(&l.reference_o2).bind(&l.annual_total_t).execute(&mut *tx).await?;
            }
            insert_audit!(&mut *tx, audit);
            tx.commit().await?;
        });
        Ok(())
    }

    /// Every registered device.
    pub async fn registered_devices(&self) -> Result<Vec<RegisteredDevice>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, outlet_id, protocol, crc_policy, password, interval_secs FROM devices ORDER BY mn").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(RegisteredDevice {
                    mn: r.try_get("mn")?, outlet_id: r.try_get("outlet_id")?, protocol: r.try_get("protocol")?,
                    crc_policy: r.try_get("crc_policy")?, password: r.try_get("password")?, interval_secs: r.try_get("interval_secs")?,
                });
            }
            out
        }))
    }

    /// Archives a batch of received frames and stores the data of uploads, all in one
    /// transaction: when this returns `Ok`, every frame of the batch is durable. A repeated
    /// upload (same MN, CN, QN, DataTime, segment) is archived as a duplicate, its data kept once.
    ///
    /// Multi-row statements keep the cost per frame low: two statements per batch (per chunk)
    /// instead of several per frame.
    pub async fn ingest(&self, frames: &[ReceivedFrame]) -> Result<Vec<IngestOutcome>> {
        self.ingest_bounded(frames, &[], &crate::RefusedBudget::default())
            .await
    }

    /// [`Store::ingest`] with the budget of the archive of refused traffic: of the frames not
    /// accepted (quarantined, refused, rejected), only the first `keep_per_key` per MN (or
    /// address) are archived; the rest are counted ([`IngestOutcome::Counted`]). Garbage
    /// summaries of connections are written (or brought up to date) in the same transaction,
    /// so they cost no commit of their own, within the same budget per address.
    pub async fn ingest_bounded(
        &self,
        frames: &[ReceivedFrame],
        garbage: &[crate::GarbageRecord],
        budget: &crate::RefusedBudget,
    ) -> Result<Vec<IngestOutcome>> {
        type Key = (String, String, String, String, i64);
        let uploads: Vec<(&Upload, &str)> = frames
            .iter()
            .filter(|f| f.verdict == FrameVerdict::Upload)
            .filter_map(|f| f.upload.as_ref().map(|u| (u, f.received_at.as_str())))
            .collect();
        let mut new_ids: std::collections::HashMap<Key, i64> = std::collections::HashMap::new();
        let mut outcomes = Vec::with_capacity(frames.len());
        // The checkpointer holds this while it lets the write-ahead log rewind.
        let _gate = match self {
            Store::Sqlite(_, shared) => Some(shared.ingest_gate.lock().await),
            Store::Postgres(_) => None,
        };
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            // Period data for a recorded gap is backfilled (补传); it is stored only if its
            // DataTime (and segment) is not stored yet, whatever QN it came with: a history
            // answer repeats data under new QNs (docs/backfill.md).
            let backfilled = crate::gaps::backfilled_in!(&mut tx, &uploads);
            let kept: Vec<(&Upload, &str, bool)> = uploads.iter().zip(backfilled).filter_map(|((u, at), b)| match b {
                crate::gaps::Backfill::No => Some((*u, *at, false)),
                crate::gaps::Backfill::Yes => Some((*u, *at, true)),
                crate::gaps::Backfill::AlreadyStored => None,
            }).collect();
            for chunk in kept.chunks(UPLOAD_CHUNK) {
                let factors: Vec<String> = chunk.iter().map(|(u, _, _)| serde_json::to_string(&u.factors).unwrap_or_else(|_| "[]".into())).collect();
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO uploads (mn, cn, qn, data_time, pno, st, flag, received_at, factors, backfilled) ");
                qb.push_values(chunk.iter().zip(factors), |mut b, ((u, received_at, backfilled), f)| {
                    b.push_bind(&u.mn).push_bind(&u.cn).push_bind(&u.qn).push_bind(&u.data_time).push_bind(u.pno)
                        .push_bind(&u.st).push_bind(u.flag).push_bind(*received_at).push_bind(f).push_bind(*backfilled);
                });
                qb.push(" ON CONFLICT (data_time, mn, cn, qn, pno) DO NOTHING RETURNING id, mn, cn, qn, data_time, pno");
                for r in qb.build().fetch_all(&mut *tx).await? {
                    let key: Key = (r.try_get("mn")?, r.try_get("cn")?, r.try_get("qn")?, r.try_get("data_time")?, r.try_get("pno")?);
                    new_ids.insert(key, r.try_get("id")?);
                }
            }
            crate::refused::upsert_garbage!(&mut tx, garbage, budget);
            let keep = crate::refused::refused_keep!(&mut tx, frames, budget);
            // The first frame of the batch with a newly inserted key stored it; any other is a duplicate.
            for (f, keep) in frames.iter().zip(&keep) {
                let outcome = match (f.verdict, &f.upload) {
                    _ if !keep => IngestOutcome::Counted,
                    (FrameVerdict::Upload, Some(u)) => {
                        let key: Key = (u.mn.clone(), u.cn.clone(), u.qn.clone(), u.data_time.clone(), u.pno);
                        match new_ids.remove(&key) {
                            Some(_) => IngestOutcome::Stored,
                            None => IngestOutcome::Duplicate,
                        }
                    }
                    _ => IngestOutcome::Archived,
                };
                outcomes.push(outcome);
            }
            let rows: Vec<(&ReceivedFrame, &IngestOutcome)> = frames.iter().zip(outcomes.iter()).filter(|(_, o)| **o != IngestOutcome::Counted).collect();
            for chunk in rows.chunks(RAW_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO raw_frames (received_at, peer, mn, cn, qn, data_time, bytes, verdict, error_kind, message) ");
                qb.push_values(chunk, |mut b, (f, o)| {
                    let verdict = match (f.verdict, o) {
                        (_, IngestOutcome::Duplicate) => "duplicate",
                        (_, IngestOutcome::Counted) => "refused",
                        (FrameVerdict::Upload | FrameVerdict::Control, _) => "stored",
                        (FrameVerdict::Quarantined, _) => "quarantined",
                        (FrameVerdict::Refused, _) => "refused",
                        (FrameVerdict::Rejected, _) => "rejected",
                        (FrameVerdict::Garbage, _) => "garbage",
                    };
                    let (qn, dt) = match &f.upload { Some(u) => (Some(u.qn.as_str()), Some(u.data_time.as_str())), None => (None, None) };
                    b.push_bind(&f.received_at).push_bind(&f.peer).push_bind(&f.mn).push_bind(&f.cn).push_bind(qn).push_bind(dt)
                        .push_bind(&f.bytes).push_bind(verdict).push_bind(&f.error_kind).push_bind(&f.message);
                });
                qb.build().execute(&mut *tx).await?;
            }
            // A resent (duplicate) upload still shows the device is delivering.
            let mut seen: std::collections::BTreeMap<&str, &str> = std::collections::BTreeMap::new();
            for (u, received_at) in &uploads {
                let e = seen.entry(u.mn.as_str()).or_insert(received_at);
                if *received_at > *e {
                    *e = received_at;
                }
            }
            let seen: Vec<(&str, &str)> = seen.into_iter().collect();
            for chunk in seen.chunks(UPLOAD_CHUNK) {
                let mut qb = sqlx::QueryBuilder::new("INSERT INTO device_last_seen (mn, last_received_at) ");
                qb.push_values(chunk, |mut b, (mn, at)| {
                    b.push_bind(*mn).push_bind(*at);
                });
                qb.push(" ON CONFLICT (mn) DO UPDATE SET last_received_at = excluded.last_received_at WHERE excluded.last_received_at > device_last_seen.last_received_at");
                qb.build().execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(outcomes)
    }

    /// Counts of stored uploads, each once.
    pub async fn ingest_stats(&self) -> Result<IngestStats> {
        let mut stats = IngestStats::default();
        with_pool!(self, p => {
            for r in sqlx::query("SELECT cn, COUNT(*) AS n FROM uploads GROUP BY cn").fetch_all(p).await? {
                let n: i64 = r.try_get("n")?;
                stats.total += n;
                stats.by_cn.insert(r.try_get("cn")?, n);
            }
            for r in sqlx::query("SELECT mn, COUNT(*) AS n FROM uploads GROUP BY mn").fetch_all(p).await? {
                stats.by_device.insert(r.try_get("mn")?, r.try_get("n")?);
            }
        });
        Ok(stats)
    }

    /// Every registered device with its enterprise, outlet and when it was last heard from.
    pub async fn registry_overview(&self) -> Result<Vec<DeviceOverview>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{OVERVIEW_SELECT} ORDER BY e.name, o.code, d.mn"))
                .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(overview_from_row!(r));
            }
            out
        }))
    }

    /// One registered device with its enterprise, outlet and last upload, if `mn` is
    /// registered: a device's pages and checks ask for it instead of reading the whole registry.
    pub async fn device_overview(&self, mn: &str) -> Result<Option<DeviceOverview>> {
        Ok(with_pool!(self, p => {
            match sqlx::query(&format!("{OVERVIEW_SELECT} WHERE d.mn = $1"))
                .bind(mn).fetch_optional(p).await? {
                Some(r) => Some(overview_from_row!(r)),
                None => None,
            }
        }))
    }

    /// The registered devices of one enterprise (统一社会信用代码), ordered as the registry.
    pub async fn enterprise_devices(&self, credit_code: &str) -> Result<Vec<DeviceOverview>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query(&format!("{OVERVIEW_SELECT} WHERE e.credit_code = $1 ORDER BY e.name, o.code, d.mn"))
                .bind(credit_code).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(overview_from_row!(r));
            }
            out
        }))
    }

    /// Deletes archived raw frames received before `before` (stored form): the retention rule.
    /// Uploaded data is kept; only the raw evidence expires. Audited when anything was removed.
    /// On PostgreSQL whole expired months are dropped first; the rows left are deleted.
    pub async fn purge_raw_frames(&self, before: &str) -> Result<u64> {
        let dropped = self.drop_expired_raw_months(before).await?;
        let n = with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let n = sqlx::query("DELETE FROM raw_frames WHERE received_at < $1").bind(before).execute(&mut *tx).await?.rows_affected();
            if n > 0 {
                let mut audit = AuditEntry::ok(&Actor::system(), "raw_archive.purge", "raw_frames".into());
                audit.detail = Some(format!("删除 {before} 之前接收的原始报文 {n} 条（保存期限到期）"));
                insert_audit!(&mut *tx, &audit);
            }
            tx.commit().await?;
            n
        });
        Ok(dropped + n)
    }

    /// The devices with uploads of this CN stored from `received_from` on (RFC 3339 UTC, as
    /// received), from the raw archive's arrival index.
    pub async fn devices_stored_since(
        &self,
        cn: &str,
        received_from: &str,
    ) -> Result<std::collections::BTreeSet<String>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT DISTINCT mn FROM raw_frames WHERE received_at >= $1 AND cn = $2 AND verdict = 'stored' AND mn IS NOT NULL")
                .bind(received_from).bind(cn).fetch_all(p).await?;
            let mut out = std::collections::BTreeSet::new();
            for r in rows {
                out.insert(r.try_get::<String, _>("mn")?);
            }
            out
        }))
    }

    /// When each device (pollution source, air or water station) last delivered an upload.
    pub async fn last_seen_of_all(&self) -> Result<std::collections::BTreeMap<String, String>> {
        let mut out = std::collections::BTreeMap::new();
        with_pool!(self, p => {
            for r in sqlx::query("SELECT mn, last_received_at FROM device_last_seen").fetch_all(p).await? {
                out.insert(r.try_get("mn")?, r.try_get("last_received_at")?);
            }
        });
        Ok(out)
    }

    /// (MN, QN) of every stored upload.
    pub async fn upload_keys(&self) -> Result<Vec<(String, String)>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT mn, qn FROM uploads").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push((r.try_get("mn")?, r.try_get("qn")?));
            }
            out
        }))
    }

    /// Archived frames by verdict.
    pub async fn archive_counts(&self) -> Result<std::collections::BTreeMap<String, i64>> {
        let mut out = std::collections::BTreeMap::new();
        with_pool!(self, p => {
            for r in sqlx::query("SELECT verdict, COUNT(*) AS n FROM raw_frames GROUP BY verdict").fetch_all(p).await? {
                out.insert(r.try_get("verdict")?, r.try_get("n")?);
            }
            // Bytes outside frames are summarised once per connection (migration 0011).
            let sessions: i64 = sqlx::query("SELECT COUNT(*) AS n FROM garbage_sessions").fetch_one(p).await?.try_get("n")?;
            if sessions > 0 {
                *out.entry("garbage".to_string()).or_insert(0) += sessions;
            }
        });
        Ok(out)
    }

    /// Unknown devices whose frames wait in quarantine (frames without an MN are listed by
    /// address, frames beyond the key budget under [`crate::OVERFLOW_KEY`]).
    pub async fn quarantine(&self) -> Result<Vec<QuarantinedDevice>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT source_key, total, kept, first_seen, last_seen, last_peer FROM refused_traffic WHERE kind = 'quarantined' ORDER BY source_key").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(QuarantinedDevice { mn: r.try_get("source_key")?, frames: r.try_get("total")?, kept: r.try_get("kept")?, first_seen: r.try_get("first_seen")?, last_seen: r.try_get("last_seen")?, peer: r.try_get("last_peer")? });
            }
            out
        }))
    }

    /// A device's stored values of one factor and CN, within `[from, to)` DataTimes (YYYYMMDDhhmmss).
    pub async fn measurements(
        &self,
        mn: &str,
        cn: &str,
        factor: &str,
        from: &str,
        to: &str,
    ) -> Result<Vec<Measurement>> {
        let mut out = Vec::new();
        for (data_time, factors) in self.uploads_between(mn, cn, from, to).await? {
            if let Some(values) = factors.into_iter().find(|f| f.factor == factor) {
                out.push(Measurement {
                    data_time,
                    cn: cn.to_string(),
                    values,
                });
            }
        }
        Ok(out)
    }
}
