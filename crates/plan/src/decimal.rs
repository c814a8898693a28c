//! Exact decimal numbers as written in a plan ("0.620607", "71.60").

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

/// An exact decimal: `mantissa × 10^-scale`, keeping the scale it was written with.
///
/// Plan figures are compared and reported as the document writes them; a float would turn
/// "71.60" into 71.6 and 0.620607 into something else.
///
/// Equality is by value ("71.60" == "71.6"), consistent with the ordering; the written scale is
/// kept only for display.
#[derive(Debug, Clone, Copy)]
pub struct Decimal {
    mantissa: i128,
    scale: u32,
}

/// Why a text is not a decimal number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("「{text}」不是十进制数（应为如 71.9、-2.05 的数字）")]
pub struct DecimalError {
    /// The text that was refused.
    pub text: String,
}

/// Largest scale accepted; more digits than this after the point is a data error, not precision.
const MAX_SCALE: u32 = 12;

impl Decimal {
    /// The decimal `mantissa × 10^-scale`.
    pub fn new(mantissa: i128, scale: u32) -> Self {
        Self { mantissa, scale }
    }

    /// A whole number.
    pub fn from_int(n: i64) -> Self {
        Self::new(i128::from(n), 0)
    }

    /// Digits after the point, as written.
    pub fn scale(&self) -> u32 {
        self.scale
    }

    /// The value as a float, for charts and statistics that are not decided by rounding.
    pub fn to_f64(&self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale as i32)
    }

    fn rescaled(&self, scale: u32) -> Option<i128> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        self.mantissa.checked_mul(factor)
    }
}

impl FromStr for Decimal {
    type Err = DecimalError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let err = || DecimalError {
            text: s.to_string(),
        };
        let t = s.trim();
        let (neg, digits) = match t.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, t.strip_prefix('+').unwrap_or(t)),
        };
        let (int, frac) = match digits.split_once('.') {
            Some((i, f)) => (i, f),
            None => (digits, ""),
        };
        if int.is_empty() && frac.is_empty() {
            return Err(err());
        }
        if !int.bytes().all(|b| b.is_ascii_digit()) || !frac.bytes().all(|b| b.is_ascii_digit()) {
            return Err(err());
        }
        if digits.ends_with('.') || frac.len() > MAX_SCALE as usize {
            return Err(err());
        }
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(b - b'0')))
                .ok_or_else(err)?;
        }
        Ok(Decimal::new(if neg { -m } else { m }, frac.len() as u32))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let abs = self.mantissa.unsigned_abs();
        if self.scale == 0 {
            return write!(f, "{sign}{abs}");
        }
        let p = 10u128.pow(self.scale);
        write!(
            f,
            "{sign}{}.{:0width$}",
            abs / p,
            abs % p,
            width = self.scale as usize
        )
    }
}

impl Decimal {
    /// The value with trailing zeros dropped: equal values give equal pairs.
    fn normalized(&self) -> (i128, u32) {
        let (mut m, mut s) = (self.mantissa, self.scale);
        while s > 0 && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        (m, s)
    }
}

impl PartialEq for Decimal {
    fn eq(&self, other: &Self) -> bool {
        self.normalized() == other.normalized()
    }
}

impl Eq for Decimal {}

impl std::hash::Hash for Decimal {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.normalized().hash(state);
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Self) -> Ordering {
        let scale = self.scale.max(other.scale);
        match (self.rescaled(scale), other.rescaled(scale)) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Out of i128 range only with absurd inputs; floats order them well enough.
            _ => self.to_f64().total_cmp(&other.to_f64()),
        }
    }
}

impl serde::Serialize for Decimal {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn keeps_written_scale() {
        for t in ["71.60", "0.620607", "100", "-2.05", "0.5"] {
            assert_eq!(t.parse::<Decimal>().unwrap().to_string(), t);
        }
    }

    #[test]
    fn compares_exactly_across_scales() {
        let a: Decimal = "71.60".parse().unwrap();
        let b: Decimal = "71.6".parse().unwrap();
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert_eq!(a, b);
        assert_ne!(a, "71.61".parse().unwrap());
        assert!("0.1".parse::<Decimal>().unwrap() < "0.10000000001".parse().unwrap());
    }

    #[test]
    fn refuses_non_numbers() {
        for t in ["", ".", "1.", "abc", "1,5", "１２", "1e5", "--1", "1.2.3"] {
            assert!(t.parse::<Decimal>().is_err(), "{t}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(m in -10_000_000_000i64..10_000_000_000, s in 0u32..8) {
            let d = Decimal::new(i128::from(m), s);
            prop_assert_eq!(d.to_string().parse::<Decimal>().unwrap(), d);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Decimal>();
        }
    }
}
