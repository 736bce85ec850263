use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{NewOverride, Overrides, Result, StoredOverride};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

/// The columns every query answers, as a macro so that queries stay
/// static strings.
macro_rules! columns {
    () => {
        "id, schedule, user_name, starts_at, ends_at, created_by, created_at, note"
    };
}

fn override_from_row(row: &SqliteRow) -> Result<StoredOverride> {
    Ok(StoredOverride {
        id: column(row, "id")?,
        schedule: column(row, "schedule")?,
        user: column(row, "user_name")?,
        start: timestamp(column(row, "starts_at")?)?,
        end: timestamp(column(row, "ends_at")?)?,
        created_by: column(row, "created_by")?,
        created_at: timestamp(column(row, "created_at")?)?,
        note: column(row, "note")?,
    })
}

#[async_trait]
impl Overrides for SqliteStore {
    async fn add_overrides(
        &self,
        overrides: &[NewOverride],
        created_at: Timestamp,
    ) -> Result<Vec<StoredOverride>> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let mut stored = Vec::with_capacity(overrides.len());
        for new in overrides {
            let row = sqlx::query(concat!(
                "INSERT INTO schedule_overrides
                     (schedule, user_name, starts_at, ends_at, created_by, created_at, note)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 RETURNING ",
                columns!(),
                ""
            ))
            .bind(&new.schedule)
            .bind(&new.user)
            .bind(millis(new.start))
            .bind(millis(new.end))
            .bind(&new.created_by)
            .bind(millis(created_at))
            .bind(&new.note)
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
            stored.push(override_from_row(&row)?);
        }
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(stored)
    }

    async fn overrides(
        &self,
        schedule: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StoredOverride>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM schedule_overrides
             WHERE (?1 IS NULL OR schedule = ?1) AND ends_at > ?2 AND starts_at < ?3
             ORDER BY starts_at, id"
        ))
        .bind(schedule)
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(override_from_row).collect()
    }

    async fn remove_override(&self, id: i64) -> Result<Option<StoredOverride>> {
        let row = sqlx::query(concat!(
            "DELETE FROM schedule_overrides WHERE id = ?1 RETURNING ",
            columns!(),
            ""
        ))
        .bind(id)
        .fetch_optional(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(override_from_row).transpose()
    }
}
