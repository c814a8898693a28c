//! Removing what a photo says beyond its picture before it is kept (《个人信息保护法》 Art. 28:
//! a location track is sensitive data). A JPEG loses its APP1 segments (Exif, with the GPS
//! position, and XMP), APP13 (Photoshop/IPTC) and comments; a PNG its eXIf, text and time
//! chunks. Everything else is copied byte for byte, so the picture is unchanged. What was
//! removed, with the GPS position if the Exif block held one, is returned for the staff who
//! handle the case.
//!
//! The parser walks segment lengths only; it never trusts a length past the end of the input
//! and never allocates more than the input's size (property-tested below).

use std::fmt::Write as _;

/// A photo without its metadata, and what was taken out.
#[derive(Debug, Clone, PartialEq)]
pub struct Stripped {
    /// The cleaned file.
    pub bytes: Vec<u8>,
    /// What was removed, in words (e.g. `APP1 Exif（1234 字节）`).
    pub removed: Vec<String>,
    /// The GPS position the Exif block held: (latitude, longitude), degrees, south and west
    /// negative.
    pub gps: Option<(f64, f64)>,
}

impl Stripped {
    /// What handling staff see about the original's metadata.
    pub fn summary(&self) -> String {
        let mut s = if self.removed.is_empty() {
            "原文件不含元数据".to_string()
        } else {
            format!("已去除：{}", self.removed.join("、"))
        };
        if let Some((lat, lon)) = self.gps {
            let _ = write!(s, "；原照片记录的拍摄位置：北纬 {lat:.6}，东经 {lon:.6}");
        }
        s
    }
}

/// Strips a JPEG. Refuses (with a Chinese reason) a file whose segment structure is broken
/// before the image data starts.
pub fn strip_jpeg(b: &[u8]) -> Result<Stripped, String> {
    if !b.starts_with(&[0xFF, 0xD8]) {
        return Err("不是 JPEG 图像".into());
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(&[0xFF, 0xD8]);
    let mut removed = Vec::new();
    let mut gps = None;
    let mut i = 2;
    let mut seen_scan = false;
    loop {
        // Fill bytes (0xFF) may precede a marker.
        while i + 1 < b.len() && b[i] == 0xFF && b[i + 1] == 0xFF {
            i += 1;
        }
        if i >= b.len() {
            if seen_scan {
                // Image data without an end marker: keep what there is.
                break;
            }
            return Err("JPEG 文件不完整（图像数据之前就结束了）".into());
        }
        if b[i] != 0xFF || i + 1 >= b.len() {
            return Err(format!("JPEG 文件结构损坏（第 {i} 字节处应为段标记）"));
        }
        let m = b[i + 1];
        i += 2;
        match m {
            0xD9 => {
                out.extend_from_slice(&[0xFF, 0xD9]);
                break;
            }
            0xD0..=0xD7 | 0x01 => {
                out.extend_from_slice(&[0xFF, m]);
                continue;
            }
            _ => {}
        }
        if i + 2 > b.len() {
            return Err("JPEG 文件不完整（段长度缺失）".into());
        }
        let len = usize::from(u16::from_be_bytes([b[i], b[i + 1]]));
        if len < 2 || i + len > b.len() {
            return Err("JPEG 文件结构损坏（段长度超出文件）".into());
        }
        let seg = &b[i..i + len];
        let body = &seg[2..];
        match m {
            0xE1 => {
                let what = if body.starts_with(b"Exif\0") {
                    if gps.is_none() {
                        gps = exif_gps(&body[body.len().min(6)..]);
                    }
                    "Exif"
                } else if body.starts_with(b"http://ns.adobe.com/") {
                    "XMP"
                } else {
                    "其他"
                };
                removed.push(format!("APP1 {what}（{} 字节）", len + 2));
            }
            0xED => removed.push(format!("APP13 Photoshop/IPTC（{} 字节）", len + 2)),
            0xFE => removed.push(format!("注释（{} 字节）", len + 2)),
            _ => {
                out.extend_from_slice(&[0xFF, m]);
                out.extend_from_slice(seg);
            }
        }
        i += len;
        if m == 0xDA {
            seen_scan = true;
            // Entropy-coded data runs to the next marker that is neither a stuffed 0xFF00 nor
            // a restart marker.
            let start = i;
            while i < b.len() {
                if b[i] == 0xFF && i + 1 < b.len() {
                    let n = b[i + 1];
                    if n == 0x00 || (0xD0..=0xD7).contains(&n) {
                        i += 2;
                        continue;
                    }
                    break;
                }
                i += 1;
            }
            out.extend_from_slice(&b[start..i]);
        }
    }
    Ok(Stripped {
        bytes: out,
        removed,
        gps,
    })
}

/// The chunks of a PNG that carry metadata rather than picture.
const PNG_DROPPED: [&[u8; 4]; 5] = [b"eXIf", b"tEXt", b"zTXt", b"iTXt", b"tIME"];

/// Strips a PNG (chunks are copied whole, so their CRCs stay right).
pub fn strip_png(b: &[u8]) -> Result<Stripped, String> {
    const SIG: &[u8] = b"\x89PNG\r\n\x1a\n";
    if !b.starts_with(SIG) {
        return Err("不是 PNG 图像".into());
    }
    let mut out = Vec::with_capacity(b.len());
    out.extend_from_slice(SIG);
    let mut removed = Vec::new();
    let mut gps = None;
    let mut i = SIG.len();
    loop {
        if i + 8 > b.len() {
            return Err("PNG 文件不完整（缺少 IEND）".into());
        }
        let len = u32::from_be_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]) as usize;
        let kind = &b[i + 4..i + 8];
        let end = i
            .checked_add(12)
            .and_then(|x| x.checked_add(len))
            .filter(|&e| e <= b.len())
            .ok_or_else(|| "PNG 文件结构损坏（数据块长度超出文件）".to_string())?;
        if PNG_DROPPED.iter().any(|d| d.as_slice() == kind) {
            if kind == b"eXIf" && gps.is_none() {
                gps = exif_gps(&b[i + 8..i + 8 + len]);
            }
            removed.push(format!(
                "{}（{} 字节）",
                String::from_utf8_lossy(kind),
                len + 12
            ));
        } else {
            out.extend_from_slice(&b[i..end]);
        }
        i = end;
        if kind == b"IEND" {
            break;
        }
    }
    Ok(Stripped {
        bytes: out,
        removed,
        gps,
    })
}

/// Reads the GPS position from a TIFF-structured Exif block (after the `Exif\0\0` prefix):
/// IFD0's GPS pointer (tag 0x8825), then GPSLatitudeRef/GPSLatitude/GPSLongitudeRef/
/// GPSLongitude (tags 1–4). `None` when any part is missing or out of range.
pub fn exif_gps(t: &[u8]) -> Option<(f64, f64)> {
    let le = match t.get(..2)? {
        b"II" => true,
        b"MM" => false,
        _ => return None,
    };
    let u16_at = |o: usize| -> Option<u16> {
        let s = t.get(o..o.checked_add(2)?)?;
        Some(if le {
            u16::from_le_bytes([s[0], s[1]])
        } else {
            u16::from_be_bytes([s[0], s[1]])
        })
    };
    let u32_at = |o: usize| -> Option<u32> {
        let s = t.get(o..o.checked_add(4)?)?;
        Some(if le {
            u32::from_le_bytes([s[0], s[1], s[2], s[3]])
        } else {
            u32::from_be_bytes([s[0], s[1], s[2], s[3]])
        })
    };
    // Entries of the IFD at `o`: (tag, type, count, value-or-offset position).
    let entries = |o: usize| -> Option<Vec<(u16, u16, u32, usize)>> {
        let n = usize::from(u16_at(o)?);
        let mut v = Vec::with_capacity(n.min(64));
        for k in 0..n.min(256) {
            let e = o + 2 + k * 12;
            v.push((u16_at(e)?, u16_at(e + 2)?, u32_at(e + 4)?, e + 8));
        }
        Some(v)
    };
    let ifd0 = entries(u32_at(4)? as usize)?;
    let &(_, _, _, p) = ifd0.iter().find(|e| e.0 == 0x8825)?;
    let gps = entries(u32_at(p)? as usize)?;
    let reference = |tag: u16| -> Option<u8> {
        let &(_, _, _, p) = gps.iter().find(|e| e.0 == tag)?;
        t.get(p).copied()
    };
    let degrees = |tag: u16| -> Option<f64> {
        let &(_, ty, count, p) = gps.iter().find(|e| e.0 == tag)?;
        if ty != 5 || count != 3 {
            return None;
        }
        let o = u32_at(p)? as usize;
        let mut parts = [0.0f64; 3];
        for (k, part) in parts.iter_mut().enumerate() {
            let num = u32_at(o + k * 8)?;
            let den = u32_at(o + k * 8 + 4)?;
            if den == 0 {
                return None;
            }
            *part = f64::from(num) / f64::from(den);
        }
        Some(parts[0] + parts[1] / 60.0 + parts[2] / 3600.0)
    };
    let mut lat = degrees(2)?;
    let mut lon = degrees(4)?;
    if reference(1) == Some(b'S') {
        lat = -lat;
    }
    if reference(3) == Some(b'W') {
        lon = -lon;
    }
    ((-90.0..=90.0).contains(&lat) && (-180.0..=180.0).contains(&lon)).then_some((lat, lon))
}

/// Test and fixture support: an Exif block (with the `Exif\0\0` prefix, little-endian TIFF)
/// holding only a GPS position, as a phone camera writes it.
pub fn exif_with_gps(lat: f64, lon: f64) -> Vec<u8> {
    fn rational(v: f64) -> [u32; 6] {
        let v = v.abs();
        let d = v.trunc();
        let m = ((v - d) * 60.0).trunc();
        let s = ((v - d) * 60.0 - m) * 60.0;
        [d as u32, 1, m as u32, 1, (s * 1000.0).round() as u32, 1000]
    }
    let mut t: Vec<u8> = b"II*\0".to_vec();
    t.extend_from_slice(&8u32.to_le_bytes());
    // IFD0 at 8: one entry (GPS pointer), next IFD 0.
    t.extend_from_slice(&1u16.to_le_bytes());
    t.extend_from_slice(&0x8825u16.to_le_bytes());
    t.extend_from_slice(&4u16.to_le_bytes());
    t.extend_from_slice(&1u32.to_le_bytes());
    t.extend_from_slice(&26u32.to_le_bytes());
    t.extend_from_slice(&0u32.to_le_bytes());
    // GPS IFD at 26: four entries (2 + 4 * 12 + 4 = 54 bytes), rationals from 80.
    t.extend_from_slice(&4u16.to_le_bytes());
    let ascii = |t: &mut Vec<u8>, tag: u16, c: u8| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&2u16.to_le_bytes());
        t.extend_from_slice(&2u32.to_le_bytes());
        t.extend_from_slice(&[c, 0, 0, 0]);
    };
    let rat = |t: &mut Vec<u8>, tag: u16, at: u32| {
        t.extend_from_slice(&tag.to_le_bytes());
        t.extend_from_slice(&5u16.to_le_bytes());
        t.extend_from_slice(&3u32.to_le_bytes());
        t.extend_from_slice(&at.to_le_bytes());
    };
    ascii(&mut t, 1, if lat < 0.0 { b'S' } else { b'N' });
    rat(&mut t, 2, 80);
    ascii(&mut t, 3, if lon < 0.0 { b'W' } else { b'E' });
    rat(&mut t, 4, 104);
    t.extend_from_slice(&0u32.to_le_bytes());
    for v in rational(lat).into_iter().chain(rational(lon)) {
        t.extend_from_slice(&v.to_le_bytes());
    }
    let mut out = b"Exif\0\0".to_vec();
    out.extend_from_slice(&t);
    out
}

/// Test and fixture support: a small JPEG-structured file (APP0, an APP1 Exif block with the
/// GPS position, a quantisation table, a frame header, one scan with stuffed bytes and a
/// restart marker, EOI).
pub fn jpeg_with_gps(lat: f64, lon: f64) -> Vec<u8> {
    let seg = |m: u8, body: &[u8]| -> Vec<u8> {
        let mut v = vec![0xFF, m];
        v.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
        v.extend_from_slice(body);
        v
    };
    let mut f = vec![0xFF, 0xD8];
    f.extend(seg(0xE0, b"JFIF\0\x01\x01\0\0\x01\0\x01\0\0"));
    f.extend(seg(0xE1, &exif_with_gps(lat, lon)));
    f.extend(seg(0xDB, &[0u8; 65]));
    f.extend(seg(0xC0, &[8, 0, 1, 0, 1, 1, 1, 0x11, 0]));
    f.extend(seg(0xDA, &[1, 1, 0, 0, 63, 0]));
    f.extend_from_slice(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56]);
    f.extend_from_slice(&[0xFF, 0xD9]);
    f
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use proptest::prelude::*;

    fn segments(b: &[u8]) -> Vec<u8> {
        // Markers of the segments before the scan, in order.
        let mut v = Vec::new();
        let mut i = 2;
        while i + 4 <= b.len() && b[i] == 0xFF {
            let m = b[i + 1];
            v.push(m);
            if m == 0xDA || m == 0xD9 {
                break;
            }
            i += 2 + usize::from(u16::from_be_bytes([b[i + 2], b[i + 3]]));
        }
        v
    }

    #[test]
    fn a_phone_photo_loses_its_position() {
        let f = jpeg_with_gps(38.416_667, 112.733_333);
        let s = strip_jpeg(&f).unwrap();
        let (lat, lon) = s.gps.unwrap();
        assert!((lat - 38.416_667).abs() < 1e-5 && (lon - 112.733_333).abs() < 1e-5);
        assert!(!s.bytes.windows(4).any(|w| w == b"Exif"));
        assert_eq!(segments(&s.bytes), [0xE0, 0xDB, 0xC0, 0xDA]);
        // The scan (with its stuffed byte and restart marker) and EOI are kept as they were.
        assert!(
            s.bytes
                .ends_with(&[0x12, 0xFF, 0x00, 0x34, 0xFF, 0xD0, 0x56, 0xFF, 0xD9])
        );
        assert_eq!(s.bytes.len(), f.len() - (4 + exif_with_gps(0.0, 0.0).len()));
        assert!(s.summary().contains("北纬 38.41"));
        // Stripping again changes nothing.
        assert_eq!(strip_jpeg(&s.bytes).unwrap().bytes, s.bytes);
    }

    #[test]
    fn a_png_loses_its_exif_and_text() {
        let chunk = |kind: &[u8], data: &[u8]| {
            let mut v = (data.len() as u32).to_be_bytes().to_vec();
            v.extend_from_slice(kind);
            v.extend_from_slice(data);
            v.extend_from_slice(&[0, 0, 0, 0]);
            v
        };
        let mut f = b"\x89PNG\r\n\x1a\n".to_vec();
        f.extend(chunk(b"IHDR", &[0; 13]));
        f.extend(chunk(b"eXIf", &exif_with_gps(38.5, 112.7)[6..]));
        f.extend(chunk(b"tEXt", b"Author\0someone"));
        f.extend(chunk(b"IDAT", &[1, 2, 3]));
        f.extend(chunk(b"IEND", &[]));
        let s = strip_png(&f).unwrap();
        assert!(s.gps.is_some());
        assert_eq!(s.removed.len(), 2);
        assert!(!s.bytes.windows(4).any(|w| w == b"eXIf" || w == b"tEXt"));
        assert!(s.bytes.windows(4).any(|w| w == b"IDAT"));
    }

    #[test]
    fn broken_files_are_refused() {
        assert!(strip_jpeg(b"GIF89a").is_err());
        assert!(strip_jpeg(&[0xFF, 0xD8, 0xFF, 0xE1, 0xFF, 0xFF]).is_err());
        assert!(strip_jpeg(&[0xFF, 0xD8]).is_err());
        assert!(strip_png(b"\x89PNG\r\n\x1a\n\0\0\0\x10IHDR").is_err());
    }

    fn segment() -> impl Strategy<Value = (u8, Vec<u8>)> {
        (
            prop_oneof![
                Just(0xE0u8),
                Just(0xE1),
                Just(0xE2),
                Just(0xED),
                Just(0xFE),
                Just(0xDB),
                Just(0xC4)
            ],
            prop::collection::vec(any::<u8>(), 0..300),
        )
    }

    proptest! {
        /// Whatever segments a JPEG has, none of APP1/APP13/COM survives, the others are kept
        /// in order, the scan is kept whole, and the result strips to itself.
        #[test]
        fn metadata_segments_never_survive(
            segs in prop::collection::vec(segment(), 0..8),
            scan in prop::collection::vec(any::<u8>(), 0..200),
        ) {
            let mut f = vec![0xFF, 0xD8];
            for (m, body) in &segs {
                f.extend_from_slice(&[0xFF, *m]);
                f.extend_from_slice(&((body.len() + 2) as u16).to_be_bytes());
                f.extend_from_slice(body);
            }
            f.extend_from_slice(&[0xFF, 0xDA, 0, 2]);
            // Entropy data never holds a bare marker: every 0xFF is stuffed.
            let mut data = Vec::new();
            for b in &scan {
                data.push(*b);
                if *b == 0xFF {
                    data.push(0);
                }
            }
            f.extend_from_slice(&data);
            f.extend_from_slice(&[0xFF, 0xD9]);
            let s = strip_jpeg(&f).unwrap();
            let kept: Vec<u8> = segs.iter().map(|(m, _)| *m).filter(|m| ![0xE1, 0xED, 0xFE].contains(m)).chain([0xDA]).collect();
            prop_assert_eq!(segments(&s.bytes), kept);
            prop_assert!(s.bytes.ends_with(&[&data[..], &[0xFF, 0xD9]].concat()));
            prop_assert_eq!(strip_jpeg(&s.bytes).unwrap().bytes, s.bytes.clone());
            prop_assert!(s.bytes.len() <= f.len());
        }

        /// Any bytes at all: an answer or a refusal, never a panic, never a longer file.
        #[test]
        fn arbitrary_input_never_panics(tail in prop::collection::vec(any::<u8>(), 0..600)) {
            let mut f = vec![0xFF, 0xD8];
            f.extend_from_slice(&tail);
            if let Ok(s) = strip_jpeg(&f) {
                prop_assert!(s.bytes.len() <= f.len());
            }
            let mut p = b"\x89PNG\r\n\x1a\n".to_vec();
            p.extend_from_slice(&tail);
            if let Ok(s) = strip_png(&p) {
                prop_assert!(s.bytes.len() <= p.len());
            }
            let _ = exif_gps(&tail);
        }
    }
}
