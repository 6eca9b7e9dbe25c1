//! First-start seeding: the taxonomy, the holiday calendar and default settings. Idempotent:
//! each part is seeded only when empty, so admin edits survive restarts.

use domain::calendar::{BUILTIN_HOLIDAYS_CSV, WorkSchedule, parse_special_days_csv};
use domain::taxonomy::builtin_classes;
use domain::time::Timestamp;
use domain::workflow::NodeLimits;
use store::{Store, StoreError};

use crate::rules::{NODE_LIMITS, WORK_SCHEDULE};

/// What [`seed_defaults`] did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Seeded {
    pub classes: usize,
    pub special_days: usize,
    pub settings: usize,
}

/// Seeds whatever is missing.
///
/// # Errors
/// The store fails, or the shipped data is broken (a bug caught by the data tests).
pub async fn seed_defaults(store: &Store, now: Timestamp) -> Result<Seeded, StoreError> {
    let mut out = Seeded::default();
    if store.taxonomy_count().await? == 0 {
        let classes =
            builtin_classes().map_err(|e| StoreError::Invalid(format!("shipped taxonomy: {e}")))?;
        store.upsert_classes(&classes, now).await?;
        out.classes = classes.len();
    }
    if store.special_days().await?.is_empty() {
        use chrono::Datelike;
        let days = parse_special_days_csv(BUILTIN_HOLIDAYS_CSV)
            .map_err(|e| StoreError::Invalid(format!("shipped holidays: {e}")))?;
        let mut years: Vec<i32> = days.iter().map(|d| d.date.year()).collect();
        years.sort_unstable();
        years.dedup();
        store.replace_special_days(&years, &days).await?;
        out.special_days = days.len();
    }
    if store
        .setting::<WorkSchedule>(WORK_SCHEDULE)
        .await?
        .is_none()
    {
        store
            .put_setting(WORK_SCHEDULE, &WorkSchedule::default(), now)
            .await?;
        out.settings += 1;
    }
    if store.setting::<NodeLimits>(NODE_LIMITS).await?.is_none() {
        store
            .put_setting(NODE_LIMITS, &NodeLimits::default(), now)
            .await?;
        out.settings += 1;
    }
    Ok(out)
}
