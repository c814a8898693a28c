//! The one chart module of qingshan: SVG charts drawn on the server for the pages and the
//! assessment report, the axis arithmetic they share, and the one function that escapes text
//! for HTML and SVG.
//!
//! Charts take plain numbers, labels and colours; what a colour or a label means (an AQI level,
//! a water class, an indicator's target) is decided by the caller. Output is deterministic
//! (fixed layout, fixed number formatting) so it can be kept as a golden file, and every piece
//! of text in it is escaped. Pure: no I/O, no HTTP.

pub mod axis;
pub mod calendar;
pub mod classes;
pub mod indicator;
pub mod line;
pub mod map;
pub mod series;
pub mod trend;

/// Escapes text for HTML or SVG element content and attribute values (`& < > " '`).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            _ => out.push(c),
        }
    }
    out
}

/// `x` with at most `places` decimals, trailing zeros dropped, never `-0`.
pub fn format_number(x: f64, places: usize) -> String {
    let s = format!("{x:.places$}");
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(escape("A<B>&\"'"), "A&lt;B&gt;&amp;&quot;&#39;");
        assert_eq!(escape("二氧化硫"), "二氧化硫");
    }

    #[test]
    fn formats_numbers() {
        assert_eq!(format_number(16.710, 2), "16.71");
        assert_eq!(format_number(20.0, 2), "20");
        assert_eq!(format_number(-0.001, 2), "0");
        assert_eq!(format_number(0.35, 1), "0.3");
    }

    proptest! {
        #[test]
        fn escaped_text_has_no_markup(s in ".*") {
            let e = escape(&s);
            prop_assert!(!e.contains('<') && !e.contains('>') && !e.contains('"') && !e.contains('\''));
        }
    }
}
