//! The plan commands against the seed document itself, and the refusal of bad plan files.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

fn qingshan(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env_remove("QINGSHAN_PLAN")
        .env_remove("QINGSHAN_DB")
        .output()
        .unwrap()
}

fn seed() -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/seed/000_99901f9d3b38cdf2.txt");
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("the seed plan must be at {}: {e}", path.display()))
}

fn clean(s: &str) -> String {
    s.trim_matches(|c: char| c.is_whitespace() || c == '\u{3000}')
        .to_string()
}

/// The seed's indicator table, parsed independently of the plan file: rows are separated by
/// blank lines, cells start with a tab, and a line without a tab continues the cell before it.
fn seed_table() -> Vec<Vec<String>> {
    let text = seed();
    let start = text.find("\t责任单位").unwrap();
    let end = text.find("五、主要任务").unwrap();
    let mut rows = Vec::new();
    let mut category = String::new();
    for block in text[start..end].split("\n\n").skip(1) {
        let mut cells: Vec<String> = Vec::new();
        for line in block.lines() {
            match line.strip_prefix('\t') {
                Some(c) => cells.push(c.to_string()),
                None if !cells.is_empty() => cells.last_mut().unwrap().push_str(line),
                None => {}
            }
        }
        if cells.len() != 8 {
            continue;
        }
        let mut cells: Vec<String> = cells.iter().map(|c| clean(c)).collect();
        if cells[0].is_empty() {
            cells[0] = category.clone();
        } else {
            category = cells[0].clone();
        }
        rows.push(cells);
    }
    rows
}

#[test]
fn indicators_csv_matches_the_seed_table() {
    let out = qingshan(&["plan", "indicators", "--format", "csv"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let header: Vec<String> = r.headers().unwrap().iter().map(String::from).collect();
    assert_eq!(
        header,
        [
            "number",
            "category",
            "name",
            "unit",
            "baseline_2020",
            "target_2025",
            "target_2035",
            "responsible_units"
        ]
    );
    let got: Vec<Vec<String>> = r
        .records()
        .map(|rec| rec.unwrap().iter().map(String::from).collect())
        .collect();
    let seed = seed_table();
    assert_eq!(got.len(), 24);
    assert_eq!(seed.len(), 24, "seed table parse");
    for (g, s) in got.iter().zip(&seed) {
        // Seed order: category, number, name, unit, 2020, 2025, 2035, unit.
        assert_eq!(g[0], s[1], "number");
        assert_eq!(g[1], s[0], "category of {}", g[0]);
        assert_eq!(g[2], s[2], "name of {}", g[0]);
        assert_eq!(g[3], s[3], "unit of {}", g[0]);
        assert_eq!(g[4], s[4], "2020 of {}", g[0]);
        assert_eq!(g[5], s[5], "2025 of {}", g[0]);
        assert_eq!(g[6], s[6], "2035 of {}", g[0]);
        assert_eq!(g[7], s[7], "units of {}", g[0]);
    }
    insta::assert_snapshot!("indicators_csv", String::from_utf8(out.stdout).unwrap());
}

/// The tasks of section 五 with their "（责任单位：…）" lists, parsed from the seed.
fn seed_tasks() -> Vec<(String, String)> {
    let text = seed();
    let body = &text[text.find("五、主要任务").unwrap()..text.find("六、保障措施").unwrap()];
    let mut out = Vec::new();
    let mut title: Option<String> = None;
    let mut area_title = String::new();
    for line in body.lines().map(str::trim) {
        if line.starts_with('（') && line.chars().nth(2) == Some('）') {
            area_title = line.chars().skip(3).collect();
            title = None;
        } else if let Some((n, t)) = line.split_once('、')
            && !n.is_empty()
            && n.chars().all(|c| c.is_ascii_digit())
        {
            title = Some(t.trim().to_string());
        }
        if let Some(pos) = line.find("（责任单位：") {
            let units = line[pos + "（责任单位：".len()..].trim_end_matches('）');
            let units = units
                .split('。')
                .next()
                .unwrap()
                .replace("、各县〈市、区〉人民政府", "");
            // Area 八 has no numbered task: its title stands for the task.
            let t = title.clone().unwrap_or_else(|| {
                area_title
                    .split_once('，')
                    .map(|(_, b)| b.to_string())
                    .unwrap_or(area_title.clone())
            });
            out.push((t, units));
        }
    }
    out
}

#[test]
fn tasks_csv_lists_every_task_with_its_units() {
    let out = qingshan(&["plan", "tasks", "--format", "csv"]);
    assert!(out.status.success());
    let mut r = csv::Reader::from_reader(out.stdout.as_slice());
    let got: Vec<(String, String)> = r
        .records()
        .map(|rec| rec.unwrap())
        .map(|rec| (rec[4].to_string(), rec[5].to_string()))
        .collect();
    assert_eq!(got, seed_tasks());
    assert_eq!(got.len(), 25);
    insta::assert_snapshot!("tasks_csv", String::from_utf8(out.stdout).unwrap());
}

#[test]
fn json_and_table_formats() {
    let out = qingshan(&["plan", "indicators", "--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v.as_array().unwrap().len(), 24);
    assert_eq!(v[2]["targets"][0]["kind"], "reduction");
    assert_eq!(v[2]["targets"][0]["percent"], "14.5");
    let table = String::from_utf8(qingshan(&["plan", "tasks"]).stdout).unwrap();
    assert!(table.contains("（八）全民行动共建共享"));
    let show = String::from_utf8(qingshan(&["plan", "show"]).stdout).unwrap();
    assert!(show.contains("忻政办发〔2023〕33号") && show.contains("24 项"));
}

fn bad_plan(dir: &std::path::Path) -> PathBuf {
    let src = qingshan_plan::XINZHOU_TOML.replacen(
        "responsible = [\"slj\"]",
        "responsible = [\"水利局\"]",
        1,
    );
    let path = dir.join("bad.toml");
    std::fs::write(&path, src).unwrap();
    path
}

#[test]
fn malformed_plan_is_refused_with_file_line_and_field() {
    let dir = std::env::temp_dir().join(format!("qingshan-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = bad_plan(&dir);
    let line = std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .position(|l| l.contains("水利局\"]"))
        .unwrap()
        + 1;

    let out = qingshan(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(&format!("{}:{line}:", path.display())),
        "{err}"
    );
    assert!(err.contains("indicators[4].responsible[0]"), "{err}");

    // Serving with it changes nothing: the database is never even created.
    let db = dir.join("never.db");
    let out = qingshan(&[
        "serve",
        "--addr",
        "127.0.0.1:0",
        "--db",
        &format!("sqlite://{}", db.display()),
        "--plan",
        path.to_str().unwrap(),
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("indicators[4].responsible[0]")
    );
    assert!(!db.exists());

    let ok = qingshan(&["plan", "check", "/nonexistent/plan.toml"]);
    assert_eq!(ok.status.code(), Some(1));
    assert!(
        String::from_utf8(ok.stderr)
            .unwrap()
            .contains("无法读取规划文件")
    );
}

#[test]
fn another_city_loads_its_own_plan() {
    let dir = std::env::temp_dir().join(format!("qingshan-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let src = qingshan_plan::XINZHOU_TOML.replace("忻州市贯彻落实", "示例市贯彻落实");
    let path = dir.join("other.toml");
    std::fs::write(&path, src).unwrap();
    // The map the plan references is read beside it.
    let out = qingshan(&["plan", "show", "--plan", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("无法读取地图文件「xinzhou-divisions.geojson」"),
    );
    std::fs::write(
        dir.join("xinzhou-divisions.geojson"),
        qingshan_plan::map::XINZHOU_DIVISIONS_GEOJSON,
    )
    .unwrap();
    let out = qingshan(&["plan", "show", "--plan", path.to_str().unwrap()]);
    assert!(out.status.success());
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .starts_with("示例市贯彻落实")
    );
}

#[test]
fn user_add_checks_role_and_unit() {
    let dir = std::env::temp_dir().join(format!("qingshan-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("u.db").display());
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_qingshan"))
            .args(args)
            .env("QINGSHAN_PASSWORD", "Long enough pw1")
            .output()
            .unwrap()
    };
    let out = run(&[
        "user",
        "add",
        "--username",
        "w",
        "--role",
        "reporter",
        "--unit",
        "nope",
        "--db",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("slj=市水利局")
    );
    let out = run(&[
        "user",
        "add",
        "--username",
        "w",
        "--role",
        "reporter",
        "--unit",
        "slj",
        "--db",
        &db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = run(&[
        "user",
        "add",
        "--username",
        "w",
        "--role",
        "staff",
        "--db",
        &db,
    ]);
    assert_eq!(out.status.code(), Some(1));
    let list = String::from_utf8(run(&["user", "list", "--db", &db]).stdout).unwrap();
    assert_eq!(list.trim_end_matches('\n'), "1\tw\treporter\tslj\t\t");
}

#[test]
fn plan_check_validates_the_map() {
    let dir = std::env::temp_dir().join(format!("qingshan-cli-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("plan.toml");
    std::fs::write(&path, qingshan_plan::XINZHOU_TOML).unwrap();
    let geo = dir.join("xinzhou-divisions.geojson");
    std::fs::write(&geo, qingshan_plan::map::XINZHOU_DIVISIONS_GEOJSON).unwrap();
    let out = qingshan(&["plan", "check", path.to_str().unwrap()]);
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(
        text.contains("地图：xinzhou-divisions.geojson（GCJ-02，14 个区县边界"),
        "{text}"
    );

    // 偏关县 dropped: the check names the missing county.
    let doc: serde_json::Value =
        serde_json::from_str(qingshan_plan::map::XINZHOU_DIVISIONS_GEOJSON).unwrap();
    let mut less = doc.clone();
    less["features"]
        .as_array_mut()
        .unwrap()
        .retain(|f| f["properties"]["code"] != "140932");
    std::fs::write(&geo, less.to_string()).unwrap();
    let out = qingshan(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("缺少区县的边界：140932 偏关县"), "{err}");

    // An open ring names its feature.
    let mut open = doc;
    open["features"][3]["geometry"]["coordinates"][0]
        .as_array_mut()
        .unwrap()
        .pop();
    std::fs::write(&geo, open.to_string()).unwrap();
    let out = qingshan(&["plan", "check", path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("xinzhou-divisions.geojson:")
            && err.contains("第 4 个要素（140923 代县）：第 1 个多边形第 1 个环未闭合"),
        "{err}"
    );
}
