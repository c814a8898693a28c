//! The supervisor's schedule: runs [`qingshan_app::supervisor::run_once`] on taking the duty
//! and in each new hour, and in between the passes over the devices with new hourly data
//! ([`qingshan_app::supervisor::run_pass`]), every period until shutdown, and after it the automatic backfill ([`qingshan_app::backfill::run`]: it looks
//! at each hour once it is complete and follows the open gaps). What a run does lives in the
//! app, so the command line and tests run it directly.
//!
//! Several servers may share one PostgreSQL store; this work must happen once, so it runs only
//! on the server holding the duty lease ([`DUTY_LEASE`], a session advisory lock:
//! `Store::try_lease`). The others stand by and ask for the lease every half
//! [`LeaseConfig::takeover`]; when the holder dies its session ends, the lock with it, and one
//! of them takes over within that time. On SQLite (one server) the lease is always granted.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Timelike, Utc};
use qingshan_app::supervisor::run_pass;
pub use qingshan_app::supervisor::{RunSummary, SupervisorConfig};
use qingshan_store::Store;
use tokio::sync::watch;

/// The lease under which the work that must happen once runs: the supervision rules (with the
/// raw-frame retention purge), the automatic backfill's history requests and the gateway's
/// purge of expired refused traffic.
pub const DUTY_LEASE: &str = "duties";

/// How the servers sharing a store hand the duty lease on.
#[derive(Debug, Clone)]
pub struct LeaseConfig {
    /// After the holder dies, another server holds the lease within this: a standby asks
    /// every half of it, the holder checks its hold as often (and gives up a check that takes
    /// longer), and the database drops a silent holder's session after about this long.
    pub takeover: Duration,
    /// This server's name in the lease, as operators see it (`pg_stat_activity`).
    pub holder: String,
}

impl Default for LeaseConfig {
    fn default() -> Self {
        LeaseConfig {
            takeover: Duration::from_secs(10),
            holder: default_holder(),
        }
    }
}

/// `host:pid`: which machine and which process holds the lease.
pub fn default_holder() -> String {
    let host = std::env::var("HOSTNAME")
        .ok()
        .filter(|h| !h.is_empty())
        .or_else(|| {
            std::fs::read_to_string("/etc/hostname")
                .ok()
                .map(|h| h.trim().to_string())
        })
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "qingshan".into());
    format!("{host}:{}", std::process::id())
}

/// Runs the supervisor every `cfg.period` until `shutdown` resolves, under the duty lease with
/// the default [`LeaseConfig`].
pub async fn run(store: Store, cfg: SupervisorConfig, shutdown: impl Future<Output = ()>) {
    let (holding, _) = watch::channel(false);
    run_leased(store, cfg, LeaseConfig::default(), holding, shutdown).await;
}

/// Runs the supervisor every `cfg.period` while this server holds the duty lease, until
/// `shutdown` resolves; `holding` tells the rest of the server (the gateway's purge) whether
/// it does. On shutdown the lease is released, so another server takes it at once.
pub async fn run_leased(
    store: Store,
    cfg: SupervisorConfig,
    lease: LeaseConfig,
    holding: watch::Sender<bool>,
    shutdown: impl Future<Output = ()>,
) {
    tokio::pin!(shutdown);
    let every = (lease.takeover / 2).max(Duration::from_millis(100));
    loop {
        let mut held = loop {
            match store
                .try_lease(DUTY_LEASE, &lease.holder, lease.takeover)
                .await
            {
                Ok(Some(l)) => break l,
                Ok(None) => {}
                Err(e) => tracing::warn!(error = %e, "asking for the duty lease failed"),
            }
            tokio::select! {
                _ = &mut shutdown => return,
                _ = tokio::time::sleep(every) => {}
            }
        };
        if store.backend() == "postgres" {
            tracing::info!(holder = %lease.holder, "duty lease taken: supervision, backfill and purges run on this server");
        }
        holding.send_replace(true);
        // A new holder judges every device first: it does not know what its predecessor saw.
        let mut last_pass: Option<DateTime<Utc>> = None;
        let mut tick = tokio::time::interval(cfg.period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut check = tokio::time::interval(every);
        check.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        'held: loop {
            tokio::select! {
                _ = &mut shutdown => {
                    holding.send_replace(false);
                    held.release().await;
                    return;
                }
                _ = check.tick() => {
                    if !held.still_held(lease.takeover).await {
                        break 'held;
                    }
                }
                _ = tick.tick() => {
                    // The hold is checked while the pass runs: a pass that outlives the lease
                    // is cut off (its open transaction rolls back) rather than run beside the
                    // new holder's.
                    let now = Utc::now();
                    let pass = duties(&store, &cfg, now, changed_since(last_pass, now));
                    last_pass = Some(now);
                    tokio::pin!(pass);
                    loop {
                        tokio::select! {
                            _ = &mut pass => break,
                            _ = check.tick() => {
                                if !held.still_held(lease.takeover).await {
                                    break 'held;
                                }
                            }
                        }
                    }
                }
            }
        }
        tracing::warn!(holder = %lease.holder, "duty lease lost: this server stands by");
        holding.send_replace(false);
        drop(held);
    }
}

/// Frames received this long before a pass began may still have been in the gateway's batch,
/// not yet committed, when it read the data: the next pass looks back over them again.
const COMMIT_MARGIN: chrono::TimeDelta = chrono::TimeDelta::minutes(2);

/// Which devices the pass at `now` judges: every one (`None`) on the first pass and in each new
/// hour, otherwise those with hourly data received since the last pass (less a margin).
fn changed_since(last: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let last = last?;
    let same_hour = last.date_naive() == now.date_naive() && last.hour() == now.hour();
    same_hour.then(|| last - COMMIT_MARGIN)
}

/// One pass of the work that must happen once: the rules, then the backfill.
async fn duties(
    store: &Store,
    cfg: &SupervisorConfig,
    now: DateTime<Utc>,
    changed_since: Option<DateTime<Utc>>,
) {
    let began = std::time::Instant::now();
    match run_pass(store, now, cfg, changed_since).await {
        Ok(s) if s.raised > 0 => {
            tracing::info!(raised = s.raised, updated = s.updated, "supervision run")
        }
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "supervision run failed"),
    }
    match qingshan_app::backfill::run(store, now, &cfg.backfill).await {
        Ok(b) if b != Default::default() => tracing::info!(
            found = b.found,
            requested = b.requested,
            filled = b.filled,
            failed = b.failed,
            "backfill run"
        ),
        Ok(_) => {}
        Err(e) => tracing::error!(error = %e, "backfill run failed"),
    }
    // A pass longer than its period delays the next one: the operator should know before the
    // alarms come late.
    let took = began.elapsed();
    if took > cfg.period {
        tracing::warn!(
            took_ms = took.as_millis() as u64,
            period_ms = cfg.period.as_millis() as u64,
            full = changed_since.is_none(),
            "supervision pass took longer than its period"
        );
    } else {
        tracing::debug!(
            took_ms = took.as_millis() as u64,
            full = changed_since.is_none(),
            "supervision pass"
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn a_pass_is_full_first_and_in_each_new_hour() {
        let at = |h, m| Utc.with_ymd_and_hms(2026, 12, 3, h, m, 0).unwrap();
        assert_eq!(changed_since(None, at(10, 5)), None);
        assert_eq!(changed_since(Some(at(10, 5)), at(10, 6)), Some(at(10, 3)));
        assert_eq!(changed_since(Some(at(10, 59)), at(11, 0)), None);
        // The same hour of another day is a new hour.
        let next_day = Utc.with_ymd_and_hms(2026, 12, 4, 10, 6, 0).unwrap();
        assert_eq!(changed_since(Some(at(10, 5)), next_day), None);
    }
}
