//! The embedded default store: one SQLite file in WAL mode.
//!
//! Writes go through a single connection (SQLite allows one writer at a
//! time; queueing in our pool is cheaper than spinning on `SQLITE_BUSY`),
//! reads through a small pool of read-only connections that WAL lets run
//! beside the writer. Commits use `synchronous = FULL`: an answer that says
//! "accepted" means the data is on disk.

mod alerts;
mod drills;
mod engine;
mod escalations;
mod feedback;
mod handoffs;
mod heartbeats;
mod outbox;
mod overrides;
mod pages;
mod secrets;
mod sign_in;
mod silences;
mod slis;
mod tokens;

use async_trait::async_trait;
use pagerbound_store::{Backend, Result, Store, StoreError};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// How long a connection waits for a lock held by another process (another
/// `pagerbound` command against the same file) before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
const READERS: u32 = 4;

/// A store in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    reader: SqlitePool,
    /// The next alert id and change number, once read from the file.
    counters: std::sync::Mutex<Option<alerts::Counters>>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file. Does not migrate.
    pub async fn open(path: &Path) -> Result<Self> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        // Connections to a local file do not go stale: checking each one out
        // with a ping would only add a round trip to every query.
        let writer = SqlitePoolOptions::new()
            .max_connections(1)
            .test_before_acquire(false)
            .connect_with(
                base.clone()
                    .create_if_missing(true)
                    .journal_mode(SqliteJournalMode::Wal)
                    .synchronous(SqliteSynchronous::Full),
            )
            .await
            .map_err(unavailable)?;
        let reader = SqlitePoolOptions::new()
            .max_connections(READERS)
            .test_before_acquire(false)
            .connect_with(base.read_only(true))
            .await
            .map_err(unavailable)?;
        Ok(SqliteStore {
            path: path.to_owned(),
            writer,
            reader,
            counters: std::sync::Mutex::new(None),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl Store for SqliteStore {
    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.writer)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.reader)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn close(&self) {
        self.writer.close().await;
        self.reader.close().await;
    }
}

fn unavailable(error: sqlx::Error) -> StoreError {
    StoreError::Unavailable(Box::new(error))
}

/// Maps a query error: constraint violations become `Conflict` with
/// `what` as the message; everything else is a database error.
fn query_error(what: impl FnOnce() -> String) -> impl FnOnce(sqlx::Error) -> StoreError {
    move |error| match &error {
        sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Conflict(what()),
        sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
            unavailable(error)
        }
        _ => StoreError::Database(Box::new(error)),
    }
}

fn millis(at: jiff::Timestamp) -> i64 {
    at.as_millisecond()
}

fn timestamp(ms: i64) -> Result<jiff::Timestamp> {
    jiff::Timestamp::from_millisecond(ms)
        .map_err(|e| StoreError::Corrupt(format!("instant {ms} out of range: {e}")))
}

fn optional_timestamp(ms: Option<i64>) -> Result<Option<jiff::Timestamp>> {
    ms.map(timestamp).transpose()
}

/// Reads a column, turning a missing column or a type mismatch into
/// `Corrupt` instead of a panic.
fn column<'r, T>(row: &'r sqlx::sqlite::SqliteRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Sqlite> + sqlx::Type<sqlx::Sqlite>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column `{name}`: {e}")))
}
