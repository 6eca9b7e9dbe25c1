//! Rate limits shared by every node on one store (`rate_limits`): each decision is one atomic
//! upsert, so two nodes (or two requests on one node) never both take the last token.
//!
//! - [`Store::rate_take`]: a token bucket (`burst` at once, one more every `interval_ms`) kept as
//!   its theoretical arrival time — the generic cell rate algorithm. The row holds `tat`; a
//!   request at `now` is allowed when `max(tat, now) - now <= (burst - 1) * interval`, and then
//!   `tat` becomes `max(tat, now) + interval`. Exactly the in-memory token bucket, in one row.
//! - [`Store::rate_count`]: a counter of a fixed window named in the key (a day, say), allowed
//!   while below `limit`.
//!
//! A refused request changes nothing. Rows past `expires_at` mean the same as no row and are
//! removed by [`Store::prune_rate_limits`].

use domain::time::Timestamp;

use crate::rows::RowExt;
use crate::{Store, StoreError, on_write};

/// The answer of a shared rate limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RateDecision {
    /// Counted; go ahead.
    Allowed,
    /// Over the limit; nothing was counted. Milliseconds until a request would be allowed.
    Refused { retry_after_ms: i64 },
}

impl RateDecision {
    pub fn is_allowed(self) -> bool {
        matches!(self, RateDecision::Allowed)
    }
}

/// `max(tat, now)` in SQL both backends accept ($2 is `now`).
const START: &str = "(CASE WHEN rate_limits.value > $2 THEN rate_limits.value ELSE $2 END)";

impl Store {
    /// Takes one token of the bucket `name`: `burst` requests at once, refilled one per
    /// `interval_ms`. Atomic across nodes.
    ///
    /// # Errors
    /// The store fails; `burst` is 0 or `interval_ms` not positive.
    pub async fn rate_take(
        &self,
        name: &str,
        now: Timestamp,
        interval_ms: i64,
        burst: u32,
    ) -> Result<RateDecision, StoreError> {
        if burst == 0 || interval_ms <= 0 {
            return Err(StoreError::Invalid(format!(
                "rate limit {name}: burst {burst}, interval {interval_ms} ms"
            )));
        }
        let tolerance = interval_ms.saturating_mul(i64::from(burst) - 1);
        // $1 name, $2 now, $3 interval, $4 tolerance.
        let sql = format!(
            "INSERT INTO rate_limits (name, value, expires_at) VALUES ($1, $2 + $3, $2 + $3)
             ON CONFLICT (name) DO UPDATE SET value = {START} + $3, expires_at = {START} + $3
             WHERE {START} - $2 <= $4
             RETURNING value"
        );
        let taken = on_write!(self, p => {
            sqlx::query(sqlx::AssertSqlSafe(sql.clone()))
                .bind(name).bind(now.0).bind(interval_ms).bind(tolerance)
                .fetch_optional(p).await?.is_some()
        });
        if taken {
            return Ok(RateDecision::Allowed);
        }
        // Refused: when the next token is back (read after the fact, for the answer only).
        let tat = on_write!(self, p => {
            let row = sqlx::query("SELECT value FROM rate_limits WHERE name = $1")
                .bind(name).fetch_optional(p).await?;
            row.map(|r| r.i64("value")).transpose()?
        });
        let retry_after_ms = tat.map_or(0, |tat| tat - tolerance - now.0).max(1);
        Ok(RateDecision::Refused { retry_after_ms })
    }

    /// Counts one request against `name` (a fixed window: put the window in the name) while
    /// the count is below `limit`; the row is kept until `window_end`. Atomic across nodes.
    ///
    /// # Errors
    /// The store fails.
    pub async fn rate_count(
        &self,
        name: &str,
        now: Timestamp,
        limit: i64,
        window_end: Timestamp,
    ) -> Result<RateDecision, StoreError> {
        let counted = on_write!(self, p => {
            sqlx::query(
                "INSERT INTO rate_limits (name, value, expires_at) VALUES ($1, 1, $2)
                 ON CONFLICT (name) DO UPDATE SET value = rate_limits.value + 1
                 WHERE rate_limits.value < $3
                 RETURNING value",
            )
            .bind(name).bind(window_end.0).bind(limit)
            .fetch_optional(p).await?.is_some()
        });
        // A limit of 0 still inserts the first row: refuse it without counting more.
        if counted && limit > 0 {
            Ok(RateDecision::Allowed)
        } else {
            Ok(RateDecision::Refused {
                retry_after_ms: (window_end.0 - now.0).max(1),
            })
        }
    }

    /// Deletes the rows that no longer limit anything (past `expires_at`); returns how many.
    ///
    /// # Errors
    /// The store fails.
    pub async fn prune_rate_limits(&self, now: Timestamp) -> Result<u64, StoreError> {
        on_write!(self, p => {
            let done = sqlx::query("DELETE FROM rate_limits WHERE expires_at < $1")
                .bind(now.0).execute(p).await?;
            Ok(done.rows_affected())
        })
    }

    /// The stored value of a limit (the bucket's arrival time or the window's count), if any.
    ///
    /// # Errors
    /// The store fails.
    pub async fn rate_value(&self, name: &str) -> Result<Option<i64>, StoreError> {
        on_write!(self, p => {
            let row = sqlx::query("SELECT value FROM rate_limits WHERE name = $1")
                .bind(name).fetch_optional(p).await?;
            row.map(|r| r.i64("value")).transpose()
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tests::backends;

    /// Runs `check` on every backend (PostgreSQL schema tag `rl_intg_<tag>`), dropping the schema.
    async fn on_both(tag: &str, check: impl AsyncFn(&Store)) {
        for (name, store, schema, _dir) in backends(&format!("rl_intg_{tag}")).await {
            check(&store).await;
            if let Some(s) = schema {
                store.drop_schema(&s).await.expect("drop");
            }
            eprintln!("rate limits {tag} passed on {name}");
        }
    }

    async fn shared_limits(s: &Store) {
        let t = Timestamp(1_800_000_000_000);
        // Bucket: 3 at once, one more every 10 s.
        for i in 0..3 {
            assert!(
                s.rate_take("ip:a", Timestamp(t.0 + i), 10_000, 3)
                    .await
                    .expect("take")
                    .is_allowed(),
                "{i}"
            );
        }
        let refused = s.rate_take("ip:a", Timestamp(t.0 + 3), 10_000, 3).await;
        // tat = t + 30 s; the next token is back at t + 10 s.
        assert_eq!(
            refused.expect("take"),
            RateDecision::Refused {
                retry_after_ms: 10_000 - 3
            }
        );
        assert!(
            s.rate_take("ip:b", Timestamp(t.0 + 3), 10_000, 3)
                .await
                .expect("take")
                .is_allowed(),
            "another key has its own bucket"
        );
        let back = Timestamp(t.0 + 10_000);
        assert!(
            s.rate_take("ip:a", back, 10_000, 3)
                .await
                .expect("take")
                .is_allowed()
        );
        assert!(
            !s.rate_take("ip:a", back, 10_000, 3)
                .await
                .expect("take")
                .is_allowed()
        );
        // One every 60 s, no burst.
        assert!(
            s.rate_take("resend", t, 60_000, 1)
                .await
                .expect("take")
                .is_allowed()
        );
        assert_eq!(
            s.rate_take("resend", Timestamp(t.0 + 59_000), 60_000, 1)
                .await
                .expect("take"),
            RateDecision::Refused {
                retry_after_ms: 1_000
            }
        );
        assert!(
            s.rate_take("resend", Timestamp(t.0 + 60_000), 60_000, 1)
                .await
                .expect("take")
                .is_allowed()
        );

        // Counter: 2 in the window, refused after, nothing counted when refused.
        let end = Timestamp(t.0 + 86_400_000);
        for _ in 0..2 {
            assert!(
                s.rate_count("day:x", t, 2, end)
                    .await
                    .expect("count")
                    .is_allowed()
            );
        }
        for _ in 0..3 {
            assert_eq!(
                s.rate_count("day:x", t, 2, end).await.expect("count"),
                RateDecision::Refused {
                    retry_after_ms: 86_400_000
                }
            );
        }
        assert_eq!(s.rate_value("day:x").await.expect("value"), Some(2));

        // Cleaning removes only what no longer limits anything: the two IP buckets are full
        // again; the resend bucket (full at t + 120 s) and the day's counter still limit.
        let later = Timestamp(t.0 + 120_000);
        assert_eq!(s.prune_rate_limits(later).await.expect("prune"), 2);
        assert_eq!(s.rate_value("ip:a").await.expect("value"), None);
        assert_eq!(
            s.rate_value("resend").await.expect("value"),
            Some(t.0 + 120_000)
        );
        assert_eq!(s.rate_value("day:x").await.expect("value"), Some(2));
        assert_eq!(
            s.prune_rate_limits(Timestamp(end.0 + 1))
                .await
                .expect("prune"),
            2
        );
    }

    #[tokio::test]
    async fn shared_rate_limits_are_atomic_upserts_on_both_backends() {
        on_both("take", shared_limits).await;
    }

    async fn racing(s: &Store) {
        // 40 requests at once for a bucket of 5: exactly 5 pass, on any backend.
        let t = Timestamp(1_800_000_000_000);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(async move { s.rate_take("race", t, 60_000, 5).await })
            })
            .collect();
        let mut allowed = 0;
        for task in tasks {
            if task.await.expect("join").expect("take").is_allowed() {
                allowed += 1;
            }
        }
        assert_eq!(allowed, 5);
        let tasks: Vec<_> = (0..40)
            .map(|_| {
                let s = s.clone();
                tokio::spawn(
                    async move { s.rate_count("race-day", t, 7, Timestamp(t.0 + 1000)).await },
                )
            })
            .collect();
        let mut counted = 0;
        for task in tasks {
            if task.await.expect("join").expect("count").is_allowed() {
                counted += 1;
            }
        }
        assert_eq!(counted, 7);
    }

    #[tokio::test]
    async fn concurrent_requests_never_pass_the_limit() {
        on_both("race", racing).await;
    }
}
