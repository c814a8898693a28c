//! The annual assessment report's data (规划实施情况评估报告), read from the store, and the
//! year an assessment defaults to.

use std::collections::{BTreeMap, BTreeSet};

use qingshan_plan::Plan;
use qingshan_report::{
    AssignedTarget, Inputs, Issue, ManualJudgement, ReportData, TaskReportInput, TaskState,
    ValueInput,
};
use qingshan_store::{IndicatorValue, Store};

use crate::{Error, Result};

/// The report's issue by the plan's default unit (`qingshan_report::default_unit`), dated
/// today in Beijing: what the pages use, where nobody names a unit or a date.
pub fn issued_today(plan: &Plan) -> Issue {
    Issue::by_default_unit(plan, crate::beijing::today())
}

/// Everything the report for `year` rests on, read from the store, with the cover of `issue`.
///
/// A value computed from too few valid days (数据不足) is not a value of its indicator: it is
/// left out, so the indicator is judged on its earlier values or as 无数据, and the reasoning
/// says which value was left out and why.
pub async fn report_data(
    store: &Store,
    plan: &Plan,
    year: i32,
    issue: &Issue,
) -> Result<ReportData> {
    let pid = &plan.meta.id;
    let all = store.current_indicator_values(pid).await?;
    let (left_out, values): (Vec<IndicatorValue>, Vec<IndicatorValue>) =
        all.into_iter().partition(IndicatorValue::insufficient);
    let assigned = store.current_assigned_targets(pid).await?;
    let judgements = store.current_judgements(pid).await?;
    let tasks = store.all_task_reports(pid).await?;
    let inputs = Inputs {
        values: values
            .iter()
            .map(|v| ValueInput {
                indicator: v.indicator_number as u32,
                year: v.year as i32,
                division: v.division_code.clone(),
                value: v.value.clone(),
            })
            .collect(),
        assigned: assigned
            .iter()
            .map(|a| AssignedTarget {
                indicator: a.indicator_number as u32,
                year: a.year as i32,
                division: a.division_code.clone(),
                value: a.value.clone(),
            })
            .collect(),
        judgements: judgements
            .iter()
            .filter(|j| j.year == i64::from(year))
            .map(|j| ManualJudgement {
                indicator: j.indicator_number as u32,
                division: j.division_code.clone(),
                met: j.met,
                justification: j.justification.clone(),
            })
            .collect(),
        task_reports: tasks
            .iter()
            .filter_map(|t| {
                let status = t.status.as_str().parse::<TaskState>().ok()?;
                Some(TaskReportInput {
                    area: t.area as u32,
                    number: t.number as u32,
                    period: t.period.clone(),
                    status,
                    narrative: t.narrative.clone(),
                })
            })
            .collect(),
        options: Default::default(),
        scoring: Default::default(),
        ledger: crate::ledger::ledger(store, plan, crate::beijing::today())
            .await?
            .iter()
            .map(crate::ledger::report_item)
            .collect(),
    };
    let mut data = ReportData::build(plan, year, &inputs, issue).map_err(Error::Report)?;
    for v in left_out
        .iter()
        .filter(|v| v.division_code == plan.meta.division && v.year <= i64::from(year))
    {
        let Some(c) = v.capture() else { continue };
        if let Some(i) = data
            .indicators
            .iter_mut()
            .find(|i| i64::from(i.number) == v.indicator_number)
        {
            i.reasoning.push_str(&format!(
                "；{} 年数值 {} 为{}，不作为评估依据",
                v.year,
                v.value,
                crate::monitoring::capture_label(&c)
            ));
        }
    }
    Ok(data)
}

/// Checks that `year` is one the plan assesses: after its baseline year, up to its last
/// milestone.
pub fn check_year(plan: &Plan, year: i32) -> Result<()> {
    let first = plan.meta.baseline_year + 1;
    let last = plan.meta.milestone_years.last().copied().unwrap_or(first);
    if year < first || year > last {
        return Err(Error::invalid(
            "year",
            format!("评估年度应在 {first}–{last} 之间"),
        ));
    }
    Ok(())
}

/// Share of the fullest year's indicators a year needs to count as complete, in percent.
pub const COMPLETE_PERCENT: usize = 80;

/// The year an assessment defaults to, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YearChoice {
    /// The year assessed by default.
    pub year: i32,
    /// Per assessable year with data: city indicators with a valid value.
    pub counts: BTreeMap<i32, usize>,
    /// Indicators a year needs to be complete: [`COMPLETE_PERCENT`] % of the fullest year's,
    /// rounded up.
    pub needed: usize,
}

impl YearChoice {
    /// Indicators with data in `year`.
    pub fn count(&self, year: i32) -> usize {
        self.counts.get(&year).copied().unwrap_or(0)
    }

    /// Later years with data that are not complete, each with its count.
    pub fn passed_over(&self) -> Vec<(i32, usize)> {
        self.counts
            .range(self.year + 1..)
            .map(|(y, n)| (*y, *n))
            .collect()
    }

    /// Why `shown` is assessed, in Chinese, e.g. 按 2024 年评估（2025 年仅 1 项有数据，未纳入默认）.
    pub fn explanation(&self, shown: i32) -> String {
        if shown != self.year {
            return format!(
                "按 {shown} 年评估（所选年份，该年 {} 项指标有数据；默认评估年份为 {} 年）",
                self.count(shown),
                self.year
            );
        }
        if self.counts.is_empty() {
            return format!("按 {shown} 年评估（尚无指标数据，取基准年后第一年）");
        }
        let mut text = format!(
            "按 {shown} 年评估（该年 {} 项指标有数据；默认取有数据的指标数不少于各年最多者 {COMPLETE_PERCENT}%（{} 项）的最近年份",
            self.count(shown),
            self.needed
        );
        let later = self.passed_over();
        if !later.is_empty() {
            let parts: Vec<String> = later
                .iter()
                .map(|(y, n)| format!("{y} 年仅 {n} 项有数据"))
                .collect();
            text.push_str(&format!("；{}，未纳入默认", parts.join("，")));
        }
        text.push('）');
        text
    }
}

/// The year an assessment defaults to: the latest year whose data are complete.
///
/// Per assessable year (after the baseline year, up to the last milestone) it counts the city
/// indicators with a valid value (a value computed from too few valid days does not count). A
/// year is complete when that count reaches [`COMPLETE_PERCENT`] % of the fullest year's; the
/// latest complete year is the default. One value imported for a new year therefore does not
/// move the assessment: that year becomes the default only once most indicators are in. With
/// no values at all, the first year after the baseline.
pub fn default_year(values: &[IndicatorValue], plan: &Plan) -> YearChoice {
    let first = plan.meta.baseline_year + 1;
    let last = plan.meta.milestone_years.last().copied().unwrap_or(first);
    let mut per_year: BTreeMap<i32, BTreeSet<i64>> = BTreeMap::new();
    for v in values.iter().filter(|v| {
        v.division_code == plan.meta.division
            && !v.insufficient()
            && (i64::from(first)..=i64::from(last)).contains(&v.year)
    }) {
        per_year
            .entry(v.year as i32)
            .or_default()
            .insert(v.indicator_number);
    }
    let counts: BTreeMap<i32, usize> = per_year.into_iter().map(|(y, s)| (y, s.len())).collect();
    let most = counts.values().copied().max().unwrap_or(0);
    let needed = (most * COMPLETE_PERCENT).div_ceil(100).max(1);
    let year = counts
        .iter()
        .rev()
        .find(|(_, n)| **n >= needed)
        .map_or(first, |(y, _)| *y);
    YearChoice {
        year,
        counts,
        needed,
    }
}

/// Reads a `?year=` of a page: empty means the default; anything else must be a year the plan
/// assesses, or the error names 年份.
pub fn parse_year(plan: &Plan, text: Option<&str>) -> Result<Option<i32>> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let year: i32 = t
        .parse()
        .map_err(|_| Error::invalid("year", format!("年份「{t}」无效：应为四位数字，如 2024")))?;
    check_year(plan, year).map_err(|_| {
        let first = plan.meta.baseline_year + 1;
        let last = plan.meta.milestone_years.last().copied().unwrap_or(first);
        Error::invalid(
            "year",
            format!("年份 {year} 不在评估期内：应在 {first}–{last} 之间"),
        )
    })?;
    Ok(Some(year))
}

/// The latest year with any valid value of any indicator in any division: where value entry
/// and an indicator's page start (not the baseline year).
pub fn latest_data_year(values: &[IndicatorValue], indicator: Option<i64>) -> Option<i32> {
    values
        .iter()
        .filter(|v| !v.insufficient() && indicator.is_none_or(|n| v.indicator_number == n))
        .map(|v| v.year as i32)
        .max()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn years_outside_the_plan_are_named() {
        let plan = qingshan_plan::xinzhou().unwrap_or_else(|e| panic!("{e}"));
        let first = plan.meta.baseline_year + 1;
        assert!(check_year(&plan, first).is_ok());
        let e = check_year(&plan, first - 1).err().map(|e| e.to_string());
        assert!(e.is_some_and(|m| m.starts_with("年份：评估年度应在")));
    }

    fn value(n: i64, year: i64, division: &str, capture_valid: Option<bool>) -> IndicatorValue {
        IndicatorValue {
            id: 0,
            plan_id: "p".into(),
            indicator_number: n,
            year,
            division_code: division.into(),
            revision: 1,
            value: "1".into(),
            note: None,
            reason: None,
            source: "manual".into(),
            entered_by: None,
            entered_by_name: None,
            entered_at: String::new(),
            valid_days: capture_valid.map(|v| if v { 340 } else { 56 }),
            period_days: capture_valid.map(|_| 365),
            capture_valid,
        }
    }

    #[test]
    fn one_value_for_a_new_year_does_not_move_the_default() {
        let plan = qingshan_plan::xinzhou().unwrap_or_else(|e| panic!("{e}"));
        let city = plan.meta.division.clone();
        assert_eq!(default_year(&[], &plan).year, 2021);
        assert!(
            default_year(&[], &plan)
                .explanation(2021)
                .contains("尚无指标数据")
        );
        let mut values: Vec<IndicatorValue> = Vec::new();
        for n in 1..=15 {
            values.push(value(n, 2020, &city, None));
            values.push(value(n, 2023, &city, None));
            values.push(value(n, 2024, &city, None));
        }
        // A county's values and an earlier year's do not make a year complete.
        values.push(value(1, 2025, "140902", None));
        let c = default_year(&values, &plan);
        assert_eq!((c.year, c.needed), (2024, 12));
        values.push(value(3, 2025, &city, None));
        let c = default_year(&values, &plan);
        assert_eq!(c.year, 2024);
        assert_eq!(c.passed_over(), [(2025, 1)]);
        let why = c.explanation(2024);
        assert!(
            why.starts_with("按 2024 年评估（该年 15 项指标有数据"),
            "{why}"
        );
        assert!(why.contains("2025 年仅 1 项有数据，未纳入默认"), "{why}");
        assert!(c.explanation(2023).contains("所选年份"));
        // 数据不足 values count for nothing.
        for n in 4..=15 {
            values.push(value(n, 2025, &city, Some(false)));
        }
        assert_eq!(default_year(&values, &plan).year, 2024);
        // Once most indicators are in, the new year is the default.
        for n in 4..=14 {
            values.push(value(n, 2025, &city, Some(true)));
        }
        assert_eq!(default_year(&values, &plan).year, 2025);
    }

    #[test]
    fn a_bad_year_names_the_field_in_chinese() {
        let plan = qingshan_plan::xinzhou().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(parse_year(&plan, None).ok(), Some(None));
        assert_eq!(parse_year(&plan, Some(" ")).ok(), Some(None));
        assert_eq!(parse_year(&plan, Some("2024")).ok(), Some(Some(2024)));
        for bad in ["abc", "2019", "20245"] {
            let e = parse_year(&plan, Some(bad)).err().map(|e| e.to_string());
            assert!(
                e.as_deref().is_some_and(|m| m.contains("年份")),
                "{bad}: {e:?}"
            );
        }
    }

    #[test]
    fn the_latest_data_year_skips_insufficient_values() {
        let values = [
            value(12, 2023, "140900", None),
            value(12, 2025, "140900", Some(false)),
            value(7, 2024, "140902", None),
        ];
        assert_eq!(latest_data_year(&values, Some(12)), Some(2023));
        assert_eq!(latest_data_year(&values, None), Some(2024));
        assert_eq!(latest_data_year(&values, Some(5)), None);
    }
}
