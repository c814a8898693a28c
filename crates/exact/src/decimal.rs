//! Exact decimals as a document writes them ("0.620607", "71.60").

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use crate::{Number, ParseError, ParseErrorKind, Ratio, Syntax};

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

impl Decimal {
    /// Most digits after the point `FromStr` accepts; more is a data error, not precision.
    pub const MAX_SCALE: u32 = 12;

    /// The decimal `mantissa × 10^-scale`.
    pub const fn new(mantissa: i128, scale: u32) -> Self {
        Self { mantissa, scale }
    }

    /// A whole number.
    pub const fn from_int(n: i64) -> Self {
        Self::new(n as i128, 0)
    }

    /// Digits after the point, as written.
    pub const fn scale(&self) -> u32 {
        self.scale
    }

    /// The digits without the point: the value is `mantissa × 10^-scale`.
    pub const fn mantissa(&self) -> i128 {
        self.mantissa
    }

    /// The value as a float, for charts and statistics that are not decided by rounding.
    pub fn to_f64(&self) -> f64 {
        self.mantissa as f64 / 10f64.powi(self.scale.min(i32::MAX as u32) as i32)
    }

    /// The exact value; `None` only for scales beyond `i128` (more than 38 digits).
    pub fn to_ratio(self) -> Option<Ratio> {
        Ratio::new(self.mantissa, 10i128.checked_pow(self.scale)?)
    }

    /// The same value with trailing zeros after the point dropped, keeping at least
    /// `min_scale` digits after it.
    pub fn trimmed(self, min_scale: u32) -> Decimal {
        let (mut m, mut s) = (self.mantissa, self.scale);
        while s > min_scale && m % 10 == 0 {
            m /= 10;
            s -= 1;
        }
        Decimal::new(m, s)
    }

    /// The value with trailing zeros dropped: equal values give equal pairs.
    fn normalized(&self) -> (i128, u32) {
        let t = self.trimmed(0);
        (t.mantissa, t.scale)
    }

    fn rescaled(&self, scale: u32) -> Option<i128> {
        let factor = 10i128.checked_pow(scale.checked_sub(self.scale)?)?;
        self.mantissa.checked_mul(factor)
    }
}

impl Number<'_> {
    /// The value as a [`Decimal`] keeping the written scale, refusing more than `max_scale`
    /// digits after the point.
    pub fn to_decimal(&self, max_scale: u32) -> Result<Decimal, ParseErrorKind> {
        let written = self.frac.len() as i64 - i64::from(self.exponent);
        if written > i64::from(max_scale) {
            return Err(ParseErrorKind::TooPrecise);
        }
        let mut m: i128 = 0;
        for b in self.int.bytes().chain(self.frac.bytes()) {
            m = m
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(b - b'0')))
                .ok_or(ParseErrorKind::TooLarge)?;
        }
        let scale = u32::try_from(written.max(0)).map_err(|_| ParseErrorKind::TooPrecise)?;
        if written < 0 && m != 0 {
            let factor = u32::try_from(-written)
                .ok()
                .and_then(|e| 10i128.checked_pow(e))
                .ok_or(ParseErrorKind::TooLarge)?;
            m = m.checked_mul(factor).ok_or(ParseErrorKind::TooLarge)?;
        }
        Ok(Decimal::new(if self.negative { -m } else { m }, scale))
    }
}

impl FromStr for Decimal {
    type Err = ParseError;

    /// Reads a plan figure: surrounding whitespace trimmed, [`Syntax::PLAN`], at most
    /// [`Decimal::MAX_SCALE`] digits after the point.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let t = s.trim();
        Number::parse(t, Syntax::PLAN)?
            .to_decimal(Decimal::MAX_SCALE)
            .map_err(|k| ParseError::new(k, t))
    }
}

impl fmt::Display for Decimal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.mantissa < 0 { "-" } else { "" };
        let digits = self.mantissa.unsigned_abs().to_string();
        let scale = self.scale as usize;
        if scale == 0 {
            return write!(f, "{sign}{digits}");
        }
        // Pad so there is at least one digit before the point ("0.05").
        let padded = format!("{digits:0>width$}", width = scale + 1);
        let (int, frac) = padded.split_at(padded.len() - scale);
        write!(f, "{sign}{int}.{frac}")
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
        if let (Some(a), Some(b)) = (self.rescaled(scale), other.rescaled(scale)) {
            return a.cmp(&b);
        }
        match (self.to_ratio(), other.to_ratio()) {
            (Some(a), Some(b)) => a.cmp(&b),
            // Beyond 38 digits after the point only with absurd inputs; floats order them.
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
        for t in ["71.60", "0.620607", "100", "-2.05", "0.5", "0.05", "-0.001"] {
            assert_eq!(t.parse::<Decimal>().unwrap().to_string(), t);
        }
        assert_eq!(
            Decimal::new(5, 40).to_string(),
            format!("0.{}5", "0".repeat(39))
        );
    }

    #[test]
    fn compares_exactly_across_scales() {
        let a: Decimal = "71.60".parse().unwrap();
        let b: Decimal = "71.6".parse().unwrap();
        assert_eq!(a.cmp(&b), Ordering::Equal);
        assert_eq!(a, b);
        assert_ne!(a, "71.61".parse().unwrap());
        assert!("0.1".parse::<Decimal>().unwrap() < "0.10000000001".parse().unwrap());
        assert!(Decimal::new(i128::MAX, 0) > Decimal::new(1, 30));
        assert!(Decimal::new(1, 30) > Decimal::new(1, 31));
    }

    #[test]
    fn refuses_non_numbers() {
        for t in ["", ".", "1.", "abc", "1,5", "１２", "1e5", "--1", "1.2.3"] {
            assert!(t.parse::<Decimal>().is_err(), "{t}");
        }
        assert!(matches!(
            "0.1234567890123".parse::<Decimal>(),
            Err(ParseError::TooPrecise(_))
        ));
        assert_eq!(
            "abc".parse::<Decimal>().unwrap_err().to_string(),
            "「abc」不是十进制数（应为如 71.9、-2.05 的数字）"
        );
    }

    #[test]
    fn trims_and_converts() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        assert_eq!(d("42.7500").trimmed(0).to_string(), "42.75");
        assert_eq!(d("100.000").trimmed(0).to_string(), "100");
        assert_eq!(d("100.000").trimmed(2).to_string(), "100.00");
        assert_eq!(d("-2.05").to_ratio(), Ratio::new(-41, 20));
        assert_eq!(d("71.60").to_ratio(), Ratio::new(358, 5));
        assert_eq!(Decimal::new(1, 39).to_ratio(), None);
    }

    proptest! {
        #[test]
        fn round_trips(m in -10_000_000_000i64..10_000_000_000, s in 0u32..8) {
            let d = Decimal::new(i128::from(m), s);
            let text = d.to_string();
            let back = text.parse::<Decimal>().unwrap();
            prop_assert_eq!(back, d);
            prop_assert_eq!(back.scale(), s);
            prop_assert_eq!(back.to_string(), text);
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = s.parse::<Decimal>();
        }

        #[test]
        fn order_matches_rationals(a in any::<i64>(), s in 0u32..20, b in any::<i64>(), t in 0u32..20) {
            let (x, y) = (Decimal::new(i128::from(a), s), Decimal::new(i128::from(b), t));
            prop_assert_eq!(x.cmp(&y), x.to_ratio().unwrap().cmp(&y.to_ratio().unwrap()));
            prop_assert_eq!(x == y, x.to_ratio() == y.to_ratio());
        }
    }
}
