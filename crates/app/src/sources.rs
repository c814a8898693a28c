//! Pollution sources: who handles which alarms, moving an alarm along (确认, 关闭), what needs
//! attention, a device's transmission and emission statistics, and the registry (import, the
//! rows of the import file, editing one row).

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use qingshan_sources::stats::{self, CouUnit};
use qingshan_store::{
    Actor, Alarm, AlarmFilter, DeviceLimit, DeviceOverview, ImportCounts, Role, Store, User,
};
use serde_json::{Value, json};

use crate::imports::ImportFile;
use crate::{Error, Result};

/// Devices count as online while data arrived within this many intervals.
pub const ONLINE_INTERVALS: i64 = 3;

/// The earliest upload time (stored form) that keeps a device of this reporting interval
/// online at `now`, as [`online`] judges: the stored times are RFC 3339 in UTC with
/// milliseconds, which sort as text.
pub fn online_since(now: DateTime<Utc>, interval_secs: i64) -> String {
    (now - chrono::Duration::seconds(interval_secs.saturating_mul(ONLINE_INTERVALS)))
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

/// Whether a device delivered within [`ONLINE_INTERVALS`] of its interval before `now`.
pub fn online(d: &DeviceOverview, now: DateTime<Utc>) -> bool {
    d.last_seen
        .as_deref()
        .and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| {
            (now - t.with_timezone(&Utc)).num_seconds() <= d.interval_secs * ONLINE_INTERVALS
        })
}

/// Which county's alarms the user may see and handle: every county (`None`) for the bureau's
/// staff, their own for a county official (the county branch disposes of its enterprises'
/// alarms). Anyone else is refused.
pub fn alarm_scope(user: Option<&User>) -> Result<Option<String>> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(None),
        Role::County => match &u.division_code {
            Some(code) => Ok(Some(code.clone())),
            None => Err(Error::Forbidden("区县账号未设置所属区县".into())),
        },
        _ => Err(Error::Forbidden(
            "告警仅向生态环境局工作人员和区县账号开放".into(),
        )),
    }
}

/// The alarms asked for (`status`, `county`; empty means any), within what the user may see.
pub fn alarm_filter(
    user: Option<&User>,
    status: Option<&str>,
    county: Option<&str>,
) -> Result<AlarmFilter> {
    let scope = alarm_scope(user)?;
    Ok(AlarmFilter {
        status: status.filter(|v| !v.is_empty()).map(str::to_string),
        division_code: scope.or_else(|| county.filter(|v| !v.is_empty()).map(str::to_string)),
        mn: None,
    })
}

/// What needs attention in the user's scope, for the dashboard: incidents waiting to be handled and devices gone
/// quiet; `None` for those who do not handle alarms.
pub async fn attention(store: &Store, user: Option<&User>) -> Result<Option<Value>> {
    let Ok(division_code) = alarm_scope(user) else {
        return Ok(None);
    };
    // Consecutive alarms are one incident: the line counts incidents waiting to be handled.
    let open_alarms = crate::incidents::open_count(store, division_code.as_deref()).await?;
    let now = Utc::now();
    // Counted in the database: a province's registry is too large to read per page view.
    let offline: i64 = store
        .device_counts_by_county(|interval| online_since(now, interval))
        .await?
        .into_iter()
        .filter(|(county, _)| division_code.is_none() || *county == division_code)
        .map(|(_, (devices, online))| devices - online)
        .sum();
    let county = division_code
        .as_deref()
        .map(|c| format!("&county={c}"))
        .unwrap_or_default();
    Ok(Some(json!({
        "open_alarms": open_alarms,
        "offline_devices": offline,
        "alarms_href": format!("/alarms?status=open{county}"),
    })))
}

/// Moves an alarm to `to` (`acknowledged` or `closed`) for a user who may handle it: a county
/// official only their county's alarms; closing needs the disposition note (处置说明).
/// Refusals are [`Error::Forbidden`] or [`Error::Invalid`]; an unknown alarm is
/// [`Error::NotFound`].
pub async fn transition_alarm(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    to: &str,
    note: Option<&str>,
) -> Result<Alarm> {
    if let Some(county) = alarm_scope(user)? {
        let alarm = store
            .alarm(id)
            .await?
            .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的告警")))?;
        if alarm.division_code.as_deref() != Some(county.as_str()) {
            return Err(Error::Forbidden("该告警不属于本区县的排污单位".into()));
        }
    }
    if to == "closed" && note.is_none_or(|n| n.trim().is_empty()) {
        return Err(Error::invalid("note", "关闭告警须填写处置说明"));
    }
    Ok(store
        .transition_alarm(id, to, note.map(str::trim), actor)
        .await?)
}

/// How much a registry import brought in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct RegistryCounts {
    /// Enterprises.
    pub enterprises: usize,
    /// Outlets.
    pub outlets: usize,
    /// Devices.
    pub devices: usize,
    /// Permits.
    pub permits: usize,
    /// Permit limits.
    pub limits: usize,
    /// Registry records new, changed, or identical to the stored ones (and so not written).
    pub records: ImportCounts,
}

/// Imports a registry file (CSV or XLSX, told apart by content; Chinese headers or codes), all
/// or nothing. A file that cannot be read is [`Error::Invalid`] on `file`; one with bad rows is
/// [`Error::Rows`], listing each.
pub async fn import_registry(
    store: &Store,
    actor: &Actor,
    bytes: Vec<u8>,
) -> Result<RegistryCounts> {
    let file = ImportFile::from_bytes(bytes).map_err(|e| Error::invalid("file", e.to_string()))?;
    let reg = crate::imports::read_registry(file)?;
    let records = store.import_registry_changes(&reg, actor).await?;
    Ok(RegistryCounts {
        enterprises: reg.enterprises.len(),
        outlets: reg.outlets.len(),
        devices: reg.devices.len(),
        permits: reg.permits.len(),
        limits: reg.limits.len(),
        records,
    })
}

/// The registry's columns with their Chinese labels, in the order the edit form shows them.
pub const REGISTRY_LABELS: [(&str, &str); 24] = [
    ("credit_code", "统一社会信用代码"),
    ("enterprise_name", "排污单位名称"),
    ("division_code", "所在区县"),
    ("industry", "行业"),
    ("address", "地址"),
    ("longitude", "经度"),
    ("latitude", "纬度"),
    ("permit_class", "排污许可管理类别"),
    ("outlet_code", "排放口编号"),
    ("outlet_name", "排放口名称"),
    ("outlet_kind", "排放口类型"),
    ("mn", "设备 MN"),
    ("protocol", "协议版本"),
    ("crc_policy", "CRC 校验策略"),
    ("password", "访问密码（PW）"),
    ("interval_secs", "上报周期（秒）"),
    ("permit_number", "排污许可证编号"),
    ("permit_valid_from", "许可证有效期起"),
    ("permit_valid_to", "许可证有效期止"),
    ("factor_code", "因子编码"),
    ("hourly_limit", "小时浓度限值"),
    ("use_converted", "按折算值判定"),
    ("reference_o2", "基准氧含量（%）"),
    ("annual_total_t", "许可年排放量（t/a）"),
];

/// The columns that describe one factor's limit, left empty when a form adds a new one.
pub const LIMIT_COLUMNS: [&str; 5] = [
    "factor_code",
    "hourly_limit",
    "use_converted",
    "reference_o2",
    "annual_total_t",
];

/// One registry row: column name of the import file → text.
pub type RegistryRow = HashMap<String, String>;

/// The registry as rows of the import file: what the edit form shows.
pub async fn registry_rows(store: &Store) -> Result<Vec<RegistryRow>> {
    let reg = store.export_registry().await?;
    Ok(qingshan_sources::registry_rows(&reg)
        .into_iter()
        .map(|r| {
            qingshan_sources::REGISTRY_COLUMNS
                .iter()
                .map(|c| c.to_string())
                .zip(r)
                .collect()
        })
        .collect())
}

/// One row as a line of the import file, for the audit log: the device password masked.
pub fn row_text(row: &RegistryRow) -> String {
    crate::secrets::registry_row_text(row)
}

/// The registry row a form sent: every column of the import file, trimmed, empty when absent.
pub fn row_from_form(form: &HashMap<String, String>) -> RegistryRow {
    qingshan_sources::REGISTRY_COLUMNS
        .iter()
        .map(|c| {
            (
                c.to_string(),
                form.get(*c)
                    .map(|v| v.trim().to_string())
                    .unwrap_or_default(),
            )
        })
        .collect()
}

/// Applies one registry row, checked exactly as an imported file's row is; `target` is what
/// the audit log names. A refused row changes nothing and is [`Error::Invalid`] on `row`, its
/// message naming the field by its Chinese label. A password equal to
/// [`crate::secrets::MASK`] keeps the device's stored password: the edit form shows the mask,
/// never the password.
pub async fn edit_registry_row(
    store: &Store,
    actor: &Actor,
    row: &RegistryRow,
    target: String,
) -> Result<()> {
    let stored = registry_rows(store).await?;
    let mut row = row.clone();
    let mn = row.get("mn").cloned().unwrap_or_default();
    let stored_pw = stored
        .iter()
        .find(|r| r.get("mn") == Some(&mn))
        .and_then(|r| r.get("password").map(String::as_str));
    crate::secrets::unmask_form_row(&mut row, stored_pw);
    let row = &row;
    let cell = |c: &str| row.get(c).map_or("", String::as_str);
    let mut csv = csv::Writer::from_writer(Vec::new());
    let written = csv
        .write_record(qingshan_sources::REGISTRY_COLUMNS)
        .and_then(|()| {
            csv.write_record(qingshan_sources::REGISTRY_COLUMNS.iter().map(|c| cell(c)))
        });
    let bytes = written
        .map_err(|e| e.to_string())
        .and_then(|()| csv.into_inner().map_err(|e| e.to_string()))
        .map_err(|e| Error::invalid("row", format!("登记行无法写成导入格式：{e}")))?;
    let reg = qingshan_sources::read_registry(bytes.as_slice()).map_err(|e| {
        // The form has one row: name the field, not a row number.
        let message = match &e {
            qingshan_sources::RegistryError::Cell {
                column, message, ..
            } => {
                let label = REGISTRY_LABELS
                    .iter()
                    .find(|(n, _)| n == column)
                    .map_or(column.as_str(), |(_, l)| l);
                format!("「{label}」：{message}")
            }
            other => other.to_string(),
        };
        Error::invalid("row", message)
    })?;
    let (mn, factor) = (cell("mn"), cell("factor_code"));
    let old = stored
        .into_iter()
        .find(|r| {
            r.get("mn").map_or("", String::as_str) == mn
                && r.get("factor_code").map_or("", String::as_str) == factor
        })
        .map(|r| row_text(&r));
    store
        .edit_registry_row(&reg, actor, target, old, row_text(row))
        .await?;
    Ok(())
}

/// 数据有效传输率 of a month (per day and in total) and year-to-date emissions against the
/// permitted annual totals, for one device.
pub async fn device_statistics(
    store: &Store,
    mn: &str,
    year: i32,
    month: u32,
    limits: &[DeviceLimit],
) -> Result<Value> {
    device_statistics_at(
        store,
        mn,
        year,
        month,
        limits,
        Utc::now(),
        &Default::default(),
    )
    .await
}

/// [`device_statistics`] with backfilled data counted as `counting` says (docs/backfill.md).
pub async fn device_statistics_counting(
    store: &Store,
    mn: &str,
    year: i32,
    month: u32,
    limits: &[DeviceLimit],
    counting: crate::backfill::BackfillCounting,
) -> Result<Value> {
    device_statistics_full(
        store,
        mn,
        year,
        month,
        limits,
        Utc::now(),
        &Default::default(),
        counting,
    )
    .await
}

/// [`device_statistics`] as of `now`, backfilled data counted as received (补全).
pub async fn device_statistics_at(
    store: &Store,
    mn: &str,
    year: i32,
    month: u32,
    limits: &[DeviceLimit],
    now: DateTime<Utc>,
    opts: &qingshan_sources::marking::MarkingOptions,
) -> Result<Value> {
    device_statistics_full(
        store,
        mn,
        year,
        month,
        limits,
        now,
        opts,
        crate::backfill::BackfillCounting::Complete,
    )
    .await
}

/// [`device_statistics`] as of `now`. Hours under a valid data mark whose kind the marking rule
/// leaves out of the 有效传输率 (停运 and, as an option, the other kinds: docs/marking.md) leave
/// both the expected and the received counts (`marked_hours` says how many factor-hours);
/// emission totals keep every hour, marked or not (排污许可管理条例 第21条第2款). Under
/// [`crate::backfill::BackfillCounting::Timely`] hours that arrived only by backfill (补传) are
/// not received for the 传输率; emissions count them all the same.
#[allow(clippy::too_many_arguments)]
pub async fn device_statistics_full(
    store: &Store,
    mn: &str,
    year: i32,
    month: u32,
    limits: &[DeviceLimit],
    now: DateTime<Utc>,
    opts: &qingshan_sources::marking::MarkingOptions,
    counting: crate::backfill::BackfillCounting,
) -> Result<Value> {
    let Some(first) = chrono::NaiveDate::from_ymd_opt(year, month, 1) else {
        return Err(Error::invalid("month", "月份应为 1–12"));
    };
    let next = if month == 12 {
        chrono::NaiveDate::from_ymd_opt(year + 1, 1, 1)
    } else {
        chrono::NaiveDate::from_ymd_opt(year, month + 1, 1)
    };
    let Some(next) = next else {
        return Err(Error::invalid("year", "年份无效"));
    };
    // Only elapsed hours are expected: a month in progress is judged so far.
    let now_local = crate::beijing::local(now);
    let end = next
        .and_hms_opt(0, 0, 0)
        .map_or(now_local, |e| e.min(now_local));
    let start = first.and_hms_opt(0, 0, 0).unwrap_or_default();
    let factors: Vec<&str> = limits.iter().map(|l| l.factor.as_str()).collect();
    let fmt = |t: chrono::NaiveDateTime| t.format("%Y%m%d%H%M%S").to_string();
    let mut uploads = if end > start {
        store
            .uploads_between(mn, "2061", &fmt(start), &fmt(end))
            .await?
    } else {
        Vec::new()
    };
    if counting == crate::backfill::BackfillCounting::Timely && !uploads.is_empty() {
        let in_time: std::collections::HashSet<String> = store
            .period_times(mn, "2061", &fmt(start), &fmt(end))
            .await?
            .into_iter()
            .filter(|(_, backfilled)| !backfilled)
            .map(|(t, _)| t)
            .collect();
        uploads.retain(|(t, _)| in_time.contains(t));
    }
    let utc = crate::beijing::to_utc;
    let marked =
        crate::marks::excluded_periods(store, mn, utc(start), utc(end), true, opts, 8 * 3600)
            .await?;
    let records = |day: Option<&str>| -> Vec<(String, String, Option<String>)> {
        uploads
            .iter()
            .filter(|(t, _)| day.is_none_or(|d| t.starts_with(d)))
            .flat_map(|(t, fs)| {
                fs.iter()
                    .filter(|f| factors.contains(&f.factor.as_str()))
                    .filter(|f| !marked.covers(&f.factor, t))
                    .map(move |f| (t.clone(), f.factor.clone(), f.flag.clone()))
            })
            .collect()
    };
    // Expected factor-hours of [a, b), and how many of them valid marks took out.
    let expected = |a: chrono::NaiveDateTime, b: chrono::NaiveDateTime| -> (u64, u64) {
        let (mut all, mut out) = (0u64, 0u64);
        let mut h = a;
        while h < b {
            for f in &factors {
                all += 1;
                if marked.covers_hour(f, h) {
                    out += 1;
                }
            }
            h += chrono::Duration::hours(1);
        }
        (all - out, out)
    };
    let mut days = Vec::new();
    let mut d = first;
    while d < next {
        let ds = d.and_hms_opt(0, 0, 0).unwrap_or_default();
        if ds >= end {
            break;
        }
        let de = (ds + chrono::Duration::days(1)).min(end);
        let key = d.format("%Y%m%d").to_string();
        let (exp, out) = expected(ds, de);
        days.push(json!({ "date": d.to_string(), "transmission": stats::transmission_of(exp, &records(Some(&key))), "marked_hours": out }));
        d += chrono::Duration::days(1);
    }
    let (exp, marked_hours) = expected(start, end);
    let month_total = stats::transmission_of(exp, &records(None));
    let ytd = store
        .uploads_between(
            mn,
            "2061",
            &format!("{year}0101000000"),
            &format!("{}0101000000", year + 1),
        )
        .await?;
    let emissions: Vec<Value> = limits
        .iter()
        .map(|l| {
            let cous: Vec<&str> = ytd.iter().flat_map(|(_, fs)| fs.iter()).filter(|f| f.factor == l.factor).filter_map(|f| f.cou.as_deref()).collect();
            json!({ "factor": l.factor, "total": stats::emission_total(&cous, CouUnit::Kg, l.annual_total_t.as_deref()) })
        })
        .collect();
    Ok(
        json!({ "year": year, "month": month, "counting": counting.label(), "factors": factors, "month_total": month_total, "marked_hours": marked_hours, "days": days, "emissions": emissions }),
    )
}

/// One page of the registry's devices and the online count of the whole filtered list.
#[derive(Debug, Clone)]
pub struct RegistryPage {
    /// The devices of this page.
    pub items: Vec<DeviceOverview>,
    /// Devices the filter keeps, on every page.
    pub total: i64,
    /// Of those, the devices online (see [`online`]).
    pub online: i64,
}

/// One page (`limit`, `offset`) of the registry as `user` may see it (an enterprise account:
/// its own devices only), narrowed by `filter`: what the public list `/sources` and
/// `GET /api/v1/sources/devices` show, read a page at a time whatever the registry's size.
pub async fn registry_page(
    store: &Store,
    user: Option<&User>,
    mut filter: qingshan_store::RegistryFilter,
    limit: i64,
    offset: i64,
    now: DateTime<Utc>,
) -> Result<RegistryPage> {
    if let Some(own) = user.and_then(crate::scope::confined_to) {
        filter.credit_code = Some(own.to_string());
    }
    let page = store.registry_paged(&filter, limit, offset).await?;
    // Online: an upload within ONLINE_INTERVALS intervals before now, as `online` says; the
    // stored times are RFC 3339 in UTC with milliseconds, which sort as text.
    let online = store
        .registry_recent_count(&filter, |interval| online_since(now, interval))
        .await?;
    Ok(RegistryPage {
        items: page.items,
        total: page.total,
        online,
    })
}
