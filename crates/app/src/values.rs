//! Indicator values: the checks a value to record passes against the plan, and recording the
//! rows of a values file.

use qingshan_plan::values::ValueRow;
use qingshan_plan::{Decimal, Indicator, Plan};
use qingshan_store::{Actor, ImportCounts, IndicatorValue, NewIndicatorValue, Role, Store, User};

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
/// transaction. A row identical to the current revision is not written again: returns how
/// many were new, changed and unchanged.
pub async fn record_imported(
    store: &Store,
    plan: &Plan,
    rows: &[ValueRow],
    actor: &Actor,
) -> Result<ImportCounts> {
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
            capture: None,
        })
        .collect();
    Ok(store.record_indicator_values_changes(&new, actor).await?)
}

/// A value someone enters for an indicator, by form or API.
#[derive(Debug, Clone)]
pub struct ValueEntry {
    /// Indicator number.
    pub number: u32,
    /// Year the value describes.
    pub year: i64,
    /// GB/T 2260 code.
    pub division: String,
    /// The value as written.
    pub value: String,
    /// Note shown with the value.
    pub note: Option<String>,
    /// Why (for a revision).
    pub reason: Option<String>,
    /// Where it came from (`manual`, `api`).
    pub source: String,
}

/// Records a value `user` enters, as a new revision, after every check: the indicator exists,
/// the user may enter it for the division, the value passes [`validate_value`], and a value
/// computed from monitoring is corrected only by staff with a reason (and marked
/// `correction`). Every error but [`Error::Store`] is a refusal the caller may audit.
pub async fn record_value(
    store: &Store,
    plan: &Plan,
    user: &User,
    actor: &Actor,
    entry: ValueEntry,
) -> Result<IndicatorValue> {
    let number = entry.number;
    let ind = plan
        .indicator(number)
        .ok_or_else(|| Error::NotFound(format!("没有第 {number} 项指标")))?;
    crate::accounts::value_permission(user, ind, &entry.division).map_err(Error::Forbidden)?;
    let value = validate_value(plan, ind, entry.year, &entry.division, &entry.value)?;
    let note = entry.note.filter(|n| !n.trim().is_empty());
    let reason = entry.reason.filter(|n| !n.trim().is_empty());
    // A value computed from monitoring is not silently overwritten: only staff may correct it,
    // with a reason, and the correction is marked as such.
    let mut source = entry.source;
    let latest_source = store
        .indicator_value_history(&plan.meta.id, number.into(), Some(&entry.division))
        .await?
        .into_iter()
        .filter(|v| v.year == entry.year)
        .max_by_key(|v| v.revision)
        .map(|v| v.source);
    if matches!(latest_source.as_deref(), Some("monitoring" | "correction")) {
        if !matches!(user.role, Role::Admin | Role::Staff) {
            return Err(Error::Forbidden(
                "该数值由监测数据计算，只能由生态环境局复核更正".into(),
            ));
        }
        if reason.is_none() {
            return Err(Error::invalid("reason", "更正监测计算值须写明原因"));
        }
        source = "correction".into();
    }
    if note.as_ref().is_some_and(|n| n.chars().count() > 500)
        || reason.as_ref().is_some_and(|n| n.chars().count() > 500)
    {
        return Err(Error::invalid("note", "说明不超过 500 字"));
    }
    let new = NewIndicatorValue {
        plan_id: plan.meta.id.clone(),
        indicator_number: number.into(),
        year: entry.year,
        division_code: entry.division,
        value: value.to_string(),
        note,
        reason,
        source,
        capture: None,
    };
    Ok(store.record_indicator_value(&new, actor).await?)
}
