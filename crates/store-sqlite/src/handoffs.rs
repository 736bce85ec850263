use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use pagerbound_store::{Handoffs, Result, WatchedOnCall};

#[async_trait]
impl Handoffs for SqliteStore {
    async fn watched_on_call(&self) -> Result<Vec<WatchedOnCall>> {
        let rows =
            sqlx::query("SELECT schedule, user_name, since FROM oncall_watch ORDER BY schedule")
                .fetch_all(&self.reader)
                .await
                .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| {
                Ok(WatchedOnCall {
                    schedule: column(row, "schedule")?,
                    user: column(row, "user_name")?,
                    since: timestamp(column(row, "since")?)?,
                })
            })
            .collect()
    }

    async fn record_on_call(&self, watched: &WatchedOnCall) -> Result<()> {
        sqlx::query(
            "INSERT INTO oncall_watch (schedule, user_name, since) VALUES (?1, ?2, ?3)
             ON CONFLICT (schedule) DO UPDATE SET
                 user_name = excluded.user_name, since = excluded.since",
        )
        .bind(&watched.schedule)
        .bind(&watched.user)
        .bind(millis(watched.since))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }
}
