use crate::{PostgresStore, query_error};
use async_trait::async_trait;
use jiff_sqlx::ToSqlx;
use pagerbound_store::{Result, Secrets};

#[async_trait]
impl Secrets for PostgresStore {
    async fn secret_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        // Insert-if-absent, then read: instances that race all read the
        // row that won.
        sqlx::query(
            "INSERT INTO secrets (name, value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(jiff::Timestamp::now().to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
            .bind(name)
            .fetch_one(&self.pool)
            .await
            .map_err(query_error(String::new))
    }
}
