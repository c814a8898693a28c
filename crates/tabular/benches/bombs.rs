//! How long refusing each XLSX bomb takes, and the peak memory while doing it.
//!
//! `cargo bench -p qingshan-tabular --bench bombs`. Peak memory is the process's high-water
//! mark (`VmHWM` in `/proc/self/status`), reset before each file by writing 5 to
//! `/proc/self/clear_refs`, so each figure is that file's own peak on top of what the process
//! already held (the bombs themselves, built beforehand, are a few hundred kilobytes each).

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

#[path = "../tests/common/bombs.rs"]
mod bombs;

use std::time::{Duration, Instant};

use qingshan_tabular::{Limits, read_import};

/// A field of `/proc/self/status`, in KiB.
fn status_kib(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Resets the high-water mark to the current resident size; false where the kernel cannot.
fn reset_peak() -> bool {
    std::fs::write("/proc/self/clear_refs", "5").is_ok()
}

fn measure(name: &str, bytes: &[u8], limits: &Limits, runs: u32) {
    let resettable = reset_peak();
    let before = status_kib("VmRSS:").unwrap_or(0);
    let mut best = Duration::MAX;
    let mut outcome = String::new();
    for _ in 0..runs {
        let start = Instant::now();
        let result = read_import(bytes, limits);
        best = best.min(start.elapsed());
        outcome = match result {
            Ok(import) => format!("read {} rows", import.sheet().rows().len()),
            Err(e) => format!("refused ({}): {e}", e.kind()),
        };
    }
    let peak = status_kib("VmHWM:").unwrap_or(0);
    let extra = if resettable {
        format!("{:.1} MiB", peak.saturating_sub(before) as f64 / 1024.0)
    } else {
        "n/a".to_string()
    };
    let shown: String = outcome.chars().take(110).collect();
    println!(
        "{name:<44} {:>9.1} KiB in  {:>9.3} ms  peak +{extra:<10} {shown}",
        bytes.len() as f64 / 1024.0,
        best.as_secs_f64() * 1000.0,
    );
}

/// A file measured: its name and how to build it.
type Case = (&'static str, fn() -> Vec<u8>);

/// The files measured.
fn cases() -> Vec<Case> {
    vec![
        ("1 MiB string x 1,500 cells (issue row 1)", || {
            bombs::shared_string_bomb(1 << 20, 1500)
        }),
        ("60 MiB string x 10 cells (issue row 1)", || {
            bombs::shared_string_bomb(60 << 20, 10)
        }),
        ("30,000 chars x 100,000 cells (3 GB of text)", || {
            bombs::shared_string_bomb(30_000, 100_000)
        }),
        ("40,000-char inline cell", || {
            bombs::long_inline_cell(40_000)
        }),
        ("legal: 30,000 chars x 1,000 cells (30 MB)", || {
            bombs::shared_string_bomb(30_000, 1_000)
        }),
        ("legal: GBK CSV, 100,000 rows", gbk_csv),
    ]
}

/// A large legitimate GBK CSV, for scale: 100,000 rows of Chinese text.
fn gbk_csv() -> Vec<u8> {
    let mut text = String::from("credit_code,enterprise_name,address,value\n");
    for i in 0..100_000 {
        text.push_str(&format!(
            "9114090{i:011},某热电有限公司{i},忻州市忻府区开发区{i}号,0.{i}\n"
        ));
    }
    encoding_rs::GBK.encode(&text).0.into_owned()
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    // `cargo test --benches` runs this without `--bench`: one run each is enough there.
    let runs = if args.iter().any(|a| a == "--bench") {
        5
    } else {
        1
    };
    let cases = cases();
    // Each file is measured in a process of its own, so that no heap kept from an earlier file
    // hides part of a later one's peak.
    if let Some(i) = args
        .iter()
        .position(|a| a == "--case")
        .and_then(|p| args.get(p + 1))
        .and_then(|i| i.parse::<usize>().ok())
    {
        let (name, build) = cases[i];
        measure(name, &build(), &Limits::default(), runs);
        return;
    }
    println!("peak memory reset per file: {}", reset_peak());
    let exe = std::env::current_exe().unwrap();
    for i in 0..cases.len() {
        let mut child = std::process::Command::new(&exe);
        child.arg("--case").arg(i.to_string());
        if runs > 1 {
            child.arg("--bench");
        }
        let out = child.output().unwrap();
        print!("{}", String::from_utf8_lossy(&out.stdout));
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}
