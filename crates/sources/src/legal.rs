//! 处罚依据: the penalty articles a case (立案) cites, as data (`rules/legal-bases.toml`, from
//! ../shared/reference/enforcement.md §D), and the check of a fine against the statutory range of
//! the articles chosen. Pure: no storage, no clock.
//!
//! Only the statutory range is checked: the local 裁量基准 (discretion schedule) that picks an
//! amount inside it was not found (enforcement.md, "What to make configurable" 10).

use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// The basis file, embedded.
pub const BASES_TOML: &str = include_str!("../rules/legal-bases.toml");

/// One penalty article.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct LegalBasis {
    /// Our stable key.
    pub code: String,
    /// The instrument's title with its version.
    pub law: String,
    /// The penalty article as a decision cites it.
    pub article: String,
    /// The duty article broken, if any.
    #[serde(default)]
    pub duty: Option<String>,
    /// `air`, `water`, `permit` or `general`.
    pub medium: String,
    /// The violation in words.
    pub violation: String,
    /// Measures besides the fine.
    pub measures: String,
    /// Lowest fine, yuan.
    #[serde(default)]
    pub fine_min: Option<i64>,
    /// Highest fine, yuan.
    #[serde(default)]
    pub fine_max: Option<i64>,
    /// The range applies to each instance.
    #[serde(default)]
    pub per_instance: bool,
    /// 按日连续处罚: the total may exceed the range.
    #[serde(default)]
    pub daily: bool,
    /// A referral to the police or the judiciary, not a fine.
    #[serde(default)]
    pub referral: bool,
    /// When the cited version took effect.
    pub in_force: String,
    /// Where the wording comes from.
    pub source: String,
}

impl LegalBasis {
    /// The citation: law and article.
    pub fn citation(&self) -> String {
        format!("{}{}", self.law, self.article)
    }

    /// The statutory fine range in words, e.g. "10万元以上100万元以下".
    pub fn range_text(&self) -> Option<String> {
        match (self.fine_min, self.fine_max) {
            (Some(lo), Some(hi)) => Some(format!(
                "{}以上{}以下{}",
                yuan_words(lo),
                yuan_words(hi),
                if self.per_instance {
                    "（每次）"
                } else {
                    ""
                }
            )),
            _ => None,
        }
    }

    /// Chinese name of the medium.
    pub fn medium_label(&self) -> &'static str {
        match self.medium.as_str() {
            "air" => "大气",
            "water" => "水",
            "permit" => "排污许可",
            _ => "通用",
        }
    }
}

/// "10万元", "5000元": how the laws write amounts.
fn yuan_words(y: i64) -> String {
    if y >= 10_000 && y % 10_000 == 0 {
        format!("{}万元", y / 10_000)
    } else {
        format!("{y}元")
    }
}

/// A basis file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum LegalError {
    /// Not TOML of the expected shape.
    #[error("处罚依据文件无法读取：{0}")]
    Parse(String),
    /// A value that makes no sense.
    #[error("处罚依据文件中「{code}」的 {field} 无效：{why}")]
    Invalid {
        /// Basis code.
        code: String,
        /// Field.
        field: &'static str,
        /// Why.
        why: String,
    },
}

#[derive(Deserialize)]
struct File {
    basis: Vec<LegalBasis>,
}

/// Parses and checks a basis file.
pub fn parse(src: &str) -> Result<Vec<LegalBasis>, LegalError> {
    let f: File = toml::from_str(src).map_err(|e| LegalError::Parse(e.message().to_string()))?;
    let mut seen = std::collections::HashSet::new();
    for b in &f.basis {
        let bad = |field, why: &str| LegalError::Invalid {
            code: b.code.clone(),
            field,
            why: why.to_string(),
        };
        if b.code.is_empty() || !seen.insert(b.code.as_str()) {
            return Err(bad("code", "为空或重复"));
        }
        if !matches!(b.medium.as_str(), "air" | "water" | "permit" | "general") {
            return Err(bad("medium", "应为 air、water、permit 或 general"));
        }
        match (b.fine_min, b.fine_max) {
            (Some(lo), Some(hi)) if lo <= 0 || lo > hi => {
                return Err(bad("fine_min/fine_max", "应为正数且下限不大于上限"));
            }
            (Some(_), None) | (None, Some(_)) => {
                return Err(bad("fine_min/fine_max", "应同时给出"));
            }
            _ => {}
        }
        if b.referral && b.fine_min.is_some() {
            return Err(bad("referral", "移送条款不设罚款幅度"));
        }
        if chrono::NaiveDate::parse_from_str(&b.in_force, "%Y-%m-%d").is_err() {
            return Err(bad("in_force", "应为 YYYY-MM-DD"));
        }
    }
    Ok(f.basis)
}

/// The measures a decision may take (行政处罚法 第9条 and the penalty articles), with their
/// Chinese names: our codes, as cases store them.
pub const MEASURES: &[(&str, &str)] = &[
    ("rectify", "责令改正"),
    ("fine", "罚款"),
    ("limit", "责令限制生产"),
    ("suspend", "责令停产整治"),
    ("close_down", "责令停业、关闭"),
    ("revoke", "吊销排污许可证"),
    ("daily", "按日连续处罚"),
    ("referral", "移送公安机关或司法机关"),
    ("exempt", "不予处罚"),
];

/// The Chinese name of a measure code.
pub fn measure_name(code: &str) -> Option<&'static str> {
    MEASURES.iter().find(|(c, _)| *c == code).map(|(_, n)| *n)
}

/// The embedded list. The file is checked by a unit test, so a bad edit fails the build's tests;
/// should it still fail here, the list is empty and cases cannot cite anything.
pub fn bases() -> &'static [LegalBasis] {
    static BASES: OnceLock<Vec<LegalBasis>> = OnceLock::new();
    BASES.get_or_init(|| parse(BASES_TOML).unwrap_or_default())
}

/// One basis by code.
pub fn basis(code: &str) -> Option<&'static LegalBasis> {
    bases().iter().find(|b| b.code == code)
}

/// Why a fine does not fit the articles chosen.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum FineError {
    /// None of the articles provides a fine.
    #[error("所选处罚依据均未规定罚款，不能处以罚款")]
    NoFineArticle,
    /// Outside every chosen range.
    #[error("罚款 {amount} 元不在所选处罚依据规定的幅度内（{ranges}）")]
    OutOfRange {
        /// The amount, yuan with two decimals.
        amount: String,
        /// The ranges, in words.
        ranges: String,
    },
}

/// Checks a fine (in fen, 1/100 yuan) against the chosen articles: it must lie within the range
/// of at least one of them; an article with 按日连续处罚 or a per-instance range lifts the upper
/// bound (the total is the original amount times days or instances).
pub fn check_fine(chosen: &[&LegalBasis], fen: i64) -> Result<(), FineError> {
    let with_fine: Vec<&&LegalBasis> = chosen.iter().filter(|b| b.fine_min.is_some()).collect();
    let open_ended = chosen.iter().any(|b| b.daily);
    if with_fine.is_empty() && !open_ended {
        return Err(FineError::NoFineArticle);
    }
    let fits = with_fine.iter().any(|b| {
        let lo = b.fine_min.unwrap_or(0) * 100;
        let hi = b.fine_max.unwrap_or(i64::MAX / 100) * 100;
        fen >= lo && (fen <= hi || b.per_instance || open_ended)
    }) || (with_fine.is_empty() && open_ended && fen > 0);
    if fits {
        Ok(())
    } else {
        Err(FineError::OutOfRange {
            amount: format!("{}.{:02}", fen / 100, fen % 100),
            ranges: with_fine
                .iter()
                .filter_map(|b| b.range_text().map(|r| format!("{}：{r}", b.article)))
                .collect::<Vec<_>>()
                .join("；"),
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    #[test]
    fn the_embedded_list_is_valid_and_covers_air_water_and_permits() {
        let all = parse(BASES_TOML).unwrap();
        assert_eq!(all.len(), bases().len());
        for m in ["air", "water", "permit", "general"] {
            assert!(all.iter().any(|b| b.medium == m), "{m}");
        }
        let b = basis("air-99-2").unwrap();
        assert_eq!(b.range_text().unwrap(), "10万元以上100万元以下");
        assert!(b.citation().contains("大气污染防治法"));
        assert_eq!(
            basis("permit-37").unwrap().range_text().unwrap(),
            "5000元以上2万元以下（每次）"
        );
    }

    #[test]
    fn a_fine_must_lie_in_a_chosen_range() {
        let fen = |yuan: i64, cents: i64| yuan * 100 + cents;
        let air = basis("air-99-2").unwrap();
        let permit = basis("permit-34-1").unwrap();
        let daily = basis("air-123").unwrap();
        let referral = basis("epl-63-3").unwrap();
        assert!(check_fine(&[air], fen(100000, 0)).is_ok());
        assert!(check_fine(&[air], fen(1000000, 0)).is_ok());
        let e = check_fine(&[air], fen(99999, 99)).unwrap_err();
        assert_eq!(
            e.to_string(),
            "罚款 99999.99 元不在所选处罚依据规定的幅度内（第九十九条第（二）项：10万元以上100万元以下）"
        );
        assert!(check_fine(&[air], fen(1000000, 1)).is_err());
        // Either article's range will do when two are cited.
        assert!(check_fine(&[air, permit], fen(150000, 0)).is_ok());
        // 按日连续处罚 lifts the ceiling, not the floor.
        assert!(check_fine(&[air, daily], fen(3000000, 0)).is_ok());
        assert!(check_fine(&[air, daily], fen(50000, 0)).is_err());
        assert_eq!(
            check_fine(&[referral], fen(1, 0)).unwrap_err(),
            FineError::NoFineArticle
        );
    }

    #[test]
    fn bad_files_are_refused_with_the_code() {
        let bad = BASES_TOML.replacen("fine_min = 100000", "fine_min = 2000000", 1);
        let e = parse(&bad).unwrap_err();
        assert!(e.to_string().contains("air-99-2"), "{e}");
        let dup = format!(
            "{BASES_TOML}\n[[basis]]\ncode = \"air-99-2\"\nlaw = \"x\"\narticle = \"x\"\nmedium = \"air\"\nviolation = \"x\"\nmeasures = \"x\"\nin_force = \"2020-01-01\"\nsource = \"x\"\n"
        );
        assert!(parse(&dup).is_err());
    }
}
