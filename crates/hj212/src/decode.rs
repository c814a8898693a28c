//! Frame decoding: one complete frame, or a byte stream of many.

use crate::crc::{CrcPolicy, check_crc, parse_hex4};
use crate::error::DecodeError;
use crate::packet::{LengthCount, MAX_DATA_LEN, Packet};

/// Everything before the data segment: `##` plus 4 length digits.
const HEAD: usize = 6;

fn length_field(b: &[u8]) -> Option<usize> {
    let d = b.get(2..HEAD)?;
    if !d.iter().all(u8::is_ascii_digit) {
        return None;
    }
    Some(
        d.iter()
            .fold(0usize, |n, &c| n * 10 + usize::from(c - b'0')),
    )
}

/// Decides how the declared length relates to the data, per the documented policy:
/// the UTF-8 byte count is the standard reading; the character count is accepted
/// too (recorded as [`LengthCount::Chars`]) because some senders count characters
/// when the data holds Chinese text. Anything else is `length_mismatch`.
fn length_reading(declared: usize, data: &[u8]) -> Option<LengthCount> {
    if declared == data.len() {
        return Some(LengthCount::Bytes);
    }
    let text = std::str::from_utf8(data).ok()?;
    (declared == text.chars().count()).then_some(LengthCount::Chars)
}

/// Checks CRC and length, then parses. `frame` starts at `##`; `data_end` is where the CRC starts.
fn finish_frame(
    frame: &[u8],
    declared: usize,
    data_end: usize,
    policy: CrcPolicy,
) -> Result<Packet, DecodeError> {
    let data = &frame[HEAD..data_end];
    if data.len() > MAX_DATA_LEN {
        return Err(DecodeError::TooLong {
            offset: HEAD as u64,
            message: format!(
                "data segment of {} bytes exceeds {MAX_DATA_LEN}",
                data.len()
            ),
        });
    }
    let Some(count) = length_reading(declared, data) else {
        return Err(DecodeError::LengthMismatch {
            offset: 2,
            message: format!(
                "declared length {declared:04} but the data segment has {} bytes",
                data.len()
            ),
        });
    };
    let crc_text = &frame[data_end..data_end + 4];
    let Some(found) = parse_hex4(crc_text) else {
        return Err(DecodeError::CrcMismatch {
            offset: data_end as u64,
            message: format!(
                "CRC field `{}` is not 4 hex digits",
                String::from_utf8_lossy(crc_text)
            ),
        });
    };
    let Some(variant) = check_crc(data, found, policy) else {
        return Err(DecodeError::CrcMismatch {
            offset: data_end as u64,
            message: format!(
                "frame carries {found:04X} but the Appendix A CRC is {:04X}{}",
                crate::crc::hj212_crc(data),
                if policy == CrcPolicy::Field {
                    " (and neither Modbus variant matches)"
                } else {
                    ""
                }
            ),
        });
    };
    let text = match std::str::from_utf8(data) {
        Ok(t) => t.to_owned(),
        Err(e) => {
            return Err(DecodeError::Syntax {
                offset: (HEAD + e.valid_up_to()) as u64,
                message: "data segment is not valid UTF-8".into(),
            });
        }
    };
    Packet::parse(text, variant, count).map_err(|e| e.shifted(HEAD as u64))
}

/// Decodes one complete frame (`##` … CRC, then CR LF, a bare LF, or nothing).
///
/// Error offsets count from the frame's first byte.
pub fn decode_frame(frame: &[u8], policy: CrcPolicy) -> Result<Packet, DecodeError> {
    if !frame.starts_with(b"##") {
        return Err(DecodeError::BadHeader {
            offset: 0,
            message: "frame does not start with `##`".into(),
        });
    }
    let Some(declared) = length_field(frame) else {
        return Err(DecodeError::BadLength {
            offset: 2,
            message: "length field is not 4 decimal digits".into(),
        });
    };
    let body = frame
        .strip_suffix(b"\r\n")
        .or_else(|| frame.strip_suffix(b"\n"))
        .unwrap_or(frame);
    // Where the CRC starts under the byte reading and under the character reading.
    let byte_end = HEAD + declared;
    if body.len() == byte_end + 4 {
        return finish_frame(body, declared, byte_end, policy);
    }
    let char_end = body
        .get(HEAD..)
        .and_then(|d| {
            let valid = std::str::from_utf8(d).map_or_else(|e| &d[..e.valid_up_to()], |_| d);
            let text = std::str::from_utf8(valid).ok()?;
            text.char_indices().nth(declared).map(|(i, _)| HEAD + i)
        })
        .unwrap_or(byte_end);
    for end in [byte_end, char_end] {
        if body.len() > end + 4
            && body[HEAD..end].ends_with(b"&&")
            && parse_hex4(&body[end..end + 4]).is_some()
        {
            return Err(DecodeError::BadTrailer {
                offset: (end + 4) as u64,
                message: "unexpected bytes after the CRC (expected CR LF, LF or nothing)".into(),
            });
        }
    }
    if body.len() < HEAD + 4 {
        return Err(DecodeError::LengthMismatch {
            offset: 2,
            message: format!("declared length {declared:04} but the frame is too short"),
        });
    }
    finish_frame(body, declared, body.len() - 4, policy)
}

/// What the stream decoder found next.
#[derive(Debug, Clone, PartialEq)]
pub enum StreamEvent {
    /// A frame that decoded and passed the CRC policy.
    Packet(Packet),
    /// A frame that was delimited but rejected; `frame` holds its bytes for quarantine.
    Rejected {
        /// Why it was rejected (offset is absolute in the stream).
        error: DecodeError,
        /// The rejected bytes (at most the `##` and length field when the frame could not be delimited).
        frame: Vec<u8>,
    },
    /// Bytes outside any frame that were skipped to reach the next `##`.
    Skipped {
        /// Absolute stream offset of the first skipped byte.
        offset: u64,
        /// Number of bytes skipped.
        len: usize,
    },
}

/// An incremental decoder over a TCP byte stream.
///
/// Feed bytes with [`push`](Self::push) and drain events with
/// [`next_event`](Self::next_event) (or iterate) until it returns `None`.
/// Frames may be split across reads or packed several to a read; garbage is
/// skipped to the next `##` and reported. Buffered memory stays below the
/// largest frame plus the last read, whatever the input.
#[derive(Debug)]
pub struct StreamDecoder {
    buf: Vec<u8>,
    pos: usize,
    /// Absolute stream offset of `buf[0]`.
    base: u64,
    policy: CrcPolicy,
    max_data_len: usize,
    /// A frame ended right at the end of the buffer; swallow a CR LF / LF that follows.
    eat_trailer: bool,
    /// How far (relative to the current frame start) the fallback scan found nothing.
    scanned: usize,
    eof: bool,
}

impl StreamDecoder {
    /// A decoder with the given CRC policy and the 9999-byte length guard.
    #[must_use]
    pub fn new(policy: CrcPolicy) -> Self {
        Self::with_max_len(policy, MAX_DATA_LEN)
    }

    /// A decoder that rejects data segments longer than `max_data_len` (capped at 9999) as `too_long`.
    #[must_use]
    pub fn with_max_len(policy: CrcPolicy, max_data_len: usize) -> Self {
        Self {
            buf: Vec::with_capacity(4096),
            pos: 0,
            base: 0,
            policy,
            max_data_len: max_data_len.min(MAX_DATA_LEN),
            eat_trailer: false,
            scanned: 0,
            eof: false,
        }
    }

    /// Appends bytes read from the connection.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
        self.eof = false;
    }

    /// Marks the end of the stream: a frame without a trailer at the very end is
    /// then accepted, and an incomplete one is rejected.
    pub fn finish(&mut self) {
        self.eof = true;
    }

    /// Bytes buffered but not yet consumed.
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len() - self.pos
    }

    /// The last `len` bytes consumed (fewer if fewer are still buffered): right after a
    /// [`StreamEvent::Skipped`] of `len` bytes, those bytes. They stay buffered until the
    /// next [`push`](Self::push), so a caller can keep them as evidence without a copy of
    /// its own.
    #[must_use]
    pub fn consumed_tail(&self, len: usize) -> &[u8] {
        &self.buf[self.pos.saturating_sub(len)..self.pos]
    }

    /// Absolute stream offset of the next unconsumed byte.
    #[must_use]
    pub fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    fn reject(&mut self, error: DecodeError, consumed: usize) -> StreamEvent {
        let frame = self.buf[self.pos..self.pos + consumed].to_vec();
        let error = error.shifted(self.offset());
        self.advance(consumed);
        StreamEvent::Rejected { error, frame }
    }

    fn advance(&mut self, n: usize) {
        self.pos += n;
        self.scanned = 0;
    }

    /// Consumes a frame of `crc_end` bytes plus whatever trailer follows.
    fn take_frame(&mut self, declared: usize, data_end: usize) -> StreamEvent {
        let start = self.pos;
        let crc_end = data_end + 4;
        let rest = &self.buf[start + crc_end..];
        let trailer = if rest.starts_with(b"\r\n") {
            2
        } else if rest.starts_with(b"\n") || rest == b"\r" {
            // A lone CR at the end of the buffer: its LF may come in the next read.
            self.eat_trailer = rest == b"\r";
            1
        } else {
            self.eat_trailer = rest.is_empty();
            0
        };
        let result = finish_frame(
            &self.buf[start..start + crc_end],
            declared,
            data_end,
            self.policy,
        );
        match result {
            Ok(p) => {
                self.advance(crc_end + trailer);
                StreamEvent::Packet(p)
            }
            Err(e) => self.reject(e, crc_end + trailer),
        }
    }

    /// The next event, or `None` when more bytes are needed.
    pub fn next_event(&mut self) -> Option<StreamEvent> {
        if self.eat_trailer {
            let rest = &self.buf[self.pos..];
            if rest.starts_with(b"\r\n") {
                self.advance(2);
                self.eat_trailer = false;
            } else if rest.starts_with(b"\n") {
                self.advance(1);
                self.eat_trailer = false;
            } else if rest == b"\r" && !self.eof {
                return None;
            } else if !rest.is_empty() {
                if rest.starts_with(b"\r") {
                    self.advance(1);
                }
                self.eat_trailer = false;
            }
        }
        let avail = &self.buf[self.pos..];
        if avail.is_empty() {
            return None;
        }
        // Resynchronise on `##`.
        let Some(start) = avail.windows(2).position(|w| w == b"##") else {
            // A trailing `#` may be the first half of the next header.
            let keep = usize::from(avail.ends_with(b"#") && !self.eof);
            let len = avail.len() - keep;
            if len == 0 {
                return None;
            }
            let offset = self.offset();
            self.advance(len);
            return Some(StreamEvent::Skipped { offset, len });
        };
        if start > 0 {
            let offset = self.offset();
            self.advance(start);
            return Some(StreamEvent::Skipped { offset, len: start });
        }
        if avail.len() < HEAD {
            if self.eof {
                let n = avail.len();
                return Some(self.reject(
                    DecodeError::BadLength {
                        offset: 2,
                        message: "stream ended inside the length field".into(),
                    },
                    n,
                ));
            }
            return None;
        }
        let Some(declared) = length_field(avail) else {
            return Some(self.reject(
                DecodeError::BadLength {
                    offset: 2,
                    message: "length field is not 4 decimal digits".into(),
                },
                2,
            ));
        };
        if declared > self.max_data_len {
            return Some(self.reject(
                DecodeError::TooLong {
                    offset: 2,
                    message: format!(
                        "declared length {declared:04} exceeds the limit of {}",
                        self.max_data_len
                    ),
                },
                2,
            ));
        }
        let crc_at = HEAD + declared;
        if avail.len() >= crc_at + 4 {
            let data_closed = avail[..crc_at].ends_with(b"&&");
            let next = avail.get(crc_at + 4).copied();
            let next_ok = match next {
                None => true,
                Some(b) => matches!(b, b'\r' | b'\n' | b'#'),
            };
            if parse_hex4(&avail[crc_at..crc_at + 4]).is_some() && (data_closed || next_ok) {
                return Some(self.take_frame(declared, crc_at));
            }
        }
        // The declared length does not land on a CRC: look for `&&` + 4 hex + terminator.
        match self.scan_terminator() {
            Scan::End(data_end) => return Some(self.take_frame(declared, data_end)),
            Scan::NextHeader(at) => {
                return Some(self.reject(
                    DecodeError::LengthMismatch {
                        offset: 2,
                        message: format!(
                            "declared length {declared:04} does not end at a CRC and another frame starts at byte {at}"
                        ),
                    },
                    at,
                ));
            }
            Scan::NotYet => {}
        }
        let avail = self.buf.len() - self.pos;
        if avail >= HEAD + self.max_data_len + 6 {
            return Some(self.reject(
                DecodeError::TooLong {
                    offset: HEAD as u64,
                    message: format!(
                        "no frame end within {} bytes of the header",
                        self.max_data_len + 6
                    ),
                },
                2,
            ));
        }
        if self.eof {
            if avail >= crc_at + 4 {
                return Some(self.reject(
                    DecodeError::LengthMismatch {
                        offset: 2,
                        message: format!(
                            "declared length {declared:04} does not end at a CRC and no frame end was found"
                        ),
                    },
                    2,
                ));
            }
            return Some(self.reject(
                DecodeError::LengthMismatch {
                    offset: 2,
                    message: format!(
                        "stream ended after {} of {} declared data bytes",
                        avail.saturating_sub(HEAD),
                        declared
                    ),
                },
                avail,
            ));
        }
        None
    }

    /// Finds the data end (start of the CRC) of the frame at `pos` via `&&HHHH` followed
    /// by CR, LF, `##` (or the end of the stream after [`finish`](Self::finish)). A `##`
    /// met first means this frame is broken and the next one starts there.
    fn scan_terminator(&mut self) -> Scan {
        let avail = &self.buf[self.pos..];
        let limit = avail.len().min(HEAD + self.max_data_len + 6);
        let mut i = self.scanned.max(HEAD);
        while i + 6 <= limit {
            // Only `##` + four digits starts a frame: log text (`//…##…//`) may contain `##`.
            if looks_like_header(&avail[i..]) {
                return Scan::NextHeader(i);
            }
            if avail[i] == b'&'
                && avail[i + 1] == b'&'
                && parse_hex4(&avail[i + 2..i + 6]).is_some()
            {
                let after = &avail[i + 6..];
                let terminated = after.starts_with(b"\r")
                    || after.starts_with(b"\n")
                    || looks_like_header(after)
                    || (after.is_empty() && self.eof);
                if terminated {
                    return Scan::End(i + 2);
                }
            }
            i += 1;
        }
        if self.eof && i + 1 < limit && avail[i] == b'#' && avail[i + 1] == b'#' {
            return Scan::NextHeader(i);
        }
        // Re-examine the last few bytes next time: the pattern may straddle reads.
        self.scanned = limit.saturating_sub(7);
        Scan::NotYet
    }
}

/// `##` followed by a four-digit length: the start of a frame.
fn looks_like_header(b: &[u8]) -> bool {
    b.len() >= HEAD && b.starts_with(b"##") && b[2..HEAD].iter().all(u8::is_ascii_digit)
}

/// Result of the fallback search for a frame's end.
enum Scan {
    /// The CRC starts here.
    End(usize),
    /// No end found before the next `##` at this offset.
    NextHeader(usize),
    /// Need more bytes.
    NotYet,
}

impl Iterator for StreamDecoder {
    type Item = StreamEvent;
    fn next(&mut self) -> Option<StreamEvent> {
        self.next_event()
    }
}

/// Decodes one line of a frame-per-line file: the CLI's `decode` input format.
///
/// Leading and trailing whitespace around the frame is ignored.
pub fn decode_line(line: &[u8], policy: CrcPolicy) -> Result<Packet, DecodeError> {
    let start = line
        .iter()
        .position(|b| !b.is_ascii_whitespace())
        .unwrap_or(line.len());
    let end = line
        .iter()
        .rposition(|b| !b.is_ascii_whitespace())
        .map_or(start, |p| p + 1);
    decode_frame(&line[start..end.max(start)], policy).map_err(|e| e.shifted(start as u64))
}
