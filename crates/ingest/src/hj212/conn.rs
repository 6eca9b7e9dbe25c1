//! One HJ 212 connection: the driver loop around a [`hj212::Session`].

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use hj212::session::InputError;
use hj212::{AckToken, Auth, Authenticator, Event, InvalidFrame, RejectReason, Request, Session};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::oneshot;
use tracing::Instrument as _;

use super::{Ctx, convert};
use crate::batcher::BatchError;
use crate::jt808::stopped;
use crate::metrics as m;
use crate::record::{Hj212Notice, Hj212NoticeKind, Record};
use crate::registry::{Hj212Check, Registry};
use crate::time::hj212_from_utc_ms;

/// The registry as the codec's authenticator.
struct RegistryAuth<R>(Arc<Ctx<R>>);

impl<R: Registry> Authenticator for RegistryAuth<R> {
    fn authenticate(&mut self, mn: &str, pw: &str) -> Auth {
        match self.0.registry.check_hj212(mn, pw) {
            Hj212Check::Ok => Auth::Accept,
            Hj212Check::UnknownMn => Auth::UnknownDevice,
            Hj212Check::WrongPassword => Auth::WrongPassword,
        }
    }
}

/// Records per batcher job: at most 1000 bytes of `Record`s (5), so that the job's vector is a
/// small allocation. glibc answers every request of 1 KiB or more by first consolidating the
/// arena's fastbins, which the batcher thread's frees of the records' strings keep full; one
/// 10-record vector per read cost 9 % of the gateway's CPU in `malloc_consolidate`.
const JOB_RECORDS: usize = {
    let n = 1000 / std::mem::size_of::<Record>();
    if n == 0 { 1 } else { n }
};

/// Adds a record to a job, sized for [`JOB_RECORDS`] at the first.
fn push_record(records: &mut Vec<Record>, record: Record) {
    if records.capacity() == 0 {
        records.reserve_exact(JOB_RECORDS);
    }
    records.push(record);
}

struct Inflight {
    done: oneshot::Receiver<Result<(), BatchError>>,
    tokens: Vec<AckToken>,
}

enum Wake {
    Stored(Result<(), BatchError>),
    Readable(io::Result<()>),
    Timer,
    Shutdown,
}

struct Conn<R: Registry> {
    ctx: Arc<Ctx<R>>,
    session: Session<RegistryAuth<R>>,
    inflight: VecDeque<Inflight>,
    mns: Vec<String>,
    rejections: u32,
    out: Vec<u8>,
    end: Option<String>,
}

pub(super) async fn serve<R: Registry>(ctx: Arc<Ctx<R>>, stream: TcpStream, addr: SocketAddr) {
    let span = tracing::info_span!("hj212", peer = %addr, mn = tracing::field::Empty);
    let shared = Arc::clone(&ctx.shared);
    // Boxed: a moved async-fn argument can otherwise occupy the task's state twice.
    let conn = Box::new(Conn {
        session: Session::new(
            shared.config.session,
            RegistryAuth(Arc::clone(&ctx)),
            Instant::now(),
        ),
        ctx,
        inflight: VecDeque::new(),
        mns: Vec::new(),
        rejections: 0,
        out: Vec::new(),
        end: None,
    });
    conn.run(stream).instrument(span).await;
    metrics::gauge!(m::CONNECTIONS_OPEN, "protocol" => "hj212").decrement(1.0);
    if shared.open.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.all_closed.notify_waiters();
    }
}

std::thread_local! {
    /// The read buffer of this worker thread, shared by its connections.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads what the socket has into the worker's buffer and feeds the session; `Ok(false)` at
/// EOF.
fn read_into<A: Authenticator>(
    stream: &TcpStream,
    session: &mut Session<A>,
    buf_len: usize,
    now: Instant,
) -> io::Result<bool> {
    READ_BUF.with_borrow_mut(|buf| read_with(stream, session, buf, buf_len, now))
}

fn read_with<A: Authenticator>(
    stream: &TcpStream,
    session: &mut Session<A>,
    buf: &mut Vec<u8>,
    buf_len: usize,
    now: Instant,
) -> io::Result<bool> {
    let cap = buf_len.clamp(64, 64 * 1024);
    if buf.len() != cap {
        buf.resize(cap, 0);
    }
    let mut total = 0usize;
    loop {
        match stream.try_read(buf) {
            Ok(0) => return Ok(total > 0),
            Ok(n) => {
                session.handle_input(buf.get(..n).unwrap_or_default(), now);
                total += n;
                if n < buf.len() || total >= 64 * 1024 || session.is_closed() {
                    return Ok(true);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(true),
            Err(e) => return Err(e),
        }
    }
}

impl<R: Registry> Conn<R> {
    async fn run(mut self: Box<Self>, mut stream: TcpStream) {
        let shared = Arc::clone(&self.ctx.shared);
        let mut stop = shared.shutdown.subscribe();
        let mut draining = *stop.borrow();
        let first = self
            .session
            .poll_timeout()
            .map_or_else(tokio::time::Instant::now, tokio::time::Instant::from_std);
        let timer = tokio::time::sleep_until(first);
        tokio::pin!(timer);
        let mut timer_at = first;
        loop {
            // Sub-futures are boxed: only the select below lives in every idle connection.
            if self.has_output()
                && let Err(e) = Box::pin(self.flush(&mut stream)).await
            {
                self.end.get_or_insert_with(|| format!("write failed: {e}"));
                break;
            }
            let closing = self.session.is_closed() || draining || self.end.is_some();
            if closing && self.inflight.is_empty() {
                break;
            }
            if let Some(d) = self.session.poll_timeout() {
                let d = tokio::time::Instant::from_std(d);
                if d < timer_at || timer.is_elapsed() {
                    timer.as_mut().reset(d);
                    timer_at = d;
                }
            }
            let can_read = !closing && self.inflight.len() < shared.config.max_inflight.max(1);
            let front = self.inflight.front_mut();
            let wake = tokio::select! {
                biased;
                r = async move {
                    match front {
                        Some(f) => (&mut f.done).await,
                        None => std::future::pending().await,
                    }
                } => Wake::Stored(r.unwrap_or(Err(BatchError::Stopped))),
                r = stream.readable(), if can_read => Wake::Readable(r),
                () = &mut timer, if !closing => Wake::Timer,
                () = stopped(&mut stop), if !draining => Wake::Shutdown,
            };
            match wake {
                Wake::Stored(result) => self.stored(result),
                Wake::Readable(Err(e)) => {
                    self.end.get_or_insert_with(|| format!("read failed: {e}"));
                    break;
                }
                Wake::Readable(Ok(())) => {
                    let cap = shared.config.read_buffer;
                    match read_into(&stream, &mut self.session, cap, Instant::now()) {
                        Ok(true) => Box::pin(self.events()).await,
                        Ok(false) => {
                            self.end.get_or_insert_with(|| "closed by peer".into());
                            metrics::counter!(m::DISCONNECTS, "protocol" => "hj212", "reason" => "eof")
                                .increment(1);
                            break;
                        }
                        Err(e) => {
                            self.end.get_or_insert_with(|| format!("read failed: {e}"));
                            break;
                        }
                    }
                }
                Wake::Timer => {
                    self.session.handle_timeout(Instant::now());
                    Box::pin(self.events()).await;
                    timer_at = tokio::time::Instant::now();
                }
                Wake::Shutdown => {
                    draining = true;
                    self.end.get_or_insert_with(|| "gateway shutdown".into());
                }
            }
        }
        Box::pin(self.finish()).await;
    }

    /// Moves queued frames to the write buffer; `true` when there is something to write.
    fn has_output(&mut self) -> bool {
        while let Some(frame) = self.session.poll_transmit() {
            self.out.extend_from_slice(&frame);
        }
        !self.out.is_empty()
    }

    /// Writes everything the session queued, in one write.
    async fn flush(&mut self, stream: &mut TcpStream) -> io::Result<()> {
        while let Some(p) = self.session.poll_transmit() {
            self.out.extend_from_slice(&p);
        }
        if self.out.is_empty() {
            return Ok(());
        }
        let timeout = self.ctx.shared.config.write_timeout;
        let r = match tokio::time::timeout(timeout, stream.write_all(&self.out)).await {
            Ok(r) => r,
            Err(_) => Err(io::Error::new(io::ErrorKind::TimedOut, "write timed out")),
        };
        self.out.clear();
        if self.out.capacity() > 4096 {
            self.out = Vec::new();
        }
        r
    }

    fn stored(&mut self, result: Result<(), BatchError>) {
        let Some(done) = self.inflight.pop_front() else {
            return;
        };
        let n = done.tokens.len() as u64;
        match result {
            Ok(()) => {
                for t in done.tokens {
                    self.session.ack(t);
                }
                self.ctx.shared.stats.acked.fetch_add(n, Ordering::Relaxed);
                metrics::counter!(m::ACKS, "protocol" => "hj212").increment(n);
            }
            Err(e) => {
                tracing::warn!(error = %e, "readings not stored; no 9014, the device retransmits");
                for t in done.tokens {
                    self.session.abandon(t);
                }
                metrics::counter!(m::NACKS, "protocol" => "hj212").increment(n);
            }
        }
    }

    fn now_ms(&self) -> i64 {
        self.ctx.clock.now_ms()
    }

    fn notice(&self, mn: &str, kind: Hj212NoticeKind) -> Record {
        Record::Notice(Hj212Notice {
            mn: mn.to_owned(),
            at: self.now_ms(),
            kind,
        })
    }

    async fn events(&mut self) {
        let mut records = Vec::new();
        let mut tokens = Vec::new();
        let max_len = self.ctx.shared.config.max_data_len;
        while let Some(ev) = self.session.poll_event() {
            match ev {
                Event::Online { mn, .. } => {
                    self.rejections = 0;
                    tracing::Span::current().record("mn", mn.as_str());
                    push_record(&mut records, self.notice(&mn, Hj212NoticeKind::Online));
                    if let Some(wall) = hj212_from_utc_ms(self.now_ms())
                        && let Err(e) = self.session.initialise(wall, Instant::now())
                    {
                        tracing::debug!(error = %e, "initialisation not sent");
                    }
                    if !self.mns.contains(&mn) && self.mns.len() < 16 {
                        self.mns.push(mn);
                    }
                }
                Event::Data(upload) => {
                    self.rejections = 0;
                    let over = upload.packets().any(|p| p.as_str().len() > max_len);
                    if over {
                        self.ctx
                            .shared
                            .stats
                            .over_length
                            .fetch_add(1, Ordering::Relaxed);
                        metrics::counter!(m::BAD_FRAMES, "protocol" => "hj212", "kind" => "over_length")
                            .increment(1);
                        tracing::warn!(mn = upload.mn(), "over-length packet skipped");
                        if let Some(t) = upload.ack_token() {
                            self.session.abandon(t);
                        }
                        continue;
                    }
                    metrics::counter!(m::FRAMES_IN, "protocol" => "hj212")
                        .increment(upload.len() as u64);
                    self.ctx
                        .shared
                        .stats
                        .packets
                        .fetch_add(upload.len() as u64, Ordering::Relaxed);
                    push_record(
                        &mut records,
                        Record::Reading(convert::reading(&upload, self.now_ms())),
                    );
                    if let Some(t) = upload.ack_token() {
                        tokens.push(t);
                    }
                }
                Event::TimeCalibrationRequested { mn } => {
                    push_record(
                        &mut records,
                        self.notice(&mn, Hj212NoticeKind::TimeCalibrationRequest),
                    );
                    if let Some(wall) = hj212_from_utc_ms(self.now_ms()) {
                        let req = Request::SetTime {
                            time: wall,
                            pol_id: None,
                        };
                        if let Err(e) = self.session.send_request(req, wall, Instant::now()) {
                            tracing::debug!(error = %e, "1012 not sent");
                        }
                    }
                }
                Event::Heartbeat { .. } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "hj212").increment(1);
                }
                Event::RequestFinished {
                    command, outcome, ..
                } => {
                    tracing::debug!(%command, ?outcome, "platform request finished");
                }
                Event::Rejected { mn, reason } => {
                    let label = match reason {
                        RejectReason::MissingMn => "missing_mn",
                        RejectReason::UnknownDevice => "unknown_mn",
                        RejectReason::WrongPassword => "wrong_pw",
                    };
                    metrics::counter!(m::REJECTED, "protocol" => "hj212", "reason" => label)
                        .increment(1);
                    self.ctx
                        .shared
                        .stats
                        .rejected
                        .fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(?mn, reason = label, "packet rejected; nothing stored");
                    self.rejections += 1;
                    if self.rejections >= self.ctx.shared.config.max_rejections.max(1) {
                        self.end
                            .get_or_insert_with(|| format!("{} rejected packets", self.rejections));
                    }
                }
                Event::Ignored { reason, .. } => {
                    tracing::debug!(?reason, "packet ignored");
                }
                Event::SubPacketsDropped { mn, .. } => {
                    tracing::debug!(%mn, "incomplete sub-packet set dropped");
                }
                Event::Invalid(error) => {
                    let kind = match &error {
                        InputError::Frame(InvalidFrame::CrcMismatch { .. }) => "crc",
                        InputError::Frame(_) => "frame",
                        InputError::Body(_) => "body",
                    };
                    metrics::counter!(m::BAD_FRAMES, "protocol" => "hj212", "kind" => kind)
                        .increment(1);
                    let counter = if kind == "crc" {
                        &self.ctx.shared.stats.crc_errors
                    } else {
                        &self.ctx.shared.stats.bad_packets
                    };
                    counter.fetch_add(1, Ordering::Relaxed);
                    tracing::debug!(?error, "packet skipped");
                }
                Event::Closed(reason) => {
                    if matches!(reason, hj212::CloseReason::Fatal(_)) {
                        metrics::counter!(m::FATAL_STREAMS, "protocol" => "hj212").increment(1);
                    }
                    self.end.get_or_insert_with(|| format!("{reason:?}"));
                }
            }
            // Each event adds at most one record.
            if records.len() >= JOB_RECORDS {
                let job = std::mem::take(&mut records);
                Box::pin(self.submit(job, std::mem::take(&mut tokens))).await;
            }
        }
        if !records.is_empty() {
            self.submit(records, tokens).await;
        }
    }

    /// Queues `records` for the batcher; `tokens` are acknowledged once they are durable.
    async fn submit(&mut self, records: Vec<Record>, tokens: Vec<AckToken>) {
        match self.ctx.batcher.submit(records).await {
            Ok(done) => self.inflight.push_back(Inflight {
                done: done.into_inner(),
                tokens,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "batcher unavailable");
                for t in tokens {
                    self.session.abandon(t);
                }
            }
        }
    }

    async fn finish(mut self: Box<Self>) {
        let reason = self.end.take().unwrap_or_else(|| "closed".into());
        let records: Vec<Record> = self
            .mns
            .iter()
            .map(|mn| {
                self.notice(
                    mn,
                    Hj212NoticeKind::Offline {
                        reason: reason.clone(),
                    },
                )
            })
            .collect();
        if !records.is_empty() {
            let _ = Box::pin(self.ctx.batcher.submit(records)).await;
        }
        tracing::debug!(%reason, "connection closed");
    }
}
