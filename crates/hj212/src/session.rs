//! Session layer: one device connection as a sans-IO state machine (after quinn-proto).
//!
//! ```text
//!            bytes, now                     ack(token) after the DB commit
//!   socket ─────────────► handle_input ──► poll_event ──► gateway / pipeline
//!   socket ◄───────────── poll_transmit ◄─ (9014, 9013, requests)
//!   timer  ─ poll_timeout / handle_timeout (idle, request retries, sub-packet expiry)
//! ```
//!
//! What the session does with each packet from the device:
//!
//! 1. **Framing / body errors** are counted ([`SessionStats`]) and reported as
//!    [`Event::Invalid`]; a packet failing the CRC is never answered ("如果 CRC 错误，执行结束").
//!    A fatal framing error ([`crate::frame::FatalFrame`]) closes the session
//!    ([`Event::Closed`]).
//! 2. **Authentication** by MN + PW through the caller's [`Authenticator`]. Unknown MN, wrong
//!    PW or a missing MN → [`Event::Rejected`], no data event, no reply; the caller decides
//!    whether to close. Accepted pairs are cached for the connection.
//! 3. **First authenticated packet** of an MN → [`Event::Online`]. HJ 212-2017 §6.7 says the
//!    platform should then initialise the device: 1) time calibration (1012), 2) timeout /
//!    retries (1000), 3) real-time interval (1062), 4) minute interval (1064), 5) real-time
//!    upload on/off (2011/2012), 6) equipment-status upload on/off (2021/2022). The session reads
//!    no clock, so the caller answers `Online` with [`Session::initialise`] and the wall time;
//!    the [`InitPlan`] (default: time calibration only) decides which steps are sent.
//! 4. **Uploads** (2011, 2051, 2061, 2031, 2021, 2081, answers to get-requests, vendor codes) →
//!    [`Event::Data`]. If Flag.A is set the event carries an [`AckToken`] and the 9014 is held
//!    until the caller calls [`Session::ack`] after its database commit (*delayed
//!    acknowledgement*: every acknowledged report is durable). [`Session::abandon`] drops it;
//!    the device will retransmit. A byte-identical retransmission of a packet whose 9014 is still
//!    held is swallowed; one whose 9014 was already released is answered again at once.
//! 5. **Sub-packets** (PNUM/PNO) are joined by [`crate::reassembly`] and delivered as one
//!    `Data` event whose token releases the 9014 of every part (or passed through one by one
//!    with [`SubPackets::PassThrough`]).
//! 6. **Notifications** (1013 time-calibration request) → 9013 at once when Flag.A is set, and
//!    [`Event::TimeCalibrationRequested`] (answer it with a [`Request::SetTime`]).
//! 7. **Heartbeats** (9015, HJ 212-2025) → 9014 at once when Flag.A is set.
//! 8. **Replies** (9011 / 9012 / 9013) to the platform's own requests complete them
//!    ([`Event::RequestFinished`]). Requests are sent one at a time, retried after
//!    [`SessionConfig::request_timeout`] up to [`SessionConfig::request_retries`] times (Table 1:
//!    10 s, 3 retries).
//!
//! Replies use ST=91, echo QN/PW/MN and carry the platform's version bits with A = 0 (Flag=4).
//! No reply is ever sent unless the device's Flag asks for one.
//!
//! The connection is idle when no valid packet arrived for [`SessionConfig::idle_timeout`];
//! [`Session::handle_timeout`] then emits [`Event::Closed`].

use std::collections::VecDeque;
use std::hash::{DefaultHasher, Hash, Hasher};
use std::time::{Duration, Instant};

use crate::command::{Command, DeviceRole, ExeRtn, QnRtn, Version};
use crate::cp::Factor;
use crate::encode::{self, Request, Target};
use crate::frame::{EncodeError, FatalFrame, FrameError, FramerConfig, InvalidFrame, PacketFramer};
use crate::packet::{BodyError, Packet};
use crate::reassembly::{DropReason, Reassembler, Reassembly, ReassemblyConfig, SetKey};
use crate::time::DateTime;

/// The caller's device directory: is this MN known, and is this its password?
///
/// Implemented for closures `FnMut(&str, &str) -> Auth`. It is called synchronously, so back it
/// with an in-memory cache of the device table.
pub trait Authenticator {
    /// Checks the `MN` / `PW` pair of a packet (`pw` is empty when the packet has no PW).
    fn authenticate(&mut self, mn: &str, pw: &str) -> Auth;
}

impl<F> Authenticator for F
where
    F: FnMut(&str, &str) -> Auth,
{
    fn authenticate(&mut self, mn: &str, pw: &str) -> Auth {
        self(mn, pw)
    }
}

/// An authentication decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Auth {
    /// Known device, right password.
    Accept,
    /// No such MN.
    UnknownDevice,
    /// Known MN, wrong PW.
    WrongPassword,
}

/// Why a packet was rejected.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RejectReason {
    /// The packet has no MN field.
    MissingMn,
    /// The authenticator does not know the MN.
    UnknownDevice,
    /// The authenticator refused the PW.
    WrongPassword,
}

/// What to do with sub-packets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SubPackets {
    /// Join them; one `Data` event per complete set, its token releasing every part's 9014.
    /// Caveat: a device that waits for each part's 9014 before sending the next stalls until
    /// it retries; use `PassThrough` for such devices.
    Reassemble(ReassemblyConfig),
    /// One `Data` event (and token) per sub-packet.
    PassThrough,
}

/// Which first-connection initialisation steps (HJ 212-2017 §6.7) [`Session::initialise`]
/// sends. `None` leaves the device as configured.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct InitPlan {
    /// 1) 1012 set the device clock to the platform's time. Default `true`.
    pub set_time: bool,
    /// 2) 1000 answer timeout (s) and retry count.
    pub timeout_retry: Option<(u16, u16)>,
    /// 3) 1062 real-time data interval (s).
    pub rtd_interval: Option<u16>,
    /// 4) 1064 minute-data interval (min).
    pub min_interval: Option<u16>,
    /// 5) 2011 start / 2012 stop real-time data upload.
    pub realtime_upload: Option<bool>,
    /// 6) 2021 start / 2022 stop equipment-status upload.
    pub status_upload: Option<bool>,
}

impl Default for InitPlan {
    fn default() -> Self {
        Self {
            set_time: true,
            timeout_retry: None,
            rtd_interval: None,
            min_interval: None,
            realtime_upload: None,
            status_upload: None,
        }
    }
}

impl InitPlan {
    /// No initialisation at all.
    #[must_use]
    pub const fn none() -> Self {
        Self {
            set_time: false,
            timeout_retry: None,
            rtd_interval: None,
            min_interval: None,
            realtime_upload: None,
            status_upload: None,
        }
    }

    /// The requests, in the standard's order.
    #[must_use]
    pub fn requests(&self, wall: DateTime) -> Vec<Request> {
        let mut out = Vec::new();
        if self.set_time {
            out.push(Request::SetTime {
                time: wall,
                pol_id: None,
            });
        }
        if let Some((over_time, re_count)) = self.timeout_retry {
            out.push(Request::SetTimeoutRetry {
                over_time,
                re_count,
            });
        }
        if let Some(s) = self.rtd_interval {
            out.push(Request::SetRtdInterval(s));
        }
        if let Some(m) = self.min_interval {
            out.push(Request::SetMinInterval(m));
        }
        match self.realtime_upload {
            Some(true) => out.push(Request::StartRealTimeData),
            Some(false) => out.push(Request::StopRealTimeData),
            None => {}
        }
        match self.status_upload {
            Some(true) => out.push(Request::StartEquipmentStatus),
            Some(false) => out.push(Request::StopEquipmentStatus),
            None => {}
        }
        out
    }
}

/// Session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Framer settings (size limit, CRLF, Modbus CRC compatibility).
    pub framer: FramerConfig,
    /// The platform's protocol version: version bits of reply and request Flags. Default 2017.
    pub version: Version,
    /// Answer with the device's own version bits instead (decision H5). Default `false`.
    pub mirror_device_version: bool,
    /// Close after this long without a valid packet. Default 10 min.
    pub idle_timeout: Duration,
    /// Wait for a 9011/9013 answer before resending a request. Default 10 s (Table 1).
    pub request_timeout: Duration,
    /// Resends of an unanswered request. Default 3 (Table 1).
    pub request_retries: u8,
    /// Wait for the 9012 execution result after a 9011. Default 60 s.
    pub execution_timeout: Duration,
    /// Held (unacknowledged) 9014 replies; beyond this the oldest is dropped. Default 256.
    pub max_pending_acks: usize,
    /// Released 9014s remembered to answer retransmissions at once. Default 64.
    pub dedupe_window: usize,
    /// Sub-packet handling. Default reassembly with default limits.
    pub subpackets: SubPackets,
    /// First-connection initialisation. Default: time calibration only.
    pub init: InitPlan,
}

impl Default for SessionConfig {
    fn default() -> Self {
        Self {
            framer: FramerConfig::default(),
            version: Version::V2017,
            mirror_device_version: false,
            idle_timeout: Duration::from_secs(600),
            request_timeout: Duration::from_secs(10),
            request_retries: 3,
            execution_timeout: Duration::from_secs(60),
            max_pending_acks: 256,
            dedupe_window: 64,
            subpackets: SubPackets::Reassemble(ReassemblyConfig::default()),
            init: InitPlan::default(),
        }
    }
}

/// Releases the held 9014 replies of one [`Upload`]; pass it to [`Session::ack`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct AckToken(u64);

/// Identifies a platform request sent through [`Session::send_request`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RequestId(u64);

/// Uploaded data: one packet, or all sub-packets of a set in `PNO` order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    head: Packet,
    tail: Vec<Packet>,
    ack: Option<AckToken>,
}

impl Upload {
    /// The first (or only) packet: header fields, `DataTime`.
    #[must_use]
    pub fn first(&self) -> &Packet {
        &self.head
    }

    /// All packets of the upload.
    pub fn packets(&self) -> impl Iterator<Item = &Packet> + '_ {
        std::iter::once(&self.head).chain(self.tail.iter())
    }

    /// Number of packets (1 unless reassembled).
    #[must_use]
    pub fn len(&self) -> usize {
        1 + self.tail.len()
    }

    /// Always `false`: an upload has at least one packet.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        false
    }

    /// The command (2011, 2051…).
    #[must_use]
    pub fn command(&self) -> Command {
        self.head.cn()
    }

    /// The device id.
    #[must_use]
    pub fn mn(&self) -> &str {
        self.head.mn().unwrap_or_default()
    }

    /// `DataTime` of the first packet.
    #[must_use]
    pub fn data_time(&self) -> Option<DateTime> {
        self.head.cp().data_time()
    }

    /// Factors of every packet, in order.
    pub fn factors(&self) -> impl Iterator<Item = Factor<'_>> + '_ {
        self.packets().flat_map(|p| p.cp().factors())
    }

    /// The token releasing the 9014 replies, if the device asked for an answer.
    #[must_use]
    pub fn ack_token(&self) -> Option<AckToken> {
        self.ack
    }
}

/// How a platform request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestOutcome {
    /// 9012 received.
    Executed(ExeRtn),
    /// 9011 with a `QnRtn` other than 1.
    Refused(QnRtn),
    /// 9013 (or 9014) received for a notification.
    Acknowledged,
    /// The device uploaded the requested data with the request's QN (1011, 1061, 1063).
    Answered,
    /// No answer after all retries, or no 9012 in time.
    TimedOut,
}

/// Why the session closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CloseReason {
    /// The byte stream is lost.
    Fatal(FatalFrame),
    /// No valid packet within the idle timeout.
    IdleTimeout,
}

/// A packet or frame that was skipped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum InputError {
    /// Framing or CRC error (no reply is sent).
    Frame(InvalidFrame),
    /// The frame was fine, the data segment is not.
    Body(BodyError),
}

/// Why a valid, authenticated packet was ignored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IgnoreReason {
    /// A platform-to-device command sent by the device.
    UnexpectedCommand,
    /// A 9011–9014 that matches no outstanding request.
    UnmatchedReply,
    /// A retransmission of an upload whose 9014 is still held.
    Duplicate,
}

/// Something the caller must act on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Event {
    /// First authenticated packet of this MN on the connection; call [`Session::initialise`].
    Online {
        /// Device id.
        mn: String,
        /// Version from the device's Flag.
        version: Version,
    },
    /// Data to store; then [`Session::ack`] its token.
    Data(Upload),
    /// The device asked for time calibration (1013); the 9013 was sent if asked for.
    TimeCalibrationRequested {
        /// Device id.
        mn: String,
    },
    /// A heartbeat (9015).
    Heartbeat {
        /// Device id.
        mn: String,
    },
    /// A platform request finished.
    RequestFinished {
        /// Which request.
        id: RequestId,
        /// Its command.
        command: Command,
        /// Its QN.
        qn: String,
        /// How it ended.
        outcome: RequestOutcome,
    },
    /// Authentication failed; no data was delivered. The caller decides whether to close.
    Rejected {
        /// The packet's MN.
        mn: Option<String>,
        /// Why.
        reason: RejectReason,
    },
    /// A valid packet that was not acted upon.
    Ignored {
        /// The packet.
        packet: Box<Packet>,
        /// Why.
        reason: IgnoreReason,
    },
    /// An incomplete sub-packet set was given up; its parts were not acknowledged.
    SubPacketsDropped {
        /// Device id.
        mn: String,
        /// Command of the parts.
        command: Command,
        /// Parts received.
        received: u16,
        /// `PNUM`.
        total: u16,
        /// Expired or evicted.
        reason: DropReason,
    },
    /// A frame or packet was skipped (counted in [`SessionStats`]).
    Invalid(InputError),
    /// The session is over; close the connection.
    Closed(CloseReason),
}

/// Why a request cannot be sent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RequestError {
    /// No authenticated packet yet: MN, PW and ST are unknown.
    #[error("device not online yet")]
    NotOnline,
    /// The session is closed.
    #[error("session closed")]
    Closed,
    /// The request cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// The device as learnt from its packets.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceInfo {
    /// `MN`.
    pub mn: String,
    /// `PW`.
    pub pw: String,
    /// `ST` (system code of its packets).
    pub st: String,
    /// Version from its Flag.
    pub version: Version,
}

/// Session counters.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Valid packets (framing, CRC and body fine).
    pub packets: u64,
    /// Invalid frames (all kinds, CRC included).
    pub frame_errors: u64,
    /// Of which CRC mismatches.
    pub crc_errors: u64,
    /// Valid frames with a bad data segment.
    pub body_errors: u64,
    /// Packets refused by authentication.
    pub rejected: u64,
    /// Retransmissions recognised.
    pub duplicates: u64,
    /// `Data` events emitted.
    pub uploads: u64,
    /// Packets sent (replies and requests, retries included).
    pub transmitted: u64,
    /// Held 9014 replies dropped (capacity or abandoned).
    pub acks_dropped: u64,
    /// Sub-packet sets given up.
    pub subpacket_sets_dropped: u64,
}

#[derive(Debug)]
struct Part {
    packet: Packet,
    reply: Option<Vec<u8>>,
    hash: u64,
}

/// Held 9014s of one upload as `(data-segment hash, reply)`: the first inline, further
/// sub-packets' in `more` (empty, so not allocated, for a single packet).
#[derive(Debug)]
struct PendingAck {
    token: AckToken,
    first: (u64, Vec<u8>),
    more: Vec<(u64, Vec<u8>)>,
}

impl PendingAck {
    fn holds(&self, hash: u64) -> bool {
        self.first.0 == hash || self.more.iter().any(|(h, _)| *h == hash)
    }
}

#[derive(Debug)]
struct Queued {
    id: RequestId,
    request: Request,
    qn: String,
    bytes: Vec<u8>,
    at: Instant,
}

#[derive(Debug, Clone, Copy)]
enum Stage {
    AwaitAnswer { sent: u8, deadline: Instant },
    AwaitResult { deadline: Instant },
}

#[derive(Debug)]
struct InFlight {
    id: RequestId,
    cn: Command,
    qn: String,
    bytes: Vec<u8>,
    stage: Stage,
}

/// One device connection. See the module documentation.
#[derive(Debug)]
pub struct Session<A> {
    config: SessionConfig,
    auth: A,
    framer: PacketFramer,
    events: VecDeque<Event>,
    transmit: VecDeque<Vec<u8>>,
    device: Option<DeviceInfo>,
    accepted: Vec<(String, String)>,
    online: Vec<String>,
    initialised: bool,
    last_activity: Instant,
    next_token: u64,
    pending_acks: VecDeque<PendingAck>,
    /// Data-segment hashes of released 9014s, to answer retransmissions at once (the answer
    /// is encoded again: a byte-identical packet gives the same reply).
    released: VecDeque<u64>,
    reassembler: Reassembler<Part>,
    queue: VecDeque<Queued>,
    in_flight: Option<InFlight>,
    next_request: u64,
    last_qn: Option<DateTime>,
    closed: bool,
    stats: SessionStats,
}

fn later(at: Instant, d: Duration) -> Instant {
    at.checked_add(d).unwrap_or(at)
}

fn text_hash(p: &Packet) -> u64 {
    let mut h = DefaultHasher::new();
    p.as_str().hash(&mut h);
    h.finish()
}

const MAX_CACHED_AUTH: usize = 8;
const MAX_ONLINE_MNS: usize = 16;

impl<A: Authenticator> Session<A> {
    /// A new session for a connection accepted at `now`.
    pub fn new(config: SessionConfig, auth: A, now: Instant) -> Self {
        let reassembly = match config.subpackets {
            SubPackets::Reassemble(c) => c,
            SubPackets::PassThrough => ReassemblyConfig::default(),
        };
        Self {
            framer: PacketFramer::new(config.framer),
            config,
            auth,
            events: VecDeque::new(),
            transmit: VecDeque::new(),
            device: None,
            accepted: Vec::new(),
            online: Vec::new(),
            initialised: false,
            last_activity: now,
            next_token: 0,
            pending_acks: VecDeque::new(),
            released: VecDeque::new(),
            reassembler: Reassembler::new(reassembly),
            queue: VecDeque::new(),
            in_flight: None,
            next_request: 0,
            last_qn: None,
            closed: false,
            stats: SessionStats::default(),
        }
    }

    /// Feeds bytes read from the connection at `now`.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        self.framer.push(bytes);
        while let Some(item) = self.framer.next_packet() {
            match item {
                Ok(raw) => match Packet::from_raw(raw) {
                    Ok(packet) => self.on_packet(packet, now),
                    Err(e) => {
                        self.stats.body_errors += 1;
                        self.last_activity = now;
                        self.events.push_back(Event::Invalid(InputError::Body(e)));
                    }
                },
                Err(FrameError::Invalid(e)) => {
                    self.stats.frame_errors += 1;
                    if matches!(e, InvalidFrame::CrcMismatch { .. }) {
                        self.stats.crc_errors += 1;
                    }
                    self.events.push_back(Event::Invalid(InputError::Frame(e)));
                }
                Err(FrameError::Fatal(e)) => {
                    self.close(CloseReason::Fatal(e));
                    return;
                }
            }
        }
    }

    /// Processes timers due at `now` (idle timeout, request retries, sub-packet expiry).
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        if now >= later(self.last_activity, self.config.idle_timeout) {
            self.close(CloseReason::IdleTimeout);
            return;
        }
        self.reassembler.expire(now);
        self.collect_dropped();
        if let Some(flight) = &mut self.in_flight {
            match flight.stage {
                Stage::AwaitAnswer { sent, deadline } if now >= deadline => {
                    if sent <= self.config.request_retries {
                        flight.stage = Stage::AwaitAnswer {
                            sent: sent.saturating_add(1),
                            deadline: later(now, self.config.request_timeout),
                        };
                        self.transmit.push_back(flight.bytes.clone());
                        self.stats.transmitted += 1;
                    } else {
                        self.finish_request(RequestOutcome::TimedOut, now);
                    }
                }
                Stage::AwaitResult { deadline } if now >= deadline => {
                    self.finish_request(RequestOutcome::TimedOut, now);
                }
                _ => {}
            }
        }
    }

    /// The next packet to write to the connection.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmit.pop_front()
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] must be called next (`None` once closed).
    #[must_use]
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let idle = later(self.last_activity, self.config.idle_timeout);
        let request = self.in_flight.as_ref().map(|f| match f.stage {
            Stage::AwaitAnswer { deadline, .. } | Stage::AwaitResult { deadline } => deadline,
        });
        [Some(idle), request, self.reassembler.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Releases the 9014 replies held for `token` (call after the data is committed).
    /// Returns `false` for an unknown, already used or dropped token.
    pub fn ack(&mut self, token: AckToken) -> bool {
        let Some(i) = self.pending_acks.iter().position(|p| p.token == token) else {
            return false;
        };
        let Some(pending) = self.pending_acks.remove(i) else {
            return false;
        };
        for (hash, reply) in std::iter::once(pending.first).chain(pending.more) {
            self.transmit.push_back(reply);
            self.stats.transmitted += 1;
            self.released.push_back(hash);
        }
        while self.released.len() > self.config.dedupe_window {
            self.released.pop_front();
        }
        true
    }

    /// Drops the replies held for `token` (the commit failed; the device will retransmit).
    /// Returns `false` for an unknown token.
    pub fn abandon(&mut self, token: AckToken) -> bool {
        let Some(i) = self.pending_acks.iter().position(|p| p.token == token) else {
            return false;
        };
        self.pending_acks.remove(i);
        self.stats.acks_dropped += 1;
        true
    }

    /// Queues the [`InitPlan`]'s requests (once per session) with the platform's wall time.
    ///
    /// # Errors
    ///
    /// [`RequestError::NotOnline`] before the first authenticated packet.
    pub fn initialise(
        &mut self,
        wall: DateTime,
        now: Instant,
    ) -> Result<Vec<RequestId>, RequestError> {
        if self.device.is_none() {
            return Err(RequestError::NotOnline);
        }
        if self.initialised {
            return Ok(Vec::new());
        }
        self.initialised = true;
        self.config
            .init
            .requests(wall)
            .into_iter()
            .map(|r| self.send_request(r, wall, now))
            .collect()
    }

    /// Queues a request to the device; requests go out one at a time. `wall` is the platform's
    /// current wall time (for the QN; a queued [`Request::SetTime`] is advanced by its time in
    /// the queue).
    ///
    /// # Errors
    ///
    /// [`RequestError::NotOnline`] before the first authenticated packet,
    /// [`RequestError::Closed`], or an encoding error.
    pub fn send_request(
        &mut self,
        request: Request,
        wall: DateTime,
        now: Instant,
    ) -> Result<RequestId, RequestError> {
        if self.closed {
            return Err(RequestError::Closed);
        }
        let qn = self.next_qn(wall);
        let bytes = self.encode_request(&request, &qn)?;
        let id = RequestId(self.next_request);
        self.next_request += 1;
        self.queue.push_back(Queued {
            id,
            request,
            qn,
            bytes,
            at: now,
        });
        self.start_next(now);
        Ok(id)
    }

    /// The device (MN, PW, ST, version) once a packet was authenticated.
    #[must_use]
    pub fn device(&self) -> Option<&DeviceInfo> {
        self.device.as_ref()
    }

    /// Counters.
    #[must_use]
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Garbage bytes skipped by the framer.
    #[must_use]
    pub fn garbage_bytes(&self) -> u64 {
        self.framer.stats().garbage_bytes
    }

    /// Held 9014 replies waiting for [`Session::ack`].
    #[must_use]
    pub fn pending_acks(&self) -> usize {
        self.pending_acks.len()
    }

    /// Whether the session is closed (fatal framing error or idle timeout).
    #[must_use]
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    // ----- internals -----

    fn close(&mut self, reason: CloseReason) {
        self.closed = true;
        self.events.push_back(Event::Closed(reason));
    }

    fn reply_version(&self, packet: &Packet) -> Version {
        if self.config.mirror_device_version {
            packet.version()
        } else {
            self.config.version
        }
    }

    fn send_now(&mut self, bytes: Result<Vec<u8>, EncodeError>) {
        // Replies echo fields of a packet that parsed, so encoding cannot fail; if it ever
        // does, nothing is sent (the device retries) rather than a malformed packet.
        if let Ok(b) = bytes {
            self.transmit.push_back(b);
            self.stats.transmitted += 1;
        }
    }

    fn next_qn(&mut self, wall: DateTime) -> String {
        let qn = match self.last_qn {
            Some(last) if wall <= last => last.add_millis(1).unwrap_or(wall),
            _ => wall,
        };
        self.last_qn = Some(qn);
        qn.to_qn()
    }

    fn encode_request(&self, request: &Request, qn: &str) -> Result<Vec<u8>, RequestError> {
        let device = self.device.as_ref().ok_or(RequestError::NotOnline)?;
        let target = Target {
            qn,
            st: &device.st,
            pw: &device.pw,
            mn: &device.mn,
            flag: encode::request_flag(self.config.version),
        };
        Ok(request.encode(&target)?)
    }

    fn start_next(&mut self, now: Instant) {
        if self.in_flight.is_some() {
            return;
        }
        let Some(q) = self.queue.pop_front() else {
            return;
        };
        let mut bytes = q.bytes;
        if let Request::SetTime { time, pol_id } = &q.request {
            // Advance the time by how long the request waited in the queue.
            let waited = now.saturating_duration_since(q.at);
            let waited_ms = i64::try_from(waited.as_millis()).unwrap_or(i64::MAX);
            if waited_ms > 0
                && let Some(t) = time.add_millis(waited_ms)
            {
                let adjusted = Request::SetTime {
                    time: t,
                    pol_id: pol_id.clone(),
                };
                if let Ok(b) = self.encode_request(&adjusted, &q.qn) {
                    bytes = b;
                }
            }
        }
        self.transmit.push_back(bytes.clone());
        self.stats.transmitted += 1;
        self.in_flight = Some(InFlight {
            id: q.id,
            cn: q.request.command(),
            qn: q.qn,
            bytes,
            stage: Stage::AwaitAnswer {
                sent: 1,
                deadline: later(now, self.config.request_timeout),
            },
        });
    }

    fn finish_request(&mut self, outcome: RequestOutcome, now: Instant) {
        if let Some(f) = self.in_flight.take() {
            self.events.push_back(Event::RequestFinished {
                id: f.id,
                command: f.cn,
                qn: f.qn,
                outcome,
            });
        }
        self.start_next(now);
    }

    fn authenticate(&mut self, packet: &Packet) -> Result<(), RejectReason> {
        let Some(mn) = packet.mn() else {
            return Err(RejectReason::MissingMn);
        };
        let pw = packet.pw().unwrap_or_default();
        if self.accepted.iter().any(|(m, p)| m == mn && p == pw) {
            return Ok(());
        }
        match self.auth.authenticate(mn, pw) {
            Auth::Accept => {
                if self.accepted.len() >= MAX_CACHED_AUTH {
                    self.accepted.remove(0);
                }
                self.accepted.push((mn.to_owned(), pw.to_owned()));
                Ok(())
            }
            Auth::UnknownDevice => Err(RejectReason::UnknownDevice),
            Auth::WrongPassword => Err(RejectReason::WrongPassword),
        }
    }

    fn on_packet(&mut self, packet: Packet, now: Instant) {
        self.stats.packets += 1;
        self.last_activity = now;
        if let Err(reason) = self.authenticate(&packet) {
            self.stats.rejected += 1;
            self.events.push_back(Event::Rejected {
                mn: packet.mn().map(str::to_owned),
                reason,
            });
            return;
        }
        // Borrowed: an MN string is allocated only for a new device or an event that names it.
        let mn = packet.mn().unwrap_or_default();
        if self.device.is_none() {
            self.device = Some(DeviceInfo {
                mn: mn.to_owned(),
                pw: packet.pw().unwrap_or_default().to_owned(),
                st: packet.st().unwrap_or_default().to_owned(),
                version: packet.version(),
            });
        } else if let Some(d) = self.device.as_mut().filter(|d| d.mn == mn) {
            // Follow the device's latest PW / ST / version (interaction replies use ST=91).
            if let Some(pw) = packet.pw() {
                pw.clone_into(&mut d.pw);
            }
            if packet.cn().device_role() != DeviceRole::Reply
                && let Some(st) = packet.st()
            {
                st.clone_into(&mut d.st);
            }
            d.version = packet.version();
        }
        if !self.online.iter().any(|m| m == mn) {
            if self.online.len() < MAX_ONLINE_MNS {
                self.online.push(mn.to_owned());
            }
            self.events.push_back(Event::Online {
                mn: mn.to_owned(),
                version: packet.version(),
            });
        }
        let version = self.reply_version(&packet);
        match packet.cn().device_role() {
            DeviceRole::Upload => self.on_upload(packet, now),
            DeviceRole::Notification => {
                if packet.needs_ack() {
                    self.send_now(encode::notification_answer(&packet, version));
                }
                let mn = packet.mn().unwrap_or_default().to_owned();
                self.events
                    .push_back(Event::TimeCalibrationRequested { mn });
            }
            DeviceRole::Heartbeat => {
                if packet.needs_ack() {
                    self.send_now(encode::data_answer(&packet, version));
                }
                let mn = packet.mn().unwrap_or_default().to_owned();
                self.events.push_back(Event::Heartbeat { mn });
            }
            DeviceRole::Reply => self.on_reply(packet, now),
            DeviceRole::Unexpected => self.events.push_back(Event::Ignored {
                packet: Box::new(packet),
                reason: IgnoreReason::UnexpectedCommand,
            }),
        }
    }

    fn on_reply(&mut self, packet: Packet, now: Instant) {
        let matches = self
            .in_flight
            .as_ref()
            .is_some_and(|f| packet.qn() == Some(f.qn.as_str()));
        if !matches {
            self.events.push_back(Event::Ignored {
                packet: Box::new(packet),
                reason: IgnoreReason::UnmatchedReply,
            });
            return;
        }
        match packet.cn() {
            Command::RequestAnswer => {
                let rtn = packet
                    .cp()
                    .get("QnRtn")
                    .and_then(|v| v.to_u16())
                    .map_or(QnRtn::Other(0), QnRtn::from_code);
                if rtn == QnRtn::Ready {
                    if let Some(f) = &mut self.in_flight {
                        f.stage = Stage::AwaitResult {
                            deadline: later(now, self.config.execution_timeout),
                        };
                    }
                } else {
                    self.finish_request(RequestOutcome::Refused(rtn), now);
                }
            }
            Command::ExecutionResult => {
                let rtn = packet
                    .cp()
                    .get("ExeRtn")
                    .and_then(|v| v.to_u16())
                    .map_or(ExeRtn::Other(0), ExeRtn::from_code);
                self.finish_request(RequestOutcome::Executed(rtn), now);
            }
            _ => self.finish_request(RequestOutcome::Acknowledged, now),
        }
    }

    fn on_upload(&mut self, packet: Packet, now: Instant) {
        // An upload carrying an outstanding get-request's QN and CN answers it.
        let answers_request = self
            .in_flight
            .as_ref()
            .is_some_and(|f| packet.qn() == Some(f.qn.as_str()) && packet.cn() == f.cn);
        if answers_request {
            self.finish_request(RequestOutcome::Answered, now);
        }
        let version = self.reply_version(&packet);
        let needs_ack = packet.needs_ack();
        let hash = text_hash(&packet);
        if needs_ack {
            if self.released.contains(&hash) {
                // Already durable and answered: the device missed our 9014. Answer again.
                self.stats.duplicates += 1;
                self.send_now(encode::data_answer(&packet, version));
                return;
            }
            if self.pending_acks.iter().any(|p| p.holds(hash)) {
                self.stats.duplicates += 1;
                self.events.push_back(Event::Ignored {
                    packet: Box::new(packet),
                    reason: IgnoreReason::Duplicate,
                });
                return;
            }
        }
        let reply = if needs_ack {
            encode::data_answer(&packet, version).ok()
        } else {
            None
        };
        let part = Part {
            packet,
            reply,
            hash,
        };
        let reassemble = matches!(self.config.subpackets, SubPackets::Reassemble(_));
        let numbering =
            (reassemble && part.packet.is_split()).then(|| self.reassembler.check(&part.packet));
        match numbering {
            Some(Ok((total, no))) => {
                let key = SetKey::of(&part.packet);
                match self.reassembler.insert(key, total, no, part, now) {
                    Reassembly::Complete(parts) => {
                        let mut parts = parts.into_iter();
                        if let Some(head) = parts.next() {
                            self.deliver(head, parts.collect());
                        }
                    }
                    Reassembly::Pending { .. } => {}
                    Reassembly::Duplicate(p) => {
                        self.stats.duplicates += 1;
                        self.events.push_back(Event::Ignored {
                            packet: Box::new(p.packet),
                            reason: IgnoreReason::Duplicate,
                        });
                    }
                }
                self.collect_dropped();
            }
            // Not split, pass-through, or bad numbering (delivered alone rather than lost).
            _ => self.deliver(part, Vec::new()),
        }
    }

    /// Delivers one upload: `head` and the further sub-packets `tail` (empty for a single
    /// packet, then nothing here allocates).
    fn deliver(&mut self, head: Part, tail: Vec<Part>) {
        let mut held: Option<PendingAck> = None;
        let mut hold = |hash: u64, reply: Option<Vec<u8>>| match (reply, &mut held) {
            (None, _) => {}
            (Some(r), None) => {
                held = Some(PendingAck {
                    token: AckToken(0),
                    first: (hash, r),
                    more: Vec::new(),
                });
            }
            (Some(r), Some(h)) => h.more.push((hash, r)),
        };
        hold(head.hash, head.reply);
        let tail: Vec<Packet> = tail
            .into_iter()
            .map(|p| {
                hold(p.hash, p.reply);
                p.packet
            })
            .collect();
        let ack = held.map(|mut pending| {
            let token = AckToken(self.next_token);
            self.next_token += 1;
            pending.token = token;
            self.pending_acks.push_back(pending);
            while self.pending_acks.len() > self.config.max_pending_acks.max(1) {
                self.pending_acks.pop_front();
                self.stats.acks_dropped += 1;
            }
            token
        });
        self.stats.uploads += 1;
        self.events.push_back(Event::Data(Upload {
            head: head.packet,
            tail,
            ack,
        }));
    }

    fn collect_dropped(&mut self) {
        while let Some(d) = self.reassembler.take_dropped() {
            self.stats.subpacket_sets_dropped += 1;
            self.events.push_back(Event::SubPacketsDropped {
                mn: d.key.mn,
                command: d.key.cn,
                received: d.received,
                total: d.key.total,
                reason: d.reason,
            });
        }
    }
}
