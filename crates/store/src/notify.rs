//! The notifier's side of the store: reading the audit trail for the messages a case change
//! causes, writing each message to the outbox once, delivery by claim, and webhooks.
//!
//! Several nodes may run the notifier over one database. Two rules keep a message from going
//! out twice: the outbox holds one row per (event, channel, recipient) — a second node planning
//! the same event writes nothing — and a message is sent only by the node whose conditional
//! update claimed it (`pending` → `sending`). A node that dies holding a claim loses it after a
//! while ([`Store::claim_notifications`]'s `stale_before`), so a message may, rarely, go out
//! twice, but never not at all.

use domain::time::Timestamp;
use domain::workflow::Source;
use serde::Serialize;
use sqlx::AssertSqlSafe;

use crate::Store;
use crate::cases::corrupt;
use crate::cases::event_from_row;
use crate::citizens::notification_from_row;
use crate::rows::RowExt;
use crate::{NewNotification, Notification, StoreError, StoredEvent, on_read, on_write};

/// An integration endpoint that receives case changes.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Webhook {
    pub id: i64,
    pub name: String,
    pub url: String,
    /// The key of the HMAC-SHA256 signature; never shown again after creation.
    #[serde(skip)]
    pub secret: String,
    /// The case actions it wants; empty for all.
    pub actions: Vec<String>,
    pub active: bool,
    pub created_by: Option<i64>,
    pub created_at: Timestamp,
}

/// A webhook to register.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NewWebhook {
    pub name: String,
    pub url: String,
    pub secret: String,
    pub actions: Vec<String>,
    pub created_by: Option<i64>,
}

/// What became of one delivery attempt.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Delivery {
    Sent,
    /// Failed; try again at `at`.
    Retry {
        error: String,
        at: Timestamp,
    },
    /// Failed for good.
    Failed {
        error: String,
    },
}

/// The reporter of a duplicate linked to a case: they follow the master case.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Follower {
    pub case_id: i64,
    pub source: Source,
    pub phone: String,
}

/// ` AND action IN ($first, …)` for `actions`, or nothing. Only placeholders are spliced in.
fn action_filter(actions: Option<&[&str]>, first: usize) -> String {
    match actions {
        Some(list) if !list.is_empty() => {
            let ps: Vec<String> = (0..list.len()).map(|i| format!("${}", first + i)).collect();
            format!(" AND action IN ({})", ps.join(", "))
        }
        // An empty list matches nothing.
        Some(_) => " AND 1 = 0".to_owned(),
        None => String::new(),
    }
}

fn webhook_from_row(r: &impl RowExt) -> Result<Webhook, StoreError> {
    Ok(Webhook {
        id: r.i64("id")?,
        name: r.text("name")?,
        url: r.text("url")?,
        secret: r.text("secret")?,
        actions: serde_json::from_str(&r.text("actions")?)?,
        active: r.bool("active")?,
        created_by: r.opt_i64("created_by")?,
        created_at: Timestamp(r.i64("created_at")?),
    })
}

impl Store {
    /// Case events with an id above `after`, oldest first, at most `limit`; only those whose
    /// action is in `actions` when given.
    ///
    /// # Errors
    /// The store fails.
    pub async fn events_after(
        &self,
        after: i64,
        limit: u32,
        actions: Option<&[&str]>,
    ) -> Result<Vec<StoredEvent>, StoreError> {
        let limit = i64::from(limit.clamp(1, 5000));
        let sql = format!(
            "SELECT * FROM case_events WHERE id > $1{} ORDER BY id LIMIT $2",
            action_filter(actions, 3)
        );
        on_read!(self, p => {
            let mut q = sqlx::query(AssertSqlSafe(sql.clone())).bind(after).bind(limit);
            for a in actions.unwrap_or_default() {
                q = q.bind(*a);
            }
            let rows = q.fetch_all(p).await?;
            rows.iter().map(event_from_row).collect()
        })
    }

    /// The ids of the case events in `(after, upto]` (with an action in `actions` when given),
    /// for finding events that committed late (on PostgreSQL a transaction holding a lower id
    /// can commit after a higher one).
    ///
    /// # Errors
    /// The store fails.
    pub async fn event_ids_between(
        &self,
        after: i64,
        upto: i64,
        actions: Option<&[&str]>,
    ) -> Result<Vec<i64>, StoreError> {
        let sql = format!(
            "SELECT id FROM case_events WHERE id > $1 AND id <= $2{} ORDER BY id",
            action_filter(actions, 3)
        );
        on_read!(self, p => {
            let mut q = sqlx::query_scalar(AssertSqlSafe(sql.clone())).bind(after).bind(upto);
            for a in actions.unwrap_or_default() {
                q = q.bind(*a);
            }
            let ids: Vec<i64> = q.fetch_all(p).await?;
            Ok(ids)
        })
    }

    /// One case event.
    ///
    /// # Errors
    /// The store fails.
    pub async fn event_by_id(&self, id: i64) -> Result<Option<StoredEvent>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM case_events WHERE id = $1")
                .bind(id).fetch_optional(p).await?;
            row.as_ref().map(event_from_row).transpose()
        })
    }

    /// The highest case event id (0 when there is none).
    ///
    /// # Errors
    /// The store fails.
    pub async fn max_event_id(&self) -> Result<i64, StoreError> {
        on_read!(self, p => {
            let id: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM case_events")
                .fetch_one(p).await?;
            Ok(id.unwrap_or(0))
        })
    }

    /// The reporters (with a phone) of the duplicates linked to `case_id`.
    ///
    /// # Errors
    /// The store fails.
    pub async fn followers_of(&self, case_id: i64) -> Result<Vec<Follower>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT id, source, reporter_phone FROM cases
                 WHERE master_case_id = $1 AND reporter_phone IS NOT NULL ORDER BY id",
            )
            .bind(case_id).fetch_all(p).await?;
            rows.iter().map(|r| {
                let source = r.text("source")?;
                Ok(Follower {
                    case_id: r.i64("id")?,
                    source: Source::parse(&source).ok_or_else(|| corrupt("source", &source))?,
                    phone: r.text("reporter_phone")?,
                })
            }).collect()
        })
    }

    /// How far the notifier `name` has settled, creating its record at `start` when it has
    /// none (so a first start does not message about the past).
    ///
    /// # Errors
    /// The store fails.
    pub async fn notifier_progress(
        &self,
        name: &str,
        start: i64,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "INSERT INTO notifier_progress (name, settled_event_id, updated_at)
                 VALUES ($1, $2, $3) ON CONFLICT (name) DO NOTHING",
            )
            .bind(name).bind(start).bind(now.0).execute(p).await?;
            let id: i64 = sqlx::query_scalar(
                "SELECT settled_event_id FROM notifier_progress WHERE name = $1",
            )
            .bind(name).fetch_one(p).await?;
            Ok(id)
        })
    }

    /// Moves the notifier `name` forward to `settled` (never back: another node may be ahead).
    ///
    /// # Errors
    /// The store fails.
    pub async fn advance_notifier(
        &self,
        name: &str,
        settled: i64,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        on_write!(self, p => {
            sqlx::query(
                "UPDATE notifier_progress SET settled_event_id = $1, updated_at = $2
                 WHERE name = $3 AND settled_event_id < $1",
            )
            .bind(settled).bind(now.0).bind(name).execute(p).await?;
            Ok(())
        })
    }

    /// Writes a message to the outbox as `pending` unless the same (event, channel,
    /// recipient) is already there; returns the new id, or `None` when it was.
    ///
    /// # Errors
    /// The store fails.
    pub async fn insert_notification_once(
        &self,
        n: &NewNotification,
        webhook_id: Option<i64>,
        now: Timestamp,
    ) -> Result<Option<i64>, StoreError> {
        on_write!(self, p => {
            let id: Option<i64> = sqlx::query_scalar(
                "INSERT INTO notifications (channel, kind, recipient, subject, body, case_id,
                   event_id, webhook_id, status, attempts, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 'pending', 0, $9)
                 ON CONFLICT DO NOTHING RETURNING id",
            )
            .bind(&n.channel).bind(&n.kind).bind(&n.recipient).bind(&n.subject).bind(&n.body)
            .bind(n.case_id).bind(n.event_id).bind(webhook_id).bind(now.0)
            .fetch_optional(p).await?;
            Ok(id)
        })
    }

    /// Claims up to `limit` messages due for delivery for `node`: pending ones whose retry
    /// time has come, and ones another node claimed before `stale_before` and never finished.
    /// Each claim is a conditional update, so of two nodes racing for a message one wins.
    ///
    /// # Errors
    /// The store fails.
    pub async fn claim_notifications(
        &self,
        node: &str,
        now: Timestamp,
        stale_before: Timestamp,
        limit: u32,
    ) -> Result<Vec<Notification>, StoreError> {
        let limit = i64::from(limit.clamp(1, 500));
        let candidates: Vec<i64> = on_read!(self, p => {
            sqlx::query_scalar(
                "SELECT id FROM notifications
                 WHERE (status = 'pending' AND (next_at IS NULL OR next_at <= $1))
                    OR (status = 'sending' AND claimed_at < $2)
                 ORDER BY id LIMIT $3",
            )
            .bind(now.0).bind(stale_before.0).bind(limit).fetch_all(p).await?
        });
        let mut claimed = Vec::with_capacity(candidates.len());
        for id in candidates {
            let row = on_write!(self, p => {
                sqlx::query(
                    "UPDATE notifications SET status = 'sending', claimed_by = $1, claimed_at = $2,
                       attempts = attempts + 1
                     WHERE id = $3 AND ((status = 'pending' AND (next_at IS NULL OR next_at <= $2))
                        OR (status = 'sending' AND claimed_at < $4))
                     RETURNING *",
                )
                .bind(node).bind(now.0).bind(id).bind(stale_before.0)
                .fetch_optional(p).await?
                .as_ref()
                .map(notification_from_row)
                .transpose()?
            });
            if let Some(n) = row {
                claimed.push(n);
            }
        }
        Ok(claimed)
    }

    /// Records the outcome of a delivery by the node that claimed the message; returns false
    /// (and changes nothing) when that node no longer holds the claim.
    ///
    /// # Errors
    /// The store fails.
    pub async fn finish_notification(
        &self,
        id: i64,
        node: &str,
        outcome: &Delivery,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let (status, error, sent_at, next_at) = match outcome {
            Delivery::Sent => ("sent", None, Some(now.0), None),
            Delivery::Retry { error, at } => ("pending", Some(error.as_str()), None, Some(at.0)),
            Delivery::Failed { error } => ("failed", Some(error.as_str()), None, None),
        };
        on_write!(self, p => {
            let n = sqlx::query(
                "UPDATE notifications SET status = $1, error = $2, sent_at = $3, next_at = $4,
                   claimed_by = NULL, claimed_at = NULL
                 WHERE id = $5 AND status = 'sending' AND claimed_by = $6",
            )
            .bind(status).bind(error).bind(sent_at).bind(next_at).bind(id).bind(node)
            .execute(p).await?.rows_affected();
            Ok(n == 1)
        })
    }

    /// Registers a webhook.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] when a webhook with the URL exists; the store fails.
    pub async fn create_webhook(
        &self,
        w: &NewWebhook,
        now: Timestamp,
    ) -> Result<Webhook, StoreError> {
        let actions = serde_json::to_string(&w.actions)?;
        let id: i64 = on_write!(self, p => {
            sqlx::query_scalar(
                "INSERT INTO webhooks (name, url, secret, actions, active, created_by, created_at)
                 VALUES ($1, $2, $3, $4, 1, $5, $6) RETURNING id",
            )
            .bind(&w.name).bind(&w.url).bind(&w.secret).bind(&actions).bind(w.created_by)
            .bind(now.0).fetch_one(p).await?
        });
        self.webhook(id)
            .await?
            .ok_or(StoreError::NotFound("webhook"))
    }

    /// One webhook.
    ///
    /// # Errors
    /// The store fails.
    pub async fn webhook(&self, id: i64) -> Result<Option<Webhook>, StoreError> {
        on_write!(self, p => {
            let row = sqlx::query("SELECT * FROM webhooks WHERE id = $1")
                .bind(id).fetch_optional(p).await?;
            row.as_ref().map(webhook_from_row).transpose()
        })
    }

    /// Every webhook (`active_only`: the ones that receive changes), oldest first.
    ///
    /// # Errors
    /// The store fails.
    pub async fn webhooks(&self, active_only: bool) -> Result<Vec<Webhook>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM webhooks WHERE ($1 = 0 OR active = 1) ORDER BY id",
            )
            .bind(i64::from(active_only)).fetch_all(p).await?;
            rows.iter().map(webhook_from_row).collect()
        })
    }

    /// Stops (or restarts) a webhook; returns false when there is none with `id`. Messages
    /// already in the outbox for it fail at delivery.
    ///
    /// # Errors
    /// The store fails.
    pub async fn set_webhook_active(&self, id: i64, active: bool) -> Result<bool, StoreError> {
        on_write!(self, p => {
            let n = sqlx::query("UPDATE webhooks SET active = $1 WHERE id = $2")
                .bind(i64::from(active)).bind(id).execute(p).await?.rows_affected();
            Ok(n == 1)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::backends;

    fn t(ms: i64) -> Timestamp {
        Timestamp(1_795_000_000_000 + ms)
    }

    fn sms(event_id: i64, to: &str) -> NewNotification {
        NewNotification {
            channel: "sms".into(),
            kind: "close".into(),
            recipient: to.into(),
            subject: "结案".into(),
            body: "您反映的问题已办结".into(),
            case_id: None,
            event_id: Some(event_id),
        }
    }

    #[tokio::test]
    async fn outbox_once_claims_retries_and_webhooks_on_every_backend() {
        for (name, store, _schema, _dir) in backends("notify").await {
            // Written once per (event, channel, recipient).
            let a = store
                .insert_notification_once(&sms(7, "13800000001"), None, t(0))
                .await
                .expect("insert");
            assert!(a.is_some(), "{name}");
            let again = store
                .insert_notification_once(&sms(7, "13800000001"), None, t(1))
                .await
                .expect("insert");
            assert_eq!(
                again, None,
                "{name}: the same event and recipient is written once"
            );
            let other = store
                .insert_notification_once(&sms(7, "13800000002"), None, t(1))
                .await
                .expect("insert");
            assert!(
                other.is_some(),
                "{name}: another recipient of the same event"
            );

            // Two nodes claim: each message goes to one of them.
            let n1 = store
                .claim_notifications("node-1", t(10), t(-60_000), 1)
                .await
                .expect("claim");
            let n2 = store
                .claim_notifications("node-2", t(10), t(-60_000), 10)
                .await
                .expect("claim");
            assert_eq!(n1.len(), 1, "{name}");
            assert_eq!(n2.len(), 1, "{name}");
            assert_ne!(n1[0].id, n2[0].id, "{name}");
            assert_eq!(n1[0].status, "sending");
            assert_eq!(n1[0].attempts, 1);
            let none = store
                .claim_notifications("node-3", t(20), t(-60_000), 10)
                .await
                .expect("claim");
            assert!(
                none.is_empty(),
                "{name}: claimed messages are not handed out again"
            );

            // Only the claiming node records the outcome.
            assert!(
                !store
                    .finish_notification(n1[0].id, "node-2", &Delivery::Sent, t(30))
                    .await
                    .expect("finish")
            );
            assert!(
                store
                    .finish_notification(n1[0].id, "node-1", &Delivery::Sent, t(30))
                    .await
                    .expect("finish")
            );
            // A retry waits for its time.
            let retry = Delivery::Retry {
                error: "HTTP 503".into(),
                at: t(60_000),
            };
            assert!(
                store
                    .finish_notification(n2[0].id, "node-2", &retry, t(30))
                    .await
                    .expect("finish")
            );
            assert!(
                store
                    .claim_notifications("node-1", t(59_000), t(-1), 10)
                    .await
                    .expect("claim")
                    .is_empty(),
                "{name}"
            );
            let retried = store
                .claim_notifications("node-1", t(60_000), t(-1), 10)
                .await
                .expect("claim");
            assert_eq!(retried.len(), 1, "{name}");
            assert_eq!(retried[0].attempts, 2);
            assert_eq!(retried[0].error.as_deref(), Some("HTTP 503"));
            // A node that died holding a claim loses it once the claim is stale.
            assert!(
                store
                    .claim_notifications("node-2", t(60_001), t(59_999), 10)
                    .await
                    .expect("claim")
                    .is_empty()
            );
            let taken = store
                .claim_notifications("node-2", t(200_000), t(100_000), 10)
                .await
                .expect("claim");
            assert_eq!(taken.len(), 1, "{name}: a stale claim is taken over");
            assert!(
                !store
                    .finish_notification(taken[0].id, "node-1", &Delivery::Sent, t(200_001))
                    .await
                    .expect("finish")
            );
            let failed = Delivery::Failed {
                error: "gave up".into(),
            };
            assert!(
                store
                    .finish_notification(taken[0].id, "node-2", &failed, t(200_001))
                    .await
                    .expect("finish")
            );
            let all = store
                .list_notifications(&crate::NotificationFilter {
                    limit: 10,
                    ..Default::default()
                })
                .await
                .expect("list");
            let mut statuses: Vec<_> = all.iter().map(|n| n.status.as_str()).collect();
            statuses.sort_unstable();
            assert_eq!(statuses, ["failed", "sent"], "{name}");

            // Progress: created at the start value, only moves forward.
            assert_eq!(
                store
                    .notifier_progress("cases", 42, t(0))
                    .await
                    .expect("progress"),
                42
            );
            assert_eq!(
                store
                    .notifier_progress("cases", 99, t(0))
                    .await
                    .expect("progress"),
                42,
                "{name}: kept"
            );
            store
                .advance_notifier("cases", 50, t(1))
                .await
                .expect("advance");
            store
                .advance_notifier("cases", 45, t(2))
                .await
                .expect("advance");
            assert_eq!(
                store
                    .notifier_progress("cases", 0, t(3))
                    .await
                    .expect("progress"),
                50,
                "{name}"
            );

            // Webhooks.
            let w = store
                .create_webhook(
                    &NewWebhook {
                        name: "12345 平台".into(),
                        url: "http://127.0.0.1:9/hook".into(),
                        secret: "s3cret".into(),
                        actions: vec!["close".into()],
                        created_by: None,
                    },
                    t(0),
                )
                .await
                .expect("webhook");
            assert!(w.active);
            assert_eq!(w.actions, ["close"]);
            let dup = store
                .create_webhook(
                    &NewWebhook {
                        name: "again".into(),
                        url: w.url.clone(),
                        secret: "x".into(),
                        actions: vec![],
                        created_by: None,
                    },
                    t(0),
                )
                .await;
            assert!(
                matches!(dup, Err(StoreError::Duplicate(_))),
                "{name}: {dup:?}"
            );
            assert_eq!(store.webhooks(true).await.expect("list").len(), 1);
            assert!(store.set_webhook_active(w.id, false).await.expect("stop"));
            assert!(
                store.webhooks(true).await.expect("list").is_empty(),
                "{name}"
            );
            assert_eq!(store.webhooks(false).await.expect("list").len(), 1);
            assert!(
                !store
                    .set_webhook_active(w.id + 100, false)
                    .await
                    .expect("stop")
            );
            let hooked = store
                .insert_notification_once(
                    &NewNotification {
                        channel: "webhook".into(),
                        recipient: w.url.clone(),
                        ..sms(8, "")
                    },
                    Some(w.id),
                    t(0),
                )
                .await
                .expect("insert");
            assert!(hooked.is_some());
        }
    }
}
