//! The storage seam: [`Sink`] makes a batch of [`Record`]s durable.
//!
//! **Contract:** [`Sink::write`] returns `Ok` only once every record of the batch would survive
//! a crash (committed transaction, fsync'ed file). The gateways send a success reply to a
//! device only after that (`Architecture Invariant: reply after durable`). An `Err` means none
//! of the batch may be assumed stored; the gateways then send the protocol's failure reply
//! (JT/T 808 0x8001 result 1) or no reply (HJ 212: the device retransmits).
//!
//! `write` is called by one [`Batcher`](crate::Batcher) task at a time, with batches of up to
//! a few thousand records; it may take as long as a commit takes.
//!
//! Implementations here:
//!
//! - [`MemorySink`]: a vector in memory, for tests; it can be paused (writes block until
//!   resumed) and made to fail.
//! - [`FileSink`]: an append-only file, `sync_data` after every batch. It stands in for the
//!   database in load tests so that the measured rate includes a real durability cost.
//!
//! # `FileSink` format
//!
//! The file is a sequence of records, each a `u32` little-endian length followed by that
//! many bytes of [`crate::wire`] encoding. A crash can leave a torn last record;
//! [`FileSink::read_all`] stops there.

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use tokio::sync::watch;

use crate::record::Record;
use crate::wire;

/// Why a batch was not made durable.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SinkError {
    /// An IO error (file, socket to the database).
    #[error("io error ({kind:?}): {message}")]
    Io {
        /// The kind.
        kind: std::io::ErrorKind,
        /// The message.
        message: String,
    },
    /// The backend refused the batch (constraint, full disk, read-only replica …).
    #[error("batch rejected: {0}")]
    Rejected(String),
    /// The backend is not available (shutting down, connection lost).
    #[error("sink unavailable: {0}")]
    Unavailable(String),
}

impl From<std::io::Error> for SinkError {
    fn from(e: std::io::Error) -> Self {
        SinkError::Io {
            kind: e.kind(),
            message: e.to_string(),
        }
    }
}

/// Makes batches of records durable. See the module docs for the contract.
pub trait Sink: Send + Sync + 'static {
    /// Stores `batch`; returns once it is durable, or with the reason it is not.
    fn write(&self, batch: &[Record]) -> impl Future<Output = Result<(), SinkError>> + Send;
}

impl<S: Sink> Sink for Arc<S> {
    fn write(&self, batch: &[Record]) -> impl Future<Output = Result<(), SinkError>> + Send {
        S::write(self, batch)
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    records: Vec<Record>,
    batches: Vec<usize>,
    attempts: usize,
    failing: Option<String>,
}

/// An in-memory sink for tests. Clones share the same storage.
///
/// [`MemorySink::pause`] makes writes wait until [`MemorySink::resume`] (to prove that no
/// reply leaves before durability); [`MemorySink::fail_with`] makes writes fail.
#[derive(Debug, Clone)]
pub struct MemorySink {
    state: Arc<Mutex<MemoryState>>,
    gate: Arc<watch::Sender<bool>>,
}

impl Default for MemorySink {
    fn default() -> Self {
        MemorySink::new()
    }
}

impl MemorySink {
    /// An empty, open sink.
    pub fn new() -> MemorySink {
        let (gate, _) = watch::channel(true);
        MemorySink {
            state: Arc::default(),
            gate: Arc::new(gate),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything stored so far, in write order.
    pub fn records(&self) -> Vec<Record> {
        self.lock().records.clone()
    }

    /// Number of records stored.
    pub fn len(&self) -> usize {
        self.lock().records.len()
    }

    /// `true` when nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sizes of the batches written so far.
    pub fn batch_sizes(&self) -> Vec<usize> {
        self.lock().batches.clone()
    }

    /// Writes attempted so far (failed ones included).
    pub fn write_attempts(&self) -> usize {
        self.lock().attempts
    }

    /// Writes block until [`MemorySink::resume`].
    pub fn pause(&self) {
        self.gate.send_replace(false);
    }

    /// Lets blocked and future writes proceed.
    pub fn resume(&self) {
        self.gate.send_replace(true);
    }

    /// Writes fail with `SinkError::Rejected(message)` (and store nothing) until
    /// [`MemorySink::heal`].
    pub fn fail_with(&self, message: &str) {
        self.lock().failing = Some(message.to_owned());
    }

    /// Writes succeed again.
    pub fn heal(&self) {
        self.lock().failing = None;
    }
}

impl Sink for MemorySink {
    async fn write(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut open = self.gate.subscribe();
        if open.wait_for(|open| *open).await.is_err() {
            return Err(SinkError::Unavailable("memory sink dropped".into()));
        }
        let mut state = self.lock();
        state.attempts += 1;
        if let Some(message) = &state.failing {
            return Err(SinkError::Rejected(message.clone()));
        }
        state.records.extend_from_slice(batch);
        state.batches.push(batch.len());
        Ok(())
    }
}

/// An append-only record file, `sync_data` after every batch. See the module docs.
#[derive(Debug, Clone)]
pub struct FileSink {
    file: Arc<Mutex<std::fs::File>>,
    path: PathBuf,
}

impl FileSink {
    /// Opens (creating, appending) the file at `path`.
    ///
    /// # Errors
    ///
    /// The file cannot be opened.
    pub fn open(path: impl AsRef<Path>) -> Result<FileSink, SinkError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(FileSink {
            file: Arc::new(Mutex::new(file)),
            path,
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Reads every complete record of a file written by a `FileSink`; a torn last record
    /// (crash during a write) is ignored.
    ///
    /// # Errors
    ///
    /// The file cannot be read, or a complete record does not decode.
    pub fn read_all(path: impl AsRef<Path>) -> Result<Vec<Record>, SinkError> {
        let bytes = std::fs::read(path)?;
        let mut rest = bytes.as_slice();
        let mut out = Vec::new();
        while let Some((len, tail)) = rest.split_first_chunk::<4>() {
            let len = u32::from_le_bytes(*len) as usize;
            let Some((body, tail)) = tail.split_at_checked(len) else {
                break;
            };
            out.push(wire::decode(body).map_err(|e| SinkError::Rejected(e.to_string()))?);
            rest = tail;
        }
        Ok(out)
    }
}

/// Appends `record` as a length-prefixed [`wire`] record.
fn frame_record(record: &Record, out: &mut Vec<u8>) {
    let at = out.len();
    out.extend_from_slice(&[0; 4]);
    wire::encode(record, out);
    let len = u32::try_from(out.len() - at - 4).unwrap_or(u32::MAX);
    if let Some(slot) = out.get_mut(at..at + 4) {
        slot.copy_from_slice(&len.to_le_bytes());
    }
}

impl Sink for FileSink {
    async fn write(&self, batch: &[Record]) -> Result<(), SinkError> {
        let mut buf = Vec::with_capacity(batch.len() * 96);
        for r in batch {
            frame_record(r, &mut buf);
        }
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || -> Result<(), SinkError> {
            let mut f = file.lock().unwrap_or_else(PoisonError::into_inner);
            f.write_all(&buf)?;
            f.sync_data()?;
            Ok(())
        })
        .await
        .map_err(|e| SinkError::Unavailable(format!("writer task failed: {e}")))?
    }
}
