//! Property: after any random interleaving of valid transition sequences, the incremental
//! aggregates (one event at a time, each case's track persisted as JSON between events, as the
//! store does) equal a full recomputation from the whole trail.

mod common;

use std::collections::HashMap;

use assessment::counters::{Aggregates, CaseTrack, increments};
use assessment::indicators::Indicators;
use assessment::{Action, AuditEvent, CaseFacts, Period, Scope, recompute};
use common::area;
use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::{CaseState as S, Source};
use proptest::prelude::*;

const GRIDS: [&str; 3] = ["410102001001001", "410102001001002", "410102002001001"];
const SOURCES: [Source; 5] = [
    Source::Inspector,
    Source::CitizenApp,
    Source::Hotline12345,
    Source::ThirdPartyInspection,
    Source::Camera,
];

/// The actions allowed in a state, with the state they lead to (`None` = unchanged).
fn moves(state: Option<S>, seed: u32) -> Vec<(Action, Role, Option<S>)> {
    let dept = Some(i64::from(501 + seed % 3));
    let who = Some(i64::from(11 + seed % 3));
    let b = seed.is_multiple_of(2);
    let mut v = match state {
        None => vec![
            (Action::Report, Role::Inspector, Some(S::PendingFiling)),
            (Action::Report, Role::Operator, Some(S::Reported)),
            (
                Action::ReportSelfHandled,
                Role::Inspector,
                Some(S::PendingClose),
            ),
        ],
        Some(S::Reported) => vec![
            (
                Action::SendVerify { inspector_id: who },
                Role::Operator,
                Some(S::Verifying),
            ),
            (Action::Accept, Role::Operator, Some(S::PendingFiling)),
            (Action::RejectReport, Role::Operator, Some(S::Rejected)),
            (Action::LinkDuplicate, Role::Operator, Some(S::Merged)),
        ],
        Some(S::Verifying) => vec![(
            Action::Verify { confirmed: b },
            Role::Inspector,
            Some(S::PendingFiling),
        )],
        Some(S::PendingFiling) => vec![
            (
                Action::File,
                Role::ShiftSupervisor,
                Some(S::PendingDispatch),
            ),
            (Action::Reject, Role::ShiftSupervisor, Some(S::Rejected)),
            (
                Action::ReturnToIntake,
                Role::ShiftSupervisor,
                Some(S::Reported),
            ),
        ],
        Some(S::PendingDispatch) => vec![(
            Action::Dispatch {
                department_id: dept,
            },
            Role::Dispatcher,
            Some(S::Dispatched),
        )],
        Some(S::Dispatched) => vec![
            (
                Action::AcceptTask,
                Role::DepartmentHandler,
                Some(S::Handling),
            ),
            (Action::RequestReturn, Role::DepartmentHandler, None),
            (
                Action::ApproveReturn,
                Role::Dispatcher,
                Some(S::PendingDispatch),
            ),
        ],
        Some(S::Handling) => vec![
            (
                Action::Feedback,
                Role::DepartmentHandler,
                Some(S::PendingCheck),
            ),
            (Action::RequestExtension, Role::DepartmentHandler, None),
            (Action::ApproveExtension, Role::Dispatcher, None),
            (
                Action::ApproveSuspension,
                Role::Dispatcher,
                Some(S::Suspended),
            ),
            (
                Action::ApproveReturn,
                Role::Dispatcher,
                Some(S::PendingDispatch),
            ),
        ],
        Some(S::Suspended) => vec![(Action::Resume, Role::Dispatcher, Some(S::Handling))],
        Some(S::PendingCheck) => vec![(
            Action::SendCheck { inspector_id: who },
            Role::Operator,
            Some(S::Checking),
        )],
        Some(S::Checking) => vec![(
            Action::Check { passed: b },
            Role::Inspector,
            Some(S::PendingClose),
        )],
        Some(S::PendingClose) => vec![
            (Action::Close, Role::ShiftSupervisor, Some(S::Closed)),
            (Action::Rework, Role::ShiftSupervisor, Some(S::Dispatched)),
        ],
        Some(S::Closed) => vec![
            (Action::Reply, Role::Operator, None),
            (Action::Rate { satisfied: b }, Role::Citizen, None),
        ],
        Some(_) => vec![],
    };
    if state.is_some_and(|s| !s.is_terminal()) {
        v.push((Action::Supervise, Role::Leader, None));
        if seed.is_multiple_of(7) {
            v.push((Action::ApproveVoid, Role::ShiftSupervisor, Some(S::Voided)));
        }
    }
    v
}

/// Per step: (action choice, half-hours to the next event, deadline offset in half-hours, seed).
type Step = (u32, u32, u32, u32);

fn build_case(id: i64, facts_seed: u32, start_min: u32, steps: &[Step]) -> Vec<AuditEvent> {
    let base = Timestamp::from_shanghai(
        chrono::NaiveDate::from_ymd_opt(2026, 11, 20)
            .and_then(|d| d.and_hms_opt(8, 0, 0))
            .unwrap_or_default(),
    );
    let mut at = base.plus_minutes(i64::from(start_min));
    let mut facts = CaseFacts {
        source: SOURCES[(facts_seed % 5) as usize],
        area: area(GRIDS[(facts_seed % 3) as usize]),
        department_id: None,
        road_chief_id: (!facts_seed.is_multiple_of(4)).then_some(i64::from(900 + facts_seed % 2)),
        grid_inspector_id: Some(i64::from(11 + facts_seed % 3)),
    };
    let mut state: Option<S> = None;
    let mut deadline: Option<Timestamp> = None;
    let mut events = Vec::new();
    for &(choice, gap, offset, seed) in steps {
        let options = moves(state, seed);
        if options.is_empty() {
            break;
        }
        let (action, role, to) = options[(choice as usize) % options.len()].clone();
        if let Action::Dispatch { department_id } = action {
            facts.department_id = department_id;
        }
        if seed % 11 == 0 {
            // The road's chief changes mid-case.
            facts.road_chief_id = Some(i64::from(900 + seed % 3));
        }
        let to_state = to.or(state).unwrap_or(S::Reported);
        let new_deadline = match (&action, to) {
            (_, Some(S::Suspended)) => None,
            (_, Some(s)) if s.is_terminal() => None,
            (Action::ApproveExtension, _) | (_, Some(_)) => {
                Some(at.plus_minutes(i64::from(offset % 24) * 30))
            }
            _ => deadline,
        };
        events.push(AuditEvent {
            case_id: id,
            at,
            action,
            actor_id: i64::from(20 + seed % 5),
            actor_role: role,
            from_state: state,
            to_state,
            deadline_before: deadline,
            deadline_after: new_deadline,
            case: facts.clone(),
        });
        state = Some(to_state);
        deadline = new_deadline;
        // Half-hour steps, so events often fall exactly on deadlines.
        at = at.plus_minutes(i64::from(gap % 14) * 30);
    }
    events
}

fn cases() -> impl Strategy<Value = Vec<(u32, u32, Vec<Step>)>> {
    prop::collection::vec(
        (
            any::<u32>(),
            0u32..5000,
            prop::collection::vec(
                (any::<u32>(), any::<u32>(), any::<u32>(), any::<u32>()),
                1..30,
            ),
        ),
        1..8,
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn incremental_equals_recompute(spec in cases()) {
        let cal = WorkCalendar::builtin();
        let mut events: Vec<AuditEvent> = spec
            .iter()
            .enumerate()
            .flat_map(|(i, (seed, start, steps))| build_case(i as i64 + 1, *seed, *start, steps))
            .collect();
        // Interleave cases by time (stable: a case's own order is kept on equal instants).
        events.sort_by_key(|e| e.at);

        let mut agg = Aggregates::new();
        let mut stored: HashMap<i64, String> = HashMap::new();
        for e in &events {
            let mut track: CaseTrack = stored
                .get(&e.case_id)
                .map(|j| serde_json::from_str(j).expect("track json"))
                .unwrap_or_default();
            for inc in increments(&mut track, e, &cal) {
                agg.add(&inc);
            }
            stored.insert(e.case_id, serde_json::to_string(&track).expect("json"));
        }

        // Recompute from the trail given case by case, newest case first.
        let mut by_case = events.clone();
        by_case.sort_by_key(|e| std::cmp::Reverse(e.case_id));
        let full = recompute(&by_case, &cal);
        prop_assert_eq!(agg.clone().normalized().buckets(), full.clone().normalized().buckets());

        // And so every indicator of every period agrees too (a spot check on the city).
        let week = Period::week_of(chrono::NaiveDate::from_ymd_opt(2026, 11, 25).unwrap_or_default());
        prop_assert_eq!(
            Indicators::of(&agg, &Scope::City, week),
            Indicators::of(&full, &Scope::City, week)
        );
    }

    #[test]
    fn a_period_is_the_sum_of_its_days(spec in cases()) {
        let cal = WorkCalendar::builtin();
        let events: Vec<AuditEvent> = spec
            .iter()
            .enumerate()
            .flat_map(|(i, (seed, start, steps))| build_case(i as i64 + 1, *seed, *start, steps))
            .collect();
        let agg = recompute(&events, &cal);
        let month = Period::month_of(chrono::NaiveDate::from_ymd_opt(2026, 11, 1).unwrap_or_default());
        let mut total = assessment::Counters::default();
        for day in month.days() {
            total.add_all(&agg.sum(&Scope::City, Period { first: day, last: day }));
        }
        prop_assert_eq!(total, agg.sum(&Scope::City, month));
    }
}
