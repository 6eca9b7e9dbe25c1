//! Automatic assessment 考核自动化 in the database: the per-day additive counters, kept **in the
//! transaction of every case write**, and the rest of the assessment's state (flag history, cycle
//! tasks, the practical-matters list).
//!
//! # How the counters stay in step
//!
//! The store computes the increments itself, with the pure [`assessment`] crate, inside the
//! transaction that writes the case row and its audit event ([`Store::insert_case`],
//! [`Store::apply_transition`], [`Store::import_cases`]). Callers change nothing. In that
//! transaction it reads what the event needs besides the [`domain::workflow::Transition`]:
//!
//! - the case's `node_deadline_at` **before** the update (the deadline of the node being left);
//! - the road chief 路长 of the case's road (`roads.chief_id`) and the inspector 监督员 of its unit
//!   grid (the lowest user id with an `inspector` grant on the grid code);
//! - the case's [`assessment::CaseTrack`] (table `assessment_tracks`);
//!
//! then runs [`assessment::increments`], adds each delta with one
//! `INSERT … ON CONFLICT DO UPDATE SET value = value + delta`, stores the new track, and records
//! the facts the event was counted with (`assessment_event_facts`: both deadlines and the
//! [`assessment::CaseFacts`]), so that [`Store::assessment_recompute`] rebuilds exactly what the
//! incremental path saw. A version conflict or any failure rolls the counters back with the case.
//!
//! Working minutes of handling are measured in the calendar set with
//! [`Store::set_assessment_calendar`] (the node's rules; the built-in calendar until set). A
//! recomputation uses the calendar it is given: after an edit of the calendar, average handling
//! times recomputed differ from the incremental ones by the edit, nothing else does.
//!
//! # Reading
//!
//! A period query sums the counters of one scope family over the period's days (one index range)
//! plus the overdue stock before the period, and returns an [`Aggregates`] holding exactly those
//! sums, so every indicator, score, ranking and flag is computed by the pure crate.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use assessment::counters::{Aggregates, CaseTrack, Counter, Increment};
use assessment::cycle::CycleRule;
use assessment::event::{Action, AuditEvent, CaseFacts};
use assessment::flags::FlagRecord;
use assessment::matters::{Category, Item, MatterStatus, Milestone, ProgressUpdate};
use assessment::scope::{Day, Period, Scope, ScopeKind};
use chrono::{Datelike, NaiveDate};
use domain::area::{AreaCode, AreaLevel, AreaPath};
use domain::calendar::WorkCalendar;
use domain::org::Role;
use domain::time::Timestamp;
use domain::workflow::{CaseState, Source, Transition};
use serde::{Deserialize, Serialize};

use crate::rows::{Arg, RowExt, bind_args};
use crate::{Store, StoreError, on_read, on_write};

/// The calendar slot shared by every clone of a [`Store`].
#[derive(Clone, Debug)]
pub(crate) struct CalendarSlot(Arc<RwLock<Arc<WorkCalendar>>>);

impl Default for CalendarSlot {
    fn default() -> Self {
        CalendarSlot(Arc::new(RwLock::new(Arc::new(WorkCalendar::builtin()))))
    }
}

impl CalendarSlot {
    fn get(&self) -> Arc<WorkCalendar> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }

    fn set(&self, cal: Arc<WorkCalendar>) {
        match self.0.write() {
            Ok(mut g) => *g = cal,
            Err(poisoned) => *poisoned.into_inner() = cal,
        }
    }
}

/// The storage kind of a scope family: `city`, `district` … `grid`, `department`,
/// `road_chief`, or the role (`inspector`, `operator`, `shift_supervisor`, `dispatcher`).
pub fn scope_kind_str(kind: ScopeKind) -> &'static str {
    match kind {
        ScopeKind::City => "city",
        ScopeKind::Area(level) => level.as_str(),
        ScopeKind::Department => "department",
        ScopeKind::RoadChief => "road_chief",
        ScopeKind::Person(role) => role.as_str(),
    }
}

/// Parses [`scope_kind_str`]. Only the assessed roles are person families.
pub fn parse_scope_kind(s: &str) -> Option<ScopeKind> {
    Some(match s {
        "city" => ScopeKind::City,
        "district" => ScopeKind::Area(AreaLevel::District),
        "street" => ScopeKind::Area(AreaLevel::Street),
        "community" => ScopeKind::Area(AreaLevel::Community),
        "grid" => ScopeKind::Area(AreaLevel::Grid),
        "department" => ScopeKind::Department,
        "road_chief" => ScopeKind::RoadChief,
        "inspector" => ScopeKind::Person(Role::Inspector),
        "operator" => ScopeKind::Person(Role::Operator),
        "shift_supervisor" => ScopeKind::Person(Role::ShiftSupervisor),
        "dispatcher" => ScopeKind::Person(Role::Dispatcher),
        _ => return None,
    })
}

/// A scope as its storage (kind, id): the city's id is empty.
pub fn scope_parts(scope: &Scope) -> (&'static str, String) {
    let kind = scope_kind_str(scope.kind());
    let id = match scope {
        Scope::City => String::new(),
        Scope::Area { code } => code.as_str().to_owned(),
        Scope::Department { id } => id.to_string(),
        Scope::Person { user_id, .. } | Scope::RoadChief { user_id } => user_id.to_string(),
    };
    (kind, id)
}

/// Parses a scope from its storage (kind, id).
pub fn scope_from_parts(kind: ScopeKind, id: &str) -> Option<Scope> {
    Some(match kind {
        ScopeKind::City => Scope::City,
        ScopeKind::Area(level) => {
            let code = AreaCode::parse(id).ok()?;
            if code.level() != level {
                return None;
            }
            Scope::Area { code }
        }
        ScopeKind::Department => Scope::Department {
            id: id.parse().ok()?,
        },
        ScopeKind::RoadChief => Scope::RoadChief {
            user_id: id.parse().ok()?,
        },
        ScopeKind::Person(role) => Scope::Person {
            role,
            user_id: id.parse().ok()?,
        },
    })
}

/// What an event was counted with besides its `case_events` row (stored as JSON per event).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
struct EventFacts {
    deadline_before: Option<Timestamp>,
    deadline_after: Option<Timestamp>,
    case: CaseFacts,
}

/// The part of an event's assessment known before the transaction (from the transition).
#[derive(Clone, Debug)]
pub(crate) struct AssessInput {
    calendar: Arc<WorkCalendar>,
    event: AuditEvent,
    road_id: Option<String>,
    grid_code: Option<String>,
}

/// Reads of the transaction, statement texts shared by both backends and the writer thread.
pub(crate) const CHIEF_SQL: &str = "SELECT chief_id FROM roads WHERE id = $1";
pub(crate) const INSPECTOR_SQL: &str = "SELECT user_id FROM user_roles WHERE role = 'inspector' AND area_code = $1 ORDER BY user_id LIMIT 1";
pub(crate) const TRACK_SQL: &str = "SELECT track FROM assessment_tracks WHERE case_id = $1";
pub(crate) const UPSERT_COUNTER_SQL: &str = "INSERT INTO assessment_counters (scope_kind, day, scope_id, counter, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope_kind, day, scope_id, counter) DO UPDATE SET value = assessment_counters.value + excluded.value";
pub(crate) const UPSERT_MONTHLY_SQL: &str = "INSERT INTO assessment_counters_monthly (scope_kind, month, scope_id, counter, value) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (scope_kind, month, scope_id, counter) DO UPDATE SET value = assessment_counters_monthly.value + excluded.value";
pub(crate) const UPSERT_TRACK_SQL: &str = "INSERT INTO assessment_tracks (case_id, track, updated_at) VALUES ($1, $2, $3) ON CONFLICT (case_id) DO UPDATE SET track = excluded.track, updated_at = excluded.updated_at";
pub(crate) const INSERT_FACTS_SQL: &str =
    "INSERT INTO assessment_event_facts (event_id, case_id, facts) VALUES ($1, $2, $3)";

/// The writes of one event: counter upserts, the track upsert and the facts insert, each as
/// (statement, arguments).
pub(crate) type Writes = Vec<(&'static str, Vec<Arg>)>;

impl AssessInput {
    /// Everything known from the transition itself.
    pub(crate) fn new(store: &Store, t: &Transition) -> AssessInput {
        let c = &t.case;
        let e = &t.event;
        AssessInput {
            calendar: store.assess_calendar.get(),
            event: AuditEvent {
                case_id: c.id,
                at: e.at,
                action: Action::from_row(e.action, &e.data),
                actor_id: e.actor_id,
                actor_role: e.actor_role,
                from_state: e.from_state,
                to_state: e.to_state,
                deadline_before: None,
                deadline_after: c.clock.as_ref().and_then(|k| k.deadline_at),
                case: CaseFacts {
                    source: c.source,
                    area: c.area.clone(),
                    department_id: c.department_id,
                    road_chief_id: None,
                    grid_inspector_id: None,
                },
            },
            road_id: c.road_id.clone(),
            grid_code: c.area.grid.as_ref().map(|g| g.as_str().to_owned()),
        }
    }

    pub(crate) fn road_id(&self) -> Option<&str> {
        self.road_id.as_deref()
    }

    pub(crate) fn grid_code(&self) -> Option<&str> {
        self.grid_code.as_deref()
    }

    /// Completes the event with what the transaction read, computes its increments and returns
    /// the writes. `case_id` is the stored case's id (new cases get it in the transaction).
    pub(crate) fn writes(
        mut self,
        case_id: i64,
        event_id: i64,
        deadline_before: Option<i64>,
        road_chief: Option<i64>,
        grid_inspector: Option<i64>,
        track: Option<String>,
    ) -> Result<Writes, StoreError> {
        let ev = &mut self.event;
        ev.case_id = case_id;
        ev.deadline_before = deadline_before.map(Timestamp);
        ev.case.road_chief_id = road_chief;
        ev.case.grid_inspector_id = grid_inspector;
        let mut track: CaseTrack = match track {
            Some(t) => serde_json::from_str(&t)?,
            None => CaseTrack::default(),
        };
        let incs = assessment::increments(&mut track, ev, &self.calendar);
        let mut out = counter_writes(&incs);
        out.push((
            UPSERT_TRACK_SQL,
            vec![
                case_id.into(),
                serde_json::to_string(&track)?.into(),
                ev.at.0.into(),
            ],
        ));
        let facts = EventFacts {
            deadline_before: ev.deadline_before,
            deadline_after: ev.deadline_after,
            case: ev.case.clone(),
        };
        out.push((
            INSERT_FACTS_SQL,
            vec![
                event_id.into(),
                case_id.into(),
                serde_json::to_string(&facts)?.into(),
            ],
        ));
        Ok(out)
    }
}

/// (scope kind, scope id, day, counter): the primary key of a counter row.
type CounterKey = (&'static str, String, i32, &'static str);

/// Counter upserts for increments, merged by (scope, day, counter) and without zero deltas.
fn counter_writes(incs: &[Increment]) -> Writes {
    let mut merged: Vec<(CounterKey, i64)> = Vec::new();
    let mut index: HashMap<CounterKey, usize> = HashMap::new();
    for inc in incs {
        let (kind, id) = scope_parts(&inc.scope);
        let key = (kind, id, inc.day.0, inc.counter.as_str());
        match index.get(&key) {
            Some(&i) => {
                if let Some(slot) = merged.get_mut(i) {
                    slot.1 += inc.delta;
                }
            }
            None => {
                index.insert(key.clone(), merged.len());
                merged.push((key, inc.delta));
            }
        }
    }
    // One global order of row locks, so concurrent PostgreSQL transactions updating the same
    // counters wait for each other instead of deadlocking.
    merged.sort_by(|a, b| a.0.cmp(&b.0));
    let mut by_month: HashMap<CounterKey, i64> = HashMap::new();
    for ((kind, id, day, counter), delta) in &merged {
        *by_month
            .entry((*kind, id.clone(), month_index(Day(*day)), *counter))
            .or_insert(0) += *delta;
    }
    let mut monthly: Vec<(CounterKey, i64)> = by_month.into_iter().collect();
    monthly.sort_by(|a, b| a.0.cmp(&b.0));
    let rows = |sql: &'static str, list: Vec<(CounterKey, i64)>| {
        list.into_iter()
            .filter(|(_, d)| *d != 0)
            .map(move |((kind, id, at, counter), delta)| {
                (
                    sql,
                    vec![
                        kind.into(),
                        i64::from(at).into(),
                        id.into(),
                        counter.into(),
                        delta.into(),
                    ],
                )
            })
    };
    rows(UPSERT_COUNTER_SQL, merged)
        .chain(rows(UPSERT_MONTHLY_SQL, monthly))
        .collect()
}

/// The month of a day as `year * 12 + month - 1` (the `month` column of the monthly table).
pub fn month_index(day: Day) -> i32 {
    let d = day.date();
    d.year() * 12 + i32::try_from(d.month0()).unwrap_or(0)
}

/// Whether a period is whole calendar months (then the monthly table answers it).
fn month_aligned(period: Period) -> bool {
    period.first.date().day() == 1 && period.last.plus(1).date().day() == 1
}

/// Runs the assessment of one event inside an open sqlx transaction `$tx` (either backend):
/// `$input` is an [`AssessInput`], `$deadline_before` the case's deadline read before the update.
macro_rules! assess_in_tx {
    ($tx:ident, $input:expr, $case_id:expr, $event_id:expr, $deadline_before:expr) => {{
        let input: $crate::assessment::AssessInput = $input;
        let chief: Option<i64> = match input.road_id() {
            Some(r) => sqlx::query_scalar::<_, Option<i64>>($crate::assessment::CHIEF_SQL)
                .bind(r.to_owned())
                .fetch_optional(&mut *$tx)
                .await?
                .flatten(),
            None => None,
        };
        let inspector: Option<i64> = match input.grid_code() {
            Some(g) => {
                sqlx::query_scalar::<_, i64>($crate::assessment::INSPECTOR_SQL)
                    .bind(g.to_owned())
                    .fetch_optional(&mut *$tx)
                    .await?
            }
            None => None,
        };
        let track: Option<String> = sqlx::query_scalar($crate::assessment::TRACK_SQL)
            .bind($case_id)
            .fetch_optional(&mut *$tx)
            .await?;
        let writes = input.writes(
            $case_id,
            $event_id,
            $deadline_before,
            chief,
            inspector,
            track,
        )?;
        for (sql, args) in &writes {
            $crate::rows::bind_args!(sqlx::query(*sql), args)
                .execute(&mut *$tx)
                .await?;
        }
    }};
}
pub(crate) use assess_in_tx;

/// The same as [`assess_in_tx`] on the SQLite writer thread's own connection, except that the
/// counter upserts are added to `counters` (written once per batch by the writer, see
/// [`CounterDeltas`]) instead of being executed here.
pub(crate) fn assess_rusqlite(
    conn: &rusqlite::Connection,
    input: AssessInput,
    case_id: i64,
    event_id: i64,
    deadline_before: Option<i64>,
    counters: &mut CounterDeltas,
) -> Result<(), StoreError> {
    use crate::batch::numbered;
    use rusqlite::OptionalExtension;
    let chief: Option<i64> = match input.road_id() {
        Some(r) => conn
            .prepare_cached(&numbered(CHIEF_SQL))?
            .query_row([r], |row| row.get::<_, Option<i64>>(0))
            .optional()?
            .flatten(),
        None => None,
    };
    let inspector: Option<i64> = match input.grid_code() {
        Some(g) => conn
            .prepare_cached(&numbered(INSPECTOR_SQL))?
            .query_row([g], |row| row.get::<_, i64>(0))
            .optional()?,
        None => None,
    };
    let track: Option<String> = conn
        .prepare_cached(&numbered(TRACK_SQL))?
        .query_row([case_id], |row| row.get::<_, String>(0))
        .optional()?;
    let writes = input.writes(case_id, event_id, deadline_before, chief, inspector, track)?;
    for (sql, args) in writes {
        if !counters.add(sql, &args) {
            conn.prepare_cached(&numbered(sql))?
                .execute(rusqlite::params_from_iter(args.iter()))?;
        }
    }
    Ok(())
}

/// The counter upserts of many events, summed per counter row (SQLite writer thread).
///
/// Counters are only ever added to, and nothing in a batch reads them, so the writer sums the
/// deltas of every job it keeps and writes each touched row once, just before the commit: one
/// upsert per (scope, day or month, counter) per batch instead of one per event (a transition
/// touches some twenty rows, most of them — city, district, street, the day, the month — the
/// same for every job of a batch). The rows are those and the values those that one upsert per
/// event would leave: a row is written when any job's own delta for it was not zero, even if the
/// deltas cancel out. A job undone to its savepoint never adds its deltas; a failure writing
/// them fails the whole batch, so counters commit exactly with their events.
#[derive(Debug, Default)]
pub(crate) struct CounterDeltas {
    sums: HashMap<(bool, String, i64, String, String), i64>,
}

impl CounterDeltas {
    /// Takes a counter upsert of [`counter_writes`]; `false` for any other statement.
    fn add(&mut self, sql: &'static str, args: &[Arg]) -> bool {
        let monthly = if sql == UPSERT_MONTHLY_SQL {
            true
        } else if sql == UPSERT_COUNTER_SQL {
            false
        } else {
            return false;
        };
        let [
            Arg::Text(Some(kind)),
            Arg::I64(Some(at)),
            Arg::Text(Some(id)),
            Arg::Text(Some(counter)),
            Arg::I64(Some(delta)),
        ] = args
        else {
            return false;
        };
        *self
            .sums
            .entry((monthly, kind.clone(), *at, id.clone(), counter.clone()))
            .or_insert(0) += *delta;
        true
    }

    /// Adds another set of deltas (a job that was kept).
    pub(crate) fn absorb(&mut self, other: CounterDeltas) {
        if self.sums.is_empty() {
            self.sums = other.sums;
            return;
        }
        for (k, d) in other.sums {
            *self.sums.entry(k).or_insert(0) += d;
        }
    }

    /// Writes the summed rows, in key order.
    pub(crate) fn write(self, conn: &rusqlite::Connection) -> Result<(), StoreError> {
        use crate::batch::numbered;
        let mut rows: Vec<_> = self.sums.into_iter().collect();
        rows.sort_unstable();
        for ((monthly, kind, at, id, counter), delta) in rows {
            let sql = if monthly {
                UPSERT_MONTHLY_SQL
            } else {
                UPSERT_COUNTER_SQL
            };
            conn.prepare_cached(&numbered(sql))?
                .execute(rusqlite::params![kind, at, id, counter, delta])?;
        }
        Ok(())
    }
}

/// What [`Store::rebuild_assessment`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// Audit events read.
    pub events: usize,
    /// Cases seen.
    pub cases: usize,
    /// (scope, day) buckets written.
    pub buckets: usize,
    /// Buckets whose stored (incremental) counters differed from the recomputation before the
    /// rebuild; 0 means the incremental aggregates were exact.
    pub differing_buckets: usize,
}

/// A cycle task 周期案件: a rule, the inspector who gets its tasks, and up to when its schedule
/// has been turned into tasks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CycleTask {
    pub rule: CycleRule,
    pub inspector_id: i64,
    pub active: bool,
    /// Occurrences up to this instant have been created.
    pub checked_to: Timestamp,
    pub created_by: i64,
    pub created_at: Timestamp,
}

/// One task made by a cycle task for its inspector.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CycleRun {
    pub task_id: i64,
    pub due_at: Timestamp,
    pub inspector_id: i64,
    pub created_at: Timestamp,
    /// The 周期案件 made for this occurrence, once made.
    pub case_id: Option<i64>,
    /// That case's state (in lists).
    pub case_state: Option<CaseState>,
}

/// An occurrence of a cycle task whose case is still to be made, with its rule.
#[derive(Clone, Debug, PartialEq)]
pub struct CycleRunDue {
    pub run: CycleRun,
    pub rule: CycleRule,
}

/// How long a node's claim on a run lasts before another node may take it over.
pub const CYCLE_CLAIM_MS: i64 = 120_000;

/// A new practical-matters item 实事项目.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewMatter {
    pub category_id: i64,
    pub title: String,
    pub plan: String,
    pub measures: Vec<String>,
    pub owner_department_id: i64,
    pub milestones: Vec<Milestone>,
}

fn text_arg(v: &impl Serialize) -> Result<Arg, StoreError> {
    Ok(serde_json::to_string(v)?.into())
}

fn status_str(s: MatterStatus) -> &'static str {
    match s {
        MatterStatus::Planned => "planned",
        MatterStatus::InProgress => "in_progress",
        MatterStatus::Done => "done",
    }
}

fn parse_status(s: &str) -> Result<MatterStatus, StoreError> {
    match s {
        "planned" => Ok(MatterStatus::Planned),
        "in_progress" => Ok(MatterStatus::InProgress),
        "done" => Ok(MatterStatus::Done),
        _ => Err(StoreError::Corrupt(format!("matter status {s:?}"))),
    }
}

fn date_of(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

/// Decodes one `case_events` row joined with its facts (or, for events written before the
/// assessment existed, with its case row).
fn audit_event_from_row(r: &impl RowExt) -> Result<AuditEvent, StoreError> {
    let action = r.text("action")?;
    let data: serde_json::Value = serde_json::from_str(&r.text("data")?)?;
    let role = r.text("actor_role")?;
    let to = r.text("to_state")?;
    let from = match r.opt_text("from_state")? {
        Some(f) => Some(CaseState::parse(&f).ok_or_else(|| corrupt("state", &f))?),
        None => None,
    };
    let facts = match r.opt_text("facts")? {
        Some(f) => serde_json::from_str::<EventFacts>(&f)?,
        None => {
            let source = r.text("source")?;
            let code = |col: &str| -> Result<Option<AreaCode>, StoreError> {
                r.opt_text(col)?
                    .map(|c| AreaCode::parse(&c).map_err(|e| StoreError::Corrupt(e.to_string())))
                    .transpose()
            };
            EventFacts {
                deadline_before: None,
                deadline_after: None,
                case: CaseFacts {
                    source: Source::parse(&source).ok_or_else(|| corrupt("source", &source))?,
                    area: AreaPath {
                        district: code("district_code")?,
                        street: code("street_code")?,
                        community: code("community_code")?,
                        grid: code("grid_code")?,
                    },
                    department_id: r.opt_i64("department_id")?,
                    road_chief_id: None,
                    grid_inspector_id: None,
                },
            }
        }
    };
    Ok(AuditEvent {
        case_id: r.i64("case_id")?,
        at: Timestamp(r.i64("at")?),
        action: Action::from_row(&action, &data),
        actor_id: r.i64("actor_id")?,
        actor_role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        from_state: from,
        to_state: CaseState::parse(&to).ok_or_else(|| corrupt("state", &to))?,
        deadline_before: facts.deadline_before,
        deadline_after: facts.deadline_after,
        case: facts.case,
    })
}

const TRAIL_SQL: &str = "SELECT e.case_id, e.action, e.actor_id, e.actor_role, e.from_state, e.to_state, e.data, e.at,
       f.facts, c.source, c.district_code, c.street_code, c.community_code, c.grid_code, c.department_id
  FROM case_events e
  JOIN cases c ON c.id = e.case_id
  LEFT JOIN assessment_event_facts f ON f.event_id = e.id
 ORDER BY e.case_id, e.id";

/// SQLite: a month-aligned period read on a pooled `rusqlite` connection on a blocking thread.
///
/// A grid ranking reads ~80,000 counter rows (5,000 grids × 16 counters); through sqlx every row
/// crosses a thread and is decoded into an owned row, which took most of the ~500 ms the query
/// needed (BENCHMARKS.md). Here the rows are stepped in place. The overdue stock before the
/// period comes back as one net `handling_due − handling_left_late` per scope (all the
/// indicators read of it), grouped along the `assessment_counters_monthly_net` index without a
/// sort.
async fn month_period_rusqlite(
    inline: Arc<crate::inline::InlineReaders>,
    kind: ScopeKind,
    k: &'static str,
    m1: i64,
    m2: i64,
    period: Period,
) -> Result<Aggregates, StoreError> {
    let before = period.first.plus(-1);
    tokio::task::spawn_blocking(move || {
        inline.with(|c| {
            let mut agg = Aggregates::new();
            // Rows come grouped by scope: parse each scope id once.
            let mut last: Option<(String, Scope)> = None;
            let mut scope_of = |id: &str| -> Result<Scope, StoreError> {
                if let Some((prev, scope)) = &last
                    && prev == id
                {
                    return Ok(scope.clone());
                }
                let scope = scope_from_parts(kind, id).ok_or_else(|| corrupt("scope", id))?;
                last = Some((id.to_owned(), scope.clone()));
                Ok(scope)
            };
            // One month: a primary-key range read as stored (each scope and counter has one row),
            // no grouping. Several: summed per scope and counter.
            let mut q = if m1 == m2 {
                c.prepare_cached(
                    "SELECT scope_id, counter, value FROM assessment_counters_monthly
                      WHERE scope_kind = ?1 AND month = ?2 AND ?3 = ?2",
                )?
            } else {
                c.prepare_cached(
                    "SELECT scope_id, counter, SUM(value) FROM assessment_counters_monthly
                      WHERE scope_kind = ?1 AND month >= ?2 AND month <= ?3 GROUP BY scope_id, counter",
                )?
            };
            let mut rows = q.query(rusqlite::params![k, m1, m2])?;
            while let Some(r) = rows.next()? {
                let id = r.get_ref(0)?.as_str().map_err(|e| corrupt("scope", &e.to_string()))?;
                let scope = scope_of(id)?;
                let name = r.get_ref(1)?.as_str().map_err(|e| corrupt("counter", &e.to_string()))?;
                let counter = Counter::parse(name).ok_or_else(|| corrupt("counter", name))?;
                let delta: i64 = r.get(2)?;
                if delta != 0 {
                    agg.add(&Increment { day: period.first, scope, counter, delta });
                }
            }
            let mut q = c.prepare_cached(
                "SELECT scope_id, SUM(CASE counter WHEN 'handling_due' THEN value ELSE -value END)
                   FROM assessment_counters_monthly INDEXED BY assessment_counters_monthly_net
                  WHERE scope_kind = ?1 AND counter IN ('handling_due', 'handling_left_late') AND month < ?2
                  GROUP BY scope_id",
            )?;
            let mut rows = q.query(rusqlite::params![k, m1])?;
            while let Some(r) = rows.next()? {
                let id = r.get_ref(0)?.as_str().map_err(|e| corrupt("scope", &e.to_string()))?;
                let delta: i64 = r.get(1)?;
                if delta != 0 {
                    let scope = scope_of(id)?;
                    agg.add(&Increment { day: before, scope, counter: Counter::HandlingDue, delta });
                }
            }
            Ok(agg.normalized())
        })
    })
    .await
    .map_err(|e| StoreError::Corrupt(format!("assessment read task: {e}")))?
}

fn cycle_run_of(r: &impl RowExt) -> Result<CycleRun, StoreError> {
    Ok(CycleRun {
        task_id: r.i64("task_id")?,
        due_at: Timestamp(r.i64("due_at")?),
        inspector_id: r.i64("inspector_id")?,
        created_at: Timestamp(r.i64("created_at")?),
        case_id: r.opt_i64("case_id")?,
        case_state: match r.opt_text("case_state") {
            Ok(Some(s)) => Some(CaseState::parse(&s).ok_or_else(|| corrupt("state", &s))?),
            // Queries without the join.
            Ok(None) | Err(_) => None,
        },
    })
}

fn add_row(
    agg: &mut Aggregates,
    kind: ScopeKind,
    r: &impl RowExt,
    day: Day,
) -> Result<(), StoreError> {
    let id = r.text("scope_id")?;
    let counter = r.text("counter")?;
    let scope = scope_from_parts(kind, &id).ok_or_else(|| corrupt("scope", &id))?;
    let counter = Counter::parse(&counter).ok_or_else(|| corrupt("counter", &counter))?;
    agg.add(&Increment {
        day,
        scope,
        counter,
        delta: r.i64("v")?,
    });
    Ok(())
}

impl Store {
    /// Sets the working calendar handling time is counted in (call when the node's rules load).
    pub fn set_assessment_calendar(&self, calendar: Arc<WorkCalendar>) {
        self.assess_calendar.set(calendar);
    }

    /// The working calendar handling time is counted in.
    pub fn assessment_calendar(&self) -> Arc<WorkCalendar> {
        self.assess_calendar.get()
    }

    /// The counters of every scope of `kind` summed over `period`, plus the overdue stock before
    /// it: an [`Aggregates`] on which [`assessment::Indicators::of`],
    /// [`assessment::scores::rank_scopes`] and [`assessment::flags::weekly_review`] give the
    /// period's values (ask them for exactly `period`). Two index range reads.
    ///
    /// # Errors
    /// Database failure; a stored scope or counter this build does not know.
    pub async fn assessment_period(
        &self,
        kind: ScopeKind,
        period: Period,
    ) -> Result<Aggregates, StoreError> {
        let k = scope_kind_str(kind);
        let mut agg = Aggregates::new();
        if month_aligned(period) {
            let (m1, m2) = (
                i64::from(month_index(period.first)),
                i64::from(month_index(period.last)),
            );
            if let Some(inline) = self.inline.clone() {
                return month_period_rusqlite(inline, kind, k, m1, m2, period).await;
            }
            on_read!(self, p => {
                let rows = sqlx::query(
                    "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters_monthly
                     WHERE scope_kind = $1 AND month >= $2 AND month <= $3 GROUP BY scope_id, counter",
                )
                .bind(k).bind(m1).bind(m2)
                .fetch_all(p).await?;
                for r in &rows {
                    add_row(&mut agg, kind, r, period.first)?;
                }
                let rows = sqlx::query(
                    "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters_monthly
                     WHERE scope_kind = $1 AND counter IN ('handling_due', 'handling_left_late') AND month < $2
                     GROUP BY scope_id, counter",
                )
                .bind(k).bind(m1)
                .fetch_all(p).await?;
                for r in &rows {
                    add_row(&mut agg, kind, r, period.first.plus(-1))?;
                }
            });
            return Ok(agg.normalized());
        }
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters
                 WHERE scope_kind = $1 AND day >= $2 AND day <= $3 GROUP BY scope_id, counter",
            )
            .bind(k).bind(i64::from(period.first.0)).bind(i64::from(period.last.0))
            .fetch_all(p).await?;
            for r in &rows {
                add_row(&mut agg, kind, r, period.first)?;
            }
            // The stock before the period: whole months from the monthly table, the days of
            // the period's first month before it from the daily one.
            let first_month = month_index(period.first);
            let month_start = Day::from_date(period.first.date().with_day(1).unwrap_or(period.first.date()));
            let mut rows = sqlx::query(
                "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters_monthly
                 WHERE scope_kind = $1 AND counter IN ('handling_due', 'handling_left_late') AND month < $2
                 GROUP BY scope_id, counter",
            )
            .bind(k).bind(i64::from(first_month))
            .fetch_all(p).await?;
            rows.extend(sqlx::query(
                "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters
                 WHERE scope_kind = $1 AND counter IN ('handling_due', 'handling_left_late') AND day >= $2 AND day < $3
                 GROUP BY scope_id, counter",
            )
            .bind(k).bind(i64::from(month_start.0)).bind(i64::from(period.first.0))
            .fetch_all(p).await?);
            for r in &rows {
                add_row(&mut agg, kind, r, period.first.plus(-1))?;
            }
        });
        Ok(agg.normalized())
    }

    /// The daily counters of one scope over `period` plus its overdue stock before it, for
    /// [`assessment::report::daily_series`].
    ///
    /// # Errors
    /// Database failure.
    pub async fn assessment_days(
        &self,
        scope: &Scope,
        period: Period,
    ) -> Result<Aggregates, StoreError> {
        let kind = scope.kind();
        let (k, id) = scope_parts(scope);
        let mut agg = Aggregates::new();
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT day, scope_id, counter, value AS v FROM assessment_counters
                 WHERE scope_kind = $1 AND scope_id = $2 AND day >= $3 AND day <= $4",
            )
            .bind(k).bind(&id).bind(i64::from(period.first.0)).bind(i64::from(period.last.0))
            .fetch_all(p).await?;
            for r in &rows {
                let day = Day(i32::try_from(r.i64("day")?).map_err(|e| StoreError::Corrupt(e.to_string()))?);
                add_row(&mut agg, kind, r, day)?;
            }
            let rows = sqlx::query(
                "SELECT scope_id, counter, CAST(SUM(value) AS BIGINT) AS v FROM assessment_counters
                 WHERE scope_kind = $1 AND scope_id = $2 AND counter IN ('handling_due', 'handling_left_late') AND day < $3
                 GROUP BY scope_id, counter",
            )
            .bind(k).bind(&id).bind(i64::from(period.first.0))
            .fetch_all(p).await?;
            for r in &rows {
                add_row(&mut agg, kind, r, period.first.plus(-1))?;
            }
        });
        Ok(agg.normalized())
    }

    /// Every stored counter, as aggregates (to compare with a recomputation).
    ///
    /// # Errors
    /// Database failure.
    pub async fn assessment_aggregates(&self) -> Result<Aggregates, StoreError> {
        let mut agg = Aggregates::new();
        on_read!(self, p => {
            let rows = sqlx::query("SELECT scope_kind, day, scope_id, counter, value AS v FROM assessment_counters")
                .fetch_all(p).await?;
            for r in &rows {
                let k = r.text("scope_kind")?;
                let kind = parse_scope_kind(&k).ok_or_else(|| corrupt("scope kind", &k))?;
                let day = Day(i32::try_from(r.i64("day")?).map_err(|e| StoreError::Corrupt(e.to_string()))?);
                add_row(&mut agg, kind, r, day)?;
            }
        });
        Ok(agg.normalized())
    }

    /// The whole audit trail as assessment events, by case then event order.
    ///
    /// # Errors
    /// Database failure.
    pub async fn assessment_trail(&self) -> Result<Vec<AuditEvent>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(TRAIL_SQL).fetch_all(p).await?;
            rows.iter().map(audit_event_from_row).collect()
        })
    }

    /// Recomputes every counter from the whole audit trail with [`assessment::recompute`]
    /// (nothing is written).
    ///
    /// # Errors
    /// Database failure.
    pub async fn assessment_recompute(
        &self,
        calendar: &WorkCalendar,
    ) -> Result<Aggregates, StoreError> {
        let trail = self.assessment_trail().await?;
        Ok(assessment::recompute(&trail, calendar).normalized())
    }

    /// Replaces the stored counters and case tracks by a recomputation from the whole trail
    /// (one transaction), reporting how far the incremental counters were off. Holds the whole
    /// trail in memory.
    ///
    /// # Errors
    /// Database failure.
    pub async fn rebuild_assessment(
        &self,
        calendar: &WorkCalendar,
        now: Timestamp,
    ) -> Result<RebuildReport, StoreError> {
        let trail = self.assessment_trail().await?;
        let fresh = assessment::recompute(&trail, calendar).normalized();
        let mut tracker = assessment::Tracker::default();
        for e in &trail {
            tracker.apply(e, calendar);
        }
        let stored = self.assessment_aggregates().await?;
        let old: HashMap<(Scope, Day), assessment::Counters> = stored
            .buckets()
            .into_iter()
            .map(|(s, d, c)| ((s, d), c))
            .collect();
        let new_buckets = fresh.buckets();
        let mut differing = old
            .keys()
            .filter(|k| !new_buckets.iter().any(|(s, d, _)| (s, d) == (&k.0, &k.1)))
            .count();
        differing += new_buckets
            .iter()
            .filter(|(s, d, c)| old.get(&(s.clone(), *d)) != Some(c))
            .count();
        let mut incs: Vec<Increment> = Vec::new();
        for (scope, day, counters) in &new_buckets {
            for c in Counter::ALL {
                let v = counters.get(*c);
                if v != 0 {
                    incs.push(Increment {
                        day: *day,
                        scope: scope.clone(),
                        counter: *c,
                        delta: v,
                    });
                }
            }
        }
        let mut writes: Writes = counter_writes(&incs);
        let mut tracks: Vec<(&i64, &CaseTrack)> = tracker.tracks.iter().collect();
        tracks.sort_by_key(|(id, _)| **id);
        for (id, t) in tracks {
            writes.push((
                UPSERT_TRACK_SQL,
                vec![(*id).into(), text_arg(t)?, now.0.into()],
            ));
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM assessment_counters").execute(&mut *tx).await?;
            sqlx::query("DELETE FROM assessment_counters_monthly").execute(&mut *tx).await?;
            for (sql, args) in &writes {
                bind_args!(sqlx::query(*sql), args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(RebuildReport {
            events: trail.len(),
            cases: tracker.tracks.len(),
            buckets: new_buckets.len(),
            differing_buckets: differing,
        })
    }

    /// Bulk-adds counters (benchmarks, migrations from another system): one transaction,
    /// merged with what is stored.
    ///
    /// # Errors
    /// Database failure.
    pub async fn add_assessment_counters(&self, incs: &[Increment]) -> Result<(), StoreError> {
        let writes = counter_writes(incs);
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for (sql, args) in &writes {
                bind_args!(sqlx::query(*sql), args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Stores the flags of one weekly review, replacing any earlier review of that week.
    ///
    /// # Errors
    /// Database failure.
    pub async fn save_flags(
        &self,
        week_start: NaiveDate,
        flags: &[FlagRecord],
        now: Timestamp,
    ) -> Result<(), StoreError> {
        let week = week_start.to_string();
        let mut rows = Vec::with_capacity(flags.len());
        for f in flags {
            rows.push((f.scope.key(), text_arg(&f.kind)?, text_arg(f)?));
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            sqlx::query("DELETE FROM assessment_flags WHERE week_start = $1").bind(&week).execute(&mut *tx).await?;
            for (key, kind, record) in &rows {
                let args = [week.clone().into(), key.clone().into(), kind.clone(), record.clone(), now.0.into()];
                bind_args!(sqlx::query(
                    "INSERT INTO assessment_flags (week_start, scope_key, kind, record, created_at) VALUES ($1, $2, $3, $4, $5)"
                ), &args).execute(&mut *tx).await?;
            }
            tx.commit().await?;
        });
        Ok(())
    }

    /// Flags given in reviews of weeks starting in `from..=to` (all when `None`), oldest week
    /// first, in the order they were given.
    ///
    /// # Errors
    /// Database failure.
    pub async fn flag_history(
        &self,
        from: Option<NaiveDate>,
        to: Option<NaiveDate>,
    ) -> Result<Vec<FlagRecord>, StoreError> {
        let from = from.map_or_else(|| "0000-00-00".to_owned(), |d| d.to_string());
        let to = to.map_or_else(|| "9999-99-99".to_owned(), |d| d.to_string());
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT record FROM assessment_flags WHERE week_start >= $1 AND week_start <= $2 ORDER BY week_start, created_at, kind DESC, record",
            )
            .bind(from).bind(to).fetch_all(p).await?;
            let mut out: Vec<FlagRecord> = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(serde_json::from_str(&r.text("record")?)?);
            }
            // Within a week: red flags best first, then black flags worst first.
            out.sort_by(|a, b| {
                a.week_start.cmp(&b.week_start)
                    .then_with(|| a.kind.cmp(&b.kind))
                    .then_with(|| a.rank.cmp(&b.rank))
                    .then_with(|| a.scope.cmp(&b.scope))
            });
            Ok(out)
        })
    }

    /// Creates a cycle task; `rule.id` is ignored and set. Its schedule is turned into tasks
    /// from `now` on.
    ///
    /// # Errors
    /// An unknown inspector or creator; database failure.
    pub async fn create_cycle_task(
        &self,
        rule: &CycleRule,
        inspector_id: i64,
        created_by: i64,
        now: Timestamp,
    ) -> Result<CycleTask, StoreError> {
        let mut rule = rule.clone();
        let args = [
            text_arg(&rule)?,
            inspector_id.into(),
            now.0.into(),
            created_by.into(),
            now.0.into(),
        ];
        let id: i64 = on_write!(self, p => {
            bind_args!(sqlx::query_scalar(
                "INSERT INTO cycle_tasks (rule, inspector_id, active, checked_to, created_by, created_at) VALUES ($1, $2, 1, $3, $4, $5) RETURNING id"
            ), &args).fetch_one(p).await?
        });
        rule.id = id;
        Ok(CycleTask {
            rule,
            inspector_id,
            active: true,
            checked_to: now,
            created_by,
            created_at: now,
        })
    }

    /// Active cycle tasks, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_cycle_tasks(&self) -> Result<Vec<CycleTask>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM cycle_tasks WHERE active = 1 ORDER BY id").fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut rule: CycleRule = serde_json::from_str(&r.text("rule")?)?;
                rule.id = r.i64("id")?;
                out.push(CycleTask {
                    rule,
                    inspector_id: r.i64("inspector_id")?,
                    active: r.bool("active")?,
                    checked_to: Timestamp(r.i64("checked_to")?),
                    created_by: r.i64("created_by")?,
                    created_at: Timestamp(r.i64("created_at")?),
                });
            }
            Ok(out)
        })
    }

    /// Stops a cycle task (its tasks made so far stay).
    ///
    /// # Errors
    /// [`StoreError::NotFound`] if there is no active task `id`.
    pub async fn delete_cycle_task(&self, id: i64) -> Result<(), StoreError> {
        let n = on_write!(self, p => {
            sqlx::query("UPDATE cycle_tasks SET active = 0 WHERE id = $1 AND active = 1").bind(id).execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("cycle task"));
        }
        Ok(())
    }

    /// Turns every active cycle task's occurrences in `(checked_to, now]` into tasks for its
    /// inspector (working-calendar aware, see [`CycleRule::next_occurrences`]); idempotent.
    /// Returns the tasks made.
    ///
    /// # Errors
    /// Database failure.
    pub async fn run_cycle_tasks(
        &self,
        calendar: &WorkCalendar,
        now: Timestamp,
    ) -> Result<Vec<CycleRun>, StoreError> {
        let tasks = self.list_cycle_tasks().await?;
        let mut made = Vec::new();
        for t in tasks.iter().filter(|t| t.checked_to < now) {
            let due = t.rule.next_occurrences(t.checked_to, now, calendar);
            on_write!(self, p => {
                let mut tx = p.begin().await?;
                for at in &due {
                    let n = sqlx::query(
                        "INSERT INTO cycle_task_runs (task_id, due_at, inspector_id, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (task_id, due_at) DO NOTHING",
                    )
                    .bind(t.rule.id).bind(at.0).bind(t.inspector_id).bind(now.0)
                    .execute(&mut *tx).await?.rows_affected();
                    if n > 0 {
                        made.push(CycleRun { task_id: t.rule.id, due_at: *at, inspector_id: t.inspector_id, created_at: now, case_id: None, case_state: None });
                    }
                }
                sqlx::query("UPDATE cycle_tasks SET checked_to = $1 WHERE id = $2 AND checked_to < $1")
                    .bind(now.0).bind(t.rule.id).execute(&mut *tx).await?;
                tx.commit().await?;
            });
        }
        Ok(made)
    }

    /// Tasks made by cycle tasks, due in `[from, to)`, for one inspector or all.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_cycle_runs(
        &self,
        inspector_id: Option<i64>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<CycleRun>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT r.task_id, r.due_at, r.inspector_id, r.created_at, r.case_id, c.state AS case_state
                   FROM cycle_task_runs r LEFT JOIN cases c ON c.id = r.case_id
                  WHERE r.due_at >= $1 AND r.due_at < $2 AND ($3 = 0 OR r.inspector_id = $4) ORDER BY r.due_at, r.task_id",
            )
            .bind(from.0).bind(to.0).bind(i64::from(inspector_id.is_some())).bind(inspector_id.unwrap_or(0))
            .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                out.push(cycle_run_of(r)?);
            }
            Ok(out)
        })
    }

    /// Occurrences due by `now` whose case is not made yet and that no node holds a fresh claim
    /// on (oldest first, at most `limit`), with their rules.
    ///
    /// # Errors
    /// Database failure; a stored rule this build cannot read.
    pub async fn cycle_runs_awaiting_case(
        &self,
        now: Timestamp,
        limit: i64,
    ) -> Result<Vec<CycleRunDue>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT r.task_id, r.due_at, r.inspector_id, r.created_at, r.case_id, t.rule
                   FROM cycle_task_runs r JOIN cycle_tasks t ON t.id = r.task_id
                  WHERE r.case_id IS NULL AND r.due_at <= $1 AND (r.claimed_at IS NULL OR r.claimed_at < $2)
                  ORDER BY r.due_at, r.task_id LIMIT $3",
            )
            .bind(now.0).bind(now.0 - CYCLE_CLAIM_MS).bind(limit)
            .fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                let mut rule: CycleRule = serde_json::from_str(&r.text("rule")?)?;
                rule.id = r.i64("task_id")?;
                out.push(CycleRunDue { run: cycle_run_of(r)?, rule });
            }
            Ok(out)
        })
    }

    /// Claims an occurrence for making its case; `false` when another node holds a fresh claim
    /// or the case is made.
    ///
    /// # Errors
    /// Database failure.
    pub async fn claim_cycle_run(
        &self,
        task_id: i64,
        due_at: Timestamp,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = on_write!(self, p => {
            sqlx::query(
                "UPDATE cycle_task_runs SET claimed_at = $1
                  WHERE task_id = $2 AND due_at = $3 AND case_id IS NULL AND (claimed_at IS NULL OR claimed_at < $4)",
            )
            .bind(now.0).bind(task_id).bind(due_at.0).bind(now.0 - CYCLE_CLAIM_MS)
            .execute(p).await?.rows_affected()
        });
        Ok(n == 1)
    }

    /// Records the case made for an occurrence.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown occurrence; database failure.
    pub async fn set_cycle_run_case(
        &self,
        task_id: i64,
        due_at: Timestamp,
        case_id: i64,
    ) -> Result<(), StoreError> {
        let n = on_write!(self, p => {
            sqlx::query("UPDATE cycle_task_runs SET case_id = $1 WHERE task_id = $2 AND due_at = $3")
                .bind(case_id).bind(task_id).bind(due_at.0)
                .execute(p).await?.rows_affected()
        });
        if n == 0 {
            return Err(StoreError::NotFound("cycle task run"));
        }
        Ok(())
    }

    /// Ids of the 周期案件 waiting for the filing decision (their inspector has been on site).
    ///
    /// # Errors
    /// Database failure.
    pub async fn cycle_cases_pending_filing(&self) -> Result<Vec<i64>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT c.id FROM cycle_task_runs r JOIN cases c ON c.id = r.case_id
                  WHERE r.case_id IS NOT NULL AND c.state = 'pending_filing' ORDER BY c.id",
            )
            .fetch_all(p).await?;
            rows.iter().map(|r| r.i64("id")).collect()
        })
    }

    /// Creates a practical-matters category.
    ///
    /// # Errors
    /// [`StoreError::Duplicate`] for a name in use.
    pub async fn create_matter_category(
        &self,
        name: &str,
        now: Timestamp,
    ) -> Result<Category, StoreError> {
        let id: i64 = on_write!(self, p => {
            sqlx::query_scalar("INSERT INTO matter_categories (name, created_at) VALUES ($1, $2) RETURNING id")
                .bind(name).bind(now.0).fetch_one(p).await?
        });
        Ok(Category {
            id,
            name: name.to_owned(),
        })
    }

    /// Every category, by id.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_matter_categories(&self) -> Result<Vec<Category>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT id, name FROM matter_categories ORDER BY id").fetch_all(p).await?;
            rows.iter().map(|r| Ok(Category { id: r.i64("id")?, name: r.text("name")? })).collect()
        })
    }

    /// Creates an item (planned, no progress).
    ///
    /// # Errors
    /// An unknown category or department.
    pub async fn create_matter(&self, m: &NewMatter, now: Timestamp) -> Result<Item, StoreError> {
        let args = [
            m.category_id.into(),
            m.title.clone().into(),
            m.plan.clone().into(),
            text_arg(&m.measures)?,
            m.owner_department_id.into(),
            text_arg(&m.milestones)?,
            status_str(MatterStatus::Planned).into(),
            now.0.into(),
        ];
        let id: i64 = on_write!(self, p => {
            bind_args!(sqlx::query_scalar(
                "INSERT INTO matter_items (category_id, title, plan, measures, owner_department_id, milestones, status, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) RETURNING id"
            ), &args).fetch_one(p).await?
        });
        let mut item = Item {
            id,
            category_id: m.category_id,
            title: m.title.clone(),
            plan: m.plan.clone(),
            measures: m.measures.clone(),
            owner_department_id: m.owner_department_id,
            milestones: m.milestones.clone(),
            progress: Vec::new(),
            status: MatterStatus::Planned,
        };
        item.status = item.derived_status();
        if item.status != MatterStatus::Planned {
            on_write!(self, p => {
                sqlx::query("UPDATE matter_items SET status = $1 WHERE id = $2")
                    .bind(status_str(item.status)).bind(id).execute(p).await?;
            });
        }
        Ok(item)
    }

    /// Items with their progress, by id; of one category or all.
    ///
    /// # Errors
    /// Database failure.
    pub async fn list_matters(&self, category_id: Option<i64>) -> Result<Vec<Item>, StoreError> {
        let (items, progress) = on_read!(self, p => {
            let items = sqlx::query(
                "SELECT * FROM matter_items WHERE ($1 = 0 OR category_id = $2) ORDER BY id",
            )
            .bind(i64::from(category_id.is_some())).bind(category_id.unwrap_or(0))
            .fetch_all(p).await?;
            let progress = sqlx::query(
                "SELECT g.item_id, g.on_date, g.percent, g.note FROM matter_progress g
                 JOIN matter_items i ON i.id = g.item_id
                 WHERE ($1 = 0 OR i.category_id = $2) ORDER BY g.item_id, g.id",
            )
            .bind(i64::from(category_id.is_some())).bind(category_id.unwrap_or(0))
            .fetch_all(p).await?;
            let mut by_item: HashMap<i64, Vec<ProgressUpdate>> = HashMap::new();
            for r in &progress {
                by_item.entry(r.i64("item_id")?).or_default().push(ProgressUpdate {
                    on: date_of(&r.text("on_date")?)?,
                    percent: u8::try_from(r.i64("percent")?.clamp(0, 100)).unwrap_or(100),
                    note: r.text("note")?,
                });
            }
            let mut out = Vec::with_capacity(items.len());
            for r in &items {
                let id = r.i64("id")?;
                out.push(Item {
                    id,
                    category_id: r.i64("category_id")?,
                    title: r.text("title")?,
                    plan: r.text("plan")?,
                    measures: serde_json::from_str(&r.text("measures")?)?,
                    owner_department_id: r.i64("owner_department_id")?,
                    milestones: serde_json::from_str(&r.text("milestones")?)?,
                    progress: Vec::new(),
                    status: parse_status(&r.text("status")?)?,
                });
            }
            (out, by_item)
        });
        let mut progress = progress;
        Ok(items
            .into_iter()
            .map(|mut i| {
                i.progress = progress.remove(&i.id).unwrap_or_default();
                i
            })
            .collect())
    }

    /// One item.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_matter(&self, id: i64) -> Result<Option<Item>, StoreError> {
        let category: Option<i64> = on_read!(self, p => {
            sqlx::query_scalar("SELECT category_id FROM matter_items WHERE id = $1").bind(id).fetch_optional(p).await?
        });
        let Some(category) = category else {
            return Ok(None);
        };
        Ok(self
            .list_matters(Some(category))
            .await?
            .into_iter()
            .find(|i| i.id == id))
    }

    /// Records a progress update (and milestones done on its date, by title) and re-derives
    /// the item's status. Returns the updated item.
    ///
    /// # Errors
    /// [`StoreError::NotFound`] for an unknown item.
    pub async fn add_matter_progress(
        &self,
        item_id: i64,
        update: &ProgressUpdate,
        milestones_done: &[String],
        actor_id: i64,
        now: Timestamp,
    ) -> Result<Item, StoreError> {
        let mut item = self
            .get_matter(item_id)
            .await?
            .ok_or(StoreError::NotFound("matter"))?;
        for m in &mut item.milestones {
            if m.done_on.is_none() && milestones_done.contains(&m.title) {
                m.done_on = Some(update.on);
            }
        }
        item.progress.push(update.clone());
        item.status = item.derived_status();
        let args = [
            item_id.into(),
            update.on.to_string().into(),
            i64::from(update.percent.min(100)).into(),
            update.note.clone().into(),
            actor_id.into(),
            now.0.into(),
        ];
        let milestones = text_arg(&item.milestones)?;
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            bind_args!(sqlx::query(
                "INSERT INTO matter_progress (item_id, on_date, percent, note, actor_id, created_at) VALUES ($1, $2, $3, $4, $5, $6)"
            ), &args).execute(&mut *tx).await?;
            let up = [status_str(item.status).into(), milestones.clone(), now.0.into(), item_id.into()];
            bind_args!(sqlx::query(
                "UPDATE matter_items SET status = $1, milestones = $2, updated_at = $3 WHERE id = $4"
            ), &up).execute(&mut *tx).await?;
            tx.commit().await?;
        });
        Ok(item)
    }
}

#[cfg(test)]
mod tests;
