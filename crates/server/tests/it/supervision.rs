//! Supervision over HTTP on SQLite and PostgreSQL: muck permits (CRUD, validation listing every
//! problem, who may write, the `permits_changed` notification), the AI-camera webhook (API key,
//! unknown camera, merging, the confidence gate, snapshots and their limits), and sweeping and
//! patrol coverage computed from stored positions against hand-computed figures.

use store::Position;

use super::*;

/// Adds an enforcement department 执法 with one handler `zf`, signed in.
async fn add_enforcement(a: &mut App) {
    let d = a
        .store
        .create_department(
            &NewDepartment {
                code: "ZF".into(),
                name: "城管执法中队".into(),
                dept_type: DepartmentType::Enforcement,
                areas: vec![code("410102")],
            },
            t0(),
        )
        .await
        .expect("dept");
    let id = a
        .store
        .create_user(
            &NewUser {
                username: "zf".into(),
                display_name: "执法队员".into(),
                phone: None,
                password_hash: auth::hash_password("correct horse").expect("hash"),
                grants: vec![RoleGrant {
                    role: Role::DepartmentHandler,
                    area: None,
                    department_id: Some(d.id),
                }],
            },
            t0(),
        )
        .await
        .expect("user");
    let token = auth::new_token();
    a.store
        .create_session(&auth::token_hash(&token), id, t0(), t0().plus_minutes(600))
        .await
        .expect("session");
    a.tokens.insert("zf", token);
    a.ids.insert("zf", id);
}

/// A valid permit body: two trucks, rectangular sites, a two-point route, one window.
fn permit(number: &str) -> Value {
    let rect = |w: f64, s: f64| {
        json!([{"exterior": [
            {"lon": w, "lat": s}, {"lon": w + 0.002, "lat": s}, {"lon": w + 0.002, "lat": s + 0.002},
            {"lon": w, "lat": s + 0.002}, {"lon": w, "lat": s}
        ]}])
    };
    json!({
        "number": number,
        "company": "郑州某渣土运输有限公司",
        "vehicles": [{"phone": "013800001111", "plate": "豫A·D1234"}, {"phone": "13800002222"}],
        "construction_site": rect(113.60, 34.74),
        "disposal_site": rect(113.65, 34.78),
        "route": [{"lon": 113.601, "lat": 34.741}, {"lon": 113.651, "lat": 34.781}],
        "corridor_width_m": 60.0,
        "windows": [{"start": "22:00", "end": "06:00"}],
        "valid_from": "2026-11-01",
        "valid_to": "2026-11-30",
    })
}

async fn put(a: &App, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
    a.call(Some(who), Method::PUT, path, Some(body)).await
}

async fn permit_story(mut a: App) {
    add_enforcement(&mut a).await;
    // Who may write: admins and enforcement staff; not intake roles or other departments.
    for who in ["operator", "hw", "leader", "citizen"] {
        let (s, v) = a.post(who, "/api/permits", permit("ZZ-001")).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who}: {v}");
    }
    let (s, v) = a.post("zf", "/api/permits", permit("ZZ-001")).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let id = v["id"].as_i64().expect("id");
    assert_eq!(v["in_force"], true, "{v}");
    // Terminal phones are stored as the gateway knows them: without padding zeros.
    assert_eq!(v["vehicles"][0]["phone"], "13800001111", "{v}");
    assert_eq!(v["windows"][0]["start"], "22:00:00", "{v}");
    // The stored body is the rules' permit, its id the record's.
    let rec = a.store.permit(id).await.expect("read").expect("permit");
    let p = server::routes::permits::permit_of(&rec).expect("a rules permit");
    assert_eq!(
        (p.id, p.vehicles.len(), p.corridor_width_m),
        (id.to_string(), 2, 60.0)
    );
    let (s, v) = a.post("admin", "/api/permits", permit("ZZ-001")).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("duplicate")),
        "{v}"
    );
    // Everything wrong is listed at once.
    let mut bad = permit("ZZ-002");
    bad["vehicles"] = json!([]);
    bad["corridor_width_m"] = json!(0.0);
    bad["valid_from"] = json!("2026-12-01");
    bad["route"] = json!([{"lon": 113.6, "lat": 34.7}]);
    let (s, v) = a.post("admin", "/api/permits", bad).await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY, "{v}");
    assert_eq!(v["error"]["code"], "invalid_permit");
    let problems: Vec<&str> = v["error"]["problems"]
        .as_array()
        .expect("problems")
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(problems.len(), 4, "{problems:?}");
    assert!(
        problems.iter().any(|p| p.contains("no vehicle")),
        "{problems:?}"
    );
    assert!(problems.iter().any(|p| p.contains("corridor width")));
    assert!(problems.iter().any(|p| p.contains("after valid_to")));
    assert!(problems.iter().any(|p| p.contains("route has 1 point")));
    // A body that is not a permit at all.
    let mut wrong = permit("ZZ-003");
    wrong["valid_to"] = json!("30/11/2026");
    let (s, v) = a.post("admin", "/api/permits", wrong).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")),
        "{v}"
    );
    // Reading and filtering: staff only.
    let (s, _) = a.get("citizen", "/api/permits").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = a.get("operator", &format!("/api/permits/{id}")).await;
    assert_eq!((s, v["number"].as_str()), (StatusCode::OK, Some("ZZ-001")));
    for (q, n) in [
        ("", 1),
        ("?valid_on=2026-11-24", 1),
        ("?valid_on=2026-12-01", 0),
        ("?phone=13800002222", 1),
        ("?phone=013800002222", 1),
        ("?plate=豫A·D1234", 1),
        ("?plate=豫A·X0000", 0),
    ] {
        let (s, v) = a.get("operator", &format!("/api/permits{q}")).await;
        assert_eq!(s, StatusCode::OK, "{q}: {v}");
        assert_eq!(v["items"].as_array().map(Vec::len), Some(n), "{q}: {v}");
    }
    let (s, v) = a.get("operator", "/api/permits?valid_on=tomorrow").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_query"))
    );
    // Changing: the content, not the number.
    let mut changed = permit("ZZ-001");
    // Clients may echo the id they read: it is ignored.
    changed["id"] = json!(id.to_string());
    changed["corridor_width_m"] = json!(80.0);
    changed["valid_to"] = json!("2026-12-15");
    let (s, v) = put(&a, "zf", &format!("/api/permits/{id}"), changed).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (v["corridor_width_m"].as_f64(), v["valid_to"].as_str()),
        (Some(80.0), Some("2026-12-15"))
    );
    let (s, _) = put(
        &a,
        "operator",
        &format!("/api/permits/{id}"),
        permit("ZZ-001"),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = put(&a, "zf", &format!("/api/permits/{id}"), permit("ZZ-999")).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_permit")),
        "{v}"
    );
    let (s, _) = put(&a, "zf", "/api/permits/98765", permit("ZZ-001")).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    // Revoking: once; then it is out of force and frozen.
    let (s, _) = a
        .post("hw", &format!("/api/permits/{id}/revoke"), json!({}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = a
        .post(
            "zf",
            &format!("/api/permits/{id}/revoke"),
            json!({"reason": 7}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_body")),
        "{v}"
    );
    let (s, v) = a
        .post(
            "zf",
            &format!("/api/permits/{id}/revoke"),
            json!({"reason": "工地停工"}),
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert!(v["revoked_at"].is_string() && v["in_force"] == false, "{v}");
    assert_eq!(
        (v["revoked"].as_bool(), v["revoked_reason"].as_str()),
        (Some(true), Some("工地停工"))
    );
    let (s, v) = a
        .call(
            Some("zf"),
            Method::POST,
            &format!("/api/permits/{id}/revoke"),
            None,
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("permit_revoked"))
    );
    let (s, _) = put(&a, "zf", &format!("/api/permits/{id}"), permit("ZZ-001")).await;
    assert_eq!(s, StatusCode::CONFLICT);
    let (_, v) = a.get("operator", "/api/permits?valid_on=2026-11-24").await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");
    if let Some(s) = &a.schema {
        a.store.drop_schema(s).await.expect("drop");
    }
}

#[tokio::test]
async fn permits_crud_validation_and_roles_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "permits").await else {
            continue;
        };
        permit_story(app_on(store, schema).await).await;
    }
}

#[tokio::test]
async fn every_permit_change_notifies_the_muck_supervisor() {
    let a = app().await;
    // A second router over the same store, whose bus the test listens to.
    let bus = Arc::new(server::bus::LocalBus::new(16));
    let mut rx = server::bus::EventBus::subscribe(bus.as_ref());
    let state = AppState::with_parts(
        a.store.clone(),
        ServerConfig::default(),
        a.clock.clone(),
        bus,
    );
    let router = server::router(state);
    let send = |method: Method, path: String, body: Option<Value>| {
        let mut req = Request::builder().method(method).uri(path).header(
            header::AUTHORIZATION,
            format!("Bearer {}", a.tokens["admin"]),
        );
        let body = match body {
            Some(b) => {
                req = req.header(header::CONTENT_TYPE, "application/json");
                Body::from(b.to_string())
            }
            None => Body::empty(),
        };
        router.clone().oneshot(req.body(body).expect("request"))
    };
    let resp = send(Method::POST, "/api/permits".into(), Some(permit("ZZ-100")))
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = a.store.list_permits(None).await.expect("list")[0].id;
    let resp = send(
        Method::PUT,
        format!("/api/permits/{id}"),
        Some(permit("ZZ-100")),
    )
    .await
    .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    let resp = send(Method::POST, format!("/api/permits/{id}/revoke"), None)
        .await
        .expect("response");
    assert_eq!(resp.status(), StatusCode::OK);
    for _ in 0..3 {
        match rx.try_recv().expect("an event per change") {
            server::bus::BusEvent::PermitsChanged { permit_id } => assert_eq!(permit_id, id),
            other => panic!("unexpected {other:?}"),
        }
    }
    // On the wire (NATS, SSE-internal) it is `permits_changed`.
    let wire =
        serde_json::to_value(server::bus::BusEvent::PermitsChanged { permit_id: 7 }).expect("json");
    assert_eq!(wire, json!({"type": "permits_changed", "permit_id": 7}));
}

fn base64(bytes: &[u8]) -> String {
    const A: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        for i in 0..4 {
            if i <= c.len() {
                out.push(A[(n >> (18 - 6 * i) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

/// A tiny JPEG-signed blob (the server sniffs the magic number only).
fn jpeg(len: usize) -> Vec<u8> {
    let mut b = vec![
        0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
    ];
    b.resize(len, 0x11);
    b
}

async fn webhook(a: &App, key: Option<&str>, body: &str) -> (StatusCode, Value) {
    let mut req = Request::builder()
        .method(Method::POST)
        .uri("/api/ingest/camera-events")
        .header(header::CONTENT_TYPE, "application/json");
    if let Some(k) = key {
        req = req.header("X-Api-Key", k);
    }
    a.send(req.body(Body::from(body.to_owned())).expect("request"))
        .await
}

fn event(camera: &str, event_type: &str, confidence: f64, minutes: i64) -> Value {
    json!({
        "camera_id": camera,
        "event_type": event_type,
        "confidence": confidence,
        "at": t0().plus_minutes(minutes).to_rfc3339(),
    })
}

async fn camera_story(a: App) {
    // Registry: admins register, staff read.
    let cam = json!({"camera_id": "CAM-0001", "name": "桐柏路与中原路口 东向", "lat": 34.7505, "lon": 113.6105, "direction_deg": 90.0});
    let (s, _) = a.post("operator", "/api/cameras", cam.clone()).await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = a.post("admin", "/api/cameras", cam).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let (_, v) = a.get("operator", "/api/cameras").await;
    assert_eq!(v["items"][0]["camera_id"], "CAM-0001", "{v}");
    // The integration account's key.
    let (s, v) = a
        .post(
            "admin",
            "/api/api-keys",
            json!({"name": "AI 视频平台", "user_id": a.ids["operator"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    let key = v["key"].as_str().expect("key").to_owned();
    let key = Some(key.as_str());
    let ok = event("CAM-0001", "occupy_road_business", 0.6, 0).to_string();

    // Authentication: no key or a forged key is 401; a session is not an integration.
    assert_eq!(webhook(&a, None, &ok).await.0, StatusCode::UNAUTHORIZED);
    let (s, v) = webhook(&a, Some("yw_forged"), &ok).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, _) = a
        .post(
            "operator",
            "/api/ingest/camera-events",
            event("CAM-0001", "occupy_road_business", 0.6, 0),
        )
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    // Bad input: each a precise 4xx, nothing stored.
    for (body, status, code) in [
        (
            event("CAM-9999", "occupy_road_business", 0.9, 0).to_string(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        ("{\"camera_id\": ".to_owned(), StatusCode::BAD_REQUEST, "bad_json"),
        (
            json!({"camera_id": "CAM-0001", "confidence": 0.9, "at": "2026-11-24T10:00:00+08:00"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            event("CAM-0001", "occupy_road_business", 1.5, 0).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            json!({"camera_id": "CAM-0001", "event_type": "x", "confidence": 0.9, "at": "yesterday"}).to_string(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_event",
        ),
        (
            {
                let mut e = event("CAM-0001", "exposed_garbage", 0.9, 0);
                e["image"] = json!(base64(b"GIF89a not a jpeg"));
                e.to_string()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_image",
        ),
        (
            {
                let mut e = event("CAM-0001", "exposed_garbage", 0.9, 0);
                e["image"] = json!("not base64 at all!");
                e.to_string()
            },
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_image",
        ),
        (
            {
                // Over the 64 KiB upload limit of the test app.
                let mut e = event("CAM-0001", "exposed_garbage", 0.9, 0);
                e["image"] = json!(base64(&jpeg(80 * 1024)));
                e.to_string()
            },
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
        ),
    ] {
        let (s, v) = webhook(&a, key, &body).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{body:.120} -> {v}"
        );
    }
    let (_, v) = a.get("operator", "/api/cameras/CAM-0001/events").await;
    assert_eq!(v["items"].as_array().map(Vec::len), Some(0), "{v}");

    // Two sightings of one stall two minutes apart: one incident, one alarm (a notice: the
    // confidence is below the auto-case threshold), the class named by vendor type or in Chinese.
    let (s, first) = webhook(&a, key, &ok).await;
    assert_eq!(s, StatusCode::CREATED, "{first}");
    assert_eq!(
        (
            first["decision"].as_str(),
            first["class_code"].as_str(),
            first["alarm_level"].as_str()
        ),
        (Some("new"), Some("09006"), Some("notice")),
        "{first}"
    );
    assert_eq!(first["auto_case"], false);
    let alarm = first["alarm_id"].as_i64().expect("alarm");
    let (s, second) = webhook(&a, key, &event("CAM-0001", "占道经营", 0.7, 2).to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{second}");
    assert_eq!(
        (
            second["decision"].as_str(),
            second["alarm_id"].as_i64(),
            second["count"].as_i64()
        ),
        (Some("merged"), Some(alarm), Some(2)),
        "{second}"
    );
    // Low confidence: stored as dropped, no alarm.
    let (s, low) = webhook(
        &a,
        key,
        &event("CAM-0001", "exposed_garbage", 0.2, 3).to_string(),
    )
    .await;
    assert_eq!(s, StatusCode::CREATED, "{low}");
    assert_eq!(
        (
            low["decision"].as_str(),
            low["reason"].as_str(),
            low["alarm_id"].as_i64()
        ),
        (Some("dropped"), Some("low_confidence"), None),
        "{low}"
    );
    // An unknown type is kept for the record, without an alarm.
    let (_, unknown) = webhook(
        &a,
        key,
        &event("CAM-0001", "ufo_landing", 0.99, 3).to_string(),
    )
    .await;
    assert_eq!(unknown["decision"], "unknown_type", "{unknown}");
    // High confidence, by class code, with a snapshot: a warning alarm that files a case.
    let mut high = event("CAM-0001", "06010", 0.93, 4);
    high["image"] = json!(base64(&jpeg(2048)));
    let (s, high) = webhook(&a, key, &high.to_string()).await;
    assert_eq!(s, StatusCode::CREATED, "{high}");
    assert_eq!(
        (
            high["decision"].as_str(),
            high["class_code"].as_str(),
            high["alarm_level"].as_str(),
            high["auto_case"].as_bool()
        ),
        (Some("new"), Some("06010"), Some("warning"), Some(true)),
        "{high}"
    );
    assert!(high["attachment_id"].is_i64(), "{high}");
    let garbage_alarm = high["alarm_id"].as_i64().expect("alarm");
    assert_ne!(garbage_alarm, alarm);

    // The store: five events, two alarms, the merged pair on one alarm.
    let (_, v) = a.get("operator", "/api/cameras/CAM-0001/events").await;
    let events = v["items"].as_array().expect("items");
    let decisions: Vec<&str> = events
        .iter()
        .filter_map(|e| e["decision"].as_str())
        .collect();
    assert_eq!(
        decisions,
        ["new", "unknown_type", "dropped", "merged", "new"],
        "{v}"
    );
    assert_eq!(events[3]["alarm_id"], json!(alarm));
    assert_eq!(events[4]["alarm_id"], json!(alarm));
    assert_eq!(events[0]["alarm_id"], json!(garbage_alarm));
    let (_, v) = a.get("admin", "/api/alarms?source_kind=camera").await;
    assert_eq!(v["total"], 2, "{v}");
    let (_, v) = a
        .get("admin", &format!("/api/alarms/{garbage_alarm}"))
        .await;
    assert_eq!(
        (
            v["alarm"]["class_code"].as_str(),
            v["alarm"]["level"].as_str(),
            v["alarm"]["rule"].as_str()
        ),
        (Some("06010"), Some("warning"), Some("camera.event:06010")),
        "{v}"
    );
    assert_eq!(
        v["alarm"]["detail"]["snapshots"][0],
        json!(high["attachment_id"].as_i64().expect("id").to_string())
    );
    let (s, _) = a.get("operator", "/api/cameras/CAM-9999/events").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    if let Some(s) = &a.schema {
        a.store.drop_schema(s).await.expect("drop");
    }
}

#[tokio::test]
async fn camera_webhook_authenticates_merges_and_gates_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "camera").await else {
            continue;
        };
        camera_story(app_on(store, schema).await).await;
    }
}

// The city of the coverage test: a 200 m × 111 m community split into two grids at lon MID,
// with one 次干路 (one pass a day) along lat 34.7504 from W to E.
const W: f64 = 113.610;
const MID: f64 = 113.611;
const E: f64 = 113.612;
const S: f64 = 34.750;
const N: f64 = 34.751;

async fn import(a: &App, layer: &str, body: Value) {
    a.import_layer(layer, body).await;
}

async fn add_vehicle(a: &App, plate: &str, kind: &str, phone: &str) -> i64 {
    let (s, v) = a
        .post(
            "admin",
            "/api/vehicles",
            json!({"plate": plate, "kind": kind, "phone": phone}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().expect("id")
}

fn fix(vehicle_id: i64, seconds: i64, lon: f64, lat: f64, speed_kmh: f64) -> Position {
    let at = Timestamp(t0().0 + seconds * 1000);
    Position {
        vehicle_id,
        fix_at: at,
        received_at: at,
        lat,
        lon,
        speed_kmh,
        heading: 90,
        altitude_m: 100,
        alarm: 0,
        // Bit 1: located.
        status: 2,
        mileage_m: None,
        grid_code: None,
        backfill: false,
    }
}

async fn coverage_story(a: App) {
    let rect = |w: f64, e: f64| json!([[[w, S], [e, S], [e, N], [w, N], [w, S]]]);
    let feature = |code: &str, name: &str, coords: Value| {
        json!({"type": "Feature", "properties": {"code": code, "name": name},
               "geometry": {"type": "Polygon", "coordinates": coords}})
    };
    import(
        &a,
        "areas",
        json!({"type": "FeatureCollection", "features": [
            feature("410102", "中原区", rect(W, E)),
            feature("410102001", "林山寨街道", rect(W, E)),
            feature("410102001001", "百花社区", rect(W, E)),
            feature("410102001001001", "百花社区第1网格", rect(W, MID)),
            feature("410102001001002", "百花社区第2网格", rect(MID, E)),
        ]}),
    )
    .await;
    import(
        &a,
        "roads",
        json!({"type": "FeatureCollection", "features": [{"type": "Feature",
            "properties": {"id": "R1", "name": "桐柏路", "class": "次干路", "chief": "roadchief"},
            "geometry": {"type": "LineString", "coordinates": [[W, 34.7504], [E, 34.7504]]}}]}),
    )
    .await;
    // A sweeper sweeps the west half at 6.6 km/h, a fix every 10 s (0.0002° ≈ 18.3 m apart).
    let sweeper = add_vehicle(&a, "豫A·S0001", "sweeper", "13900000001").await;
    let track: Vec<Position> = (0..=5)
        .map(|i| fix(sweeper, 10 * i, W + 0.0002 * i as f64, 34.7504, 6.6))
        .collect();
    // An enforcement vehicle stays in the first grid; a muck truck anywhere counts for neither.
    let patrol = add_vehicle(&a, "豫A·Z0001", "enforcement", "13900000002").await;
    let muck = add_vehicle(&a, "豫A·M0001", "muck_truck", "13900000003").await;
    let mut positions = track;
    positions.extend([
        fix(patrol, 0, 113.6102, 34.7506, 20.0),
        fix(patrol, 60, 113.6104, 34.7506, 20.0),
        fix(muck, 0, 113.6115, 34.7504, 10.0),
        fix(muck, 10, 113.6119, 34.7504, 10.0),
    ]);
    a.store
        .append_positions(&positions)
        .await
        .expect("positions");

    let (s, v) = a
        .get("operator", "/api/sweeping/coverage?day=2026-11-24")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    // Hand-computed: the road is 0.002° of longitude long, the sweeper covered 0.001° of it once;
    // one pass required → 0.5, for the road, its street and the city.
    let road = &v["roads"][0];
    assert_eq!(road["required_passes"], 1, "{road}");
    let length = road["length_m"].as_f64().expect("length");
    let expected_length = 0.002 * 111_320.0 * 34.7504_f64.to_radians().cos();
    assert!(
        (length - expected_length).abs() < 0.01 * expected_length,
        "{length} m"
    );
    let rate = |x: &Value| x["rate"].as_f64().expect("rate");
    assert!((rate(road) - 0.5).abs() < 1e-6, "{road}");
    assert!((road["swept_m"].as_f64().expect("swept") - length / 2.0).abs() < 1e-6);
    assert!((rate(&v["total"]) - 0.5).abs() < 1e-6, "{}", v["total"]);
    let street = v["areas"]
        .as_array()
        .expect("areas")
        .iter()
        .find(|x| x["code"] == "410102001")
        .expect("street row");
    assert_eq!(street["level"], "street");
    assert!((rate(street) - 0.5).abs() < 1e-6, "{street}");
    let vehicles = v["vehicles"].as_array().expect("vehicles");
    assert_eq!(vehicles.len(), 1, "only sweepers: {vehicles:?}");
    assert_eq!(vehicles[0]["plate"], "豫A·S0001");
    assert!((vehicles[0]["in_band_m"].as_f64().expect("m") - length / 2.0).abs() < 0.5);
    // Another day has nothing swept.
    let (_, other) = a
        .get("operator", "/api/sweeping/coverage?day=2026-11-23")
        .await;
    assert_eq!(other["total"]["swept_m"], 0.0, "{other}");

    // Patrol: one of the two grids.
    let (s, v) = a
        .get("operator", "/api/patrol/coverage?day=2026-11-24")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["total"]["grids"].as_i64(),
            v["total"]["patrolled_grids"].as_i64()
        ),
        (Some(2), Some(1)),
        "{v}"
    );
    assert_eq!(v["grids"][0]["code"], "410102001001001", "{v}");
    assert_eq!(v["vehicles"][0]["plate"], "豫A·Z0001", "{v}");

    // Bad days and callers.
    let (s, v) = a
        .get("operator", "/api/sweeping/coverage?day=24.11.2026")
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_query"))
    );
    let (s, _) = a.get("citizen", "/api/patrol/coverage").await;
    assert_eq!(s, StatusCode::FORBIDDEN);

    // Transfer stations: 日产日清.
    let (s, v) = a
        .post(
            "admin",
            "/api/stations",
            json!({"station_id": "ZS-01", "name": "百花中转站", "lat": 34.7505, "lon": 113.6105, "capacity_t": 50.0}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["grid_code"], "410102001001001", "{v}");
    let (s, v) = put(
        &a,
        "hw",
        "/api/stations/ZS-01/tonnage/2026-11-24",
        json!({"in_t": 42.5, "out_t": 40.0}),
    )
    .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(
        (
            v["tonnage"]["cleared"].as_bool(),
            v["tonnage"]["residual_t"].as_f64()
        ),
        (Some(false), Some(2.5)),
        "{v}"
    );
    let (s, _) = put(
        &a,
        "operator",
        "/api/stations/ZS-01/tonnage/2026-11-24",
        json!({"in_t": 1.0, "out_t": 1.0}),
    )
    .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let (s, v) = put(
        &a,
        "hw",
        "/api/stations/ZS-01/tonnage/2026-11-25",
        json!({"in_t": 1.0, "out_t": 1.0}),
    )
    .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_tonnage"))
    );
    let (s, _) = put(
        &a,
        "hw",
        "/api/stations/ZS-99/tonnage/2026-11-24",
        json!({"in_t": 1.0, "out_t": 1.0}),
    )
    .await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, v) = a.get("operator", "/api/stations?day=2026-11-24").await;
    assert_eq!(v["not_cleared"], 1, "{v}");
    put(
        &a,
        "admin",
        "/api/stations/ZS-01/tonnage/2026-11-24",
        json!({"in_t": 42.5, "out_t": 42.5}),
    )
    .await;
    let (_, v) = a.get("operator", "/api/stations").await;
    assert_eq!(
        (
            v["not_cleared"].as_i64(),
            v["items"][0]["tonnage"]["cleared"].as_bool()
        ),
        (Some(0), Some(true)),
        "{v}"
    );
    if let Some(s) = &a.schema {
        a.store.drop_schema(s).await.expect("drop");
    }
}

#[tokio::test]
async fn sweeping_patrol_and_stations_from_stored_data_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "coverage").await else {
            continue;
        };
        coverage_story(app_on(store, schema).await).await;
    }
}

/// Measures the sweeping report of a big day (not a check: run with `--ignored --nocapture`):
/// 50 sweepers reporting every 30 s for 24 h (144,000 positions) over 20 roads of 9 km.
#[tokio::test]
#[ignore = "a measurement, run by hand"]
async fn sweeping_report_of_a_big_day() {
    let a = app().await;
    let (w, e, s, n) = (113.60, 113.70, 34.75, 34.79);
    a.one_grid_city((w, e, s, n)).await;
    let roads: Vec<Value> = (0..20)
        .map(|i| {
            let lat = s + 0.002 * f64::from(i) + 0.001;
            json!({"type": "Feature",
                "properties": {"id": format!("R{i}"), "name": format!("测试路{i}"), "class": "次干路"},
                "geometry": {"type": "LineString", "coordinates": [[w, lat], [e, lat]]}})
        })
        .collect();
    import(
        &a,
        "roads",
        json!({"type": "FeatureCollection", "features": roads}),
    )
    .await;
    let start = Timestamp::parse_rfc3339("2026-11-24T00:00:00+08:00").expect("t");
    for v in 0..50_i64 {
        let id = add_vehicle(
            &a,
            &format!("豫A·S{v:04}"),
            "sweeper",
            &format!("1390000{v:04}"),
        )
        .await;
        let lat = s + 0.002 * (v % 20) as f64 + 0.001;
        let step = 0.000_91;
        let positions: Vec<Position> = (0..2880_i64)
            .map(|k| {
                let x = (k as f64 * step) % 0.2;
                let lon = w + if x > 0.1 { 0.2 - x } else { x };
                let mut p = fix(id, 0, lon, lat, 10.0);
                p.fix_at = Timestamp(start.0 + k * 30_000);
                p.received_at = p.fix_at;
                p
            })
            .collect();
        a.store
            .append_positions(&positions)
            .await
            .expect("positions");
    }
    for round in ["computed", "cached"] {
        let t = std::time::Instant::now();
        let (s, v) = a
            .get("operator", "/api/sweeping/coverage?day=2026-11-24")
            .await;
        assert_eq!(s, StatusCode::OK, "{v}");
        eprintln!(
            "sweeping report, 144,000 positions, {round}: {:?} (rate {})",
            t.elapsed(),
            v["total"]["rate"]
        );
    }
}

async fn add_garbage_truck(a: &App, plate: &str, company: &str, phone: &str) -> i64 {
    let body = json!({"plate": plate, "kind": "garbage_truck", "company": company, "phone": phone});
    let (s, v) = a.post("admin", "/api/vehicles", body).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    v["id"].as_i64().expect("id")
}

/// Garbage collection on 2026-11-24 as of 10:00: a kitchen truck (its company names 厨余)
/// stands a minute at GP-K1 from 09:00, ten seconds at GP-K2 (too short) and a minute at the
/// other-waste point GP-O1 from 09:20 (前分后混); a truck without a category stands a minute at
/// GP-K2 from 09:30; a sweeper standing at GP-R1 is no garbage truck.
async fn garbage_story(a: App) {
    let point = |id: &str, category: &str, lon: f64, lat: f64| store::CollectionPoint {
        point_id: id.into(),
        name: format!("{id}收集点"),
        category: category.into(),
        lat,
        lon,
        grid_code: Some("410102001001001".into()),
    };
    a.store
        .upsert_collection_points(&[
            point("GP-K1", "kitchen", 113.6105, 34.7505),
            point("GP-K2", "kitchen", 113.6115, 34.7505),
            // 0.0003° north of GP-K1: 33 m, out of GP-K1's 30 m.
            point("GP-O1", "other", 113.6105, 34.7508),
            point("GP-R1", "recyclable", 113.6115, 34.7508),
        ])
        .await
        .expect("points");
    let kitchen = add_garbage_truck(&a, "豫A·G0001", "中原区环卫中心（厨余）", "13900000011").await;
    let plain = add_garbage_truck(&a, "豫A·G0002", "中原区环卫中心", "13900000012").await;
    let sweeper = add_vehicle(&a, "豫A·S0009", "sweeper", "13900000013").await;
    let stand = |v: i64, from: i64, secs: &[i64], lon: f64, lat: f64| {
        secs.iter()
            .map(|s| fix(v, from + s, lon, lat, 0.0))
            .collect::<Vec<_>>()
    };
    let mut positions = Vec::new();
    positions.extend(stand(kitchen, -3600, &[0, 30, 60], 113.6105, 34.7505));
    positions.push(fix(kitchen, -3300, 113.6110, 34.7505, 25.0));
    positions.extend(stand(kitchen, -3000, &[0, 10], 113.6115, 34.7505));
    positions.push(fix(kitchen, -2700, 113.6110, 34.7507, 25.0));
    positions.extend(stand(kitchen, -2400, &[0, 30, 60], 113.6105, 34.7508));
    positions.extend(stand(plain, -1800, &[0, 30, 60], 113.6115, 34.7505));
    positions.extend(stand(sweeper, -1800, &[0, 30, 60, 90], 113.6115, 34.7508));
    a.store
        .append_positions(&positions)
        .await
        .expect("positions");

    let (s, v) = a
        .get("operator", "/api/garbage/collection?day=2026-11-24")
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let row = |id: &str| {
        v["points"]
            .as_array()
            .expect("points")
            .iter()
            .find(|p| p["id"] == id)
            .cloned()
            .expect("point row")
    };
    let at = |x: &Value| Timestamp::parse_rfc3339(x.as_str().expect("instant")).expect("rfc3339");
    let k1 = row("GP-K1");
    assert_eq!(k1["visits"].as_array().map(Vec::len), Some(1), "{k1}");
    let visit = &k1["visits"][0];
    assert_eq!(visit["plate"], "豫A·G0001");
    assert_eq!(at(&visit["arrived"]), Timestamp(t0().0 - 3_600_000));
    assert_eq!(at(&visit["departed"]), Timestamp(t0().0 - 3_540_000));
    assert_eq!(
        (visit["dwell_s"].as_f64(), visit["mixed"].as_bool()),
        (Some(60.0), Some(false))
    );
    assert_eq!(k1["grid_code"], "410102001001001");
    assert_eq!(at(&k1["due_at"]), t0(), "kitchen waste is due by 10:00");
    assert_eq!(k1["missed"], false);
    let k2 = row("GP-K2");
    assert_eq!(
        k2["visits"]
            .as_array()
            .expect("visits")
            .iter()
            .map(|x| x["plate"].clone())
            .collect::<Vec<_>>(),
        [json!("豫A·G0002")],
        "the 10 s stop is no visit: {k2}"
    );
    assert_eq!(row("GP-O1")["visits"][0]["mixed"], true);
    let r1 = row("GP-R1");
    assert_eq!(
        (r1["visited"].as_bool(), r1["missed"].as_bool()),
        (Some(false), Some(false)),
        "{r1}"
    );
    assert_eq!(r1["due_at"], Value::Null);
    // Coverage per category, hand-computed: kitchen 2/2, other 1/1, recyclable 0/1, no
    // hazardous points; the city 3/4.
    let rates: Vec<(Value, Value)> = v["categories"]
        .as_array()
        .expect("categories")
        .iter()
        .map(|c| (c["category"].clone(), c["rate"].clone()))
        .collect();
    assert_eq!(
        rates,
        [
            (json!("kitchen"), json!(1.0)),
            (json!("other"), json!(1.0)),
            (json!("recyclable"), json!(0.0)),
            (json!("hazardous"), Value::Null),
        ]
    );
    assert_eq!(
        v["total"],
        json!({"points": 4, "visited_points": 3, "missed_points": 0, "rate": 0.75,
               "visits": 3, "mixed_visits": 1, "mixed_trucks": 1}),
    );
    let trucks = v["vehicles"].as_array().expect("vehicles");
    assert_eq!(trucks.len(), 2, "garbage trucks only: {trucks:?}");
    let g1 = trucks
        .iter()
        .find(|t| t["plate"] == "豫A·G0001")
        .expect("G0001");
    assert_eq!(
        (
            &g1["declared_category"],
            &g1["categories"],
            &g1["mixed"],
            &g1["vehicle_id"]
        ),
        (
            &json!("kitchen"),
            &json!(["kitchen", "other"]),
            &json!(true),
            &json!(kitchen)
        ),
        "{g1}"
    );
    assert_eq!(
        g1["visits"]
            .as_array()
            .expect("visits")
            .iter()
            .map(|x| (x["point_id"].clone(), x["mixed"].clone()))
            .collect::<Vec<_>>(),
        [
            (json!("GP-K1"), json!(false)),
            (json!("GP-O1"), json!(true))
        ]
    );
    let g2 = trucks
        .iter()
        .find(|t| t["plate"] == "豫A·G0002")
        .expect("G0002");
    assert_eq!(
        (&g2["declared_category"], &g2["category"]),
        (&Value::Null, &json!("kitchen")),
        "{g2}"
    );

    // The day before: nothing visited; kitchen and other waste are past due (3 points).
    let (_, v) = a
        .get("operator", "/api/garbage/collection?day=2026-11-23")
        .await;
    assert_eq!(
        (
            v["total"]["visits"].as_i64(),
            v["total"]["missed_points"].as_i64()
        ),
        (Some(0), Some(3)),
        "{v}"
    );
    let (s, v) = a
        .get("operator", "/api/garbage/collection?day=2026-13-01")
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid_query"))
    );
    let (s, _) = a.get("citizen", "/api/garbage/collection").await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    if let Some(s) = &a.schema {
        a.store.drop_schema(s).await.expect("drop");
    }
}

#[tokio::test]
async fn garbage_collection_from_stored_data_on_every_backend() {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, "garbage").await else {
            continue;
        };
        garbage_story(app_on(store, schema).await).await;
    }
}
