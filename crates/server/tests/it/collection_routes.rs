//! Collection routes 收运路线 over HTTP on SQLite and PostgreSQL: who may read and write them,
//! each refusal with its precise status and code (nothing stored), and the per-route daily
//! report computed from the stored track — the route's truck visits one of its two points, the
//! other is missed at the finish time.

use store::{CollectionPoint, NewVehicle, Position};

use super::*;

fn point(id: &str, category: &str, lat: f64) -> CollectionPoint {
    CollectionPoint {
        point_id: id.into(),
        name: format!("{id}收集点"),
        category: category.into(),
        lat,
        lon: 113.6105,
        grid_code: None,
    }
}

async fn vehicle(a: &App, plate: &str, kind: &str, company: &str, phone: &str) -> i64 {
    a.store
        .create_vehicle(
            &NewVehicle {
                plate: plate.into(),
                kind: kind.into(),
                company: Some(company.into()),
                phone: Some(phone.into()),
            },
            t0(),
        )
        .await
        .expect("vehicle")
}

async fn send(
    a: &App,
    who: &str,
    method: Method,
    path: &str,
    body: Option<Value>,
) -> (StatusCode, Value) {
    a.call(Some(who), method, path, body).await
}

async fn routes_story(a: &App) {
    a.store
        .upsert_collection_points(&[
            point("K1", "kitchen", 34.7502),
            point("K2", "kitchen", 34.7512),
            point("O1", "other", 34.7522),
        ])
        .await
        .expect("points");
    let kitchen = vehicle(
        a,
        "豫A·G0001",
        "garbage_truck",
        "环卫中心（厨余）",
        "13800000301",
    )
    .await;
    let other = vehicle(
        a,
        "豫A·G0002",
        "garbage_truck",
        "环卫中心（其他垃圾）",
        "13800000302",
    )
    .await;
    let sweeper = vehicle(a, "豫A·S0001", "sweeper", "环卫中心", "13800000303").await;
    let body = |id: &str, vehicle_id: i64, points: &[&str]| {
        json!({
            "route_id": id, "name": "厨余一号线", "vehicle_id": vehicle_id, "category": "kitchen",
            "points": points, "days": { "kind": "working_days" }, "finish_by": "09:00",
        })
    };

    // Who writes: admins and handlers of a sanitation department; staff read.
    for who in ["operator", "sz", "inspector"] {
        let (s, v) = a
            .post(who, "/api/sanitation/routes", body("R1", kitchen, &["K1"]))
            .await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
    }
    let (s, v) = a.get("citizen", "/api/sanitation/routes").await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, v) = a
        .post(
            "hw",
            "/api/sanitation/routes",
            body("R1", kitchen, &["K1", "K2"]),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["plate"], "豫A·G0001", "{v}");
    assert_eq!(v["finish_by"], "09:00", "{v}");
    assert_eq!(v["days"], json!({ "kind": "working_days" }), "{v}");

    // Refusals, each precise; nothing stored.
    let cases: Vec<(Value, StatusCode, &str)> = vec![
        (
            body("R1", kitchen, &["K1"]),
            StatusCode::CONFLICT,
            "route_exists",
        ),
        (
            body("bad id", kitchen, &["K1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_id",
        ),
        (
            body("R2", 999_999, &["K1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_vehicle",
        ),
        (
            body("R2", sweeper, &["K1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not_garbage_truck",
        ),
        (
            body("R2", other, &["K1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_mismatch",
        ),
        (
            body("R2", kitchen, &["K1", "O1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "category_mismatch",
        ),
        (
            body("R2", kitchen, &["K9"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_point",
        ),
        (
            body("R2", kitchen, &[]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_route",
        ),
        (
            body("R2", kitchen, &["K1", "K1"]),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_route",
        ),
        (
            {
                let mut b = body("R2", kitchen, &["K1"]);
                b["finish_by"] = json!("25:00");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_route",
        ),
        (
            {
                let mut b = body("R2", kitchen, &["K1"]);
                b["days"] = json!({ "kind": "weekdays", "days": [0] });
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_route",
        ),
        (
            {
                let mut b = body("R2", kitchen, &["K1"]);
                b["days"] = json!({ "kind": "fortnightly" });
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_route",
        ),
        (
            {
                let mut b = body("R2", kitchen, &["K1"]);
                b["category"] = json!("glass");
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_category",
        ),
        (
            {
                let mut b = body("R2", kitchen, &["K1"]);
                b.as_object_mut().map(|o| o.remove("route_id"));
                b
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
    ];
    for (b, status, code) in cases {
        let (s, v) = a.post("admin", "/api/sanitation/routes", b.clone()).await;
        assert_eq!(s, status, "{b} -> {v}");
        assert_eq!(v["error"]["code"], code, "{b} -> {v}");
    }
    let (s, list) = a.get("operator", "/api/sanitation/routes").await;
    assert_eq!(s, StatusCode::OK, "{list}");
    assert_eq!(list["items"].as_array().map(Vec::len), Some(1), "{list}");

    // PUT: not the path's id, unknown route, then a change.
    let (s, v) = send(
        a,
        "admin",
        Method::PUT,
        "/api/sanitation/routes/R1",
        Some(body("R9", kitchen, &["K1"])),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].clone()),
        (StatusCode::UNPROCESSABLE_ENTITY, json!("invalid_route")),
        "{v}"
    );
    let (s, v) = send(
        a,
        "admin",
        Method::PUT,
        "/api/sanitation/routes/R9",
        Some(body("R9", kitchen, &["K1"])),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let mut daily = body("R1", kitchen, &["K1", "K2"]);
    daily["days"] = json!({ "kind": "daily" });
    let (s, v) = send(
        a,
        "hw",
        Method::PUT,
        "/api/sanitation/routes/R1",
        Some(daily),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["days"], json!({ "kind": "daily" }), "{v}");

    // The day's report: the truck stood at K1 at 08:00 (three fixes over a minute), never at K2.
    let eight = Timestamp::shanghai_midnight(t0().to_shanghai().date()).plus_minutes(8 * 60);
    let stops: Vec<Position> = [(0, 34.7502), (30, 34.7502), (60, 34.7502), (90, 34.7502)]
        .iter()
        .map(|(s, lat)| Position {
            vehicle_id: kitchen,
            fix_at: Timestamp(eight.0 + s * 1000),
            received_at: Timestamp(eight.0 + s * 1000),
            lat: *lat,
            lon: 113.6105,
            speed_kmh: 0.0,
            heading: 0,
            altitude_m: 45,
            alarm: 0,
            status: 3,
            mileage_m: None,
            grid_code: None,
            backfill: false,
        })
        .collect();
    a.store.append_positions(&stops).await.expect("positions");
    let (s, v) = a
        .get("operator", "/api/sanitation/route-report?day=2026-11-24")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let r = &v["routes"][0];
    assert_eq!(r["id"], "R1", "{v}");
    assert_eq!(r["vehicle_id"], kitchen, "{v}");
    assert_eq!(
        (
            r["planned"].clone(),
            r["visited"].clone(),
            r["missed"].clone()
        ),
        (json!(2), json!(1), json!(1)),
        "{v}"
    );
    assert_eq!(r["on_time"], false, "{v}");
    assert_eq!(r["finish_at"], "2026-11-24T09:00:00+08:00", "{v}");
    assert_eq!(r["points"][0]["by_plate"], "豫A·G0001", "{v}");
    assert_eq!(r["points"][1]["missed"], true, "{v}");
    // The city report agrees: K2 is due by the route's finish time and missed.
    let (_, city) = a
        .get("operator", "/api/garbage/collection?day=2026-11-24")
        .await;
    let k2 = city["points"]
        .as_array()
        .and_then(|p| p.iter().find(|p| p["id"] == "K2"))
        .cloned();
    assert_eq!(
        k2.as_ref().map(|p| p["missed"].clone()),
        Some(json!(true)),
        "{city}"
    );
    let (s, v) = a
        .get("operator", "/api/sanitation/route-report?day=24.11.2026")
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");

    // DELETE.
    let (s, v) = send(a, "sz", Method::DELETE, "/api/sanitation/routes/R1", None).await;
    assert_eq!(s, StatusCode::FORBIDDEN, "{v}");
    let (s, _) = send(
        a,
        "admin",
        Method::DELETE,
        "/api/sanitation/routes/R1",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, v) = send(
        a,
        "admin",
        Method::DELETE,
        "/api/sanitation/routes/R1",
        None,
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    let (s, v) = a.get("operator", "/api/sanitation/routes/R1").await;
    assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
}

#[tokio::test]
async fn collection_routes_over_http_on_every_backend() {
    on_every_backend("colroutes_http", "collection routes", routes_story).await;
}
