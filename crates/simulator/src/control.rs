//! One simulated 数采仪's own state and how it answers the platform's commands (反控,
//! HJ 212-2017 §6.5): 9011 (QnRtn), the data it is asked for, 9012 (ExeRtn). Pure: the
//! connection loop passes the time in and writes the frames out.
//!
//! | CN | Answer |
//! |---|---|
//! | 1011 | 9011, a 1011 upload with `SystemTime` (the device clock), 9012 |
//! | 1012 | 9011, the clock set (later DataTimes follow it), 9012 |
//! | 1061 / 1062 | 9011, a 1061 upload with `RtdInterval` / the interval set, 9012 |
//! | 1063 / 1064 | 9011, a 1063 upload with `MinInterval` / the interval set, 9012 |
//! | 1072 | 9011, 9012 (both with the old password), then the new one for every later frame |
//! | 2011 / 2012 | 9011 and real-time uploads resume / 9013 and they stop |
//! | 2051, 2061, 2031 | 9011, one upload per complete period of the window from the device's own series, 9012 (ExeRtn 100 when the window holds none) |
//! | 3020 | 9011, one 3020 frame per analyser (or the one of `PolId`), 9012 |
//!
//! A request with a wrong password gets 9011 QnRtn = 3; a value the standard does not allow,
//! 9012 ExeRtn = 3.

use std::collections::VecDeque;
use std::time::Duration;

use chrono::{DateTime, NaiveDateTime, Timelike, Utc};
use qingshan_hj212::{Packet, PacketBuilder, reply_9011, reply_9012, reply_9013};

use crate::analyser::{self, Analyser};
use crate::emission::Emission;
use crate::series::{self, FACTORS, Shape};

const TIME14: &str = "%Y%m%d%H%M%S";

/// Beijing wall-clock time of a UTC instant (China keeps no daylight saving time).
pub fn beijing(t: DateTime<Utc>) -> NaiveDateTime {
    (t + chrono::Duration::hours(8)).naive_utc()
}

/// A device's state: what commands change.
#[derive(Debug, Clone)]
pub struct DeviceState {
    /// Index in the fleet (seeds its series).
    pub index: usize,
    /// MN.
    pub mn: String,
    /// System code of its frames.
    pub st: String,
    /// "2005", "2017" or "2025".
    pub version: String,
    /// Access password (1072 changes it).
    pub password: String,
    /// Device clock minus Beijing time, milliseconds (1012 and the clock fault change it).
    pub clock_offset_ms: i64,
    /// Real-time upload interval in the protocol's seconds (1062).
    pub rtd_interval: f64,
    /// How long one protocol second of an interval lasts here (1 s; tests compress time).
    pub interval_unit: Duration,
    /// Minute-data interval, minutes (1064).
    pub min_interval: u32,
    /// Real-time uploads on (2011) or off (2012).
    pub realtime: bool,
    /// The analysers and their parameters (3020).
    pub analysers: Vec<Analyser>,
    /// What shapes its values.
    pub shape: Shape,
    /// Its emission level over time (flat: as usual).
    pub emission: Emission,
}

/// What a history request makes the device send: data frames paced by the platform's
/// acknowledgements, then the 9012.
#[derive(Debug, Clone)]
pub struct HistoryJob {
    /// QN of the request (every frame carries it).
    pub qn: String,
    /// Data frames still to send.
    pub frames: VecDeque<Packet>,
    /// The execution result, sent after the last frame.
    pub done: Packet,
}

/// A device's answer to one frame from the platform.
#[derive(Debug, Default)]
pub struct Answer {
    /// Frames to send now, in order.
    pub frames: Vec<Packet>,
    /// History to send after them.
    pub history: Option<HistoryJob>,
    /// The real-time interval changed: the upload clock must be reset.
    pub interval_changed: bool,
}

fn flag_bits(version: &str) -> u8 {
    match version {
        "2005" => 0,
        "2025" => 2 << 2,
        _ => 1 << 2,
    }
}

impl DeviceState {
    /// The device clock now.
    pub fn clock(&self, now: DateTime<Utc>) -> NaiveDateTime {
        beijing(now) + chrono::Duration::milliseconds(self.clock_offset_ms)
    }

    /// The real-time upload interval in real time.
    pub fn rtd_period(&self) -> Duration {
        self.interval_unit.mul_f64(self.rtd_interval.max(1e-3))
    }

    /// A frame header of this device: QN, ST, PW, MN and Flag (A = 1 when `ack`).
    pub fn head(&self, cn: &str, qn: &str, ack: bool) -> PacketBuilder {
        PacketBuilder::new(cn)
            .qn(qn)
            .st(self.st.as_str())
            .pw(self.password.as_str())
            .mn(self.mn.as_str())
            .flag(flag_bits(&self.version) | u8::from(ack))
    }

    /// A real-time (2011) upload at device time `t`.
    pub fn realtime_upload(&self, qn: &str, t: NaiveDateTime) -> Option<Packet> {
        let minute = series::minute_of(t);
        let mut b = self
            .head("2011", qn, true)
            .item("DataTime", t.format(TIME14).to_string());
        for (code, _, _) in FACTORS {
            let v = series::emitted_value(self.index, code, minute, self.shape, &self.emission);
            b = b.factor(code, "Rtd", format!("{v:.2}"));
            if code == "a21026" {
                b = b.factor(code, "ZsRtd", format!("{:.2}", v * 1.1));
            }
            b = b.factor(code, "Flag", "N");
        }
        b.factor("a01012", "Rtd", "85.3")
            .factor("a01012", "Flag", "N")
            .build()
            .ok()
    }

    /// A period upload (2051 minute, 2061 hourly, 2031 daily) of the period starting at
    /// `start` and lasting `minutes`.
    pub fn period_upload(
        &self,
        cn: &str,
        qn: &str,
        start: NaiveDateTime,
        minutes: i64,
    ) -> Option<Packet> {
        let mut b = self
            .head(cn, qn, true)
            .item("DataTime", start.format(TIME14).to_string());
        for (code, _, _) in FACTORS {
            let a = series::aggregate_emitted(
                self.index,
                code,
                start,
                minutes,
                self.shape,
                &self.emission,
            );
            b = b
                .factor(code, "Min", format!("{:.2}", a.min))
                .factor(code, "Avg", format!("{:.2}", a.avg))
                .factor(code, "Max", format!("{:.2}", a.max))
                .factor(code, "ZsAvg", format!("{:.2}", a.avg * 1.1))
                .factor(code, "Cou", format!("{:.3}", a.cou))
                .factor(code, "Flag", "N");
        }
        b.build().ok()
    }

    /// Minutes in a period of `cn` data.
    pub fn period_minutes(&self, cn: &str) -> i64 {
        match cn {
            "2051" => i64::from(self.min_interval.max(1)),
            "2031" => 1440,
            _ => 60,
        }
    }

    /// The 3020 frames of the analysers (of `pol_id` only, when given).
    pub fn analyser_frames(
        &self,
        qn: &str,
        pol_id: Option<&str>,
        now: NaiveDateTime,
    ) -> Vec<Packet> {
        analyser::frames(
            &self.analysers,
            pol_id,
            |b| {
                b.st(self.st.as_str())
                    .pw(self.password.as_str())
                    .mn(self.mn.as_str())
                    .flag(flag_bits(&self.version) | 1)
            },
            qn,
            now,
        )
    }

    /// Answers a frame from the platform; `None` when it is not a request to this device.
    pub fn answer(&mut self, req: &Packet, now: DateTime<Utc>) -> Option<Answer> {
        if req.mn() != Some(self.mn.as_str()) {
            return None;
        }
        let cn = req.cn_code()?;
        if !matches!(
            cn,
            1011 | 1012 | 1061..=1064 | 1072 | 2011 | 2012 | 2031 | 2051 | 2061 | 3020
        ) {
            return None;
        }
        let mut a = Answer::default();
        if req.pw() != Some(self.password.as_str()) {
            a.frames.extend(reply_9011(req, 3).ok());
            return Some(a);
        }
        if cn == 2012 {
            self.realtime = false;
            a.frames.extend(reply_9013(req).ok());
            return Some(a);
        }
        a.frames.extend(reply_9011(req, 1).ok());
        if cn == 2011 {
            self.realtime = true;
            return Some(a);
        }
        let qn = req
            .qn()
            .or_else(|| req.param("QN"))
            .unwrap_or_default()
            .to_string();
        let clock = self.clock(now);
        let number = |key: &str| req.param(key).and_then(|v| v.trim().parse::<u32>().ok());
        let mut exe = 1;
        let mut new_pw = None;
        match cn {
            1011 => a.frames.extend(
                self.head("1011", &qn, false)
                    .item("SystemTime", clock.format(TIME14).to_string())
                    .build()
                    .ok(),
            ),
            1012 => match req
                .param("SystemTime")
                .and_then(|t| NaiveDateTime::parse_from_str(t.trim(), TIME14).ok())
            {
                Some(t) => {
                    let real = beijing(now).with_nanosecond(0).unwrap_or(beijing(now));
                    self.clock_offset_ms = (t - real).num_milliseconds();
                }
                None => exe = 3,
            },
            1061 => a.frames.extend(
                self.head("1061", &qn, false)
                    .item(
                        "RtdInterval",
                        format!("{}", self.rtd_interval.round() as i64),
                    )
                    .build()
                    .ok(),
            ),
            1062 => match number("RtdInterval").filter(|n| (30..=3600).contains(n)) {
                Some(n) => {
                    self.rtd_interval = f64::from(n);
                    a.interval_changed = true;
                }
                None => exe = 3,
            },
            1063 => a.frames.extend(
                self.head("1063", &qn, false)
                    .item("MinInterval", self.min_interval.to_string())
                    .build()
                    .ok(),
            ),
            1064 => match number("MinInterval")
                .filter(|n| [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30].contains(n))
            {
                Some(n) => self.min_interval = n,
                None => exe = 3,
            },
            1072 => match req.param("NewPW").filter(|p| {
                !p.is_empty() && p.len() <= 6 && p.bytes().all(|b| b.is_ascii_alphanumeric())
            }) {
                Some(p) => new_pw = Some(p.to_string()),
                None => exe = 3,
            },
            3020 => {
                let frames = self.analyser_frames(&qn, req.param("PolId"), clock);
                if frames.is_empty() {
                    exe = 3;
                }
                a.frames.extend(frames);
            }
            _ => {
                let cn_text = cn.to_string();
                let window = ["BeginTime", "EndTime"].map(|k| {
                    req.param(k)
                        .and_then(|t| NaiveDateTime::parse_from_str(t.trim(), TIME14).ok())
                });
                let [Some(begin), Some(end)] = window else {
                    a.frames.extend(reply_9012(req, 3).ok());
                    return Some(a);
                };
                let frames = self.history(&cn_text, &qn, begin, end, clock);
                let code = if frames.is_empty() { 100 } else { 1 };
                a.history = reply_9012(req, code)
                    .ok()
                    .map(|done| HistoryJob { qn, frames, done });
                return Some(a);
            }
        }
        a.frames.extend(reply_9012(req, exe).ok());
        if let Some(p) = new_pw {
            // The answers went out with the old password; everything after uses the new one.
            self.password = p;
        }
        Some(a)
    }

    /// The uploads of every complete period of `cn` data starting in `[begin, end]`.
    pub fn history(
        &self,
        cn: &str,
        qn: &str,
        begin: NaiveDateTime,
        end: NaiveDateTime,
        clock: NaiveDateTime,
    ) -> VecDeque<Packet> {
        let minutes = self.period_minutes(cn);
        let step = minutes * 60;
        let secs = begin.and_utc().timestamp();
        // The first period boundary at or after `begin` (days and hours are aligned on Beijing
        // midnight and the hour, as the device keeps its clock in Beijing time).
        let mut t = secs + (step - secs.rem_euclid(step)) % step;
        let last = end.and_utc().timestamp();
        let now = clock.and_utc().timestamp();
        let mut out = VecDeque::new();
        while t <= last && t + step <= now {
            if let Some(start) = DateTime::from_timestamp(t, 0).map(|d| d.naive_utc())
                && let Some(p) = self.period_upload(cn, qn, start, minutes)
            {
                out.push_back(p);
            }
            t += step;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qingshan_hj212::{History, Request, Target, Version, request};

    fn state() -> DeviceState {
        DeviceState {
            index: 2,
            mn: "QSSIM0000000000000000002".into(),
            st: "31".into(),
            version: "2017".into(),
            password: "123456".into(),
            clock_offset_ms: 0,
            rtd_interval: 30.0,
            interval_unit: Duration::from_secs(1),
            min_interval: 1,
            realtime: true,
            analysers: analyser::table(),
            shape: Shape::Normal,
            emission: Emission::default(),
        }
    }

    fn req(s: &DeviceState, r: &Request, pw: &str) -> Packet {
        let t = Target {
            st: "31",
            pw,
            mn: &s.mn,
            version: Version::V2017,
        };
        request(&t, "20261203083000000", r).unwrap()
    }

    fn now() -> DateTime<Utc> {
        "2026-12-03T00:30:00Z".parse().unwrap()
    }

    fn cns(a: &Answer) -> Vec<String> {
        a.frames.iter().map(|p| p.cn().to_string()).collect()
    }

    #[test]
    fn setting_the_time_moves_the_device_clock() {
        let mut s = state();
        let r = req(
            &s,
            &Request::SetTime {
                pol_id: None,
                system_time: "20261203084500".into(),
            },
            "123456",
        );
        let a = s.answer(&r, now()).unwrap();
        assert_eq!(cns(&a), ["9011", "9012"]);
        assert_eq!(a.frames[1].param("ExeRtn"), Some("1"));
        assert_eq!(s.clock(now()).format(TIME14).to_string(), "20261203084500");
        let a = s
            .answer(
                &req(&s, &Request::GetTime { pol_id: None }, "123456"),
                now(),
            )
            .unwrap();
        assert_eq!(cns(&a), ["9011", "1011", "9012"]);
        assert_eq!(a.frames[1].param("SystemTime"), Some("20261203084500"));
        assert_eq!(
            a.frames[1].qn(),
            Some("20261203083000000"),
            "answers carry the request's QN"
        );
    }

    #[test]
    fn intervals_are_set_within_the_standard_only() {
        let mut s = state();
        let a = s
            .answer(&req(&s, &Request::SetRtdInterval(60), "123456"), now())
            .unwrap();
        assert!(a.interval_changed);
        assert_eq!(s.rtd_interval, 60.0);
        let a = s
            .answer(&req(&s, &Request::SetRtdInterval(10), "123456"), now())
            .unwrap();
        assert_eq!(a.frames[1].param("ExeRtn"), Some("3"));
        assert_eq!(s.rtd_interval, 60.0);
        s.answer(&req(&s, &Request::SetMinInterval(10), "123456"), now())
            .unwrap();
        let a = s
            .answer(&req(&s, &Request::GetMinInterval, "123456"), now())
            .unwrap();
        assert_eq!(a.frames[1].param("MinInterval"), Some("10"));
    }

    #[test]
    fn a_new_password_is_used_after_the_answer() {
        let mut s = state();
        let a = s
            .answer(
                &req(
                    &s,
                    &Request::SetPassword {
                        new_pw: "abc123".into(),
                    },
                    "123456",
                ),
                now(),
            )
            .unwrap();
        assert_eq!(cns(&a), ["9011", "9012"]);
        assert!(a.frames.iter().all(|p| p.pw() == Some("123456")));
        assert_eq!(s.password, "abc123");
        // The old password is now wrong.
        let a = s
            .answer(
                &req(&s, &Request::GetTime { pol_id: None }, "123456"),
                now(),
            )
            .unwrap();
        assert_eq!(
            (cns(&a), a.frames[0].param("QnRtn")),
            (vec!["9011".to_string()], Some("3"))
        );
    }

    #[test]
    fn history_comes_from_the_same_series_as_live_data() {
        let mut s = state();
        let r = req(
            &s,
            &Request::History {
                kind: History::Minute,
                begin: "20261203080000".into(),
                end: "20261203080900".into(),
            },
            "123456",
        );
        let a = s.answer(&r, now()).unwrap();
        assert_eq!(cns(&a), ["9011"]);
        let job = a.history.unwrap();
        assert_eq!(job.frames.len(), 10);
        assert_eq!(job.done.param("ExeRtn"), Some("1"));
        let first = &job.frames[0];
        assert_eq!(
            (first.data_time(), first.qn()),
            (Some("20261203080000"), Some("20261203083000000"))
        );
        let live = s
            .period_upload(
                "2051",
                "x",
                NaiveDateTime::parse_from_str("20261203080000", TIME14).unwrap(),
                1,
            )
            .unwrap();
        assert_eq!(first.factors()[0].get("Avg"), live.factors()[0].get("Avg"));
        // Periods not complete on the device clock are not sent; a window in the future has none.
        let r = req(
            &s,
            &Request::History {
                kind: History::Hourly,
                begin: "20261203080000".into(),
                end: "20261203100000".into(),
            },
            "123456",
        );
        assert!(
            s.answer(&r, now())
                .unwrap()
                .history
                .unwrap()
                .frames
                .is_empty()
        );
        let r = req(
            &s,
            &Request::History {
                kind: History::Hourly,
                begin: "20261203060000".into(),
                end: "20261203100000".into(),
            },
            "123456",
        );
        let job = s.answer(&r, now()).unwrap().history.unwrap();
        assert_eq!(
            job.frames.len(),
            2,
            "06:00 and 07:00; 08:00 is still running at 08:30"
        );
        let r = req(
            &s,
            &Request::History {
                kind: History::Daily,
                begin: "20261204000000".into(),
                end: "20261205000000".into(),
            },
            "123456",
        );
        let job = s.answer(&r, now()).unwrap().history.unwrap();
        assert!(job.frames.is_empty());
        assert_eq!(job.done.param("ExeRtn"), Some("100"));
    }

    #[test]
    fn history_carries_the_emission_schedule() {
        let mut s = state();
        s.emission = Emission::for_device(
            &[crate::EmissionStep::parse("2:a21026:2026-12-03T07:00:0.25").unwrap()],
            2,
        );
        let r = req(
            &s,
            &Request::History {
                kind: History::Hourly,
                begin: "20261203060000".into(),
                end: "20261203070000".into(),
            },
            "123456",
        );
        let job = s.answer(&r, now()).unwrap().history.unwrap();
        let cou = |p: &Packet, f: &str| -> f64 {
            p.factors()
                .iter()
                .find(|x| x.code == f)
                .and_then(|x| x.get("Cou"))
                .unwrap()
                .text()
                .parse()
                .unwrap()
        };
        let flat = state();
        let t = |s: &str| NaiveDateTime::parse_from_str(s, TIME14).unwrap();
        let usual6 = flat
            .period_upload("2061", "q", t("20261203060000"), 60)
            .unwrap();
        let usual7 = flat
            .period_upload("2061", "q", t("20261203070000"), 60)
            .unwrap();
        // 06:00 as usual; 07:00 at a quarter for SO2 only.
        assert_eq!(cou(&job.frames[0], "a21026"), cou(&usual6, "a21026"));
        let ratio = cou(&job.frames[1], "a21026") / cou(&usual7, "a21026");
        assert!((ratio - 0.25).abs() < 0.01, "{ratio}");
        assert_eq!(cou(&job.frames[1], "a21002"), cou(&usual7, "a21002"));
    }

    #[test]
    fn analyser_parameters_and_real_time_switches() {
        let mut s = state();
        let r = req(
            &s,
            &Request::Control {
                cn: 3020,
                pol_id: None,
                params: vec![],
            },
            "123456",
        );
        let a = s.answer(&r, now()).unwrap();
        assert_eq!(cns(&a), ["9011", "3020", "3020", "3020", "9012"]);
        s.answer(&req(&s, &Request::StopRealtime, "123456"), now())
            .unwrap();
        assert!(!s.realtime);
        let a = s
            .answer(&req(&s, &Request::StartRealtime, "123456"), now())
            .unwrap();
        assert_eq!(cns(&a), ["9011"]);
        assert!(s.realtime);
        // Frames for another device, and the platform's own replies, are not requests.
        let mut other = state();
        other.mn = "OTHER".into();
        assert!(other.answer(&r, now()).is_none());
    }
}
