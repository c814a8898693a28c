//! The plan as data: indicators with their baselines and targets, the main tasks, the
//! responsible units and the administrative divisions, loaded from a documented TOML file
//! (see `docs/plan-format.md`). Xinzhou's plan ships embedded as the default.
//!
//! This crate is pure: it knows nothing of HTTP, SQL or async runtimes.

pub mod items;
mod load;
pub mod map;
mod model;
pub mod progress;
pub mod values;

pub use items::{CountDirection, ItemProblem, Measure, NamedObject, TaskItem, sum_decimals};
pub use load::{PlanError, PlanErrorKind, iso_date};
pub use model::*;
/// Plan figures are exact decimals from the workspace's one exact-number crate.
pub use qingshan_exact::{Decimal, ParseError as DecimalError};

/// The TOML text of Xinzhou's implementation plan (忻政办发〔2023〕33号), embedded in the binary.
pub const XINZHOU_TOML: &str = include_str!("../plans/xinzhou.toml");

/// Xinzhou's plan, the default every deployment starts with.
pub fn xinzhou() -> Result<Plan, PlanError> {
    Plan::from_toml(XINZHOU_TOML, "<内置:xinzhou.toml>")
}
