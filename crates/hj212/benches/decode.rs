//! Decode throughput: frames/s and MB/s for typical frames and a 100 MB stream.

// criterion_group! expands to an undocumented public function.
#![allow(missing_docs)]

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use qingshan_hj212::{CrcPolicy, Packet, StreamDecoder, StreamEvent, decode_frame};

/// A real-time (2011) upload with `factors` water factors shaped like real traffic
/// (12-decimal values, as in `real-frames.txt`), built through the encoder.
fn frame_2011(factors: usize, seq: u32) -> Vec<u8> {
    let codes = [
        "w01018", "w21003", "w21011", "w21001", "w01001", "w00000", "w01009", "w01010", "w01014",
        "w01003", "w01019", "w20120", "w20115", "w20116", "w20117", "w20119",
    ];
    let mut b = Packet::builder("2011")
        .qn(format!("20210407112358{:03}", seq % 1000))
        .st("21")
        .pw("123456")
        .mn("010000A8900016F000169DC0")
        .flag(5)
        .item("DataTime", "20210407112300");
    for i in 0..factors {
        let code = codes[i % codes.len()];
        b = b
            .factor(
                code,
                "Rtd",
                format!(
                    "{}.{:012}",
                    200 + i,
                    (seq as u64 * 7919 + i as u64) % 1_000_000_000_000
                ),
            )
            .factor(code, "Flag", "N");
    }
    match b.build() {
        Ok(p) => p.encode(),
        Err(e) => panic!("bench frame does not build: {e}"),
    }
}

fn bench(c: &mut Criterion) {
    let small = frame_2011(5, 1);
    let large = {
        // Grow with Min/Avg/Max/Cou per factor until ~1,000 bytes.
        let mut b = Packet::builder("2051")
            .qn("20160801085000001")
            .st("32")
            .pw("123456")
            .mn("010000A8900016F000169DC0")
            .flag(5)
            .item("DataTime", "20160801084000");
        for code in [
            "w00000", "w01001", "w01018", "w21003", "w21011", "w21001", "w01009", "w01010",
            "w01014", "w01003",
        ] {
            for f in ["Cou", "Min", "Avg", "Max"] {
                b = b.factor(code, f, "1234.56");
            }
            b = b.factor(code, "Flag", "N");
        }
        match b.build() {
            Ok(p) => p.encode(),
            Err(e) => panic!("bench frame does not build: {e}"),
        }
    };
    eprintln!(
        "small frame: {} bytes, large frame: {} bytes",
        small.len(),
        large.len()
    );

    let mut g = c.benchmark_group("decode_frame");
    for (name, frame) in [("2011_small", &small), ("2051_large", &large)] {
        g.throughput(Throughput::Elements(1));
        g.bench_function(format!("{name}_frames"), |b| {
            b.iter(|| black_box(decode_frame(black_box(frame), CrcPolicy::Strict)))
        });
        g.throughput(Throughput::Bytes(frame.len() as u64));
        g.bench_function(format!("{name}_bytes"), |b| {
            b.iter(|| black_box(decode_frame(black_box(frame), CrcPolicy::Strict)))
        });
    }
    g.finish();

    // 100 MB of distinct ~300-byte frames, fed in 64 KiB reads as a socket would deliver them.
    let mut stream = Vec::with_capacity(100 * 1024 * 1024 + 1024);
    let mut n_frames = 0u64;
    let mut seq = 0u32;
    while stream.len() < 100 * 1024 * 1024 {
        stream.extend_from_slice(&frame_2011(5, seq));
        seq = seq.wrapping_add(1);
        n_frames += 1;
    }
    eprintln!("stream: {} bytes, {} frames", stream.len(), n_frames);
    let mut g = c.benchmark_group("stream_100MB");
    g.sample_size(10);
    g.throughput(Throughput::Bytes(stream.len() as u64));
    g.bench_function("bytes", |b| {
        b.iter(|| {
            let mut dec = StreamDecoder::new(CrcPolicy::Strict);
            let mut ok = 0u64;
            for chunk in stream.chunks(64 * 1024) {
                dec.push(chunk);
                while let Some(ev) = dec.next_event() {
                    if let StreamEvent::Packet(p) = ev {
                        black_box(&p);
                        ok += 1;
                    }
                }
            }
            assert_eq!(ok, n_frames);
            ok
        })
    });
    g.throughput(Throughput::Elements(n_frames));
    g.bench_function("frames", |b| {
        b.iter(|| {
            let mut dec = StreamDecoder::new(CrcPolicy::Strict);
            let mut ok = 0u64;
            for chunk in stream.chunks(64 * 1024) {
                dec.push(chunk);
                while let Some(ev) = dec.next_event() {
                    if let StreamEvent::Packet(p) = ev {
                        black_box(&p);
                        ok += 1;
                    }
                }
            }
            ok
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
