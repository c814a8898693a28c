//! What the test suites share, so that every suite follows one rule:
//!
//! - **A missing dependency** (PostgreSQL, Chromium, poppler, a CJK font) skips a test loudly on
//!   a developer's machine and fails it under CI ([`require`]): CI installs everything, so a
//!   skip there would be a test that silently stopped testing.
//! - **The backend** of the server suites is chosen by `QINGSHAN_TEST_BACKEND` (`sqlite`, the
//!   default, or `postgres`, which needs `TEST_DATABASE_URL`); [`scratch_db`] gives each test a
//!   database of its own on it and removes it afterwards.
//! - **Temporary files** are removed when the test is done ([`TempPath`]).
//!
//! Test support only: panics are the way it reports.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::path::{Path, PathBuf};

/// Whether this run is CI's: `CI` set to anything but empty, `0` or `false`.
pub fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| !matches!(v.trim(), "" | "0" | "false" | "FALSE"))
}

/// `present`, or else: under CI a panic naming `what` is missing; elsewhere a loud line saying
/// the test was skipped and how to run it, and `false`.
pub fn require(present: bool, what: &str, how_to_get_it: &str) -> bool {
    if present {
        return true;
    }
    if under_ci() {
        panic!("CI 环境缺少 {what}：{how_to_get_it}。CI 必须运行这项测试，不能跳过。");
    }
    eprintln!("\n!!! SKIPPED: {what} 不可用（{how_to_get_it}），本测试未运行 !!!\n");
    false
}

/// The first of `candidates` that exists as a file, or one found on `PATH` by that name.
pub fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    for c in candidates {
        let p = Path::new(c);
        if p.is_absolute() {
            if p.is_file() {
                return Some(p.to_path_buf());
            }
            continue;
        }
        let path = std::env::var_os("PATH")?;
        for dir in std::env::split_paths(&path) {
            let full = dir.join(c);
            if full.is_file() {
                return Some(full);
            }
        }
    }
    None
}

/// A program the test needs, by [`require`]'s rule: `None` means skip (never under CI).
pub fn required_program(candidates: &[&str], what: &str, how_to_get_it: &str) -> Option<PathBuf> {
    let found = find_program(candidates);
    require(found.is_some(), what, how_to_get_it);
    found
}

/// A file or folder in the temporary directory, removed (with SQLite's `-wal`/`-shm`
/// companions) when dropped.
#[derive(Debug)]
pub struct TempPath(PathBuf);

impl TempPath {
    /// A new unique path `qingshan-{tag}-{uuid}{suffix}`; nothing is created.
    pub fn new(tag: &str, suffix: &str) -> TempPath {
        TempPath(std::env::temp_dir().join(format!(
            "qingshan-{tag}-{}{suffix}",
            uuid::Uuid::new_v4().simple()
        )))
    }

    /// The path.
    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempPath {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
            return;
        }
        let _ = std::fs::remove_file(&self.0);
        for companion in ["-wal", "-shm", "-journal"] {
            let mut p = self.0.clone().into_os_string();
            p.push(companion);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

/// The storage backend a suite runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite, a file per test.
    Sqlite,
    /// PostgreSQL at `TEST_DATABASE_URL`, a database per test.
    Postgres,
}

/// The backend chosen by `QINGSHAN_TEST_BACKEND` (default SQLite).
pub fn backend() -> Backend {
    match std::env::var("QINGSHAN_TEST_BACKEND")
        .as_deref()
        .map(str::trim)
    {
        Ok("postgres" | "postgresql" | "pg") => Backend::Postgres,
        Ok("" | "sqlite") | Err(_) => Backend::Sqlite,
        Ok(other) => panic!("QINGSHAN_TEST_BACKEND={other}：只能是 sqlite 或 postgres"),
    }
}

/// The PostgreSQL server tests may create databases on, by [`require`]'s rule.
pub fn postgres_admin_url() -> Option<String> {
    let url = std::env::var("TEST_DATABASE_URL")
        .ok()
        .filter(|u| u.starts_with("postgres"));
    require(
        url.is_some(),
        "PostgreSQL",
        "设置 TEST_DATABASE_URL=postgres://…（.ci/run 会启动一个临时服务器）",
    );
    url
}

/// A test's own database: its URL, and removal when dropped (a PostgreSQL database is dropped
/// with `FORCE`, a SQLite file deleted).
#[derive(Debug)]
pub struct ScratchDb {
    url: String,
    kind: Scratch,
}

#[derive(Debug)]
enum Scratch {
    /// Held for its `Drop`, which removes the file.
    Sqlite(#[allow(dead_code)] TempPath),
    Postgres {
        admin_url: String,
        name: String,
    },
}

impl ScratchDb {
    /// The database URL to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Which backend it is on.
    pub fn backend(&self) -> Backend {
        match self.kind {
            Scratch::Sqlite(_) => Backend::Sqlite,
            Scratch::Postgres { .. } => Backend::Postgres,
        }
    }
}

impl Drop for ScratchDb {
    fn drop(&mut self) {
        if let Scratch::Postgres { admin_url, name } = &self.kind {
            let (admin_url, name) = (admin_url.clone(), name.clone());
            // Drop may run inside a tokio runtime, where blocking on another is not allowed.
            let _ = std::thread::spawn(move || {
                let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                else {
                    return;
                };
                rt.block_on(async move {
                    use sqlx::Connection;
                    if let Ok(mut c) = sqlx::PgConnection::connect(&admin_url).await {
                        let _ = sqlx::query(&format!(
                            "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                        ))
                        .execute(&mut c)
                        .await;
                    }
                });
            })
            .join();
        }
    }
}

/// A fresh, empty database for one test on [`backend`]; `None` when PostgreSQL was chosen but
/// is not available outside CI (the test is then skipped, loudly).
pub async fn scratch_db(tag: &str) -> Option<ScratchDb> {
    scratch_db_on(backend(), tag).await
}

/// A fresh, empty database on `backend`.
pub async fn scratch_db_on(backend: Backend, tag: &str) -> Option<ScratchDb> {
    match backend {
        Backend::Sqlite => {
            let file = TempPath::new(tag, ".db");
            Some(ScratchDb {
                url: format!("sqlite://{}", file.path().display()),
                kind: Scratch::Sqlite(file),
            })
        }
        Backend::Postgres => {
            let admin_url = postgres_admin_url()?;
            let name = format!("t_{}", uuid::Uuid::new_v4().simple());
            use sqlx::Connection;
            let mut c = sqlx::PgConnection::connect(&admin_url)
                .await
                .expect("连接 TEST_DATABASE_URL 失败");
            sqlx::query(&format!("CREATE DATABASE \"{name}\""))
                .execute(&mut c)
                .await
                .expect("CREATE DATABASE 失败");
            let _ = c.close().await;
            let base = admin_url
                .split_once('?')
                .map_or(admin_url.as_str(), |(b, _)| b);
            let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
            Some(ScratchDb {
                url: format!("{base}/{name}"),
                kind: Scratch::Postgres { admin_url, name },
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn temp_paths_clean_up() {
        let t = TempPath::new("testkit", ".db");
        std::fs::write(t.path(), b"x").unwrap();
        let mut wal = t.path().to_path_buf().into_os_string();
        wal.push("-wal");
        std::fs::write(&wal, b"x").unwrap();
        let p = t.path().to_path_buf();
        drop(t);
        assert!(!p.exists() && !PathBuf::from(wal).exists());
    }

    #[test]
    fn programs_are_found_on_path() {
        assert!(find_program(&["sh"]).is_some());
        assert!(find_program(&["/nonexistent/qingshan-nothing"]).is_none());
    }

    #[tokio::test]
    async fn postgres_scratch_databases_are_dropped() {
        let Some(db) = scratch_db_on(Backend::Postgres, "testkit").await else {
            return;
        };
        use sqlx::Connection;
        let mut c = sqlx::PgConnection::connect(db.url()).await.unwrap();
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut c)
            .await
            .unwrap();
        assert_eq!(one, 1);
        c.close().await.unwrap();
        let name = db.url().rsplit('/').next().unwrap().to_string();
        drop(db);
        let admin = postgres_admin_url().unwrap();
        let mut a = sqlx::PgConnection::connect(&admin).await.unwrap();
        let left: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
            .bind(&name)
            .fetch_one(&mut a)
            .await
            .unwrap();
        assert_eq!(left, 0);
    }
}
