//! The MQTT load benchmark: does yiwang keep up with the broker?
//!
//! In one run, per phase: `publishers` MQTT clients publish one stream of `messages` sensor
//! readings (QoS 1, payloads from [`crate::mqtt_sensor::Fleet`]) while two subscribers take the
//! same stream from the broker at the same time:
//!
//! - **broker**: a plain rumqttc subscriber (QoS 1, automatic acks, does nothing with the
//!   messages) — Mosquitto's own delivery rate;
//! - **yiwang**: [`ingest::mqtt::MqttIntake`] (parse, store in batches, ack after the store)
//!   with a [`MemorySensorSink`], a [`FileSensorSink`] (fsync per batch) in the `file` phase,
//!   or the node's [`StoreSensorSink`] (readings + sensor rules + alarms in one database
//!   transaction per batch, `sensors` registered sensors) in the `store` phase.
//!
//! Each rate is messages over the time from the first publish to that subscriber's last
//! message (stored, for yiwang). The ratio yiwang / broker is the figure to watch (≥ 0.9).
//! Every payload carries its publish instant as `ts` (UTC ms), so the sink side also measures
//! the publish → stored latency of every message (1 ms resolution).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use domain::time::Timestamp;
use ingest::mqtt::{
    FileSensorSink, MemorySensorSink, MqttConfig, MqttIntake, MqttStatsSnapshot, SensorConfig,
    SensorKind, SensorMessage, SensorSink, SensorSinkSnapshot, StoreSensorSink,
};
use ingest::{Clock as _, SinkError, SystemClock};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

use crate::Latencies;
use crate::mqtt_sensor::{Fleet, FleetSpec};

/// Benchmark settings.
#[derive(Debug, Clone, PartialEq)]
pub struct MqttLoadConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Messages in the stream (per phase).
    pub messages: usize,
    /// Publishing clients sharing the stream.
    pub publishers: usize,
    /// Offered messages/s over all publishers (0: as fast as the broker acknowledges).
    pub rate: f64,
    /// The intake's `max_batch`.
    pub max_batch: usize,
    /// Also run a phase with a file sink (fsync per batch) at this path.
    pub file: Option<PathBuf>,
    /// A phase ends when nothing arrived for this long.
    pub idle: Duration,
    /// Distinct sensors in the stream (a quarter of each kind).
    pub sensors: usize,
    /// Run the memory-sink phase.
    pub memory: bool,
    /// Also run a phase with the node's store sink on this database URL (`sqlite://…`,
    /// `postgres://…`); the sensors are registered there first.
    pub store: Option<String>,
}

impl Default for MqttLoadConfig {
    fn default() -> Self {
        MqttLoadConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            messages: 100_000,
            publishers: 4,
            rate: 0.0,
            max_batch: 1024,
            file: None,
            idle: Duration::from_secs(3),
            sensors: 1000,
            memory: true,
            store: None,
        }
    }
}

/// What one subscriber got.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Side {
    /// Messages (received by the plain subscriber; stored by yiwang).
    pub messages: u64,
    /// From the first publish to the last message, seconds.
    pub seconds: f64,
}

impl Side {
    /// Messages per second.
    pub fn rate(&self) -> f64 {
        if self.seconds > 0.0 {
            self.messages as f64 / self.seconds
        } else {
            0.0
        }
    }
}

/// One phase's figures.
#[derive(Debug, Clone)]
pub struct PhaseReport {
    /// `memory`, `file` or `store`.
    pub sink: &'static str,
    /// Distinct sensors in the stream.
    pub sensors: usize,
    /// Messages published and acknowledged by the broker.
    pub published: u64,
    /// Time to publish them all, seconds.
    pub publish_seconds: f64,
    /// The plain subscriber.
    pub broker: Side,
    /// The intake.
    pub yiwang: Side,
    /// The intake's counters at the end.
    pub stats: MqttStatsSnapshot,
    /// Stores made (batches).
    pub batches: u64,
    /// Publish → stored latency of each stored message, µs (1 ms resolution).
    pub latency: Latencies,
    /// The store sink's counters (the `store` phase).
    pub sink_stats: Option<SensorSinkSnapshot>,
}

impl PhaseReport {
    /// yiwang's rate over the broker's.
    pub fn ratio(&self) -> f64 {
        let b = self.broker.rate();
        if b > 0.0 { self.yiwang.rate() / b } else { 0.0 }
    }
}

/// Counts stores, remembers when the last one finished and the latency of every message.
struct Counting<S> {
    inner: S,
    start: Instant,
    messages: Arc<AtomicU64>,
    batches: Arc<AtomicU64>,
    last_us: Arc<AtomicU64>,
    latency: Arc<std::sync::Mutex<Latencies>>,
}

impl<S: SensorSink> SensorSink for Counting<S> {
    async fn store(&self, batch: &[SensorMessage]) -> Result<(), SinkError> {
        self.inner.store(batch).await?;
        let now_ms = SystemClock.now_ms();
        self.messages
            .fetch_add(batch.len() as u64, Ordering::Relaxed);
        self.batches.fetch_add(1, Ordering::Relaxed);
        self.last_us
            .fetch_max(micros_since(self.start), Ordering::Relaxed);
        let mut l = self
            .latency
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        for m in batch {
            if let Some(ts) = m.measured_at_ms {
                l.push(u128::try_from(now_ms.saturating_sub(ts)).unwrap_or(0) * 1000);
            }
        }
        Ok(())
    }
}

fn micros_since(start: Instant) -> u64 {
    u64::try_from(start.elapsed().as_micros()).unwrap_or(u64::MAX)
}

fn fleet_spec(sensors: usize) -> FleetSpec {
    let quarter = sensors.div_ceil(4).max(1);
    FleetSpec {
        manholes: quarter,
        bins: quarter,
        waterlogs: quarter,
        numerics: quarter,
        misbehave_every: 10,
        ..FleetSpec::default()
    }
}

/// The messages of the stream, split over publishers (`ts` is set when published).
fn stream(messages: usize, publishers: usize, sensors: usize) -> Vec<Vec<SensorMessage>> {
    let mut fleet = Fleet::new(&fleet_spec(sensors), 2026);
    let mut out: Vec<Vec<SensorMessage>> = vec![Vec::new(); publishers.max(1)];
    let mut i = 0usize;
    let mut t = 0i64;
    while i < messages {
        for m in fleet.step(1_795_507_200_000 + t * 60_000) {
            if i >= messages {
                break;
            }
            // Each sensor always goes through the same publisher, so its order is kept.
            let p = publisher_of(&m.sensor_id, out.len());
            if let Some(slot) = out.get_mut(p) {
                slot.push(m);
            }
            i += 1;
        }
        t += 1;
    }
    out
}

fn publisher_of(id: &str, n: usize) -> usize {
    let h = id.bytes().fold(0usize, |h, b| {
        h.wrapping_mul(31).wrapping_add(usize::from(b))
    });
    h % n.max(1)
}

/// Runs the memory phase (if configured), then the file and the store phases if configured.
///
/// # Errors
///
/// The broker is unreachable, the file cannot be opened, the database cannot be opened.
pub async fn run(config: &MqttLoadConfig) -> anyhow::Result<Vec<PhaseReport>> {
    let mut reports = Vec::new();
    if config.memory {
        reports.push(phase(config, "memory", MemorySensorSink::new(), None).await?);
    }
    if let Some(path) = &config.file {
        let sink = FileSensorSink::open(path, "yiwang-load")?;
        reports.push(phase(config, "file", sink, None).await?);
    }
    if let Some(url) = &config.store {
        let store = store::Store::open(&store::ConnectOptions::new(url.clone())).await?;
        let registered = Instant::now();
        register_sensors(&store, config.sensors).await?;
        println!(
            "mqtt[store]: {} sensors registered in {:.1} s",
            config.sensors,
            registered.elapsed().as_secs_f64()
        );
        let sink = StoreSensorSink::new(
            store.clone(),
            Arc::new(|_, _| None),
            Arc::new(SystemClock),
            SensorConfig::default(),
        );
        sink.refresh().await?;
        let stats_of = sink.clone();
        let mut r = phase(config, "store", sink, None).await?;
        r.sink_stats = Some(stats_of.stats().snapshot());
        store.close().await;
        reports.push(r);
    }
    Ok(reports)
}

/// Registers the stream's sensors (ids and kinds of [`fleet_spec`]) in `store`, 64 at a time.
async fn register_sensors(store: &store::Store, sensors: usize) -> anyhow::Result<()> {
    let fleet = Fleet::new(&fleet_spec(sensors), 2026);
    let now = Timestamp(SystemClock.now_ms());
    for chunk in fleet.sensors.chunks(64) {
        let mut tasks = Vec::with_capacity(chunk.len());
        for s in chunk {
            let sensor = store::Sensor {
                sensor_id: s.id.clone(),
                kind: s.kind.as_str().to_owned(),
                name: format!("load {}", s.id),
                lat: Some(s.location.0),
                lon: Some(s.location.1),
                grid_code: None,
                config: if s.kind == SensorKind::Numeric {
                    serde_json::json!({"quantity": "噪声", "unit": "dB", "high": 70.0, "high_clear": 65.0})
                } else {
                    serde_json::json!({})
                },
                last_seen_at: None,
            };
            let store = store.clone();
            tasks.push(tokio::spawn(async move {
                store.upsert_sensor(&sensor, now).await
            }));
        }
        for t in tasks {
            t.await??;
        }
    }
    Ok(())
}

async fn phase<S: SensorSink>(
    config: &MqttLoadConfig,
    name: &'static str,
    sink: S,
    sink_stats: Option<SensorSinkSnapshot>,
) -> anyhow::Result<PhaseReport> {
    let tag = format!("{}-{}", std::process::id(), rand::random::<u32>());
    let prefix = format!("yiwang-load/{tag}/{name}");
    let stream = stream(config.messages, config.publishers, config.sensors);
    let total: u64 = stream.iter().map(|s| s.len() as u64).sum();
    let start = Instant::now();

    // (a) The plain subscriber.
    let plain_count = Arc::new(AtomicU64::new(0));
    let plain_last = Arc::new(AtomicU64::new(0));
    let (plain_ready_tx, plain_ready) = tokio::sync::oneshot::channel();
    let plain = {
        let mut o = MqttOptions::new(
            format!("yiwang-load-plain-{tag}"),
            &config.host,
            config.port,
        );
        o.set_clean_session(true)
            .set_keep_alive(Duration::from_secs(30));
        let (client, mut eventloop) = AsyncClient::new(o, 1024);
        client
            .subscribe(format!("{prefix}/#"), QoS::AtLeastOnce)
            .await?;
        let count = Arc::clone(&plain_count);
        let last = Arc::clone(&plain_last);
        tokio::spawn(async move {
            let _client = client;
            let mut ready = Some(plain_ready_tx);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        if let Some(r) = ready.take() {
                            let _ = r.send(());
                        }
                    }
                    Ok(Event::Incoming(Packet::Publish(_))) => {
                        count.fetch_add(1, Ordering::Relaxed);
                        last.fetch_max(micros_since(start), Ordering::Relaxed);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        eprintln!("plain subscriber: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        })
    };
    tokio::time::timeout(Duration::from_secs(10), plain_ready)
        .await
        .map_err(|_| anyhow::anyhow!("plain subscriber not subscribed within 10 s"))??;

    // (b) The intake.
    let stored = Arc::new(AtomicU64::new(0));
    let batches = Arc::new(AtomicU64::new(0));
    let stored_last = Arc::new(AtomicU64::new(0));
    let latency = Arc::new(std::sync::Mutex::new(Latencies::default()));
    let client_id = format!("yiwang-load-intake-{tag}");
    let intake = MqttIntake::new(
        MqttConfig {
            url: format!("mqtt://{}:{}", config.host, config.port),
            client_id: client_id.clone(),
            topic_prefix: prefix.clone(),
            max_batch: config.max_batch,
            ..MqttConfig::default()
        },
        Counting {
            inner: sink,
            start,
            messages: Arc::clone(&stored),
            batches: Arc::clone(&batches),
            last_us: Arc::clone(&stored_last),
            latency: Arc::clone(&latency),
        },
        Arc::new(ingest::SystemClock),
    )?;
    let stats = intake.stats();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let intake_task = tokio::spawn(intake.run(async move {
        let _ = stop_rx.await;
    }));
    for _ in 0..1000 {
        if stats.snapshot().subscribed >= 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    anyhow::ensure!(
        stats.snapshot().subscribed >= 1,
        "intake not subscribed within 10 s"
    );

    // The stream.
    let publish_started = Instant::now();
    let per_publisher_rate = config.rate / config.publishers.max(1) as f64;
    let mut publishers = Vec::new();
    for (i, messages) in stream.into_iter().enumerate() {
        let o = MqttOptions::new(
            format!("yiwang-load-pub-{tag}-{i}"),
            &config.host,
            config.port,
        );
        publishers.push(tokio::spawn(publish_all(
            o,
            prefix.clone(),
            messages,
            per_publisher_rate,
        )));
    }
    let mut published = 0u64;
    for p in publishers {
        published += p.await??;
    }
    let publish_seconds = publish_started.elapsed().as_secs_f64();

    // Wait until both sides have everything, or nothing moves for `idle`.
    let mut seen = (u64::MAX, u64::MAX);
    let mut quiet_since = Instant::now();
    loop {
        let s = stats.snapshot();
        let now = (plain_count.load(Ordering::Relaxed), s.stored + s.malformed);
        if now.0 >= total && now.1 >= total {
            break;
        }
        if now != seen {
            seen = now;
            quiet_since = Instant::now();
        } else if quiet_since.elapsed() >= config.idle {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let _ = stop_tx.send(());
    let _ = intake_task.await;
    plain.abort();
    forget_session(&config.host, config.port, &client_id).await;

    let secs = |us: &AtomicU64| us.load(Ordering::Relaxed) as f64 / 1e6;
    // Both clocks start at `start`; the stream starts at `publish_started`.
    let offset = publish_started.duration_since(start).as_secs_f64();
    Ok(PhaseReport {
        sink: name,
        published,
        publish_seconds,
        broker: Side {
            messages: plain_count.load(Ordering::Relaxed),
            seconds: (secs(&plain_last) - offset).max(0.0),
        },
        yiwang: Side {
            messages: stored.load(Ordering::Relaxed),
            seconds: (secs(&stored_last) - offset).max(0.0),
        },
        stats: stats.snapshot(),
        batches: batches.load(Ordering::Relaxed),
        sensors: config.sensors,
        latency: std::mem::take(
            &mut *latency
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner),
        ),
        sink_stats,
    })
}

/// Publishes `messages` at QoS 1 (at `rate`/s when > 0), each with `ts` = the instant it is
/// published, and waits for every PUBACK.
async fn publish_all(
    mut options: MqttOptions,
    prefix: String,
    messages: Vec<SensorMessage>,
    rate: f64,
) -> anyhow::Result<u64> {
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let n = messages.len() as u64;
    let sender = tokio::spawn(async move {
        let period = (rate > 0.0).then(|| Duration::from_secs_f64(1.0 / rate));
        let mut next = tokio::time::Instant::now();
        for mut m in messages {
            if let Some(p) = period {
                next += p;
                tokio::time::sleep_until(next).await;
            }
            m.measured_at_ms = Some(SystemClock.now_ms());
            client
                .publish(
                    m.topic(&prefix),
                    QoS::AtLeastOnce,
                    false,
                    m.to_payload_json().into_bytes(),
                )
                .await?;
        }
        Ok::<_, rumqttc::ClientError>(client)
    });
    let mut acked = 0u64;
    while acked < n {
        match tokio::time::timeout(Duration::from_secs(10), eventloop.poll()).await {
            Ok(Ok(Event::Incoming(Packet::PubAck(_)))) => acked += 1,
            Ok(Ok(_)) => {}
            Ok(Err(e)) => anyhow::bail!("publisher connection failed after {acked} acks: {e}"),
            Err(_) => anyhow::bail!("broker stopped acknowledging after {acked} of {n}"),
        }
    }
    let client = sender.await??;
    let _ = client.try_disconnect();
    let _ = tokio::time::timeout(Duration::from_millis(200), eventloop.poll()).await;
    Ok(acked)
}

/// Connects once with a clean session under `client_id`, discarding the persistent session
/// the intake left on the broker.
async fn forget_session(host: &str, port: u16, client_id: &str) {
    let mut o = MqttOptions::new(client_id, host, port);
    o.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(o, 10);
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => {
                    let _ = client.try_disconnect();
                }
                Ok(Event::Outgoing(rumqttc::Outgoing::Disconnect)) | Err(_) => break,
                Ok(_) => {}
            }
        }
    })
    .await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_has_every_message_once_and_keeps_each_sensor_on_one_publisher() {
        let s = stream(2500, 3, 400);
        assert_eq!(s.iter().map(Vec::len).sum::<usize>(), 2500);
        let mut owner = std::collections::HashMap::new();
        for (i, msgs) in s.iter().enumerate() {
            for m in msgs {
                let prev = owner.insert(m.sensor_id.clone(), i);
                assert!(prev.is_none_or(|p| p == i), "{}", m.sensor_id);
            }
        }
        assert_eq!(owner.len(), 400, "every sensor appears");
    }

    #[test]
    fn ratio_of_rates() {
        let r = PhaseReport {
            sink: "memory",
            published: 100,
            publish_seconds: 1.0,
            broker: Side {
                messages: 100,
                seconds: 2.0,
            },
            yiwang: Side {
                messages: 90,
                seconds: 2.0,
            },
            stats: MqttStatsSnapshot::default(),
            batches: 1,
            sensors: 1,
            latency: Latencies::default(),
            sink_stats: None,
        };
        assert!((r.ratio() - 0.9).abs() < 1e-12);
        assert_eq!(Side::default().rate(), 0.0);
    }
}
