//! Node-local rate limits: token buckets keyed by client IP, API key or phone number.
//!
//! Each [`RateLimiter`] holds one bucket per key: `burst` tokens, refilled at `per_minute`
//! tokens a minute; a request takes one token or is refused with the time until one is back.
//! Time comes from the server clock ([`crate::clock::Clock`]), so tests drive it by hand.
//!
//! **Limits are per node.** Several nodes behind a load balancer each keep their own buckets,
//! so a client spread over `n` nodes gets up to `n` times the limit. That is an accepted
//! approximation: the limits stop floods and scripted abuse, not a precise quota, and keeping
//! them local costs no shared state (the architecture keeps nothing in memory that nodes must
//! share). These in-memory limits are the Open311 API's (`[open311]`: per IP, api_key and
//! phone), load shields for which that looseness is accepted.
//!
//! **Shared limits live in the store.** Limits that guard a cost or an abuse rather than the
//! node's load — the one-time sign-in codes (SMS), per phone and per client IP — are kept in the
//! `rate_limits` table (`store::Store::rate_take`, `rate_count`; see
//! [`crate::routes::citizens`]), one atomic upsert per decision, so all nodes on one database
//! allow the limit once.
//!
//! Memory is bounded: past [`MAX_KEYS`] keys, buckets that have refilled completely (they hold
//! no information) are dropped; if that is not enough, all are.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::sync::Mutex;

use axum::extract::ConnectInfo;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use domain::time::Timestamp;
use serde_json::json;

/// Most keys one limiter remembers before it sweeps.
pub const MAX_KEYS: usize = 100_000;

/// A bucket's size and refill rate.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Limit {
    /// Requests allowed at once, after a quiet spell.
    pub burst: u32,
    /// Tokens added per minute (the sustained rate).
    pub per_minute: u32,
}

/// A refused request: what was limited and when to try again.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Limited {
    /// What the limit applies to, e.g. "requests from this IP address".
    pub what: &'static str,
    /// Whole seconds until a token is back (at least 1).
    pub retry_after_s: u64,
}

impl Limited {
    /// The message shown to the client.
    pub fn message(&self) -> String {
        format!(
            "too many {}; try again in {} s",
            self.what, self.retry_after_s
        )
    }

    /// The `Retry-After` header value.
    pub fn retry_after_header(&self) -> HeaderValue {
        HeaderValue::from(self.retry_after_s)
    }
}

/// The API's own 429: `{"error":{"code":"rate_limited","message":…}}` with `Retry-After`.
impl IntoResponse for Limited {
    fn into_response(self) -> Response {
        metrics::counter!("yiwang_http_errors_total", "code" => "rate_limited").increment(1);
        let status = StatusCode::TOO_MANY_REQUESTS;
        let body = json!({"error": {"code": "rate_limited", "message": self.message()}});
        (
            status,
            [(header::RETRY_AFTER, self.retry_after_header())],
            axum::Json(body),
        )
            .into_response()
    }
}

#[derive(Clone, Copy, Debug)]
struct Bucket {
    /// Tokens in thousandths, so refill is exact integer arithmetic.
    milli_tokens: i64,
    at_ms: i64,
}

/// Token buckets for one kind of key.
#[derive(Debug)]
pub struct RateLimiter {
    limit: Limit,
    what: &'static str,
    buckets: Mutex<HashMap<String, Bucket>>,
}

impl RateLimiter {
    /// A limiter; `what` names what it counts in its refusals ("requests from this IP address").
    pub fn new(limit: Limit, what: &'static str) -> RateLimiter {
        RateLimiter {
            limit,
            what,
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// The configured limit.
    pub fn limit(&self) -> Limit {
        self.limit
    }

    fn capacity_milli(&self) -> i64 {
        i64::from(self.limit.burst) * 1000
    }

    /// Tokens (in thousandths) of `b` refilled up to `now_ms`.
    fn refilled(&self, b: Bucket, now_ms: i64) -> i64 {
        let elapsed_ms = (now_ms - b.at_ms).max(0);
        // per_minute tokens per 60,000 ms = per_minute thousandths per 60 ms.
        let added = elapsed_ms.saturating_mul(i64::from(self.limit.per_minute)) / 60;
        b.milli_tokens
            .saturating_add(added)
            .min(self.capacity_milli())
    }

    /// Takes one token from `key`'s bucket, or says how long until one is back.
    ///
    /// # Errors
    /// The bucket is empty.
    pub fn check(&self, key: &str, now: Timestamp) -> Result<(), Limited> {
        let now_ms = now.millis();
        let Ok(mut map) = self.buckets.lock() else {
            // A poisoned lock means a panic elsewhere; fail open rather than refuse everyone.
            return Ok(());
        };
        if map.len() >= MAX_KEYS && !map.contains_key(key) {
            let cap = self.capacity_milli();
            map.retain(|_, b| self.refilled(*b, now_ms) < cap);
            if map.len() >= MAX_KEYS {
                map.clear();
            }
        }
        let current = match map.get(key) {
            Some(b) => self.refilled(*b, now_ms),
            None => self.capacity_milli(),
        };
        if current >= 1000 {
            map.insert(
                key.to_owned(),
                Bucket {
                    milli_tokens: current - 1000,
                    at_ms: now_ms,
                },
            );
            return Ok(());
        }
        map.insert(
            key.to_owned(),
            Bucket {
                milli_tokens: current,
                at_ms: now_ms,
            },
        );
        let missing = 1000 - current;
        let retry_after_s = if self.limit.per_minute == 0 {
            u64::MAX / 2
        } else {
            // missing thousandths at per_minute thousandths per 60 ms, rounded up to seconds.
            let per_minute = i64::from(self.limit.per_minute);
            let ms = (missing * 60 + per_minute - 1) / per_minute;
            u64::try_from((ms + 999) / 1000).unwrap_or(1).max(1)
        };
        Err(Limited {
            what: self.what,
            retry_after_s,
        })
    }
}

/// The client's IP address, when the server was started with connection info
/// (`into_make_service_with_connect_info::<SocketAddr>()`); `None` otherwise (then per-IP
/// limits cannot apply). Forwarded headers are not trusted: behind a proxy, the proxy should
/// do per-IP limiting.
pub fn client_ip(extensions: &axum::http::Extensions) -> Option<IpAddr> {
    extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(addr)| addr.ip())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(ms: i64) -> Timestamp {
        Timestamp(1_800_000_000_000 + ms)
    }

    #[test]
    fn a_burst_then_one_token_per_refill_interval() {
        // 3 at once, then 6 a minute = one every 10 s.
        let l = RateLimiter::new(
            Limit {
                burst: 3,
                per_minute: 6,
            },
            "tests",
        );
        for _ in 0..3 {
            assert_eq!(l.check("a", at(0)), Ok(()));
        }
        let refused = l.check("a", at(0)).expect_err("bucket empty");
        assert_eq!(refused.retry_after_s, 10);
        // Another key has its own bucket.
        assert_eq!(l.check("b", at(0)), Ok(()));
        // 4 s later 0.4 token is back: 6 s to wait.
        assert_eq!(l.check("a", at(4_000)).map_err(|e| e.retry_after_s), Err(6));
        // At 10 s one token is back, and only one.
        assert_eq!(l.check("a", at(10_000)), Ok(()));
        assert!(l.check("a", at(10_000)).is_err());
        // After a long quiet spell the bucket is full again, never fuller.
        for _ in 0..3 {
            assert_eq!(l.check("a", at(3_600_000)), Ok(()));
        }
        assert!(l.check("a", at(3_600_000)).is_err());
    }

    #[test]
    fn a_refused_request_takes_nothing() {
        let l = RateLimiter::new(
            Limit {
                burst: 1,
                per_minute: 60,
            },
            "tests",
        );
        assert_eq!(l.check("k", at(0)), Ok(()));
        // Hammering while empty does not push the next token further away.
        for ms in (0..1000).step_by(100) {
            assert!(l.check("k", at(ms)).is_err());
        }
        assert_eq!(l.check("k", at(1_000)), Ok(()));
    }

    #[test]
    fn the_message_names_the_limit_and_the_wait() {
        let e = Limited {
            what: "requests with this api_key",
            retry_after_s: 7,
        };
        assert_eq!(
            e.message(),
            "too many requests with this api_key; try again in 7 s"
        );
        assert_eq!(e.retry_after_header(), "7");
    }
}
