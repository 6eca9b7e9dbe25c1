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
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig::default());
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
    let mut rule = SweepSpeedRule::new(SweepSpeedConfig::default());
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
