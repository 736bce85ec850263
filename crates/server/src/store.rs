//! Opening the store a [`DatabaseLocation`] names.

use pagerbound_config::DatabaseLocation;
use pagerbound_store::{Backend, Store, StoreError};
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

/// Who this process is when it takes a lease (the engine's, the
/// notifier's). One SQLite file serves one process, so a restarted process
/// is the same holder and takes its leases at once after a crash. With
/// PostgreSQL each instance is a holder of its own, and a crashed one's
/// leases must run out before another takes over.
pub fn lease_holder(backend: Backend) -> String {
    match backend {
        Backend::Sqlite => "local".to_owned(),
        Backend::Postgres => format!(
            "{}-{}",
            std::process::id(),
            hex::encode(rand::random::<[u8; 4]>())
        ),
    }
}
