//! Tables the pages offer for download, as CSV and as XLSX from one definition.

use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::web::error::AppError;

/// A downloadable table: machine column names (the CSV header), Chinese labels (the XLSX
/// header) and rows of exact text.
pub struct Table {
    /// Sheet name and file stem.
    pub name: String,
    /// (column name, Chinese label).
    pub columns: Vec<(&'static str, &'static str)>,
    /// Rows, one text per column.
    pub rows: Vec<Vec<String>>,
    /// Write plain decimals as numbers in XLSX (for analysis); off, every cell stays the exact
    /// text, for files meant to be edited and imported again.
    pub numbers: bool,
}

/// A plain decimal such as `12`, `-0.5` or `0.015`: written to XLSX as a number.
fn is_plain_decimal(s: &str) -> bool {
    let t = s.strip_prefix('-').unwrap_or(s);
    let (i, f) = t.split_once('.').unwrap_or((t, ""));
    !i.is_empty()
        && i.len() <= 12
        && f.len() <= 6
        && i.bytes().all(|b| b.is_ascii_digit())
        && f.bytes().all(|b| b.is_ascii_digit())
        && !t.ends_with('.')
        // Codes with leading zeros (section codes, dates) stay text.
        && !(i.len() > 1 && i.starts_with('0'))
}

impl Table {
    /// CSV, UTF-8 with a BOM so spreadsheet programs read the Chinese text.
    pub fn csv(&self) -> Result<Vec<u8>, AppError> {
        let err = |e: csv::Error| AppError::Internal(e.to_string());
        let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
        w.write_record(self.columns.iter().map(|(k, _)| *k))
            .map_err(err)?;
        for r in &self.rows {
            w.write_record(r.iter().map(|c| crate::web::csv_safe::cell(c).into_owned()))
                .map_err(err)?;
        }
        w.into_inner()
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// XLSX: Chinese headers (bold, frozen), numbers as numbers, the rest as text.
    pub fn xlsx(&self) -> Result<Vec<u8>, AppError> {
        use rust_xlsxwriter::{Format, Workbook};
        let err = |e: rust_xlsxwriter::XlsxError| AppError::Internal(format!("XLSX 生成失败：{e}"));
        let mut wb = Workbook::new();
        let ws = wb.add_worksheet();
        // Excel refuses sheet names over 31 characters or with []:*?/\ in them.
        let sheet: String = self
            .name
            .chars()
            .filter(|c| !matches!(c, '[' | ']' | ':' | '*' | '?' | '/' | '\\'))
            .take(31)
            .collect();
        ws.set_name(if sheet.is_empty() { "Sheet1" } else { &sheet })
            .map_err(err)?;
        let bold = Format::new().set_bold();
        for (c, (_, label)) in self.columns.iter().enumerate() {
            let col = u16::try_from(c).map_err(|_| AppError::Internal("列数过多".into()))?;
            ws.write_string_with_format(0, col, *label, &bold)
                .map_err(err)?;
            ws.set_column_width(col, (label.chars().count() as f64 * 2.2).max(10.0))
                .map_err(err)?;
        }
        ws.set_freeze_panes(1, 0).map_err(err)?;
        for (r, row) in self.rows.iter().enumerate() {
            let rr = u32::try_from(r + 1).map_err(|_| AppError::Internal("行数过多".into()))?;
            for (c, v) in row.iter().enumerate() {
                let col = u16::try_from(c).map_err(|_| AppError::Internal("列数过多".into()))?;
                match v.parse::<f64>() {
                    Ok(x) if self.numbers && is_plain_decimal(v) => {
                        ws.write_number(rr, col, x).map_err(err)?
                    }
                    _ => ws.write_string(rr, col, v).map_err(err)?,
                };
            }
        }
        wb.save_to_buffer().map_err(err)
    }

    /// The table as a download in `format` ("csv" or "xlsx").
    pub fn download(&self, format: &str, stem: &str) -> Result<Response, AppError> {
        let (body, ctype) = match format {
            "xlsx" => (self.xlsx()?, crate::web::download::XLSX_CONTENT_TYPE),
            _ => (self.csv()?, "text/csv; charset=utf-8"),
        };
        let ext = if format == "xlsx" { "xlsx" } else { "csv" };
        Ok((
            [
                (header::CONTENT_TYPE, ctype.to_string()),
                (
                    header::CONTENT_DISPOSITION,
                    format!("attachment; filename=\"{stem}.{ext}\""),
                ),
            ],
            body,
        )
            .into_response())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_codes() {
        for n in ["0", "12", "-0.5", "0.015", "429"] {
            assert!(is_plain_decimal(n), "{n}");
        }
        for t in ["", "01", "2014-01-01", "1.", "III", "1e5", "0012"] {
            assert!(!is_plain_decimal(t), "{t}");
        }
    }
}
