//! Checked rationals and GB/T 8170 rounding.

use std::cmp::Ordering;
use std::fmt;

use crate::{Decimal, Number, ParseError, ParseErrorKind, Syntax, gcd};

/// Most decimals [`Ratio::parse`] accepts (after dropping trailing zeros).
pub const MAX_PARSE_SCALE: u32 = 15;

/// Most integer digits [`Ratio::parse`] accepts: values are below 10^15.
pub const MAX_PARSE_INT_DIGITS: u32 = 15;

/// How a value exactly halfway between two results is rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// GB/T 8170 四舍六入五成双: a tie goes to the even neighbour (2.25 → 2.2, 2.35 → 2.4).
    HalfEven,
    /// 四舍五入: a tie goes away from zero (0.125 → 0.13, −0.125 → −0.13).
    HalfAwayFromZero,
}

/// An exact rational `num / den`, always in lowest terms with `den > 0` and
/// `num > i128::MIN`, so that negation and `abs` can never overflow.
///
/// Class boundaries are inclusive and many limits (0.00005, 0.025, …) have no exact binary
/// representation, so every decision that picks a class or a rounded figure is taken here.
/// Comparison never overflows (continued fractions); arithmetic is checked and answers
/// `None` on overflow instead of wrapping or panicking.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ratio {
    num: i128,
    den: i128,
}

/// Whether the remainder `r` of a division by `den` rounds the quotient up.
fn rounds_up(quotient_odd: bool, r: u128, den: u128, mode: Rounding) -> bool {
    // Comparing r with den − r instead of 2r with den: no product, nothing to overflow.
    match r.cmp(&(den - r)) {
        Ordering::Less => false,
        Ordering::Greater => true,
        Ordering::Equal => match mode {
            Rounding::HalfEven => quotient_odd,
            Rounding::HalfAwayFromZero => true,
        },
    }
}

/// The next decimal digit of `rem / den` (`rem < den`) and the new remainder.
fn next_digit(rem: u128, den: u128) -> (u8, u128) {
    if let Some(t) = rem.checked_mul(10) {
        // t / den < 10 because rem < den.
        return ((t / den) as u8, t % den);
    }
    // 10·rem exceeds u128 only for denominators near 2^127: add rem ten times instead,
    // reducing as we go (acc < den and rem < den, so acc + rem < 2^128).
    let (mut acc, mut digit) = (0u128, 0u8);
    for _ in 0..10 {
        acc += rem;
        if acc >= den {
            acc -= den;
            digit += 1;
        }
    }
    (digit, acc)
}

impl Ratio {
    /// Zero.
    pub const ZERO: Ratio = Ratio { num: 0, den: 1 };
    /// One.
    pub const ONE: Ratio = Ratio { num: 1, den: 1 };

    /// `num / den` in lowest terms; `None` when `den` is zero or the value needs `i128::MIN`.
    pub const fn new(num: i128, den: i128) -> Option<Ratio> {
        if den == 0 {
            return None;
        }
        let g = gcd(num.unsigned_abs(), den.unsigned_abs());
        let (n, d) = (num.unsigned_abs() / g, den.unsigned_abs() / g);
        if n > i128::MAX as u128 || d > i128::MAX as u128 {
            return None;
        }
        let (n, d) = (n as i128, d as i128);
        Some(Ratio {
            num: if (num < 0) != (den < 0) { -n } else { n },
            den: d,
        })
    }

    /// `num / den` for counts the caller has already checked: a zero `den` (or a value that
    /// needs `i128::MIN`) gives zero. [`Ratio::new`] says so with `None` instead.
    // Named for the water crate, where this type is `Exact` and reads `Exact::ratio(n, d)`.
    #[allow(clippy::self_named_constructors)]
    pub const fn ratio(num: i128, den: i128) -> Ratio {
        match Ratio::new(num, den) {
            Some(r) => r,
            None => Ratio::ZERO,
        }
    }

    /// An integer.
    pub const fn int(value: i64) -> Ratio {
        Ratio {
            num: value as i128,
            den: 1,
        }
    }

    /// `mantissa × 10^-scale`, e.g. `Ratio::dec(5, 5)` is 0.00005; `None` when `10^scale`
    /// exceeds `i128` (scale > 38).
    pub const fn dec(mantissa: i64, scale: u32) -> Option<Ratio> {
        match 10i128.checked_pow(scale) {
            Some(p) => Ratio::new(mantissa as i128, p),
            None => None,
        }
    }

    /// Numerator in lowest terms.
    pub const fn numer(&self) -> i128 {
        self.num
    }

    /// Denominator in lowest terms (always positive).
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

    /// Absolute value (never overflows: the numerator is never `i128::MIN`).
    pub const fn abs(self) -> Ratio {
        Ratio {
            num: self.num.abs(),
            den: self.den,
        }
    }

    /// Checked sum.
    pub fn checked_add(self, other: Ratio) -> Option<Ratio> {
        if self.den == other.den {
            return Ratio::new(self.num.checked_add(other.num)?, self.den);
        }
        // gcd of two positive i128 fits in i128.
        let g = gcd(self.den.unsigned_abs(), other.den.unsigned_abs()) as i128;
        let l = (self.den / g).checked_mul(other.den)?;
        let a = self.num.checked_mul(other.den / g)?;
        let b = other.num.checked_mul(self.den / g)?;
        Ratio::new(a.checked_add(b)?, l)
    }

    /// Checked difference.
    pub fn checked_sub(self, other: Ratio) -> Option<Ratio> {
        self.checked_add(-other)
    }

    /// Checked product.
    pub fn checked_mul(self, other: Ratio) -> Option<Ratio> {
        // Cross-reducing first keeps the products small; each gcd is ≥ 1 (denominators are
        // positive) and fits in i128 (numerators are never i128::MIN).
        let g1 = gcd(self.num.unsigned_abs(), other.den.unsigned_abs()) as i128;
        let g2 = gcd(other.num.unsigned_abs(), self.den.unsigned_abs()) as i128;
        let n = (self.num / g1).checked_mul(other.num / g2)?;
        let d = (self.den / g2).checked_mul(other.den / g1)?;
        Ratio::new(n, d)
    }

    /// Checked quotient; `None` on division by zero or overflow.
    pub fn checked_div(self, other: Ratio) -> Option<Ratio> {
        let inverse = Ratio::new(other.den, other.num)?;
        self.checked_mul(inverse)
    }

    /// Divides by a count (means); `None` when `n` is zero or on overflow.
    pub fn div_int(self, n: i128) -> Option<Ratio> {
        self.checked_div(Ratio::new(n, 1)?)
    }

    /// Checked sum of many values: the exact total, or the fact that it overflowed.
    pub fn sum<'a>(values: impl IntoIterator<Item = &'a Ratio>) -> RatioSum {
        RatioSum(Ratio::checked_sum(values))
    }

    fn checked_sum<'a>(values: impl IntoIterator<Item = &'a Ratio>) -> Option<Ratio> {
        // Values sharing a denominator are added as integers first: a year of daily means
        // has only a few distinct denominators, and integer sums are cheap.
        let mut groups: Vec<(i128, i128)> = Vec::new();
        for v in values {
            match groups.iter_mut().find(|g| g.0 == v.den) {
                Some(g) => g.1 = g.1.checked_add(v.num)?,
                None => groups.push((v.den, v.num)),
            }
        }
        groups.into_iter().try_fold(Ratio::ZERO, |acc, (d, n)| {
            acc.checked_add(Ratio::new(n, d)?)
        })
    }

    /// Nearest `f64`, for charts, JSON and logarithms; never for a class or rounding decision.
    pub fn to_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// Largest integer ≤ self.
    pub const fn floor(self) -> i128 {
        // den > 0, so div_euclid cannot overflow.
        self.num.div_euclid(self.den)
    }

    /// Smallest integer ≥ self.
    pub const fn ceil(self) -> i128 {
        let q = self.num.div_euclid(self.den);
        if self.den == 1 {
            q
        } else {
            // den ≥ 2 (lowest terms, not an integer), so q ≤ i128::MAX / 2.
            q.saturating_add(1)
        }
    }

    /// Rounds to a multiple of `10^-decimals`; `None` when the result exceeds `i128`.
    pub fn round(self, decimals: u32, mode: Rounding) -> Option<Ratio> {
        let p = 10i128.checked_pow(decimals)?;
        let (int, digits) = self.rounded_digits(decimals, mode);
        let mut k = int;
        for d in digits {
            k = k.checked_mul(10)?.checked_add(u128::from(d))?;
        }
        let k = i128::try_from(k).ok()?;
        Ratio::new(if self.num < 0 { -k } else { k }, p)
    }

    /// |self| rounded to `decimals` places by long division: the integer part and the digits
    /// after the point. Total: no value and no `decimals` can overflow it.
    fn rounded_digits(self, decimals: u32, mode: Rounding) -> (u128, Vec<u8>) {
        let den = self.den.unsigned_abs();
        let mag = self.num.unsigned_abs();
        let (mut int, mut rem) = (mag / den, mag % den);
        let mut digits = Vec::with_capacity(decimals.min(64) as usize);
        for _ in 0..decimals {
            let (d, r) = next_digit(rem, den);
            digits.push(d);
            rem = r;
        }
        let odd = digits.last().map_or(int % 2 == 1, |d| d % 2 == 1);
        if rounds_up(odd, rem, den, mode) {
            let mut carry = true;
            for d in digits.iter_mut().rev() {
                if *d == 9 {
                    *d = 0;
                } else {
                    *d += 1;
                    carry = false;
                    break;
                }
            }
            if carry {
                // int ≤ 2^127, so one more still fits in u128.
                int = int.saturating_add(1);
            }
        }
        (int, digits)
    }

    /// Rounds half to even (GB/T 8170 四舍六入五成双) to `decimals` places.
    pub fn round_half_even(self, decimals: u32) -> Option<Ratio> {
        self.round(decimals, Rounding::HalfEven)
    }

    /// Rounds half to even to `decimals` places, but when that gives zero for a non-zero
    /// value keeps one significant figure instead (环办监测函〔2020〕82号).
    pub fn round_keep_significant(self, decimals: u32) -> Option<Ratio> {
        let r = self.round_half_even(decimals)?;
        if !r.is_zero() || self.is_zero() {
            return Some(r);
        }
        let abs = self.abs();
        let mut d = decimals;
        // The first significant digit sits at the smallest d with |x|·10^d ≥ 1.
        while abs.checked_mul(Ratio::new(10i128.checked_pow(d)?, 1)?)? < Ratio::ONE {
            d = d.checked_add(1)?;
        }
        self.round_half_even(d)
    }

    /// The value rounded to `scale` decimals as a [`Decimal`] of that scale.
    pub fn to_decimal(self, scale: u32, mode: Rounding) -> Option<Decimal> {
        let r = self.round(scale, mode)?;
        // r = k / 10^scale in lowest terms, so r.den divides 10^scale.
        let p = 10i128.checked_pow(scale)?;
        Some(Decimal::new(r.num.checked_mul(p / r.den)?, scale))
    }

    /// Fixed-point text with exactly `decimals` places, rounded by `mode` (total: never
    /// overflows).
    pub fn format_fixed(self, decimals: u32, mode: Rounding) -> String {
        let (int, digits) = self.rounded_digits(decimals, mode);
        let zero = int == 0 && digits.iter().all(|&d| d == 0);
        let mut out = String::with_capacity(digits.len() + 42);
        if self.num < 0 && !zero {
            out.push('-');
        }
        out.push_str(&int.to_string());
        if !digits.is_empty() {
            out.push('.');
            out.extend(digits.iter().map(|&d| char::from(b'0' + d)));
        }
        out
    }

    /// Fixed-point text with exactly `decimals` places, rounded by GB/T 8170.
    pub fn format_gbt8170(self, decimals: u32) -> String {
        self.format_fixed(decimals, Rounding::HalfEven)
    }

    /// [`Ratio::format_gbt8170`] as an `Option` (always `Some`), for callers that chain it
    /// after [`Ratio::round_half_even`].
    pub fn to_fixed(self, decimals: u32) -> Option<String> {
        Some(self.format_gbt8170(decimals))
    }

    /// Exact decimal text when the value terminates in base ten, else `None`.
    pub fn to_decimal_string(self) -> Option<String> {
        let mut d = self.den;
        let (mut twos, mut fives) = (0u32, 0u32);
        while d % 2 == 0 {
            d /= 2;
            twos += 1;
        }
        while d % 5 == 0 {
            d /= 5;
            fives += 1;
        }
        (d == 1).then(|| self.format_gbt8170(twos.max(fives)))
    }

    /// Reads a measured value: surrounding whitespace trimmed, [`Syntax::MEASURED`], at most
    /// [`MAX_PARSE_SCALE`] decimals once trailing zeros are dropped, below 10^15.
    pub fn parse(text: &str) -> Result<Ratio, ParseError> {
        let t = text.trim();
        Number::parse(t, Syntax::MEASURED)?
            .to_ratio(MAX_PARSE_SCALE, MAX_PARSE_INT_DIGITS)
            .map_err(|k| ParseError::new(k, t))
    }
}

impl Number<'_> {
    /// The exact value, refusing more than `max_scale` decimals (trailing zeros after the
    /// point carry no value and are dropped first) and values of `max_int_digits` or more
    /// integer digits.
    pub fn to_ratio(&self, max_scale: u32, max_int_digits: u32) -> Result<Ratio, ParseErrorKind> {
        let (digits, mut scale) = self.digits_and_scale();
        let mut digits: Vec<u8> = digits.collect();
        while scale > 0 && digits.last() == Some(&0) {
            digits.pop();
            scale -= 1;
        }
        if digits.iter().all(|&d| d == 0) {
            return Ok(Ratio::ZERO);
        }
        if scale > i64::from(max_scale) {
            return Err(ParseErrorKind::TooPrecise);
        }
        // The value is below 10^(len − scale); refuse before building anything large.
        let int_digits = digits.len() as i64 - scale;
        if int_digits > i64::from(max_int_digits) {
            return Err(ParseErrorKind::TooLarge);
        }
        let mut m: i128 = 0;
        for &d in &digits {
            m = m
                .checked_mul(10)
                .and_then(|m| m.checked_add(i128::from(d)))
                .ok_or(ParseErrorKind::TooLarge)?;
        }
        let (m, den) = if scale >= 0 {
            let den = u32::try_from(scale)
                .ok()
                .and_then(|s| 10i128.checked_pow(s))
                .ok_or(ParseErrorKind::TooPrecise)?;
            (m, den)
        } else {
            let factor = u32::try_from(-scale)
                .ok()
                .and_then(|s| 10i128.checked_pow(s))
                .ok_or(ParseErrorKind::TooLarge)?;
            (m.checked_mul(factor).ok_or(ParseErrorKind::TooLarge)?, 1)
        };
        let r =
            Ratio::new(if self.negative { -m } else { m }, den).ok_or(ParseErrorKind::TooLarge)?;
        Ok(r)
    }
}

/// A checked sum from [`Ratio::sum`]: the exact total, or the fact that it overflowed.
///
/// A type rather than an `Option` so that a mean reads `Ratio::sum(&xs).div_int(n)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[must_use]
pub struct RatioSum(Option<Ratio>);

impl RatioSum {
    /// The total; `None` when it overflowed.
    pub fn value(self) -> Option<Ratio> {
        self.0
    }

    /// The total divided by a count (a mean); `None` when the sum overflowed, `n` is zero or
    /// the quotient overflows.
    pub fn div_int(self, n: i128) -> Option<Ratio> {
        self.0?.div_int(n)
    }
}

impl std::ops::Neg for Ratio {
    type Output = Ratio;

    /// Never overflows: the numerator is never `i128::MIN`.
    fn neg(self) -> Ratio {
        Ratio {
            num: -self.num,
            den: self.den,
        }
    }
}

/// Compares `a/b` with `c/d` (`b, d > 0`) by continued fractions, so no product is formed
/// and nothing can overflow.
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
            (a, b, c, d) = (b, r1, d, r2);
            flipped = !flipped;
            continue;
        };
        return if flipped { ord.reverse() } else { ord };
    }
}

impl Ord for Ratio {
    fn cmp(&self, other: &Self) -> Ordering {
        if self.den == other.den {
            return self.num.cmp(&other.num);
        }
        // Products of two values below 2^63 stay below 2^126: the common case is one multiply.
        if let (Ok(a), Ok(b), Ok(c), Ok(d)) = (
            i64::try_from(self.num),
            i64::try_from(self.den),
            i64::try_from(other.num),
            i64::try_from(other.den),
        ) {
            return (i128::from(a) * i128::from(d)).cmp(&(i128::from(c) * i128::from(b)));
        }
        cmp_fractions(self.num, self.den, other.num, other.den)
    }
}

impl PartialOrd for Ratio {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl fmt::Display for Ratio {
    /// The exact decimal when it terminates (`0.125`), else the fraction (`1/3`).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.to_decimal_string() {
            Some(s) => f.write_str(&s),
            None => write!(f, "{}/{}", self.num, self.den),
        }
    }
}

impl std::str::FromStr for Ratio {
    type Err = ParseError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ratio::parse(s)
    }
}

#[cfg(test)]
mod tests;
