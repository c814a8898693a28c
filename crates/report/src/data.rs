//! The report's data model and the constructor that computes it from stored values.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use qingshan_plan::progress::{
    self, Assessment, Case, Entry, Group, Judgement, Observation, Options, Outlook, Score,
    ScoringRule, StatusCounts,
};
use qingshan_plan::{
    Decimal, Direction, DivisionLevel, Plan, Target, TargetKind, Unit, area_numeral,
};
use serde::Serialize;

use crate::ReportError;
use crate::prose::Explanation;

/// Who issues the report and on which day: given by the caller, never read from a clock
/// here, so the same data and the same issue give the same report, byte for byte.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Issue {
    /// 编制单位.
    pub unit: String,
    /// 印发日期, a Beijing calendar date.
    pub date: NaiveDate,
}

impl Issue {
    /// An issue by the default unit of `plan` ([`default_unit`]) on `date`.
    pub fn by_default_unit(plan: &Plan, date: NaiveDate) -> Issue {
        Issue {
            unit: default_unit(plan),
            date,
        }
    }
}

/// The default 编制单位: the ecology and environment bureau of the plan's division
/// (忻州市生态环境局). The plan itself names no unit that assesses it (its 六（四）强化考核评估
/// only says 开展规划实施情况评估), and this platform is the bureau's, whose staff compile the
/// report; another unit (a 领导小组办公室, say) is given with `qingshan report --unit`.
pub fn default_unit(plan: &Plan) -> String {
    let name = plan
        .division(&plan.meta.division)
        .map_or(plan.meta.division.as_str(), |d| d.name.as_str());
    format!("{name}生态环境局")
}

/// The cover of the report.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Cover {
    /// 《忻州市贯彻落实〈…〉实施方案》2024年度实施进展评估报告.
    pub title: String,
    /// 编制单位.
    pub unit: String,
    /// The year assessed.
    pub year: i32,
    /// 印发日期.
    pub date: NaiveDate,
}

impl Cover {
    /// The issue date as a document prints it: 2026年12月2日.
    pub fn date_text(&self) -> String {
        chinese_date(self.date)
    }
}

/// A date as a document prints it: 2026年12月2日.
fn chinese_date(d: NaiveDate) -> String {
    format!("{}年{}月{}日", d.year(), d.month(), d.day())
}

/// The report's title: the plan's title in book-title marks (inner marks turned into 〈〉, as
/// nested titles are written) followed by the year.
pub fn report_title(plan_title: &str, year: i32) -> String {
    let inner: String = plan_title
        .trim()
        .chars()
        .map(|c| match c {
            '《' => '〈',
            '》' => '〉',
            c => c,
        })
        .collect();
    format!("《{inner}》{year}年度实施进展评估报告")
}

/// One stored indicator value, as the server keeps it (the value still as text).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueInput {
    /// Indicator number (序号).
    pub indicator: u32,
    /// The year the value describes.
    pub year: i32,
    /// GB/T 2260 code of the division (the city or a county).
    pub division: String,
    /// The value as stored, e.g. "15.50".
    pub value: String,
}

/// A 完成省级下达任务 value: the target assigned for one year and division.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AssignedTarget {
    /// Indicator number.
    pub indicator: u32,
    /// The year the assignment is for.
    pub year: i32,
    /// Division it is assigned to (the city's code for the province's assignment).
    pub division: String,
    /// The assigned value as stored.
    pub value: String,
}

/// A staff judgement of a qualitative target for the report year.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManualJudgement {
    /// Indicator number.
    pub indicator: u32,
    /// Division judged.
    pub division: String,
    /// Whether the target is judged met.
    pub met: bool,
    /// The written justification.
    pub justification: String,
}

/// Status of a task as its responsible unit reports it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TaskState {
    /// 未启动.
    NotStarted,
    /// 推进中.
    InProgress,
    /// 已完成.
    Completed,
    /// 滞后.
    Lagging,
}

impl TaskState {
    /// Every state, in display order.
    pub const ALL: [TaskState; 4] = [
        TaskState::NotStarted,
        TaskState::InProgress,
        TaskState::Completed,
        TaskState::Lagging,
    ];

    /// Stable code, as stored.
    pub fn code(self) -> &'static str {
        match self {
            TaskState::NotStarted => "not_started",
            TaskState::InProgress => "in_progress",
            TaskState::Completed => "completed",
            TaskState::Lagging => "lagging",
        }
    }

    /// Chinese label.
    pub fn label(self) -> &'static str {
        match self {
            TaskState::NotStarted => "未启动",
            TaskState::InProgress => "推进中",
            TaskState::Completed => "已完成",
            TaskState::Lagging => "滞后",
        }
    }
}

impl fmt::Display for TaskState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl FromStr for TaskState {
    type Err = ReportError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        TaskState::ALL
            .into_iter()
            .find(|t| t.code() == s.trim())
            .ok_or_else(|| ReportError::UnknownTaskState(s.to_string()))
    }
}

/// One stored task progress report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskReportInput {
    /// Area number.
    pub area: u32,
    /// Task number within the area.
    pub number: u32,
    /// Period: "2024" (the year) or "2024Q3".
    pub period: String,
    /// Reported status.
    pub status: TaskState,
    /// What was done.
    pub narrative: String,
}

/// Everything stored that the report is computed from, besides the plan.
#[derive(Debug, Clone, Default)]
pub struct Inputs {
    /// Indicator values by indicator, year and division.
    pub values: Vec<ValueInput>,
    /// Assigned targets for 完成省级下达任务 indicators.
    pub assigned: Vec<AssignedTarget>,
    /// Staff judgements of qualitative targets for the report year.
    pub judgements: Vec<ManualJudgement>,
    /// Task progress reports of any period; those after the report year are ignored.
    pub task_reports: Vec<TaskReportInput>,
    /// Assessment method and thresholds.
    pub options: Options,
    /// The 百分制 scoring rule.
    pub scoring: ScoringRule,
    /// Task items (任务台账) judged from accepted reports only; those of the report year are shown.
    pub ledger: Vec<LedgerItem>,
}

/// One part of a task item: a county's or a unit's, judged from its accepted reports only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerPart {
    /// County or unit name.
    pub name: String,
    /// Whether it is a county (else a unit).
    pub county: bool,
    /// 区县, 牵头单位 or 配合单位.
    pub role: String,
    /// What its accepted report says ("" when none).
    pub shown: String,
    /// Its part done.
    pub complete: bool,
    /// Deadline passed and not done.
    pub overdue: bool,
}

/// A task item (任务台账事项) with its roll-up, as the report prints it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerItem {
    /// Item id.
    pub id: String,
    /// Area number of its task.
    pub area: u32,
    /// Task number.
    pub task: u32,
    /// What is to be done.
    pub text: String,
    /// The measure in words (数量：不高于 0 台; 节点; 清单 3 个对象).
    pub measure: String,
    /// Deadline.
    pub deadline: String,
    /// Assessment year.
    pub year: i32,
    /// The city's figure in words.
    pub city: String,
    /// Done for the city.
    pub complete: bool,
    /// Every county's and unit's part.
    pub parts: Vec<LedgerPart>,
}

/// Items completed per county or unit: parts done of parts carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LedgerTally {
    /// County or unit name.
    pub name: String,
    /// Whether it is a county.
    pub county: bool,
    /// Parts done.
    pub done: usize,
    /// Parts overdue.
    pub overdue: usize,
    /// Parts carried.
    pub total: usize,
}

/// The plan's identity as the report prints it.
#[derive(Debug, Clone, Serialize)]
pub struct PlanInfo {
    /// Plan id.
    pub id: String,
    /// Full title.
    pub title: String,
    /// Issuing office.
    pub issuer: String,
    /// Document number (文号).
    pub document_number: String,
    /// Issue date.
    pub date: String,
    /// Baseline year.
    pub baseline_year: i32,
    /// Code of the division the plan governs.
    pub division: String,
    /// Name of that division.
    pub division_name: String,
}

/// One indicator of the report: the plan row, the city's values and the verdict.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorReport {
    /// 序号.
    pub number: u32,
    /// 类别.
    pub category: String,
    /// Name, verbatim.
    pub name: String,
    /// Unit, verbatim.
    pub unit: String,
    /// Baseline as the plan writes it.
    pub baseline_text: String,
    /// Baseline number, if the plan gives one.
    pub baseline: Option<Decimal>,
    /// Which way is better.
    pub direction: Direction,
    /// Responsible units.
    pub responsible: Vec<Unit>,
    /// Every target of the plan row.
    pub targets: Vec<Target>,
    /// The target the report year is judged against.
    pub milestone: Option<Target>,
    /// Numeric targets due after the milestone (the 2035 target of a 2025 milestone), resolved
    /// as the milestone's would be, for the chart's target line.
    pub later_targets: Vec<Observation>,
    /// The city's values by year, up to the report year, ascending.
    pub series: Vec<Observation>,
    /// Targets assigned to the city by year (完成省级下达任务), up to the report year.
    pub assigned: Vec<Observation>,
    /// The city's assessment for the report year.
    pub assessment: Assessment,
    /// The 依据 sentence in plain Chinese (`explanation.prose()`).
    pub reasoning: String,
    /// The figures behind the status, from which the sentence and the appendix row are
    /// both rendered.
    pub explanation: Explanation,
    /// Theil–Sen projection to the milestone year.
    pub outlook: Option<Outlook>,
}

impl IndicatorReport {
    /// Text of the milestone target, or "—".
    pub fn target_text(&self) -> String {
        match &self.milestone {
            Some(t) if !t.text.trim().is_empty() => format!("{}年：{}", t.year, t.text),
            Some(t) => format!("{}年：{}", t.year, t.kind.label()),
            None => "—".to_string(),
        }
    }

    /// Why the indicator has no chart, or `None` when it has one (it has reported values).
    pub fn chart_absence(&self) -> Option<&'static str> {
        if !self.series.is_empty() {
            return None;
        }
        Some(match self.milestone.as_ref().map(|t| &t.kind) {
            Some(TargetKind::EffectivelyEnsured) => "定性目标，以人工评定为准，无数值走势",
            _ => "暂无上报数据，未绘制走势图",
        })
    }

    /// The latest value judged, e.g. "15.50（2023年）", or "—".
    pub fn latest_text(&self) -> String {
        self.assessment.current.map_or_else(
            || "—".to_string(),
            |c| format!("{}（{}年）", c.value, c.year),
        )
    }
}

/// A county-level (or other non-plan-division) assessment.
#[derive(Debug, Clone, Serialize)]
pub struct DivisionAssessment {
    /// Indicator number.
    pub indicator: u32,
    /// Division code.
    pub division: String,
    /// Division name.
    pub division_name: String,
    /// The assessment.
    pub assessment: Assessment,
    /// The 依据 sentence in plain Chinese.
    pub reasoning: String,
}

/// One task with its latest report.
#[derive(Debug, Clone, Serialize)]
pub struct TaskReport {
    /// Code such as "3-2".
    pub code: String,
    /// Area number.
    pub area: u32,
    /// Task number.
    pub number: u32,
    /// Title, verbatim.
    pub title: String,
    /// Responsible units.
    pub responsible: Vec<Unit>,
    /// Latest reported status up to the report year; `None` when none was reported.
    pub status: Option<TaskState>,
    /// The period of that report.
    pub period: Option<String>,
    /// Its narrative.
    pub narrative: Option<String>,
}

/// An area of tasks.
#[derive(Debug, Clone, Serialize)]
pub struct AreaReport {
    /// Area number.
    pub number: u32,
    /// Chinese numeral, as in （三）.
    pub numeral: String,
    /// Title, verbatim.
    pub title: String,
    /// Its tasks.
    pub tasks: Vec<TaskReport>,
}

/// Tasks counted by latest status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct TaskCounts {
    /// 未启动.
    pub not_started: usize,
    /// 推进中.
    pub in_progress: usize,
    /// 已完成.
    pub completed: usize,
    /// 滞后.
    pub lagging: usize,
    /// No report.
    pub unreported: usize,
    /// All tasks.
    pub total: usize,
}

impl TaskCounts {
    /// Counts one more task.
    pub fn add(&mut self, status: Option<TaskState>) {
        match status {
            Some(TaskState::NotStarted) => self.not_started += 1,
            Some(TaskState::InProgress) => self.in_progress += 1,
            Some(TaskState::Completed) => self.completed += 1,
            Some(TaskState::Lagging) => self.lagging += 1,
            None => self.unreported += 1,
        }
        self.total += 1;
    }

    /// The count for a status (`None`: unreported).
    pub fn get(&self, status: Option<TaskState>) -> usize {
        match status {
            Some(TaskState::NotStarted) => self.not_started,
            Some(TaskState::InProgress) => self.in_progress,
            Some(TaskState::Completed) => self.completed,
            Some(TaskState::Lagging) => self.lagging,
            None => self.unreported,
        }
    }
}

/// Task counts of one responsible unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct UnitTasks {
    /// Unit id.
    pub key: String,
    /// Unit name.
    pub name: String,
    /// Its tasks by latest status.
    pub counts: TaskCounts,
}

/// A division as the report names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DivisionInfo {
    /// GB/T 2260 code.
    pub code: String,
    /// Official name.
    pub name: String,
    /// Whether it is a county (县、县级市、区) rather than the city.
    pub county: bool,
}

/// Everything the annual assessment report shows, computed and ready to render.
#[derive(Debug, Clone, Serialize)]
pub struct ReportData {
    /// The cover: title, issuing unit, year and date.
    pub cover: Cover,
    /// The plan.
    pub plan: PlanInfo,
    /// The year assessed.
    pub year: i32,
    /// Method and thresholds used.
    pub options: Options,
    /// The scoring rule used.
    pub scoring: ScoringRule,
    /// City-level counts by status.
    pub summary: StatusCounts,
    /// Every indicator, city level, in plan order.
    pub indicators: Vec<IndicatorReport>,
    /// Assessments in the counties, for indicators the county has reported.
    pub division_assessments: Vec<DivisionAssessment>,
    /// Counts by indicator category (city level).
    pub by_category: Vec<Group>,
    /// Counts by responsible unit (city level).
    pub by_unit: Vec<Group>,
    /// Counts by division (the city and each county that reported).
    pub by_division: Vec<Group>,
    /// Score per responsible unit.
    pub unit_scores: Vec<Score>,
    /// Score per division.
    pub division_scores: Vec<Score>,
    /// Tasks by area.
    pub areas: Vec<AreaReport>,
    /// Tasks by latest status.
    pub task_summary: TaskCounts,
    /// Tasks by responsible unit.
    pub tasks_by_unit: Vec<UnitTasks>,
    /// The plan's divisions, in plan order.
    pub divisions: Vec<DivisionInfo>,
    /// Task items of the report year, task by task.
    pub ledger: Vec<LedgerItem>,
    /// Item parts done per unit, then per county (plan order).
    pub ledger_tallies: Vec<LedgerTally>,
}

/// Parts done, overdue and carried per unit (in plan order) and per county (in plan order).
fn ledger_tallies(plan: &Plan, items: &[LedgerItem]) -> Vec<LedgerTally> {
    let names = plan.units.iter().map(|u| (u.name.clone(), false)).chain(
        plan.divisions
            .iter()
            .filter(|d| d.level == DivisionLevel::County)
            .map(|d| (d.name.clone(), true)),
    );
    names
        .filter_map(|(name, county)| {
            let parts: Vec<&LedgerPart> = items
                .iter()
                .flat_map(|i| i.parts.iter())
                .filter(|p| p.county == county && p.name == name)
                .collect();
            (!parts.is_empty()).then(|| LedgerTally {
                done: parts.iter().filter(|p| p.complete).count(),
                overdue: parts.iter().filter(|p| p.overdue).count(),
                total: parts.len(),
                name,
                county,
            })
        })
        .collect()
}

/// Per indicator and division: the parsed values.
struct Parsed {
    indicator: u32,
    division: String,
    obs: Observation,
}

fn parse_decimal(
    text: &str,
    indicator: u32,
    year: i32,
    division: &str,
) -> Result<Decimal, ReportError> {
    text.parse().map_err(|_| ReportError::BadValue {
        indicator,
        year,
        division: division.to_string(),
        text: text.to_string(),
    })
}

/// Sort key of a task period: the year, then the quarter; the annual report ranks after Q4.
fn period_key(period: &str) -> Result<(i32, u8), ReportError> {
    let bad = || ReportError::BadPeriod(period.to_string());
    let p = period.trim();
    let (y, q) = match p.split_once(['Q', 'q']) {
        Some((y, q)) => {
            let q: u8 = q.parse().map_err(|_| bad())?;
            if !(1..=4).contains(&q) {
                return Err(bad());
            }
            (y, q)
        }
        None => (p, 5),
    };
    if y.len() != 4 {
        return Err(bad());
    }
    Ok((y.parse().map_err(|_| bad())?, q))
}

impl ReportData {
    /// Computes the report for `year` from the plan and the stored inputs.
    ///
    /// The city is judged for every indicator; a county only for the indicators it has
    /// reported a value for (up to `year`), since counties report a subset. A county's
    /// baseline is its own value for the plan's baseline year, if stored; otherwise the
    /// first later value stands in (disclosed in the reasoning). The city's baseline is the
    /// plan's, or its stored baseline-year value where the plan has none. Values after
    /// `year` are ignored, so a report for a past year is reproducible.
    ///
    /// The cover names `issue`'s unit (the [`default_unit`] if blank) and date.
    pub fn build(
        plan: &Plan,
        year: i32,
        inputs: &Inputs,
        issue: &Issue,
    ) -> Result<ReportData, ReportError> {
        let city = plan
            .divisions
            .iter()
            .find(|d| d.level == DivisionLevel::City && d.code == plan.meta.division)
            .or_else(|| plan.divisions.first())
            .ok_or(ReportError::NoCity)?;
        let base_year = plan.meta.baseline_year;

        let mut parsed: Vec<Parsed> = Vec::new();
        for v in &inputs.values {
            check_refs(plan, v.indicator, &v.division)?;
            let value = parse_decimal(&v.value, v.indicator, v.year, &v.division)?;
            if v.year <= year {
                parsed.push(Parsed {
                    indicator: v.indicator,
                    division: v.division.clone(),
                    obs: Observation::new(v.year, value),
                });
            }
        }
        let mut assigned: Vec<Parsed> = Vec::new();
        for a in &inputs.assigned {
            check_refs(plan, a.indicator, &a.division)?;
            let value = parse_decimal(&a.value, a.indicator, a.year, &a.division)?;
            if a.year <= year {
                assigned.push(Parsed {
                    indicator: a.indicator,
                    division: a.division.clone(),
                    obs: Observation::new(a.year, value),
                });
            }
        }
        for j in &inputs.judgements {
            check_refs(plan, j.indicator, &j.division)?;
        }
        let observations = |n: u32, code: &str| -> Vec<Observation> {
            let mut out: Vec<Observation> = Vec::new();
            // Later inputs win for a repeated year, as in `progress::assess`.
            for p in parsed
                .iter()
                .filter(|p| p.indicator == n && p.division == code)
            {
                match out.iter_mut().find(|o| o.year == p.obs.year) {
                    Some(o) => *o = p.obs,
                    None => out.push(p.obs),
                }
            }
            out.sort_by_key(|o| o.year);
            out
        };
        let assigned_for = |n: u32, code: &str| -> Vec<Observation> {
            let mut out: Vec<Observation> = Vec::new();
            for p in assigned
                .iter()
                .filter(|p| p.indicator == n && p.division == code)
            {
                match out.iter_mut().find(|o| o.year == p.obs.year) {
                    Some(o) => *o = p.obs,
                    None => out.push(p.obs),
                }
            }
            out.sort_by_key(|o| o.year);
            out
        };
        let judgement_for = |n: u32, code: &str| -> Option<Judgement> {
            inputs
                .judgements
                .iter()
                .rev()
                .find(|j| j.indicator == n && j.division == code)
                .map(|j| Judgement {
                    met: j.met,
                    justification: j.justification.clone(),
                })
        };
        let assess_in = |n: u32, code: &str, baseline: Option<Decimal>| -> Option<Assessment> {
            let ind = plan.indicator(n)?;
            let target = progress::milestone(ind, year)?;
            let obs = observations(n, code);
            let baseline =
                baseline.or_else(|| obs.iter().find(|o| o.year == base_year).map(|o| o.value));
            let assigned = assigned_for(n, code)
                .iter()
                .find(|o| o.year == year)
                .map(|o| o.value);
            let judgement = judgement_for(n, code);
            let case = Case {
                year,
                direction: ind.direction,
                target,
                base_year,
                baseline,
                observations: &obs,
                assigned,
                judgement: judgement.as_ref(),
            };
            Some(progress::assess(&case, &inputs.options))
        };

        let mut indicators = Vec::with_capacity(plan.indicators.len());
        for ind in &plan.indicators {
            let milestone = progress::milestone(ind, year).cloned();
            let assessment = match assess_in(ind.number, &city.code, ind.baseline) {
                Some(a) => a,
                // An indicator without any target still appears, as not assessable.
                None => progress::assess(
                    &Case {
                        year,
                        direction: ind.direction,
                        target: &Target {
                            year,
                            text: String::new(),
                            kind: qingshan_plan::TargetKind::None,
                        },
                        base_year,
                        baseline: ind.baseline,
                        observations: &observations(ind.number, &city.code),
                        assigned: None,
                        judgement: None,
                    },
                    &inputs.options,
                ),
            };
            let series = observations(ind.number, &city.code);
            let outlook = milestone.as_ref().and_then(|m| {
                let mut points = series.clone();
                // The pace's own starting point anchors the line (for a cumulative reduction
                // it is 0 in the reference year, not the plan's baseline column).
                let anchor = assessment
                    .base
                    .or_else(|| ind.baseline.map(|b| Observation::new(base_year, b)));
                if let Some(b) = anchor
                    && !points.iter().any(|o| o.year == b.year)
                {
                    points.insert(0, b);
                }
                let target = assessment
                    .target
                    .filter(|t| t.year == m.year)
                    .map(|t| t.value);
                progress::outlook(&points, m.year, target, ind.direction)
            });
            let explanation = Explanation::new(&ind.name, &ind.unit, &assessment, outlook.as_ref());
            let later_targets: Vec<Observation> = ind
                .targets
                .iter()
                .filter(|t| milestone.as_ref().is_some_and(|m| t.year > m.year))
                .filter(|t| {
                    matches!(
                        t.kind,
                        TargetKind::Value { .. } | TargetKind::Hold | TargetKind::Reduction { .. }
                    )
                })
                .filter_map(|t| {
                    // The same resolution as the milestone's (保持 → the baseline, 较Y年下降p%
                    // → exact), by assessing against that target.
                    let a = progress::assess(
                        &Case {
                            year,
                            direction: ind.direction,
                            target: t,
                            base_year,
                            baseline: ind.baseline,
                            observations: &series,
                            assigned: None,
                            judgement: None,
                        },
                        &inputs.options,
                    );
                    a.target
                        .filter(|r| r.year == t.year)
                        .map(|r| Observation::new(r.year, r.value))
                })
                .collect();
            indicators.push(IndicatorReport {
                reasoning: explanation.prose(),
                number: ind.number,
                category: ind.category.clone(),
                name: ind.name.clone(),
                unit: ind.unit.clone(),
                baseline_text: ind.baseline_text.clone(),
                baseline: ind.baseline,
                direction: ind.direction,
                responsible: ind
                    .responsible
                    .iter()
                    .map(|id| Unit {
                        id: id.clone(),
                        name: plan.unit_name(id).to_string(),
                    })
                    .collect(),
                targets: ind.targets.clone(),
                milestone,
                later_targets,
                series,
                assigned: assigned_for(ind.number, &city.code),
                explanation,
                assessment,
                outlook,
            });
        }

        let mut division_assessments = Vec::new();
        for d in plan.divisions.iter().filter(|d| d.code != city.code) {
            for ind in &plan.indicators {
                if !parsed
                    .iter()
                    .any(|p| p.indicator == ind.number && p.division == d.code)
                {
                    continue;
                }
                if let Some(a) = assess_in(ind.number, &d.code, None) {
                    division_assessments.push(DivisionAssessment {
                        indicator: ind.number,
                        division: d.code.clone(),
                        division_name: d.name.clone(),
                        reasoning: Explanation::new(&ind.name, &ind.unit, &a, None).prose(),
                        assessment: a,
                    });
                }
            }
        }

        let city_entries: Vec<Entry<'_>> = indicators
            .iter()
            .map(|i| Entry {
                indicator: i.number,
                division: &city.code,
                assessment: &i.assessment,
            })
            .collect();
        let mut all_entries = city_entries.clone();
        all_entries.extend(division_assessments.iter().map(|d| Entry {
            indicator: d.indicator,
            division: &d.division,
            assessment: &d.assessment,
        }));
        let mut summary = StatusCounts::default();
        for i in &indicators {
            summary.add(i.assessment.status);
        }

        let (areas, task_summary, tasks_by_unit) = tasks(plan, year, &inputs.task_reports)?;
        let mut ledger: Vec<LedgerItem> = inputs
            .ledger
            .iter()
            .filter(|i| i.year == year)
            .cloned()
            .collect();
        ledger.sort_by_key(|i| (i.area, i.task));
        let ledger_tallies = ledger_tallies(plan, &ledger);

        Ok(ReportData {
            cover: Cover {
                title: report_title(&plan.meta.title, year),
                // A blank unit would leave the cover unsigned; the default unit stands in.
                unit: match issue.unit.trim() {
                    "" => default_unit(plan),
                    u => u.to_string(),
                },
                year,
                date: issue.date,
            },
            plan: PlanInfo {
                id: plan.meta.id.clone(),
                title: plan.meta.title.clone(),
                issuer: plan.meta.issuer.clone(),
                document_number: plan.meta.document_number.clone(),
                date: plan.meta.date.clone(),
                baseline_year: base_year,
                division: city.code.clone(),
                division_name: city.name.clone(),
            },
            year,
            options: inputs.options,
            scoring: inputs.scoring.clone(),
            summary,
            by_category: progress::by_category(plan, &city_entries),
            by_unit: progress::by_unit(plan, &city_entries),
            by_division: progress::by_division(plan, &all_entries),
            unit_scores: progress::score_units(plan, &city_entries, &inputs.scoring),
            division_scores: progress::score_divisions(plan, &all_entries, &inputs.scoring),
            divisions: plan
                .divisions
                .iter()
                .map(|d| DivisionInfo {
                    code: d.code.clone(),
                    name: d.name.clone(),
                    county: d.level == DivisionLevel::County,
                })
                .collect(),
            indicators,
            division_assessments,
            areas,
            task_summary,
            tasks_by_unit,
            ledger,
            ledger_tallies,
        })
    }

    /// The summary paragraph put before everything else: how many indicators are achieved,
    /// on track, lagging, judged by staff and without data.
    pub fn summary_text(&self) -> String {
        let s = &self.summary;
        let lagging = s.moderate_progress + s.limited_progress + s.deterioration + s.target_missed;
        let mut text = format!(
            "{}年度，{}纳入评估的{}项指标中：已达标{}项，进展良好{}项，进度滞后{}项",
            self.year,
            self.plan.division_name,
            s.total,
            s.target_achieved,
            s.substantial_progress,
            lagging
        );
        if lagging > 0 {
            let parts: Vec<String> = [
                ("需加快", s.moderate_progress),
                ("进展缓慢", s.limited_progress),
                ("倒退", s.deterioration),
                ("未完成", s.target_missed),
            ]
            .iter()
            .filter(|(_, n)| *n > 0)
            .map(|(l, n)| format!("{l}{n}项"))
            .collect();
            text.push_str(&format!("（{}）", parts.join("、")));
        }
        text.push_str(&format!(
            "，人工评定{}项，无数据（暂无法评估）{}项。",
            s.manual, s.not_available
        ));
        let t = &self.task_summary;
        text.push_str(&format!(
            "{}项主要任务中，已完成{}项，推进中{}项，未启动{}项，滞后{}项，未报告{}项。",
            t.total, t.completed, t.in_progress, t.not_started, t.lagging, t.unreported
        ));
        text
    }

    /// The plan the report assesses, as the cover cites it:
    /// 忻政办发〔2023〕33号（忻州市人民政府办公室，2023年7月6日印发）.
    pub fn basis_text(&self) -> String {
        let date = qingshan_plan::iso_date(&self.plan.date)
            .map_or_else(|| self.plan.date.clone(), chinese_date);
        format!(
            "{}（{}，{}印发）",
            self.plan.document_number, self.plan.issuer, date
        )
    }

    /// How statuses are decided, in words, for the head of the appendix.
    pub fn method_text(&self) -> String {
        let t = &self.options.thresholds;
        let main = match self.options.method {
            progress::Method::OpenSdg => {
                "数值目标默认采用年均增速比值法（Open SDG）：以基期到最新年份的实际年均增速，除以基期到目标年份所需的年均增速；基期值、最新值或目标值为零或负数时年均增速无定义，改用序时进度法"
            }
            progress::Method::Linear => "数值目标采用序时进度法",
        };
        format!(
            "{main}（已完成的基期—目标差距比例，除以已过去的时间比例）。比值≥{h}为进展良好，{m}≤比值<{h}为需加快，{l}≤比值<{m}为进展缓慢，比值<{l}为倒退；已达到目标值的为已达标，目标年数据已出而未达到目标的为未完成；保持类目标未保持的为倒退，“持续下降”类目标与上一年份比较，定性目标由人工评定。比值按四舍五入保留三位小数列示，判定以保留六位小数的比值为准。趋势外推采用{}：取各年份两两之间变化率的中位数作为年变化量，推算目标年份的数值，仅作参考，不改变评估结论。",
            crate::TREND_METHOD,
            h = t.high,
            m = t.medium,
            l = t.low,
        )
    }

    /// Whether a division code is a county (县、县级市、区) of the plan.
    pub fn is_county(&self, code: &str) -> bool {
        self.divisions.iter().any(|d| d.code == code && d.county)
    }
}

fn check_refs(plan: &Plan, indicator: u32, division: &str) -> Result<(), ReportError> {
    if plan.indicator(indicator).is_none() {
        return Err(ReportError::UnknownIndicator(indicator));
    }
    if plan.division(division).is_none() {
        return Err(ReportError::UnknownDivision(division.to_string()));
    }
    Ok(())
}

type TaskParts = (Vec<AreaReport>, TaskCounts, Vec<UnitTasks>);

fn tasks(plan: &Plan, year: i32, reports: &[TaskReportInput]) -> Result<TaskParts, ReportError> {
    let mut keyed = Vec::with_capacity(reports.len());
    for r in reports {
        if plan.task(r.area, r.number).is_none() {
            return Err(ReportError::UnknownTask {
                area: r.area,
                number: r.number,
            });
        }
        let key = period_key(&r.period)?;
        if key.0 <= year {
            keyed.push((key, r));
        }
    }
    let mut summary = TaskCounts::default();
    let mut by_unit: Vec<UnitTasks> = plan
        .units
        .iter()
        .filter(|u| plan.tasks().any(|t| t.responsible.contains(&u.id)))
        .map(|u| UnitTasks {
            key: u.id.clone(),
            name: u.name.clone(),
            counts: TaskCounts::default(),
        })
        .collect();
    let mut areas = Vec::with_capacity(plan.areas.len());
    for a in &plan.areas {
        let mut tasks = Vec::with_capacity(a.tasks.len());
        for t in &a.tasks {
            // The latest period wins; within a period the later input (a revision) wins.
            let latest = keyed
                .iter()
                .filter(|(_, r)| r.area == t.area && r.number == t.number)
                .fold(
                    None::<&((i32, u8), &TaskReportInput)>,
                    |best, cur| match best {
                        Some(b) if b.0 > cur.0 => Some(b),
                        _ => Some(cur),
                    },
                )
                .map(|(_, r)| *r);
            let status = latest.map(|r| r.status);
            summary.add(status);
            for u in by_unit
                .iter_mut()
                .filter(|u| t.responsible.contains(&u.key))
            {
                u.counts.add(status);
            }
            tasks.push(TaskReport {
                code: t.code(),
                area: t.area,
                number: t.number,
                title: t.title.clone(),
                responsible: t
                    .responsible
                    .iter()
                    .map(|id| Unit {
                        id: id.clone(),
                        name: plan.unit_name(id).to_string(),
                    })
                    .collect(),
                status,
                period: latest.map(|r| r.period.clone()),
                narrative: latest.map(|r| r.narrative.clone()),
            });
        }
        areas.push(AreaReport {
            number: a.number,
            numeral: area_numeral(a.number),
            title: a.title.clone(),
            tasks,
        });
    }
    Ok((areas, summary, by_unit))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_order_quarters_before_the_annual_report() {
        assert!(period_key("2024Q4").unwrap() < period_key("2024").unwrap());
        assert!(period_key("2023").unwrap() < period_key("2024Q1").unwrap());
        for bad in ["2024Q5", "24", "2024Qx", "", "Q1"] {
            assert!(period_key(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn task_state_codes_round_trip() {
        for s in TaskState::ALL {
            assert_eq!(s.code().parse::<TaskState>().unwrap(), s);
        }
        assert!("done".parse::<TaskState>().is_err());
    }
}
