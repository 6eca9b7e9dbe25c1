//! MQTT sensor rules: manhole covers 井盖, bin fill 垃圾满溢, waterlogging 积水 at flood points
//! 易涝点, and generic numeric sensors.
//!
//! A sensor is registered with its kind, place and (optionally) the taxonomy class its cases go
//! to; the gateway decodes each MQTT message into a [`SensorSample`]. Each rule compares a value
//! with a raise threshold and clears only past a lower clear threshold (a hysteresis band), on top
//! of an [`alarm::Hysteresis`](crate::alarm::Hysteresis) in time and samples.
//!
//! | rule id | kind | raise | clear | level | class (default) |
//! |---|---|---|---|---|---|
//! | `sensor.cover` | manhole cover | tilt ≥ 15° or open | tilt < 10° and closed | Severe | 01023 不明井盖异常 (set the cover's own 010xx class per sensor) |
//! | `sensor.bin_full` | bin | fill ≥ 90 % | fill < 70 % | Warning | 06042 垃圾站（箱）满溢 |
//! | `sensor.waterlogging` | flood point | depth ≥ 15 cm (≥ 30 cm: Severe) | depth < 10 cm | Warning / Severe | 10901 易涝点积水 (local:zhengzhou extension) |
//! | `sensor.high`, `sensor.low` | numeric | per sensor | per sensor | per sensor | per sensor |
//! | `sensor.battery_low` | all | battery < 20 % | battery ≥ 25 % | Notice | none |
//! | `sensor.offline` | all | silent for `offline_after_ms` ([`SensorSupervisor::tick`]) | next sample | Notice | none |
//!
//! Waterlogging escalates: a raised Warning that reaches the severe depth is raised again (same
//! key) with level Severe; it does not step back down before it clears.

use std::collections::HashMap;

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alarm::{
    AlarmKey, AlarmLevel, Clear, Edge, Hysteresis, HysteresisState, Raise, Signal, SourceKind,
};

/// 01023 不明井盖异常: a cover whose owner is not configured.
pub const CLASS_COVER_UNKNOWN: &str = "01023";
/// 06042 垃圾站（箱）满溢.
pub const CLASS_BIN_OVERFLOW: &str = "06042";
/// 10901 易涝点积水 (a `local:zhengzhou` extension; GB/T 47678.5-2026 has no waterlogging matter).
pub const CLASS_WATERLOGGING: &str = "10901";

/// Rule id: manhole cover tilted or open.
pub const RULE_COVER: &str = "sensor.cover";
/// Rule id: bin full.
pub const RULE_BIN_FULL: &str = "sensor.bin_full";
/// Rule id: waterlogging depth.
pub const RULE_WATERLOGGING: &str = "sensor.waterlogging";
/// Rule id: generic value above its high threshold.
pub const RULE_HIGH: &str = "sensor.high";
/// Rule id: generic value below its low threshold.
pub const RULE_LOW: &str = "sensor.low";
/// Rule id: battery low.
pub const RULE_BATTERY_LOW: &str = "sensor.battery_low";
/// Rule id: the sensor stopped reporting.
pub const RULE_OFFLINE: &str = "sensor.offline";

/// What a sensor measures.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SensorKind {
    /// 井盖 — tilt angle and/or an open contact.
    ManholeCover,
    /// 垃圾箱 — fill level.
    BinFill,
    /// 易涝点 — water depth.
    Waterlogging,
    /// Anything else with one number.
    Numeric {
        /// What it measures (`水位`, `温度`).
        name: String,
        /// The unit (`m`, `℃`).
        unit: String,
    },
}

/// Thresholds of a generic numeric sensor; each side is optional.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct NumericThresholds {
    /// Raise `sensor.high` at or above this.
    pub high: Option<f64>,
    /// Clear `sensor.high` below this (default: `high`).
    pub high_clear: Option<f64>,
    /// Raise `sensor.low` at or below this.
    pub low: Option<f64>,
    /// Clear `sensor.low` above this (default: `low`).
    pub low_clear: Option<f64>,
}

/// A registered sensor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorInfo {
    /// A name people know (`建设路与桐柏路口 雨水井盖`).
    pub name: String,
    /// What it measures.
    pub kind: SensorKind,
    /// Where it is, WGS-84.
    #[serde(default)]
    pub position: Option<Point>,
    /// The unit grid, when known.
    #[serde(default)]
    pub grid_code: Option<String>,
    /// The taxonomy class its cases go to; `None` takes the kind's default (covers: 01023,
    /// bins: 06042, waterlogging: 10901, numeric: no case).
    #[serde(default)]
    pub class_code: Option<String>,
    /// Thresholds of a numeric sensor.
    #[serde(default)]
    pub numeric: NumericThresholds,
    /// Level of numeric alarms. Default Warning.
    #[serde(default = "default_numeric_level")]
    pub numeric_level: AlarmLevel,
    /// Overrides [`SensorConfig::offline_after_ms`] for this sensor.
    #[serde(default)]
    pub offline_after_ms: Option<i64>,
}

fn default_numeric_level() -> AlarmLevel {
    AlarmLevel::Warning
}

impl SensorInfo {
    /// A sensor of `kind` with defaults for everything else.
    pub fn new(name: impl Into<String>, kind: SensorKind) -> SensorInfo {
        SensorInfo {
            name: name.into(),
            kind,
            position: None,
            grid_code: None,
            class_code: None,
            numeric: NumericThresholds::default(),
            numeric_level: AlarmLevel::Warning,
            offline_after_ms: None,
        }
    }

    fn class_for(&self) -> Option<String> {
        self.class_code.clone().or_else(|| {
            match self.kind {
                SensorKind::ManholeCover => Some(CLASS_COVER_UNKNOWN),
                SensorKind::BinFill => Some(CLASS_BIN_OVERFLOW),
                SensorKind::Waterlogging => Some(CLASS_WATERLOGGING),
                SensorKind::Numeric { .. } => None,
            }
            .map(str::to_owned)
        })
    }
}

/// The values of one message; a field a sensor does not report is `None`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SensorValues {
    /// Cover tilt, degrees from level.
    pub tilt_deg: Option<f64>,
    /// Cover open contact.
    pub open: Option<bool>,
    /// Bin fill level, percent.
    pub fill_pct: Option<f64>,
    /// Water depth, cm.
    pub depth_cm: Option<f64>,
    /// A generic sensor's value.
    pub value: Option<f64>,
}

/// One decoded MQTT message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SensorSample {
    /// The sensor's id.
    pub sensor_id: String,
    /// Measurement time (UTC).
    pub at: Timestamp,
    /// What it measured.
    pub values: SensorValues,
    /// Battery charge, percent, when reported.
    #[serde(default)]
    pub battery_pct: Option<f64>,
}

/// A raise threshold, a lower clear threshold and a hysteresis in time and samples.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// Raise at or above this.
    pub raise: f64,
    /// Clear below this.
    pub clear: f64,
    /// Time and sample counts on top of the band.
    pub hysteresis: Hysteresis,
}

/// Sensor rule thresholds. Every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SensorConfig {
    /// Cover tilt, degrees: raise ≥ 15, clear < 10, at once (an open or tilted cover is a
    /// danger to traffic and people: Severe).
    pub cover_tilt_deg: Band,
    /// Bin fill, percent: raise ≥ 90, clear < 70, at once.
    pub bin_fill_pct: Band,
    /// Water depth, cm: raise ≥ 15, clear < 10, at once.
    pub water_depth_cm: Band,
    /// Water depth at or above which the alarm is Severe, cm. Default 30.
    pub water_severe_cm: f64,
    /// Battery: raise below this percent. Default 20.
    pub battery_low_pct: f64,
    /// Battery: clear at or above this percent. Default 25.
    pub battery_clear_pct: f64,
    /// Silence after which a sensor is offline. Default 25 h (many covers and bins send one
    /// heartbeat a day).
    pub offline_after_ms: i64,
}

impl Default for SensorConfig {
    fn default() -> SensorConfig {
        let band = |raise, clear| Band {
            raise,
            clear,
            hysteresis: Hysteresis::IMMEDIATE,
        };
        SensorConfig {
            cover_tilt_deg: band(15.0, 10.0),
            bin_fill_pct: band(90.0, 70.0),
            water_depth_cm: band(15.0, 10.0),
            water_severe_cm: 30.0,
            battery_low_pct: 20.0,
            battery_clear_pct: 25.0,
            offline_after_ms: 25 * 3_600_000,
        }
    }
}

#[derive(Clone, Debug)]
struct SensorState {
    info: SensorInfo,
    last_at: Option<Timestamp>,
    offline: bool,
    main: HysteresisState,
    main_level: AlarmLevel,
    low: HysteresisState,
    battery: HysteresisState,
}

/// The rule state of one sensor, without its settings: what a node must keep to judge the
/// sensor's next sample — the instant of the last sample, whether it is offline, the alarm each
/// rule holds and the runs of samples toward raising or clearing. Serializable, so it can live
/// outside the engine (in the database, shared by the nodes that split a sensor's messages);
/// see [`SensorSupervisor::rule_state`] and [`SensorSupervisor::set_rule_state`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SensorRuleState {
    /// The instant of the last sample fed (samples not newer are ignored).
    pub last_at: Option<Timestamp>,
    /// `sensor.offline` is raised.
    pub offline: bool,
    /// The main rule (cover, bin, waterlogging, numeric high).
    pub main: HysteresisState,
    /// The level of the open waterlogging alarm (escalation).
    pub main_level: AlarmLevel,
    /// Numeric low.
    pub low: HysteresisState,
    /// Battery low.
    pub battery: HysteresisState,
}

impl Default for SensorRuleState {
    fn default() -> SensorRuleState {
        SensorRuleState {
            last_at: None,
            offline: false,
            main: HysteresisState::default(),
            main_level: AlarmLevel::Notice,
            low: HysteresisState::default(),
            battery: HysteresisState::default(),
        }
    }
}

/// The sensor rule engine: one state per registered sensor.
#[derive(Clone, Debug, Default)]
pub struct SensorSupervisor {
    config: SensorConfig,
    sensors: HashMap<String, SensorState>,
}

impl SensorSupervisor {
    /// An engine with this configuration and no sensors.
    pub fn new(config: SensorConfig) -> SensorSupervisor {
        SensorSupervisor {
            config,
            sensors: HashMap::new(),
        }
    }

    /// Registers (or re-registers, keeping the rule state) a sensor.
    pub fn register(&mut self, sensor_id: impl Into<String>, info: SensorInfo) {
        match self.sensors.entry(sensor_id.into()) {
            std::collections::hash_map::Entry::Occupied(mut e) => e.get_mut().info = info,
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(SensorState {
                    info,
                    last_at: None,
                    offline: false,
                    main: HysteresisState::default(),
                    main_level: AlarmLevel::Notice,
                    low: HysteresisState::default(),
                    battery: HysteresisState::default(),
                });
            }
        }
    }

    /// The rule state of a registered sensor.
    pub fn rule_state(&self, sensor_id: &str) -> Option<SensorRuleState> {
        self.sensors.get(sensor_id).map(|st| SensorRuleState {
            last_at: st.last_at,
            offline: st.offline,
            main: st.main,
            main_level: st.main_level,
            low: st.low,
            battery: st.battery,
        })
    }

    /// Replaces the rule state of a registered sensor (its settings stay); returns whether it
    /// is registered.
    pub fn set_rule_state(&mut self, sensor_id: &str, state: &SensorRuleState) -> bool {
        let Some(st) = self.sensors.get_mut(sensor_id) else {
            return false;
        };
        st.last_at = state.last_at;
        st.offline = state.offline;
        st.main = state.main;
        st.main_level = state.main_level;
        st.low = state.low;
        st.battery = state.battery;
        true
    }

    /// The ids of the registered sensors, in no order.
    pub fn sensor_ids(&self) -> impl Iterator<Item = &str> {
        self.sensors.keys().map(String::as_str)
    }

    /// Forgets a sensor and its rule state; returns whether it was registered.
    pub fn unregister(&mut self, sensor_id: &str) -> bool {
        self.sensors.remove(sensor_id).is_some()
    }

    /// Whether a sensor is registered.
    pub fn is_registered(&self, sensor_id: &str) -> bool {
        self.sensors.contains_key(sensor_id)
    }

    /// Feeds one sample. Samples of unregistered sensors and samples not newer than the
    /// sensor's last one are ignored.
    pub fn observe(&mut self, sample: &SensorSample) -> Vec<Signal> {
        let mut out = Vec::new();
        let cfg = &self.config;
        let Some(st) = self.sensors.get_mut(&sample.sensor_id) else {
            return out;
        };
        let at = sample.at;
        if st.last_at.is_some_and(|last| at <= last) {
            return out;
        }
        st.last_at = Some(at);
        let key = |rule: &str| AlarmKey::new(SourceKind::Sensor, sample.sensor_id.clone(), rule);
        if st.offline {
            st.offline = false;
            out.push(Signal::Clear(Clear {
                key: key(RULE_OFFLINE),
                at,
            }));
        }
        let v = sample.values;
        let class = st.info.class_for();
        let name = st.info.name.clone();
        let raise = |rule: &str, level, since, message: String, class: Option<String>, detail| {
            Signal::Raise(Raise {
                key: key(rule),
                level,
                at: since,
                message,
                position: st.info.position,
                class_code: class,
                detail,
            })
        };
        let mut main_signals = Vec::new();
        match st.info.kind.clone() {
            SensorKind::ManholeCover => {
                let b = &cfg.cover_tilt_deg;
                let tilt = v.tilt_deg.filter(|t| t.is_finite());
                if tilt.is_some() || v.open.is_some() {
                    let open = v.open == Some(true);
                    let threshold = if st.main.is_active() {
                        b.clear
                    } else {
                        b.raise
                    };
                    let tilted = tilt.is_some_and(|t| t.abs() >= threshold);
                    match st.main.observe(&b.hysteresis, open || tilted, at) {
                        Some(Edge::Raised { since }) => {
                            let what = match (open, tilt) {
                                (true, _) => "井盖被打开".to_owned(),
                                (false, Some(t)) => format!("井盖倾斜 {t:.0}°"),
                                (false, None) => "井盖异常".to_owned(),
                            };
                            main_signals.push(raise(
                                RULE_COVER,
                                AlarmLevel::Severe,
                                since,
                                format!("{name} {what}"),
                                class.clone(),
                                json!({ "tilt_deg": tilt, "open": v.open,
                                        "tilt_limit_deg": b.raise,
                                        "grid_code": st.info.grid_code }),
                            ));
                        }
                        Some(Edge::Cleared { since }) => main_signals.push(Signal::Clear(Clear {
                            key: key(RULE_COVER),
                            at: since,
                        })),
                        None => {}
                    }
                }
            }
            SensorKind::BinFill => {
                if let Some(fill) = v.fill_pct.filter(|f| f.is_finite()) {
                    let b = &cfg.bin_fill_pct;
                    let threshold = if st.main.is_active() {
                        b.clear
                    } else {
                        b.raise
                    };
                    match st.main.observe(&b.hysteresis, fill >= threshold, at) {
                        Some(Edge::Raised { since }) => main_signals.push(raise(
                            RULE_BIN_FULL,
                            AlarmLevel::Warning,
                            since,
                            format!("{name} 垃圾箱满溢 填充 {fill:.0}%"),
                            class.clone(),
                            json!({ "fill_pct": fill, "raise_pct": b.raise,
                                    "grid_code": st.info.grid_code }),
                        )),
                        Some(Edge::Cleared { since }) => main_signals.push(Signal::Clear(Clear {
                            key: key(RULE_BIN_FULL),
                            at: since,
                        })),
                        None => {}
                    }
                }
            }
            SensorKind::Waterlogging => {
                if let Some(depth) = v.depth_cm.filter(|d| d.is_finite()) {
                    let b = &cfg.water_depth_cm;
                    let was_active = st.main.is_active();
                    let threshold = if was_active { b.clear } else { b.raise };
                    let level = if depth >= cfg.water_severe_cm {
                        AlarmLevel::Severe
                    } else {
                        AlarmLevel::Warning
                    };
                    let edge = st.main.observe(&b.hysteresis, depth >= threshold, at);
                    let water_raise = |since, level| {
                        raise(
                            RULE_WATERLOGGING,
                            level,
                            since,
                            format!("{name} 积水深度 {depth:.0} cm"),
                            class.clone(),
                            json!({ "depth_cm": depth, "raise_cm": b.raise,
                                    "severe_cm": cfg.water_severe_cm,
                                    "grid_code": st.info.grid_code }),
                        )
                    };
                    match edge {
                        Some(Edge::Raised { since }) => {
                            st.main_level = level;
                            main_signals.push(water_raise(since, level));
                        }
                        Some(Edge::Cleared { since }) => {
                            st.main_level = AlarmLevel::Notice;
                            main_signals.push(Signal::Clear(Clear {
                                key: key(RULE_WATERLOGGING),
                                at: since,
                            }));
                        }
                        None if was_active && level > st.main_level => {
                            st.main_level = level;
                            main_signals.push(water_raise(at, level));
                        }
                        None => {}
                    }
                }
            }
            SensorKind::Numeric { name: what, unit } => {
                if let Some(value) = v.value.filter(|x| x.is_finite()) {
                    let th = st.info.numeric;
                    let level = st.info.numeric_level;
                    if let Some(high) = th.high {
                        let clear = th.high_clear.unwrap_or(high);
                        let breaking = if st.main.is_active() {
                            value >= clear
                        } else {
                            value >= high
                        };
                        match st.main.observe(&Hysteresis::IMMEDIATE, breaking, at) {
                            Some(Edge::Raised { since }) => main_signals.push(raise(
                                RULE_HIGH,
                                level,
                                since,
                                format!("{name} {what} {value} {unit} 超过上限 {high}"),
                                class.clone(),
                                json!({ "value": value, "unit": unit, "high": high }),
                            )),
                            Some(Edge::Cleared { since }) => {
                                main_signals.push(Signal::Clear(Clear {
                                    key: key(RULE_HIGH),
                                    at: since,
                                }));
                            }
                            None => {}
                        }
                    }
                    if let Some(low) = th.low {
                        let clear = th.low_clear.unwrap_or(low);
                        let breaking = if st.low.is_active() {
                            value <= clear
                        } else {
                            value <= low
                        };
                        match st.low.observe(&Hysteresis::IMMEDIATE, breaking, at) {
                            Some(Edge::Raised { since }) => main_signals.push(raise(
                                RULE_LOW,
                                level,
                                since,
                                format!("{name} {what} {value} {unit} 低于下限 {low}"),
                                class.clone(),
                                json!({ "value": value, "unit": unit, "low": low }),
                            )),
                            Some(Edge::Cleared { since }) => {
                                main_signals.push(Signal::Clear(Clear {
                                    key: key(RULE_LOW),
                                    at: since,
                                }));
                            }
                            None => {}
                        }
                    }
                }
            }
        }

        if let Some(battery) = sample.battery_pct.filter(|b| b.is_finite()) {
            let breaking = if st.battery.is_active() {
                battery < cfg.battery_clear_pct
            } else {
                battery < cfg.battery_low_pct
            };
            match st.battery.observe(&Hysteresis::IMMEDIATE, breaking, at) {
                Some(Edge::Raised { since }) => main_signals.push(raise(
                    RULE_BATTERY_LOW,
                    AlarmLevel::Notice,
                    since,
                    format!("{name} 电量低 {battery:.0}%"),
                    None,
                    json!({ "battery_pct": battery, "low_pct": cfg.battery_low_pct }),
                )),
                Some(Edge::Cleared { since }) => main_signals.push(Signal::Clear(Clear {
                    key: key(RULE_BATTERY_LOW),
                    at: since,
                })),
                None => {}
            }
        }
        out.extend(main_signals);
        out
    }

    /// Raises `sensor.offline` once for every sensor silent longer than its offline limit at
    /// `now` (sensors that never reported are not judged).
    pub fn tick(&mut self, now: Timestamp) -> Vec<Signal> {
        let default_after = self.config.offline_after_ms;
        let mut ids: Vec<String> = self
            .sensors
            .iter()
            .filter(|(_, st)| {
                let after = st.info.offline_after_ms.unwrap_or(default_after);
                !st.offline
                    && st
                        .last_at
                        .is_some_and(|last| now.0.saturating_sub(last.0) > after)
            })
            .map(|(id, _)| id.clone())
            .collect();
        ids.sort();
        let mut out = Vec::new();
        for id in ids {
            let Some(st) = self.sensors.get_mut(&id) else {
                continue;
            };
            let Some(last) = st.last_at else { continue };
            let after = st.info.offline_after_ms.unwrap_or(default_after);
            st.offline = true;
            out.push(Signal::Raise(Raise {
                key: AlarmKey::new(SourceKind::Sensor, id, RULE_OFFLINE),
                level: AlarmLevel::Notice,
                at: Timestamp(last.0.saturating_add(after)),
                message: format!(
                    "{} 传感器离线 (最后数据 {})",
                    st.info.name,
                    last.to_rfc3339()
                ),
                position: st.info.position,
                class_code: None,
                detail: json!({ "last_at": last.0, "offline_after_ms": after }),
            }));
        }
        out
    }
}
