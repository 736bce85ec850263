use crate::{PostgresStore, column, query_error};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::tokens::LAST_USED_GRANULARITY;
use pagerbound_store::{ApiToken, ApiTokens, NewApiToken, Result, StoreError};
use sqlx::postgres::PgRow;

/// The columns [`token_from_row`] reads, as a literal for `concat!`.
macro_rules! columns {
    () => {
        "id, user_name, role, description, created_at, last_used_at, revoked_at"
    };
}

fn token_from_row(row: &PgRow) -> Result<ApiToken> {
    let role: String = column(row, "role")?;
    let instant = |name: &str| -> Result<Option<Timestamp>> {
        Ok(column::<Option<jiff_sqlx::Timestamp>>(row, name)?.map(jiff_sqlx::Timestamp::to_jiff))
    };
    Ok(ApiToken {
        id: column(row, "id")?,
        user: column(row, "user_name")?,
        role: role
            .parse::<Role>()
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        description: column(row, "description")?,
        created_at: instant("created_at")?
            .ok_or_else(|| StoreError::Corrupt("token without creation time".into()))?,
        last_used_at: instant("last_used_at")?,
        revoked_at: instant("revoked_at")?,
    })
}

#[async_trait]
impl ApiTokens for PostgresStore {
    async fn create_api_token(&self, token: &NewApiToken) -> Result<ApiToken> {
        let row = sqlx::query(concat!(
            "INSERT INTO api_tokens (digest, user_name, role, description, created_at)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING ",
            columns!()
        ))
        .bind(token.digest.to_hex())
        .bind(&token.user)
        .bind(token.role.as_str())
        .bind(&token.description)
        .bind(token.created_at.to_sqlx())
        .fetch_one(&self.pool)
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
            " FROM api_tokens WHERE digest = $1"
        ))
        .bind(digest.to_hex())
        .fetch_optional(&self.pool)
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
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(token_from_row).collect()
    }

    async fn revoke_api_token(&self, id: i64, at: Timestamp) -> Result<Option<ApiToken>> {
        let row = sqlx::query(concat!(
            "UPDATE api_tokens SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ",
            columns!()
        ))
        .bind(at.to_sqlx())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(token_from_row).transpose()
    }

    async fn record_api_token_use(&self, id: i64, at: Timestamp) -> Result<()> {
        let stale_before = at - LAST_USED_GRANULARITY;
        sqlx::query(
            "UPDATE api_tokens SET last_used_at = $1
             WHERE id = $2 AND (last_used_at IS NULL OR last_used_at < $3)",
        )
        .bind(at.to_sqlx())
        .bind(id)
        .bind(stale_before.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }
}
