//! Surface-water standards: GB 3838-2002 classification and the official surface-water assessment method.
//!
//! Pure domain logic, no I/O beyond `Read`/`Write`:
//! - [`standard`]: GB 3838-2002 Table 1, item classes (limits inclusive, best
//!   class met), status words and 超标倍数;
//! - [`assess`]: the single-factor section evaluation of 环办〔2011〕22号 with
//!   main pollutants and target attainment;
//! - [`stats`]: period and lake means (½ detection limit, pH through H⁺);
//! - [`grading`]: river and basin grading;
//! - [`drinking`]: Tables 2 and 3 and drinking-water source compliance;
//! - [`automatic`]: automatic stations over HJ 212 (factor codes, daily
//!   means, their priority over manual results);
//! - [`black_odour`]: urban black-odorous water (2015 guide);
//! - [`tli`]: the trophic state index TLI(Σ);
//! - [`csv_io`]: the `qingshan water classify` CSV contract.
//!
//! Every class decision compares exact rationals ([`Exact`]), never floats.

pub mod assess;
pub mod automatic;
pub mod black_odour;
pub mod csv_io;
pub mod drinking;
pub mod error;
pub mod exact;
pub mod grading;
pub mod standard;
pub mod stats;
pub mod tli;

pub use assess::{AssessOptions, Assessment, IndicatorSet, PriorityRule, Rounding, Sample, assess};
pub use csv_io::{ClassifyOptions, classify_csv, classify_csv_streaming};
pub use error::{ErrorKind, WaterError};
pub use exact::Exact;
pub use standard::{Class, Item, Status, WaterBody, classify_item, exceedance_multiple};
