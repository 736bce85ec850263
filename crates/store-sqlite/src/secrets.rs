use crate::{SqliteStore, millis, query_error};
use async_trait::async_trait;
use pagerbound_store::{Result, Secrets};

#[async_trait]
impl Secrets for SqliteStore {
    async fn secret_or_insert(&self, name: &str, candidate: &[u8]) -> Result<Vec<u8>> {
        // Read first: after the first call this never needs the writer.
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT value FROM secrets WHERE name = ?1")
                .bind(name)
                .fetch_optional(&self.reader)
                .await
                .map_err(query_error(String::new))?;
        if let Some(value) = stored {
            return Ok(value);
        }
        sqlx::query(
            "INSERT INTO secrets (name, value, created_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(candidate)
        .bind(millis(jiff::Timestamp::now()))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        sqlx::query_scalar("SELECT value FROM secrets WHERE name = ?1")
            .bind(name)
            .fetch_one(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))
    }
}
