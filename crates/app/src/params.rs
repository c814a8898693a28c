//! Analyser parameters (HJ 212 CN 3020) and the devices' clocks, read from what the gateway
//! stores (docs/params.md).
//!
//! - **参数变更**: each 3020 upload's parameter values (`i13xxx-Info` and the other information
//!   codes of class 3, "parameter") are recorded per device, factor (`PolId`) and code, every
//!   revision kept. A value of a watched code ([`ParamOptions::watched`]: range, intercept,
//!   slope by default) that differs from the one stored before it raises a 参数变更 alarm with
//!   both values and times, unless a valid data mark of an excusing kind
//!   ([`ParamOptions::excusing_marks`]: maintenance, calibration …) for that factor or the whole
//!   device overlaps the span between the two uploads: then the change is recorded with the mark.
//! - **时钟偏差**: a device's uploads are read against the server's clock ([`clock_reading`]).
//!   Only data newer than any the device sent before are read, so resends, history and
//!   backfill never count; period data (minute, hourly) show only a clock that is ahead. Two
//!   readings in a row beyond the setting that agree ([`WatchConfig::clock_agree_secs`]) raise
//!   a 时钟偏差 alarm; the first reading within the setting ends it.
//!
//! [`after_ingest`] does both for a batch the gateway has just committed, before it
//! acknowledges the batch.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, Duration, NaiveDateTime, Utc};
use qingshan_hj212::{CrcPolicy, Packet, map_2005_code};
use qingshan_sources::marking::MarkingOptions;
use qingshan_sources::supervision::AlarmKind;
use qingshan_store::{
    AlarmEpisode, AnalyserParam, DeviceClock, DeviceOverview, FrameVerdict, IngestOutcome,
    NewAnalyserParam, Paged, Raised, ReceivedFrame, Role, Store, StoreError, User,
};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::{Error, Result};

/// Chinese names of the instrument parameter codes (HJ 212-2017 Table B.8 as summarised in the
/// reference sheet §4.1: range, precision, interval, digestion temperature, digestion time,
/// calibration time, intercept, slope, limit of detection). Codes outside this table (vendor
/// or provincial additions such as i13010+) are kept and shown as 「参数 iXXXXX」.
pub const PARAM_NAMES: &[(&str, &str)] = &[
    ("i13001", "测量量程"),
    ("i13002", "测量精度"),
    ("i13003", "测量间隔"),
    ("i13004", "消解温度"),
    ("i13005", "消解时长"),
    ("i13006", "校准时间"),
    ("i13007", "截距"),
    ("i13008", "斜率"),
    ("i13009", "检出限"),
];

/// The Chinese name of a parameter code (`i13008` → 斜率), or 「参数 code」 when unknown.
pub fn param_name(code: &str) -> String {
    PARAM_NAMES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or_else(|| format!("参数 {code}"), |(_, n)| (*n).to_string())
}

/// What a parameter change is judged by. Unconfirmed details are settings (docs/params.md).
#[derive(Debug, Clone)]
pub struct ParamOptions {
    /// Codes whose change raises 参数变更 outside a mark. Default: 量程 (i13001), 截距
    /// (i13007), 斜率 (i13008) — the calibration parameters a tampering changes. 校准时间
    /// (i13006) changes at every calibration and is never a default.
    pub watched: Vec<String>,
    /// Data-mark kinds (marking rule codes) under which a change is expected and raises
    /// nothing: the 自动监测设备维护 sub-items (维护, 校准, 标样核查, 校验) and 调试.
    pub excusing_marks: Vec<String>,
}

impl Default for ParamOptions {
    fn default() -> Self {
        ParamOptions {
            watched: ["i13001", "i13007", "i13008"].map(String::from).to_vec(),
            excusing_marks: [
                "maintenance",
                "calibration",
                "standard_check",
                "verification",
                "commissioning",
            ]
            .map(String::from)
            .to_vec(),
        }
    }
}

/// Settings of the clock watch and the parameter judgement.
#[derive(Debug, Clone)]
pub struct WatchConfig {
    /// Largest clock offset that is still in time, seconds (default 10 minutes).
    pub clock_tolerance_secs: i64,
    /// Two readings beyond the tolerance raise 时钟偏差 only when they differ by at most this
    /// (seconds): a drifting clock reads the same twice, a replay of buffered data does not.
    pub clock_agree_secs: i64,
    /// The earlier of the two readings counts only if taken at most this long before (seconds).
    pub clock_pair_within_secs: i64,
    /// Parameter judgement.
    pub params: ParamOptions,
    /// Which marks are valid (pending ones count by default).
    pub marking: MarkingOptions,
}

impl Default for WatchConfig {
    fn default() -> Self {
        WatchConfig {
            clock_tolerance_secs: 600,
            clock_agree_secs: 20,
            clock_pair_within_secs: 3600,
            params: ParamOptions::default(),
            marking: MarkingOptions::default(),
        }
    }
}

/// The frame's DataTime (device local time, Beijing) as a UTC instant.
fn data_instant(data_time: &str) -> Option<DateTime<Utc>> {
    let t = data_time.get(..14)?;
    NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S")
        .ok()
        .map(crate::beijing::to_utc)
}

fn parse_stored(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The minute-data intervals HJ 212-2017 allows (MinInterval, minutes).
const MIN_INTERVALS: [i64; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

/// What one upload says about the device's clock: seconds ahead of the server (negative:
/// behind), or `None` when it says nothing.
///
/// - Only data newer than the newest of the same CN the device sent before (`head`) are read:
///   a resend, a history answer or a backfill is older and never read.
/// - Real-time data (2011) carry the acquisition instant: the offset is DataTime − arrival.
/// - Minute (2051) and hourly (2061) data are stamped with the period's start and sent after
///   it ends, sometimes late. A record that arrives before its period has ended by the
///   server's clock shows a clock ahead by that much; one that arrives within the tolerance
///   after the end reads as in time (0); a later one is ambiguous (a late delivery or a slow
///   clock) and says nothing. The minute period is the step from the previous record when
///   it is an allowed MinInterval, else 1 minute (which can only understate a clock ahead).
/// - A 1011 time upload carries `SystemTime`, the logger's clock: SystemTime − arrival.
pub fn clock_reading(
    cn: &str,
    data_time: &str,
    received: DateTime<Utc>,
    head: Option<&str>,
    tolerance_secs: i64,
) -> Option<i64> {
    let t = data_instant(data_time)?;
    if cn == "1011" {
        return Some((t - received).num_seconds());
    }
    let head = trusted_head(head, received);
    if head.is_some_and(|h| data_time <= h) {
        return None;
    }
    let period = match cn {
        "2011" => return Some((t - received).num_seconds()),
        "2061" => Duration::hours(1),
        "2051" => {
            let step = head
                .and_then(data_instant)
                .map(|h| (t - h).num_minutes())
                .filter(|m| MIN_INTERVALS.contains(m))
                .unwrap_or(1);
            Duration::minutes(step)
        }
        _ => return None,
    };
    let late = (received - (t + period)).num_seconds();
    if late < 0 {
        Some(-late)
    } else if late <= tolerance_secs {
        Some(0)
    } else {
        None
    }
}

/// The newest DataTime sent before, unless it lies in the future by the server's clock: then
/// it came from a clock that was ahead, and a device set right since sends earlier times that
/// are new all the same.
fn trusted_head(head: Option<&str>, received: DateTime<Utc>) -> Option<&str> {
    head.filter(|h| data_instant(h).is_some_and(|t| t <= received))
}

/// How a clock offset reads: 快 15 分 / 慢 3 分 20 秒 / 正常.
pub fn describe_offset(secs: i64, tolerance_secs: i64) -> String {
    let a = secs.unsigned_abs();
    let (m, s) = (a / 60, a % 60);
    let amount = match (m, s) {
        (0, s) => format!("{s} 秒"),
        (m, 0) => format!("{m} 分"),
        (m, s) => format!("{m} 分 {s} 秒"),
    };
    if secs.abs() <= tolerance_secs {
        if secs == 0 {
            "正常".into()
        } else {
            format!("正常（{}{amount}）", if secs > 0 { "快 " } else { "慢 " })
        }
    } else if secs > 0 {
        format!("快 {amount}")
    } else {
        format!("慢 {amount}")
    }
}

/// What a reading did to the device's drift episode.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Step {
    /// Nothing to tell the alarms.
    Quiet,
    /// A drift began (its start is the state's `drift_start`).
    Start,
    /// The open drift grew.
    Grow,
    /// The open drift (started at the given time) ended.
    End(String),
}

/// Applies one reading to a device's clock state.
fn step(
    state: &mut DeviceClock,
    offset: i64,
    received_at: &str,
    cn: &str,
    data_time: &str,
    cfg: &WatchConfig,
) -> Step {
    let tol = cfg.clock_tolerance_secs;
    let beyond = offset.abs() > tol;
    let now = parse_stored(received_at);
    let prev = state.offset_secs.filter(|_| {
        match (state.measured_at.as_deref().and_then(parse_stored), now) {
            (Some(then), Some(now)) => (now - then).num_seconds() <= cfg.clock_pair_within_secs,
            _ => false,
        }
    });
    let out = match (&state.drift_start, beyond) {
        (Some(_), true) => {
            if offset.abs() > state.drift_peak_secs.unwrap_or(0) + 60 {
                state.drift_peak_secs = Some(offset.abs());
                Step::Grow
            } else {
                Step::Quiet
            }
        }
        (Some(start), false) => {
            let start = start.clone();
            state.drift_start = None;
            state.drift_peak_secs = None;
            Step::End(start)
        }
        (None, true) => {
            let confirmed = prev.is_some_and(|p| {
                p.abs() > tol
                    && p.signum() == offset.signum()
                    && (p - offset).abs() <= cfg.clock_agree_secs
            });
            if confirmed {
                state.drift_start = Some(received_at.to_string());
                state.drift_peak_secs = Some(offset.abs());
                Step::Start
            } else {
                Step::Quiet
            }
        }
        (None, false) => Step::Quiet,
    };
    state.offset_secs = Some(offset);
    state.measured_at = Some(received_at.to_string());
    state.source_cn = Some(cn.to_string());
    state.source_data_time = Some(data_time.to_string());
    out
}

fn drift_context(offset: i64, data_time: &str, received_at: &str, tol: i64) -> String {
    let shown = data_instant(data_time).map_or_else(
        || data_time.to_string(),
        |t| {
            crate::beijing::local(t)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    );
    let got = parse_stored(received_at).map_or_else(
        || received_at.to_string(),
        |t| {
            crate::beijing::local(t)
                .format("%Y-%m-%d %H:%M:%S")
                .to_string()
        },
    );
    format!(
        "设备时钟{}：数据时间 {shown}，平台接收时间 {got}（北京时间），允许偏差 {} 分",
        describe_offset(offset, tol),
        tol / 60
    )
}

/// The parameter values of a 3020 upload: (factor, code, value). The factor is the `PolId`
/// before the items (2005 codes mapped by ST), empty for the logger's own parameters; only
/// information codes of class 3 (`i_3___`, parameters) with an `Info` field are taken: logs
/// (class 1) and states (class 2) stay in the upload as before.
pub fn params_of(p: &Packet) -> Vec<(String, String, String)> {
    let st = p.st().unwrap_or("");
    let mut factor = String::new();
    let mut out = Vec::new();
    for item in p.cp_items() {
        if item.key == "PolId" {
            let code = item.value.text().trim();
            factor = map_2005_code(st, code).unwrap_or(code).to_string();
            continue;
        }
        let Some(code) = item.code() else { continue };
        let b = code.as_bytes();
        let is_param = b.len() == 6 && (b[0] == b'i' || b[0] == b'I') && b[2] == b'3';
        if is_param && item.field() == "Info" {
            out.push((
                factor.clone(),
                code.to_ascii_lowercase(),
                item.value.text().trim().to_string(),
            ));
        }
    }
    out
}

/// Whether two values are the same: numerically when both are numbers (`1.0` = `1.00`).
fn same_value(a: &str, b: &str) -> bool {
    match (a.trim().parse::<f64>(), b.trim().parse::<f64>()) {
        (Ok(x), Ok(y)) => x == y,
        _ => a.trim() == b.trim(),
    }
}

fn shown_time(data_time: &str) -> String {
    NaiveDateTime::parse_from_str(data_time.get(..14).unwrap_or(data_time), "%Y%m%d%H%M%S")
        .map_or_else(
            |_| data_time.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
}

/// The valid excusing mark (id) over `(from, to]` for `factor`, if any.
async fn excusing_mark(
    store: &Store,
    mn: &str,
    factor: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    cfg: &WatchConfig,
) -> Result<Option<i64>, StoreError> {
    let (from, to) = if from < to { (from, to) } else { (to, to) };
    let marks = store
        .data_marks_overlapping(
            mn,
            &crate::marks::stored_time(from),
            &crate::marks::stored_time(to + Duration::seconds(1)),
        )
        .await?;
    Ok(marks
        .iter()
        .find(|m| {
            crate::marks::is_valid(&m.state, &cfg.marking)
                && (m.factor.is_empty() || m.factor == factor)
                && cfg.params.excusing_marks.contains(&m.kind)
        })
        .map(|m| m.id))
}

/// Records the parameters of one 3020 frame and judges their changes. A frame already
/// recorded (a resend) is left alone.
async fn record_frame(
    store: &Store,
    frame: &ReceivedFrame,
    p: &Packet,
    cfg: &WatchConfig,
) -> Result<(), StoreError> {
    let Some(mn) = p.mn() else { return Ok(()) };
    let items = params_of(p);
    if items.is_empty() {
        return Ok(());
    }
    let sha = hex::encode(Sha256::digest(&frame.bytes));
    if store.analyser_frame_recorded(mn, &sha).await? {
        return Ok(());
    }
    let received = parse_stored(&frame.received_at).unwrap_or_else(Utc::now);
    // A 3020 without DataTime is dated by its arrival (device local time).
    let data_time = p.data_time().map_or_else(
        || {
            crate::beijing::local(received)
                .format("%Y%m%d%H%M%S")
                .to_string()
        },
        str::to_string,
    );
    let latest: HashMap<(String, String), AnalyserParam> = store
        .latest_analyser_params(mn)
        .await?
        .into_iter()
        .map(|a| ((a.factor.clone(), a.code.clone()), a))
        .collect();
    let mut rows: Vec<NewAnalyserParam> = items
        .into_iter()
        .map(|(factor, code, value)| {
            let prev = latest.get(&(factor.clone(), code.clone()));
            NewAnalyserParam {
                changed: prev.is_some_and(|a| !same_value(&a.value, &value)),
                previous_value: prev.map(|a| a.value.clone()),
                previous_time: prev.map(|a| a.data_time.clone()),
                mn: mn.to_string(),
                factor,
                code,
                value,
                data_time: data_time.clone(),
                received_at: frame.received_at.clone(),
                qn: p.qn().unwrap_or_default().to_string(),
                frame_sha256: sha.clone(),
                mark_id: None,
                alarm_id: None,
            }
        })
        .collect();
    // Watched changes per factor: one alarm per frame and factor, naming every change.
    let mut by_factor: BTreeMap<String, Vec<usize>> = BTreeMap::new();
    for (i, r) in rows.iter().enumerate() {
        if r.changed && cfg.params.watched.contains(&r.code) {
            by_factor.entry(r.factor.clone()).or_default().push(i);
        }
    }
    let this = data_instant(&data_time).unwrap_or(received);
    for (factor, idx) in by_factor {
        let earliest = idx
            .iter()
            .filter_map(|&i| rows[i].previous_time.as_deref().and_then(data_instant))
            .min()
            .unwrap_or(this);
        if let Some(mark) = excusing_mark(store, mn, &factor, earliest, this, cfg).await? {
            for &i in &idx {
                rows[i].mark_id = Some(mark);
            }
            continue;
        }
        let changes: Vec<String> = idx
            .iter()
            .map(|&i| {
                let r = &rows[i];
                format!(
                    "{} {} → {}（上次上报 {}）",
                    param_name(&r.code),
                    r.previous_value.as_deref().unwrap_or("—"),
                    r.value,
                    r.previous_time
                        .as_deref()
                        .map_or_else(String::new, shown_time)
                )
            })
            .collect();
        let factor_text = if factor.is_empty() {
            "数采仪".to_string()
        } else {
            match qingshan_hj212::factor_name(&factor) {
                Some((name, unit)) if !unit.is_empty() => format!("{name}（{factor}，{unit}）"),
                Some((name, _)) => format!("{name}（{factor}）"),
                None => format!("因子 {factor}"),
            }
        };
        let ep = AlarmEpisode {
            kind: AlarmKind::ParamChange.code().into(),
            mn: mn.to_string(),
            factor: factor.clone(),
            start_time: data_time.clone(),
            end_time: Some(data_time.clone()),
            peak: None,
            peak_time: None,
            records: idx.len() as i64,
            context: format!(
                "{factor_text}分析仪参数变更：{}；本次上报 {}，期间没有有效的维护或校准标记",
                changes.join("；"),
                shown_time(&data_time)
            ),
        };
        let id = match store.raise_alarm(&ep).await? {
            Raised::New(id) | Raised::Updated(id) | Raised::AlreadyClosed(id) => id,
        };
        for &i in &idx {
            rows[i].alarm_id = Some(id);
        }
    }
    store.record_analyser_params(&rows).await?;
    Ok(())
}

/// What a batch the gateway committed says about analyser parameters and clocks: 3020
/// parameters recorded and judged, clock readings taken and 时钟偏差 alarms raised or ended.
/// Called before the batch is acknowledged, so an acknowledged 3020 upload's parameters are
/// durable; a resent one (a duplicate) is looked at again and recorded if it was not.
pub async fn after_ingest(
    store: &Store,
    frames: &[ReceivedFrame],
    outcomes: &[IngestOutcome],
    cfg: &WatchConfig,
) -> Result<(), StoreError> {
    // Clock readings: (mn, cn, data_time, received_at) in arrival order.
    let mut readings: Vec<(&str, String, String, &str)> = Vec::new();
    for (f, o) in frames.iter().zip(outcomes) {
        let cn = f.cn.as_deref().unwrap_or("");
        match (f.verdict, o, cn) {
            (FrameVerdict::Upload, IngestOutcome::Stored | IngestOutcome::Duplicate, "3020") => {
                let frame = f.bytes.strip_suffix(b"\r\n").unwrap_or(&f.bytes);
                if let Ok(p) = qingshan_hj212::decode_frame(frame, CrcPolicy::Field) {
                    record_frame(store, f, &p, cfg).await?;
                }
            }
            (FrameVerdict::Upload, IngestOutcome::Stored, "2011" | "2051" | "2061") => {
                if let Some(u) = &f.upload {
                    readings.push((&u.mn, u.cn.clone(), u.data_time.clone(), &f.received_at));
                }
            }
            (FrameVerdict::Control, IngestOutcome::Archived, "1011") => {
                let frame = f.bytes.strip_suffix(b"\r\n").unwrap_or(&f.bytes);
                if let (Some(mn), Ok(p)) = (
                    f.mn.as_deref(),
                    qingshan_hj212::decode_frame(frame, CrcPolicy::Field),
                ) && let Some(t) = p.param("SystemTime")
                {
                    readings.push((mn, "1011".into(), t.to_string(), &f.received_at));
                }
            }
            _ => {}
        }
    }
    if readings.is_empty() {
        return Ok(());
    }
    let mut mns: Vec<&str> = readings.iter().map(|r| r.0).collect();
    mns.sort_unstable();
    mns.dedup();
    let mut states: BTreeMap<String, DeviceClock> = store
        .device_clocks(&mns)
        .await?
        .into_iter()
        .map(|c| (c.mn.clone(), c))
        .collect();
    let mut episodes = Vec::new();
    for (mn, cn, data_time, received_at) in readings {
        let state = states.entry(mn.to_string()).or_insert_with(|| DeviceClock {
            mn: mn.to_string(),
            ..DeviceClock::default()
        });
        let head = match cn.as_str() {
            "2011" => &mut state.head_2011,
            "2051" => &mut state.head_2051,
            "2061" => &mut state.head_2061,
            _ => &mut None,
        };
        let received = parse_stored(received_at).unwrap_or_else(Utc::now);
        let reading = clock_reading(
            &cn,
            &data_time,
            received,
            head.as_deref(),
            cfg.clock_tolerance_secs,
        );
        if trusted_head(head.as_deref(), received).is_none_or(|h| data_time.as_str() > h)
            && cn != "1011"
        {
            *head = Some(data_time.clone());
        }
        let Some(offset) = reading else { continue };
        let tol = cfg.clock_tolerance_secs;
        let context = drift_context(offset, &data_time, received_at, tol);
        match step(state, offset, received_at, &cn, &data_time, cfg) {
            Step::Quiet => {}
            Step::Start | Step::Grow => episodes.push(AlarmEpisode {
                kind: AlarmKind::ClockDrift.code().into(),
                mn: mn.to_string(),
                factor: String::new(),
                start_time: state.drift_start.clone().unwrap_or_default(),
                end_time: None,
                peak: None,
                peak_time: None,
                records: 0,
                context,
            }),
            Step::End(start) => episodes.push(AlarmEpisode {
                kind: AlarmKind::ClockDrift.code().into(),
                mn: mn.to_string(),
                factor: String::new(),
                start_time: start,
                end_time: Some(received_at.to_string()),
                peak: None,
                peak_time: None,
                records: 0,
                context: format!("{context}；已恢复"),
            }),
        }
    }
    let rows: Vec<DeviceClock> = states.into_values().collect();
    store.save_device_clocks(&rows).await?;
    for ep in &episodes {
        store.raise_alarm(ep).await?;
    }
    Ok(())
}

/// Whether the user may see a device's analyser parameters and clock: staff and
/// administrators any device, a county official the devices of their county, an enterprise
/// account its own devices. Nobody else (the public sees the device page without them).
pub fn may_see(user: Option<&User>, device: &DeviceOverview) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        Role::County if u.division_code.is_some() && u.division_code == device.division_code => {
            Ok(())
        }
        Role::Enterprise if u.credit_code.as_deref() == Some(device.credit_code.as_str()) => Ok(()),
        _ => Err(Error::Forbidden(
            "分析仪参数和设备时钟仅向生态环境局工作人员、所在区县和本企业开放".into(),
        )),
    }
}

/// Whether the user may have the device's time set (校时, CN 1012): staff and administrators.
pub fn may_set_time(user: Option<&User>) -> bool {
    user.is_some_and(|u| matches!(u.role, Role::Admin | Role::Staff))
}

/// A device's clock as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ClockView {
    /// Seconds ahead of the server (negative: behind).
    pub offset_secs: i64,
    /// 快 15 分 / 慢 3 分 / 正常.
    pub text: String,
    /// Beyond the setting.
    pub beyond: bool,
    /// When measured (stored form, UTC).
    pub measured_at: Option<String>,
    /// CN of the upload it was read from.
    pub source_cn: Option<String>,
    /// What that upload was, in Chinese (实时数据 …).
    pub source_label: String,
    /// That upload's DataTime.
    pub source_data_time: Option<String>,
    /// A 时钟偏差 episode is open (since, stored form).
    pub drift_since: Option<String>,
    /// The setting, seconds.
    pub tolerance_secs: i64,
}

/// The latest clock reading of a device, if any.
pub async fn clock(store: &Store, mn: &str, cfg: &WatchConfig) -> Result<Option<ClockView>> {
    let Some(c) = store.device_clock(mn).await? else {
        return Ok(None);
    };
    let Some(offset) = c.offset_secs else {
        return Ok(None);
    };
    Ok(Some(ClockView {
        offset_secs: offset,
        text: describe_offset(offset, cfg.clock_tolerance_secs),
        beyond: offset.abs() > cfg.clock_tolerance_secs,
        measured_at: c.measured_at,
        source_label: match c.source_cn.as_deref() {
            Some("2011") => "实时数据",
            Some("2051") => "分钟数据",
            Some("2061") => "小时数据",
            Some("1011") => "现场机时间上传",
            _ => "上传数据",
        }
        .to_string(),
        source_cn: c.source_cn,
        source_data_time: c.source_data_time,
        drift_since: c.drift_start,
        tolerance_secs: cfg.clock_tolerance_secs,
    }))
}

/// A parameter value as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct ParamView {
    /// The stored row.
    #[serde(flatten)]
    pub param: AnalyserParam,
    /// Chinese name of the code.
    pub name: String,
    /// Factor name (Chinese), if known.
    pub factor_name: Option<String>,
    /// Factor unit, if known.
    pub factor_unit: Option<String>,
    /// A watched code.
    pub watched: bool,
}

fn view(a: AnalyserParam, opts: &ParamOptions) -> ParamView {
    let known = qingshan_hj212::factor_name(&a.factor);
    ParamView {
        name: param_name(&a.code),
        factor_name: known.map(|(n, _)| n.to_string()),
        factor_unit: known.map(|(_, u)| u.to_string()).filter(|u| !u.is_empty()),
        watched: opts.watched.contains(&a.code),
        param: a,
    }
}

/// One factor's current parameters.
#[derive(Debug, Clone, Serialize)]
pub struct FactorParams {
    /// Factor code (empty: the logger).
    pub factor: String,
    /// Factor name, if known.
    pub factor_name: Option<String>,
    /// Factor unit, if known.
    pub factor_unit: Option<String>,
    /// The latest value of each code.
    pub current: Vec<ParamView>,
}

/// A device's analyser parameters: the current values per factor and one page of the
/// history, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceParams {
    /// Current values per factor.
    pub factors: Vec<FactorParams>,
    /// The page of the history.
    pub history: Vec<ParamView>,
    /// Values in the whole history.
    pub total: i64,
}

/// A device's parameters with one page (`limit`, `offset`) of their history.
pub async fn device_params(
    store: &Store,
    mn: &str,
    limit: i64,
    offset: i64,
    cfg: &WatchConfig,
) -> Result<DeviceParams> {
    let mut factors: Vec<FactorParams> = Vec::new();
    for a in store.latest_analyser_params(mn).await? {
        let v = view(a, &cfg.params);
        match factors.iter_mut().find(|f| f.factor == v.param.factor) {
            Some(f) => f.current.push(v),
            None => factors.push(FactorParams {
                factor: v.param.factor.clone(),
                factor_name: v.factor_name.clone(),
                factor_unit: v.factor_unit.clone(),
                current: vec![v],
            }),
        }
    }
    let Paged { items, total } = store.analyser_params_paged(mn, None, limit, offset).await?;
    Ok(DeviceParams {
        factors,
        history: items.into_iter().map(|a| view(a, &cfg.params)).collect(),
        total,
    })
}

/// The device page's 时钟 and 分析仪参数 sections, for a user who may see them.
#[derive(Debug, Clone, Serialize)]
pub struct Section {
    /// The latest clock reading, if any.
    pub clock: Option<ClockView>,
    /// Parameters: current per factor, and the page of the history.
    pub params: DeviceParams,
    /// The user may have the time set (校时).
    pub may_set_time: bool,
    /// The history page shown (1-based).
    pub page: i64,
    /// History pages in all.
    pub pages: i64,
}

/// The sections for `user` on `device`'s page (page `page` of the history, `per_page` rows),
/// or `None` when the user may not see them ([`may_see`]).
pub async fn section(
    store: &Store,
    user: Option<&User>,
    device: &DeviceOverview,
    page: i64,
    per_page: i64,
    cfg: &WatchConfig,
) -> Result<Option<Section>> {
    if may_see(user, device).is_err() {
        return Ok(None);
    }
    let page = page.max(1);
    let per_page = per_page.max(1);
    let params = device_params(
        store,
        &device.mn,
        per_page,
        (page - 1).saturating_mul(per_page),
        cfg,
    )
    .await?;
    let pages = ((params.total + per_page - 1) / per_page).max(1);
    Ok(Some(Section {
        clock: clock(store, &device.mn, cfg).await?,
        params,
        may_set_time: may_set_time(user),
        page,
        pages,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(t: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(t).unwrap().with_timezone(&Utc)
    }

    #[test]
    fn real_time_data_read_both_ways_and_only_when_newest() {
        // 14:15 Beijing arriving at 14:00 Beijing (06:00 UTC): 15 minutes ahead.
        let r = at("2026-12-03T06:00:00Z");
        assert_eq!(
            clock_reading("2011", "20261203141500", r, None, 600),
            Some(900)
        );
        assert_eq!(
            clock_reading("2011", "20261203135700", r, None, 600),
            Some(-180)
        );
        // Not newer than what the device already sent: a resend or a replay.
        assert_eq!(
            clock_reading("2011", "20261203135700", r, Some("20261203135700"), 600),
            None
        );
        // The newest so far came from a clock ahead: a device set right is read again.
        assert_eq!(
            clock_reading("2011", "20261203140000", r, Some("20261203141500"), 600),
            Some(0)
        );
    }

    #[test]
    fn period_data_show_only_a_clock_ahead_and_never_backfill() {
        let r = at("2026-12-03T06:01:00Z"); // 14:01 Beijing
        // Hour 13:00–14:00 arriving at 14:01: in time.
        assert_eq!(
            clock_reading("2061", "20261203130000", r, None, 600),
            Some(0)
        );
        // Hour 14:00–15:00 arriving at 14:01: the clock is 59 minutes ahead.
        assert_eq!(
            clock_reading("2061", "20261203140000", r, None, 600),
            Some(3540)
        );
        // Hours old: history or backfill, or a slow clock: says nothing.
        assert_eq!(clock_reading("2061", "20261203080000", r, None, 600), None);
        assert_eq!(clock_reading("2051", "20261203090000", r, None, 600), None);
        // Minute data after a 10-minute step: 14:10–14:20 arriving at 14:01 is 19 min ahead.
        assert_eq!(
            clock_reading("2051", "20261203141000", r, Some("20261203140000"), 600),
            Some(1140)
        );
        // Older than the newest minute record: backfill, never read, even when it would
        // look in time.
        let later = at("2026-12-03T06:31:00Z");
        assert_eq!(
            clock_reading("2051", "20261203141000", later, Some("20261203142000"), 600),
            None
        );
    }

    #[test]
    fn offsets_read_in_chinese() {
        assert_eq!(describe_offset(900, 600), "快 15 分");
        assert_eq!(describe_offset(-200, 600), "正常（慢 3 分 20 秒）");
        assert_eq!(describe_offset(-1200, 600), "慢 20 分");
        assert_eq!(describe_offset(0, 600), "正常");
    }

    #[test]
    fn two_agreeing_readings_start_a_drift_and_one_in_time_ends_it() {
        let cfg = WatchConfig::default();
        let mut s = DeviceClock::default();
        let t1 = "2026-12-03T06:00:00.000Z";
        let t2 = "2026-12-03T06:00:30.000Z";
        assert_eq!(step(&mut s, 900, t1, "2011", "x", &cfg), Step::Quiet);
        assert_eq!(step(&mut s, 905, t2, "2011", "x", &cfg), Step::Start);
        assert_eq!(s.drift_start.as_deref(), Some(t2));
        assert_eq!(step(&mut s, 2000, t2, "2011", "x", &cfg), Step::Grow);
        assert_eq!(
            step(&mut s, 3, "2026-12-03T06:05:00.000Z", "2011", "x", &cfg),
            Step::End(t2.into())
        );
        // A replay of buffered real-time data: readings 30 s apart never agree.
        let mut s = DeviceClock::default();
        assert_eq!(step(&mut s, -7200, t1, "2011", "x", &cfg), Step::Quiet);
        assert_eq!(step(&mut s, -7170, t1, "2011", "x", &cfg), Step::Quiet);
    }

    #[test]
    fn a_3020_upload_yields_its_parameters_per_factor() {
        let p = Packet::builder("3020")
            .qn("20261203140000000")
            .st("32")
            .pw("123456")
            .mn("MN1")
            .flag(5)
            .item("DataTime", "20261203140000")
            .item("PolId", "w01018")
            .factor("i13001", "Info", "500")
            .factor("i13008", "Info", "1.02")
            .factor("i12001", "Info", "0")
            .item("PolId", "060")
            .factor("i13007", "Info", "0.01")
            .build()
            .unwrap();
        assert_eq!(
            params_of(&p),
            vec![
                ("w01018".into(), "i13001".into(), "500".into()),
                ("w01018".into(), "i13008".into(), "1.02".into()),
                ("w21003".into(), "i13007".into(), "0.01".into()),
            ]
        );
        assert!(same_value("1.0", "1.00") && !same_value("1.0", "1.2"));
        assert_eq!(param_name("i13008"), "斜率");
        assert_eq!(param_name("i13099"), "参数 i13099");
    }
}
