//! Mechanised sweeping 机械化清扫: map-matching sweeper fixes to roads, per-day road coverage,
//! the 机械化清扫率 and working-speed compliance.
//!
//! # How a track becomes coverage
//!
//! [`SweepTracker::observe`] takes each sweeper's fixes in time order. Every fix is matched to
//! the nearest road within [`SweepConfig::match_distance_m`] ([`RoadIndex::match_point`], heading
//! preferred when the vehicle moves). Two consecutive fixes of one vehicle form a **step**. A step
//! counts only when it is continuous (at most [`SweepConfig::max_gap_ms`] and
//! [`SweepConfig::max_gap_m`] apart) and the sweeper is working at both ends
//! ([`SweepingOn`]). A working step's distance is *in band* when the mean of the two reported
//! speeds lies in `[min_speed_kmh, max_speed_kmh]`, else *too fast* / *too slow*
//! (working-speed compliance). Only an in-band step covers road: the interval between the two
//! fixes' offsets along their road (when they matched different roads, the one whose road the
//! other fix also lies near within the match distance). A step over local midnight is split in
//! proportion to time, so each day gets its own share of distance and road.
//!
//! # Passes
//!
//! One vehicle driving one road in one direction without interruption is one **pass**: the
//! union of its step intervals. A pass ends when the vehicle leaves the road, stops working,
//! leaves the speed band, has a gap, a new day starts, or it turns back by more than
//! [`SweepConfig::reverse_tolerance_m`] (a U-turn to sweep the other side is a second pass).
//! Two vehicles on one road are two passes. The length covered `k` times is the length of road
//! lying in at least `k` passes.
//!
//! # The rate
//!
//! Each road needs [`RequiredPasses`] passes per day by class. A road's swept length is
//! `Σ_{k=1..required} covered_k` (= ∫ min(passes, required)), its required length `required ×
//! length`; 机械化清扫率 = Σ swept / Σ required over the roads of an area or the city. Areas get
//! road pieces of at most [`AREA_PIECE_M`] metres by the unit grid holding each piece's midpoint
//! ([`RoadAreas`]), rolled up to community, street and district.
//!
//! # Working speed as an alarm
//!
//! The report counts distance out of the band; the live rule [`SweepSpeedRule`] raises
//! [`RULE_OVERSPEED`] on a sweeper sweeping too fast for a while (see [`speed`]).

mod day;
mod index;
pub mod speed;
pub mod work;

use std::collections::HashMap;
use std::sync::Arc;

use domain::time::Timestamp;
use grid::geom;
use grid::{Area, AreaLevel, Geocoder, RoadClass};
use serde::{Deserialize, Serialize};

use crate::vehicle::Fix;

pub use day::LocalDay;
pub(crate) use day::split_by_day;
pub use index::{CELL_M, IndexedRoad, RoadIndex, RoadMatch};
pub use speed::{RULE_OVERSPEED, SweepSpeedConfig, SweepSpeedRule};
pub use work::{WorkInference, WorkState};

/// Length of the road pieces assigned to areas, metres.
pub const AREA_PIECE_M: f64 = 50.0;

/// Passes a road needs per day, by class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct RequiredPasses {
    /// 快速路 (default 2: both carriageways' kerbs).
    pub expressway: u32,
    /// 主干路 (default 2).
    pub arterial: u32,
    /// 次干路 (default 1).
    pub secondary: u32,
    /// 支路 (default 1).
    pub branch: u32,
}

impl Default for RequiredPasses {
    fn default() -> RequiredPasses {
        RequiredPasses {
            expressway: 2,
            arterial: 2,
            secondary: 1,
            branch: 1,
        }
    }
}

impl RequiredPasses {
    /// Passes required for a class (0 = the class is not swept mechanically).
    pub fn of(&self, class: RoadClass) -> u32 {
        match class {
            RoadClass::Expressway => self.expressway,
            RoadClass::Arterial => self.arterial,
            RoadClass::Secondary => self.secondary,
            RoadClass::Branch => self.branch,
        }
    }
}

/// JT/T 808 additional-information item 0x2A: the IO status WORD (bit 0 deep sleep, bit 1
/// sleep; the other bits are reserved by the standard and used by vendors).
pub const ITEM_IO_STATUS: u8 = 0x2A;

/// How the rules know the sweeper is sweeping (brushes down, pump on).
///
/// JT/T 808 has no standard sweeping signal: terminals of sweepers report it in a status bit
/// the standard leaves reserved (0x0200 status bits 22–31), in a bit of the IO status item
/// 0x2A, or in a vendor item (0xE1–0xFF); which one is a per-model setting (see
/// `crates/jt808/TOLERANCE.md`, D17). Without any, the state is inferred from the track.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum SweepingOn {
    /// No signal, and none inferred: every fix counts as working (the speed band alone decides
    /// coverage; travel to and from the depot above the band counts as sweeping too fast).
    Always,
    /// No signal: coverage counts by the speed band as with `Always`, and the working-speed
    /// rule infers the working state from the track ([`work`]).
    #[default]
    Inferred,
    /// A JT/T 808 0x0200 status bit (0..=31) is set while sweeping.
    StatusBit {
        /// Bit number in [`Fix::status`].
        bit: u8,
    },
    /// A bit (0..=15) of the IO status item 0x2A is set while sweeping.
    IoStatusBit {
        /// Bit number in the big-endian WORD.
        bit: u8,
    },
    /// A JT/T 808 additional-information item is present with a non-zero byte while sweeping.
    ExtraItem {
        /// Item id in [`Fix::extra`].
        id: u8,
    },
    /// A bit of a (vendor) additional-information item is set while sweeping, counting from
    /// the least significant bit of its last byte (the value read big-endian).
    ItemBit {
        /// Item id in [`Fix::extra`].
        id: u8,
        /// Bit number, 0 = the least significant bit of the last byte.
        bit: u8,
    },
}

fn item_bit(fix: &Fix, id: u8, bit: u8) -> bool {
    let byte = usize::from(bit / 8);
    fix.extra.iter().any(|(i, v)| {
        *i == id
            && v.len() > byte
            && v.get(v.len() - 1 - byte)
                .is_some_and(|b| b & (1u8 << (bit % 8)) != 0)
    })
}

impl SweepingOn {
    /// Whether the terminal reports the working state at all (else every fix is "on" for
    /// coverage, and the speed rule infers it with [`SweepingOn::Inferred`]).
    pub fn has_signal(&self) -> bool {
        !matches!(self, SweepingOn::Always | SweepingOn::Inferred)
    }

    /// Whether the fix says the sweeper is working (always true without a signal).
    pub fn is_on(&self, fix: &Fix) -> bool {
        match *self {
            SweepingOn::Always | SweepingOn::Inferred => true,
            SweepingOn::StatusBit { bit } => bit < 32 && fix.status & (1u32 << u32::from(bit)) != 0,
            SweepingOn::IoStatusBit { bit } => {
                bit < 16
                    && fix.extra.iter().any(|(i, v)| {
                        *i == ITEM_IO_STATUS
                            && v.len() == 2
                            && u16::from_be_bytes([v[0], v[1]]) & (1u16 << bit) != 0
                    })
            }
            SweepingOn::ExtraItem { id } => fix
                .extra
                .iter()
                .any(|(i, v)| *i == id && v.iter().any(|b| *b != 0)),
            SweepingOn::ItemBit { id, bit } => item_bit(fix, id, bit),
        }
    }
}

/// Sweeping rules. Every field has a default; a partial TOML/JSON table fills the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct SweepConfig {
    /// A fix farther than this from every road centre line is off-road, metres (default 25).
    pub match_distance_m: f64,
    /// Heading agreement that makes a segment preferred, degrees (default 45).
    pub heading_tolerance_deg: f64,
    /// Lowest working speed, km/h (default 3).
    pub min_speed_kmh: f64,
    /// Highest working speed, km/h (default 20).
    pub max_speed_kmh: f64,
    /// Two fixes further apart in time are not continuous, ms (default 120,000).
    pub max_gap_ms: i64,
    /// Two fixes further apart in space are not continuous, metres (default 300).
    pub max_gap_m: f64,
    /// Moving back along the road by more than this starts a new pass, metres (default 10).
    pub reverse_tolerance_m: f64,
    /// Passes required per day by road class.
    pub required_passes: RequiredPasses,
    /// How "sweeping" is detected (default: always).
    pub sweeping_on: SweepingOn,
}

impl Default for SweepConfig {
    fn default() -> SweepConfig {
        SweepConfig {
            match_distance_m: 25.0,
            heading_tolerance_deg: 45.0,
            min_speed_kmh: 3.0,
            max_speed_kmh: 20.0,
            max_gap_ms: 120_000,
            max_gap_m: 300.0,
            reverse_tolerance_m: 10.0,
            required_passes: RequiredPasses::default(),
            sweeping_on: SweepingOn::Always,
        }
    }
}

/// What [`SweepTracker::observe`] did with a fix.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum FixOutcome {
    /// The fix matched a road.
    Matched(RoadMatch),
    /// The fix is valid but on no road.
    OffRoad,
    /// The fix was not used: invalid position, not located, or not newer than the vehicle's
    /// previous fix.
    Ignored,
}

#[derive(Clone, Debug)]
struct LastFix {
    at: Timestamp,
    point: grid::Point,
    speed_kmh: f64,
    on: bool,
    matched: Option<RoadMatch>,
}

/// The pass a vehicle is currently adding to.
#[derive(Clone, Copy, Debug)]
struct Run {
    day: LocalDay,
    road: u32,
    /// Index of the pass in the road-day's pass list.
    pass: usize,
    /// +1 / −1 once the vehicle has moved more than the reverse tolerance, 0 before.
    dir: i8,
    /// Where the pass started, metres.
    start_m: f64,
    /// The furthest offset reached in `dir`, metres.
    extreme_m: f64,
}

#[derive(Debug, Default)]
struct VehicleState {
    last: Option<LastFix>,
    run: Option<Run>,
}

/// Working distance of one vehicle on one day.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct WorkDistance {
    /// Working distance at a speed inside the band, metres.
    pub in_band_m: f64,
    /// Working distance above the band, metres.
    pub too_fast_m: f64,
    /// Working distance below the band, metres.
    pub too_slow_m: f64,
}

impl WorkDistance {
    /// All working distance, metres.
    pub fn total_m(&self) -> f64 {
        self.in_band_m + self.too_fast_m + self.too_slow_m
    }

    /// Share of working distance in the speed band (0..=1), `None` without working distance.
    pub fn compliance(&self) -> Option<f64> {
        let t = self.total_m();
        (t > 0.0).then(|| self.in_band_m / t)
    }
}

/// One pass: sorted, disjoint intervals `[from, to]` along the road, metres.
type Pass = Vec<(f64, f64)>;

/// Accumulates sweeper tracks into per-day road coverage. Not thread-safe by itself: one
/// tracker per node, fed in time order per vehicle.
#[derive(Debug)]
pub struct SweepTracker {
    index: Arc<RoadIndex>,
    config: SweepConfig,
    vehicles: HashMap<String, VehicleState>,
    passes: HashMap<(LocalDay, u32), Vec<Pass>>,
    work: HashMap<(LocalDay, String), WorkDistance>,
}

impl SweepTracker {
    /// A tracker over an index (built from the city's roads) with the given rules.
    pub fn new(index: Arc<RoadIndex>, config: SweepConfig) -> SweepTracker {
        SweepTracker {
            index,
            config,
            vehicles: HashMap::new(),
            passes: HashMap::new(),
            work: HashMap::new(),
        }
    }

    /// The road index.
    pub fn index(&self) -> &RoadIndex {
        &self.index
    }

    /// The rules in force.
    pub fn config(&self) -> &SweepConfig {
        &self.config
    }

    /// Feeds one sweeper fix. Fixes of one vehicle must come in time order; an older or
    /// same-instant fix is ignored.
    pub fn observe(&mut self, fix: &Fix) -> FixOutcome {
        let p = fix.point;
        let valid = (-180.0..=180.0).contains(&p.lon)
            && (-90.0..=90.0).contains(&p.lat)
            && fix.speed_kmh.is_finite();
        if !valid || !fix.located() {
            return FixOutcome::Ignored;
        }
        let cfg = &self.config;
        let moving = fix.speed_kmh >= cfg.min_speed_kmh;
        let heading = moving.then_some(f64::from(fix.heading));
        let matched =
            self.index
                .match_point(p, cfg.match_distance_m, heading, cfg.heading_tolerance_deg);
        let cur = LastFix {
            at: fix.at,
            point: p,
            speed_kmh: fix.speed_kmh,
            on: cfg.sweeping_on.is_on(fix),
            matched,
        };
        let state = self.vehicles.entry(fix.phone.clone()).or_default();
        if let Some(prev) = &state.last
            && prev.at >= fix.at
        {
            return FixOutcome::Ignored;
        }
        let prev = state.last.replace(cur.clone());
        if let Some(prev) = prev {
            step(
                &self.config,
                &self.index,
                &mut self.passes,
                &mut self.work,
                &fix.phone,
                &mut state.run,
                &prev,
                &cur,
            );
        }
        match matched {
            Some(m) => FixOutcome::Matched(m),
            None => FixOutcome::OffRoad,
        }
    }

    /// Drops everything recorded for days before `day` (call once a day after the reports).
    pub fn forget_before(&mut self, day: LocalDay) {
        self.passes.retain(|(d, _), _| *d >= day);
        self.work.retain(|(d, _), _| *d >= day);
        for v in self.vehicles.values_mut() {
            if v.run.is_some_and(|r| r.day < day) {
                v.run = None;
            }
        }
    }

    /// The passes over a road on a day (sorted disjoint intervals per pass), for inspection.
    pub fn passes(&self, day: LocalDay, road: usize) -> &[Vec<(f64, f64)>] {
        u32::try_from(road)
            .ok()
            .and_then(|r| self.passes.get(&(day, r)))
            .map_or(&[], Vec::as_slice)
    }

    /// The coverage report of one day. With `areas`, roads are also rolled up to communities,
    /// streets and districts.
    pub fn daily(&self, day: LocalDay, areas: Option<&RoadAreas>) -> DailyCoverage {
        let req = &self.config.required_passes;
        let mut roads = Vec::with_capacity(self.index.roads().len());
        let mut area_acc: HashMap<u32, (f64, f64)> = HashMap::new();
        let mut total = CoverageTotal::default();
        for (ri, r) in self.index.roads().iter().enumerate() {
            let required = req.of(r.class);
            let profile = self
                .passes
                .get(&(day, ri as u32))
                .map(|p| depth_profile(p, r.length_m))
                .unwrap_or_default();
            let covered_m: Vec<f64> = (1..=required.max(1))
                .map(|k| covered_at_least(&profile, k, 0.0, r.length_m))
                .collect();
            let swept_m = if required == 0 {
                0.0
            } else {
                covered_m.iter().sum()
            };
            let required_m = f64::from(required) * r.length_m;
            if let Some(areas) = areas
                && required > 0
            {
                for piece in areas.pieces.get(ri).map_or(&[][..], Vec::as_slice) {
                    let piece_swept: f64 = (1..=required)
                        .map(|k| covered_at_least(&profile, k, piece.from_m, piece.to_m))
                        .sum();
                    let piece_req = f64::from(required) * (piece.to_m - piece.from_m);
                    for slot in piece.slots.iter().flatten() {
                        let e = area_acc.entry(*slot).or_default();
                        e.0 += piece_req;
                        e.1 += piece_swept;
                    }
                }
            }
            total.roads += 1;
            total.length_m += r.length_m;
            total.required_m += required_m;
            total.swept_m += swept_m;
            roads.push(RoadCoverage {
                road: ri,
                id: r.id.clone(),
                name: r.name.clone(),
                class: r.class,
                length_m: r.length_m,
                required_passes: required,
                covered_m,
                required_m,
                swept_m,
                rate: ratio(swept_m, required_m),
            });
        }
        total.rate = ratio(total.swept_m, total.required_m);
        let mut area_rows: Vec<AreaCoverage> = match areas {
            Some(a) => area_acc
                .into_iter()
                .filter_map(|(slot, (required_m, swept_m))| {
                    let info = a.areas.get(slot as usize)?;
                    Some(AreaCoverage {
                        code: info.code.clone(),
                        name: info.name.clone(),
                        level: info.level,
                        required_m,
                        swept_m,
                        rate: ratio(swept_m, required_m),
                    })
                })
                .collect(),
            None => Vec::new(),
        };
        area_rows.sort_by(|a, b| a.code.cmp(&b.code));
        let mut vehicles: Vec<VehicleWork> = self
            .work
            .iter()
            .filter(|((d, _), _)| *d == day)
            .map(|((_, phone), w)| VehicleWork {
                phone: phone.clone(),
                work: *w,
                compliance: w.compliance(),
            })
            .collect();
        vehicles.sort_by(|a, b| a.phone.cmp(&b.phone));
        DailyCoverage {
            day,
            date: day.date(),
            roads,
            areas: area_rows,
            total,
            vehicles,
        }
    }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (den > 0.0).then(|| (num / den).clamp(0.0, 1.0))
}

/// Processes one step `prev → cur` of one vehicle.
#[allow(clippy::too_many_arguments)]
fn step(
    cfg: &SweepConfig,
    index: &RoadIndex,
    passes: &mut HashMap<(LocalDay, u32), Vec<Pass>>,
    work: &mut HashMap<(LocalDay, String), WorkDistance>,
    phone: &str,
    run: &mut Option<Run>,
    prev: &LastFix,
    cur: &LastFix,
) {
    let dt_ms = cur.at.0.saturating_sub(prev.at.0);
    let dist_m = geom::distance_m(prev.point, cur.point);
    // A NaN distance (bad fix) breaks the run just like a jump that is too long.
    let jump_ok = dist_m.is_finite() && dist_m <= cfg.max_gap_m;
    if dt_ms > cfg.max_gap_ms || !jump_ok || !(prev.on && cur.on) {
        *run = None;
        return;
    }
    let speed = (prev.speed_kmh + cur.speed_kmh) * 0.5;
    let pieces = split_by_day(prev.at, cur.at);
    for &(day, f0, f1) in &pieces {
        let w = work.entry((day, phone.to_owned())).or_default();
        let d = dist_m * (f1 - f0);
        if speed > cfg.max_speed_kmh {
            w.too_fast_m += d;
        } else if speed < cfg.min_speed_kmh {
            w.too_slow_m += d;
        } else {
            w.in_band_m += d;
        }
    }
    if !(cfg.min_speed_kmh..=cfg.max_speed_kmh).contains(&speed) {
        *run = None;
        return;
    }
    let on_road = |road: usize, p: grid::Point| {
        index
            .project_on_road(road, p)
            .filter(|(_, d)| *d <= cfg.match_distance_m)
            .map(|(o, _)| o)
    };
    let span = match (prev.matched, cur.matched) {
        (Some(a), Some(b)) if a.road == b.road => Some((a.road, a.offset_m, b.offset_m)),
        (a, b) => a
            .and_then(|a| on_road(a.road, cur.point).map(|o| (a.road, a.offset_m, o)))
            .or_else(|| {
                b.and_then(|b| on_road(b.road, prev.point).map(|o| (b.road, o, b.offset_m)))
            }),
    };
    let Some((road, o1, o2)) = span else {
        *run = None;
        return;
    };
    let Ok(road) = u32::try_from(road) else {
        *run = None;
        return;
    };
    for (day, f0, f1) in pieces {
        let a = o1 + (o2 - o1) * f0;
        let b = o1 + (o2 - o1) * f1;
        add_to_pass(cfg, passes, run, day, road, a, b);
    }
}

/// Adds the interval travelled from `a` to `b` to the vehicle's current pass, starting a new
/// pass when the road or day changed or the vehicle turned back.
fn add_to_pass(
    cfg: &SweepConfig,
    passes: &mut HashMap<(LocalDay, u32), Vec<Pass>>,
    run: &mut Option<Run>,
    day: LocalDay,
    road: u32,
    a: f64,
    b: f64,
) {
    let list = passes.entry((day, road)).or_default();
    let tol = cfg.reverse_tolerance_m.max(0.0);
    let new_run = |from: f64, list: &mut Vec<Pass>| {
        list.push(Vec::new());
        Run {
            day,
            road,
            pass: list.len() - 1,
            dir: 0,
            start_m: from,
            extreme_m: from,
        }
    };
    let mut r = match *run {
        Some(r) if r.day == day && r.road == road && r.pass < list.len() => r,
        _ => new_run(a, list),
    };
    let (mut lo, mut hi) = (a.min(b), a.max(b));
    match r.dir {
        0 => {
            if (b - r.start_m).abs() > tol {
                r.dir = if b > r.start_m { 1 } else { -1 };
                r.extreme_m = b;
            }
        }
        d => {
            let ahead = f64::from(d) * (b - r.extreme_m);
            if ahead > 0.0 {
                r.extreme_m = b;
            } else if -ahead > tol {
                // Turned back: a new pass from the turning point.
                let turn = r.extreme_m;
                r = new_run(turn, list);
                r.dir = -d;
                r.extreme_m = b;
                lo = lo.min(turn);
                hi = hi.max(turn);
            }
        }
    }
    if let Some(pass) = list.get_mut(r.pass) {
        insert_interval(pass, lo, hi);
    }
    *run = Some(r);
}

/// Inserts `[lo, hi]` into sorted disjoint intervals, merging overlaps and touches.
fn insert_interval(pass: &mut Pass, lo: f64, hi: f64) {
    if !(lo.is_finite() && hi.is_finite()) {
        return;
    }
    let mut lo = lo;
    let mut hi = hi;
    let mut out = Vec::with_capacity(pass.len() + 1);
    let mut placed = false;
    for &(s, e) in pass.iter() {
        if e < lo {
            out.push((s, e));
        } else if s > hi {
            if !placed {
                out.push((lo, hi));
                placed = true;
            }
            out.push((s, e));
        } else {
            lo = lo.min(s);
            hi = hi.max(e);
        }
    }
    if !placed {
        out.push((lo, hi));
    }
    *pass = out;
}

/// The number of passes over each stretch of a road: sorted `(from_m, to_m, passes)` runs with
/// at least one pass, clamped to `[0, length_m]`.
fn depth_profile(passes: &[Pass], length_m: f64) -> Vec<(f64, f64, u32)> {
    let mut events: Vec<(f64, i32)> = Vec::new();
    for pass in passes {
        for &(s, e) in pass {
            let (s, e) = (s.clamp(0.0, length_m), e.clamp(0.0, length_m));
            if e > s {
                events.push((s, 1));
                events.push((e, -1));
            }
        }
    }
    events.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut out = Vec::new();
    let mut depth: i32 = 0;
    let mut at = 0.0;
    for (x, d) in events {
        if depth > 0 && x > at {
            out.push((at, x, depth.unsigned_abs()));
        }
        depth += d;
        at = x;
    }
    out
}

/// Length within `[from, to]` covered by at least `k` passes.
fn covered_at_least(profile: &[(f64, f64, u32)], k: u32, from: f64, to: f64) -> f64 {
    profile
        .iter()
        .filter(|(_, _, d)| *d >= k)
        .map(|&(s, e, _)| (e.min(to) - s.max(from)).max(0.0))
        .sum()
}

/// One road's coverage on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadCoverage {
    /// Index of the road in the city model.
    pub road: usize,
    /// Road id.
    pub id: String,
    /// Road name.
    pub name: String,
    /// Road class.
    pub class: RoadClass,
    /// Centre-line length, metres.
    pub length_m: f64,
    /// Passes required per day.
    pub required_passes: u32,
    /// `covered_m[k - 1]`: length swept at least `k` times, for `k = 1..=max(required, 1)`,
    /// metres.
    pub covered_m: Vec<f64>,
    /// `required_passes × length_m`, metres.
    pub required_m: f64,
    /// Σ over required passes of `covered_m` (= ∫ min(passes, required)), metres.
    pub swept_m: f64,
    /// `swept_m / required_m` (0..=1); `None` when nothing is required.
    pub rate: Option<f64>,
}

/// Coverage of the roads in one community, street or district.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaCoverage {
    /// Area code (12, 9 or 6 digits).
    pub code: String,
    /// Area name.
    pub name: String,
    /// Area level.
    pub level: AreaLevel,
    /// Required length of the road pieces in the area, metres.
    pub required_m: f64,
    /// Swept length counted against it, metres.
    pub swept_m: f64,
    /// 机械化清扫率 of the area (0..=1); `None` when nothing is required.
    pub rate: Option<f64>,
}

/// The whole city's coverage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CoverageTotal {
    /// Roads indexed.
    pub roads: usize,
    /// Their total length, metres.
    pub length_m: f64,
    /// Σ required length, metres.
    pub required_m: f64,
    /// Σ swept length (each road capped at its required passes), metres.
    pub swept_m: f64,
    /// 机械化清扫率 (0..=1); `None` when nothing is required.
    pub rate: Option<f64>,
}

/// One sweeper's working distance and speed compliance on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VehicleWork {
    /// Terminal phone.
    pub phone: String,
    /// Working distance by speed class.
    #[serde(flatten)]
    pub work: WorkDistance,
    /// Share of working distance inside the speed band (0..=1), `None` without work.
    pub compliance: Option<f64>,
}

/// The daily sweeping report (serialises as the API returns it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DailyCoverage {
    /// The local day.
    pub day: LocalDay,
    /// The same as `YYYY-MM-DD`.
    pub date: String,
    /// Every indexed road, in model order.
    pub roads: Vec<RoadCoverage>,
    /// Communities, streets and districts holding road, by code (empty without [`RoadAreas`]).
    pub areas: Vec<AreaCoverage>,
    /// The city.
    pub total: CoverageTotal,
    /// Sweepers with working distance on the day, by phone.
    pub vehicles: Vec<VehicleWork>,
}

#[derive(Clone, Debug, PartialEq)]
struct AreaInfo {
    code: String,
    name: String,
    level: AreaLevel,
}

#[derive(Clone, Debug, PartialEq)]
struct Piece {
    from_m: f64,
    to_m: f64,
    /// Community, street and district slots.
    slots: [Option<u32>; 3],
}

/// Which community, street and district each stretch of road lies in. Build once per city
/// version, next to the [`RoadIndex`].
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RoadAreas {
    areas: Vec<AreaInfo>,
    pieces: Vec<Vec<Piece>>,
}

impl RoadAreas {
    /// Cuts every road into pieces of at most [`AREA_PIECE_M`] metres and assigns each to the
    /// parents of the unit grid holding its midpoint. `areas` must be the areas the geocoder was
    /// built from (`CityModel::areas`). Pieces in no grid belong to no area (they still count in
    /// the city total); consecutive pieces in the same area are merged.
    pub fn build(index: &RoadIndex, geocoder: &Geocoder, areas: &[Area]) -> RoadAreas {
        let mut slot_of: HashMap<usize, u32> = HashMap::new();
        let mut infos = Vec::new();
        let mut pieces = Vec::with_capacity(index.roads().len());
        for (ri, r) in index.roads().iter().enumerate() {
            let mut out: Vec<Piece> = Vec::new();
            let n = (r.length_m / AREA_PIECE_M).ceil().max(1.0);
            let n = if n.is_finite() {
                n.min(1e6) as usize
            } else {
                1
            };
            for i in 0..n {
                let from_m = r.length_m * i as f64 / n as f64;
                let to_m = r.length_m * (i + 1) as f64 / n as f64;
                let mut slots = [None; 3];
                if let Some(mid) = index.point_at(ri, (from_m + to_m) * 0.5)
                    && let Ok(Some(g)) = geocoder.grid_at(mid.lon, mid.lat)
                {
                    for (slot, parent) in slots.iter_mut().zip(geocoder.parents(g)) {
                        *slot = parent.and_then(|ai| {
                            let a = areas.get(ai)?;
                            let next = infos.len() as u32;
                            let s = *slot_of.entry(ai).or_insert(next);
                            if s == next {
                                infos.push(AreaInfo {
                                    code: a.code.clone(),
                                    name: a.name.clone(),
                                    level: a.level,
                                });
                            }
                            Some(s)
                        });
                    }
                }
                match out.last_mut() {
                    Some(last) if last.slots == slots => last.to_m = to_m,
                    _ => out.push(Piece {
                        from_m,
                        to_m,
                        slots,
                    }),
                }
            }
            pieces.push(out);
        }
        RoadAreas {
            areas: infos,
            pieces,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_merge_on_overlap_and_touch() {
        let mut p = Vec::new();
        insert_interval(&mut p, 10.0, 20.0);
        insert_interval(&mut p, 40.0, 50.0);
        insert_interval(&mut p, 20.0, 25.0);
        assert_eq!(p, vec![(10.0, 25.0), (40.0, 50.0)]);
        insert_interval(&mut p, 0.0, 45.0);
        assert_eq!(p, vec![(0.0, 50.0)]);
    }

    #[test]
    fn depth_counts_overlapping_passes() {
        let passes = vec![vec![(0.0, 60.0)], vec![(40.0, 100.0)], vec![(50.0, 55.0)]];
        let prof = depth_profile(&passes, 100.0);
        assert_eq!(covered_at_least(&prof, 1, 0.0, 100.0), 100.0);
        assert_eq!(covered_at_least(&prof, 2, 0.0, 100.0), 20.0);
        assert_eq!(covered_at_least(&prof, 3, 0.0, 100.0), 5.0);
        assert_eq!(covered_at_least(&prof, 2, 45.0, 52.0), 7.0);
    }
}
