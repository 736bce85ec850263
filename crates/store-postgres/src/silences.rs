use crate::{PostgresStore, column, instant, json_column, query_error, to_json};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::alert::{Matcher, Matchers};
use pagerbound_core::silence::Silence;
use pagerbound_store::{Result, Silences, StoreError};
use sqlx::postgres::PgRow;

fn silence_from_row(row: &PgRow) -> Result<Silence> {
    let texts: Vec<String> = json_column(row, "matchers")?;
    let matchers = texts
        .iter()
        .map(|t| {
            t.parse::<Matcher>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Silence {
        id: column(row, "id")?,
        matchers: Matchers(matchers),
        starts_at: instant(row, "starts_at")?,
        ends_at: instant(row, "ends_at")?,
        created_by: column(row, "created_by")?,
        comment: column(row, "comment")?,
        updated_at: instant(row, "updated_at")?,
    })
}

#[async_trait]
impl Silences for PostgresStore {
    async fn save_silence(&self, silence: &Silence) -> Result<()> {
        let matchers: Vec<String> = silence.matchers.iter().map(ToString::to_string).collect();
        sqlx::query(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7)
             ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
                 ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment,
                 updated_at = excluded.updated_at",
        )
        .bind(&silence.id)
        .bind(to_json(&matchers)?)
        .bind(silence.starts_at.to_sqlx())
        .bind(silence.ends_at.to_sqlx())
        .bind(&silence.created_by)
        .bind(&silence.comment)
        .bind(silence.updated_at.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn silence(&self, id: &str) -> Result<Option<Silence>> {
        let row = sqlx::query("SELECT * FROM silences WHERE id = $1")
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(silence_from_row).transpose()
    }

    async fn silences(&self, expired_after: Timestamp) -> Result<Vec<Silence>> {
        let rows = sqlx::query("SELECT * FROM silences WHERE ends_at > $1 ORDER BY starts_at, id")
            .bind(expired_after.to_sqlx())
            .fetch_all(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(silence_from_row).collect()
    }
}
