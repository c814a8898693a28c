//! Automatic backfill (补传): after each hour, find the periods of minute (2051) and hourly
//! (2061) data a device should have delivered and did not, ask the device for exactly those
//! spans with history requests, and follow each gap until it is filled or given up
//! (docs/backfill.md).
//!
//! **When a device is expected to deliver.** From its first data of that CN seen by the look
//! (never before it, and never before the device was registered) up to the last time it was
//! heard from (`device_last_seen`: any upload, whatever the CN). The platform has no record of
//! connections, so "online" means "it has delivered something since": a device that went
//! silent is the offline alarm's business, and the silent stretch is looked at once it
//! delivers again (its 数采仪 keeps the history). Periods are aligned on the device's local
//! midnight; a period counts as delivered when any upload's DataTime falls inside it.
//!
//! **The look is incremental**: per device and CN the store keeps how far it has come
//! (`data_gap_scans`), so each pass reads only the periods completed since, after a grace
//! delay that lets late live data arrive first. The first look at a device goes back at most
//! [`BackfillConfig::lookback`].
//!
//! **A gap's life**: 待补传 (pending) → 补传中 (requesting: a history request is queued or
//! running) → 已补传 (filled), or 部分补传 (partial: some arrived; the rest is asked for again)
//! / 待补传 again after a back-off, until [`BackfillConfig::max_tries`] requests went
//! unanswered: 无法补传 (failed), which stays visible on the device page.
//!
//! The pure parts (periods, spans, intervals, back-off, the next state) are plain functions
//! with unit tests; [`run`] applies them to the store.

use std::collections::{BTreeMap, HashMap};
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use qingshan_store::{DataGap, GapScan, GapUpdate, NewDataGap, Store};
use serde::Serialize;

use crate::beijing;
use crate::commands::{self, Asker, Command};

/// HJ 212's 14-digit DataTime form.
const TIME14: &str = "%Y%m%d%H%M%S";

/// Why the system asks for history (shown with the command).
pub const REASON: &str = "自动补传缺失数据";

/// Settings of the automatic backfill.
#[derive(Debug, Clone)]
pub struct BackfillConfig {
    /// Whether the supervisor looks for gaps and asks for them at all.
    pub enabled: bool,
    /// The CNs looked at: 2051 minute and 2061 hourly data.
    pub cns: Vec<String>,
    /// History requests of one device running at once (the device answers one at a time).
    pub max_in_flight: usize,
    /// Requests per gap before it is given up as 无法补传.
    pub max_tries: i64,
    /// Wait after the first unanswered try; doubled after each further one.
    pub backoff: Duration,
    /// Longest wait between tries.
    pub backoff_max: Duration,
    /// Most periods one request asks for: longer gaps are split (a day of one-minute data).
    pub max_request_periods: i64,
    /// How far back the first look at a device goes.
    pub lookback: Duration,
    /// Time after the end of an hour before it is looked at, for late live data.
    pub delay: Duration,
    /// Minute-data interval assumed while a device's own cannot be told from its data, seconds.
    pub default_minute_interval_secs: i64,
}

impl Default for BackfillConfig {
    fn default() -> Self {
        BackfillConfig {
            enabled: true,
            cns: vec!["2051".into(), "2061".into()],
            max_in_flight: 1,
            max_tries: 4,
            backoff: Duration::from_secs(10 * 60),
            backoff_max: Duration::from_secs(6 * 3600),
            max_request_periods: 1440,
            lookback: Duration::from_secs(24 * 3600),
            delay: Duration::from_secs(10 * 60),
            // HJ 212-2017's examples of minute data use ten minutes.
            default_minute_interval_secs: 600,
        }
    }
}

/// What one pass did.
#[derive(Debug, Clone, Default, Serialize, PartialEq, Eq)]
pub struct BackfillSummary {
    /// Gaps found.
    pub found: usize,
    /// History requests queued.
    pub requested: usize,
    /// Gaps filled completely.
    pub filled: usize,
    /// Gaps given up (无法补传).
    pub failed: usize,
}

// ---- pure parts ----------------------------------------------------------------------------

/// Reads a DataTime (`YYYYMMDDhhmmss`).
pub fn parse_data_time(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, TIME14).ok()
}

/// Writes a DataTime.
pub fn data_time(t: NaiveDateTime) -> String {
    t.format(TIME14).to_string()
}

/// The start of the period of `interval_secs` that holds `t`, periods counted from midnight.
pub fn period_start(t: NaiveDateTime, interval_secs: i64) -> NaiveDateTime {
    let iv = interval_secs.max(1);
    // DataTimes have whole seconds; so do periods.
    let t = t.with_nanosecond(0).unwrap_or(t);
    let secs = i64::from(t.num_seconds_from_midnight());
    let midnight = t - chrono::Duration::seconds(secs);
    midnight + chrono::Duration::seconds(secs - secs.rem_euclid(iv))
}

/// The first period start at or after `t`.
fn period_at_or_after(t: NaiveDateTime, interval_secs: i64) -> NaiveDateTime {
    let s = period_start(t, interval_secs);
    if s < t {
        s + chrono::Duration::seconds(interval_secs)
    } else {
        s
    }
}

/// A span of missing periods, `[begin, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    /// Start of the first missing period.
    pub begin: NaiveDateTime,
    /// End of the last missing period.
    pub end: NaiveDateTime,
    /// Periods in it.
    pub periods: i64,
}

/// Which periods of `[from, to)` (those starting at or after `from` and ending by `to`) have
/// data: `present` holds the DataTimes received, sorted or not.
fn period_flags(
    from: NaiveDateTime,
    to: NaiveDateTime,
    interval_secs: i64,
    present: &[NaiveDateTime],
) -> Vec<(NaiveDateTime, bool)> {
    let iv = chrono::Duration::seconds(interval_secs.max(1));
    let mut have: Vec<NaiveDateTime> = present
        .iter()
        .map(|t| period_start(*t, interval_secs))
        .collect();
    have.sort_unstable();
    have.dedup();
    let mut out = Vec::new();
    let mut t = period_at_or_after(from, interval_secs);
    while t + iv <= to {
        out.push((t, have.binary_search(&t).is_ok()));
        t += iv;
    }
    out
}

/// The missing periods of `[from, to)` as spans: periods without data and outside the
/// `known` spans (gaps recorded already) are merged when adjacent, and a span longer than
/// `max_periods` is split into requests of at most that many.
pub fn missing_spans(
    from: NaiveDateTime,
    to: NaiveDateTime,
    interval_secs: i64,
    present: &[NaiveDateTime],
    known: &[(NaiveDateTime, NaiveDateTime)],
    max_periods: i64,
) -> Vec<Span> {
    let iv = chrono::Duration::seconds(interval_secs.max(1));
    let max_periods = max_periods.max(1);
    let mut out: Vec<Span> = Vec::new();
    for (t, has) in period_flags(from, to, interval_secs, present) {
        if has || known.iter().any(|(b, e)| t >= *b && t < *e) {
            continue;
        }
        match out.last_mut() {
            Some(s) if s.end == t && s.periods < max_periods => {
                s.end = t + iv;
                s.periods += 1;
            }
            _ => out.push(Span {
                begin: t,
                end: t + iv,
                periods: 1,
            }),
        }
    }
    out
}

/// How many periods of `[begin, end)` have data.
pub fn periods_present(
    begin: NaiveDateTime,
    end: NaiveDateTime,
    interval_secs: i64,
    present: &[NaiveDateTime],
) -> i64 {
    period_flags(begin, end, interval_secs, present)
        .iter()
        .filter(|(_, has)| *has)
        .count() as i64
}

/// What of `[begin, end)` is still missing, as one span from the first missing period to the
/// end of the last (what the next request asks for; periods in between that arrived come
/// again and are stored once).
pub fn still_missing(
    begin: NaiveDateTime,
    end: NaiveDateTime,
    interval_secs: i64,
    present: &[NaiveDateTime],
) -> Option<Span> {
    let iv = chrono::Duration::seconds(interval_secs.max(1));
    let missing: Vec<NaiveDateTime> = period_flags(begin, end, interval_secs, present)
        .into_iter()
        .filter(|(_, has)| !has)
        .map(|(t, _)| t)
        .collect();
    let (first, last) = (missing.first()?, missing.last()?);
    Some(Span {
        begin: *first,
        end: *last + iv,
        periods: missing.len() as i64,
    })
}

/// The device's period length as its data shows it: the most common step between
/// consecutive DataTimes, if at least three steps agree on one that divides a day.
pub fn infer_interval(times: &[NaiveDateTime]) -> Option<i64> {
    let mut sorted = times.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let mut counts: BTreeMap<i64, usize> = BTreeMap::new();
    for w in sorted.windows(2) {
        let step = (w[1] - w[0]).num_seconds();
        if step > 0 && 86_400 % step == 0 {
            *counts.entry(step).or_default() += 1;
        }
    }
    // The most common step; on a tie the shorter (a gap makes long steps, never short ones).
    let (step, n) = counts
        .into_iter()
        .max_by(|(s1, n1), (s2, n2)| n1.cmp(n2).then(s2.cmp(s1)))?;
    (n >= 3).then_some(step)
}

/// The wait before the next try after `tries` tries: `base`, doubled after each further
/// try, at most `max`.
pub fn backoff(tries: i64, base: Duration, max: Duration) -> Duration {
    let doublings = u32::try_from(tries.saturating_sub(1).clamp(0, 20)).unwrap_or(20);
    base.saturating_mul(1u32 << doublings).min(max)
}

/// Where a gap goes once a request for it has ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    /// Everything arrived: 已补传.
    Filled,
    /// Ask again later; `partial` when some of it arrived (部分补传), else 待补传.
    Retry {
        /// Some periods arrived.
        partial: bool,
    },
    /// Tries used up: 无法补传.
    GiveUp,
}

/// The next state of a gap of `expected` periods of which `filled` are stored now, after
/// `tries` requests, with at most `max_tries`.
pub fn after_try(expected: i64, filled: i64, tries: i64, max_tries: i64) -> Next {
    if filled >= expected {
        Next::Filled
    } else if tries >= max_tries {
        Next::GiveUp
    } else {
        Next::Retry {
            partial: filled > 0,
        }
    }
}

// ---- the pass over the store ---------------------------------------------------------------

fn period_secs(cn: &str, minute_default: i64) -> i64 {
    match cn {
        "2061" => 3600,
        "2031" => 86_400,
        _ => minute_default,
    }
}

fn local_of_stored(text: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| beijing::local(t.with_timezone(&Utc)))
}

fn stored_at(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn times_of(rows: &[(String, bool)]) -> Vec<NaiveDateTime> {
    rows.iter()
        .filter_map(|(t, _)| parse_data_time(t))
        .collect()
}

/// One backfill pass as of `now`: look at the hours completed since the last look, then
/// follow the open gaps (see how their requests ended, ask for what is due).
pub async fn run(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &BackfillConfig,
) -> crate::Result<BackfillSummary> {
    let mut summary = BackfillSummary::default();
    if !cfg.enabled {
        return Ok(summary);
    }
    summary.found = detect(store, now, cfg).await?;
    follow(store, now, cfg, &mut summary).await?;
    Ok(summary)
}

/// The progress row that says how far the look has come for all devices at once.
pub const ALL_DEVICES: &str = "*";

/// One device's look over a window: what it knows before and what it finds.
struct DeviceLook {
    mn: String,
    /// Data is expected from here (first data, registration).
    first: Option<NaiveDateTime>,
    registered: Option<NaiveDateTime>,
    /// Last contact, as the end of the last period it covers.
    contact: NaiveDateTime,
    interval: i64,
    inferred: bool,
    /// Looked at up to here.
    scanned_to: NaiveDateTime,
    spans: Vec<Span>,
    /// Whether anything was looked at (a progress row is written).
    moved: bool,
}

impl DeviceLook {
    /// Looks at `[from, to)` (cut at the last contact) with the DataTimes `times` found there.
    fn look(
        &mut self,
        from: NaiveDateTime,
        to: NaiveDateTime,
        times: &[NaiveDateTime],
        cn: &str,
        known: &[(NaiveDateTime, NaiveDateTime)],
        max_periods: i64,
    ) {
        let from = from.max(self.scanned_to);
        if cn == "2051"
            && !self.inferred
            && let Some(iv) = infer_interval(times)
        {
            self.interval = iv;
            self.inferred = true;
        }
        let to = to.min(period_start(self.contact, self.interval));
        if to <= from {
            return;
        }
        if self.first.is_none() {
            // Nothing of this CN seen before: expected from its first data, if any came.
            self.first = times.iter().min().copied();
        }
        self.scanned_to = to;
        let Some(first) = self.first else {
            return;
        };
        self.moved = true;
        let mut expected_from = from.max(first);
        if let Some(r) = self.registered {
            expected_from = expected_from.max(r);
        }
        for s in missing_spans(expected_from, to, self.interval, times, known, max_periods) {
            // A span running on from the previous window's last one is the same gap.
            match self.spans.last_mut() {
                Some(last) if last.end == s.begin && last.periods + s.periods <= max_periods => {
                    last.end = s.end;
                    last.periods += s.periods;
                }
                _ => self.spans.push(s),
            }
        }
    }
}

/// Looks for new gaps in every registered device's data; returns how many were recorded.
///
/// The uploads are indexed by DataTime first, so the look reads each completed hour of all
/// devices at once (one range scan per hour and CN) rather than one scan per device. A device
/// whose look fell behind (silent for a while, now heard from again) is caught up on its own,
/// at most [`BackfillConfig::lookback`] back.
pub async fn detect(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &BackfillConfig,
) -> crate::Result<usize> {
    let delay = chrono::Duration::from_std(cfg.delay).unwrap_or_default();
    let lookback = chrono::Duration::from_std(cfg.lookback).unwrap_or_default();
    // Only whole hours are looked at, once the grace delay after them has passed.
    let hour_end = period_start(beijing::local(now) - delay, 3600);
    let earliest = hour_end - lookback;
    let hour = chrono::Duration::hours(1);
    let scans: HashMap<(String, String), GapScan> = store
        .gap_scans()
        .await?
        .into_iter()
        .map(|s| ((s.mn.clone(), s.cn.clone()), s))
        .collect();
    let devices = store.last_seen().await?;
    let mut found = 0;
    for cn in &cfg.cns {
        let cursor = scans
            .get(&(ALL_DEVICES.to_string(), cn.clone()))
            .and_then(|s| parse_data_time(&s.scanned_to))
            .unwrap_or(earliest)
            .max(earliest);
        let mut looks: Vec<DeviceLook> = Vec::new();
        for d in &devices {
            let Some(contact) = d.last_seen.as_deref().and_then(local_of_stored) else {
                continue;
            };
            let scan = scans.get(&(d.mn.clone(), cn.clone()));
            looks.push(DeviceLook {
                mn: d.mn.clone(),
                first: scan.and_then(|s| parse_data_time(&s.first_data_time)),
                registered: local_of_stored(&d.registered_at),
                contact,
                interval: scan.map_or_else(
                    || period_secs(cn, cfg.default_minute_interval_secs),
                    |s| s.interval_secs,
                ),
                inferred: cn != "2051",
                scanned_to: scan
                    .and_then(|s| parse_data_time(&s.scanned_to))
                    .unwrap_or(cursor)
                    .max(earliest),
                spans: Vec::new(),
                moved: false,
            });
        }
        // Devices behind the common cursor catch up on their own, an hour at a time.
        for look in looks.iter_mut().filter(|l| l.scanned_to < cursor) {
            let mut h = look.scanned_to;
            while h < cursor && h < look.contact {
                let h2 = (period_start(h, 3600) + hour).min(cursor);
                let rows = store
                    .period_times(&look.mn, cn, &data_time(h), &data_time(h2))
                    .await?;
                let known = known_gaps(store, &look.mn, cn, h, h2).await?;
                look.look(h, h2, &times_of(&rows), cn, &known, cfg.max_request_periods);
                h = h2;
            }
        }
        // Then every device together, an hour at a time, from the common cursor.
        let mut h = cursor;
        while h < hour_end {
            let h2 = (period_start(h, 3600) + hour).min(hour_end);
            let mut by_device: HashMap<String, Vec<NaiveDateTime>> = HashMap::new();
            for (mn, t, _) in store
                .period_times_all(cn, &data_time(h), &data_time(h2))
                .await?
            {
                if let Some(t) = parse_data_time(&t) {
                    by_device.entry(mn).or_default().push(t);
                }
            }
            for look in looks
                .iter_mut()
                .filter(|l| l.scanned_to >= h && l.scanned_to < h2)
            {
                let times = by_device.remove(&look.mn).unwrap_or_default();
                // Gaps are recorded only once a pass ends, so only earlier passes' can overlap.
                let known = if look.first.is_some() && look.contact > look.scanned_to {
                    known_gaps(store, &look.mn, cn, h, h2).await?
                } else {
                    Vec::new()
                };
                look.look(h, h2, &times, cn, &known, cfg.max_request_periods);
            }
            h = h2;
        }
        for look in looks.into_iter().filter(|l| l.moved) {
            let Some(first) = look.first else {
                continue;
            };
            let gaps: Vec<NewDataGap> = look
                .spans
                .iter()
                .map(|s| NewDataGap {
                    mn: look.mn.clone(),
                    cn: cn.clone(),
                    begin_time: data_time(s.begin),
                    end_time: data_time(s.end),
                    interval_secs: look.interval,
                    expected: s.periods,
                })
                .collect();
            let progress = GapScan {
                mn: look.mn.clone(),
                cn: cn.clone(),
                first_data_time: data_time(first),
                scanned_to: data_time(look.scanned_to),
                interval_secs: look.interval,
            };
            found += store.record_gap_scan(&progress, &gaps).await?.len();
        }
        if hour_end > cursor {
            let progress = GapScan {
                mn: ALL_DEVICES.into(),
                cn: cn.clone(),
                first_data_time: data_time(earliest),
                scanned_to: data_time(hour_end),
                interval_secs: 3600,
            };
            store.record_gap_scan(&progress, &[]).await?;
        }
    }
    Ok(found)
}

/// The recorded gaps of a device and CN overlapping `[from, to)`.
async fn known_gaps(
    store: &Store,
    mn: &str,
    cn: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
) -> crate::Result<Vec<(NaiveDateTime, NaiveDateTime)>> {
    Ok(store
        .gaps_overlapping(mn, cn, &data_time(from), &data_time(to))
        .await?
        .iter()
        .filter_map(|g| {
            Some((
                parse_data_time(&g.begin_time)?,
                parse_data_time(&g.end_time)?,
            ))
        })
        .collect())
}

/// The history request of a span of a gap.
fn history(cn: &str, span: Span, interval_secs: i64) -> Option<Command> {
    let kind = match cn {
        "2051" => qingshan_hj212::History::Minute,
        "2061" => qingshan_hj212::History::Hourly,
        "2031" => qingshan_hj212::History::Daily,
        _ => return None,
    };
    // BeginTime and EndTime name the first and the last period's DataTime (inclusive).
    Some(Command::History {
        kind,
        begin: span.begin,
        end: span.end - chrono::Duration::seconds(interval_secs),
    })
}

/// Whether a command's state is final.
fn finished(state: &str) -> bool {
    matches!(state, "refused" | "done" | "failed" | "timed_out")
}

/// The DataTimes of a gap's stored data. Minute data is looked up at the periods' starts
/// (HJ 212 §5.4: DataTime is the start of the period) one by one, since its index leads with
/// DataTime across all devices; hourly and daily data are read by the device's own index.
async fn gap_times(store: &Store, g: &DataGap) -> crate::Result<Vec<NaiveDateTime>> {
    let (Some(begin), Some(end)) = (parse_data_time(&g.begin_time), parse_data_time(&g.end_time))
    else {
        return Ok(Vec::new());
    };
    let rows = if g.cn == "2051" {
        let starts: Vec<String> = period_flags(begin, end, g.interval_secs, &[])
            .into_iter()
            .map(|(t, _)| data_time(t))
            .collect();
        store.period_times_at(&g.mn, &g.cn, &starts).await?
    } else {
        store
            .period_times(&g.mn, &g.cn, &g.begin_time, &g.end_time)
            .await?
    };
    Ok(times_of(&rows))
}

/// Follows the open gaps: a gap whose request ended moves on (filled, asked again after a
/// back-off, or given up); gaps that are due are asked for, at most `max_in_flight` per
/// device. Data is read only for gaps whose request ended or that are due, so a pass costs
/// little while requests run.
async fn follow(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &BackfillConfig,
    summary: &mut BackfillSummary,
) -> crate::Result<()> {
    let open = store.open_data_gaps().await?;
    let now_text = stored_at(now);
    let mut in_flight: HashMap<String, usize> = HashMap::new();
    let mut due: Vec<(DataGap, Vec<NaiveDateTime>)> = Vec::new();
    for g in open {
        let (Some(begin), Some(end)) =
            (parse_data_time(&g.begin_time), parse_data_time(&g.end_time))
        else {
            continue;
        };
        if g.state == "requesting" {
            let running = match g.command_id {
                Some(id) => store
                    .device_command(id)
                    .await?
                    .is_some_and(|c| !finished(&c.state)),
                None => false,
            };
            if running {
                *in_flight.entry(g.mn.clone()).or_default() += 1;
                continue;
            }
        } else if g.next_try.as_deref().is_some_and(|t| t > now_text.as_str()) {
            // Waiting out its back-off.
            continue;
        }
        let times = gap_times(store, &g).await?;
        let filled = periods_present(begin, end, g.interval_secs, &times);
        let next = if g.state == "requesting" {
            after_try(g.expected, filled, g.tries, cfg.max_tries)
        } else if filled >= g.expected {
            // Arrived on its own (a late resend) before it was asked for again.
            Next::Filled
        } else {
            due.push((DataGap { filled, ..g }, times));
            continue;
        };
        let (state, next_try, detail) = match next {
            Next::Filled => ("filled", None, format!("已补传 {filled}/{} 条", g.expected)),
            Next::GiveUp => (
                "failed",
                None,
                format!(
                    "请求 {} 次后仍缺 {} 条，无法补传",
                    g.tries,
                    g.expected - filled
                ),
            ),
            Next::Retry { partial } => {
                let wait = backoff(g.tries, cfg.backoff, cfg.backoff_max);
                let at = now + chrono::Duration::from_std(wait).unwrap_or_default();
                (
                    if partial { "partial" } else { "pending" },
                    Some(stored_at(at)),
                    format!(
                        "第 {} 次请求后已补 {filled}/{} 条，{} 秒后再请求",
                        g.tries,
                        g.expected,
                        wait.as_secs()
                    ),
                )
            }
        };
        store
            .update_data_gap(
                &GapUpdate {
                    id: g.id,
                    state: state.into(),
                    tries: g.tries,
                    next_try,
                    command_id: g.command_id,
                    filled,
                },
                Some(("data_gap.settle", detail)),
            )
            .await?;
        match state {
            "filled" => summary.filled += 1,
            "failed" => summary.failed += 1,
            _ => {}
        }
    }
    for (g, times) in due {
        let n = in_flight.entry(g.mn.clone()).or_default();
        if *n >= cfg.max_in_flight {
            continue;
        }
        let (Some(begin), Some(end)) =
            (parse_data_time(&g.begin_time), parse_data_time(&g.end_time))
        else {
            continue;
        };
        let Some(span) = still_missing(begin, end, g.interval_secs, &times) else {
            continue;
        };
        let Some(command) = history(&g.cn, span, g.interval_secs) else {
            continue;
        };
        let id = match commands::queue(store, &g.mn, command, Asker::System(REASON)).await {
            Ok(id) => id,
            Err(e) => {
                // A device deregistered since, or a command refused: the gap waits.
                tracing::warn!(mn = %g.mn, gap = g.id, error = %e, "history request not queued");
                continue;
            }
        };
        *n += 1;
        summary.requested += 1;
        store
            .update_data_gap(
                &GapUpdate {
                    id: g.id,
                    state: "requesting".into(),
                    tries: g.tries + 1,
                    next_try: None,
                    command_id: Some(id),
                    filled: g.filled,
                },
                Some((
                    "data_gap.request",
                    format!(
                        "第 {} 次请求 CN={} {}–{}（{} 条），命令 {id}",
                        g.tries + 1,
                        g.cn,
                        data_time(span.begin),
                        data_time(span.end),
                        span.periods
                    ),
                )),
            )
            .await?;
    }
    Ok(())
}

// ---- what pages and the API show ----------------------------------------------------------

/// How backfilled data counts in the 传输率 (docs/backfill.md): the national platform keeps
/// both an immediate (即时) and a completed (补全) figure; which one an appraisal uses is not
/// confirmed, so it is a setting.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum BackfillCounting {
    /// 补全: backfilled data counts as received (default).
    #[default]
    Complete,
    /// 即时: only data received in time counts.
    Timely,
}

impl BackfillCounting {
    /// Reads the setting: `complete`/`补全` or `timely`/`即时`.
    pub fn parse(s: &str) -> Option<BackfillCounting> {
        match s.trim() {
            "complete" | "补全" => Some(BackfillCounting::Complete),
            "timely" | "即时" => Some(BackfillCounting::Timely),
            _ => None,
        }
    }

    /// Chinese name.
    pub fn label(self) -> &'static str {
        match self {
            BackfillCounting::Complete => "补全（补传数据计入）",
            BackfillCounting::Timely => "即时（补传数据不计入）",
        }
    }
}

/// A gap as the device page and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct GapView {
    /// Row id.
    pub id: i64,
    /// 2051, 2061 or 2031.
    pub cn: String,
    /// 分钟数据, 小时数据 or 日数据.
    pub kind: String,
    /// Start of the first missing period (RFC 3339, Beijing offset).
    pub begin: String,
    /// End of the last missing period (RFC 3339, Beijing offset).
    pub end: String,
    /// Period length, seconds.
    pub interval_secs: i64,
    /// Periods missing when found.
    pub expected: i64,
    /// Of those, arrived since.
    pub filled: i64,
    /// State code: pending, requesting, partial, filled, failed.
    pub state: String,
    /// 待补传, 补传中, 部分补传, 已补传, 无法补传.
    pub state_label: String,
    /// History requests sent.
    pub tries: i64,
    /// Next request not before (RFC 3339), while waiting.
    pub next_try: Option<String>,
    /// The latest history request (remote command id).
    pub command_id: Option<i64>,
    /// Found at (RFC 3339).
    pub detected_at: String,
}

/// Gaps per page of the device page.
pub const PER_PAGE: i64 = 20;

/// One page of a device's gaps, newest first.
#[derive(Debug, Clone, Serialize)]
pub struct GapPage {
    /// The gaps.
    pub items: Vec<GapView>,
    /// Gaps in all.
    pub total: i64,
    /// This page (1-based).
    pub page: i64,
    /// Gaps per page.
    pub per_page: i64,
}

fn rfc3339_beijing(data_time_text: &str) -> String {
    parse_data_time(data_time_text).map_or_else(
        || data_time_text.to_string(),
        |t| {
            beijing::to_utc(t)
                .with_timezone(&beijing::OFFSET)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
        },
    )
}

/// A stored gap as shown.
pub fn view(g: DataGap) -> GapView {
    GapView {
        id: g.id,
        kind: qingshan_store::labels::data_kind(&g.cn).into_owned(),
        state_label: qingshan_store::labels::gap_state(&g.state).into_owned(),
        begin: rfc3339_beijing(&g.begin_time),
        end: rfc3339_beijing(&g.end_time),
        cn: g.cn,
        interval_secs: g.interval_secs,
        expected: g.expected,
        filled: g.filled,
        state: g.state,
        tries: g.tries,
        next_try: g.next_try,
        command_id: g.command_id,
        detected_at: g.detected_at,
    }
}

/// One page (1-based) of device `mn`'s gaps, newest first.
pub async fn gaps(store: &Store, mn: &str, page: i64) -> crate::Result<GapPage> {
    let page = page.max(1);
    let p = store
        .data_gaps(mn, PER_PAGE, (page - 1).saturating_mul(PER_PAGE))
        .await?;
    Ok(GapPage {
        items: p.items.into_iter().map(view).collect(),
        total: p.total,
        page,
        per_page: PER_PAGE,
    })
}

/// The 传输率 of a device's period data over `[from, to)` (DataTimes): periods expected,
/// periods received (any data in the period), how many of those only by backfill, and the
/// rate as `counting` counts it (percent, two decimals, half-up: the statistics' rounding).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SpanTransmission {
    /// Periods in the span.
    pub expected: i64,
    /// Periods with data.
    pub received: i64,
    /// Of those, periods whose data all came by backfill.
    pub backfilled: i64,
    /// 传输率 as counted, percent.
    pub rate: String,
    /// How backfilled data was counted.
    pub counting: BackfillCounting,
}

/// [`SpanTransmission`] of device `mn`'s `cn` data over `[from, to)`, periods of
/// `interval_secs`.
pub async fn span_transmission(
    store: &Store,
    mn: &str,
    cn: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    interval_secs: i64,
    counting: BackfillCounting,
) -> crate::Result<SpanTransmission> {
    let rows = store
        .period_times(mn, cn, &data_time(from), &data_time(to))
        .await?;
    let all = times_of(&rows);
    let timely: Vec<NaiveDateTime> = rows
        .iter()
        .filter(|(_, b)| !*b)
        .filter_map(|(t, _)| parse_data_time(t))
        .collect();
    let expected = period_flags(from, to, interval_secs, &[]).len() as i64;
    let received = periods_present(from, to, interval_secs, &all);
    let in_time = periods_present(from, to, interval_secs, &timely);
    let counted = match counting {
        BackfillCounting::Complete => received,
        BackfillCounting::Timely => in_time,
    };
    let rate = qingshan_sources::stats::transmission_of(
        u64::try_from(expected).unwrap_or(0),
        &(0..counted)
            .map(|i| (i.to_string(), String::new(), None))
            .collect::<Vec<_>>(),
    )
    .transmission_rate;
    Ok(SpanTransmission {
        expected,
        received,
        backfilled: received - in_time,
        rate,
        counting,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        parse_data_time(s).unwrap()
    }

    #[test]
    fn periods_align_on_local_midnight() {
        assert_eq!(period_start(t("20261203103742"), 600), t("20261203103000"));
        assert_eq!(period_start(t("20261203103000"), 600), t("20261203103000"));
        assert_eq!(period_start(t("20261203235959"), 3600), t("20261203230000"));
        assert_eq!(
            period_at_or_after(t("20261203103001"), 600),
            t("20261203104000")
        );
    }

    #[test]
    fn missing_periods_merge_into_spans_and_long_ones_split() {
        let present: Vec<NaiveDateTime> = ["20261203100000", "20261203100100", "20261203100500"]
            .iter()
            .map(|s| t(s))
            .collect();
        // 10:00–10:08 of one-minute data: 10:02–10:04 and 10:06–10:07 missing.
        let spans = missing_spans(
            t("20261203100000"),
            t("20261203100800"),
            60,
            &present,
            &[],
            100,
        );
        assert_eq!(
            spans,
            [
                Span {
                    begin: t("20261203100200"),
                    end: t("20261203100500"),
                    periods: 3
                },
                Span {
                    begin: t("20261203100600"),
                    end: t("20261203100800"),
                    periods: 2
                },
            ]
        );
        // Split into requests of at most two periods.
        let split = missing_spans(
            t("20261203100000"),
            t("20261203100800"),
            60,
            &present,
            &[],
            2,
        );
        assert_eq!(
            split.iter().map(|s| s.periods).collect::<Vec<_>>(),
            [2, 1, 2]
        );
        assert_eq!(split[1].begin, t("20261203100400"));
        // A recorded gap is not found again.
        let known = [(t("20261203100200"), t("20261203100500"))];
        let spans = missing_spans(
            t("20261203100000"),
            t("20261203100800"),
            60,
            &present,
            &known,
            100,
        );
        assert_eq!(spans.len(), 1);
        assert_eq!(spans[0].begin, t("20261203100600"));
    }

    #[test]
    fn only_whole_periods_inside_the_window_are_expected() {
        // From 10:00:30 to 10:03:30: the periods 10:01 and 10:02 only.
        let spans = missing_spans(t("20261203100030"), t("20261203100330"), 60, &[], &[], 100);
        assert_eq!(
            spans,
            [Span {
                begin: t("20261203100100"),
                end: t("20261203100300"),
                periods: 2
            }]
        );
        // Data a little off the period start still counts for its period.
        let present = [t("20261203100107"), t("20261203100259")];
        assert!(
            missing_spans(
                t("20261203100030"),
                t("20261203100330"),
                60,
                &present,
                &[],
                100
            )
            .is_empty()
        );
        assert!(
            missing_spans(t("20261203100000"), t("20261203100000"), 60, &[], &[], 100).is_empty()
        );
    }

    #[test]
    fn what_is_still_missing_is_one_covering_span() {
        let present = [t("20261203100100"), t("20261203100300")];
        let s = still_missing(t("20261203100000"), t("20261203100500"), 60, &present).unwrap();
        assert_eq!(
            (s.begin, s.end, s.periods),
            (t("20261203100000"), t("20261203100500"), 3)
        );
        assert_eq!(
            periods_present(t("20261203100000"), t("20261203100500"), 60, &present),
            2
        );
        let all: Vec<NaiveDateTime> = (0..5).map(|m| t(&format!("2026120310{m:02}00"))).collect();
        assert_eq!(
            still_missing(t("20261203100000"), t("20261203100500"), 60, &all),
            None
        );
    }

    #[test]
    fn the_interval_is_the_most_common_step() {
        let ten: Vec<NaiveDateTime> = [0, 10, 20, 30, 60, 70]
            .iter()
            .map(|m| t("20261203100000") + chrono::Duration::minutes(*m))
            .collect();
        assert_eq!(infer_interval(&ten), Some(600));
        // Too few steps to tell.
        assert_eq!(infer_interval(&ten[..3]), None);
        // A step that does not divide a day is no interval.
        let odd: Vec<NaiveDateTime> = (0..6)
            .map(|i| t("20261203100000") + chrono::Duration::seconds(i * 7))
            .collect();
        assert_eq!(infer_interval(&odd), None);
    }

    #[test]
    fn back_off_doubles_up_to_its_cap() {
        let base = Duration::from_secs(600);
        let max = Duration::from_secs(3600);
        assert_eq!(backoff(1, base, max), Duration::from_secs(600));
        assert_eq!(backoff(2, base, max), Duration::from_secs(1200));
        assert_eq!(backoff(3, base, max), Duration::from_secs(2400));
        assert_eq!(backoff(4, base, max), max);
        assert_eq!(backoff(1000, base, max), max);
    }

    #[test]
    fn after_a_try_a_gap_is_filled_retried_or_given_up() {
        assert_eq!(after_try(180, 180, 1, 3), Next::Filled);
        assert_eq!(after_try(180, 0, 1, 3), Next::Retry { partial: false });
        assert_eq!(after_try(180, 90, 2, 3), Next::Retry { partial: true });
        assert_eq!(after_try(180, 90, 3, 3), Next::GiveUp);
        assert_eq!(after_try(180, 0, 3, 3), Next::GiveUp);
    }

    #[test]
    fn history_requests_name_the_first_and_last_period() {
        let span = Span {
            begin: t("20261203100000"),
            end: t("20261203130000"),
            periods: 180,
        };
        assert_eq!(
            history("2051", span, 60),
            Some(Command::History {
                kind: qingshan_hj212::History::Minute,
                begin: t("20261203100000"),
                end: t("20261203125900"),
            })
        );
        assert_eq!(history("2011", span, 60), None);
    }

    #[test]
    fn gap_times_are_shown_with_the_beijing_offset() {
        assert_eq!(
            rfc3339_beijing("20261203100000"),
            "2026-12-03T10:00:00+08:00"
        );
    }
}
