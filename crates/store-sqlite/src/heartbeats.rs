use crate::alerts::to_json;
use crate::pages::insert_event;
use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{HeartbeatRecord, Heartbeats, NewPage, Page, PageEvent, Result};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

fn record_from_row(row: &SqliteRow) -> Result<HeartbeatRecord> {
    Ok(HeartbeatRecord {
        name: column(row, "name")?,
        watched_since: timestamp(column(row, "watched_since")?)?,
        last_beat_at: optional_timestamp(column(row, "last_beat_at")?)?,
        beats: column(row, "beats")?,
        page_id: column(row, "page_id")?,
        page_opened_at: optional_timestamp(column(row, "page_opened_at")?)?,
    })
}

#[async_trait]
impl Heartbeats for SqliteStore {
    async fn watch_heartbeats(&self, names: &[String], since: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since)
             SELECT value, ?2 FROM json_each(?1) WHERE true
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(to_json(names)?)
        .bind(millis(since))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn record_beats(&self, names: &[String], at: Timestamp) -> Result<()> {
        // `WHERE true` lets SQLite parse the upsert after a SELECT.
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since, last_beat_at, beats)
             SELECT value, ?2, ?2, 1 FROM json_each(?1) WHERE true
             ON CONFLICT (name) DO UPDATE SET
                 last_beat_at = max(coalesce(last_beat_at, excluded.last_beat_at), excluded.last_beat_at),
                 beats = beats + 1",
        )
        .bind(to_json(names)?)
        .bind(millis(at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn heartbeats(&self) -> Result<Vec<HeartbeatRecord>> {
        let rows = sqlx::query(
            "SELECT name, watched_since, last_beat_at, beats, page_id, page_opened_at
             FROM heartbeats ORDER BY name",
        )
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn open_heartbeat_page(
        &self,
        name: &str,
        expected: Option<i64>,
        page: &NewPage,
    ) -> Result<Option<Page>> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        // Writing first takes SQLite's write lock, so that the check below
        // and the page cannot be interleaved with another process's.
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since) VALUES (?1, ?2)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(millis(page.at))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let current: Option<i64> =
            sqlx::query_scalar("SELECT page_id FROM heartbeats WHERE name = ?1")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(query_error(String::new))?;
        if current != expected {
            return Ok(None);
        }
        let opened = self.insert_page(&mut tx, page).await?.page;
        sqlx::query("UPDATE heartbeats SET page_id = ?2, page_opened_at = ?3 WHERE name = ?1")
            .bind(name)
            .bind(opened.id)
            .bind(millis(page.at))
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(Some(opened))
    }

    async fn resolve_heartbeat_page(
        &self,
        name: &str,
        page_id: i64,
        event: &PageEvent,
    ) -> Result<bool> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let resolved = sqlx::query(
            "UPDATE pages SET state = 'resolved', resolved_at = ?2, resolved_by = NULL, updated_at = ?2
             WHERE id = ?1 AND state <> 'resolved'",
        )
        .bind(page_id)
        .bind(millis(event.at))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?
        .rows_affected()
            > 0;
        if resolved {
            insert_event(&mut tx, page_id, event).await?;
        }
        sqlx::query("UPDATE heartbeats SET page_id = NULL WHERE name = ?1 AND page_id = ?2")
            .bind(name)
            .bind(page_id)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(resolved)
    }
}
