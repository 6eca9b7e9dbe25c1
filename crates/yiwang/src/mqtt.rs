//! MQTT sensors in the node: the intake (`ingest::mqtt`) over the store with the canonical
//! sensor rules ([`StoreSensorSink`]), and, for the demo, registered sensors in the demo
//! district with a simulated fleet publishing to the broker (`simulator::mqtt_sensor`).
//!
//! ```text
//! [mqtt] config ─► start_mqtt ─► MqttIntake ─► StoreSensorSink ─► sensor_readings + alarms
//!                                                  ▲ refresh registry every 30 s, offline tick every 60 s
//! demo: start_demo ─► ensure_demo_sensors (store) + run_live (simulated sensors ─► broker)
//! ```

use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use domain::time::Timestamp;
use ingest::mqtt::SensorKind;
use ingest::mqtt::{MqttConfig, MqttIntake, MqttQos, MqttStats, SensorConfig, StoreSensorSink};
use ingest::store_bridge::Locate;
use ingest::supervise::OnAlarms;
use server::AppState;
use simulator::mqtt_sensor::{Fleet, FleetSpec, PublishConfig};
use store::Store;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::config::MqttSection;
use crate::demo::DemoGrid;

/// How often the sensor registry is reloaded from the database (sensors registered on any
/// node are known here within this time).
pub const REGISTRY_REFRESH: Duration = Duration::from_secs(30);
/// How often silent sensors are checked (`sensor.offline`).
pub const OFFLINE_TICK: Duration = Duration::from_secs(60);

/// The node's wall clock as the ingest crate's clock seam.
struct NodeClock(Arc<dyn server::clock::Clock>);

impl ingest::Clock for NodeClock {
    fn now_ms(&self) -> i64 {
        self.0.now().0
    }
}

/// A running MQTT intake with its sink's maintenance task.
pub struct MqttHandle {
    stats: Arc<MqttStats>,
    sink: StoreSensorSink,
    stop: CancellationToken,
    intake: JoinHandle<()>,
    maintenance: JoinHandle<()>,
}

impl std::fmt::Debug for MqttHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttHandle")
            .field("intake", &self.stats.snapshot())
            .field("sink", &self.sink.stats().snapshot())
            .finish_non_exhaustive()
    }
}

impl MqttHandle {
    /// Stops the intake (a batch still failing to store stays unacknowledged: the broker
    /// redelivers it to the next session) and the maintenance task; waits for both.
    pub async fn shutdown(self) {
        self.stop.cancel();
        let _ = self.intake.await;
        let _ = self.maintenance.await;
        let (i, s) = (self.stats.snapshot(), self.sink.stats().snapshot());
        tracing::info!(
            received = i.received,
            malformed = i.malformed,
            acked = i.acked,
            readings = s.readings,
            unknown_sensor = s.unknown,
            alarms_raised = s.raised,
            alarms_cleared = s.cleared,
            "MQTT sensor intake stopped"
        );
    }

    /// Shuts down when `cancel` fires (spawned; the returned task ends after the shutdown).
    pub fn stop_on(self, cancel: CancellationToken) -> JoinHandle<()> {
        tokio::spawn(async move {
            cancel.cancelled().await;
            self.shutdown().await;
        })
    }
}

/// The intake settings of the `[mqtt]` section (timings at their defaults).
///
/// # Errors
/// `qos` other than 0 or 1.
pub fn intake_config(section: &MqttSection) -> anyhow::Result<MqttConfig> {
    let qos = match section.qos {
        0 => MqttQos::AtMostOnce,
        1 => MqttQos::AtLeastOnce,
        q => anyhow::bail!("mqtt.qos {q} is not supported (0 or 1)"),
    };
    Ok(MqttConfig {
        url: section.url.clone(),
        client_id: section.client_id.clone(),
        topic_prefix: section.topic_prefix.clone(),
        share_group: Some(section.share_group.trim())
            .filter(|g| !g.is_empty())
            .map(str::to_owned),
        qos,
        ..MqttConfig::default()
    })
}

/// Publishes newly raised alarms (by open key) to the node's live stream, like the device
/// gateways' supervision does.
pub fn publish_alarms(state: &AppState) -> OnAlarms {
    let state = state.clone();
    Arc::new(move |keys: Vec<String>| {
        let state = state.clone();
        tokio::spawn(async move {
            match state.store.open_alarms_by_key(&keys).await {
                Ok(alarms) => {
                    for a in &alarms {
                        server::supervise::publish_alarm(&state, a);
                    }
                }
                Err(e) => tracing::warn!(error = %e, "reading new sensor alarms failed"),
            }
        });
    })
}

/// Finds unit grids in the node's city model (the same geocoding as the device gateways).
pub fn locate_for(state: &AppState) -> Locate {
    let city = state.city.clone();
    Arc::new(move |lon, lat| {
        let index = city.get();
        match index.geocoder.grid_at(lon, lat) {
            Ok(Some(g)) => Some(index.geocoder.grid_code(g).to_owned()),
            _ => None,
        }
    })
}

/// Starts the MQTT intake of `config` over `store`: loads the sensor registry (and primes the
/// rules from the open alarms), then subscribes to `{topic_prefix}/#` and stores each batch
/// of readings with its alarms in one write before acknowledging it. The registry is reloaded
/// every [`REGISTRY_REFRESH`] and silent sensors are checked every [`OFFLINE_TICK`]. The
/// broker need not be up: the intake connects (and reconnects) by itself. `on_alarms` is told
/// the open keys of the alarms raised once they are durable ([`publish_alarms`]).
///
/// # Errors
/// A bad `url`, `client_id`, `topic_prefix` or `qos`; the registry cannot be read.
pub async fn start_mqtt(
    config: &MqttSection,
    store: Store,
    locate: Locate,
    clock: Arc<dyn server::clock::Clock>,
    on_alarms: Option<OnAlarms>,
) -> anyhow::Result<MqttHandle> {
    let intake_cfg = intake_config(config)?;
    let intake_cfg_subscription = intake_cfg.subscription();
    let clock: Arc<dyn ingest::Clock> = Arc::new(NodeClock(clock));
    let mut sink = StoreSensorSink::new(store, locate, clock.clone(), SensorConfig::default());
    if let Some(on) = on_alarms {
        sink = sink.with_on_alarms(on);
    }
    sink.refresh()
        .await
        .context("loading the MQTT sensor registry")?;
    let intake = MqttIntake::new(intake_cfg, sink.clone(), clock)
        .with_context(|| format!("[mqtt] settings ({})", config.url))?;
    let stats = intake.stats();
    let stop = CancellationToken::new();
    let intake = tokio::spawn(intake.run(stop.clone().cancelled_owned()));
    let maintenance = tokio::spawn({
        let sink = sink.clone();
        let stop = stop.clone();
        async move {
            sink.maintain(REGISTRY_REFRESH, OFFLINE_TICK, stop.cancelled_owned())
                .await;
        }
    });
    tracing::info!(
        url = %config.url,
        client_id = %config.client_id,
        subscription = %intake_cfg_subscription,
        sensors = sink.stats().snapshot().sensors,
        "MQTT sensor intake started"
    );
    Ok(MqttHandle {
        stats,
        sink,
        stop,
        intake,
        maintenance,
    })
}

/// Whether a TCP connection to the broker of `url` opens within two seconds.
pub async fn broker_reachable(url: &str) -> bool {
    let Ok((host, port)) = ingest::mqtt::parse_url(url) else {
        return false;
    };
    tokio::time::timeout(
        Duration::from_secs(2),
        tokio::net::TcpStream::connect((host.as_str(), port)),
    )
    .await
    .is_ok_and(|r| r.is_ok())
}

/// The demo's sensors: covers, bins, flood points and noise sensors; one in four misbehaves
/// (a cover is lifted, a bin is skipped by the collectors and overflows, a flood point drains
/// badly in the rain, a noise sensor peaks). The scenario repeats every 180 readings.
pub fn demo_fleet_spec() -> FleetSpec {
    FleetSpec {
        manholes: 12,
        bins: 12,
        waterlogs: 6,
        numerics: 4,
        misbehave_every: 4,
        rain_starts_at: 20,
        rain_ticks: 40,
        cycle_ticks: 180,
    }
}

/// Registers the demo's sensors at points of the demo district's unit grids (every start: the
/// upsert keeps ids and settings stable) and returns the fleet that plays them, placed there.
///
/// # Errors
/// No grids; the store fails.
pub async fn ensure_demo_sensors(
    store: &Store,
    now: Timestamp,
    grids: &[DemoGrid],
    seed: u64,
) -> anyhow::Result<Fleet> {
    anyhow::ensure!(!grids.is_empty(), "the demo district has no grids");
    let mut fleet = Fleet::new(&demo_fleet_spec(), seed);
    for (i, s) in fleet.sensors.iter_mut().enumerate() {
        let g = &grids[(i * 13 + 5) % grids.len()];
        // A few tens of metres from the grid's point, so that markers do not stack.
        let jitter = |k: usize| ((i * 7 + k) % 5) as f64 * 0.0001 - 0.0002;
        s.location = (g.lat + jitter(1), g.lon + jitter(3));
        let (kind, what, config) = match s.kind {
            SensorKind::Manhole => ("manhole", "井盖", serde_json::json!({})),
            SensorKind::Bin => ("bin", "垃圾箱", serde_json::json!({})),
            SensorKind::Waterlog => ("waterlog", "易涝点", serde_json::json!({})),
            SensorKind::Numeric => (
                "numeric",
                "噪声监测",
                serde_json::json!({"quantity": "噪声", "unit": "dB", "high": 70.0,
                                   "high_clear": 65.0, "level": "warning"}),
            ),
        };
        store
            .upsert_sensor(
                &store::Sensor {
                    sensor_id: s.id.clone(),
                    kind: kind.into(),
                    name: format!("{} {what} {}", g.name, s.id),
                    lat: Some(s.location.0),
                    lon: Some(s.location.1),
                    grid_code: Some(g.code.clone()),
                    config,
                    last_seen_at: None,
                },
                now,
            )
            .await
            .with_context(|| format!("registering demo sensor {}", s.id))?;
    }
    Ok(fleet)
}

/// The demo's sensors: when the broker of `config` is reachable, registers the demo sensors,
/// starts the intake (client id `{client_id}-demo`) and a simulated fleet publishing a reading
/// per sensor every `every`, all until `cancel`. When it is not, logs a warning and returns
/// `Ok(None)`: the demo goes on without sensors.
///
/// # Errors
/// The store fails; bad `[mqtt]` settings.
pub async fn start_demo(
    config: &MqttSection,
    state: &AppState,
    grids: &[DemoGrid],
    every: Duration,
    seed: u64,
    cancel: CancellationToken,
) -> anyhow::Result<Option<MqttHandle>> {
    if !broker_reachable(&config.url).await {
        tracing::warn!(
            url = %config.url,
            "MQTT broker not reachable: the demo runs without sensors (start Mosquitto, or set [mqtt] url / YIWANG_MQTT__URL)"
        );
        println!(
            "  MQTT      {} not reachable: demo without sensors",
            config.url
        );
        return Ok(None);
    }
    let (host, port) = ingest::mqtt::parse_url(&config.url)?;
    let now = state.clock.now();
    let fleet = ensure_demo_sensors(&state.store, now, grids, seed).await?;
    let sensors = fleet.sensors.len();
    let demo_cfg = MqttSection {
        client_id: format!("{}-demo", config.client_id),
        ..config.clone()
    };
    let handle = start_mqtt(
        &demo_cfg,
        state.store.clone(),
        locate_for(state),
        state.clock.clone(),
        Some(publish_alarms(state)),
    )
    .await?;
    let publish = PublishConfig {
        host,
        port,
        prefix: config.topic_prefix.clone(),
        ..PublishConfig::default()
    };
    let clock = state.clock.clone();
    let stop = cancel.clone();
    tokio::spawn(async move {
        let now_ms = move || clock.now().0;
        match simulator::mqtt_sensor::run_live(
            &publish,
            fleet,
            every,
            now_ms,
            stop.cancelled_owned(),
        )
        .await
        {
            Ok(n) => tracing::info!(published = n, "simulated MQTT sensors stopped"),
            Err(e) => tracing::warn!(error = %e, "simulated MQTT sensors failed"),
        }
    });
    println!(
        "  MQTT      {} topic {}/#  ({sensors} simulated sensors)",
        config.url, config.topic_prefix
    );
    Ok(Some(handle))
}
