//! `qingshan demo` starts on a new demo database, serves pages marked 演示数据 with the sample
//! data, and stops cleanly on SIGTERM; it refuses a database that is not a demo one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn temp(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("qingshan-demo-cli-{}-{name}", uuid::Uuid::new_v4()))
}

/// A plain HTTP/1.1 GET: status line and body.
fn get(addr: &str, path: &str) -> String {
    let mut s = TcpStream::connect(addr).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = Vec::new();
    s.read_to_end(&mut out).unwrap();
    String::from_utf8_lossy(&out).into_owned()
}

#[test]
fn demo_starts_serves_marked_pages_and_stops_cleanly() {
    let db = temp("demo.db");
    let url = format!("sqlite://{}", db.display());
    let mut child = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "demo",
            "--addr",
            "127.0.0.1:0",
            "--devices",
            "3",
            "--db",
            &url,
        ])
        .env("QINGSHAN_LOG", "warn")
        .env_remove("QINGSHAN_DB")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdout = BufReader::new(child.stdout.take().unwrap());
    let mut seen = String::new();
    let started = Instant::now();
    let addr = loop {
        let mut line = String::new();
        if stdout.read_line(&mut line).unwrap() == 0 {
            let _ = child.kill();
            panic!("demo ended before listening: {seen}");
        }
        seen.push_str(&line);
        if let Some(rest) = line.strip_prefix("listening on http://") {
            break rest.split('/').next().unwrap().to_string();
        }
        assert!(started.elapsed() < Duration::from_secs(120), "{seen}");
    };
    // The accounts are printed once, with their passwords.
    assert!(seen.contains("demo-admin"), "{seen}");
    assert!(seen.contains("CC BY 4.0"), "{seen}");
    let home = get(&addr, "/");
    assert!(home.starts_with("HTTP/1.1 200"), "{home}");
    assert!(home.contains("id=\"demo-banner\""), "{home}");
    let sources = get(&addr, "/sources");
    assert!(sources.contains("演示·忻府热电有限公司"), "{sources}");

    let pid = child.id().to_string();
    assert!(
        Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success()
    );
    let status = child.wait().unwrap();
    let mut rest = String::new();
    stdout.read_to_string(&mut rest).unwrap();
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    assert!(status.success(), "{status}: {rest}{stderr}");
    assert!(rest.contains("演示已停止"), "{rest}");
    // The passwords went to the terminal only, never to the log.
    let password = seen
        .lines()
        .find(|l| l.trim_start().starts_with("demo-admin"))
        .and_then(|l| l.split_whitespace().nth(1))
        .unwrap()
        .to_string();
    assert!(!stderr.contains(&password));

    // Started again on the same demo database: reused, not refilled.
    let again = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "demo",
            "--addr",
            "127.0.0.1:0",
            "--devices",
            "4",
            "--db",
            &url,
        ])
        .env("QINGSHAN_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        !again.status.success(),
        "a fourth device is not in the demo registry"
    );
    assert!(
        String::from_utf8_lossy(&again.stderr).contains("没有模拟设备"),
        "{}",
        String::from_utf8_lossy(&again.stderr)
    );
    let _ = std::fs::remove_file(&db);
}

#[test]
fn demo_refuses_a_database_that_is_not_a_demo() {
    let db = temp("real.db");
    let url = format!("sqlite://{}", db.display());
    let stations = temp("stations.csv");
    std::fs::write(
        &stations,
        "站点编码,站点名称,控制级别,行政区划代码,经度,纬度\nS1,城区站,国控,140902,112.73,38.41\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "air",
            "stations",
            "import",
            stations.to_str().unwrap(),
            "--db",
            &url,
        ])
        .env("QINGSHAN_LOG", "warn")
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(["demo", "--addr", "127.0.0.1:0", "--db", &url])
        .env("QINGSHAN_LOG", "warn")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("不是演示数据库"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(["demo", "--db", "postgres://x@127.0.0.1/y"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    // Nothing was written to the refused database.
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let s = qingshan_store::Store::connect(&url).await.unwrap();
        assert!(s.users().await.unwrap().is_empty());
        assert!(s.audit_log(Some("demo."), 1).await.unwrap().is_empty());
        assert_eq!(s.air_stations().await.unwrap().len(), 1);
    });
    let _ = std::fs::remove_file(&db);
    let _ = std::fs::remove_file(&stations);
}
