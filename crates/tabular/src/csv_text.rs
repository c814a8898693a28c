//! CSV files as tables of cell text: the bytes decoded by their encoding, the records read
//! against the budget, and each record kept at the row a spreadsheet shows it on.

use encoding_rs::{DecoderResult, Encoding, GB18030, UTF_8};

use crate::limits::{Limits, bytes_text, preview};
use crate::{Sheet, TabularError, column_letter};

/// Decodes a CSV file's bytes to text. UTF-8 (with or without byte-order mark) and UTF-16
/// with a byte-order mark are read as such; bytes that are not UTF-8 but are GB18030 (of which
/// GBK and GB2312 are subsets: what Chinese Excel and WPS save by default) are read as GB18030.
/// Anything else, and text with NUL characters (a binary file, or UTF-16 without a byte-order
/// mark), is refused, naming the line and byte where decoding failed. The byte-order mark is
/// not part of the text.
///
/// Bytes that are valid UTF-8 are read as UTF-8. A GBK text can be valid UTF-8 as well only by
/// chance, which is likely only for a few characters (丐 is `D8 A4`, also UTF-8 for ؤ).
pub fn decode_csv(bytes: &[u8], limits: &Limits) -> Result<String, TabularError> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(TabularError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let text = match Encoding::for_bom(bytes) {
        Some((encoding, bom)) => {
            let body = bytes.get(bom..).unwrap_or_default();
            decode_strict(encoding, body).map_err(|at| {
                let (line, offset) = if encoding == UTF_8 {
                    (line_of(body, at), at)
                } else {
                    utf16_position(encoding, body, at)
                };
                encoding_error(line, (offset + bom) as u64, "出现无法解码的字节")
            })?
        }
        None => match std::str::from_utf8(bytes) {
            Ok(text) => text.to_string(),
            Err(utf8) => {
                let utf8_at = utf8.valid_up_to();
                let truncated = utf8.error_len().is_none();
                let has_multibyte = bytes.get(..utf8_at).is_some_and(|b| !b.is_ascii());
                // A UTF-8 file cut short in the middle of a character would otherwise be read
                // as GB18030, which takes almost any pair of bytes, and import as gibberish.
                if truncated && has_multibyte {
                    return Err(encoding_error(
                        line_of(bytes, utf8_at),
                        utf8_at as u64,
                        "UTF-8 字符不完整，文件可能被截断",
                    ));
                }
                decode_strict(GB18030, bytes).map_err(|gb_at| {
                    // The further of the two is where the file's own encoding broke: a file
                    // that decodes far as one of them is most likely in that one.
                    let at = gb_at.max(utf8_at);
                    encoding_error(line_of(bytes, at), at as u64, "出现无法解码的字节")
                })?
            }
        },
    };
    if let Some(at) = text.find('\0') {
        let prefix = text.get(..at).unwrap_or_default();
        let line = prefix.matches('\n').count() as u64 + 1;
        return Err(encoding_error(
            line,
            at as u64,
            "是 NUL 字符，这可能是二进制文件或不带 BOM 的 UTF-16 文本",
        ));
    }
    Ok(text)
}

/// The error for bytes that cannot be decoded.
fn encoding_error(line: u64, offset: u64, why: &str) -> TabularError {
    TabularError::Encoding {
        line,
        offset,
        why: why.to_string(),
    }
}

/// The 1-based line of byte `at`, counting `\n` bytes (which are `\n` in UTF-8 and GB18030).
fn line_of(bytes: &[u8], at: usize) -> u64 {
    let prefix = bytes.get(..at).unwrap_or(bytes);
    prefix.iter().filter(|b| **b == b'\n').count() as u64 + 1
}

/// The line and byte offset of UTF-16 code unit boundary `at` (in bytes), counting the lines of
/// the text decoded before it.
fn utf16_position(encoding: &'static Encoding, body: &[u8], at: usize) -> (u64, usize) {
    let prefix = body.get(..at).unwrap_or(body);
    let (text, _) = encoding.decode_without_bom_handling(prefix);
    (text.matches('\n').count() as u64 + 1, at)
}

/// Decodes all of `bytes` as `encoding`, or says at which byte the first malformed sequence
/// starts. Nothing is replaced: a replacement character would import as if it had been typed.
fn decode_strict(encoding: &'static Encoding, bytes: &[u8]) -> Result<String, usize> {
    let mut decoder = encoding.new_decoder_without_bom_handling();
    let capacity = decoder
        .max_utf8_buffer_length_without_replacement(bytes.len())
        .unwrap_or(bytes.len());
    let mut out = String::with_capacity(capacity);
    let mut read_total = 0usize;
    loop {
        let rest = bytes.get(read_total..).unwrap_or_default();
        let (result, read) = decoder.decode_to_string_without_replacement(rest, &mut out, true);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(out),
            DecoderResult::OutputFull => out.reserve(rest.len().saturating_sub(read) + 16),
            DecoderResult::Malformed(bad, after) => {
                return Err(read_total.saturating_sub(usize::from(bad) + usize::from(after)));
            }
        }
    }
}

/// Reads decoded CSV text (RFC 4180; the first record is the header, row 1) into a sheet whose
/// `rows()[n - 1]` is what a spreadsheet shows on row n. Blank lines and records of only commas
/// and spaces become empty rows, so rows after them keep their numbers; trailing ones are
/// dropped. Each row ends at its last cell with more than spaces, as a workbook's rows do.
pub(crate) fn read_csv(text: &str, limits: &Limits) -> Result<Sheet, TabularError> {
    let too_large = |what: String| TabularError::CsvTooLarge { what };
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut record = csv::StringRecord::new();
    let mut rows: Vec<Vec<String>> = Vec::new();
    // Blank rows not yet placed: they take room only if a row with a value follows.
    let mut blank = 0usize;
    let (mut cells, mut text_bytes, mut width) = (0usize, 0u64, 0usize);
    loop {
        let more = rdr.read_record(&mut record).map_err(|e| {
            // The text is valid UTF-8 and read from memory: only a bug could get here.
            too_large(format!("无法读取：{}", preview(&e.to_string())))
        })?;
        if !more {
            break;
        }
        // The CSV reader skips blank lines, counting them into the record after them (its
        // position is where reading it began); each one is a row to a spreadsheet.
        let start = record.position().map_or(0, |p| p.byte() as usize);
        let end = rdr.position().byte() as usize;
        blank += blank_lines(text.as_bytes(), start, end);
        let row = rows.len() + blank + 1;
        if row > limits.max_rows as usize {
            return Err(too_large(format!(
                "第 {row} 行超过 {} 行的上限",
                limits.max_rows
            )));
        }
        if record.len() > limits.max_columns as usize {
            return Err(too_large(format!(
                "第 {row} 行有 {} 列，超过 {} 列的上限",
                record.len(),
                limits.max_columns
            )));
        }
        for (i, field) in record.iter().enumerate() {
            if field.len() > limits.max_cell_chars && field.chars().count() > limits.max_cell_chars
            {
                return Err(TabularError::CellTooLong {
                    place: format!("CSV 第 {row} 行第 {} 列（{} 列）", i + 1, column_letter(i)),
                    limit: limits.max_cell_chars,
                    start: preview(field).into_owned(),
                });
            }
        }
        text_bytes += record.as_slice().len() as u64;
        if text_bytes > limits.max_text_bytes {
            return Err(too_large(format!(
                "单元格文字合计超过上限 {}（读到第 {row} 行时）",
                bytes_text(limits.max_text_bytes)
            )));
        }
        let used = (0..record.len())
            .rev()
            .find(|&i| record.get(i).is_some_and(|f| !f.trim().is_empty()))
            .map_or(0, |last| last + 1);
        if used == 0 {
            blank += 1;
            continue;
        }
        if rows.is_empty() && blank == 0 {
            width = used;
        }
        // Counted as the CSV rendering will hold them: padded to the header's width.
        cells += blank * width.max(1) + used.max(width);
        if cells > limits.max_cells {
            return Err(too_large(format!(
                "单元格（含空白）超过 {} 个（读到第 {row} 行时）",
                limits.max_cells
            )));
        }
        rows.resize_with(rows.len() + blank, Vec::new);
        blank = 0;
        rows.push(record.iter().take(used).map(str::to_string).collect());
    }
    Ok(Sheet::from_rows(String::new(), rows))
}

/// The blank lines at the start of `bytes[start..end]`: `\r\n`, `\n` and `\r` each end one,
/// and a `\n` right after a `\r` is the rest of the line end before it.
fn blank_lines(bytes: &[u8], start: usize, end: usize) -> usize {
    let mut previous = start.checked_sub(1).and_then(|i| bytes.get(i)).copied();
    let mut n = 0;
    for &b in bytes.get(start..end).unwrap_or_default() {
        match b {
            b'\r' => n += 1,
            b'\n' if previous != Some(b'\r') => n += 1,
            b'\n' => {}
            _ => break,
        }
        previous = Some(b);
    }
    n
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn rows(text: &str) -> Vec<Vec<String>> {
        read_csv(text, &Limits::default()).unwrap().rows().to_vec()
    }

    fn r(cells: &[&str]) -> Vec<String> {
        cells.iter().map(|c| c.to_string()).collect()
    }

    #[test]
    fn encodings_decode_to_the_same_text() {
        let text = "名称,数值\n某热电有限公司,0.015\n";
        let limits = Limits::default();
        assert_eq!(decode_csv(text.as_bytes(), &limits).unwrap(), text);
        let mut bom = b"\xEF\xBB\xBF".to_vec();
        bom.extend_from_slice(text.as_bytes());
        assert_eq!(decode_csv(&bom, &limits).unwrap(), text);
        let (gbk, _, unmappable) = encoding_rs::GBK.encode(text);
        assert!(!unmappable);
        assert!(std::str::from_utf8(&gbk).is_err());
        assert_eq!(decode_csv(&gbk, &limits).unwrap(), text);
        let mut le = vec![0xFF, 0xFE];
        let mut be = vec![0xFE, 0xFF];
        for unit in text.encode_utf16() {
            le.extend_from_slice(&unit.to_le_bytes());
            be.extend_from_slice(&unit.to_be_bytes());
        }
        assert_eq!(decode_csv(&le, &limits).unwrap(), text);
        assert_eq!(decode_csv(&be, &limits).unwrap(), text);
        // GB18030's four-byte sequences reach beyond GBK: 𠀀 (U+20000).
        let (gb, _, _) = GB18030.encode("名称\n𠀀\n");
        assert_eq!(decode_csv(&gb, &limits).unwrap(), "名称\n𠀀\n");
    }

    #[test]
    fn other_bytes_are_refused_naming_where() {
        let limits = Limits::default();
        // 0xFF is no lead byte in GB18030 and never appears in UTF-8.
        let e = decode_csv(b"a,b\n1,2\n3,\xFF\n", &limits).unwrap_err();
        assert_eq!(e.kind(), "encoding");
        assert_eq!(
            e,
            TabularError::Encoding {
                line: 3,
                offset: 10,
                why: "出现无法解码的字节".into()
            }
        );
        assert!(
            e.to_string()
                .starts_with("文件不是 UTF-8 或 GBK 编码的 CSV（第 3 行")
        );
        // UTF-8 cut short in a character is not taken for GB18030.
        let cut = &"名称,数值\n某".as_bytes()[..15];
        let e = decode_csv(cut, &limits).unwrap_err();
        assert!(
            matches!(
                e,
                TabularError::Encoding {
                    line: 2,
                    offset: 14,
                    ..
                }
            ),
            "{e:?}"
        );
        // UTF-16 without a byte-order mark is valid UTF-8 full of NULs.
        let e = decode_csv(b"a\0,\0b\0\n\0", &limits).unwrap_err();
        assert!(
            matches!(
                e,
                TabularError::Encoding {
                    line: 1,
                    offset: 1,
                    ..
                }
            ),
            "{e:?}"
        );
        // An unpaired surrogate in UTF-16.
        let e = decode_csv(
            &[0xFF, 0xFE, b'a', 0, b'\n', 0, 0x00, 0xD8, b'b', 0],
            &limits,
        )
        .unwrap_err();
        assert!(
            matches!(
                e,
                TabularError::Encoding {
                    line: 2,
                    offset: 6,
                    ..
                }
            ),
            "{e:?}"
        );
        let small = Limits {
            max_file_bytes: 4,
            ..Limits::default()
        };
        assert_eq!(
            decode_csv(b"a,b,c\n", &small).unwrap_err(),
            TabularError::FileTooLarge { size: 6, limit: 4 }
        );
    }

    #[test]
    fn blank_and_comma_rows_keep_the_rows_after_them_in_place() {
        let got = rows("a,b,c\n1,2,3\n\n,,\n , ,\n4,\"x\ny\",6\n7,,\n,,\n\n");
        assert_eq!(
            got,
            vec![
                r(&["a", "b", "c"]),
                r(&["1", "2", "3"]),
                vec![],
                vec![],
                vec![],
                r(&["4", "x\ny", "6"]),
                r(&["7"]),
            ]
        );
        // CRLF line ends and a blank line at the very start.
        assert_eq!(
            rows("\r\na,b\r\n\r\n1,2\r\n"),
            vec![vec![], r(&["a", "b"]), vec![], r(&["1", "2"])]
        );
        // Rendered again, the n-th record is row n.
        let sheet = read_csv("a,b,c\n\n,,,,\n1,2,3\n", &Limits::default()).unwrap();
        assert_eq!(sheet.to_csv(), "a,b,c\n,,\n,,\n1,2,3\n");
    }

    #[test]
    fn csv_budgets_hold() {
        let limits = Limits {
            max_cell_chars: 5,
            ..Limits::default()
        };
        let e = read_csv("a,b\n1,一二三四五六七\n", &limits).unwrap_err();
        assert_eq!(
            e.to_string(),
            "CSV 第 2 行第 2 列（B 列）超过 5 个字符的上限，拒绝读取（开头为「一二三四五六七」）"
        );
        // The message repeats a hundred characters of a huge cell, not all of it.
        let huge = format!("a\n{}\n", "长".repeat(100_000));
        let e = read_csv(&huge, &Limits::default()).unwrap_err();
        assert_eq!(e.kind(), "cell_too_long");
        assert!(e.to_string().chars().count() < 200, "{e}");
        let few = Limits {
            max_cells: 6,
            ..Limits::default()
        };
        assert!(read_csv("a,b\n1,2\n3,4\n", &few).is_ok());
        assert_eq!(
            read_csv("a,b\n1,2\n\n3,4\n", &few).unwrap_err().kind(),
            "csv_too_large"
        );
        // Trailing blank lines cost nothing.
        assert!(read_csv("a,b\n1,2\n3,4\n\n\n\n\n", &few).is_ok());
        let short = Limits {
            max_text_bytes: 8,
            ..Limits::default()
        };
        assert_eq!(
            read_csv("ab,cd\n12,34\n56,78\n", &short)
                .unwrap_err()
                .kind(),
            "csv_too_large"
        );
        let rows3 = Limits {
            max_rows: 3,
            ..Limits::default()
        };
        assert!(read_csv("a\n1\n2\n", &rows3).is_ok());
        assert_eq!(
            read_csv("a\n1\n2\n3\n", &rows3).unwrap_err().kind(),
            "csv_too_large"
        );
    }
}
