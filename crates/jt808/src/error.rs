//! Error types, one per layer.
//!
//! - [`FrameError`]: from the frame layer. Either [`InvalidFrame`] (skip this frame and keep
//!   reading: bad checksum, too short, body length mismatch) or [`FatalError`] (the stream is
//!   lost: too many bytes without a delimiter, or an over-long frame). This is the
//!   "can continue" split of Vector's `StreamDecodingError`.
//! - [`DecodeError`]: the frame was fine but its body does not parse. A session answers such a
//!   message with `0x8001` result 2 ("message error") and keeps the connection.
//! - [`EncodeError`]: a value cannot be put on the wire (a field too long for its width, a body
//!   too long for one frame).

/// An error from [`FrameDecoder::next_frame`](crate::FrameDecoder::next_frame).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// This frame is bad; the stream is still in sync. Skip it and continue.
    #[error(transparent)]
    Invalid(#[from] InvalidFrame),
    /// The stream is lost. The connection should be closed.
    #[error(transparent)]
    Fatal(#[from] FatalError),
}

impl FrameError {
    /// `true` for [`FrameError::Fatal`].
    pub fn is_fatal(&self) -> bool {
        matches!(self, FrameError::Fatal(_))
    }
}

/// A frame that was cut cleanly from the stream but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFrame {
    /// Fewer bytes than the smallest header plus a checksum.
    #[error("frame too short: {len} bytes after unescaping")]
    TooShort {
        /// Unescaped length, checksum included.
        len: usize,
    },
    /// The XOR checksum does not match under any accepted reading (see `TOLERANCE.md`).
    #[error("checksum mismatch: frame carries {carried:#04x}, computed {computed:#04x}")]
    Checksum {
        /// The checksum byte found in the frame.
        carried: u8,
        /// The XOR of the unescaped header and body.
        computed: u8,
    },
    /// The body-length field (attribute bits 0–9) disagrees with the bytes present.
    #[error("body length mismatch: header declares {declared} bytes, {actual} present")]
    BodyLength {
        /// Length from the attribute word.
        declared: usize,
        /// Bytes actually between header and checksum.
        actual: usize,
    },
}

/// The stream can no longer be split into frames.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FatalError {
    /// More than the frame limit of bytes arrived without any `0x7E`.
    #[error("{len} bytes without a 0x7E delimiter")]
    Garbage {
        /// Bytes skipped so far.
        len: usize,
    },
    /// A frame grew past the frame limit without its closing `0x7E`.
    #[error("frame longer than {max} bytes")]
    TooLong {
        /// The limit in force.
        max: usize,
    },
}

/// A message body that does not parse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The body ended inside a field.
    #[error("{field}: needs {needed} bytes, {available} left")]
    Truncated {
        /// The field being read.
        field: &'static str,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the body.
        available: usize,
    },
    /// A BCD byte with a nibble above 9 where digits are required.
    #[error("{field}: invalid BCD byte {byte:#04x}")]
    Bcd {
        /// The field being read.
        field: &'static str,
        /// The offending byte.
        byte: u8,
    },
    /// A structurally impossible value.
    #[error("{field}: {reason}")]
    Invalid {
        /// The field being read.
        field: &'static str,
        /// What is wrong with it.
        reason: &'static str,
    },
}

/// A value that cannot be encoded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// A body longer than the 10-bit length field allows; send it subpackaged.
    #[error("body of {len} bytes exceeds the 1023-byte limit of one frame")]
    BodyTooLong {
        /// Body length.
        len: usize,
    },
    /// A text or byte field longer than its wire width.
    #[error("{field}: {len} bytes exceed the {max}-byte field")]
    FieldTooLong {
        /// The field.
        field: &'static str,
        /// Encoded length.
        len: usize,
        /// Width on the wire.
        max: usize,
    },
    /// A number that does not fit the field (e.g. a year outside 2000–2099 in BCD time).
    #[error("{field}: value out of range")]
    OutOfRange {
        /// The field.
        field: &'static str,
    },
}

/// Either a frame error or a body error, from one-shot helpers such as
/// [`Packet::parse`](crate::Packet::parse).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The frame itself is bad.
    #[error(transparent)]
    Frame(#[from] InvalidFrame),
    /// The frame is fine; its body is not.
    #[error(transparent)]
    Body(#[from] DecodeError),
}
