//! 重污染天气应对 rules as data (`rules/heavy-pollution.toml`, from
//! ../shared/reference/heavy-pollution.md §A, §B): the key industries of 环办大气函〔2020〕340号
//! with the grades each uses (绩效分级), the warning levels with the overall reduction each
//! requires per pollutant, and the measure codes of the 应急减排清单 (一厂一策); and the check of a
//! list against a level. Every item carries its source and whether it was confirmed. Pure: no
//! storage, no clock.

use std::sync::OnceLock;

use qingshan_exact::{Number, Ratio, Rounding, Syntax};
use serde::{Deserialize, Serialize};

/// The rules file, embedded.
pub const RULES_TOML: &str = include_str!("../rules/heavy-pollution.toml");

/// The pollutants a list is checked on: code and Chinese name, in display order.
pub const POLLUTANTS: &[(&str, &str)] = &[
    ("so2", "二氧化硫"),
    ("nox", "氮氧化物"),
    ("pm", "颗粒物"),
    ("vocs", "挥发性有机物"),
];

/// The warning level codes, mildest first.
pub const LEVELS: &[&str] = &["yellow", "orange", "red"];

/// Most decimals of a kg/h figure.
pub const MAX_KG_DECIMALS: u32 = 6;

/// Name, documents and start of the rule set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RuleSetInfo {
    /// Name.
    pub name: String,
    /// The documents it follows.
    pub documents: Vec<String>,
    /// From when it applies, YYYY-MM-DD.
    pub valid_from: String,
}

/// A performance grade (绩效分级 level).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Grade {
    /// Stored code: A, B, B-, C, D, lead (引领性), nonkey (非重点).
    pub code: String,
    /// Chinese label.
    pub label: String,
    /// 1 = best.
    pub rank: u32,
    /// Where it comes from.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// The grades an industry uses.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct GradeSet {
    /// Key.
    pub code: String,
    /// Grade codes, best first.
    pub grades: Vec<String>,
    /// Where it comes from.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// A key industry (重点行业).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Industry {
    /// Stored code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Its grade set.
    pub grade_set: String,
    /// Where it comes from.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

/// A warning level with its required overall reductions (percent of the baseline).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Level {
    /// yellow, orange or red.
    pub code: String,
    /// 黄色预警 …
    pub label: String,
    /// Ⅲ级响应 …
    pub response: String,
    /// SO₂, percent.
    pub so2: String,
    /// NOx, percent.
    pub nox: String,
    /// Particulate matter, percent.
    pub pm: String,
    /// VOCs, percent.
    pub vocs: String,
    /// Where it comes from.
    pub source: String,
    /// Read in a source.
    pub confirmed: bool,
}

impl Level {
    /// The required reduction of a pollutant, percent (exact); `None` for an unknown pollutant
    /// (the file is checked at parse time, so a known one always reads).
    pub fn required(&self, pollutant: &str) -> Option<Ratio> {
        let text = match pollutant {
            "so2" => &self.so2,
            "nox" => &self.nox,
            "pm" => &self.pm,
            "vocs" => &self.vocs,
            _ => return None,
        };
        percent(text)
    }
}

/// A measure an entry of the list may take.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MeasureKind {
    /// Stored code.
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// Takes a percentage (限产 x %).
    #[serde(default)]
    pub percent: bool,
    /// Names a process or facility (停用工序).
    #[serde(default)]
    pub process: bool,
    /// Where it comes from.
    pub source: String,
}

/// The whole rule set.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct Rules {
    /// Name and documents.
    pub rule_set: RuleSetInfo,
    /// Grades.
    pub grade: Vec<Grade>,
    /// Grade sets.
    pub grade_set: Vec<GradeSet>,
    /// Industries.
    pub industry: Vec<Industry>,
    /// Warning levels.
    pub level: Vec<Level>,
    /// Measure kinds.
    pub measure: Vec<MeasureKind>,
}

/// A rules file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HeavyError {
    /// Not TOML of the expected shape.
    #[error("重污染天气规则文件无法读取：{0}")]
    Parse(String),
    /// A value that makes no sense.
    #[error("重污染天气规则文件中「{code}」的 {field} 无效：{why}")]
    Invalid {
        /// Item code.
        code: String,
        /// Field.
        field: &'static str,
        /// Why.
        why: String,
    },
}

fn percent(text: &str) -> Option<Ratio> {
    Number::parse(text.trim(), Syntax::UNSIGNED)
        .ok()?
        .to_ratio(4, 3)
        .ok()
}

/// Parses and checks a rules file: unique codes, known grade sets and grades, the three levels
/// with percentages in 0–100, every measure code once.
pub fn parse(src: &str) -> Result<Rules, HeavyError> {
    let r: Rules = toml::from_str(src).map_err(|e| HeavyError::Parse(e.message().to_string()))?;
    let bad = |code: &str, field, why: &str| HeavyError::Invalid {
        code: code.to_string(),
        field,
        why: why.to_string(),
    };
    let mut seen = std::collections::HashSet::new();
    for g in &r.grade {
        if g.code.is_empty() || !seen.insert(("grade", g.code.as_str())) {
            return Err(bad(&g.code, "code", "为空或重复"));
        }
    }
    for s in &r.grade_set {
        if !seen.insert(("set", s.code.as_str())) || s.grades.is_empty() {
            return Err(bad(&s.code, "code", "重复或没有级别"));
        }
        if let Some(g) = s
            .grades
            .iter()
            .find(|g| !r.grade.iter().any(|x| &x.code == *g))
        {
            return Err(bad(&s.code, "grades", &format!("未知级别 {g}")));
        }
    }
    for i in &r.industry {
        if i.code.is_empty() || !seen.insert(("industry", i.code.as_str())) {
            return Err(bad(&i.code, "code", "为空或重复"));
        }
        if !r.grade_set.iter().any(|s| s.code == i.grade_set) {
            return Err(bad(&i.code, "grade_set", "未定义"));
        }
    }
    let codes: Vec<&str> = r.level.iter().map(|l| l.code.as_str()).collect();
    if codes != LEVELS {
        return Err(bad("level", "code", "应依次为 yellow、orange、red"));
    }
    for l in &r.level {
        for (p, _) in POLLUTANTS {
            match l.required(p) {
                Some(v) if !v.is_negative() && v <= Ratio::int(100) => {}
                _ => return Err(bad(&l.code, "so2/nox/pm/vocs", "应为 0–100 的百分数")),
            }
        }
    }
    for m in &r.measure {
        if m.code.is_empty() || !seen.insert(("measure", m.code.as_str())) {
            return Err(bad(&m.code, "code", "为空或重复"));
        }
    }
    Ok(r)
}

/// The embedded rules. The file is checked by a unit test, so a bad edit fails the tests;
/// should it still fail here, every list is empty.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| {
        parse(RULES_TOML).unwrap_or_else(|_| Rules {
            rule_set: RuleSetInfo {
                name: String::new(),
                documents: Vec::new(),
                valid_from: String::new(),
            },
            grade: Vec::new(),
            grade_set: Vec::new(),
            industry: Vec::new(),
            level: Vec::new(),
            measure: Vec::new(),
        })
    })
}

/// One industry by code.
pub fn industry(code: &str) -> Option<&'static Industry> {
    rules().industry.iter().find(|i| i.code == code)
}

/// One grade by code.
pub fn grade(code: &str) -> Option<&'static Grade> {
    rules().grade.iter().find(|g| g.code == code)
}

/// The grades an industry uses, best first; empty for an unknown industry.
pub fn grades_of(industry_code: &str) -> Vec<&'static Grade> {
    let Some(i) = industry(industry_code) else {
        return Vec::new();
    };
    rules()
        .grade_set
        .iter()
        .find(|s| s.code == i.grade_set)
        .map(|s| s.grades.iter().filter_map(|g| grade(g)).collect())
        .unwrap_or_default()
}

/// One level by code.
pub fn level(code: &str) -> Option<&'static Level> {
    rules().level.iter().find(|l| l.code == code)
}

/// One measure kind by code.
pub fn measure(code: &str) -> Option<&'static MeasureKind> {
    rules().measure.iter().find(|m| m.code == code)
}

/// The Chinese name of a pollutant code.
pub fn pollutant_name(code: &str) -> Option<&'static str> {
    POLLUTANTS.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// Reads a kg/h figure: unsigned decimal, at most [`MAX_KG_DECIMALS`] decimals, below 10^12.
pub fn parse_kg(text: &str) -> Option<Ratio> {
    Number::parse(text.trim(), Syntax::UNSIGNED)
        .ok()?
        .to_ratio(MAX_KG_DECIMALS, 12)
        .ok()
}

/// A pollutant's result of checking a list against a level.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PollutantCheck {
    /// so2, nox, pm or vocs.
    pub pollutant: String,
    /// Sum of the listed reductions, kg/h.
    pub reduction: Ratio,
    /// Sum of the baselines of the listed enterprises, kg/h.
    pub baseline: Ratio,
    /// Reduction ÷ baseline × 100; `None` when there is no baseline.
    pub achieved_percent: Option<Ratio>,
    /// The level's requirement, percent.
    pub required_percent: Ratio,
    /// Percentage points missing (0 when met); `None` when there is no baseline.
    pub shortfall_points: Option<Ratio>,
}

impl PollutantCheck {
    /// Whether the requirement is met; a pollutant without baseline emits nothing to cut.
    pub fn met(&self) -> bool {
        self.shortfall_points.is_none_or(|s| s.is_zero())
    }

    /// The verdict in words: "达标（12.5 %，要求 10 %）" or "差 3.0 个百分点（7.0 %，要求 10 %）".
    pub fn verdict(&self) -> String {
        let req = self.required_percent.format_fixed(1, Rounding::HalfEven);
        match (self.achieved_percent, self.shortfall_points) {
            (Some(a), Some(s)) if !s.is_zero() => format!(
                "差 {} 个百分点（已达 {} %，要求 {req} %）",
                s.format_fixed(1, Rounding::HalfEven),
                a.format_fixed(1, Rounding::HalfEven)
            ),
            (Some(a), _) => format!(
                "达标（已达 {} %，要求 {req} %）",
                a.format_fixed(1, Rounding::HalfEven)
            ),
            _ => "无基准排放，不考核".to_string(),
        }
    }
}

/// Checks the summed reductions and baselines of a list (per pollutant, in [`POLLUTANTS`]
/// order) against a level; `None` when a sum overflows.
pub fn check(level: &Level, sums: &[(Ratio, Ratio); 4]) -> Option<Vec<PollutantCheck>> {
    let mut out = Vec::with_capacity(4);
    for ((p, _), (reduction, baseline)) in POLLUTANTS.iter().zip(sums) {
        let required = level.required(p)?;
        let (achieved, shortfall) = if baseline.is_zero() {
            (None, None)
        } else {
            let a = reduction
                .checked_div(*baseline)?
                .checked_mul(Ratio::int(100))?;
            let s = required.checked_sub(a)?;
            (Some(a), Some(if s.is_negative() { Ratio::ZERO } else { s }))
        };
        out.push(PollutantCheck {
            pollutant: p.to_string(),
            reduction: *reduction,
            baseline: *baseline,
            achieved_percent: achieved,
            required_percent: required,
            shortfall_points: shortfall,
        });
    }
    Some(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_rules_parse_with_the_xinzhou_industries_and_default_ratios() {
        let r = parse(RULES_TOML).unwrap();
        assert_eq!(rules(), &r);
        // §A.4: the industries Xinzhou has.
        for code in [
            "coking",
            "steel",
            "cement_clinker",
            "ceramics",
            "brick_kiln",
            "casting",
        ] {
            assert!(industry(code).is_some(), "{code}");
        }
        // 340号 names 39 key industries; the file splits 水泥 into 熟料 and 粉磨站 and adds
        // 水泥制品 as Shanxi lists them (S11), and "other" (非重点) is ours.
        assert_eq!(
            r.industry.iter().filter(|i| i.code != "other").count(),
            39 + 2
        );
        assert_eq!(
            grades_of("cement_clinker")
                .iter()
                .map(|g| g.code.as_str())
                .collect::<Vec<_>>(),
            ["A", "B", "C", "D"]
        );
        for (lvl, pct) in [("yellow", 10), ("orange", 20), ("red", 30)] {
            for (p, _) in POLLUTANTS {
                assert_eq!(level(lvl).unwrap().required(p), Some(Ratio::int(pct)));
            }
        }
        assert!(measure("limit").unwrap().percent);
        assert!(measure("stop_process").unwrap().process);
    }

    #[test]
    fn bad_files_are_refused() {
        let bad_set = RULES_TOML.replacen(
            "grade_set = \"abcd\"\nsource = \"S27",
            "grade_set = \"nope\"\nsource = \"S27",
            1,
        );
        assert!(matches!(
            parse(&bad_set),
            Err(HeavyError::Invalid {
                field: "grade_set",
                ..
            })
        ));
        let bad_pct = RULES_TOML.replacen("so2 = \"10\"", "so2 = \"110\"", 1);
        assert!(matches!(parse(&bad_pct), Err(HeavyError::Invalid { .. })));
        assert!(matches!(parse("x = 1"), Err(HeavyError::Parse(_))));
    }

    #[test]
    fn seven_percent_at_yellow_is_three_points_short() {
        let y = level("yellow").unwrap();
        let kg = |s: &str| parse_kg(s).unwrap();
        let sums = [
            (kg("7"), kg("100")),
            (kg("12.5"), kg("100")),
            (kg("0"), kg("0")),
            (kg("0.7"), kg("10")),
        ];
        let c = check(y, &sums).unwrap();
        assert_eq!(c[0].shortfall_points, Some(Ratio::int(3)));
        assert_eq!(c[0].verdict(), "差 3.0 个百分点（已达 7.0 %，要求 10.0 %）");
        assert!(!c[0].met());
        assert!(c[1].met());
        assert_eq!(c[1].verdict(), "达标（已达 12.5 %，要求 10.0 %）");
        assert!(c[2].met() && c[2].achieved_percent.is_none());
        assert_eq!(c[3].shortfall_points, Some(Ratio::int(3)));
    }

    #[test]
    fn kg_figures_are_plain_unsigned_decimals() {
        assert_eq!(parse_kg("1.25"), Ratio::new(5, 4));
        for bad in ["-1", "1e3", "abc", "", "1.1234567"] {
            assert_eq!(parse_kg(bad), None, "{bad}");
        }
    }
}
