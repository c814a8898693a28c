//! Arbitrary bytes as one frame: no panic; accepted packets round-trip.
#![no_main]

use libfuzzer_sys::fuzz_target;
use qingshan_hj212::{CrcPolicy, decode_frame, json};

fuzz_target!(|data: &[u8]| {
    if let Ok(p) = decode_frame(data, CrcPolicy::Field) {
        assert_eq!(decode_frame(&p.encode(), CrcPolicy::Field).as_ref(), Ok(&p));
        let _ = json::packet_to_json(&p);
    }
});
