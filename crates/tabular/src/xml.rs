//! What every part's reader shares: attributes by local name, entity references, the
//! `_xHHHH_` escapes of spreadsheet strings, and errors that name the part.

use std::borrow::Cow;

use quick_xml::events::{BytesRef, BytesStart};
use quick_xml::{Reader, XmlVersion};

use crate::{TabularError, preview};

/// A reader over one part's text. Element names are compared by local name everywhere, because
/// some writers (the OpenXML SDK among them) prefix every element (`<x:c>`).
pub(crate) fn reader(text: &str) -> Reader<&[u8]> {
    Reader::from_str(text)
}

/// The error for a malformed part, with the byte position the reader had reached. The
/// parser's own words may quote names or text from the file, so they are shortened.
pub(crate) fn error(part: &str, r: &Reader<&[u8]>, e: impl std::fmt::Display) -> TabularError {
    TabularError::Xml {
        part: part.to_string(),
        message: format!(
            "第 {} 字节附近：{}",
            r.error_position(),
            preview(&e.to_string())
        ),
    }
}

/// An attribute's unescaped value, found by local name (`r:id` is found as `id`).
pub(crate) fn attr(
    e: &BytesStart<'_>,
    local: &str,
    part: &str,
    r: &Reader<&[u8]>,
) -> Result<Option<String>, TabularError> {
    for a in e.attributes() {
        let a = a.map_err(|err| error(part, r, err))?;
        if a.key.local_name().as_ref() == local {
            let v = a
                .normalized_value(XmlVersion::Implicit1_0)
                .map_err(|err| error(part, r, err))?;
            return Ok(Some(v.into_owned()));
        }
    }
    Ok(None)
}

/// Appends what an entity or character reference stands for.
pub(crate) fn push_reference(
    out: &mut String,
    reference: &BytesRef<'_>,
    part: &str,
    r: &Reader<&[u8]>,
) -> Result<(), TabularError> {
    if let Some(c) = reference
        .resolve_char_ref()
        .map_err(|err| error(part, r, err))?
    {
        out.push(c);
        return Ok(());
    }
    out.push(match &**reference {
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        other => return Err(error(part, r, format!("未定义的实体 &{other};"))),
    });
    Ok(())
}

/// Decodes the `_xHHHH_` escapes spreadsheet strings use for characters XML cannot carry (a
/// carriage return is stored as `_x000D_`, and a literal `_x000D_` as `_x005F_x000D_`).
pub(crate) fn decode_escapes(s: &str) -> Cow<'_, str> {
    if !s.contains("_x") {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find("_x") {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let decoded = tail
            .get(2..6)
            .filter(|hex| hex.bytes().all(|b| b.is_ascii_hexdigit()))
            .filter(|_| tail.as_bytes().get(6) == Some(&b'_'))
            .and_then(|hex| u32::from_str_radix(hex, 16).ok())
            .and_then(char::from_u32);
        match decoded {
            Some(c) => {
                out.push(c);
                rest = &tail[7..];
            }
            None => {
                out.push_str("_x");
                rest = &tail[2..];
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

/// A part's bytes as text: UTF-8 with an optional byte-order mark.
pub(crate) fn utf8<'a>(bytes: &'a [u8], part: &str) -> Result<&'a str, TabularError> {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    std::str::from_utf8(bytes).map_err(|e| TabularError::Xml {
        part: part.to_string(),
        message: format!("不是 UTF-8 编码（第 {} 字节）", e.valid_up_to()),
    })
}

#[cfg(test)]
mod tests {
    use super::decode_escapes;

    #[test]
    fn escapes_decode_once() {
        assert_eq!(decode_escapes("a_x000D_b"), "a\rb");
        assert_eq!(decode_escapes("_x005F_x000D_"), "_x000D_");
        assert_eq!(decode_escapes("_x12_ _xZZZZ_ _x"), "_x12_ _xZZZZ_ _x");
        assert_eq!(decode_escapes("价格_x0041_元"), "价格A元");
        // A surrogate is no character: left as written.
        assert_eq!(decode_escapes("_xD800_"), "_xD800_");
    }
}
