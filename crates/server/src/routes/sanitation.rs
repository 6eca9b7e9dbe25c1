//! Sanitation and vehicle reports over HTTP, computed from the stored tracks: mechanised
//! sweeping coverage 机械化清扫率 per road and area, enforcement patrol coverage 执法巡查 per
//! grid, garbage trucks' visits to collection points 收集点 with the 前分后混 check, and garbage
//! transfer stations 垃圾中转站 with their daily tonnage and the 日产日清 check. Staff read;
//! admins register stations; admins and sanitation department handlers enter tonnage.
//!
//! # How a day's report is computed
//!
//! The day is a local (Asia/Shanghai) calendar day. The positions of every vehicle of the kind
//! (`sweeper`, `enforcement`, `garbage_truck`) stored with a fix time in that day are replayed,
//! oldest first, into a fresh [`SweepTracker`], [`PatrolTracker`] or [`GarbageTracker`] over this
//! node's city model (roads and grids of the `city.version` in use) or the stored collection
//! points. A step crossing midnight is not seen (the previous day's last fix
//! is not read), which loses at most one fix interval per vehicle and day.
//!
//! **Cache.** Replaying a day of a city fleet costs up to seconds, so each node keeps the last
//! reports per kind and day in memory: a report of a past day is reused for
//! [`PAST_DAY_TTL_MS`], one of today for [`TODAY_TTL_MS`], and none across a change of the city
//! model. Late positions (盲区补报) of a past day show after the cache expires, and so do
//! collection points added meanwhile.
//!
//! **日产日清 alarms.** [`check_stations`] (every node, every minute, and at once when tonnage of
//! a closed day is entered) judges each station's closed days and raises one alarm per station
//! and failed day (class 06042, filed as a case by the alarm worker), cleared by the station's
//! next cleared day; see [`supervision::station`].
//!
//! **A garbage truck's category.** The vehicle registry has no waste-category field, so a
//! truck's category 厨余/其他/可回收/有害 is read from its `company` text
//! ([`WasteCategory::from_marker`]: e.g. `中原区环卫中心（厨余）`, or `kitchen` as a word). A
//! truck whose company names no single category has none registered: its first visit of the day
//! sets it (see [`supervision::garbage`]). A `waste_category` column on vehicles would be the
//! proper home; the marker keeps the registry and its API unchanged until then.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::{Extension, Router};
use chrono::NaiveDate;
use domain::org::{DepartmentType, Role};
use domain::time::Timestamp;
use grid::{Area, Geocoder, Point};
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Position, TransferStation, Vehicle};
use supervision::garbage::{CollectionPoint, GarbageConfig, GarbageTracker, Truck, WasteCategory};
use supervision::patrol::{PatrolConfig, PatrolTracker};
use supervision::station::{Station, StationConfig, StationDay};
use supervision::sweeping::{LocalDay, RoadAreas, RoadIndex, SweepConfig, SweepTracker};
use supervision::vehicle::Fix;
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::permits::parse_day;
use crate::routes::sensors::{grid_of, invalid_id, valid_id};
use crate::routes::{STAFF, require_any};

/// How long a report of a past day is reused, ms.
pub const PAST_DAY_TTL_MS: i64 = 10 * 60_000;
/// How long a report of today is reused, ms.
pub const TODAY_TTL_MS: i64 = 30_000;
/// Most positions read per vehicle and day (one fix a second all day long).
const MAX_FIXES_PER_DAY: usize = 100_000;
/// Closed days the 日产日清 check looks back on (tonnage entered late is still judged).
pub const STATION_CHECK_DAYS: u64 = 7;
/// How often each node runs the 日产日清 check.
pub const STATION_CHECK_INTERVAL: std::time::Duration = std::time::Duration::from_secs(60);

/// The tolerance of the 日产日清 check (0.1 t of weighbridge error, no share of the intake).
pub fn station_config() -> StationConfig {
    StationConfig::default()
}

/// The city model as the trackers need it, for one `city.version`.
struct Model {
    version: i64,
    geocoder: Arc<Geocoder>,
    areas: Vec<Area>,
    roads: Arc<RoadIndex>,
    road_areas: Arc<RoadAreas>,
}

struct Cached {
    version: i64,
    computed_at: Timestamp,
    report: Arc<Value>,
}

/// The node's report cache (see the module docs).
#[derive(Clone, Default)]
pub struct SanitationState {
    model: Arc<Mutex<Option<Arc<Model>>>>,
    reports: Arc<Mutex<HashMap<(&'static str, i64), Cached>>>,
}

async fn model(state: &AppState, cache: &SanitationState) -> ApiResult<Arc<Model>> {
    let index = state.city.get();
    let mut slot = cache.model.lock().await;
    if let Some(m) = slot.as_ref()
        && m.version == index.version
    {
        return Ok(m.clone());
    }
    let roads = state.store.list_roads().await?;
    let built = tokio::task::spawn_blocking(move || {
        let roads = Arc::new(RoadIndex::build(&roads));
        let road_areas = Arc::new(RoadAreas::build(&roads, &index.geocoder, &index.areas));
        Model {
            version: index.version,
            geocoder: Arc::new(index.geocoder.clone()),
            areas: index.areas.clone(),
            roads,
            road_areas,
        }
    })
    .await
    .map_err(|e| ApiError::Internal(format!("building the road index: {e}")))?;
    let built = Arc::new(built);
    *slot = Some(built.clone());
    Ok(built)
}

/// `?day=YYYY-MM-DD` (default: today).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DayQuery {
    pub day: Option<String>,
}

fn local_day(state: &AppState, q: &DayQuery) -> ApiResult<(NaiveDate, LocalDay)> {
    let date = match q.day.as_deref() {
        Some(d) => parse_day("day", d)?,
        None => state.now().to_shanghai().date(),
    };
    Ok((date, LocalDay::of(Timestamp::shanghai_midnight(date))))
}

fn fix_of(phone: &str, p: &Position) -> Fix {
    Fix {
        phone: phone.to_owned(),
        at: p.fix_at,
        point: Point {
            lon: p.lon,
            lat: p.lat,
        },
        speed_kmh: p.speed_kmh,
        heading: u16::try_from(p.heading.rem_euclid(360)).unwrap_or(0),
        status: u32::try_from(p.status & 0xFFFF_FFFF).unwrap_or(0),
        alarm: u32::try_from(p.alarm & 0xFFFF_FFFF).unwrap_or(0),
        extra: Vec::new(),
    }
}

/// The id a vehicle's fixes are keyed by in the trackers: its terminal phone, else `#<id>`.
fn vehicle_key(v: &Vehicle) -> String {
    v.phone.clone().unwrap_or_else(|| format!("#{}", v.id))
}

/// Every fix of the day of the vehicles of `kind`, per vehicle, oldest first.
async fn day_fixes(
    state: &AppState,
    kind: &str,
    day: LocalDay,
) -> ApiResult<(Vec<Vehicle>, Vec<Vec<Fix>>)> {
    let vehicles: Vec<Vehicle> = state
        .store
        .list_vehicles()
        .await?
        .into_iter()
        .filter(|v| v.kind == kind)
        .collect();
    let mut fixes = Vec::with_capacity(vehicles.len());
    for v in &vehicles {
        let track = state
            .store
            .track(
                v.id,
                day.start(),
                Timestamp(day.end().0 - 1),
                MAX_FIXES_PER_DAY,
            )
            .await?;
        let key = vehicle_key(v);
        fixes.push(track.iter().map(|p| fix_of(&key, p)).collect());
    }
    Ok((vehicles, fixes))
}

/// Adds `plate` and `vehicle_id` to each `vehicles[]` row keyed by `phone`.
fn name_vehicles(report: &mut Value, vehicles: &[Vehicle]) {
    let by_key: HashMap<String, &Vehicle> = vehicles.iter().map(|v| (vehicle_key(v), v)).collect();
    if let Some(rows) = report["vehicles"].as_array_mut() {
        for row in rows {
            let v = row["phone"].as_str().and_then(|p| by_key.get(p));
            row["plate"] = json!(v.map(|v| v.plate.clone()));
            row["vehicle_id"] = json!(v.map(|v| v.id));
        }
    }
}

/// A cached report, or `compute`'s (then cached).
async fn cached<F, Fut>(
    state: &AppState,
    cache: &SanitationState,
    kind: &'static str,
    day: LocalDay,
    compute: F,
) -> ApiResult<Arc<Value>>
where
    F: FnOnce(Arc<Model>) -> Fut,
    Fut: std::future::Future<Output = ApiResult<Value>>,
{
    let now = state.now();
    let m = model(state, cache).await?;
    let ttl = if LocalDay::of(now) > day {
        PAST_DAY_TTL_MS
    } else {
        TODAY_TTL_MS
    };
    {
        let reports = cache.reports.lock().await;
        if let Some(c) = reports.get(&(kind, day.0))
            && c.version == m.version
            && (0..ttl).contains(&(now.0 - c.computed_at.0))
        {
            return Ok(c.report.clone());
        }
    }
    let version = m.version;
    let mut report = compute(m).await?;
    report["computed_at"] = json!(now.to_rfc3339());
    let report = Arc::new(report);
    let mut reports = cache.reports.lock().await;
    // Bounded: a few kinds × the days people look at; start over past that.
    if reports.len() > 64 {
        reports.clear();
    }
    reports.insert(
        (kind, day.0),
        Cached {
            version,
            computed_at: now,
            report: report.clone(),
        },
    );
    Ok(report)
}

/// `GET /api/sweeping/coverage?day=` — the day's 机械化清扫率 per road, per community, street and
/// district, and for the city, with each sweeper's working distance and speed compliance.
pub async fn sweeping(
    State(state): State<AppState>,
    Extension(cache): Extension<SanitationState>,
    auth: AuthUser,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let (_, day) = local_day(&state, &q)?;
    let st = &state;
    let report = cached(&state, &cache, "sweeping", day, move |m| async move {
        let (vehicles, fixes) = day_fixes(st, "sweeper", day).await?;
        let mut report = tokio::task::spawn_blocking(move || {
            let mut tracker = SweepTracker::new(m.roads.clone(), SweepConfig::default());
            for f in fixes.iter().flatten() {
                tracker.observe(f);
            }
            serde_json::to_value(tracker.daily(day, Some(&m.road_areas)))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("sweeping report: {e}")))?
        .map_err(|e| ApiError::Internal(format!("sweeping report: {e}")))?;
        name_vehicles(&mut report, &vehicles);
        if let Some(o) = report.as_object_mut() {
            o.remove("day");
        }
        Ok(report)
    })
    .await?;
    Ok(Json((*report).clone()))
}

/// `GET /api/patrol/coverage?day=` — the grids enforcement vehicles 执法车 patrolled on the day,
/// the patrolled share of the grids of each community, street and district and of the city,
/// and each vehicle's distance and grids.
pub async fn patrol(
    State(state): State<AppState>,
    Extension(cache): Extension<SanitationState>,
    auth: AuthUser,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let (_, day) = local_day(&state, &q)?;
    let st = &state;
    let report = cached(&state, &cache, "patrol", day, move |m| async move {
        let (vehicles, fixes) = day_fixes(st, "enforcement", day).await?;
        let mut report = tokio::task::spawn_blocking(move || {
            let mut tracker = PatrolTracker::new(m.geocoder.clone(), PatrolConfig::default());
            for f in fixes.iter().flatten() {
                tracker.observe(f);
            }
            serde_json::to_value(tracker.daily(day, &m.areas))
        })
        .await
        .map_err(|e| ApiError::Internal(format!("patrol report: {e}")))?
        .map_err(|e| ApiError::Internal(format!("patrol report: {e}")))?;
        name_vehicles(&mut report, &vehicles);
        if let Some(o) = report.as_object_mut() {
            o.remove("day");
        }
        if let Some(grids) = report["grids"].as_array_mut() {
            for g in grids {
                for k in ["first_visit", "last_visit"] {
                    if let Some(ms) = g[k].as_i64() {
                        g[k] = json!(Timestamp(ms).to_rfc3339());
                    }
                }
            }
        }
        Ok(report)
    })
    .await?;
    Ok(Json((*report).clone()))
}

/// The garbage-truck fixes of `day` replayed over the stored collection points and routes;
/// `report` turns the tracker into the answer. Returns the trucks, the points' grid codes and
/// the report as JSON.
async fn garbage_day<R, F>(
    st: &AppState,
    day: LocalDay,
    report: F,
) -> ApiResult<(Vec<Vehicle>, HashMap<String, Option<String>>, Value)>
where
    R: serde::Serialize,
    F: FnOnce(&GarbageTracker) -> R + Send + 'static,
{
    let (vehicles, fixes) = day_fixes(st, "garbage_truck", day).await?;
    let stored = st.store.list_collection_points().await?;
    let grid_codes: HashMap<String, Option<String>> = stored
        .iter()
        .map(|p| (p.point_id.clone(), p.grid_code.clone()))
        .collect();
    let points: Vec<CollectionPoint> = stored
        .into_iter()
        .filter_map(|p| {
            Some(CollectionPoint {
                category: WasteCategory::parse(&p.category)?,
                id: p.point_id,
                name: p.name,
                position: Point {
                    lon: p.lon,
                    lat: p.lat,
                },
            })
        })
        .collect();
    let trucks: Vec<Truck> = vehicles
        .iter()
        .map(|v| Truck {
            id: vehicle_key(v),
            plate: Some(v.plate.clone()),
            category: v.company.as_deref().and_then(WasteCategory::from_marker),
        })
        .collect();
    let routes: Vec<_> = st
        .store
        .list_collection_routes()
        .await?
        .iter()
        .filter_map(|r| crate::routes::collection_routes::rules_route(r, &vehicles, vehicle_key))
        .collect();
    let calendar = Arc::new(st.rules.get(st.now()).await?.calendar.clone());
    let value = tokio::task::spawn_blocking(move || {
        let mut tracker = GarbageTracker::new(points, trucks, GarbageConfig::default());
        tracker.set_routes(routes);
        tracker.set_calendar(calendar);
        for f in fixes.iter().flatten() {
            tracker.observe(f);
        }
        serde_json::to_value(report(&tracker))
    })
    .await
    .map_err(|e| ApiError::Internal(format!("garbage report: {e}")))?
    .map_err(|e| ApiError::Internal(format!("garbage report: {e}")))?;
    Ok((vehicles, grid_codes, value))
}

/// `GET /api/sanitation/route-report?day=` — each collection route 收运路线 on the day: whether
/// it runs, its finish time, the points planned, visited by a qualifying truck and missed, when
/// the round was done and whether on time, and per point the first qualifying visit.
pub async fn route_report(
    State(state): State<AppState>,
    Extension(cache): Extension<SanitationState>,
    auth: AuthUser,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let (date, day) = local_day(&state, &q)?;
    let st = &state;
    let report = cached(&state, &cache, "routes", day, move |_| async move {
        let as_of = st.now();
        let (vehicles, _, mut routes) =
            garbage_day(st, day, move |t| t.route_daily(day, as_of)).await?;
        let by_key: HashMap<String, &Vehicle> =
            vehicles.iter().map(|v| (vehicle_key(v), v)).collect();
        if let Some(rows) = routes.as_array_mut() {
            for r in rows {
                let v = r["truck"].as_str().and_then(|k| by_key.get(k));
                r["vehicle_id"] = json!(v.map(|v| v.id));
                rfc3339_fields(r, &["finish_at", "finished_at"]);
                if let Some(points) = r["points"].as_array_mut() {
                    for p in points {
                        rfc3339_fields(p, &["arrived"]);
                        let plate = p["by"]
                            .as_str()
                            .and_then(|k| by_key.get(k))
                            .map(|v| v.plate.clone());
                        p["by_plate"] = json!(plate);
                    }
                }
            }
        }
        Ok(json!({ "date": date.to_string(), "routes": routes }))
    })
    .await?;
    Ok(Json((*report).clone()))
}

/// Replaces each instant (ms) under `keys` of `row` with its RFC 3339 text.
fn rfc3339_fields(row: &mut Value, keys: &[&str]) {
    for k in keys {
        if let Some(ms) = row[*k].as_i64() {
            row[*k] = json!(Timestamp(ms).to_rfc3339());
        }
    }
}

/// `GET /api/garbage/collection?day=` — the collection points 收集点 garbage trucks (kind
/// `garbage_truck`) visited on the day and which they missed, the coverage per waste category
/// and of the city, each truck's visits, and the mixed visits 前分后混.
pub async fn garbage(
    State(state): State<AppState>,
    Extension(cache): Extension<SanitationState>,
    auth: AuthUser,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let (_, day) = local_day(&state, &q)?;
    let st = &state;
    let report = cached(&state, &cache, "garbage", day, move |_| async move {
        let as_of = st.now();
        let (vehicles, grid_codes, mut report) =
            garbage_day(st, day, move |t| t.daily(day, as_of)).await?;
        name_vehicles(&mut report, &vehicles);
        let plates: HashMap<String, String> = vehicles
            .iter()
            .map(|v| (vehicle_key(v), v.plate.clone()))
            .collect();
        if let Some(o) = report.as_object_mut() {
            o.remove("day");
            o.remove("as_of");
        }
        if let Some(points) = report["points"].as_array_mut() {
            for p in points {
                rfc3339_fields(p, &["due_at"]);
                let grid = p["id"].as_str().and_then(|id| grid_codes.get(id)).cloned();
                p["grid_code"] = json!(grid.flatten());
                if let Some(visits) = p["visits"].as_array_mut() {
                    for v in visits {
                        rfc3339_fields(v, &["arrived", "departed"]);
                        let plate = v["phone"].as_str().and_then(|k| plates.get(k)).cloned();
                        v["plate"] = json!(plate);
                    }
                }
            }
        }
        if let Some(trucks) = report["vehicles"].as_array_mut() {
            for t in trucks {
                if let Some(visits) = t["visits"].as_array_mut() {
                    for v in visits {
                        rfc3339_fields(v, &["arrived", "departed"]);
                    }
                }
            }
        }
        Ok(report)
    })
    .await?;
    Ok(Json((*report).clone()))
}

// ---- transfer stations ----------------------------------------------------------------------

/// The 日产日清 check of one station-day: intake all transferred out the same day.
fn day_json(station: &TransferStation, t: Option<&store::Tonnage>) -> Value {
    match t {
        None => Value::Null,
        Some(t) => {
            let residual = t.in_t - t.out_t;
            json!({
                "day": t.day,
                "in_t": t.in_t,
                "out_t": t.out_t,
                "residual_t": residual,
                "cleared": station_config().cleared(t.in_t, t.out_t),
                "over_capacity": station.capacity_t.is_some_and(|c| t.in_t > c),
                "updated_at": t.updated_at.to_rfc3339(),
            })
        }
    }
}

fn station_json(s: &TransferStation, t: Option<&store::Tonnage>) -> Value {
    json!({
        "station_id": s.station_id,
        "name": s.name,
        "lat": s.lat,
        "lon": s.lon,
        "radius_m": s.radius_m,
        "capacity_t": s.capacity_t,
        "grid_code": s.grid_code,
        "tonnage": day_json(s, t),
    })
}

/// `GET /api/stations?day=` — every station with its tonnage of the day (default today) and
/// the 日产日清 check; `not_cleared` counts the stations that failed it.
pub async fn list_stations(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<DayQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let (date, _) = local_day(&state, &q)?;
    let day = date.to_string();
    let stations = state.store.list_stations().await?;
    let tonnage = state.store.tonnage(&day, &day).await?;
    let items: Vec<Value> = stations
        .iter()
        .map(|s| station_json(s, tonnage.iter().find(|t| t.station_id == s.station_id)))
        .collect();
    let not_cleared = items
        .iter()
        .filter(|i| i["tonnage"]["cleared"] == json!(false))
        .count();
    Ok(Json(
        json!({ "day": day, "items": items, "not_cleared": not_cleared }),
    ))
}

/// `POST /api/stations` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StationInput {
    pub station_id: String,
    pub name: String,
    pub lat: f64,
    pub lon: f64,
    /// A garbage truck within this distance is at the station, metres (default 50).
    pub radius_m: Option<f64>,
    /// Daily capacity, tonnes.
    pub capacity_t: Option<f64>,
}

/// `POST /api/stations` — admin registers a transfer station or replaces its settings.
pub async fn upsert_station(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<StationInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if !valid_id(&req.station_id) {
        return Err(invalid_id("station_id", &req.station_id));
    }
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "missing_field",
            "name: 1–100 characters",
        ));
    }
    let radius_m = req.radius_m.unwrap_or(50.0);
    if !(radius_m.is_finite() && radius_m > 0.0 && radius_m <= 5_000.0) {
        return Err(ApiError::unprocessable(
            "invalid",
            "radius_m: more than 0 and at most 5000 metres",
        ));
    }
    if let Some(c) = req.capacity_t
        && !(c.is_finite() && c > 0.0)
    {
        return Err(ApiError::unprocessable(
            "invalid",
            "capacity_t: a positive number of tonnes",
        ));
    }
    let s = TransferStation {
        station_id: req.station_id,
        name: name.to_owned(),
        lat: req.lat,
        lon: req.lon,
        radius_m,
        capacity_t: req.capacity_t,
        grid_code: grid_of(&state, Some(req.lat), Some(req.lon))?,
    };
    state.store.upsert_station(&s).await?;
    Ok((StatusCode::CREATED, Json(station_json(&s, None))))
}

/// `PUT /api/stations/{id}/tonnage/{day}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TonnageInput {
    /// Tonnes received that day.
    pub in_t: f64,
    /// Tonnes transferred out that day.
    pub out_t: f64,
}

/// Admins and handlers of a sanitation department 环卫 enter tonnage (and write collection
/// routes).
pub(crate) async fn require_tonnage_writer(state: &AppState, auth: &AuthUser) -> ApiResult<()> {
    if auth.caller.has_role(Role::Admin) {
        return Ok(());
    }
    for g in &auth.caller.grants {
        if g.role == Role::DepartmentHandler
            && let Some(d) = g.department_id
            && let Some(dept) = state.store.get_department(d).await?
            && dept.dept_type == DepartmentType::Sanitation
        {
            return Ok(());
        }
    }
    Err(ApiError::Forbidden(
        "tonnage is entered by admins and sanitation department staff".into(),
    ))
}

/// `PUT /api/stations/{id}/tonnage/{day}` — sets a station's tonnage in and out of one day and
/// answers with the 日产日清 check.
pub async fn put_tonnage(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((id, day)): Path<(String, String)>,
    Json(req): Json<TonnageInput>,
) -> ApiResult<Json<Value>> {
    require_tonnage_writer(&state, &auth).await?;
    let date = NaiveDate::parse_from_str(&day, "%Y-%m-%d").map_err(|_| {
        ApiError::unprocessable(
            "invalid_tonnage",
            format!("day {day:?} is not a date (YYYY-MM-DD)"),
        )
    })?;
    let today = state.now().to_shanghai().date();
    if date > today {
        return Err(ApiError::unprocessable(
            "invalid_tonnage",
            format!("day {date} is in the future"),
        ));
    }
    for (name, v) in [("in_t", req.in_t), ("out_t", req.out_t)] {
        if !(v.is_finite() && (0.0..=100_000.0).contains(&v)) {
            return Err(ApiError::unprocessable(
                "invalid_tonnage",
                format!("{name}: 0–100000 tonnes"),
            ));
        }
    }
    let station = state
        .store
        .list_stations()
        .await?
        .into_iter()
        .find(|s| s.station_id == id)
        .ok_or(ApiError::NotFound("transfer station"))?;
    let t = store::Tonnage {
        station_id: id,
        day: date.to_string(),
        in_t: req.in_t,
        out_t: req.out_t,
        updated_at: state.now(),
    };
    state.store.put_tonnage(&t).await?;
    // A closed day entered (or corrected) late is judged at once; the periodic check would
    // reach it within a minute anyway, so a failure here is only logged.
    if date < today
        && let Err(e) = check_stations(&state, Some(&station.station_id)).await
    {
        tracing::warn!(station = %station.station_id, error = %e, "日产日清 check failed");
    }
    Ok(Json(station_json(&station, Some(&t))))
}

/// What one run of [`check_stations`] did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StationCheck {
    /// Open keys of the alarms raised (one per station and failed day).
    pub raised: Vec<String>,
    /// Open keys of the alarms cleared by a cleared day.
    pub cleared: Vec<String>,
}

/// The 日产日清 check of the closed days (the last [`STATION_CHECK_DAYS`] before today, local)
/// of every station, or of station `only`: a day that closed with more stock left than the
/// tolerance raises `station.not_cleared:<day>` in class 06042 (see [`supervision::station`])
/// unless that station-day was ever raised before (whatever became of the alarm since), and a
/// cleared day clears the open ones of that day and the days before it. The raised alarms go to
/// the live streams; the alarm worker files their cases. Stateless and idempotent, so every
/// node may run it: two nodes racing on one day end with one alarm (the open key), at worst
/// counting a repeat.
///
/// # Errors
/// The store fails (nothing of a station is written unless all its signals are).
pub async fn check_stations(state: &AppState, only: Option<&str>) -> ApiResult<StationCheck> {
    use supervision::station::{check, clears_for, day_of_rule};
    let now = state.now();
    let today = now.to_shanghai().date();
    let (Some(first), Some(last)) = (
        today.checked_sub_days(chrono::Days::new(STATION_CHECK_DAYS)),
        today.pred_opt(),
    ) else {
        return Ok(StationCheck::default());
    };
    let config = station_config();
    let tonnage = state
        .store
        .tonnage(&first.to_string(), &last.to_string())
        .await?;
    let mut out = StationCheck::default();
    for s in state.store.list_stations().await? {
        if only.is_some_and(|id| id != s.station_id) {
            continue;
        }
        let days: Vec<&store::Tonnage> = tonnage
            .iter()
            .filter(|t| t.station_id == s.station_id)
            .collect();
        if days.is_empty() {
            continue;
        }
        let past = state
            .store
            .list_alarms(&store::AlarmFilter {
                source_kind: Some("station".into()),
                source_id: Some(s.station_id.clone()),
                rule: Some("station.".into()),
                limit: 1000,
                ..store::AlarmFilter::default()
            })
            .await?
            .items;
        let mut raised_days: Vec<String> = past
            .iter()
            .filter_map(|a| day_of_rule(&a.rule).map(str::to_owned))
            .collect();
        let mut open: Vec<String> = past
            .iter()
            .filter(|a| a.state != "cleared" && day_of_rule(&a.rule).is_some())
            .map(|a| a.rule.clone())
            .collect();
        let station = Station {
            id: s.station_id.clone(),
            name: s.name.clone(),
            position: Point {
                lon: s.lon,
                lat: s.lat,
            },
        };
        let mut signals = Vec::new();
        for t in days {
            let Ok(date) = NaiveDate::parse_from_str(&t.day, "%Y-%m-%d") else {
                continue;
            };
            let Some(next) = date.succ_opt() else {
                continue;
            };
            let d = StationDay {
                day: t.day.clone(),
                in_t: t.in_t,
                out_t: t.out_t,
                closed_at: Timestamp::shanghai_midnight(next),
            };
            match check(&config, &station, &d) {
                None => {
                    let clears =
                        clears_for(&s.station_id, &d.day, open.iter().map(String::as_str), now);
                    open.retain(|r| day_of_rule(r).is_none_or(|x| x > d.day.as_str()));
                    signals.extend(clears);
                }
                Some(raise) if !raised_days.contains(&d.day) => {
                    raised_days.push(d.day.clone());
                    open.push(raise.key().rule.clone());
                    signals.push(raise);
                }
                Some(_) => {}
            }
        }
        if signals.is_empty() {
            continue;
        }
        let writes: Vec<store::AlarmWrite> = signals
            .into_iter()
            .map(|sig| store::AlarmWrite::from_signal(sig, s.grid_code.clone()))
            .collect();
        state.store.write_alarms(&writes).await?;
        for w in &writes {
            match w {
                store::AlarmWrite::Raise(r) => out.raised.push(r.open_key.clone()),
                store::AlarmWrite::Clear(c) => out.cleared.push(c.open_key.clone()),
            }
        }
    }
    if !out.raised.is_empty() {
        for a in state.store.open_alarms_by_key(&out.raised).await? {
            crate::supervise::publish_alarm(state, &a);
        }
        tracing::info!(raised = ?out.raised, "transfer stations failed 日产日清");
    }
    Ok(out)
}

/// Runs [`check_stations`] at once and then every [`STATION_CHECK_INTERVAL`] until `shutdown`
/// (every node may run it: see there).
pub fn spawn_station_checks(
    state: AppState,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            if let Err(e) = check_stations(&state, None).await {
                tracing::warn!(error = %e, "日产日清 check failed");
            }
            tokio::select! {
                () = shutdown.cancelled() => return,
                () = tokio::time::sleep(STATION_CHECK_INTERVAL) => {}
            }
        }
    })
}

/// Routes of this module; the report cache is this router's (one per node).
pub fn router() -> Router<AppState> {
    use axum::routing::{get, put};
    Router::new()
        .route("/api/sweeping/coverage", get(sweeping))
        .route("/api/patrol/coverage", get(patrol))
        .route("/api/garbage/collection", get(garbage))
        .route("/api/sanitation/route-report", get(route_report))
        .route("/api/stations", get(list_stations).post(upsert_station))
        .route("/api/stations/{id}/tonnage/{day}", put(put_tonnage))
        .layer(Extension(SanitationState::default()))
}
