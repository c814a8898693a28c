//! City values from its evaluation stations (HJ 663 §5.6 of the reference; order of O3 unconfirmed).
//!
//! A city's daily concentration of SO2, NO2, CO, PM10 and PM2.5 is the arithmetic
//! mean of the valid daily means of its stations; the city AQI is then computed
//! from the city concentrations, never by averaging station AQIs.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::daily::{
    DailyOptions, DailyValues, MDA8_WINDOWS, MIN_HOURS_8H, MIN_HOURS_DAILY, MIN_WINDOWS_MDA8,
    O3Max1hRule, daily_values,
};
use crate::hourly::{DayRecord, HourlySeries};
use crate::num::Ratio;
use crate::standard::Pollutant;

/// How the city O3 MDA8 is built; HJ 663-2026 must settle it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum CityO3Order {
    /// Average the stations' hourly O3 into a city series, then take 8-hour windows and their maximum (default).
    #[default]
    AverageThenMax,
    /// Average the stations' own MDA8 values.
    MaxThenAverage,
}

/// Options of the city aggregation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct CityOptions {
    /// Daily-statistics options (used for stations and for the city O3 series).
    pub daily: DailyOptions,
    /// Order of averaging and maximum for O3.
    pub o3_order: CityO3Order,
}

fn mean(vals: &[Ratio]) -> Option<Ratio> {
    if vals.is_empty() {
        return None;
    }
    Ratio::sum(vals).div_int(vals.len() as i128)
}

fn city_mda8(hours: &[Option<Ratio>; 24], limit: u32) -> (Option<Ratio>, u8, bool) {
    let mut best: Option<Ratio> = None;
    let mut windows = 0u8;
    for start in 0..usize::from(MDA8_WINDOWS) {
        let vals: Vec<Ratio> = hours[start..start + 8].iter().flatten().copied().collect();
        if vals.len() < usize::from(MIN_HOURS_8H) {
            continue;
        }
        windows += 1;
        let m = mean(&vals);
        if m > best {
            best = m;
        }
    }
    match best {
        Some(b) if windows >= MIN_WINDOWS_MDA8 => (Some(b), windows, false),
        Some(b) if b > Ratio::int(i64::from(limit)) => (Some(b), windows, true),
        _ => (None, windows, false),
    }
}

/// Daily city values from its stations' hourly data; `hours` holds the number of contributing stations.
pub fn city_daily_values(stations: &[HourlySeries], opts: &CityOptions) -> Vec<DailyValues> {
    let mut by_date: BTreeMap<NaiveDate, Vec<(DailyValues, &DayRecord)>> = BTreeMap::new();
    for s in stations {
        for d in &s.days {
            by_date
                .entry(d.date)
                .or_default()
                .push((daily_values(d, &opts.daily), d));
        }
    }
    by_date
        .into_iter()
        .map(|(date, list)| {
            let mut out = DailyValues {
                date,
                mean: [None; 6],
                hours: [0; 6],
                o3_max_1h: None,
                o3_mda8: None,
                o3_windows: 0,
                o3_mda8_by_exception: false,
            };
            for p in Pollutant::ALL {
                if p == Pollutant::O3 {
                    continue;
                }
                let vals: Vec<Ratio> = list.iter().filter_map(|(v, _)| v.mean[p.index()]).collect();
                out.hours[p.index()] = vals.len() as u8;
                out.mean[p.index()] = mean(&vals);
            }
            match opts.o3_order {
                CityO3Order::MaxThenAverage => {
                    let mda8: Vec<Ratio> = list.iter().filter_map(|(v, _)| v.o3_mda8).collect();
                    let max1: Vec<Ratio> = list.iter().filter_map(|(v, _)| v.o3_max_1h).collect();
                    out.hours[Pollutant::O3.index()] = mda8.len() as u8;
                    out.o3_mda8 = mean(&mda8);
                    out.o3_max_1h = mean(&max1);
                }
                CityO3Order::AverageThenMax => {
                    let mut city = [None; 24];
                    for (h, slot) in city.iter_mut().enumerate() {
                        let vals: Vec<Ratio> = list
                            .iter()
                            .filter_map(|(_, day)| day.value(Pollutant::O3, h))
                            .collect();
                        *slot = mean(&vals);
                    }
                    let valid_hours = city.iter().flatten().count();
                    let ok = match opts.daily.o3_max_1h {
                        O3Max1hRule::AtLeast20Hours => valid_hours >= usize::from(MIN_HOURS_DAILY),
                        O3Max1hRule::AnyHour => true,
                    };
                    out.o3_max_1h = if ok {
                        city.iter().flatten().max().copied()
                    } else {
                        None
                    };
                    let (m, w, e) = city_mda8(&city, opts.daily.o3_exception_limit);
                    out.o3_mda8 = m;
                    out.o3_windows = w;
                    out.o3_mda8_by_exception = e;
                    out.hours[Pollutant::O3.index()] = list
                        .iter()
                        .filter(|(_, day)| (0..24).any(|h| day.get(Pollutant::O3, h).is_some()))
                        .count() as u8;
                }
            }
            out
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hourly::HOURLY_SCALE;

    fn station(name: &str, pm25: i64, o3_peak_hour: usize) -> HourlySeries {
        let date = NaiveDate::from_ymd_opt(2025, 6, 1).unwrap();
        let mut d = DayRecord::empty(date);
        for h in 0..24 {
            for p in Pollutant::ALL {
                d.set(p, h, Some(10 * HOURLY_SCALE)).unwrap();
            }
            d.set(Pollutant::Pm25, h, Some(pm25 * HOURLY_SCALE))
                .unwrap();
            let o3 = if (o3_peak_hour..o3_peak_hour + 8).contains(&h) {
                200
            } else {
                40
            };
            d.set(Pollutant::O3, h, Some(o3 * HOURLY_SCALE)).unwrap();
        }
        HourlySeries {
            station: name.into(),
            days: vec![d],
        }
    }

    #[test]
    fn city_means_and_o3_order() {
        let s = [station("A", 30, 8), station("B", 45, 14)];
        let avg = city_daily_values(&s, &CityOptions::default());
        assert_eq!(avg.len(), 1);
        assert_eq!(avg[0].mean[Pollutant::Pm25.index()], Ratio::new(75, 2));
        assert_eq!(avg[0].hours[Pollutant::Pm25.index()], 2);
        // Average then max: peaks overlap for hours 14–15 only → best window 8–15 or 14–21: (2·200+6·120)/8 = 140.
        assert_eq!(avg[0].o3_mda8, Some(Ratio::int(140)));
        let mta = CityOptions {
            o3_order: CityO3Order::MaxThenAverage,
            ..CityOptions::default()
        };
        assert_eq!(
            city_daily_values(&s, &mta)[0].o3_mda8,
            Some(Ratio::int(200))
        );
        // A station with too few hours does not contribute its daily mean.
        let mut short = station("C", 90, 8);
        for h in 0..5 {
            short.days[0].set(Pollutant::Pm25, h, None).unwrap();
        }
        let three = [s[0].clone(), s[1].clone(), short];
        assert_eq!(
            city_daily_values(&three, &CityOptions::default())[0].mean[Pollutant::Pm25.index()],
            Ratio::new(75, 2)
        );
    }
}
