//! Sign-in throttling and credential checks that do not give away which accounts exist.
//!
//! Failures are counted per (user name, address) pair, with a higher ceiling per address: five
//! wrong passwords for the administrator from one address stop that address, not the
//! administrator signing in from their own desk.

use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};

use qingshan_store::{Store, User};
use rand::RngCore;

use crate::Result;
use crate::accounts::{hash_password, verify_password};

/// Default failed sign-ins from one address, whatever the user names, in the window.
pub const DEFAULT_MAX_FAILURES_PER_ADDRESS: i64 = 30;

/// How many failed sign-ins are allowed, and over which window.
#[derive(Debug, Clone, Copy)]
pub struct LoginLimits {
    /// Failures per (user name, address) pair before that pair is refused.
    pub per_pair: i64,
    /// Failures from one address, whatever the user names, before it is refused.
    pub per_address: i64,
    /// The window the failures are counted over, in minutes.
    pub window_minutes: i64,
}

/// Whether an attempt to sign in as `username` from `peer` is to be refused unchecked: the
/// pair or the address has too many recent failures.
pub async fn throttled(
    store: &Store,
    limits: &LoginLimits,
    username: &str,
    peer: &str,
) -> Result<bool> {
    let since = qingshan_store::text_in(-60 * limits.window_minutes);
    let failures = store.login_failures_since(username, peer, &since).await?;
    Ok(failures.pair >= limits.per_pair || failures.address >= limits.per_address)
}

/// A hash of a random password with the same parameters as real ones: unknown and disabled
/// accounts are verified against it so that they take as long as a real account.
static DUMMY_HASH: LazyLock<Option<String>> = LazyLock::new(|| {
    let mut secret = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut secret);
    let password: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    hash_password(&password).ok()
});

/// Argon2 verifications run, for tests that check the unknown-user path verifies too.
static VERIFICATIONS: AtomicU64 = AtomicU64::new(0);

/// How many password verifications this process has run.
pub fn verifications() -> u64 {
    VERIFICATIONS.load(Ordering::Relaxed)
}

/// Prepares the dummy hash, so that the first unknown user is not slower than the rest.
pub fn warm_up() {
    LazyLock::force(&DUMMY_HASH);
}

/// The user the credentials sign in, if any. Always runs one Argon2 verification, against
/// the account's hash or a dummy one, so timing does not tell whether a user name exists or
/// an account is disabled.
pub fn verify(found: Option<(User, String)>, password: &str) -> Option<User> {
    match found {
        Some((user, hash)) => {
            VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
            let ok = verify_password(password, &hash);
            (ok && user.active).then_some(user)
        }
        None => {
            if let Some(dummy) = DUMMY_HASH.as_deref() {
                VERIFICATIONS.fetch_add(1, Ordering::Relaxed);
                let _ = verify_password(password, dummy);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_users_cost_a_verification() {
        let dummy = DUMMY_HASH.as_deref().unwrap();
        assert!(dummy.starts_with("$argon2id$"));
        let before = verifications();
        assert!(verify(None, "anything").is_none());
        assert!(verifications() > before);
        // The dummy hash is real work: a wrong password against it is refused, not skipped.
        assert!(!verify_password("anything", dummy));
    }

    #[test]
    fn disabled_accounts_are_refused_after_verifying() {
        let hash = hash_password("correct horse").unwrap();
        let user = User {
            id: 1,
            username: "u".into(),
            display_name: "u".into(),
            role: qingshan_store::Role::Staff,
            unit_id: None,
            division_code: None,
            credit_code: None,
            active: false,
            must_change_password: false,
        };
        assert!(verify(Some((user.clone(), hash.clone())), "correct horse").is_none());
        let active = User {
            active: true,
            ..user
        };
        assert!(verify(Some((active.clone(), hash.clone())), "correct horse").is_some());
        assert!(verify(Some((active, hash)), "wrong").is_none());
    }
}
