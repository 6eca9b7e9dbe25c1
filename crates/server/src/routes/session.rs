//! Health, metadata for clients, login, logout and "who am I".

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{AppendHeaders, IntoResponse, Response};
use domain::org::{DepartmentType, Role};
use domain::workflow::{CaseState, Source};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;

/// `GET /api/health` — no auth; says whether the store answers.
pub async fn health(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => Json(json!({
            "status": "ok",
            "store": format!("{:?}", state.store.backend()).to_lowercase(),
            "version": env!("CARGO_PKG_VERSION"),
        }))
        .into_response(),
        Err(e) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({"error": {"code": "store_unavailable", "message": e.to_string()}})),
        )
            .into_response(),
    }
}

/// `GET /api/meta` — the vocabulary clients need: states, sources, roles, actions.
pub async fn meta() -> Json<Value> {
    let actions = [
        ("send_verify", "发核实"),
        ("accept", "受理"),
        ("reject_report", "不予受理"),
        ("verify", "核实"),
        ("file", "立案"),
        ("reject", "不予立案"),
        ("return_to_intake", "立案回退"),
        ("dispatch", "派遣"),
        ("accept_task", "签收"),
        ("request_return", "申请回退"),
        ("approve_return", "同意回退"),
        ("deny_return", "驳回回退"),
        ("feedback", "处置反馈"),
        ("request_extension", "申请延期"),
        ("approve_extension", "同意延期"),
        ("deny_extension", "驳回延期"),
        ("request_suspension", "申请挂账"),
        ("approve_suspension", "同意挂账"),
        ("deny_suspension", "驳回挂账"),
        ("resume", "挂账恢复"),
        ("send_check", "发核查"),
        ("check", "核查"),
        ("close", "结案"),
        ("rework", "返工"),
        ("supervise", "督办"),
        ("request_void", "申请作废"),
        ("approve_void", "同意作废"),
        ("deny_void", "驳回作废"),
        ("link_duplicate", "合并重复案件"),
        ("reply", "答复"),
        ("rate", "回访评价"),
    ];
    Json(json!({
        "states": CaseState::ALL.iter().map(|s| json!({"code": s.as_str(), "label": s.label_zh(), "terminal": s.is_terminal()})).collect::<Vec<_>>(),
        "sources": Source::ALL.iter().map(|s| json!({"code": s.as_str(), "label": s.label_zh()})).collect::<Vec<_>>(),
        "roles": Role::ALL.iter().map(|r| json!({"code": r.as_str(), "label": r.label_zh()})).collect::<Vec<_>>(),
        "department_types": DepartmentType::ALL.iter().map(|d| json!({"code": d.as_str(), "label": d.label_zh()})).collect::<Vec<_>>(),
        "urgencies": [{"code": "urgent", "label": "紧急"}, {"code": "high", "label": "较急"}, {"code": "normal", "label": "一般"}],
        "actions": actions.iter().map(|(c, l)| json!({"code": c, "label": l})).collect::<Vec<_>>(),
    }))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

/// `POST /api/auth/login` — a session: cookie for browsers, token in the body for API clients.
pub async fn login(
    State(state): State<AppState>,
    Json(req): Json<LoginRequest>,
) -> ApiResult<Response> {
    let user = state.store.user_by_username(req.username.trim()).await?;
    let stored = user
        .as_ref()
        .map(|u| u.password_hash.clone())
        .unwrap_or_default();
    let password = req.password.clone();
    // argon2 is deliberately slow: keep it off the async workers.
    let ok = tokio::task::spawn_blocking(move || auth::verify_password(&password, &stored))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let Some(user) = user.filter(|u| ok && u.active) else {
        return Err(ApiError::BadCredentials);
    };
    start_session(&state, user.id).await
}

/// Opens a session for `user_id`: the cookie for browsers, the token in the body for API
/// clients (`{token, expires_at, user}`). Shared by password and one-time-code sign-in.
pub(crate) async fn start_session(state: &AppState, user_id: i64) -> ApiResult<Response> {
    let token = auth::new_token();
    let now = state.now();
    let ttl = state.config.session_ttl_minutes;
    let expires_at = now.plus_minutes(ttl);
    state
        .store
        .create_session(&auth::token_hash(&token), user_id, now, expires_at)
        .await?;
    let cookie = auth::session_cookie(&token, ttl * 60, state.config.secure_cookies);
    let me = state
        .store
        .user_with_roles(user_id)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    Ok((
        AppendHeaders([(SET_COOKIE, cookie)]),
        Json(json!({ "token": token, "expires_at": expires_at.to_rfc3339(), "user": me })),
    )
        .into_response())
}

/// `POST /api/auth/logout` — ends the session (cookie or bearer) and clears the cookie. Works
/// with an expired or unknown session too, so a stale cookie can always be cleared.
pub async fn logout(State(state): State<AppState>, headers: HeaderMap) -> ApiResult<Response> {
    let token = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::to_owned)
        .or_else(|| {
            headers
                .get_all(axum::http::header::COOKIE)
                .iter()
                .filter_map(|v| v.to_str().ok())
                .flat_map(|v| v.split(';'))
                .find_map(|kv| {
                    kv.trim()
                        .strip_prefix(auth::SESSION_COOKIE)
                        .and_then(|r| r.strip_prefix('='))
                        .map(str::to_owned)
                })
        });
    if let Some(t) = token {
        state.store.delete_session(&auth::token_hash(&t)).await?;
        state.sessions.forget_token(&t);
    }
    Ok((
        AppendHeaders([(
            SET_COOKIE,
            auth::session_cookie("", 0, state.config.secure_cookies),
        )]),
        StatusCode::NO_CONTENT,
    )
        .into_response())
}

/// `GET /api/me` — the caller and their role grants.
pub async fn me(auth: AuthUser) -> Json<Value> {
    Json(json!({ "user": auth.user, "grants": auth.caller.grants }))
}
