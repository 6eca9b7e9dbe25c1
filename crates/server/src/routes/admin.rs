//! Organisation and configuration: areas, departments, users and grants, API keys, taxonomy,
//! node limits, work schedule and the holiday calendar.

use axum::extract::State;
use axum::http::StatusCode;
use domain::area::{AreaCode, AreaLevel};
use domain::calendar::{SpecialDay, WorkCalendar, WorkSchedule};
use domain::org::{DepartmentType, Role, RoleGrant};
use domain::taxonomy::{ClassKind, GB_47678_5_2026, HandlingLimits, TaxonomyClass};
use domain::time::Timestamp;
use domain::workflow::NodeLimits;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Area, NewDepartment, NewUser};

use super::require_any;
use crate::AppState;
use crate::auth::{self, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::rules::{NODE_LIMITS, WORK_SCHEDULE};

fn code(field: &str, s: &str) -> ApiResult<AreaCode> {
    AreaCode::parse(s.trim())
        .map_err(|e| ApiError::unprocessable("invalid_area_code", format!("{field}: {e}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaQuery {
    pub parent: Option<String>,
    pub level: Option<String>,
}

/// `GET /api/areas?parent=&level=` — children of an area (districts without `parent`).
pub async fn list_areas(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<AreaQuery>,
) -> ApiResult<Json<Vec<Area>>> {
    if let Some(level) = q.level {
        let level = match level.as_str() {
            "district" => AreaLevel::District,
            "street" => AreaLevel::Street,
            "community" => AreaLevel::Community,
            "grid" => AreaLevel::Grid,
            other => return Err(ApiError::BadRequest(format!("unknown level {other:?}"))),
        };
        return Ok(Json(state.store.list_areas_at(level).await?));
    }
    let parent = match q.parent.as_deref() {
        Some(p) => Some(AreaCode::parse(p).map_err(|e| ApiError::BadRequest(e.to_string()))?),
        None => None,
    };
    Ok(Json(state.store.list_areas(parent.as_ref()).await?))
}

/// `GET /api/areas/{code}`.
pub async fn get_area(
    State(state): State<AppState>,
    _auth: AuthUser,
    Path(c): Path<String>,
) -> ApiResult<Json<Area>> {
    let c = AreaCode::parse(&c).map_err(|e| ApiError::BadRequest(e.to_string()))?;
    Ok(Json(
        state
            .store
            .get_area(&c)
            .await?
            .ok_or(ApiError::NotFound("area"))?,
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AreaInput {
    pub code: String,
    pub name: String,
}

/// `POST /api/areas` — admin: add or rename areas (parents are implied by the codes).
pub async fn upsert_areas(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(items): Json<Vec<AreaInput>>,
) -> ApiResult<StatusCode> {
    require_any(&auth, &[Role::Admin])?;
    let mut areas = Vec::with_capacity(items.len());
    for a in items {
        let c = code("code", &a.code)?;
        if a.name.trim().is_empty() {
            return Err(ApiError::unprocessable(
                "missing_field",
                format!("name of {c} is required"),
            ));
        }
        areas.push(Area {
            parent_code: c.parent(),
            code: c,
            name: a.name.trim().to_owned(),
        });
    }
    areas.sort_by_key(|a| a.code.as_str().len());
    state.store.upsert_areas(&areas, state.now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/departments`.
pub async fn list_departments(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> ApiResult<Json<Vec<store::Department>>> {
    Ok(Json(state.store.list_departments().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DepartmentInput {
    pub code: String,
    pub name: String,
    pub dept_type: String,
    #[serde(default)]
    pub areas: Vec<String>,
}

/// `POST /api/departments` — admin.
pub async fn create_department(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(d): Json<DepartmentInput>,
) -> ApiResult<(StatusCode, Json<store::Department>)> {
    require_any(&auth, &[Role::Admin])?;
    let dept_type = DepartmentType::parse(&d.dept_type).ok_or_else(|| {
        ApiError::unprocessable(
            "invalid",
            format!("unknown department type {:?}", d.dept_type),
        )
    })?;
    let areas = d
        .areas
        .iter()
        .map(|a| code("areas", a))
        .collect::<ApiResult<Vec<_>>>()?;
    let dept = state
        .store
        .create_department(
            &NewDepartment {
                code: d.code,
                name: d.name,
                dept_type,
                areas,
            },
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(dept)))
}

/// `GET /api/users` — admin.
pub async fn list_users(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<store::UserWithRoles>>> {
    require_any(&auth, &[Role::Admin])?;
    Ok(Json(state.store.list_users().await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GrantInput {
    pub role: String,
    pub area_code: Option<String>,
    pub department_id: Option<i64>,
}

fn grants(items: &[GrantInput]) -> ApiResult<Vec<RoleGrant>> {
    items
        .iter()
        .map(|g| {
            let role = Role::parse(&g.role).ok_or_else(|| {
                ApiError::unprocessable("invalid", format!("unknown role {:?}", g.role))
            })?;
            if role == Role::DepartmentHandler && g.department_id.is_none() {
                return Err(ApiError::unprocessable(
                    "missing_field",
                    "a department_handler grant needs department_id",
                ));
            }
            Ok(RoleGrant {
                role,
                area: g
                    .area_code
                    .as_deref()
                    .map(|a| code("area_code", a))
                    .transpose()?,
                department_id: g.department_id,
            })
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserInput {
    pub username: String,
    pub display_name: String,
    pub phone: Option<String>,
    pub password: String,
    #[serde(default)]
    pub grants: Vec<GrantInput>,
}

/// `POST /api/users` — admin: a user with role grants.
pub async fn create_user(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(u): Json<UserInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    if u.username.trim().is_empty() || u.username.len() > 64 {
        return Err(ApiError::unprocessable(
            "invalid",
            "username must be 1–64 characters",
        ));
    }
    if u.password.chars().count() < 8 {
        return Err(ApiError::unprocessable(
            "weak_password",
            "password must have at least 8 characters",
        ));
    }
    let grants = grants(&u.grants)?;
    let password = u.password.clone();
    let hash = tokio::task::spawn_blocking(move || auth::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))??;
    let id = state
        .store
        .create_user(
            &NewUser {
                username: u.username.trim().to_owned(),
                display_name: u.display_name,
                phone: u.phone,
                password_hash: hash,
                grants,
            },
            state.now(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(json!({ "id": id }))))
}

/// `PUT /api/users/{id}/grants` — admin: replace a user's roles and scopes.
pub async fn set_grants(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Json(items): Json<Vec<GrantInput>>,
) -> ApiResult<StatusCode> {
    require_any(&auth, &[Role::Admin])?;
    state.store.set_grants(id, &grants(&items)?).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/inspectors` — inspectors (id, name, areas) for verify/check assignment.
pub async fn inspectors(
    State(state): State<AppState>,
    auth: AuthUser,
) -> ApiResult<Json<Vec<Value>>> {
    require_any(
        &auth,
        &[
            Role::Operator,
            Role::ShiftSupervisor,
            Role::Dispatcher,
            Role::Leader,
            Role::Admin,
        ],
    )?;
    let users = state.store.users_with_role(Role::Inspector).await?;
    Ok(Json(
        users
            .iter()
            .filter(|u| u.user.active)
            .map(|u| {
                json!({
                    "id": u.user.id,
                    "display_name": u.user.display_name,
                    "areas": u.grants.iter().filter(|g| g.role == Role::Inspector).map(|g| g.area.as_ref().map(|a| a.as_str().to_owned())).collect::<Vec<_>>(),
                })
            })
            .collect(),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeyInput {
    pub name: String,
    pub user_id: i64,
}

/// `POST /api/api-keys` — admin: a key acting as `user_id`; shown once.
pub async fn create_api_key(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(k): Json<ApiKeyInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, &[Role::Admin])?;
    let key = format!("yw_{}", auth::new_token());
    state
        .store
        .create_api_key(&auth::token_hash(&key), &k.name, k.user_id, state.now())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "key": key, "name": k.name, "user_id": k.user_id })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassQuery {
    pub kind: Option<String>,
    pub major: Option<String>,
    pub q: Option<String>,
    pub standard_ref: Option<String>,
}

/// `GET /api/taxonomy?kind=&major=&q=&standard_ref=`.
pub async fn list_classes(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<ClassQuery>,
) -> ApiResult<Json<Vec<TaxonomyClass>>> {
    let all = state.store.list_classes().await?;
    Ok(Json(
        all.into_iter()
            .filter(|c| q.kind.as_deref().is_none_or(|k| c.kind.as_str() == k))
            .filter(|c| q.major.as_deref().is_none_or(|m| c.major_code == m))
            .filter(|c| {
                q.standard_ref
                    .as_deref()
                    .is_none_or(|s| c.standard_ref == s)
            })
            .filter(|c| {
                q.q.as_deref()
                    .is_none_or(|t| c.name.contains(t) || c.code.starts_with(t))
            })
            .collect(),
    ))
}

fn kind_of(k: &str) -> ApiResult<ClassKind> {
    ClassKind::parse(k)
        .ok_or_else(|| ApiError::BadRequest(format!("kind must be component or matter, not {k:?}")))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StdQuery {
    pub standard_ref: Option<String>,
}

/// `GET /api/taxonomy/{kind}/{code}?standard_ref=`.
pub async fn get_class(
    State(state): State<AppState>,
    _auth: AuthUser,
    Path((kind, code)): Path<(String, String)>,
    Query(q): Query<StdQuery>,
) -> ApiResult<Json<TaxonomyClass>> {
    let std_ref = q.standard_ref.unwrap_or_else(|| GB_47678_5_2026.to_owned());
    let c = state
        .store
        .get_class(&std_ref, kind_of(&kind)?, &code)
        .await?
        .ok_or(ApiError::NotFound("class"))?;
    Ok(Json(c))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClassUpdate {
    pub standard_ref: Option<String>,
    pub department_type: Option<String>,
    pub filing_conditions: Option<Vec<String>>,
    pub closing_condition: Option<String>,
    pub limits: Option<HandlingLimits>,
}

/// `PUT /api/taxonomy/{kind}/{code}` — admin: edit department type, conditions and limits.
pub async fn update_class(
    State(state): State<AppState>,
    auth: AuthUser,
    Path((kind, code)): Path<(String, String)>,
    Json(u): Json<ClassUpdate>,
) -> ApiResult<Json<TaxonomyClass>> {
    require_any(&auth, &[Role::Admin])?;
    let std_ref = u
        .standard_ref
        .clone()
        .unwrap_or_else(|| GB_47678_5_2026.to_owned());
    let mut c = state
        .store
        .get_class(&std_ref, kind_of(&kind)?, &code)
        .await?
        .ok_or(ApiError::NotFound("class"))?;
    if let Some(d) = &u.department_type {
        c.department_type = DepartmentType::parse(d).ok_or_else(|| {
            ApiError::unprocessable("invalid", format!("unknown department type {d:?}"))
        })?;
    }
    if let Some(f) = u.filing_conditions {
        if f.is_empty() || f.iter().any(|x| x.trim().is_empty()) {
            return Err(ApiError::unprocessable(
                "invalid",
                "filing_conditions must be non-empty texts",
            ));
        }
        c.filing_conditions = f;
    }
    if let Some(cc) = u.closing_condition {
        c.closing_condition = cc;
    }
    if let Some(l) = u.limits {
        let rules = state.rules.get(state.now()).await?;
        if !l.is_ordered(rules.calendar.minutes_per_workday()) || l.urgent.amount == 0 {
            return Err(ApiError::unprocessable(
                "invalid",
                "limits must be positive and urgent ≤ high ≤ normal",
            ));
        }
        c.limits = l;
    }
    state
        .store
        .upsert_classes(std::slice::from_ref(&c), state.now())
        .await?;
    // Open311 reads classes from the node's cached taxonomy: see the edit at once.
    state.rules.invalidate().await;
    Ok(Json(c))
}

/// `GET /api/config/node-limits`.
pub async fn get_node_limits(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> ApiResult<Json<NodeLimits>> {
    Ok(Json(state.rules.get(state.now()).await?.limits.clone()))
}

/// `PUT /api/config/node-limits` — admin; working minutes per node.
pub async fn put_node_limits(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(l): Json<NodeLimits>,
) -> ApiResult<Json<NodeLimits>> {
    require_any(&auth, &[Role::Admin])?;
    let all = [
        l.accept,
        l.verify,
        l.file,
        l.dispatch,
        l.sign,
        l.send_check,
        l.check,
        l.close,
        l.suspended,
    ];
    if all.iter().any(|m| *m <= 0 || *m > 420 * 365) {
        return Err(ApiError::unprocessable(
            "invalid",
            "every node limit must be 1–153300 working minutes",
        ));
    }
    state
        .store
        .put_setting(NODE_LIMITS, &l, state.now())
        .await?;
    state.rules.invalidate().await;
    Ok(Json(l))
}

/// `GET /api/config/work-schedule`.
pub async fn get_work_schedule(
    State(state): State<AppState>,
    _auth: AuthUser,
) -> ApiResult<Json<WorkSchedule>> {
    Ok(Json(
        state
            .rules
            .get(state.now())
            .await?
            .calendar
            .schedule()
            .clone(),
    ))
}

/// `PUT /api/config/work-schedule` — admin; windows as minutes after midnight.
pub async fn put_work_schedule(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(s): Json<WorkSchedule>,
) -> ApiResult<Json<WorkSchedule>> {
    require_any(&auth, &[Role::Admin])?;
    WorkCalendar::new(s.clone(), &[])
        .map_err(|e| ApiError::unprocessable("invalid", e.to_string()))?;
    state
        .store
        .put_setting(WORK_SCHEDULE, &s, state.now())
        .await?;
    state.rules.invalidate().await;
    Ok(Json(s))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// `GET /api/calendar/special-days?year=`.
pub async fn special_days(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<YearQuery>,
) -> ApiResult<Json<Vec<SpecialDay>>> {
    use chrono::Datelike;
    let days = state.store.special_days().await?;
    Ok(Json(
        days.into_iter()
            .filter(|d| q.year.is_none_or(|y| d.date.year() == y))
            .collect(),
    ))
}

/// `PUT /api/calendar/special-days/{year}` — admin: replace one year's holidays and 调休 days.
pub async fn put_special_days(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(year): Path<i32>,
    Json(days): Json<Vec<SpecialDay>>,
) -> ApiResult<StatusCode> {
    require_any(&auth, &[Role::Admin])?;
    let rules = state.rules.get(state.now()).await?;
    // Validate the whole calendar as it would be before writing anything.
    let mut all: Vec<SpecialDay> = state.store.special_days().await?;
    {
        use chrono::Datelike;
        all.retain(|d| d.date.year() != year);
    }
    all.extend(days.iter().cloned());
    WorkCalendar::new(rules.calendar.schedule().clone(), &all)
        .map_err(|e| ApiError::unprocessable("invalid", e.to_string()))?;
    state.store.replace_special_days(&[year], &days).await?;
    state.rules.invalidate().await;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadlineQuery {
    pub start: String,
    pub minutes: i64,
}

/// `GET /api/calendar/deadline?start=&minutes=` — when `minutes` working minutes after `start` end.
pub async fn deadline(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<DeadlineQuery>,
) -> ApiResult<Json<Value>> {
    let start = Timestamp::parse_rfc3339(&q.start)
        .ok_or_else(|| ApiError::BadRequest("start must be RFC 3339".into()))?;
    if !(0..=420 * 3650).contains(&q.minutes) {
        return Err(ApiError::BadRequest("minutes must be 0–1533000".into()));
    }
    let rules = state.rules.get(state.now()).await?;
    let due = rules.calendar.add_working_minutes(start, q.minutes);
    Ok(Json(
        json!({ "start": start.to_rfc3339(), "minutes": q.minutes, "deadline": due.to_rfc3339() }),
    ))
}
