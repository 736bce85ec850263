use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::tokens::LAST_USED_GRANULARITY;
use pagerbound_store::{ApiToken, ApiTokens, NewApiToken, Result, StoreError};
use sqlx::sqlite::SqliteRow;

/// The columns [`token_from_row`] reads, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, user_name, role, description, created_at, last_used_at, revoked_at"
    };
}

fn token_from_row(row: &SqliteRow) -> Result<ApiToken> {
    let role: String = column(row, "role")?;
    Ok(ApiToken {
        id: column(row, "id")?,
        user: column(row, "user_name")?,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        description: column(row, "description")?,
        created_at: timestamp(column(row, "created_at")?)?,
        last_used_at: optional_timestamp(column(row, "last_used_at")?)?,
        revoked_at: optional_timestamp(column(row, "revoked_at")?)?,
    })
}

#[async_trait]
impl ApiTokens for SqliteStore {
    async fn create_api_token(&self, token: &NewApiToken) -> Result<ApiToken> {
        let row = sqlx::query(concat!(
            "INSERT INTO api_tokens (digest, user_name, role, description, created_at)
             VALUES (?, ?, ?, ?, ?)
             RETURNING ",
            columns!()
        ))
        .bind(token.digest.to_hex())
        .bind(&token.user)
        .bind(token.role.as_str())
        .bind(&token.description)
        .bind(millis(token.created_at))
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(query_error(|| {
            "a token with this digest already exists".into()
        }))?;
        token_from_row(&row)
    }

    async fn find_api_token(&self, digest: &TokenDigest) -> Result<Option<ApiToken>> {
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM api_tokens WHERE digest = ?"
        ))
        .bind(digest.to_hex())
        .fetch_optional(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM api_tokens ORDER BY id"
        ))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_api_token(&self, id: i64, at: Timestamp) -> Result<Option<ApiToken>> {
        let row = sqlx::query(concat!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ? RETURNING ",
            columns!()
        ))
        .bind(millis(at))
        .bind(id)
        .fetch_optional(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn record_api_token_use(&self, id: i64, at: Timestamp) -> Result<()> {
        let stale_before = at - LAST_USED_GRANULARITY;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = ?
             WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)",
        )
        .bind(millis(at))
        .bind(id)
        .bind(millis(stale_before))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }
}
