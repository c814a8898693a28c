//! A simulated device's emission level over time: from a point in data time on, a factor's
//! values (concentrations, and with them the hour's load `-Cou` = concentration × flow) are
//! its usual series multiplied by a scale. A plant that cuts production by half during a
//! heavy-pollution warning is a step to 0.5 at the warning's start (and back to 1.0 at its
//! lift); a plant that ignores the warning has no step. Every device is at 1.0 by default.
//!
//! The schedule shapes the device's own series, so live uploads, period uploads and the history
//! it answers 补传 requests from all carry the same scaled values.

use chrono::NaiveDateTime;

/// One step of a fleet's emission schedule: from `from` (device time, Beijing), the values of
/// `factor` (every factor when `None`) of device `device` are scaled by `scale`.
#[derive(Debug, Clone, PartialEq)]
pub struct EmissionStep {
    /// Fleet index of the device (see [`crate::device_mn`]).
    pub device: usize,
    /// HJ 212 factor code, e.g. `a21026`; `None`: every factor the device measures.
    pub factor: Option<String>,
    /// From this minute of device time on (seconds are ignored).
    pub from: NaiveDateTime,
    /// Multiplier of the usual values, ≥ 0 (0: 停产, 0.5: 限产 50 %, 1: as usual).
    pub scale: f64,
}

impl EmissionStep {
    /// Parses `DEVICE:FACTOR:FROM:SCALE`, e.g. `1:a21026:2026-11-20T00:00:0.5`, FACTOR `*` for
    /// every factor, FROM Beijing `YYYY-MM-DDTHH:MM`. The message of an error says what is wrong.
    pub fn parse(s: &str) -> Result<EmissionStep, String> {
        let mut head = s.splitn(3, ':');
        let (Some(device), Some(factor), Some(rest)) = (head.next(), head.next(), head.next())
        else {
            return Err(format!(
                "排放调整“{s}”应为 设备序号:因子:起始时间:倍数，例如 1:a21026:2026-11-20T00:00:0.5"
            ));
        };
        let device: usize = device
            .trim()
            .parse()
            .map_err(|_| format!("排放调整“{s}”的设备序号“{device}”不是非负整数"))?;
        let factor = match factor.trim() {
            "*" => None,
            f if !f.is_empty() && f.bytes().all(|b| b.is_ascii_alphanumeric()) => {
                Some(f.to_string())
            }
            f => return Err(format!("排放调整“{s}”的因子“{f}”不是 HJ 212 因子编码或 *")),
        };
        let Some((from, scale)) = rest.rsplit_once(':') else {
            return Err(format!("排放调整“{s}”缺少倍数"));
        };
        let from = NaiveDateTime::parse_from_str(from.trim(), "%Y-%m-%dT%H:%M")
            .map_err(|_| format!("排放调整“{s}”的起始时间“{from}”应为 YYYY-MM-DDTHH:MM"))?;
        let scale: f64 = scale
            .trim()
            .parse()
            .ok()
            .filter(|v: &f64| v.is_finite() && *v >= 0.0)
            .ok_or_else(|| format!("排放调整“{s}”的倍数“{scale}”应为不小于 0 的数"))?;
        Ok(EmissionStep {
            device,
            factor,
            from,
            scale,
        })
    }
}

/// The emission schedule of one device: its steps, in the order they take effect.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Emission {
    /// (first minute, factor or every factor, scale), sorted by minute; among steps of the
    /// same minute the later given wins.
    steps: Vec<(i64, Option<String>, f64)>,
}

impl Emission {
    /// The schedule of device `device` from a fleet's steps. A scale that is negative or not
    /// a number is taken as 1.0 (the configuration is checked where it is read).
    pub fn for_device(steps: &[EmissionStep], device: usize) -> Emission {
        let mut own: Vec<(i64, Option<String>, f64)> = steps
            .iter()
            .filter(|s| s.device == device)
            .map(|s| {
                let scale = if s.scale.is_finite() && s.scale >= 0.0 {
                    s.scale
                } else {
                    1.0
                };
                (crate::series::minute_of(s.from), s.factor.clone(), scale)
            })
            .collect();
        // Stable: steps of the same minute keep the order they were given in.
        own.sort_by_key(|(m, _, _)| *m);
        Emission { steps: own }
    }

    /// The scale of `factor` at `minute` (see [`crate::minute_of`]): that of the last step
    /// taken effect by then that names the factor or every factor; 1.0 before any.
    pub fn scale(&self, factor: &str, minute: i64) -> f64 {
        self.steps
            .iter()
            .rev()
            .find(|(m, f, _)| *m <= minute && f.as_deref().is_none_or(|f| f == factor))
            .map_or(1.0, |(_, _, s)| *s)
    }

    /// Whether no step changes anything (every device's default).
    pub fn is_flat(&self) -> bool {
        self.steps.iter().all(|(_, _, s)| *s == 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::series::minute_of;

    fn at(s: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(s, "%Y-%m-%dT%H:%M").unwrap()
    }

    #[test]
    fn a_step_applies_from_its_minute_to_its_device_and_factor_only() {
        let steps = vec![
            EmissionStep::parse("1:a21026:2026-11-20T00:00:0.5").unwrap(),
            EmissionStep::parse("1:*:2026-11-20T06:00:1").unwrap(),
            EmissionStep::parse("2:*:2026-11-20T00:00:0").unwrap(),
        ];
        let one = Emission::for_device(&steps, 1);
        let start = minute_of(at("2026-11-20T00:00"));
        assert_eq!(one.scale("a21026", start - 1), 1.0, "before the step");
        assert_eq!(one.scale("a21026", start), 0.5);
        assert_eq!(one.scale("a21026", start + 359), 0.5);
        assert_eq!(one.scale("a21002", start + 10), 1.0, "another factor");
        assert_eq!(
            one.scale("a21026", start + 360),
            1.0,
            "the lift restores it"
        );
        let two = Emission::for_device(&steps, 2);
        assert_eq!(two.scale("a34013", start), 0.0);
        let none = Emission::for_device(&steps, 0);
        assert!(none.is_flat());
        assert_eq!(none.scale("a21026", start), 1.0);
        assert!(!one.is_flat());
    }

    #[test]
    fn steps_given_out_of_order_take_effect_by_time() {
        let steps = vec![
            EmissionStep::parse("0:*:2026-11-21T00:00:0.8").unwrap(),
            EmissionStep::parse("0:*:2026-11-20T00:00:0.3").unwrap(),
        ];
        let e = Emission::for_device(&steps, 0);
        assert_eq!(e.scale("a21026", minute_of(at("2026-11-20T12:00"))), 0.3);
        assert_eq!(e.scale("a21026", minute_of(at("2026-11-21T12:00"))), 0.8);
    }

    #[test]
    fn bad_steps_are_refused_in_chinese() {
        for bad in [
            "x:*:2026-11-20T00:00:0.5",
            "1:a21-026:2026-11-20T00:00:0.5",
            "1:*:2026-11-20:0.5",
            "1:*:2026-11-20T00:00:-1",
            "1:*:2026-11-20T00:00:NaN",
            "1:*",
        ] {
            let e = EmissionStep::parse(bad).unwrap_err();
            assert!(e.contains("排放调整"), "{bad}: {e}");
        }
        // A bad scale built in code is harmless.
        let e = Emission::for_device(
            &[EmissionStep {
                device: 0,
                factor: None,
                from: at("2026-11-20T00:00"),
                scale: -3.0,
            }],
            0,
        );
        assert_eq!(e.scale("a21026", minute_of(at("2026-11-21T00:00"))), 1.0);
    }
}
