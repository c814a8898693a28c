//! Building packets: a general builder, the platform's requests and the 9011–9014 replies.

use crate::crc::CrcVariant;
use crate::error::DecodeError;
use crate::packet::{LengthCount, Packet, Version};

/// Builds a packet in the standard field order `QN;ST;CN;PW;MN;Flag;PNUM;PNO;CP=&&…&&`.
///
/// CP items of the same factor are joined with `,` and everything else with `;`,
/// unless an explicit separator is given.
#[derive(Debug, Clone)]
pub struct PacketBuilder {
    qn: Option<String>,
    st: Option<String>,
    cn: String,
    pw: Option<String>,
    mn: Option<String>,
    flag: Option<u8>,
    pnum: Option<u16>,
    pno: Option<u16>,
    items: Vec<(String, String, Option<char>)>,
    crc_variant: CrcVariant,
    length_count: LengthCount,
}

fn code_of(key: &str) -> Option<&str> {
    key.split_once('-').map(|(c, _)| c)
}

/// The separator the standard's examples put before `key`: `,` between items of the
/// same factor, `;` otherwise.
pub(crate) fn canonical_sep(prev: Option<&str>, key: &str) -> char {
    let code = code_of(key);
    if code.is_some() && code == prev.and_then(code_of) {
        ','
    } else {
        ';'
    }
}

impl PacketBuilder {
    /// A builder for command `cn` with no other fields.
    #[must_use]
    pub fn new(cn: impl Into<String>) -> Self {
        Self {
            qn: None,
            st: None,
            cn: cn.into(),
            pw: None,
            mn: None,
            flag: None,
            pnum: None,
            pno: None,
            items: Vec::new(),
            crc_variant: CrcVariant::Hj212,
            length_count: LengthCount::Bytes,
        }
    }

    /// Sets QN.
    #[must_use]
    pub fn qn(mut self, v: impl Into<String>) -> Self {
        self.qn = Some(v.into());
        self
    }

    /// Sets ST.
    #[must_use]
    pub fn st(mut self, v: impl Into<String>) -> Self {
        self.st = Some(v.into());
        self
    }

    /// Sets PW.
    #[must_use]
    pub fn pw(mut self, v: impl Into<String>) -> Self {
        self.pw = Some(v.into());
        self
    }

    /// Sets MN.
    #[must_use]
    pub fn mn(mut self, v: impl Into<String>) -> Self {
        self.mn = Some(v.into());
        self
    }

    /// Sets the raw Flag value.
    #[must_use]
    pub fn flag(mut self, v: u8) -> Self {
        self.flag = Some(v);
        self
    }

    /// Sets an optional Flag value (no Flag field when `None`, as in 2005 uploads).
    #[must_use]
    pub fn flag_opt(mut self, v: Option<u8>) -> Self {
        self.flag = v;
        self
    }

    /// Sets PNUM and PNO (the encoder writes them only when given).
    #[must_use]
    pub fn split(mut self, pnum: u16, pno: u16) -> Self {
        self.pnum = Some(pnum);
        self.pno = Some(pno);
        self
    }

    /// Appends a CP item, choosing the separator by the standard rule.
    #[must_use]
    pub fn item(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.items.push((key.into(), value.into(), None));
        self
    }

    /// Appends a CP item with an explicit separator before it (`;` or `,`).
    #[must_use]
    pub fn item_with_sep(
        mut self,
        key: impl Into<String>,
        value: impl Into<String>,
        sep: Option<char>,
    ) -> Self {
        self.items.push((key.into(), value.into(), sep));
        self
    }

    /// Appends a factor field: key `code-field`.
    #[must_use]
    pub fn factor(self, code: &str, field: &str, value: impl Into<String>) -> Self {
        self.item(format!("{code}-{field}"), value)
    }

    /// Sets the CRC variant written by the encoder.
    #[must_use]
    pub fn crc_variant(mut self, v: CrcVariant) -> Self {
        self.crc_variant = v;
        self
    }

    /// Sets how the declared length is counted.
    #[must_use]
    pub fn length_count(mut self, c: LengthCount) -> Self {
        self.length_count = c;
        self
    }

    /// Writes the data segment and indexes it, rejecting values that would not read back
    /// the same (separators, `=` or `&&` inside a value, or a segment over 9999 bytes).
    pub fn build(self) -> Result<Packet, DecodeError> {
        let mut text = String::with_capacity(96 + self.items.len() * 20);
        let mut header: Vec<(&str, String)> = Vec::new();
        if let Some(v) = &self.qn {
            header.push(("QN", v.clone()));
        }
        if let Some(v) = &self.st {
            header.push(("ST", v.clone()));
        }
        header.push(("CN", self.cn.clone()));
        if let Some(v) = &self.pw {
            header.push(("PW", v.clone()));
        }
        if let Some(v) = &self.mn {
            header.push(("MN", v.clone()));
        }
        if let Some(v) = self.flag {
            header.push(("Flag", v.to_string()));
        }
        if let Some(v) = self.pnum {
            header.push(("PNUM", v.to_string()));
        }
        if let Some(v) = self.pno {
            header.push(("PNO", v.to_string()));
        }
        for (k, v) in &header {
            if v.contains([';', ',', '=', '&']) || v.trim() != v {
                return Err(DecodeError::Syntax {
                    offset: text.len() as u64,
                    message: format!("header field {k} `{v}` contains a separator or padding"),
                });
            }
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            text.push(';');
        }
        text.push_str("CP=&&");
        let mut prev: Option<&str> = None;
        for (i, (k, v, sep)) in self.items.iter().enumerate() {
            let bad_value = if v.starts_with("//") {
                v.len() < 4 || !v.ends_with("//") || v.contains("&&")
            } else {
                v.contains([';', ',', '&']) || v.contains('=')
            };
            if k.is_empty() || k.contains([';', ',', '=', '&']) || k.trim() != k || bad_value {
                return Err(DecodeError::Syntax {
                    offset: text.len() as u64,
                    message: format!("CP item `{k}={v}` would not read back unchanged"),
                });
            }
            if i > 0 {
                text.push(sep.unwrap_or_else(|| canonical_sep(prev, k)));
            }
            text.push_str(k);
            text.push('=');
            text.push_str(v);
            prev = Some(k);
        }
        text.push_str("&&");
        let expected = self.items.len();
        let p = Packet::parse(text, self.crc_variant, self.length_count)?;
        if p.cp_items().count() != expected || p.declared_len() > crate::packet::MAX_DATA_LEN {
            return Err(DecodeError::Syntax {
                offset: 0,
                message: "built packet does not read back unchanged".into(),
            });
        }
        Ok(p)
    }
}

/// Where a platform request goes: the device's ST, PW, MN and protocol version.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Target<'a> {
    /// The device's system code.
    pub st: &'a str,
    /// The device's access password.
    pub pw: &'a str,
    /// The device id.
    pub mn: &'a str,
    /// The protocol version the device speaks.
    pub version: Version,
}

/// The history data a 2031/2041/2051/2061 request asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    /// 2031: daily pollutant data.
    Daily,
    /// 2041: facility running-time daily data.
    RunTimeDaily,
    /// 2051: minute pollutant data.
    Minute,
    /// 2061: hourly pollutant data.
    Hourly,
}

impl History {
    /// The command code.
    #[must_use]
    pub fn cn(self) -> u16 {
        match self {
            Self::Daily => 2031,
            Self::RunTimeDaily => 2041,
            Self::Minute => 2051,
            Self::Hourly => 2061,
        }
    }
}

/// A request or notification the platform sends to a field unit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Request {
    /// 1000: set OverTime (seconds) and ReCount.
    SetTimeouts {
        /// Timeout in seconds, 1–99.
        over_time: u32,
        /// Retries, 1–99.
        re_count: u32,
    },
    /// 1011: get the logger time, or an instrument's time with `PolId`.
    GetTime {
        /// Optional instrument factor code.
        pol_id: Option<String>,
    },
    /// 1012: set the field time (`SystemTime`, `YYYYMMDDhhmmss`).
    SetTime {
        /// Optional instrument factor code.
        pol_id: Option<String>,
        /// The time to set.
        system_time: String,
    },
    /// 1061: get the real-time upload interval.
    GetRtdInterval,
    /// 1062: set the real-time upload interval in seconds.
    SetRtdInterval(u32),
    /// 1063: get the minute-data interval.
    GetMinInterval,
    /// 1064: set the minute-data interval in minutes.
    SetMinInterval(u32),
    /// 1072: set the access password.
    SetPassword {
        /// The new password.
        new_pw: String,
    },
    /// 2011: start real-time data.
    StartRealtime,
    /// 2012: stop real-time data (notification).
    StopRealtime,
    /// 2021: start facility running-state data.
    StartRunState,
    /// 2022: stop facility running-state data (notification).
    StopRunState,
    /// 2031/2041/2051/2061: history data between two `YYYYMMDDhhmmss` times.
    History {
        /// Which history.
        kind: History,
        /// Window start.
        begin: String,
        /// Window end.
        end: String,
    },
    /// 3011–3021: a control command with an optional `PolId` and further parameters in order.
    Control {
        /// The command code, 3011 to 3021.
        cn: u16,
        /// Optional factor code.
        pol_id: Option<String>,
        /// Further `key=value` parameters (e.g. `CstartTime`, `CTime`, `InfoId`, `i13004-Info`).
        params: Vec<(String, String)>,
    },
}

impl Request {
    /// The command code this request is sent with.
    #[must_use]
    pub fn cn(&self) -> u16 {
        match self {
            Self::SetTimeouts { .. } => 1000,
            Self::GetTime { .. } => 1011,
            Self::SetTime { .. } => 1012,
            Self::GetRtdInterval => 1061,
            Self::SetRtdInterval(_) => 1062,
            Self::GetMinInterval => 1063,
            Self::SetMinInterval(_) => 1064,
            Self::SetPassword { .. } => 1072,
            Self::StartRealtime => 2011,
            Self::StopRealtime => 2012,
            Self::StartRunState => 2021,
            Self::StopRunState => 2022,
            Self::History { kind, .. } => kind.cn(),
            Self::Control { cn, .. } => *cn,
        }
    }
}

/// Builds a platform request: QN as given, Flag = version bits with A = 1.
///
/// 2005 history windows use `BeginTime=…,EndTime=…` as in the 2005 examples; 2017 and
/// 2025 use `;`. 3016 writes `CTime` as the printed examples do (Table 4 spells it `Ctime`);
/// pass parameters in `Control` to choose.
pub fn request(target: &Target<'_>, qn: &str, req: &Request) -> Result<Packet, DecodeError> {
    let mut b = PacketBuilder::new(req.cn().to_string())
        .qn(qn)
        .st(target.st)
        .pw(target.pw)
        .mn(target.mn)
        .flag((target.version.bits() << 2) | 1);
    match req {
        Request::SetTimeouts {
            over_time,
            re_count,
        } => {
            b = b
                .item("OverTime", over_time.to_string())
                .item("ReCount", re_count.to_string());
        }
        Request::GetTime { pol_id } => {
            if let Some(p) = pol_id {
                b = b.item("PolId", p.clone());
            }
        }
        Request::SetTime {
            pol_id,
            system_time,
        } => {
            if let Some(p) = pol_id {
                b = b.item("PolId", p.clone());
            }
            b = b.item("SystemTime", system_time.clone());
        }
        Request::SetRtdInterval(n) => b = b.item("RtdInterval", n.to_string()),
        Request::SetMinInterval(n) => b = b.item("MinInterval", n.to_string()),
        Request::SetPassword { new_pw } => b = b.item("NewPW", new_pw.clone()),
        Request::GetRtdInterval
        | Request::GetMinInterval
        | Request::StartRealtime
        | Request::StopRealtime
        | Request::StartRunState
        | Request::StopRunState => {}
        Request::History { begin, end, .. } => {
            let sep = if target.version == Version::V2005 {
                ','
            } else {
                ';'
            };
            b = b
                .item("BeginTime", begin.clone())
                .item_with_sep("EndTime", end.clone(), Some(sep));
        }
        Request::Control { cn, pol_id, params } => {
            if !(3011..=3021).contains(cn) {
                return Err(DecodeError::Syntax {
                    offset: 0,
                    message: format!("control command {cn} is outside 3011–3021"),
                });
            }
            if let Some(p) = pol_id {
                b = b.item("PolId", p.clone());
            }
            for (k, v) in params {
                b = b.item_with_sep(k.clone(), v.clone(), Some(';'));
            }
        }
    }
    b.build()
}

/// Flag for a reply: the received version bits with A and D cleared (4 for 2017, 0 for 2005).
fn reply_flag(to: &Packet) -> u8 {
    to.flag().map_or(0, |f| f & !3)
}

/// Header of a reply: ST = 91, PW and MN echoed, QN echoed in the header (2017/2025)
/// or inside CP (2005).
fn reply_builder(to: &Packet, cn: &str) -> PacketBuilder {
    let mut b = PacketBuilder::new(cn).st("91");
    if to.version() != Version::V2005
        && let Some(qn) = to.qn()
    {
        b = b.qn(qn);
    }
    if let Some(pw) = to.pw() {
        b = b.pw(pw);
    }
    if let Some(mn) = to.mn() {
        b = b.mn(mn);
    }
    b = b.flag(reply_flag(to)).crc_variant(to.crc_variant());
    if to.version() == Version::V2005
        && let Some(qn) = to.qn()
    {
        b = b.item("QN", qn);
    }
    b
}

/// 9011 request reply with `QnRtn` (Table 7), in the request's version form.
pub fn reply_9011(to: &Packet, qn_rtn: u32) -> Result<Packet, DecodeError> {
    reply_builder(to, "9011")
        .item("QnRtn", qn_rtn.to_string())
        .build()
}

/// 9012 execution result with `ExeRtn` (Table 6), in the request's version form.
pub fn reply_9012(to: &Packet, exe_rtn: u32) -> Result<Packet, DecodeError> {
    reply_builder(to, "9012")
        .item("ExeRtn", exe_rtn.to_string())
        .build()
}

/// 9013 notification reply: `CP=&&&&` (2017/2025) or `CP=&&QN=<qn>&&` (2005).
pub fn reply_9013(to: &Packet) -> Result<Packet, DecodeError> {
    reply_builder(to, "9013").build()
}

/// 9014 data reply: `CP=&&&&` (2017/2025) or `CP=&&QN=<qn>;CN=<cn>&&` (2005).
pub fn reply_9014(to: &Packet) -> Result<Packet, DecodeError> {
    let mut b = reply_builder(to, "9014");
    if to.version() == Version::V2005 {
        b = b.item("CN", to.cn());
    }
    b.build()
}
