//! `qingshan backup`: a consistent copy of a live SQLite database that opens on its own.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::process::Command;

fn qingshan(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args(args)
        .env("QINGSHAN_PASSWORD", "Backup-2026")
        .env_remove("QINGSHAN_DB")
        .output()
        .unwrap()
}

/// The first administrator is held to the web's password rule too.
#[test]
fn user_add_refuses_a_weak_password() {
    let dir = std::env::temp_dir().join(format!("qingshan-weak-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("u.db").display());
    let out = Command::new(env!("CARGO_BIN_EXE_qingshan"))
        .args([
            "user",
            "add",
            "--username",
            "root",
            "--role",
            "admin",
            "--db",
            &db,
        ])
        .env("QINGSHAN_PASSWORD", "password")
        .env_remove("QINGSHAN_DB")
        .output()
        .unwrap();
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("至少三类"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn backup_copies_the_database_and_never_overwrites() {
    let dir = std::env::temp_dir().join(format!("qingshan-backup-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let db = format!("sqlite://{}", dir.join("live.db").display());
    let copy = dir.join("copy.db");
    let out = qingshan(&[
        "user",
        "add",
        "--username",
        "keeper",
        "--role",
        "staff",
        "--db",
        &db,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let out = qingshan(&["backup", "-o", copy.to_str().unwrap(), "--db", &db]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // The copy stands alone: its accounts and audit log are there.
    let copy_db = format!("sqlite://{}", copy.display());
    let list = qingshan(&["user", "list", "--db", &copy_db]);
    assert!(String::from_utf8_lossy(&list.stdout).contains("keeper"));

    // A second backup to the same file is refused and leaves it as it was.
    let before = std::fs::metadata(&copy).unwrap().len();
    let again = qingshan(&["backup", "-o", copy.to_str().unwrap(), "--db", &db]);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("已存在"));
    assert_eq!(std::fs::metadata(&copy).unwrap().len(), before);
    let _ = std::fs::remove_dir_all(&dir);
}

/// Issue 12 row 16: a mistyped `--db` is refused in Chinese and creates neither a database
/// nor a backup file.
#[test]
fn backup_refuses_a_database_that_does_not_exist() {
    let dir = std::env::temp_dir().join(format!("qingshan-typo-{}", uuid::Uuid::new_v4()));
    std::fs::create_dir_all(&dir).unwrap();
    let typo = dir.join("typo.db");
    let copy = dir.join("copy.db");
    let out = qingshan(&[
        "backup",
        "-o",
        copy.to_str().unwrap(),
        "--db",
        &format!("sqlite://{}", typo.display()),
    ]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("数据库文件") && err.contains("typo.db"),
        "{err}"
    );
    assert!(!typo.exists(), "the mistyped database was created");
    assert!(!copy.exists(), "a backup of nothing was written");
    assert_eq!(std::fs::read_dir(&dir).unwrap().count(), 0);
    let _ = std::fs::remove_dir_all(&dir);
}
