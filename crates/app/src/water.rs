//! Yearly surface-water figures: the annual table of sections (class, status, target attainment,
//! main pollutants), river grading, the plan's indicators 13 and 14, a section's monthly
//! classes. Every figure is computed from the stored samples by `qingshan_water`, following
//! 环办〔2011〕22号: a period's class is the class of the period's mean concentrations.
//!
//! Automatic-station data (daily means from HJ 212, source `hj212`) enter by the 82号 priority
//! rule ([`AUTOMATIC_RULE`], see [`month_inputs`]); Table 2/3 results of drinking-water sources
//! enter indicator 14 by their annual means ([`SectionYear::single_limit`]).

use std::collections::BTreeMap;

use chrono::NaiveDate;
use qingshan_store::{Store, StoreError, WaterSample, WaterSection};
use qingshan_water::automatic::{AutomaticRule, MonthInput, month_observations};
use qingshan_water::drinking::{
    SingleLimitItem, single_limit_item_by_code, single_limit_means, source_compliance,
    source_compliance_rate,
};
use qingshan_water::grading::{HeavyRowRule, RiverGrade, grade_river, share_at_or_better_than_iii};
use qingshan_water::stats::{
    BelowDetectionPolicy, MeanOptions, Measurement, Observation, period_mean,
};
use qingshan_water::{
    AssessOptions, Assessment, Class, Exact, Item, Sample, WaterBody, WaterError, assess,
};
use serde::Serialize;

/// The level whose sections make the plan's indicator 13 (national assessment sections).
pub const NATIONAL_LEVEL: &str = "国考";

/// Decimals of published shares (percent).
const SHARE_DECIMALS: u32 = 1;

/// Stored water data that `qingshan_water` cannot read back or evaluate.
#[derive(Debug, thiserror::Error)]
pub enum WaterDataError {
    /// A stored value, item or section field is malformed.
    #[error("断面 {section} {date} 的 {column} 存储值无效：{value:?}")]
    Corrupt {
        /// Section code.
        section: String,
        /// Sampling date (empty for section fields).
        date: String,
        /// Column.
        column: String,
        /// The stored text.
        value: String,
    },
    /// The evaluation failed (overflow of exact arithmetic).
    #[error("水质评价失败：{0}")]
    Water(#[from] WaterError),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// A section's registry fields read into `qingshan_water` types.
pub fn section_kind(s: &WaterSection) -> Result<(WaterBody, Class), WaterDataError> {
    let corrupt = |column: &str, value: &str| WaterDataError::Corrupt {
        section: s.code.clone(),
        date: String::new(),
        column: column.to_string(),
        value: value.to_string(),
    };
    let body =
        WaterBody::from_code(&s.water_body).ok_or_else(|| corrupt("water_body", &s.water_body))?;
    let target = Class::from_code(&s.target_class)
        .ok_or_else(|| corrupt("target_class", &s.target_class))?;
    Ok((body, target))
}

/// Stored results grouped by sampling date, as `qingshan_water` observations.
pub fn observations(
    samples: &[WaterSample],
) -> Result<BTreeMap<String, Observation>, WaterDataError> {
    let mut out: BTreeMap<String, Observation> = BTreeMap::new();
    for s in samples {
        let corrupt = |column: &str, value: &str| WaterDataError::Corrupt {
            section: s.section_code.clone(),
            date: s.date.clone(),
            column: column.to_string(),
            value: value.to_string(),
        };
        let item = Item::from_code(&s.item).ok_or_else(|| corrupt("item", &s.item))?;
        let value = Exact::parse(&s.value).map_err(|_| corrupt("value", &s.value))?;
        let m = if s.below_detection {
            Measurement::BelowDetection { limit: value }
        } else {
            Measurement::Value(value)
        };
        out.entry(s.date.clone())
            .or_insert_with(|| Observation {
                values: BTreeMap::new(),
            })
            .values
            .insert(item, m);
    }
    Ok(out)
}

/// The mean sample of a set of observations (22号: non-detects at half the limit, pH via H⁺).
fn mean_sample(body: WaterBody, obs: &[Observation]) -> Result<Sample, WaterDataError> {
    Ok(period_mean(body, obs, MeanOptions::default())?)
}

/// How automatic-station data enter the monthly and annual assessment: the 82号 priority for
/// pH, DO, CODMn, NH3-N, TP and TN (see [`qingshan_water::automatic::AutomaticRule`]).
pub const AUTOMATIC_RULE: AutomaticRule = AutomaticRule::Priority;

/// A section's stored results of a year, sorted by kind.
#[derive(Debug, Clone, Default)]
pub struct SampleParts {
    /// Manual (laboratory) Table 1 results: every source but `hj212`.
    pub manual: Vec<WaterSample>,
    /// Daily means of automatic stations (source `hj212`).
    pub automatic: Vec<WaterSample>,
    /// Table 2/3 results (drinking-water sources) with their item.
    pub single: Vec<(&'static SingleLimitItem, Measurement)>,
    /// Distinct dates of manual results (Table 1, 2 or 3).
    pub manual_dates: usize,
    /// Distinct dates with automatic daily means.
    pub automatic_days: usize,
}

/// Sorts stored results into manual Table 1 results, automatic daily means and Table 2/3
/// results; an item or value that cannot be read is reported as corrupt.
pub fn sample_parts(samples: &[WaterSample]) -> Result<SampleParts, WaterDataError> {
    let mut parts = SampleParts::default();
    let (mut manual_dates, mut automatic_days) = (
        std::collections::BTreeSet::new(),
        std::collections::BTreeSet::new(),
    );
    for s in samples {
        if s.source == qingshan_store::AUTOMATIC_SOURCE {
            automatic_days.insert(s.date.as_str());
            parts.automatic.push(s.clone());
            continue;
        }
        manual_dates.insert(s.date.as_str());
        match single_limit_item_by_code(&s.item).filter(|i| i.code() == s.item) {
            Some(item) => {
                let corrupt = || WaterDataError::Corrupt {
                    section: s.section_code.clone(),
                    date: s.date.clone(),
                    column: "value".into(),
                    value: s.value.clone(),
                };
                let v = Exact::parse(&s.value).map_err(|_| corrupt())?;
                let m = if s.below_detection {
                    Measurement::BelowDetection { limit: v }
                } else {
                    Measurement::Value(v)
                };
                parts.single.push((item, m));
            }
            None => parts.manual.push(s.clone()),
        }
    }
    parts.manual_dates = manual_dates.len();
    parts.automatic_days = automatic_days.len();
    Ok(parts)
}

fn month_of(section: &str, date: &str) -> Result<u32, WaterDataError> {
    date.get(5..7)
        .and_then(|m| m.parse::<u32>().ok())
        .filter(|m| (1..=12).contains(m))
        .ok_or_else(|| WaterDataError::Corrupt {
            section: section.to_string(),
            date: date.to_string(),
            column: "sample_date".into(),
            value: date.to_string(),
        })
}

/// Each month's assessment input (month 1–12 → observations).
///
/// The rule ([`AUTOMATIC_RULE`], 82号): where automatic daily means exist in a month for pH,
/// DO, CODMn, NH3-N, TP or TN, the month's value of that item is the mean of those daily means
/// and the manual results of that item in that month are set aside; every other item keeps its
/// manual results only. In the annual mean an automatic month counts once, like a monthly
/// manual sample (see [`qingshan_water::automatic::month_observations`]).
pub fn month_inputs(
    section: &str,
    parts: &SampleParts,
    rule: AutomaticRule,
) -> Result<BTreeMap<u32, MonthInput>, WaterDataError> {
    let mut by_month: BTreeMap<u32, (Vec<Observation>, Vec<Observation>)> = BTreeMap::new();
    for (date, o) in observations(&parts.manual)? {
        by_month
            .entry(month_of(section, &date)?)
            .or_default()
            .0
            .push(o);
    }
    for (date, o) in observations(&parts.automatic)? {
        by_month
            .entry(month_of(section, &date)?)
            .or_default()
            .1
            .push(o);
    }
    let mut out = BTreeMap::new();
    for (m, (manual, automatic)) in by_month {
        let input = month_observations(&manual, &automatic, rule, MeanOptions::default())?;
        if !input.observations.is_empty() {
            out.insert(m, input);
        }
    }
    Ok(out)
}

/// One section's year: annual and monthly means and their assessments.
#[derive(Debug, Clone)]
pub struct SectionYear {
    /// The section.
    pub section: WaterSection,
    /// Its water-body kind.
    pub body: WaterBody,
    /// Its 水质目标.
    pub target: Class,
    /// Manual sampling dates in the year.
    pub dates: usize,
    /// Days with automatic-station daily means in the year.
    pub automatic_days: usize,
    /// Annual mean concentrations (empty when there are no samples).
    pub annual_mean: Sample,
    /// Assessment of the annual means.
    pub annual: Assessment,
    /// Month (1–12) → assessment of that month's means.
    pub monthly: BTreeMap<u32, Assessment>,
    /// Month → items whose month value came from automatic data (months without any omitted).
    pub monthly_automatic: BTreeMap<u32, Vec<Item>>,
    /// Annual means of the Table 2/3 items measured (arithmetic, non-detects at half the
    /// limit), by table and row. GB 3838 and the reference name no other annual statistic for
    /// them, so the annual arithmetic mean of 22号 applies (reference §2.2, §2.10).
    pub single_limit: Vec<(&'static SingleLimitItem, Exact)>,
}

/// Evaluates one section's stored samples of a year.
pub fn section_year(
    section: WaterSection,
    samples: &[WaterSample],
) -> Result<SectionYear, WaterDataError> {
    let (body, target) = section_kind(&section)?;
    let parts = sample_parts(samples)?;
    let opts = AssessOptions::default();
    let mut monthly = BTreeMap::new();
    let mut monthly_automatic = BTreeMap::new();
    let mut all: Vec<Observation> = Vec::new();
    for (m, input) in month_inputs(&section.code, &parts, AUTOMATIC_RULE)? {
        monthly.insert(m, assess(&mean_sample(body, &input.observations)?, &opts)?);
        if !input.automatic_items.is_empty() {
            monthly_automatic.insert(m, input.automatic_items);
        }
        all.extend(input.observations);
    }
    let annual_mean = mean_sample(body, &all)?;
    let annual = assess(&annual_mean, &opts)?;
    let single_limit = single_limit_means(&parts.single, BelowDetectionPolicy::default())?;
    Ok(SectionYear {
        section,
        body,
        target,
        dates: parts.manual_dates,
        automatic_days: parts.automatic_days,
        annual_mean,
        annual,
        monthly,
        monthly_automatic,
        single_limit,
    })
}

/// Every section's year from the store.
pub async fn sections_year(store: &Store, year: i32) -> Result<Vec<SectionYear>, WaterDataError> {
    let retired = crate::stations::retired_from(&store.water_section_retirements().await?);
    let first_day = NaiveDate::from_ymd_opt(year, 1, 1);
    // A retired section no longer counts from its retirement date: its later results are left
    // out, and a section retired before the year began is not part of the year at all.
    let sections: Vec<WaterSection> = store
        .water_sections()
        .await?
        .into_iter()
        .filter(|s| match (retired.get(&s.code), first_day) {
            (Some(from), Some(first)) => *from > first,
            _ => true,
        })
        .collect();
    let samples = store.water_samples(None, year).await?;
    let mut by_section: BTreeMap<&str, Vec<WaterSample>> = BTreeMap::new();
    for s in samples.iter().filter(|s| {
        match (
            retired.get(&s.section_code),
            NaiveDate::parse_from_str(&s.date, "%Y-%m-%d"),
        ) {
            (Some(from), Ok(day)) => day < *from,
            _ => true,
        }
    }) {
        by_section
            .entry(s.section_code.as_str())
            .or_default()
            .push(s.clone());
    }
    let mut out = Vec::with_capacity(sections.len());
    for sec in sections {
        let rows = by_section.remove(sec.code.as_str()).unwrap_or_default();
        out.push(section_year(sec, &rows)?);
    }
    Ok(out)
}

/// Percent with [`SHARE_DECIMALS`] decimals.
fn percent(e: Exact) -> Option<String> {
    e.round_half_even(SHARE_DECIMALS)
        .and_then(|r| r.to_fixed(SHARE_DECIMALS))
}

/// A section's annual result as the pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct SectionRow {
    /// The section.
    #[serde(flatten)]
    pub section: WaterSection,
    /// Sampling dates in the year.
    pub dates: usize,
    /// Annual class (I … 劣V); `None` without class-setting data.
    pub class: Option<&'static str>,
    /// 优 … 重度污染.
    pub status: Option<&'static str>,
    /// Colour of the status.
    pub colour: Option<&'static str>,
    /// Whether the class meets the target.
    pub meets_target: Option<bool>,
    /// Main pollutants with their 超标倍数 against Class III, e.g. `氨氮(0.50)`.
    pub main_pollutants: Vec<String>,
    /// Annual mean concentrations by item code, exact decimals to 6 places.
    pub means: BTreeMap<&'static str, String>,
    /// Days with automatic-station daily means.
    pub automatic_days: usize,
    /// Drinking-water source meeting the standard (indicator 14): Table 1 at Class III or
    /// better and every measured Table 2/3 item's annual mean within its limit; `None` for
    /// other sections and for sources without a Table 1 class.
    pub source_compliant: Option<bool>,
    /// Table 2/3 items over their limit, with the 超标倍数, e.g. `铁(0.50)`.
    pub source_failures: Vec<String>,
    /// Table 2/3 annual means.
    pub single_limit: Vec<SingleLimitRow>,
    /// Path of the section's page.
    pub href: String,
}

/// One Table 2/3 item's annual result at a drinking-water source.
#[derive(Debug, Clone, Serialize)]
pub struct SingleLimitRow {
    /// Item code, `T2-1` … `T3-80`.
    pub code: String,
    /// 2 (补充项目) or 3 (特定项目).
    pub table: u8,
    /// Chinese name.
    pub name: &'static str,
    /// Annual mean, mg/L, exact decimal to 6 places (more where the limit needs them).
    pub mean: String,
    /// The limit, mg/L.
    pub limit: String,
    /// Whether the mean exceeds the limit (a mean equal to it meets it).
    pub exceeds: bool,
    /// 超标倍数 when it exceeds.
    pub multiple: Option<String>,
}

/// Exact decimal text to 6 places, or more for values (the Table 3 limits down to 10⁻⁶) that
/// 6 places would round to zero.
fn decimal_text(v: Exact) -> String {
    v.round_keep_significant(6)
        .and_then(|x| x.to_decimal_string())
        .unwrap_or_default()
}

/// A Table 2/3 超标倍数 to 2 decimals; one just over its limit keeps one significant figure
/// rather than printing as 0.00.
fn single_multiple_text(m: Exact) -> String {
    qingshan_water::csv_io::format_multiple(m, 2).unwrap_or_default()
}

fn multiple_text(m: Option<Exact>) -> String {
    m.and_then(|x| x.round_half_even(2))
        .and_then(|x| x.to_fixed(2))
        .unwrap_or_default()
}

/// A section's annual result as the pages and the API show it.
pub fn section_row(sy: &SectionYear) -> Result<SectionRow, WaterDataError> {
    let a = &sy.annual;
    let (source_compliant, source_failures) = if sy.section.is_drinking_source && a.class.is_some()
    {
        let c = source_compliance(&sy.annual_mean, &sy.single_limit, &AssessOptions::default())?;
        let failures = c
            .failures
            .iter()
            .map(|f| format!("{}({})", f.item.name_zh, single_multiple_text(f.multiple)))
            .collect();
        (Some(c.compliant), failures)
    } else {
        (None, Vec::new())
    };
    let single_limit = sy
        .single_limit
        .iter()
        .map(|(item, mean)| SingleLimitRow {
            code: item.code(),
            table: item.table,
            name: item.name_zh,
            mean: decimal_text(*mean),
            limit: decimal_text(item.limit),
            exceeds: *mean > item.limit,
            multiple: mean
                .checked_sub(item.limit)
                .and_then(|d| d.checked_div(item.limit))
                .filter(|m| *m > Exact::ZERO)
                .map(single_multiple_text),
        })
        .collect();
    Ok(SectionRow {
        automatic_days: sy.automatic_days,
        source_failures,
        single_limit,
        dates: sy.dates,
        class: a.class.map(Class::as_str),
        status: a.status.map(|s| s.as_str()),
        colour: a.status.map(|s| s.colour()),
        meets_target: a.meets_target(sy.target),
        main_pollutants: a
            .main_pollutants
            .iter()
            .map(|p| match p.multiple {
                Some(_) => format!("{}({})", p.item.name_zh(), multiple_text(p.multiple)),
                None => p.item.name_zh().to_string(),
            })
            .collect(),
        means: sy
            .annual_mean
            .values
            .iter()
            .map(|(i, v)| {
                (
                    i.code(),
                    v.round_half_even(6)
                        .and_then(|x| x.to_decimal_string())
                        .unwrap_or_default(),
                )
            })
            .collect(),
        source_compliant,
        href: section_href(&sy.section.code),
        section: sy.section.clone(),
    })
}

/// One river or basin's grading.
#[derive(Debug, Clone, Serialize)]
pub struct RiverRow {
    /// River or basin name.
    pub basin: String,
    /// Sections with data.
    pub sections: usize,
    /// `mean_concentration` (fewer than 5 sections) or `section_shares`.
    pub method: &'static str,
    /// Class of the mean concentrations (mean method only).
    pub class: Option<&'static str>,
    /// Status word.
    pub status: Option<&'static str>,
    /// Share of sections I–III, percent (share method only).
    pub share_i_iii: Option<String>,
    /// Share of sections IV–V, percent (share method only).
    pub share_iv_v: Option<String>,
    /// Share of sections 劣V, percent (share method only).
    pub share_worse_than_v: Option<String>,
}

/// Grades each river (sections of kind river grouped by basin) from the annual means.
pub fn river_grades(years: &[SectionYear]) -> Result<Vec<RiverRow>, WaterDataError> {
    let mut basins: BTreeMap<&str, Vec<Sample>> = BTreeMap::new();
    for sy in years {
        if sy.body != WaterBody::River || sy.annual.class.is_none() {
            continue;
        }
        if let Some(b) = sy.section.basin.as_deref() {
            basins.entry(b).or_default().push(sy.annual_mean.clone());
        }
    }
    let mut out = Vec::new();
    for (basin, samples) in basins {
        let graded = grade_river(
            &samples,
            WaterBody::River,
            &AssessOptions::default(),
            MeanOptions::default().ph,
            HeavyRowRule::default(),
        )?;
        let row = match graded {
            Some(RiverGrade::MeanConcentration { mean, .. }) => RiverRow {
                basin: basin.to_string(),
                sections: samples.len(),
                method: "mean_concentration",
                class: mean.class.map(Class::as_str),
                status: mean.status.map(|s| s.as_str()),
                share_i_iii: None,
                share_iv_v: None,
                share_worse_than_v: None,
            },
            Some(RiverGrade::SectionShares { grading, .. }) => RiverRow {
                basin: basin.to_string(),
                sections: samples.len(),
                method: "section_shares",
                class: None,
                status: grading.status.map(|s| s.as_str()),
                share_i_iii: percent(grading.share_i_iii),
                share_iv_v: percent(grading.share_iv_v),
                share_worse_than_v: percent(grading.share_worse_than_v),
            },
            None => continue,
        };
        out.push(row);
    }
    Ok(out)
}

/// The year's city results: every section, the rivers, and indicators 13 and 14.
#[derive(Debug, Clone, Serialize)]
pub struct WaterYear {
    /// Calendar year.
    pub year: i32,
    /// Per-section results, by code.
    pub sections: Vec<SectionRow>,
    /// River grading.
    pub rivers: Vec<RiverRow>,
    /// Indicator 13: share of classified 国考 sections at Class III or better, percent to
    /// 1 decimal (rounded half-even from the exact ratio); `None` without such sections.
    pub share_iii_or_better: Option<String>,
    /// Codes of the 国考 sections behind indicator 13.
    pub national_sections: Vec<String>,
    /// Indicator 14: drinking-water sources that meet the standard (Table 1 at Class III or
    /// better, and every measured Table 2/3 item's annual mean within its limit), percent to
    /// 1 decimal.
    pub drinking_source_compliance: Option<String>,
    /// Codes of the drinking-water sources behind indicator 14.
    pub drinking_sources: Vec<String>,
    /// What indicator 14 checked, in words: the tables that had results (recorded with the
    /// indicator's value).
    pub drinking_basis: String,
}

/// The tables indicator 14 checked, in words, from the sources behind it.
fn drinking_basis(years: &[SectionYear], sources: &[&str]) -> String {
    let has = |table: u8| {
        years.iter().any(|y| {
            sources.contains(&y.section.code.as_str())
                && y.single_limit.iter().any(|(i, _)| i.table == table)
        })
    };
    match (has(2), has(3)) {
        (false, false) => "按表 1 基本项目Ⅲ类判定（无表 2、表 3 项目监测结果）".to_string(),
        (t2, t3) => {
            let tables = match (t2, t3) {
                (true, true) => "表 2 补充项目、表 3 特定项目",
                (true, false) => "表 2 补充项目（无表 3 特定项目监测结果）",
                _ => "表 3 特定项目（无表 2 补充项目监测结果）",
            };
            format!("按表 1 基本项目Ⅲ类及{tables}判定，表 2、表 3 项目以年均值对照标准限值")
        }
    }
}

/// Computes the year's results from the evaluated sections.
pub fn water_year(year: i32, years: &[SectionYear]) -> Result<WaterYear, WaterDataError> {
    let sections = years
        .iter()
        .map(section_row)
        .collect::<Result<Vec<_>, _>>()?;
    let national: Vec<(&str, Class)> = years
        .iter()
        .filter(|s| s.section.level == NATIONAL_LEVEL)
        .filter_map(|s| s.annual.class.map(|c| (s.section.code.as_str(), c)))
        .collect();
    let classes: Vec<Class> = national.iter().map(|(_, c)| *c).collect();
    let drinking: Vec<(&str, bool)> = sections
        .iter()
        .filter_map(|r| r.source_compliant.map(|c| (r.section.code.as_str(), c)))
        .collect();
    let compliant: Vec<bool> = drinking.iter().map(|(_, c)| *c).collect();
    let codes: Vec<&str> = drinking.iter().map(|(c, _)| *c).collect();
    Ok(WaterYear {
        drinking_basis: drinking_basis(years, &codes),
        year,
        share_iii_or_better: share_at_or_better_than_iii(&classes).and_then(percent),
        national_sections: national.iter().map(|(c, _)| c.to_string()).collect(),
        drinking_source_compliance: source_compliance_rate(&compliant).and_then(percent),
        drinking_sources: drinking.iter().map(|(c, _)| c.to_string()).collect(),
        rivers: river_grades(years)?,
        sections,
    })
}

/// The page of a section, its code percent-encoded as one path segment.
pub fn section_href(code: &str) -> String {
    format!("/water/sections/{}", crate::path_segment(code))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn section_path_is_one_segment() {
        assert_eq!(section_href("W 1/é"), "/water/sections/W%201%2F%C3%A9");
    }
}
