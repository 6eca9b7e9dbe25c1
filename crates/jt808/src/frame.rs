//! Frame layer: cut a byte stream on `0x7E`, unescape, verify the XOR checksum, parse the
//! header and check the body length; and the reverse for sending.
//!
//! # Wire format
//!
//! ```text
//! 0x7E | header | body | checksum BYTE | 0x7E
//!        \___________ escaped ________/
//! ```
//!
//! - Escaping covers header, body and checksum, never the delimiters:
//!   `0x7E` → `0x7D 0x02`, `0x7D` → `0x7D 0x01`.
//! - The checksum is the XOR of every unescaped byte from the first header byte to the last
//!   body byte.
//! - Send: header + body → checksum → escape → delimiters. Receive: the reverse.
//!
//! Example from the standard: payload `30 7E 08 7D 55` travels as `7E 30 7D 02 08 7D 01 55 7E`.
//!
//! # Streaming
//!
//! [`FrameDecoder`] is fed with [`FrameDecoder::push`] and drained with
//! [`FrameDecoder::next_frame`]. Bytes before the first `0x7E` are skipped. A closing `0x7E`
//! is also taken as the next frame's opening one, so back-to-back frames (`…7E 7E…`) and
//! frames sharing one delimiter (`…7E…`) both split correctly; an empty `7E 7E` pair is
//! skipped silently. Known device deviations accepted here (un-escaped `0x7D`, checksums over
//! escaped bytes, …) are listed in `TOLERANCE.md` and reported in [`Frame::deviations`].

use std::fmt;

use crate::error::{EncodeError, FatalError, FrameError, InvalidFrame};
use crate::header::{HEADER_LEN_2013, Header};

/// Frame delimiter (标识位).
pub const DELIMITER: u8 = 0x7E;
/// Escape byte.
pub const ESCAPE: u8 = 0x7D;
/// Largest body one frame can declare (10-bit length field).
pub const MAX_BODY_LEN: usize = 1023;
/// Default limit on one frame on the wire, both delimiters included.
///
/// The largest standard frame (2019 subpackaged header, 1023-byte body, every byte escaped) is
/// (21 + 1023 + 1) × 2 + 2 = 2,092 bytes. The limit leaves room for the body-length-overflow
/// tolerance (see `TOLERANCE.md`) while keeping per-connection memory small.
pub const MAX_FRAME_LEN: usize = 4096;

/// Deviations from the standard that the decoder accepted for one frame (a bit set).
///
/// Each one is described in `TOLERANCE.md`. A gateway can count them per device.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct Deviations(u8);

impl Deviations {
    /// No deviation.
    pub const NONE: Deviations = Deviations(0);
    /// `0x7D` followed by a byte other than `01`/`02` was passed through literally (T4).
    pub const LITERAL_ESCAPE: Deviations = Deviations(1);
    /// The checksum was a raw `0x7D` right before the closing `0x7E` (T5).
    pub const UNESCAPED_CHECKSUM: Deviations = Deviations(1 << 1);
    /// The device does not escape `0x7D`: `7D 01` was read as two bytes (T6).
    pub const UNESCAPED_PAYLOAD: Deviations = Deviations(1 << 2);
    /// The checksum was computed over the escaped bytes (T7).
    pub const CHECKSUM_OVER_ESCAPED: Deviations = Deviations(1 << 3);
    /// The body is longer than declared by a multiple of 1024: the 10-bit length wrapped (T3).
    pub const BODY_LENGTH_OVERFLOW: Deviations = Deviations(1 << 4);
    /// The checksum did not verify and [`FrameConfig::verify_checksum`] is off.
    pub const CHECKSUM_IGNORED: Deviations = Deviations(1 << 5);

    /// `true` when every bit of `other` is set.
    pub fn contains(self, other: Deviations) -> bool {
        self.0 & other.0 == other.0
    }
    /// `true` when no deviation was accepted.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// The raw bits.
    pub fn bits(self) -> u8 {
        self.0
    }
}

impl std::ops::BitOr for Deviations {
    type Output = Deviations;
    fn bitor(self, rhs: Deviations) -> Deviations {
        Deviations(self.0 | rhs.0)
    }
}

impl std::ops::BitOrAssign for Deviations {
    fn bitor_assign(&mut self, rhs: Deviations) {
        self.0 |= rhs.0;
    }
}

impl fmt::Debug for Deviations {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        const NAMES: [(Deviations, &str); 6] = [
            (Deviations::LITERAL_ESCAPE, "LITERAL_ESCAPE"),
            (Deviations::UNESCAPED_CHECKSUM, "UNESCAPED_CHECKSUM"),
            (Deviations::UNESCAPED_PAYLOAD, "UNESCAPED_PAYLOAD"),
            (Deviations::CHECKSUM_OVER_ESCAPED, "CHECKSUM_OVER_ESCAPED"),
            (Deviations::BODY_LENGTH_OVERFLOW, "BODY_LENGTH_OVERFLOW"),
            (Deviations::CHECKSUM_IGNORED, "CHECKSUM_IGNORED"),
        ];
        let mut set = f.debug_set();
        for (d, name) in NAMES {
            if self.contains(d) {
                set.entry(&format_args!("{name}"));
            }
        }
        set.finish()
    }
}

/// XOR of all bytes: the frame checksum (校验码).
pub fn checksum(data: &[u8]) -> u8 {
    data.iter().fold(0, |acc, b| acc ^ b)
}

/// The checksum a device computes when it XORs the bytes *as sent* (escaped) instead of the
/// unescaped ones (T7): the XOR of the wire content without its (possibly escaped) checksum.
fn checksum_over_wire(content: &[u8]) -> u8 {
    let data = match content {
        [data @ .., ESCAPE, 0x01 | 0x02] | [data @ .., _] => data,
        [] => content,
    };
    checksum(data)
}

/// Appends `data` escaped: `0x7E` → `7D 02`, `0x7D` → `7D 01`.
pub fn escape_into(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len() + 4);
    let mut rest = data;
    while let Some(pos) = rest.iter().position(|&b| b == DELIMITER || b == ESCAPE) {
        let Some((plain, tail)) = rest.split_at_checked(pos) else {
            break;
        };
        out.extend_from_slice(plain);
        let Some((&b, tail)) = tail.split_first() else {
            break;
        };
        out.push(ESCAPE);
        out.push(if b == DELIMITER { 0x02 } else { 0x01 });
        rest = tail;
    }
    out.extend_from_slice(rest);
}

/// `data` escaped, as a new vector.
pub fn escape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len() + 4);
    escape_into(data, &mut out);
    out
}

/// Appends `data` unescaped: `7D 02` → `0x7E`, `7D 01` → `0x7D`.
///
/// Lenient (T4, T5): a `0x7D` followed by any other byte, or by nothing, is kept literally and
/// reported in the returned [`Deviations`]. The checksum decides whether such a frame is used.
pub fn unescape_into(data: &[u8], out: &mut Vec<u8>) -> Deviations {
    let mut dev = Deviations::NONE;
    out.reserve(data.len());
    let mut rest = data;
    while let Some(pos) = rest.iter().position(|&b| b == ESCAPE) {
        let Some((plain, tail)) = rest.split_at_checked(pos) else {
            break;
        };
        out.extend_from_slice(plain);
        match tail.get(1) {
            Some(0x01) => {
                out.push(ESCAPE);
                rest = tail.get(2..).unwrap_or_default();
            }
            Some(0x02) => {
                out.push(DELIMITER);
                rest = tail.get(2..).unwrap_or_default();
            }
            Some(_) => {
                out.push(ESCAPE);
                dev |= Deviations::LITERAL_ESCAPE;
                rest = tail.get(1..).unwrap_or_default();
            }
            None => {
                out.push(ESCAPE);
                dev |= Deviations::UNESCAPED_CHECKSUM;
                rest = &[];
            }
        }
    }
    out.extend_from_slice(rest);
    dev
}

/// `data` unescaped, as a new vector (lenient; see [`unescape_into`]).
pub fn unescape(data: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(data.len());
    unescape_into(data, &mut out);
    out
}

/// Unescapes only `7D 02`; `7D 01` stays two bytes. The reading for devices that never escape
/// `0x7D` (T6).
fn unescape_delimiter_only(data: &[u8], out: &mut Vec<u8>) {
    out.reserve(data.len());
    let mut rest = data;
    while let Some(pos) = rest.iter().position(|&b| b == ESCAPE) {
        let Some((plain, tail)) = rest.split_at_checked(pos) else {
            break;
        };
        out.extend_from_slice(plain);
        if tail.get(1) == Some(&0x02) {
            out.push(DELIMITER);
            rest = tail.get(2..).unwrap_or_default();
        } else {
            out.push(ESCAPE);
            rest = tail.get(1..).unwrap_or_default();
        }
    }
    out.extend_from_slice(rest);
}

/// Frame-layer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FrameConfig {
    /// Longest frame on the wire, delimiters included; also the most garbage tolerated without
    /// a delimiter. Beyond either the stream is lost ([`FatalError`]).
    pub max_frame_len: usize,
    /// Reject frames whose checksum does not verify under any accepted reading (default).
    /// Turning this off mimics Traccar, which never checks; such frames are flagged
    /// [`Deviations::CHECKSUM_IGNORED`]. The body-length check stays on either way.
    pub verify_checksum: bool,
}

impl Default for FrameConfig {
    fn default() -> Self {
        FrameConfig {
            max_frame_len: MAX_FRAME_LEN,
            verify_checksum: true,
        }
    }
}

/// One frame: a parsed header and the raw (unescaped) body.
///
/// For a subpackaged message the body is one fragment; see [`crate::reassembly`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Frame {
    /// The header.
    pub header: Header,
    /// The body bytes, unescaped.
    pub body: Vec<u8>,
    /// Deviations accepted while decoding; empty for frames built locally.
    pub deviations: Deviations,
}

impl Frame {
    /// A frame to send.
    pub fn new(header: Header, body: Vec<u8>) -> Frame {
        Frame {
            header,
            body,
            deviations: Deviations::NONE,
        }
    }

    /// Decodes the bytes *between* two delimiters (still escaped), with default settings.
    ///
    /// # Errors
    ///
    /// See [`Frame::decode_with`].
    pub fn decode(content: &[u8]) -> Result<Frame, InvalidFrame> {
        Frame::decode_with(content, &FrameConfig::default())
    }

    /// Decodes the bytes between two delimiters: unescape, checksum, header, body length.
    ///
    /// # Errors
    ///
    /// [`InvalidFrame::TooShort`], [`InvalidFrame::Checksum`] or [`InvalidFrame::BodyLength`].
    pub fn decode_with(content: &[u8], config: &FrameConfig) -> Result<Frame, InvalidFrame> {
        let mut buf = Vec::with_capacity(content.len());
        let mut dev = unescape_into(content, &mut buf);
        let Some((&carried, data)) = buf.split_last() else {
            return Err(InvalidFrame::TooShort { len: 0 });
        };
        if data.len() < HEADER_LEN_2013 {
            return Err(InvalidFrame::TooShort { len: buf.len() });
        }
        let computed = checksum(data);
        if computed != carried {
            // T6: a device that never escapes 0x7D. Accepted only when both the checksum and
            // the body length verify on that reading.
            if content.windows(2).any(|w| w == [ESCAPE, 0x01]) {
                let mut raw = Vec::with_capacity(content.len());
                unescape_delimiter_only(content, &mut raw);
                if let Some((&c, d)) = raw.split_last()
                    && checksum(d) == c
                    && let Ok(frame) = finish(raw, Deviations::UNESCAPED_PAYLOAD, false)
                {
                    return Ok(frame);
                }
            }
            if checksum_over_wire(content) == carried {
                dev |= Deviations::CHECKSUM_OVER_ESCAPED;
            } else if config.verify_checksum {
                return Err(InvalidFrame::Checksum { carried, computed });
            } else {
                dev |= Deviations::CHECKSUM_IGNORED;
            }
        }
        finish(buf, dev, true)
    }

    /// Decodes one complete frame as it travels on the wire, delimiters included (leading and
    /// trailing `0x7E` are optional).
    ///
    /// # Errors
    ///
    /// As [`Frame::decode`].
    pub fn parse(wire: &[u8]) -> Result<Frame, InvalidFrame> {
        let inner = wire.strip_prefix(&[DELIMITER]).unwrap_or(wire);
        let inner = inner.strip_suffix(&[DELIMITER]).unwrap_or(inner);
        Frame::decode(inner)
    }

    /// The unescaped header and body, without checksum or delimiters.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BodyTooLong`] above 1023 body bytes.
    pub fn encode_unescaped(&self) -> Result<Vec<u8>, EncodeError> {
        let mut raw = Vec::with_capacity(self.header.encoded_len() + self.body.len() + 1);
        self.header.encode(self.body.len(), &mut raw)?;
        raw.extend_from_slice(&self.body);
        Ok(raw)
    }

    /// Appends the frame as it goes on the wire: delimiters, escaping and checksum included.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BodyTooLong`] above 1023 body bytes.
    pub fn encode_into(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let mut raw = self.encode_unescaped()?;
        raw.push(checksum(&raw));
        out.reserve(raw.len() + 8);
        out.push(DELIMITER);
        escape_into(&raw, out);
        out.push(DELIMITER);
        Ok(())
    }

    /// The frame as it goes on the wire.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BodyTooLong`] above 1023 body bytes.
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::with_capacity(self.header.encoded_len() + self.body.len() + 8);
        self.encode_into(&mut out)?;
        Ok(out)
    }
}

/// Header parse and body-length check on an unescaped buffer whose checksum was accepted.
/// `buf` still ends with the checksum byte.
fn finish(
    mut buf: Vec<u8>,
    mut dev: Deviations,
    allow_overflow: bool,
) -> Result<Frame, InvalidFrame> {
    let too_short = InvalidFrame::TooShort { len: buf.len() };
    buf.pop();
    let (header, props, header_len) = Header::decode(&buf).map_err(|_| too_short)?;
    let actual = buf.len() - header_len;
    let declared = props.body_len();
    if actual != declared {
        // T3: a body over 1023 bytes sent unsplit wraps the 10-bit length field.
        let wrapped = actual > declared && (actual - declared).is_multiple_of(1024);
        if !(allow_overflow && wrapped) {
            return Err(InvalidFrame::BodyLength { declared, actual });
        }
        dev |= Deviations::BODY_LENGTH_OVERFLOW;
    }
    buf.drain(..header_len);
    Ok(Frame {
        header,
        body: buf,
        deviations: dev,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    /// Looking for an opening delimiter; bytes seen are garbage.
    Seeking,
    /// `buf[start]` is an opening delimiter.
    InFrame,
    /// A fatal error was reported; discard up to the next delimiter without reporting again.
    Skipping,
}

/// Streaming frame splitter: `push` bytes as they arrive, then drain `next_frame` until `None`.
///
/// After `next_frame` returns `None`, at most [`FrameConfig::max_frame_len`] bytes are
/// buffered. The output does not depend on how the input was chunked.
#[derive(Debug, Clone)]
pub struct FrameDecoder {
    config: FrameConfig,
    buf: Vec<u8>,
    /// Start of unconsumed input in `buf`.
    start: usize,
    /// Where to resume looking for the closing delimiter.
    scan: usize,
    state: State,
    /// Garbage bytes skipped since the last delimiter.
    garbage: usize,
}

impl Default for FrameDecoder {
    fn default() -> Self {
        FrameDecoder::new()
    }
}

impl FrameDecoder {
    /// A decoder with [`FrameConfig::default`].
    pub fn new() -> FrameDecoder {
        FrameDecoder::with_config(FrameConfig::default())
    }

    /// A decoder with the given settings.
    pub fn with_config(config: FrameConfig) -> FrameDecoder {
        FrameDecoder {
            config,
            buf: Vec::new(),
            start: 0,
            scan: 0,
            state: State::Seeking,
            garbage: 0,
        }
    }

    /// Appends received bytes. Call [`FrameDecoder::next_frame`] until it returns `None`.
    pub fn push(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }

    /// Bytes held for an incomplete frame. A lone delimiter kept as the possible opening of
    /// the next frame does not count.
    pub fn buffered_len(&self) -> usize {
        let held = self.buf.len() - self.start.min(self.buf.len());
        if held == 1 && self.state == State::InFrame {
            0
        } else {
            held
        }
    }

    /// The next frame, an error for a bad frame, or `None` when more input is needed.
    pub fn next_frame(&mut self) -> Option<Result<Frame, FrameError>> {
        let max = self.config.max_frame_len.max(2);
        loop {
            let pending = self.buf.get(self.start..).unwrap_or_default();
            match self.state {
                State::Seeking | State::Skipping => {
                    let Some(pos) = pending.iter().position(|&b| b == DELIMITER) else {
                        let seeking = self.state == State::Seeking;
                        self.garbage = self.garbage.saturating_add(pending.len());
                        self.buf.clear();
                        self.start = 0;
                        if seeking && self.garbage > max {
                            self.state = State::Skipping;
                            return Some(Err(FatalError::Garbage { len: self.garbage }.into()));
                        }
                        return None;
                    };
                    let report = self.state == State::Seeking && self.garbage + pos > max;
                    let len = self.garbage + pos;
                    self.garbage = 0;
                    self.start += pos;
                    self.scan = self.start + 1;
                    self.state = State::InFrame;
                    if report {
                        return Some(Err(FatalError::Garbage { len }.into()));
                    }
                }
                State::InFrame => {
                    let from = self.scan;
                    let found = self
                        .buf
                        .get(from..)
                        .and_then(|s| s.iter().position(|&b| b == DELIMITER));
                    let Some(off) = found else {
                        if self.buf.len() - self.start >= max {
                            self.buf.clear();
                            self.start = 0;
                            self.state = State::Skipping;
                            return Some(Err(FatalError::TooLong { max }.into()));
                        }
                        self.compact();
                        self.scan = self.buf.len();
                        return None;
                    };
                    let end = from + off;
                    let frame_start = self.start;
                    // The closing delimiter doubles as the next opening one.
                    self.start = end;
                    self.scan = end + 1;
                    if end - frame_start + 1 > max {
                        return Some(Err(FatalError::TooLong { max }.into()));
                    }
                    let content = self.buf.get(frame_start + 1..end).unwrap_or_default();
                    if content.is_empty() {
                        continue;
                    }
                    return Some(Frame::decode_with(content, &self.config).map_err(Into::into));
                }
            }
        }
    }

    /// Drops consumed bytes from the front of the buffer.
    fn compact(&mut self) {
        if self.start > 0 {
            let start = self.start.min(self.buf.len());
            self.buf.drain(..start);
            self.start = 0;
        }
    }
}
