//! The gateways over the real store: terminals and monitors known to the database register,
//! authenticate and report over TCP; every acknowledged fix and reading is in the database,
//! geocoded; unknown devices are refused and store nothing.

use std::sync::Arc;

use domain::time::Timestamp;
use ingest::store_bridge::{Locate, StoreRegistry, StoreSink};
use ingest::{Batcher, BatcherConfig, ManualClock};
use jt808::{RegisterResult, ResultCode, Version};
use simulator::hj212_monitor::{Monitor as MonitorAgent, MonitorIdentity, Reading};
use simulator::jt808_terminal::{Fix, Identity, Terminal, TerminalError};
use store::{ConnectOptions, Monitor, NewVehicle, Store};

use crate::support::NOW_MS;

#[tokio::test]
async fn store_backed_gateways_keep_every_acknowledged_report() {
    let store = Store::open(&ConnectOptions::new("sqlite::memory:"))
        .await
        .expect("store");
    let now = Timestamp(NOW_MS);
    let vehicle = store
        .create_vehicle(
            &NewVehicle {
                plate: "豫A·D0001".into(),
                kind: "muck_truck".into(),
                company: None,
                phone: Some("13800000001".into()),
            },
            now,
        )
        .await
        .expect("vehicle");
    store
        .upsert_monitor(
            &Monitor {
                mn: "41010200FUME000000000001".into(),
                password: "123456".into(),
                kind: "fume".into(),
                name: "合记烩面".into(),
                site: None,
                size_class: Some("medium".into()),
                lat: None,
                lon: None,
                grid_code: None,
                last_seen_at: None,
            },
            now,
        )
        .await
        .expect("monitor");
    let registry = StoreRegistry::new(store.clone(), Arc::new(move || now));
    registry.refresh().await.expect("directory");
    // A stand-in city: one grid east of 113.6°E.
    let locate: Locate = Arc::new(|lon, _lat| (lon > 113.6).then(|| "410102001001001".to_owned()));
    let sink = StoreSink::new(store.clone(), registry.clone(), locate);
    let (batcher, _task) = Batcher::spawn(sink, BatcherConfig::default());
    let clock = Arc::new(ManualClock::new(NOW_MS));
    let gw = ingest::jt808::Gateway::bind(
        ingest::jt808::Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..ingest::jt808::Config::default()
        },
        registry.clone(),
        batcher.clone(),
        clock.clone(),
    )
    .await
    .expect("jt808");
    let jt808_addr = gw.local_addr().expect("addr");
    tokio::spawn(gw.run());
    let gw = ingest::hj212::Gateway::bind(
        ingest::hj212::Config {
            listen: "127.0.0.1:0".parse().expect("addr"),
            ..ingest::hj212::Config::default()
        },
        registry.clone(),
        batcher,
        clock,
    )
    .await
    .expect("hj212");
    let hj212_addr = gw.local_addr().expect("addr");
    tokio::spawn(gw.run());

    // A terminal the database does not know is refused at registration.
    let mut stranger = Terminal::connect(jt808_addr, Identity::new("13900000009"), Version::V2013)
        .await
        .expect("connect");
    match stranger.register().await {
        Err(TerminalError::RegisterRefused(RegisterResult::TerminalUnknown)) => {}
        other => panic!("expected refusal, got {other:?}"),
    }

    // A known one registers (the code is stored), authenticates and reports.
    let mut t = Terminal::connect(jt808_addr, Identity::new("13800000001"), Version::V2019)
        .await
        .expect("connect");
    let code = t.register().await.expect("register");
    let stored = store
        .vehicle_by_phone("13800000001")
        .await
        .expect("read")
        .expect("vehicle");
    assert_eq!(stored.auth_code.as_deref(), Some(code.as_str()));
    assert!(stored.registered_at.is_some());
    t.authenticate(&code).await.expect("authenticate");
    let mut fix = Fix::at(34.75, 113.61);
    fix.speed_kmh = 32.0;
    fix.heading = 90;
    fix.time = (2026, 11, 24, 16, 0, 5); // GMT+8
    assert_eq!(t.report(&fix).await.expect("report"), ResultCode::Success);
    let mut outside = Fix::at(34.75, 113.50);
    outside.time = (2026, 11, 24, 16, 0, 10);
    assert_eq!(
        t.report(&outside).await.expect("report"),
        ResultCode::Success
    );
    // Acknowledged means stored: the track holds both, the first in its grid.
    let track = store
        .track(vehicle, Timestamp(0), Timestamp(NOW_MS * 2), 10)
        .await
        .expect("track");
    assert_eq!(track.len(), 2, "{track:?}");
    assert_eq!(track[0].grid_code.as_deref(), Some("410102001001001"));
    assert_eq!(track[1].grid_code, None, "outside the city: no grid");
    assert_eq!(
        track[0].fix_at,
        Timestamp::parse_rfc3339("2026-11-24T16:00:05+08:00").expect("time")
    );
    assert!((track[0].speed_kmh - 32.0).abs() < 0.11);
    let v = store.get_vehicle(vehicle).await.expect("read").expect("v");
    assert_eq!(v.last_lon, Some(113.50), "the last position moved forward");

    // HJ 212: the right password gets its 9014 only after the reading is stored.
    let mut m = MonitorAgent::connect(
        hj212_addr,
        MonitorIdentity::fume("41010200FUME000000000001"),
    )
    .await
    .expect("connect");
    let mut reading = Reading::fume(2.35);
    reading.data_time = "20261124160000".into();
    m.upload(&reading).await.expect("9014");
    let series = store
        .readings(
            "41010200FUME000000000001",
            "a34041",
            Timestamp(0),
            Timestamp(NOW_MS * 2),
            10,
        )
        .await
        .expect("series");
    assert_eq!(series.len(), 1, "{series:?}");
    assert_eq!(series[0].value.as_deref(), Some("2.35"));
    assert_eq!(series[0].flag.as_deref(), Some("N"));
    assert_eq!(
        series[0].data_time,
        Timestamp::parse_rfc3339("2026-11-24T16:00:00+08:00").expect("time")
    );
    // A wrong password stores nothing.
    let wrong = MonitorIdentity {
        pw: "000000".into(),
        ..MonitorIdentity::fume("41010200FUME000000000001")
    };
    let mut intruder = MonitorAgent::connect(hj212_addr, wrong)
        .await
        .expect("connect");
    let _ = intruder.send_reading(&Reading::fume(9.99), true).await;
    // The honest monitor's next upload is answered, so the intruder's packet was handled by then.
    m.upload(&Reading::fume(1.10)).await.expect("9014");
    let series = store
        .readings(
            "41010200FUME000000000001",
            "a34041",
            Timestamp(0),
            Timestamp(i64::MAX / 4),
            10,
        )
        .await
        .expect("series");
    let values: Vec<&str> = series.iter().filter_map(|r| r.value.as_deref()).collect();
    assert!(!values.contains(&"9.99"), "{values:?}");
    assert!(values.contains(&"1.10"), "{values:?}");
}
