//! Sweeping coverage: hand-worked tracks on one straight road, and the demo city.

use std::sync::Arc;

use domain::time::Timestamp;
use grid::geom::distance_m;
use grid::{GenerateOptions, Geocoder, Point, Polyline, Road, RoadClass, Scale};
use proptest::prelude::*;
use supervision::sweeping::{
    DailyCoverage, FixOutcome, LocalDay, RoadAreas, RoadIndex, SweepConfig, SweepTracker,
    SweepingOn,
};
use supervision::vehicle::{Fix, STATUS_LOCATED};

/// 2026-01-01 10:00 Asia/Shanghai.
const T0: i64 = 1_767_232_800_000;
/// 2026-01-02 00:00 Asia/Shanghai.
const MIDNIGHT: i64 = 1_767_283_200_000;

const WEST: f64 = 113.60;
const EAST: f64 = 113.61;
const LAT: f64 = 34.75;

fn road(id: &str, class: RoadClass, a: (f64, f64), b: (f64, f64)) -> Road {
    Road {
        id: id.into(),
        name: format!("{id}路"),
        class,
        chief: None,
        line: Polyline(vec![Point::new(a.0, a.1), Point::new(b.0, b.1)]),
    }
}

/// One east–west road of the given class, ≈ 914 m.
fn one_road(class: RoadClass) -> (Arc<RoadIndex>, f64) {
    let r = road("R1", class, (WEST, LAT), (EAST, LAT));
    let len = r.line.length_m();
    (Arc::new(RoadIndex::build(&[r])), len)
}

fn fix(phone: &str, at_ms: i64, lon: f64, lat: f64, speed_kmh: f64, heading: u16) -> Fix {
    Fix {
        phone: phone.into(),
        at: Timestamp(at_ms),
        point: Point::new(lon, lat),
        speed_kmh,
        heading,
        status: STATUS_LOCATED,
        alarm: 0,
        extra: Vec::new(),
    }
}

#[allow(clippy::too_many_arguments)] // a test helper: each argument is one knob of the drive
/// Drives from `from` to `to` (fractions of the road, west = 0) in `n` equal steps of `dt_s`
/// seconds starting at `t0`, 4 m north of the centre line, reporting `speed_kmh`.
fn drive(
    t: &mut SweepTracker,
    phone: &str,
    t0: i64,
    from: f64,
    to: f64,
    n: usize,
    dt_s: i64,
    speed_kmh: f64,
) -> i64 {
    let heading = if to >= from { 90 } else { 270 };
    let lat = LAT + 4.0 / grid::geom::METRES_PER_DEGREE;
    for i in 0..=n {
        let f = from + (to - from) * i as f64 / n as f64;
        let lon = WEST + (EAST - WEST) * f;
        let out = t.observe(&fix(
            phone,
            t0 + i as i64 * dt_s * 1000,
            lon,
            lat,
            speed_kmh,
            heading,
        ));
        assert!(matches!(out, FixOutcome::Matched(m) if (m.distance_m - 4.0).abs() < 0.01));
    }
    t0 + n as i64 * dt_s * 1000
}

fn day0() -> LocalDay {
    LocalDay::of(Timestamp(T0))
}

fn only_road(rep: &DailyCoverage) -> &supervision::sweeping::RoadCoverage {
    &rep.roads[0]
}

#[test]
fn driving_a_road_end_to_end_at_working_speed_covers_it() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // 20 steps of ≈ 45.7 m in 15 s ≈ 11 km/h.
    drive(&mut t, "s1", T0, 0.0, 1.0, 20, 15, 11.0);
    let rep = t.daily(day0(), None);
    let r = only_road(&rep);
    assert_eq!(r.required_passes, 1);
    assert!((r.length_m - len).abs() < 1e-9);
    assert!(
        (r.covered_m[0] - len).abs() < 0.01,
        "{} vs {len}",
        r.covered_m[0]
    );
    assert!((r.rate.unwrap_or(0.0) - 1.0).abs() < 1e-6);
    assert!((rep.total.rate.unwrap_or(0.0) - 1.0).abs() < 1e-6);
    let v = &rep.vehicles[0];
    assert_eq!(v.phone, "s1");
    // The track runs parallel to the road: its length is the road's length.
    assert!((v.work.in_band_m - len).abs() < 0.01);
    assert_eq!(v.compliance, Some(1.0));
    assert_eq!(rep.date, "2026-01-01");
}

#[test]
fn driving_too_fast_is_non_compliant_and_covers_nothing() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // ≈ 45.7 m in 4 s ≈ 41 km/h.
    drive(&mut t, "s1", T0, 0.0, 1.0, 20, 4, 41.0);
    let rep = t.daily(day0(), None);
    assert_eq!(only_road(&rep).covered_m, vec![0.0]);
    assert_eq!(only_road(&rep).rate, Some(0.0));
    let v = &rep.vehicles[0];
    assert!((v.work.too_fast_m - len).abs() < 0.01);
    assert_eq!(v.work.in_band_m, 0.0);
    assert_eq!(v.compliance, Some(0.0));
}

#[test]
fn half_a_road_is_half_covered() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    drive(&mut t, "s1", T0, 0.0, 0.5, 10, 15, 11.0);
    let r = t.daily(day0(), None);
    assert!((only_road(&r).covered_m[0] - len / 2.0).abs() < 0.01);
    assert!((only_road(&r).rate.unwrap_or(0.0) - 0.5).abs() < 1e-4);
}

#[test]
fn an_arterial_needs_two_passes_and_a_u_turn_is_the_second() {
    let (idx, len) = one_road(RoadClass::Arterial);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    let end = drive(&mut t, "s1", T0, 0.0, 1.0, 20, 15, 11.0);
    let r = t.daily(day0(), None);
    let road = only_road(&r);
    assert_eq!(road.required_passes, 2);
    assert!((road.covered_m[0] - len).abs() < 0.01);
    assert!(road.covered_m[1].abs() < 0.01);
    assert!((road.required_m - 2.0 * len).abs() < 1e-6);
    assert!((road.rate.unwrap_or(0.0) - 0.5).abs() < 1e-4);
    // Back the other way, continuing the same track: the second pass.
    drive(&mut t, "s1", end + 15_000, 1.0, 0.0, 20, 15, 11.0);
    let r = t.daily(day0(), None);
    assert_eq!(t.passes(day0(), 0).len(), 2);
    assert!((only_road(&r).covered_m[1] - len).abs() < 0.1);
    assert!((only_road(&r).rate.unwrap_or(0.0) - 1.0).abs() < 1e-4);
}

#[test]
fn a_second_sweeper_on_the_same_stretch_is_a_second_pass_but_rate_is_capped() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    drive(&mut t, "s1", T0, 0.0, 1.0, 20, 15, 11.0);
    drive(&mut t, "s2", T0, 0.0, 1.0, 20, 15, 11.0);
    let r = t.daily(day0(), None);
    let road = only_road(&r);
    // Branch roads need one pass: two passes still make 100 %, not 200 %.
    assert_eq!(road.covered_m.len(), 1);
    assert!((road.swept_m - len).abs() < 0.01);
    assert!((road.rate.unwrap_or(0.0) - 1.0).abs() < 1e-6);
    assert_eq!(t.passes(day0(), 0).len(), 2);
}

#[test]
fn a_gap_longer_than_allowed_is_not_covered() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // Steps of len/20; between steps 10 and 11 the terminal is silent for 150 s (> 120 s).
    let end = drive(&mut t, "s1", T0, 0.0, 0.5, 10, 15, 11.0);
    drive(&mut t, "s1", end + 150_000, 0.55, 1.0, 9, 15, 11.0);
    let r = t.daily(day0(), None);
    assert!(
        (only_road(&r).covered_m[0] - 0.95 * len).abs() < 0.01,
        "{}",
        only_road(&r).covered_m[0]
    );
}

#[test]
fn fixes_around_midnight_go_to_their_shanghai_day() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // 23:59:40 → 00:00:00 → 00:00:20, 0.05 of the road per step (≈ 45.7 m / 20 s ≈ 8 km/h).
    drive(&mut t, "s1", MIDNIGHT - 20_000, 0.0, 0.1, 2, 20, 8.0);
    let d1 = LocalDay::of(Timestamp(MIDNIGHT - 1));
    let d2 = LocalDay::of(Timestamp(MIDNIGHT));
    assert_eq!(d1.date(), "2026-01-01");
    assert_eq!(d2.date(), "2026-01-02");
    let (r1, r2) = (t.daily(d1, None), t.daily(d2, None));
    assert!((only_road(&r1).covered_m[0] - 0.05 * len).abs() < 0.01);
    assert!((only_road(&r2).covered_m[0] - 0.05 * len).abs() < 0.01);
    // Intervals: day 1 [0, 0.05], day 2 [0.05, 0.1].
    assert!(t.passes(d1, 0)[0][0].0.abs() < 0.01);
    assert!((t.passes(d2, 0)[0][0].0 - 0.05 * len).abs() < 0.01);
    assert!((r1.vehicles[0].work.in_band_m - 0.05 * len).abs() < 0.01);
    assert!((r2.vehicles[0].work.in_band_m - 0.05 * len).abs() < 0.01);
}

#[test]
fn a_step_over_midnight_is_split_in_proportion_to_time() {
    let (idx, len) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // 23:59:45 → 00:00:45 over 0.1 of the road: a quarter before midnight.
    drive(&mut t, "s1", MIDNIGHT - 15_000, 0.0, 0.1, 1, 60, 5.0);
    let d1 = LocalDay::of(Timestamp(MIDNIGHT - 1));
    let d2 = LocalDay(d1.0 + 1);
    assert!((only_road(&t.daily(d1, None)).covered_m[0] - 0.025 * len).abs() < 0.01);
    assert!((only_road(&t.daily(d2, None)).covered_m[0] - 0.075 * len).abs() < 0.01);
}

#[test]
fn with_a_status_bit_only_sweeping_fixes_count() {
    let (idx, len) = one_road(RoadClass::Branch);
    let cfg = SweepConfig {
        sweeping_on: SweepingOn::StatusBit { bit: 20 },
        ..SweepConfig::default()
    };
    let mut t = SweepTracker::new(idx, cfg);
    // The first half without the bit, the second with it.
    drive(&mut t, "s1", T0, 0.0, 0.5, 10, 15, 11.0);
    let lat = LAT + 4.0 / grid::geom::METRES_PER_DEGREE;
    for i in 0..=10 {
        let f = 0.5 + 0.05 * f64::from(i);
        let mut x = fix(
            "s1",
            T0 + 165_000 + i64::from(i) * 15_000,
            WEST + 0.01 * f,
            lat,
            11.0,
            90,
        );
        x.status |= 1 << 20;
        t.observe(&x);
    }
    let r = t.daily(day0(), None);
    assert!((only_road(&r).covered_m[0] - 0.5 * len).abs() < 0.01);
    assert!((r.vehicles[0].work.total_m() - 0.5 * len).abs() < 0.01);
}

#[test]
fn heading_picks_the_road_driven_along_at_a_crossing() {
    let a = road("A", RoadClass::Branch, (WEST, LAT), (EAST, LAT));
    let b = road("B", RoadClass::Branch, (113.605, 34.745), (113.605, 34.755));
    let idx = RoadIndex::build(&[a, b]);
    // 2 m east of B and 6 m north of A: B is nearer.
    let p = Point::new(
        113.605 + 2.0 / grid::geom::metres_per_degree_lon(LAT),
        LAT + 6.0 / grid::geom::METRES_PER_DEGREE,
    );
    let near = idx.match_point(p, 25.0, None, 45.0).map(|m| m.road);
    assert_eq!(near, Some(1));
    // Driving east (or west): A.
    assert_eq!(
        idx.match_point(p, 25.0, Some(90.0), 45.0).map(|m| m.road),
        Some(0)
    );
    assert_eq!(
        idx.match_point(p, 25.0, Some(265.0), 45.0).map(|m| m.road),
        Some(0)
    );
    // Driving north: B.
    assert_eq!(
        idx.match_point(p, 25.0, Some(0.0), 45.0).map(|m| m.road),
        Some(1)
    );
    // Too far from both.
    assert_eq!(idx.match_point(p, 1.0, None, 45.0), None);
    let m = idx.match_point(p, 25.0, Some(90.0), 45.0).expect("A");
    assert!((m.distance_m - 6.0).abs() < 0.01);
    let half = distance_m(Point::new(WEST, LAT), Point::new(113.605, LAT));
    assert!((m.offset_m - half - 2.0).abs() < 0.01);
}

#[test]
fn out_of_order_and_invalid_fixes_are_ignored() {
    let (idx, _) = one_road(RoadClass::Branch);
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    assert!(matches!(
        t.observe(&fix("s1", T0, 113.605, LAT, 10.0, 90)),
        FixOutcome::Matched(_)
    ));
    assert_eq!(
        t.observe(&fix("s1", T0, 113.606, LAT, 10.0, 90)),
        FixOutcome::Ignored
    );
    assert_eq!(
        t.observe(&fix("s1", T0 + 1, f64::NAN, LAT, 10.0, 90)),
        FixOutcome::Ignored
    );
    let mut unlocated = fix("s1", T0 + 2, 113.606, LAT, 10.0, 90);
    unlocated.status = 0;
    assert_eq!(t.observe(&unlocated), FixOutcome::Ignored);
    assert_eq!(
        t.observe(&fix("s1", T0 + 3, 113.606, 34.80, 10.0, 90)),
        FixOutcome::OffRoad
    );
}

#[test]
fn the_demo_city_rolls_road_coverage_up_to_areas() {
    let city = grid::generate_with(7, Scale::Demo, &GenerateOptions::default());
    let idx = Arc::new(RoadIndex::build(&city.roads));
    let geo = Geocoder::build(&city);
    let areas = RoadAreas::build(&idx, &geo, &city.areas);
    let ri = city
        .roads
        .iter()
        .position(|r| r.class == RoadClass::Branch && r.line.length_m() > 500.0)
        .expect("a branch road");
    let line = &city.roads[ri].line.0;
    let (a, b) = (line[0], line[line.len() - 1]);
    let len = city.roads[ri].line.length_m();
    let mut t = SweepTracker::new(idx, SweepConfig::default());
    // 10 km/h: ≈ 2.78 m/s, a fix every 10 s.
    let n = (len / 27.8).ceil() as usize;
    for i in 0..=n {
        let f = i as f64 / n as f64;
        let p = Point::new(a.lon + (b.lon - a.lon) * f, a.lat + (b.lat - a.lat) * f);
        t.observe(&fix("s1", T0 + i as i64 * 10_000, p.lon, p.lat, 10.0, 0));
    }
    let rep = t.daily(day0(), Some(&areas));
    assert!((rep.roads[ri].rate.unwrap_or(0.0) - 1.0).abs() < 1e-6);
    assert!(
        (rep.total.swept_m - len).abs() < 0.5,
        "{} vs {len}",
        rep.total.swept_m
    );
    // Every stretch of the swept road lies in some district: the districts' swept length adds
    // up to the road's.
    let district_swept: f64 = rep
        .areas
        .iter()
        .filter(|a| a.level == grid::AreaLevel::District)
        .map(|a| a.swept_m)
        .sum();
    assert!(
        (district_swept - len).abs() < 0.5,
        "{district_swept} vs {len}"
    );
    for a in &rep.areas {
        assert!(a.swept_m <= a.required_m + 1e-6);
        assert_eq!(a.code.len(), a.level.code_len());
    }
    let json = serde_json::to_value(&rep).expect("serialises");
    assert_eq!(json["date"], "2026-01-01");
}

fn road_fix() -> impl Strategy<Value = (i64, f64, f64, f64, u16)> {
    (
        0i64..3_600_000,
        -0.2f64..1.2,
        -40.0f64..40.0,
        0.0f64..60.0,
        0u16..360,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Whatever a sweeper does near an arterial, no pass count exceeds the road's length and no
    /// rate exceeds 100 %.
    #[test]
    fn coverage_never_exceeds_the_road(
        mut fixes in prop::collection::vec(road_fix(), 1..120),
        two in any::<bool>(),
    ) {
        fixes.sort_by_key(|f| f.0);
        let (idx, len) = one_road(RoadClass::Arterial);
        let mut t = SweepTracker::new(idx, SweepConfig::default());
        for (i, (ms, f, north_m, speed, heading)) in fixes.into_iter().enumerate() {
            let phone = if two && i % 2 == 1 { "s2" } else { "s1" };
            let lat = LAT + north_m / grid::geom::METRES_PER_DEGREE;
            t.observe(&fix(phone, T0 + ms, WEST + (EAST - WEST) * f, lat, speed, heading));
        }
        let rep = t.daily(day0(), None);
        let r = &rep.roads[0];
        prop_assert_eq!(r.covered_m.len(), 2);
        prop_assert!(r.covered_m[0] <= len + 1e-6);
        prop_assert!(r.covered_m[1] <= r.covered_m[0] + 1e-9);
        prop_assert!(r.swept_m <= r.required_m + 1e-6);
        let rate = r.rate.unwrap_or(0.0);
        prop_assert!((0.0..=1.0).contains(&rate));
        for v in &rep.vehicles {
            let c = v.compliance.unwrap_or(0.0);
            prop_assert!((0.0..=1.0).contains(&c));
        }
    }

    /// Arbitrary input, including NaN and out-of-range coordinates, never panics.
    #[test]
    fn random_fixes_never_panic(
        fixes in prop::collection::vec(
            (any::<i64>(), any::<f64>(), any::<f64>(), any::<f64>(), any::<u16>(), any::<u32>()),
            0..60,
        ),
    ) {
        let (idx, _) = one_road(RoadClass::Expressway);
        let cfg = SweepConfig { sweeping_on: SweepingOn::StatusBit { bit: 40 }, ..SweepConfig::default() };
        let mut t = SweepTracker::new(idx.clone(), SweepConfig::default());
        let mut t2 = SweepTracker::new(idx, cfg);
        for (ms, lon, lat, speed, heading, status) in fixes {
            let mut f = fix("x", ms, lon, lat, speed, heading);
            f.status = status;
            t.observe(&f);
            t2.observe(&f);
            let _ = t.daily(LocalDay::of(Timestamp(ms)), None);
        }
    }
}
