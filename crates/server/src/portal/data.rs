//! The portal's open data: CSV (formula cells neutralised) and XLSX downloads of station daily
//! AQI, section classes and the plan's values by year, and the read API `/api/v1/public/…`.
//! Everything here is what the pages show; no code, MN or note the public does not see.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::Response;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::error::AppError;
use crate::web::query::Query;
use crate::web::table::Table;

/// `?year=` of a download or API call.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// The year; absent: the newest year with data.
    pub year: Option<i32>,
}

/// A download that caches for an hour (the data change by the hour at most).
fn download(t: &Table, format: &str, stem: &str) -> Result<Response, AppError> {
    let mut r = t.download(format, stem)?;
    r.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("public, max-age=3600"),
    );
    Ok(r)
}

async fn air_table(s: &AppState, year: Option<i32>) -> Result<(i32, Table), AppError> {
    let today = qingshan_app::beijing::today();
    let year = qingshan_app::portal::air_year(&s.store, year, today).await?;
    let rows = qingshan_app::portal::station_days(&s.store, &s.plan, year).await?;
    Ok((
        year,
        Table {
            name: format!("{year}年站点日AQI"),
            columns: vec![
                ("date", "日期"),
                ("station", "站点"),
                ("county", "区县"),
                ("aqi", "AQI"),
                ("category", "类别"),
                ("primary_pollutant", "首要污染物"),
            ],
            rows: rows
                .into_iter()
                .map(|r| {
                    vec![
                        r.date,
                        r.station,
                        r.county,
                        r.aqi.map_or_else(|| "NA".into(), |a| a.to_string()),
                        r.category.unwrap_or("—").to_string(),
                        r.primary,
                    ]
                })
                .collect(),
            numbers: true,
        },
    ))
}

/// `GET /public/data/air-daily.csv?year=`: every station's daily AQI of the year.
pub async fn air_csv(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (year, t) = air_table(&s, q.year).await?;
    download(&t, "csv", &format!("air-daily-{year}"))
}

/// `GET /public/data/air-daily.xlsx?year=`.
pub async fn air_xlsx(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (year, t) = air_table(&s, q.year).await?;
    download(&t, "xlsx", &format!("air-daily-{year}"))
}

async fn water_rows(
    s: &AppState,
    year: Option<i32>,
) -> Result<(Option<i32>, Vec<qingshan_app::portal::SectionClass>), AppError> {
    let today = qingshan_app::beijing::today();
    let year = match year {
        Some(y) if (2000..=2100).contains(&y) => Some(y),
        Some(y) => {
            return Err(AppError::invalid(
                "年份",
                format!("{y} 不在 2000–2100 之间"),
            ));
        }
        None => qingshan_app::portal::latest_water_year(&s.store, today).await?,
    };
    let rows = match year {
        Some(y) => qingshan_app::portal::sections(&s.store, &s.plan, y).await?,
        None => Vec::new(),
    };
    Ok((year, rows))
}

fn water_table(year: Option<i32>, rows: Vec<qingshan_app::portal::SectionClass>) -> Table {
    Table {
        name: format!(
            "{}年断面水质",
            year.map_or_else(|| "—".into(), |y| y.to_string())
        ),
        columns: vec![
            ("year", "年份"),
            ("section", "断面"),
            ("water_body", "河流湖库"),
            ("county", "区县"),
            ("level", "断面级别"),
            ("class", "水质类别"),
            ("target", "水质目标"),
            ("meets_target", "是否达标"),
        ],
        rows: rows
            .into_iter()
            .map(|r| {
                vec![
                    r.year.to_string(),
                    r.name,
                    r.water_body,
                    r.county,
                    r.level,
                    r.class,
                    r.target,
                    r.meets_target.to_string(),
                ]
            })
            .collect(),
        numbers: true,
    }
}

/// `GET /public/data/water-sections.csv?year=`: the sections' classes of the year.
pub async fn water_csv(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (year, rows) = water_rows(&s, q.year).await?;
    let stem = format!("water-sections-{}", year.unwrap_or_default());
    download(&water_table(year, rows), "csv", &stem)
}

/// `GET /public/data/water-sections.xlsx?year=`.
pub async fn water_xlsx(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Response, AppError> {
    let (year, rows) = water_rows(&s, q.year).await?;
    let stem = format!("water-sections-{}", year.unwrap_or_default());
    download(&water_table(year, rows), "xlsx", &stem)
}

async fn plan_table(s: &AppState) -> Result<Table, AppError> {
    let rows = qingshan_app::portal::plan_progress(&s.store, &s.plan).await?;
    let mut out = Vec::new();
    for i in rows {
        if i.years.is_empty() {
            out.push(vec![
                i.number.to_string(),
                i.category.clone(),
                i.name.clone(),
                i.unit.clone(),
                String::new(),
                String::new(),
                i.baseline.clone(),
                i.targets.join("；"),
            ]);
        }
        for (y, v) in &i.years {
            out.push(vec![
                i.number.to_string(),
                i.category.clone(),
                i.name.clone(),
                i.unit.clone(),
                y.to_string(),
                v.clone(),
                i.baseline.clone(),
                i.targets.join("；"),
            ]);
        }
    }
    Ok(Table {
        name: "规划指标进展".into(),
        columns: vec![
            ("number", "序号"),
            ("category", "类别"),
            ("indicator", "指标"),
            ("unit", "单位"),
            ("year", "年份"),
            ("value", "数值"),
            ("baseline", "基期值"),
            ("targets", "规划目标"),
        ],
        rows: out,
        numbers: true,
    })
}

/// `GET /public/data/plan-progress.csv`: the city's value of every indicator by year.
pub async fn plan_csv(State(s): State<AppState>) -> Result<Response, AppError> {
    download(&plan_table(&s).await?, "csv", "plan-progress")
}

/// `GET /public/data/plan-progress.xlsx`.
pub async fn plan_xlsx(State(s): State<AppState>) -> Result<Response, AppError> {
    download(&plan_table(&s).await?, "xlsx", "plan-progress")
}

/// `2026-12-03 09:00` (Beijing) → `2026-12-03T09:00:00+08:00`.
fn rfc3339(beijing: &str) -> String {
    format!("{}:00+08:00", beijing.replacen(' ', "T", 1))
}

/// `GET /api/v1/public/home`: what the home shows (the minute's figures).
pub async fn api_home(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let m = super::cache::minute(&s).await.map_err(|e| e.0)?;
    let h = &m.home;
    let stations: Vec<Value> = h
        .stations
        .iter()
        .map(|st| {
            json!({
                "name": st.name, "county": st.county,
                "hour": st.hour.as_deref().map(rfc3339),
                "aqi": st.aqi, "level": st.level, "category": st.category,
                "primary_pollutants": st.primary,
                "health_effect": st.health_effect, "advice": st.advice,
            })
        })
        .collect();
    let warnings: Vec<Value> = h
        .warnings
        .iter()
        .map(|w| json!({ "level": w.level, "areas": w.areas, "since": rfc3339(&w.since), "document_no": w.document_no }))
        .collect();
    Ok(Json(json!({
        "latest_hour": h.latest_hour.as_deref().map(rfc3339),
        "stations": stations,
        "counties": h.counties,
        "warnings": warnings,
        "water_year": h.water_year,
        "sections": h.sections,
        "indicators": h.indicators,
        "grades_published": h.grades_published,
    })))
}

/// `GET /api/v1/public/air/daily?year=`: every station's daily AQI of the year.
pub async fn api_air_daily(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, AppError> {
    let today = qingshan_app::beijing::today();
    let year = qingshan_app::portal::air_year(&s.store, q.year, today).await?;
    let rows = qingshan_app::portal::station_days(&s.store, &s.plan, year).await?;
    Ok(Json(json!({ "year": year, "days": rows })))
}

/// `GET /api/v1/public/water/sections?year=`: the sections' classes of the year.
pub async fn api_water(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<Json<Value>, AppError> {
    let (year, rows) = water_rows(&s, q.year).await?;
    Ok(Json(json!({ "year": year, "sections": rows })))
}

/// `GET /api/v1/public/plan`: every indicator's values by year and its progress in words.
pub async fn api_plan(State(s): State<AppState>) -> Result<Json<Value>, AppError> {
    let rows = qingshan_app::portal::plan_progress(&s.store, &s.plan).await?;
    Ok(Json(json!({ "indicators": rows })))
}
