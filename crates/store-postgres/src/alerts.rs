//! Alerts in PostgreSQL. A batch is written with one statement per kind of
//! write: the rows travel as one JSON array that `jsonb_to_recordset`
//! unpacks, so a thousand alerts cost one statement, not a thousand.

use crate::{
    PostgresStore, column, instant, json_column, optional_instant, query_error, to_json_text,
};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::alert::Fingerprint;
use pagerbound_core::alert::Labels;
use pagerbound_store::{
    AlertSearch, AlertWrite, Alerts, Result, StoredAlert, WindowPart, Written, search_in_parts,
};
use serde::Serialize;
use sqlx::postgres::PgRow;
use std::collections::HashMap;

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
    " FROM alerts WHERE id IN (SELECT alert_id FROM page_alerts WHERE page_id = $1) ORDER BY id"
);

pub(crate) fn alert_from_row(row: &PgRow) -> Result<StoredAlert> {
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

/// A new alert as it travels to PostgreSQL inside the batch's JSON array.
#[derive(Serialize)]
struct InsertRow<'a> {
    id: i64,
    f: i64,
    l: &'a Labels,
    a: &'a Labels,
    g: Option<&'a str>,
    s: Timestamp,
    e: Option<Timestamp>,
    t: bool,
    u: Timestamp,
    i: &'a str,
}

/// New times (and content, when `c`) for an alert, likewise.
#[derive(Serialize)]
struct UpdateRow<'a> {
    id: i64,
    s: Timestamp,
    e: Option<Timestamp>,
    t: bool,
    u: Timestamp,
    c: bool,
    a: Option<&'a Labels>,
    g: Option<&'a str>,
}

/// Inserts rows with one statement; answers each one's id and change
/// number (taken from `alert_seq` as the rows are written).
async fn insert_rows<'c, E>(executor: E, rows: &[InsertRow<'_>]) -> Result<Vec<(i64, i64)>>
where
    E: sqlx::Executor<'c, Database = sqlx::Postgres>,
{
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let returned = sqlx::query(
        "INSERT INTO alerts (id, fingerprint, labels, annotations, generator_url, starts_at, ends_at,
                             timeout, updated_at, integration, seq)
         SELECT x.id, x.f, x.l, x.a, x.g, x.s, x.e, x.t, x.u, x.i, nextval('alert_seq')
         FROM jsonb_to_recordset($1::text::jsonb) AS x(id bigint, f bigint, l jsonb, a jsonb, g text,
                                                      s timestamptz, e timestamptz, t boolean,
                                                      u timestamptz, i text)
         RETURNING id, seq",
    )
    .bind(to_json_text(&rows)?)
    .fetch_all(executor)
    .await
    .map_err(query_error(String::new))?;
    returned
        .iter()
        .map(|row| Ok((column(row, "id")?, column(row, "seq")?)))
        .collect()
}

/// The two parts of a window of history (see [`WindowPart`]), as rows and
/// as a count, with `$1` and `$2` the part's bounds on the start time and
/// on the end, `$3` its size and `$4` the labels wanted (JSON text):
/// `labels @> wanted` holds when the row has every wanted label and value.
const STARTED_ROWS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM (SELECT ",
    columns!(),
    " FROM alerts WHERE starts_at >= $1 AND starts_at < $2
        ORDER BY starts_at DESC, id DESC LIMIT $3) AS part
      WHERE labels @> $4::text::jsonb
      ORDER BY starts_at DESC, id DESC"
);
const STARTED_COUNT: &str = "SELECT count(*) FROM (SELECT 1 FROM alerts
     WHERE starts_at >= $1 AND starts_at < $2 LIMIT $3) AS part";
// `$2` is the range's start here too.
const EARLIER_ROWS: &str = concat!(
    "SELECT ",
    columns!(),
    " FROM (SELECT ",
    columns!(),
    " FROM alerts WHERE starts_at < $2 AND (ends_at IS NULL OR ends_at > $1)
        ORDER BY starts_at DESC, id DESC LIMIT $3) AS part
      WHERE labels @> $4::text::jsonb
      ORDER BY starts_at DESC, id DESC"
);
const EARLIER_COUNT: &str = "SELECT count(*) FROM (SELECT 1 FROM alerts
     WHERE starts_at < $2 AND (ends_at IS NULL OR ends_at > $1) LIMIT $3) AS part";

impl PostgresStore {
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
            .bind(from.to_sqlx())
            .bind(end.to_sqlx())
            .bind(i64::from(limit))
            .bind(wanted)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        let held = if narrowed {
            let count: i64 = sqlx::query_scalar(count_sql)
                .bind(from.to_sqlx())
                .bind(end.to_sqlx())
                .bind(i64::from(limit))
                .fetch_one(&self.pool)
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
impl Alerts for PostgresStore {
    async fn reserve_alert_ids(&self, count: usize) -> Result<Vec<i64>> {
        if count == 0 {
            return Ok(Vec::new());
        }
        sqlx::query_scalar(
            "SELECT nextval(pg_get_serial_sequence('alerts', 'id')) FROM generate_series(1, $1)",
        )
        .bind(i64::try_from(count).unwrap_or(i64::MAX))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))
    }

    async fn write_alerts(&self, writes: &[AlertWrite]) -> Result<Vec<Written>> {
        if writes.is_empty() {
            return Ok(Vec::new());
        }
        let mut inserts = Vec::new();
        let mut updates = Vec::new();
        for write in writes {
            match write {
                AlertWrite::Insert {
                    id,
                    alert,
                    integration,
                    at,
                } => inserts.push(InsertRow {
                    id: *id,
                    f: alert.fingerprint().to_i64(),
                    l: &alert.labels,
                    a: &alert.annotations,
                    g: alert.generator_url.as_deref(),
                    s: alert.starts_at,
                    e: alert.ends_at,
                    t: alert.timeout,
                    u: *at,
                    i: integration,
                }),
                AlertWrite::Update {
                    id,
                    starts_at,
                    ends_at,
                    timeout,
                    content,
                    at,
                } => updates.push(UpdateRow {
                    id: *id,
                    s: *starts_at,
                    e: *ends_at,
                    t: *timeout,
                    u: *at,
                    c: content.is_some(),
                    a: content.as_ref().map(|(annotations, _)| annotations),
                    g: content.as_ref().and_then(|(_, url)| url.as_deref()),
                }),
            }
        }

        // New alerts only (the usual case) is one statement, atomic by
        // itself; a mixed batch needs a transaction.
        let mut seqs: HashMap<i64, i64> = if updates.is_empty() {
            insert_rows(&self.pool, &inserts)
                .await?
                .into_iter()
                .collect()
        } else {
            let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
            let mut seqs: HashMap<i64, i64> =
                insert_rows(&mut *tx, &inserts).await?.into_iter().collect();
            let rows = sqlx::query(
                "UPDATE alerts
                 SET starts_at = x.s, ends_at = x.e, timeout = x.t, updated_at = x.u,
                     seq = nextval('alert_seq'),
                     annotations = CASE WHEN x.c THEN x.a ELSE alerts.annotations END,
                     generator_url = CASE WHEN x.c THEN x.g ELSE alerts.generator_url END
                 FROM jsonb_to_recordset($1::text::jsonb) AS x(id bigint, s timestamptz, e timestamptz,
                                                              t boolean, u timestamptz, c boolean,
                                                              a jsonb, g text)
                 WHERE alerts.id = x.id
                 RETURNING alerts.id, alerts.seq",
            )
            .bind(to_json_text(&updates)?)
            .fetch_all(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
            for row in &rows {
                seqs.insert(column(row, "id")?, column(row, "seq")?);
            }
            tx.commit().await.map_err(query_error(String::new))?;
            seqs
        };
        // An update of a row that no longer exists writes nothing; it keeps
        // change number 0.
        Ok(writes
            .iter()
            .map(|write| {
                let id = match write {
                    AlertWrite::Insert { id, .. } | AlertWrite::Update { id, .. } => *id,
                };
                Written {
                    id,
                    seq: seqs.remove(&id).unwrap_or(0),
                }
            })
            .collect())
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

    async fn search_alerts(
        &self,
        from: Timestamp,
        to: Timestamp,
        labels: &Labels,
        window: u32,
    ) -> Result<AlertSearch> {
        let wanted = &to_json_text(labels)?;
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
