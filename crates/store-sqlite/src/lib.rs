//! The embedded default store: one SQLite file in WAL mode.
//!
//! Writes go through a single connection (SQLite allows one writer at a
//! time; queueing in our pool is cheaper than spinning on `SQLITE_BUSY`),
//! reads through a small pool of read-only connections that WAL lets run
//! beside the writer. Commits use `synchronous = FULL`: an answer that says
//! "accepted" means the data is on disk.
//!
//! State the engine derives from those alerts (groups, the pages they open,
//! the notifications planned and their delivery) is committed without
//! waiting for the disk ([`Relaxed`]): each commit of it would otherwise
//! add an fsync to the path from an alert to the person paged.

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
/// Rows a reader's SQLite thread may run ahead of the task that takes
/// them. sqlx's default of 50 makes the two threads hand over every few
/// rows; a search reads thousands.
const READ_AHEAD_ROWS: usize = 1024;
/// Readers map the file rather than copy its pages through `read()` into
/// a cache of their own each: searches through history touch thousands of
/// pages, and the four readers share one mapping in the OS page cache.
const READ_MMAP_BYTES: u64 = 1 << 30;
const READERS: u32 = 4;

/// A store in one SQLite file.
pub struct SqliteStore {
    path: PathBuf,
    writer: SqlitePool,
    reader: SqlitePool,
    /// The next alert id and change number, once read from the file.
    counters: std::sync::Mutex<Option<alerts::Counters>>,
}

/// The writer connection set to `synchronous = NORMAL` for the state the
/// engine derives from durable alerts: its commits do not wait for the
/// disk. Such a commit survives a crash of the process (it is in the WAL
/// already); a power loss may lose the last few of them, and the engine
/// derives them again from the alerts after the restart (at worst a
/// notification is sent twice, which its idempotency key allows for). The
/// WAL is written in order, so the next `FULL` commit (an alert, an ack)
/// makes every earlier relaxed one durable too.
///
/// [`restore`](Relaxed::restore) sets the connection back to `FULL`; a
/// `Relaxed` dropped without it (an error, a cancelled request) closes the
/// connection instead, so that no later commit runs relaxed by mistake.
pub(crate) struct Relaxed {
    pub(crate) conn: sqlx::pool::PoolConnection<sqlx::Sqlite>,
    restored: bool,
}

impl Relaxed {
    /// Starts a transaction, relaxed in the same round trip to the
    /// connection's thread.
    pub(crate) async fn begin(&mut self) -> Result<sqlx::Transaction<'_, sqlx::Sqlite>> {
        sqlx::Connection::begin_with(&mut *self.conn, "PRAGMA synchronous = NORMAL; BEGIN")
            .await
            .map_err(query_error(String::new))
    }

    /// Back to `FULL`, for whoever uses the writer next.
    pub(crate) async fn restore(mut self) -> Result<()> {
        sqlx::query("PRAGMA synchronous = FULL")
            .execute(&mut *self.conn)
            .await
            .map_err(query_error(String::new))?;
        self.restored = true;
        Ok(())
    }
}

impl Drop for Relaxed {
    fn drop(&mut self) {
        if !self.restored {
            self.conn.close_on_drop();
        }
    }
}

impl SqliteStore {
    /// The writer for derived state, for a transaction: see [`Relaxed`]
    /// and [`Relaxed::begin`].
    pub(crate) async fn relaxed_writer(&self) -> Result<Relaxed> {
        Ok(Relaxed {
            conn: self.writer.acquire().await.map_err(unavailable)?,
            restored: false,
        })
    }

    /// Runs one statement of derived state on the writer: see [`Relaxed`].
    pub(crate) async fn execute_relaxed<'q, E>(&self, statement: E) -> Result<()>
    where
        E: 'q + sqlx::Execute<'q, sqlx::Sqlite>,
    {
        let mut relaxed = self.relaxed().await?;
        sqlx::Executor::execute(&mut *relaxed.conn, statement)
            .await
            .map_err(query_error(String::new))?;
        relaxed.restore().await
    }

    /// The writer for derived state, for one statement: see [`Relaxed`].
    pub(crate) async fn relaxed(&self) -> Result<Relaxed> {
        let mut conn = self.writer.acquire().await.map_err(unavailable)?;
        sqlx::query("PRAGMA synchronous = NORMAL")
            .execute(&mut *conn)
            .await
            .map_err(query_error(String::new))?;
        Ok(Relaxed {
            conn,
            restored: false,
        })
    }

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
            .connect_with(
                base.read_only(true)
                    .row_buffer_size(READ_AHEAD_ROWS)
                    .pragma("mmap_size", READ_MMAP_BYTES.to_string()),
            )
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

#[cfg(test)]
mod tests {
    use super::*;

    async fn synchronous(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&store.writer)
            .await
            .expect("read the setting")
    }

    /// FULL is 2, NORMAL 1.
    #[tokio::test]
    async fn relaxed_commits_leave_the_writer_at_full() {
        let dir = tempfile::tempdir().expect("directory");
        let store = SqliteStore::open(&dir.path().join("test.db"))
            .await
            .expect("open");
        assert_eq!(synchronous(&store).await, 2);

        let mut relaxed = store.relaxed().await.expect("relaxed");
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *relaxed.conn)
            .await
            .expect("read");
        assert_eq!(level, 1, "relaxed while it is held");
        relaxed.restore().await.expect("restore");
        assert_eq!(synchronous(&store).await, 2, "restored");

        // A transaction relaxed as it begins.
        let mut relaxed = store.relaxed_writer().await.expect("writer");
        let mut tx = relaxed.begin().await.expect("begin");
        let level: i64 = sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *tx)
            .await
            .expect("read");
        assert_eq!(level, 1, "relaxed inside the transaction");
        tx.commit().await.expect("commit");
        relaxed.restore().await.expect("restore");
        assert_eq!(synchronous(&store).await, 2, "restored after it");

        // Dropped without being restored (an error, a cancelled request):
        // the connection is closed, and the next one starts at FULL.
        let dropped = store.relaxed().await.expect("relaxed");
        drop(dropped);
        assert_eq!(synchronous(&store).await, 2, "never left relaxed");
    }
}
