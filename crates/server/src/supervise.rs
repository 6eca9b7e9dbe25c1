//! From alarms to cases: the worker that files a case for every alarm that should have one, and
//! the steps it (or an operator) takes.
//!
//! An alarm "should have a case" when it is open, names a taxonomy class and is more than a
//! notice (see `Store::alarms_awaiting_case`). The worker acts as the built-in `system` account
//! (an operator and dispatcher over the whole city that cannot sign in): it reports the case
//! through the same checks as any channel (source `vehicle`, `sensor` or `camera`), links the
//! alarm, then accepts and files it — device evidence stands in for an inspector's
//! verification — and dispatches it to the department of the class's type that serves the
//! place, stopping quietly at the first step the rules refuse. Every step is in the case's
//! audit trail under the system account.
//!
//! The worker polls the store, so an alarm written by any node (or before a crash) is picked
//! up. Run it on one node of a cluster (`alarm_cases = true`, the default for a single node):
//! linking is a conditional update, so a second worker racing on the same alarm cannot link a
//! second case, but it could file one before losing the race.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use futures_util::future::BoxFuture;

use domain::org::{Caller, Role, RoleGrant};
use domain::time::Timestamp;
use domain::workflow::Source;
use store::{Alarm, AlarmStep, NewUser, StoreError};
use tokio::sync::Mutex;
use tokio_util::sync::CancellationToken;

use crate::AppState;
use crate::auth::{AuthUser, AuthVia};
use crate::bus::BusEvent;
use crate::dto::{ActionRequest, AlarmDto, ReportRequest};
use crate::error::{ApiError, ApiResult};

/// Username of the built-in account that files cases from alarms.
pub const SYSTEM_USERNAME: &str = "system";

/// How often the worker looks for alarms awaiting a case.
pub const POLL_INTERVAL: Duration = Duration::from_secs(2);

/// The roles of the built-in `system` account, city-wide: it accepts 受理 (operator), files
/// 立案 (shift supervisor) and dispatches 派遣 (dispatcher) the cases of device alarms, and
/// raises overdue cases to 督办 by the escalation rules (leader, `crate::escalation`).
const SYSTEM_ROLES: [Role; 4] = [
    Role::Operator,
    Role::ShiftSupervisor,
    Role::Dispatcher,
    Role::Leader,
];

fn system_grants() -> Vec<RoleGrant> {
    SYSTEM_ROLES
        .iter()
        .map(|&role| RoleGrant {
            role,
            area: None,
            department_id: None,
        })
        .collect()
}

/// The built-in `system` account, created on first use (and given any role of
/// [`SYSTEM_ROLES`] it lacks), with a password hash no password matches.
///
/// # Errors
/// The store fails.
pub async fn system_user(state: &AppState) -> ApiResult<AuthUser> {
    let user = match state.store.user_by_username(SYSTEM_USERNAME).await? {
        Some(u) => u,
        None => {
            let new = NewUser {
                username: SYSTEM_USERNAME.to_owned(),
                display_name: "系统自动".to_owned(),
                phone: None,
                // Not a PHC string: verify_password rejects every password against it.
                password_hash: "!disabled".to_owned(),
                grants: system_grants(),
            };
            match state.store.create_user(&new, state.now()).await {
                Ok(_) | Err(StoreError::Duplicate(_)) => {}
                Err(e) => return Err(e.into()),
            }
            state
                .store
                .user_by_username(SYSTEM_USERNAME)
                .await?
                .ok_or(ApiError::Internal("system user vanished".into()))?
        }
    };
    let mut found = state
        .store
        .user_with_roles(user.id)
        .await?
        .ok_or(ApiError::Internal("system user has no roles".into()))?;
    // Accounts made by an earlier version lack a role: complete them.
    if SYSTEM_ROLES.iter().any(|r| {
        !found
            .grants
            .iter()
            .any(|g| g.role == *r && g.area.is_none())
    }) {
        state.store.set_grants(user.id, &system_grants()).await?;
        found.grants = system_grants();
    }
    Ok(AuthUser {
        caller: Caller {
            user_id: user.id,
            grants: found.grants,
        },
        user: found.user,
        via: AuthVia::Session,
    })
}

/// The case channel of an alarm source.
pub fn case_source(source_kind: &str) -> Source {
    match source_kind {
        "vehicle" => Source::Vehicle,
        "camera" => Source::Camera,
        _ => Source::Sensor,
    }
}

/// Publishes the current state of an alarm to every node's live streams.
pub fn publish_alarm(state: &AppState, alarm: &Alarm) {
    state.bus.publish(BusEvent::AlarmChanged {
        alarm: Box::new(AlarmDto::from(alarm)),
    });
}

fn action(name: &str) -> ActionRequest {
    ActionRequest {
        action: name.to_owned(),
        expected_version: None,
        note: Some("设备告警证据确凿，自动受理立案".to_owned()),
        attachments: Vec::new(),
        department_id: None,
        inspector_id: None,
        confirmed: None,
        passed: None,
        minutes: None,
        master_case_id: None,
        class_code: None,
        standard_ref: None,
        urgency: None,
        rating: None,
    }
}

/// The department of `class_code`'s type serving the deepest area that holds `grid_code`.
async fn department_for(
    state: &AppState,
    class_code: &str,
    grid_code: Option<&str>,
) -> ApiResult<Option<i64>> {
    use domain::taxonomy::{ClassKind, GB_47678_5_2026};
    let matter = state
        .store
        .get_class(GB_47678_5_2026, ClassKind::Matter, class_code)
        .await?;
    let class = match matter {
        Some(c) => Some(c),
        None => {
            state
                .store
                .get_class(GB_47678_5_2026, ClassKind::Component, class_code)
                .await?
        }
    };
    let Some(class) = class else {
        return Ok(None);
    };
    let departments = state.store.list_departments().await?;
    let mut best: Option<(usize, i64)> = None;
    for d in departments
        .iter()
        .filter(|d| d.dept_type == class.department_type)
    {
        let depth = match grid_code {
            Some(g) => d
                .areas
                .iter()
                .filter(|a| g.starts_with(a.as_str()))
                .map(|a| a.as_str().len())
                .max(),
            None => Some(0),
        };
        if let Some(depth) = depth
            && best.is_none_or(|(b, _)| depth > b)
        {
            best = Some((depth, d.id));
        }
    }
    Ok(best.map(|(_, id)| id))
}

/// The standard an alarm's class code comes from: `None` (GB/T 47678.5-2026) when it has the
/// code, else the first local extension that does (08901 渣土车违规运输 is a Zhengzhou extension).
async fn standard_of(state: &AppState, code: &str) -> ApiResult<Option<String>> {
    let classes = state.store.list_classes().await?;
    let holders: Vec<&str> = classes
        .iter()
        .filter(|c| c.code == code)
        .map(|c| c.standard_ref.as_str())
        .collect();
    if holders.is_empty() || holders.contains(&domain::taxonomy::GB_47678_5_2026) {
        return Ok(None);
    }
    Ok(holders.first().map(|s| (*s).to_owned()))
}

/// Files a case for `alarm` as `actor`, links the alarm to it and takes the case as far as the
/// rules allow: accept → file → dispatch (when `dispatch` and a department serves the place).
/// Returns the case id.
///
/// # Errors
/// The alarm has no class, is not open, already has a case (409), or the report is refused.
pub async fn raise_case(
    state: &AppState,
    actor: &AuthUser,
    alarm: &Alarm,
    dispatch: bool,
) -> ApiResult<i64> {
    let Some(class_code) = alarm.class_code.clone() else {
        return Err(ApiError::unprocessable(
            "alarm_without_class",
            "this alarm names no taxonomy class; report a case by hand instead",
        ));
    };
    if !matches!(alarm.state.as_str(), "raised" | "acknowledged") || alarm.case_id.is_some() {
        return Err(ApiError::Conflict {
            code: "invalid_transition",
            message: format!("an alarm that is {} cannot raise a case", alarm.state),
            current: None,
        });
    }
    let req = ReportRequest {
        source: case_source(&alarm.source_kind).as_str().to_owned(),
        description: alarm.message.clone(),
        address: None,
        lat: alarm.lat,
        lon: alarm.lon,
        area_code: if alarm.lat.is_some() {
            None
        } else {
            alarm.grid_code.clone()
        },
        standard_ref: standard_of(state, &class_code).await?,
        class_code: Some(class_code.clone()),
        urgency: Some(
            if alarm.level == "severe" {
                "urgent"
            } else {
                "normal"
            }
            .to_owned(),
        ),
        reporter_name: Some(actor.user.display_name.clone()),
        anonymous: false,
        external_ref: Some(format!("alarm:{}", alarm.id)),
        reporter_phone: None,
        self_handled: false,
        // A camera's snapshots are the report's photos (re-recorded as the actor's own).
        attachments: {
            let mut photos = crate::routes::cameras::case_snapshots(state, actor, alarm).await?;
            // A vehicle alarm's track snippet, drawn (`crate::track_image`).
            photos.extend(crate::track_image::case_track(state, actor, alarm).await?);
            photos
        },
        note: Some(format!(
            "告警 #{} · {} · {}",
            alarm.id, alarm.rule, alarm.source_id
        )),
    };
    let case = crate::routes::create_report(state, actor, req).await?;
    let now = state.now();
    match state
        .store
        .step_alarm(
            alarm.id,
            store::AlarmStepInput {
                from: &alarm.state,
                to: "linked",
                actor_id: Some(actor.caller.user_id),
                case_id: Some(case.id),
                note: None,
                at: now,
            },
        )
        .await?
    {
        AlarmStep::Done => {}
        AlarmStep::NotFound => return Err(ApiError::NotFound("alarm")),
        AlarmStep::Conflict => {
            // Someone (another node's worker, an operator) linked or cleared it meanwhile: this
            // case is a duplicate. It is still only reported, so it is declined 不予受理 with
            // the reason, and never reaches a department.
            tracing::warn!(
                alarm = alarm.id,
                case = case.id,
                "alarm changed while its case was filed; declining the duplicate"
            );
            let mut decline = action("reject_report");
            decline.note = Some(format!("重复：告警 #{} 已由他人处理", alarm.id));
            if let Err(e) = crate::routes::transition(state, actor, case.id, &decline).await {
                tracing::warn!(case = case.id, error = ?e, "could not decline the duplicate case");
            }
            return Err(ApiError::Conflict {
                code: "alarm_changed",
                message: "the alarm changed while the case was being filed; reload it".into(),
                current: None,
            });
        }
    }
    if let Some(a) = state.store.alarm(alarm.id).await? {
        publish_alarm(state, &a);
    }
    // Accept, file, dispatch: stop at the first refusal (the case then waits in that queue).
    let mut steps = vec![action("accept"), action("file")];
    if dispatch
        && let Some(dept) = department_for(state, &class_code, alarm.grid_code.as_deref()).await?
    {
        let mut d = action("dispatch");
        d.department_id = Some(dept);
        d.note = Some("按告警类别自动派遣至责任部门".to_owned());
        steps.push(d);
    }
    for step in steps {
        if let Err(e) = crate::routes::transition(state, actor, case.id, &step).await {
            tracing::info!(case = case.id, action = %step.action, error = %e, "alarm case stops here");
            break;
        }
    }
    Ok(case.id)
}

/// Runs `pass` as the `system` account at once and then every `interval` until `shutdown`
/// (the account is fetched, or created, before the first pass and kept). `name` tags the log
/// lines.
pub fn spawn_system_worker<F>(
    state: AppState,
    shutdown: CancellationToken,
    interval: Duration,
    name: &'static str,
    pass: F,
) -> tokio::task::JoinHandle<()>
where
    F: for<'a> Fn(&'a AppState, &'a AuthUser) -> BoxFuture<'a, ()> + Send + 'static,
{
    tokio::spawn(async move {
        let mut system: Option<AuthUser> = None;
        // The first pass right away (what piled up while no node ran), then every `interval`.
        let mut first = true;
        loop {
            if !first {
                tokio::select! {
                    () = shutdown.cancelled() => return,
                    () = tokio::time::sleep(interval) => {}
                }
            }
            first = false;
            if system.is_none() {
                match system_user(&state).await {
                    Ok(u) => system = Some(u),
                    Err(e) => {
                        tracing::warn!(worker = name, error = %e, "no system account yet");
                        continue;
                    }
                }
            }
            if let Some(actor) = &system {
                pass(&state, actor).await;
            }
        }
    })
}

/// Runs the alarm → case worker until `shutdown`.
pub fn spawn_alarm_cases(
    state: AppState,
    shutdown: CancellationToken,
) -> tokio::task::JoinHandle<()> {
    // Alarms whose case was refused: not retried for a while (e.g. a point outside the city).
    let failures: Arc<Mutex<HashMap<i64, Timestamp>>> = Arc::default();
    spawn_system_worker(
        state,
        shutdown,
        POLL_INTERVAL,
        "alarm cases",
        move |state: &AppState, actor: &AuthUser| {
            let failures = failures.clone();
            Box::pin(async move {
                let pending = match state.store.alarms_awaiting_case(50).await {
                    Ok(p) => p,
                    Err(e) => {
                        tracing::warn!(error = %e, "alarm worker: cannot read alarms");
                        return;
                    }
                };
                let now = state.now();
                for alarm in pending {
                    {
                        let mut f = failures.lock().await;
                        if f.get(&alarm.id)
                            .is_some_and(|t| now.0 - t.0 < 10 * Timestamp::MINUTE_MS)
                        {
                            continue;
                        }
                        f.retain(|_, t| now.0 - t.0 < 10 * Timestamp::MINUTE_MS);
                    }
                    match raise_case(state, actor, &alarm, state.config.auto_dispatch_alarms).await
                    {
                        Ok(case_id) => {
                            metrics::counter!("yiwang_alarm_cases_total").increment(1);
                            tracing::info!(alarm = alarm.id, case_id, rule = %alarm.rule, "case filed from alarm");
                        }
                        Err(e) => {
                            metrics::counter!("yiwang_alarm_case_failures_total").increment(1);
                            // Debug: an internal error's detail is only in its payload.
                            tracing::warn!(alarm = alarm.id, error = ?e, "no case from alarm");
                            failures.lock().await.insert(alarm.id, now);
                        }
                    }
                }
            })
        },
    )
}
