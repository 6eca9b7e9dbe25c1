//! Device load: many JT/T 808 terminals or HJ 212 monitors against a running gateway, each
//! connection pipelining reports at a fixed offered rate and timing every acknowledgement.
//!
//! Phases: connect and log in (bounded concurrency), wait until every connection is ready,
//! then report for `duration` (acks counted only inside that window), then report the
//! acknowledged rate and the ack latency (send → 0x8001 / 9014) quantiles.
//!
//! `rate = 0` holds the connections idle for `duration` (to measure the gateway's memory per
//! idle connection).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use jt808::{Message, Packet, ResultCode, Version};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::sync::{Barrier, Semaphore};

use crate::Latencies;
use crate::hj212_monitor::{Monitor, MonitorIdentity, Reading};
use crate::jt808_terminal::{Fix, Identity, Terminal};

/// Load settings.
#[derive(Debug, Clone)]
pub struct LoadConfig {
    /// Gateway address.
    pub addr: SocketAddr,
    /// Concurrent connections.
    pub connections: usize,
    /// Offered reports per second over all connections (0: stay idle).
    pub rate: f64,
    /// Measured window.
    pub duration: Duration,
    /// Reports per write: frames sent back to back in one write (1 = one write per report).
    pub burst: usize,
    /// Reports not yet acknowledged per connection before it skips a tick.
    pub max_outstanding: usize,
    /// Connections set up concurrently.
    pub connect_concurrency: usize,
    /// First phone / MN number (so two generators can run side by side).
    pub first_id: u64,
    /// JT/T 808 edition.
    pub version: Version,
    /// Start the measured window this long after the run started (when setup finished
    /// earlier), so that several generator processes started together measure together.
    pub start_after: Option<Duration>,
    /// The wall clock at launch (UTC ms): fixes and readings carry the current time from it,
    /// so the gateway's rules see live data (0: the codecs' fixed example time).
    pub wall_clock_ms: i64,
}

impl Default for LoadConfig {
    fn default() -> Self {
        LoadConfig {
            addr: SocketAddr::from(([127, 0, 0, 1], 5015)),
            connections: 1000,
            rate: 10_000.0,
            duration: Duration::from_secs(10),
            burst: 1,
            max_outstanding: 256,
            connect_concurrency: 256,
            first_id: 13_900_000_000,
            version: Version::V2013,
            start_after: None,
            wall_clock_ms: 0,
        }
    }
}

/// What a run achieved.
#[derive(Debug, Default)]
pub struct LoadReport {
    /// Connections that logged in.
    pub connected: usize,
    /// Connections that failed to connect or log in.
    pub failed_connections: usize,
    /// Time to connect and log in everything.
    pub setup: Duration,
    /// Reports sent in the window.
    pub sent: u64,
    /// Success acks received in the window.
    pub acked: u64,
    /// Failure replies received in the window.
    pub nacked: u64,
    /// Success acks of reports sent in the window that arrived after it (waited for up to
    /// [`DRAIN`]), so that every stored report can be matched with an ack.
    pub acked_late: u64,
    /// Ticks skipped because too many reports were outstanding.
    pub skipped: u64,
    /// Connections lost during the window.
    pub lost: u64,
    /// The window.
    pub elapsed: Duration,
    /// Ack latencies (µs).
    pub latencies: Latencies,
}

impl LoadReport {
    /// Acknowledged reports per second.
    pub fn ack_rate(&self) -> f64 {
        self.acked as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

#[derive(Default)]
struct Counters {
    sent: AtomicU64,
    acked: AtomicU64,
    nacked: AtomicU64,
    acked_late: AtomicU64,
    skipped: AtomicU64,
    lost: AtomicU64,
    connected: AtomicU64,
    failed: AtomicU64,
}

struct Plan {
    cfg: LoadConfig,
    counters: Counters,
    ready: Barrier,
    go: Barrier,
    start: std::sync::OnceLock<Instant>,
    gate: Semaphore,
    launched: Instant,
}

impl Plan {
    fn period(&self) -> Option<Duration> {
        if self.cfg.rate <= 0.0 {
            return None;
        }
        let per_conn = self.cfg.rate / self.cfg.connections.max(1) as f64;
        let per_write = per_conn / self.cfg.burst.max(1) as f64;
        Some(Duration::from_secs_f64(1.0 / per_write.max(1e-6)))
    }

    /// GMT+8 wall-clock time now, as HJ 212 writes it (`YYYYMMDDhhmmss`); `None` without a
    /// launch clock.
    fn local_now(&self) -> Option<String> {
        if self.cfg.wall_clock_ms == 0 {
            return None;
        }
        let elapsed = i64::try_from(self.launched.elapsed().as_millis()).unwrap_or(0);
        let now = domain::time::Timestamp(self.cfg.wall_clock_ms + elapsed);
        Some(now.to_shanghai().format("%Y%m%d%H%M%S").to_string())
    }

    /// The phase offset of connection `i` within one period (spreads the load).
    fn offset(&self, i: usize) -> Duration {
        self.period().map_or(Duration::ZERO, |p| {
            p.mul_f64(i as f64 / self.cfg.connections.max(1) as f64)
        })
    }
}

/// `YYYYMMDDhhmmss` as JT/T 808 time fields.
fn fields(local: &str) -> Option<(u16, u8, u8, u8, u8, u8)> {
    let n = |a: usize, b: usize| local.get(a..b).and_then(|t| t.parse::<u16>().ok());
    let small = |a: usize| n(a, a + 2).and_then(|v| u8::try_from(v).ok());
    Some((
        n(0, 4)?,
        small(4)?,
        small(6)?,
        small(8)?,
        small(10)?,
        small(12)?,
    ))
}

/// How long a connection waits after the window for the acks still outstanding.
pub const DRAIN: Duration = Duration::from_secs(10);

/// The `n`-th fix of connection `i`: inside a 2 km box of 中原区 in the demo city (34.74–34.76 N,
/// 113.60–113.62 E), so that the gateway's geocoder finds a unit grid for (nearly) every fix.
fn fix_for(i: usize, n: u64) -> Fix {
    let mut f = Fix::at(
        34.74 + (i % 1000) as f64 * 2e-5,
        113.60 + (n % 1000) as f64 * 2e-5,
    );
    f.speed_kmh = 30.0;
    f.heading = 90;
    f.mileage_tenths_km = Some(u32::try_from(n).unwrap_or(0));
    f
}

async fn finish(plan: Arc<Plan>, tasks: Vec<tokio::task::JoinHandle<Latencies>>) -> LoadReport {
    let mut latencies = Latencies::default();
    for t in tasks {
        if let Ok(l) = t.await {
            latencies.extend(l);
        }
    }
    let c = &plan.counters;
    let start = plan.start.get().copied().unwrap_or_else(Instant::now);
    LoadReport {
        connected: c.connected.load(Ordering::Relaxed) as usize,
        failed_connections: c.failed.load(Ordering::Relaxed) as usize,
        setup: Duration::ZERO,
        sent: c.sent.load(Ordering::Relaxed),
        acked: c.acked.load(Ordering::Relaxed),
        nacked: c.nacked.load(Ordering::Relaxed),
        acked_late: c.acked_late.load(Ordering::Relaxed),
        skipped: c.skipped.load(Ordering::Relaxed),
        lost: c.lost.load(Ordering::Relaxed),
        elapsed: plan.cfg.duration.min(start.elapsed()),
        latencies,
    }
}

/// Runs JT/T 808 load: each connection registers, authenticates, then sends 0x0200 at its
/// share of the rate, pipelined, timing each 0x8001.
pub async fn run_jt808(cfg: LoadConfig) -> LoadReport {
    let setup_started = Instant::now();
    let plan = Arc::new(Plan {
        ready: Barrier::new(cfg.connections + 1),
        go: Barrier::new(cfg.connections + 1),
        gate: Semaphore::new(cfg.connect_concurrency.max(1)),
        cfg,
        counters: Counters::default(),
        start: std::sync::OnceLock::new(),
        launched: Instant::now(),
    });
    let tasks: Vec<_> = (0..plan.cfg.connections)
        .map(|i| tokio::spawn(jt808_conn(Arc::clone(&plan), i)))
        .collect();
    plan.ready.wait().await;
    let setup = setup_started.elapsed();
    if let Some(d) = plan.cfg.start_after {
        tokio::time::sleep_until((setup_started + d).into()).await;
    }
    let _ = plan.start.set(Instant::now());
    plan.go.wait().await;
    let mut report = finish(plan, tasks).await;
    report.setup = setup;
    report
}

async fn jt808_conn(plan: Arc<Plan>, i: usize) -> Latencies {
    let cfg = &plan.cfg;
    let phone = (cfg.first_id + i as u64).to_string();
    let login = async {
        let _permit = plan.gate.acquire().await.ok()?;
        let mut t = Terminal::connect(cfg.addr, Identity::new(&phone), cfg.version)
            .await
            .ok()?;
        // The registry issues deterministic codes; register only when authentication fails.
        let code = ingest_auth_code(&phone);
        if t.authenticate(&code).await.is_err() {
            t.login().await.ok()?;
        }
        Some(t)
    };
    let terminal = login.await;
    let ok = terminal.is_some();
    let counter = if ok {
        &plan.counters.connected
    } else {
        &plan.counters.failed
    };
    counter.fetch_add(1, Ordering::Relaxed);
    plan.ready.wait().await;
    plan.go.wait().await;
    let Some(mut t) = terminal else {
        return Latencies::default();
    };
    let start = plan.start.get().copied().unwrap_or_else(Instant::now);
    let end = start + cfg.duration;
    let Some(period) = plan.period() else {
        // Idle: hold the connection (heartbeats keep it alive) until the end.
        while Instant::now() < end {
            let wait = end
                .saturating_duration_since(Instant::now())
                .min(Duration::from_secs(60));
            tokio::time::sleep(wait).await;
            if Instant::now() < end && t.heartbeat().await.is_err() {
                plan.counters.lost.fetch_add(1, Ordering::Relaxed);
                break;
            }
        }
        return Latencies::default();
    };
    let mut tick = tokio::time::interval_at((start + plan.offset(i)).into(), period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut lat = Latencies::default();
    let mut outstanding: std::collections::VecDeque<(u16, Instant)> =
        std::collections::VecDeque::new();
    let mut n: u64 = 0;
    let mut rbuf = [0u8; 1024];
    let stop = tokio::time::sleep_until(end.into());
    tokio::pin!(stop);
    let burst = cfg.burst.max(1);
    loop {
        let now = Instant::now();
        if now >= end {
            break;
        }
        tokio::select! {
            _ = tick.tick() => {
                if outstanding.len() + burst > cfg.max_outstanding {
                    plan.counters.skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let sent_at = Instant::now();
                let time = plan.local_now().as_deref().and_then(fields);
                for _ in 0..burst {
                    n += 1;
                    let mut fix = fix_for(i, n);
                    if let Some(time) = time {
                        fix.time = time;
                    }
                    let Ok(serial) = t.queue(Message::Location(fix.to_location())) else {
                        continue;
                    };
                    outstanding.push_back((serial, sent_at));
                }
                if t.flush().await.is_err() {
                    plan.counters.lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                if sent_at >= start {
                    plan.counters.sent.fetch_add(burst as u64, Ordering::Relaxed);
                }
            }
            r = t.stream.read(&mut rbuf) => {
                let Ok(k) = r else { plan.counters.lost.fetch_add(1, Ordering::Relaxed); break; };
                if k == 0 {
                    plan.counters.lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                t.decoder.push(rbuf.get(..k).unwrap_or_default());
                let got = Instant::now();
                while let Some(Ok(frame)) = t.decoder.next_frame() {
                    let Ok(p) = Packet::from_frame(&frame) else { continue };
                    let Message::PlatformGeneralResponse(gr) = p.message else { continue };
                    // Acks come in order; drop entries older than this one (lost acks).
                    while let Some(&(s, at)) = outstanding.front() {
                        outstanding.pop_front();
                        if s == gr.reply_serial {
                            if got < end {
                                lat.push(got.duration_since(at).as_micros());
                                let c = if gr.result == ResultCode::Success {
                                    &plan.counters.acked
                                } else {
                                    &plan.counters.nacked
                                };
                                c.fetch_add(1, Ordering::Relaxed);
                            } else if gr.result == ResultCode::Success {
                                plan.counters.acked_late.fetch_add(1, Ordering::Relaxed);
                            }
                            break;
                        }
                    }
                }
            }
            () = &mut stop => break,
        }
    }
    // The acks still to come for reports sent in the window.
    let drained = Instant::now() + DRAIN;
    while !outstanding.is_empty() {
        let Ok(Ok(k)) = tokio::time::timeout_at(drained.into(), t.stream.read(&mut rbuf)).await
        else {
            break;
        };
        if k == 0 {
            break;
        }
        t.decoder.push(rbuf.get(..k).unwrap_or_default());
        while let Some(Ok(frame)) = t.decoder.next_frame() {
            let Ok(p) = Packet::from_frame(&frame) else {
                continue;
            };
            let Message::PlatformGeneralResponse(gr) = p.message else {
                continue;
            };
            while let Some((s, _)) = outstanding.pop_front() {
                if s == gr.reply_serial {
                    if gr.result == ResultCode::Success {
                        plan.counters.acked_late.fetch_add(1, Ordering::Relaxed);
                    }
                    break;
                }
            }
        }
    }
    let _ = t.stream.shutdown().await;
    lat
}

/// The auth code `ingest::MemoryRegistry` issues (so restarted generators skip registration).
fn ingest_auth_code(phone: &str) -> String {
    format!("A{}", phone.trim_start_matches('0'))
}

/// Runs HJ 212 load: each monitor uploads 2011 real-time readings with Flag=5 at its share of
/// the rate, pipelined, timing each 9014.
pub async fn run_hj212(cfg: LoadConfig) -> LoadReport {
    let setup_started = Instant::now();
    let plan = Arc::new(Plan {
        ready: Barrier::new(cfg.connections + 1),
        go: Barrier::new(cfg.connections + 1),
        gate: Semaphore::new(cfg.connect_concurrency.max(1)),
        cfg,
        counters: Counters::default(),
        start: std::sync::OnceLock::new(),
        launched: Instant::now(),
    });
    let tasks: Vec<_> = (0..plan.cfg.connections)
        .map(|i| tokio::spawn(hj212_conn(Arc::clone(&plan), i)))
        .collect();
    plan.ready.wait().await;
    let setup = setup_started.elapsed();
    if let Some(d) = plan.cfg.start_after {
        tokio::time::sleep_until((setup_started + d).into()).await;
    }
    let _ = plan.start.set(Instant::now());
    plan.go.wait().await;
    let mut report = finish(plan, tasks).await;
    report.setup = setup;
    report
}

async fn hj212_conn(plan: Arc<Plan>, i: usize) -> Latencies {
    let cfg = &plan.cfg;
    let mn = crate::provision::mn_of(cfg.first_id, i);
    let login = async {
        let _permit = plan.gate.acquire().await.ok()?;
        let mut m = Monitor::connect(cfg.addr, MonitorIdentity::fume(&mn))
            .await
            .ok()?;
        // One acknowledged upload proves the MN/PW are accepted.
        let mut first = Reading::fume(0.5);
        if let Some(now) = plan.local_now() {
            first.data_time = now;
        }
        m.upload(&first).await.ok()?;
        Some(m)
    };
    let monitor = login.await;
    let counter = if monitor.is_some() {
        &plan.counters.connected
    } else {
        &plan.counters.failed
    };
    counter.fetch_add(1, Ordering::Relaxed);
    plan.ready.wait().await;
    plan.go.wait().await;
    let Some(mut m) = monitor else {
        return Latencies::default();
    };
    let start = plan.start.get().copied().unwrap_or_else(Instant::now);
    let end = start + cfg.duration;
    let Some(period) = plan.period() else {
        tokio::time::sleep_until(end.into()).await;
        return Latencies::default();
    };
    let mut tick = tokio::time::interval_at((start + plan.offset(i)).into(), period);
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut lat = Latencies::default();
    let mut outstanding: std::collections::VecDeque<(String, Instant)> =
        std::collections::VecDeque::new();
    let mut rbuf = [0u8; 2048];
    let stop = tokio::time::sleep_until(end.into());
    tokio::pin!(stop);
    let burst = cfg.burst.max(1);
    // DataTime of the window's start: one template frame for the whole run (a real monitor
    // sends the same DataTime for each second of data).
    let mut reading = Reading::fume(0.85);
    if let Some(now) = plan.local_now() {
        reading.data_time = now;
    }
    loop {
        if Instant::now() >= end {
            break;
        }
        tokio::select! {
            _ = tick.tick() => {
                if outstanding.len() + burst > cfg.max_outstanding {
                    plan.counters.skipped.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                let sent_at = Instant::now();
                for _ in 0..burst {
                    if let Ok(qn) = m.queue_reading(&reading, true) {
                        outstanding.push_back((qn, sent_at));
                    }
                }
                if m.flush().await.is_err() {
                    plan.counters.lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                plan.counters.sent.fetch_add(burst as u64, Ordering::Relaxed);
            }
            r = m.stream.read(&mut rbuf) => {
                let Ok(k) = r else { plan.counters.lost.fetch_add(1, Ordering::Relaxed); break; };
                if k == 0 {
                    plan.counters.lost.fetch_add(1, Ordering::Relaxed);
                    break;
                }
                m.framer.push(rbuf.get(..k).unwrap_or_default());
                let got = Instant::now();
                while let Some(Ok(raw)) = m.framer.next_packet() {
                    let Ok(p) = hj212::Packet::from_raw(raw) else { continue };
                    if p.cn() != hj212::Command::DataAnswer {
                        continue;
                    }
                    let qn = p.qn().unwrap_or_default();
                    while let Some((q, at)) = outstanding.pop_front() {
                        if q == qn {
                            if got < end {
                                lat.push(got.duration_since(at).as_micros());
                                plan.counters.acked.fetch_add(1, Ordering::Relaxed);
                            } else {
                                plan.counters.acked_late.fetch_add(1, Ordering::Relaxed);
                            }
                            break;
                        }
                    }
                }
            }
            () = &mut stop => break,
        }
    }
    // The acks still to come for readings sent in the window.
    let drained = Instant::now() + DRAIN;
    while !outstanding.is_empty() {
        let Ok(Ok(k)) = tokio::time::timeout_at(drained.into(), m.stream.read(&mut rbuf)).await
        else {
            break;
        };
        if k == 0 {
            break;
        }
        m.framer.push(rbuf.get(..k).unwrap_or_default());
        while let Some(Ok(raw)) = m.framer.next_packet() {
            let Ok(p) = hj212::Packet::from_raw(raw) else {
                continue;
            };
            if p.cn() != hj212::Command::DataAnswer {
                continue;
            }
            let qn = p.qn().unwrap_or_default();
            while let Some((q, _)) = outstanding.pop_front() {
                if q == qn {
                    plan.counters.acked_late.fetch_add(1, Ordering::Relaxed);
                    break;
                }
            }
        }
    }
    let _ = m.stream.shutdown().await;
    lat
}
