//! Black-box tests of the HTTP API: the whole loop over HTTP on SQLite and PostgreSQL, the RBAC
//! matrix, optimistic concurrency, bad input (each a precise 4xx, nothing half-written), photo
//! uploads, sessions and the live event stream.
//!
//! Router tests use `oneshot` (no sockets); the SSE test binds 127.0.0.1:0.
//! PostgreSQL runs when reachable (`YIWANG_TEST_PG_URL`, default postgres://root@127.0.0.1/test);
//! `YIWANG_REQUIRE_PG=1` (set by `.ci/run`) makes its absence a failure.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use domain::area::AreaCode;
use domain::org::{DepartmentType, Role, RoleGrant};
use domain::time::Timestamp;
use serde_json::{Value, json};
use server::clock::ManualClock;
use server::{AppState, ServerConfig, auth};
use store::{Area, ConnectOptions, NewDepartment, NewUser, Store};
use tower::ServiceExt;

mod alarms;
mod assessment;
mod breakdown;
mod camera_retry;
mod citizens;
mod city;
mod collection_routes;
mod cycle;
mod device_cases;
mod duplicates;
mod escalation;
mod garbage_cases;
mod intake;
mod notify;
mod open311;
mod otp_nodes;
mod supervision;
mod volunteers;
mod webhook_tls;

const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00, 0x00, 0x90, 0x77, 0x53,
    0xDE, 0x00, 0x00, 0x00, 0x0C, 0x49, 0x44, 0x41, 0x54, 0x08, 0xD7, 0x63, 0x98, 0x65, 0x6A, 0x0A,
    0x00, 0x02, 0xA4, 0x01, 0x37, 0x32, 0x6A, 0xC0, 0x22, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E,
    0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// Tuesday 2026-11-24 10:00 Asia/Shanghai.
fn t0() -> Timestamp {
    Timestamp::parse_rfc3339("2026-11-24T10:00:00+08:00").expect("time")
}

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("code")
}

struct App {
    router: Router,
    /// The state behind the router (for workers such as the notifier).
    state: AppState,
    store: Store,
    clock: Arc<ManualClock>,
    tokens: HashMap<&'static str, String>,
    ids: HashMap<&'static str, i64>,
    depts: HashMap<&'static str, i64>,
    _dir: tempfile::TempDir,
    schema: Option<String>,
}

/// Users of the test world: (name, role, area, department key).
const PEOPLE: &[(&str, Role, Option<&str>, Option<&str>)] = &[
    ("admin", Role::Admin, None, None),
    ("leader", Role::Leader, Some("410102"), None),
    ("operator", Role::Operator, Some("410102"), None),
    ("operator_s2", Role::Operator, Some("410102002"), None),
    ("supervisor", Role::ShiftSupervisor, Some("410102"), None),
    ("dispatcher", Role::Dispatcher, Some("410102"), None),
    ("dispatcher_s2", Role::Dispatcher, Some("410102002"), None),
    ("hw", Role::DepartmentHandler, None, Some("hw")),
    ("sz", Role::DepartmentHandler, None, Some("sz")),
    ("inspector", Role::Inspector, Some("410102001"), None),
    ("inspector_s2", Role::Inspector, Some("410102002"), None),
    ("citizen", Role::Citizen, None, None),
    ("citizen2", Role::Citizen, None, None),
    ("volunteer", Role::Volunteer, None, None),
    ("roadchief", Role::RoadChief, Some("410102001"), None),
];

async fn open_store(pg: bool, tag: &str) -> Option<(Store, Option<String>)> {
    if !pg {
        return Some((
            Store::open(&ConnectOptions::new("sqlite::memory:"))
                .await
                .expect("sqlite"),
            None,
        ));
    }
    let url = std::env::var("YIWANG_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://root@127.0.0.1:5432/test".into());
    let schema = format!("it_{tag}_{}", std::process::id());
    let mut opts = ConnectOptions::new(url.clone());
    opts.pg_schema = Some(schema.clone());
    opts.max_connections = 4;
    match Store::open(&opts).await {
        Ok(s) => Some((s, Some(schema))),
        Err(e) => {
            assert!(
                std::env::var("YIWANG_REQUIRE_PG").is_err(),
                "PostgreSQL required but not reachable at {url}: {e}"
            );
            eprintln!("skipped: PostgreSQL not reachable at {url} ({e})");
            None
        }
    }
}

async fn app_on(store: Store, schema: Option<String>) -> App {
    let now = t0();
    server::bootstrap::seed_defaults(&store, now)
        .await
        .expect("seed");
    let areas = [
        ("410102", "中原区"),
        ("410102001", "林山寨街道"),
        ("410102001001", "百花社区"),
        ("410102001001001", "百花社区第1网格"),
        ("410102002", "建设路街道"),
        ("410102002001", "省五建社区"),
        ("410102002001001", "省五建社区第1网格"),
    ];
    let areas: Vec<Area> = areas
        .iter()
        .map(|(c, n)| Area {
            code: code(c),
            parent_code: code(c).parent(),
            name: (*n).into(),
        })
        .collect();
    store.upsert_areas(&areas, now).await.expect("areas");
    let mut depts = HashMap::new();
    for (key, c, n, t) in [
        ("hw", "HW", "环卫中心", DepartmentType::Sanitation),
        ("sz", "SZ", "市政所", DepartmentType::Municipal),
    ] {
        let d = store
            .create_department(
                &NewDepartment {
                    code: c.into(),
                    name: n.into(),
                    dept_type: t,
                    areas: vec![code("410102")],
                },
                now,
            )
            .await
            .expect("dept");
        depts.insert(key, d.id);
    }
    let mut tokens = HashMap::new();
    let mut ids = HashMap::new();
    let hash = auth::hash_password("correct horse").expect("hash");
    for (name, role, area, dept) in PEOPLE {
        let grant = RoleGrant {
            role: *role,
            area: area.map(code),
            department_id: dept.map(|d| depts[d]),
        };
        let id = store
            .create_user(
                &NewUser {
                    username: (*name).into(),
                    display_name: (*name).into(),
                    phone: Some("13812345678".into()),
                    password_hash: hash.clone(),
                    grants: vec![grant],
                },
                now,
            )
            .await
            .expect("user");
        let token = auth::new_token();
        store
            .create_session(
                &auth::token_hash(&token),
                id,
                now,
                now.plus_minutes(60 * 24 * 30),
            )
            .await
            .expect("session");
        tokens.insert(*name, token);
        ids.insert(*name, id);
    }
    let dir = tempfile::tempdir().expect("tmp");
    let config = ServerConfig {
        attachments_dir: dir.path().join("att"),
        max_upload_bytes: 64 * 1024,
        ..ServerConfig::default()
    };
    let clock = Arc::new(ManualClock::new(now));
    let state = AppState::with_parts(
        store.clone(),
        config,
        clock.clone(),
        Arc::new(server::bus::LocalBus::new(256)),
    );
    App {
        router: server::router(state.clone()),
        state,
        store,
        clock,
        tokens,
        ids,
        depts,
        _dir: dir,
        schema,
    }
}

/// Runs `story` on a fresh app on SQLite, then on PostgreSQL when it is reachable (a fresh
/// schema, dropped afterwards), saying which passed.
async fn on_every_backend(tag: &str, what: &str, story: impl AsyncFn(&App)) {
    for pg in [false, true] {
        let Some((store, schema)) = open_store(pg, tag).await else {
            continue;
        };
        let a = app_on(store, schema).await;
        story(&a).await;
        if let Some(s) = &a.schema {
            a.store.drop_schema(s).await.expect("drop");
        }
        eprintln!(
            "{what} passed on {}",
            if pg { "postgres" } else { "sqlite" }
        );
    }
}

async fn app() -> App {
    let (store, schema) = open_store(false, "x").await.expect("sqlite");
    app_on(store, schema).await
}

impl App {
    async fn call(
        &self,
        who: Option<&str>,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(w) = who {
            req = req.header(header::AUTHORIZATION, format!("Bearer {}", self.tokens[w]));
        }
        let req = match body {
            Some(b) => req
                .header(header::CONTENT_TYPE, "application/json")
                .body(Body::from(b.to_string())),
            None => req.body(Body::empty()),
        }
        .expect("request");
        self.send(req).await
    }

    async fn send(&self, req: Request<Body>) -> (StatusCode, Value) {
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        let v = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, v)
    }

    async fn get(&self, who: &str, path: &str) -> (StatusCode, Value) {
        self.call(Some(who), Method::GET, path, None).await
    }

    async fn post(&self, who: &str, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Some(who), Method::POST, path, Some(body)).await
    }

    async fn upload(&self, who: &str, bytes: &[u8], content_type: &str) -> (StatusCode, Value) {
        let boundary = "XyZ123boundary";
        let mut body = Vec::new();
        body.extend_from_slice(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"p.png\"\r\nContent-Type: {content_type}\r\n\r\n").as_bytes());
        body.extend_from_slice(bytes);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let req = Request::builder()
            .method(Method::POST)
            .uri("/api/attachments")
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[who]),
            )
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    async fn photo(&self, who: &str) -> i64 {
        let (s, v) = self.upload(who, PNG, "image/png").await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["id"].as_i64().expect("id")
    }

    /// Reports as `who` in `grid`, returns the case id.
    async fn report(&self, who: &str, source: &str, grid: &str) -> i64 {
        let photo = self.photo(who).await;
        let mut body = json!({"source": source, "description": "路口有成堆垃圾", "area_code": grid, "attachments": [photo], "lat": 34.75, "lon": 113.61});
        if source == "inspector" {
            body["class_code"] = json!("06010");
        }
        let (s, v) = self.post(who, "/api/cases", body).await;
        assert_eq!(s, StatusCode::CREATED, "{v}");
        v["case"]["id"].as_i64().expect("id")
    }

    async fn act(&self, who: &str, id: i64, body: Value) -> (StatusCode, Value) {
        self.post(who, &format!("/api/cases/{id}/actions"), body)
            .await
    }

    async fn ok(&self, who: &str, id: i64, body: Value) -> Value {
        let (s, v) = self.act(who, id, body.clone()).await;
        assert_eq!(s, StatusCode::OK, "{who} {body} -> {v}");
        v
    }

    async fn case(&self, id: i64) -> Value {
        let (s, v) = self.get("admin", &format!("/api/cases/{id}")).await;
        assert_eq!(s, StatusCode::OK, "{v}");
        v
    }

    /// 发核实 by the operator, then 核实 (confirmed, with a photo) by the inspector.
    async fn verify_on_site(&self, id: i64) {
        let insp = self.ids["inspector"];
        self.ok(
            "operator",
            id,
            json!({"action": "send_verify", "inspector_id": insp}),
        )
        .await;
        let p = self.photo("inspector").await;
        self.ok(
            "inspector",
            id,
            json!({"action": "verify", "confirmed": true, "attachments": [p]}),
        )
        .await;
    }

    /// From a fresh report to 待签收 at the sanitation department: verified on site, filed as
    /// 06010 (暴露垃圾), dispatched.
    async fn verify_file_dispatch(&self, id: i64) {
        self.verify_on_site(id).await;
        self.ok(
            "supervisor",
            id,
            json!({"action": "file", "class_code": "06010"}),
        )
        .await;
        self.ok(
            "dispatcher",
            id,
            json!({"action": "dispatch", "department_id": self.depts["hw"]}),
        )
        .await;
    }

    /// From handling to pending close: `dept` feeds back with a photo, the operator sends the
    /// check, the inspector passes it with a photo.
    async fn feedback_and_check(&self, id: i64, dept: &str) {
        let p = self.photo(dept).await;
        self.ok(
            dept,
            id,
            json!({"action": "feedback", "note": "已清运", "attachments": [p]}),
        )
        .await;
        let insp = self.ids["inspector"];
        self.ok(
            "operator",
            id,
            json!({"action": "send_check", "inspector_id": insp}),
        )
        .await;
        let p = self.photo("inspector").await;
        self.ok(
            "inspector",
            id,
            json!({"action": "check", "passed": true, "attachments": [p]}),
        )
        .await;
    }

    /// `GET path` as `who`: status, content type and the raw body.
    async fn raw_get(&self, who: &str, path: &str) -> (StatusCode, String, Vec<u8>) {
        let req = Request::builder()
            .method(Method::GET)
            .uri(path)
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens[who]),
            )
            .body(Body::empty())
            .expect("request");
        let resp = self.router.clone().oneshot(req).await.expect("response");
        let status = resp.status();
        let ct = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        let bytes = axum::body::to_bytes(resp.into_body(), 10 << 20)
            .await
            .expect("body");
        (status, ct, bytes.to_vec())
    }

    /// Imports a map layer (`areas`, `roads`, …) as the admin.
    async fn import_layer(&self, layer: &str, body: Value) {
        let req = Request::builder()
            .method(Method::POST)
            .uri(format!("/api/layers/{layer}"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", self.tokens["admin"]),
            )
            .body(Body::from(body.to_string()))
            .expect("request");
        let (s, v) = self.send(req).await;
        assert_eq!(s, StatusCode::OK, "{layer}: {v}");
    }

    /// One district → street → community → grid (百花社区第1网格, `410102001001001`), all over
    /// the rectangle (west, east, south, north), so points inside it are located.
    async fn one_grid_city(&self, (w, e, s, n): (f64, f64, f64, f64)) {
        let rect = json!([[[w, s], [e, s], [e, n], [w, n], [w, s]]]);
        let features: Vec<Value> = [
            ("410102", "中原区"),
            ("410102001", "林山寨街道"),
            ("410102001001", "百花社区"),
            ("410102001001001", "百花社区第1网格"),
        ]
        .iter()
        .map(|(code, name)| {
            json!({"type": "Feature", "properties": {"code": code, "name": name},
                   "geometry": {"type": "Polygon", "coordinates": rect}})
        })
        .collect();
        self.import_layer(
            "areas",
            json!({"type": "FeatureCollection", "features": features}),
        )
        .await;
    }

    async fn event_count(&self, id: i64) -> usize {
        self.store.case_events(id).await.expect("events").len()
    }
}

/// Drives one citizen report through every main step of the loop over HTTP.
async fn full_loop(a: &App) {
    let id = a.report("citizen", "citizen_app", "410102001001001").await;
    let insp = a.ids["inspector"];
    a.ok(
        "operator",
        id,
        json!({"action": "send_verify", "inspector_id": insp}),
    )
    .await;
    let p = a.photo("inspector").await;
    a.ok(
        "inspector",
        id,
        json!({"action": "verify", "confirmed": true, "attachments": [p]}),
    )
    .await;
    a.ok(
        "supervisor",
        id,
        json!({"action": "file", "class_code": "06010", "urgency": "high"}),
    )
    .await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts["sz"]}),
    )
    .await;
    a.ok(
        "sz",
        id,
        json!({"action": "request_return", "note": "非本单位职责"}),
    )
    .await;
    a.ok("dispatcher", id, json!({"action": "approve_return"}))
        .await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts["hw"]}),
    )
    .await;
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.ok(
        "hw",
        id,
        json!({"action": "request_extension", "minutes": 60, "note": "车辆维修"}),
    )
    .await;
    let v = a
        .ok("dispatcher", id, json!({"action": "approve_extension"}))
        .await;
    assert_eq!(v["case"]["node_limit_minutes"], json!(180));
    let p = a.photo("hw").await;
    a.ok(
        "hw",
        id,
        json!({"action": "feedback", "note": "已清运", "attachments": [p]}),
    )
    .await;
    a.ok(
        "operator",
        id,
        json!({"action": "send_check", "inspector_id": insp}),
    )
    .await;
    let p = a.photo("inspector").await;
    a.ok(
        "inspector",
        id,
        json!({"action": "check", "passed": true, "attachments": [p]}),
    )
    .await;
    let v = a.ok("supervisor", id, json!({"action": "close"})).await;
    assert_eq!(v["case"]["state"], "closed");
    assert_eq!(v["case"]["light"], Value::Null);
    let d = a.case(id).await;
    let actions: Vec<&str> = d["events"]
        .as_array()
        .expect("events")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert_eq!(
        actions,
        [
            "report",
            "send_verify",
            "verify",
            "file",
            "dispatch",
            "request_return",
            "approve_return",
            "dispatch",
            "accept_task",
            "request_extension",
            "approve_extension",
            "feedback",
            "send_check",
            "check",
            "close"
        ]
    );
    // The citizen sees the result of their report.
    let (s, v) = a.get("citizen", &format!("/api/cases/{id}")).await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v["case"]["state"], "closed");
}

#[tokio::test]
async fn full_loop_over_http_on_every_backend() {
    on_every_backend("loop", "full loop", full_loop).await;
}

#[tokio::test]
async fn branches_suspension_rework_void_supervision_duplicates_self_handling() {
    let a = app().await;
    // Suspension stops the clock; resume restarts it.
    let id = a.report("inspector", "inspector", "410102001001001").await;
    a.ok("supervisor", id, json!({"action": "file"})).await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts["hw"]}),
    )
    .await;
    a.ok("hw", id, json!({"action": "accept_task"})).await;
    a.ok(
        "hw",
        id,
        json!({"action": "request_suspension", "note": "需协调产权单位"}),
    )
    .await;
    let v = a
        .ok("dispatcher", id, json!({"action": "approve_suspension"}))
        .await;
    assert_eq!(v["case"]["state"], "suspended");
    assert_eq!(v["case"]["deadline_at"], Value::Null);
    a.clock.advance_minutes(60 * 24 * 3);
    let v = a.ok("dispatcher", id, json!({"action": "resume"})).await;
    assert_eq!(v["case"]["state"], "handling");
    assert_eq!(
        v["case"]["light"], "green",
        "the clock did not run while suspended"
    );
    // Rework goes back to the same department.
    let p = a.photo("hw").await;
    a.ok(
        "hw",
        id,
        json!({"action": "feedback", "note": "已处置", "attachments": [p]}),
    )
    .await;
    a.ok(
        "operator",
        id,
        json!({"action": "send_check", "inspector_id": a.ids["inspector"]}),
    )
    .await;
    let p = a.photo("inspector").await;
    a.ok(
        "inspector",
        id,
        json!({"action": "check", "passed": false, "attachments": [p]}),
    )
    .await;
    let (s, v) = a.act("supervisor", id, json!({"action": "close"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let v = a
        .ok(
            "supervisor",
            id,
            json!({"action": "rework", "note": "未清理干净"}),
        )
        .await;
    assert_eq!(
        (
            v["case"]["state"].as_str(),
            v["case"]["rework_count"].as_i64()
        ),
        (Some("dispatched"), Some(1))
    );
    assert_eq!(v["case"]["department_id"].as_i64(), Some(a.depts["hw"]));
    // Supervision by a leader escalates; red light first.
    a.clock.advance_minutes(60 * 24 * 10);
    let (_, list) = a.get("leader", "/api/cases?light=red").await;
    assert!(
        list["items"]
            .as_array()
            .expect("items")
            .iter()
            .any(|c| c["id"] == json!(id))
    );
    let v = a
        .ok(
            "leader",
            id,
            json!({"action": "supervise", "note": "请加快"}),
        )
        .await;
    assert_eq!(v["case"]["supervision_level"], json!(1));
    // Void with approval.
    a.ok(
        "operator",
        id,
        json!({"action": "request_void", "note": "重复立案"}),
    )
    .await;
    let (s, v) = a.act("hw", id, json!({"action": "accept_task"})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::CONFLICT, Some("request_pending"))
    );
    let v = a
        .ok("supervisor", id, json!({"action": "approve_void"}))
        .await;
    assert_eq!(v["case"]["state"], "voided");
    // Duplicates follow their master.
    let master = a.report("citizen", "citizen_app", "410102001001001").await;
    let dup = a.report("citizen2", "citizen_app", "410102001001001").await;
    a.ok(
        "operator",
        dup,
        json!({"action": "link_duplicate", "master_case_id": master}),
    )
    .await;
    let (s, v) = a.get("citizen2", &format!("/api/cases/{master}")).await;
    assert_eq!(
        s,
        StatusCode::OK,
        "a duplicate's reporter follows the master: {v}"
    );
    assert_eq!(a.case(master).await["duplicates"][0]["id"], json!(dup));
    // Self-handled inspector report goes straight to closing.
    let p = a.photo("inspector").await;
    let (s, v) = a.post("inspector", "/api/cases", json!({"source": "inspector", "description": "小广告已自行清除", "area_code": "410102001001001", "class_code": "07001", "self_handled": true, "attachments": [p]})).await;
    assert_eq!(s, StatusCode::CREATED, "{v}");
    assert_eq!(v["case"]["state"], "pending_close");
    let id = v["case"]["id"].as_i64().expect("id");
    a.ok("supervisor", id, json!({"action": "close"})).await;
}

#[tokio::test]
async fn rbac_matrix_visibility_and_actions() {
    let a = app().await;
    let s1 = a.report("citizen", "citizen_app", "410102001001001").await;
    let s2 = a.report("citizen2", "citizen_app", "410102002001001").await;
    // Who sees which case in lists and details: (user, sees s1, sees s2).
    let expected: &[(&str, bool, bool)] = &[
        ("admin", true, true),
        ("leader", true, true),
        ("operator", true, true),
        ("operator_s2", false, true),
        ("supervisor", true, true),
        ("dispatcher_s2", false, true),
        ("hw", false, false),
        ("sz", false, false),
        ("inspector", true, false),
        ("inspector_s2", false, true),
        ("citizen", true, false),
        ("citizen2", false, true),
        ("volunteer", false, false),
        ("roadchief", true, false),
    ];
    for (who, v1, v2) in expected {
        let (_, list) = a.get(who, "/api/cases?limit=100").await;
        let ids: Vec<i64> = list["items"]
            .as_array()
            .expect("items")
            .iter()
            .filter_map(|c| c["id"].as_i64())
            .collect();
        assert_eq!(
            (ids.contains(&s1), ids.contains(&s2)),
            (*v1, *v2),
            "list visibility of {who}"
        );
        for (id, vis) in [(s1, *v1), (s2, *v2)] {
            let (s, _) = a.get(who, &format!("/api/cases/{id}")).await;
            assert_eq!(
                s == StatusCode::OK,
                vis,
                "detail visibility of case {id} for {who}: {s}"
            );
            if !vis {
                assert_eq!(s, StatusCode::NOT_FOUND);
            }
        }
    }
    // Contacts: masked for the inspector, visible to the operator and the reporter.
    let (_, v) = a.get("inspector", &format!("/api/cases/{s1}")).await;
    assert_eq!(v["case"]["reporter_phone"], "138****5678");
    let (_, v) = a.get("operator", &format!("/api/cases/{s1}")).await;
    assert_eq!(v["case"]["reporter_phone"], "13812345678");
    // Actions: each role only its own steps, and only in scope.
    let (s, v) = a
        .act(
            "operator_s2",
            s1,
            json!({"action": "send_verify", "inspector_id": a.ids["inspector"]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "out of area: not even visible {v}"
    );
    let (s, v) = a
        .act(
            "supervisor",
            s1,
            json!({"action": "send_verify", "inspector_id": a.ids["inspector"]}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
    let (s, v) = a
        .act(
            "operator",
            s1,
            json!({"action": "send_verify", "inspector_id": a.ids["inspector_s2"]}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("unknown_inspector")),
        "inspector of another street"
    );
    a.ok(
        "operator",
        s1,
        json!({"action": "send_verify", "inspector_id": a.ids["inspector"]}),
    )
    .await;
    let p = a.photo("inspector_s2").await;
    let (s, _) = a
        .act(
            "inspector_s2",
            s1,
            json!({"action": "verify", "confirmed": true, "attachments": [p]}),
        )
        .await;
    assert_eq!(
        s,
        StatusCode::NOT_FOUND,
        "an inspector who was not sent cannot verify"
    );
    let p = a.photo("inspector").await;
    a.ok(
        "inspector",
        s1,
        json!({"action": "verify", "confirmed": true, "attachments": [p]}),
    )
    .await;
    a.ok(
        "supervisor",
        s1,
        json!({"action": "file", "class_code": "06010"}),
    )
    .await;
    a.ok(
        "dispatcher",
        s1,
        json!({"action": "dispatch", "department_id": a.depts["hw"]}),
    )
    .await;
    // Department A's handler acts; department B's handler cannot even see it.
    let (s, _) = a.act("sz", s1, json!({"action": "accept_task"})).await;
    assert_eq!(s, StatusCode::NOT_FOUND);
    let (_, list) = a.get("sz", "/api/cases").await;
    assert!(list["items"].as_array().expect("items").is_empty());
    let (_, list) = a.get("hw", "/api/cases").await;
    assert_eq!(list["items"].as_array().expect("items").len(), 1);
    let (s, _) = a
        .act("dispatcher", s1, json!({"action": "accept_task"}))
        .await;
    assert_eq!(s, StatusCode::FORBIDDEN);
    let d = a.get("hw", &format!("/api/cases/{s1}")).await.1;
    assert_eq!(
        d["available_actions"],
        json!(["accept_task", "request_return"])
    );
    a.ok("hw", s1, json!({"action": "accept_task"})).await;
    // Admin-only endpoints.
    for who in ["operator", "leader", "hw", "citizen"] {
        let (s, _) = a.get(who, "/api/users").await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} listing users");
        let (s, _) = a.call(Some(who), Method::PUT, "/api/config/node-limits", Some(json!({"accept":1,"verify":1,"file":1,"dispatch":1,"sign":1,"send_check":1,"check":1,"close":1,"suspended":1}))).await;
        assert_eq!(s, StatusCode::FORBIDDEN, "{who} editing limits");
    }
    let (s, _) = a.get("admin", "/api/users").await;
    assert_eq!(s, StatusCode::OK);
    // Channels: a citizen cannot pose as the hotline.
    let (s, v) = a
        .post(
            "citizen",
            "/api/cases",
            json!({"source": "hotline_12319", "description": "x", "area_code": "410102001"}),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::FORBIDDEN, Some("forbidden"))
    );
}

#[tokio::test]
async fn concurrent_conflicting_actions_exactly_one_wins() {
    let a = app().await;
    let id = a.report("inspector", "inspector", "410102001001001").await;
    let file = a.act(
        "supervisor",
        id,
        json!({"action": "file", "expected_version": 1}),
    );
    let reject = a.act(
        "supervisor",
        id,
        json!({"action": "reject", "note": "重复", "expected_version": 1}),
    );
    let ((s1, v1), (s2, v2)) = tokio::join!(file, reject);
    let statuses = [s1, s2];
    assert_eq!(
        statuses.iter().filter(|s| **s == StatusCode::OK).count(),
        1,
        "{v1} {v2}"
    );
    let loser = if s1 == StatusCode::OK { &v2 } else { &v1 };
    assert_eq!(loser["error"]["code"], "version_conflict");
    let current = &loser["error"]["current"];
    let now = a.case(id).await;
    assert_eq!(
        current["state"], now["case"]["state"],
        "the 409 carries the case as it now is"
    );
    assert_eq!(a.event_count(id).await, 2);
    // A stale expected_version is refused before anything is written.
    let (s, v) = a
        .act(
            "dispatcher",
            id,
            json!({"action": "dispatch", "department_id": a.depts["hw"], "expected_version": 1}),
        )
        .await;
    if now["case"]["state"] == "pending_dispatch" {
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (StatusCode::CONFLICT, Some("version_conflict"))
        );
    }
    // Many racers on the same step: still exactly one.
    let id = a.report("inspector", "inspector", "410102001001001").await;
    let futs: Vec<_> = (0..8)
        .map(|_| a.act("supervisor", id, json!({"action": "file"})))
        .collect();
    let results = futures_util::future::join_all(futs).await;
    let wins = results.iter().filter(|(s, _)| *s == StatusCode::OK).count();
    assert_eq!(wins, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|(s, _)| *s == StatusCode::OK || *s == StatusCode::CONFLICT),
        "{results:?}"
    );
    assert_eq!(a.event_count(id).await, 2);
}

#[tokio::test]
async fn bad_input_gets_precise_errors_and_writes_nothing() {
    let a = app().await;
    let id = a.report("citizen", "citizen_app", "410102001001001").await;
    let before = (
        a.case(id).await["case"]["version"].clone(),
        a.event_count(id).await,
    );
    let req = |body: &str| {
        Request::builder()
            .method(Method::POST)
            .uri(format!("/api/cases/{id}/actions"))
            .header(
                header::AUTHORIZATION,
                format!("Bearer {}", a.tokens["operator"]),
            )
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_owned()))
            .expect("req")
    };
    let cases: Vec<(Request<Body>, StatusCode, &str)> = vec![
        (req("{\"action\": "), StatusCode::BAD_REQUEST, "bad_json"),
        (
            req("{\"action\": \"send_verify\", \"bogus\": 1}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid_body",
        ),
        (
            req("{\"action\": \"fly\"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_action",
        ),
        (
            req("{\"action\": \"send_verify\"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            req("{\"action\": \"send_verify\", \"inspector_id\": 99999}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_inspector",
        ),
        (
            req("{\"action\": \"reject_report\"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            req("{\"action\": \"reject_report\", \"note\": \"   \"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "missing_field",
        ),
        (
            req("{\"action\": \"close\"}"),
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            req("{\"action\": \"dispatch\", \"department_id\": 1}"),
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            req("{\"action\": \"send_check\", \"inspector_id\": 1}"),
            StatusCode::CONFLICT,
            "invalid_transition",
        ),
        (
            req("{\"action\": \"accept\"}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "invalid",
        ),
        (
            req("{\"action\": \"send_verify\", \"inspector_id\": 1, \"attachments\": [999999]}"),
            StatusCode::UNPROCESSABLE_ENTITY,
            "unknown_inspector",
        ),
    ];
    for (r, status, code) in cases {
        let (s, v) = a.send(r).await;
        assert_eq!(
            (s, v["error"]["code"].as_str()),
            (status, Some(code)),
            "{v}"
        );
        assert!(
            v["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty())
        );
    }
    // An attachment that does not exist: the workflow allows the step, the store refuses it whole.
    let (s, v) = a.act("operator", id, json!({"action": "send_verify", "inspector_id": a.ids["inspector"], "attachments": [999999]})).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNPROCESSABLE_ENTITY, Some("invalid"))
    );
    let after = (
        a.case(id).await["case"]["version"].clone(),
        a.event_count(id).await,
    );
    assert_eq!(before, after, "nothing half-written");
    // Reports: unknown area, class, source; bad points; too long text.
    let bad_reports = [
        (
            json!({"source": "citizen_app", "description": "x", "area_code": "999999"}),
            "unknown_area",
        ),
        (
            json!({"source": "citizen_app", "description": "x", "area_code": "41010"}),
            "invalid_area_code",
        ),
        (
            json!({"source": "citizen_app", "description": "x", "area_code": "410102", "class_code": "99999"}),
            "unknown_class",
        ),
        (
            json!({"source": "pigeon", "description": "x", "area_code": "410102"}),
            "unknown_source",
        ),
        (
            json!({"source": "citizen_app", "description": "x", "area_code": "410102", "lat": 134.0, "lon": 113.6}),
            "invalid_point",
        ),
        (
            json!({"source": "citizen_app", "description": "x", "area_code": "410102", "lat": 34.0}),
            "invalid_point",
        ),
        (
            json!({"source": "citizen_app", "description": "长".repeat(2001), "area_code": "410102"}),
            "too_long",
        ),
        (
            json!({"source": "citizen_app", "description": "  ", "area_code": "410102"}),
            "missing_field",
        ),
        (
            json!({"source": "citizen_app", "description": "x"}),
            "missing_field",
        ),
    ];
    let count_before = a
        .store
        .count_cases(
            &store::CaseFilter::default(),
            &domain::policy::Visibility {
                all: true,
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("count");
    for (body, code) in bad_reports {
        let (s, v) = a.post("citizen", "/api/cases", body.clone()).await;
        assert_eq!(v["error"]["code"].as_str(), Some(code), "{body} -> {s} {v}");
        assert!(s.is_client_error());
    }
    let count_after = a
        .store
        .count_cases(
            &store::CaseFilter::default(),
            &domain::policy::Visibility {
                all: true,
                ..Default::default()
            },
            t0(),
        )
        .await
        .expect("count");
    assert_eq!(count_before, count_after);
    // Uploads: not an image, too large, empty, missing field.
    let (s, v) = a
        .upload("citizen", b"GIF89a not allowed", "image/gif")
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            Some("unsupported_media_type")
        )
    );
    let (s, v) = a
        .upload("citizen", b"%PDF-1.4 pretending", "image/png")
        .await;
    assert_eq!(s, StatusCode::UNSUPPORTED_MEDIA_TYPE, "{v}");
    let mut big = PNG.to_vec();
    big.resize(200 * 1024, 0);
    let (s, v) = a.upload("citizen", &big, "image/png").await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, Some("payload_too_large"))
    );
    // Query strings.
    for q in [
        "state=flying",
        "light=blue",
        "area=12",
        "from=yesterday",
        "cursor=zzz",
        "unknown=1",
    ] {
        let (s, v) = a.get("operator", &format!("/api/cases?{q}")).await;
        assert_eq!(s, StatusCode::BAD_REQUEST, "{q}: {v}");
    }
    // Paths.
    let (s, _) = a.get("operator", "/api/cases/abc").await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = a.get("operator", "/api/cases/987654").await;
    assert_eq!(s, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn sessions_login_logout_expiry_and_api_keys() {
    let a = app().await;
    let (s, v) = a.call(None, Method::GET, "/api/cases", None).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("unauthenticated"))
    );
    let (s, v) = a
        .call(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"username": "operator", "password": "wrong"})),
        )
        .await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("bad_credentials"))
    );
    let (s, v) = a
        .call(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"username": "nobody", "password": "correct horse"})),
        )
        .await;
    assert_eq!(s, StatusCode::UNAUTHORIZED, "{v}");
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/auth/login")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(
            json!({"username": "operator", "password": "correct horse"}).to_string(),
        ))
        .expect("req");
    let resp = a.router.clone().oneshot(req).await.expect("resp");
    assert_eq!(resp.status(), StatusCode::OK);
    let cookie = resp
        .headers()
        .get(header::SET_COOKIE)
        .and_then(|c| c.to_str().ok())
        .expect("cookie")
        .to_owned();
    assert!(
        cookie.contains("HttpOnly") && cookie.starts_with("yiwang_session="),
        "{cookie}"
    );
    let pair = cookie.split(';').next().expect("pair").to_owned();
    // The cookie works like the bearer token.
    let req = Request::builder()
        .uri("/api/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .expect("req");
    let (s, v) = a.send(req).await;
    assert_eq!(
        (s, v["user"]["username"].as_str()),
        (StatusCode::OK, Some("operator"))
    );
    // Expiry.
    a.clock.advance_minutes(13 * 60);
    let req = Request::builder()
        .uri("/api/me")
        .header(header::COOKIE, &pair)
        .body(Body::empty())
        .expect("req");
    let (s, v) = a.send(req).await;
    assert_eq!(
        (s, v["error"]["code"].as_str()),
        (StatusCode::UNAUTHORIZED, Some("token_expired"))
    );
    // Logout ends a session.
    let (s, _) = a
        .call(Some("operator"), Method::POST, "/api/auth/logout", None)
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT);
    let (s, _) = a.get("operator", "/api/me").await;
    assert_eq!(s, StatusCode::UNAUTHORIZED);
    // API keys act as their user.
    let (s, v) = a
        .post(
            "admin",
            "/api/api-keys",
            json!({"name": "camera gateway", "user_id": a.ids["leader"]}),
        )
        .await;
    assert_eq!(s, StatusCode::CREATED);
    let key = v["key"].as_str().expect("key").to_owned();
    let req = Request::builder()
        .uri("/api/me")
        .header("x-api-key", &key)
        .body(Body::empty())
        .expect("req");
    let (s, v) = a.send(req).await;
    assert_eq!(
        (s, v["user"]["username"].as_str()),
        (StatusCode::OK, Some("leader"))
    );
    let req = Request::builder()
        .uri("/api/me")
        .header("x-api-key", "yw_forged")
        .body(Body::empty())
        .expect("req");
    assert_eq!(a.send(req).await.0, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn photos_are_served_to_those_who_may_see_their_case() {
    let a = app().await;
    let id = a.report("citizen", "citizen_app", "410102001001001").await;
    let d = a.case(id).await;
    let photo = d["events"][0]["attachments"][0].as_i64().expect("photo");
    for (who, ok) in [
        ("citizen", true),
        ("operator", true),
        ("citizen2", false),
        ("operator_s2", false),
        ("hw", false),
    ] {
        let req = Request::builder()
            .uri(format!("/api/attachments/{photo}"))
            .header(header::AUTHORIZATION, format!("Bearer {}", a.tokens[who]))
            .body(Body::empty())
            .expect("req");
        let resp = a.router.clone().oneshot(req).await.expect("resp");
        assert_eq!(resp.status() == StatusCode::OK, ok, "{who}");
        if ok {
            assert_eq!(resp.headers()[header::CONTENT_TYPE], "image/png");
            let bytes = axum::body::to_bytes(resp.into_body(), 1 << 20)
                .await
                .expect("body");
            assert_eq!(&bytes[..], PNG);
        }
    }
}

#[tokio::test]
async fn admin_edits_limits_calendar_and_taxonomy() {
    let a = app().await;
    let (s, v) = a
        .get("operator", "/api/taxonomy?kind=matter&q=暴露垃圾")
        .await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(v[0]["code"], "06010");
    let (s, v) = a.call(Some("admin"), Method::PUT, "/api/taxonomy/matter/06010", Some(json!({"limits": {"urgent": {"amount": 30, "unit": "work_minutes"}, "high": {"amount": 1, "unit": "work_hours"}, "normal": {"amount": 2, "unit": "work_hours"}}}))).await;
    assert_eq!(s, StatusCode::OK, "{v}");
    let (s, _) = a.call(Some("admin"), Method::PUT, "/api/taxonomy/matter/06010", Some(json!({"limits": {"urgent": {"amount": 9, "unit": "work_days"}, "high": {"amount": 1, "unit": "work_hours"}, "normal": {"amount": 2, "unit": "work_hours"}}}))).await;
    assert_eq!(
        s,
        StatusCode::UNPROCESSABLE_ENTITY,
        "urgent must not exceed normal"
    );
    // A newly filed case takes the edited limit.
    let id = a.report("inspector", "inspector", "410102001001001").await;
    a.ok("supervisor", id, json!({"action": "file"})).await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts["hw"]}),
    )
    .await;
    let v = a.ok("hw", id, json!({"action": "accept_task"})).await;
    assert_eq!(v["case"]["node_limit_minutes"], json!(120));
    // Holidays: 国庆节 2026 is 10-01..10-07; 4 working hours from 2026-09-30 15:00 end on
    // 2026-10-08 11:00 (the first working day after it; 15:00–17:00 + 09:00–11:00).
    let (s, v) = a
        .get(
            "operator",
            "/api/calendar/deadline?start=2026-09-30T15:00:00%2B08:00&minutes=240",
        )
        .await;
    assert_eq!(s, StatusCode::OK, "{v}");
    assert_eq!(v["deadline"], "2026-10-08T11:00:00+08:00");
    // Declaring an extra holiday moves deadlines at once.
    let (s, v) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/calendar/special-days/2027",
            Some(json!([{"date": "2027-01-04", "kind": "holiday", "name": "测试假日"}])),
        )
        .await;
    assert_eq!(s, StatusCode::NO_CONTENT, "{v}");
    // Friday 2027-01-01 16:30 + 60 working minutes: 30 on Friday, Monday is now a holiday, 30 on Tuesday.
    let (_, v) = a
        .get(
            "operator",
            "/api/calendar/deadline?start=2027-01-01T16:30:00%2B08:00&minutes=60",
        )
        .await;
    assert_eq!(v["deadline"], "2027-01-05T09:30:00+08:00");
    let (s, _) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/calendar/special-days/2027",
            Some(json!([{"date": "2026-01-04", "kind": "holiday", "name": "wrong year"}])),
        )
        .await;
    assert!(s.is_client_error());
    let (s, _) = a
        .call(
            Some("admin"),
            Method::PUT,
            "/api/config/work-schedule",
            Some(json!({"windows": [[600, 540]]})),
        )
        .await;
    assert_eq!(s, StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn live_stream_pushes_changes_within_scope() {
    let a = app().await;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    let router = a.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    async fn open(
        addr: std::net::SocketAddr,
        token: &str,
    ) -> tokio::io::BufReader<tokio::net::TcpStream> {
        use tokio::io::AsyncWriteExt;
        let mut s = tokio::net::TcpStream::connect(addr).await.expect("connect");
        let req = format!(
            "GET /api/events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        );
        s.write_all(req.as_bytes()).await.expect("write");
        tokio::io::BufReader::new(s)
    }
    async fn next_case_event(r: &mut tokio::io::BufReader<tokio::net::TcpStream>) -> Option<Value> {
        use tokio::io::AsyncBufReadExt;
        let mut line = String::new();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(5);
        let mut in_case = false;
        loop {
            line.clear();
            let read = tokio::time::timeout_at(deadline, r.read_line(&mut line)).await;
            match read {
                Ok(Ok(0)) | Err(_) | Ok(Err(_)) => return None,
                Ok(Ok(_)) => {}
            }
            if line.starts_with("event: case") {
                in_case = true;
            } else if in_case && line.starts_with("data: ") {
                return serde_json::from_str(line.trim_start_matches("data: ").trim()).ok();
            }
        }
    }
    let mut hw = open(addr, &a.tokens["hw"]).await;
    let mut sz = open(addr, &a.tokens["sz"]).await;
    // Let both subscribe before anything is published.
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let id = a.report("inspector", "inspector", "410102001001001").await;
    a.ok("supervisor", id, json!({"action": "file"})).await;
    a.ok(
        "dispatcher",
        id,
        json!({"action": "dispatch", "department_id": a.depts["hw"]}),
    )
    .await;
    let ev = next_case_event(&mut hw)
        .await
        .expect("hw is pushed its new task");
    assert_eq!(
        (ev["action"].as_str(), ev["case"]["id"].as_i64()),
        (Some("dispatch"), Some(id))
    );
    assert!(
        next_case_event(&mut sz).await.is_none(),
        "another department hears nothing"
    );
}
