//! The notification outbox in SQLite. Reads go through the read pool: the
//! single writer connection is the ingest path's, and the notifier must not
//! queue behind it to look.

use crate::alerts::to_json;
use crate::engine::notice_from_row;
use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{
    NewNotification, Notice, Notification, NotificationFilter, NotificationState, Outbox,
    PageEvent, Result, Source, StoreError, UnplannedEvent,
};
use sqlx::sqlite::SqliteRow;

fn json_column<T: serde::de::DeserializeOwned>(row: &SqliteRow, name: &str) -> Result<T> {
    let text: String = column(row, name)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{name} `{text}`: {e}")))
}

fn notification_from_row(row: &SqliteRow) -> Result<Notification> {
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
        next_attempt_at: timestamp(column(row, "next_attempt_at")?)?,
        bundle: column(row, "bundle")?,
        last_error: column(row, "last_error")?,
        created_at: timestamp(column(row, "created_at")?)?,
        updated_at: timestamp(column(row, "updated_at")?)?,
        delivered_at: optional_timestamp(column(row, "delivered_at")?)?,
        until_acknowledged: column(row, "until_acknowledged")?,
    })
}

/// Pending notifications due at `$at`, at most `$limit` of them: see
/// `Outbox::due_notifications`.
macro_rules! due {
    ($at:literal, $limit:literal) => {
        concat!(
            "SELECT n.* FROM notifications n
             WHERE n.state = 'pending' AND n.next_attempt_at <= ",
            $at,
            " AND (NOT n.until_acknowledged
                  OR EXISTS (SELECT 1 FROM pages p WHERE p.id = n.page_id AND p.state = 'triggered'))
             ORDER BY n.id LIMIT ",
            $limit
        )
    };
}

/// Records notifications and marks their events and notices planned,
/// reading one JSON argument made by [`plan_json`] (see `derived!`).
macro_rules! plan {
    () => {
        "INSERT INTO notifications
             (key, source, page_id, destination_key, destination, message, state, attempts,
              next_attempt_at, created_at, updated_at, until_acknowledged)
         SELECT value ->> '$.k', value ->> '$.s', value ->> '$.p', value ->> '$.dk',
                value ->> '$.d', value ->> '$.m', 'pending', 0, value ->> '$.due',
                value ->> '$.c', value ->> '$.c', value ->> '$.u'
         FROM json_each(?1, '$.rows') WHERE true
         ON CONFLICT (source, destination_key) DO NOTHING;
         UPDATE page_events SET planned_at = ?1 ->> '$.at'
         WHERE planned_at IS NULL AND id IN (SELECT value FROM json_each(?1, '$.events'));
         UPDATE notices SET planned_at = ?1 ->> '$.at'
         WHERE planned_at IS NULL AND id IN (SELECT value FROM json_each(?1, '$.notices'))"
    };
}

/// The argument of [`plan!`] (and of a [`due!`] read after it):
/// destinations and messages go in it as JSON strings, stored as they are.
fn plan_json(
    notifications: &[NewNotification],
    page_events: &[i64],
    notices: &[i64],
    at: Timestamp,
    limit: u32,
) -> Result<String> {
    let rows: Vec<_> = notifications
        .iter()
        .map(|n| {
            Ok(serde_json::json!({
                "k": n.key, "s": n.source.to_string(), "p": n.page_id,
                "dk": n.destination.key(), "d": to_json(&n.destination)?,
                "m": to_json(&n.message)?, "c": millis(n.created_at),
                "due": millis(n.due_at), "u": n.until_acknowledged,
            }))
        })
        .collect::<Result<_>>()?;
    to_json(&serde_json::json!({
        "rows": rows, "events": page_events, "notices": notices, "at": millis(at),
        "limit": limit,
    }))
}

#[async_trait]
impl Outbox for SqliteStore {
    async fn unplanned_page_events(&self, limit: u32) -> Result<Vec<UnplannedEvent>> {
        let rows = sqlx::query(
            "SELECT id, page_id, at, kind, detail FROM page_events
             WHERE planned_at IS NULL ORDER BY id LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| {
                Ok(UnplannedEvent {
                    id: column(row, "id")?,
                    page_id: column(row, "page_id")?,
                    event: PageEvent {
                        at: timestamp(column(row, "at")?)?,
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
             WHERE planned_at IS NULL ORDER BY id LIMIT ?1",
        )
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
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
        // Planned from page events already committed: derived state.
        let query = sqlx::query(crate::derived!(plan!())).bind(plan_json(
            notifications,
            page_events,
            notices,
            at,
            0,
        )?);
        self.write_derived(query).await?;
        Ok(())
    }

    async fn plan_then_due(
        &self,
        notifications: &[NewNotification],
        page_events: &[i64],
        notices: &[i64],
        at: Timestamp,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        // One trip: what is due is read inside the planning transaction.
        let query = sqlx::query(crate::derived!(
            plan!(),
            due!("?1 ->> '$.at'", "?1 ->> '$.limit'")
        ))
        .bind(plan_json(notifications, page_events, notices, at, limit)?);
        let rows = self.write_derived(query).await?;
        rows.iter().map(notification_from_row).collect()
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
             VALUES (?1, ?2, ?3, ?4, ?5)
             RETURNING id, service, at, kind, message, recipient",
        )
        .bind(service)
        .bind(millis(at))
        .bind(kind)
        .bind(message)
        .bind(recipient)
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        notice_from_row(&row)
    }

    async fn cancel_notifications(&self, page_id: i64, reason: &str, at: Timestamp) -> Result<u64> {
        let done = sqlx::query(
            "UPDATE notifications SET state = 'cancelled', last_error = ?2, updated_at = ?3
             WHERE page_id = ?1 AND state = 'pending' AND until_acknowledged AND attempts = 0",
        )
        .bind(page_id)
        .bind(reason)
        .bind(millis(at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(done.rows_affected())
    }

    async fn due_notifications(&self, now: Timestamp, limit: u32) -> Result<Vec<Notification>> {
        let rows = sqlx::query(
            "SELECT n.* FROM notifications n
             WHERE n.state = 'pending' AND n.next_attempt_at <= ?1
               AND (NOT n.until_acknowledged
                    OR EXISTS (SELECT 1 FROM pages p WHERE p.id = n.page_id AND p.state = 'triggered'))
             ORDER BY n.id LIMIT ?2",
        )
        .bind(millis(now))
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(notification_from_row).collect()
    }

    async fn start_delivery(&self, ids: &[i64], bundle: &str, at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // Delivery bookkeeping is derived state: lost to a power loss, a
        // notification is sent again, under the same key.
        let query = sqlx::query(crate::derived!(
            "UPDATE notifications
             SET state = 'sending', attempts = attempts + 1, bundle = ?3, updated_at = ?2
             WHERE id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(to_json(ids)?)
        .bind(millis(at))
        .bind(bundle);
        self.write_derived(query).await?;
        Ok(())
    }

    async fn record_delivered(&self, ids: &[i64], at: Timestamp) -> Result<()> {
        if ids.is_empty() {
            return Ok(());
        }
        // Delivery bookkeeping: see `start_delivery`.
        let query = sqlx::query(crate::derived!(
            "UPDATE notifications
             SET state = 'delivered', delivered_at = ?2, updated_at = ?2, last_error = NULL
             WHERE id IN (SELECT value FROM json_each(?1))"
        ))
        .bind(to_json(ids)?)
        .bind(millis(at));
        self.write_derived(query).await?;
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
        let (state, next) = match retry_at {
            Some(retry) => ("pending", Some(millis(retry))),
            None => ("failed", None),
        };
        sqlx::query(
            "UPDATE notifications
             SET state = ?3, last_error = ?4, next_attempt_at = coalesce(?5, next_attempt_at),
                 updated_at = ?2
             WHERE id IN (SELECT value FROM json_each(?1))",
        )
        .bind(to_json(ids)?)
        .bind(millis(at))
        .bind(state)
        .bind(error)
        .bind(next)
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn release_notifications(&self, at: Timestamp) -> Result<u64> {
        Ok(sqlx::query(
            "UPDATE notifications SET state = 'pending', next_attempt_at = ?1, updated_at = ?1
             WHERE state = 'sending'",
        )
        .bind(millis(at))
        .execute(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?
        .rows_affected())
    }

    async fn last_delivery_to(&self, destination_key: &str) -> Result<Option<Timestamp>> {
        let last: Option<i64> = sqlx::query_scalar(
            "SELECT max(delivered_at) FROM notifications WHERE destination_key = ?1",
        )
        .bind(destination_key)
        .fetch_one(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        optional_timestamp(last)
    }

    async fn notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>> {
        let states: Vec<&str> = filter.states.iter().map(|s| s.as_str()).collect();
        let limit = if filter.limit == 0 { 100 } else { filter.limit };
        let rows = sqlx::query(
            "SELECT * FROM notifications
             WHERE (?1 IS NULL OR page_id = ?1)
               AND (?2 = '[]' OR state IN (SELECT value FROM json_each(?2)))
             ORDER BY id DESC LIMIT ?3",
        )
        .bind(filter.page_id)
        .bind(to_json(&states)?)
        .bind(i64::from(limit))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(notification_from_row).collect()
    }
}
