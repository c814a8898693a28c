//! What the 依据 column says, in plain Chinese, and the appendix row with the method's figures.
//!
//! Both are rendered from one [`Explanation`]: the assessment's numbers, already formatted
//! once with exact rounding, and the status and rule that decided. The sentence and the
//! appendix therefore cannot quote different figures. Method names (Open SDG, Theil–Sen) and
//! ratios appear in the appendix only.

use std::cmp::Ordering;

use qingshan_exact::{Ratio, Rounding};
use qingshan_plan::progress::{
    Assessment, Fallback, Method, Outlook, Rule, Status, TargetSource, Thresholds,
};
use qingshan_plan::{Decimal, Direction};
use serde::Serialize;

/// Published figures round a tie away from zero (四舍五入), as the progress module does.
const HALF_UP: Rounding = Rounding::HalfAwayFromZero;

/// A value in a year, as printed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Figure {
    /// The year.
    pub year: i32,
    /// The value as written (its scale kept).
    pub value: String,
}

/// How a value moved against the baseline.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Change {
    /// 提高, 下降 or 持平.
    pub verb: &'static str,
    /// The amount with its unit: "1.69个百分点" for a percentage, "19.5%" otherwise; empty
    /// for 持平.
    pub amount: String,
}

/// The target as the sentence names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TargetFigure {
    /// The year it is due.
    pub year: i32,
    /// The value.
    pub value: String,
    /// How the plan states it.
    pub source: TargetWording,
}

/// How the plan states a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetWording {
    /// A number.
    Plan,
    /// 保持: the baseline.
    Hold,
    /// 较Y年下降p% of a level.
    Reduction {
        /// The reduction in percent.
        percent: String,
        /// The year it is relative to.
        relative_to: i32,
    },
    /// 较Y年累计下降p%, the indicator being the cumulative reduction itself.
    Cumulative {
        /// The reduction in percent.
        percent: String,
        /// The year it is relative to.
        relative_to: i32,
    },
    /// 完成省级下达任务.
    Provincial,
}

/// The pace figures of a numeric assessment, readable precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Pace {
    /// The method whose ratio decided (or was computed).
    pub method: Method,
    /// Why the linear method stood in, if it did.
    pub fallback: Option<Fallback>,
    /// Share of the gap closed, in percent, one decimal.
    pub gap_closed: Option<String>,
    /// Share of the period elapsed, in percent, one decimal.
    pub time_elapsed: Option<String>,
    /// Observed compound annual growth, in percent, two decimals.
    pub actual_cagr: Option<String>,
    /// Needed compound annual growth, in percent, two decimals.
    pub required_cagr: Option<String>,
    /// The ratio, three decimals (more where three would cross a threshold).
    pub ratio: Option<String>,
    /// The band the ratio fell in, e.g. "0.60≤比值<0.95".
    pub band: Option<String>,
}

/// The trend projection, readable precision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Trend {
    /// First and last year fitted.
    pub years: (i32, i32),
    /// Data points fitted.
    pub points: usize,
    /// Change per year.
    pub slope: String,
    /// The year projected to.
    pub target_year: i32,
    /// The projected value.
    pub projected: String,
    /// Whether the projection meets the target.
    pub reaches_target: Option<bool>,
}

/// Everything the 依据 sentence and the appendix row say, in one place.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Explanation {
    /// The status.
    pub status: Status,
    /// The rule that decided it.
    pub rule: Rule,
    /// The indicator's name, verbatim.
    pub name: String,
    /// Its unit, verbatim.
    pub unit: String,
    /// Which way is better.
    pub direction: Direction,
    /// The year assessed.
    pub year: i32,
    /// The value judged.
    pub current: Option<Figure>,
    /// Whether `current` is older than `year`.
    pub stale: bool,
    /// The starting point.
    pub base: Option<Figure>,
    /// Whether the first reported value stood in for a missing baseline.
    pub base_substituted: bool,
    /// The current value against the starting point (none for a cumulative reduction, whose
    /// value already is the change).
    pub change: Option<Change>,
    /// The target.
    pub target: Option<TargetFigure>,
    /// The earlier value a year-on-year rule compared with.
    pub previous: Option<Figure>,
    /// Pace figures, where a ratio was computed.
    pub pace: Option<Pace>,
    /// Trend projection, where one was made.
    pub trend: Option<Trend>,
    /// A staff judgement: met, and the justification.
    pub judgement: Option<(bool, String)>,
}

/// `value` with its unit: "15.9%", "37ug/m3", "0.620607万平方千米".
fn with_unit(value: &str, unit: &str) -> String {
    format!("{value}{}", unit.trim())
}

/// Whether a unit is a percentage, whose changes are stated in 个百分点.
fn is_percent(unit: &str) -> bool {
    matches!(unit.trim(), "%" | "％")
}

/// Fixed-point text of an exact value, trailing zeros (and a bare point) dropped.
fn trimmed(r: Ratio, decimals: u32) -> String {
    let s = r.format_fixed(decimals, HALF_UP);
    let s = if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_string()
    } else {
        s
    };
    if s == "-0" { "0".to_string() } else { s }
}

/// A float (a growth rate, a slope, a projection) as an exact value for rounding; floats are
/// first fixed at nine decimals, which is beyond anything printed.
fn float_ratio(x: f64) -> Option<Ratio> {
    if !x.is_finite() || x.abs() > 1e18 {
        return None;
    }
    Ratio::new((x * 1e9).round() as i128, 1_000_000_000)
}

/// A share (0.516) as a percentage with one decimal ("51.6").
fn percent_of(share: Decimal) -> Option<String> {
    let r = share.to_ratio()?.checked_mul(Ratio::int(100))?;
    Some(r.format_fixed(1, HALF_UP))
}

/// The change from `base` to `current`, in the words of the unit.
fn change(base: Decimal, current: Decimal, unit: &str) -> Option<Change> {
    let (b, c) = (base.to_ratio()?, current.to_ratio()?);
    let diff = c.checked_sub(b)?;
    let verb = match diff.cmp(&Ratio::ZERO) {
        Ordering::Greater => "提高",
        Ordering::Less => "下降",
        Ordering::Equal => {
            return Some(Change {
                verb: "持平",
                amount: String::new(),
            });
        }
    };
    let abs = if diff < Ratio::ZERO { -diff } else { diff };
    let amount = if is_percent(unit) {
        let scale = base.scale().max(current.scale());
        format!("{}个百分点", trimmed(abs, scale.max(1)))
    } else if b == Ratio::ZERO {
        // No relative change from zero; the absolute one is still honest.
        with_unit(&trimmed(abs, base.scale().max(current.scale())), unit)
    } else {
        let rel = abs.checked_div(if b < Ratio::ZERO { -b } else { b })?;
        let pct = rel.checked_mul(Ratio::int(100))?.format_fixed(1, HALF_UP);
        if pct == "0.0" {
            // A change too small for a percentage is stated in the unit, not as "0.0%".
            with_unit(&trimmed(abs, base.scale().max(current.scale())), unit)
        } else {
            format!("{pct}%")
        }
    };
    Some(Change { verb, amount })
}

/// The ratio for print: three decimals, unless three decimals would put it on the other side
/// of a threshold than the published six-decimal ratio the status was decided on.
fn ratio_text(r: Decimal, t: &Thresholds) -> String {
    let Some(q) = r.to_ratio() else {
        return r.to_string();
    };
    let Some(short) = q.round(3, HALF_UP) else {
        return r.to_string();
    };
    let same_side = [t.high, t.medium, t.low]
        .iter()
        .all(|th| th.to_ratio().is_none_or(|th| (q >= th) == (short >= th)));
    if same_side {
        q.format_fixed(3, HALF_UP)
    } else {
        r.to_string()
    }
}

fn band(status: Status, t: &Thresholds) -> Option<String> {
    let (h, m, l) = (t.high, t.medium, t.low);
    Some(match status {
        Status::SubstantialProgress => format!("比值≥{h}"),
        Status::ModerateProgress => format!("{m}≤比值<{h}"),
        Status::LimitedProgress => format!("{l}≤比值<{m}"),
        Status::Deterioration => format!("比值<{l}"),
        _ => return None,
    })
}

/// Decimals for a projected value or a slope: those of the value, at least two.
fn decimals_like(v: Option<Decimal>) -> u32 {
    v.map_or(2, |d| d.scale()).clamp(2, 6)
}

impl Explanation {
    /// Collects the figures of an assessment (and its trend projection) for an indicator.
    pub fn new(
        name: &str,
        unit: &str,
        assessment: &Assessment,
        outlook: Option<&Outlook>,
    ) -> Explanation {
        let a = assessment;
        let fig = |o: qingshan_plan::progress::Observation| Figure {
            year: o.year,
            value: o.value.to_string(),
        };
        let cumulative = matches!(
            a.target.map(|t| t.source),
            Some(TargetSource::CumulativeReduction { .. })
        );
        let change = match (a.base, a.current) {
            (Some(b), Some(c)) if !cumulative && c.year > b.year => change(b.value, c.value, unit),
            _ => None,
        };
        let target = a.target.map(|t| TargetFigure {
            year: t.year,
            value: t.value.to_string(),
            source: match t.source {
                TargetSource::Plan => TargetWording::Plan,
                TargetSource::Hold => TargetWording::Hold,
                TargetSource::LevelReduction {
                    percent,
                    relative_to,
                    ..
                } => TargetWording::Reduction {
                    percent: percent.to_string(),
                    relative_to,
                },
                TargetSource::CumulativeReduction {
                    percent,
                    relative_to,
                } => TargetWording::Cumulative {
                    percent: percent.to_string(),
                    relative_to,
                },
                TargetSource::ProvincialAssignment => TargetWording::Provincial,
            },
        });
        let pct2 = |x: f64| float_ratio(x * 100.0).map(|r| r.format_fixed(2, HALF_UP));
        let pace = a.method.map(|method| Pace {
            method,
            fallback: a.fallback,
            gap_closed: a.gap_closed.and_then(percent_of),
            time_elapsed: a.time_elapsed.and_then(percent_of),
            actual_cagr: a.actual_cagr.and_then(pct2),
            required_cagr: a.required_cagr.and_then(pct2),
            ratio: a.ratio.map(|r| ratio_text(r, &a.thresholds)),
            band: matches!(a.rule, Rule::CagrRatio | Rule::LinearPace)
                .then(|| band(a.status, &a.thresholds))
                .flatten(),
        });
        let places = decimals_like(a.current.map(|c| c.value));
        let trend = outlook.and_then(|o| {
            Some(Trend {
                years: o.years,
                points: o.points,
                slope: trimmed(float_ratio(o.slope)?, places),
                target_year: o.target_year,
                projected: trimmed(float_ratio(o.projected)?, places),
                reaches_target: o.reaches_target,
            })
        });
        Explanation {
            status: a.status,
            rule: a.rule,
            name: name.trim().to_string(),
            unit: unit.trim().to_string(),
            direction: a.direction,
            year: a.year,
            current: a.current.map(fig),
            stale: a.stale,
            base: a.base.map(fig),
            base_substituted: a.base_substituted,
            change,
            target,
            previous: a.previous.map(fig),
            pace,
            trend,
            judgement: a
                .judgement
                .as_ref()
                .map(|j| (j.met, j.justification.trim().to_string())),
        }
    }

    fn u(&self, value: &str) -> String {
        with_unit(value, &self.unit)
    }

    /// The target as a phrase: "2025年16.71%的目标", "省级下达的2024年目标38ug/m3", ….
    fn target_phrase(&self) -> Option<String> {
        let t = self.target.as_ref()?;
        Some(match &t.source {
            TargetWording::Plan => format!("{}年{}的目标", t.year, self.u(&t.value)),
            TargetWording::Hold => format!("保持基期水平（{}）的目标", self.u(&t.value)),
            TargetWording::Reduction {
                percent,
                relative_to,
            } => format!(
                "{}年较{}年下降{}%（即{}）的目标",
                t.year,
                relative_to,
                percent,
                self.u(&t.value)
            ),
            TargetWording::Cumulative {
                percent,
                relative_to,
            } => format!("{}年较{}年累计下降{}%的目标", t.year, relative_to, percent),
            TargetWording::Provincial => {
                format!("省级下达的{}年目标（{}）", t.year, self.u(&t.value))
            }
        })
    }

    /// The 依据 sentence: what the value is, how it moved, what that means for the target.
    pub fn prose(&self) -> String {
        let mut s = String::new();
        if let Some(c) = &self.current {
            if self.stale {
                s.push_str(&format!("{}年数据尚未上报。", self.year));
            }
            let since = match self.target.as_ref().map(|t| &t.source) {
                Some(TargetWording::Cumulative { relative_to, .. }) => {
                    format!("（较{relative_to}年累计）")
                }
                _ => String::new(),
            };
            s.push_str(&format!(
                "{}年{}{since}为{}",
                c.year,
                self.name,
                self.u(&c.value)
            ));
            if let (Some(b), Some(ch)) = (&self.base, &self.change) {
                let from = if self.base_substituted {
                    format!(
                        "{}年（无基期值，以首个上报值比较）{}",
                        b.year,
                        self.u(&b.value)
                    )
                } else {
                    format!("{}年基期{}", b.year, self.u(&b.value))
                };
                if ch.verb == "持平" {
                    s.push_str(&format!("，与{from}持平"));
                } else {
                    s.push_str(&format!("，较{from}{}{}", ch.verb, ch.amount));
                }
            }
        }
        let t = self.target_phrase().unwrap_or_else(|| "目标".to_string());
        let lead = !s.is_empty();
        let sep = if lead { "；" } else { "" };
        let verdict = match self.rule {
            Rule::TargetAchieved => {
                let early = self
                    .current
                    .as_ref()
                    .zip(self.target.as_ref())
                    .is_some_and(|(c, tg)| c.year < tg.year)
                    && !matches!(
                        self.target.as_ref().map(|t| &t.source),
                        Some(TargetWording::Hold)
                    );
                format!(
                    "{sep}{}{t}",
                    if early {
                        "已提前达到"
                    } else {
                        "已达到"
                    }
                )
            }
            Rule::FinalAchieved => format!("{sep}达到{t}"),
            Rule::FinalMissed => format!("{sep}未达到{t}"),
            Rule::HoldBroken => format!("{sep}未能{t}，出现倒退"),
            Rule::CagrRatio | Rule::LinearPace => match self.status {
                Status::SubstantialProgress => format!("{sep}进度符合要求，有望如期实现{t}"),
                Status::ModerateProgress => {
                    format!("{sep}距{t}仍有差距，进度慢于要求，需加快推进")
                }
                Status::LimitedProgress => format!("{sep}距{t}差距较大，进展缓慢"),
                _ => format!("{sep}指标朝偏离目标的方向变化，距{t}差距拉大，出现倒退"),
            },
            Rule::YearOnYear => {
                let better = match self.direction {
                    Direction::Higher => "提高",
                    Direction::Lower | Direction::Hold => "下降",
                };
                let worse = match self.direction {
                    Direction::Higher => "回落",
                    Direction::Lower | Direction::Hold => "上升",
                };
                let prev = self
                    .previous
                    .as_ref()
                    .map(|p| format!("较{}年的{}", p.year, self.u(&p.value)))
                    .unwrap_or_default();
                match self.status {
                    Status::TargetAchieved => {
                        format!("{sep}{prev}继续{better}，符合持续下降的目标要求")
                    }
                    Status::LimitedProgress => {
                        format!("{sep}{prev}持平，未能实现持续下降")
                    }
                    _ => format!("{sep}{prev}{worse}，未能实现持续下降"),
                }
            }
            Rule::ManualJudgement => {
                let (met, why) = self.judgement.clone().unwrap_or((false, String::new()));
                let verdict = if met { "达到" } else { "未达到" };
                let why = why.trim_end_matches(['。', '；', '，']);
                if why.is_empty() {
                    format!("{sep}经人工评定，{verdict}目标要求")
                } else {
                    format!("{sep}经人工评定，{verdict}目标要求：{why}")
                }
            }
            Rule::NoData => format!("{sep}{}年及以前均无上报数据，暂无法评估", self.year),
            Rule::NoBaseline => format!("{sep}缺少基期数据，暂无法评估"),
            Rule::NoElapsedTime => format!("{sep}尚无基期之后的数据，暂无法评估进展"),
            Rule::InvalidPeriod => format!("{sep}目标年份不晚于基期，无法评估进展"),
            Rule::NoTarget => format!("{sep}规划未设定本阶段的量化目标，暂不评估"),
            Rule::AwaitingAssignment => {
                format!("{sep}省级下达的{}年目标值尚未录入，暂无法评估", self.year)
            }
            Rule::AwaitingJudgement => format!("{sep}本指标为定性目标，尚待人工评定"),
            Rule::RatioUndefined => format!("{sep}数据异常，无法计算进度，暂不评定"),
            Rule::NoPreviousYear => {
                format!("{sep}缺少上一年度数据，无法判断是否持续下降")
            }
        };
        s.push_str(&verdict);
        s.push('。');
        if let Some(tr) = &self.trend
            && matches!(self.rule, Rule::CagrRatio | Rule::LinearPace)
        {
            let verdict = match tr.reaches_target {
                Some(true) => "，可以达到目标",
                Some(false) => "，难以达到目标",
                None => "",
            };
            s.push_str(&format!(
                "按近年变化趋势推算，{}年预计为{}{verdict}。",
                tr.target_year,
                self.u(&tr.projected)
            ));
        }
        s
    }

    /// The method's Chinese name, for the appendix.
    pub fn method_name(&self) -> String {
        match self.rule {
            Rule::CagrRatio => "年均增速比值法（Open SDG）".to_string(),
            Rule::LinearPace => match self.pace.as_ref().and_then(|p| p.fallback) {
                Some(Fallback::NonPositiveValue) => {
                    "序时进度法（存在零或负值，年均增速无定义）".to_string()
                }
                _ => "序时进度法".to_string(),
            },
            Rule::TargetAchieved | Rule::FinalAchieved | Rule::FinalMissed => {
                "与目标值比较".to_string()
            }
            Rule::HoldBroken => "保持类目标比较".to_string(),
            Rule::YearOnYear => "逐年比较".to_string(),
            Rule::ManualJudgement => "人工评定".to_string(),
            other => format!("不评估（{}）", other.label()),
        }
    }

    /// The figures behind the status, for the appendix: starting point, value, target, the
    /// pace and the ratio with its band.
    pub fn figures(&self) -> String {
        let mut parts: Vec<String> = Vec::new();
        if let Some(b) = &self.base {
            let tag = if self.base_substituted {
                "起点（首个上报值）"
            } else {
                "基期"
            };
            parts.push(format!("{tag}{}年{}", b.year, b.value));
        }
        if let Some(p) = &self.previous {
            parts.push(format!("上一年份{}年{}", p.year, p.value));
        }
        if let Some(c) = &self.current {
            parts.push(format!("现值{}年{}", c.year, c.value));
        }
        if let Some(t) = &self.target {
            parts.push(format!("目标{}年{}", t.year, t.value));
        }
        if let Some(p) = &self.pace {
            if let (Some(g), Some(t)) = (&p.gap_closed, &p.time_elapsed) {
                parts.push(format!("已完成差距{g}%，时间已过{t}%"));
            }
            if let (Some(a), Some(r)) = (&p.actual_cagr, &p.required_cagr) {
                parts.push(format!("实际年均增速{a}%，所需年均增速{r}%"));
            }
            if let Some(r) = &p.ratio {
                match &p.band {
                    Some(b) => parts.push(format!("比值{r}（{b}，{}）", self.status.label())),
                    None => parts.push(format!("比值{r}")),
                }
            }
        }
        if parts.is_empty() {
            "—".to_string()
        } else {
            parts.join("；")
        }
    }

    /// The trend projection for the appendix, or "—".
    pub fn trend_text(&self) -> String {
        let Some(t) = &self.trend else {
            return "—".to_string();
        };
        let verdict = match t.reaches_target {
            Some(true) => "，可达到目标",
            Some(false) => "，难以达到目标",
            None => "",
        };
        format!(
            "{}–{}年{}个数据点，斜率每年{}，{}年预计{}{verdict}",
            t.years.0, t.years.1, t.points, t.slope, t.target_year, t.projected
        )
    }
}

/// Name of the projection method, as the appendix heads its column.
pub const TREND_METHOD: &str = "泰尔–森斜率估计（Theil–Sen）";

#[cfg(test)]
mod tests {
    use super::*;
    use qingshan_plan::progress::{Case, Judgement, Observation, Options, assess, outlook};
    use qingshan_plan::{Target, TargetKind};

    fn d(s: &str) -> Decimal {
        s.parse().unwrap_or_else(|e| panic!("{s}: {e:?}"))
    }

    fn obs(pairs: &[(i32, &str)]) -> Vec<Observation> {
        pairs
            .iter()
            .map(|(y, v)| Observation::new(*y, d(v)))
            .collect()
    }

    fn value_target(year: i32, v: &str) -> Target {
        Target {
            year,
            text: v.to_string(),
            kind: TargetKind::Value { value: d(v) },
        }
    }

    /// Assesses a city case and explains it, with the projection the report makes.
    fn explain(
        name: &str,
        unit: &str,
        direction: Direction,
        baseline: Option<&str>,
        target: &Target,
        values: &[(i32, &str)],
        judgement: Option<&Judgement>,
    ) -> Explanation {
        let o = obs(values);
        let case = Case {
            year: 2024,
            direction,
            target,
            base_year: 2020,
            baseline: baseline.map(d),
            observations: &o,
            assigned: None,
            judgement,
        };
        let a = assess(&case, &Options::default());
        let mut pts = o.clone();
        if let Some(b) = baseline {
            pts.insert(0, Observation::new(2020, d(b)));
        }
        let ol = outlook(&pts, target.year, a.target.map(|t| t.value), direction);
        Explanation::new(name, unit, &a, ol.as_ref())
    }

    fn no_jargon(s: &str) {
        for w in ["Theil", "Open SDG", "比值", "CAGR", "opensdg", "泰尔"] {
            assert!(!s.contains(w), "{w} in {s}");
        }
    }

    #[test]
    fn achieved_early_says_so_with_the_fall_in_percent() {
        let e = explain(
            "PM2.5平均浓度",
            "微克/立方米",
            Direction::Lower,
            Some("41"),
            &value_target(2025, "35"),
            &[(2023, "36"), (2024, "33")],
            None,
        );
        assert_eq!(e.status, Status::TargetAchieved);
        assert_eq!(
            e.prose(),
            "2024年PM2.5平均浓度为33微克/立方米，较2020年基期41微克/立方米下降19.5%；已提前达到2025年35微克/立方米的目标。"
        );
        no_jargon(&e.prose());
        assert_eq!(e.method_name(), "与目标值比较");
    }

    #[test]
    fn on_track_is_said_in_words_and_the_ratio_goes_to_the_appendix() {
        // 农村生活污水治理率 5 → 20 (2025), 14 in 2023, 17 in 2024.
        let e = explain(
            "农村生活污水治理率",
            "%",
            Direction::Higher,
            Some("5"),
            &value_target(2025, "20"),
            &[(2023, "14"), (2024, "17")],
            None,
        );
        assert_eq!(e.status, Status::SubstantialProgress);
        let p = e.prose();
        assert!(
            p.starts_with("2024年农村生活污水治理率为17%，较2020年基期5%提高12个百分点；进度符合要求，有望如期实现2025年20%的目标。"),
            "{p}"
        );
        assert!(p.contains("按近年变化趋势推算，2025年预计为"), "{p}");
        no_jargon(&p);
        let f = e.figures();
        assert!(
            f.contains("比值") && f.contains("比值≥0.95，进展良好"),
            "{f}"
        );
        assert!(e.method_name().contains("Open SDG"));
        assert!(e.trend_text().contains("个数据点"));
    }

    #[test]
    fn lagging_asks_for_acceleration_and_shows_the_figures_once() {
        // Worked example 1: 森林覆盖率 14.21 → 16.71, 15.50 in 2023 (R = 0.892086).
        let e = explain(
            "森林覆盖率",
            "%",
            Direction::Higher,
            Some("14.21"),
            &value_target(2025, "16.71"),
            &[(2023, "15.50")],
            None,
        );
        assert_eq!(e.status, Status::ModerateProgress);
        assert!(e.stale);
        let p = e.prose();
        assert!(
            p.starts_with("2024年数据尚未上报。2023年森林覆盖率为15.50%，较2020年基期14.21%提高1.29个百分点；距2025年16.71%的目标仍有差距，进度慢于要求，需加快推进。"),
            "{p}"
        );
        no_jargon(&p);
        let f = e.figures();
        assert!(f.contains("比值0.892（0.60≤比值<0.95，需加快）"), "{f}");
        assert!(f.contains("已完成差距51.6%，时间已过60.0%"), "{f}");
    }

    #[test]
    fn deterioration_of_a_hold_target_and_of_a_falling_rate() {
        let hold = Target {
            year: 2025,
            text: "0.620607".into(),
            kind: TargetKind::Hold,
        };
        let e = explain(
            "生态保护红线面积",
            "万平方千米",
            Direction::Hold,
            Some("0.620607"),
            &hold,
            &[(2024, "0.6206")],
            None,
        );
        assert_eq!(e.status, Status::Deterioration);
        assert_eq!(
            e.prose(),
            "2024年生态保护红线面积为0.6206万平方千米，较2020年基期0.620607万平方千米下降0.000007万平方千米；未能保持基期水平（0.620607万平方千米）的目标，出现倒退。"
        );
        let e = explain(
            "城镇生活污水集中收集率",
            "%",
            Direction::Higher,
            Some("47.5"),
            &value_target(2025, "60"),
            &[(2021, "47.0"), (2024, "45.8")],
            None,
        );
        assert_eq!(e.status, Status::Deterioration);
        let p = e.prose();
        assert!(
            p.contains("下降1.7个百分点") && p.contains("出现倒退"),
            "{p}"
        );
        assert!(p.contains("难以达到目标"), "{p}");
        no_jargon(&p);
    }

    #[test]
    fn no_data_says_why_without_numbers() {
        let e = explain(
            "湿地保护率",
            "%",
            Direction::Higher,
            Some("19.2"),
            &value_target(2025, "23"),
            &[],
            None,
        );
        assert_eq!(e.status, Status::NotAvailable);
        assert_eq!(e.prose(), "2024年及以前均无上报数据，暂无法评估。");
        assert_eq!(e.method_name(), "不评估（无上报数据）");
        let provincial = Target {
            year: 2025,
            text: "完成省级下达任务".into(),
            kind: TargetKind::ProvincialAssignment,
        };
        let e = explain(
            "受污染耕地安全利用率",
            "%",
            Direction::Higher,
            Some("100"),
            &provincial,
            &[],
            None,
        );
        assert_eq!(e.prose(), "省级下达的2024年目标值尚未录入，暂无法评估。");
    }

    #[test]
    fn manual_judgement_quotes_the_justification() {
        let ensured = Target {
            year: 2025,
            text: "有效保障".into(),
            kind: TargetKind::EffectivelyEnsured,
        };
        let j = Judgement {
            met: true,
            justification: "重点建设用地均完成土壤污染状况调查。".into(),
        };
        let e = explain(
            "重点建设用地安全利用",
            "",
            Direction::Higher,
            None,
            &ensured,
            &[],
            Some(&j),
        );
        assert_eq!(e.status, Status::Manual);
        assert_eq!(
            e.prose(),
            "经人工评定，达到目标要求：重点建设用地均完成土壤污染状况调查。"
        );
        assert_eq!(e.method_name(), "人工评定");
    }

    #[test]
    fn year_on_year_and_a_missed_provincial_target() {
        let decline = Target {
            year: 2035,
            text: "持续下降".into(),
            kind: TargetKind::ContinuousDecline,
        };
        let e = explain(
            "单位GDP二氧化碳排放",
            "吨/万元",
            Direction::Lower,
            None,
            &decline,
            &[(2023, "1.52"), (2024, "1.47")],
            None,
        );
        assert_eq!(e.status, Status::TargetAchieved);
        assert_eq!(
            e.prose(),
            "2024年单位GDP二氧化碳排放为1.47吨/万元；较2023年的1.52吨/万元继续下降，符合持续下降的目标要求。"
        );
        assert_eq!(e.method_name(), "逐年比较");

        // The province assigns 36 for 2024; 37 misses it.
        let o = obs(&[(2023, "39"), (2024, "37")]);
        let provincial = Target {
            year: 2025,
            text: "完成省级下达任务".into(),
            kind: TargetKind::ProvincialAssignment,
        };
        let a = assess(
            &Case {
                year: 2024,
                direction: Direction::Lower,
                target: &provincial,
                base_year: 2020,
                baseline: Some(d("44")),
                observations: &o,
                assigned: Some(d("36")),
                judgement: None,
            },
            &Options::default(),
        );
        let e = Explanation::new("PM2.5年平均浓度", "ug/m3", &a, None);
        assert_eq!(e.status, Status::TargetMissed);
        assert_eq!(
            e.prose(),
            "2024年PM2.5年平均浓度为37ug/m3，较2020年基期44ug/m3下降15.9%；未达到省级下达的2024年目标（36ug/m3）。"
        );
        no_jargon(&e.prose());
    }

    #[test]
    fn a_ratio_is_not_rounded_across_a_threshold() {
        let t = Thresholds::default();
        assert_eq!(ratio_text(d("0.949712"), &t), "0.949712");
        assert_eq!(ratio_text(d("0.892086"), &t), "0.892");
        assert_eq!(ratio_text(d("1.281532"), &t), "1.282");
        assert_eq!(ratio_text(d("-0.000400"), &t), "-0.000400");
    }

    #[test]
    fn changes_in_percentage_points_and_percent() {
        let c = change(d("14.21"), d("15.9"), "%").unwrap();
        assert_eq!((c.verb, c.amount.as_str()), ("提高", "1.69个百分点"));
        let c = change(d("44"), d("37"), "ug/m3").unwrap();
        assert_eq!((c.verb, c.amount.as_str()), ("下降", "15.9%"));
        assert_eq!(change(d("5"), d("5.0"), "%").unwrap().verb, "持平");
    }
}
