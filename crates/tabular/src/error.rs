//! Why a workbook cannot be read.

/// An import file that cannot be read; every message names the part, the cell or the limit.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TabularError {
    /// The bytes are not a readable ZIP package, or a part cannot be inflated.
    #[error("不是有效的 XLSX 文件（{part}：{message}）")]
    Zip {
        /// The part being read, or `ZIP` for the package itself.
        part: String,
        /// Why.
        message: String,
    },
    /// The old binary `.xls` format, or a password-protected workbook (both are OLE files).
    #[error("不支持旧版 .xls 或加密的工作簿，请在 Excel 中另存为 .xlsx（不设密码）或 CSV 后再导入")]
    LegacyWorkbook,
    /// A part the workbook needs is missing.
    #[error("XLSX 文件缺少部件 {0}")]
    MissingPart(String),
    /// A part inflates to more than the limit.
    #[error("XLSX 部件 {part} 解压后超过 {limit} 字节，拒绝读取")]
    PartTooLarge {
        /// The part.
        part: String,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A part is not well-formed XML (or not UTF-8).
    #[error("XLSX 部件 {part} 的 XML 格式错误：{message}")]
    Xml {
        /// The part.
        part: String,
        /// Why, with the byte position where known.
        message: String,
    },
    /// The workbook has no worksheet.
    #[error("工作簿中没有工作表")]
    NoWorksheet,
    /// A cell reference such as `r="C5"` cannot be understood.
    #[error("工作表「{sheet}」中的单元格引用「{reference}」无效")]
    CellReference {
        /// The sheet's name.
        sheet: String,
        /// The reference as written.
        reference: String,
    },
    /// A shared-string cell points past the end of the shared-string table.
    #[error("工作表「{sheet}」{cell} 单元格：共享字符串序号 {index} 超出范围")]
    SharedString {
        /// The sheet's name.
        sheet: String,
        /// The cell, e.g. `D5`.
        cell: String,
        /// The index as written.
        index: String,
    },
    /// A cell holds a formula error such as `#N/A`; importing it as text would hide the error.
    #[error(
        "工作表「{sheet}」{cell} 单元格（第 {row} 行 {column} 列）是公式错误值 {value}，请修正后再导入"
    )]
    ErrorCell {
        /// The sheet's name.
        sheet: String,
        /// The cell, e.g. `D5`.
        cell: String,
        /// 1-based row.
        row: u32,
        /// Column letter.
        column: String,
        /// The error value, e.g. `#N/A`.
        value: String,
    },
    /// The used range is larger than an import may be.
    #[error("工作表「{sheet}」过大：{what}")]
    SheetTooLarge {
        /// The sheet's name.
        sheet: String,
        /// Which limit, in words.
        what: String,
    },
    /// The file is larger than an import may be.
    #[error("文件有 {size} 字节，超过 {limit} 字节的上限，拒绝读取")]
    FileTooLarge {
        /// The file's size, in bytes.
        size: u64,
        /// The limit, in bytes.
        limit: u64,
    },
    /// A CSV file in an encoding other than UTF-8, UTF-16 (with byte-order mark) or GB18030/GBK.
    #[error(
        "文件不是 UTF-8 或 GBK 编码的 CSV（第 {line} 行、第 {offset} 字节处{why}）；请在 Excel 或 WPS 中另存为“CSV UTF-8”或 .xlsx 后再导入"
    )]
    Encoding {
        /// 1-based line where decoding failed.
        line: u64,
        /// 0-based byte offset in the file where decoding failed.
        offset: u64,
        /// What was found there, in words.
        why: String,
    },
    /// One cell holds more text than a cell may.
    #[error("{place}超过 {limit} 个字符的上限，拒绝读取（开头为「{start}」）")]
    CellTooLong {
        /// Where: the cell, the CSV row and column, or the shared string.
        place: String,
        /// The limit, in characters.
        limit: usize,
        /// The cell's first characters, shortened with `…`.
        start: String,
    },
    /// A CSV file spans more than an import may.
    #[error("CSV 文件过大：{what}")]
    CsvTooLarge {
        /// Which limit, in words.
        what: String,
    },
}

impl TabularError {
    /// Stable machine-readable kind.
    pub fn kind(&self) -> &'static str {
        match self {
            TabularError::Zip { .. } => "zip",
            TabularError::LegacyWorkbook => "legacy_workbook",
            TabularError::MissingPart(_) => "missing_part",
            TabularError::PartTooLarge { .. } => "part_too_large",
            TabularError::Xml { .. } => "xml",
            TabularError::NoWorksheet => "no_worksheet",
            TabularError::CellReference { .. } => "cell_reference",
            TabularError::SharedString { .. } => "shared_string",
            TabularError::ErrorCell { .. } => "error_cell",
            TabularError::SheetTooLarge { .. } => "sheet_too_large",
            TabularError::FileTooLarge { .. } => "file_too_large",
            TabularError::Encoding { .. } => "encoding",
            TabularError::CellTooLong { .. } => "cell_too_long",
            TabularError::CsvTooLarge { .. } => "csv_too_large",
        }
    }
}
