//! Lists that grow with data, one page at a time: the quarantine of unknown devices, the
//! alarms and the audit log. Each returns the page and the total so a pager can be drawn.

use sqlx::Row;

use crate::{AuditRecord, DeviceOverview, QuarantinedDevice, Result, Store};

/// One page of a list and how many items the whole list has.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    /// The items of this page.
    pub items: Vec<T>,
    /// Items in the whole list.
    pub total: i64,
}

impl Store {
    /// One page of the unknown devices waiting in quarantine, by MN.
    pub async fn quarantine_paged(
        &self,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<QuarantinedDevice>> {
        Ok(with_pool!(self, p => {
            // The gateway keeps one counter row per unknown MN (refused_traffic), so a flood of
            // MNs costs a row each here, not a row per frame.
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM refused_traffic WHERE kind = 'quarantined'")
                .fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query("SELECT source_key, total, kept, first_seen, last_seen, last_peer FROM refused_traffic \
                                    WHERE kind = 'quarantined' ORDER BY source_key LIMIT $1 OFFSET $2")
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(QuarantinedDevice { mn: r.try_get("source_key")?, frames: r.try_get("total")?, kept: r.try_get("kept")?, first_seen: r.try_get("first_seen")?, last_seen: r.try_get("last_seen")?, peer: r.try_get("last_peer")? });
            }
            Paged { items, total }
        }))
    }

    /// One page of the audit log, newest first, optionally only actions starting with a prefix.
    pub async fn audit_paged(
        &self,
        action_prefix: Option<&str>,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<AuditRecord>> {
        let pattern = format!("{}%", action_prefix.unwrap_or(""));
        Ok(with_pool!(self, p => {
            let total: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE action LIKE $1")
                .bind(&pattern).fetch_one(p).await?.try_get("n")?;
            let rows = sqlx::query("SELECT id, at, actor, actor_user_id, action, target, outcome, old_value, new_value, detail, peer FROM audit_log \
                                    WHERE action LIKE $1 ORDER BY id DESC LIMIT $2 OFFSET $3")
                .bind(&pattern).bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(AuditRecord {
                    id: r.try_get("id")?, at: r.try_get("at")?, actor: r.try_get("actor")?, actor_user_id: r.try_get("actor_user_id")?,
                    action: r.try_get("action")?, target: r.try_get("target")?, outcome: r.try_get("outcome")?,
                    old_value: r.try_get("old_value")?, new_value: r.try_get("new_value")?, detail: r.try_get("detail")?, peer: r.try_get("peer")?,
                });
            }
            Paged { items, total }
        }))
    }

    /// One page of the registry's devices (enterprise, outlet, device, last upload), ordered by
    /// enterprise name, outlet code and MN, narrowed by `filter`.
    pub async fn registry_paged(
        &self,
        filter: &RegistryFilter,
        limit: i64,
        offset: i64,
    ) -> Result<Paged<DeviceOverview>> {
        let search = filter.search_pattern();
        Ok(with_pool!(self, p => {
            // Unfiltered, every device counts (each has its outlet and enterprise): one count
            // of the smallest index instead of a three-table join per request.
            let total: i64 = if *filter == RegistryFilter::default() {
                sqlx::query("SELECT COUNT(*) AS n FROM devices").fetch_one(p).await?.try_get("n")?
            } else {
                sqlx::query(&format!("SELECT COUNT(*) AS n FROM devices d JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id WHERE {REGISTRY_WHERE}"))
                    .bind(&filter.division_code).bind(&filter.outlet_kind).bind(&filter.credit_code).bind(&search)
                    .fetch_one(p).await?.try_get("n")?
            };
            // CROSS JOIN fixes SQLite's join order (PostgreSQL plans it as the inner join it
            // is): enterprises by name, then their outlets and devices by index, already in the
            // list's order, stopping after the page. Left to itself, SQLite without table
            // statistics (nothing runs ANALYZE) scans every device and sorts the whole join for
            // each request: 5 ms instead of 0.3 ms at 10,000 devices.
            let rows = sqlx::query(&format!("SELECT e.credit_code, e.name AS enterprise, e.division_code, e.industry, o.code AS outlet_code, o.name AS outlet_name, o.kind, \
                                    d.mn, d.protocol, d.interval_secs, s.last_received_at AS last_seen \
                                    FROM enterprises e CROSS JOIN outlets o CROSS JOIN devices d LEFT JOIN device_last_seen s ON s.mn = d.mn \
                                    WHERE o.enterprise_id = e.id AND d.outlet_id = o.id AND {REGISTRY_WHERE} ORDER BY e.name, e.id, o.code, d.mn LIMIT $5 OFFSET $6"))
                .bind(&filter.division_code).bind(&filter.outlet_kind).bind(&filter.credit_code).bind(&search)
                .bind(limit).bind(offset).fetch_all(p).await?;
            let mut items = Vec::with_capacity(rows.len());
            for r in rows {
                items.push(DeviceOverview {
                    credit_code: r.try_get("credit_code")?, enterprise: r.try_get("enterprise")?, division_code: r.try_get("division_code")?,
                    industry: r.try_get("industry")?, outlet_code: r.try_get("outlet_code")?, outlet_name: r.try_get("outlet_name")?,
                    outlet_kind: r.try_get("kind")?, mn: r.try_get("mn")?, protocol: r.try_get("protocol")?,
                    interval_secs: r.try_get("interval_secs")?, last_seen: r.try_get("last_seen")?,
                });
            }
            Paged { items, total }
        }))
    }

    /// Per county (division code of the enterprise, `None` where it has none): how many devices are registered and how
    /// many delivered an upload at or after the moment `since(interval_secs)` gives for their
    /// reporting interval (stored form). The dashboard's counts, without reading every device.
    pub async fn device_counts_by_county(
        &self,
        since: impl Fn(i64) -> String,
    ) -> Result<std::collections::BTreeMap<Option<String>, (i64, i64)>> {
        let mut out: std::collections::BTreeMap<Option<String>, (i64, i64)> = Default::default();
        with_pool!(self, p => {
            for r in sqlx::query("SELECT e.division_code, COUNT(*) AS n FROM devices d JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id GROUP BY e.division_code")
                .fetch_all(p).await? {
                out.entry(r.try_get("division_code")?).or_default().0 = r.try_get("n")?;
            }
            let intervals: Vec<i64> = sqlx::query("SELECT DISTINCT interval_secs FROM devices")
                .fetch_all(p).await?.iter().map(|r| r.try_get::<i64, _>("interval_secs")).collect::<std::result::Result<_, _>>()?;
            // One range scan of the last-seen index per reporting interval (there are few).
            for interval in intervals {
                for r in sqlx::query("SELECT e.division_code, COUNT(*) AS n FROM device_last_seen s JOIN devices d ON d.mn = s.mn JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id \
                                      WHERE s.last_received_at >= $1 AND d.interval_secs = $2 GROUP BY e.division_code")
                    .bind(since(interval)).bind(interval).fetch_all(p).await? {
                    let n: i64 = r.try_get("n")?;
                    out.entry(r.try_get("division_code")?).or_default().1 += n;
                }
            }
        });
        Ok(out)
    }

    /// How many of the devices `filter` keeps delivered an upload at or after the moment
    /// `since(interval_secs)` gives for their reporting interval (stored form): the online
    /// count beside a paged registry, without reading every device.
    pub async fn registry_recent_count(
        &self,
        filter: &RegistryFilter,
        since: impl Fn(i64) -> String,
    ) -> Result<i64> {
        let search = filter.search_pattern();
        Ok(with_pool!(self, p => {
            let intervals: Vec<i64> = sqlx::query("SELECT DISTINCT interval_secs FROM devices")
                .fetch_all(p).await?.iter().map(|r| r.try_get::<i64, _>("interval_secs")).collect::<std::result::Result<_, _>>()?;
            let mut n = 0i64;
            // One range scan of the last-seen index per reporting interval (there are few).
            // Unfiltered, every device counts (each has its outlet and enterprise): the join
            // stops at the devices.
            let unfiltered = *filter == RegistryFilter::default();
            for interval in intervals {
                let c: i64 = if unfiltered {
                    sqlx::query("SELECT COUNT(*) AS n FROM device_last_seen s JOIN devices d ON d.mn = s.mn WHERE s.last_received_at >= $1 AND d.interval_secs = $2")
                        .bind(since(interval)).bind(interval)
                        .fetch_one(p).await?.try_get("n")?
                } else {
                    sqlx::query(&format!("SELECT COUNT(*) AS n FROM device_last_seen s JOIN devices d ON d.mn = s.mn JOIN outlets o ON o.id = d.outlet_id JOIN enterprises e ON e.id = o.enterprise_id \
                                        WHERE {REGISTRY_WHERE} AND s.last_received_at >= $5 AND d.interval_secs = $6"))
                        .bind(&filter.division_code).bind(&filter.outlet_kind).bind(&filter.credit_code).bind(&search)
                        .bind(since(interval)).bind(interval)
                        .fetch_one(p).await?.try_get("n")?
                };
                n += c;
            }
            n
        }))
    }
}

/// The conditions of [`RegistryFilter`] over `e` (enterprises), `o` (outlets) and `d`
/// (devices), binds `$1`…`$4`; an absent filter keeps everything.
const REGISTRY_WHERE: &str = "($1 IS NULL OR e.division_code = $1) AND ($2 IS NULL OR o.kind = $2) \
     AND ($3 IS NULL OR e.credit_code = $3) \
     AND ($4 IS NULL OR e.name LIKE $4 ESCAPE '\\' OR e.credit_code LIKE $4 ESCAPE '\\' OR d.mn LIKE $4 ESCAPE '\\')";

/// What a registry list keeps: every field absent keeps every device.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegistryFilter {
    /// Part of the enterprise name, credit code or MN.
    pub search: Option<String>,
    /// County (GB/T 2260 code).
    pub division_code: Option<String>,
    /// `gas` or `water`.
    pub outlet_kind: Option<String>,
    /// One enterprise only (an enterprise account's own).
    pub credit_code: Option<String>,
}

impl RegistryFilter {
    /// The search as a LIKE pattern, its own `%`, `_` and backslash taken literally.
    fn search_pattern(&self) -> Option<String> {
        self.search.as_deref().map(|s| {
            let mut p = String::from("%");
            for c in s.chars() {
                if matches!(c, '%' | '_' | '\\') {
                    p.push('\\');
                }
                p.push(c);
            }
            p.push('%');
            p
        })
    }
}
