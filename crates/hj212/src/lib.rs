//! Sans-IO codec for HJ 212-2017 (《污染物在线监控（监测）系统数据传输标准》), the ASCII protocol
//! restaurant fume monitors and construction dust / noise monitors use to report to yiwang.
//!
//! **Architecture Invariant:** no IO, no clock; bytes and `now` in, packets and bytes out.
//! Nothing here opens a socket, spawns a task or reads `Instant::now` / `SystemTime::now`: every
//! time-dependent call takes `now: Instant` (monotonic) or a [`DateTime`] (wall time) from the
//! caller. Decoding never panics on input: every path returns a value or an error.
//!
//! # Layers
//!
//! | layer | module | in → out |
//! |---|---|---|
//! | frame | [`frame`], [`crc`] | bytes → [`RawPacket`] (`##` + length + data + CRC16 + CRLF) |
//! | message | [`packet`], [`cp`], [`command`], [`decimal`], [`time`] | data segment → [`Packet`] (QN, ST, CN, PW, MN, Flag, PNUM, PNO, CP) |
//! | builders | [`encode`] | replies 9011–9014, requests 1012 / 1062 / 1064 / … → framed bytes |
//! | reassembly | [`reassembly`] | sub-packets (PNUM / PNO) → complete sets |
//! | session | [`session`] | one connection: auth, delayed 9014, requests, timeouts |
//!
//! # Wire format in one line
//!
//! ```text
//! ##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n
//! ```
//!
//! `##`, a 4-digit decimal byte count of the data segment, the data segment, its HJ 212 CRC16 in
//! 4 hex digits, `\r\n`. See [`frame`] for framing and [`packet`] / [`cp`] for the segment.
//!
//! # Using it from a gateway
//!
//! ```text
//! let mut s = Session::new(SessionConfig::default(), directory, now);
//! s.handle_input(&buf[..n], now);
//! while let Some(ev) = s.poll_event() { match ev {
//!     Event::Online { .. } => { s.initialise(wall_clock_now, now)?; }
//!     Event::Data(upload) => pipeline.push(upload),   // later: s.ack(token) after commit
//!     Event::Rejected { .. } | Event::Closed(_) => close(),
//!     _ => log(ev),
//! } }
//! while let Some(bytes) = s.poll_transmit() { socket.write_all(&bytes) }
//! sleep_until(s.poll_timeout()); s.handle_timeout(now);
//! ```

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

pub mod command;
pub mod cp;
pub mod crc;
pub mod decimal;
pub mod encode;
pub mod frame;
pub mod packet;
pub mod reassembly;
pub mod session;
pub mod time;

#[cfg(test)]
mod tests;

pub use command::{Command, DeviceRole, ExeRtn, Flag, QnRtn, Version};
pub use cp::{Cp, CpBuf, DataFlag, Factor, Pair, RunningStatus, Value};
pub use decimal::{Decimal, DecimalError};
pub use encode::{PacketBuilder, Request, Target};
pub use frame::{
    CrcVariant, EncodeError, FatalFrame, FrameError, FramerConfig, InvalidFrame, MAX_PACKET_LEN,
    PacketFramer, RawPacket,
};
pub use packet::{BodyError, DecodeError, Packet};
pub use reassembly::{Reassembler, Reassembly, ReassemblyConfig, SetKey};
pub use session::{
    AckToken, Auth, Authenticator, CloseReason, Event, InitPlan, RejectReason, RequestError,
    RequestId, RequestOutcome, Session, SessionConfig, SessionStats, SubPackets, Upload,
};
pub use time::{DateTime, TimeError};
