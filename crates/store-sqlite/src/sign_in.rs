use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::{NewSession, Result, Session, SignIn, StoreError, StoredPassword};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

fn role(row: &SqliteRow) -> Result<Role> {
    column::<String>(row, "role")?
        .parse::<Role>()
        .map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl SignIn for SqliteStore {
    async fn set_password(&self, user: &str, hash: &str, role: Role, at: Timestamp) -> Result<()> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        sqlx::query(
            "INSERT INTO user_passwords (user_name, hash, role, updated_at) VALUES (?, ?, ?, ?)
             ON CONFLICT (user_name) DO UPDATE
             SET hash = excluded.hash, role = excluded.role, updated_at = excluded.updated_at",
        )
        .bind(user)
        .bind(hash)
        .bind(role.as_str())
        .bind(millis(at))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        sqlx::query("DELETE FROM web_sessions WHERE user_name = ?")
            .bind(user)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn password(&self, user: &str) -> Result<Option<StoredPassword>> {
        let row = sqlx::query(
            "SELECT user_name, hash, role, updated_at FROM user_passwords WHERE user_name = ?",
        )
        .bind(user)
        .fetch_optional(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        row.map(|row| {
            Ok(StoredPassword {
                user: column(&row, "user_name")?,
                hash: column(&row, "hash")?,
                role: role(&row)?,
                updated_at: timestamp(column(&row, "updated_at")?)?,
            })
        })
        .transpose()
    }

    async fn create_session(&self, session: &NewSession) -> Result<()> {
        sqlx::query(
            "INSERT INTO web_sessions (digest, user_name, role, csrf, created_at, expires_at)
             VALUES (?, ?, ?, ?, ?, ?)",
        )
        .bind(session.digest.to_hex())
        .bind(&session.user)
        .bind(session.role.as_str())
        .bind(&session.csrf)
        .bind(millis(session.created_at))
        .bind(millis(session.expires_at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(|| "a session with this digest exists".into()))?;
        Ok(())
    }

    async fn find_session(&self, digest: &TokenDigest, now: Timestamp) -> Result<Option<Session>> {
        let row = sqlx::query(
            "SELECT user_name, role, csrf, created_at, expires_at FROM web_sessions
             WHERE digest = ? AND expires_at > ?",
        )
        .bind(digest.to_hex())
        .bind(millis(now))
        .fetch_optional(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        row.map(|row| {
            Ok(Session {
                user: column(&row, "user_name")?,
                role: role(&row)?,
                csrf: column(&row, "csrf")?,
                created_at: timestamp(column(&row, "created_at")?)?,
                expires_at: timestamp(column(&row, "expires_at")?)?,
            })
        })
        .transpose()
    }

    async fn end_session(&self, digest: &TokenDigest) -> Result<()> {
        sqlx::query("DELETE FROM web_sessions WHERE digest = ?")
            .bind(digest.to_hex())
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn prune_sessions(&self, before: Timestamp) -> Result<u64> {
        let done = sqlx::query("DELETE FROM web_sessions WHERE expires_at < ?")
            .bind(millis(before))
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?;
        Ok(done.rows_affected())
    }
}
