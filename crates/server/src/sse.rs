//! `GET /api/events` — server-sent events pushing case changes to each user within their scope,
//! so an assignee sees a new task at once (推送).

use std::convert::Infallible;
use std::time::Duration;

use axum::Router;
use axum::extract::State;
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::routing::get;
use domain::org::Caller;
use domain::policy;
use futures_util::Stream;
use tokio::sync::broadcast::error::RecvError;

use crate::AppState;
use crate::auth::AuthUser;
use crate::bus::BusEvent;
use crate::dto::{CaseDto, mask_phone, may_see_contacts};

pub fn router() -> Router<AppState> {
    Router::new().route("/api/events", get(events))
}

/// Whether a changed case is in the caller's scope: the policy's rule over the facts the event
/// carries, plus the reporters of its duplicates (who follow it).
fn admits(caller: &Caller, case: &CaseDto, followers: &[i64]) -> bool {
    let area = case
        .grid_code
        .as_deref()
        .or(case.community_code.as_deref())
        .or(case.street_code.as_deref())
        .or(case.district_code.as_deref());
    let reach = policy::Reach {
        reporter_id: case.reporter_id,
        assignee_id: case.assignee_id,
        department_id: case.department_id,
        area,
    };
    followers.contains(&caller.user_id) || policy::can_see(caller, &reach)
}

/// Whether an alarm at `grid_code` is inside one of the caller's granted areas (a grant
/// without an area covers the city; an alarm without a grid is shown to everyone who sees
/// alarms).
pub(crate) fn alarm_in_scope(caller: &Caller, grid_code: Option<&str>) -> bool {
    let Some(grid) = grid_code else {
        return true;
    };
    caller
        .grants
        .iter()
        .any(|g| g.area.as_ref().is_none_or(|a| grid.starts_with(a.as_str())))
}

async fn events(
    State(state): State<AppState>,
    auth: AuthUser,
) -> Sse<impl Stream<Item = Result<Event, Infallible>>> {
    let mut rx = state.bus.subscribe();
    let caller = auth.caller;
    let reveal = may_see_contacts(&caller);
    let staff = crate::routes::STAFF.iter().any(|r| caller.has_role(*r));
    let stream = async_stream(move |tx| async move {
        let hello = Event::default()
            .event("hello")
            .data(format!("{{\"user_id\":{}}}", caller.user_id));
        if tx.send(hello).await.is_err() {
            return;
        }
        loop {
            match rx.recv().await {
                Ok(BusEvent::CaseChanged {
                    action,
                    actor_id,
                    case,
                    followers,
                }) => {
                    if !admits(&caller, &case, &followers) {
                        continue;
                    }
                    let mut case = *case;
                    if !reveal && case.reporter_id != Some(caller.user_id) {
                        case.reporter_phone = case.reporter_phone.as_deref().map(mask_phone);
                    }
                    let body =
                        serde_json::json!({ "action": action, "actor_id": actor_id, "case": case });
                    let ev = Event::default().event("case").data(body.to_string());
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                Ok(BusEvent::CityChanged { version }) => {
                    let ev = Event::default()
                        .event("city")
                        .data(format!("{{\"version\":{version}}}"));
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                Ok(BusEvent::AlarmChanged { alarm }) => {
                    // Alarms are for bureau staff; scoped staff see their areas only.
                    if !staff || !alarm_in_scope(&caller, alarm.grid_code.as_deref()) {
                        continue;
                    }
                    let Ok(data) = serde_json::to_string(&alarm) else {
                        continue;
                    };
                    if tx
                        .send(Event::default().event("alarm").data(data))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                // Internal: for the muck supervisor, not for people.
                Ok(BusEvent::PermitsChanged { .. } | BusEvent::RoutesChanged { .. }) => {}
                Err(RecvError::Lagged(n)) => {
                    let ev = Event::default()
                        .event("lagged")
                        .data(format!("{{\"missed\":{n}}}"));
                    if tx.send(ev).await.is_err() {
                        return;
                    }
                }
                Err(RecvError::Closed) => return,
            }
        }
    });
    Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(15)))
}

/// A stream fed by a task through a small channel (no extra crate needed).
fn async_stream<F, Fut>(f: F) -> impl Stream<Item = Result<Event, Infallible>>
where
    F: FnOnce(tokio::sync::mpsc::Sender<Event>) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    tokio::spawn(f(tx));
    futures_util::stream::unfold(
        rx,
        |mut rx| async move { rx.recv().await.map(|e| (Ok(e), rx)) },
    )
}
