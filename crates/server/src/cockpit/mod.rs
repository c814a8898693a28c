//! The home page (驾驶舱): the county map coloured by a chosen measure, the KPI cards, the
//! monthly trend and the county ranking, in a staff variant and a public one (no enforcement
//! data: no alarms, no devices); and the counties' boundaries as GeoJSON.
//!
//! The figures are `qingshan_app::cockpit`'s; the map is drawn by `qingshan_chart::map`.

use crate::web::query::Query;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Extension, Router};
use minijinja::context;
use qingshan_app::cockpit::{Cockpit, Measure, NO_DATA_FILL, cockpit, ranking};
use qingshan_chart::map::{MapSpec, Marker, Point, Region, map_svg};
use qingshan_chart::trend::{MonthValue, monthly_trend_svg};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};

/// The home page, its stylesheet, and the map's GeoJSON.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home))
        .route("/assets/cockpit.css", get(stylesheet))
        .route("/api/v1/map/divisions.geojson", get(divisions_geojson))
}

/// The cockpit's own stylesheet (phone layout included).
pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../assets/cockpit.css"),
    )
}

/// `GET /api/v1/map/divisions.geojson`: one feature per county with `properties.code`
/// (GB/T 2260) and `properties.name`, in the plan's coordinate system.
pub async fn divisions_geojson(State(s): State<AppState>) -> Result<impl IntoResponse, AppError> {
    let map = s
        .plan
        .map
        .as_ref()
        .ok_or_else(|| AppError::NotFound("规划未附区县边界".into()))?;
    let ring = |r: &Vec<(f64, f64)>| -> Value { r.iter().map(|&(x, y)| json!([x, y])).collect() };
    let features: Vec<Value> = map
        .shapes
        .iter()
        .map(|sh| {
            let geometry = if sh.polygons.len() == 1 {
                json!({ "type": "Polygon", "coordinates": sh.polygons[0].iter().map(ring).collect::<Vec<_>>() })
            } else {
                json!({ "type": "MultiPolygon", "coordinates": sh.polygons.iter().map(|p| p.iter().map(ring).collect::<Vec<_>>()).collect::<Vec<_>>() })
            };
            json!({ "type": "Feature", "properties": { "code": sh.code, "name": sh.name }, "geometry": geometry })
        })
        .collect();
    let body = json!({
        "type": "FeatureCollection",
        "coordinate_system": map.crs.as_str(),
        "source": map.source,
        "licence": map.licence,
        "features": features,
    });
    Ok((
        [(header::CONTENT_TYPE, "application/geo+json")],
        body.to_string(),
    ))
}

/// Query of the home page.
#[derive(Debug, Deserialize)]
pub struct HomeQuery {
    /// `aqi`, `good`, `water` or `alarms` (staff).
    pub measure: Option<String>,
}

/// The map of the figures (already escaped), or `None` when the plan has no map.
fn map_of(s: &AppState, c: &Cockpit, staff: bool) -> Option<String> {
    let map = s.plan.map.as_ref()?;
    let regions = map
        .shapes
        .iter()
        .filter_map(|sh| {
            let f = c.counties.iter().find(|f| f.code == sh.code)?;
            Some(Region {
                code: sh.code.clone(),
                name: sh.name.clone(),
                polygons: sh.polygons.clone(),
                fill: f.fill.map(str::to_string),
                tooltip: format!(
                    "{}　{}：{}（{}）",
                    sh.name,
                    c.measure.label(),
                    f.text,
                    f.note
                ),
                href: f.href.clone(),
            })
        })
        .collect();
    let mut points: Vec<Point> = c
        .stations
        .iter()
        .map(|p| Point {
            lon: p.lon,
            lat: p.lat,
            marker: Marker::Circle,
            fill: p.fill.to_string(),
            tooltip: p.tooltip.clone(),
            href: p.href.clone(),
        })
        .collect();
    points.extend(c.enterprises.iter().map(|p| Point {
        lon: p.lon,
        lat: p.lat,
        marker: Marker::Square,
        fill: p.fill.to_string(),
        tooltip: p.tooltip.clone(),
        href: if staff { p.href.clone() } else { None },
    }));
    // The legend is HTML beside the map, readable at phone width where the SVG's text shrinks.
    let legend = Vec::new();
    map_svg(&MapSpec {
        title: format!("各区县{}", c.measure.label()),
        regions,
        points,
        legend,
        no_data_fill: NO_DATA_FILL.to_string(),
        width: 640.0,
    })
}

/// `GET /`: the cockpit. `?measure=` chooses what colours the map; a word it does not know is
/// refused with a Chinese error page.
pub async fn home(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<HomeQuery>,
) -> PageResult {
    let staff = auth.is_staff();
    let measure = match q.measure.as_deref().filter(|m| !m.is_empty()) {
        None => Measure::Aqi,
        Some(word) => match Measure::parse(word) {
            Some(m) if m.staff_only() && !staff => {
                return Err(AppError::Forbidden(format!(
                    "「{}」仅向生态环境局工作人员开放",
                    m.label()
                ))
                .into());
            }
            Some(m) => m,
            None => {
                return Err(AppError::invalid(
                    "地图指标",
                    format!(
                        "不认识「{}」，可选：{}",
                        word.chars().take(40).collect::<String>(),
                        Measure::ALL
                            .iter()
                            .filter(|m| staff || !m.staff_only())
                            .map(|m| format!("{}（{}）", m.key(), m.label()))
                            .collect::<Vec<_>>()
                            .join("、")
                    ),
                )
                .into());
            }
        },
    };
    let c = cockpit(
        &s.store,
        &s.plan,
        staff,
        measure,
        qingshan_app::beijing::today(),
        s.config.inspection_warn_days,
    )
    .await?;
    let map = map_of(&s, &c, staff);
    let months: Vec<MonthValue> = c
        .trend
        .iter()
        .map(|(m, v, label)| MonthValue {
            month: *m,
            value: *v,
            label: label.clone(),
        })
        .collect();
    let trend = monthly_trend_svg(
        &format!("{} 年全市月均 PM2.5（µg/m³）", c.year),
        &months,
        Some((35.0, "年均二级标准")),
        "本年尚无有效天数足够的月份",
    );
    let measures: Vec<Value> = Measure::ALL
        .iter()
        .filter(|m| staff || !m.staff_only())
        .map(|m| json!({ "key": m.key(), "label": m.label(), "current": *m == c.measure }))
        .collect();
    let ranked: Vec<_> = ranking(&c.counties).into_iter().cloned().collect();
    // 我的待办: a county official's or reporter's open ledger items and returned reports.
    let todo = match &auth.user {
        Some(u) if qingshan_app::ledger::party_of(u).is_some() => Some(
            qingshan_app::ledger::todo_for(&s.store, &s.plan, u, qingshan_app::beijing::today())
                .await?,
        ),
        _ => None,
    };
    page(
        "cockpit.html",
        &auth,
        &s,
        context! {
            c,
            map,
            trend,
            measures,
            ranked,
            todo,
            measure_label => c.measure.label(),
            staff,
            city_name => s.plan.division(&s.plan.meta.division).map_or("全市", |d| d.name.as_str()),
            crs => s.plan.map.as_ref().map(|m| m.crs.as_str()),
        },
    )
}
