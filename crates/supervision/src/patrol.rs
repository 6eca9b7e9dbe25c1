//! Enforcement-vehicle patrol coverage 执法车巡查覆盖 per unit grid.
//!
//! [`PatrolTracker::observe`] puts each fix of an enforcement vehicle into its unit grid
//! ([`Geocoder::grid_at`]). Per local (Asia/Shanghai) day and grid it keeps the first and last
//! instant a vehicle was there, the visits (a vehicle entering the grid: its previous fix was in
//! another grid, outside every grid, or too long ago) and the dwell time. The time between two
//! continuous fixes (at most [`PatrolConfig::max_gap_ms`] and [`PatrolConfig::max_gap_m`] apart)
//! is dwell: all of it in the grid when both fixes are in the same grid, otherwise the first half
//! to the earlier fix's grid and the second half to the later one's. Spans over local midnight
//! are split by day. Grids crossed between two fixes without a fix in them are not seen (a fix
//! every 30 s at 40 km/h is ≈ 330 m apart): coverage is that of the fixes.
//!
//! Coverage of a community, street or district = grids with a visit or dwell on the day ÷ its
//! grids in the geocoder.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use domain::time::Timestamp;
use grid::geom;
use grid::{Area, AreaLevel, Geocoder, GridIdx, Point};
use serde::{Deserialize, Serialize};

use crate::sweeping::{LocalDay, split_by_day};
use crate::vehicle::Fix;

/// Patrol rules. Every field has a default.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct PatrolConfig {
    /// Two fixes further apart in time are not continuous: no dwell, no distance between them,
    /// ms (default 300,000).
    pub max_gap_ms: i64,
    /// Two fixes further apart in space are not continuous, metres (default 3,000).
    pub max_gap_m: f64,
    /// A grid counts as patrolled on a day when its dwell reaches this many seconds (default 0:
    /// any fix or dwell in it).
    pub min_dwell_s: f64,
}

impl Default for PatrolConfig {
    fn default() -> PatrolConfig {
        PatrolConfig {
            max_gap_ms: 300_000,
            max_gap_m: 3_000.0,
            min_dwell_s: 0.0,
        }
    }
}

#[derive(Clone, Debug)]
struct GridDay {
    first: Timestamp,
    last: Timestamp,
    dwell_ms: f64,
    visits: u32,
    vehicles: BTreeSet<String>,
}

#[derive(Clone, Debug, Default)]
struct VehicleDay {
    distance_m: f64,
    grids: BTreeSet<u32>,
}

#[derive(Clone, Copy, Debug)]
struct Last {
    at: Timestamp,
    point: Point,
    grid: Option<GridIdx>,
}

/// Accumulates enforcement-vehicle fixes into per-day grid visits.
#[derive(Debug)]
pub struct PatrolTracker {
    geocoder: Arc<Geocoder>,
    config: PatrolConfig,
    last: HashMap<String, Last>,
    grids: HashMap<(LocalDay, u32), GridDay>,
    vehicles: HashMap<(LocalDay, String), VehicleDay>,
}

impl PatrolTracker {
    /// A tracker over the city's geocoder.
    pub fn new(geocoder: Arc<Geocoder>, config: PatrolConfig) -> PatrolTracker {
        PatrolTracker {
            geocoder,
            config,
            last: HashMap::new(),
            grids: HashMap::new(),
            vehicles: HashMap::new(),
        }
    }

    /// Feeds one fix (in time order per vehicle). Returns the grid the fix is in; `None` when
    /// it is in no grid or the fix was ignored (invalid, not located, not newer than the
    /// vehicle's previous fix).
    pub fn observe(&mut self, fix: &Fix) -> Option<GridIdx> {
        if !fix.located() {
            return None;
        }
        let p = fix.point;
        let Ok(grid) = self.geocoder.grid_at(p.lon, p.lat) else {
            return None;
        };
        let prev = self.last.get(&fix.phone).copied();
        if prev.is_some_and(|l| l.at >= fix.at) {
            return None;
        }
        self.last.insert(
            fix.phone.clone(),
            Last {
                at: fix.at,
                point: p,
                grid,
            },
        );
        let continuous = prev.filter(|l| {
            fix.at.0.saturating_sub(l.at.0) <= self.config.max_gap_ms
                && geom::distance_m(l.point, p) <= self.config.max_gap_m
        });
        if let Some(g) = grid {
            let day = LocalDay::of(fix.at);
            let entry = self.grid_day(day, g.0, fix.at);
            entry.vehicles.insert(fix.phone.clone());
            if continuous.is_none_or(|l| l.grid != grid) {
                entry.visits += 1;
            }
            self.vehicles
                .entry((day, fix.phone.clone()))
                .or_default()
                .grids
                .insert(g.0);
        }
        if let Some(l) = continuous {
            let dist = geom::distance_m(l.point, p);
            for (day, f0, f1) in split_by_day(l.at, fix.at) {
                self.vehicles
                    .entry((day, fix.phone.clone()))
                    .or_default()
                    .distance_m += dist * (f1 - f0);
            }
            if l.grid == grid {
                if let Some(g) = grid {
                    self.dwell(g.0, &fix.phone, l.at, fix.at);
                }
            } else {
                let mid = Timestamp(l.at.0 + fix.at.0.saturating_sub(l.at.0) / 2);
                if let Some(g) = l.grid {
                    self.dwell(g.0, &fix.phone, l.at, mid);
                }
                if let Some(g) = grid {
                    self.dwell(g.0, &fix.phone, mid, fix.at);
                }
            }
        }
        grid
    }

    fn grid_day(&mut self, day: LocalDay, grid: u32, at: Timestamp) -> &mut GridDay {
        let e = self.grids.entry((day, grid)).or_insert_with(|| GridDay {
            first: at,
            last: at,
            dwell_ms: 0.0,
            visits: 0,
            vehicles: BTreeSet::new(),
        });
        e.first = e.first.min(at);
        e.last = e.last.max(at);
        e
    }

    /// Adds the time `[from, to]` in `grid` as dwell, split by day.
    fn dwell(&mut self, grid: u32, phone: &str, from: Timestamp, to: Timestamp) {
        let span = to.0.saturating_sub(from.0) as f64;
        for (day, f0, f1) in split_by_day(from, to) {
            let a = Timestamp(from.0 + (span * f0) as i64);
            let b = Timestamp(from.0 + (span * f1) as i64);
            let e = self.grid_day(day, grid, a);
            e.last = e.last.max(b);
            e.dwell_ms += span * (f1 - f0);
            e.vehicles.insert(phone.to_owned());
            self.vehicles
                .entry((day, phone.to_owned()))
                .or_default()
                .grids
                .insert(grid);
        }
    }

    /// Drops everything recorded for days before `day`.
    pub fn forget_before(&mut self, day: LocalDay) {
        self.grids.retain(|(d, _), _| *d >= day);
        self.vehicles.retain(|(d, _), _| *d >= day);
    }

    /// The patrol report of one day. `areas` must be the areas the geocoder was built from
    /// (`CityModel::areas`); they give the parents' codes and names.
    pub fn daily(&self, day: LocalDay, areas: &[Area]) -> PatrolDaily {
        let min_dwell_ms = self.config.min_dwell_s * 1000.0;
        let patrolled = |g: &GridDay| g.dwell_ms >= min_dwell_ms;
        let mut grids: Vec<GridPatrol> = self
            .grids
            .iter()
            .filter(|((d, _), _)| *d == day)
            .map(|((_, g), gd)| GridPatrol {
                code: self.geocoder.grid_code(GridIdx(*g)).to_owned(),
                first_visit: gd.first,
                last_visit: gd.last,
                visits: gd.visits,
                dwell_s: gd.dwell_ms / 1000.0,
                vehicles: gd.vehicles.len(),
                patrolled: patrolled(gd),
            })
            .collect();
        grids.sort_by(|a, b| a.code.cmp(&b.code));
        let mut per_area: HashMap<usize, (usize, usize)> = HashMap::new();
        let mut total = PatrolTotal::default();
        for gi in 0..self.geocoder.grid_count() {
            let Ok(g) = u32::try_from(gi) else { break };
            let seen = self.grids.get(&(day, g)).is_some_and(&patrolled);
            total.grids += 1;
            total.patrolled_grids += usize::from(seen);
            for parent in self.geocoder.parents(GridIdx(g)).into_iter().flatten() {
                let e = per_area.entry(parent).or_default();
                e.0 += 1;
                e.1 += usize::from(seen);
            }
        }
        total.rate = ratio(total.patrolled_grids, total.grids);
        let mut area_rows: Vec<AreaPatrol> = per_area
            .into_iter()
            .filter_map(|(ai, (n, seen))| {
                let a = areas.get(ai)?;
                Some(AreaPatrol {
                    code: a.code.clone(),
                    name: a.name.clone(),
                    level: a.level,
                    grids: n,
                    patrolled_grids: seen,
                    rate: ratio(seen, n),
                })
            })
            .collect();
        area_rows.sort_by(|a, b| a.code.cmp(&b.code));
        let mut vehicles: Vec<VehiclePatrol> = self
            .vehicles
            .iter()
            .filter(|((d, _), _)| *d == day)
            .map(|((_, phone), v)| VehiclePatrol {
                phone: phone.clone(),
                distance_m: v.distance_m,
                grids: v.grids.len(),
            })
            .collect();
        vehicles.sort_by(|a, b| a.phone.cmp(&b.phone));
        PatrolDaily {
            day,
            date: day.date(),
            grids,
            areas: area_rows,
            total,
            vehicles,
        }
    }
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// One grid's patrol on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GridPatrol {
    /// 15-digit grid code.
    pub code: String,
    /// First instant a vehicle was in the grid that day (a fix in it, or the midpoint in time
    /// of the step that entered it).
    pub first_visit: Timestamp,
    /// Last instant a vehicle was in the grid that day (likewise).
    pub last_visit: Timestamp,
    /// Times a vehicle entered the grid.
    pub visits: u32,
    /// Time vehicles spent in the grid, seconds (two vehicles at once count twice).
    pub dwell_s: f64,
    /// Distinct vehicles.
    pub vehicles: usize,
    /// Whether the grid counts as patrolled ([`PatrolConfig::min_dwell_s`]).
    pub patrolled: bool,
}

/// Patrol coverage of a community, street or district.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AreaPatrol {
    /// Area code.
    pub code: String,
    /// Area name.
    pub name: String,
    /// Area level.
    pub level: AreaLevel,
    /// Unit grids in the area.
    pub grids: usize,
    /// Of them patrolled on the day.
    pub patrolled_grids: usize,
    /// `patrolled_grids / grids` (0..=1).
    pub rate: Option<f64>,
}

/// The city's patrol coverage.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatrolTotal {
    /// Unit grids.
    pub grids: usize,
    /// Of them patrolled on the day.
    pub patrolled_grids: usize,
    /// `patrolled_grids / grids` (0..=1).
    pub rate: Option<f64>,
}

/// One vehicle's patrol on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct VehiclePatrol {
    /// Terminal phone.
    pub phone: String,
    /// Distance between continuous fixes, metres.
    pub distance_m: f64,
    /// Distinct grids the vehicle was in.
    pub grids: usize,
}

/// The daily patrol report (serialises as the API returns it).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PatrolDaily {
    /// The local day.
    pub day: LocalDay,
    /// The same as `YYYY-MM-DD`.
    pub date: String,
    /// Grids with a fix or dwell on the day, by code.
    pub grids: Vec<GridPatrol>,
    /// Communities, streets and districts, by code.
    pub areas: Vec<AreaPatrol>,
    /// The city.
    pub total: PatrolTotal,
    /// Vehicles seen on the day, by phone.
    pub vehicles: Vec<VehiclePatrol>,
}
