//! Errors of the crate, each with a stable [`ErrorKind`].

/// Stable, machine-readable category of a [`WaterError`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    /// A header names a column that is not an accepted item.
    UnknownColumn,
    /// A header names the same column twice.
    DuplicateColumn,
    /// A required column (`id`, `water_body`) is absent.
    MissingColumn,
    /// A number cell holds text.
    NotANumber,
    /// A concentration is negative.
    NegativeValue,
    /// A number is too large or too precise to be held exactly.
    OutOfRange,
    /// The `water_body` cell is neither `river` nor `lake`.
    UnknownWaterBody,
    /// The `id` cell is empty.
    EmptyId,
    /// The CSV itself is malformed (ragged row, bad quoting, invalid UTF-8).
    MalformedCsv,
    /// Reading or writing failed.
    Io,
    /// Exact arithmetic would overflow.
    Overflow,
    /// An argument to a library function is invalid.
    InvalidArgument,
}

impl ErrorKind {
    /// Stable snake_case code for logs and APIs.
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::UnknownColumn => "unknown_column",
            ErrorKind::DuplicateColumn => "duplicate_column",
            ErrorKind::MissingColumn => "missing_column",
            ErrorKind::NotANumber => "not_a_number",
            ErrorKind::NegativeValue => "negative_value",
            ErrorKind::OutOfRange => "out_of_range",
            ErrorKind::UnknownWaterBody => "unknown_water_body",
            ErrorKind::EmptyId => "empty_id",
            ErrorKind::MalformedCsv => "malformed_csv",
            ErrorKind::Io => "io",
            ErrorKind::Overflow => "overflow",
            ErrorKind::InvalidArgument => "invalid_argument",
        }
    }
}

/// What is wrong with one cell of the input.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CellProblem {
    /// Text where a number is expected.
    #[error("`{0}` is not a number")]
    NotANumber(String),
    /// A negative concentration.
    #[error("negative value `{0}`")]
    Negative(String),
    /// Too large or too precise.
    #[error("{0}")]
    OutOfRange(String),
    /// Not `river` or `lake`.
    #[error("water body `{0}` is neither `river` nor `lake`")]
    UnknownWaterBody(String),
    /// Empty identifier.
    #[error("empty id")]
    EmptyId,
}

/// What is wrong with a header cell.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum HeaderProblem {
    /// Not `id`, `water_body` or an accepted item.
    #[error("unknown item (accepted: id, water_body, {accepted})")]
    Unknown {
        /// Comma-separated list of accepted item columns.
        accepted: String,
    },
    /// Given twice.
    #[error("column given twice")]
    Duplicate,
}

/// Every error of the crate.
#[derive(Debug, thiserror::Error)]
pub enum WaterError {
    /// A bad cell. `row` counts as a spreadsheet does (header = row 1);
    /// `column_index` is 1-based.
    #[error("row {row}, column {column_index} `{column}`: {problem}")]
    Cell {
        /// Spreadsheet row number (header is row 1).
        row: u64,
        /// 1-based column position.
        column_index: usize,
        /// Column name from the header.
        column: String,
        /// What is wrong.
        problem: CellProblem,
    },
    /// A bad header cell (row 1).
    #[error("row 1 (header), column {column_index} `{column}`: {problem}")]
    Header {
        /// 1-based column position.
        column_index: usize,
        /// The header text.
        column: String,
        /// What is wrong.
        problem: HeaderProblem,
    },
    /// A required column is absent.
    #[error("row 1 (header): missing required column `{0}`")]
    MissingColumn(&'static str),
    /// Malformed CSV; `row` counts as a spreadsheet does when known.
    #[error("row {row}: malformed CSV: {message}")]
    MalformedCsv {
        /// Spreadsheet row number (0 if unknown).
        row: u64,
        /// The parser's description.
        message: String,
    },
    /// Reading or writing failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// Exact arithmetic would overflow.
    #[error("arithmetic overflow while {0}")]
    Overflow(&'static str),
    /// An argument to a library function is invalid.
    #[error("invalid input: {0}")]
    Invalid(String),
}

impl WaterError {
    /// The stable category of this error.
    pub fn kind(&self) -> ErrorKind {
        match self {
            WaterError::Cell { problem, .. } => match problem {
                CellProblem::NotANumber(_) => ErrorKind::NotANumber,
                CellProblem::Negative(_) => ErrorKind::NegativeValue,
                CellProblem::OutOfRange(_) => ErrorKind::OutOfRange,
                CellProblem::UnknownWaterBody(_) => ErrorKind::UnknownWaterBody,
                CellProblem::EmptyId => ErrorKind::EmptyId,
            },
            WaterError::Header { problem, .. } => match problem {
                HeaderProblem::Unknown { .. } => ErrorKind::UnknownColumn,
                HeaderProblem::Duplicate => ErrorKind::DuplicateColumn,
            },
            WaterError::MissingColumn(_) => ErrorKind::MissingColumn,
            WaterError::MalformedCsv { .. } => ErrorKind::MalformedCsv,
            WaterError::Io(_) => ErrorKind::Io,
            WaterError::Overflow(_) => ErrorKind::Overflow,
            WaterError::Invalid(_) => ErrorKind::InvalidArgument,
        }
    }
}
