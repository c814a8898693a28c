//! The public registry list as anonymous visitors see it (`/sources` and
//! `/api/v1/sources/devices`), kept per query string for
//! [`ServerConfig::public_list_fresh_for`](crate::ServerConfig) (5 s by default). With a hundred
//! visitors at once the list is read and rendered a few times a second instead of once per
//! request; registry edits, grades and new data show within that time, like the online status
//! itself (3 reporting intervals). Signed-in users are never served from here: their list
//! depends on who they are.
//!
//! When an answer has expired, one request computes the next while the others still get the
//! previous one, so a crowd never recomputes together.

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, LazyLock, Mutex, Weak};
use std::time::{Duration, Instant};

use axum::body::Bytes;

use crate::{AppState, ServerConfig};

/// The most answers kept (distinct query strings of all servers in the process): a crawler
/// varying the query cannot make the cache grow without bound.
const MAX_ENTRIES: usize = 1024;

struct Entry {
    /// The server the answer belongs to, held weakly so that a new server whose settings land
    /// at a dropped one's address is never served the old one's answers.
    owner: Weak<ServerConfig>,
    computed: Instant,
    body: Bytes,
    /// Since when one request has been computing the next answer (`None`: nobody is). A
    /// request dropped half-way leaves it set; after the freshness time another one takes over.
    refreshing: Option<Instant>,
}

/// By the server's settings' address and the key (what is asked, with its query string).
type Entries = HashMap<(usize, String), Entry>;

static ENTRIES: LazyLock<Mutex<Entries>> = LazyLock::new(|| Mutex::new(HashMap::new()));

/// What the cache holds for a key.
enum Found {
    /// Serve this.
    Serve(Bytes),
    /// Compute (nothing kept, or it expired and this request refreshes it).
    Compute,
}

fn find(id: &(usize, String), fresh_for: Duration) -> Found {
    let Ok(mut entries) = ENTRIES.lock() else {
        return Found::Compute;
    };
    match entries.get_mut(id) {
        Some(e) if e.owner.strong_count() > 0 => {
            if e.computed.elapsed() < fresh_for {
                return Found::Serve(e.body.clone());
            }
            match e.refreshing {
                Some(since) if since.elapsed() < fresh_for => Found::Serve(e.body.clone()),
                _ => {
                    e.refreshing = Some(Instant::now());
                    Found::Compute
                }
            }
        }
        _ => Found::Compute,
    }
}

fn keep(s: &AppState, id: (usize, String), body: Option<&Bytes>, fresh_for: Duration) {
    let Ok(mut entries) = ENTRIES.lock() else {
        return;
    };
    let Some(body) = body else {
        // Failed: the next request tries again.
        if let Some(e) = entries.get_mut(&id) {
            e.refreshing = None;
        }
        return;
    };
    if entries.len() >= MAX_ENTRIES && !entries.contains_key(&id) {
        entries.retain(|_, e| e.owner.strong_count() > 0 && e.computed.elapsed() < fresh_for);
        if entries.len() >= MAX_ENTRIES {
            return;
        }
    }
    entries.insert(
        id,
        Entry {
            owner: Arc::downgrade(&s.config),
            computed: Instant::now(),
            body: body.clone(),
            refreshing: None,
        },
    );
}

/// The answer `key` (what is asked and its query string) as kept for anonymous visitors,
/// computed by `compute` when there is none or it has expired. A freshness time of zero
/// computes every time.
pub async fn public<E, F, Fut>(s: &AppState, key: String, compute: F) -> Result<Bytes, E>
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Result<Bytes, E>>,
{
    let fresh_for = s.config.public_list_fresh_for;
    if fresh_for.is_zero() {
        return compute().await;
    }
    let id = (Arc::as_ptr(&s.config) as usize, key);
    if let Found::Serve(body) = find(&id, fresh_for) {
        return Ok(body);
    }
    let result = compute().await;
    keep(s, id, result.as_ref().ok(), fresh_for);
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn state(fresh_for: Duration) -> AppState {
        AppState {
            store: qingshan_store::Store::connect("sqlite::memory:")
                .await
                .expect("store"),
            plan: Arc::new(qingshan_plan::xinzhou().expect("plan")),
            config: Arc::new(ServerConfig {
                public_list_fresh_for: fresh_for,
                ..ServerConfig::default()
            }),
        }
    }

    async fn answer(s: &AppState, key: &str, body: &'static str) -> Bytes {
        public::<(), _, _>(s, key.into(), || async { Ok(Bytes::from(body)) })
            .await
            .expect("answer")
    }

    #[tokio::test]
    async fn answers_are_kept_per_server_and_key_until_they_expire() {
        let s = state(Duration::from_millis(300)).await;
        assert_eq!(answer(&s, "a", "one").await, "one");
        assert_eq!(answer(&s, "a", "two").await, "one", "kept");
        assert_eq!(answer(&s, "b", "three").await, "three", "per key");
        let other = state(Duration::from_millis(300)).await;
        assert_eq!(answer(&other, "a", "four").await, "four", "per server");
        // A failure is not kept and keeps nothing from being kept after it.
        let failed = public::<&str, _, _>(&s, "c".into(), || async { Err("no") }).await;
        assert_eq!(failed, Err("no"));
        assert_eq!(answer(&s, "c", "five").await, "five");
        tokio::time::sleep(Duration::from_millis(350)).await;
        assert_eq!(answer(&s, "a", "six").await, "six", "expired");
        let never = state(Duration::ZERO).await;
        assert_eq!(answer(&never, "a", "seven").await, "seven");
        assert_eq!(answer(&never, "a", "eight").await, "eight", "not kept");
    }
}
