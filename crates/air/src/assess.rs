//! HJ 663 evaluation: daily AQI series, annual statistics, percentiles, composite index, attainment.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::aqi::{AqiLevel, AqiOptions, AqiReport, ReportType, compute_aqi};
use crate::daily::{DailyOptions, DailyValues, daily_values, monthly_counts, year_valid};
use crate::hourly::{DayRecord, HourlySeries};
use crate::limits::{Averaging, Grade, LimitPollutant, limit};
use crate::num::{Ratio, gcd};
use crate::standard::{AqiStandard, EvaluationStandard, LimitSet, Pollutant};

/// Which period values enter comparisons with limits and the composite index.
///
/// The ranking rules compute the composite index from published concentrations
/// (the Heyuan bulletin reproduces only that way); HJ 663-2026's refined rounding is unread.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum PeriodRounding {
    /// Round period values first by GB/T 8170 (integers µg/m³, CO 0.1 mg/m³) (default).
    #[default]
    Published,
    /// Use the exact values.
    Exact,
}

/// Options of an assessment; `None` overrides mean "by the data's date".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AssessOptions {
    /// AQI options.
    pub aqi: AqiOptions,
    /// Daily-statistics options.
    pub daily: DailyOptions,
    /// Force one HJ 633 edition for every day (what-if and like-for-like comparisons).
    pub aqi_standard: Option<AqiStandard>,
    /// Force a limit set (default: the one in force on the period's last day).
    pub limit_set: Option<LimitSet>,
    /// Limit grade (default grade 2).
    pub grade: Grade,
    /// Rounding of period values before comparisons.
    pub rounding: PeriodRounding,
}

/// A station-day: its daily statistics and daily AQI report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyAqi {
    /// Daily statistics.
    pub values: DailyValues,
    /// The daily report under the edition in force that day (or the override).
    pub report: AqiReport,
}

/// Daily values and daily AQI of one day.
pub fn daily_aqi(day: &DayRecord, opts: &AssessOptions) -> DailyAqi {
    daily_aqi_from_values(daily_values(day, &opts.daily), opts)
}

/// Daily AQI from already computed daily values (e.g. city values).
pub fn daily_aqi_from_values(values: DailyValues, opts: &AssessOptions) -> DailyAqi {
    let std = opts
        .aqi_standard
        .unwrap_or_else(|| AqiStandard::for_date(values.date));
    let report = compute_aqi(std, ReportType::Daily, &values.aqi_input(), &opts.aqi);
    DailyAqi { values, report }
}

/// HJ 663 percentile (Appendix A): k = 1 + (n−1)·p/100, linear between order statistics.
pub fn percentile(values: &mut [Ratio], p: u32) -> Option<Ratio> {
    if values.is_empty() {
        return None;
    }
    sort_exact(values);
    let n = values.len() as i128;
    // k·100 = 100 + (n−1)·p; s = ⌊k⌋; fraction (k−s) = r/100
    let k100 = 100 + (n - 1) * i128::from(p);
    let s = (k100 / 100) as usize;
    let r = k100 % 100;
    let xs = values[s - 1];
    if r == 0 || s >= values.len() {
        return Some(xs);
    }
    let xs1 = values[s];
    xs1.checked_sub(xs)?
        .checked_mul(Ratio::new(r, 100)?)?
        .checked_add(xs)
}

/// Sorts exactly; when the denominators have a small common multiple the values
/// are compared as integers over it, avoiding a 128-bit product per comparison.
fn sort_exact(values: &mut [Ratio]) {
    let mut dens: Vec<i128> = Vec::new();
    for v in values.iter() {
        if !dens.contains(&v.denom()) {
            dens.push(v.denom());
            if dens.len() > 16 {
                values.sort_unstable();
                return;
            }
        }
    }
    // The least common multiple of the denominators, given up once it grows past 10^12.
    let lcm = dens.iter().try_fold(1i128, |l, &d| {
        let g = i128::try_from(gcd(l.unsigned_abs(), d.unsigned_abs())).ok()?;
        (l / g).checked_mul(d).filter(|&l| l <= 1_000_000_000_000)
    });
    let Some(common) = lcm else {
        values.sort_unstable();
        return;
    };
    // Each value is exactly key/common; sorting plain integer keys is much cheaper.
    let keys: Option<Vec<i64>> = values
        .iter()
        .map(|v| {
            v.numer()
                .checked_mul(common / v.denom())
                .and_then(|k| i64::try_from(k).ok())
        })
        .collect();
    let Some(mut keys) = keys else {
        values.sort_unstable();
        return;
    };
    keys.sort_unstable();
    for (slot, k) in values.iter_mut().zip(keys) {
        // k / common is one of the values, so it is representable.
        *slot = Ratio::ratio(i128::from(k), common);
    }
}

/// The percentile HJ 663 evaluates for each pollutant (SO2, NO2 98; CO, PM 95; O3 MDA8 90).
pub fn evaluation_percentile(p: Pollutant) -> u32 {
    match p {
        Pollutant::So2 | Pollutant::No2 => 98,
        Pollutant::Co | Pollutant::Pm10 | Pollutant::Pm25 => 95,
        Pollutant::O3 => 90,
    }
}

/// Whether HJ 663 evaluates an annual mean for the pollutant (SO2, NO2, PM10, PM2.5).
pub fn has_annual_mean(p: Pollutant) -> bool {
    !matches!(p, Pollutant::Co | Pollutant::O3)
}

/// Annual statistics of one pollutant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollutantAssessment {
    /// The pollutant.
    pub pollutant: Pollutant,
    /// Valid daily values in the period.
    pub valid_days: u32,
    /// Valid daily values per month (January first).
    pub monthly_days: [u32; 12],
    /// The year meets GB 3095 Table 4 (≥ 324 days, ≥ 27 per month, February ≥ 25).
    pub data_valid: bool,
    /// Mean of the valid daily values (SO2, NO2, PM10, PM2.5; CO and O3 for information).
    pub mean: Option<Ratio>,
    /// The evaluated percentile (98, 95 or 90).
    pub percentile: u32,
    /// Percentile of the valid daily values (O3: of MDA8).
    pub percentile_value: Option<Ratio>,
    /// Annual limit used (SO2, NO2, PM10, PM2.5).
    pub annual_limit: Option<Ratio>,
    /// Daily (O3: MDA8) limit the percentile is compared with.
    pub daily_limit: Option<Ratio>,
    /// Single index C/S rounded half-even to 2 decimals (the composite-index term).
    pub single_index: Option<Ratio>,
    /// Attainment; `None` when the data are not valid for a year.
    pub attained: Option<bool>,
}

/// The HJ 663 annual assessment of one station or city.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AnnualAssessment {
    /// Station or city name.
    pub name: String,
    /// Calendar year.
    pub year: i32,
    /// HJ 633 editions applied to the year's days (two when the year crosses 2026-03-01).
    pub aqi_standards: Vec<AqiStandard>,
    /// GB 3095 limit set used for attainment and the composite index.
    pub limit_set: LimitSet,
    /// HJ 663 edition in force at the end of the period.
    pub evaluation: EvaluationStandard,
    /// Days of the year with a published daily AQI.
    pub valid_days: u32,
    /// Days with AQI ≤ 100 (优 + 良).
    pub good_days: u32,
    /// Days per level 1–6.
    pub level_days: [u32; 6],
    /// Days with AQI > 200.
    pub heavy_days: u32,
    /// Days with AQI > 300.
    pub severe_days: u32,
    /// 优良天数比例 in percent: good / valid × 100.
    pub good_days_ratio: Option<Ratio>,
    /// Per pollutant, by [`Pollutant::index`].
    pub pollutants: Vec<PollutantAssessment>,
    /// 综合指数: sum of the six single indices, each rounded to 2 decimals first.
    pub composite_index: Option<Ratio>,
    /// Attainment of all six pollutants; `None` if any is undetermined.
    pub attained: Option<bool>,
}

/// The value as compared with limits; `None` only when rounding overflows.
fn published(p: Pollutant, v: Ratio, rounding: PeriodRounding) -> Option<Ratio> {
    match rounding {
        PeriodRounding::Published => v.round_half_even(p.published_decimals()),
        PeriodRounding::Exact => Some(v),
    }
}

/// Assesses one calendar year of a station's hourly data.
pub fn assess_year(series: &HourlySeries, year: i32, opts: &AssessOptions) -> AnnualAssessment {
    let (from, to) = year_bounds(year);
    let days: Vec<DailyAqi> = series
        .days_between(from, to)
        .iter()
        .map(|d| daily_aqi(d, opts))
        .collect();
    assess_days(&series.station, year, &days, opts)
}

fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    let from = NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN);
    let to = NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX);
    (from, to)
}

/// Assesses a year from its daily values and reports (days outside the year are ignored).
pub fn assess_days(
    name: &str,
    year: i32,
    days: &[DailyAqi],
    opts: &AssessOptions,
) -> AnnualAssessment {
    let (_, end) = year_bounds(year);
    let days: Vec<&DailyAqi> = days
        .iter()
        .filter(|d| d.values.date.year() == year)
        .collect();
    let limit_set = opts.limit_set.unwrap_or_else(|| LimitSet::for_date(end));
    let mut aqi_standards: Vec<AqiStandard> = Vec::new();
    let (mut valid_days, mut good_days, mut heavy, mut severe) = (0u32, 0u32, 0u32, 0u32);
    let mut level_days = [0u32; 6];
    for d in &days {
        if !aqi_standards.contains(&d.report.standard) {
            aqi_standards.push(d.report.standard);
        }
        let Some(a) = d.report.aqi else { continue };
        valid_days += 1;
        good_days += u32::from(a <= 100);
        heavy += u32::from(a > 200);
        severe += u32::from(a > 300);
        level_days[usize::from(AqiLevel::from_aqi(a).number() - 1)] += 1;
    }
    if aqi_standards.is_empty() {
        aqi_standards.push(
            opts.aqi_standard
                .unwrap_or_else(|| AqiStandard::for_date(end)),
        );
    }
    let good_days_ratio = Ratio::new(i128::from(good_days) * 100, i128::from(valid_days));
    let mut pollutants = Vec::with_capacity(6);
    for p in Pollutant::ALL {
        let mut vals: Vec<Ratio> = Vec::with_capacity(days.len());
        let mut dates: Vec<NaiveDate> = Vec::with_capacity(days.len());
        for d in &days {
            if let Some(v) = d.values.value(p) {
                vals.push(v);
                dates.push(d.values.date);
            }
        }
        let monthly_days = monthly_counts(dates.iter());
        let data_valid = year_valid(&monthly_days);
        let n = vals.len() as u32;
        let mean = Ratio::sum(&vals).div_int(i128::from(n));
        let pct = evaluation_percentile(p);
        let percentile_value = percentile(&mut vals, pct);
        let lp = LimitPollutant::from(p);
        let annual_limit = if has_annual_mean(p) {
            limit(limit_set, opts.grade, lp, Averaging::Annual)
        } else {
            None
        };
        let daily_avg = if p == Pollutant::O3 {
            Averaging::Mda8
        } else {
            Averaging::Daily
        };
        let daily_limit = limit(limit_set, opts.grade, lp, daily_avg);
        // Composite index: annual means for SO2, NO2, PM; CO P95 and O3 P90, over the
        // grade-2 limits (ranking rules), whatever grade attainment uses.
        let c_i = if has_annual_mean(p) {
            mean
        } else {
            percentile_value
        };
        let s_i = if has_annual_mean(p) {
            limit(limit_set, Grade::Two, lp, Averaging::Annual)
        } else {
            limit(limit_set, Grade::Two, lp, daily_avg)
        };
        let single_index = match (c_i, s_i) {
            (Some(c), Some(s)) => published(p, c, opts.rounding)
                .and_then(|c| c.checked_div(s))
                .and_then(|x| x.round_half_even(2)),
            _ => None,
        };
        let attained = if data_valid {
            let mean_ok = match (has_annual_mean(p), mean, annual_limit) {
                (false, _, _) => true,
                (true, Some(m), Some(l)) => published(p, m, opts.rounding).is_some_and(|m| m <= l),
                _ => false,
            };
            let pct_ok = match (percentile_value, daily_limit) {
                (Some(v), Some(l)) => published(p, v, opts.rounding).is_some_and(|v| v <= l),
                _ => false,
            };
            Some(mean_ok && pct_ok)
        } else {
            None
        };
        pollutants.push(PollutantAssessment {
            pollutant: p,
            valid_days: n,
            monthly_days,
            data_valid,
            mean,
            percentile: pct,
            percentile_value,
            annual_limit,
            daily_limit,
            single_index,
            attained,
        });
    }
    let composite_index = pollutants
        .iter()
        .map(|p| p.single_index)
        .try_fold(Ratio::ZERO, |acc, x| acc.checked_add(x?));
    let attained = pollutants
        .iter()
        .map(|p| p.attained)
        .try_fold(true, |acc, x| x.map(|x| acc && x));
    AnnualAssessment {
        name: name.to_string(),
        year,
        aqi_standards,
        limit_set,
        evaluation: EvaluationStandard::for_date(end),
        valid_days,
        good_days,
        level_days,
        heavy_days: heavy,
        severe_days: severe,
        good_days_ratio,
        pollutants,
        composite_index,
        attained,
    }
}

fn num(v: Option<Ratio>) -> Value {
    v.map_or(Value::Null, |r| json!(r.to_f64()))
}

fn fmt(v: Option<Ratio>, decimals: u32) -> String {
    v.map_or_else(|| "—".to_string(), |r| r.format_gbt8170(decimals))
}

impl AnnualAssessment {
    /// The assessment of one pollutant.
    pub fn pollutant(&self, p: Pollutant) -> &PollutantAssessment {
        &self.pollutants[p.index()]
    }

    /// JSON object of the `air assess --json` contract (exact values as numbers; published strings alongside).
    pub fn to_json(&self) -> Value {
        let p = |x: Pollutant| self.pollutant(x);
        let details: Vec<Value> = self
            .pollutants
            .iter()
            .map(|a| {
                let d = a.pollutant.published_decimals();
                json!({
                    "pollutant": a.pollutant.name(),
                    "valid_days": a.valid_days,
                    "monthly_valid_days": a.monthly_days,
                    "data_valid": a.data_valid,
                    "mean": num(a.mean),
                    "mean_published": a.mean.map(|m| m.format_gbt8170(d)),
                    "percentile": a.percentile,
                    "percentile_value": num(a.percentile_value),
                    "percentile_published": a.percentile_value.map(|m| m.format_gbt8170(d)),
                    "annual_limit": num(a.annual_limit),
                    "daily_limit": num(a.daily_limit),
                    "single_index": a.single_index.map(|x| x.format_gbt8170(2)),
                    "attained": a.attained,
                })
            })
            .collect();
        let standard = self
            .aqi_standards
            .iter()
            .map(|s| s.code())
            .collect::<Vec<_>>()
            .join("+");
        json!({
            "name": self.name,
            "year": self.year,
            "standard": standard,
            "aqi_standards": self.aqi_standards.iter().map(|s| s.code()).collect::<Vec<_>>(),
            "limit_set": self.limit_set.code(),
            "evaluation_standard": self.evaluation.code(),
            "valid_days": self.valid_days,
            "good_days": self.good_days,
            "good_days_ratio": num(self.good_days_ratio),
            "good_days_ratio_published": self.good_days_ratio.map(|r| r.format_gbt8170(1)),
            "level_days": self.level_days,
            "heavy_days": self.heavy_days,
            "severe_days": self.severe_days,
            "pm25_annual_mean": num(p(Pollutant::Pm25).mean),
            "pm10_annual_mean": num(p(Pollutant::Pm10).mean),
            "so2_annual_mean": num(p(Pollutant::So2).mean),
            "no2_annual_mean": num(p(Pollutant::No2).mean),
            "co_24h_p95": num(p(Pollutant::Co).percentile_value),
            "o3_8h_p90": num(p(Pollutant::O3).percentile_value),
            "so2_24h_p98": num(p(Pollutant::So2).percentile_value),
            "no2_24h_p98": num(p(Pollutant::No2).percentile_value),
            "pm10_24h_p95": num(p(Pollutant::Pm10).percentile_value),
            "pm25_24h_p95": num(p(Pollutant::Pm25).percentile_value),
            "composite_index": num(self.composite_index),
            "composite_index_published": self.composite_index.map(|x| x.format_gbt8170(2)),
            "attained": self.attained,
            "pollutants": details,
        })
    }

    /// A readable Chinese table.
    pub fn to_table_zh(&self) -> String {
        let mut s = String::new();
        let std = self
            .aqi_standards
            .iter()
            .map(|s| s.title())
            .collect::<Vec<_>>()
            .join(" + ");
        s.push_str(&format!(
            "{} {} 年环境空气质量评价（{}；{}；{}）\n",
            self.name,
            self.year,
            std,
            self.limit_set.code(),
            self.evaluation.code()
        ));
        s.push_str(&format!(
            "有效天数 {}  优良天数 {}  优良天数比例 {}%\n",
            self.valid_days,
            self.good_days,
            fmt(self.good_days_ratio, 1)
        ));
        let names = ["优", "良", "轻度污染", "中度污染", "重度污染", "严重污染"];
        let levels: Vec<String> = names
            .iter()
            .zip(self.level_days)
            .map(|(n, d)| format!("{n} {d}"))
            .collect();
        s.push_str(&format!("各级别天数：{}\n", levels.join("  ")));
        s.push_str(&format!(
            "重污染天数（AQI>200）{}  严重污染天数（AQI>300）{}\n",
            self.heavy_days, self.severe_days
        ));
        s.push_str("污染物  有效天数  年均值  百分位数  单项指数  达标\n");
        for a in &self.pollutants {
            let d = a.pollutant.published_decimals();
            let mean = if has_annual_mean(a.pollutant) {
                fmt(a.mean, d)
            } else {
                "—".to_string()
            };
            let att = match a.attained {
                Some(true) => "达标",
                Some(false) => "超标",
                None => "数据不足",
            };
            s.push_str(&format!(
                "{:<6}  {:>8}  {:>6}  P{} {:>6}  {:>8}  {}\n",
                a.pollutant.name(),
                a.valid_days,
                mean,
                a.percentile,
                fmt(a.percentile_value, d),
                fmt(a.single_index, 2),
                att
            ));
        }
        s.push_str(&format!("综合指数 {}\n", fmt(self.composite_index, 2)));
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hourly::HOURLY_SCALE;

    fn r(n: i128, d: i128) -> Ratio {
        Ratio::new(n, d).unwrap()
    }

    #[test]
    fn percentile_worked_example() {
        let mut v: Vec<Ratio> = [3, 4, 8, 2, 5, 4].iter().map(|&x| Ratio::int(x)).collect();
        assert_eq!(percentile(&mut v, 90), Some(r(13, 2)));
        let mut one = vec![Ratio::int(7)];
        assert_eq!(percentile(&mut one, 98), Some(Ratio::int(7)));
        let mut v: Vec<Ratio> = (1..=365).map(Ratio::int).collect();
        // n = 365: k = 328.6 (P90), 346.8 (P95), 357.72 (P98)
        assert_eq!(percentile(&mut v, 90), Some(r(3286, 10)));
        assert_eq!(percentile(&mut v, 95), Some(r(3468, 10)));
        assert_eq!(percentile(&mut v, 98), Some(r(35772, 100)));
        assert_eq!(percentile(&mut [], 90), None);
    }

    fn day(
        date: NaiveDate,
        so2: i64,
        no2: i64,
        co10: i64,
        o3: i64,
        pm10: i64,
        pm25: i64,
    ) -> DayRecord {
        let mut d = DayRecord::empty(date);
        for h in 0..24 {
            let vals = [so2, no2, co10, o3, pm10, pm25];
            for p in Pollutant::ALL {
                let v = if p == Pollutant::Co {
                    vals[2] * HOURLY_SCALE / 10
                } else {
                    vals[p.index()] * HOURLY_SCALE
                };
                d.set(p, h, Some(v)).unwrap();
            }
        }
        d
    }

    #[test]
    fn composite_index_heyuan_example() {
        // Worked example 3: SO2 3, NO2 13, PM10 16, PM2.5 13, CO-P95 0.9, O3-P90 87 → 1.73 (2012 limits).
        let days: Vec<DayRecord> = (1..=28)
            .map(|dd| {
                day(
                    NaiveDate::from_ymd_opt(2022, 2, dd).unwrap(),
                    3,
                    13,
                    9,
                    87,
                    16,
                    13,
                )
            })
            .collect();
        let s = HourlySeries {
            station: "Heyuan".into(),
            days,
        };
        let opts = AssessOptions {
            limit_set: Some(LimitSet::Gb3095_2012),
            ..AssessOptions::default()
        };
        let a = assess_year(&s, 2022, &opts);
        assert_eq!(a.composite_index, Some(r(173, 100)));
        assert_eq!(a.pollutant(Pollutant::No2).single_index, Some(r(32, 100)));
        let t = AssessOptions {
            limit_set: Some(LimitSet::Gb3095_2026Transition),
            ..opts
        };
        assert_eq!(assess_year(&s, 2022, &t).composite_index, Some(r(183, 100)));
        // Partial year: not valid for attainment.
        assert_eq!(a.attained, None);
        assert_eq!(a.valid_days, 28);
        assert_eq!(a.good_days, 28);
    }

    #[test]
    fn full_year_counts_and_crossing_2026() {
        // 2026: Jan–Feb under 2012, Mar–Dec under 2026. PM2.5 70 is 良 under 2012 and 轻度 under 2026.
        let mut days = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        while d.year() == 2026 {
            days.push(day(d, 5, 20, 5, 60, 50, 70));
            d = d.succ_opt().unwrap();
        }
        let s = HourlySeries {
            station: "X".into(),
            days,
        };
        let a = assess_year(&s, 2026, &AssessOptions::default());
        assert_eq!(
            a.aqi_standards,
            vec![AqiStandard::Hj633_2012, AqiStandard::Hj633_2026]
        );
        assert_eq!(a.limit_set, LimitSet::Gb3095_2026Transition);
        assert_eq!(a.valid_days, 365);
        assert_eq!(a.good_days, 31 + 28);
        assert_eq!(a.good_days_ratio, Some(r(5900, 365)));
        assert_eq!(a.heavy_days, 0);
        assert_eq!(a.pollutant(Pollutant::Pm25).attained, Some(false));
        assert_eq!(a.pollutant(Pollutant::So2).attained, Some(true));
        assert_eq!(a.attained, Some(false));
        // Forcing 2012 for the whole year: every day is 良.
        let o = AssessOptions {
            aqi_standard: Some(AqiStandard::Hj633_2012),
            ..AssessOptions::default()
        };
        assert_eq!(assess_year(&s, 2026, &o).good_days, 365);
        let json = a.to_json();
        assert_eq!(json["standard"], "hj633-2012+hj633-2026");
        assert_eq!(json["valid_days"], 365);
        assert!(a.to_table_zh().contains("优良天数比例 16.2%"));
    }

    #[test]
    fn attainment_uses_published_rounding() {
        // PM2.5 35.4 → published 35 ≤ 35 attains; exact 35.4 does not.
        let mut days = Vec::new();
        let mut d = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
        while d.year() == 2015 {
            let mut rec = day(d, 5, 20, 5, 60, 50, 35);
            for h in 0..10 {
                rec.set(Pollutant::Pm25, h, Some(36 * HOURLY_SCALE))
                    .unwrap();
            }
            rec.set(Pollutant::Pm25, 10, Some(356_000)).unwrap();
            days.push(rec);
            d = d.succ_opt().unwrap();
        }
        let s = HourlySeries {
            station: "X".into(),
            days,
        };
        let a = assess_year(&s, 2015, &AssessOptions::default());
        let pm = a.pollutant(Pollutant::Pm25);
        assert_eq!(pm.mean, Some(r(8506, 240)));
        assert_eq!(pm.attained, Some(true));
        let e = AssessOptions {
            rounding: PeriodRounding::Exact,
            ..AssessOptions::default()
        };
        assert_eq!(
            assess_year(&s, 2015, &e)
                .pollutant(Pollutant::Pm25)
                .attained,
            Some(false)
        );
    }
}
