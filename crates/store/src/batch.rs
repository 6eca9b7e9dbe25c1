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
use crate::assessment::{AssessInput, assess_rusqlite, deadline_rusqlite};
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
        provisional_no: String,
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
fn numbered(sql: &'static str) -> std::rc::Rc<str> {
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
    // One argument per part of the job; a struct for them would only be unpacked again here.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn submit_new_case(
        &self,
        case: Vec<Arg>,
        date: String,
        provisional_no: String,
        event: Vec<Arg>,
        actor_id: i64,
        attachments: &[i64],
        assess: AssessInput,
    ) -> Result<(i64, String), StoreError> {
        let work = Work::NewCase {
            case,
            date,
            provisional_no,
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
    for j in jobs.iter() {
        results.push(in_savepoint(conn, &j.work));
    }
    if let Err(e) = exec(conn, "COMMIT") {
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

/// Runs one job inside a savepoint: kept if it is done, undone if it conflicts or fails.
fn in_savepoint(conn: &Connection, work: &Work) -> Reply {
    exec(conn, "SAVEPOINT job")?;
    let result = execute(conn, work);
    let keep = matches!(result, Ok(Some(_)));
    if !keep {
        exec(conn, "ROLLBACK TO job")?;
    }
    exec(conn, "RELEASE job")?;
    result
}

fn execute(conn: &Connection, work: &Work) -> Reply {
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
            // The deadline of the node being left, for the assessment (this thread is the
            // only writer, so it is still the row the versioned update checks).
            let deadline_before = deadline_rusqlite(conn, *case_id)?;
            let update = numbered(crate::cases::update_sql());
            let changed = conn
                .prepare_cached(&update)?
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
                deadline_before,
            )?;
            Ok(Some((event_id, String::new())))
        }
        Work::NewCase {
            case,
            date,
            provisional_no,
            event,
            actor_id,
            attachments,
            assess,
        } => {
            let insert = numbered(crate::cases::insert_case_sql());
            let mut args: Vec<&dyn ToSql> = case.iter().map(|a| a as &dyn ToSql).collect();
            args.push(provisional_no);
            conn.prepare_cached(&insert)?.execute(args.as_slice())?;
            let id = conn.last_insert_rowid();
            let case_no = format!("{date}{id:08}");
            conn.prepare_cached("UPDATE cases SET case_no = ?1 WHERE id = ?2")?
                .execute(rusqlite::params![case_no, id])?;
            let event_id = insert_event(conn, event, Some(id))?;
            link(conn, id, *actor_id, attachments)?;
            assess_rusqlite(conn, (**assess).clone(), id, event_id, None)?;
            Ok(Some((id, case_no)))
        }
        Work::Insert { sql, args } => {
            conn.prepare_cached(&numbered(sql))?
                .execute(rusqlite::params_from_iter(args.iter()))?;
            Ok(Some((conn.last_insert_rowid(), String::new())))
        }
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
