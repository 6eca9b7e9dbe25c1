//! 周期案件 — cycle cases: every occurrence of a cycle task (a recurring inspection,
//! [`assessment::cycle::CycleRule`], e.g. "every Monday 08:00 check the night market on road X")
//! becomes a case in the ordinary loop, and its inspector gets it as a verification task.
//!
//! The assessment worker turns a task's schedule into occurrences (`cycle_task_runs`, one row per
//! task and due time, working-calendar aware). This worker, on every node, makes each due
//! occurrence's case as the `system` account:
//!
//! 1. claim the occurrence (`claim_cycle_run`: a conditional update, so two nodes never make two
//!    cases; a claim older than [`store::CYCLE_CLAIM_MS`] is taken over);
//! 2. report 上报 a case with source [`Source::Cycle`], the task's class, place and title;
//! 3. send it to the task's inspector to verify 发核实 (the inspector's phone shows it at once,
//!    the verification deadline runs, and it counts for the inspector's assessment);
//! 4. remember the case on the occurrence.
//!
//! What the inspector finds decides the rest. A confirmed problem (with photo) goes on through
//! filing, dispatch and handling like any report. "Nothing found" (`verify` with
//! `confirmed: false`) is closed by the same worker as 不予立案 with the reason, so the routine
//! inspection leaves no work in the shift supervisor's queue.

use assessment::cycle::Place;
use domain::workflow::{CaseState, Source};

use crate::AppState;
use crate::auth::AuthUser;
use crate::dto::{ActionRequest, ReportRequest};
use crate::error::{ApiError, ApiResult};
use crate::supervise::spawn_system_worker;

/// How often the worker looks for due occurrences and finished inspections.
pub const POLL_INTERVAL: std::time::Duration = std::time::Duration::from_secs(5);

/// Most occurrences turned into cases per pass.
const BATCH: i64 = 50;

/// The note of the 不予立案 that ends an inspection which found nothing.
pub const NOTHING_FOUND: &str = "周期巡查未发现问题，自动办结";

/// Where a place is, as the report's location: a point, a road's middle, or an area code.
async fn locate(
    state: &AppState,
    place: &Place,
) -> ApiResult<(Option<f64>, Option<f64>, Option<String>)> {
    match place {
        Place::Point { lat, lon } => Ok((Some(*lat), Some(*lon), None)),
        Place::Grid { code } => Ok((None, None, Some(code.clone()))),
        Place::Road { road_id } => {
            let roads = state.store.list_roads().await?;
            let road = roads.iter().find(|r| &r.id == road_id).ok_or_else(|| {
                ApiError::unprocessable("unknown_road", format!("no road {road_id:?}"))
            })?;
            let points = &road.line.0;
            let mid = points.get(points.len() / 2).ok_or_else(|| {
                ApiError::unprocessable("unknown_road", format!("road {road_id:?} has no line"))
            })?;
            Ok((Some(mid.lat), Some(mid.lon), None))
        }
    }
}

/// Makes the case of one claimed occurrence and sends it to the inspector; returns its id.
async fn make_case(state: &AppState, actor: &AuthUser, due: &store::CycleRunDue) -> ApiResult<i64> {
    let (lat, lon, area_code) = locate(state, &due.rule.place).await?;
    let at = due.run.due_at.to_shanghai().format("%Y-%m-%d %H:%M");
    let req = ReportRequest {
        source: Source::Cycle.as_str().to_owned(),
        description: format!("周期巡查：{}", due.rule.title),
        address: None,
        lat,
        lon,
        area_code,
        class_code: Some(due.rule.class_code.clone()),
        standard_ref: None,
        urgency: None,
        reporter_name: Some(actor.user.display_name.clone()),
        reporter_phone: None,
        anonymous: false,
        external_ref: Some(format!("cycle:{}:{}", due.run.task_id, due.run.due_at.0)),
        self_handled: false,
        attachments: Vec::new(),
        note: Some(format!("周期任务 #{} · 应于 {at} 巡查", due.run.task_id)),
    };
    let case = crate::routes::create_report(state, actor, req).await?;
    state
        .store
        .set_cycle_run_case(due.run.task_id, due.run.due_at, case.id)
        .await?;
    let send = ActionRequest {
        inspector_id: Some(due.run.inspector_id),
        ..ActionRequest::with_note("send_verify", format!("周期巡查任务：{}", due.rule.title))
    };
    if let Err(e) = crate::routes::transition(state, actor, case.id, &send).await {
        // The case waits in the operator's queue (e.g. the inspector lost the area).
        tracing::warn!(case = case.id, error = %e, "cycle case not sent to its inspector");
    }
    Ok(case.id)
}

/// One pass: makes the cases of due occurrences, then ends the inspections that found nothing.
/// Returns (cases made, inspections ended).
///
/// # Errors
/// The store fails while listing.
pub async fn pass(state: &AppState, actor: &AuthUser) -> ApiResult<(usize, usize)> {
    let now = state.now();
    let mut made = 0;
    for due in state.store.cycle_runs_awaiting_case(now, BATCH).await? {
        if !state
            .store
            .claim_cycle_run(due.run.task_id, due.run.due_at, now)
            .await?
        {
            continue;
        }
        match make_case(state, actor, &due).await {
            Ok(_) => made += 1,
            Err(e) => tracing::warn!(
                task = due.run.task_id,
                due = %due.run.due_at.to_rfc3339(),
                error = %e,
                "cycle case not made; retried when the claim lapses"
            ),
        }
    }
    let mut ended = 0;
    for id in state.store.cycle_cases_pending_filing().await? {
        let events = state.store.case_events(id).await?;
        let nothing_found = events.last().is_some_and(|e| {
            e.action == "verify"
                && e.to_state == CaseState::PendingFiling
                && e.data.get("confirmed").and_then(serde_json::Value::as_bool) == Some(false)
        });
        if !nothing_found {
            continue;
        }
        match crate::routes::transition(
            state,
            actor,
            id,
            &ActionRequest::with_note("reject", NOTHING_FOUND),
        )
        .await
        {
            Ok(_) => ended += 1,
            // Another node or a supervisor acted first: nothing to do.
            Err(e) => tracing::debug!(case = id, error = %e, "cycle case not ended"),
        }
    }
    Ok((made, ended))
}

/// Runs [`pass`] as the `system` account every [`POLL_INTERVAL`] until `shutdown`.
pub fn spawn_cycle_cases(
    state: AppState,
    shutdown: tokio_util::sync::CancellationToken,
) -> tokio::task::JoinHandle<()> {
    spawn_system_worker(
        state,
        shutdown,
        POLL_INTERVAL,
        "cycle cases",
        |state: &AppState, actor: &AuthUser| {
            Box::pin(async move {
                match pass(state, actor).await {
                    Ok((0, 0)) => {}
                    Ok((made, ended)) => tracing::info!(made, ended, "cycle cases"),
                    Err(e) => tracing::warn!(error = %e, "cycle case worker"),
                }
            })
        },
    )
}
