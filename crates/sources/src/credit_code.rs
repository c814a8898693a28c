//! 统一社会信用代码 (GB 32100-2015): 18 characters with a check character.

/// The code's alphabet: digits and upper-case letters without I, O, Z, S, V.
const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

/// Why a 统一社会信用代码 is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CreditCodeError {
    /// Not 18 characters.
    #[error("统一社会信用代码应为 18 位，实为 {0} 位")]
    Length(usize),
    /// A character outside the code's alphabet.
    #[error("第 {position} 位字符「{ch}」不是统一社会信用代码允许的字符")]
    Character {
        /// 1-based position.
        position: usize,
        /// The character.
        ch: char,
    },
    /// The check character does not match.
    #[error("校验位应为「{expected}」，实为「{found}」")]
    CheckDigit {
        /// What the first 17 characters require.
        expected: char,
        /// What the code has.
        found: char,
    },
}

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

/// The check character for the first 17 characters of a code (for generating test data).
pub fn credit_code_check_char(first17: &str) -> Option<char> {
    if first17.len() != 17 {
        return None;
    }
    let mut sum = 0u32;
    for (i, b) in first17.bytes().enumerate() {
        sum += value(b)? * WEIGHTS[i];
    }
    Some(char::from(ALPHABET[((31 - sum % 31) % 31) as usize]))
}

/// Checks a 统一社会信用代码: length, alphabet and the GB 32100-2015 check character.
pub fn check_credit_code(code: &str) -> Result<(), CreditCodeError> {
    let n = code.chars().count();
    if n != 18 {
        return Err(CreditCodeError::Length(n));
    }
    let bytes = code.as_bytes();
    let mut sum = 0u32;
    for (i, ch) in code.chars().enumerate() {
        let v = u8::try_from(ch)
            .ok()
            .and_then(value)
            .ok_or(CreditCodeError::Character {
                position: i + 1,
                ch,
            })?;
        if i < 17 {
            sum += v * WEIGHTS[i];
        }
    }
    let expected = ALPHABET[((31 - sum % 31) % 31) as usize];
    if bytes[17] != expected {
        return Err(CreditCodeError::CheckDigit {
            expected: char::from(expected),
            found: char::from(bytes[17]),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn published_codes_pass() {
        for c in [
            "9144030071526726XG",
            "91110000802100433B",
            "91440300708461136T",
            "91350100M000100Y43",
        ] {
            check_credit_code(c).unwrap();
        }
    }

    #[test]
    fn each_failure_is_named() {
        assert_eq!(
            check_credit_code("914403007152"),
            Err(CreditCodeError::Length(12))
        );
        assert_eq!(
            check_credit_code("9144030071526726XI"),
            Err(CreditCodeError::Character {
                position: 18,
                ch: 'I'
            })
        );
        assert_eq!(
            check_credit_code("9144030071526726X1"),
            Err(CreditCodeError::CheckDigit {
                expected: 'G',
                found: '1'
            })
        );
        assert!(matches!(
            check_credit_code("91440300715267２6XG"),
            Err(CreditCodeError::Character { position: 15, .. })
        ));
    }

    proptest! {
        #[test]
        fn any_single_substitution_is_caught(pos in 0usize..18, c in 0usize..31) {
            let good = "9144030071526726XG";
            let mut b = good.as_bytes().to_vec();
            prop_assume!(b[pos] != ALPHABET[c]);
            b[pos] = ALPHABET[c];
            let s = String::from_utf8(b).unwrap();
            prop_assert!(check_credit_code(&s).is_err());
        }

        #[test]
        fn never_panics(s in "\\PC*") {
            let _ = check_credit_code(&s);
        }
    }
}
