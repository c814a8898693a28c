//! The typed packet: a compact owned copy of the data segment plus an index of its fields.

use crate::codes::map_2005_code;
use crate::crc::{CrcVariant, write_hex4};
use crate::error::DecodeError;

/// Protocol version, told apart by the Flag's version bits and the frame's shape.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Version {
    /// HJ/T 212-2005: version bits 0, or no Flag at all.
    V2005,
    /// HJ 212-2017: version bits `000001`.
    V2017,
    /// HJ 212-2025: version bits `000010`; unknown higher bits are also reported here.
    V2025,
}

impl Version {
    /// The stable name used in JSON output (`2005`, `2017`, `2025`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::V2005 => "2005",
            Self::V2017 => "2017",
            Self::V2025 => "2025",
        }
    }

    /// The Flag version bits (`V5..V0`) this version writes.
    #[must_use]
    pub fn bits(self) -> u8 {
        match self {
            Self::V2005 => 0,
            Self::V2017 => 1,
            Self::V2025 => 2,
        }
    }
}

/// How the declared length counted the data segment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum LengthCount {
    /// UTF-8 bytes (the natural reading, and what the encoder writes by default).
    #[default]
    Bytes,
    /// Unicode characters, as some senders write when the data holds Chinese log text.
    Chars,
}

/// A byte range inside the data segment; u16 suffices because segments are at most 9999 bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(crate) struct Span {
    start: u16,
    len: u16,
}

impl Span {
    fn new(start: usize, end: usize) -> Self {
        // Callers guarantee end <= MAX_DATA_LEN, well inside u16.
        Self {
            start: start as u16,
            len: (end - start) as u16,
        }
    }
    fn get(self, text: &str) -> &str {
        let s = usize::from(self.start);
        text.get(s..s + usize::from(self.len)).unwrap_or("")
    }
}

/// One `key=value` item as indexed at decode time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawItem {
    key: Span,
    value: Span,
    /// The separator before this item (`;` or `,`), 0 for the first.
    sep: u8,
}

/// Largest data segment the 4-digit length field can declare.
pub const MAX_DATA_LEN: usize = 9999;

/// A decoded or built HJ 212 packet.
///
/// The data segment is kept verbatim in one owned string and the fields are
/// indexed into it, so decoding costs two allocations (text and item index)
/// and every value keeps its exact text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    text: String,
    qn: Option<Span>,
    st: Option<Span>,
    cn: Span,
    pw: Option<Span>,
    mn: Option<Span>,
    flag: Option<u8>,
    pnum: Option<u16>,
    pno: Option<u16>,
    data_time: Option<Span>,
    cp_closed: bool,
    /// Unknown header fields come first in `items`; this counts them.
    header_extra: u16,
    items: Vec<RawItem>,
    crc_variant: CrcVariant,
    length_count: LengthCount,
}

/// One CP item (`key=value`) with its exact text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpItem<'a> {
    /// The key, trimmed of stray spaces (`w01018-Rtd`, `DataTime`).
    pub key: &'a str,
    /// The value text exactly as sent.
    pub value: Value<'a>,
    /// The separator that preceded this item: `;`, `,`, or `None` for the first item.
    pub sep: Option<char>,
}

impl<'a> CpItem<'a> {
    /// The factor code before the first `-`, or `None` for a plain parameter such as `DataTime`.
    #[must_use]
    pub fn code(&self) -> Option<&'a str> {
        self.key.split_once('-').map(|(c, _)| c)
    }

    /// The field name after the factor code (`Rtd`), or the whole key for a plain parameter.
    ///
    /// Extra hyphens (`w01018--Avg`, a 2017 erratum) are skipped.
    #[must_use]
    pub fn field(&self) -> &'a str {
        match self.key.split_once('-') {
            Some((_, f)) => f.trim_start_matches('-'),
            None => self.key,
        }
    }

    /// The standard meaning of the field.
    #[must_use]
    pub fn kind(&self) -> FieldKind {
        FieldKind::from_name(self.field())
    }
}

/// A value's exact text with on-demand numeric parsing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Value<'a> {
    text: &'a str,
}

impl<'a> Value<'a> {
    /// The exact text as sent (`1.230` stays `1.230`).
    #[must_use]
    pub fn text(&self) -> &'a str {
        self.text
    }

    /// The value as a number, if it is one (surrounding spaces are ignored).
    #[must_use]
    pub fn number(&self) -> Option<f64> {
        let t = self.text.trim();
        if t.is_empty()
            || !t
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E'))
        {
            return None;
        }
        t.parse().ok()
    }
}

/// The standard field suffixes of Table 4; anything else is [`FieldKind::Other`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// Real-time value.
    Rtd,
    /// Minimum over the period.
    Min,
    /// Average over the period.
    Avg,
    /// Maximum over the period.
    Max,
    /// Cumulative value over the period.
    Cou,
    /// Converted real-time value.
    ZsRtd,
    /// Converted minimum.
    ZsMin,
    /// Converted average.
    ZsAvg,
    /// Converted maximum.
    ZsMax,
    /// Data flag (Table 8).
    Flag,
    /// Instrument-defined extended flag.
    EFlag,
    /// Instrument sampling time.
    SampleTime,
    /// Any other field, kept verbatim.
    Other,
}

impl FieldKind {
    /// Classifies a field name.
    #[must_use]
    pub fn from_name(name: &str) -> Self {
        match name {
            "Rtd" => Self::Rtd,
            "Min" => Self::Min,
            "Avg" => Self::Avg,
            "Max" => Self::Max,
            "Cou" => Self::Cou,
            "ZsRtd" => Self::ZsRtd,
            "ZsMin" => Self::ZsMin,
            "ZsAvg" => Self::ZsAvg,
            "ZsMax" => Self::ZsMax,
            "Flag" => Self::Flag,
            "EFlag" => Self::EFlag,
            "SampleTime" => Self::SampleTime,
            _ => Self::Other,
        }
    }
}

/// All items of one monitored factor, in frame order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Factor<'a> {
    /// The code as sent (`011`, `w01018`, `SB1`).
    pub code: &'a str,
    /// The 2017 code when `code` is a 2005 code for this packet's ST.
    pub code_2017: Option<&'static str>,
    /// The factor's items, duplicates included.
    pub items: Vec<CpItem<'a>>,
}

impl<'a> Factor<'a> {
    /// The 2017 code if mapped, else the code as sent.
    #[must_use]
    pub fn canonical_code(&self) -> &'a str {
        self.code_2017.unwrap_or(self.code)
    }

    /// The first value whose field name is `field`.
    #[must_use]
    pub fn get(&self, field: &str) -> Option<Value<'a>> {
        self.items
            .iter()
            .find(|i| i.field() == field)
            .map(|i| i.value)
    }

    /// The first value of the given standard kind.
    #[must_use]
    pub fn value(&self, kind: FieldKind) -> Option<Value<'a>> {
        self.items
            .iter()
            .find(|i| i.kind() == kind)
            .map(|i| i.value)
    }
}

fn syntax(offset: usize, message: impl Into<String>) -> DecodeError {
    DecodeError::Syntax {
        offset: offset as u64,
        message: message.into(),
    }
}

fn is_space(b: u8) -> bool {
    b == b' ' || b == b'\t'
}

fn trim_range(bytes: &[u8], mut s: usize, mut e: usize) -> (usize, usize) {
    while s < e && is_space(bytes[s]) {
        s += 1;
    }
    while e > s && is_space(bytes[e - 1]) {
        e -= 1;
    }
    (s, e)
}

fn parse_small_uint<T: TryFrom<u32>>(v: &str) -> Option<T> {
    if v.is_empty() || v.len() > 5 || !v.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u32 = v.parse().ok()?;
    T::try_from(n).ok()
}

fn find(hay: &[u8], needle: &[u8], from: usize) -> Option<usize> {
    let (&first, rest) = needle.split_first()?;
    let mut i = from;
    while i + needle.len() <= hay.len() {
        // Jump between occurrences of the first byte instead of comparing every window.
        let p = hay[i..=hay.len() - needle.len()]
            .iter()
            .position(|&b| b == first)?;
        let at = i + p;
        if &hay[at + 1..at + needle.len()] == rest {
            return Some(at);
        }
        i = at + 1;
    }
    None
}

impl Packet {
    /// Parses a data segment (the text between the length field and the CRC).
    ///
    /// Error offsets are relative to the start of the data segment.
    pub(crate) fn parse(
        text: String,
        crc_variant: CrcVariant,
        length_count: LengthCount,
    ) -> Result<Self, DecodeError> {
        let bytes = text.as_bytes();
        if bytes.len() > MAX_DATA_LEN {
            return Err(DecodeError::TooLong {
                offset: 0,
                message: format!(
                    "data segment of {} bytes exceeds {MAX_DATA_LEN}",
                    bytes.len()
                ),
            });
        }
        let cp_pos = find(bytes, b"CP=&&", 0)
            .ok_or_else(|| syntax(bytes.len(), "missing `CP=&&` (command parameters)"))?;
        let cp_start = cp_pos + 5;
        let (cp_end, cp_closed) = if bytes.len() >= cp_start + 2 && bytes.ends_with(b"&&") {
            (bytes.len() - 2, true)
        } else {
            (bytes.len(), false)
        };

        let mut p = Packet {
            text: String::new(),
            qn: None,
            st: None,
            cn: Span::default(),
            pw: None,
            mn: None,
            flag: None,
            pnum: None,
            pno: None,
            data_time: None,
            cp_closed,
            header_extra: 0,
            items: Vec::new(),
            crc_variant,
            length_count,
        };
        let mut extras: Vec<RawItem> = Vec::new();
        // Real items run 12-30 bytes; reserving one per 10 bytes means a single allocation
        // for typical frames without a counting pass over the data.
        let mut items: Vec<RawItem> = Vec::with_capacity((cp_end - cp_start) / 10 + 4);
        let mut have_cn = false;

        // Header: fields in any order, `;` or `,` between them, case-insensitive names.
        let mut i = 0;
        let mut sep = 0u8;
        while i < cp_pos {
            let mut j = i;
            while j < cp_pos && bytes[j] != b';' && bytes[j] != b',' {
                j += 1;
            }
            let (s, e) = trim_range(bytes, i, j);
            if s < e {
                let eq = bytes[s..e]
                    .iter()
                    .position(|&b| b == b'=')
                    .map(|k| k + s)
                    .ok_or_else(|| syntax(s, "header field without `=`"))?;
                let (ks, ke) = trim_range(bytes, s, eq);
                let (vs, ve) = trim_range(bytes, eq + 1, e);
                let key = &text[ks..ke];
                let val = &text[vs..ve];
                let vspan = Span::new(vs, ve);
                let slot = if key.eq_ignore_ascii_case("QN") {
                    Some(&mut p.qn)
                } else if key.eq_ignore_ascii_case("ST") {
                    Some(&mut p.st)
                } else if key.eq_ignore_ascii_case("PW") {
                    Some(&mut p.pw)
                } else if key.eq_ignore_ascii_case("MN") {
                    Some(&mut p.mn)
                } else {
                    None
                };
                let mut known = true;
                if let Some(slot) = slot {
                    if slot.is_none() {
                        *slot = Some(vspan);
                    } else {
                        known = false;
                    }
                } else if key.eq_ignore_ascii_case("CN") && !have_cn {
                    if val.is_empty() {
                        return Err(syntax(vs, "empty CN"));
                    }
                    p.cn = vspan;
                    have_cn = true;
                } else if key.eq_ignore_ascii_case("Flag") && p.flag.is_none() {
                    p.flag = Some(parse_small_uint(val).ok_or_else(|| {
                        syntax(vs, format!("Flag `{val}` is not an integer 0-255"))
                    })?);
                } else if key.eq_ignore_ascii_case("PNUM") && p.pnum.is_none() {
                    p.pnum = Some(
                        parse_small_uint(val)
                            .ok_or_else(|| syntax(vs, format!("PNUM `{val}` is not a number")))?,
                    );
                } else if key.eq_ignore_ascii_case("PNO") && p.pno.is_none() {
                    p.pno = Some(
                        parse_small_uint(val)
                            .ok_or_else(|| syntax(vs, format!("PNO `{val}` is not a number")))?,
                    );
                } else {
                    known = false;
                }
                if !known {
                    extras.push(RawItem {
                        key: Span::new(ks, ke),
                        value: vspan,
                        sep,
                    });
                }
            }
            if j < cp_pos {
                sep = bytes[j];
            }
            i = j + 1;
        }
        if !have_cn {
            return Err(syntax(0, "missing CN"));
        }
        p.header_extra = extras.len() as u16;
        items.extend(extras);

        // CP: `;` between factors, `,` within one; `//…//` log text is opaque.
        let mut i = cp_start;
        let mut sep = 0u8;
        while i < cp_end {
            let mut j = i;
            while j < cp_end && !matches!(bytes[j], b'=' | b';' | b',') {
                j += 1;
            }
            if j == cp_end || bytes[j] != b'=' {
                if !bytes[i..j].iter().all(|&b| is_space(b)) {
                    return Err(syntax(i, "CP item without `=`"));
                }
                if j < cp_end {
                    sep = bytes[j];
                }
                i = j + 1;
                continue;
            }
            let (ks, ke) = trim_range(bytes, i, j);
            if ks == ke {
                return Err(syntax(i, "CP item with an empty name"));
            }
            let vs = j + 1;
            let ve = if bytes[vs..cp_end].starts_with(b"//") {
                let mut k = vs + 2;
                loop {
                    match find(&bytes[..cp_end], b"//", k) {
                        Some(c) if c + 2 == cp_end || matches!(bytes[c + 2], b';' | b',') => {
                            break c + 2;
                        }
                        Some(c) => k = c + 1,
                        None => return Err(syntax(vs, "unterminated `//…//` text")),
                    }
                }
            } else {
                let mut k = vs;
                while k < cp_end && bytes[k] != b';' && bytes[k] != b',' {
                    k += 1;
                }
                k
            };
            let item = RawItem {
                key: Span::new(ks, ke),
                value: Span::new(vs, ve),
                sep,
            };
            if p.data_time.is_none() && &bytes[ks..ke] == b"DataTime" {
                p.data_time = Some(item.value);
            }
            items.push(item);
            if ve < cp_end {
                sep = bytes[ve];
            }
            i = ve + 1;
        }

        // Some devices put PNUM/PNO inside CP; fall back to those.
        if p.pnum.is_none() || p.pno.is_none() {
            for it in &items[usize::from(p.header_extra)..] {
                let k = it.key.get(&text);
                let v = it.value.get(&text);
                if k == "PNUM" && p.pnum.is_none() {
                    p.pnum = parse_small_uint(v);
                } else if k == "PNO" && p.pno.is_none() {
                    p.pno = parse_small_uint(v);
                }
            }
        }
        p.items = items;
        p.text = text;
        Ok(p)
    }

    /// Starts building a packet for command `cn`.
    #[must_use]
    pub fn builder(cn: impl Into<String>) -> crate::encode::PacketBuilder {
        crate::encode::PacketBuilder::new(cn)
    }

    /// The whole data segment, exactly as received.
    #[must_use]
    pub fn data_segment(&self) -> &str {
        &self.text
    }

    /// QN, the request id (absent in most 2005 uploads).
    #[must_use]
    pub fn qn(&self) -> Option<&str> {
        self.qn.map(|s| s.get(&self.text))
    }

    /// ST, the system code.
    #[must_use]
    pub fn st(&self) -> Option<&str> {
        self.st.map(|s| s.get(&self.text))
    }

    /// CN, the command code text.
    #[must_use]
    pub fn cn(&self) -> &str {
        self.cn.get(&self.text)
    }

    /// CN as a number, when it is one.
    #[must_use]
    pub fn cn_code(&self) -> Option<u16> {
        parse_small_uint(self.cn())
    }

    /// PW, the access password.
    #[must_use]
    pub fn pw(&self) -> Option<&str> {
        self.pw.map(|s| s.get(&self.text))
    }

    /// MN, the device id.
    #[must_use]
    pub fn mn(&self) -> Option<&str> {
        self.mn.map(|s| s.get(&self.text))
    }

    /// The raw Flag value, if present.
    #[must_use]
    pub fn flag(&self) -> Option<u8> {
        self.flag
    }

    /// Flag bit A: the sender wants an answer.
    #[must_use]
    pub fn ack_requested(&self) -> bool {
        self.flag.is_some_and(|f| f & 1 != 0)
    }

    /// Flag bit D, or PNUM/PNO present without a Flag: the data is split into packets.
    #[must_use]
    pub fn is_split(&self) -> bool {
        self.flag.is_some_and(|f| f & 2 != 0) || (self.pnum.is_some() && self.pno.is_some())
    }

    /// The Flag version bits (`V5..V0`), if a Flag is present.
    #[must_use]
    pub fn version_bits(&self) -> Option<u8> {
        self.flag.map(|f| f >> 2)
    }

    /// The protocol version; a missing Flag means 2005, and it is never a reason to reject.
    #[must_use]
    pub fn version(&self) -> Version {
        match self.version_bits() {
            None | Some(0) => Version::V2005,
            Some(1) => Version::V2017,
            Some(_) => Version::V2025,
        }
    }

    /// PNUM, the total number of packets of a split upload.
    #[must_use]
    pub fn pnum(&self) -> Option<u16> {
        self.pnum
    }

    /// PNO, this packet's number (from 1) within a split upload.
    #[must_use]
    pub fn pno(&self) -> Option<u16> {
        self.pno
    }

    /// The first `DataTime` in CP.
    #[must_use]
    pub fn data_time(&self) -> Option<&str> {
        self.data_time.map(|s| s.get(&self.text))
    }

    /// False when the closing `&&` of CP was missing.
    #[must_use]
    pub fn cp_closed(&self) -> bool {
        self.cp_closed
    }

    /// Which CRC variant the frame used (or will use when encoded).
    #[must_use]
    pub fn crc_variant(&self) -> CrcVariant {
        self.crc_variant
    }

    /// How the declared length counted the data (and how the encoder will count it).
    #[must_use]
    pub fn length_count(&self) -> LengthCount {
        self.length_count
    }

    /// Sets the CRC variant the encoder writes.
    pub fn set_crc_variant(&mut self, v: CrcVariant) {
        self.crc_variant = v;
    }

    /// Sets how the encoder counts the declared length.
    pub fn set_length_count(&mut self, c: LengthCount) {
        self.length_count = c;
    }

    fn item(&self, it: &RawItem) -> CpItem<'_> {
        CpItem {
            key: it.key.get(&self.text),
            value: Value {
                text: it.value.get(&self.text),
            },
            sep: (it.sep != 0).then_some(char::from(it.sep)),
        }
    }

    /// Header fields other than QN, ST, CN, PW, MN, Flag, PNUM, PNO (and repeats of those).
    pub fn header_extras(&self) -> impl Iterator<Item = CpItem<'_>> {
        self.items[..usize::from(self.header_extra)]
            .iter()
            .map(|it| self.item(it))
    }

    /// Every CP item in frame order, duplicates and unknown codes included.
    pub fn cp_items(&self) -> impl Iterator<Item = CpItem<'_>> {
        self.items[usize::from(self.header_extra)..]
            .iter()
            .map(|it| self.item(it))
    }

    /// CP items without a factor code (`DataTime`, `PolId`, `QnRtn`, a bare `Flag`…).
    pub fn params(&self) -> impl Iterator<Item = CpItem<'_>> {
        self.cp_items().filter(|i| i.code().is_none())
    }

    /// The first CP parameter (item without factor code) named `key`.
    #[must_use]
    pub fn param(&self, key: &str) -> Option<&str> {
        self.params().find(|i| i.key == key).map(|i| i.value.text())
    }

    /// CP items grouped by factor code, in order of first appearance.
    #[must_use]
    pub fn factors(&self) -> Vec<Factor<'_>> {
        let st = self.st().unwrap_or("");
        let mut out: Vec<Factor<'_>> = Vec::new();
        for item in self.cp_items() {
            let Some(code) = item.code() else { continue };
            match out.iter_mut().find(|f| f.code == code) {
                Some(f) => f.items.push(item),
                None => out.push(Factor {
                    code,
                    code_2017: map_2005_code(st, code),
                    items: vec![item],
                }),
            }
        }
        out
    }

    /// The declared length this packet encodes with.
    #[must_use]
    pub fn declared_len(&self) -> usize {
        match self.length_count {
            LengthCount::Bytes => self.text.len(),
            LengthCount::Chars => self.text.chars().count(),
        }
    }

    /// Appends the full frame (`##`, length, data, CRC in upper-case hex, CR LF) to `out`.
    pub fn encode_into(&self, out: &mut Vec<u8>) {
        let len = self.declared_len();
        out.reserve(self.text.len() + 12);
        out.extend_from_slice(b"##");
        // The length is at most 9999 (enforced at parse/build time), so 4 digits suffice.
        let digits = [
            b'0' + (len / 1000 % 10) as u8,
            b'0' + (len / 100 % 10) as u8,
            b'0' + (len / 10 % 10) as u8,
            b'0' + (len % 10) as u8,
        ];
        out.extend_from_slice(&digits);
        out.extend_from_slice(self.text.as_bytes());
        write_hex4(out, self.crc_variant.compute(self.text.as_bytes()));
        out.extend_from_slice(b"\r\n");
    }

    /// The full frame as bytes.
    #[must_use]
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.text.len() + 12);
        self.encode_into(&mut out);
        out
    }
}
