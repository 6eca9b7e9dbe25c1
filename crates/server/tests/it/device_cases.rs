//! Cases from device alarms on SQLite and PostgreSQL: a camera's snapshots become the photos of
//! the case its alarm files (by the alarm worker above the confidence gate, or by an operator
//! confirming a notice below it), fetched back byte for byte; and a garbage transfer station
//! whose day closes with stock left over raises one 日产日清 alarm per station and day, files a
//! case in 06042 dispatched to sanitation, and is cleared by the next cleared day.

use axum::body::Body;
use base64::Engine as _;
use server::routes::sanitation::check_stations;
use server::supervise::{raise_case, system_user};

use super::*;

const CAMERA_LAT: f64 = 34.7505;
const CAMERA_LON: f64 = 113.6105;

/// One grid (and its parents) around the points, so reports there are located.
async fn city(a: &App) {
    a.one_grid_city((113.610, 113.612, 34.750, 34.751)).await;
}

/// A JPEG-signed blob (the server sniffs the magic number only) distinct from the PNG.
fn jpeg() -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.resize(3000, 0x5A);
    b.extend_from_slice(&[0xFF, 0xD9]);
    b
}

/// Posts one AI-camera event with a snapshot through the webhook; expects 201.
pub(crate) async fn post_camera_event(
    a: &App,
    key: &str,
    camera_id: &str,
    event_type: &str,
    confidence: f64,
    minutes: i64,
    image: &[u8],
) -> Value {
    let body = json!({
        "camera_id": camera_id,
        "event_type": event_type,
        "confidence": confidence,
        "at": t0().plus_minutes(minutes).to_rfc3339(),
        "image": base64::engine::general_purpose::STANDARD.encode(image),
    });
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/ingest/camera-events")
        .header(header::CONTENT_TYPE, "application/json")
        .header("X-Api-Key", key)
        .body(Body::from(body.to_string()))
        .expect("request");
    let (s, v) = a.send(req).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v
}

/// The photos of a case's report (its first event), as `who` sees them: (content type, bytes).
async fn report_photos(a: &App, who: &str, case_id: i64) -> Vec<(String, Vec<u8>)> {
    let (s, v) = a.get(who, &format!("/api/cases/{case_id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let report = &v["events"][0];
    assert_eq!(report["action"], "report", "{v}");
    let mut out = Vec::new();
    for id in report["attachments"].as_array().expect("attachments") {
        let id = id.as_i64().expect("id");
        let (s, ct, bytes) = a.raw_get(who, &format!("/api/attachments/{id}")).await;
        assert_eq!(s, StatusCode::OK, "attachment {id}");
        out.push((ct, bytes));
    }
    out
}

async fn camera_snapshots_story(a: &App) {
    city(a).await;
    let (s, v) = a
        .post(
            "admin",
            "/api/cameras",
            json!({"camera_id": "CAM-0001", "name": "桐柏路与中原路口 东向",
                   "lat": CAMERA_LAT, "lon": CAMERA_LON}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["grid_code"], "410102001001001", "{v}");
    let (s, v) = a
        .post(
            "admin",
            "/api/api-keys",
            json!({"name": "AI 视频平台", "user_id": a.ids["operator"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = v["key"].as_str().expect("key").to_owned();
    let jpeg = jpeg();

    // Above the gate: exposed garbage seen twice (a PNG, then a JPEG two minutes later), one
    // incident, one warning alarm the worker files a case for.
    let first = post_camera_event(a, &key, "CAM-0001", "06010", 0.93, 0, PNG).await;
    assert_eq!(
        (first["decision"].as_str(), first["auto_case"].as_bool()),
        (Some("new"), Some(true)),
        "{first}"
    );
    let second = post_camera_event(a, &key, "CAM-0001", "exposed_garbage", 0.95, 2, &jpeg).await;
    assert_eq!(second["decision"], "merged", "{second}");
    let alarm_id = first["alarm_id"].as_i64().expect("alarm");
    assert_eq!(second["alarm_id"].as_i64(), Some(alarm_id));
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    assert_eq!(
        pending.iter().map(|x| x.id).collect::<Vec<_>>(),
        [alarm_id],
        "the worker's queue"
    );
    // What the worker does with it: as the system account, dispatching.
    let system = system_user(&a.state).await.expect("system");
    let case_id = raise_case(&a.state, &system, &pending[0], true)
        .await
        .expect("case");
    let photos = report_photos(a, "operator", case_id).await;
    assert_eq!(
        photos,
        [
            ("image/png".to_owned(), PNG.to_vec()),
            ("image/jpeg".to_owned(), jpeg.clone())
        ],
        "the case carries both snapshots"
    );
    // The department it went to sees the picture too.
    let (_, v) = a.get("hw", &format!("/api/cases/{case_id}")).await;
    assert_eq!(v["case"]["state"], "dispatched", "{v}");
    assert_eq!(report_photos(a, "hw", case_id).await.len(), 2);
    // The camera's events keep their own snapshot records.
    let (_, v) = a.get("operator", "/api/cameras/CAM-0001/events").await;
    let event_photos: Vec<i64> = v["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|e| e["attachment_id"].as_i64())
        .collect();
    assert_eq!(event_photos.len(), 2, "{v}");
    let (_, v) = a.get("operator", &format!("/api/cases/{case_id}")).await;
    for id in v["events"][0]["attachments"].as_array().expect("ids") {
        assert!(!event_photos.contains(&id.as_i64().expect("id")), "{v}");
    }

    // Below the gate: a notice, no case until an operator confirms it — then with the photo.
    let low = post_camera_event(a, &key, "CAM-0001", "occupy_road_business", 0.6, 5, PNG).await;
    assert_eq!(
        (low["alarm_level"].as_str(), low["auto_case"].as_bool()),
        (Some("notice"), Some(false)),
        "{low}"
    );
    let notice = low["alarm_id"].as_i64().expect("alarm");
    assert!(
        a.store
            .alarms_awaiting_case(50)
            .await
            .expect("pending")
            .is_empty(),
        "a notice waits for an operator"
    );
    let (s, v) = a
        .post("operator", &format!("/api/alarms/{notice}/case"), json!({}))
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let confirmed = v["case_id"].as_i64().expect("case");
    assert_eq!(
        report_photos(a, "operator", confirmed).await,
        [("image/png".to_owned(), PNG.to_vec())]
    );
}

#[tokio::test]
async fn camera_snapshots_become_the_photos_of_alarm_cases_on_every_backend() {
    on_every_backend("camsnap", "camera snapshots", camera_snapshots_story).await;
}

async fn put_tonnage(a: &App, day: &str, in_t: f64, out_t: f64) -> Value {
    let (s, v) = a
        .call(
            Some("hw"),
            Method::PUT,
            &format!("/api/stations/ZS-01/tonnage/{day}"),
            Some(json!({"in_t": in_t, "out_t": out_t})),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    v
}

async fn station_alarms(a: &App) -> Vec<store::Alarm> {
    let mut items = a
        .store
        .list_alarms(&store::AlarmFilter {
            source_kind: Some("station".into()),
            limit: 100,
            ..store::AlarmFilter::default()
        })
        .await
        .expect("alarms")
        .items;
    items.sort_by_key(|x| x.id);
    items
}

async fn station_story(a: &App) {
    city(a).await;
    let (s, v) = a
        .post(
            "admin",
            "/api/stations",
            json!({"station_id": "ZS-01", "name": "百花中转站", "lat": CAMERA_LAT,
                   "lon": CAMERA_LON, "capacity_t": 50.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");

    // Today (2026-11-24) is not over: stock left today raises nothing yet.
    let v = put_tonnage(a, "2026-11-24", 30.0, 10.0).await;
    assert_eq!(v["tonnage"]["cleared"], false, "{v}");
    check_stations(&a.state, None).await.expect("check");
    assert!(station_alarms(a).await.is_empty());

    // Yesterday entered late with 2.5 t left over: judged at once, one alarm in 06042.
    let v = put_tonnage(a, "2026-11-23", 42.5, 40.0).await;
    assert_eq!(v["tonnage"]["residual_t"], 2.5, "{v}");
    let alarms = station_alarms(a).await;
    assert_eq!(alarms.len(), 1, "{alarms:?}");
    let alarm = &alarms[0];
    assert_eq!(
        (
            alarm.rule.as_str(),
            alarm.level.as_str(),
            alarm.class_code.as_deref(),
            alarm.grid_code.as_deref(),
            alarm.state.as_str()
        ),
        (
            "station.not_cleared:2026-11-23",
            "warning",
            Some("06042"),
            Some("410102001001001"),
            "raised"
        )
    );
    assert!(alarm.message.contains("存量 2.5 t"), "{}", alarm.message);
    assert_eq!(alarm.detail["residual_t"], 2.5);
    // The day's end, 2026-11-24 00:00 +08:00.
    assert_eq!(alarm.raised_at.to_rfc3339(), "2026-11-24T00:00:00+08:00");
    // Checking again (any node, any minute) neither repeats nor doubles it.
    let again = check_stations(&a.state, None).await.expect("check");
    assert!(again.raised.is_empty(), "{again:?}");
    assert_eq!(station_alarms(a).await[0].repeats, 0);

    // The alarm worker files it in 06042 and dispatches it to sanitation 环卫.
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    assert_eq!(pending.len(), 1);
    let system = system_user(&a.state).await.expect("system");
    let case_id = raise_case(&a.state, &system, &pending[0], true)
        .await
        .expect("case");
    let (_, v) = a.get("hw", &format!("/api/cases/{case_id}")).await;
    assert_eq!(
        (
            v["case"]["class"]["code"].as_str(),
            v["case"]["state"].as_str(),
            v["case"]["department_id"].as_i64()
        ),
        (Some("06042"), Some("dispatched"), Some(a.depts["hw"])),
        "{v}"
    );

    // The next day (the 24th, 20 t still there) closes at midnight: a second alarm, its own day.
    a.clock.set(t0().plus_minutes(24 * 60));
    let next = check_stations(&a.state, None).await.expect("check");
    assert_eq!(
        next.raised,
        ["station|ZS-01|station.not_cleared:2026-11-24"],
        "{next:?}"
    );
    assert_eq!(station_alarms(a).await.len(), 2);

    // The 24th corrected (all carried out): its alarm and the 23rd's are cleared.
    put_tonnage(a, "2026-11-24", 30.0, 30.0).await;
    let alarms = station_alarms(a).await;
    assert_eq!(
        alarms.iter().map(|x| x.state.as_str()).collect::<Vec<_>>(),
        ["cleared", "cleared"],
        "{alarms:?}"
    );
    // A cleared day is never raised again, however often it is checked.
    a.clock.set(t0().plus_minutes(2 * 24 * 60));
    put_tonnage(a, "2026-11-25", 10.0, 10.0).await;
    let later = check_stations(&a.state, None).await.expect("check");
    assert_eq!(later, Default::default());
    assert_eq!(station_alarms(a).await.len(), 2);
    let (_, v) = a.get("operator", "/api/stations?day=2026-11-23").await;
    assert_eq!(v["not_cleared"], 1, "{v}");
}

#[tokio::test]
async fn a_station_day_with_stock_left_raises_one_alarm_and_a_case_on_every_backend() {
    on_every_backend("station", "日产日清 alarms", station_story).await;
}
