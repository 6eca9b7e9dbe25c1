//! Group commit for SQLite writes of the case loop (after Traccar's batched database writer):
//! case transitions, new reports and photo records.
//!
//! SQLite has one writer; one transaction per transition spends most of its time handing work
//! between threads and writing the same index pages to the WAL again and again. Instead, one
//! task owns the writer connection: it takes every transition waiting in its queue (up to
//! [`MAX_BATCH`]), runs them in one transaction — each as one multi-statement call that updates
//! the case only if its version matches, inserts the audit event only if the update happened,
//! and links its attachments — commits once, and only then answers each caller.
//!
//! Each item's effect is checked by `total_changes()` before and after: 0 rows means the
//! version did not match (a conflict, nothing written for it); `2 + attachments` means done;
//! anything else means an attachment could not be linked, and the whole batch is rolled back
//! and replayed one transition per transaction, so one bad item never commits half of itself
//! and never fails its neighbours.

use sqlx::{AssertSqlSafe, SqliteConnection, SqlitePool};
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::cases::update_sql;
use crate::rows::{Arg, RowExt, bind_args};

/// Most transitions committed together.
pub const MAX_BATCH: usize = 64;

/// How one item ended inside a transaction.
enum Outcome {
    /// The row id the item reports (event, case or attachment) and an optional text (case number).
    Done(i64, String),
    Conflict,
    /// The case and event were written but not every attachment linked: roll back.
    Mismatch,
}

/// Row id and text reported by a finished item; `None` = version conflict.
type Reply = Result<Option<(i64, String)>, StoreError>;

struct Job {
    sql: String,
    args: Vec<Arg>,
    /// Rows the item changes when it succeeds.
    expected: i64,
    /// Whether "no row changed" is a version conflict (transitions) rather than an error.
    zero_is_conflict: bool,
    reply: oneshot::Sender<Reply>,
}

/// Handle to the writer task.
#[derive(Debug)]
pub(crate) struct BatchWriter {
    tx: mpsc::Sender<Job>,
}

fn lost(e: impl std::fmt::Display) -> StoreError {
    StoreError::Database(sqlx::Error::Protocol(format!("batch writer: {e}")))
}

impl BatchWriter {
    /// Starts the writer task on the current runtime.
    pub(crate) fn spawn(writer: SqlitePool) -> BatchWriter {
        let (tx, rx) = mpsc::channel(MAX_BATCH * 16);
        tokio::spawn(run(writer, rx));
        BatchWriter { tx }
    }

    /// Queues one transition and waits until its batch has committed. Returns the event id, or
    /// `None` if the case was not at the expected version.
    pub(crate) async fn submit(
        &self,
        case: Vec<Arg>,
        event: Vec<Arg>,
        actor_id: i64,
        attachments: &[i64],
    ) -> Result<Option<i64>, StoreError> {
        let (sql, args) = item(case, event, actor_id, attachments);
        let expected = 2 + attachments.len() as i64;
        Ok(self
            .send(sql, args, expected, true)
            .await?
            .map(|(id, _)| id))
    }

    /// Queues a new case with its first event and attachments; returns (case id, case number).
    pub(crate) async fn submit_new_case(
        &self,
        case: Vec<Arg>,
        date: String,
        provisional_no: String,
        event: Vec<Arg>,
        actor_id: i64,
        attachments: &[i64],
    ) -> Result<(i64, String), StoreError> {
        let (sql, args) = new_case_item(case, date, provisional_no, event, actor_id, attachments);
        let expected = 3 + attachments.len() as i64;
        self.send(sql, args, expected, false)
            .await?
            .ok_or_else(|| StoreError::Corrupt("new case not written".into()))
    }

    /// Queues one INSERT that changes one row; returns its row id.
    pub(crate) async fn submit_insert(
        &self,
        insert: &'static str,
        args: Vec<Arg>,
    ) -> Result<i64, StoreError> {
        let sql = format!(
            "SELECT total_changes() AS n, 0 AS rowid, '' AS extra; {insert}; SELECT total_changes() AS n, last_insert_rowid() AS rowid, '' AS extra"
        );
        self.send(sql, args, 1, false)
            .await?
            .map(|(id, _)| id)
            .ok_or_else(|| StoreError::Corrupt("row not written".into()))
    }

    async fn send(
        &self,
        sql: String,
        args: Vec<Arg>,
        expected: i64,
        zero_is_conflict: bool,
    ) -> Reply {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                sql,
                args,
                expected,
                zero_is_conflict,
                reply,
            })
            .await
            .map_err(lost)?;
        rx.await.map_err(lost)?
    }
}

/// The statements of a new report: insert the case under a provisional number, renumber it
/// `<date><id:08>`, insert its first event, link its attachments, report (case id, case number).
fn new_case_item(
    case: Vec<Arg>,
    date: String,
    provisional_no: String,
    event: Vec<Arg>,
    actor_id: i64,
    attachments: &[i64],
) -> (String, Vec<Arg>) {
    let mut args = case;
    let cols = crate::cases::CASE_COLUMNS.join(", ");
    let params: Vec<String> = (1..=args.len()).map(|i| format!("${i}")).collect();
    args.push(provisional_no.into());
    let no = args.len();
    args.push(date.into());
    let date_param = args.len();
    // The event's own case_id (its first argument) is replaced by the new case's id.
    let first_event = args.len() + 1;
    args.extend(event.into_iter().skip(1));
    let event_params: Vec<String> = (first_event..args.len() + 1)
        .map(|i| format!("${i}"))
        .collect();
    let mut sql = format!(
        "SELECT total_changes() AS n, 0 AS rowid, '' AS extra; \
         INSERT INTO cases (case_no, {cols}) VALUES (${no}, {}); \
         UPDATE cases SET case_no = ${date_param} || printf('%08d', last_insert_rowid()) WHERE id = last_insert_rowid(); \
         INSERT INTO case_events (case_id, action, actor_id, actor_role, from_state, to_state, note, attachments, data, at) VALUES (last_insert_rowid(), {})",
        params.join(", "),
        event_params.join(", ")
    );
    if !attachments.is_empty() {
        args.push(actor_id.into());
        let actor = args.len();
        let ids: Vec<String> = attachments
            .iter()
            .map(|a| {
                args.push((*a).into());
                format!("${}", args.len())
            })
            .collect();
        sql.push_str(&format!(
            "; UPDATE attachments SET case_id = (SELECT case_id FROM case_events WHERE id = last_insert_rowid()) \
             WHERE id IN ({}) AND uploader_id = ${actor} AND case_id IS NULL",
            ids.join(", ")
        ));
    }
    sql.push_str(
        "; SELECT total_changes() AS n, c.id AS rowid, c.case_no AS extra FROM case_events e \
         JOIN cases c ON c.id = e.case_id WHERE e.id = last_insert_rowid()",
    );
    (sql, args)
}

/// The multi-statement text and binds of one transition.
fn item(case: Vec<Arg>, event: Vec<Arg>, actor_id: i64, attachments: &[i64]) -> (String, Vec<Arg>) {
    let n_case = case.len();
    let mut args = case;
    let first_event = args.len() + 1;
    args.extend(event);
    let event_params: Vec<String> = (first_event..args.len() + 1)
        .map(|i| format!("${i}"))
        .collect();
    let id_param = n_case - 1; // `id` is the second-to-last case argument, `version` the last.
    let mut sql = format!(
        "SELECT total_changes() AS n, 0 AS rowid, '' AS extra; {}; INSERT INTO case_events (case_id, action, actor_id, actor_role, from_state, to_state, note, attachments, data, at) SELECT {} WHERE changes() = 1",
        update_sql(),
        event_params.join(", ")
    );
    if !attachments.is_empty() {
        args.push(actor_id.into());
        let actor = args.len();
        let ids: Vec<String> = attachments
            .iter()
            .map(|a| {
                args.push((*a).into());
                format!("${}", args.len())
            })
            .collect();
        sql.push_str(&format!(
            "; UPDATE attachments SET case_id = ${id_param} WHERE id IN ({}) AND uploader_id = ${actor} AND (case_id IS NULL OR case_id = ${id_param}) AND changes() = 1",
            ids.join(", ")
        ));
    }
    // `total_changes()` counts only real row changes; sqlx's per-statement counts would include
    // stale values reported for SELECT statements.
    sql.push_str("; SELECT total_changes() AS n, last_insert_rowid() AS rowid, '' AS extra");
    (sql, args)
}

async fn run_item(conn: &mut SqliteConnection, job: &Job) -> Result<Outcome, StoreError> {
    let rows = bind_args!(sqlx::query(AssertSqlSafe(job.sql.clone())), &job.args)
        .fetch_all(&mut *conn)
        .await?;
    let (Some(first), Some(last)) = (rows.first(), rows.last()) else {
        return Err(StoreError::Corrupt("transition returned no rows".into()));
    };
    let changed = last.i64("n")? - first.i64("n")?;
    Ok(if changed == 0 && job.zero_is_conflict {
        Outcome::Conflict
    } else if changed == job.expected {
        Outcome::Done(last.i64("rowid")?, last.text("extra")?)
    } else {
        Outcome::Mismatch
    })
}

async fn run(writer: SqlitePool, mut rx: mpsc::Receiver<Job>) {
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        process(&writer, jobs).await;
    }
}

async fn rollback(conn: &mut SqliteConnection) {
    let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
}

async fn process(writer: &SqlitePool, jobs: Vec<Job>) {
    let mut conn = match writer.acquire().await {
        Ok(c) => c,
        Err(e) => {
            let msg = e.to_string();
            for j in jobs {
                let _ = j.reply.send(Err(lost(&msg)));
            }
            return;
        }
    };
    if jobs.len() > 1
        && let Some(done) = try_together(&mut conn, &jobs).await
    {
        for (j, outcome) in jobs.into_iter().zip(done) {
            let _ = j.reply.send(Ok(outcome));
        }
        return;
    }
    // One at a time: a lone transition, or the replay of a batch that could not commit whole.
    for j in jobs {
        let result = alone(&mut conn, &j).await;
        let _ = j.reply.send(result);
    }
}

/// Runs all jobs in one transaction; `None` (everything rolled back) if any went wrong.
async fn try_together(
    conn: &mut SqliteConnection,
    jobs: &[Job],
) -> Option<Vec<Option<(i64, String)>>> {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .ok()?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        match run_item(conn, j).await {
            Ok(Outcome::Done(id, extra)) => out.push(Some((id, extra))),
            Ok(Outcome::Conflict) => out.push(None),
            Ok(Outcome::Mismatch) | Err(_) => {
                rollback(conn).await;
                return None;
            }
        }
    }
    if sqlx::query("COMMIT").execute(&mut *conn).await.is_err() {
        rollback(conn).await;
        return None;
    }
    Some(out)
}

async fn alone(conn: &mut SqliteConnection, job: &Job) -> Reply {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match run_item(conn, job).await {
        Ok(Outcome::Done(id, extra)) => {
            if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
                rollback(conn).await;
                return Err(e.into());
            }
            Ok(Some((id, extra)))
        }
        Ok(Outcome::Conflict) => {
            rollback(conn).await;
            Ok(None)
        }
        Ok(Outcome::Mismatch) => {
            rollback(conn).await;
            Err(StoreError::Invalid(
                "an attachment does not exist, was uploaded by someone else, or belongs to another case".into(),
            ))
        }
        Err(e) => {
            rollback(conn).await;
            Err(e)
        }
    }
}
