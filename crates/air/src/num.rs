//! Exact arithmetic: rationals, GB/T 8170 rounding and decimal parsing.
//!
//! Every rounding decision in HJ 633 and HJ 663 is taken on exact rationals,
//! because binary floating point gets published cases wrong (CO 2.2 → 56).

use std::cmp::Ordering;
use std::fmt;

/// An exact non-reduced rational number `num / den` with `den > 0`.
#[derive(Debug, Clone, Copy)]
pub struct Ratio {
    num: i128,
    den: i128,
}

fn gcd(mut a: i128, mut b: i128) -> i128 {
    a = a.abs();
    b = b.abs();
    // 128-bit division is several times slower than 64-bit; most operands fit.
    if let (Ok(mut x), Ok(mut y)) = (u64::try_from(a), u64::try_from(b)) {
        while y != 0 {
            let t = x % y;
            x = y;
            y = t;
        }
        return i128::from(x);
    }
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl Ratio {
    /// Builds `num / den`; a zero denominator yields `None`.
    pub fn new(num: i128, den: i128) -> Option<Ratio> {
        match den.cmp(&0) {
            Ordering::Equal => None,
            Ordering::Greater => Some(Ratio { num, den }.reduced()),
            Ordering::Less => Some(
                Ratio {
                    num: -num,
                    den: -den,
                }
                .reduced(),
            ),
        }
    }

    /// Builds `num / den` for a known positive `den` without reducing (hot paths).
    pub(crate) fn raw(num: i128, den: i128) -> Ratio {
        debug_assert!(den > 0);
        Ratio { num, den }
    }

    /// The integer `n` as a rational.
    pub const fn from_int(n: i128) -> Ratio {
        Ratio { num: n, den: 1 }
    }

    /// Numerator (not necessarily in lowest terms).
    pub fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator (always positive, not necessarily in lowest terms).
    pub fn denom(&self) -> i128 {
        self.den
    }

    fn reduced(self) -> Ratio {
        let g = gcd(self.num, self.den);
        if g > 1 {
            Ratio {
                num: self.num / g,
                den: self.den / g,
            }
        } else {
            self
        }
    }

    /// Exact sum.
    pub fn plus(self, other: Ratio) -> Ratio {
        // Only the denominators are reconciled (to their lcm): sums of daily means stay
        // bounded by lcm(20..=24)·10^4 without paying a full reduction on every step.
        if self.den == other.den {
            return Ratio {
                num: self.num + other.num,
                den: self.den,
            };
        }
        let g = gcd(self.den, other.den);
        let den = self.den / g * other.den;
        let num = self.num * (other.den / g) + other.num * (self.den / g);
        Ratio { num, den }
    }

    /// Exact sum of many values; values sharing a denominator are summed first (cheap).
    pub fn sum<'a>(values: impl IntoIterator<Item = &'a Ratio>) -> Ratio {
        let mut groups: Vec<Ratio> = Vec::new();
        for v in values {
            match groups.iter_mut().find(|g| g.den == v.den) {
                Some(g) => g.num += v.num,
                None => groups.push(*v),
            }
        }
        groups.into_iter().fold(Ratio::from_int(0), Ratio::plus)
    }

    /// Exact difference.
    pub fn minus(self, other: Ratio) -> Ratio {
        self.plus(Ratio {
            num: -other.num,
            den: other.den,
        })
    }

    /// Exact product.
    pub fn times(self, other: Ratio) -> Ratio {
        Ratio {
            num: self.num * other.num,
            den: self.den * other.den,
        }
        .reduced()
    }

    /// The same value in lowest terms.
    pub fn normalized(self) -> Ratio {
        self.reduced()
    }

    /// Exact quotient; `None` when dividing by zero.
    pub fn checked_div(self, other: Ratio) -> Option<Ratio> {
        Ratio::new(self.num * other.den, self.den * other.num)
    }

    /// Divides by a non-zero integer count (means).
    pub fn div_int(self, n: i128) -> Option<Ratio> {
        Ratio::new(self.num, self.den * n)
    }

    /// Nearest `f64`, for display and JSON only; never for rounding decisions.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Largest integer ≤ self.
    pub fn floor(self) -> i128 {
        self.num.div_euclid(self.den)
    }

    /// Smallest integer ≥ self.
    pub fn ceil(self) -> i128 {
        ceil_div(self.num, self.den)
    }

    /// Rounds to a multiple of `1/10^decimals` by GB/T 8170 (四舍六入五成双).
    pub fn round_gbt8170(self, decimals: u32) -> Ratio {
        let q = 10i128.pow(decimals);
        let scaled = self.num * q;
        let (fl, rem) = match (i64::try_from(scaled), i64::try_from(self.den)) {
            (Ok(s), Ok(d)) => (i128::from(s.div_euclid(d)), i128::from(s.rem_euclid(d))),
            _ => (scaled.div_euclid(self.den), scaled.rem_euclid(self.den)),
        };
        let twice = rem * 2;
        let r = match twice.cmp(&self.den) {
            Ordering::Less => fl,
            Ordering::Greater => fl + 1,
            Ordering::Equal => {
                if fl % 2 == 0 {
                    fl
                } else {
                    fl + 1
                }
            }
        };
        Ratio { num: r, den: q }
    }

    /// Formats with exactly `decimals` digits after rounding by GB/T 8170.
    pub fn format_gbt8170(self, decimals: u32) -> String {
        let r = self.round_gbt8170(decimals);
        let q = 10i128.pow(decimals);
        let scaled = r.num;
        let neg = scaled < 0;
        let abs = scaled.abs();
        let int = abs / q;
        let frac = abs % q;
        let sign = if neg { "-" } else { "" };
        if decimals == 0 {
            format!("{sign}{int}")
        } else {
            format!("{sign}{int}.{frac:0width$}", width = decimals as usize)
        }
    }
}

impl PartialEq for Ratio {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}
impl Eq for Ratio {}
impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.den == other.den {
            self.num.cmp(&other.num)
        } else {
            (self.num * other.den).cmp(&(other.num * self.den))
        }
    }
}

impl fmt::Display for Ratio {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

/// Ceiling of `a / b` for `b > 0`, in exact integer arithmetic.
pub fn ceil_div(a: i128, b: i128) -> i128 {
    if let (Ok(x), Ok(y)) = (i64::try_from(a), i64::try_from(b)) {
        let q = x.div_euclid(y);
        return i128::from(if x.rem_euclid(y) == 0 { q } else { q + 1 });
    }
    let q = a.div_euclid(b);
    if a.rem_euclid(b) == 0 { q } else { q + 1 }
}

/// Why a decimal string was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalError {
    /// Not a plain non-negative decimal (`12`, `12.5`); signs, exponents and spaces are refused.
    Syntax,
    /// More fractional digits than the scale can hold exactly.
    TooPrecise,
    /// The value does not fit the integer type.
    Overflow,
}

/// Parses a plain non-negative decimal into an integer count of `10^-decimals`.
///
/// Extra fractional digits are accepted only when they are zeros, so the value
/// is always represented exactly.
pub fn parse_scaled(s: &str, decimals: u32) -> Result<i64, DecimalError> {
    let (int_part, frac_part) = match s.split_once('.') {
        Some((i, f)) => (i, f),
        None => (s, ""),
    };
    if int_part.is_empty() && frac_part.is_empty() {
        return Err(DecimalError::Syntax);
    }
    if !int_part.bytes().all(|b| b.is_ascii_digit())
        || !frac_part.bytes().all(|b| b.is_ascii_digit())
    {
        return Err(DecimalError::Syntax);
    }
    if s.ends_with('.') && frac_part.is_empty() && int_part.is_empty() {
        return Err(DecimalError::Syntax);
    }
    let mut value: i64 = 0;
    for b in int_part.bytes() {
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(i64::from(b - b'0')))
            .ok_or(DecimalError::Overflow)?;
    }
    let fb = frac_part.as_bytes();
    for i in 0..decimals as usize {
        let digit = fb.get(i).map_or(0, |b| i64::from(b - b'0'));
        value = value
            .checked_mul(10)
            .and_then(|v| v.checked_add(digit))
            .ok_or(DecimalError::Overflow)?;
    }
    if fb.len() > decimals as usize && fb[decimals as usize..].iter().any(|&b| b != b'0') {
        return Err(DecimalError::TooPrecise);
    }
    Ok(value)
}

/// Parses a plain non-negative decimal into an exact rational (up to 18 fractional digits).
pub fn parse_ratio(s: &str) -> Result<Ratio, DecimalError> {
    let decimals = s.split_once('.').map_or(0, |(_, f)| f.len()).min(18) as u32;
    let v = parse_scaled(s, decimals)?;
    Ratio::new(i128::from(v), 10i128.pow(decimals)).ok_or(DecimalError::Syntax)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn gbt8170_examples_from_reference() {
        // 60.5 → 60, 61.5 → 62, 2.25 → 2.2, 2.35 → 2.4
        assert_eq!(r(605, 10).round_gbt8170(0), Ratio::from_int(60));
        assert_eq!(r(615, 10).round_gbt8170(0), Ratio::from_int(62));
        assert_eq!(r(225, 100).round_gbt8170(1), r(22, 10));
        assert_eq!(r(235, 100).round_gbt8170(1), r(24, 10));
        // a 5 followed by a non-zero digit rounds up
        assert_eq!(r(6051, 100).round_gbt8170(0), Ratio::from_int(61));
        assert_eq!(r(2251, 1000).round_gbt8170(1), r(23, 10));
        // 6 rounds up, 4 down
        assert_eq!(r(606, 10).round_gbt8170(0), Ratio::from_int(61));
        assert_eq!(r(604, 10).round_gbt8170(0), Ratio::from_int(60));
        // 13/40 = 0.325 → 0.32 (the composite-index trap)
        assert_eq!(r(13, 40).round_gbt8170(2), r(32, 100));
        assert_eq!(r(13, 40).format_gbt8170(2), "0.32");
        assert_eq!(r(1, 3).format_gbt8170(3), "0.333");
        assert_eq!(r(5, 2).format_gbt8170(0), "2");
    }

    #[test]
    fn ceil_div_exact() {
        assert_eq!(ceil_div(100, 20), 5);
        assert_eq!(ceil_div(101, 20), 6);
        assert_eq!(ceil_div(0, 7), 0);
        assert_eq!(ceil_div(-1, 7), 0);
    }

    #[test]
    fn parse_scaled_cases() {
        assert_eq!(parse_scaled("35.5", 4), Ok(355_000));
        assert_eq!(parse_scaled("6.2832", 4), Ok(62_832));
        assert_eq!(parse_scaled("7", 4), Ok(70_000));
        assert_eq!(parse_scaled(".5", 1), Ok(5));
        assert_eq!(parse_scaled("1.50000", 1), Ok(15));
        assert_eq!(parse_scaled("1.23456", 4), Err(DecimalError::TooPrecise));
        assert_eq!(parse_scaled("-1", 4), Err(DecimalError::Syntax));
        assert_eq!(parse_scaled("1e3", 4), Err(DecimalError::Syntax));
        assert_eq!(parse_scaled("", 4), Err(DecimalError::Syntax));
        assert_eq!(parse_scaled(".", 4), Err(DecimalError::Syntax));
        assert_eq!(parse_scaled(" 1", 4), Err(DecimalError::Syntax));
        assert_eq!(
            parse_scaled("99999999999999999999", 0),
            Err(DecimalError::Overflow)
        );
        assert_eq!(parse_ratio("2.2"), Ok(r(22, 10)));
    }

    #[test]
    fn ratio_order_and_sum() {
        assert!(r(1, 3) < r(34, 100));
        assert_eq!(r(1, 3).plus(r(1, 6)), r(1, 2));
        assert_eq!(r(7, 2).floor(), 3);
        assert_eq!(r(7, 2).ceil(), 4);
        assert_eq!(r(-7, 2).floor(), -4);
    }
}
