//! Indicator values: the checks a value to record passes against the plan, and recording the
//! rows of a values file.

use qingshan_plan::values::ValueRow;
use qingshan_plan::{Decimal, Indicator, Plan};
use qingshan_store::{Actor, NewIndicatorValue, Store};

use crate::{Error, Result};

/// Checks a value to record against the plan: the year within the plan's span, a known
/// division, a decimal number, and a percentage within 0–100.
pub fn validate_value(
    plan: &Plan,
    ind: &Indicator,
    year: i64,
    division: &str,
    value: &str,
) -> Result<Decimal> {
    let first = i64::from(plan.meta.baseline_year);
    let last = plan
        .meta
        .milestone_years
        .last()
        .map_or(first, |y| i64::from(*y));
    if year < first || year > last {
        return Err(Error::invalid(
            "year",
            format!("年份应在 {first}–{last} 之间"),
        ));
    }
    if plan.division(division).is_none() {
        return Err(Error::invalid(
            "division",
            format!("未知的行政区划代码「{division}」"),
        ));
    }
    let v: Decimal = value
        .trim()
        .parse()
        .map_err(|e: qingshan_plan::DecimalError| Error::invalid("value", e.to_string()))?;
    if ind.is_percentage() && (v < Decimal::from_int(0) || v > Decimal::from_int(100)) {
        return Err(Error::invalid(
            "value",
            format!("指标 {} 以 % 计，数值应在 0–100 之间", ind.number),
        ));
    }
    Ok(v)
}

/// Records the rows of a values file (already read and checked against the plan by
/// [`qingshan_plan::values::read_values`]) as new revisions with source `import`, all in one
/// transaction. Returns how many were stored.
pub async fn record_imported(
    store: &Store,
    plan: &Plan,
    rows: &[ValueRow],
    actor: &Actor,
) -> Result<usize> {
    let new: Vec<NewIndicatorValue> = rows
        .iter()
        .map(|r| NewIndicatorValue {
            plan_id: plan.meta.id.clone(),
            indicator_number: r.indicator.into(),
            year: r.year.into(),
            division_code: r.division.clone(),
            value: r.value.to_string(),
            note: r.note.clone(),
            reason: r.reason.clone(),
            source: "import".into(),
        })
        .collect();
    Ok(store.record_indicator_values(&new, actor).await?)
}
