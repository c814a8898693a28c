//! Exact numbers for the standards and the plan: a [`Decimal`] that keeps the scale it was
//! written with, a checked rational [`Ratio`], GB/T 8170 rounding ([`Rounding`]) and the one
//! decimal parser ([`Number::parse`]).
//!
//! This crate is pure: no I/O, no clocks, no async runtime. Every `i128` operation is
//! checked; an overflow is reported as `None` or an error, never wrapped and never a panic.
//!
//! # The decimal grammar
//!
//! Every decimal text in the workspace is read by [`Number::parse`], with this grammar
//! (ASCII only; no whitespace, no thousands separators, no `NaN`/`inf`, no hexadecimal):
//!
//! ```text
//! number   = [ sign ] mantissa [ exponent ]
//! sign     = "+" | "-"                        (only with Syntax::sign)
//! mantissa = digits [ "." digits ]
//!          | "." digits
//!          | digits "."                       (only with Syntax::bare_point)
//! exponent = ( "e" | "E" ) [ sign ] 1*3digit  (only with Syntax::exponent)
//! digits   = 1*( "0" … "9" )
//! ```
//!
//! So `12`, `-0.05`, `.5` are always numbers; `.`, `1.2.3`, `1,5`, `１２` never are.
//! The three options are the only differences callers may ask for:
//!
//! | [`Syntax`]            | sign | exponent (`1.5e-3`) | bare point (`2.`) | used by |
//! |-----------------------|------|---------------------|-------------------|---------|
//! | [`Syntax::PLAN`]      | yes  | no                  | no                | plan figures ([`Decimal`]'s `FromStr`) |
//! | [`Syntax::MEASURED`]  | yes  | yes                 | yes               | water measurements ([`Ratio::parse`]) |
//! | [`Syntax::UNSIGNED`]  | no   | no                  | yes               | air concentrations ([`parse_scaled`]) |
//!
//! Surrounding whitespace is not part of the grammar: [`Decimal`]'s `FromStr` and
//! [`Ratio::parse`] trim it first (they read table cells); [`parse_scaled`] does not.
//! Limits (how many decimals, how large) belong to the conversion, not to the grammar.

mod decimal;
mod parse;
mod ratio;

pub use decimal::Decimal;
pub use parse::{Number, ParseError, ParseErrorKind, Syntax, parse_scaled};
pub use ratio::{MAX_PARSE_INT_DIGITS, MAX_PARSE_SCALE, Ratio, RatioSum, Rounding};

/// Greatest common divisor of two magnitudes (`gcd(0, 0) = 0`).
pub const fn gcd(a: u128, b: u128) -> u128 {
    let (mut a, mut b) = (a, b);
    // 128-bit division is several times slower than 64-bit, and most operands fit in 64.
    if a <= u64::MAX as u128 && b <= u64::MAX as u128 {
        let (mut x, mut y) = (a as u64, b as u64);
        while y != 0 {
            (x, y) = (y, x % y);
        }
        return x as u128;
    }
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::gcd;
    use proptest::prelude::*;

    #[test]
    fn gcd_cases() {
        assert_eq!(gcd(0, 0), 0);
        assert_eq!(gcd(0, 7), 7);
        assert_eq!(gcd(12, 18), 6);
        assert_eq!(gcd(1 << 127, 1 << 100), 1 << 100);
    }

    proptest! {
        #[test]
        fn gcd_divides_both(a in any::<u128>(), b in any::<u128>()) {
            let g = gcd(a, b);
            if g != 0 {
                prop_assert_eq!(a % g, 0);
                prop_assert_eq!(b % g, 0);
                prop_assert_eq!(gcd(a / g, b / g), 1);
            }
        }
    }
}
