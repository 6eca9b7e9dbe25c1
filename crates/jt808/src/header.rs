//! The message header (消息头): id, body attributes, terminal phone, serial, subpackage fields.
//!
//! # Wire format
//!
//! 2011 / 2013 header, 12 bytes (16 when subpackaged):
//!
//! ```text
//! +--------+--------+-----------------+--------+---------+---------+
//! | id     | attrs  | phone BCD[6]    | serial | [total] | [index] |
//! | WORD   | WORD   | 12 digits       | WORD   | WORD    | WORD    |
//! +--------+--------+-----------------+--------+---------+---------+
//! ```
//!
//! 2019 header, 17 bytes (21 when subpackaged): attribute bit 14 is set and a protocol-version
//! byte follows the attributes; the phone widens to `BCD[10]`:
//!
//! ```text
//! | id WORD | attrs WORD | version BYTE | phone BCD[10] | serial WORD | [total WORD] | [index WORD] |
//! ```
//!
//! Body attribute word (消息体属性):
//!
//! ```text
//!  15   14        13          12..10       9..0
//! | r | version | subpackage | encryption | body length |
//! ```
//!
//! 2011 and 2013 headers are identical; only some bodies differ (chiefly `0x0100`), so the
//! header reports [`Version::V2013`] and the register decoder refines it.

use std::fmt;

use crate::error::{DecodeError, EncodeError};
use crate::frame::MAX_BODY_LEN;
use crate::wire::{Reader, put_u16};

/// Header length of a 2011/2013 frame without subpackage fields.
pub const HEADER_LEN_2013: usize = 12;
/// Header length of a 2019 frame without subpackage fields.
pub const HEADER_LEN_2019: usize = 17;

const ATTR_LEN_MASK: u16 = 0x03FF;
const ATTR_ENCRYPTION_SHIFT: u16 = 10;
const ATTR_SUBPACKAGE: u16 = 1 << 13;
const ATTR_VERSION: u16 = 1 << 14;
const ATTR_RESERVED: u16 = 1 << 15;

/// Edition of the standard a terminal speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Version {
    /// JT/T 808-2011. Same header as 2013; a shorter `0x0100` body.
    V2011,
    /// JT/T 808-2013.
    V2013,
    /// JT/T 808-2019 (attribute bit 14, version byte, 20-digit phone).
    V2019,
}

/// Terminal phone number (终端手机号) as raw BCD.
///
/// Kept as an opaque nibble string: some vendors put hex ids with nibbles A–F here, so the
/// digits are rendered as lowercase hex and never parsed as a number. A 2011/2013 header holds
/// 6 bytes (12 digits), a 2019 header 10 bytes (20 digits); zero padding is kept.
/// Equality is on the raw bytes and width; use [`Phone::trimmed`] to compare across editions.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Phone {
    len: u8,
    bcd: [u8; 10],
}

/// A phone string that is not 1–20 hex digits.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("phone number must be 1 to 20 hex digits")]
pub struct PhoneError;

impl Phone {
    /// From raw BCD bytes (1–10 bytes); `None` when the slice is empty or longer than 10.
    pub fn from_bcd(bytes: &[u8]) -> Option<Phone> {
        let len = u8::try_from(bytes.len())
            .ok()
            .filter(|l| (1..=10).contains(l))?;
        let mut bcd = [0u8; 10];
        bcd.get_mut(..bytes.len())?.copy_from_slice(bytes);
        Some(Phone { len, bcd })
    }

    /// From a digit string (hex nibbles allowed, any case). Up to 12 digits gives a 6-byte
    /// (2013) phone, 13–20 digits a 10-byte (2019) phone; missing digits are `0` in front.
    pub fn from_digits(digits: &str) -> Result<Phone, PhoneError> {
        let n = digits.len();
        if n == 0 || n > 20 {
            return Err(PhoneError);
        }
        let width = if n <= 12 { 12 } else { 20 };
        let mut nibbles = [0u8; 20];
        for (slot, c) in nibbles.iter_mut().skip(width - n).zip(digits.chars()) {
            *slot = u8::try_from(c.to_digit(16).ok_or(PhoneError)?).map_err(|_| PhoneError)?;
        }
        let mut bcd = [0u8; 10];
        for (i, b) in bcd.iter_mut().take(width / 2).enumerate() {
            let hi = nibbles.get(2 * i).copied().unwrap_or(0);
            let lo = nibbles.get(2 * i + 1).copied().unwrap_or(0);
            *b = (hi << 4) | lo;
        }
        Ok(Phone {
            len: u8::try_from(width / 2).map_err(|_| PhoneError)?,
            bcd,
        })
    }

    /// The raw BCD bytes (6 or 10 for phones read from a header).
    pub fn bcd(&self) -> &[u8] {
        self.bcd.get(..usize::from(self.len)).unwrap_or_default()
    }

    /// Re-widened to `bytes` BCD bytes: zero nibbles are added in front, or leading bytes are
    /// dropped. Used when a 2013 phone must be written into a 2019 header or back.
    pub fn with_width(&self, bytes: usize) -> Phone {
        let bytes = bytes.clamp(1, 10);
        let src = self.bcd();
        let mut bcd = [0u8; 10];
        if src.len() >= bytes {
            let skip = src.len() - bytes;
            for (d, s) in bcd.iter_mut().zip(src.iter().skip(skip)) {
                *d = *s;
            }
        } else {
            let pad = bytes - src.len();
            for (d, s) in bcd.iter_mut().skip(pad).zip(src) {
                *d = *s;
            }
        }
        Phone {
            len: u8::try_from(bytes).unwrap_or(10),
            bcd,
        }
    }

    /// All digits, zero padding kept (`"013511221122"`), A–F as lowercase.
    pub fn digits(&self) -> String {
        self.to_string()
    }

    /// Digits without leading zeros (`"13511221122"`): the form other libraries print, and a
    /// key that is equal for the 2013 and 2019 renderings of one number.
    pub fn trimmed(&self) -> String {
        let d = self.digits();
        let t = d.trim_start_matches('0');
        if t.is_empty() {
            "0".to_owned()
        } else {
            t.to_owned()
        }
    }

    /// `true` when every nibble is a decimal digit.
    pub fn is_numeric(&self) -> bool {
        self.bcd().iter().all(|&b| (b >> 4) <= 9 && (b & 0x0F) <= 9)
    }
}

impl fmt::Display for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for b in self.bcd() {
            write!(f, "{b:02x}")?;
        }
        Ok(())
    }
}

impl fmt::Debug for Phone {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Phone({self})")
    }
}

impl std::str::FromStr for Phone {
    type Err = PhoneError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Phone::from_digits(s)
    }
}

/// Subpackage fields (消息包封装项): total packets and this packet's index, from 1.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Package {
    /// Number of packets in the message.
    pub total: u16,
    /// Index of this packet, 1-based.
    pub index: u16,
}

/// The decoded body attribute word.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BodyProps(pub u16);

impl BodyProps {
    /// Bits 0–9: body length in bytes (after unescaping).
    pub fn body_len(self) -> usize {
        usize::from(self.0 & ATTR_LEN_MASK)
    }
    /// Bits 10–12: 0 = plain, 1 (bit 10) = RSA, others reserved.
    pub fn encryption(self) -> u8 {
        u8::try_from((self.0 >> ATTR_ENCRYPTION_SHIFT) & 0x07).unwrap_or(0)
    }
    /// Bit 13: subpackage fields follow the serial.
    pub fn subpackaged(self) -> bool {
        self.0 & ATTR_SUBPACKAGE != 0
    }
    /// Bit 14: 2019 version flag.
    pub fn version_flag(self) -> bool {
        self.0 & ATTR_VERSION != 0
    }
    /// Bit 15: reserved.
    pub fn reserved(self) -> bool {
        self.0 & ATTR_RESERVED != 0
    }
}

/// A decoded message header.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Header {
    /// Message id (消息 ID).
    pub id: u16,
    /// Encryption bits 10–12 of the attribute word (0 = none, 1 = RSA).
    pub encryption: u8,
    /// Reserved bit 15, kept so a header re-encodes byte for byte.
    pub reserved: bool,
    /// 2019 protocol-version byte (协议版本号); `Some` means a 2019 header.
    pub protocol_version: Option<u8>,
    /// Terminal phone (终端手机号).
    pub phone: Phone,
    /// Message serial (消息流水号) of the sender.
    pub serial: u16,
    /// Subpackage fields when attribute bit 13 is set.
    pub package: Option<Package>,
}

impl Header {
    /// A plain 2011/2013 header.
    pub fn new_2013(id: u16, phone: Phone, serial: u16) -> Header {
        Header {
            id,
            encryption: 0,
            reserved: false,
            protocol_version: None,
            phone: phone.with_width(6),
            serial,
            package: None,
        }
    }

    /// A plain 2019 header with protocol version 1.
    pub fn new_2019(id: u16, phone: Phone, serial: u16) -> Header {
        Header {
            id,
            encryption: 0,
            reserved: false,
            protocol_version: Some(1),
            phone: phone.with_width(10),
            serial,
            package: None,
        }
    }

    /// [`Version::V2019`] for a 2019 header, otherwise [`Version::V2013`].
    pub fn version(&self) -> Version {
        if self.protocol_version.is_some() {
            Version::V2019
        } else {
            Version::V2013
        }
    }

    /// A header for a reply: same edition, version byte and phone (width included), the given
    /// id and serial, no encryption, no subpackage.
    pub fn reply(&self, id: u16, serial: u16) -> Header {
        Header {
            id,
            encryption: 0,
            reserved: false,
            protocol_version: self.protocol_version,
            phone: self.phone,
            serial,
            package: None,
        }
    }

    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        let base = if self.protocol_version.is_some() {
            HEADER_LEN_2019
        } else {
            HEADER_LEN_2013
        };
        base + if self.package.is_some() { 4 } else { 0 }
    }

    /// Parses a header from the start of an unescaped frame. Returns the header, the attribute
    /// word and the header length.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] when the bytes end inside the header.
    pub fn decode(bytes: &[u8]) -> Result<(Header, BodyProps, usize), DecodeError> {
        let mut r = Reader::new(bytes);
        let id = r.u16("header.id")?;
        let props = BodyProps(r.u16("header.attributes")?);
        let protocol_version = if props.version_flag() {
            Some(r.u8("header.protocol_version")?)
        } else {
            None
        };
        let width = if protocol_version.is_some() { 10 } else { 6 };
        let phone_bytes = r.bytes(width, "header.phone")?;
        let phone = Phone::from_bcd(phone_bytes).ok_or(DecodeError::Invalid {
            field: "header.phone",
            reason: "bad width",
        })?;
        let serial = r.u16("header.serial")?;
        let package = if props.subpackaged() {
            Some(Package {
                total: r.u16("header.package_total")?,
                index: r.u16("header.package_index")?,
            })
        } else {
            None
        };
        let header = Header {
            id,
            encryption: props.encryption(),
            reserved: props.reserved(),
            protocol_version,
            phone,
            serial,
            package,
        };
        Ok((header, props, bytes.len() - r.remaining()))
    }

    /// The attribute word for a body of `body_len` bytes.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BodyTooLong`] above 1023 bytes.
    pub fn props(&self, body_len: usize) -> Result<BodyProps, EncodeError> {
        if body_len > MAX_BODY_LEN {
            return Err(EncodeError::BodyTooLong { len: body_len });
        }
        let mut attr =
            u16::try_from(body_len).map_err(|_| EncodeError::BodyTooLong { len: body_len })?;
        attr |= u16::from(self.encryption & 0x07) << ATTR_ENCRYPTION_SHIFT;
        if self.package.is_some() {
            attr |= ATTR_SUBPACKAGE;
        }
        if self.protocol_version.is_some() {
            attr |= ATTR_VERSION;
        }
        if self.reserved {
            attr |= ATTR_RESERVED;
        }
        Ok(BodyProps(attr))
    }

    /// Appends the header for a body of `body_len` bytes. The phone is re-widened to the
    /// edition's width (6 or 10 bytes) if needed.
    ///
    /// # Errors
    ///
    /// [`EncodeError::BodyTooLong`] above 1023 bytes.
    pub fn encode(&self, body_len: usize, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let props = self.props(body_len)?;
        put_u16(out, self.id);
        put_u16(out, props.0);
        let width = match self.protocol_version {
            Some(v) => {
                out.push(v);
                10
            }
            None => 6,
        };
        if self.phone.bcd().len() == width {
            out.extend_from_slice(self.phone.bcd());
        } else {
            out.extend_from_slice(self.phone.with_width(width).bcd());
        }
        put_u16(out, self.serial);
        if let Some(p) = self.package {
            put_u16(out, p.total);
            put_u16(out, p.index);
        }
        Ok(())
    }
}
