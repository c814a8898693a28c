//! Trophic state index TLI(Σ) of lakes and reservoirs (总站生字〔2001〕090号).
//!
//! Logarithms make this index irrational, so it is computed in `f64`; only
//! the grade boundaries need care, and the official wording puts 50, 60 and
//! 70 in the lower grade ("30≤TLI≤50 中营养; 50<TLI≤60 轻度富营养").

use crate::error::WaterError;

/// Correlation r of each parameter with chla for Chinese lakes (金相灿):
/// chla, TP, TN, SD, CODMn.
pub const CORRELATION: [f64; 5] = [1.0, 0.84, 0.82, -0.83, 0.83];

/// Weights W_j = r_j² / Σ r², derived rather than copied so a typo such as
/// dividing by 5.7558 cannot creep in.
pub fn weights() -> [f64; 5] {
    let sum: f64 = CORRELATION.iter().map(|r| r * r).sum();
    CORRELATION.map(|r| r * r / sum)
}

/// The five inputs, in the units the formulas assume.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct TliInputs {
    /// Chlorophyll a, mg/m³ (= µg/L).
    pub chla_mg_m3: f64,
    /// Total phosphorus, mg/L.
    pub tp_mg_l: f64,
    /// Total nitrogen, mg/L.
    pub tn_mg_l: f64,
    /// Secchi depth, metres.
    pub sd_m: f64,
    /// Permanganate index, mg/L.
    pub codmn_mg_l: f64,
}

/// TLI(Σ) with its five sub-indices.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tli {
    /// TLI(Σ).
    pub total: f64,
    /// Sub-indices: chla, TP, TN, SD, CODMn.
    pub parts: [f64; 5],
    /// The grade of `total`.
    pub state: TrophicState,
}

/// Trophic state grade.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum TrophicState {
    /// 贫营养: TLI < 30.
    Oligotrophic,
    /// 中营养: 30 ≤ TLI ≤ 50.
    Mesotrophic,
    /// 轻度富营养: 50 < TLI ≤ 60.
    LightEutrophic,
    /// 中度富营养: 60 < TLI ≤ 70.
    MiddleEutrophic,
    /// 重度富营养: TLI > 70.
    HyperEutrophic,
}

impl TrophicState {
    /// Grade of a TLI(Σ) value; `None` for a non-finite value.
    pub fn from_index(tli: f64) -> Option<TrophicState> {
        if !tli.is_finite() {
            return None;
        }
        Some(if tli < 30.0 {
            TrophicState::Oligotrophic
        } else if tli <= 50.0 {
            TrophicState::Mesotrophic
        } else if tli <= 60.0 {
            TrophicState::LightEutrophic
        } else if tli <= 70.0 {
            TrophicState::MiddleEutrophic
        } else {
            TrophicState::HyperEutrophic
        })
    }

    /// Chinese wording.
    pub fn as_str(self) -> &'static str {
        match self {
            TrophicState::Oligotrophic => "贫营养",
            TrophicState::Mesotrophic => "中营养",
            TrophicState::LightEutrophic => "轻度富营养",
            TrophicState::MiddleEutrophic => "中度富营养",
            TrophicState::HyperEutrophic => "重度富营养",
        }
    }

    /// Whether the state is one of the three eutrophic grades (TLI > 50).
    pub fn is_eutrophic(self) -> bool {
        self >= TrophicState::LightEutrophic
    }
}

/// Computes TLI(Σ); every input must be finite and positive (logarithms).
pub fn tli(inputs: &TliInputs) -> Result<Tli, WaterError> {
    let values = [
        ("chla", inputs.chla_mg_m3),
        ("TP", inputs.tp_mg_l),
        ("TN", inputs.tn_mg_l),
        ("SD", inputs.sd_m),
        ("CODMn", inputs.codmn_mg_l),
    ];
    for (name, v) in values {
        if !(v.is_finite() && v > 0.0) {
            return Err(WaterError::Invalid(format!(
                "TLI input {name} must be positive and finite, got {v}"
            )));
        }
    }
    let parts = [
        10.0 * (2.5 + 1.086 * inputs.chla_mg_m3.ln()),
        10.0 * (9.436 + 1.624 * inputs.tp_mg_l.ln()),
        10.0 * (5.453 + 1.694 * inputs.tn_mg_l.ln()),
        10.0 * (5.118 - 1.94 * inputs.sd_m.ln()),
        10.0 * (0.109 + 2.661 * inputs.codmn_mg_l.ln()),
    ];
    let w = weights();
    let total: f64 = parts.iter().zip(w).map(|(p, w)| p * w).sum();
    let state = TrophicState::from_index(total)
        .ok_or_else(|| WaterError::Invalid(format!("TLI is not finite ({total})")))?;
    Ok(Tli {
        total,
        parts,
        state,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_match_the_published_table_and_sum_to_one() {
        let w = weights();
        let published = [0.2663, 0.1879, 0.1790, 0.1834, 0.1834];
        for (a, b) in w.iter().zip(published) {
            assert!((a - b).abs() < 5e-5, "{a} vs {b}");
        }
        assert!((w.iter().sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn worked_example() {
        let t = tli(&TliInputs {
            chla_mg_m3: 10.0,
            tp_mg_l: 0.05,
            tn_mg_l: 1.0,
            sd_m: 1.0,
            codmn_mg_l: 4.0,
        })
        .unwrap();
        let expected = [50.01, 45.71, 54.53, 51.18, 37.98];
        for (a, b) in t.parts.iter().zip(expected) {
            assert!((a - b).abs() < 0.006, "{a} vs {b}");
        }
        assert!((t.total - 48.02).abs() < 0.006, "{}", t.total);
        assert_eq!(t.state, TrophicState::Mesotrophic);
    }

    #[test]
    fn grade_boundaries_follow_the_official_wording() {
        use TrophicState::*;
        let g = |x: f64| TrophicState::from_index(x).unwrap();
        assert_eq!(g(29.99), Oligotrophic);
        assert_eq!(g(30.0), Mesotrophic);
        assert_eq!(g(50.0), Mesotrophic);
        assert_eq!(g(50.01), LightEutrophic);
        assert_eq!(g(60.0), LightEutrophic);
        assert_eq!(g(60.01), MiddleEutrophic);
        assert_eq!(g(70.0), MiddleEutrophic);
        assert_eq!(g(70.01), HyperEutrophic);
        assert!(!g(50.0).is_eutrophic());
        assert!(g(50.01).is_eutrophic());
        assert_eq!(TrophicState::from_index(f64::NAN), None);
    }

    #[test]
    fn rejects_non_positive_inputs() {
        let ok = TliInputs {
            chla_mg_m3: 10.0,
            tp_mg_l: 0.05,
            tn_mg_l: 1.0,
            sd_m: 1.0,
            codmn_mg_l: 4.0,
        };
        assert!(tli(&TliInputs { sd_m: 0.0, ..ok }).is_err());
        assert!(
            tli(&TliInputs {
                chla_mg_m3: -1.0,
                ..ok
            })
            .is_err()
        );
        assert!(
            tli(&TliInputs {
                tp_mg_l: f64::NAN,
                ..ok
            })
            .is_err()
        );
        // Eutrophic lake: more chla, less transparency.
        let e = tli(&TliInputs {
            chla_mg_m3: 60.0,
            tp_mg_l: 0.2,
            tn_mg_l: 3.0,
            sd_m: 0.3,
            codmn_mg_l: 8.0,
        })
        .unwrap();
        assert!(e.state.is_eutrophic(), "{}", e.total);
    }
}
