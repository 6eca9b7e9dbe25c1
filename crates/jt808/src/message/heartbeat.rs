//! 0x0002 heartbeat (终端心跳) and 0x0003 logout (终端注销): empty bodies.
//!
//! # Wire format
//!
//! ```text
//! (no body)
//! ```
//!
//! Both are answered with 0x8001 result 0. A terminal sends 0x0002 when it has nothing else
//! to send, at the interval of parameter 0x0001. After 0x0003 it has to register again.
//! Bytes found in these bodies are ignored (tolerance: some firmware pads them).
//!
//! These decode to the unit variants [`Message::Heartbeat`](super::Message::Heartbeat) and
//! [`Message::Logout`](super::Message::Logout); 0x8201 (location query) is empty as well and
//! lives in `location_query.rs`.
