//! How stored times and factor codes read in Chinese documents — pages, exports, case files —
//! written once here so the web kernel's template filters and the app's documents agree.

use chrono::{DateTime, NaiveDateTime, TimeZone, Utc};

use crate::beijing::OFFSET as BEIJING;

/// A stored timestamp as Beijing time, `2026-12-02 15:41`.
///
/// Understood: RFC 3339 with any offset (what the store writes), UTC text without an offset
/// (`2026-12-02 07:41:00`, `2026-12-02T07:41:00`), and HJ 212 DataTime (`20261202154100`),
/// which is the device's clock, already local time. Anything else (a period such as `2025-80`)
/// is shown as it is, never dropped.
pub fn time(text: &str) -> String {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return dt
            .with_timezone(&BEIJING)
            .format("%Y-%m-%d %H:%M")
            .to_string();
    }
    for fmt in ["%Y-%m-%d %H:%M:%S%.f", "%Y-%m-%dT%H:%M:%S%.f"] {
        if let Ok(naive) = NaiveDateTime::parse_from_str(t, fmt) {
            return Utc
                .from_utc_datetime(&naive)
                .with_timezone(&BEIJING)
                .format("%Y-%m-%d %H:%M")
                .to_string();
        }
    }
    if t.len() == 14
        && t.bytes().all(|b| b.is_ascii_digit())
        && let Ok(naive) = NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S")
    {
        return naive.format("%Y-%m-%d %H:%M").to_string();
    }
    t.to_string()
}

/// An HJ 212 factor as people read it: `二氧化硫（a21026）mg/m³`; the code stays visible, and
/// a code missing from the table is shown with a Chinese note rather than alone.
pub fn factor(code: &str) -> String {
    let code = code.trim();
    if code.is_empty() {
        return "整台设备".into();
    }
    match qingshan_hj212::factor_name(code) {
        Some((name, "")) => format!("{name}（{code}）"),
        Some((name, unit)) => format!("{name}（{code}）{unit}"),
        None => format!("监测因子 {code}"),
    }
}
