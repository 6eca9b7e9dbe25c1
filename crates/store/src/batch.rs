//! Group commit for SQLite case transitions (after Traccar's batched database writer).
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
    Done(i64),
    Conflict,
    /// The case and event were written but not every attachment linked: roll back.
    Mismatch,
}

struct Job {
    sql: String,
    args: Vec<Arg>,
    attachments: usize,
    reply: oneshot::Sender<Result<Option<i64>, StoreError>>,
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
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job {
                sql,
                args,
                attachments: attachments.len(),
                reply,
            })
            .await
            .map_err(lost)?;
        rx.await.map_err(lost)?
    }
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
        "SELECT total_changes() AS n, 0 AS rowid; {}; INSERT INTO case_events (case_id, action, actor_id, actor_role, from_state, to_state, note, attachments, data, at) SELECT {} WHERE changes() = 1",
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
    sql.push_str("; SELECT total_changes() AS n, last_insert_rowid() AS rowid");
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
    Ok(if changed == 0 {
        Outcome::Conflict
    } else if changed == 2 + job.attachments as i64 {
        Outcome::Done(last.i64("rowid")?)
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
async fn try_together(conn: &mut SqliteConnection, jobs: &[Job]) -> Option<Vec<Option<i64>>> {
    sqlx::query("BEGIN IMMEDIATE")
        .execute(&mut *conn)
        .await
        .ok()?;
    let mut out = Vec::with_capacity(jobs.len());
    for j in jobs {
        match run_item(conn, j).await {
            Ok(Outcome::Done(id)) => out.push(Some(id)),
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

async fn alone(conn: &mut SqliteConnection, job: &Job) -> Result<Option<i64>, StoreError> {
    sqlx::query("BEGIN IMMEDIATE").execute(&mut *conn).await?;
    match run_item(conn, job).await {
        Ok(Outcome::Done(id)) => {
            if let Err(e) = sqlx::query("COMMIT").execute(&mut *conn).await {
                rollback(conn).await;
                return Err(e.into());
            }
            Ok(Some(id))
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
