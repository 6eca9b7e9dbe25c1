//! 0x8300 text message (文本信息下发).
//!
//! # Wire format
//!
//! ```text
//! 2011 / 2013:  | flags BYTE |                 | text STRING (GBK) |
//! 2019:         | flags BYTE | text type BYTE  | text STRING (GBK) |
//! ```
//!
//! Flags: bit 0 emergency, bit 2 terminal display, bit 3 TTS read-out, bit 4 advertising
//! screen, bit 5 0 = navigation information / 1 = CAN fault code. Text type (2019): 1 notice,
//! 2 service. The terminal answers 0x0001.

use crate::error::{DecodeError, EncodeError};
use crate::header::Version;
use crate::wire::{Reader, gbk_decode, gbk_encode};

/// Body of 0x8300.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct TextMessage {
    /// Flag byte (标志); see the `FLAG_*` constants.
    pub flags: u8,
    /// Text type (2019 only): 1 notice (通知), 2 service (服务). `None` for 2011/2013;
    /// a 2019 encode writes 1 when it is `None`.
    pub text_type: Option<u8>,
    /// The text, at most 1024 GBK bytes.
    pub text: String,
}

impl TextMessage {
    /// Flag bit 0: emergency.
    pub const FLAG_EMERGENCY: u8 = 1;
    /// Flag bit 2: show on the terminal display.
    pub const FLAG_DISPLAY: u8 = 1 << 2;
    /// Flag bit 3: read out by TTS.
    pub const FLAG_TTS: u8 = 1 << 3;
    /// Flag bit 4: advertising screen.
    pub const FLAG_ADVERTISING: u8 = 1 << 4;
    /// Flag bit 5: CAN fault code (otherwise navigation information).
    pub const FLAG_CAN_FAULT: u8 = 1 << 5;
    /// Maximum text length in bytes.
    pub const MAX_TEXT_LEN: usize = 1024;

    /// Decodes the body for edition `version`.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] for an empty body (or a 2019 body without the type byte).
    pub fn decode(body: &[u8], version: Version) -> Result<TextMessage, DecodeError> {
        let mut r = Reader::new(body);
        let flags = r.u8("text.flags")?;
        let text_type = if version == Version::V2019 {
            Some(r.u8("text.type")?)
        } else {
            None
        };
        Ok(TextMessage {
            flags,
            text_type,
            text: gbk_decode(r.rest()),
        })
    }

    /// Appends the body for edition `version`.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] for a text over 1024 bytes.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        let text = gbk_encode(&self.text);
        if text.len() > Self::MAX_TEXT_LEN {
            return Err(EncodeError::FieldTooLong {
                field: "text.text",
                len: text.len(),
                max: Self::MAX_TEXT_LEN,
            });
        }
        out.push(self.flags);
        if version == Version::V2019 {
            out.push(self.text_type.unwrap_or(1));
        }
        out.extend_from_slice(&text);
        Ok(())
    }
}
