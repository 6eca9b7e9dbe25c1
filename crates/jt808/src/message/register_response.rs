//! 0x8100 register response (终端注册应答).
//!
//! # Wire format
//!
//! ```text
//! +--------------+--------+---------------------------+
//! | reply serial | result | auth code (鉴权码)         |
//! | WORD         | BYTE   | STRING, only if result 0  |
//! +--------------+--------+---------------------------+
//! ```

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, gbk_decode, gbk_encode, put_u16};

/// Result of a registration (结果).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RegisterResult {
    /// 0 success; an auth code follows.
    Success,
    /// 1 vehicle already registered (车辆已被注册).
    VehicleAlreadyRegistered,
    /// 2 vehicle not in the database (数据库中无该车辆).
    VehicleUnknown,
    /// 3 terminal already registered (终端已被注册).
    TerminalAlreadyRegistered,
    /// 4 terminal not in the database (数据库中无该终端).
    TerminalUnknown,
    /// Any other value.
    Other(u8),
}

impl From<u8> for RegisterResult {
    fn from(v: u8) -> Self {
        match v {
            0 => RegisterResult::Success,
            1 => RegisterResult::VehicleAlreadyRegistered,
            2 => RegisterResult::VehicleUnknown,
            3 => RegisterResult::TerminalAlreadyRegistered,
            4 => RegisterResult::TerminalUnknown,
            other => RegisterResult::Other(other),
        }
    }
}

impl From<RegisterResult> for u8 {
    fn from(r: RegisterResult) -> u8 {
        match r {
            RegisterResult::Success => 0,
            RegisterResult::VehicleAlreadyRegistered => 1,
            RegisterResult::VehicleUnknown => 2,
            RegisterResult::TerminalAlreadyRegistered => 3,
            RegisterResult::TerminalUnknown => 4,
            RegisterResult::Other(v) => v,
        }
    }
}

/// Body of 0x8100.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterResponse {
    /// Serial of the 0x0100 answered.
    pub reply_serial: u16,
    /// Result.
    pub result: RegisterResult,
    /// Auth code the terminal must present in 0x0102; empty unless `result` is success.
    pub auth_code: String,
}

impl RegisterResponse {
    /// Decodes the body. The auth code is read only when the result is success.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] below 3 bytes.
    pub fn decode(body: &[u8]) -> Result<RegisterResponse, DecodeError> {
        let mut r = Reader::new(body);
        let reply_serial = r.u16("register_response.reply_serial")?;
        let result = RegisterResult::from(r.u8("register_response.result")?);
        let auth_code = if result == RegisterResult::Success {
            gbk_decode(r.rest())
        } else {
            String::new()
        };
        Ok(RegisterResponse {
            reply_serial,
            result,
            auth_code,
        })
    }

    /// Appends the body. The auth code is written only when the result is success.
    ///
    /// # Errors
    ///
    /// Never in practice; the signature matches the other bodies.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u16(out, self.reply_serial);
        out.push(self.result.into());
        if self.result == RegisterResult::Success {
            out.extend_from_slice(&gbk_encode(&self.auth_code));
        }
        Ok(())
    }
}
