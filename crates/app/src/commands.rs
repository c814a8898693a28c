//! Remote commands to devices (反控, HJ 212-2017 §6.5): staff or system jobs queue a command
//! for a device by MN; the gateway sends it on the device's connection (one at a time per
//! device, in order) and follows 9011 (QnRtn), the data replies and 9012 (ExeRtn). This module
//! checks and queues commands, turns a stored command into the protocol's request at sending
//! time, and lists a device's commands with their frames.
//!
//! Supported: 1011/1012 get and set the device time (1012 without a time sets the server's
//! Beijing time at the moment of sending), 1061/1062 real-time interval, 1063/1064 minute
//! interval, 1072 access password (the registry follows only when the device answers 9012
//! success), 2011/2012 start and stop real-time data, 2051/2061/2031 history windows, 3020
//! analyser parameters.

use chrono::{NaiveDateTime, Timelike};
use qingshan_hj212::{History, Request};
use qingshan_store::{Actor, DeviceCommand, DeviceCommandFrame, NewDeviceCommand, Store};
use serde::Serialize;

use crate::{Error, Result};

/// Who asks for a command: a staff member (their actor, as signed in) or a system job (its
/// reason, e.g. "补传缺失数据").
#[derive(Debug, Clone)]
pub enum Asker {
    /// A signed-in staff member.
    Staff(Actor),
    /// The system, with why.
    System(&'static str),
}

/// The minute-data intervals HJ 212-2017 Table 4 allows for `MinInterval`.
pub const MIN_INTERVALS: [u32; 11] = [1, 2, 3, 4, 5, 6, 10, 12, 15, 20, 30];

/// Commands per page of a device's command history.
pub const PER_PAGE: i64 = 20;

/// Frames shown per command (a history request brings one per period).
pub const FRAMES_PER_COMMAND: i64 = 50;

/// A command the platform can send to a device. Times are Beijing wall-clock times, the
/// devices' time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// 1011: ask the device's time.
    GetTime,
    /// 1012: set the device's time; `None` = the server's Beijing time when it is sent.
    SetTime(Option<NaiveDateTime>),
    /// 1061: ask the real-time upload interval.
    GetRtdInterval,
    /// 1062: set the real-time upload interval, seconds (30–3600).
    SetRtdInterval(u32),
    /// 1063: ask the minute-data interval.
    GetMinInterval,
    /// 1064: set the minute-data interval, minutes (one of [`MIN_INTERVALS`]).
    SetMinInterval(u32),
    /// 1072: set the access password (up to 6 letters or digits).
    SetPassword(String),
    /// 2011: start real-time uploads.
    StartRealtime,
    /// 2012: stop real-time uploads.
    StopRealtime,
    /// 2051 minute, 2061 hourly or 2031 daily history between two times (inclusive).
    History {
        /// Which data.
        kind: History,
        /// First period start.
        begin: NaiveDateTime,
        /// Last period start.
        end: NaiveDateTime,
    },
    /// 3020: ask the analysers' parameters, of one factor (`PolId`) or all.
    GetAnalyserParams {
        /// Factor code, e.g. `a21026`.
        pol_id: Option<String>,
    },
}

/// HJ 212's 14-digit time form.
const TIME14: &str = "%Y%m%d%H%M%S";

fn parse_time14(s: &str) -> Option<NaiveDateTime> {
    NaiveDateTime::parse_from_str(s, TIME14).ok()
}

/// Reads a Beijing time as typed in a form or an API body: `2026-12-03T08:30` (the browser's
/// datetime-local), with seconds, with a space instead of `T`, or HJ 212's `20261203083000`.
pub fn parse_beijing(s: &str) -> Option<NaiveDateTime> {
    let s = s.trim();
    [
        "%Y-%m-%dT%H:%M",
        "%Y-%m-%dT%H:%M:%S",
        "%Y-%m-%d %H:%M",
        "%Y-%m-%d %H:%M:%S",
        TIME14,
    ]
    .iter()
    .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
}

fn history_of(cn: u16) -> Option<History> {
    match cn {
        2051 => Some(History::Minute),
        2061 => Some(History::Hourly),
        2031 => Some(History::Daily),
        _ => None,
    }
}

/// The longest window a history request may ask for: a device answers with one frame per
/// period, so a year of minute data would be half a million frames.
fn max_span(kind: History) -> chrono::Duration {
    match kind {
        History::Minute => chrono::Duration::days(7),
        History::Hourly => chrono::Duration::days(93),
        _ => chrono::Duration::days(366),
    }
}

fn valid_factor(code: &str) -> bool {
    (1..=12).contains(&code.len()) && code.bytes().all(|b| b.is_ascii_alphanumeric())
}

impl Command {
    /// The command code.
    pub fn cn(&self) -> u16 {
        match self {
            Command::GetTime => 1011,
            Command::SetTime(_) => 1012,
            Command::GetRtdInterval => 1061,
            Command::SetRtdInterval(_) => 1062,
            Command::GetMinInterval => 1063,
            Command::SetMinInterval(_) => 1064,
            Command::SetPassword(_) => 1072,
            Command::StartRealtime => 2011,
            Command::StopRealtime => 2012,
            Command::History { kind, .. } => kind.cn(),
            Command::GetAnalyserParams { .. } => 3020,
        }
    }

    /// The CN of the data a device answers this command with (1011 time, 1061/1063 interval,
    /// history data, 3020 parameters), if any.
    pub fn data_cn(&self) -> Option<u16> {
        match self {
            Command::GetTime => Some(1011),
            Command::GetRtdInterval => Some(1061),
            Command::GetMinInterval => Some(1063),
            Command::History { kind, .. } => Some(kind.cn()),
            Command::GetAnalyserParams { .. } => Some(3020),
            _ => None,
        }
    }

    /// The Chinese name of a command code, as the queue form lists it.
    pub fn label_of(cn: u16) -> &'static str {
        match cn {
            1011 => "查询时间",
            1012 => "校时",
            1061 => "查询实时数据间隔",
            1062 => "设置实时数据间隔",
            1063 => "查询分钟数据间隔",
            1064 => "设置分钟数据间隔",
            1072 => "设置访问密码",
            2011 => "开启实时数据",
            2012 => "停止实时数据",
            2051 => "补传分钟数据",
            2061 => "补传小时数据",
            2031 => "补传日数据",
            3020 => "查询分析仪参数",
            _ => "其他命令",
        }
    }

    /// The command codes that can be queued, in the form's order.
    pub const CODES: [u16; 13] = [
        1011, 1012, 1061, 1062, 1063, 1064, 1072, 2011, 2012, 2051, 2061, 2031, 3020,
    ];

    /// The Chinese name of this command.
    pub fn label(&self) -> &'static str {
        Command::label_of(self.cn())
    }

    /// Checks the values the protocol bounds (HJ 212-2017 Table 4).
    pub fn check(&self) -> Result<()> {
        match self {
            Command::SetRtdInterval(n) if !(30..=3600).contains(n) => Err(Error::invalid(
                "value",
                format!("实时数据间隔须为 30 至 3600 秒，收到 {n}"),
            )),
            Command::SetMinInterval(n) if !MIN_INTERVALS.contains(n) => Err(Error::invalid(
                "value",
                format!("分钟数据间隔须为 1、2、3、4、5、6、10、12、15、20 或 30 分钟，收到 {n}"),
            )),
            Command::SetPassword(pw)
                if pw.is_empty()
                    || pw.chars().count() > 6
                    || !pw.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                Err(Error::invalid(
                    "value",
                    "新访问密码须为 1 至 6 位字母或数字",
                ))
            }
            Command::History { kind, begin, end } => {
                if history_of(kind.cn()).is_none() {
                    return Err(Error::invalid("cn", "只支持补传分钟、小时和日数据"));
                }
                if begin > end {
                    return Err(Error::invalid("end", "结束时间早于开始时间"));
                }
                if *end - *begin > max_span(*kind) {
                    let days = max_span(*kind).num_days();
                    return Err(Error::invalid(
                        "end",
                        format!("一次补传最长 {days} 天，请分段请求"),
                    ));
                }
                Ok(())
            }
            Command::GetAnalyserParams { pol_id: Some(p) } if !valid_factor(p) => Err(
                Error::invalid("value", "监测因子编码须为字母和数字（如 a21026）"),
            ),
            _ => Ok(()),
        }
    }

    /// The command from the queue form's or API's fields: `cn`, optional `value` (interval,
    /// password, time, factor), `begin` and `end` (history, Beijing time).
    pub fn from_form(
        cn: &str,
        value: Option<&str>,
        begin: Option<&str>,
        end: Option<&str>,
    ) -> Result<Command> {
        let value = value.map(str::trim).filter(|v| !v.is_empty());
        let code: u16 = cn
            .trim()
            .parse()
            .ok()
            .filter(|c| Command::CODES.contains(c))
            .ok_or_else(|| Error::invalid("cn", format!("不支持的命令「{}」", cn.trim())))?;
        let number = |what: &str| -> Result<u32> {
            value
                .ok_or_else(|| Error::invalid("value", format!("请填写{what}")))?
                .parse()
                .map_err(|_| Error::invalid("value", format!("{what}须为整数")))
        };
        let time = |field: &str, v: Option<&str>, what: &str| -> Result<NaiveDateTime> {
            let v = v
                .map(str::trim)
                .filter(|v| !v.is_empty())
                .ok_or_else(|| Error::invalid(field, format!("请填写{what}")))?;
            parse_beijing(v).ok_or_else(|| {
                Error::invalid(
                    field,
                    format!("{what}「{v}」无法识别，应为北京时间 年-月-日 时:分"),
                )
            })
        };
        let cmd = match code {
            1011 => Command::GetTime,
            1012 => Command::SetTime(match value {
                Some(v) => Some(time("value", Some(v), "设备时间")?),
                None => None,
            }),
            1061 => Command::GetRtdInterval,
            1062 => Command::SetRtdInterval(number("实时数据间隔（秒）")?),
            1063 => Command::GetMinInterval,
            1064 => Command::SetMinInterval(number("分钟数据间隔（分钟）")?),
            1072 => Command::SetPassword(
                value
                    .ok_or_else(|| Error::invalid("value", "请填写新访问密码"))?
                    .to_string(),
            ),
            2011 => Command::StartRealtime,
            2012 => Command::StopRealtime,
            3020 => Command::GetAnalyserParams {
                pol_id: value.map(str::to_string),
            },
            other => Command::History {
                kind: history_of(other)
                    .ok_or_else(|| Error::invalid("cn", format!("不支持的命令「{other}」")))?,
                begin: time("begin", begin, "开始时间")?,
                end: time("end", end, "结束时间")?,
            },
        };
        cmd.check()?;
        Ok(cmd)
    }

    /// The command's CP items as stored (`key=value;…`); empty for 1012 with no time.
    pub fn params(&self) -> String {
        let items: Vec<(String, String)> = match self {
            Command::SetTime(Some(t)) => vec![("SystemTime".into(), t.format(TIME14).to_string())],
            Command::SetRtdInterval(n) => vec![("RtdInterval".into(), n.to_string())],
            Command::SetMinInterval(n) => vec![("MinInterval".into(), n.to_string())],
            Command::SetPassword(pw) => vec![("NewPW".into(), pw.clone())],
            Command::History { begin, end, .. } => vec![
                ("BeginTime".into(), begin.format(TIME14).to_string()),
                ("EndTime".into(), end.format(TIME14).to_string()),
            ],
            Command::GetAnalyserParams { pol_id: Some(p) } => vec![("PolId".into(), p.clone())],
            _ => Vec::new(),
        };
        items
            .into_iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(";")
    }

    /// A stored command back (`cn` and [`Command::params`]).
    pub fn parse(cn: &str, params: &str) -> Result<Command> {
        let get = |key: &str| {
            params
                .split(';')
                .filter_map(|kv| kv.split_once('='))
                .find(|(k, _)| *k == key)
                .map(|(_, v)| v)
        };
        let corrupt = || Error::invalid("cn", format!("存储的命令 {cn}「{params}」无法读取"));
        let code: u16 = cn.parse().map_err(|_| corrupt())?;
        let cmd = match code {
            1011 => Command::GetTime,
            1012 => Command::SetTime(match get("SystemTime") {
                Some(t) => Some(parse_time14(t).ok_or_else(corrupt)?),
                None => None,
            }),
            1061 => Command::GetRtdInterval,
            1062 => Command::SetRtdInterval(
                get("RtdInterval")
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(corrupt)?,
            ),
            1063 => Command::GetMinInterval,
            1064 => Command::SetMinInterval(
                get("MinInterval")
                    .and_then(|v| v.parse().ok())
                    .ok_or_else(corrupt)?,
            ),
            1072 => Command::SetPassword(get("NewPW").ok_or_else(corrupt)?.to_string()),
            2011 => Command::StartRealtime,
            2012 => Command::StopRealtime,
            3020 => Command::GetAnalyserParams {
                pol_id: get("PolId").map(str::to_string),
            },
            other => Command::History {
                kind: history_of(other).ok_or_else(corrupt)?,
                begin: get("BeginTime")
                    .and_then(parse_time14)
                    .ok_or_else(corrupt)?,
                end: get("EndTime").and_then(parse_time14).ok_or_else(corrupt)?,
            },
        };
        Ok(cmd)
    }

    /// The protocol request to send now; `now_beijing` is the server's Beijing time (what a
    /// 1012 without a time sets).
    pub fn to_request(&self, now_beijing: NaiveDateTime) -> Request {
        match self {
            Command::GetTime => Request::GetTime { pol_id: None },
            Command::SetTime(t) => Request::SetTime {
                pol_id: None,
                system_time: t
                    .unwrap_or_else(|| now_beijing.with_nanosecond(0).unwrap_or(now_beijing))
                    .format(TIME14)
                    .to_string(),
            },
            Command::GetRtdInterval => Request::GetRtdInterval,
            Command::SetRtdInterval(n) => Request::SetRtdInterval(*n),
            Command::GetMinInterval => Request::GetMinInterval,
            Command::SetMinInterval(n) => Request::SetMinInterval(*n),
            Command::SetPassword(pw) => Request::SetPassword { new_pw: pw.clone() },
            Command::StartRealtime => Request::StartRealtime,
            Command::StopRealtime => Request::StopRealtime,
            Command::History { kind, begin, end } => Request::History {
                kind: *kind,
                begin: begin.format(TIME14).to_string(),
                end: end.format(TIME14).to_string(),
            },
            Command::GetAnalyserParams { pol_id } => Request::Control {
                cn: 3020,
                pol_id: pol_id.clone(),
                params: Vec::new(),
            },
        }
    }

    /// The command in Chinese with its values, the password masked (pages, audit).
    pub fn describe(&self) -> String {
        let t = |t: &NaiveDateTime| t.format("%Y-%m-%d %H:%M:%S").to_string();
        match self {
            Command::SetTime(None) => "校时（设为发送时的服务器北京时间）".into(),
            Command::SetTime(Some(v)) => format!("校时（设为 {}）", t(v)),
            Command::SetRtdInterval(n) => format!("设置实时数据间隔为 {n} 秒"),
            Command::SetMinInterval(n) => format!("设置分钟数据间隔为 {n} 分钟"),
            Command::SetPassword(_) => format!("设置访问密码（新密码 {}）", crate::secrets::MASK),
            Command::History { begin, end, .. } => {
                format!("{}（{} 至 {}）", self.label(), t(begin), t(end))
            }
            Command::GetAnalyserParams { pol_id: Some(p) } => {
                format!("查询分析仪参数（{}）", factor_text(p))
            }
            other => other.label().to_string(),
        }
    }
}

fn factor_text(code: &str) -> String {
    match qingshan_hj212::factor_name(code) {
        Some((name, _)) => format!("{name} {code}"),
        None => code.to_string(),
    }
}

/// Queues `command` for device `mn`, audited with who asked; returns the command's id.
/// The device must be registered (pollution source, air or water station).
pub async fn queue(store: &Store, mn: &str, command: Command, asked_by: Asker) -> Result<i64> {
    command.check()?;
    if store.device_protocol(mn).await?.is_none() {
        return Err(Error::NotFound(format!("没有登记 MN 为 {mn} 的设备")));
    }
    let (actor, reason) = match asked_by {
        Asker::Staff(a) => (a, None),
        Asker::System(why) => (Actor::system(), Some(why.to_string())),
    };
    let new = NewDeviceCommand {
        mn: mn.to_string(),
        cn: command.cn().to_string(),
        params: command.params(),
        reason,
        audit_text: command.describe(),
    };
    Ok(store.queue_device_command(&new, &actor).await?)
}

/// Commands of device `mn` not finished yet (queued, sent or accepted): what a system job
/// checks before queueing more.
pub async fn in_flight(store: &Store, mn: &str) -> Result<i64> {
    Ok(store.device_commands_in_flight(mn).await?)
}

/// A command as pages and the API show it.
#[derive(Debug, Clone, Serialize)]
pub struct CommandView {
    /// Row id.
    pub id: i64,
    /// The device.
    pub mn: String,
    /// Command code.
    pub cn: String,
    /// Chinese name of the command.
    pub label: String,
    /// The command with its values, in Chinese (password masked).
    pub description: String,
    /// State code: queued, sent, accepted, refused, done, failed, timed_out.
    pub state: String,
    /// Chinese state: 排队, 已发送, 已接受, 被拒绝, 已完成, 执行失败, 超时.
    pub state_label: String,
    /// QN of the request.
    pub qn: Option<String>,
    /// Times sent.
    pub attempts: i64,
    /// QnRtn and its meaning.
    pub qn_rtn: Option<i64>,
    /// Chinese meaning of QnRtn.
    pub qn_rtn_label: Option<String>,
    /// ExeRtn.
    pub exe_rtn: Option<i64>,
    /// Chinese meaning of ExeRtn.
    pub exe_rtn_label: Option<String>,
    /// What the device answered (`SystemTime=…`; passwords masked).
    pub result: Option<String>,
    /// The same in Chinese (`设备时间 2026-12-03 13:00:00`).
    pub result_label: Option<String>,
    /// Data frames received.
    pub data_frames: i64,
    /// Why it ended so.
    pub note: Option<String>,
    /// Who asked: a staff member's name, or 系统.
    pub asked_by: String,
    /// Why the system asked.
    pub reason: Option<String>,
    /// Queued at (RFC 3339 UTC).
    pub created_at: String,
    /// First sent at.
    pub sent_at: Option<String>,
    /// 9011 received at.
    pub answered_at: Option<String>,
    /// Finished at.
    pub finished_at: Option<String>,
    /// Frames exchanged (at most [`FRAMES_PER_COMMAND`]), oldest first.
    pub frames: Vec<FrameView>,
}

/// A frame of a command, passwords masked.
#[derive(Debug, Clone, Serialize)]
pub struct FrameView {
    /// When (RFC 3339 UTC).
    pub at: String,
    /// `out` (to the device) or `in`.
    pub direction: String,
    /// 下发 or 上行.
    pub direction_label: String,
    /// The frame's CN.
    pub cn: String,
    /// The frame's text, `PW` and `NewPW` masked.
    pub frame: String,
}

/// One page of a device's commands.
#[derive(Debug, Clone, Serialize)]
pub struct CommandPage {
    /// Newest first.
    pub items: Vec<CommandView>,
    /// Commands in all.
    pub total: i64,
    /// Page shown (1-based).
    pub page: i64,
    /// Commands per page.
    pub per_page: i64,
}

/// The Chinese meaning of a QnRtn (HJ 212-2017 Table 7).
pub fn qn_rtn_label(code: i64) -> &'static str {
    match code {
        1 => "准备执行请求",
        2 => "请求被拒绝",
        3 => "PW 错误",
        4 => "MN 错误",
        5 => "ST 错误",
        6 => "Flag 错误",
        7 => "QN 错误",
        8 => "CN 错误",
        9 => "CRC 校验错误",
        100 => "未知错误",
        _ => "其他应答",
    }
}

/// The Chinese meaning of an ExeRtn (HJ 212-2017 Table 6).
pub fn exe_rtn_label(code: i64) -> &'static str {
    match code {
        1 => "执行成功",
        2 => "执行失败，原因未知",
        3 => "命令请求条件错误",
        4 => "通讯超时",
        5 => "系统繁忙",
        6 => "系统故障",
        100 => "没有数据",
        _ => "其他结果",
    }
}

/// `text` with the values of `PW=` and `NewPW=` masked, for showing a frame or a result.
pub fn mask_passwords(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("PW=") {
        out.push_str(&rest[..i + 3]);
        rest = &rest[i + 3..];
        let end = rest.find([';', ',', '&']).unwrap_or(rest.len());
        if end > 0 {
            out.push_str(crate::secrets::MASK);
        }
        rest = &rest[end..];
    }
    out.push_str(rest);
    out
}

/// The Chinese name of an instrument parameter i-code (HJ 212-2017 Appendix B, reference §4.1).
pub fn info_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "i13001" => "测量量程",
        "i13002" => "测量精度",
        "i13003" => "测量间隔",
        "i13004" => "消解温度",
        "i13005" => "消解时长",
        "i13006" => "校准时间",
        "i13007" => "截距",
        "i13008" => "斜率",
        "i13009" => "检出限",
        "i12001" => "工作状态",
        "i22001" => "数采仪状态",
        _ => return None,
    })
}

/// A device's answer (`key=value;…`) in Chinese: `SystemTime=20261203130000` → `设备时间
/// 2026-12-03 13:00:00`; parameters of 3020 by their names.
pub fn result_label(text: &str) -> String {
    let time = |v: &str| {
        parse_time14(v).map_or_else(
            || v.to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S").to_string(),
        )
    };
    text.split(';')
        .filter_map(|kv| kv.split_once('='))
        .map(|(k, v)| match k {
            "SystemTime" => format!("设备时间 {}", time(v)),
            "DataTime" => format!("数据时间 {}", time(v)),
            "RtdInterval" => format!("实时数据间隔 {v} 秒"),
            "MinInterval" => format!("分钟数据间隔 {v} 分钟"),
            "PolId" => format!("监测因子 {}", factor_text(v)),
            "NewPW" | "PW" => format!("密码 {}", crate::secrets::MASK),
            other => match other.split_once('-').and_then(|(code, _)| info_label(code)) {
                Some(name) => format!("{name} {v}"),
                None => format!("{other} {v}"),
            },
        })
        .collect::<Vec<_>>()
        .join("；")
}

fn view(c: DeviceCommand, frames: Vec<FrameView>) -> CommandView {
    let description = Command::parse(&c.cn, &c.params)
        .map(|cmd| cmd.describe())
        .unwrap_or_else(|_| mask_passwords(&c.params));
    let label =
        c.cn.parse()
            .map_or("其他命令", Command::label_of)
            .to_string();
    CommandView {
        id: c.id,
        label,
        description,
        state_label: qingshan_store::labels::command_state(&c.state).into_owned(),
        state: c.state,
        qn: c.qn,
        attempts: c.attempts,
        qn_rtn_label: c.qn_rtn.map(|r| qn_rtn_label(r).to_string()),
        qn_rtn: c.qn_rtn,
        exe_rtn_label: c.exe_rtn.map(|r| exe_rtn_label(r).to_string()),
        exe_rtn: c.exe_rtn,
        result: c.result.as_deref().map(mask_passwords),
        result_label: c.result.as_deref().map(result_label),
        data_frames: c.data_frames,
        note: c.note,
        asked_by: qingshan_store::labels::actor(&c.asked_by).into_owned(),
        reason: c.reason,
        created_at: c.created_at,
        sent_at: c.sent_at,
        answered_at: c.answered_at,
        finished_at: c.finished_at,
        mn: c.mn,
        cn: c.cn,
        frames,
    }
}

fn frame_view(f: DeviceCommandFrame) -> FrameView {
    FrameView {
        direction_label: if f.direction == "out" {
            "下发"
        } else {
            "上行"
        }
        .into(),
        frame: mask_passwords(&f.frame),
        at: f.at,
        direction: f.direction,
        cn: f.cn,
    }
}

/// Page `page` (1-based) of device `mn`'s commands, newest first, each with its frames.
pub async fn list(store: &Store, mn: &str, page: i64) -> Result<CommandPage> {
    let page = page.clamp(1, 1_000_000);
    let paged = store
        .device_commands_paged(mn, PER_PAGE, (page - 1) * PER_PAGE)
        .await?;
    let ids: Vec<i64> = paged.items.iter().map(|c| c.id).collect();
    let mut frames: std::collections::HashMap<i64, Vec<FrameView>> = Default::default();
    for f in store
        .device_command_frames(&ids, FRAMES_PER_COMMAND)
        .await?
    {
        frames.entry(f.command_id).or_default().push(frame_view(f));
    }
    let items = paged
        .items
        .into_iter()
        .map(|c| {
            let mine = frames.remove(&c.id).unwrap_or_default();
            view(c, mine)
        })
        .collect();
    Ok(CommandPage {
        items,
        total: paged.total,
        page,
        per_page: PER_PAGE,
    })
}

/// One command with its frames.
pub async fn get(store: &Store, id: i64) -> Result<CommandView> {
    let c = store
        .device_command(id)
        .await?
        .ok_or_else(|| Error::NotFound(format!("没有编号为 {id} 的远程命令")))?;
    let frames = store
        .device_command_frames(&[id], FRAMES_PER_COMMAND)
        .await?
        .into_iter()
        .map(frame_view)
        .collect();
    Ok(view(c, frames))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> NaiveDateTime {
        parse_beijing(s).unwrap()
    }

    #[test]
    fn every_command_reads_back_from_its_stored_form() {
        let cmds = [
            Command::GetTime,
            Command::SetTime(None),
            Command::SetTime(Some(at("2026-12-03T08:30"))),
            Command::GetRtdInterval,
            Command::SetRtdInterval(60),
            Command::GetMinInterval,
            Command::SetMinInterval(10),
            Command::SetPassword("abc123".into()),
            Command::StartRealtime,
            Command::StopRealtime,
            Command::History {
                kind: History::Minute,
                begin: at("2026-12-03 00:00"),
                end: at("2026-12-03 03:00"),
            },
            Command::History {
                kind: History::Daily,
                begin: at("20261101000000"),
                end: at("20261130000000"),
            },
            Command::GetAnalyserParams { pol_id: None },
            Command::GetAnalyserParams {
                pol_id: Some("a21026".into()),
            },
        ];
        for c in cmds {
            let back = Command::parse(&c.cn().to_string(), &c.params()).unwrap();
            assert_eq!(back, c);
            assert!(Command::CODES.contains(&c.cn()));
            assert!(!c.label().is_ascii());
        }
    }

    #[test]
    fn the_form_is_checked_against_the_protocol_bounds() {
        assert_eq!(
            Command::from_form("1012", None, None, None).unwrap(),
            Command::SetTime(None)
        );
        assert_eq!(
            Command::from_form("1062", Some("45"), None, None).unwrap(),
            Command::SetRtdInterval(45)
        );
        for (cn, value) in [
            ("1062", Some("29")),
            ("1062", Some("3601")),
            ("1062", None),
            ("1064", Some("7")),
            ("1072", Some("1234567")),
            ("1072", Some("12;456")),
            ("1012", Some("明天")),
            ("9999", None),
            ("1013", None),
        ] {
            let e = Command::from_form(cn, value, None, None).unwrap_err();
            assert_eq!(e.kind(), "invalid", "{cn} {value:?}");
            assert!(!e.to_string().is_ascii(), "{e}");
        }
        let h = Command::from_form(
            "2051",
            None,
            Some("2026-12-03T00:00"),
            Some("2026-12-03T03:00"),
        )
        .unwrap();
        assert_eq!(
            h.params(),
            "BeginTime=20261203000000;EndTime=20261203030000"
        );
        assert!(
            Command::from_form(
                "2051",
                None,
                Some("2026-12-03T03:00"),
                Some("2026-12-03T00:00")
            )
            .is_err()
        );
        assert!(
            Command::from_form(
                "2051",
                None,
                Some("2026-11-01T00:00"),
                Some("2026-12-01T00:00")
            )
            .is_err(),
            "a month of minute data is refused"
        );
        assert!(Command::from_form("2061", None, None, Some("2026-12-01T00:00")).is_err());
    }

    #[test]
    fn set_time_without_a_time_takes_the_time_of_sending() {
        let now = at("2026-12-03 13:14:15");
        let r = Command::SetTime(None).to_request(now);
        assert_eq!(
            r,
            Request::SetTime {
                pol_id: None,
                system_time: "20261203131415".into()
            }
        );
    }

    #[test]
    fn answers_read_in_chinese() {
        assert_eq!(
            result_label("SystemTime=20261203130005"),
            "设备时间 2026-12-03 13:00:05"
        );
        assert_eq!(result_label("RtdInterval=30"), "实时数据间隔 30 秒");
        let p =
            result_label("DataTime=20261203130000;PolId=a21026;i13001-Info=200;i13008-Info=1.000");
        assert!(
            p.contains("测量量程 200") && p.contains("斜率 1.000") && p.contains("a21026"),
            "{p}"
        );
    }

    #[test]
    fn passwords_are_masked_in_frames_and_descriptions() {
        let f = "##0100QN=1;ST=31;CN=1072;PW=123456;MN=X;Flag=5;CP=&&NewPW=abc123&&ABCD";
        let m = mask_passwords(f);
        assert!(!m.contains("123456") && !m.contains("abc123"), "{m}");
        assert!(
            m.contains("PW=******;") && m.contains("NewPW=******&&"),
            "{m}"
        );
        assert!(
            !Command::SetPassword("abc123".into())
                .describe()
                .contains("abc123")
        );
    }
}
