//! Alarms over HTTP: the list and detail for the command centre and the workbenches, and the
//! lifecycle steps people take — acknowledge 确认, raise a case 转立案, clear 解除.
//!
//! Reading is for staff; acting is for the intake roles (operator, shift supervisor,
//! dispatcher) and admins. Scoped staff see and act on alarms inside their areas only.

use axum::extract::State;
use axum::http::StatusCode;
use domain::org::Role;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{Alarm, AlarmFilter, AlarmStep};
use supervision::alarm::{AlarmAction, AlarmState, SourceKind};

use crate::AppState;
use crate::auth::AuthUser;
use crate::dto::AlarmDto;
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::routes::{STAFF, require_any};
use crate::sse::alarm_in_scope;
use crate::supervise::{publish_alarm, raise_case};

/// Roles that act on alarms.
pub(crate) const ALARM_ACTORS: &[Role] = &[
    Role::Admin,
    Role::Operator,
    Role::ShiftSupervisor,
    Role::Dispatcher,
];

/// Longest note on a manual clear.
const MAX_NOTE: usize = 500;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    /// `open` (every state but cleared), `all`, or one state.
    pub state: Option<String>,
    pub source_kind: Option<String>,
    pub source_id: Option<String>,
    /// A rule id or a family prefix ending in `.` (`muck.`).
    pub rule: Option<String>,
    /// Only alarms inside this area (any level).
    pub area_code: Option<String>,
    pub limit: Option<i64>,
    pub offset: Option<i64>,
}

/// The area of the caller's single scoped grant, when every grant that sees alarms is scoped
/// to one area; `None` when the caller sees the whole city.
fn caller_area(auth: &AuthUser) -> Option<String> {
    let mut areas = Vec::new();
    for g in auth
        .caller
        .grants
        .iter()
        .filter(|g| STAFF.contains(&g.role))
    {
        match &g.area {
            None => return None,
            Some(a) => areas.push(a.as_str().to_owned()),
        }
    }
    areas.sort();
    areas.dedup();
    // Several areas: the list filter takes one; the per-item check below drops the rest.
    areas.into_iter().next()
}

/// `GET /api/alarms` — alarms, newest change first.
pub async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let states = match q.state.as_deref().unwrap_or("open") {
        "open" => vec!["raised".into(), "acknowledged".into(), "linked".into()],
        "all" => Vec::new(),
        s => match AlarmState::parse(s) {
            Some(st) => vec![st.as_str().to_owned()],
            None => {
                return Err(ApiError::unprocessable(
                    "invalid_query",
                    format!(
                        "unknown alarm state {s:?}; use open, all, raised, acknowledged, linked or cleared"
                    ),
                ));
            }
        },
    };
    if let Some(k) = q.source_kind.as_deref()
        && SourceKind::parse(k).is_none()
    {
        return Err(ApiError::unprocessable(
            "invalid_query",
            format!(
                "unknown source_kind {k:?}; use vehicle, monitor, sensor, camera, station or collection_point"
            ),
        ));
    }
    if let Some(a) = q.area_code.as_deref()
        && (a.is_empty() || a.len() > 15 || !a.bytes().all(|b| b.is_ascii_digit()))
    {
        return Err(ApiError::unprocessable(
            "invalid_query",
            "area_code must be 1–15 digits",
        ));
    }
    let area_code = match (q.area_code, caller_area(&auth)) {
        (Some(asked), Some(own)) if !asked.starts_with(&own) && !own.starts_with(&asked) => {
            return Err(ApiError::Forbidden(format!(
                "area {asked} is outside your scope"
            )));
        }
        (Some(asked), Some(own)) => Some(if asked.len() >= own.len() { asked } else { own }),
        (asked, own) => asked.or(own),
    };
    let filter = AlarmFilter {
        states,
        source_kind: q.source_kind,
        source_id: q.source_id,
        rule: q.rule,
        area_code,
        limit: q.limit.unwrap_or(100).clamp(1, 1000),
        offset: q.offset.unwrap_or(0).max(0),
    };
    let page = state.store.list_alarms(&filter).await?;
    let items: Vec<AlarmDto> = page
        .items
        .iter()
        .filter(|a| alarm_in_scope(&auth.caller, a.grid_code.as_deref()))
        .map(AlarmDto::from)
        .collect();
    Ok(Json(json!({ "items": items, "total": page.total })))
}

/// `GET /api/alarms/summary` — open alarms by source kind and level.
pub async fn summary(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let counts = state.store.open_alarm_counts().await?;
    let total: i64 = counts.iter().map(|c| c.count).sum();
    Ok(Json(json!({ "open": total, "by_kind_and_level": counts })))
}

async fn visible_alarm(state: &AppState, auth: &AuthUser, id: i64) -> ApiResult<Alarm> {
    let alarm = state
        .store
        .alarm(id)
        .await?
        .ok_or(ApiError::NotFound("alarm"))?;
    if !alarm_in_scope(&auth.caller, alarm.grid_code.as_deref()) {
        return Err(ApiError::NotFound("alarm"));
    }
    Ok(alarm)
}

/// `GET /api/alarms/{id}` — one alarm with every step of its life.
pub async fn detail(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, STAFF)?;
    let alarm = visible_alarm(&state, &auth, id).await?;
    let events = state.store.alarm_events(id).await?;
    let events: Vec<Value> = events
        .iter()
        .map(|e| {
            json!({
                "action": e.action,
                "actor_id": e.actor_id,
                "note": e.note,
                "at": e.at.to_rfc3339(),
            })
        })
        .collect();
    Ok(Json(
        json!({ "alarm": AlarmDto::from(&alarm), "events": events }),
    ))
}

fn current_state(alarm: &Alarm) -> ApiResult<AlarmState> {
    AlarmState::parse(&alarm.state).ok_or_else(|| {
        ApiError::Internal(format!(
            "alarm {} in unknown state {}",
            alarm.id, alarm.state
        ))
    })
}

async fn step(
    state: &AppState,
    auth: &AuthUser,
    alarm: &Alarm,
    act: AlarmAction,
    note: Option<&str>,
) -> ApiResult<Alarm> {
    let from = current_state(alarm)?;
    let to = from.apply(act).map_err(|e| ApiError::Conflict {
        code: "invalid_transition",
        message: e.to_string(),
        current: None,
    })?;
    match state
        .store
        .step_alarm(
            alarm.id,
            store::AlarmStepInput {
                from: from.as_str(),
                to: to.as_str(),
                actor_id: Some(auth.caller.user_id),
                case_id: None,
                note,
                at: state.now(),
            },
        )
        .await?
    {
        AlarmStep::Done => {}
        AlarmStep::NotFound => return Err(ApiError::NotFound("alarm")),
        AlarmStep::Conflict => {
            return Err(ApiError::Conflict {
                code: "alarm_changed",
                message: "someone else changed the alarm first; reload it".into(),
                current: None,
            });
        }
    }
    let now = state
        .store
        .alarm(alarm.id)
        .await?
        .ok_or(ApiError::NotFound("alarm"))?;
    publish_alarm(state, &now);
    Ok(now)
}

/// `POST /api/alarms/{id}/acknowledge` — an operator has seen it.
pub async fn acknowledge(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, ALARM_ACTORS)?;
    let alarm = visible_alarm(&state, &auth, id).await?;
    let now = step(&state, &auth, &alarm, AlarmAction::Acknowledge, None).await?;
    Ok(Json(json!({ "alarm": AlarmDto::from(&now) })))
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClearRequest {
    /// Why it is dismissed (required: e.g. 误报, 已现场处置).
    pub note: Option<String>,
}

/// `POST /api/alarms/{id}/clear` — dismiss an open alarm with a reason.
pub async fn clear(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
    Json(req): Json<ClearRequest>,
) -> ApiResult<Json<Value>> {
    require_any(&auth, ALARM_ACTORS)?;
    let note = req.note.as_deref().map(str::trim).unwrap_or_default();
    if note.is_empty() {
        return Err(ApiError::unprocessable(
            "missing_field",
            "note: say why the alarm is cleared",
        ));
    }
    if note.chars().count() > MAX_NOTE {
        return Err(ApiError::unprocessable(
            "too_long",
            format!("note: at most {MAX_NOTE} characters"),
        ));
    }
    let alarm = visible_alarm(&state, &auth, id).await?;
    let now = step(&state, &auth, &alarm, AlarmAction::Clear, Some(note)).await?;
    Ok(Json(json!({ "alarm": AlarmDto::from(&now) })))
}

/// `POST /api/alarms/{id}/case` — file a case from the alarm (the operator confirms a notice,
/// or files one the worker has not reached yet).
pub async fn case(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    require_any(&auth, ALARM_ACTORS)?;
    let alarm = visible_alarm(&state, &auth, id).await?;
    current_state(&alarm)?
        .apply(AlarmAction::Link)
        .map_err(|e| ApiError::Conflict {
            code: "invalid_transition",
            message: e.to_string(),
            current: None,
        })?;
    let case_id = raise_case(&state, &auth, &alarm, false).await?;
    let now = state
        .store
        .alarm(id)
        .await?
        .ok_or(ApiError::NotFound("alarm"))?;
    Ok((
        StatusCode::CREATED,
        Json(json!({ "case_id": case_id, "alarm": AlarmDto::from(&now) })),
    ))
}

pub fn router() -> axum::Router<AppState> {
    use axum::routing::{get, post};
    axum::Router::new()
        .route("/api/alarms", get(list))
        .route("/api/alarms/summary", get(summary))
        .route("/api/alarms/{id}", get(detail))
        .route("/api/alarms/{id}/acknowledge", post(acknowledge))
        .route("/api/alarms/{id}/clear", post(clear))
        .route("/api/alarms/{id}/case", post(case))
}
