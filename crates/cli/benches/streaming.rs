//! Memory and time of `qingshan air aqi` and `qingshan water classify` on a large file: both read
//! and write row by row, so peak memory must not grow with the input.
//!
//! Run with `cargo bench -p qingshan --bench streaming` (release build of the binary). It writes,
//! in a temporary directory removed afterwards:
//! - an AQI input of `QS_BENCH_ROWS` rows (default 1,000,000): the hourly PM2.5, PM10, SO2, NO2,
//!   CO and O3 of the two UCI Beijing stations in `/work/shared/data` (or `QS_BENCH_UCI_DIR`),
//!   repeated until the count is reached, as the daily columns of `air aqi`;
//! - a classify input of as many rows, cycling through river and lake samples.
//!
//! Each command runs under `/usr/bin/time -v` (when present) and its wall time and maximum
//! resident set size are printed. When `python3` can `import aqi` (`pip install python-aqi`),
//! the same AQI file is run through python-aqi's MEP algorithm row by row for comparison.

#![allow(clippy::unwrap_used, clippy::expect_used, missing_docs)]

use std::fmt::Write as _;
use std::io::{BufRead, BufReader, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const PYTHON_AQI: &str = r#"
import csv, sys
import aqi
from aqi.constants import *
cols = {'so2_24h': POLLUTANT_SO2_24H, 'no2_24h': POLLUTANT_NO2_24H, 'co_24h': POLLUTANT_CO_24H,
        'o3_8h': POLLUTANT_O3_8H, 'pm10_24h': POLLUTANT_PM10, 'pm25_24h': POLLUTANT_PM25}
r = csv.reader(open(sys.argv[1], newline=''))
w = csv.writer(open(sys.argv[2], 'w', newline=''))
head = next(r)
w.writerow(['id', 'aqi'])
for row in r:
    vals = [(cols[h], v) for h, v in zip(head[1:], row[1:]) if v]
    try:
        out = aqi.to_aqi(vals, algo=aqi.ALGO_MEP) if vals else ''
    except Exception:
        out = ''
    w.writerow([row[0], out])
"#;

fn rows() -> usize {
    std::env::var("QS_BENCH_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(1_000_000)
}

fn uci_dir() -> PathBuf {
    std::env::var_os("QS_BENCH_UCI_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/air/beijing-uci"),
        PathBuf::from,
    )
}

/// The UCI hourly rows as `so2,no2,co(mg/m³),o3,pm10,pm25` cells (empty where NA).
fn uci_rows() -> Vec<[String; 6]> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(uci_dir())
        .expect("the UCI Beijing data directory (QS_BENCH_UCI_DIR)")
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "csv"))
        .collect();
    files.sort();
    let mut out = Vec::new();
    for f in files {
        let mut rdr = csv::Reader::from_path(&f).unwrap();
        for rec in rdr.records() {
            let rec = rec.unwrap();
            let cell = |i: usize| {
                let v = rec.get(i).unwrap_or("");
                if v == "NA" {
                    String::new()
                } else {
                    v.to_string()
                }
            };
            // µg/m³ in the UCI files; mg/m³ in `air aqi`.
            let co = rec
                .get(9)
                .and_then(|v| v.parse::<f64>().ok())
                .map_or(String::new(), |v| format!("{}", v / 1000.0));
            out.push([cell(7), cell(8), co, cell(10), cell(6), cell(5)]);
        }
    }
    assert!(!out.is_empty(), "no UCI rows read");
    out
}

fn write_aqi_input(path: &Path, n: usize) {
    let source = uci_rows();
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "id,so2_24h,no2_24h,co_24h,o3_8h,pm10_24h,pm25_24h").unwrap();
    for i in 0..n {
        let r = &source[i % source.len()];
        writeln!(
            w,
            "r{i},{},{},{},{},{},{}",
            r[0], r[1], r[2], r[3], r[4], r[5]
        )
        .unwrap();
    }
    w.flush().unwrap();
}

fn write_classify_input(path: &Path, n: usize) {
    let samples = [
        "river,7.2,6.1,3.4,15,2.8,0.52,0.11,,0.004,0.02,0.4",
        "lake,8.1,7.9,2.1,12,1.9,0.31,0.04,1.2,,0.01,0.3",
        "river,6.8,4.2,7.5,31,5.6,2.31,0.42,,0.011,0.05,0.9",
        "lake,7.6,5.5,4.4,22,3.1,0.95,0.07,2.4,0.002,,0.6",
    ];
    let mut w = BufWriter::new(std::fs::File::create(path).unwrap());
    writeln!(w, "id,water_body,pH,DO,CODMn,COD,BOD5,NH3N,TP,TN,Cu,Zn,F").unwrap();
    for i in 0..n {
        writeln!(w, "s{i},{}", samples[i % samples.len()]).unwrap();
    }
    w.flush().unwrap();
}

/// Wall seconds and peak RSS (KiB, from `/usr/bin/time -v`) of `cmd > out`.
fn measure(cmd: Command, out: &Path) -> (f64, Option<u64>) {
    let timed = Path::new("/usr/bin/time").exists();
    let mut c = if timed {
        let mut t = Command::new("/usr/bin/time");
        t.arg("-v").arg(cmd.get_program()).args(cmd.get_args());
        t
    } else {
        cmd
    };
    c.stdout(std::fs::File::create(out).unwrap())
        .stderr(Stdio::piped());
    let start = Instant::now();
    let child = c.spawn().unwrap();
    let output = child.wait_with_output().unwrap();
    let secs = start.elapsed().as_secs_f64();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "{stderr}");
    let rss = BufReader::new(stderr.as_bytes())
        .lines()
        .map_while(Result::ok)
        .find(|l| l.trim_start().starts_with("Maximum resident set size"))
        .and_then(|l| l.rsplit(':').next().and_then(|v| v.trim().parse().ok()));
    (secs, rss)
}

fn lines(path: &Path) -> usize {
    BufReader::new(std::fs::File::open(path).unwrap())
        .lines()
        .count()
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let n = rows();
    let dir = std::env::temp_dir().join(format!("qingshan-streaming-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let bin = env!("CARGO_BIN_EXE_qingshan");
    let mut report = String::new();

    let aqi_in = dir.join("aqi.csv");
    write_aqi_input(&aqi_in, n);
    let size = std::fs::metadata(&aqi_in).unwrap().len();
    let aqi_out = dir.join("aqi-out.csv");
    let mut cmd = Command::new(bin);
    cmd.args(["air", "aqi", "--standard", "hj633-2012", "--type", "daily"])
        .arg(&aqi_in);
    let (secs, rss) = measure(cmd, &aqi_out);
    assert_eq!(lines(&aqi_out), n + 1, "one output row per input row");
    let qingshan_secs = secs;
    writeln!(
        report,
        "air aqi        {n} rows ({:.1} MB in): {secs:.2} s, {:.0} rows/s, max RSS {} KiB",
        size as f64 / 1e6,
        n as f64 / secs,
        rss.map_or("?".into(), |r| r.to_string())
    )
    .unwrap();

    let water_in = dir.join("water.csv");
    write_classify_input(&water_in, n);
    let water_out = dir.join("water-out.csv");
    let mut cmd = Command::new(bin);
    cmd.args(["water", "classify"]).arg(&water_in);
    let (secs, rss) = measure(cmd, &water_out);
    assert_eq!(lines(&water_out), n + 1, "one output row per input row");
    writeln!(
        report,
        "water classify {n} rows: {secs:.2} s, {:.0} rows/s, max RSS {} KiB",
        n as f64 / secs,
        rss.map_or("?".into(), |r| r.to_string())
    )
    .unwrap();

    let has_python_aqi = Command::new("python3")
        .args(["-c", "import aqi"])
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if has_python_aqi {
        let script = dir.join("python_aqi.py");
        std::fs::write(&script, PYTHON_AQI).unwrap();
        let py_out = dir.join("py-out.csv");
        let mut cmd = Command::new("python3");
        cmd.arg(&script).arg(&aqi_in).arg(&py_out);
        let (secs, rss) = measure(cmd, &dir.join("py-stdout"));
        writeln!(
            report,
            "python-aqi     {n} rows: {secs:.2} s, max RSS {} KiB; qingshan is {:.1}x as fast",
            rss.map_or("?".into(), |r| r.to_string()),
            secs / qingshan_secs
        )
        .unwrap();
    } else {
        writeln!(
            report,
            "python-aqi not installed (pip install python-aqi): no comparison"
        )
        .unwrap();
    }
    std::fs::remove_dir_all(&dir).unwrap();
    print!("{report}");
}
