//! Downloads: files the pages and the API hand out as attachments.

use axum::http::{HeaderValue, header};
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

/// A stored evidence file (uploaded by a user) as a download: its own media type and name,
/// never sniffed by the browser, and not kept in shared caches.
pub fn stored_file(
    content: Vec<u8>,
    content_type: &str,
    file_name: &str,
) -> Result<Response, AppError> {
    let value = |v: &str| HeaderValue::from_str(v).map_err(|e| AppError::Internal(e.to_string()));
    let mut resp = content.into_response();
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, value(content_type)?);
    h.insert(
        header::CONTENT_DISPOSITION,
        value(&crate::web::upload::content_disposition(file_name))?,
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, no-store"),
    );
    Ok(resp)
}
