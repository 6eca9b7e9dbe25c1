//! Full recomputation of the aggregates from the whole audit trail — the reference the
//! incremental path ([`crate::counters::increments`]) is checked against.
//!
//! It is written independently of the incremental code: each event's counts are derived by
//! looking back over the case's full history (the last feedback, the last dispatch, any earlier
//! rework, the suspensions of the round …) rather than from a carried-over [`CaseTrack`].
//!
//! [`CaseTrack`]: crate::counters::CaseTrack

use std::collections::BTreeMap;

use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::workflow::{CaseState, Source};

use crate::counters::{Aggregates, Counter, Increment, case_scopes};
use crate::event::{Action, AuditEvent, is_hotline_source, is_public_source};
use crate::scope::{Day, Scope};

/// Rebuilds all aggregates from `events` (any order across cases; within a case, events with
/// equal instants keep their input order).
pub fn recompute(events: &[AuditEvent], calendar: &WorkCalendar) -> Aggregates {
    let mut by_case: BTreeMap<i64, Vec<&AuditEvent>> = BTreeMap::new();
    for e in events {
        by_case.entry(e.case_id).or_default().push(e);
    }
    let mut agg = Aggregates::new();
    for history in by_case.values_mut() {
        history.sort_by_key(|e| e.at);
        for inc in case_increments(history, calendar) {
            agg.add(&inc);
        }
    }
    agg
}

fn push(list: &mut Vec<Increment>, day: Day, scopes: &[Scope], counter: Counter, delta: i64) {
    if delta == 0 {
        return;
    }
    list.extend(scopes.iter().map(|scope| Increment {
        day,
        scope: scope.clone(),
        counter,
        delta,
    }));
}

fn person(role: Role, id: Option<i64>) -> Vec<Scope> {
    id.map(|user_id| Scope::Person { role, user_id })
        .into_iter()
        .collect()
}

fn on_time(e: &AuditEvent) -> bool {
    match e.deadline_before {
        Some(d) => e.at <= d,
        None => true,
    }
}

fn is_valid_event(e: &AuditEvent, earlier: &[&AuditEvent]) -> bool {
    let dispatched_before = earlier
        .iter()
        .any(|p| matches!(p.action, Action::Dispatch { .. }));
    match e.action {
        Action::File | Action::ApproveVoid => true,
        Action::Close => !dispatched_before,
        _ => false,
    }
}

/// The handling deadline counted after each event (`None` outside handling).
fn due_after(e: &AuditEvent) -> Option<domain::time::Timestamp> {
    (e.to_state == CaseState::Handling)
        .then_some(e.deadline_after)
        .flatten()
}

fn case_increments(h: &[&AuditEvent], calendar: &WorkCalendar) -> Vec<Increment> {
    let mut list = Vec::new();
    let one = |b: bool| i64::from(b);
    for (i, e) in h.iter().enumerate() {
        let earlier = h.get(..i).unwrap_or_default();
        let day = Day::of(e.at);
        let cs = case_scopes(e);
        let actor = Some(e.actor_id);
        let src = e.case.source;
        let t = on_time(e);
        let reporter = h
            .iter()
            .take(i + 1)
            .find(|p| {
                matches!(p.action, Action::Report | Action::ReportSelfHandled)
                    && p.actor_role == Role::Inspector
            })
            .map(|p| p.actor_id);

        // Validity: the first valid-making event of the case.
        if is_valid_event(e, earlier)
            && !earlier
                .iter()
                .enumerate()
                .any(|(j, p)| is_valid_event(p, h.get(..j).unwrap_or_default()))
        {
            push(&mut list, day, &cs, Counter::ValidReports, 1);
            push(
                &mut list,
                day,
                &person(Role::Inspector, reporter),
                Counter::ValidReports,
                1,
            );
        }

        match &e.action {
            Action::Report | Action::ReportSelfHandled => {
                push(&mut list, day, &cs, Counter::Reported, 1);
                if e.actor_role == Role::Inspector {
                    push(
                        &mut list,
                        day,
                        &person(Role::Inspector, actor),
                        Counter::Reported,
                        1,
                    );
                }
                push(
                    &mut list,
                    day,
                    &cs,
                    Counter::PublicReported,
                    one(is_public_source(src)),
                );
                push(
                    &mut list,
                    day,
                    &cs,
                    Counter::ThirdPartyFindings,
                    one(src == Source::ThirdPartyInspection),
                );
                push(
                    &mut list,
                    day,
                    &cs,
                    Counter::HotlineReceived,
                    one(is_hotline_source(src)),
                );
            }
            Action::SendVerify { inspector_id } => {
                let op = person(Role::Operator, actor);
                push(&mut list, day, &op, Counter::Intake, 1);
                push(&mut list, day, &op, Counter::VerifySent, 1);
                push(&mut list, day, &op, Counter::VerifySentOnTime, one(t));
                push(
                    &mut list,
                    day,
                    &person(Role::Inspector, *inspector_id),
                    Counter::VerifyTasks,
                    1,
                );
            }
            Action::Accept => {
                push(
                    &mut list,
                    day,
                    &person(Role::Operator, actor),
                    Counter::Intake,
                    1,
                );
            }
            Action::RejectReport => {
                push(
                    &mut list,
                    day,
                    &person(Role::Operator, actor),
                    Counter::Intake,
                    1,
                );
                push(&mut list, day, &cs, Counter::Rejected, 1);
            }
            Action::Reject => push(&mut list, day, &cs, Counter::Rejected, 1),
            Action::Verify { confirmed } => {
                let me = person(Role::Inspector, actor);
                push(&mut list, day, &me, Counter::Verified, 1);
                push(&mut list, day, &me, Counter::VerifiedOnTime, one(t));
                let first_confirmation = !earlier
                    .iter()
                    .any(|p| p.action == Action::Verify { confirmed: true });
                if *confirmed && is_public_source(src) && first_confirmation {
                    push(&mut list, day, &cs, Counter::PublicVerified, 1);
                    push(
                        &mut list,
                        day,
                        &person(Role::Inspector, e.case.grid_inspector_id),
                        Counter::Missed,
                        1,
                    );
                }
            }
            Action::File => {
                push(&mut list, day, &cs, Counter::Filed, 1);
                push(
                    &mut list,
                    day,
                    &person(Role::Inspector, e.case.grid_inspector_id),
                    Counter::Filed,
                    1,
                );
                let sup = person(Role::ShiftSupervisor, actor);
                push(&mut list, day, &sup, Counter::Filed, 1);
                push(&mut list, day, &sup, Counter::FiledOnTime, one(t));
            }
            Action::Dispatch { department_id } => {
                push(&mut list, day, &cs, Counter::Dispatches, 1);
                let me = person(Role::Dispatcher, actor);
                push(&mut list, day, &me, Counter::Dispatches, 1);
                push(&mut list, day, &me, Counter::DispatchesOnTime, one(t));
                let previous = earlier.iter().rev().find_map(|p| match &p.action {
                    Action::Dispatch { department_id } => Some((p.actor_id, *department_id)),
                    _ => None,
                });
                match previous {
                    Some((who, dept)) if dept != *department_id => {
                        let mut wrong: Vec<Scope> = cs
                            .iter()
                            .filter(|s| !matches!(s, Scope::Department { .. }))
                            .cloned()
                            .collect();
                        if let Some(id) = dept {
                            wrong.push(Scope::Department { id });
                        }
                        push(&mut list, day, &wrong, Counter::InaccurateDispatches, 1);
                        push(
                            &mut list,
                            day,
                            &person(Role::Dispatcher, Some(who)),
                            Counter::InaccurateDispatches,
                            1,
                        );
                    }
                    None => push(
                        &mut list,
                        day,
                        &cs,
                        Counter::HotlineTransferred,
                        one(is_hotline_source(src)),
                    ),
                    Some(_) => {}
                }
            }
            Action::Feedback => {
                push(&mut list, day, &cs, Counter::Feedbacks, 1);
                push(&mut list, day, &cs, Counter::Handled, 1);
                push(&mut list, day, &cs, Counter::HandledOnTime, one(t));
                if let Some(minutes) = handling_minutes(h, i, calendar) {
                    push(&mut list, day, &cs, Counter::HandlingMinutes, minutes);
                }
            }
            Action::SendCheck { inspector_id } => {
                let op = person(Role::Operator, actor);
                push(&mut list, day, &op, Counter::CheckSent, 1);
                push(&mut list, day, &op, Counter::CheckSentOnTime, one(t));
                push(
                    &mut list,
                    day,
                    &person(Role::Inspector, *inspector_id),
                    Counter::CheckTasks,
                    1,
                );
            }
            Action::Check { .. } => {
                let me = person(Role::Inspector, actor);
                push(&mut list, day, &me, Counter::Checked, 1);
                push(&mut list, day, &me, Counter::CheckedOnTime, one(t));
            }
            Action::Rework => {
                push(&mut list, day, &cs, Counter::Reworks, 1);
                // Take back the feedback this rework undoes, unless an earlier rework already did.
                let last_feedback = earlier.iter().rposition(|p| p.action == Action::Feedback);
                let last_rework = earlier.iter().rposition(|p| p.action == Action::Rework);
                if let Some(f) = last_feedback
                    && last_rework.is_none_or(|r| r < f)
                {
                    let was_on_time = earlier.get(f).is_some_and(|p| on_time(p));
                    push(&mut list, day, &cs, Counter::Handled, -1);
                    push(
                        &mut list,
                        day,
                        &cs,
                        Counter::HandledOnTime,
                        -one(was_on_time),
                    );
                }
            }
            Action::Close => {
                let sup = person(Role::ShiftSupervisor, actor);
                push(&mut list, day, &sup, Counter::Closes, 1);
                push(&mut list, day, &sup, Counter::ClosesOnTime, one(t));
                let dispatched = earlier
                    .iter()
                    .any(|p| matches!(p.action, Action::Dispatch { .. }));
                if dispatched {
                    let last_feedback = earlier.iter().rposition(|p| p.action == Action::Feedback);
                    let last_rework = earlier.iter().rposition(|p| p.action == Action::Rework);
                    let feedback_stands = match (last_feedback, last_rework) {
                        (Some(f), Some(r)) => f > r,
                        (Some(_), None) => true,
                        _ => false,
                    };
                    let on_time_close = feedback_stands
                        && last_feedback
                            .and_then(|f| earlier.get(f))
                            .is_some_and(|p| on_time(p));
                    push(&mut list, day, &cs, Counter::Closed, 1);
                    push(
                        &mut list,
                        day,
                        &cs,
                        Counter::ClosedOnTime,
                        one(on_time_close),
                    );
                    push(
                        &mut list,
                        day,
                        &cs,
                        Counter::ClosedReworked,
                        one(last_rework.is_some()),
                    );
                } else {
                    push(&mut list, day, &cs, Counter::ClosedSelfHandled, 1);
                }
            }
            Action::ApproveVoid => {
                push(&mut list, day, &cs, Counter::Voided, 1);
                let filer = earlier
                    .iter()
                    .rev()
                    .find(|p| p.action == Action::File)
                    .map(|p| p.actor_id);
                push(
                    &mut list,
                    day,
                    &person(Role::ShiftSupervisor, filer),
                    Counter::FiledThenVoided,
                    1,
                );
            }
            Action::Reply => {
                let first = !earlier.iter().any(|p| p.action == Action::Reply);
                push(
                    &mut list,
                    day,
                    &cs,
                    Counter::HotlineReplied,
                    one(first && is_hotline_source(src)),
                );
            }
            Action::Rate { satisfied }
                if !earlier
                    .iter()
                    .any(|p| matches!(p.action, Action::Rate { .. })) =>
            {
                push(&mut list, day, &cs, Counter::Rated, 1);
                push(&mut list, day, &cs, Counter::Satisfied, one(*satisfied));
            }
            _ => {}
        }

        let terminal_answer =
            |p: &&AuditEvent| matches!(p.to_state, CaseState::Closed | CaseState::Rejected);
        if is_hotline_source(src) && terminal_answer(e) && !earlier.iter().any(terminal_answer) {
            push(&mut list, day, &cs, Counter::HotlineReplyDue, 1);
        }

        // Handling clock: compare the deadline counted before and after this event.
        let before = earlier.last().and_then(|p| due_after(p));
        let after = due_after(e);
        if before != after {
            if let Some(old) = before {
                // It was counted with the scopes of the event that started it.
                let start = earlier
                    .iter()
                    .rev()
                    .take_while(|p| due_after(p) == Some(old))
                    .last();
                let scopes = start.map(|p| case_scopes(p)).unwrap_or_default();
                if e.at <= old {
                    push(&mut list, Day::of(old), &scopes, Counter::HandlingDue, -1);
                } else {
                    push(&mut list, day, &scopes, Counter::HandlingLeftLate, 1);
                }
            }
            if let Some(new) = after {
                push(&mut list, Day::of(new), &cs, Counter::HandlingDue, 1);
            }
        }
    }
    list
}

/// Working minutes of the handling round ending with the feedback at `i`: from the round's
/// dispatch or rework to the feedback, less every suspension → resume window inside it.
fn handling_minutes(h: &[&AuditEvent], i: usize, calendar: &WorkCalendar) -> Option<i64> {
    let feedback = h.get(i)?;
    let start = h
        .get(..i)?
        .iter()
        .rposition(|p| matches!(p.action, Action::Dispatch { .. } | Action::Rework))?;
    let round = h.get(start..i)?;
    let begin = round.first()?.at;
    let mut suspended = 0;
    let mut since = None;
    for p in round {
        match p.action {
            Action::ApproveSuspension => since = Some(p.at),
            Action::Resume => {
                if let Some(s) = since.take() {
                    suspended += calendar.working_millis_between(s, p.at).max(0);
                }
            }
            _ => {}
        }
    }
    let ms = calendar.working_millis_between(begin, feedback.at) - suspended;
    Some(ms.max(0) / 60_000)
}
