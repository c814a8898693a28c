//! The monitoring network as staff keep it: air stations and water sections created, edited
//! and retired (never deleted), and the HJ 212 devices linked to them. Every field is checked
//! here with a Chinese message naming it, so the forms, the API and the command line agree.

use std::collections::HashMap;

use chrono::NaiveDate;
use qingshan_plan::Plan;
use qingshan_store::{
    Actor, AirError, AirStation, AirStationDevice, Retirement, StationKind, Store, StoreError,
    WaterSection, WaterSectionDevice, WaterStoreError,
};

use crate::{Error, Result};

/// China's extent in decimal degrees (longitude 73°29′–135°05′ E, latitude 3°51′–53°33′ N):
/// a coordinate outside it is a typing error, not a station.
const LONGITUDE: (f64, f64) = (73.49, 135.09);
const LATITUDE: (f64, f64) = (3.85, 53.56);

/// Decimals a coordinate may carry (about 0.1 m).
const COORDINATE_DECIMALS: usize = 6;

/// The most characters a code may have.
const CODE_MAX: usize = 32;

/// Air station fields as a form sends them.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct AirStationInput {
    /// 站点编码.
    #[serde(default)]
    pub code: String,
    /// 站点名称.
    #[serde(default)]
    pub name: String,
    /// 国控, 省控 or 县控.
    #[serde(default)]
    pub control_level: String,
    /// County (GB/T 2260); empty for none.
    #[serde(default)]
    pub division_code: String,
    /// 经度.
    #[serde(default)]
    pub longitude: String,
    /// 纬度.
    #[serde(default)]
    pub latitude: String,
}

impl From<&AirStation> for AirStationInput {
    fn from(s: &AirStation) -> Self {
        AirStationInput {
            code: s.code.clone(),
            name: s.name.clone(),
            control_level: s.control_level.clone(),
            division_code: s.division_code.clone().unwrap_or_default(),
            longitude: s.longitude.clone().unwrap_or_default(),
            latitude: s.latitude.clone().unwrap_or_default(),
        }
    }
}

/// Water section fields as a form sends them.
#[derive(Debug, Clone, Default, serde::Deserialize, serde::Serialize)]
pub struct WaterSectionInput {
    /// 断面编码.
    #[serde(default)]
    pub code: String,
    /// 断面名称.
    #[serde(default)]
    pub name: String,
    /// 国考, 省考 or 市考.
    #[serde(default)]
    pub level: String,
    /// river or lake.
    #[serde(default)]
    pub water_body: String,
    /// 所属河流/湖库.
    #[serde(default)]
    pub basin: String,
    /// County (GB/T 2260); empty for none.
    #[serde(default)]
    pub division_code: String,
    /// 水质目标 I–V.
    #[serde(default)]
    pub target_class: String,
    /// "1" when a centralised drinking-water source.
    #[serde(default)]
    pub drinking_source: Option<String>,
}

impl From<&WaterSection> for WaterSectionInput {
    fn from(s: &WaterSection) -> Self {
        WaterSectionInput {
            code: s.code.clone(),
            name: s.name.clone(),
            level: s.level.clone(),
            water_body: s.water_body.clone(),
            basin: s.basin.clone().unwrap_or_default(),
            division_code: s.division_code.clone().unwrap_or_default(),
            target_class: s.target_class.clone(),
            drinking_source: s.is_drinking_source.then(|| "1".to_string()),
        }
    }
}

/// Checks a station or section code: letters, digits, `-`, `_` or `.`, at most 32.
pub fn check_code(field: &str, label: &str, code: &str) -> Result<String> {
    let code = code.trim();
    if code.is_empty() {
        return Err(Error::invalid(field, format!("{label}不能为空")));
    }
    if code.chars().count() > CODE_MAX
        || !code
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    {
        return Err(Error::invalid(
            field,
            format!("{label}只能由字母、数字、“-”“_”“.”组成，不超过 {CODE_MAX} 位：「{code}」"),
        ));
    }
    Ok(code.to_string())
}

/// Checks a coordinate: a plain decimal with at most six decimals inside China's extent.
/// Empty is `None` (the coordinate is not known).
pub fn check_coordinate(field: &str, text: &str) -> Result<Option<String>> {
    let (label, (lo, hi)) = if field == "longitude" {
        ("经度", LONGITUDE)
    } else {
        ("纬度", LATITUDE)
    };
    let t = text.trim();
    if t.is_empty() {
        return Ok(None);
    }
    let (int, frac) = t.split_once('.').unwrap_or((t, ""));
    let plain = !int.is_empty()
        && int.bytes().all(|b| b.is_ascii_digit())
        && frac.bytes().all(|b| b.is_ascii_digit())
        && !(t.contains('.') && frac.is_empty());
    if !plain {
        return Err(Error::invalid(
            field,
            format!("{label}应为十进制度数（如 112.733600），而不是「{t}」"),
        ));
    }
    if frac.len() > COORDINATE_DECIMALS {
        return Err(Error::invalid(
            field,
            format!("{label}最多保留 {COORDINATE_DECIMALS} 位小数：「{t}」"),
        ));
    }
    let v: f64 = t
        .parse()
        .map_err(|_| Error::invalid(field, format!("{label}不是数值：「{t}」")))?;
    if !(lo..=hi).contains(&v) {
        return Err(Error::invalid(
            field,
            format!("{label}应在中国境内（{lo} 至 {hi} 度之间），而不是「{t}」"),
        ));
    }
    Ok(Some(t.to_string()))
}

fn check_name(field: &str, label: &str, name: &str) -> Result<String> {
    let n = name.trim();
    if n.is_empty() {
        return Err(Error::invalid(field, format!("{label}不能为空")));
    }
    if n.chars().count() > 100 {
        return Err(Error::invalid(field, format!("{label}不超过 100 字")));
    }
    Ok(n.to_string())
}

fn check_division(plan: &Plan, code: &str) -> Result<Option<String>> {
    let c = code.trim();
    if c.is_empty() {
        return Ok(None);
    }
    match plan.division(c) {
        Some(_) => Ok(Some(c.to_string())),
        None => Err(Error::invalid(
            "division_code",
            format!("所在区县：规划中没有代码为「{c}」的行政区划"),
        )),
    }
}

/// Checks every field of an air station form.
pub fn check_air_station(plan: &Plan, input: &AirStationInput) -> Result<AirStation> {
    let code = check_code("code", "站点编码", &input.code)?;
    let name = check_name("name", "站点名称", &input.name)?;
    let level = input.control_level.trim();
    if !qingshan_store::AIR_CONTROL_LEVELS.contains(&level) {
        return Err(Error::invalid(
            "control_level",
            format!("控制级别应为 国控、省控 或 县控，而不是「{level}」"),
        ));
    }
    let division_code = check_division(plan, &input.division_code)?;
    let longitude = check_coordinate("longitude", &input.longitude)?;
    let latitude = check_coordinate("latitude", &input.latitude)?;
    if longitude.is_some() != latitude.is_some() {
        return Err(Error::invalid(
            if longitude.is_some() {
                "latitude"
            } else {
                "longitude"
            },
            "经度和纬度应同时填写或同时留空",
        ));
    }
    Ok(AirStation {
        code,
        name,
        control_level: level.to_string(),
        division_code,
        longitude,
        latitude,
    })
}

/// Checks every field of a water section form.
pub fn check_water_section(plan: &Plan, input: &WaterSectionInput) -> Result<WaterSection> {
    let code = check_code("code", "断面编码", &input.code)?;
    let name = check_name("name", "断面名称", &input.name)?;
    let level = input.level.trim();
    if !qingshan_store::WATER_SECTION_LEVELS.contains(&level) {
        return Err(Error::invalid(
            "level",
            format!("考核级别应为 国考、省考 或 市考，而不是「{level}」"),
        ));
    }
    let body = input.water_body.trim();
    if !qingshan_store::WATER_BODIES.contains(&body) {
        return Err(Error::invalid("water_body", "水体类型应为 河流 或 湖库"));
    }
    let class = input.target_class.trim().to_ascii_uppercase();
    if !qingshan_store::WATER_TARGET_CLASSES.contains(&class.as_str()) {
        return Err(Error::invalid(
            "target_class",
            format!(
                "水质目标应为 Ⅰ 至 Ⅴ 类，而不是「{}」",
                input.target_class.trim()
            ),
        ));
    }
    let basin = input.basin.trim();
    if basin.chars().count() > 100 {
        return Err(Error::invalid("basin", "所属河流/湖库不超过 100 字"));
    }
    Ok(WaterSection {
        code,
        name,
        level: level.to_string(),
        water_body: body.to_string(),
        basin: Some(basin.to_string()).filter(|b| !b.is_empty()),
        division_code: check_division(plan, &input.division_code)?,
        target_class: class,
        is_drinking_source: input
            .drinking_source
            .as_deref()
            .is_some_and(|v| !v.is_empty() && v != "0"),
    })
}

fn from_air(e: AirError) -> Error {
    match e {
        AirError::Invalid {
            column, message, ..
        } => Error::invalid(&column, message),
        AirError::Store(s) => from_store(s),
    }
}

fn from_water(e: WaterStoreError) -> Error {
    match e {
        WaterStoreError::Invalid {
            column, message, ..
        } => Error::invalid(&column, message),
        WaterStoreError::Store(s) => from_store(s),
    }
}

fn from_store(e: StoreError) -> Error {
    match e {
        StoreError::Conflict(m) => Error::Conflict(m),
        StoreError::NotFound(m) => Error::NotFound(format!("没有{m}")),
        other => Error::Store(other),
    }
}

/// Registers a new air station from a form.
pub async fn create_air_station(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    input: &AirStationInput,
) -> Result<AirStation> {
    let s = check_air_station(plan, input)?;
    store
        .create_air_station(&s, actor)
        .await
        .map_err(from_air)?;
    Ok(s)
}

/// Changes the air station `code` (the code itself stays) from a form.
pub async fn edit_air_station(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    code: &str,
    input: &AirStationInput,
    reason: Option<&str>,
) -> Result<AirStation> {
    let mut input = input.clone();
    input.code = code.to_string();
    let s = check_air_station(plan, &input)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    store
        .edit_air_station(&s, reason, actor)
        .await
        .map_err(from_air)?;
    Ok(s)
}

/// Checks a retirement: a date `YYYY-MM-DD` and a reason.
pub fn check_retirement(on: &str, reason: &str) -> Result<(NaiveDate, String)> {
    let date = NaiveDate::parse_from_str(on.trim(), "%Y-%m-%d").map_err(|_| {
        Error::invalid(
            "retired_on",
            format!("撤销日期应为 YYYY-MM-DD，而不是「{}」", on.trim()),
        )
    })?;
    let reason = reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("reason", "撤销原因不能为空"));
    }
    if reason.chars().count() > 500 {
        return Err(Error::invalid("reason", "撤销原因不超过 500 字"));
    }
    Ok((date, reason.to_string()))
}

/// Retires the air station `code` from `on`; its data are kept.
pub async fn retire_air_station(
    store: &Store,
    actor: &Actor,
    code: &str,
    on: &str,
    reason: &str,
) -> Result<()> {
    let (date, reason) = check_retirement(on, reason)?;
    store
        .retire_air_station(code, &date.format("%Y-%m-%d").to_string(), &reason, actor)
        .await
        .map_err(from_store)
}

/// Registers a new water section from a form.
pub async fn create_water_section(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    input: &WaterSectionInput,
) -> Result<WaterSection> {
    let s = check_water_section(plan, input)?;
    store
        .create_water_section(&s, actor)
        .await
        .map_err(from_water)?;
    Ok(s)
}

/// Changes the water section `code` from a form.
pub async fn edit_water_section(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    code: &str,
    input: &WaterSectionInput,
    reason: Option<&str>,
) -> Result<WaterSection> {
    let mut input = input.clone();
    input.code = code.to_string();
    let s = check_water_section(plan, &input)?;
    let reason = reason.map(str::trim).filter(|r| !r.is_empty());
    store
        .edit_water_section(&s, reason, actor)
        .await
        .map_err(from_water)?;
    Ok(s)
}

/// Retires the water section `code` from `on`; its data are kept.
pub async fn retire_water_section(
    store: &Store,
    actor: &Actor,
    code: &str,
    on: &str,
    reason: &str,
) -> Result<()> {
    let (date, reason) = check_retirement(on, reason)?;
    store
        .retire_water_section(code, &date.format("%Y-%m-%d").to_string(), &reason, actor)
        .await
        .map_err(from_store)
}

/// The first day each retired station or section no longer counts, by code.
pub fn retired_from(retirements: &[Retirement]) -> HashMap<String, NaiveDate> {
    retirements
        .iter()
        .filter_map(|r| {
            NaiveDate::parse_from_str(&r.retired_on, "%Y-%m-%d")
                .ok()
                .map(|d| (r.code.clone(), d))
        })
        .collect()
}

/// A device link as a form sends it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
pub struct DeviceLinkInput {
    /// The device's MN.
    #[serde(default)]
    pub mn: String,
    /// The PW it must send.
    #[serde(default)]
    pub password: String,
    /// strict or field.
    #[serde(default)]
    pub crc_policy: String,
}

/// Checks an MN: letters and digits, at most 24 (HJ 212-2017 §6.3.2).
pub fn check_mn(mn: &str) -> Result<String> {
    let mn = mn.trim();
    if mn.is_empty() || mn.len() > 24 || !mn.bytes().all(|b| b.is_ascii_alphanumeric()) {
        return Err(Error::invalid(
            "mn",
            format!("设备编码 MN 应为 1 至 24 位字母或数字，而不是「{mn}」"),
        ));
    }
    Ok(mn.to_string())
}

fn check_link(input: &DeviceLinkInput) -> Result<(String, String, String)> {
    let mn = check_mn(&input.mn)?;
    let pw = input.password.trim();
    if pw.is_empty() || pw.chars().count() > 32 || !pw.is_ascii() {
        return Err(Error::invalid(
            "password",
            "访问密码 PW 应为 1 至 32 位 ASCII 字符",
        ));
    }
    let crc = input.crc_policy.trim();
    if !["strict", "field"].contains(&crc) {
        return Err(Error::invalid(
            "crc_policy",
            "CRC 校验方式应为 严格校验 或 现场兼容",
        ));
    }
    Ok((mn, pw.to_string(), crc.to_string()))
}

/// Links a device to the station (air) or section (water) `code`; a device already in use
/// elsewhere as a pollution-source or other device is refused by the store.
pub async fn link_device(
    store: &Store,
    actor: &Actor,
    kind: StationKind,
    code: &str,
    input: &DeviceLinkInput,
) -> Result<()> {
    let (mn, password, crc_policy) = check_link(input)?;
    match kind {
        StationKind::Air => {
            if store.air_station(code).await?.is_none() {
                return Err(Error::NotFound(format!("没有空气站点「{code}」")));
            }
            if store.registered_devices().await?.iter().any(|d| d.mn == mn)
                || store
                    .water_section_devices()
                    .await?
                    .iter()
                    .any(|d| d.mn == mn)
            {
                return Err(Error::Conflict(format!(
                    "设备 {mn} 已登记为其他设备（污染源或水质断面）"
                )));
            }
            let d = AirStationDevice {
                mn,
                station_code: code.to_string(),
                password,
                crc_policy,
            };
            store
                .link_air_station_device(&d, actor)
                .await
                .map_err(from_store)
        }
        StationKind::Water => {
            let d = WaterSectionDevice {
                mn,
                section_code: code.to_string(),
                password,
                crc_policy,
            };
            store
                .link_water_section_device(&d, actor)
                .await
                .map_err(from_store)
        }
    }
}

/// Unlinks the device `mn` from the station or section `code`.
pub async fn unlink_device(
    store: &Store,
    actor: &Actor,
    kind: StationKind,
    code: &str,
    mn: &str,
) -> Result<()> {
    let linked = match kind {
        StationKind::Air => store
            .air_station_devices()
            .await?
            .iter()
            .any(|d| d.mn == mn && d.station_code == code),
        StationKind::Water => store
            .water_section_devices()
            .await?
            .iter()
            .any(|d| d.mn == mn && d.section_code == code),
    };
    if !linked {
        return Err(Error::NotFound(format!("设备 {mn} 未关联「{code}」")));
    }
    match kind {
        StationKind::Air => store.unlink_air_station_device(mn, actor).await,
        StationKind::Water => store.unlink_water_section_device(mn, actor).await,
    }
    .map(|_| ())
    .map_err(from_store)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coordinates_inside_china_with_six_decimals() {
        assert_eq!(
            check_coordinate("longitude", " 112.733600 ")
                .unwrap()
                .as_deref(),
            Some("112.733600")
        );
        assert_eq!(check_coordinate("latitude", "").unwrap(), None);
        for (field, bad) in [
            ("longitude", "12.5"),
            ("longitude", "1127336"),
            ("longitude", "112.7336001"),
            ("longitude", "112,73"),
            ("latitude", "-38.4"),
            ("latitude", "38."),
            ("latitude", "60.1"),
        ] {
            let e = check_coordinate(field, bad).unwrap_err();
            assert!(
                matches!(&e, Error::Invalid { field: f, message } if f == field && (message.starts_with("经度") || message.starts_with("纬度"))),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn codes_and_fields_are_named_in_chinese() {
        let plan = qingshan_plan::xinzhou().unwrap();
        let mut s = AirStationInput {
            code: "1091A".into(),
            name: "市监测站".into(),
            control_level: "国控".into(),
            division_code: "140902".into(),
            longitude: "112.7336".into(),
            latitude: "38.4167".into(),
        };
        assert_eq!(check_air_station(&plan, &s).unwrap().code, "1091A");
        s.code = "10 91".into();
        assert!(
            check_air_station(&plan, &s)
                .unwrap_err()
                .to_string()
                .contains("站点编码")
        );
        s.code = "1091A".into();
        s.latitude = String::new();
        assert!(
            check_air_station(&plan, &s)
                .unwrap_err()
                .to_string()
                .contains("同时填写")
        );
        s.latitude = "38.4167".into();
        s.division_code = "999999".into();
        assert!(
            check_air_station(&plan, &s)
                .unwrap_err()
                .to_string()
                .contains("所在区县")
        );
        let w = WaterSectionInput {
            code: "W1".into(),
            name: "河口".into(),
            level: "国考".into(),
            water_body: "river".into(),
            target_class: "iii".into(),
            ..Default::default()
        };
        assert_eq!(check_water_section(&plan, &w).unwrap().target_class, "III");
        assert!(
            check_retirement("2024-13-01", "x")
                .unwrap_err()
                .to_string()
                .contains("撤销日期")
        );
        assert!(
            check_retirement("2024-06-01", " ")
                .unwrap_err()
                .to_string()
                .contains("撤销原因")
        );
        assert!(check_mn("MN 1").is_err());
    }
}
