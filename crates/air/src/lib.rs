//! Air-quality standards: HJ 633 AQI, GB 3095 limits and HJ 663 assessment (2012/2013 and 2026 editions).
//!
//! Everything here is pure: no I/O beyond `Read`/`Write`, no clocks, no storage.
//! Concentrations are exact decimals ([`num::Ratio`]); every rounding decision is
//! taken on rationals so results match the official method to the last digit.
//!
//! # Map
//! * [`standard`]: editions chosen by the data's date (2026-03-01, 2031-01-01), with overrides.
//! * [`aqi`]: breakpoint tables, [`aqi::iaqi`], [`aqi::compute_aqi`] (daily / real-time reports,
//!   levels, colours, primary and over-limit pollutants, over-800 and missing-pollutant rules).
//! * [`limits`]: GB 3095 limits of 2012 and both 2026 phases, grades 1 and 2.
//! * [`hourly`]: the hourly store and the transactional CSV parser (qingshan v1 and UCI layouts).
//! * [`daily`]: validity rules and daily statistics (24-hour means, O3 maximum 1-hour, MDA8).
//! * [`realtime`]: real-time report inputs (1-hour values, 24-hour and 8-hour moving means).
//! * [`assess`]: daily AQI series and the HJ 663 annual assessment (percentiles, composite index,
//!   attainment, 优良天数比例, heavy and severe days).
//! * [`city`]: city daily values from its stations.
//! * [`trend`]: Spearman rank-correlation trend test.
//! * [`warning`]: heavy-pollution warning level from a daily-AQI forecast.
//! * [`cli`]: the CSV/JSON front ends of `qingshan air aqi` and `qingshan air assess`.
//!
//! Points the reference sheet leaves unconfirmed are options with documented defaults:
//! [`aqi::Rounding2012`], [`aqi::AboveTable`], [`aqi::RealtimePm2012`], [`aqi::Missing2012`],
//! [`aqi::ZeroAqi2026`], [`daily::O3Max1hRule`], [`assess::PeriodRounding`], [`city::CityO3Order`],
//! [`warning::WarningConfig`].

pub mod aqi;
pub mod assess;
pub mod city;
pub mod cli;
pub mod daily;
pub mod hourly;
pub mod limits;
pub mod num;
pub mod realtime;
pub mod standard;
pub mod trend;
pub mod warning;

pub use aqi::{
    AqiInput, AqiLevel, AqiOptions, AqiReport, Indicator, ReportType, Slot, compute_aqi, iaqi,
};
pub use assess::{AnnualAssessment, AssessOptions, DailyAqi, assess_days, assess_year, daily_aqi};
pub use hourly::{
    HourlySeries, ParseError, ParseErrorKind, parse_hourly_csv, parse_hourly_csv_all,
};
pub use num::Ratio;
pub use standard::{AqiStandard, EvaluationStandard, LimitSet, Pollutant};
