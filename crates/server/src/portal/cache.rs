//! The home's figures, computed at most once a minute per server: the public portal is the
//! busiest page and its figures change by the hour. When a minute has passed, one request
//! recomputes while the others are still answered with the previous figures; only the very
//! first request of a server waits.

use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use qingshan_app::portal::PortalHome;

use crate::{AppState, ServerConfig};
use crate::web::page::PageError;

/// How long computed figures are served.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

struct Entry {
    /// The server the figures belong to: its settings' allocation, held weakly so that a
    /// new server can never be mistaken for a dropped one (the address stays taken).
    owner: Weak<ServerConfig>,
    computed: Instant,
    home: Arc<PortalHome>,
}

static ENTRIES: LazyLock<Mutex<Vec<Entry>>> = LazyLock::new(|| Mutex::new(Vec::new()));
/// Serialises recomputation so that 100 clients arriving together compute once.
static COMPUTING: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

fn lookup(s: &AppState) -> Option<(Instant, Arc<PortalHome>)> {
    let mut entries = ENTRIES.lock().ok()?;
    entries.retain(|e| e.owner.strong_count() > 0);
    entries
        .iter()
        .find(|e| std::ptr::eq(e.owner.as_ptr(), Arc::as_ptr(&s.config)))
        .map(|e| (e.computed, e.home.clone()))
}

fn store(s: &AppState, home: Arc<PortalHome>) {
    if let Ok(mut entries) = ENTRIES.lock() {
        entries.retain(|e| !std::ptr::eq(e.owner.as_ptr(), Arc::as_ptr(&s.config)));
        entries.push(Entry {
            owner: Arc::downgrade(&s.config),
            computed: Instant::now(),
            home,
        });
    }
}

async fn compute(s: &AppState) -> Result<Arc<PortalHome>, PageError> {
    let home =
        qingshan_app::portal::home(&s.store, &s.plan, qingshan_app::beijing::today()).await?;
    let home = Arc::new(home);
    store(s, home.clone());
    Ok(home)
}

/// The home's figures: fresh ones from the cache, else recomputed (by one request; the others
/// get the previous figures meanwhile, or wait for the first ones).
pub async fn home(s: &AppState) -> Result<Arc<PortalHome>, PageError> {
    match lookup(s) {
        Some((at, home)) if at.elapsed() < FRESH_FOR => Ok(home),
        Some((_, old)) => match COMPUTING.try_lock() {
            Ok(_guard) => compute(s).await,
            Err(_) => Ok(old),
        },
        None => {
            let _guard = COMPUTING.lock().await;
            if let Some((_, home)) = lookup(s) {
                return Ok(home);
            }
            compute(s).await
        }
    }
}
