//! The HJ 212 pollution-source data transmission protocol (2005, 2017, 2025): frames in, typed packets out, and back.
//!
//! Pure: no I/O. Bytes go in through [`StreamDecoder`] (a TCP byte stream) or
//! [`decode_frame`] (one frame); typed [`Packet`]s come out; [`Packet::encode`],
//! [`request`], the `reply_90xx` functions and [`reply_for`] produce the bytes the
//! platform sends back.
//!
//! ```
//! use qingshan_hj212::{CrcPolicy, StreamDecoder, StreamEvent, reply_for};
//!
//! let mut dec = StreamDecoder::new(CrcPolicy::Strict);
//! dec.push(b"noise##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;");
//! dec.push(b"MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n");
//! let mut packets = Vec::new();
//! for event in &mut dec {
//!     match event {
//!         StreamEvent::Packet(p) => packets.push(p),
//!         StreamEvent::Skipped { offset, len } => assert_eq!((offset, len), (0, 5)),
//!         StreamEvent::Rejected { error, .. } => panic!("{error}"),
//!     }
//! }
//! assert_eq!(packets[0].param("RtdInterval"), Some("30"));
//! // 1062 is a request, not an upload: the platform owes no reply.
//! assert!(reply_for(&packets[0], "20160801085858000").unwrap().is_empty());
//! ```
//!
//! # Policies
//!
//! - **CRC**: [`CrcPolicy::Strict`] accepts only the Appendix A CRC; [`CrcPolicy::Field`]
//!   also accepts CRC-16/MODBUS, plain or byte-swapped, and [`Packet::crc_variant`] says
//!   which matched. Hex is compared case-insensitively; the encoder writes upper case
//!   in the packet's variant (Appendix A for packets built here).
//! - **Length**: the declared length is checked against the data segment's UTF-8 byte
//!   count. If it instead equals the *character* count (senders that count characters
//!   when the data holds Chinese text), the frame is accepted and recorded as
//!   [`LengthCount::Chars`], which the encoder then reproduces. Any other disagreement
//!   is `length_mismatch`. In a stream, a declared length that does not land on the CRC
//!   falls back to finding `&&` + 4 hex digits + CR/LF/`##`.
//! - **Versions**: never a reason to reject. No Flag or version bits 0 → 2005, 1 → 2017,
//!   2 (and unknown higher bits) → 2025; [`Packet::version_bits`] gives the raw bits.
//! - **Lenient header**: fields in any order, names case-insensitive, `;` or `,` between
//!   them, stray spaces ignored; QN, Flag, PNUM, PNO optional; only CN is required.
//!   PNUM/PNO placed inside CP are picked up. Unknown header fields are kept
//!   ([`Packet::header_extras`]).
//! - **CP**: every item is kept in order, duplicates and unknown codes included; `//…//`
//!   log text is opaque; empty items (trailing `;`, `&& &&`) are skipped; a missing closing
//!   `&&` is tolerated ([`Packet::cp_closed`]). 2005 factor codes are mapped to 2017 codes
//!   by ST ([`map_2005_code`]).
//!
//! # Errors
//!
//! [`DecodeError`] has the stable kinds `bad_header`, `bad_length`, `length_mismatch`,
//! `crc_mismatch`, `bad_trailer`, `syntax` and `too_long`, each with a byte offset and a
//! message. A CRC field that is not 4 hex digits is a `crc_mismatch`.
//!
//! # JSON (`qingshan hj212 decode`)
//!
//! One object per input line. A decoded frame:
//!
//! ```json
//! {"ok":true,"version":"2017","qn":"20160801085857223","st":"32","cn":"2011","pw":"123456",
//!  "mn":"010000A8900016F000169DC0","flag":5,"ack_requested":true,"pnum":null,"pno":null,
//!  "crc_variant":"hj212","data_time":"20160801085857",
//!  "cp":{"params":{"DataTime":"20160801085857"},
//!        "factors":{"w01018":{"code_2017":null,
//!                             "fields":{"SampleTime":"20160801070000","Rtd":"2.2","Flag":"N","EFlag":"A01"}}},
//!        "items":[["DataTime","20160801085857"],["w01018-SampleTime","20160801070000"],
//!                 ["w01018-Rtd","2.2"],["w01018-Flag","N"],["w01018-EFlag","A01"]]}}
//! ```
//!
//! - `cp.params`: items whose key has no `-` (`DataTime`, `PolId`, `QnRtn`, a bare `Flag`), key → exact text.
//! - `cp.factors`: items `code-Field=value` grouped by the code before the first `-`, in order of
//!   first appearance. `code_2017` is the 2017 code when `code` is a 2005 code for the frame's ST
//!   (e.g. `011` → `w01018` under ST 32), else `null`. `fields` maps the field name (`Rtd`, `Min`,
//!   `Avg`, `Max`, `Cou`, `ZsRtd`…, `Flag`, `EFlag`, `SampleTime`, `Info`, `RS`, any vendor suffix)
//!   to the value's exact text. Values are always strings so `1.230` stays `1.230`.
//! - In `params` and `fields` a repeated key keeps its first value; `cp.items` lists every item
//!   (`[key, value]`) in frame order, duplicates included. When the separator before an item
//!   is not the standard one (`,` within a factor, `;` between), the entry carries it as a
//!   third element (`["e01001-Rtd","2.2",";"]`) so `encode` reproduces the frame.
//! - `header_extra` (`[[key, value], …]`) appears only when the header had unknown fields, and
//!   `length_count: "chars"` only when the declared length counted characters.
//!
//! A rejected frame: `{"ok":false,"error":"crc_mismatch","offset":107,"message":"…"}`.
//! `encode` takes the same object (see [`json::packet_from_json`]).

mod codes;
mod crc;
mod decode;
mod encode;
mod error;
pub mod json;
mod packet;
mod reassembly;
mod reply;

pub use codes::{CodeFamily, cn_name, factor_name, family_for_st, is_upload, map_2005_code};
pub use crc::{CrcPolicy, CrcVariant, check_crc, hj212_crc, modbus_crc, parse_hex4};
pub use decode::{StreamDecoder, StreamEvent, decode_frame, decode_line};
pub use encode::{
    History, PacketBuilder, Request, Target, reply_9011, reply_9012, reply_9013, reply_9014,
    request,
};
pub use error::DecodeError;
pub use packet::{CpItem, Factor, FieldKind, LengthCount, MAX_DATA_LEN, Packet, Value, Version};
pub use reassembly::{Assembled, Incomplete, Offer, Reassembler, SplitKey};
pub use reply::{ReplyPolicy, qn_from_unix_millis, reply_for, reply_for_with};
