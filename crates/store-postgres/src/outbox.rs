//! The notification outbox in PostgreSQL.

use crate::engine::notice_from_row;
use crate::{
    PostgresStore, column, instant, json_column, optional_instant, query_error, to_json_text,
};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_store::{
    NewNotification, Notice, Notification, NotificationFilter, NotificationState, Outbox,
    PageEvent, Result, Source, StoreError, UnplannedEvent,
};
use serde::Serialize;
use sqlx::postgres::PgRow;

fn notification_from_row(row: &PgRow) -> Result<Notification> {
    let source: String = column(row, "source")?;
    let state: String = column(row, "state")?;
    Ok(Notification {
        id: column(row, "id")?,
        key: column(row, "key")?,
        source: Source::parse(&source)
            .ok_or_else(|| StoreError::Corrupt(format!("notification source `{source}`")))?,
        page_id: column(row, "page_id")?,
        destination: json_column(row, "destination")?,
        message: json_column(row, "message")?,
        state: NotificationState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("notification state `{state}`")))?,
        attempts: column(row, "attempts")?,
        next_attempt_at: instant(row, "next_attempt_at")?,
        bundle: column(row, "bundle")?,
        last_error: column(row, "last_error")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
        delivered_at: optional_instant(row, "delivered_at")?,
        until_acknowledged: column(row, "until_acknowledged")?,
    })
}

/// A planned notification as it travels inside the batch's JSON array.
#[derive(Serialize)]
struct PlanRow<'a> {
    key: &'a str,
    source: String,
    page_id: Option<i64>,
    destination_key: String,
    destination: &'a pagerbound_core::notify::Destination,
    message: &'a pagerbound_core::notify::Message,
    created_at: Timestamp,
    due_at: Timestamp,
    until_acknowledged: bool,
}

#[async_trait]
impl Outbox for PostgresStore {
    async fn unplanned_page_events(&self, limit: u32) -> Result<Vec<UnplannedEvent>> {
        let rows = sqlx::query(
            "SELECT id, page_id, at, kind, detail FROM page_events
             WHERE planned_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| {
                Ok(UnplannedEvent {
                    id: column(row, "id")?,
                    page_id: column(row, "page_id")?,
                    event: PageEvent {
                        at: instant(row, "at")?,
                        kind: column(row, "kind")?,
                        detail: json_column(row, "detail")?,
                    },
                })
            })
            .collect()
    }

    async fn unplanned_notices(&self, limit: u32) -> Result<Vec<Notice>> {
        let rows = sqlx::query(
            "SELECT id, service, at, kind, message, recipient FROM notices
             WHERE planned_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(notice_from_row).collect()
    }

    async fn plan_notifications(
        &self,
        notifications: &[NewNotification],
        page_events: &[i64],
        notices: &[i64],
        at: Timestamp,
    ) -> Result<()> {
        let rows: Vec<PlanRow<'_>> = notifications
            .iter()
            .map(|n| PlanRow {
                key: &n.key,
                source: n.source.to_string(),
                page_id: n.page_id,
                destination_key: n.destination.key(),
                destination: &n.destination,
                message: &n.message,
                created_at: n.created_at,
                due_at: n.due_at,
                until_acknowledged: n.until_acknowledged,
            })
            .collect();
        // Planned from page events already committed: see `derived` in the crate docs.
        let mut tx = self
            .derived
            .begin()
            .await
            .map_err(query_error(String::new))?;
        if !rows.is_empty() {
            sqlx::query(
                "INSERT INTO notifications
                     (key, source, page_id, destination_key, destination, message, state, attempts,
                      next_attempt_at, created_at, updated_at, until_acknowledged)
                 SELECT x.key, x.source, x.page_id, x.destination_key, x.destination, x.message,
                        'pending', 0, x.due_at, x.created_at, x.created_at, x.until_acknowledged
                 FROM jsonb_to_recordset($1::text::jsonb) AS x(key text, source text, page_id bigint,
                      destination_key text, destination jsonb, message jsonb, created_at timestamptz,
                      due_at timestamptz, until_acknowledged boolean)
                 ON CONFLICT (source, destination_key) DO NOTHING",
            )
            .bind(to_json_text(&rows)?)
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        }
        for (sql, ids) in [
            (
                "UPDATE page_events SET planned_at = $2 WHERE planned_at IS NULL AND id = ANY($1)",
                page_events,
            ),
            (
                "UPDATE notices SET planned_at = $2 WHERE planned_at IS NULL AND id = ANY($1)",
                notices,
            ),
        ] {
            if ids.is_empty() {
                continue;
            }
            sqlx::query(sql)
                .bind(ids)
                .bind(at.to_sqlx())
                .execute(&mut *tx)
                .await
                .map_err(query_error(String::new))?;
        }
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn record_notice(
        &self,
        service: &str,
        kind: &str,
        message: &str,
        recipient: Option<&str>,
        at: Timestamp,
    ) -> Result<Notice> {
        let row = sqlx::query(
            "INSERT INTO notices (service, at, kind, message, recipient)
             VALUES ($1, $2, $3, $4, $5)
             RETURNING id, service, at, kind, message, recipient",
        )
        .bind(service)
        .bind(at.to_sqlx())
        .bind(kind)
        .bind(message)
        .bind(recipient)
        .fetch_one(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        notice_from_row(&row)
    }

    async fn cancel_notifications(&self, page_id: i64, reason: &str, at: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE notifications SET state = 'cancelled', last_error = $2, updated_at = $3
             WHERE page_id = $1 AND state = 'pending' AND until_acknowledged AND attempts = 0",
        )
        .bind(page_id)
        .bind(reason)
        .bind(at.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(done.rows_affected())
    }

    async fn due_notifications(&self, now: Timestamp, limit: u32) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT n.* FROM notifications n
             WHERE n.state = 'pending' AND n.next_attempt_at <= $1
               AND (NOT n.until_acknowledged
                    OR EXISTS (SELECT 1 FROM pages p WHERE p.id = n.page_id AND p.state = 'triggered'))
             ORDER BY n.id LIMIT $2",
        )
        .bind(now.to_sqlx())
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(notification_from_row).collect()
    }

    async fn start_delivery(&self, ids: &[i64], bundle: &str, at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // Delivery bookkeeping: see `derived` in the crate docs. Lost to a
        // crash of the database, a notification is sent again.
        sqlx::query(
            "UPDATE notifications
             SET state = 'sending', attempts = attempts + 1, bundle = $3, updated_at = $2
             WHERE id = ANY($1)",
        )
        .bind(ids)
        .bind(at.to_sqlx())
        .bind(bundle)
        .execute(&self.derived)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn record_delivered(&self, ids: &[i64], at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // Delivery bookkeeping: see `derived` in the crate docs.
        sqlx::query(
            "UPDATE notifications
             SET state = 'delivered', delivered_at = $2, updated_at = $2, last_error = NULL
             WHERE id = ANY($1)",
        )
        .bind(ids)
        .bind(at.to_sqlx())
        .execute(&self.derived)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn record_failed(
        &self,
        ids: &[i64],
        error: &str,
        retry_at: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        let state = if retry_at.is_some() {
            "pending"
        } else {
            "failed"
        };
        sqlx::query(
            "UPDATE notifications
             SET state = $3, last_error = $4, next_attempt_at = coalesce($5, next_attempt_at),
                 updated_at = $2
             WHERE id = ANY($1)",
        )
        .bind(ids)
        .bind(at.to_sqlx())
        .bind(state)
        .bind(error)
        .bind(retry_at.map(|t| t.to_sqlx()))
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn release_notifications(&self, at: Timestamp) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE notifications SET state = 'pending', next_attempt_at = $1, updated_at = $1
             WHERE state = 'sending'",
        )
        .bind(at.to_sqlx())
        .execute(&self.pool)
        .await
        .map_err(query_error(String::new))?
        .rows_affected())
    }

    async fn last_delivery_to(&self, destination_key: &str) -> Result<Option<Timestamp>> {
        let last: Option<jiff_sqlx::Timestamp> = sqlx::query_scalar(
            "SELECT max(delivered_at) FROM notifications WHERE destination_key = $1",
        )
        .bind(destination_key)
        .fetch_one(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(last.map(jiff_sqlx::Timestamp::to_jiff))
    }

    async fn notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>> {
        let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        let limit = if filter.limit == 0 { 100 } else { filter.limit };
        let rows = sqlx::query(
            "SELECT * FROM notifications
             WHERE ($1::bigint IS NULL OR page_id = $1)
               AND (cardinality($2::text[]) = 0 OR state = ANY($2))
             ORDER BY id DESC LIMIT $3",
        )
        .bind(filter.page_id)
        .bind(&states)
        .bind(i64::from(limit))
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(notification_from_row).collect()
    }
}
