//! AI-camera events: the camera registry, event type → taxonomy class mapping, merging of
//! repeated events into one incident, and the confidence gate.
//!
//! A camera's own AI box detects things (a stall on the pavement, exposed garbage) and posts an
//! event per detection, often one every few seconds for the same stall. [`CameraMerger`] turns
//! that stream into incidents:
//!
//! - an event whose type is not in the mapping table → [`CameraDecision::UnknownType`];
//! - a camera that is not registered, a confidence outside 0–1, or one below
//!   [`CameraConfig::min_confidence`] → [`CameraDecision::Dropped`];
//! - the first event of a camera and class → [`CameraDecision::NewIncident`], raising the alarm
//!   `camera.event:<class>` (e.g. `camera.event:09006`): level Warning with `auto_case` when the
//!   confidence reaches [`CameraConfig::auto_case_confidence`] (a case is filed with the
//!   snapshot), otherwise Notice (an operator confirms first);
//! - further events of the same camera and class while the incident is open (each within
//!   [`CameraConfig::merge_window_ms`] of the previous one — a sliding window, so a stall that
//!   stays all afternoon is one incident) → [`CameraDecision::Merged`]; one that reaches the
//!   auto-case confidence upgrades a Notice incident to Warning (raised again, same key);
//! - [`CameraMerger::tick`] closes incidents with no event for a whole window
//!   ([`Signal::Clear`]).
//!
//! Event types are the camera vendor's names; several types may map to one class, and then
//! merge with each other.

use std::collections::{BTreeMap, HashMap};

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alarm::{AlarmKey, AlarmLevel, Clear, Raise, Signal, SourceKind};

/// The rule id prefix of camera incidents; the class code follows a colon.
pub const RULE_PREFIX: &str = "camera.event";

/// A registered camera.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Camera {
    /// The id the camera's events carry.
    pub id: String,
    /// A name people know (`人民路与太康路口 东向`).
    pub name: String,
    /// Where it stands, WGS-84.
    pub point: Point,
    /// The unit grid it looks at, when known.
    #[serde(default)]
    pub grid_code: Option<String>,
    /// Where it looks, degrees clockwise from north, when known.
    #[serde(default)]
    pub direction_deg: Option<f64>,
}

/// One detection posted by a camera.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CameraEvent {
    /// The camera's id.
    pub camera_id: String,
    /// The vendor's event type (`occupy_road_business`, `占道经营`, …).
    pub event_type: String,
    /// Detection confidence, 0–1.
    pub confidence: f64,
    /// When it was detected (UTC).
    pub at: Timestamp,
    /// A reference to the stored snapshot (attachment id or URL), when one was sent.
    #[serde(default)]
    pub snapshot_ref: Option<String>,
}

/// One row of the event type → class mapping.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EventTypeClass {
    /// The event type, matched without regard to ASCII case.
    pub event_type: String,
    /// Other names of the same type (vendor codes, the Chinese name), matched the same way.
    #[serde(default)]
    pub aliases: Vec<String>,
    /// The GB/T 47678.5-2026 matter class (`09006`).
    pub class_code: String,
    /// The class name, for messages (`占道经营`).
    pub class_name: String,
}

impl EventTypeClass {
    fn new(event_type: &str, alias_zh: &str, class_code: &str) -> EventTypeClass {
        EventTypeClass {
            event_type: event_type.into(),
            aliases: vec![alias_zh.into()],
            class_code: class_code.into(),
            class_name: alias_zh.into(),
        }
    }

    fn matches(&self, event_type: &str) -> bool {
        self.event_type.eq_ignore_ascii_case(event_type)
            || self
                .aliases
                .iter()
                .any(|a| a.eq_ignore_ascii_case(event_type))
    }
}

/// The default mapping; every class is a GB/T 47678.5-2026 matter and its Chinese name is the
/// standard's name.
pub fn default_event_types() -> Vec<EventTypeClass> {
    vec![
        EventTypeClass::new("occupy_road_business", "占道经营", "09006"),
        EventTypeClass::new("out_of_store_business", "店外经营", "09005"),
        EventTypeClass::new("exposed_garbage", "暴露垃圾", "06010"),
        EventTypeClass::new("illegal_parking", "机动车乱停放", "09009"),
        EventTypeClass::new("non_motor_vehicle_parking", "非机动车乱停放", "09010"),
        EventTypeClass::new("garbage_overflow", "垃圾站（箱）满溢", "06042"),
        EventTypeClass::new("street_hanging", "沿街晾挂", "06007"),
        EventTypeClass::new("open_air_barbecue", "露天烧烤", "06029"),
        EventTypeClass::new("burning_garbage", "焚烧垃圾、树叶", "06020"),
        EventTypeClass::new("piled_sundries", "乱堆杂物", "06036"),
        EventTypeClass::new("road_spill", "道路遗撒（洒）", "06014"),
        EventTypeClass::new("unlicensed_vendor", "无照经营游商", "09001"),
    ]
}

/// Merging and gating. Every field has a documented default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct CameraConfig {
    /// Events of one camera and class at most this far apart belong to one incident; an
    /// incident with no event for this long closes. Default 10 min.
    pub merge_window_ms: i64,
    /// At or above this confidence an incident files a case by itself. Default 0.85.
    pub auto_case_confidence: f64,
    /// Below this confidence an event is dropped. Default 0.3.
    pub min_confidence: f64,
    /// How many snapshot references an incident keeps (the first, then the most recent).
    /// Default 5.
    pub max_snapshots: usize,
    /// Event type → class ([`default_event_types`]).
    pub event_types: Vec<EventTypeClass>,
}

impl Default for CameraConfig {
    fn default() -> CameraConfig {
        CameraConfig {
            merge_window_ms: 10 * 60_000,
            auto_case_confidence: 0.85,
            min_confidence: 0.3,
            max_snapshots: 5,
            event_types: default_event_types(),
        }
    }
}

/// Why an event was dropped.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "reason", rename_all = "snake_case")]
pub enum DropReason {
    /// The camera id is not registered.
    UnknownCamera,
    /// The confidence is not a number in 0–1.
    InvalidConfidence,
    /// The confidence is below [`CameraConfig::min_confidence`].
    LowConfidence {
        /// The event's confidence.
        confidence: f64,
        /// The minimum in force.
        min: f64,
    },
}

/// What [`CameraMerger::observe`] decided about one event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "decision", rename_all = "snake_case")]
pub enum CameraDecision {
    /// A new incident was opened.
    NewIncident {
        /// The incident's alarm key.
        key: AlarmKey,
        /// The taxonomy class.
        class_code: String,
        /// Whether it files a case by itself (else an operator confirms it).
        auto_case: bool,
    },
    /// The event joined an open incident.
    Merged {
        /// The incident's alarm key.
        key: AlarmKey,
        /// Events in the incident so far, this one included.
        count: u32,
        /// Whether this event lifted the incident to auto-case.
        upgraded: bool,
    },
    /// The event was dropped.
    Dropped {
        /// Why.
        reason: DropReason,
    },
    /// The event type is not in the mapping table.
    UnknownType,
}

/// An open incident: merged events of one camera and class.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Incident {
    /// Its alarm key.
    pub key: AlarmKey,
    /// The taxonomy class.
    pub class_code: String,
    /// The class name.
    pub class_name: String,
    /// The event type of the first event.
    pub event_type: String,
    /// First event.
    pub first_at: Timestamp,
    /// Latest event.
    pub last_at: Timestamp,
    /// Number of merged events.
    pub count: u32,
    /// Highest confidence seen.
    pub max_confidence: f64,
    /// Confidence of the latest event.
    pub last_confidence: f64,
    /// Whether it files a case by itself.
    pub auto_case: bool,
    /// Snapshot references (the first, then the most recent).
    pub snapshots: Vec<String>,
}

/// What one observed event produced.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The decision about the event.
    pub decision: CameraDecision,
    /// Signals for the alarm store: a Raise for a new or upgraded incident, preceded by the Clear
    /// of an expired incident of the same key that [`CameraMerger::tick`] had not closed yet.
    pub signals: Vec<Signal>,
}

/// The camera registry and incident merger.
#[derive(Clone, Debug, Default)]
pub struct CameraMerger {
    config: CameraConfig,
    cameras: HashMap<String, Camera>,
    incidents: BTreeMap<AlarmKey, Incident>,
}

impl CameraMerger {
    /// A merger with this configuration and no cameras.
    pub fn new(config: CameraConfig) -> CameraMerger {
        CameraMerger {
            config,
            cameras: HashMap::new(),
            incidents: BTreeMap::new(),
        }
    }

    /// Registers or replaces a camera.
    pub fn register(&mut self, camera: Camera) {
        self.cameras.insert(camera.id.clone(), camera);
    }

    /// The registered camera with this id.
    pub fn camera(&self, id: &str) -> Option<&Camera> {
        self.cameras.get(id)
    }

    /// The mapping row of an event type.
    pub fn class_of(&self, event_type: &str) -> Option<&EventTypeClass> {
        self.config
            .event_types
            .iter()
            .find(|row| row.matches(event_type))
    }

    /// The open incident of a key.
    pub fn incident(&self, key: &AlarmKey) -> Option<&Incident> {
        self.incidents.get(key)
    }

    /// Open incidents, in key order.
    pub fn incidents(&self) -> impl Iterator<Item = &Incident> {
        self.incidents.values()
    }

    /// Takes one event.
    pub fn observe(&mut self, ev: &CameraEvent) -> Observed {
        let mut signals = Vec::new();
        let Some(row) = self.class_of(&ev.event_type).cloned() else {
            return Observed {
                decision: CameraDecision::UnknownType,
                signals,
            };
        };
        let dropped = |reason| Observed {
            decision: CameraDecision::Dropped { reason },
            signals: Vec::new(),
        };
        if !self.cameras.contains_key(&ev.camera_id) {
            return dropped(DropReason::UnknownCamera);
        }
        if !(0.0..=1.0).contains(&ev.confidence) {
            return dropped(DropReason::InvalidConfidence);
        }
        if ev.confidence < self.config.min_confidence {
            return dropped(DropReason::LowConfidence {
                confidence: ev.confidence,
                min: self.config.min_confidence,
            });
        }
        let key = AlarmKey::new(
            SourceKind::Camera,
            ev.camera_id.clone(),
            format!("{RULE_PREFIX}:{}", row.class_code),
        );
        let window = self.config.merge_window_ms;
        let auto = ev.confidence >= self.config.auto_case_confidence;
        let max_snapshots = self.config.max_snapshots;

        if let Some(inc) = self.incidents.get_mut(&key) {
            if ev.at.0.saturating_sub(inc.last_at.0) <= window {
                inc.count = inc.count.saturating_add(1);
                inc.last_at = inc.last_at.max(ev.at);
                inc.last_confidence = ev.confidence;
                inc.max_confidence = inc.max_confidence.max(ev.confidence);
                if let Some(s) = &ev.snapshot_ref {
                    push_snapshot(&mut inc.snapshots, s, max_snapshots);
                }
                let upgraded = auto && !inc.auto_case;
                let count = inc.count;
                if upgraded {
                    inc.auto_case = true;
                    if let Some(raise) = self.raise_for(&key) {
                        signals.push(Signal::Raise(raise));
                    }
                }
                return Observed {
                    decision: CameraDecision::Merged {
                        key,
                        count,
                        upgraded,
                    },
                    signals,
                };
            }
            // The window passed without a tick: close the old incident first.
            let closed_at = Timestamp(inc.last_at.0.saturating_add(window));
            self.incidents.remove(&key);
            signals.push(Signal::Clear(Clear {
                key: key.clone(),
                at: closed_at,
            }));
        }

        let mut snapshots = Vec::new();
        if let Some(s) = &ev.snapshot_ref {
            push_snapshot(&mut snapshots, s, max_snapshots);
        }
        self.incidents.insert(
            key.clone(),
            Incident {
                key: key.clone(),
                class_code: row.class_code.clone(),
                class_name: row.class_name.clone(),
                event_type: ev.event_type.clone(),
                first_at: ev.at,
                last_at: ev.at,
                count: 1,
                max_confidence: ev.confidence,
                last_confidence: ev.confidence,
                auto_case: auto,
                snapshots,
            },
        );
        if let Some(raise) = self.raise_for(&key) {
            signals.push(Signal::Raise(raise));
        }
        Observed {
            decision: CameraDecision::NewIncident {
                key,
                class_code: row.class_code,
                auto_case: auto,
            },
            signals,
        }
    }

    /// The Raise describing an open incident now: level Warning when it files a case by itself,
    /// Notice when an operator must confirm it; the detail carries the confidences, the count
    /// and the snapshot references.
    pub fn raise_for(&self, key: &AlarmKey) -> Option<Raise> {
        let inc = self.incidents.get(key)?;
        let cam = self.cameras.get(&key.source_id)?;
        let (level, tail) = if inc.auto_case {
            (AlarmLevel::Warning, "")
        } else {
            (AlarmLevel::Notice, " 待人工确认")
        };
        Some(Raise {
            key: key.clone(),
            level,
            at: inc.first_at,
            message: format!(
                "{} 识别到{} (置信度 {:.2}){tail}",
                cam.name, inc.class_name, inc.max_confidence
            ),
            position: Some(cam.point),
            class_code: Some(inc.class_code.clone()),
            detail: json!({
                "camera_id": cam.id,
                "camera_name": cam.name,
                "grid_code": cam.grid_code,
                "direction_deg": cam.direction_deg,
                "event_type": inc.event_type,
                "class_name": inc.class_name,
                "confidence": inc.last_confidence,
                "max_confidence": inc.max_confidence,
                "count": inc.count,
                "first_at": inc.first_at.0,
                "last_at": inc.last_at.0,
                "auto_case": inc.auto_case,
                "snapshots": inc.snapshots,
            }),
        })
    }

    /// Closes every incident with no event for a whole merge window before `now`.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Signal> {
        let window = self.config.merge_window_ms;
        let expired: Vec<AlarmKey> = self
            .incidents
            .iter()
            .filter(|(_, inc)| now.0.saturating_sub(inc.last_at.0) > window)
            .map(|(k, _)| k.clone())
            .collect();
        let mut out = Vec::with_capacity(expired.len());
        for key in expired {
            if let Some(inc) = self.incidents.remove(&key) {
                out.push(Signal::Clear(Clear {
                    key,
                    at: Timestamp(inc.last_at.0.saturating_add(window)),
                }));
            }
        }
        out
    }
}

/// Keeps the first snapshot and the most recent ones, at most `max` in all, without repeats.
fn push_snapshot(snapshots: &mut Vec<String>, s: &str, max: usize) {
    if max == 0 || snapshots.iter().any(|x| x == s) {
        return;
    }
    if snapshots.len() >= max {
        // Drop the oldest after the first.
        let drop_at = if max > 1 { 1 } else { 0 };
        snapshots.remove(drop_at);
    }
    snapshots.push(s.to_owned());
}
