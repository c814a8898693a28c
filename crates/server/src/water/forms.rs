//! Staff forms of the water network: a section created, edited and retired (never deleted),
//! its automatic station's HJ 212 device linked and unlinked, and sample results uploaded with
//! their template. Every write is checked for role and CSRF, audited, and refused with the form
//! shown again as typed.

use axum::extract::{Multipart, Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use minijinja::context;
use serde::Deserialize;

use qingshan_app::imports::ImportFile;
use qingshan_app::stations::{DeviceLinkInput, WaterSectionInput};
use qingshan_store::StationKind;

use crate::AppState;
use crate::web::audit::{refuse, staff_write};
use crate::web::auth::Auth;
use crate::web::error::AppError;
use crate::web::page::{PageResult, page};

use super::section_href;

/// The message a form shows for a refusal: an invalid field's message alone.
pub(crate) fn form_message(e: &AppError) -> String {
    match e {
        AppError::Invalid { message, .. } => message.clone(),
        other => other.to_string(),
    }
}

/// The section form with the values to show, the message of a refusal, and its status.
fn station_form(
    s: &AppState,
    auth: &Auth,
    editing: Option<&str>,
    input: &WaterSectionInput,
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
    let opts = |list: &[(&str, &str)]| -> Vec<minijinja::Value> {
        list.iter()
            .map(|(v, l)| context! { value => v, label => l })
            .collect()
    };
    let levels = opts(&[("国考", "国考"), ("省考", "省考"), ("市考", "市考")]);
    let bodies = opts(&[("river", "河流"), ("lake", "湖库")]);
    let classes = opts(&[
        ("I", "Ⅰ类"),
        ("II", "Ⅱ类"),
        ("III", "Ⅲ类"),
        ("IV", "Ⅳ类"),
        ("V", "Ⅴ类"),
    ]);
    let fields = vec![
        context! { name => "code", label => "断面编码", value => input.code, required => true, readonly => editing.is_some(), hint => "字母、数字、- _ ." },
        context! { name => "name", label => "断面名称", value => input.name, required => true },
        context! { name => "level", label => "考核级别", value => input.level, options => levels },
        context! { name => "water_body", label => "水体类型", value => input.water_body, options => bodies },
        context! { name => "basin", label => "所属河流/湖库", value => input.basin },
        context! { name => "division_code", label => "所在区县", value => input.division_code, options => counties },
        context! { name => "target_class", label => "水质目标", value => input.target_class, options => classes },
        context! { name => "drinking_source", label => "集中式饮用水水源", value => input.drinking_source.as_deref().is_some_and(|v| !v.is_empty() && v != "0"), checkbox => true },
    ];
    let (title, action, back_href, back_label) = match editing {
        Some(code) => (
            format!("编辑水质断面 {code}"),
            format!("{}/edit", section_href(code)),
            section_href(code),
            format!("断面 {code}"),
        ),
        None => (
            "新增水质断面".to_string(),
            "/water/sections".to_string(),
            "/water".to_string(),
            "地表水环境质量".to_string(),
        ),
    };
    let mut resp = page(
        "station_form.html",
        auth,
        s,
        context! { title, action, back_href, back_label, noun => "断面", fields, error, editing => editing.is_some(), reason },
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

/// `GET /water/sections/new` (staff): the form of a new section.
pub async fn new_form(State(s): State<AppState>, Extension(auth): Extension<Auth>) -> PageResult {
    staff_page(&s, &auth, "/water/sections/new").await?;
    let input = WaterSectionInput {
        level: "国考".into(),
        water_body: "river".into(),
        target_class: "III".into(),
        ..WaterSectionInput::default()
    };
    station_form(&s, &auth, None, &input, None, None, StatusCode::OK)
}

/// The station form as posted.
#[derive(Debug, Deserialize)]
pub struct StationPost {
    /// CSRF token.
    pub csrf_token: Option<String>,
    /// The section's fields.
    #[serde(flatten)]
    pub input: WaterSectionInput,
    /// Why (edits).
    pub reason: Option<String>,
}

/// `POST /water/sections` (staff): registers a station; to its page, or the form again.
pub async fn create(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Form(f): Form<StationPost>,
) -> PageResult {
    let action = "water_section.create";
    let target = format!("water_section:{}", f.input.code.trim());
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    match qingshan_app::stations::create_water_section(&s.store, &s.plan, &auth.actor(), &f.input)
        .await
    {
        Ok(st) => {
            Ok(Redirect::to(&format!("{}?saved=created", section_href(&st.code))).into_response())
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

/// `GET /water/sections/{code}/edit` (staff): the station's form, filled in.
pub async fn edit_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
) -> PageResult {
    staff_page(&s, &auth, &format!("{}/edit", section_href(&code))).await?;
    let st = s
        .store
        .water_section(&code)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("没有编码为「{code}」的水质断面")))?;
    station_form(
        &s,
        &auth,
        Some(&code),
        &WaterSectionInput::from(&st),
        None,
        None,
        StatusCode::OK,
    )
}

/// `POST /water/sections/{code}/edit` (staff): saves the station's new version.
pub async fn edit(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<StationPost>,
) -> PageResult {
    let action = "water_section.edit";
    let target = format!("water_section:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::edit_water_section(
        &s.store,
        &s.plan,
        &auth.actor(),
        &code,
        &f.input,
        f.reason.as_deref(),
    )
    .await;
    match r {
        Ok(_) => Ok(Redirect::to(&format!("{}?saved=edited", section_href(&code))).into_response()),
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

/// `POST /water/sections/{code}/retire` (staff): retires the station; its data stay.
pub async fn retire(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<RetirePost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "water_section.retire";
    let target = format!("water_section:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::retire_water_section(
        &s.store,
        &auth.actor(),
        &code,
        &f.retired_on,
        &f.reason,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=retired", section_href(&code))).into_response())
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
                super::section_page_with(&s, &auth, &code, None, None, Some(refused)).await?;
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

/// `POST /water/sections/{code}/devices` (staff): links an HJ 212 device to the station.
pub async fn link(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path(code): Path<String>,
    Form(f): Form<LinkPost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "water_section.link_device";
    let target = format!("water_section:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::link_device(
        &s.store,
        &auth.actor(),
        StationKind::Water,
        &code,
        &f.input,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=linked", section_href(&code))).into_response())
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
                super::section_page_with(&s, &auth, &code, None, None, Some(refused)).await?;
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

/// `POST /water/sections/{code}/devices/{mn}/unlink` (staff): unlinks the device.
pub async fn unlink(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    Path((code, mn)): Path<(String, String)>,
    Form(f): Form<CsrfPost>,
) -> Result<Response, crate::web::page::PageError> {
    let action = "water_section.unlink_device";
    let target = format!("water_section:{code}");
    staff_write(&s, &auth, action, &target, f.csrf_token.as_deref()).await?;
    let r = qingshan_app::stations::unlink_device(
        &s.store,
        &auth.actor(),
        StationKind::Water,
        &code,
        &mn,
    )
    .await;
    match r {
        Ok(()) => {
            Ok(Redirect::to(&format!("{}?saved=unlinked", section_href(&code))).into_response())
        }
        Err(e) => Err(refuse(&s, &auth, action, target, e.into(), Some(mn))
            .await
            .into()),
    }
}

/// `POST /water/import` (staff, multipart): a sample file (CSV or XLSX), all or nothing; back
/// to the water page with what was stored, or the page again with the refusal.
pub async fn import_form(
    State(s): State<AppState>,
    Extension(auth): Extension<Auth>,
    multipart: Multipart,
) -> PageResult {
    let action = "water_sample.import";
    let up = match crate::web::upload::read(multipart).await {
        Ok(u) => u,
        Err(e) => {
            return Err(refuse(&s, &auth, action, "water_samples".into(), e, None)
                .await
                .into());
        }
    };
    staff_write(&s, &auth, action, "water_samples", up.csrf.as_deref()).await?;
    let imported = match ImportFile::from_bytes(up.file) {
        Ok(file) => qingshan_app::imports::water::import_samples(&s.store, &auth.actor(), file)
            .await
            .map(|(_, counts)| counts)
            .map_err(AppError::from),
        Err(e) => Err(AppError::invalid("file", e.to_string())),
    };
    match imported {
        Ok(c) => Ok(
            Redirect::to(&format!("/water?{}", crate::web::import_report::query(&c)))
                .into_response(),
        ),
        Err(e) => {
            let e = refuse(&s, &auth, action, "water_samples".into(), e, None).await;
            if matches!(e, AppError::Rows(_)) {
                return crate::web::import_report::failed(
                    &s,
                    &auth,
                    e,
                    "水质监测结果导入",
                    "/water",
                );
            }
            if matches!(e, AppError::Internal(_)) {
                return Err(e.into());
            }
            let status = e.status();
            let mut resp =
                super::overview_page(&s, &auth, None, None, Some(form_message(&e))).await?;
            *resp.status_mut() = status;
            Ok(resp)
        }
    }
}
