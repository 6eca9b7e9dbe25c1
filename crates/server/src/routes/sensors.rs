//! MQTT sensors over HTTP: the registry (井盖 manhole covers, 垃圾满溢 bin fill, 积水 flood
//! points, generic numeric sensors) and each sensor's stored messages. Staff read; admins
//! register.

use axum::extract::State;
use axum::http::StatusCode;
use domain::org::Role;
use domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use store::Sensor;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};

/// Sensor kinds, as stored and as the MQTT pipeline reads them.
pub const SENSOR_KINDS: &[&str] = &["manhole", "bin", "waterlog", "numeric"];

/// Longest sensor, camera or station id, in bytes.
pub(crate) const MAX_ID: usize = 64;

/// Whether `id` is a usable device id: 1–64 ASCII letters, digits, `-`, `_`, `.` or `:`.
pub(crate) fn valid_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= MAX_ID
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b':'))
}

/// 422 `invalid_id`.
pub(crate) fn invalid_id(what: &str, id: &str) -> ApiError {
    ApiError::unprocessable(
        "invalid_id",
        format!("{what} {id:?}: use 1–{MAX_ID} ASCII letters, digits, '-', '_', '.' or ':'"),
    )
}

/// The unit grid holding an optional point (`None` outside the city or without a point).
pub(crate) fn grid_of(
    state: &AppState,
    lat: Option<f64>,
    lon: Option<f64>,
) -> ApiResult<Option<String>> {
    match (lat, lon) {
        (Some(lat), Some(lon)) => {
            let index = state.city.get();
            match index.geocoder.grid_at(lon, lat) {
                Ok(g) => Ok(g.map(|g| index.geocoder.grid_code(g).to_owned())),
                Err(e) => Err(ApiError::unprocessable("invalid_point", e.to_string())),
            }
        }
        (None, None) => Ok(None),
        _ => Err(ApiError::unprocessable(
            "invalid_point",
            "give both lat and lon, or neither",
        )),
    }
}

/// An RFC 3339 query value.
pub(crate) fn parse_time(name: &str, s: Option<&str>) -> ApiResult<Option<Timestamp>> {
    match s {
        None => Ok(None),
        Some(t) => Timestamp::parse_rfc3339(t).map(Some).ok_or_else(|| {
            ApiError::unprocessable(
                "invalid_time",
                format!("{name}: {t:?} is not an RFC 3339 time"),
            )
        }),
    }
}

fn sensor_json(s: &Sensor) -> Value {
    json!({
        "sensor_id": s.sensor_id,
        "kind": s.kind,
        "name": s.name,
        "lat": s.lat,
        "lon": s.lon,
        "grid_code": s.grid_code,
        "config": s.config,
        "last_seen_at": s.last_seen_at.map(|t| t.to_rfc3339()),
    })
}

/// `GET /api/sensors` — every sensor, by id.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let items: Vec<Value> = state
        .store
        .list_sensors()
        .await?
        .iter()
        .map(sensor_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/sensors` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SensorInput {
    pub sensor_id: String,
    /// One of [`SENSOR_KINDS`].
    pub kind: String,
    pub name: String,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
    /// Per-sensor thresholds (an object; absent = the defaults).
    pub config: Option<Value>,
}

/// `POST /api/sensors` — admin registers a sensor or replaces its settings.
pub async fn upsert(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<SensorInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if !valid_id(&req.sensor_id) {
        return Err(invalid_id("sensor_id", &req.sensor_id));
    }
    if !SENSOR_KINDS.contains(&req.kind.as_str()) {
        return Err(ApiError::unprocessable(
            "unknown_sensor_kind",
            format!("kind {:?}: use {}", req.kind, SENSOR_KINDS.join(", ")),
        ));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "missing_field",
            "name: 1–100 characters",
        ));
    }
    let config = req.config.unwrap_or_else(|| json!({}));
    if !config.is_object() {
        return Err(ApiError::unprocessable(
            "invalid",
            "config must be a JSON object",
        ));
    }
    let s = Sensor {
        sensor_id: req.sensor_id,
        kind: req.kind,
        name: name.to_owned(),
        lat: req.lat,
        lon: req.lon,
        grid_code: grid_of(&state, req.lat, req.lon)?,
        config,
        last_seen_at: None,
    };
    state.store.upsert_sensor(&s, state.now()).await?;
    let stored = state.store.sensor(&s.sensor_id).await?.unwrap_or(s);
    Ok((StatusCode::CREATED, Json(sensor_json(&stored))))
}

/// `GET /api/sensors/{id}` — one sensor.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let s = state
        .store
        .sensor(&id)
        .await?
        .ok_or(ApiError::NotFound("sensor"))?;
    Ok(Json(sensor_json(&s)))
}

/// `GET /api/sensors/{id}/readings` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
}

/// `GET /api/sensors/{id}/readings` — the sensor's messages between two instants (default: the
/// last 24 hours), oldest first.
pub async fn readings(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Query(q): Query<ReadingsQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    if state.store.sensor(&id).await?.is_none() {
        return Err(ApiError::NotFound("sensor"));
    }
    let to = parse_time("to", q.to.as_deref())?.unwrap_or_else(|| state.now());
    let from = parse_time("from", q.from.as_deref())?.unwrap_or(to.plus_minutes(-24 * 60));
    let rows = state
        .store
        .sensor_readings(&id, from, to, q.limit.unwrap_or(5_000))
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "at": r.at.to_rfc3339(),
                "received_at": r.received_at.to_rfc3339(),
                "data": r.data,
            })
        })
        .collect();
    Ok(Json(json!({ "sensor_id": id, "items": items })))
}

/// Routes of this module.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/sensors", get(list).post(upsert))
        .route("/api/sensors/{id}", get(detail))
        .route("/api/sensors/{id}/readings", get(readings))
}
