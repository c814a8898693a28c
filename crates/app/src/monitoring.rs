//! Indicators computed from monitoring: the plan's air and water indicators of a year, from the
//! stored air hours and water samples, and the two governance indicators the platform's
//! registers answer (23 排污许可证覆盖率 from the pollution-source registry, 24 地表水自动监测
//! 覆盖率 from the water sections and their linked stations), recorded as values "computed from
//! monitoring" with their basis in the note (docs/indicators-from-data.md).
//!
//! An air value keeps its data capture (valid days of the year) and whether that meets GB 3095
//! Table 4 (a year needs ≥ 324 valid daily values, ≥ 27 in each month, February ≥ 25). A value
//! below the rule is stored, so the figure is not lost, but shown as 数据不足 with its capture
//! and never counted as the indicator's value for progress (see `crate::report`).

use chrono::Datelike;
use qingshan_air::daily::MIN_DAYS_YEAR;
use qingshan_plan::Plan;
use qingshan_store::{Actor, Capture, IndicatorValue, NewIndicatorValue, Store};

use crate::report::check_year;
use crate::{Error, Result, air, water};

/// Computes the plan's monitoring-based indicators of `year` for the city and records them as
/// values "computed from monitoring", with the data behind them in the note: 11 (优良天数比例)
/// and 12 (PM2.5 年平均浓度) from the stored air data (HJ 663, the 国控 stations), 13 (国考断面
/// Ⅲ类及以上比例) and 14 (集中式饮用水源达标比例) from the stored surface-water data. Unchanged
/// values are not recorded again. Returns the values recorded.
pub async fn record_monitoring_indicators(
    store: &Store,
    plan: &Plan,
    year: i32,
    actor: &Actor,
) -> Result<Vec<IndicatorValue>> {
    check_year(plan, year)?;
    let city = plan
        .division(&plan.meta.division)
        .map_or("全市", |d| d.name.as_str())
        .to_string();
    // (indicator, division, value, note, capture): the city, then each county with stations.
    let mut wanted: Vec<(i64, String, String, String, Option<Capture>)> = Vec::new();
    let period_days = air::days_in_year(year);
    let opts = qingshan_air::AssessOptions::default();
    let with_stations = air::counties_with_stations(store).await?;
    let mut areas: Vec<(String, String, bool)> = vec![(plan.meta.division.clone(), city, true)];
    areas.extend(
        plan.divisions
            .iter()
            .filter(|d| d.level == qingshan_plan::DivisionLevel::County)
            .filter(|d| with_stations.contains(&d.code))
            .map(|d| (d.code.clone(), d.name.clone(), false)),
    );
    for (code, name, is_city) in areas {
        let (codes, a) = if is_city {
            air::stored_city_assessment(store, &name, year, &opts).await?
        } else {
            air::stored_county_assessment(store, &name, &code, year, &opts).await?
        };
        if codes.is_empty() || a.valid_days == 0 {
            continue;
        }
        let note = format!(
            "由 {} 个{}站点（{}）按 HJ 663 计算：{}",
            codes.len(),
            if is_city { "国控" } else { "" },
            codes.join("、"),
            air::data_capture_note(&a, year)
        );
        // 优良天数比例 has no validity minimum of its own in HJ 663; a share of a year taken from
        // fewer days than GB 3095 asks of any annual statistic is held to the same 324 days.
        let days_capture = Capture {
            valid_days: a.valid_days.into(),
            period_days,
            valid: a.valid_days >= MIN_DAYS_YEAR,
        };
        if let Some(r) = a.good_days_ratio {
            wanted.push((
                11,
                code.clone(),
                r.format_gbt8170(1),
                with_verdict(&note, &days_capture),
                Some(days_capture),
            ));
        }
        if let Some(p) = a.pollutants.get(qingshan_air::Pollutant::Pm25.index())
            && let Some(m) = p.mean
        {
            let c = Capture {
                valid_days: p.valid_days.into(),
                period_days,
                valid: p.data_valid,
            };
            let note = format!(
                "{note}；PM2.5 有效日均值 {} 天{}",
                p.valid_days,
                if c.valid {
                    ""
                } else {
                    "（GB 3095 要求全年 ≥ 324 天且每月 ≥ 27 天，2 月 ≥ 25 天）"
                }
            );
            wanted.push((
                12,
                code,
                m.format_gbt8170(0),
                with_verdict(&note, &c),
                Some(c),
            ));
        }
    }
    let sections = water::sections_year(store, year).await?;
    let w = water::water_year(year, &sections)?;
    if let Some(v) = w.share_iii_or_better {
        wanted.push((
            13,
            plan.meta.division.clone(),
            v,
            format!(
                "按 GB 3838-2002 单因子评价 {} 个国考断面（{}）的年均值",
                w.national_sections.len(),
                w.national_sections.join("、")
            ),
            None,
        ));
    }
    if let Some(v) = w.drinking_source_compliance {
        wanted.push((
            14,
            plan.meta.division.clone(),
            v,
            format!(
                "{} 个集中式饮用水源（{}），{}",
                w.drinking_sources.len(),
                w.drinking_sources.join("、"),
                w.drinking_basis
            ),
            None,
        ));
    }
    // 23 and 24 read the registers as they stand (which enterprises must hold a permit, which
    // sections have a station linked): they describe the year just ended and the current one,
    // never an earlier year, whose network the platform does not know.
    if year >= crate::beijing::today().year() - 1 {
        let year_end = format!("{year}-12-31");
        if let Some((v, note)) =
            permit_coverage(&store.permit_holdings(&year_end).await?, &year_end)
        {
            wanted.push((23, plan.meta.division.clone(), v, note, None));
        }
        if let Some((v, note)) = automation_coverage(&store.section_automation().await?, &year_end)
        {
            wanted.push((24, plan.meta.division.clone(), v, note, None));
        }
    }
    if wanted.is_empty() {
        return Err(Error::invalid(
            "year",
            format!("{year} 年没有可用于计算指标的监测数据"),
        ));
    }
    let current = store.current_indicator_values(&plan.meta.id).await?;
    let mut out = Vec::new();
    for (n, division_code, value, note, capture) in wanted {
        let same = current.iter().any(|v| {
            v.indicator_number == n
                && v.year == i64::from(year)
                && v.division_code == division_code
                && v.value == value
                && v.capture() == capture
        });
        if same {
            continue;
        }
        let new = NewIndicatorValue {
            plan_id: plan.meta.id.clone(),
            indicator_number: n,
            year: year.into(),
            division_code,
            value,
            note: Some(note),
            reason: Some("监测数据计算".into()),
            source: "monitoring".into(),
            capture,
        };
        out.push(store.record_indicator_value(&new, actor).await?);
    }
    Ok(out)
}

/// How many names a note lists before it says "等 N 个".
const NOTE_NAMES: usize = 10;

fn listed(names: &[String]) -> String {
    if names.len() > NOTE_NAMES {
        format!("{} 等 {} 个", names[..NOTE_NAMES].join("、"), names.len())
    } else {
        names.join("、")
    }
}

fn percent(part: usize, whole: usize) -> Option<String> {
    let r = qingshan_exact::Ratio::new(
        i128::try_from(part).ok()? * 100,
        i128::try_from(whole).ok()?,
    )?;
    Some(r.format_gbt8170(1))
}

/// Indicator 23 (排污许可证覆盖率) on `day` (31 December of the year): of the registry's
/// enterprises that must hold a permit (class 重点管理 or 简化管理), the share holding one valid
/// on that day, with the counts in the note. Enterprises without a class entered are left out
/// and counted in the note. `None` when no enterprise must hold a permit.
pub fn permit_coverage(
    holdings: &[qingshan_store::PermitHolding],
    day: &str,
) -> Option<(String, String)> {
    let required: Vec<&qingshan_store::PermitHolding> = holdings
        .iter()
        .filter(|h| {
            h.permit_class
                .as_deref()
                .is_some_and(qingshan_sources::permit_required)
        })
        .collect();
    if required.is_empty() {
        return None;
    }
    let class = |c: &str| {
        required
            .iter()
            .filter(|h| h.permit_class.as_deref() == Some(c))
            .count()
    };
    let holding = required.iter().filter(|h| h.valid_permits > 0).count();
    let missing: Vec<String> = required
        .iter()
        .filter(|h| h.valid_permits == 0)
        .map(|h| format!("{}（{}）", h.name, h.credit_code))
        .collect();
    let unclassified = holdings.iter().filter(|h| h.permit_class.is_none()).count();
    let registration = holdings
        .iter()
        .filter(|h| h.permit_class.as_deref() == Some("registration"))
        .count();
    let mut note = format!(
        "由污染源登记计算：登记排污单位 {} 家，按排污许可分类管理名录须持证 {} 家（重点管理 {} 家、简化管理 {} 家），其中 {} 家在 {day} 持有效排污许可证",
        holdings.len(),
        required.len(),
        class("key"),
        class("simplified"),
        holding
    );
    if !missing.is_empty() {
        note.push_str(&format!("；未持有效许可证：{}", listed(&missing)));
    }
    if registration > 0 {
        note.push_str(&format!("；登记管理 {registration} 家无须持证，不计入"));
    }
    if unclassified > 0 {
        note.push_str(&format!(
            "；{unclassified} 家未填报排污许可管理类别，未计入"
        ));
    }
    Some((percent(holding, required.len())?, note))
}

/// Indicator 24 (县级以上地表水环境质量自动监测覆盖率) at `day` (31 December of the year): of
/// the registered surface-water sections (国考, 省考, 市考) in service on that day, the share
/// with an automatic station linked (an HJ 212 device), with the counts in the note. The link
/// is the one stored when the value is computed. `None` when no section is registered.
pub fn automation_coverage(
    sections: &[qingshan_store::SectionAutomation],
    day: &str,
) -> Option<(String, String)> {
    let in_service: Vec<&qingshan_store::SectionAutomation> = sections
        .iter()
        .filter(|s| s.retired_on.as_deref().is_none_or(|r| r > day))
        .collect();
    if in_service.is_empty() {
        return None;
    }
    let level = |l: &str| in_service.iter().filter(|s| s.level == l).count();
    let automatic: Vec<String> = in_service
        .iter()
        .filter(|s| s.devices > 0)
        .map(|s| s.name.clone())
        .collect();
    let manual: Vec<String> = in_service
        .iter()
        .filter(|s| s.devices == 0)
        .map(|s| s.name.clone())
        .collect();
    let mut note = format!(
        "由水质断面登记计算：{day} 在用的县级以上地表水断面 {} 个（国考 {}、省考 {}、市考 {}），其中 {} 个关联了水质自动监测站",
        in_service.len(),
        level("国考"),
        level("省考"),
        level("市考"),
        automatic.len()
    );
    if !automatic.is_empty() {
        note.push_str(&format!("（{}）", listed(&automatic)));
    }
    if !manual.is_empty() {
        note.push_str(&format!("；无自动站：{}", listed(&manual)));
    }
    note.push_str("；按计算时的站点关联");
    Some((percent(automatic.len(), in_service.len())?, note))
}

/// The note of a value with the verdict on its capture appended when it falls short.
fn with_verdict(note: &str, c: &Capture) -> String {
    if c.valid {
        note.to_string()
    } else {
        format!("{note}。{}，不作为评估依据", capture_label(c))
    }
}

/// How a value computed from too few valid days is shown everywhere:
/// 数据不足（有效天数 56/365，15.3%）.
pub fn capture_label(c: &Capture) -> String {
    let share = qingshan_air::Ratio::new(
        i128::from(c.valid_days) * 100,
        i128::from(c.period_days.max(1)),
    )
    .map_or_else(|| "—".to_string(), |r| r.format_gbt8170(1));
    format!(
        "数据不足（有效天数 {}/{}，{share}%）",
        c.valid_days, c.period_days
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn coverage_counts_only_what_the_rule_names() {
        let h = |code: &str, class: Option<&str>, valid: i64| qingshan_store::PermitHolding {
            credit_code: code.into(),
            name: code.into(),
            division_code: None,
            permit_class: class.map(str::to_string),
            valid_permits: valid,
        };
        // 3 must hold one (key, key, simplified), 1 registration, 1 not entered; 1 of 3 holds.
        let (v, note) = permit_coverage(
            &[
                h("A", Some("key"), 1),
                h("B", Some("key"), 0),
                h("C", Some("simplified"), 0),
                h("D", Some("registration"), 0),
                h("E", None, 2),
            ],
            "2025-12-31",
        )
        .unwrap_or_default();
        assert_eq!(v, "33.3");
        assert!(note.contains("未持有效许可证：B（B）、C（C）"), "{note}");
        assert!(permit_coverage(&[h("D", Some("registration"), 0)], "2025-12-31").is_none());
        let s =
            |code: &str, devices: i64, retired: Option<&str>| qingshan_store::SectionAutomation {
                code: code.into(),
                name: code.into(),
                level: "国考".into(),
                division_code: None,
                retired_on: retired.map(str::to_string),
                devices,
            };
        // Retired on the day itself: out; retired after it: in.
        let (v, _) = automation_coverage(
            &[
                s("W1", 2, None),
                s("W2", 0, None),
                s("W3", 1, Some("2025-12-31")),
                s("W4", 1, Some("2026-01-15")),
            ],
            "2025-12-31",
        )
        .unwrap_or_default();
        assert_eq!(v, "66.7");
        assert!(automation_coverage(&[s("W3", 1, Some("2025-01-01"))], "2025-12-31").is_none());
    }

    #[test]
    fn a_short_capture_reads_as_insufficient() {
        let c = Capture {
            valid_days: 56,
            period_days: 365,
            valid: false,
        };
        assert_eq!(capture_label(&c), "数据不足（有效天数 56/365，15.3%）");
        assert!(with_verdict("由 1 个国控站点计算", &c).ends_with("不作为评估依据"));
        let full = Capture {
            valid_days: 340,
            period_days: 365,
            valid: true,
        };
        assert_eq!(with_verdict("x", &full), "x");
    }
}
