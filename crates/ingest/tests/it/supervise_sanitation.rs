//! Garbage trucks and sweepers on the way in, over the real store: a kitchen-waste truck visits
//! its point, then collects at an other-waste point (前分后混: one alarm in class 06041 however
//! often it repeats), a kitchen point left unvisited at 10:00 raises its missed alarm on the
//! point once (and not again from a node that replayed the day), the late visit clears it, and a
//! sweeper driving at 35 km/h raises nothing (transit) while one sweeping and then speeding up to
//! 25 km/h on a street raises its working-speed alarm (the working state inferred over the
//! stored roads). A truck's collection route makes its points due by the route's finish time and
//! raises the route-missed alarm for the point its truck did not collect.

use std::sync::Arc;

use domain::time::Timestamp;
use ingest::Sink;
use ingest::record::{Record, VehicleFix};
use ingest::store_bridge::{Locate, StoreRegistry, StoreSink};
use ingest::supervise::{Supervisors, persist, raised_keys};
use store::{AlarmFilter, CollectionPoint, ConnectOptions, NewVehicle, Store};
use supervision::environment::EnvConfig;
use supervision::muck::MuckConfig;
use supervision::sweeping::LocalDay;

use crate::support::NOW_MS;

const TRUCK: &str = "13800000101";
const SWEEPER: &str = "13800000102";
const GRID: &str = "410102001001001";
const LAT: f64 = 34.75;
/// Three points along lat 34.75, ≈ 900 m apart.
const K1: f64 = 113.600;
const O1: f64 = 113.610;
const K2: f64 = 113.620;
/// JT/T 808 status: located (bit 1).
const LOCATED: u32 = 1 << 1;

/// 08:00 Asia/Shanghai on the day of `NOW_MS`.
fn t0() -> i64 {
    LocalDay::of(Timestamp(NOW_MS)).start().0 + 8 * 3_600_000
}

fn fix(phone: &str, at_ms: i64, lon: f64, speed_kmh: f64) -> Record {
    Record::Fix(VehicleFix {
        phone: phone.into(),
        received_at: at_ms,
        device_time: Some(at_ms),
        latitude: LAT,
        longitude: lon,
        speed_kmh,
        heading: 90,
        altitude_m: 100,
        alarm: 0,
        status: LOCATED,
        mileage_m: None,
        backfill: false,
        extra: Vec::new(),
    })
}

/// Drives up, stands 90 s at `lon` (a fix every 30 s), drives off: one batch.
fn stop_at(at_ms: i64, lon: f64) -> Vec<Record> {
    let mut b = vec![fix(TRUCK, at_ms, lon - 0.002, 30.0)];
    b.extend((1..=4).map(|i| fix(TRUCK, at_ms + i * 30_000, lon, 0.0)));
    b.push(fix(TRUCK, at_ms + 150_000, lon + 0.002, 30.0));
    b
}

async fn alarms(store: &Store, rule: &str, states: &[&str]) -> Vec<store::Alarm> {
    store
        .list_alarms(&AlarmFilter {
            states: states.iter().map(|s| (*s).to_owned()).collect(),
            rule: Some(rule.into()),
            limit: 100,
            ..AlarmFilter::default()
        })
        .await
        .expect("alarms")
        .items
}

#[tokio::test]
async fn garbage_and_sweeper_fixes_raise_collection_and_speed_alarms() {
    let store = Store::open(&ConnectOptions::new("sqlite::memory:"))
        .await
        .expect("store");
    let now = Timestamp(NOW_MS);
    for (plate, kind, company, phone) in [
        (
            "豫A·G0101",
            "garbage_truck",
            "中原区环卫中心（厨余）",
            TRUCK,
        ),
        ("豫A·S0102", "sweeper", "中原区环卫中心", SWEEPER),
    ] {
        store
            .create_vehicle(
                &NewVehicle {
                    plate: plate.into(),
                    kind: kind.into(),
                    company: Some(company.into()),
                    phone: Some(phone.into()),
                },
                now,
            )
            .await
            .expect("vehicle");
    }
    seed_points(&store).await;
    // The street the sweeper sweeps (a secondary road: one pass a day).
    store
        .import_roads(
            &[grid::Road {
                id: "R-LAT".into(),
                name: "建设路".into(),
                class: grid::RoadClass::Secondary,
                chief: None,
                line: grid::Polyline(vec![
                    grid::Point::new(113.59, LAT),
                    grid::Point::new(113.70, LAT),
                ]),
            }],
            now,
        )
        .await
        .expect("roads");
    let registry = StoreRegistry::new(store.clone(), Arc::new(move || now));
    registry.refresh().await.expect("directory");
    let locate: Locate = Arc::new(|_, _| Some(GRID.to_owned()));
    let supervisors = Supervisors::new(locate.clone(), MuckConfig::default(), EnvConfig::default());
    let (loaded, _) = supervisors.load(&store).await.expect("load");
    assert_eq!(
        (
            loaded.garbage_trucks,
            loaded.collection_points,
            loaded.sweepers
        ),
        (1, 3, 1)
    );
    let t0 = t0();
    assert_eq!(
        supervisors
            .replay_garbage_day(&store, Timestamp(t0))
            .await
            .expect("replay"),
        0
    );
    let sink = StoreSink::new(store.clone(), registry.clone(), locate.clone())
        .with_supervision(supervisors.clone(), None);

    // 08:00 its own point: a visit, no alarm. 08:10 an other-waste point: 前分后混. 08:20 the
    // same point again: the same open alarm, repeated.
    sink.write(&stop_at(t0, K1)).await.expect("write");
    assert!(alarms(&store, "garbage.", &[]).await.is_empty());
    sink.write(&stop_at(t0 + 600_000, O1)).await.expect("write");
    sink.write(&stop_at(t0 + 1_200_000, O1))
        .await
        .expect("write");
    let mixed = alarms(&store, "garbage.mixed", &[]).await;
    assert_eq!(mixed.len(), 1, "{mixed:?}");
    let m = &mixed[0];
    assert_eq!(
        (
            m.source_kind.as_str(),
            m.source_id.as_str(),
            m.state.as_str()
        ),
        ("vehicle", TRUCK, "raised")
    );
    assert_eq!(m.class_code.as_deref(), Some("06041"));
    assert_eq!(m.level, "warning");
    assert_eq!(m.grid_code.as_deref(), Some(GRID));
    assert!(m.message.contains("豫A·G0101"), "{}", m.message);
    assert_eq!(m.detail["point_id"], "O1");

    // 09:59 nothing is due yet; at 10:00 K2 (kitchen, unvisited) is missed, on the point.
    let due = t0 + 2 * 3_600_000;
    assert!(raised_keys(&supervisors.tick(Timestamp(due - 60_000))).is_empty());
    let writes = supervisors.tick(Timestamp(due));
    assert_eq!(
        raised_keys(&writes),
        ["collection_point|K2|garbage.missed"],
        "K1 was visited; O1 (other waste) is due at 24:00"
    );
    persist(&store, &supervisors, None, writes).await;
    assert!(
        supervisors.tick(Timestamp(due + 30_000)).is_empty(),
        "once a day"
    );
    let missed = alarms(&store, "garbage.missed", &["raised"]).await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].source_kind, "collection_point");
    assert_eq!(missed[0].source_id, "K2");
    assert_eq!(missed[0].class_code, None, "a notice, no case");

    // A node starting now replays the day: K1's visit counts, the mixed stop raises nothing
    // again, and K2 is judged missed once (the open alarm only repeats).
    let fresh = Supervisors::new(locate.clone(), MuckConfig::default(), EnvConfig::default());
    fresh.load(&store).await.expect("load");
    assert_eq!(
        fresh
            .replay_garbage_day(&store, Timestamp(due))
            .await
            .expect("replay"),
        18
    );
    let writes = fresh.tick(Timestamp(due));
    assert_eq!(raised_keys(&writes), ["collection_point|K2|garbage.missed"]);
    persist(&store, &fresh, None, writes).await;
    assert_eq!(alarms(&store, "garbage.", &["raised"]).await.len(), 2);

    // 10:30 the late visit clears the missed alarm.
    sink.write(&stop_at(due + 1_800_000, K2))
        .await
        .expect("write");
    let missed = alarms(&store, "garbage.missed", &[]).await;
    assert_eq!(missed.len(), 1);
    assert_eq!(missed[0].state, "cleared", "{missed:?}");

    // A sweeper driving along the street at 35 km/h for five minutes (transit to the depot):
    // nothing. Then sweeping at 12 km/h for two minutes (working, inferred) and speeding up to
    // 25 km/h for a minute: one working-speed alarm; in band again for two minutes: cleared.
    let s0 = due + 3_600_000;
    let lon = |i: i64| 113.60 + i as f64 * 1e-4;
    let batch: Vec<Record> = (0..15)
        .map(|i| fix(SWEEPER, s0 + i * 20_000, lon(i), 35.0))
        .collect();
    sink.write(&batch).await.expect("write");
    assert!(alarms(&store, "sweeping.overspeed", &[]).await.is_empty());
    let s0 = s0 + 15 * 20_000;
    let batch: Vec<Record> = (0..7)
        .map(|i| fix(SWEEPER, s0 + i * 20_000, lon(i), 12.0))
        .chain((7..11).map(|i| fix(SWEEPER, s0 + i * 20_000, lon(i), 25.0)))
        .collect();
    sink.write(&batch).await.expect("write");
    let fast = alarms(&store, "sweeping.overspeed", &["raised"]).await;
    assert_eq!(fast.len(), 1, "{fast:?}");
    assert_eq!(fast[0].source_id, SWEEPER);
    assert!(fast[0].message.contains("豫A·S0102"), "{}", fast[0].message);
    let batch: Vec<Record> = (11..21)
        .map(|i| fix(SWEEPER, s0 + i * 20_000, lon(i), 12.0))
        .collect();
    sink.write(&batch).await.expect("write");
    assert!(
        alarms(&store, "sweeping.overspeed", &["raised"])
            .await
            .is_empty()
    );
}

/// A collection route R1 over K1 and K2 for the kitchen truck, finishing at 09:00: the truck
/// collects K1 at 08:00 only, so at 09:00 K2 raises `garbage.route_missed:R1` naming the route
/// and the truck, and not the city-wide 10:00 rule; O1 (on no route) keeps the city-wide rule.
#[tokio::test]
async fn a_route_point_its_truck_skipped_raises_the_route_missed_alarm() {
    let store = Store::open(&ConnectOptions::new("sqlite::memory:"))
        .await
        .expect("store");
    let now = Timestamp(NOW_MS);
    let truck = store
        .create_vehicle(
            &NewVehicle {
                plate: "豫A·G0101".into(),
                kind: "garbage_truck".into(),
                company: Some("中原区环卫中心（厨余）".into()),
                phone: Some(TRUCK.into()),
            },
            now,
        )
        .await
        .expect("vehicle");
    seed_points(&store).await;
    store
        .insert_collection_route(&store::CollectionRoute {
            route_id: "R1".into(),
            name: "厨余一号线".into(),
            vehicle_id: truck,
            category: "kitchen".into(),
            points: vec!["K1".into(), "K2".into()],
            days: serde_json::json!({ "kind": "daily" }),
            finish_by: 9 * 60,
            any_truck: false,
            created_at: now,
            updated_at: now,
        })
        .await
        .expect("route");
    let registry = StoreRegistry::new(store.clone(), Arc::new(move || now));
    registry.refresh().await.expect("directory");
    let locate: Locate = Arc::new(|_, _| Some(GRID.to_owned()));
    let supervisors = Supervisors::new(locate.clone(), MuckConfig::default(), EnvConfig::default());
    let (loaded, _) = supervisors.load(&store).await.expect("load");
    assert_eq!(loaded.routes, 1);
    let t0 = t0();
    supervisors
        .replay_garbage_day(&store, Timestamp(t0))
        .await
        .expect("replay");
    let sink = StoreSink::new(store.clone(), registry.clone(), locate.clone())
        .with_supervision(supervisors.clone(), None);
    sink.write(&stop_at(t0, K1)).await.expect("write");
    let finish = t0 + 3_600_000;
    assert!(raised_keys(&supervisors.tick(Timestamp(finish - 60_000))).is_empty());
    let writes = supervisors.tick(Timestamp(finish));
    assert_eq!(
        raised_keys(&writes),
        ["collection_point|K2|garbage.route_missed:R1"]
    );
    persist(&store, &supervisors, None, writes).await;
    let missed = alarms(&store, "garbage.route_missed:R1", &["raised"]).await;
    assert_eq!(missed.len(), 1);
    assert!(
        missed[0].message.contains("厨余一号线"),
        "{}",
        missed[0].message
    );
    assert!(
        missed[0].message.contains("豫A·G0101"),
        "{}",
        missed[0].message
    );
    assert_eq!(missed[0].detail["route_id"], "R1");
    // At 10:00 the city-wide kitchen rule leaves the routed points alone.
    assert!(raised_keys(&supervisors.tick(Timestamp(t0 + 2 * 3_600_000))).is_empty());
    // The route's truck collecting K2 late clears it.
    sink.write(&stop_at(t0 + 3 * 3_600_000, K2))
        .await
        .expect("write");
    assert!(
        alarms(&store, "garbage.route_missed:R1", &["raised"])
            .await
            .is_empty()
    );
}

/// The three collection points both stories use: kitchen K1, other O1, kitchen K2 along one
/// street of the grid.
async fn seed_points(store: &Store) {
    let point = |id: &str, category: &str, lon: f64| CollectionPoint {
        point_id: id.into(),
        name: format!("{id}收集点"),
        category: category.into(),
        lat: LAT,
        lon,
        grid_code: Some(GRID.into()),
    };
    store
        .upsert_collection_points(&[
            point("K1", "kitchen", K1),
            point("O1", "other", O1),
            point("K2", "kitchen", K2),
        ])
        .await
        .expect("points");
}
