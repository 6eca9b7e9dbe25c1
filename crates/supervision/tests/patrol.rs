//! Patrol coverage on a hand-made strip of six unit grids in two communities.

use std::sync::Arc;

use domain::time::Timestamp;
use grid::geom::distance_m;
use grid::{Area, AreaLevel, CityModel, Geocoder, Point, Polygon};
use proptest::prelude::*;
use supervision::patrol::{PatrolConfig, PatrolTracker};
use supervision::sweeping::LocalDay;
use supervision::vehicle::{Fix, STATUS_LOCATED};

/// 2026-01-01 10:00 Asia/Shanghai.
const T0: i64 = 1_767_232_800_000;
/// 2026-01-02 00:00 Asia/Shanghai.
const MIDNIGHT: i64 = 1_767_283_200_000;

fn area(code: &str, level: AreaLevel, west: f64, east: f64) -> Area {
    Area {
        code: code.into(),
        name: format!("A{code}"),
        level,
        polygon: Polygon::rect(west, 34.750, east, 34.752).into(),
    }
}

/// Grids 0.001° wide: community …001 holds grids 1–4 (113.600–113.604), community …002 grids
/// 5–6 (113.604–113.606); one street and one district hold both.
fn city() -> CityModel {
    let mut areas = vec![
        area("410102", AreaLevel::District, 113.600, 113.606),
        area("410102001", AreaLevel::Street, 113.600, 113.606),
        area("410102001001", AreaLevel::Community, 113.600, 113.604),
        area("410102001002", AreaLevel::Community, 113.604, 113.606),
    ];
    for i in 0..6 {
        let community = if i < 4 { "001" } else { "002" };
        let w = 113.600 + 0.001 * f64::from(i);
        areas.push(area(
            &format!("410102001{community}{:03}", i + 1),
            AreaLevel::Grid,
            w,
            w + 0.001,
        ));
    }
    CityModel {
        areas,
        ..CityModel::default()
    }
}

/// The centre of grid `n` (1-based).
fn centre(n: u32) -> Point {
    Point::new(113.6005 + 0.001 * f64::from(n - 1), 34.751)
}

fn fix(phone: &str, at_ms: i64, p: Point) -> Fix {
    Fix {
        phone: phone.into(),
        at: Timestamp(at_ms),
        point: p,
        speed_kmh: 20.0,
        heading: 90,
        status: STATUS_LOCATED,
        alarm: 0,
        extra: Vec::new(),
    }
}

fn tracker(cfg: PatrolConfig) -> (PatrolTracker, CityModel) {
    let c = city();
    (PatrolTracker::new(Arc::new(Geocoder::build(&c)), cfg), c)
}

fn feed(t: &mut PatrolTracker) {
    for (s, g) in [(0, 1), (60, 1), (120, 2), (180, 2), (240, 1), (1000, 5)] {
        t.observe(&fix("e1", T0 + s * 1000, centre(g)));
    }
}

#[test]
fn dwell_visits_and_coverage() {
    let (mut t, c) = tracker(PatrolConfig::default());
    feed(&mut t);
    let rep = t.daily(LocalDay::of(Timestamp(T0)), &c.areas);
    let codes: Vec<&str> = rep.grids.iter().map(|g| g.code.as_str()).collect();
    assert_eq!(
        codes,
        ["410102001001001", "410102001001002", "410102001002005"]
    );
    let (g1, g2, g5) = (&rep.grids[0], &rep.grids[1], &rep.grids[2]);
    // g1: 0–60 s in it, then half of 60–120 and half of 180–240.
    assert_eq!((g1.visits, g1.dwell_s), (2, 120.0));
    assert_eq!(
        (g1.first_visit, g1.last_visit),
        (Timestamp(T0), Timestamp(T0 + 240_000))
    );
    // g2: half of 60–120, all of 120–180, half of 180–240; entered at the step's midpoint.
    assert_eq!((g2.visits, g2.dwell_s), (1, 120.0));
    assert_eq!(g2.first_visit, Timestamp(T0 + 90_000));
    // g5 comes after a 760 s silence: a visit, no dwell.
    assert_eq!((g5.visits, g5.dwell_s), (1, 0.0));
    let rate = |code: &str| {
        rep.areas
            .iter()
            .find(|a| a.code == code)
            .and_then(|a| a.rate)
    };
    assert_eq!(rate("410102001001"), Some(0.5));
    assert_eq!(rate("410102001002"), Some(0.5));
    assert_eq!(rate("410102001"), Some(0.5));
    assert_eq!(rate("410102"), Some(0.5));
    assert_eq!((rep.total.grids, rep.total.patrolled_grids), (6, 3));
    let v = &rep.vehicles[0];
    let step = distance_m(centre(1), centre(2));
    assert!((v.distance_m - 2.0 * step).abs() < 1e-6);
    assert_eq!(v.grids, 3);
}

#[test]
fn a_minimum_dwell_leaves_drive_bys_out() {
    let (mut t, c) = tracker(PatrolConfig {
        min_dwell_s: 60.0,
        ..PatrolConfig::default()
    });
    feed(&mut t);
    let rep = t.daily(LocalDay::of(Timestamp(T0)), &c.areas);
    assert_eq!(rep.total.patrolled_grids, 2);
    assert!(!rep.grids[2].patrolled);
}

#[test]
fn dwell_over_midnight_is_split_between_days() {
    let (mut t, c) = tracker(PatrolConfig::default());
    t.observe(&fix("e1", MIDNIGHT - 30_000, centre(3)));
    t.observe(&fix("e1", MIDNIGHT + 30_000, centre(3)));
    let d1 = LocalDay::of(Timestamp(MIDNIGHT - 1));
    let d2 = LocalDay(d1.0 + 1);
    let (r1, r2) = (t.daily(d1, &c.areas), t.daily(d2, &c.areas));
    assert_eq!((r1.grids[0].dwell_s, r1.grids[0].visits), (30.0, 1));
    assert_eq!((r2.grids[0].dwell_s, r2.grids[0].visits), (30.0, 0));
    assert_eq!(r2.grids[0].first_visit, Timestamp(MIDNIGHT));
    assert_eq!(r1.total.patrolled_grids, 1);
    assert_eq!(r2.total.patrolled_grids, 1);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Random tracks never panic, and coverage stays a share of the grids.
    #[test]
    fn random_tracks_keep_coverage_a_share(
        fixes in prop::collection::vec((0i64..100_000_000, 113.59f64..113.61, 34.749f64..34.753, 0u8..3), 0..80),
        junk in prop::collection::vec((any::<i64>(), any::<f64>(), any::<f64>()), 0..10),
    ) {
        let (mut t, c) = tracker(PatrolConfig::default());
        let mut fixes = fixes;
        fixes.sort_by_key(|f| f.0);
        for (ms, lon, lat, v) in fixes {
            t.observe(&fix(&format!("e{v}"), T0 + ms, Point::new(lon, lat)));
        }
        for (ms, lon, lat) in junk {
            t.observe(&fix("e9", ms, Point::new(lon, lat)));
        }
        let rep = t.daily(LocalDay::of(Timestamp(T0)), &c.areas);
        prop_assert!(rep.total.patrolled_grids <= rep.total.grids);
        for a in &rep.areas {
            prop_assert!(a.patrolled_grids <= a.grids);
        }
        for g in &rep.grids {
            prop_assert!(g.dwell_s >= 0.0 && g.dwell_s <= 86_400.0 * 4.0);
            prop_assert!(g.first_visit <= g.last_visit);
        }
    }
}
