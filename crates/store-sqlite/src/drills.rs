use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{Drill, Drills, Result};
use sqlx::sqlite::SqliteRow;

fn drill_from_row(row: &SqliteRow) -> Result<Drill> {
    Ok(Drill {
        id: column(row, "id")?,
        service: column(row, "service")?,
        started_by: column(row, "started_by")?,
        started_at: timestamp(column(row, "started_at")?)?,
        page_id: column(row, "page_id")?,
    })
}

#[async_trait]
impl Drills for SqliteStore {
    async fn start_drill(&self, service: &str, started_by: &str, at: Timestamp) -> Result<Drill> {
        let row = sqlx::query(
            "INSERT INTO drills (service, started_by, started_at) VALUES (?1, ?2, ?3)
             RETURNING id, service, started_by, started_at, page_id",
        )
        .bind(service)
        .bind(started_by)
        .bind(millis(at))
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        drill_from_row(&row)
    }

    async fn drill_opened(&self, drill_id: i64, page_id: i64) -> Result<()> {
        sqlx::query("UPDATE drills SET page_id = ?2 WHERE id = ?1 AND page_id IS NULL")
            .bind(drill_id)
            .bind(page_id)
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn drills(&self, limit: u32) -> Result<Vec<Drill>> {
        let rows = sqlx::query(
            "SELECT id, service, started_by, started_at, page_id FROM drills
             ORDER BY id DESC LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(drill_from_row).collect()
    }
}
