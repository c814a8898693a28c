//! Opening a database that must already exist (backup): a mistyped SQLite path must not
//! create an empty database and then a stray copy of it.

use std::str::FromStr;

use sqlx::sqlite::SqliteConnectOptions;

use crate::{Result, Store, StoreError};

impl Store {
    /// Opens a store like [`Store::connect`], but refuses a SQLite file that does not exist
    /// instead of creating it. PostgreSQL URLs are opened as they are (the server says whether
    /// the database exists).
    pub async fn connect_existing(url: &str) -> Result<Store> {
        if url.starts_with("sqlite:") && !url.contains(":memory:") {
            let opts = SqliteConnectOptions::from_str(url)
                .map_err(|_| StoreError::InvalidUrl(url.to_string()))?;
            let path = opts.get_filename();
            if !path.is_file() {
                return Err(StoreError::NotFound(format!(
                    "数据库文件 {}（请检查 --db 的路径；未创建任何文件）",
                    path.display()
                )));
            }
        }
        Store::connect(url).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_missing_sqlite_file_is_refused_and_not_created() {
        let path = std::env::temp_dir().join(format!("qingshan-typo-{}.db", std::process::id()));
        let _ = std::fs::remove_file(&path);
        let url = format!("sqlite://{}", path.display());
        let err = Store::connect_existing(&url).await.err();
        assert!(
            matches!(err, Some(StoreError::NotFound(ref m)) if m.contains("数据库文件")),
            "{err:?}"
        );
        assert!(!path.exists());
        // Once it exists it opens.
        drop(Store::connect(&url).await.map_err(|e| e.to_string()));
        assert!(Store::connect_existing(&url).await.is_ok());
        let _ = std::fs::remove_file(&path);
    }
}
