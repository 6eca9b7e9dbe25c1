//! Exhaustive tests of the case closed loop 案卷流转 ([`crate::workflow`]) and of the rules of
//! [`crate::policy`] it applies.
//!
//! The expectations come from an independent table, [`spec`], written here from the module docs
//! of `workflow.rs` / `policy.rs` and the standards reference (§4.1–4.4): for every [`Command`]
//! its action name, the roles that may issue it, the states it applies in and where it leads,
//! the inputs it needs and the request it opens or decides. Nothing here calls
//! `Command::from_states` or `Command::roles`, so a drift of the implementation fails a cell.
//!
//! - the matrix: every state × command × role × scope (in scope, out of scope, city-wide), and
//!   callers holding two roles;
//! - required inputs (note, photo, class, evidence, extension range, self-links);
//! - pending requests (回退, 延期, 挂账, 作废) and their decisions;
//! - node clocks, suspension, extension and the deadline light at its edges;
//! - audit events;
//! - `policy::can_view` against `policy::visibility(..).admits` (proptest), and random walks.
//!
//! Every instant is fixed (around `2026-11-24T10:00:00+08:00`, a Tuesday with no holiday near);
//! no test reads the clock.

use std::sync::LazyLock;

use proptest::prelude::*;
use serde_json::json;

use crate::area::{AreaCode, AreaPath};
use crate::calendar::{self, Light, WorkCalendar};
use crate::org::{Caller, Role, RoleGrant};
use crate::policy;
use crate::taxonomy::{ClassKind, HandlingLimits, LimitUnit, TimeLimit, Urgency};
use crate::time::Timestamp;
use crate::workflow::{
    Case, CaseState, ClassSnapshot, Command, Ctx, Evidence, NewReport, NodeClock, NodeLimits,
    PendingRequest, Rating, Source, Transition, WorkflowError, apply, new_case,
};

// ---------------------------------------------------------------------------------------------
// The independent table
// ---------------------------------------------------------------------------------------------

/// Every state in which a case is still open (no terminal state).
const OPEN: &[CaseState] = &[
    CaseState::Reported,
    CaseState::Verifying,
    CaseState::PendingFiling,
    CaseState::PendingDispatch,
    CaseState::Dispatched,
    CaseState::Handling,
    CaseState::Suspended,
    CaseState::PendingCheck,
    CaseState::Checking,
    CaseState::PendingClose,
];

/// The states a case never leaves: 结案, 不予立案, 作废, 已合并.
const TERMINAL: &[CaseState] = &[
    CaseState::Closed,
    CaseState::Rejected,
    CaseState::Voided,
    CaseState::Merged,
];

/// What the docs say about one command.
#[derive(Clone, Copy, Debug)]
struct Spec {
    /// Action name in the audit trail.
    name: &'static str,
    /// Roles that may issue it (any one, within its scope).
    roles: &'static [Role],
    /// States it may be issued in.
    from: &'static [CaseState],
    /// Where it leads; `None` = the case stays where it is.
    to: Option<CaseState>,
    /// A non-blank note is required.
    note: bool,
    /// At least one attachment (photo) is required.
    photo: bool,
    /// The request kind it opens.
    opens: Option<&'static str>,
    /// The request kind it approves or denies.
    decides: Option<&'static str>,
}

impl Spec {
    const fn row(
        name: &'static str,
        roles: &'static [Role],
        from: &'static [CaseState],
        to: Option<CaseState>,
    ) -> Spec {
        Spec {
            name,
            roles,
            from,
            to,
            note: false,
            photo: false,
            opens: None,
            decides: None,
        }
    }
    const fn note(mut self) -> Spec {
        self.note = true;
        self
    }
    const fn photo(mut self) -> Spec {
        self.photo = true;
        self
    }
    const fn opens(mut self, kind: &'static str) -> Spec {
        self.opens = Some(kind);
        self
    }
    const fn decides(mut self, kind: &'static str) -> Spec {
        self.decides = Some(kind);
        self
    }
    /// The state after this command in `state`, or `None` if it does not apply there.
    fn next(&self, state: CaseState) -> Option<CaseState> {
        self.from
            .contains(&state)
            .then_some(self.to.unwrap_or(state))
    }
}

/// The table, one row per command, transcribed from the docs (see the module doc).
fn spec(cmd: &Command) -> Spec {
    use CaseState::*;
    use Role::*;
    const STAY: Option<CaseState> = None;
    match cmd {
        // 受理员: 发核实, 受理, 不予受理 (§4.2: registers reports, sends 核实 and 核查).
        Command::SendVerify { .. } => {
            Spec::row("send_verify", &[Operator], &[Reported], Some(Verifying))
        }
        Command::Accept => Spec::row("accept", &[Operator], &[Reported], Some(PendingFiling)),
        Command::RejectReport => {
            Spec::row("reject_report", &[Operator], &[Reported], Some(Rejected)).note()
        }
        // 监督员: 核实 (photo when the problem is confirmed).
        Command::Verify { confirmed } => {
            let s = Spec::row("verify", &[Inspector], &[Verifying], Some(PendingFiling));
            if *confirmed { s.photo() } else { s }
        }
        // 值班长: 立案, 不予立案, 立案回退.
        Command::File { .. } => Spec::row(
            "file",
            &[ShiftSupervisor],
            &[PendingFiling],
            Some(PendingDispatch),
        ),
        Command::Reject => Spec::row(
            "reject",
            &[ShiftSupervisor],
            &[PendingFiling],
            Some(Rejected),
        )
        .note(),
        Command::ReturnToIntake => Spec::row(
            "return_to_intake",
            &[ShiftSupervisor],
            &[PendingFiling],
            Some(Reported),
        )
        .note(),
        // 派遣员: 派遣.
        Command::Dispatch { .. } => Spec::row(
            "dispatch",
            &[Dispatcher],
            &[PendingDispatch],
            Some(Dispatched),
        ),
        // 专业部门: 签收, 回退申请 (before or after signing), 处置反馈, 延期/挂账申请.
        Command::AcceptTask => Spec::row(
            "accept_task",
            &[DepartmentHandler],
            &[Dispatched],
            Some(Handling),
        ),
        Command::RequestReturn => Spec::row(
            "request_return",
            &[DepartmentHandler],
            &[Dispatched, Handling],
            STAY,
        )
        .note()
        .opens("return"),
        // 派遣员 decides 回退 (§4.4): approved → back to 待派遣.
        Command::ApproveReturn => Spec::row(
            "approve_return",
            &[Dispatcher],
            &[Dispatched, Handling],
            Some(PendingDispatch),
        )
        .decides("return"),
        Command::DenyReturn => {
            Spec::row("deny_return", &[Dispatcher], &[Dispatched, Handling], STAY)
                .note()
                .decides("return")
        }
        Command::Feedback => Spec::row(
            "feedback",
            &[DepartmentHandler],
            &[Handling],
            Some(PendingCheck),
        )
        .note()
        .photo(),
        Command::RequestExtension { .. } => {
            Spec::row("request_extension", &[DepartmentHandler], &[Handling], STAY)
                .note()
                .opens("extension")
        }
        // 派遣员 decides 延时 (§4.4).
        Command::ApproveExtension => {
            Spec::row("approve_extension", &[Dispatcher], &[Handling], STAY).decides("extension")
        }
        Command::DenyExtension => Spec::row("deny_extension", &[Dispatcher], &[Handling], STAY)
            .note()
            .decides("extension"),
        Command::RequestSuspension => Spec::row(
            "request_suspension",
            &[DepartmentHandler],
            &[Handling],
            STAY,
        )
        .note()
        .opens("suspension"),
        // 派遣员 decides 挂账 (§4.4); 挂账恢复 by the dispatcher too.
        Command::ApproveSuspension => Spec::row(
            "approve_suspension",
            &[Dispatcher],
            &[Handling],
            Some(Suspended),
        )
        .decides("suspension"),
        Command::DenySuspension => Spec::row("deny_suspension", &[Dispatcher], &[Handling], STAY)
            .note()
            .decides("suspension"),
        Command::Resume => Spec::row("resume", &[Dispatcher], &[Suspended], Some(Handling)),
        // 受理员 发核查; 监督员 核查 (photo either way).
        Command::SendCheck { .. } => {
            Spec::row("send_check", &[Operator], &[PendingCheck], Some(Checking))
        }
        Command::Check { .. } => {
            Spec::row("check", &[Inspector], &[Checking], Some(PendingClose)).photo()
        }
        // 值班长: 结案 or 返工 (same department, back to 待签收).
        Command::Close => Spec::row("close", &[ShiftSupervisor], &[PendingClose], Some(Closed)),
        Command::Rework => Spec::row(
            "rework",
            &[ShiftSupervisor],
            &[PendingClose],
            Some(Dispatched),
        )
        .note(),
        // 督办: a leader, any open case, also while a request waits.
        Command::Supervise => Spec::row("supervise", &[Leader], OPEN, STAY).note(),
        // 作废: requested by the centre staff holding the case, decided by the 值班长.
        Command::RequestVoid => Spec::row("request_void", &[Operator, Dispatcher], OPEN, STAY)
            .note()
            .opens("void"),
        Command::ApproveVoid => {
            Spec::row("approve_void", &[ShiftSupervisor], OPEN, Some(Voided)).decides("void")
        }
        Command::DenyVoid => Spec::row("deny_void", &[ShiftSupervisor], OPEN, STAY)
            .note()
            .decides("void"),
        // 合并: a duplicate, before it is filed.
        Command::LinkDuplicate { .. } => Spec::row(
            "link_duplicate",
            &[Operator, ShiftSupervisor],
            &[Reported, Verifying, PendingFiling],
            Some(Merged),
        ),
        // 答复: the operator answers the citizen, in every state but 已合并 (the duplicate's
        // reporters follow the master's answer).
        Command::Reply => Spec::row(
            "reply",
            &[Operator],
            &[
                Reported,
                Verifying,
                PendingFiling,
                PendingDispatch,
                Dispatched,
                Handling,
                Suspended,
                PendingCheck,
                Checking,
                PendingClose,
                Closed,
                Rejected,
                Voided,
            ],
            STAY,
        )
        .note(),
        // 回访: the reporter (citizen or volunteer, on their own report) or an operator calling
        // back rates a closed case; 不满意 (with a reason) sends it back to the department once.
        Command::Rate { rating } => {
            let roles: &'static [Role] = &[Citizen, Volunteer, Operator];
            if *rating == Rating::Unsatisfied {
                Spec::row("rate", roles, &[Closed], Some(Dispatched)).note()
            } else {
                Spec::row("rate", roles, &[Closed], STAY)
            }
        }
    }
}

/// Ordinal of a command's variant; exhaustive, so a new variant must be added here and to
/// [`commands`] (checked by `every_command_variant_is_covered`).
fn variant_no(cmd: &Command) -> usize {
    match cmd {
        Command::SendVerify { .. } => 0,
        Command::Accept => 1,
        Command::RejectReport => 2,
        Command::Verify { .. } => 3,
        Command::File { .. } => 4,
        Command::Reject => 5,
        Command::ReturnToIntake => 6,
        Command::Dispatch { .. } => 7,
        Command::AcceptTask => 8,
        Command::RequestReturn => 9,
        Command::ApproveReturn => 10,
        Command::DenyReturn => 11,
        Command::Feedback => 12,
        Command::RequestExtension { .. } => 13,
        Command::ApproveExtension => 14,
        Command::DenyExtension => 15,
        Command::RequestSuspension => 16,
        Command::ApproveSuspension => 17,
        Command::DenySuspension => 18,
        Command::Resume => 19,
        Command::SendCheck { .. } => 20,
        Command::Check { .. } => 21,
        Command::Close => 22,
        Command::Rework => 23,
        Command::Supervise => 24,
        Command::RequestVoid => 25,
        Command::ApproveVoid => 26,
        Command::DenyVoid => 27,
        Command::LinkDuplicate { .. } => 28,
        Command::Reply => 29,
        Command::Rate { .. } => 30,
    }
}
const VARIANTS: usize = 31;

/// Working minutes of the test class's 处置时限 per urgency: 2 工作时, 1 工作日, 3 工作日
/// (a working day being 420 minutes under the default schedule).
fn class_minutes(u: Urgency) -> i64 {
    match u {
        Urgency::Urgent => 120,
        Urgency::High => 420,
        Urgency::Normal => 3 * 420,
    }
}

/// Node limits used by every test, all different so that a clock with the wrong node's limit
/// shows.
const LIMITS: NodeLimits = NodeLimits {
    accept: 31,
    verify: 121,
    file: 32,
    dispatch: 33,
    sign: 61,
    send_check: 34,
    check: 122,
    close: 62,
    suspended: 8_400,
};

/// The limit a clock entering `state` must start with (None: no clock). Suspended is never
/// *entered* with a fresh clock: approving a suspension pauses the handling clock.
fn node_limit(state: CaseState, urgency: Urgency) -> Option<i64> {
    match state {
        CaseState::Reported => Some(31),
        CaseState::Verifying => Some(121),
        CaseState::PendingFiling => Some(32),
        CaseState::PendingDispatch => Some(33),
        CaseState::Dispatched => Some(61),
        CaseState::Handling => Some(class_minutes(urgency)),
        CaseState::PendingCheck => Some(34),
        CaseState::Checking => Some(122),
        CaseState::PendingClose => Some(62),
        CaseState::Suspended
        | CaseState::Closed
        | CaseState::Rejected
        | CaseState::Voided
        | CaseState::Merged => None,
    }
}

/// ⌈80 % of `limit`⌉: the used minutes at which the light turns yellow (§4.6).
fn eighty_percent(limit: i64) -> i64 {
    (4 * limit + 4) / 5
}

// ---------------------------------------------------------------------------------------------
// Fixtures
// ---------------------------------------------------------------------------------------------

const GRID: &str = "410102001002003";
const COMMUNITY: &str = "410102001002";
const STREET: &str = "410102001";
const DISTRICT: &str = "410102";
const OTHER_GRID: &str = "410102001002004";
const OTHER_COMMUNITY: &str = "410102001003";
const OTHER_STREET: &str = "410102002";
const OTHER_DISTRICT: &str = "410105";

const CASE_ID: i64 = 1000;
const MASTER_ID: i64 = 999;
const DEPT: i64 = 7;
const OTHER_DEPT: i64 = 8;
/// The inspector the fixture case is assigned to.
const ASSIGNEE: i64 = 501;
/// Anyone else.
const SOMEONE: i64 = 700;
const HANDLER_USER: i64 = 800;
const REPORTER: i64 = 900;
const EXTENSION_MINUTES: i64 = 90;

fn code(s: &str) -> AreaCode {
    AreaCode::parse(s).expect("valid test area code")
}

fn ts(s: &str) -> Timestamp {
    Timestamp::parse_rfc3339(s).expect("valid RFC 3339 instant")
}

/// 2026-11-24T10:00+08:00, a Tuesday.
fn t0() -> Timestamp {
    ts("2026-11-24T10:00:00+08:00")
}

/// The day before: when the fixture cases entered their node.
fn earlier() -> Timestamp {
    ts("2026-11-23T10:00:00+08:00")
}

fn ms(t: Timestamp, delta: i64) -> Timestamp {
    Timestamp(t.millis() + delta)
}

struct World {
    cal: WorkCalendar,
    limits: NodeLimits,
}

/// One world for strategies, which cannot borrow a test's.
static WORLD: LazyLock<World> = LazyLock::new(World::new);

impl World {
    fn new() -> World {
        let cal = WorkCalendar::builtin();
        assert_eq!(
            cal.minutes_per_workday(),
            420,
            "tests assume the default schedule"
        );
        World {
            cal,
            limits: LIMITS,
        }
    }
    fn ctx(&self, now: Timestamp) -> Ctx<'_> {
        Ctx {
            calendar: &self.cal,
            limits: &self.limits,
            now,
        }
    }
}

fn matter_class() -> ClassSnapshot {
    ClassSnapshot {
        standard_ref: "GB/T 47678.5-2026".into(),
        kind: ClassKind::Matter,
        code: "200101".into(),
        name: "暴露垃圾".into(),
        limits: HandlingLimits {
            urgent: TimeLimit {
                amount: 2,
                unit: LimitUnit::WorkHours,
            },
            high: TimeLimit {
                amount: 1,
                unit: LimitUnit::WorkDays,
            },
            normal: TimeLimit {
                amount: 3,
                unit: LimitUnit::WorkDays,
            },
        },
    }
}

fn component_class() -> ClassSnapshot {
    ClassSnapshot {
        kind: ClassKind::Component,
        code: "010101".into(),
        name: "上水井盖".into(),
        ..matter_class()
    }
}

/// A case sitting in `state` since [`earlier`]: located in [`GRID`], dispatched (or to be) to
/// [`DEPT`], assigned to [`ASSIGNEE`], verified and checked (so that every command's content
/// rules pass), from a source with its own evidence, no request pending.
fn case_in(w: &World, state: CaseState) -> Case {
    let since = earlier();
    let clock = match state {
        CaseState::Suspended => Some(NodeClock {
            limit_minutes: class_minutes(Urgency::Normal),
            used_before_minutes: 100,
            running_since: None,
            deadline_at: None,
            yellow_at: None,
        }),
        s => node_limit(s, Urgency::Normal).map(|l| NodeClock::start(&w.cal, since, l)),
    };
    Case {
        id: CASE_ID,
        case_no: "20261123000001".into(),
        version: 5,
        state,
        source: Source::Superior,
        description: "暴露垃圾 at the corner".into(),
        address: Some("文化路 1 号".into()),
        lat: Some(34.77),
        lon: Some(113.66),
        area: AreaPath::of(&code(GRID)),
        road_id: None,
        class: Some(matter_class()),
        urgency: Urgency::Normal,
        department_id: Some(DEPT),
        assignee_id: Some(ASSIGNEE),
        reporter_id: Some(REPORTER),
        reporter_name: None,
        reporter_phone: None,
        anonymous: false,
        external_ref: None,
        master_case_id: None,
        pending: None,
        supervision_level: 0,
        rework_count: 0,
        dispatch_count: 1,
        self_handled: false,
        verified: Some(true),
        check_passed: Some(true),
        clock,
        first_dispatched_at: Some(since),
        reply: None,
        replied_at: None,
        rating: None,
        rated_at: None,
        reopen_count: 0,
        created_at: since,
        updated_at: since,
        closed_at: state.is_terminal().then_some(since),
    }
}

fn pending_of(kind: &str) -> PendingRequest {
    match kind {
        "return" => PendingRequest::Return {
            requested_by: HANDLER_USER,
            reason: "not ours".into(),
        },
        "extension" => PendingRequest::Extension {
            requested_by: HANDLER_USER,
            minutes: EXTENSION_MINUTES,
            reason: "needs a crane".into(),
        },
        "suspension" => PendingRequest::Suspension {
            requested_by: HANDLER_USER,
            reason: "seasonal".into(),
        },
        "void" => PendingRequest::Void {
            requested_by: SOMEONE,
            reason: "test report".into(),
        },
        other => panic!("unknown request kind {other}"),
    }
}

/// The case, with the request the command decides pending (so that deciding is possible).
fn ready_for(mut case: Case, s: &Spec) -> Case {
    if let Some(kind) = s.decides {
        case.pending = Some(pending_of(kind));
    }
    case
}

/// One instance of every command (both outcomes of verify and check), aimed at the fixture.
fn commands(inspector_id: i64, department_id: i64) -> Vec<Command> {
    vec![
        Command::SendVerify { inspector_id },
        Command::Accept,
        Command::RejectReport,
        Command::Verify { confirmed: true },
        Command::Verify { confirmed: false },
        Command::File {
            class: Some(matter_class()),
            urgency: Some(Urgency::High),
        },
        Command::Reject,
        Command::ReturnToIntake,
        Command::Dispatch { department_id },
        Command::AcceptTask,
        Command::RequestReturn,
        Command::ApproveReturn,
        Command::DenyReturn,
        Command::Feedback,
        Command::RequestExtension { minutes: 60 },
        Command::ApproveExtension,
        Command::DenyExtension,
        Command::RequestSuspension,
        Command::ApproveSuspension,
        Command::DenySuspension,
        Command::Resume,
        Command::SendCheck { inspector_id },
        Command::Check { passed: true },
        Command::Check { passed: false },
        Command::Close,
        Command::Rework,
        Command::Supervise,
        Command::RequestVoid,
        Command::ApproveVoid,
        Command::DenyVoid,
        Command::LinkDuplicate {
            master_case_id: MASTER_ID,
        },
        Command::Reply,
        Command::Rate {
            rating: Rating::Satisfied,
        },
        Command::Rate {
            rating: Rating::Unsatisfied,
        },
    ]
}

/// The commands of the matrix: the assigned inspector, dispatch to another department.
fn all_commands() -> Vec<Command> {
    commands(ASSIGNEE, OTHER_DEPT)
}

/// How a grant relates to the fixture case.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Area grant on the case's street; the case's department; the assigned inspector.
    In,
    /// Area grant on another street; another department; an inspector not assigned.
    Out,
    /// No area and no department: the whole city.
    CityWide,
}

const SCOPES: [Scope; 3] = [Scope::In, Scope::Out, Scope::CityWide];

fn grant(role: Role, scope: Scope) -> RoleGrant {
    let (area, department_id) = match (role, scope) {
        (Role::DepartmentHandler, Scope::In) => (None, Some(DEPT)),
        (Role::DepartmentHandler, Scope::Out) => (None, Some(OTHER_DEPT)),
        // An inspector's scope is the assignment; the area grant is on the case's street either
        // way, to show that it is not what counts.
        (Role::Inspector, Scope::In | Scope::Out) => (Some(code(STREET)), None),
        (_, Scope::In) => (Some(code(STREET)), None),
        (_, Scope::Out) => (Some(code(OTHER_STREET)), None),
        (_, Scope::CityWide) => (None, None),
    };
    RoleGrant {
        role,
        area,
        department_id,
    }
}

/// A caller holding these grants: the assigned inspector if one of them is an in-scope
/// inspector grant, else the reporter if one is an in-scope citizen or volunteer grant.
fn caller_of(grants: &[(Role, Scope)]) -> Caller {
    let user_id = if grants.contains(&(Role::Inspector, Scope::In)) {
        ASSIGNEE
    } else if reporter_in(grants) {
        REPORTER
    } else {
        SOMEONE
    };
    Caller {
        user_id,
        grants: grants.iter().map(|&(r, s)| grant(r, s)).collect(),
    }
}

/// Whether an in-scope citizen or volunteer grant makes the caller the reporter.
fn reporter_in(grants: &[(Role, Scope)]) -> bool {
    grants.contains(&(Role::Citizen, Scope::In)) || grants.contains(&(Role::Volunteer, Scope::In))
}

/// Whether a grant in `scope`, among `grants`, covers the fixture case for `role`: area roles
/// are covered by their street and by a city-wide grant; department handlers only by their
/// department; inspectors only by the assignment; citizens and volunteers only when they are
/// the reporter (an in-scope grant, unless the caller is the assigned inspector).
fn covers(role: Role, scope: Scope, grants: &[(Role, Scope)]) -> bool {
    match (role, scope) {
        // A citizen's grant is about being the reporter, whatever its area.
        (Role::Citizen | Role::Volunteer, _) => {
            reporter_in(grants) && !grants.contains(&(Role::Inspector, Scope::In))
        }
        (_, Scope::In) => true,
        (_, Scope::Out) => false,
        (_, Scope::CityWide) => !matches!(role, Role::Inspector | Role::DepartmentHandler),
    }
}

/// Where `cmd` takes `case` by the table, refined by the one case-dependent rule: an
/// unsatisfied rating reopens a case only once, and only one a department handled.
fn expected_to(s: &Spec, cmd: &Command, case: &Case) -> Option<CaseState> {
    let to = s.next(case.state)?;
    let reopen_spent = case.reopen_count >= 1 || case.department_id.is_none();
    match cmd {
        Command::Rate { .. } if reopen_spent => Some(case.state),
        _ => Some(to),
    }
}

/// The caller the table says may issue `s` on the fixture.
fn authorized(s: &Spec) -> Caller {
    caller_of(&[(s.roles[0], Scope::In)])
}

/// Note, whitespace around it, and two attachments.
fn full_evidence() -> Evidence {
    Evidence {
        note: Some("  现场已核实 \n".into()),
        attachments: vec![11, 12],
    }
}

fn note_only(note: &str) -> Evidence {
    Evidence {
        note: Some(note.into()),
        attachments: vec![],
    }
}

/// The outcome of `apply`, coarsely.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Outcome {
    To(CaseState),
    NotInState,
    Forbidden,
    Pending(&'static str),
    Missing(&'static str),
    Invalid,
}

fn outcome(r: &Result<Transition, WorkflowError>) -> Outcome {
    match r {
        Ok(t) => Outcome::To(t.case.state),
        Err(WorkflowError::NotAllowedInState { .. }) => Outcome::NotInState,
        Err(WorkflowError::Forbidden(_)) => Outcome::Forbidden,
        Err(WorkflowError::RequestPending(k)) => Outcome::Pending(k),
        Err(WorkflowError::Missing(f)) => Outcome::Missing(f),
        Err(WorkflowError::Invalid(_)) => Outcome::Invalid,
    }
}

/// What the table expects for these grants (the case having the decided request pending).
fn expected(s: &Spec, state: CaseState, grants: &[(Role, Scope)]) -> Outcome {
    let Some(to) = s.next(state) else {
        return Outcome::NotInState;
    };
    if grants
        .iter()
        .any(|&(r, sc)| s.roles.contains(&r) && covers(r, sc, grants))
    {
        Outcome::To(to)
    } else {
        Outcome::Forbidden
    }
}

fn trimmed(ev: &Evidence) -> Option<&str> {
    ev.note.as_deref().map(str::trim).filter(|n| !n.is_empty())
}

/// The minutes of a pending extension request, if one is pending.
fn extension_minutes(case: &Case) -> i64 {
    match &case.pending {
        Some(PendingRequest::Extension { minutes, .. }) => *minutes,
        _ => 0,
    }
}

fn request_parts(p: &PendingRequest) -> (i64, &str) {
    match p {
        PendingRequest::Return {
            requested_by,
            reason,
        }
        | PendingRequest::Extension {
            requested_by,
            reason,
            ..
        }
        | PendingRequest::Suspension {
            requested_by,
            reason,
        }
        | PendingRequest::Void {
            requested_by,
            reason,
        } => (*requested_by, reason),
    }
}

/// Asserts everything about a successful transition: the new state, the fields it touches (and
/// only those), the request, the clock, and the audit event.
fn check_ok(
    w: &World,
    before: &Case,
    caller: &Caller,
    cmd: &Command,
    ev: &Evidence,
    now: Timestamp,
    t: &Transition,
) {
    let s = spec(cmd);
    let to = expected_to(&s, cmd, before).expect("a success the table allows");
    let after = &t.case;
    let e = &t.event;
    let label = format!("{:?} --{}--> {to:?}", before.state, s.name);
    let note = trimmed(ev);
    let extension = extension_minutes(before);

    // The audit event.
    assert_eq!(e.action, s.name, "{label}");
    assert_eq!(e.actor_id, caller.user_id, "{label}");
    assert!(
        s.roles.contains(&e.actor_role),
        "{label}: {:?}",
        e.actor_role
    );
    assert!(
        caller.grants.iter().any(|g| g.role == e.actor_role),
        "{label}"
    );
    assert_eq!(e.from_state, Some(before.state), "{label}");
    assert_eq!(e.to_state, to, "{label}");
    assert_eq!(e.note.as_deref(), note, "{label}");
    assert_eq!(e.attachments, ev.attachments, "{label}");
    assert_eq!(e.at, now, "{label}");

    // The request.
    match (s.opens, s.decides) {
        (Some(kind), _) => {
            let p = after.pending.as_ref().expect("a request is opened");
            assert_eq!(p.kind(), kind, "{label}");
            assert_eq!(request_parts(p), (caller.user_id, note.unwrap_or_default()));
            if let (
                PendingRequest::Extension { minutes, .. },
                Command::RequestExtension { minutes: m },
            ) = (p, cmd)
            {
                assert_eq!(minutes, m);
            }
        }
        (None, Some(_)) => assert_eq!(after.pending, None, "{label}"),
        (None, None) => assert_eq!(after.pending, before.pending, "{label}"),
    }

    check_clock(w, before, after, &s, to, now);

    // Fields and event data, per command; everything else unchanged.
    let mut want = before.clone();
    let data = match cmd {
        Command::SendVerify { inspector_id } | Command::SendCheck { inspector_id } => {
            want.assignee_id = Some(*inspector_id);
            json!({ "inspector_id": inspector_id })
        }
        Command::Accept => {
            want.verified = Some(true);
            json!({})
        }
        Command::Verify { confirmed } => {
            want.verified = Some(*confirmed);
            json!({ "confirmed": confirmed })
        }
        Command::File { class, urgency } => {
            want.class = class.clone().or(before.class.clone());
            want.urgency = urgency.unwrap_or(before.urgency);
            let c = want.class.as_ref().expect("filed with a class");
            json!({ "class_code": c.code, "urgency": want.urgency.as_str() })
        }
        Command::ReturnToIntake => {
            want.assignee_id = None;
            json!({})
        }
        Command::Dispatch { department_id } => {
            want.department_id = Some(*department_id);
            want.dispatch_count += 1;
            want.first_dispatched_at = before.first_dispatched_at.or(Some(now));
            json!({ "department_id": department_id })
        }
        Command::ApproveReturn => json!({ "returned_by_department_id": before.department_id }),
        Command::DenyReturn
        | Command::DenyExtension
        | Command::DenySuspension
        | Command::DenyVoid => json!({ "denied": s.decides }),
        Command::RequestExtension { minutes } => json!({ "minutes": minutes }),
        Command::ApproveExtension => json!({ "minutes": extension }),
        Command::Check { passed } => {
            want.check_passed = Some(*passed);
            json!({ "passed": passed })
        }
        Command::Rework => {
            want.rework_count += 1;
            want.check_passed = None;
            json!({ "department_id": before.department_id })
        }
        Command::Supervise => {
            want.supervision_level += 1;
            json!({ "level": want.supervision_level })
        }
        Command::LinkDuplicate { master_case_id } => {
            want.master_case_id = Some(*master_case_id);
            json!({ "master_case_id": master_case_id })
        }
        Command::Reply => {
            want.reply = note.map(str::to_owned);
            want.replied_at = before.replied_at.or(Some(now));
            json!({ "first": before.replied_at.is_none() })
        }
        Command::Rate { rating } => {
            want.rating = Some(*rating);
            want.rated_at = Some(now);
            if to == CaseState::Dispatched {
                want.reopen_count += 1;
                want.check_passed = None;
                want.rated_at = None;
                json!({
                    "rating": rating.as_str(),
                    "satisfied": false,
                    "reopened": true,
                    "department_id": before.department_id,
                })
            } else {
                json!({
                    "rating": rating.as_str(),
                    "satisfied": *rating != Rating::Unsatisfied,
                    "reopened": false,
                })
            }
        }
        Command::RejectReport
        | Command::Reject
        | Command::AcceptTask
        | Command::RequestReturn
        | Command::Feedback
        | Command::RequestSuspension
        | Command::ApproveSuspension
        | Command::Resume
        | Command::Close
        | Command::RequestVoid
        | Command::ApproveVoid => json!({}),
    };
    assert_eq!(e.data, data, "{label}");
    want.state = to;
    want.version = before.version + 1;
    want.updated_at = now;
    want.pending = after.pending.clone();
    want.clock = after.clock.clone();
    // Entering a terminal state closes the case; answering or rating it leaves the closing time;
    // reopening it clears it.
    want.closed_at = if !TERMINAL.contains(&to) {
        None
    } else if TERMINAL.contains(&before.state) {
        before.closed_at
    } else {
        Some(now)
    };
    assert_eq!(after, &want, "{label}");
}

/// The clock after a transition: none in terminal states; a fresh clock with the node's limit
/// when a node is entered; the handling clock paused, resumed or extended by 挂账 / 恢复 / 延期;
/// untouched otherwise.
fn check_clock(w: &World, before: &Case, after: &Case, s: &Spec, to: CaseState, now: Timestamp) {
    let cal = &w.cal;
    let label = format!("{:?} --{}--> {to:?}", before.state, s.name);
    if TERMINAL.contains(&to) {
        assert_eq!(after.clock, None, "{label}: terminal states have no clock");
        assert_eq!(after.light(now), None);
        return;
    }
    let a = after.clock.as_ref().expect("open states have a clock");
    let b = before.clock.as_ref();
    match s.name {
        "approve_suspension" => {
            let b = b.expect("handling clock");
            let since = b.running_since.expect("running before suspension");
            assert_eq!(a.limit_minutes, b.limit_minutes, "{label}");
            assert_eq!(
                a.used_before_minutes,
                b.used_before_minutes + cal.working_minutes_between(since, now),
                "{label}: minutes used are banked"
            );
            assert_eq!(a.running_since, None, "{label}");
            assert_eq!(a.deadline_at, None, "{label}");
            assert_eq!(a.yellow_at, None, "{label}");
        }
        "resume" | "approve_extension" => {
            let b = b.expect("handling clock");
            let banked = b.used_before_minutes
                + b.running_since
                    .map_or(0, |since| cal.working_minutes_between(since, now));
            let added = if s.name == "approve_extension" {
                extension_minutes(before)
            } else {
                0
            };
            assert_eq!(a.limit_minutes, b.limit_minutes + added, "{label}");
            assert_eq!(a.used_before_minutes, banked, "{label}");
            assert_eq!(a.running_since, Some(now), "{label}");
            let (d, y) = (
                a.deadline_at.expect("running"),
                a.yellow_at.expect("running"),
            );
            let left = a.limit_minutes - banked;
            if left >= 0 {
                assert_eq!(d, cal.add_working_minutes(now, left), "{label}");
            } else {
                assert!(d < now, "{label}: overdue already, the deadline has passed");
            }
            let to_yellow = eighty_percent(a.limit_minutes) - banked;
            if to_yellow > 0 {
                assert_eq!(y, cal.add_working_minutes(now, to_yellow), "{label}");
            } else {
                assert_eq!(y, now.min(d), "{label}: yellow already");
            }
            // The light goes on from the banked minutes.
            assert_eq!(
                a.light(now),
                calendar::light(banked, a.limit_minutes),
                "{label}"
            );
        }
        _ if to != before.state => {
            let limit = node_limit(to, after.urgency).expect("a node with a limit");
            assert_fresh_clock(w, a, now, limit, &label);
        }
        _ => assert_eq!(Some(a), b, "{label}: the clock runs on"),
    }
}

fn assert_fresh_clock(w: &World, c: &NodeClock, now: Timestamp, limit: i64, label: &str) {
    assert_eq!(c.limit_minutes, limit, "{label}");
    assert_eq!(c.used_before_minutes, 0, "{label}");
    assert_eq!(c.running_since, Some(now), "{label}");
    assert_eq!(
        c.deadline_at,
        Some(w.cal.add_working_minutes(now, limit)),
        "{label}"
    );
    assert_eq!(
        c.yellow_at,
        Some(w.cal.add_working_minutes(now, eighty_percent(limit))),
        "{label}"
    );
}

// ---------------------------------------------------------------------------------------------
// The table itself
// ---------------------------------------------------------------------------------------------

#[test]
fn every_command_variant_is_covered() {
    let mut seen = [false; VARIANTS];
    for cmd in all_commands() {
        seen[variant_no(&cmd)] = true;
    }
    assert!(seen.iter().all(|s| *s), "missing variants: {seen:?}");
    // Action names are unique per variant and match the API names.
    let mut names: Vec<&str> = all_commands().iter().map(|c| spec(c).name).collect();
    names.dedup();
    assert_eq!(names.len(), VARIANTS);
    for cmd in all_commands() {
        assert_eq!(cmd.name(), spec(&cmd).name);
    }
}

#[test]
fn the_table_is_a_closed_loop() {
    // Every open state can be left; no terminal state can; every state but the ones a report
    // starts in can be entered.
    let cmds = all_commands();
    for state in CaseState::ALL {
        let exits: Vec<CaseState> = cmds
            .iter()
            .filter_map(|c| spec(c).next(state))
            .filter(|to| *to != state)
            .collect();
        // A closed case leaves only when its reporter is unsatisfied (回访不满意回退重办).
        if state == CaseState::Closed {
            assert_eq!(exits, [CaseState::Dispatched], "{state:?}");
        } else {
            assert_eq!(exits.is_empty(), TERMINAL.contains(&state), "{state:?}");
        }
        assert_eq!(state.is_terminal(), TERMINAL.contains(&state));
    }
    for state in CaseState::ALL {
        let entered = CaseState::ALL
            .iter()
            .any(|from| *from != state && cmds.iter().any(|c| spec(c).next(*from) == Some(state)));
        assert!(entered, "{state:?} is unreachable");
    }
}

// ---------------------------------------------------------------------------------------------
// The matrix
// ---------------------------------------------------------------------------------------------

#[test]
fn matrix_every_state_command_role_and_scope() {
    let w = World::new();
    let now = t0();
    let ctx = w.ctx(now);
    let ev = full_evidence();
    let (mut cells, mut oks) = (0usize, 0usize);
    for state in CaseState::ALL {
        for cmd in all_commands() {
            let s = spec(&cmd);
            let case = ready_for(case_in(&w, state), &s);
            for role in Role::ALL {
                for scope in SCOPES {
                    let caller = caller_of(&[(role, scope)]);
                    let got = apply(&case, &caller, &cmd, &ev, &ctx);
                    let want = expected(&s, state, &[(role, scope)]);
                    assert_eq!(
                        outcome(&got),
                        want,
                        "{state:?} {} by {role:?} {scope:?}: {got:?}",
                        s.name
                    );
                    match &got {
                        Ok(t) => {
                            oks += 1;
                            check_ok(&w, &case, &caller, &cmd, &ev, now, t);
                            assert_eq!(t.event.actor_role, role);
                        }
                        Err(WorkflowError::NotAllowedInState { action, state: st }) => {
                            assert_eq!(*action, s.name);
                            assert_eq!(*st, state.as_str());
                        }
                        Err(WorkflowError::Forbidden(msg)) => {
                            // Names what is missing: the role, or the scope.
                            let holds = s.roles.contains(&role);
                            assert_eq!(msg.contains("outside"), holds, "{msg}");
                            assert_eq!(msg.contains("needs the role"), !holds, "{msg}");
                        }
                        Err(_) => {}
                    }
                    cells += 1;
                }
            }
        }
    }
    assert_eq!(cells, 14 * 34 * 10 * 3);
    assert_eq!(cells, 14_280);
    // 87 allowed (state, command) pairs; each succeeds once per allowed role in scope, and once
    // more city-wide for the area-scoped roles (not inspectors, department handlers, citizens
    // nor volunteers): 160 for the loop, 26 answers (13 states, operator in scope and
    // city-wide), 8 ratings (two ratings by the citizen, the volunteer and the operator twice).
    assert_eq!(oks, 194);
}

#[test]
fn matrix_callers_with_two_roles_act_in_the_one_that_allows_it() {
    let w = World::new();
    let now = t0();
    let ctx = w.ctx(now);
    let ev = full_evidence();
    let pairs = [
        (Scope::In, Scope::Out),
        (Scope::Out, Scope::In),
        (Scope::In, Scope::In),
        (Scope::Out, Scope::CityWide),
    ];
    let mut cells = 0usize;
    for state in CaseState::ALL {
        for cmd in all_commands() {
            let s = spec(&cmd);
            let case = ready_for(case_in(&w, state), &s);
            for r1 in Role::ALL {
                for r2 in Role::ALL {
                    for (s1, s2) in pairs {
                        // The same role twice: an out-of-scope grant next to an in-scope one.
                        if r1 == r2 && (s1, s2) != (Scope::Out, Scope::In) {
                            continue;
                        }
                        let grants = [(r1, s1), (r2, s2)];
                        let caller = caller_of(&grants);
                        let got = apply(&case, &caller, &cmd, &ev, &ctx);
                        let want = expected(&s, state, &grants);
                        assert_eq!(outcome(&got), want, "{state:?} {} by {grants:?}", s.name);
                        if let Ok(t) = &got {
                            let acting: Vec<Role> = grants
                                .iter()
                                .filter(|&&(r, sc)| s.roles.contains(&r) && covers(r, sc, &grants))
                                .map(|&(r, _)| r)
                                .collect();
                            // The first grant (in the caller's order) that allows it.
                            assert_eq!(t.event.actor_role, acting[0], "{grants:?}");
                        }
                        cells += 1;
                    }
                }
            }
        }
    }
    assert_eq!(cells, 14 * 34 * (10 + 90 * 4));
}

#[test]
fn area_scope_is_by_code_prefix_at_every_level() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let case = case_in(&w, CaseState::Reported);
    let cmd = Command::SendVerify {
        inspector_id: ASSIGNEE,
    };
    let with_area = |area: Option<&str>| Caller {
        user_id: SOMEONE,
        grants: vec![RoleGrant {
            role: Role::Operator,
            area: area.map(code),
            department_id: None,
        }],
    };
    for area in [
        Some(DISTRICT),
        Some(STREET),
        Some(COMMUNITY),
        Some(GRID),
        None,
    ] {
        let r = apply(&case, &with_area(area), &cmd, &Evidence::default(), &ctx);
        assert_eq!(outcome(&r), Outcome::To(CaseState::Verifying), "{area:?}");
        assert!(policy::can_view(&with_area(area), &case));
    }
    for area in [OTHER_DISTRICT, OTHER_STREET, OTHER_COMMUNITY, OTHER_GRID] {
        let r = apply(
            &case,
            &with_area(Some(area)),
            &cmd,
            &Evidence::default(),
            &ctx,
        );
        assert_eq!(outcome(&r), Outcome::Forbidden, "{area}");
        assert!(!policy::can_view(&with_area(Some(area)), &case));
    }
    // A case located only at street level: a grant on one of its grids does not cover it.
    let mut coarse = case.clone();
    coarse.area = AreaPath::of(&code(STREET));
    let r = apply(
        &coarse,
        &with_area(Some(GRID)),
        &cmd,
        &Evidence::default(),
        &ctx,
    );
    assert_eq!(outcome(&r), Outcome::Forbidden);
    // A case with no known location: only city-wide grants cover it.
    let mut nowhere = case.clone();
    nowhere.area = AreaPath::default();
    for area in [Some(DISTRICT), Some(GRID)] {
        let r = apply(&nowhere, &with_area(area), &cmd, &Evidence::default(), &ctx);
        assert_eq!(outcome(&r), Outcome::Forbidden);
    }
    let r = apply(&nowhere, &with_area(None), &cmd, &Evidence::default(), &ctx);
    assert_eq!(outcome(&r), Outcome::To(CaseState::Verifying));
}

#[test]
fn inspectors_act_by_assignment_and_handlers_by_department() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    let checking = case_in(&w, CaseState::Checking);
    let check = Command::Check { passed: true };
    // The assignee, with a grant on another district: the assignment counts, not the area.
    let assignee_far = Caller {
        user_id: ASSIGNEE,
        grants: vec![RoleGrant {
            role: Role::Inspector,
            area: Some(code(OTHER_DISTRICT)),
            department_id: None,
        }],
    };
    assert_eq!(
        outcome(&apply(&checking, &assignee_far, &check, &ev, &ctx)),
        Outcome::To(CaseState::PendingClose)
    );
    // A city-wide inspector who was not sent: forbidden.
    let city_inspector = Caller {
        user_id: SOMEONE,
        grants: vec![grant(Role::Inspector, Scope::CityWide)],
    };
    assert_eq!(
        outcome(&apply(&checking, &city_inspector, &check, &ev, &ctx)),
        Outcome::Forbidden
    );
    // An unassigned case: no inspector may check it.
    let mut unassigned = checking.clone();
    unassigned.assignee_id = None;
    assert_eq!(
        outcome(&apply(&unassigned, &assignee_far, &check, &ev, &ctx)),
        Outcome::Forbidden
    );
    // Department handlers: their department only, whatever their area.
    let dispatched = case_in(&w, CaseState::Dispatched);
    let handler = |area: Option<&str>, dept: Option<i64>| Caller {
        user_id: HANDLER_USER,
        grants: vec![RoleGrant {
            role: Role::DepartmentHandler,
            area: area.map(code),
            department_id: dept,
        }],
    };
    for (area, dept, want) in [
        (None, Some(DEPT), Outcome::To(CaseState::Handling)),
        (
            Some(OTHER_DISTRICT),
            Some(DEPT),
            Outcome::To(CaseState::Handling),
        ),
        (Some(GRID), Some(OTHER_DEPT), Outcome::Forbidden),
        (Some(GRID), None, Outcome::Forbidden),
        (None, None, Outcome::Forbidden),
    ] {
        let r = apply(
            &dispatched,
            &handler(area, dept),
            &Command::AcceptTask,
            &ev,
            &ctx,
        );
        assert_eq!(outcome(&r), want, "{area:?} {dept:?}");
    }
    // A case without a department: no handler is in scope.
    let mut no_dept = dispatched.clone();
    no_dept.department_id = None;
    let r = apply(
        &no_dept,
        &handler(None, Some(DEPT)),
        &Command::AcceptTask,
        &ev,
        &ctx,
    );
    assert_eq!(outcome(&r), Outcome::Forbidden);
}

// ---------------------------------------------------------------------------------------------
// Required inputs
// ---------------------------------------------------------------------------------------------

#[test]
fn required_note_and_photo() {
    let w = World::new();
    let now = t0();
    let ctx = w.ctx(now);
    let mut needs_note = Vec::new();
    let mut needs_photo = Vec::new();
    for state in CaseState::ALL {
        for cmd in all_commands() {
            let s = spec(&cmd);
            let Some(to) = s.next(state) else { continue };
            let case = ready_for(case_in(&w, state), &s);
            let caller = authorized(&s);
            let run = |ev: &Evidence| outcome(&apply(&case, &caller, &cmd, ev, &ctx));
            let ok = Outcome::To(to);
            let label = format!("{state:?} {}", s.name);

            let photo = vec![11];
            let no_note = Evidence {
                note: None,
                attachments: photo.clone(),
            };
            let blank_note = Evidence {
                note: Some(" \t\n\u{3000} ".into()),
                attachments: photo.clone(),
            };
            let empty_note = Evidence {
                note: Some(String::new()),
                attachments: photo,
            };
            let want = if s.note { Outcome::Missing("note") } else { ok };
            assert_eq!(run(&no_note), want, "{label}");
            assert_eq!(run(&blank_note), want, "{label} (whitespace-only note)");
            assert_eq!(run(&empty_note), want, "{label} (empty note)");

            let want = if s.photo {
                Outcome::Missing("photo")
            } else {
                ok
            };
            assert_eq!(run(&note_only("done")), want, "{label}");

            // Nothing at all: the note is asked for first.
            let want = if s.note {
                Outcome::Missing("note")
            } else if s.photo {
                Outcome::Missing("photo")
            } else {
                ok
            };
            assert_eq!(run(&Evidence::default()), want, "{label}");

            // A wrong caller is refused before inputs are looked at.
            let citizen = caller_of(&[(Role::Citizen, Scope::CityWide)]);
            assert_eq!(
                outcome(&apply(&case, &citizen, &cmd, &Evidence::default(), &ctx)),
                Outcome::Forbidden
            );
            if s.note && !needs_note.contains(&s.name) {
                needs_note.push(s.name);
            }
            if s.photo && !needs_photo.contains(&s.name) {
                needs_photo.push(s.name);
            }
        }
    }
    assert_eq!(needs_note.len(), 16, "{needs_note:?}");
    assert_eq!(needs_photo, ["verify", "feedback", "check"]);
}

#[test]
fn blank_note_is_not_recorded() {
    // Commands that do not need a note drop a blank one from the event, and trim a real one.
    let w = World::new();
    let ctx = w.ctx(t0());
    let case = case_in(&w, CaseState::PendingDispatch);
    let caller = caller_of(&[(Role::Dispatcher, Scope::In)]);
    let cmd = Command::Dispatch {
        department_id: DEPT,
    };
    let t = apply(&case, &caller, &cmd, &note_only("   "), &ctx).expect("dispatch");
    assert_eq!(t.event.note, None);
    let t = apply(&case, &caller, &cmd, &note_only("\t派往环卫 "), &ctx).expect("dispatch");
    assert_eq!(t.event.note.as_deref(), Some("派往环卫"));
}

#[test]
fn filing_needs_a_matter_class_and_a_confirmed_report() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    let sup = caller_of(&[(Role::ShiftSupervisor, Scope::In)]);
    let file = |class: Option<ClassSnapshot>| Command::File {
        class,
        urgency: None,
    };
    let mut unclassed = case_in(&w, CaseState::PendingFiling);
    unclassed.class = None;
    assert_eq!(
        outcome(&apply(&unclassed, &sup, &file(None), &ev, &ctx)),
        Outcome::Missing("class")
    );
    assert_eq!(
        outcome(&apply(
            &unclassed,
            &sup,
            &file(Some(component_class())),
            &ev,
            &ctx
        )),
        Outcome::Invalid
    );
    let t = apply(&unclassed, &sup, &file(Some(matter_class())), &ev, &ctx).expect("file");
    assert_eq!(t.case.class, Some(matter_class()));
    assert_eq!(
        t.case.urgency,
        Urgency::Normal,
        "urgency None keeps the reported one"
    );

    // A class given with the report is used when filing without one, and checked too.
    let classed = case_in(&w, CaseState::PendingFiling);
    let t = apply(&classed, &sup, &file(None), &ev, &ctx).expect("file with the report's class");
    assert_eq!(t.case.class, Some(matter_class()));
    let mut component = classed.clone();
    component.class = Some(component_class());
    assert_eq!(
        outcome(&apply(&component, &sup, &file(None), &ev, &ctx)),
        Outcome::Invalid
    );
    // …and a matter class given when filing replaces a reported component class.
    let t = apply(&component, &sup, &file(Some(matter_class())), &ev, &ctx).expect("file");
    assert_eq!(t.case.class, Some(matter_class()));

    // After a failed verification: not filed (reject or send back instead).
    let mut unconfirmed = classed.clone();
    unconfirmed.verified = Some(false);
    assert_eq!(
        outcome(&apply(
            &unconfirmed,
            &sup,
            &file(Some(matter_class())),
            &ev,
            &ctx
        )),
        Outcome::Invalid
    );
    for (cmd, to) in [
        (Command::Reject, CaseState::Rejected),
        (Command::ReturnToIntake, CaseState::Reported),
    ] {
        assert_eq!(
            outcome(&apply(&unconfirmed, &sup, &cmd, &ev, &ctx)),
            Outcome::To(to)
        );
    }
    // Never verified (an own-evidence report accepted directly would have verified = true;
    // None means nobody said no): filing is allowed.
    let mut unknown = classed;
    unknown.verified = None;
    assert_eq!(
        outcome(&apply(&unknown, &sup, &file(None), &ev, &ctx)),
        Outcome::To(CaseState::PendingDispatch)
    );
}

#[test]
fn failed_verification_leads_to_filing_node_but_not_to_filing() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    let verifying = case_in(&w, CaseState::Verifying);
    let inspector = caller_of(&[(Role::Inspector, Scope::In)]);
    let t = apply(
        &verifying,
        &inspector,
        &Command::Verify { confirmed: false },
        &note_only("nothing there"),
        &ctx,
    )
    .expect("a negative verification needs no photo");
    assert_eq!(t.case.state, CaseState::PendingFiling);
    assert_eq!(t.case.verified, Some(false));
    let sup = caller_of(&[(Role::ShiftSupervisor, Scope::In)]);
    let file = Command::File {
        class: Some(matter_class()),
        urgency: None,
    };
    assert_eq!(
        outcome(&apply(&t.case, &sup, &file, &ev, &ctx)),
        Outcome::Invalid
    );
}

#[test]
fn accept_only_for_sources_with_their_own_evidence() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let op = caller_of(&[(Role::Operator, Scope::In)]);
    let own_evidence = [
        Source::Inspector,
        Source::Camera,
        Source::Sensor,
        Source::Vehicle,
        Source::ThirdPartyInspection,
        Source::Superior,
    ];
    for source in Source::ALL {
        let mut case = case_in(&w, CaseState::Reported);
        case.source = source;
        case.verified = None;
        let r = apply(&case, &op, &Command::Accept, &Evidence::default(), &ctx);
        if own_evidence.contains(&source) {
            let t = r.expect("accepted");
            assert_eq!(t.case.state, CaseState::PendingFiling);
            assert_eq!(t.case.verified, Some(true));
        } else {
            assert_eq!(outcome(&r), Outcome::Invalid, "{source:?}");
        }
        // Any source may be sent for verification.
        let r = apply(
            &case,
            &op,
            &Command::SendVerify {
                inspector_id: ASSIGNEE,
            },
            &Evidence::default(),
            &ctx,
        );
        assert_eq!(outcome(&r), Outcome::To(CaseState::Verifying), "{source:?}");
    }
}

#[test]
fn close_needs_a_passed_check_and_rework_needs_a_department() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    let sup = caller_of(&[(Role::ShiftSupervisor, Scope::In)]);
    for passed in [Some(false), None] {
        let mut case = case_in(&w, CaseState::PendingClose);
        case.check_passed = passed;
        assert_eq!(
            outcome(&apply(&case, &sup, &Command::Close, &ev, &ctx)),
            Outcome::Invalid,
            "{passed:?}"
        );
        let t = apply(&case, &sup, &Command::Rework, &ev, &ctx).expect("rework");
        assert_eq!(t.case.state, CaseState::Dispatched);
        assert_eq!(t.case.department_id, Some(DEPT), "same department");
        assert_eq!(t.case.rework_count, 1);
        assert_eq!(t.case.dispatch_count, case.dispatch_count);
        assert_eq!(t.case.check_passed, None);
    }
    // A self-handled case has no department to rework.
    let mut own = case_in(&w, CaseState::PendingClose);
    own.self_handled = true;
    own.department_id = None;
    assert_eq!(
        outcome(&apply(&own, &sup, &Command::Rework, &ev, &ctx)),
        Outcome::Invalid
    );
    assert_eq!(
        outcome(&apply(&own, &sup, &Command::Close, &ev, &ctx)),
        Outcome::To(CaseState::Closed)
    );
}

#[test]
fn extension_minutes_must_be_in_range() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    let case = case_in(&w, CaseState::Handling);
    let handler = caller_of(&[(Role::DepartmentHandler, Scope::In)]);
    for minutes in [i64::MIN, -1, 0, 25_201, 60 * 420 + 1, i64::MAX] {
        let r = apply(
            &case,
            &handler,
            &Command::RequestExtension { minutes },
            &ev,
            &ctx,
        );
        assert_eq!(outcome(&r), Outcome::Invalid, "{minutes}");
    }
    for minutes in [1, 60, 25_200] {
        let t = apply(
            &case,
            &handler,
            &Command::RequestExtension { minutes },
            &ev,
            &ctx,
        )
        .expect("in range");
        assert_eq!(
            t.case.pending,
            Some(PendingRequest::Extension {
                requested_by: caller_of(&[(Role::DepartmentHandler, Scope::In)]).user_id,
                minutes,
                reason: "现场已核实".into(),
            })
        );
    }
    // The note is asked for before the range is checked.
    let r = apply(
        &case,
        &handler,
        &Command::RequestExtension { minutes: 0 },
        &Evidence::default(),
        &ctx,
    );
    assert_eq!(outcome(&r), Outcome::Missing("note"));
}

#[test]
fn a_case_cannot_be_linked_to_itself() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let op = caller_of(&[(Role::Operator, Scope::In)]);
    for state in [
        CaseState::Reported,
        CaseState::Verifying,
        CaseState::PendingFiling,
    ] {
        let case = case_in(&w, state);
        let r = apply(
            &case,
            &op,
            &Command::LinkDuplicate {
                master_case_id: CASE_ID,
            },
            &Evidence::default(),
            &ctx,
        );
        assert_eq!(outcome(&r), Outcome::Invalid, "{state:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// New reports
// ---------------------------------------------------------------------------------------------

fn report(source: Source) -> NewReport {
    NewReport {
        source,
        description: "  井盖缺失  ".into(),
        address: None,
        lat: None,
        lon: None,
        area: AreaPath::of(&code(GRID)),
        road_id: None,
        class: None,
        urgency: Urgency::Normal,
        reporter_name: None,
        reporter_phone: None,
        anonymous: false,
        external_ref: None,
        self_handled: false,
        attachments: vec![],
        note: None,
    }
}

#[test]
fn new_reports_start_where_their_channel_says() {
    let w = World::new();
    let now = t0();
    let ctx = w.ctx(now);
    let inspector = Caller {
        user_id: 42,
        grants: vec![grant(Role::Inspector, Scope::In)],
    };
    let citizen = Caller {
        user_id: 43,
        grants: vec![grant(Role::Citizen, Scope::CityWide)],
    };
    let t = new_case(&inspector, report(Source::Inspector), &ctx).expect("inspector report");
    assert_eq!(t.case.state, CaseState::PendingFiling);
    assert_eq!(t.case.verified, Some(true));
    assert_eq!(t.case.description, "井盖缺失");
    assert_eq!(t.case.version, 1);
    assert_eq!(t.case.reporter_id, Some(42));
    assert_fresh_clock(&w, t.case.clock.as_ref().expect("clock"), now, 32, "report");
    assert_eq!(t.event.action, "report");
    assert_eq!(t.event.actor_role, Role::Inspector);
    assert_eq!(
        (t.event.from_state, t.event.to_state),
        (None, CaseState::PendingFiling)
    );

    let t = new_case(&citizen, report(Source::CitizenApp), &ctx).expect("citizen report");
    assert_eq!(t.case.state, CaseState::Reported);
    assert_eq!(t.case.verified, None);
    assert_fresh_clock(&w, t.case.clock.as_ref().expect("clock"), now, 31, "report");
    // The reporter sees their own report, with no grant that covers it.
    assert!(policy::can_view(&citizen, &t.case));
    assert!(policy::visibility(&citizen).admits(&t.case));

    // Channels are bound to roles.
    assert_eq!(
        outcome(&new_case(&citizen, report(Source::Hotline12345), &ctx)),
        Outcome::Forbidden
    );
    let mut blank = report(Source::CitizenApp);
    blank.description = " \n ".into();
    assert_eq!(
        outcome(&new_case(&citizen, blank, &ctx)),
        Outcome::Missing("description")
    );

    // 自行处置: an inspector's own report with a photo, straight to 待结案, closable.
    let mut own = report(Source::Inspector);
    own.self_handled = true;
    assert_eq!(
        outcome(&new_case(&inspector, own.clone(), &ctx)),
        Outcome::Missing("photo")
    );
    own.attachments = vec![5];
    let t = new_case(&inspector, own, &ctx).expect("self-handled");
    assert_eq!(t.case.state, CaseState::PendingClose);
    assert_eq!(t.event.action, "report_self_handled");
    assert_eq!(t.case.check_passed, Some(true));
    assert_fresh_clock(
        &w,
        t.case.clock.as_ref().expect("clock"),
        now,
        62,
        "self-handled",
    );
    let sup = caller_of(&[(Role::ShiftSupervisor, Scope::In)]);
    let closed = apply(&t.case, &sup, &Command::Close, &Evidence::default(), &ctx).expect("close");
    assert_eq!(closed.case.state, CaseState::Closed);
    // Only the inspector channel can be self-handled.
    let op_and_inspector = Caller {
        user_id: 44,
        grants: vec![
            grant(Role::Operator, Scope::In),
            grant(Role::Inspector, Scope::In),
        ],
    };
    let mut hotline = report(Source::Hotline12319);
    hotline.self_handled = true;
    hotline.attachments = vec![5];
    assert_eq!(
        outcome(&new_case(&op_and_inspector, hotline, &ctx)),
        Outcome::Invalid
    );
}

#[test]
fn new_report_event_note_is_trimmed() {
    // Regression: the report event kept the note untrimmed, unlike every other event.
    let w = World::new();
    let ctx = w.ctx(t0());
    let citizen = Caller {
        user_id: 43,
        grants: vec![grant(Role::Citizen, Scope::CityWide)],
    };
    let mut r = report(Source::CitizenApp);
    r.note = Some("  路口东侧 \n".into());
    let t = new_case(&citizen, r.clone(), &ctx).expect("report");
    assert_eq!(t.event.note.as_deref(), Some("路口东侧"));
    r.note = Some(" \t ".into());
    let t = new_case(&citizen, r, &ctx).expect("report");
    assert_eq!(t.event.note, None);
}

// ---------------------------------------------------------------------------------------------
// Pending requests
// ---------------------------------------------------------------------------------------------

/// (request command, kind, approve, deny).
fn request_kinds() -> [(Command, &'static str, Command, Command); 4] {
    [
        (
            Command::RequestReturn,
            "return",
            Command::ApproveReturn,
            Command::DenyReturn,
        ),
        (
            Command::RequestExtension { minutes: 60 },
            "extension",
            Command::ApproveExtension,
            Command::DenyExtension,
        ),
        (
            Command::RequestSuspension,
            "suspension",
            Command::ApproveSuspension,
            Command::DenySuspension,
        ),
        (
            Command::RequestVoid,
            "void",
            Command::ApproveVoid,
            Command::DenyVoid,
        ),
    ]
}

#[test]
fn a_pending_request_blocks_everything_but_its_decision_and_supervision() {
    let w = World::new();
    let now = t0();
    let ctx = w.ctx(now);
    let ev = full_evidence();
    let mut combos = 0;
    for (request, kind, approve, deny) in request_kinds() {
        let rs = spec(&request);
        assert_eq!(rs.opens, Some(kind));
        for &state in rs.from {
            let open = apply(&case_in(&w, state), &authorized(&rs), &request, &ev, &ctx)
                .expect("request opened");
            assert_eq!(open.case.state, state, "a request does not move the case");
            assert_eq!(
                open.case.pending.as_ref().map(PendingRequest::kind),
                Some(kind)
            );
            for cmd in all_commands() {
                let s = spec(&cmd);
                let Some(to) = s.next(state) else {
                    // The state rule comes first.
                    let r = apply(&open.case, &authorized(&s), &cmd, &ev, &ctx);
                    assert_eq!(outcome(&r), Outcome::NotInState);
                    continue;
                };
                let r = apply(&open.case, &authorized(&s), &cmd, &ev, &ctx);
                let own_decision = s.decides == Some(kind);
                let want = if own_decision || s.name == "supervise" || s.name == "reply" {
                    Outcome::To(to)
                } else {
                    Outcome::Pending(kind)
                };
                assert_eq!(outcome(&r), want, "{kind} pending in {state:?}: {}", s.name);
                if let Ok(t) = &r {
                    check_ok(&w, &open.case, &authorized(&s), &cmd, &ev, now, t);
                }
                // The pending check comes before the role check.
                if want == Outcome::Pending(kind) {
                    let citizen = caller_of(&[(Role::Citizen, Scope::CityWide)]);
                    let r = apply(&open.case, &citizen, &cmd, &ev, &ctx);
                    assert_eq!(outcome(&r), Outcome::Pending(kind));
                }
                combos += 1;
            }
            // Supervision keeps the request waiting.
            let sup = apply(
                &open.case,
                &authorized(&spec(&Command::Supervise)),
                &Command::Supervise,
                &ev,
                &ctx,
            )
            .expect("supervise");
            assert_eq!(sup.case.pending, open.case.pending);
            // Denial: same state, same clock, request gone, the loop goes on.
            let denied =
                apply(&open.case, &authorized(&spec(&deny)), &deny, &ev, &ctx).expect("deny");
            assert_eq!(denied.case.state, state);
            assert_eq!(denied.case.clock, open.case.clock);
            assert_eq!(denied.case.pending, None);
            let again = apply(&denied.case, &authorized(&rs), &request, &ev, &ctx);
            assert_eq!(
                outcome(&again),
                Outcome::To(state),
                "a request may be made again"
            );
            // The decision needs the approver's role.
            for role in Role::ALL {
                let caller = caller_of(&[(role, Scope::In)]);
                let r = apply(&open.case, &caller, &approve, &ev, &ctx);
                let allowed = spec(&approve).roles.contains(&role);
                assert_eq!(r.is_ok(), allowed, "{role:?} approving {kind}");
            }
        }
    }
    assert!(combos > 50, "{combos}");
}

#[test]
fn deciding_without_that_request_pending_is_invalid() {
    let w = World::new();
    let ctx = w.ctx(t0());
    let ev = full_evidence();
    for cmd in all_commands() {
        let s = spec(&cmd);
        let Some(kind) = s.decides else { continue };
        for &state in s.from {
            let case = case_in(&w, state);
            assert_eq!(case.pending, None);
            let r = apply(&case, &authorized(&s), &cmd, &ev, &ctx);
            assert_eq!(outcome(&r), Outcome::Invalid, "{} in {state:?}", s.name);
            // With a request of another kind pending, that request blocks it.
            for other in ["return", "extension", "suspension", "void"] {
                if other == kind {
                    continue;
                }
                let mut blocked = case.clone();
                blocked.pending = Some(pending_of(other));
                let r = apply(&blocked, &authorized(&s), &cmd, &ev, &ctx);
                assert_eq!(
                    outcome(&r),
                    Outcome::Pending(other),
                    "{} in {state:?}",
                    s.name
                );
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Clocks
// ---------------------------------------------------------------------------------------------

#[test]
fn every_node_starts_its_own_clock_along_the_loop() {
    let w = World::new();
    let ev = full_evidence();
    let citizen = Caller {
        user_id: REPORTER,
        grants: vec![grant(Role::Citizen, Scope::CityWide)],
    };
    let mut now = t0();
    let mut case = new_case(&citizen, report(Source::CitizenApp), &w.ctx(now))
        .expect("report")
        .case;
    let steps: Vec<(Command, Role)> = vec![
        (
            Command::SendVerify {
                inspector_id: ASSIGNEE,
            },
            Role::Operator,
        ),
        (Command::Verify { confirmed: true }, Role::Inspector),
        (
            Command::File {
                class: Some(matter_class()),
                urgency: Some(Urgency::Urgent),
            },
            Role::ShiftSupervisor,
        ),
        (
            Command::Dispatch {
                department_id: DEPT,
            },
            Role::Dispatcher,
        ),
        (Command::RequestReturn, Role::DepartmentHandler),
        (Command::ApproveReturn, Role::Dispatcher),
        (
            Command::Dispatch {
                department_id: DEPT,
            },
            Role::Dispatcher,
        ),
        (Command::AcceptTask, Role::DepartmentHandler),
        (Command::Feedback, Role::DepartmentHandler),
        (
            Command::SendCheck {
                inspector_id: ASSIGNEE,
            },
            Role::Operator,
        ),
        (Command::Check { passed: false }, Role::Inspector),
        (Command::Rework, Role::ShiftSupervisor),
        (Command::AcceptTask, Role::DepartmentHandler),
        (Command::Feedback, Role::DepartmentHandler),
        (
            Command::SendCheck {
                inspector_id: ASSIGNEE,
            },
            Role::Operator,
        ),
        (Command::Check { passed: true }, Role::Inspector),
        (Command::Close, Role::ShiftSupervisor),
    ];
    for (i, (cmd, role)) in steps.into_iter().enumerate() {
        // 17 minutes (wall clock) per step, crossing lunch and the evening.
        now = now.plus_minutes(17 + 29 * i as i64);
        let caller = caller_of(&[(role, Scope::In)]);
        let t = apply(&case, &caller, &cmd, &ev, &w.ctx(now)).expect("step of the loop");
        check_ok(&w, &case, &caller, &cmd, &ev, now, &t);
        case = t.case;
    }
    assert_eq!(case.state, CaseState::Closed);
    assert_eq!(case.rework_count, 1);
    assert_eq!(case.dispatch_count, 2);
    assert_eq!(case.version, 18);
    assert_eq!(case.clock, None);
    assert_eq!(case.light(now), None);
}

#[test]
fn handling_clock_is_the_class_limit_for_the_urgency() {
    let w = World::new();
    let ev = full_evidence();
    let now = t0();
    for urgency in [Urgency::Urgent, Urgency::High, Urgency::Normal] {
        let filed = apply(
            &case_in(&w, CaseState::PendingFiling),
            &caller_of(&[(Role::ShiftSupervisor, Scope::In)]),
            &Command::File {
                class: None,
                urgency: Some(urgency),
            },
            &ev,
            &w.ctx(now),
        )
        .expect("file")
        .case;
        assert_eq!(filed.urgency, urgency);
        let dispatched = apply(
            &filed,
            &caller_of(&[(Role::Dispatcher, Scope::In)]),
            &Command::Dispatch {
                department_id: DEPT,
            },
            &ev,
            &w.ctx(now),
        )
        .expect("dispatch")
        .case;
        let accepted_at = now.plus_minutes(45);
        let handling = apply(
            &dispatched,
            &caller_of(&[(Role::DepartmentHandler, Scope::In)]),
            &Command::AcceptTask,
            &ev,
            &w.ctx(accepted_at),
        )
        .expect("accept task")
        .case;
        let clock = handling.clock.as_ref().expect("clock");
        assert_fresh_clock(&w, clock, accepted_at, class_minutes(urgency), "handling");
        assert_eq!(
            handling.handling_limit_minutes(&w.cal),
            Some(class_minutes(urgency))
        );
    }
    // Concretely: urgent = 2 working hours from Tue 10:45 → 12:00 (75) + 13:45 (45).
    let c = NodeClock::start(
        &w.cal,
        t0().plus_minutes(45),
        class_minutes(Urgency::Urgent),
    );
    assert_eq!(c.deadline_at, Some(ts("2026-11-24T13:45:00+08:00")));
    // Yellow at 96 minutes: 12:00 (75) + 21 → 13:21.
    assert_eq!(c.yellow_at, Some(ts("2026-11-24T13:21:00+08:00")));
}

/// A case in Handling since `since` (fresh handling clock, normal urgency: 1260 minutes).
fn handling_since(w: &World, since: Timestamp) -> Case {
    let dispatched = case_in(w, CaseState::Dispatched);
    apply(
        &dispatched,
        &caller_of(&[(Role::DepartmentHandler, Scope::In)]),
        &Command::AcceptTask,
        &Evidence::default(),
        &w.ctx(since),
    )
    .expect("accept task")
    .case
}

fn run(w: &World, case: &Case, role: Role, cmd: Command, now: Timestamp) -> Case {
    apply(
        case,
        &caller_of(&[(role, Scope::In)]),
        &cmd,
        &full_evidence(),
        &w.ctx(now),
    )
    .unwrap_or_else(|e| panic!("{} at {}: {e}", cmd.name(), now.to_rfc3339()))
    .case
}

#[test]
fn suspension_pauses_and_resume_continues_with_the_minutes_left() {
    let w = World::new();
    // Accepted Tue 2026-11-24 10:00, 1260 working minutes (3 days).
    let handling = handling_since(&w, t0());
    let c = handling.clock.as_ref().expect("clock");
    assert_eq!(c.limit_minutes, 1260);
    assert_eq!(c.deadline_at, Some(ts("2026-11-27T10:00:00+08:00")));

    // Suspended Tue 15:30: 120 (10–12) + 150 (13–15:30) = 270 working minutes used.
    let at = ts("2026-11-24T15:30:00+08:00");
    let asked = run(
        &w,
        &handling,
        Role::DepartmentHandler,
        Command::RequestSuspension,
        at,
    );
    let parked = run(&w, &asked, Role::Dispatcher, Command::ApproveSuspension, at);
    assert_eq!(parked.state, CaseState::Suspended);
    let c = parked.clock.as_ref().expect("clock kept while suspended");
    assert_eq!(c.used_before_minutes, 270);
    assert_eq!(c.limit_minutes, 1260);
    assert_eq!(
        (c.running_since, c.deadline_at, c.yellow_at),
        (None, None, None)
    );
    // Frozen: the same light and minutes however long it stays parked.
    for later in [
        "2026-11-24T15:31:00+08:00",
        "2026-12-24T10:00:00+08:00",
        "2027-06-01T10:00:00+08:00",
    ] {
        let later = ts(later);
        assert_eq!(c.used_minutes(&w.cal, later), 270);
        assert_eq!(parked.light(later), Some(Light::Green));
        assert_eq!(parked.light(later), Some(calendar::light(270, 1260)));
    }
    // While suspended the department cannot work on it, nor may it be suspended again.
    for cmd in [
        Command::Feedback,
        Command::RequestSuspension,
        Command::RequestExtension { minutes: 5 },
    ] {
        let r = apply(
            &parked,
            &caller_of(&[(Role::DepartmentHandler, Scope::In)]),
            &cmd,
            &full_evidence(),
            &w.ctx(at),
        );
        assert_eq!(outcome(&r), Outcome::NotInState);
    }

    // Resumed Mon 2026-11-30 09:00 with 990 minutes left: Mon 420, Tue 420, Wed 09:00 + 150.
    let resumed_at = ts("2026-11-30T09:00:00+08:00");
    let resumed = run(&w, &parked, Role::Dispatcher, Command::Resume, resumed_at);
    assert_eq!(resumed.state, CaseState::Handling);
    let c = resumed.clock.as_ref().expect("clock");
    assert_eq!(c.running_since, Some(resumed_at));
    assert_eq!(c.used_before_minutes, 270);
    assert_eq!(c.deadline_at, Some(ts("2026-12-02T11:30:00+08:00")));
    // Yellow at 1008 used: 738 after resuming → Mon 420, Tue 09:00 + 318 → 15:18.
    assert_eq!(c.yellow_at, Some(ts("2026-12-01T15:18:00+08:00")));
    assert_eq!(c.used_minutes(&w.cal, ts("2026-11-30T10:00:00+08:00")), 330);

    // Extension of 120 approved Wed 10:00 (1170 used): the deadline moves by 120 working
    // minutes, from Wed 11:30 to Wed 14:30 (over lunch).
    let at = ts("2026-12-02T10:00:00+08:00");
    let asked = run(
        &w,
        &resumed,
        Role::DepartmentHandler,
        Command::RequestExtension { minutes: 120 },
        at,
    );
    assert_eq!(
        asked.clock, resumed.clock,
        "asking does not move the deadline"
    );
    let extended = run(&w, &asked, Role::Dispatcher, Command::ApproveExtension, at);
    let c = extended.clock.as_ref().expect("clock");
    assert_eq!(c.limit_minutes, 1380);
    assert_eq!(c.used_before_minutes, 1170);
    assert_eq!(c.deadline_at, Some(ts("2026-12-02T14:30:00+08:00")));
    let old = resumed
        .clock
        .as_ref()
        .and_then(|c| c.deadline_at)
        .expect("deadline");
    assert_eq!(c.deadline_at, Some(w.cal.add_working_minutes(old, 120)));
    // 1170 ≥ ⌈0.8 × 1380⌉ = 1104: already yellow, from now.
    assert_eq!(c.yellow_at, Some(at));
    assert_eq!(extended.light(at), Some(Light::Yellow));
    assert_eq!(
        extended.light(ts("2026-12-02T14:30:00+08:00")),
        Some(Light::Yellow)
    );
    assert_eq!(
        extended.light(ms(ts("2026-12-02T14:30:00+08:00"), 1)),
        Some(Light::Red)
    );
    // A denied extension changes nothing.
    let asked = run(
        &w,
        &resumed,
        Role::DepartmentHandler,
        Command::RequestExtension { minutes: 120 },
        at,
    );
    let denied = run(&w, &asked, Role::Dispatcher, Command::DenyExtension, at);
    assert_eq!(denied.clock, resumed.clock);
}

#[test]
fn resume_keeps_the_light_the_paused_clock_showed() {
    // Regression: resuming a clock at or past its yellow threshold outside working time set
    // `yellow_at` to the next window start (green until then, possibly over a long holiday),
    // and resuming an overdue clock set `deadline_at` to at or after `now` (yellow instead of
    // red). The light must continue from the paused one, as `calendar::light` has it.
    let w = World::new();
    let limit = 1260;
    let times = [
        "2026-11-24T10:00:00+08:00", // in a window
        "2026-11-24T12:30:00+08:00", // lunch
        "2026-11-24T20:00:00+08:00", // evening
        "2026-11-28T10:00:00+08:00", // Saturday
        "2026-09-30T18:00:00+08:00", // before 中秋/国庆… (holidays follow)
    ];
    for used in [0, 500, 1007, 1008, 1100, 1259, 1260, 1261, 2000] {
        for at in times {
            let at = ts(at);
            let mut c = NodeClock {
                limit_minutes: limit,
                used_before_minutes: used,
                running_since: None,
                deadline_at: None,
                yellow_at: None,
            };
            let paused = c.light(at);
            assert_eq!(paused, calendar::light(used, limit));
            c.resume(&w.cal, at);
            assert_eq!(
                c.light(at),
                paused,
                "used {used}, resumed {}",
                at.to_rfc3339()
            );
            let (y, d) = (
                c.yellow_at.expect("yellow"),
                c.deadline_at.expect("deadline"),
            );
            assert!(y <= d, "yellow_at after deadline_at");
            // And it goes on consistently with the used minutes.
            let next_working = w.cal.add_working_minutes(at, 0);
            for step in [1, 59, 60, 420, 1000, 3000] {
                let t = w.cal.add_working_minutes(next_working, step);
                let used_now = c.used_minutes(&w.cal, t);
                assert_eq!(used_now, used + step);
                assert_eq!(
                    c.light(t),
                    calendar::light(used_now, limit),
                    "used {used}+{step}, resumed {}",
                    at.to_rfc3339()
                );
            }
        }
    }
}

#[test]
fn an_overdue_extension_approved_at_night_stays_red() {
    // Regression (same cause): approving an extension that does not cover the overrun.
    let w = World::new();
    let handling = handling_since(&w, t0());
    // Fri 2026-11-27 21:00: the 1260 minutes ran out at 10:00; 360 + 3 × 420 = 1620 used.
    let night = ts("2026-11-27T21:00:00+08:00");
    assert_eq!(handling.light(night), Some(Light::Red));
    let asked = run(
        &w,
        &handling,
        Role::DepartmentHandler,
        Command::RequestExtension { minutes: 60 },
        night,
    );
    let extended = run(
        &w,
        &asked,
        Role::Dispatcher,
        Command::ApproveExtension,
        night,
    );
    let c = extended.clock.as_ref().expect("clock");
    assert_eq!((c.limit_minutes, c.used_before_minutes), (1320, 1620));
    assert_eq!(extended.light(night), Some(Light::Red));
    assert!(c.deadline_at.expect("deadline") < night);
    // An extension that does cover it: yellow (≥ 80 %) from now, red after the new deadline.
    let asked = run(
        &w,
        &handling,
        Role::DepartmentHandler,
        Command::RequestExtension { minutes: 480 },
        night,
    );
    let extended = run(
        &w,
        &asked,
        Role::Dispatcher,
        Command::ApproveExtension,
        night,
    );
    assert_eq!(extended.light(night), Some(Light::Yellow));
    let c = extended.clock.as_ref().expect("clock");
    // 1740 − 1620 = 120 minutes left: Mon 2026-11-30 11:00.
    assert_eq!(c.deadline_at, Some(ts("2026-11-30T11:00:00+08:00")));
}

#[test]
fn light_at_the_yellow_and_deadline_instants() {
    // NodeClock::light compares instants (as the store's SQL does); calendar::light_at counts
    // working milliseconds; calendar::light counts whole working minutes. They agree, except:
    //
    // 1. After a deadline that falls on a window end (12:00, 17:00, before a weekend or a
    //    holiday), the node clock is red from the next millisecond, while `light_at` stays
    //    yellow until working time resumes (no working time has elapsed beyond 100 %). This is
    //    deliberate: `deadline_at` is an instant the store filters on (`deadline_at < now`).
    // 2. `calendar::light` truncates to whole minutes, so it turns red one working minute after
    //    the deadline, not one millisecond (documented in calendar.rs).
    let w = World::new();
    let cal = &w.cal;
    let starts = [
        "2026-11-24T10:00:00+08:00",
        "2026-11-24T09:00:00+08:00",
        "2026-11-24T11:59:30+08:00",
        "2026-11-24T12:30:00+08:00",
        "2026-11-24T20:00:00+08:00",
        "2026-11-27T16:00:00+08:00",
        "2026-09-30T16:30:00+08:00",
    ];
    let mut off_hours_differences = 0;
    for start in starts {
        let start = ts(start);
        for limit in [1, 2, 4, 5, 30, 31, 60, 100, 120, 180, 420, 1260] {
            let c = NodeClock::start(cal, start, limit);
            let y = c.yellow_at.expect("yellow");
            let d = c.deadline_at.expect("deadline");
            assert_eq!(y, cal.add_working_minutes(start, eighty_percent(limit)));
            assert_eq!(d, cal.add_working_minutes(start, limit));
            let label = format!("start {} limit {limit}", start.to_rfc3339());

            if y > start {
                assert_eq!(
                    c.light(ms(y, -1)),
                    Light::Green,
                    "{label}: just before yellow_at"
                );
            }
            assert_eq!(c.light(y), Light::Yellow, "{label}: at yellow_at");
            if ms(d, -1) >= y {
                assert_eq!(
                    c.light(ms(d, -1)),
                    Light::Yellow,
                    "{label}: just before deadline"
                );
            }
            assert_eq!(c.light(d), Light::Yellow, "{label}: at deadline");
            assert_eq!(
                c.light(ms(d, 1)),
                Light::Red,
                "{label}: just after deadline"
            );
            assert_eq!(
                c.light(cal.add_working_minutes(d, 1)),
                Light::Red,
                "{label}: a working minute after"
            );

            // Sweep: against light_at everywhere, against light() on whole working minutes.
            let mut t = ms(start, -60_000);
            let end = cal.add_working_minutes(d, 30).plus_minutes(60 * 24);
            while t <= end {
                let mine = c.light(t);
                let at = cal.light_at(start, limit, t);
                let off_hours_after_deadline = t > d && cal.working_millis_between(d, t) == 0;
                if off_hours_after_deadline {
                    assert_eq!((mine, at), (Light::Red, Light::Yellow), "{label}");
                    off_hours_differences += 1;
                } else {
                    assert_eq!(mine, at, "{label} at {}", t.to_rfc3339());
                    if cal.working_millis_between(start, t) % 60_000 == 0 {
                        let used = c.used_minutes(cal, t);
                        assert_eq!(mine, calendar::light(used, limit), "{label}");
                    }
                }
                t = t.plus_minutes(7);
            }
        }
    }
    assert!(off_hours_differences > 0);
    // The minute-truncation gap of calendar::light.
    let c = NodeClock::start(cal, t0(), 60);
    let d = c.deadline_at.expect("deadline");
    assert_eq!(d, ts("2026-11-24T11:00:00+08:00"));
    let just_after = ms(d, 30_000);
    assert_eq!(c.light(just_after), Light::Red);
    assert_eq!(cal.light_at(t0(), 60, just_after), Light::Red);
    assert_eq!(
        calendar::light(c.used_minutes(cal, just_after), 60),
        Light::Yellow
    );
}

#[test]
fn a_zero_limit_is_yellow_from_the_start() {
    // As calendar::light and light_at have it: due now, yellow; red once working time passes.
    let w = World::new();
    for start in ["2026-11-24T10:00:00+08:00", "2026-11-24T20:00:00+08:00"] {
        let start = ts(start);
        let c = NodeClock::start(&w.cal, start, 0);
        assert_eq!(c.light(start), Light::Yellow);
        assert_eq!(c.light(start), calendar::light(0, 0));
        assert_eq!(c.light(start), w.cal.light_at(start, 0, start));
        let later = w.cal.add_working_minutes(start, 1);
        assert_eq!(c.light(later), Light::Red);
    }
}

// ---------------------------------------------------------------------------------------------
// Policy: can_view and visibility are the same rule
// ---------------------------------------------------------------------------------------------

const CODES: [&str; 12] = [
    DISTRICT,
    OTHER_DISTRICT,
    STREET,
    OTHER_STREET,
    "410105001",
    COMMUNITY,
    OTHER_COMMUNITY,
    "410102002001",
    GRID,
    OTHER_GRID,
    "410102002001001",
    "410105001001001",
];

fn arb_code() -> impl Strategy<Value = AreaCode> {
    prop::sample::select(CODES.to_vec()).prop_map(code)
}

fn arb_grant() -> impl Strategy<Value = RoleGrant> {
    (
        prop::sample::select(Role::ALL.to_vec()),
        prop::option::of(arb_code()),
        prop::option::of(1..4i64),
    )
        .prop_map(|(role, area, department_id)| RoleGrant {
            role,
            area,
            department_id,
        })
}

fn arb_caller() -> impl Strategy<Value = Caller> {
    (1..6i64, prop::collection::vec(arb_grant(), 0..4))
        .prop_map(|(user_id, grants)| Caller { user_id, grants })
}

/// Paths as the store may hold them: consistent ones from a code, partial or even
/// inconsistent ones from levels picked independently.
fn arb_area() -> impl Strategy<Value = AreaPath> {
    let by_level = |level: usize| {
        let codes: Vec<AreaCode> = CODES
            .iter()
            .filter(|c| c.len() == level)
            .map(|c| code(c))
            .collect();
        prop::option::of(prop::sample::select(codes))
    };
    prop_oneof![
        arb_code().prop_map(|c| AreaPath::of(&c)),
        (by_level(6), by_level(9), by_level(12), by_level(15)).prop_map(
            |(district, street, community, grid)| AreaPath {
                district,
                street,
                community,
                grid,
            }
        ),
    ]
}

fn arb_case() -> impl Strategy<Value = Case> {
    (
        prop::sample::select(CaseState::ALL.to_vec()),
        prop::option::of(1..6i64),
        prop::option::of(1..6i64),
        prop::option::of(1..4i64),
        arb_area(),
    )
        .prop_map(|(state, reporter_id, assignee_id, department_id, area)| {
            let mut c = case_in(&WORLD, state);
            c.reporter_id = reporter_id;
            c.assignee_id = assignee_id;
            c.department_id = department_id;
            c.area = area;
            c
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn can_view_and_visibility_agree(caller in arb_caller(), case in arb_case()) {
        let v = policy::visibility(&caller);
        prop_assert_eq!(policy::can_view(&caller, &case), v.admits(&case), "{:?}", v);
        // The visibility round-trips as the store would keep it.
        let json = serde_json::to_string(&v).expect("serialize");
        let back: policy::Visibility = serde_json::from_str(&json).expect("deserialize");
        prop_assert_eq!(back.admits(&case), v.admits(&case));
    }

    #[test]
    fn nobody_acts_on_a_case_they_cannot_see(caller in arb_caller(), case in arb_case()) {
        for cmd in all_commands() {
            if policy::acting_role(&caller, &case, &cmd).is_ok() {
                prop_assert!(policy::can_view(&caller, &case), "{}", cmd.name());
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Random walks
// ---------------------------------------------------------------------------------------------

/// A user holding every role: city-wide, in [`DEPT`], and the inspector the commands name.
fn everyone() -> Caller {
    Caller {
        user_id: 600,
        grants: Role::ALL
            .iter()
            .map(|&role| RoleGrant {
                role,
                area: None,
                department_id: (role == Role::DepartmentHandler).then_some(DEPT),
            })
            .collect(),
    }
}

/// Invariants every case reachable through `new_case` and `apply` keeps.
fn check_invariants(case: &Case, now: Timestamp) -> Result<(), TestCaseError> {
    let terminal = TERMINAL.contains(&case.state);
    prop_assert_eq!(case.clock.is_none(), terminal);
    prop_assert_eq!(case.closed_at.is_some(), terminal);
    prop_assert_eq!(case.light(now).is_none(), terminal);
    if let Some(c) = &case.clock {
        if case.state == CaseState::Suspended {
            prop_assert!(c.running_since.is_none() && c.deadline_at.is_none());
        } else {
            let (y, d) = (
                c.yellow_at.expect("running"),
                c.deadline_at.expect("running"),
            );
            prop_assert!(c.running_since.is_some() && y <= d);
        }
    }
    if let Some(p) = &case.pending {
        let opener = all_commands()
            .into_iter()
            .find(|c| spec(c).opens == Some(p.kind()))
            .expect("a request kind");
        prop_assert!(
            spec(&opener).from.contains(&case.state),
            "{:?} in {:?}",
            p,
            case.state
        );
    }
    use CaseState::*;
    if matches!(
        case.state,
        PendingDispatch | Dispatched | Handling | Suspended | PendingCheck | Checking
    ) {
        prop_assert_eq!(case.class.as_ref().map(|c| c.kind), Some(ClassKind::Matter));
        prop_assert!(case.verified != Some(false));
    }
    if matches!(
        case.state,
        Dispatched | Handling | Suspended | PendingCheck | Checking
    ) {
        prop_assert!(case.department_id.is_some());
    }
    if matches!(case.state, Verifying | Checking) {
        prop_assert!(case.assignee_id.is_some());
    }
    if case.state == PendingClose {
        prop_assert!(case.check_passed.is_some());
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(500))]

    #[test]
    fn random_walks_follow_the_table(
        source in prop::sample::select(Source::ALL.to_vec()),
        self_handled in any::<bool>(),
        steps in prop::collection::vec((any::<u16>(), 0..10u8, 0..6usize, 0..900i64, 0..5usize), 1..100),
    ) {
        let w = World::new();
        let all = everyone();
        let callers = [
            all.clone(),
            caller_of(&[(Role::Citizen, Scope::CityWide)]),
            caller_of(&[(Role::Operator, Scope::Out), (Role::DepartmentHandler, Scope::Out)]),
            caller_of(&[(Role::Dispatcher, Scope::In), (Role::ShiftSupervisor, Scope::In)]),
        ];
        let evidence = [full_evidence(), Evidence::default(), note_only("ok")];
        let cmds = commands(all.user_id, DEPT);
        let mut now = t0();
        let mut rep = report(source);
        rep.self_handled = self_handled && source == Source::Inspector;
        rep.attachments = vec![1];
        let mut case = new_case(&all, rep, &w.ctx(now)).expect("everyone may report").case;
        check_invariants(&case, now)?;
        let mut version = 1;
        for (pick, mode, who, minutes, ei) in steps {
            now = now.plus_minutes(minutes);
            // Mostly a command the table allows here that does not end the case early (to get
            // deep into the loop), sometimes any allowed one, sometimes any at all; mostly the
            // all-roles user, else a random other caller.
            let allowed: Vec<&Command> =
                cmds.iter().filter(|c| spec(c).next(case.state).is_some()).collect();
            let pending = case.pending.as_ref().map(PendingRequest::kind);
            let onward: Vec<&Command> = allowed
                .iter()
                .copied()
                .filter(|c| {
                    let s = spec(c);
                    let moves_on = s.next(case.state).is_some_and(|to| {
                        to != case.state && (!TERMINAL.contains(&to) || s.name == "close")
                    });
                    match pending {
                        Some(kind) => s.decides == Some(kind),
                        None => moves_on,
                    }
                })
                .collect();
            let pool = match mode {
                0..=6 if !onward.is_empty() => onward,
                0..=8 if !allowed.is_empty() => allowed,
                _ => cmds.iter().collect(),
            };
            let cmd = pool[usize::from(pick) % pool.len()];
            let who = who.saturating_sub(2);
            let ei = ei.saturating_sub(2);
            let s = spec(cmd);
            let r = apply(&case, &callers[who], cmd, &evidence[ei], &w.ctx(now));
            match (&r, s.next(case.state)) {
                (Ok(t), Some(_)) => {
                    prop_assert_eq!(Some(t.case.state), expected_to(&s, cmd, &case));
                    check_ok(&w, &case, &callers[who], cmd, &evidence[ei], now, t);
                }
                (Ok(_), None) => prop_assert!(false, "{} succeeded in {:?}", s.name, case.state),
                (Err(WorkflowError::NotAllowedInState { .. }), next) => prop_assert!(next.is_none()),
                (Err(WorkflowError::RequestPending(kind)), _) => {
                    let p = case.pending.as_ref().map(PendingRequest::kind);
                    prop_assert_eq!(p, Some(*kind));
                    prop_assert!(s.decides != p && s.name != "supervise");
                }
                (Err(e), next) => prop_assert!(next.is_some(), "{e}"),
            }
            // The all-roles user in range is refused only for content reasons.
            if who == 0 && s.next(case.state).is_some() && case.pending.is_none() && ei == 0 {
                prop_assert!(
                    !matches!(r, Err(WorkflowError::Forbidden(_)) | Err(WorkflowError::Missing(_))),
                    "{:?}", r
                );
            }
            if let Ok(t) = r {
                version += 1;
                case = t.case;
                prop_assert_eq!(case.version, version);
                check_invariants(&case, now)?;
            }
        }
    }
}
