//! Requests, replies, reply rules, stream edge cases, split reassembly and JSON.

#![allow(clippy::expect_used)]

use qingshan_hj212::{
    CrcPolicy, CrcVariant, History, Offer, Packet, Reassembler, ReplyPolicy, Request,
    StreamDecoder, StreamEvent, Target, Version, decode_frame, json, modbus_crc, reply_9011,
    reply_9012, reply_9013, reply_9014, reply_for, reply_for_with, request,
};

fn std_line(n: usize) -> Vec<u8> {
    let path = format!(
        "{}/../../../shared/data/hj212/standard-example-frames.txt",
        env!("CARGO_MANIFEST_DIR")
    );
    let text = std::fs::read(&path).expect("read standard examples");
    let mut line = text
        .split(|&b| b == b'\n')
        .nth(n - 1)
        .expect("line exists")
        .to_vec();
    line.extend_from_slice(b"\r\n");
    line
}

fn decode(frame: &[u8]) -> Packet {
    decode_frame(frame, CrcPolicy::Strict).expect("decodes")
}

fn frame_of(data: &str) -> Vec<u8> {
    let mut f = format!("##{:04}{data}", data.len()).into_bytes();
    f.extend_from_slice(
        format!("{:04X}\r\n", qingshan_hj212::hj212_crc(data.as_bytes())).as_bytes(),
    );
    f
}

const STD: Target<'static> = Target {
    st: "32",
    pw: "123456",
    mn: "010000A8900016F000169DC0",
    version: Version::V2017,
};
const QN: &str = "20160801085857223";

fn enc(req: Request) -> Vec<u8> {
    request(&STD, QN, &req).expect("builds").encode()
}

#[test]
fn requests_match_the_standard_examples() {
    let w = || Some("w01018".to_string());
    assert_eq!(
        enc(Request::SetTimeouts {
            over_time: 5,
            re_count: 3
        }),
        std_line(1)
    );
    assert_eq!(enc(Request::GetTime { pol_id: w() }), std_line(4));
    assert_eq!(
        enc(Request::SetTime {
            pol_id: w(),
            system_time: "20160801085857".into()
        }),
        std_line(6)
    );
    assert_eq!(enc(Request::GetRtdInterval), std_line(9));
    assert_eq!(enc(Request::SetRtdInterval(30)), std_line(11));
    assert_eq!(enc(Request::GetMinInterval), std_line(12));
    assert_eq!(enc(Request::SetMinInterval(10)), std_line(14));
    assert_eq!(
        enc(Request::SetPassword {
            new_pw: "654321".into()
        }),
        std_line(15)
    );
    assert_eq!(enc(Request::StartRealtime), std_line(16));
    assert_eq!(enc(Request::StopRealtime), std_line(17));
    assert_eq!(enc(Request::StartRunState), std_line(18));
    assert_eq!(enc(Request::StopRunState), std_line(19));
    assert_eq!(
        enc(Request::History {
            kind: History::Minute,
            begin: "20160801084000".into(),
            end: "20160801084000".into()
        }),
        std_line(28)
    );
    assert_eq!(
        enc(Request::Control {
            cn: 3011,
            pol_id: w(),
            params: vec![]
        }),
        std_line(33)
    );
    assert_eq!(
        enc(Request::Control {
            cn: 3016,
            pol_id: w(),
            params: vec![
                ("CstartTime".into(), "000000".into()),
                ("CTime".into(), "2".into())
            ]
        }),
        std_line(35)
    );
    assert_eq!(
        enc(Request::Control {
            cn: 3021,
            pol_id: w(),
            params: vec![
                ("InfoId".into(), "i13004".into()),
                ("i13004-Info".into(), "168.0".into())
            ]
        }),
        std_line(40)
    );
    for kind in [
        History::Daily,
        History::RunTimeDaily,
        History::Minute,
        History::Hourly,
    ] {
        let p = request(
            &STD,
            QN,
            &Request::History {
                kind,
                begin: "a".into(),
                end: "b".into(),
            },
        )
        .expect("builds");
        assert_eq!(p.cn_code(), Some(kind.cn()));
    }
    for cn in 3011..=3021 {
        assert!(
            request(
                &STD,
                QN,
                &Request::Control {
                    cn,
                    pol_id: None,
                    params: vec![]
                }
            )
            .is_ok()
        );
    }
    assert!(
        request(
            &STD,
            QN,
            &Request::Control {
                cn: 3099,
                pol_id: None,
                params: vec![]
            }
        )
        .is_err()
    );
}

#[test]
fn request_2005_and_2025_forms() {
    let t = Target {
        st: "32",
        pw: "123456",
        mn: "88888880000001",
        version: Version::V2005,
    };
    let p = request(
        &t,
        "20040516010101001",
        &Request::History {
            kind: History::Daily,
            begin: "20040506000000".into(),
            end: "20040510000000".into(),
        },
    )
    .expect("builds");
    assert_eq!(
        p.data_segment(),
        "QN=20040516010101001;ST=32;CN=2031;PW=123456;MN=88888880000001;Flag=1;CP=&&BeginTime=20040506000000,EndTime=20040510000000&&"
    );
    let t = Target {
        version: Version::V2025,
        ..STD
    };
    let p = request(&t, QN, &Request::StartRealtime).expect("builds");
    assert_eq!(p.flag(), Some(9));
    assert_eq!(p.version(), Version::V2025);
}

#[test]
fn replies_match_the_standard_examples() {
    let req = decode(&std_line(1));
    assert_eq!(reply_9011(&req, 1).expect("9011").encode(), std_line(2));
    assert_eq!(reply_9012(&req, 1).expect("9012").encode(), std_line(3));
    // Upload → 9014 echoing QN, PW, MN, ST=91, Flag=4.
    for (upload, ack) in [(20, 21), (23, 24), (41, 42), (43, 44)] {
        let p = decode(&std_line(upload));
        assert_eq!(reply_9014(&p).expect("9014").encode(), std_line(ack));
        let r = reply_for(&p, "20160801090000000").expect("reply");
        assert_eq!(r.len(), 1, "line {upload}");
        assert_eq!(r[0].encode(), std_line(ack));
    }
    // 1013 → 9013, then 1012 with the platform time.
    let p = decode(&std_line(7));
    let r = reply_for(&p, QN).expect("reply");
    assert_eq!(r.len(), 2);
    assert_eq!(r[0].encode(), std_line(8));
    assert_eq!(r[1].encode(), std_line(6));
}

#[test]
fn reply_rules() {
    let none = |line: usize| {
        reply_for(&decode(&std_line(line)), QN)
            .expect("reply")
            .is_empty()
    };
    // Requests, replies and A=0 uploads get nothing.
    for line in [1, 2, 3, 4, 5, 8, 10, 13, 21, 36] {
        assert!(none(line), "line {line}");
    }
    // 2005 upload without Flag: nothing by default, a 2005-style 9014 on request.
    let data =
        "ST=32;CN=2011;PW=000000;MN=LD130133000015;CP=&&DataTime=20160824003817;011-Rtd=231.0&&";
    let p = decode(&frame_of(data));
    assert_eq!(p.version(), Version::V2005);
    assert!(reply_for(&p, QN).expect("reply").is_empty());
    let r = reply_for_with(
        &p,
        QN,
        &ReplyPolicy {
            ack_2005_without_flag: true,
        },
    )
    .expect("reply");
    assert_eq!(
        r[0].data_segment(),
        "ST=91;CN=9014;PW=000000;MN=LD130133000015;Flag=0;CP=&&CN=2011&&"
    );
    // 2005 request with A=1 and a QN: replies carry QN inside CP.
    let data = "QN=20040516010101001;ST=32;CN=2051;PW=123456;MN=88888880000001;Flag=1;CP=&&DataTime=20040506000000&&";
    let p = decode(&frame_of(data));
    let r = reply_for(&p, QN).expect("reply");
    assert_eq!(
        r[0].data_segment(),
        "ST=91;CN=9014;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001;CN=2051&&"
    );
    assert_eq!(
        reply_9011(&p, 1).expect("9011").data_segment(),
        "ST=91;CN=9011;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001;QnRtn=1&&"
    );
    assert_eq!(
        reply_9013(&p).expect("9013").data_segment(),
        "ST=91;CN=9013;PW=123456;MN=88888880000001;Flag=0;CP=&&QN=20040516010101001&&"
    );
    // 2025: Flag 9 upload → 9014 with Flag 8; heartbeat 9015 → 9013.
    let data = "QN=20260101000000001;ST=21;CN=2061;PW=123456;MN=NM100000_0005;Flag=9;CP=&&DataTime=20260101000000;w01010-Avg=23.1&&";
    let r = reply_for(&decode(&frame_of(data)), QN).expect("reply");
    assert_eq!(r[0].flag(), Some(8));
    assert_eq!(r[0].cn(), "9014");
    let data = "QN=20260101000000001;ST=21;CN=9015;PW=123456;MN=NM100000_0005;Flag=9;CP=&&&&";
    let r = reply_for(&decode(&frame_of(data)), QN).expect("reply");
    assert_eq!(r[0].cn(), "9013");
    // Split segments with Flag=7: each segment acked with its own QN.
    let a = reply_for(&decode(&std_line(41)), QN).expect("reply");
    let b = reply_for(&decode(&std_line(43)), QN).expect("reply");
    assert_eq!(
        (a[0].qn(), b[0].qn()),
        (Some("20160801085857534"), Some("20160801085857535"))
    );
    // A Modbus device gets its reply in Modbus.
    let data = "QN=20210407112358848;ST=21;CN=2011;PW=123456;MN=DXCBZ000000005;Flag=5;CP=&&DataTime=20210407112300&&";
    let mut f = format!(
        "##{:04}{data}{:04X}\r\n",
        data.len(),
        modbus_crc(data.as_bytes())
    )
    .into_bytes();
    assert!(decode_frame(&f, CrcPolicy::Strict).is_err());
    let p = decode_frame(&f, CrcPolicy::Field).expect("field policy");
    let r = reply_for(&p, QN).expect("reply");
    assert_eq!(r[0].crc_variant(), CrcVariant::Modbus);
    assert_eq!(
        decode_frame(&r[0].encode(), CrcPolicy::Field).map(|p| p.crc_variant()),
        Ok(CrcVariant::Modbus)
    );
    // A bad CRC never yields a packet, so there is nothing to reply to.
    let n = f.len();
    f[n - 3] ^= 1;
    assert_eq!(
        decode_frame(&f, CrcPolicy::Field)
            .map_err(|e| e.kind())
            .err(),
        Some("crc_mismatch")
    );
    // now_qn must start with a timestamp.
    assert!(reply_for(&decode(&std_line(7)), "bogus").is_err());
}

fn events(chunks: &[&[u8]], finish: bool) -> Vec<StreamEvent> {
    let mut dec = StreamDecoder::new(CrcPolicy::Strict);
    let mut out = Vec::new();
    for c in chunks {
        dec.push(c);
        out.extend(&mut dec);
    }
    if finish {
        dec.finish();
        out.extend(&mut dec);
    }
    out
}

fn kinds(evs: &[StreamEvent]) -> Vec<String> {
    evs.iter()
        .map(|e| match e {
            StreamEvent::Packet(p) => format!("packet {}", p.cn()),
            StreamEvent::Rejected { error, .. } => format!("{} @{}", error.kind(), error.offset()),
            StreamEvent::Skipped { offset, len } => format!("skip {offset}+{len}"),
        })
        .collect()
}

#[test]
fn stream_edge_cases() {
    let a = std_line(16);
    let b = std_line(22);
    let body_a = &a[..a.len() - 2];
    // Missing trailer between frames, then a bare LF.
    let mut s = body_a.to_vec();
    s.extend_from_slice(&b[..b.len() - 2]);
    s.push(b'\n');
    assert_eq!(kinds(&events(&[&s], false)), ["packet 2011", "packet 2021"]);
    // Last frame without trailer is delivered at once, and a late CR LF is swallowed.
    let evs = events(&[body_a, b"\r", b"\n", &b], false);
    assert_eq!(kinds(&evs), ["packet 2011", "packet 2021"]);
    // Bad CRC: rejected with its absolute offset, decoding continues.
    let mut bad = a.clone();
    let crc_at = bad.len() - 6;
    bad[crc_at] = if bad[crc_at] == b'0' { b'1' } else { b'0' };
    let mut s = b"xx".to_vec();
    s.extend_from_slice(&bad);
    s.extend_from_slice(&b);
    let evs = events(&[&s], false);
    assert_eq!(
        kinds(&evs),
        [
            "skip 0+2",
            &format!("crc_mismatch @{}", 2 + crc_at),
            "packet 2021"
        ]
    );
    match &evs[1] {
        StreamEvent::Rejected { frame, .. } => assert_eq!(frame, &bad),
        other => panic!("{other:?}"),
    }
    // Non-digit length: rejected, then skipped to the next `##`.
    let mut s = b"##00x1garbage".to_vec();
    s.extend_from_slice(&a);
    assert_eq!(
        kinds(&events(&[&s], false)),
        ["bad_length @2", "skip 2+11", "packet 2011"]
    );
    // A length above the configured cap is too_long.
    let mut dec = StreamDecoder::with_max_len(CrcPolicy::Strict, 1024);
    dec.push(b"##2000QN=1");
    assert_eq!(
        kinds(&dec.by_ref().collect::<Vec<_>>()),
        ["too_long @2", "skip 2+8"]
    );
    // A wrong (too large) declared length: found by the `&&HHHH` fallback → length_mismatch,
    // and the next frame still decodes.
    let mut wrong = a.clone();
    wrong[2..6].copy_from_slice(b"0300");
    let evs = events(&[&wrong, &b], false);
    assert_eq!(kinds(&evs), ["length_mismatch @2", "packet 2021"]);
    // A broken header directly followed by a good frame: resync at the next `##`.
    let mut s = b"##0100xyz".to_vec();
    s.extend_from_slice(&a);
    assert_eq!(
        kinds(&events(&[&s], false)),
        ["length_mismatch @2", "packet 2011"]
    );
    let evs = events(&[&s[..20], &s[20..]], false);
    assert_eq!(kinds(&evs), ["length_mismatch @2", "packet 2011"]);
    // Too small declared length as well.
    let mut wrong = a.clone();
    wrong[2..6].copy_from_slice(b"0050");
    assert_eq!(
        kinds(&events(&[&wrong, &b], false)),
        ["length_mismatch @2", "packet 2021"]
    );
    // Character-count frame (line 47) in a stream, split inside a multi-byte character.
    let c = std_line(47);
    let cut = c.iter().position(|&x| x >= 0x80).expect("non-ASCII") + 1;
    let evs = events(&[&c[..cut], &c[cut..], &a], false);
    assert_eq!(kinds(&evs), ["packet 3020", "packet 2011"]);
    // Truncated frame at end of stream.
    assert_eq!(kinds(&events(&[&a[..50]], true)), ["length_mismatch @2"]);
    // A frame that never ends is cut off after the 9999-byte guard.
    let mut s = b"##9999".to_vec();
    s.extend(std::iter::repeat_n(b'A', 10_100));
    let mut dec = StreamDecoder::new(CrcPolicy::Strict);
    dec.push(&s);
    let evs: Vec<_> = dec.by_ref().collect();
    assert_eq!(kinds(&evs), ["too_long @6", "skip 2+10104"]);
    assert!(dec.buffered() <= 1);
}

#[test]
fn header_and_cp_tolerance() {
    // Errata and field deviations from the reference.
    let cases = [
        "QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5CP=&&DataTime=20160801085857&&",
        "QN=20160801085857534,ST=32;CN=2061;PW=123456;MN=X;Flag=7;PNUM=2;PNO=1;CP=&&DataTime=20160801080000&&",
        "ST=32;CN=2011;MN=X;PW=123456;FLAG=5;CP=&& &&",
        "ST=32;CN=2011;PW=;,MN=X;PNO=0002;PNUM=0002;CP=&&DataTime=20160801080000;i12003-Info =0; LA-Rtd=50.1;&&",
        "QN=20191217173712.120;ST=32;CN=2051;PW=123456;MN=X;Flag=5;CP=&&DataTime=20160801080000;w01018--Avg=1.0,w01018-ZsCou=3,w01018-ValidNum=2",
        "ST=32;CN=2051;PW=1;MN=X;Flag=4;CP=&&DataTime=20160801080000;PNUM=3;PNO=1;w01018-Avg=-99.000000&&",
    ];
    let decoded: Vec<Packet> = cases.iter().map(|d| decode(&frame_of(d))).collect();
    assert_eq!(decoded[0].flag(), Some(5));
    assert_eq!(decoded[1].qn(), Some("20160801085857534"));
    assert_eq!((decoded[1].pnum(), decoded[1].pno()), (Some(2), Some(1)));
    assert_eq!(
        (decoded[2].flag(), decoded[2].pw()),
        (Some(5), Some("123456"))
    );
    assert_eq!(decoded[2].cp_items().count(), 0);
    assert_eq!(decoded[3].pw(), Some(""));
    assert_eq!(
        (decoded[3].pnum(), decoded[3].pno(), decoded[3].is_split()),
        (Some(2), Some(2), true)
    );
    let keys: Vec<_> = decoded[3].cp_items().map(|i| i.key).collect();
    assert_eq!(keys, ["DataTime", "i12003-Info", "LA-Rtd"]);
    assert!(!decoded[4].cp_closed());
    let f = decoded[4].factors();
    assert_eq!(f[0].get("Avg").map(|v| v.text()), Some("1.0"));
    assert_eq!(f[0].get("ZsCou").map(|v| v.text()), Some("3"));
    assert_eq!(decoded[4].qn(), Some("20191217173712.120"));
    assert_eq!((decoded[5].pnum(), decoded[5].pno()), (Some(3), Some(1)));
    assert_eq!(
        decoded[5].factors()[0].get("Avg").and_then(|v| v.number()),
        Some(-99.0)
    );
    // Unknown header fields are kept.
    let p = decode(&frame_of("ST=32;CN=2011;MN=X;Foo=bar;CP=&&&&"));
    let extra: Vec<_> = p.header_extras().map(|i| (i.key, i.value.text())).collect();
    assert_eq!(extra, [("Foo", "bar")]);
    // Syntax errors with offsets into the frame.
    for (data, offset) in [
        ("ST=32;CN=2011;MN=X;Flag=5;", 32),
        ("ST=32;MN=X;CP=&&&&", 6),
        ("ST=32;CN=2011;junk;CP=&&&&", 20),
        ("ST=32;CN=2011;CP=&&a=1;oops&&", 29),
        ("ST=32;CN=2011;Flag=x;CP=&&&&", 25),
        ("ST=32;CN=2011;CP=&&i11001-Info=//open&&", 37),
    ] {
        let e = decode_frame(&frame_of(data), CrcPolicy::Strict).expect_err(data);
        assert_eq!((e.kind(), e.offset()), ("syntax", offset), "{data}: {e}");
    }
    // Log text keeps separators and `=` opaque.
    let p = decode(&frame_of(
        "ST=32;CN=3020;MN=X;CP=&&i21001-Info=//a;b,c=d//;PolId=w01018&&",
    ));
    let items: Vec<_> = p.cp_items().map(|i| (i.key, i.value.text())).collect();
    assert_eq!(items, [("i21001-Info", "//a;b,c=d//"), ("PolId", "w01018")]);
}

#[test]
fn reassembly_handles_duplicates_and_order() {
    let seg = |pno: u16, qn: &str, dt: &str| {
        Packet::builder("2061")
            .qn(qn)
            .st("32")
            .pw("123456")
            .mn("M1")
            .flag(7)
            .split(3, pno)
            .item("DataTime", dt)
            .factor("w01018", "Avg", format!("{pno}.0"))
            .build()
            .expect("builds")
    };
    let mut r = Reassembler::new(60_000, 8);
    assert!(matches!(
        r.offer(seg(3, "q3", "T1"), 0),
        Offer::Pending {
            received: 1,
            pnum: 3
        }
    ));
    assert!(matches!(
        r.offer(seg(1, "q1", "T1"), 10),
        Offer::Pending {
            received: 2,
            pnum: 3
        }
    ));
    assert!(matches!(r.offer(seg(1, "q1b", "T1"), 20), Offer::Duplicate));
    // Same MN and CN but another DataTime is another upload.
    assert!(matches!(
        r.offer(seg(1, "q9", "T2"), 25),
        Offer::Pending {
            received: 1,
            pnum: 3
        }
    ));
    let Offer::Complete(done) = r.offer(seg(2, "q2", "T1"), 30) else {
        panic!("expected completion")
    };
    let pnos: Vec<_> = done.segments.iter().map(Packet::pno).collect();
    assert_eq!(pnos, [Some(1), Some(2), Some(3)]);
    let merged: Vec<_> = done.cp_items().map(|i| (i.key, i.value.text())).collect();
    assert_eq!(
        merged,
        [
            ("DataTime", "T1"),
            ("w01018-Avg", "1.0"),
            ("w01018-Avg", "2.0"),
            ("w01018-Avg", "3.0")
        ]
    );
    // A resend after completion is a duplicate, not a new upload.
    assert!(matches!(r.offer(seg(2, "q2", "T1"), 40), Offer::Duplicate));
    assert!(matches!(r.offer(seg(4, "q4", "T3"), 40), Offer::Invalid(_)));
    let unsplit = decode(&std_line(16));
    assert!(matches!(r.offer(unsplit, 50), Offer::NotSplit(_)));
    // The T2 upload times out.
    assert!(r.expire(1_000).is_empty());
    let gone = r.expire(70_000);
    assert_eq!(gone.len(), 1);
    assert_eq!(gone[0].key.data_time, "T2");
    assert_eq!(r.pending(), 0);
    // Memory bound: the oldest incomplete upload is evicted.
    let mut r = Reassembler::new(60_000, 2);
    for (i, dt) in ["A", "B", "C"].iter().enumerate() {
        r.offer(seg(1, "q", dt), i as u64);
    }
    assert_eq!(r.pending(), 2);
    assert_eq!(r.expire(3)[0].key.data_time, "A");
}

#[test]
fn json_contract() {
    let line = std_line(20);
    let out = json::decode_line_to_json(&line, CrcPolicy::Strict);
    let v: serde_json::Value = serde_json::from_str(&out).expect("valid JSON");
    assert!(out.starts_with(r#"{"ok":true,"version":"2017","qn":"20160801085857223","st":"32","cn":"2011","pw":"123456","mn":"010000A8900016F000169DC0","flag":5,"ack_requested":true,"pnum":null,"pno":null,"crc_variant":"hj212","data_time":"20160801085857","cp":{"#), "{out}");
    assert_eq!(v["cp"]["factors"]["w01018"]["fields"]["EFlag"], "A01");
    assert_eq!(v["cp"]["params"]["DataTime"], "20160801085857");
    assert_eq!(v["cp"]["items"][3][0], "w01018-SampleTime");
    // encode: JSON in, the same frame out.
    let p = json::packet_from_json(&v).expect("encodes");
    assert_eq!(p.encode(), line);
    // 2005 mapping shows up in JSON.
    let v: serde_json::Value = serde_json::from_str(&json::decode_line_to_json(
        &frame_of("ST=32;CN=2011;MN=X;CP=&&011-Rtd=1&&"),
        CrcPolicy::Strict,
    ))
    .expect("json");
    assert_eq!(v["version"], "2005");
    assert_eq!(v["cp"]["factors"]["011"]["code_2017"], "w01018");
    // Errors.
    let mut bad = std_line(20);
    let n = bad.len();
    bad[n - 3] = b'F';
    let out = json::decode_line_to_json(&bad, CrcPolicy::Strict);
    assert!(
        out.starts_with(r#"{"ok":false,"error":"crc_mismatch","offset":224,"message":""#),
        "{out}"
    );
    // params/factors input form.
    let v = serde_json::json!({"cn": "2011", "st": "32", "mn": "X", "flag": 5,
        "cp": {"params": {"DataTime": "20160801085857"}, "factors": {"w01018": {"fields": {"Rtd": "1.230"}}}}});
    let p = json::packet_from_json(&v).expect("encodes");
    assert_eq!(
        p.data_segment(),
        "ST=32;CN=2011;MN=X;Flag=5;CP=&&DataTime=20160801085857;w01018-Rtd=1.230&&"
    );
    assert!(json::packet_from_json(&serde_json::json!({"st": "32"})).is_err());
    assert!(
        json::packet_from_json(&serde_json::json!({"cn": "2011", "cp": {"items": [["a;b", "1"]]}}))
            .is_err()
    );
}
