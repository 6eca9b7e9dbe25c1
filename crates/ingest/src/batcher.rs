//! The shared group-commit batcher between connection tasks and the [`Sink`].
//!
//! ```text
//! connection tasks ── submit(records) ──► queue ──► batcher task ── Sink::write(batch) ──┐
//!        ▲                                                                               │
//!        └──────────────── Completion resolves (Ok / Err) for every job of the batch ◄───┘
//! ```
//!
//! Connection tasks [`Batcher::submit`] their records and get a [`Completion`]. One batcher
//! task takes the first queued job, then everything else already queued (up to
//! [`BatcherConfig::max_batch`] records), calls [`Sink::write`] **once**, and resolves every
//! job's completion with the result. While a write is in flight new jobs queue up and form the
//! next batch, so the batch size adapts to the load: one record per write when idle, thousands
//! per write (one fsync) under load. A failing write reports the error to each job of that
//! batch; the connections then send the protocol's failure reply, never a success.
//!
//! Jobs are written in submission order, so a connection that submits in order and acts on
//! completions in order keeps its device's order.

use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::metrics as m;
use crate::record::Record;
use crate::sink::{Sink, SinkError};

/// Batcher settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BatcherConfig {
    /// Most records per `Sink::write` (a job is never split, so one large job may exceed it).
    pub max_batch: usize,
    /// Jobs that may wait in the queue; `submit` waits for room beyond this (backpressure).
    pub queue: usize,
}

impl Default for BatcherConfig {
    fn default() -> Self {
        BatcherConfig {
            max_batch: 8192,
            queue: 65_536,
        }
    }
}

/// Why submitted records were not stored.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// The sink failed the batch holding these records.
    #[error(transparent)]
    Sink(#[from] SinkError),
    /// The batcher task is gone (shutdown).
    #[error("batcher stopped")]
    Stopped,
}

struct Job {
    records: Vec<Record>,
    done: oneshot::Sender<Result<(), BatchError>>,
}

/// Handle to the batcher task; cheap to clone, one per connection task.
#[derive(Debug, Clone)]
pub struct Batcher {
    tx: mpsc::Sender<Job>,
}

impl std::fmt::Debug for Job {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Job")
            .field("records", &self.records.len())
            .finish()
    }
}

/// Resolves when the records of one [`Batcher::submit`] are durable (or not).
#[derive(Debug)]
pub struct Completion(oneshot::Receiver<Result<(), BatchError>>);

impl Completion {
    /// Waits for the outcome.
    ///
    /// # Errors
    ///
    /// [`BatchError::Sink`] when the batch failed; [`BatchError::Stopped`] when the batcher
    /// went away first.
    pub async fn wait(self) -> Result<(), BatchError> {
        self.0.await.unwrap_or(Err(BatchError::Stopped))
    }

    /// The receiving end, for use in `select!` loops.
    pub fn into_inner(self) -> oneshot::Receiver<Result<(), BatchError>> {
        self.0
    }
}

impl Batcher {
    /// Starts the batcher task on the current tokio runtime. The task ends when every
    /// `Batcher` handle is dropped and the queue is drained.
    pub fn spawn<S: Sink>(sink: S, config: BatcherConfig) -> (Batcher, JoinHandle<()>) {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let task = tokio::spawn(run(Arc::new(sink), rx, config.max_batch.max(1)));
        (Batcher { tx }, task)
    }

    /// Starts the batcher on a dedicated OS thread with its own single-threaded tokio runtime
    /// (the sink's futures run there). Under load the gateway runtime holds thousands of ready
    /// connection tasks; a batcher sharing it waits behind all of them at every await, which
    /// caps the commit rate. On its own thread it is polled as soon as it is woken.
    ///
    /// The thread ends when every `Batcher` handle is dropped and the queue is drained.
    ///
    /// # Errors
    ///
    /// The thread or its runtime cannot be created.
    pub fn spawn_dedicated<S: Sink>(
        sink: S,
        config: BatcherConfig,
    ) -> std::io::Result<(Batcher, std::thread::JoinHandle<()>)> {
        let (tx, rx) = mpsc::channel(config.queue.max(1));
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let max_batch = config.max_batch.max(1);
        let thread = std::thread::Builder::new()
            .name("ingest-batcher".into())
            .spawn(move || runtime.block_on(run(Arc::new(sink), rx, max_batch)))?;
        Ok((Batcher { tx }, thread))
    }

    /// Queues `records` for the next batch; waits only when the queue is full.
    ///
    /// # Errors
    ///
    /// [`BatchError::Stopped`] when the batcher task is gone.
    pub async fn submit(&self, records: Vec<Record>) -> Result<Completion, BatchError> {
        let (done, rx) = oneshot::channel();
        self.tx
            .send(Job { records, done })
            .await
            .map_err(|_| BatchError::Stopped)?;
        Ok(Completion(rx))
    }

    /// Submits and waits: `Ok` once `records` are durable.
    ///
    /// # Errors
    ///
    /// As [`Batcher::submit`] and [`Completion::wait`].
    pub async fn write(&self, records: Vec<Record>) -> Result<(), BatchError> {
        self.submit(records).await?.wait().await
    }
}

async fn run<S: Sink>(sink: Arc<S>, mut rx: mpsc::Receiver<Job>, max_batch: usize) {
    let mut batch: Vec<Record> = Vec::new();
    let mut waiters: Vec<oneshot::Sender<Result<(), BatchError>>> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.extend(first.records);
        waiters.push(first.done);
        while batch.len() < max_batch {
            match rx.try_recv() {
                Ok(job) => {
                    batch.extend(job.records);
                    waiters.push(job.done);
                }
                Err(_) => break,
            }
        }
        let started = std::time::Instant::now();
        let result = if batch.is_empty() {
            Ok(())
        } else {
            sink.write(&batch).await
        };
        metrics::histogram!(m::BATCH_SECONDS).record(started.elapsed().as_secs_f64());
        metrics::histogram!(m::BATCH_RECORDS).record(batch.len() as f64);
        match &result {
            Ok(()) => metrics::counter!(m::RECORDS_STORED).increment(batch.len() as u64),
            Err(e) => {
                metrics::counter!(m::BATCHES_FAILED).increment(1);
                tracing::warn!(records = batch.len(), error = %e, "sink write failed");
            }
        }
        let result = result.map_err(BatchError::from);
        for w in waiters.drain(..) {
            // A waiter that went away (connection closed) does not matter.
            let _ = w.send(result.clone());
        }
        batch.clear();
        if batch.capacity() > max_batch.saturating_mul(2) {
            batch.shrink_to(max_batch);
        }
    }
}
