//! Section evaluation by the single-factor method (环办〔2011〕22号): item
//! classes, the section class and status, 超标倍数 and main pollutants.

use std::collections::BTreeMap;

use crate::error::WaterError;
use crate::exact::Exact;
use crate::standard::{Class, Item, Role, Status, WaterBody, classify_item, exceedance_multiple};

/// Values of one section (or point) for one period, one value per item.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sample {
    /// River or lake/reservoir.
    pub water_body: WaterBody,
    /// Measured (or averaged) values; an absent item was not measured.
    pub values: BTreeMap<Item, Exact>,
}

impl Sample {
    /// An empty sample for `water_body`.
    pub fn new(water_body: WaterBody) -> Sample {
        Sample {
            water_body,
            values: BTreeMap::new(),
        }
    }

    /// Adds or replaces a value, returning the sample for chaining.
    pub fn with(mut self, item: Item, value: Exact) -> Sample {
        self.values.insert(item, value);
        self
    }
}

/// Rounding of values before classification.
///
/// The 82号 digit table is unconfirmed (reference §2.9) and moves results
/// across class boundaries (pH 9.2 → 9 → Class I), so it is opt-in.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Rounding {
    /// Classify the values exactly as given (default).
    #[default]
    None,
    /// Round half to even to [`Item::evaluation_decimals`], keeping one
    /// significant figure where that would give zero (环办监测函〔2020〕82号).
    Gb8170Evaluation,
}

impl Rounding {
    /// The value that takes part in classification.
    pub fn apply(self, item: Item, value: Exact) -> Result<Exact, WaterError> {
        match self {
            Rounding::None => Ok(value),
            Rounding::Gb8170Evaluation => value
                .round_keep_significant(item.evaluation_decimals())
                .ok_or(WaterError::Overflow("rounding a value")),
        }
    }
}

/// Which items set the section class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum IndicatorSet {
    /// The 21 routine items of 22号 (default).
    #[default]
    Routine21,
    /// 714号 "5+X": pH, DO, CODMn, NH3-N, TP and the section's X items.
    FivePlusX(Vec<Item>),
}

impl IndicatorSet {
    /// Whether `item` sets the class under this set. TN and fecal coliform
    /// never do: 22号 reports them apart whatever the set.
    pub fn includes(&self, item: Item) -> bool {
        if item.role() == Role::Reference {
            return false;
        }
        match self {
            IndicatorSet::Routine21 => true,
            IndicatorSet::FivePlusX(x) => Item::FIVE_BASIC.contains(&item) || x.contains(&item),
        }
    }
}

/// How cyanide and heavy metals take priority among the main pollutants.
///
/// 22号 says they "take priority" when they exceed Class III, but not whether
/// a prioritised Class IV metal outranks a 劣V nutrient (reference §2.5).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum PriorityRule {
    /// Prioritised items that exceed Class III come first whatever their class (default).
    #[default]
    Absolute,
    /// Class first; within a class, prioritised items come before the others.
    WithinClass,
    /// No priority: class, then multiple.
    Off,
}

/// Cyanide and the heavy metals of Table 1 (arsenic included, as Chinese
/// monitoring groups it with them): the items [`PriorityRule`] favours.
pub const PRIORITY_ITEMS: [Item; 8] = [
    Item::Cn,
    Item::Hg,
    Item::Cd,
    Item::Cr6,
    Item::Pb,
    Item::As,
    Item::Cu,
    Item::Zn,
];

/// Evaluation policy for a section; `Default` is plain 22号 without rounding.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct AssessOptions {
    /// Rounding before classification.
    pub rounding: Rounding,
    /// Items that set the class.
    pub indicators: IndicatorSet,
    /// Priority of cyanide and heavy metals among the main pollutants.
    pub priority: PriorityRule,
}

/// One item's result in a section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ItemResult {
    /// The item.
    pub item: Item,
    /// The value classified (after [`Rounding`]).
    pub value: Exact,
    /// Its class; `None` where the item has no standard (TN in rivers).
    pub class: Option<Class>,
    /// 超标倍数 against Class III, when it exceeds and a multiple is defined.
    pub multiple: Option<Exact>,
    /// Whether the item sets the section class.
    pub sets_class: bool,
}

/// A main pollution indicator (主要污染指标) with its class and multiple.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MainPollutant {
    /// The item.
    pub item: Item,
    /// Its class (worse than III).
    pub class: Class,
    /// Its 超标倍数 against Class III (none for pH and DO).
    pub multiple: Option<Exact>,
}

/// The ordering actually used to pick main pollutants.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OrderingApplied {
    /// No main pollutants: the section is Class III or better (or unclassified).
    NotApplicable,
    /// Class, then multiple; no prioritised item exceeded Class III.
    ClassThenMultiple,
    /// A prioritised item exceeded Class III and the given rule placed it.
    Priority(PriorityRule),
}

/// Result of evaluating one section for one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Assessment {
    /// River or lake/reservoir.
    pub water_body: WaterBody,
    /// Per-item results in Table 1 order.
    pub items: Vec<ItemResult>,
    /// The worst class among the items that set the class; `None` if none was measured.
    pub class: Option<Class>,
    /// Status word of `class`.
    pub status: Option<Status>,
    /// Items that set the class and exceed Class III, with their multiples (Table 1 order).
    pub exceedances: Vec<(Item, Exact)>,
    /// Up to three main pollutants, most important first; empty at Class III or better.
    pub main_pollutants: Vec<MainPollutant>,
    /// The ordering rule that produced `main_pollutants`.
    pub ordering: OrderingApplied,
}

impl Assessment {
    /// The result for `item`, if it was measured.
    pub fn item(&self, item: Item) -> Option<&ItemResult> {
        self.items.iter().find(|r| r.item == item)
    }

    /// Whether the section meets its 水质目标 (class no worse than `target`).
    pub fn meets_target(&self, target: Class) -> Option<bool> {
        self.class.map(|c| meets_target(c, target))
    }
}

/// Section target attainment: a class no worse than the target meets it.
pub fn meets_target(class: Class, target: Class) -> bool {
    class <= target
}

/// Evaluates one sample by the single-factor method.
pub fn assess(sample: &Sample, options: &AssessOptions) -> Result<Assessment, WaterError> {
    let body = sample.water_body;
    let mut items = Vec::with_capacity(sample.values.len());
    for (&item, &raw) in &sample.values {
        if raw.is_negative() {
            return Err(WaterError::Invalid(format!("{item} is negative ({raw})")));
        }
        let value = options.rounding.apply(item, raw)?;
        let class = classify_item(item, body, value);
        let multiple = exceedance_multiple(item, body, value, Class::III);
        items.push(ItemResult {
            item,
            value,
            class,
            multiple,
            sets_class: class.is_some() && options.indicators.includes(item),
        });
    }
    let class = items
        .iter()
        .filter(|r| r.sets_class)
        .filter_map(|r| r.class)
        .max();
    let exceedances = items
        .iter()
        .filter(|r| r.sets_class)
        .filter_map(|r| r.multiple.map(|m| (r.item, m)))
        .collect();
    let (main_pollutants, ordering) = match class {
        Some(c) if c > Class::III => main_pollutants(&items, options.priority),
        _ => (Vec::new(), OrderingApplied::NotApplicable),
    };
    Ok(Assessment {
        water_body: body,
        items,
        class,
        status: class.map(Status::of_class),
        exceedances,
        main_pollutants,
        ordering,
    })
}

/// Ranks the items worse than Class III and keeps three.
///
/// Within a class, items with a multiple rank by it (largest first); pH and
/// DO, which have none, follow them; remaining ties keep Table 1 order. The
/// 办法 leaves both of these open, so they are fixed here to be stable.
fn main_pollutants(
    items: &[ItemResult],
    rule: PriorityRule,
) -> (Vec<MainPollutant>, OrderingApplied) {
    let mut candidates: Vec<MainPollutant> = items
        .iter()
        .filter(|r| r.sets_class)
        .filter_map(|r| match r.class {
            Some(c) if c > Class::III => Some(MainPollutant {
                item: r.item,
                class: c,
                multiple: r.multiple,
            }),
            _ => None,
        })
        .collect();
    let any_priority = candidates.iter().any(|m| PRIORITY_ITEMS.contains(&m.item));
    let prio = |m: &MainPollutant| !PRIORITY_ITEMS.contains(&m.item);
    // Sort is stable and `items` is in Table 1 order, so equal keys keep it.
    candidates.sort_by(|a, b| {
        let by_class = b.class.cmp(&a.class);
        let by_multiple = match (a.multiple, b.multiple) {
            (Some(x), Some(y)) => y.cmp(&x),
            (Some(_), None) => std::cmp::Ordering::Less,
            (None, Some(_)) => std::cmp::Ordering::Greater,
            (None, None) => std::cmp::Ordering::Equal,
        };
        match rule {
            PriorityRule::Absolute => prio(a).cmp(&prio(b)).then(by_class).then(by_multiple),
            PriorityRule::WithinClass => by_class.then(prio(a).cmp(&prio(b))).then(by_multiple),
            PriorityRule::Off => by_class.then(by_multiple),
        }
    });
    candidates.truncate(3);
    let ordering = if any_priority && rule != PriorityRule::Off {
        OrderingApplied::Priority(rule)
    } else {
        OrderingApplied::ClassThenMultiple
    };
    (candidates, ordering)
}

/// Items of `assessment` that fail `target` (GB 3838 §5.1 functional-zone
/// compliance), with multiples against the target-class limit.
pub fn target_failures(
    assessment: &Assessment,
    target: Class,
) -> Vec<(Item, Class, Option<Exact>)> {
    assessment
        .items
        .iter()
        .filter(|r| r.sets_class)
        .filter_map(|r| {
            let c = r.class?;
            (c > target).then(|| {
                (
                    r.item,
                    c,
                    exceedance_multiple(r.item, assessment.water_body, r.value, target),
                )
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    fn river(values: &[(Item, &str)]) -> Sample {
        values
            .iter()
            .fold(Sample::new(WaterBody::River), |s, (i, v)| s.with(*i, p(v)))
    }

    fn lake(values: &[(Item, &str)]) -> Sample {
        values
            .iter()
            .fold(Sample::new(WaterBody::Lake), |s, (i, v)| s.with(*i, p(v)))
    }

    fn names(a: &Assessment) -> Vec<&'static str> {
        a.main_pollutants.iter().map(|m| m.item.code()).collect()
    }

    #[test]
    fn section_class_is_worst_item_for_every_class_pair() {
        // Build every pair of classes from Table 1 values and check the
        // single-factor rule: the section takes the worse one.
        let codmn = ["2", "4", "6", "10", "15", "16"];
        let nh3n = ["0.15", "0.5", "1.0", "1.5", "2.0", "2.1"];
        for (i, a) in codmn.iter().enumerate() {
            for (j, b) in nh3n.iter().enumerate() {
                let s = river(&[(Item::CodMn, a), (Item::Nh3n, b)]);
                let r = assess(&s, &AssessOptions::default()).unwrap();
                let worst = Class::ALL[i.max(j)];
                assert_eq!(r.class, Some(worst), "{a} {b}");
                assert_eq!(r.status, Some(worst.status()));
            }
        }
    }

    #[test]
    fn shared_limits_take_the_best_class() {
        let s = river(&[(Item::Cod, "15"), (Item::Bod5, "3"), (Item::Hg, "0.00005")]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(r.class, Some(Class::I));
        assert_eq!(r.status, Some(Status::Excellent));
    }

    #[test]
    fn tn_and_fc_never_set_the_class() {
        let s = lake(&[(Item::CodMn, "3"), (Item::Tn, "5"), (Item::Fc, "100000")]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(r.class, Some(Class::II));
        assert_eq!(r.item(Item::Tn).unwrap().class, Some(Class::WorseThanV));
        assert_eq!(r.item(Item::Fc).unwrap().class, Some(Class::WorseThanV));
        assert!(r.exceedances.is_empty());
        assert!(r.main_pollutants.is_empty());
        let s = river(&[(Item::Tn, "5")]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(r.item(Item::Tn).unwrap().class, None);
        assert_eq!(r.class, None);
        assert_eq!(r.status, None);
    }

    #[test]
    fn lake_tp_uses_lake_limits_for_class_and_multiple() {
        let s = lake(&[(Item::Tp, "0.08")]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(r.class, Some(Class::IV));
        assert_eq!(r.exceedances, vec![(Item::Tp, p("0.6"))]);
        let r = assess(&river(&[(Item::Tp, "0.08")]), &AssessOptions::default()).unwrap();
        assert_eq!(r.class, Some(Class::II));
    }

    #[test]
    fn no_main_pollutants_at_class_three_or_better() {
        let r = assess(
            &river(&[(Item::Nh3n, "1.0"), (Item::Do, "5")]),
            &AssessOptions::default(),
        )
        .unwrap();
        assert_eq!(r.class, Some(Class::III));
        assert!(r.main_pollutants.is_empty());
        assert_eq!(r.ordering, OrderingApplied::NotApplicable);
    }

    #[test]
    fn main_pollutants_class_first_then_multiple() {
        // COD 劣V with a small multiple outranks CODMn IV with a larger one.
        let s = river(&[
            (Item::CodMn, "9.9"), // IV, multiple 0.65
            (Item::Cod, "41"),    // 劣V, multiple 1.05
            (Item::Nh3n, "2.2"),  // 劣V, multiple 1.2
            (Item::Tp, "0.39"),   // V, multiple 0.95
            (Item::Bod5, "5"),    // IV, multiple 0.25
        ]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(names(&r), ["NH3N", "COD", "TP"]);
        assert_eq!(r.main_pollutants[0].multiple, Some(p("1.2")));
        assert_eq!(r.ordering, OrderingApplied::ClassThenMultiple);
        assert_eq!(r.exceedances.len(), 5);
    }

    #[test]
    fn ph_and_do_rank_after_items_with_multiples_in_their_class() {
        let s = river(&[(Item::Do, "1"), (Item::Ph, "10"), (Item::Nh3n, "2.1")]);
        let r = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(names(&r), ["NH3N", "pH", "DO"]);
        assert!(r.exceedances.iter().all(|(i, _)| *i == Item::Nh3n));
    }

    #[test]
    fn priority_rules() {
        let s = river(&[
            (Item::Nh3n, "3"),  // 劣V, 2.0
            (Item::Tp, "0.5"),  // 劣V, 1.5
            (Item::Cod, "45"),  // 劣V, 1.25
            (Item::Pb, "0.06"), // V, 0.2
        ]);
        let abs = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(names(&abs), ["Pb", "NH3N", "TP"]);
        assert_eq!(
            abs.ordering,
            OrderingApplied::Priority(PriorityRule::Absolute)
        );
        let within = assess(
            &s,
            &AssessOptions {
                priority: PriorityRule::WithinClass,
                ..AssessOptions::default()
            },
        )
        .unwrap();
        assert_eq!(names(&within), ["NH3N", "TP", "COD"]);
        let s2 = river(&[
            (Item::Nh3n, "3"),
            (Item::Cn, "0.25"),
            (Item::Tp, "0.5"),
            (Item::Cod, "45"),
        ]);
        let within2 = assess(
            &s2,
            &AssessOptions {
                priority: PriorityRule::WithinClass,
                ..AssessOptions::default()
            },
        )
        .unwrap();
        assert_eq!(names(&within2), ["CN", "NH3N", "TP"]);
        let off = assess(
            &s2,
            &AssessOptions {
                priority: PriorityRule::Off,
                ..AssessOptions::default()
            },
        )
        .unwrap();
        assert_eq!(names(&off), ["NH3N", "TP", "COD"]);
        assert_eq!(off.ordering, OrderingApplied::ClassThenMultiple);
    }

    #[test]
    fn rounding_option_changes_boundary_cases() {
        let s = river(&[(Item::Ph, "9.2"), (Item::Nh3n, "1.004")]);
        let plain = assess(&s, &AssessOptions::default()).unwrap();
        assert_eq!(plain.class, Some(Class::WorseThanV));
        let rounded = assess(
            &s,
            &AssessOptions {
                rounding: Rounding::Gb8170Evaluation,
                ..AssessOptions::default()
            },
        )
        .unwrap();
        assert_eq!(rounded.item(Item::Ph).unwrap().value, p("9"));
        assert_eq!(rounded.item(Item::Nh3n).unwrap().value, p("1.00"));
        assert_eq!(rounded.class, Some(Class::III));
    }

    #[test]
    fn five_plus_x_ignores_other_items() {
        let s = river(&[(Item::Nh3n, "0.4"), (Item::Cod, "45"), (Item::Pb, "0.2")]);
        let opts = AssessOptions {
            indicators: IndicatorSet::FivePlusX(vec![Item::Pb]),
            ..AssessOptions::default()
        };
        let r = assess(&s, &opts).unwrap();
        assert_eq!(r.class, Some(Class::WorseThanV));
        assert_eq!(names(&r), ["Pb"]);
        assert!(!r.item(Item::Cod).unwrap().sets_class);
    }

    #[test]
    fn target_attainment_and_failures() {
        let r = assess(
            &river(&[(Item::CodMn, "5"), (Item::Nh3n, "0.4")]),
            &AssessOptions::default(),
        )
        .unwrap();
        assert_eq!(r.class, Some(Class::III));
        assert_eq!(r.meets_target(Class::III), Some(true));
        assert_eq!(r.meets_target(Class::IV), Some(true));
        assert_eq!(r.meets_target(Class::II), Some(false));
        assert_eq!(
            target_failures(&r, Class::II),
            vec![(Item::CodMn, Class::III, Some(p("0.25")))]
        );
        assert!(target_failures(&r, Class::III).is_empty());
        assert!(meets_target(Class::WorseThanV, Class::WorseThanV));
    }

    #[test]
    fn negative_values_are_refused() {
        let s = river(&[(Item::Nh3n, "-0.1")]);
        assert!(assess(&s, &AssessOptions::default()).is_err());
    }
}
