//! Property tests: encode → decode round-trips; arbitrary bytes never panic and never
//! grow the stream decoder's buffer without bound.

#![allow(clippy::expect_used)]

use proptest::prelude::*;
use qingshan_hj212::{CrcPolicy, CrcVariant, Packet, StreamDecoder, StreamEvent, decode_frame};

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        "[A-Z][A-Za-z]{0,10}",
        (
            "[a-z][0-9]{5}|[A-Z]{2}[0-9]",
            "Rtd|Min|Avg|Max|Cou|ZsRtd|Flag|EFlag|SampleTime|Info|[A-Z][a-z]{0,5}"
        )
            .prop_map(|(c, f)| format!("{c}-{f}")),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        "-?[0-9]{1,6}(\\.[0-9]{1,6})?",
        "[A-Za-z0-9_.]{0,12}",
        "//[^/&]{0,20}//".prop_map(|s| s),
    ]
}

#[derive(Debug, Clone)]
struct Spec {
    qn: Option<String>,
    st: Option<String>,
    cn: String,
    pw: Option<String>,
    mn: Option<String>,
    flag: Option<u8>,
    split: Option<(u16, u16)>,
    items: Vec<(String, String)>,
    variant: CrcVariant,
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        (
            proptest::option::of("[0-9]{17}"),
            proptest::option::of("[0-9A-Z]{2}"),
            "[0-9]{4}",
            proptest::option::of("[0-9A-Za-z]{0,24}"),
            proptest::option::of("[0-9A-Za-z_]{1,24}"),
        ),
        proptest::option::of(any::<u8>()),
        proptest::option::of((1u16..9999, 1u16..9999)),
        proptest::collection::vec((key(), value()), 0..30),
        prop_oneof![
            Just(CrcVariant::Hj212),
            Just(CrcVariant::Modbus),
            Just(CrcVariant::ModbusSwapped)
        ],
    )
        .prop_map(|((qn, st, cn, pw, mn), flag, split, items, variant)| Spec {
            qn,
            st,
            cn,
            pw,
            mn,
            flag,
            split,
            items,
            variant,
        })
}

fn build(s: &Spec) -> Packet {
    let mut b = Packet::builder(s.cn.clone())
        .flag_opt(s.flag)
        .crc_variant(s.variant);
    if let Some(v) = &s.qn {
        b = b.qn(v.clone());
    }
    if let Some(v) = &s.st {
        b = b.st(v.clone());
    }
    if let Some(v) = &s.pw {
        b = b.pw(v.clone());
    }
    if let Some(v) = &s.mn {
        b = b.mn(v.clone());
    }
    if let Some((n, o)) = s.split {
        b = b.split(n, o);
    }
    for (k, v) in &s.items {
        b = b.item(k.clone(), v.clone());
    }
    b.build().expect("generated packets are valid")
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn encode_decode_round_trip(s in spec()) {
        let p = build(&s);
        let frame = p.encode();
        let mut d = decode_frame(&frame, CrcPolicy::Field).expect("own frames decode");
        // Variants can coincide (a byte-symmetric Modbus CRC reads the same swapped), so
        // the decoder names the first that matches; it must produce the same checksum.
        let data = d.data_segment().as_bytes();
        prop_assert_eq!(d.crc_variant().compute(data), s.variant.compute(data));
        d.set_crc_variant(s.variant);
        prop_assert_eq!(&d, &p);
        prop_assert_eq!(d.qn(), s.qn.as_deref());
        prop_assert_eq!(d.st(), s.st.as_deref());
        prop_assert_eq!(d.cn(), s.cn.as_str());
        prop_assert_eq!(d.pw(), s.pw.as_deref());
        prop_assert_eq!(d.mn(), s.mn.as_deref());
        prop_assert_eq!(d.flag(), s.flag);
        prop_assert_eq!(d.pnum(), s.split.map(|x| x.0));
        prop_assert_eq!(d.pno(), s.split.map(|x| x.1));
        let items: Vec<(String, String)> = d.cp_items().map(|i| (i.key.to_string(), i.value.text().to_string())).collect();
        prop_assert_eq!(&items, &s.items);
        if s.variant == CrcVariant::Hj212 {
            prop_assert!(decode_frame(&frame, CrcPolicy::Strict).is_ok());
        }
        // The JSON shape round-trips too.
        let v: serde_json::Value = serde_json::from_str(&qingshan_hj212::json::packet_to_json(&d)).expect("json");
        let back = qingshan_hj212::json::packet_from_json(&v).expect("from json");
        prop_assert_eq!(back.data_segment(), d.data_segment());
        // Through the stream decoder in arbitrary pieces, surrounded by noise.
        let mut dec = StreamDecoder::new(CrcPolicy::Field);
        let mut stream = b"noise".to_vec();
        stream.extend_from_slice(&frame);
        stream.extend_from_slice(&frame[..frame.len() - 2]);
        let mut got = Vec::new();
        for c in stream.chunks(13) {
            dec.push(c);
            got.extend(dec.by_ref().filter_map(|e| match e { StreamEvent::Packet(p) => Some(p), _ => None }));
        }
        dec.finish();
        got.extend(dec.by_ref().filter_map(|e| match e { StreamEvent::Packet(p) => Some(p), _ => None }));
        prop_assert_eq!(got.len(), 2);
        prop_assert_eq!(got[0].data_segment(), p.data_segment());
        prop_assert_eq!(got[1].data_segment(), p.data_segment());
    }

    #[test]
    fn arbitrary_bytes_never_panic_and_stay_bounded(
        chunks in proptest::collection::vec(
            prop_oneof![
                proptest::collection::vec(any::<u8>(), 0..300),
                proptest::collection::vec(prop_oneof![Just(b'#'), Just(b'&'), Just(b'0'), Just(b'9'), Just(b'\r'), Just(b'\n'), Just(b'A')], 0..300),
            ],
            0..40,
        ),
        strict in any::<bool>(),
    ) {
        let policy = if strict { CrcPolicy::Strict } else { CrcPolicy::Field };
        let mut dec = StreamDecoder::new(policy);
        let mut total = 0u64;
        let mut stream = Vec::new();
        for c in &chunks {
            total += c.len() as u64;
            stream.extend_from_slice(c);
            dec.push(c);
            while let Some(ev) = dec.next_event() {
                match ev {
                    StreamEvent::Packet(p) => prop_assert!(decode_frame(&p.encode(), policy).is_ok()),
                    // The skipped bytes are still there to be kept as evidence.
                    StreamEvent::Skipped { offset, len } => {
                        let at = usize::try_from(offset).expect("offset fits");
                        prop_assert_eq!(dec.consumed_tail(len), &stream[at..at + len]);
                    }
                    StreamEvent::Rejected { .. } => {}
                }
            }
            prop_assert!(dec.buffered() <= 10_016 + c.len());
            let _ = decode_frame(c, policy);
        }
        dec.finish();
        while dec.next_event().is_some() {}
        prop_assert_eq!(dec.buffered(), 0);
        prop_assert_eq!(dec.offset(), total);
    }

    #[test]
    fn mutated_frames_never_panic(s in spec(), pos in any::<usize>(), byte in any::<u8>(), cut in any::<usize>()) {
        let mut frame = build(&s).encode();
        let i = pos % frame.len();
        frame[i] = byte;
        let _ = decode_frame(&frame, CrcPolicy::Field);
        let _ = decode_frame(&frame[..cut % (frame.len() + 1)], CrcPolicy::Strict);
        let mut dec = StreamDecoder::new(CrcPolicy::Field);
        dec.push(&frame[..cut % (frame.len() + 1)]);
        dec.push(&frame);
        dec.finish();
        while dec.next_event().is_some() {}
        prop_assert_eq!(dec.buffered(), 0);
    }
}

#[test]
fn endless_garbage_keeps_memory_flat() {
    let mut dec = StreamDecoder::new(CrcPolicy::Strict);
    let junk: Vec<u8> = (0..64 * 1024)
        .map(|i| if i % 97 == 0 { b'#' } else { b'x' })
        .collect();
    let mut header_storm = Vec::new();
    for _ in 0..2000 {
        header_storm.extend_from_slice(b"##9999QN=");
    }
    for round in 0..200 {
        dec.push(if round % 2 == 0 { &junk } else { &header_storm });
        while dec.next_event().is_some() {}
        assert!(dec.buffered() <= 10_016 + junk.len().max(header_storm.len()));
    }
}
