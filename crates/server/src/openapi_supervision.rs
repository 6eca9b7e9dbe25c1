//! The `supervision` section of the OpenAPI document: muck-truck permits, MQTT sensors, AI
//! cameras and their webhook, sweeping and patrol coverage, garbage collection, transfer
//! stations. A child module of
//! [`super`] (`openapi.rs`), using its builders.

use domain::org::Role;
use serde_json::{Value, json};

use super::{
    ADMIN, AUTH, JSON_BODY, Op, STAFF, arr, boolean, closed, date_time, int64, nullable, object, r,
    string, string_enum,
};
use crate::routes::cameras::CAMERA_POSTERS;
use crate::routes::sanitation::{PAST_DAY_TTL_MS, TODAY_TTL_MS};
use crate::routes::sensors::SENSOR_KINDS;

/// Who writes permits (handlers only of an enforcement department; checked by the handler).
const PERMIT_WRITERS: &[Role] = &[Role::Admin, Role::DepartmentHandler];
/// Waste categories of collection points and garbage trucks.
const WASTE_CATEGORIES: [&str; 4] = ["kitchen", "other", "recyclable", "hazardous"];
/// Who enters station tonnage (handlers only of a sanitation department).
const TONNAGE_WRITERS: &[Role] = &[Role::Admin, Role::DepartmentHandler];

fn number(description: &str) -> Value {
    json!({ "type": "number", "description": description })
}

fn degrees(d: &str) -> Value {
    json!({ "type": "number", "description": format!("{d}, WGS-84 degrees.") })
}

fn ns(d: &str) -> Value {
    nullable(string(d))
}

fn day_query(op: Op) -> Op {
    op.query(
        "day",
        false,
        json!({ "type": "string", "format": "date" }),
        "Local day (Asia/Shanghai), `YYYY-MM-DD`; default today. Not a date: 422 `invalid_query`.",
    )
}

fn string_id(op: Op, what: &str) -> Op {
    op.path_param("id", json!({ "type": "string" }), what)
}

/// The operations of the `supervision` tag.
pub(super) fn supervision_ops() -> Vec<Op> {
    let permit_id = |op: Op| op.path_param("id", int64(""), "Permit id.");
    let cache = format!(
        "Computed from the stored tracks by replaying the day's fixes; each node caches a \
         report for {} s (today) or {} min (past days) and recomputes after a change of the city \
         model.",
        TODAY_TTL_MS / 1000,
        PAST_DAY_TTL_MS / 60_000
    );
    vec![
        Op::get("/api/permits", "listPermits", "List muck permits (渣土处置核准)")
            .roles(STAFF)
            .doc("Permits, newest first, revoked ones included unless `valid_on` is given.")
            .query(
                "valid_on",
                false,
                json!({ "type": "string", "format": "date" }),
                "Only permits in force that day (not revoked, within the validity dates).",
            )
            .query("plate", false, string(""), "Only permits naming this plate.")
            .query(
                "phone",
                false,
                string(""),
                "Only permits naming this terminal phone (leading zeros ignored).",
            )
            .ok(200, "The permits.", r("PermitList"))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query"]),
        permit_id(Op::get("/api/permits/{id}", "getPermit", "One muck permit"))
            .roles(STAFF)
            .ok(200, "The permit.", r("Permit"))
            .errors(AUTH)
            .errors(&["bad_request", "not_found"]),
        Op::post("/api/permits", "createPermit", "Register a muck permit (核准登记)")
            .roles(PERMIT_WRITERS)
            .doc(
                "Registers a permit: the trucks, the construction site 出土工地 and disposal site \
                 消纳场 polygons, the route corridor (centre line + full width), the daily time \
                 windows and the validity dates. Department handlers may write only for an \
                 enforcement department 执法部门. A permit that is not usable is refused with 422 \
                 `invalid_permit` listing every problem in `error.problems`. The muck supervisor \
                 of every node picks the change up at once (bus event `permits_changed`).",
            )
            .json_body(r("PermitInput"), "The permit.")
            .ok(201, "Registered.", r("Permit"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid_permit", "duplicate"]),
        permit_id(Op::put("/api/permits/{id}", "replacePermit", "Change a muck permit"))
            .roles(PERMIT_WRITERS)
            .doc(
                "Replaces the content of a permit that is not revoked; its number cannot change \
                 (422 `invalid_permit`).",
            )
            .json_body(r("PermitInput"), "The permit.")
            .ok(200, "The permit as stored.", r("Permit"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["not_found", "invalid_permit", "permit_revoked"]),
        permit_id(Op::post(
            "/api/permits/{id}/revoke",
            "revokePermit",
            "Revoke a muck permit (吊销)",
        ))
        .roles(PERMIT_WRITERS)
        .doc("Revokes a permit from now on; it stays listed for history. The body is optional.")
        .body(json!({
            "required": false,
            "description": "Why it is revoked.",
            "content": super::json_content(r("PermitRevokeInput")),
        }))
        .ok(200, "The revoked permit.", r("Permit"))
        .errors(AUTH)
        .errors(&["bad_request", "bad_json", "invalid_body", "too_long", "not_found", "permit_revoked"]),
        Op::get("/api/sensors", "listSensors", "List sensors (物联传感器)")
            .roles(STAFF)
            .doc("Every MQTT sensor (井盖, 垃圾桶满溢, 积水, generic) by id.")
            .ok(200, "The sensors.", r("SensorList"))
            .errors(AUTH),
        Op::post("/api/sensors", "upsertSensor", "Register or update a sensor")
            .roles(ADMIN)
            .doc("Registers a sensor, or replaces the settings of the one with this id; its unit grid comes from its point.")
            .json_body(r("SensorInput"), "The sensor.")
            .ok(201, "Stored, as stored.", r("Sensor"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid_id", "unknown_sensor_kind", "missing_field", "invalid", "invalid_point"]),
        string_id(Op::get("/api/sensors/{id}", "getSensor", "One sensor"), "Sensor id.")
            .roles(STAFF)
            .ok(200, "The sensor.", r("Sensor"))
            .errors(AUTH)
            .errors(&["not_found"]),
        string_id(
            Op::get("/api/sensors/{id}/readings", "getSensorReadings", "A sensor's messages (传感数据)"),
            "Sensor id.",
        )
        .roles(STAFF)
        .doc("The sensor's stored messages between two instants, oldest first.")
        .query("from", false, json!({ "type": "string", "format": "date-time" }), "RFC 3339 start, inclusive (default: 24 hours before `to`).")
        .query("to", false, json!({ "type": "string", "format": "date-time" }), "RFC 3339 end, inclusive (default: now).")
        .query("limit", false, json!({ "type": "integer", "minimum": 0, "maximum": 100_000, "default": 5_000 }), "At most this many, clamped to 1–100,000.")
        .ok(200, "The messages.", r("SensorReadings"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found", "invalid_time"]),
        Op::get("/api/cameras", "listCameras", "List AI cameras (智能摄像头)")
            .roles(STAFF)
            .ok(200, "The cameras.", r("CameraList"))
            .errors(AUTH),
        Op::post("/api/cameras", "upsertCamera", "Register or update an AI camera")
            .roles(ADMIN)
            .doc("Registers a camera, or replaces the settings of the one with this id; its unit grid comes from its point.")
            .json_body(r("CameraInput"), "The camera.")
            .ok(201, "Stored.", r("Camera"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid_id", "missing_field", "invalid", "invalid_point"]),
        string_id(
            Op::get("/api/cameras/{id}/events", "getCameraEvents", "A camera's events (识别事件)"),
            "Camera id.",
        )
        .roles(STAFF)
        .doc("The camera's latest events, newest first, each with the merger's decision and its alarm.")
        .query("limit", false, int64("1–1000, default 100."), "Page size.")
        .ok(200, "The events.", r("CameraEventList"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
        Op::post(
            "/api/ingest/camera-events",
            "ingestCameraEvent",
            "Post a camera detection (AI 识别事件推送)",
        )
        .roles(CAMERA_POSTERS)
        .ext("security", json!([{ "apiKey": [] }]))
        .doc(
            "The webhook of the camera analytics platform, authenticated by the API key of an \
             integration account (`X-Api-Key`; a session is refused with 403). `event_type` is \
             the vendor's type (`occupy_road_business`), the class's Chinese name (`占道经营`) \
             or the taxonomy class code (`09006`); see the mapping below. Events of one camera \
             and class each within 10 minutes of the previous one merge into one incident and \
             one alarm `camera.event:<class>`. Confidence ≥ 0.85: a warning, and a case is \
             filed with it automatically; 0.3–0.85: a notice an operator confirms (`POST \
             /api/alarms/{id}/case`); below 0.3: dropped. Every event is stored with its \
             decision; the optional snapshot (base64 JPEG, PNG or WebP, at most the upload limit \
             decoded, 413 beyond) becomes an attachment, and the snapshots of an incident (the \
             first and the latest, at most 5) are the photos of the case its alarm files, \
             automatically or when an operator confirms it. Merging state is per node: post one \
             camera's events to one node.\n\n| event_type | class |\n|---|---|\n"
                .to_owned()
                + &crate::routes::cameras::camera_config()
                    .event_types
                    .iter()
                    .map(|t| format!("| `{}`, {} | {} {} |", t.event_type, t.aliases.join(", "), t.class_code, t.class_name))
                    .collect::<Vec<_>>()
                    .join("\n"),
        )
        .json_body(r("CameraEventInput"), "One detection.")
        .ok(201, "Stored, with the merger's decision.", r("CameraEventOutcome"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["not_found", "invalid_id", "invalid_event", "invalid_image"]),
        day_query(Op::get(
            "/api/sweeping/coverage",
            "getSweepingCoverage",
            "Sweeping coverage of a day (机械化清扫率)",
        ))
        .roles(STAFF)
        .doc(format!(
            "The sweepers' (vehicle kind `sweeper`) coverage of every road on the day: length \
             swept at least k times, required passes by road class (快速路/主干路 2, 次干路/支路 1), \
             swept and required length and their ratio, the 机械化清扫率; rolled up to \
             communities, streets and districts and to the city; and each sweeper's working \
             distance inside and outside the working speed band (3–20 km/h). {cache}"
        ))
        .ok(200, "The day's coverage.", r("SweepingCoverage"))
        .errors(AUTH)
        .errors(&["bad_request", "invalid_query"]),
        day_query(Op::get(
            "/api/patrol/coverage",
            "getPatrolCoverage",
            "Patrol coverage of a day (执法巡查覆盖)",
        ))
        .roles(STAFF)
        .doc(format!(
            "The unit grids enforcement vehicles (kind `enforcement`) were in on the day, with \
             visits and dwell time; the patrolled share of the grids of each community, street, \
             district and of the city; each vehicle's distance. {cache}"
        ))
        .ok(200, "The day's patrol coverage.", r("PatrolCoverage"))
        .errors(AUTH)
        .errors(&["bad_request", "invalid_query"]),
        day_query(Op::get(
            "/api/garbage/collection",
            "getGarbageCollection",
            "Garbage collection of a day (垃圾收运, 前分后混)",
        ))
        .roles(STAFF)
        .doc(format!(
            "The collection points 收集点 garbage trucks (kind `garbage_truck`) visited on the day: \
             a visit is a stop of at least 60 s at most 5 km/h within 30 m of the point, and \
             belongs to the day it began. Per point its visits and whether it was missed (kitchen \
             waste due by 10:00, other waste by 24:00, recyclables and hazardous waste on call); \
             coverage per category and for the city; per truck its visits. A truck serves one \
             category a day — the one its `company` names (厨余, 其他垃圾, 可回收, 有害, or the \
             category's name as a word), else that of most of its visits — and a visit to a point \
             of another category is mixed (前分后混, class 06041). A truck standing at a site with \
             bins of several categories visits those of its own. {cache}"
        ))
        .ok(200, "The day's collection.", r("GarbageCollection"))
        .errors(AUTH)
        .errors(&["bad_request", "invalid_query"]),
        day_query(Op::get("/api/stations", "listStations", "Transfer stations (垃圾中转站)"))
            .roles(STAFF)
            .doc("Every station with its tonnage of the day and the 日产日清 check (everything received that day transferred out that day).")
            .ok(200, "The stations.", r("StationList"))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query"]),
        Op::post("/api/stations", "upsertStation", "Register or update a transfer station")
            .roles(ADMIN)
            .json_body(r("StationInput"), "The station.")
            .ok(201, "Stored.", r("Station"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid_id", "missing_field", "invalid", "invalid_point"]),
        Op::put(
            "/api/stations/{id}/tonnage/{day}",
            "putStationTonnage",
            "Enter a station's daily tonnage (日产日清)",
        )
        .path_param("id", json!({ "type": "string" }), "Station id.")
        .path_param("day", json!({ "type": "string", "format": "date" }), "Local day, `YYYY-MM-DD` (not in the future).")
        .roles(TONNAGE_WRITERS)
        .doc("Sets the tonnes received and transferred out on one day (replacing what was there) and answers with the 日产日清 check. Department handlers may enter tonnage only for a sanitation department 环卫. A closed day (before today) is judged at once, as every node does each minute for the last 7 closed days: a day that failed raises one alarm `station.not_cleared:<day>` per station and day (a warning in class 06042 垃圾站（箱）满溢, so a case is filed and dispatched to sanitation), never raised again for that day; a cleared day clears the station's open ones of that day and before.")
        .json_body(r("TonnageInput"), "The day's tonnage.")
        .ok(200, "The station with the day's tonnage.", r("Station"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["not_found", "invalid_tonnage"]),
    ]
}

/// The schemas of the `supervision` tag, as `(name, schema)`.
pub(super) fn supervision_schemas() -> Vec<(&'static str, Value)> {
    let point = object(
        vec![("lon", degrees("Longitude")), ("lat", degrees("Latitude"))],
        &["lon", "lat"],
    );
    let polygon = object(
        vec![
            ("exterior", arr(point.clone())),
            ("holes", arr(arr(point.clone()))),
        ],
        &["exterior"],
    );
    let multipolygon = |d: &str| {
        let mut s = arr(polygon.clone());
        s["description"] = json!(d);
        s
    };
    let vehicle = object(
        vec![
            (
                "phone",
                string("The JT/T 808 terminal phone (leading zeros dropped)."),
            ),
            ("plate", string("车牌.")),
        ],
        &["phone"],
    );
    let window = object(
        vec![
            (
                "start",
                string("First allowed local time, `HH:MM` or `HH:MM:SS`."),
            ),
            (
                "end",
                string("First local time no longer allowed; earlier than `start` = past midnight."),
            ),
        ],
        &["start", "end"],
    );
    let permit_fields = || {
        vec![
            ("vehicles", arr(vehicle.clone())),
            (
                "construction_site",
                multipolygon("出土工地: polygons, rings of points."),
            ),
            (
                "disposal_site",
                multipolygon("消纳场: polygons, rings of points."),
            ),
            (
                "route",
                with_d(arr(point.clone()), "核准路线: the corridor's centre line."),
            ),
            (
                "corridor_width_m",
                number("Full corridor width, metres (half each side)."),
            ),
            (
                "windows",
                with_d(arr(window.clone()), "Daily windows; empty = any hour."),
            ),
        ]
    };
    let mut input = permit_fields();
    input.extend([
        ("id", json!({ "description": "Ignored: the record id is the permit's id." })),
        ("number", string("核准证号, unique.")),
        ("company", string("运输企业.")),
        ("valid_from", json!({ "type": "string", "format": "date", "description": "First valid day." })),
        ("valid_to", json!({ "type": "string", "format": "date", "description": "Last valid day, inclusive." })),
    ]);
    let mut permit = permit_fields();
    permit.extend([
        ("id", int64("")),
        ("number", string("核准证号.")),
        ("company", string("")),
        ("valid_from", json!({ "type": "string", "format": "date" })),
        ("valid_to", json!({ "type": "string", "format": "date" })),
        ("revoked", boolean("Whether it is revoked.")),
        ("revoked_at", nullable(date_time(""))),
        ("revoked_reason", ns("Why it was revoked.")),
        ("in_force", boolean("Not revoked and valid today.")),
        ("created_at", date_time("")),
        ("updated_at", date_time("")),
    ]);
    let level = string_enum(["district", "street", "community", "grid"], "Area level.");
    let rate = |d: &str| {
        nullable(json!({ "type": "number", "minimum": 0, "maximum": 1, "description": d }))
    };
    let nint = |d: &str| nullable(int64(d));
    let category = string_enum(
        WASTE_CATEGORIES,
        "Waste category: 厨余垃圾, 其他垃圾, 可回收物, 有害垃圾.",
    );
    vec![
        (
            "PermitInput",
            closed(
                input,
                &[
                    "number",
                    "company",
                    "vehicles",
                    "construction_site",
                    "disposal_site",
                    "route",
                    "corridor_width_m",
                    "valid_from",
                    "valid_to",
                ],
            ),
        ),
        (
            "Permit",
            object(
                permit,
                &[
                    "id",
                    "number",
                    "company",
                    "valid_from",
                    "valid_to",
                    "revoked",
                    "revoked_at",
                    "revoked_reason",
                    "in_force",
                    "created_at",
                    "updated_at",
                ],
            ),
        ),
        (
            "PermitList",
            object(vec![("items", arr(r("Permit")))], &["items"]),
        ),
        (
            "PermitRevokeInput",
            closed(
                vec![(
                    "reason",
                    json!({ "type": "string", "maxLength": 500, "description": "Why (kept with the permit)." }),
                )],
                &[],
            ),
        ),
        (
            "SensorInput",
            closed(
                vec![
                    ("sensor_id", string("1–64 ASCII letters, digits, `-_.:`.")),
                    (
                        "kind",
                        string_enum(
                            SENSOR_KINDS,
                            "井盖 manhole, 垃圾桶 bin, 积水 waterlog, numeric.",
                        ),
                    ),
                    ("name", string("")),
                    ("lat", degrees("Latitude")),
                    ("lon", degrees("Longitude")),
                    (
                        "config",
                        json!({ "type": "object", "description": "Per-sensor thresholds; absent = the defaults." }),
                    ),
                ],
                &["sensor_id", "kind", "name"],
            ),
        ),
        (
            "Sensor",
            object(
                vec![
                    ("sensor_id", string("")),
                    ("kind", string_enum(SENSOR_KINDS, "")),
                    ("name", string("")),
                    ("lat", nullable(degrees("Latitude"))),
                    ("lon", nullable(degrees("Longitude"))),
                    ("grid_code", ns("The unit grid holding the point.")),
                    ("config", json!({ "type": "object" })),
                    ("last_seen_at", nullable(date_time("Last message."))),
                ],
                &[
                    "sensor_id",
                    "kind",
                    "name",
                    "lat",
                    "lon",
                    "grid_code",
                    "config",
                    "last_seen_at",
                ],
            ),
        ),
        (
            "SensorList",
            object(vec![("items", arr(r("Sensor")))], &["items"]),
        ),
        (
            "SensorReadings",
            object(
                vec![
                    ("sensor_id", string("")),
                    (
                        "items",
                        arr(object(
                            vec![
                                ("at", date_time("Measured.")),
                                ("received_at", date_time("")),
                                (
                                    "data",
                                    json!({ "type": "object", "description": "The values, units in the names." }),
                                ),
                            ],
                            &["at", "received_at", "data"],
                        )),
                    ),
                ],
                &["sensor_id", "items"],
            ),
        ),
        (
            "CameraInput",
            closed(
                vec![
                    ("camera_id", string("1–64 ASCII letters, digits, `-_.:`.")),
                    ("name", string("e.g. `人民路与太康路口 东向`.")),
                    ("lat", degrees("Latitude")),
                    ("lon", degrees("Longitude")),
                    (
                        "direction_deg",
                        json!({ "type": "number", "minimum": 0, "exclusiveMaximum": 360, "description": "Where it looks, degrees clockwise from north." }),
                    ),
                ],
                &["camera_id", "name", "lat", "lon"],
            ),
        ),
        (
            "Camera",
            object(
                vec![
                    ("camera_id", string("")),
                    ("name", string("")),
                    ("lat", degrees("Latitude")),
                    ("lon", degrees("Longitude")),
                    ("grid_code", ns("")),
                    ("direction_deg", nullable(number(""))),
                ],
                &[
                    "camera_id",
                    "name",
                    "lat",
                    "lon",
                    "grid_code",
                    "direction_deg",
                ],
            ),
        ),
        (
            "CameraList",
            object(vec![("items", arr(r("Camera")))], &["items"]),
        ),
        (
            "CameraEvent",
            object(
                vec![
                    ("id", int64("")),
                    ("camera_id", string("")),
                    ("event_type", string("As posted.")),
                    ("confidence", number("0–1.")),
                    ("at", date_time("Detected.")),
                    ("received_at", date_time("")),
                    ("attachment_id", nint("The stored snapshot.")),
                    ("alarm_id", nint("The incident's alarm.")),
                    (
                        "decision",
                        string_enum(
                            ["new", "merged", "dropped", "unknown_type"],
                            "What the merger decided.",
                        ),
                    ),
                ],
                &[
                    "id",
                    "camera_id",
                    "event_type",
                    "confidence",
                    "at",
                    "received_at",
                    "attachment_id",
                    "alarm_id",
                    "decision",
                ],
            ),
        ),
        (
            "CameraEventList",
            object(
                vec![("camera_id", string("")), ("items", arr(r("CameraEvent")))],
                &["camera_id", "items"],
            ),
        ),
        (
            "CameraEventInput",
            closed(
                vec![
                    ("camera_id", string("A registered camera.")),
                    (
                        "event_type",
                        string("Vendor type, Chinese class name or class code (1–64 characters)."),
                    ),
                    (
                        "confidence",
                        json!({ "type": "number", "minimum": 0, "maximum": 1 }),
                    ),
                    ("at", date_time("When it was detected.")),
                    (
                        "image",
                        string(
                            "Optional snapshot: base64 JPEG, PNG or WebP (a `data:` URL prefix is accepted).",
                        ),
                    ),
                ],
                &["camera_id", "event_type", "confidence", "at"],
            ),
        ),
        (
            "CameraEventOutcome",
            object(
                vec![
                    ("event_id", int64("The stored event.")),
                    (
                        "decision",
                        string_enum(["new", "merged", "dropped", "unknown_type"], ""),
                    ),
                    (
                        "reason",
                        nullable_enum(
                            &[
                                "low_confidence",
                                "invalid_confidence",
                                "unknown_camera",
                                "unknown_type",
                            ],
                            "Why it was not kept.",
                        ),
                    ),
                    ("class_code", ns("The taxonomy class of the incident.")),
                    ("alarm_id", nint("The incident's open alarm.")),
                    (
                        "alarm_level",
                        nullable_enum(
                            &["notice", "warning", "severe"],
                            "notice: an operator confirms; warning: a case is filed by itself.",
                        ),
                    ),
                    (
                        "auto_case",
                        nullable(boolean("Whether a case is filed without an operator.")),
                    ),
                    ("count", nint("Events in the incident so far.")),
                    ("attachment_id", nint("The stored snapshot.")),
                ],
                &[
                    "event_id",
                    "decision",
                    "reason",
                    "class_code",
                    "alarm_id",
                    "alarm_level",
                    "auto_case",
                    "count",
                    "attachment_id",
                ],
            ),
        ),
        (
            "SweepingCoverage",
            object(
                vec![
                    ("date", json!({ "type": "string", "format": "date" })),
                    (
                        "computed_at",
                        date_time("When this report was computed (cached per node)."),
                    ),
                    (
                        "roads",
                        arr(object(
                            vec![
                                ("road", int64("Index in the city model.")),
                                ("id", string("Road id.")),
                                ("name", string("")),
                                (
                                    "class",
                                    string_enum(
                                        ["expressway", "arterial", "secondary", "branch"],
                                        "",
                                    ),
                                ),
                                ("length_m", number("Centre-line length, metres.")),
                                ("required_passes", int64("Passes required per day.")),
                                (
                                    "covered_m",
                                    arr(number(
                                        "Length swept at least k times (k = 1, 2 …), metres.",
                                    )),
                                ),
                                ("required_m", number("required_passes × length, metres.")),
                                (
                                    "swept_m",
                                    number("Σ over the required passes of covered, metres."),
                                ),
                                (
                                    "rate",
                                    rate("swept / required; null when nothing is required."),
                                ),
                            ],
                            &[
                                "road",
                                "id",
                                "name",
                                "class",
                                "length_m",
                                "required_passes",
                                "covered_m",
                                "required_m",
                                "swept_m",
                                "rate",
                            ],
                        )),
                    ),
                    (
                        "areas",
                        arr(object(
                            vec![
                                ("code", string("")),
                                ("name", string("")),
                                ("level", level.clone()),
                                ("required_m", number("")),
                                ("swept_m", number("")),
                                ("rate", rate("机械化清扫率 of the area.")),
                            ],
                            &["code", "name", "level", "required_m", "swept_m", "rate"],
                        )),
                    ),
                    (
                        "total",
                        object(
                            vec![
                                ("roads", int64("")),
                                ("length_m", number("")),
                                ("required_m", number("")),
                                ("swept_m", number("")),
                                ("rate", rate("The city's 机械化清扫率.")),
                            ],
                            &["roads", "length_m", "required_m", "swept_m", "rate"],
                        ),
                    ),
                    (
                        "vehicles",
                        arr(object(
                            vec![
                                ("phone", string("Terminal phone (or `#<vehicle id>`).")),
                                ("plate", ns("")),
                                ("vehicle_id", nint("")),
                                (
                                    "in_band_m",
                                    number("Working distance inside the speed band, metres."),
                                ),
                                ("too_fast_m", number("")),
                                ("too_slow_m", number("")),
                                ("compliance", rate("Share of working distance in the band.")),
                            ],
                            &[
                                "phone",
                                "plate",
                                "vehicle_id",
                                "in_band_m",
                                "too_fast_m",
                                "too_slow_m",
                                "compliance",
                            ],
                        )),
                    ),
                ],
                &["date", "computed_at", "roads", "areas", "total", "vehicles"],
            ),
        ),
        (
            "PatrolCoverage",
            object(
                vec![
                    ("date", json!({ "type": "string", "format": "date" })),
                    (
                        "computed_at",
                        date_time("When this report was computed (cached per node)."),
                    ),
                    (
                        "grids",
                        arr(object(
                            vec![
                                ("code", string("Unit grid code.")),
                                ("first_visit", date_time("")),
                                ("last_visit", date_time("")),
                                ("visits", int64("Entries into the grid.")),
                                ("dwell_s", number("Seconds spent in it.")),
                                ("vehicles", int64("Distinct vehicles.")),
                                ("patrolled", boolean("Counts as patrolled.")),
                            ],
                            &[
                                "code",
                                "first_visit",
                                "last_visit",
                                "visits",
                                "dwell_s",
                                "vehicles",
                                "patrolled",
                            ],
                        )),
                    ),
                    (
                        "areas",
                        arr(object(
                            vec![
                                ("code", string("")),
                                ("name", string("")),
                                ("level", level.clone()),
                                ("grids", int64("")),
                                ("patrolled_grids", int64("")),
                                ("rate", rate("")),
                            ],
                            &["code", "name", "level", "grids", "patrolled_grids", "rate"],
                        )),
                    ),
                    (
                        "total",
                        object(
                            vec![
                                ("grids", int64("")),
                                ("patrolled_grids", int64("")),
                                ("rate", rate("")),
                            ],
                            &["grids", "patrolled_grids", "rate"],
                        ),
                    ),
                    (
                        "vehicles",
                        arr(object(
                            vec![
                                ("phone", string("")),
                                ("plate", ns("")),
                                ("vehicle_id", nint("")),
                                ("distance_m", number("")),
                                ("grids", int64("Grids visited.")),
                            ],
                            &["phone", "plate", "vehicle_id", "distance_m", "grids"],
                        )),
                    ),
                ],
                &["date", "computed_at", "grids", "areas", "total", "vehicles"],
            ),
        ),
        (
            "GarbageCollection",
            object(
                vec![
                    ("date", json!({ "type": "string", "format": "date" })),
                    (
                        "computed_at",
                        date_time("When this report was computed (cached per node)."),
                    ),
                    (
                        "points",
                        arr(object(
                            vec![
                                ("id", string("Collection point id.")),
                                ("name", string("")),
                                ("category", category.clone()),
                                (
                                    "position",
                                    object(
                                        vec![
                                            ("lon", degrees("Longitude")),
                                            ("lat", degrees("Latitude")),
                                        ],
                                        &["lon", "lat"],
                                    ),
                                ),
                                ("grid_code", ns("Unit grid of the point.")),
                                ("visited", boolean("At least one visit on the day.")),
                                (
                                    "due_at",
                                    nullable(date_time(
                                        "When it was due; null: not collected daily.",
                                    )),
                                ),
                                (
                                    "missed",
                                    boolean("Due by now and no visit arrived before `due_at`."),
                                ),
                                (
                                    "visits",
                                    arr(object(
                                        vec![
                                            ("phone", string("The truck's terminal phone.")),
                                            ("plate", ns("")),
                                            ("arrived", date_time("First stopped fix.")),
                                            ("departed", date_time("Last stopped fix.")),
                                            ("dwell_s", number("Seconds stopped.")),
                                            (
                                                "mixed",
                                                boolean("The truck serves another category."),
                                            ),
                                        ],
                                        &[
                                            "phone", "plate", "arrived", "departed", "dwell_s",
                                            "mixed",
                                        ],
                                    )),
                                ),
                            ],
                            &[
                                "id",
                                "name",
                                "category",
                                "position",
                                "grid_code",
                                "visited",
                                "due_at",
                                "missed",
                                "visits",
                            ],
                        )),
                    ),
                    (
                        "categories",
                        arr(object(
                            vec![
                                ("category", category.clone()),
                                ("due", boolean("Collected daily.")),
                                ("points", int64("")),
                                ("visited_points", int64("")),
                                ("missed_points", int64("")),
                                ("rate", rate("visited_points / points.")),
                            ],
                            &[
                                "category",
                                "due",
                                "points",
                                "visited_points",
                                "missed_points",
                                "rate",
                            ],
                        )),
                    ),
                    (
                        "total",
                        object(
                            vec![
                                ("points", int64("")),
                                ("visited_points", int64("")),
                                ("missed_points", int64("")),
                                ("rate", rate("The city's collection coverage.")),
                                ("visits", int64("")),
                                ("mixed_visits", int64("")),
                                (
                                    "mixed_trucks",
                                    int64("Trucks with a mixed visit (前分后混)."),
                                ),
                            ],
                            &[
                                "points",
                                "visited_points",
                                "missed_points",
                                "rate",
                                "visits",
                                "mixed_visits",
                                "mixed_trucks",
                            ],
                        ),
                    ),
                    (
                        "vehicles",
                        arr(object(
                            vec![
                                ("phone", string("Terminal phone (or `#<vehicle id>`).")),
                                ("plate", ns("")),
                                ("vehicle_id", nint("")),
                                (
                                    "declared_category",
                                    nullable_enum(
                                        &WASTE_CATEGORIES,
                                        "Registered by the truck's company text.",
                                    ),
                                ),
                                (
                                    "category",
                                    nullable_enum(
                                        &WASTE_CATEGORIES,
                                        "Served on the day: registered, else that of most visits.",
                                    ),
                                ),
                                ("categories", arr(category.clone())),
                                ("points", int64("Distinct points visited.")),
                                ("mixed", boolean("At least one mixed visit.")),
                                (
                                    "visits",
                                    arr(object(
                                        vec![
                                            ("point_id", string("")),
                                            ("point_name", string("")),
                                            ("category", category.clone()),
                                            ("arrived", date_time("")),
                                            ("departed", date_time("")),
                                            ("dwell_s", number("")),
                                            ("mixed", boolean("")),
                                        ],
                                        &[
                                            "point_id",
                                            "point_name",
                                            "category",
                                            "arrived",
                                            "departed",
                                            "dwell_s",
                                            "mixed",
                                        ],
                                    )),
                                ),
                            ],
                            &[
                                "phone",
                                "plate",
                                "vehicle_id",
                                "declared_category",
                                "category",
                                "categories",
                                "points",
                                "mixed",
                                "visits",
                            ],
                        )),
                    ),
                ],
                &[
                    "date",
                    "computed_at",
                    "points",
                    "categories",
                    "total",
                    "vehicles",
                ],
            ),
        ),
        (
            "StationInput",
            closed(
                vec![
                    ("station_id", string("1–64 ASCII letters, digits, `-_.:`.")),
                    ("name", string("")),
                    ("lat", degrees("Latitude")),
                    ("lon", degrees("Longitude")),
                    (
                        "radius_m",
                        json!({ "type": "number", "exclusiveMinimum": 0, "maximum": 5000, "default": 50, "description": "A truck this close is at the station, metres." }),
                    ),
                    (
                        "capacity_t",
                        json!({ "type": "number", "exclusiveMinimum": 0, "description": "Daily capacity, tonnes." }),
                    ),
                ],
                &["station_id", "name", "lat", "lon"],
            ),
        ),
        (
            "Station",
            object(
                vec![
                    ("station_id", string("")),
                    ("name", string("")),
                    ("lat", degrees("Latitude")),
                    ("lon", degrees("Longitude")),
                    ("radius_m", number("")),
                    ("capacity_t", nullable(number(""))),
                    ("grid_code", ns("")),
                    (
                        "tonnage",
                        nullable(object(
                            vec![
                                ("day", json!({ "type": "string", "format": "date" })),
                                ("in_t", number("Tonnes received.")),
                                ("out_t", number("Tonnes transferred out.")),
                                ("residual_t", number("in − out.")),
                                ("cleared", boolean("日产日清: residual ≤ 0.1 t.")),
                                ("over_capacity", boolean("More received than the capacity.")),
                                ("updated_at", date_time("")),
                            ],
                            &[
                                "day",
                                "in_t",
                                "out_t",
                                "residual_t",
                                "cleared",
                                "over_capacity",
                                "updated_at",
                            ],
                        )),
                    ),
                ],
                &[
                    "station_id",
                    "name",
                    "lat",
                    "lon",
                    "radius_m",
                    "capacity_t",
                    "grid_code",
                    "tonnage",
                ],
            ),
        ),
        (
            "StationList",
            object(
                vec![
                    ("day", json!({ "type": "string", "format": "date" })),
                    ("items", arr(r("Station"))),
                    ("not_cleared", int64("Stations failing 日产日清 that day.")),
                ],
                &["day", "items", "not_cleared"],
            ),
        ),
        (
            "TonnageInput",
            closed(
                vec![
                    (
                        "in_t",
                        json!({ "type": "number", "minimum": 0, "maximum": 100_000 }),
                    ),
                    (
                        "out_t",
                        json!({ "type": "number", "minimum": 0, "maximum": 100_000 }),
                    ),
                ],
                &["in_t", "out_t"],
            ),
        ),
    ]
}

/// A string from `values`, or null.
fn nullable_enum(values: &[&str], description: &str) -> Value {
    let mut s = nullable(string_enum(values, description));
    if let Some(list) = s["enum"].as_array_mut() {
        list.push(Value::Null);
    }
    s
}

fn with_d(mut schema: Value, d: &str) -> Value {
    schema["description"] = json!(d);
    schema
}
