//! The HJ 212 Appendix A CRC and the Modbus variants seen in the field.

use serde::{Deserialize, Serialize};

/// The reflected 0xA001 table; both Appendix A and CRC-16/MODBUS are built on it.
const TABLE: [u16; 256] = build_table();

const fn build_table() -> [u16; 256] {
    let mut table = [0u16; 256];
    let mut i = 0;
    while i < 256 {
        let mut reg = i as u16;
        let mut bit = 0;
        while bit < 8 {
            let lsb = reg & 1;
            reg >>= 1;
            if lsb != 0 {
                reg ^= 0xA001;
            }
            bit += 1;
        }
        table[i] = reg;
        i += 1;
    }
    table
}

/// Powers of the high-byte step map: `HIGH[k][x]` is `x` pushed through `k + 1` steps of
/// `x -> TABLE[x] >> 8`.
const HIGH: [[u8; 256]; 8] = build_high();

const fn build_high() -> [[u8; 256]; 8] {
    let mut high = [[0u8; 256]; 8];
    let mut x = 0;
    while x < 256 {
        high[0][x] = (TABLE[x] >> 8) as u8;
        x += 1;
    }
    let mut k = 1;
    while k < 8 {
        let mut x = 0;
        while x < 256 {
            high[k][x] = high[0][high[k - 1][x] as usize];
            x += 1;
        }
        k += 1;
    }
    high
}

/// The HJ 212 Appendix A CRC ("ANSI CRC16") over the data-segment bytes.
///
/// Step 2 of the algorithm discards the register's low byte, so each step is
/// `reg = T[(reg >> 8) ^ byte]` and only the high byte `s` carries state:
/// `s' = H[s ^ byte]` with `H = T >> 8`. `T` is GF(2)-linear, hence so is `H`, and
/// eight steps unroll to `H⁸[s ^ b0] ^ H⁷[b1] ^ … ^ H¹[b7]`: one dependent lookup per
/// 8 bytes instead of one per byte. The last byte goes through the full 16-bit table.
#[must_use]
pub fn hj212_crc(data: &[u8]) -> u16 {
    let Some((&last, body)) = data.split_last() else {
        return 0xFFFF;
    };
    let h = &HIGH;
    let mut s: u8 = 0xFF;
    let mut chunks = body.chunks_exact(8);
    for c in &mut chunks {
        s = h[7][usize::from(s ^ c[0])]
            ^ h[6][usize::from(c[1])]
            ^ h[5][usize::from(c[2])]
            ^ h[4][usize::from(c[3])]
            ^ h[3][usize::from(c[4])]
            ^ h[2][usize::from(c[5])]
            ^ h[1][usize::from(c[6])]
            ^ h[0][usize::from(c[7])];
    }
    for &b in chunks.remainder() {
        s = h[0][usize::from(s ^ b)];
    }
    TABLE[usize::from(s ^ last)]
}

/// CRC-16/MODBUS over the data-segment bytes (used by a minority of real devices).
#[must_use]
pub fn modbus_crc(data: &[u8]) -> u16 {
    let mut reg: u16 = 0xFFFF;
    for &b in data {
        reg = (reg >> 8) ^ TABLE[usize::from(reg as u8 ^ b)];
    }
    reg
}

/// Which CRC algorithm a frame's checksum matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CrcVariant {
    /// HJ 212 Appendix A, the only algorithm the standard allows.
    #[default]
    Hj212,
    /// CRC-16/MODBUS printed high byte first.
    Modbus,
    /// CRC-16/MODBUS with its two bytes swapped.
    ModbusSwapped,
}

impl CrcVariant {
    /// The stable name used in JSON output (`hj212`, `modbus`, `modbus_swapped`).
    #[must_use]
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Hj212 => "hj212",
            Self::Modbus => "modbus",
            Self::ModbusSwapped => "modbus_swapped",
        }
    }

    /// Computes this variant's checksum over `data`.
    #[must_use]
    pub fn compute(self, data: &[u8]) -> u16 {
        match self {
            Self::Hj212 => hj212_crc(data),
            Self::Modbus => modbus_crc(data),
            Self::ModbusSwapped => modbus_crc(data).swap_bytes(),
        }
    }
}

impl std::str::FromStr for CrcVariant {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "hj212" => Ok(Self::Hj212),
            "modbus" => Ok(Self::Modbus),
            "modbus_swapped" => Ok(Self::ModbusSwapped),
            other => Err(format!("unknown CRC variant `{other}`")),
        }
    }
}

/// Which CRC variants a device is allowed to use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum CrcPolicy {
    /// Accept only the Appendix A CRC.
    #[default]
    Strict,
    /// Also accept plain and byte-swapped CRC-16/MODBUS, reporting which one matched.
    Field,
}

impl std::str::FromStr for CrcPolicy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "strict" => Ok(Self::Strict),
            "field" => Ok(Self::Field),
            other => Err(format!(
                "unknown CRC policy `{other}` (expected strict or field)"
            )),
        }
    }
}

/// Checks `found` against `data` under `policy`; returns the matching variant.
#[must_use]
pub fn check_crc(data: &[u8], found: u16, policy: CrcPolicy) -> Option<CrcVariant> {
    if hj212_crc(data) == found {
        return Some(CrcVariant::Hj212);
    }
    if policy == CrcPolicy::Field {
        let m = modbus_crc(data);
        if m == found {
            return Some(CrcVariant::Modbus);
        }
        if m.swap_bytes() == found {
            return Some(CrcVariant::ModbusSwapped);
        }
    }
    None
}

/// Parses 4 hex digits, upper or lower case.
#[must_use]
pub fn parse_hex4(b: &[u8]) -> Option<u16> {
    if b.len() != 4 {
        return None;
    }
    let mut v: u16 = 0;
    for &c in b {
        let d = match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            b'A'..=b'F' => c - b'A' + 10,
            _ => return None,
        };
        v = (v << 4) | u16::from(d);
    }
    Some(v)
}

/// Writes `v` as 4 upper-case hex digits.
pub fn write_hex4(out: &mut Vec<u8>, v: u16) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.extend_from_slice(&[
        HEX[usize::from(v >> 12)],
        HEX[usize::from((v >> 8) & 0xF)],
        HEX[usize::from((v >> 4) & 0xF)],
        HEX[usize::from(v & 0xF)],
    ]);
}

#[cfg(test)]
mod tests {
    use super::*;

    const VECTOR: &[u8] = b"QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&";

    fn bitwise_reference(data: &[u8]) -> u16 {
        let mut reg: u16 = 0xFFFF;
        for &b in data {
            reg = (reg >> 8) ^ u16::from(b);
            for _ in 0..8 {
                let lsb = reg & 1;
                reg >>= 1;
                if lsb != 0 {
                    reg ^= 0xA001;
                }
            }
        }
        reg
    }

    #[test]
    fn empty_and_single_byte() {
        assert_eq!(hj212_crc(b""), bitwise_reference(b""));
        for b in 0..=255u8 {
            assert_eq!(hj212_crc(&[b]), bitwise_reference(&[b]));
        }
    }

    #[test]
    fn appendix_a_vector_is_1c80() {
        assert_eq!(VECTOR.len(), 101);
        assert_eq!(hj212_crc(VECTOR), 0x1C80);
    }

    #[test]
    fn modbus_differs_on_vector() {
        assert_eq!(modbus_crc(VECTOR), 0x0759);
        assert_eq!(modbus_crc(b"123456789"), 0x4B37);
    }

    #[test]
    fn table_form_matches_bitwise_reference() {
        let mut data = Vec::new();
        for i in 0..600u32 {
            data.push((i.wrapping_mul(2_654_435_761) >> 13) as u8);
            assert_eq!(hj212_crc(&data), bitwise_reference(&data));
        }
    }

    #[test]
    fn low_byte_is_restricted() {
        let mut data = Vec::new();
        for i in 0..2000u32 {
            data.push((i.wrapping_mul(40_503) >> 3) as u8);
            let lo = hj212_crc(&data) & 0xFF;
            assert!([0x00, 0x01, 0x40, 0x41, 0x80, 0x81, 0xC0, 0xC1].contains(&lo));
        }
    }

    #[test]
    fn policy_reports_variant() {
        let m = modbus_crc(VECTOR);
        assert_eq!(
            check_crc(VECTOR, 0x1C80, CrcPolicy::Strict),
            Some(CrcVariant::Hj212)
        );
        assert_eq!(check_crc(VECTOR, m, CrcPolicy::Strict), None);
        assert_eq!(
            check_crc(VECTOR, m, CrcPolicy::Field),
            Some(CrcVariant::Modbus)
        );
        assert_eq!(
            check_crc(VECTOR, m.swap_bytes(), CrcPolicy::Field),
            Some(CrcVariant::ModbusSwapped)
        );
        assert_eq!(check_crc(VECTOR, 0x1C08, CrcPolicy::Field), None);
    }

    #[test]
    fn hex_roundtrip_and_case() {
        assert_eq!(parse_hex4(b"1dc0"), Some(0x1DC0));
        assert_eq!(parse_hex4(b"1DC0"), Some(0x1DC0));
        assert_eq!(parse_hex4(b"1DCG"), None);
        assert_eq!(parse_hex4(b"1DC"), None);
        let mut out = Vec::new();
        write_hex4(&mut out, 0x0a1f);
        assert_eq!(out, b"0A1F");
    }
}
