//! Session layer: a sans-IO state machine for one terminal connection.
//!
//! Bytes and `now` go in ([`Session::handle_input`], [`Session::handle_timeout`]); frames to
//! send ([`Session::poll_transmit`]), events for the caller ([`Session::poll_event`]) and the
//! next deadline ([`Session::poll_timeout`]) come out. The caller answers the events that
//! need a decision: [`Session::accept_register`] / [`Session::reject_register`],
//! [`Session::answer_auth`], and [`Session::ack`] once a report is durable.
//!
//! # Replies (the one place where protocol replies are chosen)
//!
//! Every reply uses the terminal's own edition: header width, version byte and phone are
//! copied from the request ([`Header::reply`]). The platform serial is this session's own
//! counter, from 0, wrapping.
//!
//! | terminal sends | session does |
//! |---|---|
//! | 0x0100 register | [`Event::RegisterRequest`]; 0x8100 when the caller answers |
//! | 0x0102 authenticate | [`Event::AuthRequest`]; 0x8001 result 0 or 1 when the caller answers |
//! | 0x0002 heartbeat | 0x8001 result 0 at once |
//! | 0x0003 logout | 0x8001 result 0; [`Event::Logout`]; the terminal must authenticate again |
//! | 0x0200 / 0x0704 | [`Event::Location`] / [`Event::LocationBatch`] with an [`AckToken`]; 0x8001 only on [`Session::ack`] (delayed acknowledgement: ack after the database commit) |
//! | 0x0801 (reassembled) | [`Event::Multimedia`] with an [`AckToken`]; 0x8800 (or 0x8001 on failure) on ack |
//! | 0x0800 | 0x8001 result 0; [`Event::Message`] |
//! | a subpackage that does not complete its message | 0x8001 result 0 at once |
//! | 0x0001, 0x0201 and other responses to platform commands | no reply; [`Event::Message`] |
//! | an unknown id, a platform id, an encrypted body | 0x8001 result 3 (unsupported) |
//! | a body that does not parse | 0x8001 result 2 (message error); [`Event::Rejected`] |
//! | anything but 0x0100/0x0102/0x0002/0x0003 before authentication | 0x8001 result 1 (failure); [`Event::Rejected`] |
//! | a frame with a bad checksum / length | no reply (the header is not trustworthy); [`Event::BadFrame`] |
//!
//! # Closing
//!
//! [`Event::Close`] is raised once, for: a fatal frame error; `max_consecutive_bad_frames`
//! bad frames in a row; no valid frame for `idle_timeout`; no successful authentication
//! within `auth_timeout`; `max_auth_failures` refused authentications; too many replies
//! held back. After it the session ignores input; replies already queued (and acks given
//! later) can still be flushed.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use crate::error::{DecodeError, EncodeError, FatalError, FrameError, InvalidFrame};
use crate::frame::{FrameConfig, FrameDecoder, MAX_BODY_LEN};
use crate::header::{Header, Phone, Version};
use crate::message::general_response::{GeneralResponse, ResultCode};
use crate::message::multimedia::{MultimediaUpload, MultimediaUploadResponse};
use crate::message::register_response::{RegisterResponse, RegisterResult};
use crate::message::{Authenticate, Location, LocationBatch, Message, Register, encode_frames, id};
use crate::reassembly::{Expired, Insert, Reassembler, ReassemblyConfig, ReassemblyError};

/// Session settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionConfig {
    /// Close after this long without a valid frame (e.g. 3 × the heartbeat interval).
    pub idle_timeout: Duration,
    /// Close when the terminal has not authenticated this long after connecting (or after
    /// a logout). `None` disables the check.
    pub auth_timeout: Option<Duration>,
    /// Refuse reports before a successful 0x0102 (the standard's session rule). `false`
    /// accepts any terminal, as Traccar does.
    pub require_auth: bool,
    /// Close after this many invalid frames in a row.
    pub max_consecutive_bad_frames: u32,
    /// Close after this many refused authentications.
    pub max_auth_failures: u32,
    /// Replies held back for the caller (acks, register and auth answers) before the session
    /// closes; bounds memory when a caller never answers.
    pub max_pending_replies: usize,
    /// Frame layer settings.
    pub frame: FrameConfig,
    /// Subpackage reassembly limits.
    pub reassembly: ReassemblyConfig,
}

impl Default for SessionConfig {
    fn default() -> Self {
        SessionConfig {
            idle_timeout: Duration::from_secs(180),
            auth_timeout: Some(Duration::from_secs(60)),
            require_auth: true,
            max_consecutive_bad_frames: 5,
            max_auth_failures: 3,
            max_pending_replies: 1024,
            frame: FrameConfig::default(),
            reassembly: ReassemblyConfig::default(),
        }
    }
}

/// Proof that a report awaits acknowledgement; pass it to [`Session::ack`]. Single use.
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AckToken(u64);

/// A registration awaiting [`Session::accept_register`] or [`Session::reject_register`].
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct RegisterToken(u64);

/// An authentication awaiting [`Session::answer_auth`].
#[derive(Debug, PartialEq, Eq, Hash)]
pub struct AuthToken(u64);

/// Something the caller should know or act on.
#[derive(Debug, PartialEq, Eq)]
pub enum Event {
    /// 0x0100: decide, then call [`Session::accept_register`] with an auth code or
    /// [`Session::reject_register`].
    RegisterRequest {
        /// Request header (phone, edition, serial).
        header: Header,
        /// The register body; `register.version` tells 2011 / 2013 / 2019.
        register: Register,
        /// Answer token.
        token: RegisterToken,
    },
    /// 0x0102: check the code, then call [`Session::answer_auth`].
    AuthRequest {
        /// Request header.
        header: Header,
        /// The authentication body.
        auth: Authenticate,
        /// Answer token.
        token: AuthToken,
    },
    /// 0x0200: store it, then [`Session::ack`].
    Location {
        /// Request header.
        header: Header,
        /// The report.
        location: Location,
        /// Acknowledgement token.
        ack: AckToken,
    },
    /// 0x0704: store it, then [`Session::ack`] (one reply for the batch).
    LocationBatch {
        /// Request header.
        header: Header,
        /// The batch.
        batch: LocationBatch,
        /// Acknowledgement token.
        ack: AckToken,
    },
    /// 0x0801, reassembled: store it, then [`Session::ack`].
    Multimedia {
        /// Header of the first packet.
        header: Header,
        /// Metadata, location and data.
        upload: MultimediaUpload,
        /// Acknowledgement token.
        ack: AckToken,
    },
    /// 0x0003: the terminal logged out.
    Logout {
        /// Request header.
        header: Header,
    },
    /// Any other message (responses to platform commands, 0x0800, unknown ids); any reply
    /// has already been queued.
    Message {
        /// Header.
        header: Header,
        /// The message.
        message: Message,
    },
    /// A message was not delivered; a negative reply was queued when it was a request.
    Rejected {
        /// Header.
        header: Header,
        /// Why.
        reason: RejectReason,
    },
    /// A frame was skipped.
    BadFrame {
        /// Why.
        error: InvalidFrame,
    },
    /// An incomplete subpackaged message was dropped (timeout or room).
    ReassemblyDropped {
        /// Which set, and the indices never received.
        expired: Expired,
    },
    /// The connection should be closed. Raised once.
    Close {
        /// Why.
        reason: CloseReason,
    },
}

/// Why a message was not delivered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RejectReason {
    /// Sent before a successful authentication (reply: failure).
    NotAuthenticated,
    /// The body does not parse (reply: message error).
    Malformed(DecodeError),
    /// The body is encrypted; the platform holds no keys (reply: unsupported).
    Encrypted,
    /// The subpackage could not be stored (reply: message error).
    Reassembly(ReassemblyError),
}

/// Why the session asks to close.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CloseReason {
    /// The frame splitter lost the stream.
    StreamLost(FatalError),
    /// Too many invalid frames in a row.
    TooManyBadFrames {
        /// Consecutive bad frames seen.
        count: u32,
    },
    /// No valid frame within the idle timeout.
    IdleTimeout,
    /// No successful authentication in time.
    AuthTimeout,
    /// Too many refused authentications.
    AuthFailed {
        /// Refusals.
        attempts: u32,
    },
    /// The caller left too many replies unanswered.
    TooManyPendingReplies,
}

/// A caller answer with a token this session does not hold (already used, or another
/// session's).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown or already used token")]
pub struct UnknownToken;

/// Why [`Session::send`] failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SendError {
    /// No frame has been received yet, so the terminal's phone and edition are unknown.
    #[error("no terminal has spoken on this session yet")]
    NoTerminal,
    /// The message cannot be encoded.
    #[error(transparent)]
    Encode(#[from] EncodeError),
}

/// Counters for metrics.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SessionStats {
    /// Bytes passed to `handle_input`.
    pub bytes_in: u64,
    /// Valid frames.
    pub frames: u64,
    /// Valid frames accepted with a tolerated deviation.
    pub tolerated_frames: u64,
    /// Invalid frames skipped.
    pub bad_frames: u64,
    /// Bodies that did not parse.
    pub malformed_bodies: u64,
    /// Messages rejected (not authenticated, malformed, encrypted, reassembly).
    pub rejected: u64,
    /// Frames queued for sending.
    pub transmits: u64,
}

#[derive(Debug, Clone, Copy)]
enum PendingKind {
    General,
    Register,
    Auth,
    Multimedia { media_id: u32 },
}

#[derive(Debug, Clone, Copy)]
struct PendingReply {
    kind: PendingKind,
    request: Header,
    reply_serial: u16,
}

/// One terminal connection; see the module docs.
#[derive(Debug)]
pub struct Session {
    config: SessionConfig,
    decoder: FrameDecoder,
    reassembler: Reassembler,
    transmits: VecDeque<Vec<u8>>,
    events: VecDeque<Event>,
    pending: HashMap<u64, PendingReply>,
    next_token: u64,
    serial: u16,
    last_rx: Instant,
    auth_deadline: Option<Instant>,
    authenticated: Option<Phone>,
    version: Option<Version>,
    template: Option<Header>,
    consecutive_bad: u32,
    auth_failures: u32,
    closed: bool,
    stats: SessionStats,
}

impl Session {
    /// A session for a connection accepted at `now`.
    pub fn new(config: SessionConfig, now: Instant) -> Session {
        let auth_deadline = config
            .auth_timeout
            .filter(|_| config.require_auth)
            .and_then(|d| now.checked_add(d));
        Session {
            config,
            decoder: FrameDecoder::with_config(config.frame),
            reassembler: Reassembler::new(config.reassembly),
            transmits: VecDeque::new(),
            events: VecDeque::new(),
            pending: HashMap::new(),
            next_token: 0,
            serial: 0,
            last_rx: now,
            auth_deadline,
            authenticated: None,
            version: None,
            template: None,
            consecutive_bad: 0,
            auth_failures: 0,
            closed: false,
            stats: SessionStats::default(),
        }
    }

    /// Feeds bytes received at `now`.
    pub fn handle_input(&mut self, bytes: &[u8], now: Instant) {
        if self.closed {
            return;
        }
        self.stats.bytes_in += bytes.len() as u64;
        self.decoder.push(bytes);
        while !self.closed {
            let Some(result) = self.decoder.next_frame() else {
                break;
            };
            match result {
                Ok(frame) => {
                    self.consecutive_bad = 0;
                    self.last_rx = now;
                    self.stats.frames += 1;
                    if !frame.deviations.is_empty() {
                        self.stats.tolerated_frames += 1;
                    }
                    self.on_frame(frame, now);
                }
                Err(FrameError::Invalid(error)) => {
                    self.stats.bad_frames += 1;
                    self.consecutive_bad = self.consecutive_bad.saturating_add(1);
                    self.events.push_back(Event::BadFrame { error });
                    if self.consecutive_bad >= self.config.max_consecutive_bad_frames.max(1) {
                        self.close(CloseReason::TooManyBadFrames {
                            count: self.consecutive_bad,
                        });
                    }
                }
                Err(FrameError::Fatal(error)) => self.close(CloseReason::StreamLost(error)),
            }
        }
    }

    /// Runs timers at `now`: idle and authentication timeouts, reassembly expiry.
    pub fn handle_timeout(&mut self, now: Instant) {
        if self.closed {
            return;
        }
        for expired in self.reassembler.expire(now) {
            self.events.push_back(Event::ReassemblyDropped { expired });
        }
        if self.authenticated.is_none()
            && let Some(deadline) = self.auth_deadline
            && now >= deadline
        {
            self.close(CloseReason::AuthTimeout);
            return;
        }
        if self
            .last_rx
            .checked_add(self.config.idle_timeout)
            .is_some_and(|d| now >= d)
        {
            self.close(CloseReason::IdleTimeout);
        }
    }

    /// The next frame to write to the socket.
    pub fn poll_transmit(&mut self) -> Option<Vec<u8>> {
        self.transmits.pop_front()
    }

    /// The next event for the caller.
    pub fn poll_event(&mut self) -> Option<Event> {
        self.events.pop_front()
    }

    /// When [`Session::handle_timeout`] should next be called; `None` once closed.
    pub fn poll_timeout(&self) -> Option<Instant> {
        if self.closed {
            return None;
        }
        let idle = self.last_rx.checked_add(self.config.idle_timeout);
        let auth = self.auth_deadline.filter(|_| self.authenticated.is_none());
        [idle, auth, self.reassembler.next_deadline()]
            .into_iter()
            .flatten()
            .min()
    }

    /// Acknowledges a report after it was stored (or failed to be): 0x8001 with `result`,
    /// or for 0x0801 a 0x8800 on success.
    ///
    /// # Errors
    ///
    /// [`UnknownToken`] when the token was already used.
    pub fn ack(&mut self, token: AckToken, result: ResultCode) -> Result<(), UnknownToken> {
        let p = self.pending.remove(&token.0).ok_or(UnknownToken)?;
        match p.kind {
            PendingKind::Multimedia { media_id } if result == ResultCode::Success => {
                let body = MultimediaUploadResponse {
                    media_id,
                    retransmit: Vec::new(),
                };
                self.send_reply(&p.request, &Message::MultimediaUploadResponse(body));
            }
            _ => self.general_reply(&p.request, p.reply_serial, result),
        }
        Ok(())
    }

    /// Accepts a registration: 0x8100 result 0 with `auth_code`, which the terminal will
    /// present in 0x0102.
    ///
    /// # Errors
    ///
    /// [`UnknownToken`] when the token was already used.
    pub fn accept_register(
        &mut self,
        token: RegisterToken,
        auth_code: &str,
    ) -> Result<(), UnknownToken> {
        let p = self.pending.remove(&token.0).ok_or(UnknownToken)?;
        let body = RegisterResponse {
            reply_serial: p.reply_serial,
            result: RegisterResult::Success,
            auth_code: auth_code.to_owned(),
        };
        self.send_reply(&p.request, &Message::RegisterResponse(body));
        Ok(())
    }

    /// Refuses a registration: 0x8100 with `result` and no auth code.
    ///
    /// # Errors
    ///
    /// [`UnknownToken`] when the token was already used.
    pub fn reject_register(
        &mut self,
        token: RegisterToken,
        result: RegisterResult,
    ) -> Result<(), UnknownToken> {
        let p = self.pending.remove(&token.0).ok_or(UnknownToken)?;
        let body = RegisterResponse {
            reply_serial: p.reply_serial,
            result,
            auth_code: String::new(),
        };
        self.send_reply(&p.request, &Message::RegisterResponse(body));
        Ok(())
    }

    /// Answers an authentication: 0x8001 result 0 and the terminal is authenticated, or
    /// result 1 (the connection closes after `max_auth_failures` refusals).
    ///
    /// # Errors
    ///
    /// [`UnknownToken`] when the token was already used.
    pub fn answer_auth(&mut self, token: AuthToken, accepted: bool) -> Result<(), UnknownToken> {
        let p = self.pending.remove(&token.0).ok_or(UnknownToken)?;
        if accepted {
            self.authenticated = Some(p.request.phone);
            self.auth_failures = 0;
            self.general_reply(&p.request, p.reply_serial, ResultCode::Success);
        } else {
            self.auth_failures = self.auth_failures.saturating_add(1);
            self.general_reply(&p.request, p.reply_serial, ResultCode::Failure);
            if self.auth_failures >= self.config.max_auth_failures.max(1) {
                self.close(CloseReason::AuthFailed {
                    attempts: self.auth_failures,
                });
            }
        }
        Ok(())
    }

    /// Sends a platform message (0x8103, 0x8300, 0x8201, …) to the terminal, in its edition,
    /// subpackaged when the body exceeds one frame. Returns the serial of the (first) frame,
    /// which the terminal's 0x0001 will echo.
    ///
    /// # Errors
    ///
    /// [`SendError::NoTerminal`] before the first frame; [`SendError::Encode`].
    pub fn send(&mut self, message: &Message) -> Result<u16, SendError> {
        let template = self.template.ok_or(SendError::NoTerminal)?;
        let serial = self.serial;
        let header = template.reply(message.id(), serial);
        let body = message.to_body(header.version())?;
        let frames = encode_frames(header, &body, MAX_BODY_LEN)?;
        let used = u16::try_from(frames.len()).unwrap_or(u16::MAX);
        self.serial = self.serial.wrapping_add(used);
        for f in frames {
            self.queue(f);
        }
        Ok(serial)
    }

    /// The authenticated terminal's phone.
    pub fn authenticated_phone(&self) -> Option<Phone> {
        self.authenticated
    }

    /// The terminal's edition, once known (2011 is recognised from its register body).
    pub fn version(&self) -> Option<Version> {
        self.version
    }

    /// `true` once [`Event::Close`] was raised.
    pub fn is_closed(&self) -> bool {
        self.closed
    }

    /// Counters.
    pub fn stats(&self) -> SessionStats {
        self.stats
    }

    /// Replies held back for the caller.
    pub fn pending_replies(&self) -> usize {
        self.pending.len()
    }

    fn close(&mut self, reason: CloseReason) {
        if !self.closed {
            self.closed = true;
            self.events.push_back(Event::Close { reason });
        }
    }

    fn authorized(&self, header: &Header) -> bool {
        !self.config.require_auth || self.authenticated == Some(header.phone)
    }

    fn next_serial(&mut self) -> u16 {
        let s = self.serial;
        self.serial = self.serial.wrapping_add(1);
        s
    }

    fn queue(&mut self, frame: Vec<u8>) {
        self.stats.transmits += 1;
        self.transmits.push_back(frame);
    }

    fn send_reply(&mut self, request: &Header, message: &Message) {
        let serial = self.next_serial();
        let header = request.reply(message.id(), serial);
        // Replies are a few bytes; encoding cannot fail for them.
        if let Ok(body) = message.to_body(header.version())
            && let Ok(frames) = encode_frames(header, &body, MAX_BODY_LEN)
        {
            for f in frames {
                self.queue(f);
            }
        }
    }

    fn general_reply(&mut self, request: &Header, reply_serial: u16, result: ResultCode) {
        let body = GeneralResponse {
            reply_serial,
            reply_id: request.id,
            result,
        };
        self.send_reply(request, &Message::PlatformGeneralResponse(body));
    }

    /// Registers a held-back reply; `None` (and the session closes) past the limit.
    fn hold(&mut self, kind: PendingKind, request: Header, reply_serial: u16) -> Option<u64> {
        if self.pending.len() >= self.config.max_pending_replies {
            self.close(CloseReason::TooManyPendingReplies);
            return None;
        }
        self.next_token += 1;
        self.pending.insert(
            self.next_token,
            PendingReply {
                kind,
                request,
                reply_serial,
            },
        );
        Some(self.next_token)
    }

    fn reject(&mut self, header: Header, reply_serial: u16, reason: RejectReason) {
        self.stats.rejected += 1;
        if !id::is_terminal_response(header.id) {
            let result = match &reason {
                RejectReason::NotAuthenticated => ResultCode::Failure,
                RejectReason::Malformed(_) | RejectReason::Reassembly(_) => {
                    ResultCode::MessageError
                }
                RejectReason::Encrypted => ResultCode::Unsupported,
            };
            self.general_reply(&header, reply_serial, result);
        }
        self.events.push_back(Event::Rejected { header, reason });
    }

    fn on_frame(&mut self, frame: crate::frame::Frame, now: Instant) {
        let header = frame.header;
        let mut template = header;
        template.package = None;
        template.encryption = 0;
        self.template = Some(template);
        if self.version.is_none() {
            self.version = Some(header.version());
        }
        if header.encryption != 0 {
            self.reject(header, header.serial, RejectReason::Encrypted);
            return;
        }
        if header.package.is_none() {
            self.on_message(header, header.serial, &frame.body, now);
            return;
        }
        if !self.authorized(&header) {
            self.reject(header, header.serial, RejectReason::NotAuthenticated);
            return;
        }
        match self.reassembler.insert(frame, now) {
            Ok(Insert::Pending { .. }) => {
                self.general_reply(&header, header.serial, ResultCode::Success);
            }
            Ok(Insert::Complete(re)) => {
                self.on_message(re.header, re.last_serial, &re.body, now);
            }
            Err(e) => self.reject(header, header.serial, RejectReason::Reassembly(e)),
        }
        for expired in self.reassembler.expire(now) {
            self.events.push_back(Event::ReassemblyDropped { expired });
        }
    }

    /// A complete message. `reply_serial` is the serial the reply must echo (the last
    /// packet's for a reassembled message).
    fn on_message(&mut self, header: Header, reply_serial: u16, body: &[u8], now: Instant) {
        let msg_id = header.id;
        let open = matches!(
            msg_id,
            id::REGISTER | id::AUTHENTICATE | id::HEARTBEAT | id::LOGOUT
        );
        if !open && !self.authorized(&header) {
            self.reject(header, reply_serial, RejectReason::NotAuthenticated);
            return;
        }
        let message = match Message::decode(msg_id, header.version(), body) {
            Ok(m) => m,
            Err(e) => {
                self.stats.malformed_bodies += 1;
                self.reject(header, reply_serial, RejectReason::Malformed(e));
                return;
            }
        };
        match message {
            Message::Heartbeat => self.general_reply(&header, reply_serial, ResultCode::Success),
            Message::Logout => {
                self.general_reply(&header, reply_serial, ResultCode::Success);
                if self.authenticated == Some(header.phone) {
                    self.authenticated = None;
                    self.auth_deadline = self
                        .config
                        .auth_timeout
                        .filter(|_| self.config.require_auth)
                        .and_then(|d| now.checked_add(d));
                }
                self.events.push_back(Event::Logout { header });
            }
            Message::Register(register) => {
                self.version = Some(register.version);
                if let Some(t) = self.hold(PendingKind::Register, header, reply_serial) {
                    let token = RegisterToken(t);
                    self.events.push_back(Event::RegisterRequest {
                        header,
                        register,
                        token,
                    });
                }
            }
            Message::Authenticate(auth) => {
                if let Some(t) = self.hold(PendingKind::Auth, header, reply_serial) {
                    self.events.push_back(Event::AuthRequest {
                        header,
                        auth,
                        token: AuthToken(t),
                    });
                }
            }
            Message::Location(location) => {
                if let Some(t) = self.hold(PendingKind::General, header, reply_serial) {
                    self.events.push_back(Event::Location {
                        header,
                        location,
                        ack: AckToken(t),
                    });
                }
            }
            Message::LocationBatch(batch) => {
                if let Some(t) = self.hold(PendingKind::General, header, reply_serial) {
                    self.events.push_back(Event::LocationBatch {
                        header,
                        batch,
                        ack: AckToken(t),
                    });
                }
            }
            Message::MultimediaUpload(upload) => {
                let kind = PendingKind::Multimedia {
                    media_id: upload.event.media_id,
                };
                if let Some(t) = self.hold(kind, header, reply_serial) {
                    self.events.push_back(Event::Multimedia {
                        header,
                        upload,
                        ack: AckToken(t),
                    });
                }
            }
            Message::MultimediaEvent(_) => {
                self.general_reply(&header, reply_serial, ResultCode::Success);
                self.events.push_back(Event::Message { header, message });
            }
            Message::TerminalGeneralResponse(_) | Message::LocationQueryResponse(_) => {
                self.events.push_back(Event::Message { header, message });
            }
            Message::Raw { id: raw_id, .. } if id::is_terminal_response(raw_id) => {
                self.events.push_back(Event::Message { header, message });
            }
            // Unknown ids and platform messages sent by a terminal.
            _ => {
                self.general_reply(&header, reply_serial, ResultCode::Unsupported);
                self.events.push_back(Event::Message { header, message });
            }
        }
    }
}
