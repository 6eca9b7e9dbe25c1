//! Devices over HTTP: the vehicle registry with live positions and track playback, the HJ 212
//! monitor registry with reading series. Staff only (not citizens or volunteers).

use axum::extract::State;
use axum::http::StatusCode;
use domain::org::Role;
use domain::time::Timestamp;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Monitor, NewVehicle, Position, Vehicle};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};

/// A vehicle counts as online when it reported within this many minutes.
pub const ONLINE_MINUTES: i64 = 5;

fn time(t: Option<Timestamp>) -> Value {
    t.map_or(Value::Null, |t| json!(t.to_rfc3339()))
}

fn vehicle_json(v: &Vehicle, now: Timestamp) -> Value {
    let online = v
        .last_seen_at
        .is_some_and(|t| now.0 - t.0 <= ONLINE_MINUTES * Timestamp::MINUTE_MS);
    json!({
        "id": v.id,
        "plate": v.plate,
        "kind": v.kind,
        "company": v.company,
        "phone": v.phone,
        "terminal_id": v.terminal_id,
        "registered": v.registered_at.is_some(),
        "online": online,
        "last_seen_at": time(v.last_seen_at),
        "position": match (v.last_lat, v.last_lon) {
            (Some(lat), Some(lon)) => json!({
                "lat": lat,
                "lon": lon,
                "speed_kmh": v.last_speed_kmh,
                "heading": v.last_heading,
                "grid_code": v.last_grid_code,
                "fix_at": time(v.last_fix_at),
            }),
            _ => Value::Null,
        },
    })
}

fn position_json(p: &Position) -> Value {
    json!({
        "fix_at": p.fix_at.to_rfc3339(),
        "lat": p.lat,
        "lon": p.lon,
        "speed_kmh": p.speed_kmh,
        "heading": p.heading,
        "altitude_m": p.altitude_m,
        "alarm": p.alarm,
        "status": p.status,
        "mileage_m": p.mileage_m,
        "grid_code": p.grid_code,
        "backfill": p.backfill,
    })
}

/// `GET /api/vehicles` — every vehicle with its online state and last position.
pub async fn list_vehicles(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let now = state.now();
    let vehicles = state.store.list_vehicles().await?;
    let online = vehicles
        .iter()
        .filter(|v| {
            v.last_seen_at
                .is_some_and(|t| now.0 - t.0 <= ONLINE_MINUTES * Timestamp::MINUTE_MS)
        })
        .count();
    let items: Vec<Value> = vehicles.iter().map(|v| vehicle_json(v, now)).collect();
    Ok(Json(json!({ "items": items, "online": online })))
}

/// `POST /api/vehicles` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewVehicleRequest {
    pub plate: String,
    pub kind: String,
    pub company: Option<String>,
    /// The JT/T 808 terminal's phone number (its identity on the wire).
    pub phone: Option<String>,
}

/// `POST /api/vehicles` — admin registers a vehicle and its terminal phone.
pub async fn create_vehicle(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<NewVehicleRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if req.plate.trim().is_empty() || req.plate.trim().chars().count() > 16 {
        return Err(ApiError::unprocessable(
            "invalid_plate",
            "plate must be 1–16 characters",
        ));
    }
    // The terminal's phone is its identity on the wire; terminals pad it with leading zeros
    // (BCD), so it is stored without them and must keep at least one non-zero digit.
    if let Some(p) = &req.phone
        && (p.is_empty()
            || p.len() > 20
            || !p.bytes().all(|b| b.is_ascii_digit())
            || p.bytes().all(|b| b == b'0'))
    {
        return Err(ApiError::unprocessable(
            "invalid_phone",
            "the terminal phone is 1–20 digits, not all zeros (leading zeros are not significant)",
        ));
    }
    if req
        .company
        .as_deref()
        .is_some_and(|c| c.chars().count() > 100)
    {
        return Err(ApiError::unprocessable(
            "too_long",
            "company is at most 100 characters",
        ));
    }
    let phone = req
        .phone
        .as_deref()
        .map(|p| p.trim_start_matches('0').to_owned());
    let id = state
        .store
        .create_vehicle(
            &NewVehicle {
                plate: req.plate.trim().to_owned(),
                kind: req.kind,
                company: req.company,
                phone,
            },
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// Track query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackQuery {
    /// RFC 3339 start (default: 2 hours before `to`).
    pub from: Option<String>,
    /// RFC 3339 end (default: now).
    pub to: Option<String>,
    /// At most this many points (default 5,000, at most 100,000).
    pub limit: Option<usize>,
}

fn parse_time(name: &str, s: Option<&str>) -> ApiResult<Option<Timestamp>> {
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

/// `GET /api/vehicles/{id}/track` — the stored track between two instants, oldest first, for
/// playback.
pub async fn track(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Query(q): Query<TrackQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let vehicle = state
        .store
        .get_vehicle(id)
        .await?
        .ok_or(ApiError::NotFound("vehicle"))?;
    let to = parse_time("to", q.to.as_deref())?.unwrap_or_else(|| state.now());
    let from = parse_time("from", q.from.as_deref())?.unwrap_or(to.plus_minutes(-120));
    if from > to {
        return Err(ApiError::unprocessable("invalid_time", "from is after to"));
    }
    let points = state
        .store
        .track(id, from, to, q.limit.unwrap_or(5_000))
        .await?;
    let items: Vec<Value> = points.iter().map(position_json).collect();
    Ok(Json(json!({
        "vehicle": vehicle_json(&vehicle, state.now()),
        "from": from.to_rfc3339(),
        "to": to.to_rfc3339(),
        "points": items,
    })))
}

fn monitor_json(m: &Monitor) -> Value {
    json!({
        "mn": m.mn,
        "kind": m.kind,
        "name": m.name,
        "site": m.site,
        "size_class": m.size_class,
        "lat": m.lat,
        "lon": m.lon,
        "grid_code": m.grid_code,
        "last_seen_at": time(m.last_seen_at),
    })
}

/// `GET /api/monitors` — every HJ 212 monitor.
pub async fn list_monitors(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let items: Vec<Value> = state
        .store
        .list_monitors()
        .await?
        .iter()
        .map(monitor_json)
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `POST /api/monitors` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MonitorRequest {
    pub mn: String,
    /// The HJ 212 access password (PW) the device sends.
    pub password: String,
    /// `fume`, `dust`, `noise` or `other`.
    pub kind: String,
    pub name: String,
    pub site: Option<String>,
    /// `small`, `medium` or `large` (restaurants, GB 18483).
    pub size_class: Option<String>,
    pub lat: Option<f64>,
    pub lon: Option<f64>,
}

/// `POST /api/monitors` — admin registers (or updates) a monitor; its grid comes from its point.
pub async fn upsert_monitor(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<MonitorRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if req.mn.is_empty() || req.mn.len() > 24 || !req.mn.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return Err(ApiError::unprocessable(
            "invalid_mn",
            "MN is 1–24 letters or digits",
        ));
    }
    if !["fume", "dust", "noise", "other"].contains(&req.kind.as_str()) {
        return Err(ApiError::unprocessable(
            "unknown_kind",
            format!("kind {:?}: use fume, dust, noise or other", req.kind),
        ));
    }
    if let Some(s) = &req.size_class
        && !["small", "medium", "large"].contains(&s.as_str())
    {
        return Err(ApiError::unprocessable(
            "unknown_size_class",
            format!("size_class {s:?}: use small, medium or large"),
        ));
    }
    let grid_code = match (req.lat, req.lon) {
        (Some(lat), Some(lon)) => {
            let index = state.city.get();
            match index.geocoder.grid_at(lon, lat) {
                Ok(g) => g.map(|g| index.geocoder.grid_code(g).to_owned()),
                Err(e) => return Err(ApiError::unprocessable("invalid_point", e.to_string())),
            }
        }
        (None, None) => None,
        _ => {
            return Err(ApiError::unprocessable(
                "invalid_point",
                "give both lat and lon, or neither",
            ));
        }
    };
    let m = Monitor {
        mn: req.mn,
        password: req.password,
        kind: req.kind,
        name: req.name,
        site: req.site,
        size_class: req.size_class,
        lat: req.lat,
        lon: req.lon,
        grid_code,
        last_seen_at: None,
    };
    state.store.upsert_monitor(&m, state.now()).await?;
    Ok((StatusCode::CREATED, Json(monitor_json(&m))))
}

/// Reading series query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReadingsQuery {
    /// Factor code, e.g. `a34041` (fume concentration).
    pub factor: String,
    pub from: Option<String>,
    pub to: Option<String>,
    pub limit: Option<usize>,
}

/// `GET /api/monitors/{mn}/readings` — one factor's values between two instants, oldest first,
/// decimals exactly as the device sent them.
pub async fn readings(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(mn): Path<String>,
    Query(q): Query<ReadingsQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    if state.store.monitor(&mn).await?.is_none() {
        return Err(ApiError::NotFound("monitor"));
    }
    let to = parse_time("to", q.to.as_deref())?.unwrap_or_else(|| state.now());
    let from = parse_time("from", q.from.as_deref())?.unwrap_or(to.plus_minutes(-24 * 60));
    let rows = state
        .store
        .readings(&mn, &q.factor, from, to, q.limit.unwrap_or(5_000))
        .await?;
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            json!({
                "data_time": r.data_time.to_rfc3339(),
                "cn": r.cn,
                "field": r.field,
                "value": r.value,
                "flag": r.flag,
            })
        })
        .collect();
    Ok(Json(
        json!({ "mn": mn, "factor": q.factor, "items": items }),
    ))
}

/// Routes of this module.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::get;
    axum::Router::new()
        .route("/api/vehicles", get(list_vehicles).post(create_vehicle))
        .route("/api/vehicles/{id}/track", get(track))
        .route("/api/monitors", get(list_monitors).post(upsert_monitor))
        .route("/api/monitors/{mn}/readings", get(readings))
}
