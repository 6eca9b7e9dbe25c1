//! A simulated MQTT sensor fleet publishing the payloads of `docs/mqtt.md`: manhole covers
//! 井盖, bins 垃圾桶 filling over time and emptied by the collection round, waterlogging points
//! 易涝点 rising during a simulated rain and draining after it, and numeric (noise) sensors.
//! Some sensors misbehave so that alarms appear: a cover is lifted, a bin is skipped by the
//! collectors and overflows, a flood point drains badly and floods, a noise sensor peaks.
//!
//! [`Fleet`] is the deterministic model (a seed, a tick = one simulated minute, one reading per
//! sensor per tick); [`run_fleet`] publishes it over MQTT at a given rate.
//!
//! ```text
//! let fleet = Fleet::new(&FleetSpec::default(), 7);
//! let report = run_fleet(&PublishConfig::default(), fleet).await?;
//! ```

use std::time::{Duration, Instant};

use ingest::mqtt::{Reading, SensorKind, SensorMessage};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use rumqttc::{AsyncClient, Event, LastWill, MqttOptions, Packet, QoS};

/// How many sensors of each kind, and how many misbehave.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FleetSpec {
    /// Manhole covers.
    pub manholes: usize,
    /// Bins.
    pub bins: usize,
    /// Waterlogging points.
    pub waterlogs: usize,
    /// Numeric (noise, dB) sensors.
    pub numerics: usize,
    /// One sensor in this many misbehaves (0: none).
    pub misbehave_every: usize,
    /// Ticks (simulated minutes) between the start and the rain.
    pub rain_starts_at: u64,
    /// Ticks the rain lasts.
    pub rain_ticks: u64,
    /// The scenario (lifted covers, noise peaks, the rain) starts again every this many ticks;
    /// 0: it plays once.
    pub cycle_ticks: u64,
}

impl Default for FleetSpec {
    fn default() -> Self {
        FleetSpec {
            manholes: 40,
            bins: 40,
            waterlogs: 10,
            numerics: 10,
            misbehave_every: 5,
            rain_starts_at: 30,
            rain_ticks: 60,
            cycle_ticks: 0,
        }
    }
}

#[derive(Debug, Clone)]
enum State {
    Manhole { tilt_deg: f64, open: bool },
    Bin { fill_pct: f64, per_tick_pct: f64 },
    Waterlog { depth_cm: f64, drain_cm: f64 },
    Numeric { base_db: f64 },
}

/// One simulated sensor.
#[derive(Debug, Clone)]
pub struct SimSensor {
    /// Its id (`MH-0001`, `BIN-0001`, `WL-0001`, `NOISE-0001`).
    pub id: String,
    /// Its kind.
    pub kind: SensorKind,
    /// It misbehaves (lifted cover, skipped bin, badly draining flood point, noise peaks).
    pub misbehaving: bool,
    /// WGS-84 `(latitude, longitude)` in 郑州 中原区.
    pub location: (f64, f64),
    battery_pct: f64,
    state: State,
}

/// The fleet model. Deterministic for a seed.
#[derive(Debug)]
pub struct Fleet {
    /// The sensors, in publishing order.
    pub sensors: Vec<SimSensor>,
    spec: FleetSpec,
    tick: u64,
    rng: StdRng,
}

fn round1(v: f64) -> f64 {
    (v * 10.0).round() / 10.0
}

impl Fleet {
    /// A fleet as `spec` says, seeded.
    pub fn new(spec: &FleetSpec, seed: u64) -> Fleet {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut sensors = Vec::new();
        let groups = [
            (SensorKind::Manhole, "MH", spec.manholes),
            (SensorKind::Bin, "BIN", spec.bins),
            (SensorKind::Waterlog, "WL", spec.waterlogs),
            (SensorKind::Numeric, "NOISE", spec.numerics),
        ];
        for (kind, tag, count) in groups {
            for i in 0..count {
                let misbehaving = spec.misbehave_every > 0 && i % spec.misbehave_every == 0;
                let state = match kind {
                    SensorKind::Manhole => State::Manhole {
                        tilt_deg: rng.random_range(0.0..3.0),
                        open: false,
                    },
                    SensorKind::Bin => State::Bin {
                        fill_pct: rng.random_range(0.0..60.0),
                        per_tick_pct: rng.random_range(0.5..2.0),
                    },
                    SensorKind::Waterlog => State::Waterlog {
                        depth_cm: 0.0,
                        drain_cm: if misbehaving { 0.2 } else { 1.5 },
                    },
                    SensorKind::Numeric => State::Numeric {
                        base_db: rng.random_range(50.0..60.0),
                    },
                };
                sensors.push(SimSensor {
                    id: format!("{tag}-{:04}", i + 1),
                    kind,
                    misbehaving,
                    location: (
                        34.74 + rng.random_range(0.0..0.03),
                        113.60 + rng.random_range(0.0..0.05),
                    ),
                    battery_pct: rng.random_range(60.0..100.0),
                    state,
                });
            }
        }
        Fleet {
            sensors,
            spec: spec.clone(),
            tick: 0,
            rng,
        }
    }

    /// Ticks taken so far.
    pub fn tick(&self) -> u64 {
        self.tick
    }

    /// The tick within the scenario (the same as [`Fleet::tick`] unless it cycles).
    fn scenario_tick(&self) -> u64 {
        match self.spec.cycle_ticks {
            0 => self.tick,
            c => (self.tick.saturating_sub(1) % c) + 1,
        }
    }

    /// It is raining at the current tick.
    pub fn raining(&self) -> bool {
        (self.spec.rain_starts_at..self.spec.rain_starts_at + self.spec.rain_ticks)
            .contains(&self.scenario_tick())
    }

    /// Advances one simulated minute and returns one reading per sensor, measured at `now_ms`.
    pub fn step(&mut self, now_ms: i64) -> Vec<SensorMessage> {
        self.tick += 1;
        let tick = self.scenario_tick();
        let raining = self.raining();
        let rng = &mut self.rng;
        let mut out = Vec::with_capacity(self.sensors.len());
        for s in &mut self.sensors {
            s.battery_pct = (s.battery_pct - 0.01).max(0.0);
            let reading = match &mut s.state {
                State::Manhole { tilt_deg, open } => {
                    // A misbehaving cover is lifted from tick 10 to 40 (theft, traffic).
                    *open = s.misbehaving && (10..40).contains(&tick);
                    *tilt_deg = if *open {
                        rng.random_range(30.0..60.0)
                    } else {
                        rng.random_range(0.0..3.0)
                    };
                    Reading::Manhole {
                        tilt_deg: round1(*tilt_deg),
                        open: *open,
                    }
                }
                State::Bin {
                    fill_pct,
                    per_tick_pct,
                } => {
                    *fill_pct = (*fill_pct + *per_tick_pct * rng.random_range(0.5..1.5)).min(100.0);
                    // The collection round empties a bin at 80 %, but skips the misbehaving ones
                    // until they have overflowed for a while.
                    let limit = if s.misbehaving { 100.0 } else { 80.0 };
                    let value = *fill_pct;
                    if *fill_pct >= limit && (!s.misbehaving || rng.random_range(0..20) == 0) {
                        *fill_pct = 0.0;
                    }
                    Reading::Bin {
                        fill_pct: round1(value),
                    }
                }
                State::Waterlog { depth_cm, drain_cm } => {
                    let rain_cm = if raining {
                        rng.random_range(0.5..1.5)
                    } else {
                        0.0
                    };
                    *depth_cm = (*depth_cm + rain_cm - *drain_cm).max(0.0);
                    Reading::Waterlog {
                        depth_cm: round1(*depth_cm),
                    }
                }
                State::Numeric { base_db } => {
                    let peak = s.misbehaving && tick % 30 < 5;
                    let v = *base_db + rng.random_range(-3.0..3.0) + if peak { 25.0 } else { 0.0 };
                    Reading::Numeric {
                        value: round1(v),
                        unit: "dB".into(),
                    }
                }
            };
            out.push(SensorMessage {
                sensor_id: s.id.clone(),
                kind: s.kind,
                reading,
                measured_at_ms: Some(now_ms),
                received_at_ms: now_ms,
                battery_pct: Some(round1(s.battery_pct)),
                location: Some(s.location),
            });
        }
        out
    }

    /// A status message for `sensor`.
    pub fn status(sensor: &SimSensor, online: bool) -> SensorMessage {
        SensorMessage {
            sensor_id: sensor.id.clone(),
            kind: sensor.kind,
            reading: Reading::Status { online },
            measured_at_ms: None,
            received_at_ms: 0,
            battery_pct: None,
            location: None,
        }
    }
}

/// Where and how fast [`run_fleet`] publishes.
#[derive(Debug, Clone, PartialEq)]
pub struct PublishConfig {
    /// Broker host.
    pub host: String,
    /// Broker port.
    pub port: u16,
    /// Topic prefix.
    pub prefix: String,
    /// Readings per second over the whole fleet (0: as fast as the broker acknowledges).
    pub rate: f64,
    /// Ticks (simulated minutes) to publish.
    pub ticks: u64,
    /// First simulated instant, UTC ms.
    pub start_ms: i64,
}

impl Default for PublishConfig {
    fn default() -> Self {
        PublishConfig {
            host: "127.0.0.1".into(),
            port: 1883,
            prefix: "yiwang/sensors".into(),
            rate: 1000.0,
            ticks: 120,
            // 2026-11-24 08:00 UTC (16:00 in 郑州).
            start_ms: 1_795_507_200_000,
        }
    }
}

/// What [`run_fleet`] did.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FleetReport {
    /// Readings and statuses published (QoS 1, acknowledged by the broker).
    pub published: u64,
    /// Wall time, seconds.
    pub seconds: f64,
}

/// Publishes the fleet over one MQTT connection (a sensor gateway): retained `online` statuses,
/// `ticks` rounds of readings at `rate`, retained `offline` statuses at the end. The
/// connection's last will marks the first sensor offline if the simulator dies.
///
/// # Errors
///
/// The broker cannot be reached or the connection fails.
pub async fn run_fleet(config: &PublishConfig, mut fleet: Fleet) -> anyhow::Result<FleetReport> {
    let mut options = MqttOptions::new(
        format!("yiwang-sim-fleet-{}", std::process::id()),
        config.host.clone(),
        config.port,
    );
    options.set_clean_session(true);
    if let Some(first) = fleet.sensors.first() {
        let will = Fleet::status(first, false);
        options.set_last_will(LastWill::new(
            will.topic(&config.prefix),
            will.to_payload_json(),
            QoS::AtLeastOnce,
            true,
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 1024);
    let (acked_tx, mut acked) = tokio::sync::mpsc::unbounded_channel::<()>();
    let net = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::PubAck(_))) => {
                    let _ = acked_tx.send(());
                }
                Ok(_) => {}
                Err(e) => return Err::<(), _>(e),
            }
        }
    });
    let started = Instant::now();
    let mut published = 0u64;
    let statuses: Vec<SensorMessage> = fleet
        .sensors
        .iter()
        .map(|s| Fleet::status(s, true))
        .collect();
    for m in &statuses {
        client
            .publish(
                m.topic(&config.prefix),
                QoS::AtLeastOnce,
                true,
                m.to_payload_json(),
            )
            .await?;
        published += 1;
    }
    let period = (config.rate > 0.0).then(|| Duration::from_secs_f64(1.0 / config.rate));
    let mut next = tokio::time::Instant::now();
    for t in 0..config.ticks {
        let now_ms = config.start_ms + i64::try_from(t).unwrap_or(0) * 60_000;
        for m in fleet.step(now_ms) {
            if let Some(p) = period {
                next += p;
                tokio::time::sleep_until(next).await;
            }
            client
                .publish(
                    m.topic(&config.prefix),
                    QoS::AtLeastOnce,
                    false,
                    m.to_payload_json(),
                )
                .await?;
            published += 1;
        }
    }
    let statuses: Vec<SensorMessage> = fleet
        .sensors
        .iter()
        .map(|s| Fleet::status(s, false))
        .collect();
    for m in &statuses {
        client
            .publish(
                m.topic(&config.prefix),
                QoS::AtLeastOnce,
                true,
                m.to_payload_json(),
            )
            .await?;
        published += 1;
    }
    let mut confirmed = 0u64;
    while confirmed < published {
        tokio::select! {
            a = acked.recv() => match a {
                Some(()) => confirmed += 1,
                None => break,
            },
            r = tokio::time::sleep(Duration::from_secs(10)) => {
                let () = r;
                anyhow::bail!("broker stopped acknowledging ({confirmed}/{published})");
            }
        }
    }
    let _ = client.disconnect().await;
    tokio::time::sleep(Duration::from_millis(50)).await;
    net.abort();
    Ok(FleetReport {
        published,
        seconds: started.elapsed().as_secs_f64(),
    })
}

/// Publishes `fleet` live until `shutdown` resolves, as one sensor gateway: retained `online`
/// statuses first, then one reading per sensor every `every`, measured at `now_ms()` (UTC ms),
/// and retained `offline` statuses at the end. The connection's last will marks the first
/// sensor offline if the process dies. A lost connection is retried every second (rumqttc
/// reconnects); readings published meanwhile wait in the client's queue. Returns the number
/// of messages handed to the client.
///
/// # Errors
///
/// The client's request queue is gone (its event loop stopped).
pub async fn run_live(
    config: &PublishConfig,
    mut fleet: Fleet,
    every: Duration,
    now_ms: impl Fn() -> i64 + Send,
    shutdown: impl std::future::Future<Output = ()> + Send,
) -> anyhow::Result<u64> {
    let mut options = MqttOptions::new(
        format!("yiwang-sim-sensors-{}", std::process::id()),
        config.host.clone(),
        config.port,
    );
    options.set_clean_session(true);
    if let Some(first) = fleet.sensors.first() {
        let will = Fleet::status(first, false);
        options.set_last_will(LastWill::new(
            will.topic(&config.prefix),
            will.to_payload_json(),
            QoS::AtLeastOnce,
            true,
        ));
    }
    let (client, mut eventloop) = AsyncClient::new(options, 4096);
    let net = tokio::spawn(async move {
        loop {
            // An error is a lost connection: the next poll reconnects.
            if eventloop.poll().await.is_err() {
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        }
    });
    let publish = |m: &SensorMessage, retain: bool| {
        client.publish(
            m.topic(&config.prefix),
            QoS::AtLeastOnce,
            retain,
            m.to_payload_json(),
        )
    };
    let mut published = 0u64;
    let statuses: Vec<SensorMessage> = fleet
        .sensors
        .iter()
        .map(|s| Fleet::status(s, true))
        .collect();
    for m in &statuses {
        publish(m, true).await?;
        published += 1;
    }
    tokio::pin!(shutdown);
    let mut ticks = tokio::time::interval(every.max(Duration::from_millis(10)));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            () = &mut shutdown => break,
            _ = ticks.tick() => {}
        }
        for m in fleet.step(now_ms()) {
            publish(&m, false).await?;
            published += 1;
        }
    }
    let statuses: Vec<SensorMessage> = fleet
        .sensors
        .iter()
        .map(|s| Fleet::status(s, false))
        .collect();
    for m in &statuses {
        if publish(m, true).await.is_ok() {
            published += 1;
        }
    }
    let _ = client.disconnect().await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    net.abort();
    Ok(published)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ingest::mqtt::{
        SensorConfig, SensorInfo, SensorSupervisor, Signal, parse_message, rule_kind, sample_of,
    };

    /// Runs the model through the canonical sensor rules and returns (sensor, rule) of every
    /// raise.
    fn raised(spec: &FleetSpec, ticks: u64) -> Vec<(String, String)> {
        let mut fleet = Fleet::new(spec, 7);
        let mut rules = SensorSupervisor::new(SensorConfig::default());
        for s in &fleet.sensors {
            let kind = rule_kind(s.kind, &serde_json::json!({}));
            rules.register(s.id.clone(), SensorInfo::new(s.id.clone(), kind));
        }
        let mut out = Vec::new();
        for t in 0..ticks {
            for m in fleet.step(1_795_507_200_000 + i64::try_from(t).unwrap() * 60_000) {
                // Every payload the fleet publishes is valid under the documented schema.
                let parsed = parse_message(
                    "yiwang/sensors",
                    &m.topic("yiwang/sensors"),
                    m.to_payload_json().as_bytes(),
                    m.received_at_ms,
                )
                .unwrap();
                assert_eq!(parsed, m);
                let sample = sample_of(&m).unwrap();
                for s in rules.observe(&sample) {
                    if let Signal::Raise(r) = s {
                        out.push((r.key.source_id, r.key.rule));
                    }
                }
            }
        }
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn misbehaving_sensors_raise_every_alarm_kind_and_only_they_do() {
        let spec = FleetSpec {
            manholes: 5,
            bins: 5,
            waterlogs: 5,
            numerics: 0,
            misbehave_every: 5,
            rain_starts_at: 20,
            rain_ticks: 60,
            cycle_ticks: 0,
        };
        let alarms = raised(&spec, 150);
        // Index 0 of each kind misbehaves: the lifted cover, the skipped bin, the badly
        // draining flood point (+0.5..1.5 cm rain − 0.2 drain per tick for 60 ticks).
        let want = [
            ("BIN-0001", "sensor.bin_full"),
            ("MH-0001", "sensor.cover"),
            ("WL-0001", "sensor.waterlogging"),
        ];
        for (id, rule) in want {
            assert!(
                alarms.contains(&(id.to_owned(), rule.to_owned())),
                "{id} {rule}: {alarms:?}"
            );
        }
        // Well-behaved covers and flood points raise nothing (tilt < 3°, drain ≥ rain).
        assert!(
            alarms
                .iter()
                .all(|(id, _)| !id.starts_with("MH-") && !id.starts_with("WL-")
                    || id.ends_with("0001")),
            "{alarms:?}"
        );
    }

    #[test]
    fn well_behaved_bins_are_emptied_before_overflowing() {
        let spec = FleetSpec {
            manholes: 0,
            bins: 20,
            waterlogs: 0,
            numerics: 0,
            misbehave_every: 0,
            ..FleetSpec::default()
        };
        let mut fleet = Fleet::new(&spec, 3);
        let mut max_fill: f64 = 0.0;
        for t in 0..500 {
            for m in fleet.step(t) {
                if let Reading::Bin { fill_pct } = m.reading {
                    max_fill = max_fill.max(fill_pct);
                }
            }
        }
        // Emptied at ≥ 80 %; one tick adds at most 2 × 1.5 = 3 points.
        assert!(max_fill < 83.0, "{max_fill}");
        assert!(max_fill >= 80.0, "{max_fill}");
    }

    #[test]
    fn a_cycling_scenario_lifts_the_cover_again() {
        let spec = FleetSpec {
            manholes: 1,
            bins: 0,
            waterlogs: 0,
            numerics: 0,
            misbehave_every: 1,
            cycle_ticks: 50,
            ..FleetSpec::default()
        };
        let mut fleet = Fleet::new(&spec, 1);
        let open: Vec<bool> = (0..100)
            .map(|t| match fleet.step(t)[0].reading {
                Reading::Manhole { open, .. } => open,
                _ => false,
            })
            .collect();
        // Lifted at scenario ticks 10..40 of each 50-tick cycle (step i is tick i + 1).
        let want: Vec<bool> = (1..=100u64)
            .map(|t| (10..40).contains(&((t - 1) % 50 + 1)))
            .collect();
        assert_eq!(open, want);
    }

    #[test]
    fn the_same_seed_gives_the_same_fleet() {
        let a = Fleet::new(&FleetSpec::default(), 11).step(0);
        let b = Fleet::new(&FleetSpec::default(), 11).step(0);
        assert_eq!(a, b);
        assert_eq!(a.len(), 100);
    }
}
