//! MQTT sensor rules: thresholds with hysteresis bands, escalation, battery and offline.

use std::collections::HashSet;

use domain::taxonomy::Taxonomy;
use domain::time::Timestamp;
use proptest::prelude::*;
use supervision::alarm::{AlarmKey, AlarmLevel, Raise, Signal, SourceKind};
use supervision::sensor::*;

fn t(min: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2026-07-20T08:00:00+08:00")
        .unwrap()
        .plus_minutes(min)
}

fn engine(id: &str, info: SensorInfo) -> SensorSupervisor {
    let mut e = SensorSupervisor::new(SensorConfig::default());
    e.register(id, info);
    e
}

fn at(id: &str, min: i64, values: SensorValues) -> SensorSample {
    SensorSample {
        sensor_id: id.into(),
        at: t(min),
        values,
        battery_pct: None,
    }
}

fn fill(pct: f64) -> SensorValues {
    SensorValues {
        fill_pct: Some(pct),
        ..SensorValues::default()
    }
}

fn depth(cm: f64) -> SensorValues {
    SensorValues {
        depth_cm: Some(cm),
        ..SensorValues::default()
    }
}

fn tilt(deg: f64, open: bool) -> SensorValues {
    SensorValues {
        tilt_deg: Some(deg),
        open: Some(open),
        ..SensorValues::default()
    }
}

fn only_raise(out: &[Signal]) -> &Raise {
    match out {
        [Signal::Raise(r)] => r,
        other => panic!("expected one raise, got {other:?}"),
    }
}

fn is_clear_of(out: &[Signal], rule: &str, when: Timestamp) -> bool {
    matches!(out, [Signal::Clear(c)] if c.key.rule == rule && c.at == when)
}

#[test]
fn bin_raises_at_90_and_clears_only_below_70() {
    let mut e = engine(
        "bin-1",
        SensorInfo::new("人民路 12 号垃圾箱", SensorKind::BinFill),
    );
    assert!(e.observe(&at("bin-1", 0, fill(89.9))).is_empty());
    let out = e.observe(&at("bin-1", 1, fill(90.0)));
    let r = only_raise(&out);
    assert_eq!(
        r.key,
        AlarmKey::new(SourceKind::Sensor, "bin-1", "sensor.bin_full")
    );
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.class_code.as_deref(), Some("06042"));
    assert_eq!(r.message, "人民路 12 号垃圾箱 垃圾箱满溢 填充 90%");
    // Emptied a little: 80 and 70 are still inside the band.
    assert!(e.observe(&at("bin-1", 2, fill(80.0))).is_empty());
    assert!(e.observe(&at("bin-1", 3, fill(70.0))).is_empty());
    assert!(is_clear_of(
        &e.observe(&at("bin-1", 4, fill(69.0))),
        "sensor.bin_full",
        t(4)
    ));
    // Below 90 again does not re-raise.
    assert!(e.observe(&at("bin-1", 5, fill(85.0))).is_empty());
}

#[test]
fn a_tilted_or_open_cover_is_severe_at_once_in_its_own_class() {
    let mut info = SensorInfo::new("建设路 雨水井盖", SensorKind::ManholeCover);
    info.class_code = Some("01003".into());
    let mut e = engine("c-1", info);
    assert!(e.observe(&at("c-1", 0, tilt(14.9, false))).is_empty());
    let out = e.observe(&at("c-1", 1, tilt(16.0, false)));
    let r = only_raise(&out);
    assert_eq!(r.level, AlarmLevel::Severe);
    assert_eq!(r.class_code.as_deref(), Some("01003"));
    assert_eq!(r.message, "建设路 雨水井盖 井盖倾斜 16°");
    assert!(
        e.observe(&at("c-1", 2, tilt(12.0, false))).is_empty(),
        "inside the band"
    );
    assert!(is_clear_of(
        &e.observe(&at("c-1", 3, tilt(9.0, false))),
        "sensor.cover",
        t(3)
    ));
    // Open though level.
    let out = e.observe(&at("c-1", 4, tilt(0.0, true)));
    assert_eq!(only_raise(&out).message, "建设路 雨水井盖 井盖被打开");
    // Closed and level again.
    assert!(is_clear_of(
        &e.observe(&at("c-1", 5, tilt(0.0, false))),
        "sensor.cover",
        t(5)
    ));
}

#[test]
fn a_cover_of_unknown_owner_goes_to_01023() {
    let mut e = engine("c-2", SensorInfo::new("井盖", SensorKind::ManholeCover));
    let out = e.observe(&at(
        "c-2",
        0,
        SensorValues {
            open: Some(true),
            ..SensorValues::default()
        },
    ));
    assert_eq!(only_raise(&out).class_code.as_deref(), Some("01023"));
}

#[test]
fn waterlogging_raises_at_15_escalates_at_30_and_clears_below_10() {
    let mut e = engine(
        "w-1",
        SensorInfo::new("京广路隧道 易涝点", SensorKind::Waterlogging),
    );
    assert!(e.observe(&at("w-1", 0, depth(14.0))).is_empty());
    let out = e.observe(&at("w-1", 1, depth(15.0)));
    let r = only_raise(&out);
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.class_code.as_deref(), Some("10901"));
    assert_eq!(r.at, t(1));
    assert!(e.observe(&at("w-1", 2, depth(25.0))).is_empty());
    // Severe: raised again on the same key.
    let out = e.observe(&at("w-1", 3, depth(31.0)));
    let r = only_raise(&out);
    assert_eq!(r.level, AlarmLevel::Severe);
    assert_eq!(r.key.rule, "sensor.waterlogging");
    assert_eq!(r.message, "京广路隧道 易涝点 积水深度 31 cm");
    // Deeper still or receding inside the band: nothing new.
    assert!(e.observe(&at("w-1", 4, depth(40.0))).is_empty());
    assert!(e.observe(&at("w-1", 5, depth(12.0))).is_empty());
    assert!(is_clear_of(
        &e.observe(&at("w-1", 6, depth(9.9))),
        "sensor.waterlogging",
        t(6)
    ));
    // A new flood straight to severe depth raises Severe at once.
    assert_eq!(
        only_raise(&e.observe(&at("w-1", 7, depth(30.0)))).level,
        AlarmLevel::Severe
    );
}

#[test]
fn numeric_high_and_low_thresholds_with_bands() {
    let mut info = SensorInfo::new(
        "1 号泵站",
        SensorKind::Numeric {
            name: "水位".into(),
            unit: "m".into(),
        },
    );
    info.numeric = NumericThresholds {
        high: Some(3.0),
        high_clear: Some(2.5),
        low: Some(0.5),
        low_clear: Some(0.8),
    };
    let mut e = engine("n-1", info);
    let v = |x: f64| SensorValues {
        value: Some(x),
        ..SensorValues::default()
    };
    assert!(e.observe(&at("n-1", 0, v(2.9))).is_empty());
    let out = e.observe(&at("n-1", 1, v(3.0)));
    let r = only_raise(&out);
    assert_eq!(r.key.rule, "sensor.high");
    assert_eq!(r.message, "1 号泵站 水位 3 m 超过上限 3");
    assert_eq!(
        r.class_code, None,
        "numeric sensors file no case unless configured"
    );
    assert!(e.observe(&at("n-1", 2, v(2.6))).is_empty());
    assert!(is_clear_of(
        &e.observe(&at("n-1", 3, v(2.4))),
        "sensor.high",
        t(3)
    ));
    assert_eq!(
        only_raise(&e.observe(&at("n-1", 4, v(0.5)))).key.rule,
        "sensor.low"
    );
    assert!(e.observe(&at("n-1", 5, v(0.7))).is_empty());
    assert!(is_clear_of(
        &e.observe(&at("n-1", 6, v(0.9))),
        "sensor.low",
        t(6)
    ));
}

#[test]
fn low_battery_is_a_notice_with_its_own_band() {
    let mut e = engine("bin-2", SensorInfo::new("垃圾箱", SensorKind::BinFill));
    let b = |min: i64, pct: f64| SensorSample {
        battery_pct: Some(pct),
        ..at("bin-2", min, fill(10.0))
    };
    assert!(e.observe(&b(0, 20.0)).is_empty());
    let out = e.observe(&b(1, 19.0));
    let r = only_raise(&out);
    assert_eq!(r.key.rule, "sensor.battery_low");
    assert_eq!(r.level, AlarmLevel::Notice);
    assert_eq!(r.class_code, None);
    assert!(e.observe(&b(2, 24.0)).is_empty());
    assert!(is_clear_of(
        &e.observe(&b(3, 25.0)),
        "sensor.battery_low",
        t(3)
    ));
}

#[test]
fn offline_uses_the_per_sensor_limit_and_the_next_sample_clears() {
    let mut info = SensorInfo::new("易涝点", SensorKind::Waterlogging);
    info.offline_after_ms = Some(10 * 60_000);
    let mut e = engine("w-2", info);
    e.register("bin-3", SensorInfo::new("垃圾箱", SensorKind::BinFill));
    e.observe(&at("w-2", 0, depth(0.0)));
    e.observe(&at("bin-3", 0, fill(0.0)));
    assert!(e.tick(t(10)).is_empty());
    let out = e.tick(t(11));
    let r = only_raise(&out);
    assert_eq!(
        r.key,
        AlarmKey::new(SourceKind::Sensor, "w-2", "sensor.offline")
    );
    assert_eq!(r.at, t(10));
    assert!(e.tick(t(12)).is_empty(), "once");
    // The bin uses the 25-hour default.
    assert!(e.tick(t(25 * 60)).is_empty());
    assert_eq!(e.tick(t(25 * 60 + 1)).len(), 1);
    assert!(is_clear_of(
        &e.observe(&at("w-2", 30, depth(0.0))),
        "sensor.offline",
        t(30)
    ));
}

#[test]
fn unregistered_and_stale_samples_are_ignored() {
    let mut e = engine("bin-1", SensorInfo::new("垃圾箱", SensorKind::BinFill));
    assert!(e.observe(&at("nope", 0, fill(100.0))).is_empty());
    assert!(!e.is_registered("nope"));
    e.observe(&at("bin-1", 5, fill(10.0)));
    assert!(e.observe(&at("bin-1", 4, fill(100.0))).is_empty());
    assert!(e.observe(&at("bin-1", 5, fill(100.0))).is_empty());
}

#[test]
fn default_classes_exist_in_the_taxonomy() {
    let tax = Taxonomy::builtin().unwrap();
    for (code, name, local) in [
        (CLASS_COVER_UNKNOWN, "不明井盖异常", false),
        (CLASS_BIN_OVERFLOW, "垃圾站（箱）满溢", false),
        (CLASS_WATERLOGGING, "易涝点积水", true),
    ] {
        let class = tax
            .find_matter(code)
            .unwrap_or_else(|| panic!("{code} missing"));
        assert_eq!(class.name, name);
        assert_eq!(class.is_local_extension, local, "{code}");
    }
}

#[test]
fn config_round_trips_and_defaults() {
    let cfg: SensorConfig = serde_json::from_str(r#"{"water_severe_cm": 40}"#).unwrap();
    assert_eq!(cfg.water_severe_cm, 40.0);
    assert_eq!(cfg.bin_fill_pct.raise, 90.0);
    assert_eq!(cfg.bin_fill_pct.clear, 70.0);
    assert_eq!(cfg.cover_tilt_deg.raise, 15.0);
    let back: SensorConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_series_never_panic_and_clears_follow_raises(
        steps in prop::collection::vec(
            (0i64..120, prop_oneof![Just(f64::NAN), -50.0f64..150.0], any::<bool>(), 0u8..5),
            1..200,
        ),
    ) {
        let mut e = SensorSupervisor::new(SensorConfig::default());
        let ids = ["cover", "bin", "water", "num"];
        e.register("cover", SensorInfo::new("井盖", SensorKind::ManholeCover));
        e.register("bin", SensorInfo::new("垃圾箱", SensorKind::BinFill));
        e.register("water", SensorInfo::new("易涝点", SensorKind::Waterlogging));
        let mut num = SensorInfo::new("x", SensorKind::Numeric { name: "x".into(), unit: "u".into() });
        num.numeric = NumericThresholds { high: Some(50.0), high_clear: Some(40.0), low: Some(0.0), low_clear: None };
        e.register("num", num);
        let mut now = t(0);
        let mut open: HashSet<AlarmKey> = HashSet::new();
        for (gap_min, x, flag, which) in steps {
            now = now.plus_minutes(gap_min);
            let signals = match ids.get(usize::from(which)) {
                None => e.tick(now.plus_minutes(30 * 60)),
                Some(id) => e.observe(&SensorSample {
                    sensor_id: (*id).into(),
                    at: now,
                    values: SensorValues {
                        tilt_deg: Some(x / 5.0),
                        open: Some(flag),
                        fill_pct: Some(x),
                        depth_cm: Some(x / 3.0),
                        value: Some(x),
                    },
                    battery_pct: Some(x),
                }),
            };
            for s in signals {
                match s {
                    Signal::Raise(r) => { open.insert(r.key); }
                    Signal::Clear(c) => prop_assert!(open.remove(&c.key), "clear without raise: {:?}", c.key),
                }
            }
        }
    }
}

#[test]
fn extreme_timestamps_do_not_panic() {
    let mut e = engine("w", SensorInfo::new("易涝点", SensorKind::Waterlogging));
    for at in [i64::MIN, -1, 0, i64::MAX] {
        let s = SensorSample {
            sensor_id: "w".into(),
            at: Timestamp(at),
            values: depth(40.0),
            battery_pct: Some(1.0),
        };
        e.observe(&s);
        e.tick(Timestamp(i64::MIN));
        e.tick(Timestamp(i64::MAX));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(100))]

    /// Two nodes that take turns with one sensor's samples, handing the rule state over through
    /// its stored (JSON) form before each sample, say exactly what one engine that saw every
    /// sample says — hysteresis counts, escalation, battery and offline included.
    #[test]
    fn rule_state_handed_between_engines_gives_the_same_signals(
        steps in prop::collection::vec(
            (1i64..90, 0.0f64..40.0, 0.0f64..40.0, any::<bool>(), 0u8..4),
            1..120,
        ),
    ) {
        let mut cfg = SensorConfig::default();
        cfg.water_depth_cm.hysteresis.raise_samples = 3;
        cfg.water_depth_cm.hysteresis.clear_samples = 2;
        let info = SensorInfo::new("易涝点", SensorKind::Waterlogging);
        let mut one = SensorSupervisor::new(cfg.clone());
        one.register("w", info.clone());
        let mut nodes = [SensorSupervisor::new(cfg.clone()), SensorSupervisor::new(cfg)];
        for n in &mut nodes {
            n.register("w", info.clone());
        }
        let mut stored = serde_json::to_string(&SensorRuleState::default()).unwrap();
        let mut now = t(0);
        for (i, (gap_min, depth_cm, battery, tick, node)) in steps.into_iter().enumerate() {
            now = now.plus_minutes(gap_min);
            let n = &mut nodes[i % 2];
            let state: SensorRuleState = serde_json::from_str(&stored).unwrap();
            prop_assert!(n.set_rule_state("w", &state));
            let (a, b) = if tick && node == 0 {
                let later = now.plus_minutes(26 * 60);
                (one.tick(later), n.tick(later))
            } else {
                let s = SensorSample {
                    sensor_id: "w".into(),
                    at: now,
                    values: depth(depth_cm),
                    battery_pct: Some(battery),
                };
                (one.observe(&s), n.observe(&s))
            };
            prop_assert_eq!(a, b);
            let out = n.rule_state("w").unwrap();
            prop_assert_eq!(&out, &one.rule_state("w").unwrap());
            stored = serde_json::to_string(&out).unwrap();
        }
    }
}

#[test]
fn rule_state_of_unregistered_sensors_is_none() {
    let mut e = engine("b", SensorInfo::new("垃圾箱", SensorKind::BinFill));
    assert_eq!(e.rule_state("x"), None);
    assert!(!e.set_rule_state("x", &SensorRuleState::default()));
    e.observe(&at("b", 0, fill(95.0)));
    let s = e.rule_state("b").unwrap();
    assert!(s.main.is_active());
    assert_eq!(s.last_at, Some(t(0)));
    assert_eq!(e.sensor_ids().collect::<Vec<_>>(), ["b"]);
}
