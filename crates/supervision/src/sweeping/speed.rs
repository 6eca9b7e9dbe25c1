//! Working-speed compliance as an alarm: a sweeper sweeping faster than the working band
//! 作业超速 (brushes down at travel speed sweep nothing and throw dust).
//!
//! [`SweepSpeedRule::observe`] takes each sweeper's live fixes in time order. A fix **breaks**
//! the rule when the sweeper is working ([`SweepingOn`]) and its reported speed is above
//! [`SweepSpeedConfig::max_speed_kmh`] (the upper end of the working band of
//! [`super::SweepConfig`], 20 km/h by default); it satisfies the rule when the sweeper is not
//! working or at most [`SweepSpeedConfig::clear_below_kmh`] fast (a value band, so a sweeper
//! hovering at the limit does not flap). The [`Hysteresis`] (default: 60 s and 3 fixes to raise,
//! 120 s and 3 fixes to clear) turns the breaking fixes into one alarm [`RULE_OVERSPEED`]
//! (level warning) on the vehicle ([`SourceKind::Vehicle`], its terminal phone), cleared by
//! the rule. A gap longer than [`SweepSpeedConfig::max_gap_ms`] restarts a pending run, so two
//! short bursts far apart are not added together.
//!
//! The alarm names no taxonomy class: sweeping too fast is a breach of the sanitation contract
//! counted against the operator, not a matter on the street; it files no case.
//!
//! # When is a sweeper working
//!
//! Over-speed is judged only while the sweeper works. With a terminal signal
//! ([`SweepingOn::StatusBit`], [`SweepingOn::IoStatusBit`] for item 0x2A, a vendor item) the
//! signal decides. Without one ([`SweepingOn::Inferred`], the default) the state is inferred
//! from the track ([`super::work`]): the sweeper must have kept sweeping pace along roads that
//! need sweeping for a while (map-matched over the roads given by [`SweepSpeedRule::set_roads`];
//! without roads nothing is inferred working), and transit faster than 30 km/h is never
//! working — so a sweeper driving to its depot raises nothing, while one that sweeps and then
//! speeds up to 25 km/h on its road does. [`SweepingOn::Always`] keeps the old behaviour: every
//! fix is working, travel above the band included.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use domain::time::Timestamp;
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::work::{WorkInference, WorkState};
use super::{RequiredPasses, RoadIndex, SweepingOn};
use crate::alarm::{
    AlarmKey, AlarmLevel, Clear, Edge, Hysteresis, HysteresisState, Raise, Signal, SourceKind,
};
use crate::vehicle::Fix;

/// Rule id of a sweeper sweeping faster than the working band.
pub const RULE_OVERSPEED: &str = "sweeping.overspeed";

/// Fixes kept per sweeper for the alarm's track snippet.
const TRACK_POINTS: usize = 10;

/// Settings of [`SweepSpeedRule`]. Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepSpeedConfig {
    /// Working faster than this breaks the rule, km/h (default 20).
    pub max_speed_kmh: f64,
    /// Working at most this fast satisfies it again, km/h (default 18).
    pub clear_below_kmh: f64,
    /// How long and how many fixes make and end an alarm.
    pub hysteresis: Hysteresis,
    /// Two fixes further apart restart a pending run, ms (default 120,000).
    pub max_gap_ms: i64,
    /// How "sweeping" is detected (default: inferred from the track).
    pub sweeping_on: SweepingOn,
    /// The inference's settings (with [`SweepingOn::Inferred`]).
    pub inference: WorkInference,
    /// Passes a road needs by class: roads needing none are not swept (for the inference).
    pub required_passes: RequiredPasses,
}

impl Default for SweepSpeedConfig {
    fn default() -> SweepSpeedConfig {
        SweepSpeedConfig {
            max_speed_kmh: 20.0,
            clear_below_kmh: 18.0,
            hysteresis: Hysteresis {
                raise_after_ms: 60_000,
                raise_samples: 3,
                clear_after_ms: 120_000,
                clear_samples: 3,
            },
            max_gap_ms: 120_000,
            sweeping_on: SweepingOn::Inferred,
            inference: WorkInference::default(),
            required_passes: RequiredPasses::default(),
        }
    }
}

#[derive(Clone, Debug, Default)]
struct Sweeper {
    plate: Option<String>,
    last_at: Option<Timestamp>,
    state: HysteresisState,
    /// Highest speed of the current breaking run, km/h.
    peak_kmh: f64,
    track: VecDeque<(Timestamp, f64, f64, f64)>,
    /// Inferred working state ([`SweepingOn::Inferred`]).
    work: WorkState,
}

/// Per-sweeper state of the working-speed rule (see the module docs).
#[derive(Debug, Default)]
pub struct SweepSpeedRule {
    config: SweepSpeedConfig,
    sweepers: HashMap<String, Sweeper>,
    /// The city's roads, for the inferred working state.
    roads: Option<Arc<RoadIndex>>,
}

impl SweepSpeedRule {
    /// A rule with these settings and no sweepers yet.
    pub fn new(config: SweepSpeedConfig) -> SweepSpeedRule {
        SweepSpeedRule {
            config,
            sweepers: HashMap::new(),
            roads: None,
        }
    }

    /// Sets the roads the working state is inferred on (see the module docs).
    pub fn set_roads(&mut self, roads: Arc<RoadIndex>) {
        self.roads = Some(roads);
    }

    /// Whether the fix lies on a road that needs sweeping.
    fn on_sweep_road(&self, fix: &Fix) -> bool {
        let Some(index) = &self.roads else {
            return false;
        };
        let cfg = &self.config;
        index
            .match_point(
                fix.point,
                cfg.inference.match_distance_m,
                (fix.speed_kmh >= cfg.inference.min_pace_kmh).then_some(f64::from(fix.heading)),
                45.0,
            )
            .and_then(|m| index.roads().get(m.road))
            .is_some_and(|r| cfg.required_passes.of(r.class) > 0)
    }

    /// The settings.
    pub fn config(&self) -> &SweepSpeedConfig {
        &self.config
    }

    /// Sets the plates shown in messages, by terminal phone (state of every sweeper is kept).
    pub fn set_plates(&mut self, plates: impl IntoIterator<Item = (String, Option<String>)>) {
        for (phone, plate) in plates {
            self.sweepers.entry(phone).or_default().plate = plate;
        }
    }

    /// Feeds one live fix (in time order per sweeper). Invalid, unlocated and not newer fixes
    /// are ignored.
    pub fn observe(&mut self, fix: &Fix) -> Vec<Signal> {
        if !fix.located() || !fix.speed_kmh.is_finite() || !fix.point.lat.is_finite() {
            return Vec::new();
        }
        let inferred = self.config.sweeping_on == SweepingOn::Inferred;
        let on_road = inferred && self.on_sweep_road(fix);
        let cfg = &self.config;
        let v = self.sweepers.entry(fix.phone.clone()).or_default();
        if v.last_at.is_some_and(|l| l >= fix.at) {
            return Vec::new();
        }
        if v.last_at
            .is_some_and(|l| fix.at.0.saturating_sub(l.0) > cfg.max_gap_ms)
        {
            v.state.reset_run();
            v.work.reset();
        }
        v.last_at = Some(fix.at);
        v.track
            .push_back((fix.at, fix.point.lon, fix.point.lat, fix.speed_kmh));
        while v.track.len() > TRACK_POINTS {
            v.track.pop_front();
        }
        let working = if inferred {
            v.work.step(&cfg.inference, fix.at, fix.speed_kmh, on_road)
        } else {
            cfg.sweeping_on.is_on(fix)
        };
        let breaking = if v.state.is_active() {
            working && fix.speed_kmh > cfg.clear_below_kmh
        } else {
            working && fix.speed_kmh > cfg.max_speed_kmh
        };
        if breaking {
            v.peak_kmh = v.peak_kmh.max(fix.speed_kmh);
        } else if !v.state.is_active() {
            v.peak_kmh = 0.0;
        }
        let key = AlarmKey::new(SourceKind::Vehicle, fix.phone.clone(), RULE_OVERSPEED);
        match v.state.observe(&cfg.hysteresis, breaking, fix.at) {
            Some(Edge::Raised { since }) => {
                let plate = v.plate.clone().unwrap_or_else(|| fix.phone.clone());
                let track: Vec<_> = v
                    .track
                    .iter()
                    .map(|(t, lon, lat, s)| json!({"t": t.0, "lon": lon, "lat": lat, "speed_kmh": s}))
                    .collect();
                vec![Signal::Raise(Raise {
                    key,
                    level: AlarmLevel::Warning,
                    at: since,
                    message: format!(
                        "{plate} 清扫作业超速：{:.0} km/h（作业车速上限 {:.0} km/h）",
                        v.peak_kmh, cfg.max_speed_kmh
                    ),
                    position: Some(fix.point),
                    class_code: None,
                    detail: json!({
                        "rule": RULE_OVERSPEED,
                        "speed_kmh": fix.speed_kmh,
                        "peak_speed_kmh": v.peak_kmh,
                        "limit_kmh": cfg.max_speed_kmh,
                        "working": if inferred { "inferred" } else if cfg.sweeping_on.has_signal() { "signal" } else { "always" },
                        "since_ms": since.0,
                        "track": track,
                    }),
                })]
            }
            Some(Edge::Cleared { since }) => {
                v.peak_kmh = 0.0;
                vec![Signal::Clear(Clear { key, at: since })]
            }
            None => Vec::new(),
        }
    }
}
