//! The one error of the use cases: a stable kind for callers to branch on, a Chinese message,
//! and the cause kept as its source so a log line or the command line can show the whole chain.

use qingshan_store::StoreError;

use crate::air::AirDataError;
use crate::water::WaterDataError;

/// Why a use case did not complete.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Nobody is signed in, and the use case needs someone.
    #[error("请先登录")]
    Unauthenticated,
    /// The requester may not do this; the message says why.
    #[error("{0}")]
    Forbidden(String),
    /// No such thing.
    #[error("{0}")]
    NotFound(String),
    /// Input is wrong; `field` names which part (shown by its Chinese name).
    #[error("{}", crate::fields::invalid_message(field, message))]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// An import file has bad rows: every one listed (up to 100), nothing written.
    #[error("{0}")]
    Rows(crate::imports::RowErrors),
    /// The write collides with existing data.
    #[error("{0}")]
    Conflict(String),
    /// An uploaded file is larger than allowed.
    #[error("{0}")]
    TooLarge(String),
    /// An uploaded file's content is not of an accepted type.
    #[error("{0}")]
    UnsupportedType(String),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Stored air data cannot be read back.
    #[error("空气监测数据无法计算")]
    Air(#[source] AirDataError),
    /// Stored water data cannot be read back or evaluated.
    #[error("水质监测数据无法计算")]
    Water(#[source] WaterDataError),
    /// The assessment report could not be built from the stored inputs.
    #[error("评估报告数据无法生成")]
    Report(#[source] qingshan_report::ReportError),
    /// A workbook could not be written.
    #[error("XLSX 文件无法生成")]
    Xlsx(#[source] rust_xlsxwriter::XlsxError),
    /// A password could not be hashed.
    #[error("密码无法加密保存：{0}")]
    PasswordHash(String),
}

impl Error {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Error::Unauthenticated => "unauthenticated",
            Error::Forbidden(_) => "forbidden",
            Error::NotFound(_) => "not_found",
            Error::Invalid { .. } | Error::Rows(_) => "invalid",
            Error::Conflict(_) => "conflict",
            Error::TooLarge(_) => "too_large",
            Error::UnsupportedType(_) => "unsupported_type",
            Error::Store(_) => "store",
            Error::Air(_) => "air_data",
            Error::Water(_) => "water_data",
            Error::Report(_) => "report",
            Error::Xlsx(_) => "xlsx",
            Error::PasswordHash(_) => "password_hash",
        }
    }

    /// Shorthand for an invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<AirDataError> for Error {
    fn from(e: AirDataError) -> Self {
        match e {
            AirDataError::Store(s) => Error::Store(s),
            other => Error::Air(other),
        }
    }
}

impl From<WaterDataError> for Error {
    fn from(e: WaterDataError) -> Self {
        match e {
            WaterDataError::Store(s) => Error::Store(s),
            other => Error::Water(other),
        }
    }
}

impl From<crate::imports::RowErrors> for Error {
    fn from(e: crate::imports::RowErrors) -> Self {
        Error::Rows(e)
    }
}

/// What the use cases return.
pub type Result<T, E = Error> = std::result::Result<T, E>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cause_stays_attached() {
        use std::error::Error as _;
        let e = Error::from(AirDataError::Corrupt {
            station: "S1".into(),
            hour: "2024-01-01T00:00".into(),
            column: "so2".into(),
            value: "x".into(),
        });
        assert_eq!(e.kind(), "air_data");
        let cause = e.source().map(ToString::to_string).unwrap_or_default();
        assert!(cause.contains("S1"), "{cause}");
        let store = Error::from(AirDataError::Store(StoreError::NotFound("x".into())));
        assert_eq!(store.kind(), "store");
    }
}
