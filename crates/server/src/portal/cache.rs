//! The home's figures and the portal's rendered pages, computed at most once a minute per
//! server: the public portal is the busiest page and its figures change by the hour. When a
//! minute has passed, one request recomputes while the others are still answered with the
//! previous figures; only the very first request of a server waits.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use qingshan_app::portal::PortalHome;

use crate::web::page::PageError;
use crate::web::public::Rendered;
use crate::{AppState, ServerConfig};

/// How long computed figures are served.
pub const FRESH_FOR: Duration = Duration::from_secs(60);

/// One minute's figures, the map drawn from them and the pages rendered from them.
pub struct Minute {
    /// The figures.
    pub home: PortalHome,
    /// The county map (escaped SVG), drawn once.
    pub map: Option<String>,
    /// Pages rendered from these figures, by template.
    pages: Mutex<HashMap<&'static str, Rendered>>,
}

impl Minute {
    /// The page `template` rendered by `render` the first time it is asked for this minute.
    pub fn page(
        &self,
        template: &'static str,
        render: impl FnOnce() -> Result<String, PageError>,
    ) -> Result<Rendered, PageError> {
        if let Some(r) = self
            .pages
            .lock()
            .ok()
            .and_then(|p| p.get(template).cloned())
        {
            return Ok(r);
        }
        let r = Rendered::new(render()?);
        if let Ok(mut p) = self.pages.lock() {
            p.insert(template, r.clone());
        }
        Ok(r)
    }
}

struct Entry {
    /// The server the figures belong to: its settings' allocation, held weakly so that a
    /// new server can never be mistaken for a dropped one (the address stays taken).
    owner: Weak<ServerConfig>,
    computed: Instant,
    minute: Arc<Minute>,
}

static ENTRIES: LazyLock<Mutex<Vec<Entry>>> = LazyLock::new(|| Mutex::new(Vec::new()));
/// Serialises recomputation so that 100 clients arriving together compute once.
static COMPUTING: LazyLock<tokio::sync::Mutex<()>> = LazyLock::new(|| tokio::sync::Mutex::new(()));

fn lookup(s: &AppState) -> Option<(Instant, Arc<Minute>)> {
    let mut entries = ENTRIES.lock().ok()?;
    entries.retain(|e| e.owner.strong_count() > 0);
    entries
        .iter()
        .find(|e| std::ptr::eq(e.owner.as_ptr(), Arc::as_ptr(&s.config)))
        .map(|e| (e.computed, e.minute.clone()))
}

fn keep(s: &AppState, minute: Arc<Minute>) {
    if let Ok(mut entries) = ENTRIES.lock() {
        entries.retain(|e| !std::ptr::eq(e.owner.as_ptr(), Arc::as_ptr(&s.config)));
        entries.push(Entry {
            owner: Arc::downgrade(&s.config),
            computed: Instant::now(),
            minute,
        });
    }
}

async fn compute(s: &AppState) -> Result<Arc<Minute>, PageError> {
    let home =
        qingshan_app::portal::home(&s.store, &s.plan, qingshan_app::beijing::today()).await?;
    let map = super::air_map(s, &home);
    let minute = Arc::new(Minute {
        home,
        map,
        pages: Mutex::new(HashMap::new()),
    });
    keep(s, minute.clone());
    Ok(minute)
}

/// The minute's figures: fresh ones from the cache, else recomputed (by one request; the
/// others get the previous figures meanwhile, or wait for the first ones).
pub async fn minute(s: &AppState) -> Result<Arc<Minute>, PageError> {
    match lookup(s) {
        Some((at, m)) if at.elapsed() < FRESH_FOR => Ok(m),
        Some((_, old)) => match COMPUTING.try_lock() {
            Ok(_guard) => compute(s).await,
            Err(_) => Ok(old),
        },
        None => {
            let _guard = COMPUTING.lock().await;
            if let Some((_, m)) = lookup(s) {
                return Ok(m);
            }
            compute(s).await
        }
    }
}
