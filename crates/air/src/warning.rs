//! Heavy-pollution weather warning level from a forecast of daily AQI (2018 framework, 环办大气函〔2018〕875号).

use serde::{Deserialize, Serialize};

/// Warning level, in increasing severity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub enum WarningLevel {
    /// 蓝色: a local extra level (off by default).
    Blue,
    /// 黄色 (III 级).
    Yellow,
    /// 橙色 (II 级).
    Orange,
    /// 红色 (I 级).
    Red,
}

impl WarningLevel {
    /// Chinese name (蓝色预警 …).
    pub fn name_zh(self) -> &'static str {
        match self {
            WarningLevel::Blue => "蓝色预警",
            WarningLevel::Yellow => "黄色预警",
            WarningLevel::Orange => "橙色预警",
            WarningLevel::Red => "红色预警",
        }
    }
}

/// How days above the severe threshold are counted inside a heavy run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum SevereCount {
    /// Longest consecutive stretch ("AQI > 300 将持续 2 天") (default).
    #[default]
    Consecutive,
    /// Total days in the run.
    Total,
}

/// Per-city thresholds; the default is the 2018 national framework.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarningConfig {
    /// A heavy day has AQI above this (200).
    pub heavy_above: u32,
    /// A severe day has AQI above this (300).
    pub severe_above: u32,
    /// Consecutive heavy days for blue; `None` = no blue level (default).
    pub blue_days: Option<u32>,
    /// Consecutive heavy days for yellow (2).
    pub yellow_days: u32,
    /// Consecutive heavy days for orange (3).
    pub orange_days: u32,
    /// Severe days needed within the run for orange (1); `None` drops the condition (e.g. Xinzhou 2021).
    pub orange_severe_days: Option<u32>,
    /// Consecutive heavy days for red (4).
    pub red_days: u32,
    /// Severe days needed within the run for red (2).
    pub red_severe_days: u32,
    /// Any single day at or above this AQI triggers red (500); `None` disables.
    pub red_any_day_at_least: Option<u32>,
    /// Counting of severe days.
    pub severe_count: SevereCount,
}

impl Default for WarningConfig {
    fn default() -> Self {
        WarningConfig {
            heavy_above: 200,
            severe_above: 300,
            blue_days: None,
            yellow_days: 2,
            orange_days: 3,
            orange_severe_days: Some(1),
            red_days: 4,
            red_severe_days: 2,
            red_any_day_at_least: Some(500),
            severe_count: SevereCount::Consecutive,
        }
    }
}

/// The warning level for a forecast of consecutive daily AQI values, or `None`.
pub fn warning_level(forecast: &[u32], cfg: &WarningConfig) -> Option<WarningLevel> {
    let mut best: Option<WarningLevel> = None;
    if let Some(t) = cfg.red_any_day_at_least
        && forecast.iter().any(|&a| a >= t)
    {
        return Some(WarningLevel::Red);
    }
    let mut i = 0;
    while i < forecast.len() {
        if forecast[i] <= cfg.heavy_above {
            i += 1;
            continue;
        }
        let start = i;
        while i < forecast.len() && forecast[i] > cfg.heavy_above {
            i += 1;
        }
        let run = &forecast[start..i];
        let len = run.len() as u32;
        let severe = match cfg.severe_count {
            SevereCount::Total => run.iter().filter(|&&a| a > cfg.severe_above).count() as u32,
            SevereCount::Consecutive => {
                let (mut cur, mut max) = (0u32, 0u32);
                for &a in run {
                    cur = if a > cfg.severe_above { cur + 1 } else { 0 };
                    max = max.max(cur);
                }
                max
            }
        };
        let level = if len >= cfg.red_days && severe >= cfg.red_severe_days {
            Some(WarningLevel::Red)
        } else if len >= cfg.orange_days && cfg.orange_severe_days.is_none_or(|s| severe >= s) {
            Some(WarningLevel::Orange)
        } else if len >= cfg.yellow_days {
            Some(WarningLevel::Yellow)
        } else if cfg.blue_days.is_some_and(|b| len >= b) {
            Some(WarningLevel::Blue)
        } else {
            None
        };
        best = best.max(level);
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use WarningLevel::*;

    #[test]
    fn national_framework() {
        let c = WarningConfig::default();
        assert_eq!(warning_level(&[150, 201, 180], &c), None);
        assert_eq!(
            warning_level(&[200, 200, 200], &c),
            None,
            "AQI 200 is not > 200"
        );
        assert_eq!(warning_level(&[201, 201], &c), Some(Yellow));
        assert_eq!(
            warning_level(&[201, 250, 290], &c),
            Some(Yellow),
            "3 days without > 300"
        );
        assert_eq!(warning_level(&[201, 301, 290], &c), Some(Orange));
        assert_eq!(
            warning_level(&[201, 301, 290, 250], &c),
            Some(Orange),
            "4 days, one severe"
        );
        assert_eq!(warning_level(&[201, 301, 320, 250], &c), Some(Red));
        assert_eq!(
            warning_level(&[301, 250, 320, 250], &c),
            Some(Orange),
            "severe days not consecutive"
        );
        assert_eq!(
            warning_level(&[201, 210, 150, 220, 301, 240], &c),
            Some(Orange),
            "runs are separate"
        );
        assert_eq!(warning_level(&[120, 500], &c), Some(Red));
        assert_eq!(warning_level(&[], &c), None);
    }

    #[test]
    fn local_variants() {
        let total = WarningConfig {
            severe_count: SevereCount::Total,
            ..WarningConfig::default()
        };
        assert_eq!(warning_level(&[301, 250, 320, 250], &total), Some(Red));
        let xinzhou = WarningConfig {
            orange_severe_days: None,
            ..WarningConfig::default()
        };
        assert_eq!(warning_level(&[201, 250, 290], &xinzhou), Some(Orange));
        let blue = WarningConfig {
            blue_days: Some(1),
            ..WarningConfig::default()
        };
        assert_eq!(warning_level(&[150, 201, 180], &blue), Some(Blue));
    }
}
