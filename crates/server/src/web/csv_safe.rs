//! Spreadsheet formula injection (CSV injection) kept out of CSV exports.
//!
//! Exports carry text typed by other users (enterprise names, alarm notes, dispositions). A
//! spreadsheet opening the CSV runs a cell that starts with `=`, `+`, `-` or `@` as a formula
//! (`=HYPERLINK(...)`, DDE), and tab or CR can hide such a start. OWASP's rule: prefix those
//! cells with a single quote, which spreadsheets show as text.
//!
//! The rule chosen for numbers: a cell whose whole text is a plain decimal literal (`-12.5`,
//! `-0.015`: an optional minus, digits, an optional fraction) stays as it is, in any column.
//! Such a text cannot be a formula — it has no operator after the sign, no reference, no
//! function — and prefixing it would turn negative measurements into text for analysis.
//! Anything else with a trigger character, `-1+1` included, is prefixed.
//!
//! The registry reader drops the quote again when a re-imported cell starts with `'` and a
//! trigger character, so a staff export imports back unchanged.

use std::borrow::Cow;

/// Characters that make a spreadsheet read a cell as a formula.
const TRIGGERS: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];

/// A cell as it may be written to a CSV export.
pub fn cell(value: &str) -> Cow<'_, str> {
    match value.chars().next() {
        Some(c) if TRIGGERS.contains(&c) && !is_plain_decimal(value) => {
            Cow::Owned(format!("'{value}"))
        }
        _ => Cow::Borrowed(value),
    }
}

/// `-12.5`, `-3`, `0.1`: an optional minus, digits, an optional fraction.
fn is_plain_decimal(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    !i.is_empty()
        && i.bytes().all(|b| b.is_ascii_digit())
        && f.bytes().all(|b| b.is_ascii_digit())
        && !t.ends_with('.')
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn formulas_become_text() {
        for (raw, safe) in [
            (
                "=HYPERLINK(\"http://evil\",\"x\")",
                "'=HYPERLINK(\"http://evil\",\"x\")",
            ),
            ("@SUM(A1:A9)", "'@SUM(A1:A9)"),
            ("+1+1", "'+1+1"),
            ("-1+1", "'-1+1"),
            ("\t=1", "'\t=1"),
            ("\r=1", "'\r=1"),
            ("-", "'-"),
            ("+5", "'+5"),
            ("-1e5", "'-1e5"),
        ] {
            assert_eq!(cell(raw), safe, "{raw:?}");
        }
        for plain in [
            "忻州某厂",
            "12",
            "-12.5",
            "-0.015",
            "",
            "a=b",
            "2024-01-01",
            "1-1",
        ] {
            assert_eq!(cell(plain), plain, "{plain:?}");
        }
    }

    proptest! {
        #[test]
        fn no_cell_starts_a_formula(s in "\\PC{0,12}") {
            let out = cell(&s);
            let first = out.chars().next();
            prop_assert!(
                !first.is_some_and(|c| TRIGGERS.contains(&c)) || is_plain_decimal(&out),
                "{out:?}"
            );
            // Nothing is lost: the original follows the quote, or is the cell.
            prop_assert!(out == s || out.strip_prefix('\'') == Some(s.as_str()));
        }
    }
}
