//! Muck-truck rules over scripted tracks: a straight route from a construction site to a
//! disposal site in Zhengzhou, trucks driving it (or not) at given speeds and hours.

use chrono::NaiveDate;
use domain::time::Timestamp;
use grid::geom::{METRES_PER_DEGREE, distance_m};
use grid::{MultiPolygon, Point, Polygon, Polyline};
use proptest::prelude::*;
use supervision::alarm::{AlarmLevel, Raise, Signal};
use supervision::muck::{
    MuckConfig, MuckRule, MuckSupervisor, Permit, PermitProblem, PermitVehicle, SiteKind,
    TimeWindow, Truck,
};
use supervision::vehicle::{Fix, Load, STATUS_ACC_ON, STATUS_LOCATED};

const PHONE: &str = "013800001111";
const PLATE: &str = "豫A12345";
/// Route start (in the construction site) and end (in the disposal site), 5.5 km apart.
const A: Point = Point::new(113.60, 34.75);
const B: Point = Point::new(113.66, 34.75);

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, d).unwrap()
}

/// An instant in Asia/Shanghai local time in March 2026 (day 32 = 1 April).
fn local(day: u32, h: u32, m: u32) -> Timestamp {
    let d = if day > 31 {
        NaiveDate::from_ymd_opt(2026, 4, day - 31).unwrap()
    } else {
        date(day)
    };
    Timestamp::from_shanghai(d.and_hms_opt(h, m, 0).unwrap())
}

/// A point `north_m` metres north of `p`.
fn north(p: Point, north_m: f64) -> Point {
    Point::new(p.lon, p.lat + north_m / METRES_PER_DEGREE)
}

/// The point at fraction `f` of the way from A to B.
fn along(f: f64) -> Point {
    Point::new(A.lon + (B.lon - A.lon) * f, A.lat + (B.lat - A.lat) * f)
}

fn rect_around(p: Point, half_deg: f64) -> MultiPolygon {
    Polygon::rect(
        p.lon - half_deg,
        p.lat - half_deg / 2.0,
        p.lon + half_deg,
        p.lat + half_deg / 2.0,
    )
    .into()
}

/// Permit 郑渣核 2026-001: A → B, 40 m corridor, 22:00–06:00, valid 1–31 March 2026.
fn permit() -> Permit {
    Permit {
        id: "p1".into(),
        number: "郑渣核2026-001".into(),
        company: "郑州某运输有限公司".into(),
        vehicles: vec![PermitVehicle {
            phone: PHONE.into(),
            plate: Some(PLATE.into()),
        }],
        construction_site: rect_around(A, 0.002),
        disposal_site: rect_around(B, 0.002),
        route: Polyline(vec![A, along(0.5), B]),
        corridor_width_m: 40.0,
        windows: vec![TimeWindow::hm(22, 0, 6, 0).unwrap()],
        valid_from: date(1),
        valid_to: date(31),
    }
}

fn supervisor(config: MuckConfig) -> MuckSupervisor {
    let mut s = MuckSupervisor::new(config);
    let update = s.set_permits(vec![permit()]);
    assert!(update.rejected.is_empty(), "{:?}", update.rejected);
    s
}

fn load_bits(load: Load) -> u32 {
    match load {
        Load::Empty => 0,
        Load::Half => 1 << 8,
        Load::Unknown => 2 << 8,
        Load::Full => 3 << 8,
    }
}

/// A scripted track of one truck.
struct Trip {
    phone: String,
    t: Timestamp,
    pos: Point,
    load: Load,
    located: bool,
    extra: Vec<(u8, Vec<u8>)>,
    fixes: Vec<Fix>,
}

impl Trip {
    fn new(t: Timestamp, pos: Point) -> Trip {
        Trip {
            phone: PHONE.into(),
            t,
            pos,
            load: Load::Empty,
            located: true,
            extra: Vec::new(),
            fixes: Vec::new(),
        }
    }

    fn emit(&mut self, speed_kmh: f64) {
        let status =
            STATUS_ACC_ON | if self.located { STATUS_LOCATED } else { 0 } | load_bits(self.load);
        self.fixes.push(Fix {
            phone: self.phone.clone(),
            at: self.t,
            point: self.pos,
            speed_kmh,
            heading: 90,
            status,
            alarm: 0,
            extra: self.extra.clone(),
        });
    }

    /// Drives in a straight line to `to` at `speed_kmh`, one fix every `every_s` seconds.
    fn drive_to(&mut self, to: Point, speed_kmh: f64, every_s: i64) -> &mut Trip {
        let from = self.pos;
        let secs = distance_m(from, to) / (speed_kmh / 3.6);
        let steps = (secs / every_s as f64).ceil().max(1.0) as i64;
        for i in 1..=steps {
            let f = i as f64 / steps as f64;
            self.t = Timestamp(self.t.0 + every_s * 1000);
            self.pos = Point::new(
                from.lon + (to.lon - from.lon) * f,
                from.lat + (to.lat - from.lat) * f,
            );
            self.emit(speed_kmh);
        }
        self
    }

    /// Stays in place for `secs` at `speed_kmh`, one fix every `every_s` seconds.
    fn stay(&mut self, secs: i64, every_s: i64, speed_kmh: f64) -> &mut Trip {
        for _ in 0..secs / every_s {
            self.t = Timestamp(self.t.0 + every_s * 1000);
            self.emit(speed_kmh);
        }
        self
    }

    fn set_load(&mut self, load: Load) -> &mut Trip {
        self.load = load;
        self
    }
}

fn run(s: &mut MuckSupervisor, fixes: &[Fix]) -> Vec<Signal> {
    fixes.iter().flat_map(|f| s.observe(f)).collect()
}

fn raises(signals: &[Signal], rule: MuckRule) -> Vec<&Raise> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::Raise(r) if r.key.rule == rule.id() => Some(r),
            _ => None,
        })
        .collect()
}

fn clears(signals: &[Signal], rule: MuckRule) -> Vec<Timestamp> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::Clear(c) if c.key.rule == rule.id() => Some(c.at),
            _ => None,
        })
        .collect()
}

/// A loaded trip A → B → unload in the disposal site → empty back to A, starting at `t`.
fn round_trip(t: Timestamp) -> Trip {
    let mut trip = Trip::new(t, A);
    trip.stay(120, 30, 0.0); // waiting empty in the site
    trip.set_load(Load::Full).stay(60, 30, 0.0); // loaded in the site
    trip.drive_to(B, 40.0, 10.0 as i64);
    trip.stay(300, 30, 0.0);
    trip.set_load(Load::Empty).stay(60, 30, 0.0); // unloaded in the disposal site
    trip.drive_to(A, 45.0, 10);
    trip
}

#[test]
fn a_permitted_round_trip_raises_nothing() {
    let mut s = supervisor(MuckConfig::default());
    let trip = round_trip(local(10, 22, 30));
    assert!(trip.fixes.len() > 100);
    let mut signals = run(&mut s, &trip.fixes);
    // Ticks during and right after the trip: the truck reports, so it is not offline.
    signals.extend(s.tick(local(10, 22, 45)));
    signals.extend(s.tick(Timestamp(trip.t.0 + 60_000)));
    assert_eq!(signals, vec![]);
}

#[test]
fn the_same_trip_after_midnight_raises_nothing() {
    // 23:50 → about 00:15: the 22:00–06:00 window runs across midnight.
    let mut s = supervisor(MuckConfig::default());
    let trip = round_trip(local(10, 23, 50));
    assert!(trip.t > local(11, 0, 10));
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn off_route_raises_once_with_the_distance_and_clears_on_return() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.05));
    trip.set_load(Load::Full);
    trip.drive_to(along(0.2), 40.0, 10);
    let start_detour = trip.fixes.len();
    // 320 m north, 5 min east along a parallel street, back to the route.
    trip.drive_to(north(along(0.2), 320.0), 40.0, 10);
    trip.drive_to(north(along(0.5), 320.0), 40.0, 10);
    trip.drive_to(along(0.5), 40.0, 10);
    let back = trip.fixes.len();
    trip.drive_to(along(0.7), 40.0, 10);
    let signals = run(&mut s, &trip.fixes);

    let r = raises(&signals, MuckRule::OffRoute);
    assert_eq!(r.len(), 1, "{signals:#?}");
    let r = r[0];
    assert_eq!(r.message, "豫A12345 偏离核准路线 320 m");
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.class_code.as_deref(), Some("08901"));
    assert_eq!(r.key.source_id, PHONE);
    assert_eq!(r.key.open_key(), "vehicle|013800001111|muck.off_route");
    // The first fix north of the route is 107 m out (beyond 20 + 20 m): the breach starts there.
    assert_eq!(r.at, trip.fixes[start_detour].at);
    assert_eq!(r.detail["permit_number"], "郑渣核2026-001");
    assert_eq!(r.detail["measured"]["distance_m"], 320.0);
    assert_eq!(r.detail["thresholds"]["corridor_half_width_m"], 20.0);
    assert_eq!(r.detail["thresholds"]["tolerance_m"], 20.0);
    // The snippet is the last 20 fixes up to the one that raised, oldest first.
    let track = r.detail["track"].as_array().unwrap();
    assert_eq!(track.len(), 20);
    let raised = trip
        .fixes
        .iter()
        .position(|f| f.at.0 == track[19]["t"])
        .unwrap();
    assert_eq!(track[0]["t"], trip.fixes[raised - 19].at.0);
    let last = &track[19];
    assert_eq!(last["speed_kmh"], 40.0);
    let pos = r.position.unwrap();
    assert_eq!(last["lon"], pos.lon);
    assert_eq!(last["lat"], pos.lat);
    // Raised 2 min after the breach began (the first fix at or past 2 min).
    let raised_at = last["t"].as_i64().unwrap();
    assert!(raised_at - r.at.0 >= 120_000 && raised_at - r.at.0 < 130_000);

    // Clears once, 1 min after the truck is back in the corridor.
    let c = clears(&signals, MuckRule::OffRoute);
    assert_eq!(c.len(), 1);
    let back_at = trip.fixes[back - 1].at; // first fix on the route line
    assert!(c[0].0 - back_at.0 >= 60_000 && c[0].0 - back_at.0 < 70_000);
    // Nothing else: inside the window, under the limit, loaded but moving.
    assert_eq!(signals.len(), 2, "{signals:#?}");
}

#[test]
fn a_brief_excursion_does_not_raise() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.drive_to(along(0.2), 40.0, 10);
    // Out to 200 m and straight back: about 40 s outside the corridor.
    trip.drive_to(north(along(0.21), 200.0), 40.0, 10);
    trip.drive_to(along(0.22), 40.0, 10);
    trip.drive_to(along(0.5), 40.0, 10);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn a_stop_off_route_neither_raises_nor_clears_off_route() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    // 1 min off route (2 of the 3 fixes needed, not 2 min), 10 min parked empty, 30 s driving:
    trip.drive_to(north(along(0.1), 300.0), 40.0, 10);
    trip.stay(60, 30, 30.0);
    trip.stay(600, 60, 0.0);
    let signals = run(&mut s, &trip.fixes);
    assert!(raises(&signals, MuckRule::OffRoute).is_empty());
    // The parked fixes did not end the excursion: two more moving fixes complete it.
    let mut more = Trip::new(trip.t, trip.pos);
    more.stay(20, 10, 30.0);
    let signals = run(&mut s, &more.fixes);
    assert_eq!(raises(&signals, MuckRule::OffRoute).len(), 1);
}

#[test]
fn a_continuing_breach_gives_one_raise() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.05));
    trip.drive_to(along(0.95), 72.0, 5); // 4.5 min at 72 km/h, 55 fixes
    let signals = run(&mut s, &trip.fixes);
    assert_eq!(signals.len(), 1, "{signals:#?}");
    let r = raises(&signals, MuckRule::Speeding)[0];
    assert_eq!(r.message, "豫A12345 超速 72 km/h（限速 60 km/h）");
    assert_eq!(r.class_code.as_deref(), Some("08901"));
    assert_eq!(r.at, trip.fixes[0].at);
    assert_eq!(r.detail["measured"]["speed_kmh"], 72.0);
    assert_eq!(r.detail["thresholds"]["limit_kmh"], 60.0);
    // Slowing down clears it after 30 s and 2 fixes.
    let mut slow = Trip::new(trip.t, trip.pos);
    slow.stay(40, 10, 40.0);
    let signals = run(&mut s, &slow.fixes);
    assert_eq!(clears(&signals, MuckRule::Speeding), vec![slow.fixes[3].at]);
}

#[test]
fn one_fast_fix_is_not_speeding() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.stay(60, 10, 40.0);
    trip.stay(10, 10, 75.0);
    trip.stay(60, 10, 40.0);
    // Two fast fixes only 10 s apart are not 30 s either.
    trip.stay(20, 10, 75.0);
    trip.stay(60, 10, 40.0);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn driving_outside_the_window_raises_and_parking_clears() {
    let mut s = supervisor(MuckConfig::default());
    // 05:50 on the route: fine until 06:00, then outside the 22:00–06:00 window.
    let mut trip = Trip::new(local(11, 5, 50), along(0.1));
    trip.stay(1200, 30, 30.0);
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::TimeWindow);
    assert_eq!(r.len(), 1, "{signals:#?}");
    assert_eq!(r[0].at, local(11, 6, 0));
    assert_eq!(
        r[0].message,
        "豫A12345 在核准时段外行驶 30 km/h（06:01，核准时段 22:00–06:00）"
    );
    assert_eq!(r[0].class_code.as_deref(), Some("08901"));
    assert_eq!(r[0].detail["measured"]["local_time"], "06:01");
    assert_eq!(signals.len(), 1);
    // Parked: clears after 2 min.
    let mut parked = Trip::new(trip.t, trip.pos);
    parked.stay(180, 30, 0.0);
    let signals = run(&mut s, &parked.fixes);
    // First parked fix + 2 min.
    assert_eq!(
        clears(&signals, MuckRule::TimeWindow),
        vec![parked.fixes[4].at]
    );
}

#[test]
fn driving_before_the_window_opens_raises() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 21, 50), along(0.1));
    trip.stay(900, 30, 30.0); // to 22:05
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::TimeWindow);
    assert_eq!(r.len(), 1);
    // The first fix, 21:50:30, starts the breach; the window opens at 22:00 and 2 min later
    // the alarm clears.
    assert_eq!(r[0].at, trip.fixes[0].at);
    assert_eq!(
        clears(&signals, MuckRule::TimeWindow),
        vec![local(10, 22, 2)]
    );
}

#[test]
fn validity_dates_bound_the_window_the_day_it_starts() {
    // 1 April 02:00 is the tail of the 31 March window: allowed.
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(32, 2, 0), along(0.1));
    trip.stay(600, 30, 30.0);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);

    // 1 April 22:30: the permit has expired → no permit (not a time-window breach).
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(32, 22, 30), along(0.1));
    trip.stay(600, 30, 30.0);
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::NoPermit);
    assert_eq!(r.len(), 1, "{signals:#?}");
    assert_eq!(r[0].message, "豫A12345 无有效核准证运输（30 km/h，空车）");
    assert_eq!(r[0].at, trip.fixes[0].at);
    assert_eq!(signals.len(), 1, "{signals:#?}");

    // 1 March 02:00 is the tail of the 28 February window, which the permit does not cover:
    // the permit is in force that day but no window is open.
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(1, 2, 0), along(0.1));
    trip.stay(600, 30, 30.0);
    let signals = run(&mut s, &trip.fixes);
    assert_eq!(raises(&signals, MuckRule::TimeWindow).len(), 1);
    assert_eq!(signals.len(), 1, "{signals:#?}");
}

#[test]
fn a_loaded_stop_outside_sites_and_corridor_is_dumping() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.3));
    trip.set_load(Load::Full);
    trip.drive_to(north(along(0.3), 500.0), 40.0, 10);
    let stop_from = trip.fixes.len();
    trip.stay(420, 30, 0.0);
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::Dumping);
    assert_eq!(r.len(), 1, "{signals:#?}");
    let r = r[0];
    assert_eq!(r.level, AlarmLevel::Severe);
    assert_eq!(r.class_code.as_deref(), Some("08005"));
    assert_eq!(r.at, trip.fixes[stop_from].at);
    assert_eq!(
        r.message,
        "豫A12345 满载在核准场地和路线外停车 5 分钟，疑似偷倒"
    );
    assert_eq!(r.detail["measured"]["stopped_ms"], 300_000);
    assert_eq!(r.detail["measured"]["load"], "full");
    assert_eq!(r.detail["permit_numbers"][0], "郑渣核2026-001");
    // Driving on clears it.
    let mut on = Trip::new(trip.t, trip.pos);
    on.drive_to(along(0.4), 40.0, 10);
    assert_eq!(clears(&run(&mut s, &on.fixes), MuckRule::Dumping).len(), 1);
}

#[test]
fn loaded_stops_in_the_corridor_or_a_site_and_empty_stops_are_not_dumping() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.3));
    trip.set_load(Load::Full);
    trip.stay(900, 30, 0.0); // traffic jam on the route
    trip.drive_to(B, 40.0, 10);
    trip.stay(900, 30, 0.0); // queueing in the disposal site
    trip.set_load(Load::Empty);
    trip.drive_to(north(along(0.8), 500.0), 40.0, 10);
    trip.set_load(Load::Empty);
    let signals = run(&mut s, &trip.fixes);
    assert!(raises(&signals, MuckRule::Dumping).is_empty());
    let mut parked = Trip::new(trip.t, trip.pos);
    parked.stay(900, 30, 0.0); // empty, off route, parked
    let signals = run(&mut s, &parked.fixes);
    assert!(raises(&signals, MuckRule::Dumping).is_empty());
}

#[test]
fn unloading_outside_the_sites_raises_at_once_and_loading_again_clears() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.3));
    trip.set_load(Load::Half);
    trip.drive_to(north(along(0.3), 500.0), 40.0, 10);
    trip.stay(60, 30, 0.0);
    trip.set_load(Load::Empty).stay(30, 30, 0.0);
    let unload = trip.fixes.last().unwrap().clone();
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::Unload);
    assert_eq!(r.len(), 1, "{signals:#?}");
    assert_eq!(r[0].at, unload.at);
    assert_eq!(r[0].position, Some(unload.point));
    assert_eq!(r[0].level, AlarmLevel::Severe);
    assert_eq!(r[0].class_code.as_deref(), Some("08005"));
    assert_eq!(
        r[0].message,
        "豫A12345 在核准场地外卸载（半载→空车），疑似偷倒"
    );
    assert_eq!(r[0].detail["measured"]["load_before"], "half");
    // Driving on empty keeps it open (no second raise); loading at the site clears it.
    let mut on = Trip::new(trip.t, trip.pos);
    on.drive_to(A, 40.0, 10);
    on.set_load(Load::Full).stay(30, 30, 0.0);
    let signals = run(&mut s, &on.fixes);
    assert!(raises(&signals, MuckRule::Unload).is_empty());
    assert_eq!(
        clears(&signals, MuckRule::Unload),
        vec![on.fixes.last().unwrap().at]
    );
}

#[test]
fn unloading_in_the_disposal_site_or_an_unknown_load_is_not_dumping() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = round_trip(local(10, 22, 30));
    // A terminal that stops reporting load (10 = unknown) off route is not an unload either.
    trip.set_load(Load::Full).stay(30, 30, 0.0);
    trip.drive_to(north(along(0.2), 300.0), 40.0, 10);
    trip.set_load(Load::Unknown).stay(60, 30, 0.0);
    let signals = run(&mut s, &trip.fixes);
    assert!(
        raises(&signals, MuckRule::Unload).is_empty(),
        "{signals:#?}"
    );
}

fn cover_config() -> MuckConfig {
    let mut c = MuckConfig::default();
    c.uncovered.item_id = Some(0xE5);
    c.uncovered.closed_mask = 0x01;
    c
}

#[test]
fn uncovered_while_loaded_raises_where_the_terminal_reports_the_cover() {
    let mut s = supervisor(cover_config());
    let mut trip = Trip::new(local(10, 22, 30), A);
    trip.set_load(Load::Full);
    trip.extra = vec![(0xE5, vec![0x00])]; // open
    trip.stay(120, 30, 0.0); // open while loading in the site: fine
    let leaving = trip.fixes.len();
    trip.drive_to(along(0.5), 40.0, 10);
    let signals = run(&mut s, &trip.fixes);
    let r = raises(&signals, MuckRule::Uncovered);
    assert_eq!(r.len(), 1, "{signals:#?}");
    assert_eq!(r[0].class_code.as_deref(), Some("08011"));
    assert_eq!(r[0].message, "豫A12345 满载未密闭行驶");
    // The first fix outside the construction site (0.002° ≈ 183 m east of A) starts the breach.
    let first_out = trip.fixes[leaving..]
        .iter()
        .find(|f| f.point.lon >= A.lon + 0.002)
        .unwrap();
    assert_eq!(r[0].at, first_out.at);
    assert_eq!(signals.len(), 1);
    // Cover closed (other bits may be set): clears after 1 min.
    let mut closed = Trip::new(trip.t, trip.pos);
    closed.set_load(Load::Full);
    closed.extra = vec![(0xE5, vec![0x81])];
    closed.drive_to(along(0.7), 40.0, 10);
    assert_eq!(
        clears(&run(&mut s, &closed.fixes), MuckRule::Uncovered).len(),
        1
    );
}

#[test]
fn uncovered_needs_the_item_and_the_configuration() {
    // Configured, but the terminal does not send the item.
    let mut s = supervisor(cover_config());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.set_load(Load::Full);
    trip.drive_to(along(0.5), 40.0, 10);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
    // The item is sent, but the default configuration has no item id.
    let mut s = supervisor(MuckConfig::default());
    trip.extra = vec![(0xE5, vec![0x00])];
    let mut trip2 = Trip::new(trip.t, trip.pos);
    trip2.set_load(Load::Full);
    trip2.extra = vec![(0xE5, vec![0x00])];
    trip2.drive_to(along(0.9), 40.0, 10);
    assert_eq!(run(&mut s, &trip2.fixes), vec![]);
}

#[test]
fn a_fleet_truck_without_a_permit_raises_no_permit_and_strangers_are_ignored() {
    let mut s = supervisor(MuckConfig::default());
    assert_eq!(
        s.set_trucks([Truck {
            phone: "013900002222".into(),
            plate: Some("豫A67890".into()),
        }]),
        vec![]
    );
    assert_eq!(s.vehicle_count(), 2);
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.phone = "013900002222".into();
    trip.set_load(Load::Full);
    trip.drive_to(along(0.9), 40.0, 10);
    let signals = run(&mut s, &trip.fixes);
    assert_eq!(signals.len(), 1, "{signals:#?}");
    let r = raises(&signals, MuckRule::NoPermit)[0];
    assert_eq!(r.key.source_id, "013900002222");
    assert_eq!(r.message, "豫A67890 无有效核准证运输（40 km/h，满载）");
    assert_eq!(r.at, trip.fixes[0].at);

    // A vehicle that is neither in the fleet nor on a permit: nothing, whatever it does.
    let mut stranger = Trip::new(local(10, 12, 0), north(along(0.5), 900.0));
    stranger.phone = "018600003333".into();
    stranger.set_load(Load::Full);
    stranger.drive_to(along(0.9), 90.0, 5);
    assert_eq!(run(&mut s, &stranger.fixes), vec![]);
    assert_eq!(s.tick(local(11, 0, 0)), vec![]);
}

#[test]
fn a_fleet_truck_without_a_permit_parked_empty_raises_nothing() {
    let mut s = MuckSupervisor::new(MuckConfig::default());
    s.set_trucks([Truck {
        phone: PHONE.into(),
        plate: None,
    }]);
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.stay(3600, 60, 0.0);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
    // Moving empty: raises, named by phone as there is no plate.
    trip.stay(300, 30, 20.0);
    let signals = run(&mut s, &trip.fixes);
    assert_eq!(
        raises(&signals, MuckRule::NoPermit)[0].message,
        "013800001111 无有效核准证运输（20 km/h，空车）"
    );
}

#[test]
fn silence_in_the_window_is_offline_and_the_next_report_clears_it() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.drive_to(along(0.3), 40.0, 10);
    let last = trip.t;
    assert_eq!(run(&mut s, &trip.fixes).len(), 0);
    assert_eq!(s.tick(Timestamp(last.0 + 9 * 60_000)), vec![]);
    let signals = s.tick(Timestamp(last.0 + 10 * 60_000));
    assert_eq!(signals.len(), 1);
    let r = raises(&signals, MuckRule::Offline)[0];
    assert_eq!(r.at, Timestamp(last.0 + 10 * 60_000));
    assert_eq!(r.message, "豫A12345 作业时段内离线 10 分钟");
    assert_eq!(r.class_code, None);
    assert_eq!(r.position, Some(trip.pos));
    assert_eq!(r.detail["measured"]["last_seen"], last.0);
    // Still silent: no repeat.
    assert_eq!(s.tick(Timestamp(last.0 + 11 * 60_000)), vec![]);
    // A report, even one without a position fix, clears it.
    let mut back = Trip::new(Timestamp(last.0 + 12 * 60_000), trip.pos);
    back.located = false;
    back.emit(0.0);
    let signals = run(&mut s, &back.fixes);
    assert_eq!(clears(&signals, MuckRule::Offline), vec![back.t]);
}

#[test]
fn silence_outside_the_window_is_not_offline() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(11, 5, 0), along(0.1));
    trip.drive_to(A, 40.0, 10);
    trip.stay(60, 30, 0.0);
    run(&mut s, &trip.fixes);
    // 05:40 still in the window: offline. 06:00 the window closes: cleared.
    let signals = s.tick(local(11, 5, 40));
    assert_eq!(raises(&signals, MuckRule::Offline).len(), 1);
    assert_eq!(
        clears(&s.tick(local(11, 6, 0)), MuckRule::Offline),
        vec![local(11, 6, 0)]
    );
    // Midday, long silent: nothing.
    assert_eq!(s.tick(local(11, 12, 0)), vec![]);
    // The next evening the window opens and the truck is still silent: offline again.
    assert_eq!(
        raises(&s.tick(local(11, 22, 0)), MuckRule::Offline).len(),
        1
    );
}

#[test]
fn duplicate_and_out_of_order_fixes_are_ignored() {
    let mut trip = Trip::new(local(10, 22, 30), along(0.05));
    trip.drive_to(along(0.5), 72.0, 5);
    trip.drive_to(north(along(0.6), 400.0), 40.0, 10);
    trip.drive_to(north(along(0.8), 400.0), 40.0, 10);
    let clean = run(&mut supervisor(MuckConfig::default()), &trip.fixes);
    assert!(clean.len() >= 3, "{clean:#?}");

    // Every fix twice, and every tenth fix followed by a stale one from a minute earlier.
    let mut noisy = Vec::new();
    for (i, f) in trip.fixes.iter().enumerate() {
        noisy.push(f.clone());
        noisy.push(f.clone());
        if i % 10 == 9 {
            let mut stale = trip.fixes[i - 9].clone();
            stale.speed_kmh = 99.0;
            stale.point = north(stale.point, 5000.0);
            noisy.push(stale);
        }
    }
    assert_eq!(run(&mut supervisor(MuckConfig::default()), &noisy), clean);
}

#[test]
fn fixes_without_a_position_do_not_move_the_rules() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.05));
    trip.located = false;
    trip.drive_to(along(0.5), 90.0, 5);
    trip.drive_to(north(along(0.5), 3000.0), 90.0, 5);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn a_long_gap_restarts_pending_runs() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.1));
    trip.stay(20, 10, 70.0); // 2 fixes, 20 s: not yet 30 s
    trip.t = Timestamp(trip.t.0 + 15 * 60_000);
    trip.stay(10, 10, 70.0); // one more fast fix after a 15 min gap
    trip.stay(60, 10, 40.0);
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn removing_a_truck_clears_its_open_alarms() {
    let mut s = supervisor(MuckConfig::default());
    let mut trip = Trip::new(local(10, 22, 30), along(0.05));
    trip.drive_to(along(0.5), 72.0, 5);
    assert_eq!(
        raises(&run(&mut s, &trip.fixes), MuckRule::Speeding).len(),
        1
    );
    let mut other = permit();
    other.id = "p2".into();
    other.vehicles[0].phone = "013900002222".into();
    let update = s.set_permits(vec![other]);
    assert_eq!(update.rejected, vec![]);
    assert_eq!(update.signals.len(), 1);
    assert_eq!(clears(&update.signals, MuckRule::Speeding), vec![trip.t]);
    assert_eq!(s.vehicle_count(), 1);
    // Its fixes are ignored now.
    assert_eq!(run(&mut s, &trip.fixes), vec![]);
}

#[test]
fn validate_lists_every_problem() {
    assert_eq!(permit().validate(), Ok(()));
    let mut p = permit();
    p.number = " ".into();
    p.vehicles[0].phone = String::new();
    p.disposal_site = MultiPolygon(vec![]);
    p.construction_site = MultiPolygon(vec![Polygon {
        exterior: vec![A, B, A],
        holes: vec![],
    }]);
    p.route = Polyline(vec![A]);
    p.corridor_width_m = 0.0;
    p.windows.push(TimeWindow::hm(8, 0, 8, 0).unwrap());
    p.valid_from = date(20);
    p.valid_to = date(19);
    let err = p.validate().unwrap_err();
    assert_eq!(
        err.problems,
        vec![
            PermitProblem::EmptyNumber,
            PermitProblem::EmptyPhone { index: 0 },
            PermitProblem::EmptySite {
                site: SiteKind::Construction
            },
            PermitProblem::EmptySite {
                site: SiteKind::Disposal
            },
            PermitProblem::ShortRoute { points: 1 },
            PermitProblem::BadCorridorWidth { width_m: 0.0 },
            PermitProblem::EmptyWindow {
                index: 1,
                at: chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap()
            },
            PermitProblem::DatesReversed {
                from: date(20),
                to: date(19)
            },
        ]
    );
    assert!(err.to_string().starts_with(
        "permit \"p1\" is invalid: the permit number is empty; vehicle 0 has an empty terminal phone;"
    ));
    let mut q = permit();
    q.corridor_width_m = f64::NAN;
    q.route.0[1].lat = 95.0;
    let problems = q.validate().unwrap_err().problems;
    assert_eq!(problems.len(), 2);
    assert_eq!(problems[0], PermitProblem::BadRouteCoordinate);

    // set_permits leaves an invalid permit out and reports it.
    let mut s = MuckSupervisor::new(MuckConfig::default());
    let update = s.set_permits(vec![permit(), p]);
    assert_eq!(update.rejected.len(), 1);
    assert_eq!(s.permits().count(), 1);
}

#[test]
fn permits_and_config_read_from_json() {
    let json = serde_json::json!({
        "id": "p9", "number": "郑渣核2026-009", "company": "某公司",
        "vehicles": [{"phone": "013800001111"}],
        "construction_site": [{"exterior": [[0,0],[1,0],[1,1],[0,0]]}],
        "disposal_site": [{"exterior": [[2,0],[3,0],[3,1],[2,0]]}],
        "route": [[0.5,0.5],[2.5,0.5]],
        "corridor_width_m": 30,
        "windows": [{"start": "22:00", "end": "06:00"}, {"start": "12:00", "end": "13:30"}],
        "valid_from": "2026-03-01", "valid_to": "2026-03-31"
    });
    // Points are {lon, lat} objects in grid's model, so convert the short form first.
    let text = json
        .to_string()
        .replace("[0,0]", r#"{"lon":0,"lat":0}"#)
        .replace("[1,0]", r#"{"lon":1,"lat":0}"#)
        .replace("[1,1]", r#"{"lon":1,"lat":1}"#)
        .replace("[2,0]", r#"{"lon":2,"lat":0}"#)
        .replace("[3,0]", r#"{"lon":3,"lat":0}"#)
        .replace("[3,1]", r#"{"lon":3,"lat":1}"#)
        .replace("[0.5,0.5]", r#"{"lon":0.5,"lat":0.5}"#)
        .replace("[2.5,0.5]", r#"{"lon":2.5,"lat":0.5}"#);
    let p: Permit = serde_json::from_str(&text).unwrap();
    assert_eq!(p.validate(), Ok(()));
    assert!(p.windows[0].crosses_midnight());
    assert_eq!(p.windows[1].to_string(), "12:00–13:30");

    let c: MuckConfig =
        serde_json::from_str(r#"{"speeding": {"limit_kmh": 50}, "uncovered": {"item_id": 229}}"#)
            .unwrap();
    assert_eq!(c.speeding.limit_kmh, 50.0);
    assert_eq!(
        c.speeding.hysteresis,
        MuckConfig::default().speeding.hysteresis
    );
    assert_eq!(c.uncovered.item_id, Some(0xE5));
    assert_eq!(c.offline, MuckConfig::default().offline);
    let back: MuckConfig = serde_json::from_value(serde_json::to_value(&c).unwrap()).unwrap();
    assert_eq!(back, c);
}

#[test]
fn rule_classes_exist_in_the_taxonomy_and_go_to_enforcement() {
    let taxonomy = domain::taxonomy::Taxonomy::builtin().unwrap();
    let mut names = Vec::new();
    for rule in MuckRule::ALL {
        assert_eq!(MuckRule::parse(rule.id()), Some(rule));
        let Some(code) = rule.class_code() else {
            continue;
        };
        let class = taxonomy.find_matter(code).unwrap();
        assert_eq!(
            class.department_type,
            domain::org::DepartmentType::Enforcement,
            "{code}"
        );
        names.push((code, class.name.as_str()));
    }
    names.dedup();
    assert!(names.contains(&("08901", "渣土车违规运输")));
    assert!(names.contains(&("08005", "施工废弃料")));
    assert!(names.contains(&("08011", "渣土运输车辆未安装密闭装置")));
}

/// One step of a random script.
#[derive(Clone, Debug)]
enum Step {
    Fix {
        truck: usize,
        dt_s: i64,
        east: f64,
        north_m: f64,
        speed_kmh: f64,
        load: u8,
        located: bool,
        cover: Option<u8>,
    },
    Tick {
        dt_s: i64,
    },
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        8 => (
            0usize..3,
            -60i64..400,
            -0.1f64..1.1,
            prop_oneof![-30.0f64..30.0, -600.0f64..600.0],
            prop_oneof![0.0f64..4.0, 0.0f64..90.0],
            0u8..4,
            prop::bool::weighted(0.9),
            prop::option::of(0u8..4),
        )
            .prop_map(|(truck, dt_s, east, north_m, speed_kmh, load, located, cover)| {
                Step::Fix { truck, dt_s, east, north_m, speed_kmh, load, located, cover }
            }),
        1 => (0i64..1800).prop_map(|dt_s| Step::Tick { dt_s }),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// Random tracks of a permitted truck, a fleet truck without a permit and a stranger, with
    /// ticks: no panic, every raise opens a key that was not open and every clear closes one
    /// that was.
    #[test]
    fn signals_alternate_per_key(
        start_min in 0i64..(3 * 24 * 60),
        steps in prop::collection::vec(step(), 1..300),
    ) {
        let mut s = supervisor(cover_config());
        s.set_trucks([Truck { phone: "013900002222".into(), plate: None }]);
        let phones = [PHONE, "013900002222", "018600003333"];
        let mut t = local(30, 0, 0).0 + start_min * 60_000;
        let mut open = std::collections::HashSet::new();
        for st in steps {
            let signals = match st {
                Step::Fix { truck, dt_s, east, north_m, speed_kmh, load, located, cover } => {
                    t += dt_s * 1000;
                    let status = STATUS_ACC_ON
                        | if located { STATUS_LOCATED } else { 0 }
                        | (u32::from(load) << 8);
                    s.observe(&Fix {
                        phone: phones[truck].into(),
                        at: Timestamp(t),
                        point: north(along(east), north_m),
                        speed_kmh,
                        heading: 0,
                        status,
                        alarm: 0,
                        extra: cover.map(|c| vec![(0xE5, vec![c])]).unwrap_or_default(),
                    })
                }
                Step::Tick { dt_s } => s.tick(Timestamp(t + dt_s * 1000)),
            };
            for sig in signals {
                match sig {
                    Signal::Raise(r) => {
                        prop_assert!(open.insert(r.key.clone()), "raise of open {}", r.key);
                        prop_assert!(r.key.source_id != phones[2]);
                        prop_assert!(r.detail["track"].as_array().is_some_and(|a| a.len() <= 20));
                    }
                    Signal::Clear(c) => {
                        prop_assert!(open.remove(&c.key), "clear of closed {}", c.key);
                    }
                }
            }
        }
    }
}
