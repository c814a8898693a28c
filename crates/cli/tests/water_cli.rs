//! `qingshan water sections import` and `water import` against a fresh SQLite file: a good file
//! is stored, a bad row is refused naming its line and column, and nothing is stored.

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
    std::env::temp_dir().join(format!(
        "qingshan-water-cli-{}-{name}",
        uuid::Uuid::new_v4()
    ))
}

fn write(name: &str, text: &str) -> PathBuf {
    let p = temp(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn db_url(path: &Path) -> String {
    format!("sqlite://{}", path.display())
}

/// Latest stored 2024 samples as `(section, date, item, value, below_detection)`.
fn stored(url: &str) -> Vec<(String, String, String, String, bool)> {
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = Store::connect(url).await.unwrap();
        s.water_samples(None, 2024)
            .await
            .unwrap()
            .into_iter()
            .map(|r| (r.section_code, r.date, r.item, r.value, r.below_detection))
            .collect()
    })
}

const SECTIONS: &str = "code,name,level,water_body,basin,division_code,target_class,drinking_source\n\
                        W1,青山桥,国考,river,青山河,140902,III,否\n\
                        W2,一水厂,市考,lake,北湖,,II,是\n";

fn with_sections() -> String {
    let db = db_url(&temp("db"));
    let f = write("sections.csv", SECTIONS);
    let r = run(&[
        "water",
        "sections",
        "import",
        f.to_str().unwrap(),
        "--db",
        &db,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入水质断面 2 个"), "{}", r.stdout);
    db
}

#[test]
fn import_stores_values_and_detection_limits() {
    let db = with_sections();
    let f = write(
        "samples.csv",
        "section,date,item,value\nW1,2024-01-10,nh3n,0.5\nW1,2024-01-10,Hg,<0.00005\nW2,2024-02-01,TP,0.025\n",
    );
    let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入监测结果 3 条"), "{}", r.stdout);
    let rows = stored(&db);
    let s = |a: &str| a.to_string();
    assert_eq!(
        rows,
        [
            (s("W1"), s("2024-01-10"), s("Hg"), s("0.00005"), true),
            (s("W1"), s("2024-01-10"), s("NH3N"), s("0.5"), false),
            (s("W2"), s("2024-02-01"), s("TP"), s("0.025"), false),
        ]
    );
}

#[test]
fn bad_row_names_line_and_column_and_stores_nothing() {
    let db = with_sections();
    for (bad, line, column) in [
        ("W1,2024-01-11,DO,abc", 3, "监测结果"),
        ("W1,2024-01-11,DO,-1", 3, "监测结果"),
        ("W1,2024-01-11,XYZ,1", 3, "监测项目"),
        ("W1,2024-02-30,DO,7", 3, "采样日期"),
        ("W1,2024-01-11,DO,1e3", 3, "监测结果"),
    ] {
        let f = write(
            "bad.csv",
            &format!("section,date,item,value\nW1,2024-01-10,DO,7.5\n{bad}\nW1,2024-01-12,DO,6\n"),
        );
        let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
        assert_ne!(r.code, 0, "{bad}");
        assert!(
            r.stderr.contains(&format!("第 {line} 行「{column}」列：")),
            "{bad}: {}",
            r.stderr
        );
        assert!(stored(&db).is_empty(), "{bad}: something was stored");
    }
    // An unregistered section is found inside the transaction: still nothing stored.
    let f = write(
        "unknown.csv",
        "section,date,item,value\nW1,2024-01-10,DO,7.5\nW9,2024-01-10,DO,7\n",
    );
    let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("W9"), "{}", r.stderr);
    assert!(stored(&db).is_empty());
}

#[test]
fn bad_section_row_is_refused() {
    let db = db_url(&temp("db"));
    let f = write(
        "sections.csv",
        "code,name,level,water_body,basin,division_code,target_class,drinking_source\n\
         W1,青山桥,国考,river,青山河,140902,III,否\n\
         W2,一水厂,村考,lake,北湖,,II,是\n",
    );
    let r = run(&[
        "water",
        "sections",
        "import",
        f.to_str().unwrap(),
        "--db",
        &db,
    ]);
    assert_ne!(r.code, 0);
    assert!(r.stderr.contains("第 3 行「控制级别」列："), "{}", r.stderr);
    let rt = tokio::runtime::Runtime::new().unwrap();
    let n = rt.block_on(async {
        let s = Store::connect(&db).await.unwrap();
        s.water_sections().await.unwrap().len()
    });
    assert_eq!(n, 0);
}

#[test]
fn table_2_and_3_items_only_at_drinking_sources() {
    let db = with_sections();
    // W1 is not a drinking-water source: a Table 3 item there is refused on its own line
    // (found inside the transaction, after the rows before it were accepted).
    for (bad, message) in [
        ("W1,2024-01-11,T3-19,0.001", "不是集中式饮用水水源"),
        ("W1,2024-01-11,苯,0.001", "不是集中式饮用水水源"),
        ("W2,2024-01-11,T3-81,0.001", "未知监测项目"),
        ("W2,2024-01-11,T2-0,0.001", "未知监测项目"),
    ] {
        let f = write(
            "bad.csv",
            &format!(
                "section,date,item,value\nW2,2024-01-10,T2-4,0.2\n{bad}\nW1,2024-01-12,DO,6\n"
            ),
        );
        let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
        assert_ne!(r.code, 0, "{bad}");
        assert!(
            r.stderr.contains("第 3 行「监测项目」列：") && r.stderr.contains(message),
            "{bad}: {}",
            r.stderr
        );
        assert!(stored(&db).is_empty(), "{bad}: something was stored");
    }
    // At the source W2: by code in any case or by name, stored under the canonical code.
    let f = write(
        "good.csv",
        "section,date,item,value\nW2,2024-01-10,t2-4,0.2\nW2,2024-01-10,苯,<0.002\nW2,2024-01-10,Nitrate,3.5\n",
    );
    let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let s = |a: &str| a.to_string();
    assert_eq!(
        stored(&db),
        [
            (s("W2"), s("2024-01-10"), s("T2-3"), s("3.5"), false),
            (s("W2"), s("2024-01-10"), s("T2-4"), s("0.2"), false),
            (s("W2"), s("2024-01-10"), s("T3-19"), s("0.002"), true),
        ]
    );
}

#[test]
fn sections_link_a_station_device() {
    let db = with_sections();
    let r = run(&[
        "water",
        "sections",
        "link",
        "--section",
        "W1",
        "--mn",
        "WQ0001",
        "--password",
        "123456",
        "--crc-policy",
        "field",
        "--db",
        &db,
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        r.stdout.contains("WQ0001") && r.stdout.contains("W1"),
        "{}",
        r.stdout
    );
    let rt = tokio::runtime::Runtime::new().unwrap();
    let devices = rt.block_on(async {
        Store::connect(&db)
            .await
            .unwrap()
            .water_section_devices()
            .await
            .unwrap()
    });
    assert_eq!(devices.len(), 1);
    assert_eq!(
        (
            devices[0].section_code.as_str(),
            devices[0].password.as_str(),
            devices[0].crc_policy.as_str()
        ),
        ("W1", "123456", "field")
    );
    for (args, needle) in [
        (["--section", "W9", "--mn", "WQ0002"], "W9"),
        (["--section", "W1", "--mn", "WQ-0002"], "MN"),
    ] {
        let mut all = vec!["water", "sections", "link"];
        all.extend(args);
        all.extend(["--password", "123456", "--db", &db]);
        let r = run(&all);
        assert_ne!(r.code, 0, "{args:?}");
        assert!(r.stderr.contains(needle), "{args:?}: {}", r.stderr);
    }
    let r = run(&[
        "water",
        "sections",
        "link",
        "--section",
        "W1",
        "--mn",
        "WQ0003",
        "--password",
        "1",
        "--crc-policy",
        "lenient",
        "--db",
        &db,
    ]);
    assert_ne!(r.code, 0);
}

#[test]
fn chinese_item_headers_import_in_the_wide_layout() {
    let db = with_sections();
    let f = write(
        "wide.csv",
        "断面编码,采样日期,氨氮（mg/L）,总磷,高锰酸盐指数\n\
         W1,2024-01-10,0.52,<0.01,4.1\n\
         W2,2024-02-01,,0.025,\n",
    );
    let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("已导入监测结果 4 条"), "{}", r.stdout);
    let s = |a: &str| a.to_string();
    assert_eq!(
        stored(&db),
        [
            (s("W1"), s("2024-01-10"), s("CODMn"), s("4.1"), false),
            (s("W1"), s("2024-01-10"), s("NH3N"), s("0.52"), false),
            (s("W1"), s("2024-01-10"), s("TP"), s("0.01"), true),
            (s("W2"), s("2024-02-01"), s("TP"), s("0.025"), false),
        ]
    );
    // Chinese item names in the long layout too; three bad rows, all listed, nothing stored.
    let db = with_sections();
    let f = write(
        "long.csv",
        "断面编码,采样日期,监测项目,监测结果\n\
         W1,2024-03-10,氨氮,abc\n\
         W1,2024-03-10,总磷,0.1\n\
         W1,2024-13-10,高锰酸盐指数,4\n\
         W1,2024-03-10,氨,1\n",
    );
    let r = run(&["water", "import", f.to_str().unwrap(), "--db", &db]);
    assert_ne!(r.code, 0);
    for needle in [
        "第 2 行「监测结果」列：",
        "第 4 行「采样日期」列：",
        "第 5 行「监测项目」列：未知监测项目「氨」",
    ] {
        assert!(r.stderr.contains(needle), "{needle}: {}", r.stderr);
    }
    assert!(stored(&db).is_empty());
}
