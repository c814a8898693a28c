//! What pages and the API show, shaped once from the plan and the store.

use std::collections::HashMap;

use qingshan_plan::{Indicator, Plan};
use qingshan_store::IndicatorValue;
use serde::Serialize;

/// The latest value of an indicator for one division.
#[derive(Debug, Clone, Serialize)]
pub struct Latest {
    /// Year.
    pub year: i64,
    /// Exact value text.
    pub value: String,
    /// Revision.
    pub revision: i64,
    /// Source.
    pub source: String,
    /// Valid days behind a value computed from monitoring (`None` when entered or imported).
    pub valid_days: Option<i64>,
    /// Days in its period.
    pub period_days: Option<i64>,
    /// Whether the capture meets the validity rule; `false`: 数据不足, not a valid value.
    pub capture_valid: Option<bool>,
    /// 数据不足（有效天数 56/365，15.3%） when the capture falls short; `None` otherwise.
    pub capture_label: Option<String>,
}

/// A target as shown: year, verbatim text, kind label.
#[derive(Debug, Clone, Serialize)]
pub struct TargetView {
    /// Year.
    pub year: i32,
    /// Verbatim text.
    pub text: String,
    /// Kind, machine-readable.
    pub kind: String,
    /// Kind, in Chinese.
    pub kind_label: &'static str,
}

/// One indicator with its targets, units and latest city value.
#[derive(Debug, Clone, Serialize)]
pub struct IndicatorView {
    /// Number.
    pub number: u32,
    /// Category.
    pub category: String,
    /// Name.
    pub name: String,
    /// Unit.
    pub unit: String,
    /// Baseline, verbatim.
    pub baseline_text: String,
    /// Baseline number.
    pub baseline: Option<String>,
    /// Direction, machine-readable.
    pub direction: String,
    /// Direction, in Chinese.
    pub direction_label: &'static str,
    /// Targets.
    pub targets: Vec<TargetView>,
    /// Responsible unit ids.
    pub responsible: Vec<String>,
    /// Responsible unit names.
    pub responsible_names: Vec<String>,
    /// Latest value for the plan's own division.
    pub latest: Option<Latest>,
}

/// Builds the view of one indicator.
pub fn indicator_view(plan: &Plan, ind: &Indicator, latest: Option<Latest>) -> IndicatorView {
    IndicatorView {
        number: ind.number,
        category: ind.category.clone(),
        name: ind.name.clone(),
        unit: ind.unit.clone(),
        baseline_text: ind.baseline_text.clone(),
        baseline: ind.baseline.map(|b| b.to_string()),
        direction: serde_json::to_value(ind.direction)
            .ok()
            .and_then(|v| v.as_str().map(str::to_string))
            .unwrap_or_default(),
        direction_label: ind.direction.label(),
        targets: ind
            .targets
            .iter()
            .map(|t| TargetView {
                year: t.year,
                text: t.text.clone(),
                kind: serde_json::to_value(&t.kind)
                    .ok()
                    .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_string))
                    .unwrap_or_default(),
                kind_label: t.kind.label(),
            })
            .collect(),
        responsible: ind.responsible.clone(),
        responsible_names: ind
            .responsible
            .iter()
            .map(|u| plan.unit_name(u).to_string())
            .collect(),
        latest,
    }
}

/// The latest value per indicator for a division, from current values.
pub fn latest_by_indicator(values: &[IndicatorValue], division: &str) -> HashMap<i64, Latest> {
    let mut out: HashMap<i64, Latest> = HashMap::new();
    for v in values.iter().filter(|v| v.division_code == division) {
        let newer = out.get(&v.indicator_number).is_none_or(|l| v.year > l.year);
        if newer {
            out.insert(
                v.indicator_number,
                Latest {
                    year: v.year,
                    value: v.value.clone(),
                    revision: v.revision,
                    source: v.source.clone(),
                    valid_days: v.valid_days,
                    period_days: v.period_days,
                    capture_valid: v.capture_valid,
                    capture_label: insufficient_label(v),
                },
            );
        }
    }
    out
}

/// All indicators with their latest city values.
pub fn indicator_views(plan: &Plan, values: &[IndicatorValue]) -> Vec<IndicatorView> {
    let latest = latest_by_indicator(values, &plan.meta.division);
    plan.indicators
        .iter()
        .map(|i| indicator_view(plan, i, latest.get(&i.number.into()).cloned()))
        .collect()
}

/// 数据不足（有效天数 56/365，15.3%） for a value computed from too few valid days.
pub fn insufficient_label(v: &IndicatorValue) -> Option<String> {
    v.capture()
        .filter(|c| !c.valid)
        .map(|c| qingshan_app::monitoring::capture_label(&c))
}
