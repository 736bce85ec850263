use crate::{PostgresStore, column, instant, query_error};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_store::{ObjectiveRecord, PeriodRecord, ReceivedSliEvents, Result, SliEvents, Slis};
use sqlx::postgres::PgRow;

fn events_from_row(row: &PgRow) -> Result<SliEvents> {
    Ok(SliEvents {
        slo: column(row, "slo")?,
        minute: instant(row, "minute")?,
        good: column(row, "good")?,
        total: column(row, "total")?,
    })
}

fn objective_from_row(row: &PgRow) -> Result<ObjectiveRecord> {
    Ok(ObjectiveRecord {
        slo: column(row, "slo")?,
        objective: column(row, "objective")?,
        since: instant(row, "since")?,
    })
}

fn period_from_row(row: &PgRow) -> Result<PeriodRecord> {
    Ok(PeriodRecord {
        slo: column(row, "slo")?,
        from: instant(row, "period_start")?,
        to: instant(row, "period_end")?,
        objective: column(row, "objective")?,
        good: column(row, "good")?,
        total: column(row, "total")?,
    })
}

fn received_from_row(row: &PgRow) -> Result<ReceivedSliEvents> {
    Ok(ReceivedSliEvents {
        id: column(row, "id")?,
        events: events_from_row(row)?,
        received_at: instant(row, "received_at")?,
    })
}

/// Appends `events` through `executor` (the pool, or a transaction the
/// caller commits), each row stamped `received_at`. One statement, so the
/// batch is stored whole or not at all in one round trip; ids follow the
/// order given.
async fn insert_events<'c, E>(
    executor: E,
    events: &[SliEvents],
    received_at: Timestamp,
) -> Result<()>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    if events.is_empty() {
        return Ok(());
    }
    let slos: Vec<&str> = events.iter().map(|e| e.slo.as_str()).collect();
    let minutes: Vec<jiff_sqlx::Timestamp> = events.iter().map(|e| e.minute.to_sqlx()).collect();
    let good: Vec<f64> = events.iter().map(|e| e.good).collect();
    let total: Vec<f64> = events.iter().map(|e| e.total).collect();
    sqlx::query(
        "INSERT INTO sli_events (slo, minute, good, total, received_at)
         SELECT slo, minute, good, total, $5
         FROM unnest($1::text[], $2::timestamptz[], $3::float8[], $4::float8[])
             WITH ORDINALITY AS batch (slo, minute, good, total, position)
         ORDER BY position",
    )
    .bind(&slos)
    .bind(&minutes)
    .bind(&good)
    .bind(&total)
    .bind(received_at.to_sqlx())
    .execute(executor)
    .await
    .map_err(query_error(String::new))?;
    Ok(())
}

#[async_trait]
impl Slis for PostgresStore {
    async fn record_sli_events(&self, events: &[SliEvents], received_at: Timestamp) -> Result<()> {
        insert_events(&self.pool, events, received_at).await
    }

    async fn sli_event_totals(
        &self,
        since: Timestamp,
        received_before: Timestamp,
    ) -> Result<Vec<SliEvents>> {
        let rows = sqlx::query(
            "SELECT slo, minute, sum(good) AS good, sum(total) AS total FROM sli_events
             WHERE minute >= $1 AND received_at < $2
             GROUP BY slo, minute
             ORDER BY slo, minute",
        )
        .bind(since.to_sqlx())
        .bind(received_before.to_sqlx())
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(events_from_row).collect()
    }

    async fn sli_events_received(&self, since: Timestamp) -> Result<Vec<ReceivedSliEvents>> {
        let rows = sqlx::query(
            "SELECT id, slo, minute, good, total, received_at FROM sli_events
             WHERE received_at >= $1
             ORDER BY id",
        )
        .bind(since.to_sqlx())
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(received_from_row).collect()
    }

    async fn prune_sli_events(&self, before: Timestamp) -> Result<u64> {
        let pruned = sqlx::query("DELETE FROM sli_events WHERE minute < $1")
            .bind(before.to_sqlx())
            .execute(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        // A refused row returns here: the transaction is dropped, rolled
        // back, and the cursor is never touched.
        insert_events(&mut *tx, events, received_at).await?;
        sqlx::query(
            "INSERT INTO sli_cursors (slo, through) VALUES ($1, $2)
             ON CONFLICT (slo) DO UPDATE SET through = excluded.through",
        )
        .bind(slo)
        .bind(through.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(())
    }

    async fn sli_cursors(&self) -> Result<Vec<(String, Timestamp)>> {
        let rows = sqlx::query("SELECT slo, through FROM sli_cursors ORDER BY slo")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| Ok((column(row, "slo")?, instant(row, "through")?)))
            .collect()
    }

    async fn record_objective(&self, slo: &str, objective: f64, at: Timestamp) -> Result<bool> {
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        // A statement alone would not do: under read committed, two
        // instances recording an SLO's first objective (or the same change)
        // at different instants would both see no such row and both insert.
        // The lock makes writers take turns (readers are not blocked), and
        // the insert's snapshot, taken after it, sees the other's commit.
        sqlx::query("LOCK TABLE slo_objectives IN SHARE ROW EXCLUSIVE MODE")
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        let recorded = sqlx::query(
            "INSERT INTO slo_objectives (slo, objective, since)
             SELECT $1, $2, $3
             WHERE $2 IS DISTINCT FROM (
                 SELECT objective FROM slo_objectives
                 WHERE slo = $1
                 ORDER BY since DESC
                 LIMIT 1
             )",
        )
        .bind(slo)
        .bind(objective)
        .bind(at.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(|| {
            format!("SLO `{slo}` already has an objective recorded at {at}")
        }))?
        .rows_affected();
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(recorded == 1)
    }

    async fn objective_history(&self) -> Result<Vec<ObjectiveRecord>> {
        let rows =
            sqlx::query("SELECT slo, objective, since FROM slo_objectives ORDER BY slo, since")
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(String::new))?;
        rows.iter().map(objective_from_row).collect()
    }

    async fn record_slo_period(&self, period: &PeriodRecord) -> Result<bool> {
        // One statement, no lock: unlike `record_objective`, which compares
        // with the latest row, the period's key decides. A concurrent
        // insert of the same key waits for the other to commit and then
        // does nothing, so the period is stored once and the first record
        // stands. The CHECKs are applied before the key is looked up: a bad
        // number is refused even for a period already recorded.
        let recorded = sqlx::query(
            "INSERT INTO slo_periods (slo, period_start, period_end, objective, good, total)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (slo, period_start) DO NOTHING",
        )
        .bind(&period.slo)
        .bind(period.from.to_sqlx())
        .bind(period.to.to_sqlx())
        .bind(period.objective)
        .bind(period.good)
        .bind(period.total)
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?
        .rows_affected();
        Ok(recorded == 1)
    }

    async fn slo_periods(&self, slo: &str, limit: u32) -> Result<Vec<PeriodRecord>> {
        let rows = sqlx::query(
            "SELECT slo, period_start, period_end, objective, good, total FROM slo_periods
             WHERE slo = $1
             ORDER BY period_start DESC
             LIMIT $2",
        )
        .bind(slo)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(period_from_row).collect()
    }
}
