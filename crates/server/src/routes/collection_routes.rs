//! Collection routes 收运路线 over HTTP: `GET/POST /api/sanitation/routes`,
//! `GET/PUT/DELETE /api/sanitation/routes/{id}`. Staff read; admins and handlers of a
//! sanitation department 环卫 write. The rules (a route point not collected by its truck by the
//! finish time raises `garbage.route_missed:<route id>`) are in
//! [`supervision::collection_route`]; the per-route daily report is
//! `GET /api/sanitation/route-report` ([`crate::routes::sanitation::route_report`]).
//!
//! A route is checked before it is stored: a valid id, a garbage truck (kind `garbage_truck`)
//! whose registered category (read from its `company`, see [`WasteCategory::from_marker`]), if
//! any, is the route's; 1–500 distinct collection points that exist and collect the route's
//! category; a schedule; a finish time `HH:MM` from `00:01` to `24:00`. After a change every
//! node's device supervisors reload their directories ([`BusEvent::RoutesChanged`]).

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use domain::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use store::Vehicle;
use supervision::collection_route::{self, RouteDays, RouteError};
use supervision::garbage::{CollectionPoint, WasteCategory};

use crate::AppState;
use crate::auth::AuthUser;
use crate::bus::BusEvent;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path};
use crate::routes::sanitation::require_tonnage_writer;
use crate::routes::sensors::{invalid_id, valid_id};
use crate::routes::{STAFF, require_any};

/// Who writes routes: admins, and department handlers of a sanitation department (checked by
/// the handler).
pub const ROUTE_WRITERS: &[Role] = &[Role::Admin, Role::DepartmentHandler];

/// `POST /api/sanitation/routes` and `PUT …/{id}` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteInput {
    /// Required on POST; on PUT, when given, it must be the path's.
    pub route_id: Option<String>,
    pub name: String,
    pub vehicle_id: i64,
    pub category: String,
    pub points: Vec<String>,
    pub days: Value,
    /// `HH:MM`, `00:01`–`24:00`.
    pub finish_by: String,
    #[serde(default)]
    pub any_truck: bool,
}

/// `HH:MM` → minute of the day (1..=1440).
pub fn parse_finish(s: &str) -> Option<u32> {
    let (h, m) = s.split_once(':')?;
    if h.len() != 2 || m.len() != 2 {
        return None;
    }
    let h: u32 = h.parse().ok()?;
    let m: u32 = m.parse().ok()?;
    let total = h.checked_mul(60)?.checked_add(m)?;
    (m < 60 && (1..=1440).contains(&total)).then_some(total)
}

/// Minute of the day → `HH:MM`.
pub fn format_finish(minute: i64) -> String {
    format!("{:02}:{:02}", minute / 60, minute % 60)
}

fn invalid(message: impl Into<String>) -> ApiError {
    ApiError::unprocessable("invalid_route", message)
}

/// The route as the API shows it.
pub fn route_json(r: &store::CollectionRoute, vehicle: Option<&Vehicle>) -> Value {
    json!({
        "route_id": r.route_id,
        "name": r.name,
        "vehicle_id": r.vehicle_id,
        "plate": vehicle.map(|v| v.plate.clone()),
        "category": r.category,
        "points": r.points,
        "days": r.days,
        "finish_by": format_finish(r.finish_by),
        "any_truck": r.any_truck,
        "created_at": r.created_at.to_rfc3339(),
        "updated_at": r.updated_at.to_rfc3339(),
    })
}

/// The stored route as the rules take it (`None` when the stored row is unusable: its truck
/// gone, an unknown category or schedule). `key` names the tracker id of a vehicle.
pub fn rules_route(
    r: &store::CollectionRoute,
    vehicles: &[Vehicle],
    key: impl Fn(&Vehicle) -> String,
) -> Option<collection_route::CollectionRoute> {
    let v = vehicles.iter().find(|v| v.id == r.vehicle_id)?;
    Some(collection_route::CollectionRoute {
        id: r.route_id.clone(),
        name: r.name.clone(),
        truck: key(v),
        plate: Some(v.plate.clone()),
        category: WasteCategory::parse(&r.category)?,
        points: r.points.clone(),
        days: serde_json::from_value(r.days.clone()).ok()?,
        finish_by: u32::try_from(r.finish_by).ok()?,
        any_truck: r.any_truck,
    })
}

/// Checks an input and returns the row to store (times set to `now`).
async fn checked(state: &AppState, id: &str, req: RouteInput) -> ApiResult<store::CollectionRoute> {
    if !valid_id(id) {
        return Err(invalid_id("route_id", id));
    }
    let category = WasteCategory::parse(&req.category).ok_or_else(|| {
        ApiError::unprocessable(
            "unknown_category",
            format!(
                "category {:?}: use kitchen, other, recyclable or hazardous",
                req.category
            ),
        )
    })?;
    let days: RouteDays = serde_json::from_value(req.days.clone()).map_err(|e| {
        invalid(format!(
            "days: {{\"kind\":\"daily\"}}, {{\"kind\":\"working_days\"}} or {{\"kind\":\"weekdays\",\"days\":[1,…,7]}} ({e})"
        ))
    })?;
    let finish_by = parse_finish(&req.finish_by)
        .ok_or_else(|| invalid("finish_by: a time of day HH:MM from 00:01 to 24:00"))?;
    let vehicle = state
        .store
        .get_vehicle(req.vehicle_id)
        .await?
        .ok_or_else(|| {
            ApiError::unprocessable(
                "unknown_vehicle",
                format!("vehicle {} does not exist", req.vehicle_id),
            )
        })?;
    if vehicle.kind != "garbage_truck" {
        return Err(ApiError::unprocessable(
            "not_garbage_truck",
            format!(
                "vehicle {} ({}) is a {}, not a garbage truck",
                vehicle.id, vehicle.plate, vehicle.kind
            ),
        ));
    }
    if let Some(own) = vehicle
        .company
        .as_deref()
        .and_then(WasteCategory::from_marker)
        && own != category
    {
        return Err(ApiError::unprocessable(
            "category_mismatch",
            format!(
                "truck {} carries {}, the route {}",
                vehicle.plate,
                own.as_str(),
                category.as_str()
            ),
        ));
    }
    let points: Vec<CollectionPoint> = state
        .store
        .list_collection_points()
        .await?
        .into_iter()
        .filter_map(|p| {
            Some(CollectionPoint {
                category: WasteCategory::parse(&p.category)?,
                id: p.point_id,
                name: p.name,
                position: grid::Point::new(p.lon, p.lat),
            })
        })
        .collect();
    let route = collection_route::CollectionRoute {
        id: id.to_owned(),
        name: req.name.trim().to_owned(),
        truck: String::new(),
        plate: None,
        category,
        points: req.points.clone(),
        days,
        finish_by,
        any_truck: req.any_truck,
    };
    collection_route::validate(&route, &points).map_err(|e| match e {
        RouteError::Invalid(m) => invalid(m),
        RouteError::UnknownPoint(_) => ApiError::unprocessable("unknown_point", e.to_string()),
        RouteError::CategoryMismatch { .. } => {
            ApiError::unprocessable("category_mismatch", e.to_string())
        }
    })?;
    let now = state.now();
    Ok(store::CollectionRoute {
        route_id: id.to_owned(),
        name: route.name,
        vehicle_id: vehicle.id,
        category: category.as_str().to_owned(),
        points: route.points,
        days: serde_json::to_value(&route.days)
            .map_err(|e| ApiError::Internal(format!("route days: {e}")))?,
        finish_by: i64::from(finish_by),
        any_truck: route.any_truck,
        created_at: now,
        updated_at: now,
    })
}

fn changed(state: &AppState, route_id: &str) {
    state.bus.publish(BusEvent::RoutesChanged {
        route_id: route_id.to_owned(),
    });
}

/// `GET /api/sanitation/routes` — every route, by id.
pub async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let vehicles = state.store.list_vehicles().await?;
    let items: Vec<Value> = state
        .store
        .list_collection_routes()
        .await?
        .iter()
        .map(|r| route_json(r, vehicles.iter().find(|v| v.id == r.vehicle_id)))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/sanitation/routes/{id}`.
pub async fn show(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let r = state
        .store
        .get_collection_route(&id)
        .await?
        .ok_or(ApiError::NotFound("collection route"))?;
    let v = state.store.get_vehicle(r.vehicle_id).await?;
    Ok(Json(route_json(&r, v.as_ref())))
}

/// `POST /api/sanitation/routes` — adds a route; 409 `route_exists` when the id is taken.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<RouteInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_tonnage_writer(&state, &auth).await?;
    let id = req
        .route_id
        .clone()
        .ok_or_else(|| ApiError::unprocessable("missing_field", "route_id is required"))?;
    let row = checked(&state, &id, req).await?;
    match state.store.insert_collection_route(&row).await {
        Ok(()) => {}
        Err(store::StoreError::Duplicate(_)) => {
            return Err(ApiError::Conflict {
                code: "route_exists",
                message: format!("a route {id:?} exists; change it with PUT"),
                current: None,
            });
        }
        Err(e) => return Err(e.into()),
    }
    changed(&state, &id);
    let v = state.store.get_vehicle(row.vehicle_id).await?;
    Ok((StatusCode::CREATED, Json(route_json(&row, v.as_ref()))))
}

/// `PUT /api/sanitation/routes/{id}` — replaces a route's settings.
pub async fn update(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
    Json(req): Json<RouteInput>,
) -> ApiResult<Json<Value>> {
    require_tonnage_writer(&state, &auth).await?;
    if req.route_id.as_deref().is_some_and(|r| r != id) {
        return Err(invalid(format!(
            "route_id {:?} differs from the path's {id:?}",
            req.route_id.unwrap_or_default()
        )));
    }
    if state.store.get_collection_route(&id).await?.is_none() {
        return Err(ApiError::NotFound("collection route"));
    }
    let row = checked(&state, &id, req).await?;
    let stored = state.store.update_collection_route(&row).await?;
    changed(&state, &id);
    let v = state.store.get_vehicle(stored.vehicle_id).await?;
    Ok(Json(route_json(&stored, v.as_ref())))
}

/// `DELETE /api/sanitation/routes/{id}` — 204; its open alarms stay until cleared by hand.
pub async fn delete(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<String>,
) -> ApiResult<StatusCode> {
    require_tonnage_writer(&state, &auth).await?;
    if !state.store.delete_collection_route(&id).await? {
        return Err(ApiError::NotFound("collection route"));
    }
    changed(&state, &id);
    Ok(StatusCode::NO_CONTENT)
}

/// Routes of this module.
pub fn router() -> Router<AppState> {
    use axum::routing::get;
    Router::new()
        .route("/api/sanitation/routes", get(list).post(create))
        .route(
            "/api/sanitation/routes/{id}",
            get(show).put(update).delete(delete),
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finish_times() {
        assert_eq!(parse_finish("09:30"), Some(570));
        assert_eq!(parse_finish("24:00"), Some(1440));
        assert_eq!(parse_finish("00:00"), None);
        assert_eq!(parse_finish("24:01"), None);
        assert_eq!(parse_finish("9:30"), None);
        assert_eq!(parse_finish("09:60"), None);
        assert_eq!(parse_finish("ab:cd"), None);
        assert_eq!(format_finish(570), "09:30");
        assert_eq!(format_finish(1440), "24:00");
    }
}
