//! Authentication: argon2 password hashes, login sessions (HTTP-only cookie for the UI, bearer
//! token for API clients) and API keys for machine clients.
//!
//! Tokens and keys are 256-bit random values; only their SHA-256 is stored, so a leaked
//! database does not leak working credentials.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use argon2::{Argon2, PasswordHash, PasswordHasher, PasswordVerifier};
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::request::Parts;
use domain::org::Caller;
use domain::time::Timestamp;
use rand::Rng;
use sha2::{Digest, Sha256};
use store::User;

use crate::AppState;
use crate::error::ApiError;

/// Name of the session cookie.
pub const SESSION_COOKIE: &str = "yiwang_session";

/// Hashes a password with argon2id and a random salt (PHC string).
///
/// # Errors
/// The hasher fails (e.g. the password is absurdly long).
pub fn hash_password(password: &str) -> Result<String, ApiError> {
    let hash: PasswordHash = Argon2::default()
        .hash_password(password.as_bytes())
        .map_err(|e| ApiError::Internal(format!("password hashing: {e}")))?;
    Ok(hash.to_string())
}

/// Whether `password` matches the stored PHC hash. A malformed stored hash never matches.
pub fn verify_password(password: &str, stored: &str) -> bool {
    match PasswordHash::new(stored) {
        Ok(parsed) => Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok(),
        Err(_) => false,
    }
}

/// A fresh random token (64 hex characters).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// The stored form of a token or key.
pub fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// How the caller proved who they are.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuthVia {
    Session,
    ApiKey,
}

/// The authenticated caller of a request.
#[derive(Clone, Debug)]
pub struct AuthUser {
    pub user: User,
    pub caller: Caller,
    pub via: AuthVia,
}

fn cookie_token(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == SESSION_COOKIE)
        .map(|(_, v)| v.to_owned())
}

fn bearer_token(headers: &HeaderMap) -> Option<String> {
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("Bearer ").map(|t| t.trim().to_owned())
}

fn api_key(headers: &HeaderMap) -> Option<String> {
    if let Some(k) = headers.get("x-api-key").and_then(|v| v.to_str().ok()) {
        return Some(k.trim().to_owned());
    }
    let v = headers
        .get(axum::http::header::AUTHORIZATION)?
        .to_str()
        .ok()?;
    v.strip_prefix("ApiKey ").map(|t| t.trim().to_owned())
}

/// How long a resolved credential is trusted without asking the store again, in milliseconds.
/// A logout on this node takes effect at once; a revocation, deactivation or role change made
/// on another node takes effect within this time.
pub const SESSION_CACHE_TTL_MS: i64 = 5_000;

#[derive(Clone)]
struct CachedAuth {
    user: AuthUser,
    expires_at: Option<Timestamp>,
    loaded_at: Timestamp,
}

/// A small per-node cache of resolved credentials (keyed by token/key hash), so that each
/// request does not cost three store reads. Disposable: nothing in it must be shared.
#[derive(Clone, Default)]
pub struct SessionCache {
    inner: Arc<Mutex<HashMap<String, CachedAuth>>>,
}

impl SessionCache {
    fn get(&self, key: &str, now: Timestamp) -> Option<CachedAuth> {
        let map = self.inner.lock().ok()?;
        map.get(key)
            .filter(|c| (now.0 - c.loaded_at.0).abs() < SESSION_CACHE_TTL_MS)
            .cloned()
    }

    fn put(&self, key: String, value: CachedAuth) {
        if let Ok(mut map) = self.inner.lock() {
            if map.len() > 50_000 {
                map.clear();
            }
            map.insert(key, value);
        }
    }

    /// Forgets every credential of a user (after their roles changed on this node).
    pub fn forget_user(&self, user_id: i64) {
        if let Ok(mut map) = self.inner.lock() {
            map.retain(|_, c| c.user.user.id != user_id);
        }
    }

    /// Forgets a token (after logout).
    pub fn forget_token(&self, token: &str) {
        if let Ok(mut map) = self.inner.lock() {
            map.remove(&format!("s:{}", token_hash(token)));
        }
    }
}

/// Resolves the caller from headers.
///
/// # Errors
/// No credentials, unknown or expired token, revoked key, deactivated user.
pub async fn authenticate(state: &AppState, headers: &HeaderMap) -> Result<AuthUser, ApiError> {
    let now = state.now();
    let key = match api_key(headers) {
        Some(k) => format!("k:{}", token_hash(&k)),
        None => {
            let token = bearer_token(headers)
                .or_else(|| cookie_token(headers))
                .ok_or(ApiError::Unauthenticated)?;
            format!("s:{}", token_hash(&token))
        }
    };
    if let Some(c) = state.sessions.get(&key, now) {
        if c.expires_at.is_some_and(|e| e <= now) {
            return Err(ApiError::TokenExpired);
        }
        return Ok(c.user);
    }
    let hash = key.get(2..).unwrap_or_default();
    let (user_id, via, expires_at) = if key.starts_with("k:") {
        let id = state
            .store
            .api_key_user(hash)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        (id, AuthVia::ApiKey, None)
    } else {
        let (id, expires_at) = state
            .store
            .session(hash)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if expires_at <= now {
            return Err(ApiError::TokenExpired);
        }
        (id, AuthVia::Session, Some(expires_at))
    };
    let found = state
        .store
        .user_with_roles(user_id)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !found.user.active {
        return Err(ApiError::Forbidden("this account is deactivated".into()));
    }
    let user = AuthUser {
        caller: Caller {
            user_id,
            grants: found.grants,
        },
        user: found.user,
        via,
    };
    state.sessions.put(
        key,
        CachedAuth {
            user: user.clone(),
            expires_at,
            loaded_at: now,
        },
    );
    Ok(user)
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        authenticate(state, &parts.headers).await
    }
}

/// The `Set-Cookie` value for a session.
pub fn session_cookie(token: &str, max_age_secs: i64, secure: bool) -> String {
    format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={max_age_secs}{}",
        if secure { "; Secure" } else { "" }
    )
}
