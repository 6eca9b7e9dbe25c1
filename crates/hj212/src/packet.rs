//! Message layer: one data segment → a typed [`Packet`] (header fields by key, CP data area).
//!
//! # Data segment (HJ 212-2017 §6.3.2, Table 3)
//!
//! ```text
//! QN=20160801085857223;ST=32;CN=2011;PW=123456;MN=010000A8900016F000169DC0;Flag=5;CP=&&…&&
//! ```
//!
//! | field | content | here |
//! |---|---|---|
//! | `QN` | request id `YYYYMMDDhhmmsszzz` | optional (2005 devices omit it), any length |
//! | `ST` | system code (31 air source, 39 construction dust, 91 interaction…) | optional, not validated |
//! | `CN` | command code, 4 digits | **required**, unknown codes kept |
//! | `PW` | access password | optional |
//! | `MN` | device id (24 hex in the standard; free-form in practice, may be empty) | optional |
//! | `Flag` | `V5..V0 D A` bits, see [`Flag`] | optional (missing = 0) |
//! | `PNUM` / `PNO` | total sub-packets / 1-based index, when Flag.D = 1 | optional, zero padding allowed |
//! | `CP` | `CP=&&…&&`, see [`crate::cp`] | **required**, may be empty |
//!
//! Fields are separated by `;` and read **by key, in any order**; unknown keys are kept
//! ([`Packet::extra_fields`]), duplicates keep the first value. `CP` is normally last; fields after
//! its closing `&&` (`…&&;Flag=5`) are read too. The closing `&&` is the last `&&` of the segment.
//!
//! **API Boundary:** a `Packet` owns its text (no copy from the framer: the data segment's
//! `Vec<u8>` becomes the `String`) and every accessor borrows from it. Values are never floats.

use std::fmt;

use crate::command::{Command, Flag, Version};
use crate::cp::{Cp, PairSpan, Span, parse_pairs};
use crate::frame::{self, EncodeError, FrameError, PacketFramer, RawPacket};
use crate::time::DateTime;

/// Why a framed data segment is not a valid HJ 212 packet body.
///
/// Body errors are distinct from [`FrameError`]s: the frame (length and CRC) was fine.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BodyError {
    /// The data segment is not UTF-8.
    #[error("data segment is not UTF-8 (valid up to byte {valid_up_to})")]
    NotUtf8 {
        /// Length of the valid prefix.
        valid_up_to: usize,
    },
    /// A header field without `=`.
    #[error("header field at byte {offset} has no '='")]
    MalformedField {
        /// Byte offset in the data segment.
        offset: usize,
    },
    /// No `CN` field.
    #[error("missing CN")]
    MissingCn,
    /// `CN` is not 1–4 digits.
    #[error("CN {0:?} is not a 4-digit code")]
    BadCn(String),
    /// `Flag` is not an integer 0–255.
    #[error("Flag {0:?} is not an integer 0-255")]
    BadFlag(String),
    /// `PNUM` or `PNO` is not 1–4 digits.
    #[error("{field} {value:?} is not a number up to 4 digits")]
    BadPacketNumber {
        /// `PNUM` or `PNO`.
        field: &'static str,
        /// The value.
        value: String,
    },
    /// No `CP=&&` field.
    #[error("missing CP=&&")]
    MissingCp,
    /// `CP=&&` without a closing `&&`.
    #[error("CP has no closing &&")]
    UnterminatedCp,
    /// Text after the closing `&&` that is not `;`-separated fields.
    #[error("unexpected text after CP at byte {offset}")]
    TrailingData {
        /// Byte offset in the data segment.
        offset: usize,
    },
    /// The CP area breaks the grammar.
    #[error("malformed CP at byte {offset}: {reason}")]
    MalformedCp {
        /// Byte offset in the text being parsed.
        offset: usize,
        /// What is wrong.
        reason: &'static str,
    },
    /// The text is too long to index.
    #[error("text too long")]
    TooLong,
}

/// Error decoding one complete frame with [`Packet::decode`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// Framing or CRC error.
    #[error(transparent)]
    Frame(#[from] FrameError),
    /// The bytes do not hold a complete frame.
    #[error("incomplete frame")]
    Incomplete,
    /// Framing was fine, the body is not.
    #[error(transparent)]
    Body(#[from] BodyError),
}

/// A parsed HJ 212 packet (one data segment).
#[derive(Clone, PartialEq, Eq)]
pub struct Packet {
    text: String,
    qn: Option<Span>,
    st: Option<Span>,
    pw: Option<Span>,
    mn: Option<Span>,
    cn: Command,
    flag: Option<Flag>,
    pnum: Option<u16>,
    pno: Option<u16>,
    cp: Span,
    pairs: Vec<PairSpan>,
    extras: Vec<(Span, Span)>,
}

#[derive(Default)]
struct Header {
    qn: Option<Span>,
    st: Option<Span>,
    pw: Option<Span>,
    mn: Option<Span>,
    cn: Option<Command>,
    flag: Option<Flag>,
    pnum: Option<u16>,
    pno: Option<u16>,
    extras: Vec<(Span, Span)>,
}

fn small_number(value: &str, max_digits: usize) -> Option<u16> {
    if value.is_empty() || value.len() > max_digits || !value.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    value.parse().ok()
}

impl Header {
    /// Reads one `key=value` header field at `text[start..end]`.
    fn field(&mut self, text: &str, start: usize, end: usize) -> Result<(), BodyError> {
        if start >= end {
            return Ok(());
        }
        let field = text.get(start..end).unwrap_or_default();
        let Some(eq) = field.find('=') else {
            return Err(BodyError::MalformedField { offset: start });
        };
        let key = Span::new(start, start + eq);
        let value_span = Span::new(start + eq + 1, end);
        let name = key.get(text);
        let value = value_span.get(text);
        let slot = match name {
            "QN" => &mut self.qn,
            "ST" => &mut self.st,
            "PW" => &mut self.pw,
            "MN" => &mut self.mn,
            "CN" if self.cn.is_none() => {
                let code =
                    small_number(value, 4).ok_or_else(|| BodyError::BadCn(value.to_owned()))?;
                self.cn = Some(Command::from_code(code));
                return Ok(());
            }
            "Flag" if self.flag.is_none() => {
                if !value.is_empty() {
                    let bits = small_number(value, 3)
                        .and_then(|n| u8::try_from(n).ok())
                        .ok_or_else(|| BodyError::BadFlag(value.to_owned()))?;
                    self.flag = Some(Flag(bits));
                }
                return Ok(());
            }
            "PNUM" | "PNO" => {
                let (field, slot) = if name == "PNUM" {
                    ("PNUM", &mut self.pnum)
                } else {
                    ("PNO", &mut self.pno)
                };
                if slot.is_none() && !value.is_empty() {
                    let n = small_number(value, 4).ok_or_else(|| BodyError::BadPacketNumber {
                        field,
                        value: value.to_owned(),
                    })?;
                    *slot = Some(n);
                }
                return Ok(());
            }
            _ => {
                self.extras.push((key, value_span));
                return Ok(());
            }
        };
        if slot.is_none() {
            *slot = Some(value_span);
        } else {
            self.extras.push((key, value_span));
        }
        Ok(())
    }

    /// Reads `;`-separated fields in `text[start..end]`.
    fn fields(&mut self, text: &str, mut start: usize, end: usize) -> Result<(), BodyError> {
        let b = text.as_bytes();
        while start < end {
            let stop = b
                .get(start..end)
                .and_then(|r| r.iter().position(|&c| c == b';'))
                .map_or(end, |p| start + p);
            self.field(text, start, stop)?;
            start = stop + 1;
        }
        Ok(())
    }
}

impl Packet {
    /// Parses a data segment (the bytes between the length field and the CRC).
    ///
    /// # Errors
    ///
    /// See [`BodyError`].
    pub fn parse(data: &[u8]) -> Result<Self, BodyError> {
        Self::from_vec(data.to_vec())
    }

    /// Parses a framed packet's data segment without copying it.
    ///
    /// # Errors
    ///
    /// See [`BodyError`].
    pub fn from_raw(raw: RawPacket) -> Result<Self, BodyError> {
        Self::from_vec(raw.into_data())
    }

    /// Decodes exactly one complete frame (`##…\r\n`; the CRLF is optional).
    ///
    /// # Errors
    ///
    /// [`DecodeError::Frame`] for a framing or CRC error, [`DecodeError::Incomplete`] if no
    /// complete frame is present, [`DecodeError::Body`] for a bad data segment.
    pub fn decode(frame: &[u8]) -> Result<Self, DecodeError> {
        let mut framer = PacketFramer::new(frame::FramerConfig {
            max_data_len: frame::MAX_DATA_LEN,
            ..frame::FramerConfig::lenient()
        });
        framer.push(frame);
        match framer.next_packet() {
            Some(Ok(raw)) => Ok(Self::from_raw(raw)?),
            Some(Err(e)) => Err(DecodeError::Frame(e)),
            None => Err(DecodeError::Incomplete),
        }
    }

    fn from_vec(data: Vec<u8>) -> Result<Self, BodyError> {
        let text = String::from_utf8(data).map_err(|e| BodyError::NotUtf8 {
            valid_up_to: e.utf8_error().valid_up_to(),
        })?;
        if u32::try_from(text.len()).is_err() {
            return Err(BodyError::TooLong);
        }
        let b = text.as_bytes();
        let len = b.len();
        let mut header = Header::default();
        let mut i = 0;
        let cp = loop {
            if i >= len {
                return Err(BodyError::MissingCp);
            }
            let rest = b.get(i..).unwrap_or_default();
            if rest.starts_with(b"CP=") {
                if !rest.get(3..).is_some_and(|r| r.starts_with(b"&&")) {
                    return Err(BodyError::MissingCp);
                }
                let content = i + 5;
                let close = b
                    .get(content..)
                    .and_then(|r| r.windows(2).rposition(|w| w == b"&&"))
                    .map(|p| content + p)
                    .ok_or(BodyError::UnterminatedCp)?;
                let after = close + 2;
                if after < len {
                    if b.get(after) != Some(&b';') {
                        return Err(BodyError::TrailingData { offset: after });
                    }
                    header.fields(&text, after + 1, len)?;
                }
                break Span::new(content, close);
            }
            let stop = rest.iter().position(|&c| c == b';').map_or(len, |p| i + p);
            header.field(&text, i, stop)?;
            i = stop + 1;
        };
        let cn = header.cn.ok_or(BodyError::MissingCn)?;
        let mut pairs = Vec::with_capacity((cp.end - cp.start) as usize / 12 + 1);
        parse_pairs(&text, cp.start as usize, cp.end as usize, &mut pairs)?;
        Ok(Self {
            qn: header.qn,
            st: header.st,
            pw: header.pw,
            mn: header.mn,
            cn,
            flag: header.flag,
            pnum: header.pnum,
            pno: header.pno,
            cp,
            pairs,
            extras: header.extras,
            text,
        })
    }

    /// The data segment as received.
    #[must_use]
    pub fn as_str(&self) -> &str {
        &self.text
    }

    /// The data segment, consuming the packet.
    #[must_use]
    pub fn into_string(self) -> String {
        self.text
    }

    /// `QN`, the request id (`YYYYMMDDhhmmsszzz`), as sent.
    #[must_use]
    pub fn qn(&self) -> Option<&str> {
        self.qn.map(|s| s.get(&self.text))
    }

    /// `QN` as a date-time, if it has 17 (or 14) digits and is a valid date.
    #[must_use]
    pub fn qn_time(&self) -> Option<DateTime> {
        self.qn().and_then(|q| DateTime::parse(q).ok())
    }

    /// `ST`, the system code, as sent.
    #[must_use]
    pub fn st(&self) -> Option<&str> {
        self.st.map(|s| s.get(&self.text))
    }

    /// `CN`, the command.
    #[must_use]
    pub fn cn(&self) -> Command {
        self.cn
    }

    /// `PW`, the access password.
    #[must_use]
    pub fn pw(&self) -> Option<&str> {
        self.pw.map(|s| s.get(&self.text))
    }

    /// `MN`, the device id (may be empty).
    #[must_use]
    pub fn mn(&self) -> Option<&str> {
        self.mn.map(|s| s.get(&self.text))
    }

    /// `Flag`, if present.
    #[must_use]
    pub fn flag(&self) -> Option<Flag> {
        self.flag
    }

    /// Whether the sender asks for an answer (Flag.A; a missing Flag means no).
    #[must_use]
    pub fn needs_ack(&self) -> bool {
        self.flag.is_some_and(Flag::needs_ack)
    }

    /// Protocol version from the Flag (a missing Flag means 2005).
    #[must_use]
    pub fn version(&self) -> Version {
        self.flag.unwrap_or_default().version()
    }

    /// `PNUM`, the number of sub-packets.
    #[must_use]
    pub fn pnum(&self) -> Option<u16> {
        self.pnum
    }

    /// `PNO`, this sub-packet's 1-based index.
    #[must_use]
    pub fn pno(&self) -> Option<u16> {
        self.pno
    }

    /// Whether this is one of several sub-packets (`PNUM` > 1, or Flag.D set with PNUM/PNO).
    #[must_use]
    pub fn is_split(&self) -> bool {
        match (self.pnum, self.pno) {
            (Some(total), Some(_)) => total > 1 || self.flag.is_some_and(Flag::is_split),
            _ => false,
        }
    }

    /// The CP data area.
    #[must_use]
    pub fn cp(&self) -> Cp<'_> {
        Cp::new(&self.text, self.cp, &self.pairs)
    }

    /// Header fields this crate does not interpret (`USCC=…`, duplicates…), in order.
    pub fn extra_fields(&self) -> impl Iterator<Item = (&str, &str)> + '_ {
        self.extras
            .iter()
            .map(|(k, v)| (k.get(&self.text), v.get(&self.text)))
    }

    /// The packet framed again (`##` + length + segment + CRC + CRLF).
    ///
    /// # Errors
    ///
    /// [`EncodeError::TooLong`] above 9999 bytes (impossible for a framed packet).
    pub fn to_frame(&self) -> Result<Vec<u8>, EncodeError> {
        frame::encode(self.text.as_bytes())
    }
}

impl fmt::Debug for Packet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut d = f.debug_struct("Packet");
        d.field("qn", &self.qn())
            .field("st", &self.st())
            .field("cn", &self.cn)
            .field("pw", &self.pw())
            .field("mn", &self.mn())
            .field("flag", &self.flag)
            .field("pnum", &self.pnum)
            .field("pno", &self.pno)
            .field("cp", &self.cp());
        if !self.extras.is_empty() {
            d.field("extra", &self.extra_fields().collect::<Vec<_>>());
        }
        d.finish()
    }
}
