//! Grading of rivers, basins and water systems (22号 §2.4): mean
//! concentrations below 5 sections, shares of section classes from 5 up.

use crate::assess::{AssessOptions, Assessment, Sample, assess};
use crate::error::WaterError;
use crate::exact::Exact;
use crate::standard::{Class, Item, Status, WaterBody};
use crate::stats::{PhMean, spatial_mean};

/// Number of sections from which the share method applies ("5个（含5个）以上").
pub const SHARE_METHOD_MIN_SECTIONS: usize = 5;

/// Reading of the last row of the grading table (reference §2.4).
///
/// The two readings differ only at I–III = 60 %, 劣V = 40 %, which "< 60 %"
/// leaves unmatched.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum HeavyRowRule {
    /// 重度污染 when I–III < 75 % and 劣V ≥ 40 % (government FAQ; default).
    #[default]
    Below75,
    /// 重度污染 when I–III < 60 % and 劣V ≥ 40 % (another reading).
    Below60,
}

/// Shares of section classes and the resulting status.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShareGrading {
    /// Number of sections per class, I to 劣V.
    pub counts: [usize; 6],
    /// Share of sections in I–III, percent (exact).
    pub share_i_iii: Exact,
    /// Share of sections in IV–V, percent (exact).
    pub share_iv_v: Exact,
    /// Share of 劣V sections, percent (exact).
    pub share_worse_than_v: Exact,
    /// The status; `None` only at the point [`HeavyRowRule::Below60`] leaves unmatched.
    pub status: Option<Status>,
    /// Whether the shares sit on the point where the two readings differ
    /// (callers should log a warning).
    pub on_ambiguous_point: bool,
}

/// Grades a set of section classes by the share method (Table 2 of the 办法).
/// `None` for no sections.
pub fn grade_by_shares(classes: &[Class], rule: HeavyRowRule) -> Option<ShareGrading> {
    let n = classes.len();
    if n == 0 {
        return None;
    }
    let mut counts = [0usize; 6];
    for c in classes {
        counts[c.index()] += 1;
    }
    let good = counts[0] + counts[1] + counts[2];
    let mid = counts[3] + counts[4];
    let bad = counts[5];
    // Compare counts by cross-multiplication so 90 %, 75 %, 20 %, 40 % are exact.
    let at_least = |count: usize, pct: usize| count * 100 >= pct * n;
    let ambiguous = good * 100 == 60 * n && bad * 100 == 40 * n;
    let status = if at_least(good, 90) {
        Some(Status::Excellent)
    } else if at_least(good, 75) {
        Some(Status::Good)
    } else if !at_least(bad, 20) {
        Some(Status::LightlyPolluted)
    } else if !at_least(bad, 40) {
        Some(Status::ModeratelyPolluted)
    } else if rule == HeavyRowRule::Below75 || !at_least(good, 60) {
        Some(Status::HeavilyPolluted)
    } else {
        None
    };
    let pct = |count: usize| Exact::ratio(count as i128 * 100, n as i128);
    Some(ShareGrading {
        counts,
        share_i_iii: pct(good),
        share_iv_v: pct(mid),
        share_worse_than_v: pct(bad),
        status,
        on_ambiguous_point: ambiguous,
    })
}

/// Result of grading a river or basin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RiverGrade {
    /// Fewer than 5 sections: the mean of the sections, classified; each
    /// section's own result is still reported.
    MeanConcentration {
        /// Assessment of the mean concentrations.
        mean: Assessment,
        /// Each section's assessment.
        sections: Vec<Assessment>,
    },
    /// 5 sections or more: shares of section classes (no "average class").
    SectionShares {
        /// The share grading.
        grading: ShareGrading,
        /// Up to three main pollutants ranked by section exceedance rate.
        main_pollutants: Vec<(Item, Exact)>,
        /// Each section's assessment.
        sections: Vec<Assessment>,
    },
}

/// Grades a river or basin from each section's period values.
///
/// Sections without any class-setting value are left out of the shares.
pub fn grade_river(
    sections: &[Sample],
    water_body: WaterBody,
    options: &AssessOptions,
    ph: PhMean,
    rule: HeavyRowRule,
) -> Result<Option<RiverGrade>, WaterError> {
    if sections.is_empty() {
        return Ok(None);
    }
    let assessed = sections
        .iter()
        .map(|s| assess(s, options))
        .collect::<Result<Vec<_>, _>>()?;
    if sections.len() < SHARE_METHOD_MIN_SECTIONS {
        let mean = assess(&spatial_mean(water_body, sections, ph)?, options)?;
        return Ok(Some(RiverGrade::MeanConcentration {
            mean,
            sections: assessed,
        }));
    }
    let classes: Vec<Class> = assessed.iter().filter_map(|a| a.class).collect();
    let Some(grading) = grade_by_shares(&classes, rule) else {
        return Ok(None);
    };
    let main_pollutants = main_pollutants_by_exceedance_rate(&assessed);
    Ok(Some(RiverGrade::SectionShares {
        grading,
        main_pollutants,
        sections: assessed,
    }))
}

/// Items worse than Class III in any section, ranked by 断面超标率 (percent
/// of sections where the item is worse than III), top three; ties keep
/// Table 1 order.
pub fn main_pollutants_by_exceedance_rate(sections: &[Assessment]) -> Vec<(Item, Exact)> {
    let n = sections.len();
    if n == 0 {
        return Vec::new();
    }
    let mut rates: Vec<(Item, usize)> = Item::ALL
        .into_iter()
        .map(|item| {
            let count = sections
                .iter()
                .filter(|a| {
                    a.item(item)
                        .is_some_and(|r| r.sets_class && r.class.is_some_and(|c| c > Class::III))
                })
                .count();
            (item, count)
        })
        .filter(|(_, c)| *c > 0)
        .collect();
    rates.sort_by_key(|r| std::cmp::Reverse(r.1));
    rates.truncate(3);
    rates
        .into_iter()
        .filter_map(|(i, c)| Some((i, Exact::new(c as i128 * 100, n as i128)?)))
        .collect()
}

/// Share (percent, exact) of sections of class I–III; the plan's indicator 13
/// is this over the national sections. `None` for no sections.
pub fn share_at_or_better_than_iii(classes: &[Class]) -> Option<Exact> {
    if classes.is_empty() {
        return None;
    }
    let good = classes.iter().filter(|c| **c <= Class::III).count();
    Exact::new(good as i128 * 100, classes.len() as i128)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn classes(spec: &[(Class, usize)]) -> Vec<Class> {
        spec.iter()
            .flat_map(|(c, n)| std::iter::repeat_n(*c, *n))
            .collect()
    }

    fn status(spec: &[(Class, usize)]) -> Option<Status> {
        grade_by_shares(&classes(spec), HeavyRowRule::default())
            .unwrap()
            .status
    }

    use Class::*;

    #[test]
    fn thresholds_are_inclusive() {
        // 90 % exactly → 优; one section less → 良好.
        assert_eq!(status(&[(II, 9), (IV, 1)]), Some(Status::Excellent));
        assert_eq!(status(&[(II, 17), (IV, 3)]), Some(Status::Good));
        // 75 % exactly → 良好; 74 % → polluted.
        assert_eq!(status(&[(III, 3), (WorseThanV, 1)]), Some(Status::Good));
        assert_eq!(
            status(&[(III, 74), (IV, 26)]),
            Some(Status::LightlyPolluted)
        );
        // When I–III ≥ 75 %, the 劣V share does not matter.
        assert_eq!(status(&[(I, 15), (WorseThanV, 5)]), Some(Status::Good));
        // 劣V 20 % exactly → 中度; 19 % → 轻度.
        assert_eq!(
            status(&[(III, 7), (IV, 1), (WorseThanV, 2)]),
            Some(Status::ModeratelyPolluted)
        );
        assert_eq!(
            status(&[(III, 70), (V, 11), (WorseThanV, 19)]),
            Some(Status::LightlyPolluted)
        );
        // 劣V 40 % exactly → 重度; 39 % → 中度.
        assert_eq!(
            status(&[(III, 5), (IV, 1), (WorseThanV, 4)]),
            Some(Status::HeavilyPolluted)
        );
        assert_eq!(
            status(&[(III, 50), (IV, 11), (WorseThanV, 39)]),
            Some(Status::ModeratelyPolluted)
        );
    }

    #[test]
    fn ambiguous_point_follows_the_rule() {
        let c = classes(&[(II, 3), (WorseThanV, 2)]);
        let g75 = grade_by_shares(&c, HeavyRowRule::Below75).unwrap();
        assert_eq!(g75.status, Some(Status::HeavilyPolluted));
        assert!(g75.on_ambiguous_point);
        let g60 = grade_by_shares(&c, HeavyRowRule::Below60).unwrap();
        assert_eq!(g60.status, None);
        assert!(g60.on_ambiguous_point);
        // Elsewhere the readings agree.
        let c = classes(&[(II, 5), (WorseThanV, 5)]);
        let g = grade_by_shares(&c, HeavyRowRule::Below60).unwrap();
        assert_eq!(g.status, Some(Status::HeavilyPolluted));
        assert!(!g.on_ambiguous_point);
        assert_eq!(g.share_i_iii, Exact::int(50));
    }

    #[test]
    fn shares_are_exact() {
        let g = grade_by_shares(
            &classes(&[(I, 1), (IV, 1), (WorseThanV, 1)]),
            HeavyRowRule::default(),
        )
        .unwrap();
        assert_eq!(g.share_i_iii, Exact::new(100, 3).unwrap());
        assert_eq!(g.counts, [1, 0, 0, 1, 0, 1]);
        assert!(grade_by_shares(&[], HeavyRowRule::default()).is_none());
        assert_eq!(
            share_at_or_better_than_iii(&[I, III, IV, V]),
            Some(Exact::int(50))
        );
    }

    fn section(codmn: &str, nh3n: &str) -> Sample {
        Sample::new(WaterBody::River)
            .with(Item::CodMn, Exact::parse(codmn).unwrap())
            .with(Item::Nh3n, Exact::parse(nh3n).unwrap())
    }

    #[test]
    fn four_sections_use_mean_concentrations() {
        // Classes III, III, III, 劣V; the mean NH3-N (0.9·3+2.4)/4 = 1.275 → IV.
        let s = vec![
            section("5", "0.9"),
            section("5", "0.9"),
            section("5", "0.9"),
            section("5", "2.4"),
        ];
        let g = grade_river(
            &s,
            WaterBody::River,
            &AssessOptions::default(),
            PhMean::default(),
            HeavyRowRule::default(),
        )
        .unwrap()
        .unwrap();
        let RiverGrade::MeanConcentration { mean, sections } = g else {
            panic!("expected the mean method below 5 sections")
        };
        assert_eq!(mean.class, Some(IV));
        assert_eq!(sections.len(), 4);
        assert_eq!(sections[3].class, Some(WorseThanV));
    }

    #[test]
    fn five_sections_use_shares() {
        let s = vec![
            section("5", "0.9"),
            section("5", "0.9"),
            section("5", "0.9"),
            section("5", "0.9"),
            section("12", "2.4"),
        ];
        let g = grade_river(
            &s,
            WaterBody::River,
            &AssessOptions::default(),
            PhMean::default(),
            HeavyRowRule::default(),
        )
        .unwrap()
        .unwrap();
        let RiverGrade::SectionShares {
            grading,
            main_pollutants,
            ..
        } = g
        else {
            panic!("expected the share method from 5 sections")
        };
        assert_eq!(grading.share_i_iii, Exact::int(80));
        assert_eq!(grading.status, Some(Status::Good));
        assert_eq!(
            main_pollutants,
            vec![(Item::CodMn, Exact::int(20)), (Item::Nh3n, Exact::int(20))]
        );
    }
}
