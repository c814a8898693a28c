//! A command that fails inside the app says why, cause and all: the command line prints the
//! whole chain of `qingshan_app::Error`, not the web's "服务器内部错误".

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

use qingshan_store::{Actor, NewIndicatorValue, Store};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stored_value_that_is_no_number_is_named() {
    let dir = std::env::temp_dir().join(format!("qingshan-chain-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("c.db").display());
    let store = Store::connect(&db).await.unwrap();
    store.migrate().await.unwrap();
    let plan = qingshan_plan::xinzhou().unwrap();
    store
        .sync_plan(&plan, qingshan_plan::XINZHOU_TOML)
        .await
        .unwrap();
    // The store keeps text as given; the report refuses what is not a decimal.
    let bad = NewIndicatorValue {
        plan_id: plan.meta.id.clone(),
        indicator_number: 6,
        year: 2024,
        division_code: "140900".into(),
        value: "十六".into(),
        note: None,
        reason: None,
        source: "manual".into(),
        capture: None,
    };
    store
        .record_indicator_value(&bad, &Actor::cli())
        .await
        .unwrap();
    drop(store);

    let out = dir.join("r.html");
    let o = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "report", "assess", "--year", "2024", "--format", "html", "-o",
        ])
        .arg(&out)
        .args(["--db", &db])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(!o.status.success(), "{stderr}");
    assert!(
        stderr.contains("评估报告数据无法生成: ") && stderr.contains("「十六」不是十进制数"),
        "{stderr}"
    );
    assert!(!stderr.contains("服务器内部错误"), "{stderr}");
    assert!(!out.exists());
    std::fs::remove_dir_all(&dir).unwrap();
}
