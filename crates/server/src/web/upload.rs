//! An upload form's parts: the CSRF token and one file, read within the body limit of the
//! route (axum's default 2 MB, the same as the values import).

use std::collections::HashMap;

use axum::extract::Multipart;
use axum::extract::multipart::MultipartError;
use axum::http::StatusCode;
use qingshan_app::evidence::{Files, MAX_FIELD_BYTES, MAX_FILES, Received, fmt_size};

use crate::web::error::AppError;

/// What an upload form sent.
#[derive(Debug, Default)]
pub struct Upload {
    /// The `csrf_token` field.
    pub csrf: Option<String>,
    /// The `file` part's bytes (empty when none was chosen).
    pub file: Vec<u8>,
}

/// Reads the `csrf_token` field and the `file` part of a multipart form; a body over the
/// route's limit or a broken form is refused as invalid.
pub async fn read(mut multipart: Multipart) -> Result<Upload, AppError> {
    let mut up = Upload::default();
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(too_large_or_invalid(e.status().as_u16())),
        };
        match field.name() {
            Some("csrf_token") => up.csrf = field.text().await.ok(),
            Some("file") => {
                up.file = field
                    .bytes()
                    .await
                    .map_err(|e| too_large_or_invalid(e.status().as_u16()))?
                    .to_vec();
            }
            _ => {}
        }
    }
    Ok(up)
}

fn too_large_or_invalid(status: u16) -> AppError {
    if status == 413 {
        AppError::TooLarge("上传的文件超过大小限制（2 MB）".into())
    } else {
        AppError::invalid("file", "上传表单无法读取，请重新选择文件后提交")
    }
}

/// RFC 5987 attr-char: what a `filename*` value keeps as is; everything else is percent-encoded.
const ATTR_CHAR: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
    .remove(b'!')
    .remove(b'#')
    .remove(b'$')
    .remove(b'&')
    .remove(b'+')
    .remove(b'-')
    .remove(b'.')
    .remove(b'^')
    .remove(b'_')
    .remove(b'`')
    .remove(b'|')
    .remove(b'~');

/// `Content-Disposition: attachment` with an ASCII fallback name and the UTF-8 one (RFC 6266,
/// RFC 5987 `filename*`).
pub fn content_disposition(name: &str) -> String {
    let fallback: String = name
        .chars()
        .map(|c| {
            if (c.is_ascii_graphic() || c == ' ') && !matches!(c, '"' | '\\' | '%' | ';') {
                c
            } else {
                '_'
            }
        })
        .collect();
    let encoded = percent_encoding::utf8_percent_encode(name, ATTR_CHAR);
    format!("attachment; filename=\"{fallback}\"; filename*=UTF-8''{encoded}")
}

/// An evidence upload form as received (task reports, data marks): its text fields and its
/// files, within the limits of `qingshan_app::evidence`.
#[derive(Default)]
pub struct EvidenceForm {
    /// Text fields by name (the last of a name wins).
    pub fields: HashMap<String, String>,
    /// Every text field in the order sent (check boxes send one name several times).
    pub sent: Vec<(String, String)>,
    /// File parts.
    pub files: Files,
}

impl EvidenceForm {
    /// Every value sent under `name`, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.sent
            .iter()
            .filter(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
            .collect()
    }
}

fn multipart_error(e: MultipartError, max_file: usize) -> AppError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        AppError::TooLarge(format!(
            "上传内容过大：每个文件不超过 {}，每次最多 {MAX_FILES} 个文件",
            fmt_size(max_file as u64)
        ))
    } else {
        tracing::debug!(error = %e.body_text(), "unreadable multipart upload");
        AppError::invalid("body", "上传内容无法解析，请重新选择文件上传")
    }
}

/// Reads a multipart form. A file past `max_file` is still read to its end, and dropped: the
/// client then gets the refusal rather than a connection reset in the middle of sending.
pub async fn read_evidence_form(
    mut mp: Multipart,
    max_file: usize,
) -> Result<EvidenceForm, AppError> {
    let mut up = EvidenceForm::default();
    loop {
        let mut field = match mp.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => return Err(multipart_error(e, max_file)),
        };
        let name = field.name().unwrap_or_default().to_string();
        match field.file_name().map(str::to_string) {
            Some(file_name) => {
                let keep = up.files.list.len() < MAX_FILES;
                let mut bytes = Vec::new();
                let mut size = 0u64;
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(e, max_file))?
                {
                    size += chunk.len() as u64;
                    if keep && size <= max_file as u64 {
                        bytes.extend_from_slice(&chunk);
                    }
                }
                // A file input left empty still sends a part, with no name and no content.
                if file_name.is_empty() && size == 0 {
                    continue;
                }
                if keep {
                    up.files.list.push(Received {
                        name: file_name,
                        bytes,
                        size,
                    });
                } else {
                    up.files.extra += 1;
                }
            }
            None => {
                let mut text = Vec::new();
                while let Some(chunk) = field
                    .chunk()
                    .await
                    .map_err(|e| multipart_error(e, max_file))?
                {
                    if text.len() + chunk.len() > MAX_FIELD_BYTES {
                        return Err(AppError::invalid(&name, "内容过长"));
                    }
                    text.extend_from_slice(&chunk);
                }
                let text = String::from_utf8(text)
                    .map_err(|_| AppError::invalid(&name, "不是有效的 UTF-8 文本"))?;
                up.sent.push((name.clone(), text.clone()));
                up.fields.insert(name, text);
            }
        }
    }
    Ok(up)
}
