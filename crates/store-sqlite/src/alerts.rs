//! Alerts in SQLite. A batch is written with one statement per kind of
//! write: the rows travel as one JSON array that SQLite unpacks with
//! `json_each`, so a thousand alerts cost one statement, not a thousand.

use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::{Fingerprint, Labels};
use pagerbound_store::{
    AlertSearch, AlertWrite, Alerts, Result, StoreError, StoredAlert, WindowPart, Written,
    search_in_parts,
};
use serde::Serialize;
use sqlx::sqlite::SqliteConnection;
use sqlx::sqlite::SqliteRow;
use std::sync::{OnceLock, PoisonError};

/// Whether the row's `labels` hold every label of the JSON object in
/// parameter `$wanted`, with its value (every row when it is empty).
macro_rules! carries {
    ($wanted:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM json_each(",
            $wanted,
            ") AS wanted WHERE NOT EXISTS (SELECT 1 FROM json_each(labels) AS l
               WHERE l.key = wanted.key AND l.value = wanted.value))"
        )
    };
}

macro_rules! columns {
    () => {
        "id, fingerprint, labels, annotations, generator_url, starts_at, ends_at, timeout, \
         updated_at, integration, seq"
    };
}

/// The alerts of one page, by id.
pub(crate) const PAGE_ALERTS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM alerts WHERE id IN (SELECT alert_id FROM page_alerts WHERE page_id = ?1) ORDER BY id"
);

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

/// A new alert's values, in column order.
struct InsertRow<'a> {
    id: i64,
    f: i64,
    l: &'a Labels,
    a: &'a Labels,
    g: Option<&'a str>,
    s: i64,
    e: Option<i64>,
    t: bool,
    u: i64,
    i: &'a str,
    q: i64,
}

/// New times (and content, when `c`) for an alert, as it travels to SQLite
/// inside the batch's JSON array.
#[derive(Serialize)]
struct UpdateRow<'a> {
    id: i64,
    s: i64,
    e: Option<i64>,
    t: bool,
    u: i64,
    c: bool,
    a: Option<&'a Labels>,
    g: Option<&'a str>,
    q: i64,
}

/// Rows per `INSERT` statement: powers of two, so that only a few distinct
/// statements are ever prepared (and they stay in the statement cache).
const CHUNKS: [usize; 8] = [128, 64, 32, 16, 8, 4, 2, 1];
const INSERT_COLUMNS: usize = 11;

/// `INSERT ... VALUES (...), (...)` for `rows` rows.
fn insert_sql(rows: usize) -> &'static str {
    static SQL: OnceLock<Vec<String>> = OnceLock::new();
    let all = SQL.get_or_init(|| {
        CHUNKS
            .iter()
            .map(|&n| {
                let row = format!("({})", ["?"; INSERT_COLUMNS].join(", "));
                format!(
                    "INSERT INTO alerts (id, fingerprint, labels, annotations, generator_url, \
                     starts_at, ends_at, timeout, updated_at, integration, seq) VALUES {}",
                    vec![row; n].join(", ")
                )
            })
            .collect()
    });
    let index = CHUNKS
        .iter()
        .position(|&n| n == rows)
        .unwrap_or(CHUNKS.len() - 1);
    &all[index]
}

/// How many statements inserting `rows` rows takes.
fn statements_for(mut rows: usize) -> usize {
    let mut statements = 0;
    while rows > 0 {
        rows -= CHUNKS.iter().copied().find(|&n| n <= rows).unwrap_or(1);
        statements += 1;
    }
    statements
}

/// Inserts rows with bound values, a chunk per statement: no JSON for
/// SQLite to parse, and no rows sent back (ids are assigned here); those
/// were most of the cost of a batch.
async fn insert_rows(connection: &mut SqliteConnection, rows: &[InsertRow<'_>]) -> Result<()> {
    let mut rest = rows;
    while !rest.is_empty() {
        let size = CHUNKS
            .iter()
            .copied()
            .find(|&n| n <= rest.len())
            .unwrap_or(1);
        let (chunk, tail) = rest.split_at(size);
        let mut query = sqlx::query(insert_sql(size));
        for row in chunk {
            query = query
                .bind(row.id)
                .bind(row.f)
                .bind(to_json(row.l)?)
                .bind(to_json(row.a)?)
                .bind(row.g)
                .bind(row.s)
                .bind(row.e)
                .bind(row.t)
                .bind(row.u)
                .bind(row.i)
                .bind(row.q);
        }
        query
            .execute(&mut *connection)
            .await
            .map_err(query_error(String::new))?;
        rest = tail;
    }
    Ok(())
}

/// The next alert id and change number. One process writes a SQLite
/// file, so they are counted in memory, from the highest ones stored.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Counters {
    next_id: i64,
    next_seq: i64,
}

impl SqliteStore {
    /// Reserves `ids` alert ids and `seqs` change numbers; answers the
    /// first of each.
    async fn reserve(&self, ids: usize, seqs: usize) -> Result<(i64, i64)> {
        let known = *self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        if known.is_none() {
            let row = sqlx::query(
                "SELECT coalesce(max(id), 0) AS id, coalesce(max(seq), 0) AS seq FROM alerts",
            )
            .fetch_one(&self.writer)
            .await
            .map_err(query_error(String::new))?;
            let (id, seq): (i64, i64) = (column(&row, "id")?, column(&row, "seq")?);
            let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
            counters.get_or_insert(Counters {
                next_id: id + 1,
                next_seq: seq + 1,
            });
        }
        let mut counters = self.counters.lock().unwrap_or_else(PoisonError::into_inner);
        let counters = counters.get_or_insert(Counters {
            next_id: 1,
            next_seq: 1,
        });
        let first = (counters.next_id, counters.next_seq);
        counters.next_id += i64::try_from(ids).unwrap_or(i64::MAX);
        counters.next_seq += i64::try_from(seqs).unwrap_or(i64::MAX);
        Ok(first)
    }
}

/// The two parts of a window of history (see [`WindowPart`]), as rows and
/// as a count, with `?1` and `?2` the part's bounds on the start time and
/// on the end, `?3` its size and `?4` the labels wanted (JSON).
const STARTED_ROWS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM (SELECT ",
    columns!(),
    " FROM alerts WHERE starts_at >= ?1 AND starts_at < ?2
        ORDER BY starts_at DESC, id DESC LIMIT ?3)
      WHERE ",
    carries!("?4"),
    " ORDER BY starts_at DESC, id DESC"
);
const STARTED_COUNT: &str = "SELECT count(*) FROM (SELECT 1 FROM alerts
     WHERE starts_at >= ?1 AND starts_at < ?2 LIMIT ?3)";
// Found through the `ends_at` index: the `+` keeps SQLite from walking
// `alerts_starts_at` back to the first alert ever instead. `?2` is the
// range's start here too.
const EARLIER_ROWS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM (SELECT ",
    columns!(),
    " FROM alerts WHERE +starts_at < ?2 AND (ends_at IS NULL OR ends_at > ?1)
        ORDER BY +starts_at DESC, id DESC LIMIT ?3)
      WHERE ",
    carries!("?4"),
    " ORDER BY starts_at DESC, id DESC"
);
const EARLIER_COUNT: &str = "SELECT count(*) FROM (SELECT 1 FROM alerts
     WHERE +starts_at < ?2 AND (ends_at IS NULL OR ends_at > ?1) LIMIT ?3)";

impl SqliteStore {
    /// One part of [`search_in_parts`]: the part's newest `limit` alerts
    /// that carry `wanted`, and how many it held (counted only when
    /// `narrowed`: otherwise they are all there).
    async fn window_part(
        &self,
        part: WindowPart,
        from: Timestamp,
        to: Timestamp,
        wanted: &str,
        narrowed: bool,
        limit: u32,
    ) -> Result<(Vec<StoredAlert>, usize)> {
        let (rows_sql, count_sql, end) = match part {
            WindowPart::Started => (STARTED_ROWS, STARTED_COUNT, to),
            WindowPart::Earlier => (EARLIER_ROWS, EARLIER_COUNT, from),
        };
        let rows = sqlx::query(rows_sql)
            .bind(millis(from))
            .bind(millis(end))
            .bind(limit)
            .bind(wanted)
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        let held = if narrowed {
            let count: i64 = sqlx::query_scalar(count_sql)
                .bind(millis(from))
                .bind(millis(end))
                .bind(limit)
                .fetch_one(&self.reader)
                .await
                .map_err(query_error(String::new))?;
            usize::try_from(count).unwrap_or(0)
        } else {
            rows.len()
        };
        let alerts = rows.iter().map(alert_from_row).collect::<Result<_>>()?;
        Ok((alerts, held))
    }
}

#[async_trait]
impl Alerts for SqliteStore {
    async fn reserve_alert_ids(&self, count: usize) -> Result<Vec<i64>> {
        let (first, _) = self.reserve(count, 0).await?;
        Ok((first..).take(count).collect())
    }

    async fn write_alerts(&self, writes: &[AlertWrite]) -> Result<Vec<Written>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let (_, first_seq) = self.reserve(0, writes.len()).await?;
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        let mut written = Vec::with_capacity(writes.len());
        for (write, seq) in writes.iter().zip(first_seq..) {
            match write {
                AlertWrite::Insert {
                    id,
                    alert,
                    integration,
                    at,
                } => {
                    inserts.push(InsertRow {
                        id: *id,
                        f: alert.fingerprint().to_i64(),
                        l: &alert.labels,
                        a: &alert.annotations,
                        g: alert.generator_url.as_deref(),
                        s: millis(alert.starts_at),
                        e: alert.ends_at.map(millis),
                        t: alert.timeout,
                        u: millis(*at),
                        i: integration,
                        q: seq,
                    });
                    written.push(Written { id: *id, seq });
                }
                AlertWrite::Update {
                    id,
                    starts_at,
                    ends_at,
                    timeout,
                    content,
                    at,
                } => {
                    updates.push(UpdateRow {
                        id: *id,
                        s: millis(*starts_at),
                        e: ends_at.map(millis),
                        t: *timeout,
                        u: millis(*at),
                        c: content.is_some(),
                        a: content.as_ref().map(|(annotations, _)| annotations),
                        g: content.as_ref().and_then(|(_, url)| url.as_deref()),
                        q: seq,
                    });
                    written.push(Written { id: *id, seq });
                }
            }
        }

        // A batch that takes one statement (the usual one: new alerts) is
        // committed by SQLite by itself; anything more needs a transaction.
        if updates.is_empty() && statements_for(inserts.len()) == 1 {
            let mut connection = self
                .writer
                .acquire()
                .await
                .map_err(query_error(String::new))?;
            insert_rows(&mut connection, &inserts).await?;
        } else {
            let mut tx = self
                .writer
                .begin()
                .await
                .map_err(query_error(String::new))?;
            insert_rows(&mut tx, &inserts).await?;
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
        }
        Ok(written)
    }

    async fn alerts_ending_after(&self, after: Timestamp) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            // `+id`: ordering by the row id would make SQLite walk the
            // whole table in id order rather than the `ends_at` index; the
            // firing alerts are a few thousand at most, cheap to sort.
            " FROM alerts WHERE ends_at IS NULL OR ends_at > ?1 ORDER BY +id"
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

    async fn search_alerts(
        &self,
        from: Timestamp,
        to: Timestamp,
        labels: &Labels,
        window: u32,
    ) -> Result<AlertSearch> {
        let wanted = &to_json(labels)?;
        let narrowed = !labels.is_empty();
        search_in_parts(window, |part, limit| {
            self.window_part(part, from, to, wanted, narrowed, limit)
        })
        .await
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batches_take_few_statements_of_few_shapes() {
        assert_eq!(statements_for(0), 0);
        assert_eq!(statements_for(1), 1);
        assert_eq!(statements_for(80), 2); // 64 + 16
        assert_eq!(statements_for(128), 1);
        assert_eq!(statements_for(300), 5); // 128 + 128 + 32 + 8 + 4
        assert_eq!(
            insert_sql(2)
                .matches("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")
                .count(),
            2
        );
    }
}
