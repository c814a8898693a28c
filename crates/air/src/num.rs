//! Exact numbers for concentrations: the workspace's one exact-number crate.
pub use qingshan_exact::{Number, ParseError, ParseErrorKind, Ratio, Syntax, gcd, parse_scaled};
