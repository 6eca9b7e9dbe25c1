//! Message layer: typed bodies for both directions, decode and encode.
//!
//! [`Message::decode`] turns the body of a frame into a [`Message`]; [`Message::encode`] does
//! the reverse. A message id this crate does not model decodes to [`Message::Raw`] — never an
//! error, so an unknown vendor message never kills a connection. One file per body:
//!
//! | id | direction | type | file |
//! |---|---|---|---|
//! | 0x0001 / 0x8001 | T→P / P→T | [`GeneralResponse`] | `general_response.rs` |
//! | 0x0002 / 0x0003 | T→P | heartbeat / logout, empty | `heartbeat.rs` |
//! | 0x0100 | T→P | [`Register`] | `register.rs` |
//! | 0x8100 | P→T | [`RegisterResponse`] | `register_response.rs` |
//! | 0x0102 | T→P | [`Authenticate`] | `auth.rs` |
//! | 0x0200 | T→P | [`Location`] with [`AdditionalItem`]s | `location.rs`, `items.rs` |
//! | 0x8201 / 0x0201 | P→T / T→P | location query / [`LocationQueryResponse`] | `location_query.rs` |
//! | 0x0704 | T→P | [`LocationBatch`] | `location_batch.rs` |
//! | 0x0800 / 0x0801 / 0x8800 | | [`MultimediaEvent`], [`MultimediaUpload`], [`MultimediaUploadResponse`] | `multimedia.rs` |
//! | 0x8103 | P→T | [`SetParameters`] | `parameters.rs` |
//! | 0x8300 | P→T | [`TextMessage`] | `text.rs` |
//!
//! Bodies whose layout changed between editions take the [`Version`] from the header.
//! Fixed-layout bodies ignore trailing bytes they do not know (vendors append fields).

pub mod auth;
pub mod general_response;
pub mod heartbeat;
pub mod items;
pub mod location;
pub mod location_batch;
pub mod location_query;
pub mod multimedia;
pub mod parameters;
pub mod register;
pub mod register_response;
pub mod text;

use crate::error::{DecodeError, EncodeError};
use crate::frame::{Frame, MAX_BODY_LEN};
use crate::header::{Header, Package, Version};

pub use auth::Authenticate;
pub use general_response::{GeneralResponse, ResultCode};
pub use items::AdditionalItem;
pub use location::Location;
pub use location_batch::LocationBatch;
pub use location_query::LocationQueryResponse;
pub use multimedia::{MultimediaEvent, MultimediaUpload, MultimediaUploadResponse};
pub use parameters::SetParameters;
pub use register::Register;
pub use register_response::RegisterResponse;
pub use text::TextMessage;

/// Message ids (消息 ID) used by this crate, plus a few others a gateway meets.
pub mod id {
    /// 0x0001 terminal general response (终端通用应答).
    pub const TERMINAL_GENERAL_RESPONSE: u16 = 0x0001;
    /// 0x0002 heartbeat (终端心跳).
    pub const HEARTBEAT: u16 = 0x0002;
    /// 0x0003 logout (终端注销).
    pub const LOGOUT: u16 = 0x0003;
    /// 0x0004 query server time (2019).
    pub const QUERY_SERVER_TIME: u16 = 0x0004;
    /// 0x0100 register (终端注册).
    pub const REGISTER: u16 = 0x0100;
    /// 0x0102 authenticate (终端鉴权).
    pub const AUTHENTICATE: u16 = 0x0102;
    /// 0x0104 query parameters reply.
    pub const PARAMETERS_REPLY: u16 = 0x0104;
    /// 0x0107 terminal attributes reply.
    pub const ATTRIBUTES_REPLY: u16 = 0x0107;
    /// 0x0200 location report (位置信息汇报).
    pub const LOCATION: u16 = 0x0200;
    /// 0x0201 location query reply.
    pub const LOCATION_QUERY_RESPONSE: u16 = 0x0201;
    /// 0x0500 vehicle control reply.
    pub const VEHICLE_CONTROL_REPLY: u16 = 0x0500;
    /// 0x0608 area / route data reply (2019).
    pub const AREA_QUERY_REPLY: u16 = 0x0608;
    /// 0x0700 tachograph data upload (reply to 0x8700).
    pub const TACHOGRAPH_REPLY: u16 = 0x0700;
    /// 0x0704 batch location upload (定位数据批量上传).
    pub const LOCATION_BATCH: u16 = 0x0704;
    /// 0x0800 multimedia event information.
    pub const MULTIMEDIA_EVENT: u16 = 0x0800;
    /// 0x0801 multimedia data upload.
    pub const MULTIMEDIA_UPLOAD: u16 = 0x0801;
    /// 0x0802 stored multimedia search reply.
    pub const MULTIMEDIA_SEARCH_REPLY: u16 = 0x0802;
    /// 0x0805 take-photo reply.
    pub const PHOTO_REPLY: u16 = 0x0805;
    /// 0x8001 platform general response (平台通用应答).
    pub const PLATFORM_GENERAL_RESPONSE: u16 = 0x8001;
    /// 0x8003 request to resend subpackages (补传分包请求).
    pub const RESEND_REQUEST: u16 = 0x8003;
    /// 0x8100 register response (终端注册应答).
    pub const REGISTER_RESPONSE: u16 = 0x8100;
    /// 0x8103 set parameters (设置终端参数).
    pub const SET_PARAMETERS: u16 = 0x8103;
    /// 0x8201 location query (位置信息查询).
    pub const LOCATION_QUERY: u16 = 0x8201;
    /// 0x8300 text message (文本信息下发).
    pub const TEXT_MESSAGE: u16 = 0x8300;
    /// 0x8800 multimedia upload response (多媒体数据上传应答).
    pub const MULTIMEDIA_UPLOAD_RESPONSE: u16 = 0x8800;

    /// Terminal → platform messages that answer a platform command. They need no reply.
    pub fn is_terminal_response(id: u16) -> bool {
        matches!(
            id,
            TERMINAL_GENERAL_RESPONSE
                | PARAMETERS_REPLY
                | ATTRIBUTES_REPLY
                | LOCATION_QUERY_RESPONSE
                | 0x0302
                | VEHICLE_CONTROL_REPLY
                | AREA_QUERY_REPLY
                | TACHOGRAPH_REPLY
                | MULTIMEDIA_SEARCH_REPLY
                | PHOTO_REPLY
        )
    }

    /// Platform → terminal ids (0x8000–0xFFFF).
    pub fn is_platform(id: u16) -> bool {
        id & 0x8000 != 0
    }
}

/// A decoded message body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// 0x0001 terminal general response.
    TerminalGeneralResponse(GeneralResponse),
    /// 0x0002 heartbeat (empty body).
    Heartbeat,
    /// 0x0003 logout (empty body).
    Logout,
    /// 0x0100 register.
    Register(Register),
    /// 0x0102 authenticate.
    Authenticate(Authenticate),
    /// 0x0200 location report.
    Location(Location),
    /// 0x0201 location query reply.
    LocationQueryResponse(LocationQueryResponse),
    /// 0x0704 batch location upload.
    LocationBatch(LocationBatch),
    /// 0x0800 multimedia event information.
    MultimediaEvent(MultimediaEvent),
    /// 0x0801 multimedia data upload (the reassembled body).
    MultimediaUpload(MultimediaUpload),
    /// 0x8001 platform general response.
    PlatformGeneralResponse(GeneralResponse),
    /// 0x8100 register response.
    RegisterResponse(RegisterResponse),
    /// 0x8103 set parameters.
    SetParameters(SetParameters),
    /// 0x8201 location query (empty body).
    LocationQuery,
    /// 0x8300 text message.
    TextMessage(TextMessage),
    /// 0x8800 multimedia upload response.
    MultimediaUploadResponse(MultimediaUploadResponse),
    /// Any other id, or an encrypted body: kept as bytes.
    Raw {
        /// Message id.
        id: u16,
        /// Body bytes.
        body: Vec<u8>,
    },
}

impl Message {
    /// The message id.
    pub fn id(&self) -> u16 {
        match self {
            Message::TerminalGeneralResponse(_) => id::TERMINAL_GENERAL_RESPONSE,
            Message::Heartbeat => id::HEARTBEAT,
            Message::Logout => id::LOGOUT,
            Message::Register(_) => id::REGISTER,
            Message::Authenticate(_) => id::AUTHENTICATE,
            Message::Location(_) => id::LOCATION,
            Message::LocationQueryResponse(_) => id::LOCATION_QUERY_RESPONSE,
            Message::LocationBatch(_) => id::LOCATION_BATCH,
            Message::MultimediaEvent(_) => id::MULTIMEDIA_EVENT,
            Message::MultimediaUpload(_) => id::MULTIMEDIA_UPLOAD,
            Message::PlatformGeneralResponse(_) => id::PLATFORM_GENERAL_RESPONSE,
            Message::RegisterResponse(_) => id::REGISTER_RESPONSE,
            Message::SetParameters(_) => id::SET_PARAMETERS,
            Message::LocationQuery => id::LOCATION_QUERY,
            Message::TextMessage(_) => id::TEXT_MESSAGE,
            Message::MultimediaUploadResponse(_) => id::MULTIMEDIA_UPLOAD_RESPONSE,
            Message::Raw { id, .. } => *id,
        }
    }

    /// Decodes the body of message `id`, sent by a terminal of edition `version`
    /// (from [`Header::version`]; 2011 is told apart from 2013 by the register body itself).
    ///
    /// # Errors
    ///
    /// [`DecodeError`] when a modelled body is malformed. Unknown ids never fail.
    pub fn decode(id: u16, version: Version, body: &[u8]) -> Result<Message, DecodeError> {
        Ok(match id {
            id::TERMINAL_GENERAL_RESPONSE => {
                Message::TerminalGeneralResponse(GeneralResponse::decode(body)?)
            }
            id::HEARTBEAT => Message::Heartbeat,
            id::LOGOUT => Message::Logout,
            id::REGISTER => Message::Register(Register::decode(body, version)?),
            id::AUTHENTICATE => Message::Authenticate(Authenticate::decode(body, version)?),
            id::LOCATION => Message::Location(Location::decode(body)?),
            id::LOCATION_QUERY_RESPONSE => {
                Message::LocationQueryResponse(LocationQueryResponse::decode(body)?)
            }
            id::LOCATION_BATCH => Message::LocationBatch(LocationBatch::decode(body)?),
            id::MULTIMEDIA_EVENT => Message::MultimediaEvent(MultimediaEvent::decode(body)?),
            id::MULTIMEDIA_UPLOAD => Message::MultimediaUpload(MultimediaUpload::decode(body)?),
            id::PLATFORM_GENERAL_RESPONSE => {
                Message::PlatformGeneralResponse(GeneralResponse::decode(body)?)
            }
            id::REGISTER_RESPONSE => Message::RegisterResponse(RegisterResponse::decode(body)?),
            id::SET_PARAMETERS => Message::SetParameters(SetParameters::decode(body)?),
            id::LOCATION_QUERY => Message::LocationQuery,
            id::TEXT_MESSAGE => Message::TextMessage(TextMessage::decode(body, version)?),
            id::MULTIMEDIA_UPLOAD_RESPONSE => {
                Message::MultimediaUploadResponse(MultimediaUploadResponse::decode(body)?)
            }
            other => Message::Raw {
                id: other,
                body: body.to_vec(),
            },
        })
    }

    /// Appends the body for a peer of edition `version`.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] when a field does not fit its wire width.
    pub fn encode(&self, version: Version, out: &mut Vec<u8>) -> Result<(), EncodeError> {
        match self {
            Message::TerminalGeneralResponse(m) | Message::PlatformGeneralResponse(m) => {
                m.encode(out);
                Ok(())
            }
            Message::Heartbeat | Message::Logout | Message::LocationQuery => Ok(()),
            Message::Register(m) => m.encode(out),
            Message::Authenticate(m) => m.encode(version, out),
            Message::Location(m) => m.encode(out),
            Message::LocationQueryResponse(m) => m.encode(out),
            Message::LocationBatch(m) => m.encode(out),
            Message::MultimediaEvent(m) => {
                m.encode(out);
                Ok(())
            }
            Message::MultimediaUpload(m) => m.encode(out),
            Message::RegisterResponse(m) => m.encode(out),
            Message::SetParameters(m) => m.encode(out),
            Message::TextMessage(m) => m.encode(version, out),
            Message::MultimediaUploadResponse(m) => m.encode(out),
            Message::Raw { body, .. } => {
                out.extend_from_slice(body);
                Ok(())
            }
        }
    }

    /// The encoded body as a new vector.
    ///
    /// # Errors
    ///
    /// As [`Message::encode`].
    pub fn to_body(&self, version: Version) -> Result<Vec<u8>, EncodeError> {
        let mut out = Vec::new();
        self.encode(version, &mut out)?;
        Ok(out)
    }
}

/// A header and a decoded message: one complete JT/T 808 message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Packet {
    /// The header. On encode, `header.id` is replaced by the message's id and the body
    /// length is computed.
    pub header: Header,
    /// The message.
    pub message: Message,
}

impl Packet {
    /// A packet.
    pub fn new(header: Header, message: Message) -> Packet {
        Packet { header, message }
    }

    /// Decodes a single (not subpackaged) frame. An encrypted body (attribute bits 10–12 set)
    /// is returned as [`Message::Raw`], since the platform holds no keys.
    ///
    /// # Errors
    ///
    /// [`DecodeError`] for a malformed body, or for a subpackaged frame (reassemble it first
    /// with [`crate::Reassembler`]).
    pub fn from_frame(frame: &Frame) -> Result<Packet, DecodeError> {
        if frame.header.package.is_some_and(|p| p.total > 1) {
            return Err(DecodeError::Invalid {
                field: "header.package",
                reason: "subpackaged: reassemble before decoding",
            });
        }
        let message = if frame.header.encryption != 0 {
            Message::Raw {
                id: frame.header.id,
                body: frame.body.clone(),
            }
        } else {
            Message::decode(frame.header.id, frame.header.version(), &frame.body)?
        };
        Ok(Packet {
            header: frame.header,
            message,
        })
    }

    /// Decodes one complete frame as it travels on the wire (delimiters included).
    ///
    /// # Errors
    ///
    /// [`ParseError`](crate::error::ParseError): a frame or a body error; [`Frame::parse`] and
    /// [`Packet::from_frame`] report them separately.
    pub fn parse(wire: &[u8]) -> Result<Packet, crate::error::ParseError> {
        let frame = Frame::parse(wire)?;
        Ok(Packet::from_frame(&frame)?)
    }

    /// The frame for this packet.
    ///
    /// # Errors
    ///
    /// [`EncodeError`] for an unencodable field or a body over 1023 bytes.
    pub fn to_frame(&self) -> Result<Frame, EncodeError> {
        let mut header = self.header;
        header.id = self.message.id();
        let body = self.message.to_body(header.version())?;
        if body.len() > MAX_BODY_LEN {
            return Err(EncodeError::BodyTooLong { len: body.len() });
        }
        Ok(Frame::new(header, body))
    }

    /// The packet as it goes on the wire.
    ///
    /// # Errors
    ///
    /// As [`Packet::to_frame`].
    pub fn encode(&self) -> Result<Vec<u8>, EncodeError> {
        self.to_frame()?.encode()
    }

    /// The packet as one or more frames on the wire. A body longer than `max_body` bytes
    /// (at most 1023) is split into subpackages with consecutive serials starting at
    /// `header.serial`; the number of frames tells how many serials were used.
    ///
    /// # Errors
    ///
    /// As [`Packet::to_frame`]; also when the split needs more than 65,535 packets.
    pub fn encode_split(&self, max_body: usize) -> Result<Vec<Vec<u8>>, EncodeError> {
        let mut header = self.header;
        header.id = self.message.id();
        let body = self.message.to_body(header.version())?;
        encode_frames(header, &body, max_body)
    }
}

/// Encodes `body` under `header` as one frame, or as subpackages of at most `max_body`
/// bytes (clamped to 1–1023) with consecutive serials from `header.serial`.
///
/// # Errors
///
/// [`EncodeError::FieldTooLong`] when more than 65,535 packets would be needed.
pub fn encode_frames(
    header: Header,
    body: &[u8],
    max_body: usize,
) -> Result<Vec<Vec<u8>>, EncodeError> {
    let max_body = max_body.clamp(1, MAX_BODY_LEN);
    let mut header = header;
    header.package = None;
    if body.len() <= max_body {
        return Ok(vec![Frame::new(header, body.to_vec()).encode()?]);
    }
    let total = crate::wire::len_u16(body.len().div_ceil(max_body), "package.total")?;
    let mut out = Vec::with_capacity(usize::from(total));
    for (i, chunk) in (1u16..).zip(body.chunks(max_body)) {
        let mut h = header;
        h.serial = header.serial.wrapping_add(i - 1);
        h.package = Some(Package { total, index: i });
        out.push(Frame::new(h, chunk.to_vec()).encode()?);
    }
    Ok(out)
}
