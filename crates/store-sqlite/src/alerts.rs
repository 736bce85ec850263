//! Alerts in SQLite. A batch is written with one statement per kind of
//! write: the rows travel as one JSON array that SQLite unpacks with
//! `json_each`, so a thousand alerts cost one statement, not a thousand.

use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::{Fingerprint, Labels};
use pagerbound_store::{AlertWrite, Alerts, Result, StoreError, StoredAlert, Written};
use serde_json::json;
use sqlx::sqlite::SqliteRow;

macro_rules! columns {
    () => {
        "id, fingerprint, labels, annotations, generator_url, starts_at, ends_at, timeout, \
         updated_at, integration, seq"
    };
}

pub(crate) fn alert_from_row(row: &SqliteRow) -> Result<StoredAlert> {
    Ok(StoredAlert {
        id: column(row, "id")?,
        fingerprint: Fingerprint::from_i64(column(row, "fingerprint")?),
        labels: labels(&column::<String>(row, "labels")?)?,
        annotations: labels(&column::<String>(row, "annotations")?)?,
        generator_url: column(row, "generator_url")?,
        starts_at: timestamp(column(row, "starts_at")?)?,
        ends_at: optional_timestamp(column(row, "ends_at")?)?,
        timeout: column::<i64>(row, "timeout")? != 0,
        updated_at: timestamp(column(row, "updated_at")?)?,
        integration: column(row, "integration")?,
        seq: column(row, "seq")?,
    })
}

pub(crate) fn labels(text: &str) -> Result<Labels> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("labels `{text}`: {e}")))
}

pub(crate) fn to_json<T: ?Sized + ::serde::Serialize>(value: &T) -> Result<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Corrupt(e.to_string()))
}

#[async_trait]
impl Alerts for SqliteStore {
    async fn write_alerts(&self, writes: &[AlertWrite]) -> Result<Vec<Written>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let count = i64::try_from(writes.len()).unwrap_or(i64::MAX);
        let mut tx = self
            .writer
            .begin()
            .await
            .map_err(query_error(String::new))?;
        let last: i64 = sqlx::query_scalar(
            "UPDATE counters SET value = value + ?1 WHERE name = 'alert_seq' RETURNING value",
        )
        .bind(count)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let first_seq = last - count + 1;

        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut written = vec![Written { id: 0, seq: 0 }; writes.len()];
        for ((index, write), seq) in writes.iter().enumerate().zip(first_seq..) {
            match write {
                AlertWrite::Insert {
                    alert,
                    integration,
                    at,
                } => inserts.push(json!({
                    "f": alert.fingerprint().to_i64(),
                    "l": alert.labels,
                    "a": alert.annotations,
                    "g": alert.generator_url,
                    "s": millis(alert.starts_at),
                    "e": alert.ends_at.map(millis),
                    "t": alert.timeout,
                    "u": millis(*at),
                    "i": integration,
                    "q": seq,
                })),
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
                        "id": id,
                        "s": millis(*starts_at),
                        "e": ends_at.map(millis),
                        "t": timeout,
                        "u": millis(*at),
                        "c": content.is_some(),
                        "a": annotations,
                        "g": generator_url,
                        "q": seq,
                    }));
                    written[index] = Written { id: *id, seq };
                }
            }
        }

        if !inserts.is_empty() {
            let rows = sqlx::query(
                "INSERT INTO alerts (fingerprint, labels, annotations, generator_url, starts_at, ends_at,
                                     timeout, updated_at, integration, seq)
                 SELECT json_extract(value, '$.f'), json_extract(value, '$.l'), json_extract(value, '$.a'),
                        json_extract(value, '$.g'), json_extract(value, '$.s'), json_extract(value, '$.e'),
                        json_extract(value, '$.t'), json_extract(value, '$.u'), json_extract(value, '$.i'),
                        json_extract(value, '$.q')
                 FROM json_each(?1)
                 RETURNING id, seq",
            )
            .bind(to_json(&inserts)?)
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
            for row in &rows {
                let (id, seq): (i64, i64) = (column(row, "id")?, column(row, "seq")?);
                let index = usize::try_from(seq - first_seq).map_err(|_| {
                    StoreError::Corrupt(format!("sequence {seq} outside the batch"))
                })?;
                if let Some(slot) = written.get_mut(index) {
                    *slot = Written { id, seq };
                }
            }
        }

        if !updates.is_empty() {
            sqlx::query(
                "UPDATE alerts
                 SET starts_at = x.s, ends_at = x.e, timeout = x.t, updated_at = x.u, seq = x.q,
                     annotations = CASE WHEN x.c THEN x.a ELSE alerts.annotations END,
                     generator_url = CASE WHEN x.c THEN x.g ELSE alerts.generator_url END
                 FROM (SELECT json_extract(value, '$.id') AS id, json_extract(value, '$.s') AS s,
                              json_extract(value, '$.e') AS e, json_extract(value, '$.t') AS t,
                              json_extract(value, '$.u') AS u, json_extract(value, '$.c') AS c,
                              json_extract(value, '$.a') AS a, json_extract(value, '$.g') AS g,
                              json_extract(value, '$.q') AS q
                       FROM json_each(?1)) AS x
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
            " FROM alerts WHERE ends_at IS NULL OR ends_at > ?1 ORDER BY id"
        ))
        .bind(millis(after))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn alerts_changed_since(&self, seq: i64, limit: u32) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM alerts WHERE seq > ?1 ORDER BY seq LIMIT ?2"
        ))
        .bind(seq)
        .bind(limit)
        .fetch_all(&self.reader)
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
            " FROM alerts WHERE starts_at < ?2 AND (ends_at IS NULL OR ends_at > ?1)
              ORDER BY starts_at DESC, id DESC LIMIT ?3"
        ))
        .bind(millis(from))
        .bind(millis(to))
        .bind(limit)
        .fetch_all(&self.reader)
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
            " FROM alerts WHERE id IN (SELECT value FROM json_each(?1)) ORDER BY id"
        ))
        .bind(to_json(&ids)?)
        .fetch_all(&self.reader)
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
              WHERE (ends_at IS NULL OR ends_at > ?1) AND integration = ?2 AND json_extract(labels, ?3) = ?4
              ORDER BY id"
        ))
        .bind(millis(now))
        .bind(integration)
        .bind(format!("$.\"{name}\""))
        .bind(value)
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }
}
