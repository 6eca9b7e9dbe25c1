//! Messages to citizens and integrations: the SMS seam and the outbox.
//!
//! Every message is first written to the `notifications` outbox (`pending`), then handed to the
//! sender, then marked `sent` or `failed` — so what was said to whom, and whether it went out,
//! is on record and visible to admins (`GET /api/notifications`). The sender is pluggable: the
//! demo and tests use [`LogSms`] (a log line; the outbox row is the message), a deployment plugs
//! in its SMS gateway behind [`SmsSender`].

use std::future::Future;
use std::pin::Pin;

use store::NewNotification;

use crate::AppState;
use crate::error::ApiResult;

/// A boxed future, so senders can be trait objects.
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// Delivers one SMS. Implementations must not panic; an `Err` is recorded on the message.
pub trait SmsSender: Send + Sync {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a>;
}

/// The demo's sender: a log line (the outbox row holds the whole message).
#[derive(Clone, Copy, Debug, Default)]
pub struct LogSms;

impl SmsSender for LogSms {
    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> SendFuture<'a> {
        Box::pin(async move {
            tracing::info!(target: "yiwang::sms", to, body, "SMS (log sender)");
            Ok(())
        })
    }
}

/// Writes an SMS to the outbox, sends it and records the outcome; returns the message id.
/// A failed delivery is recorded, not returned as an error: the caller's action stands.
///
/// # Errors
/// The outbox write fails.
pub async fn send_sms(state: &AppState, message: NewNotification) -> ApiResult<i64> {
    let id = state
        .store
        .insert_notification(&message, state.now())
        .await?;
    let result = state.sms.send(&message.recipient, &message.body).await;
    if let Err(e) = &result {
        tracing::warn!(id, error = %e, "SMS not delivered");
    }
    state
        .store
        .mark_notification(id, result, state.now())
        .await?;
    Ok(id)
}
