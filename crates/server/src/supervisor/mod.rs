//! The supervisor's schedule: runs [`qingshan_app::supervisor::run_once`] every period until
//! shutdown, and after it the automatic backfill ([`qingshan_app::backfill::run`]: it looks
//! at each hour once it is complete and follows the open gaps). What a run does lives in the
//! app, so the command line and tests run it directly.

use std::future::Future;

use chrono::Utc;
use qingshan_app::supervisor::run_once;
pub use qingshan_app::supervisor::{RunSummary, SupervisorConfig};
use qingshan_store::Store;

/// Runs the supervisor every `cfg.period` until `shutdown` resolves.
pub async fn run(store: Store, cfg: SupervisorConfig, shutdown: impl Future<Output = ()>) {
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(cfg.period);
    loop {
        tokio::select! {
            _ = &mut shutdown => return,
            _ = tick.tick() => {
                let now = Utc::now();
                match run_once(&store, now, &cfg).await {
                    Ok(s) if s.raised > 0 => tracing::info!(raised = s.raised, updated = s.updated, "supervision run"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "supervision run failed"),
                }
                match qingshan_app::backfill::run(&store, now, &cfg.backfill).await {
                    Ok(b) if b != Default::default() => tracing::info!(found = b.found, requested = b.requested, filled = b.filled, failed = b.failed, "backfill run"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "backfill run failed"),
                }
            }
        }
    }
}
