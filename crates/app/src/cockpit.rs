//! The home page (驾驶舱): the city's latest air quality, this year's figures against the plan's
//! targets with their data capture, the water sections, what needs attention, tasks overdue,
//! a monthly trend, and every county's figure of a chosen measure for the map and the ranking.
//!
//! Every figure says what it rests on; a figure the data do not support is not given: a county
//! without data is 无数据, a year-to-date figure below the capture rule is 数据不足.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use qingshan_air::assess::{AnnualAssessment, AssessOptions, DailyAqi, assess_days};
use qingshan_air::standard::Pollutant;
use qingshan_plan::{DivisionLevel, Plan, TargetKind};
use qingshan_store::Store;
use qingshan_water::standard::Class;
use serde::Serialize;

use crate::air::{CITY_LEVEL, city_daily, city_series, county_series, date_of, year_bounds};
use crate::{Result, sources, water};

/// Valid days a year needs (GB 3095-2012 Table 4: 324 of 365): the share a year-to-date
/// figure needs of the days elapsed, else it is 数据不足.
pub const YEAR_VALID_DAYS: i64 = 324;
/// Valid daily values a month needs (GB 3095-2012 Table 4: 27; February 25).
const MONTH_VALID_DAYS: u32 = 27;
const FEBRUARY_VALID_DAYS: u32 = 25;

/// Colour of a county (or ranking cell) without a figure.
pub const NO_DATA_FILL: &str = "#E4E8EA";

/// What the map colours the counties by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum Measure {
    /// The latest day's AQI.
    Aqi,
    /// 优良天数比例 of the year so far.
    GoodDays,
    /// The worst class of the county's water sections.
    Water,
    /// Incidents waiting to be handled (staff only).
    Alarms,
}

impl Measure {
    /// Every measure, in the order of the page's links.
    pub const ALL: [Measure; 4] = [
        Measure::Aqi,
        Measure::GoodDays,
        Measure::Water,
        Measure::Alarms,
    ];

    /// The `?measure=` word.
    pub fn key(self) -> &'static str {
        match self {
            Measure::Aqi => "aqi",
            Measure::GoodDays => "good",
            Measure::Water => "water",
            Measure::Alarms => "alarms",
        }
    }

    /// Parses the `?measure=` word.
    pub fn parse(s: &str) -> Option<Measure> {
        Measure::ALL.into_iter().find(|m| m.key() == s)
    }

    /// The Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            Measure::Aqi => "最新日 AQI",
            Measure::GoodDays => "优良天数比例（年内累计）",
            Measure::Water => "断面水质（最差类别）",
            Measure::Alarms => "待处理事件",
        }
    }

    /// Only the bureau's staff see it.
    pub fn staff_only(self) -> bool {
        self == Measure::Alarms
    }
}

/// One county's figure for the chosen measure.
#[derive(Debug, Clone, Serialize)]
pub struct CountyFigure {
    /// GB/T 2260 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// The figure to rank by (lower is better for every measure); `None` without a figure.
    pub rank_value: Option<f64>,
    /// The figure in words (`85（良）`, `无数据`, `数据不足（…）`).
    pub text: String,
    /// Fill colour; `None` without a figure.
    pub fill: Option<&'static str>,
    /// What the figure rests on.
    pub note: String,
    /// Page of the figure.
    pub href: String,
}

/// A year-to-date figure with its capture.
#[derive(Debug, Clone, Serialize)]
pub struct YtdFigure {
    /// The figure (`None` when the capture does not support it, or without data).
    pub value: Option<String>,
    /// Valid days so far.
    pub valid_days: u32,
    /// Days elapsed in the year up to the last day counted.
    pub elapsed_days: i64,
    /// 数据获取率, percent to one decimal.
    pub capture: Option<String>,
    /// The capture meets the rule.
    pub sufficient: bool,
    /// The plan's target in force for the year (or the next milestone's), in words.
    pub target: Option<String>,
    /// Indicator page.
    pub href: String,
}

/// A point on the map, already in the map's coordinate system.
#[derive(Debug, Clone, Serialize)]
pub struct MapPoint {
    /// Longitude.
    pub lon: f64,
    /// Latitude.
    pub lat: f64,
    /// Tooltip.
    pub tooltip: String,
    /// Fill colour.
    pub fill: &'static str,
    /// Link.
    pub href: Option<String>,
}

/// What needs attention in one county (staff only).
#[derive(Debug, Clone, Serialize)]
pub struct CountyAttention {
    /// GB/T 2260 code.
    pub code: String,
    /// Name.
    pub name: String,
    /// Incidents waiting to be handled (待处理).
    pub open_alarms: usize,
    /// Devices not delivering.
    pub offline_devices: usize,
    /// 督办 orders past their deadline and not answered (逾期).
    pub overdue_orders: usize,
    /// Devices registered.
    pub devices: usize,
}

/// Everything the home page shows.
#[derive(Debug, Clone, Serialize)]
pub struct Cockpit {
    /// The measure of the map and the ranking.
    pub measure: Measure,
    /// The latest day with city data.
    pub latest_date: Option<String>,
    /// The city's AQI that day.
    pub latest_aqi: Option<u32>,
    /// Its category (优 …).
    pub latest_category: Option<&'static str>,
    /// Its colour.
    pub latest_colour: Option<&'static str>,
    /// Primary pollutants that day.
    pub latest_primary: Vec<&'static str>,
    /// The year of the year-to-date figures.
    pub year: i32,
    /// 优良天数比例 so far (indicator 11).
    pub good_days: YtdFigure,
    /// PM2.5 mean so far, µg/m³ (indicator 12).
    pub pm25: YtdFigure,
    /// The water year shown.
    pub water_year: Option<i32>,
    /// Share of 国考 sections at Class III or better (indicator 13).
    pub water_share: Option<String>,
    /// Sections with a class that year.
    pub water_classified: usize,
    /// Incidents waiting to be handled and offline devices by county (staff only; empty otherwise).
    pub attention: Vec<CountyAttention>,
    /// Total open alarms (staff only).
    pub open_alarms: Option<usize>,
    /// Total devices not delivering (staff only).
    pub offline_devices: Option<usize>,
    /// Total 督办 orders overdue (staff only).
    pub overdue_orders: Option<usize>,
    /// Cases whose rectification deadline passed while still 整改中 (staff only).
    pub overdue_cases: Option<usize>,
    /// Inspection problems (督察整改) overdue and at risk (staff only).
    pub inspections: Option<crate::inspections::Attention>,
    /// Tasks without a report for last year or later (逾期未报).
    pub overdue_tasks: usize,
    /// Tasks of the plan.
    pub tasks: usize,
    /// The year before this one: a task must have reported for it or later.
    pub due_year: i32,
    /// Monthly PM2.5 of the year: (month, mean, label) for months meeting the validity rule.
    pub trend: Vec<(u32, f64, String)>,
    /// Every county's figure, in the plan's order.
    pub counties: Vec<CountyFigure>,
    /// Legend of the measure: (colour, words).
    pub legend: Vec<(&'static str, String)>,
    /// Air stations on the map.
    pub stations: Vec<MapPoint>,
    /// Enterprises on the map.
    pub enterprises: Vec<MapPoint>,
}

fn days_in_year(y: i32) -> i64 {
    if NaiveDate::from_ymd_opt(y, 2, 29).is_some() {
        366
    } else {
        365
    }
}

/// Days of `year` elapsed by `today` (the whole year when it is over).
fn elapsed(year: i32, today: NaiveDate) -> i64 {
    if year < today.year() {
        days_in_year(year)
    } else if year == today.year() {
        i64::from(today.ordinal())
    } else {
        0
    }
}

/// Whether `valid` of `elapsed` days meets the share of a year's rule (324/365).
pub fn capture_sufficient(valid: u32, elapsed: i64) -> bool {
    elapsed > 0 && i64::from(valid) * 365 >= YEAR_VALID_DAYS * elapsed
}

fn percent(num: i64, den: i64) -> Option<String> {
    qingshan_air::Ratio::new(i128::from(num) * 100, i128::from(den)).map(|r| r.format_gbt8170(1))
}

/// The target of indicator `number` for `year`: the province's assignment for the city when one
/// is recorded (the plan's target for 11 and 12 is 完成省级下达任务), else the plan's target of
/// that year or the next milestone.
fn target_text(
    plan: &Plan,
    assigned: &[qingshan_store::AssignedTargetRow],
    number: u32,
    year: i32,
) -> Option<String> {
    let ind = plan.indicator(number)?;
    if let Some(a) = assigned.iter().find(|a| {
        a.indicator_number == i64::from(number)
            && a.year == i64::from(year)
            && a.division_code == plan.meta.division
    }) {
        return Some(format!("{year} 年省级下达目标：{}{}", a.value, ind.unit));
    }
    let t = ind
        .targets
        .iter()
        .filter(|t| t.year >= year)
        .min_by_key(|t| t.year)?;
    let what = match &t.kind {
        TargetKind::Value { value } => format!("{value}{}", ind.unit),
        _ => t.text.clone(),
    };
    Some(format!("{} 年目标：{what}", t.year))
}

fn ytd(
    a: &AnnualAssessment,
    value: Option<String>,
    year: i32,
    today: NaiveDate,
    target: Option<String>,
    href: String,
) -> YtdFigure {
    let elapsed_days = elapsed(year, today);
    let sufficient = capture_sufficient(a.valid_days, elapsed_days);
    YtdFigure {
        value: if sufficient { value } else { None },
        valid_days: a.valid_days,
        elapsed_days,
        capture: percent(i64::from(a.valid_days), elapsed_days),
        sufficient,
        target,
        href,
    }
}

/// Roman class words of GB 3838.
pub fn class_label(c: Class) -> &'static str {
    match c {
        Class::I => "Ⅰ类",
        Class::II => "Ⅱ类",
        Class::III => "Ⅲ类",
        Class::IV => "Ⅳ类",
        Class::V => "Ⅴ类",
        Class::WorseThanV => "劣Ⅴ类",
    }
}

/// Map colour of a water class (blue for Ⅰ–Ⅱ, green Ⅲ, yellow Ⅳ, orange Ⅴ, red 劣Ⅴ, as the
/// bulletins' status colours).
pub fn class_fill(c: Class) -> &'static str {
    match c {
        Class::I | Class::II => "#4A90D9",
        Class::III => "#4CAF50",
        Class::IV => "#F2C94C",
        Class::V => "#F2994A",
        Class::WorseThanV => "#D64541",
    }
}

const GOOD_BREAKS: [(f64, &str, &str); 4] = [
    (90.0, "#2E7D32", "≥ 90%"),
    (80.0, "#81C784", "80%–90%"),
    (70.0, "#F2C94C", "70%–80%"),
    (0.0, "#D64541", "< 70%"),
];

const ALARM_FILLS: [(usize, &str, &str); 3] = [
    (0, "#C8E6C9", "无待处理事件"),
    (1, "#F2C94C", "1–4 个"),
    (5, "#D64541", "≥ 5 个"),
];

fn aqi_levels() -> [qingshan_air::AqiLevel; 6] {
    use qingshan_air::AqiLevel::*;
    [L1, L2, L3, L4, L5, L6]
}

/// The newest year (this year or up to four before) with water samples.
async fn latest_water_year(store: &Store, today: NaiveDate) -> Result<Option<i32>> {
    for y in (today.year() - 4..=today.year()).rev() {
        if !store.water_samples(None, y).await?.is_empty() {
            return Ok(Some(y));
        }
    }
    Ok(None)
}

fn monthly_pm25_valid(days: &[DailyAqi]) -> Vec<(u32, f64, String)> {
    let mut by_month: BTreeMap<u32, Vec<qingshan_air::Ratio>> = BTreeMap::new();
    for d in days {
        if let Some(v) = d.values.value(Pollutant::Pm25) {
            by_month.entry(d.values.date.month()).or_default().push(v);
        }
    }
    by_month
        .into_iter()
        .filter(|(m, v)| {
            let need = if *m == 2 {
                FEBRUARY_VALID_DAYS
            } else {
                MONTH_VALID_DAYS
            };
            v.len() >= need as usize
        })
        .filter_map(|(m, vals)| {
            let n = i128::try_from(vals.len()).ok()?;
            let mean = qingshan_air::Ratio::sum(&vals).div_int(n)?;
            Some((m, mean.to_f64(), mean.format_gbt8170(0)))
        })
        .collect()
}

/// Computes the home page for `today` (Beijing date). `staff` decides whether attention and
/// alarm figures are computed at all: the public page never holds them. An inspection problem
/// is at risk within `warn_days` of its deadline.
pub async fn cockpit(
    store: &Store,
    plan: &Plan,
    staff: bool,
    measure: Measure,
    today: NaiveDate,
    warn_days: u32,
) -> Result<Cockpit> {
    let opts = AssessOptions::default();
    let city_name = plan
        .division(&plan.meta.division)
        .map_or("全市", |d| d.name.as_str())
        .to_string();
    let counties: Vec<(&str, &str)> = plan
        .divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    let stations = store.air_stations().await?;
    let coverage = store.air_coverage().await?;
    let last_of = |code: &str| {
        coverage
            .iter()
            .find(|c| c.station_code == code)
            .and_then(|c| date_of(&c.last_hour))
    };
    let latest = stations
        .iter()
        .filter(|s| s.control_level == CITY_LEVEL)
        .filter_map(|s| last_of(&s.code))
        .max();
    let year = latest.map_or(today.year(), |d| d.year());

    // The city's year so far: the latest day, the assessment, the monthly trend.
    let (from, to) = year_bounds(year);
    let (_, series) = city_series(store, from, to).await?;
    let days = city_daily(&series, &opts);
    let a = assess_days(&city_name, year, &days, &opts);
    let last_day = latest.and_then(|d| days.iter().find(|x| x.values.date == d));
    let good_value = a
        .good_days_ratio
        .map(|r| format!("{}%", r.format_gbt8170(1)));
    let pm25_value = a
        .pollutants
        .get(Pollutant::Pm25.index())
        .and_then(|p| p.mean)
        .map(|m| format!("{} µg/m³", m.format_gbt8170(0)));
    let assigned = store.current_assigned_targets(&plan.meta.id).await?;
    let good_days = ytd(
        &a,
        good_value,
        year,
        today,
        target_text(plan, &assigned, 11, year),
        "/indicators/11".into(),
    );
    let pm25 = ytd(
        &a,
        pm25_value,
        year,
        today,
        target_text(plan, &assigned, 12, year),
        "/indicators/12".into(),
    );
    let trend = monthly_pm25_valid(&days);

    // Water: the newest year with samples.
    let water_year = latest_water_year(store, today).await?;
    let sections = match water_year {
        Some(y) => water::sections_year(store, y).await?,
        None => Vec::new(),
    };
    let (water_share, water_classified) = match water_year {
        Some(y) => {
            let w = water::water_year(y, &sections)?;
            (
                w.share_iii_or_better,
                sections.iter().filter(|s| s.annual.class.is_some()).count(),
            )
        }
        None => (None, 0),
    };

    // Devices and alarms (staff only): counted per county in the database, since a province
    // holds tens of thousands of devices (reading each made the page take seconds).
    let now = chrono::Utc::now();
    let devices = if staff {
        store
            .device_counts_by_county(|interval| sources::online_since(now, interval))
            .await?
    } else {
        Default::default()
    };
    // Incidents (consecutive alarms merged), not single alarms, waiting to be handled.
    let open_by_county = if staff {
        crate::incidents::open_by_county(store).await?
    } else {
        Default::default()
    };
    let open_total: i64 = if staff {
        crate::incidents::open_count(store, None).await?
    } else {
        0
    };
    let overdue_orders: BTreeMap<String, i64> = if staff {
        store
            .overdue_orders_by_county(&crate::marks::stored_time(now))
            .await?
            .into_iter()
            .filter_map(|(c, n)| c.map(|c| (c, n)))
            .collect()
    } else {
        BTreeMap::new()
    };
    let overdue_cases = if staff {
        let f = qingshan_store::CaseFilter {
            overdue_at: Some(crate::marks::stored_time(now)),
            ..Default::default()
        };
        Some(store.cases_paged(&f, 1, 0).await?.total as usize)
    } else {
        None
    };
    let inspections = if staff {
        Some(crate::inspections::attention(store, today, warn_days).await?)
    } else {
        None
    };
    let attention: Vec<CountyAttention> = if staff {
        counties
            .iter()
            .map(|(code, name)| {
                let (here, online) = devices
                    .get(&Some(code.to_string()))
                    .copied()
                    .unwrap_or((0, 0));
                CountyAttention {
                    code: code.to_string(),
                    name: name.to_string(),
                    open_alarms: open_by_county.get(*code).copied().unwrap_or(0) as usize,
                    offline_devices: here.saturating_sub(online) as usize,
                    overdue_orders: overdue_orders.get(*code).copied().unwrap_or(0) as usize,
                    devices: here as usize,
                }
            })
            .collect()
    } else {
        Vec::new()
    };

    // Tasks overdue: the rule of the tasks page (no report for last year or later).
    let reports = store.all_task_reports(&plan.meta.id).await?;
    let latest_reports = crate::tasks::latest_task_reports(&reports);
    let due_year = crate::tasks::due_year(today);
    let overdue_tasks = plan
        .tasks()
        .filter(|t| {
            crate::tasks::overdue(
                latest_reports
                    .get(&(i64::from(t.area), i64::from(t.number)))
                    .copied(),
                due_year,
            )
        })
        .count();

    // The counties' figures of the chosen measure.
    let mut figures = Vec::with_capacity(counties.len());
    let mut legend: Vec<(&'static str, String)> = Vec::new();
    match measure {
        Measure::Aqi => {
            for l in aqi_levels() {
                legend.push((l.color(), format!("{}（{}）", l.category(), l.number())));
            }
        }
        Measure::GoodDays => {
            for (_, fill, words) in GOOD_BREAKS {
                legend.push((fill, words.to_string()));
            }
            legend.push((NO_DATA_FILL, "数据不足".into()));
        }
        Measure::Water => {
            for c in [
                Class::II,
                Class::III,
                Class::IV,
                Class::V,
                Class::WorseThanV,
            ] {
                let words = if c == Class::II {
                    "Ⅰ–Ⅱ类"
                } else {
                    class_label(c)
                };
                legend.push((class_fill(c), words.to_string()));
            }
        }
        Measure::Alarms => {
            for (_, fill, words) in ALARM_FILLS {
                legend.push((fill, words.to_string()));
            }
        }
    }
    legend.push((NO_DATA_FILL, "无数据".into()));
    for (code, name) in &counties {
        let seg = crate::path_segment(code);
        let air_href = format!("/air/counties/{seg}");
        let has_stations = stations
            .iter()
            .any(|s| s.division_code.as_deref() == Some(*code));
        let (rank_value, text, fill, note, href) = match measure {
            Measure::Aqi => match latest {
                Some(d) if has_stations => {
                    let (_, s) = county_series(store, code, d, d).await?;
                    let day = city_daily(&s, &opts).into_iter().next();
                    match day.and_then(|x| x.report.aqi.map(|v| (v, x.report.level))) {
                        Some((v, level)) => (
                            Some(f64::from(v)),
                            format!("{v}（{}）", level.map_or("—", |l| l.category())),
                            level.map(|l| l.color()),
                            format!("{d} 日 AQI"),
                            air_href,
                        ),
                        None => (
                            None,
                            "无数据".into(),
                            None,
                            format!("{d} 无有效日均值"),
                            air_href,
                        ),
                    }
                }
                _ => (
                    None,
                    "无数据".into(),
                    None,
                    "区县内无空气站点数据".into(),
                    air_href,
                ),
            },
            Measure::GoodDays => {
                if has_stations {
                    let (_, s) = county_series(store, code, from, to).await?;
                    let cd = city_daily(&s, &opts);
                    let ca = assess_days(name, year, &cd, &opts);
                    let el = elapsed(year, today);
                    let cap = percent(i64::from(ca.valid_days), el).unwrap_or_else(|| "—".into());
                    match ca.good_days_ratio {
                        Some(r) if capture_sufficient(ca.valid_days, el) => {
                            let v = r.to_f64();
                            let fill = GOOD_BREAKS.iter().find(|(b, _, _)| v >= *b).map(|x| x.1);
                            (
                                Some(-v),
                                format!("{}%", r.format_gbt8170(1)),
                                fill,
                                format!("{year} 年有效 {}/{el} 天（获取率 {cap}%）", ca.valid_days),
                                air_href,
                            )
                        }
                        Some(_) => (
                            None,
                            "数据不足".into(),
                            None,
                            format!(
                                "{year} 年有效 {}/{el} 天（获取率 {cap}%，不足 324/365）",
                                ca.valid_days
                            ),
                            air_href,
                        ),
                        None => (
                            None,
                            "无数据".into(),
                            None,
                            format!("{year} 年无有效日"),
                            air_href,
                        ),
                    }
                } else {
                    (
                        None,
                        "无数据".into(),
                        None,
                        "区县内无空气站点".into(),
                        air_href,
                    )
                }
            }
            Measure::Water => {
                // The worst class: the cockpit is for spotting problems, and a county's one or
                // two sections have no meaningful "typical" class; the worst is never hidden.
                let here: Vec<_> = sections
                    .iter()
                    .filter(|s| s.section.division_code.as_deref() == Some(*code))
                    .collect();
                let worst = here.iter().filter_map(|s| s.annual.class).max();
                let classified = here.iter().filter(|s| s.annual.class.is_some()).count();
                match (worst, water_year) {
                    (Some(c), Some(y)) => (
                        Some(c as u8 as f64),
                        class_label(c).to_string(),
                        Some(class_fill(c)),
                        format!("{y} 年 {classified} 个断面中最差"),
                        format!("/water?year={y}"),
                    ),
                    _ => (
                        None,
                        "无数据".into(),
                        None,
                        if here.is_empty() {
                            "区县内无断面".into()
                        } else {
                            "断面无定类数据".to_string()
                        },
                        "/water".into(),
                    ),
                }
            }
            Measure::Alarms => {
                let at = attention.iter().find(|x| x.code == *code);
                let href = format!("/alarms?status=open&county={seg}");
                match at {
                    Some(x) if staff && x.devices > 0 => {
                        let fill = ALARM_FILLS
                            .iter()
                            .rev()
                            .find(|(b, _, _)| x.open_alarms >= *b)
                            .map(|f| f.1);
                        (
                            Some(x.open_alarms as f64),
                            format!("{} 个", x.open_alarms),
                            fill,
                            format!("{} 台设备", x.devices),
                            href,
                        )
                    }
                    _ => (
                        None,
                        "无数据".into(),
                        None,
                        "区县内无在线监控设备".into(),
                        href,
                    ),
                }
            }
        };
        figures.push(CountyFigure {
            code: code.to_string(),
            name: name.to_string(),
            rank_value,
            text,
            fill,
            note,
            href,
        });
    }

    // Points: stations (and enterprises), converted into the map's coordinate system.
    let crs = plan.map.as_ref().map(|m| m.crs);
    let coords = |lon: Option<&str>, lat: Option<&str>| -> Option<(f64, f64)> {
        let (lon, lat) = (lon?.parse::<f64>().ok()?, lat?.parse::<f64>().ok()?);
        Some(crs?.from_wgs84(lon, lat))
    };
    let mut station_points = Vec::new();
    for s in &stations {
        let Some((lon, lat)) = coords(s.longitude.as_deref(), s.latitude.as_deref()) else {
            continue;
        };
        station_points.push(MapPoint {
            lon,
            lat,
            tooltip: format!("空气站点 {}（{}）", s.name, s.code),
            fill: "#1E5B8C",
            href: Some(format!("/air/stations/{}", crate::path_segment(&s.code))),
        });
    }
    let mut enterprises = Vec::new();
    let registry = store.export_registry().await?;
    for e in &registry.enterprises {
        let Some((lon, lat)) = coords(e.longitude.as_deref(), e.latitude.as_deref()) else {
            continue;
        };
        let (tooltip, fill, href) = if staff {
            let n = store
                .count_incidents(&qingshan_store::IncidentFilter {
                    credit_code: Some(e.credit_code.clone()),
                    status: Some("open".into()),
                    ..Default::default()
                })
                .await?;
            (
                format!("{}：待处理事件 {n} 个", e.name),
                if n > 0 { "#D64541" } else { "#546E7A" },
                Some("/sources".to_string()),
            )
        } else {
            (format!("重点排污单位 {}", e.name), "#546E7A", None)
        };
        enterprises.push(MapPoint {
            lon,
            lat,
            tooltip,
            fill,
            href,
        });
    }

    Ok(Cockpit {
        measure,
        latest_date: latest.map(|d| d.format("%Y-%m-%d").to_string()),
        latest_aqi: last_day.and_then(|d| d.report.aqi),
        latest_category: last_day.and_then(|d| d.report.level).map(|l| l.category()),
        latest_colour: last_day.and_then(|d| d.report.level).map(|l| l.color()),
        latest_primary: last_day
            .map(|d| d.report.primary.iter().map(|s| s.name()).collect())
            .unwrap_or_default(),
        year,
        good_days,
        pm25,
        water_year,
        water_share,
        water_classified,
        open_alarms: staff.then_some(open_total as usize),
        offline_devices: staff.then(|| attention.iter().map(|a| a.offline_devices).sum()),
        overdue_orders: staff.then(|| overdue_orders.values().map(|n| *n as usize).sum()),
        overdue_cases,
        inspections,
        attention,
        overdue_tasks,
        tasks: plan.tasks().count(),
        due_year,
        trend,
        counties: figures,
        legend,
        stations: station_points,
        enterprises,
    })
}

/// The counties ranked by the figure (best first), those without one last in plan order.
pub fn ranking(figures: &[CountyFigure]) -> Vec<&CountyFigure> {
    let mut out: Vec<&CountyFigure> = figures.iter().collect();
    out.sort_by(|a, b| match (a.rank_value, b.rank_value) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capture_rule_is_324_of_365() {
        assert!(capture_sufficient(324, 365));
        assert!(!capture_sufficient(323, 365));
        assert!(!capture_sufficient(56, 365));
        // Half a year: 162 of 182 days (89 %) suffices, 150 does not.
        assert!(capture_sufficient(162, 182));
        assert!(!capture_sufficient(150, 182));
        assert!(!capture_sufficient(0, 0));
    }

    #[test]
    fn measures_round_trip_and_missing_ranks_last() {
        for m in Measure::ALL {
            assert_eq!(Measure::parse(m.key()), Some(m));
        }
        assert_eq!(Measure::parse("AQI"), None);
        let f = |code: &str, v: Option<f64>| CountyFigure {
            code: code.into(),
            name: code.into(),
            rank_value: v,
            text: String::new(),
            fill: None,
            note: String::new(),
            href: String::new(),
        };
        let figs = [f("a", None), f("b", Some(80.0)), f("c", Some(40.0))];
        let codes: Vec<&str> = ranking(&figs).iter().map(|x| x.code.as_str()).collect();
        assert_eq!(codes, ["c", "b", "a"]);
    }
}
