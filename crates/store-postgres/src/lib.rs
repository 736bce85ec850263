//! The production store: PostgreSQL, shared by any number of pagerbound
//! instances. Migrations take PostgreSQL's advisory lock, so instances that
//! start together do not race.

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
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);

/// A store in a PostgreSQL database.
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to `url` (`postgres://user:password@host:port/database`).
    /// Does not migrate.
    pub async fn connect(url: &str) -> Result<Self> {
        let options = PgConnectOptions::from_str(url)
            .map_err(unavailable)?
            .application_name("pagerbound");
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
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
            .connect_with(options)
            .await
            .map_err(unavailable)?;
        Ok(PostgresStore { pool })
    }
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
