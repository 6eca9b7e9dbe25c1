//! Cases from vehicle alarms with their track, on SQLite and PostgreSQL: a kitchen-waste truck
//! collecting at an other-waste point (前分后混, found by the real collection rules) files a
//! case in 06041 from the vehicle channel, dispatched to sanitation, with the truck's track
//! drawn as a PNG photo of the report; a collection point missed by 10:00 is an alarm on the
//! point (source kind `collection_point`) that files no case; and a muck truck's alarm carries
//! its track snippet into its case the same way.

use ::supervision::garbage::{
    CollectionPoint, GarbageConfig, GarbageTracker, Truck, WasteCategory,
};
use ::supervision::sweeping::LocalDay;
use ::supervision::vehicle::{Fix, STATUS_LOCATED};
use grid::Point;
use server::supervise::{raise_case, system_user};
use store::{AlarmRaise, AlarmWrite};

use super::*;

const GRID1: &str = "410102001001001";
const TRUCK: &str = "13800000201";
const LAT: f64 = 34.7505;
/// Two collection points ≈ 90 m apart inside the grid.
const KITCHEN_LON: f64 = 113.6103;
const OTHER_LON: f64 = 113.6113;

/// One grid (and its parents) around the points, so reports there are located.
async fn city(a: &App) {
    a.one_grid_city((113.610, 113.612, 34.750, 34.751)).await;
}

fn fix(at: Timestamp, lon: f64, speed_kmh: f64) -> Fix {
    Fix {
        phone: TRUCK.into(),
        at,
        point: Point::new(lon, LAT),
        speed_kmh,
        heading: 90,
        status: STATUS_LOCATED,
        alarm: 0,
        extra: Vec::new(),
    }
}

/// The report's photos of a case as `who` sees them: (content type, bytes).
async fn report_photos(a: &App, who: &str, case_id: i64) -> Vec<(String, Vec<u8>)> {
    let (s, v) = a.get(who, &format!("/api/cases/{case_id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let report = &v["events"][0];
    assert_eq!(report["action"], "report", "{v}");
    let mut out = Vec::new();
    for id in report["attachments"].as_array().expect("attachments") {
        let id = id.as_i64().expect("id");
        let (status, ct, bytes) = a.raw_get(who, &format!("/api/attachments/{id}")).await;
        assert_eq!(status, StatusCode::OK, "attachment {id}");
        out.push((ct, bytes));
    }
    out
}

async fn garbage_cases_story(a: &App) {
    city(a).await;
    // The collection rules as the ingest pipeline runs them: a kitchen-waste truck stops 90 s
    // at its own point at 08:00, then at an other-waste point at 08:10.
    let mut tracker = GarbageTracker::new(
        vec![
            CollectionPoint {
                id: "CP-K".into(),
                name: "百花社区厨余垃圾收集点".into(),
                category: WasteCategory::Kitchen,
                position: Point::new(KITCHEN_LON, LAT),
            },
            CollectionPoint {
                id: "CP-O".into(),
                name: "百花社区其他垃圾收集点".into(),
                category: WasteCategory::Other,
                position: Point::new(OTHER_LON, LAT),
            },
            CollectionPoint {
                id: "CP-K2".into(),
                name: "百花社区第二厨余垃圾收集点".into(),
                category: WasteCategory::Kitchen,
                position: Point::new(113.6118, 34.7508),
            },
        ],
        vec![Truck {
            id: TRUCK.into(),
            plate: Some("豫A·G0201".into()),
            category: Some(WasteCategory::Kitchen),
        }],
        GarbageConfig::default(),
    );
    let day = LocalDay::of(t0());
    tracker.watch_from(day.start());
    let eight = day.start().0 + 8 * 3_600_000;
    let mut signals = Vec::new();
    for (start, lon) in [(eight, KITCHEN_LON), (eight + 600_000, OTHER_LON)] {
        signals.extend(tracker.observe(&fix(Timestamp(start), lon - 0.002, 30.0)));
        for i in 1..=4 {
            signals.extend(tracker.observe(&fix(Timestamp(start + i * 30_000), lon, 0.0)));
        }
        signals.extend(tracker.observe(&fix(Timestamp(start + 150_000), lon + 0.002, 30.0)));
    }
    // At 10:00 the second kitchen point is missed.
    signals.extend(tracker.tick(t0()));
    assert_eq!(signals.len(), 2, "{signals:?}");
    let writes: Vec<AlarmWrite> = signals
        .into_iter()
        .map(|s| AlarmWrite::from_signal(s, Some(GRID1.into())))
        .collect();
    a.store.write_alarms(&writes).await.expect("alarms");

    // The missed point is an alarm on the point, listed by its kind, and files no case.
    let (s, v) = a
        .get("operator", "/api/alarms?source_kind=collection_point")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let items = v["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{v}");
    assert_eq!(
        (
            items[0]["source_id"].as_str(),
            items[0]["rule"].as_str(),
            items[0]["level"].as_str()
        ),
        (Some("CP-K2"), Some("garbage.missed"), Some("notice"))
    );
    // The mixing is the one alarm awaiting a case.
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    assert_eq!(
        (pending[0].rule.as_str(), pending[0].source_kind.as_str()),
        ("garbage.mixed", "vehicle")
    );
    let system = system_user(&a.state).await.expect("system");
    let case_id = raise_case(&a.state, &system, &pending[0], true)
        .await
        .expect("case");
    let (_, v) = a.get("operator", &format!("/api/cases/{case_id}")).await;
    assert_eq!(v["case"]["class"]["code"], "06041", "{v}");
    assert_eq!(v["case"]["source"], "vehicle", "{v}");
    assert_eq!(v["case"]["grid_code"], GRID1, "{v}");
    assert_eq!(v["case"]["state"], "dispatched", "{v}");
    let (_, v) = a
        .get("operator", &format!("/api/alarms/{}", pending[0].id))
        .await;
    assert_eq!(v["alarm"]["state"], "linked", "{v}");
    assert_eq!(v["alarm"]["case_id"], case_id, "{v}");
    // The track is a photo of the report, which the sanitation department sees too.
    for who in ["operator", "hw"] {
        let photos = report_photos(a, who, case_id).await;
        assert_eq!(photos.len(), 1, "{who}");
        assert_eq!(photos[0].0, "image/png");
        assert!(photos[0].1.starts_with(b"\x89PNG\r\n\x1a\n"));
    }

    // A muck truck's alarm (no permit, 08901) with its track snippet: the same.
    let track: Vec<Value> = (0..8)
        .map(|i| json!({"t": t0().0 + i * 20_000, "lon": 113.6102 + i as f64 * 2e-4, "lat": 34.7503, "speed_kmh": 32.0}))
        .collect();
    a.store
        .write_alarms(&[AlarmWrite::Raise(Box::new(AlarmRaise {
            open_key: "vehicle|13800000001|muck.no_permit".into(),
            source_kind: "vehicle".into(),
            source_id: "13800000001".into(),
            rule: "muck.no_permit".into(),
            level: "warning".into(),
            message: "豫A·D0001 无核准运输".into(),
            lat: Some(34.7503),
            lon: Some(113.6116),
            grid_code: Some(GRID1.into()),
            class_code: Some("08901".into()),
            detail: json!({"rule": "muck.no_permit", "track": track}).to_string(),
            at: t0(),
        }))])
        .await
        .expect("muck alarm");
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    assert_eq!(pending.len(), 1, "{pending:?}");
    let muck_case = raise_case(&a.state, &system, &pending[0], false)
        .await
        .expect("case");
    let photos = report_photos(a, "operator", muck_case).await;
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].0, "image/png");
    // An alarm without a track (the missed point's kind of detail) adds no picture: a sensor
    // alarm filed by an operator.
    a.store
        .write_alarms(&[AlarmWrite::Raise(Box::new(AlarmRaise {
            open_key: "sensor|MH-0001|manhole.open".into(),
            source_kind: "sensor".into(),
            source_id: "MH-0001".into(),
            rule: "manhole.open".into(),
            level: "severe".into(),
            message: "MH-0001 井盖开启".into(),
            lat: Some(34.7505),
            lon: Some(113.6105),
            grid_code: Some(GRID1.into()),
            class_code: Some("01023".into()),
            detail: r#"{"value":1}"#.into(),
            at: t0(),
        }))])
        .await
        .expect("sensor alarm");
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    let sensor_case = raise_case(&a.state, &system, &pending[0], false)
        .await
        .expect("case");
    assert!(report_photos(a, "operator", sensor_case).await.is_empty());
}

#[tokio::test]
async fn garbage_mixing_files_a_case_with_its_track_on_every_backend() {
    on_every_backend("garbage_alarm", "garbage alarm cases", garbage_cases_story).await;
}
