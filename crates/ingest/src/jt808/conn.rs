//! One JT/T 808 connection: the driver loop around a [`jt808::Session`] (see the parent
//! module for the flow).

use std::collections::VecDeque;
use std::io;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use jt808::{AckToken, CloseReason, Event, Message, Phone, RegisterResult, ResultCode, Session};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::{Notify, oneshot};
use tracing::Instrument as _;

use super::{CommandAnswer, CommandError, Ctx, Peer, convert};
use crate::batcher::BatchError;
use crate::metrics as m;
use crate::record::{Record, TerminalEvent, TerminalEventKind};
use crate::registry::{AuthRequest, RegisterOutcome, Registry};

/// Input is fed to the session in slices of this size, which bounds the session's frame
/// buffer (it keeps its capacity) for idle connections.
const FEED: usize = 256;

type Done = oneshot::Receiver<Result<(), BatchError>>;

/// Records submitted to the batcher whose replies wait for the outcome.
struct Inflight {
    done: Done,
    tokens: Vec<AckToken>,
}

/// A command sent to the terminal, waiting for its 0x0001 / 0x0201.
struct Waiting {
    serial: u16,
    id: u16,
    reply: oneshot::Sender<Result<CommandAnswer, CommandError>>,
}

enum Wake {
    Stored(Result<(), BatchError>),
    Readable(io::Result<()>),
    Mail,
    Timer,
    Shutdown,
}

enum ReadOutcome {
    Data,
    WouldBlock,
    Eof,
}

struct Conn<R> {
    ctx: Arc<Ctx<R>>,
    session: Session,
    peer: Arc<Peer>,
    /// The authenticated phone (trimmed), once online.
    phone: Option<String>,
    inflight: VecDeque<Inflight>,
    waiting: Vec<Waiting>,
    out: Vec<u8>,
    end: Option<String>,
}

pub(super) async fn serve<R: Registry>(ctx: Arc<Ctx<R>>, stream: TcpStream, addr: SocketAddr) {
    let span = tracing::info_span!("jt808", peer = %addr, phone = tracing::field::Empty);
    let shared = Arc::clone(&ctx.shared);
    let peer = Arc::new(Peer {
        id: shared.next_id.fetch_add(1, Ordering::Relaxed),
        commands: std::sync::Mutex::default(),
        notify: Notify::new(),
        replaced: std::sync::atomic::AtomicBool::new(false),
    });
    // Boxed: a moved async-fn argument can otherwise occupy the task's state twice.
    let conn = Box::new(Conn {
        session: Session::new(shared.config.session, Instant::now()),
        ctx,
        peer,
        phone: None,
        inflight: VecDeque::new(),
        waiting: Vec::new(),
        out: Vec::new(),
        end: None,
    });
    conn.run(stream).instrument(span).await;
    metrics::gauge!(m::CONNECTIONS_OPEN, "protocol" => "jt808").decrement(1.0);
    if shared.open.fetch_sub(1, Ordering::AcqRel) == 1 {
        shared.all_closed.notify_waiters();
    }
}

std::thread_local! {
    /// The read buffer of this worker thread: connections share it, so an idle connection
    /// holds no read buffer at all.
    static READ_BUF: std::cell::RefCell<Vec<u8>> = const { std::cell::RefCell::new(Vec::new()) };
}

/// Reads what the socket has into the worker's buffer and feeds the session.
fn read_into(
    stream: &TcpStream,
    session: &mut Session,
    buf_len: usize,
    now: Instant,
) -> io::Result<ReadOutcome> {
    READ_BUF.with_borrow_mut(|buf| read_with(stream, session, buf, buf_len, now))
}

fn read_with(
    stream: &TcpStream,
    session: &mut Session,
    buf: &mut Vec<u8>,
    buf_len: usize,
    now: Instant,
) -> io::Result<ReadOutcome> {
    let cap = buf_len.clamp(64, 64 * 1024);
    if buf.len() != cap {
        buf.resize(cap, 0);
    }
    let mut total = 0usize;
    loop {
        match stream.try_read(buf) {
            Ok(0) => {
                return Ok(if total > 0 {
                    ReadOutcome::Data
                } else {
                    ReadOutcome::Eof
                });
            }
            Ok(n) => {
                for chunk in buf.get(..n).unwrap_or_default().chunks(FEED) {
                    session.handle_input(chunk, now);
                }
                total += n;
                // A short read drained the socket; a long stream yields to other tasks.
                if n < buf.len() || total >= 64 * 1024 || session.is_closed() {
                    return Ok(ReadOutcome::Data);
                }
            }
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {
                return Ok(if total > 0 {
                    ReadOutcome::Data
                } else {
                    ReadOutcome::WouldBlock
                });
            }
            Err(e) => return Err(e),
        }
    }
}

fn close_label(reason: &CloseReason) -> &'static str {
    match reason {
        CloseReason::StreamLost(_) => "garbage",
        CloseReason::TooManyBadFrames { .. } => "bad_frames",
        CloseReason::IdleTimeout => "idle",
        CloseReason::AuthTimeout => "auth_timeout",
        CloseReason::AuthFailed { .. } => "auth_failed",
        CloseReason::TooManyPendingReplies => "pending_replies",
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
            let closing = self.session.is_closed() || draining;
            if closing && self.inflight.is_empty() {
                break;
            }
            if self.peer.replaced.load(Ordering::Acquire) {
                self.end
                    .get_or_insert_with(|| "replaced by a new connection".into());
                metrics::counter!(m::DISCONNECTS, "protocol" => "jt808", "reason" => "replaced")
                    .increment(1);
                break;
            }
            // Re-arm the timer only when the session's deadline moved earlier; a late
            // deadline is picked up when the early timer fires.
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
                () = self.peer.notify.notified() => Wake::Mail,
                () = &mut timer, if !closing => Wake::Timer,
                () = super::stopped(&mut stop), if !draining => Wake::Shutdown,
            };
            match wake {
                Wake::Stored(result) => self.stored(result),
                Wake::Readable(Err(e)) => {
                    self.end.get_or_insert_with(|| format!("read failed: {e}"));
                    break;
                }
                Wake::Readable(Ok(())) => {
                    let now = Instant::now();
                    let cap = shared.config.read_buffer;
                    match read_into(&stream, &mut self.session, cap, now) {
                        Ok(ReadOutcome::Data) => Box::pin(self.events()).await,
                        Ok(ReadOutcome::WouldBlock) => {}
                        Ok(ReadOutcome::Eof) => {
                            self.end.get_or_insert_with(|| "closed by peer".into());
                            metrics::counter!(m::DISCONNECTS, "protocol" => "jt808", "reason" => "eof")
                                .increment(1);
                            // Acks already owed cannot be delivered; nothing else to do.
                            break;
                        }
                        Err(e) => {
                            self.end.get_or_insert_with(|| format!("read failed: {e}"));
                            break;
                        }
                    }
                }
                Wake::Mail => self.mail(),
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
        while let Some(frame) = self.session.poll_transmit() {
            self.out.extend_from_slice(&frame);
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
        if self.out.capacity() > 1024 {
            self.out = Vec::new();
        }
        r
    }

    /// A batch completed: release (or fail) the replies of the oldest submission.
    fn stored(&mut self, result: Result<(), BatchError>) {
        let Some(done) = self.inflight.pop_front() else {
            return;
        };
        let (code, metric) = match &result {
            Ok(()) => (ResultCode::Success, m::ACKS),
            Err(e) => {
                tracing::warn!(error = %e, "records not stored; sending failure replies");
                (ResultCode::Failure, m::NACKS)
            }
        };
        let n = done.tokens.len() as u64;
        for token in done.tokens {
            let _ = self.session.ack(token, code);
        }
        metrics::counter!(metric, "protocol" => "jt808").increment(n);
        if self.inflight.is_empty() && self.inflight.capacity() > 8 {
            self.inflight = VecDeque::new();
        }
    }

    /// Platform commands queued by `Handle::send`.
    fn mail(&mut self) {
        for cmd in self.peer.take_commands() {
            let id = cmd.message.id();
            match self.session.send(&cmd.message) {
                Ok(serial) => self.waiting.push(Waiting {
                    serial,
                    id,
                    reply: cmd.reply,
                }),
                Err(e) => {
                    let _ = cmd.reply.send(Err(CommandError::Send(e.to_string())));
                }
            }
        }
        self.waiting.retain(|w| !w.reply.is_closed());
    }

    fn answer(&mut self, serial: u16, id: Option<u16>, answer: CommandAnswer) {
        let pos = self
            .waiting
            .iter()
            .position(|w| w.serial == serial && id.is_none_or(|id| id == w.id));
        if let Some(pos) = pos {
            let w = self.waiting.swap_remove(pos);
            let _ = w.reply.send(Ok(answer));
        }
    }

    fn now_ms(&self) -> i64 {
        self.ctx.clock.now_ms()
    }

    fn terminal_record(&self, phone: &Phone, kind: TerminalEventKind) -> Record {
        Record::Terminal(TerminalEvent {
            phone: phone.trimmed(),
            at: self.now_ms(),
            kind,
        })
    }

    /// Handles every queued session event; records of reports go to the batcher as one
    /// submission.
    async fn events(&mut self) {
        let mut records = Vec::new();
        let mut tokens = Vec::new();
        while let Some(ev) = self.session.poll_event() {
            match ev {
                Event::Location {
                    header,
                    location,
                    ack,
                } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    let now = self.now_ms();
                    records.push(Record::Fix(convert::fix(
                        &header.phone,
                        now,
                        &location,
                        false,
                    )));
                    tokens.push(ack);
                }
                Event::LocationBatch { header, batch, ack } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    let now = self.now_ms();
                    let backfill = batch.is_backfill();
                    records.extend(
                        batch
                            .locations
                            .iter()
                            .map(|l| Record::Fix(convert::fix(&header.phone, now, l, backfill))),
                    );
                    tokens.push(ack);
                }
                Event::Multimedia {
                    header,
                    upload,
                    ack,
                } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    let now = self.now_ms();
                    records.push(Record::Media(convert::media(&header.phone, now, upload)));
                    tokens.push(ack);
                }
                Event::RegisterRequest {
                    header,
                    register,
                    token,
                } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    let req = convert::register_request(&header.phone, &register);
                    let kind = convert::registered(&req);
                    let outcome = Box::pin(self.ctx.registry.register(req)).await;
                    let _ = match outcome {
                        Ok(RegisterOutcome::Accepted { auth_code }) => {
                            let rec = self.terminal_record(&header.phone, kind);
                            match Box::pin(self.ctx.batcher.write(vec![rec])).await {
                                Ok(()) => self.session.accept_register(token, &auth_code),
                                Err(e) => {
                                    tracing::warn!(error = %e, "registration not stored");
                                    self.session
                                        .reject_register(token, RegisterResult::TerminalUnknown)
                                }
                            }
                        }
                        Ok(RegisterOutcome::Refused(result)) => {
                            metrics::counter!(m::REJECTED, "protocol" => "jt808", "reason" => "register")
                                .increment(1);
                            self.session.reject_register(token, result)
                        }
                        Err(e) => {
                            tracing::warn!(error = %e, "registry unavailable");
                            self.session
                                .reject_register(token, RegisterResult::TerminalUnknown)
                        }
                    };
                }
                Event::AuthRequest {
                    header,
                    auth,
                    token,
                } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    let phone = header.phone.trimmed();
                    let req = AuthRequest {
                        phone: phone.clone(),
                        auth_code: auth.code,
                        imei: auth.imei.clone(),
                        software_version: auth.software_version.clone(),
                    };
                    let ok = match Box::pin(self.ctx.registry.authenticate(req)).await {
                        Ok(ok) => ok,
                        Err(e) => {
                            tracing::warn!(error = %e, "registry unavailable");
                            false
                        }
                    };
                    let ok = ok && {
                        let kind = TerminalEventKind::Authenticated {
                            imei: auth.imei,
                            software_version: auth.software_version,
                        };
                        let rec = self.terminal_record(&header.phone, kind);
                        Box::pin(self.ctx.batcher.write(vec![rec])).await.is_ok()
                    };
                    let _ = self.session.answer_auth(token, ok);
                    if ok {
                        tracing::Span::current().record("phone", phone.as_str());
                        if let Some(old) = self.phone.take()
                            && old != phone
                        {
                            self.ctx.shared.set_offline(&old, &self.peer);
                        }
                        self.ctx.shared.set_online(&phone, &self.peer);
                        self.phone = Some(phone);
                    } else {
                        metrics::counter!(m::REJECTED, "protocol" => "jt808", "reason" => "auth")
                            .increment(1);
                    }
                }
                Event::Logout { header } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    records.push(self.terminal_record(&header.phone, TerminalEventKind::LoggedOut));
                    if let Some(phone) = self.phone.take() {
                        self.ctx.shared.set_offline(&phone, &self.peer);
                    }
                }
                Event::Message { header, message } => {
                    metrics::counter!(m::FRAMES_IN, "protocol" => "jt808").increment(1);
                    match message {
                        Message::TerminalGeneralResponse(gr) => {
                            self.answer(
                                gr.reply_serial,
                                Some(gr.reply_id),
                                CommandAnswer::General(gr.result),
                            );
                        }
                        Message::LocationQueryResponse(r) => {
                            let fix =
                                convert::fix(&header.phone, self.now_ms(), &r.location, false);
                            records.push(Record::Fix(fix.clone()));
                            self.answer(
                                r.reply_serial,
                                None,
                                CommandAnswer::Position(Box::new(fix)),
                            );
                        }
                        Message::MultimediaEvent(e) => {
                            let kind = TerminalEventKind::MediaEvent {
                                media_id: e.media_id,
                                media_type: e.media_type,
                                format: e.format,
                                event: e.event,
                                channel: e.channel,
                            };
                            records.push(self.terminal_record(&header.phone, kind));
                        }
                        other => {
                            tracing::debug!(id = other.id(), "message without handler");
                        }
                    }
                }
                Event::Rejected { header, reason } => {
                    metrics::counter!(m::REJECTED, "protocol" => "jt808", "reason" => "message")
                        .increment(1);
                    tracing::debug!(id = header.id, ?reason, "message rejected");
                }
                Event::BadFrame { error } => {
                    metrics::counter!(m::BAD_FRAMES, "protocol" => "jt808").increment(1);
                    tracing::debug!(%error, "bad frame skipped");
                }
                Event::ReassemblyDropped { expired } => {
                    tracing::debug!(?expired, "incomplete subpackaged message dropped");
                }
                Event::Close { reason } => {
                    metrics::counter!(m::DISCONNECTS, "protocol" => "jt808", "reason" => close_label(&reason))
                        .increment(1);
                    if matches!(reason, CloseReason::StreamLost(_)) {
                        metrics::counter!(m::FATAL_STREAMS, "protocol" => "jt808").increment(1);
                    }
                    self.end.get_or_insert_with(|| format!("{reason:?}"));
                }
            }
        }
        if records.is_empty() {
            return;
        }
        match self.ctx.batcher.submit(records).await {
            Ok(done) => self.inflight.push_back(Inflight {
                done: done.into_inner(),
                tokens,
            }),
            Err(e) => {
                tracing::warn!(error = %e, "batcher unavailable");
                for t in tokens {
                    let _ = self.session.ack(t, ResultCode::Failure);
                }
            }
        }
    }

    /// The connection is over: forget the phone, record it offline, fail waiting commands.
    async fn finish(mut self: Box<Self>) {
        for w in self.waiting.drain(..) {
            let _ = w.reply.send(Err(CommandError::Disconnected));
        }
        let reason = self.end.take().unwrap_or_else(|| "closed".into());
        if let Some(phone) = self.phone.take() {
            self.ctx.shared.set_offline(&phone, &self.peer);
            let rec = Record::Terminal(TerminalEvent {
                phone,
                at: self.now_ms(),
                kind: TerminalEventKind::Offline {
                    reason: reason.clone(),
                },
            });
            // Fire and forget: the connection is gone, nobody waits for this reply.
            let _ = Box::pin(self.ctx.batcher.submit(vec![rec])).await;
        }
        tracing::debug!(%reason, "connection closed");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Prints the sizes that make up an idle connection (run with `--nocapture`).
    #[tokio::test]
    async fn connection_state_sizes() {
        let sink = crate::MemorySink::new();
        let (batcher, _) = crate::Batcher::spawn(sink, crate::BatcherConfig::default());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let gw = super::super::Gateway::bind(
            super::super::Config {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..Default::default()
            },
            crate::MemoryRegistry::new(),
            batcher,
            Arc::new(crate::ManualClock::new(0)),
        )
        .await
        .unwrap();
        let _client = TcpStream::connect(addr).await.unwrap();
        let (stream, peer) = listener.accept().await.unwrap();
        let fut = serve(Arc::clone(&gw.ctx), stream, peer);
        println!(
            "serve future {} B, Session {} B, Event {} B, Peer {} B",
            std::mem::size_of_val(&fut),
            std::mem::size_of::<Session>(),
            std::mem::size_of::<Event>(),
            std::mem::size_of::<Peer>()
        );
    }
}
