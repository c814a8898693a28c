//! Exact rationals for the comparisons that decide a status.
//!
//! `Decimal` keeps plan figures exactly but offers no arithmetic, and `decimal.rs` is not ours
//! to change, so the few sums, differences and quotients the progress rules need are done
//! here on reduced `i128` fractions. Every operation is checked: on overflow the caller falls
//! back to floating point rather than panicking or wrapping.

use crate::Decimal;

/// A reduced fraction `n / d` with `d > 0`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Q {
    n: i128,
    d: i128,
}

fn gcd(a: i128, b: i128) -> i128 {
    let (mut a, mut b) = (a.unsigned_abs(), b.unsigned_abs());
    while b != 0 {
        (a, b) = (b, a % b);
    }
    // Only gcd(i128::MIN, 0 or MIN) exceeds i128; dividing by 1 instead is still correct.
    i128::try_from(a).unwrap_or(1)
}

impl Q {
    /// The fraction `n / d`, reduced; `None` when `d` is zero or the sign cannot be normalised.
    pub(crate) fn new(n: i128, d: i128) -> Option<Q> {
        if d == 0 {
            return None;
        }
        let g = gcd(n, d).max(1);
        let (mut n, mut d) = (n / g, d / g);
        if d < 0 {
            n = n.checked_neg()?;
            d = d.checked_neg()?;
        }
        Some(Q { n, d })
    }

    /// A whole number.
    pub(crate) fn int(n: i64) -> Q {
        Q {
            n: i128::from(n),
            d: 1,
        }
    }

    /// The exact value of a decimal; `None` only for scales beyond `i128`.
    pub(crate) fn from_decimal(x: Decimal) -> Option<Q> {
        // Decimal's mantissa is private; its canonical text is the documented way back to it.
        let text = x.to_string();
        let (neg, body) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.as_str()),
        };
        let (int, frac) = body.split_once('.').unwrap_or((body, ""));
        let mut m: i128 = 0;
        for b in int.bytes().chain(frac.bytes()) {
            m = m
                .checked_mul(10)?
                .checked_add(i128::from(b.wrapping_sub(b'0')))?;
        }
        let d = 10i128.checked_pow(u32::try_from(frac.len()).ok()?)?;
        Q::new(if neg { -m } else { m }, d)
    }

    pub(crate) fn is_zero(self) -> bool {
        self.n == 0
    }

    pub(crate) fn abs(self) -> Option<Q> {
        Some(Q {
            n: self.n.checked_abs()?,
            d: self.d,
        })
    }

    pub(crate) fn neg(self) -> Option<Q> {
        Some(Q {
            n: self.n.checked_neg()?,
            d: self.d,
        })
    }

    pub(crate) fn add(self, o: Q) -> Option<Q> {
        let n = self
            .n
            .checked_mul(o.d)?
            .checked_add(o.n.checked_mul(self.d)?)?;
        Q::new(n, self.d.checked_mul(o.d)?)
    }

    pub(crate) fn sub(self, o: Q) -> Option<Q> {
        self.add(o.neg()?)
    }

    pub(crate) fn mul(self, o: Q) -> Option<Q> {
        // Cross-reducing first keeps intermediate products small.
        let g1 = gcd(self.n, o.d).max(1);
        let g2 = gcd(o.n, self.d).max(1);
        let n = (self.n / g1).checked_mul(o.n / g2)?;
        let d = (self.d / g2).checked_mul(o.d / g1)?;
        Q::new(n, d)
    }

    pub(crate) fn div(self, o: Q) -> Option<Q> {
        if o.n == 0 {
            return None;
        }
        self.mul(Q::new(o.d, o.n)?)
    }

    pub(crate) fn to_f64(self) -> f64 {
        self.n as f64 / self.d as f64
    }

    /// Rounded half away from zero to `scale` digits after the point.
    pub(crate) fn round(self, scale: u32) -> Option<Decimal> {
        let p = 10i128.checked_pow(scale)?;
        let scaled = self.n.checked_abs()?.checked_mul(p)?;
        let (q, r) = (scaled / self.d, scaled % self.d);
        let m = if r.checked_mul(2)? >= self.d {
            q + 1
        } else {
            q
        };
        Some(Decimal::new(if self.n < 0 { -m } else { m }, scale))
    }
}

/// A decimal with trailing zeros after the point removed, keeping at least `min_scale` digits.
pub(crate) fn trim(x: Decimal, min_scale: u32) -> Decimal {
    let Some(q) = Q::from_decimal(x) else {
        return x;
    };
    let mut scale = x.scale();
    let Some(mut m) = mantissa(q, scale) else {
        return x;
    };
    while scale > min_scale && m % 10 == 0 {
        m /= 10;
        scale -= 1;
    }
    Decimal::new(m, scale)
}

fn mantissa(q: Q, scale: u32) -> Option<i128> {
    let p = 10i128.checked_pow(scale)?;
    let v = q.mul(Q::new(p, 1)?)?;
    (v.d == 1).then_some(v.n)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> Decimal {
        s.parse().unwrap()
    }

    #[test]
    fn reads_decimals_exactly() {
        assert_eq!(Q::from_decimal(d("-2.05")), Q::new(-41, 20));
        assert_eq!(Q::from_decimal(d("71.60")), Q::new(358, 5));
        assert_eq!(Q::from_decimal(d("0")), Some(Q::int(0)));
    }

    #[test]
    fn arithmetic_is_exact() {
        let a = Q::from_decimal(d("16.71")).unwrap();
        let b = Q::from_decimal(d("14.21")).unwrap();
        assert_eq!(a.sub(b), Q::new(5, 2));
        assert_eq!(a.sub(b).unwrap().div(Q::int(5)), Q::new(1, 2));
        assert_eq!(Q::int(3).div(Q::int(0)), None);
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(Q::new(19, 20).unwrap().round(1), Some(d("1.0")));
        assert_eq!(Q::new(-1, 8).unwrap().round(2), Some(d("-0.13")));
        assert_eq!(Q::new(1, 3).unwrap().round(6), Some(d("0.333333")));
        assert_eq!(Q::new(2, 3).unwrap().round(6), Some(d("0.666667")));
    }

    #[test]
    fn overflow_is_reported_not_wrapped() {
        let big = Q::new(i128::MAX, 1).unwrap();
        assert_eq!(big.add(Q::int(1)), None);
        assert_eq!(big.mul(Q::int(2)), None);
    }

    #[test]
    fn trims_trailing_zeros() {
        assert_eq!(trim(d("42.7500"), 0).to_string(), "42.75");
        assert_eq!(trim(d("100.000"), 0).to_string(), "100");
        assert_eq!(trim(d("100.000"), 2).to_string(), "100.00");
    }
}
