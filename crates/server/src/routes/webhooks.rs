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

/// An `http://` or `https://` URL with a host (HTTPS is verified against the Mozilla roots and
/// the configured extra CA, `[notify] extra_ca_file`): `invalid_url` otherwise, saying why.
pub fn check_url(url: &str) -> ApiResult<()> {
    let bad = |why: &str| ApiError::unprocessable("invalid_url", format!("{why}: {url:?}"));
    if url.len() > MAX_URL_LEN {
        return Err(ApiError::unprocessable(
            "invalid_url",
            format!("the URL is longer than {MAX_URL_LEN} characters"),
        ));
    }
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("the URL holds a space or a control character"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("not an absolute URL (http://… or https://…)"))?;
    if !scheme.eq_ignore_ascii_case("http") && !scheme.eq_ignore_ascii_case("https") {
        return Err(bad("the scheme must be http or https"));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad(
            "credentials in the URL are not accepted (use the secret)",
        ));
    }
    // host, [v6]:port or host:port
    let (host, port) = if let Some(v6) = authority.strip_prefix('[') {
        let Some((h, after)) = v6.split_once(']') else {
            return Err(bad("an unclosed [IPv6] host"));
        };
        match after {
            "" => (h, None),
            p => match p.strip_prefix(':') {
                Some(p) => (h, Some(p)),
                None => return Err(bad("junk after the [IPv6] host")),
            },
        }
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    if host.is_empty() {
        return Err(bad("the URL has no host"));
    }
    if let Some(p) = port
        && (p.is_empty() || p.parse::<u16>().map_or(true, |p| p == 0))
    {
        return Err(bad("the port must be a number from 1 to 65535"));
    }
    reqwest::Url::parse(url).map_err(|e| bad(&format!("not a valid URL ({e})")))?;
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
    fn urls_must_be_http_or_https_with_a_host() {
        for good in [
            "http://127.0.0.1:8080/hook",
            "http://example.gov.cn/12345?x=1",
            "https://example.gov.cn/hook",
            "HTTPS://example.gov.cn:8443",
            "https://[::1]:9443/h",
        ] {
            assert!(check_url(good).is_ok(), "{good}");
        }
        for bad in [
            "ftp://x/y",
            "http:///nohost",
            "https://:443/nohost",
            "http://a b/c",
            "example.gov.cn/hook",
            "https://user:pw@example.gov.cn/h",
            "https://example.gov.cn:99999/h",
            "https://example.gov.cn:0/h",
            "https://example.gov.cn:/h",
            "https://[::1/h",
            "file:///etc/passwd",
        ] {
            let e = check_url(bad).expect_err(bad);
            assert!(matches!(e, ApiError::Unprocessable { .. }), "{bad}: {e:?}");
        }
        assert!(check_url(&format!("http://h/{}", "a".repeat(MAX_URL_LEN))).is_err());
    }
}
