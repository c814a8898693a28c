//! Supervision rules over a device's data: each finds episodes (start, end, peak) that become
//! alarms. Pure: the caller supplies the series and the clock.
//!
//! - 超标 (`exceedance`): hourly values with flag `N` above the permit's hourly limit (the
//!   converted Zs value where the permit says so), compared exactly.
//! - 数据缺失/离线 (`offline`): nothing received for longer than a multiple of the device's interval.
//! - 设备异常 (`device_fault`): a run of records flagged F, M, D, C, T or B (HJ 212 Table 8:
//!   停运, 维护, 故障, 校准, 超测上限, 通讯异常/排放源停运 …) of at least a given length.
//! - 疑似异常 (`frozen`): the same value (or zero) for at least a given number of hours.

use qingshan_exact::{Ratio, Rounding};
use qingshan_plan::Decimal;
use serde::Serialize;

/// The kinds of alarm, with stable codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// 超标.
    Exceedance,
    /// 数据缺失/离线.
    Offline,
    /// 设备异常.
    DeviceFault,
    /// 疑似异常（数据恒值或零值）.
    Frozen,
    /// 排放总量预警/超总量: the year-to-date total reached 80 % / 100 % of the permitted total.
    AnnualTotal,
    /// 参数变更: an analyser's range, slope, intercept or other watched parameter (HJ 212 CN
    /// 3020) changed outside a valid maintenance or calibration mark.
    ParamChange,
    /// 时钟偏差: the device's DataTime is off the server's clock by more than the setting.
    ClockDrift,
    /// 未落实减排措施: during a heavy-pollution warning an enterprise missed its committed cut
    /// for N consecutive hours (see [`crate::curtailment`]).
    ReductionNotMet,
}

impl AlarmKind {
    /// Every kind, in the order lists offer them.
    pub const ALL: [AlarmKind; 8] = [
        AlarmKind::Exceedance,
        AlarmKind::Offline,
        AlarmKind::DeviceFault,
        AlarmKind::Frozen,
        AlarmKind::AnnualTotal,
        AlarmKind::ParamChange,
        AlarmKind::ClockDrift,
        AlarmKind::ReductionNotMet,
    ];

    /// Stable code.
    pub fn code(self) -> &'static str {
        match self {
            AlarmKind::Exceedance => "exceedance",
            AlarmKind::Offline => "offline",
            AlarmKind::DeviceFault => "device_fault",
            AlarmKind::Frozen => "frozen",
            AlarmKind::AnnualTotal => "annual_total",
            AlarmKind::ParamChange => "param_change",
            AlarmKind::ClockDrift => "clock_drift",
            AlarmKind::ReductionNotMet => "reduction_not_met",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            AlarmKind::Exceedance => "超标",
            AlarmKind::Offline => "数据缺失/离线",
            AlarmKind::DeviceFault => "设备异常",
            AlarmKind::Frozen => "疑似异常",
            AlarmKind::AnnualTotal => "排放总量",
            AlarmKind::ParamChange => "参数变更",
            AlarmKind::ClockDrift => "时钟偏差",
            AlarmKind::ReductionNotMet => "未落实减排措施",
        }
    }

    /// Parses a code.
    pub fn parse(s: &str) -> Option<AlarmKind> {
        Some(match s {
            "exceedance" => AlarmKind::Exceedance,
            "offline" => AlarmKind::Offline,
            "device_fault" => AlarmKind::DeviceFault,
            "frozen" => AlarmKind::Frozen,
            "annual_total" => AlarmKind::AnnualTotal,
            "param_change" => AlarmKind::ParamChange,
            "clock_drift" => AlarmKind::ClockDrift,
            "reduction_not_met" => AlarmKind::ReductionNotMet,
            _ => return None,
        })
    }
}

/// One record of a series: its DataTime (YYYYMMDDhhmmss), value text and data flag.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Point {
    /// DataTime.
    pub time: String,
    /// Value as sent (exact text), if any.
    pub value: Option<String>,
    /// Data flag (N, F, M, …).
    pub flag: Option<String>,
}

/// A run of records that breaks a rule.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Episode {
    /// First record's time.
    pub start: String,
    /// Last record's time while the rule was broken; `None` while it still is (the run reaches
    /// the end of the series).
    pub end: Option<String>,
    /// The most extreme value (the highest for exceedances).
    pub peak: Option<String>,
    /// When the peak occurred.
    pub peak_time: Option<String>,
    /// Records in the run.
    pub records: usize,
    /// What broke the rule, in words.
    pub context: String,
}

/// Data flags that mean the instrument is not measuring normally (HJ 212-2017 Table 8).
pub const FAULT_FLAGS: [&str; 6] = ["F", "M", "D", "C", "T", "B"];

fn runs<F: Fn(&Point) -> bool>(points: &[Point], breaks: F, min_len: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    for (i, p) in points.iter().enumerate() {
        match (breaks(p), start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= min_len {
                    out.push((s, i - 1));
                }
                start = None;
            }
            _ => {}
        }
    }
    if let Some(s) = start
        && points.len() - s >= min_len
    {
        out.push((s, points.len() - 1));
    }
    out
}

fn episode(
    points: &[Point],
    (s, e): (usize, usize),
    peak: Option<usize>,
    context: String,
) -> Episode {
    Episode {
        start: points[s].time.clone(),
        end: if e + 1 == points.len() {
            None
        } else {
            Some(points[e].time.clone())
        },
        peak: peak.and_then(|i| points[i].value.clone()),
        peak_time: peak.map(|i| points[i].time.clone()),
        records: e - s + 1,
        context,
    }
}

fn number(p: &Point) -> Option<Decimal> {
    p.value.as_deref().and_then(|v| v.parse().ok())
}

/// 超标: records with flag `N` (or no flag) whose value exceeds `limit`.
pub fn exceedances(points: &[Point], limit: Decimal) -> Vec<Episode> {
    let over = |p: &Point| {
        p.flag.as_deref().is_none_or(|f| f == "N") && number(p).is_some_and(|v| v > limit)
    };
    runs(points, over, 1)
        .into_iter()
        .map(|r| {
            let peak = (r.0..=r.1).max_by_key(|i| number(&points[*i]));
            let pv = peak.and_then(|i| number(&points[i]));
            let ctx = match pv {
                Some(v) => format!(
                    "小时均值超过许可限值 {limit}，峰值 {v}，超标倍数 {}",
                    exceed_multiple(v, limit)
                ),
                None => format!("小时均值超过许可限值 {limit}"),
            };
            episode(points, r, peak, ctx)
        })
        .collect()
}

/// 超标倍数 = (value − limit) / limit, to two decimals (half away from zero), exactly.
pub fn exceed_multiple(value: Decimal, limit: Decimal) -> String {
    let multiple = value
        .to_ratio()
        .zip(limit.to_ratio())
        .filter(|(_, l)| *l > Ratio::ZERO)
        .and_then(|(v, l)| v.checked_sub(l)?.checked_div(l));
    multiple.map_or_else(
        || "—".into(),
        |m| m.format_fixed(2, Rounding::HalfAwayFromZero),
    )
}

/// 设备异常: at least `min_records` consecutive records flagged F, M, D, C, T or B.
pub fn device_faults(points: &[Point], min_records: usize) -> Vec<Episode> {
    let fault = |p: &Point| p.flag.as_deref().is_some_and(|f| FAULT_FLAGS.contains(&f));
    runs(points, fault, min_records.max(1))
        .into_iter()
        .map(|r| {
            let flags: Vec<&str> = points[r.0..=r.1]
                .iter()
                .filter_map(|p| p.flag.as_deref())
                .collect();
            let mut distinct = flags.clone();
            distinct.sort_unstable();
            distinct.dedup();
            episode(
                points,
                r,
                None,
                format!("连续 {} 条数据标记为 {}", r.1 - r.0 + 1, distinct.join("/")),
            )
        })
        .collect()
}

/// 疑似异常: at least `min_records` consecutive records with the same value, or zero.
pub fn frozen(points: &[Point], min_records: usize) -> Vec<Episode> {
    let min_records = min_records.max(2);
    let mut out = Vec::new();
    let mut i = 0;
    while i < points.len() {
        let Some(v) = number(&points[i]) else {
            i += 1;
            continue;
        };
        let mut j = i + 1;
        while j < points.len() && number(&points[j]) == Some(v) {
            j += 1;
        }
        if j - i >= min_records {
            let what = if v == Decimal::from_int(0) {
                "零值".to_string()
            } else {
                format!("恒值 {v}")
            };
            out.push(episode(
                points,
                (i, j - 1),
                Some(i),
                format!("连续 {} 条数据为{what}", j - i),
            ));
        }
        i = j;
    }
    out
}

/// 离线: the device's last record is older than `multiple` × its interval. Times in seconds.
pub fn offline(
    last_seen: Option<i64>,
    now: i64,
    interval_secs: i64,
    multiple: i64,
) -> Option<String> {
    let allowed = interval_secs.max(1) * multiple.max(1);
    match last_seen {
        None => Some("从未收到数据".into()),
        Some(t) if now - t > allowed => {
            Some(format!("已 {} 秒未收到数据（允许 {allowed} 秒）", now - t))
        }
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exceed_multiple_is_exact_half_up() {
        let d = |s: &str| s.parse::<Decimal>().unwrap();
        // (0.45 − 0.4)/0.4 = 0.125: a float would decide this tie by its binary error.
        assert_eq!(exceed_multiple(d("0.45"), d("0.4")), "0.13");
        assert_eq!(exceed_multiple(d("72"), d("50")), "0.44");
        assert_eq!(exceed_multiple(d("1"), d("0")), "—");
    }

    fn series(values: &[(&str, &str)]) -> Vec<Point> {
        values
            .iter()
            .enumerate()
            .map(|(h, (v, f))| Point {
                time: format!("20260301{h:02}0000"),
                value: Some(v.to_string()),
                flag: Some(f.to_string()),
            })
            .collect()
    }

    #[test]
    fn exceedance_is_strictly_above_the_limit_with_flag_n() {
        let pts = series(&[
            ("35", "N"),
            ("35.01", "N"),
            ("48.2", "N"),
            ("36", "N"),
            ("20", "N"),
            ("90", "M"),
            ("40", "N"),
        ]);
        let eps = exceedances(&pts, "35.00".parse().unwrap());
        assert_eq!(eps.len(), 2);
        assert_eq!(
            (
                eps[0].start.as_str(),
                eps[0].end.as_deref(),
                eps[0].peak.as_deref(),
                eps[0].records
            ),
            ("20260301010000", Some("20260301030000"), Some("48.2"), 3)
        );
        assert!(
            eps[0].context.contains("超标倍数 0.38"),
            "{}",
            eps[0].context
        );
        // The last run reaches the end of the data: still open.
        assert_eq!(
            (eps[1].start.as_str(), eps[1].end.as_deref()),
            ("20260301060000", None)
        );
    }

    #[test]
    fn faults_need_a_sustained_run() {
        let pts = series(&[
            ("1", "N"),
            ("1", "D"),
            ("1", "D"),
            ("1", "N"),
            ("1", "M"),
            ("1", "C"),
            ("1", "F"),
            ("1", "N"),
        ]);
        let eps = device_faults(&pts, 3);
        assert_eq!(eps.len(), 1);
        assert_eq!(eps[0].records, 3);
        assert_eq!(eps[0].context, "连续 3 条数据标记为 C/F/M");
    }

    #[test]
    fn frozen_values_and_zeros() {
        let pts = series(&[
            ("12.3", "N"),
            ("12.30", "N"),
            ("12.3", "N"),
            ("12.4", "N"),
            ("0", "N"),
            ("0.0", "N"),
            ("0", "N"),
            ("0", "N"),
        ]);
        let eps = frozen(&pts, 3);
        assert_eq!(eps.len(), 2);
        assert_eq!(eps[0].context, "连续 3 条数据为恒值 12.3");
        assert_eq!((eps[1].records, eps[1].end.as_ref()), (4, None));
        assert!(eps[1].context.contains("零值"));
        assert!(frozen(&pts, 5).is_empty());
    }

    #[test]
    fn offline_after_the_allowed_silence() {
        assert_eq!(offline(Some(1000), 1000 + 90, 30, 3), None);
        assert!(
            offline(Some(1000), 1000 + 91, 30, 3)
                .unwrap()
                .contains("91 秒")
        );
        assert_eq!(offline(None, 5, 30, 3).as_deref(), Some("从未收到数据"));
    }
}
