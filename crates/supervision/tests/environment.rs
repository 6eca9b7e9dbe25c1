//! Fume, dust and noise monitor rules and history aggregates, on scripted series worked by hand.

use std::collections::HashSet;

use domain::time::Timestamp;
use proptest::prelude::*;
use supervision::alarm::{AlarmKey, AlarmLevel, Raise, Signal, SourceKind};
use supervision::environment::*;

const MN: &str = "010000A8900016F000169DC0";

/// 2026-06-01 12:00 Asia/Shanghai plus `min` minutes.
fn t(min: i64) -> Timestamp {
    let base = Timestamp::parse_rfc3339("2026-06-01T12:00:00+08:00").unwrap();
    base.plus_minutes(min)
}

fn local(text: &str) -> Timestamp {
    Timestamp::parse_rfc3339(text).unwrap()
}

fn restaurant() -> Site {
    Site {
        name: "老城餐厅".into(),
        kind: SiteKind::Restaurant {
            size: RestaurantSize::Small,
        },
        position: None,
        grid_code: Some("410102001001".into()),
        particulate_unit: ParticulateUnit::UgM3,
    }
}

fn site() -> Site {
    Site {
        name: "中原区某项目工地".into(),
        kind: SiteKind::ConstructionSite,
        position: None,
        grid_code: None,
        particulate_unit: ParticulateUnit::UgM3,
    }
}

fn engine(site: Site) -> EnvSupervisor {
    let mut e = EnvSupervisor::new(EnvConfig::default());
    e.register(MN, site);
    e
}

fn sample(at: Timestamp, values: &[(&str, f64, char)], running: &[(&str, i32)]) -> MonitorSample {
    MonitorSample {
        mn: MN.into(),
        at,
        values: values
            .iter()
            .map(|(code, v, flag)| FactorValue {
                code: (*code).into(),
                value: Some(*v),
                flag: Some(*flag),
            })
            .collect(),
        running: running.iter().map(|(s, r)| ((*s).into(), *r)).collect(),
    }
}

fn fume(at: Timestamp, v: f64) -> MonitorSample {
    sample(at, &[("a34041", v, 'N')], &[])
}

fn raises(signals: &[Signal]) -> Vec<&Raise> {
    signals
        .iter()
        .filter_map(|s| match s {
            Signal::Raise(r) => Some(r),
            Signal::Clear(_) => None,
        })
        .collect()
}

fn key(rule: &str) -> AlarmKey {
    AlarmKey::new(SourceKind::Monitor, MN, rule)
}

/// Feeds minute samples of one fume value and returns every signal.
fn feed_fume(e: &mut EnvSupervisor, minutes: std::ops::RangeInclusive<i64>, v: f64) -> Vec<Signal> {
    minutes.flat_map(|m| e.observe(&fume(t(m), v))).collect()
}

#[test]
fn nine_minutes_over_the_limit_do_not_raise_ten_do() {
    let mut e = engine(restaurant());
    assert!(feed_fume(&mut e, 0..=8, 3.2).is_empty());
    let out = e.observe(&fume(t(9), 3.2));
    let [Signal::Raise(r)] = out.as_slice() else {
        panic!("expected one raise, got {out:?}");
    };
    assert_eq!(r.key, key("fume.exceedance"));
    assert_eq!(r.at, t(0), "the breach began with the first sample");
    assert_eq!(r.level, AlarmLevel::Warning);
    assert_eq!(r.class_code.as_deref(), Some("06027"));
    assert_eq!(
        r.message,
        "老城餐厅 油烟浓度 3.2 mg/m³ 持续 10 分钟超标 (限值 2.0)"
    );
    assert_eq!(r.detail["limit_mg_m3"], 2.0);
    assert_eq!(r.detail["unit"], "mg/m³");
    let series = r.detail["series"].as_array().unwrap();
    assert_eq!(series.len(), 10);
    assert_eq!(series[0]["t"], t(0).0);
    assert_eq!(series[9]["mg_m3"], 3.2);
    // Still over: no repeat.
    assert!(e.observe(&fume(t(10), 3.2)).is_empty());
}

#[test]
fn a_value_at_the_limit_is_not_an_exceedance() {
    let mut e = engine(restaurant());
    assert!(feed_fume(&mut e, 0..=30, 2.0).is_empty());
}

#[test]
fn a_faulty_sample_neither_counts_nor_resets() {
    let mut e = engine(restaurant());
    let mut out = feed_fume(&mut e, 0..=4, 3.0);
    out.extend(e.observe(&sample(t(5), &[("a34041", 9.9, 'D')], &[])));
    out.extend(feed_fume(&mut e, 6..=9, 3.0));
    // 5 + 4 valid minutes so far.
    assert!(out.is_empty(), "{out:?}");
    let out = e.observe(&fume(t(10), 3.0));
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].at, t(0), "the run survived the faulty sample");
    assert_eq!(r[0].detail["sustained_min"], 10);
    // The faulty 9.9 is not evidence.
    let series = r[0].detail["series"].as_array().unwrap();
    assert_eq!(series.len(), 10);
    assert!(series.iter().all(|p| p["mg_m3"] == 3.0));
}

#[test]
fn a_maintenance_sample_below_the_limit_does_not_reset_either() {
    let mut e = engine(restaurant());
    let mut out = feed_fume(&mut e, 0..=4, 3.0);
    out.extend(e.observe(&sample(t(5), &[("a34041", 0.1, 'M')], &[])));
    out.extend(feed_fume(&mut e, 6..=10, 3.0));
    assert_eq!(raises(&out).len(), 1);
    assert_eq!(raises(&out)[0].at, t(0));
}

#[test]
fn a_gap_longer_than_the_sample_interval_restarts_the_run() {
    let mut e = engine(restaurant());
    let mut out = feed_fume(&mut e, 0..=4, 3.0);
    // Silence from minute 4 to 7: the run restarts at 7.
    out.extend(feed_fume(&mut e, 7..=15, 3.0));
    assert!(out.is_empty(), "9 minutes since the restart: {out:?}");
    let out = e.observe(&fume(t(16), 3.0));
    assert_eq!(raises(&out).len(), 1);
    assert_eq!(raises(&out)[0].at, t(7));
}

#[test]
fn faster_samples_count_their_real_spacing() {
    // Real-time data every 30 s: 20 samples cover 10 minutes.
    let mut e = engine(restaurant());
    let half = |i: i64| Timestamp(t(0).0 + i * 30_000);
    let mut out = Vec::new();
    for i in 0..19 {
        out.extend(e.observe(&fume(half(i), 3.0)));
    }
    // First sample counts a full interval (60 s), then 18 × 30 s = 9.0 + 1.0 = 10 min.
    assert_eq!(raises(&out).len(), 1);
    assert_eq!(raises(&out)[0].at, half(0));
}

#[test]
fn clears_only_below_the_band_after_the_clear_minutes() {
    let mut e = engine(restaurant());
    assert_eq!(raises(&feed_fume(&mut e, 0..=9, 3.0)).len(), 1);
    // 1.9 is under the limit but above 90 % of it (1.8): stays raised.
    assert!(feed_fume(&mut e, 10..=29, 1.9).is_empty());
    // 1.7 is below the band; 4 minutes are not enough, and 1.9 breaks the clear run.
    assert!(feed_fume(&mut e, 30..=33, 1.7).is_empty());
    assert!(feed_fume(&mut e, 34..=34, 1.9).is_empty());
    assert!(feed_fume(&mut e, 35..=38, 1.7).is_empty());
    let out = e.observe(&fume(t(39), 1.7));
    let [Signal::Clear(c)] = out.as_slice() else {
        panic!("expected a clear, got {out:?}");
    };
    assert_eq!(c.key, key("fume.exceedance"));
    assert_eq!(c.at, t(35));
    // Over again: a fresh 10-minute run is needed.
    assert!(feed_fume(&mut e, 40..=48, 3.0).is_empty());
    assert_eq!(raises(&feed_fume(&mut e, 49..=49, 3.0)).len(), 1);
}

#[test]
fn the_limit_follows_the_size_class() {
    let mut cfg = EnvConfig::default();
    cfg.fume.limit_mg_m3.large = 1.0;
    let mut e = EnvSupervisor::new(cfg);
    let mut large = restaurant();
    large.kind = SiteKind::Restaurant {
        size: RestaurantSize::Large,
    };
    e.register(MN, large);
    let out = feed_fume(&mut e, 0..=9, 1.5);
    assert_eq!(raises(&out).len(), 1);
    assert!(raises(&out)[0].message.ends_with("(限值 1.0)"));
}

#[test]
fn purifier_off_while_the_fan_runs_raises_both_off_does_not() {
    let mut e = engine(restaurant());
    let status = |m: i64, fan: i32, purifier: i32| {
        sample(
            t(m),
            &[("a34041", 0.5, 'N')],
            &[("SB1", fan), ("SB2", purifier)],
        )
    };
    // Both off through the night: nothing.
    for m in 0..=20 {
        assert!(e.observe(&status(m, 0, 0)).is_empty());
    }
    // Fan on, purifier off from minute 21; raises after 5 minutes.
    let mut out = Vec::new();
    for m in 21..=25 {
        out.extend(e.observe(&status(m, 1, 0)));
    }
    assert!(out.is_empty(), "{out:?}");
    let out = e.observe(&status(26, 1, 0));
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, key("fume.purifier_off"));
    assert_eq!(r[0].at, t(21));
    assert_eq!(r[0].class_code.as_deref(), Some("06027"));
    assert_eq!(
        r[0].message,
        "老城餐厅 风机运行但油烟净化器未开启 持续 5 分钟"
    );
    // Purifier on: clears at once.
    let out = e.observe(&status(27, 1, 1));
    assert!(matches!(out.as_slice(), [Signal::Clear(c)] if c.at == t(27)));
}

#[test]
fn a_vendor_status_factor_works_like_sb_rs_and_missing_purifier_status_says_nothing() {
    let mut e = engine(restaurant());
    // Fan on, purifier not reported: no judgement.
    for m in 0..=10 {
        assert!(e.observe(&sample(t(m), &[], &[("SB1", 1)])).is_empty());
    }
    // Vendor codes a01018 (fan) / a01022 (purifier) as 1/0 values.
    let mut out = Vec::new();
    for m in 11..=16 {
        out.extend(e.observe(&sample(
            t(m),
            &[("a01018", 1.0, 'N'), ("a01022", 0.0, 'N')],
            &[],
        )));
    }
    assert_eq!(raises(&out).len(), 1);
    assert_eq!(raises(&out)[0].at, t(11));
}

#[test]
fn offline_after_the_configured_silence_once_and_cleared_by_the_next_sample() {
    let mut e = engine(restaurant());
    assert!(e.tick(t(100)).is_empty(), "never seen: not judged");
    e.observe(&fume(t(0), 0.5));
    assert!(
        e.tick(t(30)).is_empty(),
        "exactly 30 minutes is not yet offline"
    );
    let out = e.tick(Timestamp(t(30).0 + 1));
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, key("env.offline"));
    assert_eq!(r[0].at, t(30));
    assert_eq!(r[0].class_code, None);
    assert!(e.tick(t(90)).is_empty(), "raised once");
    let out = e.observe(&fume(t(95), 0.5));
    assert!(
        matches!(out.as_slice(), [Signal::Clear(c)] if c.key == key("env.offline") && c.at == t(95))
    );
}

#[test]
fn three_fault_flagged_samples_raise_faulty_and_a_normal_one_clears() {
    let mut e = engine(restaurant());
    assert!(
        e.observe(&sample(t(0), &[("a34041", 1.0, 'D')], &[]))
            .is_empty()
    );
    assert!(
        e.observe(&sample(t(1), &[("a34041", 1.0, 'D')], &[]))
            .is_empty()
    );
    let out = e.observe(&sample(t(2), &[("a34041", 1.0, 'B')], &[]));
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, key("env.faulty"));
    assert_eq!(r[0].at, t(0));
    assert_eq!(r[0].level, AlarmLevel::Notice);
    // Maintenance (M) is invalid data but not a fault: it clears the fault alarm.
    let out = e.observe(&sample(t(3), &[("a34041", 1.0, 'M')], &[]));
    assert!(matches!(out.as_slice(), [Signal::Clear(c)] if c.key == key("env.faulty")));
}

#[test]
fn night_noise_limit_at_22_30_day_limit_at_21_30() {
    let noise_run = |end: Timestamp, db: &dyn Fn(i64) -> f64| {
        let mut e = engine(site());
        let mut out = Vec::new();
        // 15 minute samples ending at `end` (75 % of the 20-minute window).
        for i in 0..15 {
            let at = end.plus_minutes(i - 14);
            out.extend(e.observe(&sample(at, &[("LA", db(i), 'N')], &[])));
        }
        out
    };
    // 60 dB(A) by day (limit 70): nothing.
    assert!(noise_run(local("2026-06-01T21:30:00+08:00"), &|_| 60.0).is_empty());
    // 72 dB(A) by day: raised against 70.
    let out = noise_run(local("2026-06-01T21:30:00+08:00"), &|_| 72.0);
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(
        r[0].message,
        "中原区某项目工地 昼间施工噪声 Leq 72.0 dB(A) 超标 (限值 70)"
    );
    assert_eq!(r[0].class_code.as_deref(), Some("08001"));
    // Alternating 50/60 dB(A) at night: arithmetic mean 54.67 would pass 55, but
    // Leq = 10·log10((8·10^5 + 7·10^6) / 15) = 10·log10(520 000) = 57.160 does not.
    let out = noise_run(local("2026-06-01T22:30:00+08:00"), &|i| {
        if i.rem_euclid(2) == 0 { 50.0 } else { 60.0 }
    });
    let r = raises(&out);
    assert_eq!(r.len(), 1, "{out:?}");
    assert_eq!(r[0].key, key("noise.exceedance"));
    assert_eq!(r[0].at, local("2026-06-01T22:30:00+08:00"));
    let leq = r[0].detail["leq_db"].as_f64().unwrap();
    assert!((leq - 57.160).abs() < 0.001, "{leq}");
    assert_eq!(r[0].detail["limit_db"], 55.0);
    assert_eq!(r[0].detail["night"], true);
}

#[test]
fn night_runs_from_22_00_to_06_00_shanghai() {
    let n = NoiseConfig::default();
    assert!(!n.is_night(local("2026-06-01T21:59:59+08:00")));
    assert!(n.is_night(local("2026-06-01T22:00:00+08:00")));
    assert!(n.is_night(local("2026-06-02T05:59:59+08:00")));
    assert!(!n.is_night(local("2026-06-02T06:00:00+08:00")));
    // 14:30 UTC is 22:30 in Shanghai.
    assert_eq!(n.limit_at(local("2026-06-01T14:30:00Z")), 55.0);
}

#[test]
fn pm10_hourly_mean_needs_three_quarters_of_the_hour() {
    let mut e = engine(site());
    let mut out = Vec::new();
    for m in 0..44 {
        out.extend(e.observe(&sample(t(m), &[("a34002", 200.0, 'N')], &[])));
    }
    assert!(out.is_empty(), "44 of 60 minutes: not judged yet");
    let out = e.observe(&sample(t(44), &[("a34002", 200.0, 'N')], &[]));
    let r = raises(&out);
    assert_eq!(r.len(), 1);
    assert_eq!(r[0].key, key("dust.pm10"));
    assert_eq!(r[0].class_code.as_deref(), Some("08004"));
    assert_eq!(r[0].detail["mean_ug_m3"], 200.0);
    assert_eq!(
        r[0].message,
        "中原区某项目工地 PM10 60 分钟均值 200 µg/m³ 超标 (限值 150)"
    );
}

#[test]
fn dust_in_mg_m3_is_converted_and_clears_below_the_band() {
    let mut e = engine(Site {
        particulate_unit: ParticulateUnit::MgM3,
        ..site()
    });
    let pm10 = |m: i64, v: f64| sample(t(m), &[("a34002", v, 'N')], &[]);
    let mut out = Vec::new();
    for m in 0..60 {
        out.extend(e.observe(&pm10(m, 0.2)));
    }
    assert_eq!(raises(&out).len(), 1);
    // From minute 60 the values drop to 0.09 mg/m³ = 90 µg/m³. The 60-minute mean after k such
    // minutes is (200·(60−k) + 90·k)/60; it falls below 135 (90 % of 150) when k > 35.45.
    let mut cleared_at = None;
    for m in 60..120 {
        for s in e.observe(&pm10(m, 0.09)) {
            if let Signal::Clear(c) = s {
                assert_eq!(cleared_at, None, "cleared once");
                cleared_at = Some(c.at);
            }
        }
    }
    // k = 35 at minute 94: mean 135.8, still raised; k = 36 at minute 95: mean 134.0.
    assert_eq!(cleared_at, Some(t(95)));
}

#[test]
fn unknown_monitors_and_stale_samples_are_ignored() {
    let mut e = engine(restaurant());
    let mut other = fume(t(0), 9.0);
    other.mn = "UNKNOWN".into();
    for _ in 0..20 {
        assert!(e.observe(&other).is_empty());
    }
    feed_fume(&mut e, 0..=5, 3.0);
    // A duplicate of minute 5 and late history do not advance the run.
    for _ in 0..10 {
        assert!(e.observe(&fume(t(5), 3.0)).is_empty());
        assert!(e.observe(&fume(t(1), 3.0)).is_empty());
    }
    // They added no time: minutes 0–8 are 9 minutes, minute 9 the tenth.
    assert!(feed_fume(&mut e, 6..=8, 3.0).is_empty());
    assert_eq!(raises(&feed_fume(&mut e, 9..=9, 3.0)).len(), 1);
}

#[test]
fn config_defaults_and_partial_config() {
    let cfg: EnvConfig = serde_json::from_str(r#"{"fume":{"sustain_minutes":15}}"#).unwrap();
    assert_eq!(cfg.fume.sustain_minutes, 15);
    assert_eq!(cfg.fume.limit_mg_m3.small, 2.0);
    assert_eq!(cfg.fume.min_removal_efficiency_pct.large, 85.0);
    assert_eq!(cfg.noise.night_limit_db, 55.0);
    assert_eq!(cfg.dust.pm10.limit, Some(150.0));
    assert!(cfg.is_valid_flag(Some('N')));
    assert!(cfg.is_valid_flag(Some('T')));
    assert!(cfg.is_valid_flag(None));
    for f in ['F', 'M', 'S', 'D', 'C', 'B'] {
        assert!(!cfg.is_valid_flag(Some(f)), "{f}");
    }
    let back: EnvConfig = serde_json::from_str(&serde_json::to_string(&cfg).unwrap()).unwrap();
    assert_eq!(back, cfg);
}

#[test]
fn aggregates_per_hour_and_shanghai_day() {
    let mut agg = Aggregator::new();
    let cfg = EnvConfig::default();
    let s = |text: &str, v: f64, flag: char| MonitorSample {
        mn: MN.into(),
        at: local(text),
        values: vec![FactorValue {
            code: "a34041".into(),
            value: Some(v),
            flag: Some(flag),
        }],
        running: vec![],
    };
    let samples = [
        s("2026-06-01T23:58:10+08:00", 1.0, 'N'),
        s("2026-06-01T23:58:50+08:00", 3.0, 'N'),
        s("2026-06-02T00:00:00+08:00", 2.0, 'N'),
        s("2026-06-02T00:01:00+08:00", 6.0, 'T'),
        s("2026-06-02T00:02:00+08:00", 100.0, 'D'),
    ];
    for x in &samples {
        agg.add_sample(x, &cfg);
    }
    let get = |r: Resolution, text: &str| *agg.get(MN, "a34041", r, local(text)).unwrap();
    let minute = get(Resolution::Minute, "2026-06-01T23:58:30+08:00");
    assert_eq!(
        (minute.count, minute.min, minute.avg(), minute.max),
        (2, 1.0, 2.0, 3.0)
    );
    let late_hour = get(Resolution::Hour, "2026-06-01T23:10:00+08:00");
    assert_eq!(
        (
            late_hour.count,
            late_hour.min,
            late_hour.avg(),
            late_hour.max
        ),
        (2, 1.0, 2.0, 3.0)
    );
    let first_hour = get(Resolution::Hour, "2026-06-02T00:59:00+08:00");
    assert_eq!(
        (
            first_hour.count,
            first_hour.min,
            first_hour.avg(),
            first_hour.max
        ),
        (2, 2.0, 4.0, 6.0)
    );
    // The day boundary is Shanghai midnight (16:00 UTC), not UTC midnight.
    let day1 = get(Resolution::Day, "2026-06-01T08:00:00+08:00");
    assert_eq!((day1.count, day1.avg()), (2, 2.0));
    let day2 = get(Resolution::Day, "2026-06-02T23:59:59+08:00");
    assert_eq!((day2.count, day2.min, day2.max), (2, 2.0, 6.0));
    assert_eq!(
        Resolution::Day.bucket_start(local("2026-06-02T07:00:00+08:00")),
        local("2026-06-01T16:00:00Z")
    );
    let days = agg.series(MN, "a34041", Resolution::Day);
    assert_eq!(days.len(), 2);
    assert_eq!(days[1].0, local("2026-06-02T00:00:00+08:00"));

    // Two partial aggregates merge into the whole.
    let mut a = Aggregator::new();
    let mut b = Aggregator::new();
    for (i, x) in samples.iter().enumerate() {
        if i.is_multiple_of(2) {
            a.add_sample(x, &cfg)
        } else {
            b.add_sample(x, &cfg)
        }
    }
    a.merge(&b);
    assert_eq!(a, agg);
    // And survive JSON.
    let back: Aggregator = serde_json::from_str(&serde_json::to_string(&agg).unwrap()).unwrap();
    assert_eq!(back, agg);

    agg.prune_before(Resolution::Minute, local("2026-06-02T00:00:00+08:00"));
    assert_eq!(agg.series(MN, "a34041", Resolution::Minute).len(), 2);
    assert_eq!(agg.series(MN, "a34041", Resolution::Day).len(), 2);
}

fn arb_sample() -> impl Strategy<Value = (i64, f64, char, i32, i32, u8)> {
    (
        0i64..180_000,
        prop_oneof![Just(f64::NAN), -1.0f64..400.0],
        prop::sample::select(vec!['N', 'N', 'N', 'T', 'D', 'M', 'F', 'B', 'X']),
        0i32..6,
        0i32..6,
        0u8..4,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_series_never_panic_and_clears_follow_raises(
        steps in prop::collection::vec(arb_sample(), 1..300),
        small_unit in any::<bool>(),
    ) {
        for kind in [restaurant(), site()] {
            let mut e = engine(Site {
                particulate_unit: if small_unit { ParticulateUnit::MgM3 } else { ParticulateUnit::UgM3 },
                ..kind
            });
            let mut now = t(0);
            let mut open: HashSet<AlarmKey> = HashSet::new();
            for (gap_ms, v, flag, fan, purifier, what) in &steps {
                now = Timestamp(now.0 + gap_ms);
                let signals = if *what == 0 {
                    e.tick(now.plus_minutes(40))
                } else {
                    let codes = ["a34041", "a34002", "a34001", "LA"];
                    let values = codes
                        .iter()
                        .map(|c| FactorValue { code: (*c).into(), value: Some(*v), flag: Some(*flag) })
                        .collect();
                    e.observe(&MonitorSample {
                        mn: MN.into(),
                        at: now,
                        values,
                        running: vec![("SB1".into(), *fan), ("SB2".into(), *purifier)],
                    })
                };
                for s in signals {
                    match s {
                        Signal::Raise(r) => {
                            prop_assert!(open.insert(r.key.clone()), "raised twice: {:?}", r.key);
                            prop_assert!(r.at <= now.plus_minutes(40));
                        }
                        Signal::Clear(c) => {
                            prop_assert!(open.remove(&c.key), "clear without raise: {:?}", c.key);
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn extreme_timestamps_do_not_panic() {
    for kind in [restaurant(), site()] {
        let mut e = engine(kind);
        let mut agg = Aggregator::new();
        for at in [
            i64::MIN,
            i64::MIN + 1,
            -1,
            0,
            60_000,
            i64::MAX - 1,
            i64::MAX,
        ] {
            let s = sample(
                Timestamp(at),
                &[
                    ("a34041", 9.0, 'D'),
                    ("a34002", 900.0, 'N'),
                    ("LA", 99.0, 'N'),
                ],
                &[("SB1", 1), ("SB2", 0)],
            );
            e.observe(&s);
            agg.add_sample(&s, &EnvConfig::default());
            e.tick(Timestamp(at));
        }
        e.tick(Timestamp(i64::MIN));
        e.tick(Timestamp(i64::MAX));
        // The two ends of the range and 1970-01-01 (Shanghai): three day buckets.
        assert_eq!(agg.series(MN, "a34002", Resolution::Day).len(), 3);
    }
}

#[test]
fn a_sample_is_built_from_hj212_factor_fields() {
    let f = |pairs: &[(&str, &str)]| -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(a, b)| ((*a).into(), (*b).into()))
            .collect()
    };
    // CP of a 2011 upload: a34041-Rtd=3.20,a34041-Flag=N;a34000-Rtd=x;SB1-RS=1;SB2-RS=0
    // and of a 2051 upload's minute average for NMHC.
    let factors = [
        (
            "a34041",
            f(&[("Rtd", "3.20"), ("Flag", "N"), ("Rtd", "9.99")]),
        ),
        ("a34000", f(&[("Rtd", "x"), ("Flag", "D")])),
        (
            "a24088",
            f(&[("Min", "1.0"), ("Avg", "2.5"), ("Max", "4.0")]),
        ),
        ("SB1", f(&[("RS", "1")])),
        ("SB2", f(&[("RS", "0")])),
        ("i12001", f(&[("Info", "0")])),
    ];
    let s = MonitorSample::from_hj212(MN, t(0), factors.iter().map(|(c, v)| (*c, v)));
    assert_eq!(s.mn, MN);
    assert_eq!(s.at, t(0));
    assert_eq!(
        s.values,
        vec![
            FactorValue {
                code: "a34041".into(),
                value: Some(3.2),
                flag: Some('N')
            },
            FactorValue {
                code: "a34000".into(),
                value: None,
                flag: Some('D')
            },
            FactorValue {
                code: "a24088".into(),
                value: Some(2.5),
                flag: None
            },
        ]
    );
    assert_eq!(
        s.running,
        vec![("SB1".to_owned(), 1), ("SB2".to_owned(), 0)]
    );
}
