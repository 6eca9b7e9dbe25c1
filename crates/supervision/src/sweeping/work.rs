//! A sweeper's working state 作业状态 inferred from its track when the terminal reports none
//! ([`super::SweepingOn::Inferred`]).
//!
//! Without a brush or pump signal a sweeper is taken to be **working** once it has moved at
//! sweeping pace (between [`WorkInference::min_pace_kmh`] and [`WorkInference::max_pace_kmh`])
//! along roads that need sweeping ([`super::RequiredPasses`] above 0 for the road's class, the
//! fix map-matched within [`WorkInference::match_distance_m`]) for at least
//! [`WorkInference::sustain_s`]. It stays working while it keeps to such roads below
//! [`WorkInference::transit_speed_kmh`] — so sweeping faster than the working band is still
//! sweeping and the over-speed rule sees it — and stops working:
//!
//! - at once on a fix faster than the transit speed (driving to the depot or a disposal site
//!   is transit 转场, not sweeping);
//! - after [`WorkInference::leave_after_s`] off the roads that need sweeping (depot yards,
//!   side streets not in the plan); a short stretch off them (a junction, a bad fix) does not
//!   end the work;
//! - after a gap in the track (the caller resets the state).
//!
//! A sweeper that leaves its depot and drives at 25 km/h never becomes working: it never kept
//! sweeping pace for the sustain time. The inference cannot tell a sweeper that drives slowly
//! along a planned road with its brushes up from one sweeping; a terminal signal can, and then
//! takes precedence (configure [`super::SweepingOn`]).

use domain::time::Timestamp;
use serde::{Deserialize, Serialize};

/// Settings of the inference. Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct WorkInference {
    /// Slowest sweeping pace, km/h (default 2): slower fixes neither start nor end the pace.
    pub min_pace_kmh: f64,
    /// Fastest sweeping pace, km/h (default 15).
    pub max_pace_kmh: f64,
    /// Sweeping pace on roads that need sweeping this long makes the sweeper working, seconds
    /// (default 60).
    pub sustain_s: f64,
    /// Faster than this is transit, never working, km/h (default 30).
    pub transit_speed_kmh: f64,
    /// Off the roads that need sweeping this long ends the work, seconds (default 60).
    pub leave_after_s: f64,
    /// A fix farther than this from every road is off the roads, metres (default 25).
    pub match_distance_m: f64,
}

impl Default for WorkInference {
    fn default() -> WorkInference {
        WorkInference {
            min_pace_kmh: 2.0,
            max_pace_kmh: 15.0,
            sustain_s: 60.0,
            transit_speed_kmh: 30.0,
            leave_after_s: 60.0,
            match_distance_m: 25.0,
        }
    }
}

/// One sweeper's inferred working state.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct WorkState {
    working: bool,
    /// Start of the current stretch at sweeping pace on roads that need sweeping.
    pace_since: Option<Timestamp>,
    /// Start of the current stretch off those roads while working.
    off_since: Option<Timestamp>,
}

impl WorkState {
    /// Whether the sweeper is working after the last fix.
    pub fn working(&self) -> bool {
        self.working
    }

    /// Forgets everything (after a gap in the track).
    pub fn reset(&mut self) {
        *self = WorkState::default();
    }

    /// Feeds one fix: its instant, speed and whether it lies on a road that needs sweeping.
    /// Returns whether the sweeper is working at it.
    pub fn step(
        &mut self,
        cfg: &WorkInference,
        at: Timestamp,
        speed_kmh: f64,
        on_sweep_road: bool,
    ) -> bool {
        if !speed_kmh.is_finite() || speed_kmh > cfg.transit_speed_kmh {
            self.reset();
            return false;
        }
        let held = |since: Timestamp, s: f64| (at.0.saturating_sub(since.0)) as f64 >= s * 1000.0;
        if !on_sweep_road {
            self.pace_since = None;
            if self.working {
                let since = *self.off_since.get_or_insert(at);
                if held(since, cfg.leave_after_s) {
                    self.reset();
                }
            }
            return self.working;
        }
        self.off_since = None;
        if self.working {
            return true;
        }
        if speed_kmh > cfg.max_pace_kmh {
            self.pace_since = None;
        } else if speed_kmh >= cfg.min_pace_kmh || self.pace_since.is_some() {
            let since = *self.pace_since.get_or_insert(at);
            if held(since, cfg.sustain_s) {
                self.working = true;
                self.pace_since = None;
            }
        }
        self.working
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> Timestamp {
        Timestamp(s * 1000)
    }

    #[test]
    fn pace_sustained_on_a_planned_road_starts_the_work_and_transit_ends_it() {
        let cfg = WorkInference::default();
        let mut w = WorkState::default();
        assert!(!w.step(&cfg, t(0), 10.0, true));
        assert!(!w.step(&cfg, t(30), 10.0, true));
        assert!(w.step(&cfg, t(60), 10.0, true));
        // Faster than the band but below transit: still working.
        assert!(w.step(&cfg, t(80), 25.0, true));
        // Off the road for less than a minute: still working; a minute: not.
        assert!(w.step(&cfg, t(100), 10.0, false));
        assert!(w.step(&cfg, t(140), 10.0, false));
        assert!(!w.step(&cfg, t(160), 10.0, false));
        // Back on the road it has to keep the pace again.
        assert!(!w.step(&cfg, t(180), 10.0, true));
        assert!(w.step(&cfg, t(240), 10.0, true));
        // Transit speed ends it at once.
        assert!(!w.step(&cfg, t(260), 35.0, true));
        assert!(!w.step(&cfg, t(280), 25.0, true));
    }

    #[test]
    fn driving_out_of_the_depot_at_25_never_works() {
        let cfg = WorkInference::default();
        let mut w = WorkState::default();
        for s in 0..20 {
            assert!(!w.step(&cfg, t(s * 20), 25.0, true));
        }
        // Stops alone never start the pace.
        for s in 20..40 {
            assert!(!w.step(&cfg, t(s * 20), 0.0, true));
        }
    }
}
