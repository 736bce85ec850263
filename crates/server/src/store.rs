//! Opening the store a [`DatabaseLocation`] names.

use pagerbound_config::DatabaseLocation;
use pagerbound_store::{Store, StoreError};
use pagerbound_store_postgres::PostgresStore;
use pagerbound_store_sqlite::SqliteStore;
use std::sync::Arc;

/// Opens (and for SQLite creates) the database. Does not migrate.
pub async fn open_store(location: &DatabaseLocation) -> Result<Arc<dyn Store>, StoreError> {
    Ok(match location {
        DatabaseLocation::Sqlite(path) => {
            if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .map_err(|e| StoreError::Unavailable(Box::new(e)))?;
            }
            Arc::new(SqliteStore::open(path).await?)
        }
        DatabaseLocation::Postgres(url) => Arc::new(PostgresStore::connect(url).await?),
    })
}
