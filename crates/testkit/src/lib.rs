//! What pagerbound's tests share.
//!
//! - [`TestDatabase`] and [`TestStore`]: a fresh database (and a migrated
//!   store on it) on SQLite (a temporary file) or PostgreSQL (a new database
//!   created for the test and dropped after it).
//! - [`conformance`]: the scenarios every store backend must pass.
//! - [`config_dir`]: a temporary configuration directory from literal files.
//!
//! PostgreSQL is required, never skipped: tests connect to
//! `PAGERBOUND_TEST_POSTGRES` (default
//! `postgres://postgres@127.0.0.1:5432/test`, what `.ci/setup` provides)
//! and fail with a message that says so when it is not there.

pub mod conformance;
mod postgres;

pub use postgres::{TestPostgres, admin_url};

use pagerbound_store::Store;
use pagerbound_store_postgres::PostgresStore;
use pagerbound_store_sqlite::SqliteStore;
use std::path::Path;
use std::sync::Arc;
use tempfile::TempDir;

/// The backends, for tests that run on each.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// An empty database that disappears with the test: a SQLite file in a
/// temporary directory, or a PostgreSQL database created for the test.
pub struct TestDatabase {
    pub backend: Backend,
    /// What `--database` would say to reach it.
    pub location: String,
    _sqlite_dir: Option<TempDir>,
    _postgres: Option<TestPostgres>,
}

impl TestDatabase {
    pub async fn new(backend: Backend) -> TestDatabase {
        match backend {
            Backend::Sqlite => {
                let dir = tempfile::tempdir().expect("temporary directory");
                TestDatabase {
                    backend,
                    location: format!("sqlite:{}", dir.path().join("pagerbound.db").display()),
                    _sqlite_dir: Some(dir),
                    _postgres: None,
                }
            }
            Backend::Postgres => {
                let database = TestPostgres::create().await;
                TestDatabase {
                    backend,
                    location: database.url.clone(),
                    _sqlite_dir: None,
                    _postgres: Some(database),
                }
            }
        }
    }

    /// Runs SQL (one statement or several) on the database directly, past
    /// the store: to break it on purpose, as a test of what then happens.
    /// The SQL is a literal of the test's, written for this backend.
    pub async fn execute(&self, sql: &'static str) {
        match self.backend {
            Backend::Sqlite => execute_on::<sqlx::SqliteConnection>(&self.location, sql).await,
            Backend::Postgres => execute_on::<sqlx::PgConnection>(&self.location, sql).await,
        }
    }
}

/// Runs `sql` on a connection of its own to `location`.
async fn execute_on<C>(location: &str, sql: &'static str)
where
    C: sqlx::Connection,
    for<'c> &'c mut C: sqlx::Executor<'c, Database = C::Database>,
{
    let mut conn = C::connect(location)
        .await
        .unwrap_or_else(|error| panic!("connect to {location}: {error}"));
    sqlx::raw_sql(sql).execute(&mut conn).await.expect(sql);
    conn.close().await.expect("close");
}

/// A migrated store on a [`TestDatabase`].
pub struct TestStore {
    pub store: Arc<dyn Store>,
    pub database: TestDatabase,
}

impl TestStore {
    pub async fn new(backend: Backend) -> TestStore {
        let database = TestDatabase::new(backend).await;
        let store: Arc<dyn Store> = match backend {
            Backend::Sqlite => {
                let path = database.location.trim_start_matches("sqlite:");
                Arc::new(
                    SqliteStore::open(Path::new(path))
                        .await
                        .expect("open SQLite"),
                )
            }
            Backend::Postgres => Arc::new(
                PostgresStore::connect(&database.location)
                    .await
                    .expect("connect to the test database"),
            ),
        };
        store.migrate().await.expect("migrate");
        TestStore { store, database }
    }

    pub fn store(&self) -> &dyn Store {
        self.store.as_ref()
    }
}

/// A temporary directory holding the given configuration files.
pub fn config_dir(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    write_files(dir.path(), files);
    dir
}

/// Writes `files` (relative path, contents) under `dir`, creating folders.
pub fn write_files(dir: &Path, files: &[(&str, &str)]) {
    for (name, contents) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("create folder");
        }
        std::fs::write(&path, contents).expect("write configuration file");
    }
}
