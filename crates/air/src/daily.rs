//! GB 3095 data-validity rules and daily statistics from hourly data.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::aqi::AqiInput;
use crate::hourly::{DayRecord, MISSING, from_scaled};
use crate::num::Ratio;
use crate::standard::Pollutant;

/// A daily mean needs at least this many valid hourly means (GB 3095 Table 4).
pub const MIN_HOURS_DAILY: u8 = 20;
/// An O3 8-hour mean needs at least this many valid hours (GB 3095 Table 4).
pub const MIN_HOURS_8H: u8 = 6;
/// 8-hour windows of a natural day: those ending at hours 8 … 24 (HJ 663 §6.1.2).
pub const MDA8_WINDOWS: u8 = 17;
/// A daily maximum 8-hour O3 needs at least this many valid windows (HJ 663 §6.1.2).
pub const MIN_WINDOWS_MDA8: u8 = 14;
/// Valid daily values needed in a month other than February (GB 3095 Table 4).
pub const MIN_DAYS_MONTH: u32 = 27;
/// Valid daily values needed in February (GB 3095 Table 4).
pub const MIN_DAYS_FEBRUARY: u32 = 25;
/// Valid daily values needed in a year (GB 3095 Table 4).
pub const MIN_DAYS_YEAR: u32 = 324;

/// Validity of the O3 daily maximum 1-hour value (2012 daily report), on which the standards are silent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum O3Max1hRule {
    /// Needs ≥ 20 valid hours, like the daily means (default).
    #[default]
    AtLeast20Hours,
    /// Any valid hour gives a maximum.
    AnyHour,
}

/// Options for daily statistics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DailyOptions {
    /// Validity of the O3 1-hour maximum.
    pub o3_max_1h: O3Max1hRule,
    /// Limit for the MDA8 exceedance exception (µg/m³, grade 2 = 160 in every edition).
    pub o3_exception_limit: u32,
}

impl Default for DailyOptions {
    fn default() -> Self {
        DailyOptions {
            o3_max_1h: O3Max1hRule::AtLeast20Hours,
            o3_exception_limit: 160,
        }
    }
}

/// Daily statistics of one station-day with their validity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DailyValues {
    /// The natural day.
    pub date: NaiveDate,
    /// Valid 24-hour means (SO2, NO2, CO, PM10, PM2.5; the O3 entry is always `None`), by [`Pollutant::index`].
    pub mean: [Option<Ratio>; 6],
    /// Valid hours per pollutant.
    pub hours: [u8; 6],
    /// Daily maximum 1-hour O3.
    pub o3_max_1h: Option<Ratio>,
    /// Daily maximum 8-hour O3 (MDA8), when valid.
    pub o3_mda8: Option<Ratio>,
    /// Valid 8-hour windows (of 17).
    pub o3_windows: u8,
    /// The MDA8 counts only through the exceedance exception (< 14 windows but above the limit).
    pub o3_mda8_by_exception: bool,
}

impl DailyValues {
    /// The daily evaluation value: 24-hour mean, or MDA8 for O3.
    pub fn value(&self, p: Pollutant) -> Option<Ratio> {
        if p == Pollutant::O3 {
            self.o3_mda8
        } else {
            self.mean[p.index()]
        }
    }

    /// Inputs of the daily AQI report.
    pub fn aqi_input(&self) -> AqiInput {
        AqiInput {
            so2_24h: self.mean[Pollutant::So2.index()],
            no2_24h: self.mean[Pollutant::No2.index()],
            co_24h: self.mean[Pollutant::Co.index()],
            o3_1h: self.o3_max_1h,
            o3_8h: self.o3_mda8,
            pm10_24h: self.mean[Pollutant::Pm10.index()],
            pm25_24h: self.mean[Pollutant::Pm25.index()],
            ..AqiInput::default()
        }
    }
}

/// Mean of the valid hours of a day and their count; the mean is `None` below 20 hours.
pub fn daily_mean(hours: &[u32; 24]) -> (Option<Ratio>, u8) {
    let (mut sum, mut n) = (0i64, 0u8);
    for &v in hours {
        if v != MISSING {
            sum += i64::from(v);
            n += 1;
        }
    }
    let mean = (n >= MIN_HOURS_DAILY)
        .then(|| from_scaled(sum, i64::from(n)))
        .flatten();
    (mean, n)
}

/// MDA8 of a day: (value when valid, valid windows, valid only by the exceedance exception).
pub fn mda8(hours: &[u32; 24], exception_limit: u32) -> (Option<Ratio>, u8, bool) {
    // Prefix sums make each 8-hour window O(1).
    let (mut ps, mut pn) = ([0i64; 25], [0i64; 25]);
    for (h, &v) in hours.iter().enumerate() {
        let ok = v != MISSING;
        ps[h + 1] = ps[h] + if ok { i64::from(v) } else { 0 };
        pn[h + 1] = pn[h] + i64::from(ok);
    }
    let mut best: Option<(i64, i64)> = None;
    let mut windows = 0u8;
    for start in 0..usize::from(MDA8_WINDOWS) {
        let (sum, n) = (ps[start + 8] - ps[start], pn[start + 8] - pn[start]);
        if n < i64::from(MIN_HOURS_8H) {
            continue;
        }
        windows += 1;
        // sum/n > bs/bn  ⇔  sum·bn > bs·n (n > 0)
        if best.is_none_or(|(bs, bn)| {
            i128::from(sum) * i128::from(bn) > i128::from(bs) * i128::from(n)
        }) {
            best = Some((sum, n));
        }
    }
    let Some(value) = best.and_then(|(sum, n)| from_scaled(sum, n)) else {
        return (None, 0, false);
    };
    if windows >= MIN_WINDOWS_MDA8 {
        (Some(value), windows, false)
    } else if value > Ratio::int(i64::from(exception_limit)) {
        (Some(value), windows, true)
    } else {
        (None, windows, false)
    }
}

/// Daily statistics of a station-day, applying the validity rules.
pub fn daily_values(day: &DayRecord, opts: &DailyOptions) -> DailyValues {
    let mut mean = [None; 6];
    let mut hours = [0u8; 6];
    for p in Pollutant::ALL {
        let (m, n) = daily_mean(day.column(p));
        hours[p.index()] = n;
        if p != Pollutant::O3 {
            mean[p.index()] = m;
        }
    }
    let o3 = day.column(Pollutant::O3);
    let o3_ok = match opts.o3_max_1h {
        O3Max1hRule::AtLeast20Hours => hours[Pollutant::O3.index()] >= MIN_HOURS_DAILY,
        O3Max1hRule::AnyHour => true,
    };
    let o3_max_1h = if o3_ok {
        o3.iter()
            .filter(|&&v| v != MISSING)
            .max()
            .and_then(|&v| from_scaled(i64::from(v), 1))
    } else {
        None
    };
    let (o3_mda8, o3_windows, by_exc) = mda8(o3, opts.o3_exception_limit);
    DailyValues {
        date: day.date,
        mean,
        hours,
        o3_max_1h,
        o3_mda8,
        o3_windows,
        o3_mda8_by_exception: by_exc,
    }
}

/// Valid daily values a month needs (27, February 25).
pub fn min_days_in_month(month: u32) -> u32 {
    if month == 2 {
        MIN_DAYS_FEBRUARY
    } else {
        MIN_DAYS_MONTH
    }
}

/// Whether a year's daily values satisfy GB 3095 Table 4 (≥ 324 days and every month's minimum).
pub fn year_valid(monthly_days: &[u32; 12]) -> bool {
    let total: u32 = monthly_days.iter().sum();
    total >= MIN_DAYS_YEAR
        && monthly_days
            .iter()
            .enumerate()
            .all(|(m, &d)| d >= min_days_in_month(m as u32 + 1))
}

/// Counts valid days per calendar month (index 0 = January).
pub fn monthly_counts<'a>(dates: impl Iterator<Item = &'a NaiveDate>) -> [u32; 12] {
    let mut c = [0u32; 12];
    for d in dates {
        c[d.month0() as usize] += 1;
    }
    c
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hourly::HOURLY_SCALE;

    const S: u32 = HOURLY_SCALE as u32;

    fn hours(n: usize, v: u32) -> [u32; 24] {
        let mut h = [MISSING; 24];
        for x in h.iter_mut().take(n) {
            *x = v * S;
        }
        h
    }

    #[test]
    fn daily_mean_needs_20_hours() {
        assert_eq!(daily_mean(&hours(19, 10)), (None, 19));
        assert_eq!(daily_mean(&hours(20, 10)), (Some(Ratio::int(10)), 20));
        let mut h = hours(24, 10);
        h[3] = 11 * S;
        assert_eq!(daily_mean(&h).0, Ratio::new(241, 24));
    }

    #[test]
    fn eight_hour_windows_need_6_hours_and_mda8_14_windows() {
        // Hours 0–23 all valid: 17 windows.
        let full = hours(24, 50);
        assert_eq!(mda8(&full, 160), (Some(Ratio::int(50)), 17, false));
        // Hours 0..=20 valid (21 h): windows start 0..=13 have 8; start 14 → 7; 15 → 6; 16 → 5 → 16 windows.
        assert_eq!(mda8(&hours(21, 50), 160).1, 16);
        // 19 valid hours: starts 0..=13 valid (start 13 has hours 13–18 = 6) → 14 windows: valid.
        assert_eq!(mda8(&hours(19, 50), 160), (Some(Ratio::int(50)), 14, false));
        // 18 valid hours → 13 windows: invalid unless above the limit.
        assert_eq!(mda8(&hours(18, 50), 160), (None, 13, false));
        assert_eq!(
            mda8(&hours(18, 161), 160),
            (Some(Ratio::int(161)), 13, true)
        );
        assert_eq!(mda8(&hours(18, 160), 160), (None, 13, false));
        // A window with exactly 6 hours counts, 5 does not.
        let mut h = [MISSING; 24];
        for x in h.iter_mut().take(6) {
            *x = 100 * S;
        }
        assert_eq!(mda8(&h, 160).1, 1);
        h[5] = MISSING;
        assert_eq!(mda8(&h, 160).1, 0);
        // The maximum is taken over mean values exactly: 7 hours at 100 plus a missing one beats 8 at 99.
        let mut m = hours(24, 99);
        for x in m.iter_mut().skip(16).take(7) {
            *x = 100 * S;
        }
        m[23] = MISSING;
        assert_eq!(mda8(&m, 160).0, Some(Ratio::int(100)));
    }

    #[test]
    fn month_and_year_thresholds() {
        let mut m = [31u32, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
        assert!(year_valid(&m));
        m[1] = 25;
        assert!(year_valid(&m));
        m[1] = 24;
        assert!(!year_valid(&m));
        m = [27, 25, 27, 27, 27, 27, 27, 27, 27, 27, 27, 27];
        // All months at their minimum give 322 days < 324.
        assert!(!year_valid(&m));
        m[0] = 29;
        assert!(year_valid(&m));
        m[5] = 26;
        m[0] = 30;
        assert!(!year_valid(&m));
        assert_eq!(min_days_in_month(2), 25);
        assert_eq!(min_days_in_month(3), 27);
    }

    #[test]
    fn o3_max_1h_rule() {
        let mut day = DayRecord::empty(NaiveDate::from_ymd_opt(2015, 1, 1).unwrap());
        for p in Pollutant::ALL {
            for h in 0..19 {
                day.set(p, h, Some(40 * HOURLY_SCALE)).unwrap();
            }
        }
        let v = daily_values(&day, &DailyOptions::default());
        assert_eq!(v.o3_max_1h, None);
        assert_eq!(v.mean[0], None);
        let any = DailyOptions {
            o3_max_1h: O3Max1hRule::AnyHour,
            ..DailyOptions::default()
        };
        assert_eq!(daily_values(&day, &any).o3_max_1h, Some(Ratio::int(40)));
        assert_eq!(v.o3_mda8, Some(Ratio::int(40)));
    }
}
