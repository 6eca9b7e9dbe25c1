//! The OpenAPI 3.1 document of the HTTP API (`GET /api/openapi.json`) and a self-contained page
//! that browses it (`GET /api/docs`, no CDN, no external assets).
//!
//! The document is built here with `serde_json::json!` from a table of operations, one function
//! per tag, so no handler carries documentation attributes. Enumerations come from the domain
//! (`CaseState::ALL`, `Source::ALL`, `Role::ALL`, `DepartmentType::ALL`, each command's
//! `name()`, `roles()` and `from_states()`, serde names of the smaller enums behind exhaustive
//! matches), so the document cannot drift from the code unnoticed. The tests
//! (`openapi_tests.rs`) hold it to the routes actually registered, to the error codes the
//! handlers can produce, and to the shapes real responses have.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use axum::Router;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use domain::area::AreaLevel;
use domain::calendar::{DayKind, Light};
use domain::org::{DepartmentType, Role};
use domain::taxonomy::{ClassKind, GB_47678_5_2026, LimitUnit, Urgency};
use domain::workflow::{CaseState, Command, PendingRequest, Source};
use grid::validate::IssueKind;
use grid::{ComponentStatus, RoadClass};
use serde_json::{Map, Value, json};

use crate::AppState;
use crate::auth::SESSION_COOKIE;
use crate::city::Layer;
// Every role but citizen and volunteer (devices, asset layers): the handlers' own list.
use crate::routes::STAFF;
use crate::routes::alarms::ALARM_ACTORS;
use supervision::alarm::{AlarmLevel, AlarmState, SourceKind};

/// The browsable page, rendered in the browser from `/api/openapi.json`.
pub const DOCS_HTML: &str = include_str!("openapi_docs.html");

/// Where the document is served.
pub const OPENAPI_PATH: &str = "/api/openapi.json";
/// Where the page is served.
pub const DOCS_PATH: &str = "/api/docs";

/// `GET /api/openapi.json` and `GET /api/docs`; neither needs credentials.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/openapi.json", get(openapi_json))
        .route("/api/docs", get(docs_page))
}

async fn openapi_json() -> Response {
    static TEXT: OnceLock<String> = OnceLock::new();
    let text = TEXT.get_or_init(|| document().to_string());
    ([(header::CONTENT_TYPE, "application/json")], text.as_str()).into_response()
}

async fn docs_page() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/html; charset=utf-8"),
            // The page may talk to this server only: no external script, style, font or image.
            (
                header::CONTENT_SECURITY_POLICY,
                "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; \
                 connect-src 'self'; img-src 'self' blob: data:; base-uri 'none'; \
                 form-action 'none'; frame-ancestors 'none'",
            ),
        ],
        DOCS_HTML,
    )
        .into_response()
}

/// The whole document (built once).
pub fn document() -> &'static Value {
    static DOC: OnceLock<Value> = OnceLock::new();
    DOC.get_or_init(build)
}

// ---------------------------------------------------------------------------------------------
// Error codes

/// One error code the API can answer with, in `{"error":{"code","message"}}`.
#[derive(Clone, Copy, Debug)]
pub struct ErrorCode {
    pub code: &'static str,
    pub status: u16,
    pub meaning: &'static str,
}

const fn ec(code: &'static str, status: u16, meaning: &'static str) -> ErrorCode {
    ErrorCode {
        code,
        status,
        meaning,
    }
}

/// Every error code, with its HTTP status (as `error.rs` and the handlers produce them).
pub const ERROR_CODES: &[ErrorCode] = &[
    ec(
        "bad_request",
        400,
        "Malformed request: a bad path or query parameter, an unknown query parameter, or an \
         unreadable body.",
    ),
    ec("bad_json", 400, "The body is not well-formed JSON."),
    ec(
        "unauthenticated",
        401,
        "No valid credentials: no session cookie, bearer token or API key, or an unknown or \
         revoked one.",
    ),
    ec(
        "token_expired",
        401,
        "The session has expired; sign in again.",
    ),
    ec(
        "bad_credentials",
        401,
        "Wrong username or password, or the account is deactivated.",
    ),
    ec(
        "forbidden",
        403,
        "Signed in, but not allowed: a missing role, a case outside the caller's scope, a \
         channel the caller may not report through, or a deactivated account.",
    ),
    ec(
        "not_found",
        404,
        "No such thing, or not visible to the caller (existence is not leaked).",
    ),
    ec(
        "invalid_transition",
        409,
        "The action does not apply in the case's current state (see `GET /api/meta`).",
    ),
    ec(
        "request_pending",
        409,
        "A return, extension, suspension or void request is waiting for a decision; only that \
         decision (or supervision) is allowed now.",
    ),
    ec(
        "version_conflict",
        409,
        "The case is not at `expected_version`, or someone else changed it first; `error.current` \
         carries the case as it is now.",
    ),
    ec(
        "duplicate",
        409,
        "Something with this code or name already exists (a department code, a username, a \
         vehicle plate or terminal phone …).",
    ),
    ec(
        "payload_too_large",
        413,
        "The body or upload is larger than allowed.",
    ),
    ec(
        "unsupported_media_type",
        415,
        "JSON sent without `Content-Type: application/json`, or an upload that is not a JPEG, \
         PNG or WebP image.",
    ),
    ec(
        "invalid_body",
        422,
        "The JSON does not fit the expected shape: a missing or mistyped field, or an unknown \
         one.",
    ),
    ec(
        "missing_field",
        422,
        "A field this action or report needs is missing (e.g. `department_id` for dispatch, a \
         note, a photo; a report with neither a point the city model can locate nor \
         `area_code`).",
    ),
    ec(
        "invalid",
        422,
        "A value is present but not acceptable (the message says which and why).",
    ),
    ec(
        "too_long",
        422,
        "A text is longer than allowed (description and note: 2000 characters, address: 200).",
    ),
    ec(
        "invalid_query",
        422,
        "A query parameter is well-formed but names nothing known (an unknown state or source \
         kind, a malformed area code); the message lists the accepted values.",
    ),
    ec(
        "invalid_period",
        422,
        "`from`/`to`, `period` or `week` is not a date, month (YYYY-MM) or ISO week (YYYY-Www), \
         `to` is before `from`, both forms are given, or a report's period does not fit its kind.",
    ),
    ec(
        "alarm_without_class",
        422,
        "The alarm names no taxonomy class, so no case can be filed from it; report one by hand.",
    ),
    ec(
        "alarm_changed",
        409,
        "Someone else acknowledged, linked or cleared the alarm first; reload it.",
    ),
    ec(
        "rate_limited",
        429,
        "Too many requests from this client; wait for the seconds in `Retry-After`.",
    ),
    ec(
        "invalid_code",
        401,
        "The one-time sign-in code is wrong, expired or used up (after 5 wrong tries); ask for \
         a new one.",
    ),
    ec(
        "ambiguous_address",
        422,
        "The address names a place that exists more than once (e.g. a road in two districts); \
         the message lists the candidates: add the district or street, or give the point.",
    ),
    ec(
        "address_not_found",
        422,
        "Nothing in the address is a known district, street, community or road of the city \
         model; give the point or a known name.",
    ),
    ec(
        "too_many_attachments",
        422,
        "More than 9 photos on one step.",
    ),
    ec(
        "invalid_point",
        422,
        "`lat`/`lon` are not WGS-84 degrees (finite, lat −90…90, lon −180…180), or only one of \
         them is given.",
    ),
    ec(
        "outside_city",
        422,
        "The point lies in no unit grid (单元网格) of the city model: check that `lat`/`lon` are \
         WGS-84 and not swapped.",
    ),
    ec(
        "point_outside_area",
        422,
        "The point lies in a unit grid that is not inside the given `area_code`.",
    ),
    ec(
        "too_many_points",
        422,
        "More than 10,000 points in one geocoding batch.",
    ),
    ec(
        "invalid_area_code",
        422,
        "An area code is not 6, 9, 12 or 15 digits (a `parent` prefix of the map layer and \
         export: not an area code or a prefix of one, i.e. not digits, or longer than 15).",
    ),
    ec(
        "unknown_level",
        422,
        "`level` is not `district`, `street`, `community` or `grid`.",
    ),
    ec("invalid_zoom", 422, "`zoom` is outside 8–18."),
    ec("unknown_crs", 422, "`crs` is neither `wgs84` nor `gcj02`."),
    ec(
        "unknown_format",
        422,
        "`format` is neither `geojson` nor, for the components layer only, `csv`.",
    ),
    ec(
        "invalid_states",
        422,
        "`states` is neither `open` nor `all`.",
    ),
    ec(
        "invalid_layer_file",
        422,
        "The file cannot be read as that layer: broken JSON or CSV, not a GeoJSON \
         FeatureCollection, or a feature missing a property or with an unusable geometry (the \
         message names the feature or line). Nothing was stored.",
    ),
    ec(
        "invalid_layer",
        422,
        "The layer file is readable but features fail validation (bad or duplicate codes, \
         unknown parents, unclosed or self-intersecting rings, coordinates out of range or \
         lat/lon swapped, outside the parent, overlapping siblings, gaps, unknown component \
         classes or grids). Nothing was stored; `error.issues` lists every finding per feature.",
    ),
    ec("unknown_area", 422, "No area with this code."),
    ec(
        "invalid_rules",
        422,
        "An escalation rule cannot work (level, threshold or count); the message says which.",
    ),
    ec(
        "invalid_url",
        422,
        "Not a usable webhook URL: the scheme must be `http` or `https`, with a host (no \
         credentials), a port from 1 to 65535 if any, at most 500 characters; the message \
         says which.",
    ),
    ec(
        "invalid_name",
        422,
        "The name is empty or longer than 100 characters.",
    ),
    ec(
        "invalid_secret",
        422,
        "A webhook secret must be 16 to 200 bytes.",
    ),
    ec(
        "unknown_project",
        422,
        "Not one of the eleven volunteer service projects (the message lists them).",
    ),
    ec(
        "unknown_road",
        422,
        "No road with this id in the city model.",
    ),
    ec("unknown_source", 422, "Not a known report channel."),
    ec(
        "unknown_class",
        422,
        "No matter class with this code in this standard.",
    ),
    ec("unknown_action", 422, "Not a known action."),
    ec(
        "unknown_inspector",
        422,
        "The user is not an active inspector whose area covers the case.",
    ),
    ec("unknown_department", 422, "No department with this id."),
    ec(
        "invalid_master",
        422,
        "The master case is not an open case the caller can see.",
    ),
    ec(
        "unknown_reference",
        422,
        "Refers to something that does not exist (a user, department or area; a road chief \
         who is not a user).",
    ),
    ec(
        "weak_password",
        422,
        "The password has fewer than 8 characters.",
    ),
    ec(
        "invalid_plate",
        422,
        "The vehicle plate is empty or longer than 16 characters.",
    ),
    ec(
        "invalid_phone",
        422,
        "The terminal phone is not 1–20 digits.",
    ),
    ec(
        "invalid_time",
        422,
        "`from` or `to` is not an RFC 3339 time, or (a vehicle track) `from` is after `to`.",
    ),
    ec(
        "invalid_mn",
        422,
        "The monitor's MN is not 1–24 ASCII letters or digits.",
    ),
    ec(
        "unknown_kind",
        422,
        "The monitor kind is not `fume`, `dust`, `noise` or `other`.",
    ),
    ec(
        "unknown_size_class",
        422,
        "The size class is not `small`, `medium` or `large`.",
    ),
    ec(
        "invalid_permit",
        422,
        "The muck permit is not usable (no vehicle, a site without a polygon, a short route, a \
         non-positive corridor width, an empty time window, reversed dates, a changed number …); \
         `error.problems` lists every problem.",
    ),
    ec(
        "permit_revoked",
        409,
        "The permit is revoked: it cannot change or be revoked again.",
    ),
    ec(
        "invalid_id",
        422,
        "A sensor, camera or station id is not 1–64 ASCII letters, digits, `-`, `_`, `.` or `:`.",
    ),
    ec(
        "unknown_sensor_kind",
        422,
        "The sensor kind is not `manhole`, `bin`, `waterlog` or `numeric`.",
    ),
    ec(
        "invalid_event",
        422,
        "A camera event's `event_type` is empty or too long, its `confidence` is not in 0–1, or \
         `at` is not an RFC 3339 time.",
    ),
    ec(
        "invalid_image",
        422,
        "A camera event's `image` is not base64, or not a JPEG, PNG or WebP.",
    ),
    ec(
        "invalid_tonnage",
        422,
        "Station tonnage: the day is not a date or is in the future, or a tonnage is not 0–100000.",
    ),
    ec(
        "invalid_route",
        422,
        "A collection route's name, points, days or finish time is not valid.",
    ),
    ec(
        "unknown_category",
        422,
        "The waste category is not `kitchen`, `other`, `recyclable` or `hazardous`.",
    ),
    ec("unknown_vehicle", 422, "The vehicle does not exist."),
    ec(
        "not_garbage_truck",
        422,
        "A collection route's vehicle is not a garbage truck.",
    ),
    ec(
        "category_mismatch",
        422,
        "A collection route's category is not that of one of its points or of its truck.",
    ),
    ec(
        "unknown_point",
        422,
        "A collection point id names no collection point.",
    ),
    ec(
        "route_exists",
        409,
        "A collection route with this id exists; change it with PUT.",
    ),
    ec(
        "internal",
        500,
        "A server-side failure (logged); retry later.",
    ),
    ec(
        "store_unavailable",
        503,
        "The database does not answer (health check only).",
    ),
];

/// The registry entry of `code`.
pub fn error_code(code: &str) -> Option<&'static ErrorCode> {
    ERROR_CODES.iter().find(|e| e.code == code)
}

/// Failures any signed-in request can meet.
const AUTH: &[&str] = &["unauthenticated", "token_expired", "forbidden", "internal"];
/// Failures of reading a JSON body.
const JSON_BODY: &[&str] = &[
    "bad_json",
    "bad_request",
    "payload_too_large",
    "unsupported_media_type",
    "invalid_body",
];

// ---------------------------------------------------------------------------------------------
// Enumerations, from the domain

/// Each [`Light`], by its wire name.
fn lights() -> Vec<&'static str> {
    [Light::Green, Light::Yellow, Light::Red]
        .into_iter()
        .map(|l| match l {
            // Exhaustive on purpose: a new variant must be listed above.
            Light::Green | Light::Yellow | Light::Red => crate::dto::light_str(l),
        })
        .collect()
}

/// Each [`Urgency`] with its Chinese label (as `GET /api/meta` gives them).
fn urgencies() -> Vec<(&'static str, &'static str)> {
    [Urgency::Urgent, Urgency::High, Urgency::Normal]
        .into_iter()
        .map(|u| {
            let label = match u {
                Urgency::Urgent => "紧急",
                Urgency::High => "较急",
                Urgency::Normal => "一般",
            };
            (u.as_str(), label)
        })
        .collect()
}

fn class_kinds() -> Vec<&'static str> {
    [ClassKind::Component, ClassKind::Matter]
        .into_iter()
        .map(|k| match k {
            ClassKind::Component | ClassKind::Matter => k.as_str(),
        })
        .collect()
}

fn area_levels() -> Vec<&'static str> {
    [
        AreaLevel::District,
        AreaLevel::Street,
        AreaLevel::Community,
        AreaLevel::Grid,
    ]
    .into_iter()
    .map(|l| match l {
        AreaLevel::District | AreaLevel::Street | AreaLevel::Community | AreaLevel::Grid => {
            l.as_str()
        }
    })
    .collect()
}

/// The serde name of a unit enum variant.
fn wire<T: serde::Serialize>(v: &T) -> String {
    match serde_json::to_value(v) {
        Ok(Value::String(s)) => s,
        other => panic!("not a unit variant: {other:?}"),
    }
}

/// The layers of the city model, by their path name (`Layer::parse`) and serde name.
fn layers() -> Vec<String> {
    [Layer::Areas, Layer::Roads, Layer::Components]
        .iter()
        .map(|l| match l {
            Layer::Areas | Layer::Roads | Layer::Components => wire(l),
        })
        .collect()
}

fn road_classes() -> Vec<&'static str> {
    RoadClass::ALL.map(RoadClass::as_str).to_vec()
}

fn component_statuses() -> Vec<&'static str> {
    ComponentStatus::ALL.map(ComponentStatus::as_str).to_vec()
}

/// The kinds of finding of layer validation (`grid::validate::IssueKind`), by serde name.
fn issue_kinds() -> Vec<String> {
    IssueKind::ALL.iter().map(wire).collect()
}

fn limit_units() -> Vec<String> {
    [
        LimitUnit::WorkMinutes,
        LimitUnit::WorkHours,
        LimitUnit::WorkDays,
    ]
    .iter()
    .map(|u| match u {
        LimitUnit::WorkMinutes | LimitUnit::WorkHours | LimitUnit::WorkDays => wire(u),
    })
    .collect()
}

fn day_kinds() -> Vec<String> {
    [DayKind::Holiday, DayKind::MakeupWorkday]
        .iter()
        .map(|d| match d {
            DayKind::Holiday | DayKind::MakeupWorkday => wire(d),
        })
        .collect()
}

/// The kinds of pending request, by `PendingRequest::kind`.
fn pending_kinds() -> Vec<&'static str> {
    let (by, reason) = (0, String::new());
    [
        PendingRequest::Return {
            requested_by: by,
            reason: reason.clone(),
        },
        PendingRequest::Extension {
            requested_by: by,
            minutes: 0,
            reason: reason.clone(),
        },
        PendingRequest::Suspension {
            requested_by: by,
            reason: reason.clone(),
        },
        PendingRequest::Void {
            requested_by: by,
            reason,
        },
    ]
    .iter()
    .map(PendingRequest::kind)
    .collect()
}

/// What a photo rule of an action is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PhotoRule {
    Never,
    Always,
    /// Only when `confirmed` is true (verify).
    WhenConfirmed,
}

/// What one action of `POST /api/cases/{id}/actions` is and needs.
#[derive(Clone, Debug)]
pub struct ActionDoc {
    /// A command of this action (payload values are placeholders).
    pub command: Command,
    pub name: &'static str,
    /// The standard Chinese term (as `GET /api/meta` labels it).
    pub label: &'static str,
    pub what: &'static str,
    /// Request fields the action requires besides `action`.
    pub required: &'static [&'static str],
    /// Request fields the action may take.
    pub optional: &'static [&'static str],
    /// Whether a non-blank `note` is required.
    pub note: bool,
    pub photo: PhotoRule,
}

/// Every action, in loop order. Roles and states come from the domain's `Command`.
pub fn actions() -> Vec<ActionDoc> {
    let templates = Command::examples();
    templates.into_iter().map(action_doc).collect()
}

/// The documentation of one command. Exhaustive: a new command does not compile until it is
/// documented here (and added to [`actions`]).
fn action_doc(command: Command) -> ActionDoc {
    use PhotoRule::{Always, Never, WhenConfirmed};
    let (label, what, required, optional, note, photo): (
        &str,
        &str,
        &[&str],
        &[&str],
        bool,
        PhotoRule,
    ) = match &command {
        Command::SendVerify { .. } => (
            "发核实",
            "Send an inspector to verify the report on site. reported → verifying.",
            &["inspector_id"],
            &[],
            false,
            Never,
        ),
        Command::Accept => (
            "受理",
            "Accept a report that carries its own evidence (inspector, camera, sensor, vehicle, \
             third-party inspection, superior). reported → pending_filing.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::RejectReport => (
            "不予受理",
            "Reject a report (not a city-management matter, spam). reported → rejected.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::Verify { .. } => (
            "核实",
            "The assigned inspector reports what they found; a photo is required when \
             confirmed. verifying → pending_filing.",
            &["confirmed"],
            &[],
            false,
            WhenConfirmed,
        ),
        Command::File { .. } => (
            "立案",
            "File the case under a matter class (事项), optionally setting its urgency. \
             `class_code` is required unless the case already has a class (422 `missing_field`, \
             \"class is required\"); a report whose verification did not confirm it cannot be \
             filed. pending_filing → pending_dispatch.",
            &[],
            &["class_code", "standard_ref", "urgency"],
            false,
            Never,
        ),
        Command::Reject => (
            "不予立案",
            "Decline to file. pending_filing → rejected.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::ReturnToIntake => (
            "立案回退",
            "Send the report back to the operator. pending_filing → reported.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::Dispatch { .. } => (
            "派遣",
            "Send the case to a responsible department. pending_dispatch → dispatched.",
            &["department_id"],
            &[],
            false,
            Never,
        ),
        Command::AcceptTask => (
            "签收",
            "The department accepts the task. dispatched → handling.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::RequestReturn => (
            "申请回退",
            "The department asks to hand the case back (not theirs); the dispatcher decides.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::ApproveReturn => (
            "同意回退",
            "Approve a pending return; the case goes back for re-dispatch.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::DenyReturn => ("驳回回退", "Deny a pending return.", &[], &[], true, Never),
        Command::Feedback => (
            "处置反馈",
            "The department reports the work done. handling → pending_check.",
            &[],
            &[],
            true,
            Always,
        ),
        Command::RequestExtension { .. } => (
            "申请延期",
            "Ask for more working minutes (1–25200) to handle the case.",
            &["minutes"],
            &[],
            true,
            Never,
        ),
        Command::ApproveExtension => (
            "同意延期",
            "Approve a pending extension; the handling deadline moves.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::DenyExtension => (
            "驳回延期",
            "Deny a pending extension.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::RequestSuspension => (
            "申请挂账",
            "Ask to park the case (the clock would stop).",
            &[],
            &[],
            true,
            Never,
        ),
        Command::ApproveSuspension => (
            "同意挂账",
            "Approve a pending suspension. handling → suspended; the clock stops.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::DenySuspension => (
            "驳回挂账",
            "Deny a pending suspension.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::Resume => (
            "挂账恢复",
            "Resume a suspended case. suspended → handling; the clock runs on.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::SendCheck { .. } => (
            "发核查",
            "Send an inspector to check the result on site. pending_check → checking.",
            &["inspector_id"],
            &[],
            false,
            Never,
        ),
        Command::Check { .. } => (
            "核查",
            "The assigned inspector reports whether the work is done. checking → pending_close.",
            &["passed"],
            &[],
            false,
            Always,
        ),
        Command::Close => (
            "结案",
            "Close the case; needs a passed check or a self-handled report. pending_close → \
             closed.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::Rework => (
            "返工",
            "Send the case back to the same department. pending_close → dispatched.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::Supervise => (
            "督办",
            "Flag an open case for supervision; each call escalates one level. Allowed while a \
             request is pending.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::RequestVoid => (
            "申请作废",
            "Ask to void the case; the shift supervisor decides.",
            &[],
            &[],
            true,
            Never,
        ),
        Command::ApproveVoid => (
            "同意作废",
            "Approve a pending void. → voided.",
            &[],
            &[],
            false,
            Never,
        ),
        Command::DenyVoid => ("驳回作废", "Deny a pending void.", &[], &[], true, Never),
        Command::LinkDuplicate { .. } => (
            "合并重复案件",
            "Link this case, a duplicate, to its open master case. → merged.",
            &["master_case_id"],
            &[],
            false,
            Never,
        ),
        Command::Reply => (
            "答复",
            "Answer the citizen (the note is the answer; Open311 shows it as status_notes). Any \
             state but merged, also while a request waits; the state does not change. \
             `replied_at` keeps the first answer's time (回复率).",
            &[],
            &[],
            true,
            Never,
        ),
        Command::Rate { .. } => (
            "回访评价",
            "Rate the result of a closed case: the reporter (citizen or volunteer) on their own \
             report, or an operator calling the reporter back. `rating` is satisfied, \
             basically_satisfied or unsatisfied; unsatisfied needs a note and reopens the case \
             once (回访不满意回退重办): closed → dispatched to the same department. A result is \
             rated once each time it closes.",
            &["rating"],
            &[],
            false,
            Never,
        ),
    };
    ActionDoc {
        name: command.name(),
        command,
        label,
        what,
        required,
        optional,
        note,
        photo,
    }
}

/// Event actions besides the commands: how a case is created.
const REPORT_ACTIONS: [&str; 2] = ["report", "report_self_handled"];

/// Backend names of `GET /api/health`, as the handler prints `Backend` (lower-case Debug).
fn backends() -> Vec<String> {
    [store::Backend::Sqlite, store::Backend::Postgres]
        .iter()
        .map(|b| match b {
            store::Backend::Sqlite | store::Backend::Postgres => format!("{b:?}").to_lowercase(),
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Schema helpers

fn r(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

/// `schema` or JSON `null`.
fn nullable(schema: Value) -> Value {
    if schema.get("$ref").is_some() {
        return json!({ "anyOf": [schema, { "type": "null" }] });
    }
    let mut s = schema;
    if let Some(t) = s.get("type").cloned() {
        s["type"] = match t {
            Value::String(t) => json!([t, "null"]),
            Value::Array(mut ts) => {
                ts.push(json!("null"));
                Value::Array(ts)
            }
            other => other,
        };
        s
    } else {
        json!({ "anyOf": [s, { "type": "null" }] })
    }
}

fn arr(items: Value) -> Value {
    json!({ "type": "array", "items": items })
}

fn string(description: &str) -> Value {
    json!({ "type": "string", "description": description })
}

fn int64(description: &str) -> Value {
    json!({ "type": "integer", "format": "int64", "description": description })
}

fn int32(description: &str) -> Value {
    json!({ "type": "integer", "format": "int32", "description": description })
}

fn boolean(description: &str) -> Value {
    json!({ "type": "boolean", "description": description })
}

fn date_time(description: &str) -> Value {
    json!({ "type": "string", "format": "date-time", "description": description })
}

/// `schema` with a description (beside a `$ref` too, as OpenAPI 3.1 allows).
fn with_description(mut schema: Value, description: &str) -> Value {
    schema["description"] = json!(description);
    schema
}

/// An object schema; `required` lists the properties always present (responses) or needed
/// (requests).
fn object(properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let props: Map<String, Value> = properties
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    for req in required {
        assert!(
            props.contains_key(*req),
            "required property {req} is not defined"
        );
    }
    json!({ "type": "object", "properties": props, "required": required })
}

/// An object schema that refuses unknown properties (request structs with
/// `#[serde(deny_unknown_fields)]`).
fn closed(properties: Vec<(&str, Value)>, required: &[&str]) -> Value {
    let mut o = object(properties, required);
    o["additionalProperties"] = json!(false);
    o
}

fn string_enum<S: AsRef<str>>(values: impl IntoIterator<Item = S>, description: &str) -> Value {
    let values: Vec<Value> = values.into_iter().map(|v| json!(v.as_ref())).collect();
    json!({ "type": "string", "enum": values, "description": description })
}

fn json_content(schema: Value) -> Value {
    json!({ "application/json": { "schema": schema } })
}

fn md_table(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut s = format!(
        "| {} |\n|{}\n",
        header.join(" | "),
        "---|".repeat(header.len())
    );
    for row in rows {
        s.push_str(&format!("| {} |\n", row.join(" | ")));
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Operations

/// Who may call an operation.
#[derive(Clone, Copy, Debug)]
enum Access {
    /// No credentials needed.
    Public,
    /// Any signed-in caller; what they see is still bounded by their scope.
    SignedIn,
    /// Signed in and holding one of these roles (in any scope).
    Roles(&'static [Role]),
}

/// One operation of the document.
struct Op {
    method: &'static str,
    path: &'static str,
    id: &'static str,
    summary: &'static str,
    description: String,
    access: Access,
    params: Vec<Value>,
    body: Option<Value>,
    responses: Vec<(u16, Value)>,
    errors: Vec<&'static str>,
    extra: Vec<(&'static str, Value)>,
}

impl Op {
    fn new(
        method: &'static str,
        path: &'static str,
        id: &'static str,
        summary: &'static str,
    ) -> Op {
        Op {
            method,
            path,
            id,
            summary,
            description: String::new(),
            access: Access::SignedIn,
            params: Vec::new(),
            body: None,
            responses: Vec::new(),
            errors: Vec::new(),
            extra: Vec::new(),
        }
    }

    fn get(path: &'static str, id: &'static str, summary: &'static str) -> Op {
        Op::new("get", path, id, summary)
    }

    fn post(path: &'static str, id: &'static str, summary: &'static str) -> Op {
        Op::new("post", path, id, summary)
    }

    fn put(path: &'static str, id: &'static str, summary: &'static str) -> Op {
        Op::new("put", path, id, summary)
    }

    fn doc(mut self, description: impl Into<String>) -> Op {
        self.description = description.into();
        self
    }

    fn public(mut self) -> Op {
        self.access = Access::Public;
        self
    }

    fn roles(mut self, roles: &'static [Role]) -> Op {
        self.access = Access::Roles(roles);
        self
    }

    fn path_param(mut self, name: &str, schema: Value, description: &str) -> Op {
        self.params.push(json!({
            "name": name, "in": "path", "required": true, "schema": schema, "description": description,
        }));
        self
    }

    fn query(mut self, name: &str, required: bool, schema: Value, description: &str) -> Op {
        self.params.push(json!({
            "name": name, "in": "query", "required": required, "schema": schema,
            "description": description,
        }));
        self
    }

    fn query_param(mut self, param: Value) -> Op {
        self.params.push(param);
        self
    }

    /// A required JSON body.
    fn json_body(mut self, schema: Value, description: &str) -> Op {
        self.body = Some(json!({
            "required": true, "description": description, "content": json_content(schema),
        }));
        self
    }

    fn body(mut self, body: Value) -> Op {
        self.body = Some(body);
        self
    }

    /// A JSON success response.
    fn ok(mut self, status: u16, description: &str, schema: Value) -> Op {
        self.responses.push((
            status,
            json!({ "description": description, "content": json_content(schema) }),
        ));
        self
    }

    /// A success response with no body.
    fn empty(mut self, status: u16, description: &str) -> Op {
        self.responses
            .push((status, json!({ "description": description })));
        self
    }

    /// Any response object as is.
    fn response(mut self, status: u16, response: Value) -> Op {
        self.responses.push((status, response));
        self
    }

    fn errors(mut self, list: &[&'static str]) -> Op {
        for c in list {
            if !self.errors.contains(c) {
                self.errors.push(c);
            }
        }
        self
    }

    fn ext(mut self, key: &'static str, value: Value) -> Op {
        self.extra.push((key, value));
        self
    }

    fn render(&self, tag: &str) -> Value {
        let mut responses = Map::new();
        for (status, resp) in &self.responses {
            responses.insert(status.to_string(), resp.clone());
        }
        let mut by_status: BTreeMap<u16, Vec<&ErrorCode>> = BTreeMap::new();
        for c in &self.errors {
            let Some(e) = error_code(c) else {
                panic!(
                    "{} {}: error code {c} is not in ERROR_CODES",
                    self.method, self.path
                );
            };
            by_status.entry(e.status).or_default().push(e);
        }
        for (status, list) in by_status {
            let names: Vec<&str> = list.iter().map(|e| e.code).collect();
            let lines: Vec<String> = list
                .iter()
                .map(|e| format!("- `{}`: {}", e.code, e.meaning))
                .collect();
            let description = format!(
                "{}. `error.code` is one of:\n{}",
                reason(status),
                lines.join("\n")
            );
            let content = json_content(r("Error"));
            responses.insert(
                status.to_string(),
                json!({ "description": description, "content": content, "x-error-codes": names }),
            );
        }
        let mut op = json!({
            "operationId": self.id,
            "summary": self.summary,
            "tags": [tag],
            "responses": responses,
        });
        let mut description = self.description.clone();
        match self.access {
            Access::Public => {
                op["security"] = json!([]);
            }
            Access::SignedIn => {
                op["security"] = signed_in();
            }
            Access::Roles(roles) => {
                op["security"] = signed_in();
                let names: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
                op["x-roles"] = json!(names);
                let labels: Vec<String> = roles
                    .iter()
                    .map(|r| format!("`{}` ({})", r.as_str(), r.label_zh()))
                    .collect();
                if !description.is_empty() {
                    description.push_str("\n\n");
                }
                description.push_str(&format!("Needs the role {}.", labels.join(" or ")));
            }
        }
        if !description.is_empty() {
            op["description"] = json!(description);
        }
        if !self.params.is_empty() {
            op["parameters"] = json!(self.params);
        }
        if let Some(b) = &self.body {
            op["requestBody"] = b.clone();
        }
        for (k, v) in &self.extra {
            op[*k] = v.clone();
        }
        op
    }
}

fn signed_in() -> Value {
    json!([{ "sessionCookie": [] }, { "bearerToken": [] }, { "apiKey": [] }])
}

fn reason(status: u16) -> &'static str {
    match status {
        400 => "Bad request",
        401 => "Not signed in",
        403 => "Forbidden",
        404 => "Not found",
        409 => "Conflict",
        413 => "Payload too large",
        415 => "Unsupported media type",
        422 => "Unprocessable",
        500 => "Internal error",
        503 => "Unavailable",
        _ => "Error",
    }
}

/// `roles` for a description: `` `admin` (管理员), `leader` (…) ``.
fn role_list(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|r| format!("`{}` ({})", r.as_str(), r.label_zh()))
        .collect::<Vec<_>>()
        .join(", ")
}

fn id_param(op: Op, what: &str) -> Op {
    op.path_param("id", int64(""), what)
}

// ---- system --------------------------------------------------------------------------------

fn system_ops() -> Vec<Op> {
    vec![
        Op::get("/api/health", "getHealth", "Health check")
            .public()
            .doc("Whether the server and its database answer. For load balancers and probes.")
            .ok(200, "The server and the store answer.", r("Health"))
            .errors(&["store_unavailable"]),
        Op::get("/api/meta", "getMeta", "Vocabulary for clients (元数据)")
            .public()
            .doc(
                "Case states, report channels, roles, department types, urgencies and actions, \
                 each with its code and Chinese label.",
            )
            .ok(200, "The vocabulary.", r("Meta")),
        Op::get("/metrics", "getMetrics", "Prometheus metrics")
            .public()
            .doc(
                "Request counts by route and status, latencies, case transitions by action and \
                 error counts by code, in the Prometheus text format. Not under `/api`; protect \
                 it at the proxy if needed.",
            )
            .response(
                200,
                json!({
                    "description": "Metrics in the Prometheus text exposition format 0.0.4.",
                    "content": { "text/plain": { "schema": { "type": "string" } } },
                }),
            )
            .response(
                503,
                json!({
                    "description": "The metrics recorder could not be installed (plain text).",
                    "content": { "text/plain": { "schema": { "type": "string" } } },
                }),
            ),
        Op::get(OPENAPI_PATH, "getOpenApi", "This OpenAPI document")
            .public()
            .ok(
                200,
                "The OpenAPI 3.1 document.",
                json!({ "type": "object" }),
            ),
        Op::get(DOCS_PATH, "getApiDocs", "Browsable API documentation")
            .public()
            .doc("A self-contained HTML page (no external assets) that renders this document.")
            .response(
                200,
                json!({
                    "description": "The page.",
                    "content": { "text/html": { "schema": { "type": "string" } } },
                }),
            ),
    ]
}

// ---- auth ----------------------------------------------------------------------------------

fn auth_ops() -> Vec<Op> {
    let set_cookie = json!({
        "Set-Cookie": {
            "description": format!("`{SESSION_COOKIE}=<token>; HttpOnly; SameSite=Lax; Path=/; Max-Age=<seconds>` (plus `Secure` behind HTTPS)."),
            "schema": { "type": "string" },
        }
    });
    vec![
        Op::post("/api/auth/login", "login", "Sign in (登录)")
            .public()
            .doc(
                "Starts a session. Browsers get the HTTP-only session cookie; API clients use the \
                 `token` from the body as `Authorization: Bearer <token>`. The session lasts the \
                 configured time (12 h by default).",
            )
            .json_body(r("LoginRequest"), "Username and password.")
            .response(
                200,
                json!({
                    "description": "Signed in.",
                    "headers": set_cookie,
                    "content": json_content(r("LoginResponse")),
                }),
            )
            .errors(JSON_BODY)
            .errors(&["bad_credentials", "internal"]),
        Op::post("/api/auth/logout", "logout", "Sign out (退出登录)")
            .doc(
                "Ends the session of the bearer token or cookie and clears the cookie. With an API \
                 key, nothing is ended.",
            )
            .response(
                204,
                json!({
                    "description": "Signed out; the cookie is cleared.",
                    "headers": {
                        "Set-Cookie": {
                            "description": format!("`{SESSION_COOKIE}=; …; Max-Age=0`"),
                            "schema": { "type": "string" },
                        }
                    },
                }),
            )
            .errors(AUTH),
        Op::get("/api/me", "getMe", "Who am I")
            .doc("The caller and their role grants (each with its area or department scope).")
            .ok(200, "The caller.", r("UserWithRoles"))
            .errors(AUTH),
    ]
}

// ---- cases ---------------------------------------------------------------------------------

/// The filters of `GET /api/cases` (and `GET /api/stats/summary`).
fn case_filters(op: Op) -> Op {
    op.query_param(json!({
        "name": "state", "in": "query", "required": false, "style": "form", "explode": false,
        "schema": arr(r("CaseState")),
        "description": "Comma-separated case states, e.g. `pending_dispatch,dispatched`.",
    }))
    .query(
        "area",
        false,
        r("AreaCode"),
        "Any area code (district, street, community or grid); cases inside it.",
    )
    .query(
        "class",
        false,
        string("Matter class code, e.g. `06010`."),
        "Matter class code.",
    )
    .query("source", false, r("Source"), "Report channel.")
    .query(
        "department",
        false,
        int64(""),
        "Cases dispatched to this department.",
    )
    .query(
        "assignee",
        false,
        int64(""),
        "Cases assigned to this inspector (verify/check task).",
    )
    .query(
        "light",
        false,
        r("Light"),
        "Overdue light (颜色预警) of the current node.",
    )
    .query(
        "from",
        false,
        json!({ "type": "string", "examples": ["2026-01-01", "2026-01-01T09:00:00+08:00"] }),
        "Created at or after: RFC 3339, or `YYYY-MM-DD` meaning midnight Asia/Shanghai.",
    )
    .query(
        "to",
        false,
        json!({ "type": "string", "examples": ["2026-02-01"] }),
        "Created before (exclusive): RFC 3339 or `YYYY-MM-DD`.",
    )
    .query(
        "q",
        false,
        string(""),
        "Text in the description or address, or an exact case number.",
    )
    .query(
        "supervised",
        false,
        boolean(""),
        "Only cases under supervision (督办), or only those not.",
    )
    .query(
        "pending",
        false,
        r("PendingKind"),
        "Cases with a pending request of this kind.",
    )
    .query(
        "mine",
        false,
        boolean(""),
        "`true`: only cases the caller reported.",
    )
    .query(
        "assigned",
        false,
        boolean(""),
        "`true`: only cases assigned to the caller (verify/check tasks).",
    )
}

fn case_ops() -> Vec<Op> {
    let list = case_filters(
        Op::get("/api/cases", "listCases", "List cases (案卷列表)").doc(
            "Cases the caller may see, filtered, newest first, keyset-paginated: pass \
             `next_cursor` back as `cursor` for the next page. Unknown query parameters are \
             refused.",
        ),
    )
    .query(
        "limit",
        false,
        json!({ "type": "integer", "minimum": 1, "maximum": 500, "default": 50 }),
        "Page size; clamped to 1–500.",
    )
    .query(
        "cursor",
        false,
        string(""),
        "`next_cursor` of the previous page.",
    )
    .ok(200, "A page of cases.", r("CaseList"))
    .errors(AUTH)
    .errors(&["bad_request"]);

    let report = Op::post("/api/cases", "reportCase", "Report a problem (上报)")
        .doc(format!(
            "Creates a case from a report through any channel. Inspector reports go straight to \
             filing (`pending_filing`), self-handled ones (自行处置) to `pending_close`; every other \
             channel starts at `reported`.\n\n\
             **Where.** With a point (`lat`/`lon`, WGS-84) and a city model loaded, the server \
             locates it (地理编码): its unit grid becomes the case's area (`area_code` may be left \
             out; if given, it must be a valid area code (else `invalid_area_code`) containing \
             that grid (else `point_outside_area`)), the nearest road within 300 m its \
             `road_id`, and a blank `address` is filled with the readable address. A point in no \
             unit grid is refused with `outside_city`. Without a point, or while no unit grid is \
             loaded, `area_code` says where (the point is then stored as given); a report with \
             only a point while no unit grid is loaded is refused with `missing_field`.\n\n\
             Who may report through which channel:\n\n{}",
            sources_table()
        ))
        .json_body(r("ReportRequest"), "The report.")
        .ok(201, "The new case.", r("CaseCreated"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "missing_field",
            "invalid",
            "unknown_source",
            "too_long",
            "invalid_point",
            "outside_city",
            "point_outside_area",
            "too_many_attachments",
            "invalid_area_code",
            "unknown_area",
            "unknown_class",
        ]);

    let detail = id_param(
        Op::get("/api/cases/{id}", "getCase", "Case detail (案卷详情)"),
        "Case id.",
    )
    .doc(
        "The case, its audit trail (oldest first), its linked duplicates and the actions the \
         caller could take now (some still need inputs). Cases outside the caller's scope are \
         404.",
    )
    .ok(200, "The case.", r("CaseDetail"))
    .errors(AUTH)
    .errors(&["bad_request", "not_found"]);

    let events = id_param(
        Op::get(
            "/api/cases/{id}/events",
            "listCaseEvents",
            "Audit trail of a case (流转记录)",
        ),
        "Case id.",
    )
    .doc("Every step taken on the case, oldest first. Events are immutable.")
    .ok(200, "The events.", arr(r("Event")))
    .errors(AUTH)
    .errors(&["bad_request", "not_found"]);

    let act = id_param(
        Op::post(
            "/api/cases/{id}/actions",
            "actOnCase",
            "Take a step in the case loop (案卷流转)",
        ),
        "Case id.",
    )
    .doc(format!(
        "Applies one action to the case. Send `expected_version` (the `version` you saw) to be \
         refused with 409 `version_conflict` — carrying the current case in `error.current` — \
         instead of acting on a case someone else changed. Photos are uploaded first with \
         `POST /api/attachments` and referred to by id in `attachments`.\n\n{}",
        actions_table()
    ))
    .json_body(r("ActionRequest"), "The action and its inputs.")
    .ok(
        200,
        "The case after the step, the event written and what may be done next.",
        r("ActionResult"),
    )
    .errors(AUTH)
    .errors(&["bad_request"])
    .errors(JSON_BODY)
    .errors(&[
        "not_found",
        "invalid_transition",
        "request_pending",
        "version_conflict",
        "missing_field",
        "invalid",
        "too_long",
        "too_many_attachments",
        "unknown_action",
        "unknown_inspector",
        "unknown_department",
        "unknown_class",
        "invalid_master",
    ]);

    let queues = Op::get("/api/queues", "getQueues", "Work queues (工作台)")
        .doc(
            "Counts for the caller's workbench badges, within their scope: cases per state, \
             pending requests per kind, yellow and red lights, and the caller's own \
             verification/check tasks.",
        )
        .ok(200, "The counts.", r("Queues"))
        .errors(AUTH);

    let summary = case_filters(
        Op::get(
            "/api/stats/summary",
            "getSummary",
            "Summary counts (统计概览)",
        )
        .doc(
            "Counts for the command centre over the cases the caller may see that match the \
             filters (the same as `GET /api/cases`).",
        ),
    )
    .ok(200, "The counts.", r("Summary"))
    .errors(AUTH)
    .errors(&["bad_request"]);

    let breakdown = Op::get(
        "/api/stats/breakdown",
        "getBreakdown",
        "Reports by channel and class, closure rate (来源构成, 高发问题, 结案率)",
    )
    .doc(
        "Over the cases the caller may see (the same visibility as `GET /api/cases`) inside \
         `area`: the cases reported in the period counted per channel and per class (the `top` \
         classes named), and the period's 结案率 (see `Breakdown.closure`). For the command \
         centre's wall, refreshed on live events.",
    )
    .query(
        "from",
        false,
        string("RFC 3339 or `YYYY-MM-DD`."),
        "Start of the period (Asia/Shanghai); default today 00:00.",
    )
    .query(
        "to",
        false,
        string("RFC 3339 or `YYYY-MM-DD`."),
        "End of the period, exclusive; default open-ended. Not after `from`: 400.",
    )
    .query(
        "area",
        false,
        r("AreaCode"),
        "Any area code (district, street, community or grid); cases inside it.",
    )
    .query(
        "top",
        false,
        json!({ "type": "integer", "minimum": 1, "maximum": crate::routes::BREAKDOWN_MAX_TOP, "default": crate::routes::BREAKDOWN_DEFAULT_TOP }),
        "How many classes to name.",
    )
    .ok(200, "The counts.", r("Breakdown"))
    .errors(AUTH)
    .errors(&["bad_request"]);

    vec![
        list, report, detail, events, act, queues, summary, breakdown,
    ]
}

fn sources_table() -> String {
    let rows: Vec<Vec<String>> = Source::ALL
        .iter()
        .map(|s| {
            let roles: Vec<String> = s
                .reporter_roles()
                .iter()
                .map(|r| format!("`{}`", r.as_str()))
                .collect();
            vec![
                format!("`{}`", s.as_str()),
                s.label_zh().to_owned(),
                roles.join(", "),
                if s.has_own_evidence() {
                    "may be accepted (受理) directly"
                } else {
                    "verified (核实) first"
                }
                .to_owned(),
            ]
        })
        .collect();
    md_table(
        &["source", "渠道", "who may report", "before filing"],
        &rows,
    )
}

fn actions_table() -> String {
    let rows: Vec<Vec<String>> = actions()
        .iter()
        .map(|a| {
            let roles: Vec<String> = a
                .command
                .roles()
                .iter()
                .map(|r| format!("`{}`", r.as_str()))
                .collect();
            let states: Vec<String> = a
                .command
                .from_states()
                .iter()
                .map(|s| format!("`{}`", s.as_str()))
                .collect();
            let mut needs: Vec<String> = a.required.iter().map(|f| format!("`{f}`")).collect();
            if a.note {
                needs.push("`note`".into());
            }
            match a.photo {
                PhotoRule::Never => {}
                PhotoRule::Always => needs.push("a photo in `attachments`".into()),
                PhotoRule::WhenConfirmed => {
                    needs.push("a photo in `attachments` when `confirmed`".into());
                }
            }
            let optional: Vec<String> = a.optional.iter().map(|f| format!("`{f}`")).collect();
            vec![
                format!("`{}`", a.name),
                a.label.to_owned(),
                roles.join(", "),
                if states.len() >= 10 {
                    "any open state".to_owned()
                } else {
                    states.join(", ")
                },
                if needs.is_empty() {
                    "—".to_owned()
                } else {
                    needs.join(", ")
                },
                if optional.is_empty() {
                    "—".to_owned()
                } else {
                    optional.join(", ")
                },
                a.what.to_owned(),
            ]
        })
        .collect();
    md_table(
        &[
            "action",
            "术语",
            "roles",
            "from states",
            "requires",
            "may take",
            "what it does",
        ],
        &rows,
    )
}

// ---- organisation --------------------------------------------------------------------------

const ADMIN: &[Role] = &[Role::Admin];
const ASSIGNERS: &[Role] = &[
    Role::Operator,
    Role::ShiftSupervisor,
    Role::Dispatcher,
    Role::Leader,
    Role::Admin,
];

fn organisation_ops() -> Vec<Op> {
    vec![
        Op::get("/api/areas", "listAreas", "List areas (区域)")
            .doc(
                "With `level`: every area at that level. Otherwise the children of `parent`, or \
                 the districts without it. Ordered by code.",
            )
            .query(
                "parent",
                false,
                r("AreaCode"),
                "List the children of this area.",
            )
            .query(
                "level",
                false,
                r("AreaLevel"),
                "List every area at this level (wins over `parent`).",
            )
            .ok(200, "The areas.", arr(r("Area")))
            .errors(AUTH)
            .errors(&["bad_request"]),
        Op::post(
            "/api/areas",
            "upsertAreas",
            "Add or rename areas (区域维护)",
        )
        .roles(ADMIN)
        .doc(
            "Adds areas, or renames existing ones. Parents are implied by the codes and must \
                 exist already or come earlier in the list.",
        )
        .json_body(arr(r("AreaInput")), "The areas.")
        .empty(204, "Saved.")
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "invalid_area_code",
            "missing_field",
            "invalid",
            "unknown_reference",
        ]),
        Op::get("/api/areas/{code}", "getArea", "One area")
            .path_param("code", r("AreaCode"), "Area code.")
            .ok(200, "The area.", r("Area"))
            .errors(AUTH)
            .errors(&["bad_request", "not_found"]),
        Op::get(
            "/api/departments",
            "listDepartments",
            "List departments (处置部门)",
        )
        .ok(200, "Every department.", arr(r("Department")))
        .errors(AUTH),
        Op::post(
            "/api/departments",
            "createDepartment",
            "Create a department (处置部门)",
        )
        .roles(ADMIN)
        .json_body(r("DepartmentInput"), "The department.")
        .ok(201, "The new department.", r("Department"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "invalid",
            "invalid_area_code",
            "duplicate",
            "unknown_reference",
        ]),
        Op::get("/api/users", "listUsers", "List users")
            .roles(ADMIN)
            .ok(
                200,
                "Every user with their role grants.",
                arr(r("UserWithRoles")),
            )
            .errors(AUTH),
        Op::post("/api/users", "createUser", "Create a user")
            .roles(ADMIN)
            .json_body(r("UserInput"), "The user, their password and role grants.")
            .ok(201, "The new user's id.", r("Created"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&[
                "invalid",
                "weak_password",
                "missing_field",
                "invalid_area_code",
                "duplicate",
                "unknown_reference",
            ]),
        id_param(
            Op::put(
                "/api/users/{id}/grants",
                "setUserGrants",
                "Replace a user's roles (授权)",
            ),
            "User id.",
        )
        .roles(ADMIN)
        .doc("Replaces all of the user's role grants and their scopes.")
        .json_body(arr(r("GrantInput")), "The new grants (may be empty).")
        .empty(204, "Saved.")
        .errors(AUTH)
        .errors(&["bad_request", "not_found"])
        .errors(JSON_BODY)
        .errors(&[
            "invalid",
            "missing_field",
            "invalid_area_code",
            "unknown_reference",
        ]),
        Op::get(
            "/api/inspectors",
            "listInspectors",
            "List inspectors (监督员)",
        )
        .roles(ASSIGNERS)
        .doc("Active inspectors with the areas they cover, for verify/check assignment.")
        .ok(200, "The inspectors.", arr(r("Inspector")))
        .errors(AUTH),
        Op::post("/api/api-keys", "createApiKey", "Create an API key")
            .roles(ADMIN)
            .doc(
                "A key for a machine client acting as `user_id` (with that user's roles). The key \
                 is shown once; only its hash is stored. Send it as `X-Api-Key: <key>` or \
                 `Authorization: ApiKey <key>`.",
            )
            .json_body(r("ApiKeyInput"), "Name and user.")
            .ok(201, "The key.", r("ApiKey"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["unknown_reference", "duplicate"]),
    ]
}

// ---- configuration -------------------------------------------------------------------------

fn configuration_ops() -> Vec<Op> {
    let std_ref = json!({ "type": "string", "default": GB_47678_5_2026 });
    vec![
        Op::get(
            "/api/taxonomy",
            "listTaxonomyClasses",
            "List taxonomy classes (部件事件分类)",
        )
        .doc(
            "Component (部件) and matter (事项) classes with their department type, filing and \
                 closing conditions and handling limits. The filters combine; an unknown `kind` \
                 matches nothing.",
        )
        .query("kind", false, r("ClassKind"), "Component or matter.")
        .query(
            "major",
            false,
            string(""),
            "Major class (大类) code, e.g. `06`.",
        )
        .query(
            "q",
            false,
            string(""),
            "Text in the name, or a code prefix.",
        )
        .query(
            "standard_ref",
            false,
            string(""),
            "Standard, e.g. `GB/T 47678.5-2026`.",
        )
        .ok(200, "The classes.", arr(r("TaxonomyClass")))
        .errors(AUTH)
        .errors(&["bad_request"]),
        Op::get(
            "/api/taxonomy/{kind}/{code}",
            "getTaxonomyClass",
            "One taxonomy class",
        )
        .path_param("kind", r("ClassKind"), "Component or matter.")
        .path_param("code", string(""), "Class (小类) code, e.g. `06010`.")
        .query(
            "standard_ref",
            false,
            std_ref.clone(),
            "Standard of the class.",
        )
        .ok(200, "The class.", r("TaxonomyClass"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
        Op::put(
            "/api/taxonomy/{kind}/{code}",
            "updateTaxonomyClass",
            "Edit a taxonomy class",
        )
        .roles(ADMIN)
        .doc(
            "Edits the department type, filing conditions (立案条件), closing condition \
                 (结案条件) and handling limits (处置时限) of a class. Absent fields stay as they \
                 are. Cases keep the class snapshot they were filed with.",
        )
        .path_param("kind", r("ClassKind"), "Component or matter.")
        .path_param("code", string(""), "Class code.")
        .json_body(r("ClassUpdate"), "The fields to change.")
        .ok(200, "The class as saved.", r("TaxonomyClass"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found"])
        .errors(JSON_BODY)
        .errors(&["invalid"]),
        Op::get(
            "/api/config/node-limits",
            "getNodeLimits",
            "Node time limits (环节时限)",
        )
        .ok(
            200,
            "Working minutes allowed at each node.",
            r("NodeLimits"),
        )
        .errors(AUTH),
        Op::put(
            "/api/config/node-limits",
            "putNodeLimits",
            "Set node time limits (环节时限)",
        )
        .roles(ADMIN)
        .doc("Applies to clocks started from now on; running clocks keep their limits.")
        .json_body(
            r("NodeLimits"),
            "Every limit, in working minutes (1–153300).",
        )
        .ok(200, "The limits as saved.", r("NodeLimits"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["invalid"]),
        Op::get(
            "/api/config/work-schedule",
            "getWorkSchedule",
            "Working hours (工作时间)",
        )
        .ok(200, "The daily working windows.", r("WorkSchedule"))
        .errors(AUTH),
        Op::put(
            "/api/config/work-schedule",
            "putWorkSchedule",
            "Set working hours (工作时间)",
        )
        .roles(ADMIN)
        .json_body(r("WorkSchedule"), "The daily working windows.")
        .ok(200, "The schedule as saved.", r("WorkSchedule"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["invalid"]),
        Op::get(
            "/api/calendar/special-days",
            "listSpecialDays",
            "Holidays and make-up workdays (节假日与调休)",
        )
        .query("year", false, int32(""), "Only this year.")
        .ok(200, "The special days, by date.", arr(r("SpecialDay")))
        .errors(AUTH)
        .errors(&["bad_request"]),
        Op::put(
            "/api/calendar/special-days/{year}",
            "putSpecialDays",
            "Replace a year's holidays and make-up workdays (节假日与调休)",
        )
        .roles(ADMIN)
        .doc(
            "Replaces every special day of `year` with the list (which must all fall in that \
             year). Deadlines of running clocks are not recomputed.",
        )
        .path_param("year", int32(""), "The year replaced.")
        .json_body(arr(r("SpecialDay")), "The year's special days.")
        .empty(204, "Saved.")
        .errors(AUTH)
        .errors(&["bad_request"])
        .errors(JSON_BODY)
        .errors(&["invalid"]),
        Op::get(
            "/api/calendar/deadline",
            "computeDeadline",
            "Compute a deadline in working time (工作时计算)",
        )
        .doc("When `minutes` working minutes after `start` end, under the working calendar.")
        .query("start", true, date_time(""), "Start instant (RFC 3339).")
        .query(
            "minutes",
            true,
            json!({ "type": "integer", "minimum": 0, "maximum": 1_533_000 }),
            "Working minutes.",
        )
        .ok(200, "The deadline.", r("Deadline"))
        .errors(AUTH)
        .errors(&["bad_request"]),
    ]
}

// ---- attachments ---------------------------------------------------------------------------

fn attachment_ops() -> Vec<Op> {
    vec![
        Op::post("/api/attachments", "uploadAttachment", "Upload a photo (上传照片)")
            .doc(
                "A multipart form with one field named `file` holding a JPEG, PNG or WebP image \
                 (recognised by content, not by name), at most the configured size (10 MiB by \
                 default). Refer to the returned id in `attachments` of a report or an action; \
                 a photo can belong to one case only.",
            )
            .body(json!({
                "required": true,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "required": ["file"],
                            "properties": {
                                "file": {
                                    "type": "string",
                                    "contentMediaType": "application/octet-stream",
                                    "description": "The image.",
                                },
                            },
                        },
                        "encoding": { "file": { "contentType": "image/jpeg, image/png, image/webp" } },
                    },
                },
            }))
            .ok(201, "Stored.", r("Attachment"))
            .errors(AUTH)
            .errors(&["bad_request", "payload_too_large", "unsupported_media_type", "missing_field"]),
        id_param(
            Op::get("/api/attachments/{id}", "getAttachment", "Download a photo"),
            "Attachment id.",
        )
        .doc("The image, to its uploader or anyone who can see its case.")
        .response(
            200,
            json!({
                "description": "The image bytes.",
                "headers": {
                    "Cache-Control": { "schema": { "type": "string" }, "description": "`private, max-age=86400`" },
                },
                "content": {
                    "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } },
                    "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } },
                    "image/webp": { "schema": { "type": "string", "contentMediaType": "image/webp" } },
                },
            }),
        )
        .errors(AUTH)
        .errors(&["bad_request", "not_found"]),
    ]
}

// ---- live ----------------------------------------------------------------------------------

fn live_ops() -> Vec<Op> {
    vec![
        Op::get("/api/events", "streamEvents", "Live case updates (推送)")
            .doc(
                "Server-sent events: every change to a case within the caller's scope (as they \
                 reported it, are assigned to it, follow it as the reporter of a duplicate, or \
                 cover its area or department), as it happens. Reporters' phone numbers are masked \
                 unless the caller may see contacts. A comment line keeps the connection alive \
                 every 15 s. Events:\n\n\
                 - `hello` — once on connect: `SseHello`.\n\
                 - `case` — a case changed: `SseCase`.\n\
                 - `lagged` — the stream fell behind and `missed` changes were dropped; reload \
                 what you show: `SseLagged`.\n\
                 - `city` — the city model was imported anew (to every stream, whatever its \
                 scope); reload map layers: `SseCity`.\n\n\
                 Browsers: `new EventSource('/api/events')` sends the session cookie.",
            )
            .response(
                200,
                json!({
                    "description": "An endless `text/event-stream`.",
                    "content": {
                        "text/event-stream": {
                            "schema": { "type": "string", "description": "`event: <name>` and `data: <JSON>` lines." },
                        },
                    },
                }),
            )
            .ext(
                "x-sse-events",
                json!([
                    { "event": "hello", "schema": r("SseHello") },
                    { "event": "case", "schema": r("SseCase") },
                    { "event": "lagged", "schema": r("SseLagged") },
                    { "event": "city", "schema": r("SseCity") },
                ]),
            )
            .errors(AUTH),
    ]
}

// ---- open311 -------------------------------------------------------------------------------

/// An Open311 answer: JSON of `schema`, or the same tree as XML (the spec's required format).
fn open311_content(schema: Value) -> Value {
    json!({
        "application/json": { "schema": schema },
        "text/xml": {
            "schema": {
                "type": "string",
                "description": "The same answer as XML: `<?xml version=\"1.0\" encoding=\"utf-8\"?>`, \
                                no namespace; a JSON array is an element with one child per item \
                                (`services/service`, `service_requests/request`, `errors/error`, \
                                `attributes/attribute`, `values/value`, `endpoints/endpoint`, \
                                `formats/format`), `null` an empty element.",
            },
        },
    })
}

/// The Open311 error responses of an operation: `statuses` with the spec's error body.
fn open311_errors(mut op: Op, statuses: &[u16]) -> Op {
    let limits = crate::routes::open311::Limits::default();
    for status in statuses {
        let mut resp = match status {
            400 => {
                json!({ "description": "Bad request: a missing or malformed parameter, a point outside the city, an unknown or missing format suffix (answered in XML), a photo that is not a JPEG, PNG or WebP image or is too large, a body that is neither form-encoded nor multipart." })
            }
            403 => {
                json!({ "description": "`api_key` missing or invalid, or its user may not report (needs the role `citizen` or `operator`)." })
            }
            404 => {
                json!({ "description": "Not found: an unknown resource, `jurisdiction_id`, `service_code`, request id, token or photo." })
            }
            429 => json!({
                "description": format!(
                    "Rate limited (the API's error code `rate_limited`, counted under it in \
                     `yiwang_http_errors_total`); the body is still the Open311 error list, with \
                     `code` 429. Per node: every GET {}/min per client IP (burst {}); `POST \
                     requests` {}/min per IP (burst {}), {}/min per API key (burst {}), {}/min per \
                     reporter phone (burst {}).",
                    limits.read_per_ip.per_minute, limits.read_per_ip.burst,
                    limits.post_per_ip.per_minute, limits.post_per_ip.burst,
                    limits.post_per_key.per_minute, limits.post_per_key.burst,
                    limits.post_per_phone.per_minute, limits.post_per_phone.burst,
                ),
                "headers": {
                    "Retry-After": { "schema": { "type": "integer" }, "description": "Seconds until a request is allowed again." },
                },
                "x-error-codes": ["rate_limited"],
            }),
            _ => {
                json!({ "description": "A server fault (the database is unreachable …); retry later." })
            }
        };
        resp["content"] = open311_content(r("Open311Errors"));
        op = op.response(*status, resp);
    }
    op
}

fn open311_ops() -> Vec<Op> {
    use crate::routes::open311::{
        JURISDICTION_ID, MAX_DESCRIPTION_CHARS, MAX_REQUESTS, MAX_SPAN_DAYS,
    };
    let jurisdiction = format!(
        "Optional (one city is served); when given it must be `{JURISDICTION_ID}`, else 404."
    );
    let format_note = "The suffix `.json` or `.xml` alone picks the format (`Accept` is ignored); \
                       JSON is `application/json; charset=utf-8`, XML `text/xml; charset=utf-8`. \
                       Empty parameters count as absent, unknown ones are ignored. Errors are the \
                       spec's list `[{\"code\": <HTTP status>, \"description\": \"…\"}]` (XML \
                       `<errors><error><code>…</code><description>…</description></error></errors>`), \
                       never the `{\"error\":{…}}` of the rest of the API.";
    let file_list = Op::get(
        "/open311/v2/{file}",
        "open311GetFile",
        "Open311: discovery, service list, request list",
    )
    .public()
    .doc(format!(
        "[Open311 GeoReport v2](http://wiki.open311.org/GeoReport_v2) (市民上报标准接口), one \
         route for three resources by `file`:\n\n\
         - `discovery.{{fmt}}` — the discovery document (`Open311Discovery`).\n\
         - `services.{{fmt}}` — every matter class (事件小类) of the taxonomy as a service: \
         `service_code` = class code, `group` = major class, `type` `realtime`, `metadata` \
         `true` (`Open311Services`).\n\
         - `requests.{{fmt}}` — service requests (cases of every channel), newest first, at \
         most {MAX_REQUESTS}; `service_request_id` overrides every other filter; the window is \
         `start_date`–`end_date` on `requested_datetime`, by default the last {MAX_SPAN_DAYS} \
         days and never longer (`Open311Requests`). Reporter name, phone and e-mail are never \
         shown.\n\n{format_note}"
    ))
    .path_param(
        "file",
        json!({ "type": "string", "pattern": "^(discovery|services|requests)\\.(xml|json|XML|JSON)$" }),
        "`discovery`, `services` or `requests` with the format suffix, e.g. `services.json`.",
    )
    .query("jurisdiction_id", false, string(""), &jurisdiction)
    .query(
        "service_request_id",
        false,
        string("Comma-separated ids."),
        "`requests` only: exactly these requests; overrides every other filter.",
    )
    .query(
        "service_code",
        false,
        string("Comma-separated codes."),
        "`requests` only: of these services.",
    )
    .query(
        "status",
        false,
        string("`open`, `closed`, or both comma-separated."),
        "`requests` only: `closed` = 已结案, 不予受理/立案, 已作废 or 已合并; `open` = the rest.",
    )
    .query(
        "start_date",
        false,
        string("W3C datetime with a zone (`2026-11-01T00:00:00+08:00`); a date alone = midnight in Shanghai."),
        "`requests` only: requested at or after.",
    )
    .query(
        "end_date",
        false,
        string("W3C datetime with a zone, or a date."),
        &format!("`requests` only: requested at or before; at most {MAX_SPAN_DAYS} days after `start_date`."),
    )
    .query(
        "page_size",
        false,
        int32(&format!("1–{MAX_REQUESTS}, default {MAX_REQUESTS}.")),
        "`requests` only: the pagination extension.",
    )
    .query(
        "page",
        false,
        int32("From 1, default 1."),
        "`requests` only: the pagination extension.",
    )
    .response(
        200,
        json!({
            "description": "The discovery document, the services or the requests, by `file`.",
            "content": open311_content(json!({
                "anyOf": [r("Open311Discovery"), r("Open311Services"), r("Open311Requests")],
            })),
        }),
    );
    let item = Op::get(
        "/open311/v2/{dir}/{file}",
        "open311GetItem",
        "Open311: service definition, one request, token, photo",
    )
    .public()
    .doc(format!(
        "By `dir`:\n\n\
         - `services/{{service_code}}.{{fmt}}` — the service definition: attribute `condition` \
         (`singlevaluelist` of the class's filing conditions 立案条件, keys `1`…`n`), \
         `closing_condition` (informational: when the case counts as done 结案标准) and, for \
         facility matters (major classes 01–05), `component_id` (the 17-digit 部件标识码) \
         (`Open311ServiceDefinition`).\n\
         - `requests/{{service_request_id}}.{{fmt}}` — one request, still a list of one \
         (`Open311Requests`).\n\
         - `tokens/{{token}}.{{fmt}}` — the request of a token; the token is the case number \
         案卷号 (`Open311Token`).\n\
         - `media/{{id}}` — a photo uploaded with an Open311 request (no format suffix; other \
         photos are not served here).\n\n{format_note}"
    ))
    .path_param(
        "dir",
        string_enum(["services", "requests", "tokens", "media"], ""),
        "The resource.",
    )
    .path_param(
        "file",
        string("e.g. `06010.json`, `42.xml`, `2026112400000042.json`, `17`."),
        "The service code, request id or token with the format suffix; for `media`, the photo id.",
    )
    .query("jurisdiction_id", false, string(""), &jurisdiction)
    .response(
        200,
        json!({
            "description": "The definition, the request, the token's request, or the photo.",
            "headers": {
                "Cache-Control": { "schema": { "type": "string" }, "description": "Photos only: `public, max-age=86400`." },
            },
            "content": {
                "application/json": {
                    "schema": { "anyOf": [r("Open311ServiceDefinition"), r("Open311Requests"), r("Open311Token")] },
                },
                "text/xml": open311_content(json!({}))["text/xml"].clone(),
                "image/jpeg": { "schema": { "type": "string", "contentMediaType": "image/jpeg" } },
                "image/png": { "schema": { "type": "string", "contentMediaType": "image/png" } },
                "image/webp": { "schema": { "type": "string", "contentMediaType": "image/webp" } },
            },
        }),
    );
    let attr = "Attribute values as `attribute[CODE]=value` (see the service definition); a list \
                (`attribute[CODE][]=…`) is refused, every attribute takes one value.";
    let form_fields = |photo: bool| {
        let mut props = vec![
            (
                "api_key",
                string(
                    "A yiwang API key (`POST /api/api-keys`) of a user with the role `citizen` or `operator`; may also come in the query string.",
                ),
            ),
            ("jurisdiction_id", string(&jurisdiction)),
            (
                "service_code",
                string("The matter class code, e.g. `06010`."),
            ),
            (
                "lat",
                json!({ "type": "number", "minimum": -90, "maximum": 90, "description": "WGS-84 degrees; required with `long`: the point must lie in one of the city's unit grids." }),
            ),
            (
                "long",
                json!({ "type": "number", "minimum": -180, "maximum": 180, "description": "WGS-84 degrees." }),
            ),
            (
                "address_string",
                string(
                    "At most 200 characters; kept as the case address. Not enough alone (no address geocoder): send `lat` and `long`.",
                ),
            ),
            (
                "address_id",
                string("Not supported alone (refused without `lat`/`long`)."),
            ),
            (
                "description",
                json!({ "type": "string", "maxLength": MAX_DESCRIPTION_CHARS, "description": "What is wrong; the service name when absent." }),
            ),
            (
                "first_name",
                string("At most 50 characters; never published."),
            ),
            (
                "last_name",
                string("At most 50 characters; never published."),
            ),
            (
                "phone",
                string(
                    "5–20 digits with `+ - ( ) .` or spaces; never published; rate-limited per number.",
                ),
            ),
            ("email", string("At most 254 characters; never published.")),
            ("device_id", string("At most 100 characters.")),
            (
                "account_id",
                string("At most 100 characters; echoed in the answer."),
            ),
            (
                "media_url",
                string("An http(s) URL of a photo, at most 2,000 characters."),
            ),
            ("attribute[condition]", string(attr)),
            (
                "attribute[component_id]",
                string(
                    "Facility matters only: the 17-digit component code, whose digits 7–11 equal the service code.",
                ),
            ),
        ];
        if photo {
            props.push((
                "media",
                json!({ "type": "string", "contentMediaType": "application/octet-stream", "description": "A JPEG, PNG or WebP photo, at most the upload limit; published at `/open311/v2/media/{id}`." }),
            ));
        }
        object(props, &["api_key", "service_code", "lat", "long"])
    };
    let create = Op::post(
        "/open311/v2/{file}",
        "open311CreateRequest",
        "Open311: report a problem (POST requests)",
    )
    .public()
    .doc(format!(
        "`POST requests.{{fmt}}`: the request enters the closed loop like any report (source \
         `open311`, state 待受理, located in its unit grid) and its case id is returned at once \
         (`type` `realtime`; no token). Needs `api_key` (form field or query string), \
         `service_code` and `lat` + `long`. The answer's `service_notice` names the case \
         number, which is also the request's token. A photo may be uploaded with \
         `multipart/form-data` in the file field `media`.\n\n{format_note}"
    ))
    .path_param(
        "file",
        json!({ "type": "string", "pattern": "^requests\\.(xml|json|XML|JSON)$" }),
        "`requests.json` or `requests.xml`; any other resource answers 404.",
    )
    .body(json!({
        "required": true,
        "content": {
            "application/x-www-form-urlencoded": { "schema": form_fields(false) },
            "multipart/form-data": {
                "schema": form_fields(true),
                "encoding": { "media": { "contentType": "image/jpeg, image/png, image/webp" } },
            },
        },
    }))
    .response(
        200,
        json!({
            "description": "Created (HTTP 200, as the GeoReport v2.1 Swagger documents).",
            "content": open311_content(r("Open311Created")),
        }),
    );
    vec![
        open311_errors(file_list, &[400, 404, 429, 500]),
        open311_errors(item, &[400, 404, 429, 500]),
        open311_errors(create, &[400, 403, 404, 429, 500]),
    ]
}

/// The answers of the Open311 routes (GeoReport v2 shapes).
fn open311_schemas() -> Vec<(&'static str, Value)> {
    let ns = |d: &str| nullable(string(d));
    let service_request_id = string("The case id, as a string.");
    vec![
        (
            "Open311Errors",
            json!({
                "type": "array",
                "minItems": 1,
                "description": "The spec's error list.",
                "items": object(
                    vec![
                        ("code", int32("The HTTP status (400, 403, 404, 429 or 500).")),
                        ("description", string("What is wrong.")),
                    ],
                    &["code", "description"],
                ),
            }),
        ),
        (
            "Open311Discovery",
            object(
                vec![
                    (
                        "changeset",
                        date_time("When the services or behaviour last changed."),
                    ),
                    ("contact", string("Who runs the service.")),
                    ("key_service", string("How to get an API key.")),
                    (
                        "max_requests",
                        int32("Most requests one `GET requests` answers."),
                    ),
                    (
                        "endpoints",
                        arr(object(
                            vec![
                                (
                                    "specification",
                                    string("`http://wiki.open311.org/GeoReport_v2`"),
                                ),
                                ("url", string("The base URL of this endpoint.")),
                                ("changeset", date_time("")),
                                ("type", string_enum(["production", "test"], "")),
                                (
                                    "formats",
                                    arr(string("A MIME type: `text/xml`, `application/json`.")),
                                ),
                            ],
                            &["specification", "url", "changeset", "type", "formats"],
                        )),
                    ),
                ],
                &["changeset", "contact", "key_service", "endpoints"],
            ),
        ),
        (
            "Open311Services",
            arr(object(
                vec![
                    (
                        "service_code",
                        string("The matter class code (leading zeros kept), e.g. `06010`."),
                    ),
                    ("service_name", string("The class name, e.g. 暴露垃圾.")),
                    (
                        "description",
                        string("The filing conditions, joined by `；`."),
                    ),
                    (
                        "metadata",
                        boolean("Always `true`: every service has a definition."),
                    ),
                    (
                        "type",
                        string_enum(["realtime", "batch", "blackbox"], "Always `realtime`."),
                    ),
                    (
                        "keywords",
                        string("Major class, department type (and `local` for local extensions)."),
                    ),
                    ("group", string("The major class, e.g. 市容环境类.")),
                ],
                &[
                    "service_code",
                    "service_name",
                    "description",
                    "metadata",
                    "type",
                    "keywords",
                    "group",
                ],
            )),
        ),
        (
            "Open311ServiceDefinition",
            object(
                vec![
                    ("service_code", string("")),
                    (
                        "attributes",
                        arr(object(
                            vec![
                                ("variable", boolean("`false`: information only.")),
                                (
                                    "code",
                                    string("`condition`, `closing_condition` or `component_id`."),
                                ),
                                (
                                    "datatype",
                                    string_enum(
                                        [
                                            "string",
                                            "number",
                                            "datetime",
                                            "text",
                                            "singlevaluelist",
                                            "multivaluelist",
                                        ],
                                        "",
                                    ),
                                ),
                                ("required", boolean("")),
                                ("datatype_description", ns("Help for the datatype.")),
                                ("order", json!({ "type": "integer", "minimum": 1 })),
                                ("description", string("The question, or the information.")),
                                (
                                    "values",
                                    arr(object(
                                        vec![
                                            ("key", string("The value to send.")),
                                            ("name", string("Its label.")),
                                        ],
                                        &["key", "name"],
                                    )),
                                ),
                            ],
                            &[
                                "variable",
                                "code",
                                "datatype",
                                "required",
                                "order",
                                "description",
                            ],
                        )),
                    ),
                ],
                &["service_code", "attributes"],
            ),
        ),
        (
            "Open311Requests",
            arr(object(
                vec![
                    ("service_request_id", service_request_id.clone()),
                    ("status", string_enum(["open", "closed"], "")),
                    (
                        "status_notes",
                        ns(
                            "The case state (待受理, 处置中, 已结案 …), then the latest public answer (rejection reason, feedback, closing note).",
                        ),
                    ),
                    ("service_name", ns("")),
                    ("service_code", ns("")),
                    ("description", string("")),
                    (
                        "agency_responsible",
                        ns("The department the case is (or was last) dispatched to."),
                    ),
                    ("service_notice", ns("")),
                    ("requested_datetime", date_time("")),
                    ("updated_datetime", date_time("")),
                    (
                        "expected_datetime",
                        nullable(date_time("The deadline of the current step (时限).")),
                    ),
                    ("address", ns("")),
                    ("address_id", ns("")),
                    ("zipcode", ns("")),
                    ("lat", json!({ "type": ["number", "null"] })),
                    ("long", json!({ "type": ["number", "null"] })),
                    (
                        "media_url",
                        ns("The URL sent, or `/open311/v2/media/{id}` for an uploaded photo."),
                    ),
                ],
                &[
                    "service_request_id",
                    "status",
                    "description",
                    "requested_datetime",
                    "updated_datetime",
                ],
            )),
        ),
        (
            "Open311Token",
            json!({
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": object(
                    vec![
                        ("service_request_id", service_request_id.clone()),
                        ("token", string("The case number 案卷号.")),
                    ],
                    &["service_request_id", "token"],
                ),
            }),
        ),
        (
            "Open311Created",
            json!({
                "type": "array",
                "minItems": 1,
                "maxItems": 1,
                "items": object(
                    vec![
                        ("service_request_id", service_request_id),
                        ("service_notice", string("The case number, to follow the request by.")),
                        ("account_id", ns("As sent.")),
                    ],
                    &["service_request_id"],
                ),
            }),
        ),
    ]
}

// ---- city model ----------------------------------------------------------------------------

/// Most points of one `POST /api/geocode` (`routes::city::MAX_BATCH_POINTS`).
const MAX_BATCH_POINTS: usize = 10_000;

/// Largest layer file of `POST /api/layers/{layer}`, MiB (`routes::city::MAX_LAYER_BYTES`).
const MAX_LAYER_MIB: usize = 256;

/// A `parent` area-code prefix of the map layer and the export.
fn code_prefix() -> Value {
    json!({
        "type": "string",
        "pattern": "^[0-9]{0,15}$",
        "examples": ["110101", "110101001"],
        "description": "Digits of an area code, or a prefix of one (at most 15).",
    })
}

fn geo_json(schema: Value) -> Value {
    json!({ "application/geo+json": { "schema": schema } })
}

/// The properties of each layer in a GeoJSON file (as `grid::geojson` reads them).
fn layer_properties_table() -> String {
    md_table(
        &["layer", "geometry", "properties"],
        &[
            vec![
                "`areas`".into(),
                "`Polygon` or `MultiPolygon`".into(),
                "`code` (string, or an integer), `name`, optional `level` (`district`/`street`/\
                 `community`/`grid` or 区/街道/社区/网格; default: from the code length), optional \
                 `parent` (code)"
                    .into(),
            ],
            vec![
                "`roads`".into(),
                "`LineString`".into(),
                format!(
                    "`id`, `name`, `class` ({}), optional `chief` (username of the road chief \
                     路长, or null)",
                    RoadClass::ALL
                        .map(|c| format!("`{}`/{}", c.as_str(), c.label_zh()))
                        .join(", ")
                ),
            ],
            vec![
                "`components`".into(),
                "`Point`".into(),
                format!(
                    "`id` (部件标识码, 17 digits: district 6 + class 5 + serial 6), `class_code` \
                     (5 digits), optional `status` ({}; default `intact`), optional \
                     `owner_department_type` / `maintainer_department_type` (a department type; \
                     default `other`), optional `grid_code` (default: the grid the geocoder finds)",
                    ComponentStatus::ALL
                        .map(|c| format!("`{}`/{}", c.as_str(), c.label_zh()))
                        .join(", ")
                ),
            ],
        ],
    )
}

/// The columns of the component CSV, as `grid::geojson` reads and writes them.
const COMPONENT_CSV: &str = "UTF-8 CSV with a header row naming the columns (any order; unknown \
     columns are ignored): `id`, `class_code`, `status`, `owner_department_type`, \
     `maintainer_department_type`, `lon`, `lat`, `grid_code`. `id`, `class_code`, `lon` and `lat` \
     are required; the others default as in GeoJSON. The export writes exactly these eight \
     columns in this order.";

fn city_ops() -> Vec<Op> {
    let degrees = |min: i32, max: i32| json!({ "type": "number", "minimum": min, "maximum": max });
    let cache_headers = json!({
        "ETag": {
            "description": "Identifies the answer: model version, parent, level, zoom and crs.",
            "schema": { "type": "string" },
        },
        "Cache-Control": {
            "description": "`public, max-age=60, must-revalidate`",
            "schema": { "type": "string" },
        },
    });
    let format_schema = |what: &str| {
        json!({
            "type": "string",
            "enum": ["geojson", "csv"],
            "default": "geojson",
            "description": what,
        })
    };
    let layer_param = |op: Op| {
        op.path_param(
            "layer",
            r("Layer"),
            "`areas`, `roads` or `components`; another name is 404.",
        )
    };
    vec![
        Op::get("/api/geocode", "geocode", "Locate a point (地理编码)")
            .doc(
                "Where a WGS-84 point lies in the city model: its unit grid (单元网格) with the \
                 community, street and district above it, the nearest road within 300 m and a \
                 readable Chinese address (`kind: inside`). A point in no unit grid answers \
                 `kind: outside`, with the nearest road when one is in range; so does every point \
                 while no city model is loaded.",
            )
            .query("lat", true, degrees(-90, 90), "Latitude, WGS-84 degrees.")
            .query("lon", true, degrees(-180, 180), "Longitude, WGS-84 degrees.")
            .ok(200, "Where the point lies.", r("Geocoded"))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_point"]),
        Op::post(
            "/api/geocode",
            "geocodeBatch",
            "Locate many points (批量地理编码)",
        )
        .doc(format!(
            "Up to {MAX_BATCH_POINTS} points in one request, each answered in order as by \
             `GET /api/geocode`. A point that is not a WGS-84 position is answered \
             `{{\"kind\":\"invalid\",\"message\":…}}` in its place without failing the others."
        ))
        .json_body(r("GeocodeBatchRequest"), "The points.")
        .ok(
            200,
            "One answer per point, in the order sent.",
            r("GeocodeBatchResult"),
        )
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&["too_many_points"]),
        Op::get("/api/address", "lookupAddress", "Place an address (地址定位)")
            .doc(format!(
                "Forward geocoding through the gazetteer, for an intake given only an address (a \
                 hotline call): district, street and community names, road names and `A路与B路交叉口` \
                 intersections. One reading answers `kind: match` with the point, how precisely \
                 it was placed, the names recognised, a sentence for people (`explain`) and where \
                 the point lies (`located`, as `GET /api/geocode`). A name that fits several \
                 places answers `kind: ambiguous` with each candidate's point to pick from. \
                 Nothing of the city recognised, or two roads named as crossing that do not meet, \
                 is 422 `address_not_found` with a message saying which; an empty text or one \
                 longer than {} characters is 422 `missing_field` / `too_long`.",
                grid::address::MAX_ADDRESS_CHARS
            ))
            .query(
                "q",
                true,
                json!({ "type": "string", "minLength": 1, "maxLength": grid::address::MAX_ADDRESS_CHARS }),
                "The address text, e.g. `中原区建设路与百花路交叉口`.",
            )
            .ok(200, "The point, or the candidates.", r("AddressLookup"))
            .errors(AUTH)
            .errors(&["bad_request", "address_not_found", "missing_field", "too_long"]),
        Op::get("/api/city", "getCity", "The city model at a glance (城市模型)")
            .doc(
                "How many unit grids, areas with outlines, roads and components (部件) are \
                 stored, the model's version (bumped by every import; map ETags change with it) \
                 and each district with an outline, with its extent (e.g. to fit the map).",
            )
            .ok(200, "The summary.", r("CitySummary"))
            .errors(AUTH),
        Op::get(
            "/api/map/areas",
            "getMapAreas",
            "Area outlines for the map (网格地图)",
        )
        .public()
        .doc(
            "The outlines of one level under an area as a GeoJSON FeatureCollection (RFC 7946, \
             `application/geo+json`), simplified for the web-map zoom level so that a whole \
             city's grids stay light. No credentials needed: outlines are not confidential. \
             Answers carry an `ETag` (model version, parent, level, zoom and crs) and \
             `Cache-Control: public, max-age=60, must-revalidate`; send the ETag back as \
             `If-None-Match` (alone, in a list, weak or as `*`) to get 304 without a body while \
             nothing changed.",
        )
        .query(
            "parent",
            false,
            code_prefix(),
            "Only areas whose code starts with these digits; default: the whole city.",
        )
        .query(
            "level",
            false,
            json!({ "$ref": "#/components/schemas/AreaLevel", "default": "grid" }),
            "Which level to draw.",
        )
        .query(
            "zoom",
            false,
            json!({ "type": "integer", "minimum": 8, "maximum": 18, "default": 14 }),
            "Web-map zoom level (8: a whole city … 18: a street corner); sets how much outlines \
             are simplified. Another whole number is 422 `invalid_zoom`; a negative number, one \
             above 4294967295 or not a whole number is 400 `bad_request`.",
        )
        .query(
            "crs",
            false,
            json!({ "$ref": "#/components/schemas/Crs", "default": "wgs84" }),
            "Coordinate system of the positions in the answer.",
        )
        .query_param(json!({
            "name": "If-None-Match", "in": "header", "required": false,
            "schema": { "type": "string" },
            "description": "The `ETag` of an earlier answer, as received; also a comma-separated \
                list of ETags, weak ones (`W/\"…\"`) included, or `*` (any answer).",
        }))
        .response(
            200,
            json!({
                "description": "The outlines, one `MultiPolygon` feature per area, ordered by code.",
                "headers": cache_headers.clone(),
                "content": geo_json(r("AreaFeatureCollection")),
            }),
        )
        .response(
            304,
            json!({
                "description": "Not modified: the `If-None-Match` ETag is still current. No body.",
                "headers": cache_headers,
            }),
        )
        .errors(&[
            "bad_request",
            "invalid_area_code",
            "unknown_level",
            "invalid_zoom",
            "unknown_crs",
        ]),
        Op::get(
            "/api/map/density",
            "getMapDensity",
            "Cases per area for the map (案件分布)",
        )
        .doc(
            "How many of the cases the caller may see lie in each area of `level` under \
             `parent`, for colouring the map. Areas without such a case are left out.",
        )
        .query(
            "parent",
            false,
            r("AreaCode"),
            "Only cases inside this area (any level); default: the whole city.",
        )
        .query(
            "level",
            false,
            json!({ "$ref": "#/components/schemas/AreaLevel", "default": "grid" }),
            "Count per area of this level.",
        )
        .query(
            "states",
            false,
            json!({ "type": "string", "enum": ["open", "all"], "default": "open" }),
            "`open`: cases not yet in a terminal state; `all`: every case.",
        )
        .ok(200, "The counts by area code.", r("AreaDensity"))
        .errors(AUTH)
        .errors(&[
            "bad_request",
            "invalid_area_code",
            "unknown_level",
            "invalid_states",
        ]),
        layer_param(Op::get(
            "/api/layers/{layer}",
            "exportLayer",
            "Export a layer (图层导出)",
        ))
        .doc(format!(
            "The stored layer at full detail, as GeoJSON (RFC 7946): areas as `MultiPolygon` \
             features, roads as `LineString` features, components (部件) as `Point` features; \
             components also as CSV with `format=csv`. The output can be imported again. Areas \
             and components can be narrowed by `parent`, areas to one `level`, components to \
             one `class`; components come in pages ordered by `id`: pass the last `id` of a \
             page as `after` for the next one (a page shorter than `limit` is the last). \
             Filters that do not apply to the layer are ignored.\n\n**Who.** The `areas` \
             layer (outlines) is open to any signed-in caller. `roads` (they name their chiefs) \
             and `components` (asset records) need one of the roles {}; others get 403 \
             `forbidden`.\n\nCSV: {COMPONENT_CSV}",
            role_list(STAFF)
        ))
        .ext(
            "x-roles-by-layer",
            json!({
                "areas": [],
                "roads": STAFF.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                "components": STAFF.iter().map(|r| r.as_str()).collect::<Vec<_>>(),
            }),
        )
        .query(
            "parent",
            false,
            code_prefix(),
            "Areas whose code, or components whose grid code, starts with these digits \
             (checked, but ignored for roads).",
        )
        .query("level", false, r("AreaLevel"), "Areas: only this level.")
        .query(
            "class",
            false,
            string("e.g. `01001`."),
            "Components: only this 5-digit class code.",
        )
        .query(
            "after",
            false,
            string(""),
            "Components: only ids greater than this (keyset paging).",
        )
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 1, "maximum": 100_000, "default": 10_000 }),
            "Components: page size; clamped to 1–100,000.",
        )
        .query(
            "format",
            false,
            format_schema("`csv` for components only."),
            "Output format.",
        )
        .query(
            "crs",
            false,
            json!({ "$ref": "#/components/schemas/Crs", "default": "wgs84" }),
            "Coordinate system of the positions written.",
        )
        .response(
            200,
            json!({
                "description": "The layer.",
                "content": {
                    "application/geo+json": {
                        "schema": {
                            "anyOf": [
                                r("AreaFeatureCollection"),
                                r("RoadFeatureCollection"),
                                r("ComponentFeatureCollection"),
                            ],
                        },
                    },
                    "text/csv": {
                        "schema": { "type": "string", "description": COMPONENT_CSV },
                    },
                },
            }),
        )
        .errors(AUTH)
        .errors(&[
            "bad_request",
            "not_found",
            "invalid_area_code",
            "unknown_level",
            "unknown_format",
            "unknown_crs",
        ]),
        layer_param(Op::post(
            "/api/layers/{layer}",
            "importLayer",
            "Import a layer (图层导入)",
        ))
        .roles(ADMIN)
        .doc(format!(
            "Reads a whole layer file and stores it, all or nothing: features are inserted, or \
             replaced by code or id; stored features not in the file stay. Areas are validated \
             against the stored outlines and each other (codes and parents, closed and simple \
             rings, positions in China and not lat/lon-swapped, containment in the parent, \
             overlaps and gaps between siblings); components get their grid from the geocoder \
             when `grid_code` is empty, then are validated against the taxonomy and their grid; \
             roads are read only (a `chief` must be a username). A file with findings is \
             refused with `invalid_layer`, every finding in `error.issues`. After an import the \
             model's `version` goes up, every node reloads its geocoder and map layers, and live \
             streams get a `city` event.\n\nThe body is the raw file, at most {MAX_LAYER_MIB} \
             MiB (bigger files: `yiwang import`; a bigger body is 413 `payload_too_large`), \
             whatever its `Content-Type`: a GeoJSON \
             FeatureCollection, or component CSV with `format=csv`. Other properties and \
             members are ignored; positions are `[lon, lat]` (a third value is ignored).\n\n{}\n\
             CSV: {COMPONENT_CSV}",
            layer_properties_table()
        ))
        .query(
            "format",
            false,
            format_schema("`csv` for components only."),
            "Format of the file.",
        )
        .query(
            "crs",
            false,
            json!({ "$ref": "#/components/schemas/Crs", "default": "wgs84" }),
            "Coordinate system of the file's positions; GCJ-02 is converted to WGS-84 on the \
             way in.",
        )
        .body(json!({
            "required": true,
            "description": "The layer file.",
            "content": {
                "application/geo+json": { "schema": r("LayerUpload") },
                "application/json": { "schema": r("LayerUpload") },
                "text/csv": { "schema": { "type": "string", "description": COMPONENT_CSV } },
            },
        }))
        .ok(200, "Stored.", r("ImportResult"))
        .errors(AUTH)
        .errors(&[
            "bad_request",
            "payload_too_large",
            "not_found",
            "unknown_format",
            "unknown_crs",
            "invalid_layer_file",
            "invalid_layer",
            "unknown_reference",
        ]),
    ]
}

// ---- devices -------------------------------------------------------------------------------

/// Minutes since the last report within which a vehicle counts as online
/// (`routes::devices::ONLINE_MINUTES`).
const ONLINE_MINUTES: i64 = 5;

fn device_ops() -> Vec<Op> {
    let from_to = |op: Op, default_span: &str| {
        op.query(
            "from",
            false,
            json!({ "type": "string", "format": "date-time" }),
            &format!("RFC 3339 start, inclusive (default: {default_span} before `to`)."),
        )
        .query(
            "to",
            false,
            json!({ "type": "string", "format": "date-time" }),
            "RFC 3339 end, inclusive (default: now).",
        )
        .query(
            "limit",
            false,
            json!({ "type": "integer", "minimum": 0, "maximum": 100_000, "default": 5_000 }),
            "At most this many points, the oldest first; clamped to 1–100,000.",
        )
    };
    vec![
        Op::get("/api/vehicles", "listVehicles", "List vehicles (车辆)")
            .roles(STAFF)
            .doc(format!(
                "Every supervised vehicle (渣土车, 清扫车 …) by plate, with its JT/T 808 terminal, \
                 its last known position and whether it is online (reported within the last \
                 {ONLINE_MINUTES} minutes); `online` counts the vehicles online now."
            ))
            .ok(200, "The vehicles.", r("VehicleList"))
            .errors(AUTH),
        Op::post(
            "/api/vehicles",
            "createVehicle",
            "Register a vehicle (车辆登记)",
        )
        .roles(ADMIN)
        .doc(
            "Registers a vehicle and the phone number of its JT/T 808 terminal (its identity \
                 on the wire; leading zeros are dropped). Plates and phones are unique.",
        )
        .json_body(r("VehicleInput"), "The vehicle.")
        .ok(201, "Registered.", r("Created"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "invalid_plate",
            "invalid_phone",
            "too_long",
            "invalid",
            "duplicate",
        ]),
        id_param(
            from_to(
                Op::get(
                    "/api/vehicles/{id}/track",
                    "getVehicleTrack",
                    "A vehicle's track (轨迹回放)",
                ),
                "2 hours",
            ),
            "Vehicle id.",
        )
        .roles(STAFF)
        .doc("The stored positions between two instants, oldest first, for playback.")
        .ok(200, "The vehicle and its track.", r("VehicleTrack"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found", "invalid_time"]),
        Op::get("/api/monitors", "listMonitors", "List monitors (监测设备)")
            .roles(STAFF)
            .doc("Every HJ 212 monitor (油烟, 扬尘, 噪声 …) by MN.")
            .ok(200, "The monitors.", r("MonitorList"))
            .errors(AUTH),
        Op::post(
            "/api/monitors",
            "upsertMonitor",
            "Register or update a monitor (监测设备登记)",
        )
        .roles(ADMIN)
        .doc(
            "Registers an HJ 212 monitor, or replaces the settings of the one with this MN. Its \
             unit grid comes from its point (none outside the city or without a point).",
        )
        .json_body(r("MonitorInput"), "The monitor.")
        .ok(201, "Stored, as stored.", r("Monitor"))
        .errors(AUTH)
        .errors(JSON_BODY)
        .errors(&[
            "invalid_mn",
            "unknown_kind",
            "unknown_size_class",
            "invalid_point",
        ]),
        from_to(
            Op::get(
                "/api/monitors/{mn}/readings",
                "getMonitorReadings",
                "A monitor's readings (监测数据)",
            ),
            "24 hours",
        )
        .path_param("mn", json!({ "type": "string" }), "The monitor's MN.")
        .query(
            "factor",
            true,
            string("e.g. `a34041`."),
            "HJ 212 factor code, e.g. `a34041` (fume concentration); missing: 400 `bad_request`.",
        )
        .roles(STAFF)
        .doc(
            "One factor's values between two instants, oldest first, decimals exactly as the \
             device sent them. Unlike the track, a `from` after `to` is not refused: the series \
             is then empty.",
        )
        .ok(200, "The series.", r("MonitorReadings"))
        .errors(AUTH)
        .errors(&["bad_request", "not_found", "invalid_time"]),
    ]
}

// ---------------------------------------------------------------------------------------------
// Components

fn alarm_ops() -> Vec<Op> {
    let id = |op: Op| {
        op.path_param(
            "id",
            json!({ "type": "integer", "format": "int64" }),
            "Alarm id.",
        )
    };
    vec![
        Op::get("/api/alarms", "listAlarms", "List alarms (告警列表)")
            .roles(STAFF)
            .doc(
                "Alarms, most recently changed first. Scoped staff see their areas only; an \
                 `area_code` outside the caller's scope is refused.",
            )
            .query("state", false, string("`open` (default), `all`, `raised`, `acknowledged`, `linked`, `cleared`."), "Which states; `open` = all but cleared.")
            .query("source_kind", false, string_enum(SourceKind::ALL.map(SourceKind::as_str), ""), "Only this kind of source.")
            .query("source_id", false, string(""), "Only this source (terminal phone, MN, sensor, camera, station or collection point id).")
            .query("rule", false, string("e.g. `muck.off_route` or `muck.`"), "A rule id, or a family ending in `.`.")
            .query("area_code", false, string("1–15 digits"), "Only alarms inside this area.")
            .query("limit", false, int64("1–1000, default 100."), "Page size.")
            .query("offset", false, int64("Default 0."), "Skip this many.")
            .ok(200, "A page of alarms.", r("AlarmList"))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query"]),
        Op::get("/api/alarms/summary", "alarmSummary", "Open alarms by kind and level (告警统计)")
            .roles(STAFF)
            .doc("Counts of open alarms per source kind and level, for the command centre.")
            .ok(200, "The counts.", r("AlarmSummary"))
            .errors(AUTH),
        id(Op::get("/api/alarms/{id}", "getAlarm", "One alarm with its history (告警详情)"))
            .roles(STAFF)
            .doc("The alarm and every step of its life (raised, acknowledged, linked, cleared), oldest first.")
            .ok(200, "The alarm.", r("AlarmDetail"))
            .errors(AUTH)
            .errors(&["bad_request", "not_found"]),
        id(Op::post("/api/alarms/{id}/acknowledge", "acknowledgeAlarm", "Acknowledge an alarm (确认)"))
            .roles(ALARM_ACTORS)
            .doc("Marks a raised alarm as seen. Only a `raised` alarm can be acknowledged (409 `invalid_transition`); \
                  409 `alarm_changed` when someone else acted first.")
            .ok(200, "The alarm, acknowledged.", r("AlarmEnvelope"))
            .errors(AUTH)
            .errors(&["bad_request", "not_found", "invalid_transition", "alarm_changed"]),
        id(Op::post("/api/alarms/{id}/clear", "clearAlarm", "Clear an alarm by hand (解除)"))
            .roles(ALARM_ACTORS)
            .doc("Dismisses an open alarm with a reason; its rule may raise a new alarm afterwards.")
            .json_body(r("AlarmClearInput"), "Why.")
            .ok(200, "The alarm, cleared.", r("AlarmEnvelope"))
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["not_found", "missing_field", "too_long", "invalid_transition", "alarm_changed"]),
        id(Op::post("/api/alarms/{id}/case", "raiseAlarmCase", "File a case from an alarm (转立案)"))
            .roles(ALARM_ACTORS)
            .doc(
                "Reports a case from the alarm (its source as the channel, its class, point and \
                 message), links the alarm to it and, as far as the caller's roles allow, accepts \
                 and files it. Used to confirm a notice (e.g. a low-confidence camera event) or to \
                 file before the automatic worker does. Alarms of level warning or severe with a \
                 class get their case automatically within seconds.",
            )
            .ok(201, "The case and the linked alarm.", r("AlarmCase"))
            .errors(AUTH)
            .errors(&["bad_request", "not_found", "invalid_transition", "alarm_changed", "alarm_without_class", "outside_city", "unknown_class", "invalid_point"]),
    ]
}

fn schemas() -> Value {
    let mut s = Map::new();
    let mut put = |name: &str, schema: Value| {
        assert!(
            s.insert(name.to_owned(), schema).is_none(),
            "schema {name} defined twice"
        );
    };

    for (name, schema) in open311_schemas() {
        put(name, schema);
    }

    // -- enumerations
    put(
        "CaseState",
        string_enum(
            CaseState::ALL.map(CaseState::as_str),
            &format!(
                "Where a case is in the loop:\n\n{}",
                md_table(
                    &["state", "状态", "terminal"],
                    &CaseState::ALL.map(|c| vec![
                        format!("`{}`", c.as_str()),
                        c.label_zh().to_owned(),
                        if c.is_terminal() { "yes" } else { "" }.to_owned(),
                    ])
                ),
            ),
        ),
    );
    put(
        "Source",
        string_enum(
            Source::ALL.map(Source::as_str),
            "The channel a report came through (案件来源).",
        ),
    );
    put(
        "Role",
        string_enum(
            Role::ALL.map(Role::as_str),
            &format!(
                "A role a user holds:\n\n{}",
                md_table(
                    &["role", "角色"],
                    &Role::ALL.map(|r| vec![format!("`{}`", r.as_str()), r.label_zh().to_owned()])
                ),
            ),
        ),
    );
    put(
        "DepartmentType",
        string_enum(
            DepartmentType::ALL.map(DepartmentType::as_str),
            &format!(
                "The kind of a responsible department (处置部门):\n\n{}",
                md_table(
                    &["type", "类型"],
                    &DepartmentType::ALL
                        .map(|d| vec![format!("`{}`", d.as_str()), d.label_zh().to_owned()])
                ),
            ),
        ),
    );
    put(
        "Urgency",
        string_enum(
            urgencies().into_iter().map(|(c, _)| c),
            &format!(
                "How urgent a case is; picks the handling limit (处置时限): {}.",
                urgencies()
                    .iter()
                    .map(|(c, l)| format!("`{c}` {l}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        ),
    );
    put(
        "ClassKind",
        string_enum(class_kinds(), "`component` 部件 or `matter` 事项."),
    );
    put(
        "LimitUnit",
        string_enum(
            limit_units(),
            "工作分钟, 工作时 (60 min) or 工作日 (one working day).",
        ),
    );
    put(
        "AreaLevel",
        string_enum(
            area_levels(),
            "district 区 (6 digits), street 街道 (9), community 社区 (12), grid 单元网格 (15).",
        ),
    );
    put(
        "DayKind",
        string_enum(
            day_kinds(),
            "`holiday` 法定节假日 or `makeup_workday` 调休上班.",
        ),
    );
    put(
        "Light",
        string_enum(
            lights(),
            "Overdue light (颜色预警): green below 80 % of the node's limit, yellow up to 100 %, red past it.",
        ),
    );
    put(
        "PendingKind",
        string_enum(
            pending_kinds(),
            "回退 return, 延期 extension, 挂账 suspension, 作废 void.",
        ),
    );
    put(
        "Action",
        string_enum(
            actions().iter().map(|a| a.name),
            "An action of `POST /api/cases/{id}/actions` (see that operation for what each needs).",
        ),
    );
    put(
        "EventAction",
        string_enum(
            REPORT_ACTIONS
                .into_iter()
                .chain(actions().iter().map(|a| a.name)),
            "What an audit event records: `report`/`report_self_handled` (the case was created) \
             or an action.",
        ),
    );
    put(
        "AreaCode",
        json!({
            "type": "string",
            "pattern": "^[0-9]{6}([0-9]{3}){0,3}$",
            "description": "District 6 digits (GB/T 2260) → street 9 (GB/T 10114) → community 12 → unit grid 15 (单元网格). A code's level is its length; areas nest by prefix.",
            "examples": ["110101", "110101001001001"],
        }),
    );

    // -- errors
    put(
        "Error",
        object(
            vec![(
                "error",
                object(
                    vec![
                        (
                            "code",
                            string_enum(
                                ERROR_CODES.iter().map(|e| e.code),
                                "Machine-readable; see the table in the API description.",
                            ),
                        ),
                        ("message", string("Human-readable, in English.")),
                        (
                            "current",
                            with_description(
                                r("Case"),
                                "With `version_conflict` from an action: the case as it is now.",
                            ),
                        ),
                        (
                            "issues",
                            with_description(
                                arr(r("LayerIssue")),
                                "With `invalid_layer`: every validation finding, per feature.",
                            ),
                        ),
                        (
                            "problems",
                            with_description(
                                arr(string("")),
                                "With `invalid_permit`: every problem of the permit.",
                            ),
                        ),
                    ],
                    &["code", "message"],
                ),
            )],
            &["error"],
        ),
    );

    // -- system
    put(
        "Health",
        object(
            vec![
                ("status", json!({ "const": "ok", "type": "string" })),
                ("store", string_enum(backends(), "The database backend.")),
                ("version", string("Server version.")),
            ],
            &["status", "store", "version"],
        ),
    );
    let labelled = |code: Value| {
        object(
            vec![("code", code), ("label", string("Chinese label."))],
            &["code", "label"],
        )
    };
    put(
        "Meta",
        object(
            vec![
                (
                    "states",
                    arr(object(
                        vec![
                            ("code", r("CaseState")),
                            ("label", string("Chinese label.")),
                            ("terminal", boolean("No further action is possible.")),
                        ],
                        &["code", "label", "terminal"],
                    )),
                ),
                ("sources", arr(labelled(r("Source")))),
                ("roles", arr(labelled(r("Role")))),
                ("department_types", arr(labelled(r("DepartmentType")))),
                ("urgencies", arr(labelled(r("Urgency")))),
                ("actions", arr(labelled(r("Action")))),
            ],
            &[
                "states",
                "sources",
                "roles",
                "department_types",
                "urgencies",
                "actions",
            ],
        ),
    );

    // -- auth and organisation
    put(
        "LoginRequest",
        closed(
            vec![
                ("username", string("")),
                (
                    "password",
                    json!({ "type": "string", "format": "password" }),
                ),
            ],
            &["username", "password"],
        ),
    );
    put(
        "LoginResponse",
        object(
            vec![
                (
                    "token",
                    string("Session token for `Authorization: Bearer` (64 hex characters)."),
                ),
                ("expires_at", date_time("When the session ends.")),
                ("user", r("UserWithRoles")),
            ],
            &["token", "expires_at", "user"],
        ),
    );
    put(
        "User",
        object(
            vec![
                ("id", int64("")),
                ("username", string("")),
                ("display_name", string("")),
                ("phone", nullable(string(""))),
                (
                    "active",
                    boolean("Deactivated users cannot sign in or act."),
                ),
            ],
            &["id", "username", "display_name", "phone", "active"],
        ),
    );
    put(
        "RoleGrant",
        object(
            vec![
                ("role", r("Role")),
                (
                    "area",
                    nullable(with_description(
                        r("AreaCode"),
                        "The area the role covers; `null` = the whole city.",
                    )),
                ),
                (
                    "department_id",
                    nullable(int64(
                        "The department the role acts for (department handlers).",
                    )),
                ),
            ],
            &["role", "area", "department_id"],
        ),
    );
    put(
        "UserWithRoles",
        object(
            vec![("user", r("User")), ("grants", arr(r("RoleGrant")))],
            &["user", "grants"],
        ),
    );
    put(
        "GrantInput",
        closed(
            vec![
                ("role", r("Role")),
                (
                    "area_code",
                    with_description(
                        r("AreaCode"),
                        "The area the role covers; absent = the whole city.",
                    ),
                ),
                ("department_id", int64("Required for `department_handler`.")),
            ],
            &["role"],
        ),
    );
    put(
        "UserInput",
        closed(
            vec![
                (
                    "username",
                    json!({ "type": "string", "minLength": 1, "maxLength": 64 }),
                ),
                ("display_name", string("")),
                ("phone", string("")),
                (
                    "password",
                    json!({ "type": "string", "format": "password", "minLength": 8 }),
                ),
                (
                    "grants",
                    json!({ "type": "array", "items": r("GrantInput"), "default": [] }),
                ),
            ],
            &["username", "display_name", "password"],
        ),
    );
    put(
        "Created",
        object(vec![("id", int64("The new id."))], &["id"]),
    );
    put(
        "Inspector",
        object(
            vec![
                ("id", int64("User id.")),
                ("display_name", string("")),
                (
                    "areas",
                    arr(nullable(with_description(
                        r("AreaCode"),
                        "`null` = the whole city.",
                    ))),
                ),
            ],
            &["id", "display_name", "areas"],
        ),
    );
    put(
        "ApiKeyInput",
        closed(
            vec![
                ("name", string("What the key is for.")),
                ("user_id", int64("The user the key acts as.")),
            ],
            &["name", "user_id"],
        ),
    );
    put(
        "ApiKey",
        object(
            vec![
                (
                    "key",
                    string("The key (`yw_` and 64 hex characters); shown only now."),
                ),
                ("name", string("")),
                ("user_id", int64("")),
            ],
            &["key", "name", "user_id"],
        ),
    );
    put(
        "Area",
        object(
            vec![
                ("code", r("AreaCode")),
                ("name", string("")),
                ("parent_code", nullable(r("AreaCode"))),
            ],
            &["code", "name", "parent_code"],
        ),
    );
    put(
        "AreaInput",
        closed(
            vec![
                ("code", r("AreaCode")),
                ("name", json!({ "type": "string", "minLength": 1 })),
            ],
            &["code", "name"],
        ),
    );
    put(
        "Department",
        object(
            vec![
                ("id", int64("")),
                ("code", string("")),
                ("name", string("")),
                ("dept_type", r("DepartmentType")),
                (
                    "areas",
                    with_description(arr(r("AreaCode")), "The areas it serves."),
                ),
            ],
            &["id", "code", "name", "dept_type", "areas"],
        ),
    );
    put(
        "DepartmentInput",
        closed(
            vec![
                ("code", string("Unique.")),
                ("name", string("")),
                ("dept_type", r("DepartmentType")),
                (
                    "areas",
                    json!({ "type": "array", "items": r("AreaCode"), "default": [], "description": "The areas it serves." }),
                ),
            ],
            &["code", "name", "dept_type"],
        ),
    );

    // -- configuration
    put(
        "TimeLimit",
        object(
            vec![
                (
                    "amount",
                    json!({ "type": "integer", "minimum": 1, "maximum": u32::MAX }),
                ),
                ("unit", r("LimitUnit")),
            ],
            &["amount", "unit"],
        ),
    );
    put(
        "HandlingLimits",
        with_description(
            object(
                vec![
                    ("urgent", r("TimeLimit")),
                    ("high", r("TimeLimit")),
                    ("normal", r("TimeLimit")),
                ],
                &["urgent", "high", "normal"],
            ),
            "Handling limits (处置时限) per urgency; urgent ≤ high ≤ normal.",
        ),
    );
    put(
        "TaxonomyClass",
        object(
            vec![
                ("standard_ref", string("e.g. `GB/T 47678.5-2026`.")),
                ("kind", r("ClassKind")),
                ("major_code", string("大类 code, e.g. `06`.")),
                ("major_name", string("")),
                ("code", string("小类 code, e.g. `06010`.")),
                ("name", string("")),
                (
                    "department_type",
                    with_description(
                        r("DepartmentType"),
                        "Where a case of this class goes by default.",
                    ),
                ),
                (
                    "filing_conditions",
                    with_description(arr(string("")), "立案条件."),
                ),
                ("closing_condition", string("结案条件.")),
                ("limits", r("HandlingLimits")),
                (
                    "is_local_extension",
                    boolean("A local addition beside the national standard."),
                ),
            ],
            &[
                "standard_ref",
                "kind",
                "major_code",
                "major_name",
                "code",
                "name",
                "department_type",
                "filing_conditions",
                "closing_condition",
                "limits",
                "is_local_extension",
            ],
        ),
    );
    put(
        "ClassUpdate",
        closed(
            vec![
                (
                    "standard_ref",
                    json!({ "type": "string", "default": GB_47678_5_2026, "description": "Which standard's class." }),
                ),
                ("department_type", r("DepartmentType")),
                (
                    "filing_conditions",
                    json!({ "type": "array", "items": { "type": "string", "minLength": 1 }, "minItems": 1 }),
                ),
                ("closing_condition", string("")),
                ("limits", r("HandlingLimits")),
            ],
            &[],
        ),
    );
    let minutes = |d: &str| json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": 153_300, "description": d });
    put(
        "NodeLimits",
        with_description(
            object(
                vec![
                    ("accept", minutes("受理 — operator takes up a new report.")),
                    ("verify", minutes("核实 — inspector verifies on site.")),
                    ("file", minutes("立案 — shift supervisor decides.")),
                    ("dispatch", minutes("派遣 — dispatcher sends it out.")),
                    ("sign", minutes("签收 — department accepts.")),
                    ("send_check", minutes("发核查 — operator sends the check.")),
                    ("check", minutes("核查 — inspector checks on site.")),
                    ("close", minutes("结案 — shift supervisor closes.")),
                    (
                        "suspended",
                        minutes("挂账 — how long a suspended case may stay parked."),
                    ),
                ],
                &[
                    "accept",
                    "verify",
                    "file",
                    "dispatch",
                    "sign",
                    "send_check",
                    "check",
                    "close",
                    "suspended",
                ],
            ),
            "Working minutes allowed at each node (环节时限) except handling, which comes from the class.",
        ),
    );
    put(
        "WorkSchedule",
        object(
            vec![(
                "windows",
                json!({
                    "type": "array",
                    "description": "Daily working windows `[start, end)` in minutes after local midnight (Asia/Shanghai): sorted, disjoint, non-empty. Default `[[540,720],[780,1020]]` = 09:00–12:00 and 13:00–17:00.",
                    "items": {
                        "type": "array",
                        "prefixItems": [
                            { "type": "integer", "minimum": 0, "maximum": 1440 },
                            { "type": "integer", "minimum": 0, "maximum": 1440 },
                        ],
                        "minItems": 2,
                        "maxItems": 2,
                    },
                }),
            )],
            &["windows"],
        ),
    );
    put(
        "SpecialDay",
        object(
            vec![
                ("date", json!({ "type": "string", "format": "date" })),
                ("kind", r("DayKind")),
                ("name", string("e.g. 春节.")),
            ],
            &["date", "kind", "name"],
        ),
    );
    put(
        "Deadline",
        object(
            vec![
                ("start", date_time("")),
                ("minutes", int64("")),
                ("deadline", date_time("When the working minutes end.")),
            ],
            &["start", "minutes", "deadline"],
        ),
    );

    // -- cases
    put(
        "ClassRef",
        object(
            vec![
                ("standard_ref", string("")),
                ("kind", r("ClassKind")),
                ("code", string("")),
                ("name", string("")),
            ],
            &["standard_ref", "kind", "code", "name"],
        ),
    );
    put(
        "PendingRequest",
        object(
            vec![
                ("kind", r("PendingKind")),
                ("requested_by", int64("User id.")),
                ("reason", string("The request's note.")),
                (
                    "minutes",
                    int64("Extensions only: working minutes asked for."),
                ),
            ],
            &["kind", "requested_by", "reason"],
        ),
    );
    put("Case", case_schema());
    put(
        "Event",
        object(
            vec![
                ("id", int64("")),
                ("action", r("EventAction")),
                ("actor_id", int64("")),
                (
                    "actor_role",
                    with_description(r("Role"), "The role the actor acted in."),
                ),
                (
                    "from_state",
                    nullable(with_description(r("CaseState"), "`null` for the report.")),
                ),
                ("to_state", r("CaseState")),
                ("note", nullable(string(""))),
                (
                    "attachments",
                    with_description(arr(int64("")), "Attachment ids."),
                ),
                (
                    "data",
                    json!({
                        "type": "object",
                        "additionalProperties": true,
                        "description": "Action-specific facts, e.g. `source` (report), `inspector_id` (send_verify, send_check), `confirmed` (verify), `class_code` and `urgency` (file), `department_id` (dispatch), `minutes` (extensions), `passed` (check), `level` (supervise), `master_case_id` (link_duplicate).",
                    }),
                ),
                ("at", date_time("")),
            ],
            &[
                "id",
                "action",
                "actor_id",
                "actor_role",
                "from_state",
                "to_state",
                "note",
                "attachments",
                "data",
                "at",
            ],
        ),
    );
    put("ReportRequest", report_request_schema());
    put("ActionRequest", action_request_schema());
    put(
        "CaseList",
        object(
            vec![
                ("items", arr(r("Case"))),
                (
                    "next_cursor",
                    nullable(string(
                        "Pass as `cursor` for the next page; `null` on the last.",
                    )),
                ),
            ],
            &["items", "next_cursor"],
        ),
    );
    put("CaseCreated", object(vec![("case", r("Case"))], &["case"]));
    put(
        "CaseDetail",
        object(
            vec![
                ("case", r("Case")),
                ("events", arr(r("Event"))),
                (
                    "duplicates",
                    with_description(
                        arr(object(
                            vec![("id", int64("")), ("case_no", string(""))],
                            &["id", "case_no"],
                        )),
                        "Cases linked to this one as duplicates.",
                    ),
                ),
                (
                    "available_actions",
                    with_description(
                        arr(r("Action")),
                        "What the caller could do now (some need inputs).",
                    ),
                ),
            ],
            &["case", "events", "duplicates", "available_actions"],
        ),
    );
    put(
        "ActionResult",
        object(
            vec![
                ("case", r("Case")),
                ("event", r("Event")),
                ("available_actions", arr(r("Action"))),
            ],
            &["case", "event", "available_actions"],
        ),
    );
    let count = || json!({ "type": "integer", "format": "int64", "minimum": 0 });
    let state_names: Vec<&str> = CaseState::ALL.iter().map(|c| c.as_str()).collect();
    let pending = pending_kinds();
    put(
        "Queues",
        object(
            vec![
                (
                    "states",
                    with_description(
                        object(
                            state_names.iter().map(|s| (*s, count())).collect(),
                            &state_names,
                        ),
                        "Cases per state.",
                    ),
                ),
                (
                    "pending_requests",
                    with_description(
                        object(pending.iter().map(|k| (*k, count())).collect(), &pending),
                        "Cases with a pending request, per kind.",
                    ),
                ),
                (
                    "lights",
                    with_description(
                        object(
                            vec![("yellow", count()), ("red", count())],
                            &["yellow", "red"],
                        ),
                        "Cases whose current node is yellow or red.",
                    ),
                ),
                (
                    "my_inspection_tasks",
                    with_description(count(), "Verify/check tasks assigned to the caller."),
                ),
            ],
            &[
                "states",
                "pending_requests",
                "lights",
                "my_inspection_tasks",
            ],
        ),
    );
    put(
        "Summary",
        object(
            vec![
                ("total", count()),
                (
                    "open",
                    with_description(count(), "Not in a terminal state."),
                ),
                ("closed", count()),
                ("overdue", with_description(count(), "Red light.")),
                (
                    "by_state",
                    with_description(
                        arr(object(
                            vec![
                                ("state", r("CaseState")),
                                ("label", string("")),
                                ("count", count()),
                            ],
                            &["state", "label", "count"],
                        )),
                        "States with at least one case.",
                    ),
                ),
            ],
            &["total", "open", "closed", "overdue", "by_state"],
        ),
    );
    put(
        "Breakdown",
        object(
            vec![
                ("from", date_time("Start of the period.")),
                (
                    "to",
                    nullable(date_time(
                        "End of the period (exclusive); null: open-ended.",
                    )),
                ),
                (
                    "total",
                    with_description(count(), "Cases reported (created) in the period."),
                ),
                (
                    "by_source",
                    with_description(
                        arr(object(
                            vec![
                                ("source", r("Source")),
                                ("label", string("渠道 name.")),
                                ("count", count()),
                            ],
                            &["source", "label", "count"],
                        )),
                        "Cases reported in the period per channel, most first; channels with none are left out.",
                    ),
                ),
                (
                    "by_class",
                    with_description(
                        arr(object(
                            vec![
                                ("code", string("Class code.")),
                                ("name", string("Class name.")),
                                ("count", count()),
                            ],
                            &["code", "name", "count"],
                        )),
                        "The `top` classes of the period's cases, most first (ties by code).",
                    ),
                ),
                (
                    "other_classes",
                    with_description(count(), "Classified cases outside `by_class`."),
                ),
                (
                    "unclassified",
                    with_description(count(), "Cases without a class (not yet classified)."),
                ),
                (
                    "closure",
                    with_description(
                        object(
                            vec![
                                (
                                    "closed",
                                    with_description(count(), "结案数: closed in the period."),
                                ),
                                (
                                    "overdue_open",
                                    with_description(
                                        count(),
                                        "超期未结案: filed (待派遣 … 待结案, not 挂账), created before the period's end, still open and past the node deadline now (red light).",
                                    ),
                                ),
                                (
                                    "due",
                                    with_description(count(), "应结案数 = closed + overdue_open."),
                                ),
                                (
                                    "rate",
                                    nullable(json!({
                                        "type": "number", "minimum": 0, "maximum": 1,
                                        "description": "结案率 = closed / due, 0…1; null when nothing was due.",
                                    })),
                                ),
                            ],
                            &["closed", "overdue_open", "due", "rate"],
                        ),
                        "The period's 结案率. Each case closed in the period counts as due, so the rate never exceeds 100 % (the assessment's 结案数 / (处置数 + 超期未处置数) of one day can, when cases handled the day before are closed this morning).",
                    ),
                ),
            ],
            &[
                "from",
                "to",
                "total",
                "by_source",
                "by_class",
                "other_classes",
                "unclassified",
                "closure",
            ],
        ),
    );

    // -- attachments and live
    put(
        "Attachment",
        object(
            vec![
                ("id", int64("")),
                (
                    "content_type",
                    string_enum(["image/jpeg", "image/png", "image/webp"], ""),
                ),
                ("size_bytes", int64("")),
                ("sha256", string("Hex SHA-256 of the bytes.")),
            ],
            &["id", "content_type", "size_bytes", "sha256"],
        ),
    );
    put(
        "SseHello",
        object(vec![("user_id", int64("The caller."))], &["user_id"]),
    );
    put(
        "SseCase",
        object(
            vec![
                ("action", r("EventAction")),
                ("actor_id", int64("Who acted.")),
                ("case", r("Case")),
            ],
            &["action", "actor_id", "case"],
        ),
    );
    put(
        "SseLagged",
        object(
            vec![("missed", int64("How many changes were dropped."))],
            &["missed"],
        ),
    );
    put(
        "SseCity",
        object(
            vec![(
                "version",
                int64("The city model's new version: reload map layers and geocoding answers."),
            )],
            &["version"],
        ),
    );

    // -- city model
    put(
        "Crs",
        string_enum(
            ["wgs84", "gcj02"],
            "Coordinate system of positions: `wgs84` (WGS-84, as GPS gives and the API stores) \
             or `gcj02` (GCJ-02 国测局坐标, as Chinese basemaps such as AMap and Tencent Maps \
             use).",
        ),
    );
    put(
        "Layer",
        string_enum(
            layers(),
            "A layer of the city model: `areas` (区域: districts, streets, communities and unit \
             grids with their outlines), `roads` (道路, with their road chiefs 路长) or \
             `components` (部件: manhole covers, lamps, bins …).",
        ),
    );
    put(
        "RoadClass",
        string_enum(
            road_classes(),
            &RoadClass::ALL
                .map(|c| format!("`{}` {}", c.as_str(), c.label_zh()))
                .join(", "),
        ),
    );
    put(
        "ComponentStatus",
        string_enum(
            component_statuses(),
            &format!(
                "State of a component (部件状态): {}.",
                ComponentStatus::ALL
                    .map(|c| format!("`{}` {}", c.as_str(), c.label_zh()))
                    .join(", ")
            ),
        ),
    );
    let lat = |d: &str| json!({ "type": "number", "description": format!("Latitude, WGS-84 degrees (−90…90).{d}") });
    let lon = |d: &str| json!({ "type": "number", "description": format!("Longitude, WGS-84 degrees (−180…180).{d}") });
    put(
        "LatLon",
        closed(
            vec![
                ("lat", lat(" Out of range: answered `invalid`.")),
                ("lon", lon(" Out of range: answered `invalid`.")),
            ],
            &["lat", "lon"],
        ),
    );
    put(
        "GeocodeBatchRequest",
        closed(
            vec![(
                "points",
                json!({ "type": "array", "items": r("LatLon"), "maxItems": MAX_BATCH_POINTS }),
            )],
            &["points"],
        ),
    );
    put(
        "AreaRef",
        object(
            vec![("code", r("AreaCode")), ("name", string(""))],
            &["code", "name"],
        ),
    );
    put(
        "RoadHit",
        object(
            vec![
                (
                    "id",
                    string("Road id in the city model, e.g. `R410102-0007`."),
                ),
                ("name", string("e.g. 建设路.")),
                (
                    "distance_m",
                    json!({ "type": "number", "minimum": 0, "description": "Distance from the point to the road's centre line, metres." }),
                ),
                (
                    "index",
                    json!({ "type": "integer", "minimum": 0, "description": "Position of the road in this node's city index (changes with imports; use `id`)." }),
                ),
            ],
            &["id", "name", "distance_m", "index"],
        ),
    );
    let kind = |k: &str| json!({ "type": "string", "const": k });
    put(
        "GeocodeInside",
        object(
            vec![
                ("kind", kind("inside")),
                (
                    "grid",
                    with_description(r("AreaRef"), "The unit grid (单元网格)."),
                ),
                (
                    "community",
                    nullable(with_description(
                        r("AreaRef"),
                        "社区; `null` if not in the model.",
                    )),
                ),
                (
                    "street",
                    nullable(with_description(
                        r("AreaRef"),
                        "街道; `null` if not in the model.",
                    )),
                ),
                (
                    "district",
                    nullable(with_description(
                        r("AreaRef"),
                        "区; `null` if not in the model.",
                    )),
                ),
                (
                    "road",
                    nullable(with_description(
                        r("RoadHit"),
                        "The nearest road within 300 m; `null` if none.",
                    )),
                ),
                (
                    "address",
                    string("Readable address, e.g. `中原区 中原西路街道 万达社区 建设路附近`."),
                ),
            ],
            &[
                "kind",
                "grid",
                "community",
                "street",
                "district",
                "road",
                "address",
            ],
        ),
    );
    put(
        "GeocodeOutside",
        object(
            vec![
                ("kind", kind("outside")),
                (
                    "road",
                    nullable(with_description(
                        r("RoadHit"),
                        "The nearest road within 300 m; `null` if none.",
                    )),
                ),
            ],
            &["kind", "road"],
        ),
    );
    put(
        "GeocodeInvalid",
        object(
            vec![
                ("kind", kind("invalid")),
                ("message", string("Why the point is not a WGS-84 position.")),
            ],
            &["kind", "message"],
        ),
    );
    put(
        "Geocoded",
        json!({
            "oneOf": [r("GeocodeInside"), r("GeocodeOutside")],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {
                    "inside": "#/components/schemas/GeocodeInside",
                    "outside": "#/components/schemas/GeocodeOutside",
                },
            },
            "description": "Where a point lies: `inside` a unit grid, or `outside` every grid.",
        }),
    );
    put(
        "GeocodeBatchResult",
        object(
            vec![(
                "results",
                with_description(
                    arr(json!({
                        "oneOf": [r("GeocodeInside"), r("GeocodeOutside"), r("GeocodeInvalid")],
                        "discriminator": {
                            "propertyName": "kind",
                            "mapping": {
                                "inside": "#/components/schemas/GeocodeInside",
                                "outside": "#/components/schemas/GeocodeOutside",
                                "invalid": "#/components/schemas/GeocodeInvalid",
                            },
                        },
                    })),
                    "One answer per point, in the order sent.",
                ),
            )],
            &["results"],
        ),
    );
    let text = |d: &str| nullable(string(d));
    put(
        "AddressMatch",
        object(
            vec![
                ("kind", kind("match")),
                (
                    "lat",
                    json!({ "type": "number", "description": "Latitude, WGS-84 degrees." }),
                ),
                (
                    "lon",
                    json!({ "type": "number", "description": "Longitude, WGS-84 degrees." }),
                ),
                (
                    "precision",
                    string_enum(
                        ["intersection", "road", "community", "street", "district"],
                        "How precisely the address was placed, best first.",
                    ),
                ),
                (
                    "area_code",
                    text("Code of the most precise area named (the point lies in it)."),
                ),
                ("area_name", text("Name of that area.")),
                ("road_id", text("The road segment the point lies on.")),
                ("road_name", text("Its name.")),
                ("cross_road_id", text("The second road of an intersection.")),
                ("cross_road_name", text("Its name.")),
                (
                    "house_number",
                    text("A house number given (not placed: the point is on the road)."),
                ),
                (
                    "matched",
                    arr(string("A part recognised, with its model name.")),
                ),
                (
                    "notes",
                    arr(string(
                        "What was recognised but not used, and why (Chinese).",
                    )),
                ),
                (
                    "explain",
                    string("Where the address was placed, for people (Chinese)."),
                ),
                (
                    "located",
                    nullable(with_description(
                        r("Geocoded"),
                        "Where the point lies, as `GET /api/geocode`.",
                    )),
                ),
            ],
            &[
                "kind",
                "lat",
                "lon",
                "precision",
                "area_code",
                "area_name",
                "road_id",
                "road_name",
                "cross_road_id",
                "cross_road_name",
                "house_number",
                "matched",
                "notes",
                "explain",
                "located",
            ],
        ),
    );
    put(
        "AddressAmbiguous",
        object(
            vec![
                ("kind", kind("ambiguous")),
                ("name", string("The name that fits several places.")),
                ("message", string("What to add, for people.")),
                (
                    "candidates",
                    arr(object(
                        vec![
                            ("label", string("For people, e.g. `东风路街道（金水区）`.")),
                            ("area_code", text("The area this reading lies in.")),
                            ("lat", json!({ "type": "number" })),
                            ("lon", json!({ "type": "number" })),
                        ],
                        &["label", "area_code", "lat", "lon"],
                    )),
                ),
            ],
            &["kind", "name", "message", "candidates"],
        ),
    );
    put(
        "AddressLookup",
        json!({
            "oneOf": [r("AddressMatch"), r("AddressAmbiguous")],
            "discriminator": {
                "propertyName": "kind",
                "mapping": {
                    "match": "#/components/schemas/AddressMatch",
                    "ambiguous": "#/components/schemas/AddressAmbiguous",
                },
            },
            "description": "One reading of the address (`match`), or the places it may mean (`ambiguous`).",
        }),
    );
    put(
        "CitySummary",
        object(
            vec![
                (
                    "version",
                    int64("Changes of the stored model so far (0: never imported)."),
                ),
                (
                    "counts",
                    object(
                        vec![
                            (
                                "grids",
                                with_description(count(), "Unit grids with an outline."),
                            ),
                            (
                                "areas",
                                with_description(
                                    count(),
                                    "Areas of every level with an outline, grids included.",
                                ),
                            ),
                            ("roads", count()),
                            ("components", with_description(count(), "部件.")),
                        ],
                        &["grids", "areas", "roads", "components"],
                    ),
                ),
                (
                    "districts",
                    with_description(
                        arr(object(
                            vec![
                                ("code", r("AreaCode")),
                                ("name", string("")),
                                (
                                    "bbox",
                                    nullable(json!({
                                        "type": "array",
                                        "prefixItems": [
                                            { "type": "number", "description": "west" },
                                            { "type": "number", "description": "south" },
                                            { "type": "number", "description": "east" },
                                            { "type": "number", "description": "north" },
                                        ],
                                        "minItems": 4,
                                        "maxItems": 4,
                                        "description": "Extent `[west, south, east, north]`, WGS-84 degrees.",
                                    })),
                                ),
                            ],
                            &["code", "name", "bbox"],
                        )),
                        "Districts with an outline, by code.",
                    ),
                ),
            ],
            &["version", "counts", "districts"],
        ),
    );
    put(
        "AreaDensity",
        object(
            vec![
                (
                    "level",
                    with_description(r("AreaLevel"), "The level counted per area."),
                ),
                ("total", with_description(count(), "Cases counted.")),
                (
                    "max",
                    with_description(count(), "The largest count (0 if none)."),
                ),
                (
                    "counts",
                    json!({
                        "type": "object",
                        "propertyNames": { "pattern": "^[0-9]{6}([0-9]{3}){0,3}$" },
                        "additionalProperties": count(),
                        "description": "Cases per area code of `level`; areas without a case are absent.",
                        "examples": [{ "410102001001001": 3, "410102001001002": 1 }],
                    }),
                ),
            ],
            &["level", "total", "max", "counts"],
        ),
    );
    put(
        "ImportResult",
        object(
            vec![
                ("layer", r("Layer")),
                (
                    "imported",
                    with_description(count(), "Features written (inserted or replaced)."),
                ),
                ("version", int64("The city model's new version.")),
            ],
            &["layer", "imported", "version"],
        ),
    );
    put(
        "LayerIssueKind",
        string_enum(
            issue_kinds(),
            "What a validation finding is about; its `message` says exactly what and where.",
        ),
    );
    put(
        "LayerIssue",
        object(
            vec![
                (
                    "index",
                    nullable(
                        json!({ "type": "integer", "minimum": 0, "description": "0-based feature index in the file; `null` for a finding about a parent as a whole (a gap)." }),
                    ),
                ),
                (
                    "code",
                    string("The feature's code or component id (for a gap: the parent's code)."),
                ),
                ("kind", r("LayerIssueKind")),
                ("message", string("Precise and human-readable.")),
            ],
            &["index", "code", "kind", "message"],
        ),
    );
    // GeoJSON as the server writes it (RFC 7946).
    let position = || {
        json!({
            "type": "array",
            "prefixItems": [
                { "type": "number", "description": "Longitude." },
                { "type": "number", "description": "Latitude." },
            ],
            "minItems": 2,
            "maxItems": 2,
            "description": "`[lon, lat]` in degrees of the requested `crs`.",
        })
    };
    let geometry = |t: &str, coordinates: Value| {
        object(
            vec![("type", kind(t)), ("coordinates", coordinates)],
            &["type", "coordinates"],
        )
    };
    let collection = |feature: &str, what: &str| {
        with_description(
            object(
                vec![
                    ("type", kind("FeatureCollection")),
                    ("features", arr(r(feature))),
                ],
                &["type", "features"],
            ),
            what,
        )
    };
    let feature = |properties: Value, geometry: Value| {
        object(
            vec![
                ("type", kind("Feature")),
                ("properties", properties),
                ("geometry", geometry),
            ],
            &["type", "properties", "geometry"],
        )
    };
    put(
        "AreaFeature",
        feature(
            object(
                vec![
                    ("code", r("AreaCode")),
                    ("name", string("")),
                    ("level", r("AreaLevel")),
                    (
                        "parent",
                        with_description(r("AreaCode"), "The parent's code; absent for districts."),
                    ),
                ],
                &["code", "name", "level"],
            ),
            geometry(
                "MultiPolygon",
                with_description(
                    arr(arr(arr(position()))),
                    "Polygons, each an outer ring then holes; rings are closed.",
                ),
            ),
        ),
    );
    put(
        "AreaFeatureCollection",
        collection("AreaFeature", "Areas (区域) with their outlines."),
    );
    put(
        "RoadFeature",
        feature(
            object(
                vec![
                    ("id", string("e.g. `R410102-0007`.")),
                    ("name", string("")),
                    ("class", r("RoadClass")),
                    (
                        "chief",
                        nullable(string("Username of the road chief (路长).")),
                    ),
                ],
                &["id", "name", "class", "chief"],
            ),
            geometry("LineString", arr(position())),
        ),
    );
    put(
        "RoadFeatureCollection",
        collection("RoadFeature", "Roads (道路) as centre lines."),
    );
    put(
        "ComponentFeature",
        feature(
            object(
                vec![
                    (
                        "id",
                        json!({ "type": "string", "pattern": "^[0-9]{17}$", "description": "部件标识码: district 6 + class 5 + serial 6 digits." }),
                    ),
                    (
                        "class_code",
                        json!({ "type": "string", "pattern": "^[0-9]{5}$", "description": "GB/T 47678.5 component class, e.g. `01001`." }),
                    ),
                    ("status", r("ComponentStatus")),
                    (
                        "owner_department_type",
                        with_description(r("DepartmentType"), "主管/权属 department type."),
                    ),
                    (
                        "maintainer_department_type",
                        with_description(r("DepartmentType"), "养护 department type."),
                    ),
                    (
                        "grid_code",
                        string("The unit grid holding the point (15 digits)."),
                    ),
                ],
                &[
                    "id",
                    "class_code",
                    "status",
                    "owner_department_type",
                    "maintainer_department_type",
                    "grid_code",
                ],
            ),
            geometry("Point", position()),
        ),
    );
    put(
        "ComponentFeatureCollection",
        collection("ComponentFeature", "Components (部件) as points."),
    );
    put(
        "LayerUpload",
        json!({
            "type": "object",
            "required": ["type", "features"],
            "properties": {
                "type": { "type": "string", "const": "FeatureCollection" },
                "features": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "required": ["type", "properties", "geometry"],
                        "properties": {
                            "type": { "type": "string", "const": "Feature" },
                            "properties": { "type": "object", "additionalProperties": true },
                            "geometry": {
                                "type": "object",
                                "required": ["type", "coordinates"],
                                "properties": {
                                    "type": { "type": "string", "enum": ["Polygon", "MultiPolygon", "LineString", "Point"] },
                                    "coordinates": { "type": "array" },
                                },
                            },
                        },
                    },
                },
            },
            "description": format!(
                "A GeoJSON FeatureCollection (RFC 7946) of one layer; positions `[lon, lat]`. \
                 Properties per layer:\n\n{}",
                layer_properties_table()
            ),
        }),
    );
    // -- devices
    let ns = |d: &str| nullable(string(d));
    let degrees =
        |d: &str| json!({ "type": "number", "description": format!("{d}, WGS-84 degrees.") });
    put(
        "VehicleInput",
        closed(
            vec![
                (
                    "plate",
                    json!({ "type": "string", "minLength": 1, "maxLength": 16, "description": "车牌, e.g. `豫A·D1234` (1–16 characters, blank refused)." }),
                ),
                (
                    "kind",
                    string_enum(
                        store::VEHICLE_KINDS,
                        "What the vehicle is; another value is 422 `invalid`.",
                    ),
                ),
                ("company", nullable(string("The operator of the vehicle."))),
                (
                    "phone",
                    json!({ "type": ["string", "null"], "pattern": "^[0-9]{1,20}$", "description": "The JT/T 808 terminal's phone number (1–20 digits), its identity on the wire; stored without leading zeros." }),
                ),
            ],
            &["plate", "kind"],
        ),
    );
    put(
        "VehiclePosition",
        object(
            vec![
                ("lat", degrees("Latitude")),
                ("lon", degrees("Longitude")),
                (
                    "speed_kmh",
                    nullable(json!({ "type": "number", "description": "km/h." })),
                ),
                ("heading", nullable(int64("Degrees clockwise from north."))),
                (
                    "grid_code",
                    ns("The unit grid holding the point, when inside the city."),
                ),
                (
                    "fix_at",
                    nullable(date_time("When the device took the fix.")),
                ),
            ],
            &["lat", "lon", "speed_kmh", "heading", "grid_code", "fix_at"],
        ),
    );
    put(
        "Vehicle",
        object(
            vec![
                ("id", int64("")),
                ("plate", string("车牌.")),
                (
                    "kind",
                    string(&format!(
                        "One of {}.",
                        store::VEHICLE_KINDS
                            .iter()
                            .map(|k| format!("`{k}`"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    )),
                ),
                ("company", ns("")),
                ("phone", ns("The terminal phone (leading zeros dropped).")),
                (
                    "terminal_id",
                    ns("The terminal id sent at registration (0x0100)."),
                ),
                (
                    "registered",
                    boolean("Whether the terminal has registered."),
                ),
                (
                    "online",
                    boolean(&format!(
                        "Reported within the last {ONLINE_MINUTES} minutes."
                    )),
                ),
                (
                    "last_seen_at",
                    nullable(date_time("The last report of any kind.")),
                ),
                (
                    "position",
                    nullable(with_description(
                        r("VehiclePosition"),
                        "The last known position; `null` before the first.",
                    )),
                ),
            ],
            &[
                "id",
                "plate",
                "kind",
                "company",
                "phone",
                "terminal_id",
                "registered",
                "online",
                "last_seen_at",
                "position",
            ],
        ),
    );
    put(
        "VehicleList",
        object(
            vec![
                ("items", arr(r("Vehicle"))),
                ("online", int64("How many vehicles are online now.")),
            ],
            &["items", "online"],
        ),
    );
    put(
        "TrackPoint",
        object(
            vec![
                (
                    "fix_at",
                    date_time("Device time, or the receive time when it had none."),
                ),
                ("lat", degrees("Latitude")),
                ("lon", degrees("Longitude")),
                (
                    "speed_kmh",
                    json!({ "type": "number", "description": "km/h." }),
                ),
                ("heading", int64("Degrees clockwise from north.")),
                ("altitude_m", int64("Metres.")),
                ("alarm", int64("JT/T 808 alarm bits as sent.")),
                ("status", int64("JT/T 808 status bits as sent.")),
                ("mileage_m", nullable(int64("Odometer, metres."))),
                (
                    "grid_code",
                    ns("The unit grid holding the point, when inside the city."),
                ),
                (
                    "backfill",
                    boolean("A 盲区补报 backfill (history), not a live position."),
                ),
            ],
            &[
                "fix_at",
                "lat",
                "lon",
                "speed_kmh",
                "heading",
                "altitude_m",
                "alarm",
                "status",
                "mileage_m",
                "grid_code",
                "backfill",
            ],
        ),
    );
    put(
        "VehicleTrack",
        object(
            vec![
                ("vehicle", r("Vehicle")),
                ("from", date_time("The start used.")),
                ("to", date_time("The end used.")),
                ("points", arr(r("TrackPoint"))),
            ],
            &["vehicle", "from", "to", "points"],
        ),
    );
    let monitor_kinds = ["fume", "dust", "noise", "other"];
    let size_classes = ["small", "medium", "large"];
    put("MonitorInput", {
        let mut o = closed(
            vec![
                (
                    "mn",
                    json!({ "type": "string", "pattern": "^[A-Za-z0-9]{1,24}$", "description": "HJ 212 MN (device id): 1–24 ASCII letters or digits; another is 422 `invalid_mn`." }),
                ),
                (
                    "password",
                    string("The HJ 212 access password (PW) the device sends."),
                ),
                (
                    "kind",
                    string_enum(
                        monitor_kinds,
                        "油烟, 扬尘, 噪声 or other; another value is 422 `unknown_kind`.",
                    ),
                ),
                ("name", string("")),
                (
                    "site",
                    nullable(string("The restaurant or construction site it watches.")),
                ),
                (
                    "size_class",
                    nullable(string_enum(
                        size_classes,
                        "Restaurant size class 小/中/大 (GB 18483); another value is 422 `unknown_size_class`.",
                    )),
                ),
                (
                    "lat",
                    nullable(
                        json!({ "type": "number", "minimum": -90, "maximum": 90, "description": "WGS-84; give both or neither (else 422 `invalid_point`)." }),
                    ),
                ),
                (
                    "lon",
                    nullable(
                        json!({ "type": "number", "minimum": -180, "maximum": 180, "description": "WGS-84; give both or neither (else 422 `invalid_point`)." }),
                    ),
                ),
            ],
            &["mn", "password", "kind", "name"],
        );
        o["dependentRequired"] = json!({ "lat": ["lon"], "lon": ["lat"] });
        o
    });
    put(
        "Monitor",
        object(
            vec![
                ("mn", string("HJ 212 MN (device id).")),
                ("kind", string("`fume`, `dust`, `noise` or `other`.")),
                ("name", string("")),
                (
                    "site",
                    ns("The restaurant or construction site it watches."),
                ),
                ("size_class", ns("`small`, `medium` or `large`.")),
                ("lat", nullable(degrees("Latitude"))),
                ("lon", nullable(degrees("Longitude"))),
                ("grid_code", ns("The unit grid holding its point.")),
                ("last_seen_at", nullable(date_time("Its last upload."))),
            ],
            &[
                "mn",
                "kind",
                "name",
                "site",
                "size_class",
                "lat",
                "lon",
                "grid_code",
                "last_seen_at",
            ],
        ),
    );
    put(
        "MonitorList",
        object(vec![("items", arr(r("Monitor")))], &["items"]),
    );
    put(
        "Reading",
        object(
            vec![
                ("data_time", date_time("DataTime of the upload.")),
                (
                    "cn",
                    string("Command number, e.g. `2011` real-time, `2051` minute, `2061` hour."),
                ),
                (
                    "field",
                    string("Sub-field: `Rtd`, `Avg`, `Min`, `Max`, `RS` …"),
                ),
                (
                    "value",
                    ns("The value exactly as sent (a decimal in a string, not a float)."),
                ),
                ("flag", ns("Data flag (N, F, M, S, D, C, T, B).")),
            ],
            &["data_time", "cn", "field", "value", "flag"],
        ),
    );
    put(
        "MonitorReadings",
        object(
            vec![
                ("mn", string("")),
                ("factor", string("")),
                ("items", arr(r("Reading"))),
            ],
            &["mn", "factor", "items"],
        ),
    );
    // -- alarms
    put(
        "Alarm",
        object(
            vec![
                ("id", int64("")),
                (
                    "source_kind",
                    string_enum(SourceKind::ALL.map(SourceKind::as_str), "What raised it."),
                ),
                (
                    "source_id",
                    string("Terminal phone, MN, sensor id, camera id or station id."),
                ),
                (
                    "rule",
                    string("Rule id, `family.rule`, e.g. `muck.off_route`, `fume.exceedance`."),
                ),
                (
                    "state",
                    string_enum(
                        AlarmState::ALL.map(AlarmState::as_str),
                        "Lifecycle: raised → acknowledged → linked (a case) → cleared.",
                    ),
                ),
                (
                    "level",
                    string_enum(
                        AlarmLevel::ALL.map(AlarmLevel::as_str),
                        "notice 提示 (never files a case by itself), warning 预警, severe 严重.",
                    ),
                ),
                ("message", string("One line for people, in Chinese.")),
                ("lat", nullable(degrees("Latitude"))),
                ("lon", nullable(degrees("Longitude"))),
                ("grid_code", ns("The unit grid holding the point.")),
                ("class_code", ns("Taxonomy class a case is filed in.")),
                ("case_id", nullable(int64("The case filed from it."))),
                (
                    "detail",
                    json!({ "type": "object", "description": "Rule evidence: thresholds, measured values with units in the names, a track snippet or a reading series." }),
                ),
                ("raised_at", date_time("When the breach began.")),
                ("updated_at", date_time("Last change or repeat.")),
                ("cleared_at", nullable(date_time(""))),
                ("acknowledged_by", nullable(int64("User id."))),
                ("acknowledged_at", nullable(date_time(""))),
                (
                    "cleared_by",
                    nullable(int64("User id; null when the rule cleared it.")),
                ),
                ("note", ns("Why it was cleared by hand.")),
                (
                    "repeats",
                    int64("Re-raises while open (deduplicated into this alarm)."),
                ),
            ],
            &[
                "id",
                "source_kind",
                "source_id",
                "rule",
                "state",
                "level",
                "message",
                "lat",
                "lon",
                "grid_code",
                "class_code",
                "case_id",
                "detail",
                "raised_at",
                "updated_at",
                "cleared_at",
                "acknowledged_by",
                "acknowledged_at",
                "cleared_by",
                "note",
                "repeats",
            ],
        ),
    );
    put(
        "AlarmList",
        object(
            vec![
                ("items", arr(r("Alarm"))),
                (
                    "total",
                    int64("Alarms matching the filter (before limit/offset)."),
                ),
            ],
            &["items", "total"],
        ),
    );
    put(
        "AlarmEnvelope",
        object(vec![("alarm", r("Alarm"))], &["alarm"]),
    );
    put(
        "AlarmDetail",
        object(
            vec![
                ("alarm", r("Alarm")),
                (
                    "events",
                    arr(object(
                        vec![
                            (
                                "action",
                                string("`raised`, `acknowledged`, `linked`, `cleared`."),
                            ),
                            ("actor_id", nullable(int64("Null when a rule did it."))),
                            ("note", ns("")),
                            ("at", date_time("")),
                        ],
                        &["action", "actor_id", "note", "at"],
                    )),
                ),
            ],
            &["alarm", "events"],
        ),
    );
    put(
        "AlarmSummary",
        object(
            vec![
                ("open", int64("Open alarms.")),
                (
                    "by_kind_and_level",
                    arr(object(
                        vec![
                            ("source_kind", string("")),
                            ("level", string("")),
                            ("count", int64("")),
                        ],
                        &["source_kind", "level", "count"],
                    )),
                ),
            ],
            &["open", "by_kind_and_level"],
        ),
    );
    put(
        "AlarmClearInput",
        closed(
            vec![(
                "note",
                string("Why it is dismissed (误报, 已现场处置 …); required."),
            )],
            &["note"],
        ),
    );
    put(
        "AlarmCase",
        object(
            vec![("case_id", int64("The new case.")), ("alarm", r("Alarm"))],
            &["case_id", "alarm"],
        ),
    );
    for (name, schema) in duplicates_doc::duplicate_schemas() {
        put(name, schema);
    }
    for (name, schema) in citizens_doc::citizen_schemas() {
        put(name, schema);
    }
    for (name, schema) in volunteers_doc::volunteer_schemas() {
        put(name, schema);
    }
    for (name, schema) in supervision_doc::supervision_schemas() {
        put(name, schema);
    }
    for (name, schema) in collection_routes_doc::route_schemas() {
        put(name, schema);
    }
    for (name, schema) in escalation_doc::escalation_schemas() {
        put(name, schema);
    }
    Value::Object(s)
}

fn case_schema() -> Value {
    let ns = |d: &str| nullable(string(d));
    let ni = |d: &str| nullable(int64(d));
    let area = |d: &str| nullable(with_description(r("AreaCode"), d));
    let props = vec![
        ("id", int64("")),
        (
            "case_no",
            string("Human-readable number, e.g. `20261124000123`."),
        ),
        (
            "version",
            int64("Bumped by every step; send it back as `expected_version`."),
        ),
        ("state", r("CaseState")),
        ("state_label", string("Chinese name of the state.")),
        ("source", r("Source")),
        ("source_label", string("Chinese name of the channel.")),
        ("description", string("")),
        ("address", ns("")),
        (
            "lat",
            nullable(
                json!({ "type": "number", "minimum": -90, "maximum": 90, "description": "WGS-84." }),
            ),
        ),
        (
            "lon",
            nullable(
                json!({ "type": "number", "minimum": -180, "maximum": 180, "description": "WGS-84." }),
            ),
        ),
        ("district_code", area("")),
        ("street_code", area("")),
        ("community_code", area("")),
        ("grid_code", area("")),
        (
            "road_id",
            ns(
                "The nearest road (city-model id, e.g. `R410102-0007`) within 300 m when the case \
                 was located by its point; `null` otherwise.",
            ),
        ),
        ("class", nullable(r("ClassRef"))),
        ("urgency", r("Urgency")),
        ("department_id", ni("The department it was dispatched to.")),
        (
            "assignee_id",
            ni("The inspector of the current verify/check task."),
        ),
        ("reporter_id", ni("")),
        ("reporter_name", ns("")),
        (
            "reporter_phone",
            ns("Masked (`138****0000`) unless the caller may see contacts or reported it."),
        ),
        (
            "master_case_id",
            ni("Set when linked as a duplicate (merged)."),
        ),
        ("pending", nullable(r("PendingRequest"))),
        (
            "supervision_level",
            int32("督办 level; 0 = not supervised."),
        ),
        ("rework_count", int32("")),
        ("dispatch_count", int32("")),
        (
            "self_handled",
            boolean("自行处置 by the reporting inspector."),
        ),
        ("verified", nullable(boolean("Outcome of 核实."))),
        ("check_passed", nullable(boolean("Outcome of 核查."))),
        (
            "light",
            nullable(with_description(
                r("Light"),
                "`null` once the case is finished.",
            )),
        ),
        (
            "node_limit_minutes",
            ni("Working minutes allowed at the current node."),
        ),
        (
            "node_used_minutes",
            ni("Working minutes used at the current node."),
        ),
        (
            "deadline_at",
            nullable(date_time(
                "When the current node turns red; `null` while suspended or finished.",
            )),
        ),
        ("created_at", date_time("")),
        ("updated_at", date_time("")),
        ("closed_at", nullable(date_time(""))),
        (
            "anonymous",
            boolean("匿名: reporter id, name and phone are `null` for everyone but the reporter."),
        ),
        (
            "external_ref",
            ns("The forwarding platform's ticket number (12345 工单号), or `alarm:<id>`."),
        ),
        (
            "first_dispatched_at",
            nullable(date_time(
                "转办: when the case was first dispatched to a department.",
            )),
        ),
        (
            "reply",
            ns("答复: the latest answer to the citizen (Open311 `status_notes`)."),
        ),
        (
            "replied_at",
            nullable(date_time("When the first answer was given (回复率).")),
        ),
        (
            "rating",
            json!({
                "anyOf": [
                    string_enum(["satisfied", "basically_satisfied", "unsatisfied"], ""),
                    { "type": "null" },
                ],
                "description": "回访: the reporter's latest rating of the result.",
            }),
        ),
        ("rated_at", nullable(date_time(""))),
        (
            "reopen_count",
            int32("How often an unsatisfied rating reopened the case (at most once)."),
        ),
    ];
    let required: Vec<&str> = props.iter().map(|(k, _)| *k).collect();
    with_description(
        object(props, &required),
        "A case (案卷). Times are RFC 3339 with the +08:00 offset.",
    )
}

fn report_request_schema() -> Value {
    let mut s = closed(
        vec![
            ("source", r("Source")),
            (
                "description",
                json!({ "type": "string", "minLength": 1, "maxLength": 2000, "description": "What is wrong (not blank)." }),
            ),
            ("address", json!({ "type": "string", "maxLength": 200 })),
            (
                "lat",
                json!({ "type": "number", "minimum": -90, "maximum": 90, "description": "WGS-84; give both or neither." }),
            ),
            (
                "lon",
                json!({ "type": "number", "minimum": -180, "maximum": 180, "description": "WGS-84; give both or neither." }),
            ),
            (
                "area_code",
                with_description(
                    r("AreaCode"),
                    "Where it is: a grid (15 digits) or a coarser area that exists. Optional \
                     with a point the city model locates; given anyway, it must contain the \
                     point's grid.",
                ),
            ),
            (
                "class_code",
                string("A matter class code (e.g. `06010`), if the reporter knows it."),
            ),
            (
                "standard_ref",
                json!({ "type": "string", "default": GB_47678_5_2026, "description": "Standard of `class_code`." }),
            ),
            (
                "urgency",
                json!({ "$ref": "#/components/schemas/Urgency", "default": "normal" }),
            ),
            (
                "reporter_name",
                string("Defaults to the caller's display name."),
            ),
            ("reporter_phone", string("Defaults to the caller's phone.")),
            (
                "anonymous",
                json!({ "type": "boolean", "default": false, "description": "匿名: staff see neither name nor phone nor reporter id." }),
            ),
            (
                "external_ref",
                json!({ "type": "string", "maxLength": 64, "description": "The forwarding platform's ticket number (12345 工单号) or another channel's reference." }),
            ),
            (
                "self_handled",
                json!({ "type": "boolean", "default": false, "description": "自行处置: an inspector fixed it already (source `inspector`, photo required)." }),
            ),
            (
                "attachments",
                json!({ "type": "array", "items": { "type": "integer", "format": "int64" }, "maxItems": 9, "default": [], "description": "Uploaded photo ids." }),
            ),
            ("note", json!({ "type": "string", "maxLength": 2000 })),
        ],
        &["source", "description"],
    );
    s["dependentRequired"] = json!({ "lat": ["lon"], "lon": ["lat"] });
    s["anyOf"] = json!([{ "required": ["area_code"] }, { "required": ["lat", "lon"] }]);
    s["allOf"] = json!([{
        "if": { "properties": { "self_handled": { "const": true } }, "required": ["self_handled"] },
        "then": {
            "properties": { "source": { "const": "inspector" }, "attachments": { "minItems": 1 } },
            "required": ["attachments"],
        },
    }]);
    s["anyOf"] = json!([{ "required": ["area_code"] }, { "required": ["lat", "lon"] }, { "required": ["address"] }]);
    s["description"] = json!(
        "A report. Where it is comes from the point (`lat`/`lon`) when a city model is loaded, else from `area_code`, else from `address` alone (area, street, community and road names, `A路与B路交叉口`; 422 `ambiguous_address` or `address_not_found` when it cannot be placed): a report with none of them, or with only a point while no unit grid is loaded, is refused with 422 `missing_field`. A self-handled report needs source `inspector` and a photo."
    );
    s
}

fn action_request_schema() -> Value {
    let mut s = closed(
        vec![
            ("action", r("Action")),
            (
                "expected_version",
                int64(
                    "Refuse with 409 `version_conflict` unless the case is still at this version.",
                ),
            ),
            (
                "note",
                json!({ "type": "string", "maxLength": 2000, "description": "Reason or remark; required (non-blank) by some actions." }),
            ),
            (
                "attachments",
                json!({ "type": "array", "items": { "type": "integer", "format": "int64" }, "maxItems": 9, "default": [], "description": "Uploaded photo ids; some actions need at least one." }),
            ),
            ("department_id", int64("dispatch: the department.")),
            (
                "inspector_id",
                int64("send_verify, send_check: an active inspector whose area covers the case."),
            ),
            ("confirmed", boolean("verify: whether the problem is real.")),
            ("passed", boolean("check: whether the work is done.")),
            (
                "minutes",
                json!({ "type": "integer", "format": "int64", "minimum": 1, "maximum": 25_200, "description": "request_extension: extra working minutes." }),
            ),
            (
                "master_case_id",
                int64("link_duplicate: the open master case."),
            ),
            (
                "class_code",
                string(
                    "file: a matter class code (e.g. `06010`); required unless the case already has a class.",
                ),
            ),
            (
                "standard_ref",
                json!({ "type": "string", "default": GB_47678_5_2026, "description": "file: standard of `class_code`." }),
            ),
            (
                "urgency",
                with_description(r("Urgency"), "file: the urgency (default: as reported)."),
            ),
            (
                "rating",
                string_enum(
                    ["satisfied", "basically_satisfied", "unsatisfied"],
                    "rate: 满意 / 基本满意 / 不满意 (with a note; reopens the case once).",
                ),
            ),
        ],
        &["action"],
    );
    // What each action needs, as JSON Schema conditionals.
    let mut rules = Vec::new();
    for a in actions() {
        let is_action =
            json!({ "properties": { "action": { "const": a.name } }, "required": ["action"] });
        let mut required: Vec<&str> = a.required.to_vec();
        let mut props = Map::new();
        if a.note {
            required.push("note");
            props.insert("note".into(), json!({ "pattern": "\\S" }));
        }
        match a.photo {
            PhotoRule::Never => {}
            PhotoRule::Always => {
                required.push("attachments");
                props.insert("attachments".into(), json!({ "minItems": 1 }));
            }
            PhotoRule::WhenConfirmed => rules.push(json!({
                "if": {
                    "properties": { "action": { "const": a.name }, "confirmed": { "const": true } },
                    "required": ["action", "confirmed"],
                },
                "then": { "required": ["attachments"], "properties": { "attachments": { "minItems": 1 } } },
            })),
        }
        if required.is_empty() {
            continue;
        }
        let mut then = json!({ "required": required });
        if !props.is_empty() {
            then["properties"] = Value::Object(props);
        }
        rules.push(json!({ "if": is_action, "then": then }));
    }
    s["allOf"] = Value::Array(rules);
    s["description"] = json!(
        "One step of the case loop. Which fields each action needs is in the `allOf` conditions and in the table of `POST /api/cases/{id}/actions`; fields an action does not use are ignored."
    );
    s["x-actions"] = Value::Array(
        actions()
            .iter()
            .map(|a| {
                json!({
                    "action": a.name,
                    "label": a.label,
                    "summary": a.what,
                    "roles": a.command.roles().iter().map(|r| r.as_str()).collect::<Vec<_>>(),
                    "from_states": a.command.from_states().iter().map(|s| s.as_str()).collect::<Vec<_>>(),
                    "requires": a.required,
                    "optional": a.optional,
                    "note_required": a.note,
                    "photo_required": match a.photo {
                        PhotoRule::Never => json!(false),
                        PhotoRule::Always => json!(true),
                        PhotoRule::WhenConfirmed => json!("when confirmed"),
                    },
                })
            })
            .collect(),
    );
    s
}

// ---------------------------------------------------------------------------------------------
// Assessment 考核自动化 (routes/assessment.rs)

fn assessment_ops() -> Vec<Op> {
    use crate::routes::assessment::{
        CYCLE_EDITORS, MATTER_EDITORS, MATTER_REPORTERS, SCOPE_KINDS, WEIGHT_EDITORS,
    };
    const REPORTERS: &[Role] = &[Role::Admin, Role::Leader, Role::ShiftSupervisor];
    let date = |d: &str| json!({ "type": "string", "format": "date", "description": d });
    let number = |d: &str| json!({ "type": "number", "description": d });
    let period = closed(
        vec![("from", date("First day.")), ("to", date("Last day."))],
        &["from", "to"],
    );
    let scope = closed(
        vec![
            (
                "kind",
                string_enum(SCOPE_KINDS.iter().copied(), "Scope family."),
            ),
            (
                "id",
                string("Area code, department id or user id; empty for the city."),
            ),
            ("name", string("Display name (area, department or person).")),
        ],
        &["kind", "id", "name"],
    );
    let ratio = closed(
        vec![
            ("num", int64("Numerator.")),
            ("den", int64("Denominator.")),
            ("rate", nullable(number("num / den; null when den is 0."))),
        ],
        &["num", "den", "rate"],
    );
    let indicators = json!({
        "type": "object",
        "description": "Every indicator of `assessment::Indicators` by name: counts (reported, valid_reports, \
                        filed, dispatched, handled, closed, closed_self_handled, rejected, voided, overdue_open, \
                        due_to_close, third_party_findings, intake), rates as {num, den, rate} (closure_rate \
                        结案率, on_time_closure_rate 按期结案率, handling_rate, on_time_handling_rate, rework_rate \
                        返工率, accurate_dispatch_rate 准确派遣率, on_time_dispatch_rate, on_time_verification_rate, \
                        on_time_check_rate, missed_report_rate 漏报率, public_report_rate, on_time_verify_sending_rate, \
                        on_time_check_sending_rate, on_time_filing_rate, accurate_filing_rate, on_time_close_rate, \
                        satisfaction_rate 满意率, transfer_rate 转办率, reply_rate 回复率, valid_report_rate) and \
                        avg_handling_hours (working hours, null without feedback).",
        "additionalProperties": { "anyOf": [ratio, { "type": ["number", "null"] }] },
    });
    let row = closed(
        vec![
            ("scope", scope.clone()),
            ("indicators", indicators),
            (
                "score",
                number("Composite score 0–100 (weights: GET /api/assessment/weights)."),
            ),
            (
                "grade",
                string_enum(["A", "B", "C", "D", "E"], "Grade 评价等级."),
            ),
            (
                "rank",
                int64("Competition rank (ties share it: 1, 2, 2, 4)."),
            ),
        ],
        &["scope", "indicators", "score", "grade", "rank"],
    );
    let flag = closed(
        vec![
            ("week_start", date("Monday of the reviewed week.")),
            ("scope", scope.clone()),
            ("kind", string_enum(["red", "black"], "红旗 or 黑旗.")),
            (
                "rank",
                int64("Rank by flag score, from the top for red, from the bottom for black."),
            ),
            ("composite", number("The week's composite score.")),
            ("third_party_findings", int64("暗访 findings of the week.")),
            (
                "flag_score",
                number("composite − penalty × findings, at least 0."),
            ),
        ],
        &[
            "week_start",
            "scope",
            "kind",
            "rank",
            "composite",
            "third_party_findings",
            "flag_score",
        ],
    );
    let weights = json!({
        "type": "object",
        "description": "`assessment::scores::ScoreConfig`: per family (inspector, operator, shift_supervisor, \
                        dispatcher, department, area, road_chief) a list of terms {metric, weight, scoring}; \
                        grade_floors [A, B, C, D]; empty_rate_score; third_party_penalty.",
        "required": ["inspector", "operator", "shift_supervisor", "dispatcher", "department", "area", "road_chief", "grade_floors"],
    });
    let task = closed(
        vec![
            ("id", int64("Cycle task id.")),
            ("title", string("What to inspect.")),
            ("class_code", string("Taxonomy class of the inspection.")),
            (
                "place",
                json!({ "type": "object", "description": "{kind: point, lat, lon} | {kind: road, road_id} | {kind: grid, code}." }),
            ),
            (
                "schedule",
                json!({ "type": "object", "description": "{kind: weekly, days: [Mon…]} | {kind: monthly, day} | {kind: every_n_working_days, n, anchor}." }),
            ),
            ("time", string("Local time of day, HH:MM:SS.")),
            (
                "non_working",
                string_enum(
                    ["keep", "skip", "next_working_day"],
                    "What a weekly or monthly occurrence on a non-working day does.",
                ),
            ),
            ("inspector_id", int64("The inspector who gets the tasks.")),
            (
                "checked_to",
                date_time("Occurrences up to here have been made into tasks."),
            ),
            ("created_by", int64("Who created it.")),
            ("created_at", date_time("When.")),
        ],
        &[
            "id",
            "title",
            "class_code",
            "place",
            "schedule",
            "time",
            "non_working",
            "inspector_id",
            "checked_to",
            "created_by",
            "created_at",
        ],
    );
    let task_input = object(
        vec![
            ("title", string("What to inspect.")),
            ("class_code", string("Taxonomy class.")),
            ("place", json!({ "type": "object" })),
            ("schedule", json!({ "type": "object" })),
            ("time", string("HH:MM:SS, Asia/Shanghai.")),
            (
                "non_working",
                string_enum(["keep", "skip", "next_working_day"], ""),
            ),
            ("inspector_id", int64("An inspector.")),
        ],
        &[
            "title",
            "class_code",
            "place",
            "schedule",
            "time",
            "non_working",
            "inspector_id",
        ],
    );
    let category = closed(
        vec![("id", int64("Category id.")), ("name", string("名称."))],
        &["id", "name"],
    );
    let milestone = closed(
        vec![
            ("title", string("Milestone.")),
            ("due", date("Due date.")),
            ("done_on", nullable(date("Done on."))),
        ],
        &["title", "due", "done_on"],
    );
    let progress = closed(
        vec![
            ("on", date("Date.")),
            ("percent", int64("0–100.")),
            ("note", string("What was done.")),
        ],
        &["on", "percent", "note"],
    );
    let item = closed(
        vec![
            ("id", int64("Item id.")),
            ("category_id", int64("Category.")),
            ("title", string("项目名称.")),
            ("plan", string("计划.")),
            ("measures", arr(string("措施."))),
            ("owner_department_id", int64("责任单位.")),
            ("milestones", arr(milestone)),
            ("progress", arr(progress)),
            (
                "status",
                string_enum(
                    ["planned", "in_progress", "done"],
                    "列入计划 / 正在办 / 已办.",
                ),
            ),
            ("percent", int64("Latest progress, 0–100.")),
            (
                "overdue_milestones",
                int64("Milestones past due and not done."),
            ),
        ],
        &[
            "id",
            "category_id",
            "title",
            "plan",
            "measures",
            "owner_department_id",
            "milestones",
            "progress",
            "status",
            "percent",
            "overdue_milestones",
        ],
    );
    let counts = |extra: Vec<(&str, Value)>, req: &[&str]| {
        let mut props = vec![
            ("total", int64("Items.")),
            ("done", int64("已办.")),
            ("in_progress", int64("正在办.")),
            ("planned", int64("列入计划.")),
            (
                "with_overdue_milestones",
                int64("Not done, with a milestone past due."),
            ),
        ];
        let mut required = vec![
            "total",
            "done",
            "in_progress",
            "planned",
            "with_overdue_milestones",
        ];
        props.extend(extra);
        required.extend_from_slice(req);
        closed(props, &required)
    };
    let period_params = |op: Op| {
        op.query("from", false, date("With `to`."), "First day (YYYY-MM-DD).")
            .query("to", false, date("With `from`."), "Last day (YYYY-MM-DD).")
            .query(
                "period",
                false,
                string("`YYYY-MM` or `YYYY-Www`."),
                "A month or an ISO week instead of from/to; default: the current month.",
            )
    };
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let report_params = |op: Op| {
        op.query(
            "kind",
            false,
            string_enum(["weekly", "monthly"], "Default weekly."),
            "Weekly (周报) or monthly (月报).",
        )
        .query(
            "period",
            false,
            string("`YYYY-Www` for weekly, `YYYY-MM` for monthly."),
            "Default: last week, or this month.",
        )
    };
    vec![
        period_params(Op::get("/api/assessment/indicators", "assessmentIndicators", "Indicators and ranking (考核指标与排名)"))
            .roles(STAFF)
            .doc("Indicators of every scope of a family over a period, computed from the counters kept on each \
                  transition, with composite score, grade and rank, best first. Scoped staff see only the scopes \
                  inside their grants (areas, department, themselves).")
            .query("scope_kind", false, string_enum(SCOPE_KINDS.iter().copied(), "Default street."), "Scope family.")
            .ok(200, "The ranking.", closed(
                vec![("period", period.clone()), ("scope_kind", string("The family.")), ("rows", arr(row))],
                &["period", "scope_kind", "rows"],
            ))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query", "invalid_period"]),
        period_params(Op::get("/api/assessment/series", "assessmentSeries", "Daily series of a counter (趋势)"))
            .roles(STAFF)
            .doc("One counter of one scope per day (or `overdue_open`, the overdue stock at each day's end), for charts.")
            .query("scope_kind", false, string_enum(SCOPE_KINDS.iter().copied(), "Default city."), "Scope family.")
            .query("scope_id", false, string("Empty for the city."), "Area code, department or user id.")
            .query("counter", false, string("Default reported."), "A counter name (e.g. reported, filed, dispatches, handled, closed, closed_on_time) or overdue_open.")
            .ok(200, "The series.", closed(
                vec![
                    ("scope", scope.clone()),
                    ("counter", string("The counter.")),
                    ("period", period.clone()),
                    ("points", arr(closed(vec![("date", date("Day.")), ("value", int64("Value."))], &["date", "value"]))),
                ],
                &["scope", "counter", "period", "points"],
            ))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query", "invalid_period"]),
        Op::get("/api/assessment/flags", "assessmentFlags", "Weekly red/black-flag review (周讲评)")
            .roles(STAFF)
            .doc("Scores road chiefs 路长 and streets over the week, gives red flags 红旗 to the best `red` and black \
                  flags 黑旗 to the worst `black` (ties at the cut-off all get the flag), stores the review \
                  (replacing an earlier one of the week) and returns it. Third-party inspection 暗访 findings \
                  lower the flag score and are listed on their own.")
            .query("week", false, string("`YYYY-Www`; default last week."), "The ISO week.")
            .query("red", false, int64("Default 3, at most 100."), "Red flags per family.")
            .query("black", false, int64("Default 3, at most 100."), "Black flags per family.")
            .ok(200, "The review.", closed(
                vec![
                    ("week", period.clone()),
                    ("road_chiefs", arr(flag.clone())),
                    ("streets", arr(flag.clone())),
                    ("third_party", arr(closed(vec![("scope", scope.clone()), ("findings", int64("暗访 findings."))], &["scope", "findings"]))),
                ],
                &["week", "road_chiefs", "streets", "third_party"],
            ))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query", "invalid_period"]),
        Op::get("/api/assessment/flags/history", "assessmentFlagHistory", "Flag history (红黑旗历史)")
            .roles(STAFF)
            .doc("Every stored flag, oldest week first, and a tally per scope.")
            .query("from", false, date(""), "Weeks starting on or after.")
            .query("to", false, date(""), "Weeks starting on or before.")
            .ok(200, "The history.", closed(
                vec![
                    ("flags", arr(flag)),
                    ("tally", arr(closed(
                        vec![
                            ("scope", scope.clone()),
                            ("red", int64("Red flags.")),
                            ("black", int64("Black flags.")),
                            ("black_streak", int64("Black flags in the latest consecutive weeks.")),
                            ("last_week", nullable(date("Latest week flagged."))),
                        ],
                        &["scope", "red", "black", "black_streak", "last_week"],
                    ))),
                ],
                &["flags", "tally"],
            ))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_period"]),
        Op::get("/api/assessment/weights", "getAssessmentWeights", "Weights and grade bands (权重)")
            .roles(STAFF)
            .doc("The weights, score tables and grade floors in use (the reference's defaults until edited).")
            .ok(200, "The configuration.", weights.clone())
            .errors(AUTH),
        Op::put("/api/assessment/weights", "putAssessmentWeights", "Set weights and grade bands")
            .roles(WEIGHT_EDITORS)
            .json_body(weights.clone(), "The whole configuration.")
            .ok(200, "The configuration stored.", weights)
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid"]),
        report_params(Op::get("/api/assessment/report.xlsx", "assessmentReportXlsx", "Assessment report as Excel (考核报表)"))
            .roles(REPORTERS)
            .doc("The weekly (rankings, flags, daily series) or monthly (rankings, daily series, practical matters) \
                  report as a formatted workbook with Chinese headers, one sheet per table.")
            .response(200, json!({
                "description": "The workbook (Content-Disposition: attachment).",
                "content": { xlsx: { "schema": { "type": "string", "contentMediaType": xlsx } } },
            }))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query", "invalid_period"]),
        report_params(Op::get("/api/assessment/report.csv", "assessmentReportCsv", "Assessment report as CSV"))
            .roles(REPORTERS)
            .doc("The same report as CSV (UTF-8 with BOM): each table under its name, a blank line between.")
            .response(200, json!({
                "description": "The CSV (Content-Disposition: attachment).",
                "content": { "text/csv": { "schema": { "type": "string" } } },
            }))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_query", "invalid_period"]),
        Op::get("/api/cycle-tasks", "listCycleTasks", "Cycle tasks (周期案件)")
            .roles(STAFF)
            .doc("Active recurring inspections.")
            .ok(200, "The tasks.", closed(vec![("tasks", arr(task.clone()))], &["tasks"]))
            .errors(AUTH),
        Op::post("/api/cycle-tasks", "createCycleTask", "Create a cycle task")
            .roles(CYCLE_EDITORS)
            .doc("A recurring inspection (e.g. every Monday 08:00 check the night market on a road). At each \
                  occurrence (working-calendar aware) a 周期案件 is made — a case with source `cycle`, the task's class \
                  and place — and sent to the inspector to verify on site. A confirmed problem goes on through the \
                  loop; \"nothing found\" ends as 不予立案. The class, the place (point inside the city, area, road) \
                  and the inspector are checked here.")
            .json_body(task_input, "The rule and the inspector.")
            .ok(201, "The task.", task)
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["invalid", "missing_field", "unknown_inspector", "unknown_reference", "unknown_class", "unknown_area", "unknown_road", "outside_city"]),
        Op::get("/api/cycle-tasks/runs", "listCycleRuns", "Inspection tasks made by cycle tasks")
            .roles(STAFF)
            .doc("Tasks due in the period (default: this week); scoped staff see their own.")
            .query("from", false, date("With `to`."), "First day.")
            .query("to", false, date("With `from`."), "Last day.")
            .ok(200, "The tasks.", closed(
                vec![
                    ("period", period),
                    ("runs", arr(closed(
                        vec![
                            ("task_id", int64("Cycle task.")),
                            ("title", nullable(string("Its title (null if stopped)."))),
                            ("due_at", date_time("When.")),
                            ("inspector_id", int64("Who.")),
                            ("case_id", nullable(int64("The 周期案件 made for it (null until the worker has made it)."))),
                            ("case_state", nullable(string("That case's state."))),
                        ],
                        &["task_id", "title", "due_at", "inspector_id", "case_id", "case_state"],
                    ))),
                ],
                &["period", "runs"],
            ))
            .errors(AUTH)
            .errors(&["bad_request", "invalid_period"]),
        id_param(Op::new("delete", "/api/cycle-tasks/{id}", "deleteCycleTask", "Stop a cycle task"), "Cycle task")
            .roles(CYCLE_EDITORS)
            .doc("No more tasks are made; those made stay.")
            .empty(204, "Stopped.")
            .errors(AUTH)
            .errors(&["bad_request", "not_found"]),
        Op::get("/api/matters/categories", "listMatterCategories", "Practical-matters categories (办实事分类)")
            .roles(STAFF)
            .ok(200, "The categories.", closed(vec![("categories", arr(category.clone()))], &["categories"]))
            .errors(AUTH),
        Op::post("/api/matters/categories", "createMatterCategory", "Create a category")
            .roles(MATTER_EDITORS)
            .json_body(object(vec![("name", string("Unique name."))], &["name"]), "The category.")
            .ok(201, "The category.", category)
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["missing_field", "duplicate"]),
        Op::get("/api/matters", "listMatters", "Practical matters (我为群众办实事)")
            .roles(STAFF)
            .query("category_id", false, int64(""), "Only this category.")
            .ok(200, "The items.", closed(vec![("items", arr(item.clone()))], &["items"]))
            .errors(AUTH)
            .errors(&["bad_request"]),
        Op::post("/api/matters", "createMatter", "Create a practical-matters item")
            .roles(MATTER_EDITORS)
            .json_body(object(
                vec![
                    ("category_id", int64("Category.")),
                    ("title", string("项目名称.")),
                    ("plan", string("计划.")),
                    ("measures", arr(string("措施."))),
                    ("owner_department_id", int64("责任单位.")),
                    ("milestones", arr(object(vec![("title", string("")), ("due", date(""))], &["title", "due"]))),
                ],
                &["category_id", "title", "plan", "owner_department_id"],
            ), "The item.")
            .ok(201, "The item.", item.clone())
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["missing_field", "unknown_reference"]),
        id_param(Op::post("/api/matters/{id}/progress", "addMatterProgress", "Report progress on an item"), "Item")
            .roles(MATTER_REPORTERS)
            .doc("Department handlers report on items their department owns. Milestones named in `milestones_done` \
                  are marked done on the update's date; the status follows (100 % or all milestones done → done).")
            .json_body(object(
                vec![
                    ("on", date("Default today.")),
                    ("percent", int64("0–100.")),
                    ("note", string("What was done.")),
                    ("milestones_done", arr(string("A milestone title."))),
                ],
                &["percent"],
            ), "The update.")
            .ok(200, "The item.", item)
            .errors(AUTH)
            .errors(JSON_BODY)
            .errors(&["bad_request", "not_found", "invalid"]),
        Op::get("/api/matters/summary", "mattersSummary", "Practical matters roll-up (汇总)")
            .roles(STAFF)
            .doc("Counts by status (done / in progress / planned) in total, per category and per owner department.")
            .ok(200, "The roll-up.", closed(
                vec![
                    ("total", counts(vec![], &[])),
                    ("by_category", arr(counts(vec![("category_id", int64("")), ("name", string(""))], &["category_id", "name"]))),
                    ("by_department", arr(counts(vec![("department_id", int64(""))], &["department_id"]))),
                ],
                &["total", "by_category", "by_department"],
            ))
            .errors(AUTH),
    ]
}

// ---------------------------------------------------------------------------------------------
// The document

/// The tags, in display order, with their operations.
fn tags() -> Vec<(&'static str, &'static str, Vec<Op>)> {
    vec![
        ("auth", "Sign in and out; who the caller is.", auth_ops()),
        (
            "cases",
            "Cases (案卷) and the closed loop (闭环): report, file, dispatch, handle, check, close.",
            case_ops(),
        ),
        (
            "duplicates",
            "Likely duplicates (疑似重复案件): the open cases a case probably repeats, the finder's rules per class; fresh public reports are linked automatically above a confidence.",
            duplicates_doc::duplicate_ops(),
        ),
        (
            "citizens",
            "Citizens (随手拍): sign-in by phone with a one-time SMS code, the class suggested from a description, the outbox of messages sent.",
            citizens_doc::citizen_ops(),
        ),
        (
            "volunteers",
            "Volunteers (志愿者) and honorary road chiefs (名誉路长): registration for one of the eleven service projects, the list, counts per project with what their reports came to, leaving.",
            volunteers_doc::volunteer_ops(),
        ),
        (
            "organisation",
            "Areas and grids (区域与网格), departments (处置部门), users and their roles, API keys.",
            organisation_ops(),
        ),
        (
            "city",
            "The city model (城市模型): geocoding (地理编码), map layers and case density, layer export and import.",
            city_ops(),
        ),
        (
            "devices",
            "Devices (物联感知): JT/T 808 vehicles with live positions and tracks, HJ 212 monitors with their readings.",
            device_ops(),
        ),
        (
            "alarms",
            "Alarms (告警) from vehicles, monitors, sensors and cameras, and their lifecycle: acknowledge, raise a case, clear.",
            alarm_ops(),
        ),
        (
            "assessment",
            "Automatic assessment (考核自动化): indicators, rankings, red/black flags (周讲评), weights, reports; supervision 督办 and its escalation rules; cycle tasks (周期案件); practical matters (我为群众办实事).",
            {
                let mut ops = assessment_ops();
                ops.extend(escalation_doc::escalation_ops());
                ops
            },
        ),
        (
            "supervision",
            "Supervision (监管): muck-truck permits (渣土处置核准), MQTT sensors, AI cameras and their event webhook, sweeping (机械化清扫率) and patrol coverage, garbage transfer stations (日产日清).",
            {
                let mut ops = supervision_doc::supervision_ops();
                ops.extend(collection_routes_doc::route_ops());
                ops
            },
        ),
        (
            "configuration",
            "The taxonomy (部件事件分类), node limits (环节时限), working hours and the holiday calendar.",
            configuration_ops(),
        ),
        (
            "attachments",
            "Photos as evidence (照片).",
            attachment_ops(),
        ),
        (
            "live",
            "Live updates over server-sent events (推送).",
            live_ops(),
        ),
        (
            "open311",
            "Open311 GeoReport v2 (市民上报): the standard citizen API at `/open311/v2/`, in JSON and XML, with its own error format.",
            open311_ops(),
        ),
        (
            "system",
            "Health, vocabulary, metrics and this documentation.",
            system_ops(),
        ),
    ]
}

fn description() -> String {
    let rows: Vec<Vec<String>> = ERROR_CODES
        .iter()
        .map(|e| {
            vec![
                format!("`{}`", e.code),
                e.status.to_string(),
                e.meaning.to_owned(),
            ]
        })
        .collect();
    format!(
        "The HTTP API of yiwang (一网统管), a smart urban-management platform: cases (案卷) \
         reported through any channel move through the closed loop 上报 → 受理/核实 → 立案 → 派遣 \
         → 处置 → 核查 → 结案, with working-time limits (时限) and overdue lights (颜色预警).\n\n\
         **Authentication.** Sign in with `POST /api/auth/login`: browsers get the HTTP-only \
         `{SESSION_COOKIE}` cookie, API clients send the returned token as `Authorization: Bearer \
         <token>`. Machine clients use an API key as `X-Api-Key: <key>` (or `Authorization: ApiKey \
         <key>`). Operations with an empty `security` need no credentials.\n\n\
         **Scope.** Every signed-in caller sees only the cases within the areas or department of \
         their role grants, the cases they reported and the cases assigned to them; others answer \
         404. Admin operations name the roles they need (`x-roles`).\n\n\
         **Times** are RFC 3339 with the +08:00 offset (Asia/Shanghai). Limits count working \
         minutes under the work schedule and the holiday calendar.\n\n\
         **Errors** are `{{\"error\":{{\"code\",\"message\"}}}}` with the HTTP status below; each \
         operation lists the codes it can return.\n\n{}",
        md_table(&["code", "status", "meaning"], &rows)
    )
}

fn build() -> Value {
    let mut paths: BTreeMap<&str, Map<String, Value>> = BTreeMap::new();
    let mut tag_list = Vec::new();
    for (tag, desc, ops) in tags() {
        tag_list.push(json!({ "name": tag, "description": desc }));
        for op in ops {
            let prev = paths
                .entry(op.path)
                .or_default()
                .insert(op.method.to_owned(), op.render(tag));
            assert!(prev.is_none(), "{} {} documented twice", op.method, op.path);
        }
    }
    json!({
        "openapi": "3.1.0",
        "info": {
            "title": "yiwang API",
            "version": env!("CARGO_PKG_VERSION"),
            "summary": "Smart urban management (一网统管): cases, organisation, the city model, configuration, live updates.",
            "description": description(),
            "license": { "name": "Apache-2.0", "identifier": "Apache-2.0" },
        },
        "servers": [{ "url": "/", "description": "This server." }],
        "tags": tag_list,
        "paths": paths,
        "components": {
            "schemas": schemas(),
            "securitySchemes": {
                "sessionCookie": {
                    "type": "apiKey", "in": "cookie", "name": SESSION_COOKIE,
                    "description": "Set by `POST /api/auth/login` (HttpOnly, SameSite=Lax).",
                },
                "bearerToken": {
                    "type": "http", "scheme": "bearer",
                    "description": "The `token` returned by `POST /api/auth/login`.",
                },
                "apiKey": {
                    "type": "apiKey", "in": "header", "name": "X-Api-Key",
                    "description": "A key from `POST /api/api-keys`; `Authorization: ApiKey <key>` works too.",
                },
            },
        },
    })
}

#[path = "openapi_supervision.rs"]
mod supervision_doc;

#[path = "openapi_collection_routes.rs"]
mod collection_routes_doc;

#[path = "openapi_escalation.rs"]
mod escalation_doc;

#[path = "openapi_duplicates.rs"]
mod duplicates_doc;

#[path = "openapi_citizens.rs"]
mod citizens_doc;

#[path = "openapi_volunteers.rs"]
mod volunteers_doc;

#[cfg(test)]
#[path = "openapi_tests.rs"]
mod tests;
