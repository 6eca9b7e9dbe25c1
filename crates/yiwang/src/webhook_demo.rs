//! The demo's integration: a simulated 12345 政务服务热线 platform that subscribes to the
//! real webhook (`POST /api/webhooks` equivalent, straight through the store) and receives the
//! filings, answers and closings of the district's cases. It checks each delivery's HMAC
//! signature and logs what arrived (`yiwang::webhook_demo` at debug; the demo prints the counts when it stops), so a newcomer sees the
//! notifier's integration path working beside its SMS to citizens (`yiwang::sms`).

use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use axum::Router;
use axum::http::{HeaderMap, StatusCode};
use domain::time::Timestamp;
use store::{NewWebhook, Store};
use tokio_util::sync::CancellationToken;

/// The name the demo's webhook is registered under (earlier runs' ones are stopped).
const DEMO_WEBHOOK_NAME: &str = "12345 政务服务平台 (demo)";
/// The signing key (demo data only; real webhooks get a generated one).
const DEMO_WEBHOOK_SECRET: &str = "yiwang-demo-12345-webhook-secret";
/// The actions the 12345 platform follows: it forwarded tickets and must report back.
const ACTIONS: [&str; 4] = ["file", "reply", "close", "reject"];

/// Counts of what the simulated platform received.
#[derive(Debug, Default)]
pub struct Received {
    pub valid: AtomicU64,
    pub bad_signature: AtomicU64,
}

/// Starts the simulated platform on a free local port and registers it as a webhook (stopping
/// the ones earlier demo runs registered); returns its address.
///
/// # Errors
/// The port cannot be bound or the store fails.
pub async fn start(
    store: &Store,
    now: Timestamp,
    cancel: CancellationToken,
) -> anyhow::Result<(SocketAddr, Arc<Received>)> {
    let received = Arc::new(Received::default());
    let r = received.clone();
    let app = Router::new().route(
        "/12345/hook",
        axum::routing::post(move |headers: HeaderMap, body: String| {
            let r = r.clone();
            async move { receive(&r, &headers, &body) }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    tokio::spawn(async move {
        let _ = axum::serve(listener, app)
            .with_graceful_shutdown(async move { cancel.cancelled().await })
            .await;
    });
    for old in store.webhooks(true).await? {
        if old.name == DEMO_WEBHOOK_NAME {
            store.set_webhook_active(old.id, false).await?;
        }
    }
    store
        .create_webhook(
            &NewWebhook {
                name: DEMO_WEBHOOK_NAME.to_owned(),
                url: format!("http://{addr}/12345/hook"),
                secret: DEMO_WEBHOOK_SECRET.to_owned(),
                actions: ACTIONS.iter().map(|a| (*a).to_owned()).collect(),
                created_by: None,
            },
            now,
        )
        .await?;
    Ok((addr, received))
}

fn receive(r: &Received, headers: &HeaderMap, body: &str) -> StatusCode {
    let signature = headers
        .get("x-yiwang-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if signature != server::notify::signature(DEMO_WEBHOOK_SECRET, body.as_bytes()) {
        r.bad_signature.fetch_add(1, Ordering::Relaxed);
        tracing::warn!(target: "yiwang::webhook_demo", "12345 platform: bad signature");
        return StatusCode::UNAUTHORIZED;
    }
    r.valid.fetch_add(1, Ordering::Relaxed);
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    tracing::debug!(
        target: "yiwang::webhook_demo",
        action = v["event"]["action"].as_str().unwrap_or(""),
        case_no = v["case"]["case_no"].as_str().unwrap_or(""),
        "12345 platform received a case change"
    );
    StatusCode::OK
}
