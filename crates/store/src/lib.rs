//! yiwang's one persistence layer: the same [`Store`] API over SQLite (the embedded default) and
//! PostgreSQL (scale-out), chosen by the database URL.
//!
//! Design (after atuin's server database, folded into one crate):
//! - Every query is written once, in SQL both backends accept (`$n` placeholders, 64-bit integers,
//!   millisecond instants, JSON as text), and run through the [`on_read!`]/[`on_write!`] macros,
//!   which expand the same block once per backend. Row decoding is generic over [`rows::RowExt`].
//! - Each backend has its own migration folder (`migrations/sqlite`, `migrations/postgres`),
//!   embedded in the binary and applied by [`Store::migrate`]. Migrations are append-only.
//! - SQLite runs in WAL mode with one writer connection and a pool of readers, so writes never
//!   fight over the lock and reads never wait for writes.
//! - A case transition is one transaction: the case row is updated only if its version still
//!   matches (optimistic concurrency), the audit event is inserted, attachments are linked; any
//!   failure rolls everything back.
//!
//! **Architecture invariant:** this is the only crate that knows SQL.

pub mod assessment;
mod attachment_keys;
mod batch;
mod cases;
mod citizens;
pub mod city;
mod collection_routes;
mod config;
mod devices;
mod duplicates;
mod error;
mod inline;
mod migrate;
mod notify;
pub mod open311;
mod org;
mod ratelimits;
mod rows;
#[cfg(test)]
mod sensor_rule_tests;
mod supervision;
mod volunteers;

use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub use crate::assessment::{
    CYCLE_CLAIM_MS, CycleRun, CycleRunDue, CycleTask, NewMatter, RebuildReport,
};
pub use cases::{CaseBreakdown, CaseFilter, CasePage, ClassCount, LastEvent, StoredEvent};
pub use citizens::{NewNotification, Notification, NotificationFilter, OtpCode};
pub use city::{CityCounts, ComponentFilter};
pub use collection_routes::CollectionRoute;
pub use devices::{Monitor, NewVehicle, Position, Reading, VEHICLE_KINDS, Vehicle};
pub use duplicates::MAX_CANDIDATES as MAX_DUPLICATE_CANDIDATES;
pub use error::StoreError;
pub use notify::{Delivery, Follower, NewWebhook, Webhook};
pub use org::{
    Area, AttachmentMeta, Department, NewAttachment, NewDepartment, NewUser, User, UserWithRoles,
};
pub use ratelimits::RateDecision;
pub use supervision::{
    Alarm, AlarmClear, AlarmCount, AlarmEvent, AlarmFilter, AlarmPage, AlarmRaise, AlarmStep,
    AlarmStepInput, AlarmWrite, Camera, CameraEvent, CollectionPoint, PermitRecord, Sensor,
    SensorReading, Tonnage, TransferStation,
};
pub use supervision::{SensorRuleRow, SensorRuleWrite};
pub use volunteers::{NewVolunteer, ProjectCount, Volunteer, VolunteerFilter, VolunteerSummary};

/// Which database a [`Store`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

#[derive(Clone, Debug)]
enum Pools {
    Sqlite {
        writer: SqlitePool,
        reader: SqlitePool,
    },
    Postgres(PgPool),
}

/// The store: cloneable, cheap to share across tasks.
#[derive(Clone, Debug)]
pub struct Store {
    pools: Pools,
    /// SQLite only: the group-commit writer for case transitions.
    pub(crate) batch: Option<std::sync::Arc<batch::BatchWriter>>,
    /// SQLite only: point reads on the calling thread (see `inline.rs`).
    pub(crate) inline: Option<std::sync::Arc<inline::InlineReaders>>,
    /// The working calendar assessment counts handling time in (see `assessment.rs`).
    pub(crate) assess_calendar: crate::assessment::CalendarSlot,
    /// `sqlite::memory:`: the throw-away file standing in for it, removed with the last clone.
    _scratch: Option<std::sync::Arc<ScratchFile>>,
}

/// A database file that exists only as long as the store using it.
///
/// `sqlite::memory:` (tests, throw-away runs) is served from such a file rather than from a
/// shared-cache in-memory database: shared cache locks whole tables (`SQLITE_LOCKED`, which no
/// busy timeout waits out), while a WAL file behaves exactly like the real thing.
#[derive(Debug)]
struct ScratchFile(std::path::PathBuf);

impl Drop for ScratchFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let mut p = self.0.clone().into_os_string();
            p.push(suffix);
            let _ = std::fs::remove_file(p);
        }
    }
}

/// Runs `$body` with `$p` bound to the pool for reads (an SQLite reader or the PostgreSQL pool).
macro_rules! on_read {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { reader: $p, .. } => $body,
            $crate::Pools::Postgres($p) => $body,
        }
    };
}

/// Runs `$body` with `$p` bound to the pool for writes (the SQLite writer or the PostgreSQL pool).
macro_rules! on_write {
    ($store:expr, $p:ident => $body:expr) => {
        match &$store.pools {
            $crate::Pools::Sqlite { writer: $p, .. } => $body,
            $crate::Pools::Postgres($p) => $body,
        }
    };
}

pub(crate) use {on_read, on_write};

/// Options for opening a store.
#[derive(Clone, Debug)]
pub struct ConnectOptions {
    /// `sqlite://path/to/file.db`, a plain file path, `sqlite::memory:`, or `postgres://…`.
    pub url: String,
    /// Maximum pool size (readers for SQLite).
    pub max_connections: u32,
    /// PostgreSQL only: a schema to create (if missing) and use; lets tests share a database.
    pub pg_schema: Option<String>,
}

impl ConnectOptions {
    pub fn new(url: impl Into<String>) -> Self {
        ConnectOptions {
            url: url.into(),
            max_connections: 8,
            pg_schema: None,
        }
    }
}

impl Store {
    /// Opens (creating an SQLite file if needed) without migrating.
    ///
    /// # Errors
    /// Bad URL, unreachable server, unwritable file.
    pub async fn connect(opts: &ConnectOptions) -> Result<Store, StoreError> {
        let url = opts.url.trim();
        if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let mut pg = PgConnectOptions::from_str(url)?;
            if let Some(schema) = &opts.pg_schema {
                if !schema
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_')
                {
                    return Err(StoreError::Invalid(format!("bad schema name {schema:?}")));
                }
                let admin = PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(pg.clone())
                    .await?;
                sqlx::query(sqlx::AssertSqlSafe(format!(
                    "CREATE SCHEMA IF NOT EXISTS {schema}"
                )))
                .execute(&admin)
                .await?;
                admin.close().await;
                pg = pg.options([("search_path", schema.as_str())]);
            }
            let pool = PgPoolOptions::new()
                .max_connections(opts.max_connections.max(2))
                .acquire_timeout(Duration::from_secs(10))
                .connect_with(pg)
                .await?;
            return Ok(Store {
                pools: Pools::Postgres(pool),
                batch: None,
                inline: None,
                assess_calendar: crate::assessment::CalendarSlot::default(),
                _scratch: None,
            });
        }
        let path = url
            .strip_prefix("sqlite://")
            .or_else(|| url.strip_prefix("sqlite:"))
            .unwrap_or(url);
        let scratch = if path == ":memory:" || path.is_empty() {
            let file = std::env::temp_dir().join(format!(
                "yiwang-scratch-{}-{}.db",
                std::process::id(),
                MEMORY_DB_COUNTER.fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            ));
            Some(std::sync::Arc::new(ScratchFile(file)))
        } else {
            None
        };
        let scratch_path = scratch.as_ref().map(|s| s.0.to_string_lossy().into_owned());
        let path = scratch_path.as_deref().unwrap_or(path);
        if let Some(parent) = std::path::Path::new(path).parent()
            && !parent.as_os_str().is_empty()
        {
            std::fs::create_dir_all(parent).map_err(|e| {
                StoreError::Invalid(format!("cannot create {}: {e}", parent.display()))
            })?;
        }
        let base = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true);
        let base = base
            .journal_mode(SqliteJournalMode::Wal)
            // FULL: the WAL is fsynced at every commit, so an acknowledged write survives a power
            // loss, not only a crash of the process. Group commit keeps this to one fsync per batch.
            .synchronous(SqliteSynchronous::Full)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536")
            .pragma("temp_store", "memory");
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .min_connections(1)
            .idle_timeout(None)
            .max_lifetime(None)
            .connect_with(base.clone())
            .await?;
        let reader = SqlitePoolOptions::new()
            .max_connections(opts.max_connections.max(1))
            .min_connections(0)
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(None)
            .connect_with(base.read_only(true))
            .await?;
        // An SQLite URI filename: `%`, `?` and `#` would otherwise be read as URI syntax.
        let escaped = path
            .replace('%', "%25")
            .replace('?', "%3f")
            .replace('#', "%23");
        let uri = format!("file:{escaped}");
        let batch = Some(std::sync::Arc::new(batch::BatchWriter::spawn(
            &uri,
            Duration::from_secs(10),
        )?));
        let inline = Some(std::sync::Arc::new(inline::InlineReaders::new(uri.clone())));
        Ok(Store {
            pools: Pools::Sqlite { writer, reader },
            batch,
            inline,
            assess_calendar: crate::assessment::CalendarSlot::default(),
            _scratch: scratch,
        })
    }

    /// Opens and applies pending migrations.
    ///
    /// # Errors
    /// As [`Store::connect`] and [`Store::migrate`].
    pub async fn open(opts: &ConnectOptions) -> Result<Store, StoreError> {
        let store = Store::connect(opts).await?;
        store.migrate().await?;
        if let Pools::Sqlite { writer, .. } = &store.pools {
            // Keep the query planner's statistics fresh: without them SQLite may sort a million
            // rows instead of walking an index (measured: 2 s vs 3 ms on a filtered list).
            sqlx::query("PRAGMA optimize=0x10002")
                .execute(writer)
                .await?;
            let writer = writer.clone();
            tokio::spawn(async move {
                let mut every = tokio::time::interval(Duration::from_secs(3600));
                every.tick().await;
                loop {
                    every.tick().await;
                    if writer.is_closed()
                        || sqlx::query("PRAGMA optimize")
                            .execute(&writer)
                            .await
                            .is_err()
                    {
                        break;
                    }
                }
            });
        }
        Ok(store)
    }

    pub fn backend(&self) -> Backend {
        match self.pools {
            Pools::Sqlite { .. } => Backend::Sqlite,
            Pools::Postgres(_) => Backend::Postgres,
        }
    }

    /// Closes all connections (flushes the SQLite WAL).
    pub async fn close(&self) {
        match &self.pools {
            Pools::Sqlite { writer, reader } => {
                reader.close().await;
                writer.close().await;
            }
            Pools::Postgres(p) => p.close().await,
        }
    }

    /// A cheap round trip, for health checks.
    ///
    /// # Errors
    /// The database is unreachable.
    pub async fn ping(&self) -> Result<(), StoreError> {
        on_read!(self, p => { sqlx::query("SELECT 1").execute(p).await?; });
        Ok(())
    }

    /// Refreshes the query planner's statistics (run after a bulk import).
    ///
    /// # Errors
    /// The database refuses.
    pub async fn analyze(&self) -> Result<(), StoreError> {
        on_write!(self, p => { sqlx::query("ANALYZE").execute(p).await?; });
        Ok(())
    }

    /// PostgreSQL only: drops a schema made for tests.
    ///
    /// # Errors
    /// The database refuses.
    pub async fn drop_schema(&self, schema: &str) -> Result<(), StoreError> {
        if let Pools::Postgres(p) = &self.pools
            && schema
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_')
        {
            let sql = format!("DROP SCHEMA IF EXISTS {schema} CASCADE");
            sqlx::query(sqlx::AssertSqlSafe(sql)).execute(p).await?;
        }
        Ok(())
    }
}

static MEMORY_DB_COUNTER: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

#[cfg(test)]
mod tests;
