//! 督办 API: the supervision list and the escalation rules (the worker that applies them is
//! [`crate::escalation`]).

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use domain::escalation::{self, EscalationRule, LEVEL_LEADER};
use domain::org::Role;
use domain::workflow::CaseState;
use serde::Deserialize;
use serde_json::{Value, json};
use store::CaseFilter;

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::escalation::{ESCALATION_RULES, rules};
use crate::extract::{Json, Query};
use crate::supervise::SYSTEM_USERNAME;

/// Who reads the supervision list.
const READERS: &[Role] = &[
    Role::Admin,
    Role::Leader,
    Role::ShiftSupervisor,
    Role::Dispatcher,
];

pub fn router() -> Router<AppState> {
    Router::new().route("/api/supervision", get(list)).route(
        "/api/config/escalation-rules",
        get(get_rules).put(put_rules),
    )
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SupervisionQuery {
    /// `open` (default), `closed` or `all`.
    pub status: Option<String>,
    pub limit: Option<u32>,
}

/// Open states: everything but the terminal ones.
fn open_states() -> Vec<CaseState> {
    CaseState::ALL
        .into_iter()
        .filter(|s| !s.is_terminal())
        .collect()
}

fn terminal_states() -> Vec<CaseState> {
    CaseState::ALL
        .into_iter()
        .filter(|s| s.is_terminal())
        .collect()
}

/// `GET /api/supervision` — the 督办 list: supervised cases the caller may see, newest first,
/// with their level, how many steps, and the last step (by rule or by hand, and why).
async fn list(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<SupervisionQuery>,
) -> ApiResult<Json<Value>> {
    super::require_any(&auth, READERS)?;
    let states = match q.status.as_deref().unwrap_or("open") {
        "open" => open_states(),
        "closed" => terminal_states(),
        "all" => Vec::new(),
        other => {
            return Err(ApiError::BadRequest(format!(
                "status must be open, closed or all, not {other:?}"
            )));
        }
    };
    let now = state.now();
    let rules = state.rules.get(now).await?;
    let vis = domain::policy::visibility(&auth.caller);
    let supervised = |states: Vec<CaseState>, at_least: i32| CaseFilter {
        states,
        supervised: Some(true),
        supervision_at_least: Some(at_least),
        ..CaseFilter::default()
    };
    let page = state
        .store
        .list_cases(
            &supervised(states, 1),
            &vis,
            now,
            q.limit.unwrap_or(100),
            None,
        )
        .await?;
    let system = state.store.user_by_username(SYSTEM_USERNAME).await?;
    let ids: Vec<i64> = page.cases.iter().map(|c| c.id).collect();
    let steps = state.store.last_events_of(&ids, "supervise").await?;
    let mut items = Vec::with_capacity(page.cases.len());
    for case in &page.cases {
        let step = steps.get(&case.id);
        let last = match step {
            Some(l) => {
                let automatic = system.as_ref().is_some_and(|s| s.id == l.event.actor_id);
                json!({
                    "at": l.event.at.to_rfc3339(), "automatic": automatic,
                    "actor_name": l.actor_name, "note": l.event.note,
                })
            }
            None => Value::Null,
        };
        items.push(json!({
            "case": super::case_dto(now, &rules, case, &auth.caller),
            "level": case.supervision_level.min(LEVEL_LEADER),
            "events": step.map_or(0, |l| l.count),
            "last": last,
        }));
    }
    let count = |states: Vec<CaseState>, at_least: i32| {
        let f = supervised(states, at_least);
        let store = state.store.clone();
        let vis = vis.clone();
        async move { store.count_cases(&f, &vis, now).await }
    };
    let open = count(open_states(), 1).await?;
    let closed = count(terminal_states(), 1).await?;
    let level2 = count(open_states(), LEVEL_LEADER).await?;
    Ok(Json(json!({
        "items": items,
        "counts": { "open": open, "closed": closed, "level1": open - level2, "level2": level2 },
    })))
}

/// `GET /api/config/escalation-rules` — the rules in force.
async fn get_rules(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    super::require_any(&auth, READERS)?;
    Ok(Json(json!({ "rules": rules(&state).await? })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RulesBody {
    pub rules: Vec<EscalationRule>,
}

/// `PUT /api/config/escalation-rules` — replace the rules (admins).
async fn put_rules(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(body): Json<RulesBody>,
) -> ApiResult<Json<Value>> {
    super::require_any(&auth, &[Role::Admin])?;
    escalation::validate(&body.rules)
        .map_err(|e| ApiError::unprocessable("invalid_rules", e.to_string()))?;
    state
        .store
        .put_setting(ESCALATION_RULES, &body.rules, state.now())
        .await?;
    Ok(Json(json!({ "rules": body.rules })))
}
