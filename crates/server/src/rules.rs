//! The working calendar and node limits, read from the store and cached briefly.
//!
//! They are edited rarely and read on every transition. Each node caches them for
//! [`RULES_TTL_MS`] so that an edit made on another node is seen within seconds, and drops its
//! cache at once when it makes an edit itself. Nothing here must be shared between nodes.

use std::sync::Arc;

use domain::calendar::{WorkCalendar, WorkSchedule};
use domain::time::Timestamp;
use domain::workflow::NodeLimits;
use store::{Store, StoreError};
use tokio::sync::RwLock;

/// How long cached rules are trusted, in milliseconds.
pub const RULES_TTL_MS: i64 = 10_000;

/// Setting key of the work schedule.
pub const WORK_SCHEDULE: &str = "work_schedule";
/// Setting key of the node limits.
pub const NODE_LIMITS: &str = "node_limits";

/// The rules a transition is computed under.
#[derive(Clone, Debug)]
pub struct Rules {
    pub calendar: WorkCalendar,
    pub limits: NodeLimits,
    /// Every taxonomy class (for suggesting a class from a description).
    pub taxonomy: domain::taxonomy::Taxonomy,
    /// The duplicate finder's rules (read on every public report; `PUT /api/duplicate-rules`
    /// drops the cache).
    pub duplicates: domain::duplicates::DuplicateRules,
}

/// Rules and the instant they were loaded.
type Loaded = Option<(Timestamp, Arc<Rules>)>;

#[derive(Clone)]
pub struct RulesCache {
    store: Store,
    cached: Arc<RwLock<Loaded>>,
    /// Held by the one caller that reloads: when the cache expires under load, the other
    /// callers wait for that reload instead of each reading every class and setting again
    /// (measured: a hundred concurrent reloads every 10 s, a tenth of the server's time on case
    /// transitions).
    reloading: Arc<tokio::sync::Mutex<()>>,
    /// Reloads done (for tests).
    loads: Arc<std::sync::atomic::AtomicU64>,
}

impl RulesCache {
    pub fn new(store: Store) -> RulesCache {
        RulesCache {
            store,
            cached: Arc::new(RwLock::new(None)),
            reloading: Arc::new(tokio::sync::Mutex::new(())),
            loads: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    /// The cached rules if they are fresh at `now`.
    async fn fresh(&self, now: Timestamp) -> Option<Arc<Rules>> {
        match self.cached.read().await.as_ref() {
            Some((at, rules)) if (now.0 - at.0).abs() < RULES_TTL_MS => Some(rules.clone()),
            _ => None,
        }
    }

    /// How many times the rules were read from the store.
    pub fn loads(&self) -> u64 {
        self.loads.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The current rules, reloading when the cache is older than the TTL (one reload at a
    /// time: callers arriving meanwhile get its result).
    ///
    /// # Errors
    /// The store fails, or holds a schedule the calendar rejects.
    pub async fn get(&self, now: Timestamp) -> Result<Arc<Rules>, StoreError> {
        if let Some(rules) = self.fresh(now).await {
            return Ok(rules);
        }
        // While one caller reloads expired rules, the others go on with the previous ones
        // (at most a reload's time older than the TTL) instead of queueing behind it: a queue
        // every 10 s was the p99 of case transitions. With nothing cached (first use, or a
        // local edit dropped it) they wait, so an edit is never answered with the old rules.
        let stale = self.cached.read().await.as_ref().map(|(_, r)| r.clone());
        let _reloading = match (self.reloading.try_lock(), stale) {
            (Ok(guard), _) => guard,
            (Err(_), Some(previous)) => return Ok(previous),
            (Err(_), None) => self.reloading.lock().await,
        };
        if let Some(rules) = self.fresh(now).await {
            return Ok(rules);
        }
        self.loads
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        let schedule: WorkSchedule = self.store.setting(WORK_SCHEDULE).await?.unwrap_or_default();
        let limits: NodeLimits = self.store.setting(NODE_LIMITS).await?.unwrap_or_default();
        let days = self.store.special_days().await?;
        let calendar = WorkCalendar::new(schedule, &days)
            .map_err(|e| StoreError::Corrupt(format!("calendar settings: {e}")))?;
        let taxonomy = domain::taxonomy::Taxonomy::new(self.store.list_classes().await?);
        let duplicates = self.store.duplicate_rules().await?;
        let rules = Arc::new(Rules {
            calendar,
            limits,
            taxonomy,
            duplicates,
        });
        *self.cached.write().await = Some((now, rules.clone()));
        Ok(rules)
    }

    /// Forgets the cache (after a local edit).
    pub async fn invalidate(&self) {
        *self.cached.write().await = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Many callers finding the cache expired at once cause one reload (the others keep the
    /// previous rules meanwhile); an invalidation (a local edit) causes the next one.
    #[tokio::test]
    async fn concurrent_callers_share_one_reload() {
        let store = Store::open(&store::ConnectOptions::new("sqlite::memory:"))
            .await
            .expect("store");
        crate::bootstrap::seed_defaults(&store, Timestamp(0))
            .await
            .expect("seed");
        let cache = RulesCache::new(store);
        let now = Timestamp(1_000_000);
        let all = futures_util::future::join_all((0..50).map(|_| cache.get(now))).await;
        assert!(all.iter().all(Result::is_ok));
        assert_eq!(cache.loads(), 1);
        cache
            .get(Timestamp(now.0 + RULES_TTL_MS - 1))
            .await
            .expect("fresh");
        assert_eq!(cache.loads(), 1);
        let first = cache.get(now).await.expect("fresh");
        let later = Timestamp(now.0 + RULES_TTL_MS);
        let all = futures_util::future::join_all((0..50).map(|_| cache.get(later))).await;
        assert!(all.iter().all(Result::is_ok));
        assert_eq!(cache.loads(), 2, "expired: reloaded once");
        let renewed = cache.get(later).await.expect("renewed");
        assert!(!Arc::ptr_eq(&first, &renewed), "the reload is kept");
        let previous = all
            .iter()
            .flatten()
            .filter(|r| Arc::ptr_eq(r, &first))
            .count();
        let new = all
            .iter()
            .flatten()
            .filter(|r| Arc::ptr_eq(r, &renewed))
            .count();
        assert_eq!(previous + new, 50);
        assert!(new >= 1, "the caller that reloaded gets the new rules");
        assert!(
            previous >= 1,
            "callers during the reload did not wait for it"
        );
        cache.invalidate().await;
        cache.get(later).await.expect("after edit");
        assert_eq!(cache.loads(), 3, "invalidated: reloaded");
    }
}
