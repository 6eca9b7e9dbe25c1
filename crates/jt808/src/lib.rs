//! Sans-IO JT/T 808 (2011 / 2013 / 2019) codec for yiwang's vehicle gateway.
//!
//! **Contract: no IO, no clock; bytes and `now` in, messages and bytes out.** Nothing in this
//! crate opens a socket, spawns a task or reads a clock: every time-dependent call takes `now`
//! from the caller (`std::time::Instant`, which the caller may simulate in tests).
//!
//! The crate is split in three layers, named the same way as in the rest of yiwang:
//!
//! | layer | module | what it does |
//! |---|---|---|
//! | frame | [`frame`], [`header`] | split a byte stream on `0x7E`, unescape, verify the XOR checksum, parse the header |
//! | message | [`message`], [`reassembly`] | turn a frame body into a typed [`Message`] and back; join subpackages |
//! | session | [`session`] | per-terminal state machine: which reply to send, when, and what to tell the caller |
//!
//! A gateway drives a [`Session`] per TCP connection:
//!
//! ```text
//! loop {
//!     bytes = socket.read()             → session.handle_input(&bytes, now)
//!     while let Some(out) = session.poll_transmit() → socket.write(out)
//!     while let Some(ev)  = session.poll_event()    → store / answer (ack, accept_register, answer_auth)
//!     sleep until session.poll_timeout()            → session.handle_timeout(now)
//! }
//! ```
//!
//! Decoding never panics on input: every path ends in a value, an
//! [`InvalidFrame`] (skip the frame, keep the connection), a
//! [`FatalError`] (the stream is lost, close it) or a
//! [`DecodeError`] (frame fine, body malformed: answer "message error").
//! How the codec treats known real-device deviations is listed in `TOLERANCE.md`.
//!
//! Wire conventions (JT/T 808 §1): all integers big-endian; `BCD[n]` is 8421 BCD; `STRING` is
//! GBK; fixed-width text fields are right-padded with `0x00`.

#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::indexing_slicing,
        clippy::panic
    )
)]
#![warn(missing_docs)]

pub mod error;
pub mod frame;
pub mod header;
pub mod message;
pub mod reassembly;
pub mod session;
mod wire;

#[cfg(test)]
mod tests;

pub use error::{DecodeError, EncodeError, FatalError, FrameError, InvalidFrame, ParseError};
pub use frame::{Deviations, Frame, FrameConfig, FrameDecoder, MAX_BODY_LEN, MAX_FRAME_LEN};
pub use header::{BodyProps, Header, Package, Phone, PhoneError, Version};
pub use message::{
    Message, Packet,
    auth::Authenticate,
    general_response::{GeneralResponse, ResultCode},
    items::AdditionalItem,
    location::{Alarm, LoadState, LocalTime, Location, LocationBasic, Status},
    location_batch::LocationBatch,
    location_query::LocationQueryResponse,
    multimedia::{MultimediaEvent, MultimediaUpload, MultimediaUploadResponse},
    parameters::{ParamValue, Parameter, SetParameters},
    register::Register,
    register_response::{RegisterResponse, RegisterResult},
    text::TextMessage,
};
pub use reassembly::{
    Expired, Insert, Reassembled, Reassembler, ReassemblyConfig, ReassemblyError,
};
pub use session::{
    AckToken, AuthToken, CloseReason, Event, RegisterToken, RejectReason, SendError, Session,
    SessionConfig, SessionStats, UnknownToken,
};
