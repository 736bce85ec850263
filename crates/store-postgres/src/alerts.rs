//! Alerts in PostgreSQL. A batch is written with one statement per kind of
//! write: the rows travel as one JSON array that `jsonb_to_recordset`
//! unpacks, so a thousand alerts cost one statement, not a thousand.

use crate::{PostgresStore, column, instant, json_column, optional_instant, query_error, to_json};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::alert::Fingerprint;
use pagerbound_store::{AlertWrite, Alerts, Result, StoreError, StoredAlert, Written};
use serde_json::json;
use sqlx::postgres::PgRow;

macro_rules! columns {
    () => {
        "id, fingerprint, labels, annotations, generator_url, starts_at, ends_at, timeout, \
         updated_at, integration, seq"
    };
}

fn alert_from_row(row: &PgRow) -> Result<StoredAlert> {
    Ok(StoredAlert {
        id: column(row, "id")?,
        fingerprint: Fingerprint::from_i64(column(row, "fingerprint")?),
        labels: json_column(row, "labels")?,
        annotations: json_column(row, "annotations")?,
        generator_url: column(row, "generator_url")?,
        starts_at: instant(row, "starts_at")?,
        ends_at: optional_instant(row, "ends_at")?,
        timeout: column(row, "timeout")?,
        updated_at: instant(row, "updated_at")?,
        integration: column(row, "integration")?,
        seq: column(row, "seq")?,
    })
}

#[async_trait]
impl Alerts for PostgresStore {
    async fn write_alerts(&self, writes: &[AlertWrite]) -> Result<Vec<Written>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let count = i64::try_from(writes.len()).unwrap_or(i64::MAX);
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        let seqs: Vec<i64> = sqlx::query_scalar(
            "SELECT nextval('alert_seq') FROM generate_series(1, $1) ORDER BY 1",
        )
        .bind(count)
        .fetch_all(&mut *tx)
        .await
        .map_err(query_error(String::new))?;

        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut written = vec![Written { id: 0, seq: 0 }; writes.len()];
        let mut index_of_seq = std::collections::HashMap::new();
        for ((index, write), seq) in writes.iter().enumerate().zip(seqs.iter().copied()) {
            match write {
                AlertWrite::Insert {
                    alert,
                    integration,
                    at,
                } => {
                    index_of_seq.insert(seq, index);
                    inserts.push(json!({
                        "f": alert.fingerprint().to_i64(),
                        "l": alert.labels,
                        "a": alert.annotations,
                        "g": alert.generator_url,
                        "s": alert.starts_at,
                        "e": alert.ends_at,
                        "t": alert.timeout,
                        "u": at,
                        "i": integration,
                        "q": seq,
                    }));
                }
                AlertWrite::Update {
                    id,
                    starts_at,
                    ends_at,
                    timeout,
                    content,
                    at,
                } => {
                    let (annotations, generator_url) = match content {
                        Some((annotations, url)) => (Some(annotations), url.as_deref()),
                        None => (None, None),
                    };
                    updates.push(json!({
                        "id": id, "s": starts_at, "e": ends_at, "t": timeout, "u": at,
                        "c": content.is_some(), "a": annotations, "g": generator_url, "q": seq,
                    }));
                    written[index] = Written { id: *id, seq };
                }
            }
        }

        if !inserts.is_empty() {
            let rows = sqlx::query(
                "INSERT INTO alerts (fingerprint, labels, annotations, generator_url, starts_at, ends_at,
                                     timeout, updated_at, integration, seq)
                 SELECT x.f, x.l, x.a, x.g, x.s, x.e, x.t, x.u, x.i, x.q
                 FROM jsonb_to_recordset($1) AS x(f bigint, l jsonb, a jsonb, g text, s timestamptz,
                                                 e timestamptz, t boolean, u timestamptz, i text, q bigint)
                 RETURNING id, seq",
            )
            .bind(to_json(&inserts)?)
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
            for row in &rows {
                let (id, seq): (i64, i64) = (column(row, "id")?, column(row, "seq")?);
                let index = index_of_seq.get(&seq).ok_or_else(|| {
                    StoreError::Corrupt(format!("sequence {seq} outside the batch"))
                })?;
                written[*index] = Written { id, seq };
            }
        }

        if !updates.is_empty() {
            sqlx::query(
                "UPDATE alerts
                 SET starts_at = x.s, ends_at = x.e, timeout = x.t, updated_at = x.u, seq = x.q,
                     annotations = CASE WHEN x.c THEN x.a ELSE alerts.annotations END,
                     generator_url = CASE WHEN x.c THEN x.g ELSE alerts.generator_url END
                 FROM jsonb_to_recordset($1) AS x(id bigint, s timestamptz, e timestamptz, t boolean,
                                                 u timestamptz, c boolean, a jsonb, g text, q bigint)
                 WHERE alerts.id = x.id",
            )
            .bind(to_json(&updates)?)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        }

        tx.commit().await.map_err(query_error(String::new))?;
        if written.iter().any(|w| w.id == 0) {
            return Err(StoreError::Corrupt("an inserted alert got no id".into()));
        }
        Ok(written)
    }

    async fn alerts_ending_after(&self, after: Timestamp) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts WHERE ends_at IS NULL OR ends_at > $1 ORDER BY id"
        ))
        .bind(after.to_sqlx())
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alerts_changed_since(&self, seq: i64, limit: u32) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts WHERE seq > $1 ORDER BY seq LIMIT $2"
        ))
        .bind(seq)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alerts_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts WHERE starts_at < $2 AND (ends_at IS NULL OR ends_at > $1)
              ORDER BY starts_at DESC, id DESC LIMIT $3"
        ))
        .bind(from.to_sqlx())
        .bind(to.to_sqlx())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alerts_by_ids(&self, ids: &[i64]) -> Result<Vec<StoredAlert>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts WHERE id = ANY($1) ORDER BY id"
        ))
        .bind(ids)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn firing_alerts_with_label(
        &self,
        integration: &str,
        name: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts
              WHERE (ends_at IS NULL OR ends_at > $1) AND integration = $2 AND labels ->> $3 = $4
              ORDER BY id"
        ))
        .bind(now.to_sqlx())
        .bind(integration)
        .bind(name)
        .bind(value)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }
}
