use crate::pages::insert_event;
use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{EscalationRecord, Escalations, PageEvent, Result};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

fn record_from_row(row: &SqliteRow) -> Result<EscalationRecord> {
    Ok(EscalationRecord {
        page_id: column(row, "page_id")?,
        policy: column(row, "policy")?,
        step: column(row, "step")?,
        round: column(row, "round")?,
        next_at: timestamp(column(row, "next_at")?)?,
    })
}

#[async_trait]
impl Escalations for SqliteStore {
    async fn start_escalation(
        &self,
        page_id: i64,
        policy: &str,
        at: Timestamp,
        restart: bool,
    ) -> Result<()> {
        let query = if restart {
            "INSERT INTO escalations (page_id, policy, step, round, next_at)
             VALUES (?1, ?2, 0, 0, ?3)
             ON CONFLICT (page_id) DO UPDATE SET
                 policy = excluded.policy, step = 0, round = 0, next_at = excluded.next_at"
        } else {
            "INSERT INTO escalations (page_id, policy, step, round, next_at)
             VALUES (?1, ?2, 0, 0, ?3)
             ON CONFLICT (page_id) DO NOTHING"
        };
        sqlx::query(query)
            .bind(page_id)
            .bind(policy)
            .bind(millis(at))
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn due_escalations(&self, now: Timestamp, limit: u32) -> Result<Vec<EscalationRecord>> {
        let rows = sqlx::query(
            "SELECT page_id, policy, step, round, next_at FROM escalations
             WHERE next_at <= ?1 ORDER BY next_at, page_id LIMIT ?2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(record_from_row).collect()
    }

    async fn next_escalation_at(&self) -> Result<Option<Timestamp>> {
        let next: Option<i64> = sqlx::query_scalar("SELECT min(next_at) FROM escalations")
            .fetch_one(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        next.map(timestamp).transpose()
    }

    async fn escalation(&self, page_id: i64) -> Result<Option<EscalationRecord>> {
        let row = sqlx::query(
            "SELECT page_id, policy, step, round, next_at FROM escalations WHERE page_id = ?1",
        )
        .bind(page_id)
        .fetch_optional(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(record_from_row).transpose()
    }

    async fn advance_escalation(
        &self,
        page_id: i64,
        from: (i64, i64),
        event: Option<&PageEvent>,
        next: Option<(i64, i64, Timestamp)>,
    ) -> Result<bool> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let changed = match next {
            Some((step, round, at)) => sqlx::query(
                "UPDATE escalations SET step = ?4, round = ?5, next_at = ?6
                 WHERE page_id = ?1 AND step = ?2 AND round = ?3",
            )
            .bind(page_id)
            .bind(from.0)
            .bind(from.1)
            .bind(step)
            .bind(round)
            .bind(millis(at)),
            None => sqlx::query(
                "DELETE FROM escalations WHERE page_id = ?1 AND step = ?2 AND round = ?3",
            )
            .bind(page_id)
            .bind(from.0)
            .bind(from.1),
        }
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?
        .rows_affected();
        if changed == 0 {
            return Ok(false);
        }
        if let Some(event) = event {
            insert_event(&mut tx, page_id, event).await?;
        }
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(true)
    }
}
