//! 0x8103 set terminal parameters (设置终端参数).
//!
//! # Wire format
//!
//! ```text
//! +-------+---------------------------------------------------+
//! | count | items × count                                     |
//! | BYTE  | id DWORD | length BYTE | value BYTE[length]         |
//! +-------+---------------------------------------------------+
//! ```
//!
//! The value type depends on the id (DWORD, WORD, BYTE or GBK STRING); [`param_kind`] holds
//! the 2013 table. Decision: a value is typed only when the id is known and the length fits
//! the type; anything else is kept as [`ParamValue::Raw`], so vendor parameters round-trip.
//! The terminal answers 0x0001.

use crate::error::{DecodeError, EncodeError};
use crate::wire::{Reader, gbk_decode, gbk_encode, len_u8, put_u16, put_u32};

/// Parameter 0x0001: heartbeat interval, s.
pub const HEARTBEAT_INTERVAL: u32 = 0x0001;
/// Parameter 0x0002: TCP reply timeout, s.
pub const TCP_REPLY_TIMEOUT: u32 = 0x0002;
/// Parameter 0x0003: TCP retransmission count.
pub const TCP_RETRANSMISSIONS: u32 = 0x0003;
/// Parameter 0x0013: main server address (2019: `host:port`, several separated by `;`).
pub const MAIN_SERVER_ADDRESS: u32 = 0x0013;
/// Parameter 0x0018: server TCP port (2013).
pub const SERVER_TCP_PORT: u32 = 0x0018;
/// Parameter 0x0020: reporting strategy: 0 by time, 1 by distance, 2 both.
pub const REPORT_STRATEGY: u32 = 0x0020;
/// Parameter 0x0021: reporting scheme: 0 by ACC state, 1 by login state then ACC.
pub const REPORT_SCHEME: u32 = 0x0021;
/// Parameter 0x0022: interval when the driver is not logged in, s.
pub const DRIVER_ABSENT_REPORT_INTERVAL: u32 = 0x0022;
/// Parameter 0x0027: interval while sleeping (ACC off), s.
pub const SLEEP_REPORT_INTERVAL: u32 = 0x0027;
/// Parameter 0x0028: interval during an emergency alarm, s.
pub const EMERGENCY_REPORT_INTERVAL: u32 = 0x0028;
/// Parameter 0x0029: default reporting interval, s.
pub const DEFAULT_REPORT_INTERVAL: u32 = 0x0029;
/// Parameter 0x002C: default reporting distance, m.
pub const DEFAULT_REPORT_DISTANCE: u32 = 0x002C;
/// Parameter 0x0030: corner-retransmit angle, < 180°.
pub const CORNER_ANGLE: u32 = 0x0030;
/// Parameter 0x0055: maximum speed, km/h.
pub const MAX_SPEED: u32 = 0x0055;
/// Parameter 0x0056: overspeed duration, s.
pub const OVERSPEED_DURATION: u32 = 0x0056;

/// Wire type of a parameter value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParamKind {
    /// BYTE.
    U8,
    /// WORD.
    U16,
    /// DWORD.
    U32,
    /// GBK STRING.
    Text,
}

/// The value type of parameter `id` in the JT/T 808-2013 table, or `None` when unknown.
pub fn param_kind(id: u32) -> Option<ParamKind> {
    Some(match id {
        0x0001..=0x0007
        | 0x0018
        | 0x0019
        | 0x001B
        | 0x001C
        | 0x0020..=0x0022
        | 0x0027..=0x0029
        | 0x002C..=0x0030
        | 0x0045..=0x0047
        | 0x0050..=0x005A
        | 0x0064
        | 0x0065
        | 0x0070..=0x0074
        | 0x0080
        | 0x0093
        | 0x0095
        | 0x0100
        | 0x0102 => ParamKind::U32,
        0x0031 | 0x005B..=0x005E | 0x0081 | 0x0082 | 0x0101 | 0x0103 => ParamKind::U16,
        0x0084 | 0x0090..=0x0092 | 0x0094 => ParamKind::U8,
        0x0010..=0x0017 | 0x001A | 0x001D | 0x0040..=0x0044 | 0x0048 | 0x0049 | 0x0083 => {
            ParamKind::Text
        }
        _ => return None,
    })
}

/// A parameter value.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ParamValue {
    /// BYTE value.
    U8(u8),
    /// WORD value.
    U16(u16),
    /// DWORD value.
    U32(u32),
    /// STRING value (GBK on the wire).
    Text(String),
    /// Unknown id or unexpected length: raw bytes.
    Raw(Vec<u8>),
}

/// One parameter item.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Parameter {
    /// Parameter id (参数 ID).
    pub id: u32,
    /// Value.
    pub value: ParamValue,
}

impl Parameter {
    /// A DWORD parameter, e.g. `Parameter::u32(DEFAULT_REPORT_INTERVAL, 30)`.
    pub fn u32(id: u32, value: u32) -> Parameter {
        Parameter {
            id,
            value: ParamValue::U32(value),
        }
    }

    /// A STRING parameter.
    pub fn text(id: u32, value: impl Into<String>) -> Parameter {
        Parameter {
            id,
            value: ParamValue::Text(value.into()),
        }
    }

    fn decode(id: u32, v: &[u8]) -> Parameter {
        let value = match (param_kind(id), v) {
            (Some(ParamKind::U8), [b]) => ParamValue::U8(*b),
            (Some(ParamKind::U16), [a, b]) => ParamValue::U16(u16::from_be_bytes([*a, *b])),
            (Some(ParamKind::U32), [a, b, c, d]) => {
                ParamValue::U32(u32::from_be_bytes([*a, *b, *c, *d]))
            }
            (Some(ParamKind::Text), _) => ParamValue::Text(gbk_decode(v)),
            _ => ParamValue::Raw(v.to_vec()),
        };
        Parameter { id, value }
    }

    fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        put_u32(out, self.id);
        match &self.value {
            ParamValue::U8(v) => out.extend_from_slice(&[1, *v]),
            ParamValue::U16(v) => {
                out.push(2);
                put_u16(out, *v);
            }
            ParamValue::U32(v) => {
                out.push(4);
                put_u32(out, *v);
            }
            ParamValue::Text(t) => {
                let b = gbk_encode(t);
                out.push(len_u8(b.len(), "parameters.value")?);
                out.extend_from_slice(&b);
            }
            ParamValue::Raw(b) => {
                out.push(len_u8(b.len(), "parameters.value")?);
                out.extend_from_slice(b);
            }
        }
        Ok(())
    }
}

/// Body of 0x8103.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SetParameters {
    /// The parameters, in wire order.
    pub params: Vec<Parameter>,
}

impl SetParameters {
    /// Parameters from a list.
    pub fn new(params: Vec<Parameter>) -> SetParameters {
        SetParameters { params }
    }

    /// The first parameter with id `id`.
    pub fn get(&self, id: u32) -> Option<&ParamValue> {
        self.params.iter().find(|p| p.id == id).map(|p| &p.value)
    }

    /// The DWORD parameter `id`.
    pub fn get_u32(&self, id: u32) -> Option<u32> {
        match self.get(id)? {
            ParamValue::U32(v) => Some(*v),
            _ => None,
        }
    }

    /// Parameter 0x0029, default reporting interval in seconds.
    pub fn default_report_interval(&self) -> Option<u32> {
        self.get_u32(DEFAULT_REPORT_INTERVAL)
    }

    /// Parameter 0x0027, reporting interval while sleeping in seconds.
    pub fn sleep_report_interval(&self) -> Option<u32> {
        self.get_u32(SLEEP_REPORT_INTERVAL)
    }

    /// Decodes the body.
    ///
    /// # Errors
    ///
    /// [`DecodeError::Truncated`] when an item is cut short.
    pub fn decode(body: &[u8]) -> Result<SetParameters, DecodeError> {
        let mut r = Reader::new(body);
        let count = r.u8("parameters.count")?;
        let mut params = Vec::with_capacity(usize::from(count));
        for _ in 0..count {
            let id = r.u32("parameters.id")?;
            let len = r.u8("parameters.len")?;
            params.push(Parameter::decode(
                id,
                r.bytes(usize::from(len), "parameters.value")?,
            ));
        }
        Ok(SetParameters { params })
    }

    /// Appends the body.
    ///
    /// # Errors
    ///
    /// [`EncodeError::FieldTooLong`] for more than 255 items or a value over 255 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        out.push(len_u8(self.params.len(), "parameters.count")?);
        for p in &self.params {
            p.encode(out)?;
        }
        Ok(())
    }
}
