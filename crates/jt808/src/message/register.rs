//! 0x0100 register (终端注册).
//!
//! # Wire format
//!
//! ```text
//! +----------+---------+--------------+-------------+-------------+--------------+-----------------+
//! | province | city    | manufacturer | model       | terminal id | plate colour | plate or VIN    |
//! | WORD     | WORD    | BYTE[m]      | BYTE[t]     | BYTE[i]     | BYTE         | STRING (GBK)    |
//! +----------+---------+--------------+-------------+-------------+--------------+-----------------+
//!
//!   edition   m    t    i    fixed part
//!   2011      5    8    7    25 bytes
//!   2013      5   20    7    37 bytes
//!   2019     11   30   30    76 bytes
//! ```
//!
//! Fixed-width text is right-padded with `0x00`. With plate colour 0 the string is the VIN.
//!
//! **Edition detection** (tolerance T9, see `TOLERANCE.md`): a 2019 header means the 2019
//! layout. Otherwise the body is 2013 when it is at least 37 bytes long *and* byte 36 (the
//! 2013 plate colour) is below `0x20`; else 2011. The second condition keeps a 2011 register
//! with a long plate or VIN (whose byte 36 is text, ≥ `0x20`) from being misread as 2013,
//! the flaw of the plain "longer than 36 bytes" rule.

use crate::error::{DecodeError, EncodeError};
use crate::header::Version;
use crate::wire::{Reader, gbk_decode, gbk_encode, put_fixed_text, put_u16};

/// Body of 0x0100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Register {
    /// The body layout this register used (2011, 2013 or 2019).
    pub version: Version,
    /// Province id (省域 ID): first two digits of the GB/T 2260 code; 0 = platform default.
    pub province: u16,
    /// City / county id (市县域 ID): last four digits of the GB/T 2260 code.
    pub city: u16,
    /// Manufacturer id (制造商 ID).
    pub manufacturer: String,
    /// Terminal model (终端型号).
    pub model: String,
    /// Terminal id (终端 ID), manufacturer-defined.
    pub terminal_id: String,
    /// Plate colour (车牌颜色): 0 none (VIN follows), 1 blue, 2 yellow, 3 black, 4 white,
    /// 5 green (2019), 9 other.
    pub plate_color: u8,
    /// Plate number, or the VIN when `plate_color` is 0 (车辆标识).
    pub plate: String,
}

impl Register {
    /// Plate colour: no plate; the string carries the VIN.
    pub const COLOR_NONE: u8 = 0;
    /// Plate colour: blue.
    pub const COLOR_BLUE: u8 = 1;
    /// Plate colour: yellow (trucks, including muck trucks).
    pub const COLOR_YELLOW: u8 = 2;
    /// Plate colour: black.
    pub const COLOR_BLACK: u8 = 3;
    /// Plate colour: white.
    pub const COLOR_WHITE: u8 = 4;
    /// Plate colour: green (new-energy, 2019).
    pub const COLOR_GREEN: u8 = 5;
    /// Plate colour: other.
    pub const COLOR_OTHER: u8 = 9;

    /// Widths of (manufacturer, model, terminal id) for an edition.
    pub fn field_widths(version: Version) -> (usize, usize, usize) {
        match version {
            Version::V2011 => (5, 8, 7),
            Version::V2013 => (5, 20, 7),
            Version::V2019 => (11, 30, 30),
        }
    }

    /// The layout of a register body sent with a header of edition `header_version`.
    pub fn detect_version(body: &[u8], header_version: Version) -> Version {
        match header_version {
            Version::V2019 => Version::V2019,
            Version::V2011 => Version::V2011,
            Version::V2013 => match body.get(36) {
                Some(&colour) if colour < 0x20 => Version::V2013,
                _ => Version::V2011,
            },
        }
    }

    /// Decodes the body; the layout follows [`Register::detect_version`].
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] when the fixed part is incomplete.
    pub fn decode(body: &[u8], header_version: Version) -> Result<Register, DecodeError> {
        let version = Register::detect_version(body, header_version);
        let (m, t, i) = Register::field_widths(version);
        let mut r = Reader::new(body);
        Ok(Register {
            version,
            province: r.u16("register.province")?,
            city: r.u16("register.city")?,
            manufacturer: gbk_decode(r.bytes(m, "register.manufacturer")?),
            model: gbk_decode(r.bytes(t, "register.model")?),
            terminal_id: gbk_decode(r.bytes(i, "register.terminal_id")?),
            plate_color: r.u8("register.plate_color")?,
            plate: gbk_decode(r.rest()),
        })
    }

    /// Appends the body in the layout of `self.version`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] when a text does not fit its field.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let (m, t, i) = Register::field_widths(self.version);
        put_u16(out, self.province);
        put_u16(out, self.city);
        put_fixed_text(out, &self.manufacturer, m, "register.manufacturer")?;
        put_fixed_text(out, &self.model, t, "register.model")?;
        put_fixed_text(out, &self.terminal_id, i, "register.terminal_id")?;
        out.push(self.plate_color);
        out.extend_from_slice(&gbk_encode(&self.plate));
        Ok(())
    }
}

/// Strips the padding some 2019 devices put in front of ids: leading ASCII `'0'` and NUL.
/// The codec keeps ids verbatim; call this where ids are compared.
pub fn trim_id_padding(id: &str) -> &str {
    id.trim_start_matches(['0', '\0'])
}
