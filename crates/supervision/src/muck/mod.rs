//! Muck-truck closed-loop supervision 渣土车闭环监管.
//!
//! A [`Permit`] 渣土处置核准证 names trucks (by terminal phone), a construction site, a disposal
//! site, a route corridor, daily time windows and validity dates. [`MuckSupervisor`] holds the
//! permits and the muck-truck fleet, takes every position fix of those trucks
//! ([`MuckSupervisor::observe`]) and a periodic [`MuckSupervisor::tick`] for silence, and returns
//! [`Signal`]s. Each rule runs through a [`Hysteresis`](crate::alarm::Hysteresis), so a
//! continuing breach gives one raise and a brief excursion none.
//!
//! "In force" below means: the fix's Asia/Shanghai date lies in the permit's validity dates, or
//! the fix lies in the after-midnight part of a window that started on the last valid day.
//! Geographic rules look only at the sites and corridors of the truck's permits in force.
//!
//! | rule id | level | case class | breaks when |
//! |---|---|---|---|
//! | `muck.off_route` | 预警 | 08901 渣土车违规运输 | moving, farther than width/2 + tolerance from every corridor centre line and outside every site |
//! | `muck.time_window` | 预警 | 08901 渣土车违规运输 | moving while a permit is in force but none of its windows is open |
//! | `muck.dumping` | 严重 | 08005 施工废弃料 | loaded and stopped outside every site and corridor |
//! | `muck.unload` | 严重 | 08005 施工废弃料 | empty since the load went loaded → empty outside every site |
//! | `muck.speeding` | 预警 | 08901 渣土车违规运输 | faster than the limit |
//! | `muck.uncovered` | 预警 | 08011 渣土运输车辆未安装密闭装置 | loaded, outside the sites, cover item says open |
//! | `muck.no_permit` | 预警 | 08901 渣土车违规运输 | moving or loaded with no permit in force |
//! | `muck.offline` | 预警 | none (an operator checks the terminal) | silent for 10 min while a window is open |
//!
//! Why these classes (GB/T 47678.5-2026 and the shipped local extensions, all routed to 执法
//! enforcement by their department type):
//! - **08901 渣土车违规运输** (local extension `local:zhengzhou` in `domain/data/taxonomy.csv`):
//!   its filing conditions are 渣土车未办理核准手续运输 and 渣土车未按规定时间、路线行驶 — exactly
//!   no permit, off route and outside the window. The national standard has no transport
//!   violation class. Speeding is filed here too: the permit's transport conditions include the
//!   speed limit, and enforcement (not traffic police) acts on the permit.
//! - **08005 施工废弃料**: filing condition 施工废弃料随意倾倒、堆放 — the national class for
//!   construction waste dumped where it may not be (偷倒/乱倒), department enforcement. (06011
//!   积存垃圾渣土 is the heap left behind, a sanitation clean-up, not the dumping act.)
//! - **08011 渣土运输车辆未安装密闭装置**: filing condition 渣土运输车辆未安装或未使用密闭装置 —
//!   an open cover on a loaded truck is this class. 06014 道路遗撒（洒）is the spill found on the
//!   road afterwards (sanitation clean-up); a cover sensor does not see a spill, so it is not used.

mod config;
mod permit;

use std::collections::HashMap;

use domain::time::Timestamp;
use grid::Point;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::alarm::{AlarmKey, AlarmLevel, Clear, Edge, HysteresisState, Raise, Signal, SourceKind};
use crate::vehicle::{Fix, Load};

pub use config::{
    DumpingRule, MuckConfig, NoPermitRule, OffRouteRule, OfflineRule, SpeedingRule, TRACK_CAPACITY,
    TimeWindowRule, UncoveredRule, UnloadRule,
};
pub use permit::{Permit, PermitError, PermitProblem, PermitVehicle, SiteKind, TimeWindow};

use permit::{Prepared, local_day_ms};

/// 08901 渣土车违规运输 (local extension): no permit, off route, outside the window, speeding.
pub const CLASS_IRREGULAR_TRANSPORT: &str = "08901";
/// 08005 施工废弃料 (GB/T 47678.5-2026): dumping 偷倒 by stopping or unloading.
pub const CLASS_DUMPING: &str = "08005";
/// 08011 渣土运输车辆未安装密闭装置 (GB/T 47678.5-2026): driving loaded with the cover open.
pub const CLASS_UNCOVERED: &str = "08011";

/// The muck-truck rules.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MuckRule {
    /// 偏离核准路线.
    OffRoute,
    /// 核准时段外行驶.
    TimeWindow,
    /// 场外停车 (suspected dumping).
    Dumping,
    /// 场外卸载 (suspected dumping).
    Unload,
    /// 超速.
    Speeding,
    /// 未密闭.
    Uncovered,
    /// 无证运输.
    NoPermit,
    /// 作业时段离线.
    Offline,
}

impl MuckRule {
    /// Every rule, in the order signals of one fix are emitted.
    pub const ALL: [MuckRule; 8] = [
        MuckRule::OffRoute,
        MuckRule::TimeWindow,
        MuckRule::Dumping,
        MuckRule::Unload,
        MuckRule::Speeding,
        MuckRule::Uncovered,
        MuckRule::NoPermit,
        MuckRule::Offline,
    ];

    /// The stable rule id used in [`AlarmKey::rule`].
    pub fn id(self) -> &'static str {
        match self {
            MuckRule::OffRoute => "muck.off_route",
            MuckRule::TimeWindow => "muck.time_window",
            MuckRule::Dumping => "muck.dumping",
            MuckRule::Unload => "muck.unload",
            MuckRule::Speeding => "muck.speeding",
            MuckRule::Uncovered => "muck.uncovered",
            MuckRule::NoPermit => "muck.no_permit",
            MuckRule::Offline => "muck.offline",
        }
    }

    /// Parses [`MuckRule::id`].
    pub fn parse(id: &str) -> Option<MuckRule> {
        MuckRule::ALL.into_iter().find(|r| r.id() == id)
    }

    /// How serious a breach is.
    pub fn level(self) -> AlarmLevel {
        match self {
            MuckRule::Dumping | MuckRule::Unload => AlarmLevel::Severe,
            _ => AlarmLevel::Warning,
        }
    }

    /// The taxonomy class a case is filed in (see the module table), `None` for offline.
    pub fn class_code(self) -> Option<&'static str> {
        match self {
            MuckRule::OffRoute | MuckRule::TimeWindow | MuckRule::Speeding | MuckRule::NoPermit => {
                Some(CLASS_IRREGULAR_TRANSPORT)
            }
            MuckRule::Dumping | MuckRule::Unload => Some(CLASS_DUMPING),
            MuckRule::Uncovered => Some(CLASS_UNCOVERED),
            MuckRule::Offline => None,
        }
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            MuckRule::OffRoute => "偏离核准路线",
            MuckRule::TimeWindow => "核准时段外行驶",
            MuckRule::Dumping => "场外停车（疑似偷倒）",
            MuckRule::Unload => "场外卸载（疑似偷倒）",
            MuckRule::Speeding => "超速",
            MuckRule::Uncovered => "未密闭运输",
            MuckRule::NoPermit => "无证运输",
            MuckRule::Offline => "作业时段离线",
        }
    }

    fn idx(self) -> usize {
        self as usize
    }
}

/// A muck truck of the fleet (from the vehicle directory), supervised even without a permit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Truck {
    /// The terminal phone, in the same form as [`Fix::phone`].
    pub phone: String,
    /// The number plate 车牌号, used in messages.
    #[serde(default)]
    pub plate: Option<String>,
}

/// What [`MuckSupervisor::set_permits`] did.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PermitUpdate {
    /// Permits left out because [`Permit::validate`] failed.
    pub rejected: Vec<PermitError>,
    /// Clears for the open alarms of trucks no longer named by any permit nor in the fleet.
    pub signals: Vec<Signal>,
}

/// One fix kept for the track snippet.
#[derive(Clone, Copy, Debug, Default)]
struct TrackPoint {
    t_ms: i64,
    lon: f64,
    lat: f64,
    speed_kmh: f64,
}

/// A fixed ring of the last [`TRACK_CAPACITY`] located fixes.
#[derive(Clone, Debug)]
struct Track {
    buf: [TrackPoint; TRACK_CAPACITY],
    /// Next write position.
    head: usize,
    len: usize,
}

impl Track {
    fn new() -> Track {
        Track {
            buf: [TrackPoint::default(); TRACK_CAPACITY],
            head: 0,
            len: 0,
        }
    }

    fn push(&mut self, p: TrackPoint) {
        if let Some(slot) = self.buf.get_mut(self.head) {
            *slot = p;
        }
        self.head = (self.head + 1) % TRACK_CAPACITY;
        self.len = (self.len + 1).min(TRACK_CAPACITY);
    }

    /// The last `n` points as JSON, oldest first.
    fn snippet(&self, n: usize) -> Value {
        let n = n.min(self.len);
        let start = (self.head + TRACK_CAPACITY - n) % TRACK_CAPACITY;
        Value::Array(
            (0..n)
                .filter_map(|i| self.buf.get((start + i) % TRACK_CAPACITY))
                .map(|p| json!({"t": p.t_ms, "lon": p.lon, "lat": p.lat, "speed_kmh": p.speed_kmh}))
                .collect(),
        )
    }
}

/// An unload outside the sites that has not been followed by loading again.
#[derive(Clone, Copy, Debug)]
struct Unloaded {
    at: Timestamp,
    point: Point,
    before: Load,
}

/// Everything the supervisor remembers about one truck.
#[derive(Clone, Debug)]
struct Vehicle {
    plate: Option<String>,
    in_fleet: bool,
    /// Positions in `MuckSupervisor::permits`.
    permits: Vec<u32>,
    /// Last accepted report (located or not).
    last_seen: Option<Timestamp>,
    last_located: Option<Timestamp>,
    last_point: Option<Point>,
    /// Last reported load other than [`Load::Unknown`].
    last_load: Option<Load>,
    unloaded: Option<Unloaded>,
    rules: [HysteresisState; 8],
    /// Latest instant fed to the offline hysteresis (ticks and reports use different clocks).
    offline_clock: i64,
    /// (permit position, segment) that matched the corridor last.
    hint: (u32, u32),
    track: Track,
}

impl Vehicle {
    fn new() -> Vehicle {
        Vehicle {
            plate: None,
            in_fleet: false,
            permits: Vec::new(),
            last_seen: None,
            last_located: None,
            last_point: None,
            last_load: None,
            unloaded: None,
            rules: [HysteresisState::default(); 8],
            offline_clock: i64::MIN,
            hint: (0, 0),
            track: Track::new(),
        }
    }
}

/// The per-fix view of a truck's permits, computing geometry only when a rule asks.
struct Geo<'a> {
    permits: &'a [Prepared],
    mine: &'a [u32],
    day: i64,
    ms: i64,
    p: Point,
    in_force: Option<bool>,
    in_site: Option<bool>,
    in_corridor: Option<bool>,
}

impl<'a> Geo<'a> {
    fn new(permits: &'a [Prepared], mine: &'a [u32], at: Timestamp, p: Point) -> Geo<'a> {
        let (day, ms) = local_day_ms(at.0);
        Geo {
            permits,
            mine,
            day,
            ms,
            p,
            in_force: None,
            in_site: None,
            in_corridor: None,
        }
    }

    fn active(&self) -> impl Iterator<Item = (u32, &'a Prepared)> + '_ {
        self.mine
            .iter()
            .filter_map(|&i| self.permits.get(i as usize).map(|p| (i, p)))
            .filter(|(_, p)| p.in_force(self.day, self.ms))
    }

    fn any_in_force(&mut self) -> bool {
        if let Some(v) = self.in_force {
            return v;
        }
        let v = self.active().next().is_some();
        self.in_force = Some(v);
        v
    }

    fn any_window_open(&self) -> bool {
        self.active().any(|(_, p)| p.in_window(self.day, self.ms))
    }

    fn in_site(&mut self) -> bool {
        if let Some(v) = self.in_site {
            return v;
        }
        let v = self.active().any(|(_, p)| p.in_site(self.p));
        self.in_site = Some(v);
        v
    }

    fn in_corridor(&mut self, hint: &mut (u32, u32)) -> bool {
        if let Some(v) = self.in_corridor {
            return v;
        }
        let mut v = false;
        // The permit that matched last time first.
        if let Some(p) = self.permits.get(hint.0 as usize)
            && self.mine.contains(&hint.0)
            && p.in_force(self.day, self.ms)
        {
            v = p.corridor.within(self.p, &mut hint.1);
        }
        if !v {
            for (i, p) in self.active() {
                let mut seg = 0;
                if i != hint.0 && p.corridor.within(self.p, &mut seg) {
                    *hint = (i, seg);
                    v = true;
                    break;
                }
            }
        }
        self.in_corridor = Some(v);
        v
    }

    /// The permit in force whose centre line is nearest, and the distance in metres.
    fn nearest(&self) -> Option<(&'a Prepared, f64)> {
        self.active()
            .map(|(_, p)| (p, p.corridor.distance_m(self.p)))
            .min_by(|a, b| a.1.total_cmp(&b.1))
    }

    fn numbers(&self) -> Vec<&'a str> {
        self.active()
            .map(|(_, p)| p.permit.number.as_str())
            .collect()
    }

    fn windows(&self) -> Vec<String> {
        self.active()
            .flat_map(|(_, p)| p.permit.windows.iter().map(ToString::to_string))
            .collect()
    }
}

fn load_label(load: Load) -> &'static str {
    match load {
        Load::Empty => "空车",
        Load::Half => "半载",
        Load::Full => "满载",
        Load::Unknown => "未知",
    }
}

/// The value of an additional-information item as a big-endian number (at most 4 bytes used).
fn item_value(fix: &Fix, id: u8) -> Option<u32> {
    let (_, bytes) = fix.extra.iter().find(|(i, _)| *i == id)?;
    if bytes.is_empty() {
        return None;
    }
    Some(
        bytes
            .iter()
            .take(4)
            .fold(0u32, |acc, b| (acc << 8) | u32::from(*b)),
    )
}

fn round1(x: f64) -> f64 {
    (x * 10.0).round() / 10.0
}

fn key(phone: &str, rule: MuckRule) -> AlarmKey {
    AlarmKey::new(SourceKind::Vehicle, phone, rule.id())
}

fn clear(phone: &str, rule: MuckRule, at: Timestamp) -> Signal {
    Signal::Clear(Clear {
        key: key(phone, rule),
        at,
    })
}

/// Builds a raise; `detail` gets the rule id and the track snippet added.
fn raise(
    phone: &str,
    rule: MuckRule,
    since: Timestamp,
    position: Option<Point>,
    message: String,
    mut detail: Value,
    track: Value,
) -> Signal {
    if let Value::Object(map) = &mut detail {
        map.insert("rule".into(), Value::from(rule.id()));
        map.insert("track".into(), track);
    }
    Signal::Raise(Raise {
        key: key(phone, rule),
        level: rule.level(),
        at: since,
        message,
        position,
        class_code: rule.class_code().map(str::to_owned),
        detail,
    })
}

/// Muck-truck supervision for a whole fleet: permits and per-truck rule state.
///
/// Feed every fix of every vehicle (fixes of vehicles that are neither in the fleet nor named by
/// a permit cost one hash lookup and are ignored). Per vehicle, fixes must come in time order: a
/// fix not later than the last accepted one (duplicate, out of order, or a blind-area
/// retransmission) is ignored.
#[derive(Clone, Debug)]
pub struct MuckSupervisor {
    config: MuckConfig,
    permits: Vec<Prepared>,
    fleet: HashMap<String, Option<String>>,
    vehicles: HashMap<String, Vehicle>,
}

impl MuckSupervisor {
    /// A supervisor with no permits and no fleet.
    pub fn new(config: MuckConfig) -> MuckSupervisor {
        MuckSupervisor {
            config,
            permits: Vec::new(),
            fleet: HashMap::new(),
            vehicles: HashMap::new(),
        }
    }

    /// The configuration in use.
    pub fn config(&self) -> &MuckConfig {
        &self.config
    }

    /// The permits in use (those that passed validation).
    pub fn permits(&self) -> impl Iterator<Item = &Permit> {
        self.permits.iter().map(|p| &p.permit)
    }

    /// How many trucks the supervisor knows (fleet ∪ vehicles named by permits).
    pub fn vehicle_count(&self) -> usize {
        self.vehicles.len()
    }

    /// The permits naming `phone` that are in force at `at` (see the module docs).
    pub fn permits_in_force(&self, phone: &str, at: Timestamp) -> Vec<&Permit> {
        let (day, ms) = local_day_ms(at.0);
        self.vehicles
            .get(phone)
            .map(|v| {
                v.permits
                    .iter()
                    .filter_map(|&i| self.permits.get(i as usize))
                    .filter(|p| p.in_force(day, ms))
                    .map(|p| &p.permit)
                    .collect()
            })
            .unwrap_or_default()
    }

    /// Replaces the muck-truck fleet. Trucks that leave the fleet and are named by no permit are
    /// forgotten; the returned signals clear their open alarms.
    pub fn set_trucks(&mut self, trucks: impl IntoIterator<Item = Truck>) -> Vec<Signal> {
        self.fleet = trucks
            .into_iter()
            .filter(|t| !t.phone.trim().is_empty())
            .map(|t| (t.phone.trim().to_owned(), t.plate))
            .collect();
        self.reindex()
    }

    /// Replaces the permits. Invalid permits are left out and reported; trucks no longer named
    /// and not in the fleet are forgotten, with clears for their open alarms. Per-truck rule
    /// state of the remaining trucks is kept.
    pub fn set_permits(&mut self, permits: Vec<Permit>) -> PermitUpdate {
        let tolerance = self.config.off_route.tolerance_m;
        let mut rejected = Vec::new();
        let mut prepared = Vec::with_capacity(permits.len());
        for p in permits {
            match p.validate() {
                Ok(()) => prepared.push(Prepared::new(p, tolerance)),
                Err(e) => rejected.push(e),
            }
        }
        self.permits = prepared;
        let signals = self.reindex();
        PermitUpdate { rejected, signals }
    }

    fn reindex(&mut self) -> Vec<Signal> {
        for v in self.vehicles.values_mut() {
            v.permits.clear();
            v.in_fleet = false;
            v.plate = None;
            v.hint = (0, 0);
        }
        for (phone, plate) in &self.fleet {
            let v = self
                .vehicles
                .entry(phone.clone())
                .or_insert_with(Vehicle::new);
            v.in_fleet = true;
            v.plate.clone_from(plate);
        }
        for (i, p) in self.permits.iter().enumerate() {
            let Ok(i) = u32::try_from(i) else { break };
            for pv in &p.permit.vehicles {
                let v = self
                    .vehicles
                    .entry(pv.phone.trim().to_owned())
                    .or_insert_with(Vehicle::new);
                if !v.permits.contains(&i) {
                    v.permits.push(i);
                }
                if v.plate.is_none() {
                    v.plate.clone_from(&pv.plate);
                }
            }
        }
        let mut out = Vec::new();
        self.vehicles.retain(|phone, v| {
            let keep = v.in_fleet || !v.permits.is_empty();
            if !keep {
                let at = v.last_seen.unwrap_or(Timestamp(0));
                for rule in MuckRule::ALL {
                    if v.rules.get(rule.idx()).is_some_and(|s| s.is_active()) {
                        out.push(clear(phone, rule, at));
                    }
                }
            }
            keep
        });
        out.sort_by(|a, b| a.key().cmp(b.key()));
        out
    }

    /// Takes one fix and returns the raises and clears it causes (usually none).
    pub fn observe(&mut self, fix: &Fix) -> Vec<Signal> {
        let mut out = Vec::new();
        let Some(v) = self.vehicles.get_mut(fix.phone.as_str()) else {
            return out;
        };
        if v.last_seen.is_some_and(|t| fix.at <= t) {
            return out;
        }
        v.last_seen = Some(fix.at);
        let cfg = &self.config;
        let phone = fix.phone.as_str();
        let name = v.plate.as_deref().unwrap_or(phone);

        // Any report ends a silence.
        if cfg.offline.enabled {
            v.offline_clock = v.offline_clock.max(fix.at.0);
            let state = &mut v.rules[MuckRule::Offline.idx()];
            if let Some(Edge::Cleared { .. }) =
                state.observe(&cfg.offline.hysteresis, false, Timestamp(v.offline_clock))
            {
                out.push(clear(phone, MuckRule::Offline, fix.at));
            }
        }

        let p = fix.point;
        if !fix.located() || !p.lon.is_finite() || !p.lat.is_finite() || !fix.speed_kmh.is_finite()
        {
            return out;
        }
        if v.last_located
            .is_some_and(|prev| fix.at.0.saturating_sub(prev.0) > cfg.max_gap_ms)
        {
            for s in v.rules.iter_mut().take(MuckRule::Offline.idx()) {
                s.reset_run();
            }
        }
        v.last_located = Some(fix.at);
        v.last_point = Some(p);
        v.track.push(TrackPoint {
            t_ms: fix.at.0,
            lon: p.lon,
            lat: p.lat,
            speed_kmh: fix.speed_kmh,
        });
        let load = fix.load();
        let prev_load = v.last_load;
        if load != Load::Unknown {
            v.last_load = Some(load);
        }
        let loaded = load.is_loaded();
        let moving = fix.speed_kmh > cfg.moving_kmh;
        let speed = round1(fix.speed_kmh);
        let track_n = cfg.track_points;
        let mut geo = Geo::new(&self.permits, &v.permits, fix.at, p);
        let rules = &mut v.rules;
        let hint = &mut v.hint;
        let track = &v.track;

        // muck.off_route
        if cfg.off_route.enabled {
            let rule = &cfg.off_route;
            let checked = !rule.only_when_loaded || loaded || load == Load::Unknown;
            let breaking = if !checked || !geo.any_in_force() {
                Some(false)
            } else if !moving {
                None // a stop neither starts nor ends an excursion
            } else {
                Some(!geo.in_site() && !geo.in_corridor(hint))
            };
            if let Some(b) = breaking {
                match rules[MuckRule::OffRoute.idx()].observe(&rule.hysteresis, b, fix.at) {
                    Some(Edge::Raised { since }) => {
                        let (number, distance_m, radius_m) = geo
                            .nearest()
                            .map(|(pp, d)| {
                                (Some(pp.permit.number.as_str()), d, pp.corridor.radius_m())
                            })
                            .unwrap_or((None, f64::NAN, f64::NAN));
                        let half_width_m = radius_m - rule.tolerance_m.max(0.0);
                        out.push(raise(
                            phone,
                            MuckRule::OffRoute,
                            since,
                            Some(p),
                            format!("{name} 偏离核准路线 {distance_m:.0} m"),
                            json!({
                                "permit_number": number,
                                "thresholds": {
                                    "corridor_half_width_m": round1(half_width_m),
                                    "tolerance_m": rule.tolerance_m,
                                    "raise_after_ms": rule.hysteresis.raise_after_ms,
                                    "raise_samples": rule.hysteresis.raise_samples,
                                },
                                "measured": {
                                    "distance_m": round1(distance_m),
                                    "speed_kmh": speed,
                                },
                            }),
                            track.snippet(track_n),
                        ));
                    }
                    Some(Edge::Cleared { .. }) => {
                        out.push(clear(phone, MuckRule::OffRoute, fix.at));
                    }
                    None => {}
                }
            }
        }

        // muck.time_window
        if cfg.time_window.enabled {
            let rule = &cfg.time_window;
            let breaking = moving && geo.any_in_force() && !geo.any_window_open();
            match rules[MuckRule::TimeWindow.idx()].observe(&rule.hysteresis, breaking, fix.at) {
                Some(Edge::Raised { since }) => {
                    let windows = geo.windows();
                    let local = fix.at.to_shanghai().format("%H:%M").to_string();
                    out.push(raise(
                        phone,
                        MuckRule::TimeWindow,
                        since,
                        Some(p),
                        format!(
                            "{name} 在核准时段外行驶 {speed:.0} km/h（{local}，核准时段 {}）",
                            windows.join("、")
                        ),
                        json!({
                            "permit_numbers": geo.numbers(),
                            "thresholds": {
                                "windows": windows,
                                "moving_kmh": cfg.moving_kmh,
                                "raise_after_ms": rule.hysteresis.raise_after_ms,
                            },
                            "measured": { "local_time": local, "speed_kmh": speed },
                        }),
                        track.snippet(track_n),
                    ));
                }
                Some(Edge::Cleared { .. }) => {
                    out.push(clear(phone, MuckRule::TimeWindow, fix.at));
                }
                None => {}
            }
        }

        // muck.dumping (stop)
        if cfg.dumping.enabled {
            let rule = &cfg.dumping;
            let breaking = loaded
                && fix.speed_kmh < rule.stop_kmh
                && geo.any_in_force()
                && !geo.in_site()
                && !geo.in_corridor(hint);
            match rules[MuckRule::Dumping.idx()].observe(&rule.hysteresis, breaking, fix.at) {
                Some(Edge::Raised { since }) => {
                    let stopped_ms = fix.at.0 - since.0;
                    out.push(raise(
                        phone,
                        MuckRule::Dumping,
                        since,
                        Some(p),
                        format!(
                            "{name} {}在核准场地和路线外停车 {} 分钟，疑似偷倒",
                            load_label(load),
                            stopped_ms / 60_000
                        ),
                        json!({
                            "permit_numbers": geo.numbers(),
                            "thresholds": {
                                "stop_kmh": rule.stop_kmh,
                                "raise_after_ms": rule.hysteresis.raise_after_ms,
                            },
                            "measured": {
                                "stopped_ms": stopped_ms,
                                "speed_kmh": speed,
                                "load": load,
                            },
                        }),
                        track.snippet(track_n),
                    ));
                }
                Some(Edge::Cleared { .. }) => {
                    out.push(clear(phone, MuckRule::Dumping, fix.at));
                }
                None => {}
            }
        }

        // muck.unload
        if cfg.unload.enabled {
            if let Some(before) = prev_load
                && before.is_loaded()
                && load == Load::Empty
                && geo.any_in_force()
                && !geo.in_site()
            {
                v.unloaded = Some(Unloaded {
                    at: fix.at,
                    point: p,
                    before,
                });
            }
            if loaded {
                v.unloaded = None;
            }
            if load != Load::Unknown {
                let breaking = v.unloaded.is_some();
                match rules[MuckRule::Unload.idx()].observe(
                    &cfg.unload.hysteresis,
                    breaking,
                    fix.at,
                ) {
                    Some(Edge::Raised { since }) => {
                        let (at, point, before) = v
                            .unloaded
                            .map(|u| (u.at, u.point, u.before))
                            .unwrap_or((since, p, Load::Unknown));
                        out.push(raise(
                            phone,
                            MuckRule::Unload,
                            at,
                            Some(point),
                            format!(
                                "{name} 在核准场地外卸载（{}→空车），疑似偷倒",
                                load_label(before)
                            ),
                            json!({
                                "permit_numbers": geo.numbers(),
                                "thresholds": {
                                    "raise_samples": cfg.unload.hysteresis.raise_samples,
                                },
                                "measured": {
                                    "load_before": before,
                                    "load_after": Load::Empty,
                                    "unload_at": at.0,
                                    "unload_lon": point.lon,
                                    "unload_lat": point.lat,
                                },
                            }),
                            track.snippet(track_n),
                        ));
                    }
                    Some(Edge::Cleared { .. }) => {
                        out.push(clear(phone, MuckRule::Unload, fix.at));
                    }
                    None => {}
                }
            }
        }

        // muck.speeding
        if cfg.speeding.enabled {
            let rule = &cfg.speeding;
            let breaking = fix.speed_kmh > rule.limit_kmh;
            match rules[MuckRule::Speeding.idx()].observe(&rule.hysteresis, breaking, fix.at) {
                Some(Edge::Raised { since }) => {
                    out.push(raise(
                        phone,
                        MuckRule::Speeding,
                        since,
                        Some(p),
                        format!(
                            "{name} 超速 {speed:.0} km/h（限速 {:.0} km/h）",
                            rule.limit_kmh
                        ),
                        json!({
                            "thresholds": {
                                "limit_kmh": rule.limit_kmh,
                                "raise_after_ms": rule.hysteresis.raise_after_ms,
                                "raise_samples": rule.hysteresis.raise_samples,
                            },
                            "measured": { "speed_kmh": speed },
                        }),
                        track.snippet(track_n),
                    ));
                }
                Some(Edge::Cleared { .. }) => {
                    out.push(clear(phone, MuckRule::Speeding, fix.at));
                }
                None => {}
            }
        }

        // muck.uncovered
        if cfg.uncovered.enabled
            && let Some(id) = cfg.uncovered.item_id
            && let Some(value) = item_value(fix, id)
        {
            let rule = &cfg.uncovered;
            let closed = value & rule.closed_mask != 0;
            let in_site = geo.any_in_force() && geo.in_site();
            let breaking = loaded && !closed && !in_site;
            match rules[MuckRule::Uncovered.idx()].observe(&rule.hysteresis, breaking, fix.at) {
                Some(Edge::Raised { since }) => {
                    out.push(raise(
                        phone,
                        MuckRule::Uncovered,
                        since,
                        Some(p),
                        format!("{name} {}未密闭行驶", load_label(load)),
                        json!({
                            "permit_numbers": geo.numbers(),
                            "thresholds": {
                                "item_id": id,
                                "closed_mask": rule.closed_mask,
                                "raise_after_ms": rule.hysteresis.raise_after_ms,
                            },
                            "measured": { "item_value": value, "load": load, "speed_kmh": speed },
                        }),
                        track.snippet(track_n),
                    ));
                }
                Some(Edge::Cleared { .. }) => {
                    out.push(clear(phone, MuckRule::Uncovered, fix.at));
                }
                None => {}
            }
        }

        // muck.no_permit
        if cfg.no_permit.enabled {
            let rule = &cfg.no_permit;
            let breaking = (moving || loaded) && !geo.any_in_force();
            match rules[MuckRule::NoPermit.idx()].observe(&rule.hysteresis, breaking, fix.at) {
                Some(Edge::Raised { since }) => {
                    out.push(raise(
                        phone,
                        MuckRule::NoPermit,
                        since,
                        Some(p),
                        format!(
                            "{name} 无有效核准证运输（{speed:.0} km/h，{}）",
                            load_label(load)
                        ),
                        json!({
                            "permit_number": Value::Null,
                            "thresholds": {
                                "moving_kmh": cfg.moving_kmh,
                                "raise_after_ms": rule.hysteresis.raise_after_ms,
                            },
                            "measured": { "speed_kmh": speed, "load": load },
                        }),
                        track.snippet(track_n),
                    ));
                }
                Some(Edge::Cleared { .. }) => {
                    out.push(clear(phone, MuckRule::NoPermit, fix.at));
                }
                None => {}
            }
        }
        out
    }

    /// Checks every known truck for silence at `now` (call every 30–60 s): a truck whose last
    /// report is at least `offline.after_ms` old while a window of one of its permits is open
    /// raises `muck.offline`; it clears on the next report or when no window is open any more.
    /// Trucks that never reported are not checked. Signals are sorted by key.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Signal> {
        let mut out = Vec::new();
        let rule = &self.config.offline;
        if !rule.enabled {
            return out;
        }
        let (day, ms) = local_day_ms(now.0);
        for (phone, v) in &mut self.vehicles {
            let Some(last) = v.last_seen else { continue };
            let silent_ms = now.0.saturating_sub(last.0);
            let open = v
                .permits
                .iter()
                .filter_map(|&i| self.permits.get(i as usize))
                .find(|p| p.in_window(day, ms));
            let breaking = silent_ms >= rule.after_ms && open.is_some();
            v.offline_clock = v.offline_clock.max(now.0);
            let clock = Timestamp(v.offline_clock);
            match v.rules[MuckRule::Offline.idx()].observe(&rule.hysteresis, breaking, clock) {
                Some(Edge::Raised { since }) => {
                    let name = v.plate.as_deref().unwrap_or(phone);
                    out.push(raise(
                        phone,
                        MuckRule::Offline,
                        since,
                        v.last_point,
                        format!("{name} 作业时段内离线 {} 分钟", silent_ms / 60_000),
                        json!({
                            "permit_number": open.map(|p| p.permit.number.as_str()),
                            "thresholds": { "after_ms": rule.after_ms },
                            "measured": { "silent_ms": silent_ms, "last_seen": last.0 },
                        }),
                        v.track.snippet(self.config.track_points),
                    ));
                }
                Some(Edge::Cleared { .. }) => out.push(clear(phone, MuckRule::Offline, now)),
                None => {}
            }
        }
        out.sort_by(|a, b| a.key().cmp(b.key()));
        out
    }
}
