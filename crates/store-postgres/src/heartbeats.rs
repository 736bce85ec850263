use crate::pages::{insert_event, insert_page};
use crate::{PostgresStore, column, instant, optional_instant, query_error};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_store::{HeartbeatRecord, Heartbeats, NewPage, Page, PageEvent, Result};
use sqlx::postgres::PgRow;

fn record_from_row(row: &PgRow) -> Result<HeartbeatRecord> {
    Ok(HeartbeatRecord {
        name: column(row, "name")?,
        watched_since: instant(row, "watched_since")?,
        last_beat_at: optional_instant(row, "last_beat_at")?,
        beats: column(row, "beats")?,
        page_id: column(row, "page_id")?,
        page_opened_at: optional_instant(row, "page_opened_at")?,
    })
}

#[async_trait]
impl Heartbeats for PostgresStore {
    async fn watch_heartbeats(&self, names: &[String], since: Timestamp) -> Result<()> {
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since)
             SELECT name, $2 FROM unnest($1::text[]) AS name
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(names)
        .bind(since.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn record_beats(&self, names: &[String], at: Timestamp) -> Result<()> {
        // Sorted, so that instances beating the same heartbeats at once take
        // the row locks in one order.
        let mut names = names.to_vec();
        names.sort();
        names.dedup();
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since, last_beat_at, beats)
             SELECT name, $2, $2, 1 FROM unnest($1::text[]) AS name
             ON CONFLICT (name) DO UPDATE SET
                 last_beat_at = greatest(heartbeats.last_beat_at, excluded.last_beat_at),
                 beats = heartbeats.beats + 1",
        )
        .bind(&names)
        .bind(at.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn heartbeats(&self) -> Result<Vec<HeartbeatRecord>> {
        let rows = sqlx::query(
            "SELECT name, watched_since, last_beat_at, beats, page_id, page_opened_at
             FROM heartbeats ORDER BY name",
        )
        .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        sqlx::query(
            "INSERT INTO heartbeats (name, watched_since) VALUES ($1, $2)
             ON CONFLICT (name) DO NOTHING",
        )
        .bind(name)
        .bind(page.at.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        // The row lock makes a second instance wait here, then see the page.
        let current: Option<i64> =
            sqlx::query_scalar("SELECT page_id FROM heartbeats WHERE name = $1 FOR UPDATE")
                .bind(name)
                .fetch_one(&mut *tx)
                .await
                .map_err(query_error(String::new))?;
        if current != expected {
            return Ok(None);
        }
        let opened = insert_page(&mut tx, page).await?.page;
        sqlx::query("UPDATE heartbeats SET page_id = $2, page_opened_at = $3 WHERE name = $1")
            .bind(name)
            .bind(opened.id)
            .bind(page.at.to_sqlx())
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
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        let resolved = sqlx::query(
            "UPDATE pages SET state = 'resolved', resolved_at = $2, resolved_by = NULL, updated_at = $2
             WHERE id = $1 AND state <> 'resolved'",
        )
        .bind(page_id)
        .bind(event.at.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?
        .rows_affected()
            > 0;
        if resolved {
            insert_event(&mut tx, page_id, event).await?;
        }
        sqlx::query("UPDATE heartbeats SET page_id = NULL WHERE name = $1 AND page_id = $2")
            .bind(name)
            .bind(page_id)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(resolved)
    }
}
