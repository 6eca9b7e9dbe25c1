//! The JT/T 808 vehicle gateway: a tokio TCP server driving one [`jt808::Session`] per
//! connection.
//!
//! # Per connection
//!
//! ```text
//! socket ─ readable ─► try_read (per-thread buffer, fed in ≤ 256 B slices) ─► Session::handle_input
//!   Session events ─► RegisterRequest → Registry::register → (Registered record durable) → 0x8100
//!                  ─► AuthRequest     → Registry::authenticate → (Authenticated durable) → 0x8001
//!                  ─► Location / LocationBatch / Multimedia → records ─► Batcher::submit ─┐
//!                  ─► 0x0001 / 0x0201 → answers to platform commands (Handle::send)        │
//!   completions, in submission order ◄─────────────────────────────────────────────────────┘
//!       Ok  → Session::ack(token, Success)  → 0x8001 result 0 (0x8800 for media)
//!       Err → Session::ack(token, Failure)  → 0x8001 result 1
//!   Session::poll_transmit ─► one write per wake-up
//! ```
//!
//! - **Reply after durable:** a position's 0x8001 is produced only by `Session::ack`, which is
//!   called only when the [`Batcher`] reports the batch holding it durable.
//! - **Order:** records of one connection are submitted in arrival order and completions are
//!   taken in submission order; up to [`Config::max_inflight`] submissions may be in flight,
//!   then reading pauses (TCP backpressure).
//! - **Protocol policy** (auth before reports, result codes, bad-frame limits, idle and auth
//!   timeouts, garbage limit) is the codec's [`jt808::SessionConfig`], see `TOLERANCE.md`:
//!   reports before authentication get 0x8001 result 1; unknown ids result 3; a bad
//!   checksum/escape/length frame is skipped and counted; `max_consecutive_bad_frames` bad
//!   frames in a row, or more than `frame.max_frame_len` bytes without a delimiter, drop the
//!   connection.
//! - A second connection authenticating with the same phone replaces the first (JT/T 808 §7.6).
//! - 0x0800 (media metadata) is answered by the codec at once; its record is stored
//!   afterwards (the data itself, 0x0801, is acknowledged after durability).
//!
//! # Memory
//!
//! An idle connection holds its task (the state machine of [`conn`]), the socket, the
//! `Session` (whose frame buffer only grows to ~256 B plus a partial frame because input is fed
//! in small slices) and a small command mailbox. The read buffer belongs to the worker thread
//! (thread-local), not to connections.

mod conn;
pub mod convert;

use std::collections::{HashMap, VecDeque};
use std::io;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use jt808::message::parameters::DEFAULT_REPORT_INTERVAL;
use jt808::{Message, Parameter, ResultCode, SessionConfig, SetParameters, TextMessage};
use tokio::net::TcpListener;
use tokio::sync::{Notify, oneshot, watch};

use crate::batcher::Batcher;
use crate::clock::Clock;
use crate::metrics as m;
use crate::record::VehicleFix;
use crate::registry::Registry;

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen (`0.0.0.0:5015`; port 0 picks one).
    pub listen: SocketAddr,
    /// Codec session settings: idle timeout, auth timeout, bad-frame and garbage limits,
    /// maximum frame size (`frame.max_frame_len`), held-reply limit.
    pub session: SessionConfig,
    /// Connections beyond this are closed at once.
    pub max_connections: usize,
    /// Batcher submissions a connection may have in flight before it stops reading.
    pub max_inflight: usize,
    /// Bytes read per `try_read` (a per-worker-thread buffer, not per connection).
    pub read_buffer: usize,
    /// A write that makes no progress for this long closes the connection.
    pub write_timeout: Duration,
    /// How long [`Handle::send`] waits for the terminal's answer.
    pub command_timeout: Duration,
    /// On shutdown, how long connections may take to flush acks.
    pub drain_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 5015)),
            session: SessionConfig::default(),
            max_connections: 100_000,
            max_inflight: 32,
            read_buffer: 4096,
            write_timeout: Duration::from_secs(30),
            command_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// A terminal's answer to a platform command.
#[derive(Debug, Clone, PartialEq)]
pub enum CommandAnswer {
    /// 0x0001 terminal general response: its result.
    General(ResultCode),
    /// 0x0201: the position asked for by 0x8201.
    Position(Box<VehicleFix>),
}

/// Why a command got no answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommandError {
    /// No authenticated connection for this phone.
    #[error("terminal {0} is not online")]
    NotOnline(String),
    /// The message could not be encoded for this terminal.
    #[error("cannot send: {0}")]
    Send(String),
    /// The connection closed before the answer.
    #[error("connection closed before the answer")]
    Disconnected,
    /// No answer within [`Config::command_timeout`].
    #[error("no answer in time")]
    Timeout,
}

pub(crate) struct PendingCommand {
    message: Message,
    reply: oneshot::Sender<Result<CommandAnswer, CommandError>>,
}

/// The mailbox of one connection, reachable by phone once it authenticated.
pub(crate) struct Peer {
    id: u64,
    commands: Mutex<VecDeque<PendingCommand>>,
    notify: Notify,
    /// Set when another connection took over this phone.
    replaced: AtomicBool,
}

impl Peer {
    fn take_commands(&self) -> VecDeque<PendingCommand> {
        std::mem::take(&mut *self.commands.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// State shared by the accept loop, the connections and [`Handle`]s.
pub(crate) struct Shared {
    config: Config,
    online: Mutex<HashMap<String, Arc<Peer>>>,
    next_id: AtomicU64,
    open: AtomicUsize,
    all_closed: Notify,
    shutdown: watch::Sender<bool>,
}

impl Shared {
    fn online(&self) -> std::sync::MutexGuard<'_, HashMap<String, Arc<Peer>>> {
        self.online.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Makes `peer` the connection of `phone`; an earlier one is told to close.
    fn set_online(&self, phone: &str, peer: &Arc<Peer>) {
        let old = self.online().insert(phone.to_owned(), Arc::clone(peer));
        if let Some(old) = old.filter(|o| o.id != peer.id) {
            old.replaced.store(true, Ordering::Release);
            old.notify.notify_one();
        }
    }

    /// Forgets `phone` if `peer` is still its connection.
    fn set_offline(&self, phone: &str, peer: &Arc<Peer>) {
        let mut online = self.online();
        if online.get(phone).is_some_and(|p| p.id == peer.id) {
            online.remove(phone);
        }
    }
}

pub(crate) struct Ctx<R> {
    shared: Arc<Shared>,
    registry: R,
    batcher: Batcher,
    clock: Arc<dyn Clock>,
}

/// A bound JT/T 808 gateway; [`Gateway::run`] serves it.
pub struct Gateway<R: Registry> {
    listener: TcpListener,
    ctx: Arc<Ctx<R>>,
}

impl<R: Registry> Gateway<R> {
    /// Binds the listening socket.
    ///
    /// # Errors
    ///
    /// The address cannot be bound.
    pub async fn bind(
        config: Config,
        registry: R,
        batcher: Batcher,
        clock: Arc<dyn Clock>,
    ) -> io::Result<Gateway<R>> {
        let listener = TcpListener::bind(config.listen).await?;
        let (shutdown, _) = watch::channel(false);
        let shared = Arc::new(Shared {
            config,
            online: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(1),
            open: AtomicUsize::new(0),
            all_closed: Notify::new(),
            shutdown,
        });
        Ok(Gateway {
            listener,
            ctx: Arc::new(Ctx {
                shared,
                registry,
                batcher,
                clock,
            }),
        })
    }

    /// The bound address.
    ///
    /// # Errors
    ///
    /// As [`TcpListener::local_addr`].
    pub fn local_addr(&self) -> io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// A handle for commands, status and shutdown.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.ctx.shared),
        }
    }

    /// Accepts connections until [`Handle::shutdown`]; then stops accepting, lets every
    /// connection flush its pending acks (up to [`Config::drain_timeout`]) and returns.
    pub async fn run(self) {
        let shared = Arc::clone(&self.ctx.shared);
        let mut stop = shared.shutdown.subscribe();
        tracing::info!(addr = ?self.listener.local_addr().ok(), "jt808 gateway listening");
        loop {
            tokio::select! {
                r = self.listener.accept() => match r {
                    Ok((stream, peer)) => self.accept(stream, peer),
                    Err(e) => {
                        // EMFILE and friends: back off instead of spinning.
                        tracing::warn!(error = %e, "accept failed");
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                },
                () = stopped(&mut stop) => break,
            }
        }
        drop(self.listener);
        let drained = tokio::time::timeout(shared.config.drain_timeout, async {
            loop {
                let notified = shared.all_closed.notified();
                if shared.open.load(Ordering::Acquire) == 0 {
                    break;
                }
                notified.await;
            }
        });
        if drained.await.is_err() {
            tracing::warn!(
                open = shared.open.load(Ordering::Acquire),
                "jt808 connections still open after the drain timeout"
            );
        }
    }

    fn accept(&self, stream: tokio::net::TcpStream, peer: SocketAddr) {
        let shared = &self.ctx.shared;
        let open = shared.open.fetch_add(1, Ordering::AcqRel) + 1;
        if open > shared.config.max_connections {
            shared.open.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!(m::DISCONNECTS, "protocol" => "jt808", "reason" => "limit")
                .increment(1);
            return;
        }
        metrics::counter!(m::CONNECTIONS, "protocol" => "jt808").increment(1);
        metrics::gauge!(m::CONNECTIONS_OPEN, "protocol" => "jt808").increment(1.0);
        let _ = stream.set_nodelay(true);
        tokio::spawn(conn::serve(Arc::clone(&self.ctx), stream, peer));
    }
}

/// Resolves once the gateway is told to shut down.
pub(crate) async fn stopped(rx: &mut watch::Receiver<bool>) {
    // The guard returned by `wait_for` is dropped here, before any other await.
    let ok = rx.wait_for(|s| *s).await.is_ok();
    if !ok {
        // The sender is gone: treat it as a shutdown that never comes.
        std::future::pending::<()>().await;
    }
}

/// Sends commands to online terminals, reports status, stops the gateway. Cheap to clone.
#[derive(Clone)]
pub struct Handle {
    shared: Arc<Shared>,
}

impl std::fmt::Debug for Handle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Handle")
            .field("open", &self.open_connections())
            .finish()
    }
}

impl Handle {
    /// Sends `message` (0x8103, 0x8201, 0x8300, …) to the terminal authenticated as `phone`
    /// (trimmed form) and waits for its answer: 0x0001 ([`CommandAnswer::General`]) or, for
    /// 0x8201, 0x0201 ([`CommandAnswer::Position`]).
    ///
    /// # Errors
    ///
    /// [`CommandError`]: not online, not encodable, disconnected, or no answer in time.
    pub async fn send(&self, phone: &str, message: Message) -> Result<CommandAnswer, CommandError> {
        let peer = self
            .shared
            .online()
            .get(phone)
            .cloned()
            .ok_or_else(|| CommandError::NotOnline(phone.to_owned()))?;
        let (reply, rx) = oneshot::channel();
        peer.commands
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push_back(PendingCommand { message, reply });
        peer.notify.notify_one();
        let outcome = match tokio::time::timeout(self.shared.config.command_timeout, rx).await {
            Ok(Ok(answer)) => answer,
            Ok(Err(_)) => Err(CommandError::Disconnected),
            Err(_) => Err(CommandError::Timeout),
        };
        let label = if outcome.is_ok() {
            "answered"
        } else {
            "failed"
        };
        metrics::counter!(m::COMMANDS, "protocol" => "jt808", "outcome" => label).increment(1);
        outcome
    }

    /// 0x8103 with parameter 0x0029 (default reporting interval, seconds).
    ///
    /// # Errors
    ///
    /// As [`Handle::send`].
    pub async fn set_report_interval(
        &self,
        phone: &str,
        seconds: u32,
    ) -> Result<ResultCode, CommandError> {
        let params = SetParameters::new(vec![Parameter::u32(DEFAULT_REPORT_INTERVAL, seconds)]);
        match self.send(phone, Message::SetParameters(params)).await? {
            CommandAnswer::General(r) => Ok(r),
            CommandAnswer::Position(_) => Err(CommandError::Send("unexpected 0x0201".into())),
        }
    }

    /// 0x8201: the terminal's current position (its 0x0201 answer).
    ///
    /// # Errors
    ///
    /// As [`Handle::send`].
    pub async fn query_position(&self, phone: &str) -> Result<VehicleFix, CommandError> {
        match self.send(phone, Message::LocationQuery).await? {
            CommandAnswer::Position(fix) => Ok(*fix),
            CommandAnswer::General(r) => Err(CommandError::Send(format!(
                "terminal answered 0x0001 with {r:?}"
            ))),
        }
    }

    /// 0x8300 text message with `flags` (`TextMessage::FLAG_DISPLAY`, `FLAG_TTS`, …).
    ///
    /// # Errors
    ///
    /// As [`Handle::send`].
    pub async fn send_text(
        &self,
        phone: &str,
        flags: u8,
        text: &str,
    ) -> Result<ResultCode, CommandError> {
        let msg = TextMessage {
            flags,
            text_type: Some(1),
            text: text.to_owned(),
        };
        match self.send(phone, Message::TextMessage(msg)).await? {
            CommandAnswer::General(r) => Ok(r),
            CommandAnswer::Position(_) => Err(CommandError::Send("unexpected 0x0201".into())),
        }
    }

    /// `true` when a connection authenticated as `phone` is open.
    pub fn is_online(&self, phone: &str) -> bool {
        self.shared.online().contains_key(phone)
    }

    /// Authenticated connections.
    pub fn online_count(&self) -> usize {
        self.shared.online().len()
    }

    /// Open connections (authenticated or not).
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::Acquire)
    }

    /// Stops accepting; connections stop reading, flush their acks and close.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }
}
