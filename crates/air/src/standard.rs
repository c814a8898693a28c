//! Editions of the standards and how the data's date selects them.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

/// Edition of HJ 633 used to compute the AQI.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AqiStandard {
    /// HJ 633-2012 (试行), for data dated before 2026-03-01.
    Hj633_2012,
    /// HJ 633-2026, for data dated from 2026-03-01.
    Hj633_2026,
}

/// A GB 3095 limit table (edition and phase).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LimitSet {
    /// GB 3095-2012 with its 2018 amendment, before 2026-03-01.
    Gb3095_2012,
    /// GB 3095-2026 transition limits, 2026-03-01 to 2030-12-31.
    Gb3095_2026Transition,
    /// GB 3095-2026 final limits, from 2031-01-01.
    Gb3095_2026Final,
}

/// Edition of HJ 663 (evaluation) in force.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum EvaluationStandard {
    /// HJ 663-2013, before 2026-03-01.
    Hj663_2013,
    /// HJ 663-2026, from 2026-03-01 (text not yet read: new rules are not implemented).
    Hj663_2026,
}

/// First day of the 2026 editions.
pub fn switch_2026() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or(NaiveDate::MIN)
}

/// First day of the GB 3095-2026 final limits.
pub fn switch_2031() -> NaiveDate {
    NaiveDate::from_ymd_opt(2031, 1, 1).unwrap_or(NaiveDate::MIN)
}

impl AqiStandard {
    /// The edition in force on `date`.
    pub fn for_date(date: NaiveDate) -> AqiStandard {
        if date < switch_2026() {
            AqiStandard::Hj633_2012
        } else {
            AqiStandard::Hj633_2026
        }
    }

    /// Stable identifier, as used on the command line (`hj633-2012`).
    pub fn code(self) -> &'static str {
        match self {
            AqiStandard::Hj633_2012 => "hj633-2012",
            AqiStandard::Hj633_2026 => "hj633-2026",
        }
    }

    /// Parses the identifier produced by [`AqiStandard::code`].
    pub fn from_code(s: &str) -> Option<AqiStandard> {
        match s {
            "hj633-2012" => Some(AqiStandard::Hj633_2012),
            "hj633-2026" => Some(AqiStandard::Hj633_2026),
            _ => None,
        }
    }

    /// Document name as printed on reports.
    pub fn title(self) -> &'static str {
        match self {
            AqiStandard::Hj633_2012 => "HJ 633-2012",
            AqiStandard::Hj633_2026 => "HJ 633-2026",
        }
    }
}

impl LimitSet {
    /// The limit table in force on `date`.
    pub fn for_date(date: NaiveDate) -> LimitSet {
        if date < switch_2026() {
            LimitSet::Gb3095_2012
        } else if date < switch_2031() {
            LimitSet::Gb3095_2026Transition
        } else {
            LimitSet::Gb3095_2026Final
        }
    }

    /// Stable identifier.
    pub fn code(self) -> &'static str {
        match self {
            LimitSet::Gb3095_2012 => "gb3095-2012",
            LimitSet::Gb3095_2026Transition => "gb3095-2026-transition",
            LimitSet::Gb3095_2026Final => "gb3095-2026-final",
        }
    }
}

impl EvaluationStandard {
    /// The edition in force on `date`.
    pub fn for_date(date: NaiveDate) -> EvaluationStandard {
        if date < switch_2026() {
            EvaluationStandard::Hj663_2013
        } else {
            EvaluationStandard::Hj663_2026
        }
    }

    /// Stable identifier.
    pub fn code(self) -> &'static str {
        match self {
            EvaluationStandard::Hj663_2013 => "hj663-2013",
            EvaluationStandard::Hj663_2026 => "hj663-2026",
        }
    }
}

/// The six basic pollutants of GB 3095.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Pollutant {
    /// Sulphur dioxide, µg/m³.
    So2,
    /// Nitrogen dioxide, µg/m³.
    No2,
    /// Carbon monoxide, mg/m³.
    Co,
    /// Ozone, µg/m³.
    O3,
    /// PM10, µg/m³.
    Pm10,
    /// PM2.5, µg/m³.
    Pm25,
}

impl Pollutant {
    /// All six, in the order used for arrays indexed by [`Pollutant::index`].
    pub const ALL: [Pollutant; 6] = [
        Pollutant::So2,
        Pollutant::No2,
        Pollutant::Co,
        Pollutant::O3,
        Pollutant::Pm10,
        Pollutant::Pm25,
    ];

    /// Position in [`Pollutant::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Conventional name (SO2, NO2, CO, O3, PM10, PM2.5).
    pub fn name(self) -> &'static str {
        match self {
            Pollutant::So2 => "SO2",
            Pollutant::No2 => "NO2",
            Pollutant::Co => "CO",
            Pollutant::O3 => "O3",
            Pollutant::Pm10 => "PM10",
            Pollutant::Pm25 => "PM2.5",
        }
    }

    /// Decimals of the published concentration (GB/T 8170): CO 1, others 0.
    pub fn published_decimals(self) -> u32 {
        if self == Pollutant::Co { 1 } else { 0 }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn editions_switch_on_their_dates() {
        assert_eq!(
            AqiStandard::for_date(d(2026, 2, 28)),
            AqiStandard::Hj633_2012
        );
        assert_eq!(
            AqiStandard::for_date(d(2026, 3, 1)),
            AqiStandard::Hj633_2026
        );
        assert_eq!(LimitSet::for_date(d(2026, 2, 28)), LimitSet::Gb3095_2012);
        assert_eq!(
            LimitSet::for_date(d(2026, 3, 1)),
            LimitSet::Gb3095_2026Transition
        );
        assert_eq!(
            LimitSet::for_date(d(2030, 12, 31)),
            LimitSet::Gb3095_2026Transition
        );
        assert_eq!(
            LimitSet::for_date(d(2031, 1, 1)),
            LimitSet::Gb3095_2026Final
        );
        assert_eq!(
            EvaluationStandard::for_date(d(2026, 3, 1)),
            EvaluationStandard::Hj663_2026
        );
        assert_eq!(
            AqiStandard::from_code("hj633-2026"),
            Some(AqiStandard::Hj633_2026)
        );
        assert_eq!(AqiStandard::from_code("hj633"), None);
    }
}
