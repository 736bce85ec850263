//! The production store: PostgreSQL, shared by any number of pagerbound
//! instances. Migrations take PostgreSQL's advisory lock, so instances that
//! start together do not race.
//!
//! Commits wait for PostgreSQL to flush its WAL: an answer that says
//! "accepted" means the data is on disk. State the engine derives from
//! those alerts (groups, the pages they open, the notifications planned and
//! their delivery) is committed through a second, small pool whose
//! sessions run with `synchronous_commit = off`: each commit of it would
//! otherwise add a flush to the path from an alert to the person paged.
//! Such a commit is visible at once to every instance and survives a crash
//! of pagerbound; a crash of the database server may lose the last few
//! (under a second of them), which the engine derives again from the
//! alerts (at worst a notification goes out twice, which its idempotency
//! key allows). The WAL is written in order, so the next waiting commit
//! makes every earlier one durable too.

mod alerts;
mod drills;
mod engine;
mod escalations;
mod feedback;
mod handoffs;
mod heartbeats;
#[cfg(target_os = "linux")]
mod nodelay;
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
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use std::str::FromStr;
use std::time::Duration;

const MAX_CONNECTIONS: u32 = 16;
/// The engine and the notifier write derived state one batch at a time.
const DERIVED_CONNECTIONS: u32 = 4;
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
    /// For derived state only: its commits do not wait for the WAL flush.
    derived: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`).
    /// Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(unavailable)?
            .application_name("pagerbound");
        let pool = pool_options(MAX_CONNECTIONS)
            .connect_with(options.clone())
            .await
            .map_err(unavailable)?;
        let derived = pool_options(DERIVED_CONNECTIONS)
            .connect_with(options.options([("synchronous_commit", "off")]))
            .await
            .map_err(unavailable)?;
        Ok(PostgresStore { pool, derived })
    }
}

fn pool_options(max_connections: u32) -> PgPoolOptions {
    PgPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(ACQUIRE_TIMEOUT)
        .after_connect(|connection, _| {
            Box::pin(async move {
                #[cfg(target_os = "linux")]
                nodelay::set_on(connection).await;
                #[cfg(not(target_os = "linux"))]
                let _ = connection;
                Ok(())
            })
        })
}

#[async_trait]
impl Store for PostgresStore {
    fn backend(&self) -> Backend {
        Backend::Postgres
    }

    async fn migrate(&self) -> Result<()> {
        sqlx::migrate!("./migrations")
            .run(&self.pool)
            .await
            .map_err(|e| StoreError::Migration(Box::new(e)))
    }

    async fn ping(&self) -> Result<()> {
        sqlx::query("SELECT 1")
            .execute(&self.pool)
            .await
            .map(|_| ())
            .map_err(unavailable)
    }

    async fn close(&self) {
        self.derived.close().await;
        self.pool.close().await;
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

/// Reads a column, turning a missing column or a type mismatch into
/// `Corrupt` instead of a panic.
fn column<'r, T>(row: &'r sqlx::postgres::PgRow, name: &str) -> Result<T>
where
    T: sqlx::Decode<'r, sqlx::Postgres> + sqlx::Type<sqlx::Postgres>,
{
    use sqlx::Row;
    row.try_get(name)
        .map_err(|e| StoreError::Corrupt(format!("column `{name}`: {e}")))
}

/// Reads a `timestamptz` column.
fn instant(row: &sqlx::postgres::PgRow, name: &str) -> Result<jiff::Timestamp> {
    Ok(column::<jiff_sqlx::Timestamp>(row, name)?.to_jiff())
}

/// Reads a nullable `timestamptz` column.
fn optional_instant(row: &sqlx::postgres::PgRow, name: &str) -> Result<Option<jiff::Timestamp>> {
    Ok(column::<Option<jiff_sqlx::Timestamp>>(row, name)?.map(jiff_sqlx::Timestamp::to_jiff))
}

/// Reads a `jsonb` column into `T`.
fn json_column<T: serde::de::DeserializeOwned>(
    row: &sqlx::postgres::PgRow,
    name: &str,
) -> Result<T> {
    Ok(column::<sqlx::types::Json<T>>(row, name)?.0)
}

fn to_json<T: ?Sized + serde::Serialize>(value: &T) -> Result<serde_json::Value> {
    serde_json::to_value(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

/// Serializes to JSON text, bound as `$n::text::jsonb`: no intermediate
/// JSON tree on the way.
fn to_json_text<T: ?Sized + serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn synchronous_commit(pool: &PgPool) -> String {
        sqlx::query_scalar("SHOW synchronous_commit")
            .fetch_one(pool)
            .await
            .expect("read the setting")
    }

    /// Only the pool for derived state commits without waiting for the
    /// flush; everything else keeps the server's default.
    #[tokio::test]
    async fn only_derived_state_commits_without_waiting() {
        let url = std::env::var("PAGERBOUND_TEST_POSTGRES")
            .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
        let store = PostgresStore::connect(&url).await.expect("connect");
        assert_eq!(synchronous_commit(&store.pool).await, "on");
        assert_eq!(synchronous_commit(&store.derived).await, "off");
        store.close().await;
    }
}
