//! The budget an import file is read against, and how much of a cell an error may repeat.

use std::borrow::Cow;

/// The budget one import file is read against. Every limit is checked while reading, before
/// the thing it limits is allocated, so a file that would blow one is refused at bounded memory.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    /// The most bytes the file itself may have (CSV or XLSX, as received).
    pub max_file_bytes: u64,
    /// The most bytes one part of a workbook may inflate to; the whole part is held while it
    /// is parsed, so this bounds the memory of reading it.
    pub max_part_bytes: u64,
    /// The most bytes of text all cells together may hold once shared strings are expanded,
    /// and the most the shared-string table itself may hold.
    pub max_text_bytes: u64,
    /// The most cells a sheet may span, counting the empty cells and rows between those with a
    /// value and the padding of short rows to the header's width; also the most shared strings.
    pub max_cells: usize,
    /// The most characters one cell may hold.
    pub max_cell_chars: usize,
    /// The most rows a sheet may use.
    pub max_rows: u32,
    /// The most columns a sheet may use.
    pub max_columns: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_file_bytes: MAX_FILE_BYTES,
            max_part_bytes: crate::MAX_PART_BYTES,
            max_text_bytes: MAX_TEXT_BYTES,
            max_cells: crate::MAX_CELLS,
            max_cell_chars: MAX_CELL_CHARS,
            max_rows: crate::MAX_ROWS,
            max_columns: crate::MAX_COLUMNS,
        }
    }
}

/// The default most bytes of a file (32 MiB): a registry of 40,000 rows is about 10 MB.
pub const MAX_FILE_BYTES: u64 = 32 * 1024 * 1024;
/// The default most bytes of expanded cell text (32 MiB).
pub const MAX_TEXT_BYTES: u64 = 32 * 1024 * 1024;
/// The default most characters of one cell: Excel's own limit.
pub const MAX_CELL_CHARS: usize = 32_767;

/// How many characters of a cell an error message repeats.
pub const PREVIEW_CHARS: usize = 100;

/// `text` as an error message may repeat it: the first [`PREVIEW_CHARS`] characters, with `…`
/// when there was more, so that no message echoes a huge cell back.
pub fn preview(text: &str) -> Cow<'_, str> {
    match text.char_indices().nth(PREVIEW_CHARS) {
        None => Cow::Borrowed(text),
        Some((end, _)) => Cow::Owned(format!("{}…", &text[..end])),
    }
}

/// A byte count for messages: `32 MiB` when it is a whole number of MiB, bytes otherwise.
pub(crate) fn bytes_text(n: u64) -> String {
    const MIB: u64 = 1024 * 1024;
    if n >= MIB && n.is_multiple_of(MIB) {
        format!("{} MiB", n / MIB)
    } else {
        format!("{n} 字节")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn previews_stop_at_a_hundred_characters() {
        assert_eq!(preview("短"), "短");
        let exact = "汉".repeat(PREVIEW_CHARS);
        assert_eq!(preview(&exact), exact);
        let long = "汉".repeat(PREVIEW_CHARS + 1);
        assert_eq!(preview(&long), format!("{exact}…"));
        assert_eq!(bytes_text(32 * 1024 * 1024), "32 MiB");
        assert_eq!(bytes_text(1000), "1000 字节");
    }
}
