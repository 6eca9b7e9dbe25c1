//! Device supervision on the way in: every batch the gateways make durable also runs through
//! the pure rule engines of the `supervision` crate, and the alarms they raise or clear are
//! written beside the batch.
//!
//! ```text
//!  Record::Fix (muck trucks) ──────► MuckSupervisor ──┐
//!  Record::Fix (garbage trucks) ───► GarbageTracker ──┤
//!  Record::Fix (sweepers) ─────────► SweepSpeedRule ──┼─► Signal ─► AlarmWrite (grid located) ─► store.write_alarms
//!  Record::Reading (2011/2051) ────► EnvSupervisor ───┤                                   └─► on_alarms(open keys)
//!  tick (every 30 s) ─► silence rules, missed points ─┘
//! ```
//!
//! Garbage trucks (kind `garbage_truck`) feed the collection rules of
//! [`supervision::garbage`]: visits to the collection points, 前分后混 (class 06041, a case) and
//! the points missed by their due time (judged at the tick, once per point and day, on the
//! point: source kind `collection_point`). A truck's category is read from its registry entry
//! ([`WasteCategory::from_marker`] on the company text, as the daily report does). The trucks'
//! collection routes 收运路线 (`collection_routes`) make a route point due by its route's finish
//! time and raise `garbage.route_missed:<route>` when the route's truck did not collect it
//! ([`supervision::collection_route`]); working days follow the stored work calendar. Sweepers
//! (kind `sweeper`) feed the working-speed rule ([`SweepSpeedRule`]), which judges speed only
//! while the sweeper works: by the terminal's signal when configured, else inferred over the
//! city's roads (rebuilt when `city.version` changes).
//!
//! # Decisions
//!
//! - **Node-local rule state.** The engines keep per-device state (hysteresis, recent track).
//!   A device speaks to one node over one TCP connection, so its state lives where its data
//!   arrives, as in Traccar; after a reconnect to another node the rules start fresh there and
//!   the alarm table (deduplicated by open key) keeps one alarm. Only the directories (trucks,
//!   permits, monitor sites) come from the database and are reloaded by [`Supervisors::load`].
//! - **Backfill is history.** 0x0704 blind-area items and fixes without a valid time are stored
//!   but not fed to the rules: they are older than the live stream and would break time order.
//! - **Alarm writes retry.** When the alarm write fails after the positions were stored, the
//!   writes are kept and go out with the next batch or tick ([`Supervisors::retry_later`]);
//!   raises are upserts by open key, so a retry never duplicates an alarm.
//! - **The garbage day survives a restart.** A node starting mid-day replays the day's stored
//!   garbage-truck track into the tracker ([`Supervisors::replay_garbage_day`], signals
//!   dropped: they were raised before), so the morning's visits count and kitchen points are not
//!   taken for missed at 10:00. Without the replay the tracker judges only the days it watched
//!   from their start.
//! - **Which HJ 212 data feed the rules.** Real-time (2011) and minute (2051) uploads; hour and
//!   day aggregates (2061, 2031) are stored only, or they would count the same air twice.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use domain::calendar::{WorkCalendar, WorkSchedule};
use domain::time::Timestamp;
use grid::Point;
use store::{AlarmWrite, Store, StoreError};
use supervision::alarm::Signal;
use supervision::collection_route::CollectionRoute;
use supervision::environment::{
    EnvConfig, EnvSupervisor, MonitorSample, ParticulateUnit, RestaurantSize, Site, SiteKind,
};
use supervision::garbage::{self, CollectionPoint, GarbageConfig, GarbageTracker, WasteCategory};
use supervision::muck::{MuckConfig, MuckSupervisor, Permit, Truck};
use supervision::sweeping::{LocalDay, RoadIndex, SweepSpeedConfig, SweepSpeedRule};
use supervision::vehicle::Fix;

use crate::record::{Hj212Reading, Record, VehicleFix};
use crate::store_bridge::Locate;

/// Called with the open keys of alarms just raised (after they are durable).
pub type OnAlarms = Arc<dyn Fn(Vec<String>) + Send + Sync>;

/// What [`Supervisors::load`] found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Loaded {
    /// Muck trucks with a terminal.
    pub trucks: usize,
    /// Permits accepted by the rules (not revoked, valid).
    pub permits: usize,
    /// Permits left out, with the reason.
    pub rejected: Vec<String>,
    /// Monitors with a site the environment rules know.
    pub monitors: usize,
    /// Garbage trucks with a terminal.
    pub garbage_trucks: usize,
    /// Collection points with a known category.
    pub collection_points: usize,
    /// Sweepers with a terminal.
    pub sweepers: usize,
    /// Collection routes of garbage trucks with a terminal.
    pub routes: usize,
}

/// Most positions replayed per garbage truck (one fix a second all day long).
const MAX_REPLAY_FIXES: usize = 100_000;

struct Engines {
    muck: MuckSupervisor,
    env: EnvSupervisor,
    /// Terminal phones of the muck-truck fleet.
    muck_phones: HashSet<String>,
    garbage: GarbageTracker,
    /// Terminal phones of the garbage trucks.
    garbage_phones: HashSet<String>,
    sweep_speed: SweepSpeedRule,
    /// Terminal phones of the sweepers.
    sweeper_phones: HashSet<String>,
    /// The `city.version` the sweepers' road index was built from.
    roads_version: Option<i64>,
    /// Alarm writes whose store write failed, sent again with the next batch or tick.
    pending: Vec<AlarmWrite>,
}

/// The rule engines of one node, shared by the sink (batches) and the tick task.
#[derive(Clone)]
pub struct Supervisors {
    engines: Arc<Mutex<Engines>>,
    locate: Locate,
}

impl Supervisors {
    /// Engines with these rule settings; call [`Supervisors::load`] before the first batch.
    pub fn new(locate: Locate, muck: MuckConfig, env: EnvConfig) -> Supervisors {
        Supervisors {
            engines: Arc::new(Mutex::new(Engines {
                muck: MuckSupervisor::new(muck),
                env: EnvSupervisor::new(env),
                muck_phones: HashSet::new(),
                garbage: GarbageTracker::new(Vec::new(), Vec::new(), GarbageConfig::default()),
                garbage_phones: HashSet::new(),
                sweep_speed: SweepSpeedRule::new(SweepSpeedConfig::default()),
                sweeper_phones: HashSet::new(),
                roads_version: None,
                pending: Vec::new(),
            })),
            locate,
        }
    }

    /// The same with these garbage-collection and sweeping-speed settings (the day's visits
    /// are lost: call before the first batch).
    pub fn with_sanitation(self, garbage: GarbageConfig, sweep_speed: SweepSpeedConfig) -> Self {
        self.with(|e| {
            e.garbage = GarbageTracker::new(Vec::new(), Vec::new(), garbage);
            e.sweep_speed = SweepSpeedRule::new(sweep_speed);
        });
        self
    }

    fn with<T>(&self, f: impl FnOnce(&mut Engines) -> T) -> T {
        match self.engines.lock() {
            Ok(mut g) => f(&mut g),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// (Re)loads the muck fleet, the permits and the monitor sites from the database. Returns
    /// the alarm writes the change implies (clears for trucks no longer supervised).
    ///
    /// # Errors
    /// The database cannot be read; the engines keep their previous directories then.
    pub async fn load(&self, store: &Store) -> Result<(Loaded, Vec<AlarmWrite>), StoreError> {
        let vehicles = store.list_vehicles().await?;
        let permits = store.list_permits(None).await?;
        let monitors = store.list_monitors().await?;
        let stored_points = store.list_collection_points().await?;
        let stored_routes = store.list_collection_routes().await?;
        let schedule: WorkSchedule = store.setting("work_schedule").await?.unwrap_or_default();
        let calendar = match WorkCalendar::new(schedule, &store.special_days().await?) {
            Ok(c) => Some(Arc::new(c)),
            Err(e) => {
                tracing::warn!(error = %e, "work calendar unusable: routes use the built-in one");
                None
            }
        };
        let city_version: i64 = store.setting("city.version").await?.unwrap_or(0);
        let roads = if self.with(|e| e.roads_version) == Some(city_version) {
            None
        } else {
            let roads = store.list_roads().await?;
            let index = tokio::task::spawn_blocking(move || RoadIndex::build(&roads))
                .await
                .map_err(|e| StoreError::Invalid(format!("building the road index: {e}")))?;
            Some(Arc::new(index))
        };
        let mut loaded = Loaded::default();

        let trucks: Vec<Truck> = vehicles
            .iter()
            .filter(|v| v.kind == "muck_truck")
            .filter_map(|v| {
                v.phone.as_ref().map(|p| Truck {
                    phone: p.clone(),
                    plate: Some(v.plate.clone()),
                })
            })
            .collect();
        loaded.trucks = trucks.len();
        let mut rules_permits = Vec::new();
        for rec in permits.iter().filter(|p| p.revoked_at.is_none()) {
            let mut body = rec.body.clone();
            if let Some(obj) = body.as_object_mut() {
                obj.insert("id".into(), serde_json::Value::String(rec.id.to_string()));
            }
            match serde_json::from_value::<Permit>(body) {
                Ok(p) => rules_permits.push(p),
                Err(e) => loaded
                    .rejected
                    .push(format!("permit {} ({}): {e}", rec.id, rec.number)),
            }
        }
        let sites: Vec<(String, Site)> = monitors
            .iter()
            .filter_map(|m| site_of(m).map(|s| (m.mn.clone(), s)))
            .collect();
        loaded.monitors = sites.len();
        let garbage_trucks = garbage_trucks(&vehicles);
        loaded.garbage_trucks = garbage_trucks.len();
        let points: Vec<CollectionPoint> = stored_points
            .into_iter()
            .filter_map(|p| {
                Some(CollectionPoint {
                    category: WasteCategory::parse(&p.category)?,
                    id: p.point_id,
                    name: p.name,
                    position: Point::new(p.lon, p.lat),
                })
            })
            .collect();
        loaded.collection_points = points.len();
        let sweepers: Vec<(String, Option<String>)> = vehicles
            .iter()
            .filter(|v| v.kind == "sweeper")
            .filter_map(|v| v.phone.clone().map(|p| (p, Some(v.plate.clone()))))
            .collect();
        loaded.sweepers = sweepers.len();
        let routes: Vec<CollectionRoute> = stored_routes
            .iter()
            .filter_map(|r| rules_route(r, &vehicles))
            .collect();
        loaded.routes = routes.len();

        let signals = self.with(|e| {
            e.garbage_phones = garbage_trucks.iter().map(|t| t.id.clone()).collect();
            e.garbage.set_trucks(garbage_trucks);
            e.garbage.set_points(points);
            e.garbage.set_routes(routes);
            if let Some(c) = calendar {
                e.garbage.set_calendar(c);
            }
            if let Some(index) = roads {
                e.sweep_speed.set_roads(index);
                e.roads_version = Some(city_version);
            }
            e.sweeper_phones = sweepers.iter().map(|(p, _)| p.clone()).collect();
            e.sweep_speed.set_plates(sweepers);
            e.muck_phones = trucks.iter().map(|t| t.phone.clone()).collect();
            let mut signals = e.muck.set_trucks(trucks);
            let update = e.muck.set_permits(rules_permits);
            loaded.permits = e.muck.permits().count();
            loaded
                .rejected
                .extend(update.rejected.iter().map(|r| r.to_string()));
            signals.extend(update.signals);
            let known: HashSet<&str> = sites.iter().map(|(mn, _)| mn.as_str()).collect();
            let stale: Vec<String> = monitors
                .iter()
                .map(|m| m.mn.clone())
                .filter(|mn| !known.contains(mn.as_str()))
                .collect();
            for mn in stale {
                e.env.unregister(&mn);
            }
            for (mn, site) in sites {
                e.env.register(mn, site);
            }
            signals
        });
        Ok((loaded, self.writes(signals)))
    }

    /// Replays the stored track of `now`'s local day, up to `now`, of every garbage truck into
    /// the collection rules (their signals are dropped: the node that saw the fixes live raised
    /// them), so the day's visits are known and its missed points can be judged. Call once at
    /// start, after [`Supervisors::load`] and before the gateway delivers live fixes (a truck's
    /// replayed fixes older than one already seen live are ignored). Returns the fixes replayed.
    ///
    /// # Errors
    /// The database cannot be read; the tracker then judges only the days it watches whole.
    pub async fn replay_garbage_day(
        &self,
        store: &Store,
        now: Timestamp,
    ) -> Result<usize, StoreError> {
        let day = LocalDay::of(now);
        let mut fixes = Vec::new();
        for v in store
            .list_vehicles()
            .await?
            .iter()
            .filter(|v| v.kind == "garbage_truck")
        {
            let Some(phone) = &v.phone else { continue };
            let track = store
                .track(v.id, day.start(), now, MAX_REPLAY_FIXES)
                .await?;
            fixes.extend(track.iter().filter(|p| !p.backfill).map(|p| Fix {
                phone: phone.clone(),
                at: p.fix_at,
                point: Point::new(p.lon, p.lat),
                speed_kmh: p.speed_kmh,
                heading: u16::try_from(p.heading.rem_euclid(360)).unwrap_or(0),
                status: u32::try_from(p.status & 0xFFFF_FFFF).unwrap_or(0),
                alarm: u32::try_from(p.alarm & 0xFFFF_FFFF).unwrap_or(0),
                extra: Vec::new(),
            }));
        }
        fixes.sort_by_key(|f| f.at);
        let n = fixes.len();
        self.with(|e| {
            for f in &fixes {
                e.garbage.observe(f);
            }
            e.garbage.watch_from(day.start());
        });
        Ok(n)
    }

    /// Runs a batch through the rules; returns the alarm writes to make with it (including the
    /// ones kept from a failed write).
    pub fn observe(&self, batch: &[Record]) -> Vec<AlarmWrite> {
        let signals = self.with(|e| {
            let mut signals = Vec::new();
            for record in batch {
                match record {
                    Record::Fix(f) if e.muck_phones.contains(&f.phone) => {
                        if let Some(fix) = rule_fix(f) {
                            signals.extend(e.muck.observe(&fix));
                        }
                    }
                    Record::Media(m) if e.muck_phones.contains(&m.phone) => {
                        if let Some(fix) = rule_fix(&m.fix) {
                            signals.extend(e.muck.observe(&fix));
                        }
                    }
                    Record::Fix(f) if e.garbage_phones.contains(&f.phone) => {
                        if let Some(fix) = rule_fix(f) {
                            signals.extend(e.garbage.observe(&fix));
                        }
                    }
                    Record::Fix(f) if e.sweeper_phones.contains(&f.phone) => {
                        if let Some(fix) = rule_fix(f) {
                            signals.extend(e.sweep_speed.observe(&fix));
                        }
                    }
                    Record::Reading(r) if matches!(r.cn, 2011 | 2051) => {
                        signals.extend(e.env.observe(&sample(r)));
                    }
                    _ => {}
                }
            }
            signals
        });
        let mut writes = self.take_pending();
        writes.extend(self.writes(signals));
        writes
    }

    /// The silence rules (offline trucks in a window, silent monitors) at `now`.
    pub fn tick(&self, now: Timestamp) -> Vec<AlarmWrite> {
        let signals = self.with(|e| {
            let mut s = e.muck.tick(now);
            s.extend(e.env.tick(now));
            s.extend(e.garbage.tick(now));
            s
        });
        let mut writes = self.take_pending();
        writes.extend(self.writes(signals));
        writes
    }

    /// Keeps writes whose store write failed for the next batch or tick.
    pub fn retry_later(&self, writes: Vec<AlarmWrite>) {
        self.with(|e| {
            // Bound the backlog: a store down for hours must not grow memory without end; the
            // rules raise again while a breach lasts.
            const MAX_PENDING: usize = 100_000;
            e.pending.extend(writes);
            if e.pending.len() > MAX_PENDING {
                let drop = e.pending.len() - MAX_PENDING;
                e.pending.drain(..drop);
                tracing::warn!(
                    dropped = drop,
                    "alarm backlog full: oldest alarm writes dropped"
                );
            }
        });
    }

    fn take_pending(&self) -> Vec<AlarmWrite> {
        self.with(|e| std::mem::take(&mut e.pending))
    }

    fn writes(&self, signals: Vec<Signal>) -> Vec<AlarmWrite> {
        signals
            .into_iter()
            .map(|s| alarm_write(s, &self.locate))
            .collect()
    }
}

/// Writes `writes` and reports the raised keys; on failure keeps them for a retry.
pub async fn persist(
    store: &Store,
    sup: &Supervisors,
    on: Option<&OnAlarms>,
    writes: Vec<AlarmWrite>,
) {
    if writes.is_empty() {
        return;
    }
    match store.write_alarms(&writes).await {
        Ok(()) => {
            if let Some(on) = on {
                let keys = raised_keys(&writes);
                if !keys.is_empty() {
                    on(keys);
                }
            }
        }
        Err(e) => {
            tracing::warn!(error = %e, n = writes.len(), "writing alarms failed; retrying with the next batch");
            sup.retry_later(writes);
        }
    }
}

/// The open keys of the raises among `writes`.
pub fn raised_keys(writes: &[AlarmWrite]) -> Vec<String> {
    writes
        .iter()
        .filter_map(|w| match w {
            AlarmWrite::Raise(r) => Some(r.open_key.clone()),
            AlarmWrite::Clear(_) => None,
        })
        .collect()
}

/// A signal as the store writes it; the grid is located from the position.
pub fn alarm_write(signal: Signal, locate: &Locate) -> AlarmWrite {
    let grid_code = match &signal {
        Signal::Raise(r) => r.position.and_then(|p| locate(p.lon, p.lat)),
        Signal::Clear(_) => None,
    };
    AlarmWrite::from_signal(signal, grid_code)
}

/// The garbage trucks of the registry with a terminal, their category read from the company
/// text (e.g. `中原区环卫中心（厨余）`).
fn garbage_trucks(vehicles: &[store::Vehicle]) -> Vec<garbage::Truck> {
    vehicles
        .iter()
        .filter(|v| v.kind == "garbage_truck")
        .filter_map(|v| {
            v.phone.as_ref().map(|p| garbage::Truck {
                id: p.clone(),
                plate: Some(v.plate.clone()),
                category: v.company.as_deref().and_then(WasteCategory::from_marker),
            })
        })
        .collect()
}

/// A stored route as the rules take it: its truck's terminal phone is the tracker's id. `None`
/// for a truck without a terminal or a row the rules cannot read (logged).
fn rules_route(r: &store::CollectionRoute, vehicles: &[store::Vehicle]) -> Option<CollectionRoute> {
    let v = vehicles.iter().find(|v| v.id == r.vehicle_id)?;
    let phone = v.phone.clone()?;
    let (Some(category), Ok(days), Ok(finish_by)) = (
        WasteCategory::parse(&r.category),
        serde_json::from_value(r.days.clone()),
        u32::try_from(r.finish_by),
    ) else {
        tracing::warn!(route = %r.route_id, "collection route unreadable: not supervised");
        return None;
    };
    Some(CollectionRoute {
        id: r.route_id.clone(),
        name: r.name.clone(),
        truck: phone,
        plate: Some(v.plate.clone()),
        category,
        points: r.points.clone(),
        days,
        finish_by,
        any_truck: r.any_truck,
    })
}

/// A live fix for the rules; `None` for history (backfill) and fixes without a valid time.
fn rule_fix(f: &VehicleFix) -> Option<Fix> {
    if f.backfill {
        return None;
    }
    let at = f.device_time?;
    Some(Fix {
        phone: f.phone.clone(),
        at: Timestamp(at),
        point: Point::new(f.longitude, f.latitude),
        speed_kmh: f.speed_kmh,
        heading: f.heading,
        status: f.status,
        alarm: f.alarm,
        extra: f.extra.clone(),
    })
}

fn sample(r: &Hj212Reading) -> MonitorSample {
    MonitorSample::from_hj212(
        &r.mn,
        Timestamp(r.data_time.unwrap_or(r.received_at)),
        r.factors.iter().map(|f| (f.code.as_str(), &f.fields)),
    )
}

/// The site a monitor watches, from its directory entry: fume monitors watch restaurants, dust
/// and noise monitors construction sites. Others have no rules.
fn site_of(m: &store::Monitor) -> Option<Site> {
    let kind = match m.kind.as_str() {
        "fume" => SiteKind::Restaurant {
            size: match m.size_class.as_deref() {
                Some("small") => RestaurantSize::Small,
                Some("large") => RestaurantSize::Large,
                _ => RestaurantSize::Medium,
            },
        },
        "dust" | "noise" => SiteKind::ConstructionSite,
        _ => return None,
    };
    Some(Site {
        name: m.site.clone().unwrap_or_else(|| m.name.clone()),
        kind,
        position: m.lat.zip(m.lon).map(|(lat, lon)| Point::new(lon, lat)),
        grid_code: m.grid_code.clone(),
        particulate_unit: ParticulateUnit::UgM3,
    })
}
