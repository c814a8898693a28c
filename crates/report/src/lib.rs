//! The annual plan-implementation assessment report (规划实施情况评估报告): a data model the
//! server fills from stored values ([`ReportData::build`]), and three renderings of it —
//! a self-contained HTML page ([`render_html`]), an XLSX workbook ([`render_xlsx`]) and a
//! PDF with the Chinese font embedded as a subset ([`render_pdf`]).
//!
//! This crate is pure: it knows nothing of HTTP, SQL or async runtimes; it takes data and
//! returns bytes.

mod chart;
mod data;
mod document;
mod html;
mod pdf;
mod prose;
mod xlsx;

pub use data::{
    AreaReport, AssignedTarget, Cover, DivisionAssessment, DivisionInfo, IndicatorReport, Inputs,
    Issue, LedgerItem, LedgerPart, LedgerTally, ManualJudgement, PlanInfo, ReportData, TaskCounts,
    TaskReport, TaskReportInput, TaskState, UnitTasks, ValueInput, default_unit, report_title,
};
pub use document::{Block, Document, Section, render_document_pdf};
pub use html::render_html;
pub use pdf::{find_cjk_font, render_pdf, render_pdf_face};
pub use prose::{
    Change, Explanation, Figure, Pace, TREND_METHOD, TargetFigure, TargetWording, Trend,
};
pub use xlsx::render_xlsx;

/// Broad class of a [`ReportError`], with a stable code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ReportErrorKind {
    /// The stored inputs are inconsistent with the plan or malformed.
    Input,
    /// The font given for the PDF cannot be used.
    Font,
    /// The PDF writer failed.
    Pdf,
    /// The XLSX writer failed.
    Xlsx,
}

impl ReportErrorKind {
    /// Stable machine-readable code.
    pub fn code(self) -> &'static str {
        match self {
            ReportErrorKind::Input => "input",
            ReportErrorKind::Font => "font",
            ReportErrorKind::Pdf => "pdf",
            ReportErrorKind::Xlsx => "xlsx",
        }
    }
}

/// Why a report could not be built or rendered.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// A stored value is not a decimal number.
    #[error("指标{indicator}（{year}年，区划{division}）的值「{text}」不是十进制数")]
    BadValue {
        /// Indicator number.
        indicator: u32,
        /// Year.
        year: i32,
        /// Division code.
        division: String,
        /// The text refused.
        text: String,
    },
    /// An input names an indicator the plan does not have.
    #[error("规划中没有序号为{0}的指标")]
    UnknownIndicator(u32),
    /// An input names a division the plan does not list.
    #[error("规划中没有代码为「{0}」的行政区划")]
    UnknownDivision(String),
    /// A task report names a task the plan does not have.
    #[error("规划中没有任务{area}-{number}")]
    UnknownTask {
        /// Area number.
        area: u32,
        /// Task number.
        number: u32,
    },
    /// A task status code is not one of not_started, in_progress, completed, lagging.
    #[error("未知的任务状态「{0}」")]
    UnknownTaskState(String),
    /// A task report period is neither "YYYY" nor "YYYYQn".
    #[error("报告期「{0}」格式不对（应为 2024 或 2024Q3）")]
    BadPeriod(String),
    /// The plan lists no divisions, so there is no city to report on.
    #[error("规划未列出任何行政区划")]
    NoCity,
    /// The font bytes are not a usable font (or lack CJK glyphs).
    #[error("字体不可用：{0}")]
    Font(String),
    /// The PDF writer failed.
    #[error("生成PDF失败：{0}")]
    Pdf(String),
    /// The XLSX writer failed.
    #[error("生成XLSX失败：{0}")]
    Xlsx(#[from] rust_xlsxwriter::XlsxError),
}

impl ReportError {
    /// The error's class.
    pub fn kind(&self) -> ReportErrorKind {
        match self {
            ReportError::BadValue { .. }
            | ReportError::UnknownIndicator(_)
            | ReportError::UnknownDivision(_)
            | ReportError::UnknownTask { .. }
            | ReportError::UnknownTaskState(_)
            | ReportError::BadPeriod(_)
            | ReportError::NoCity => ReportErrorKind::Input,
            ReportError::Font(_) => ReportErrorKind::Font,
            ReportError::Pdf(_) => ReportErrorKind::Pdf,
            ReportError::Xlsx(_) => ReportErrorKind::Xlsx,
        }
    }
}
