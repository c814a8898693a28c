//! What the platform must answer to a received packet.

use crate::codes::is_upload;
use crate::encode::{PacketBuilder, reply_9013, reply_9014};
use crate::error::DecodeError;
use crate::packet::{Packet, Version};

/// Options for [`reply_for_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReplyPolicy {
    /// Also acknowledge 2005 uploads that carry no Flag (the standard requires nothing;
    /// some 2005 loggers expect a 2005-style 9014 anyway).
    pub ack_2005_without_flag: bool,
}

/// The frames the platform must send in answer to `packet`, in order.
///
/// - every upload (2011, 2021, 2031, 2041, 2051, 2061, 2081, other 2xxx data, and the
///   3015/3019/3020 uploads) with A = 1 gets a 9014, each split segment too;
/// - 1013 (time-calibration request) gets a 9013, then a 1012 setting the time to `now_qn`;
/// - under 2025, 1001 and 1014 get a 9013, and the 9015 heartbeat gets one when A = 1;
/// - replies (9011–9014) and anything else get nothing.
///
/// A frame with a bad CRC never becomes a [`Packet`], so it gets nothing either.
/// `now_qn` is the platform's current time as a QN (`YYYYMMDDhhmmsszzz`); it becomes the
/// QN of the 1012 request and its first 14 digits the `SystemTime`. Replies use the
/// packet's CRC variant, so a device on the Modbus variant can check them.
pub fn reply_for(packet: &Packet, now_qn: &str) -> Result<Vec<Packet>, DecodeError> {
    reply_for_with(packet, now_qn, &ReplyPolicy::default())
}

/// [`reply_for`] with explicit options.
pub fn reply_for_with(
    packet: &Packet,
    now_qn: &str,
    policy: &ReplyPolicy,
) -> Result<Vec<Packet>, DecodeError> {
    let Some(cn) = packet.cn_code() else {
        return Ok(Vec::new());
    };
    let ack = packet.ack_requested()
        || (policy.ack_2005_without_flag && packet.flag().is_none() && is_upload(cn));
    let mut out = Vec::new();
    match cn {
        1013 => {
            out.push(reply_9013(packet)?);
            out.push(set_time_for(packet, now_qn)?);
        }
        1001 | 1014 if packet.version() == Version::V2025 => out.push(reply_9013(packet)?),
        9015 if packet.version() == Version::V2025 && ack => out.push(reply_9013(packet)?),
        _ if is_upload(cn) && ack => out.push(reply_9014(packet)?),
        _ => {}
    }
    Ok(out)
}

fn set_time_for(packet: &Packet, now_qn: &str) -> Result<Packet, DecodeError> {
    let digits = now_qn.as_bytes();
    if digits.len() < 14 || !digits[..14].iter().all(u8::is_ascii_digit) {
        return Err(DecodeError::Syntax {
            offset: 0,
            message: format!("now_qn `{now_qn}` does not start with YYYYMMDDhhmmss"),
        });
    }
    let mut b = PacketBuilder::new("1012").qn(now_qn);
    if let Some(st) = packet.st() {
        b = b.st(st);
    }
    if let Some(pw) = packet.pw() {
        b = b.pw(pw);
    }
    if let Some(mn) = packet.mn() {
        b = b.mn(mn);
    }
    b = b
        .flag((packet.version().bits() << 2) | 1)
        .crc_variant(packet.crc_variant());
    if let Some(pol) = packet.param("PolId") {
        b = b.item("PolId", pol);
    }
    b.item("SystemTime", &now_qn[..14]).build()
}

/// Formats a QN (`YYYYMMDDhhmmsszzz`) from Unix milliseconds and a UTC offset in seconds
/// (China Standard Time is `8 * 3600`).
#[must_use]
pub fn qn_from_unix_millis(unix_ms: i64, utc_offset_secs: i32) -> String {
    let ms = unix_ms + i64::from(utc_offset_secs) * 1000;
    let days = ms.div_euclid(86_400_000);
    let rem = ms.rem_euclid(86_400_000);
    let (h, m, s, z) = (
        rem / 3_600_000,
        rem / 60_000 % 60,
        rem / 1000 % 60,
        rem % 1000,
    );
    // Civil-from-days (Howard Hinnant's algorithm), valid for the proleptic Gregorian calendar.
    let zd = days + 719_468;
    let era = zd.div_euclid(146_097);
    let doe = zd.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(mo <= 2);
    format!("{y:04}{mo:02}{d:02}{h:02}{m:02}{s:02}{z:03}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn qn_formatting() {
        assert_eq!(qn_from_unix_millis(0, 0), "19700101000000000");
        // 2016-08-01 00:58:57.223 UTC = 08:58:57.223 in China.
        assert_eq!(
            qn_from_unix_millis(1_470_013_137_223, 8 * 3600),
            "20160801085857223"
        );
        assert_eq!(qn_from_unix_millis(951_782_400_000, 0), "20000229000000000");
    }
}
