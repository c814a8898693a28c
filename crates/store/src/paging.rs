//! Lists that grow with data, one page at a time: the quarantine of unknown devices, the
//! alarms and the audit log. Each returns the page and the total so a pager can be drawn.

use sqlx::Row;

use crate::{AuditRecord, QuarantinedDevice, Result, Store};

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
}
