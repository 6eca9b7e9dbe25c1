//! Citizens' side of the store: one-time sign-in codes, the notification outbox (SMS and
//! webhooks, written before they are sent) and citizen accounts found by phone number.

use domain::time::Timestamp;
use serde::Serialize;

use crate::rows::RowExt;
use crate::{Store, StoreError, on_read, on_write};

/// The live one-time code of a phone number (only its hash is kept).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OtpCode {
    pub phone: String,
    pub code_hash: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
    /// Wrong codes tried against it so far.
    pub attempts: i64,
}

/// A message to write to the outbox.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewNotification {
    /// `sms` or `webhook`.
    pub channel: String,
    /// What it is about: `otp`, or the case action that caused it (`close`, `reply`, …).
    pub kind: String,
    /// A phone number or a webhook URL.
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub case_id: Option<i64>,
    pub event_id: Option<i64>,
}

/// A message in the outbox.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub channel: String,
    pub kind: String,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub case_id: Option<i64>,
    pub event_id: Option<i64>,
    /// `pending` (waiting, or waiting to be retried at `next_at`), `sending` (claimed by a
    /// node), `sent` or `failed`.
    pub status: String,
    /// The webhook it goes to (channel `webhook`).
    pub webhook_id: Option<i64>,
    pub next_at: Option<Timestamp>,
    pub attempts: i64,
    pub error: Option<String>,
    pub created_at: Timestamp,
    pub sent_at: Option<Timestamp>,
}

/// Which outbox messages to list, newest first.
#[derive(Clone, Debug, Default)]
pub struct NotificationFilter {
    pub channel: Option<String>,
    pub recipient: Option<String>,
    pub case_id: Option<i64>,
    pub limit: u32,
}

pub(crate) fn notification_from_row(r: &impl RowExt) -> Result<Notification, StoreError> {
    Ok(Notification {
        id: r.i64("id")?,
        channel: r.text("channel")?,
        kind: r.text("kind")?,
        recipient: r.text("recipient")?,
        subject: r.text("subject")?,
        body: r.text("body")?,
        case_id: r.opt_i64("case_id")?,
        event_id: r.opt_i64("event_id")?,
        status: r.text("status")?,
        webhook_id: r.opt_i64("webhook_id")?,
        next_at: r.opt_i64("next_at")?.map(Timestamp),
        attempts: r.i64("attempts")?,
        error: r.opt_text("error")?,
        created_at: Timestamp(r.i64("created_at")?),
        sent_at: r.opt_i64("sent_at")?.map(Timestamp),
    })
}

impl Store {
    /// Stores a new code for `phone`, replacing any earlier one (and its attempt count).
    ///
    /// # Errors
    /// The store fails.
    pub async fn put_otp(
        &self,
        phone: &str,
        code_hash: &str,
        now: Timestamp,
        expires_at: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO otp_codes (phone, code_hash, created_at, expires_at, attempts)
                 VALUES ($1, $2, $3, $4, 0)
                 ON CONFLICT (phone) DO UPDATE SET code_hash = excluded.code_hash,
                   created_at = excluded.created_at, expires_at = excluded.expires_at, attempts = 0",
            )
            .bind(phone).bind(code_hash).bind(now.0).bind(expires_at.0)
            .execute(p).await?;
            Ok(())
        })
    }

    /// The live code of `phone`, if any.
    ///
    /// # Errors
    /// The store fails.
    pub async fn otp(&self, phone: &str) -> Result<Option<OtpCode>, StoreError> {
        on_write!(self, p => {
            let row = sqlx::query("SELECT * FROM otp_codes WHERE phone = $1")
                .bind(phone).fetch_optional(p).await?;
            row.map(|r| -> Result<OtpCode, StoreError> {
                Ok(OtpCode {
                    phone: r.text("phone")?,
                    code_hash: r.text("code_hash")?,
                    created_at: Timestamp(r.i64("created_at")?),
                    expires_at: Timestamp(r.i64("expires_at")?),
                    attempts: r.i64("attempts")?,
                })
            }).transpose()
        })
    }

    /// Counts one wrong attempt against the code of `phone`.
    ///
    /// # Errors
    /// The store fails.
    pub async fn otp_failed_attempt(&self, phone: &str) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query("UPDATE otp_codes SET attempts = attempts + 1 WHERE phone = $1")
                .bind(phone).execute(p).await?;
            Ok(())
        })
    }

    /// Removes the code of `phone` (used, or burnt by too many wrong attempts).
    ///
    /// # Errors
    /// The store fails.
    pub async fn delete_otp(&self, phone: &str) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query("DELETE FROM otp_codes WHERE phone = $1").bind(phone).execute(p).await?;
            Ok(())
        })
    }

    /// Writes a message the caller sends at once (a one-time code) to the outbox, claimed by
    /// the caller (`sending`, so no notifier takes it); returns its id. Record the outcome with
    /// [`Store::mark_notification`].
    ///
    /// # Errors
    /// The store fails.
    pub async fn insert_notification(
        &self,
        n: &NewNotification,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO notifications (channel, kind, recipient, subject, body, case_id,
                   event_id, status, attempts, claimed_by, claimed_at, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, 'sending', 0, 'direct', $8, $8) RETURNING id",
            )
            .bind(&n.channel).bind(&n.kind).bind(&n.recipient).bind(&n.subject).bind(&n.body)
            .bind(n.case_id).bind(n.event_id).bind(now.0)
            .fetch_one(p).await?;
            Ok(id)
        })
    }

    /// Records a delivery attempt: `sent` (with the time) or `failed` (with the error).
    ///
    /// # Errors
    /// The store fails.
    pub async fn mark_notification(
        &self,
        id: i64,
        result: Result<(), String>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let (status, error, sent_at) = match result {
            Ok(()) => ("sent", None, Some(now.0)),
            Err(e) => ("failed", Some(e), None),
        };
        on_write!(self, p => {
            sqlx::query(
                "UPDATE notifications SET status = $1, error = $2, sent_at = $3,
                   attempts = attempts + 1, claimed_by = NULL, claimed_at = NULL WHERE id = $4",
            )
            .bind(status).bind(error).bind(sent_at).bind(id)
            .execute(p).await?;
            Ok(())
        })
    }

    /// How many messages of `kind` went to `recipient` since `since` (for per-phone limits,
    /// the same on every node).
    ///
    /// # Errors
    /// The store fails.
    pub async fn count_notifications(
        &self,
        recipient: &str,
        kind: &str,
        since: Timestamp,
    ) -> Result<i64, StoreError> {
        on_write!(self, p => {
            let n: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM notifications WHERE recipient = $1 AND kind = $2 AND created_at >= $3",
            )
            .bind(recipient).bind(kind).bind(since.0)
            .fetch_one(p).await?;
            Ok(n)
        })
    }

    /// Outbox messages, newest first.
    ///
    /// # Errors
    /// The store fails.
    pub async fn list_notifications(
        &self,
        f: &NotificationFilter,
    ) -> Result<Vec<Notification>, StoreError> {
        let limit = i64::from(f.limit.clamp(1, 500));
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM notifications
                 WHERE ($1 IS NULL OR channel = $1) AND ($2 IS NULL OR recipient = $2)
                   AND ($3 IS NULL OR case_id = $3)
                 ORDER BY id DESC LIMIT $4",
            )
            .bind(f.channel.as_deref()).bind(f.recipient.as_deref()).bind(f.case_id).bind(limit)
            .fetch_all(p).await?;
            rows.iter().map(notification_from_row).collect()
        })
    }

    /// The id of the active user whose phone is `phone`, the oldest first.
    ///
    /// # Errors
    /// The store fails.
    pub async fn user_id_by_phone(&self, phone: &str) -> Result<Option<i64>, StoreError> {
        on_read!(self, p => {
            let id: Option<i64> = sqlx::query_scalar(
                "SELECT id FROM users WHERE phone = $1 AND active = 1 ORDER BY id LIMIT 1",
            )
            .bind(phone).fetch_optional(p).await?;
            Ok(id)
        })
    }
}
