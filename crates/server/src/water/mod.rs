//! Surface water on the web: the annual table of sections, river grading, the plan's
//! indicators 13 and 14, a section's monthly classes with a chart, and their JSON API. The
//! figures come from `qingshan_app::water`.

use crate::web::query::Query;
use axum::extract::{Path, State};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Json, Router};
use chrono::Datelike;
use minijinja::context;
use qingshan_app::imports;
use qingshan_app::water::{section_row, section_year, sections_year, water_year};
use qingshan_chart::classes::ClassBar;
use qingshan_store::Store;
use qingshan_water::Class;
use serde::Deserialize;
use serde_json::{Value, json};

use qingshan_app::water::section_href;

use crate::AppState;
use crate::web::auth::Auth;
use crate::web::download::{csv_attachment, xlsx_attachment};
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};
use crate::web::table::Table;

mod forms;

/// The water pages, their JSON API and the sample templates.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/water", get(overview))
        .route("/water/import", post(forms::import_form))
        .route("/water/sections", post(forms::create))
        .route("/water/sections/new", get(forms::new_form))
        .route("/water/sections/{code}", get(section_page))
        .route(
            "/water/sections/{code}/edit",
            get(forms::edit_form).post(forms::edit),
        )
        .route("/water/sections/{code}/retire", post(forms::retire))
        .route("/water/sections/{code}/devices", post(forms::link))
        .route(
            "/water/sections/{code}/devices/{mn}/unlink",
            post(forms::unlink),
        )
        .route("/water/template.csv", get(samples_template))
        .route("/water/template.xlsx", get(samples_template_xlsx))
        .route("/api/v1/water/assessment.xlsx", get(api_assessment_xlsx))
        .route("/api/v1/water/sections", get(api_sections))
        .route("/api/v1/water/assessment", get(api_assessment))
        .route("/api/v1/water/assessment.csv", get(api_assessment_csv))
}

/// An SVG chart of the class by month: one column per month, a bar reaching the class row
/// (I at the top, 劣V at the bottom) in the status colour; the target class as a dashed line.
pub fn monthly_class_svg(title: &str, monthly: &[(u32, Option<Class>)], target: Class) -> String {
    let rows: Vec<&str> = Class::ALL.iter().map(|c| c.as_str()).collect();
    let bars: Vec<ClassBar> = monthly
        .iter()
        .filter_map(|(month, class)| {
            let class = (*class)?;
            Some(ClassBar {
                month: *month,
                row: class.index(),
                fill: class.status().colour().to_string(),
                label: class.as_str().to_string(),
            })
        })
        .collect();
    qingshan_chart::classes::monthly_class_svg(
        title,
        &rows,
        &bars,
        (target.index(), target.as_str()),
    )
}

/// Query choosing a year.
#[derive(Debug, Deserialize)]
pub struct YearQuery {
    /// Calendar year; defaults to the year of the latest sample.
    pub year: Option<i32>,
}

async fn resolve_year(store: &Store, year: Option<i32>) -> Result<i32, AppError> {
    match year {
        Some(y) if (1900..=9999).contains(&y) => Ok(y),
        Some(_) => Err(AppError::invalid("year", "年份应在 1900 至 9999 之间")),
        None => Ok(store
            .water_last_date()
            .await?
            .and_then(|d| d.get(..4).and_then(|y| y.parse().ok()))
            .unwrap_or_else(|| chrono::Utc::now().year())),
    }
}

/// `GET /water`: the annual table of sections, river grading and indicators 13 and 14.
pub async fn overview(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Query(q): Query<YearQuery>,
    Query(counts): Query<crate::web::import_report::ImportReport>,
) -> PageResult {
    overview_page(&s, &auth, q.year, counts.shown(), None).await
}

/// The water page of `year`, with the report of an upload or the message of a refused one.
async fn overview_page(
    s: &AppState,
    auth: &Auth,
    year: Option<i32>,
    report: Option<crate::web::import_report::ImportReport>,
    import_error: Option<String>,
) -> PageResult {
    let year = resolve_year(&s.store, year).await?;
    let years = sections_year(&s.store, year).await?;
    let wy = water_year(year, &years)?;
    let retired: std::collections::BTreeMap<String, String> = s
        .store
        .water_section_retirements()
        .await?
        .into_iter()
        .map(|r| (r.code, r.retired_on))
        .collect();
    page(
        "water.html",
        auth,
        s,
        context! { w => wy, year, report, import_error, retired },
    )
}

/// What a section page is told after a form.
#[derive(Debug, Default, Deserialize)]
pub struct SavedQuery {
    /// created, edited, retired, linked or unlinked.
    pub saved: Option<String>,
}

fn saved_label(what: &str) -> Option<&'static str> {
    Some(match what {
        "created" => "断面已登记。",
        "edited" => "断面信息已保存为新的版本。",
        "retired" => "断面已撤销：自撤销日期起不再参与全市统计，已有数据保留。",
        "linked" => "设备已关联。",
        "unlinked" => "设备已解除关联。",
        _ => return None,
    })
}

/// `GET /water/sections/{code}`: a section's monthly classes for a year with a chart.
pub async fn section_page(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Query(q): Query<YearQuery>,
    Query(saved): Query<SavedQuery>,
) -> PageResult {
    section_page_with(&s, &auth, &code, q.year, saved.saved.as_deref(), None).await
}

/// A refused section form (device link, retirement): which form, why, and what was typed.
pub(crate) struct FormRefusal {
    /// `link` or `retire`.
    pub form: &'static str,
    /// The message.
    pub message: String,
    /// The fields as typed (never a password).
    pub values: Value,
}

/// The section page, with the notice of a saved form or a refused form shown again.
pub(crate) async fn section_page_with(
    s: &AppState,
    auth: &Auth,
    code: &str,
    year: Option<i32>,
    saved: Option<&str>,
    refused: Option<FormRefusal>,
) -> PageResult {
    let section = s
        .store
        .water_section(code)
        .await
        .map_err(AppError::from)?
        .ok_or_else(|| AppError::NotFound(format!("没有编码为「{code}」的水质断面")))?;
    let year = resolve_year(&s.store, year).await?;
    let samples = s
        .store
        .water_samples(Some(code), year)
        .await
        .map_err(AppError::from)?;
    let sy = section_year(section, &samples)?;
    let row = section_row(&sy)?;
    let months: Vec<Value> = sy
        .monthly
        .iter()
        .map(|(m, a)| {
            json!({
                "month": m,
                "class": a.class.map(Class::as_str),
                "status": a.status.map(|x| x.as_str()),
                "meets_target": a.meets_target(sy.target),
                "main_pollutants": a.main_pollutants.iter().map(|p| p.item.name_zh()).collect::<Vec<_>>(),
                "automatic": sy.monthly_automatic.get(m).map(|items| items.iter().map(|i| i.name_zh()).collect::<Vec<_>>()).unwrap_or_default(),
            })
        })
        .collect();
    let chart = monthly_class_svg(
        &format!("{} {} 年逐月水质类别", sy.section.name, year),
        &sy.monthly
            .iter()
            .map(|(m, a)| (*m, a.class))
            .collect::<Vec<_>>(),
        sy.target,
    );
    // The automatic station's devices and when each last delivered: what staff check first
    // when a month falls back to manual data.
    let seen = s.store.last_seen_of_all().await.map_err(AppError::from)?;
    let devices: Vec<Value> = s
        .store
        .water_section_devices()
        .await
        .map_err(AppError::from)?
        .into_iter()
        .filter(|d| d.section_code == code)
        .map(|d| json!({ "mn": d.mn, "last_seen": seen.get(&d.mn) }))
        .collect();
    let retirement = s
        .store
        .water_section_retirements()
        .await?
        .into_iter()
        .find(|r| r.code == code);
    let (revisions, link_history) = if auth.is_staff() {
        (
            s.store
                .station_revisions(qingshan_store::StationKind::Water, code)
                .await?,
            s.store
                .device_link_history(qingshan_store::StationKind::Water, code)
                .await?,
        )
    } else {
        (Vec::new(), Vec::new())
    };
    page(
        "water_section.html",
        auth,
        s,
        context! {
            row, year, months, chart, devices, retirement, revisions, link_history,
            href => section_href(code),
            saved => saved.and_then(saved_label),
            refused_form => refused.as_ref().map(|r| r.form),
            refused_message => refused.as_ref().map(|r| r.message.clone()),
            typed => refused.as_ref().map(|r| r.values.clone()),
            today => qingshan_app::beijing::today().format("%Y-%m-%d").to_string(),
        },
    )
}

type ApiResult = Result<Json<Value>, AppError>;

/// `GET /api/v1/water/sections`: the section registry.
pub async fn api_sections(State(s): State<AppState>) -> ApiResult {
    let sections = s.store.water_sections().await?;
    Ok(Json(json!({ "sections": sections })))
}

/// `GET /api/v1/water/assessment?year=YYYY`: per-section results, river grading, and
/// indicators 13 (`share_iii_or_better`) and 14 (`drinking_source_compliance`).
pub async fn api_assessment(State(s): State<AppState>, Query(q): Query<YearQuery>) -> ApiResult {
    let year = resolve_year(&s.store, q.year).await?;
    let years = sections_year(&s.store, year).await?;
    let wy = water_year(year, &years)?;
    Ok(Json(
        serde_json::to_value(wy).map_err(|e| AppError::Internal(e.to_string()))?,
    ))
}

/// `GET /api/v1/water/assessment.csv?year=YYYY`: the annual table of sections as CSV (UTF-8
/// with a BOM so spreadsheet programs read the Chinese text).
pub async fn api_assessment_csv(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    assessment_download(&s, q.year, "csv").await
}

/// `GET /api/v1/water/assessment.xlsx?year=YYYY`: the annual section table as XLSX.
pub async fn api_assessment_xlsx(
    State(s): State<AppState>,
    Query(q): Query<YearQuery>,
) -> Result<axum::response::Response, AppError> {
    assessment_download(&s, q.year, "xlsx").await
}

async fn assessment_download(
    s: &AppState,
    year: Option<i32>,
    format: &str,
) -> Result<axum::response::Response, AppError> {
    let year = resolve_year(&s.store, year).await?;
    let years = sections_year(&s.store, year).await?;
    let wy = water_year(year, &years)?;
    let yes_no = |b: Option<bool>| b.map_or("", |b| if b { "是" } else { "否" }).to_string();
    let rows = wy
        .sections
        .iter()
        .map(|r| {
            vec![
                r.section.code.clone(),
                r.section.name.clone(),
                r.section.level.clone(),
                r.section.water_body.clone(),
                r.section.basin.clone().unwrap_or_default(),
                r.section.target_class.clone(),
                r.dates.to_string(),
                r.class.unwrap_or("").to_string(),
                r.status.unwrap_or("").to_string(),
                yes_no(r.meets_target),
                r.main_pollutants.join(";"),
                yes_no(r.source_compliant),
                r.source_failures.join(";"),
                r.automatic_days.to_string(),
            ]
        })
        .collect();
    Table {
        name: format!("{year} 年断面水质"),
        columns: vec![
            ("code", "断面编码"),
            ("name", "断面名称"),
            ("level", "考核级别"),
            ("water_body", "水体类型"),
            ("basin", "流域"),
            ("target_class", "目标类别"),
            ("sampling_dates", "监测次数"),
            ("class", "水质类别"),
            ("status", "水质状况"),
            ("meets_target", "是否达标"),
            ("main_pollutants", "主要污染指标"),
            ("drinking_source_compliant", "饮用水源是否达标"),
            (
                "drinking_source_failures",
                "饮用水源表2/表3超标项目（超标倍数）",
            ),
            ("automatic_days", "自动监测天数"),
        ],
        rows,
        numbers: true,
    }
    .download(format, &format!("water-{year}"))
}

/// `GET /water/template.csv`: the header of the monthly sample file that `qingshan water
/// import` reads.
pub async fn samples_template() -> Response {
    csv_attachment(
        imports::template_csv(&imports::WATER_SAMPLE_TEMPLATE),
        "water-samples-template.csv",
    )
}

/// `GET /water/template.xlsx`: the monthly sample workbook to fill in, with a 说明 sheet that
/// lists the item codes and units.
pub async fn samples_template_xlsx() -> Result<Response, AppError> {
    xlsx_attachment(
        imports::template_xlsx(
            &imports::WATER_SAMPLE_TEMPLATE,
            &imports::water_sample_notes(),
        ),
        "water-samples-template.xlsx",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chart_escapes_and_marks_months() {
        let svg = monthly_class_svg(
            "A<B>",
            &[
                (1, Some(Class::II)),
                (3, None),
                (7, Some(Class::WorseThanV)),
            ],
            Class::III,
        );
        assert!(svg.contains("A&lt;B&gt;"));
        assert!(!svg.contains("A<B>"));
        assert_eq!(svg.matches("class=\"month\"").count(), 2);
        assert!(svg.contains("data-month=\"7\" data-class=\"劣V\""));
    }
}
