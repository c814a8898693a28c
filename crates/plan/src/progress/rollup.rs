//! Roll-ups: counts by status per category, responsible unit and division, and a 百分制 score
//! per unit and division under a configurable deduction rule. A unit or division with any
//! indicator that cannot be assessed (无数据) gets no score and no grade: a grade over the
//! indicators that happen to have data would not be earned.

use serde::Serialize;
use serde::ser::SerializeStruct;

use super::{Assessment, HALF_UP, Status};
use crate::{Decimal, Plan};
use qingshan_exact::Ratio;

/// One assessed indicator in one division, as fed to the roll-ups.
#[derive(Debug, Clone, Copy)]
pub struct Entry<'a> {
    /// The indicator's number in the plan.
    pub indicator: u32,
    /// GB/T 2260 code of the division.
    pub division: &'a str,
    /// Its assessment.
    pub assessment: &'a Assessment,
}

/// How many indicators are in each status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct StatusCounts {
    /// 已达标.
    pub target_achieved: usize,
    /// 进展良好.
    pub substantial_progress: usize,
    /// 需加快.
    pub moderate_progress: usize,
    /// 进展缓慢.
    pub limited_progress: usize,
    /// 倒退.
    pub deterioration: usize,
    /// 未完成.
    pub target_missed: usize,
    /// 无数据.
    pub not_available: usize,
    /// 人工评定.
    pub manual: usize,
    /// All of the above.
    pub total: usize,
}

impl StatusCounts {
    /// Counts one more entry in `status`.
    pub fn add(&mut self, status: Status) {
        *self.slot(status) += 1;
        self.total += 1;
    }

    /// The count for `status`.
    pub fn get(&self, status: Status) -> usize {
        match status {
            Status::TargetAchieved => self.target_achieved,
            Status::SubstantialProgress => self.substantial_progress,
            Status::ModerateProgress => self.moderate_progress,
            Status::LimitedProgress => self.limited_progress,
            Status::Deterioration => self.deterioration,
            Status::TargetMissed => self.target_missed,
            Status::NotAvailable => self.not_available,
            Status::Manual => self.manual,
        }
    }

    fn slot(&mut self, status: Status) -> &mut usize {
        match status {
            Status::TargetAchieved => &mut self.target_achieved,
            Status::SubstantialProgress => &mut self.substantial_progress,
            Status::ModerateProgress => &mut self.moderate_progress,
            Status::LimitedProgress => &mut self.limited_progress,
            Status::Deterioration => &mut self.deterioration,
            Status::TargetMissed => &mut self.target_missed,
            Status::NotAvailable => &mut self.not_available,
            Status::Manual => &mut self.manual,
        }
    }
}

/// Counts for one category, unit or division.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Group {
    /// Category name, unit id or division code.
    pub key: String,
    /// Display name.
    pub name: String,
    /// The counts.
    pub counts: StatusCounts,
}

/// Key of the trailing group for entries whose indicator or division the plan does not know.
const UNKNOWN: &str = "unknown";

fn group(
    keys: Vec<(String, String)>,
    entries: &[Entry<'_>],
    key_of: impl Fn(&Entry<'_>) -> Vec<String>,
) -> Vec<Group> {
    let mut groups: Vec<Group> = keys
        .into_iter()
        .map(|(key, name)| Group {
            key,
            name,
            counts: StatusCounts::default(),
        })
        .collect();
    for e in entries {
        let mut keys = key_of(e);
        if keys.is_empty() {
            keys.push(UNKNOWN.to_string());
        }
        for k in keys {
            match groups.iter_mut().find(|g| g.key == k) {
                Some(g) => g.counts.add(e.assessment.status),
                None => {
                    let mut counts = StatusCounts::default();
                    counts.add(e.assessment.status);
                    let name = if k == UNKNOWN {
                        "规划未列出".to_string()
                    } else {
                        k.clone()
                    };
                    groups.push(Group {
                        key: k,
                        name,
                        counts,
                    });
                }
            }
        }
    }
    groups
}

/// Counts per indicator category, in the plan's order (every category listed, even if empty).
pub fn by_category(plan: &Plan, entries: &[Entry<'_>]) -> Vec<Group> {
    let keys = plan
        .categories()
        .into_iter()
        .map(|c| (c.to_string(), c.to_string()))
        .collect();
    group(keys, entries, |e| {
        plan.indicator(e.indicator)
            .map(|i| vec![i.category.clone()])
            .unwrap_or_default()
    })
}

/// Counts per responsible unit, in the plan's order, for units owning at least one indicator.
///
/// An indicator shared by several units counts for each of them; pass city-level entries,
/// since the units are the city's departments.
pub fn by_unit(plan: &Plan, entries: &[Entry<'_>]) -> Vec<Group> {
    group(owning_units(plan), entries, |e| {
        plan.indicator(e.indicator)
            .map(|i| i.responsible.clone())
            .unwrap_or_default()
    })
}

/// Counts per division (the city and each county), in the plan's order.
pub fn by_division(plan: &Plan, entries: &[Entry<'_>]) -> Vec<Group> {
    let keys = plan
        .divisions
        .iter()
        .map(|d| (d.code.clone(), d.name.clone()))
        .collect();
    group(keys, entries, |e| vec![e.division.to_string()])
}

fn owning_units(plan: &Plan) -> Vec<(String, String)> {
    plan.units
        .iter()
        .filter(|u| plan.indicators.iter().any(|i| i.is_owned_by(&u.id)))
        .map(|u| (u.id.clone(), u.name.clone()))
        .collect()
}

/// Grades of the 百分制 appraisal.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Grade {
    /// 不合格.
    Fail,
    /// 合格.
    Pass,
    /// 良好.
    Good,
    /// 优秀.
    Excellent,
}

impl Grade {
    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            Grade::Fail => "不合格",
            Grade::Pass => "合格",
            Grade::Good => "良好",
            Grade::Excellent => "优秀",
        }
    }
}

/// Lowest score of each grade above 不合格.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct GradeBands {
    /// 优秀 from here (default 90).
    pub excellent: Decimal,
    /// 良好 from here (default 80).
    pub good: Decimal,
    /// 合格 from here (default 60).
    pub pass: Decimal,
}

impl Default for GradeBands {
    fn default() -> Self {
        GradeBands {
            excellent: Decimal::from_int(90),
            good: Decimal::from_int(80),
            pass: Decimal::from_int(60),
        }
    }
}

/// Points deducted per indicator, by status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Deductions {
    /// 需加快 (default 2).
    pub moderate_progress: Decimal,
    /// 进展缓慢 (default 4).
    pub limited_progress: Decimal,
    /// 倒退 (default 6).
    pub deterioration: Decimal,
    /// 未完成 (default 8).
    pub target_missed: Decimal,
    /// A qualitative target judged not met (default 6).
    pub manual_not_met: Decimal,
}

impl Default for Deductions {
    fn default() -> Self {
        Deductions {
            moderate_progress: Decimal::from_int(2),
            limited_progress: Decimal::from_int(4),
            deterioration: Decimal::from_int(6),
            target_missed: Decimal::from_int(8),
            manual_not_met: Decimal::from_int(6),
        }
    }
}

impl Deductions {
    /// Points an assessment costs before weighting. An indicator without data costs nothing
    /// here because it leaves its group ungraded altogether (see [`Grading::Incomplete`]).
    pub fn for_assessment(&self, a: &Assessment) -> Decimal {
        let zero = Decimal::from_int(0);
        match a.status {
            Status::ModerateProgress => self.moderate_progress,
            Status::LimitedProgress => self.limited_progress,
            Status::Deterioration => self.deterioration,
            Status::TargetMissed => self.target_missed,
            Status::Manual if a.judgement.as_ref().is_some_and(|j| !j.met) => self.manual_not_met,
            _ => zero,
        }
    }
}

/// The 百分制 rule: full marks, minus weighted deductions per indicator off track, floored,
/// graded, with a cap when a binding (约束性) indicator is missed or deteriorating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoringRule {
    /// Full marks (default 100).
    pub full_marks: Decimal,
    /// Lowest possible score (default 0): deductions stop here.
    pub floor: Decimal,
    /// Points per status.
    pub deductions: Deductions,
    /// Multipliers by indicator number (e.g. ★ 约束性 = 3); unlisted indicators weigh 1.
    pub weights: Vec<(u32, Decimal)>,
    /// Grade bands.
    pub grades: GradeBands,
    /// Binding (约束性) indicators by number.
    pub binding: Vec<u32>,
    /// The best grade possible once a binding indicator is `target_missed` or `deterioration`
    /// (default 合格: a missed binding target cannot be 优秀 or 良好).
    pub binding_cap: Grade,
}

impl Default for ScoringRule {
    fn default() -> Self {
        ScoringRule {
            full_marks: Decimal::from_int(100),
            floor: Decimal::from_int(0),
            deductions: Deductions::default(),
            weights: Vec::new(),
            grades: GradeBands::default(),
            binding: Vec::new(),
            binding_cap: Grade::Pass,
        }
    }
}

/// One deduction in a score.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScoreItem {
    /// Indicator number.
    pub indicator: u32,
    /// Division code.
    pub division: String,
    /// The status that cost points.
    pub status: Status,
    /// Points deducted (after weighting).
    pub points: Decimal,
}

/// Whether a unit or division earned a score and a grade.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grading {
    /// Every indicator could be assessed: the score and its grade.
    Graded {
        /// Full marks minus deductions, not below the floor.
        score: Decimal,
        /// Grade after any binding cap.
        grade: Grade,
        /// Whether a binding indicator capped the grade.
        capped: bool,
    },
    /// `missing` indicators have no data (status 无数据), so neither score nor grade is given.
    Incomplete {
        /// How many of the group's indicators have no data.
        missing: usize,
    },
}

impl Grading {
    /// Stable code: `graded` or `incomplete`.
    pub fn code(&self) -> &'static str {
        match self {
            Grading::Graded { .. } => "graded",
            Grading::Incomplete { .. } => "incomplete",
        }
    }

    /// The score, if earned.
    pub fn score(&self) -> Option<Decimal> {
        match self {
            Grading::Graded { score, .. } => Some(*score),
            Grading::Incomplete { .. } => None,
        }
    }

    /// The grade, if earned.
    pub fn grade(&self) -> Option<Grade> {
        match self {
            Grading::Graded { grade, .. } => Some(*grade),
            Grading::Incomplete { .. } => None,
        }
    }

    /// Whether a binding indicator capped the grade.
    pub fn capped(&self) -> bool {
        matches!(self, Grading::Graded { capped: true, .. })
    }

    /// What a table shows in place of a grade: the grade's label, or 数据不全（N 项无数据）.
    pub fn label(&self) -> String {
        match self {
            Grading::Graded { grade, .. } => grade.label().to_string(),
            Grading::Incomplete { missing } => format!("数据不全（{missing} 项无数据）"),
        }
    }
}

/// The 百分制 score of a unit or division.
///
/// Serialised with the stable fields `score` and `grade` (both `null` when not earned),
/// `capped`, and `grade_status` (`graded` / `incomplete`) with `missing` beside them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Score {
    /// Unit id or division code.
    pub key: String,
    /// Display name.
    pub name: String,
    /// Indicators scored.
    pub indicators: usize,
    /// Full marks.
    pub full_marks: Decimal,
    /// Total deducted (before the floor), over the indicators that could be assessed.
    pub deducted: Decimal,
    /// The score and grade, or why there is none.
    pub grading: Grading,
    /// Every deduction, in entry order.
    pub items: Vec<ScoreItem>,
}

impl Score {
    /// The score, if earned.
    pub fn score(&self) -> Option<Decimal> {
        self.grading.score()
    }

    /// The grade, if earned.
    pub fn grade(&self) -> Option<Grade> {
        self.grading.grade()
    }

    /// Indicators of the group without data.
    pub fn missing(&self) -> usize {
        match self.grading {
            Grading::Incomplete { missing } => missing,
            Grading::Graded { .. } => 0,
        }
    }
}

impl Serialize for Score {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut st = s.serialize_struct("Score", 11)?;
        st.serialize_field("key", &self.key)?;
        st.serialize_field("name", &self.name)?;
        st.serialize_field("indicators", &self.indicators)?;
        st.serialize_field("full_marks", &self.full_marks)?;
        st.serialize_field("deducted", &self.deducted)?;
        st.serialize_field("score", &self.score())?;
        st.serialize_field("grade", &self.grade())?;
        st.serialize_field("capped", &self.grading.capped())?;
        st.serialize_field("grade_status", self.grading.code())?;
        st.serialize_field("missing", &self.missing())?;
        st.serialize_field("items", &self.items)?;
        st.end()
    }
}

impl ScoringRule {
    fn weight(&self, indicator: u32) -> Decimal {
        self.weights
            .iter()
            .rev()
            .find(|(n, _)| *n == indicator)
            .map_or(Decimal::from_int(1), |(_, w)| *w)
    }

    /// The grade of a score, before any binding cap.
    pub fn grade_of(&self, score: Decimal) -> Grade {
        if score >= self.grades.excellent {
            Grade::Excellent
        } else if score >= self.grades.good {
            Grade::Good
        } else if score >= self.grades.pass {
            Grade::Pass
        } else {
            Grade::Fail
        }
    }

    /// Scores a set of entries as one group.
    pub fn score(&self, key: &str, name: &str, entries: &[&Entry<'_>]) -> Score {
        let mut items = Vec::new();
        let mut total = Some(Ratio::int(0));
        let mut fallback_total = 0f64;
        let mut capped = false;
        let mut missing = 0usize;
        for e in entries {
            if e.assessment.status == Status::NotAvailable {
                missing += 1;
            }
            let base = self.deductions.for_assessment(e.assessment);
            let w = self.weight(e.indicator);
            let points = Decimal::to_ratio(base)
                .zip(Decimal::to_ratio(w))
                .and_then(|(b, w)| b.checked_mul(w))
                .and_then(|q| {
                    Some((
                        q,
                        q.to_decimal(base.scale().checked_add(w.scale())?, HALF_UP)?,
                    ))
                });
            fallback_total += base.to_f64() * w.to_f64();
            match points {
                Some((q, d)) => {
                    total = total.and_then(|t| t.checked_add(q));
                    if !q.is_zero() {
                        items.push(ScoreItem {
                            indicator: e.indicator,
                            division: e.division.to_string(),
                            status: e.assessment.status,
                            points: d.trimmed(0),
                        });
                    }
                }
                None => total = None,
            }
            if self.binding.contains(&e.indicator)
                && matches!(
                    e.assessment.status,
                    Status::TargetMissed | Status::Deterioration
                )
            {
                capped = true;
            }
        }
        let deducted = total
            .and_then(|t| t.to_decimal(6, HALF_UP))
            .map(|d| d.trimmed(0))
            .unwrap_or_else(|| Decimal::new((fallback_total * 1e6).round() as i128, 6));
        let raw = Decimal::to_ratio(self.full_marks)
            .zip(Decimal::to_ratio(deducted))
            .and_then(|(f, d)| f.checked_sub(d))
            .and_then(|q| q.to_decimal(6, HALF_UP))
            .map(|d| d.trimmed(0))
            .unwrap_or(self.floor);
        let score = raw.max(self.floor);
        let mut grade = self.grade_of(score);
        let capped = capped && grade > self.binding_cap;
        if capped {
            grade = self.binding_cap;
        }
        let grading = if missing > 0 {
            Grading::Incomplete { missing }
        } else {
            Grading::Graded {
                score,
                grade,
                capped,
            }
        };
        Score {
            key: key.to_string(),
            name: name.to_string(),
            indicators: entries.len(),
            full_marks: self.full_marks,
            deducted,
            grading,
            items,
        }
    }
}

/// A score per responsible unit (from the entries of the indicators it owns), in plan order.
///
/// Pass city-level entries: the units are the city's departments.
pub fn score_units(plan: &Plan, entries: &[Entry<'_>], rule: &ScoringRule) -> Vec<Score> {
    owning_units(plan)
        .into_iter()
        .map(|(id, name)| {
            let own: Vec<&Entry<'_>> = entries
                .iter()
                .filter(|e| {
                    plan.indicator(e.indicator)
                        .is_some_and(|i| i.is_owned_by(&id))
                })
                .collect();
            rule.score(&id, &name, &own)
        })
        .collect()
}

/// A score per division present in `entries`, in the plan's order; codes the plan does not
/// list are not scored (the counts of [`by_division`] still show them).
pub fn score_divisions(plan: &Plan, entries: &[Entry<'_>], rule: &ScoringRule) -> Vec<Score> {
    plan.divisions
        .iter()
        .filter(|d| entries.iter().any(|e| e.division == d.code))
        .map(|d| {
            let own: Vec<&Entry<'_>> = entries.iter().filter(|e| e.division == d.code).collect();
            rule.score(&d.code, &d.name, &own)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::progress::{
        Judgement, Method, NumericCase, Observation, Options, Rule, assess_numeric,
    };
    use crate::{Direction, xinzhou};

    /// A real assessment with the wanted status, from numbers that produce it.
    fn with_status(status: Status) -> Assessment {
        let cur = match status {
            Status::TargetAchieved => Some("20"),
            Status::SubstantialProgress => Some("14"),
            Status::ModerateProgress => Some("11"),
            Status::LimitedProgress => Some("7"),
            Status::Deterioration => Some("4"),
            Status::NotAvailable => None,
            Status::TargetMissed | Status::Manual => Some("19"),
        };
        let year = if status == Status::TargetMissed {
            2025
        } else {
            2023
        };
        let mut a = assess_numeric(
            &NumericCase {
                direction: Direction::Higher,
                base: Observation::new(2020, Decimal::from_int(5)),
                target: Observation::new(2025, Decimal::from_int(20)),
                current: cur.map(|v| Observation::new(year, v.parse().unwrap())),
                year,
            },
            &Options {
                method: Method::Linear,
                ..Options::default()
            },
        );
        if status == Status::Manual {
            a.status = Status::Manual;
            a.rule = Rule::ManualJudgement;
            a.judgement = Some(Judgement {
                met: false,
                justification: "未有效保障".into(),
            });
        }
        assert_eq!(a.status, status);
        a
    }

    #[test]
    fn counts_add_up_by_category_unit_and_division() {
        let plan = xinzhou().unwrap();
        let statuses = Status::ALL;
        let assessments: Vec<Assessment> = (0..plan.indicators.len())
            .map(|i| with_status(statuses[i % statuses.len()]))
            .collect();
        let county = "140921";
        let mut entries: Vec<Entry<'_>> = plan
            .indicators
            .iter()
            .zip(&assessments)
            .map(|(i, a)| Entry {
                indicator: i.number,
                division: "140900",
                assessment: a,
            })
            .collect();
        let county_entries: Vec<Entry<'_>> = entries
            .iter()
            .take(5)
            .map(|e| Entry {
                division: county,
                ..*e
            })
            .collect();

        let cats = by_category(&plan, &entries);
        assert_eq!(cats.len(), plan.categories().len());
        assert_eq!(cats.iter().map(|g| g.counts.total).sum::<usize>(), 24);
        for s in Status::ALL {
            let per_status: usize = cats.iter().map(|g| g.counts.get(s)).sum();
            let direct = entries.iter().filter(|e| e.assessment.status == s).count();
            assert_eq!(per_status, direct, "{s}");
        }
        let eco = cats.iter().find(|g| g.key == "生态系统").unwrap();
        assert_eq!(eco.counts.total, 5);

        // Each Xinzhou indicator has one responsible unit, so unit counts add up too.
        let units = by_unit(&plan, &entries);
        assert_eq!(units.iter().map(|g| g.counts.total).sum::<usize>(), 24);
        let sthj = units.iter().find(|g| g.key == "sthj").unwrap();
        assert_eq!(sthj.name, "市生态环境局");
        let owned = plan
            .indicators
            .iter()
            .filter(|i| i.is_owned_by("sthj"))
            .count();
        assert_eq!(sthj.counts.total, owned);

        entries.extend(county_entries);
        let divs = by_division(&plan, &entries);
        assert_eq!(divs.len(), plan.divisions.len());
        assert_eq!(divs[0].counts.total, 24);
        assert_eq!(
            divs.iter().find(|g| g.key == county).unwrap().counts.total,
            5
        );
        assert_eq!(divs.iter().map(|g| g.counts.total).sum::<usize>(), 29);
    }

    #[test]
    fn unknown_keys_are_counted_not_dropped() {
        let plan = xinzhou().unwrap();
        let a = with_status(Status::Deterioration);
        let entries = [Entry {
            indicator: 99,
            division: "999999",
            assessment: &a,
        }];
        let cats = by_category(&plan, &entries);
        assert_eq!(cats.last().unwrap().key, UNKNOWN);
        assert_eq!(cats.last().unwrap().counts.deterioration, 1);
        let divs = by_division(&plan, &entries);
        assert_eq!(divs.last().unwrap().key, "999999");
    }

    fn graded(s: &Score) -> (Decimal, Grade, bool) {
        match s.grading {
            Grading::Graded {
                score,
                grade,
                capped,
            } => (score, grade, capped),
            Grading::Incomplete { missing } => panic!("{} 数据不全：{missing}", s.name),
        }
    }

    #[test]
    fn score_deducts_per_off_track_indicator() {
        let plan = xinzhou().unwrap();
        let rule = ScoringRule::default();
        let all: Vec<(u32, Assessment)> = vec![
            (6, with_status(Status::TargetAchieved)),
            (7, with_status(Status::SubstantialProgress)),
            (8, with_status(Status::ModerateProgress)),
            (9, with_status(Status::LimitedProgress)),
            (10, with_status(Status::Deterioration)),
            (16, with_status(Status::Manual)),
            (1, with_status(Status::TargetAchieved)),
        ];
        let entries: Vec<Entry<'_>> = all
            .iter()
            .map(|(n, a)| Entry {
                indicator: *n,
                division: "140900",
                assessment: a,
            })
            .collect();
        let scores = score_units(&plan, &entries, &rule);
        let gh = scores.iter().find(|s| s.key == "ghzrzy").unwrap();
        // Indicators 1, 6, 8, 9, 10 are 规划和自然资源局's; 7 is 水利局's; 16 生态环境局's.
        assert_eq!(gh.indicators, 5);
        // moderate 2 + limited 4 + deterioration 6
        assert_eq!(gh.deducted, Decimal::from_int(12));
        assert_eq!(graded(gh), (Decimal::from_int(88), Grade::Good, false));
        assert_eq!(gh.items.len(), 3);
        let sl = scores.iter().find(|s| s.key == "slj").unwrap();
        assert_eq!(
            graded(sl),
            (Decimal::from_int(100), Grade::Excellent, false)
        );
        let sthj = scores.iter().find(|s| s.key == "sthj").unwrap();
        // Indicator 16 judged not met: 6 points.
        assert_eq!(sthj.score(), Some(Decimal::from_int(94)));

        // Weights, the binding cap and the floor.
        let heavy = ScoringRule {
            weights: vec![(10, "2.5".parse().unwrap())],
            binding: vec![10],
            ..ScoringRule::default()
        };
        let gh = score_units(&plan, &entries, &heavy)
            .into_iter()
            .find(|s| s.key == "ghzrzy")
            .unwrap();
        assert_eq!(gh.deducted, Decimal::from_int(21));
        assert_eq!(graded(&gh), (Decimal::from_int(79), Grade::Pass, false));
        let capped = ScoringRule {
            binding: vec![10],
            ..ScoringRule::default()
        };
        let gh = score_units(&plan, &entries, &capped)
            .into_iter()
            .find(|s| s.key == "ghzrzy")
            .unwrap();
        assert_eq!(graded(&gh), (Decimal::from_int(88), Grade::Pass, true));
        let harsh = ScoringRule {
            deductions: Deductions {
                deterioration: Decimal::from_int(150),
                ..Deductions::default()
            },
            ..ScoringRule::default()
        };
        let gh = score_units(&plan, &entries, &harsh)
            .into_iter()
            .find(|s| s.key == "ghzrzy")
            .unwrap();
        assert_eq!(graded(&gh), (Decimal::from_int(0), Grade::Fail, false));
    }

    #[test]
    fn an_indicator_without_data_leaves_the_group_ungraded() {
        let plan = xinzhou().unwrap();
        let rule = ScoringRule::default();
        let ok = with_status(Status::TargetAchieved);
        let none = with_status(Status::NotAvailable);
        // 市生态环境局: 2 indicators assessed, 7 without data (as observed in issue 13).
        let sthj: Vec<u32> = plan
            .indicators
            .iter()
            .filter(|i| i.is_owned_by("sthj"))
            .map(|i| i.number)
            .collect();
        assert_eq!(sthj.len(), 9);
        let entries: Vec<Entry<'_>> = sthj
            .iter()
            .enumerate()
            .map(|(k, n)| Entry {
                indicator: *n,
                division: "140900",
                assessment: if k < 2 { &ok } else { &none },
            })
            .collect();
        let s = score_units(&plan, &entries, &rule)
            .into_iter()
            .find(|s| s.key == "sthj")
            .unwrap();
        assert_eq!(s.grading, Grading::Incomplete { missing: 7 });
        assert_eq!((s.score(), s.grade()), (None, None));
        assert_eq!(s.grading.label(), "数据不全（7 项无数据）");
        let json = serde_json::to_value(&s).unwrap();
        assert!(json["score"].is_null() && json["grade"].is_null());
        assert_eq!(json["grade_status"], "incomplete");
        assert_eq!(json["missing"], 7);

        // A county with one indicator all right and one without data: no 100 / 优秀.
        let county: Vec<Entry<'_>> = [(6, &ok), (7, &none)]
            .into_iter()
            .map(|(n, a)| Entry {
                indicator: n,
                division: "140902",
                assessment: a,
            })
            .collect();
        let d = score_divisions(&plan, &county, &rule);
        assert_eq!(d[0].grading, Grading::Incomplete { missing: 1 });
        assert_eq!(d[0].grading.label(), "数据不全（1 项无数据）");
        // With the missing indicator assessed, the county is graded again.
        let county = &county[..1];
        let d = score_divisions(&plan, county, &rule);
        assert_eq!(d[0].grade(), Some(Grade::Excellent));
        let json = serde_json::to_value(&d[0]).unwrap();
        assert_eq!(
            (json["grade"].as_str(), json["grade_status"].as_str()),
            (Some("excellent"), Some("graded"))
        );
    }

    #[test]
    fn division_scores_and_grade_bands() {
        let plan = xinzhou().unwrap();
        let missed = with_status(Status::TargetMissed);
        let entries: Vec<Entry<'_>> = [6, 7]
            .iter()
            .map(|n| Entry {
                indicator: *n,
                division: "140922",
                assessment: &missed,
            })
            .collect();
        let scores = score_divisions(&plan, &entries, &ScoringRule::default());
        assert_eq!(scores.len(), 1);
        assert_eq!(scores[0].name, "五台县");
        assert_eq!(scores[0].score(), Some(Decimal::from_int(84)));
        let rule = ScoringRule::default();
        for (s, g) in [
            ("90", Grade::Excellent),
            ("89.9", Grade::Good),
            ("80", Grade::Good),
            ("79.99", Grade::Pass),
            ("60", Grade::Pass),
            ("59.5", Grade::Fail),
        ] {
            assert_eq!(rule.grade_of(s.parse().unwrap()), g, "{s}");
        }
    }
}
