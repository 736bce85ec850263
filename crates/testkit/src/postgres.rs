//! A fresh PostgreSQL database per test.

use sqlx::Connection;
use sqlx::postgres::PgConnection;
use std::sync::atomic::{AtomicU32, Ordering};

const PREFIX: &str = "pagerbound_test_";
/// Databases left behind by crashed test runs are dropped once this old.
const STALE_AFTER_SECS: i64 = 3600;

/// The server tests create their databases in.
pub fn admin_url() -> String {
    std::env::var("PAGERBOUND_TEST_POSTGRES")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

/// A database created for one test and dropped when this value is.
pub struct TestPostgres {
    pub url: String,
    name: String,
}

impl TestPostgres {
    pub async fn create() -> TestPostgres {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let admin = admin_url();
        let mut connection = PgConnection::connect(&admin).await.unwrap_or_else(|error| {
            panic!(
                "PostgreSQL is required for pagerbound's tests and was not reachable at {admin}: {error}. \
                 Start it (`.ci/setup` installs and starts it on Debian) or point PAGERBOUND_TEST_POSTGRES at one."
            )
        });
        let now = jiff::Timestamp::now().as_second();
        sweep_stale(&mut connection, now).await;
        let name = format!(
            "{PREFIX}{now}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        // template0: concurrent creations from template1 conflict.
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} TEMPLATE template0"
        )))
        .execute(&mut connection)
        .await
        .unwrap_or_else(|error| panic!("cannot create test database {name}: {error}"));
        let _ = connection.close().await;
        let mut url = url::Url::parse(&admin).unwrap_or_else(|error| {
            panic!("PAGERBOUND_TEST_POSTGRES is not a URL ({error}): {admin}")
        });
        url.set_path(&format!("/{name}"));
        TestPostgres {
            url: url.to_string(),
            name,
        }
    }
}

impl Drop for TestPostgres {
    fn drop(&mut self) {
        let name = self.name.clone();
        // Drop runs outside async code; a small runtime on its own thread
        // does the async cleanup without touching the test's runtime.
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build();
            if let Ok(runtime) = runtime {
                runtime.block_on(async move {
                    if let Ok(mut connection) = PgConnection::connect(&admin_url()).await {
                        let _ = drop_database(&mut connection, &name).await;
                        let _ = connection.close().await;
                    }
                });
            }
        })
        .join();
    }
}

async fn drop_database(connection: &mut PgConnection, name: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
    )))
    .execute(connection)
    .await
    .map(|_| ())
}

async fn sweep_stale(connection: &mut PgConnection, now: i64) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname FROM pg_database WHERE datname LIKE 'pagerbound_test_%'",
    )
    .fetch_all(&mut *connection)
    .await
    .unwrap_or_default();
    for name in names {
        let created = name
            .strip_prefix(PREFIX)
            .and_then(|rest| rest.split('_').next())
            .and_then(|secs| secs.parse::<i64>().ok());
        if created.is_some_and(|created| now - created > STALE_AFTER_SECS) {
            let _ = drop_database(connection, &name).await;
        }
    }
}
