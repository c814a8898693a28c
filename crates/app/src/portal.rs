//! 信息公开: what the public portal shows, and nothing more. Every figure here is public by
//! nature (published air quality, water classes, the plan's own progress, grades already
//! published): no device MN, no alarm, no department's lateness, no internal note.
//!
//! The air is the latest hour's real-time AQI of each station (HJ 633 实时报, with its 24-hour
//! and 8-hour moving means) with the HJ 633 health effect and advice of its level; a county is
//! coloured by the highest station AQI inside it, and says so. Station daily AQI, section
//! classes and the plan's values by year are the open data downloads.

use std::collections::BTreeMap;

use chrono::{Datelike, Duration, NaiveDate};
use qingshan_air::assess::{AssessOptions, daily_aqi};
use qingshan_air::realtime::realtime_report;
use qingshan_air::{AqiLevel, AqiStandard};
use qingshan_plan::{DivisionLevel, Plan};
use qingshan_store::{Store, labels};
use serde::Serialize;

use crate::air::{date_of, series_from_hours, year_bounds};
use crate::cockpit::{NO_DATA_FILL, class_fill, class_label};
use crate::{Error, Result};

/// One station's latest real-time AQI with the health advice of its level.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StationNow {
    /// Station name.
    pub name: String,
    /// Its county's name (`—` when not located in one).
    pub county: String,
    /// The hour of the figure, Beijing time (`2026-12-03 09:00`).
    pub hour: Option<String>,
    /// The real-time AQI; `None`: not enough data that hour.
    pub aqi: Option<u32>,
    /// Level 1–6.
    pub level: Option<u8>,
    /// 优 … 严重污染.
    pub category: Option<&'static str>,
    /// The level's colour.
    pub colour: &'static str,
    /// Primary pollutants (PM2.5 …).
    pub primary: Vec<&'static str>,
    /// HJ 633 对健康影响情况.
    pub health_effect: Option<&'static str>,
    /// HJ 633 建议采取的措施.
    pub advice: Option<&'static str>,
    /// Map position in the plan's coordinate system, when the station has one.
    #[serde(skip)]
    pub position: Option<(f64, f64)>,
}

/// A county's colour on the map: the highest station AQI inside it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct CountyNow {
    /// GB/T 2260 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The highest station real-time AQI in it.
    pub aqi: Option<u32>,
    /// Its category.
    pub category: Option<&'static str>,
    /// Fill colour.
    pub fill: &'static str,
}

/// A heavy-pollution warning in force, as the public reads it.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct WarningNow {
    /// 黄色预警（Ⅲ级） …
    pub level: String,
    /// 全市 or the counties.
    pub areas: String,
    /// Since, Beijing time.
    pub since: String,
    /// 文号.
    pub document_no: Option<String>,
}

/// One surface-water section's class in a year.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct SectionClass {
    /// Section name.
    pub name: String,
    /// 河流 or 湖库, with the basin when known (`河流（滹沱河）`).
    pub water_body: String,
    /// County name (`—` when none).
    pub county: String,
    /// 国考, 省考 …
    pub level: String,
    /// The year.
    pub year: i32,
    /// Annual class (Ⅲ类 …) or 无数据.
    pub class: String,
    /// The class's colour.
    pub fill: &'static str,
    /// 水质目标.
    pub target: String,
    /// 达标 / 未达标 / 无数据, in words.
    pub meets_target: &'static str,
    /// Sampling dates and automatic days behind the class.
    pub samples: usize,
}

/// One indicator's progress in plain words.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct IndicatorProgress {
    /// Number.
    pub number: u32,
    /// Category.
    pub category: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Baseline, as the plan says it.
    pub baseline: String,
    /// The plan's targets, `2025 年：…`.
    pub targets: Vec<String>,
    /// The city's value per year (数据不足 values left out: they are not values).
    pub years: Vec<(i64, String)>,
    /// One sentence: where the city stands.
    pub words: String,
}

/// Everything the portal's home shows.
#[derive(Debug, Clone, Serialize)]
pub struct PortalHome {
    /// The newest hour with station data, Beijing time.
    pub latest_hour: Option<String>,
    /// Stations, in code order.
    pub stations: Vec<StationNow>,
    /// Counties, in the plan's order.
    pub counties: Vec<CountyNow>,
    /// Warnings in force.
    pub warnings: Vec<WarningNow>,
    /// The newest water year with samples.
    pub water_year: Option<i32>,
    /// Sections of that year.
    pub sections: Vec<SectionClass>,
    /// The plan's indicators.
    pub indicators: Vec<IndicatorProgress>,
    /// 绩效分级 grades published and valid today.
    pub grades_published: usize,
}

/// A county's name by code (`—` for none).
fn county_name(plan: &Plan, code: Option<&str>) -> String {
    code.and_then(|c| plan.division(c))
        .map_or_else(|| "—".to_string(), |d| d.name.clone())
}

/// `2026-12-03T09:00` → `2026-12-03 09:00`.
fn hour_words(hour: &str) -> String {
    hour.replacen('T', " ", 1)
}

/// Each station's latest real-time AQI (stations retired by `today` left out), and the
/// counties' colours.
pub async fn air_now(
    store: &Store,
    plan: &Plan,
    today: NaiveDate,
) -> Result<(Option<String>, Vec<StationNow>, Vec<CountyNow>)> {
    let retired = crate::stations::retired_from(&store.air_station_retirements().await?);
    let stations: Vec<_> = store
        .air_stations()
        .await?
        .into_iter()
        .filter(|s| retired.get(&s.code).is_none_or(|d| *d > today))
        .collect();
    let coverage = store.air_coverage().await?;
    let latest = coverage
        .iter()
        .filter(|c| stations.iter().any(|s| s.code == c.station_code))
        .map(|c| c.last_hour.clone())
        .max();
    let crs = plan.map.as_ref().map(|m| m.crs);
    let mut out = Vec::with_capacity(stations.len());
    // One read of the last two days covers every station's 24-hour moving means.
    let series = match latest.as_deref().and_then(date_of) {
        Some(day) => {
            let hours = store.air_hours(None, day - Duration::days(1), day).await?;
            series_from_hours(&hours)?
        }
        None => Vec::new(),
    };
    let opts = qingshan_air::aqi::AqiOptions::default();
    for s in &stations {
        let last = coverage
            .iter()
            .find(|c| c.station_code == s.code)
            .map(|c| c.last_hour.clone());
        // A station whose newest hour is not the network's newest is shown at its own hour.
        let report = last.as_deref().and_then(|h| {
            let day = date_of(h)?;
            let hour: usize = h.get(11..13)?.parse().ok()?;
            let one = series.iter().find(|x| x.station == s.code)?;
            Some(realtime_report(one, day, hour, None, &opts))
        });
        let level = report.as_ref().and_then(|r| r.level);
        let standard = report
            .as_ref()
            .map_or(AqiStandard::for_date(today), |r| r.standard);
        let position = (|| {
            let lon = s.longitude.as_deref()?.parse::<f64>().ok()?;
            let lat = s.latitude.as_deref()?.parse::<f64>().ok()?;
            Some(crs?.from_wgs84(lon, lat))
        })();
        out.push(StationNow {
            name: s.name.clone(),
            county: county_name(plan, s.division_code.as_deref()),
            hour: last.as_deref().filter(|_| report.is_some()).map(hour_words),
            aqi: report.as_ref().and_then(|r| r.aqi),
            level: level.map(AqiLevel::number),
            category: level.map(AqiLevel::category),
            colour: level.map_or(NO_DATA_FILL, AqiLevel::color),
            primary: report
                .as_ref()
                .map(|r| r.primary.iter().map(|p| p.name()).collect())
                .unwrap_or_default(),
            health_effect: level.map(|l| l.health_effect(standard)),
            advice: level.map(|l| l.advice(standard)),
            position,
        });
    }
    let counties = plan
        .divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| {
            let aqi = stations
                .iter()
                .zip(&out)
                .filter(|(s, _)| s.division_code.as_deref() == Some(d.code.as_str()))
                .filter_map(|(_, n)| n.aqi)
                .max();
            let level = aqi.map(AqiLevel::from_aqi);
            CountyNow {
                code: d.code.clone(),
                name: d.name.clone(),
                aqi,
                category: level.map(AqiLevel::category),
                fill: level.map_or(NO_DATA_FILL, AqiLevel::color),
            }
        })
        .collect();
    Ok((latest.as_deref().map(hour_words), out, counties))
}

/// The heavy-pollution warnings in force.
pub async fn warnings_now(store: &Store) -> Result<Vec<WarningNow>> {
    Ok(store
        .active_heavy_warnings()
        .await?
        .into_iter()
        .map(|w| WarningNow {
            level: labels::warning_level(&w.level).into_owned(),
            areas: crate::warnings::areas_text(&w.areas),
            since: crate::warnings::bj(&w.start_at),
            document_no: w.document_no,
        })
        .collect())
}

/// The newest year (this year or up to four before) with water samples.
pub async fn latest_water_year(store: &Store, today: NaiveDate) -> Result<Option<i32>> {
    for y in (today.year() - 4..=today.year()).rev() {
        if !store.water_samples(None, y).await?.is_empty() {
            return Ok(Some(y));
        }
    }
    Ok(None)
}

/// Every section's class of `year`.
pub async fn sections(store: &Store, plan: &Plan, year: i32) -> Result<Vec<SectionClass>> {
    let years = crate::water::sections_year(store, year).await?;
    Ok(years
        .iter()
        .map(|s| {
            let (class, fill, meets) = match s.annual.class {
                Some(c) => (
                    class_label(c).to_string(),
                    class_fill(c),
                    if c <= s.target { "达标" } else { "未达标" },
                ),
                None => ("无数据".to_string(), NO_DATA_FILL, "无数据"),
            };
            SectionClass {
                name: s.section.name.clone(),
                water_body: {
                    let kind = match s.body {
                        qingshan_water::standard::WaterBody::River => "河流",
                        qingshan_water::standard::WaterBody::Lake => "湖库",
                    };
                    match &s.section.basin {
                        Some(b) => format!("{kind}（{b}）"),
                        None => kind.to_string(),
                    }
                },
                county: county_name(plan, s.section.division_code.as_deref()),
                level: s.section.level.clone(),
                year,
                class,
                fill,
                target: class_label(s.target).to_string(),
                meets_target: meets,
                samples: s.dates + s.automatic_days,
            }
        })
        .collect())
}

/// The plan's indicators with the city's values by year, in plain words.
pub async fn plan_progress(store: &Store, plan: &Plan) -> Result<Vec<IndicatorProgress>> {
    let values = store.current_indicator_values(&plan.meta.id).await?;
    let mut by_indicator: BTreeMap<i64, Vec<(i64, String)>> = BTreeMap::new();
    for v in values
        .iter()
        .filter(|v| v.division_code == plan.meta.division && !v.insufficient())
    {
        by_indicator
            .entry(v.indicator_number)
            .or_default()
            .push((v.year, v.value.clone()));
    }
    Ok(plan
        .indicators
        .iter()
        .map(|ind| {
            let mut years = by_indicator
                .remove(&i64::from(ind.number))
                .unwrap_or_default();
            years.sort();
            let targets: Vec<String> = ind
                .targets
                .iter()
                .map(|t| format!("{} 年：{}", t.year, t.text))
                .collect();
            let next = ind.targets.iter().map(|t| t.year).min();
            let unit = if ind.unit.is_empty() || ind.unit == "—" {
                String::new()
            } else {
                ind.unit.clone()
            };
            let words = match years.last() {
                Some((y, v)) => {
                    let mut w = format!("{y} 年为 {v}{unit}");
                    if !ind.baseline_text.is_empty() {
                        w.push_str(&format!(
                            "；基期 {} 年为 {}",
                            plan.meta.baseline_year, ind.baseline_text
                        ));
                    }
                    if let Some(t) = ind
                        .targets
                        .iter()
                        .filter(|t| i64::from(t.year) >= *y)
                        .min_by_key(|t| t.year)
                    {
                        w.push_str(&format!("；{} 年目标是 {}", t.year, t.text));
                    }
                    w.push('。');
                    w
                }
                None => match next {
                    Some(_) => format!("尚无公布的数值；规划目标：{}。", targets.join("，")),
                    None => "尚无公布的数值。".to_string(),
                },
            };
            IndicatorProgress {
                number: ind.number,
                category: ind.category.clone(),
                name: ind.name.clone(),
                unit: ind.unit.clone(),
                baseline: ind.baseline_text.clone(),
                targets,
                years,
                words,
            }
        })
        .collect())
}

/// Everything the home shows, for `today` (Beijing date).
pub async fn home(store: &Store, plan: &Plan, today: NaiveDate) -> Result<PortalHome> {
    let (latest_hour, stations, counties) = air_now(store, plan, today).await?;
    let water_year = latest_water_year(store, today).await?;
    let sections = match water_year {
        Some(y) => sections(store, plan, y).await?,
        None => Vec::new(),
    };
    let grades_published = crate::heavy::grades_published(store)
        .await?
        .iter()
        .filter(|g| g.valid_on(today))
        .count();
    Ok(PortalHome {
        latest_hour,
        stations,
        counties,
        warnings: warnings_now(store).await?,
        water_year,
        sections,
        indicators: plan_progress(store, plan).await?,
        grades_published,
    })
}

/// One row of the station daily AQI download.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct StationDay {
    /// Date.
    pub date: String,
    /// Station name.
    pub station: String,
    /// County name.
    pub county: String,
    /// Daily AQI (`None`: NA).
    pub aqi: Option<u32>,
    /// Category.
    pub category: Option<&'static str>,
    /// Primary pollutants, joined with 、.
    pub primary: String,
}

/// Every station's daily AQI of `year` (HJ 633 日报), by date then station.
pub async fn station_days(store: &Store, plan: &Plan, year: i32) -> Result<Vec<StationDay>> {
    let (from, to) = year_bounds(year);
    let stations = store.air_stations().await?;
    let hours = store.air_hours(None, from, to).await?;
    let series = series_from_hours(&hours)?;
    let opts = AssessOptions::default();
    let mut rows = Vec::new();
    for s in &series {
        let Some(st) = stations.iter().find(|x| x.code == s.station) else {
            continue;
        };
        let county = county_name(plan, st.division_code.as_deref());
        for d in &s.days {
            let a = daily_aqi(d, &opts);
            rows.push(StationDay {
                date: d.date.format("%Y-%m-%d").to_string(),
                station: st.name.clone(),
                county: county.clone(),
                aqi: a.report.aqi,
                category: a.report.level.map(AqiLevel::category),
                primary: a
                    .report
                    .primary
                    .iter()
                    .map(|p| p.name())
                    .collect::<Vec<_>>()
                    .join("、"),
            });
        }
    }
    rows.sort_by(|a, b| (&a.date, &a.station).cmp(&(&b.date, &b.station)));
    Ok(rows)
}

/// The year a download asks for: `None` → the newest year with station data (or this year);
/// a year outside 2000–2100 is refused in Chinese.
pub async fn air_year(store: &Store, year: Option<i32>, today: NaiveDate) -> Result<i32> {
    match year {
        Some(y) if (2000..=2100).contains(&y) => Ok(y),
        Some(y) => Err(Error::invalid("年份", format!("{y} 不在 2000–2100 之间"))),
        None => Ok(store
            .air_coverage()
            .await?
            .iter()
            .filter_map(|c| date_of(&c.last_hour))
            .max()
            .map_or(today.year(), |d| d.year())),
    }
}

/// A permit's public part (全国排污许可证管理信息平台 publishes the same): holder, county,
/// industry, class, number and validity.
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct PermitPublic {
    /// The holder's name.
    pub enterprise: String,
    /// County name.
    pub county: String,
    /// Industry, as registered.
    pub industry: String,
    /// 重点管理 / 简化管理 / 登记管理.
    pub class: String,
    /// Permit number.
    pub number: String,
    /// Valid from.
    pub valid_from: String,
    /// Valid to.
    pub valid_to: String,
}

/// Every registered permit's public part, by holder name.
pub async fn permits(store: &Store, plan: &Plan) -> Result<Vec<PermitPublic>> {
    let registry = store.export_registry().await?;
    let mut out: Vec<PermitPublic> = registry
        .permits
        .iter()
        .filter_map(|p| {
            let e = registry
                .enterprises
                .iter()
                .find(|e| e.credit_code == p.credit_code)?;
            Some(PermitPublic {
                enterprise: e.name.clone(),
                county: county_name(plan, e.division_code.as_deref()),
                industry: e.industry.clone().unwrap_or_else(|| "—".into()),
                class: e
                    .permit_class
                    .as_deref()
                    .and_then(qingshan_sources::permit_class_name)
                    .unwrap_or("—")
                    .to_string(),
                number: p.number.clone(),
                valid_from: p.valid_from.clone(),
                valid_to: p.valid_to.clone(),
            })
        })
        .collect();
    out.sort_by(|a, b| (&a.enterprise, &a.number).cmp(&(&b.enterprise, &b.number)));
    Ok(out)
}
