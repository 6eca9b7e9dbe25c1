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
}

impl RulesCache {
    pub fn new(store: Store) -> RulesCache {
        RulesCache {
            store,
            cached: Arc::new(RwLock::new(None)),
        }
    }

    /// The current rules, reloading when the cache is older than the TTL.
    ///
    /// # Errors
    /// The store fails, or holds a schedule the calendar rejects.
    pub async fn get(&self, now: Timestamp) -> Result<Arc<Rules>, StoreError> {
        if let Some((at, rules)) = self.cached.read().await.as_ref()
            && (now.0 - at.0).abs() < RULES_TTL_MS
        {
            return Ok(rules.clone());
        }
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
