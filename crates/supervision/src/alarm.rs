//! The alarm model shared by vehicles, monitors, sensors and cameras.
//!
//! A rule engine emits [`Signal`]s. A [`Signal::Raise`] for a key that already has an open alarm
//! is a repeat, not a new alarm: the store keeps one open alarm per [`AlarmKey::open_key`] and
//! only refreshes it. A [`Signal::Clear`] closes the open alarm of its key (if any).
//!
//! The lifecycle of a stored alarm is [`AlarmState`]: raised → acknowledged → linked to a case →
//! cleared, where acknowledging and linking are optional steps (an alarm may clear straight from
//! raised, and a case may be linked without an acknowledgement first).

use std::fmt;

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};

/// What kind of thing an alarm is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SourceKind {
    /// A vehicle with a JT/T 808 terminal; the id is the terminal phone (trimmed).
    Vehicle,
    /// An HJ 212 monitor (fume, dust, noise); the id is its MN.
    Monitor,
    /// An MQTT sensor; the id is its sensor id.
    Sensor,
    /// An AI camera; the id is the camera id.
    Camera,
    /// A garbage transfer station 垃圾中转站; the id is the station id.
    Station,
    /// A garbage collection point 收集点; the id is the point id.
    CollectionPoint,
}

impl SourceKind {
    /// Every kind, in declaration order.
    pub const ALL: [SourceKind; 6] = [
        SourceKind::Vehicle,
        SourceKind::Monitor,
        SourceKind::Sensor,
        SourceKind::Camera,
        SourceKind::Station,
        SourceKind::CollectionPoint,
    ];

    /// The stable lower-case name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            SourceKind::Vehicle => "vehicle",
            SourceKind::Monitor => "monitor",
            SourceKind::Sensor => "sensor",
            SourceKind::Camera => "camera",
            SourceKind::Station => "station",
            SourceKind::CollectionPoint => "collection_point",
        }
    }

    /// Parses [`SourceKind::as_str`].
    pub fn parse(s: &str) -> Option<SourceKind> {
        SourceKind::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// How serious an alarm is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmLevel {
    /// 提示 — worth a look, never files a case by itself.
    Notice,
    /// 预警 — a rule is broken; files a case where the rule names a class.
    Warning,
    /// 严重 — a serious breach (e.g. dumping); files a case at once.
    Severe,
}

impl AlarmLevel {
    /// Every level, least serious first.
    pub const ALL: [AlarmLevel; 3] = [AlarmLevel::Notice, AlarmLevel::Warning, AlarmLevel::Severe];

    /// The stable lower-case name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmLevel::Notice => "notice",
            AlarmLevel::Warning => "warning",
            AlarmLevel::Severe => "severe",
        }
    }

    /// Parses [`AlarmLevel::as_str`].
    pub fn parse(s: &str) -> Option<AlarmLevel> {
        AlarmLevel::ALL.into_iter().find(|l| l.as_str() == s)
    }

    /// The Chinese label shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            AlarmLevel::Notice => "提示",
            AlarmLevel::Warning => "预警",
            AlarmLevel::Severe => "严重",
        }
    }
}

/// Identifies one rule on one source: at most one alarm per key is open at a time.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct AlarmKey {
    /// What the alarm is about.
    pub source_kind: SourceKind,
    /// The source's id (terminal phone, MN, sensor id, camera id, station id).
    pub source_id: String,
    /// The rule's stable id, `family.rule` (e.g. `muck.off_route`, `fume.exceedance`).
    /// Rules that can be open several times on one source at once (a camera's event types, a
    /// monitor's factors) put the distinguishing part after a colon: `camera.event:09006`.
    pub rule: String,
}

impl AlarmKey {
    /// A key from its parts.
    pub fn new(
        source_kind: SourceKind,
        source_id: impl Into<String>,
        rule: impl Into<String>,
    ) -> AlarmKey {
        AlarmKey {
            source_kind,
            source_id: source_id.into(),
            rule: rule.into(),
        }
    }

    /// The deduplication key stored with an open alarm: `kind|source_id|rule`.
    pub fn open_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.source_kind.as_str(),
            self.source_id,
            self.rule
        )
    }
}

impl fmt::Display for AlarmKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.open_key())
    }
}

/// A rule has started to be broken (or is still broken).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Raise {
    /// Which rule on which source.
    pub key: AlarmKey,
    /// How serious it is.
    pub level: AlarmLevel,
    /// When the breach began (the first observation that broke the rule, not the one that
    /// confirmed it after the hysteresis).
    pub at: Timestamp,
    /// One line for people, in Chinese (e.g. `豫A12345 偏离核准路线 320 m`).
    pub message: String,
    /// Where it happened, WGS-84, when known.
    pub position: Option<Point>,
    /// The taxonomy class a case should be filed in (e.g. `06014` 道路遗撒), when the rule
    /// files cases at all.
    pub class_code: Option<String>,
    /// Rule-specific evidence (measured values, thresholds, a track snippet, a reading series),
    /// kept as JSON with units in the field names (`distance_m`, `speed_kmh`, `mg_m3`).
    pub detail: serde_json::Value,
}

/// A rule is no longer broken.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Clear {
    /// Which rule on which source.
    pub key: AlarmKey,
    /// When the rule was last seen satisfied long enough to clear.
    pub at: Timestamp,
}

/// What a rule engine tells the caller.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "signal", rename_all = "snake_case")]
pub enum Signal {
    /// Open (or refresh) the alarm of this key.
    Raise(Raise),
    /// Close the open alarm of this key.
    Clear(Clear),
}

impl Signal {
    /// The key the signal is about.
    pub fn key(&self) -> &AlarmKey {
        match self {
            Signal::Raise(r) => &r.key,
            Signal::Clear(c) => &c.key,
        }
    }
}

/// Where a stored alarm is in its lifecycle.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmState {
    /// 已报警 — open, nobody has looked at it yet.
    Raised,
    /// 已确认 — an operator has seen it.
    Acknowledged,
    /// 已立案 — a case was raised from it (the alarm stays open until the rule clears).
    Linked,
    /// 已解除 — closed: the rule is satisfied again, or an operator dismissed it.
    Cleared,
}

/// What may be done to a stored alarm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AlarmAction {
    /// An operator has seen it.
    Acknowledge,
    /// A case was raised from it.
    Link,
    /// The rule is satisfied again, or an operator dismissed it.
    Clear,
}

/// An action the alarm's state does not allow.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("an alarm that is {state} cannot be {action}")]
pub struct AlarmTransitionError {
    /// The state the alarm was in ([`AlarmState::as_str`]).
    pub state: &'static str,
    /// What was tried (`acknowledged`, `linked`, `cleared`).
    pub action: &'static str,
}

impl AlarmState {
    /// Every state, in lifecycle order.
    pub const ALL: [AlarmState; 4] = [
        AlarmState::Raised,
        AlarmState::Acknowledged,
        AlarmState::Linked,
        AlarmState::Cleared,
    ];

    /// The stable lower-case name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmState::Raised => "raised",
            AlarmState::Acknowledged => "acknowledged",
            AlarmState::Linked => "linked",
            AlarmState::Cleared => "cleared",
        }
    }

    /// Parses [`AlarmState::as_str`].
    pub fn parse(s: &str) -> Option<AlarmState> {
        AlarmState::ALL.into_iter().find(|st| st.as_str() == s)
    }

    /// The Chinese label shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            AlarmState::Raised => "已报警",
            AlarmState::Acknowledged => "已确认",
            AlarmState::Linked => "已立案",
            AlarmState::Cleared => "已解除",
        }
    }

    /// Whether the alarm still holds its open key (everything but cleared).
    pub fn is_open(self) -> bool {
        self != AlarmState::Cleared
    }

    /// The state after `action`.
    ///
    /// Acknowledge: only from raised. Link: from raised or acknowledged (once). Clear: from any
    /// open state.
    ///
    /// # Errors
    /// The action does not apply to this state.
    pub fn apply(self, action: AlarmAction) -> Result<AlarmState, AlarmTransitionError> {
        let next = match (self, action) {
            (AlarmState::Raised, AlarmAction::Acknowledge) => Some(AlarmState::Acknowledged),
            (AlarmState::Raised | AlarmState::Acknowledged, AlarmAction::Link) => {
                Some(AlarmState::Linked)
            }
            (s, AlarmAction::Clear) if s.is_open() => Some(AlarmState::Cleared),
            _ => None,
        };
        next.ok_or(AlarmTransitionError {
            state: self.as_str(),
            action: match action {
                AlarmAction::Acknowledge => "acknowledged",
                AlarmAction::Link => "linked",
                AlarmAction::Clear => "cleared",
            },
        })
    }
}

impl fmt::Display for AlarmState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a condition becomes an alarm and when it stops being one.
///
/// A condition must hold for at least `raise_after_ms` **and** at least `raise_samples`
/// consecutive observations before it raises; a raised condition must be false for at least
/// `clear_after_ms` and `clear_samples` consecutive observations before it clears. Numeric rules
/// add a value band on top (raise above one threshold, count as satisfied only below a lower
/// one) by computing the condition with [`HysteresisState::is_active`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Hysteresis {
    /// Milliseconds the condition must hold before raising (0 = at once).
    pub raise_after_ms: i64,
    /// Consecutive observations that must break the rule before raising (at least 1).
    pub raise_samples: u32,
    /// Milliseconds the condition must be false before clearing (0 = at once).
    pub clear_after_ms: i64,
    /// Consecutive satisfied observations needed before clearing (at least 1).
    pub clear_samples: u32,
}

impl Hysteresis {
    /// Raise and clear on the first observation.
    pub const IMMEDIATE: Hysteresis = Hysteresis {
        raise_after_ms: 0,
        raise_samples: 1,
        clear_after_ms: 0,
        clear_samples: 1,
    };
}

impl Default for Hysteresis {
    fn default() -> Hysteresis {
        Hysteresis::IMMEDIATE
    }
}

/// A change reported by [`HysteresisState::observe`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Edge {
    /// The condition is now an alarm; it began at `since` (the first breaking observation).
    Raised {
        /// The first observation of the run that raised.
        since: Timestamp,
    },
    /// The condition is no longer an alarm; it was satisfied from `since`.
    Cleared {
        /// The first satisfied observation of the run that cleared.
        since: Timestamp,
    },
}

/// The per-source, per-rule state of a [`Hysteresis`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct HysteresisState {
    active: bool,
    /// First observation of the current run of observations that disagree with `active`.
    run_since: Option<Timestamp>,
    /// Length of that run.
    run_samples: u32,
}

impl HysteresisState {
    /// Whether the condition is currently an alarm.
    pub fn is_active(&self) -> bool {
        self.active
    }

    /// Feeds one observation (`breaking` = the rule is broken now) taken at `at`; observations
    /// must come in time order. Returns the edge when the alarm state changes.
    pub fn observe(&mut self, cfg: &Hysteresis, breaking: bool, at: Timestamp) -> Option<Edge> {
        if breaking == self.active {
            self.run_since = None;
            self.run_samples = 0;
            return None;
        }
        let since = *self.run_since.get_or_insert(at);
        self.run_samples = self.run_samples.saturating_add(1);
        let (needed_ms, needed_samples) = if breaking {
            (cfg.raise_after_ms, cfg.raise_samples.max(1))
        } else {
            (cfg.clear_after_ms, cfg.clear_samples.max(1))
        };
        if at.0.saturating_sub(since.0) >= needed_ms && self.run_samples >= needed_samples {
            self.active = breaking;
            self.run_since = None;
            self.run_samples = 0;
            Some(if breaking {
                Edge::Raised { since }
            } else {
                Edge::Cleared { since }
            })
        } else {
            None
        }
    }

    /// Forgets a pending run without changing the alarm state (e.g. after a data gap longer than
    /// the rule tolerates, so that two separate breaches are not added together).
    pub fn reset_run(&mut self) {
        self.run_since = None;
        self.run_samples = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(min: i64) -> Timestamp {
        Timestamp(1_700_000_000_000 + min * 60_000)
    }

    #[test]
    fn open_key_names_kind_source_and_rule() {
        let k = AlarmKey::new(SourceKind::Vehicle, "13800001111", "muck.off_route");
        assert_eq!(k.open_key(), "vehicle|13800001111|muck.off_route");
    }

    #[test]
    fn names_round_trip() {
        for k in SourceKind::ALL {
            assert_eq!(SourceKind::parse(k.as_str()), Some(k));
        }
        for l in AlarmLevel::ALL {
            assert_eq!(AlarmLevel::parse(l.as_str()), Some(l));
        }
        for s in AlarmState::ALL {
            assert_eq!(AlarmState::parse(s.as_str()), Some(s));
        }
        assert_eq!(SourceKind::parse("truck"), None);
    }

    #[test]
    fn lifecycle_allows_only_forward_steps() {
        use AlarmAction::*;
        use AlarmState::*;
        assert_eq!(Raised.apply(Acknowledge), Ok(Acknowledged));
        assert_eq!(Raised.apply(Link), Ok(Linked));
        assert_eq!(Acknowledged.apply(Link), Ok(Linked));
        assert_eq!(Linked.apply(Clear), Ok(Cleared));
        assert_eq!(Raised.apply(Clear), Ok(Cleared));
        assert!(Acknowledged.apply(Acknowledge).is_err());
        assert!(Linked.apply(Link).is_err());
        assert!(Linked.apply(Acknowledge).is_err());
        let err = Cleared.apply(Clear).unwrap_err();
        assert_eq!(
            err.to_string(),
            "an alarm that is cleared cannot be cleared"
        );
    }

    #[test]
    fn raises_after_duration_and_samples_and_reports_the_start() {
        let cfg = Hysteresis {
            raise_after_ms: 5 * 60_000,
            raise_samples: 3,
            clear_after_ms: 2 * 60_000,
            clear_samples: 1,
        };
        let mut s = HysteresisState::default();
        assert_eq!(s.observe(&cfg, true, t(0)), None);
        assert_eq!(s.observe(&cfg, true, t(1)), None);
        // three samples but only 4 minutes
        assert_eq!(s.observe(&cfg, true, t(4)), None);
        assert_eq!(
            s.observe(&cfg, true, t(5)),
            Some(Edge::Raised { since: t(0) })
        );
        assert!(s.is_active());
        // still breaking: no new edge
        assert_eq!(s.observe(&cfg, true, t(6)), None);
        // one good sample is not enough time
        assert_eq!(s.observe(&cfg, false, t(7)), None);
        // breaking again restarts the clear run
        assert_eq!(s.observe(&cfg, true, t(8)), None);
        assert_eq!(s.observe(&cfg, false, t(9)), None);
        assert_eq!(
            s.observe(&cfg, false, t(11)),
            Some(Edge::Cleared { since: t(9) })
        );
        assert!(!s.is_active());
    }

    #[test]
    fn an_interrupted_run_does_not_raise() {
        let cfg = Hysteresis {
            raise_after_ms: 3 * 60_000,
            raise_samples: 1,
            ..Hysteresis::IMMEDIATE
        };
        let mut s = HysteresisState::default();
        assert_eq!(s.observe(&cfg, true, t(0)), None);
        assert_eq!(s.observe(&cfg, true, t(2)), None);
        assert_eq!(s.observe(&cfg, false, t(3)), None);
        assert_eq!(s.observe(&cfg, true, t(4)), None);
        assert_eq!(s.observe(&cfg, true, t(6)), None);
        assert_eq!(
            s.observe(&cfg, true, t(7)),
            Some(Edge::Raised { since: t(4) })
        );
    }

    #[test]
    fn immediate_raises_and_clears_on_first_observation() {
        let mut s = HysteresisState::default();
        let cfg = Hysteresis::IMMEDIATE;
        assert_eq!(s.observe(&cfg, false, t(0)), None);
        assert_eq!(
            s.observe(&cfg, true, t(1)),
            Some(Edge::Raised { since: t(1) })
        );
        assert_eq!(
            s.observe(&cfg, false, t(2)),
            Some(Edge::Cleared { since: t(2) })
        );
    }
}
