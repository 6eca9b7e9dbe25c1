//! A camera alarm whose case fails to file and is filed on the next try: its snapshot is
//! recorded for the case once, not once per try. The first try runs on a node whose city index
//! is not loaded yet (the report cannot be placed, so nothing is filed); the alarm worker's next
//! pass, on a node with the city, files the case with the record the first try made. On SQLite
//! and PostgreSQL.

use server::supervise::{raise_case, system_user};

use super::device_cases::post_camera_event;
use super::*;

async fn snapshot_once_story(a: &App) {
    a.one_grid_city((113.610, 113.612, 34.750, 34.751)).await;
    let (s, v) = a
        .post(
            "admin",
            "/api/cameras",
            json!({"camera_id": "CAM-R1", "name": "桐柏路口 东向", "lat": 34.7505, "lon": 113.6105}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (s, v) = a
        .post(
            "admin",
            "/api/api-keys",
            json!({"name": "AI 视频平台", "user_id": a.ids["operator"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = v["key"].as_str().expect("key").to_owned();
    let first = post_camera_event(a, &key, "CAM-R1", "06010", 0.93, 0, PNG).await;
    let alarm_id = first["alarm_id"].as_i64().expect("alarm");
    let snapshot = first["attachment_id"].as_i64().expect("snapshot");

    let system = system_user(&a.state).await.expect("system");
    let system_id = system.caller.user_id;
    assert_eq!(a.store.count_attachments_of(system_id).await.expect("n"), 0);
    let pending = a.store.alarms_awaiting_case(50).await.expect("pending");
    assert_eq!(pending.iter().map(|x| x.id).collect::<Vec<_>>(), [alarm_id]);

    // A node that has not loaded the city yet: the report cannot be placed, no case is filed.
    let mut cold = a.state.clone();
    cold.city = server::city::CityCache::default();
    let err = raise_case(&cold, &system, &pending[0], true).await;
    assert!(err.is_err(), "the filing fails: {err:?}");
    assert_eq!(
        a.store
            .alarms_awaiting_case(50)
            .await
            .expect("pending")
            .len(),
        1,
        "the alarm still waits for its case"
    );
    assert_eq!(
        a.store.count_attachments_of(system_id).await.expect("n"),
        1,
        "the snapshot was recorded for the case once"
    );
    // Tried again (and once more on the cold node): still the one record.
    assert!(raise_case(&cold, &system, &pending[0], true).await.is_err());
    assert_eq!(a.store.count_attachments_of(system_id).await.expect("n"), 1);

    // The worker's next pass on a node with the city files it, with that record.
    let case_id = raise_case(&a.state, &system, &pending[0], true)
        .await
        .expect("filed");
    assert_eq!(a.store.count_attachments_of(system_id).await.expect("n"), 1);
    let (s, v) = a.get("operator", &format!("/api/cases/{case_id}")).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let photos = v["events"][0]["attachments"].as_array().expect("photos");
    assert_eq!(photos.len(), 1, "{v}");
    let photo = photos[0].as_i64().expect("id");
    assert_ne!(photo, snapshot, "the event keeps its own record");
    let meta = a.store.attachment(photo).await.expect("meta").expect("row");
    assert_eq!((meta.uploader_id, meta.case_id), (system_id, Some(case_id)));
    let original = a
        .store
        .attachment(snapshot)
        .await
        .expect("meta")
        .expect("row");
    assert_eq!(meta.sha256, original.sha256, "the same picture");
    assert_eq!(original.case_id, None);
    let (s, _, bytes) = a
        .raw_get("operator", &format!("/api/attachments/{photo}"))
        .await;
    assert_eq!((s, bytes.as_slice()), (StatusCode::OK, PNG));
    assert!(
        a.store
            .alarms_awaiting_case(50)
            .await
            .expect("pending")
            .is_empty()
    );
}

#[tokio::test]
async fn a_camera_case_filed_on_a_retry_records_its_snapshot_once_on_every_backend() {
    on_every_backend("camretry_intg", "camera snapshot once", snapshot_once_story).await;
}
