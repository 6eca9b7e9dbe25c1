//! Frame layer: cut an HJ 212 byte stream into data segments and check their CRC.
//!
//! # Wire format (HJ 212-2017 §6.3.1, Table 2)
//!
//! ```text
//! ##  0101  QN=…;ST=…;CN=…;PW=…;MN=…;Flag=…;CP=&&…&&  1C80  \r\n
//! hdr len   data segment                              CRC   tail
//! ```
//!
//! | part | bytes | content |
//! |---|---|---|
//! | header | 2 | `##` |
//! | length | 4 | decimal, zero padded: number of **bytes** in the data segment |
//! | data segment | 0..=1024 (standard) | ASCII, UTF-8 for Chinese text |
//! | CRC | 4 | hex, HJ 212 CRC16 of the data segment only ([`crate::crc`]) |
//! | tail | 2 | `\r\n` |
//!
//! # Framing policy
//!
//! The framer is length-driven, so it does not need the tail to find the end of a packet.
//! [`PacketFramer`] implements this resync strategy (after srdgame/lua-HJ212):
//!
//! 1. Scan for `##`; bytes before it are garbage (CR/LF between packets are not counted). In a
//!    run of `#` the last pair is used (`###0216…` frames at the second `#`).
//! 2. The 4 length bytes must be ASCII digits, else [`InvalidFrame::BadLength`] and resync one
//!    byte further.
//! 3. A declared length above [`FramerConfig::max_data_len`] is [`FatalFrame::TooLong`].
//! 4. The CRC field must be 4 hex digits ([`InvalidFrame::BadCrcDigits`]) equal to the CRC of
//!    the segment ([`InvalidFrame::CrcMismatch`]); on either error, resync one byte further.
//! 5. The tail: with [`FramerConfig::require_crlf`] the next two bytes must be `\r\n`
//!    ([`InvalidFrame::MissingCrlf`]); otherwise (the default, several real devices omit it) a
//!    `\r\n` or bare `\n` right after the CRC is consumed and a missing one is tolerated.
//! 6. While a frame is incomplete, or when it fails a check, a complete valid frame starting
//!    inside its declared extent means it was cut short (a truncated packet, a wrong length):
//!    [`InvalidFrame::Truncated`] and framing resumes at that frame without waiting for bytes
//!    that will never complete the broken one.
//! 7. More than [`FramerConfig::max_garbage`] garbage bytes since the last good packet is
//!    [`FatalFrame::TooMuchGarbage`]: this is not an HJ 212 peer.
//!
//! Bytes inside a well-delimited but invalid frame (bad CRC, bad CRLF) are rescanned but not
//! counted as garbage, so a device with a broken CRC produces `Invalid` errors, not a `Fatal`.
//!
//! **Architecture Invariant:** the output sequence does not depend on how the stream was split
//! into `push` calls, and no input makes the framer panic or buffer more than one maximal frame
//! beyond the bytes of the current `push`.

use crate::crc;

/// The packet header, `##`.
pub const HEADER: &[u8; 2] = b"##";
/// The packet tail, `\r\n`.
pub const TAIL: &[u8; 2] = b"\r\n";
/// Bytes before the data segment: `##` + 4 length digits.
pub const PREFIX_LEN: usize = 6;
/// Bytes of framing around the data segment: `##`, length, CRC and `\r\n`.
pub const OVERHEAD: usize = 12;
/// Largest data segment the standard allows (Table 2).
pub const STANDARD_MAX_DATA_LEN: usize = 1024;
/// Largest data segment the 4-digit length field can express.
pub const MAX_DATA_LEN: usize = 9999;
/// Default tolerated data segment length: four times the standard, which covers every oversize
/// vendor packet seen (e.g. 1294 bytes) while bounding memory per connection.
pub const DEFAULT_MAX_DATA_LEN: usize = 4096;
/// Largest complete packet under the default configuration (`DEFAULT_MAX_DATA_LEN + 12`).
pub const MAX_PACKET_LEN: usize = DEFAULT_MAX_DATA_LEN + OVERHEAD;

/// Framer settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FramerConfig {
    /// Largest accepted data segment (clamped to `1..=9999`). Default [`DEFAULT_MAX_DATA_LEN`];
    /// [`STANDARD_MAX_DATA_LEN`] for strict conformance.
    pub max_data_len: usize,
    /// Require `\r\n` after the CRC. Default `false` (several devices omit it).
    pub require_crlf: bool,
    /// Also accept a CRC-16/MODBUS checksum (a known vendor deviation). Default `false`.
    pub accept_modbus_crc: bool,
    /// Garbage bytes tolerated since the last good packet before the stream is declared lost.
    /// Default 4096.
    pub max_garbage: usize,
}

impl FramerConfig {
    /// Lenient settings used by default: 4096-byte segments, optional CRLF, HJ 212 CRC only.
    #[must_use]
    pub const fn lenient() -> Self {
        Self {
            max_data_len: DEFAULT_MAX_DATA_LEN,
            require_crlf: false,
            accept_modbus_crc: false,
            max_garbage: 4096,
        }
    }

    /// The standard to the letter: 1024-byte segments, CRLF required.
    #[must_use]
    pub const fn strict() -> Self {
        Self {
            max_data_len: STANDARD_MAX_DATA_LEN,
            require_crlf: true,
            accept_modbus_crc: false,
            max_garbage: 4096,
        }
    }

    fn effective_max(&self) -> usize {
        self.max_data_len.clamp(1, MAX_DATA_LEN)
    }
}

impl Default for FramerConfig {
    fn default() -> Self {
        Self::lenient()
    }
}

/// Which checksum algorithm a packet's CRC field matched.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CrcVariant {
    /// The HJ 212 CRC16 (Appendix A).
    Hj212,
    /// CRC-16/MODBUS, accepted only with [`FramerConfig::accept_modbus_crc`].
    Modbus,
}

/// One framed, CRC-checked data segment (the bytes between the length field and the CRC).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawPacket {
    data: Vec<u8>,
    crc: u16,
    crc_variant: CrcVariant,
}

impl RawPacket {
    /// The data segment bytes (`QN=…;…;CP=&&…&&`).
    #[must_use]
    pub fn data(&self) -> &[u8] {
        &self.data
    }

    /// Takes the data segment out without copying.
    #[must_use]
    pub fn into_data(self) -> Vec<u8> {
        self.data
    }

    /// The CRC value as sent.
    #[must_use]
    pub fn crc(&self) -> u16 {
        self.crc
    }

    /// Which algorithm the CRC matched.
    #[must_use]
    pub fn crc_variant(&self) -> CrcVariant {
        self.crc_variant
    }
}

/// A frame that is skipped; the stream continues (Vector's `can_continue == true`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum InvalidFrame {
    /// The 4 bytes after `##` are not decimal digits.
    #[error("length field {:?} is not 4 decimal digits", String::from_utf8_lossy(.0))]
    BadLength([u8; 4]),
    /// The 4 bytes at the declared CRC position are not hex digits (usually a wrong length).
    #[error("CRC field {:?} is not 4 hex digits (declared length probably wrong)", String::from_utf8_lossy(.0))]
    BadCrcDigits([u8; 4]),
    /// The CRC field does not match the data segment.
    #[error("CRC mismatch: packet says {declared:04X}, data segment gives {computed:04X}")]
    CrcMismatch {
        /// CRC field as sent.
        declared: u16,
        /// HJ 212 CRC computed over the data segment.
        computed: u16,
    },
    /// `require_crlf` is set and the CRC is not followed by `\r\n`.
    #[error("packet tail is not CRLF")]
    MissingCrlf,
    /// A complete, valid packet starts inside this one's declared length: this packet was cut
    /// short (or its length field is wrong). Framing resumes at the complete packet.
    #[error(
        "packet declaring {declared} data bytes cut short after {actual} bytes by the next packet"
    )]
    Truncated {
        /// Declared data length.
        declared: usize,
        /// Bytes from this packet's `##` to the next packet's `##`.
        actual: usize,
    },
}

/// The stream is lost; the connection should be closed (Vector's `can_continue == false`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FatalFrame {
    /// The declared data length exceeds the configured maximum.
    #[error("declared data length {declared} exceeds the limit {max}")]
    TooLong {
        /// Declared length.
        declared: usize,
        /// Configured maximum.
        max: usize,
    },
    /// Too many bytes without a valid packet: not an HJ 212 peer.
    #[error("{skipped} bytes of garbage without a valid packet")]
    TooMuchGarbage {
        /// Garbage bytes counted since the last good packet.
        skipped: usize,
    },
}

/// A framing error: skip-and-continue or close.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum FrameError {
    /// Skip this frame; keep reading.
    #[error("invalid frame: {0}")]
    Invalid(#[from] InvalidFrame),
    /// The stream is lost; close the connection. The framer yields nothing more.
    #[error("fatal framing error: {0}")]
    Fatal(#[from] FatalFrame),
}

impl FrameError {
    /// Whether the stream can continue after this error.
    #[must_use]
    pub fn can_continue(&self) -> bool {
        matches!(self, Self::Invalid(_))
    }
}

/// Counters kept by the framer.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FramerStats {
    /// Packets returned.
    pub packets: u64,
    /// Invalid frames reported.
    pub invalid: u64,
    /// Of which CRC mismatches.
    pub crc_errors: u64,
    /// Garbage bytes skipped (not counting CR/LF and bytes of invalid frames).
    pub garbage_bytes: u64,
}

/// Streaming HJ 212 framer: `push` bytes as they arrive, then drain `next_packet` until `None`.
///
/// ```text
/// let mut framer = PacketFramer::new(FramerConfig::default());
/// framer.push(&bytes_from_socket);
/// while let Some(item) = framer.next_packet() { … }
/// ```
#[derive(Debug, Clone)]
pub struct PacketFramer {
    config: FramerConfig,
    buf: Vec<u8>,
    /// Start of unconsumed bytes in `buf`.
    pos: usize,
    /// Bytes removed from the front of `buf` so far (absolute offset of `buf[0]`).
    base: u64,
    /// Absolute offset up to which skipped bytes belong to an invalid frame (not garbage).
    forgive_until: u64,
    /// Candidate frames found inside the frame being waited for (see [`find_embedded`]).
    embedded: EmbeddedMemo,
    /// Garbage counted since the last good packet.
    garbage: usize,
    failed: bool,
    stats: FramerStats,
}

enum Step {
    Packet(RawPacket),
    Error(FrameError),
    NeedMore,
}

impl PacketFramer {
    /// A framer with the given settings.
    #[must_use]
    pub fn new(config: FramerConfig) -> Self {
        Self {
            config,
            buf: Vec::new(),
            pos: 0,
            base: 0,
            forgive_until: 0,
            embedded: EmbeddedMemo::default(),
            garbage: 0,
            failed: false,
            stats: FramerStats::default(),
        }
    }

    /// The settings.
    #[must_use]
    pub fn config(&self) -> &FramerConfig {
        &self.config
    }

    /// Appends received bytes. Ignored after a fatal error.
    pub fn push(&mut self, bytes: &[u8]) {
        if self.failed {
            return;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.base += self.pos as u64;
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }

    /// The next packet or error, or `None` when more bytes are needed (or after a fatal error).
    pub fn next_packet(&mut self) -> Option<Result<RawPacket, FrameError>> {
        if self.failed {
            return None;
        }
        match self.step() {
            Step::Packet(p) => {
                self.stats.packets += 1;
                self.garbage = 0;
                Some(Ok(p))
            }
            Step::Error(e) => {
                match e {
                    FrameError::Invalid(inv) => {
                        self.stats.invalid += 1;
                        if matches!(inv, InvalidFrame::CrcMismatch { .. }) {
                            self.stats.crc_errors += 1;
                        }
                    }
                    FrameError::Fatal(_) => {
                        self.failed = true;
                        self.buf = Vec::new();
                        self.pos = 0;
                    }
                }
                Some(Err(e))
            }
            Step::NeedMore => None,
        }
    }

    /// Bytes buffered and not yet consumed (a partial packet, or a trailing `#`).
    #[must_use]
    pub fn buffered(&self) -> usize {
        self.buf.len().saturating_sub(self.pos)
    }

    /// Whether a fatal error occurred; the framer then yields nothing more.
    #[must_use]
    pub fn is_failed(&self) -> bool {
        self.failed
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> FramerStats {
        self.stats
    }

    /// Skips `n` bytes starting at `self.pos`, counting non-CR/LF bytes outside invalid frames
    /// as garbage. Returns a fatal error when the garbage budget is exceeded.
    fn skip(&mut self, n: usize) -> Option<FrameError> {
        let end = (self.pos + n).min(self.buf.len());
        let start_abs = self.base + self.pos as u64;
        let skipped = self.buf.get(self.pos..end).unwrap_or_default();
        for (i, &b) in skipped.iter().enumerate() {
            let abs = start_abs + i as u64;
            if abs >= self.forgive_until && b != b'\r' && b != b'\n' {
                self.garbage += 1;
                self.stats.garbage_bytes += 1;
                if self.garbage > self.config.max_garbage {
                    // Stop at exactly this byte so the error is independent of chunking.
                    self.pos += i + 1;
                    return Some(FrameError::Fatal(FatalFrame::TooMuchGarbage {
                        skipped: self.garbage,
                    }));
                }
            }
        }
        self.pos = end;
        None
    }

    /// Marks the frame starting at `self.pos` and spanning `len` bytes as an invalid frame:
    /// its bytes are rescanned but not counted as garbage; then skips its first byte.
    fn reject_frame(&mut self, len: usize, err: InvalidFrame) -> Step {
        let frame_end = self.base + (self.pos + len) as u64;
        // The leading `#` of the frame is forgiven too.
        self.forgive_until = self.forgive_until.max(frame_end);
        if let Some(fatal) = self.skip(1) {
            return Step::Error(fatal);
        }
        Step::Error(FrameError::Invalid(err))
    }

    fn step(&mut self) -> Step {
        loop {
            let rest = self.buf.get(self.pos..).unwrap_or_default();
            // 1. Find the header. Everything before it is garbage.
            let Some(hdr) = find_header(rest) else {
                // Keep a trailing '#' (it may be the first half of a header).
                let keep = usize::from(rest.last() == Some(&b'#'));
                let n = rest.len() - keep;
                if let Some(fatal) = self.skip(n) {
                    return Step::Error(fatal);
                }
                return Step::NeedMore;
            };
            if hdr > 0 {
                if let Some(fatal) = self.skip(hdr) {
                    return Step::Error(fatal);
                }
                continue;
            }
            // `rest` starts with "##". Use the last pair of a run of '#'.
            match rest.get(2) {
                None => return Step::NeedMore,
                Some(b'#') => {
                    if let Some(fatal) = self.skip(1) {
                        return Step::Error(fatal);
                    }
                    continue;
                }
                Some(_) => {}
            }
            let check = check_frame(rest, &self.config);
            let (extent, failure) = match check {
                Check::Valid {
                    len,
                    crc,
                    variant,
                    consumed,
                } => {
                    // A complete frame that holds a complete, valid frame inside its extent
                    // was cut short even when its CRC happens to match (the check is
                    // effectively 8 bits): the embedded-frame rule below must not depend on
                    // whether the outer frame was still incomplete when it was looked at,
                    // i.e. on how the stream was split.
                    let tail_need = if self.config.require_crlf {
                        TAIL.len()
                    } else {
                        0
                    };
                    let extent = PREFIX_LEN + len + 4 + tail_need;
                    if !has_embedded_header(rest.get(..extent).unwrap_or_default()) {
                        let data = rest.get(PREFIX_LEN..PREFIX_LEN + len).unwrap_or_default();
                        let packet = RawPacket {
                            data: data.to_vec(),
                            crc,
                            crc_variant: variant,
                        };
                        self.pos += consumed;
                        return Step::Packet(packet);
                    }
                    (extent, Some(Err((len, crc, variant, consumed))))
                }
                Check::Fatal(f) => return Step::Error(FrameError::Fatal(f)),
                Check::Incomplete { extent } => (extent, None),
                // An invalid frame is rejected only once its whole extent (tail included) is
                // here, so that the embedded-frame rule below sees the same bytes however the
                // stream was split.
                Check::Invalid { extent, .. } if rest.len() < extent => (extent, None),
                Check::Invalid { extent, error } => (extent, Some(Ok(error))),
            };
            // The frame is incomplete or invalid. If a complete, valid frame starts inside its
            // declared extent, this one was cut short: resume there at once instead of waiting
            // for bytes that belong to the next packet.
            let owner = self.base + self.pos as u64;
            if self.embedded.owner != Some(owner) {
                self.embedded = EmbeddedMemo {
                    owner: Some(owner),
                    ..EmbeddedMemo::default()
                };
            }
            if let Some(q) = find_embedded(rest, extent, &self.config, &mut self.embedded) {
                let abs = self.base + (self.pos + q) as u64;
                self.forgive_until = self.forgive_until.max(abs);
                if let Some(fatal) = self.skip(q) {
                    return Step::Error(fatal);
                }
                let tail_need = if self.config.require_crlf {
                    TAIL.len()
                } else {
                    0
                };
                return Step::Error(FrameError::Invalid(InvalidFrame::Truncated {
                    declared: extent.saturating_sub(PREFIX_LEN + 4 + tail_need),
                    actual: q,
                }));
            }
            return match failure {
                None => Step::NeedMore,
                Some(Ok(error)) => self.reject_frame(extent, error),
                // A valid frame with no valid frame embedded after all.
                Some(Err((len, crc, variant, consumed))) => {
                    let rest = self.buf.get(self.pos..).unwrap_or_default();
                    let data = rest.get(PREFIX_LEN..PREFIX_LEN + len).unwrap_or_default();
                    let packet = RawPacket {
                        data: data.to_vec(),
                        crc,
                        crc_variant: variant,
                    };
                    self.pos += consumed;
                    Step::Packet(packet)
                }
            };
        }
    }
}

/// The verdict on the bytes at a `##`.
enum Check {
    /// A complete, valid frame of `consumed` bytes (tail included).
    Valid {
        len: usize,
        crc: u16,
        variant: CrcVariant,
        consumed: usize,
    },
    /// More bytes are needed; the frame would span `extent` bytes.
    Incomplete { extent: usize },
    /// The frame spanning `extent` bytes is invalid.
    Invalid { extent: usize, error: InvalidFrame },
    /// The declared length is over the limit.
    Fatal(FatalFrame),
}

/// Checks the frame at the start of `bytes` (which start with `##`), using only `bytes`.
fn check_frame(bytes: &[u8], config: &FramerConfig) -> Check {
    let tail_need = if config.require_crlf { TAIL.len() } else { 0 };
    let Some(len_field) = bytes.get(2..PREFIX_LEN) else {
        return Check::Incomplete {
            extent: OVERHEAD - TAIL.len() + tail_need,
        };
    };
    let mut digits = [0u8; 4];
    digits.copy_from_slice(len_field);
    let Some(len) = parse_len(digits) else {
        return Check::Invalid {
            extent: PREFIX_LEN,
            error: InvalidFrame::BadLength(digits),
        };
    };
    let max = config.effective_max();
    if len > max {
        return Check::Fatal(FatalFrame::TooLong { declared: len, max });
    }
    let crc_at = PREFIX_LEN + len;
    let body_end = crc_at + 4;
    let extent = body_end + tail_need;
    let Some(crc_field) = bytes.get(crc_at..body_end) else {
        return Check::Incomplete { extent };
    };
    let Some(declared) = crc::parse_hex(crc_field) else {
        let mut bad = [0u8; 4];
        bad.copy_from_slice(crc_field);
        return Check::Invalid {
            extent,
            error: InvalidFrame::BadCrcDigits(bad),
        };
    };
    let data = bytes.get(PREFIX_LEN..crc_at).unwrap_or_default();
    let computed = crc::crc16(data);
    let variant = if computed == declared {
        CrcVariant::Hj212
    } else if config.accept_modbus_crc && crc::crc16_modbus(data) == declared {
        CrcVariant::Modbus
    } else {
        return Check::Invalid {
            extent,
            error: InvalidFrame::CrcMismatch { declared, computed },
        };
    };
    let tail_len = if config.require_crlf {
        match bytes.get(body_end..extent) {
            None => return Check::Incomplete { extent },
            Some(t) if t == TAIL => TAIL.len(),
            Some(_) => {
                return Check::Invalid {
                    extent,
                    error: InvalidFrame::MissingCrlf,
                };
            }
        }
    } else {
        match bytes.get(body_end..) {
            Some([b'\r', b'\n', ..]) => 2,
            Some([b'\n', ..]) => 1,
            _ => 0,
        }
    };
    Check::Valid {
        len,
        crc: declared,
        variant,
        consumed: body_end + tail_len,
    }
}

/// Candidate `##` positions examined inside one frame (bounds memory and work per `push`).
const MAX_EMBEDDED_CANDIDATES: usize = 32;

/// What [`find_embedded`] learnt about one frame so far: the candidate `##` positions in order
/// (and whether each is known complete and invalid) and how far the frame was scanned. Bytes
/// are scanned and complete candidates CRC-checked once, however the frame trickles in.
#[derive(Debug, Clone, Default)]
struct EmbeddedMemo {
    /// Absolute stream offset of the frame this memo belongs to.
    owner: Option<u64>,
    /// `(offset from the frame's ##, known invalid)`.
    candidates: Vec<(usize, bool)>,
    /// Bytes of the frame scanned for candidates.
    scanned: usize,
}

/// Offset of the first complete, valid frame among the first [`MAX_EMBEDDED_CANDIDATES`]
/// `##` positions after offset 0 that ends within the first `extent` bytes of `bytes` (only
/// bytes already received are looked at).
fn find_embedded(
    bytes: &[u8],
    extent: usize,
    config: &FramerConfig,
    memo: &mut EmbeddedMemo,
) -> Option<usize> {
    let window = bytes.get(..extent.min(bytes.len()))?;
    // New candidates: a `##` needs both bytes, so one ending at the old edge is new.
    let mut from = memo.scanned.saturating_sub(1).max(1);
    while memo.candidates.len() < MAX_EMBEDDED_CANDIDATES {
        let Some(at) = window.get(from..).and_then(find_header).map(|i| from + i) else {
            break;
        };
        memo.candidates.push((at, false));
        from = at + 1;
    }
    memo.scanned = if memo.candidates.len() < MAX_EMBEDDED_CANDIDATES {
        window.len()
    } else {
        from
    };
    for (at, invalid) in &mut memo.candidates {
        if *invalid {
            continue;
        }
        match check_frame(window.get(*at..).unwrap_or_default(), config) {
            Check::Valid { .. } => return Some(*at),
            // An invalid or over-long candidate stays so whatever bytes follow.
            Check::Invalid { .. } | Check::Fatal(_) => *invalid = true,
            // A candidate that may still complete inside the extent decides before any later
            // one: answering with a later candidate now would depend on how much of the
            // stream has arrived, i.e. on chunking (found by `cargo fuzz run hj212_packet`).
            Check::Incomplete { extent: e } if *at + e <= extent => return None,
            // It cannot complete inside the extent: it never counts.
            Check::Incomplete { .. } => *invalid = true,
        }
    }
    None
}

/// Whether a `##` starts anywhere after offset 0 of `frame` (a cheap pre-check before the
/// embedded-frame rule).
fn has_embedded_header(frame: &[u8]) -> bool {
    frame.get(1..).and_then(find_header).is_some()
}

/// Offset of the first `##` in `bytes`.
fn find_header(bytes: &[u8]) -> Option<usize> {
    let mut from = 0;
    while let Some(i) = bytes.get(from..)?.iter().position(|&b| b == b'#') {
        let at = from + i;
        match bytes.get(at + 1) {
            Some(b'#') => return Some(at),
            Some(_) => from = at + 2,
            None => return None,
        }
    }
    None
}

fn parse_len(digits: [u8; 4]) -> Option<usize> {
    let mut n = 0usize;
    for d in digits {
        if !d.is_ascii_digit() {
            return None;
        }
        n = n * 10 + usize::from(d - b'0');
    }
    Some(n)
}

/// Error building a frame.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EncodeError {
    /// The data segment does not fit the 4-digit length field.
    #[error("data segment of {0} bytes exceeds {MAX_DATA_LEN}")]
    TooLong(usize),
    /// A header or CP value contains a character that would break the packet grammar.
    #[error("{field} value {value:?} contains a reserved character")]
    ReservedCharacter {
        /// Which field.
        field: &'static str,
        /// The offending value.
        value: String,
    },
    /// A CP key is empty or contains a reserved character.
    #[error("CP key {0:?} is empty or contains a reserved character")]
    BadKey(String),
}

/// Frames `data` as `##` + length + data + CRC (uppercase) + `\r\n`, appending to `out`.
///
/// # Errors
///
/// [`EncodeError::TooLong`] if `data` is longer than 9999 bytes.
pub fn encode_into(data: &[u8], out: &mut Vec<u8>) -> Result<(), EncodeError> {
    let len = data.len();
    if len > MAX_DATA_LEN {
        return Err(EncodeError::TooLong(len));
    }
    out.reserve(len + OVERHEAD);
    out.extend_from_slice(HEADER);
    // `len <= 9999`, so four digits; the casts cannot truncate.
    for div in [1000, 100, 10, 1] {
        out.push(b'0' + ((len / div) % 10) as u8);
    }
    out.extend_from_slice(data);
    crc::write_hex(crc::crc16(data), out);
    out.extend_from_slice(TAIL);
    Ok(())
}

/// Frames `data` into a new vector; see [`encode_into`].
///
/// # Errors
///
/// [`EncodeError::TooLong`] if `data` is longer than 9999 bytes.
pub fn encode(data: &[u8]) -> Result<Vec<u8>, EncodeError> {
    let mut out = Vec::with_capacity(data.len() + OVERHEAD);
    encode_into(data, &mut out)?;
    Ok(out)
}
