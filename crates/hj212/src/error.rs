//! Decode errors with stable kinds and byte offsets.

/// Why a frame was rejected; every variant carries the byte offset of the fault.
///
/// Offsets count from the first `#` of the frame for [`crate::decode_frame`] and
/// from the start of the stream for [`crate::StreamDecoder`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The frame does not start with `##`.
    #[error("bad_header at byte {offset}: {message}")]
    BadHeader {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// The 4-character length field is not 4 decimal digits.
    #[error("bad_length at byte {offset}: {message}")]
    BadLength {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// The declared length matches neither the byte nor the character count of the data.
    #[error("length_mismatch at byte {offset}: {message}")]
    LengthMismatch {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// The CRC field does not match the data under the active policy.
    #[error("crc_mismatch at byte {offset}: {message}")]
    CrcMismatch {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// Something other than CR LF, LF or nothing follows the CRC.
    #[error("bad_trailer at byte {offset}: {message}")]
    BadTrailer {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// The data segment breaks the field grammar.
    #[error("syntax at byte {offset}: {message}")]
    Syntax {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
    /// The frame exceeds the configured maximum length.
    #[error("too_long at byte {offset}: {message}")]
    TooLong {
        /// Byte offset of the fault.
        offset: u64,
        /// Human-readable explanation.
        message: String,
    },
}

impl DecodeError {
    /// The stable kind name (`bad_header`, `bad_length`, `length_mismatch`, `crc_mismatch`,
    /// `bad_trailer`, `syntax`, `too_long`).
    #[must_use]
    pub fn kind(&self) -> &'static str {
        match self {
            Self::BadHeader { .. } => "bad_header",
            Self::BadLength { .. } => "bad_length",
            Self::LengthMismatch { .. } => "length_mismatch",
            Self::CrcMismatch { .. } => "crc_mismatch",
            Self::BadTrailer { .. } => "bad_trailer",
            Self::Syntax { .. } => "syntax",
            Self::TooLong { .. } => "too_long",
        }
    }

    /// Byte offset of the fault.
    #[must_use]
    pub fn offset(&self) -> u64 {
        match self {
            Self::BadHeader { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::LengthMismatch { offset, .. }
            | Self::CrcMismatch { offset, .. }
            | Self::BadTrailer { offset, .. }
            | Self::Syntax { offset, .. }
            | Self::TooLong { offset, .. } => *offset,
        }
    }

    /// The human-readable explanation without kind or offset.
    #[must_use]
    pub fn message(&self) -> &str {
        match self {
            Self::BadHeader { message, .. }
            | Self::BadLength { message, .. }
            | Self::LengthMismatch { message, .. }
            | Self::CrcMismatch { message, .. }
            | Self::BadTrailer { message, .. }
            | Self::Syntax { message, .. }
            | Self::TooLong { message, .. } => message,
        }
    }

    /// Returns the same error with its offset moved by `base` (frame-relative to stream-absolute).
    #[must_use]
    pub fn shifted(mut self, base: u64) -> Self {
        match &mut self {
            Self::BadHeader { offset, .. }
            | Self::BadLength { offset, .. }
            | Self::LengthMismatch { offset, .. }
            | Self::CrcMismatch { offset, .. }
            | Self::BadTrailer { offset, .. }
            | Self::Syntax { offset, .. }
            | Self::TooLong { offset, .. } => *offset += base,
        }
        self
    }
}
