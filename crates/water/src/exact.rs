//! Exact rationals for concentrations, limits and shares: the workspace's one exact-number crate.
pub use qingshan_exact::{MAX_PARSE_SCALE, ParseError as ParseExactError, Ratio as Exact};
