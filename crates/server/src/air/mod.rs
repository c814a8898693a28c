//! Ambient air quality on the web: the station list, a station's year (daily AQI table,
//! calendar heat map, monthly PM2.5 trend), the city's daily AQI and annual assessment, and
//! their JSON API. Every figure is computed from the stored hourly data by `qingshan_air`.

mod forms;
pub mod svg;

use std::collections::BTreeMap;

use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::{Datelike, Duration, NaiveDate};
use minijinja::context;
use qingshan_air::assess::{AnnualAssessment, AssessOptions, DailyAqi};
use qingshan_air::daily_aqi;
use qingshan_air::limits::{Averaging, Grade, LimitPollutant, limit};
use qingshan_air::num::Ratio;
use qingshan_air::standard::{LimitSet, Pollutant};
use qingshan_app::air::{
    AirDataError, CITY_LEVEL, city_daily, city_series, city_year, counties_with_stations,
    county_year, data_capture_note, date_of, monthly_pm25, station_series, station_year,
    year_bounds,
};
use qingshan_store::{AirCoverage, AirStation, Store};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};
use crate::web::table::Table;

/// The air pages and their JSON API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/air", get(overview))
        .route("/air/import", post(forms::import_form))
        .route("/air/template.csv", get(forms::template_csv))
        .route("/air/template.xlsx", get(forms::template_xlsx))
        .route("/air/stations", post(forms::create))
        .route("/air/stations/new", get(forms::new_form))
        .route("/air/stations/{code}", get(station_page))
        .route(
            "/air/stations/{code}/edit",
            get(forms::edit_form).post(forms::edit),
        )
        .route("/air/stations/{code}/retire", post(forms::retire))
        .route("/air/stations/{code}/devices", post(forms::link))
        .route(
            "/air/stations/{code}/devices/{mn}/unlink",
            post(forms::unlink),
        )
        .route("/air/counties/{code}", get(county_page))
        .route("/air/warning", get(warning_page))
        .route("/api/v1/air/stations", get(api_stations))
        .route("/api/v1/air/stations/{code}/daily", get(api_station_daily))
        .route(
            "/api/v1/air/stations/{code}/daily.csv",
            get(api_station_daily_csv),
        )
        .route(
            "/api/v1/air/stations/{code}/daily.xlsx",
            get(api_station_daily_xlsx),
        )
        .route("/api/v1/air/assessment", get(api_assessment))
        .route("/api/v1/air/warning", get(api_warning))
        .route(
            "/api/v1/air/counties/{code}/daily.csv",
            get(api_county_daily_csv),
        )
        .route(
            "/api/v1/air/counties/{code}/daily.xlsx",
            get(api_county_daily_xlsx),
        )
}

/// Days of city daily AQI on the air overview.
const OVERVIEW_DAYS: i64 = 30;

/// The page of a station, its code percent-encoded as one path segment.
pub fn station_href(code: &str) -> String {
    format!("/air/stations/{}", qingshan_app::path_segment(code))
}

/// A daily AQI as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct DayView {
    /// `YYYY-MM-DD`.
    pub date: String,
    /// Daily AQI.
    pub aqi: Option<u32>,
    /// Level 1–6.
    pub level: Option<u8>,
    /// 优 … 严重污染.
    pub category: Option<&'static str>,
    /// `#RRGGBB`.
    pub color: Option<&'static str>,
    /// Primary pollutants.
    pub primary_pollutants: Vec<&'static str>,
    /// IAQI per slot (SO2, NO2, CO, O3_1h, O3_8h, PM10, PM2.5).
    pub iaqi: BTreeMap<&'static str, Option<u32>>,
    /// Daily concentrations as published (GB/T 8170: integers, CO one decimal).
    pub concentrations: BTreeMap<&'static str, Option<String>>,
    /// HJ 633 edition applied.
    pub standard: &'static str,
}

fn day_view(d: &DailyAqi) -> DayView {
    let r = &d.report;
    let mut conc = BTreeMap::new();
    for p in Pollutant::ALL {
        let key = match p {
            Pollutant::O3 => "O3_8h",
            other => other.name(),
        };
        conc.insert(
            key,
            d.values
                .value(p)
                .map(|v| v.format_gbt8170(p.published_decimals())),
        );
    }
    conc.insert(
        "O3_1h",
        d.values.o3_max_1h.map(|v: Ratio| v.format_gbt8170(0)),
    );
    DayView {
        date: d.values.date.format("%Y-%m-%d").to_string(),
        aqi: r.aqi,
        level: r.level.map(|l| l.number()),
        category: r.level.map(|l| l.category()),
        color: r.level.map(|l| l.color()),
        primary_pollutants: r.primary.iter().map(|s| s.name()).collect(),
        iaqi: qingshan_air::Slot::ALL
            .iter()
            .map(|s| (s.name(), r.iaqi[s.index()]))
            .collect(),
        concentrations: conc,
        standard: r.standard.code(),
    }
}

/// A station with its coverage and its latest day's AQI.
#[derive(Debug, Clone, Serialize)]
pub struct StationView {
    /// The station.
    #[serde(flatten)]
    pub station: AirStation,
    /// First stored hour.
    pub first_hour: Option<String>,
    /// Last stored hour.
    pub last_hour: Option<String>,
    /// Distinct stored hours.
    pub hours: i64,
    /// Daily AQI of the last day with data.
    pub latest: Option<DayView>,
    /// Path of the station's page.
    pub href: String,
    /// First day it no longer counts, when retired.
    pub retired_on: Option<String>,
}

async fn station_views(store: &Store) -> Result<Vec<StationView>, AirDataError> {
    let stations = store.air_stations().await?;
    let coverage: BTreeMap<String, AirCoverage> = store
        .air_coverage()
        .await?
        .into_iter()
        .map(|c| (c.station_code.clone(), c))
        .collect();
    let retired: BTreeMap<String, String> = store
        .air_station_retirements()
        .await?
        .into_iter()
        .map(|r| (r.code, r.retired_on))
        .collect();
    let opts = AssessOptions::default();
    let mut out = Vec::with_capacity(stations.len());
    for station in stations {
        let cov = coverage.get(&station.code);
        let mut latest = None;
        if let Some(day) = cov.and_then(|c| date_of(&c.last_hour)) {
            let s = station_series(store, &station.code, day, day).await?;
            latest = s.days.first().map(|d| day_view(&daily_aqi(d, &opts)));
        }
        out.push(StationView {
            first_hour: cov.map(|c| c.first_hour.clone()),
            last_hour: cov.map(|c| c.last_hour.clone()),
            hours: cov.map_or(0, |c| c.hours),
            href: station_href(&station.code),
            retired_on: retired.get(&station.code).cloned(),
            station,
            latest,
        });
    }
    Ok(out)
}

/// The last date with data of the city's stations.
fn last_city_date(views: &[StationView]) -> Option<NaiveDate> {
    views
        .iter()
        .filter(|v| v.station.control_level == CITY_LEVEL)
        .filter_map(|v| v.last_hour.as_deref().and_then(date_of))
        .max()
}

fn city_name(s: &AppState) -> String {
    s.plan
        .division(&s.plan.meta.division)
        .map_or_else(|| "全市".to_string(), |d| d.name.clone())
}

/// What the air page is told after an upload: what the import stored.
#[derive(Debug, Default, Deserialize, Serialize)]
pub struct ImportedQuery {
    /// Station-hours stored.
    pub imported: Option<usize>,
    /// Distinct stations.
    pub stations: Option<usize>,
    /// Station-hours that got a new revision.
    pub revised: Option<usize>,
    /// First hour imported.
    pub first: Option<String>,
    /// Last hour imported.
    pub last: Option<String>,
}

/// `GET /air`: stations with their latest daily AQI, and the city's last 30 days.
pub async fn overview(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ImportedQuery>,
) -> PageResult {
    let report = q.imported.is_some().then_some(q);
    overview_page(&s, &auth, report, None).await
}

/// The air page, with the report of an upload or the message of a refused one.
async fn overview_page(
    s: &AppState,
    auth: &Auth,
    report: Option<ImportedQuery>,
    import_error: Option<String>,
) -> PageResult {
    let views = station_views(&s.store).await?;
    let mut city_days: Vec<DayView> = Vec::new();
    let last = last_city_date(&views);
    if let Some(last) = last {
        let from = last - Duration::days(OVERVIEW_DAYS - 1);
        let (_, series) = city_series(&s.store, from, last).await?;
        city_days = city_daily(&series, &AssessOptions::default())
            .iter()
            .map(day_view)
            .collect();
        city_days.reverse();
    }
    let city_stations = views
        .iter()
        .filter(|v| v.station.control_level == CITY_LEVEL && v.retired_on.is_none())
        .count();
    let counties_year = last.map(|d| d.year());
    let counties = match counties_year {
        Some(y) => county_summaries(s, y).await?,
        None => Vec::new(),
    };
    page(
        "air.html",
        auth,
        s,
        context! {
            report, import_error,
            stations => views,
            city_days,
            city_name => city_name(s),
            city_stations,
            last_date => last.map(|d| d.format("%Y-%m-%d").to_string()),
            days => OVERVIEW_DAYS,
            counties,
            counties_year,
        },
    )
}

/// What a station page is told after a form.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    /// created, edited, retired, linked or unlinked.
    pub saved: Option<String>,
}

fn saved_label(what: &str) -> Option<&'static str> {
    Some(match what {
        "created" => "站点已登记。",
        "edited" => "站点信息已保存为新的版本。",
        "retired" => "站点已撤销：自撤销日期起不再参与全市和区县统计，已有数据保留。",
        "linked" => "设备已关联。",
        "unlinked" => "设备已解除关联。",
        _ => return None,
    })
}

/// Query choosing a year.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// Calendar year; defaults to the latest year with data.
    pub year: Option<i32>,
}

/// A year's calendar heat map of daily AQI and its monthly PM2.5 trend against the annual
/// limit in force at the year's end, for a station or a county.
fn year_charts(name: &str, year: i32, days: &[DailyAqi]) -> (String, String) {
    let cal_days: Vec<svg::CalendarDay> = days
        .iter()
        .map(|d| svg::CalendarDay {
            date: d.values.date,
            aqi: d.report.aqi,
            level: d.report.level,
            primary: d
                .report
                .primary
                .iter()
                .map(|p| p.name().to_string())
                .collect(),
        })
        .collect();
    let calendar = svg::calendar_svg(
        &format!("{name} {year} 年日空气质量指数（AQI）"),
        year,
        &cal_days,
    );
    let months: Vec<svg::MonthValue> = monthly_pm25(days)
        .into_iter()
        .map(|(month, mean)| svg::MonthValue {
            month,
            value: mean.to_f64(),
            label: mean.format_gbt8170(0),
        })
        .collect();
    let (_, end) = year_bounds(year);
    let pm25_limit = limit(
        LimitSet::for_date(end),
        Grade::Two,
        LimitPollutant::Pm25,
        Averaging::Annual,
    )
    .map(Ratio::to_f64);
    let trend = svg::monthly_trend_svg(
        &format!("{name} {year} 年 PM2.5 月均浓度（µg/m³）"),
        &months,
        pm25_limit,
    );
    (calendar, trend)
}

/// The figures a year's page lists, with the data capture where it is shown.
fn year_summary(a: &AnnualAssessment, capture: Option<String>) -> minijinja::Value {
    context! {
        valid_days => a.valid_days,
        good_days => a.good_days,
        good_days_ratio => a.good_days_ratio.map(|r| r.format_gbt8170(1)),
        heavy_days => a.heavy_days,
        severe_days => a.severe_days,
        pm25_mean => a.pollutant(Pollutant::Pm25).mean.map(|r| r.format_gbt8170(0)),
        composite_index => a.composite_index.map(|r| r.format_gbt8170(2)),
        capture,
    }
}

/// `GET /air/stations/{code}`: a station's year: calendar, monthly PM2.5 and the daily table.
pub async fn station_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
    Query(saved): Query<SavedQuery>,
) -> PageResult {
    station_page_with(&s, &auth, &code, q.year, saved.saved.as_deref(), None).await
}

/// A refused station form (device link, retirement): which form, why, and what was typed.
pub(crate) struct FormRefusal {
    /// `link` or `retire`.
    pub form: &'static str,
    /// The message.
    pub message: String,
    /// The fields as typed (never a password).
    pub values: Value,
}

/// The station page, with the notice of a saved form or a refused form shown again.
pub(crate) async fn station_page_with(
    s: &AppState,
    auth: &Auth,
    code: &str,
    year: Option<i32>,
    saved: Option<&str>,
    refused: Option<FormRefusal>,
) -> PageResult {
    let sy = station_year(&s.store, code, year).await?;
    let retirement = s
        .store
        .air_station_retirements()
        .await?
        .into_iter()
        .find(|r| r.code == sy.station.code);
    // The history is staff's record-keeping: who changed what, and which devices came and went.
    let (revisions, link_history) = if auth.is_staff() {
        (
            s.store
                .station_revisions(qingshan_store::StationKind::Air, &sy.station.code)
                .await?,
            s.store
                .device_link_history(qingshan_store::StationKind::Air, &sy.station.code)
                .await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let division_name = sy
        .station
        .division_code
        .as_deref()
        .and_then(|c| s.plan.division(c))
        .map(|d| d.name.clone());
    let (calendar, trend) = year_charts(&sy.station.name, sy.year, &sy.days);
    let first_year = sy
        .coverage
        .as_ref()
        .and_then(|c| date_of(&c.first_hour))
        .map(|d| d.year());
    let last_year = sy
        .coverage
        .as_ref()
        .and_then(|c| date_of(&c.last_hour))
        .map(|d| d.year());
    let years: Vec<i32> = match (first_year, last_year) {
        (Some(a), Some(b)) => (a..=b).collect(),
        _ => Vec::new(),
    };
    let days: Vec<DayView> = sy.days.iter().map(day_view).collect();
    let summary = year_summary(&sy.assessment, None);
    let seen = s.store.last_seen_of_all().await?;
    let devices: Vec<Value> = s
        .store
        .air_station_devices()
        .await?
        .into_iter()
        .filter(|d| d.station_code == sy.station.code)
        .map(|d| json!({ "mn": d.mn, "last_seen": seen.get(&d.mn) }))
        .collect();
    page(
        "air_station.html",
        auth,
        s,
        context! {
            devices, retirement, revisions, link_history, division_name,
            saved => saved.and_then(saved_label),
            refused_form => refused.as_ref().map(|r| r.form),
            refused_message => refused.as_ref().map(|r| r.message.clone()),
            typed => refused.as_ref().map(|r| r.values.clone()),
            today => qingshan_app::beijing::today().format("%Y-%m-%d").to_string(),
            href => station_href(&sy.station.code),
            station => sy.station,
            year => sy.year,
            years,
            days,
            summary,
            calendar,
            trend,
        },
    )
}

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /api/v1/air/stations`: stations with coverage and latest daily AQI.
pub async fn api_stations(State(s): State<AppState>) -> ApiResult {
    let views = station_views(&s.store).await?;
    Ok(Json(json!({ "stations": views })))
}

/// `GET /api/v1/air/stations/{code}/daily?year=YYYY`: a station's daily AQI for a year.
pub async fn api_station_daily(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> ApiResult {
    let sy = station_year(&s.store, &code, q.year).await?;
    let days: Vec<DayView> = sy.days.iter().map(day_view).collect();
    Ok(Json(json!({
        "station": sy.station,
        "year": sy.year,
        "days": days,
        "assessment": sy.assessment.to_json(),
    })))
}

/// `GET /api/v1/air/assessment?year=YYYY`: the city's HJ 663 annual assessment from its
/// national-network stations.
pub async fn api_assessment(State(s): State<AppState>, Query(q): Query<YearQuery>) -> ApiResult {
    let (codes, a) = city_year(&s.store, &city_name(&s), q.year).await?;
    let mut body = a.to_json();
    body["stations"] = json!(codes);
    Ok(Json(body))
}

/// `GET /api/v1/air/stations/{code}/daily.csv?year=YYYY`: the daily AQI table as CSV (UTF-8 with
/// a BOM so spreadsheet programs read the Chinese text).
pub async fn api_station_daily_csv(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    station_daily_download(&s, &code, q.year, "csv").await
}

/// `GET /api/v1/air/stations/{code}/daily.xlsx?year=YYYY`: the daily AQI table as XLSX.
pub async fn api_station_daily_xlsx(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    station_daily_download(&s, &code, q.year, "xlsx").await
}

async fn station_daily_download(
    s: &AppState,
    code: &str,
    year: Option<i32>,
    format: &str,
) -> Result<axum::response::Response, AppError> {
    let sy = station_year(&s.store, code, year).await?;
    daily_table(
        &sy.days,
        format!("{} {} 年逐日 AQI", sy.station.name, sy.year),
    )
    .download(format, &format!("air-{code}-{}", sy.year))
}

/// A daily AQI table, for CSV and XLSX downloads.
fn daily_table(days: &[DailyAqi], name: String) -> Table {
    let pollutants = ["SO2", "NO2", "CO", "O3_8h", "PM10", "PM2.5"];
    let mut columns = vec![
        ("date", "日期"),
        ("aqi", "AQI"),
        ("level", "级别"),
        ("category", "类别"),
        ("primary_pollutants", "首要污染物"),
        ("SO2", "SO2（µg/m³）"),
        ("NO2", "NO2（µg/m³）"),
        ("CO", "CO（mg/m³）"),
        ("O3_8h", "O3 日最大 8 小时（µg/m³）"),
        ("PM10", "PM10（µg/m³）"),
        ("PM2.5", "PM2.5（µg/m³）"),
    ];
    columns.push(("standard", "评价标准"));
    let rows = days
        .iter()
        .map(day_view)
        .map(|d| {
            let mut row = vec![
                d.date.clone(),
                d.aqi.map(|v| v.to_string()).unwrap_or_default(),
                d.level.map(|v| v.to_string()).unwrap_or_default(),
                d.category.unwrap_or("").to_string(),
                d.primary_pollutants.join(";"),
            ];
            row.extend(pollutants.iter().map(|p| {
                d.concentrations
                    .get(p)
                    .cloned()
                    .flatten()
                    .unwrap_or_default()
            }));
            row.push(d.standard.to_string());
            row
        })
        .collect();
    Table {
        name,
        columns,
        rows,
        numbers: true,
    }
}

/// `GET /air/counties/{code}`: a county's year, from the stations located in it.
pub async fn county_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let cy = county_year(&s.store, &s.plan, &code, q.year).await?;
    let (calendar, trend) = year_charts(&cy.name, cy.year, &cy.days);
    let summary = year_summary(
        &cy.assessment,
        Some(data_capture_note(&cy.assessment, cy.year)),
    );
    let days: Vec<DayView> = cy.days.iter().map(day_view).collect();
    let station = context! {
        code => cy.code,
        name => cy.name,
        control_level => format!("区县（{} 个站点：{}）", cy.stations.len(), cy.stations.join("、")),
        division_code => cy.code,
    };
    page(
        "air_station.html",
        &auth,
        &s,
        context! {
            href => format!("/air/counties/{}", cy.code),
            export_base => format!("/api/v1/air/counties/{}/daily", cy.code),
            station,
            year => cy.year,
            years => Vec::<i32>::new(),
            days,
            summary,
            calendar,
            trend,
        },
    )
}

/// `GET /api/v1/air/counties/{code}/daily.csv?year=YYYY`: a county's daily AQI table.
pub async fn api_county_daily_csv(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    county_daily_download(&s, &code, q.year, "csv").await
}

/// `GET /api/v1/air/counties/{code}/daily.xlsx?year=YYYY`: a county's daily AQI table as XLSX.
pub async fn api_county_daily_xlsx(
    State(s): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    county_daily_download(&s, &code, q.year, "xlsx").await
}

async fn county_daily_download(
    s: &AppState,
    code: &str,
    year: Option<i32>,
    format: &str,
) -> Result<axum::response::Response, AppError> {
    let cy = county_year(&s.store, &s.plan, code, year).await?;
    daily_table(&cy.days, format!("{} {} 年逐日 AQI", cy.name, cy.year))
        .download(format, &format!("air-county-{code}-{}", cy.year))
}

/// One county's line in the overview's county table.
async fn county_summaries(s: &AppState, year: i32) -> Result<Vec<Value>, AppError> {
    let mut out = Vec::new();
    let with_stations = counties_with_stations(&s.store).await?;
    for d in s
        .plan
        .divisions
        .iter()
        .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
        .filter(|d| with_stations.contains(&d.code))
    {
        let cy = county_year(&s.store, &s.plan, &d.code, Some(year)).await?;
        if cy.stations.is_empty() {
            continue;
        }
        let a = &cy.assessment;
        out.push(json!({
            "code": cy.code,
            "name": cy.name,
            "href": format!("/air/counties/{}?year={year}", cy.code),
            "stations": cy.stations.len(),
            "valid_days": a.valid_days,
            "good_days_ratio": a.good_days_ratio.map(|r| r.format_gbt8170(1)),
            "pm25_mean": a.pollutant(Pollutant::Pm25).mean.map(|r| r.format_gbt8170(0)),
            "heavy_days": a.heavy_days,
            "capture": data_capture_note(a, year),
        }));
    }
    Ok(out)
}

/// A forecast of daily AQI, as typed: numbers separated by commas, spaces or new lines.
#[derive(Debug, Deserialize)]
pub struct ForecastQuery {
    /// The forecast days' AQI, in order.
    pub forecast: Option<String>,
}

/// `GET /air/warning`: the warning level a forecast of daily AQI calls for, under the city's
/// thresholds.
pub async fn warning_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<ForecastQuery>,
) -> PageResult {
    let text = q.forecast.clone().unwrap_or_default();
    let (result, error) = match qingshan_app::air::parse_forecast(&text) {
        Ok(v) if v.is_empty() => (None, None),
        Ok(v) => (Some(qingshan_app::air::warning_json(&s.plan, &v)), None),
        Err(e) => (None, Some(e.to_string())),
    };
    let rules = qingshan_app::air::warning_json(&s.plan, &[]);
    page(
        "air_warning.html",
        &auth,
        &s,
        context! { forecast => text, result, error, rules => rules["rules"], source => rules["source"] },
    )
}

/// `GET /api/v1/air/warning?forecast=210,250,320`: the same as JSON.
pub async fn api_warning(State(s): State<AppState>, Query(q): Query<ForecastQuery>) -> ApiResult {
    let v = qingshan_app::air::parse_forecast(q.forecast.as_deref().unwrap_or(""))?;
    Ok(Json(qingshan_app::air::warning_json(&s.plan, &v)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn station_path_is_one_segment() {
        assert_eq!(station_href("A 1/é"), "/air/stations/A%201%2F%C3%A9");
    }
}
