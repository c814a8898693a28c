//! 重污染天气预警的全过程 (issue 16, second half): staff record the city's warning — issue,
//! raise, lower, lift — with the forecast behind each step; each step sends the enterprises of the
//! warned counties their measures of that level from the 应急减排清单 as a notice to confirm;
//! during the warning each enterprise's hourly emissions from its HJ 212 data are compared with
//! its baseline and its committed cut (`qingshan_sources::curtailment`), and a miss for N hours in
//! a row is 未落实减排措施 (listed and alarmed); after the lift, the episode report.
//! Who may do what is decided here, for pages, API and CLI. Clocks are parameters.

use std::collections::{BTreeMap, BTreeSet};

use chrono::{DateTime, Duration, NaiveDateTime, Timelike, Utc};
use qingshan_exact::{Ratio, Rounding};
use qingshan_report::{Block, Document, Section};
use qingshan_sources::curtailment::{
    self, BaselineRule, FLOW_FACTOR, HourJudged, baseline_by_hour, factor_of, first_run,
    hourly_rate, judge_hours,
};
use qingshan_sources::stats::CouUnit;
use qingshan_sources::supervision::AlarmKind;
use qingshan_store::{
    Actor, AlarmEpisode, HeavyWarning, NoticeDraft, Paged, Raised, Role, Store, User, WarningEvent,
    WarningNotice, WarningStep, WarningStepInput, labels,
};
use serde::{Deserialize, Serialize};

use crate::beijing;
use crate::marks::stored_time;
use crate::{Error, Result};

/// The warning levels, mildest first.
pub const LEVELS: &[&str] = &["yellow", "orange", "red"];
/// The list's pollutants with their Chinese names, in display order.
pub const POLLUTANTS: &[(&str, &str)] = &[
    ("so2", "二氧化硫"),
    ("nox", "氮氧化物"),
    ("pm", "颗粒物"),
    ("vocs", "挥发性有机物"),
];
/// Longest justification or forecast text, characters.
pub const MAX_TEXT_CHARS: usize = 2000;

/// The configurable parts of the reduction check (../shared/reference/heavy-pollution.md
/// "What to make configurable" 8 and 12; none has a confirmed national value).
#[derive(Debug, Clone)]
pub struct CheckConfig {
    /// Consecutive missed hours of one pollutant that make 未落实减排措施.
    pub consecutive_hours: usize,
    /// Where the baseline comes from.
    pub baseline: BaselineRule,
    /// Unit of the devices' `-Cou` values.
    pub cou_unit: CouUnit,
    /// The marking rule's unconfirmed details (which marks count).
    pub marking: qingshan_sources::marking::MarkingOptions,
}

impl Default for CheckConfig {
    fn default() -> Self {
        CheckConfig {
            consecutive_hours: 3,
            baseline: BaselineRule::default(),
            cou_unit: CouUnit::Kg,
            marking: qingshan_sources::marking::MarkingOptions::default(),
        }
    }
}

/// One pollutant's committed cut and declared baseline in a notice (kg/h, exact text).
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct NoticeReduction {
    /// so2, nox, pm or vocs.
    pub pollutant: String,
    /// Committed cut, kg/h.
    pub reduction_kg_h: String,
    /// The list's baseline, kg/h, if declared.
    pub baseline_kg_h: Option<String>,
}

/// Who may issue, raise, lower and lift warnings: the bureau's staff and administrators.
pub fn may_manage(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff => Ok(()),
        _ => Err(Error::Forbidden(
            "重污染天气预警仅由生态环境局工作人员发布、调整和解除".into(),
        )),
    }
}

/// Who may see a warning: anyone signed in except 责任单位填报员; an enterprise account sees only
/// its own notices and figures (see [`confine`]).
pub fn may_view(user: Option<&User>) -> Result<()> {
    let u = user.ok_or(Error::Unauthenticated)?;
    match u.role {
        Role::Admin | Role::Staff | Role::County | Role::Enterprise => Ok(()),
        Role::Reporter => Err(Error::Forbidden(
            "重污染天气预警仅向生态环境局工作人员、区县账号和所涉排污单位开放".into(),
        )),
    }
}

/// The enterprise an account is confined to, if it is an enterprise account.
pub fn confine(user: Option<&User>) -> Option<String> {
    user.filter(|u| u.role == Role::Enterprise)
        .and_then(|u| u.credit_code.clone())
}

/// The counties of the plan (code, name).
pub fn counties() -> Vec<(String, String)> {
    qingshan_plan::xinzhou()
        .map(|p| {
            p.divisions
                .iter()
                .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
                .map(|d| (d.code.clone(), d.name.clone()))
                .collect()
        })
        .unwrap_or_default()
}

/// The Chinese name of a county code (the code itself when unknown).
pub fn county_name(code: &str) -> String {
    counties()
        .into_iter()
        .find(|(c, _)| c == code)
        .map_or_else(|| code.to_string(), |(_, n)| n)
}

/// The areas in words: 全市 or the county names.
pub fn areas_text(areas: &[String]) -> String {
    if areas.is_empty() {
        "全市".into()
    } else {
        areas
            .iter()
            .map(|a| county_name(a))
            .collect::<Vec<_>>()
            .join("、")
    }
}

/// What staff enter for a step.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct StepForm {
    /// yellow, orange, red (ignored for a lift).
    #[serde(default)]
    pub level: String,
    /// When it takes effect: RFC 3339 or Beijing `YYYY-MM-DD HH:MM`; empty: now.
    #[serde(default)]
    pub effective_at: String,
    /// The forecast (AQI values or text).
    #[serde(default)]
    pub forecast: String,
    /// Why.
    #[serde(default)]
    pub justification: String,
    /// Counties (issue only); empty: the whole city.
    #[serde(default)]
    pub areas: Vec<String>,
    /// 文号 (issue only).
    #[serde(default)]
    pub document_no: String,
}

fn text(field: &str, label: &str, value: &str, required: bool) -> Result<Option<String>> {
    let v = value.trim();
    if v.is_empty() {
        return if required {
            Err(Error::invalid(field, format!("请填写{label}")))
        } else {
            Ok(None)
        };
    }
    if v.chars().count() > MAX_TEXT_CHARS {
        return Err(Error::invalid(
            field,
            format!("{label}最多 {MAX_TEXT_CHARS} 个字"),
        ));
    }
    Ok(Some(v.to_string()))
}

fn level_of(value: &str) -> Result<String> {
    let v = value.trim();
    if LEVELS.contains(&v) {
        Ok(v.to_string())
    } else {
        Err(Error::invalid("level", "请选择黄色、橙色或红色预警"))
    }
}

fn effective(value: &str, now: DateTime<Utc>) -> Result<DateTime<Utc>> {
    if value.trim().is_empty() {
        Ok(now)
    } else {
        crate::marks::parse_time("effective_at", value)
    }
}

fn rank(level: &str) -> usize {
    LEVELS.iter().position(|l| *l == level).unwrap_or(0)
}

/// The notices a level sends to the enterprises of `areas` (all when empty): their current entry
/// of the 应急减排清单 at that level (`crate::heavy::reduction_list`), with the list's baseline
/// where declared.
pub async fn notices_for(store: &Store, level: &str, areas: &[String]) -> Result<Vec<NoticeDraft>> {
    let entries = crate::heavy::reduction_list(store, level).await?;
    let mut out = Vec::new();
    for e in entries {
        if !areas.is_empty()
            && !e
                .division_code
                .as_ref()
                .is_some_and(|d| areas.iter().any(|a| a == d))
        {
            continue;
        }
        let pick = |k: &qingshan_store::Kg4, p: &str| -> String {
            match p {
                "so2" => k.so2.clone(),
                "nox" => k.nox.clone(),
                "pm" => k.pm.clone(),
                _ => k.vocs.clone(),
            }
        };
        let mut reductions = Vec::new();
        for (p, _) in POLLUTANTS {
            let v = pick(&e.reduction, p);
            if v.trim().is_empty() {
                continue;
            }
            reductions.push(NoticeReduction {
                pollutant: (*p).into(),
                reduction_kg_h: v,
                baseline_kg_h: e
                    .baseline
                    .as_ref()
                    .map(|b| pick(b, p))
                    .filter(|b| !b.trim().is_empty()),
            });
        }
        let measures: Vec<String> = e.measures.iter().map(|m| m.text.clone()).collect();
        out.push(NoticeDraft {
            credit_code: e.credit_code.clone(),
            enterprise: e.enterprise.clone(),
            division_code: e.division_code.clone(),
            measures: if measures.is_empty() {
                "按应急减排清单执行".into()
            } else {
                measures.join("；")
            },
            reductions: serde_json::to_string(&reductions)
                .map_err(|e| Error::Conflict(format!("减排量无法保存：{e}")))?,
            mns: serde_json::to_string(&e.mns)
                .map_err(|e| Error::Conflict(format!("设备清单无法保存：{e}")))?,
        });
    }
    Ok(out)
}

/// Issues a warning and sends its notices.
pub async fn issue(
    store: &Store,
    user: Option<&User>,
    form: &StepForm,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<HeavyWarning> {
    may_manage(user)?;
    let level = level_of(&form.level)?;
    let known = counties();
    let mut areas: Vec<String> = Vec::new();
    for a in &form.areas {
        let a = a.trim();
        if a.is_empty() || areas.iter().any(|x| x == a) {
            continue;
        }
        if !known.iter().any(|(c, _)| c == a) {
            return Err(Error::invalid("areas", format!("{a} 不是本市的区县代码")));
        }
        areas.push(a.to_string());
    }
    areas.sort();
    let start = effective(&form.effective_at, now)?;
    let step = WarningStepInput {
        level: level.clone(),
        effective_at: stored_time(start),
        forecast: text("forecast", "预报依据", &form.forecast, false)?,
        justification: text("justification", "判定依据", &form.justification, true)?
            .unwrap_or_default(),
    };
    let document_no = text("document_no", "文号", &form.document_no, false)?;
    let notices = notices_for(store, &level, &areas).await?;
    Ok(store
        .issue_heavy_warning(&step, &areas, document_no.as_deref(), &notices, actor)
        .await?)
}

/// Raises, lowers or lifts a warning; raising and lowering send the new level's notices.
pub async fn step(
    store: &Store,
    user: Option<&User>,
    id: i64,
    kind: WarningStep,
    form: &StepForm,
    now: DateTime<Utc>,
    actor: &Actor,
) -> Result<HeavyWarning> {
    may_manage(user)?;
    let w = store
        .heavy_warning(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("未找到预警 {id}")))?;
    let level = match kind {
        WarningStep::Lift => w.level.clone(),
        _ => level_of(&form.level)?,
    };
    match kind {
        WarningStep::Raise if rank(&level) <= rank(&w.level) => {
            return Err(Error::invalid("level", "提级后的级别应高于当前级别"));
        }
        WarningStep::Lower if rank(&level) >= rank(&w.level) => {
            return Err(Error::invalid("level", "降级后的级别应低于当前级别"));
        }
        _ => {}
    }
    let at = effective(&form.effective_at, now)?;
    if stored_time(at) < w.start_at {
        return Err(Error::invalid(
            "effective_at",
            "生效时间不能早于预警开始时间",
        ));
    }
    let input = WarningStepInput {
        level: level.clone(),
        effective_at: stored_time(at),
        forecast: text("forecast", "预报依据", &form.forecast, false)?,
        justification: text("justification", "判定依据", &form.justification, true)?
            .unwrap_or_default(),
    };
    let notices = match kind {
        WarningStep::Lift => Vec::new(),
        _ => notices_for(store, &level, &w.areas).await?,
    };
    Ok(store
        .heavy_warning_step(id, kind, &input, &notices, actor)
        .await?)
}

/// The enterprise confirms its notice.
pub async fn confirm(
    store: &Store,
    user: Option<&User>,
    notice_id: i64,
    note: &str,
    actor: &Actor,
) -> Result<WarningNotice> {
    let u = user.ok_or(Error::Unauthenticated)?;
    let n = store
        .warning_notice(notice_id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("未找到减排措施通知 {notice_id}")))?;
    if u.role != Role::Enterprise || u.credit_code.as_deref() != Some(n.credit_code.as_str()) {
        return Err(Error::Forbidden(
            "减排措施通知只能由收到通知的排污单位账号确认".into(),
        ));
    }
    let note = text("note", "说明", note, false)?;
    Ok(store
        .confirm_warning_notice(notice_id, note.as_deref(), actor)
        .await?)
}

/// A warning with its steps and notices, as one user may see it.
#[derive(Debug, Clone, Serialize)]
pub struct WarningDetail {
    /// The warning.
    pub warning: HeavyWarning,
    /// Its steps, oldest first.
    pub events: Vec<WarningEvent>,
    /// Its notices (an enterprise account: only its own), oldest first.
    pub notices: Vec<WarningNotice>,
}

/// One warning for a user (enterprise accounts only if they received a notice of it).
pub async fn detail(store: &Store, user: Option<&User>, id: i64) -> Result<WarningDetail> {
    may_view(user)?;
    let warning = store
        .heavy_warning(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("未找到预警 {id}")))?;
    let own = confine(user);
    let notices = store.warning_notices(id, own.as_deref()).await?;
    if own.is_some() && notices.is_empty() {
        return Err(Error::Forbidden("本单位不在该预警的应急减排清单内".into()));
    }
    let notices = match user.filter(|u| u.role == Role::County) {
        Some(u) => notices
            .into_iter()
            .filter(|n| n.division_code == u.division_code)
            .collect(),
        None => notices,
    };
    Ok(WarningDetail {
        events: store.heavy_warning_events(id).await?,
        warning,
        notices,
    })
}

/// One page of warnings.
pub async fn list(
    store: &Store,
    user: Option<&User>,
    limit: i64,
    offset: i64,
) -> Result<Paged<HeavyWarning>> {
    may_view(user)?;
    Ok(store.heavy_warnings_paged(limit, offset).await?)
}

/// The notices still in force that an enterprise must act on.
pub async fn my_notices(store: &Store, user: Option<&User>) -> Result<Vec<WarningNotice>> {
    let code =
        confine(user).ok_or_else(|| Error::Forbidden("仅排污单位账号有减排措施通知".into()))?;
    Ok(store.open_warning_notices_of(&code).await?)
}

// ---------------------------------------------------------------------------------------------
// Compliance

/// One hour of one pollutant of an enterprise, for display (kg/h, three decimals).
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct HourRow {
    /// Hour start, Beijing time `YYYY-MM-DD HH:00`.
    pub hour: String,
    /// Level in force.
    pub level: String,
    /// Measured.
    pub actual: Option<String>,
    /// Baseline.
    pub baseline: String,
    /// Achieved cut.
    pub achieved: Option<String>,
    /// Committed cut.
    pub committed: String,
    /// Missed.
    pub missed: bool,
}

/// One pollutant of an enterprise over the warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PollutantCompliance {
    /// Code.
    pub pollutant: String,
    /// Chinese name.
    pub name: String,
    /// HJ 212 factor.
    pub factor: String,
    /// Hours judged.
    pub hours: Vec<HourRow>,
    /// Hours judged (with a baseline).
    pub judged: usize,
    /// Hours missed.
    pub missed: usize,
    /// Hours without data.
    pub no_data: usize,
    /// Mean committed cut over the judged hours, kg/h.
    pub committed_mean: Option<String>,
    /// Mean achieved cut over the hours with data, kg/h.
    pub achieved_mean: Option<String>,
    /// Sum of committed cuts over the judged hours, kg.
    pub committed_total_kg: String,
    /// Sum of achieved cuts over the hours with data, kg.
    pub achieved_total_kg: String,
    /// The first run of N missed hours: its first hour (Beijing) and length.
    pub flagged: Option<(String, usize)>,
    /// DataTime of that run's first hour (the alarm's start).
    #[serde(skip)]
    pub flagged_data_time: Option<String>,
}

/// An enterprise under a warning.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct EnterpriseCompliance {
    /// 统一社会信用代码.
    pub credit_code: String,
    /// Name.
    pub enterprise: String,
    /// County.
    pub division_code: Option<String>,
    /// County name.
    pub county: String,
    /// Devices whose data are summed.
    pub mns: Vec<String>,
    /// Per pollutant with a commitment.
    pub pollutants: Vec<PollutantCompliance>,
    /// 未落实减排措施.
    pub flagged: bool,
}

fn kg3(r: Ratio) -> String {
    r.format_fixed(3, Rounding::HalfEven)
}

fn data_time(h: NaiveDateTime) -> String {
    h.format("%Y%m%d%H%M%S").to_string()
}

fn parse_stored(s: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(s)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// Hourly rates of one device and pollutant in `[from, to)` local hours, keyed by hour start.
async fn device_rates(
    store: &Store,
    mn: &str,
    factor: &str,
    from: NaiveDateTime,
    to: NaiveDateTime,
    unit: CouUnit,
) -> Result<BTreeMap<NaiveDateTime, Ratio>> {
    let mut out = BTreeMap::new();
    for (dt, factors) in store
        .uploads_between(mn, "2061", &data_time(from), &data_time(to))
        .await?
    {
        let Some(h) = qingshan_sources::marking::data_time(&dt) else {
            continue;
        };
        let f = factors.iter().find(|f| f.factor == factor);
        let flow = factors.iter().find(|f| f.factor == FLOW_FACTOR);
        if let Some((rate, _)) = f.and_then(|f| {
            hourly_rate(
                f.cou.as_deref(),
                f.avg.as_deref(),
                flow.and_then(|q| q.cou.as_deref()),
                unit,
            )
        }) {
            out.insert(h, rate);
        }
    }
    Ok(out)
}

/// The compliance of every enterprise that received a notice of the warning, over the whole
/// hours from its start to its lift (or `now`), each hour judged against the notice in force then.
pub async fn compliance(
    store: &Store,
    w: &HeavyWarning,
    now: DateTime<Utc>,
    cfg: &CheckConfig,
) -> Result<Vec<EnterpriseCompliance>> {
    let events = store.heavy_warning_events(w.id).await?;
    let notices = store.warning_notices(w.id, None).await?;
    let effective: BTreeMap<i64, DateTime<Utc>> = events
        .iter()
        .filter_map(|e| parse_stored(&e.effective_at).map(|t| (e.id, t)))
        .collect();
    let Some(start) = parse_stored(&w.start_at) else {
        return Ok(Vec::new());
    };
    let end = w
        .lifted_at
        .as_deref()
        .and_then(parse_stored)
        .map_or(now, |l| l.min(now));
    // Whole local hours: from the first hour starting at or after the start, to the last hour
    // ending by the end.
    let start_local = beijing::local(start);
    let mut first = start_local
        .with_minute(0)
        .and_then(|t| t.with_second(0))
        .and_then(|t| t.with_nanosecond(0))
        .unwrap_or(start_local);
    if first < start_local {
        first += Duration::hours(1);
    }
    let end_local = beijing::local(end);
    let mut hours = Vec::new();
    let mut h = first;
    while h + Duration::hours(1) <= end_local {
        hours.push(h);
        h += Duration::hours(1);
    }
    let mut by_enterprise: BTreeMap<String, Vec<&WarningNotice>> = BTreeMap::new();
    for n in &notices {
        by_enterprise
            .entry(n.credit_code.clone())
            .or_default()
            .push(n);
    }
    let mut out = Vec::new();
    for (code, ns) in by_enterprise {
        let Some(last) = ns.last() else { continue };
        let mut mns: BTreeSet<String> = BTreeSet::new();
        for n in &ns {
            let list: Vec<String> = serde_json::from_str(&n.mns).unwrap_or_default();
            mns.extend(list);
        }
        let mns: Vec<String> = mns.into_iter().collect();
        // The notice in force at each hour: the latest whose step took effect by the hour.
        let in_force = |hour: NaiveDateTime| -> Option<&WarningNotice> {
            let t = beijing::to_utc(hour);
            ns.iter()
                .rev()
                .find(|n| {
                    effective
                        .get(&n.event_id)
                        .is_some_and(|e| *e <= t + Duration::minutes(59))
                })
                .copied()
        };
        let mut pollutants = Vec::new();
        for (p, pname) in POLLUTANTS {
            let Some(factor) = factor_of(p) else { continue };
            let committed_at = |hour: NaiveDateTime| -> Option<(Ratio, Option<Ratio>, String)> {
                let n = in_force(hour)?;
                let rs: Vec<NoticeReduction> = serde_json::from_str(&n.reductions).ok()?;
                let r = rs.into_iter().find(|r| r.pollutant == *p)?;
                Some((
                    curtailment::parse_measured(&r.reduction_kg_h)?,
                    r.baseline_kg_h
                        .as_deref()
                        .and_then(curtailment::parse_measured),
                    n.level.clone(),
                ))
            };
            if !hours.iter().any(|h| committed_at(*h).is_some()) {
                continue;
            }
            // Baselines per device and hour of day, marked hours left out.
            let mut device_base: Vec<BTreeMap<u32, Ratio>> = Vec::new();
            if let BaselineRule::SameHoursBefore { days } = cfg.baseline {
                let from = first - Duration::days(i64::from(days));
                for mn in &mns {
                    let rates = device_rates(store, mn, factor, from, first, cfg.cou_unit).await?;
                    let marked = crate::marks::excluded_periods(
                        store,
                        mn,
                        beijing::to_utc(from),
                        beijing::to_utc(first),
                        false,
                        &cfg.marking,
                        8 * 3600,
                    )
                    .await?;
                    let samples: Vec<(NaiveDateTime, Ratio)> = rates
                        .into_iter()
                        .filter(|(h, _)| !marked.covers_hour(factor, *h))
                        .collect();
                    device_base.push(baseline_by_hour(&samples));
                }
            }
            let mut actual: BTreeMap<NaiveDateTime, Vec<Ratio>> = BTreeMap::new();
            if let (Some(f), Some(l)) = (hours.first(), hours.last()) {
                for mn in &mns {
                    let rates =
                        device_rates(store, mn, factor, *f, *l + Duration::hours(1), cfg.cou_unit)
                            .await?;
                    for (h, r) in rates {
                        actual.entry(h).or_default().push(r);
                    }
                }
            }
            let mut series: Vec<(NaiveDateTime, Option<Ratio>)> = Vec::new();
            let mut bases: BTreeMap<NaiveDateTime, Ratio> = BTreeMap::new();
            let mut commits: BTreeMap<NaiveDateTime, (Ratio, String)> = BTreeMap::new();
            for h in &hours {
                let Some((committed, list_base, level)) = committed_at(*h) else {
                    continue;
                };
                let from_data: Option<Ratio> = if device_base.is_empty() {
                    None
                } else {
                    device_base
                        .iter()
                        .map(|b| b.get(&h.hour()).copied())
                        .collect::<Option<Vec<Ratio>>>()
                        .and_then(|v| Ratio::sum(&v).value())
                };
                let Some(base) = from_data.or(list_base) else {
                    continue;
                };
                let a = actual
                    .get(h)
                    .filter(|v| v.len() == mns.len())
                    .and_then(|v| Ratio::sum(v).value());
                series.push((*h, a));
                bases.insert(*h, base);
                commits.insert(*h, (committed, level));
            }
            let judged: Vec<HourJudged> = series
                .iter()
                .map(|(h, a)| {
                    let b = bases.get(h).copied().unwrap_or(Ratio::ZERO);
                    let c = commits.get(h).map_or(Ratio::ZERO, |c| c.0);
                    judge_hours(&[(*h, *a)], |_| b, c).remove(0)
                })
                .collect();
            let run = first_run(&judged, cfg.consecutive_hours);
            let committed_all: Vec<Ratio> = judged
                .iter()
                .filter_map(|j| commits.get(&j.hour).map(|c| c.0))
                .collect();
            let achieved_all: Vec<Ratio> = judged.iter().filter_map(|j| j.achieved).collect();
            let rows: Vec<HourRow> = judged
                .iter()
                .map(|j| {
                    let (c, level) = commits
                        .get(&j.hour)
                        .cloned()
                        .unwrap_or((Ratio::ZERO, String::new()));
                    HourRow {
                        hour: j.hour.format("%Y-%m-%d %H:00").to_string(),
                        level,
                        actual: j.actual.map(kg3),
                        baseline: kg3(j.baseline),
                        achieved: j.achieved.map(kg3),
                        committed: kg3(c),
                        missed: j.missed,
                    }
                })
                .collect();
            let committed_total = Ratio::sum(&committed_all).value().unwrap_or(Ratio::ZERO);
            let achieved_total = Ratio::sum(&achieved_all).value().unwrap_or(Ratio::ZERO);
            pollutants.push(PollutantCompliance {
                pollutant: (*p).into(),
                name: (*pname).into(),
                factor: factor.into(),
                judged: judged.len(),
                missed: judged.iter().filter(|j| j.missed).count(),
                no_data: judged.iter().filter(|j| j.actual.is_none()).count(),
                committed_mean: Ratio::sum(&committed_all)
                    .div_int(committed_all.len() as i128)
                    .map(kg3),
                achieved_mean: Ratio::sum(&achieved_all)
                    .div_int(achieved_all.len() as i128)
                    .map(kg3),
                committed_total_kg: kg3(committed_total),
                achieved_total_kg: kg3(achieved_total),
                flagged: run.map(|(i, n)| (rows[i].hour.clone(), n)),
                flagged_data_time: run.map(|(i, _)| data_time(judged[i].hour)),
                hours: rows,
            });
        }
        let flagged = pollutants.iter().any(|p| p.flagged.is_some());
        out.push(EnterpriseCompliance {
            credit_code: code.clone(),
            enterprise: last.enterprise.clone(),
            division_code: last.division_code.clone(),
            county: last
                .division_code
                .as_deref()
                .map_or_else(|| "未登记".into(), county_name),
            mns,
            pollutants,
            flagged,
        });
    }
    Ok(out)
}

/// The supervisor's pass: judges every active warning as of `now` and raises (or updates) one
/// 未落实减排措施 alarm per flagged enterprise and pollutant, on its first device. Returns the
/// alarms raised or updated.
pub async fn check_active(
    store: &Store,
    now: DateTime<Utc>,
    cfg: &CheckConfig,
) -> Result<Vec<Raised>> {
    let mut out = Vec::new();
    for w in store.active_heavy_warnings().await? {
        for e in compliance(store, &w, now, cfg).await? {
            let Some(mn) = e.mns.first() else { continue };
            for p in &e.pollutants {
                let (Some((hour, n)), Some(dt)) = (&p.flagged, &p.flagged_data_time) else {
                    continue;
                };
                let ep = AlarmEpisode {
                    kind: AlarmKind::ReductionNotMet.code().into(),
                    mn: mn.clone(),
                    factor: p.factor.clone(),
                    start_time: dt.clone(),
                    end_time: None,
                    peak: None,
                    peak_time: None,
                    records: *n as i64,
                    context: format!(
                        "{}（{}）在重污染天气预警（第 {} 号）期间，{}自 {hour} 起连续 {n} 小时未达到承诺减排量",
                        e.enterprise, e.credit_code, w.id, p.name
                    ),
                };
                out.push(store.raise_alarm(&ep).await?);
            }
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Episode report

/// A station's AQI course during the episode.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct StationCourse {
    /// Station code.
    pub station: String,
    /// Station name.
    pub name: String,
    /// (Beijing hour, AQI) for the hours with a published AQI.
    pub hours: Vec<(String, u32)>,
    /// Highest AQI and its hour.
    pub peak: Option<(String, u32)>,
    /// Mean AQI, one decimal.
    pub mean: Option<String>,
}

/// Committed vs achieved cut of one pollutant over all enterprises.
#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct PollutantTotal {
    /// Code.
    pub pollutant: String,
    /// Chinese name.
    pub name: String,
    /// Sum of committed cuts over the judged hours, kg.
    pub committed_kg: String,
    /// Sum of achieved cuts over the hours with data, kg.
    pub achieved_kg: String,
    /// achieved ÷ committed, percent with one decimal.
    pub share: Option<String>,
}

/// The after-episode report (总结评估).
#[derive(Debug, Clone, Serialize)]
pub struct EpisodeReport {
    /// The warning and its steps and notices.
    pub detail: WarningDetail,
    /// Areas in words.
    pub areas: String,
    /// Start and end, Beijing time.
    pub start: String,
    /// End (lift), Beijing time; `None` while active.
    pub end: Option<String>,
    /// Duration in whole hours.
    pub duration_hours: i64,
    /// Enterprises with their compliance.
    pub enterprises: Vec<EnterpriseCompliance>,
    /// Per pollutant totals.
    pub totals: Vec<PollutantTotal>,
    /// Stations' AQI course.
    pub stations: Vec<StationCourse>,
    /// The check settings used, in words.
    pub rule: String,
}

/// Beijing time of a stored instant, `YYYY-MM-DD HH:MM`.
pub fn bj(s: &str) -> String {
    parse_stored(s).map_or_else(
        || s.to_string(),
        |t| beijing::local(t).format("%Y-%m-%d %H:%M").to_string(),
    )
}

/// The rule in words.
pub fn rule_text(cfg: &CheckConfig) -> String {
    let base = match cfg.baseline {
        BaselineRule::SameHoursBefore { days } => format!(
            "基准为预警开始前 {days} 日同一时段小时排放速率的均值（剔除数据标记时段；无数据时用清单申报基准）"
        ),
        BaselineRule::List => "基准为应急减排清单申报的基准排放".into(),
    };
    format!(
        "排放速率取小时数据的污染物排放量（-Cou，kg）；无排放量时取小时均值浓度（mg/m³）× 废气流量小时累计（m³）× 10⁻⁶。{base}；实际减排量 = 基准 − 实测，低于承诺减排量为未达标，无数据的小时按未达标计；同一污染物连续 {} 小时未达标即判定为未落实减排措施。",
        cfg.consecutive_hours
    )
}

/// The episode report of a warning (also for an active one: figures so far).
pub async fn episode_report(
    store: &Store,
    user: Option<&User>,
    id: i64,
    now: DateTime<Utc>,
    cfg: &CheckConfig,
) -> Result<EpisodeReport> {
    let detail = detail(store, user, id).await?;
    let w = &detail.warning;
    let own = confine(user);
    let county = user
        .filter(|u| u.role == Role::County)
        .and_then(|u| u.division_code.clone());
    let enterprises: Vec<EnterpriseCompliance> = compliance(store, w, now, cfg)
        .await?
        .into_iter()
        .filter(|e| own.as_ref().is_none_or(|c| *c == e.credit_code))
        .filter(|e| county.is_none() || e.division_code == county)
        .collect();
    let mut totals = Vec::new();
    for (p, name) in POLLUTANTS {
        let ps: Vec<&PollutantCompliance> = enterprises
            .iter()
            .flat_map(|e| e.pollutants.iter())
            .filter(|x| x.pollutant == *p)
            .collect();
        if ps.is_empty() {
            continue;
        }
        let sum = |f: fn(&PollutantCompliance) -> &str| -> Ratio {
            let v: Vec<Ratio> = ps
                .iter()
                .filter_map(|x| curtailment::parse_measured(f(x)))
                .collect();
            Ratio::sum(&v).value().unwrap_or(Ratio::ZERO)
        };
        let c = sum(|x| &x.committed_total_kg);
        let a = sum(|x| &x.achieved_total_kg);
        let share = (!c.is_zero())
            .then(|| {
                a.checked_mul(Ratio::int(100))
                    .and_then(|x| x.checked_div(c))
            })
            .flatten()
            .map(|r| r.format_fixed(1, Rounding::HalfEven));
        totals.push(PollutantTotal {
            pollutant: (*p).into(),
            name: (*name).into(),
            committed_kg: kg3(c),
            achieved_kg: kg3(a),
            share,
        });
    }
    let start_t = parse_stored(&w.start_at).unwrap_or(now);
    let end_t = w.lifted_at.as_deref().and_then(parse_stored).unwrap_or(now);
    let stations = aqi_course(store, start_t, end_t).await?;
    Ok(EpisodeReport {
        areas: areas_text(&w.areas),
        start: bj(&w.start_at),
        end: w.lifted_at.as_deref().map(bj),
        duration_hours: (end_t - start_t).num_hours(),
        enterprises,
        totals,
        stations,
        rule: rule_text(cfg),
        detail,
    })
}

async fn aqi_course(
    store: &Store,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
) -> Result<Vec<StationCourse>> {
    let (s, e) = (beijing::local(start), beijing::local(end));
    // A day earlier: the 24-hour moving means of the first hours need it.
    let hours = store
        .air_hours(None, s.date() - Duration::days(1), e.date())
        .await?;
    let series = crate::air::series_from_hours(&hours).map_err(Error::Air)?;
    let names: BTreeMap<String, String> = store
        .air_stations()
        .await?
        .into_iter()
        .map(|st| (st.code, st.name))
        .collect();
    let opts = qingshan_air::aqi::AqiOptions::default();
    let mut out = Vec::new();
    for sr in &series {
        let mut hs = Vec::new();
        let mut h = s.with_minute(0).and_then(|t| t.with_second(0)).unwrap_or(s);
        while h < e {
            let r = qingshan_air::realtime::realtime_report(
                sr,
                h.date(),
                h.hour() as usize,
                None,
                &opts,
            );
            if let Some(a) = r.aqi {
                hs.push((h.format("%Y-%m-%d %H:00").to_string(), a));
            }
            h += Duration::hours(1);
        }
        if hs.is_empty() {
            continue;
        }
        let peak = hs.iter().max_by_key(|x| x.1).cloned();
        let sum: i128 = hs.iter().map(|x| i128::from(x.1)).sum();
        let mean = Ratio::new(sum, hs.len() as i128).map(|m| m.format_fixed(1, Rounding::HalfEven));
        out.push(StationCourse {
            name: names
                .get(&sr.station)
                .cloned()
                .unwrap_or_else(|| sr.station.clone()),
            station: sr.station.clone(),
            hours: hs,
            peak,
            mean,
        });
    }
    Ok(out)
}

/// The report's level course in words: each step with its level and time.
fn timeline_rows(d: &WarningDetail) -> Vec<Vec<String>> {
    d.events
        .iter()
        .map(|e| {
            vec![
                labels::warning_event(&e.kind).into_owned(),
                labels::warning_level(&e.level).into_owned(),
                bj(&e.effective_at),
                e.forecast.clone().unwrap_or_default(),
                e.justification.clone(),
                e.by_name.clone().unwrap_or_default(),
            ]
        })
        .collect()
}

/// The enterprise rows of the report: name, county, pollutant, committed, achieved, hours missed,
/// verdict.
pub fn enterprise_rows(r: &EpisodeReport) -> Vec<Vec<String>> {
    let mut rows = Vec::new();
    for e in &r.enterprises {
        for p in &e.pollutants {
            rows.push(vec![
                e.enterprise.clone(),
                e.county.clone(),
                p.name.clone(),
                p.committed_total_kg.clone(),
                p.achieved_total_kg.clone(),
                format!("{}/{}", p.missed, p.judged),
                match &p.flagged {
                    Some((h, n)) => format!("未落实减排措施（{h} 起连续 {n} 小时）"),
                    None => "已落实".into(),
                },
            ]);
        }
    }
    rows
}

/// The report as a document (PDF).
pub fn report_document(r: &EpisodeReport, printed: &str) -> Document {
    let w = &r.detail.warning;
    let confirmed = r
        .detail
        .notices
        .iter()
        .filter(|n| n.state == "confirmed")
        .count();
    let sections = vec![
        Section {
            heading: "一、预警概况".into(),
            blocks: vec![Block::Fields(vec![
                ("预警编号".into(), w.id.to_string()),
                (
                    "文号".into(),
                    w.document_no.clone().unwrap_or_else(|| "无".into()),
                ),
                ("预警区域".into(), r.areas.clone()),
                ("开始时间".into(), r.start.clone()),
                (
                    "解除时间".into(),
                    r.end.clone().unwrap_or_else(|| "尚未解除".into()),
                ),
                ("持续时长".into(), format!("{} 小时", r.duration_hours)),
                (
                    "最终级别".into(),
                    labels::warning_level(&w.level).into_owned(),
                ),
                (
                    "涉及企业".into(),
                    format!(
                        "{} 家（通知 {} 份，已确认 {confirmed} 份）",
                        r.enterprises.len(),
                        r.detail.notices.len()
                    ),
                ),
            ])],
        },
        Section {
            heading: "二、级别变化".into(),
            blocks: vec![Block::Table {
                columns: vec![
                    ("步骤".into(), 1.0),
                    ("级别".into(), 1.6),
                    ("生效时间".into(), 1.6),
                    ("预报依据".into(), 2.0),
                    ("判定依据".into(), 2.0),
                    ("操作人".into(), 1.0),
                ],
                rows: timeline_rows(&r.detail),
                empty: "无".into(),
            }],
        },
        Section {
            heading: "三、承诺与实际减排量（按污染物）".into(),
            blocks: vec![
                Block::Table {
                    columns: vec![
                        ("污染物".into(), 1.5),
                        ("承诺减排量（kg）".into(), 1.5),
                        ("实际减排量（kg）".into(), 1.5),
                        ("完成率（%）".into(), 1.0),
                    ],
                    rows: r
                        .totals
                        .iter()
                        .map(|t| {
                            vec![
                                t.name.clone(),
                                t.committed_kg.clone(),
                                t.achieved_kg.clone(),
                                t.share.clone().unwrap_or_else(|| "—".into()),
                            ]
                        })
                        .collect(),
                    empty: "无减排承诺".into(),
                },
                Block::Note(r.rule.clone()),
            ],
        },
        Section {
            heading: "四、企业减排落实情况".into(),
            blocks: vec![Block::Table {
                columns: vec![
                    ("企业".into(), 2.0),
                    ("区县".into(), 1.0),
                    ("污染物".into(), 1.0),
                    ("承诺（kg）".into(), 1.0),
                    ("实际（kg）".into(), 1.0),
                    ("未达标小时".into(), 1.0),
                    ("结论".into(), 2.4),
                ],
                rows: enterprise_rows(r),
                empty: "无".into(),
            }],
        },
        Section {
            heading: "五、未落实减排措施企业".into(),
            blocks: vec![Block::Table {
                columns: vec![
                    ("企业".into(), 2.0),
                    ("统一社会信用代码".into(), 2.0),
                    ("区县".into(), 1.0),
                ],
                rows: r
                    .enterprises
                    .iter()
                    .filter(|e| e.flagged)
                    .map(|e| {
                        vec![
                            e.enterprise.clone(),
                            e.credit_code.clone(),
                            e.county.clone(),
                        ]
                    })
                    .collect(),
                empty: "无".into(),
            }],
        },
        Section {
            heading: "六、空气质量站点 AQI 变化".into(),
            blocks: vec![Block::Table {
                columns: vec![
                    ("站点".into(), 2.0),
                    ("小时数".into(), 1.0),
                    ("平均 AQI".into(), 1.0),
                    ("最高 AQI".into(), 1.0),
                    ("出现时间".into(), 1.6),
                ],
                rows: r
                    .stations
                    .iter()
                    .map(|s| {
                        vec![
                            s.name.clone(),
                            s.hours.len().to_string(),
                            s.mean.clone().unwrap_or_default(),
                            s.peak
                                .as_ref()
                                .map_or_else(String::new, |p| p.1.to_string()),
                            s.peak.as_ref().map_or_else(String::new, |p| p.0.clone()),
                        ]
                    })
                    .collect(),
                empty: "期间无空气质量小时数据".into(),
            }],
        },
    ];
    Document {
        title: "重污染天气应急过程总结评估报告".into(),
        subtitle: vec![format!(
            "预警第 {} 号 · {} · 打印时间 {printed}",
            w.id, r.areas
        )],
        sections,
    }
}

/// The report as PDF bytes.
pub fn report_pdf(r: &EpisodeReport, now: DateTime<Utc>) -> Result<Vec<u8>> {
    let Some((_, font)) = qingshan_report::find_cjk_font() else {
        return Err(Error::Report(qingshan_report::ReportError::Font(
            "未找到中文字体（安装 fonts-wqy-microhei 或设置 QINGSHAN_FONT）".into(),
        )));
    };
    let printed = beijing::local(now).format("%Y-%m-%d %H:%M").to_string();
    qingshan_report::render_document_pdf(&report_document(r, &printed), &font, 0)
        .map_err(Error::Report)
}

/// The report as an XLSX workbook: 概况, 级别变化, 减排量, 企业, 站点AQI sheets.
pub fn report_xlsx(r: &EpisodeReport) -> Result<Vec<u8>> {
    use rust_xlsxwriter::{Format, Workbook};
    let doc = report_document(r, "");
    let mut wb = Workbook::new();
    let bold = Format::new().set_bold();
    let names = [
        "概况",
        "级别变化",
        "减排量",
        "企业",
        "未落实企业",
        "站点AQI",
    ];
    let xe = |e: rust_xlsxwriter::XlsxError| Error::Conflict(format!("XLSX 生成失败：{e}"));
    for (section, name) in doc.sections.iter().zip(names) {
        let ws = wb.add_worksheet();
        ws.set_name(name).map_err(xe)?;
        let mut row: u32 = 0;
        for b in &section.blocks {
            match b {
                Block::Fields(fs) => {
                    for (k, v) in fs {
                        ws.write_string_with_format(row, 0, k, &bold).map_err(xe)?;
                        ws.write_string(row, 1, v).map_err(xe)?;
                        row += 1;
                    }
                }
                Block::Table { columns, rows, .. } => {
                    for (c, (h, _)) in columns.iter().enumerate() {
                        ws.write_string_with_format(row, c as u16, h, &bold)
                            .map_err(xe)?;
                    }
                    row += 1;
                    for cells in rows {
                        for (c, v) in cells.iter().enumerate() {
                            ws.write_string(row, c as u16, v).map_err(xe)?;
                        }
                        row += 1;
                    }
                }
                Block::Paragraph(t) | Block::Note(t) => {
                    row += 1;
                    ws.write_string(row, 0, t).map_err(xe)?;
                    row += 1;
                }
            }
        }
        ws.set_column_width(0, 24).map_err(xe)?;
        ws.set_column_width(1, 20).map_err(xe)?;
    }
    // The hourly course of each station, one row per hour.
    let ws = wb.add_worksheet();
    ws.set_name("AQI逐时").map_err(xe)?;
    for (c, h) in ["站点", "时间", "AQI"].iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &bold)
            .map_err(xe)?;
    }
    let mut row = 1;
    for s in &r.stations {
        for (h, a) in &s.hours {
            ws.write_string(row, 0, &s.name).map_err(xe)?;
            ws.write_string(row, 1, h).map_err(xe)?;
            ws.write_number(row, 2, f64::from(*a)).map_err(xe)?;
            row += 1;
        }
    }
    wb.save_to_buffer().map_err(xe)
}
