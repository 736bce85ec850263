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
use sqlx::sqlite::SqliteRow;
use std::sync::PoisonError;

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

/// Row counts of the `INSERT` statements. A batch's new alerts are padded
/// with rows of NULLs up to the next count (the statement skips those), so
/// that a few statements serve every size and stay prepared.
const SHAPES: [usize; 8] = [1, 2, 4, 8, 16, 32, 64, 128];
/// Most rows one `INSERT` statement carries; bigger batches take several.
const MAX_INSERT_ROWS: usize = SHAPES[SHAPES.len() - 1];
const INSERT_COLUMNS: usize = 11;

/// `$rows` rows of placeholders for [`columns!`].
macro_rules! values {
    (1) => {
        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
    };
    (2) => {
        concat!(values!(1), ", ", values!(1))
    };
    (4) => {
        concat!(values!(2), ", ", values!(2))
    };
    (8) => {
        concat!(values!(4), ", ", values!(4))
    };
    (16) => {
        concat!(values!(8), ", ", values!(8))
    };
    (32) => {
        concat!(values!(16), ", ", values!(16))
    };
    (64) => {
        concat!(values!(32), ", ", values!(32))
    };
    (128) => {
        concat!(values!(64), ", ", values!(64))
    };
}

/// Inserts up to `$rows` new alerts, bound in column order; rows whose id
/// is NULL are padding.
macro_rules! insert {
    ($rows:tt) => {
        concat!(
            "INSERT INTO alerts (",
            columns!(),
            ") SELECT * FROM (VALUES ",
            values!($rows),
            ") WHERE column1 IS NOT NULL"
        )
    };
}

/// Writes new times (and content) of stored alerts, from one JSON array
/// of [`UpdateRow`]s (`[]` for none).
macro_rules! update {
    () => {
        "UPDATE alerts
         SET starts_at = x.s, ends_at = x.e, timeout = x.t, updated_at = x.u, seq = x.q,
             annotations = CASE WHEN x.c THEN x.a ELSE alerts.annotations END,
             generator_url = CASE WHEN x.c THEN x.g ELSE alerts.generator_url END
         FROM (SELECT value ->> '$.id' AS id, value ->> '$.s' AS s, value ->> '$.e' AS e,
                      value ->> '$.t' AS t, value ->> '$.u' AS u, value ->> '$.c' AS c,
                      value ->> '$.a' AS a, value ->> '$.g' AS g, value ->> '$.q' AS q
               FROM json_each(?)) AS x
         WHERE alerts.id = x.id"
    };
}

/// One transaction: its statements, then the commit (at `synchronous =
/// FULL`, so the batch is on disk when the string returns).
macro_rules! batch {
    ($($statement:expr),+) => {
        concat!("BEGIN IMMEDIATE; ", $($statement, "; ",)+ "COMMIT")
    };
}

/// A batch of updates and up to [`MAX_INSERT_ROWS`] new alerts (none is a
/// padding row), by shape: one transaction in one trip to the writer's
/// thread. Each trip wakes the writer's thread and then the task waiting
/// for it, about a tenth of a millisecond; a commit used to take three to
/// five.
const BATCH: [&str; SHAPES.len()] = [
    batch!(insert!(1), update!()),
    batch!(insert!(2), update!()),
    batch!(insert!(4), update!()),
    batch!(insert!(8), update!()),
    batch!(insert!(16), update!()),
    batch!(insert!(32), update!()),
    batch!(insert!(64), update!()),
    batch!(insert!(128), update!()),
];
/// New alerts alone, up to [`MAX_INSERT_ROWS`], by shape. A bigger batch
/// takes a trip to begin, one per `INSERT`, and one for the updates and
/// the commit.
const INSERT: [&str; SHAPES.len()] = [
    insert!(1),
    insert!(2),
    insert!(4),
    insert!(8),
    insert!(16),
    insert!(32),
    insert!(64),
    insert!(128),
];
const BIG_BATCH_END: &str = concat!(update!(), "; COMMIT");

/// The shape (index into [`SHAPES`]) that holds `rows` rows.
fn shape(rows: usize) -> usize {
    SHAPES
        .iter()
        .position(|&n| n >= rows)
        .unwrap_or(SHAPES.len() - 1)
}

/// Binds new alerts to a statement of shape `shape`, padding the rest.
fn bind_rows<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>,
    rows: &[InsertRow<'q>],
    shape: usize,
) -> Result<sqlx::query::Query<'q, sqlx::Sqlite, sqlx::sqlite::SqliteArguments>> {
    for row in rows {
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
    for _ in rows.len()..SHAPES[shape] {
        for _ in 0..INSERT_COLUMNS {
            query = query.bind(None::<i64>);
        }
    }
    Ok(query)
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
            .fetch_one(&mut *self.write().await?)
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

        let mut trip = self.one_trip().await?;
        if updates.is_empty() && inserts.len() <= MAX_INSERT_ROWS {
            // New alerts only, the usual batch: one statement, which SQLite
            // commits by itself.
            let shape = shape(inserts.len());
            bind_rows(sqlx::query(INSERT[shape]), &inserts, shape)?
                .execute(&mut *trip.conn)
                .await
                .map_err(query_error(String::new))?;
            trip.finish();
            return Ok(written);
        }
        let updates = to_json(&updates)?;
        if inserts.len() <= MAX_INSERT_ROWS {
            let shape = shape(inserts.len());
            bind_rows(sqlx::query(BATCH[shape]), &inserts, shape)?
                .bind(updates)
                .execute(&mut *trip.conn)
                .await
                .map_err(query_error(String::new))?;
        } else {
            sqlx::query("BEGIN IMMEDIATE")
                .execute(&mut *trip.conn)
                .await
                .map_err(query_error(String::new))?;
            for chunk in inserts.chunks(MAX_INSERT_ROWS) {
                let shape = shape(chunk.len());
                bind_rows(sqlx::query(INSERT[shape]), chunk, shape)?
                    .execute(&mut *trip.conn)
                    .await
                    .map_err(query_error(String::new))?;
            }
            sqlx::query(BIG_BATCH_END)
                .bind(updates)
                .execute(&mut *trip.conn)
                .await
                .map_err(query_error(String::new))?;
        }
        trip.finish();
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
    fn a_few_statement_shapes_hold_every_batch() {
        let row = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
        for (index, rows) in SHAPES.iter().enumerate() {
            assert_eq!(INSERT[index].matches(row).count(), *rows);
            assert_eq!(BATCH[index].matches(row).count(), *rows);
        }
        assert_eq!(SHAPES[shape(0)], 1);
        assert_eq!(SHAPES[shape(37)], 64);
        assert_eq!(SHAPES[shape(64)], 64);
        assert_eq!(SHAPES[shape(MAX_INSERT_ROWS)], MAX_INSERT_ROWS);
    }
}
