//! Automatic surface-water stations (HJ 212, ST=21): factor codes to GB 3838
//! items, daily means of the hourly (CN=2061) values, and how automatic data
//! enter the monthly assessment next to the manual (laboratory) results.
//!
//! The rules, with their sources in the reference sheet (`water.md`):
//!
//! - **Factor codes** (§4.2, unconfirmed): [`FACTOR_ITEMS`]. Arsenic is
//!   accepted under both `w20141` (the code in public code) and `w20119` (the
//!   HJ 212-2017 table). Factors without a Table 1 class (water temperature,
//!   conductivity, turbidity, chlorophyll a, …) are not taken.
//! - **Valid values**: only hourly means flagged `N` (instrument normal,
//!   HJ 212 Table 8); an unflagged value counts only with
//!   [`AutomaticOptions::accept_unflagged`]. Negative or unreadable values
//!   (`-99` sentinels) are missing, never zero.
//! - **Daily mean**: the arithmetic mean of the day's valid hours (pH through
//!   H⁺ by default, [`PhMean`]), kept to [`daily_decimals`] decimals, rounded
//!   half to even (GB/T 8170). The reference sets no minimum number of hours
//!   for a water day; [`AutomaticOptions::min_hours`] is that choice.
//! - **Priority** (82号, §2.9): where automatic data exist for pH, DO, CODMn,
//!   NH3-N, TP or TN in a month, they take priority over the manual results of
//!   that month for that item ([`month_observations`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;

use crate::error::WaterError;
use crate::exact::Exact;
use crate::standard::Item;
use crate::stats::{BelowDetectionPolicy, MeanOptions, Measurement, Observation, PhMean, mean};

/// HJ 212 water factor codes of the GB 3838-2002 Table 1 items (reference §4.2).
pub const FACTOR_ITEMS: [(&str, Item); 24] = [
    ("w01001", Item::Ph),
    ("w01009", Item::Do),
    ("w01019", Item::CodMn),
    ("w01018", Item::Cod),
    ("w01017", Item::Bod5),
    ("w21003", Item::Nh3n),
    ("w21011", Item::Tp),
    ("w21001", Item::Tn),
    ("w20122", Item::Cu),
    ("w20123", Item::Zn),
    ("w21017", Item::F),
    ("w20128", Item::Se),
    // Both arsenic codes: w20141 in public code, w20119 (总砷, 2005 code 026) in HJ 212-2017.
    ("w20141", Item::As),
    ("w20119", Item::As),
    ("w20111", Item::Hg),
    ("w20115", Item::Cd),
    ("w20117", Item::Cr6),
    ("w20120", Item::Pb),
    ("w21016", Item::Cn),
    ("w23002", Item::Phenol),
    ("w22001", Item::Oil),
    ("w19002", Item::Las),
    ("w21019", Item::S2),
    ("w02003", Item::Fc),
];

/// The GB 3838 item an HJ 212 water factor code measures, if it has Table 1 classes.
pub fn item_for_factor(code: &str) -> Option<Item> {
    FACTOR_ITEMS
        .iter()
        .find(|(c, _)| *c == code)
        .map(|(_, item)| *item)
}

/// The six items for which automatic data take priority over manual results (82号).
pub const PRIORITY_ITEMS: [Item; 6] = [
    Item::Ph,
    Item::Do,
    Item::CodMn,
    Item::Nh3n,
    Item::Tp,
    Item::Tn,
];

/// Decimals a daily mean keeps beyond the item's 82号 evaluation decimals.
///
/// A daily mean is an intermediate value: it is averaged again into the month
/// and the year, and only then classified (optionally after the 82号
/// rounding). Two guard digits keep the rounding of the stored mean from
/// deciding a class except for a month whose exact mean lies within half a
/// unit of the last stored digit of a limit; for pH it gives the 2 decimals
/// 总站水字〔2020〕90号 sets for hourly pH (reference §2.9, unconfirmed).
pub const DAILY_GUARD_DECIMALS: u32 = 2;

/// Decimals of a stored daily mean of `item`: its 82号 evaluation decimals plus
/// [`DAILY_GUARD_DECIMALS`] (pH 2, DO and CODMn 3, NH3-N and TN 4, TP 5).
pub fn daily_decimals(item: Item) -> u32 {
    item.evaluation_decimals() + DAILY_GUARD_DECIMALS
}

/// Options for turning hourly uploads into daily means.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AutomaticOptions {
    /// pH averaging; the H⁺ method is unconfirmed (reference §2.9), hence the option.
    pub ph: PhMean,
    /// Valid hours a day needs before its mean is taken (at least 1). The
    /// reference sets no such minimum for surface water; the default 1 keeps
    /// every measured day, as stations measure nutrients only every few hours.
    pub min_hours: usize,
    /// Whether a value without a `-Flag` counts as valid (HJ/T 212-2005
    /// devices send none). Off by default: only `N` is valid.
    pub accept_unflagged: bool,
}

impl Default for AutomaticOptions {
    fn default() -> Self {
        AutomaticOptions {
            ph: PhMean::default(),
            min_hours: 1,
            accept_unflagged: false,
        }
    }
}

/// One factor of one hourly (CN=2061) upload as the gateway stored it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct HourlyRecord<'a> {
    /// HJ 212 `DataTime`, `YYYYMMDDhhmmss`: the start of the hour, device local time.
    pub data_time: &'a str,
    /// Factor code (`w21003`, …).
    pub factor: &'a str,
    /// The `-Avg` value, as text.
    pub avg: Option<&'a str>,
    /// The `-Flag` value.
    pub flag: Option<&'a str>,
}

/// The mean of one item over one day's valid hours.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DailyMean {
    /// Local date, `YYYY-MM-DD`.
    pub date: String,
    /// The item.
    pub item: Item,
    /// The mean, rounded to [`daily_decimals`].
    pub value: Exact,
    /// Valid hours behind it.
    pub hours: usize,
}

impl DailyMean {
    /// The mean as plain decimal text with no trailing zeros (`7.25`, `0.1`, `8`).
    pub fn value_text(&self) -> String {
        // A value rounded to a number of decimals always terminates in base ten.
        self.value
            .to_decimal_string()
            .unwrap_or_else(|| self.value.to_string())
    }
}

/// `(YYYY-MM-DD, hh)` of a `DataTime`; `None` unless it starts with a real date and hour.
fn date_and_hour(data_time: &str) -> Option<(String, u32)> {
    let t = data_time.get(..10)?;
    if !t.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r).and_then(|s| s.parse::<u32>().ok());
    let (y, m, d, h) = (num(0..4)?, num(4..6)?, num(6..8)?, num(8..10)?);
    let date = NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, m, d)?;
    (h <= 23).then(|| (date.format("%Y-%m-%d").to_string(), h))
}

/// The value an hourly record contributes, or `None` when it is not a valid measurement.
fn valid_value(r: &HourlyRecord<'_>, options: &AutomaticOptions) -> Option<Exact> {
    let flag_ok = match r.flag {
        Some(f) => f == "N",
        None => options.accept_unflagged,
    };
    if !flag_ok {
        return None;
    }
    Exact::parse(r.avg?).ok().filter(|v| !v.is_negative())
}

/// Daily means per item from hourly records given in upload order.
///
/// Several records of one hour and item (a resend, a correction, or both
/// arsenic codes) do not add up: the last one counts, and if it is not valid
/// the hour is missing, so a correction that flags a value invalid removes it.
/// Records of unknown factors or with an unreadable `DataTime` are skipped.
/// The result is ordered by date, then item.
pub fn daily_means(
    records: &[HourlyRecord<'_>],
    options: &AutomaticOptions,
) -> Result<Vec<DailyMean>, WaterError> {
    let mut hours: BTreeMap<(String, Item), BTreeMap<u32, Option<Exact>>> = BTreeMap::new();
    for r in records {
        let Some(item) = item_for_factor(r.factor) else {
            continue;
        };
        let Some((date, hour)) = date_and_hour(r.data_time) else {
            continue;
        };
        hours
            .entry((date, item))
            .or_default()
            .insert(hour, valid_value(r, options));
    }
    let mean_options = MeanOptions {
        below_detection: BelowDetectionPolicy::default(),
        ph: options.ph,
    };
    let mut out = Vec::new();
    for ((date, item), by_hour) in hours {
        let values: Vec<Measurement> = by_hour
            .into_values()
            .flatten()
            .map(Measurement::Value)
            .collect();
        if values.is_empty() || values.len() < options.min_hours {
            continue;
        }
        let Some(m) = mean(item, &values, mean_options)? else {
            continue;
        };
        let value = m
            .round_half_even(daily_decimals(item))
            .ok_or(WaterError::Overflow("rounding a daily mean"))?;
        out.push(DailyMean {
            date,
            item,
            value,
            hours: values.len(),
        });
    }
    Ok(out)
}

/// Whether and how automatic data enter the monthly and annual assessment.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AutomaticRule {
    /// 82号: for pH, DO, CODMn, NH3-N, TP and TN, a month with automatic data
    /// takes the mean of its automatic daily means and drops that item's
    /// manual results of the month; every other item keeps the manual results
    /// only (automatic values of other items are kept but do not count).
    #[default]
    Priority,
    /// Automatic data never count; the assessment uses manual results only.
    ManualOnly,
}

/// One month's assessment input, and which items came from automatic data.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MonthInput {
    /// Observations to average for the month: the manual sampling dates
    /// (less the items automatic data replaced) and, when automatic data
    /// count, one observation holding the month's automatic means.
    pub observations: Vec<Observation>,
    /// Items whose month value is the automatic mean, in Table 1 order.
    pub automatic_items: Vec<Item>,
}

/// Assembles one month's input from its manual observations (one per
/// sampling date) and its automatic daily means (one observation per day).
///
/// Under [`AutomaticRule::Priority`] the automatic month mean of a priority
/// item enters as a single observation. Averaged over the year it therefore
/// weighs as one month, like a monthly manual sample, whatever the number of
/// days behind it: a month of automatic data does not outweigh the other
/// months of the year.
pub fn month_observations(
    manual: &[Observation],
    automatic: &[Observation],
    rule: AutomaticRule,
    options: MeanOptions,
) -> Result<MonthInput, WaterError> {
    if rule == AutomaticRule::ManualOnly {
        return Ok(MonthInput {
            observations: manual.to_vec(),
            automatic_items: Vec::new(),
        });
    }
    let mut auto: BTreeMap<Item, Vec<Measurement>> = BTreeMap::new();
    for o in automatic {
        for (item, m) in &o.values {
            if PRIORITY_ITEMS.contains(item) {
                auto.entry(*item).or_default().push(*m);
            }
        }
    }
    let mut month = Observation {
        values: BTreeMap::new(),
    };
    for (item, ms) in &auto {
        if let Some(v) = mean(*item, ms, options)? {
            month.values.insert(*item, Measurement::Value(v));
        }
    }
    let mut observations: Vec<Observation> = manual
        .iter()
        .map(|o| Observation {
            values: o
                .values
                .iter()
                .filter(|(item, _)| !month.values.contains_key(item))
                .map(|(item, m)| (*item, *m))
                .collect(),
        })
        .filter(|o| !o.values.is_empty())
        .collect();
    let automatic_items: Vec<Item> = month.values.keys().copied().collect();
    if !month.values.is_empty() {
        observations.push(month);
    }
    Ok(MonthInput {
        observations,
        automatic_items,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn data_time_needs_a_real_day_and_hour() {
        assert_eq!(
            date_and_hour("20240229120000"),
            Some(("2024-02-29".to_string(), 12))
        );
        for bad in [
            "20230229120000",
            "20240431000000",
            "20241301000000",
            "20240101240000",
            "2024010",
        ] {
            assert_eq!(date_and_hour(bad), None, "{bad}");
        }
    }
    use crate::standard::WaterBody;
    use crate::stats::period_mean;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    fn rec<'a>(t: &'a str, f: &'a str, v: &'a str, flag: Option<&'a str>) -> HourlyRecord<'a> {
        HourlyRecord {
            data_time: t,
            factor: f,
            avg: Some(v),
            flag,
        }
    }

    #[test]
    fn factor_codes_cover_table_1_and_both_arsenic_codes() {
        for item in Item::ALL {
            assert!(
                FACTOR_ITEMS.iter().any(|(_, i)| *i == item),
                "{item} has no code"
            );
        }
        assert_eq!(item_for_factor("w20141"), Some(Item::As));
        assert_eq!(item_for_factor("w20119"), Some(Item::As));
        assert_eq!(item_for_factor("w21003"), Some(Item::Nh3n));
        assert_eq!(
            item_for_factor("w01010"),
            None,
            "water temperature has no class"
        );
        assert_eq!(item_for_factor("W21003"), None, "codes are case-sensitive");
        let mut codes: Vec<&str> = FACTOR_ITEMS.iter().map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), FACTOR_ITEMS.len());
    }

    #[test]
    fn daily_means_take_only_valid_hours() {
        let o = AutomaticOptions::default();
        let records = [
            rec("20240510080000", "w21003", "0.40", Some("N")),
            rec("20240510090000", "w21003", "0.50", Some("N")),
            rec("20240510100000", "w21003", "9.99", Some("D")),
            rec("20240510110000", "w21003", "-99", Some("N")),
            rec("20240510120000", "w21003", "0.60", None),
            rec("20240510130000", "w01010", "18.5", Some("N")),
            rec("20240511080000", "w21003", "0.7", Some("N")),
            rec("2024051", "w21003", "0.7", Some("N")),
            rec("20240230080000", "w21003", "0.7", Some("N")),
        ];
        let d = daily_means(&records, &o).unwrap();
        assert_eq!(
            d.iter()
                .map(|m| (m.date.as_str(), m.item, m.value_text(), m.hours))
                .collect::<Vec<_>>(),
            [
                ("2024-05-10", Item::Nh3n, "0.45".to_string(), 2),
                ("2024-05-11", Item::Nh3n, "0.7".to_string(), 1),
            ]
        );
        let lenient = AutomaticOptions {
            accept_unflagged: true,
            ..o
        };
        assert_eq!(daily_means(&records, &lenient).unwrap()[0].hours, 3);
        let strict = AutomaticOptions { min_hours: 3, ..o };
        assert!(daily_means(&records, &strict).unwrap().is_empty());
    }

    #[test]
    fn later_records_of_an_hour_replace_earlier_ones() {
        let o = AutomaticOptions::default();
        let d = daily_means(
            &[
                rec("20240510080000", "w21011", "0.1", Some("N")),
                rec("20240510080000", "w21011", "0.3", Some("N")),
                rec("20240510090000", "w21011", "0.2", Some("N")),
                // A correction that marks the hour invalid removes it.
                rec("20240510090000", "w21011", "0.2", Some("M")),
                rec("20240510100000", "w20141", "0.01", Some("N")),
                rec("20240510100000", "w20119", "0.03", Some("N")),
            ],
            &o,
        )
        .unwrap();
        assert_eq!(
            d.iter()
                .map(|m| (m.item, m.value_text(), m.hours))
                .collect::<Vec<_>>(),
            [
                (Item::Tp, "0.3".to_string(), 1),
                (Item::As, "0.03".to_string(), 1)
            ]
        );
    }

    #[test]
    fn daily_means_keep_their_digits_exactly() {
        let o = AutomaticOptions::default();
        // NH3-N keeps 2 + 2 decimals: (1.00 + 1.00 + 1.01)/3 = 1.00333… → 1.0033.
        let d = daily_means(
            &[
                rec("20240510000000", "w21003", "1.00", Some("N")),
                rec("20240510010000", "w21003", "1.00", Some("N")),
                rec("20240510020000", "w21003", "1.01", Some("N")),
            ],
            &o,
        )
        .unwrap();
        assert_eq!(d[0].value, p("1.0033"));
        // Half to even at the last kept digit: TP (3 + 2 decimals) 0.000015 → 0.00002,
        // 0.000025 → 0.00002.
        for (a, b, want) in [
            ("0.00001", "0.00002", "0.00002"),
            ("0.00002", "0.00003", "0.00002"),
        ] {
            let d = daily_means(
                &[
                    rec("20240510000000", "w21011", a, Some("N")),
                    rec("20240510010000", "w21011", b, Some("N")),
                ],
                &o,
            )
            .unwrap();
            assert_eq!(d[0].value, p(want), "{a} {b}");
        }
        // A day exactly at the Class III NH3-N limit stays exactly at it (0.9 + 1.1)/2 = 1.0.
        let d = daily_means(
            &[
                rec("20240510000000", "w21003", "0.9", Some("N")),
                rec("20240510010000", "w21003", "1.1", Some("N")),
            ],
            &o,
        )
        .unwrap();
        assert_eq!(d[0].value, Exact::ONE);
        assert_eq!(d[0].value_text(), "1");
    }

    #[test]
    fn ph_daily_mean_goes_through_hydrogen_ions_unless_chosen_otherwise() {
        let records = [
            rec("20240510000000", "w01001", "6.5", Some("N")),
            rec("20240510010000", "w01001", "8.5", Some("N")),
        ];
        let d = daily_means(&records, &AutomaticOptions::default()).unwrap();
        // Worked example 3: 6.797 (H⁺), kept to 2 decimals.
        assert_eq!(d[0].value, p("6.80"));
        let arithmetic = AutomaticOptions {
            ph: PhMean::Arithmetic,
            ..AutomaticOptions::default()
        };
        assert_eq!(
            daily_means(&records, &arithmetic).unwrap()[0].value,
            p("7.5")
        );
    }

    fn obs(values: &[(Item, &str)]) -> Observation {
        Observation {
            values: values
                .iter()
                .map(|(i, v)| (*i, Measurement::Value(p(v))))
                .collect(),
        }
    }

    #[test]
    fn automatic_data_take_priority_for_six_items_only() {
        let manual = [obs(&[
            (Item::Ph, "7"),
            (Item::Nh3n, "1.8"),
            (Item::Cod, "18"),
            (Item::Cu, "0.005"),
        ])];
        let automatic = [
            obs(&[(Item::Nh3n, "0.4"), (Item::Cod, "40")]),
            obs(&[(Item::Nh3n, "0.6"), (Item::Do, "8")]),
        ];
        let m = month_observations(
            &manual,
            &automatic,
            AutomaticRule::Priority,
            MeanOptions::default(),
        )
        .unwrap();
        assert_eq!(m.automatic_items, [Item::Do, Item::Nh3n]);
        let s = period_mean(WaterBody::River, &m.observations, MeanOptions::default()).unwrap();
        assert_eq!(
            s.values[&Item::Nh3n],
            p("0.5"),
            "automatic mean replaces 1.8"
        );
        assert_eq!(s.values[&Item::Do], p("8"));
        assert_eq!(s.values[&Item::Ph], p("7"), "no automatic pH: manual kept");
        assert_eq!(s.values[&Item::Cod], p("18"), "COD is not a priority item");
        assert_eq!(s.values[&Item::Cu], p("0.005"));

        let m = month_observations(
            &manual,
            &automatic,
            AutomaticRule::ManualOnly,
            MeanOptions::default(),
        )
        .unwrap();
        assert!(m.automatic_items.is_empty());
        assert_eq!(m.observations, manual);
    }

    #[test]
    fn an_automatic_month_weighs_as_one_observation_in_the_year() {
        // January: 3 automatic days at NH3-N 0.2; February: one manual sample at 0.8.
        // The year is (0.2 + 0.8)/2 = 0.5, not (3·0.2 + 0.8)/4 = 0.35.
        let jan = month_observations(
            &[],
            &[
                obs(&[(Item::Nh3n, "0.2")]),
                obs(&[(Item::Nh3n, "0.2")]),
                obs(&[(Item::Nh3n, "0.2")]),
            ],
            AutomaticRule::Priority,
            MeanOptions::default(),
        )
        .unwrap();
        let feb = month_observations(
            &[obs(&[(Item::Nh3n, "0.8")])],
            &[],
            AutomaticRule::Priority,
            MeanOptions::default(),
        )
        .unwrap();
        assert!(feb.automatic_items.is_empty());
        let year: Vec<Observation> = jan
            .observations
            .into_iter()
            .chain(feb.observations)
            .collect();
        let s = period_mean(WaterBody::River, &year, MeanOptions::default()).unwrap();
        assert_eq!(s.values[&Item::Nh3n], p("0.5"));
    }
}
