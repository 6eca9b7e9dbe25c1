//! Webhooks for integrations (the 12345 platform, a district's own system …): admins register
//! a URL and the case actions it wants; the notifier ([`crate::notify::Notifier`]) POSTs a JSON
//! description of each such case change, signed `X-Yiwang-Signature: sha256=<HMAC-SHA256 of the
//! body under the webhook's secret>`, and retries failures with backoff.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get};
use domain::org::Role;
use rand::RngExt;
use serde::Deserialize;
use serde_json::{Value, json};
use store::{NewWebhook, Webhook};

use crate::AppState;
use crate::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::notify::known_actions;

/// Longest webhook URL.
pub const MAX_URL_LEN: usize = 500;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/webhooks", get(list).post(create))
        .route("/api/webhooks/{id}", delete(remove))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookRequest {
    pub name: String,
    pub url: String,
    /// Case actions to receive; absent or empty for all.
    #[serde(default)]
    pub actions: Vec<String>,
    /// The signing key; generated when absent.
    pub secret: Option<String>,
}

fn webhook_json(w: &Webhook) -> Value {
    json!({
        "id": w.id, "name": w.name, "url": w.url, "actions": w.actions, "active": w.active,
        "created_at": w.created_at.to_rfc3339(),
    })
}

/// An `http://host[:port]/path` URL (HTTPS endpoints sit behind a TLS-terminating proxy: the
/// server carries no TLS client).
fn check_url(url: &str) -> ApiResult<()> {
    let rest = url.strip_prefix("http://").ok_or_else(|| {
        ApiError::unprocessable(
            "invalid_url",
            "the URL must start with http:// (put an HTTPS endpoint behind a local TLS proxy)",
        )
    })?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if url.len() > MAX_URL_LEN
        || host.is_empty()
        || url.chars().any(|c| c.is_whitespace() || c.is_control())
    {
        return Err(ApiError::unprocessable(
            "invalid_url",
            format!("not a usable http:// URL of at most {MAX_URL_LEN} characters"),
        ));
    }
    Ok(())
}

/// `POST /api/webhooks` — register an endpoint (admins). The answer carries the secret, the
/// only time it is shown.
async fn create(
    State(state): State<AppState>,
    auth: AuthUser,
    Json(req): Json<WebhookRequest>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    super::require_any(&auth, &[Role::Admin])?;
    let name = req.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::unprocessable(
            "invalid_name",
            "the name is required, at most 100 characters",
        ));
    }
    check_url(&req.url)?;
    let known = known_actions();
    let mut actions = Vec::new();
    for a in &req.actions {
        if !known.contains(&a.as_str()) {
            return Err(ApiError::unprocessable(
                "unknown_action",
                format!("no case action {a:?}; one of {}", known.join(", ")),
            ));
        }
        if !actions.contains(a) {
            actions.push(a.clone());
        }
    }
    let secret = match req.secret {
        Some(s) if s.len() >= 16 && s.len() <= 200 => s,
        Some(_) => {
            return Err(ApiError::unprocessable(
                "invalid_secret",
                "the secret must be 16 to 200 bytes",
            ));
        }
        None => {
            let bytes: [u8; 24] = rand::rng().random();
            hex::encode(bytes)
        }
    };
    let w = state
        .store
        .create_webhook(
            &NewWebhook {
                name: name.to_owned(),
                url: req.url.clone(),
                secret: secret.clone(),
                actions,
                created_by: Some(auth.caller.user_id),
            },
            state.now(),
        )
        .await?;
    let mut body = webhook_json(&w);
    body["secret"] = json!(secret);
    Ok((StatusCode::CREATED, Json(body)))
}

/// `GET /api/webhooks` — every registered endpoint (admins), without secrets.
async fn list(State(state): State<AppState>, auth: AuthUser) -> ApiResult<Json<Value>> {
    super::require_any(&auth, &[Role::Admin])?;
    let hooks = state.store.webhooks(false).await?;
    Ok(Json(json!({
        "webhooks": hooks.iter().map(webhook_json).collect::<Vec<_>>(),
    })))
}

/// `DELETE /api/webhooks/{id}` — stop an endpoint (admins); messages still waiting for it fail.
async fn remove(
    State(state): State<AppState>,
    auth: AuthUser,
    Path(id): Path<i64>,
) -> ApiResult<StatusCode> {
    super::require_any(&auth, &[Role::Admin])?;
    if state.store.set_webhook_active(id, false).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_must_be_plain_http_with_a_host() {
        assert!(check_url("http://127.0.0.1:8080/hook").is_ok());
        assert!(check_url("http://example.gov.cn/12345?x=1").is_ok());
        for bad in [
            "https://example.gov.cn/hook",
            "ftp://x/y",
            "http:///nohost",
            "http://a b/c",
            "example.gov.cn/hook",
        ] {
            assert!(check_url(bad).is_err(), "{bad}");
        }
        assert!(check_url(&format!("http://h/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }
}
