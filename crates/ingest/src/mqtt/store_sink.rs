//! [`StoreSensorSink`]: the MQTT intake's batches made durable in the database, with the
//! canonical sensor rules ([`supervision::sensor`]) turning readings into alarms.
//!
//! ```text
//! batch ─► known sensor? ─ no ─► counted (unknown), acknowledged, not stored
//!            │ yes
//!            ├─► SensorReading (values with units in the names)
//!            └─► rule state of each sensor of the batch, read from the store (version v)
//!                 ─► SensorSupervisor::observe ─► Signal ─► AlarmWrite (grid via `Locate`)
//! store.append_sensor_batch(readings, alarms, states written over v)   ← ONE transaction
//!   Ok       → the intake acknowledges the batch
//!   conflict → another node stored a message of one of these sensors meanwhile: nothing was
//!              stored; read the states again and compute the batch again (a few times)
//!   Err      → nothing stored; the intake retries the same batch, computed from the stored
//!              state again, so the retry writes the same readings and the same signals, once
//! ```
//!
//! - **Rule state across nodes.** The nodes split the stream (`$share/<group>/…`), so one
//!   sensor's consecutive messages reach different nodes. Its rule state (the hysteresis runs
//!   toward raising or clearing, the alarm each rule holds, the last sample's instant, offline)
//!   therefore lives in the store (`sensor_rule_states`), not in a node: every batch reads the
//!   states of its sensors, and writes them back in the transaction that stores its readings
//!   and alarms, only over the version it read. Two nodes that take messages of one sensor at
//!   the same moment are thus serialized — the later commit fails, is computed again from the
//!   earlier one's state and stored after it — and "N consecutive readings" counts every
//!   node's readings. A sample not newer than the sensor's last one (a message overtaken by a
//!   later one on the other node) is stored but not fed to the rules, as on one node.
//! - **Registry.** Sensors are registered in the database (`store::Sensor`, by the API, an
//!   import or the demo) and loaded with [`StoreSensorSink::refresh`] (at start, then
//!   periodically: [`StoreSensorSink::maintain`]). Messages of a sensor that is not registered
//!   are **not auto-registered and not stored**: they are counted
//!   (`yiwang_ingest_mqtt_unknown_sensor_total`), logged once per sensor id, and acknowledged —
//!   as a JT/T 808 fix from a terminal without a vehicle or an HJ 212 packet of an unknown MN.
//!   A sensor has no place, grid or case class before someone registers it, and anyone able
//!   to publish on the broker could otherwise fill the registry.
//! - **Rule state of an older database.** The first refresh gives each sensor that has open
//!   alarms but no stored rule state (a database from before the states were stored) the state
//!   its alarms say, so that a cover alarm raised before is cleared by the first closed reading,
//!   and an open offline alarm by the sensor's next message.
//! - **Offline.** [`StoreSensorSink::tick`] raises `sensor.offline` for sensors silent longer
//!   than their limit (default 25 h; per sensor `offline_after_ms`), judged on the stored
//!   states (so on every node's messages) and stored with the offline flag in one transaction:
//!   two nodes ticking at once raise it once. The next message clears it.
//! - **Status messages.** `{"online": true}` counts as a heartbeat (no values); `{"online":
//!   false}` (usually the last will) is stored and raises nothing: offline is judged by
//!   silence.
//!
//! Per-sensor settings live in `store::Sensor::config` (JSON, every key optional):
//! `class_code` (the taxonomy class its cases go to), `quantity` and `unit` (what a numeric
//! sensor measures), `high`, `high_clear`, `low`, `low_clear` (numeric thresholds), `level`
//! (`notice` / `warning` / `severe`, numeric alarms) and `offline_after_ms`.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use domain::time::Timestamp;
use grid::Point;
use serde_json::{Map, Value};
use store::{
    AlarmFilter, AlarmPage, AlarmWrite, SensorRuleRow, SensorRuleWrite, Store, StoreError,
};
use supervision::alarm::{AlarmLevel, Signal, SourceKind};
use supervision::sensor::{
    self, NumericThresholds, SensorConfig, SensorInfo, SensorRuleState, SensorSample,
    SensorSupervisor, SensorValues,
};

use super::payload::{Reading, SensorKind, SensorMessage};
use super::sink::SensorSink;
use crate::clock::Clock;
use crate::sink::SinkError;
use crate::store_bridge::Locate;
use crate::supervise::{OnAlarms, raised_keys};

/// Counter: messages of sensors that are not registered (acknowledged, not stored).
pub const METRIC_UNKNOWN_SENSOR: &str = "yiwang_ingest_mqtt_unknown_sensor_total";
/// Counter: alarm writes (label `action`: `raise` / `clear`) made durable by the sensor sink.
pub const METRIC_ALARM_WRITES: &str = "yiwang_ingest_mqtt_alarm_writes_total";

/// Counter: batches computed again because another node changed a sensor's rule state first.
pub const METRIC_RULE_CONFLICTS: &str = "yiwang_ingest_mqtt_rule_state_conflicts_total";
/// Times a batch (or an offline tick) is computed again after a rule-state conflict before it
/// is given up as a failed write (the intake then retries it later).
pub const MAX_CONFLICT_RETRIES: usize = 8;

/// Unknown sensor ids remembered for the once-per-id log line (beyond this, no more lines).
const MAX_WARNED_UNKNOWN: usize = 10_000;

/// Counters of a [`StoreSensorSink`].
#[derive(Debug, Default)]
pub struct SensorSinkStats {
    /// Readings stored.
    pub readings: AtomicU64,
    /// Messages of unregistered sensors (not stored).
    pub unknown: AtomicU64,
    /// Alarm raises stored.
    pub raised: AtomicU64,
    /// Alarm clears stored.
    pub cleared: AtomicU64,
    /// Database writes that failed (batch or offline tick).
    pub write_failures: AtomicU64,
    /// Batches or ticks computed again after another node changed a rule state first.
    pub conflicts: AtomicU64,
    /// Sensors in the registry after the last refresh.
    pub sensors: AtomicU64,
}

/// A snapshot of [`SensorSinkStats`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SensorSinkSnapshot {
    /// Readings stored.
    pub readings: u64,
    /// Messages of unregistered sensors.
    pub unknown: u64,
    /// Alarm raises stored.
    pub raised: u64,
    /// Alarm clears stored.
    pub cleared: u64,
    /// Failed database writes.
    pub write_failures: u64,
    /// Computed again after a rule-state conflict.
    pub conflicts: u64,
    /// Registered sensors.
    pub sensors: u64,
}

impl SensorSinkStats {
    /// The counters now.
    pub fn snapshot(&self) -> SensorSinkSnapshot {
        let l = |a: &AtomicU64| a.load(Ordering::Relaxed);
        SensorSinkSnapshot {
            readings: l(&self.readings),
            unknown: l(&self.unknown),
            raised: l(&self.raised),
            cleared: l(&self.cleared),
            write_failures: l(&self.write_failures),
            conflicts: l(&self.conflicts),
            sensors: l(&self.sensors),
        }
    }
}

/// What the sink keeps of a registered sensor besides its rule state.
#[derive(Debug, Clone)]
struct Known {
    grid_code: Option<String>,
}

#[derive(Debug)]
struct State {
    /// The registered sensors' settings; their rule states are loaded from the store for each
    /// batch (what the engine holds between batches is not used).
    rules: SensorSupervisor,
    sensors: HashMap<String, Known>,
    /// The first refresh seeded the rule states of an older database from its open alarms.
    primed: bool,
    warned_unknown: HashSet<String>,
}

/// The database operations the sink needs: implemented by [`store::Store`]; tests wrap it to
/// make writes fail on command.
pub trait SensorStore: Send + Sync + 'static {
    /// Every registered sensor.
    fn list_sensors(&self) -> impl Future<Output = Result<Vec<store::Sensor>, StoreError>> + Send;
    /// Alarms matching a filter (the open sensor alarms at start).
    fn list_alarms(
        &self,
        filter: &AlarmFilter,
    ) -> impl Future<Output = Result<AlarmPage, StoreError>> + Send;
    /// The stored rule states of these sensors (all when `None`).
    fn sensor_rule_states(
        &self,
        ids: Option<&[String]>,
    ) -> impl Future<Output = Result<Vec<SensorRuleRow>, StoreError>> + Send;
    /// Readings, alarm writes and rule states (each over the version it was computed from) of
    /// one batch, in one transaction.
    fn append_sensor_batch(
        &self,
        readings: &[store::SensorReading],
        alarms: &[AlarmWrite],
        states: &[SensorRuleWrite],
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;
    /// First rule states of sensors that have none stored.
    fn seed_sensor_rule_states(
        &self,
        states: &[(String, String)],
        now: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send;
}

impl SensorStore for Store {
    fn list_sensors(&self) -> impl Future<Output = Result<Vec<store::Sensor>, StoreError>> + Send {
        Store::list_sensors(self)
    }

    fn list_alarms(
        &self,
        filter: &AlarmFilter,
    ) -> impl Future<Output = Result<AlarmPage, StoreError>> + Send {
        Store::list_alarms(self, filter)
    }

    fn sensor_rule_states(
        &self,
        ids: Option<&[String]>,
    ) -> impl Future<Output = Result<Vec<SensorRuleRow>, StoreError>> + Send {
        Store::sensor_rule_states(self, ids)
    }

    fn append_sensor_batch(
        &self,
        readings: &[store::SensorReading],
        alarms: &[AlarmWrite],
        states: &[SensorRuleWrite],
        now: Timestamp,
    ) -> impl Future<Output = Result<(), StoreError>> + Send {
        Store::append_sensor_batch(self, readings, alarms, states, now)
    }

    fn seed_sensor_rule_states(
        &self,
        states: &[(String, String)],
        now: Timestamp,
    ) -> impl Future<Output = Result<u64, StoreError>> + Send {
        Store::seed_sensor_rule_states(self, states, now)
    }
}

struct Inner<D> {
    store: D,
    locate: Locate,
    clock: Arc<dyn Clock>,
    rules_config: SensorConfig,
    on_alarms: Option<OnAlarms>,
    state: tokio::sync::Mutex<State>,
    stats: SensorSinkStats,
}

/// The MQTT intake's sink over the database, with the sensor rules. Clones share everything.
/// See the [module docs](self).
pub struct StoreSensorSink<D: SensorStore = Store> {
    inner: Arc<Inner<D>>,
}

impl<D: SensorStore> Clone for StoreSensorSink<D> {
    fn clone(&self) -> Self {
        StoreSensorSink {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<D: SensorStore> std::fmt::Debug for StoreSensorSink<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSensorSink")
            .field("stats", &self.inner.stats.snapshot())
            .finish_non_exhaustive()
    }
}

/// The rule kind of a sensor of payload kind `kind` with settings `config` (numeric sensors
/// take `quantity` and `unit` from it).
pub fn rule_kind(kind: SensorKind, config: &Value) -> sensor::SensorKind {
    match kind {
        SensorKind::Manhole => sensor::SensorKind::ManholeCover,
        SensorKind::Bin => sensor::SensorKind::BinFill,
        SensorKind::Waterlog => sensor::SensorKind::Waterlogging,
        SensorKind::Numeric => sensor::SensorKind::Numeric {
            name: config
                .get("quantity")
                .and_then(Value::as_str)
                .unwrap_or("数值")
                .to_owned(),
            unit: config
                .get("unit")
                .and_then(Value::as_str)
                .unwrap_or("")
                .to_owned(),
        },
    }
}

/// The rule input of a message: its values, instant and battery. `None` for an offline status
/// (offline is judged by silence); an online status is a heartbeat without values.
pub fn sample_of(m: &SensorMessage) -> Option<SensorSample> {
    let mut values = SensorValues::default();
    match &m.reading {
        Reading::Manhole { tilt_deg, open } => {
            values.tilt_deg = Some(*tilt_deg);
            values.open = Some(*open);
        }
        Reading::Bin { fill_pct } => values.fill_pct = Some(*fill_pct),
        Reading::Waterlog { depth_cm } => values.depth_cm = Some(*depth_cm),
        Reading::Numeric { value, .. } => values.value = Some(*value),
        Reading::Status { online: true } => {}
        Reading::Status { online: false } => return None,
    }
    Some(SensorSample {
        sensor_id: m.sensor_id.clone(),
        at: Timestamp(m.at_ms()),
        values,
        battery_pct: m.battery_pct,
    })
}

/// The stored form of a message: `data` holds the kind and the values with units in the names.
pub fn reading_of(m: &SensorMessage) -> store::SensorReading {
    let mut o = Map::new();
    o.insert("kind".into(), Value::from(m.kind.as_str()));
    match &m.reading {
        Reading::Manhole { tilt_deg, open } => {
            o.insert("tilt_deg".into(), Value::from(*tilt_deg));
            o.insert("open".into(), Value::from(*open));
        }
        Reading::Bin { fill_pct } => {
            o.insert("fill_pct".into(), Value::from(*fill_pct));
        }
        Reading::Waterlog { depth_cm } => {
            o.insert("depth_cm".into(), Value::from(*depth_cm));
        }
        Reading::Numeric { value, unit } => {
            o.insert("value".into(), Value::from(*value));
            o.insert("unit".into(), Value::from(unit.clone()));
        }
        Reading::Status { online } => {
            o.insert("online".into(), Value::from(*online));
        }
    }
    if let Some(b) = m.battery_pct {
        o.insert("battery_pct".into(), Value::from(b));
    }
    if let Some((lat, lon)) = m.location {
        o.insert("lat".into(), Value::from(lat));
        o.insert("lon".into(), Value::from(lon));
    }
    store::SensorReading {
        sensor_id: m.sensor_id.clone(),
        at: Timestamp(m.at_ms()),
        received_at: Timestamp(m.received_at_ms),
        data: Value::Object(o),
    }
}

/// The rule settings of a stored sensor, its grid code resolved with `locate` when the store
/// has none. `None` when its `kind` is not one of `manhole`, `bin`, `waterlog`, `numeric`.
pub fn info_of(s: &store::Sensor, locate: &Locate) -> Option<SensorInfo> {
    let kind = SensorKind::from_segment(&s.kind)?;
    let c = &s.config;
    let position = match (s.lat, s.lon) {
        (Some(lat), Some(lon)) => Some(Point { lon, lat }),
        _ => None,
    };
    let grid_code = s
        .grid_code
        .clone()
        .or_else(|| position.and_then(|p| locate(p.lon, p.lat)));
    let numeric: NumericThresholds = serde_json::from_value(c.clone()).unwrap_or_else(|e| {
        tracing::warn!(sensor_id = %s.sensor_id, error = %e, "bad numeric thresholds in sensor config; none used");
        NumericThresholds::default()
    });
    let mut info = SensorInfo::new(s.name.clone(), rule_kind(kind, c));
    info.position = position;
    info.grid_code = grid_code;
    info.class_code = c
        .get("class_code")
        .and_then(Value::as_str)
        .map(str::to_owned);
    info.numeric = numeric;
    if let Some(level) = c
        .get("level")
        .and_then(Value::as_str)
        .and_then(AlarmLevel::parse)
    {
        info.numeric_level = level;
    }
    info.offline_after_ms = c.get("offline_after_ms").and_then(Value::as_i64);
    Some(info)
}

/// The store's form of a rule signal. `grid_code`: the sensor's; else the signal's position
/// located with `locate`.
pub fn alarm_write(signal: Signal, grid_code: Option<&str>, locate: &Locate) -> AlarmWrite {
    let grid_code = match &signal {
        Signal::Raise(r) => grid_code
            .map(str::to_owned)
            .or_else(|| r.position.and_then(|p| locate(p.lon, p.lat))),
        Signal::Clear(_) => None,
    };
    AlarmWrite::from_signal(signal, grid_code)
}

impl<D: SensorStore> StoreSensorSink<D> {
    /// A sink over `store` with the rules configured by `rules`; positions are located in
    /// unit grids with `locate`, the offline tick reads `clock`. Call
    /// [`StoreSensorSink::refresh`] before the intake runs: until then every sensor is unknown.
    pub fn new(
        store: D,
        locate: Locate,
        clock: Arc<dyn Clock>,
        rules: SensorConfig,
    ) -> StoreSensorSink<D> {
        StoreSensorSink {
            inner: Arc::new(Inner {
                store,
                locate,
                clock,
                rules_config: rules.clone(),
                on_alarms: None,
                state: tokio::sync::Mutex::new(State {
                    rules: SensorSupervisor::new(rules),
                    sensors: HashMap::new(),
                    primed: false,
                    warned_unknown: HashSet::new(),
                }),
                stats: SensorSinkStats::default(),
            }),
        }
    }

    /// Calls `on` with the open keys of the alarms raised, after each write that made them
    /// durable (the node publishes them to its live stream). Call before cloning the sink.
    #[must_use]
    pub fn with_on_alarms(mut self, on: OnAlarms) -> StoreSensorSink<D> {
        if let Some(inner) = Arc::get_mut(&mut self.inner) {
            inner.on_alarms = Some(on);
        }
        self
    }

    /// The counters, live.
    pub fn stats(&self) -> &SensorSinkStats {
        &self.inner.stats
    }

    /// Reloads the registry from the database: new sensors are registered, changed ones get
    /// their new settings, deleted ones are forgotten (rule states are the store's). The first
    /// call also seeds the rule states of sensors with open alarms but no stored state (see the
    /// module docs).
    ///
    /// # Errors
    /// The database cannot be read (the previous registry stays in use).
    pub async fn refresh(&self) -> Result<(), StoreError> {
        let stored = self.inner.store.list_sensors().await?;
        let primed = self.inner.state.lock().await.primed;
        let (open, with_state) = if primed {
            (Vec::new(), HashSet::new())
        } else {
            let stored = self.inner.store.sensor_rule_states(None).await?;
            (
                self.open_sensor_alarms().await?,
                stored.into_iter().map(|r| r.sensor_id).collect(),
            )
        };
        let mut infos = Vec::with_capacity(stored.len());
        for s in &stored {
            match info_of(s, &self.inner.locate) {
                Some(info) => infos.push((s.sensor_id.clone(), info)),
                None => {
                    tracing::warn!(sensor_id = %s.sensor_id, kind = %s.kind, "sensor of an unknown kind ignored");
                }
            }
        }
        let mut st = self.inner.state.lock().await;
        let keep: HashSet<&str> = infos.iter().map(|(id, _)| id.as_str()).collect();
        let gone: Vec<String> = st
            .sensors
            .keys()
            .filter(|id| !keep.contains(id.as_str()))
            .cloned()
            .collect();
        for id in gone {
            st.rules.unregister(&id);
            st.sensors.remove(&id);
        }
        for (id, info) in infos {
            st.sensors.insert(
                id.clone(),
                Known {
                    grid_code: info.grid_code.clone(),
                },
            );
            st.rules.register(id, info);
        }
        if !st.primed {
            let seeds = self.prime(&mut st, &open, &with_state);
            if !seeds.is_empty() {
                let now = Timestamp(self.inner.clock.now_ms());
                // Kept if another node seeded first (it computed the same from the same alarms).
                self.inner
                    .store
                    .seed_sensor_rule_states(&seeds, now)
                    .await?;
            }
            st.primed = true;
        }
        self.inner
            .stats
            .sensors
            .store(st.sensors.len() as u64, Ordering::Relaxed);
        Ok(())
    }

    async fn open_sensor_alarms(&self) -> Result<Vec<store::Alarm>, StoreError> {
        let mut out = Vec::new();
        let mut filter = AlarmFilter {
            states: ["raised", "acknowledged", "linked"]
                .map(str::to_owned)
                .to_vec(),
            source_kind: Some(SourceKind::Sensor.as_str().to_owned()),
            limit: 1000,
            ..AlarmFilter::default()
        };
        loop {
            let page = self.inner.store.list_alarms(&filter).await?;
            let n = page.items.len() as i64;
            out.extend(page.items);
            if n < filter.limit || out.len() as i64 >= page.total {
                break;
            }
            filter.offset += n;
        }
        Ok(out)
    }

    /// The rule state each sensor's open alarms say, for the sensors with open alarms and no
    /// stored state (`with_state`): one synthetic breaking sample at the instant of its latest
    /// open alarm (the signals are dropped: the alarms are open already), and the offline flag
    /// for an open offline alarm. Returns (sensor id, state JSON) to seed.
    fn prime(
        &self,
        st: &mut State,
        open: &[store::Alarm],
        with_state: &HashSet<String>,
    ) -> Vec<(String, String)> {
        let cfg = &self.inner.rules_config;
        let mut by_sensor: HashMap<&str, Vec<&store::Alarm>> = HashMap::new();
        for a in open {
            by_sensor.entry(a.source_id.as_str()).or_default().push(a);
        }
        let mut seeds = Vec::new();
        for (id, alarms) in by_sensor {
            if !st.sensors.contains_key(id) || with_state.contains(id) {
                continue;
            }
            st.rules.set_rule_state(id, &SensorRuleState::default());
            let mut values = SensorValues::default();
            let mut battery_pct = None;
            let mut offline = false;
            let mut at = Timestamp(i64::MIN);
            for a in alarms {
                at = at.max(a.updated_at);
                let threshold = |key: &str| a.detail.get(key).and_then(Value::as_f64);
                match a.rule.as_str() {
                    sensor::RULE_COVER => values.open = Some(true),
                    sensor::RULE_BIN_FULL => values.fill_pct = Some(100.0),
                    sensor::RULE_WATERLOGGING => {
                        values.depth_cm = Some(if a.level == AlarmLevel::Severe.as_str() {
                            cfg.water_severe_cm
                        } else {
                            cfg.water_depth_cm.raise
                        });
                    }
                    sensor::RULE_HIGH => values.value = threshold("high"),
                    sensor::RULE_LOW => values.value = values.value.or(threshold("low")),
                    sensor::RULE_BATTERY_LOW => battery_pct = Some(0.0),
                    sensor::RULE_OFFLINE => offline = true,
                    _ => {}
                }
            }
            let sample = SensorSample {
                sensor_id: id.to_owned(),
                at,
                values,
                battery_pct,
            };
            let _already_open = st.rules.observe(&sample);
            let Some(mut state) = st.rules.rule_state(id) else {
                continue;
            };
            state.offline = offline;
            match serde_json::to_string(&state) {
                Ok(json) => seeds.push((id.to_owned(), json)),
                Err(e) => tracing::warn!(sensor_id = id, error = %e, "rule state not serializable"),
            }
        }
        seeds
    }

    /// Loads the stored rule states of `ids` into the engine (the default state for a sensor
    /// with none, or with one that cannot be read); returns the versions read (0: none).
    async fn load_states(
        &self,
        st: &mut State,
        ids: Option<&[String]>,
    ) -> Result<HashMap<String, i64>, StoreError> {
        let rows = self.inner.store.sensor_rule_states(ids).await?;
        let mut stored: HashMap<String, (i64, SensorRuleState)> =
            HashMap::with_capacity(rows.len());
        for r in rows {
            let state = serde_json::from_str(&r.state).unwrap_or_else(|e| {
                tracing::warn!(sensor_id = %r.sensor_id, error = %e, "stored rule state unreadable; starting afresh");
                SensorRuleState::default()
            });
            stored.insert(r.sensor_id, (r.version, state));
        }
        let wanted: Vec<String> = match ids {
            Some(ids) => ids.to_vec(),
            None => st.rules.sensor_ids().map(str::to_owned).collect(),
        };
        let mut versions = HashMap::with_capacity(wanted.len());
        let fresh = SensorRuleState::default();
        for id in wanted {
            let (version, state) = stored.get(&id).map_or((0, &fresh), |(v, s)| (*v, s));
            if st.rules.set_rule_state(&id, state) {
                versions.insert(id, version);
            }
        }
        Ok(versions)
    }

    /// The engine's states of `ids` as writes over the versions read.
    fn state_writes(
        st: &State,
        versions: &HashMap<String, i64>,
        ids: &[String],
    ) -> Vec<SensorRuleWrite> {
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            let (Some(state), Some(read_version)) = (st.rules.rule_state(id), versions.get(id))
            else {
                continue;
            };
            match serde_json::to_string(&state) {
                Ok(state) => out.push(SensorRuleWrite {
                    sensor_id: id.clone(),
                    state,
                    read_version: *read_version,
                }),
                Err(e) => {
                    tracing::warn!(sensor_id = %id, error = %e, "rule state not serializable")
                }
            }
        }
        out
    }

    /// After a failed write: whether a rule state it was computed from changed meanwhile (a
    /// conflict with another node, to compute again) rather than the database failing.
    async fn states_moved(&self, versions: &HashMap<String, i64>) -> bool {
        let ids: Vec<String> = versions.keys().cloned().collect();
        match self.inner.store.sensor_rule_states(Some(&ids)).await {
            Ok(rows) => {
                let now: HashMap<&str, i64> = rows
                    .iter()
                    .map(|r| (r.sensor_id.as_str(), r.version))
                    .collect();
                versions
                    .iter()
                    .any(|(id, v)| now.get(id.as_str()).copied().unwrap_or(0) != *v)
            }
            Err(_) => false,
        }
    }

    fn count_conflict(&self) {
        self.inner.stats.conflicts.fetch_add(1, Ordering::Relaxed);
        metrics::counter!(METRIC_RULE_CONFLICTS).increment(1);
    }

    /// Raises `sensor.offline` for sensors silent too long (now from the clock), judged on the
    /// stored rule states, and stores the raises with the offline flags in one transaction.
    /// Returns how many signals were written.
    ///
    /// # Errors
    /// The database failed: nothing was written; the next tick judges again.
    pub async fn tick(&self) -> Result<usize, StoreError> {
        let now = Timestamp(self.inner.clock.now_ms());
        let mut st = self.inner.state.lock().await;
        let st = &mut *st;
        let mut attempt = 0;
        loop {
            let versions = self.load_states(st, None).await?;
            let signals = st.rules.tick(now);
            if signals.is_empty() {
                return Ok(0);
            }
            let mut ids: Vec<String> = signals.iter().map(|s| s.key().source_id.clone()).collect();
            ids.sort();
            ids.dedup();
            let writes = Self::state_writes(st, &versions, &ids);
            let alarms: Vec<AlarmWrite> = signals
                .into_iter()
                .map(|s| {
                    let grid = st
                        .sensors
                        .get(&s.key().source_id)
                        .and_then(|k| k.grid_code.clone());
                    alarm_write(s, grid.as_deref(), &self.inner.locate)
                })
                .collect();
            match self
                .inner
                .store
                .append_sensor_batch(&[], &alarms, &writes, now)
                .await
            {
                Ok(()) => {
                    self.count_alarms(&alarms);
                    return Ok(alarms.len());
                }
                Err(e) => {
                    attempt += 1;
                    if attempt < MAX_CONFLICT_RETRIES && self.states_moved(&versions).await {
                        self.count_conflict();
                        continue;
                    }
                    self.inner
                        .stats
                        .write_failures
                        .fetch_add(1, Ordering::Relaxed);
                    return Err(e);
                }
            }
        }
    }

    /// Counts durable alarm writes and reports the raises.
    fn count_alarms(&self, writes: &[AlarmWrite]) {
        if let Some(on) = &self.inner.on_alarms {
            let keys = raised_keys(writes);
            if !keys.is_empty() {
                on(keys);
            }
        }
        for w in writes {
            let (counter, action) = match w {
                AlarmWrite::Raise(_) => (&self.inner.stats.raised, "raise"),
                AlarmWrite::Clear(_) => (&self.inner.stats.cleared, "clear"),
            };
            counter.fetch_add(1, Ordering::Relaxed);
            metrics::counter!(METRIC_ALARM_WRITES, "action" => action).increment(1);
        }
    }

    /// Refreshes the registry every `refresh_every` and runs the offline tick every
    /// `tick_every` until `shutdown` resolves; failures are logged and retried next time.
    pub async fn maintain(
        &self,
        refresh_every: Duration,
        tick_every: Duration,
        shutdown: impl Future<Output = ()>,
    ) {
        let mut refresh = tokio::time::interval(refresh_every.max(Duration::from_millis(10)));
        let mut tick = tokio::time::interval(tick_every.max(Duration::from_millis(10)));
        refresh.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(shutdown);
        loop {
            tokio::select! {
                biased;
                () = &mut shutdown => return,
                _ = refresh.tick() => {
                    if let Err(e) = self.refresh().await {
                        tracing::warn!(error = %e, "refreshing the sensor registry failed");
                    }
                }
                _ = tick.tick() => {
                    if let Err(e) = self.tick().await {
                        tracing::warn!(error = %e, "storing sensor offline alarms failed; judged again at the next tick");
                    }
                }
            }
        }
    }
}

impl<D: SensorStore> SensorSink for StoreSensorSink<D> {
    async fn store(&self, batch: &[SensorMessage]) -> Result<(), SinkError> {
        let inner = &*self.inner;
        let mut st = inner.state.lock().await;
        let st = &mut *st;
        let mut known = Vec::with_capacity(batch.len());
        let mut unknown = 0u64;
        for m in batch {
            if st.sensors.contains_key(&m.sensor_id) {
                known.push(m);
                continue;
            }
            unknown += 1;
            if st.warned_unknown.len() < MAX_WARNED_UNKNOWN
                && st.warned_unknown.insert(m.sensor_id.clone())
            {
                tracing::warn!(sensor_id = %m.sensor_id, kind = m.kind.as_str(), "message of an unregistered sensor: not stored (register the sensor first)");
            }
        }
        if unknown > 0 {
            inner.stats.unknown.fetch_add(unknown, Ordering::Relaxed);
            metrics::counter!(METRIC_UNKNOWN_SENSOR).increment(unknown);
        }
        if known.is_empty() {
            return Ok(());
        }
        let readings: Vec<store::SensorReading> = known.iter().map(|m| reading_of(m)).collect();
        let samples: Vec<SensorSample> = known.iter().filter_map(|m| sample_of(m)).collect();
        let mut ids: Vec<String> = samples.iter().map(|s| s.sensor_id.clone()).collect();
        ids.sort();
        ids.dedup();
        let now = Timestamp(inner.clock.now_ms());
        let mut attempt = 0;
        loop {
            let unavailable = |e: StoreError| {
                inner.stats.write_failures.fetch_add(1, Ordering::Relaxed);
                SinkError::Unavailable(e.to_string())
            };
            let versions = if ids.is_empty() {
                HashMap::new()
            } else {
                self.load_states(st, Some(&ids))
                    .await
                    .map_err(unavailable)?
            };
            let mut alarms = Vec::new();
            for sample in &samples {
                let grid = st
                    .sensors
                    .get(&sample.sensor_id)
                    .and_then(|k| k.grid_code.clone());
                for s in st.rules.observe(sample) {
                    alarms.push(alarm_write(s, grid.as_deref(), &inner.locate));
                }
            }
            // Every sensor of the batch is written over the version read, changed or not: a
            // sample judged on a state another node has since changed must be judged again.
            let writes = Self::state_writes(st, &versions, &ids);
            match inner
                .store
                .append_sensor_batch(&readings, &alarms, &writes, now)
                .await
            {
                Ok(()) => {
                    inner
                        .stats
                        .readings
                        .fetch_add(readings.len() as u64, Ordering::Relaxed);
                    self.count_alarms(&alarms);
                    return Ok(());
                }
                Err(e) => {
                    attempt += 1;
                    if attempt < MAX_CONFLICT_RETRIES && self.states_moved(&versions).await {
                        self.count_conflict();
                        continue;
                    }
                    return Err(unavailable(e));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(kind: SensorKind, reading: Reading) -> SensorMessage {
        SensorMessage {
            sensor_id: "S-1".into(),
            kind,
            reading,
            measured_at_ms: Some(1_795_507_200_000),
            received_at_ms: 1_795_507_201_000,
            battery_pct: Some(50.0),
            location: None,
        }
    }

    #[test]
    fn samples_carry_the_values_of_their_kind() {
        let s = sample_of(&msg(
            SensorKind::Manhole,
            Reading::Manhole {
                tilt_deg: 20.0,
                open: true,
            },
        ))
        .expect("sample");
        assert_eq!(s.values.tilt_deg, Some(20.0));
        assert_eq!(s.values.open, Some(true));
        assert_eq!(s.at, Timestamp(1_795_507_200_000));
        assert_eq!(s.battery_pct, Some(50.0));
        let s = sample_of(&msg(SensorKind::Bin, Reading::Status { online: true })).expect("hb");
        assert_eq!(s.values, SensorValues::default());
        assert!(sample_of(&msg(SensorKind::Bin, Reading::Status { online: false })).is_none());
    }

    #[test]
    fn readings_keep_units_in_the_names() {
        let r = reading_of(&msg(
            SensorKind::Numeric,
            Reading::Numeric {
                value: 71.5,
                unit: "dB".into(),
            },
        ));
        assert_eq!(
            r.data,
            serde_json::json!({"kind":"numeric","value":71.5,"unit":"dB","battery_pct":50.0})
        );
        assert_eq!(r.received_at, Timestamp(1_795_507_201_000));
    }

    #[test]
    fn stored_settings_become_rule_settings() {
        let locate: Locate = Arc::new(|lon, _| (lon > 113.6).then(|| "410102001001001".into()));
        let s = store::Sensor {
            sensor_id: "N-1".into(),
            kind: "numeric".into(),
            name: "噪声".into(),
            lat: Some(34.75),
            lon: Some(113.62),
            grid_code: None,
            config: serde_json::json!({"quantity":"噪声","unit":"dB","high":70.0,
                "high_clear":65.0,"level":"severe","class_code":"08001","offline_after_ms":60000}),
            last_seen_at: None,
        };
        let info = info_of(&s, &locate).expect("info");
        assert_eq!(info.grid_code.as_deref(), Some("410102001001001"));
        assert_eq!(info.numeric.high, Some(70.0));
        assert_eq!(info.numeric.high_clear, Some(65.0));
        assert_eq!(info.numeric_level, AlarmLevel::Severe);
        assert_eq!(info.class_code.as_deref(), Some("08001"));
        assert_eq!(info.offline_after_ms, Some(60_000));
        assert_eq!(
            info.kind,
            sensor::SensorKind::Numeric {
                name: "噪声".into(),
                unit: "dB".into()
            }
        );
        let lamp = store::Sensor {
            kind: "lamp".into(),
            ..s
        };
        assert!(info_of(&lamp, &locate).is_none());
    }
}
