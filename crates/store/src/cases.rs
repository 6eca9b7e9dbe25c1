//! Cases and their audit trail: insert, versioned transition, get, filtered keyset lists.

use std::collections::HashMap;
use std::sync::OnceLock;

use domain::area::{AreaCode, AreaLevel, AreaPath};
use domain::calendar::Light;
use domain::org::Role;
use domain::policy::Visibility;
use domain::taxonomy::{ClassKind, Urgency};
use domain::time::Timestamp;
use domain::workflow::{
    Case, CaseState, ClassSnapshot, EventDraft, NodeClock, PendingRequest, Rating, Source,
    Transition,
};
use serde::{Deserialize, Serialize};

use crate::assessment::{AssessInput, assess_in_tx};
use crate::rows::{Arg, ByPosition, RowExt, bind_args};
// Dynamic SQL here is assembled only from constant fragments and `$n` placeholders; every
// input value is bound, never spliced into the text.
use crate::{Store, StoreError, on_read, on_write};
use sqlx::AssertSqlSafe;

/// Links uploaded attachments to a case inside the open transaction `$tx`: each must exist, be
/// uploaded by the actor and not yet belong to another case; otherwise the whole transition fails.
macro_rules! link_attachments {
    ($tx:ident, $case_id:expr, $actor:expr, $ids:expr) => {
        for aid in $ids.iter() {
            let n = sqlx::query(
                "UPDATE attachments SET case_id = $1 WHERE id = $2 AND uploader_id = $3 AND (case_id IS NULL OR case_id = $1)",
            )
            .bind($case_id)
            .bind(*aid)
            .bind($actor)
            .execute(&mut *$tx)
            .await?
            .rows_affected();
            if n == 0 {
                $tx.rollback().await?;
                return Err(StoreError::Invalid(format!(
                    "attachment {aid} does not exist, was uploaded by someone else, or belongs to another case"
                )));
            }
        }
    };
}

/// One stored audit event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StoredEvent {
    pub id: i64,
    pub case_id: i64,
    pub action: String,
    pub actor_id: i64,
    pub actor_role: Role,
    pub from_state: Option<CaseState>,
    pub to_state: CaseState,
    pub note: Option<String>,
    pub attachments: Vec<i64>,
    pub data: serde_json::Value,
    pub at: Timestamp,
}

/// The last event of one action on a case, how many there were, and who made the last.
#[derive(Clone, Debug, PartialEq)]
pub struct LastEvent {
    pub count: i64,
    pub actor_name: String,
    pub event: StoredEvent,
}

/// Filters for case lists; all present filters must hold.
#[derive(Clone, Debug, Default)]
pub struct CaseFilter {
    pub states: Vec<CaseState>,
    /// Any level: district, street, community or grid.
    pub area: Option<AreaCode>,
    pub class_code: Option<String>,
    pub source: Option<Source>,
    pub department_id: Option<i64>,
    pub assignee_id: Option<i64>,
    pub reporter_id: Option<i64>,
    pub light: Option<Light>,
    pub created_from: Option<Timestamp>,
    pub created_to: Option<Timestamp>,
    /// Closed (结案) at or after.
    pub closed_from: Option<Timestamp>,
    /// Closed before (exclusive).
    pub closed_to: Option<Timestamp>,
    /// Matches the description, the address or the exact case number.
    pub text: Option<String>,
    pub supervised: Option<bool>,
    /// 督办 level at least this (1 部门督办, 2 领导督办).
    pub supervision_at_least: Option<i32>,
    pub pending_kind: Option<String>,
}

/// The cases matching a filter counted by report channel and by class.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CaseBreakdown {
    /// All matching cases.
    pub total: i64,
    /// Per channel, most first (ties by channel name).
    pub by_source: Vec<(Source, i64)>,
    /// The `top` classes, most first (ties by code).
    pub by_class: Vec<ClassCount>,
    /// Classified cases outside the top classes.
    pub other_classes: i64,
    /// Cases without a class yet (not yet filed or classified).
    pub unclassified: i64,
}

/// One class of a [`CaseBreakdown`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClassCount {
    pub code: String,
    /// The class name from the cases' snapshots (`MAX` over the group: the names of one code
    /// differ only after a taxonomy rename).
    pub name: String,
    pub count: i64,
}

/// One page of a case list, newest first.
#[derive(Clone, Debug)]
pub struct CasePage {
    pub cases: Vec<Case>,
    /// Pass back to get the next page; `None` on the last page.
    pub next_cursor: Option<String>,
}

/// Columns written on insert and update, in this order.
pub(crate) const CASE_COLUMNS: &[&str] = &[
    "version",
    "state",
    "source",
    "description",
    "address",
    "lat",
    "lon",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "road_id",
    "class_standard_ref",
    "class_kind",
    "class_code",
    "class_name",
    "class_limits",
    "urgency",
    "department_id",
    "assignee_id",
    "reporter_id",
    "reporter_name",
    "reporter_phone",
    "master_case_id",
    "pending",
    "pending_kind",
    "supervision_level",
    "rework_count",
    "dispatch_count",
    "self_handled",
    "verified",
    "check_passed",
    "node_limit_min",
    "node_used_before_min",
    "node_running_since",
    "node_deadline_at",
    "node_yellow_at",
    "paused_light",
    "created_at",
    "updated_at",
    "closed_at",
    "anonymous",
    "external_ref",
    "first_dispatched_at",
    "reply",
    "replied_at",
    "rating",
    "rated_at",
    "reopen_count",
];

fn light_str(l: Light) -> &'static str {
    match l {
        Light::Green => "green",
        Light::Yellow => "yellow",
        Light::Red => "red",
    }
}

fn case_args(c: &Case) -> Result<Vec<Arg>, StoreError> {
    let code = |a: &Option<AreaCode>| a.as_ref().map(|c| c.as_str().to_owned());
    let class = c.class.as_ref();
    let limits = match class {
        Some(cl) => Some(serde_json::to_string(&cl.limits)?),
        None => None,
    };
    let pending = match &c.pending {
        Some(p) => Some(serde_json::to_string(p)?),
        None => None,
    };
    let clock = c.clock.as_ref();
    let paused_light = clock
        .filter(|k| k.running_since.is_none())
        .map(|k| light_str(k.light(Timestamp(0))).to_owned());
    Ok(vec![
        c.version.into(),
        c.state.as_str().into(),
        c.source.as_str().into(),
        c.description.as_str().into(),
        c.address.clone().into(),
        c.lat.into(),
        c.lon.into(),
        code(&c.area.district).into(),
        code(&c.area.street).into(),
        code(&c.area.community).into(),
        code(&c.area.grid).into(),
        c.road_id.clone().into(),
        class.map(|x| x.standard_ref.clone()).into(),
        class.map(|x| x.kind.as_str().to_owned()).into(),
        class.map(|x| x.code.clone()).into(),
        class.map(|x| x.name.clone()).into(),
        limits.into(),
        c.urgency.as_str().into(),
        c.department_id.into(),
        c.assignee_id.into(),
        c.reporter_id.into(),
        c.reporter_name.clone().into(),
        c.reporter_phone.clone().into(),
        c.master_case_id.into(),
        pending.into(),
        c.pending.as_ref().map(|p| p.kind().to_owned()).into(),
        i64::from(c.supervision_level).into(),
        i64::from(c.rework_count).into(),
        i64::from(c.dispatch_count).into(),
        c.self_handled.into(),
        c.verified.into(),
        c.check_passed.into(),
        clock.map(|k| k.limit_minutes).into(),
        clock.map(|k| k.used_before_minutes).into(),
        clock.and_then(|k| k.running_since).map(|t| t.0).into(),
        clock.and_then(|k| k.deadline_at).map(|t| t.0).into(),
        clock.and_then(|k| k.yellow_at).map(|t| t.0).into(),
        paused_light.into(),
        c.created_at.0.into(),
        c.updated_at.0.into(),
        c.closed_at.map(|t| t.0).into(),
        c.anonymous.into(),
        c.external_ref.clone().into(),
        c.first_dispatched_at.map(|t| t.0).into(),
        c.reply.clone().into(),
        c.replied_at.map(|t| t.0).into(),
        c.rating.map(|r| r.as_str().to_owned()).into(),
        c.rated_at.map(|t| t.0).into(),
        i64::from(c.reopen_count).into(),
    ])
}

pub(crate) fn corrupt(what: &str, v: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} {v:?}"))
}

fn opt_code(r: &impl RowExt, col: &str) -> Result<Option<AreaCode>, StoreError> {
    match r.opt_text(col)? {
        Some(v) => AreaCode::parse(&v)
            .map(Some)
            .map_err(|e| StoreError::Corrupt(e.to_string())),
        None => Ok(None),
    }
}

fn i32_of(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(i32::MAX)
}

pub(crate) fn case_from_row(r: &impl RowExt) -> Result<Case, StoreError> {
    let state = r.text("state")?;
    let source = r.text("source")?;
    let urgency = r.text("urgency")?;
    let class = match (r.opt_text("class_code")?, r.opt_text("class_kind")?) {
        (Some(code), Some(kind)) => Some(ClassSnapshot {
            standard_ref: r.opt_text("class_standard_ref")?.unwrap_or_default(),
            kind: ClassKind::parse(&kind).ok_or_else(|| corrupt("class kind", &kind))?,
            code,
            name: r.opt_text("class_name")?.unwrap_or_default(),
            limits: serde_json::from_str(&r.opt_text("class_limits")?.unwrap_or_default())?,
        }),
        _ => None,
    };
    let pending: Option<PendingRequest> = match r.opt_text("pending")? {
        Some(p) => Some(serde_json::from_str(&p)?),
        None => None,
    };
    let clock = match r.opt_i64("node_limit_min")? {
        Some(limit) => Some(NodeClock {
            limit_minutes: limit,
            used_before_minutes: r.opt_i64("node_used_before_min")?.unwrap_or(0),
            running_since: r.opt_i64("node_running_since")?.map(Timestamp),
            deadline_at: r.opt_i64("node_deadline_at")?.map(Timestamp),
            yellow_at: r.opt_i64("node_yellow_at")?.map(Timestamp),
        }),
        None => None,
    };
    Ok(Case {
        id: r.i64("id")?,
        case_no: r.text("case_no")?,
        version: r.i64("version")?,
        state: CaseState::parse(&state).ok_or_else(|| corrupt("state", &state))?,
        source: Source::parse(&source).ok_or_else(|| corrupt("source", &source))?,
        description: r.text("description")?,
        address: r.opt_text("address")?,
        lat: r.opt_f64("lat")?,
        lon: r.opt_f64("lon")?,
        area: AreaPath {
            district: opt_code(r, "district_code")?,
            street: opt_code(r, "street_code")?,
            community: opt_code(r, "community_code")?,
            grid: opt_code(r, "grid_code")?,
        },
        road_id: r.opt_text("road_id")?,
        class,
        urgency: Urgency::parse(&urgency).ok_or_else(|| corrupt("urgency", &urgency))?,
        department_id: r.opt_i64("department_id")?,
        assignee_id: r.opt_i64("assignee_id")?,
        reporter_id: r.opt_i64("reporter_id")?,
        reporter_name: r.opt_text("reporter_name")?,
        reporter_phone: r.opt_text("reporter_phone")?,
        anonymous: r.bool("anonymous")?,
        external_ref: r.opt_text("external_ref")?,
        master_case_id: r.opt_i64("master_case_id")?,
        pending,
        supervision_level: i32_of(r.i64("supervision_level")?),
        rework_count: i32_of(r.i64("rework_count")?),
        dispatch_count: i32_of(r.i64("dispatch_count")?),
        self_handled: r.bool("self_handled")?,
        verified: r.opt_bool("verified")?,
        check_passed: r.opt_bool("check_passed")?,
        clock,
        first_dispatched_at: r.opt_i64("first_dispatched_at")?.map(Timestamp),
        reply: r.opt_text("reply")?,
        replied_at: r.opt_i64("replied_at")?.map(Timestamp),
        rating: match r.opt_text("rating")? {
            Some(v) => Some(Rating::parse(&v).ok_or_else(|| corrupt("rating", &v))?),
            None => None,
        },
        rated_at: r.opt_i64("rated_at")?.map(Timestamp),
        reopen_count: i32_of(r.i64("reopen_count")?),
        created_at: Timestamp(r.i64("created_at")?),
        updated_at: Timestamp(r.i64("updated_at")?),
        closed_at: r.opt_i64("closed_at")?.map(Timestamp),
    })
}

pub(crate) fn event_from_row(r: &impl RowExt) -> Result<StoredEvent, StoreError> {
    let role = r.text("actor_role")?;
    let to = r.text("to_state")?;
    let from = match r.opt_text("from_state")? {
        Some(f) => Some(CaseState::parse(&f).ok_or_else(|| corrupt("state", &f))?),
        None => None,
    };
    Ok(StoredEvent {
        id: r.i64("id")?,
        case_id: r.i64("case_id")?,
        action: r.text("action")?,
        actor_id: r.i64("actor_id")?,
        actor_role: Role::parse(&role).ok_or_else(|| corrupt("role", &role))?,
        from_state: from,
        to_state: CaseState::parse(&to).ok_or_else(|| corrupt("state", &to))?,
        note: r.opt_text("note")?,
        attachments: serde_json::from_str(&r.text("attachments")?)?,
        data: serde_json::from_str(&r.text("data")?)?,
        at: Timestamp(r.i64("at")?),
    })
}

fn insert_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let cols = CASE_COLUMNS.join(", ");
        let params: Vec<String> = (1..=CASE_COLUMNS.len()).map(|i| format!("${i}")).collect();
        let n = CASE_COLUMNS.len() + 1;
        format!(
            "INSERT INTO cases (case_no, {cols}) VALUES (${n}, {}) RETURNING id",
            params.join(", ")
        )
    })
}

/// The case INSERT of the SQLite writer thread: the case columns, then `case_no`, then the `id`
/// it chose (so the row is written once, already numbered).
pub(crate) fn insert_case_with_id_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| {
        let cols = CASE_COLUMNS.join(", ");
        let params: Vec<String> = (1..=CASE_COLUMNS.len()).map(|i| format!("${i}")).collect();
        let n = CASE_COLUMNS.len();
        format!(
            "INSERT INTO cases (case_no, id, {cols}) VALUES (${}, ${}, {})",
            n + 1,
            n + 2,
            params.join(", ")
        )
    })
}

/// The audit-event INSERT without its `RETURNING` clause (for the SQLite writer thread).
pub(crate) fn insert_event_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| INSERT_EVENT.replace(" RETURNING id", ""))
}

pub(crate) fn update_sql() -> &'static str {
    static SQL: OnceLock<String> = OnceLock::new();
    SQL.get_or_init(|| update_sql_from(0))
}

/// The versioned case UPDATE with its parameters numbered from `$base + 1`: the case columns,
/// then `id`, then the expected `version`.
pub(crate) fn update_sql_from(base: usize) -> String {
    let sets: Vec<String> = CASE_COLUMNS
        .iter()
        .enumerate()
        .map(|(i, c)| format!("{c} = ${}", base + i + 1))
        .collect();
    let n = base + CASE_COLUMNS.len();
    format!(
        "UPDATE cases SET {} WHERE id = ${} AND version = ${}",
        sets.join(", "),
        n + 1,
        n + 2
    )
}

const INSERT_EVENT: &str = "INSERT INTO case_events
    (case_id, action, actor_id, actor_role, from_state, to_state, note, attachments, data, at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id";

/// The human case number: the Shanghai date of creation and the id, e.g. `2026112400000042`.
fn case_no(created_at: Timestamp, id: i64) -> String {
    format!("{}{id:08}", created_at.to_shanghai().format("%Y%m%d"))
}

/// Temporary unique case number used between insert and numbering, within one transaction.
fn provisional_no(created_at: Timestamp) -> String {
    static N: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);
    format!(
        "tmp-{}-{}",
        created_at.0,
        N.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    )
}

/// Builds the WHERE clause for a filter and a visibility, appending binds to `args`.
fn where_clause(f: &CaseFilter, vis: &Visibility, now: Timestamp, args: &mut Vec<Arg>) -> String {
    let mut conds: Vec<String> = Vec::new();
    let push = |args: &mut Vec<Arg>, a: Arg| {
        args.push(a);
        format!("${}", args.len())
    };
    if !f.states.is_empty() {
        let ps: Vec<String> = f
            .states
            .iter()
            .map(|s| push(args, s.as_str().into()))
            .collect();
        conds.push(format!("state IN ({})", ps.join(", ")));
    }
    if let Some(a) = &f.area {
        let col = area_column(a.level());
        let p = push(args, a.as_str().into());
        conds.push(format!("{col} = {p}"));
    }
    if let Some(c) = &f.class_code {
        let p = push(args, c.as_str().into());
        conds.push(format!("class_code = {p}"));
    }
    if let Some(s) = f.source {
        let p = push(args, s.as_str().into());
        conds.push(format!("source = {p}"));
    }
    if let Some(d) = f.department_id {
        let p = push(args, d.into());
        conds.push(format!("department_id = {p}"));
    }
    if let Some(u) = f.assignee_id {
        let p = push(args, u.into());
        conds.push(format!("assignee_id = {p}"));
    }
    if let Some(u) = f.reporter_id {
        let p = push(args, u.into());
        conds.push(format!("reporter_id = {p}"));
    }
    if let Some(t) = f.created_from {
        let p = push(args, t.0.into());
        conds.push(format!("created_at >= {p}"));
    }
    if let Some(t) = f.created_to {
        let p = push(args, t.0.into());
        conds.push(format!("created_at < {p}"));
    }
    if let Some(t) = f.closed_from {
        let p = push(args, t.0.into());
        conds.push(format!("closed_at >= {p}"));
    }
    if let Some(t) = f.closed_to {
        let p = push(args, t.0.into());
        conds.push(format!("closed_at < {p}"));
    }
    if let Some(s) = f.supervised {
        conds.push(if s {
            "supervision_level > 0".into()
        } else {
            "supervision_level = 0".into()
        });
    }
    if let Some(l) = f.supervision_at_least {
        let p = push(args, i64::from(l).into());
        conds.push(format!("supervision_level >= {p}"));
    }
    if let Some(k) = &f.pending_kind {
        let p = push(args, k.as_str().into());
        conds.push(format!("pending_kind = {p}"));
    }
    if let Some(t) = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        let escaped = t
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_");
        let like = push(args, format!("%{escaped}%").into());
        let exact = push(args, t.into());
        conds.push(format!(
            "(description LIKE {like} ESCAPE '\\' OR address LIKE {like} ESCAPE '\\' OR case_no = {exact})"
        ));
    }
    if let Some(l) = f.light {
        // The same rule as `NodeClock::light`: running clocks compare instants, paused ones use
        // the light frozen when they stopped.
        let n = push(args, now.0.into());
        conds.push(match l {
            Light::Red => format!(
                "(node_deadline_at < {n} OR (node_deadline_at IS NULL AND paused_light = 'red'))"
            ),
            Light::Yellow => format!(
                "((node_deadline_at >= {n} AND node_yellow_at <= {n}) OR (node_deadline_at IS NULL AND paused_light = 'yellow'))"
            ),
            Light::Green => format!(
                "((node_deadline_at >= {n} AND node_yellow_at > {n}) OR (node_deadline_at IS NULL AND paused_light = 'green'))"
            ),
        });
    }
    if !vis.all {
        let mut any: Vec<String> = Vec::new();
        let u = push(args, vis.user_id.into());
        any.push(format!("reporter_id = {u}"));
        any.push(format!("assignee_id = {u}"));
        if !vis.departments.is_empty() {
            let ps: Vec<String> = vis
                .departments
                .iter()
                .map(|d| push(args, (*d).into()))
                .collect();
            any.push(format!("department_id IN ({})", ps.join(", ")));
        }
        for a in &vis.areas {
            let col = area_column(a.level());
            let p = push(args, a.as_str().into());
            any.push(format!("{col} = {p}"));
        }
        conds.push(format!("({})", any.join(" OR ")));
    }
    if conds.is_empty() {
        String::new()
    } else {
        format!("WHERE {}", conds.join(" AND "))
    }
}

fn area_column(level: AreaLevel) -> &'static str {
    match level {
        AreaLevel::District => "district_code",
        AreaLevel::Street => "street_code",
        AreaLevel::Community => "community_code",
        AreaLevel::Grid => "grid_code",
    }
}

fn encode_cursor(c: &Case) -> String {
    format!("{}_{}", c.created_at.0, c.id)
}

fn decode_cursor(s: &str) -> Result<(i64, i64), StoreError> {
    let (a, b) = s
        .split_once('_')
        .ok_or_else(|| StoreError::Invalid("bad cursor".into()))?;
    match (a.parse(), b.parse()) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        _ => Err(StoreError::Invalid("bad cursor".into())),
    }
}

impl Store {
    /// Stores a new case and its first event; links its attachments. One transaction.
    ///
    /// # Errors
    /// An attachment that does not exist, belongs to someone else or is already linked;
    /// an unknown area, department or user.
    pub async fn insert_case(&self, t: &Transition) -> Result<Case, StoreError> {
        let args = case_args(&t.case)?;
        let mut case = t.case.clone();
        if let Some(batch) = &self.batch {
            let event = event_args(0, &t.event)?;
            let date = t.case.created_at.to_shanghai().format("%Y%m%d").to_string();
            let (id, no) = batch
                .submit_new_case(
                    args,
                    date,
                    event,
                    t.event.actor_id,
                    &t.event.attachments,
                    AssessInput::new(self, t),
                )
                .await?;
            case.id = id;
            case.case_no = no;
            return Ok(case);
        }
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            let q = sqlx::query_scalar::<_, i64>(insert_sql());
            let q = bind_args!(q, &args);
            let id: i64 = q.bind(provisional_no(t.case.created_at)).fetch_one(&mut *tx).await?;
            case.id = id;
            case.case_no = case_no(t.case.created_at, id);
            sqlx::query("UPDATE cases SET case_no = $1 WHERE id = $2")
                .bind(&case.case_no).bind(id).execute(&mut *tx).await?;
            let ev = event_args(id, &t.event)?;
            let q = sqlx::query_scalar::<_, i64>(INSERT_EVENT);
            let event_id = bind_args!(q, &ev).fetch_one(&mut *tx).await?;
            link_attachments!(tx, id, t.event.actor_id, &t.event.attachments);
            // Assessment counters, in this transaction (see `assessment.rs`).
            assess_in_tx!(tx, AssessInput::new(self, t), id, event_id, None);
            tx.commit().await?;
        });
        Ok(case)
    }

    /// Bulk-loads cases with their first event (migration from another system, benchmarks):
    /// one transaction for the whole slice; attachments are not linked.
    ///
    /// # Errors
    /// An unknown area, department or user; nothing of the slice is written then.
    pub async fn import_cases(&self, items: &[Transition]) -> Result<Vec<i64>, StoreError> {
        let mut ids = Vec::with_capacity(items.len());
        on_write!(self, p => {
            let mut tx = p.begin().await?;
            for t in items {
                let args = case_args(&t.case)?;
                let q = sqlx::query_scalar::<_, i64>(insert_sql());
                let id: i64 = bind_args!(q, &args).bind(provisional_no(t.case.created_at)).fetch_one(&mut *tx).await?;
                sqlx::query("UPDATE cases SET case_no = $1 WHERE id = $2")
                    .bind(case_no(t.case.created_at, id)).bind(id).execute(&mut *tx).await?;
                let ev = event_args(id, &t.event)?;
                let event_id: i64 = bind_args!(sqlx::query_scalar(INSERT_EVENT), &ev).fetch_one(&mut *tx).await?;
                assess_in_tx!(tx, AssessInput::new(self, t), id, event_id, None);
                ids.push(id);
            }
            tx.commit().await?;
        });
        Ok(ids)
    }

    /// Writes a transition made from the case at `expected_version`: the new case row, its
    /// audit event and attachment links, in one transaction.
    ///
    /// # Errors
    /// [`StoreError::Conflict`] with the current case if someone else changed it first;
    /// attachment and reference errors as for [`Store::insert_case`].
    pub async fn apply_transition(
        &self,
        expected_version: i64,
        t: &Transition,
    ) -> Result<StoredEvent, StoreError> {
        let mut args = case_args(&t.case)?;
        let id = t.case.id;
        args.push(id.into());
        args.push(expected_version.into());
        let ev = event_args(id, &t.event)?;
        let event_id = match &self.pools {
            crate::Pools::Sqlite { .. } => match &self.batch {
                Some(b) => {
                    b.submit(
                        args,
                        ev,
                        t.event.actor_id,
                        &t.event.attachments,
                        AssessInput::new(self, t),
                    )
                    .await?
                }
                None => {
                    return Err(StoreError::Invalid(
                        "the SQLite writer is not running".into(),
                    ));
                }
            },
            crate::Pools::Postgres(p) => {
                let mut tx = p.begin().await?;
                // The deadline of the node being left, for the assessment; the row lock keeps it
                // until the versioned update below.
                let before: Option<Option<i64>> = sqlx::query_scalar(
                    "SELECT node_deadline_at FROM cases WHERE id = $1 FOR UPDATE",
                )
                .bind(id)
                .fetch_optional(&mut *tx)
                .await?;
                let q = sqlx::query(update_sql());
                let n = bind_args!(q, &args)
                    .execute(&mut *tx)
                    .await?
                    .rows_affected();
                if n == 0 {
                    tx.rollback().await?;
                    None
                } else {
                    let q = sqlx::query_scalar::<_, i64>(INSERT_EVENT);
                    let event_id = bind_args!(q, &ev).fetch_one(&mut *tx).await?;
                    link_attachments!(tx, id, t.event.actor_id, &t.event.attachments);
                    assess_in_tx!(
                        tx,
                        AssessInput::new(self, t),
                        id,
                        event_id,
                        before.flatten()
                    );
                    tx.commit().await?;
                    Some(event_id)
                }
            }
        };
        let Some(event_id) = event_id else {
            return match self.get_case(id).await? {
                Some(current) => Err(StoreError::Conflict {
                    current: Box::new(current),
                }),
                None => Err(StoreError::NotFound("case")),
            };
        };
        Ok(StoredEvent {
            id: event_id,
            case_id: id,
            action: t.event.action.to_owned(),
            actor_id: t.event.actor_id,
            actor_role: t.event.actor_role,
            from_state: t.event.from_state,
            to_state: t.event.to_state,
            note: t.event.note.clone(),
            attachments: t.event.attachments.clone(),
            data: t.event.data.clone(),
            at: t.event.at,
        })
    }

    /// One case.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_case(&self, id: i64) -> Result<Option<Case>, StoreError> {
        // WAL readers see every transaction committed before their read began, so reading
        // through the reader pool still shows a caller its own just-committed transition.
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                const SQL: &str = "SELECT * FROM cases WHERE id = ?1";
                let mut stmt = c.prepare_cached(SQL)?;
                let mut rows = stmt.query([id])?;
                match rows.next()? {
                    Some(r) => Ok(Some(case_from_row(&ByPosition::new(SQL, r))?)),
                    None => Ok(None),
                }
            });
        }
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM cases WHERE id = $1").bind(id).fetch_optional(p).await?;
            row.as_ref().map(case_from_row).transpose()
        })
    }

    /// One case and the reporters of the duplicates linked to it (who follow it), in one query.
    ///
    /// # Errors
    /// Database failure.
    pub async fn case_with_followers(
        &self,
        id: i64,
    ) -> Result<Option<(Case, Vec<i64>)>, StoreError> {
        if let Some(inline) = &self.inline {
            return inline.with(|c| {
                const SQL: &str = "SELECT c.*, d.reporter_id AS follower_id FROM cases c
                     LEFT JOIN cases d ON d.master_case_id = c.id WHERE c.id = ?1";
                let mut stmt = c.prepare_cached(SQL)?;
                let mut rows = stmt.query([id])?;
                let Some(first) = rows.next()? else {
                    return Ok(None);
                };
                let case = case_from_row(&ByPosition::new(SQL, first))?;
                let mut followers = Vec::new();
                if let Some(f) = first.opt_i64("follower_id")? {
                    followers.push(f);
                }
                while let Some(r) = rows.next()? {
                    if let Some(f) = r.opt_i64("follower_id")? {
                        followers.push(f);
                    }
                }
                Ok(Some((case, followers)))
            });
        }
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT c.*, d.reporter_id AS follower_id FROM cases c
                 LEFT JOIN cases d ON d.master_case_id = c.id WHERE c.id = $1",
            )
            .bind(id)
            .fetch_all(p)
            .await?;
            let Some(first) = rows.first() else { return Ok(None) };
            let case = case_from_row(first)?;
            let mut followers = Vec::new();
            for r in &rows {
                if let Some(f) = r.opt_i64("follower_id")? {
                    followers.push(f);
                }
            }
            Ok(Some((case, followers)))
        })
    }

    /// One case by its human number.
    ///
    /// # Errors
    /// Database failure.
    pub async fn get_case_by_no(&self, case_no: &str) -> Result<Option<Case>, StoreError> {
        on_read!(self, p => {
            let row = sqlx::query("SELECT * FROM cases WHERE case_no = $1").bind(case_no).fetch_optional(p).await?;
            row.as_ref().map(case_from_row).transpose()
        })
    }

    /// The audit trail of a case, oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn case_events(&self, case_id: i64) -> Result<Vec<StoredEvent>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM case_events WHERE case_id = $1 ORDER BY id")
                .bind(case_id).fetch_all(p).await?;
            rows.iter().map(event_from_row).collect()
        })
    }

    /// For each of `case_ids` that has events of `action`: how many, and the last one with its
    /// actor's display name — one query for a whole page (the 督办 list).
    ///
    /// # Errors
    /// Database failure.
    pub async fn last_events_of(
        &self,
        case_ids: &[i64],
        action: &str,
    ) -> Result<HashMap<i64, LastEvent>, StoreError> {
        let mut out = HashMap::new();
        if case_ids.is_empty() {
            return Ok(out);
        }
        let mut args: Vec<Arg> = vec![action.into()];
        let marks: Vec<String> = case_ids
            .iter()
            .map(|id| {
                args.push((*id).into());
                format!("${}", args.len())
            })
            .collect();
        let sql = format!(
            "SELECT e.*, n.steps, u.display_name AS actor_name
               FROM (SELECT case_id, MAX(id) AS last_id, COUNT(*) AS steps FROM case_events
                      WHERE action = $1 AND case_id IN ({}) GROUP BY case_id) n
               JOIN case_events e ON e.id = n.last_id
               LEFT JOIN users u ON u.id = e.actor_id",
            marks.join(", ")
        );
        on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await?;
            for r in &rows {
                let event = event_from_row(r)?;
                out.insert(event.case_id, LastEvent {
                    count: r.i64("steps")?,
                    actor_name: r.opt_text("actor_name")?.unwrap_or_default(),
                    event,
                });
            }
        });
        Ok(out)
    }

    /// A page of cases matching `filter` and visible under `vis`, newest first.
    /// `limit` is clamped to 1..=500.
    ///
    /// # Errors
    /// A malformed cursor; database failure.
    pub async fn list_cases(
        &self,
        filter: &CaseFilter,
        vis: &Visibility,
        now: Timestamp,
        limit: u32,
        cursor: Option<&str>,
    ) -> Result<CasePage, StoreError> {
        let limit = limit.clamp(1, 500);
        let mut args = Vec::new();
        let mut clause = where_clause(filter, vis, now, &mut args);
        if let Some(c) = cursor {
            let (t, id) = decode_cursor(c)?;
            args.push(t.into());
            let pt = args.len();
            args.push(id.into());
            let pi = args.len();
            let keyset = format!("(created_at < ${pt} OR (created_at = ${pt} AND id < ${pi}))");
            clause = if clause.is_empty() {
                format!("WHERE {keyset}")
            } else {
                format!("{clause} AND {keyset}")
            };
        }
        args.push(i64::from(limit + 1).into());
        let sql = format!(
            "SELECT * FROM cases {clause} ORDER BY created_at DESC, id DESC LIMIT ${}",
            args.len()
        );
        let mut cases: Vec<Case> = on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await?;
            rows.iter().map(case_from_row).collect::<Result<Vec<_>, _>>()?
        });
        let next_cursor = if cases.len() > limit as usize {
            cases.truncate(limit as usize);
            cases.last().map(encode_cursor)
        } else {
            None
        };
        Ok(CasePage { cases, next_cursor })
    }

    /// How many cases match.
    ///
    /// # Errors
    /// Database failure.
    pub async fn count_cases(
        &self,
        filter: &CaseFilter,
        vis: &Visibility,
        now: Timestamp,
    ) -> Result<i64, StoreError> {
        let mut args = Vec::new();
        let clause = where_clause(filter, vis, now, &mut args);
        let sql = format!("SELECT COUNT(*) FROM cases {clause}");
        on_read!(self, p => {
            let n: i64 = bind_args!(sqlx::query_scalar(AssertSqlSafe(sql.clone())), &args).fetch_one(p).await?;
            Ok(n)
        })
    }

    /// Case counts per state among the visible cases matching `filter`.
    ///
    /// # Errors
    /// Database failure.
    pub async fn count_by_state(
        &self,
        filter: &CaseFilter,
        vis: &Visibility,
        now: Timestamp,
    ) -> Result<Vec<(CaseState, i64)>, StoreError> {
        let mut args = Vec::new();
        let clause = where_clause(filter, vis, now, &mut args);
        let sql = format!("SELECT state, COUNT(*) AS n FROM cases {clause} GROUP BY state");
        on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await?;
            let mut out = Vec::new();
            for r in &rows {
                let s = r.text("state")?;
                out.push((CaseState::parse(&s).ok_or_else(|| corrupt("state", &s))?, r.i64("n")?));
            }
            Ok(out)
        })
    }

    /// The visible cases matching `filter` counted by channel and by class, the `top` classes
    /// named (two `GROUP BY` queries over the filter's index; a day of a street reads that
    /// day's index range only).
    ///
    /// # Errors
    /// Database failure; a stored channel the code does not know.
    pub async fn case_breakdown(
        &self,
        filter: &CaseFilter,
        vis: &Visibility,
        now: Timestamp,
        top: usize,
    ) -> Result<CaseBreakdown, StoreError> {
        let mut args = Vec::new();
        let clause = where_clause(filter, vis, now, &mut args);
        let by_source_sql =
            format!("SELECT source, COUNT(*) AS n FROM cases {clause} GROUP BY source");
        let by_class_sql = format!(
            "SELECT class_code AS code, MAX(class_name) AS name, COUNT(*) AS n FROM cases {clause} GROUP BY class_code"
        );
        let (sources, classes) = on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(by_source_sql.clone())), &args).fetch_all(p).await?;
            let mut sources = Vec::with_capacity(rows.len());
            for r in &rows {
                let s = r.text("source")?;
                sources.push((Source::parse(&s).ok_or_else(|| corrupt("source", &s))?, r.i64("n")?));
            }
            let rows = bind_args!(sqlx::query(AssertSqlSafe(by_class_sql.clone())), &args).fetch_all(p).await?;
            let mut classes = Vec::with_capacity(rows.len());
            for r in &rows {
                classes.push((r.opt_text("code")?, r.opt_text("name")?, r.i64("n")?));
            }
            (sources, classes)
        });
        Ok(breakdown_of(sources, classes, top))
    }

    /// Case counts per area at `level` (district/street/community/grid code column) among the
    /// visible cases matching `filter`; cases without a code at that level are left out.
    ///
    /// # Errors
    /// Database failure.
    pub async fn count_by_area(
        &self,
        filter: &CaseFilter,
        level: AreaLevel,
        vis: &Visibility,
        now: Timestamp,
    ) -> Result<Vec<(String, i64)>, StoreError> {
        let mut args = Vec::new();
        let clause = where_clause(filter, vis, now, &mut args);
        let col = area_column(level);
        let sql = format!(
            "SELECT {col} AS code, COUNT(*) AS n FROM cases {clause} GROUP BY {col} ORDER BY {col}"
        );
        on_read!(self, p => {
            let rows = bind_args!(sqlx::query(AssertSqlSafe(sql.clone())), &args).fetch_all(p).await?;
            let mut out = Vec::with_capacity(rows.len());
            for r in &rows {
                if let Some(code) = r.opt_text("code")? {
                    out.push((code, r.i64("n")?));
                }
            }
            Ok(out)
        })
    }

    /// Cases the escalation rules may be due for: held by a department (待签收, 处置中), below
    /// `max_level`, and past their node deadline, reworked at least `min_rework` times or
    /// reopened by a citizen; oldest first.
    ///
    /// # Errors
    /// Database failure.
    pub async fn escalation_candidates(
        &self,
        now: Timestamp,
        min_rework: i64,
        max_level: i32,
        limit: u32,
    ) -> Result<Vec<Case>, StoreError> {
        let limit = i64::from(limit.clamp(1, 1000));
        on_read!(self, p => {
            let rows = sqlx::query(
                "SELECT * FROM cases
                 WHERE state IN ('dispatched', 'handling') AND supervision_level < $1
                   AND (node_deadline_at < $2 OR rework_count >= $3 OR reopen_count > 0)
                 ORDER BY id LIMIT $4",
            )
            .bind(i64::from(max_level)).bind(now.0).bind(min_rework).bind(limit)
            .fetch_all(p).await?;
            rows.iter().map(case_from_row).collect()
        })
    }

    /// Cases linked to `master_id` as duplicates.
    ///
    /// # Errors
    /// Database failure.
    pub async fn duplicates_of(&self, master_id: i64) -> Result<Vec<Case>, StoreError> {
        on_read!(self, p => {
            let rows = sqlx::query("SELECT * FROM cases WHERE master_case_id = $1 ORDER BY id").bind(master_id).fetch_all(p).await?;
            rows.iter().map(case_from_row).collect()
        })
    }
}

/// Orders and cuts the grouped counts of [`Store::case_breakdown`].
fn breakdown_of(
    mut sources: Vec<(Source, i64)>,
    classes: Vec<(Option<String>, Option<String>, i64)>,
    top: usize,
) -> CaseBreakdown {
    sources.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.as_str().cmp(b.0.as_str())));
    let total = sources.iter().map(|(_, n)| n).sum();
    let mut unclassified = 0;
    let mut named: Vec<ClassCount> = Vec::with_capacity(classes.len());
    for (code, name, count) in classes {
        match code {
            Some(code) => named.push(ClassCount {
                name: name.unwrap_or_else(|| code.clone()),
                code,
                count,
            }),
            None => unclassified += count,
        }
    }
    named.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.code.cmp(&b.code)));
    let other_classes = named.iter().skip(top).map(|c| c.count).sum();
    named.truncate(top);
    CaseBreakdown {
        total,
        by_source: sources,
        by_class: named,
        other_classes,
        unclassified,
    }
}

fn event_args(case_id: i64, e: &EventDraft) -> Result<Vec<Arg>, StoreError> {
    Ok(vec![
        case_id.into(),
        e.action.into(),
        e.actor_id.into(),
        e.actor_role.as_str().into(),
        e.from_state.map(|s| s.as_str()).into(),
        e.to_state.as_str().into(),
        e.note.clone().into(),
        serde_json::to_string(&e.attachments)?.into(),
        serde_json::to_string(&e.data)?.into(),
        e.at.0.into(),
    ])
}
