//! Garbage trucks and sweepers on the way in, over the real store: a kitchen-waste truck visits
//! its point, then collects at an other-waste point (前分后混: one alarm in class 06041 however
//! often it repeats), a kitchen point left unvisited at 10:00 raises its missed alarm on the
//! point once (and not again from a node that replayed the day), the late visit clears it, and a
//! sweeper sweeping at 30 km/h raises its working-speed alarm.

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

    // A sweeper sweeping at 30 km/h for a minute: one working-speed alarm; in band again for
    // two minutes: cleared.
    let s0 = due + 3_600_000;
    let batch: Vec<Record> = (0..6)
        .map(|i| fix(SWEEPER, s0 + i * 20_000, 113.60 + i as f64 * 1e-4, 30.0))
        .collect();
    sink.write(&batch).await.expect("write");
    let fast = alarms(&store, "sweeping.overspeed", &["raised"]).await;
    assert_eq!(fast.len(), 1, "{fast:?}");
    assert_eq!(fast[0].source_id, SWEEPER);
    assert!(fast[0].message.contains("豫A·S0102"), "{}", fast[0].message);
    let batch: Vec<Record> = (6..16)
        .map(|i| fix(SWEEPER, s0 + i * 20_000, 113.60 + i as f64 * 1e-4, 12.0))
        .collect();
    sink.write(&batch).await.expect("write");
    assert!(
        alarms(&store, "sweeping.overspeed", &["raised"])
            .await
            .is_empty()
    );
}
