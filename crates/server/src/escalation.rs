//! 督办 — supervision: the escalation worker that raises overdue cases by the rules
//! ([`domain::escalation`]). The supervision list and the rules' API are in
//! `routes/escalation.rs`.
//!
//! The worker (every node, every [`ESCALATION_INTERVAL`]) asks the store for cases a rule may
//! be due for (held by a department, below the highest level a rule grants, and late, reworked
//! or reopened), decides each with [`domain::escalation::due`], and issues the ordinary
//! `supervise` action as the built-in `system` account with the reason as its note — so the
//! raise is in the audit trail, on the live stream and in the notifier like any 督办 by hand.
//! Two nodes racing on one case: the versioned write lets one win; the other's step fails with
//! a conflict and is dropped (the next pass sees the raised level).

use std::time::Duration;

use domain::escalation::{self, EscalationRule, Trigger};
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::auth::AuthUser;
use crate::dto::ActionRequest;
use crate::error::ApiResult;
use crate::routes::transition;
use crate::supervise::spawn_system_worker;

/// The setting holding the rules (`store::setting`).
pub const ESCALATION_RULES: &str = "escalation_rules";
/// How often the worker looks for cases due.
pub const ESCALATION_INTERVAL: Duration = Duration::from_secs(30);
/// Cases decided per pass.
const BATCH: u32 = 200;

/// The rules in force: the stored ones, or the defaults.
///
/// # Errors
/// The store fails.
pub async fn rules(state: &AppState) -> ApiResult<Vec<EscalationRule>> {
    Ok(state
        .store
        .setting::<Vec<EscalationRule>>(ESCALATION_RULES)
        .await?
        .unwrap_or_else(escalation::default_rules))
}

fn supervise_request(reason: String) -> ActionRequest {
    ActionRequest::with_note("supervise", reason)
}

/// One pass: raises every case due; returns the number of 督办 steps taken.
///
/// # Errors
/// The store fails (a refused or conflicting step is skipped, not an error).
pub async fn escalate_once(state: &AppState, actor: &AuthUser) -> ApiResult<usize> {
    let rules = rules(state).await?;
    let enabled: Vec<&EscalationRule> = rules.iter().filter(|r| r.enabled).collect();
    let Some(max_level) = enabled.iter().map(|r| r.level).max() else {
        return Ok(0);
    };
    let min_rework = enabled
        .iter()
        .filter(|r| r.trigger == Trigger::Rework)
        .filter_map(|r| r.threshold)
        .min()
        .map_or(i64::MAX, i64::from);
    let now = state.now();
    let candidates = state
        .store
        .escalation_candidates(now, min_rework, max_level, BATCH)
        .await?;
    let mut steps = 0;
    for case in candidates {
        let Some(due) = escalation::due(&case, &rules, now) else {
            continue;
        };
        let mut level = case.supervision_level;
        while level < due.level {
            match transition(
                state,
                actor,
                case.id,
                &supervise_request(due.reason.clone()),
            )
            .await
            {
                Ok((c, _)) => {
                    level = c.supervision_level;
                    steps += 1;
                }
                Err(e) => {
                    tracing::debug!(case = case.id, error = %e, "escalation step skipped");
                    break;
                }
            }
        }
    }
    Ok(steps)
}

/// Runs the escalation worker until `shutdown`.
pub fn spawn_escalation(
    state: AppState,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    spawn_system_worker(
        state,
        shutdown,
        ESCALATION_INTERVAL,
        "escalation",
        |state: &AppState, actor: &AuthUser| {
            Box::pin(async move {
                match escalate_once(state, actor).await {
                    Ok(0) => {}
                    Ok(n) => tracing::info!(steps = n, "escalation: cases raised to 督办"),
                    Err(e) => tracing::warn!(error = %e, "escalation pass failed"),
                }
            })
        },
    )
}
