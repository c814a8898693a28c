//! Import files from the command line: CSV, or an XLSX workbook recognised by its content.

use std::io::Read;
use std::path::Path;

use anyhow::{Context, bail};
use qingshan_app::imports::{self, ImportFile, TemplateColumn, TemplateNotes};

/// Reads an import file (`-` is standard input) whole: an XLSX workbook, whatever the file is
/// called, becomes its first sheet as CSV; anything else is read as CSV.
pub fn read_import(path: &Path) -> anyhow::Result<ImportFile> {
    let bytes = if path.as_os_str() == "-" {
        let mut b = Vec::new();
        std::io::stdin()
            .lock()
            .read_to_end(&mut b)
            .context("无法读取标准输入")?;
        b
    } else {
        std::fs::read(path).with_context(|| format!("无法读取 {}", path.display()))?
    };
    // Read as CSV, a damaged workbook would only yield baffling CSV errors.
    let named_xlsx = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    if named_xlsx && !qingshan_tabular::is_xlsx(&bytes) {
        bail!(
            "{}：扩展名为 .xlsx，但内容不是 XLSX 工作簿（文件可能已损坏）",
            path.display()
        );
    }
    ImportFile::from_bytes(bytes).map_err(|e| anyhow::anyhow!("{}：{e}", path.display()))
}

/// What `… template` writes: the Chinese header row as CSV (on standard output unless `-o` is
/// given), or an XLSX workbook with its 说明 sheet (`-o` required).
pub fn write_template(
    format: &str,
    output: Option<&Path>,
    columns: &[TemplateColumn],
    notes: &TemplateNotes,
) -> anyhow::Result<()> {
    let bytes = match format {
        "xlsx" => imports::template_xlsx(columns, notes)?,
        _ => imports::template_csv(columns).into_bytes(),
    };
    match output {
        Some(path) => {
            std::fs::write(path, bytes).with_context(|| format!("无法写入 {}", path.display()))?;
            println!("已写出模板 {}", path.display());
        }
        None if format == "xlsx" => bail!("XLSX 模板是二进制文件，请用 -o 指定输出文件"),
        None => {
            use std::io::Write;
            std::io::stdout().lock().write_all(&bytes)?;
        }
    }
    Ok(())
}

/// An import's failure for the terminal: the file, then every bad row on a line of its own.
pub fn not_imported(path: &Path, e: impl Into<qingshan_app::Error>) -> anyhow::Error {
    match e.into() {
        qingshan_app::Error::Rows(rows) => anyhow::anyhow!("{}：{rows}", path.display()),
        qingshan_app::Error::Invalid { message, .. } => {
            anyhow::anyhow!("{}：{message}；文件未导入", path.display())
        }
        other => anyhow::Error::new(other).context(format!("{} 未导入", path.display())),
    }
}
