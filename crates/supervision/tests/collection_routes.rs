//! Collection routes 收运路线: a route point not collected by its truck by the finish time
//! raises `garbage.route_missed:<route>` on the point; points on no route keep the city-wide
//! rule; the per-route daily report.

use domain::time::Timestamp;
use grid::Point;
use supervision::alarm::{Signal, SourceKind};
use supervision::collection_route::{CollectionRoute, RULE_ROUTE_MISSED, RouteDays, route_rule};
use supervision::garbage::{
    CollectionPoint, GarbageConfig, GarbageTracker, RULE_MISSED, Truck, WasteCategory,
};
use supervision::sweeping::LocalDay;
use supervision::vehicle::{Fix, STATUS_LOCATED};

/// 2026-11-24 (a Tuesday, a working day) 08:00 Asia/Shanghai.
fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T08:00:00+08:00").expect("time")
}

fn day() -> LocalDay {
    LocalDay::of(t0())
}

fn at(min: i64) -> Timestamp {
    Timestamp(t0().0 + min * 60_000)
}

const K1: Point = Point::new(113.600, 34.750);
const K2: Point = Point::new(113.610, 34.750);
const O1: Point = Point::new(113.620, 34.750);
const ROAD: Point = Point::new(113.605, 34.7505);

fn points() -> Vec<CollectionPoint> {
    let p = |id: &str, category, position| CollectionPoint {
        id: id.into(),
        name: format!("{id}收集点"),
        category,
        position,
    };
    vec![
        p("K1", WasteCategory::Kitchen, K1),
        p("K2", WasteCategory::Kitchen, K2),
        p("O1", WasteCategory::Other, O1),
    ]
}

fn route(days: RouteDays, any_truck: bool) -> CollectionRoute {
    CollectionRoute {
        id: "R1".into(),
        name: "厨余一号线".into(),
        truck: "kit".into(),
        plate: Some("豫A·G0001".into()),
        category: WasteCategory::Kitchen,
        points: vec!["K1".into(), "K2".into()],
        days,
        finish_by: 9 * 60,
        any_truck,
    }
}

fn tracker(routes: Vec<CollectionRoute>) -> GarbageTracker {
    let truck = |id: &str| Truck {
        id: id.into(),
        plate: Some(format!("豫A·{id}")),
        category: Some(WasteCategory::Kitchen),
    };
    let mut t = GarbageTracker::new(
        points(),
        vec![truck("kit"), truck("kit2")],
        GarbageConfig::default(),
    );
    t.set_routes(routes);
    t
}

fn fix(phone: &str, at: Timestamp, p: Point, speed_kmh: f64) -> Fix {
    Fix {
        phone: phone.into(),
        at,
        point: p,
        speed_kmh,
        heading: 90,
        status: STATUS_LOCATED,
        alarm: 0,
        extra: Vec::new(),
    }
}

/// A 90 s stop at `p` from `from`.
fn visit(t: &mut GarbageTracker, phone: &str, from: Timestamp, p: Point) -> Vec<Signal> {
    let s = |x: i64| Timestamp(from.0 + x * 1000);
    let mut out = t.observe(&fix(phone, s(-30), ROAD, 30.0));
    for x in [0, 30, 60, 90] {
        out.extend(t.observe(&fix(phone, s(x), p, 0.0)));
    }
    out.extend(t.observe(&fix(phone, s(120), ROAD, 30.0)));
    out
}

fn rules(signals: &[Signal]) -> Vec<(String, String)> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::Raise(r) => Some((r.key.source_id.clone(), r.key.rule.clone())),
            Signal::Clear(_) => None,
        })
        .collect()
}

#[test]
fn a_point_left_to_another_truck_is_missed_by_the_route_and_clears_on_its_visit() {
    let mut t = tracker(vec![route(RouteDays::Daily, false)]);
    assert!(visit(&mut t, "kit", at(0), K1).is_empty());
    // Another kitchen truck empties K2: not the route's truck.
    assert!(visit(&mut t, "kit2", at(10), K2).is_empty());
    // Before the finish time nothing is judged.
    assert!(t.missed(day(), at(59)).is_empty());
    let signals = t.missed(day(), at(60));
    assert_eq!(rules(&signals), vec![("K2".into(), route_rule("R1"))]);
    let Signal::Raise(r) = &signals[0] else {
        panic!("a raise")
    };
    assert_eq!(r.key.source_kind, SourceKind::CollectionPoint);
    assert!(r.key.rule.starts_with(RULE_ROUTE_MISSED));
    assert!(r.message.contains("厨余一号线"), "{}", r.message);
    assert!(r.message.contains("豫A·G0001"), "{}", r.message);
    assert_eq!(r.detail["route_id"], "R1");
    assert_eq!(r.detail["truck"], "kit");
    assert_eq!(r.detail["seq"], 2);
    assert_eq!(r.at, at(60));
    // Once per route, point and day; the city-wide rule leaves routed points alone (kitchen is
    // due by 10:00 city-wide), and judges the point on no route at 24:00.
    assert!(t.missed(day(), at(180)).is_empty());
    let late = t.missed(day(), day().end());
    assert_eq!(rules(&late), vec![("O1".into(), RULE_MISSED.to_owned())]);
    // The route's truck arriving late clears the alarm.
    let signals = visit(&mut t, "kit", at(120), K2);
    assert!(signals.iter().any(|s| matches!(s,
        Signal::Clear(c) if c.key.source_id == "K2" && c.key.rule == route_rule("R1"))));
    // The report.
    let report = t.route_daily(day(), at(200));
    assert_eq!(report.len(), 1);
    let r = &report[0];
    assert!(r.runs);
    assert_eq!((r.planned, r.visited, r.missed), (2, 2, 1));
    assert_eq!(r.on_time, Some(false));
    assert_eq!(r.finish_at, Some(at(60)));
    assert_eq!(r.finished_at, Some(at(120)));
    assert_eq!(r.points[0].by.as_deref(), Some("kit"));
    assert!(r.points[1].late && r.points[1].missed);
    // The city report shows the point missed, due by the route's finish time.
    let city = t.daily(day(), at(200));
    let k2 = city.points.iter().find(|p| p.id == "K2").expect("K2");
    assert!(k2.missed);
    assert_eq!(k2.due_at, Some(at(60)));
}

#[test]
fn any_truck_of_the_category_may_serve_a_route_that_says_so() {
    let mut t = tracker(vec![route(RouteDays::Daily, true)]);
    visit(&mut t, "kit", at(0), K1);
    visit(&mut t, "kit2", at(10), K2);
    assert!(t.missed(day(), at(60)).is_empty());
    let r = &t.route_daily(day(), at(61))[0];
    assert_eq!((r.planned, r.visited, r.missed), (2, 2, 0));
    assert_eq!(r.on_time, Some(true));
    assert_eq!(r.finished_at, Some(at(10)));
    assert_eq!(r.points[1].by.as_deref(), Some("kit2"));
}

#[test]
fn on_a_day_the_route_does_not_run_its_points_are_not_due() {
    // Saturdays only; the 24th is a Tuesday.
    let mut t = tracker(vec![route(RouteDays::Weekdays { days: vec![6] }, false)]);
    let signals = t.missed(day(), day().end());
    // Only the point on no route is judged.
    assert_eq!(rules(&signals), vec![("O1".into(), RULE_MISSED.to_owned())]);
    let r = &t.route_daily(day(), day().end())[0];
    assert!(!r.runs);
    assert_eq!((r.planned, r.missed), (0, 0));
    assert_eq!(r.on_time, None);
    let city = t.daily(day(), day().end());
    let k1 = city.points.iter().find(|p| p.id == "K1").expect("K1");
    assert!(!k1.missed);
    assert_eq!(k1.due_at, None);
}

#[test]
fn without_routes_the_city_wide_rule_is_unchanged() {
    let mut t = tracker(Vec::new());
    visit(&mut t, "kit", at(0), K1);
    let signals = t.missed(day(), at(121));
    assert_eq!(rules(&signals), vec![("K2".into(), RULE_MISSED.to_owned())]);
    // Routes set later take the points over: removing the route forgets its raises.
    t.set_routes(vec![route(RouteDays::Daily, false)]);
    assert_eq!(
        rules(&t.missed(day(), at(122))),
        vec![("K2".into(), route_rule("R1"))]
    );
    t.set_routes(Vec::new());
    assert!(t.missed(day(), at(123)).is_empty());
}
