//! Counting failed sign-ins for throttling.

use sqlx::Row;

use crate::{Result, Store};

/// Failed sign-ins in a window, counted two ways.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LoginFailures {
    /// For this user name from this address.
    pub pair: i64,
    /// From this address, whatever the user name.
    pub address: i64,
}

impl Store {
    /// Failed sign-ins since a time (stored form): for the (user name, address) pair and for
    /// the address alone. Failures for the same user from elsewhere do not count, so nobody can
    /// lock another user out from their own address.
    pub async fn login_failures_since(
        &self,
        username: &str,
        peer: &str,
        since: &str,
    ) -> Result<LoginFailures> {
        Ok(with_pool!(self, p => {
            let r = sqlx::query("SELECT COUNT(*) AS address, COALESCE(SUM(CASE WHEN username = $3 THEN 1 ELSE 0 END), 0) AS pair \
                                 FROM login_attempts WHERE ok = $1 AND at >= $2 AND peer = $4")
                .bind(false).bind(since).bind(username).bind(peer).fetch_one(p).await?;
            LoginFailures { pair: r.try_get("pair")?, address: r.try_get("address")? }
        }))
    }
}
