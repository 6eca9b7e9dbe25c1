//! Garbage collection 垃圾收运: garbage trucks' visits to collection points 收集点, the daily
//! collection report, and the 前分后混 (mixing after separation) check.
//!
//! # Visits
//!
//! [`GarbageTracker::observe`] takes each truck's fixes in time order. A fix is **stopped** at a
//! collection point when its speed is at most [`GarbageConfig::stop_speed_kmh`] and it lies
//! within [`GarbageConfig::stop_radius_m`] of the point. Consecutive stopped fixes of one truck at
//! one point, each at most [`GarbageConfig::max_gap_ms`] after the previous, form a **stop**;
//! the stop is a **visit** once its first and last fixes are at least
//! [`GarbageConfig::min_stop_s`] apart (with a fix every 30 s, a 60 s stop needs three fixes).
//! A visit's arrival is its first fix, its departure its last; it belongs to the local
//! (Asia/Shanghai) day of its arrival, so a stop over local midnight stays one visit of the day
//! it began. A moving fix, a fix too far away or a gap ends the stop.
//!
//! Sites often hold bins of several categories side by side. When a truck stops within the
//! radius of points of several categories, it visits those of its own category: a stop at a
//! point of another category is not a visit when, at the moment it would become one, the truck
//! is also stopped at a point of its own category. Only a stop where no point of the truck's
//! category is in reach counts as a visit to another category. (A truck emptying both bins of
//! such a site looks like one serving its own: positions cannot tell which bin was emptied;
//! that needs bin RFID tags or on-board weighing.)
//!
//! # A truck's category
//!
//! A truck serves one category a day. Its category is the one it was registered with
//! ([`Truck::category`]); for a truck registered without one, the category of its first visit of
//! the day (and in the daily report, the category of most of its visits that day). The category
//! resets at local midnight.
//!
//! # 前分后混
//!
//! A visit to a point of another category than the truck's is **mixed**: the truck collects
//! separated waste into one load. The first mixed visit of a truck on a day raises
//! [`RULE_MIXED`] (level warning) on the truck ([`SourceKind::Vehicle`], its terminal phone) in
//! class [`MIXED_CLASS_CODE`] = `06041` 垃圾未分类 of the taxonomy (市容环境类), whose filing
//! conditions include 分类垃圾混装混运 — exactly this breach. (`06902` 餐厨垃圾违规处置 is about
//! restaurants handing kitchen waste to unlicensed collectors, and `03005` 垃圾箱异常 about the
//! bins themselves.) The alarm is an event: nothing clears it but an operator or its case.
//!
//! # Missed points
//!
//! A category may be due by a time of day ([`DueBy`]; by default kitchen waste 厨余垃圾 by
//! 10:00 and other waste 其他垃圾 by the end of the day; recyclables and hazardous waste are
//! collected on call 预约收运 and never due). [`GarbageTracker::missed`] raises [`RULE_MISSED`]
//! (level notice, no class: a point not yet collected is not a matter on the street; an
//! overflowing bin is reported as one by the cameras or the inspectors) for every due point
//! without a visit arriving before its due time. The alarm is keyed on the point
//! ([`SourceKind::CollectionPoint`], the point id), raised at most once per point and day, and
//! cleared by the point's next visit (a point missed on several days in a row keeps one open
//! alarm whose repeats count the days).
//!
//! # Routes
//!
//! With collection routes 收运路线 ([`crate::collection_route`], [`GarbageTracker::set_routes`])
//! a point on a route is due by its route's finish time on the days the route runs, and must
//! be visited by the route's truck (or any truck of its category, when the route says so):
//! otherwise [`crate::collection_route::RULE_ROUTE_MISSED`]`:<route id>` is raised on the point,
//! naming the route and the truck. Points on no route keep the city-wide rule above.
//! [`GarbageTracker::route_daily`] is the per-route report.
//!
//! # Live use
//!
//! The ingest pipeline keeps one tracker per node, fed with the live fixes of the garbage
//! trucks; [`GarbageTracker::set_points`] and [`GarbageTracker::set_trucks`] swap the
//! directories without losing the day's visits, and [`GarbageTracker::tick`] judges the missed
//! points of yesterday and today. A day is judged only when the tracker has seen every fix since
//! its start ([`GarbageTracker::watch_from`]): a node that started at 11:00 without replaying the
//! morning's track would take every kitchen point for missed.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet, VecDeque};
use std::sync::{Arc, OnceLock};

use domain::calendar::WorkCalendar;
use domain::time::Timestamp;
use grid::Point;
use grid::geom::{self, METRES_PER_DEGREE};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::alarm::{AlarmKey, AlarmLevel, Clear, Raise, Signal, SourceKind};
use crate::collection_route::{CollectionRoute, RouteDaily, RoutePointDay, route_rule};
use crate::sweeping::LocalDay;
use crate::vehicle::Fix;

/// Rule id of 前分后混: a truck collecting a category other than its own.
pub const RULE_MIXED: &str = "garbage.mixed";
/// Rule id of a due collection point without a visit.
pub const RULE_MISSED: &str = "garbage.missed";
/// Taxonomy class of [`RULE_MIXED`]: 06041 垃圾未分类 (分类垃圾混装混运).
pub const MIXED_CLASS_CODE: &str = "06041";

const MINUTES_PER_DAY: u32 = 24 * 60;

/// A waste category of household waste sorting 生活垃圾分类 (GB/T 19095-2019).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WasteCategory {
    /// 厨余垃圾 (wet waste 湿垃圾, kitchen waste 餐厨垃圾).
    Kitchen,
    /// 其他垃圾 (residual, dry waste 干垃圾).
    Other,
    /// 可回收物.
    Recyclable,
    /// 有害垃圾.
    Hazardous,
}

impl WasteCategory {
    /// Every category, in declaration order.
    pub const ALL: [WasteCategory; 4] = [
        WasteCategory::Kitchen,
        WasteCategory::Other,
        WasteCategory::Recyclable,
        WasteCategory::Hazardous,
    ];

    /// The stable lower-case name used in the store and the API.
    pub fn as_str(self) -> &'static str {
        match self {
            WasteCategory::Kitchen => "kitchen",
            WasteCategory::Other => "other",
            WasteCategory::Recyclable => "recyclable",
            WasteCategory::Hazardous => "hazardous",
        }
    }

    /// Parses [`WasteCategory::as_str`].
    pub fn parse(s: &str) -> Option<WasteCategory> {
        WasteCategory::ALL.into_iter().find(|c| c.as_str() == s)
    }

    /// The Chinese name of the standard.
    pub fn label_zh(self) -> &'static str {
        match self {
            WasteCategory::Kitchen => "厨余垃圾",
            WasteCategory::Other => "其他垃圾",
            WasteCategory::Recyclable => "可回收物",
            WasteCategory::Hazardous => "有害垃圾",
        }
    }

    /// The category a free text names, when it names exactly one: a Chinese marker anywhere
    /// (厨余/餐厨/湿垃圾, 其他垃圾/干垃圾, 可回收, 有害) or a stable name as a whole word
    /// (`kitchen`, `other`, …, any case). Used to read a truck's category from its registry
    /// entry (e.g. the company 中原区环卫中心（厨余）).
    pub fn from_marker(text: &str) -> Option<WasteCategory> {
        const MARKERS: [(WasteCategory, &[&str]); 4] = [
            (WasteCategory::Kitchen, &["厨余", "餐厨", "湿垃圾"]),
            (WasteCategory::Other, &["其他垃圾", "其它垃圾", "干垃圾"]),
            (WasteCategory::Recyclable, &["可回收"]),
            (WasteCategory::Hazardous, &["有害"]),
        ];
        let words: Vec<String> = text
            .split(|c: char| !c.is_ascii_alphanumeric())
            .filter(|w| !w.is_empty())
            .map(str::to_ascii_lowercase)
            .collect();
        let mut found = MARKERS.iter().filter_map(|(c, marks)| {
            (marks.iter().any(|m| text.contains(m)) || words.iter().any(|w| w == c.as_str()))
                .then_some(*c)
        });
        let first = found.next()?;
        found.next().is_none().then_some(first)
    }
}

/// A garbage collection point 收集点 (a bin or a group of bins of one category).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CollectionPoint {
    /// Stable id (the store's `point_id`).
    pub id: String,
    /// Name shown to people.
    pub name: String,
    /// The category collected there.
    pub category: WasteCategory,
    /// Where, WGS-84 degrees.
    pub position: Point,
}

/// A garbage truck.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Truck {
    /// The id its fixes carry ([`Fix::phone`]).
    pub id: String,
    /// The plate, for alarm messages.
    pub plate: Option<String>,
    /// The category it is registered to carry; `None`: established each day by its first visit.
    pub category: Option<WasteCategory>,
}

/// Per category, the minute of the local day (0..=1440) by which each point must have been
/// visited; `None`: the category is not collected daily (no missed alarm).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct DueBy {
    /// 厨余垃圾 (default 600 = 10:00).
    pub kitchen: Option<u32>,
    /// 其他垃圾 (default 1440 = the end of the day).
    pub other: Option<u32>,
    /// 可回收物 (default none: on call).
    pub recyclable: Option<u32>,
    /// 有害垃圾 (default none: on call).
    pub hazardous: Option<u32>,
}

impl Default for DueBy {
    fn default() -> DueBy {
        DueBy {
            kitchen: Some(600),
            other: Some(MINUTES_PER_DAY),
            recyclable: None,
            hazardous: None,
        }
    }
}

impl DueBy {
    /// The due minute of a category (capped at 1440).
    pub fn of(&self, category: WasteCategory) -> Option<u32> {
        match category {
            WasteCategory::Kitchen => self.kitchen,
            WasteCategory::Other => self.other,
            WasteCategory::Recyclable => self.recyclable,
            WasteCategory::Hazardous => self.hazardous,
        }
        .map(|m| m.min(MINUTES_PER_DAY))
    }

    /// The instant on `day` by which a point of the category must have been visited.
    pub fn due_at(&self, category: WasteCategory, day: LocalDay) -> Option<Timestamp> {
        self.of(category)
            .map(|m| Timestamp(day.start().0 + i64::from(m) * 60_000))
    }
}

/// Collection rules. Every field has a default; a partial TOML/JSON table fills the rest.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct GarbageConfig {
    /// A fix at most this fast is stopped, km/h (default 5).
    pub stop_speed_kmh: f64,
    /// A stopped fix this close to a point is at the point, metres (default 30).
    pub stop_radius_m: f64,
    /// A stop this long is a visit, seconds (default 60).
    pub min_stop_s: f64,
    /// Two fixes further apart in time break a stop, ms (default 300,000).
    pub max_gap_ms: i64,
    /// When each category is due.
    pub due_by: DueBy,
}

impl Default for GarbageConfig {
    fn default() -> GarbageConfig {
        GarbageConfig {
            stop_speed_kmh: 5.0,
            stop_radius_m: 30.0,
            min_stop_s: 60.0,
            max_gap_ms: 300_000,
            due_by: DueBy::default(),
        }
    }
}

#[derive(Clone, Debug)]
struct Visit {
    day: LocalDay,
    truck: String,
    point: usize,
    arrived: Timestamp,
    departed: Timestamp,
}

/// A stop in progress at one point.
#[derive(Clone, Copy, Debug)]
struct Run {
    point: usize,
    since: Timestamp,
    last: Timestamp,
    /// The visit it became.
    visit: Option<usize>,
    /// It was passed over: the truck was at a point of its own category at the same time.
    passed: bool,
}

/// Fixes kept per truck for the track snippet of a 前分后混 alarm.
const TRACK_POINTS: usize = 20;

#[derive(Clone, Debug, Default)]
struct TruckState {
    last_at: Option<Timestamp>,
    runs: Vec<Run>,
    /// The last fixes `(at, position, speed km/h)`, oldest first.
    track: VecDeque<(Timestamp, Point, f64)>,
}

/// Replays garbage trucks' fixes into visits, the daily report and alarm signals.
#[derive(Debug)]
pub struct GarbageTracker {
    config: GarbageConfig,
    points: Vec<CollectionPoint>,
    /// `(latitude, point index)` of the points with a finite position, by latitude.
    by_lat: Vec<(f64, usize)>,
    trucks: BTreeMap<String, Truck>,
    state: HashMap<String, TruckState>,
    visits: Vec<Visit>,
    /// The category a truck without a registered one took on a day (its first visit's).
    day_category: HashMap<(LocalDay, String), WasteCategory>,
    mixed_raised: HashSet<(LocalDay, String)>,
    missed_raised: HashSet<(LocalDay, usize)>,
    missed_open: BTreeSet<usize>,
    /// Every fix since this instant has been observed (see [`GarbageTracker::watch_from`]).
    watched_from: Option<Timestamp>,
    /// The trucks' collection routes.
    routes: Vec<CollectionRoute>,
    /// The work calendar of [`crate::collection_route::RouteDays::WorkingDays`] (default: the
    /// built-in one).
    calendar: Option<Arc<WorkCalendar>>,
    /// `(day, route id, point)` raised as missed by its route.
    route_missed_raised: HashSet<(LocalDay, String, usize)>,
    /// `(route id, point)` with an open route-missed alarm.
    route_missed_open: BTreeSet<(String, usize)>,
}

fn builtin_calendar() -> &'static WorkCalendar {
    static CAL: OnceLock<WorkCalendar> = OnceLock::new();
    CAL.get_or_init(WorkCalendar::builtin)
}

impl GarbageTracker {
    /// A tracker over the city's collection points (a repeated id keeps its first point) and
    /// its trucks. Fixes of a phone not among `trucks` are tracked as a truck without a
    /// registered category.
    pub fn new(
        points: Vec<CollectionPoint>,
        trucks: Vec<Truck>,
        config: GarbageConfig,
    ) -> GarbageTracker {
        let mut seen = HashSet::new();
        let points: Vec<CollectionPoint> = points
            .into_iter()
            .filter(|p| seen.insert(p.id.clone()))
            .collect();
        let mut by_lat: Vec<(f64, usize)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| finite(p.position))
            .map(|(i, p)| (p.position.lat, i))
            .collect();
        by_lat.sort_by(|a, b| a.0.total_cmp(&b.0));
        GarbageTracker {
            config,
            points,
            by_lat,
            trucks: trucks.into_iter().map(|t| (t.id.clone(), t)).collect(),
            state: HashMap::new(),
            visits: Vec::new(),
            day_category: HashMap::new(),
            mixed_raised: HashSet::new(),
            missed_raised: HashSet::new(),
            missed_open: BTreeSet::new(),
            watched_from: None,
            routes: Vec::new(),
            calendar: None,
            route_missed_raised: HashSet::new(),
            route_missed_open: BTreeSet::new(),
        }
    }

    /// Replaces the collection routes (validated by the caller, see
    /// [`crate::collection_route::validate`]; unknown point ids are skipped). Alarms already
    /// raised for a route that stays are kept; those of removed routes are forgotten (their
    /// open alarms stay until a person clears them).
    pub fn set_routes(&mut self, routes: Vec<CollectionRoute>) {
        let ids: HashSet<&str> = routes.iter().map(|r| r.id.as_str()).collect();
        self.route_missed_raised
            .retain(|(_, r, _)| ids.contains(r.as_str()));
        self.route_missed_open
            .retain(|(r, _)| ids.contains(r.as_str()));
        self.routes = routes;
    }

    /// The collection routes.
    pub fn routes(&self) -> &[CollectionRoute] {
        &self.routes
    }

    /// Sets the work calendar deciding which days are working days for routes.
    pub fn set_calendar(&mut self, calendar: Arc<WorkCalendar>) {
        self.calendar = Some(calendar);
    }

    fn calendar(&self) -> &WorkCalendar {
        self.calendar
            .as_deref()
            .unwrap_or_else(|| builtin_calendar())
    }

    /// Point index by id.
    fn point_index(&self) -> HashMap<&str, usize> {
        self.points
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect()
    }

    /// The points on at least one route.
    fn routed_points(&self) -> HashSet<usize> {
        let index = self.point_index();
        self.routes
            .iter()
            .flat_map(|r| r.points.iter())
            .filter_map(|id| index.get(id.as_str()).copied())
            .collect()
    }

    /// Whether a visit by `truck` on `day` counts for `route`.
    fn serves(&self, route: &CollectionRoute, truck: &str, day: LocalDay) -> bool {
        truck == route.truck
            || (route.any_truck && self.category_of(truck, day) == Some(route.category))
    }

    /// The first arrival on `day` at `point` of a visit counting for `route`, with its truck.
    fn route_arrival(
        &self,
        route: &CollectionRoute,
        point: usize,
        day: LocalDay,
    ) -> Option<(Timestamp, &str)> {
        self.visits
            .iter()
            .filter(|v| v.day == day && v.point == point && self.serves(route, &v.truck, day))
            .map(|v| (v.arrived, v.truck.as_str()))
            .min()
    }

    /// Replaces the collection points, keeping the visits, stops and alarms of the points that
    /// stay (matched by id); those of removed points are dropped.
    pub fn set_points(&mut self, points: Vec<CollectionPoint>) {
        let mut seen = HashSet::new();
        let points: Vec<CollectionPoint> = points
            .into_iter()
            .filter(|p| seen.insert(p.id.clone()))
            .collect();
        let new_index: HashMap<&str, usize> = points
            .iter()
            .enumerate()
            .map(|(i, p)| (p.id.as_str(), i))
            .collect();
        let remap: Vec<Option<usize>> = self
            .points
            .iter()
            .map(|p| new_index.get(p.id.as_str()).copied())
            .collect();
        let map = |i: usize| remap.get(i).copied().flatten();
        let mut renumber = HashMap::new();
        let mut kept = Vec::with_capacity(self.visits.len());
        for (i, mut v) in self.visits.drain(..).enumerate() {
            if let Some(p) = map(v.point) {
                v.point = p;
                renumber.insert(i, kept.len());
                kept.push(v);
            }
        }
        self.visits = kept;
        for st in self.state.values_mut() {
            st.runs.retain_mut(|r| match map(r.point) {
                Some(p) => {
                    r.point = p;
                    r.visit = r.visit.and_then(|v| renumber.get(&v).copied());
                    true
                }
                None => false,
            });
        }
        self.missed_raised = self
            .missed_raised
            .iter()
            .filter_map(|(d, p)| map(*p).map(|p| (*d, p)))
            .collect();
        self.missed_open = self.missed_open.iter().filter_map(|p| map(*p)).collect();
        self.route_missed_raised = self
            .route_missed_raised
            .iter()
            .filter_map(|(d, r, p)| map(*p).map(|p| (*d, r.clone(), p)))
            .collect();
        self.route_missed_open = self
            .route_missed_open
            .iter()
            .filter_map(|(r, p)| map(*p).map(|p| (r.clone(), p)))
            .collect();
        let mut by_lat: Vec<(f64, usize)> = points
            .iter()
            .enumerate()
            .filter(|(_, p)| finite(p.position))
            .map(|(i, p)| (p.position.lat, i))
            .collect();
        by_lat.sort_by(|a, b| a.0.total_cmp(&b.0));
        self.points = points;
        self.by_lat = by_lat;
    }

    /// Replaces the registered trucks (their categories and plates); the day's visits stay.
    pub fn set_trucks(&mut self, trucks: Vec<Truck>) {
        self.trucks = trucks.into_iter().map(|t| (t.id.clone(), t)).collect();
    }

    /// Declares that every fix since `since` has been (or will be) observed, e.g. after the day's
    /// stored track was replayed. Days starting before it are never judged by
    /// [`GarbageTracker::tick`]; an earlier instant than the one already set is kept.
    pub fn watch_from(&mut self, since: Timestamp) {
        self.watched_from = Some(match self.watched_from {
            Some(w) => w.min(since),
            None => since,
        });
    }

    /// The missed-point raises due at `now` for yesterday and today (the days the tracker has
    /// watched from their start; without [`GarbageTracker::watch_from`] the tracker watches
    /// from its first tick), then forgets the days before yesterday.
    pub fn tick(&mut self, now: Timestamp) -> Vec<Signal> {
        let since = *self.watched_from.get_or_insert(now);
        let today = LocalDay::of(now);
        let yesterday = LocalDay(today.0 - 1);
        let mut out = Vec::new();
        for day in [yesterday, today] {
            if since <= day.start() {
                out.extend(self.missed(day, now));
            }
        }
        self.forget_before(yesterday);
        out
    }

    /// The collection points, deduplicated by id.
    pub fn points(&self) -> &[CollectionPoint] {
        &self.points
    }

    /// Points within the stop radius of `p`, nearest first: `(index, distance m)`.
    fn near(&self, p: Point) -> Vec<(usize, f64)> {
        let r = self.config.stop_radius_m;
        let dlat = r / METRES_PER_DEGREE;
        let lo = self.by_lat.partition_point(|(lat, _)| *lat < p.lat - dlat);
        let mut out: Vec<(usize, f64)> = self.by_lat[lo..]
            .iter()
            .take_while(|(lat, _)| *lat <= p.lat + dlat)
            .filter_map(|(_, i)| {
                let d = geom::distance_m(p, self.points[*i].position);
                (d <= r).then_some((*i, d))
            })
            .collect();
        out.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
        out
    }

    /// The category a truck serves on a day so far: registered, else its first visit's.
    fn category_of(&self, truck: &str, day: LocalDay) -> Option<WasteCategory> {
        self.trucks
            .get(truck)
            .and_then(|t| t.category)
            .or_else(|| self.day_category.get(&(day, truck.to_owned())).copied())
    }

    /// Feeds one fix (in time order per truck). Returns the signals it causes: a
    /// [`RULE_MIXED`] raise on a truck's first mixed visit of a day, a [`RULE_MISSED`] clear
    /// when a point with an open missed alarm is visited. Invalid, unlocated and not newer fixes
    /// are ignored.
    pub fn observe(&mut self, fix: &Fix) -> Vec<Signal> {
        if !fix.located() || !finite(fix.point) {
            return Vec::new();
        }
        let mut st = self.state.remove(&fix.phone).unwrap_or_default();
        if st.last_at.is_some_and(|l| l >= fix.at) {
            self.state.insert(fix.phone.clone(), st);
            return Vec::new();
        }
        let continuous = st
            .last_at
            .is_some_and(|l| fix.at.0.saturating_sub(l.0) <= self.config.max_gap_ms);
        st.last_at = Some(fix.at);
        st.track.push_back((fix.at, fix.point, fix.speed_kmh));
        while st.track.len() > TRACK_POINTS {
            st.track.pop_front();
        }
        let stopped = fix.speed_kmh.is_finite() && fix.speed_kmh <= self.config.stop_speed_kmh;
        let near = if stopped {
            self.near(fix.point)
        } else {
            Vec::new()
        };
        let previous = if continuous {
            std::mem::take(&mut st.runs)
        } else {
            Vec::new()
        };
        st.runs = near
            .iter()
            .map(
                |(point, _)| match previous.iter().find(|r| r.point == *point) {
                    Some(r) => Run { last: fix.at, ..*r },
                    None => Run {
                        point: *point,
                        since: fix.at,
                        last: fix.at,
                        visit: None,
                        passed: false,
                    },
                },
            )
            .collect();
        let min_ms = self.config.min_stop_s * 1000.0;
        let mut signals = Vec::new();
        for i in 0..st.runs.len() {
            let run = st.runs[i];
            if let Some(v) = run.visit {
                self.visits[v].departed = run.last;
                continue;
            }
            if run.passed || ((run.last.0 - run.since.0) as f64) < min_ms {
                continue;
            }
            let day = LocalDay::of(run.since);
            let category = self.points[run.point].category;
            if let Some(own) = self.category_of(&fix.phone, day)
                && own != category
                && st.runs.iter().any(|r| self.points[r.point].category == own)
            {
                st.runs[i].passed = true;
                continue;
            }
            st.runs[i].visit = Some(self.visits.len());
            self.visits.push(Visit {
                day,
                truck: fix.phone.clone(),
                point: run.point,
                arrived: run.since,
                departed: run.last,
            });
            self.day_category
                .entry((day, fix.phone.clone()))
                .or_insert(category);
            if let Some(own) = self.category_of(&fix.phone, day)
                && own != category
                && self.mixed_raised.insert((day, fix.phone.clone()))
            {
                let mut raise = self.mixed_raise(&fix.phone, own, &run, day);
                raise.detail["track"] = st
                    .track
                    .iter()
                    .map(|(t, p, v)| json!({"t": t.0, "lon": p.lon, "lat": p.lat, "speed_kmh": v}))
                    .collect();
                signals.push(Signal::Raise(raise));
            }
            if self.missed_open.remove(&run.point) {
                signals.push(Signal::Clear(Clear {
                    key: self.missed_key(run.point),
                    at: run.since,
                }));
            }
            let cleared: Vec<String> = self
                .route_missed_open
                .iter()
                .filter(|(_, p)| *p == run.point)
                .filter_map(|(r, _)| {
                    let route = self.routes.iter().find(|x| &x.id == r)?;
                    self.serves(route, &fix.phone, day).then(|| r.clone())
                })
                .collect();
            for r in cleared {
                self.route_missed_open.remove(&(r.clone(), run.point));
                signals.push(Signal::Clear(Clear {
                    key: AlarmKey::new(
                        SourceKind::CollectionPoint,
                        &self.points[run.point].id,
                        route_rule(&r),
                    ),
                    at: run.since,
                }));
            }
        }
        self.state.insert(fix.phone.clone(), st);
        signals
    }

    fn mixed_raise(&self, truck: &str, own: WasteCategory, run: &Run, day: LocalDay) -> Raise {
        let p = &self.points[run.point];
        let plate = self
            .trucks
            .get(truck)
            .and_then(|t| t.plate.clone())
            .unwrap_or_else(|| truck.to_owned());
        let declared = self.trucks.get(truck).and_then(|t| t.category).is_some();
        let collected: BTreeSet<WasteCategory> = self
            .visits
            .iter()
            .filter(|v| v.day == day && v.truck == truck)
            .map(|v| self.points[v.point].category)
            .collect();
        Raise {
            key: AlarmKey::new(SourceKind::Vehicle, truck, RULE_MIXED),
            level: AlarmLevel::Warning,
            at: run.since,
            message: format!(
                "{plate} 前分后混：{}收运车在{}（{}）收运",
                own.label_zh(),
                p.name,
                p.category.label_zh()
            ),
            position: Some(p.position),
            class_code: Some(MIXED_CLASS_CODE.to_owned()),
            detail: json!({
                "date": day.date(),
                "truck_category": own.as_str(),
                "declared": declared,
                "point_id": p.id,
                "point_category": p.category.as_str(),
                "categories": collected.iter().map(|c| c.as_str()).collect::<Vec<_>>(),
                "arrived_ms": run.since.0,
                "dwell_s": (run.last.0 - run.since.0) as f64 / 1000.0,
            }),
        }
    }

    fn missed_key(&self, point: usize) -> AlarmKey {
        AlarmKey::new(
            SourceKind::CollectionPoint,
            &self.points[point].id,
            RULE_MISSED,
        )
    }

    /// Each point's earliest arrival on `day`.
    fn first_arrivals(&self, day: LocalDay) -> HashMap<usize, Timestamp> {
        let mut out: HashMap<usize, Timestamp> = HashMap::new();
        for v in self.visits.iter().filter(|v| v.day == day) {
            let e = out.entry(v.point).or_insert(v.arrived);
            *e = (*e).min(v.arrived);
        }
        out
    }

    /// The [`RULE_MISSED`] raises of `day` as of `now`: every point of a due category without a
    /// visit arriving before its due time, once that time has passed. Each point is raised at
    /// most once per day; its next visit clears it (see [`GarbageTracker::observe`]).
    pub fn missed(&mut self, day: LocalDay, now: Timestamp) -> Vec<Signal> {
        let mut out = Vec::new();
        let first = self.first_arrivals(day);
        let routed = self.routed_points();
        for pi in 0..self.points.len() {
            if routed.contains(&pi) {
                continue;
            }
            let p = &self.points[pi];
            let Some(due) = self.config.due_by.due_at(p.category, day) else {
                continue;
            };
            if now < due
                || first.get(&pi).is_some_and(|a| *a < due)
                || self.missed_raised.contains(&(day, pi))
            {
                continue;
            }
            let due_local = due.to_shanghai();
            let raise = Raise {
                key: self.missed_key(pi),
                level: AlarmLevel::Notice,
                at: due,
                message: format!(
                    "{}（{}）{} 前未收运",
                    p.name,
                    p.category.label_zh(),
                    if due == day.end() {
                        format!("{} 24:00", day.date())
                    } else {
                        due_local.format("%Y-%m-%d %H:%M").to_string()
                    }
                ),
                position: Some(p.position),
                class_code: None,
                detail: json!({
                    "date": day.date(),
                    "point_id": p.id,
                    "category": p.category.as_str(),
                    "due_ms": due.0,
                }),
            };
            self.missed_raised.insert((day, pi));
            self.missed_open.insert(pi);
            out.push(Signal::Raise(raise));
        }
        out.extend(self.route_missed(day, now));
        out
    }

    /// The route raises of `day` as of `now` (see [`crate::collection_route`]).
    fn route_missed(&mut self, day: LocalDay, now: Timestamp) -> Vec<Signal> {
        let mut out = Vec::new();
        let index = self.point_index();
        let mut raised = Vec::new();
        for route in &self.routes {
            let due = route.finish_at(day);
            if now < due || !route.days.runs_on(day, self.calendar()) {
                continue;
            }
            for (seq, id) in route.points.iter().enumerate() {
                let Some(&pi) = index.get(id.as_str()) else {
                    continue;
                };
                if self
                    .route_missed_raised
                    .contains(&(day, route.id.clone(), pi))
                    || self
                        .route_arrival(route, pi, day)
                        .is_some_and(|(a, _)| a < due)
                {
                    continue;
                }
                let p = &self.points[pi];
                let plate = route.plate.clone().unwrap_or_else(|| route.truck.clone());
                let finish = if due == day.end() {
                    format!("{} 24:00", day.date())
                } else {
                    due.to_shanghai().format("%Y-%m-%d %H:%M").to_string()
                };
                raised.push((route.id.clone(), pi));
                out.push(Signal::Raise(Raise {
                    key: AlarmKey::new(SourceKind::CollectionPoint, &p.id, route_rule(&route.id)),
                    level: AlarmLevel::Notice,
                    at: due,
                    message: format!(
                        "{}（{}）{} 前未收运：收运路线 {}，收运车 {plate}",
                        p.name,
                        p.category.label_zh(),
                        finish,
                        route.name
                    ),
                    position: Some(p.position),
                    class_code: None,
                    detail: json!({
                        "date": day.date(),
                        "point_id": p.id,
                        "category": p.category.as_str(),
                        "due_ms": due.0,
                        "route_id": route.id,
                        "route_name": route.name,
                        "seq": seq + 1,
                        "truck": route.truck,
                        "plate": route.plate,
                        "any_truck": route.any_truck,
                    }),
                }));
            }
        }
        for (r, pi) in raised {
            self.route_missed_raised.insert((day, r.clone(), pi));
            self.route_missed_open.insert((r, pi));
        }
        out
    }

    /// Each route's report of `day` as of `as_of`, in route-id order.
    pub fn route_daily(&self, day: LocalDay, as_of: Timestamp) -> Vec<RouteDaily> {
        let index = self.point_index();
        let mut out: Vec<RouteDaily> = self
            .routes
            .iter()
            .map(|route| {
                let runs = route.days.runs_on(day, self.calendar());
                let due = route.finish_at(day);
                let points: Vec<RoutePointDay> = route
                    .points
                    .iter()
                    .enumerate()
                    .map(|(seq, id)| {
                        let pi = index.get(id.as_str()).copied();
                        let arrival = pi.and_then(|pi| self.route_arrival(route, pi, day));
                        let in_time = arrival.is_some_and(|(a, _)| a < due);
                        RoutePointDay {
                            seq: seq + 1,
                            id: id.clone(),
                            name: pi
                                .map(|pi| self.points[pi].name.clone())
                                .unwrap_or_default(),
                            visited: arrival.is_some(),
                            arrived: arrival.map(|(a, _)| a),
                            by: arrival.map(|(_, t)| t.to_owned()),
                            late: arrival.is_some() && !in_time,
                            missed: runs && due <= as_of && !in_time,
                        }
                    })
                    .collect();
                let visited = points.iter().filter(|p| p.visited).count();
                let missed = points.iter().filter(|p| p.missed).count();
                let finished_at = (visited == points.len())
                    .then(|| points.iter().filter_map(|p| p.arrived).max())
                    .flatten();
                let on_time = if !runs {
                    None
                } else if missed > 0 {
                    Some(false)
                } else if points.iter().all(|p| p.visited && !p.late) {
                    Some(true)
                } else {
                    None
                };
                RouteDaily {
                    id: route.id.clone(),
                    name: route.name.clone(),
                    truck: route.truck.clone(),
                    plate: route.plate.clone(),
                    category: route.category,
                    any_truck: route.any_truck,
                    runs,
                    finish_at: runs.then_some(due),
                    planned: if runs { points.len() } else { 0 },
                    visited,
                    missed,
                    finished_at,
                    on_time,
                    points,
                }
            })
            .collect();
        out.sort_by(|a, b| a.id.cmp(&b.id));
        out
    }

    /// When point `pi` is due on `day` and whether it was missed as of `as_of`, by its routes
    /// when it is on one, else by the city-wide rule.
    fn due_and_missed(
        &self,
        pi: usize,
        day: LocalDay,
        as_of: Timestamp,
        routed: &HashSet<usize>,
        visits: &[PointVisit],
    ) -> (Option<Timestamp>, bool) {
        if !routed.contains(&pi) {
            let due_at = self.config.due_by.due_at(self.points[pi].category, day);
            let missed =
                due_at.is_some_and(|d| d <= as_of && !visits.iter().any(|v| v.arrived < d));
            return (due_at, missed);
        }
        let id = &self.points[pi].id;
        let mut due_at: Option<Timestamp> = None;
        let mut missed = false;
        for route in self
            .routes
            .iter()
            .filter(|r| r.points.contains(id) && r.days.runs_on(day, self.calendar()))
        {
            let due = route.finish_at(day);
            due_at = Some(due_at.map_or(due, |d| d.min(due)));
            let in_time = self
                .route_arrival(route, pi, day)
                .is_some_and(|(a, _)| a < due);
            if due <= as_of && !in_time {
                missed = true;
            }
        }
        (due_at, missed)
    }

    /// Drops everything recorded for days before `day` (stops in progress are kept).
    pub fn forget_before(&mut self, day: LocalDay) {
        let mut kept = Vec::with_capacity(self.visits.len());
        let mut renumber = HashMap::new();
        for (i, v) in self.visits.drain(..).enumerate() {
            if v.day >= day {
                renumber.insert(i, kept.len());
                kept.push(v);
            }
        }
        self.visits = kept;
        for st in self.state.values_mut() {
            for r in &mut st.runs {
                r.visit = r.visit.and_then(|v| renumber.get(&v).copied());
            }
        }
        self.day_category.retain(|(d, _), _| *d >= day);
        self.mixed_raised.retain(|(d, _)| *d >= day);
        self.missed_raised.retain(|(d, _)| *d >= day);
        self.route_missed_raised.retain(|(d, _, _)| *d >= day);
    }

    /// The collection report of `day` as of `as_of` (points whose due time is after `as_of`
    /// are not missed yet).
    pub fn daily(&self, day: LocalDay, as_of: Timestamp) -> GarbageDaily {
        let visits: Vec<&Visit> = self.visits.iter().filter(|v| v.day == day).collect();
        // Each truck's category of the day: registered, else that of most of its visits
        // (ties: the earliest of them to be visited first).
        let mut per_truck: BTreeMap<&str, Vec<&Visit>> = self
            .trucks
            .keys()
            .map(|k| (k.as_str(), Vec::new()))
            .collect();
        for v in &visits {
            per_truck.entry(v.truck.as_str()).or_default().push(v);
        }
        let mut truck_category: HashMap<&str, Option<WasteCategory>> = HashMap::new();
        for (truck, vs) in &per_truck {
            let declared = self.trucks.get(*truck).and_then(|t| t.category);
            let c = declared.or_else(|| {
                let mut counts: Vec<(WasteCategory, usize)> = Vec::new();
                let mut ordered: Vec<&&Visit> = vs.iter().collect();
                ordered.sort_by_key(|v| v.arrived);
                for v in ordered {
                    let c = self.points[v.point].category;
                    match counts.iter_mut().find(|(k, _)| *k == c) {
                        Some(e) => e.1 += 1,
                        None => counts.push((c, 1)),
                    }
                }
                // max_by_key keeps the last maximum: reverse so the first one wins ties.
                counts
                    .into_iter()
                    .rev()
                    .max_by_key(|(_, n)| *n)
                    .map(|e| e.0)
            });
            truck_category.insert(truck, c);
        }
        let mixed = |v: &Visit| {
            truck_category
                .get(v.truck.as_str())
                .copied()
                .flatten()
                .is_some_and(|c| c != self.points[v.point].category)
        };

        let routed = self.routed_points();
        let mut by_point: HashMap<usize, Vec<&Visit>> = HashMap::new();
        for v in &visits {
            by_point.entry(v.point).or_default().push(v);
        }
        let mut points: Vec<PointCollection> = self
            .points
            .iter()
            .enumerate()
            .map(|(pi, p)| {
                let mut pv: Vec<PointVisit> = by_point
                    .get(&pi)
                    .into_iter()
                    .flatten()
                    .map(|v| PointVisit {
                        phone: v.truck.clone(),
                        arrived: v.arrived,
                        departed: v.departed,
                        dwell_s: (v.departed.0 - v.arrived.0) as f64 / 1000.0,
                        mixed: mixed(v),
                    })
                    .collect();
                pv.sort_by(|a, b| a.arrived.cmp(&b.arrived).then(a.phone.cmp(&b.phone)));
                let (due_at, missed) = self.due_and_missed(pi, day, as_of, &routed, &pv);
                PointCollection {
                    id: p.id.clone(),
                    name: p.name.clone(),
                    category: p.category,
                    position: p.position,
                    visited: !pv.is_empty(),
                    due_at,
                    missed,
                    visits: pv,
                }
            })
            .collect();
        points.sort_by(|a, b| a.id.cmp(&b.id));

        let categories: Vec<CategoryCoverage> = WasteCategory::ALL
            .into_iter()
            .map(|c| {
                let of: Vec<&PointCollection> = points.iter().filter(|p| p.category == c).collect();
                let visited = of.iter().filter(|p| p.visited).count();
                CategoryCoverage {
                    category: c,
                    due: self.config.due_by.of(c).is_some(),
                    points: of.len(),
                    visited_points: visited,
                    missed_points: of.iter().filter(|p| p.missed).count(),
                    rate: ratio(visited, of.len()),
                }
            })
            .collect();

        let vehicles: Vec<TruckCollection> = per_truck
            .iter()
            .map(|(truck, vs)| {
                let mut tv: Vec<TruckVisit> = vs
                    .iter()
                    .map(|v| {
                        let p = &self.points[v.point];
                        TruckVisit {
                            point_id: p.id.clone(),
                            point_name: p.name.clone(),
                            category: p.category,
                            arrived: v.arrived,
                            departed: v.departed,
                            dwell_s: (v.departed.0 - v.arrived.0) as f64 / 1000.0,
                            mixed: mixed(v),
                        }
                    })
                    .collect();
                tv.sort_by(|a, b| a.arrived.cmp(&b.arrived).then(a.point_id.cmp(&b.point_id)));
                let categories: BTreeSet<WasteCategory> = tv.iter().map(|v| v.category).collect();
                let distinct: BTreeSet<&str> = tv.iter().map(|v| v.point_id.as_str()).collect();
                TruckCollection {
                    phone: (*truck).to_owned(),
                    declared_category: self.trucks.get(*truck).and_then(|t| t.category),
                    category: truck_category.get(truck).copied().flatten(),
                    categories: categories.into_iter().collect(),
                    points: distinct.len(),
                    mixed: tv.iter().any(|v| v.mixed),
                    visits: tv,
                }
            })
            .collect();

        let visited = points.iter().filter(|p| p.visited).count();
        let total = CollectionTotal {
            points: points.len(),
            visited_points: visited,
            missed_points: points.iter().filter(|p| p.missed).count(),
            rate: ratio(visited, points.len()),
            visits: visits.len(),
            mixed_visits: visits.iter().filter(|v| mixed(v)).count(),
            mixed_trucks: vehicles.iter().filter(|t| t.mixed).count(),
        };
        GarbageDaily {
            day,
            date: day.date(),
            as_of,
            points,
            categories,
            total,
            vehicles,
        }
    }
}

fn finite(p: Point) -> bool {
    p.lat.is_finite() && p.lon.is_finite() && p.lat.abs() <= 90.0 && p.lon.abs() <= 180.0
}

fn ratio(n: usize, d: usize) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

/// One visit to a point, as the point's report lists it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointVisit {
    /// The truck ([`Fix::phone`]).
    pub phone: String,
    /// Its first stopped fix.
    pub arrived: Timestamp,
    /// Its last stopped fix.
    pub departed: Timestamp,
    /// `departed − arrived`, seconds.
    pub dwell_s: f64,
    /// The truck's category of the day is another one (前分后混).
    pub mixed: bool,
}

/// One collection point on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PointCollection {
    /// Point id.
    pub id: String,
    /// Point name.
    pub name: String,
    /// Its category.
    pub category: WasteCategory,
    /// Where, WGS-84 degrees.
    pub position: Point,
    /// It had at least one visit on the day.
    pub visited: bool,
    /// When it was due ([`DueBy`]); `None`: not collected daily.
    pub due_at: Option<Timestamp>,
    /// Due before the report's `as_of` and no visit arrived before `due_at`.
    pub missed: bool,
    /// The visits, by arrival.
    pub visits: Vec<PointVisit>,
}

/// Coverage of the points of one category.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CategoryCoverage {
    /// The category.
    pub category: WasteCategory,
    /// Whether the category is due daily ([`DueBy`]).
    pub due: bool,
    /// Its points.
    pub points: usize,
    /// Of them visited on the day.
    pub visited_points: usize,
    /// Of them missed.
    pub missed_points: usize,
    /// `visited_points / points` (0..=1); `None` without points.
    pub rate: Option<f64>,
}

/// All points of the city.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CollectionTotal {
    /// Points.
    pub points: usize,
    /// Of them visited on the day.
    pub visited_points: usize,
    /// Of them missed.
    pub missed_points: usize,
    /// `visited_points / points` (0..=1); `None` without points.
    pub rate: Option<f64>,
    /// Visits on the day.
    pub visits: usize,
    /// Of them mixed.
    pub mixed_visits: usize,
    /// Trucks with a mixed visit.
    pub mixed_trucks: usize,
}

/// One visit of a truck.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruckVisit {
    /// The point.
    pub point_id: String,
    /// Its name.
    pub point_name: String,
    /// Its category.
    pub category: WasteCategory,
    /// First stopped fix.
    pub arrived: Timestamp,
    /// Last stopped fix.
    pub departed: Timestamp,
    /// `departed − arrived`, seconds.
    pub dwell_s: f64,
    /// The point's category is not the truck's category of the day (前分后混).
    pub mixed: bool,
}

/// One truck on a day.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TruckCollection {
    /// Terminal phone ([`Truck::id`]).
    pub phone: String,
    /// The category it is registered with.
    pub declared_category: Option<WasteCategory>,
    /// Its category of the day: registered, else that of most of its visits.
    pub category: Option<WasteCategory>,
    /// The distinct categories it visited.
    pub categories: Vec<WasteCategory>,
    /// Distinct points visited.
    pub points: usize,
    /// At least one visit is mixed.
    pub mixed: bool,
    /// The visits, by arrival.
    pub visits: Vec<TruckVisit>,
}

/// The daily collection report (serialises as the API returns it, before the server adds
/// plates and formats instants).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct GarbageDaily {
    /// The local day.
    pub day: LocalDay,
    /// The same as `YYYY-MM-DD`.
    pub date: String,
    /// The instant missed points are judged at.
    pub as_of: Timestamp,
    /// Every point, by id.
    pub points: Vec<PointCollection>,
    /// Coverage per category, in [`WasteCategory::ALL`] order.
    pub categories: Vec<CategoryCoverage>,
    /// The city.
    pub total: CollectionTotal,
    /// Every registered truck and every other truck with a visit on the day, by phone.
    pub vehicles: Vec<TruckCollection>,
}
