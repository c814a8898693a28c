//! The JSON shapes of the `qingshan hj212` CLI (see the crate docs for the `cp` layout).

use serde::Serialize;
use serde::ser::{SerializeMap, Serializer};
use serde_json::Value as Json;

use crate::crc::{CrcPolicy, CrcVariant};
use crate::decode::decode_line;
use crate::encode::PacketBuilder;
use crate::error::DecodeError;
use crate::packet::{LengthCount, Packet};

/// Pairs serialised as a JSON object in order; a repeated key keeps its first value
/// (every occurrence stays in `items`).
struct Ordered<'a, V: Serialize>(Vec<(&'a str, V)>);

impl<V: Serialize> Serialize for Ordered<'_, V> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seen: Vec<&str> = Vec::with_capacity(self.0.len());
        let mut m = s.serialize_map(None)?;
        for (k, v) in &self.0 {
            if seen.contains(k) {
                continue;
            }
            seen.push(k);
            m.serialize_entry(k, v)?;
        }
        m.end()
    }
}

#[derive(Serialize)]
struct FactorJson<'a> {
    code_2017: Option<&'static str>,
    fields: Ordered<'a, &'a str>,
}

#[derive(Serialize)]
struct CpJson<'a> {
    params: Ordered<'a, &'a str>,
    factors: Ordered<'a, FactorJson<'a>>,
    items: Vec<Vec<&'a str>>,
}

/// `[key, value]` per CP item, plus the separator as a third element when it is not the
/// one the encoder would choose (so `encode` reproduces the frame).
fn items_json(p: &Packet) -> Vec<Vec<&str>> {
    let mut prev: Option<&str> = None;
    p.cp_items()
        .map(|i| {
            let canonical = crate::encode::canonical_sep(prev, i.key);
            prev = Some(i.key);
            match i.sep {
                Some(',') if canonical != ',' => vec![i.key, i.value.text(), ","],
                Some(';') if canonical != ';' => vec![i.key, i.value.text(), ";"],
                _ => vec![i.key, i.value.text()],
            }
        })
        .collect()
}

#[derive(Serialize)]
struct PacketJson<'a> {
    ok: bool,
    version: &'static str,
    qn: Option<&'a str>,
    st: Option<&'a str>,
    cn: &'a str,
    pw: Option<&'a str>,
    mn: Option<&'a str>,
    flag: Option<u8>,
    ack_requested: bool,
    pnum: Option<u16>,
    pno: Option<u16>,
    crc_variant: &'static str,
    data_time: Option<&'a str>,
    cp: CpJson<'a>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    header_extra: Vec<[&'a str; 2]>,
    #[serde(skip_serializing_if = "is_bytes")]
    length_count: &'static str,
}

fn is_bytes(s: &&'static str) -> bool {
    *s == "bytes"
}

#[derive(Serialize)]
struct ErrorJson<'a> {
    ok: bool,
    error: &'static str,
    offset: u64,
    message: &'a str,
}

fn to_string<T: Serialize>(v: &T) -> String {
    serde_json::to_string(v).unwrap_or_else(|e| {
        format!("{{\"ok\":false,\"error\":\"syntax\",\"offset\":0,\"message\":\"JSON output failed: {e}\"}}")
    })
}

/// The decode output object for a packet (`{"ok":true,…}`), as one line of JSON.
#[must_use]
pub fn packet_to_json(p: &Packet) -> String {
    let factors = p.factors();
    let cp = CpJson {
        params: Ordered(p.params().map(|i| (i.key, i.value.text())).collect()),
        factors: Ordered(
            factors
                .iter()
                .map(|f| {
                    (
                        f.code,
                        FactorJson {
                            code_2017: f.code_2017,
                            fields: Ordered(
                                f.items
                                    .iter()
                                    .map(|i| (i.field(), i.value.text()))
                                    .collect(),
                            ),
                        },
                    )
                })
                .collect(),
        ),
        items: items_json(p),
    };
    to_string(&PacketJson {
        ok: true,
        version: p.version().as_str(),
        qn: p.qn(),
        st: p.st(),
        cn: p.cn(),
        pw: p.pw(),
        mn: p.mn(),
        flag: p.flag(),
        ack_requested: p.ack_requested(),
        pnum: p.pnum(),
        pno: p.pno(),
        crc_variant: p.crc_variant().as_str(),
        data_time: p.data_time(),
        cp,
        header_extra: p.header_extras().map(|i| [i.key, i.value.text()]).collect(),
        length_count: match p.length_count() {
            LengthCount::Bytes => "bytes",
            LengthCount::Chars => "chars",
        },
    })
}

/// The decode output object for a rejected frame (`{"ok":false,…}`).
#[must_use]
pub fn error_to_json(e: &DecodeError) -> String {
    to_string(&ErrorJson {
        ok: false,
        error: e.kind(),
        offset: e.offset(),
        message: e.message(),
    })
}

/// Decodes one input line and renders the CLI's JSON object for it.
#[must_use]
pub fn decode_line_to_json(line: &[u8], policy: CrcPolicy) -> String {
    match decode_line(line, policy) {
        Ok(p) => packet_to_json(&p),
        Err(e) => error_to_json(&e),
    }
}

/// Why a JSON object could not be turned into a packet.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct JsonError(pub String);

fn opt_str(obj: &serde_json::Map<String, Json>, key: &str) -> Result<Option<String>, JsonError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(Json::String(s)) => Ok(Some(s.clone())),
        Some(Json::Number(n)) => Ok(Some(n.to_string())),
        Some(other) => Err(JsonError(format!("`{key}` must be a string, not {other}"))),
    }
}

fn opt_int<T: TryFrom<u64>>(
    obj: &serde_json::Map<String, Json>,
    key: &str,
) -> Result<Option<T>, JsonError> {
    match obj.get(key) {
        None | Some(Json::Null) => Ok(None),
        Some(v) => v
            .as_u64()
            .and_then(|n| T::try_from(n).ok())
            .map(Some)
            .ok_or_else(|| JsonError(format!("`{key}` must be a small non-negative integer"))),
    }
}

fn text_of(v: &Json) -> Result<String, JsonError> {
    match v {
        Json::String(s) => Ok(s.clone()),
        Json::Number(n) => Ok(n.to_string()),
        other => Err(JsonError(format!("CP value must be a string, not {other}"))),
    }
}

/// Builds a packet from the decode output shape (the `encode` command's input).
///
/// `cn` is required; `qn`, `st`, `pw`, `mn`, `flag`, `pnum`, `pno`, `crc_variant` and
/// `length_count` are optional. CP comes from `cp.items` (`[[key, value], …]`, order kept,
/// an optional third element forcing the separator) when present,
/// otherwise from `cp.params` followed by `cp.factors` (`{code: {"fields": {name: value}}}`).
pub fn packet_from_json(v: &Json) -> Result<Packet, JsonError> {
    let obj = v
        .as_object()
        .ok_or_else(|| JsonError("expected a JSON object".into()))?;
    let cn = opt_str(obj, "cn")?.ok_or_else(|| JsonError("`cn` is required".into()))?;
    let mut b = PacketBuilder::new(cn);
    if let Some(s) = opt_str(obj, "qn")? {
        b = b.qn(s);
    }
    if let Some(s) = opt_str(obj, "st")? {
        b = b.st(s);
    }
    if let Some(s) = opt_str(obj, "pw")? {
        b = b.pw(s);
    }
    if let Some(s) = opt_str(obj, "mn")? {
        b = b.mn(s);
    }
    b = b.flag_opt(opt_int(obj, "flag")?);
    if let (Some(pnum), Some(pno)) = (opt_int(obj, "pnum")?, opt_int(obj, "pno")?) {
        b = b.split(pnum, pno);
    }
    if opt_str(obj, "length_count")?.as_deref() == Some("chars") {
        b = b.length_count(LengthCount::Chars);
    }
    if let Some(s) = opt_str(obj, "crc_variant")? {
        b = b.crc_variant(s.parse::<CrcVariant>().map_err(JsonError)?);
    }
    if let Some(cp) = obj.get("cp").filter(|c| !c.is_null()) {
        let cp = cp
            .as_object()
            .ok_or_else(|| JsonError("`cp` must be an object".into()))?;
        if let Some(items) = cp.get("items") {
            let items = items
                .as_array()
                .ok_or_else(|| JsonError("`cp.items` must be an array".into()))?;
            for it in items {
                match it.as_array().map(Vec::as_slice) {
                    Some([k, v]) => b = b.item(text_of(k)?, text_of(v)?),
                    Some([k, v, Json::String(sep)]) if sep == ";" || sep == "," => {
                        b = b.item_with_sep(text_of(k)?, text_of(v)?, sep.chars().next());
                    }
                    _ => {
                        return Err(JsonError(
                            "each `cp.items` entry must be [key, value] or [key, value, sep]"
                                .into(),
                        ));
                    }
                }
            }
        } else {
            if let Some(params) = cp.get("params").and_then(Json::as_object) {
                for (k, v) in params {
                    b = b.item(k.clone(), text_of(v)?);
                }
            }
            if let Some(factors) = cp.get("factors").and_then(Json::as_object) {
                for (code, f) in factors {
                    let fields = f
                        .get("fields")
                        .and_then(Json::as_object)
                        .ok_or_else(|| JsonError(format!("factor `{code}` needs `fields`")))?;
                    for (name, v) in fields {
                        b = b.factor(code, name, text_of(v)?);
                    }
                }
            }
        }
    }
    b.build().map_err(|e| JsonError(e.to_string()))
}
