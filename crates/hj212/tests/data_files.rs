//! Every frame in the shared data files decodes with the verdict the reference predicts
//! and re-encodes byte-identically.

#![allow(clippy::expect_used)]

use qingshan_hj212::{
    CrcPolicy, CrcVariant, LengthCount, Packet, StreamDecoder, StreamEvent, Version, decode_frame,
    hj212_crc, modbus_crc,
};

fn load(name: &str) -> Vec<Vec<u8>> {
    let path = format!(
        "{}/../../../shared/data/hj212/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("cannot read {path}: {e}"));
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(<[u8]>::to_vec)
        .collect()
}

/// The frame with its CRC field upper-cased: the encoder always writes upper case.
fn upper_crc(frame: &[u8]) -> Vec<u8> {
    let mut f = frame.to_vec();
    let n = f.len();
    f[n - 4..].make_ascii_uppercase();
    f
}

/// Rebuilds a packet from its typed fields only (not from its stored text).
fn rebuild(p: &Packet) -> Packet {
    let mut b = Packet::builder(p.cn()).flag_opt(p.flag());
    if let Some(v) = p.qn() {
        b = b.qn(v);
    }
    if let Some(v) = p.st() {
        b = b.st(v);
    }
    if let Some(v) = p.pw() {
        b = b.pw(v);
    }
    if let Some(v) = p.mn() {
        b = b.mn(v);
    }
    if let (Some(n), Some(o)) = (p.pnum(), p.pno()) {
        b = b.split(n, o);
    }
    for it in p.cp_items() {
        b = b.item_with_sep(it.key, it.value.text(), it.sep);
    }
    b.crc_variant(p.crc_variant())
        .length_count(p.length_count())
        .build()
        .expect("rebuild")
}

fn check_file(name: &str) -> Vec<Packet> {
    let mut out = Vec::new();
    for (i, frame) in load(name).iter().enumerate() {
        let line = i + 1;
        let p = decode_frame(frame, CrcPolicy::Strict)
            .unwrap_or_else(|e| panic!("{name}:{line} rejected: {e}"));
        assert_eq!(p.crc_variant(), CrcVariant::Hj212, "{name}:{line}");
        let mut expected = upper_crc(frame);
        expected.extend_from_slice(b"\r\n");
        assert_eq!(
            String::from_utf8_lossy(&p.encode()),
            String::from_utf8_lossy(&expected),
            "{name}:{line} re-encode"
        );
        assert_eq!(
            rebuild(&p).encode(),
            expected,
            "{name}:{line} typed rebuild"
        );
        // Without trailer, with bare LF and with CR LF the verdict is the same.
        let mut lf = frame.clone();
        lf.push(b'\n');
        assert_eq!(decode_frame(&lf, CrcPolicy::Strict).as_ref(), Ok(&p));
        out.push(p);
    }
    out
}

#[test]
fn standard_examples_decode_and_reencode() {
    let packets = check_file("standard-example-frames.txt");
    assert_eq!(packets.len(), 47);
    for (i, p) in packets.iter().enumerate() {
        assert_eq!(p.version(), Version::V2017, "line {}", i + 1);
        assert_eq!(p.mn(), Some("010000A8900016F000169DC0"));
    }
    // Line 20: C.13-style real-time upload with SampleTime and EFlag.
    let p = &packets[19];
    assert_eq!(p.cn(), "2011");
    assert!(p.ack_requested());
    assert_eq!(p.data_time(), Some("20160801085857"));
    let f = p.factors();
    assert_eq!(f.len(), 2);
    assert_eq!(f[1].code, "w01018");
    assert_eq!(
        f[1].get("SampleTime").map(|v| v.text()),
        Some("20160801070000")
    );
    assert_eq!(f[1].get("Rtd").and_then(|v| v.number()), Some(2.2));
    assert_eq!(f[1].get("EFlag").map(|v| v.text()), Some("A01"));
    // Line 32 repeats e01001-Rtd (erratum C.29): both occurrences are kept.
    let p = &packets[31];
    let rtd: Vec<_> = p
        .cp_items()
        .filter(|i| i.key == "e01001-Rtd")
        .map(|i| i.value.text())
        .collect();
    assert_eq!(rtd, ["1.1", "2.2"]);
    // Lines 41/43: the two segments of a split hourly upload.
    assert_eq!(
        (packets[40].pnum(), packets[40].pno(), packets[40].flag()),
        (Some(2), Some(1), Some(7))
    );
    assert!(packets[42].is_split());
    // Line 46 declares UTF-8 bytes, line 47 declares characters: both accepted, recorded.
    assert_eq!(packets[45].length_count(), LengthCount::Bytes);
    assert_eq!(packets[46].length_count(), LengthCount::Chars);
    let info = packets[46].factors();
    assert_eq!(info[0].code, "i11001");
    assert_eq!(info[0].get("Info").map(|v| v.text()), Some("//清洗管路//"));
    // Line 31: noise factors with -Data.
    assert_eq!(packets[30].factors().len(), 8);
}

#[test]
fn real_frames_decode_and_reencode() {
    let packets = check_file("real-frames.txt");
    assert_eq!(packets.len(), 30);
    // Line 4: 2005 style (no QN, no Flag), lower-case CRC, 2005 water codes under ST 32.
    let p = &packets[3];
    assert_eq!(p.version(), Version::V2005);
    assert_eq!(p.qn(), None);
    assert_eq!(p.flag(), None);
    assert!(!p.ack_requested());
    let f = p.factors();
    let mapped: Vec<_> = f.iter().map(|f| (f.code, f.canonical_code())).collect();
    assert_eq!(
        mapped,
        [("011", "w01018"), ("B01", "w00000"), ("060", "w21003")]
    );
    // Line 13: Flag=9 → 2025 version bits, never rejected.
    assert_eq!(packets[12].flag(), Some(9));
    assert_eq!(packets[12].version(), Version::V2025);
    // Line 21: a bare `Flag=N` without a factor prefix is a plain parameter.
    assert_eq!(packets[20].param("Flag"), Some("N"));
    // Line 23: 17-digit DataTime kept as sent.
    assert_eq!(packets[22].data_time(), Some("20160824003817000"));
    // Line 27: second segment of a split minute upload (Flag=6: split, no ack).
    let p = &packets[26];
    assert_eq!(
        (p.pnum(), p.pno(), p.ack_requested()),
        (Some(2), Some(2), false)
    );
    // Line 2: vendor heartbeat CN 9021 is kept.
    assert_eq!(packets[1].cn_code(), Some(9021));
    // Line 1: 635-byte frame with vendor code 100000.
    assert!(packets[0].factors().iter().any(|f| f.code == "100000"));
    // Line 1 of the 2005-style second frame: versions of the rest.
    for (i, p) in packets.iter().enumerate() {
        let expected = match i + 1 {
            4 | 23 => Version::V2005,
            13 => Version::V2025,
            _ => Version::V2017,
        };
        assert_eq!(p.version(), expected, "line {}", i + 1);
    }
}

fn with_crc(frame: &[u8], crc: u16) -> Vec<u8> {
    let mut f = frame[..frame.len() - 4].to_vec();
    f.extend_from_slice(format!("{crc:04X}").as_bytes());
    f
}

#[test]
fn mutated_frames_get_predicted_verdicts() {
    for frame in load("real-frames.txt")
        .iter()
        .chain(load("standard-example-frames.txt").iter())
    {
        let data = &frame[6..frame.len() - 4];
        let good = hj212_crc(data);
        // Any other CRC value is rejected under strict.
        let bad = decode_frame(&with_crc(frame, good ^ 0x0100), CrcPolicy::Strict);
        assert_eq!(bad.map_err(|e| e.kind()), Err("crc_mismatch"));
        // Modbus variants: rejected by strict, accepted and named by field.
        let m = modbus_crc(data);
        if m != good {
            let f = with_crc(frame, m);
            assert_eq!(
                decode_frame(&f, CrcPolicy::Strict)
                    .map_err(|e| e.kind())
                    .err(),
                Some("crc_mismatch")
            );
            assert_eq!(
                decode_frame(&f, CrcPolicy::Field).map(|p| p.crc_variant()),
                Ok(CrcVariant::Modbus)
            );
        }
        if m.swap_bytes() != good && m.swap_bytes() != m {
            let f = with_crc(frame, m.swap_bytes());
            assert_eq!(
                decode_frame(&f, CrcPolicy::Field).map(|p| p.crc_variant()),
                Ok(CrcVariant::ModbusSwapped)
            );
        }
        // Lower-case hex is accepted.
        let lower = frame.to_ascii_lowercase();
        let mut f = frame.clone();
        let n = f.len();
        f[n - 4..].copy_from_slice(&lower[n - 4..]);
        assert!(decode_frame(&f, CrcPolicy::Strict).is_ok());
        // A wrong declared length.
        let mut f = frame.clone();
        f[2..6].copy_from_slice(b"0050");
        assert_eq!(
            decode_frame(&f, CrcPolicy::Strict)
                .map_err(|e| e.kind())
                .err(),
            Some("length_mismatch")
        );
        // Non-digit length.
        let mut f = frame.clone();
        f[3] = b'x';
        assert_eq!(
            decode_frame(&f, CrcPolicy::Strict)
                .map_err(|e| (e.kind(), e.offset()))
                .err(),
            Some(("bad_length", 2))
        );
        // Bad header.
        let mut f = frame.clone();
        f[1] = b'$';
        assert_eq!(
            decode_frame(&f, CrcPolicy::Strict)
                .map_err(|e| e.kind())
                .err(),
            Some("bad_header")
        );
        // Junk after the CRC.
        let mut f = frame.clone();
        f.extend_from_slice(b"XY\r\n");
        assert_eq!(
            decode_frame(&f, CrcPolicy::Strict)
                .map_err(|e| e.kind())
                .err(),
            Some("bad_trailer")
        );
    }
}

#[test]
fn stream_of_all_files_with_garbage_and_odd_splits() {
    let mut frames = load("real-frames.txt");
    frames.extend(load("standard-example-frames.txt"));
    let mut stream = Vec::new();
    let mut expected_garbage = 0usize;
    for (i, f) in frames.iter().enumerate() {
        stream.extend_from_slice(f);
        match i % 4 {
            0 => stream.extend_from_slice(b"\r\n"),
            1 => stream.push(b'\n'),
            2 => {}
            _ => {
                stream.extend_from_slice(b"\r\nAT+OK\r\n");
                expected_garbage += 7;
            }
        }
    }
    for chunk in [1usize, 2, 3, 7, 64, 1000, stream.len()] {
        let mut dec = StreamDecoder::new(CrcPolicy::Strict);
        let mut got = Vec::new();
        let mut garbage = 0;
        for c in stream.chunks(chunk) {
            dec.push(c);
            for ev in &mut dec {
                match ev {
                    StreamEvent::Packet(p) => got.push(p),
                    StreamEvent::Skipped { len, .. } => garbage += len,
                    StreamEvent::Rejected { error, .. } => panic!("chunk {chunk}: {error}"),
                }
            }
        }
        dec.finish();
        let trailing: Vec<_> = dec.by_ref().collect();
        assert!(
            trailing.is_empty(),
            "unexpected trailing events {trailing:?}"
        );
        assert_eq!(got.len(), frames.len(), "chunk {chunk}");
        assert_eq!(garbage, expected_garbage, "chunk {chunk}");
        for (p, f) in got.iter().zip(&frames) {
            assert_eq!(p.encode()[..f.len() - 4], f[..f.len() - 4]);
        }
    }
}

#[test]
fn json_decode_then_encode_reproduces_every_frame() {
    for name in ["real-frames.txt", "standard-example-frames.txt"] {
        for (i, frame) in load(name).iter().enumerate() {
            let out = qingshan_hj212::json::decode_line_to_json(frame, CrcPolicy::Strict);
            let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
            assert_eq!(v["ok"], true, "{name}:{}", i + 1);
            let p = qingshan_hj212::json::packet_from_json(&v).expect("encodes");
            let mut expected = upper_crc(frame);
            expected.extend_from_slice(b"\r\n");
            assert_eq!(p.encode(), expected, "{name}:{}", i + 1);
        }
    }
}
