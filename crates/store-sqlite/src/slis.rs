use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{ObjectiveRecord, PeriodRecord, ReceivedSliEvents, Result, SliEvents, Slis};
use sqlx::Connection as _;
use sqlx::sqlite::{SqliteConnection, SqliteRow};

fn events_from_row(row: &SqliteRow) -> Result<SliEvents> {
    Ok(SliEvents {
        slo: column(row, "slo")?,
        minute: timestamp(column(row, "minute")?)?,
        good: column(row, "good")?,
        total: column(row, "total")?,
    })
}

fn objective_from_row(row: &SqliteRow) -> Result<ObjectiveRecord> {
    Ok(ObjectiveRecord {
        slo: column(row, "slo")?,
        objective: column(row, "objective")?,
        since: timestamp(column(row, "since")?)?,
    })
}

fn period_from_row(row: &SqliteRow) -> Result<PeriodRecord> {
    Ok(PeriodRecord {
        slo: column(row, "slo")?,
        from: timestamp(column(row, "period_start")?)?,
        to: timestamp(column(row, "period_end")?)?,
        objective: column(row, "objective")?,
        good: column(row, "good")?,
        total: column(row, "total")?,
    })
}

fn received_from_row(row: &SqliteRow) -> Result<ReceivedSliEvents> {
    Ok(ReceivedSliEvents {
        id: column(row, "id")?,
        events: events_from_row(row)?,
        received_at: timestamp(column(row, "received_at")?)?,
    })
}

/// Appends `events` on `connection` (a transaction: the caller commits),
/// each row stamped `received_at`. One bound insert per row rather than one
/// over `json_each`: counts stay binary doubles all the way, where a trip
/// through JSON text would be only as exact as SQLite's number parser.
async fn insert_events(
    connection: &mut SqliteConnection,
    events: &[SliEvents],
    received_at: Timestamp,
) -> Result<()> {
    for event in events {
        sqlx::query(
            "INSERT INTO sli_events (slo, minute, good, total, received_at)
             VALUES (?1, ?2, ?3, ?4, ?5)",
        )
        .bind(&event.slo)
        .bind(millis(event.minute))
        .bind(event.good)
        .bind(event.total)
        .bind(millis(received_at))
        .execute(&mut *connection)
        .await
        .map_err(query_error(String::new))?;
    }
    Ok(())
}

#[async_trait]
impl Slis for SqliteStore {
    async fn record_sli_events(&self, events: &[SliEvents], received_at: Timestamp) -> Result<()> {
        if events.is_empty() {
            return Ok(());
        }
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        insert_events(&mut tx, events, received_at).await?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(())
    }

    async fn sli_event_totals(
        &self,
        since: Timestamp,
        received_before: Timestamp,
    ) -> Result<Vec<SliEvents>> {
        let rows = sqlx::query(
            "SELECT slo, minute, sum(good) AS good, sum(total) AS total FROM sli_events
             WHERE minute >= ?1 AND received_at < ?2
             GROUP BY slo, minute
             ORDER BY slo, minute",
        )
        .bind(millis(since))
        .bind(millis(received_before))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(events_from_row).collect()
    }

    async fn sli_events_received(&self, since: Timestamp) -> Result<Vec<ReceivedSliEvents>> {
        let rows = sqlx::query(
            "SELECT id, slo, minute, good, total, received_at FROM sli_events
             WHERE received_at >= ?1
             ORDER BY id",
        )
        .bind(millis(since))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(received_from_row).collect()
    }

    async fn prune_sli_events(&self, before: Timestamp) -> Result<u64> {
        let pruned = sqlx::query("DELETE FROM sli_events WHERE minute < ?1")
            .bind(millis(before))
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?
            .rows_affected();
        Ok(pruned)
    }

    async fn record_sli_fetch(
        &self,
        slo: &str,
        events: &[SliEvents],
        through: Timestamp,
        received_at: Timestamp,
    ) -> Result<()> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        // A refused row returns here: the transaction is dropped, rolled
        // back, and the cursor is never touched.
        insert_events(&mut tx, events, received_at).await?;
        sqlx::query(
            "INSERT INTO sli_cursors (slo, through) VALUES (?1, ?2)
             ON CONFLICT (slo) DO UPDATE SET through = excluded.through",
        )
        .bind(slo)
        .bind(millis(through))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(())
    }

    async fn sli_cursors(&self) -> Result<Vec<(String, Timestamp)>> {
        let rows = sqlx::query("SELECT slo, through FROM sli_cursors ORDER BY slo")
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| Ok((column(row, "slo")?, timestamp(column(row, "through")?)?)))
            .collect()
    }

    async fn record_objective(&self, slo: &str, objective: f64, at: Timestamp) -> Result<bool> {
        // One statement: SQLite takes the write lock before it reads, so
        // the latest row it compares with is still the latest when it
        // inserts, whichever connection or process wrote last. The
        // condition is also true when the SLO has no row yet (the latest is
        // NULL), and for a NaN, which binds as NULL: it is inserted, for NOT
        // NULL to refuse, rather than quietly not recorded.
        let recorded = sqlx::query(
            "INSERT INTO slo_objectives (slo, objective, since)
             SELECT ?1, ?2, ?3
             WHERE (
                 (SELECT objective FROM slo_objectives
                  WHERE slo = ?1
                  ORDER BY since DESC
                  LIMIT 1) = ?2
             ) IS NOT TRUE",
        )
        .bind(slo)
        .bind(objective)
        .bind(millis(at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(|| {
            format!("SLO `{slo}` already has an objective recorded at {at}")
        }))?
        .rows_affected();
        Ok(recorded == 1)
    }

    async fn objective_history(&self) -> Result<Vec<ObjectiveRecord>> {
        let rows =
            sqlx::query("SELECT slo, objective, since FROM slo_objectives ORDER BY slo, since")
                .fetch_all(&self.reader)
                .await
                .map_err(query_error(String::new))?;
        rows.iter().map(objective_from_row).collect()
    }

    async fn record_slo_period(&self, period: &PeriodRecord) -> Result<bool> {
        // One statement: the key decides, so two instances recording the
        // same period store it once and the first record stands. The
        // CHECKs are applied before the key is looked up: a bad number is
        // refused even for a period already recorded.
        let recorded = sqlx::query(
            "INSERT INTO slo_periods (slo, period_start, period_end, objective, good, total)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)
             ON CONFLICT (slo, period_start) DO NOTHING",
        )
        .bind(&period.slo)
        .bind(millis(period.from))
        .bind(millis(period.to))
        .bind(period.objective)
        .bind(period.good)
        .bind(period.total)
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?
        .rows_affected();
        Ok(recorded == 1)
    }

    async fn slo_periods(&self, slo: &str, limit: u32) -> Result<Vec<PeriodRecord>> {
        let rows = sqlx::query(
            "SELECT slo, period_start, period_end, objective, good, total FROM slo_periods
             WHERE slo = ?1
             ORDER BY period_start DESC
             LIMIT ?2",
        )
        .bind(slo)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(period_from_row).collect()
    }
}
