//! Supervision on the way in, over the real store: a muck truck without a permit that drives
//! loaded, then speeds, and a restaurant whose fume stays over the limit end as open alarms in
//! the database — located, classed, deduplicated — and the node hears each raise once it is
//! durable; silence raises the monitor's offline alarm at the next tick.

use std::sync::{Arc, Mutex};

use domain::time::Timestamp;
use ingest::Sink;
use ingest::record::{FactorReading, Hj212Reading, Record, VehicleFix};
use ingest::store_bridge::{Locate, StoreRegistry, StoreSink};
use ingest::supervise::{OnAlarms, Supervisors};
use store::{AlarmFilter, ConnectOptions, Monitor, NewVehicle, Store};
use supervision::environment::EnvConfig;
use supervision::muck::MuckConfig;

use crate::support::NOW_MS;

const PHONE: &str = "13800000001";
const MN: &str = "41010200FUME000000000001";
const GRID: &str = "410102001001001";
/// JT/T 808 status: located (bit 1) and fully loaded (bits 8–9 = 11).
const LOADED: u32 = (1 << 1) | (0b11 << 8);

fn fix(at_ms: i64, lon: f64, speed_kmh: f64) -> Record {
    Record::Fix(VehicleFix {
        phone: PHONE.into(),
        received_at: at_ms,
        device_time: Some(at_ms),
        latitude: 34.75,
        longitude: lon,
        speed_kmh,
        heading: 90,
        altitude_m: 100,
        alarm: 0,
        status: LOADED,
        mileage_m: None,
        backfill: false,
        extra: Vec::new(),
    })
}

fn fume(at_ms: i64, mg_m3: f64) -> Record {
    Record::Reading(Hj212Reading {
        mn: MN.into(),
        qn: None,
        st: Some("31".into()),
        cn: 2011,
        data_time: Some(at_ms),
        received_at: at_ms,
        factors: vec![FactorReading {
            code: "a34041".into(),
            fields: vec![
                ("Rtd".into(), format!("{mg_m3:.2}")),
                ("Flag".into(), "N".into()),
            ],
        }],
        params: Vec::new(),
    })
}

async fn open_alarms(store: &Store) -> Vec<store::Alarm> {
    store
        .list_alarms(&AlarmFilter {
            states: vec!["raised".into()],
            limit: 100,
            ..AlarmFilter::default()
        })
        .await
        .expect("alarms")
        .items
}

#[tokio::test]
async fn batches_raise_located_classed_alarms_once_and_silence_raises_offline() {
    let store = Store::open(&ConnectOptions::new("sqlite::memory:"))
        .await
        .expect("store");
    let now = Timestamp(NOW_MS);
    store
        .create_vehicle(
            &NewVehicle {
                plate: "豫A·D0001".into(),
                kind: "muck_truck".into(),
                company: None,
                phone: Some(PHONE.into()),
            },
            now,
        )
        .await
        .expect("vehicle");
    store
        .upsert_monitor(
            &Monitor {
                mn: MN.into(),
                password: "123456".into(),
                kind: "fume".into(),
                name: "合记烩面".into(),
                site: None,
                size_class: Some("medium".into()),
                lat: Some(34.75),
                lon: Some(113.62),
                grid_code: Some(GRID.into()),
                last_seen_at: None,
            },
            now,
        )
        .await
        .expect("monitor");
    let registry = StoreRegistry::new(store.clone(), Arc::new(move || now));
    registry.refresh().await.expect("directory");
    let locate: Locate = Arc::new(|lon, _lat| (lon > 113.6).then(|| GRID.to_owned()));
    let supervisors = Supervisors::new(locate.clone(), MuckConfig::default(), EnvConfig::default());
    let (loaded, writes) = supervisors.load(&store).await.expect("load");
    assert_eq!((loaded.trucks, loaded.permits, loaded.monitors), (1, 0, 1));
    assert!(writes.is_empty());
    let heard: Arc<Mutex<Vec<String>>> = Arc::default();
    let on_alarms: OnAlarms = {
        let heard = heard.clone();
        Arc::new(move |keys| heard.lock().expect("lock").extend(keys))
    };
    let sink = StoreSink::new(store.clone(), registry, locate)
        .with_supervision(supervisors.clone(), Some(on_alarms));

    // Four minutes loaded at 30 km/h with no permit, a fix every 20 s, one batch a minute.
    let mut t = NOW_MS;
    for _ in 0..4 {
        let batch: Vec<Record> = (0..3)
            .map(|i| fix(t + i * 20_000, 113.61 + (t - NOW_MS) as f64 * 1e-8, 30.0))
            .collect();
        sink.write(&batch).await.expect("write");
        t += 60_000;
    }
    let open = open_alarms(&store).await;
    let no_permit: Vec<_> = open.iter().filter(|a| a.rule == "muck.no_permit").collect();
    assert_eq!(no_permit.len(), 1, "{open:?}");
    let a = no_permit[0];
    assert_eq!(a.source_kind, "vehicle");
    assert_eq!(a.source_id, PHONE);
    assert_eq!(a.class_code.as_deref(), Some("08901"));
    assert_eq!(a.grid_code.as_deref(), Some(GRID));
    assert!(a.lat.is_some() && a.lon.is_some());
    // The fixes were stored too.
    assert_eq!(
        store
            .track(
                store
                    .vehicle_by_phone(PHONE)
                    .await
                    .expect("read")
                    .expect("v")
                    .id,
                Timestamp(NOW_MS - 1),
                Timestamp(t),
                1000,
            )
            .await
            .expect("track")
            .len(),
        12
    );

    // A minute at 80 km/h: one speeding alarm, however many fixes break the limit.
    let batch: Vec<Record> = (0..7).map(|i| fix(t + i * 10_000, 113.62, 80.0)).collect();
    sink.write(&batch).await.expect("write");
    t += 70_000;
    let batch: Vec<Record> = (0..3).map(|i| fix(t + i * 10_000, 113.63, 82.0)).collect();
    sink.write(&batch).await.expect("write");
    t += 30_000;
    let open = open_alarms(&store).await;
    assert_eq!(
        open.iter().filter(|a| a.rule == "muck.speeding").count(),
        1,
        "{open:?}"
    );

    // Twelve minutes of fume at 3.0 mg/m³ (limit 2.0, sustained 10 min): one exceedance alarm.
    for m in 0..12 {
        sink.write(&[fume(t + m * 60_000, 3.0)])
            .await
            .expect("write");
    }
    t += 12 * 60_000;
    let open = open_alarms(&store).await;
    let fume_alarms: Vec<_> = open
        .iter()
        .filter(|a| a.source_kind == "monitor" && a.rule.starts_with("fume.exceedance"))
        .collect();
    assert_eq!(fume_alarms.len(), 1, "{open:?}");
    assert_eq!(fume_alarms[0].source_id, MN);

    // The node heard each raise once it was durable (re-raises while open are repeats).
    let heard_keys = heard.lock().expect("lock").clone();
    for a in [a, fume_alarms[0]] {
        let key = format!("{}|{}|{}", a.source_kind, a.source_id, a.rule);
        assert!(heard_keys.contains(&key), "{key} not in {heard_keys:?}");
    }

    // An hour of silence: the monitor's offline alarm is raised by the tick.
    let writes = supervisors.tick(Timestamp(t + 60 * 60_000));
    ingest::supervise::persist(&store, &supervisors, None, writes).await;
    let open = open_alarms(&store).await;
    assert!(
        open.iter()
            .any(|a| a.source_id == MN && a.rule == "env.offline"),
        "{open:?}"
    );
}
