//! The enterprise's own view (排污单位): its registration, outlets, devices with their latest
//! hourly values and online state, permits and limits, and its open alarms. Only what is
//! stored is shown; a value not received is missing, never zero.

use chrono::{DateTime, Duration, Utc};
use qingshan_sources::{Enterprise, Limit, Outlet, Permit};
use qingshan_store::{Alarm, AlarmFilter, DeviceOverview, Store};
use serde::Serialize;

use crate::sources::online;
use crate::{Error, Result};

/// How far back the latest hourly value of a factor is looked for.
pub const LATEST_WITHIN_HOURS: i64 = 48;

/// The latest hourly value of one limited factor of a device.
#[derive(Debug, Clone, Serialize)]
pub struct LatestValue {
    /// HJ 212 factor code.
    pub factor: String,
    /// The hour's DataTime (YYYYMMDDhhmmss, Beijing time), if a value came within
    /// [`LATEST_WITHIN_HOURS`].
    pub data_time: Option<String>,
    /// The value judged against the limit (converted when the limit says so), exact text.
    pub value: Option<String>,
    /// Whether `value` is the converted (折算) one.
    pub converted: bool,
    /// The hourly limit, exact text.
    pub hourly_limit: Option<String>,
}

/// One device of the enterprise with its state.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceState {
    /// The device and its outlet.
    pub device: DeviceOverview,
    /// Delivered within its online window.
    pub online: bool,
    /// The latest hourly value of each limited factor.
    pub latest: Vec<LatestValue>,
}

/// Everything the enterprise's home shows.
#[derive(Debug, Clone, Serialize)]
pub struct EnterpriseHome {
    /// The enterprise as registered.
    pub enterprise: Enterprise,
    /// Its outlets.
    pub outlets: Vec<Outlet>,
    /// Its devices.
    pub devices: Vec<DeviceState>,
    /// Its permits.
    pub permits: Vec<Permit>,
    /// Its permitted limits.
    pub limits: Vec<Limit>,
    /// Its open alarms, newest first.
    pub open_alarms: Vec<Alarm>,
}

/// The home of the enterprise `credit_code` at `now`. An enterprise missing from the registry
/// (its registration removed after the account was opened) is [`Error::NotFound`].
pub async fn home(store: &Store, credit_code: &str, now: DateTime<Utc>) -> Result<EnterpriseHome> {
    let reg = store.export_registry().await?;
    let Some(enterprise) = reg
        .enterprises
        .iter()
        .find(|e| e.credit_code == credit_code)
        .cloned()
    else {
        return Err(Error::NotFound(format!(
            "污染源名录中没有统一社会信用代码为 {credit_code} 的排污单位"
        )));
    };
    let mine = |c: &str| c == credit_code;
    let outlets: Vec<Outlet> = reg
        .outlets
        .iter()
        .filter(|o| mine(&o.credit_code))
        .cloned()
        .collect();
    let permits: Vec<Permit> = reg
        .permits
        .iter()
        .filter(|p| mine(&p.credit_code))
        .cloned()
        .collect();
    let limits: Vec<Limit> = reg
        .limits
        .iter()
        .filter(|l| mine(&l.credit_code))
        .cloned()
        .collect();
    let local = crate::beijing::local(now);
    let from = (local - Duration::hours(LATEST_WITHIN_HOURS))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let to = (local + Duration::hours(1))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let date = local.format("%Y-%m-%d").to_string();
    let mut devices = Vec::new();
    let mut open_alarms = Vec::new();
    for d in store.enterprise_devices(credit_code).await? {
        let mut latest = Vec::new();
        for l in &store.supervised_limits_of(&d.mn, &date).await? {
            let series = store
                .measurements(&d.mn, "2061", &l.factor, &from, &to)
                .await?;
            let last = series.iter().rev().find_map(|m| {
                let v = if l.use_converted {
                    m.values.zs_avg.as_ref().or(m.values.avg.as_ref())
                } else {
                    m.values.avg.as_ref()
                };
                v.map(|v| (m.data_time.clone(), v.clone()))
            });
            latest.push(LatestValue {
                factor: l.factor.clone(),
                data_time: last.as_ref().map(|(t, _)| t.clone()),
                value: last.map(|(_, v)| v),
                converted: l.use_converted,
                hourly_limit: l.hourly_limit.clone(),
            });
        }
        open_alarms.extend(
            store
                .alarms(
                    &AlarmFilter {
                        status: Some("open".into()),
                        mn: Some(d.mn.clone()),
                        ..AlarmFilter::default()
                    },
                    200,
                )
                .await?,
        );
        devices.push(DeviceState {
            online: online(&d, now),
            device: d,
            latest,
        });
    }
    open_alarms.sort_by(|a, b| b.start_time.cmp(&a.start_time));
    Ok(EnterpriseHome {
        enterprise,
        outlets,
        permits,
        limits,
        devices,
        open_alarms,
    })
}
