//! GB 3095 concentration limits (2012 with its 2018 amendment; 2026 transition and final phases).

use serde::{Deserialize, Serialize};

use crate::num::Ratio;
use crate::standard::LimitSet;

/// Grade of limit: grade 1 for class-1 zones, grade 2 for class-2 zones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
pub enum Grade {
    /// 一级 (class-1 zones: national parks, nature reserves …).
    One,
    /// 二级 (class-2 zones: residential, commercial, industrial, rural), the usual city evaluation grade.
    #[default]
    Two,
}

/// Averaging time of a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Averaging {
    /// Annual mean.
    Annual,
    /// Quarterly mean (Pb).
    Quarterly,
    /// 24-hour (daily) mean.
    Daily,
    /// Daily maximum 8-hour mean (O3).
    Mda8,
    /// 1-hour mean.
    Hour1,
}

/// Pollutants of GB 3095 Tables 1 and 2.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum LimitPollutant {
    /// SO2, µg/m³.
    So2,
    /// NO2, µg/m³.
    No2,
    /// CO, mg/m³.
    Co,
    /// O3, µg/m³.
    O3,
    /// PM10, µg/m³.
    Pm10,
    /// PM2.5, µg/m³.
    Pm25,
    /// TSP, µg/m³.
    Tsp,
    /// NOx (as NO2), µg/m³.
    Nox,
    /// Lead, µg/m³.
    Pb,
    /// Benzo(a)pyrene, µg/m³.
    Bap,
}

impl From<crate::standard::Pollutant> for LimitPollutant {
    fn from(p: crate::standard::Pollutant) -> Self {
        use crate::standard::Pollutant as P;
        match p {
            P::So2 => LimitPollutant::So2,
            P::No2 => LimitPollutant::No2,
            P::Co => LimitPollutant::Co,
            P::O3 => LimitPollutant::O3,
            P::Pm10 => LimitPollutant::Pm10,
            P::Pm25 => LimitPollutant::Pm25,
        }
    }
}

/// A limit value as an exact decimal `value / 10^4` (so BaP 0.0025 is exact).
fn v(x: u32) -> Ratio {
    Ratio::ratio(i128::from(x), 10_000)
}

fn i(x: u32) -> Ratio {
    Ratio::int(i64::from(x))
}

/// The limit (µg/m³, CO mg/m³), or `None` when the table has no such entry.
///
/// Source: GB 3095-2026 Tables 1–2 and §4.4 (confirmed); GB 3095-2012 values as in the reference sheet §4.1–4.2.
pub fn limit(
    set: LimitSet,
    grade: Grade,
    pollutant: LimitPollutant,
    averaging: Averaging,
) -> Option<Ratio> {
    use Averaging as A;
    use LimitPollutant as P;
    use LimitSet as L;
    let g1 = grade == Grade::One;
    let pick = |a: u32, b: u32| Some(i(if g1 { a } else { b }));
    match (pollutant, averaging) {
        (P::So2, A::Annual) => match set {
            L::Gb3095_2026Final => pick(20, 20),
            _ => pick(20, 60),
        },
        (P::So2, A::Daily) => match set {
            L::Gb3095_2026Final => pick(50, 50),
            _ => pick(50, 150),
        },
        (P::So2, A::Hour1) => match set {
            L::Gb3095_2026Final => pick(150, 150),
            _ => pick(150, 500),
        },
        (P::No2, A::Annual) => match set {
            L::Gb3095_2026Final => pick(30, 30),
            _ => pick(40, 40),
        },
        (P::No2, A::Daily) => match set {
            L::Gb3095_2026Final => pick(50, 50),
            _ => pick(80, 80),
        },
        (P::No2, A::Hour1) => pick(200, 200),
        (P::Co, A::Daily) => pick(4, 4),
        (P::Co, A::Hour1) => pick(10, 10),
        (P::O3, A::Mda8) => pick(100, 160),
        (P::O3, A::Hour1) => pick(160, 200),
        (P::Pm10, A::Annual) => match set {
            L::Gb3095_2012 => pick(40, 70),
            L::Gb3095_2026Transition => pick(40, 60),
            L::Gb3095_2026Final => pick(20, 50),
        },
        (P::Pm10, A::Daily) => match set {
            L::Gb3095_2012 => pick(50, 150),
            L::Gb3095_2026Transition => pick(50, 120),
            L::Gb3095_2026Final => pick(50, 100),
        },
        (P::Pm25, A::Annual) => match set {
            L::Gb3095_2012 => pick(15, 35),
            L::Gb3095_2026Transition => pick(15, 30),
            L::Gb3095_2026Final => pick(10, 25),
        },
        (P::Pm25, A::Daily) => match set {
            L::Gb3095_2012 => pick(35, 75),
            L::Gb3095_2026Transition => pick(35, 60),
            L::Gb3095_2026Final => pick(25, 50),
        },
        (P::Tsp, A::Annual) => pick(80, 200),
        (P::Tsp, A::Daily) => pick(120, 300),
        // NOx tightens only with the final phase (2026 Table 2: 50/100 until 2030-12-31).
        (P::Nox, A::Annual) => match set {
            L::Gb3095_2026Final => pick(40, 40),
            _ => pick(50, 50),
        },
        (P::Nox, A::Daily) => match set {
            L::Gb3095_2026Final => pick(70, 70),
            _ => pick(100, 100),
        },
        (P::Nox, A::Hour1) => pick(250, 250),
        (P::Pb, A::Annual) => Some(v(5_000)),
        (P::Pb, A::Quarterly) => Some(v(10_000)),
        (P::Bap, A::Annual) => Some(v(10)),
        (P::Bap, A::Daily) => Some(v(25)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Averaging as A;
    use LimitPollutant as P;
    use LimitSet as L;

    /// Reference §4.1, typed row by row: (pollutant, averaging, [2012 G1, G2, trans G1, G2, final G1, G2]).
    const TABLE1: [(P, A, [u32; 6]); 14] = [
        (P::So2, A::Annual, [20, 60, 20, 60, 20, 20]),
        (P::So2, A::Daily, [50, 150, 50, 150, 50, 50]),
        (P::So2, A::Hour1, [150, 500, 150, 500, 150, 150]),
        (P::No2, A::Annual, [40, 40, 40, 40, 30, 30]),
        (P::No2, A::Daily, [80, 80, 80, 80, 50, 50]),
        (P::No2, A::Hour1, [200, 200, 200, 200, 200, 200]),
        (P::Co, A::Daily, [4, 4, 4, 4, 4, 4]),
        (P::Co, A::Hour1, [10, 10, 10, 10, 10, 10]),
        (P::O3, A::Mda8, [100, 160, 100, 160, 100, 160]),
        (P::O3, A::Hour1, [160, 200, 160, 200, 160, 200]),
        (P::Pm10, A::Annual, [40, 70, 40, 60, 20, 50]),
        (P::Pm10, A::Daily, [50, 150, 50, 120, 50, 100]),
        (P::Pm25, A::Annual, [15, 35, 15, 30, 10, 25]),
        (P::Pm25, A::Daily, [35, 75, 35, 60, 25, 50]),
    ];

    #[test]
    fn table1_matches_reference() {
        for (p, a, row) in TABLE1 {
            let sets = [
                L::Gb3095_2012,
                L::Gb3095_2026Transition,
                L::Gb3095_2026Final,
            ];
            for (k, set) in sets.iter().enumerate() {
                assert_eq!(
                    limit(*set, Grade::One, p, a),
                    Some(i(row[2 * k])),
                    "{set:?} G1 {p:?} {a:?}"
                );
                assert_eq!(
                    limit(*set, Grade::Two, p, a),
                    Some(i(row[2 * k + 1])),
                    "{set:?} G2 {p:?} {a:?}"
                );
            }
        }
    }

    #[test]
    fn table2_and_gaps() {
        assert_eq!(
            limit(L::Gb3095_2012, Grade::Two, P::Tsp, A::Daily),
            Some(i(300))
        );
        assert_eq!(
            limit(L::Gb3095_2026Transition, Grade::Two, P::Nox, A::Daily),
            Some(i(100))
        );
        assert_eq!(
            limit(L::Gb3095_2026Final, Grade::Two, P::Nox, A::Annual),
            Some(i(40))
        );
        assert_eq!(
            limit(L::Gb3095_2012, Grade::Two, P::Bap, A::Daily),
            Ratio::new(25, 10_000)
        );
        assert_eq!(
            limit(L::Gb3095_2012, Grade::Two, P::Pb, A::Annual),
            Ratio::new(1, 2)
        );
        assert_eq!(limit(L::Gb3095_2012, Grade::Two, P::Co, A::Annual), None);
        assert_eq!(limit(L::Gb3095_2012, Grade::Two, P::O3, A::Daily), None);
    }
}
