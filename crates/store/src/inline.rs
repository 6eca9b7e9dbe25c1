//! SQLite point reads run inline, on the calling task's thread.
//!
//! sqlx runs each SQLite connection on its own thread, so every read is two thread wake-ups;
//! on the transition path (read the case, decide, write) those hand-offs cost more than the read
//! itself (BENCHMARKS.md). A primary-key read from a WAL database takes microseconds and never
//! waits for the writer (WAL readers see the last commit and take no lock the writer holds), so
//! the hottest reads — one case by id — run synchronously on a pooled `rusqlite` connection
//! instead. Lists, counts and everything else that can scan stay on the sqlx reader pool.

use std::sync::Mutex;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use crate::StoreError;

/// Idle connections kept; more are opened under load and closed when returned past this.
const KEEP: usize = 8;
/// Page cache of each connection, as SQLite's `cache_size` (negative: KiB), filled on demand.
const CACHE_KIB: i64 = -65536;

/// A small pool of read connections to the same database file.
#[derive(Debug)]
pub(crate) struct InlineReaders {
    uri: String,
    idle: Mutex<Vec<Connection>>,
}

impl InlineReaders {
    /// `uri`: an SQLite URI filename (`file:…`).
    pub(crate) fn new(uri: String) -> InlineReaders {
        InlineReaders {
            uri,
            idle: Mutex::new(Vec::new()),
        }
    }

    fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.uri,
            OpenFlags::SQLITE_OPEN_READ_ONLY
                | OpenFlags::SQLITE_OPEN_URI
                | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )?;
        // Only a WAL recovery at startup can make a reader wait; don't hold a runtime thread
        // for long if it does.
        conn.busy_timeout(Duration::from_millis(250))?;
        conn.set_prepared_statement_cache_capacity(16);
        // The same page cache as the sqlx connections (SQLite's default is 2 MB): a 1,000-row
        // Open311 list touches thousands of pages spread over a large store. (A memory map was
        // tried and is worse: every read after a commit unmaps and faults pages in again.)
        conn.pragma_update(None, "cache_size", CACHE_KIB)?;
        Ok(conn)
    }

    /// Runs `f` on an idle connection (opening one if none is idle).
    pub(crate) fn with<T>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T, StoreError>,
    ) -> Result<T, StoreError> {
        let taken = self.idle.lock().ok().and_then(|mut v| v.pop());
        let conn = match taken {
            Some(c) => c,
            None => self.open()?,
        };
        let result = f(&conn);
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < KEEP
        {
            idle.push(conn);
        }
        result
    }
}
