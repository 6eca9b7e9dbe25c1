//! Alarms over HTTP on SQLite and PostgreSQL: who sees them (staff in scope), filing a case
//! from one (a component class from the sensor rules, a local-extension class from the muck
//! rules), the lifecycle and its refusals, and the open key freed by a clear.

use store::{AlarmRaise, AlarmWrite};

use super::*;

const GRID1: &str = "410102001001001";

fn raise(kind: &str, source: &str, rule: &str, class: &str, level: &str) -> AlarmWrite {
    AlarmWrite::Raise(Box::new(AlarmRaise {
        open_key: format!("{kind}|{source}|{rule}"),
        source_kind: kind.into(),
        source_id: source.into(),
        rule: rule.into(),
        level: level.into(),
        message: format!("{source} {rule}"),
        lat: None,
        lon: None,
        grid_code: Some(GRID1.into()),
        class_code: Some(class.into()),
        detail: r#"{"value":1}"#.into(),
        at: t0(),
    }))
}

async fn alarm_ids(a: &App, who: &str, query: &str) -> Vec<i64> {
    let (status, body) = a
        .call(Some(who), Method::GET, &format!("/api/alarms{query}"), None)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["items"]
        .as_array()
        .expect("items")
        .iter()
        .filter_map(|x| x["id"].as_i64())
        .collect()
}

async fn alarms_story(a: &App) {
    a.store
        .write_alarms(&[
            raise("sensor", "MH-0001", "manhole.open", "01023", "severe"),
            raise(
                "vehicle",
                "13800000001",
                "muck.no_permit",
                "08901",
                "warning",
            ),
        ])
        .await
        .expect("alarms");

    // Staff in scope see both; staff of another street and citizens do not.
    let ids = alarm_ids(a, "operator", "").await;
    assert_eq!(ids.len(), 2);
    assert_eq!(
        alarm_ids(a, "operator", "?source_kind=sensor").await.len(),
        1
    );
    assert_eq!(alarm_ids(a, "operator", "?rule=muck.").await.len(), 1);
    assert!(alarm_ids(a, "operator_s2", "").await.is_empty());
    let (status, _) = a
        .call(Some("citizen"), Method::GET, "/api/alarms", None)
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = a
        .call(
            Some("operator"),
            Method::GET,
            "/api/alarms?state=sleeping",
            None,
        )
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
    let sensor = alarm_ids(a, "operator", "?source_kind=sensor").await[0];
    let vehicle = alarm_ids(a, "operator", "?source_kind=vehicle").await[0];
    let (status, _) = a
        .call(
            Some("operator_s2"),
            Method::GET,
            &format!("/api/alarms/{sensor}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    // A case from the manhole-cover alarm (a GB/T 47678.5-2026 class) and from the muck alarm
    // (08901, a Zhengzhou extension): both filed in their class, the alarm linked.
    for (id, class) in [(sensor, "01023"), (vehicle, "08901")] {
        let (status, body) = a
            .call(
                Some("operator"),
                Method::POST,
                &format!("/api/alarms/{id}/case"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{class}: {body}");
        assert_eq!(body["alarm"]["state"], "linked");
        let case_id = body["case_id"].as_i64().expect("case id");
        assert_eq!(body["alarm"]["case_id"], case_id);
        let case = a.case(case_id).await;
        assert_eq!(case["case"]["class"]["code"], class, "{case}");
        assert_eq!(case["case"]["grid_code"], GRID1, "{case}");
        // A second case for the same alarm is refused.
        let (status, body) = a
            .call(
                Some("operator"),
                Method::POST,
                &format!("/api/alarms/{id}/case"),
                None,
            )
            .await;
        assert_eq!(status, StatusCode::CONFLICT, "{body}");
    }
    // The detail shows the steps.
    let (status, body) = a
        .call(
            Some("operator"),
            Method::GET,
            &format!("/api/alarms/{sensor}"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let actions: Vec<&str> = body["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(actions.contains(&"linked"), "{body}");

    // Acknowledge then clear (a note is required); a clear frees the key for a new alarm.
    a.store
        .write_alarms(&[raise(
            "camera",
            "CAM-1",
            "camera.event:06010",
            "06010",
            "notice",
        )])
        .await
        .expect("alarm");
    let cam = alarm_ids(a, "operator", "?source_kind=camera").await[0];
    let (status, body) = a
        .call(
            Some("operator"),
            Method::POST,
            &format!("/api/alarms/{cam}/acknowledge"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["alarm"]["state"], "acknowledged");
    let path = format!("/api/alarms/{cam}/clear");
    let (status, _) = a
        .call(Some("operator"), Method::POST, &path, Some(json!({})))
        .await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    let (status, _) = a
        .call(
            Some("hw"),
            Method::POST,
            &path,
            Some(json!({ "note": "误报" })),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let (status, body) = a
        .call(
            Some("operator"),
            Method::POST,
            &path,
            Some(json!({ "note": "误报" })),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["alarm"]["state"], "cleared");
    let (status, _) = a
        .call(
            Some("operator"),
            Method::POST,
            &path,
            Some(json!({ "note": "again" })),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    a.store
        .write_alarms(&[raise(
            "camera",
            "CAM-1",
            "camera.event:06010",
            "06010",
            "notice",
        )])
        .await
        .expect("alarm");
    let open = alarm_ids(a, "operator", "?source_kind=camera").await;
    assert_eq!(open.len(), 1);
    assert_ne!(open[0], cam, "a new alarm after the clear");
    assert_eq!(
        alarm_ids(a, "operator", "?source_kind=camera&state=all")
            .await
            .len(),
        2
    );
}

#[tokio::test]
async fn alarms_scope_cases_and_lifecycle_on_every_backend() {
    on_every_backend("alarms", "alarms", alarms_story).await;
}
