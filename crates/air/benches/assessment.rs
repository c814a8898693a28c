//! One year of hourly data for 1,700 stations (~15 million station-hours) to daily AQI and the annual assessment.
//!
//! The synthetic data are generated outside the timed loop: 1,700 distinct
//! station-years (deterministic pseudo-random, with diurnal O3, ~2.5 % missing
//! hours and pollution episodes), about 360 MB in the compact hourly store, so the
//! data do not sit in cache. Single thread.

// criterion_group! generates an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use chrono::{Datelike, NaiveDate};
use criterion::{Criterion, criterion_group, criterion_main};
use qingshan_air::assess::{AssessOptions, assess_year};
use qingshan_air::daily::daily_mean;
use qingshan_air::hourly::{DayRecord, HOURLY_SCALE, HourlySeries};
use qingshan_air::standard::Pollutant;

const STATIONS: usize = 1_700;
const POOL: usize = STATIONS;
const YEAR: i32 = 2025;

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        // xorshift64*: deterministic, dependency-free
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn station_year(seed: u64) -> HourlySeries {
    let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut days = Vec::with_capacity(366);
    let mut d = NaiveDate::from_ymd_opt(YEAR, 1, 1).unwrap_or_default();
    // typical levels in 10⁻⁴ units: SO2, NO2, CO (mg), O3, PM10, PM2.5
    let base = [8i64, 35, 1, 90, 80, 45];
    while d.year() == YEAR {
        let episode = 1 + i64::from(rng.below(10) == 0) * 3;
        let mut rec = DayRecord::empty(d);
        for h in 0..24 {
            for (p, b) in base.iter().enumerate() {
                if rng.below(40) == 0 {
                    continue; // ~2.5 % missing hours
                }
                let diurnal = if p == 3 {
                    (12 - (h as i64 - 14).abs()).max(0) * 12
                } else {
                    0
                };
                let scale = if p == 3 { 1 } else { episode };
                let noise = rng.below(2 * (*b as u64).max(1) * HOURLY_SCALE as u64) as i64;
                let v = (b * HOURLY_SCALE / 2 + noise) * scale + diurnal * HOURLY_SCALE;
                // CO around 1 mg/m³ with 0.1 steps; others with 4 decimals
                let v = if p == 2 { v / 1000 * 1000 } else { v };
                let _ = rec.set(Pollutant::ALL[p], h, Some(v));
            }
        }
        days.push(rec);
        d = d.succ_opt().unwrap_or(d);
    }
    HourlySeries {
        station: format!("S{seed}"),
        days,
    }
}

fn bench(c: &mut Criterion) {
    let pool: Vec<HourlySeries> = (0..POOL as u64).map(station_year).collect();
    let opts = AssessOptions::default();
    let mut g = c.benchmark_group("air");
    g.sample_size(10);
    g.bench_function("1700_stations_year_daily_aqi_and_assessment", |b| {
        b.iter(|| {
            let mut good = 0u32;
            for i in 0..STATIONS {
                let a = assess_year(black_box(&pool[i % POOL]), YEAR, &opts);
                good += a.good_days;
            }
            black_box(good)
        })
    });
    // Same work as the pandas comparison (benches/pandas_groupby.py): daily means only,
    // here with the 20-hour validity rule and exact rationals.
    g.bench_function("1700_stations_year_daily_means_only", |b| {
        b.iter(|| {
            let mut acc = 0i128;
            for i in 0..STATIONS {
                for d in &black_box(&pool[i % POOL]).days {
                    for p in Pollutant::ALL {
                        if let Some(m) = daily_mean(d.column(p)).0 {
                            acc += m.numer() / m.denom();
                        }
                    }
                }
            }
            black_box(acc)
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
