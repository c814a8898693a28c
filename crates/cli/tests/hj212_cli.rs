//! `qingshan hj212 decode|encode|reply` against the shared frame files (the CLI contract).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::process::{Command, Stdio};

fn run(args: &[&str], input: &[u8]) -> (i32, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        String::from_utf8(out.stdout).unwrap(),
    )
}

fn real_frames() -> String {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/data/hj212/real-frames.txt");
    std::fs::read_to_string(p).unwrap()
}

#[test]
fn decode_reports_every_line_and_encode_restores_it() {
    let frames = real_frames();
    let (code, out) = run(&["hj212", "decode"], frames.as_bytes());
    assert_eq!(code, 0);
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), frames.lines().count());
    for (v, raw) in lines.iter().zip(frames.lines()) {
        assert_eq!(v["ok"], true, "{raw}");
        for key in [
            "version",
            "qn",
            "st",
            "cn",
            "pw",
            "mn",
            "flag",
            "ack_requested",
            "pnum",
            "pno",
            "crc_variant",
            "data_time",
            "cp",
        ] {
            assert!(v.get(key).is_some(), "{key} missing for {raw}");
        }
    }
    let (code, encoded) = run(&["hj212", "encode"], out.as_bytes());
    assert_eq!(code, 0);
    for (e, raw) in encoded.lines().zip(frames.lines()) {
        assert_eq!(e.trim_end().to_ascii_uppercase(), raw.to_ascii_uppercase());
    }
}

#[test]
fn bad_frames_are_reported_per_line_with_exit_zero() {
    let frames = real_frames();
    let first = frames.lines().next().unwrap();
    let (head, crc) = first.split_at(first.len() - 4);
    let wrong = format!("{head}{}", if crc == "0000" { "0001" } else { "0000" });
    let input = format!("{wrong}\n{first}\r\nnot a frame\n");
    let (code, out) = run(&["hj212", "decode", "--crc", "strict"], input.as_bytes());
    assert_eq!(code, 0);
    let v: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        (v[0]["ok"].as_bool(), v[0]["error"].as_str()),
        (Some(false), Some("crc_mismatch"))
    );
    assert!(v[0]["offset"].is_u64() && v[0]["message"].is_string());
    assert_eq!(v[1]["ok"], true);
    assert_eq!(v[2]["ok"], false);
}

#[test]
fn reply_answers_an_upload_with_9014() {
    let frames = real_frames();
    let upload = frames
        .lines()
        .find(|l| l.contains("CN=2011") && l.contains("Flag=5"))
        .expect("a 2011 frame with A=1");
    let (code, out) = run(
        &["hj212", "reply", "--now", "20260301120000000"],
        format!("{upload}\n").as_bytes(),
    );
    assert_eq!(code, 0);
    assert!(out.contains("CN=9014"), "{out}");
}
