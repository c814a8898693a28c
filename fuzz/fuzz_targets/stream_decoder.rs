//! Arbitrary bytes, cut into arbitrary reads, through the stream decoder: no panic,
//! bounded buffering, every accepted packet re-encodes to a frame that decodes to itself.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qingshan_hj212::{CrcPolicy, StreamDecoder, StreamEvent, decode_frame, reply_for};

fuzz_target!(|data: &[u8]| {
    let (policy, cuts, body) = match data {
        [p, c, rest @ ..] => (
            if p & 1 == 0 { CrcPolicy::Strict } else { CrcPolicy::Field },
            usize::from(*c % 64) + 1,
            rest,
        ),
        _ => return,
    };
    let mut dec = StreamDecoder::new(policy);
    let mut consumed = 0usize;
    for chunk in body.chunks(cuts) {
        dec.push(chunk);
        while let Some(ev) = dec.next_event() {
            check(ev, policy, &mut consumed);
        }
        // One frame (at most 9999 + 16 bytes) plus the last read may be pending.
        assert!(dec.buffered() <= 10_016 + chunk.len());
    }
    dec.finish();
    while let Some(ev) = dec.next_event() {
        check(ev, policy, &mut consumed);
    }
    assert_eq!(dec.buffered(), 0);
});

fn check(ev: StreamEvent, policy: CrcPolicy, consumed: &mut usize) {
    match ev {
        StreamEvent::Packet(p) => {
            let frame = p.encode();
            let again = decode_frame(&frame, policy).expect("re-encoded frame decodes");
            assert_eq!(again, p);
            let _ = reply_for(&p, "20260101000000000");
        }
        StreamEvent::Rejected { error, frame } => {
            assert!(!error.kind().is_empty());
            *consumed += frame.len();
        }
        StreamEvent::Skipped { len, .. } => {
            assert!(len > 0);
            *consumed += len;
        }
    }
}
