//! Staff forms of the air network: a station created, edited and retired (never deleted), its
//! HJ 212 device linked and unlinked, and hourly data uploaded with its template. Every write
//! is checked for role and CSRF, audited, and refused with the form shown again as typed.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::Deserialize;

use qingshan_app::imports;
use qingshan_app::imports::{AIR_HOURLY_TEMPLATE, ImportFile, air_hourly_notes};
use qingshan_app::stations::{AirStationInput, DeviceLinkInput};
use qingshan_store::StationKind;

use crate::AppState;
use crate::web::audit::{refuse, staff_write};
use crate::web::auth::Auth;
use crate::web::download::{csv_attachment, xlsx_attachment};
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};

use super::station_href;

/// The message a form shows for a refusal: an invalid field's message alone.
pub(crate) fn form_message(e: &AppError) -> String {
    match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The station form with the values to show, the message of a refusal, and its status.
fn station_form(
    s: &AppState,
    auth: &Auth,
    editing: Option<&str>,
    input: &AirStationInput,
    reason: Option<&str>,
    error: Option<String>,
    status: StatusCode,
) -> PageResult {
    let counties: Vec<_> =
        std::iter::once(context! { value => "", label => "（未指定）" })
            .chain(s.plan.divisions.iter().map(
                |d| context! { value => d.code, label => format!("{}（{}）", d.name, d.code) },
            ))
            .collect();
    let levels: Vec<_> = qingshan_store::AIR_CONTROL_LEVELS
        .iter()
        .map(|l| context! { value => l, label => l })
        .collect();
    let fields = vec![
        context! { name => "code", label => "站点编码", value => input.code, required => true, readonly => editing.is_some(), hint => "字母、数字、- _ .，如 1091A" },
        context! { name => "name", label => "站点名称", value => input.name, required => true },
        context! { name => "control_level", label => "控制级别", value => input.control_level, options => levels },
        context! { name => "division_code", label => "所在区县", value => input.division_code, options => counties },
        context! { name => "longitude", label => "经度（东经，度）", value => input.longitude, hint => "如 112.733600，最多 6 位小数" },
        context! { name => "latitude", label => "纬度（北纬，度）", value => input.latitude, hint => "如 38.416700，最多 6 位小数" },
    ];
    let (title, action, back_href, back_label) = match editing {
        Some(code) => (
            format!("编辑空气站点 {code}"),
            format!("{}/edit", station_href(code)),
            station_href(code),
            format!("站点 {code}"),
        ),
        None => (
            "新增空气监测站点".to_string(),
            "/air/stations".to_string(),
            "/air".to_string(),
            "环境空气质量".to_string(),
        ),
    };
    let mut resp = page(
        "station_form.html",
        auth,
        s,
        context! { title, action, back_href, back_label, noun => "站点", fields, error, editing => editing.is_some(), reason },
    )?;
    *resp.status_mut() = status;
    Ok(resp)
}

/// Refuses a page to whoever is not staff, audited.
async fn staff_page(s: &AppState, auth: &Auth, path: &str) -> Result<(), AppError> {
    if let Err(e) = auth.require_staff() {
        return Err(refuse(s, auth, "page.view", format!("page:{path}"), e, None).await);
    }
    Ok(())
}

/// `GET /air/stations/new` (staff): the form of a new station.
pub async fn new_form(State(s): State<AppState>, Extension(auth): Extension<Auth>) -> PageResult {
    staff_page(&s, &auth, "/air/stations/new").await?;
    let input = AirStationInput {
        control_level: "国控".into(),
        ..AirStationInput::default()
    };
    station_form(&s, &auth, None, &input, None, None, StatusCode::OK)
}

/// The station form as posted.
#[derive(Debug, Deserialize)]
pub struct StationPost {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The station's fields.
    #[serde(flatten)]
    pub input: AirStationInput,
    /// Why (edits).
    pub reason: Option<String>,
}

/// `POST /air/stations` (staff): registers a station; to its page, or the form again.
pub async fn create(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<StationPost>,
) -> PageResult {
    let action = "air_station.create";
    let target = format!("air_station:{}", f.input.code.trim());
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    match qingshan_app::stations::create_air_station(&s.store, &s.plan, &auth.actor(), &f.input)
        .await
    {
        Ok(st) => {
            Ok(Redirect::to(&format!("{}?saved=created", station_href(&st.code))).into_response())
        }
        Err(e) => {
            let e = refuse(&s, &auth, action, target, e.into(), None).await;
            if matches!(e, AppError::Internal(_)) {
                return Err(e.into());
            }
            station_form(
                &s,
                &auth,
                None,
                &f.input,
                None,
                Some(form_message(&e)),
                e.status(),
            )
        }
    }
}

/// `GET /air/stations/{code}/edit` (staff): the station's form, filled in.
pub async fn edit_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
) -> PageResult {
    staff_page(&s, &auth, &format!("{}/edit", station_href(&code))).await?;
    let st = s
        .store
        .air_station(&code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("没有编码为「{code}」的空气站点")))?;
    station_form(
        &s,
        &auth,
        Some(&code),
        &AirStationInput::from(&st),
        None,
        None,
        StatusCode::OK,
    )
}

/// `POST /air/stations/{code}/edit` (staff): saves the station's new version.
pub async fn edit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<StationPost>,
) -> PageResult {
    let action = "air_station.edit";
    let target = format!("air_station:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::edit_air_station(
        &s.store,
        &s.plan,
        &auth.actor(),
        &code,
        &f.input,
        f.reason.as_deref(),
    )
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("{}?saved=edited", station_href(&code))).into_response()),
        Err(e) => {
            let e = refuse(&s, &auth, action, target, e.into(), None).await;
            if matches!(e, AppError::Internal(_) | AppError::NotFound(_)) {
                return Err(e.into());
            }
            let mut input = f.input.clone();
            input.code = code.clone();
            station_form(
                &s,
                &auth,
                Some(&code),
                &input,
                f.reason.as_deref(),
                Some(form_message(&e)),
                e.status(),
            )
        }
    }
}

/// The retirement form.
#[derive(Debug, Deserialize)]
pub struct RetirePost {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// First day the station no longer counts.
    #[serde(default)]
    pub retired_on: String,
    /// Why.
    #[serde(default)]
    pub reason: String,
}

/// `POST /air/stations/{code}/retire` (staff): retires the station; its data stay.
pub async fn retire(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<RetirePost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "air_station.retire";
    let target = format!("air_station:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::retire_air_station(
        &s.store,
        &auth.actor(),
        &code,
        &f.retired_on,
        &f.reason,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=retired", station_href(&code))).into_response())
        }
        Err(e) => {
            let e = refuse(
                &s,
                &auth,
                action,
                target,
                e.into(),
                Some(f.retired_on.clone()),
            )
            .await;
            if matches!(e, AppError::Internal(_) | AppError::NotFound(_)) {
                return Err(e.into());
            }
            let refused = super::FormRefusal {
                form: "retire",
                message: form_message(&e),
                values: serde_json::json!({ "retired_on": f.retired_on, "reason": f.reason }),
            };
            let mut resp =
                super::station_page_with(&s, &auth, &code, None, None, Some(refused)).await?;
            *resp.status_mut() = e.status();
            Ok(resp)
        }
    }
}

/// The device link form.
#[derive(Debug, Deserialize)]
pub struct LinkPost {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The device.
    #[serde(flatten)]
    pub input: DeviceLinkInput,
}

/// `POST /air/stations/{code}/devices` (staff): links an HJ 212 device to the station.
pub async fn link(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<LinkPost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "air_station.link_device";
    let target = format!("air_station:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::link_device(
        &s.store,
        &auth.actor(),
        StationKind::Air,
        &code,
        &f.input,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=linked", station_href(&code))).into_response())
        }
        Err(e) => {
            let e = refuse(
                &s,
                &auth,
                action,
                target,
                e.into(),
                Some(f.input.mn.clone()),
            )
            .await;
            if matches!(e, AppError::Internal(_) | AppError::NotFound(_)) {
                return Err(e.into());
            }
            let refused = super::FormRefusal {
                form: "link",
                message: form_message(&e),
                values: serde_json::json!({ "mn": f.input.mn, "crc_policy": f.input.crc_policy }),
            };
            let mut resp =
                super::station_page_with(&s, &auth, &code, None, None, Some(refused)).await?;
            *resp.status_mut() = e.status();
            Ok(resp)
        }
    }
}

/// A form with only its CSRF token.
#[derive(Debug, Deserialize)]
pub struct CsrfPost {
    /// CSRF token.
    pub csrf_token: Option<String>,
}

/// `POST /air/stations/{code}/devices/{mn}/unlink` (staff): unlinks the device.
pub async fn unlink(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((code, mn)): Path<(String, String)>,
    Form(f): Form<CsrfPost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "air_station.unlink_device";
    let target = format!("air_station:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::unlink_device(
        &s.store,
        &auth.actor(),
        StationKind::Air,
        &code,
        &mn,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=unlinked", station_href(&code))).into_response())
        }
        Err(e) => Err(refuse(&s, &auth, action, target, e.into(), Some(mn))
            .await
            .into()),
    }
}

/// `POST /air/import` (staff, multipart): an hourly file (CSV or XLSX), all or nothing; back
/// to the air page with what was stored, or the page again with the refusal.
pub async fn import_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    multipart: Multipart,
) -> PageResult {
    let action = "air_hourly.import";
    let up = match crate::web::upload::read(multipart).await {
        Ok(u) => u,
        Err(e) => {
            return Err(refuse(&s, &auth, action, "air_hourly".into(), e, None)
                .await
                .into());
        }
    };
    staff_write(&s, &auth, action, "air_hourly", up.csrf.as_deref()).await?;
    let imported = match ImportFile::from_bytes(up.file) {
        Ok(file) => qingshan_app::imports::air::import_hourly(&s.store, &auth.actor(), file)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::invalid("file", e.to_string())),
    };
    match imported {
        Ok(sum) => Ok(Redirect::to(&format!(
            "/air?imported={}&stations={}&revised={}&first={}&last={}",
            sum.rows,
            sum.stations,
            sum.revised,
            sum.first_hour.as_deref().unwrap_or(""),
            sum.last_hour.as_deref().unwrap_or("")
        ))
        .into_response()),
        Err(e) => {
            let e = refuse(&s, &auth, action, "air_hourly".into(), e, None).await;
            if matches!(e, AppError::Rows(_)) {
                return crate::web::import_report::failed(&s, &auth, e, "空气小时数据导入", "/air");
            }
            if matches!(e, AppError::Internal(_)) {
                return Err(e.into());
            }
            let status = e.status();
            let mut resp = super::overview_page(&s, &auth, None, Some(form_message(&e))).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}

/// `GET /air/template.csv`: the hourly file's header.
pub async fn template_csv() -> Response {
    csv_attachment(
        imports::template_csv(&AIR_HOURLY_TEMPLATE),
        "air-hourly-template.csv",
    )
}

/// `GET /air/template.xlsx`: the hourly workbook to fill in, with a 说明 sheet.
pub async fn template_xlsx() -> Result<Response, AppError> {
    xlsx_attachment(
        imports::template_xlsx(&AIR_HOURLY_TEMPLATE, &air_hourly_notes()),
        "air-hourly-template.xlsx",
    )
}
