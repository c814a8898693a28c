//! Progress toward the plan's targets: a status per indicator, year and division, with every
//! number behind it, plus trend outlooks, roll-ups and a 百分制 score.
//!
//! The methods, formulas and worked examples are in `docs/progress-methods.md`. In short:
//!
//! 1. no usable value, no baseline, no elapsed time → `not_available`;
//! 2. the value for the target year (or later) is in → binary: `target_achieved` or
//!    `target_missed`;
//! 3. the target is met (inclusive, direction-aware) → `target_achieved`;
//! 4. a hold target (or target equal to the baseline) not met → `deterioration`;
//! 5. otherwise a pace ratio against thresholds 0.95 / 0.60 / 0: Open SDG's direction-safe
//!    CAGR ratio `d·CAGR_a / |CAGR_r|`, or the linear 序时进度 ratio, which is also used
//!    wherever a growth rate is undefined (a zero or negative value).
//!
//! Ratios are published rounded to [`RATIO_DECIMALS`] places, and it is that published number
//! which is compared with the thresholds (exactly, as decimals), so what a report prints is
//! what decided the status, and a ratio that is mathematically 0.95 lands in the top band
//! even when floating point computes 0.9499999999999.

pub mod csv;
mod outlook;
mod rollup;

use std::cmp::Ordering;
use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use qingshan_exact::{Ratio, Rounding};

use crate::{Decimal, Direction, Indicator, Target, TargetKind};

/// Published progress figures round a tie away from zero (四舍五入), as the plan's tables do.
const HALF_UP: Rounding = Rounding::HalfAwayFromZero;

pub use self::csv::{ProgressError, ProgressErrorKind};
pub use outlook::{Outlook, outlook};
pub use rollup::{
    Deductions, Entry, Grade, GradeBands, Grading, Group, Score, ScoreItem, ScoringRule,
    StatusCounts, by_category, by_division, by_unit, score_divisions, score_units,
};

/// Digits after the point of every published ratio, share and time fraction.
pub const RATIO_DECIMALS: u32 = 6;

/// Progress status of one indicator in one division and year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// 已达标: the target is met.
    TargetAchieved,
    /// 进展良好: on track (ratio ≥ high threshold).
    SubstantialProgress,
    /// 需加快: progress, but acceleration needed (medium ≤ ratio < high).
    ModerateProgress,
    /// 进展缓慢: little or no progress (low ≤ ratio < medium).
    LimitedProgress,
    /// 倒退: moving away from the target (ratio < low), or a hold target broken.
    Deterioration,
    /// 未完成: the target year's value is in and the target is not met.
    TargetMissed,
    /// 无数据: not assessable (no value, no baseline, no target, …; see the rule).
    NotAvailable,
    /// 人工评定: a qualitative target judged by staff with a written justification.
    Manual,
}

impl Status {
    /// Every status, in display order.
    pub const ALL: [Status; 8] = [
        Status::TargetAchieved,
        Status::SubstantialProgress,
        Status::ModerateProgress,
        Status::LimitedProgress,
        Status::Deterioration,
        Status::TargetMissed,
        Status::NotAvailable,
        Status::Manual,
    ];

    /// Stable machine-readable code, as in the CSV output and the API.
    pub fn code(self) -> &'static str {
        match self {
            Status::TargetAchieved => "target_achieved",
            Status::SubstantialProgress => "substantial_progress",
            Status::ModerateProgress => "moderate_progress",
            Status::LimitedProgress => "limited_progress",
            Status::Deterioration => "deterioration",
            Status::TargetMissed => "target_missed",
            Status::NotAvailable => "not_available",
            Status::Manual => "manual",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Status::TargetAchieved => "已达标",
            Status::SubstantialProgress => "进展良好",
            Status::ModerateProgress => "需加快",
            Status::LimitedProgress => "进展缓慢",
            Status::Deterioration => "倒退",
            Status::TargetMissed => "未完成",
            Status::NotAvailable => "无数据",
            Status::Manual => "人工评定",
        }
    }

    /// Rank on the good–bad scale (higher is better); `None` for statuses off that scale.
    pub fn rank(self) -> Option<u8> {
        match self {
            Status::TargetAchieved => Some(4),
            Status::SubstantialProgress => Some(3),
            Status::ModerateProgress => Some(2),
            Status::LimitedProgress => Some(1),
            Status::Deterioration | Status::TargetMissed => Some(0),
            Status::NotAvailable | Status::Manual => None,
        }
    }

    /// Whether the indicator is off track (counts for a deduction under the scoring rule).
    pub fn is_off_track(self) -> bool {
        matches!(
            self,
            Status::ModerateProgress
                | Status::LimitedProgress
                | Status::Deterioration
                | Status::TargetMissed
        )
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

/// A code that names no known status or method.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("未知的代码「{0}」")]
pub struct UnknownCode(pub String);

impl FromStr for Status {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Status::ALL
            .into_iter()
            .find(|st| st.code() == s.trim())
            .ok_or_else(|| UnknownCode(s.to_string()))
    }
}

/// How the pace toward a numeric target is measured.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize)]
pub enum Method {
    /// Open SDG / Statistics Canada: `d·CAGR_actual / |CAGR_required|`.
    #[default]
    #[serde(rename = "opensdg")]
    OpenSdg,
    /// 序时进度: share of the gap closed ÷ share of the time elapsed.
    #[serde(rename = "linear")]
    Linear,
}

impl Method {
    /// Stable code: `opensdg` or `linear`.
    pub fn code(self) -> &'static str {
        match self {
            Method::OpenSdg => "opensdg",
            Method::Linear => "linear",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Method::OpenSdg => "年均增速比值法（Open SDG）",
            Method::Linear => "序时进度法",
        }
    }
}

impl fmt::Display for Method {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for Method {
    type Err = UnknownCode;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s.trim() {
            "opensdg" => Ok(Method::OpenSdg),
            "linear" => Ok(Method::Linear),
            _ => Err(UnknownCode(s.to_string())),
        }
    }
}

/// Cut-offs on the pace ratio; each band includes its lower bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Thresholds {
    /// Ratio at or above which progress is substantial (default 0.95).
    pub high: Decimal,
    /// Ratio at or above which progress is moderate (default 0.60).
    pub medium: Decimal,
    /// Ratio at or above which progress is limited rather than deterioration (default 0).
    pub low: Decimal,
}

impl Default for Thresholds {
    fn default() -> Self {
        Thresholds::eurostat_statcan()
    }
}

impl Thresholds {
    /// Eurostat / Statistics Canada / Open SDG: 0.95, 0.60, 0 (the default).
    pub fn eurostat_statcan() -> Self {
        Thresholds {
            high: Decimal::new(95, 2),
            medium: Decimal::new(60, 2),
            low: Decimal::new(0, 0),
        }
    }

    /// UN Statistics Division Progress Chart 2020–2022: 0.95, 0.50, −0.10.
    pub fn unsd2022() -> Self {
        Thresholds {
            high: Decimal::new(95, 2),
            medium: Decimal::new(50, 2),
            low: Decimal::new(-10, 2),
        }
    }

    /// The status a ratio falls in.
    pub fn classify(&self, ratio: Decimal) -> Status {
        if ratio >= self.high {
            Status::SubstantialProgress
        } else if ratio >= self.medium {
            Status::ModerateProgress
        } else if ratio >= self.low {
            Status::LimitedProgress
        } else {
            Status::Deterioration
        }
    }
}

/// Settings of an assessment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
pub struct Options {
    /// The pace method for numeric targets (Open SDG by default).
    pub method: Method,
    /// Cut-offs on the pace ratio.
    pub thresholds: Thresholds,
    /// Once the target year is reached, judge a missed target by its pace instead of the
    /// binary 未完成. The `plan progress` CSV contract has no `target_missed` code, so it sets this.
    pub pace_after_target: bool,
}

/// One value of an indicator in one year.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Observation {
    /// The year the value describes.
    pub year: i32,
    /// The value, in the indicator's unit.
    pub value: Decimal,
}

impl Observation {
    /// The observation `value` in `year`.
    pub fn new(year: i32, value: Decimal) -> Self {
        Observation { year, value }
    }
}

/// A staff judgement of a qualitative target (有效保障 and the like).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Judgement {
    /// Whether staff judge the target met.
    pub met: bool,
    /// The written justification; a judgement without one is not accepted.
    pub justification: String,
}

/// Which rule decided a status; stable codes for reports and templates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// No value reported for the year or any earlier year after the baseline.
    NoData,
    /// No baseline, and no reported value to stand in for it.
    NoBaseline,
    /// The latest value is not later than the baseline, so no time has elapsed.
    NoElapsedTime,
    /// The target year is not after the baseline year.
    InvalidPeriod,
    /// The plan sets no usable target for this milestone (尚未确定, none).
    NoTarget,
    /// 完成省级下达任务, and the province's value for the year has not been entered.
    AwaitingAssignment,
    /// A qualitative target that staff have not yet judged.
    AwaitingJudgement,
    /// Judged by staff.
    ManualJudgement,
    /// The target is met before the target year (checked before any ratio).
    TargetAchieved,
    /// The target year's value is in and meets the target.
    FinalAchieved,
    /// The target year's value is in and misses the target.
    FinalMissed,
    /// A hold target (or a target equal to the baseline) is not met.
    HoldBroken,
    /// Classified by the Open SDG growth-rate ratio.
    CagrRatio,
    /// Classified by the linear 序时进度 ratio.
    LinearPace,
    /// The ratio overflowed or is not finite (absurd magnitudes).
    RatioUndefined,
    /// 持续下降 and the like: judged against the previous reported year.
    YearOnYear,
    /// 持续下降 with no earlier value to compare with.
    NoPreviousYear,
}

impl Rule {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Rule::NoData => "no_data",
            Rule::NoBaseline => "no_baseline",
            Rule::NoElapsedTime => "no_elapsed_time",
            Rule::InvalidPeriod => "invalid_period",
            Rule::NoTarget => "no_target",
            Rule::AwaitingAssignment => "awaiting_assignment",
            Rule::AwaitingJudgement => "awaiting_judgement",
            Rule::ManualJudgement => "manual_judgement",
            Rule::TargetAchieved => "target_achieved",
            Rule::FinalAchieved => "final_achieved",
            Rule::FinalMissed => "final_missed",
            Rule::HoldBroken => "hold_broken",
            Rule::CagrRatio => "cagr_ratio",
            Rule::LinearPace => "linear_pace",
            Rule::RatioUndefined => "ratio_undefined",
            Rule::YearOnYear => "year_on_year",
            Rule::NoPreviousYear => "no_previous_year",
        }
    }

    /// What the rule means, in Chinese.
    pub fn label(self) -> &'static str {
        match self {
            Rule::NoData => "无上报数据",
            Rule::NoBaseline => "无基期值",
            Rule::NoElapsedTime => "最新数据不晚于基期",
            Rule::InvalidPeriod => "目标年不晚于基期",
            Rule::NoTarget => "未设定目标",
            Rule::AwaitingAssignment => "待录入省级下达值",
            Rule::AwaitingJudgement => "待人工评定",
            Rule::ManualJudgement => "人工评定",
            Rule::TargetAchieved => "已达到目标值",
            Rule::FinalAchieved => "目标年已到，达到目标",
            Rule::FinalMissed => "目标年已到，未达到目标",
            Rule::HoldBroken => "保持类目标未保持",
            Rule::CagrRatio => "年均增速比值",
            Rule::LinearPace => "序时进度比值",
            Rule::RatioUndefined => "比值无法计算",
            Rule::YearOnYear => "逐年比较",
            Rule::NoPreviousYear => "无上年数据可比",
        }
    }
}

/// Why the linear method stood in for the requested Open SDG method.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fallback {
    /// A baseline, current or target value is zero or negative, so no growth rate exists.
    NonPositiveValue,
    /// The target equals the baseline (a hold target), so the required rate is zero.
    TargetEqualsBaseline,
}

impl Fallback {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            Fallback::NonPositiveValue => "non_positive_value",
            Fallback::TargetEqualsBaseline => "target_equals_baseline",
        }
    }
}

/// Where a numeric target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(tag = "source", rename_all = "snake_case")]
pub enum TargetSource {
    /// A number written in the plan (or given directly, as in the CSV).
    Plan,
    /// 保持: the baseline itself.
    Hold,
    /// 较Y年下降p% of a level (lower-is-better indicator): `from × (1 − p/100)`.
    LevelReduction {
        /// The reduction in percent.
        percent: Decimal,
        /// The year it is relative to.
        relative_to: i32,
        /// The value in that year.
        from: Decimal,
    },
    /// 较Y年下降p% where the indicator is itself the cumulative reduction (a 降低/降幅 rate,
    /// higher is better): the target is p, and the reduction in year Y is 0 by definition.
    CumulativeReduction {
        /// The reduction in percent.
        percent: Decimal,
        /// The year it is relative to.
        relative_to: i32,
    },
    /// 完成省级下达任务: the province's value for the year.
    ProvincialAssignment,
}

/// The numeric target a status was judged against.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct ResolvedTarget {
    /// The year the target is due.
    pub year: i32,
    /// The target value.
    pub value: Decimal,
    /// How the number was obtained.
    #[serde(flatten)]
    pub source: TargetSource,
}

/// A progress status with every number behind it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Assessment {
    /// The status.
    pub status: Status,
    /// The rule that decided it.
    pub rule: Rule,
    /// The method whose ratio was computed, if any.
    pub method: Option<Method>,
    /// Why the linear method replaced the requested Open SDG one, if it did.
    pub fallback: Option<Fallback>,
    /// The indicator's direction.
    pub direction: Direction,
    /// The year assessed.
    pub year: i32,
    /// The starting point of the pace: the baseline, or a stand-in (see `base_substituted`).
    pub base: Option<Observation>,
    /// Whether the baseline was missing and the first reported value stood in for it.
    pub base_substituted: bool,
    /// The value judged: the latest reported in or before `year`.
    pub current: Option<Observation>,
    /// Whether `current` is older than `year` (数据滞后).
    pub stale: bool,
    /// The previous value compared with, for year-on-year rules.
    pub previous: Option<Observation>,
    /// The numeric target.
    pub target: Option<ResolvedTarget>,
    /// The pace ratio of `method`, rounded to [`RATIO_DECIMALS`] places; what the thresholds saw.
    pub ratio: Option<Decimal>,
    /// Share of the baseline–target gap closed, in the good direction (negative: moved away).
    pub gap_closed: Option<Decimal>,
    /// Share of the baseline–target period elapsed.
    pub time_elapsed: Option<Decimal>,
    /// Observed compound annual growth rate (0.05 = 5 % a year), where defined.
    pub actual_cagr: Option<f64>,
    /// Compound annual growth rate needed to reach the target on time, where defined.
    pub required_cagr: Option<f64>,
    /// Observed change per year, in the indicator's unit.
    pub actual_change_per_year: Option<f64>,
    /// Change per year needed to reach the target on time, in the indicator's unit.
    pub required_change_per_year: Option<f64>,
    /// The thresholds in force.
    pub thresholds: Thresholds,
    /// The staff judgement, for `manual`.
    pub judgement: Option<Judgement>,
}

impl Assessment {
    fn empty(direction: Direction, year: i32, options: &Options) -> Self {
        Assessment {
            status: Status::NotAvailable,
            rule: Rule::NoData,
            method: None,
            fallback: None,
            direction,
            year,
            base: None,
            base_substituted: false,
            current: None,
            stale: false,
            previous: None,
            target: None,
            ratio: None,
            gap_closed: None,
            time_elapsed: None,
            actual_cagr: None,
            required_cagr: None,
            actual_change_per_year: None,
            required_change_per_year: None,
            thresholds: options.thresholds,
            judgement: None,
        }
    }

    fn decided(mut self, status: Status, rule: Rule) -> Self {
        self.status = status;
        self.rule = rule;
        self
    }

    /// A one-paragraph Chinese explanation of the status and the numbers behind it.
    pub fn reasoning(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(c) = self.current {
            let mut s = format!("{}年值 {}", c.year, c.value);
            if self.stale {
                s.push_str(&format!("（{}年无数据，沿用最近年份）", self.year));
            }
            parts.push(s);
        }
        if let Some(b) = self.base {
            let tag = if self.base_substituted {
                "基期（无基期值，以首个上报值代替）"
            } else {
                "基期"
            };
            parts.push(format!("{tag}{}年 {}", b.year, b.value));
        }
        if let Some(t) = self.target {
            let how = match t.source {
                TargetSource::Plan => String::new(),
                TargetSource::Hold => "（保持基期水平）".to_string(),
                TargetSource::LevelReduction {
                    percent,
                    relative_to,
                    from,
                } => format!("（{relative_to}年 {from} 下降{percent}%）"),
                TargetSource::CumulativeReduction {
                    percent,
                    relative_to,
                } => format!("（较{relative_to}年累计下降{percent}%）"),
                TargetSource::ProvincialAssignment => "（省级下达）".to_string(),
            };
            parts.push(format!("{}年目标 {}{how}", t.year, t.value));
        }
        if let Some(p) = self.previous {
            parts.push(format!("上一年份{}年 {}", p.year, p.value));
        }
        if let Some(g) = self.gap_closed {
            parts.push(format!("已完成差距 {}%", percent(g)));
        }
        if let Some(t) = self.time_elapsed {
            parts.push(format!("时间已过 {}%", percent(t)));
        }
        if let (Some(a), Some(r)) = (self.actual_cagr, self.required_cagr) {
            parts.push(format!(
                "实际年均增速 {:.2}%，所需年均增速 {:.2}%",
                a * 100.0,
                r * 100.0
            ));
        }
        if let (Some(r), Some(m)) = (self.ratio, self.method) {
            let mut s = format!("{}比值 {r}", m.label());
            if self.fallback == Some(Fallback::NonPositiveValue) {
                s.push_str("（存在零或负值，增速无定义，改用序时进度）");
            }
            parts.push(s);
        }
        if self.fallback == Some(Fallback::TargetEqualsBaseline) {
            parts.push("目标等于基期值，按保持规则判断".to_string());
        }
        if let Some(j) = &self.judgement {
            let verdict = if j.met { "达到" } else { "未达到" };
            parts.push(format!("人工评定为{verdict}：{}", j.justification));
        }
        let body = parts.join("；");
        let head = if self.status.label() == self.rule.label() {
            self.status.label().to_string()
        } else {
            format!("{}（{}）", self.status.label(), self.rule.label())
        };
        if body.is_empty() {
            head
        } else {
            format!("{head}：{body}")
        }
    }
}

fn percent(share: Decimal) -> String {
    Decimal::to_ratio(share)
        .and_then(|q| q.checked_mul(Ratio::int(100)))
        .and_then(|q| q.to_decimal(1, HALF_UP))
        .map_or_else(|| share.to_string(), |d| d.to_string())
}

/// The target a year is assessed against: the first milestone due in or after `year`, or the
/// last one once every milestone has passed (its result is then final).
pub fn milestone(indicator: &Indicator, year: i32) -> Option<&Target> {
    indicator
        .targets
        .iter()
        .filter(|t| t.year >= year)
        .min_by_key(|t| t.year)
        .or_else(|| indicator.targets.iter().max_by_key(|t| t.year))
}

/// A numeric case given directly: baseline, target and (maybe) a current value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NumericCase {
    /// Which way is better.
    pub direction: Direction,
    /// The baseline.
    pub base: Observation,
    /// The target and its year.
    pub target: Observation,
    /// The value to judge; `None` when nothing has been reported.
    pub current: Option<Observation>,
    /// The year assessed (normally the current value's year).
    pub year: i32,
}

/// Judges a numeric case (what the CSV command does per row).
pub fn assess_numeric(case: &NumericCase, options: &Options) -> Assessment {
    judge_numeric(
        Numeric {
            direction: case.direction,
            year: case.year,
            base: case.base,
            base_substituted: false,
            target: ResolvedTarget {
                year: case.target.year,
                value: case.target.value,
                source: TargetSource::Plan,
            },
            current: case.current,
        },
        options,
    )
}

/// One indicator in one division for one year, as the plan states it.
#[derive(Debug, Clone, Copy)]
pub struct Case<'a> {
    /// The year assessed.
    pub year: i32,
    /// Which way is better.
    pub direction: Direction,
    /// The plan's target (see [`milestone`] for choosing it).
    pub target: &'a Target,
    /// The baseline year (the plan's `baseline_year`).
    pub base_year: i32,
    /// The baseline value in this division, if known.
    pub baseline: Option<Decimal>,
    /// Values reported in this division, any order; if a year repeats, the later entry wins.
    pub observations: &'a [Observation],
    /// For 完成省级下达任务: the province's value for `year`, which becomes that year's target.
    pub assigned: Option<Decimal>,
    /// Staff judgement, used when no numeric target can be formed.
    pub judgement: Option<&'a Judgement>,
}

impl<'a> Case<'a> {
    /// The city-level case of a plan indicator: its direction and baseline, the given target.
    pub fn for_indicator(
        indicator: &Indicator,
        target: &'a Target,
        base_year: i32,
        year: i32,
        observations: &'a [Observation],
    ) -> Self {
        Case {
            year,
            direction: indicator.direction,
            target,
            base_year,
            baseline: indicator.baseline,
            observations,
            assigned: None,
            judgement: None,
        }
    }
}

/// Judges one indicator in one division for one year.
pub fn assess(case: &Case<'_>, options: &Options) -> Assessment {
    let obs = normalise(case.observations);
    let empty = Assessment::empty(case.direction, case.year, options);

    let target = match &case.target.kind {
        TargetKind::Value { value } => Some((*value, TargetSource::Plan, case.target.year)),
        TargetKind::Hold => case
            .baseline
            .map(|b| (b, TargetSource::Hold, case.target.year)),
        TargetKind::Reduction {
            percent,
            relative_to,
        } => match case.direction {
            Direction::Higher => Some((
                *percent,
                TargetSource::CumulativeReduction {
                    percent: *percent,
                    relative_to: *relative_to,
                },
                case.target.year,
            )),
            Direction::Lower | Direction::Hold => {
                let from = if *relative_to == case.base_year {
                    case.baseline
                } else {
                    obs.iter().find(|o| o.year == *relative_to).map(|o| o.value)
                };
                let Some(from) = from else {
                    return empty.decided(Status::NotAvailable, Rule::NoBaseline);
                };
                let Some(value) = reduce(from, *percent) else {
                    return empty.decided(Status::NotAvailable, Rule::RatioUndefined);
                };
                Some((
                    value,
                    TargetSource::LevelReduction {
                        percent: *percent,
                        relative_to: *relative_to,
                        from,
                    },
                    case.target.year,
                ))
            }
        },
        TargetKind::ProvincialAssignment => case
            .assigned
            .map(|v| (v, TargetSource::ProvincialAssignment, case.year)),
        TargetKind::ContinuousDecline => {
            return year_on_year(case, &obs, options);
        }
        TargetKind::EffectivelyEnsured | TargetKind::Undetermined | TargetKind::None => None,
    };

    let Some((value, source, target_year)) = target else {
        if let Some(j) = case
            .judgement
            .filter(|j| !j.justification.trim().is_empty())
        {
            let mut a = empty.decided(Status::Manual, Rule::ManualJudgement);
            a.judgement = Some(j.clone());
            a.current = latest(&obs, case.year);
            return a;
        }
        let rule = match case.target.kind {
            TargetKind::ProvincialAssignment => Rule::AwaitingAssignment,
            TargetKind::EffectivelyEnsured => Rule::AwaitingJudgement,
            TargetKind::Hold => Rule::NoBaseline,
            _ => Rule::NoTarget,
        };
        return empty.decided(Status::NotAvailable, rule);
    };

    // A cumulative reduction is 0 in its reference year by definition, whatever the plan's
    // baseline column says (Xinzhou's shows the 2020 year-on-year change there).
    let (base, base_substituted) = match source {
        TargetSource::CumulativeReduction { relative_to, .. } => (
            Some(Observation::new(relative_to, Decimal::from_int(0))),
            false,
        ),
        _ => match case.baseline {
            Some(b) => (Some(Observation::new(case.base_year, b)), false),
            None => {
                let cur_year = latest(&obs, case.year).map(|c| c.year);
                let first = obs
                    .iter()
                    .find(|o| o.year >= case.base_year && Some(o.year) < cur_year)
                    .copied();
                (first, true)
            }
        },
    };
    let Some(base) = base else {
        let mut a = empty.decided(Status::NotAvailable, Rule::NoBaseline);
        a.current = latest(&obs, case.year);
        return a;
    };

    judge_numeric(
        Numeric {
            direction: case.direction,
            year: case.year,
            base,
            base_substituted,
            target: ResolvedTarget {
                year: target_year,
                value,
                source,
            },
            current: latest(&obs, case.year),
        },
        options,
    )
}

/// `from × (1 − percent/100)`, exact, with trailing zeros trimmed.
fn reduce(from: Decimal, percent: Decimal) -> Option<Decimal> {
    let f = Decimal::to_ratio(from)?;
    let p = Decimal::to_ratio(percent)?;
    let factor = Ratio::int(100)
        .checked_sub(p)?
        .checked_div(Ratio::int(100))?;
    let scale = from.scale().checked_add(percent.scale())?.checked_add(2)?;
    Some(
        f.checked_mul(factor)?
            .to_decimal(scale, HALF_UP)?
            .trimmed(from.scale()),
    )
}

/// Observations sorted by year, one per year (the later entry of a repeated year wins).
fn normalise(observations: &[Observation]) -> Vec<Observation> {
    let mut out: Vec<Observation> = Vec::with_capacity(observations.len());
    for o in observations {
        match out.iter_mut().find(|x| x.year == o.year) {
            Some(x) => *x = *o,
            None => out.push(*o),
        }
    }
    out.sort_by_key(|o| o.year);
    out
}

fn latest(sorted: &[Observation], year: i32) -> Option<Observation> {
    sorted.iter().rev().find(|o| o.year <= year).copied()
}

/// +1 when higher is better, −1 when lower is; a hold target must not fall below its level.
fn good_sign(direction: Direction) -> i32 {
    match direction {
        Direction::Higher | Direction::Hold => 1,
        Direction::Lower => -1,
    }
}

fn year_on_year(case: &Case<'_>, obs: &[Observation], options: &Options) -> Assessment {
    let mut a = Assessment::empty(case.direction, case.year, options);
    let mut series: Vec<Observation> = obs.to_vec();
    if let Some(b) = case.baseline
        && !series.iter().any(|o| o.year == case.base_year)
    {
        series.push(Observation::new(case.base_year, b));
        series.sort_by_key(|o| o.year);
    }
    let Some(cur) = latest(&series, case.year) else {
        return a.decided(Status::NotAvailable, Rule::NoData);
    };
    a.current = Some(cur);
    a.stale = cur.year < case.year;
    let Some(prev) = series.iter().rev().find(|o| o.year < cur.year).copied() else {
        return a.decided(Status::NotAvailable, Rule::NoPreviousYear);
    };
    a.previous = Some(prev);
    let years = (i64::from(cur.year) - i64::from(prev.year)) as f64;
    let change = Decimal::to_ratio(cur.value)
        .zip(Decimal::to_ratio(prev.value))
        .and_then(|(c, p)| c.checked_sub(p))
        .map_or(cur.value.to_f64() - prev.value.to_f64(), Ratio::to_f64);
    a.actual_change_per_year = Some(change / years);
    // "持续下降" names the way the underlying quantity moves. For a reduction-rate indicator
    // (higher is better, e.g. 单位GDP二氧化碳排放降低) that means the rate keeps rising;
    // otherwise the value itself must fall.
    let good = match case.direction {
        Direction::Higher => Ordering::Greater,
        Direction::Lower | Direction::Hold => Ordering::Less,
    };
    let cmp = cur.value.cmp(&prev.value);
    let status = if cmp == good {
        Status::TargetAchieved
    } else if cmp == Ordering::Equal {
        Status::LimitedProgress
    } else {
        Status::Deterioration
    };
    a.decided(status, Rule::YearOnYear)
}

struct Numeric {
    direction: Direction,
    year: i32,
    base: Observation,
    base_substituted: bool,
    target: ResolvedTarget,
    current: Option<Observation>,
}

fn judge_numeric(n: Numeric, options: &Options) -> Assessment {
    let mut a = Assessment::empty(n.direction, n.year, options);
    a.base = Some(n.base);
    a.base_substituted = n.base_substituted;
    a.target = Some(n.target);
    let Some(cur) = n.current else {
        return a.decided(Status::NotAvailable, Rule::NoData);
    };
    a.current = Some(cur);
    a.stale = cur.year < n.year;
    if n.target.year <= n.base.year {
        return a.decided(Status::NotAvailable, Rule::InvalidPeriod);
    }
    if cur.year <= n.base.year {
        return a.decided(Status::NotAvailable, Rule::NoElapsedTime);
    }

    let good = good_sign(n.direction);
    let (y0, yt, ytarget) = (n.base.value, cur.value, n.target.value);
    let elapsed = i64::from(cur.year) - i64::from(n.base.year);
    let span = i64::from(n.target.year) - i64::from(n.base.year);
    let achieved = match good {
        1 => yt >= ytarget,
        _ => yt <= ytarget,
    };
    // Decimal's `==` compares the written form (100 ≠ 100.0); the value is what counts.
    let hold = y0.cmp(&ytarget) == Ordering::Equal;

    let nums = Numbers::compute(y0, yt, ytarget, elapsed, span, good);
    a.time_elapsed = nums.time_elapsed;
    a.gap_closed = nums.gap_closed;
    a.actual_change_per_year = Some(nums.actual_change);
    a.required_change_per_year = Some(nums.required_change);
    a.actual_cagr = nums.cagr.map(|c| c.0);
    a.required_cagr = nums.cagr.map(|c| c.1);

    let (method, fallback) = match options.method {
        Method::Linear => (Method::Linear, None),
        Method::OpenSdg if hold => (Method::Linear, Some(Fallback::TargetEqualsBaseline)),
        Method::OpenSdg if nums.cagr.is_none() => {
            (Method::Linear, Some(Fallback::NonPositiveValue))
        }
        Method::OpenSdg => (Method::OpenSdg, None),
    };
    a.method = Some(method);
    a.fallback = fallback;
    if !hold {
        a.ratio = match method {
            Method::OpenSdg => nums
                .cagr
                .and_then(|(ca, cr)| round_f64(f64::from(good) * ca / cr.abs(), RATIO_DECIMALS)),
            Method::Linear => nums.linear_pace,
        };
    }

    if cur.year >= n.target.year && (achieved || !options.pace_after_target) {
        return if achieved {
            a.decided(Status::TargetAchieved, Rule::FinalAchieved)
        } else {
            a.decided(Status::TargetMissed, Rule::FinalMissed)
        };
    }
    if achieved {
        return a.decided(Status::TargetAchieved, Rule::TargetAchieved);
    }
    if hold {
        return a.decided(Status::Deterioration, Rule::HoldBroken);
    }
    match a.ratio {
        Some(r) => {
            let rule = match method {
                Method::OpenSdg => Rule::CagrRatio,
                Method::Linear => Rule::LinearPace,
            };
            let status = a.thresholds.classify(r);
            a.decided(status, rule)
        }
        None => a.decided(Status::NotAvailable, Rule::RatioUndefined),
    }
}

/// The numbers behind a numeric status.
struct Numbers {
    time_elapsed: Option<Decimal>,
    gap_closed: Option<Decimal>,
    linear_pace: Option<Decimal>,
    actual_change: f64,
    required_change: f64,
    /// (actual, required) compound annual growth rates, when every value is positive.
    cagr: Option<(f64, f64)>,
}

impl Numbers {
    fn compute(
        y0: Decimal,
        yt: Decimal,
        ytarget: Decimal,
        elapsed: i64,
        span: i64,
        good: i32,
    ) -> Self {
        let (f0, ft, ftarget) = (y0.to_f64(), yt.to_f64(), ytarget.to_f64());
        let (e, s) = (elapsed as f64, span as f64);
        let exact = Decimal::to_ratio(y0)
            .zip(Decimal::to_ratio(yt))
            .zip(Decimal::to_ratio(ytarget));
        let change = exact.and_then(|((q0, qt), _)| qt.checked_sub(q0));
        let gap = exact.and_then(|((q0, _), qtarget)| qtarget.checked_sub(q0));
        let time = Ratio::int(elapsed).checked_div(Ratio::int(span));
        let time_elapsed = time
            .and_then(|t| t.to_decimal(RATIO_DECIMALS, HALF_UP))
            .or_else(|| round_f64(e / s, RATIO_DECIMALS));

        let gap_is_zero = y0.cmp(&ytarget) == Ordering::Equal;
        let (gap_closed, linear_pace) = if gap_is_zero {
            (None, None)
        } else {
            let share = change.zip(gap).and_then(|(c, g)| {
                c.checked_mul(Ratio::int(i64::from(good)))?
                    .checked_div(g.abs())
            });
            let pace = share.zip(time).and_then(|(sh, t)| sh.checked_div(t));
            let f_share = f64::from(good) * (ft - f0) / (ftarget - f0).abs();
            (
                share
                    .and_then(|q| q.to_decimal(RATIO_DECIMALS, HALF_UP))
                    .or_else(|| round_f64(f_share, RATIO_DECIMALS)),
                pace.and_then(|q| q.to_decimal(RATIO_DECIMALS, HALF_UP))
                    .or_else(|| round_f64(f_share / (e / s), RATIO_DECIMALS)),
            )
        };

        let positive = |d: Decimal| d > Decimal::from_int(0);
        let cagr = (positive(y0) && positive(yt) && positive(ytarget) && !gap_is_zero)
            .then(|| {
                // t = t0 + elapsed with equal values gives exactly zero growth; powf would too,
                // but saying so keeps "no change" independent of the float library.
                let actual = if yt.cmp(&y0) == Ordering::Equal {
                    0.0
                } else {
                    (ft / f0).powf(1.0 / e) - 1.0
                };
                let required = (ftarget / f0).powf(1.0 / s) - 1.0;
                (actual, required)
            })
            .filter(|(a, r)| a.is_finite() && r.is_finite() && *r != 0.0);

        Numbers {
            time_elapsed,
            gap_closed,
            linear_pace,
            actual_change: change.map_or((ft - f0) / e, |c| c.to_f64() / e),
            required_change: gap.map_or((ftarget - f0) / s, |g| g.to_f64() / s),
            cagr,
        }
    }
}

/// A float rounded half away from zero to `scale` places, as a decimal; `None` if not finite.
fn round_f64(x: f64, scale: u32) -> Option<Decimal> {
    if !x.is_finite() {
        return None;
    }
    let p = 10f64.powi(i32::try_from(scale).ok()?);
    let m = (x * p).round();
    // Beyond ±1e30 a ratio says nothing more; saturating keeps absurd inputs from panicking.
    let m = m.clamp(-1e30, 1e30) as i128;
    Some(Decimal::new(m, scale))
}

#[cfg(test)]
mod tests;
