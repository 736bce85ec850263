use crate::{PostgresStore, column, instant, query_error};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::{NewSession, Result, Session, SignIn, StoreError, StoredPassword};
use sqlx::postgres::PgRow;

fn role(row: &PgRow) -> Result<Role> {
    column::<String>(row, "role")?
        .parse::<Role>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl SignIn for PostgresStore {
    async fn set_password(&self, user: &str, hash: &str, role: Role, at: Timestamp) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        sqlx::query(
            "INSERT INTO user_passwords (user_name, hash, role, updated_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (user_name) DO UPDATE
             SET hash = excluded.hash, role = excluded.role, updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(hash)
        .bind(role.as_str())
        .bind(at.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        sqlx::query("DELETE FROM web_sessions WHERE user_name = $1")
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn password(&self, user: &str) -> Result<Option<StoredPassword>> {
        let row = sqlx::query(
            "SELECT user_name, hash, role, updated_at FROM user_passwords WHERE user_name = $1",
        )
        .bind(user)
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        row.map(|row| {
            Ok(StoredPassword {
                user: column(&row, "user_name")?,
                hash: column(&row, "hash")?,
                role: role(&row)?,
                updated_at: instant(&row, "updated_at")?,
            })
        })
        .transpose()
    }

    async fn create_session(&self, session: &NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (digest, user_name, role, csrf, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(session.digest.to_hex())
        .bind(&session.user)
        .bind(session.role.as_str())
        .bind(&session.csrf)
        .bind(session.created_at.to_sqlx())
        .bind(session.expires_at.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(|| "a session with this digest exists".into()))?;
        Ok(())
    }

    async fn find_session(&self, digest: &TokenDigest, now: Timestamp) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_name, role, csrf, created_at, expires_at FROM web_sessions
             WHERE digest = $1 AND expires_at > $2",
        )
        .bind(digest.to_hex())
        .bind(now.to_sqlx())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        row.map(|row| {
            Ok(Session {
                user: column(&row, "user_name")?,
                role: role(&row)?,
                csrf: column(&row, "csrf")?,
                created_at: instant(&row, "created_at")?,
                expires_at: instant(&row, "expires_at")?,
            })
        })
        .transpose()
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE digest = $1")
            .bind(digest.to_hex())
            .execute(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn prune_sessions(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE expires_at < $1")
            .bind(before.to_sqlx())
            .execute(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        Ok(done.rows_affected())
    }
}
