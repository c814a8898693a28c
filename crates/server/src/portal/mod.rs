//! 信息公开: the public's portal (`/public`), without sign-in, in the public layout
//! (`public_base.html`): today's air on the county map with each station's AQI and health
//! advice, the heavy-pollution warning in force, the surface-water sections, the plan's
//! progress in plain words, enterprises' public information, open data downloads and the read
//! API under `/api/v1/public`. The figures are `qingshan_app::portal`'s; nothing internal (MN,
//! alarms, lateness, internal notes) is read for these pages.
//!
//! Pages answer with `Cache-Control: public` and an `ETag` (`web::public::cacheable`); the
//! home's figures are computed at most once a minute per server ([`cache`]).

mod cache;
mod data;

use axum::Router;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::Response;
use axum::routing::get;
use minijinja::context;
use qingshan_app::portal::PortalHome;
use qingshan_chart::map::{MapSpec, Marker, Point, Region, map_svg};
use serde::Deserialize;

use crate::AppState;
use crate::web::error::AppError;
use crate::web::page::PageError;
use crate::web::paging::{PageQuery, Pager, requested};
use crate::web::public::{cacheable, render_public};
use crate::web::query::Query;

/// How long a public page may be kept by a browser or proxy, seconds: the figures change by
/// the hour, the home's at most once a minute.
const MAX_AGE: u32 = 60;

/// The portal's pages, downloads and API.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/public", get(home))
        .route("/public/air", get(air))
        .route("/public/water", get(water))
        .route("/public/plan", get(plan))
        .route("/public/sources", get(sources))
        .route("/public/data/air-daily.csv", get(data::air_csv))
        .route("/public/data/air-daily.xlsx", get(data::air_xlsx))
        .route("/public/data/water-sections.csv", get(data::water_csv))
        .route("/public/data/water-sections.xlsx", get(data::water_xlsx))
        .route("/public/data/plan-progress.csv", get(data::plan_csv))
        .route("/public/data/plan-progress.xlsx", get(data::plan_xlsx))
        .route("/api/v1/public/home", get(data::api_home))
        .route("/api/v1/public/air/daily", get(data::api_air_daily))
        .route("/api/v1/public/water/sections", get(data::api_water))
        .route("/api/v1/public/plan", get(data::api_plan))
}

/// The county map of the stations' AQI (already escaped), or `None` when the plan has no map.
fn air_map(s: &AppState, h: &PortalHome) -> Option<String> {
    let map = s.plan.map.as_ref()?;
    let regions = map
        .shapes
        .iter()
        .map(|sh| {
            let c = h.counties.iter().find(|c| c.code == sh.code);
            let words = match c.and_then(|c| c.aqi.zip(c.category)) {
                Some((aqi, cat)) => format!("站点最高实时 AQI {aqi}（{cat}）"),
                None => "无实时数据".to_string(),
            };
            Region {
                code: sh.code.clone(),
                name: sh.name.clone(),
                polygons: sh.polygons.clone(),
                fill: c.filter(|c| c.aqi.is_some()).map(|c| c.fill.to_string()),
                tooltip: format!("{}　{words}", sh.name),
                href: "/public/air".into(),
            }
        })
        .collect();
    let points = h
        .stations
        .iter()
        .filter_map(|st| {
            let (lon, lat) = st.position?;
            Some(Point {
                lon,
                lat,
                marker: Marker::Circle,
                fill: st.colour.to_string(),
                tooltip: match (st.aqi, st.category) {
                    (Some(a), Some(c)) => format!("{} AQI {a}（{c}）", st.name),
                    _ => format!("{} 暂无数据", st.name),
                },
                href: None,
            })
        })
        .collect();
    map_svg(&MapSpec {
        title: "各区县及站点实时空气质量".into(),
        regions,
        points,
        legend: Vec::new(),
        no_data_fill: qingshan_app::cockpit::NO_DATA_FILL.to_string(),
        width: 640.0,
    })
}

/// The AQI legend beside the map: (colour, words) of the six levels.
fn aqi_legend() -> Vec<(&'static str, String)> {
    use qingshan_air::AqiLevel::*;
    [L1, L2, L3, L4, L5, L6]
        .into_iter()
        .map(|l| {
            let (lo, hi) = match l {
                L1 => ("0", "50"),
                L2 => ("51", "100"),
                L3 => ("101", "150"),
                L4 => ("151", "200"),
                L5 => ("201", "300"),
                L6 => (">300", ""),
            };
            let range = if hi.is_empty() {
                lo.to_string()
            } else {
                format!("{lo}–{hi}")
            };
            (l.color(), format!("{}（{range}）", l.category()))
        })
        .collect()
}

/// Answers one of the portal's pages from the minute's figures, rendered once a minute.
async fn portal_page(
    s: &AppState,
    headers: &HeaderMap,
    template: &'static str,
    current: &str,
) -> Result<Response, PageError> {
    let m = cache::minute(s).await?;
    let page = m.page(template, || {
        render_public(
            template,
            s,
            context! { h => &m.home, map => &m.map, legend => aqi_legend(), nav_current => current },
        )
    })?;
    Ok(page.answer(headers, "text/html; charset=utf-8", MAX_AGE))
}

/// `GET /public`: the portal's home.
pub async fn home(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    portal_page(&s, &headers, "public_home.html", "/public").await
}

/// `GET /public/air`: every station's latest AQI with the health advice.
pub async fn air(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    portal_page(&s, &headers, "public_air.html", "/public/air").await
}

/// `GET /public/water`: the sections and their classes.
pub async fn water(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    portal_page(&s, &headers, "public_water.html", "/public/water").await
}

/// `GET /public/plan`: the plan's progress in plain words.
pub async fn plan(State(s): State<AppState>, headers: HeaderMap) -> Result<Response, PageError> {
    portal_page(&s, &headers, "public_plan.html", "/public/plan").await
}

/// Query of the sources page.
#[derive(Debug, Deserialize)]
pub struct SourcesQuery {
    /// Page of the permit list.
    pub page: Option<String>,
}

/// `GET /public/sources`: permits' public parts (holder, class, number, validity), the
/// published 绩效分级 list, and the links to disclosures and credit ratings. Paged.
pub async fn sources(
    State(s): State<AppState>,
    headers: HeaderMap,
    uri: axum::http::Uri,
    Query(q): Query<SourcesQuery>,
) -> Result<Response, PageError> {
    let all = qingshan_app::portal::permits(&s.store, &s.plan)
        .await
        .map_err(AppError::from)?;
    let page = requested(&PageQuery { page: q.page });
    let per = crate::web::paging::PER_PAGE;
    let pager = Pager::new(page, per, all.len() as i64, "/public/sources", uri.query());
    let start = usize::try_from((pager.page - 1) * per).unwrap_or(0);
    let rows: Vec<_> = all.iter().skip(start).take(per as usize).collect();
    let m = cache::minute(&s).await?;
    let html = render_public(
        "public_sources.html",
        &s,
        context! { rows, pager, grades => m.home.grades_published, nav_current => "/public/sources" },
    )?;
    Ok(cacheable(
        &headers,
        "text/html; charset=utf-8",
        MAX_AGE,
        html,
    ))
}

#[cfg(test)]
mod tests {
    /// The stylesheet's level colours are the standard's (HJ 633 Appendix A).
    #[test]
    fn badge_colours_are_hj633s() {
        use qingshan_air::AqiLevel::*;
        let css = include_str!("../../assets/public.css");
        for l in [L1, L2, L3, L4, L5, L6] {
            let rule = format!(".badge.lvl-{} {{ background: {};", l.number(), l.color());
            assert!(css.contains(&rule), "{rule}");
        }
    }
}
