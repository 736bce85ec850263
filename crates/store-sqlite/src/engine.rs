use crate::alerts::{labels, to_json};
use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::Fingerprint;
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use pagerbound_store::{
    EngineState, NewMaintenance, Notice, Purged, Result, StoreError, StoredGroup,
};
use serde_json::json;
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

fn group_from_row(row: &SqliteRow) -> Result<StoredGroup> {
    let class: String = column(row, "class")?;
    let notified: String = column(row, "notified")?;
    let notified: Vec<String> = serde_json::from_str(&notified)
        .map_err(|e| StoreError::Corrupt(format!("notified: {e}")))?;
    Ok(StoredGroup {
        key: column(row, "key")?,
        route: column(row, "route")?,
        service: column(row, "service")?,
        class: Class::parse(&class)
            .ok_or_else(|| StoreError::Corrupt(format!("group class `{class}`")))?,
        labels: labels(&column::<String>(row, "labels")?)?,
        created_at: timestamp(column(row, "created_at")?)?,
        next_flush_at: timestamp(column(row, "next_flush_at")?)?,
        last_notified_at: optional_timestamp(column(row, "last_notified_at")?)?,
        notified: notified
            .iter()
            .map(|f| {
                Fingerprint::parse(f)
                    .ok_or_else(|| StoreError::Corrupt(format!("fingerprint `{f}`")))
            })
            .collect::<Result<_>>()?,
        page_id: column(row, "page_id")?,
    })
}

fn window_from_row(row: &SqliteRow) -> Result<MaintenanceWindow> {
    Ok(MaintenanceWindow {
        id: column(row, "id")?,
        service: column(row, "service")?,
        starts_at: timestamp(column(row, "starts_at")?)?,
        ends_at: timestamp(column(row, "ends_at")?)?,
        reason: column(row, "reason")?,
        created_by: column(row, "created_by")?,
        created_at: timestamp(column(row, "created_at")?)?,
        notice_at: optional_timestamp(column(row, "notice_at")?)?,
    })
}

pub(crate) fn notice_from_row(row: &SqliteRow) -> Result<Notice> {
    Ok(Notice {
        id: column(row, "id")?,
        service: column(row, "service")?,
        at: timestamp(column(row, "at")?)?,
        kind: column(row, "kind")?,
        message: column(row, "message")?,
        recipient: column(row, "recipient")?,
    })
}

#[async_trait]
impl EngineState for SqliteStore {
    async fn save_groups(&self, groups: &[StoredGroup]) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = groups
            .iter()
            .map(|g| {
                json!({
                    "k": g.key, "r": g.route, "s": g.service, "c": g.class.as_str(), "l": g.labels,
                    "ca": millis(g.created_at), "n": millis(g.next_flush_at),
                    "ln": g.last_notified_at.map(millis),
                    "f": g.notified.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "p": g.page_id,
                })
            })
            .collect();
        // Groups are derived from the alerts.
        let query = sqlx::query(crate::derived!(
            "INSERT INTO alert_groups (key, route, service, class, labels, created_at, next_flush_at,
                                       last_notified_at, notified, page_id)
             SELECT json_extract(value, '$.k'), json_extract(value, '$.r'), json_extract(value, '$.s'),
                    json_extract(value, '$.c'), json_extract(value, '$.l'), json_extract(value, '$.ca'),
                    json_extract(value, '$.n'), json_extract(value, '$.ln'), json_extract(value, '$.f'),
                    json_extract(value, '$.p')
             FROM json_each(?1) WHERE true
             ON CONFLICT (key) DO UPDATE SET route = excluded.route, service = excluded.service,
                 class = excluded.class, labels = excluded.labels, next_flush_at = excluded.next_flush_at,
                 last_notified_at = excluded.last_notified_at, notified = excluded.notified,
                 page_id = excluded.page_id"
        ))
        .bind(to_json(&rows)?);
        self.write_derived(query).await?;
        Ok(())
    }

    async fn delete_groups(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        let query = sqlx::query(crate::derived!(
            "DELETE FROM alert_groups WHERE key IN (SELECT value FROM json_each(?1))"
        ))
        .bind(to_json(&keys)?);
        self.write_derived(query).await?;
        Ok(())
    }

    async fn groups(&self) -> Result<Vec<StoredGroup>> {
        let rows = sqlx::query("SELECT * FROM alert_groups ORDER BY key")
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(group_from_row).collect()
    }

    async fn create_maintenance(&self, window: &NewMaintenance) -> Result<MaintenanceWindow> {
        let row = sqlx::query(
            "INSERT INTO maintenance_windows (service, starts_at, ends_at, reason, created_by, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) RETURNING *",
        )
        .bind(&window.service)
        .bind(millis(window.starts_at))
        .bind(millis(window.ends_at))
        .bind(&window.reason)
        .bind(&window.created_by)
        .bind(millis(window.created_at))
        .fetch_one(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        window_from_row(&row)
    }

    async fn end_maintenance(&self, id: i64, at: Timestamp) -> Result<Option<MaintenanceWindow>> {
        // A window that has not started yet ends before it begins.
        let row = sqlx::query(
            "UPDATE maintenance_windows
             SET starts_at = min(starts_at, ?2), ends_at = min(ends_at, ?2)
             WHERE id = ?1 RETURNING *",
        )
        .bind(id)
        .bind(millis(at))
        .fetch_optional(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(window_from_row).transpose()
    }

    async fn maintenance_windows(&self, after: Timestamp) -> Result<Vec<MaintenanceWindow>> {
        let rows = sqlx::query(
            "SELECT * FROM maintenance_windows WHERE ends_at > ?1 ORDER BY starts_at, id",
        )
        .bind(millis(after))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(window_from_row).collect()
    }

    async fn record_maintenance_notice(
        &self,
        window_id: i64,
        message: &str,
        at: Timestamp,
    ) -> Result<Option<Notice>> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let service: Option<String> = sqlx::query_scalar(
            "UPDATE maintenance_windows SET notice_at = ?2 WHERE id = ?1 AND notice_at IS NULL RETURNING service",
        )
        .bind(window_id)
        .bind(millis(at))
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let Some(service) = service else {
            return Ok(None);
        };
        let row = sqlx::query(
            "INSERT INTO notices (service, at, kind, message) VALUES (?1, ?2, 'maintenance_ending', ?3) RETURNING *",
        )
        .bind(&service)
        .bind(millis(at))
        .bind(message)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let notice = notice_from_row(&row)?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(Some(notice))
    }

    async fn notices(&self, after: Timestamp) -> Result<Vec<Notice>> {
        let rows = sqlx::query("SELECT * FROM notices WHERE at > ?1 ORDER BY id")
            .bind(millis(after))
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(notice_from_row).collect()
    }

    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool> {
        let held_by: Option<String> = sqlx::query_scalar(
            "INSERT INTO leases (name, holder, expires_at) VALUES (?1, ?2, ?3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= ?4
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(millis(until))
        .bind(millis(now))
        .fetch_optional(&mut *self.write().await?)
        .await
        .map_err(query_error(String::new))?;
        Ok(held_by.as_deref() == Some(holder))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = ?1 AND holder = ?2")
            .bind(name)
            .bind(holder)
            .execute(&mut *self.write().await?)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn purge_history(&self, before: Timestamp) -> Result<Purged> {
        let cutoff = millis(before);
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let mut purged = Purged::default();
        let mut notices = 0;
        let mut notifications = 0;
        for (sql, slot) in [
            ("DELETE FROM alerts WHERE ends_at < ?1", &mut purged.alerts),
            (
                "DELETE FROM pages WHERE state = 'resolved' AND resolved_at < ?1",
                &mut purged.pages,
            ),
            (
                "DELETE FROM silences WHERE ends_at < ?1",
                &mut purged.silences,
            ),
            (
                "DELETE FROM maintenance_windows WHERE ends_at < ?1",
                &mut purged.maintenance_windows,
            ),
            ("DELETE FROM notices WHERE at < ?1", &mut notices),
            // Notifications of pages go with their page; the others (of
            // notices) once done and old.
            (
                "DELETE FROM notifications
                 WHERE page_id IS NULL AND created_at < ?1 AND state IN ('delivered', 'failed')",
                &mut notifications,
            ),
        ] {
            *slot = sqlx::query(sql)
                .bind(cutoff)
                .execute(&mut *tx)
                .await
                .map_err(query_error(String::new))?
                .rows_affected();
        }
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(purged)
    }
}
