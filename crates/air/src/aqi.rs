//! HJ 633 individual and overall air-quality indices (2012 and 2026 editions).

use serde::{Deserialize, Serialize};

use crate::num::Ratio;
use crate::standard::AqiStandard;

/// The IAQI value at each breakpoint row (HJ 633-2012 Table 1, HJ 633-2026 Table 3).
pub const IAQI_LEVELS: [u32; 8] = [0, 50, 100, 150, 200, 300, 400, 500];

/// One column of the breakpoint table (concentration and averaging time).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Indicator {
    /// SO2 24-hour (daily) mean, µg/m³.
    So2_24h,
    /// SO2 1-hour mean, µg/m³ (real-time report only).
    So2_1h,
    /// NO2 24-hour (daily) mean, µg/m³.
    No2_24h,
    /// NO2 1-hour mean, µg/m³ (real-time report only).
    No2_1h,
    /// CO 24-hour (daily) mean, mg/m³.
    Co24h,
    /// CO 1-hour mean, mg/m³ (real-time report only).
    Co1h,
    /// O3 1-hour mean (or daily maximum 1-hour), µg/m³.
    O3_1h,
    /// O3 8-hour moving mean (or daily maximum 8-hour), µg/m³.
    O3_8h,
    /// PM10 24-hour (daily) mean, µg/m³; 2026 also reads 1-hour PM10 against it.
    Pm10_24h,
    /// PM2.5 24-hour (daily) mean, µg/m³; 2026 also reads 1-hour PM2.5 against it.
    Pm25_24h,
}

impl Indicator {
    /// All breakpoint columns.
    pub const ALL: [Indicator; 10] = [
        Indicator::So2_24h,
        Indicator::So2_1h,
        Indicator::No2_24h,
        Indicator::No2_1h,
        Indicator::Co24h,
        Indicator::Co1h,
        Indicator::O3_1h,
        Indicator::O3_8h,
        Indicator::Pm10_24h,
        Indicator::Pm25_24h,
    ];

    /// True for CO, whose concentrations are in mg/m³ and rounded to 0.1.
    pub fn is_co(self) -> bool {
        matches!(self, Indicator::Co24h | Indicator::Co1h)
    }
}

/// Breakpoint concentrations of one column, in the indicator's unit; `None` = not defined.
pub fn breakpoints(standard: AqiStandard, indicator: Indicator) -> [Option<u32>; 8] {
    let s = |a: [u32; 8]| a.map(Some);
    match indicator {
        Indicator::So2_24h => s([0, 50, 150, 475, 800, 1600, 2100, 2620]),
        // Above 800 the SO2 1-hour column stops: footnotes 2 (2012) and b (2026).
        Indicator::So2_1h => [
            Some(0),
            Some(150),
            Some(500),
            Some(650),
            Some(800),
            None,
            None,
            None,
        ],
        Indicator::No2_24h => s([0, 40, 80, 180, 280, 565, 750, 940]),
        Indicator::No2_1h => s([0, 100, 200, 700, 1200, 2340, 3090, 3840]),
        Indicator::Co24h => s([0, 2, 4, 14, 24, 36, 48, 60]),
        Indicator::Co1h => s([0, 5, 10, 35, 60, 90, 120, 150]),
        Indicator::O3_1h => s([0, 160, 200, 300, 400, 800, 1000, 1200]),
        // Above 800 the O3 8-hour column stops: footnotes 3 (2012) and c (2026).
        Indicator::O3_8h => [
            Some(0),
            Some(100),
            Some(160),
            Some(215),
            Some(265),
            Some(800),
            None,
            None,
        ],
        Indicator::Pm10_24h => match standard {
            AqiStandard::Hj633_2012 => s([0, 50, 150, 250, 350, 420, 500, 600]),
            AqiStandard::Hj633_2026 => s([0, 50, 120, 250, 350, 420, 500, 600]),
        },
        Indicator::Pm25_24h => match standard {
            AqiStandard::Hj633_2012 => s([0, 35, 75, 115, 150, 250, 350, 500]),
            AqiStandard::Hj633_2026 => s([0, 35, 60, 115, 150, 250, 350, 500]),
        },
    }
}

/// Rounding of concentrations before the IAQI under HJ 633-2012, which says nothing about it.
///
/// HJ 633-2026 §4.2.2 always rounds by GB/T 8170; for 2012 the reference sheet
/// recommends the same (CNEMC published integer µg/m³ and CO to 0.1) but marks it unconfirmed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Rounding2012 {
    /// Round like 2026: integers in µg/m³, CO to 0.1 mg/m³, by GB/T 8170 (default).
    #[default]
    Gbt8170,
    /// Use the concentration exactly as given.
    AsGiven,
}

/// What to do with a concentration above the IAQI = 500 breakpoint, which neither edition defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum AboveTable {
    /// IAQI = 500 and the report is flagged "beyond index" (default; 2026 states AQI range 1–500).
    #[default]
    CapAt500,
    /// No IAQI is computed for that pollutant (it then counts as missing).
    NotComputed,
}

/// Which PM values the HJ 633-2012 real-time report reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum RealtimePm2012 {
    /// 24-hour moving averages, as 2012 Table 4 specifies (default).
    #[default]
    MovingAverage24h,
    /// 1-hour values read against the daily breakpoints (common industry practice).
    OneHour,
}

/// How a missing pollutant affects the published AQI under HJ 633-2012 (2026 fixes the rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Missing2012 {
    /// Apply the HJ 633-2026 §5.3.1 rule: publish a partial AQI only when it is > 100 (default).
    #[default]
    PublishIfAbove100,
    /// Publish the maximum of the available IAQIs whatever its value.
    FromAvailable,
}

/// How a computed AQI of 0 is reported under HJ 633-2026, whose stated range is 1–500.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum ZeroAqi2026 {
    /// Report 1, the bottom of the stated range (default).
    #[default]
    ReportAsOne,
    /// Report the computed 0.
    KeepZero,
}

/// Options for the points the standards leave open; defaults follow the reference sheet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AqiOptions {
    /// Concentration rounding under 2012.
    pub rounding_2012: Rounding2012,
    /// Concentrations above the table.
    pub above_table: AboveTable,
    /// PM inputs of the 2012 real-time report.
    pub realtime_pm_2012: RealtimePm2012,
    /// Missing pollutants under 2012.
    pub missing_2012: Missing2012,
    /// AQI 0 under 2026.
    pub zero_aqi_2026: ZeroAqi2026,
    /// Slots outside the monitoring plan that HJ 633-2026 §5.3.2 lets the AQI do without
    /// (the caller judges the three-year "never primary on polluted days" condition), by [`Slot::index`].
    pub unmonitored: [bool; 7],
}

/// Result of one IAQI computation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Iaqi {
    /// The index, or `None` when the standard gives none (2012 over-800 cases, or `AboveTable::NotComputed`).
    pub value: Option<u32>,
    /// The concentration lies above the IAQI = 500 breakpoint.
    pub beyond_index: bool,
}

/// Rounds a concentration as the edition requires before the IAQI; `None` only when the
/// rounded value overflows.
pub fn round_concentration(
    standard: AqiStandard,
    indicator: Indicator,
    c: Ratio,
    opts: &AqiOptions,
) -> Option<Ratio> {
    let round = match standard {
        AqiStandard::Hj633_2026 => true,
        AqiStandard::Hj633_2012 => opts.rounding_2012 == Rounding2012::Gbt8170,
    };
    if round {
        c.round_half_even(if indicator.is_co() { 1 } else { 0 })
    } else {
        Some(c)
    }
}

/// IAQI = Ilo + ⌈(Ihi−Ilo)·(C−BPlo)/(BPhi−BPlo)⌉ on one segment, exactly; `None` only on
/// overflow.
fn segment_iaqi(c: Ratio, (lo, hi): (u32, u32), (ilo, ihi): (u32, u32)) -> Option<u32> {
    let rise = Ratio::int(i64::from(ihi) - i64::from(ilo))
        .checked_mul(c.checked_sub(Ratio::int(i64::from(lo)))?)?;
    let step = rise
        .checked_div(Ratio::int(i64::from(hi) - i64::from(lo)))?
        .ceil();
    Some(u32::try_from(step.checked_add(i128::from(ilo))?).unwrap_or(0))
}

/// IAQI of one concentration (µg/m³, CO mg/m³), exactly per HJ 633 §3.3 with ceiling rounding.
pub fn iaqi(
    standard: AqiStandard,
    indicator: Indicator,
    concentration: Ratio,
    opts: &AqiOptions,
) -> Iaqi {
    let Some(c) = round_concentration(standard, indicator, concentration, opts) else {
        return Iaqi {
            value: None,
            beyond_index: false,
        };
    };
    let bps = breakpoints(standard, indicator);
    let eight_hundred = Ratio::int(800);
    match indicator {
        Indicator::So2_1h if c > eight_hundred => {
            let value = match standard {
                AqiStandard::Hj633_2012 => None,
                AqiStandard::Hj633_2026 => Some(200),
            };
            return Iaqi {
                value,
                beyond_index: false,
            };
        }
        Indicator::O3_8h if c > eight_hundred => {
            let value = match standard {
                AqiStandard::Hj633_2012 => None,
                AqiStandard::Hj633_2026 => Some(300),
            };
            return Iaqi {
                value,
                beyond_index: false,
            };
        }
        _ => {}
    }
    if c.is_negative() {
        return Iaqi {
            value: None,
            beyond_index: false,
        };
    }
    for i in 0..7 {
        let (Some(lo), Some(hi)) = (bps[i], bps[i + 1]) else {
            break;
        };
        if c <= Ratio::int(i64::from(hi)) {
            return Iaqi {
                value: segment_iaqi(c, (lo, hi), (IAQI_LEVELS[i], IAQI_LEVELS[i + 1])),
                beyond_index: false,
            };
        }
    }
    let value = match opts.above_table {
        AboveTable::CapAt500 => Some(500),
        AboveTable::NotComputed => None,
    };
    Iaqi {
        value,
        beyond_index: true,
    }
}

/// Daily or real-time (hourly) report.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReportType {
    /// Daily report (2012 "24 小时平均"; 2026 natural day).
    Daily,
    /// Real-time (hourly) report.
    Realtime,
}

impl ReportType {
    /// Parses `daily` or `realtime`.
    pub fn from_code(s: &str) -> Option<ReportType> {
        match s {
            "daily" => Some(ReportType::Daily),
            "realtime" => Some(ReportType::Realtime),
            _ => None,
        }
    }
}

/// An output column of the report: the pollutant as it may be named primary pollutant.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Slot {
    /// SO2.
    So2,
    /// NO2.
    No2,
    /// CO.
    Co,
    /// O3 1-hour (or daily maximum 1-hour).
    O3_1h,
    /// O3 8-hour (or daily maximum 8-hour).
    O3_8h,
    /// PM10.
    Pm10,
    /// PM2.5.
    Pm25,
}

impl Slot {
    /// All slots, in output-column order.
    pub const ALL: [Slot; 7] = [
        Slot::So2,
        Slot::No2,
        Slot::Co,
        Slot::O3_1h,
        Slot::O3_8h,
        Slot::Pm10,
        Slot::Pm25,
    ];

    /// Name used for primary pollutants (SO2, NO2, CO, O3_1h, O3_8h, PM10, PM2.5).
    pub fn name(self) -> &'static str {
        match self {
            Slot::So2 => "SO2",
            Slot::No2 => "NO2",
            Slot::Co => "CO",
            Slot::O3_1h => "O3_1h",
            Slot::O3_8h => "O3_8h",
            Slot::Pm10 => "PM10",
            Slot::Pm25 => "PM2.5",
        }
    }

    /// CSV column of its IAQI (`iaqi_so2` … `iaqi_pm25`).
    pub fn column(self) -> &'static str {
        match self {
            Slot::So2 => "iaqi_so2",
            Slot::No2 => "iaqi_no2",
            Slot::Co => "iaqi_co",
            Slot::O3_1h => "iaqi_o3_1h",
            Slot::O3_8h => "iaqi_o3_8h",
            Slot::Pm10 => "iaqi_pm10",
            Slot::Pm25 => "iaqi_pm25",
        }
    }

    /// Position in [`Slot::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Slots that take part in a report of this edition and type.
    pub fn required(standard: AqiStandard, report: ReportType) -> &'static [Slot] {
        match (standard, report) {
            (AqiStandard::Hj633_2012, _) => &Slot::ALL,
            (AqiStandard::Hj633_2026, ReportType::Daily) => &[
                Slot::So2,
                Slot::No2,
                Slot::Co,
                Slot::O3_8h,
                Slot::Pm10,
                Slot::Pm25,
            ],
            (AqiStandard::Hj633_2026, ReportType::Realtime) => &[
                Slot::So2,
                Slot::No2,
                Slot::Co,
                Slot::O3_1h,
                Slot::Pm10,
                Slot::Pm25,
            ],
        }
    }
}

/// AQI level 1–6 (HJ 633-2012 Table 2, HJ 633-2026 Table 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AqiLevel {
    /// 一级 优, AQI 0–50.
    L1,
    /// 二级 良, 51–100.
    L2,
    /// 三级 轻度污染, 101–150.
    L3,
    /// 四级 中度污染, 151–200.
    L4,
    /// 五级 重度污染, 201–300.
    L5,
    /// 六级 严重污染, > 300.
    L6,
}

impl AqiLevel {
    /// The level of an AQI value.
    pub fn from_aqi(aqi: u32) -> AqiLevel {
        match aqi {
            0..=50 => AqiLevel::L1,
            51..=100 => AqiLevel::L2,
            101..=150 => AqiLevel::L3,
            151..=200 => AqiLevel::L4,
            201..=300 => AqiLevel::L5,
            _ => AqiLevel::L6,
        }
    }

    /// Level number 1–6.
    pub fn number(self) -> u8 {
        self as u8 + 1
    }

    /// Category name (优, 良, 轻度污染, 中度污染, 重度污染, 严重污染).
    pub fn category(self) -> &'static str {
        match self {
            AqiLevel::L1 => "优",
            AqiLevel::L2 => "良",
            AqiLevel::L3 => "轻度污染",
            AqiLevel::L4 => "中度污染",
            AqiLevel::L5 => "重度污染",
            AqiLevel::L6 => "严重污染",
        }
    }

    /// Colour as `#RRGGBB` (same in both editions).
    pub fn color(self) -> &'static str {
        match self {
            AqiLevel::L1 => "#00E400",
            AqiLevel::L2 => "#FFFF00",
            AqiLevel::L3 => "#FF7E00",
            AqiLevel::L4 => "#FF0000",
            AqiLevel::L5 => "#99004C",
            AqiLevel::L6 => "#7E0023",
        }
    }

    /// Colour name in Chinese (绿, 黄, 橙, 红, 紫, 褐红).
    pub fn color_name(self) -> &'static str {
        match self {
            AqiLevel::L1 => "绿色",
            AqiLevel::L2 => "黄色",
            AqiLevel::L3 => "橙色",
            AqiLevel::L4 => "红色",
            AqiLevel::L5 => "紫色",
            AqiLevel::L6 => "褐红色",
        }
    }

    /// 对健康影响情况 of the level (HJ 633-2012 Table 2; HJ 633-2026 Table 1 with its wording:
    /// 易感人群 → 敏感人群, 心脏病/肺病 → 心血管系统疾病/呼吸系统疾病).
    pub fn health_effect(self, standard: AqiStandard) -> &'static str {
        let new = standard == AqiStandard::Hj633_2026;
        match self {
            AqiLevel::L1 => "空气质量令人满意，基本无空气污染",
            AqiLevel::L2 => "空气质量可接受，但某些污染物可能对极少数异常敏感人群健康有较弱影响",
            AqiLevel::L3 if new => "敏感人群症状有轻度加剧，健康人群出现刺激症状",
            AqiLevel::L3 => "易感人群症状有轻度加剧，健康人群出现刺激症状",
            AqiLevel::L4 if new => "进一步加剧敏感人群症状，可能对健康人群心脏、呼吸系统有影响",
            AqiLevel::L4 => "进一步加剧易感人群症状，可能对健康人群心脏、呼吸系统有影响",
            AqiLevel::L5 if new => {
                "心血管系统疾病和呼吸系统疾病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状"
            }
            AqiLevel::L5 => "心脏病和肺病患者症状显著加剧，运动耐受力降低，健康人群普遍出现症状",
            AqiLevel::L6 => "健康人群运动耐受力降低，有明显强烈症状，提前出现某些疾病",
        }
    }

    /// 建议采取的措施 of the level (same tables and wording changes as
    /// [`AqiLevel::health_effect`]; 2026: 儿童 → 青少年儿童, 心脏病 → 心血管系统疾病).
    pub fn advice(self, standard: AqiStandard) -> &'static str {
        let new = standard == AqiStandard::Hj633_2026;
        match self {
            AqiLevel::L1 => "各类人群可正常活动",
            AqiLevel::L2 => "极少数异常敏感人群应减少户外活动",
            AqiLevel::L3 if new => {
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼"
            }
            AqiLevel::L3 => "儿童、老年人及心脏病、呼吸系统疾病患者应减少长时间、高强度的户外锻炼",
            AqiLevel::L4 if new => {
                "青少年儿童、老年人及心血管系统疾病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动"
            }
            AqiLevel::L4 => {
                "儿童、老年人及心脏病、呼吸系统疾病患者避免长时间、高强度的户外锻炼，一般人群适量减少户外运动"
            }
            AqiLevel::L5 if new => {
                "青少年儿童、老年人和心血管系统疾病、呼吸系统疾病患者应停留在室内，停止户外运动，一般人群减少户外运动"
            }
            AqiLevel::L5 => {
                "儿童、老年人和心脏病、肺病患者应停留在室内，停止户外运动，一般人群减少户外运动"
            }
            AqiLevel::L6 if new => {
                "青少年儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动"
            }
            AqiLevel::L6 => "儿童、老年人和病人应当留在室内，避免体力消耗，一般人群应避免户外活动",
        }
    }
}

/// Concentrations given to a report (µg/m³, CO mg/m³); `None` = missing.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct AqiInput {
    /// SO2 24-hour (daily) mean.
    pub so2_24h: Option<Ratio>,
    /// SO2 1-hour mean.
    pub so2_1h: Option<Ratio>,
    /// NO2 24-hour (daily) mean.
    pub no2_24h: Option<Ratio>,
    /// NO2 1-hour mean.
    pub no2_1h: Option<Ratio>,
    /// CO 24-hour (daily) mean, mg/m³.
    pub co_24h: Option<Ratio>,
    /// CO 1-hour mean, mg/m³.
    pub co_1h: Option<Ratio>,
    /// O3 1-hour mean (daily report: the day's maximum 1-hour).
    pub o3_1h: Option<Ratio>,
    /// O3 8-hour moving mean (daily report: the day's maximum 8-hour).
    pub o3_8h: Option<Ratio>,
    /// PM10 24-hour (daily or moving) mean.
    pub pm10_24h: Option<Ratio>,
    /// PM10 1-hour mean.
    pub pm10_1h: Option<Ratio>,
    /// PM2.5 24-hour (daily or moving) mean.
    pub pm25_24h: Option<Ratio>,
    /// PM2.5 1-hour mean.
    pub pm25_1h: Option<Ratio>,
}

/// A daily or real-time AQI report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AqiReport {
    /// Edition applied.
    pub standard: AqiStandard,
    /// Report type.
    pub report: ReportType,
    /// IAQI per slot, indexed by [`Slot::index`]; `None` where not computed.
    pub iaqi: [Option<u32>; 7],
    /// Some concentration lay above the IAQI = 500 breakpoint.
    pub beyond_index: bool,
    /// Every indicator of the report was available.
    pub complete: bool,
    /// Maximum of the available IAQIs, before the publication rule.
    pub computed_aqi: Option<u32>,
    /// The AQI to publish; `None` is shown as NA.
    pub aqi: Option<u32>,
    /// Level of the published AQI.
    pub level: Option<AqiLevel>,
    /// 首要污染物: slots whose IAQI equals the AQI when the AQI > 50 (ties all listed).
    pub primary: Vec<Slot>,
    /// 超标污染物 (2012 only): slots with IAQI > 100; always empty under 2026.
    pub over_limit: Vec<Slot>,
}

/// Computes a report exactly per HJ 633 of the chosen edition and type.
pub fn compute_aqi(
    standard: AqiStandard,
    report: ReportType,
    input: &AqiInput,
    opts: &AqiOptions,
) -> AqiReport {
    let mut iaqi_v: [Option<u32>; 7] = [None; 7];
    let mut beyond = false;
    let mut calc = |ind: Indicator, c: Option<Ratio>| -> Option<u32> {
        let r = iaqi(standard, ind, c?, opts);
        beyond |= r.beyond_index;
        r.value
    };
    // Slots that the standard's over-800 fallback exempts from the completeness check.
    let mut exempt: Vec<Slot> = Vec::new();
    let is_2012 = standard == AqiStandard::Hj633_2012;
    match report {
        ReportType::Daily => {
            iaqi_v[Slot::So2.index()] = calc(Indicator::So2_24h, input.so2_24h);
            iaqi_v[Slot::No2.index()] = calc(Indicator::No2_24h, input.no2_24h);
            iaqi_v[Slot::Co.index()] = calc(Indicator::Co24h, input.co_24h);
            if is_2012 {
                iaqi_v[Slot::O3_1h.index()] = calc(Indicator::O3_1h, input.o3_1h);
            }
            iaqi_v[Slot::O3_8h.index()] = calc(Indicator::O3_8h, input.o3_8h);
            iaqi_v[Slot::Pm10.index()] = calc(Indicator::Pm10_24h, input.pm10_24h);
            iaqi_v[Slot::Pm25.index()] = calc(Indicator::Pm25_24h, input.pm25_24h);
        }
        ReportType::Realtime => {
            let so2 = calc(Indicator::So2_1h, input.so2_1h);
            iaqi_v[Slot::So2.index()] = match (standard, input.so2_1h) {
                // 2012 footnote 2: SO2 1 h > 800 reports the 24-hour IAQI instead.
                (AqiStandard::Hj633_2012, Some(c))
                    if so2.is_none()
                        && !iaqi(standard, Indicator::So2_1h, c, opts).beyond_index =>
                {
                    calc(Indicator::So2_24h, input.so2_24h)
                }
                _ => so2,
            };
            iaqi_v[Slot::No2.index()] = calc(Indicator::No2_1h, input.no2_1h);
            iaqi_v[Slot::Co.index()] = calc(Indicator::Co1h, input.co_1h);
            iaqi_v[Slot::O3_1h.index()] = calc(Indicator::O3_1h, input.o3_1h);
            if is_2012 {
                iaqi_v[Slot::O3_8h.index()] = calc(Indicator::O3_8h, input.o3_8h);
            }
            let (pm10, pm25) = match (standard, opts.realtime_pm_2012) {
                (AqiStandard::Hj633_2012, RealtimePm2012::MovingAverage24h) => {
                    (input.pm10_24h, input.pm25_24h)
                }
                _ => (input.pm10_1h, input.pm25_1h),
            };
            iaqi_v[Slot::Pm10.index()] = calc(Indicator::Pm10_24h, pm10);
            iaqi_v[Slot::Pm25.index()] = calc(Indicator::Pm25_24h, pm25);
        }
    }
    // 2012 footnote 3: O3 8 h > 800 has no 8-hour IAQI; the 1-hour IAQI stands for O3.
    if is_2012 && let Some(c) = input.o3_8h {
        let r = iaqi(standard, Indicator::O3_8h, c, opts);
        if r.value.is_none() && !r.beyond_index {
            exempt.push(Slot::O3_8h);
        }
    }
    let required = Slot::required(standard, report);
    let complete = required
        .iter()
        .all(|s| iaqi_v[s.index()].is_some() || exempt.contains(s) || opts.unmonitored[s.index()]);
    let computed_aqi = iaqi_v.iter().flatten().copied().max();
    let publish_partial = match standard {
        AqiStandard::Hj633_2026 => false,
        AqiStandard::Hj633_2012 => opts.missing_2012 == Missing2012::FromAvailable,
    };
    let mut aqi = match computed_aqi {
        Some(a) if complete || a > 100 || publish_partial => Some(a),
        _ => None,
    };
    if standard == AqiStandard::Hj633_2026
        && opts.zero_aqi_2026 == ZeroAqi2026::ReportAsOne
        && aqi == Some(0)
    {
        aqi = Some(1);
    }
    let level = aqi.map(AqiLevel::from_aqi);
    let primary = match aqi {
        Some(a) if a > 50 => Slot::ALL
            .iter()
            .copied()
            .filter(|s| iaqi_v[s.index()] == Some(a))
            .collect(),
        _ => Vec::new(),
    };
    let over_limit = if is_2012 {
        Slot::ALL
            .iter()
            .copied()
            .filter(|s| iaqi_v[s.index()].is_some_and(|v| v > 100))
            .collect()
    } else {
        Vec::new()
    };
    AqiReport {
        standard,
        report,
        iaqi: iaqi_v,
        beyond_index: beyond,
        complete,
        computed_aqi,
        aqi,
        level,
        primary,
        over_limit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cli::parse_ratio;

    const S12: AqiStandard = AqiStandard::Hj633_2012;
    const S26: AqiStandard = AqiStandard::Hj633_2026;

    fn c(s: &str) -> Ratio {
        parse_ratio(s).unwrap()
    }

    #[test]
    fn health_texts_follow_the_edition_wording() {
        use AqiLevel::*;
        for l in [L1, L2, L3, L4, L5, L6] {
            assert!(!l.health_effect(S12).is_empty() && !l.advice(S26).is_empty());
            // 2026 renamed the groups; the old words are gone from its texts.
            for old in ["易感人群", "心脏病", "肺病"] {
                assert!(!l.health_effect(S26).contains(old), "{l:?}");
                assert!(!l.advice(S26).contains(old), "{l:?}");
            }
        }
        assert!(L3.advice(S12).starts_with("儿童"));
        assert!(L3.advice(S26).starts_with("青少年儿童"));
        assert_eq!(L1.advice(S12), "各类人群可正常活动");
        assert!(L6.advice(S26).contains("一般人群应避免户外活动"));
    }

    fn iv(std: AqiStandard, ind: Indicator, s: &str) -> Option<u32> {
        iaqi(std, ind, c(s), &AqiOptions::default()).value
    }

    fn exact(std: AqiStandard, ind: Indicator, s: &str) -> Option<u32> {
        let o = AqiOptions {
            rounding_2012: Rounding2012::AsGiven,
            ..AqiOptions::default()
        };
        iaqi(std, ind, c(s), &o).value
    }

    /// The tables of reference §3.1/§3.2, typed independently of `breakpoints`.
    fn reference_table(std: AqiStandard) -> Vec<(Indicator, [Option<u32>; 8])> {
        let n = None;
        let (pm10_100, pm25_100) = if std == S12 { (150, 75) } else { (120, 60) };
        vec![
            (
                Indicator::So2_24h,
                [
                    Some(0),
                    Some(50),
                    Some(150),
                    Some(475),
                    Some(800),
                    Some(1600),
                    Some(2100),
                    Some(2620),
                ],
            ),
            (
                Indicator::So2_1h,
                [Some(0), Some(150), Some(500), Some(650), Some(800), n, n, n],
            ),
            (
                Indicator::No2_24h,
                [
                    Some(0),
                    Some(40),
                    Some(80),
                    Some(180),
                    Some(280),
                    Some(565),
                    Some(750),
                    Some(940),
                ],
            ),
            (
                Indicator::No2_1h,
                [
                    Some(0),
                    Some(100),
                    Some(200),
                    Some(700),
                    Some(1200),
                    Some(2340),
                    Some(3090),
                    Some(3840),
                ],
            ),
            (
                Indicator::Pm10_24h,
                [
                    Some(0),
                    Some(50),
                    Some(pm10_100),
                    Some(250),
                    Some(350),
                    Some(420),
                    Some(500),
                    Some(600),
                ],
            ),
            (
                Indicator::Co24h,
                [
                    Some(0),
                    Some(2),
                    Some(4),
                    Some(14),
                    Some(24),
                    Some(36),
                    Some(48),
                    Some(60),
                ],
            ),
            (
                Indicator::Co1h,
                [
                    Some(0),
                    Some(5),
                    Some(10),
                    Some(35),
                    Some(60),
                    Some(90),
                    Some(120),
                    Some(150),
                ],
            ),
            (
                Indicator::O3_1h,
                [
                    Some(0),
                    Some(160),
                    Some(200),
                    Some(300),
                    Some(400),
                    Some(800),
                    Some(1000),
                    Some(1200),
                ],
            ),
            (
                Indicator::O3_8h,
                [
                    Some(0),
                    Some(100),
                    Some(160),
                    Some(215),
                    Some(265),
                    Some(800),
                    n,
                    n,
                ],
            ),
            (
                Indicator::Pm25_24h,
                [
                    Some(0),
                    Some(35),
                    Some(pm25_100),
                    Some(115),
                    Some(150),
                    Some(250),
                    Some(350),
                    Some(500),
                ],
            ),
        ]
    }

    #[test]
    fn tables_match_reference_both_editions() {
        for std in [S12, S26] {
            let table = reference_table(std);
            assert_eq!(table.len(), Indicator::ALL.len());
            for (ind, row) in table {
                assert_eq!(breakpoints(std, ind), row, "{std:?} {ind:?}");
            }
        }
        // The SO2 daily top is 2620, not the 2602 typo of a public table.
        assert_eq!(breakpoints(S12, Indicator::So2_24h)[7], Some(2620));
    }

    #[test]
    fn every_breakpoint_edge_both_editions() {
        for std in [S12, S26] {
            for (ind, row) in reference_table(std) {
                // One published unit: 1 µg/m³, CO 0.1 mg/m³.
                let unit = if ind.is_co() {
                    Ratio::new(1, 10).unwrap()
                } else {
                    Ratio::int(1)
                };
                for i in 0..8 {
                    let Some(bp) = row[i] else { continue };
                    let at = Ratio::int(i64::from(bp));
                    let o = AqiOptions::default();
                    assert_eq!(
                        iaqi(std, ind, at, &o).value,
                        Some(IAQI_LEVELS[i]),
                        "{std:?} {ind:?} at {bp}"
                    );
                    // Just above the breakpoint, the next segment starts with its slope, ceiled.
                    if i < 7
                        && let Some(hi) = row[i + 1]
                    {
                        let above = at.checked_add(unit).unwrap();
                        let di = i128::from(IAQI_LEVELS[i + 1] - IAQI_LEVELS[i]);
                        let dbp = Ratio::int(i64::from(hi - bp));
                        let expect = i128::from(IAQI_LEVELS[i])
                            + Ratio::new(di, 1)
                                .unwrap()
                                .checked_mul(unit)
                                .unwrap()
                                .checked_div(dbp)
                                .unwrap()
                                .ceil();
                        assert_eq!(
                            iaqi(std, ind, above, &o).value,
                            Some(expect as u32),
                            "{std:?} {ind:?} above {bp}"
                        );
                        assert!(expect > i128::from(IAQI_LEVELS[i]));
                    }
                    // Just below the breakpoint stays at or under its IAQI.
                    if i > 0 {
                        let below = at.checked_sub(unit).unwrap();
                        let v = iaqi(std, ind, below, &o).value.unwrap();
                        assert!(
                            v <= IAQI_LEVELS[i] && v > IAQI_LEVELS[i - 1],
                            "{std:?} {ind:?} below {bp}: {v}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn published_worked_values() {
        // Worked example 1: CO 2.2 → 55 (f64 gives 56).
        assert_eq!(iv(S12, Indicator::Co24h, "2.2"), Some(55));
        assert_eq!(iv(S26, Indicator::Co24h, "2.2"), Some(55));
        // PM10 7 → 7 (one float operation order gives 8).
        assert_eq!(iv(S12, Indicator::Pm10_24h, "7"), Some(7));
        // PM2.5 36 → 52 (python-aqi's banded 51 is wrong).
        assert_eq!(iv(S12, Indicator::Pm25_24h, "36"), Some(52));
        // SO2 daily 100 → 75 (aqi-hub's copied 1 h table gives 34).
        assert_eq!(iv(S12, Indicator::So2_24h, "100"), Some(75));
        // PM2.5 25 → ceil(35.714…) = 36; PM10 12.5 exact → IAQI 13 (ceil), rounded first → 12.
        assert_eq!(iv(S12, Indicator::Pm25_24h, "25"), Some(36));
        assert_eq!(iv(S12, Indicator::Pm10_24h, "12.5"), Some(12));
        assert_eq!(exact(S12, Indicator::Pm10_24h, "12.5"), Some(13));
    }

    #[test]
    fn rounding_at_the_edges() {
        // 2026 rounds first by GB/T 8170: 60.5 → 60 → 100; 61.5 → 62 → 102.
        assert_eq!(iv(S26, Indicator::Pm25_24h, "60.5"), Some(100));
        assert_eq!(iv(S26, Indicator::Pm25_24h, "60.51"), Some(101));
        assert_eq!(iv(S26, Indicator::Pm25_24h, "61.5"), Some(102));
        assert_eq!(iv(S26, Indicator::Co24h, "2.25"), Some(55));
        assert_eq!(iv(S26, Indicator::Co24h, "2.35"), Some(60));
        // Up-rounding of the IAQI: 100.001 → 101.
        assert_eq!(exact(S12, Indicator::Pm25_24h, "75.001"), Some(101));
        assert_eq!(exact(S12, Indicator::Pm25_24h, "75"), Some(100));
        // 2012 with default rounding behaves like 2026 for the concentration step.
        assert_eq!(iv(S12, Indicator::Pm25_24h, "75.5"), Some(102));
        assert_eq!(iv(S12, Indicator::Pm25_24h, "74.5"), Some(99));
        assert_eq!(exact(S12, Indicator::Pm25_24h, "74.5"), Some(100));
        assert_eq!(exact(S12, Indicator::Pm25_24h, "75.5"), Some(101));
        assert_eq!(iv(S12, Indicator::Pm25_24h, "0.4"), Some(0));
        assert_eq!(exact(S12, Indicator::Pm25_24h, "0.4"), Some(1));
    }

    #[test]
    fn over_800_rules() {
        // 2026: SO2 1 h > 800 → 200; O3 8 h > 800 → 300.
        assert_eq!(iv(S26, Indicator::So2_1h, "801"), Some(200));
        assert_eq!(iv(S26, Indicator::So2_1h, "800"), Some(200));
        assert_eq!(iv(S26, Indicator::So2_1h, "800.5"), Some(200));
        assert_eq!(iv(S26, Indicator::O3_8h, "801"), Some(300));
        assert_eq!(iv(S26, Indicator::O3_8h, "5000"), Some(300));
        // 2012: no 1 h / 8 h IAQI; fallback handled in the report.
        assert_eq!(iv(S12, Indicator::So2_1h, "801"), None);
        assert_eq!(iv(S12, Indicator::O3_8h, "801"), None);
        assert_eq!(iv(S12, Indicator::O3_8h, "800"), Some(300));
        let o = AqiOptions::default();
        let input = AqiInput {
            so2_1h: Some(c("900")),
            so2_24h: Some(c("500")),
            no2_1h: Some(c("10")),
            co_1h: Some(c("0.5")),
            o3_1h: Some(c("850")),
            o3_8h: Some(c("820")),
            pm10_24h: Some(c("10")),
            pm25_24h: Some(c("10")),
            ..AqiInput::default()
        };
        let r = compute_aqi(S12, ReportType::Realtime, &input, &o);
        // SO2 from its 24 h mean: 150 + ceil(50·25/325) = 154.
        assert_eq!(r.iaqi[Slot::So2.index()], Some(154));
        assert_eq!(r.iaqi[Slot::O3_8h.index()], None);
        // O3 1 h 850: 300 + ceil(100·50/200) = 325.
        assert_eq!(r.iaqi[Slot::O3_1h.index()], Some(325));
        assert!(r.complete);
        assert_eq!(r.aqi, Some(325));
        assert_eq!(r.primary, vec![Slot::O3_1h]);
        assert_eq!(r.over_limit, vec![Slot::So2, Slot::O3_1h]);
        // Without the SO2 24 h mean, SO2 is missing; the AQI > 100 is still published.
        let r = compute_aqi(
            S12,
            ReportType::Realtime,
            &AqiInput {
                so2_24h: None,
                ..input
            },
            &o,
        );
        assert_eq!(r.iaqi[Slot::So2.index()], None);
        assert!(!r.complete);
        assert_eq!(r.aqi, Some(325));
        // 2026 realtime: SO2 → 200, PM from 1 h values, no O3 8 h.
        let input26 = AqiInput {
            pm10_1h: Some(c("10")),
            pm25_1h: Some(c("10")),
            ..input
        };
        let r = compute_aqi(S26, ReportType::Realtime, &input26, &o);
        assert_eq!(r.iaqi[Slot::So2.index()], Some(200));
        assert_eq!(r.iaqi[Slot::O3_8h.index()], None);
        assert!(r.complete);
        assert!(r.over_limit.is_empty());
        // 2026 daily: O3 8 h > 800 → 300.
        let d = AqiInput {
            so2_24h: Some(c("5")),
            no2_24h: Some(c("5")),
            co_24h: Some(c("0.5")),
            o3_8h: Some(c("900")),
            pm10_24h: Some(c("5")),
            pm25_24h: Some(c("5")),
            ..AqiInput::default()
        };
        let r = compute_aqi(S26, ReportType::Daily, &d, &o);
        assert_eq!(r.aqi, Some(300));
        assert_eq!(r.level, Some(AqiLevel::L5));
        assert_eq!(r.primary, vec![Slot::O3_8h]);
        // 2012 daily with O3 8 h > 800 and the 1 h maximum present: O3 from 1 h.
        let d12 = AqiInput {
            o3_1h: Some(c("1000")),
            ..d
        };
        let r = compute_aqi(S12, ReportType::Daily, &d12, &o);
        assert_eq!(r.iaqi[Slot::O3_8h.index()], None);
        assert_eq!(r.aqi, Some(400));
        assert!(r.complete);
    }

    #[test]
    fn above_table_policy() {
        let o = AqiOptions::default();
        let r = iaqi(S12, Indicator::Pm25_24h, c("501"), &o);
        assert_eq!(
            r,
            Iaqi {
                value: Some(500),
                beyond_index: true
            }
        );
        let o2 = AqiOptions {
            above_table: AboveTable::NotComputed,
            ..o
        };
        assert_eq!(iaqi(S12, Indicator::Pm25_24h, c("501"), &o2).value, None);
        assert_eq!(
            iaqi(S12, Indicator::Pm25_24h, c("500"), &o2).value,
            Some(500)
        );
    }

    fn daily_all(v: &str) -> AqiInput {
        AqiInput {
            so2_24h: Some(c(v)),
            no2_24h: Some(c(v)),
            co_24h: Some(c("0.1")),
            o3_1h: Some(c(v)),
            o3_8h: Some(c(v)),
            pm10_24h: Some(c(v)),
            pm25_24h: Some(c(v)),
            ..AqiInput::default()
        }
    }

    #[test]
    fn missing_pollutants() {
        let o = AqiOptions::default();
        // Complete, low: published.
        let full = daily_all("10");
        assert!(compute_aqi(S26, ReportType::Daily, &full, &o).aqi.is_some());
        // PM2.5 missing, AQI of the rest ≤ 100 → NA, IAQIs still shown.
        let miss = AqiInput {
            pm25_24h: None,
            ..full
        };
        let r = compute_aqi(S26, ReportType::Daily, &miss, &o);
        assert_eq!(r.aqi, None);
        assert_eq!(r.level, None);
        assert!(r.primary.is_empty());
        assert_eq!(r.iaqi[Slot::So2.index()], Some(10));
        assert_eq!(r.computed_aqi, Some(13));
        // Rest > 100 → published partial AQI.
        let hot = AqiInput {
            pm10_24h: Some(c("200")),
            ..miss
        };
        let r = compute_aqi(S26, ReportType::Daily, &hot, &o);
        assert_eq!(r.aqi, Some(131));
        assert_eq!(r.primary, vec![Slot::Pm10]);
        assert!(!r.complete);
        // Not in the monitoring plan (§5.3.2): the AQI is published without it.
        let mut um = o;
        um.unmonitored[Slot::Pm25.index()] = true;
        assert_eq!(
            compute_aqi(S26, ReportType::Daily, &miss, &um).aqi,
            Some(13)
        );
        // Exactly 100 is not > 100: NA.
        let at100 = AqiInput {
            pm10_24h: Some(c("120")),
            ..miss
        };
        assert_eq!(compute_aqi(S26, ReportType::Daily, &at100, &o).aqi, None);
        // 2012 option FromAvailable publishes whatever is there.
        let o12 = AqiOptions {
            missing_2012: Missing2012::FromAvailable,
            ..o
        };
        assert_eq!(
            compute_aqi(S12, ReportType::Daily, &miss, &o12).aqi,
            Some(13)
        );
        assert_eq!(compute_aqi(S12, ReportType::Daily, &miss, &o).aqi, None);
        // 2026 daily does not need O3 1 h.
        let no_o3_1h = AqiInput {
            o3_1h: None,
            ..full
        };
        assert!(compute_aqi(S26, ReportType::Daily, &no_o3_1h, &o).complete);
        assert!(!compute_aqi(S12, ReportType::Daily, &no_o3_1h, &o).complete);
        // Nothing at all.
        let r = compute_aqi(S26, ReportType::Daily, &AqiInput::default(), &o);
        assert_eq!((r.aqi, r.computed_aqi, r.complete), (None, None, false));
    }

    #[test]
    fn primary_pollutants_and_levels() {
        let o = AqiOptions::default();
        // AQI ≤ 50: no primary pollutant.
        let r = compute_aqi(S12, ReportType::Daily, &daily_all("20"), &o);
        assert!(r.aqi.unwrap() <= 50 && r.primary.is_empty());
        // Ties all listed: PM10 150 and PM2.5 75 both give 100 under 2012.
        let t = AqiInput {
            pm10_24h: Some(c("150")),
            pm25_24h: Some(c("75")),
            ..daily_all("10")
        };
        let r = compute_aqi(S12, ReportType::Daily, &t, &o);
        assert_eq!(r.aqi, Some(100));
        assert_eq!(r.primary, vec![Slot::Pm10, Slot::Pm25]);
        assert!(
            r.over_limit.is_empty(),
            "IAQI exactly 100 is not over the limit"
        );
        // Same air under 2026 is worse.
        let r = compute_aqi(S26, ReportType::Daily, &t, &o);
        assert_eq!(r.iaqi[Slot::Pm25.index()], Some(114));
        assert_eq!(r.iaqi[Slot::Pm10.index()], Some(112));
        assert_eq!(r.aqi, Some(114));
        assert_eq!(r.primary, vec![Slot::Pm25]);
        for (a, n, cat, col) in [
            (0, 1, "优", "#00E400"),
            (50, 1, "优", "#00E400"),
            (51, 2, "良", "#FFFF00"),
            (100, 2, "良", "#FFFF00"),
            (101, 3, "轻度污染", "#FF7E00"),
            (150, 3, "轻度污染", "#FF7E00"),
            (151, 4, "中度污染", "#FF0000"),
            (200, 4, "中度污染", "#FF0000"),
            (201, 5, "重度污染", "#99004C"),
            (300, 5, "重度污染", "#99004C"),
            (301, 6, "严重污染", "#7E0023"),
            (500, 6, "严重污染", "#7E0023"),
        ] {
            let l = AqiLevel::from_aqi(a);
            assert_eq!(
                (l.number(), l.category(), l.color()),
                (n, cat, col),
                "AQI {a}"
            );
        }
    }

    #[test]
    fn zero_aqi_option() {
        let zero = AqiInput {
            so2_24h: Some(c("0")),
            no2_24h: Some(c("0")),
            co_24h: Some(c("0")),
            o3_8h: Some(c("0")),
            pm10_24h: Some(c("0")),
            pm25_24h: Some(c("0")),
            ..AqiInput::default()
        };
        let o = AqiOptions::default();
        assert_eq!(compute_aqi(S26, ReportType::Daily, &zero, &o).aqi, Some(1));
        let keep = AqiOptions {
            zero_aqi_2026: ZeroAqi2026::KeepZero,
            ..o
        };
        assert_eq!(
            compute_aqi(S26, ReportType::Daily, &zero, &keep).aqi,
            Some(0)
        );
    }

    #[test]
    fn realtime_pm_2012_option() {
        let input = AqiInput {
            so2_1h: Some(c("1")),
            no2_1h: Some(c("1")),
            co_1h: Some(c("0.1")),
            o3_1h: Some(c("1")),
            o3_8h: Some(c("1")),
            pm10_24h: Some(c("50")),
            pm25_24h: Some(c("35")),
            pm10_1h: Some(c("150")),
            pm25_1h: Some(c("75")),
            ..AqiInput::default()
        };
        let o = AqiOptions::default();
        assert_eq!(
            compute_aqi(S12, ReportType::Realtime, &input, &o).aqi,
            Some(50)
        );
        let one = AqiOptions {
            realtime_pm_2012: RealtimePm2012::OneHour,
            ..o
        };
        assert_eq!(
            compute_aqi(S12, ReportType::Realtime, &input, &one).aqi,
            Some(100)
        );
    }
}
