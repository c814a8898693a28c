//! An upload form's parts: the CSRF token and one file, read within the body limit of the
//! route (axum's default 2 MB, the same as the values import).

use axum::extract::Multipart;

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
