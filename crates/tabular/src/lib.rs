//! Spreadsheet files as tables of cell text. Pure: bytes in, text out.
//!
//! [`read_first_sheet`] reads the first worksheet of an XLSX workbook into rows of cell text,
//! and [`Sheet::to_csv`] renders them as CSV with one record per sheet row, so the CSV
//! importers read a workbook unchanged and every row number they report is the row number the
//! spreadsheet shows (row 1 is the header).
//!
//! Exactness is the point: a number's text is exactly the text stored in the file (`0.015`
//! stays `0.015`, `60` stays `60`, never `60.0` or a binary-float artifact), which is why the
//! package is read here part by part rather than through a spreadsheet library that hands out
//! floating-point numbers. The one conversion is of dates: a number in a date-formatted cell
//! becomes `YYYY-MM-DD`, since that is what the person typed and what the importers expect.
//!
//! [`read_import`] is the one way in for an import file: an XLSX workbook (told by its content,
//! whatever its name) or a CSV file in UTF-8, UTF-16 or GB18030/GBK ([`decode_csv`]), read into
//! the same [`Sheet`], whose rows are the spreadsheet's rows whatever blank lines the file had.
//!
//! Hostile files are bounded by one budget, [`Limits`], checked while reading and before
//! anything it limits is allocated: the file's size, each part's inflated size, the shared
//! strings, the cells (gaps and padding included), the characters of one cell and the text of
//! all cells once shared strings are expanded. No error repeats more than [`PREVIEW_CHARS`]
//! characters of a cell.

mod csv_text;
mod error;
pub mod headers;
mod limits;
mod package;
mod styles;
mod worksheet;
mod xml;

pub use csv_text::decode_csv;
pub use error::TabularError;
pub use limits::{Limits, MAX_CELL_CHARS, MAX_FILE_BYTES, MAX_TEXT_BYTES, PREVIEW_CHARS, preview};

use package::Package;
use styles::Styles;

/// The default most bytes one part of a workbook may inflate to (64 MiB).
pub const MAX_PART_BYTES: u64 = 64 * 1024 * 1024;
/// The default most rows a sheet may use (the spreadsheet's own limit).
pub const MAX_ROWS: u32 = 1_048_576;
/// The default most columns a sheet may use (the spreadsheet's own limit, `XFD`).
pub const MAX_COLUMNS: u32 = 16_384;
/// The default most cells a sheet may span, counting the empty cells and rows between those
/// with a value, and the padding of short rows to the header's width when rendered as CSV.
pub const MAX_CELLS: usize = 1_000_000;

/// Whether `bytes` start like a ZIP package (`PK\x03\x04`), as every XLSX workbook does.
pub fn is_xlsx(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// Whether `bytes` start like an OLE compound file: the old binary `.xls` format, or an
/// encrypted (password-protected) XLSX workbook. Neither can be read here.
pub fn is_legacy_workbook(bytes: &[u8]) -> bool {
    bytes.starts_with(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
}

/// The column letter of a 0-based column index: 0 → `A`, 25 → `Z`, 26 → `AA`.
pub fn column_letter(index: usize) -> String {
    let mut n = index + 1;
    let mut out = Vec::new();
    while n > 0 {
        let rem = (n - 1) % 26;
        out.push(b'A' + rem as u8);
        n = (n - 1) / 26;
    }
    out.iter().rev().map(|&b| char::from(b)).collect()
}

/// One worksheet's cells as text.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Sheet {
    name: String,
    rows: Vec<Vec<String>>,
}

impl Sheet {
    /// A sheet from rows of cell text (`rows[0]` is row 1); for tests and other producers.
    pub fn from_rows(name: impl Into<String>, rows: Vec<Vec<String>>) -> Sheet {
        Sheet {
            name: name.into(),
            rows,
        }
    }

    /// The sheet's name (its tab).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rows, `rows()[0]` being row 1; each row ends at its last cell with a value, and
    /// trailing rows without a value are not there.
    pub fn rows(&self) -> &[Vec<String>] {
        &self.rows
    }

    /// The text of a cell (1-based row, 0-based column); empty where there is none.
    pub fn cell(&self, row: usize, column: usize) -> &str {
        row.checked_sub(1)
            .and_then(|r| self.rows.get(r))
            .and_then(|cells| cells.get(column))
            .map_or("", String::as_str)
    }

    /// The 0-based column whose header (row 1, trimmed, without a byte-order mark) is `name`.
    pub fn header_column(&self, name: &str) -> Option<usize> {
        self.rows
            .first()?
            .iter()
            .position(|h| h.trim_start_matches('\u{feff}').trim() == name)
    }

    /// The number of cells the CSV rendering holds: each row padded to the header's width.
    fn rendered_cells(&self) -> usize {
        let width = self.rows.first().map_or(0, Vec::len);
        self.rows.iter().map(|r| r.len().max(width).max(1)).sum()
    }

    /// The rows as CSV text (RFC 4180 quoting, `\n` line ends, no byte-order mark): one record
    /// per sheet row, empty rows included as records of empty fields, so that the n-th record
    /// is sheet row n. Rows are padded to the header's width; a row with values beyond it keeps
    /// them, so a CSV reader refuses it exactly as it would refuse such a CSV line.
    pub fn to_csv(&self) -> String {
        let width = self.rows.first().map_or(0, Vec::len);
        let mut out = String::new();
        for row in &self.rows {
            let n = row.len().max(width);
            if n == 0 || (n == 1 && row.first().is_none_or(String::is_empty)) {
                // A lone empty field must be quoted, or the line would be blank and skipped.
                out.push_str("\"\"\n");
                continue;
            }
            for i in 0..n {
                if i > 0 {
                    out.push(',');
                }
                let field = row.get(i).map_or("", String::as_str);
                if field.contains([',', '"', '\n', '\r']) {
                    out.push('"');
                    out.push_str(&field.replace('"', "\"\""));
                    out.push('"');
                } else {
                    out.push_str(field);
                }
            }
            out.push('\n');
        }
        out
    }
}

/// What an import file held: its first sheet (or the CSV's records) and what kind of file it was.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Import {
    sheet: Sheet,
    xlsx: bool,
}

impl Import {
    /// The table: `sheet().rows()[n - 1]` is row n as a spreadsheet shows it.
    pub fn sheet(&self) -> &Sheet {
        &self.sheet
    }

    /// The table, taken.
    pub fn into_sheet(self) -> Sheet {
        self.sheet
    }

    /// Whether the file was an XLSX workbook (so that messages can name column letters).
    pub fn is_xlsx(&self) -> bool {
        self.xlsx
    }

    /// The table as CSV for the CSV readers ([`Sheet::to_csv`]): UTF-8, one record per row,
    /// blank rows as records of empty fields, which the readers skip while counting them.
    pub fn to_csv(&self) -> String {
        self.sheet.to_csv()
    }
}

/// Reads an import file against `limits`: an XLSX workbook's first sheet
/// ([`read_first_sheet_with`]), or else a CSV file decoded by its encoding ([`decode_csv`]).
/// The old binary `.xls` format and encrypted workbooks are refused with advice.
pub fn read_import(bytes: &[u8], limits: &Limits) -> Result<Import, TabularError> {
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(TabularError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    if is_xlsx(bytes) || is_legacy_workbook(bytes) {
        return Ok(Import {
            sheet: read_first_sheet_with(bytes, limits)?,
            xlsx: true,
        });
    }
    let text = decode_csv(bytes, limits)?;
    Ok(Import {
        sheet: csv_text::read_csv(&text, limits)?,
        xlsx: false,
    })
}

/// [`read_first_sheet_with`] the default [`Limits`].
pub fn read_first_sheet(bytes: &[u8]) -> Result<Sheet, TabularError> {
    read_first_sheet_with(bytes, &Limits::default())
}

/// Reads the first worksheet of an XLSX workbook: the first visible worksheet in tab order
/// (chart sheets are skipped, and so are hidden sheets, which the person filling in the file
/// never sees), found through `xl/workbook.xml` and its relationships, whatever its part is named.
///
/// Cells become text as follows: shared and inline strings as written (rich-text runs joined,
/// phonetic guides left out); numbers exactly as stored; numbers in date-formatted cells (the
/// built-in date formats and custom formats with y, m, d, h or s) as `YYYY-MM-DD`; booleans as
/// `TRUE`/`FALSE`; formulas as their stored result. A cell holding a formula error (`#N/A`) is
/// refused, naming the cell, rather than imported as text.
///
/// Everything is read against `limits`; see [`Limits`].
pub fn read_first_sheet_with(bytes: &[u8], limits: &Limits) -> Result<Sheet, TabularError> {
    if is_legacy_workbook(bytes) {
        return Err(TabularError::LegacyWorkbook);
    }
    let size = bytes.len() as u64;
    if size > limits.max_file_bytes {
        return Err(TabularError::FileTooLarge {
            size,
            limit: limits.max_file_bytes,
        });
    }
    let mut pkg = Package::open(bytes, limits)?;
    let wb = package::workbook(&mut pkg)?;
    let shared = match &wb.shared_strings {
        Some(part) => match pkg.read(part)? {
            Some(b) => {
                worksheet::shared_strings(xml::utf8(&b, part)?, part, &wb.sheet_name, limits)?
            }
            None => worksheet::SharedStrings::default(),
        },
        None => worksheet::SharedStrings::default(),
    };
    let styles = match &wb.styles {
        Some(part) => match pkg.read(part)? {
            Some(b) => Styles::parse(xml::utf8(&b, part)?, part)?,
            None => Styles::default(),
        },
        None => Styles::default(),
    };
    let bytes = pkg.require(&wb.sheet_part)?;
    let cx = worksheet::Context {
        sheet: &wb.sheet_name,
        part: &wb.sheet_part,
        shared: &shared,
        styles: &styles,
        date1904: wb.date1904,
        limits,
    };
    let rows = worksheet::cells(xml::utf8(&bytes, &wb.sheet_part)?, &cx)?;
    let sheet = Sheet {
        name: wb.sheet_name.clone(),
        rows,
    };
    if sheet.rendered_cells() > limits.max_cells {
        return Err(TabularError::SheetTooLarge {
            sheet: sheet.name,
            what: format!("按表头宽度补齐后超过 {} 个单元格", limits.max_cells),
        });
    }
    Ok(sheet)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn column_letters() {
        assert_eq!(column_letter(0), "A");
        assert_eq!(column_letter(3), "D");
        assert_eq!(column_letter(25), "Z");
        assert_eq!(column_letter(26), "AA");
        assert_eq!(column_letter(701), "ZZ");
        assert_eq!(column_letter(702), "AAA");
        assert_eq!(column_letter(16_383), "XFD");
    }

    #[test]
    fn csv_keeps_one_record_per_row() {
        let s = |v: &[&str]| v.iter().map(|c| c.to_string()).collect::<Vec<_>>();
        let sheet = Sheet::from_rows(
            "t",
            vec![
                s(&["a", "b", "c"]),
                s(&["1"]),
                vec![],
                s(&["x,y", "say \"hi\"", "two\nlines"]),
                s(&["", "", "", "extra"]),
            ],
        );
        assert_eq!(
            sheet.to_csv(),
            "a,b,c\n1,,\n,,\n\"x,y\",\"say \"\"hi\"\"\",\"two\nlines\"\n,,,extra\n"
        );
        let single = Sheet::from_rows("t", vec![s(&["h"]), vec![], s(&["v"])]);
        assert_eq!(single.to_csv(), "h\n\"\"\nv\n");
        assert_eq!(sheet.cell(4, 0), "x,y");
        assert_eq!(sheet.cell(0, 0), "");
        assert_eq!(sheet.cell(3, 2), "");
        assert_eq!(sheet.header_column("c"), Some(2));
    }

    #[test]
    fn magic_bytes() {
        assert!(is_xlsx(b"PK\x03\x04rest"));
        assert!(!is_xlsx(b"credit_code,name\n"));
        assert!(is_legacy_workbook(&[
            0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0
        ]));
        assert_eq!(
            read_first_sheet(&[0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1])
                .map_err(|e| e.kind()),
            Err("legacy_workbook")
        );
        assert_eq!(
            read_first_sheet(b"PK\x03\x04garbage").map_err(|e| e.kind()),
            Err("zip")
        );
    }
}
