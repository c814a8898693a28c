//! 数据标记: the marking rule (《污染物排放自动监测设备标记规则》, 生态环境部公告 2022 年第 21 号)
//! as data (`rules/marking-2022-21.toml`), and what follows from it for one mark: whether it was
//! filed late, which hours it covers, and whether it contradicts the device's own data
//! (疑似虚假标记). Pure: the caller brings the times and the records.
//!
//! The rule's full text was not found; the unconfirmed figures are [`MarkingOptions`].

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

/// The rule file, embedded.
pub const RULE_TOML: &str = include_str!("../rules/marking-2022-21.toml");

/// A mark kind as the rule file lists it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MarkKind {
    /// Our code (the rule's own numeric codes were not found).
    pub code: String,
    /// Chinese name.
    pub name: String,
    /// `equipment` (设备标记) or `process` (工况标记).
    pub category: String,
    /// Filing deadline after the start, hours; `None`: [`MarkingOptions::filing_hours`].
    #[serde(default)]
    pub filing_hours: Option<i64>,
    /// Whether `filing_hours` is confirmed by a source.
    #[serde(default)]
    pub filing_confirmed: bool,
    /// Longest allowed duration of one mark, hours.
    #[serde(default)]
    pub max_hours: Option<i64>,
    /// Whether `max_hours` is confirmed by a source.
    #[serde(default)]
    pub max_hours_confirmed: bool,
    /// Treatment in the exceedance judgement (`excluded`).
    pub exceedance: String,
    /// Treatment in the 有效传输率 (`excluded` or `counted`).
    pub transmission: String,
    /// Whether the transmission treatment is confirmed by a source.
    #[serde(default)]
    pub transmission_confirmed: bool,
    /// Treatment in emission totals (`counted`).
    pub emission_total: String,
    /// How a contradiction with the device's data is found: `flags`, `flow`, `received`, `none`.
    pub check: String,
    /// Where the kind and its figures come from.
    pub source: String,
}

impl MarkKind {
    /// Chinese name of the category.
    pub fn category_label(&self) -> &'static str {
        if self.category == "process" {
            "工况标记"
        } else {
            "设备标记"
        }
    }
}

/// The rule's header.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct RuleInfo {
    /// Title.
    pub title: String,
    /// Issuing document.
    pub issuer: String,
    /// Date in force.
    pub in_force: String,
    /// Where the file's content comes from.
    pub source: String,
}

/// The marking rule.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
pub struct MarkingRule {
    /// Header.
    pub rule: RuleInfo,
    /// Mark kinds.
    #[serde(rename = "kind")]
    pub kinds: Vec<MarkKind>,
}

/// A rule file that cannot be used.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum MarkingError {
    /// Not TOML of the expected shape.
    #[error("标记规则文件无法读取：{0}")]
    Parse(String),
    /// A value outside what the rule allows.
    #[error("标记规则文件中标记类型「{kind}」的 {field} 无效：{why}")]
    Invalid {
        /// Kind code.
        kind: String,
        /// Field.
        field: &'static str,
        /// Why.
        why: String,
    },
}

impl MarkingRule {
    /// Parses and checks a rule file.
    pub fn parse(src: &str) -> Result<MarkingRule, MarkingError> {
        let rule: MarkingRule =
            toml::from_str(src).map_err(|e| MarkingError::Parse(e.message().to_string()))?;
        let mut seen = std::collections::HashSet::new();
        for k in &rule.kinds {
            let bad = |field, why: &str| MarkingError::Invalid {
                kind: k.code.clone(),
                field,
                why: why.to_string(),
            };
            if !seen.insert(k.code.as_str()) {
                return Err(bad("code", "重复"));
            }
            if !matches!(k.category.as_str(), "equipment" | "process") {
                return Err(bad("category", "应为 equipment 或 process"));
            }
            if k.exceedance != "excluded" {
                return Err(bad("exceedance", "应为 excluded"));
            }
            if !matches!(k.transmission.as_str(), "excluded" | "counted") {
                return Err(bad("transmission", "应为 excluded 或 counted"));
            }
            if k.emission_total != "counted" {
                return Err(bad(
                    "emission_total",
                    "应为 counted（排污许可管理条例第21条）",
                ));
            }
            if !matches!(k.check.as_str(), "flags" | "flow" | "received" | "none") {
                return Err(bad("check", "应为 flags、flow、received 或 none"));
            }
            if k.filing_hours.is_some_and(|h| h < 0) || k.max_hours.is_some_and(|h| h <= 0) {
                return Err(bad("filing_hours/max_hours", "应为正数"));
            }
        }
        Ok(rule)
    }

    /// The embedded rule (`rules/marking-2022-21.toml`).
    pub fn embedded() -> Result<MarkingRule, MarkingError> {
        MarkingRule::parse(RULE_TOML)
    }

    /// The kind with this code.
    pub fn kind(&self, code: &str) -> Option<&MarkKind> {
        self.kinds.iter().find(|k| k.code == code)
    }
}

/// The details of the rule the reference could not confirm, as settings (enforcement.md §A.5,
/// §A.6; listed in docs/marking.md).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MarkingOptions {
    /// Filing deadline after a mark's start, hours, for kinds the rule file gives none. No
    /// deadline was found (§A.5 "[Unconfirmed]"); 24 h is a working default.
    pub filing_hours: i64,
    /// Whether a mark awaiting review already excludes data. The platform applies the
    /// enterprise's marks as filed and the bureau checks afterwards (§A.2: a mark "confirms the
    /// data's validity", S-CO); not confirmed in the rule's text. Default true.
    pub pending_counts: bool,
    /// 疑似虚假标记 when at least this share (percent) of the covered hours with data contradict
    /// the mark (flag `N` with a value, or normal flow). No source; default 50.
    pub contradiction_percent: u32,
    /// HJ 212 codes of flow, for the 停产/停炉 check (a00000 flue gas, w00000 water).
    pub flow_factors: Vec<String>,
}

impl Default for MarkingOptions {
    fn default() -> Self {
        MarkingOptions {
            filing_hours: 24,
            pending_counts: true,
            contradiction_percent: 50,
            flow_factors: vec!["a00000".into(), "w00000".into()],
        }
    }
}

/// The filing deadline of a mark of `kind` starting at `start`.
pub fn deadline(kind: &MarkKind, start: NaiveDateTime, opts: &MarkingOptions) -> NaiveDateTime {
    start + Duration::hours(kind.filing_hours.unwrap_or(opts.filing_hours))
}

/// Whether a mark filed at `filed` is late (迟报). A mark filed in advance is never late.
pub fn is_late(
    kind: &MarkKind,
    start: NaiveDateTime,
    filed: NaiveDateTime,
    opts: &MarkingOptions,
) -> bool {
    filed > deadline(kind, start, opts)
}

/// Whether the hour starting at `hour` overlaps the period `[start, end)` (`end` `None`: open).
pub fn covers(start: NaiveDateTime, end: Option<NaiveDateTime>, hour: NaiveDateTime) -> bool {
    hour + Duration::hours(1) > start && end.is_none_or(|e| hour < e)
}

/// Parses an HJ 212 DataTime (`YYYYMMDDhhmmss`).
pub fn data_time(t: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(t, "%Y%m%d%H%M%S").ok()
}

/// One hourly record under a mark, as the device sent it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Covered<'a> {
    /// Factor code.
    pub factor: &'a str,
    /// Value text, if any.
    pub value: Option<&'a str>,
    /// Data flag.
    pub flag: Option<&'a str>,
}

/// Why a mark looks false (疑似虚假标记), from its duration and the covered records (all
/// factors of the device when the mark names none); `None` when nothing contradicts it. `end`
/// `None` is judged up to `now`.
pub fn suspicion(
    kind: &MarkKind,
    start: NaiveDateTime,
    end: Option<NaiveDateTime>,
    now: NaiveDateTime,
    records: &[Covered<'_>],
    opts: &MarkingOptions,
) -> Option<String> {
    let mut why = Vec::new();
    let span = end.unwrap_or(now) - start;
    if let Some(max) = kind.max_hours
        && span > Duration::hours(max)
    {
        why.push(format!(
            "标记时长 {} 小时，超过规则允许的 {max} 小时",
            (span.num_minutes() + 59) / 60
        ));
    }
    let share =
        |hit: usize, of: usize| of > 0 && hit * 100 >= of * opts.contradiction_percent as usize;
    let valued = |c: &Covered<'_>| c.value.is_some_and(|v| !v.trim().is_empty());
    match kind.check.as_str() {
        "flags" => {
            let normal = records
                .iter()
                .filter(|c| c.flag.is_none_or(|f| f == "N") && valued(c))
                .count();
            if share(normal, records.len()) {
                why.push(format!(
                    "标记为「{}」，但设备在所覆盖的 {} 条小时数据中有 {normal} 条标识为正常（N）且有有效值",
                    kind.name,
                    records.len()
                ));
            }
        }
        "flow" => {
            let flows: Vec<&Covered<'_>> = records
                .iter()
                .filter(|c| opts.flow_factors.iter().any(|f| f == c.factor))
                .collect();
            let running = flows
                .iter()
                .filter(|c| {
                    c.flag.is_none_or(|f| f == "N")
                        && c.value
                            .and_then(|v| v.trim().parse::<f64>().ok())
                            .is_some_and(|v| v > 0.0)
                })
                .count();
            if share(running, flows.len()) {
                why.push(format!(
                    "标记为「{}」，但所覆盖的 {} 条流量小时数据中有 {running} 条流量正常（大于零）",
                    kind.name,
                    flows.len()
                ));
            }
        }
        "received" if !records.is_empty() => {
            why.push(format!(
                "标记为「{}」，但标记期间平台收到 {} 条小时数据",
                kind.name,
                records.len()
            ));
        }
        _ => {}
    }
    (!why.is_empty()).then(|| why.join("；"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: &str) -> NaiveDateTime {
        data_time(s).unwrap()
    }

    #[test]
    fn embedded_rule_parses_with_the_kinds_the_brief_names() {
        let r = MarkingRule::embedded().unwrap();
        for name in [
            "停运",
            "维护",
            "校准",
            "故障",
            "通讯异常",
            "停产",
            "启炉",
            "停炉",
            "烘炉",
        ] {
            assert!(r.kinds.iter().any(|k| k.name == name), "{name}");
        }
        assert!(r.kinds.iter().all(|k| !k.source.is_empty()));
    }

    #[test]
    fn duplicate_or_bad_values_are_refused_in_chinese() {
        let dup = format!(
            "{RULE_TOML}\n[[kind]]\ncode = \"stop\"\nname = \"x\"\ncategory = \"equipment\"\nexceedance = \"excluded\"\ntransmission = \"excluded\"\nemission_total = \"counted\"\ncheck = \"none\"\nsource = \"x\"\n"
        );
        let e = MarkingRule::parse(&dup).unwrap_err();
        assert!(e.to_string().contains("重复"), "{e}");
        let bad = RULE_TOML.replacen(
            "emission_total = \"counted\"",
            "emission_total = \"excluded\"",
            1,
        );
        assert!(
            MarkingRule::parse(&bad)
                .unwrap_err()
                .to_string()
                .contains("第21条")
        );
        assert!(matches!(
            MarkingRule::parse("x = ["),
            Err(MarkingError::Parse(_))
        ));
    }

    #[test]
    fn late_after_the_kinds_or_the_default_deadline() {
        let r = MarkingRule::embedded().unwrap();
        let o = MarkingOptions::default();
        let m = r.kind("maintenance").unwrap();
        assert!(!is_late(m, t("20260101080000"), t("20260102080000"), &o));
        assert!(is_late(m, t("20260101080000"), t("20260102080001"), &o));
        // Filed before the start: in advance.
        assert!(!is_late(m, t("20260101080000"), t("20251231080000"), &o));
        let f = r.kind("device_fault").unwrap();
        assert!(is_late(f, t("20260101080000"), t("20260101200001"), &o));
    }

    #[test]
    fn an_hour_is_covered_when_it_overlaps() {
        let (s, e) = (t("20260101083000"), Some(t("20260101110000")));
        assert!(covers(s, e, t("20260101080000")));
        assert!(covers(s, e, t("20260101100000")));
        assert!(!covers(s, e, t("20260101110000")));
        assert!(!covers(s, e, t("20260101070000")));
        assert!(covers(s, None, t("20990101000000")));
    }

    #[test]
    fn contradictions_make_a_mark_suspicious() {
        let r = MarkingRule::embedded().unwrap();
        let o = MarkingOptions::default();
        let normal = vec![
            Covered {
                factor: "a21026",
                value: Some("80"),
                flag: Some("N"),
            },
            Covered {
                factor: "a21026",
                value: Some("81"),
                flag: Some("N"),
            },
        ];
        let flagged = vec![
            Covered {
                factor: "a21026",
                value: Some("80"),
                flag: Some("M"),
            },
            Covered {
                factor: "a21026",
                value: None,
                flag: Some("M"),
            },
        ];
        let m = r.kind("maintenance").unwrap();
        let (s, e) = (t("20260101080000"), Some(t("20260101100000")));
        let why = suspicion(m, s, e, s, &normal, &o).unwrap();
        assert!(why.contains("正常（N）"), "{why}");
        assert_eq!(suspicion(m, s, e, s, &flagged, &o), None);
        let stop = r.kind("production_stop").unwrap();
        let flow = vec![Covered {
            factor: "a00000",
            value: Some("12000"),
            flag: Some("N"),
        }];
        assert!(
            suspicion(stop, s, e, s, &flow, &o)
                .unwrap()
                .contains("流量")
        );
        let zero = vec![Covered {
            factor: "a00000",
            value: Some("0"),
            flag: Some("N"),
        }];
        assert_eq!(suspicion(stop, s, e, s, &zero, &o), None);
        let check = r.kind("standard_check").unwrap();
        let why = suspicion(check, s, e, s, &flagged, &o).unwrap();
        assert!(why.contains("超过规则允许的 1 小时"), "{why}");
    }
}
