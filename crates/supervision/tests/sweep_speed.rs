//! Working-speed compliance as an alarm, on scripted sweeper tracks: a fix every 20 s along
//! one street.

use domain::time::Timestamp;
use grid::Point;
use supervision::alarm::{AlarmLevel, Signal, SourceKind};
use supervision::sweeping::{RULE_OVERSPEED, SweepSpeedConfig, SweepSpeedRule, SweepingOn};
use supervision::vehicle::{Fix, STATUS_LOCATED};

/// 2026-01-01 10:00 Asia/Shanghai.
const T0: i64 = 1_767_232_800_000;
/// Bit 10 of the status: brushes down (a terminal configured for it).
const BRUSHES: u32 = 1 << 10;

fn fix(phone: &str, s: i64, speed_kmh: f64, status: u32) -> Fix {
    Fix {
        phone: phone.into(),
        at: Timestamp(T0 + s * 1000),
        point: Point::new(113.60 + s as f64 * 1e-6, 34.75),
        speed_kmh,
        heading: 90,
        status: STATUS_LOCATED | status,
        alarm: 0,
        extra: Vec::new(),
    }
}

/// The old default: no signal and none inferred, every fix is working.
fn always() -> SweepSpeedConfig {
    SweepSpeedConfig {
        sweeping_on: SweepingOn::Always,
        ..SweepSpeedConfig::default()
    }
}

/// Feeds `speeds` a fix every 20 s from `from_s`; returns every signal.
fn run(rule: &mut SweepSpeedRule, phone: &str, from_s: i64, speeds: &[f64]) -> Vec<Signal> {
    speeds
        .iter()
        .enumerate()
        .flat_map(|(i, v)| rule.observe(&fix(phone, from_s + 20 * i as i64, *v, 0)))
        .collect()
}

#[test]
fn a_minute_sweeping_too_fast_raises_once_and_slowing_down_clears() {
    let mut rule = SweepSpeedRule::new(always());
    rule.set_plates([("s1".to_owned(), Some("豫A·S0001".to_owned()))]);
    // In band, then 28 km/h: the third breaking fix 40 s in is not yet a minute.
    assert!(run(&mut rule, "s1", 0, &[12.0, 15.0, 28.0, 27.0, 29.0]).is_empty());
    // The fourth, 60 s after the first breaking fix, raises; it began at the first one.
    let s = run(&mut rule, "s1", 100, &[31.0]);
    let [Signal::Raise(r)] = s.as_slice() else {
        panic!("{s:?}");
    };
    assert_eq!(r.key.source_kind, SourceKind::Vehicle);
    assert_eq!(r.key.source_id, "s1");
    assert_eq!(r.key.rule, RULE_OVERSPEED);
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(
        r.class_code, None,
        "no case: a contract breach, not a street matter"
    );
    assert_eq!(r.at, Timestamp(T0 + 40_000));
    assert!(
        r.message.contains("豫A·S0001") && r.message.contains("31 km/h"),
        "{}",
        r.message
    );
    assert_eq!(r.detail["limit_kmh"], 20.0);
    assert_eq!(r.detail["track"].as_array().map(Vec::len), Some(6));
    // Still too fast: no second raise. 19 km/h is above the clear band (18): still breaking.
    assert!(run(&mut rule, "s1", 120, &[33.0, 25.0, 19.0, 19.5]).is_empty());
    // Two minutes and three fixes at working speed clear it, from the first slow fix.
    let s = run(
        &mut rule,
        "s1",
        200,
        &[15.0, 14.0, 12.0, 12.0, 12.0, 12.0, 12.0],
    );
    assert!(
        matches!(s.as_slice(), [Signal::Clear(c)] if c.key.rule == RULE_OVERSPEED && c.at == Timestamp(T0 + 200_000)),
        "{s:?}"
    );
}

#[test]
fn short_bursts_and_bursts_across_a_gap_do_not_raise() {
    let mut rule = SweepSpeedRule::new(always());
    // Two breaking fixes, one in band, two breaking: never three in a row.
    assert!(run(&mut rule, "s2", 0, &[25.0, 26.0, 10.0, 25.0, 26.0, 10.0]).is_empty());
    // Two breaking fixes, a 5-minute silence, two more: the gap restarts the run.
    assert!(run(&mut rule, "s2", 200, &[25.0, 26.0]).is_empty());
    assert!(run(&mut rule, "s2", 540, &[25.0, 26.0]).is_empty());
    // A third right after: 20 s + 20 s is not a minute yet; the fourth is.
    assert!(run(&mut rule, "s2", 580, &[27.0]).is_empty());
    assert_eq!(run(&mut rule, "s2", 600, &[27.0]).len(), 1);
}

#[test]
fn with_a_brush_signal_only_sweeping_counts_and_bad_fixes_are_ignored() {
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig {
        sweeping_on: SweepingOn::StatusBit { bit: 10 },
        ..SweepSpeedConfig::default()
    });
    // Driving to the depot at 40 km/h with brushes up: nothing.
    for i in 0..10 {
        assert!(rule.observe(&fix("s3", i * 20, 40.0, 0)).is_empty());
    }
    // An unlocated fix, a NaN speed and an old fix change nothing.
    let mut unlocated = fix("s3", 300, 40.0, BRUSHES);
    unlocated.status = BRUSHES;
    assert!(rule.observe(&unlocated).is_empty());
    assert!(rule.observe(&fix("s3", 301, f64::NAN, BRUSHES)).is_empty());
    assert!(rule.observe(&fix("s3", 10, 40.0, BRUSHES)).is_empty());
    // Brushes down at 30 km/h for a minute: raised.
    let signals: Vec<Signal> = (0..4)
        .flat_map(|i| rule.observe(&fix("s3", 400 + i * 20, 30.0, BRUSHES)))
        .collect();
    assert!(
        matches!(signals.as_slice(), [Signal::Raise(r)] if r.at == Timestamp(T0 + 400_000)),
        "{signals:?}"
    );
    // Brushes up, still fast: the rule is satisfied and clears after two minutes.
    let signals: Vec<Signal> = (0..8)
        .flat_map(|i| rule.observe(&fix("s3", 500 + i * 20, 35.0, 0)))
        .collect();
    assert!(
        matches!(signals.as_slice(), [Signal::Clear(_)]),
        "{signals:?}"
    );
}

// ---- the working state: terminal signals and the inference --------------------------------

use std::sync::Arc;

use grid::{Polyline, Road, RoadClass};
use supervision::sweeping::{ITEM_IO_STATUS, RoadIndex, WorkInference};

/// A fix every 20 s along one east–west street (lat 34.75) at its speed: each fix advances by
/// the distance driven since the last one.
struct Drive {
    phone: &'static str,
    s: i64,
    lon: f64,
}

impl Drive {
    fn new(phone: &'static str) -> Drive {
        Drive {
            phone,
            s: 0,
            lon: 113.60,
        }
    }

    /// `n` fixes at `speed_kmh`; `on_road` false drives 200 m north of the street.
    fn go(
        &mut self,
        rule: &mut SweepSpeedRule,
        n: usize,
        speed_kmh: f64,
        on_road: bool,
    ) -> Vec<Signal> {
        let mut out = Vec::new();
        for _ in 0..n {
            self.s += 20;
            self.lon += speed_kmh / 3.6 * 20.0 / 91_300.0;
            let lat = if on_road { 34.75 } else { 34.752 };
            out.extend(rule.observe(&Fix {
                phone: self.phone.into(),
                at: Timestamp(T0 + self.s * 1000),
                point: Point::new(self.lon, lat),
                speed_kmh,
                heading: 90,
                status: STATUS_LOCATED,
                alarm: 0,
                extra: Vec::new(),
            }));
        }
        out
    }
}

/// The street (secondary: one pass a day) and, 200 m north, nothing.
fn street_rule(class: RoadClass) -> SweepSpeedRule {
    let street = Road {
        id: "R1".into(),
        name: "建设路".into(),
        class,
        chief: None,
        line: Polyline(vec![Point::new(113.59, 34.75), Point::new(113.70, 34.75)]),
    };
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig::default());
    rule.set_roads(Arc::new(RoadIndex::build(&[street])));
    rule
}

#[test]
fn inferred_transit_to_the_depot_at_35_or_25_raises_nothing() {
    let mut rule = street_rule(RoadClass::Secondary);
    let mut d = Drive::new("t1");
    // Out of the depot and along the street at 35 km/h for 10 minutes: transit.
    assert!(d.go(&mut rule, 30, 35.0, true).is_empty());
    // At 25 km/h (over the 20 km/h band, under transit) without having swept: not working.
    assert!(d.go(&mut rule, 30, 25.0, true).is_empty());
    // Sweeping, then the drive home at 35: working ends at once, nothing raised.
    assert!(d.go(&mut rule, 10, 10.0, true).is_empty());
    assert!(d.go(&mut rule, 30, 35.0, true).is_empty());
}

#[test]
fn inferred_sweeping_at_25_raises_once_with_hysteresis_and_clears() {
    let mut rule = street_rule(RoadClass::Secondary);
    let mut d = Drive::new("t2");
    // Sweeping pace for 2 minutes: working.
    assert!(d.go(&mut rule, 6, 10.0, true).is_empty());
    // 25 km/h: the rule needs a minute and three fixes — the fourth fix raises.
    assert!(d.go(&mut rule, 3, 25.0, true).is_empty());
    let s = d.go(&mut rule, 1, 25.0, true);
    let [Signal::Raise(r)] = s.as_slice() else {
        panic!("{s:?}");
    };
    assert_eq!(r.key.rule, RULE_OVERSPEED);
    assert_eq!(r.detail["working"], "inferred");
    // Hovering around the limit (19–21 km/h, above the 18 km/h clear band): no second raise.
    assert!(d.go(&mut rule, 10, 25.0, true).is_empty());
    let wobble: Vec<Signal> = [19.0, 21.0, 19.5, 20.5, 19.0, 21.0]
        .iter()
        .flat_map(|v| d.go(&mut rule, 1, *v, true))
        .collect();
    assert!(wobble.is_empty(), "{wobble:?}");
    // Back to sweeping pace: cleared after two minutes, once.
    let s = d.go(&mut rule, 10, 10.0, true);
    assert!(matches!(s.as_slice(), [Signal::Clear(_)]), "{s:?}");
    // And again 25 km/h: a new alarm (after the clear), once.
    let s = d.go(&mut rule, 10, 25.0, true);
    assert_eq!(s.len(), 1, "{s:?}");
}

#[test]
fn inferred_needs_a_road_that_is_swept_and_leaving_it_ends_the_work() {
    // Roads of a class needing no passes are never swept: nothing is working there.
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig {
        required_passes: supervision::sweeping::RequiredPasses {
            secondary: 0,
            ..Default::default()
        },
        ..SweepSpeedConfig::default()
    });
    rule.set_roads(Arc::new(RoadIndex::build(&[Road {
        id: "R1".into(),
        name: "建设路".into(),
        class: RoadClass::Secondary,
        chief: None,
        line: Polyline(vec![Point::new(113.59, 34.75), Point::new(113.70, 34.75)]),
    }])));
    let mut d = Drive::new("t3");
    d.go(&mut rule, 6, 10.0, true);
    assert!(d.go(&mut rule, 10, 25.0, true).is_empty());
    // Without roads nothing is inferred working.
    let mut bare = SweepSpeedRule::new(SweepSpeedConfig::default());
    let mut d = Drive::new("t4");
    d.go(&mut bare, 6, 10.0, true);
    assert!(d.go(&mut bare, 10, 25.0, true).is_empty());
    // Swept, then off the planned roads at 25 km/h: working ends after a minute, so the
    // hysteresis minute never completes.
    let mut rule = street_rule(RoadClass::Arterial);
    let mut d = Drive::new("t5");
    d.go(&mut rule, 6, 10.0, true);
    assert!(d.go(&mut rule, 10, 25.0, false).is_empty());
    let cfg = WorkInference::default();
    assert_eq!(cfg.transit_speed_kmh, 30.0);
}

#[test]
fn the_io_status_item_and_vendor_item_bits_are_working_signals() {
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig {
        sweeping_on: SweepingOn::IoStatusBit { bit: 2 },
        ..SweepSpeedConfig::default()
    });
    let with = |s: i64, io: u16| {
        let mut f = fix("s5", s, 30.0, 0);
        f.extra = vec![(ITEM_IO_STATUS, io.to_be_bytes().to_vec())];
        f
    };
    // IO bit 1 (sleep) only: not working; bit 2 set: working at 30 km/h → raise after a minute.
    for i in 0..5 {
        assert!(rule.observe(&with(i * 20, 0b10)).is_empty());
    }
    let s: Vec<Signal> = (0..4)
        .flat_map(|i| rule.observe(&with(200 + i * 20, 0b100)))
        .collect();
    assert!(
        matches!(s.as_slice(), [Signal::Raise(r)] if r.detail["working"] == "signal"),
        "{s:?}"
    );
    // A vendor item 0xE1, bit 9 = bit 1 of the second-to-last byte.
    let on = SweepingOn::ItemBit { id: 0xE1, bit: 9 };
    let mut f = fix("s6", 0, 10.0, 0);
    f.extra = vec![(0xE1, vec![0x00, 0x02, 0x00])];
    assert!(on.is_on(&f));
    f.extra = vec![(0xE1, vec![0x00, 0x00, 0x02])];
    assert!(!on.is_on(&f));
    f.extra = vec![(0xE1, vec![0x02])];
    assert!(!on.is_on(&f), "a short item has no bit 9");
}
