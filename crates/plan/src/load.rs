//! Reading a plan file: TOML syntax, then the plan's own rules, with every error pinned to
//! the file, line and field that caused it.

use std::collections::HashSet;
use std::ops::Range;

use chrono::NaiveDate;
use serde::Deserialize;
use toml::Spanned;

use crate::model::*;
use crate::{Decimal, DecimalError};

/// Stable kinds of plan-file errors.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PlanErrorKind {
    /// The file is not valid TOML.
    Syntax,
    /// A field is missing, unknown, or of the wrong type.
    Schema,
    /// A field has a value the plan's rules do not allow.
    Invalid,
    /// A field refers to a unit, division or number that does not exist, or repeats one.
    Reference,
}

impl PlanErrorKind {
    /// Stable machine-readable name.
    pub fn as_str(self) -> &'static str {
        match self {
            PlanErrorKind::Syntax => "syntax",
            PlanErrorKind::Schema => "schema",
            PlanErrorKind::Invalid => "invalid",
            PlanErrorKind::Reference => "reference",
        }
    }
}

/// A plan file that cannot be used, with where and why.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{file}:{line}:{column}: 字段 {field}: {message}")]
pub struct PlanError {
    /// What sort of error.
    pub kind: PlanErrorKind,
    /// The file name as given.
    pub file: String,
    /// 1-based line.
    pub line: usize,
    /// 1-based column (in characters).
    pub column: usize,
    /// Dotted path of the field, e.g. `indicators[3].targets[0].value`.
    pub field: String,
    /// What is wrong, in plain words.
    pub message: String,
}

fn line_col(src: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(src.len());
    let before = src.get(..offset).unwrap_or(src);
    let line = before.matches('\n').count() + 1;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    (line, col)
}

struct Ctx<'a> {
    src: &'a str,
    file: &'a str,
}

impl Ctx<'_> {
    fn err(
        &self,
        kind: PlanErrorKind,
        span: Range<usize>,
        field: impl Into<String>,
        message: impl Into<String>,
    ) -> PlanError {
        let (line, column) = line_col(self.src, span.start);
        PlanError {
            kind,
            file: self.file.to_string(),
            line,
            column,
            field: field.into(),
            message: message.into(),
        }
    }

    fn decimal(&self, s: &Spanned<String>, field: String) -> Result<Decimal, PlanError> {
        s.get_ref().parse().map_err(|e: DecimalError| {
            self.err(PlanErrorKind::Invalid, s.span(), field, e.to_string())
        })
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPlanFile {
    format: Spanned<u32>,
    plan: RawMeta,
    units: Vec<RawUnit>,
    divisions: Vec<RawDivision>,
    indicators: Vec<RawIndicator>,
    #[serde(default)]
    areas: Vec<RawArea>,
    #[serde(default)]
    air_warning: crate::model::AirWarningThresholds,
    #[serde(default)]
    map: Option<RawMap>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    file: Spanned<String>,
    crs: Spanned<String>,
    source: String,
    licence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMeta {
    id: String,
    title: String,
    issuer: String,
    document_number: String,
    date: Spanned<String>,
    baseline_year: i32,
    milestone_years: Spanned<Vec<i32>>,
    division: Spanned<String>,
    #[serde(default)]
    counties_carry_all_tasks: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawUnit {
    id: Spanned<String>,
    name: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDivision {
    code: Spanned<String>,
    name: String,
    level: DivisionLevelRaw,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DivisionLevelRaw {
    City,
    County,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawIndicator {
    number: Spanned<u32>,
    category: String,
    name: String,
    unit: String,
    baseline_text: String,
    baseline: Option<Spanned<String>>,
    direction: DirectionRaw,
    responsible: Vec<Spanned<String>>,
    targets: Vec<RawTarget>,
}

#[derive(Deserialize, Clone, Copy)]
#[serde(rename_all = "snake_case")]
enum DirectionRaw {
    Higher,
    Lower,
    Hold,
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
enum KindRaw {
    Value,
    Hold,
    Reduction,
    ProvincialAssignment,
    ContinuousDecline,
    EffectivelyEnsured,
    Undetermined,
    None,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTarget {
    year: Spanned<i32>,
    text: String,
    kind: Spanned<KindRaw>,
    value: Option<Spanned<String>>,
    percent: Option<Spanned<String>>,
    relative_to: Option<i32>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawArea {
    number: Spanned<u32>,
    title: String,
    #[serde(default)]
    tasks: Vec<RawTask>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTask {
    number: Spanned<u32>,
    title: String,
    text: String,
    responsible: Vec<Spanned<String>>,
    #[serde(default)]
    #[allow(dead_code)]
    responsible_verbatim: Option<String>,
    #[serde(default)]
    items: Vec<RawItem>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawItem {
    id: Spanned<String>,
    text: String,
    measure: Spanned<String>,
    unit: Option<String>,
    target: Option<Spanned<String>>,
    direction: Option<Spanned<String>>,
    #[serde(default)]
    objects: Vec<crate::items::NamedObject>,
    lead: String,
    #[serde(default)]
    supporting: Vec<String>,
    #[serde(default)]
    counties: Vec<String>,
    #[serde(default)]
    all_counties: bool,
    deadline: String,
    year: i32,
}

impl Plan {
    /// Parses and validates a plan file. `file` names it in error messages. A map file it
    /// references is looked up among [`crate::map::EMBEDDED_FILES`].
    pub fn from_toml(src: &str, file: &str) -> Result<Plan, PlanError> {
        Plan::from_toml_with(src, file, &|name| {
            crate::map::EMBEDDED_FILES
                .iter()
                .find(|(n, _)| *n == name)
                .map(|(_, text)| (*text).to_string())
                .ok_or_else(|| "不是内置文件".to_string())
        })
    }

    /// Parses and validates a plan file; `read` returns the text of a file the plan references
    /// by name (the map), or why it cannot.
    pub fn from_toml_with(
        src: &str,
        file: &str,
        read: &dyn Fn(&str) -> Result<String, String>,
    ) -> Result<Plan, PlanError> {
        let cx = Ctx { src, file };
        let de = toml::Deserializer::new(src);
        let raw: RawPlanFile = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let inner = e.into_inner();
            let span = inner.span().unwrap_or(0..0);
            let kind = if inner.message().contains("missing field")
                || inner.message().contains("unknown")
                || inner.message().contains("invalid type")
            {
                PlanErrorKind::Schema
            } else {
                PlanErrorKind::Syntax
            };
            let field = if field == "." {
                "(文件)".to_string()
            } else {
                field
            };
            cx.err(kind, span, field, inner.message().trim().to_string())
        })?;
        validate(&cx, raw, read)
    }
}

/// Reads and checks the map a plan references against its counties.
fn load_map(
    cx: &Ctx<'_>,
    raw: RawMap,
    divisions: &[Division],
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<crate::map::DivisionMap, PlanError> {
    use PlanErrorKind::*;
    let crs = crate::map::Crs::parse(raw.crs.get_ref()).ok_or_else(|| {
        cx.err(
            Invalid,
            raw.crs.span(),
            "map.crs",
            "坐标系应为 \"GCJ-02\" 或 \"WGS-84\"",
        )
    })?;
    let name = raw.file.get_ref().clone();
    let text = read(&name).map_err(|why| {
        cx.err(
            Reference,
            raw.file.span(),
            "map.file",
            format!("无法读取地图文件「{name}」：{why}"),
        )
    })?;
    let counties: Vec<(&str, &str)> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| (d.code.as_str(), d.name.as_str()))
        .collect();
    let shapes = crate::map::parse_geojson(&text)
        .and_then(|shapes| crate::map::check(&shapes, &counties).map(|()| shapes))
        .map_err(|e| {
            // Point at the feature's code in the map file when it can be found there.
            let at = e
                .feature
                .as_deref()
                .and_then(|f| f.split(' ').next())
                .and_then(|code| text.find(&format!("\"{code}\"")))
                .unwrap_or(0);
            let (line, column) = line_col(&text, at);
            PlanError {
                kind: Invalid,
                file: name.clone(),
                line,
                column,
                field: match e.index {
                    Some(i) => format!("features[{i}]"),
                    None => "(文件)".to_string(),
                },
                message: e.to_string(),
            }
        })?;
    Ok(crate::map::DivisionMap {
        file: name,
        crs,
        source: raw.source,
        licence: raw.licence,
        shapes,
    })
}

fn validate(
    cx: &Ctx<'_>,
    raw: RawPlanFile,
    read: &dyn Fn(&str) -> Result<String, String>,
) -> Result<Plan, PlanError> {
    use PlanErrorKind::*;
    if *raw.format.get_ref() != 1 {
        return Err(cx.err(Invalid, raw.format.span(), "format", "只支持格式版本 1"));
    }
    let m = raw.plan;
    if iso_date(m.date.get_ref()).is_none() {
        let msg = format!("「{}」不是有效日期（应为 YYYY-MM-DD）", m.date.get_ref());
        return Err(cx.err(Invalid, m.date.span(), "plan.date", msg));
    }
    if m.milestone_years.get_ref().is_empty()
        || m.milestone_years.get_ref().windows(2).any(|w| w[0] >= w[1])
    {
        return Err(cx.err(
            Invalid,
            m.milestone_years.span(),
            "plan.milestone_years",
            "目标年份须非空且递增",
        ));
    }

    let mut unit_ids = HashSet::new();
    let mut units = Vec::new();
    for (i, u) in raw.units.into_iter().enumerate() {
        let id = u.id.get_ref();
        if id.is_empty() || !id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
            return Err(cx.err(
                Invalid,
                u.id.span(),
                format!("units[{i}].id"),
                "单位编号只能用英文字母、数字和下划线",
            ));
        }
        if !unit_ids.insert(id.clone()) {
            return Err(cx.err(
                Reference,
                u.id.span(),
                format!("units[{i}].id"),
                format!("单位编号「{id}」重复"),
            ));
        }
        units.push(Unit {
            id: id.clone(),
            name: u.name,
        });
    }

    let mut codes = HashSet::new();
    let mut divisions = Vec::new();
    for (i, d) in raw.divisions.into_iter().enumerate() {
        let code = d.code.get_ref();
        if code.len() != 6 || !code.bytes().all(|b| b.is_ascii_digit()) {
            return Err(cx.err(
                Invalid,
                d.code.span(),
                format!("divisions[{i}].code"),
                "行政区划代码应为 6 位数字（GB/T 2260）",
            ));
        }
        if !codes.insert(code.clone()) {
            return Err(cx.err(
                Reference,
                d.code.span(),
                format!("divisions[{i}].code"),
                format!("行政区划代码「{code}」重复"),
            ));
        }
        divisions.push(Division {
            code: code.clone(),
            name: d.name,
            level: match d.level {
                DivisionLevelRaw::City => DivisionLevel::City,
                DivisionLevelRaw::County => DivisionLevel::County,
            },
        });
    }
    if !codes.contains(m.division.get_ref()) {
        return Err(cx.err(
            Reference,
            m.division.span(),
            "plan.division",
            "规划所属行政区划不在 divisions 中",
        ));
    }

    let check_units = |list: &[Spanned<String>], field: &str| -> Result<Vec<String>, PlanError> {
        if list.is_empty() {
            return Err(cx.err(Invalid, 0..0, field.to_string(), "至少需要一个责任单位"));
        }
        list.iter()
            .enumerate()
            .map(|(j, u)| {
                if unit_ids.contains(u.get_ref()) {
                    Ok(u.get_ref().clone())
                } else {
                    Err(cx.err(
                        Reference,
                        u.span(),
                        format!("{field}[{j}]"),
                        format!("责任单位「{}」未在 units 中定义", u.get_ref()),
                    ))
                }
            })
            .collect()
    };

    let mut numbers = HashSet::new();
    let mut indicators = Vec::new();
    for (i, ind) in raw.indicators.into_iter().enumerate() {
        let f = format!("indicators[{i}]");
        let n = *ind.number.get_ref();
        if n == 0 || !numbers.insert(n) {
            return Err(cx.err(
                Reference,
                ind.number.span(),
                format!("{f}.number"),
                format!("指标序号 {n} 无效或重复"),
            ));
        }
        let baseline = match &ind.baseline {
            Some(b) => Some(cx.decimal(b, format!("{f}.baseline"))?),
            None => None,
        };
        let responsible = check_units(&ind.responsible, &format!("{f}.responsible"))?;
        let mut targets = Vec::new();
        for (j, t) in ind.targets.into_iter().enumerate() {
            let tf = format!("{f}.targets[{j}]");
            let kind = target_kind(cx, &t, &tf)?;
            if matches!(kind, TargetKind::Hold) && baseline.is_none() {
                return Err(cx.err(
                    Invalid,
                    t.kind.span(),
                    format!("{tf}.kind"),
                    "“保持”目标需要 baseline 数值",
                ));
            }
            if !m.milestone_years.get_ref().contains(t.year.get_ref()) {
                return Err(cx.err(
                    Reference,
                    t.year.span(),
                    format!("{tf}.year"),
                    "目标年份不在 plan.milestone_years 中",
                ));
            }
            targets.push(Target {
                year: *t.year.get_ref(),
                text: t.text,
                kind,
            });
        }
        indicators.push(Indicator {
            number: n,
            category: ind.category,
            name: ind.name,
            unit: ind.unit,
            baseline_text: ind.baseline_text,
            baseline,
            direction: match ind.direction {
                DirectionRaw::Higher => Direction::Higher,
                DirectionRaw::Lower => Direction::Lower,
                DirectionRaw::Hold => Direction::Hold,
            },
            responsible,
            targets,
        });
    }
    indicators.sort_by_key(|i| i.number);

    let county_codes: Vec<String> = divisions
        .iter()
        .filter(|d| d.level == DivisionLevel::County)
        .map(|d| d.code.clone())
        .collect();
    let mut pending_items = Vec::new();
    let mut areas = Vec::new();
    let mut area_numbers = HashSet::new();
    for (i, a) in raw.areas.into_iter().enumerate() {
        let f = format!("areas[{i}]");
        let an = *a.number.get_ref();
        if an == 0 || !area_numbers.insert(an) {
            return Err(cx.err(
                Reference,
                a.number.span(),
                format!("{f}.number"),
                format!("任务领域序号 {an} 无效或重复"),
            ));
        }
        let mut task_numbers = HashSet::new();
        let mut tasks = Vec::new();
        for (j, t) in a.tasks.into_iter().enumerate() {
            let tf = format!("{f}.tasks[{j}]");
            let tn = *t.number.get_ref();
            if tn == 0 || !task_numbers.insert(tn) {
                return Err(cx.err(
                    Reference,
                    t.number.span(),
                    format!("{tf}.number"),
                    format!("任务序号 {tn} 无效或重复"),
                ));
            }
            let responsible = check_units(&t.responsible, &format!("{tf}.responsible"))?;
            for (k, it) in t.items.into_iter().enumerate() {
                let itf = format!("{tf}.items[{k}]");
                let span = it.id.span();
                let item = raw_item(cx, it, an, tn, &county_codes, &itf)?;
                pending_items.push((itf, span, item));
            }
            tasks.push(Task {
                area: an,
                number: tn,
                title: t.title,
                text: t.text,
                responsible,
                items: Vec::new(),
            });
        }
        areas.push(TaskArea {
            number: an,
            title: a.title,
            tasks,
        });
    }

    let map = match raw.map {
        Some(m) => Some(load_map(cx, m, &divisions, read)?),
        None => None,
    };
    let mut plan = Plan {
        meta: PlanMeta {
            id: m.id,
            title: m.title,
            issuer: m.issuer,
            document_number: m.document_number,
            date: m.date.into_inner(),
            baseline_year: m.baseline_year,
            milestone_years: m.milestone_years.into_inner(),
            division: m.division.into_inner(),
            counties_carry_all_tasks: m.counties_carry_all_tasks,
        },
        units,
        divisions,
        indicators,
        areas,
        air_warning: raw.air_warning,
        map,
    };
    // Items are checked against the whole plan (tasks, units, counties), then placed.
    let mut item_ids = HashSet::new();
    for (itf, span, item) in pending_items {
        if !item_ids.insert(item.id.clone()) {
            return Err(cx.err(
                Reference,
                span,
                format!("{itf}.id"),
                format!("事项编号「{}」重复", item.id),
            ));
        }
        if let Err(p) = plan.check_item(&item) {
            return Err(cx.err(Invalid, span, format!("{itf}.{}", p.field), p.message));
        }
        let (a, n) = (item.area, item.task);
        if let Some(task) = plan
            .areas
            .iter_mut()
            .flat_map(|x| x.tasks.iter_mut())
            .find(|t| t.area == a && t.number == n)
        {
            task.items.push(item);
        }
    }
    Ok(plan)
}

/// An item as the file writes it, turned into the model; what the measure needs is checked
/// here (with its own line), the rest by [`Plan::check_item`].
fn raw_item(
    cx: &Ctx<'_>,
    it: RawItem,
    area: u32,
    task: u32,
    county_codes: &[String],
    itf: &str,
) -> Result<crate::items::TaskItem, PlanError> {
    use crate::items::{CountDirection, Measure};
    use PlanErrorKind::*;
    let measure = match it.measure.get_ref().as_str() {
        "count" => {
            let target = it.target.as_ref().ok_or_else(|| {
                cx.err(
                    Schema,
                    it.measure.span(),
                    format!("{itf}.target"),
                    "数量事项需要 target（目标值）",
                )
            })?;
            let target = cx.decimal(target, format!("{itf}.target"))?;
            let direction = match it.direction.as_ref().map(|d| d.get_ref().as_str()) {
                Some("at_least") => CountDirection::AtLeast,
                Some("at_most") => CountDirection::AtMost,
                _ => {
                    let span = it
                        .direction
                        .as_ref()
                        .map_or(it.measure.span(), |d| d.span());
                    return Err(cx.err(
                        Invalid,
                        span,
                        format!("{itf}.direction"),
                        "数量事项的 direction 应为 \"at_least\"（不低于）或 \"at_most\"（不高于）",
                    ));
                }
            };
            Measure::Count {
                unit: it.unit.unwrap_or_default(),
                target,
                direction,
            }
        }
        "milestone" | "objects" => {
            for (name, present) in [
                ("unit", it.unit.is_some()),
                ("target", it.target.is_some()),
                ("direction", it.direction.is_some()),
            ] {
                if present {
                    return Err(cx.err(
                        Schema,
                        it.measure.span(),
                        format!("{itf}.{name}"),
                        format!("此类事项不应有 {name} 字段"),
                    ));
                }
            }
            if it.measure.get_ref() == "milestone" {
                Measure::Milestone
            } else {
                Measure::Objects {
                    objects: it.objects,
                }
            }
        }
        other => {
            return Err(cx.err(
                Invalid,
                it.measure.span(),
                format!("{itf}.measure"),
                format!("「{other}」不是事项类型（应为 count、milestone 或 objects）"),
            ));
        }
    };
    if it.all_counties && !it.counties.is_empty() {
        return Err(cx.err(
            Schema,
            it.id.span(),
            format!("{itf}.counties"),
            "all_counties = true 时不应再列 counties",
        ));
    }
    Ok(crate::items::TaskItem {
        id: it.id.into_inner(),
        area,
        task,
        text: it.text,
        measure,
        lead: it.lead,
        supporting: it.supporting,
        counties: if it.all_counties {
            county_codes.to_vec()
        } else {
            it.counties
        },
        deadline: it.deadline,
        year: it.year,
    })
}

fn target_kind(cx: &Ctx<'_>, t: &RawTarget, tf: &str) -> Result<TargetKind, PlanError> {
    use PlanErrorKind::*;
    let kind = *t.kind.get_ref();
    let need = |v: &Option<Spanned<String>>, name: &str| -> Result<Decimal, PlanError> {
        match v {
            Some(s) => cx.decimal(s, format!("{tf}.{name}")),
            None => Err(cx.err(
                Schema,
                t.kind.span(),
                format!("{tf}.{name}"),
                format!("此目标类型需要 {name} 字段"),
            )),
        }
    };
    let forbid = |v: &Option<Spanned<String>>, name: &str| -> Result<(), PlanError> {
        match v {
            Some(s) => Err(cx.err(
                Schema,
                s.span(),
                format!("{tf}.{name}"),
                format!("此目标类型不应有 {name} 字段"),
            )),
            None => Ok(()),
        }
    };
    Ok(match kind {
        KindRaw::Value => {
            forbid(&t.percent, "percent")?;
            TargetKind::Value {
                value: need(&t.value, "value")?,
            }
        }
        KindRaw::Reduction => {
            forbid(&t.value, "value")?;
            let percent = need(&t.percent, "percent")?;
            let relative_to = t.relative_to.ok_or_else(|| {
                cx.err(
                    Schema,
                    t.kind.span(),
                    format!("{tf}.relative_to"),
                    "“较基年下降”目标需要 relative_to 年份",
                )
            })?;
            TargetKind::Reduction {
                percent,
                relative_to,
            }
        }
        other => {
            forbid(&t.value, "value")?;
            forbid(&t.percent, "percent")?;
            match other {
                KindRaw::Hold => TargetKind::Hold,
                KindRaw::ProvincialAssignment => TargetKind::ProvincialAssignment,
                KindRaw::ContinuousDecline => TargetKind::ContinuousDecline,
                KindRaw::EffectivelyEnsured => TargetKind::EffectivelyEnsured,
                KindRaw::Undetermined => TargetKind::Undetermined,
                _ => TargetKind::None,
            }
        }
    })
}

/// The calendar day written exactly `YYYY-MM-DD` in `s`, or `None` (also for `2023-02-31`).
pub fn iso_date(s: &str) -> Option<NaiveDate> {
    // chrono also reads "2024-1-5"; the round trip insists on the written form.
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .filter(|d| d.format("%Y-%m-%d").to_string() == s)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::XINZHOU_TOML;

    fn load_err(src: &str) -> PlanError {
        Plan::from_toml(src, "bad.toml").unwrap_err()
    }

    #[test]
    fn a_bad_map_file_is_named_with_its_feature() {
        let bad = crate::map::XINZHOU_DIVISIONS_GEOJSON.replace("\"140921\"", "\"140999\"");
        let e =
            Plan::from_toml_with(crate::XINZHOU_TOML, "x.toml", &|_| Ok(bad.clone())).unwrap_err();
        assert_eq!(e.file, "xinzhou-divisions.geojson");
        assert_eq!(e.field, "features[1]");
        assert!(e.line > 1, "{e}");
        assert!(
            e.message.contains("140999 定襄县") && e.message.contains("不是本规划的区县"),
            "{e}"
        );
        let e = Plan::from_toml_with(crate::XINZHOU_TOML, "x.toml", &|_| Err("找不到文件".into()))
            .unwrap_err();
        assert_eq!(e.field, "map.file");
        assert!(e.message.contains("找不到文件"), "{e}");
    }

    #[test]
    fn embedded_plan_loads() {
        let p = crate::xinzhou().unwrap();
        assert_eq!(p.indicators.len(), 24);
        assert_eq!(p.areas.len(), 8);
        assert_eq!(p.tasks().count(), 25);
        assert_eq!(p.divisions.len(), 15);
        assert_eq!(
            p.categories(),
            [
                "国土空间",
                "绿色发展",
                "生态系统",
                "环境质量",
                "城乡生活",
                "生态文化",
                "治理体系"
            ]
        );
    }

    #[test]
    fn relative_target_parsed() {
        let p = crate::xinzhou().unwrap();
        let t = p.indicator(3).unwrap().target(2025).unwrap();
        assert_eq!(t.text, "较2020年下降14.5%");
        assert_eq!(
            t.kind,
            TargetKind::Reduction {
                percent: "14.5".parse().unwrap(),
                relative_to: 2020
            }
        );
        let b = p.indicator(2).unwrap();
        assert!(b.baseline_text.starts_with("按照2022年"));
        assert_eq!(b.baseline.unwrap().to_string(), "789.6703");
    }

    #[test]
    fn bad_unit_reference_names_line_and_field() {
        let src = XINZHOU_TOML.replacen("responsible = [\"slj\"]", "responsible = [\"nope\"]", 1);
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Reference);
        assert_eq!(e.field, "indicators[4].responsible[0]");
        let line = src.lines().position(|l| l.contains("\"nope\"")).unwrap() + 1;
        assert_eq!(e.line, line);
        assert!(e.to_string().starts_with(&format!("bad.toml:{line}:")));
    }

    #[test]
    fn impossible_plan_date_names_line_and_field() {
        for bad in ["2023-02-31", "2023-13-01", "2023-7-06", "2023-00-10"] {
            let src =
                XINZHOU_TOML.replacen("date = \"2023-07-06\"", &format!("date = \"{bad}\""), 1);
            let e = load_err(&src);
            assert_eq!(e.kind, PlanErrorKind::Invalid, "{bad}");
            assert_eq!(e.field, "plan.date");
            let line = src.lines().position(|l| l.contains(bad)).unwrap() + 1;
            assert_eq!(
                e.to_string(),
                format!(
                    "bad.toml:{line}:8: 字段 plan.date: 「{bad}」不是有效日期（应为 YYYY-MM-DD）"
                )
            );
        }
        let leap = XINZHOU_TOML.replacen("date = \"2023-07-06\"", "date = \"2024-02-29\"", 1);
        assert!(Plan::from_toml(&leap, "leap.toml").is_ok());
    }

    #[test]
    fn bad_number_names_field() {
        let src = XINZHOU_TOML.replacen("value = \"16.71\"", "value = \"16,71\"", 1);
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Invalid);
        assert_eq!(e.field, "indicators[5].targets[0].value");
        assert_eq!(
            e.line,
            src.lines().position(|l| l.contains("16,71")).unwrap() + 1
        );
    }

    #[test]
    fn missing_field_is_schema_error() {
        let src = XINZHOU_TOML.replacen("unit = \"万平方千米\"\n", "", 1);
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Schema);
        assert!(e.field.starts_with("indicators[0]"), "{}", e.field);
        assert!(e.message.contains("unit"), "{}", e.message);
    }

    #[test]
    fn unknown_field_is_refused() {
        let src = XINZHOU_TOML.replacen(
            "category = \"国土空间\"",
            "category = \"国土空间\"\ncolour = \"red\"",
            1,
        );
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Schema);
        assert_eq!(
            e.line,
            src.lines().position(|l| l.contains("colour")).unwrap() + 1
        );
    }

    #[test]
    fn syntax_error_has_line() {
        let src = format!("{XINZHOU_TOML}\n[[indicators]\n");
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Syntax);
        assert_eq!(e.line, src.lines().count());
    }

    #[test]
    fn duplicate_indicator_number_refused() {
        let src = XINZHOU_TOML.replacen("number = 2\ncategory", "number = 1\ncategory", 1);
        let e = load_err(&src);
        assert_eq!(e.kind, PlanErrorKind::Reference);
        assert_eq!(e.field, "indicators[1].number");
    }

    #[test]
    fn embedded_items_are_placed_under_their_tasks() {
        let p = crate::xinzhou().unwrap();
        let boilers = p.task(3, 1).unwrap().items.first().unwrap();
        assert_eq!(boilers.text, "加快35蒸吨以下燃煤锅炉动态清零");
        assert_eq!(boilers.counties.len(), 14);
        assert!(p.items().count() >= 8);
        assert!(p.items().any(|i| i.text.contains("黑臭水体")));
    }

    #[test]
    fn a_bad_item_is_named_in_chinese_with_its_line() {
        let src = XINZHOU_TOML.replacen("lead = \"zjj\"", "lead = \"nope\"", 1);
        let e = load_err(&src);
        assert_eq!(e.field, "areas[2].tasks[1].items[0].lead");
        assert!(
            e.message.contains("牵头单位「nope」未在 units 中定义"),
            "{e}"
        );
        let line = src.lines().position(|l| l == "id = \"3-2-1\"").unwrap() + 1;
        assert_eq!(e.line, line);
        let src = XINZHOU_TOML.replacen("measure = \"milestone\"", "measure = \"maybe\"", 1);
        let e = load_err(&src);
        assert!(e.field.ends_with(".measure"), "{e}");
        assert!(e.message.contains("不是事项类型"), "{e}");
        let src =
            XINZHOU_TOML.replacen("deadline = \"2025-12-31\"", "deadline = \"2025-13-31\"", 1);
        let e = load_err(&src);
        assert_eq!(e.field, "areas[2].tasks[0].items[0].deadline");
        let src = XINZHOU_TOML.replacen("id = \"3-1-2\"", "id = \"3-1-1\"", 1);
        let e = load_err(&src);
        assert!(e.message.contains("事项编号「3-1-1」重复"), "{e}");
    }

    #[test]
    fn value_kind_requires_value() {
        let src = XINZHOU_TOML.replacen(", value = \"16.71\"", "", 1);
        let e = load_err(&src);
        assert_eq!(e.field, "indicators[5].targets[0].value");
    }
}
