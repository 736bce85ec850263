use crate::alerts::to_json;
use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::{Matcher, Matchers};
use pagerbound_core::silence::Silence;
use pagerbound_store::{Result, Silences, StoreError};
use sqlx::sqlite::SqliteRow;

/// Matchers are stored as a JSON array of their text form.
pub(crate) fn matchers_to_json(matchers: &Matchers) -> Result<String> {
    let texts: Vec<String> = matchers.iter().map(ToString::to_string).collect();
    to_json(&texts)
}

pub(crate) fn matchers_from_json(text: &str) -> Result<Matchers> {
    let texts: Vec<String> = serde_json::from_str(text)
        .map_err(|e| StoreError::Corrupt(format!("matchers `{text}`: {e}")))?;
    texts
        .iter()
        .map(|t| {
            t.parse::<Matcher>()
                .map_err(|e| StoreError::Corrupt(e.to_string()))
        })
        .collect::<Result<Vec<_>>>()
        .map(Matchers)
}

fn silence_from_row(row: &SqliteRow) -> Result<Silence> {
    Ok(Silence {
        id: column(row, "id")?,
        matchers: matchers_from_json(&column::<String>(row, "matchers")?)?,
        starts_at: timestamp(column(row, "starts_at")?)?,
        ends_at: timestamp(column(row, "ends_at")?)?,
        created_by: column(row, "created_by")?,
        comment: column(row, "comment")?,
        updated_at: timestamp(column(row, "updated_at")?)?,
    })
}

#[async_trait]
impl Silences for SqliteStore {
    async fn save_silence(&self, silence: &Silence) -> Result<()> {
        sqlx::query(
            "INSERT INTO silences (id, matchers, starts_at, ends_at, created_by, comment, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
             ON CONFLICT (id) DO UPDATE SET matchers = excluded.matchers, starts_at = excluded.starts_at,
                 ends_at = excluded.ends_at, created_by = excluded.created_by, comment = excluded.comment,
                 updated_at = excluded.updated_at",
        )
        .bind(&silence.id)
        .bind(matchers_to_json(&silence.matchers)?)
        .bind(millis(silence.starts_at))
        .bind(millis(silence.ends_at))
        .bind(&silence.created_by)
        .bind(&silence.comment)
        .bind(millis(silence.updated_at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn silence(&self, id: &str) -> Result<Option<Silence>> {
        let row = sqlx::query("SELECT * FROM silences WHERE id = ?1")
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(silence_from_row).transpose()
    }

    async fn silences(&self, expired_after: Timestamp) -> Result<Vec<Silence>> {
        let rows = sqlx::query("SELECT * FROM silences WHERE ends_at > ?1 ORDER BY starts_at, id")
            .bind(millis(expired_after))
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(silence_from_row).collect()
    }
}
