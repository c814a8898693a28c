//! 企业环境信用评价: the scoring model as data (`rules/credit-*.toml`, from
//! ../shared/reference/credit-disclosure-complaints.md §1) and the arithmetic of a rating: the
//! start score, points per event kind with a cap per rated year, 一票否决 to the lowest grade, the
//! grade bands, how a case is classed 一般/严重, the repair waiting periods. Every item carries
//! its source and whether it was confirmed. Pure: no storage, no clock.

use std::sync::OnceLock;

use chrono::{Months, NaiveDate};
use serde::{Deserialize, Serialize};

/// The Shanxi pilot rule set (忻州), embedded.
pub const SHANXI_2024_TOML: &str = include_str!("../rules/credit-shanxi-2024.toml");

/// Name, region, documents and start score of a rule set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RuleSetInfo {
    /// Stored with every rating: which model scored it.
    pub code: String,
    /// Name.
    pub name: String,
    /// Region it applies to.
    pub region: String,
    /// From when, YYYY-MM-DD.
    pub valid_from: String,
    /// Documents it follows.
    pub documents: Vec<String>,
    /// Score of an enterprise without events.
    pub start_score: i64,
    /// Where the start score comes from.
    pub start_source: String,
    /// Whether the start score was read in a source.
    pub start_confirmed: bool,
}

/// A grade and its band.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Grade {
    /// Stored code: A, B, C, D.
    pub code: String,
    /// Chinese label, e.g. A级.
    pub label: String,
    /// The national grade it corresponds to, e.g. 环保诚信企业.
    pub national: String,
    /// Plate, e.g. 绿牌.
    pub plate: String,
    /// The plate's colour (CSS).
    pub colour: String,
    /// Lowest score of the band.
    pub min_score: i64,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// Points of one event kind.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Deduction {
    /// Event kind: exceedance, order_late, case_general, case_serious, disclosure_late,
    /// disclosure_missing, transmission_low.
    pub kind: String,
    /// Chinese label.
    pub label: String,
    /// Points per event.
    pub points: i64,
    /// Most points this kind takes in one rated year.
    pub max_points: i64,
    /// For transmission_low: the 有效传输率 below which a device's year counts, percent.
    #[serde(default)]
    pub threshold_percent: Option<u32>,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// How a decided case is classed.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Severity {
    /// A fine of at least this (yuan) is 严重.
    pub serious_fine_yuan: i64,
    /// A decision taking any of these measures (legal.rs codes) is 严重.
    pub serious_measures: Vec<String>,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// An 一票否决 item.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Veto {
    /// Stored code of a finding.
    pub kind: String,
    /// Chinese label.
    pub label: String,
    /// Legal-basis codes whose citation in a decided case is such a finding.
    pub case_bases: Vec<String>,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// The repair rule of one grade.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Repair {
    /// Grade code.
    pub grade: String,
    /// Months after publication before an application is accepted.
    pub wait_months: u32,
    /// Working days the bureau has to decide.
    pub review_working_days: u32,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// Objection window.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Procedure {
    /// Days after publication an enterprise may object.
    pub objection_days: i64,
    /// Source.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// A whole rule set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct CreditRules {
    /// Name and start score.
    pub rule_set: RuleSetInfo,
    /// Grades, best first.
    pub grade: Vec<Grade>,
    /// Points per event kind.
    pub deduction: Vec<Deduction>,
    /// Case classing.
    pub severity: Severity,
    /// 一票否决 items.
    pub veto: Vec<Veto>,
    /// Repair rules per grade.
    pub repair: Vec<Repair>,
    /// Objection window.
    pub procedure: Procedure,
}

/// Why a rule file cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CreditRuleError {
    /// Not TOML of the expected shape.
    #[error("信用评价规则文件无法读取：{0}")]
    Parse(String),
    /// A value that makes no sense.
    #[error("信用评价规则文件中「{item}」无效：{why}")]
    Invalid {
        /// The item.
        item: String,
        /// Why.
        why: String,
    },
}

/// The event kinds a deduction may name.
pub const EVENT_KINDS: &[&str] = &[
    "exceedance",
    "order_late",
    "case_general",
    "case_serious",
    "disclosure_late",
    "disclosure_missing",
    "transmission_low",
];

/// Reads and checks a rule file: grades best first with falling bands ending at 0, every
/// deduction kind known and once, positive points, a repair rule only for known grades.
pub fn parse(src: &str) -> Result<CreditRules, CreditRuleError> {
    let r: CreditRules =
        toml::from_str(src).map_err(|e| CreditRuleError::Parse(e.message().to_string()))?;
    let bad = |item: &str, why: &str| CreditRuleError::Invalid {
        item: item.to_string(),
        why: why.to_string(),
    };
    if r.rule_set.start_score <= 0 {
        return Err(bad("start_score", "初始分应为正数"));
    }
    if r.grade.is_empty() {
        return Err(bad("grade", "至少一个等级"));
    }
    for w in r.grade.windows(2) {
        if w[0].min_score <= w[1].min_score {
            return Err(bad(&w[1].code, "等级应自高到低排列，分数下限递减"));
        }
    }
    if r.grade.last().map(|g| g.min_score) != Some(0) {
        return Err(bad("grade", "最低等级的分数下限应为 0"));
    }
    let mut seen = std::collections::HashSet::new();
    for d in &r.deduction {
        if !EVENT_KINDS.contains(&d.kind.as_str()) || !seen.insert(d.kind.as_str()) {
            return Err(bad(&d.kind, "未知或重复的扣分事项"));
        }
        if d.points <= 0 || d.max_points < d.points {
            return Err(bad(&d.kind, "扣分应为正数，上限不小于单次扣分"));
        }
        if d.kind == "transmission_low" && d.threshold_percent.is_none_or(|t| t > 100) {
            return Err(bad(&d.kind, "须给出 0–100 的有效传输率门槛"));
        }
    }
    for v in &r.veto {
        if v.kind.is_empty() || EVENT_KINDS.contains(&v.kind.as_str()) {
            return Err(bad(&v.kind, "一票否决事项的代码不能为空或与扣分事项重名"));
        }
    }
    for p in &r.repair {
        if !r.grade.iter().any(|g| g.code == p.grade) {
            return Err(bad(&p.grade, "修复规则所指等级不存在"));
        }
    }
    Ok(r)
}

/// The embedded Shanxi rule set (checked by a unit test, so a bad edit fails the tests; should it
/// still fail here, `None`).
pub fn shanxi_2024() -> Option<&'static CreditRules> {
    static RULES: OnceLock<Option<CreditRules>> = OnceLock::new();
    RULES.get_or_init(|| parse(SHANXI_2024_TOML).ok()).as_ref()
}

impl CreditRules {
    /// The deduction of an event kind.
    pub fn deduction(&self, kind: &str) -> Option<&Deduction> {
        self.deduction.iter().find(|d| d.kind == kind)
    }

    /// An 一票否决 item.
    pub fn veto(&self, kind: &str) -> Option<&Veto> {
        self.veto.iter().find(|v| v.kind == kind)
    }

    /// A grade by code.
    pub fn grade(&self, code: &str) -> Option<&Grade> {
        self.grade.iter().find(|g| g.code == code)
    }

    /// The lowest grade (where 一票否决 puts an enterprise).
    pub fn lowest(&self) -> Option<&Grade> {
        self.grade.last()
    }

    /// The grade of a score: the best whose band it reaches.
    pub fn grade_for(&self, score: i64) -> Option<&Grade> {
        self.grade
            .iter()
            .find(|g| score >= g.min_score)
            .or(self.lowest())
    }

    /// The repair rule of a grade (`None`: that grade is not repaired, e.g. the best).
    pub fn repair(&self, grade: &str) -> Option<&Repair> {
        self.repair.iter().find(|r| r.grade == grade)
    }

    /// The event kind of a decided case: `None` for 不予处罚 (no points), else case_general or
    /// case_serious by its measures and fine (fen).
    pub fn case_kind(&self, measures: &[&str], fine_fen: Option<i64>) -> Option<&'static str> {
        if measures.is_empty() || measures == ["exempt"] {
            return None;
        }
        let serious_measure = measures
            .iter()
            .any(|m| self.severity.serious_measures.iter().any(|s| s == m));
        let serious_fine = fine_fen.is_some_and(|f| {
            self.severity
                .serious_fine_yuan
                .checked_mul(100)
                .is_some_and(|t| f >= t)
        });
        Some(if serious_measure || serious_fine {
            "case_serious"
        } else {
            "case_general"
        })
    }

    /// The 一票否决 kind a decided case citing `bases` is by itself, if any.
    pub fn veto_of_bases(&self, bases: &[&str]) -> Option<&Veto> {
        self.veto
            .iter()
            .find(|v| v.case_bases.iter().any(|c| bases.contains(&c.as_str())))
    }
}

/// An event as the rating counts it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreditEvent {
    /// Event kind (a deduction kind or an 一票否决 kind).
    pub kind: String,
    /// Kind of the source record: incident, order, case, disclosure, device, finding.
    pub source_kind: String,
    /// The source record's id (MN and year for a device's transmission).
    pub source_id: String,
    /// Where the record is shown.
    pub link: String,
    /// When it happened, YYYY-MM-DD (Beijing).
    pub occurred_on: String,
    /// What it was, in Chinese.
    pub summary: String,
    /// Points taken (0 past the cap of its kind, or for an 一票否决).
    pub points: i64,
    /// An 一票否决.
    pub veto: bool,
    /// Taken out by an upheld objection or cancelled by an accepted repair.
    pub excluded: Option<String>,
}

impl CreditEvent {
    /// The key of the event's source record, `kind:source_kind:source_id`: what an objection
    /// names and what stays the same when the rating is recomputed.
    pub fn key(&self) -> String {
        format!("{}:{}:{}", self.kind, self.source_kind, self.source_id)
    }
}

/// The result of scoring.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Scored {
    /// Start score minus the points of the counted events, never below 0.
    pub score: i64,
    /// Grade code.
    pub grade: String,
    /// Whether an 一票否决 decided the grade.
    pub vetoed: bool,
}

/// Gives each event its points (in the order given: oldest first, so the cap takes the later
/// ones), leaving excluded events at 0, and scores the whole: `start − Σ points`, the lowest
/// grade when a counted event is an 一票否决.
pub fn score(rules: &CreditRules, events: &mut [CreditEvent]) -> Scored {
    let mut used: std::collections::HashMap<String, i64> = std::collections::HashMap::new();
    let mut vetoed = false;
    for e in events.iter_mut() {
        e.points = 0;
        if e.excluded.is_some() {
            continue;
        }
        if rules.veto(&e.kind).is_some() {
            e.veto = true;
            vetoed = true;
            continue;
        }
        if let Some(d) = rules.deduction(&e.kind) {
            let so_far = used.entry(e.kind.clone()).or_insert(0);
            let p = d.points.min(d.max_points - *so_far).max(0);
            *so_far += p;
            e.points = p;
        }
    }
    let taken: i64 = events.iter().map(|e| e.points).sum();
    let score = (rules.rule_set.start_score - taken).max(0);
    let grade = if vetoed {
        rules.lowest()
    } else {
        rules.grade_for(score)
    };
    Scored {
        score,
        grade: grade.map(|g| g.code.clone()).unwrap_or_default(),
        vetoed,
    }
}

/// The first day an application for repair is accepted: `wait_months` after publication.
pub fn repair_opens(published: NaiveDate, wait_months: u32) -> NaiveDate {
    published
        .checked_add_months(Months::new(wait_months))
        .unwrap_or(NaiveDate::MAX)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn ev(kind: &str, id: &str) -> CreditEvent {
        CreditEvent {
            kind: kind.into(),
            source_kind: "incident".into(),
            source_id: id.into(),
            link: String::new(),
            occurred_on: "2026-01-01".into(),
            summary: String::new(),
            points: 0,
            veto: false,
            excluded: None,
        }
    }

    #[test]
    fn the_embedded_rules_parse() {
        let r = shanxi_2024().unwrap();
        assert_eq!(r.rule_set.start_score, 100);
        assert_eq!(r.lowest().unwrap().code, "D");
        assert_eq!(r.grade("D").unwrap().plate, "黑牌");
        assert!(r.repair("B").unwrap().confirmed);
        assert!(r.repair("A").is_none());
    }

    #[test]
    fn points_are_summed_and_capped_per_kind() {
        let r = shanxi_2024().unwrap();
        let d = r.deduction("exceedance").unwrap();
        let n = d.max_points / d.points + 2;
        let mut events: Vec<CreditEvent> =
            (0..n).map(|i| ev("exceedance", &i.to_string())).collect();
        events.push(ev("order_late", "x"));
        let s = score(r, &mut events);
        let sum: i64 = events.iter().map(|e| e.points).sum();
        assert_eq!(
            sum,
            d.max_points + r.deduction("order_late").unwrap().points
        );
        assert_eq!(s.score, r.rule_set.start_score - sum);
        assert_eq!(events[(n - 1) as usize].points, 0);
        assert!(!s.vetoed);
    }

    #[test]
    fn a_veto_is_the_lowest_grade_and_excluded_events_count_nothing() {
        let r = shanxi_2024().unwrap();
        let mut events = vec![ev("falsified", "1")];
        let s = score(r, &mut events);
        assert_eq!(s.score, 100);
        assert_eq!(s.grade, "D");
        assert!(s.vetoed);
        events[0].excluded = Some("修复".into());
        let s = score(r, &mut events);
        assert_eq!(s.grade, "A");
    }

    #[test]
    fn grade_bands_and_case_classes() {
        let r = shanxi_2024().unwrap();
        assert_eq!(r.grade_for(100).unwrap().code, "A");
        assert_eq!(
            r.grade_for(r.grade("B").unwrap().min_score).unwrap().code,
            "B"
        );
        assert_eq!(
            r.grade_for(r.grade("B").unwrap().min_score - 1)
                .unwrap()
                .code,
            "C"
        );
        assert_eq!(r.grade_for(0).unwrap().code, "D");
        assert_eq!(r.case_kind(&["exempt"], None), None);
        assert_eq!(
            r.case_kind(&["rectify", "fine"], Some(100_000)),
            Some("case_general")
        );
        assert_eq!(
            r.case_kind(&["rectify", "fine"], Some(5_000_000)),
            Some("case_serious")
        );
        assert_eq!(r.case_kind(&["suspend"], None), Some("case_serious"));
        assert_eq!(r.veto_of_bases(&["crime-338"]).unwrap().kind, "falsified");
    }

    #[test]
    fn repair_opens_after_the_waiting_months() {
        assert_eq!(
            repair_opens(NaiveDate::from_ymd_opt(2026, 5, 1).unwrap(), 3),
            NaiveDate::from_ymd_opt(2026, 8, 1).unwrap()
        );
    }

    #[test]
    fn bad_files_are_refused() {
        let bad = SHANXI_2024_TOML.replace("min_score = 0", "min_score = 5");
        assert!(parse(&bad).is_err());
        let bad = SHANXI_2024_TOML.replace("kind = \"order_late\"", "kind = \"exceedance\"");
        assert!(parse(&bad).is_err());
    }
}
