//! The HJ 212 monitor gateway: a tokio TCP server driving one [`hj212::Session`] per
//! connection (fume, dust and noise monitors).
//!
//! # Per connection
//!
//! ```text
//! socket ─► try_read (per-thread buffer) ─► Session::handle_input
//!   Online            → Notice(Online) stored; Session::initialise (1012 time calibration, §6.7)
//!   Data(upload)      → Reading ─► Batcher::submit ─► Ok: Session::ack (9014 released, if Flag.A)
//!                                                  └► Err: Session::abandon (no reply; the device retransmits)
//!   TimeCalibrationRequested → Notice stored (9013 already sent when asked) + 1012 request
//!   Rejected (unknown MN / wrong PW) → counted, logged, nothing stored, no reply;
//!                                      `max_rejections` in a row close the connection
//!   Invalid (CRC, framing, body)     → counted, skipped, no reply
//! ```
//!
//! Replies go out exactly when the packet's Flag asks for one (the codec decides), and a data
//! answer only after the data is durable. The framer runs with the 4-digit length field's
//! maximum (9999) so that no declared length is fatal; packets whose data segment exceeds
//! [`Config::max_data_len`] are **counted and skipped** (not stored, not answered) and the
//! connection stays. More than `session.framer.max_garbage` bytes without a packet close it.

mod conn;
pub mod convert;

use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Duration;

use hj212::SessionConfig;
use tokio::net::TcpListener;
use tokio::sync::{Notify, watch};

use crate::batcher::Batcher;
use crate::clock::Clock;
use crate::jt808::stopped;
use crate::metrics as m;
use crate::registry::Registry;

/// Gateway settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub listen: SocketAddr,
    /// Codec session settings (idle timeout, request retries, initialisation plan, framer).
    /// The framer's `max_data_len` is raised to 9999 by the gateway; see [`Config::max_data_len`].
    pub session: SessionConfig,
    /// Largest data segment stored; longer packets are counted and skipped. Default 4096
    /// (the standard says 1024; real devices send up to ~1300).
    pub max_data_len: usize,
    /// Rejected packets in a row (unknown MN, wrong PW) before the connection is closed.
    pub max_rejections: u32,
    /// Connections beyond this are closed at once.
    pub max_connections: usize,
    /// Batcher submissions in flight per connection before reading pauses.
    pub max_inflight: usize,
    /// Bytes per `try_read`.
    pub read_buffer: usize,
    /// A write that makes no progress for this long closes the connection.
    pub write_timeout: Duration,
    /// On shutdown, how long connections may take to flush acks.
    pub drain_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            listen: SocketAddr::from(([0, 0, 0, 0], 5016)),
            session: SessionConfig::default(),
            max_data_len: hj212::frame::DEFAULT_MAX_DATA_LEN,
            max_rejections: 3,
            max_connections: 100_000,
            max_inflight: 32,
            read_buffer: 8192,
            write_timeout: Duration::from_secs(30),
            drain_timeout: Duration::from_secs(10),
        }
    }
}

/// Counters of one HJ 212 gateway (also exported as metrics).
#[derive(Debug, Default)]
pub struct Stats {
    /// Valid packets.
    pub packets: AtomicU64,
    /// Packets failing the CRC (never answered).
    pub crc_errors: AtomicU64,
    /// Other framing and body errors.
    pub bad_packets: AtomicU64,
    /// Over-length packets skipped.
    pub over_length: AtomicU64,
    /// Packets rejected by the registry (unknown MN, wrong PW).
    pub rejected: AtomicU64,
    /// Uploads acknowledged (9014 released) after a durable write.
    pub acked: AtomicU64,
}

/// A snapshot of [`Stats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct StatsSnapshot {
    /// Valid packets.
    pub packets: u64,
    /// CRC failures.
    pub crc_errors: u64,
    /// Other framing and body errors.
    pub bad_packets: u64,
    /// Over-length packets skipped.
    pub over_length: u64,
    /// Rejected packets.
    pub rejected: u64,
    /// Uploads acknowledged.
    pub acked: u64,
}

pub(crate) struct Shared {
    stats: Stats,
    config: Config,
    open: AtomicUsize,
    all_closed: Notify,
    shutdown: watch::Sender<bool>,
}

pub(crate) struct Ctx<R> {
    shared: Arc<Shared>,
    registry: R,
    batcher: Batcher,
    clock: Arc<dyn Clock>,
}

/// A bound HJ 212 gateway; [`Gateway::run`] serves it.
pub struct Gateway<R: Registry> {
    listener: TcpListener,
    ctx: Arc<Ctx<R>>,
}

/// Status and shutdown of a running HJ 212 gateway. Cheap to clone.
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
    /// Open connections.
    pub fn open_connections(&self) -> usize {
        self.shared.open.load(Ordering::Acquire)
    }

    /// Stops accepting; connections stop reading, flush their acks and close.
    pub fn shutdown(&self) {
        self.shared.shutdown.send_replace(true);
    }

    /// Counters so far.
    pub fn stats(&self) -> StatsSnapshot {
        let s = &self.shared.stats;
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        StatsSnapshot {
            packets: l(&s.packets),
            crc_errors: l(&s.crc_errors),
            bad_packets: l(&s.bad_packets),
            over_length: l(&s.over_length),
            rejected: l(&s.rejected),
            acked: l(&s.acked),
        }
    }
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
        let mut config = config;
        config.session.framer.max_data_len = hj212::frame::MAX_DATA_LEN;
        Ok(Gateway {
            listener,
            ctx: Arc::new(Ctx {
                shared: Arc::new(Shared {
                    stats: Stats::default(),
                    config,
                    open: AtomicUsize::new(0),
                    all_closed: Notify::new(),
                    shutdown,
                }),
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

    /// A handle for status and shutdown.
    pub fn handle(&self) -> Handle {
        Handle {
            shared: Arc::clone(&self.ctx.shared),
        }
    }

    /// Accepts connections until [`Handle::shutdown`], then drains them (up to
    /// [`Config::drain_timeout`]).
    pub async fn run(self) {
        let shared = Arc::clone(&self.ctx.shared);
        let mut stop = shared.shutdown.subscribe();
        tracing::info!(addr = ?self.listener.local_addr().ok(), "hj212 gateway listening");
        loop {
            tokio::select! {
                r = self.listener.accept() => match r {
                    Ok((stream, peer)) => {
                        let open = shared.open.fetch_add(1, Ordering::AcqRel) + 1;
                        if open > shared.config.max_connections {
                            shared.open.fetch_sub(1, Ordering::AcqRel);
                            metrics::counter!(m::DISCONNECTS, "protocol" => "hj212", "reason" => "limit")
                                .increment(1);
                            continue;
                        }
                        metrics::counter!(m::CONNECTIONS, "protocol" => "hj212").increment(1);
                        metrics::gauge!(m::CONNECTIONS_OPEN, "protocol" => "hj212").increment(1.0);
                        let _ = stream.set_nodelay(true);
                        tokio::spawn(conn::serve(Arc::clone(&self.ctx), stream, peer));
                    }
                    Err(e) => {
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
            tracing::warn!("hj212 connections still open after the drain timeout");
        }
    }
}
