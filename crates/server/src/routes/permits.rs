//! Muck-truck permits 渣土处置核准 over HTTP: list, read, create, replace and revoke.
//!
//! The request body is the permit as the supervision rules read it
//! ([`supervision::muck::Permit`] without its `id`): the trucks, the construction site
//! 出土工地 and disposal site 消纳场 polygons, the route corridor, the daily time windows and the
//! validity dates. A body that parses but is not a usable permit is refused with 422
//! `invalid_permit` listing every problem ([`Permit::validate`]).
//!
//! Staff read; admins and handlers of an enforcement department 执法部门 write. Every change
//! publishes [`BusEvent::PermitsChanged`], on which the running muck supervisor of every node
//! reloads the permits in force ([`permit_of`] turns a stored record into the rules' form).

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use domain::org::{DepartmentType, Role};
use grid::{MultiPolygon, Polyline};
use serde::Deserialize;
use serde_json::{Value, json};
use store::PermitRecord;
use supervision::muck::{Permit, PermitVehicle, TimeWindow};

use crate::AppState;
use crate::auth::AuthUser;
use crate::bus::BusEvent;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};

/// Longest permit number and company name, in characters.
const MAX_TEXT: usize = 100;

/// The permit of a stored record, in the form the muck supervisor takes; its `id` is the
/// record id (as text).
///
/// # Errors
/// The stored body is not a permit (written by hand, or by an older version).
pub fn permit_of(record: &PermitRecord) -> Result<Permit, serde_json::Error> {
    let mut body = record.body.clone();
    if let Some(o) = body.as_object_mut() {
        o.insert("id".into(), json!(record.id.to_string()));
        o.insert("number".into(), json!(record.number));
        o.insert("company".into(), json!(record.company));
    }
    serde_json::from_value(body)
}

/// `POST /api/permits` and `PUT /api/permits/{id}` body: a permit without its id.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PermitInput {
    /// Ignored: the record id is the permit's id (clients may echo what they read).
    #[serde(default)]
    pub id: Option<Value>,
    /// 核准证号, unique.
    pub number: String,
    /// 运输企业.
    pub company: String,
    pub vehicles: Vec<PermitVehicle>,
    pub construction_site: MultiPolygon,
    pub disposal_site: MultiPolygon,
    pub route: Polyline,
    pub corridor_width_m: f64,
    /// Daily windows; empty or absent = any hour of a valid day.
    #[serde(default)]
    pub windows: Vec<TimeWindow>,
    pub valid_from: NaiveDate,
    pub valid_to: NaiveDate,
}

impl PermitInput {
    fn into_permit(self, id: String) -> Permit {
        Permit {
            id,
            number: self.number.trim().to_owned(),
            company: self.company.trim().to_owned(),
            vehicles: self
                .vehicles
                .into_iter()
                .map(|v| PermitVehicle {
                    // The same form as the gateway's terminal phone: no padding zeros.
                    phone: v.phone.trim().trim_start_matches('0').to_owned(),
                    plate: v.plate.map(|p| p.trim().to_owned()),
                })
                .collect(),
            construction_site: self.construction_site,
            disposal_site: self.disposal_site,
            route: self.route,
            corridor_width_m: self.corridor_width_m,
            windows: self.windows,
            valid_from: self.valid_from,
            valid_to: self.valid_to,
        }
    }
}

/// 422 `invalid_permit` with every problem, in the message and as `problems`.
fn invalid(problems: Vec<String>) -> Response {
    let message = format!("the permit is not usable: {}", problems.join("; "));
    (
        StatusCode::UNPROCESSABLE_ENTITY,
        axum::Json(
            json!({"error": {"code": "invalid_permit", "message": message, "problems": problems}}),
        ),
    )
        .into_response()
}

/// Every problem of a permit: the rules' own checks and the API's text limits.
fn problems(p: &Permit) -> Vec<String> {
    let mut out: Vec<String> = match p.validate() {
        Ok(()) => Vec::new(),
        Err(e) => e.problems.iter().map(ToString::to_string).collect(),
    };
    if p.number.chars().count() > MAX_TEXT {
        out.push(format!(
            "the permit number is longer than {MAX_TEXT} characters"
        ));
    }
    for (i, v) in p.vehicles.iter().enumerate() {
        if !v.phone.is_empty()
            && (v.phone.len() > 20 || !v.phone.bytes().all(|b| b.is_ascii_digit()))
        {
            out.push(format!(
                "vehicle {i} has a terminal phone that is not 1–20 digits"
            ));
        }
    }
    if p.company.trim().is_empty() {
        out.push("the company is empty".into());
    } else if p.company.chars().count() > MAX_TEXT {
        out.push(format!("the company is longer than {MAX_TEXT} characters"));
    }
    out
}

/// Whether the caller may write permits: an admin, or a handler of an enforcement department.
async fn require_writer(state: &AppState, auth: &AuthUser) -> ApiResult<()> {
    if auth.caller.has_role(Role::Admin) {
        return Ok(());
    }
    for g in &auth.caller.grants {
        if g.role == Role::DepartmentHandler
            && let Some(d) = g.department_id
            && let Some(dept) = state.store.get_department(d).await?
            && dept.dept_type == DepartmentType::Enforcement
        {
            return Ok(());
        }
    }
    Err(ApiError::Forbidden(
        "permits are written by admins and enforcement department staff".into(),
    ))
}

fn today(state: &AppState) -> NaiveDate {
    state.now().to_shanghai().date()
}

fn permit_json(r: &PermitRecord, today: NaiveDate) -> Value {
    let day = today.to_string();
    let in_force = r.revoked_at.is_none()
        && r.valid_from.as_str() <= day.as_str()
        && r.valid_to.as_str() >= day.as_str();
    let mut v = json!({
        "id": r.id,
        "number": r.number,
        "company": r.company,
        "valid_from": r.valid_from,
        "valid_to": r.valid_to,
        "revoked": r.revoked_at.is_some(),
        "revoked_at": r.revoked_at.map(|t| t.to_rfc3339()),
        "revoked_reason": r.body.get("revoked_reason").cloned().unwrap_or(Value::Null),
        "in_force": in_force,
        "created_at": r.created_at.to_rfc3339(),
        "updated_at": r.updated_at.to_rfc3339(),
    });
    for key in [
        "vehicles",
        "construction_site",
        "disposal_site",
        "route",
        "corridor_width_m",
        "windows",
    ] {
        if let Some(x) = r.body.get(key) {
            v[key] = x.clone();
        }
    }
    v
}

fn publish(state: &AppState, permit_id: i64) {
    state.bus.publish(BusEvent::PermitsChanged { permit_id });
}

/// `GET /api/permits` query.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// Only permits in force on this day (`YYYY-MM-DD`, not revoked).
    pub valid_on: Option<String>,
    /// Only permits naming this plate.
    pub plate: Option<String>,
    /// Only permits naming this terminal phone (leading zeros ignored).
    pub phone: Option<String>,
}

/// Parses a `YYYY-MM-DD` query value.
pub(crate) fn parse_day(name: &str, s: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| {
        ApiError::unprocessable(
            "invalid_query",
            format!("{name}: {s:?} is not a date (YYYY-MM-DD)"),
        )
    })
}

/// `GET /api/permits` — permits, newest first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let valid_on = match q.valid_on.as_deref() {
        Some(d) => Some(parse_day("valid_on", d)?.to_string()),
        None => None,
    };
    let records = state.store.list_permits(valid_on.as_deref()).await?;
    let phone = q
        .phone
        .as_deref()
        .map(|p| p.trim().trim_start_matches('0').to_owned());
    let plate = q.plate.as_deref().map(str::trim);
    let names = |r: &PermitRecord, key: &str, want: &str| {
        r.body["vehicles"]
            .as_array()
            .is_some_and(|vs| vs.iter().any(|v| v[key].as_str() == Some(want)))
    };
    let today = today(&state);
    let items: Vec<Value> = records
        .iter()
        .filter(|r| phone.as_deref().is_none_or(|p| names(r, "phone", p)))
        .filter(|r| plate.is_none_or(|p| names(r, "plate", p)))
        .map(|r| permit_json(r, today))
        .collect();
    Ok(Json(json!({ "items": items })))
}

/// `GET /api/permits/{id}` — one permit.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let r = state
        .store
        .permit(id)
        .await?
        .ok_or(ApiError::NotFound("permit"))?;
    Ok(Json(permit_json(&r, today(&state))))
}

/// `POST /api/permits` — registers a permit.
pub async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<PermitInput>,
) -> ApiResult<Response> {
    require_writer(&state, &auth).await?;
    // Validated under a placeholder id; stored with the record id once it has one.
    let mut permit = req.into_permit("new".into());
    let found = problems(&permit);
    if !found.is_empty() {
        return Ok(invalid(found));
    }
    let now = state.now();
    let body = serde_json::to_value(&permit)
        .map_err(|e| ApiError::Internal(format!("permit body: {e}")))?;
    let id = state
        .store
        .create_permit(
            &permit.number,
            &permit.company,
            &permit.valid_from.to_string(),
            &permit.valid_to.to_string(),
            &body,
            now,
        )
        .await?;
    permit.id = id.to_string();
    let body = serde_json::to_value(&permit)
        .map_err(|e| ApiError::Internal(format!("permit body: {e}")))?;
    state
        .store
        .update_permit(
            id,
            &permit.company,
            &permit.valid_from.to_string(),
            &permit.valid_to.to_string(),
            &body,
            now,
        )
        .await?;
    publish(&state, id);
    let r = state
        .store
        .permit(id)
        .await?
        .ok_or(ApiError::NotFound("permit"))?;
    Ok((StatusCode::CREATED, Json(permit_json(&r, today(&state)))).into_response())
}

async fn active(state: &AppState, id: i64) -> ApiResult<PermitRecord> {
    let r = state
        .store
        .permit(id)
        .await?
        .ok_or(ApiError::NotFound("permit"))?;
    if r.revoked_at.is_some() {
        return Err(ApiError::Conflict {
            code: "permit_revoked",
            message: format!("permit {} is revoked; register a new one", r.number),
            current: None,
        });
    }
    Ok(r)
}

/// `PUT /api/permits/{id}` — replaces a permit's content (its number stays).
pub async fn replace(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<PermitInput>,
) -> ApiResult<Response> {
    require_writer(&state, &auth).await?;
    let current = active(&state, id).await?;
    let permit = req.into_permit(id.to_string());
    let mut found = problems(&permit);
    if permit.number != current.number {
        found.push(format!(
            "the permit number cannot change (it is {})",
            current.number
        ));
    }
    if !found.is_empty() {
        return Ok(invalid(found));
    }
    let body = serde_json::to_value(&permit)
        .map_err(|e| ApiError::Internal(format!("permit body: {e}")))?;
    state
        .store
        .update_permit(
            id,
            &permit.company,
            &permit.valid_from.to_string(),
            &permit.valid_to.to_string(),
            &body,
            state.now(),
        )
        .await?;
    publish(&state, id);
    let r = state
        .store
        .permit(id)
        .await?
        .ok_or(ApiError::NotFound("permit"))?;
    Ok(Json(permit_json(&r, today(&state))).into_response())
}

/// `POST /api/permits/{id}/revoke` body (optional).
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevokeInput {
    /// Why (kept with the permit).
    pub reason: Option<String>,
}

/// Longest revocation reason, in characters.
const MAX_REASON: usize = 500;

/// `POST /api/permits/{id}/revoke` — revokes a permit from now on (kept for history), with an
/// optional JSON body `{"reason": …}`.
pub async fn revoke(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    body: axum::body::Bytes,
) -> ApiResult<Json<Value>> {
    require_writer(&state, &auth).await?;
    let input: RevokeInput = if body.iter().all(u8::is_ascii_whitespace) {
        RevokeInput::default()
    } else {
        match serde_json::from_slice(&body) {
            Ok(i) => i,
            Err(e) if e.is_data() => {
                return Err(ApiError::unprocessable("invalid_body", e.to_string()));
            }
            Err(e) => return Err(ApiError::BadJson(e.to_string())),
        }
    };
    let reason = input
        .reason
        .as_deref()
        .map(str::trim)
        .filter(|r| !r.is_empty());
    if reason.is_some_and(|r| r.chars().count() > MAX_REASON) {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("reason: at most {MAX_REASON} characters"),
        ));
    }
    let current = active(&state, id).await?;
    let now = state.now();
    if let Some(reason) = reason {
        let mut body = current.body.clone();
        if let Some(o) = body.as_object_mut() {
            o.insert("revoked_reason".into(), json!(reason));
        }
        state
            .store
            .update_permit(
                id,
                &current.company,
                &current.valid_from,
                &current.valid_to,
                &body,
                now,
            )
            .await?;
    }
    state.store.revoke_permit(id, now).await?;
    publish(&state, id);
    let r = state
        .store
        .permit(id)
        .await?
        .ok_or(ApiError::NotFound("permit"))?;
    Ok(Json(permit_json(&r, today(&state))))
}

/// Routes of this module.
pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/permits", get(list).post(create))
        .route("/api/permits/{id}", get(detail).put(replace))
        .route("/api/permits/{id}/revoke", post(revoke))
}
