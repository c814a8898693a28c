//! The one application error: every handler returns it, and it becomes the HTTP response.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use qingshan_store::StoreError;

/// What went wrong in handling a request, each kind with its HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// Not signed in (401).
    #[error("请先登录")]
    Unauthenticated,
    /// Signed in, but not allowed (403).
    #[error("{0}")]
    Forbidden(String),
    /// The form or request lacks a valid CSRF token (403).
    #[error("表单已失效或缺少防伪令牌（CSRF），请刷新页面后重试")]
    Csrf,
    /// No such thing (404).
    #[error("{0}")]
    NotFound(String),
    /// Input is wrong; `field` names which part, shown by its Chinese name (422).
    #[error("{}", qingshan_app::fields::invalid_message(field, message))]
    Invalid {
        /// The offending field.
        field: String,
        /// What is wrong with it.
        message: String,
    },
    /// An import file has bad rows, each listed (422).
    #[error("{0}")]
    Rows(qingshan_app::imports::RowErrors),
    /// The write collides with existing data (409).
    #[error("{0}")]
    Conflict(String),
    /// The upload is larger than allowed (413).
    #[error("{0}")]
    TooLarge(String),
    /// An uploaded file's content is not of an accepted type (415).
    #[error("{0}")]
    UnsupportedType(String),
    /// Too many attempts (429).
    #[error("尝试次数过多，请 {0} 分钟后再试")]
    TooManyAttempts(i64),
    /// Something failed inside (500); details go to the log, not the client.
    #[error("服务器内部错误")]
    Internal(String),
}

impl AppError {
    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) | AppError::Csrf => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Invalid { .. } | AppError::Rows(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::TooManyAttempts(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            AppError::Unauthenticated => "unauthenticated",
            AppError::Forbidden(_) => "forbidden",
            AppError::Csrf => "csrf",
            AppError::NotFound(_) => "not_found",
            AppError::Invalid { .. } | AppError::Rows(_) => "invalid",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge(_) => "too_large",
            AppError::UnsupportedType(_) => "unsupported_type",
            AppError::TooManyAttempts(_) => "too_many_attempts",
            AppError::Internal(_) => "internal",
        }
    }

    /// A request body axum could not read (its rejection's English text), said in Chinese:
    /// what is wrong, the field or the line and column where serde says.
    pub fn rejected_body(text: &str) -> Self {
        let field = text
            .split('`')
            .nth(1)
            .filter(|_| text.contains("missing field"));
        let at = text.rsplit_once(" at line ").and_then(|(_, rest)| {
            let (line, col) = rest.split_once(" column ")?;
            Some(format!("（第 {line} 行第 {} 列）", col.trim()))
        });
        let what = if text.contains("JSON") || text.contains("json") {
            "请求的 JSON 内容"
        } else if text.contains("form") || text.contains("Form") {
            "提交的表单内容"
        } else {
            "请求内容"
        };
        let message = match field {
            Some(f) => format!(
                "{what}缺少字段“{}”（{f}）",
                qingshan_app::fields::field_label(f)
            ),
            None if text.contains("Content-Type") || text.contains("content type") => {
                format!("{what}的类型不对，应为 JSON（Content-Type: application/json）")
            }
            None => format!("{what}不完整或格式不正确{}", at.unwrap_or_default()),
        };
        AppError::Invalid {
            field: "body".into(),
            message,
        }
    }

    /// Shorthand for an invalid field.
    pub fn invalid(field: &str, message: impl Into<String>) -> Self {
        AppError::Invalid {
            field: field.to_string(),
            message: message.into(),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound(m) => AppError::NotFound(m),
            StoreError::Conflict(m) => AppError::Conflict(m),
            other => AppError::Internal(other.to_string()),
        }
    }
}

impl From<qingshan_app::Error> for AppError {
    fn from(e: qingshan_app::Error) -> Self {
        use qingshan_app::Error as E;
        match e {
            E::Unauthenticated => AppError::Unauthenticated,
            E::Forbidden(m) => AppError::Forbidden(m),
            E::NotFound(m) => AppError::NotFound(m),
            E::Invalid { field, message } => AppError::Invalid { field, message },
            E::Rows(rows) => AppError::Rows(rows),
            E::Conflict(m) => AppError::Conflict(m),
            E::TooLarge(m) => AppError::TooLarge(m),
            E::UnsupportedType(m) => AppError::UnsupportedType(m),
            E::Store(s) => s.into(),
            // The whole chain goes to the log; the client is told only that it failed inside.
            other => AppError::Internal(error_chain(&other)),
        }
    }
}

impl From<qingshan_app::air::AirDataError> for AppError {
    fn from(e: qingshan_app::air::AirDataError) -> Self {
        qingshan_app::Error::from(e).into()
    }
}

impl From<qingshan_app::water::WaterDataError> for AppError {
    fn from(e: qingshan_app::water::WaterDataError) -> Self {
        qingshan_app::Error::from(e).into()
    }
}

/// An error with its causes, `outer: cause: cause`, for the log.
pub fn error_chain(e: &dyn std::error::Error) -> String {
    let mut out = e.to_string();
    let mut next = e.source();
    while let Some(cause) = next {
        out.push_str(": ");
        out.push_str(&cause.to_string());
        next = cause.source();
    }
    out
}

impl From<minijinja::Error> for AppError {
    fn from(e: minijinja::Error) -> Self {
        AppError::Internal(format!("template: {e:#}"))
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(detail) = &self {
            tracing::error!(%detail, "internal error");
        }
        let mut body = serde_json::json!({ "error": self.kind(), "message": self.to_string() });
        if let AppError::Invalid { field, .. } = &self {
            body["field"] = serde_json::Value::String(field.clone());
        }
        if let AppError::Rows(rows) = &self {
            body["field"] = "file".into();
            body["errors"] = serde_json::json!(rows.errors);
            body["more"] = rows.more.into();
        }
        (self.status(), axum::Json(body)).into_response()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejected_bodies_are_said_in_chinese() {
        let e = AppError::rejected_body(
            "Failed to parse the request body as JSON: key must be a string at line 1 column 2",
        );
        assert_eq!(
            e.to_string(),
            "请求内容：请求的 JSON 内容不完整或格式不正确（第 1 行第 2 列）"
        );
        let e = AppError::rejected_body(
            "Failed to deserialize the JSON body into the target type: missing field `year` at line 1 column 20",
        );
        assert_eq!(
            e.to_string(),
            "请求内容：请求的 JSON 内容缺少字段“年份”（year）"
        );
        let e = AppError::invalid("value", "应为数字");
        assert_eq!(e.to_string(), "数值：应为数字");
    }
}
