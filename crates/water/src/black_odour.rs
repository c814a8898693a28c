//! Urban black-odorous water (城市黑臭水体整治工作指南, 2015): grading of the
//! four indicators, the 60 % / 30 % rule for a point, stretches and whole
//! water bodies. All decisions run on shares of the data, never on means.

use std::ops::Range;

use crate::exact::Exact;
use crate::standard::d;

/// Black-odour level, ordered from none to heavy.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Level {
    /// Not black-odorous.
    None,
    /// 轻度黑臭.
    Light,
    /// 重度黑臭.
    Heavy,
}

impl Level {
    /// Chinese wording.
    pub fn as_str(self) -> &'static str {
        match self {
            Level::None => "非黑臭",
            Level::Light => "轻度黑臭",
            Level::Heavy => "重度黑臭",
        }
    }
}

/// The NH3-N heavy threshold: two sources give > 15, one copy prints > 8.0.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum AmmoniaHeavy {
    /// Heavy above 15 mg/L (default).
    #[default]
    Above15,
    /// Heavy above 8.0 mg/L (the misprint reading; 轻度 then is exactly 8.0).
    Above8,
}

/// Transparency grading in water shallower than 25 cm, where the criterion
/// becomes 40 % of the depth; the light / none split there is undefined.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ShallowRule {
    /// Heavy below 0.4 × depth, none when the bottom is visible
    /// (transparency ≥ depth), light otherwise (default).
    #[default]
    BottomVisible,
    /// Heavy below 0.4 × depth, light otherwise (never "none" by transparency).
    NeverNone,
}

/// Options of the black-odour evaluation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Options {
    /// NH3-N heavy threshold.
    pub ammonia: AmmoniaHeavy,
    /// Transparency rule for shallow water.
    pub shallow: ShallowRule,
}

/// Level of one transparency reading (cm); `depth_cm` is the water depth.
pub fn transparency_level(sd_cm: Exact, depth_cm: Option<Exact>, options: &Options) -> Level {
    let twenty_five = Exact::int(25);
    if let Some(depth) = depth_cm.filter(|d| *d < twenty_five) {
        let criterion = depth.checked_mul(const { d(4, 1) }).unwrap_or(Exact::ZERO);
        return if sd_cm < criterion {
            Level::Heavy
        } else if options.shallow == ShallowRule::BottomVisible && sd_cm >= depth {
            Level::None
        } else {
            Level::Light
        };
    }
    if sd_cm < Exact::int(10) {
        Level::Heavy
    } else if sd_cm <= twenty_five {
        Level::Light
    } else {
        Level::None
    }
}

/// Level of one dissolved-oxygen reading (mg/L): light 0.2–2.0 inclusive.
pub fn dissolved_oxygen_level(v: Exact) -> Level {
    if v < const { d(2, 1) } {
        Level::Heavy
    } else if v <= Exact::int(2) {
        Level::Light
    } else {
        Level::None
    }
}

/// Level of one oxidation-reduction potential reading (mV): light −200–50 inclusive.
pub fn orp_level(v: Exact) -> Level {
    if v < Exact::int(-200) {
        Level::Heavy
    } else if v <= Exact::int(50) {
        Level::Light
    } else {
        Level::None
    }
}

/// Level of one ammonia-nitrogen reading (mg/L): light 8.0–15 inclusive.
pub fn ammonia_level(v: Exact, options: &Options) -> Level {
    let heavy_above = match options.ammonia {
        AmmoniaHeavy::Above15 => Exact::int(15),
        AmmoniaHeavy::Above8 => Exact::int(8),
    };
    if v > heavy_above {
        Level::Heavy
    } else if v >= Exact::int(8) {
        Level::Light
    } else {
        Level::None
    }
}

/// All readings of one sampling point over the rounds.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct PointData {
    /// Transparency, cm.
    pub transparency_cm: Vec<Exact>,
    /// Dissolved oxygen, mg/L.
    pub dissolved_oxygen: Vec<Exact>,
    /// Oxidation-reduction potential, mV.
    pub orp_mv: Vec<Exact>,
    /// Ammonia nitrogen, mg/L.
    pub ammonia: Vec<Exact>,
    /// Water depth at the point, cm (enables the shallow-water rule).
    pub depth_cm: Option<Exact>,
}

/// The result for one point.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PointGrade {
    /// The point's level.
    pub level: Level,
    /// Share of heavy readings per indicator (transparency, DO, ORP, NH3-N),
    /// percent; `None` for an indicator without data.
    pub heavy_shares: [Option<Exact>; 4],
}

/// Grades a point: 重度 if one indicator has ≥ 60 % of its data heavy, or at
/// least two have ≥ 30 % each ("以上" includes the number); otherwise 轻度 if
/// any reading is black-odorous at all, else not black-odorous.
///
/// The last clause is ours: the guide only grades points already identified
/// as black-odorous, so a point whose every reading is clean is reported as
/// not black-odorous rather than 轻度.
pub fn grade_point(data: &PointData, options: &Options) -> PointGrade {
    let series: [Vec<Level>; 4] = [
        data.transparency_cm
            .iter()
            .map(|v| transparency_level(*v, data.depth_cm, options))
            .collect(),
        data.dissolved_oxygen
            .iter()
            .map(|v| dissolved_oxygen_level(*v))
            .collect(),
        data.orp_mv.iter().map(|v| orp_level(*v)).collect(),
        data.ammonia
            .iter()
            .map(|v| ammonia_level(*v, options))
            .collect(),
    ];
    let mut heavy_shares = [None; 4];
    let mut over_60 = 0;
    let mut over_30 = 0;
    let mut any_black = false;
    for (k, levels) in series.iter().enumerate() {
        let n = levels.len();
        if n == 0 {
            continue;
        }
        let heavy = levels.iter().filter(|l| **l == Level::Heavy).count();
        any_black |= levels.iter().any(|l| *l != Level::None);
        heavy_shares[k] = Exact::new(heavy as i128 * 100, n as i128);
        if heavy * 100 >= 60 * n {
            over_60 += 1;
        }
        if heavy * 100 >= 30 * n {
            over_30 += 1;
        }
    }
    let level = if over_60 >= 1 || over_30 >= 2 {
        Level::Heavy
    } else if any_black {
        Level::Light
    } else {
        Level::None
    };
    PointGrade {
        level,
        heavy_shares,
    }
}

/// Stretches judged 重度: runs of 3 or more consecutive heavy points, as
/// index ranges over `points` (ordered along the water body).
pub fn heavy_stretches(points: &[Level]) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, l) in points
        .iter()
        .chain(std::iter::once(&Level::None))
        .enumerate()
    {
        match (*l == Level::Heavy, start) {
            (true, None) => start = Some(i),
            (false, Some(s)) => {
                if i - s >= 3 {
                    out.push(s..i);
                }
                start = None;
            }
            _ => {}
        }
    }
    out
}

/// Whole water body: 重度 when ≥ 60 % of its points are heavy; otherwise the
/// worst remaining level (轻度 if any point is black-odorous).
pub fn grade_water_body(points: &[Level]) -> Option<Level> {
    let n = points.len();
    if n == 0 {
        return None;
    }
    let heavy = points.iter().filter(|l| **l == Level::Heavy).count();
    Some(if heavy * 100 >= 60 * n {
        Level::Heavy
    } else if points.iter().any(|l| *l != Level::None) {
        Level::Light
    } else {
        Level::None
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> Exact {
        Exact::parse(s).unwrap()
    }

    fn o() -> Options {
        Options::default()
    }

    #[test]
    fn indicator_boundaries_are_inclusive() {
        let t = |s: &str| transparency_level(p(s), None, &o());
        assert_eq!(t("9.99"), Level::Heavy);
        assert_eq!(t("10"), Level::Light);
        assert_eq!(t("25"), Level::Light);
        assert_eq!(t("25.01"), Level::None);
        let d = |s: &str| dissolved_oxygen_level(p(s));
        assert_eq!(d("0.19"), Level::Heavy);
        assert_eq!(d("0.2"), Level::Light);
        assert_eq!(d("2.0"), Level::Light);
        assert_eq!(d("2.01"), Level::None);
        let r = |s: &str| orp_level(p(s));
        assert_eq!(r("-200.1"), Level::Heavy);
        assert_eq!(r("-200"), Level::Light);
        assert_eq!(r("50"), Level::Light);
        assert_eq!(r("50.1"), Level::None);
        let a = |s: &str| ammonia_level(p(s), &o());
        assert_eq!(a("7.99"), Level::None);
        assert_eq!(a("8.0"), Level::Light);
        assert_eq!(a("15"), Level::Light);
        assert_eq!(a("15.01"), Level::Heavy);
        let a8 = Options {
            ammonia: AmmoniaHeavy::Above8,
            ..o()
        };
        assert_eq!(ammonia_level(p("8.0"), &a8), Level::Light);
        assert_eq!(ammonia_level(p("8.01"), &a8), Level::Heavy);
    }

    #[test]
    fn shallow_water_transparency() {
        // Depth 20 cm: the criterion is 8 cm.
        let depth = Some(p("20"));
        assert_eq!(transparency_level(p("7.9"), depth, &o()), Level::Heavy);
        assert_eq!(transparency_level(p("8"), depth, &o()), Level::Light);
        assert_eq!(transparency_level(p("20"), depth, &o()), Level::None);
        let never = Options {
            shallow: ShallowRule::NeverNone,
            ..o()
        };
        assert_eq!(transparency_level(p("20"), depth, &never), Level::Light);
        // 25 cm deep is not shallow.
        assert_eq!(
            transparency_level(p("9"), Some(p("25")), &o()),
            Level::Heavy
        );
    }

    fn series(heavy: usize, total: usize, heavy_v: &str, clean_v: &str) -> Vec<Exact> {
        (0..total)
            .map(|i| p(if i < heavy { heavy_v } else { clean_v }))
            .collect()
    }

    #[test]
    fn sixty_percent_of_one_indicator() {
        // 3 of 5 DO readings heavy = 60 % exactly → heavy.
        let data = PointData {
            dissolved_oxygen: series(3, 5, "0.1", "1.0"),
            ..PointData::default()
        };
        let g = grade_point(&data, &o());
        assert_eq!(g.level, Level::Heavy);
        assert_eq!(g.heavy_shares[1], Some(Exact::int(60)));
        // 2 of 5 = 40 % on one indicator only → light.
        let data = PointData {
            dissolved_oxygen: series(2, 5, "0.1", "1.0"),
            ..PointData::default()
        };
        assert_eq!(grade_point(&data, &o()).level, Level::Light);
    }

    #[test]
    fn thirty_percent_of_two_indicators() {
        // 3 of 10 = 30 % exactly on two indicators → heavy.
        let data = PointData {
            orp_mv: series(3, 10, "-250", "0"),
            ammonia: series(3, 10, "16", "9"),
            ..PointData::default()
        };
        assert_eq!(grade_point(&data, &o()).level, Level::Heavy);
        // 3/10 and 2/10 → light.
        let data = PointData {
            orp_mv: series(3, 10, "-250", "0"),
            ammonia: series(2, 10, "16", "9"),
            ..PointData::default()
        };
        assert_eq!(grade_point(&data, &o()).level, Level::Light);
    }

    #[test]
    fn clean_point_is_not_black_odorous() {
        let data = PointData {
            transparency_cm: vec![p("40"); 3],
            dissolved_oxygen: vec![p("5"); 3],
            orp_mv: vec![p("120"); 3],
            ammonia: vec![p("1"); 3],
            depth_cm: None,
        };
        let g = grade_point(&data, &o());
        assert_eq!(g.level, Level::None);
        assert_eq!(g.heavy_shares, [Some(Exact::ZERO); 4]);
    }

    #[test]
    fn stretches_and_water_body() {
        use Level::*;
        let pts = [
            Heavy, Heavy, Light, Heavy, Heavy, Heavy, None, Heavy, Heavy, Heavy, Heavy,
        ];
        assert_eq!(heavy_stretches(&pts), vec![3..6, 7..11]);
        assert!(heavy_stretches(&[Heavy, Heavy]).is_empty());
        // 3 of 5 heavy = 60 % → heavy water body; 2 of 5 → light.
        assert_eq!(
            grade_water_body(&[Heavy, Heavy, Heavy, Light, None]),
            Some(Heavy)
        );
        assert_eq!(
            grade_water_body(&[Heavy, Heavy, Light, Light, None]),
            Some(Light)
        );
        assert_eq!(grade_water_body(&[None, None]), Some(None));
        assert_eq!(grade_water_body(&[]), Option::None);
    }
}
