//! Centralized drinking-water sources: GB 3838-2002 Tables 2 and 3 and the
//! source compliance rule (Table 1 at Class III or better and every Table 2
//! and selected Table 3 item within its limit).

use std::collections::BTreeMap;

use crate::assess::{AssessOptions, Assessment, Sample, assess};
use crate::error::WaterError;
use crate::exact::Exact;
use crate::standard::Class;
use crate::standard::d;
use crate::stats::{BelowDetectionPolicy, Measurement, arithmetic_mean};

/// An item with a single limit (Tables 2 and 3), in mg/L.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SingleLimitItem {
    /// Table number (2 or 3).
    pub table: u8,
    /// Row number within the table.
    pub number: u8,
    /// Chinese name.
    pub name_zh: &'static str,
    /// English name.
    pub name_en: &'static str,
    /// Limit (value ≤ limit meets it), mg/L.
    pub limit: Exact,
}

const fn t2(
    number: u8,
    name_zh: &'static str,
    name_en: &'static str,
    m: i64,
    s: u32,
) -> SingleLimitItem {
    SingleLimitItem {
        table: 2,
        number,
        name_zh,
        name_en,
        limit: d(m, s),
    }
}

const fn t3(
    number: u8,
    name_zh: &'static str,
    name_en: &'static str,
    m: i64,
    s: u32,
) -> SingleLimitItem {
    SingleLimitItem {
        table: 3,
        number,
        name_zh,
        name_en,
        limit: d(m, s),
    }
}

/// Table 2: supplementary items for centralized drinking-water sources.
pub const TABLE2: [SingleLimitItem; 5] = [
    t2(1, "硫酸盐", "sulfate", 250, 0),
    t2(2, "氯化物", "chloride", 250, 0),
    t2(3, "硝酸盐", "nitrate", 10, 0),
    t2(4, "铁", "iron", 3, 1),
    t2(5, "锰", "manganese", 1, 1),
];

/// Table 3: the 80 specific items. The values come from one public data file
/// and are unconfirmed against the official text (reference §1.5).
pub const TABLE3: [SingleLimitItem; 80] = [
    t3(1, "三氯甲烷", "chloroform", 6, 2),
    t3(2, "四氯化碳", "carbon tetrachloride", 2, 3),
    t3(3, "三溴甲烷", "bromoform", 1, 1),
    t3(4, "二氯甲烷", "dichloromethane", 2, 2),
    t3(5, "1,2-二氯乙烷", "1,2-dichloroethane", 3, 2),
    t3(6, "环氧氯丙烷", "epichlorohydrin", 2, 2),
    t3(7, "氯乙烯", "vinyl chloride", 5, 3),
    t3(8, "1,1-二氯乙烯", "1,1-dichloroethylene", 3, 2),
    t3(9, "1,2-二氯乙烯", "1,2-dichloroethylene", 5, 2),
    t3(10, "三氯乙烯", "trichloroethylene", 7, 2),
    t3(11, "四氯乙烯", "tetrachloroethylene", 4, 2),
    t3(12, "氯丁二烯", "chloroprene", 2, 3),
    t3(13, "六氯丁二烯", "hexachlorobutadiene", 6, 4),
    t3(14, "苯乙烯", "styrene", 2, 2),
    t3(15, "甲醛", "formaldehyde", 9, 1),
    t3(16, "乙醛", "acetaldehyde", 5, 2),
    t3(17, "丙烯醛", "acrolein", 1, 1),
    t3(18, "三氯乙醛", "chloral", 1, 2),
    t3(19, "苯", "benzene", 1, 2),
    t3(20, "甲苯", "toluene", 7, 1),
    t3(21, "乙苯", "ethylbenzene", 3, 1),
    t3(22, "二甲苯", "xylene", 5, 1),
    t3(23, "异丙苯", "cumene", 25, 2),
    t3(24, "氯苯", "chlorobenzene", 3, 1),
    t3(25, "1,2-二氯苯", "1,2-dichlorobenzene", 10, 1),
    t3(26, "1,4-二氯苯", "1,4-dichlorobenzene", 3, 1),
    t3(27, "三氯苯", "trichlorobenzene", 2, 2),
    t3(28, "四氯苯", "tetrachlorobenzene", 2, 2),
    t3(29, "六氯苯", "hexachlorobenzene", 5, 2),
    t3(30, "硝基苯", "nitrobenzene", 17, 3),
    t3(31, "二硝基苯", "dinitrobenzene", 5, 1),
    t3(32, "2,4-二硝基甲苯", "2,4-dinitrotoluene", 3, 4),
    t3(33, "2,4,6-三硝基甲苯", "2,4,6-trinitrotoluene", 5, 1),
    t3(34, "硝基氯苯", "nitrochlorobenzene", 5, 2),
    t3(35, "2,4-二硝基氯苯", "2,4-dinitrochlorobenzene", 5, 1),
    t3(36, "2,4-二氯苯酚", "2,4-dichlorophenol", 93, 3),
    t3(37, "2,4,6-三氯苯酚", "2,4,6-trichlorophenol", 2, 1),
    t3(38, "五氯酚", "pentachlorophenol", 9, 3),
    t3(39, "苯胺", "aniline", 1, 1),
    t3(40, "联苯胺", "benzidine", 2, 4),
    t3(41, "丙烯酰胺", "acrylamide", 5, 4),
    t3(42, "丙烯腈", "acrylonitrile", 1, 1),
    t3(43, "邻苯二甲酸二丁酯", "dibutyl phthalate", 3, 3),
    t3(
        44,
        "邻苯二甲酸二(2-乙基己基)酯",
        "di(2-ethylhexyl) phthalate",
        8,
        3,
    ),
    t3(45, "水合肼", "hydrazine hydrate", 1, 2),
    t3(46, "四乙基铅", "tetraethyl lead", 1, 4),
    t3(47, "吡啶", "pyridine", 2, 1),
    t3(48, "松节油", "turpentine", 2, 1),
    t3(49, "苦味酸", "picric acid", 5, 1),
    t3(50, "丁基黄原酸", "butyl xanthate", 5, 3),
    t3(51, "活性氯", "active chlorine", 1, 2),
    t3(52, "滴滴涕", "DDT", 1, 3),
    t3(53, "林丹", "lindane", 2, 3),
    t3(54, "环氧七氯", "heptachlor epoxide", 2, 4),
    t3(55, "对硫磷", "parathion", 3, 3),
    t3(56, "甲基对硫磷", "methyl parathion", 2, 3),
    t3(57, "马拉硫磷", "malathion", 5, 2),
    t3(58, "乐果", "dimethoate", 8, 2),
    t3(59, "敌敌畏", "dichlorvos", 5, 2),
    t3(60, "敌百虫", "trichlorfon", 5, 2),
    t3(61, "内吸磷", "demeton", 3, 2),
    t3(62, "百菌清", "chlorothalonil", 1, 2),
    t3(63, "甲萘威", "carbaryl", 5, 2),
    t3(64, "溴氰菊酯", "deltamethrin", 2, 2),
    t3(65, "阿特拉津", "atrazine", 3, 3),
    t3(66, "苯并(a)芘", "benzo[a]pyrene", 28, 7),
    t3(67, "甲基汞", "methylmercury", 1, 6),
    t3(68, "多氯联苯", "polychlorinated biphenyls", 2, 5),
    t3(69, "微囊藻毒素-LR", "microcystin-LR", 1, 3),
    t3(70, "黄磷", "yellow phosphorus", 3, 3),
    t3(71, "钼", "molybdenum", 7, 2),
    t3(72, "钴", "cobalt", 1, 0),
    t3(73, "铍", "beryllium", 2, 3),
    t3(74, "硼", "boron", 5, 1),
    t3(75, "锑", "antimony", 5, 3),
    t3(76, "镍", "nickel", 2, 2),
    t3(77, "钡", "barium", 7, 1),
    t3(78, "钒", "vanadium", 5, 2),
    t3(79, "钛", "titanium", 1, 1),
    t3(80, "铊", "thallium", 1, 4),
];

/// Looks up a Table 2 or Table 3 item by table and row number.
pub fn single_limit_item(table: u8, number: u8) -> Option<&'static SingleLimitItem> {
    let rows: &[SingleLimitItem] = match table {
        2 => &TABLE2,
        3 => &TABLE3,
        _ => return None,
    };
    rows.iter().find(|i| i.number == number)
}

/// Looks up a Table 2 or Table 3 item by its Chinese or English name.
pub fn single_limit_item_by_name(name: &str) -> Option<&'static SingleLimitItem> {
    let n = name.trim();
    TABLE2
        .iter()
        .chain(TABLE3.iter())
        .find(|i| i.name_zh == n || i.name_en.eq_ignore_ascii_case(n))
}

impl SingleLimitItem {
    /// The item code used in sample files and the store: `T2-n` for Table 2
    /// row n, `T3-n` for Table 3 row n (see [`single_limit_item_by_code`]).
    pub fn code(&self) -> String {
        format!("T{}-{}", self.table, self.number)
    }
}

/// Looks up a Table 2 or Table 3 item by its code, `T2-1` … `T2-5` and
/// `T3-1` … `T3-80` (the `T` in either case).
///
/// The codes are the table and row numbers of GB 3838-2002 itself: short,
/// ASCII, stable across translations of the names, and impossible to confuse
/// with the Table 1 codes (`pH`, `NH3N`, …) or with each other, which the
/// Chinese names are not always (several isomers, "二氯乙烯" vs "1,2-二氯乙烯").
pub fn single_limit_item_by_code(code: &str) -> Option<&'static SingleLimitItem> {
    let rest = code.trim().strip_prefix(['T', 't'])?;
    let (table, number) = rest.split_once('-')?;
    let digits = |s: &str| !s.is_empty() && s.len() <= 2 && s.bytes().all(|b| b.is_ascii_digit());
    if !digits(table) || !digits(number) || number.starts_with('0') {
        return None;
    }
    single_limit_item(table.parse().ok()?, number.parse().ok()?)
}

/// Annual values of Table 2/3 items from their results of the year: the
/// arithmetic mean per item (22号 evaluates a year on annual arithmetic means,
/// reference §2.2; §2.10 judges these items "each against its single limit"
/// without naming another statistic), results below the detection limit
/// entering under `below_detection`. Ordered by table, then row.
pub fn single_limit_means(
    results: &[(&'static SingleLimitItem, Measurement)],
    below_detection: BelowDetectionPolicy,
) -> Result<Vec<(&'static SingleLimitItem, Exact)>, WaterError> {
    let mut by_item: BTreeMap<(u8, u8), (&'static SingleLimitItem, Vec<Exact>)> = BTreeMap::new();
    for (item, m) in results {
        by_item
            .entry((item.table, item.number))
            .or_insert_with(|| (*item, Vec::new()))
            .1
            .push(m.value(below_detection)?);
    }
    let mut out = Vec::with_capacity(by_item.len());
    for (item, values) in by_item.into_values() {
        if let Some(mean) = arithmetic_mean(&values)? {
            out.push((item, mean));
        }
    }
    Ok(out)
}

/// One Table 2/3 result that exceeds its limit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SingleLimitFailure {
    /// The item.
    pub item: &'static SingleLimitItem,
    /// The measured value.
    pub value: Exact,
    /// 超标倍数 `(C − S)/S`.
    pub multiple: Exact,
}

/// Compliance of one drinking-water source for one period.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceCompliance {
    /// The Table 1 assessment (22号 method; TN and fecal coliform apart).
    pub table1: Assessment,
    /// Whether the Table 1 class is III or better (false when unclassified).
    pub table1_meets_iii: bool,
    /// Table 2/3 items over their limit.
    pub failures: Vec<SingleLimitFailure>,
    /// 达标: Table 1 at III or better and no Table 2/3 failure.
    pub compliant: bool,
}

/// Evaluates a drinking-water source: Table 1 values in `table1`, and the
/// Table 2 and selected Table 3 results as `(item, value)` pairs.
pub fn source_compliance(
    table1: &Sample,
    single: &[(&'static SingleLimitItem, Exact)],
    options: &AssessOptions,
) -> Result<SourceCompliance, WaterError> {
    let a = assess(table1, options)?;
    let table1_meets_iii = a.class.is_some_and(|c| c <= Class::III);
    let mut failures = Vec::new();
    for (item, value) in single {
        if value.is_negative() {
            return Err(WaterError::Invalid(format!(
                "{} is negative ({value})",
                item.name_en
            )));
        }
        if *value > item.limit {
            let multiple = value
                .checked_sub(item.limit)
                .and_then(|d| d.checked_div(item.limit))
                .ok_or(WaterError::Overflow("computing a multiple"))?;
            failures.push(SingleLimitFailure {
                item,
                value: *value,
                multiple,
            });
        }
    }
    let compliant = table1_meets_iii && failures.is_empty();
    Ok(SourceCompliance {
        table1: a,
        table1_meets_iii,
        failures,
        compliant,
    })
}

/// 水源达标率 (percent, exact): compliant sources over all; `None` for none.
pub fn source_compliance_rate(compliant: &[bool]) -> Option<Exact> {
    if compliant.is_empty() {
        return None;
    }
    let ok = compliant.iter().filter(|c| **c).count();
    Exact::new(ok as i128 * 100, compliant.len() as i128)
}

/// 水量达标率 (percent, exact): abstraction volume of compliant sources over
/// the total; `None` when the total volume is zero.
pub fn volume_compliance_rate(sources: &[(bool, Exact)]) -> Result<Option<Exact>, WaterError> {
    let overflow = || WaterError::Overflow("summing volumes");
    let (mut ok, mut total) = (Exact::ZERO, Exact::ZERO);
    for (compliant, volume) in sources {
        if volume.is_negative() {
            return Err(WaterError::Invalid(format!("negative volume {volume}")));
        }
        total = total.checked_add(*volume).ok_or_else(overflow)?;
        if *compliant {
            ok = ok.checked_add(*volume).ok_or_else(overflow)?;
        }
    }
    if total.is_zero() {
        return Ok(None);
    }
    ok.checked_mul(Exact::int(100))
        .and_then(|x| x.checked_div(total))
        .map(Some)
        .ok_or_else(overflow)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::standard::{Item, WaterBody};

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    #[test]
    fn tables_are_complete_and_numbered() {
        for (i, item) in TABLE3.iter().enumerate() {
            assert_eq!(usize::from(item.number), i + 1);
            assert!(item.limit > Exact::ZERO);
        }
        for (i, item) in TABLE2.iter().enumerate() {
            assert_eq!(usize::from(item.number), i + 1);
        }
        assert_eq!(single_limit_item(3, 66).unwrap().limit, p("2.8e-6"));
        assert_eq!(single_limit_item(3, 67).unwrap().limit, p("1.0e-6"));
        assert_eq!(single_limit_item(3, 68).unwrap().limit, p("2.0e-5"));
        assert_eq!(single_limit_item(3, 36).unwrap().limit, p("0.093"));
        assert_eq!(single_limit_item(2, 4).unwrap().limit, p("0.3"));
        assert!(single_limit_item(3, 81).is_none());
        assert_eq!(single_limit_item_by_name("锰").unwrap().limit, p("0.1"));
        assert_eq!(single_limit_item_by_name("Benzene").unwrap().number, 19);
    }

    #[test]
    fn every_single_limit_edge() {
        let t1 = Sample::new(WaterBody::River).with(Item::Nh3n, p("0.5"));
        for item in TABLE2.iter().chain(TABLE3.iter()) {
            let at =
                source_compliance(&t1, &[(item, item.limit)], &AssessOptions::default()).unwrap();
            assert!(at.compliant, "{} at its limit", item.name_en);
            let above = item.limit.checked_add(Exact::dec(1, 15).unwrap()).unwrap();
            let over = source_compliance(&t1, &[(item, above)], &AssessOptions::default()).unwrap();
            assert!(!over.compliant, "{} above its limit", item.name_en);
            assert_eq!(over.failures.len(), 1);
        }
    }

    #[test]
    fn table1_must_be_class_iii_or_better() {
        let iron = single_limit_item_by_name("iron").unwrap();
        let iii = Sample::new(WaterBody::Lake).with(Item::Tp, p("0.05"));
        let c = source_compliance(&iii, &[(iron, p("0.2"))], &AssessOptions::default()).unwrap();
        assert!(c.compliant);
        let iv = Sample::new(WaterBody::Lake).with(Item::Tp, p("0.051"));
        let c = source_compliance(&iv, &[(iron, p("0.2"))], &AssessOptions::default()).unwrap();
        assert!(!c.table1_meets_iii);
        assert!(!c.compliant);
        // TN is reported apart and does not break compliance.
        let tn = Sample::new(WaterBody::Lake)
            .with(Item::Tp, p("0.05"))
            .with(Item::Tn, p("3"));
        assert!(
            source_compliance(&tn, &[], &AssessOptions::default())
                .unwrap()
                .compliant
        );
        let c = source_compliance(&iii, &[(iron, p("0.45"))], &AssessOptions::default()).unwrap();
        assert_eq!(c.failures[0].multiple, p("0.5"));
    }

    #[test]
    fn codes_name_table_and_row() {
        for item in TABLE2.iter().chain(TABLE3.iter()) {
            assert_eq!(single_limit_item_by_code(&item.code()), Some(item));
        }
        assert_eq!(single_limit_item_by_code("T2-4").unwrap().name_zh, "铁");
        assert_eq!(single_limit_item_by_code("t3-19").unwrap().name_zh, "苯");
        assert_eq!(
            single_limit_item_by_code(" T3-80 ").unwrap().name_en,
            "thallium"
        );
        for bad in [
            "T2-6", "T3-81", "T3-0", "T3-019", "T1-1", "T4-1", "T3", "T3-", "3-19", "T3-1a",
            "T+3-1",
        ] {
            assert_eq!(single_limit_item_by_code(bad), None, "{bad}");
        }
    }

    #[test]
    fn annual_means_at_the_limit_pass_and_above_fail() {
        let t1 = Sample::new(WaterBody::River).with(Item::Nh3n, p("0.5"));
        let opts = AssessOptions::default();
        let nitrate = single_limit_item_by_code("T2-3").unwrap();
        let benzene = single_limit_item_by_code("T3-19").unwrap();
        let v = |s: &str| Measurement::Value(p(s));
        // Nitrate 9 and 11 average to exactly the limit 10: passes.
        let at = single_limit_means(
            &[(nitrate, v("9")), (nitrate, v("11"))],
            BelowDetectionPolicy::HalfLimit,
        )
        .unwrap();
        assert_eq!(at, [(nitrate, p("10"))]);
        assert!(source_compliance(&t1, &at, &opts).unwrap().compliant);
        // 9 and 11.000001: the mean is 10.0000005, above the limit by the smallest margin.
        let above = single_limit_means(
            &[(nitrate, v("9")), (nitrate, v("11.000001"))],
            BelowDetectionPolicy::HalfLimit,
        )
        .unwrap();
        let c = source_compliance(&t1, &above, &opts).unwrap();
        assert!(!c.compliant);
        assert_eq!(c.failures[0].item, nitrate);
        assert_eq!(c.failures[0].multiple, p("0.00000005"));
        // Below detection counts as half its limit: <0.02 and 0.0 → 0.005 ≤ 0.01 for benzene;
        // at the limit itself (policy Limit) it is 0.01, still at the limit.
        let nd = Measurement::BelowDetection { limit: p("0.02") };
        let half = single_limit_means(
            &[(benzene, nd), (benzene, v("0"))],
            BelowDetectionPolicy::HalfLimit,
        )
        .unwrap();
        assert_eq!(half, [(benzene, p("0.005"))]);
        let full = single_limit_means(
            &[(benzene, nd), (benzene, v("0"))],
            BelowDetectionPolicy::Limit,
        )
        .unwrap();
        assert_eq!(full, [(benzene, p("0.01"))]);
        assert!(source_compliance(&t1, &full, &opts).unwrap().compliant);
        // Ordered by table and row whatever the input order.
        let both = single_limit_means(
            &[(benzene, v("0")), (nitrate, v("1"))],
            BelowDetectionPolicy::HalfLimit,
        )
        .unwrap();
        assert_eq!(
            both.iter().map(|(i, _)| i.code()).collect::<Vec<_>>(),
            ["T2-3", "T3-19"]
        );
    }

    #[test]
    fn rates() {
        assert_eq!(
            source_compliance_rate(&[true, true, false, true]),
            Some(Exact::int(75))
        );
        assert_eq!(source_compliance_rate(&[]), None);
        let v = volume_compliance_rate(&[(true, p("300")), (false, p("100"))]).unwrap();
        assert_eq!(v, Some(Exact::int(75)));
        assert_eq!(
            volume_compliance_rate(&[(false, Exact::ZERO)]).unwrap(),
            None
        );
    }
}
