//! `air aqi` and `water classify` row by row (their output spooled past memory still writes
//! nothing for a refused file) and `air assess` over several stations and years in one call.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;

fn qingshan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env("QINGSHAN_LOG", "warn")
        .env_remove("QINGSHAN_DB")
        .output()
        .unwrap()
}

fn uci(station: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "../../../shared/data/air/beijing-uci/PRSA_Data_{station}_20130301-20170228.csv"
    ))
}

/// Rows enough that the output (about 50 bytes a row) passes the spool's 8 MiB in memory.
const ROWS: usize = 200_000;

#[test]
fn aqi_streams_a_large_file_and_a_bad_last_row_writes_nothing() {
    let tmp = qingshan_testkit::TempPath::new("aqi-stream", ".csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(tmp.path()).unwrap());
    writeln!(f, "id,so2_24h,no2_24h,co_24h,o3_8h,pm10_24h,pm25_24h").unwrap();
    for i in 0..ROWS {
        writeln!(
            f,
            "r{i},{},{},0.{},{},{},{}",
            i % 90,
            i % 120,
            i % 9,
            i % 200,
            i % 300,
            i % 250
        )
        .unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let path = tmp.path().to_str().unwrap();
    let out = qingshan(&[
        "air",
        "aqi",
        "--standard",
        "hj633-2012",
        "--type",
        "daily",
        path,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.len() > 8 * 1024 * 1024,
        "the output must pass the spool's memory"
    );
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), ROWS + 1);
    assert!(lines[0].starts_with("id,iaqi_so2,"), "{}", lines[0]);
    // The first row as the library computes it whole.
    let mut small = Vec::new();
    qingshan_air::cli::aqi_csv(
        "id,so2_24h,no2_24h,co_24h,o3_8h,pm10_24h,pm25_24h\nr0,0,0,0.0,0,0,0\n".as_bytes(),
        &mut small,
        qingshan_air::standard::AqiStandard::Hj633_2012,
        qingshan_air::aqi::ReportType::Daily,
        &qingshan_air::aqi::AqiOptions::default(),
    )
    .unwrap();
    assert_eq!(
        Some(lines[1]),
        String::from_utf8(small).unwrap().lines().nth(1)
    );

    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(tmp.path())
        .unwrap();
    writeln!(f, "bad,1,1,1,1,1,-5").unwrap();
    drop(f);
    let out = qingshan(&[
        "air",
        "aqi",
        "--standard",
        "hj633-2012",
        "--type",
        "daily",
        path,
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "a refused file writes nothing");
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("line {}", ROWS + 2)), "{err}");
}

#[test]
fn classify_streams_a_large_file_and_a_bad_last_row_writes_nothing() {
    let tmp = qingshan_testkit::TempPath::new("classify-stream", ".csv");
    let mut f = std::io::BufWriter::new(std::fs::File::create(tmp.path()).unwrap());
    // CRLF line ends and blank lines: the rows keep their spreadsheet numbers.
    write!(f, "id,water_body,NH3N,TP\r\n\r\n").unwrap();
    for i in 0..ROWS {
        write!(
            f,
            "monitoring-section-{i:012},river,0.{},0.0{}\r\n",
            i % 10,
            i % 7
        )
        .unwrap();
    }
    f.flush().unwrap();
    drop(f);
    let path = tmp.path().to_str().unwrap();
    let out = qingshan(&["water", "classify", path]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.len() > 8 * 1024 * 1024,
        "the output must pass the spool's memory"
    );
    assert_eq!(text.lines().count(), ROWS + 1);
    assert_eq!(
        text.lines().nth(1),
        Some("monitoring-section-000000000000,I,优,I,I,,")
    );

    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(tmp.path())
        .unwrap();
    write!(f, "\r\nbad,river,-1,0.1\r\n").unwrap();
    drop(f);
    let out = qingshan(&["water", "classify", path]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty(), "a refused file writes nothing");
    let err = String::from_utf8_lossy(&out.stderr);
    // Header, one blank line, the rows, another blank line: the bad row is ROWS + 4.
    assert!(err.contains(&format!("row {}", ROWS + 4)), "{err}");
}

fn json_lines(out: &std::process::Output) -> Vec<Value> {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

#[test]
fn assess_over_a_directory_matches_per_station_calls() {
    let stations = ["Aotizhongxin", "Dongsi"];
    if !qingshan_testkit::require(
        uci(stations[0]).exists(),
        "the UCI Beijing hourly data",
        "place PRSA_Data_*.csv in ../shared/data/air/beijing-uci beside the checkout",
    ) {
        return;
    }
    let dir = qingshan_testkit::TempPath::new("assess-dir", "");
    std::fs::create_dir_all(dir.path()).unwrap();
    for s in stations {
        std::fs::copy(uci(s), dir.path().join(format!("{s}.csv"))).unwrap();
    }
    // Not an hourly file: only `.csv` files of the directory are read.
    std::fs::write(dir.path().join("README.md"), "说明").unwrap();
    let years = ["2014", "2015", "2016"];
    let all = json_lines(&qingshan(&[
        "air",
        "assess",
        "--year",
        &years.join(","),
        "--input",
        dir.path().to_str().unwrap(),
    ]));
    assert_eq!(all.len(), stations.len() * years.len());
    let mut per_call = Vec::new();
    for s in stations {
        for y in years {
            let out = qingshan(&[
                "air",
                "assess",
                "--year",
                y,
                "--input",
                uci(s).to_str().unwrap(),
                "--json",
            ]);
            assert!(
                out.status.success(),
                "{}",
                String::from_utf8_lossy(&out.stderr)
            );
            per_call.push(serde_json::from_slice::<Value>(&out.stdout).unwrap());
        }
    }
    assert_eq!(all, per_call);
    assert_eq!(all[0]["name"], "Aotizhongxin");
    assert_eq!(all[0]["year"], 2014);
    assert!(all[0]["valid_days"].as_u64().unwrap() > 300);

    // One file holding both stations (a station column), years repeated as options.
    let both = dir.path().join("both.txt");
    let a = std::fs::read_to_string(uci(stations[0])).unwrap();
    let b = std::fs::read_to_string(uci(stations[1])).unwrap();
    let b_rows = b.split_once('\n').unwrap().1;
    std::fs::write(&both, format!("{a}{b_rows}")).unwrap();
    let mut args = vec!["air", "assess", "--input", both.to_str().unwrap()];
    for y in years {
        args.extend(["--year", y]);
    }
    assert_eq!(json_lines(&qingshan(&args)), per_call);

    // Several files: the same again, each file read once.
    let mut args = vec!["air", "assess", "--year", "2014,2015,2016"];
    let paths: Vec<String> = stations
        .iter()
        .map(|s| uci(s).display().to_string())
        .collect();
    for p in &paths {
        args.extend(["--input", p.as_str()]);
    }
    assert_eq!(json_lines(&qingshan(&args)), per_call);
}
