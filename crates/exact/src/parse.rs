//! The one decimal parser (grammar in the crate documentation).

/// Which optional parts of the grammar a caller accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Syntax {
    /// A leading `+` or `-`.
    pub sign: bool,
    /// An exponent of one to three digits (`5e-5`, `1.2E3`).
    pub exponent: bool,
    /// A point with no digits after it (`2.`).
    pub bare_point: bool,
}

impl Syntax {
    /// Plan figures as a document writes them: signed, no exponent, no bare point.
    pub const PLAN: Syntax = Syntax {
        sign: true,
        exponent: false,
        bare_point: false,
    };
    /// Measured values as laboratories and instruments write them: everything.
    pub const MEASURED: Syntax = Syntax {
        sign: true,
        exponent: true,
        bare_point: true,
    };
    /// Concentrations that cannot be negative: no sign, no exponent.
    pub const UNSIGNED: Syntax = Syntax {
        sign: false,
        exponent: false,
        bare_point: true,
    };
}

/// Why a text was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// The text is empty (or only whitespace, where whitespace is trimmed).
    Empty,
    /// The text does not follow the grammar.
    Syntax,
    /// More decimals than the conversion holds.
    TooPrecise,
    /// The value is too large for the conversion.
    TooLarge,
}

/// A refused decimal text, with the text as written.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// See [`ParseErrorKind::Empty`].
    #[error("值为空，应为数字")]
    Empty,
    /// See [`ParseErrorKind::Syntax`].
    #[error("「{0}」不是十进制数（应为如 71.9、-2.05 的数字）")]
    Syntax(String),
    /// See [`ParseErrorKind::TooPrecise`].
    #[error("「{0}」的小数位数过多")]
    TooPrecise(String),
    /// See [`ParseErrorKind::TooLarge`].
    #[error("「{0}」数值过大")]
    TooLarge(String),
}

impl ParseError {
    /// The error of `kind` for `text`.
    pub fn new(kind: ParseErrorKind, text: &str) -> ParseError {
        match kind {
            ParseErrorKind::Empty => ParseError::Empty,
            ParseErrorKind::Syntax => ParseError::Syntax(text.to_string()),
            ParseErrorKind::TooPrecise => ParseError::TooPrecise(text.to_string()),
            ParseErrorKind::TooLarge => ParseError::TooLarge(text.to_string()),
        }
    }

    /// Which rule the text broke.
    pub fn kind(&self) -> ParseErrorKind {
        match self {
            ParseError::Empty => ParseErrorKind::Empty,
            ParseError::Syntax(_) => ParseErrorKind::Syntax,
            ParseError::TooPrecise(_) => ParseErrorKind::TooPrecise,
            ParseError::TooLarge(_) => ParseErrorKind::TooLarge,
        }
    }
}

/// A decimal text taken apart by the grammar, not yet converted to a value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Number<'a> {
    /// A leading `-` was written.
    pub negative: bool,
    /// Digits before the point (may be empty, as in `.5`).
    pub int: &'a str,
    /// Digits after the point (may be empty).
    pub frac: &'a str,
    /// The exponent, 0 when none was written (at most three digits, so |exponent| ≤ 999).
    pub exponent: i32,
}

fn all_digits(s: &str) -> bool {
    s.bytes().all(|b| b.is_ascii_digit())
}

impl<'a> Number<'a> {
    /// Takes `text` apart by the crate's grammar with the options of `syntax`.
    pub fn parse(text: &'a str, syntax: Syntax) -> Result<Number<'a>, ParseError> {
        if text.is_empty() {
            return Err(ParseError::Empty);
        }
        let bad = || ParseError::Syntax(text.to_string());
        let (negative, body) = match text.as_bytes()[0] {
            b'-' if syntax.sign => (true, &text[1..]),
            b'+' if syntax.sign => (false, &text[1..]),
            _ => (false, text),
        };
        let (mantissa, exponent) = match body.find(['e', 'E']) {
            Some(pos) if syntax.exponent => {
                let exp = &body[pos + 1..];
                let digits = exp.strip_prefix(['+', '-']).unwrap_or(exp);
                if digits.is_empty() || digits.len() > 3 || !all_digits(digits) {
                    return Err(bad());
                }
                (&body[..pos], exp.parse::<i32>().map_err(|_| bad())?)
            }
            _ => (body, 0),
        };
        let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
        if (int.is_empty() && frac.is_empty()) || !all_digits(int) || !all_digits(frac) {
            return Err(bad());
        }
        if !syntax.bare_point && mantissa.ends_with('.') {
            return Err(bad());
        }
        Ok(Number {
            negative,
            int,
            frac,
            exponent,
        })
    }

    /// The significant digits (leading zeros dropped) and the power of ten they are scaled
    /// by: the value is `digits × 10^-scale`.
    pub(crate) fn digits_and_scale(&self) -> (impl Iterator<Item = u8> + 'a, i64) {
        let int = self.int.trim_start_matches('0');
        let frac = if int.is_empty() {
            self.frac.trim_start_matches('0')
        } else {
            self.frac
        };
        let digits = int.bytes().chain(frac.bytes()).map(|b| b - b'0');
        (digits, self.frac.len() as i64 - i64::from(self.exponent))
    }

    /// The value as an integer count of `10^-decimals`, refusing digits beyond `decimals`
    /// that are not zero (the value is always held exactly).
    pub fn to_scaled(&self, decimals: u32) -> Result<i64, ParseErrorKind> {
        let shift = i64::from(decimals) + i64::from(self.exponent);
        let (int, frac) = (self.int.as_bytes(), self.frac.as_bytes());
        // Digit k (counting the integer digits from 0) has weight 10^(decimals + exponent
        // − (k + 1 − len(int))); those below 10^0 must be zero.
        let kept = usize::try_from((int.len() as i64).saturating_add(shift)).unwrap_or(0);
        let digits = int.iter().chain(frac.iter());
        let mut value: i64 = 0;
        let mut count = 0usize;
        for &b in digits.clone().take(kept) {
            value = value
                .checked_mul(10)
                .and_then(|v| v.checked_add(i64::from(b - b'0')))
                .ok_or(ParseErrorKind::TooLarge)?;
            count += 1;
        }
        if digits.skip(kept).any(|&b| b != b'0') {
            return Err(ParseErrorKind::TooPrecise);
        }
        for _ in count..kept {
            if value == 0 {
                break;
            }
            value = value.checked_mul(10).ok_or(ParseErrorKind::TooLarge)?;
        }
        Ok(if self.negative { -value } else { value })
    }
}

/// Reads a plain non-negative decimal ([`Syntax::UNSIGNED`], untrimmed) as an integer count
/// of `10^-decimals`; digits beyond `decimals` are accepted only when they are zeros.
pub fn parse_scaled(text: &str, decimals: u32) -> Result<i64, ParseError> {
    Number::parse(text, Syntax::UNSIGNED)?
        .to_scaled(decimals)
        .map_err(|k| ParseError::new(k, text))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn options_decide_sign_exponent_and_bare_point() {
        assert!(Number::parse("-1", Syntax::UNSIGNED).is_err());
        assert!(Number::parse("-1", Syntax::PLAN).is_ok());
        assert!(Number::parse("1e3", Syntax::PLAN).is_err());
        assert_eq!(Number::parse("1e3", Syntax::MEASURED).unwrap().exponent, 3);
        assert!(Number::parse("2.", Syntax::PLAN).is_err());
        assert!(Number::parse("2.", Syntax::MEASURED).is_ok());
        for bad in [
            "", ".", "+", "-", "1.2.3", "1,5", "１２", " 1", "1 ", "e5", "1e", "1e1234",
        ] {
            assert!(Number::parse(bad, Syntax::MEASURED).is_err(), "{bad}");
        }
    }

    #[test]
    fn parse_scaled_cases() {
        assert_eq!(parse_scaled("35.5", 4), Ok(355_000));
        assert_eq!(parse_scaled("6.2832", 4), Ok(62_832));
        assert_eq!(parse_scaled("7", 4), Ok(70_000));
        assert_eq!(parse_scaled(".5", 1), Ok(5));
        assert_eq!(parse_scaled("1.50000", 1), Ok(15));
        let kind = |s: &str, d| parse_scaled(s, d).map_err(|e| e.kind());
        assert_eq!(kind("1.23456", 4), Err(ParseErrorKind::TooPrecise));
        assert_eq!(kind("-1", 4), Err(ParseErrorKind::Syntax));
        assert_eq!(kind("1e3", 4), Err(ParseErrorKind::Syntax));
        assert_eq!(kind("", 4), Err(ParseErrorKind::Empty));
        assert_eq!(kind(".", 4), Err(ParseErrorKind::Syntax));
        assert_eq!(kind(" 1", 4), Err(ParseErrorKind::Syntax));
        assert_eq!(
            kind("99999999999999999999", 0),
            Err(ParseErrorKind::TooLarge)
        );
    }

    #[test]
    fn scaled_applies_the_exponent() {
        let n = |s| Number::parse(s, Syntax::MEASURED).unwrap();
        assert_eq!(n("1.5e-3").to_scaled(4), Ok(15));
        assert_eq!(n("1.5e-3").to_scaled(3), Err(ParseErrorKind::TooPrecise));
        assert_eq!(n("-1.2e3").to_scaled(1), Ok(-12_000));
        assert_eq!(n("5e-999").to_scaled(2), Err(ParseErrorKind::TooPrecise));
        assert_eq!(n("0e999").to_scaled(2), Ok(0));
        assert_eq!(n("1e999").to_scaled(2), Err(ParseErrorKind::TooLarge));
    }

    #[test]
    fn messages_are_chinese_and_name_the_text() {
        let e = parse_scaled("abc", 1).unwrap_err();
        assert_eq!(
            e.to_string(),
            "「abc」不是十进制数（应为如 71.9、-2.05 的数字）"
        );
    }

    proptest! {
        #[test]
        fn never_panics(s in "\\PC*", d in 0u32..40) {
            for syntax in [Syntax::PLAN, Syntax::MEASURED, Syntax::UNSIGNED] {
                if let Ok(n) = Number::parse(&s, syntax) {
                    let _ = n.to_scaled(d);
                }
            }
        }

        #[test]
        fn never_panics_on_number_like_text(s in "[-+]?[0-9]{0,30}(\\.[0-9]{0,30})?([eE][-+]?[0-9]{1,3})?", d in 0u32..40) {
            if let Ok(n) = Number::parse(&s, Syntax::MEASURED) {
                let _ = n.to_scaled(d);
            }
        }

        #[test]
        fn scaled_round_trips(v in 0i64..i64::MAX, d in 0u32..8) {
            let p = 10i64.pow(d);
            let text = if d == 0 {
                v.to_string()
            } else {
                format!("{}.{:0w$}", v / p, v % p, w = d as usize)
            };
            prop_assert_eq!(parse_scaled(&text, d), Ok(v));
        }
    }
}
