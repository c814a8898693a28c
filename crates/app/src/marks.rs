//! 数据标记 (《污染物排放自动监测设备标记规则》, 生态环境部公告 2022 年第 21 号): filing a mark
//! for a device's period (late ones recorded as 迟报), the bureau's review, the 疑似虚假标记
//! check against the device's own data, and which hours valid marks take out of the
//! exceedance judgement and the 有效传输率. A mark never changes or deletes data.
//!
//! Clocks are parameters (`now`), as in the supervisor, so tests control time.

use chrono::{DateTime, Duration, NaiveDateTime, SecondsFormat, Utc};
use qingshan_sources::marking::{self, Covered, MarkKind, MarkingOptions, MarkingRule};
use qingshan_store::{
    Actor, DataMark, DataMarkFilter, DeviceOverview, NewDataMark, NewEvidence, Paged, Role, Store,
    StoreError, User,
};

use crate::{Error, Result};

/// Longest reason or review note, characters.
pub const MAX_TEXT_CHARS: usize = 500;

/// The marking rule in force (the embedded rule file).
pub fn rule() -> Result<&'static MarkingRule> {
    qingshan_store::labels::marking_rule()
        .ok_or_else(|| Error::Conflict("标记规则文件无法读取".into()))
}

/// Who may file a mark for `device`: the bureau's staff and administrators for any device, a
/// county official for the devices of their county. The one place to extend to enterprise
/// accounts (their own devices) when that role arrives.
pub fn may_file_mark(user: Option<&User>, device: &DeviceOverview) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        Role::County if u.division_code.is_some() && u.division_code == device.division_code => {
            Ok(())
        }
        // The enterprise marks its own devices: the rule makes it responsible for its data.
        Role::Enterprise if u.credit_code.as_deref() == Some(device.credit_code.as_str()) => Ok(()),
        _ => Err(Error::Forbidden("无权为该设备提交数据标记".into())),
    }
}

/// Who may review (认可/驳回) marks: the bureau's staff and administrators.
pub fn may_review_mark(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "数据标记仅由生态环境局工作人员审核".into(),
        )),
    }
}

/// Whether the user may open the marks pages at all: staff, county officials and enterprise
/// accounts (which see and file only their own devices' marks).
pub fn may_use_marks(user: Option<&User>) -> Result<()> {
    if user.and_then(crate::scope::confined_to).is_some() {
        return Ok(());
    }
    list_scope(user).map(|_| ())
}

/// Which marks the user may list: every county for staff, their own for a county official.
pub fn list_scope(user: Option<&User>) -> Result<Option<String>> {
    crate::sources::alarm_scope(user)
}

/// A mark as asked for.
#[derive(Debug, Clone)]
pub struct MarkInput {
    /// Device MN.
    pub mn: String,
    /// Factor code, or empty for the whole device.
    pub factor: String,
    /// Kind code of the rule.
    pub kind: String,
    /// Start.
    pub start: DateTime<Utc>,
    /// End, or `None` while it goes on.
    pub end: Option<DateTime<Utc>>,
    /// Reason.
    pub reason: String,
}

/// RFC 3339 UTC to the second, the form marks are stored in (so they compare as text).
pub fn stored_time(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn parse_stored(t: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(t)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The device's local time (DataTime) of a UTC instant.
fn local(t: DateTime<Utc>, offset_secs: i32) -> NaiveDateTime {
    (t + Duration::seconds(i64::from(offset_secs))).naive_utc()
}

/// Whether a mark in this state takes data out: accepted, or pending when
/// [`MarkingOptions::pending_counts`].
pub fn is_valid(state: &str, opts: &MarkingOptions) -> bool {
    state == "accepted" || (state == "pending" && opts.pending_counts)
}

/// Files a mark with its evidence (already checked by [`crate::evidence::check_files`]) for a
/// user who may ([`may_file_mark`]); late marks are accepted and recorded as late, and the
/// 疑似虚假标记 check runs on the data already received.
#[allow(clippy::too_many_arguments)]
pub async fn file_mark(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    input: &MarkInput,
    files: &[NewEvidence],
    now: DateTime<Utc>,
    opts: &MarkingOptions,
    device_utc_offset_secs: i32,
) -> Result<DataMark> {
    let device = store
        .device_overview(&input.mn)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有 MN 为 {} 的设备", input.mn)))?;
    may_file_mark(user, &device)?;
    let kind = rule()?
        .kind(&input.kind)
        .ok_or_else(|| Error::invalid("kind", format!("没有「{}」这种标记类型", input.kind)))?;
    let reason = input.reason.trim();
    if reason.is_empty() {
        return Err(Error::invalid("mark_reason", "请填写标记原因"));
    }
    if reason.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(
            "mark_reason",
            format!("标记原因不超过 {MAX_TEXT_CHARS} 字"),
        ));
    }
    let factor = input.factor.trim();
    if !factor.is_empty()
        && (factor.len() > 16 || !factor.bytes().all(|b| b.is_ascii_alphanumeric()))
    {
        return Err(Error::invalid(
            "factor",
            "监测因子应为 HJ 212 因子编码，如 a21026",
        ));
    }
    if let Some(end) = input.end
        && end <= input.start
    {
        return Err(Error::invalid("end", "结束时间应晚于开始时间"));
    }
    let off = device_utc_offset_secs;
    let deadline = marking::deadline(kind, local(input.start, off), opts);
    let late = marking::is_late(kind, local(input.start, off), local(now, off), opts);
    let suspicion = suspicion_of(
        store,
        kind,
        &input.mn,
        factor,
        input.start,
        input.end,
        now,
        opts,
        off,
    )
    .await?;
    let new = NewDataMark {
        mn: input.mn.clone(),
        factor: factor.to_string(),
        kind: kind.code.clone(),
        start_time: stored_time(input.start),
        end_time: input.end.map(stored_time),
        reason: reason.to_string(),
        filed_at: stored_time(now),
        deadline: stored_time(deadline.and_utc() - Duration::seconds(i64::from(off))),
        late,
        suspicion,
    };
    Ok(store.file_data_mark(&new, files, actor).await?)
}

#[allow(clippy::too_many_arguments)]
async fn suspicion_of(
    store: &Store,
    kind: &MarkKind,
    mn: &str,
    factor: &str,
    start: DateTime<Utc>,
    end: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    opts: &MarkingOptions,
    off: i32,
) -> Result<Option<String>> {
    let upto = end.unwrap_or(now).min(now);
    let uploads = if upto > start {
        let fmt = |t: DateTime<Utc>| local(t, off).format("%Y%m%d%H%M%S").to_string();
        // Hours that began before the start but overlap it count too.
        store
            .uploads_between(mn, "2061", &fmt(start - Duration::hours(1)), &fmt(upto))
            .await?
    } else {
        Vec::new()
    };
    let (ls, le) = (local(start, off), end.map(|e| local(e, off)));
    let flow = kind.check == "flow";
    let covered: Vec<Covered<'_>> = uploads
        .iter()
        .filter(|(t, _)| marking::data_time(t).is_some_and(|h| marking::covers(ls, le, h)))
        .flat_map(|(_, fs)| fs.iter())
        .filter(|f| {
            // The flow check reads the flow, whatever factor the mark names.
            factor.is_empty()
                || f.factor == factor
                || (flow && opts.flow_factors.contains(&f.factor))
        })
        .map(|f| Covered {
            factor: &f.factor,
            value: f.avg.as_deref(),
            flag: f.flag.as_deref(),
        })
        .collect();
    Ok(marking::suspicion(
        kind,
        ls,
        le,
        local(now, off),
        &covered,
        opts,
    ))
}

/// Runs the 疑似虚假标记 check of a mark again on the data received by `now` (data arrive after
/// a mark filed in advance) and records the result.
pub async fn recheck(
    store: &Store,
    id: i64,
    now: DateTime<Utc>,
    opts: &MarkingOptions,
    device_utc_offset_secs: i32,
) -> Result<DataMark> {
    let m = store
        .data_mark(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的数据标记")))?;
    let Some(kind) = rule()?.kind(&m.kind) else {
        return Ok(m);
    };
    let (Some(start), end) = (
        parse_stored(&m.start_time),
        m.end_time.as_deref().and_then(parse_stored),
    ) else {
        return Ok(m);
    };
    let why = suspicion_of(
        store,
        kind,
        &m.mn,
        &m.factor,
        start,
        end,
        now,
        opts,
        device_utc_offset_secs,
    )
    .await?;
    store.set_data_mark_suspicion(id, why.as_deref()).await?;
    Ok(store.data_mark(id).await?.unwrap_or(m))
}

/// One page of the marks the user may see.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    mut filter: DataMarkFilter,
    limit: i64,
    offset: i64,
) -> Result<Paged<DataMark>> {
    if let Some(code) = user.and_then(crate::scope::confined_to) {
        filter.credit_code = Some(code.to_string());
    } else if let Some(county) = list_scope(user)? {
        filter.division_code = Some(county);
    }
    Ok(store.data_marks_paged(&filter, limit, offset).await?)
}

/// One mark, if the user may see it.
pub async fn get(store: &Store, user: Option<&User>, id: i64) -> Result<DataMark> {
    let enterprise = user.and_then(crate::scope::confined_to);
    let scope = match enterprise {
        Some(_) => None,
        None => list_scope(user)?,
    };
    let m = store
        .data_mark(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的数据标记")))?;
    if let Some(code) = enterprise
        && m.credit_code.as_deref() != Some(code)
    {
        return Err(Error::Forbidden("该数据标记不属于本单位".into()));
    }
    if scope.is_some() && scope != m.division_code {
        return Err(Error::Forbidden("该数据标记不属于本区县的排污单位".into()));
    }
    Ok(m)
}

/// A review's outcome: the mark, and for a rejection the re-judgement of its hours.
#[derive(Debug, Clone)]
pub struct Reviewed {
    /// The mark as reviewed.
    pub mark: DataMark,
    /// Alarms raised or updated when a rejected mark's hours were judged again.
    pub rejudged: Option<crate::supervisor::Rejudged>,
    /// Closed incidents over the rejected mark's hours, opened again.
    pub reopened: Vec<i64>,
}

/// Accepts or rejects (with a reason) a pending mark; a rejection judges the mark's hours
/// again ([`crate::supervisor::rejudge_with`]) so the alarms they deserve are raised.
#[allow(clippy::too_many_arguments)]
pub async fn review(
    store: &Store,
    user: Option<&User>,
    actor: &Actor,
    id: i64,
    accept: bool,
    note: Option<&str>,
    now: DateTime<Utc>,
    cfg: &crate::supervisor::SupervisorConfig,
) -> Result<Reviewed> {
    may_review_mark(user)?;
    let note = note.map(str::trim).filter(|n| !n.is_empty());
    if !accept && note.is_none() {
        return Err(Error::invalid("review_note", "驳回数据标记须填写驳回理由"));
    }
    if note.is_some_and(|n| n.chars().count() > MAX_TEXT_CHARS) {
        return Err(Error::invalid(
            "review_note",
            format!("审核意见不超过 {MAX_TEXT_CHARS} 字"),
        ));
    }
    let mark = match store.review_data_mark(id, accept, note, actor).await {
        Ok(m) => m,
        Err(StoreError::NotFound(_)) => {
            return Err(Error::NotFound(format!("没有编号为 {id} 的数据标记")));
        }
        Err(StoreError::Conflict(_)) => {
            return Err(Error::Conflict("该数据标记已审核，不能再次审核".into()));
        }
        Err(e) => return Err(e.into()),
    };
    let mut reopened = Vec::new();
    let rejudged = if accept {
        None
    } else {
        let from = parse_stored(&mark.start_time).unwrap_or(now);
        let to = mark
            .end_time
            .as_deref()
            .and_then(parse_stored)
            .unwrap_or(now)
            .min(now);
        let rejudged = crate::supervisor::rejudge_with(store, &mark.mn, from, to, cfg).await?;
        // The judgement of these hours is restored, so a closed incident over them is open again.
        let bj = |t: DateTime<Utc>| {
            t.with_timezone(&crate::beijing::OFFSET)
                .format("%Y%m%d%H%M%S")
                .to_string()
        };
        let factor = Some(mark.factor.as_str()).filter(|f| !f.is_empty());
        let why = format!("数据标记 {} 被驳回，所覆盖时段重新判定", mark.id);
        for i in crate::incidents::touching(store, &mark.mn, factor, &bj(from), &bj(to)).await? {
            if i.status == "closed" {
                reopened.push(crate::incidents::reopen(store, actor, i.id, &why).await?.id);
            }
        }
        Some(rejudged)
    };
    Ok(Reviewed {
        mark,
        rejudged,
        reopened,
    })
}

/// Periods (device local time) during which valid marks take a factor's data out of the
/// exceedance judgement (`for_transmission` false) or the 有效传输率 (true): one list per
/// factor code, and the whole-device marks under the empty code.
pub async fn excluded_periods(
    store: &Store,
    mn: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    for_transmission: bool,
    opts: &MarkingOptions,
    device_utc_offset_secs: i32,
) -> Result<Periods, StoreError> {
    let marks = store
        .data_marks_overlapping(mn, &stored_time(from), &stored_time(to))
        .await?;
    Ok(periods_of(
        &marks,
        for_transmission,
        opts,
        device_utc_offset_secs,
    ))
}

/// The periods that the given marks (one device's, already read) take out of the exceedance
/// judgement, or out of the transmission rate when `for_transmission`.
pub fn periods_of(
    marks: &[qingshan_store::DataMark],
    for_transmission: bool,
    opts: &MarkingOptions,
    device_utc_offset_secs: i32,
) -> Periods {
    let rule = qingshan_store::labels::marking_rule();
    let mut out = Periods::default();
    for m in marks.iter().filter(|m| is_valid(&m.state, opts)) {
        let Some(kind) = rule.and_then(|r| r.kind(&m.kind)) else {
            continue;
        };
        let takes_out = if for_transmission {
            kind.transmission == "excluded"
        } else {
            kind.exceedance == "excluded"
        };
        let Some(start) = parse_stored(&m.start_time) else {
            continue;
        };
        if takes_out {
            out.0.push((
                m.factor.clone(),
                local(start, device_utc_offset_secs),
                m.end_time
                    .as_deref()
                    .and_then(parse_stored)
                    .map(|e| local(e, device_utc_offset_secs)),
            ));
        }
    }
    out
}

/// Marked periods: (factor or empty for all, start, end) in device local time.
#[derive(Debug, Clone, Default)]
pub struct Periods(pub Vec<(String, NaiveDateTime, Option<NaiveDateTime>)>);

impl Periods {
    /// Whether the hour with this DataTime of this factor is marked.
    pub fn covers(&self, factor: &str, data_time: &str) -> bool {
        let Some(h) = marking::data_time(data_time) else {
            return false;
        };
        self.covers_hour(factor, h)
    }

    /// Whether the hour starting at `h` of this factor is marked.
    pub fn covers_hour(&self, factor: &str, h: NaiveDateTime) -> bool {
        self.0
            .iter()
            .any(|(f, s, e)| (f.is_empty() || f == factor) && marking::covers(*s, *e, h))
    }

    /// Whether nothing is marked.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

/// Reads a time a person or a client gave: RFC 3339 with its offset, or Beijing time as
/// `YYYY-MM-DD HH:MM[:SS]` (a `T` may stand for the space, as a browser's datetime field sends
/// it). `field` names the input in the error.
pub fn parse_time(field: &str, text: &str) -> Result<DateTime<Utc>> {
    let t = text.trim();
    if let Ok(dt) = DateTime::parse_from_rfc3339(t) {
        return Ok(dt.with_timezone(&Utc));
    }
    let t = t.replacen('T', " ", 1);
    ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(&t, f).ok())
        .map(crate::beijing::to_utc)
        .ok_or_else(|| {
            Error::invalid(
                field,
                format!("「{text}」不是有效的时间，应为北京时间 YYYY-MM-DD HH:MM"),
            )
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_beijing_unless_they_carry_an_offset() {
        let t = parse_time("start", "2026-03-01T08:00").unwrap();
        assert_eq!(stored_time(t), "2026-03-01T00:00:00Z");
        let t = parse_time("start", "2026-03-01 08:00:30").unwrap();
        assert_eq!(stored_time(t), "2026-03-01T00:00:30Z");
        let t = parse_time("start", "2026-03-01T08:00:00+08:00").unwrap();
        assert_eq!(stored_time(t), "2026-03-01T00:00:00Z");
        let e = parse_time("start", "昨天").unwrap_err();
        assert!(e.to_string().contains("不是有效的时间"), "{e}");
    }

    #[test]
    fn pending_marks_count_only_when_the_option_says_so() {
        let mut o = MarkingOptions::default();
        assert!(is_valid("pending", &o) && is_valid("accepted", &o) && !is_valid("rejected", &o));
        o.pending_counts = false;
        assert!(!is_valid("pending", &o) && is_valid("accepted", &o));
    }
}
