//! The storage seam of the MQTT intake: [`SensorSink`] makes a batch of [`SensorMessage`]s
//! durable.
//!
//! **Contract** (as [`crate::Sink`]): `store` returns `Ok` only once every message of the batch
//! would survive a crash. The intake acknowledges (PUBACK) the QoS 1 messages of a batch only
//! after that. An `Err` means none of the batch may be assumed stored; the intake keeps the
//! batch unacknowledged and retries it (the broker still holds every message of it, so a crash
//! meanwhile loses nothing: they are redelivered to the next session).
//!
//! - [`MemorySensorSink`]: a vector, for tests; can be made to fail.
//! - [`FileSensorSink`]: JSON lines appended to a file, `sync_data` after every batch (stands
//!   in for the database in the load benchmark so that the measured rate pays for durability).

use std::future::Future;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use super::payload::SensorMessage;
use crate::sink::SinkError;

/// Makes batches of sensor messages durable. See the module docs for the contract.
pub trait SensorSink: Send + Sync + 'static {
    /// Stores `batch`; returns once it is durable, or with the reason it is not.
    fn store(&self, batch: &[SensorMessage]) -> impl Future<Output = Result<(), SinkError>> + Send;
}

impl<S: SensorSink> SensorSink for Arc<S> {
    fn store(&self, batch: &[SensorMessage]) -> impl Future<Output = Result<(), SinkError>> + Send {
        S::store(self, batch)
    }
}

#[derive(Debug, Default)]
struct MemoryState {
    messages: Vec<SensorMessage>,
    batches: Vec<usize>,
    attempts: usize,
    fail_next: usize,
    failing: Option<String>,
}

/// An in-memory sensor sink for tests. Clones share the same storage.
#[derive(Debug, Clone, Default)]
pub struct MemorySensorSink {
    state: Arc<Mutex<MemoryState>>,
}

impl MemorySensorSink {
    /// An empty sink that stores everything.
    pub fn new() -> MemorySensorSink {
        MemorySensorSink::default()
    }

    fn lock(&self) -> MutexGuard<'_, MemoryState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Everything stored so far, in store order.
    pub fn messages(&self) -> Vec<SensorMessage> {
        self.lock().messages.clone()
    }

    /// Number of messages stored.
    pub fn len(&self) -> usize {
        self.lock().messages.len()
    }

    /// `true` when nothing was stored.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Sizes of the batches stored so far.
    pub fn batch_sizes(&self) -> Vec<usize> {
        self.lock().batches.clone()
    }

    /// Stores attempted so far (failed ones included).
    pub fn attempts(&self) -> usize {
        self.lock().attempts
    }

    /// The next `n` stores fail with `SinkError::Unavailable` and store nothing.
    pub fn fail_next(&self, n: usize) {
        self.lock().fail_next = n;
    }

    /// Every store fails with `SinkError::Rejected(message)` until [`MemorySensorSink::heal`].
    pub fn fail_with(&self, message: &str) {
        self.lock().failing = Some(message.to_owned());
    }

    /// Stores succeed again (also cancels [`MemorySensorSink::fail_next`]).
    pub fn heal(&self) {
        let mut s = self.lock();
        s.failing = None;
        s.fail_next = 0;
    }
}

impl SensorSink for MemorySensorSink {
    async fn store(&self, batch: &[SensorMessage]) -> Result<(), SinkError> {
        let mut s = self.lock();
        s.attempts += 1;
        if let Some(message) = &s.failing {
            return Err(SinkError::Rejected(message.clone()));
        }
        if s.fail_next > 0 {
            s.fail_next -= 1;
            return Err(SinkError::Unavailable(
                "memory sensor sink told to fail".into(),
            ));
        }
        s.messages.extend_from_slice(batch);
        s.batches.push(batch.len());
        Ok(())
    }
}

/// JSON lines (`{"topic":…,"received_at_ms":…,"payload":{…}}`), appended, `sync_data` after
/// every batch. Clones share the file.
#[derive(Debug, Clone)]
pub struct FileSensorSink {
    file: Arc<Mutex<std::fs::File>>,
    path: PathBuf,
    prefix: String,
}

impl FileSensorSink {
    /// Opens (creating, appending) the file at `path`; lines carry topics under `prefix`.
    ///
    /// # Errors
    ///
    /// The file cannot be opened.
    pub fn open(path: impl AsRef<Path>, prefix: &str) -> Result<FileSensorSink, SinkError> {
        let path = path.as_ref().to_path_buf();
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&path)?;
        Ok(FileSensorSink {
            file: Arc::new(Mutex::new(file)),
            path,
            prefix: prefix.to_owned(),
        })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl SensorSink for FileSensorSink {
    async fn store(&self, batch: &[SensorMessage]) -> Result<(), SinkError> {
        let mut buf = String::with_capacity(batch.len() * 160);
        for m in batch {
            let topic = serde_json::Value::from(m.topic(&self.prefix));
            buf.push_str(&format!(
                "{{\"topic\":{topic},\"received_at_ms\":{},\"payload\":{}}}\n",
                m.received_at_ms,
                m.to_payload_json()
            ));
        }
        let file = Arc::clone(&self.file);
        tokio::task::spawn_blocking(move || -> Result<(), SinkError> {
            let mut f = file.lock().unwrap_or_else(PoisonError::into_inner);
            f.write_all(buf.as_bytes())?;
            f.sync_data()?;
            Ok(())
        })
        .await
        .map_err(|e| SinkError::Unavailable(format!("writer task failed: {e}")))?
    }
}
