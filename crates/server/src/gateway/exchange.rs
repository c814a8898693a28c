//! One connection's command exchange (HJ 212-2017 §6.5, reference §5.1/§5.3) as a pure state
//! machine: the connection task feeds it the command to send, the packets the device sends
//! and the passing of time; it answers with the bytes to write and the [`CommandEvent`]s to
//! store. No socket, no store, no clock of its own, so every path is tested without them.
//!
//! The flow: the request goes out with A = 1; the device answers 9011 (QnRtn = 1 accepted,
//! anything else refused), may upload data (1011 time, 1061/1063 intervals, history data,
//! 3020 parameters) and ends with 9012 (ExeRtn = 1 done, anything else failed). Replies are
//! matched by QN (in the header, or inside CP under 2005); data uploads by CN and QN (2005
//! uploads carry none). Without a 9011 within the timeout the request is resent, up to the
//! retry count, then the command has timed out; after a 9011, each data frame restarts the
//! timeout and silence past it times the command out. 2011 (start real-time data) is done
//! once accepted, since what follows is the data itself; 2012 (a notification) is done on
//! its 9013.

use std::time::{Duration, Instant};

use qingshan_hj212::Packet;
use qingshan_store::{CommandEvent, CommandState};

/// Timeout and retries of requests (reference §5.3: 10 s and 3 over GPRS/4G).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct ExchangeConfig {
    /// How long to wait for an answer, and between data frames of an execution.
    pub timeout: Duration,
    /// Resends of a request not answered by a 9011.
    pub retries: u32,
}

/// The command being executed.
#[derive(Debug, Clone)]
struct InFlight {
    id: i64,
    cn: u16,
    qn: String,
    bytes: Vec<u8>,
    data_cn: Option<u16>,
    new_pw: Option<String>,
    accepted: bool,
    sends: u32,
    deadline: Instant,
}

/// What the connection must do after a step.
#[derive(Debug, Default)]
pub(crate) struct Output {
    /// Frames to write to the device, in order.
    pub send: Vec<Vec<u8>>,
    /// What to store.
    pub events: Vec<CommandEvent>,
    /// The command reached a final state: the next may be claimed.
    pub finished: bool,
    /// The packet belonged to the command.
    pub matched: bool,
}

/// The exchange of one connection: at most one command in flight.
#[derive(Debug)]
pub(crate) struct Exchange {
    cfg: ExchangeConfig,
    current: Option<InFlight>,
}

/// What a command to start is.
pub(crate) struct Start<'a> {
    /// The command's id.
    pub id: i64,
    /// The request as built for the device (QN set, A = 1).
    pub request: &'a Packet,
    /// The CN of the data the device answers with, if any.
    pub data_cn: Option<u16>,
    /// The new password of a 1072.
    pub new_pw: Option<String>,
}

fn text_of(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes)
        .trim_end_matches(['\r', '\n'])
        .to_string()
}

/// The QN a packet answers: the header's, or under 2005 the one inside CP.
fn qn_of(p: &Packet) -> Option<&str> {
    p.qn().or_else(|| p.param("QN"))
}

fn rtn(p: &Packet, key: &str) -> Option<i64> {
    p.param(key).and_then(|v| v.trim().parse().ok())
}

/// Longest reply text kept as a command's result.
const MAX_RESULT: usize = 2000;

impl Exchange {
    /// An idle exchange.
    pub fn new(cfg: ExchangeConfig) -> Self {
        Exchange { cfg, current: None }
    }

    /// Whether a command is in flight.
    pub fn busy(&self) -> bool {
        self.current.is_some()
    }

    /// When [`Exchange::on_timer`] must run next.
    pub fn deadline(&self) -> Option<Instant> {
        self.current.as_ref().map(|c| c.deadline)
    }

    /// The password a reply to the command in flight may carry besides the registered one: a
    /// device that took a 1072 may answer its 9011/9012 with the new password already.
    pub fn alternative_password(&self, p: &Packet) -> Option<&str> {
        let c = self.current.as_ref()?;
        let pw = c.new_pw.as_deref()?;
        let reply = matches!(p.cn(), "9011" | "9012");
        (reply && qn_of(p) == Some(c.qn.as_str()) && p.pw() == Some(pw)).then_some(pw)
    }

    /// Sends a command (the connection claimed it). A command still in flight is not replaced.
    pub fn start(&mut self, s: Start<'_>, now: Instant, at: &str) -> Output {
        let mut out = Output::default();
        if self.current.is_some() {
            return out;
        }
        let bytes = s.request.encode();
        let qn = s.request.qn().unwrap_or_default().to_string();
        let cn = s.request.cn_code().unwrap_or(0);
        out.events.push(CommandEvent::Sent {
            command_id: s.id,
            qn: qn.clone(),
            at: at.to_string(),
        });
        out.events.push(CommandEvent::Frame {
            command_id: s.id,
            at: at.to_string(),
            outbound: true,
            cn: cn.to_string(),
            frame: text_of(&bytes),
        });
        out.send.push(bytes.clone());
        self.current = Some(InFlight {
            id: s.id,
            cn,
            qn,
            bytes,
            data_cn: s.data_cn,
            new_pw: s.new_pw,
            accepted: false,
            sends: 1,
            deadline: now + self.cfg.timeout,
        });
        out
    }

    fn finish(
        &mut self,
        out: &mut Output,
        state: CommandState,
        exe_rtn: Option<i64>,
        note: Option<String>,
        at: &str,
    ) {
        if let Some(c) = self.current.take() {
            out.events.push(CommandEvent::Finished {
                command_id: c.id,
                state,
                exe_rtn,
                note,
                at: at.to_string(),
            });
            out.finished = true;
        }
    }

    /// A packet from the device (accepted by the gateway and durable).
    pub fn on_packet(&mut self, p: &Packet, now: Instant, at: &str) -> Output {
        let mut out = Output::default();
        let Some(c) = self.current.as_mut() else {
            return out;
        };
        let qn = qn_of(p);
        let same_qn = qn == Some(c.qn.as_str());
        let cn = p.cn_code();
        let is_data = cn.is_some() && cn == c.data_cn && (same_qn || qn.is_none());
        let is_reply = same_qn && matches!(cn, Some(9011..=9013));
        if !is_data && !is_reply {
            return out;
        }
        out.matched = true;
        out.events.push(CommandEvent::Frame {
            command_id: c.id,
            at: at.to_string(),
            outbound: false,
            cn: p.cn().to_string(),
            frame: text_of(&p.encode()),
        });
        let id = c.id;
        match cn {
            _ if is_data => {
                c.deadline = now + self.cfg.timeout;
                // History data is stored as uploads; the other answers are kept as the result.
                let result = (!matches!(cn, Some(2031 | 2051 | 2061))).then(|| {
                    let mut t = p
                        .cp_items()
                        .map(|i| format!("{}={}", i.key, i.value.text()))
                        .collect::<Vec<_>>()
                        .join(";");
                    if t.len() > MAX_RESULT {
                        let mut cut = MAX_RESULT;
                        while !t.is_char_boundary(cut) {
                            cut -= 1;
                        }
                        t.truncate(cut);
                        t.push('…');
                    }
                    t
                });
                out.events.push(CommandEvent::Data {
                    command_id: id,
                    result,
                    at: at.to_string(),
                });
            }
            Some(9011) => {
                let code = rtn(p, "QnRtn").unwrap_or(100);
                if code == 1 {
                    c.accepted = true;
                    c.deadline = now + self.cfg.timeout;
                    out.events.push(CommandEvent::Accepted {
                        command_id: id,
                        qn_rtn: code,
                        at: at.to_string(),
                    });
                    if c.cn == 2011 {
                        self.finish(
                            &mut out,
                            CommandState::Done,
                            None,
                            Some("设备已开始上传实时数据".into()),
                            at,
                        );
                    }
                } else {
                    out.events.push(CommandEvent::Refused {
                        command_id: id,
                        qn_rtn: code,
                        at: at.to_string(),
                    });
                    self.current = None;
                    out.finished = true;
                }
            }
            Some(9012) => {
                let code = rtn(p, "ExeRtn");
                if code == Some(1) {
                    if let Some(pw) = c.new_pw.clone() {
                        let mn = p.mn().unwrap_or_default().to_string();
                        out.events.push(CommandEvent::PasswordConfirmed {
                            command_id: id,
                            mn,
                            new_pw: pw,
                        });
                    }
                    self.finish(&mut out, CommandState::Done, code, None, at);
                } else {
                    self.finish(&mut out, CommandState::Failed, code, None, at);
                }
            }
            // 9013: the answer to a notification (2012 stop real-time data).
            _ => self.finish(&mut out, CommandState::Done, None, None, at),
        }
        out
    }

    /// Time passed: resend an unanswered request, or time the command out.
    pub fn on_timer(&mut self, now: Instant, at: &str) -> Output {
        let mut out = Output::default();
        let Some(c) = self.current.as_mut() else {
            return out;
        };
        if now < c.deadline {
            return out;
        }
        let secs = self.cfg.timeout.as_secs_f64();
        if c.accepted {
            let note = format!("设备已接受请求，但 {secs} 秒内没有执行结果");
            self.finish(&mut out, CommandState::TimedOut, None, Some(note), at);
        } else if c.sends <= self.cfg.retries {
            c.sends += 1;
            c.deadline = now + self.cfg.timeout;
            out.events.push(CommandEvent::Sent {
                command_id: c.id,
                qn: c.qn.clone(),
                at: at.to_string(),
            });
            out.events.push(CommandEvent::Frame {
                command_id: c.id,
                at: at.to_string(),
                outbound: true,
                cn: c.cn.to_string(),
                frame: text_of(&c.bytes),
            });
            out.send.push(c.bytes.clone());
        } else {
            let note = format!("发送 {} 次，设备均未在 {secs} 秒内应答", c.sends);
            self.finish(&mut out, CommandState::TimedOut, None, Some(note), at);
        }
        out
    }

    /// The connection ended: the command in flight cannot complete.
    pub fn on_close(&mut self, at: &str) -> Output {
        let mut out = Output::default();
        let note = "连接中断，命令未执行完".to_string();
        self.finish(&mut out, CommandState::TimedOut, None, Some(note), at);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use qingshan_hj212::{History, Request, Target, Version, reply_9011, reply_9012, request};

    const AT: &str = "2026-12-03T05:00:00.000Z";
    const QN: &str = "20261203130000000";

    fn cfg() -> ExchangeConfig {
        ExchangeConfig {
            timeout: Duration::from_secs(10),
            retries: 3,
        }
    }

    fn req(version: Version, r: &Request) -> Packet {
        let t = Target {
            st: "31",
            pw: "123456",
            mn: "MN1",
            version,
        };
        request(&t, QN, r).unwrap()
    }

    fn start(x: &mut Exchange, p: &Packet, data_cn: Option<u16>, now: Instant) -> Output {
        x.start(
            Start {
                id: 7,
                request: p,
                data_cn,
                new_pw: None,
            },
            now,
            AT,
        )
    }

    fn states(out: &Output) -> Vec<String> {
        out.events
            .iter()
            .filter_map(|e| match e {
                CommandEvent::Sent { .. } => Some("sent".to_string()),
                CommandEvent::Accepted { .. } => Some("accepted".to_string()),
                CommandEvent::Refused { qn_rtn, .. } => Some(format!("refused {qn_rtn}")),
                CommandEvent::Data { .. } => Some("data".to_string()),
                CommandEvent::Finished { state, .. } => Some(state.as_str().to_string()),
                CommandEvent::PasswordConfirmed { new_pw, .. } => Some(format!("pw {new_pw}")),
                CommandEvent::Frame { .. } => None,
            })
            .collect()
    }

    #[test]
    fn a_set_time_goes_sent_accepted_done() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(
            Version::V2017,
            &Request::SetTime {
                pol_id: None,
                system_time: "20261203130000".into(),
            },
        );
        let out = start(&mut x, &r, None, t0);
        assert_eq!(out.send, vec![r.encode()]);
        assert_eq!(states(&out), ["sent"]);
        assert!(x.busy());
        let out = x.on_packet(&reply_9011(&r, 1).unwrap(), t0, AT);
        assert!(out.matched && !out.finished);
        assert_eq!(states(&out), ["accepted"]);
        let out = x.on_packet(&reply_9012(&r, 1).unwrap(), t0, AT);
        assert_eq!(states(&out), ["done"]);
        assert!(out.finished && !x.busy());
        assert!(
            matches!(out.events[0], CommandEvent::Frame { outbound: false, ref cn, .. } if cn == "9012")
        );
    }

    #[test]
    fn replies_with_another_qn_are_not_the_commands() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2017, &Request::GetRtdInterval);
        start(&mut x, &r, Some(1061), t0);
        let mut stray = qingshan_hj212::PacketBuilder::new("9011")
            .qn("20261203125959000")
            .st("91")
            .pw("123456")
            .mn("MN1")
            .flag(4)
            .item("QnRtn", "1")
            .build()
            .unwrap();
        assert!(!x.on_packet(&stray, t0, AT).matched);
        // A live 2011 upload is not the answer to a 1061 either.
        stray = qingshan_hj212::PacketBuilder::new("2011")
            .qn(QN)
            .st("31")
            .flag(5)
            .item("DataTime", "20261203130000")
            .build()
            .unwrap();
        assert!(!x.on_packet(&stray, t0, AT).matched);
        let answer = qingshan_hj212::PacketBuilder::new("1061")
            .qn(QN)
            .st("31")
            .pw("123456")
            .mn("MN1")
            .flag(5)
            .item("RtdInterval", "30")
            .build()
            .unwrap();
        let out = x.on_packet(&answer, t0, AT);
        assert_eq!(states(&out), ["data"]);
        assert!(
            matches!(&out.events[1], CommandEvent::Data { result: Some(r), .. } if r == "RtdInterval=30")
        );
    }

    #[test]
    fn a_silent_device_gets_the_request_again_then_the_command_times_out() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2017, &Request::GetTime { pol_id: None });
        start(&mut x, &r, Some(1011), t0);
        // Before the deadline nothing happens.
        assert!(x.on_timer(t0 + Duration::from_secs(9), AT).send.is_empty());
        let mut t = t0;
        for n in 1..=3 {
            t += Duration::from_secs(10);
            let out = x.on_timer(t, AT);
            assert_eq!(out.send, vec![r.encode()], "resend {n}, same QN");
            assert_eq!(states(&out), ["sent"]);
            assert_eq!(x.deadline(), Some(t + Duration::from_secs(10)));
        }
        let out = x.on_timer(t + Duration::from_secs(10), AT);
        assert!(out.send.is_empty() && out.finished);
        assert_eq!(states(&out), ["timed_out"]);
        assert!(
            matches!(&out.events[0], CommandEvent::Finished { note: Some(n), .. } if n.contains("4 次"))
        );
        assert!(!x.busy());
    }

    #[test]
    fn history_data_keeps_an_accepted_command_alive_until_9012() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(
            Version::V2017,
            &Request::History {
                kind: History::Minute,
                begin: "20261203000000".into(),
                end: "20261203000500".into(),
            },
        );
        start(&mut x, &r, Some(2051), t0);
        x.on_packet(&reply_9011(&r, 1).unwrap(), t0, AT);
        let mut t = t0;
        for m in 0..6 {
            t += Duration::from_secs(8);
            let up = qingshan_hj212::PacketBuilder::new("2051")
                .qn(QN)
                .st("31")
                .pw("123456")
                .mn("MN1")
                .flag(5)
                .item("DataTime", format!("202612030{m}0000"))
                .factor("a21026", "Avg", "12.0")
                .build()
                .unwrap();
            let out = x.on_packet(&up, t, AT);
            assert!(matches!(
                &out.events[1],
                CommandEvent::Data { result: None, .. }
            ));
            assert!(x.on_timer(t + Duration::from_secs(9), AT).events.is_empty());
        }
        let out = x.on_packet(&reply_9012(&r, 1).unwrap(), t, AT);
        assert_eq!(states(&out), ["done"]);
    }

    #[test]
    fn an_accepted_command_without_a_result_times_out() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2017, &Request::SetRtdInterval(60));
        start(&mut x, &r, None, t0);
        x.on_packet(&reply_9011(&r, 1).unwrap(), t0, AT);
        let out = x.on_timer(t0 + Duration::from_secs(10), AT);
        assert!(out.send.is_empty(), "an accepted request is not resent");
        assert_eq!(states(&out), ["timed_out"]);
    }

    #[test]
    fn refusals_and_failures_are_final() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2017, &Request::GetMinInterval);
        start(&mut x, &r, Some(1063), t0);
        let out = x.on_packet(&reply_9011(&r, 3).unwrap(), t0, AT);
        assert_eq!(states(&out), ["refused 3"]);
        assert!(out.finished && !x.busy());

        start(&mut x, &r, Some(1063), t0);
        let out = x.on_packet(&reply_9012(&r, 5).unwrap(), t0, AT);
        assert_eq!(states(&out), ["failed"]);
        assert!(matches!(
            out.events[1],
            CommandEvent::Finished {
                exe_rtn: Some(5),
                ..
            }
        ));
    }

    #[test]
    fn a_password_change_is_confirmed_only_by_a_successful_9012() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(
            Version::V2017,
            &Request::SetPassword {
                new_pw: "abc123".into(),
            },
        );
        x.start(
            Start {
                id: 9,
                request: &r,
                data_cn: None,
                new_pw: Some("abc123".into()),
            },
            t0,
            AT,
        );
        let ok = reply_9011(&r, 1).unwrap();
        assert_eq!(
            x.alternative_password(&ok),
            None,
            "answered with the old password"
        );
        assert_eq!(states(&x.on_packet(&ok, t0, AT)), ["accepted"]);
        let done = qingshan_hj212::PacketBuilder::new("9012")
            .qn(QN)
            .st("91")
            .pw("abc123")
            .mn("MN1")
            .flag(4)
            .item("ExeRtn", "1")
            .build()
            .unwrap();
        assert_eq!(x.alternative_password(&done), Some("abc123"));
        assert_eq!(states(&x.on_packet(&done, t0, AT)), ["pw abc123", "done"]);

        x.start(
            Start {
                id: 10,
                request: &r,
                data_cn: None,
                new_pw: Some("abc123".into()),
            },
            t0,
            AT,
        );
        assert_eq!(
            states(&x.on_packet(&reply_9012(&r, 2).unwrap(), t0, AT)),
            ["failed"]
        );
    }

    #[test]
    fn the_2005_form_matches_by_the_qn_inside_cp() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2005, &Request::GetTime { pol_id: None });
        assert_eq!(r.flag(), Some(1));
        start(&mut x, &r, Some(1011), t0);
        let accepted = reply_9011(&r, 1).unwrap();
        assert_eq!(accepted.qn(), None);
        assert_eq!(states(&x.on_packet(&accepted, t0, AT)), ["accepted"]);
        // A 2005 upload carries no QN.
        let time = qingshan_hj212::PacketBuilder::new("1011")
            .st("31")
            .pw("123456")
            .mn("MN1")
            .item("SystemTime", "20261203130001")
            .build()
            .unwrap();
        assert_eq!(states(&x.on_packet(&time, t0, AT)), ["data"]);
        assert_eq!(
            states(&x.on_packet(&reply_9012(&r, 1).unwrap(), t0, AT)),
            ["done"]
        );
    }

    #[test]
    fn start_and_stop_of_real_time_data() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        let r = req(Version::V2017, &Request::StartRealtime);
        start(&mut x, &r, None, t0);
        assert_eq!(
            states(&x.on_packet(&reply_9011(&r, 1).unwrap(), t0, AT)),
            ["accepted", "done"]
        );
        let r = req(Version::V2017, &Request::StopRealtime);
        start(&mut x, &r, None, t0);
        let ack = qingshan_hj212::reply_9013(&r).unwrap();
        assert_eq!(states(&x.on_packet(&ack, t0, AT)), ["done"]);
    }

    #[test]
    fn a_lost_connection_times_the_command_out() {
        let t0 = Instant::now();
        let mut x = Exchange::new(cfg());
        assert!(x.on_close(AT).events.is_empty());
        let r = req(Version::V2017, &Request::GetRtdInterval);
        start(&mut x, &r, Some(1061), t0);
        let out = x.on_close(AT);
        assert_eq!(states(&out), ["timed_out"]);
        assert!(!x.busy());
    }
}
