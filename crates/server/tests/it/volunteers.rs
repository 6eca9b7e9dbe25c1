//! Volunteers 志愿者 and honorary road chiefs 名誉路长 over HTTP, on SQLite and PostgreSQL: a
//! citizen registers and may then report through the volunteer channel, a report an inspector
//! must verify on site before it is filed; the admin names an honorary road chief; readers list
//! (phones masked unless they may see contacts) and count per project; a volunteer leaves.

use super::*;

const GRID1: &str = "410102001001001";

async fn volunteers_story(a: &App) {
    // A citizen may not use the volunteer channel before registering.
    let report =
        json!({"source": "volunteer", "description": "人行道井盖缺失", "area_code": GRID1});
    let (s, v) = a.post("citizen2", "/api/cases", report.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");

    // Registering: an unknown project is refused precisely; then the citizen is a volunteer.
    let (s, v) = a
        .post("citizen2", "/api/volunteers", json!({"project": "dancing"}))
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_project")),
        "{v}"
    );
    let (s, v) = a
        .post(
            "citizen2",
            "/api/volunteers",
            json!({"project": "sanitation", "organisation": "百花社区志愿服务队", "area_code": "410102001"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["volunteer"]["project"], "sanitation");
    assert_eq!(v["volunteer"]["project_label"], "环卫保洁");
    assert_eq!(v["volunteer"]["phone"], "13812345678", "their own phone");
    assert_eq!(v["volunteer"]["honorary"], false);
    let (_, me) = a.get("citizen2", "/api/me").await;
    assert!(me.to_string().contains("\"volunteer\""), "{me}");

    // Their report needs verification: the operator may not accept it unverified.
    let id = a.report("citizen2", "volunteer", GRID1).await;
    let c = a.case(id).await;
    assert_eq!(
        (c["case"]["state"].as_str(), c["case"]["source"].as_str()),
        (Some("reported"), Some("volunteer"))
    );
    let (s, v) = a.act("operator", id, json!({"action": "accept"})).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    // Verified on site, filed, handled and closed.
    a.verify_file_dispatch(id).await;
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.feedback_and_check(id, "hw").await;
    let v = a.ok("supervisor", id, json!({"action": "close"})).await;
    assert_eq!(v["case"]["state"], "closed");
    // A second report is turned down.
    let other = a.report("citizen2", "volunteer", GRID1).await;
    a.ok(
        "operator",
        other,
        json!({"action": "reject_report", "note": "不属于城市管理范围"}),
    )
    .await;

    // The admin names an honorary road chief 名誉路长; a citizen may not.
    let (s, v) = a
        .post(
            "citizen",
            "/api/volunteers",
            json!({"project": "road_patrol", "honorary": true}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = a
        .post(
            "citizen",
            "/api/volunteers",
            json!({"project": "road_patrol", "user_id": a.ids["volunteer"]}),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = a
        .post(
            "admin",
            "/api/volunteers",
            json!({"project": "road_patrol", "user_id": a.ids["volunteer"], "honorary": true, "organisation": "郑州市某公司"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["volunteer"]["honorary"], true);
    a.report("volunteer", "volunteer", GRID1).await;

    // Readers: the list, with phones masked for the leader, shown to the operator.
    let (s, v) = a.get("leader", "/api/volunteers").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let list = v["volunteers"].as_array().cloned().unwrap_or_default();
    assert_eq!(list.len(), 2, "{v}");
    assert_eq!(list[0]["username"], "volunteer", "newest first");
    assert_eq!(list[1]["phone"], "138****5678");
    assert_eq!(list[1]["reports"], 2);
    let (_, v) = a
        .get("operator", "/api/volunteers?project=sanitation")
        .await;
    assert_eq!(v["volunteers"][0]["phone"], "13812345678", "{v}");
    assert_eq!(v["volunteers"].as_array().map(Vec::len), Some(1));
    let (_, v) = a.get("admin", "/api/volunteers?area_code=410102").await;
    assert_eq!(v["volunteers"].as_array().map(Vec::len), Some(1), "{v}");
    assert_eq!(v["volunteers"][0]["username"], "citizen2");
    let (s, _) = a.get("citizen", "/api/volunteers").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = a.get("inspector", "/api/volunteers/summary").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Counts per project, all eleven (the current month by default).
    let (s, v) = a.get("leader", "/api/volunteers/summary").await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["from"].as_str(), v["to"].as_str()),
        (Some("2026-11-01"), Some("2026-11-30"))
    );
    assert_eq!(v["projects"].as_array().map(Vec::len), Some(11));
    assert_eq!(
        (&v["volunteers"], &v["reports"], &v["unregistered_reports"]),
        (&json!(2), &json!(3), &json!(0)),
        "{v}"
    );
    let of = |code: &str| {
        v["projects"]
            .as_array()
            .and_then(|ps| ps.iter().find(|p| p["project"] == code).cloned())
            .unwrap_or(Value::Null)
    };
    assert_eq!(
        of("sanitation"),
        json!({"project": "sanitation", "label": "环卫保洁", "volunteers": 1, "honorary": 0,
               "reports": 2, "verified": 1, "filed": 1, "closed": 1})
    );
    let road = of("road_patrol");
    assert_eq!(
        (&road["honorary"], &road["reports"]),
        (&json!(1), &json!(1))
    );
    assert_eq!(of("shared_bikes")["volunteers"], 0);
    let (_, v) = a
        .get(
            "admin",
            "/api/volunteers/summary?from=2026-10-01&to=2026-10-31",
        )
        .await;
    assert_eq!((&v["volunteers"], &v["reports"]), (&json!(2), &json!(0)));
    let (s, v) = a
        .get(
            "admin",
            "/api/volunteers/summary?from=2026-10-31&to=2026-10-01",
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_period"))
    );

    // Leaving: only oneself or an admin; the channel closes, the reports still count.
    let path = format!("/api/volunteers/{}", a.ids["citizen2"]);
    let (s, _) = a.call(Some("citizen"), Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, _) = a.call(Some("citizen2"), Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = a.call(Some("citizen2"), Method::DELETE, &path, None).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (s, _) = a.post("citizen2", "/api/cases", report).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (_, v) = a.get("leader", "/api/volunteers/summary").await;
    assert_eq!(v["volunteers"], 1, "{v}");
    let sanitation = v["projects"]
        .as_array()
        .and_then(|ps| ps.iter().find(|p| p["project"] == "sanitation").cloned())
        .unwrap_or(Value::Null);
    assert_eq!(
        (&sanitation["volunteers"], &sanitation["reports"]),
        (&json!(0), &json!(2))
    );
    let (_, v) = a
        .get(
            "admin",
            "/api/volunteers?include_left=true&project=sanitation",
        )
        .await;
    assert!(v["volunteers"][0]["left_at"].is_string(), "{v}");
}

#[tokio::test]
async fn volunteers_register_report_count_and_leave_on_every_backend() {
    on_every_backend("volunteers", "volunteers", volunteers_story).await;
}
