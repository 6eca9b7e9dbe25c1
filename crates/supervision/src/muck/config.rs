//! Thresholds and hysteresis of every muck-truck rule, with documented defaults.
//!
//! Every struct is `#[serde(default)]`, so a configuration file only names what it changes.

use serde::{Deserialize, Serialize};

use crate::alarm::Hysteresis;

/// The most fixes a vehicle keeps for the track snippet attached to a raise.
pub const TRACK_CAPACITY: usize = 32;

/// One minute in milliseconds.
const MIN_MS: i64 = 60_000;

/// Thresholds of all muck-truck rules.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct MuckConfig {
    /// A vehicle faster than this counts as moving, km/h. Default 5.
    pub moving_kmh: f64,
    /// A gap between located fixes longer than this restarts every pending (not yet raised or
    /// cleared) run, so that two separate breaches are not added together, ms. Default 10 min.
    pub max_gap_ms: i64,
    /// Fixes in the track snippet of a raise (at most [`TRACK_CAPACITY`]). Default 20.
    pub track_points: usize,
    /// `muck.off_route`.
    pub off_route: OffRouteRule,
    /// `muck.time_window`.
    pub time_window: TimeWindowRule,
    /// `muck.dumping`.
    pub dumping: DumpingRule,
    /// `muck.unload`.
    pub unload: UnloadRule,
    /// `muck.speeding`.
    pub speeding: SpeedingRule,
    /// `muck.uncovered`.
    pub uncovered: UncoveredRule,
    /// `muck.no_permit`.
    pub no_permit: NoPermitRule,
    /// `muck.offline`.
    pub offline: OfflineRule,
}

impl Default for MuckConfig {
    fn default() -> MuckConfig {
        MuckConfig {
            moving_kmh: 5.0,
            max_gap_ms: 10 * MIN_MS,
            track_points: 20,
            off_route: OffRouteRule::default(),
            time_window: TimeWindowRule::default(),
            dumping: DumpingRule::default(),
            unload: UnloadRule::default(),
            speeding: SpeedingRule::default(),
            uncovered: UncoveredRule::default(),
            no_permit: NoPermitRule::default(),
            offline: OfflineRule::default(),
        }
    }
}

/// 偏离路线: a moving truck farther than `corridor_width_m / 2 + tolerance_m` from the centre
/// line of every permit in force, and outside their sites.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OffRouteRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Extra metres beyond half the corridor width (GNSS error). Default 20.
    pub tolerance_m: f64,
    /// Only check loaded trucks (an empty truck on its way home is not checked; a terminal that
    /// does not report load is always checked). Default false.
    pub only_when_loaded: bool,
    /// Default: raise after 2 min and 3 fixes, clear after 1 min and 2 fixes.
    pub hysteresis: Hysteresis,
}

impl Default for OffRouteRule {
    fn default() -> OffRouteRule {
        OffRouteRule {
            enabled: true,
            tolerance_m: 20.0,
            only_when_loaded: false,
            hysteresis: Hysteresis {
                raise_after_ms: 2 * MIN_MS,
                raise_samples: 3,
                clear_after_ms: MIN_MS,
                clear_samples: 2,
            },
        }
    }
}

/// 超时段行驶: a truck moving while no permit in force allows this hour.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct TimeWindowRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Default: raise after 1 min and 2 fixes, clear after 2 min and 2 fixes (a red light does
    /// not clear it).
    pub hysteresis: Hysteresis,
}

impl Default for TimeWindowRule {
    fn default() -> TimeWindowRule {
        TimeWindowRule {
            enabled: true,
            hysteresis: Hysteresis {
                raise_after_ms: MIN_MS,
                raise_samples: 2,
                clear_after_ms: 2 * MIN_MS,
                clear_samples: 2,
            },
        }
    }
}

/// 偷倒 (stop): a loaded truck standing still outside every site and corridor.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DumpingRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Slower than this counts as stopped, km/h. Default 3.
    pub stop_kmh: f64,
    /// Default: raise after 5 min and 2 fixes, clear after 1 min and 2 fixes.
    pub hysteresis: Hysteresis,
}

impl Default for DumpingRule {
    fn default() -> DumpingRule {
        DumpingRule {
            enabled: true,
            stop_kmh: 3.0,
            hysteresis: Hysteresis {
                raise_after_ms: 5 * MIN_MS,
                raise_samples: 2,
                clear_after_ms: MIN_MS,
                clear_samples: 2,
            },
        }
    }
}

/// 偷倒 (unload): the load state goes from loaded to empty outside every site.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UnloadRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// The breach is "empty since an unload outside the sites, not loaded again". Default:
    /// raise at once (on the unloading fix) and clear on the first loaded fix. Raising after 2
    /// fixes filters a load sensor that flickers to empty for one report.
    pub hysteresis: Hysteresis,
}

impl Default for UnloadRule {
    fn default() -> UnloadRule {
        UnloadRule {
            enabled: true,
            hysteresis: Hysteresis::IMMEDIATE,
        }
    }
}

/// 超速: faster than the limit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SpeedingRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// The limit, km/h (exceeding it breaks the rule). Default 60.
    pub limit_kmh: f64,
    /// Default: raise after 30 s and 2 fixes, clear after 30 s and 2 fixes.
    pub hysteresis: Hysteresis,
}

impl Default for SpeedingRule {
    fn default() -> SpeedingRule {
        SpeedingRule {
            enabled: true,
            limit_kmh: 60.0,
            hysteresis: Hysteresis {
                raise_after_ms: 30_000,
                raise_samples: 2,
                clear_after_ms: 30_000,
                clear_samples: 2,
            },
        }
    }
}

/// 未密闭: a loaded truck outside the sites whose cover is open, where the terminal reports the
/// cover in an additional-information item of the 0x0200 location report.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct UncoveredRule {
    /// Whether the rule runs. Default true (it still needs `item_id`).
    pub enabled: bool,
    /// The additional-information item carrying the cover state (vendor-defined, usually in
    /// 0xE1–0xFF). `None` (default) switches the rule off. Fixes without the item change
    /// nothing.
    pub item_id: Option<u8>,
    /// The item's value (big-endian, up to 4 bytes) means "cover closed" when any of these bits
    /// is set. Default 0x01.
    pub closed_mask: u32,
    /// Default: raise after 1 min and 2 fixes, clear after 1 min and 2 fixes.
    pub hysteresis: Hysteresis,
}

impl Default for UncoveredRule {
    fn default() -> UncoveredRule {
        UncoveredRule {
            enabled: true,
            item_id: None,
            closed_mask: 0x01,
            hysteresis: Hysteresis {
                raise_after_ms: MIN_MS,
                raise_samples: 2,
                clear_after_ms: MIN_MS,
                clear_samples: 2,
            },
        }
    }
}

/// 无证运输: a known muck truck moving or loaded while no permit naming it is in force.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct NoPermitRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Default: raise after 2 min and 2 fixes, clear after 10 min and 2 fixes (parked empty,
    /// or a permit now in force).
    pub hysteresis: Hysteresis,
}

impl Default for NoPermitRule {
    fn default() -> NoPermitRule {
        NoPermitRule {
            enabled: true,
            hysteresis: Hysteresis {
                raise_after_ms: 2 * MIN_MS,
                raise_samples: 2,
                clear_after_ms: 10 * MIN_MS,
                clear_samples: 2,
            },
        }
    }
}

/// 作业时段离线: no report for `after_ms` while a permit's window is open. Checked by
/// [`super::MuckSupervisor::tick`]; any report clears it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct OfflineRule {
    /// Whether the rule runs. Default true.
    pub enabled: bool,
    /// Silence that counts as offline, ms. Default 10 min.
    pub after_ms: i64,
    /// Applied to the ticks (and the clearing report). Default: immediate.
    pub hysteresis: Hysteresis,
}

impl Default for OfflineRule {
    fn default() -> OfflineRule {
        OfflineRule {
            enabled: true,
            after_ms: 10 * MIN_MS,
            hysteresis: Hysteresis::IMMEDIATE,
        }
    }
}
