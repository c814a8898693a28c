//! Indicators computed from monitoring: the plan's air and water indicators of a year, from the
//! stored air hours and water samples, recorded as values "computed from monitoring".

use qingshan_plan::Plan;
use qingshan_store::{Actor, IndicatorValue, NewIndicatorValue, Store};

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
    // (indicator, division, value, note): the city, then each county with stations of its own.
    let mut wanted: Vec<(i64, String, String, String)> = Vec::new();
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
        if let Some(r) = a.good_days_ratio {
            wanted.push((11, code.clone(), r.format_gbt8170(1), note.clone()));
        }
        if let Some(m) = a
            .pollutants
            .get(qingshan_air::Pollutant::Pm25.index())
            .and_then(|p| p.mean)
        {
            wanted.push((12, code, m.format_gbt8170(0), note));
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
        ));
    }
    if wanted.is_empty() {
        return Err(Error::invalid(
            "year",
            format!("{year} 年没有可用于计算指标的监测数据"),
        ));
    }
    let current = store.current_indicator_values(&plan.meta.id).await?;
    let mut out = Vec::new();
    for (n, division_code, value, note) in wanted {
        let same = current.iter().any(|v| {
            v.indicator_number == n
                && v.year == i64::from(year)
                && v.division_code == division_code
                && v.value == value
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
        };
        out.push(store.record_indicator_value(&new, actor).await?);
    }
    Ok(out)
}
