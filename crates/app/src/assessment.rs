//! Inputs of the annual assessment that staff enter: the province's assigned target for an
//! indicator, and a judgement of a qualitative target.

use qingshan_plan::{Plan, TargetKind};
use qingshan_store::{Actor, AssignedTargetRow, InputKey, JudgementRow, Store};

use crate::values::validate_value;
use crate::{Error, Result};

/// Which indicator, year and division an input is for.
#[derive(Debug, Clone)]
pub struct InputAt {
    /// Indicator number.
    pub number: u32,
    /// Year.
    pub year: i64,
    /// GB/T 2260 code; the plan's own division when `None`.
    pub division: Option<String>,
}

/// Records the province's value for an indicator whose target is “完成省级下达任务”, at `at`.
/// An unknown indicator is [`Error::NotFound`]; an indicator of another kind or a value that
/// fails [`validate_value`] is [`Error::Invalid`].
pub async fn record_assigned_target(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    at: InputAt,
    value: &str,
    note: Option<&str>,
) -> Result<AssignedTargetRow> {
    let InputAt {
        number,
        year,
        division,
    } = at;
    let ind = plan
        .indicator(number)
        .ok_or_else(|| Error::NotFound(format!("没有第 {number} 项指标")))?;
    if !ind
        .targets
        .iter()
        .any(|t| matches!(t.kind, TargetKind::ProvincialAssignment))
    {
        return Err(Error::invalid(
            "indicator",
            "该指标的目标不是“完成省级下达任务”",
        ));
    }
    let division = division.unwrap_or_else(|| plan.meta.division.clone());
    let value = validate_value(plan, ind, year, &division, value)?;
    Ok(store
        .record_assigned_target(
            InputKey {
                plan_id: &plan.meta.id,
                indicator: number.into(),
                year,
                division: &division,
            },
            &value.to_string(),
            note,
            actor,
        )
        .await?)
}

/// Records whether a target is judged met, with the justification (required) and a note of the
/// evidence (optional), at `at`. An unknown indicator is [`Error::NotFound`]; an empty
/// justification is [`Error::Invalid`].
pub async fn record_judgement(
    store: &Store,
    plan: &Plan,
    actor: &Actor,
    at: InputAt,
    met: bool,
    justification: &str,
    evidence: Option<&str>,
) -> Result<JudgementRow> {
    let InputAt {
        number,
        year,
        division,
    } = at;
    if plan.indicator(number).is_none() {
        return Err(Error::NotFound(format!("没有第 {number} 项指标")));
    }
    if justification.trim().is_empty() {
        return Err(Error::invalid("justification", "人工评定须写明依据"));
    }
    if justification.chars().count() > 2000 {
        return Err(Error::invalid("justification", "评定依据不超过 2000 字"));
    }
    let evidence = evidence.map(str::trim).filter(|e| !e.is_empty());
    if evidence.is_some_and(|e| e.chars().count() > 500) {
        return Err(Error::invalid("evidence", "证明材料说明不超过 500 字"));
    }
    let division = division.unwrap_or_else(|| plan.meta.division.clone());
    if plan.division(&division).is_none() {
        return Err(Error::invalid(
            "division",
            format!("行政区划：规划中没有代码为「{division}」的区划"),
        ));
    }
    Ok(store
        .record_judgement_with_evidence(
            InputKey {
                plan_id: &plan.meta.id,
                indicator: number.into(),
                year,
                division: &division,
            },
            met,
            justification.trim(),
            evidence,
            actor,
        )
        .await?)
}

/// Whether indicator `number` takes an assigned target (its target is “完成省级下达任务”).
pub fn takes_assigned_target(plan: &Plan, number: u32) -> bool {
    plan.indicator(number).is_some_and(|ind| {
        ind.targets
            .iter()
            .any(|t| matches!(t.kind, TargetKind::ProvincialAssignment))
    })
}

/// Every revision of an indicator's assigned targets and judgements, newest first.
pub async fn input_history(
    store: &Store,
    plan: &Plan,
    number: u32,
) -> Result<(Vec<AssignedTargetRow>, Vec<JudgementRow>)> {
    let n = i64::from(number);
    Ok((
        store.assigned_target_history(&plan.meta.id, n).await?,
        store.judgement_history(&plan.meta.id, n).await?,
    ))
}
