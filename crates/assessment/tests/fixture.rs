//! Every indicator against a small hand-worked fixture: nine cases with explicit event lists in
//! the week of Monday 2026-11-23 (no holiday; working windows 09:00–12:00, 13:00–17:00). The
//! expected numbers are worked out by hand in the comments, not by the implementation.

mod common;

use std::collections::HashMap;

use assessment::counters::Tracker;
use assessment::indicators::{Indicators, Ratio};
use assessment::report::daily_series;
use assessment::scores::{ScoreConfig, rank_scopes};
use assessment::{Action, AuditEvent, Period, Scope, ScopeKind, recompute};
use chrono::NaiveDate;
use common::{CaseB, t};
use domain::area::{AreaCode, AreaLevel};
use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::workflow::{CaseState as S, Source};

const GRID_A: &str = "410102001001001"; // inspector 11, road chief 901
const GRID_B: &str = "410102001001002"; // inspector 12
const GRID_C: &str = "410102002001001"; // inspector 13, road chief 902

use Role::{
    Citizen as CIT, DepartmentHandler as DEP, Dispatcher as DIS, Inspector as INS, Operator as OPR,
    ShiftSupervisor as SUP,
};

fn dispatch(dept: i64) -> Action {
    Action::Dispatch {
        department_id: Some(dept),
    }
}
fn send_verify(who: i64) -> Action {
    Action::SendVerify {
        inspector_id: Some(who),
    }
}
fn send_check(who: i64) -> Action {
    Action::SendCheck {
        inspector_id: Some(who),
    }
}

#[allow(clippy::too_many_lines)]
fn fixture() -> Vec<AuditEvent> {
    let mut all = Vec::new();

    // C1: inspector 11 reports in grid A; everything on time; handled by 501.
    // Handling time: dispatch Mon 09:40 → feedback Mon 15:00 = 140 + 120 = 260 working minutes.
    let mut c = CaseB::new(1, Source::Inspector, GRID_A, Some(901), 11);
    c.step(
        t(23, "09:00"),
        Action::Report,
        11,
        INS,
        S::PendingFiling,
        None,
        Some(t(23, "09:30")),
    )
    .step(
        t(23, "09:20"),
        Action::File,
        31,
        SUP,
        S::PendingDispatch,
        Some(t(23, "09:30")),
        Some(t(23, "09:50")),
    )
    .step(
        t(23, "09:40"),
        dispatch(501),
        41,
        DIS,
        S::Dispatched,
        Some(t(23, "09:50")),
        Some(t(23, "10:40")),
    )
    .step(
        t(23, "10:00"),
        Action::AcceptTask,
        51,
        DEP,
        S::Handling,
        Some(t(23, "10:40")),
        Some(t(24, "10:00")),
    )
    .step(
        t(23, "15:00"),
        Action::Feedback,
        51,
        DEP,
        S::PendingCheck,
        Some(t(24, "10:00")),
        Some(t(23, "15:30")),
    )
    .step(
        t(23, "15:10"),
        send_check(11),
        21,
        OPR,
        S::Checking,
        Some(t(23, "15:30")),
        Some(t(23, "17:00")),
    )
    .step(
        t(23, "16:00"),
        Action::Check { passed: true },
        11,
        INS,
        S::PendingClose,
        Some(t(23, "17:00")),
        Some(t(23, "17:00")),
    )
    .step(
        t(23, "16:30"),
        Action::Close,
        31,
        SUP,
        S::Closed,
        Some(t(23, "17:00")),
        None,
    );
    all.extend(c.events);

    // C2: citizen report in grid B; verification late, filing late, handling late (due Mon
    // 16:00, fed back Tue 10:00); handled by 502; rated unsatisfied.
    // Handling time: Mon 14:40 → Tue 10:00 = 140 + 60 = 200.
    let mut c = CaseB::new(2, Source::CitizenApp, GRID_B, None, 12);
    c.step(
        t(23, "10:00"),
        Action::Report,
        61,
        CIT,
        S::Reported,
        None,
        Some(t(23, "10:30")),
    )
    .step(
        t(23, "10:20"),
        send_verify(12),
        21,
        OPR,
        S::Verifying,
        Some(t(23, "10:30")),
        Some(t(23, "12:20")),
    )
    .step(
        t(23, "13:30"),
        Action::Verify { confirmed: true },
        12,
        INS,
        S::PendingFiling,
        Some(t(23, "12:20")),
        Some(t(23, "14:00")),
    )
    .step(
        t(23, "14:30"),
        Action::File,
        32,
        SUP,
        S::PendingDispatch,
        Some(t(23, "14:00")),
        Some(t(23, "15:00")),
    )
    .step(
        t(23, "14:40"),
        dispatch(502),
        41,
        DIS,
        S::Dispatched,
        Some(t(23, "15:00")),
        Some(t(23, "15:40")),
    )
    .step(
        t(23, "14:50"),
        Action::AcceptTask,
        52,
        DEP,
        S::Handling,
        Some(t(23, "15:40")),
        Some(t(23, "16:00")),
    )
    .step(
        t(24, "10:00"),
        Action::Feedback,
        52,
        DEP,
        S::PendingCheck,
        Some(t(23, "16:00")),
        Some(t(24, "10:30")),
    )
    .step(
        t(24, "10:10"),
        send_check(12),
        21,
        OPR,
        S::Checking,
        Some(t(24, "10:30")),
        Some(t(24, "12:10")),
    )
    .step(
        t(24, "11:00"),
        Action::Check { passed: true },
        12,
        INS,
        S::PendingClose,
        Some(t(24, "12:10")),
        Some(t(24, "12:10")),
    )
    .step(
        t(24, "11:10"),
        Action::Close,
        31,
        SUP,
        S::Closed,
        Some(t(24, "12:10")),
        None,
    )
    .step(
        t(24, "15:00"),
        Action::Rate { satisfied: false },
        61,
        CIT,
        S::Closed,
        None,
        None,
    );
    all.extend(c.events);

    // C3: 12345 hotline report entered by operator 21 in grid C; intake late; dispatched to 501,
    // returned, re-dispatched to 502 (one inaccurate dispatch, by 42); check fails, reworked,
    // closed; replied; rated satisfied.
    // Round 1: re-dispatch Mon 15:30 → feedback Wed 10:00 = 90 + 420 + 60 = 570.
    // Round 2: rework Wed 11:10 → feedback Wed 15:00 = 50 + 120 = 170.
    let mut c = CaseB::new(3, Source::Hotline12345, GRID_C, Some(902), 13);
    c.step(
        t(23, "11:00"),
        Action::Report,
        21,
        OPR,
        S::Reported,
        None,
        Some(t(23, "11:30")),
    )
    .step(
        t(23, "11:40"),
        send_verify(13),
        21,
        OPR,
        S::Verifying,
        Some(t(23, "11:30")),
        Some(t(23, "14:40")),
    )
    .step(
        t(23, "14:00"),
        Action::Verify { confirmed: true },
        13,
        INS,
        S::PendingFiling,
        Some(t(23, "14:40")),
        Some(t(23, "14:30")),
    )
    .step(
        t(23, "14:10"),
        Action::File,
        31,
        SUP,
        S::PendingDispatch,
        Some(t(23, "14:30")),
        Some(t(23, "14:40")),
    )
    .step(
        t(23, "14:20"),
        dispatch(501),
        42,
        DIS,
        S::Dispatched,
        Some(t(23, "14:40")),
        Some(t(23, "15:20")),
    )
    .step(
        t(23, "15:00"),
        Action::RequestReturn,
        51,
        DEP,
        S::Dispatched,
        Some(t(23, "15:20")),
        Some(t(23, "15:20")),
    )
    .step(
        t(23, "15:10"),
        Action::ApproveReturn,
        42,
        DIS,
        S::PendingDispatch,
        Some(t(23, "15:20")),
        Some(t(23, "15:40")),
    )
    .step(
        t(23, "15:30"),
        dispatch(502),
        42,
        DIS,
        S::Dispatched,
        Some(t(23, "15:40")),
        Some(t(23, "16:30")),
    )
    .step(
        t(23, "15:40"),
        Action::AcceptTask,
        52,
        DEP,
        S::Handling,
        Some(t(23, "16:30")),
        Some(t(25, "17:00")),
    )
    .step(
        t(25, "10:00"),
        Action::Feedback,
        52,
        DEP,
        S::PendingCheck,
        Some(t(25, "17:00")),
        Some(t(25, "10:30")),
    )
    .step(
        t(25, "10:05"),
        send_check(13),
        21,
        OPR,
        S::Checking,
        Some(t(25, "10:30")),
        Some(t(25, "12:05")),
    )
    .step(
        t(25, "11:00"),
        Action::Check { passed: false },
        13,
        INS,
        S::PendingClose,
        Some(t(25, "12:05")),
        Some(t(25, "12:00")),
    )
    .step(
        t(25, "11:10"),
        Action::Rework,
        31,
        SUP,
        S::Dispatched,
        Some(t(25, "12:00")),
        Some(t(25, "13:10")),
    )
    .step(
        t(25, "11:20"),
        Action::AcceptTask,
        52,
        DEP,
        S::Handling,
        Some(t(25, "13:10")),
        Some(t(25, "16:00")),
    )
    .step(
        t(25, "15:00"),
        Action::Feedback,
        52,
        DEP,
        S::PendingCheck,
        Some(t(25, "16:00")),
        Some(t(25, "15:30")),
    )
    .step(
        t(25, "15:10"),
        send_check(13),
        21,
        OPR,
        S::Checking,
        Some(t(25, "15:30")),
        Some(t(25, "17:00")),
    )
    .step(
        t(25, "15:30"),
        Action::Check { passed: true },
        13,
        INS,
        S::PendingClose,
        Some(t(25, "17:00")),
        Some(t(25, "16:30")),
    )
    .step(
        t(25, "16:00"),
        Action::Close,
        32,
        SUP,
        S::Closed,
        Some(t(25, "16:30")),
        None,
    )
    .step(
        t(25, "16:10"),
        Action::Reply,
        21,
        OPR,
        S::Closed,
        None,
        None,
    )
    .step(
        t(25, "16:20"),
        Action::Rate { satisfied: true },
        21,
        OPR,
        S::Closed,
        None,
        None,
    );
    all.extend(c.events);

    // C4: inspector 13 self-handled in grid C; closed late by 32.
    let mut c = CaseB::new(4, Source::Inspector, GRID_C, Some(902), 13);
    c.step(
        t(24, "09:00"),
        Action::ReportSelfHandled,
        13,
        INS,
        S::PendingClose,
        None,
        Some(t(24, "10:00")),
    )
    .step(
        t(24, "10:30"),
        Action::Close,
        32,
        SUP,
        S::Closed,
        Some(t(24, "10:00")),
        None,
    );
    all.extend(c.events);

    // C5: inspector 11 in grid A; filed by 31, then voided.
    let mut c = CaseB::new(5, Source::Inspector, GRID_A, Some(901), 11);
    c.step(
        t(24, "09:30"),
        Action::Report,
        11,
        INS,
        S::PendingFiling,
        None,
        Some(t(24, "10:00")),
    )
    .step(
        t(24, "09:50"),
        Action::File,
        31,
        SUP,
        S::PendingDispatch,
        Some(t(24, "10:00")),
        Some(t(24, "10:20")),
    )
    .step(
        t(24, "10:00"),
        Action::RequestVoid,
        41,
        DIS,
        S::PendingDispatch,
        Some(t(24, "10:20")),
        Some(t(24, "10:20")),
    )
    .step(
        t(24, "10:10"),
        Action::ApproveVoid,
        31,
        SUP,
        S::Voided,
        Some(t(24, "10:20")),
        None,
    );
    all.extend(c.events);

    // C6: inspector 12 in grid B; not filed.
    let mut c = CaseB::new(6, Source::Inspector, GRID_B, None, 12);
    c.step(
        t(24, "10:00"),
        Action::Report,
        12,
        INS,
        S::PendingFiling,
        None,
        Some(t(24, "10:30")),
    )
    .step(
        t(24, "10:20"),
        Action::Reject,
        32,
        SUP,
        S::Rejected,
        Some(t(24, "10:30")),
        None,
    );
    all.extend(c.events);

    // C7: citizen report in grid A (a miss of inspector 11); in handling at 501, extended on
    // Tue (due Tue 10:30 → Wed 10:30), suspended Wed 09:10, resumed Thu 09:00 due Thu 10:20,
    // never fed back: overdue from Thu on.
    let mut c = CaseB::new(7, Source::CitizenApp, GRID_A, Some(901), 11);
    c.step(
        t(23, "09:00"),
        Action::Report,
        61,
        CIT,
        S::Reported,
        None,
        Some(t(23, "09:30")),
    )
    .step(
        t(23, "09:10"),
        send_verify(11),
        21,
        OPR,
        S::Verifying,
        Some(t(23, "09:30")),
        Some(t(23, "11:10")),
    )
    .step(
        t(23, "10:00"),
        Action::Verify { confirmed: true },
        11,
        INS,
        S::PendingFiling,
        Some(t(23, "11:10")),
        Some(t(23, "10:30")),
    )
    .step(
        t(23, "10:10"),
        Action::File,
        31,
        SUP,
        S::PendingDispatch,
        Some(t(23, "10:30")),
        Some(t(23, "10:40")),
    )
    .step(
        t(23, "10:20"),
        dispatch(501),
        41,
        DIS,
        S::Dispatched,
        Some(t(23, "10:40")),
        Some(t(23, "11:20")),
    )
    .step(
        t(23, "10:30"),
        Action::AcceptTask,
        51,
        DEP,
        S::Handling,
        Some(t(23, "11:20")),
        Some(t(24, "10:30")),
    )
    .step(
        t(24, "09:00"),
        Action::RequestExtension,
        51,
        DEP,
        S::Handling,
        Some(t(24, "10:30")),
        Some(t(24, "10:30")),
    )
    .step(
        t(24, "09:30"),
        Action::ApproveExtension,
        41,
        DIS,
        S::Handling,
        Some(t(24, "10:30")),
        Some(t(25, "10:30")),
    )
    .step(
        t(25, "09:00"),
        Action::RequestSuspension,
        51,
        DEP,
        S::Handling,
        Some(t(25, "10:30")),
        Some(t(25, "10:30")),
    )
    .step(
        t(25, "09:10"),
        Action::ApproveSuspension,
        41,
        DIS,
        S::Suspended,
        Some(t(25, "10:30")),
        None,
    )
    .step(
        t(26, "09:00"),
        Action::Resume,
        41,
        DIS,
        S::Handling,
        None,
        Some(t(26, "10:20")),
    );
    all.extend(c.events);

    // C8: 12319 hotline report by operator 21 in grid B; rejected at intake.
    let mut c = CaseB::new(8, Source::Hotline12319, GRID_B, None, 12);
    c.step(
        t(25, "09:00"),
        Action::Report,
        21,
        OPR,
        S::Reported,
        None,
        Some(t(25, "09:30")),
    )
    .step(
        t(25, "09:10"),
        Action::RejectReport,
        21,
        OPR,
        S::Rejected,
        Some(t(25, "09:30")),
        None,
    );
    all.extend(c.events);

    // C9: third-party inspection 暗访 finding on road chief 902's road (grid C); accepted, filed.
    let mut c = CaseB::new(9, Source::ThirdPartyInspection, GRID_C, Some(902), 13);
    c.step(
        t(26, "09:00"),
        Action::Report,
        21,
        OPR,
        S::Reported,
        None,
        Some(t(26, "09:30")),
    )
    .step(
        t(26, "09:05"),
        Action::Accept,
        21,
        OPR,
        S::PendingFiling,
        Some(t(26, "09:30")),
        Some(t(26, "09:35")),
    )
    .step(
        t(26, "09:20"),
        Action::File,
        31,
        SUP,
        S::PendingDispatch,
        Some(t(26, "09:35")),
        Some(t(26, "09:50")),
    );
    all.extend(c.events);

    all.sort_by_key(|e| e.at);
    all
}

fn week() -> Period {
    Period::new(
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap(),
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap(),
    )
}

fn built() -> Tracker {
    let cal = WorkCalendar::builtin();
    let mut tr = Tracker::default();
    for e in fixture() {
        tr.apply(&e, &cal);
    }
    tr
}

fn ind(tr: &Tracker, scope: &Scope) -> Indicators {
    Indicators::of(&tr.aggregates, scope, week())
}

fn r(num: i64, den: i64) -> Ratio {
    Ratio::new(num, den)
}

fn area(code: &str) -> Scope {
    Scope::Area {
        code: AreaCode::parse(code).unwrap(),
    }
}

fn person(role: Role, user_id: i64) -> Scope {
    Scope::Person { role, user_id }
}

#[test]
fn city_indicators_over_the_week() {
    let i = ind(&built(), &Scope::City);
    assert_eq!(i.reported, 9); // C1..C9
    assert_eq!(i.valid_reports, 7); // filed C1 C2 C3 C5 C7 C9 + self-handled C4
    assert_eq!(i.valid_report_rate, r(7, 9));
    assert_eq!(i.filed, 6); // C1 C2 C3 C5 C7 C9
    assert_eq!(i.dispatched, 5); // C1, C2, C3 twice, C7
    assert_eq!(i.accurate_dispatch_rate, r(4, 5)); // C3's dispatch to 501 was wrong
    assert_eq!(i.handled, 3); // C1 + C2 + C3 (2 feedbacks − 1 rework)
    assert_eq!(i.closed, 3); // C1 C2 C3 (C4 is self-handled)
    assert_eq!(i.closed_self_handled, 1);
    assert_eq!(i.rejected, 2); // C6, C8
    assert_eq!(i.voided, 1); // C5
    assert_eq!(i.overdue_open, 1); // C7 at the end of Sunday
    assert_eq!(i.due_to_close, 4); // 3 handled + 1 overdue
    assert_eq!(i.closure_rate, r(3, 4));
    assert_eq!(i.on_time_closure_rate, r(2, 4)); // C1, C3 (C2's feedback was late)
    assert_eq!(i.handling_rate, r(3, 4));
    assert_eq!(i.on_time_handling_rate, r(2, 4)); // C1 + C3 (+1 −1 +1)
    assert_eq!(i.rework_rate, r(1, 3)); // C3 of 3 closed
    assert_eq!(i.public_report_rate, r(3, 6)); // C2 C3 C7 confirmed / 6 filed
    assert_eq!(i.third_party_findings, 1); // C9
    // (260 + 200 + 570 + 170) minutes / 4 feedbacks = 300 minutes = 5 working hours.
    assert_eq!(i.avg_handling_hours, Some(5.0));
    assert_eq!(i.satisfaction_rate, r(1, 2)); // C2 no, C3 yes
    assert_eq!(i.transfer_rate, r(1, 2)); // hotline C3 dispatched, C8 not
    assert_eq!(i.reply_rate, r(1, 2)); // due: C3 closed, C8 rejected; replied: C3
}

#[test]
fn inspector_indicators() {
    let tr = built();
    // Inspector 11: reported C1 C5 (both valid); grid A filed C1 C5 C7, missed C7;
    // verified C7 on time (1 task); checked C1 on time (1 task).
    let i = ind(&tr, &person(INS, 11));
    assert_eq!(i.reported, 2);
    assert_eq!(i.valid_report_rate, r(2, 2));
    assert_eq!(i.missed_report_rate, r(1, 3));
    assert_eq!(i.on_time_verification_rate, r(1, 1));
    assert_eq!(i.on_time_check_rate, r(1, 1));
    // Inspector 12: reported C6 (rejected: not valid); grid B filed C2, missed C2;
    // verification of C2 late; check of C2 on time.
    let i = ind(&tr, &person(INS, 12));
    assert_eq!(i.valid_report_rate, r(0, 1));
    assert_eq!(i.missed_report_rate, r(1, 1));
    assert_eq!(i.on_time_verification_rate, r(0, 1));
    assert_eq!(i.on_time_check_rate, r(1, 1));
    // Inspector 13: C4 self-handled (valid); grid C filed C3 C9, missed C3; two checks of C3.
    let i = ind(&tr, &person(INS, 13));
    assert_eq!(i.valid_report_rate, r(1, 1));
    assert_eq!(i.missed_report_rate, r(1, 2));
    assert_eq!(i.on_time_verification_rate, r(1, 1));
    assert_eq!(i.on_time_check_rate, r(2, 2));
}

#[test]
fn operator_supervisor_dispatcher_indicators() {
    let tr = built();
    // Operator 21: intake = send_verify C2 C3 C7 + reject_report C8 + accept C9 = 5;
    // verification sent on time C2 C7, late C3; checks sent C1 C2 C3 C3, all on time.
    let i = ind(&tr, &person(OPR, 21));
    assert_eq!(i.intake, 5);
    assert_eq!(i.on_time_verify_sending_rate, r(2, 3));
    assert_eq!(i.on_time_check_sending_rate, r(4, 4));
    // Supervisor 31: filed C1 C3 C5 C7 C9 on time, C5 voided; closed C1 C2 on time.
    let i = ind(&tr, &person(SUP, 31));
    assert_eq!(i.on_time_filing_rate, r(5, 5));
    assert_eq!(i.accurate_filing_rate, r(4, 5));
    assert_eq!(i.on_time_close_rate, r(2, 2));
    // Supervisor 32: filed C2 late; closed C3 on time, C4 late.
    let i = ind(&tr, &person(SUP, 32));
    assert_eq!(i.on_time_filing_rate, r(0, 1));
    assert_eq!(i.accurate_filing_rate, r(1, 1));
    assert_eq!(i.on_time_close_rate, r(1, 2));
    // Dispatcher 41: C1 C2 C7, on time, accurate. Dispatcher 42: C3 twice, first one wrong.
    let i = ind(&tr, &person(DIS, 41));
    assert_eq!(i.on_time_dispatch_rate, r(3, 3));
    assert_eq!(i.accurate_dispatch_rate, r(3, 3));
    let i = ind(&tr, &person(DIS, 42));
    assert_eq!(i.on_time_dispatch_rate, r(2, 2));
    assert_eq!(i.accurate_dispatch_rate, r(1, 2));
}

#[test]
fn department_indicators() {
    let tr = built();
    // 501: dispatched C1, C3 (wrongly), C7; handled C1 on time; closed C1; C7 overdue.
    let i = ind(&tr, &Scope::Department { id: 501 });
    assert_eq!(i.dispatched, 3);
    assert_eq!(i.accurate_dispatch_rate, r(2, 3));
    assert_eq!(i.handled, 1);
    assert_eq!(i.overdue_open, 1);
    assert_eq!(i.closure_rate, r(1, 2));
    assert_eq!(i.on_time_handling_rate, r(1, 2));
    assert_eq!(i.rework_rate, r(0, 1));
    assert_eq!(i.avg_handling_hours, Some(260.0 / 60.0));
    // 502: C2 (late) and C3 (reworked): handled 1 + (2 − 1) = 2, on time 0 + 1.
    let i = ind(&tr, &Scope::Department { id: 502 });
    assert_eq!(i.dispatched, 2);
    assert_eq!(i.handled, 2);
    assert_eq!(i.closure_rate, r(2, 2));
    assert_eq!(i.on_time_handling_rate, r(1, 2));
    assert_eq!(i.on_time_closure_rate, r(1, 2));
    assert_eq!(i.rework_rate, r(1, 2));
    // (200 + 570 + 170) / 3 feedbacks.
    assert_eq!(i.avg_handling_hours, Some(940.0 / 3.0 / 60.0));
}

#[test]
fn area_and_road_chief_indicators() {
    let tr = built();
    // Street 001 = grids A and B: C1 C2 C5 C6 C7 C8.
    let i = ind(&tr, &area("410102001"));
    assert_eq!(i.reported, 6);
    assert_eq!(i.filed, 4); // C1 C2 C5 C7
    assert_eq!(i.closed, 2); // C1 C2
    assert_eq!(i.overdue_open, 1); // C7
    assert_eq!(i.closure_rate, r(2, 3));
    assert_eq!(i.on_time_closure_rate, r(1, 3));
    // Street 002 = grid C: C3 C4 C9.
    let i = ind(&tr, &area("410102002"));
    assert_eq!(i.reported, 3);
    assert_eq!(i.third_party_findings, 1);
    assert_eq!(i.closure_rate, r(1, 1));
    // Grid B alone: C2 C6 C8.
    let i = ind(&tr, &area(GRID_B));
    assert_eq!(i.reported, 3);
    assert_eq!(i.rejected, 2);
    // District = the city here.
    assert_eq!(ind(&tr, &area("410102")), ind(&tr, &Scope::City));
    // Road chief 901: C1 C5 C7; 902: C3 C4 C9.
    let i = ind(&tr, &Scope::RoadChief { user_id: 901 });
    assert_eq!(
        (i.reported, i.filed, i.closed, i.overdue_open),
        (3, 3, 1, 1)
    );
    assert_eq!(i.closure_rate, r(1, 2));
    let i = ind(&tr, &Scope::RoadChief { user_id: 902 });
    assert_eq!((i.reported, i.filed, i.closed), (3, 2, 1));
    assert_eq!(i.closed_self_handled, 1);
    assert_eq!(i.third_party_findings, 1);
}

#[test]
fn a_single_day_is_its_own_period_and_overdue_is_a_stock() {
    let tr = built();
    let tue = NaiveDate::from_ymd_opt(2026, 11, 24).unwrap();
    let i = Indicators::of(&tr.aggregates, &Scope::City, Period::new(tue, tue));
    // Tuesday: C2 fed back (late) and closed, C4 closed self-handled; nothing overdue at 24:00.
    assert_eq!((i.handled, i.closed, i.closed_self_handled), (1, 1, 1));
    assert_eq!(i.overdue_open, 0);
    assert_eq!(i.closure_rate, r(1, 1));
    // Overdue at the end of each day: Mon C2 (due 16:00); Tue none (C2 left late, C7
    // extended); Wed none (C7 suspended); Thu on: C7 (resumed, due 10:20).
    let series = daily_series(&tr.aggregates, &Scope::City, week());
    let overdue: Vec<i64> = series.iter().map(|p| p.overdue_open).collect();
    assert_eq!(overdue, [1, 0, 0, 1, 1, 1, 1]);
    let reported: Vec<i64> = series.iter().map(|p| p.reported).collect();
    assert_eq!(reported, [4, 3, 1, 1, 0, 0, 0]); // Mon C1 C2 C3 C7; Tue C4 C5 C6; Wed C8; Thu C9
}

#[test]
fn recompute_equals_incremental_on_the_fixture() {
    let cal = WorkCalendar::builtin();
    let events = fixture();
    let inc = built().aggregates.normalized();
    let full = recompute(&events, &cal).normalized();
    assert_eq!(inc.buckets(), full.buckets());
}

#[test]
fn street_ranking_uses_the_reference_weights() {
    let tr = built();
    let cfg = ScoreConfig::default();
    let grids: HashMap<Scope, u32> = [(area("410102001"), 2), (area("410102002"), 1)]
        .into_iter()
        .collect();
    let ranked = rank_scopes(
        &tr.aggregates,
        ScopeKind::Area(AreaLevel::Street),
        week(),
        &cfg,
        &grids,
    );
    // Street 002: 监督举报率 1/2 → 50; filed 2 per grid (< 3) → 90; 结案率 100; 按期结案率 100.
    //   (10·50 + 20·90 + 30·100 + 10·100) / 70 = 6300 / 70 = 90.
    // Street 001: 监督举报率 2/4 → 50; filed 4 / 2 grids = 2 → 90; 结案率 2/3 → 66.67;
    //   按期结案率 1/3 → 33.33. (500 + 1800 + 2000 + 333.33) / 70 = 66.19.
    assert_eq!(ranked.len(), 2);
    assert_eq!(ranked[0].scope, area("410102002"));
    assert!((ranked[0].score.value - 90.0).abs() < 1e-9);
    assert_eq!(ranked[0].score.grade, assessment::scores::Grade::A);
    assert_eq!(ranked[1].scope, area("410102001"));
    assert!((ranked[1].score.value - 4_633.333_333 / 70.0).abs() < 1e-4);
    assert_eq!(ranked[1].score.grade, assessment::scores::Grade::C);
    assert_eq!((ranked[0].rank, ranked[1].rank), (1, 2));
}

fn report_data(tr: &Tracker) -> assessment::report::ReportData {
    use assessment::report::{RankingSection, ReportData};
    let cfg = ScoreConfig::default();
    let grids: HashMap<Scope, u32> = [(area("410102001"), 2), (area("410102002"), 1)]
        .into_iter()
        .collect();
    let city = rank_scopes(&tr.aggregates, ScopeKind::City, week(), &cfg, &grids);
    let streets = rank_scopes(
        &tr.aggregates,
        ScopeKind::Area(AreaLevel::Street),
        week(),
        &cfg,
        &grids,
    );
    let flags = assessment::flags::weekly_review(
        &tr.aggregates,
        ScopeKind::Area(AreaLevel::Street),
        week(),
        &cfg,
        &grids,
        1,
        1,
    );
    ReportData {
        title: "城市管理考核周报 2026-11-23 至 2026-11-29".into(),
        period: Some(week()),
        names: [
            ("city".to_owned(), "全市".to_owned()),
            ("area:410102001".to_owned(), "甲街道".to_owned()),
            ("area:410102002".to_owned(), "乙街道".to_owned()),
        ]
        .into_iter()
        .collect(),
        rankings: vec![
            RankingSection {
                title: "全市".into(),
                kind: ScopeKind::City,
                rows: city,
            },
            RankingSection {
                title: "街道排名".into(),
                kind: ScopeKind::Area(AreaLevel::Street),
                rows: streets,
            },
        ],
        flags,
        daily: daily_series(&tr.aggregates, &Scope::City, week()),
        matters: None,
    }
}

#[test]
fn weekly_xlsx_opens_and_holds_the_numbers() {
    use calamine::{Data, Reader, Xlsx, open_workbook_from_rs};
    use std::io::{Cursor, Read};

    let data = report_data(&built());
    let bytes = assessment::xlsx::weekly_report(&data).expect("xlsx");
    let mut wb: Xlsx<_> = open_workbook_from_rs(Cursor::new(bytes.clone())).expect("opens");
    assert_eq!(wb.sheet_names(), ["全市", "街道排名", "红黑旗", "每日趋势"]);

    let s = wb.worksheet_range("全市").expect("sheet");
    let header: Vec<String> = (0..s.width() as u32)
        .map(|c| {
            s.get_value((1, c))
                .map(|d| d.to_string())
                .unwrap_or_default()
        })
        .collect();
    let col = |name: &str| header.iter().position(|h| h == name).expect(name) as u32;
    assert_eq!(&header[..4], ["排名", "对象", "综合得分", "等级"]);
    assert_eq!(s.get_value((0, 0)), Some(&Data::String(data.title.clone())));
    assert_eq!(s.get_value((2, 1)), Some(&Data::String("全市".into())));
    assert_eq!(s.get_value((2, col("上报数"))), Some(&Data::Float(9.0)));
    assert_eq!(s.get_value((2, col("结案率"))), Some(&Data::Float(0.75)));
    assert_eq!(s.get_value((2, col("按期结案率"))), Some(&Data::Float(0.5)));
    assert_eq!(
        s.get_value((2, col("平均处置时长(工作时)"))),
        Some(&Data::Float(5.0))
    );

    let s = wb.worksheet_range("街道排名").expect("sheet");
    assert_eq!(s.get_value((2, 1)), Some(&Data::String("乙街道".into())));
    assert_eq!(s.get_value((2, 2)), Some(&Data::Float(90.0)));
    assert_eq!(s.get_value((2, 3)), Some(&Data::String("A".into())));
    assert_eq!(s.get_value((3, 1)), Some(&Data::String("甲街道".into())));

    let s = wb.worksheet_range("红黑旗").expect("sheet");
    assert_eq!(s.get_value((2, 1)), Some(&Data::String("红旗".into())));
    assert_eq!(s.get_value((2, 3)), Some(&Data::String("乙街道".into())));
    assert_eq!(s.get_value((3, 1)), Some(&Data::String("黑旗".into())));
    assert_eq!(s.get_value((3, 3)), Some(&Data::String("甲街道".into())));

    let s = wb.worksheet_range("每日趋势").expect("sheet");
    let overdue: Vec<f64> = (2..9)
        .map(|r| match s.get_value((r, 6)) {
            Some(Data::Float(v)) => *v,
            other => panic!("{other:?}"),
        })
        .collect();
    assert_eq!(overdue, [1.0, 0.0, 0.0, 1.0, 1.0, 1.0, 1.0]);

    // Formatting: the header row is frozen and rates carry a percentage format.
    let mut zip = zip::ZipArchive::new(Cursor::new(bytes)).expect("zip");
    let mut sheet1 = String::new();
    zip.by_name("xl/worksheets/sheet1.xml")
        .expect("sheet1")
        .read_to_string(&mut sheet1)
        .expect("utf-8");
    assert!(sheet1.contains(r#"ySplit="2""#) && sheet1.contains(r#"state="frozen""#));
    assert!(sheet1.contains("<cols>"));
    let mut styles = String::new();
    zip.by_name("xl/styles.xml")
        .expect("styles")
        .read_to_string(&mut styles)
        .expect("utf-8");
    assert!(styles.contains(r#"formatCode="0.00%""#));
}

#[test]
fn csv_has_chinese_headers_and_percent_numbers() {
    let data = report_data(&built());
    let tables = data.tables();
    let bytes = assessment::report::write_csv(&tables[0]).expect("csv");
    let text = String::from_utf8(bytes).expect("utf-8");
    let text = text.strip_prefix('\u{feff}').expect("BOM for Excel");
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let row: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |name: &str| row[header.iter().position(|h| *h == name).expect(name)];
    assert_eq!(at("对象"), "全市");
    assert_eq!(at("上报数"), "9");
    assert_eq!(at("结案率(%)"), "75.00");
    assert_eq!(at("返工率(%)"), "33.33");
    assert_eq!(lines.next(), None);
}
