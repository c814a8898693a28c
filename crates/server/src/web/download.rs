//! Downloads: files the pages and the API hand out as attachments.

use axum::http::header;
use axum::response::{IntoResponse, Response};
pub use qingshan_app::imports::XLSX_CONTENT_TYPE;

use crate::web::error::AppError;

/// A file as a download named `filename`, of media type `content_type`.
pub fn attachment(body: Vec<u8>, content_type: &str, filename: &str) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{filename}\""),
            ),
        ],
        body,
    )
        .into_response()
}

/// A CSV text (already carrying its byte-order mark where spreadsheets need it) as a download.
pub fn csv_attachment(body: String, filename: &str) -> Response {
    attachment(body.into_bytes(), "text/csv; charset=utf-8", filename)
}

/// A generated workbook as a download.
pub fn xlsx_attachment(
    bytes: Result<Vec<u8>, rust_xlsxwriter::XlsxError>,
    filename: &str,
) -> Result<Response, AppError> {
    let bytes = bytes.map_err(|e| AppError::Internal(format!("xlsx: {e}")))?;
    Ok(attachment(bytes, XLSX_CONTENT_TYPE, filename))
}
