//! The embedded default store: one SQLite file in WAL mode.
//!
//! Writes go through a single connection, taken in turn (SQLite allows one
//! writer at a time; queueing for our connection is cheaper than spinning
//! on `SQLITE_BUSY`), reads through a small pool of read-only connections
//! that WAL lets run beside the writer. Commits use `synchronous = FULL`: an answer that says
//! "accepted" means the data is on disk.
//!
//! State the engine derives from those alerts (groups, the pages they open,
//! the notifications planned and their delivery) is committed without
//! waiting for the disk, each write in one trip to the writer's thread
//! ([`derived!`]): each commit of it would otherwise add an fsync to the
//! path from an alert to the person paged.

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
    SqliteConnectOptions, SqliteConnection, SqliteJournalMode, SqlitePool, SqlitePoolOptions,
    SqliteSynchronous,
};
use sqlx::{ConnectOptions, Connection as _};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
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
    writer: WriteConnection,
    reader: SqlitePool,
    /// The next alert id and change number, once read from the file.
    counters: std::sync::Mutex<Option<alerts::Counters>>,
}

/// Statements of derived state, wrapped to run as one transaction that
/// commits without waiting for the disk, in one trip to the writer's
/// thread: see [`SqliteStore::write_derived`].
///
/// Derived state is what the engine works out from durable alerts
/// (groups, the pages they open, the notifications planned and their
/// delivery). Its commit at `synchronous = NORMAL` survives a crash of the
/// process (it is in the WAL already); a power loss may lose the last few,
/// and the engine derives them again from the alerts after the restart (at
/// worst a notification is sent twice, which its idempotency key allows
/// for). The WAL is written in order, so the next `FULL` commit (an alert,
/// an ack) makes every earlier relaxed one durable too.
///
/// Each statement's parameters must be numbered from `?1` without a gap:
/// where a number is missing, sqlx binds the next arguments by position,
/// and a later statement may find its own unbound (NULL). Statements that
/// need different values read them from one JSON argument, `?1`. (Or, as
/// the alert batches do, every parameter of the string is anonymous, `?`:
/// sqlx binds those in order across the statements.)
macro_rules! derived {
    ($($statement:expr),+ $(,)?) => {
        concat!(
            "PRAGMA synchronous = NORMAL; BEGIN IMMEDIATE; ",
            $($statement, "; ",)+
            "COMMIT; PRAGMA synchronous = FULL"
        )
    };
}
pub(crate) use derived;

/// The one connection that writes, taken in turn.
///
/// SQLite lets one connection write at a time, so every write waits here
/// for the connection, in the order it asked (tokio's mutex is fair). A
/// pool of one connection would do the same, but it takes a connection
/// back through a spawned task that first pings the connection's thread:
/// measured at 0.14 ms before the next write could start, while a batch
/// of 36 alerts takes 0.2 ms to write.
struct WriteConnection {
    options: SqliteConnectOptions,
    /// `None` once the store is closed.
    conn: tokio::sync::Mutex<Option<SqliteConnection>>,
    /// A string of statements was left unfinished on the connection (see
    /// [`OneTrip`]): the next writer resets it first.
    unfinished: AtomicBool,
}

/// The write connection, held until dropped.
pub(crate) type Writing<'a> = tokio::sync::MappedMutexGuard<'a, SqliteConnection>;

impl WriteConnection {
    async fn open(options: SqliteConnectOptions) -> Result<Self> {
        let conn = options.connect().await.map_err(unavailable)?;
        Ok(WriteConnection {
            options,
            conn: tokio::sync::Mutex::new(Some(conn)),
            unfinished: AtomicBool::new(false),
        })
    }

    /// Waits for the connection. One left unfinished is rolled back and
    /// set to `synchronous = FULL` again, or replaced when that fails.
    async fn take(&self) -> Result<Writing<'_>> {
        let mut slot = self.conn.lock().await;
        if self.unfinished.swap(false, Ordering::AcqRel)
            && let Some(conn) = slot.as_mut()
        {
            // Fails when the statements had committed or rolled back
            // already: nothing is open then.
            let _ = sqlx::query("ROLLBACK").execute(&mut *conn).await;
            if let Err(error) = sqlx::query("PRAGMA synchronous = FULL")
                .execute(&mut *conn)
                .await
            {
                tracing::warn!(%error, "The SQLite write connection is reopened after a failure.");
                match self.options.connect().await {
                    // The old connection closes as it drops.
                    Ok(fresh) => *conn = fresh,
                    Err(error) => {
                        // The next writer tries again.
                        self.unfinished.store(true, Ordering::Release);
                        return Err(unavailable(error));
                    }
                }
            }
        }
        tokio::sync::MutexGuard::try_map(slot, Option::as_mut)
            .map_err(|_| StoreError::Unavailable("the SQLite store is closed".into()))
    }

    async fn close(&self) {
        if let Some(conn) = self.conn.lock().await.take() {
            let _ = conn.close().await;
        }
    }
}

/// The writer while a transaction runs as strings of several statements,
/// in one trip to its thread or a few. SQLite stops at a failed statement,
/// and sqlx stops when nobody waits for the rest (a cancelled request): a
/// transaction they began would stay open, and a pragma set. So unless
/// [`finish`](OneTrip::finish) says they all ran, dropping it marks the
/// connection for the next writer to roll back and set to `synchronous =
/// FULL` before anything else runs on it.
pub(crate) struct OneTrip<'a> {
    pub(crate) conn: Writing<'a>,
    unfinished: &'a AtomicBool,
    finished: bool,
}

impl OneTrip<'_> {
    pub(crate) fn finish(mut self) {
        self.finished = true;
    }
}

impl Drop for OneTrip<'_> {
    fn drop(&mut self) {
        if !self.finished {
            // Before the connection's lock is released, with it.
            self.unfinished.store(true, Ordering::Release);
        }
    }
}

impl SqliteStore {
    /// Runs statements wrapped by [`derived!`] on the writer, in one trip
    /// to its thread (each trip costs two thread wake-ups, about a tenth of
    /// a millisecond on the path from an alert to the person paged), and
    /// answers the rows they return.
    pub(crate) async fn write_derived(
        &self,
        query: sqlx::query::Query<'_, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    ) -> Result<Vec<sqlx::sqlite::SqliteRow>> {
        let mut trip = self.one_trip().await?;
        let rows = query
            .fetch_all(&mut *trip.conn)
            .await
            .map_err(query_error(String::new))?;
        trip.finish();
        Ok(rows)
    }

    /// The writer, for a transaction of multi-statement strings.
    pub(crate) async fn one_trip(&self) -> Result<OneTrip<'_>> {
        Ok(OneTrip {
            conn: self.writer.take().await?,
            unfinished: &self.writer.unfinished,
            finished: false,
        })
    }

    /// The writer, for statements that each finish by themselves and for
    /// sqlx transactions (which roll back when dropped unfinished).
    pub(crate) async fn write(&self) -> Result<Writing<'_>> {
        self.writer.take().await
    }

    /// Opens (creating if needed) the database file. Does not migrate.
    pub async fn open(path: &Path) -> Result<Self> {
        let base = SqliteConnectOptions::new()
            .filename(path)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);
        let writer = WriteConnection::open(
            base.clone()
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full),
        )
        .await?;
        // Connections to a local file do not go stale: checking each one out
        // with a ping would only add a round trip to every query.
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
        // sqlx's migrator wants a pool (with a borrowed connection its
        // future is not `Send` for every lifetime, as this trait needs), so
        // the migrations run on a connection of their own while the write
        // connection is held.
        let _writing = self.write().await?;
        let pool = SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(self.writer.options.clone())
            .await
            .map_err(unavailable)?;
        let migrated = sqlx::migrate!("./migrations").run(&pool).await;
        pool.close().await;
        migrated.map_err(|e| StoreError::Migration(Box::new(e)))
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

    /// A new store in `dir` with a table `t (x INTEGER PRIMARY KEY)`.
    async fn store_with_table(dir: &tempfile::TempDir) -> SqliteStore {
        let store = SqliteStore::open(&dir.path().join("test.db"))
            .await
            .expect("open");
        sqlx::query("CREATE TABLE t (x INTEGER PRIMARY KEY)")
            .execute(&mut *store.write().await.expect("writer"))
            .await
            .expect("table");
        store
    }

    async fn synchronous(store: &SqliteStore) -> i64 {
        sqlx::query_scalar("PRAGMA synchronous")
            .fetch_one(&mut *store.write().await.expect("writer"))
            .await
            .expect("read the setting")
    }

    /// FULL is 2, NORMAL 1.
    #[tokio::test]
    async fn derived_writes_commit_relaxed_and_leave_the_writer_at_full() {
        let dir = tempfile::tempdir().expect("directory");
        let store = store_with_table(&dir).await;
        assert_eq!(synchronous(&store).await, 2);

        // Relaxed inside, in one trip, and committed.
        let rows = store
            .write_derived(
                sqlx::query(derived!("INSERT INTO t VALUES (?1)", "PRAGMA synchronous")).bind(1),
            )
            .await
            .expect("write");
        let level: i64 = sqlx::Row::get(&rows[0], 0);
        assert_eq!(level, 1, "relaxed inside the transaction");
        assert_eq!(synchronous(&store).await, 2, "back to FULL after it");

        // A statement fails after one that wrote: nothing of it stays, the
        // writer is at FULL, and no transaction is left open.
        let failed = store
            .write_derived(sqlx::query(derived!(
                "INSERT INTO t VALUES (2)",
                "INSERT INTO t VALUES (1)"
            )))
            .await;
        assert!(failed.is_err(), "the duplicate is refused");
        let kept: Vec<i64> = sqlx::query_scalar("SELECT x FROM t ORDER BY x")
            .fetch_all(&mut *store.write().await.expect("writer"))
            .await
            .expect("read");
        assert_eq!(kept, vec![1], "the failed transaction rolled back");
        assert_eq!(synchronous(&store).await, 2, "never left relaxed");
        store
            .write_derived(sqlx::query(derived!("INSERT INTO t VALUES (3)")))
            .await
            .expect("the writer takes the next transaction");
    }

    /// A string of statements abandoned while it runs (the request that
    /// waited for it was cancelled) leaves the next writer a connection at
    /// `synchronous = FULL` with no transaction open, and the abandoned
    /// transaction whole or not at all.
    #[tokio::test]
    async fn an_abandoned_string_is_reset_before_the_next_write() {
        let dir = tempfile::tempdir().expect("directory");
        let store = store_with_table(&dir).await;

        // Another connection holds SQLite's write lock, so the string
        // cannot get past its `BEGIN IMMEDIATE` before it is dropped.
        let mut blocker = SqliteConnectOptions::new()
            .filename(dir.path().join("test.db"))
            .connect()
            .await
            .expect("second connection");
        sqlx::query("BEGIN IMMEDIATE")
            .execute(&mut blocker)
            .await
            .expect("lock");
        // Polled once: the statements are on their way, then dropped.
        let abandoned = tokio::select! {
            biased;
            _ = store.write_derived(sqlx::query(derived!(
                "INSERT INTO t VALUES (1)",
                "INSERT INTO t VALUES (2)"
            ))) => false,
            () = std::future::ready(()) => true,
        };
        assert!(abandoned, "dropped before it answered");
        sqlx::query("ROLLBACK")
            .execute(&mut blocker)
            .await
            .expect("unlock");

        assert_eq!(synchronous(&store).await, 2, "reset to FULL");
        // BEGIN IMMEDIATE fails inside an open transaction.
        store
            .write_derived(sqlx::query(derived!("INSERT INTO t VALUES (3)")))
            .await
            .expect("a new transaction begins");
        let kept: Vec<i64> = sqlx::query_scalar("SELECT x FROM t WHERE x < 3 ORDER BY x")
            .fetch_all(&mut *store.write().await.expect("writer"))
            .await
            .expect("read");
        assert!(
            kept.is_empty() || kept == vec![1, 2],
            "all of the abandoned transaction or none: {kept:?}"
        );
    }
}
