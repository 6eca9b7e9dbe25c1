//! The clock seam: gateways take wall-clock time from a [`Clock`] passed in, never from the
//! system directly, so tests can fix it.
//!
//! Monotonic deadlines (idle timeouts, session timers) use `std::time::Instant` /
//! `tokio::time`; the `Clock` gives only the UTC wall time stamped on records and sent to
//! HJ 212 devices (1012 time calibration).

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

/// Wall-clock time as UTC milliseconds since the Unix epoch.
pub trait Clock: Send + Sync + 'static {
    /// Now, UTC ms.
    fn now_ms(&self) -> i64;
}

/// The system clock: the one place in `ingest` that reads the wall clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    #[allow(clippy::disallowed_methods)] // The sanctioned wall-clock read of this crate.
    fn now_ms(&self) -> i64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| i64::try_from(d.as_millis()).unwrap_or(i64::MAX))
    }
}

/// A clock that shows what it is set to (tests). Clones share the time.
#[derive(Debug, Clone, Default)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    /// A clock showing `ms`.
    pub fn new(ms: i64) -> ManualClock {
        ManualClock(Arc::new(AtomicI64::new(ms)))
    }

    /// Sets the time.
    pub fn set(&self, ms: i64) {
        self.0.store(ms, Ordering::Relaxed);
    }

    /// Moves the time forward.
    pub fn advance(&self, ms: i64) {
        self.0.fetch_add(ms, Ordering::Relaxed);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> i64 {
        self.0.load(Ordering::Relaxed)
    }
}
