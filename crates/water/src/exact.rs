//! Exact rational numbers for concentrations, limits and shares.
//!
//! Class boundaries are inclusive and many limits (0.00005, 0.025, …) have no
//! exact binary representation, so every decision that picks a class is made
//! on exact rationals. Comparison never overflows (it works on continued
//! fractions); arithmetic is checked and reports overflow instead of wrapping.

use std::cmp::Ordering;
use std::fmt;

/// Largest number of decimals accepted when parsing a measured value.
pub const MAX_PARSE_SCALE: u32 = 15;

/// Largest magnitude accepted when parsing a measured value (exclusive).
const MAX_PARSE_MAGNITUDE: i128 = 1_000_000_000_000_000; // 10^15

/// An exact rational number `num / den`, always reduced with `den > 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Exact {
    num: i128,
    den: i128,
}

/// Why a decimal string could not be read as an [`Exact`].
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseExactError {
    /// The text is empty.
    #[error("empty value")]
    Empty,
    /// The text is not a decimal number.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// The number has more decimals than [`MAX_PARSE_SCALE`].
    #[error("`{0}` has more than {MAX_PARSE_SCALE} decimals")]
    TooPrecise(String),
    /// The number is too large (at least 10^15).
    #[error("`{0}` is too large")]
    TooLarge(String),
}

const fn gcd(mut a: i128, mut b: i128) -> i128 {
    if a < 0 {
        a = -a;
    }
    if b < 0 {
        b = -b;
    }
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

const fn pow10(exp: u32) -> i128 {
    let mut r: i128 = 1;
    let mut i = 0;
    while i < exp {
        r *= 10;
        i += 1;
    }
    r
}

impl Exact {
    /// Zero.
    pub const ZERO: Exact = Exact { num: 0, den: 1 };
    /// One.
    pub const ONE: Exact = Exact { num: 1, den: 1 };

    /// `mantissa × 10^(−scale)`, e.g. `Exact::dec(5, 5)` is 0.00005.
    pub const fn dec(mantissa: i64, scale: u32) -> Exact {
        Exact::ratio(mantissa as i128, pow10(scale))
    }

    /// An integer.
    pub const fn int(value: i64) -> Exact {
        Exact {
            num: value as i128,
            den: 1,
        }
    }

    /// `num / den`, reduced; `den` must not be zero (a zero `den` gives zero,
    /// because callers only build ratios from counts they have checked).
    pub const fn ratio(num: i128, den: i128) -> Exact {
        if den == 0 || num == 0 {
            return Exact::ZERO;
        }
        let g = gcd(num, den);
        let (mut n, mut d) = (num / g, den / g);
        if d < 0 {
            n = -n;
            d = -d;
        }
        Exact { num: n, den: d }
    }

    /// Numerator of the reduced fraction.
    pub const fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator of the reduced fraction (always positive).
    pub const fn denom(&self) -> i128 {
        self.den
    }

    /// Whether the value is below zero.
    pub const fn is_negative(&self) -> bool {
        self.num < 0
    }

    /// Whether the value is zero.
    pub const fn is_zero(&self) -> bool {
        self.num == 0
    }

    /// Parses a plain decimal (`12`, `-0.05`, `.5`, `1.5e-3`) exactly.
    pub fn parse(text: &str) -> Result<Exact, ParseExactError> {
        let t = text.trim();
        if t.is_empty() {
            return Err(ParseExactError::Empty);
        }
        let nan = || ParseExactError::NotANumber(t.to_string());
        let (body, sign) = match t.as_bytes()[0] {
            b'-' => (&t[1..], -1i128),
            b'+' => (&t[1..], 1i128),
            _ => (t, 1i128),
        };
        let (mantissa_text, exponent) = match body.find(['e', 'E']) {
            Some(pos) => {
                let exp_text = &body[pos + 1..];
                let digits = exp_text.strip_prefix(['+', '-']).unwrap_or(exp_text);
                if digits.is_empty()
                    || digits.len() > 3
                    || !digits.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(nan());
                }
                let exp: i32 = exp_text.parse().map_err(|_| nan())?;
                (&body[..pos], exp)
            }
            None => (body, 0),
        };
        let (int_part, frac_part) = match mantissa_text.split_once('.') {
            Some((i, f)) => (i, f),
            None => (mantissa_text, ""),
        };
        if int_part.is_empty() && frac_part.is_empty() {
            return Err(nan());
        }
        if !int_part.bytes().all(|b| b.is_ascii_digit())
            || !frac_part.bytes().all(|b| b.is_ascii_digit())
        {
            return Err(nan());
        }
        let digits: String = int_part
            .trim_start_matches('0')
            .chars()
            .chain(frac_part.chars())
            .collect();
        let digits = digits.trim_start_matches('0');
        // Trailing zeros after the point carry no value; dropping them lets
        // "0.100000000000000000" parse although it is written too long.
        let mut scale = frac_part.len() as i64 - i64::from(exponent);
        let mut digits = digits.to_string();
        while scale > 0 && digits.ends_with('0') {
            digits.pop();
            scale -= 1;
        }
        if digits.is_empty() {
            return Ok(Exact::ZERO);
        }
        if scale > i64::from(MAX_PARSE_SCALE) {
            return Err(ParseExactError::TooPrecise(t.to_string()));
        }
        let too_large = || ParseExactError::TooLarge(t.to_string());
        if digits.len() > 32 {
            return Err(too_large());
        }
        let mut mantissa: i128 = digits.parse().map_err(|_| too_large())?;
        let mut den: i128 = 1;
        if scale >= 0 {
            den = pow10(scale as u32);
        } else {
            for _ in 0..(-scale) {
                mantissa = mantissa.checked_mul(10).ok_or_else(too_large)?;
            }
        }
        if mantissa / den >= MAX_PARSE_MAGNITUDE {
            return Err(too_large());
        }
        Ok(Exact::ratio(sign * mantissa, den))
    }

    /// Checked sum.
    pub fn checked_add(self, other: Exact) -> Option<Exact> {
        let g = gcd(self.den, other.den);
        let l = (self.den / g).checked_mul(other.den)?;
        let a = self.num.checked_mul(l / self.den)?;
        let b = other.num.checked_mul(l / other.den)?;
        Some(Exact::ratio(a.checked_add(b)?, l))
    }

    /// Checked difference.
    pub fn checked_sub(self, other: Exact) -> Option<Exact> {
        self.checked_add(Exact {
            num: other.num.checked_neg()?,
            den: other.den,
        })
    }

    /// Checked product.
    pub fn checked_mul(self, other: Exact) -> Option<Exact> {
        let g1 = gcd(self.num, other.den).max(1);
        let g2 = gcd(other.num, self.den).max(1);
        let n = (self.num / g1).checked_mul(other.num / g2)?;
        let d = (self.den / g2).checked_mul(other.den / g1)?;
        Some(Exact::ratio(n, d))
    }

    /// Checked quotient; `None` on division by zero or overflow.
    pub fn checked_div(self, other: Exact) -> Option<Exact> {
        if other.num == 0 {
            return None;
        }
        self.checked_mul(Exact::ratio(other.den, other.num))
    }

    /// Nearest `f64`, for reporting and for logarithms (never for class decisions).
    pub fn to_f64(&self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Rounds half to even (GB/T 8170 "四舍六入五成双") to `decimals` places.
    pub fn round_half_even(self, decimals: u32) -> Option<Exact> {
        let scale = pow10_checked(decimals)?;
        let scaled = self.num.checked_mul(scale)?;
        let q = scaled.div_euclid(self.den);
        let r = scaled.rem_euclid(self.den);
        let twice = r.checked_mul(2)?;
        let up = match twice.cmp(&self.den) {
            Ordering::Greater => true,
            Ordering::Less => false,
            Ordering::Equal => q.rem_euclid(2) == 1,
        };
        let q = if up { q.checked_add(1)? } else { q };
        Some(Exact::ratio(q, scale))
    }

    /// Rounds half to even to `decimals` places, but if that gives zero for a
    /// non-zero value keeps one significant figure instead (the 82号 rule).
    pub fn round_keep_significant(self, decimals: u32) -> Option<Exact> {
        let r = self.round_half_even(decimals)?;
        if !r.is_zero() || self.is_zero() {
            return Some(r);
        }
        let abs = self.abs();
        let mut d = decimals;
        // The first significant digit sits at the smallest d with |x|·10^d ≥ 1.
        while abs.checked_mul(Exact::ratio(pow10_checked(d)?, 1))? < Exact::ONE {
            d += 1;
        }
        self.round_half_even(d)
    }

    /// Absolute value.
    pub fn abs(self) -> Exact {
        Exact {
            num: self.num.abs(),
            den: self.den,
        }
    }

    /// Fixed-point text with exactly `decimals` places, rounded half to even.
    pub fn to_fixed(self, decimals: u32) -> Option<String> {
        let r = self.round_half_even(decimals)?;
        let scale = pow10_checked(decimals)?;
        let scaled = r.num.checked_mul(scale / r.den)?;
        let neg = scaled < 0;
        let abs = scaled.unsigned_abs();
        let int = abs / scale as u128;
        let frac = abs % scale as u128;
        let sign = if neg { "-" } else { "" };
        Some(if decimals == 0 {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac:0width$}", width = decimals as usize)
        })
    }

    /// Exact decimal text when the value terminates in base ten, else `None`.
    pub fn to_decimal_string(self) -> Option<String> {
        let mut d = self.den;
        let mut decimals = 0u32;
        while d % 10 == 0 {
            d /= 10;
            decimals += 1;
        }
        while d % 2 == 0 {
            d /= 2;
            decimals += 1;
        }
        while d % 5 == 0 {
            d /= 5;
            decimals += 1;
        }
        if d != 1 {
            return None;
        }
        self.to_fixed(decimals)
    }
}

fn pow10_checked(exp: u32) -> Option<i128> {
    10i128.checked_pow(exp)
}

/// Compares `a/b` with `c/d` (b, d > 0) by continued fractions, so no product
/// is ever formed and nothing can overflow.
fn cmp_fractions(mut a: i128, mut b: i128, mut c: i128, mut d: i128) -> Ordering {
    let mut flipped = false;
    loop {
        let (q1, r1) = (a.div_euclid(b), a.rem_euclid(b));
        let (q2, r2) = (c.div_euclid(d), c.rem_euclid(d));
        let ord = if q1 != q2 {
            q1.cmp(&q2)
        } else if r1 == 0 || r2 == 0 {
            r1.cmp(&r2)
        } else {
            // r1/b vs r2/d, both in (0,1): compare the reciprocals, reversed.
            a = b;
            b = r1;
            c = d;
            d = r2;
            flipped = !flipped;
            continue;
        };
        return if flipped { ord.reverse() } else { ord };
    }
}

impl Ord for Exact {
    fn cmp(&self, other: &Self) -> Ordering {
        cmp_fractions(self.num, self.den, other.num, other.den)
    }
}

impl PartialOrd for Exact {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Exact {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal_string() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}/{}", self.num, self.den),
        }
    }
}

impl std::str::FromStr for Exact {
    type Err = ParseExactError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Exact::parse(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    #[test]
    fn parses_plain_and_exponent_forms() {
        assert_eq!(p("0.00005"), Exact::dec(5, 5));
        assert_eq!(p("5e-5"), Exact::dec(5, 5));
        assert_eq!(p("5E-05"), Exact::dec(5, 5));
        assert_eq!(p(".5"), Exact::ratio(1, 2));
        assert_eq!(p("+2."), Exact::int(2));
        assert_eq!(p("-0.05"), Exact::ratio(-1, 20));
        assert_eq!(p(" 15 "), Exact::int(15));
        assert_eq!(p("1.2e3"), Exact::int(1200));
        assert_eq!(p("0.100000000000000000000"), Exact::ratio(1, 10));
        assert_eq!(p("000"), Exact::ZERO);
    }

    #[test]
    fn rejects_text_and_extremes() {
        for bad in [
            "abc", "1,5", "1.2.3", "-", ".", "e5", "1e", "NaN", "inf", "0x10", "1e9999",
        ] {
            assert!(
                matches!(Exact::parse(bad), Err(ParseExactError::NotANumber(_))),
                "{bad}"
            );
        }
        assert_eq!(Exact::parse("  "), Err(ParseExactError::Empty));
        assert!(matches!(
            Exact::parse("0.0000000000000001"),
            Err(ParseExactError::TooPrecise(_))
        ));
        assert!(matches!(
            Exact::parse("1000000000000000"),
            Err(ParseExactError::TooLarge(_))
        ));
        assert!(Exact::parse("999999999999999.999999999999999").is_ok());
    }

    #[test]
    fn binary_float_traps_are_exact_here() {
        let s = p("0.1").checked_add(p("0.2")).unwrap();
        assert_eq!(s, p("0.3"));
        assert!(p("0.00005") <= Exact::dec(5, 5));
        assert!(p("0.000050000000001") > Exact::dec(5, 5));
    }

    #[test]
    fn comparison_matches_cross_multiplication() {
        let vals = [
            Exact::ratio(1, 3),
            Exact::ratio(-7, 9),
            Exact::ratio(22, 7),
            Exact::ratio(355, 113),
            Exact::dec(31415, 4),
            Exact::ZERO,
            Exact::int(-3),
        ];
        for a in vals {
            for b in vals {
                let expected = (a.numer() * b.denom()).cmp(&(b.numer() * a.denom()));
                assert_eq!(a.cmp(&b), expected, "{a} vs {b}");
            }
        }
        // Denominators whose cross product would overflow i128.
        let big = Exact::ratio(i128::MAX / 3, i128::MAX / 2 - 7);
        let big2 = Exact::ratio(i128::MAX / 3 - 1, i128::MAX / 2 - 7);
        assert!(big2 < big);
    }

    #[test]
    fn half_even_rounding() {
        assert_eq!(p("4.95").round_half_even(1), Some(p("5.0")));
        assert_eq!(p("4.85").round_half_even(1), Some(p("4.8")));
        assert_eq!(p("4.851").round_half_even(1), Some(p("4.9")));
        assert_eq!(p("9.5").round_half_even(0), Some(p("10")));
        assert_eq!(p("8.5").round_half_even(0), Some(p("8")));
        assert_eq!(p("-2.5").round_half_even(0), Some(p("-2")));
        assert_eq!(p("0.00004").round_keep_significant(3), Some(p("0.00004")));
        assert_eq!(p("0.000046").round_keep_significant(3), Some(p("0.00005")));
        assert_eq!(p("0.0004").round_keep_significant(3), Some(p("0.0004")));
        assert_eq!(p("0").round_keep_significant(3), Some(p("0")));
        assert_eq!(p("0.0006").round_keep_significant(3), Some(p("0.001")));
    }

    #[test]
    fn formatting() {
        assert_eq!(p("1.2").to_fixed(2).unwrap(), "1.20");
        assert_eq!(p("-0.125").to_fixed(2).unwrap(), "-0.12");
        assert_eq!(p("3").to_fixed(0).unwrap(), "3");
        assert_eq!(p("0.00005").to_string(), "0.00005");
        assert_eq!(Exact::ratio(1, 3).to_string(), "1/3");
        assert_eq!(Exact::ratio(1, 8).to_string(), "0.125");
    }
}
