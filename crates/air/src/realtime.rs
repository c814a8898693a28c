//! Real-time (hourly) report inputs from an hourly series: 1-hour values and moving averages.

use chrono::{Days, NaiveDate};

use crate::aqi::{AqiInput, AqiOptions, AqiReport, ReportType, compute_aqi};
use crate::daily::{MIN_HOURS_8H, MIN_HOURS_DAILY};
use crate::hourly::{HourlySeries, from_scaled};
use crate::num::Ratio;
use crate::standard::{AqiStandard, Pollutant};

fn lookup(
    series: &HourlySeries,
    date: NaiveDate,
    hour: usize,
    back: usize,
    p: Pollutant,
) -> Option<i64> {
    // Walk back `back` hours from (date, hour), possibly into earlier days.
    let total = hour as i64 - back as i64;
    let days_back = if total < 0 { ((-total) + 23) / 24 } else { 0 };
    let h = (total + days_back * 24) as usize;
    let d = date.checked_sub_days(Days::new(days_back as u64))?;
    let i = series.days.binary_search_by_key(&d, |r| r.date).ok()?;
    series.days[i].get(p, h)
}

fn moving_mean(
    series: &HourlySeries,
    date: NaiveDate,
    hour: usize,
    p: Pollutant,
    len: usize,
    min: u8,
) -> Option<Ratio> {
    let (mut sum, mut n) = (0i64, 0u8);
    for back in 0..len {
        if let Some(v) = lookup(series, date, hour, back, p) {
            sum += v;
            n += 1;
        }
    }
    (n >= min).then(|| from_scaled(sum, i64::from(n))).flatten()
}

/// Inputs of the real-time report for hour `hour` (0–23, hour-beginning) of `date`.
///
/// 24-hour moving means need ≥ 20 of the last 24 hours and the O3 8-hour moving
/// mean ≥ 6 of the last 8 (the GB 3095 daily and 8-hour rules; HJ 633 states no
/// separate rule for moving averages).
pub fn realtime_input(series: &HourlySeries, date: NaiveDate, hour: usize) -> AqiInput {
    let one = |p: Pollutant| lookup(series, date, hour, 0, p).and_then(|v| from_scaled(v, 1));
    let m24 = |p: Pollutant| moving_mean(series, date, hour, p, 24, MIN_HOURS_DAILY);
    AqiInput {
        so2_24h: m24(Pollutant::So2),
        so2_1h: one(Pollutant::So2),
        no2_24h: m24(Pollutant::No2),
        no2_1h: one(Pollutant::No2),
        co_24h: m24(Pollutant::Co),
        co_1h: one(Pollutant::Co),
        o3_1h: one(Pollutant::O3),
        o3_8h: moving_mean(series, date, hour, Pollutant::O3, 8, MIN_HOURS_8H),
        pm10_24h: m24(Pollutant::Pm10),
        pm10_1h: one(Pollutant::Pm10),
        pm25_24h: m24(Pollutant::Pm25),
        pm25_1h: one(Pollutant::Pm25),
    }
}

/// The real-time report for one hour, under the edition in force on `date` unless overridden.
pub fn realtime_report(
    series: &HourlySeries,
    date: NaiveDate,
    hour: usize,
    standard: Option<AqiStandard>,
    opts: &AqiOptions,
) -> AqiReport {
    let std = standard.unwrap_or_else(|| AqiStandard::for_date(date));
    compute_aqi(
        std,
        ReportType::Realtime,
        &realtime_input(series, date, hour),
        opts,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aqi::Slot;
    use crate::hourly::{DayRecord, HOURLY_SCALE};

    fn series() -> HourlySeries {
        let mut days = Vec::new();
        for (k, (m, d)) in [(2u32, 28u32), (3, 1)].into_iter().enumerate() {
            let mut r = DayRecord::empty(NaiveDate::from_ymd_opt(2026, m, d).unwrap());
            for h in 0..24 {
                for p in Pollutant::ALL {
                    r.set(p, h, Some(10 * HOURLY_SCALE)).unwrap();
                }
                // PM2.5 is 100 on 1 March only.
                if k == 1 {
                    r.set(Pollutant::Pm25, h, Some(100 * HOURLY_SCALE)).unwrap();
                }
            }
            days.push(r);
        }
        HourlySeries {
            station: "A".into(),
            days,
        }
    }

    #[test]
    fn moving_means_cross_midnight_and_editions() {
        let s = series();
        let d = NaiveDate::from_ymd_opt(2026, 3, 1).unwrap();
        let i = realtime_input(&s, d, 5);
        // Last 24 hours: 6 at 100 (1 March 00–05) and 18 at 10 (28 Feb 06–23).
        assert_eq!(i.pm25_24h, Ratio::new(6 * 100 + 18 * 10, 24));
        assert_eq!(i.pm25_1h, Some(Ratio::int(100)));
        assert_eq!(i.o3_8h, Some(Ratio::int(10)));
        // 1 March is under HJ 633-2026: the 1-hour PM2.5 100 → IAQI 100 + ceil(50·40/55) = 137.
        let r = realtime_report(&s, d, 5, None, &AqiOptions::default());
        assert_eq!(r.standard, AqiStandard::Hj633_2026);
        assert_eq!(r.iaqi[Slot::Pm25.index()], Some(137));
        // Forcing 2012: PM2.5 from the 24-hour moving mean 32.5 → round → 32 → ceil(50·32/35) = 46.
        let r12 = realtime_report(
            &s,
            d,
            5,
            Some(AqiStandard::Hj633_2012),
            &AqiOptions::default(),
        );
        assert_eq!(r12.iaqi[Slot::Pm25.index()], Some(46));
        // At the start of the data there is no 24-hour history.
        let first = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
        assert_eq!(realtime_input(&s, first, 18).pm25_24h, None);
        assert!(realtime_input(&s, first, 19).pm25_24h.is_some());
    }
}
