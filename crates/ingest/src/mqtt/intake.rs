//! The intake loop: one network task around rumqttc's event loop, one batch task that parses,
//! stores and acknowledges.
//!
//! ```text
//! broker ─► network task (EventLoop::poll) ─ Publish + connection generation ─► channel
//!             │ ConnAck: generation + 1, subscribe again          │
//!             ▲ PUBACKs (client channel)                           ▼
//!             └──────────── batch task: take all queued (≤ max_batch) → parse each
//!                              → SensorSink::store(valid ones), retried until Ok
//!                              → ack every QoS 1 message of the batch (malformed ones too)
//! ```

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Duration;

use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Outgoing, Packet, Publish, QoS};
use tokio::sync::mpsc;

use super::payload::{SensorMessage, parse_message};
use super::sink::SensorSink;
use super::{METRIC_RECONNECTS, MqttConfig, MqttConfigError};
use crate::clock::Clock;
use crate::metrics as m;

/// Counters of one intake (also exported as metrics with `protocol="mqtt"`).
#[derive(Debug, Default)]
pub struct MqttStats {
    /// PUBLISH packets received (malformed ones and redeliveries included).
    pub received: AtomicU64,
    /// Messages the sink accepted (made durable, or deliberately skipped: the store sink
    /// does not store messages of unregistered sensors and counts them itself).
    pub stored: AtomicU64,
    /// Messages rejected by [`parse_message`] (counted, acknowledged, never stored).
    pub malformed: AtomicU64,
    /// Failed `SensorSink::store` calls (each retried).
    pub store_failures: AtomicU64,
    /// Connections after the first one (reconnects).
    pub reconnects: AtomicU64,
    /// PUBACKs handed to the client after the store.
    pub acked: AtomicU64,
    /// Acks withheld because the connection that delivered the message has gone since (the
    /// broker redelivers those messages to the new connection).
    pub stale_acks: AtomicU64,
    /// SUBACKs received (one per subscription made at each connection).
    pub subscribed: AtomicU64,
    /// Connected to the broker now.
    pub connected: AtomicBool,
}

/// A snapshot of [`MqttStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MqttStatsSnapshot {
    /// PUBLISH packets received.
    pub received: u64,
    /// Messages stored.
    pub stored: u64,
    /// Malformed messages.
    pub malformed: u64,
    /// Failed stores.
    pub store_failures: u64,
    /// Reconnects.
    pub reconnects: u64,
    /// PUBACKs sent after the store.
    pub acked: u64,
    /// Acks withheld for a connection that is gone.
    pub stale_acks: u64,
    /// SUBACKs received.
    pub subscribed: u64,
    /// Connected now.
    pub connected: bool,
}

impl MqttStats {
    /// The counters now.
    pub fn snapshot(&self) -> MqttStatsSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        MqttStatsSnapshot {
            received: l(&self.received),
            stored: l(&self.stored),
            malformed: l(&self.malformed),
            store_failures: l(&self.store_failures),
            reconnects: l(&self.reconnects),
            acked: l(&self.acked),
            stale_acks: l(&self.stale_acks),
            subscribed: l(&self.subscribed),
            connected: self.connected.load(Ordering::Relaxed),
        }
    }
}

/// A message on its way from the network task to the batch task.
struct Delivery {
    publish: Publish,
    /// The connection it came on (incremented at every ConnAck).
    generation: u64,
}

/// The MQTT sensor intake. See the [module docs](super) for the rules it keeps.
pub struct MqttIntake<S: SensorSink> {
    config: MqttConfig,
    options: MqttOptions,
    sink: S,
    clock: Arc<dyn Clock>,
    stats: Arc<MqttStats>,
}

impl<S: SensorSink> std::fmt::Debug for MqttIntake<S> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttIntake")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl<S: SensorSink> MqttIntake<S> {
    /// Checks the configuration; nothing connects before [`MqttIntake::run`].
    ///
    /// # Errors
    ///
    /// A bad `url`, an empty `client_id` or `topic_prefix`, or a prefix with wildcards.
    pub fn new(
        config: MqttConfig,
        sink: S,
        clock: Arc<dyn Clock>,
    ) -> Result<MqttIntake<S>, MqttConfigError> {
        let options = config.mqtt_options()?;
        Ok(MqttIntake {
            config,
            options,
            sink,
            clock,
            stats: Arc::default(),
        })
    }

    /// The counters, live (clone the `Arc` before `run`).
    pub fn stats(&self) -> Arc<MqttStats> {
        Arc::clone(&self.stats)
    }

    /// Runs until `shutdown` resolves: connects (and reconnects with backoff), subscribes at
    /// every connection, stores in batches and acknowledges after each store. On shutdown a
    /// batch still failing to store is left unacknowledged: the broker redelivers it to the next
    /// session with the same `client_id`.
    pub async fn run(self, shutdown: impl Future<Output = ()> + Send) {
        let MqttIntake {
            config,
            options,
            sink,
            clock,
            stats,
        } = self;
        // Room for one ack per message the broker may have in flight to us (at most 65 535
        // under MQTT 3.1.1), so the batch task never waits on a full request channel.
        let (client, eventloop) = AsyncClient::new(options, 65_536 + config.max_batch);
        let (tx, rx) = mpsc::channel(config.max_batch.max(1) * 4);
        let generation = Arc::new(AtomicU64::new(0));
        let network = tokio::spawn(network_loop(
            eventloop,
            client.clone(),
            config.clone(),
            tx,
            Arc::clone(&generation),
            Arc::clone(&stats),
        ));
        let batches = BatchLoop {
            config: &config,
            sink: &sink,
            clock: &*clock,
            stats: &stats,
            client: &client,
            generation: &generation,
        };
        batches.run(rx, shutdown).await;
        // Let the acks already queued and the DISCONNECT go out, then stop the network task.
        let _ = client.try_disconnect();
        let mut network = network;
        if tokio::time::timeout(Duration::from_secs(2), &mut network)
            .await
            .is_err()
        {
            network.abort();
        }
        stats.connected.store(false, Ordering::Relaxed);
    }
}

async fn network_loop(
    mut eventloop: EventLoop,
    client: AsyncClient,
    config: MqttConfig,
    tx: mpsc::Sender<Delivery>,
    generation: Arc<AtomicU64>,
    stats: Arc<MqttStats>,
) {
    let filter = config.subscription();
    // A session an older version made may hold the plain filter: with it and the shared one,
    // this node would get every message twice (its own and its share).
    let plain = config
        .share_group
        .is_some()
        .then(|| format!("{}/#", config.topic_prefix));
    let qos = config.qos.to_rumqttc();
    let mut backoff = config.reconnect_min;
    let mut connections = 0u64;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                generation.fetch_add(1, Ordering::AcqRel);
                connections += 1;
                if connections > 1 {
                    stats.reconnects.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(METRIC_RECONNECTS).increment(1);
                }
                stats.connected.store(true, Ordering::Relaxed);
                backoff = config.reconnect_min;
                tracing::info!(
                    client_id = %config.client_id,
                    session_present = ack.session_present,
                    "mqtt connected; subscribing to {filter}"
                );
                // Subscribe at every connection: a broker that lost the session (clean start,
                // expiry, restart without persistence) has lost the subscription too.
                if let Some(p) = &plain
                    && ack.session_present
                    && let Err(e) = client.unsubscribe(p.clone()).await
                {
                    tracing::warn!(error = %e, "mqtt unsubscribe request failed");
                }
                if let Err(e) = client.subscribe(filter.clone(), qos).await {
                    tracing::warn!(error = %e, "mqtt subscribe request failed");
                }
            }
            Ok(Event::Incoming(Packet::Publish(publish))) => {
                stats.received.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(m::FRAMES_IN, "protocol" => "mqtt").increment(1);
                let delivery = Delivery {
                    publish,
                    generation: generation.load(Ordering::Acquire),
                };
                if tx.send(delivery).await.is_err() {
                    break; // The batch task has stopped.
                }
            }
            Ok(Event::Incoming(Packet::SubAck(_))) => {
                stats.subscribed.fetch_add(1, Ordering::Relaxed);
            }
            Ok(Event::Outgoing(Outgoing::Disconnect)) => {
                // Wait (at most a second) for the broker to close the connection: it has then
                // processed every ack sent before the DISCONNECT, so a next session under the
                // same client id cannot take the session over before those acks count.
                let _ = tokio::time::timeout(Duration::from_secs(1), async {
                    while eventloop.poll().await.is_ok() {}
                })
                .await;
                break;
            }
            Ok(_) => {}
            Err(e) => {
                stats.connected.store(false, Ordering::Relaxed);
                tracing::warn!(
                    error = %e,
                    retry_in_ms = backoff.as_millis() as u64,
                    "mqtt connection lost"
                );
                if tx.is_closed() {
                    break;
                }
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(config.reconnect_max);
            }
        }
    }
}

struct BatchLoop<'a, S> {
    config: &'a MqttConfig,
    sink: &'a S,
    clock: &'a dyn Clock,
    stats: &'a MqttStats,
    client: &'a AsyncClient,
    generation: &'a AtomicU64,
}

impl<S: SensorSink> BatchLoop<'_, S> {
    async fn run(&self, mut rx: mpsc::Receiver<Delivery>, shutdown: impl Future<Output = ()>) {
        let max_batch = self.config.max_batch.max(1);
        let mut pending: Vec<Delivery> = Vec::with_capacity(max_batch);
        let mut valid: Vec<SensorMessage> = Vec::with_capacity(max_batch);
        tokio::pin!(shutdown);
        loop {
            let first = tokio::select! {
                biased;
                () = &mut shutdown => return,
                d = rx.recv() => match d {
                    Some(d) => d,
                    None => return,
                },
            };
            pending.push(first);
            self.gather(&mut rx, &mut pending, max_batch).await;

            let now_ms = self.clock.now_ms();
            for d in &pending {
                match parse_message(
                    &self.config.topic_prefix,
                    &d.publish.topic,
                    &d.publish.payload,
                    now_ms,
                ) {
                    Ok(msg) => valid.push(msg),
                    Err(e) => {
                        self.stats.malformed.fetch_add(1, Ordering::Relaxed);
                        metrics::counter!(m::BAD_FRAMES, "protocol" => "mqtt", "kind" => e.label())
                            .increment(1);
                        tracing::warn!(topic = %d.publish.topic, error = %e, "malformed mqtt message skipped");
                    }
                }
            }

            if !valid.is_empty() && !self.store(&valid, &mut shutdown).await {
                // Shutdown while the batch could not be stored: nothing of it is acknowledged.
                return;
            }
            valid.clear();

            let current = self.generation.load(Ordering::Acquire);
            for d in pending.drain(..) {
                if d.publish.qos == QoS::AtMostOnce {
                    continue;
                }
                if d.generation != current {
                    self.stats.stale_acks.fetch_add(1, Ordering::Relaxed);
                    continue;
                }
                if self.client.ack(&d.publish).await.is_err() {
                    return; // The event loop is gone.
                }
                self.stats.acked.fetch_add(1, Ordering::Relaxed);
                metrics::counter!(m::ACKS, "protocol" => "mqtt").increment(1);
            }
        }
    }

    /// Adds what is already queued (and, with a linger, what arrives within it).
    async fn gather(
        &self,
        rx: &mut mpsc::Receiver<Delivery>,
        pending: &mut Vec<Delivery>,
        max_batch: usize,
    ) {
        let deadline = tokio::time::Instant::now() + self.config.batch_linger;
        while pending.len() < max_batch {
            match rx.try_recv() {
                Ok(d) => pending.push(d),
                Err(mpsc::error::TryRecvError::Disconnected) => break,
                Err(mpsc::error::TryRecvError::Empty) => {
                    if self.config.batch_linger.is_zero() {
                        break;
                    }
                    match tokio::time::timeout_at(deadline, rx.recv()).await {
                        Ok(Some(d)) => pending.push(d),
                        Ok(None) | Err(_) => break,
                    }
                }
            }
        }
    }

    /// Stores `valid`, retrying with backoff; `false` when shutdown came first.
    async fn store<F: Future<Output = ()>>(
        &self,
        valid: &[SensorMessage],
        shutdown: &mut std::pin::Pin<&mut F>,
    ) -> bool {
        let mut delay = self.config.store_retry_min;
        loop {
            match self.sink.store(valid).await {
                Ok(()) => {
                    self.stats
                        .stored
                        .fetch_add(valid.len() as u64, Ordering::Relaxed);
                    metrics::counter!(m::RECORDS_STORED, "protocol" => "mqtt")
                        .increment(valid.len() as u64);
                    return true;
                }
                Err(e) => {
                    self.stats.store_failures.fetch_add(1, Ordering::Relaxed);
                    metrics::counter!(m::BATCHES_FAILED, "protocol" => "mqtt").increment(1);
                    tracing::warn!(
                        messages = valid.len(),
                        error = %e,
                        retry_in_ms = delay.as_millis() as u64,
                        "sensor store failed; batch kept unacknowledged"
                    );
                    tokio::select! {
                        biased;
                        () = shutdown.as_mut() => return false,
                        () = tokio::time::sleep(delay) => {}
                    }
                    delay = (delay * 2).min(self.config.store_retry_max);
                }
            }
        }
    }
}
