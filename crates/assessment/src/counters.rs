//! Additive counters per (day, scope), their incremental maintenance and their sums.
//!
//! Every indicator is a function of these counters summed over a period (plus the overdue stock,
//! itself a prefix sum of two counters), so a month is the sum of its days and the store only
//! ever runs `UPDATE … SET v = v + delta`. See the crate documentation for what each counter
//! counts and where.

use std::collections::{BTreeMap, HashMap};

use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::CaseState;
use serde::{Deserialize, Serialize};

use crate::event::{Action, AuditEvent, is_hotline_source, is_public_source};
use crate::scope::{Day, Period, Scope, ScopeKind};

macro_rules! counters {
    ($( $(#[$doc:meta])* $name:ident = $key:literal, )*) => {
        /// One additive counter. Its meaning per scope is in the crate documentation.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Counter { $( $(#[$doc])* $name, )* }

        impl Counter {
            /// Every counter, in storage order.
            pub const ALL: &'static [Counter] = &[ $( Counter::$name, )* ];

            /// The stable storage name.
            pub fn as_str(self) -> &'static str {
                match self { $( Counter::$name => $key, )* }
            }

            /// Parses [`Counter::as_str`].
            pub fn parse(s: &str) -> Option<Counter> {
                match s { $( $key => Some(Counter::$name), )* _ => None }
            }
        }
    };
}

counters! {
    /// 上报数 — reports (case scopes); reports made by the inspector (inspector scope).
    Reported = "reported",
    /// 监督举报数 — reports through a public channel.
    PublicReported = "public_reported",
    /// 暗访发现数 — reports from third-party inspection 第三方暗访.
    ThirdPartyFindings = "third_party_findings",
    /// 有效上报数 — cases filed, voided after intake, or self-handled and closed (once per case).
    ValidReports = "valid_reports",
    /// 监督举报核实数 — public reports confirmed on site (once per case).
    PublicVerified = "public_verified",
    /// 漏报数 — public reports confirmed in the inspector's grid (inspector scope).
    Missed = "missed",
    /// 不予受理/不予立案数.
    Rejected = "rejected",
    /// 作废数.
    Voided = "voided",
    /// 立案数 — filed (case scopes; the inspector's grid for inspectors; by the shift supervisor).
    Filed = "filed",
    /// 按时立案数 (shift supervisor).
    FiledOnTime = "filed_on_time",
    /// 立案后作废数 — voids of cases the shift supervisor filed.
    FiledThenVoided = "filed_then_voided",
    /// 派遣数 — dispatch events (re-dispatches included).
    Dispatches = "dispatches",
    /// 按时派遣数 (dispatcher).
    DispatchesOnTime = "dispatches_on_time",
    /// 错误派遣数 — dispatches later re-dispatched to another department.
    InaccurateDispatches = "inaccurate_dispatches",
    /// 转办数 — hotline cases dispatched for the first time.
    HotlineTransferred = "hotline_transferred",
    /// 热线受理数 — hotline reports.
    HotlineReceived = "hotline_received",
    /// 应回复数 — hotline cases reaching closed or rejected (once per case).
    HotlineReplyDue = "hotline_reply_due",
    /// 回复数 — hotline cases answered back (first reply).
    HotlineReplied = "hotline_replied",
    /// 处置反馈次数 — handling feedbacks, each round.
    Feedbacks = "feedbacks",
    /// Working minutes of handling (dispatch → feedback, suspension excluded), summed.
    HandlingMinutes = "handling_minutes",
    /// 处置数 — feedbacks minus reworks (a reworked feedback is taken back on the rework day).
    Handled = "handled",
    /// 按时处置数 — on-time feedbacks minus reworks of on-time feedbacks.
    HandledOnTime = "handled_on_time",
    /// 返工次数 — rework events.
    Reworks = "reworks",
    /// 结案数 — closes of dispatched cases.
    Closed = "closed",
    /// 按期结案数 — closes whose last feedback was on time.
    ClosedOnTime = "closed_on_time",
    /// 返工数 — closed cases that were reworked at least once.
    ClosedReworked = "closed_reworked",
    /// 自行处置结案数 — closes of self-handled cases never dispatched.
    ClosedSelfHandled = "closed_self_handled",
    /// Closes made (shift supervisor scope).
    Closes = "closes",
    /// 按时结案 — closes within the close node's limit (shift supervisor scope).
    ClosesOnTime = "closes_on_time",
    /// Handling clocks due on this day (keyed by the deadline's day; −1 when left in time).
    HandlingDue = "handling_due",
    /// Handling nodes left after their deadline (keyed by the day left).
    HandlingLeftLate = "handling_left_late",
    /// 受理数 — intake decisions (operator).
    Intake = "intake",
    /// 应发核实数 — verification tasks sent (operator).
    VerifySent = "verify_sent",
    /// 按时发核实数 (operator).
    VerifySentOnTime = "verify_sent_on_time",
    /// 应发核查数 — check tasks sent (operator).
    CheckSent = "check_sent",
    /// 按时发核查数 (operator).
    CheckSentOnTime = "check_sent_on_time",
    /// 应核实数 — verification tasks received (inspector).
    VerifyTasks = "verify_tasks",
    /// 核实数 (inspector).
    Verified = "verified",
    /// 按时核实数 (inspector).
    VerifiedOnTime = "verified_on_time",
    /// 应核查数 — check tasks received (inspector).
    CheckTasks = "check_tasks",
    /// 核查数 (inspector).
    Checked = "checked",
    /// 按时核查数 (inspector).
    CheckedOnTime = "checked_on_time",
    /// 评价数 — ratings (first per case).
    Rated = "rated",
    /// 满意数 — satisfied ratings.
    Satisfied = "satisfied",
}

/// Number of counters.
pub const COUNTER_COUNT: usize = Counter::ALL.len();

/// One value per [`Counter`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters(#[serde(with = "counter_array")] pub [i64; COUNTER_COUNT]);

mod counter_array {
    use super::{COUNTER_COUNT, Counter};
    use serde::de::Error;
    use serde::{Deserialize, Deserializer, Serializer};
    use std::collections::BTreeMap;

    pub fn serialize<S: Serializer>(v: &[i64; COUNTER_COUNT], s: S) -> Result<S::Ok, S::Error> {
        s.collect_map(
            Counter::ALL
                .iter()
                .zip(v.iter())
                .filter(|(_, n)| **n != 0)
                .map(|(c, n)| (c.as_str(), *n)),
        )
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[i64; COUNTER_COUNT], D::Error> {
        let map = BTreeMap::<String, i64>::deserialize(d)?;
        let mut out = [0; COUNTER_COUNT];
        for (k, v) in map {
            let c = Counter::parse(&k).ok_or_else(|| D::Error::custom(format!("counter {k}")))?;
            if let Some(slot) = out.get_mut(c as usize) {
                *slot = v;
            }
        }
        Ok(out)
    }
}

impl Default for Counters {
    fn default() -> Self {
        Counters([0; COUNTER_COUNT])
    }
}

impl Counters {
    /// The value of one counter.
    pub fn get(&self, c: Counter) -> i64 {
        self.0.get(c as usize).copied().unwrap_or(0)
    }

    /// Adds `delta` to one counter.
    pub fn add(&mut self, c: Counter, delta: i64) {
        if let Some(v) = self.0.get_mut(c as usize) {
            *v += delta;
        }
    }

    /// Adds every counter of `other`.
    pub fn add_all(&mut self, other: &Counters) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += *b;
        }
    }

    /// Whether every counter is zero.
    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }
}

/// One change the store applies: `UPDATE … SET v = v + delta WHERE day, scope, counter`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct Increment {
    pub day: Day,
    pub scope: Scope,
    pub counter: Counter,
    pub delta: i64,
}

/// A running handling clock counted in [`Counter::HandlingDue`]: its deadline and the scopes it
/// was counted in (so that it is taken back exactly where it was put).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueEntry {
    pub deadline: Timestamp,
    pub scopes: Vec<Scope>,
}

/// What the incremental path remembers about one case between its events. The store keeps it
/// with the case (a JSON column) and passes it to [`increments`] with each new event.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CaseTrack {
    /// The inspector who reported it, if an inspector did.
    pub reporter: Option<i64>,
    /// The shift supervisor who filed it.
    pub filer: Option<i64>,
    /// The last dispatch: (dispatcher, department).
    pub last_dispatch: Option<(i64, Option<i64>)>,
    pub valid_counted: bool,
    pub public_verified: bool,
    /// Start of the current handling round (dispatch or rework).
    pub round_start: Option<Timestamp>,
    /// Working milliseconds suspended in the current round.
    pub suspended_ms: i64,
    pub suspended_since: Option<Timestamp>,
    pub last_feedback_on_time: Option<bool>,
    pub reworked: bool,
    pub due: Option<DueEntry>,
    pub reply_due: bool,
    pub replied: bool,
    pub rated: bool,
}

/// The scopes a case-level counter goes to: the city, each known area level, the road chief
/// and the department (when set).
pub fn case_scopes(event: &AuditEvent) -> Vec<Scope> {
    let mut scopes = Vec::with_capacity(7);
    scopes.push(Scope::City);
    let a = &event.case.area;
    for code in [&a.district, &a.street, &a.community, &a.grid]
        .into_iter()
        .flatten()
    {
        scopes.push(Scope::Area { code: code.clone() });
    }
    if let Some(id) = event.case.road_chief_id {
        scopes.push(Scope::RoadChief { user_id: id });
    }
    if let Some(id) = event.case.department_id {
        scopes.push(Scope::Department { id });
    }
    scopes
}

/// Collects increments for one event.
struct Out<'a> {
    day: Day,
    case: &'a [Scope],
    list: Vec<Increment>,
}

impl Out<'_> {
    fn case(&mut self, counter: Counter, delta: i64) {
        for scope in self.case {
            self.list.push(Increment {
                day: self.day,
                scope: scope.clone(),
                counter,
                delta,
            });
        }
    }

    fn person(&mut self, role: Role, user_id: Option<i64>, counter: Counter, delta: i64) {
        if let Some(user_id) = user_id {
            self.list.push(Increment {
                day: self.day,
                scope: Scope::Person { role, user_id },
                counter,
                delta,
            });
        }
    }

    fn at(&mut self, day: Day, scopes: &[Scope], counter: Counter, delta: i64) {
        for scope in scopes {
            self.list.push(Increment {
                day,
                scope: scope.clone(),
                counter,
                delta,
            });
        }
    }
}

/// The counter increments of one event, updating the case's `track`. Events of one case must
/// come in order; cases may interleave freely. `calendar` converts handling time to working
/// minutes (use the same calendar for a recomputation).
pub fn increments(
    track: &mut CaseTrack,
    event: &AuditEvent,
    calendar: &WorkCalendar,
) -> Vec<Increment> {
    let scopes = case_scopes(event);
    let mut out = Out {
        day: Day::of(event.at),
        case: &scopes,
        list: Vec::new(),
    };
    let on_time = event.on_time().unwrap_or(true);
    let actor = Some(event.actor_id);
    let source = event.case.source;
    let b = i64::from;

    match &event.action {
        Action::Report | Action::ReportSelfHandled => {
            out.case(Counter::Reported, 1);
            if event.actor_role == Role::Inspector {
                track.reporter = actor;
                out.person(Role::Inspector, actor, Counter::Reported, 1);
            }
            if is_public_source(source) {
                out.case(Counter::PublicReported, 1);
            }
            if source == domain::workflow::Source::ThirdPartyInspection {
                out.case(Counter::ThirdPartyFindings, 1);
            }
            if is_hotline_source(source) {
                out.case(Counter::HotlineReceived, 1);
            }
        }
        Action::SendVerify { inspector_id } => {
            out.person(Role::Operator, actor, Counter::Intake, 1);
            out.person(Role::Operator, actor, Counter::VerifySent, 1);
            out.person(Role::Operator, actor, Counter::VerifySentOnTime, b(on_time));
            out.person(Role::Inspector, *inspector_id, Counter::VerifyTasks, 1);
        }
        Action::Accept => out.person(Role::Operator, actor, Counter::Intake, 1),
        Action::RejectReport | Action::Reject => {
            if event.action == Action::RejectReport {
                out.person(Role::Operator, actor, Counter::Intake, 1);
            }
            out.case(Counter::Rejected, 1);
        }
        Action::Verify { confirmed } => {
            out.person(Role::Inspector, actor, Counter::Verified, 1);
            out.person(Role::Inspector, actor, Counter::VerifiedOnTime, b(on_time));
            if *confirmed && is_public_source(source) && !track.public_verified {
                track.public_verified = true;
                out.case(Counter::PublicVerified, 1);
                out.person(
                    Role::Inspector,
                    event.case.grid_inspector_id,
                    Counter::Missed,
                    1,
                );
            }
        }
        Action::File => {
            track.filer = actor;
            out.case(Counter::Filed, 1);
            out.person(
                Role::Inspector,
                event.case.grid_inspector_id,
                Counter::Filed,
                1,
            );
            out.person(Role::ShiftSupervisor, actor, Counter::Filed, 1);
            out.person(
                Role::ShiftSupervisor,
                actor,
                Counter::FiledOnTime,
                b(on_time),
            );
            count_valid(track, &mut out);
        }
        Action::Dispatch { department_id } => {
            out.case(Counter::Dispatches, 1);
            out.person(Role::Dispatcher, actor, Counter::Dispatches, 1);
            out.person(
                Role::Dispatcher,
                actor,
                Counter::DispatchesOnTime,
                b(on_time),
            );
            match track.last_dispatch {
                Some((previous, dept)) if dept != *department_id => {
                    // The department scope that gets it is the one wrongly sent to.
                    let wrong: Vec<Scope> = inaccurate_scopes(&scopes, dept);
                    out.at(out.day, &wrong, Counter::InaccurateDispatches, 1);
                    out.person(
                        Role::Dispatcher,
                        Some(previous),
                        Counter::InaccurateDispatches,
                        1,
                    );
                }
                None if is_hotline_source(source) => out.case(Counter::HotlineTransferred, 1),
                _ => {}
            }
            track.last_dispatch = Some((event.actor_id, *department_id));
            start_round(track, event.at);
        }
        Action::ApproveSuspension => track.suspended_since = Some(event.at),
        Action::Resume => {
            if let Some(since) = track.suspended_since.take() {
                track.suspended_ms += calendar.working_millis_between(since, event.at).max(0);
            }
        }
        Action::Feedback => {
            out.case(Counter::Feedbacks, 1);
            out.case(Counter::Handled, 1);
            out.case(Counter::HandledOnTime, b(on_time));
            if let Some(start) = track.round_start {
                let ms = calendar.working_millis_between(start, event.at) - track.suspended_ms;
                out.case(Counter::HandlingMinutes, ms.max(0) / 60_000);
            }
            track.last_feedback_on_time = Some(on_time);
        }
        Action::SendCheck { inspector_id } => {
            out.person(Role::Operator, actor, Counter::CheckSent, 1);
            out.person(Role::Operator, actor, Counter::CheckSentOnTime, b(on_time));
            out.person(Role::Inspector, *inspector_id, Counter::CheckTasks, 1);
        }
        Action::Check { .. } => {
            out.person(Role::Inspector, actor, Counter::Checked, 1);
            out.person(Role::Inspector, actor, Counter::CheckedOnTime, b(on_time));
        }
        Action::Rework => {
            out.case(Counter::Reworks, 1);
            if let Some(was_on_time) = track.last_feedback_on_time.take() {
                out.case(Counter::Handled, -1);
                out.case(Counter::HandledOnTime, -b(was_on_time));
            }
            track.reworked = true;
            start_round(track, event.at);
        }
        Action::Close => {
            out.person(Role::ShiftSupervisor, actor, Counter::Closes, 1);
            out.person(
                Role::ShiftSupervisor,
                actor,
                Counter::ClosesOnTime,
                b(on_time),
            );
            if track.last_dispatch.is_some() {
                out.case(Counter::Closed, 1);
                out.case(
                    Counter::ClosedOnTime,
                    b(track.last_feedback_on_time == Some(true)),
                );
                out.case(Counter::ClosedReworked, b(track.reworked));
            } else {
                out.case(Counter::ClosedSelfHandled, 1);
                count_valid(track, &mut out);
            }
        }
        Action::ApproveVoid => {
            out.case(Counter::Voided, 1);
            out.person(
                Role::ShiftSupervisor,
                track.filer,
                Counter::FiledThenVoided,
                1,
            );
            count_valid(track, &mut out);
        }
        Action::Reply if is_hotline_source(source) && !track.replied => {
            track.replied = true;
            out.case(Counter::HotlineReplied, 1);
        }
        Action::Rate { satisfied } if !track.rated => {
            track.rated = true;
            out.case(Counter::Rated, 1);
            out.case(Counter::Satisfied, b(*satisfied));
        }
        _ => {}
    }
    // 回访不满意回退重办: an unsatisfied rating reopened the case; its closing (and the handling
    // it counted) is undone, and the department handles it again.
    if matches!(event.action, Action::Rate { .. })
        && event.to_state == CaseState::Dispatched
        && track.last_dispatch.is_some()
    {
        out.case(Counter::Closed, -1);
        out.case(
            Counter::ClosedOnTime,
            -b(track.last_feedback_on_time == Some(true)),
        );
        out.case(Counter::ClosedReworked, -b(track.reworked));
        if let Some(was_on_time) = track.last_feedback_on_time.take() {
            out.case(Counter::Handled, -1);
            out.case(Counter::HandledOnTime, -b(was_on_time));
        }
        start_round(track, event.at);
    }

    if is_hotline_source(source)
        && matches!(event.to_state, CaseState::Closed | CaseState::Rejected)
        && !track.reply_due
    {
        track.reply_due = true;
        out.case(Counter::HotlineReplyDue, 1);
    }

    reconcile_due(track, event, &mut out);
    out.list.retain(|i| i.delta != 0);
    out.list
}

/// The case scopes with the department replaced by `wrong_department` (where an inaccurate
/// dispatch is counted).
pub fn inaccurate_scopes(case_scopes: &[Scope], wrong_department: Option<i64>) -> Vec<Scope> {
    case_scopes
        .iter()
        .filter(|s| !matches!(s, Scope::Department { .. }))
        .cloned()
        .chain(wrong_department.map(|id| Scope::Department { id }))
        .collect()
}

fn count_valid(track: &mut CaseTrack, out: &mut Out<'_>) {
    if !track.valid_counted {
        track.valid_counted = true;
        out.case(Counter::ValidReports, 1);
        out.person(Role::Inspector, track.reporter, Counter::ValidReports, 1);
    }
}

fn start_round(track: &mut CaseTrack, at: Timestamp) {
    track.round_start = Some(at);
    track.suspended_ms = 0;
    track.suspended_since = None;
}

/// Keeps [`Counter::HandlingDue`] in step with the running handling clock: the clock that
/// should be counted after this event is the handling node's deadline when the case is in
/// handling. A clock that stops being counted is taken back from its deadline day if left in
/// time, else counted as left late on this day.
fn reconcile_due(track: &mut CaseTrack, event: &AuditEvent, out: &mut Out<'_>) {
    let wanted = if event.to_state == CaseState::Handling {
        event.deadline_after
    } else {
        None
    };
    if track.due.as_ref().map(|d| d.deadline) == wanted {
        return;
    }
    if let Some(old) = track.due.take() {
        if event.at <= old.deadline {
            out.at(Day::of(old.deadline), &old.scopes, Counter::HandlingDue, -1);
        } else {
            out.at(out.day, &old.scopes, Counter::HandlingLeftLate, 1);
        }
    }
    if let Some(deadline) = wanted {
        let scopes = out.case.to_vec();
        out.at(Day::of(deadline), &scopes, Counter::HandlingDue, 1);
        track.due = Some(DueEntry { deadline, scopes });
    }
}

/// The non-zero counters of one (scope, day) bucket, sorted by counter: most buckets (a grid,
/// a person) hold a handful, so this is much smaller than a dense [`Counters`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Bucket(Vec<(Counter, i64)>);

impl Bucket {
    fn add(&mut self, c: Counter, delta: i64) {
        match self.0.binary_search_by_key(&c, |(k, _)| *k) {
            Ok(i) => {
                if let Some((_, v)) = self.0.get_mut(i) {
                    *v += delta;
                }
            }
            Err(i) => self.0.insert(i, (c, delta)),
        }
    }

    fn add_into(&self, total: &mut Counters) {
        for (c, v) in &self.0 {
            total.add(*c, *v);
        }
    }

    fn get(&self, c: Counter) -> i64 {
        self.0
            .binary_search_by_key(&c, |(k, _)| *k)
            .ok()
            .and_then(|i| self.0.get(i))
            .map_or(0, |(_, v)| *v)
    }

    fn is_zero(&self) -> bool {
        self.0.iter().all(|(_, v)| *v == 0)
    }
}

/// Per-day counters of every scope.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Aggregates {
    by_scope: HashMap<Scope, BTreeMap<Day, Bucket>>,
}

impl Aggregates {
    /// Empty aggregates.
    pub fn new() -> Aggregates {
        Aggregates::default()
    }

    /// Applies one increment.
    pub fn add(&mut self, inc: &Increment) {
        if let Some(days) = self.by_scope.get_mut(&inc.scope) {
            days.entry(inc.day).or_default().add(inc.counter, inc.delta);
        } else {
            let mut bucket = Bucket::default();
            bucket.add(inc.counter, inc.delta);
            self.by_scope
                .insert(inc.scope.clone(), BTreeMap::from([(inc.day, bucket)]));
        }
    }

    /// Applies the increments of `event` and updates `track` (see [`increments`]).
    pub fn apply(&mut self, track: &mut CaseTrack, event: &AuditEvent, calendar: &WorkCalendar) {
        for inc in increments(track, event, calendar) {
            self.add(&inc);
        }
    }

    /// The counters of `scope` summed over `period`.
    pub fn sum(&self, scope: &Scope, period: Period) -> Counters {
        let mut total = Counters::default();
        if let Some(days) = self.by_scope.get(scope) {
            for (_, b) in days.range(period.first..=period.last) {
                b.add_into(&mut total);
            }
        }
        total
    }

    /// 超期未处置数 — cases in handling past their deadline at the end of `day`:
    /// Σ over all days ≤ `day` of `handling_due − handling_left_late`.
    pub fn overdue_open(&self, scope: &Scope, day: Day) -> i64 {
        self.by_scope.get(scope).map_or(0, |days| {
            days.range(..=day)
                .map(|(_, b)| b.get(Counter::HandlingDue) - b.get(Counter::HandlingLeftLate))
                .sum()
        })
    }

    /// The counters of one scope on one day.
    pub fn day(&self, scope: &Scope, day: Day) -> Counters {
        let mut c = Counters::default();
        if let Some(b) = self.by_scope.get(scope).and_then(|d| d.get(&day)) {
            b.add_into(&mut c);
        }
        c
    }

    /// Every scope of a family with any counter, sorted.
    pub fn scopes(&self, kind: ScopeKind) -> Vec<Scope> {
        let mut v: Vec<Scope> = self
            .by_scope
            .keys()
            .filter(|s| s.kind() == kind)
            .cloned()
            .collect();
        v.sort();
        v
    }

    /// Drops zero counters, all-zero day buckets and empty scopes (a +1 then −1 leaves a zero),
    /// so that two aggregates with the same sums compare equal.
    pub fn normalized(mut self) -> Aggregates {
        for days in self.by_scope.values_mut() {
            for b in days.values_mut() {
                b.0.retain(|(_, v)| *v != 0);
            }
            days.retain(|_, b| !b.is_zero());
        }
        self.by_scope.retain(|_, d| !d.is_empty());
        self
    }

    /// Every (scope, day, counters) bucket, sorted — e.g. to persist or compare.
    pub fn buckets(&self) -> Vec<(Scope, Day, Counters)> {
        let mut v: Vec<(Scope, Day, Counters)> = self
            .by_scope
            .iter()
            .flat_map(|(s, days)| {
                days.iter().map(|(d, b)| {
                    let mut c = Counters::default();
                    b.add_into(&mut c);
                    (s.clone(), *d, c)
                })
            })
            .collect();
        v.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        v
    }

    /// Number of (scope, day) buckets held.
    pub fn bucket_count(&self) -> usize {
        self.by_scope.values().map(BTreeMap::len).sum()
    }
}

/// Aggregates plus the per-case tracks: the whole incremental state in memory (the store keeps
/// the same two things in tables).
#[derive(Clone, Debug, Default)]
pub struct Tracker {
    pub aggregates: Aggregates,
    pub tracks: HashMap<i64, CaseTrack>,
}

impl Tracker {
    /// Applies one event of any case.
    pub fn apply(&mut self, event: &AuditEvent, calendar: &WorkCalendar) {
        let track = self.tracks.entry(event.case_id).or_default();
        self.aggregates.apply(track, event, calendar);
    }
}
