//! `qingshan report assess` on the Xinzhou plan with values for 2021–2024: HTML, XLSX and a PDF
//! whose Chinese font is embedded.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use qingshan_store::{Actor, InputKey, NewIndicatorValue, NewTaskReport, Store, TaskStatus};

async fn seed(db: &str) {
    let store = Store::connect(db).await.unwrap();
    store.migrate().await.unwrap();
    let plan = qingshan_plan::xinzhou().unwrap();
    store
        .sync_plan(&plan, qingshan_plan::XINZHOU_TOML)
        .await
        .unwrap();
    let series: &[(i64, &str, [&str; 4])] = &[
        (6, "140900", ["14.80", "15.30", "15.90", "16.40"]), // 森林覆盖率, on track to 16.71
        (7, "140900", ["60.00", "60.10", "60.15", "60.20"]), // 水土保持率, slow
        (12, "140900", ["42", "40", "41", "38"]),            // PM2.5, province target below
        (13, "140900", ["80.0", "83.3", "83.3", "87.5"]),    // 国考断面 Ⅲ类比例: target met
        (17, "140900", ["48.0", "47.5", "47.0", "46.0"]),    // 污水收集率: going backwards
        (17, "140902", ["40.0", "45.0", "50.0", "55.0"]),    // 忻府区
    ];
    for (n, div, vals) in series {
        for (i, v) in vals.iter().enumerate() {
            let new = NewIndicatorValue {
                plan_id: plan.meta.id.clone(),
                indicator_number: *n,
                year: 2021 + i as i64,
                division_code: div.to_string(),
                value: v.to_string(),
                note: None,
                reason: None,
                source: "manual".into(),
                capture: None,
            };
            store
                .record_indicator_value(&new, &Actor::cli())
                .await
                .unwrap();
        }
    }
    store
        .record_assigned_target(
            InputKey {
                plan_id: &plan.meta.id,
                indicator: 12,
                year: 2024,
                division: "140900",
            },
            "39",
            Some("省下达"),
            &Actor::cli(),
        )
        .await
        .unwrap();
    store
        .record_judgement(
            InputKey {
                plan_id: &plan.meta.id,
                indicator: 16,
                year: 2024,
                division: "140900",
            },
            true,
            "重点建设用地均完成调查评估",
            &Actor::cli(),
        )
        .await
        .unwrap();
    let t = NewTaskReport {
        plan_id: plan.meta.id.clone(),
        area: 3,
        number: 2,
        period: "2024".into(),
        status: TaskStatus::InProgress,
        narrative: "入河排污口整治推进中".into(),
    };
    store.record_task_report(&t, &Actor::cli()).await.unwrap();
}

fn assess(db: &str, format: &str, out: &std::path::Path, extra: &[&str]) {
    let o = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "report",
            "assess",
            "--year",
            "2024",
            "--format",
            format,
            "-o",
            out.to_str().unwrap(),
            "--db",
            db,
        ])
        .args(extra)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn writes_html_xlsx_and_pdf_for_2024() {
    let tmp = qingshan_testkit::TempPath::new("assess", "");
    let dir = tmp.path().to_path_buf();
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("a.db").display());
    seed(&db).await;

    let html = dir.join("r.html");
    assess(
        &db,
        "html",
        &html,
        &[
            "--date",
            "2025-03-31",
            "--unit",
            "忻州市美丽忻州建设领导小组办公室",
        ],
    );
    let text = std::fs::read_to_string(&html).unwrap();
    assert!(text.contains("森林覆盖率") && text.contains("2024年度实施进展评估报告"));
    assert!(text.contains("编制单位：忻州市美丽忻州建设领导小组办公室"));
    assert!(text.contains("2025年3月31日"));

    // A date not written YYYY-MM-DD is refused, in Chinese, naming it.
    let o = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "report",
            "assess",
            "--year",
            "2024",
            "--format",
            "html",
            "--date",
            "2025/3/31",
            "-o",
        ])
        .arg(dir.join("bad.html"))
        .args(["--db", &db])
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("日期「2025/3/31」格式不对"));
    for label in ["已达标", "倒退", "无数据"] {
        assert!(text.contains(label), "report lacks {label}");
    }

    let xlsx = dir.join("r.xlsx");
    assess(&db, "xlsx", &xlsx, &[]);
    let bytes = std::fs::read(&xlsx).unwrap();
    assert_eq!(&bytes[..2], b"PK");

    let pdf = dir.join("r.pdf");
    if !qingshan_testkit::require(
        qingshan_report::find_cjk_font().is_some(),
        "CJK 字体",
        "apt-get install fonts-wqy-microhei",
    ) {
        return;
    }
    assess(&db, "pdf", &pdf, &[]);
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF-"));
    let poppler = |tool: &str| {
        qingshan_testkit::required_program(&[tool], tool, "apt-get install poppler-utils")
    };
    if let Some(pdffonts) = poppler("pdffonts") {
        let o = Command::new(pdffonts).arg(&pdf).output().unwrap();
        let fonts = String::from_utf8_lossy(&o.stdout).to_string();
        let line = fonts
            .lines()
            .find(|l| l.contains("WenQuanYi") || l.contains("Noto"))
            .expect("CJK font listed");
        assert!(line.contains(" yes "), "font not embedded: {line}");
    }
    if let Some(pdftotext) = poppler("pdftotext") {
        let o = Command::new(pdftotext)
            .args([pdf.to_str().unwrap(), "-"])
            .output()
            .unwrap();
        assert!(o.status.success(), "pdftotext failed");
        let t = String::from_utf8_lossy(&o.stdout);
        assert!(
            t.contains("森林覆盖率"),
            "Chinese text not extractable from the PDF"
        );
        // Without --unit the cover names the city's bureau.
        assert!(t.contains("编制单位：忻州市生态环境局"), "{t}");
    }
}
