//! 0x0001 terminal general response (终端通用应答) and 0x8001 platform general response
//! (平台通用应答). Both share one layout.
//!
//! # Wire format
//!
//! ```text
//! +--------------+----------+--------+
//! | reply serial | reply id | result |
//! | WORD         | WORD     | BYTE   |
//! +--------------+----------+--------+
//! ```
//!
//! `reply serial` is the serial of the message answered, `reply id` its id. Result codes are
//! [`ResultCode`].

use crate::error::DecodeError;
use crate::wire::{Reader, put_u16};

/// Result of a general response (结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResultCode {
    /// 0 success / confirm (成功/确认).
    Success,
    /// 1 failure (失败).
    Failure,
    /// 2 message error (消息有误).
    MessageError,
    /// 3 unsupported (不支持).
    Unsupported,
    /// 4 alarm handling confirmed (报警处理确认), 0x8001 only.
    AlarmConfirmed,
    /// Any other value.
    Other(u8),
}

impl From<u8> for ResultCode {
    fn from(v: u8) -> Self {
        match v {
            0 => ResultCode::Success,
            1 => ResultCode::Failure,
            2 => ResultCode::MessageError,
            3 => ResultCode::Unsupported,
            4 => ResultCode::AlarmConfirmed,
            other => ResultCode::Other(other),
        }
    }
}

impl From<ResultCode> for u8 {
    fn from(r: ResultCode) -> u8 {
        match r {
            ResultCode::Success => 0,
            ResultCode::Failure => 1,
            ResultCode::MessageError => 2,
            ResultCode::Unsupported => 3,
            ResultCode::AlarmConfirmed => 4,
            ResultCode::Other(v) => v,
        }
    }
}

/// Body of 0x0001 and 0x8001.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct GeneralResponse {
    /// Serial of the message answered (应答流水号).
    pub reply_serial: u16,
    /// Id of the message answered (应答 ID).
    pub reply_id: u16,
    /// Result (结果).
    pub result: ResultCode,
}

impl GeneralResponse {
    /// Body length.
    pub const LEN: usize = 5;

    /// Decodes the 5-byte body; trailing bytes are ignored.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] below 5 bytes.
    pub fn decode(body: &[u8]) -> Result<GeneralResponse, DecodeError> {
        let mut r = Reader::new(body);
        Ok(GeneralResponse {
            reply_serial: r.u16("general_response.reply_serial")?,
            reply_id: r.u16("general_response.reply_id")?,
            result: r.u8("general_response.result")?.into(),
        })
    }

    /// Appends the body.
    pub fn encode(&self, out: &mut Vec<u8>) {
        put_u16(out, self.reply_serial);
        put_u16(out, self.reply_id);
        out.push(self.result.into());
    }
}
