//! `qingshan air stations import`, `air import` and `air assess --db` against a fresh SQLite file.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::{Path, PathBuf};
use std::process::Command;

use qingshan_store::Store;

struct Run {
    code: i32,
    stdout: String,
    stderr: String,
}

fn run(args: &[&str]) -> Run {
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env("QINGSHAN_LOG", "warn")
        .env_remove("QINGSHAN_DB")
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("qingshan-air-cli-{}-{name}", uuid::Uuid::new_v4()))
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = temp(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn db_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

fn uci(station: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!(
            "../../../shared/data/air/beijing-uci/PRSA_Data_{station}_20130301-20170228.csv"
        ))
        .display()
        .to_string()
}

fn store(url: &str) -> (tokio::runtime::Runtime, Store) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let s = rt.block_on(Store::connect(url)).unwrap();
    (rt, s)
}

const STATIONS: &str = "code,name,level,division_code,longitude,latitude\n\
                        S1,城区一站,国控,140902,112.73,38.41\n\
                        S2,城区二站,省控,140902,112.75,38.42\n";

#[test]
fn hourly_import_refuses_a_bad_row_whole() {
    let db = temp("db");
    let url = db_url(&db);
    let stations = write("stations.csv", STATIONS);
    let r = run(&[
        "air",
        "stations",
        "import",
        stations.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入空气站点 2 个"), "{}", r.stdout);

    let header = "station,date,hour,so2,no2,co,o3,pm10,pm25\n";
    let good = "S1,2024-05-01,0,6,21,0.5,80,55,30\n\
                S1,2024-05-01,1,7,22,0.6,82,,31\n\
                S2,2024-05-01,0,5,19,0.4,78,50,28\n";
    let bad = write(
        "bad.csv",
        &format!("{header}{good}S2,2024-05-01,1,5,-19,0.4,78,50,28\n"),
    );
    let r = run(&["air", "import", bad.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr
            .contains("第 5 行「NO2（μg/m³）」列：不是有效的非负数（「-19」）"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("未导入"), "{}", r.stderr);
    {
        let (rt, s) = store(&url);
        assert!(rt.block_on(s.air_coverage()).unwrap().is_empty());
        let audit = rt
            .block_on(s.audit_log(Some("air_hourly.import"), 10))
            .unwrap();
        assert!(audit.is_empty());
    }

    // An unregistered station refuses the file too, naming the station.
    let unknown = write(
        "unknown.csv",
        &format!("{header}{good}S9,2024-05-01,0,1,1,1,1,1,1\n"),
    );
    let r = run(&["air", "import", unknown.to_str().unwrap(), "--db", &url]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("S9"), "{}", r.stderr);

    let ok = write("ok.csv", &format!("{header}{good}"));
    let r = run(&["air", "import", ok.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入小时数据 3 条"), "{}", r.stdout);
    // Importing the same file again adds revisions, it does not overwrite.
    let r = run(&["air", "import", ok.to_str().unwrap(), "--db", &url]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("其中 3 条为修订"), "{}", r.stdout);
    let (rt, s) = store(&url);
    let cov = rt.block_on(s.air_coverage()).unwrap();
    assert_eq!(
        cov.iter()
            .map(|c| (c.station_code.as_str(), c.hours))
            .collect::<Vec<_>>(),
        [("S1", 2), ("S2", 1)]
    );
    let hist = rt
        .block_on(s.air_hour_history("S1", "2024-05-01T01:00"))
        .unwrap();
    assert_eq!(hist.len(), 2);
    assert_eq!(hist[1].values[4], None);
    assert_eq!(hist[1].values[2].as_deref(), Some("0.6"));
}

#[test]
fn station_import_names_row_and_column() {
    let db = temp("db");
    let url = db_url(&db);
    let bad = write(
        "stations.csv",
        "code,name,level,division_code,longitude,latitude\n\
         S1,城区一站,国控,140902,112.73,38.41\n\
         S2,城区二站,市控,140902,112.75,38.42\n",
    );
    let r = run(&[
        "air",
        "stations",
        "import",
        bad.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("第 3 行"), "{}", r.stderr);
    assert!(r.stderr.contains("「控制级别」列"), "{}", r.stderr);
    let (rt, s) = store(&url);
    assert!(rt.block_on(s.air_stations()).unwrap().is_empty());
    let missing = write("stations2.csv", "code,name,level\nS1,甲,国控\n");
    let r = run(&[
        "air",
        "stations",
        "import",
        missing.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert_ne!(r.code, 0);
    assert!(
        r.stderr.contains("缺少必需列「行政区划代码」"),
        "{}",
        r.stderr
    );
}

#[test]
fn assess_from_the_stored_city_matches_the_file() {
    let db = temp("db");
    let url = db_url(&db);
    // Without national-network stations there is no city to assess.
    let r = run(&["air", "assess", "--year", "2015", "--db", &url, "--json"]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("国控"), "{}", r.stderr);
    let stations = write(
        "stations.csv",
        "code,name,level,division_code,longitude,latitude\n\
         Aotizhongxin,奥体中心,国控,110105,116.397,39.982\n\
         Dongsi,东四,省控,110101,116.417,39.929\n",
    );
    let r = run(&[
        "air",
        "stations",
        "import",
        stations.to_str().unwrap(),
        "--db",
        &url,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    for s in ["Aotizhongxin", "Dongsi"] {
        let r = run(&["air", "import", &uci(s), "--db", &url]);
        assert_eq!(r.code, 0, "{}", r.stderr);
    }
    // One national-network station: the city's figures are that station's (Dongsi, 省控, is left out).
    let stored = run(&["air", "assess", "--year", "2015", "--db", &url, "--json"]);
    assert_eq!(stored.code, 0, "{}", stored.stderr);
    let file = run(&[
        "air",
        "assess",
        "--year",
        "2015",
        "--input",
        &uci("Aotizhongxin"),
        "--json",
    ]);
    assert_eq!(file.code, 0, "{}", file.stderr);
    let mut a: serde_json::Value = serde_json::from_str(&stored.stdout).unwrap();
    let mut b: serde_json::Value = serde_json::from_str(&file.stdout).unwrap();
    // A whole year came through storage (GB 3095 needs 324 valid days for an annual value).
    assert!(a["valid_days"].as_u64().unwrap() >= 324, "{a}");
    a["name"] = serde_json::Value::Null;
    b["name"] = serde_json::Value::Null;
    assert_eq!(a, b);
    // The table form works from storage too.
    let table = run(&["air", "assess", "--year", "2015", "--db", &url]);
    assert_eq!(table.code, 0, "{}", table.stderr);
    assert!(table.stdout.contains("全市"), "{}", table.stdout);
}
