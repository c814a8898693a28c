//! Yearly air figures from the stored hourly data: station, county and city series, the HJ 663
//! annual assessment, the data capture note, and the city's warning thresholds. Every figure is
//! computed by `qingshan_air`; this module reads the store and shapes what it needs.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use qingshan_air::assess::{AnnualAssessment, AssessOptions, DailyAqi, assess_days};
use qingshan_air::city::{CityOptions, city_daily_values};
use qingshan_air::hourly::{DayRecord, HOURLY_DECIMALS, HOURLY_SCALE, HourlySeries};
use qingshan_air::num::{Ratio, parse_scaled};
use qingshan_air::standard::Pollutant;
use qingshan_air::{assess_year, daily_aqi};
use qingshan_plan::Plan;
use qingshan_store::{AirCoverage, AirHour, AirStation, NewAirHour, Store, StoreError};

/// The control level whose stations make the official city value (national-network sites).
pub const CITY_LEVEL: &str = "国控";

/// Stored air data that `qingshan_air` cannot read back.
#[derive(Debug, thiserror::Error)]
pub enum AirDataError {
    /// A stored hour label or value is malformed.
    #[error("站点 {station} {hour} 的 {column} 存储值无效：{value:?}")]
    Corrupt {
        /// Station code.
        station: String,
        /// Hour label.
        hour: String,
        /// Column.
        column: String,
        /// The stored text.
        value: String,
    },
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A value in 10⁻⁴ units as plain decimal text without trailing zeros (`125000` → `12.5`).
pub fn format_scaled(v: i64) -> String {
    let scale = HOURLY_SCALE;
    let (int, frac) = (v / scale, v % scale);
    if frac == 0 {
        return int.to_string();
    }
    let digits = format!("{frac:0width$}", width = HOURLY_DECIMALS as usize);
    format!("{int}.{}", digits.trim_end_matches('0'))
}

/// Station-hours to store from parsed series; hours with no pollutant at all are left out
/// (the parser cannot tell them from hours absent from the file).
pub fn hours_from_series(series: &[HourlySeries], source: &str) -> Vec<NewAirHour> {
    let mut out = Vec::new();
    for s in series {
        for d in &s.days {
            for h in 0..24 {
                let values: [Option<String>; 6] =
                    Pollutant::ALL.map(|p| d.get(p, h).map(format_scaled));
                if values.iter().all(Option::is_none) {
                    continue;
                }
                out.push(NewAirHour {
                    station_code: s.station.clone(),
                    hour: format!("{}T{h:02}:00", d.date.format("%Y-%m-%d")),
                    values,
                    source: source.to_string(),
                });
            }
        }
    }
    out
}

/// Series per station (in the order first met) from stored hours.
pub fn series_from_hours(hours: &[AirHour]) -> Result<Vec<HourlySeries>, AirDataError> {
    let mut stations: Vec<(String, BTreeMap<NaiveDate, DayRecord>)> = Vec::new();
    for h in hours {
        let corrupt = |column: &str, value: &str| AirDataError::Corrupt {
            station: h.station_code.clone(),
            hour: h.hour.clone(),
            column: column.to_string(),
            value: value.to_string(),
        };
        let (date, hh) = h
            .hour
            .split_once('T')
            .ok_or_else(|| corrupt("hour", &h.hour))?;
        let date =
            NaiveDate::parse_from_str(date, "%Y-%m-%d").map_err(|_| corrupt("hour", &h.hour))?;
        let hour: usize = hh
            .strip_suffix(":00")
            .and_then(|x| x.parse().ok())
            .filter(|x| *x < 24)
            .ok_or_else(|| corrupt("hour", &h.hour))?;
        if stations.last().is_none_or(|(c, _)| *c != h.station_code) {
            stations.push((h.station_code.clone(), BTreeMap::new()));
        }
        let Some((_, days)) = stations.last_mut() else {
            continue;
        };
        let day = days.entry(date).or_insert_with(|| DayRecord::empty(date));
        for (p, v) in Pollutant::ALL.iter().zip(&h.values) {
            let Some(v) = v else { continue };
            let scaled = parse_scaled(v, HOURLY_DECIMALS)
                .map_err(|_| corrupt(qingshan_store::AIR_POLLUTANT_COLUMNS[p.index()], v))?;
            day.set(*p, hour, Some(scaled))
                .map_err(|_| corrupt(qingshan_store::AIR_POLLUTANT_COLUMNS[p.index()], v))?;
        }
    }
    Ok(stations
        .into_iter()
        .map(|(station, days)| HourlySeries {
            station,
            days: days.into_values().collect(),
        })
        .collect())
}

/// One station's stored hours of `[from, to]` as a series (empty when there are none).
pub async fn station_series(
    store: &Store,
    code: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HourlySeries, AirDataError> {
    let hours = store.air_hours(Some(code), from, to).await?;
    Ok(series_from_hours(&hours)?
        .into_iter()
        .next()
        .unwrap_or_else(|| HourlySeries {
            station: code.to_string(),
            days: Vec::new(),
        }))
}

/// The city's stations (national-network) and their series of `[from, to]`.
pub async fn city_series(
    store: &Store,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<String>, Vec<HourlySeries>), AirDataError> {
    let codes: Vec<String> = store
        .air_stations()
        .await?
        .into_iter()
        .filter(|s| s.control_level == CITY_LEVEL)
        .map(|s| s.code)
        .collect();
    let hours = store.air_hours(None, from, to).await?;
    let hours = without_retired(store, hours).await?;
    let series = series_from_hours(&hours)?
        .into_iter()
        .filter(|s| codes.contains(&s.station))
        .collect();
    Ok((codes, series))
}

/// Drops the hours of retired stations from their retirement date on: a station taken out of
/// service no longer counts in city or county figures, though its data stay on its own page.
async fn without_retired(store: &Store, hours: Vec<AirHour>) -> Result<Vec<AirHour>, AirDataError> {
    let retired = crate::stations::retired_from(&store.air_station_retirements().await?);
    if retired.is_empty() {
        return Ok(hours);
    }
    Ok(hours
        .into_iter()
        .filter(|h| match (retired.get(&h.station_code), date_of(&h.hour)) {
            (Some(from), Some(day)) => day < *from,
            _ => true,
        })
        .collect())
}

/// A county's stations (every control level located in it) and their series of `[from, to]`.
/// A county's air is judged from the stations inside it, the way a city's is from its
/// national-network stations: station concentrations are averaged first, then the AQI.
pub async fn county_series(
    store: &Store,
    county: &str,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<(Vec<String>, Vec<HourlySeries>), AirDataError> {
    let codes: Vec<String> = store
        .air_stations()
        .await?
        .into_iter()
        .filter(|s| s.division_code.as_deref() == Some(county))
        .map(|s| s.code)
        .collect();
    if codes.is_empty() {
        return Ok((codes, Vec::new()));
    }
    let mut series = Vec::new();
    for code in &codes {
        let hours = store.air_hours(Some(code), from, to).await?;
        let hours = without_retired(store, hours).await?;
        if let Some(one) = series_from_hours(&hours)?.into_iter().next()
            && !one.days.is_empty()
        {
            series.push(one);
        }
    }
    Ok((codes, series))
}

/// The counties (GB/T 2260) that have at least one station: the others have no air data of
/// their own, so nothing is read for them.
pub async fn counties_with_stations(
    store: &Store,
) -> Result<std::collections::BTreeSet<String>, AirDataError> {
    Ok(store
        .air_stations()
        .await?
        .into_iter()
        .filter_map(|s| s.division_code)
        .collect())
}

/// Loads a county's stored data of `year` and assesses it (HJ 663, as for a city).
pub async fn stored_county_assessment(
    store: &Store,
    name: &str,
    county: &str,
    year: i32,
    opts: &AssessOptions,
) -> Result<(Vec<String>, AnnualAssessment), AirDataError> {
    let (from, to) = year_bounds(year);
    let (codes, series) = county_series(store, county, from, to).await?;
    Ok((codes, city_assessment(name, year, &series, opts)))
}

/// 数据获取率: valid days over the days of the year, as the note beside an indicator says it.
pub fn data_capture_note(a: &AnnualAssessment, year: i32) -> String {
    let days = days_in_year(year);
    let share = Ratio::new(i128::from(a.valid_days) * 100, i128::from(days))
        .map_or_else(|| "—".to_string(), |r| r.format_gbt8170(1));
    format!(
        "有效天数 {}/{days}（数据获取率 {share}%），优良天数 {}",
        a.valid_days, a.good_days
    )
}

/// Days of a calendar year: 366 in a leap year, else 365.
pub fn days_in_year(year: i32) -> i64 {
    if NaiveDate::from_ymd_opt(year, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// City daily AQI from its stations' series (city concentrations first, then the AQI).
pub fn city_daily(stations: &[HourlySeries], opts: &AssessOptions) -> Vec<DailyAqi> {
    let city = CityOptions {
        daily: opts.daily,
        ..CityOptions::default()
    };
    city_daily_values(stations, &city)
        .into_iter()
        .map(|v| qingshan_air::assess::daily_aqi_from_values(v, opts))
        .collect()
}

/// HJ 663 assessment of the city's year from its stations' series.
pub fn city_assessment(
    name: &str,
    year: i32,
    stations: &[HourlySeries],
    opts: &AssessOptions,
) -> AnnualAssessment {
    assess_days(name, year, &city_daily(stations, opts), opts)
}

/// Loads the stored city data of `year` and assesses it.
pub async fn stored_city_assessment(
    store: &Store,
    name: &str,
    year: i32,
    opts: &AssessOptions,
) -> Result<(Vec<String>, AnnualAssessment), AirDataError> {
    let (codes, mut years) = stored_city_assessments(store, name, &[year], opts).await?;
    match years.pop() {
        Some(a) => Ok((codes, a)),
        // One year asked, one assessment made: this is only the type's other case.
        None => Ok((codes, city_assessment(name, year, &[], opts))),
    }
}

/// Loads the stored city data of all `years` at once (from the first's 1 January to the last's
/// 31 December) and assesses each year by the path of [`assess_years`], as `qingshan air
/// assess` does for files.
pub async fn stored_city_assessments(
    store: &Store,
    name: &str,
    years: &[i32],
    opts: &AssessOptions,
) -> Result<(Vec<String>, Vec<AnnualAssessment>), AirDataError> {
    let (Some(first), Some(last)) = (years.iter().min(), years.iter().max()) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let (from, to) = (year_bounds(*first).0, year_bounds(*last).1);
    let (codes, series) = city_series(store, from, to).await?;
    Ok((codes, assess_years(&series, years, Over::City(name), opts)))
}

/// What [`assess_years`] assesses.
#[derive(Debug, Clone, Copy)]
pub enum Over<'a> {
    /// Each station on its own (HJ 663 for a point).
    EachStation,
    /// The stations together as the city or county so named (station concentrations averaged
    /// first, then the AQI).
    City(&'a str),
}

/// The HJ 663 assessment of every year in `years` (in that order, repeats dropped) over
/// series already read: for each station then each year, or for the city each year. The one
/// path of the command line's files, directories and the stored city alike.
pub fn assess_years(
    series: &[HourlySeries],
    years: &[i32],
    over: Over<'_>,
    opts: &AssessOptions,
) -> Vec<AnnualAssessment> {
    let mut unique: Vec<i32> = Vec::with_capacity(years.len());
    for y in years {
        if !unique.contains(y) {
            unique.push(*y);
        }
    }
    match over {
        Over::EachStation => series
            .iter()
            .flat_map(|one| unique.iter().map(|y| assess_year(one, *y, opts)))
            .collect(),
        Over::City(name) => unique
            .iter()
            .map(|y| {
                let (from, to) = year_bounds(*y);
                let days: Vec<HourlySeries> = series
                    .iter()
                    .filter(|s| !s.days_between(from, to).is_empty())
                    .map(|s| HourlySeries {
                        station: s.station.clone(),
                        days: s.days_between(from, to).to_vec(),
                    })
                    .collect();
                city_assessment(name, *y, &days, opts)
            })
            .collect(),
    }
}

/// The hourly files behind `paths`: a file itself, a directory's `.csv` files (by name, not
/// descending into subdirectories). Each file is listed once, in the order given.
pub fn hourly_files(paths: &[std::path::PathBuf]) -> std::io::Result<Vec<std::path::PathBuf>> {
    let mut out: Vec<std::path::PathBuf> = Vec::new();
    for path in paths {
        if path.is_dir() {
            let mut inside = Vec::new();
            for entry in std::fs::read_dir(path)? {
                let p = entry?.path();
                if p.is_file() && p.extension().is_some_and(|e| e.eq_ignore_ascii_case("csv")) {
                    inside.push(p);
                }
            }
            inside.sort();
            for p in inside {
                if !out.contains(&p) {
                    out.push(p);
                }
            }
        } else if !out.contains(path) {
            out.push(path.clone());
        }
    }
    Ok(out)
}

/// Every station-year of one hourly file (either layout, any number of stations), the file
/// read once: stations in code order, each with `years` in order.
pub fn assess_hourly_file<R: std::io::Read>(
    reader: R,
    years: &[i32],
    opts: &AssessOptions,
) -> Result<Vec<AnnualAssessment>, qingshan_air::hourly::ParseError> {
    let series = qingshan_air::hourly::parse_hourly_csv(reader)?;
    Ok(assess_years(&series, years, Over::EachStation, opts))
}

/// The first and last day of a calendar year.
pub fn year_bounds(year: i32) -> (NaiveDate, NaiveDate) {
    (
        NaiveDate::from_ymd_opt(year, 1, 1).unwrap_or(NaiveDate::MIN),
        NaiveDate::from_ymd_opt(year, 12, 31).unwrap_or(NaiveDate::MAX),
    )
}

/// The date of a stored hour label (`YYYY-MM-DDThh:00`).
pub fn date_of(hour: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(hour.get(..10)?, "%Y-%m-%d").ok()
}

/// Monthly mean of the valid daily PM2.5 values (exact), month by month.
pub fn monthly_pm25(days: &[DailyAqi]) -> Vec<(u32, Ratio)> {
    let mut by_month: BTreeMap<u32, Vec<Ratio>> = BTreeMap::new();
    for d in days {
        if let Some(v) = d.values.value(Pollutant::Pm25) {
            by_month.entry(d.values.date.month()).or_default().push(v);
        }
    }
    by_month
        .into_iter()
        .filter_map(|(m, vals)| {
            let n = i128::try_from(vals.len()).ok()?;
            Ratio::sum(&vals).div_int(n).map(|mean| (m, mean))
        })
        .collect()
}

/// The city's warning thresholds: the plan's, over the 2018 national framework.
pub fn warning_config(plan: &qingshan_plan::Plan) -> qingshan_air::warning::WarningConfig {
    use qingshan_air::warning::{SevereCount, WarningConfig};
    let t = &plan.air_warning;
    let d = WarningConfig::default();
    WarningConfig {
        heavy_above: t.heavy_above.unwrap_or(d.heavy_above),
        severe_above: t.severe_above.unwrap_or(d.severe_above),
        blue_days: t.blue_days.or(d.blue_days),
        yellow_days: t.yellow_days.unwrap_or(d.yellow_days),
        orange_days: t.orange_days.unwrap_or(d.orange_days),
        orange_severe_days: match t.orange_severe_days {
            Some(0) => None,
            Some(n) => Some(n),
            None => d.orange_severe_days,
        },
        red_days: t.red_days.unwrap_or(d.red_days),
        red_severe_days: t.red_severe_days.unwrap_or(d.red_severe_days),
        red_any_day_at_least: match t.red_any_day_at_least {
            Some(0) => None,
            Some(n) => Some(n),
            None => d.red_any_day_at_least,
        },
        severe_count: match t.severe_count {
            Some(qingshan_plan::SevereCounting::Total) => SevereCount::Total,
            Some(qingshan_plan::SevereCounting::Consecutive) => SevereCount::Consecutive,
            None => d.severe_count,
        },
    }
}

/// The thresholds in words, as the warning page lists them.
fn warning_rules(c: &qingshan_air::warning::WarningConfig) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(b) = c.blue_days {
        out.push(format!(
            "蓝色：日 AQI > {} 持续 {b} 天及以上",
            c.heavy_above
        ));
    }
    out.push(format!(
        "黄色：日 AQI > {} 持续 {} 天及以上",
        c.heavy_above, c.yellow_days
    ));
    out.push(match c.orange_severe_days {
        Some(n) => format!(
            "橙色：日 AQI > {} 持续 {} 天及以上，且 AQI > {} 达 {n} 天",
            c.heavy_above, c.orange_days, c.severe_above
        ),
        None => format!(
            "橙色：日 AQI > {} 持续 {} 天及以上",
            c.heavy_above, c.orange_days
        ),
    });
    let mut red = format!(
        "红色：日 AQI > {} 持续 {} 天及以上，且 AQI > {} 达 {} 天",
        c.heavy_above, c.red_days, c.severe_above, c.red_severe_days
    );
    if let Some(t) = c.red_any_day_at_least {
        red.push_str(&format!("；或任一日 AQI 达到 {t}"));
    }
    out.push(red);
    out.push(match c.severe_count {
        qingshan_air::warning::SevereCount::Consecutive => {
            "AQI > 严重污染阈值的天数按连续天数计".to_string()
        }
        qingshan_air::warning::SevereCount::Total => {
            "AQI > 严重污染阈值的天数按过程内累计天数计".to_string()
        }
    });
    out
}

/// A forecast of daily AQI as typed (numbers separated by commas, 、 or spaces), at most 31
/// days of 0–999; a bad item is [`crate::Error::Invalid`] on `forecast`, named by position.
pub fn parse_forecast(text: &str) -> crate::Result<Vec<u32>> {
    let mut out = Vec::new();
    for (i, item) in text
        .split(|c: char| c == ',' || c == '，' || c == '、' || c.is_whitespace())
        .filter(|t| !t.is_empty())
        .enumerate()
    {
        let v: u32 = item.parse().map_err(|_| {
            crate::Error::invalid(
                "forecast",
                format!("第 {} 个值「{item}」不是 0–999 的整数 AQI", i + 1),
            )
        })?;
        if v > 999 {
            return Err(crate::Error::invalid(
                "forecast",
                format!("第 {} 个值 {v} 超出 AQI 范围", i + 1),
            ));
        }
        out.push(v);
    }
    if out.len() > 31 {
        return Err(crate::Error::invalid("forecast", "预报天数不应超过 31 天"));
    }
    Ok(out)
}

/// The warning level `forecast` calls for under the plan's thresholds, with the thresholds in
/// words, their source and the configuration, as the warning page and its API show it.
pub fn warning_json(plan: &qingshan_plan::Plan, forecast: &[u32]) -> serde_json::Value {
    let cfg = warning_config(plan);
    let level = qingshan_air::warning::warning_level(forecast, &cfg);
    serde_json::json!({
        "forecast": forecast,
        "level": level.map(|l| format!("{l:?}").to_lowercase()),
        "level_zh": level.map_or("不启动预警", |l| l.name_zh()),
        "rules": warning_rules(&cfg),
        "source": plan.air_warning.source.clone().unwrap_or_else(|| "环办大气函〔2018〕875号".to_string()),
        "config": cfg,
    })
}

/// Checks a year asked for (1900–9999), or picks the year of `latest` (the newest data), or this
/// year without data.
fn pick_year(year: Option<i32>, latest: Option<NaiveDate>) -> crate::Result<i32> {
    match year {
        Some(y) if (1900..=9999).contains(&y) => Ok(y),
        Some(_) => Err(crate::Error::invalid("year", "年份应在 1900 至 9999 之间")),
        None => Ok(latest.map_or_else(|| chrono::Utc::now().year(), |d| d.year())),
    }
}

/// A station's year: its coverage, daily AQI and HJ 663 assessment.
#[derive(Debug, Clone)]
pub struct StationYear {
    /// The station.
    pub station: AirStation,
    /// What is stored of it.
    pub coverage: Option<AirCoverage>,
    /// The year.
    pub year: i32,
    /// Daily AQI of the days with data.
    pub days: Vec<DailyAqi>,
    /// The year's assessment.
    pub assessment: AnnualAssessment,
}

/// A station's stored year (`year`, or the year of its newest data).
pub async fn station_year(
    store: &Store,
    code: &str,
    year: Option<i32>,
) -> crate::Result<StationYear> {
    let station = store
        .air_station(code)
        .await?
        .ok_or_else(|| crate::Error::NotFound(format!("没有编码为「{code}」的空气站点")))?;
    let coverage = store
        .air_coverage()
        .await?
        .into_iter()
        .find(|c| c.station_code == code);
    let year = pick_year(year, coverage.as_ref().and_then(|c| date_of(&c.last_hour)))?;
    let (from, to) = year_bounds(year);
    let series = station_series(store, code, from, to).await?;
    let opts = AssessOptions::default();
    let days: Vec<DailyAqi> = series.days.iter().map(|d| daily_aqi(d, &opts)).collect();
    let assessment = assess_year(&series, year, &opts);
    Ok(StationYear {
        station,
        coverage,
        year,
        days,
        assessment,
    })
}

/// A county's year: its stations, daily AQI (county concentrations first) and assessment.
#[derive(Debug, Clone)]
pub struct CountyYear {
    /// GB/T 2260 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Codes of the stations located in it.
    pub stations: Vec<String>,
    /// The year.
    pub year: i32,
    /// Daily AQI of the days with data.
    pub days: Vec<DailyAqi>,
    /// The year's assessment.
    pub assessment: AnnualAssessment,
}

/// A county's stored year (`year`, or the year of the newest data of its stations), from the
/// stations located in it.
pub async fn county_year(
    store: &Store,
    plan: &Plan,
    code: &str,
    year: Option<i32>,
) -> crate::Result<CountyYear> {
    let division = plan
        .division(code)
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .ok_or_else(|| crate::Error::NotFound(format!("规划中没有代码为「{code}」的区县")))?;
    let latest = match year {
        Some(_) => None,
        None => {
            let stations: Vec<String> = store
                .air_stations()
                .await?
                .into_iter()
                .filter(|s| s.division_code.as_deref() == Some(code))
                .map(|s| s.code)
                .collect();
            latest_date(store, &stations).await?
        }
    };
    let year = pick_year(year, latest)?;
    let (from, to) = year_bounds(year);
    let opts = AssessOptions::default();
    let (stations, series) = county_series(store, code, from, to).await?;
    let days = city_daily(&series, &opts);
    let assessment = assess_days(&division.name, year, &days, &opts);
    Ok(CountyYear {
        code: code.to_string(),
        name: division.name.clone(),
        stations,
        year,
        days,
        assessment,
    })
}

/// The newest stored date of any of `stations`, read from the coverage without computing any AQI.
async fn latest_date(store: &Store, stations: &[String]) -> crate::Result<Option<NaiveDate>> {
    Ok(store
        .air_coverage()
        .await?
        .iter()
        .filter(|c| stations.contains(&c.station_code))
        .filter_map(|c| date_of(&c.last_hour))
        .max())
}

/// The city's HJ 663 year (`year`, or the year of its stations' newest data) from its
/// national-network stations, with their codes.
pub async fn city_year(
    store: &Store,
    name: &str,
    year: Option<i32>,
) -> crate::Result<(Vec<String>, AnnualAssessment)> {
    let latest = match year {
        Some(_) => None,
        None => {
            let city: Vec<String> = store
                .air_stations()
                .await?
                .into_iter()
                .filter(|x| x.control_level == CITY_LEVEL)
                .map(|x| x.code)
                .collect();
            latest_date(store, &city).await?
        }
    };
    let year = pick_year(year, latest)?;
    Ok(stored_city_assessment(store, name, year, &AssessOptions::default()).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaled_text_round_trips() {
        assert_eq!(format_scaled(0), "0");
        assert_eq!(format_scaled(125_000), "12.5");
        assert_eq!(format_scaled(3), "0.0003");
        assert_eq!(format_scaled(4_290_000), "429");
        let date = NaiveDate::from_ymd_opt(2016, 2, 29).unwrap();
        let mut d = DayRecord::empty(date);
        d.set(Pollutant::Co, 23, Some(12_345)).unwrap();
        d.set(Pollutant::Pm25, 23, Some(350_000)).unwrap();
        let series = vec![HourlySeries {
            station: "S1".into(),
            days: vec![d],
        }];
        let rows = hours_from_series(&series, "import");
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].hour, "2016-02-29T23:00");
        assert_eq!(rows[0].values[2].as_deref(), Some("1.2345"));
        let stored: Vec<AirHour> = rows
            .iter()
            .map(|r| AirHour {
                station_code: r.station_code.clone(),
                hour: r.hour.clone(),
                revision: 1,
                values: r.values.clone(),
                source: r.source.clone(),
                imported_at: String::new(),
            })
            .collect();
        assert_eq!(series_from_hours(&stored).unwrap(), series);
        let mut bad = stored[0].clone();
        bad.values[0] = Some("1e3".into());
        assert!(matches!(
            series_from_hours(&[bad]),
            Err(AirDataError::Corrupt { column, .. }) if column == "so2"
        ));
    }
}
