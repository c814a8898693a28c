//! GB 3838-2002 Table 1 (basic items): items, classes, limits and the
//! single-item classification.

use std::fmt;

use crate::exact::Exact;

/// Kind of water body, which selects the total-phosphorus limits and whether
/// total nitrogen has a standard.
///
/// River-type reservoirs (河流型水库) are evaluated as rivers (22号), so
/// callers pass [`WaterBody::River`] for them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum WaterBody {
    /// River (河流), including river-type reservoirs.
    River,
    /// Lake or reservoir (湖、库).
    Lake,
}

impl WaterBody {
    /// The CSV spelling: `river` or `lake`.
    pub fn as_str(self) -> &'static str {
        match self {
            WaterBody::River => "river",
            WaterBody::Lake => "lake",
        }
    }

    /// Reads `river` or `lake` (case-insensitive, surrounding blanks ignored).
    pub fn from_code(text: &str) -> Option<WaterBody> {
        let t = text.trim();
        if t.eq_ignore_ascii_case("river") {
            Some(WaterBody::River)
        } else if t.eq_ignore_ascii_case("lake") {
            Some(WaterBody::Lake)
        } else {
            None
        }
    }
}

/// A water-quality class; the derived order runs from best (I) to worst (劣V).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Class {
    /// Class I.
    I,
    /// Class II.
    II,
    /// Class III.
    III,
    /// Class IV.
    IV,
    /// Class V.
    V,
    /// Worse than Class V (劣V).
    WorseThanV,
}

impl Class {
    /// All classes from best to worst.
    pub const ALL: [Class; 6] = [
        Class::I,
        Class::II,
        Class::III,
        Class::IV,
        Class::V,
        Class::WorseThanV,
    ];

    /// The five classes that have limits, best first.
    pub const LIMITED: [Class; 5] = [Class::I, Class::II, Class::III, Class::IV, Class::V];

    /// Text as in the CSV contract: `I`, `II`, `III`, `IV`, `V`, `劣V`.
    pub fn as_str(self) -> &'static str {
        match self {
            Class::I => "I",
            Class::II => "II",
            Class::III => "III",
            Class::IV => "IV",
            Class::V => "V",
            Class::WorseThanV => "劣V",
        }
    }

    /// Reads the CSV spelling (also accepts `worse_than_v`).
    pub fn from_code(text: &str) -> Option<Class> {
        let t = text.trim();
        Class::ALL
            .into_iter()
            .find(|c| c.as_str().eq_ignore_ascii_case(t))
            .or_else(|| {
                t.eq_ignore_ascii_case("worse_than_v")
                    .then_some(Class::WorseThanV)
            })
    }

    /// Index 0..=5 from best to worst.
    pub fn index(self) -> usize {
        self as usize
    }

    /// The status word of a section of this class (22号 §2.3).
    pub fn status(self) -> Status {
        Status::of_class(self)
    }
}

impl fmt::Display for Class {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Water-quality status word (水质状况) of a section, river or basin.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Status {
    /// 优 (classes I–II; rivers: I–III share ≥ 90 %).
    Excellent,
    /// 良好 (class III; rivers: 75 % ≤ I–III share < 90 %).
    Good,
    /// 轻度污染 (class IV).
    LightlyPolluted,
    /// 中度污染 (class V).
    ModeratelyPolluted,
    /// 重度污染 (劣V).
    HeavilyPolluted,
}

impl Status {
    /// The status of a single section of class `class`.
    pub fn of_class(class: Class) -> Status {
        match class {
            Class::I | Class::II => Status::Excellent,
            Class::III => Status::Good,
            Class::IV => Status::LightlyPolluted,
            Class::V => Status::ModeratelyPolluted,
            Class::WorseThanV => Status::HeavilyPolluted,
        }
    }

    /// The Chinese status word.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Excellent => "优",
            Status::Good => "良好",
            Status::LightlyPolluted => "轻度污染",
            Status::ModeratelyPolluted => "中度污染",
            Status::HeavilyPolluted => "重度污染",
        }
    }

    /// Display colour used in bulletins (unconfirmed in the reference).
    pub fn colour(self) -> &'static str {
        match self {
            Status::Excellent => "blue",
            Status::Good => "green",
            Status::LightlyPolluted => "yellow",
            Status::ModeratelyPolluted => "orange",
            Status::HeavilyPolluted => "red",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A GB 3838-2002 Table 1 item that has class limits.
///
/// Water temperature (item 1) is absent: its limit is a change against the
/// natural temperature, not a concentration, and it never sets a class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Item {
    /// pH (dimensionless).
    Ph,
    /// Dissolved oxygen 溶解氧.
    Do,
    /// Permanganate index 高锰酸盐指数.
    CodMn,
    /// Chemical oxygen demand 化学需氧量.
    Cod,
    /// Five-day biochemical oxygen demand 五日生化需氧量.
    Bod5,
    /// Ammonia nitrogen 氨氮.
    Nh3n,
    /// Total phosphorus 总磷 (river and lake limits differ).
    Tp,
    /// Total nitrogen 总氮 (lakes and reservoirs only).
    Tn,
    /// Copper 铜.
    Cu,
    /// Zinc 锌.
    Zn,
    /// Fluoride 氟化物.
    F,
    /// Selenium 硒.
    Se,
    /// Arsenic 砷.
    As,
    /// Mercury 汞.
    Hg,
    /// Cadmium 镉.
    Cd,
    /// Hexavalent chromium 铬（六价）.
    Cr6,
    /// Lead 铅.
    Pb,
    /// Cyanide 氰化物.
    Cn,
    /// Volatile phenol 挥发酚.
    Phenol,
    /// Petroleum 石油类.
    Oil,
    /// Anionic surfactant 阴离子表面活性剂.
    Las,
    /// Sulfide 硫化物.
    S2,
    /// Fecal coliform 粪大肠菌群 (count per litre).
    Fc,
}

/// How an item's limits are expressed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Limit {
    /// Upper limits for classes I–V (value ≤ limit meets the class).
    AtMost([Exact; 5]),
    /// Lower limits for classes I–V (value ≥ limit meets the class); DO.
    AtLeast([Exact; 5]),
    /// One inclusive range for classes I–V alike; anything outside is 劣V (pH).
    Range {
        /// Lowest allowed value.
        low: Exact,
        /// Highest allowed value.
        high: Exact,
    },
}

/// The table value `m × 10^-s`. Used only to build constants, so an entry that cannot be
/// held exactly stops the build instead of reaching a run.
pub(crate) const fn d(m: i64, s: u32) -> Exact {
    match Exact::dec(m, s) {
        Some(x) => x,
        None => panic!("标准限值超出精确表示范围"),
    }
}

const fn at_most(v: [(i64, u32); 5]) -> Limit {
    Limit::AtMost([
        d(v[0].0, v[0].1),
        d(v[1].0, v[1].1),
        d(v[2].0, v[2].1),
        d(v[3].0, v[3].1),
        d(v[4].0, v[4].1),
    ])
}

const PH: Limit = Limit::Range {
    low: d(6, 0),
    high: d(9, 0),
};
// Class I is "90 % saturation (or 7.5)"; every public implementation uses 7.5.
const DO: Limit = Limit::AtLeast([d(75, 1), d(6, 0), d(5, 0), d(3, 0), d(2, 0)]);
const CODMN: Limit = at_most([(2, 0), (4, 0), (6, 0), (10, 0), (15, 0)]);
const COD: Limit = at_most([(15, 0), (15, 0), (20, 0), (30, 0), (40, 0)]);
const BOD5: Limit = at_most([(3, 0), (3, 0), (4, 0), (6, 0), (10, 0)]);
const NH3N: Limit = at_most([(15, 2), (5, 1), (10, 1), (15, 1), (20, 1)]);
const TP_RIVER: Limit = at_most([(2, 2), (1, 1), (2, 1), (3, 1), (4, 1)]);
const TP_LAKE: Limit = at_most([(1, 2), (25, 3), (5, 2), (1, 1), (2, 1)]);
const TN_LAKE: Limit = at_most([(2, 1), (5, 1), (10, 1), (15, 1), (20, 1)]);
const CU: Limit = at_most([(1, 2), (10, 1), (10, 1), (10, 1), (10, 1)]);
const ZN: Limit = at_most([(5, 2), (10, 1), (10, 1), (20, 1), (20, 1)]);
const F: Limit = at_most([(10, 1), (10, 1), (10, 1), (15, 1), (15, 1)]);
const SE: Limit = at_most([(1, 2), (1, 2), (1, 2), (2, 2), (2, 2)]);
const AS: Limit = at_most([(5, 2), (5, 2), (5, 2), (1, 1), (1, 1)]);
const HG: Limit = at_most([(5, 5), (5, 5), (1, 4), (1, 3), (1, 3)]);
const CD: Limit = at_most([(1, 3), (5, 3), (5, 3), (5, 3), (1, 2)]);
const CR6: Limit = at_most([(1, 2), (5, 2), (5, 2), (5, 2), (1, 1)]);
const PB: Limit = at_most([(1, 2), (1, 2), (5, 2), (5, 2), (1, 1)]);
const CN: Limit = at_most([(5, 3), (5, 2), (2, 1), (2, 1), (2, 1)]);
const PHENOL: Limit = at_most([(2, 3), (2, 3), (5, 3), (1, 2), (1, 1)]);
const OIL: Limit = at_most([(5, 2), (5, 2), (5, 2), (5, 1), (10, 1)]);
const LAS: Limit = at_most([(2, 1), (2, 1), (2, 1), (3, 1), (3, 1)]);
const S2: Limit = at_most([(5, 2), (1, 1), (2, 1), (5, 1), (10, 1)]);
const FC: Limit = at_most([(200, 0), (2000, 0), (10000, 0), (20000, 0), (40000, 0)]);

/// Whether an item sets the class or is reported apart (22号 §2.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// One of the 21 routine evaluation items.
    Evaluation,
    /// Reported separately; never sets the class (TN, fecal coliform).
    Reference,
}

impl Item {
    /// All 23 items in Table 1 order (water temperature excluded).
    pub const ALL: [Item; 23] = [
        Item::Ph,
        Item::Do,
        Item::CodMn,
        Item::Cod,
        Item::Bod5,
        Item::Nh3n,
        Item::Tp,
        Item::Tn,
        Item::Cu,
        Item::Zn,
        Item::F,
        Item::Se,
        Item::As,
        Item::Hg,
        Item::Cd,
        Item::Cr6,
        Item::Pb,
        Item::Cn,
        Item::Phenol,
        Item::Oil,
        Item::Las,
        Item::S2,
        Item::Fc,
    ];

    /// The 21 routine evaluation items of 22号 (Table 1 less temperature, TN, FC).
    pub const ROUTINE_21: [Item; 21] = [
        Item::Ph,
        Item::Do,
        Item::CodMn,
        Item::Cod,
        Item::Bod5,
        Item::Nh3n,
        Item::Tp,
        Item::Cu,
        Item::Zn,
        Item::F,
        Item::Se,
        Item::As,
        Item::Hg,
        Item::Cd,
        Item::Cr6,
        Item::Pb,
        Item::Cn,
        Item::Phenol,
        Item::Oil,
        Item::Las,
        Item::S2,
    ];

    /// The five fixed items of the 14th Five-Year "5+X" evaluation (714号).
    pub const FIVE_BASIC: [Item; 5] = [Item::Ph, Item::Do, Item::CodMn, Item::Nh3n, Item::Tp];

    /// The CSV column name (`pH`, `DO`, `CODMn`, …).
    pub fn code(self) -> &'static str {
        match self {
            Item::Ph => "pH",
            Item::Do => "DO",
            Item::CodMn => "CODMn",
            Item::Cod => "COD",
            Item::Bod5 => "BOD5",
            Item::Nh3n => "NH3N",
            Item::Tp => "TP",
            Item::Tn => "TN",
            Item::Cu => "Cu",
            Item::Zn => "Zn",
            Item::F => "F",
            Item::Se => "Se",
            Item::As => "As",
            Item::Hg => "Hg",
            Item::Cd => "Cd",
            Item::Cr6 => "Cr6",
            Item::Pb => "Pb",
            Item::Cn => "CN",
            Item::Phenol => "Phenol",
            Item::Oil => "Oil",
            Item::Las => "LAS",
            Item::S2 => "S2",
            Item::Fc => "FC",
        }
    }

    /// The Chinese name used in reports.
    pub fn name_zh(self) -> &'static str {
        match self {
            Item::Ph => "pH",
            Item::Do => "溶解氧",
            Item::CodMn => "高锰酸盐指数",
            Item::Cod => "化学需氧量",
            Item::Bod5 => "五日生化需氧量",
            Item::Nh3n => "氨氮",
            Item::Tp => "总磷",
            Item::Tn => "总氮",
            Item::Cu => "铜",
            Item::Zn => "锌",
            Item::F => "氟化物",
            Item::Se => "硒",
            Item::As => "砷",
            Item::Hg => "汞",
            Item::Cd => "镉",
            Item::Cr6 => "铬（六价）",
            Item::Pb => "铅",
            Item::Cn => "氰化物",
            Item::Phenol => "挥发酚",
            Item::Oil => "石油类",
            Item::Las => "阴离子表面活性剂",
            Item::S2 => "硫化物",
            Item::Fc => "粪大肠菌群",
        }
    }

    /// The names a spreadsheet may give the item: its code, its Chinese name (also with 值 or
    /// the usual qualifier) and the common abbreviations (`NH3-N`, `CODCr`, `六价铬`).
    pub fn names(self) -> &'static [&'static str] {
        match self {
            Item::Ph => &["pH", "pH值", "酸碱度"],
            Item::Do => &["DO", "溶解氧"],
            Item::CodMn => &["CODMn", "COD_Mn", "高锰酸盐指数", "高锰酸钾指数"],
            Item::Cod => &["COD", "CODCr", "COD_Cr", "化学需氧量"],
            Item::Bod5 => &["BOD5", "BOD₅", "BOD", "五日生化需氧量", "生化需氧量"],
            Item::Nh3n => &["NH3N", "NH3-N", "NH₃-N", "氨氮", "氨氮(NH3-N)"],
            Item::Tp => &["TP", "总磷", "总磷(以P计)"],
            Item::Tn => &["TN", "总氮", "总氮(湖、库,以N计)", "总氮(以N计)"],
            Item::Cu => &["Cu", "铜"],
            Item::Zn => &["Zn", "锌"],
            Item::F => &["F", "F-", "氟化物", "氟化物(以F-计)"],
            Item::Se => &["Se", "硒"],
            Item::As => &["As", "砷"],
            Item::Hg => &["Hg", "汞"],
            Item::Cd => &["Cd", "镉"],
            Item::Cr6 => &["Cr6", "Cr6+", "Cr(VI)", "铬(六价)", "六价铬"],
            Item::Pb => &["Pb", "铅"],
            Item::Cn => &["CN", "CN-", "氰化物"],
            Item::Phenol => &["Phenol", "挥发酚"],
            Item::Oil => &["Oil", "石油类"],
            Item::Las => &["LAS", "阴离子表面活性剂"],
            Item::S2 => &["S2", "S2-", "硫化物"],
            Item::Fc => &["FC", "粪大肠菌群"],
        }
    }

    /// Unit of the item's values.
    pub fn unit(self) -> &'static str {
        match self {
            Item::Ph => "",
            Item::Fc => "个/L",
            _ => "mg/L",
        }
    }

    /// Reads a CSV column name, case-insensitively.
    pub fn from_code(text: &str) -> Option<Item> {
        let t = text.trim();
        Item::ALL
            .into_iter()
            .find(|i| i.code().eq_ignore_ascii_case(t))
    }

    /// Whether the item sets the class (the 21) or is reported apart.
    pub fn role(self) -> Role {
        match self {
            Item::Tn | Item::Fc => Role::Reference,
            _ => Role::Evaluation,
        }
    }

    /// The item's limits for `body`; `None` where it has no standard (river TN).
    pub fn limit(self, body: WaterBody) -> Option<Limit> {
        Some(match self {
            Item::Ph => PH,
            Item::Do => DO,
            Item::CodMn => CODMN,
            Item::Cod => COD,
            Item::Bod5 => BOD5,
            Item::Nh3n => NH3N,
            Item::Tp => match body {
                WaterBody::River => TP_RIVER,
                WaterBody::Lake => TP_LAKE,
            },
            Item::Tn => match body {
                WaterBody::River => return None,
                WaterBody::Lake => TN_LAKE,
            },
            Item::Cu => CU,
            Item::Zn => ZN,
            Item::F => F,
            Item::Se => SE,
            Item::As => AS,
            Item::Hg => HG,
            Item::Cd => CD,
            Item::Cr6 => CR6,
            Item::Pb => PB,
            Item::Cn => CN,
            Item::Phenol => PHENOL,
            Item::Oil => OIL,
            Item::Las => LAS,
            Item::S2 => S2,
            Item::Fc => FC,
        })
    }

    /// Whether an exceedance multiple is defined (never for pH and DO).
    pub fn has_multiple(self) -> bool {
        !matches!(self, Item::Ph | Item::Do)
    }

    /// Decimals used by the 82号 rounding-before-classification table.
    pub fn evaluation_decimals(self) -> u32 {
        match self {
            Item::Ph | Item::Fc => 0,
            Item::Do | Item::CodMn | Item::Cod | Item::Bod5 => 1,
            Item::Nh3n | Item::Tn | Item::Oil | Item::Las => 2,
            Item::Tp | Item::Cu | Item::Zn | Item::F | Item::Cr6 | Item::Pb | Item::Cn => 3,
            Item::S2 => 3,
            Item::Se | Item::As | Item::Phenol => 4,
            Item::Hg | Item::Cd => 5,
        }
    }
}

impl fmt::Display for Item {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code())
    }
}

impl Limit {
    /// The best class whose limit `value` meets (limits inclusive), or 劣V.
    ///
    /// Taking the *first* class met is what makes a value at a limit shared by
    /// several classes (COD 15 for I and II) the best of them.
    pub fn classify(&self, value: Exact) -> Class {
        match self {
            Limit::AtMost(limits) => first_met(limits, |l| value <= *l),
            Limit::AtLeast(limits) => first_met(limits, |l| value >= *l),
            Limit::Range { low, high } => {
                if *low <= value && value <= *high {
                    Class::I
                } else {
                    Class::WorseThanV
                }
            }
        }
    }

    /// The limit of `class` for an upper- or lower-bounded item; `None` for
    /// pH and for 劣V, which have no single number to compare against.
    pub fn value_for(&self, class: Class) -> Option<Exact> {
        let i = class.index();
        match self {
            Limit::AtMost(l) | Limit::AtLeast(l) => l.get(i).copied(),
            Limit::Range { .. } => None,
        }
    }
}

fn first_met(limits: &[Exact; 5], meets: impl Fn(&Exact) -> bool) -> Class {
    Class::LIMITED
        .into_iter()
        .zip(limits.iter())
        .find(|(_, l)| meets(l))
        .map_or(Class::WorseThanV, |(c, _)| c)
}

/// Class of one value of `item` in `body`; `None` when the item has no
/// standard there (TN in rivers).
pub fn classify_item(item: Item, body: WaterBody, value: Exact) -> Option<Class> {
    item.limit(body).map(|l| l.classify(value))
}

/// 超标倍数 `(C − S)/S` against the limit of `reference` (Class III for
/// national evaluation, the target class for functional-zone compliance).
///
/// `None` when the value does not exceed, when the item has no multiple (pH,
/// DO) or no standard in `body`, or when `reference` is 劣V.
pub fn exceedance_multiple(
    item: Item,
    body: WaterBody,
    value: Exact,
    reference: Class,
) -> Option<Exact> {
    if !item.has_multiple() {
        return None;
    }
    let limit = item.limit(body)?.value_for(reference)?;
    if value <= limit {
        return None;
    }
    value.checked_sub(limit)?.checked_div(limit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    /// The units tried just beyond each limit: one unit of the item's 82号
    /// evaluation digits (how values are usually reported) and 10^-15, the
    /// finest value the parser accepts.
    fn units(item: Item) -> [Exact; 2] {
        [
            Exact::dec(1, item.evaluation_decimals()).unwrap(),
            Exact::dec(1, 15).unwrap(),
        ]
    }

    /// Expected class from the printed table, written independently of
    /// [`Limit::classify`]: scan the columns from V down to I and keep the
    /// last (best) one the value satisfies.
    fn expected(limit: &[Exact; 5], value: Exact, upper: bool) -> Class {
        let mut best = Class::WorseThanV;
        for i in (0..5).rev() {
            let ok = if upper {
                value <= limit[i]
            } else {
                value >= limit[i]
            };
            if ok {
                best = Class::LIMITED[i];
            }
        }
        best
    }

    #[test]
    fn every_limit_edge_of_every_item_in_both_bodies() {
        let mut pairs = 0;
        let mut edges = 0;
        for body in [WaterBody::River, WaterBody::Lake] {
            for item in Item::ALL {
                let Some(limit) = item.limit(body) else {
                    assert_eq!((item, body), (Item::Tn, WaterBody::River));
                    continue;
                };
                pairs += 1;
                match limit {
                    Limit::AtMost(ls) => {
                        for l in ls {
                            // At the limit: the best class sharing this limit.
                            let best = ls.iter().position(|x| *x == l).unwrap();
                            assert_eq!(
                                classify_item(item, body, l),
                                Some(Class::LIMITED[best]),
                                "{item} {body:?} at {l}"
                            );
                            assert_eq!(Class::LIMITED[best], expected(&ls, l, true));
                            for unit in units(item) {
                                let above = l.checked_add(unit).unwrap();
                                let got = classify_item(item, body, above).unwrap();
                                assert_eq!(
                                    got,
                                    expected(&ls, above, true),
                                    "{item} {body:?} {above}"
                                );
                                // Strictly worse than at the limit: the edge is inclusive.
                                assert!(got > Class::LIMITED[best], "{item} {body:?} {above}");
                            }
                            // 10^-15 above: the next class with a larger limit.
                            let above = l.checked_add(Exact::dec(1, 15).unwrap()).unwrap();
                            let next = ls
                                .iter()
                                .position(|x| *x > l)
                                .map_or(Class::WorseThanV, |k| Class::LIMITED[k]);
                            assert_eq!(classify_item(item, body, above), Some(next));
                            edges += 1;
                        }
                    }
                    Limit::AtLeast(ls) => {
                        for (i, l) in ls.iter().enumerate() {
                            assert_eq!(classify_item(item, body, *l), Some(Class::LIMITED[i]));
                            for unit in units(item) {
                                let below = l.checked_sub(unit).unwrap();
                                let got = classify_item(item, body, below).unwrap();
                                assert_eq!(got, Class::ALL[i + 1], "{item} below {l}");
                                assert_eq!(got, expected(&ls, below, false));
                            }
                            edges += 1;
                        }
                    }
                    Limit::Range { low, high } => {
                        assert_eq!(classify_item(item, body, low), Some(Class::I));
                        assert_eq!(classify_item(item, body, high), Some(Class::I));
                        for unit in units(item) {
                            let under = low.checked_sub(unit).unwrap();
                            let over = high.checked_add(unit).unwrap();
                            assert_eq!(classify_item(item, body, under), Some(Class::WorseThanV));
                            assert_eq!(classify_item(item, body, over), Some(Class::WorseThanV));
                        }
                        edges += 2;
                    }
                }
            }
        }
        assert_eq!(pairs, 45);
        // 22 bounded items × 5 limits × 2 bodies, less river TN, plus pH's two ends.
        assert_eq!(edges, 22 * 5 * 2 - 5 + 2 * 2);
    }

    #[test]
    fn table_values_as_printed() {
        // Spot-check the encoding of the printed table digit by digit.
        let river = |i: Item| match i.limit(WaterBody::River).unwrap() {
            Limit::AtMost(l) | Limit::AtLeast(l) => l.map(|x| x.to_string()),
            Limit::Range { .. } => unreachable!(),
        };
        let lake = |i: Item| match i.limit(WaterBody::Lake).unwrap() {
            Limit::AtMost(l) | Limit::AtLeast(l) => l.map(|x| x.to_string()),
            Limit::Range { .. } => unreachable!(),
        };
        // Table 1 as printed in the reference, typed in independently.
        let printed: [(Item, [&str; 5]); 21] = [
            (Item::Do, ["7.5", "6", "5", "3", "2"]),
            (Item::CodMn, ["2", "4", "6", "10", "15"]),
            (Item::Cod, ["15", "15", "20", "30", "40"]),
            (Item::Bod5, ["3", "3", "4", "6", "10"]),
            (Item::Nh3n, ["0.15", "0.5", "1.0", "1.5", "2.0"]),
            (Item::Tp, ["0.02", "0.1", "0.2", "0.3", "0.4"]),
            (Item::Cu, ["0.01", "1.0", "1.0", "1.0", "1.0"]),
            (Item::Zn, ["0.05", "1.0", "1.0", "2.0", "2.0"]),
            (Item::F, ["1.0", "1.0", "1.0", "1.5", "1.5"]),
            (Item::Se, ["0.01", "0.01", "0.01", "0.02", "0.02"]),
            (Item::As, ["0.05", "0.05", "0.05", "0.1", "0.1"]),
            (Item::Hg, ["0.00005", "0.00005", "0.0001", "0.001", "0.001"]),
            (Item::Cd, ["0.001", "0.005", "0.005", "0.005", "0.01"]),
            (Item::Cr6, ["0.01", "0.05", "0.05", "0.05", "0.1"]),
            (Item::Pb, ["0.01", "0.01", "0.05", "0.05", "0.1"]),
            (Item::Cn, ["0.005", "0.05", "0.2", "0.2", "0.2"]),
            (Item::Phenol, ["0.002", "0.002", "0.005", "0.01", "0.1"]),
            (Item::Oil, ["0.05", "0.05", "0.05", "0.5", "1.0"]),
            (Item::Las, ["0.2", "0.2", "0.2", "0.3", "0.3"]),
            (Item::S2, ["0.05", "0.1", "0.2", "0.5", "1.0"]),
            (Item::Fc, ["200", "2000", "10000", "20000", "40000"]),
        ];
        let as_exact = |v: [&str; 5]| v.map(|x| x.to_string()).map(|x| p(&x).to_string());
        for (item, values) in printed {
            assert_eq!(river(item), as_exact(values), "{item} river");
            if item != Item::Tp {
                assert_eq!(lake(item), as_exact(values), "{item} lake");
            }
        }
        assert_eq!(
            lake(Item::Tp),
            as_exact(["0.01", "0.025", "0.05", "0.1", "0.2"])
        );
        assert_eq!(
            lake(Item::Tn),
            as_exact(["0.2", "0.5", "1.0", "1.5", "2.0"])
        );
        assert_eq!(
            Item::Ph.limit(WaterBody::River),
            Some(Limit::Range {
                low: p("6"),
                high: p("9")
            })
        );
        assert!(Item::Tn.limit(WaterBody::River).is_none());
    }

    #[test]
    fn reachable_classes_match_reference_table() {
        // §1.3 of the reference: classes an item can actually reach.
        let reach = |item: Item| {
            let mut v: Vec<&str> = Vec::new();
            let Limit::AtMost(ls) = item.limit(WaterBody::River).unwrap() else {
                unreachable!()
            };
            for l in ls {
                let c = classify_item(item, WaterBody::River, l).unwrap().as_str();
                if !v.contains(&c) {
                    v.push(c);
                }
            }
            v.join(",")
        };
        assert_eq!(reach(Item::Cod), "I,III,IV,V");
        assert_eq!(reach(Item::Bod5), "I,III,IV,V");
        assert_eq!(reach(Item::Cu), "I,II");
        assert_eq!(reach(Item::Zn), "I,II,IV");
        assert_eq!(reach(Item::F), "I,IV");
        assert_eq!(reach(Item::Se), "I,IV");
        assert_eq!(reach(Item::As), "I,IV");
        assert_eq!(reach(Item::Hg), "I,III,IV");
        assert_eq!(reach(Item::Cd), "I,II,V");
        assert_eq!(reach(Item::Cr6), "I,II,V");
        assert_eq!(reach(Item::Pb), "I,III,V");
        assert_eq!(reach(Item::Cn), "I,II,III");
        assert_eq!(reach(Item::Phenol), "I,III,IV,V");
        assert_eq!(reach(Item::Oil), "I,IV,V");
        assert_eq!(reach(Item::Las), "I,IV");
    }

    #[test]
    fn shared_limits_and_known_pitfalls() {
        let r = WaterBody::River;
        assert_eq!(classify_item(Item::Cod, r, p("15")), Some(Class::I));
        assert_eq!(classify_item(Item::Bod5, r, p("3")), Some(Class::I));
        // hbt123-123 gets this II; the table says III.
        assert_eq!(classify_item(Item::Hg, r, p("0.00008")), Some(Class::III));
        assert_eq!(classify_item(Item::Cd, r, p("0.008")), Some(Class::V));
        assert_eq!(classify_item(Item::Cr6, r, p("0.08")), Some(Class::V));
        assert_eq!(classify_item(Item::Tp, r, p("0.05")), Some(Class::II));
        assert_eq!(
            classify_item(Item::Tp, WaterBody::Lake, p("0.05")),
            Some(Class::III)
        );
        assert_eq!(
            classify_item(Item::Ph, r, p("9.2")),
            Some(Class::WorseThanV)
        );
        assert_eq!(classify_item(Item::Do, r, p("8")), Some(Class::I));
        assert_eq!(classify_item(Item::Do, r, p("0")), Some(Class::WorseThanV));
        assert_eq!(classify_item(Item::Nh3n, r, p("0")), Some(Class::I));
    }

    #[test]
    fn exceedance_multiples() {
        let r = WaterBody::River;
        assert_eq!(
            exceedance_multiple(Item::Nh3n, r, p("2.2"), Class::III),
            Some(p("1.2"))
        );
        assert_eq!(
            exceedance_multiple(Item::Nh3n, r, p("1.0"), Class::III),
            None
        );
        assert_eq!(
            exceedance_multiple(Item::Tp, WaterBody::Lake, p("0.08"), Class::III),
            Some(p("0.6"))
        );
        assert_eq!(
            exceedance_multiple(Item::Tp, r, p("0.08"), Class::III),
            None
        );
        assert_eq!(exceedance_multiple(Item::Do, r, p("1"), Class::III), None);
        assert_eq!(exceedance_multiple(Item::Ph, r, p("10"), Class::III), None);
        assert_eq!(exceedance_multiple(Item::Tn, r, p("10"), Class::III), None);
        assert_eq!(
            exceedance_multiple(Item::CodMn, r, p("5"), Class::II),
            Some(p("0.25"))
        );
        assert_eq!(
            exceedance_multiple(Item::CodMn, r, p("50"), Class::WorseThanV),
            None
        );
    }

    #[test]
    fn status_words() {
        let words: Vec<&str> = Class::ALL.iter().map(|c| c.status().as_str()).collect();
        assert_eq!(
            words,
            ["优", "优", "良好", "轻度污染", "中度污染", "重度污染"]
        );
        assert_eq!(Class::from_code("劣v"), Some(Class::WorseThanV));
        assert_eq!(Class::from_code("iii"), Some(Class::III));
        assert_eq!(Class::from_code("VI"), None);
    }

    #[test]
    fn codes_round_trip_and_roles() {
        for item in Item::ALL {
            assert_eq!(Item::from_code(item.code()), Some(item));
            assert_eq!(Item::from_code(&item.code().to_lowercase()), Some(item));
        }
        assert_eq!(Item::from_code("Temp"), None);
        let reference: Vec<Item> = Item::ALL
            .into_iter()
            .filter(|i| i.role() == Role::Reference)
            .collect();
        assert_eq!(reference, [Item::Tn, Item::Fc]);
        assert!(
            Item::ROUTINE_21
                .iter()
                .all(|i| i.role() == Role::Evaluation)
        );
    }
}
