//! Group commit for SQLite writes of the case loop (after Traccar's batched database writer):
//! case transitions, new reports and photo records.
//!
//! SQLite has one writer. One transaction per transition spends most of its time writing the
//! same index pages to the WAL (and fsyncing) again and again; and sqlx runs every statement on
//! its connection's own thread, so each statement is a round trip between threads. Measured, the
//! hand-offs, not SQLite, were the limit (BENCHMARKS.md). So the hot writes bypass sqlx:
//!
//! - one dedicated OS thread owns one `rusqlite` connection to the same database file (the
//!   same bundled SQLite library that sqlx links);
//! - it takes every job waiting in its queue (up to [`MAX_BATCH`]), runs them in one
//!   `BEGIN IMMEDIATE` transaction with cached prepared statements, each job inside its own
//!   savepoint, commits once (one fsync), and only then answers each caller;
//! - a job that fails (a version conflict, an attachment that cannot be linked, a foreign key)
//!   is rolled back to its savepoint: it never commits half of itself and never fails its
//!   neighbours.
//!
//! Other, rare writes (admin, config) still go through the sqlx writer connection; SQLite's
//! write lock and the busy timeout order the two writers.

use std::time::Duration;

use rusqlite::{Connection, OpenFlags, ToSql, types::ToSqlOutput};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::assessment::{AssessInput, CounterDeltas, assess_rusqlite};
use crate::rows::Arg;

/// Most jobs committed together.
pub const MAX_BATCH: usize = 128;

/// Row id and text reported by a finished job; `None` = version conflict.
type Reply = Result<Option<(i64, String)>, StoreError>;

/// One write, as the writer thread executes it.
enum Work {
    /// A versioned case update + its audit event + attachment links.
    Transition {
        /// Case columns, then `id`, then the expected `version` (see `cases::update_sql`).
        case: Vec<Arg>,
        /// Event columns starting with `case_id`.
        event: Vec<Arg>,
        actor_id: i64,
        attachments: Vec<i64>,
        /// The assessment counters of the event, updated in the same savepoint.
        assess: Box<AssessInput>,
    },
    /// A new case numbered `<date><id:08>`, its first event and attachment links.
    NewCase {
        case: Vec<Arg>,
        date: String,
        /// Event columns starting with a placeholder `case_id` (replaced by the new id).
        event: Vec<Arg>,
        actor_id: i64,
        attachments: Vec<i64>,
        /// The assessment counters of the first event.
        assess: Box<AssessInput>,
    },
    /// One INSERT of one row; reports its row id.
    Insert { sql: &'static str, args: Vec<Arg> },
    /// Any statements, all or none (device data: positions, readings, last-seen updates);
    /// reports the number of rows changed.
    Statements(Vec<(&'static str, Vec<Arg>)>),
    /// A gateway batch of device data as typed rows (see `devices::DeviceBatch`); reports the
    /// number of rows changed.
    Devices(Box<crate::devices::DeviceBatch>),
}

struct Job {
    work: Work,
    reply: oneshot::Sender<Reply>,
}

/// Handle to the writer thread. Dropping every handle ends the thread after its last batch.
#[derive(Debug)]
pub(crate) struct BatchWriter {
    tx: mpsc::Sender<Job>,
}

fn lost(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("batch writer: {e}")))
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        if let rusqlite::Error::SqliteFailure(f, msg) = &e {
            let text = msg.clone().unwrap_or_else(|| f.to_string());
            match f.extended_code {
                rusqlite::ffi::SQLITE_CONSTRAINT_FOREIGNKEY => return StoreError::ForeignKey(text),
                rusqlite::ffi::SQLITE_CONSTRAINT_UNIQUE
                | rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY => {
                    return StoreError::Duplicate(text);
                }
                _ => {}
            }
        }
        lost(e)
    }
}

impl ToSql for Arg {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        match self {
            Arg::I64(v) => v.to_sql(),
            Arg::Text(v) => v.to_sql(),
            Arg::F64(v) => v.to_sql(),
        }
    }
}

/// `$1`-style parameters (shared with sqlx and PostgreSQL) as SQLite's own numbered `?1` form,
/// so that positions bind exactly whatever order the text mentions them in.
///
/// Runs once per distinct statement: the writer thread keeps the converted texts (every SQL
/// text here is `'static`), so the hot path (a device batch is thousands of statements) does not
/// rebuild a string per row.
pub(crate) fn numbered(sql: &'static str) -> std::rc::Rc<str> {
    thread_local! {
        static TEXTS: std::cell::RefCell<std::collections::HashMap<&'static str, std::rc::Rc<str>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    TEXTS.with(|t| {
        t.borrow_mut()
            .entry(sql)
            .or_insert_with(|| sql.replace('$', "?").into())
            .clone()
    })
}

impl BatchWriter {
    /// Opens the writer connection and starts its thread.
    ///
    /// `uri` is an SQLite URI filename (`file:…`), the same database the sqlx pools open.
    pub(crate) fn spawn(uri: &str, busy_timeout: Duration) -> Result<BatchWriter, StoreError> {
        let conn = Connection::open_with_flags(
            uri,
            OpenFlags::SQLITE_OPEN_READ_WRITE
                | OpenFlags::SQLITE_OPEN_CREATE
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        conn.busy_timeout(busy_timeout)?;
        // Same durability as the sqlx connections: FULL fsyncs the WAL at every commit.
        // `temp_store = MEMORY`: the statement journal of each job's savepoint (the pages a job
        // changes, kept to undo it alone) stays in memory instead of a temporary file; it is
        // never needed after the commit, so durability is unchanged (measured: its file writes
        // were an eighth of this thread's time on Open311 posts).
        conn.execute_batch(
            "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON; PRAGMA cache_size = -65536; \
             PRAGMA temp_store = MEMORY;",
        )?;
        conn.set_prepared_statement_cache_capacity(128);
        // Query planner stability: plans do not look at bound values. Otherwise SQLite (with
        // STAT4, as bundled) marks a cached statement whose plan estimated from a bound value
        // (an equality on an analysed index, such as the grid inspector's lookup) as expired
        // at every new binding and compiles it again at its next run (measured: 2.5 % of the
        // server's samples on Open311 posts). Every statement here is a keyed read or write
        // whose plan does not depend on the values.
        conn.set_db_config(
            rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG,
            true,
        )?;
        let (tx, rx) = mpsc::channel(MAX_BATCH * 16);
        std::thread::Builder::new()
            .name("yiwang-sqlite-writer".into())
            .spawn(move || run(conn, rx))
            .map_err(lost)?;
        Ok(BatchWriter { tx })
    }

    /// Queues one transition and waits until its batch has committed. Returns the event id, or
    /// `None` if the case was not at the expected version.
    pub(crate) async fn submit(
        &self,
        case: Vec<Arg>,
        event: Vec<Arg>,
        actor_id: i64,
        attachments: &[i64],
        assess: AssessInput,
    ) -> Result<Option<i64>, StoreError> {
        let work = Work::Transition {
            case,
            event,
            actor_id,
            attachments: attachments.to_vec(),
            assess: Box::new(assess),
        };
        Ok(self.send(work).await?.map(|(id, _)| id))
    }

    /// Queues a new case with its first event and attachments; returns (case id, case number).
    pub(crate) async fn submit_new_case(
        &self,
        case: Vec<Arg>,
        date: String,
        event: Vec<Arg>,
        actor_id: i64,
        attachments: &[i64],
        assess: AssessInput,
    ) -> Result<(i64, String), StoreError> {
        let work = Work::NewCase {
            case,
            date,
            event,
            actor_id,
            attachments: attachments.to_vec(),
            assess: Box::new(assess),
        };
        self.send(work)
            .await?
            .ok_or_else(|| StoreError::Corrupt("new case not written".into()))
    }

    /// Queues one INSERT of one row; returns its row id.
    pub(crate) async fn submit_insert(
        &self,
        sql: &'static str,
        args: Vec<Arg>,
    ) -> Result<i64, StoreError> {
        self.send(Work::Insert { sql, args })
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| StoreError::Corrupt("row not written".into()))
    }

    /// Queues statements that must commit together; returns the rows they changed.
    pub(crate) async fn submit_statements(
        &self,
        statements: Vec<(&'static str, Vec<Arg>)>,
    ) -> Result<i64, StoreError> {
        self.send(Work::Statements(statements))
            .await?
            .map(|(n, _)| n)
            .ok_or_else(|| StoreError::Corrupt("statements not written".into()))
    }

    /// Queues a gateway batch of device data; returns the rows it changed.
    pub(crate) async fn submit_devices(
        &self,
        batch: crate::devices::DeviceBatch,
    ) -> Result<i64, StoreError> {
        self.send(Work::Devices(Box::new(batch)))
            .await?
            .map(|(n, _)| n)
            .ok_or_else(|| StoreError::Corrupt("device batch not written".into()))
    }

    async fn send(&self, work: Work) -> Reply {
        let (reply, rx) = oneshot::channel();
        self.tx.send(Job { work, reply }).await.map_err(lost)?;
        rx.await.map_err(lost)?
    }
}

/// The writer thread: batch, execute, commit, answer; until every handle is dropped.
fn run(conn: Connection, mut rx: mpsc::Receiver<Job>) {
    let mut jobs = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.blocking_recv() {
        jobs.push(first);
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        process(&conn, &mut jobs);
    }
}

fn exec(conn: &Connection, sql: &str) -> Result<(), StoreError> {
    conn.prepare_cached(sql)?.execute([])?;
    Ok(())
}

fn process(conn: &Connection, jobs: &mut Vec<Job>) {
    if let Err(e) = exec(conn, "BEGIN IMMEDIATE") {
        let msg = e.to_string();
        for j in jobs.drain(..) {
            let _ = j.reply.send(Err(lost(&msg)));
        }
        return;
    }
    let mut results: Vec<Reply> = Vec::with_capacity(jobs.len());
    // The assessment counter deltas of the jobs kept so far, summed per counter row and written
    // once per batch just before the commit (see `CounterDeltas`).
    let mut counters = CounterDeltas::default();
    for j in jobs.iter() {
        results.push(in_savepoint(conn, &j.work, &mut counters));
    }
    let committed = counters.write(conn).and_then(|()| exec(conn, "COMMIT"));
    if let Err(e) = committed {
        let _ = exec(conn, "ROLLBACK");
        let msg = e.to_string();
        for j in jobs.drain(..) {
            let _ = j.reply.send(Err(lost(&msg)));
        }
        return;
    }
    for (j, r) in jobs.drain(..).zip(results) {
        let _ = j.reply.send(r);
    }
}

/// Runs one job inside a savepoint: kept if it is done, undone if it conflicts or fails. The
/// counter deltas of a kept job join the batch's; those of an undone job are dropped with it.
fn in_savepoint(conn: &Connection, work: &Work, counters: &mut CounterDeltas) -> Reply {
    exec(conn, "SAVEPOINT job")?;
    let mut mine = CounterDeltas::default();
    let result = execute(conn, work, &mut mine);
    let keep = matches!(result, Ok(Some(_)));
    if keep {
        counters.absorb(mine);
    } else {
        exec(conn, "ROLLBACK TO job")?;
    }
    exec(conn, "RELEASE job")?;
    result
}

fn execute(conn: &Connection, work: &Work, counters: &mut CounterDeltas) -> Reply {
    match work {
        Work::Transition {
            case,
            event,
            actor_id,
            attachments,
            assess,
        } => {
            // `id` is the second-to-last case argument.
            let Some(Arg::I64(Some(case_id))) = case.get(case.len().wrapping_sub(2)) else {
                return Err(StoreError::Corrupt("transition without a case id".into()));
            };
            // The row as it is now (this thread is the only writer, so it is still the row the
            // versioned update checks): the deadline of the node being left, for the
            // assessment, and the indexed columns, so the update names only those that change.
            let Some(before) = current_row(conn, *case_id, case)? else {
                return Ok(None);
            };
            let changed = conn
                .prepare_cached(&update_sql_changing(before.changed))?
                .execute(rusqlite::params_from_iter(case.iter()))?;
            if changed == 0 {
                return Ok(None);
            }
            let event_id = insert_event(conn, event, None)?;
            link(conn, *case_id, *actor_id, attachments)?;
            assess_rusqlite(
                conn,
                (**assess).clone(),
                *case_id,
                event_id,
                before.deadline,
                counters,
            )?;
            Ok(Some((event_id, String::new())))
        }
        Work::NewCase {
            case,
            date,
            event,
            actor_id,
            attachments,
            assess,
        } => {
            // The id AUTOINCREMENT would give, taken here so that the row is inserted with its
            // final case number (no second write of the row and its unique index entry). This
            // thread holds the write lock, so nobody takes the id in between.
            let id: i64 = conn
                .prepare_cached(NEXT_CASE_ID_SQL)?
                .query_row([], |r| r.get(0))?;
            let case_no = format!("{date}{id:08}");
            let insert = numbered(crate::cases::insert_case_with_id_sql());
            let mut args: Vec<&dyn ToSql> = case.iter().map(|a| a as &dyn ToSql).collect();
            args.push(&case_no);
            args.push(&id);
            conn.prepare_cached(&insert)?.execute(args.as_slice())?;
            let event_id = insert_event(conn, event, Some(id))?;
            link(conn, id, *actor_id, attachments)?;
            assess_rusqlite(conn, (**assess).clone(), id, event_id, None, counters)?;
            Ok(Some((id, case_no)))
        }
        Work::Insert { sql, args } => {
            conn.prepare_cached(&numbered(sql))?
                .execute(rusqlite::params_from_iter(args.iter()))?;
            Ok(Some((conn.last_insert_rowid(), String::new())))
        }
        Work::Devices(batch) => Ok(Some((batch.write_rusqlite(conn)?, String::new()))),
        Work::Statements(statements) => {
            let mut changed = 0;
            for (sql, args) in statements {
                changed += conn
                    .prepare_cached(&numbered(sql))?
                    .execute(rusqlite::params_from_iter(args.iter()))?;
            }
            Ok(Some((changed as i64, String::new())))
        }
    }
}

/// Inserts an audit event; `case_id` replaces the event's first argument when given.
fn insert_event(conn: &Connection, event: &[Arg], case_id: Option<i64>) -> Result<i64, StoreError> {
    let sql = numbered(crate::cases::insert_event_sql());
    let mut stmt = conn.prepare_cached(&sql)?;
    match case_id {
        Some(id) => {
            let mut args: Vec<&dyn ToSql> = vec![&id];
            args.extend(event.iter().skip(1).map(|a| a as &dyn ToSql));
            stmt.execute(args.as_slice())?;
        }
        None => {
            stmt.execute(rusqlite::params_from_iter(event.iter()))?;
        }
    }
    Ok(conn.last_insert_rowid())
}

/// Links the caller's own, not yet linked (or already this case's) uploads to the case.
fn link(
    conn: &Connection,
    case_id: i64,
    actor_id: i64,
    attachments: &[i64],
) -> Result<(), StoreError> {
    if attachments.is_empty() {
        return Ok(());
    }
    let mut stmt = conn.prepare_cached(
        "UPDATE attachments SET case_id = ?1 WHERE id = ?2 AND uploader_id = ?3 \
         AND (case_id IS NULL OR case_id = ?1)",
    )?;
    for a in attachments {
        if stmt.execute(rusqlite::params![case_id, a, actor_id])? != 1 {
            return Err(StoreError::Invalid(
                "an attachment does not exist, was uploaded by someone else, or belongs to another case".into(),
            ));
        }
    }
    Ok(())
}

/// The id the next case gets: what `AUTOINCREMENT` would choose (one past the highest id ever
/// used, kept in `sqlite_sequence`, or past the highest present if that is higher).
const NEXT_CASE_ID_SQL: &str = "SELECT MAX(COALESCE((SELECT seq FROM sqlite_sequence WHERE name = 'cases'), 0), \
     COALESCE((SELECT MAX(id) FROM cases), 0)) + 1";

/// The columns of `cases` that some index holds (besides `id` and `case_no`, which a transition
/// never changes).
///
/// SQLite rewrites an index entry (delete + insert) for every index holding a column named in
/// an UPDATE's SET list, whether or not the value changed; naming all 49 case columns rewrote
/// the row's entry in every index of `cases` at every transition. A transition changes two or three of these
/// columns, so the writer names only the indexed columns whose value differs from the stored
/// row (the other, unindexed columns are always set). Leaving out a column whose new value
/// equals the stored one writes the same row, so this is exact whatever the list holds; a
/// column indexed later and missing here only costs its index entry rewrites again (a test
/// checks the list against the schema).
pub(crate) const INDEXED_COLUMNS: &[&str] = &[
    "state",
    "source",
    "lat",
    "lon",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "class_code",
    "department_id",
    "assignee_id",
    "reporter_id",
    "master_case_id",
    "node_deadline_at",
    "created_at",
    "closed_at",
];

/// What the writer reads of a case row before updating it.
struct Before {
    /// `node_deadline_at`: the deadline of the node being left (for the assessment).
    deadline: Option<i64>,
    /// The bits (of [`INDEXED_COLUMNS`]) of the indexed columns whose new value differs from
    /// the stored one.
    changed: u32,
}

/// `node_deadline_at`, then [`INDEXED_COLUMNS`], of one case.
fn indexed_sql() -> &'static str {
    static SQL: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    SQL.get_or_init(|| {
        format!(
            "SELECT node_deadline_at, {} FROM cases WHERE id = ?1",
            INDEXED_COLUMNS.join(", ")
        )
    })
}

/// Reads the stored row of a transition's case and compares its indexed columns with the new
/// values `case` (the case columns of the transition); `None` if there is no such case.
fn current_row(
    conn: &Connection,
    case_id: i64,
    case: &[Arg],
) -> Result<Option<Before>, StoreError> {
    use rusqlite::OptionalExtension;
    Ok(conn
        .prepare_cached(indexed_sql())?
        .query_row([case_id], |r| {
            let mut changed = 0;
            for (arg, bit) in case.iter().zip(indexed_bits()) {
                if let Some(bit) = *bit {
                    let col = usize::try_from(bit).map_or(usize::MAX, |b| b + 1);
                    if !r.get_ref(col).is_ok_and(|old| same(arg, old)) {
                        changed |= 1 << bit;
                    }
                }
            }
            Ok(Before {
                deadline: r.get(0)?,
                changed,
            })
        })
        .optional()?)
}

/// Whether a value to be written is exactly the stored one (same storage class and value).
fn same(new: &Arg, old: rusqlite::types::ValueRef<'_>) -> bool {
    use rusqlite::types::ValueRef;
    match (new, old) {
        (Arg::I64(None) | Arg::Text(None) | Arg::F64(None), ValueRef::Null) => true,
        (Arg::I64(Some(a)), ValueRef::Integer(b)) => *a == b,
        (Arg::Text(Some(a)), ValueRef::Text(b)) => a.as_bytes() == b,
        (Arg::F64(Some(a)), ValueRef::Real(b)) => a.to_bits() == b.to_bits(),
        _ => false,
    }
}

/// For each column of [`crate::cases::CASE_COLUMNS`], its bit in a change mask if an index
/// holds it.
fn indexed_bits() -> &'static [Option<u32>] {
    static BITS: std::sync::OnceLock<Vec<Option<u32>>> = std::sync::OnceLock::new();
    BITS.get_or_init(|| {
        crate::cases::CASE_COLUMNS
            .iter()
            .map(|c| {
                INDEXED_COLUMNS
                    .iter()
                    .position(|x| x == c)
                    .and_then(|p| u32::try_from(p).ok())
            })
            .collect()
    })
}

/// The versioned case UPDATE setting every unindexed column and the indexed ones in `mask`.
/// Parameters keep the positions of [`crate::cases::update_sql`] (`?N` for the N-th case column,
/// then `id`, then the expected version), so the same arguments bind every variant. Kept per
/// mask on the writer thread: a workflow has a few dozen shapes of change.
fn update_sql_changing(mask: u32) -> std::rc::Rc<str> {
    thread_local! {
        static TEXTS: std::cell::RefCell<std::collections::HashMap<u32, std::rc::Rc<str>>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    TEXTS.with(|t| {
        t.borrow_mut()
            .entry(mask)
            .or_insert_with(|| {
                let cols = crate::cases::CASE_COLUMNS;
                let sets: Vec<String> = cols
                    .iter()
                    .zip(indexed_bits())
                    .enumerate()
                    .filter(|(_, (_, bit))| bit.is_none_or(|b| mask & (1 << b) != 0))
                    .map(|(i, (c, _))| format!("{c} = ?{}", i + 1))
                    .collect();
                let n = cols.len();
                format!(
                    "UPDATE cases SET {} WHERE id = ?{} AND version = ?{}",
                    sets.join(", "),
                    n + 1,
                    n + 2
                )
                .into()
            })
            .clone()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every column an index of `cases` holds (key or partial condition) is in
    /// [`INDEXED_COLUMNS`], so that no transition leaves a changed indexed column out of its
    /// UPDATE's SET list — which would still be exact (only unchanged values are left out), but
    /// would make the writer name it in every UPDATE: this keeps the list honest when a
    /// migration adds an index.
    #[tokio::test]
    async fn indexed_columns_cover_every_index_of_cases() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("idx.db");
        let _store = crate::Store::open(&crate::ConnectOptions::new(path.display().to_string()))
            .await
            .expect("open");
        let conn = Connection::open(&path).expect("conn");
        let mut indexes = conn
            .prepare(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'cases'",
            )
            .expect("prepare");
        let list: Vec<(String, Option<String>)> = indexes
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(list.len() >= 10, "{list:?}");
        let all_columns = crate::cases::CASE_COLUMNS;
        for (index, sql) in &list {
            let mut info = conn
                .prepare(&format!("PRAGMA index_info({index})"))
                .expect("info");
            let mut columns: Vec<String> = info
                .query_map([], |r| r.get::<_, String>(2))
                .expect("info rows")
                .collect::<Result<_, _>>()
                .expect("columns");
            // Columns named in a partial index's WHERE clause.
            if let Some(sql) = sql
                && let Some((_, cond)) = sql.split_once(" WHERE ")
            {
                columns.extend(
                    all_columns
                        .iter()
                        .filter(|c| cond.contains(**c))
                        .map(|c| (*c).to_owned()),
                );
            }
            for c in columns {
                assert!(
                    c == "id" || c == "case_no" || INDEXED_COLUMNS.contains(&c.as_str()),
                    "index {index} holds {c}, missing from INDEXED_COLUMNS"
                );
            }
        }
        for c in INDEXED_COLUMNS {
            assert!(all_columns.contains(c), "{c} is not a case column");
        }
    }

    #[test]
    fn update_names_unindexed_columns_and_changed_indexed_ones() {
        let none = update_sql_changing(0);
        assert!(!none.contains("state ="), "{none}");
        assert!(none.contains("version = ?1,"), "{none}");
        assert!(none.contains("updated_at = ?"), "{none}");
        assert!(none.ends_with("WHERE id = ?50 AND version = ?51"), "{none}");
        let state_bit = INDEXED_COLUMNS
            .iter()
            .position(|c| *c == "state")
            .expect("state");
        let state = update_sql_changing(1 << state_bit);
        assert!(state.contains("state = ?2,"), "{state}");
        assert!(!state.contains("department_id ="), "{state}");
        assert_eq!(
            crate::cases::CASE_COLUMNS.len(),
            49,
            "the parameter numbers above"
        );
    }

    #[test]
    fn same_compares_storage_class_and_value() {
        use rusqlite::types::ValueRef;
        assert!(same(&Arg::I64(None), ValueRef::Null));
        assert!(same(&Arg::I64(Some(3)), ValueRef::Integer(3)));
        assert!(!same(&Arg::I64(Some(3)), ValueRef::Integer(4)));
        assert!(!same(&Arg::I64(Some(3)), ValueRef::Null));
        assert!(!same(&Arg::Text(None), ValueRef::Text(b"a")));
        assert!(same(&Arg::Text(Some("a".into())), ValueRef::Text(b"a")));
        assert!(!same(&Arg::Text(Some("3".into())), ValueRef::Integer(3)));
        assert!(same(&Arg::F64(Some(34.75)), ValueRef::Real(34.75)));
        assert!(!same(&Arg::F64(Some(0.0)), ValueRef::Real(-0.0)));
    }
}
