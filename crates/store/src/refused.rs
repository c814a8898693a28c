//! What the gateway keeps of traffic it did not accept, bounded: a few frames per MN (or
//! address) and a count of the rest, one summary per connection for bytes outside frames, the
//! registry version the gateway reloads by, and the release of quarantined frames once their
//! device is registered.

use serde::Serialize;
use sqlx::Row;

use crate::macros::BeginWrite;
use crate::{
    Actor, AuditEntry, FrameVerdict, ReceivedFrame, Result, Store, StoreError, Upload, now_text,
};

/// How much of the traffic the gateway did not accept is archived frame by frame.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RefusedBudget {
    /// Frames archived per key (MN, or address when there is no MN) and kind; the rest are
    /// only counted.
    pub keep_per_key: i64,
    /// Keys counted separately per kind; frames of further keys are counted together under
    /// [`OVERFLOW_KEY`], so a flood of random MNs costs one row, not one per MN.
    pub max_keys: i64,
}

impl Default for RefusedBudget {
    fn default() -> Self {
        RefusedBudget {
            keep_per_key: 20,
            max_keys: 1000,
        }
    }
}

/// The key under which frames beyond [`RefusedBudget::max_keys`] keys are counted.
pub const OVERFLOW_KEY: &str = "*";

/// One counter of refused traffic: a key (MN or address) and kind, with what was kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedCount {
    /// "quarantined" (unknown MN), "refused" (wrong password, CRC policy), "rejected"
    /// (could not be decoded) or "garbage" (connections sending bytes outside frames, per
    /// address; `total` counts connections).
    pub kind: String,
    /// MN, or the address for frames without one, or [`OVERFLOW_KEY`].
    pub key: String,
    /// First frame.
    pub first_seen: String,
    /// Last frame.
    pub last_seen: String,
    /// Frames received.
    pub total: i64,
    /// Frames archived in full.
    pub kept: i64,
    /// Address of the last frame.
    pub last_peer: String,
}

/// The summary of the bytes outside any frame that one connection sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GarbageSession {
    /// Row id.
    pub id: i64,
    /// Remote address.
    pub peer: String,
    /// First such byte.
    pub first_at: String,
    /// Last such byte.
    pub last_at: String,
    /// Bytes in all.
    pub bytes: i64,
    /// The first bytes, up to the gateway's cap.
    pub head: Vec<u8>,
}

/// The summary of a connection's bytes outside frames, as the gateway writes it (again,
/// as it grows) with a batch of frames.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GarbageRecord {
    /// The connection's name, unique: the record is replaced while the connection lasts.
    pub conn: String,
    /// Remote address.
    pub peer: String,
    /// First such byte.
    pub first_at: String,
    /// Last such byte.
    pub last_at: String,
    /// Bytes in all.
    pub bytes: i64,
    /// The first bytes, up to the gateway's cap.
    pub head: Vec<u8>,
    /// The connection's first record; later ones only bring it up to date (and are dropped
    /// when the first was only counted).
    pub first: bool,
}

/// Writes garbage summaries inside the caller's transaction: a connection's first record is
/// stored while its address has fewer than `keep_per_key` of them, and counted (kind
/// "garbage", per address) either way, so reconnecting over and over costs a counter.
macro_rules! upsert_garbage {
    ($tx:expr, $garbage:expr, $budget:expr) => {{
        let garbage: &[$crate::GarbageRecord] = $garbage;
        let budget: &$crate::RefusedBudget = $budget;
        let mut by_address: Vec<(&str, Vec<&$crate::GarbageRecord>)> = Vec::new();
        // Updates after the first records: a connection's two may come in one batch.
        let mut updates = Vec::new();
        for g in garbage {
            if !g.first {
                updates.push(g);
                continue;
            }
            let address = $crate::refused::peer_address(&g.peer);
            match by_address.iter_mut().find(|(a, _)| *a == address) {
                Some((_, v)) => v.push(g),
                None => by_address.push((address, vec![g])),
            }
        }
        for (address, records) in by_address {
            let counted = sqlx::query("SELECT kept FROM refused_traffic WHERE kind = 'garbage' AND source_key = $1")
                .bind(address).fetch_optional(&mut **$tx).await?;
            let (key, kept) = match counted {
                Some(r) => (address, r.try_get::<i64, _>("kept")?),
                None => {
                    let keys: i64 = sqlx::query("SELECT COUNT(*) AS n FROM refused_traffic WHERE kind = 'garbage'")
                        .fetch_one(&mut **$tx).await?.try_get("n")?;
                    if keys < budget.max_keys {
                        (address, 0)
                    } else {
                        let kept = sqlx::query("SELECT kept FROM refused_traffic WHERE kind = 'garbage' AND source_key = $1")
                            .bind($crate::OVERFLOW_KEY).fetch_optional(&mut **$tx).await?
                            .map(|r| r.try_get::<i64, _>("kept")).transpose()?.unwrap_or(0);
                        ($crate::OVERFLOW_KEY, kept)
                    }
                }
            };
            let room = usize::try_from((budget.keep_per_key - kept).max(0)).unwrap_or(0);
            for g in records.iter().take(room) {
                sqlx::query("INSERT INTO garbage_sessions (conn, peer, first_at, last_at, bytes, head) VALUES ($1, $2, $3, $4, $5, $6) \
                             ON CONFLICT (conn) DO UPDATE SET last_at = excluded.last_at, bytes = excluded.bytes, head = excluded.head")
                    .bind(&g.conn).bind(&g.peer).bind(&g.first_at).bind(&g.last_at).bind(g.bytes).bind(&g.head)
                    .execute(&mut **$tx).await?;
            }
            let last = records.iter().max_by_key(|g| g.last_at.as_str()).unwrap_or(&records[0]);
            let first_seen = records.iter().map(|g| g.first_at.as_str()).min().unwrap_or_default();
            sqlx::query("INSERT INTO refused_traffic (kind, source_key, first_seen, last_seen, total, kept, last_peer) VALUES ('garbage', $1, $2, $3, $4, $5, $6) \
                         ON CONFLICT (kind, source_key) DO UPDATE SET total = refused_traffic.total + excluded.total, kept = refused_traffic.kept + excluded.kept, \
                         last_seen = CASE WHEN excluded.last_seen > refused_traffic.last_seen THEN excluded.last_seen ELSE refused_traffic.last_seen END, \
                         last_peer = excluded.last_peer")
                .bind(key).bind(first_seen).bind(&last.last_at)
                .bind(i64::try_from(records.len()).unwrap_or(i64::MAX)).bind(i64::try_from(records.len().min(room)).unwrap_or(i64::MAX))
                .bind(&last.peer).execute(&mut **$tx).await?;
        }
        for g in updates {
            sqlx::query("UPDATE garbage_sessions SET last_at = $2, bytes = $3, head = $4 WHERE conn = $1")
                .bind(&g.conn).bind(&g.last_at).bind(g.bytes).bind(&g.head).execute(&mut **$tx).await?;
        }
    }};
}
pub(crate) use upsert_garbage;

/// What a quarantined frame turns out to be once its device is registered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Released {
    /// An upload: its data is stored (once).
    Upload(Upload),
    /// A valid frame without data (a request, a notification).
    NoData,
    /// A frame the device's registration refuses (password, CRC policy), with why.
    Refused(String),
}

/// What a release did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ReleaseSummary {
    /// Frames looked at.
    pub frames: i64,
    /// Uploads whose data was stored.
    pub stored: i64,
    /// Uploads already stored (resent frames).
    pub duplicate: i64,
    /// Frames without data.
    pub no_data: i64,
    /// Frames the registration refuses.
    pub refused: i64,
    /// Frames that were counted only (beyond the archive budget) and so are gone.
    pub counted_only: i64,
}

/// The address part of a `host:port` peer (the key of frames without an MN).
pub(crate) fn peer_address(peer: &str) -> &str {
    match peer.rsplit_once(':') {
        Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
        _ => peer,
    }
}

/// The kinds of refused traffic, as stored.
pub(crate) const KINDS: [&str; 3] = ["quarantined", "refused", "rejected"];

/// The kind and key a refused frame is counted under, if it is refused at all.
pub(crate) fn refused_key(f: &ReceivedFrame) -> Option<(&'static str, String)> {
    let kind = match f.verdict {
        FrameVerdict::Quarantined => "quarantined",
        FrameVerdict::Refused => "refused",
        FrameVerdict::Rejected => "rejected",
        _ => return None,
    };
    let key = match f.mn.as_deref() {
        Some(mn) if !mn.is_empty() => mn.to_string(),
        _ => peer_address(&f.peer).to_string(),
    };
    Some((kind, key))
}

/// Which refused frames of a batch are archived in full (`true`) rather than only counted,
/// after updating their counters, inside the ingest transaction. Frames that are not refused
/// are `true`. A few statements per batch whatever its keys: a flood of random MNs must not
/// cost a statement per frame.
macro_rules! refused_keep {
    ($tx:expr, $frames:expr, $budget:expr) => {{
        use std::collections::HashMap;
        let frames: &[$crate::ReceivedFrame] = $frames;
        let budget: &$crate::RefusedBudget = $budget;
        let mut keep = vec![true; frames.len()];
        // (kind, key) → indexes, in order of first appearance.
        let mut groups: Vec<((&'static str, String), Vec<usize>)> = Vec::new();
        let mut at: HashMap<(&'static str, String), usize> = HashMap::new();
        for (i, f) in frames.iter().enumerate() {
            if let Some(k) = $crate::refused::refused_key(f) {
                let g = *at.entry(k.clone()).or_insert_with(|| { groups.push((k, Vec::new())); groups.len() - 1 });
                groups[g].1.push(i);
            }
        }
        // What is already counted of these keys (and of the overflow key): frames kept so far.
        let mut kept_of: HashMap<(&'static str, String), i64> = HashMap::new();
        for kind in $crate::refused::KINDS {
            let mut keys: Vec<&str> = groups.iter().filter(|((k, _), _)| *k == kind).map(|((_, key), _)| key.as_str()).collect();
            if keys.is_empty() {
                continue;
            }
            keys.push($crate::OVERFLOW_KEY);
            for chunk in keys.chunks(500) {
                let mut qb = sqlx::QueryBuilder::new("SELECT source_key, kept FROM refused_traffic WHERE kind = ");
                qb.push_bind(kind).push(" AND source_key IN (");
                let mut list = qb.separated(", ");
                for k in chunk {
                    list.push_bind(*k);
                }
                list.push_unseparated(")");
                for r in qb.build().fetch_all(&mut **$tx).await? {
                    kept_of.insert((kind, r.try_get::<String, _>("source_key")?), r.try_get::<i64, _>("kept")?);
                }
            }
        }
        // New keys past the cap are counted together under the overflow key of their kind.
        let mut keys_of_kind: HashMap<&'static str, i64> = HashMap::new();
        let mut merged: Vec<((&'static str, String), Vec<usize>)> = Vec::new();
        let mut merged_at: HashMap<(&'static str, String), usize> = HashMap::new();
        for ((kind, key), idx) in groups {
            let key = if kept_of.contains_key(&(kind, key.clone())) || key == $crate::OVERFLOW_KEY {
                key
            } else {
                let n = match keys_of_kind.get(kind) {
                    Some(n) => *n,
                    None => sqlx::query("SELECT COUNT(*) AS n FROM refused_traffic WHERE kind = $1")
                        .bind(kind).fetch_one(&mut **$tx).await?.try_get::<i64, _>("n")?,
                };
                if n >= budget.max_keys {
                    keys_of_kind.insert(kind, n);
                    $crate::OVERFLOW_KEY.to_string()
                } else {
                    keys_of_kind.insert(kind, n + 1);
                    key
                }
            };
            match merged_at.get(&(kind, key.clone())) {
                Some(m) => merged[*m].1.extend(idx),
                None => {
                    merged_at.insert((kind, key.clone()), merged.len());
                    merged.push(((kind, key), idx));
                }
            }
        }
        // (kind, key, first, last, total, newly kept, last peer)
        let mut rows: Vec<(&'static str, String, &str, &str, i64, i64, &str)> = Vec::with_capacity(merged.len());
        for ((kind, key), idx) in merged {
            let kept = kept_of.get(&(kind, key.clone())).copied().unwrap_or(0);
            let room = usize::try_from((budget.keep_per_key - kept).max(0)).unwrap_or(0);
            for (j, i) in idx.iter().enumerate() {
                keep[*i] = j < room;
            }
            let first = idx.iter().map(|i| frames[*i].received_at.as_str()).min().unwrap_or_default();
            let last_i = idx.iter().copied().max_by_key(|i| frames[*i].received_at.as_str()).unwrap_or(idx[0]);
            rows.push((kind, key, first, frames[last_i].received_at.as_str(),
                       i64::try_from(idx.len()).unwrap_or(i64::MAX), i64::try_from(idx.len().min(room)).unwrap_or(i64::MAX),
                       frames[last_i].peer.as_str()));
        }
        for chunk in rows.chunks(1000) {
            let mut qb = sqlx::QueryBuilder::new("INSERT INTO refused_traffic (kind, source_key, first_seen, last_seen, total, kept, last_peer) ");
            qb.push_values(chunk, |mut b, r| {
                b.push_bind(r.0).push_bind(&r.1).push_bind(r.2).push_bind(r.3).push_bind(r.4).push_bind(r.5).push_bind(r.6);
            });
            qb.push(" ON CONFLICT (kind, source_key) DO UPDATE SET total = refused_traffic.total + excluded.total, kept = refused_traffic.kept + excluded.kept, \
                     last_seen = CASE WHEN excluded.last_seen > refused_traffic.last_seen THEN excluded.last_seen ELSE refused_traffic.last_seen END, \
                     last_peer = excluded.last_peer");
            qb.build().execute(&mut **$tx).await?;
        }
        keep
    }};
}
pub(crate) use refused_keep;

impl Store {
    /// The registry version: bumped by every write to the tables of devices the gateway
    /// accepts (pollution-source devices, air and water station devices), by the database
    /// itself (triggers), so no write path can forget it.
    pub async fn registry_version(&self) -> Result<i64> {
        Ok(with_pool!(self, p => {
            sqlx::query("SELECT version FROM registry_version WHERE id = 1").fetch_one(p).await?.try_get::<i64, _>("version")?
        }))
    }

    /// The database's size in bytes as the database sees it (SQLite: pages in use including
    /// those still in the write-ahead log; PostgreSQL: `pg_database_size`), for measuring
    /// growth.
    pub async fn database_size(&self) -> Result<i64> {
        Ok(match self {
            Store::Sqlite(p, _) => {
                let pages: i64 = sqlx::query("PRAGMA page_count")
                    .fetch_one(p)
                    .await?
                    .try_get(0)?;
                let size: i64 = sqlx::query("PRAGMA page_size")
                    .fetch_one(p)
                    .await?
                    .try_get(0)?;
                pages * size
            }
            Store::Postgres(p) => sqlx::query("SELECT pg_database_size(current_database())")
                .fetch_one(p)
                .await?
                .try_get(0)?,
        })
    }

    /// Most connections the store's pool opens (what the process must reserve descriptors for).
    pub fn pool_size(&self) -> u32 {
        with_pool!(self, p => p.options().get_max_connections())
    }

    /// Garbage summaries, newest first, at most `limit`.
    pub async fn garbage_sessions(&self, limit: i64) -> Result<Vec<GarbageSession>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT id, peer, first_at, last_at, bytes, head FROM garbage_sessions ORDER BY id DESC LIMIT $1")
                .bind(limit).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(GarbageSession { id: r.try_get("id")?, peer: r.try_get("peer")?, first_at: r.try_get("first_at")?,
                    last_at: r.try_get("last_at")?, bytes: r.try_get("bytes")?, head: r.try_get("head")? });
            }
            out
        }))
    }

    /// Counters of refused traffic of one kind ("quarantined", "refused", "rejected"), by key.
    pub async fn refused_counts(&self, kind: &str) -> Result<Vec<RefusedCount>> {
        Ok(with_pool!(self, p => {
            let rows = sqlx::query("SELECT kind, source_key, first_seen, last_seen, total, kept, last_peer FROM refused_traffic WHERE kind = $1 ORDER BY source_key")
                .bind(kind).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in rows {
                out.push(RefusedCount { kind: r.try_get("kind")?, key: r.try_get("source_key")?, first_seen: r.try_get("first_seen")?,
                    last_seen: r.try_get("last_seen")?, total: r.try_get("total")?, kept: r.try_get("kept")?, last_peer: r.try_get("last_peer")? });
            }
            out
        }))
    }

    /// Deletes the archive of refused traffic older than `before` (stored form): frames not
    /// accepted (quarantined, refused, rejected, garbage), counters last seen before it and
    /// garbage summaries. Its retention is much shorter than the accepted frames'. Audited
    /// when anything was removed; returns the rows removed.
    pub async fn purge_refused_traffic(&self, before: &str) -> Result<u64> {
        Ok(with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let frames = sqlx::query("DELETE FROM raw_frames WHERE received_at < $1 AND verdict IN ('quarantined', 'refused', 'rejected', 'garbage')")
                .bind(before).execute(&mut *tx).await?.rows_affected();
            let counters = sqlx::query("DELETE FROM refused_traffic WHERE last_seen < $1").bind(before).execute(&mut *tx).await?.rows_affected();
            let garbage = sqlx::query("DELETE FROM garbage_sessions WHERE last_at < $1").bind(before).execute(&mut *tx).await?.rows_affected();
            let n = frames + counters + garbage;
            if n > 0 {
                let mut audit = AuditEntry::ok(&Actor::system(), "refused_archive.purge", "refused_traffic".into());
                audit.detail = Some(format!("删除 {before} 之前的未接收报文 {frames} 条、计数 {counters} 条、乱码记录 {garbage} 条（保存期限到期）"));
                insert_audit!(&mut *tx, &audit);
            }
            tx.commit().await?;
            n
        }))
    }

    /// Releases the frames a now registered device sent while it was unknown: each archived
    /// quarantined frame is classified by `classify` (as the gateway would have on arrival),
    /// uploads are stored like ingested ones (a frame whose data is already stored counts as
    /// a duplicate and is stored once), the archive rows take their new verdicts, and the
    /// device's quarantine counter is removed. One transaction, audited as done by `actor`.
    pub async fn release_quarantine(
        &self,
        mn: &str,
        actor: &Actor,
        classify: impl Fn(&[u8]) -> Released,
    ) -> Result<ReleaseSummary> {
        let mut summary = ReleaseSummary::default();
        let now = now_text();
        with_pool!(self, p => {
            let mut tx = p.begin_write().await?;
            let registered = sqlx::query("SELECT mn FROM devices WHERE mn = $1 UNION SELECT mn FROM air_station_devices WHERE mn = $1 UNION SELECT mn FROM water_section_devices WHERE mn = $1")
                .bind(mn).fetch_optional(&mut *tx).await?.is_some();
            if !registered {
                return Err(StoreError::NotFound(format!("设备 {mn} 尚未登记，不能放行其隔离报文")));
            }
            let rows = sqlx::query("SELECT id, bytes, received_at FROM raw_frames WHERE mn = $1 AND verdict = 'quarantined' ORDER BY id")
                .bind(mn).fetch_all(&mut *tx).await?;
            let mut last_seen: Option<String> = None;
            for r in rows {
                let id: i64 = r.try_get("id")?;
                let bytes: Vec<u8> = r.try_get("bytes")?;
                let received_at: String = r.try_get("received_at")?;
                summary.frames += 1;
                let (verdict, qn, data_time, message) = match classify(&bytes) {
                    Released::Upload(u) if u.mn == mn => {
                        let factors = serde_json::to_string(&u.factors).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                        let inserted = sqlx::query("INSERT INTO uploads (mn, cn, qn, data_time, pno, st, flag, received_at, factors) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) \
                                                    ON CONFLICT (data_time, mn, cn, qn, pno) DO NOTHING RETURNING id")
                            .bind(&u.mn).bind(&u.cn).bind(&u.qn).bind(&u.data_time).bind(u.pno).bind(&u.st).bind(u.flag).bind(&received_at).bind(factors)
                            .fetch_optional(&mut *tx).await?.is_some();
                        if last_seen.as_deref().is_none_or(|l| received_at.as_str() > l) {
                            last_seen = Some(received_at.clone());
                        }
                        if inserted {
                            summary.stored += 1;
                            ("stored", Some(u.qn), Some(u.data_time), None)
                        } else {
                            summary.duplicate += 1;
                            ("duplicate", Some(u.qn), Some(u.data_time), None)
                        }
                    }
                    Released::Upload(u) => {
                        summary.refused += 1;
                        ("refused", None, None, Some(format!("放行时报文 MN 为 {}，与设备 {mn} 不符", u.mn)))
                    }
                    Released::NoData => {
                        summary.no_data += 1;
                        ("stored", None, None, None)
                    }
                    Released::Refused(why) => {
                        summary.refused += 1;
                        ("refused", None, None, Some(why))
                    }
                };
                sqlx::query("UPDATE raw_frames SET verdict = $2, qn = COALESCE($3, qn), data_time = COALESCE($4, data_time), message = COALESCE($5, message), \
                             error_kind = CASE WHEN $2 = 'refused' THEN 'released_refused' ELSE error_kind END WHERE id = $1")
                    .bind(id).bind(verdict).bind(qn).bind(data_time).bind(message).execute(&mut *tx).await?;
            }
            if let Some(at) = &last_seen {
                sqlx::query("INSERT INTO device_last_seen (mn, last_received_at) VALUES ($1, $2) \
                             ON CONFLICT (mn) DO UPDATE SET last_received_at = excluded.last_received_at WHERE excluded.last_received_at > device_last_seen.last_received_at")
                    .bind(mn).bind(at).execute(&mut *tx).await?;
            }
            let counter = sqlx::query("DELETE FROM refused_traffic WHERE kind = 'quarantined' AND source_key = $1 RETURNING total, kept")
                .bind(mn).fetch_optional(&mut *tx).await?;
            if let Some(c) = counter {
                summary.counted_only = (c.try_get::<i64, _>("total")? - c.try_get::<i64, _>("kept")?).max(0);
            }
            let mut audit = AuditEntry::ok(actor, "quarantine.release", format!("device:{mn}"));
            audit.detail = Some(format!(
                "放行隔离报文 {} 条：存入数据 {}，重复 {}，无数据 {}，拒收 {}；超出保存上限仅计数未保存的 {} 条无法放行（{now}）",
                summary.frames, summary.stored, summary.duplicate, summary.no_data, summary.refused, summary.counted_only
            ));
            insert_audit!(&mut *tx, &audit);
            tx.commit().await?;
        });
        Ok(summary)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peer_address_drops_the_port() {
        assert_eq!(peer_address("10.0.0.1:5000"), "10.0.0.1");
        assert_eq!(peer_address("[::1]:5000"), "[::1]");
        assert_eq!(peer_address("unix"), "unix");
    }
}
