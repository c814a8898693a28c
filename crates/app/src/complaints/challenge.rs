//! The submission challenge: a small sum asked of whoever files a report, checked by the server
//! alone (no outside captcha service). The token carries the time it was issued, a random
//! nonce and an HMAC-SHA256 over both and the right answer; the answer itself is not in it.
//! A token is good for [`MAX_AGE_SECS`] and once (the store keeps used nonces).
//!
//! This is a speed bump for scripts, not a wall: the rate limit per address does the rest.

use hmac::{Hmac, Mac};
use sha2::Sha256;

/// How long a challenge may be answered, seconds.
pub const MAX_AGE_SECS: i64 = 30 * 60;

type HmacSha256 = Hmac<Sha256>;

/// A challenge to show: the question and the token the form sends back.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Challenge {
    /// The question, in Chinese.
    pub question: String,
    /// `{issued}.{nonce}.{mac}`.
    pub token: String,
}

/// Why an answer was not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// Not a token this server issued.
    Malformed,
    /// Issued too long ago (or in the future).
    Expired,
    /// The sum is wrong.
    Wrong,
}

impl Refusal {
    /// The Chinese message.
    pub fn message(self) -> &'static str {
        match self {
            Refusal::Malformed => "验证题无效，请刷新页面后重新作答",
            Refusal::Expired => "验证题已过期，请刷新页面后重新作答",
            Refusal::Wrong => "验证题答案不正确，请重新计算",
        }
    }
}

fn mac(key: &[u8], issued: i64, nonce: &str, answer: u32) -> String {
    // HMAC accepts keys of any length; the error arm cannot happen.
    let Ok(mut m) = HmacSha256::new_from_slice(key) else {
        return String::new();
    };
    m.update(format!("{issued}.{nonce}.{answer}").as_bytes());
    hex::encode(m.finalize().into_bytes())
}

/// Issues the challenge `a + b` at `now` (Unix seconds) with `nonce` (hex, from the caller's
/// random source).
pub fn issue(key: &[u8], now: i64, nonce: &str, a: u32, b: u32) -> Challenge {
    Challenge {
        question: format!("{a} 加 {b} 等于多少？"),
        token: format!("{now}.{nonce}.{}", mac(key, now, nonce, a + b)),
    }
}

/// Checks `answer` against `token` at `now`; the nonce to use up when it is right.
pub fn verify(key: &[u8], token: &str, answer: &str, now: i64) -> Result<String, Refusal> {
    let mut parts = token.trim().splitn(3, '.');
    let (Some(issued), Some(nonce), Some(given_mac)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err(Refusal::Malformed);
    };
    let issued: i64 = issued.parse().map_err(|_| Refusal::Malformed)?;
    if nonce.is_empty() || nonce.len() > 64 || !nonce.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(Refusal::Malformed);
    }
    if now < issued - 60 || now - issued > MAX_AGE_SECS {
        return Err(Refusal::Expired);
    }
    // Full-width digits typed with a Chinese input method count as digits.
    let answer: String = answer
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from(b'0' + (c as u32 - '０' as u32) as u8),
            c => c,
        })
        .collect();
    let answer: u32 = answer.parse().map_err(|_| Refusal::Wrong)?;
    let want = mac(key, issued, nonce, answer);
    let given = given_mac.as_bytes();
    if want.is_empty() || !bool::from(subtle::ConstantTimeEq::ct_eq(want.as_bytes(), given)) {
        return Err(Refusal::Wrong);
    }
    Ok(nonce.to_string())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_right_sum_passes_once_and_only_in_time() {
        let key = b"k".repeat(32);
        let c = issue(&key, 1_000_000, "ab12", 7, 5);
        assert_eq!(c.question, "7 加 5 等于多少？");
        assert_eq!(verify(&key, &c.token, "12", 1_000_100).unwrap(), "ab12");
        assert_eq!(verify(&key, &c.token, " １２ ", 1_000_100).unwrap(), "ab12");
        assert_eq!(verify(&key, &c.token, "13", 1_000_100), Err(Refusal::Wrong));
        assert_eq!(
            verify(&key, &c.token, "12", 1_000_000 + MAX_AGE_SECS + 1),
            Err(Refusal::Expired)
        );
        assert_eq!(
            verify(b"another key", &c.token, "12", 1_000_100),
            Err(Refusal::Wrong)
        );
        // The time cannot be moved without the key.
        let moved = c.token.replacen("1000000", "1000050", 1);
        assert_eq!(verify(&key, &moved, "12", 1_000_100), Err(Refusal::Wrong));
        assert_eq!(verify(&key, "x", "12", 0), Err(Refusal::Malformed));
        assert_eq!(verify(&key, "1.zz.00", "12", 1), Err(Refusal::Malformed));
        // The answer is not in the token.
        assert!(!c.token.contains(".12."));
    }
}
