//! The analysers behind a simulated 数采仪 and their parameters, uploaded with CN 3020 (现场机
//!信息, HJ 212-2017 §6.6 and the i-codes of Appendix B, reference §4.1): one frame per
//! analyser, `DataTime`, `PolId` naming the factor, then `i130xx-Info` items:
//!
//! | Code | Parameter |
//! |---|---|
//! | i13001 | 测量量程（上限）, the factor's unit |
//! | i13002 | 测量精度 |
//! | i13003 | 测量间隔, seconds |
//! | i13006 | 最近校准时间, `YYYYMMDDhhmmss` |
//! | i13007 | 截距 |
//! | i13008 | 斜率 |
//! | i13009 | 检出限 |
//!
//! (i13004 and i13005, digestion temperature and time, belong to water analysers; these are
//! flue-gas analysers.)

use chrono::NaiveDateTime;
use qingshan_hj212::{Packet, PacketBuilder};

/// One analyser's parameters, as text exactly as uploaded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Analyser {
    /// The factor it measures.
    pub factor: &'static str,
    /// i13001: range upper limit.
    pub range: String,
    /// i13002: precision.
    pub precision: String,
    /// i13003: measuring interval, seconds.
    pub interval_secs: String,
    /// i13006: last calibration.
    pub calibrated: String,
    /// i13007: intercept.
    pub intercept: String,
    /// i13008: slope.
    pub slope: String,
    /// i13009: limit of detection.
    pub lod: String,
}

/// The analysers of a flue-gas outlet (SO2, NOx, dust), with the parameters they are installed
/// with.
pub fn table() -> Vec<Analyser> {
    let a = |factor, range: &str, precision: &str, lod: &str| Analyser {
        factor,
        range: range.into(),
        precision: precision.into(),
        interval_secs: "60".into(),
        calibrated: "20261201080000".into(),
        intercept: "0.00".into(),
        slope: "1.000".into(),
        lod: lod.into(),
    };
    vec![
        a("a21026", "200", "0.1", "1.0"),
        a("a21002", "300", "0.1", "2.0"),
        a("a34013", "50", "0.01", "0.5"),
    ]
}

/// The analyser whose range the `param` fault changes, and its new range: a range raised
/// tenfold flattens every reading near the limit, the classic tampering.
pub const TAMPERED: (&str, &str) = ("a21026", "2000");

/// The 3020 frames of `analysers` (those of `pol_id` only, when given), all with `qn`. The
/// device reads its analysers one after the other, a second apart, the last at `now`: each
/// frame has its own DataTime, so that none is taken for a resend of another.
pub fn frames(
    analysers: &[Analyser],
    pol_id: Option<&str>,
    head: impl Fn(PacketBuilder) -> PacketBuilder,
    qn: &str,
    now: NaiveDateTime,
) -> Vec<Packet> {
    let chosen: Vec<&Analyser> = analysers
        .iter()
        .filter(|a| pol_id.is_none_or(|p| p == a.factor))
        .collect();
    let n = chosen.len() as i64;
    chosen
        .into_iter()
        .enumerate()
        .filter_map(|(k, a)| {
            let read_at = now - chrono::Duration::seconds(n - 1 - k as i64);
            head(PacketBuilder::new("3020").qn(qn))
                .item("DataTime", read_at.format("%Y%m%d%H%M%S").to_string())
                .item("PolId", a.factor)
                .factor("i13001", "Info", a.range.clone())
                .item_with_sep("i13002-Info", a.precision.clone(), Some(';'))
                .item_with_sep("i13003-Info", a.interval_secs.clone(), Some(';'))
                .item_with_sep("i13006-Info", a.calibrated.clone(), Some(';'))
                .item_with_sep("i13007-Info", a.intercept.clone(), Some(';'))
                .item_with_sep("i13008-Info", a.slope.clone(), Some(';'))
                .item_with_sep("i13009-Info", a.lod.clone(), Some(';'))
                .build()
                .ok()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_analyser_is_one_frame_with_its_factor_and_parameters() {
        let now = NaiveDateTime::parse_from_str("20261203083000", "%Y%m%d%H%M%S").unwrap();
        let head = |b: PacketBuilder| b.st("31").pw("123456").mn("MN1").flag(5);
        let all = frames(&table(), None, head, "20261203083000000", now);
        assert_eq!(all.len(), 3);
        let so2 = &all[0];
        assert_eq!(so2.cn(), "3020");
        assert_eq!(so2.param("PolId"), Some("a21026"));
        assert_eq!(so2.data_time(), Some("20261203082958"));
        assert_eq!(all[2].data_time(), Some("20261203083000"));
        let f = so2.factors();
        let range = f.iter().find(|f| f.code == "i13001").unwrap();
        assert_eq!(range.get("Info").unwrap().text(), "200");
        assert!(f.iter().any(|f| f.code == "i13008"));
        let one = frames(&table(), Some("a21002"), head, "20261203083000000", now);
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].param("PolId"), Some("a21002"));
        assert!(frames(&table(), Some("w01018"), head, "q", now).is_empty());
    }
}
