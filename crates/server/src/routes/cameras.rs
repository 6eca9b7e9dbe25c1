//! AI cameras over HTTP: the registry, each camera's stored events, and the webhook the camera
//! analytics platform posts its detections to (`POST /api/ingest/camera-events`).
//!
//! # The webhook
//!
//! The platform authenticates with an API key (`X-Api-Key`, from `POST /api/api-keys`) of an
//! integration account holding the role admin or operator. Each event names a registered camera,
//! the class it detected (the vendor's type, its Chinese name or the taxonomy class code: see
//! [`supervision::camera::default_event_types`]), a confidence in 0–1, the instant and optionally
//! a base64 snapshot (JPEG, PNG or WebP, at most `max_upload_bytes` decoded), stored as an
//! attachment. The events run through a [`CameraMerger`]: events of one camera and class each
//! within the merge window of the previous one are one incident, i.e. one alarm
//! `camera.event:<class>`; confidence ≥ 0.85 makes it a warning that files a case by itself
//! (the alarm worker), 0.3–0.85 a notice an operator confirms, below 0.3 the event is dropped.
//! Every event is stored with the merger's decision, together with its alarm change, in one
//! transaction.
//!
//! **Node-local state.** The merger's open incidents live in the memory of the node that
//! received the events (one per router, i.e. per node). A camera posts to one node (one webhook
//! URL), so its incidents stay consistent. Behind a load balancer spreading one camera over
//! several nodes, each node would open its own incident; the store still keeps one open alarm
//! per camera and class (the alarm key), so the effect is extra `repeats`, not extra alarms. A
//! restarted node starts with no incidents: the next event of an incident still open in the
//! store refreshes that alarm rather than opening a second one.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::{Extension, Router};
use domain::org::Role;
use domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{AlarmWrite, Camera};
use supervision::camera::{
    CameraConfig, CameraDecision, CameraEvent, CameraMerger, DropReason, default_event_types,
};
use tokio::sync::Mutex;

use crate::auth::{AuthUser, AuthVia};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::sensors::{grid_of, invalid_id, valid_id};
use crate::routes::{STAFF, require_any};
use crate::{AppState, ServerConfig};

/// Roles whose API key may post camera events.
pub const CAMERA_POSTERS: &[Role] = &[Role::Admin, Role::Operator];

/// The node's camera merger, shared by the webhook's requests.
#[derive(Clone)]
pub struct CameraState {
    merger: Arc<Mutex<CameraMerger>>,
    /// Below this confidence an event is dropped (its snapshot is not stored).
    min_confidence: f64,
}

impl Default for CameraState {
    fn default() -> Self {
        CameraState::new(camera_config())
    }
}

impl CameraState {
    /// A merger with these rules and no open incident.
    pub fn new(config: CameraConfig) -> CameraState {
        CameraState {
            min_confidence: config.min_confidence,
            merger: Arc::new(Mutex::new(CameraMerger::new(config))),
        }
    }
}

/// The default rules, with each class code accepted as an event type too (`09006` = 占道经营).
pub fn camera_config() -> CameraConfig {
    let mut types = default_event_types();
    for t in &mut types {
        let code = t.class_code.clone();
        t.aliases.push(code);
    }
    CameraConfig {
        event_types: types,
        ..CameraConfig::default()
    }
}

fn camera_json(c: &Camera) -> Value {
    json!({
        "camera_id": c.camera_id,
        "name": c.name,
        "lat": c.lat,
        "lon": c.lon,
        "grid_code": c.grid_code,
        "direction_deg": c.direction_deg,
    })
}

fn domain_camera(c: &Camera) -> supervision::camera::Camera {
    supervision::camera::Camera {
        id: c.camera_id.clone(),
        name: c.name.clone(),
        point: grid::Point {
            lon: c.lon,
            lat: c.lat,
        },
        grid_code: c.grid_code.clone(),
        direction_deg: c.direction_deg,
    }
}

/// `GET /api/cameras` — every camera, by id.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let items: Vec<Value> = state
        .store
        .list_cameras()
        .await?
        .iter()
        .map(camera_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/cameras` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraInput {
    pub camera_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// Degrees clockwise from north.
    pub direction_deg: Option<f64>,
}

/// `POST /api/cameras` — admin registers a camera or replaces its settings.
pub async fn upsert(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<CameraInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if !valid_id(&req.camera_id) {
        return Err(invalid_id("camera_id", &req.camera_id));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "missing_field",
            "name: 1–100 characters",
        ));
    }
    if let Some(d) = req.direction_deg
        && !(d.is_finite() && (0.0..360.0).contains(&d))
    {
        return Err(ApiError::unprocessable(
            "invalid",
            "direction_deg: degrees clockwise from north, 0 ≤ d < 360",
        ));
    }
    let grid_code = grid_of(&state, Some(req.lat), Some(req.lon))?;
    let c = Camera {
        camera_id: req.camera_id,
        name: name.to_owned(),
        lat: req.lat,
        lon: req.lon,
        grid_code,
        direction_deg: req.direction_deg,
    };
    state.store.upsert_camera(&c, state.now()).await?;
    Ok((StatusCode::CREATED, Json(camera_json(&c))))
}

/// `GET /api/cameras/{id}/events` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventsQuery {
    /// 1–1000, default 100.
    pub limit: Option<i64>,
}

fn event_json(e: &store::CameraEvent) -> Value {
    json!({
        "id": e.id,
        "camera_id": e.camera_id,
        "event_type": e.event_type,
        "confidence": e.confidence,
        "at": e.at.to_rfc3339(),
        "received_at": e.received_at.to_rfc3339(),
        "attachment_id": e.attachment_id,
        "alarm_id": e.alarm_id,
        "decision": e.decision,
    })
}

/// `GET /api/cameras/{id}/events` — the camera's latest events, newest first.
pub async fn events(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    if state.store.camera(&id).await?.is_none() {
        return Err(ApiError::NotFound("camera"));
    }
    let rows = state
        .store
        .camera_events(&id, q.limit.unwrap_or(100))
        .await?;
    let items: Vec<Value> = rows.iter().map(event_json).collect();
    Ok(Json(json!({ "camera_id": id, "items": items })))
}

/// `POST /api/ingest/camera-events` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CameraEventInput {
    pub camera_id: String,
    /// The detected class: vendor type, Chinese name or taxonomy class code.
    pub event_type: String,
    /// 0–1.
    pub confidence: f64,
    /// RFC 3339.
    pub at: String,
    /// Base64 snapshot (JPEG, PNG or WebP).
    pub image: Option<String>,
}

/// Decodes standard base64 (RFC 4648, `+/`, padding optional, whitespace ignored; a
/// `data:…;base64,` prefix is accepted). `None` when it is not base64.
pub fn decode_base64(text: &str) -> Option<Vec<u8>> {
    use base64::Engine as _;
    use base64::engine::{DecodePaddingMode, GeneralPurpose, GeneralPurposeConfig};
    const LENIENT: GeneralPurpose = GeneralPurpose::new(
        &base64::alphabet::STANDARD,
        GeneralPurposeConfig::new().with_decode_padding_mode(DecodePaddingMode::Indifferent),
    );
    let text = match text.strip_prefix("data:") {
        Some(rest) => rest.split_once(";base64,")?.1,
        None => text,
    };
    let compact: String = text.chars().filter(|c| !c.is_ascii_whitespace()).collect();
    LENIENT.decode(compact).ok()
}

/// `POST /api/ingest/camera-events` — one detection from the camera analytics platform.
pub async fn ingest(
    State(state): State<AppState>,
    Extension(cameras): Extension<CameraState>,
    auth: AuthUser,
    Json(req): Json<CameraEventInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if auth.via != AuthVia::ApiKey {
        return Err(ApiError::Forbidden(
            "camera events are posted with an integration API key (X-Api-Key)".into(),
        ));
    }
    require_any(&auth, CAMERA_POSTERS)?;
    let bad = |m: String| ApiError::unprocessable("invalid_event", m);
    if !valid_id(&req.camera_id) {
        return Err(invalid_id("camera_id", &req.camera_id));
    }
    let event_type = req.event_type.trim();
    if event_type.is_empty() || event_type.chars().count() > 64 {
        return Err(bad("event_type: 1–64 characters".into()));
    }
    if !(req.confidence.is_finite() && (0.0..=1.0).contains(&req.confidence)) {
        return Err(bad(format!(
            "confidence {} is not a number in 0–1",
            req.confidence
        )));
    }
    let at = Timestamp::parse_rfc3339(&req.at)
        .ok_or_else(|| bad(format!("at: {:?} is not an RFC 3339 time", req.at)))?;
    let image = match req.image.as_deref().filter(|s| !s.is_empty()) {
        None => None,
        Some(text) => {
            let limit = state.config.max_upload_bytes;
            // 4 base64 characters carry 3 bytes: refuse before decoding a huge string.
            if text.len() / 4 * 3 > limit + 3 {
                return Err(ApiError::TooLarge { limit });
            }
            let bytes = decode_base64(text).ok_or_else(|| {
                ApiError::unprocessable("invalid_image", "image: not valid base64")
            })?;
            if bytes.len() > limit {
                return Err(ApiError::TooLarge { limit });
            }
            let (content_type, ext) = super::attachments::sniff_image(&bytes).ok_or_else(|| {
                ApiError::unprocessable("invalid_image", "image: not a JPEG, PNG or WebP")
            })?;
            Some((bytes, content_type, ext))
        }
    };
    let camera = state
        .store
        .camera(&req.camera_id)
        .await?
        .ok_or(ApiError::NotFound("camera"))?;
    // Will the merger keep it? Only then is the snapshot worth storing.
    let keeps = {
        let m = cameras.merger.lock().await;
        m.class_of(event_type).is_some() && req.confidence >= cameras.min_confidence
    };
    let attachment_id = match (&image, keeps) {
        (Some((bytes, ct, ext)), true) => Some(
            super::attachments::save_image(
                &state,
                auth.caller.user_id,
                bytes,
                ct,
                ext,
                Some(format!("snapshot.{ext}")),
            )
            .await?
            .id,
        ),
        _ => None,
    };
    let now = state.now();
    let event = CameraEvent {
        camera_id: camera.camera_id.clone(),
        event_type: event_type.to_owned(),
        confidence: req.confidence,
        at,
        snapshot_ref: attachment_id.map(|id| id.to_string()),
    };
    // The merger stays locked until the event is stored, so that decisions are stored in the
    // order they were taken, and is put back as it was if the store fails (nothing half done).
    let mut merger = cameras.merger.lock().await;
    let before = merger.clone();
    // Refreshed on every event: the registry may have changed on any node.
    merger.register(domain_camera(&camera));
    let mut signals = merger.tick(now);
    let observed = merger.observe(&event);
    signals.extend(observed.signals);
    let observed = observed.decision;
    let class_code = merger.class_of(event_type).map(|c| c.class_code.clone());
    let (decision, key, reason, auto_case, count) = match &observed {
        CameraDecision::NewIncident { key, auto_case, .. } => {
            ("new", Some(key.open_key()), None, Some(*auto_case), Some(1))
        }
        CameraDecision::Merged { key, count, .. } => {
            ("merged", Some(key.open_key()), None, None, Some(*count))
        }
        CameraDecision::Dropped { reason } => {
            let r = match reason {
                DropReason::UnknownCamera => "unknown_camera",
                DropReason::InvalidConfidence => "invalid_confidence",
                DropReason::LowConfidence { .. } => "low_confidence",
            };
            ("dropped", None, Some(r), None, None)
        }
        CameraDecision::UnknownType => ("unknown_type", None, Some("unknown_type"), None, None),
    };
    let writes: Vec<AlarmWrite> = signals
        .drain(..)
        .map(|s| AlarmWrite::from_signal(s, camera.grid_code.clone()))
        .collect();
    let stored = state
        .store
        .record_camera_event(
            &camera.camera_id,
            event_type,
            req.confidence,
            at,
            now,
            attachment_id,
            decision,
            &writes,
            key.as_deref(),
        )
        .await;
    let event_id = match stored {
        Ok(id) => id,
        Err(e) => {
            *merger = before;
            return Err(e.into());
        }
    };
    drop(merger);
    // Tell the live streams about every alarm the event opened or refreshed.
    let raised: Vec<String> = writes
        .iter()
        .filter_map(|w| match w {
            AlarmWrite::Raise(r) => Some(r.open_key.clone()),
            AlarmWrite::Clear(_) => None,
        })
        .collect();
    let mut wanted = raised.clone();
    wanted.extend(key.clone());
    let mut alarm = None;
    for a in state.store.open_alarms_by_key(&wanted).await? {
        let open_key = format!("{}|{}|{}", a.source_kind, a.source_id, a.rule);
        if raised.contains(&open_key) {
            crate::supervise::publish_alarm(&state, &a);
        }
        if key.as_deref() == Some(open_key.as_str()) {
            alarm = Some(a);
        }
    }
    let alarm_level = alarm.as_ref().map(|a| a.level.clone());
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "event_id": event_id,
            "decision": decision,
            "reason": reason,
            "class_code": if key.is_some() { class_code } else { None },
            "alarm_id": alarm.as_ref().map(|a| a.id),
            "alarm_level": alarm_level,
            "auto_case": auto_case.or(alarm.as_ref().map(|a| a.level != "notice")),
            "count": count,
            "attachment_id": attachment_id,
        })),
    ))
}

/// The photos of the case `actor` files from a camera alarm: the snapshots of its incident —
/// those of the stored events linked to the alarm (merged events too, whichever node took
/// them), else the alarm's `detail.snapshots`; at most [`MAX_CASE_SNAPSHOTS`], the first and
/// the latest — each recorded again as an attachment of `actor` over the same stored file
/// (content-addressed, nothing is copied), so that the report may link them — a report links
/// only its reporter's own unlinked photos — while the event keeps its original. The record is
/// made once per alarm and snapshot (`alarm:<id>:snapshot:<attachment id>`), so a filing that
/// failed and is tried again reuses it. Empty for other sources, and a snapshot whose record is
/// gone is skipped. Applies to the alarm worker's cases
/// and to a notice an operator confirms (`POST /api/alarms/{id}/case`) alike.
///
/// # Errors
/// The store fails.
pub(crate) async fn case_snapshots(
    state: &AppState,
    actor: &AuthUser,
    alarm: &store::Alarm,
) -> ApiResult<Vec<i64>> {
    if alarm.source_kind != "camera" {
        return Ok(Vec::new());
    }
    let mut refs = state
        .store
        .camera_alarm_snapshots(&alarm.source_id, alarm.id)
        .await?;
    if refs.is_empty() {
        refs = alarm.detail["snapshots"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|v| match v {
                        Value::String(s) => s.parse().ok(),
                        other => other.as_i64(),
                    })
                    .collect()
            })
            .unwrap_or_default();
    }
    refs.dedup();
    if refs.len() > MAX_CASE_SNAPSHOTS {
        // The first sighting and the latest ones.
        refs.drain(1..refs.len() + 1 - MAX_CASE_SNAPSHOTS);
    }
    let mut out = Vec::with_capacity(refs.len());
    let now = state.now();
    for id in refs {
        let Some(meta) = state.store.attachment(id).await? else {
            tracing::warn!(
                alarm = alarm.id,
                attachment = id,
                "camera snapshot record missing"
            );
            continue;
        };
        let ext = meta.path.rsplit('.').next().unwrap_or("jpg").to_owned();
        // Once per alarm and snapshot: a filing tried again (it failed, or another node's
        // worker took the alarm at the same time) takes the record made before.
        let copy = state
            .store
            .insert_attachment_once(
                &store::NewAttachment {
                    uploader_id: actor.caller.user_id,
                    content_type: meta.content_type,
                    size_bytes: meta.size_bytes,
                    sha256: meta.sha256,
                    path: meta.path,
                    original_name: Some(format!("snapshot-{}.{ext}", alarm.source_id)),
                },
                &format!("alarm:{}:snapshot:{id}", alarm.id),
                now,
            )
            .await?;
        out.push(copy);
    }
    Ok(out)
}

/// Most snapshots a camera alarm's case carries (the report's limit is 9).
const MAX_CASE_SNAPSHOTS: usize = 5;

/// Routes of this module. The webhook takes a body large enough for a base64 snapshot of the
/// upload limit; the merger is this router's (one per node).
pub fn router(config: &ServerConfig) -> Router<AppState> {
    use axum::routing::{get, post};
    let webhook_limit = config.max_upload_bytes / 3 * 4 + 64 * 1024;
    Router::new()
        .route("/api/cameras", get(list).post(upsert))
        .route("/api/cameras/{id}/events", get(events))
        .route(
            "/api/ingest/camera-events",
            post(ingest).layer(DefaultBodyLimit::max(webhook_limit)),
        )
        .layer(Extension(CameraState::default()))
}

#[cfg(test)]
mod tests {
    use super::decode_base64;

    #[test]
    fn base64_decodes_the_rfc_4648_vectors_and_refuses_garbage() {
        for (enc, dec) in [
            ("", ""),
            ("Zg==", "f"),
            ("Zm8=", "fo"),
            ("Zm9v", "foo"),
            ("Zm9vYg==", "foob"),
            ("Zm9vYmE=", "fooba"),
            ("Zm9vYmFy", "foobar"),
            ("Zm9vYmFy\n", "foobar"),
            ("Zm9vYg", "foob"),
            ("data:image/jpeg;base64,Zm9v", "foo"),
        ] {
            assert_eq!(decode_base64(enc).as_deref(), Some(dec.as_bytes()), "{enc}");
        }
        for bad in ["Z", "Zm9v!", "Zg==Zg", "Zh==", "data:image/jpeg,Zm9v"] {
            assert_eq!(decode_base64(bad), None, "{bad}");
        }
    }
}
