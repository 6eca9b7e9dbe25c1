//! 0x0102 authenticate (终端鉴权).
//!
//! # Wire format
//!
//! 2011 / 2013: the whole body is the auth code.
//!
//! ```text
//! +---------------------+
//! | auth code  STRING   |
//! +---------------------+
//! ```
//!
//! 2019:
//!
//! ```text
//! +-------------+----------------+-------------+---------------------------+
//! | code len n  | auth code      | IMEI        | software version          |
//! | BYTE        | STRING[n]      | BYTE[15]    | BYTE[20], NUL-padded      |
//! +-------------+----------------+-------------+---------------------------+
//! ```
//!
//! Tolerance: a 2019 body cut short after the code yields empty IMEI / version fields
//! rather than an error; the code is what authentication needs.

use crate::error::{DecodeError, EncodeError};
use crate::header::Version;
use crate::wire::{Reader, gbk_decode, gbk_encode, len_u8, put_fixed_text};

/// Body of 0x0102.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Authenticate {
    /// Auth code (鉴权码) issued in 0x8100.
    pub code: String,
    /// Terminal IMEI (2019 only; empty otherwise).
    pub imei: String,
    /// Software version (2019 only; empty otherwise).
    pub software_version: String,
}

impl Authenticate {
    /// A 2011/2013 authentication.
    pub fn new(code: impl Into<String>) -> Authenticate {
        Authenticate {
            code: code.into(),
            imei: String::new(),
            software_version: String::new(),
        }
    }

    /// Decodes the body for edition `version`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] when a 2019 code length exceeds the body.
    pub fn decode(body: &[u8], version: Version) -> Result<Authenticate, DecodeError> {
        if version != Version::V2019 {
            return Ok(Authenticate::new(gbk_decode(body)));
        }
        let mut r = Reader::new(body);
        let n = r.u8("auth.code_len")?;
        let code = gbk_decode(r.bytes(usize::from(n), "auth.code")?);
        let imei_len = r.remaining().min(15);
        let imei = gbk_decode(r.bytes(imei_len, "auth.imei")?);
        let sw_len = r.remaining().min(20);
        let software_version = gbk_decode(r.bytes(sw_len, "auth.software_version")?);
        Ok(Authenticate {
            code,
            imei,
            software_version,
        })
    }

    /// Appends the body for edition `version`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] for a 2019 code over 255 bytes, an IMEI over 15 or a
    /// software version over 20.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let code = gbk_encode(&self.code);
        if version != Version::V2019 {
            out.extend_from_slice(&code);
            return Ok(());
        }
        out.push(len_u8(code.len(), "auth.code")?);
        out.extend_from_slice(&code);
        put_fixed_text(out, &self.imei, 15, "auth.imei")?;
        put_fixed_text(out, &self.software_version, 20, "auth.software_version")
    }
}
