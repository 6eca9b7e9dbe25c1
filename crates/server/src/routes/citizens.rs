//! The citizen's way in 随手拍: sign-in by phone with a one-time SMS code, the class suggested
//! from a description, and the outbox of messages sent to citizens (for admins).
//!
//! One-time codes: 6 digits, valid [`OTP_TTL_MINUTES`], only their SHA-256 stored, burnt after
//! [`OTP_MAX_ATTEMPTS`] wrong tries. Sending is limited per phone (one code per
//! [`OTP_RESEND_SECONDS`], [`OTP_PER_DAY`] a calendar day in Asia/Shanghai) and per client IP
//! ([`OTP_IP_BURST`] at once, one more every [`OTP_IP_INTERVAL_MS`]). These limits are kept in
//! the store (`rate_limits`, one atomic upsert per decision), so every node on one database
//! shares them: N nodes allow the limit once, not N times. A first sign-in creates a citizen
//! account; a phone that belongs to a staff account cannot sign in this way (staff use their
//! password).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use axum::extract::State;
use axum::http::{Extensions, StatusCode};
use axum::response::Response;
use axum::routing::{get, post};
use axum::{Extension, Router};
use domain::org::{Role, RoleGrant};
use domain::suggest;
use domain::time::Timestamp;
use rand::RngExt;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{NewNotification, NewUser, NotificationFilter, RateDecision};

use crate::AppState;
use crate::auth::{self, AuthUser};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::notify;
use crate::ratelimit::client_ip;

/// Minutes a code stays valid.
pub const OTP_TTL_MINUTES: i64 = 5;
/// Wrong codes tolerated before the code is burnt.
pub const OTP_MAX_ATTEMPTS: i64 = 5;
/// Seconds between two codes to one phone.
pub const OTP_RESEND_SECONDS: i64 = 60;
/// Codes to one phone in 24 hours.
pub const OTP_PER_DAY: i64 = 10;

/// Codes requested from one client IP at once (shared by all nodes).
pub const OTP_IP_BURST: u32 = 10;
/// Then one more code request per IP every this many ms (5 a minute).
pub const OTP_IP_INTERVAL_MS: i64 = 12_000;
/// How often a node deletes the expired rows of `rate_limits`.
const PRUNE_EVERY_MS: i64 = 10 * 60_000;

/// The node's note of when it last cleaned the shared limits.
#[derive(Default)]
struct Limiters {
    last_prune: AtomicI64,
}

pub fn router() -> Router<AppState> {
    let limiters = Limiters::default();
    Router::new()
        .route("/api/auth/otp", post(request_otp))
        .route("/api/auth/otp/verify", post(verify_otp))
        .route("/api/taxonomy/suggest", get(suggest_class))
        .route("/api/notifications", get(list_notifications))
        .layer(Extension(Arc::new(limiters)))
}

/// A mainland mobile number: 11 digits starting 13–19.
pub fn valid_phone(p: &str) -> bool {
    let b = p.as_bytes();
    b.len() == 11
        && b[0] == b'1'
        && (b'3'..=b'9').contains(&b[1])
        && b.iter().all(u8::is_ascii_digit)
}

fn phone_of(raw: &str) -> ApiResult<String> {
    let p = raw.trim();
    if valid_phone(p) {
        Ok(p.to_owned())
    } else {
        Err(ApiError::unprocessable(
            "invalid_phone",
            "give a mainland mobile number: 11 digits starting with 13–19",
        ))
    }
}

/// What the code is checked against: the phone and the code together.
fn code_hash(phone: &str, code: &str) -> String {
    auth::token_hash(&format!("otp:{phone}:{code}"))
}

fn ip_key(ext: &Extensions) -> String {
    client_ip(ext).map_or_else(|| "unknown".to_owned(), |ip| ip.to_string())
}

/// Milliseconds to whole seconds for `Retry-After`, at least 1.
fn retry_secs(ms: i64) -> u64 {
    u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
}

/// The limits on sending a code, shared by every node through the store: per client IP, per
/// phone one per [`OTP_RESEND_SECONDS`], per phone [`OTP_PER_DAY`] a calendar day. Checked in
/// that order; a refusal counts nothing further (an earlier limit has counted the request).
async fn check_otp_limits(
    state: &AppState,
    lim: &Limiters,
    ip: &str,
    phone: &str,
    now: Timestamp,
) -> ApiResult<()> {
    let store = &state.store;
    let last = lim.last_prune.load(Ordering::Relaxed);
    if now.0 - last >= PRUNE_EVERY_MS
        && lim
            .last_prune
            .compare_exchange(last, now.0, Ordering::Relaxed, Ordering::Relaxed)
            .is_ok()
        && let Err(e) = store.prune_rate_limits(now).await
    {
        tracing::warn!(error = %e, "cleaning the shared rate limits failed");
    }
    let decision = store
        .rate_take(
            &format!("otp:ip:{ip}"),
            now,
            OTP_IP_INTERVAL_MS,
            OTP_IP_BURST,
        )
        .await?;
    if let RateDecision::Refused { retry_after_ms } = decision {
        let retry_after_s = retry_secs(retry_after_ms);
        return Err(ApiError::RateLimited {
            message: format!(
                "too many sign-in codes requested from this IP address; try again in {retry_after_s} s"
            ),
            retry_after_s,
        });
    }
    let decision = store
        .rate_take(
            &format!("otp:phone:{phone}"),
            now,
            OTP_RESEND_SECONDS * 1000,
            1,
        )
        .await?;
    if let RateDecision::Refused { retry_after_ms } = decision {
        return Err(ApiError::RateLimited {
            message: format!(
                "a code was sent to this phone less than {OTP_RESEND_SECONDS} s ago; wait before asking again"
            ),
            retry_after_s: retry_secs(retry_after_ms),
        });
    }
    // The calendar day in Asia/Shanghai (UTC+8, no daylight saving).
    const DAY_MS: i64 = 86_400_000;
    const UTC8_MS: i64 = 8 * 3_600_000;
    let day = (now.0 + UTC8_MS).div_euclid(DAY_MS);
    let day_end = Timestamp((day + 1) * DAY_MS - UTC8_MS);
    let decision = store
        .rate_count(
            &format!("otp:phone-day:{phone}:{day}"),
            now,
            OTP_PER_DAY,
            day_end,
        )
        .await?;
    if let RateDecision::Refused { retry_after_ms } = decision {
        return Err(ApiError::RateLimited {
            message: format!("at most {OTP_PER_DAY} codes a day are sent to one phone"),
            retry_after_s: retry_secs(retry_after_ms),
        });
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpRequest {
    pub phone: String,
}

/// `POST /api/auth/otp` — send a one-time sign-in code by SMS.
async fn request_otp(
    State(state): State<AppState>,
    Extension(lim): Extension<Arc<Limiters>>,
    ext: Extensions,
    Json(req): Json<OtpRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let phone = phone_of(&req.phone)?;
    let now = state.now();
    check_otp_limits(&state, &lim, &ip_key(&ext), &phone, now).await?;
    let code = format!("{:06}", rand::rng().random_range(0..1_000_000u32));
    let expires_at = now.plus_minutes(OTP_TTL_MINUTES);
    state
        .store
        .put_otp(&phone, &code_hash(&phone, &code), now, expires_at)
        .await?;
    notify::send_sms(
        &state,
        NewNotification {
            channel: "sms".into(),
            kind: "otp".into(),
            recipient: phone.clone(),
            subject: "登录验证码".into(),
            body: format!(
                "【一网统管】您的登录验证码为 {code}，{OTP_TTL_MINUTES} 分钟内有效。如非本人操作，请忽略本短信。"
            ),
            case_id: None,
            event_id: None,
        },
    )
    .await?;
    Ok((
        StatusCode::ACCEPTED,
        Json(json!({
            "sent": true,
            "expires_in_seconds": OTP_TTL_MINUTES * 60,
            "resend_after_seconds": OTP_RESEND_SECONDS,
        })),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OtpVerify {
    pub phone: String,
    pub code: String,
}

/// `POST /api/auth/otp/verify` — sign in with the code; a first sign-in creates the citizen.
async fn verify_otp(
    State(state): State<AppState>,
    Json(req): Json<OtpVerify>,
) -> ApiResult<Response> {
    let phone = phone_of(&req.phone)?;
    let now = state.now();
    let Some(live) = state.store.otp(&phone).await? else {
        return Err(ApiError::InvalidCode(
            "no code is waiting for this phone; ask for one first".into(),
        ));
    };
    if live.expires_at <= now {
        state.store.delete_otp(&phone).await?;
        return Err(ApiError::InvalidCode(
            "the code has expired; ask for a new one".into(),
        ));
    }
    if live.code_hash != code_hash(&phone, req.code.trim()) {
        if live.attempts + 1 >= OTP_MAX_ATTEMPTS {
            state.store.delete_otp(&phone).await?;
            return Err(ApiError::InvalidCode(format!(
                "wrong code {OTP_MAX_ATTEMPTS} times; ask for a new one"
            )));
        }
        state.store.otp_failed_attempt(&phone).await?;
        return Err(ApiError::InvalidCode("wrong code".into()));
    }
    state.store.delete_otp(&phone).await?;
    let user_id = match state.store.user_id_by_phone(&phone).await? {
        Some(id) => {
            let who = state
                .store
                .user_with_roles(id)
                .await?
                .ok_or(ApiError::NotFound("user"))?;
            let public_only = who
                .grants
                .iter()
                .all(|g| matches!(g.role, Role::Citizen | Role::Volunteer));
            if !public_only {
                return Err(ApiError::Forbidden(
                    "this phone belongs to a staff account; sign in with the password".into(),
                ));
            }
            id
        }
        None => {
            // An unusable password: a citizen account signs in only by code.
            let password_hash = auth::hash_password(&auth::new_token())?;
            let tail: String = phone.chars().skip(7).collect();
            state
                .store
                .create_user(
                    &NewUser {
                        username: format!("citizen-{phone}"),
                        display_name: format!("市民{tail}"),
                        phone: Some(phone.clone()),
                        password_hash,
                        grants: vec![RoleGrant {
                            role: Role::Citizen,
                            area: None,
                            department_id: None,
                        }],
                    },
                    now,
                )
                .await?
        }
    };
    super::session::start_session(&state, user_id).await
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SuggestQuery {
    pub text: String,
    pub limit: Option<usize>,
}

/// `GET /api/taxonomy/suggest` — the matter classes a description most likely means.
async fn suggest_class(
    State(state): State<AppState>,
    _auth: AuthUser,
    Query(q): Query<SuggestQuery>,
) -> ApiResult<Json<Value>> {
    if q.text.chars().count() > 2000 {
        return Err(ApiError::unprocessable(
            "too_long",
            "text is longer than 2000 characters",
        ));
    }
    let rules = state.rules.get(state.now()).await?;
    let found = suggest::suggest(&rules.taxonomy, &q.text, q.limit.unwrap_or(5).clamp(1, 10));
    Ok(Json(json!({ "suggestions": found })))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotificationQuery {
    pub channel: Option<String>,
    pub to: Option<String>,
    pub case_id: Option<i64>,
    pub limit: Option<u32>,
}

/// `GET /api/notifications` — the outbox (admins): what was sent to whom, and whether it went.
async fn list_notifications(
    State(state): State<AppState>,
    auth: AuthUser,
    Query(q): Query<NotificationQuery>,
) -> ApiResult<Json<Value>> {
    super::require_any(&auth, &[Role::Admin])?;
    let list = state
        .store
        .list_notifications(&NotificationFilter {
            channel: q.channel,
            recipient: q.to,
            case_id: q.case_id,
            limit: q.limit.unwrap_or(50),
        })
        .await?;
    let items: Vec<Value> = list
        .iter()
        .map(|n| {
            json!({
                "id": n.id, "channel": n.channel, "kind": n.kind, "to": n.recipient,
                "subject": n.subject, "body": n.body, "case_id": n.case_id,
                "status": n.status, "attempts": n.attempts, "error": n.error,
                "created_at": n.created_at.to_rfc3339(),
                "sent_at": n.sent_at.map(|t| t.to_rfc3339()),
            })
        })
        .collect();
    Ok(Json(json!({ "notifications": items })))
}
