//! The supervisor's work: runs the supervision rules over stored data and raises, updates and
//! ends alarms, and turns HJ 212 uploads of air and water stations into station-hours and daily
//! means. The clock is a parameter, so tests (and re-runs over past data) control time; the
//! server's supervisor only schedules the runs.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use qingshan_plan::Decimal;
use qingshan_sources::stats::{self, CouUnit, TotalStatus};
use qingshan_sources::supervision::{self, AlarmKind, Episode, Point};
use qingshan_store::{AlarmEpisode, DeviceLimit, Raised, Store, StoreError};
use serde::Serialize;

/// Settings of the supervision rules.
#[derive(Debug, Clone)]
pub struct SupervisorConfig {
    /// Offline after this many expected intervals without data.
    pub offline_multiple: i64,
    /// 设备异常 after this many consecutive flagged hourly records.
    pub fault_min_records: usize,
    /// 疑似异常 after this many consecutive identical (or zero) hourly values.
    pub frozen_min_hours: usize,
    /// How far back each run looks, hours.
    pub lookback_hours: i64,
    /// Time between runs.
    pub period: Duration,
    /// Devices' clock offset from UTC, seconds (DataTime is local time: Beijing, +8 h).
    pub device_utc_offset_secs: i32,
    /// Raw frames are kept this many days as evidence, then purged; `None` keeps them forever.
    pub raw_retention_days: Option<i64>,
    /// How automatic surface-water stations' hourly values become daily means.
    pub water: qingshan_water::automatic::AutomaticOptions,
    /// The marking rule's unconfirmed details (docs/marking.md).
    pub marking: qingshan_sources::marking::MarkingOptions,
    /// Automatic backfill of gaps (补传), run by the server's schedule after each pass.
    pub backfill: crate::backfill::BackfillConfig,
    /// 未落实减排措施 after this many consecutive hours below the committed cut during a
    /// heavy-pollution warning (no published value; ../shared/reference/heavy-pollution.md §D.3).
    pub reduction_miss_hours: usize,
}

impl Default for SupervisorConfig {
    fn default() -> Self {
        SupervisorConfig {
            offline_multiple: 3,
            fault_min_records: 3,
            frozen_min_hours: 6,
            lookback_hours: 48,
            period: Duration::from_secs(60),
            device_utc_offset_secs: 8 * 3600,
            // Three years: beyond the two-year limitation period of administrative penalties.
            raw_retention_days: Some(3 * 365),
            water: qingshan_water::automatic::AutomaticOptions::default(),
            marking: qingshan_sources::marking::MarkingOptions::default(),
            backfill: crate::backfill::BackfillConfig::default(),
            reduction_miss_hours: 3,
        }
    }
}

/// What one run did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct RunSummary {
    /// New alarms.
    pub raised: usize,
    /// Alarms updated (an episode that goes on, or ended).
    pub updated: usize,
    /// Raw frames purged under the retention rule.
    pub purged: u64,
    /// Air station-hours taken from HJ 212 uploads.
    pub air_hours: usize,
    /// Daily means of water sections (per item) taken from HJ 212 uploads.
    pub water_days: usize,
}

fn tally(s: &mut RunSummary, r: Raised) {
    match r {
        Raised::New(_) => s.raised += 1,
        Raised::Updated(_) => s.updated += 1,
        Raised::AlreadyClosed(_) => {}
    }
}

fn episode(kind: AlarmKind, mn: &str, factor: &str, e: Episode) -> AlarmEpisode {
    AlarmEpisode {
        kind: kind.code().into(),
        mn: mn.into(),
        factor: factor.into(),
        start_time: e.start,
        end_time: e.end,
        peak: e.peak,
        peak_time: e.peak_time,
        records: e.records as i64,
        context: e.context,
    }
}

/// One pass of every rule as of `now`, over every device.
pub async fn run_once(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &SupervisorConfig,
) -> Result<RunSummary, StoreError> {
    run_pass(store, now, cfg, None).await
}

/// One pass of every rule as of `now`. With `changed_since`, the hourly rules (超标, 设备异常,
/// 疑似异常, 排放总量) judge only the devices whose hourly data were stored from that time on
/// (as received) or that have a data mark in the look-back period: at a province's tens of
/// thousands of devices, re-reading every device's 48 hours each minute made a pass outlast
/// its period, while a device without new data would be judged as before. The schedule runs a
/// full pass ([`run_once`]) on taking the duty and every hour, which picks up what arrives
/// otherwise (a permit edited, quarantined data released).
pub async fn run_pass(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &SupervisorConfig,
    changed_since: Option<DateTime<Utc>>,
) -> Result<RunSummary, StoreError> {
    let mut summary = RunSummary {
        air_hours: air_hours_from_hj212(store, now, cfg).await?,
        water_days: water_days_from_hj212(store, now, cfg).await?,
        ..RunSummary::default()
    };
    // Next months' partitions (PostgreSQL) are made ahead by whoever holds the duty.
    store.maintain_partitions(now).await?;
    if let Some(days) = cfg.raw_retention_days {
        let before = (now - chrono::Duration::days(days))
            .to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
        summary.purged = store.purge_raw_frames(&before).await?;
    }
    let local = now + chrono::Duration::seconds(i64::from(cfg.device_utc_offset_secs));
    let date = local.format("%Y-%m-%d").to_string();
    let from = (local - chrono::Duration::hours(cfg.lookback_hours))
        .format("%Y%m%d%H%M%S")
        .to_string();
    let to = (local + chrono::Duration::hours(1))
        .format("%Y%m%d%H%M%S")
        .to_string();

    let mut by_device: BTreeMap<String, Vec<DeviceLimit>> = BTreeMap::new();
    for l in store.supervised_limits(&date).await? {
        by_device.entry(l.mn.clone()).or_default().push(l);
    }
    let year = local.format("%Y").to_string();
    let year_start = format!("{year}0101000000");
    // One read of the window's marks for every device rather than two per device: at a
    // province's tens of thousands of devices the per-device reads made a pass outlast its
    // period.
    let mut marks_by_device: BTreeMap<String, Vec<qingshan_store::DataMark>> = BTreeMap::new();
    for m in store
        .data_marks_overlapping_all(
            &crate::marks::stored_time(now - chrono::Duration::hours(cfg.lookback_hours + 1)),
            &crate::marks::stored_time(now + chrono::Duration::hours(1)),
        )
        .await?
    {
        marks_by_device.entry(m.mn.clone()).or_default().push(m);
    }
    let (recheck_from, recheck_to) = (
        crate::marks::stored_time(now - chrono::Duration::hours(cfg.lookback_hours)),
        crate::marks::stored_time(now),
    );
    let changed = match changed_since {
        Some(t) => Some(
            store
                .devices_stored_since(
                    "2061",
                    &t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
                )
                .await?,
        ),
        None => None,
    };
    for (mn, limits) in &by_device {
        if changed
            .as_ref()
            .is_some_and(|c| !c.contains(mn) && !marks_by_device.contains_key(mn))
        {
            continue;
        }
        let marks = marks_by_device.get(mn).map(Vec::as_slice).unwrap_or(&[]);
        // Hours under a valid data mark are no basis for an exceedance finding (§A.6).
        let marked =
            crate::marks::periods_of(marks, false, &cfg.marking, cfg.device_utc_offset_secs);
        // Marks filed ahead of their data are checked against the data as they arrive: those
        // overlapping the look-back period (the stored times compare as text, as in SQL).
        for m in marks.iter().filter(|m| {
            m.state != "rejected"
                && m.start_time < recheck_to
                && m.end_time.as_ref().is_none_or(|e| *e > recheck_from)
        }) {
            if let Err(e) =
                crate::marks::recheck(store, m.id, now, &cfg.marking, cfg.device_utc_offset_secs)
                    .await
            {
                tracing::warn!(mark = m.id, error = %e, "data mark re-check failed");
            }
        }
        let ytd = if limits.iter().any(|l| l.annual_total_t.is_some()) {
            store.uploads_between(mn, "2061", &year_start, &to).await?
        } else {
            Vec::new()
        };
        // The look-back window's hourly data, read once for all the device's factors.
        let window = if limits.iter().any(|l| l.hourly_limit.is_some()) {
            store.uploads_between(mn, "2061", &from, &to).await?
        } else {
            Vec::new()
        };
        for l in limits {
            let factor = &l.factor;
            if let Some(permitted) = l.annual_total_t.as_deref() {
                let cous: Vec<&str> = ytd
                    .iter()
                    .flat_map(|(_, fs)| fs.iter())
                    .filter(|f| &f.factor == factor)
                    .filter_map(|f| f.cou.as_deref())
                    .collect();
                let total = stats::emission_total(&cous, CouUnit::Kg, Some(permitted));
                let levels: &[(&str, &str)] = match total.status {
                    Some(TotalStatus::Exceeded) => &[("80", "预警"), ("100", "超总量")],
                    Some(TotalStatus::Warning) => &[("80", "预警")],
                    _ => &[],
                };
                for (pct, word) in levels {
                    let ep = AlarmEpisode {
                        kind: AlarmKind::AnnualTotal.code().into(),
                        mn: mn.clone(),
                        factor: factor.clone(),
                        start_time: format!("{year}-{pct}"),
                        end_time: None,
                        peak: Some(total.total_t.clone()),
                        peak_time: None,
                        records: cous.len() as i64,
                        context: format!(
                            "{year} 年累计排放 {} t，占许可年排放总量 {permitted} t 的 {}%（{word}）",
                            total.total_t,
                            total.share.as_deref().unwrap_or("—")
                        ),
                    };
                    tally(&mut summary, store.raise_alarm(&ep).await?);
                }
            }
            let Some(limit) = l.hourly_limit.as_deref() else {
                continue;
            };
            let Ok(limit) = limit.parse::<Decimal>() else {
                tracing::warn!(%mn, %factor, %limit, "permit limit is not a number; skipped");
                continue;
            };
            // Hourly data (2061); the permit decides whether the converted (Zs) mean is judged.
            let converted = l.use_converted;
            let points = hourly_points(&window, factor, converted);
            for e in supervision::exceedances(&unmarked(&points, &marked, factor), limit) {
                tally(
                    &mut summary,
                    store
                        .raise_alarm(&episode(AlarmKind::Exceedance, mn, factor, e))
                        .await?,
                );
            }
            for e in supervision::device_faults(&points, cfg.fault_min_records) {
                tally(
                    &mut summary,
                    store
                        .raise_alarm(&episode(AlarmKind::DeviceFault, mn, factor, e))
                        .await?,
                );
            }
            for e in supervision::frozen(&points, cfg.frozen_min_hours) {
                tally(
                    &mut summary,
                    store
                        .raise_alarm(&episode(AlarmKind::Frozen, mn, factor, e))
                        .await?,
                );
            }
        }
    }

    let mut ongoing_offline: BTreeMap<String, Vec<qingshan_store::Alarm>> = BTreeMap::new();
    for a in store
        .ongoing_alarms_of_kind(AlarmKind::Offline.code())
        .await?
    {
        ongoing_offline.entry(a.mn.clone()).or_default().push(a);
    }
    for seen in store.last_seen().await? {
        let (mn, last) = (seen.mn, seen.last_seen);
        // A device that never reported is judged from its registration.
        let anchor = last.as_deref().unwrap_or(&seen.registered_at);
        let anchor_secs = DateTime::parse_from_rfc3339(anchor)
            .ok()
            .map(|t| t.timestamp());
        let ongoing = ongoing_offline.remove(&mn).unwrap_or_default();
        let start = match &last {
            Some(t) => t.clone(),
            None => format!("never:{}", seen.registered_at),
        };
        let offline = supervision::offline(
            anchor_secs,
            now.timestamp(),
            seen.interval_secs,
            cfg.offline_multiple,
        );
        // An open outage ended when data arrived: it is flowing now, or it came back between two
        // runs and stopped again (the current outage then starts at other data).
        for a in ongoing
            .into_iter()
            .filter(|a| offline.is_none() || a.start_time != start)
        {
            let ended = AlarmEpisode {
                end_time: last.clone(),
                context: format!("{}；已恢复", a.context),
                kind: a.kind,
                mn: a.mn,
                factor: a.factor,
                start_time: a.start_time,
                peak: None,
                peak_time: None,
                records: 0,
            };
            tally(&mut summary, store.raise_alarm(&ended).await?);
        }
        if let Some(context) = offline {
            let ep = AlarmEpisode {
                kind: AlarmKind::Offline.code().into(),
                mn: mn.clone(),
                factor: String::new(),
                start_time: start,
                end_time: None,
                peak: None,
                peak_time: None,
                records: 0,
                context,
            };
            tally(&mut summary, store.raise_alarm(&ep).await?);
        }
    }
    // 未落实减排措施 under the active heavy-pollution warnings.
    let heavy = crate::warnings::CheckConfig {
        consecutive_hours: cfg.reduction_miss_hours,
        marking: cfg.marking.clone(),
        ..crate::warnings::CheckConfig::default()
    };
    match crate::warnings::check_active(store, now, &heavy).await {
        Ok(raised) => raised.into_iter().for_each(|r| tally(&mut summary, r)),
        Err(crate::Error::Store(e)) => return Err(e),
        Err(e) => tracing::warn!(error = %e, "重污染天气预警减排核查失败"),
    }
    Ok(summary)
}

/// One factor's hourly series from a device's uploads (DataTime, factors), as judged: the
/// converted (Zs) mean where the permit says so, else the mean.
fn hourly_points(
    uploads: &[(String, Vec<qingshan_store::FactorValues>)],
    factor: &str,
    converted: bool,
) -> Vec<Point> {
    uploads
        .iter()
        .filter_map(|(time, fs)| {
            let values = fs.iter().find(|f| f.factor == factor)?;
            Some(Point {
                time: time.clone(),
                value: if converted {
                    values.zs_avg.clone().or(values.avg.clone())
                } else {
                    values.avg.clone()
                },
                flag: values.flag.clone(),
            })
        })
        .collect()
}

/// The series with the values of marked hours taken out (the records stay: a marked hour
/// breaks a run of exceeding hours, as a missing one does).
fn unmarked(points: &[Point], marked: &crate::marks::Periods, factor: &str) -> Vec<Point> {
    points
        .iter()
        .map(|p| Point {
            time: p.time.clone(),
            value: if marked.covers(factor, &p.time) {
                None
            } else {
                p.value.clone()
            },
            flag: p.flag.clone(),
        })
        .collect()
}

/// What a re-judgement raised: for the integrator, the alarms whose incidents a rejected mark
/// re-opens.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct Rejudged {
    /// Device.
    pub mn: String,
    /// New exceedance alarms (ids).
    pub raised: Vec<i64>,
    /// Open exceedance alarms that grew (ids).
    pub updated: Vec<i64>,
    /// Closed alarms the episode matched again (ids): their handling may need re-opening.
    pub already_closed: Vec<i64>,
}

/// Judges a device's hourly exceedances over `[from, to)` again with the marks valid now (after
/// a rejection, the rejected mark's hours count again) and raises the alarms they deserve;
/// default settings. See [`rejudge_with`].
pub async fn rejudge(
    store: &Store,
    mn: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
) -> Result<Rejudged, StoreError> {
    rejudge_with(store, mn, from, to, &SupervisorConfig::default()).await
}

/// [`rejudge`] with the given settings. The judged window reaches the look-back period
/// (`lookback_hours`) either side of `[from, to)`, so that an episode running into or out of
/// the marked hours is judged whole and keeps the start (and so the alarm) it had.
pub async fn rejudge_with(
    store: &Store,
    mn: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cfg: &SupervisorConfig,
) -> Result<Rejudged, StoreError> {
    let off = chrono::Duration::seconds(i64::from(cfg.device_utc_offset_secs));
    let reach = chrono::Duration::hours(cfg.lookback_hours.max(1));
    let (from, to) = (from - reach, to + reach);
    let fmt = |t: DateTime<Utc>| (t + off).format("%Y%m%d%H%M%S").to_string();
    let date = (to + off).format("%Y-%m-%d").to_string();
    let marked = crate::marks::excluded_periods(
        store,
        mn,
        from,
        to,
        false,
        &cfg.marking,
        cfg.device_utc_offset_secs,
    )
    .await?;
    let mut out = Rejudged {
        mn: mn.to_string(),
        ..Rejudged::default()
    };
    for l in store.supervised_limits_of(mn, &date).await? {
        let Some(limit) = l
            .hourly_limit
            .as_deref()
            .and_then(|v| v.parse::<Decimal>().ok())
        else {
            continue;
        };
        let window = store
            .uploads_between(mn, "2061", &fmt(from), &fmt(to))
            .await?;
        let points = hourly_points(&window, &l.factor, l.use_converted);
        for e in supervision::exceedances(&unmarked(&points, &marked, &l.factor), limit) {
            match store
                .raise_alarm(&episode(AlarmKind::Exceedance, mn, &l.factor, e))
                .await?
            {
                Raised::New(id) => out.raised.push(id),
                Raised::Updated(id) => out.updated.push(id),
                Raised::AlreadyClosed(id) => out.already_closed.push(id),
            }
        }
    }
    Ok(out)
}

/// HJ 212 factor codes of the six pollutants, in the store's order (SO2, NO2, CO, O3, PM10, PM2.5).
const AIR_FACTORS: [&str; 6] = ["a21026", "a21004", "a21005", "a05024", "a34002", "a34004"];

/// Turns the hourly (2061) uploads of automatic air stations' devices into station-hours
/// (source `hj212`) for the look-back window. Hours already stored with the same values are
/// left alone; changed ones become a new revision. Returns the station-hours written.
pub async fn air_hours_from_hj212(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &SupervisorConfig,
) -> Result<usize, StoreError> {
    let local = now + chrono::Duration::seconds(i64::from(cfg.device_utc_offset_secs));
    let from_t = local - chrono::Duration::hours(cfg.lookback_hours);
    let mut written = 0;
    for d in store.air_station_devices().await? {
        let uploads = store
            .uploads_between(
                &d.mn,
                "2061",
                &from_t.format("%Y%m%d%H%M%S").to_string(),
                &(local + chrono::Duration::hours(1))
                    .format("%Y%m%d%H%M%S")
                    .to_string(),
            )
            .await?;
        if uploads.is_empty() {
            continue;
        }
        let existing: std::collections::HashMap<String, [Option<String>; 6]> = store
            .air_hours(
                Some(&d.station_code),
                from_t.date_naive(),
                local.date_naive(),
            )
            .await?
            .into_iter()
            .map(|h| (h.hour, h.values))
            .collect();
        // Several uploads of one hour (a resend, a correction) merge: later values win per factor.
        let mut by_hour: std::collections::BTreeMap<String, [Option<String>; 6]> =
            std::collections::BTreeMap::new();
        for (t, factors) in uploads {
            if t.len() < 10 || !t.bytes().all(|b| b.is_ascii_digit()) {
                continue;
            }
            let hour = format!("{}-{}-{}T{}:00", &t[0..4], &t[4..6], &t[6..8], &t[8..10]);
            let slot = by_hour.entry(hour).or_default();
            for (i, code) in AIR_FACTORS.iter().enumerate() {
                // Only valid (flag N) hourly means count; anything else is missing for the statistics.
                if let Some(v) = factors
                    .iter()
                    .find(|f| f.factor == *code && f.flag.as_deref().is_none_or(|x| x == "N"))
                    .and_then(|f| f.avg.clone())
                {
                    slot[i] = Some(v);
                }
            }
        }
        let rows: Vec<qingshan_store::NewAirHour> = by_hour
            .into_iter()
            .filter(|(hour, values)| {
                values.iter().any(Option::is_some) && existing.get(hour) != Some(values)
            })
            .map(|(hour, values)| qingshan_store::NewAirHour {
                station_code: d.station_code.clone(),
                hour,
                values,
                source: "hj212".into(),
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        match store
            .import_air_hourly(&rows, &qingshan_store::Actor::system())
            .await
        {
            Ok(_) => written += rows.len(),
            // One station's odd frame must not stop the others; the raw frames stay archived.
            Err(e) => {
                tracing::warn!(station = %d.station_code, error = %e, "station-hours from HJ 212 refused")
            }
        }
    }
    Ok(written)
}

/// Turns the hourly (CN=2061, ST=21) uploads of automatic surface-water stations' devices into
/// daily means per item, stored as samples of their section with source `hj212`
/// ([`qingshan_water::automatic::daily_means`]: flag `N` only, factor codes mapped to GB 3838
/// items). Returns the daily values written.
///
/// A day is taken only once it has ended (device local time), so a stored daily mean is never
/// the mean of part of a day; every day that ended within the look-back window (and at least
/// yesterday) is recomputed on each run, and a late or corrected hour becomes a new revision.
/// Days whose mean is unchanged are left alone. The devices of one section are read in MN
/// order, so where two devices report the same hour and item the later MN counts.
pub async fn water_days_from_hj212(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &SupervisorConfig,
) -> Result<usize, StoreError> {
    use qingshan_water::automatic::{HourlyRecord, daily_means};
    let devices = store.water_section_devices().await?;
    if devices.is_empty() {
        return Ok(0);
    }
    let local = now + chrono::Duration::seconds(i64::from(cfg.device_utc_offset_secs));
    let today = local.date_naive();
    let yesterday = today - chrono::Duration::days(1);
    let first = (local - chrono::Duration::hours(cfg.lookback_hours))
        .date_naive()
        .min(yesterday);
    let from = first.format("%Y%m%d000000").to_string();
    let to = today.format("%Y%m%d000000").to_string();
    let mut by_section: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for d in &devices {
        by_section
            .entry(d.section_code.as_str())
            .or_default()
            .push(d.mn.as_str());
    }
    let mut written = 0;
    for (section, mns) in by_section {
        let mut uploads = Vec::new();
        for mn in mns {
            uploads.extend(store.water_station_uploads(mn, &from, &to).await?);
        }
        if uploads.is_empty() {
            continue;
        }
        let records: Vec<HourlyRecord<'_>> = uploads
            .iter()
            .flat_map(|(t, factors)| {
                factors.iter().map(move |f| HourlyRecord {
                    data_time: t,
                    factor: &f.factor,
                    avg: f.avg.as_deref(),
                    flag: f.flag.as_deref(),
                })
            })
            .collect();
        let means = match daily_means(&records, &cfg.water) {
            Ok(m) => m,
            Err(e) => {
                tracing::warn!(%section, error = %e, "daily means from HJ 212 failed");
                continue;
            }
        };
        let stored: std::collections::HashMap<(String, String), qingshan_water::Exact> = store
            .water_samples_between(
                Some(section),
                &first.format("%Y-%m-%d").to_string(),
                &yesterday.format("%Y-%m-%d").to_string(),
            )
            .await?
            .into_iter()
            .filter(|s| s.source == qingshan_store::AUTOMATIC_SOURCE)
            .filter_map(|s| {
                qingshan_water::Exact::parse(&s.value)
                    .ok()
                    .map(|v| ((s.date, s.item), v))
            })
            .collect();
        let rows: Vec<qingshan_store::NewWaterSample> = means
            .into_iter()
            .filter(|m| stored.get(&(m.date.clone(), m.item.code().to_string())) != Some(&m.value))
            .map(|m| qingshan_store::NewWaterSample {
                section_code: section.to_string(),
                value: m.value_text(),
                date: m.date,
                item: m.item.code().to_string(),
                below_detection: false,
                source: qingshan_store::AUTOMATIC_SOURCE.to_string(),
            })
            .collect();
        if rows.is_empty() {
            continue;
        }
        match store
            .import_water_samples(&rows, &qingshan_store::Actor::system())
            .await
        {
            Ok(_) => written += rows.len(),
            // One section's odd data must not stop the others; the raw frames stay archived.
            Err(e) => {
                tracing::warn!(%section, error = %e, "daily water values from HJ 212 refused")
            }
        }
    }
    Ok(written)
}
