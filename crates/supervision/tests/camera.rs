//! AI-camera event merging, the confidence gate and the type → class table.

use std::collections::HashSet;

use domain::taxonomy::Taxonomy;
use domain::time::Timestamp;
use grid::Point;
use proptest::prelude::*;
use supervision::alarm::{AlarmKey, AlarmLevel, Raise, Signal, SourceKind};
use supervision::camera::*;

fn t(min: i64) -> Timestamp {
    Timestamp::parse_rfc3339("2026-05-10T10:00:00+08:00")
        .unwrap()
        .plus_minutes(min)
}

fn merger() -> CameraMerger {
    let mut m = CameraMerger::new(CameraConfig::default());
    for id in ["cam-1", "cam-2"] {
        m.register(Camera {
            id: id.into(),
            name: format!("人民路与太康路口 {id}"),
            point: Point::new(113.65, 34.76),
            grid_code: Some("410102001001".into()),
            direction_deg: Some(90.0),
        });
    }
    m
}

fn ev(camera: &str, event_type: &str, confidence: f64, at: Timestamp) -> CameraEvent {
    CameraEvent {
        camera_id: camera.into(),
        event_type: event_type.into(),
        confidence,
        at,
        snapshot_ref: Some(format!("snap-{}", at.0)),
    }
}

fn key(camera: &str, class: &str) -> AlarmKey {
    AlarmKey::new(SourceKind::Camera, camera, format!("camera.event:{class}"))
}

fn only_raise(signals: &[Signal]) -> &Raise {
    match signals {
        [Signal::Raise(r)] => r,
        other => panic!("expected one raise, got {other:?}"),
    }
}

#[test]
fn events_of_one_camera_and_type_merge_inside_the_window() {
    let mut m = merger();
    let o = m.observe(&ev("cam-1", "occupy_road_business", 0.9, t(0)));
    assert_eq!(
        o.decision,
        CameraDecision::NewIncident {
            key: key("cam-1", "09006"),
            class_code: "09006".into(),
            auto_case: true,
        }
    );
    let r = only_raise(&o.signals);
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.class_code.as_deref(), Some("09006"));
    assert_eq!(r.at, t(0));
    assert_eq!(r.position, Some(Point::new(113.65, 34.76)));
    assert_eq!(
        r.message,
        "人民路与太康路口 cam-1 识别到占道经营 (置信度 0.90)"
    );
    assert_eq!(r.detail["snapshots"][0], format!("snap-{}", t(0).0));

    // 5 and then 14 minutes: each within 10 minutes of the previous event.
    let o = m.observe(&ev("cam-1", "occupy_road_business", 0.8, t(5)));
    assert_eq!(
        o.decision,
        CameraDecision::Merged {
            key: key("cam-1", "09006"),
            count: 2,
            upgraded: false
        }
    );
    assert!(o.signals.is_empty(), "a merge is not a new alarm");
    let o = m.observe(&ev("cam-1", "occupy_road_business", 0.95, t(14)));
    assert!(matches!(
        o.decision,
        CameraDecision::Merged { count: 3, .. }
    ));

    // The same type on another camera is another incident.
    let o = m.observe(&ev("cam-2", "occupy_road_business", 0.9, t(15)));
    assert!(matches!(o.decision, CameraDecision::NewIncident { .. }));

    // The window closes 10 minutes after the last event (t 24), not before.
    assert!(m.tick(t(24)).is_empty());
    let cleared = m.tick(Timestamp(t(24).0 + 1));
    assert!(matches!(cleared.as_slice(),
        [Signal::Clear(c)] if c.key == key("cam-1", "09006") && c.at == t(24)));
    let inc_gone = m.incident(&key("cam-1", "09006")).is_none();
    assert!(inc_gone);
    // After the close, the next event opens a new incident.
    let o = m.observe(&ev("cam-1", "occupy_road_business", 0.9, t(30)));
    assert!(matches!(o.decision, CameraDecision::NewIncident { .. }));
}

#[test]
fn the_merged_incident_keeps_count_confidence_and_snapshots() {
    let mut m = merger();
    for i in 0..8 {
        m.observe(&ev("cam-1", "exposed_garbage", 0.5 + 0.05 * i as f64, t(i)));
    }
    let inc = m.incident(&key("cam-1", "06010")).unwrap();
    assert_eq!(inc.count, 8);
    assert_eq!(inc.first_at, t(0));
    assert_eq!(inc.last_at, t(7));
    assert!((inc.max_confidence - 0.85).abs() < 1e-9);
    // The first snapshot and the four most recent.
    let want: Vec<String> = [0, 4, 5, 6, 7]
        .iter()
        .map(|i| format!("snap-{}", t(*i).0))
        .collect();
    assert_eq!(inc.snapshots, want);
    let r = m.raise_for(&inc.key.clone()).unwrap();
    assert_eq!(r.detail["count"], 8);
    assert_eq!(r.detail["snapshots"].as_array().unwrap().len(), 5);
}

#[test]
fn a_late_event_after_the_window_closes_the_old_incident_even_without_a_tick() {
    let mut m = merger();
    m.observe(&ev("cam-1", "illegal_parking", 0.9, t(0)));
    let o = m.observe(&ev("cam-1", "illegal_parking", 0.9, t(11)));
    assert!(matches!(o.decision, CameraDecision::NewIncident { .. }));
    match o.signals.as_slice() {
        [Signal::Clear(c), Signal::Raise(r)] => {
            assert_eq!(c.key, key("cam-1", "09009"));
            assert_eq!(c.at, t(10));
            assert_eq!(r.at, t(11));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn confidence_gate_auto_case_confirmation_and_drop() {
    let mut m = merger();
    // Below the auto-case confidence: an operator confirms.
    let o = m.observe(&ev("cam-1", "out_of_store_business", 0.6, t(0)));
    assert!(matches!(
        o.decision,
        CameraDecision::NewIncident {
            auto_case: false,
            ..
        }
    ));
    let r = only_raise(&o.signals);
    assert_eq!(r.level, AlarmLevel::Notice);
    assert_eq!(r.class_code.as_deref(), Some("09005"));
    assert!(r.message.ends_with("待人工确认"), "{}", r.message);
    // A confident detection of the same thing lifts it to a case.
    let o = m.observe(&ev("cam-1", "out_of_store_business", 0.85, t(1)));
    assert_eq!(
        o.decision,
        CameraDecision::Merged {
            key: key("cam-1", "09005"),
            count: 2,
            upgraded: true
        }
    );
    let r = only_raise(&o.signals);
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.at, t(0), "the incident began with the first event");
    assert_eq!(r.detail["auto_case"], true);
    // Lower again: stays a case, no new signal.
    let o = m.observe(&ev("cam-1", "out_of_store_business", 0.5, t(2)));
    assert!(matches!(
        o.decision,
        CameraDecision::Merged {
            upgraded: false,
            count: 3,
            ..
        }
    ));
    assert!(o.signals.is_empty());

    // Below the minimum: dropped, nothing opened.
    let o = m.observe(&ev("cam-2", "exposed_garbage", 0.29, t(0)));
    assert_eq!(
        o.decision,
        CameraDecision::Dropped {
            reason: DropReason::LowConfidence {
                confidence: 0.29,
                min: 0.3
            }
        }
    );
    assert!(o.signals.is_empty());
    assert!(m.incident(&key("cam-2", "06010")).is_none());
    // Exactly the minimum passes.
    let o = m.observe(&ev("cam-2", "exposed_garbage", 0.3, t(0)));
    assert!(matches!(
        o.decision,
        CameraDecision::NewIncident {
            auto_case: false,
            ..
        }
    ));
    // Not a confidence at all.
    for bad in [f64::NAN, 1.5, -0.1] {
        let o = m.observe(&ev("cam-2", "exposed_garbage", bad, t(1)));
        assert_eq!(
            o.decision,
            CameraDecision::Dropped {
                reason: DropReason::InvalidConfidence
            }
        );
    }
}

#[test]
fn unknown_type_and_unknown_camera() {
    let mut m = merger();
    let o = m.observe(&ev("cam-1", "ufo_landing", 0.99, t(0)));
    assert_eq!(o.decision, CameraDecision::UnknownType);
    assert!(o.signals.is_empty());
    let o = m.observe(&ev("cam-9", "exposed_garbage", 0.99, t(0)));
    assert_eq!(
        o.decision,
        CameraDecision::Dropped {
            reason: DropReason::UnknownCamera
        }
    );
    assert_eq!(m.incidents().count(), 0);
}

#[test]
fn aliases_and_case_map_to_the_same_class_and_merge() {
    let mut m = merger();
    m.observe(&ev("cam-1", "OCCUPY_ROAD_BUSINESS", 0.9, t(0)));
    let o = m.observe(&ev("cam-1", "占道经营", 0.9, t(1)));
    assert!(matches!(
        o.decision,
        CameraDecision::Merged { count: 2, .. }
    ));
}

#[test]
fn default_event_types_name_real_taxonomy_classes() {
    let tax = Taxonomy::builtin().unwrap();
    let mut seen = HashSet::new();
    for row in default_event_types() {
        let class = tax
            .find_matter(&row.class_code)
            .unwrap_or_else(|| panic!("{} missing", row.class_code));
        assert_eq!(class.name, row.class_name, "{}", row.class_code);
        assert!(!class.is_local_extension);
        assert!(
            seen.insert(row.event_type.clone()),
            "duplicate {}",
            row.event_type
        );
    }
    for (code, name) in [
        (supervision::environment::CLASS_FUME, "油烟污染"),
        (supervision::environment::CLASS_DUST, "工地扬尘"),
        (
            supervision::environment::CLASS_CONSTRUCTION_NOISE,
            "施工扰民",
        ),
    ] {
        assert_eq!(tax.find_matter(code).map(|c| c.name.as_str()), Some(name));
    }
}

#[test]
fn config_defaults_and_partial_config() {
    let cfg: CameraConfig = serde_json::from_str(r#"{"auto_case_confidence": 0.9}"#).unwrap();
    assert_eq!(cfg.auto_case_confidence, 0.9);
    assert_eq!(cfg.merge_window_ms, 600_000);
    assert_eq!(cfg.min_confidence, 0.3);
    assert_eq!(cfg.event_types, default_event_types());
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_events_never_panic_and_clears_follow_raises(
        steps in prop::collection::vec(
            (0i64..900_000, 0usize..3, 0usize..4, prop_oneof![Just(f64::NAN), -0.2f64..1.2], any::<bool>()),
            1..200,
        ),
    ) {
        let mut m = merger();
        let cams = ["cam-1", "cam-2", "cam-x"];
        let types = ["occupy_road_business", "占道经营", "exposed_garbage", "nope"];
        let mut now = t(0);
        let mut open: HashSet<AlarmKey> = HashSet::new();
        for (gap_ms, cam, ty, conf, tick) in steps {
            now = Timestamp(now.0 + gap_ms);
            let signals = if tick {
                m.tick(now)
            } else {
                m.observe(&ev(cams[cam], types[ty], conf, now)).signals
            };
            for s in signals {
                match s {
                    Signal::Raise(r) => {
                        // A raise on an open key is only ever the upgrade to Warning.
                        if !open.insert(r.key.clone()) {
                            prop_assert_eq!(r.level, AlarmLevel::Warning);
                        }
                    }
                    Signal::Clear(c) => prop_assert!(open.remove(&c.key), "clear without raise"),
                }
            }
            prop_assert_eq!(open.len(), m.incidents().count());
        }
    }
}

#[test]
fn extreme_timestamps_do_not_panic() {
    let mut m = merger();
    for at in [i64::MIN, -1, 0, i64::MAX, i64::MIN] {
        m.observe(&ev("cam-1", "exposed_garbage", 0.9, Timestamp(at)));
        m.tick(Timestamp(i64::MIN));
        m.tick(Timestamp(i64::MAX));
    }
}
