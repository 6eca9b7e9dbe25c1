//! `MuckSupervisor::observe` per fix: 1 000 (or 10) permitted trucks on a permit whose corridor has 200
//! points, fixes round-robin over the trucks, each fix one second after that truck's last.
//!
//! - `on_route`: trucks inside the corridor and the window, loaded, 40 km/h — the common case
//!   where nothing changes.
//! - `off_route`: trucks 200 m beside the route (inside the corridor's box, so every segment is
//!   looked at); the alarm is open after the first minutes, later fixes change nothing.
//! - `stranger`: a vehicle that is neither in the fleet nor on a permit.

use std::hint::black_box;

use chrono::NaiveDate;
use criterion::{Criterion, criterion_group, criterion_main};
use domain::time::Timestamp;
use grid::geom::{METRES_PER_DEGREE, metres_per_degree_lon};
use grid::{Point, Polygon, Polyline};
use supervision::muck::{MuckConfig, MuckSupervisor, Permit, PermitVehicle, TimeWindow};
use supervision::vehicle::{Fix, STATUS_ACC_ON, STATUS_LOCATED};

const TRUCKS: usize = 1000;
const ORIGIN: Point = Point::new(113.60, 34.75);

/// A point `east_m`, `north_m` metres from the origin.
fn at_m(east_m: f64, north_m: f64) -> Point {
    Point::new(
        ORIGIN.lon + east_m / metres_per_degree_lon(ORIGIN.lat),
        ORIGIN.lat + north_m / METRES_PER_DEGREE,
    )
}

/// The route's lateral offset at `east_m`: a gentle 300 m wave.
fn wave(east_m: f64) -> f64 {
    300.0 * (east_m / 500.0).sin()
}

fn setup(trucks: usize) -> MuckSupervisor {
    let route: Vec<Point> = (0..200)
        .map(|i| {
            let x = f64::from(i) * 50.0;
            at_m(x, wave(x))
        })
        .collect();
    let site = |x: f64| {
        Polygon::rect(
            at_m(x - 100.0, -100.0).lon,
            at_m(0.0, -100.0).lat,
            at_m(x + 100.0, 0.0).lon,
            at_m(0.0, 100.0).lat,
        )
    };
    let permit = Permit {
        id: "bench".into(),
        number: "郑渣核2026-BENCH".into(),
        company: "bench".into(),
        vehicles: (0..trucks)
            .map(|i| PermitVehicle {
                phone: format!("0138{i:08}"),
                plate: Some(format!("豫A{i:05}")),
            })
            .collect(),
        construction_site: site(0.0).into(),
        disposal_site: site(9950.0).into(),
        route: Polyline(route),
        corridor_width_m: 40.0,
        windows: vec![
            TimeWindow::hm(0, 0, 12, 0).unwrap(),
            TimeWindow::hm(12, 0, 0, 0).unwrap(),
        ],
        valid_from: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap_or_default(),
        valid_to: NaiveDate::from_ymd_opt(2099, 12, 31).unwrap_or_default(),
    };
    let mut s = MuckSupervisor::new(MuckConfig::default());
    let update = s.set_permits(vec![permit]);
    assert!(update.rejected.is_empty(), "{:?}", update.rejected);
    s
}

/// 10 000 points along the route (1 m apart), `lateral_m` beside its centre line.
fn path(lateral_m: f64) -> Vec<Point> {
    (0..10_000)
        .map(|i| {
            let x = f64::from(i);
            at_m(x, wave(x) + lateral_m)
        })
        .collect()
}

fn fixes(trucks: usize) -> Vec<Fix> {
    (0..trucks)
        .map(|i| Fix {
            phone: format!("0138{i:08}"),
            at: Timestamp(0),
            point: ORIGIN,
            speed_kmh: 40.0,
            heading: 90,
            status: STATUS_ACC_ON | STATUS_LOCATED | (3 << 8),
            alarm: 0,
            extra: Vec::new(),
        })
        .collect()
}

fn bench_observe(c: &mut Criterion, name: &str, trucks: usize, lateral_m: f64) {
    let mut s = setup(trucks);
    let points = path(lateral_m);
    let mut fixes = fixes(trucks);
    let start = Timestamp::from_shanghai(
        NaiveDate::from_ymd_opt(2026, 3, 10)
            .and_then(|d| d.and_hms_opt(22, 0, 0))
            .unwrap_or_default(),
    );
    let mut n: usize = 0;
    c.bench_function(name, |b| {
        b.iter(|| {
            let truck = n % trucks;
            let round = n / trucks;
            n += 1;
            let Some(fix) = fixes.get_mut(truck) else {
                return 0;
            };
            fix.at = Timestamp(start.0 + (round as i64 + 1) * 1000);
            fix.point = points[(round * 7 + truck * 13) % points.len()];
            black_box(s.observe(black_box(fix))).len()
        });
    });
}

fn benches(c: &mut Criterion) {
    bench_observe(c, "muck_observe_on_route_200pt", TRUCKS, 8.0);
    bench_observe(c, "muck_observe_on_route_200pt_10_trucks", 10, 8.0);
    bench_observe(c, "muck_observe_off_route_200pt", TRUCKS, 200.0);
    let mut s = setup(TRUCKS);
    let stranger = Fix {
        phone: "018600003333".into(),
        at: Timestamp(0),
        point: ORIGIN,
        speed_kmh: 40.0,
        heading: 90,
        status: STATUS_ACC_ON | STATUS_LOCATED,
        alarm: 0,
        extra: Vec::new(),
    };
    c.bench_function("muck_observe_stranger", |b| {
        b.iter(|| black_box(s.observe(black_box(&stranger))).len());
    });
}

criterion_group!(muck, benches);
criterion_main!(muck);
