use crate::{PostgresStore, column, instant, json_column, optional_instant, query_error, to_json};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::alert::Fingerprint;
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use pagerbound_store::{
    EngineState, NewMaintenance, Notice, Purged, Result, StoreError, StoredGroup,
};
use serde_json::json;
use sqlx::postgres::PgRow;

fn group_from_row(row: &PgRow) -> Result<StoredGroup> {
    let class: String = column(row, "class")?;
    let notified: Vec<String> = json_column(row, "notified")?;
    Ok(StoredGroup {
        key: column(row, "key")?,
        route: column(row, "route")?,
        service: column(row, "service")?,
        class: Class::parse(&class)
            .ok_or_else(|| StoreError::Corrupt(format!("group class `{class}`")))?,
        labels: json_column(row, "labels")?,
        created_at: instant(row, "created_at")?,
        next_flush_at: instant(row, "next_flush_at")?,
        last_notified_at: optional_instant(row, "last_notified_at")?,
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

fn window_from_row(row: &PgRow) -> Result<MaintenanceWindow> {
    Ok(MaintenanceWindow {
        id: column(row, "id")?,
        service: column(row, "service")?,
        starts_at: instant(row, "starts_at")?,
        ends_at: instant(row, "ends_at")?,
        reason: column(row, "reason")?,
        created_by: column(row, "created_by")?,
        created_at: instant(row, "created_at")?,
        notice_at: optional_instant(row, "notice_at")?,
    })
}

pub(crate) fn notice_from_row(row: &PgRow) -> Result<Notice> {
    Ok(Notice {
        id: column(row, "id")?,
        service: column(row, "service")?,
        at: instant(row, "at")?,
        kind: column(row, "kind")?,
        message: column(row, "message")?,
        recipient: column(row, "recipient")?,
    })
}

#[async_trait]
impl EngineState for PostgresStore {
    async fn save_groups(&self, groups: &[StoredGroup]) -> Result<()> {
        if groups.is_empty() {
            return Ok(());
        }
        let rows: Vec<_> = groups
            .iter()
            .map(|g| {
                json!({
                    "k": g.key, "r": g.route, "s": g.service, "c": g.class.as_str(), "l": g.labels,
                    "ca": g.created_at, "n": g.next_flush_at, "ln": g.last_notified_at,
                    "f": g.notified.iter().map(ToString::to_string).collect::<Vec<_>>(),
                    "p": g.page_id,
                })
            })
            .collect();
        // Derived from the alerts: see `derived` in the crate docs.
        sqlx::query(
            "INSERT INTO alert_groups (key, route, service, class, labels, created_at, next_flush_at,
                                       last_notified_at, notified, page_id)
             SELECT x.k, x.r, x.s, x.c, x.l, x.ca, x.n, x.ln, x.f, x.p
             FROM jsonb_to_recordset($1) AS x(k text, r text, s text, c text, l jsonb, ca timestamptz,
                                             n timestamptz, ln timestamptz, f jsonb, p bigint)
             ON CONFLICT (key) DO UPDATE SET route = excluded.route, service = excluded.service,
                 class = excluded.class, labels = excluded.labels, next_flush_at = excluded.next_flush_at,
                 last_notified_at = excluded.last_notified_at, notified = excluded.notified,
                 page_id = excluded.page_id",
        )
        .bind(to_json(&rows)?)
        .execute(&self.derived)
        .await
        .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn delete_groups(&self, keys: &[String]) -> Result<()> {
        if keys.is_empty() {
            return Ok(());
        }
        // Derived from the alerts: see `derived` in the crate docs.
        sqlx::query("DELETE FROM alert_groups WHERE key = ANY($1)")
            .bind(keys)
            .execute(&self.derived)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn groups(&self) -> Result<Vec<StoredGroup>> {
        let rows = sqlx::query("SELECT * FROM alert_groups ORDER BY key")
            .fetch_all(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(group_from_row).collect()
    }

    async fn create_maintenance(&self, window: &NewMaintenance) -> Result<MaintenanceWindow> {
        let row = sqlx::query(
            "INSERT INTO maintenance_windows (service, starts_at, ends_at, reason, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6) RETURNING *",
        )
        .bind(&window.service)
        .bind(window.starts_at.to_sqlx())
        .bind(window.ends_at.to_sqlx())
        .bind(&window.reason)
        .bind(&window.created_by)
        .bind(window.created_at.to_sqlx())
        .fetch_one(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        window_from_row(&row)
    }

    async fn end_maintenance(&self, id: i64, at: Timestamp) -> Result<Option<MaintenanceWindow>> {
        // A window that has not started yet ends before it begins.
        let row = sqlx::query(
            "UPDATE maintenance_windows
             SET starts_at = least(starts_at, $2), ends_at = least(ends_at, $2)
             WHERE id = $1 RETURNING *",
        )
        .bind(id)
        .bind(at.to_sqlx())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        row.as_ref().map(window_from_row).transpose()
    }

    async fn maintenance_windows(&self, after: Timestamp) -> Result<Vec<MaintenanceWindow>> {
        let rows = sqlx::query(
            "SELECT * FROM maintenance_windows WHERE ends_at > $1 ORDER BY starts_at, id",
        )
        .bind(after.to_sqlx())
        .fetch_all(&self.pool)
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
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        let service: Option<String> = sqlx::query_scalar(
            "UPDATE maintenance_windows SET notice_at = $2 WHERE id = $1 AND notice_at IS NULL RETURNING service",
        )
        .bind(window_id)
        .bind(at.to_sqlx())
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let Some(service) = service else {
            return Ok(None);
        };
        let row = sqlx::query(
            "INSERT INTO notices (service, at, kind, message) VALUES ($1, $2, 'maintenance_ending', $3) RETURNING *",
        )
        .bind(&service)
        .bind(at.to_sqlx())
        .bind(message)
        .fetch_one(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let notice = notice_from_row(&row)?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(Some(notice))
    }

    async fn notices(&self, after: Timestamp) -> Result<Vec<Notice>> {
        let rows = sqlx::query("SELECT * FROM notices WHERE at > $1 ORDER BY id")
            .bind(after.to_sqlx())
            .fetch_all(&self.pool)
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
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3)
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                 WHERE leases.holder = excluded.holder OR leases.expires_at <= $4
             RETURNING holder",
        )
        .bind(name)
        .bind(holder)
        .bind(until.to_sqlx())
        .bind(now.to_sqlx())
        .fetch_optional(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        Ok(held_by.as_deref() == Some(holder))
    }

    async fn release_lease(&self, name: &str, holder: &str) -> Result<()> {
        sqlx::query("DELETE FROM leases WHERE name = $1 AND holder = $2")
            .bind(name)
            .bind(holder)
            .execute(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        Ok(())
    }

    async fn purge_history(&self, before: Timestamp) -> Result<Purged> {
        let cutoff = before.to_sqlx();
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        let mut purged = Purged::default();
        let mut notices = 0;
        let mut notifications = 0;
        for (sql, slot) in [
            ("DELETE FROM alerts WHERE ends_at < $1", &mut purged.alerts),
            (
                "DELETE FROM pages WHERE state = 'resolved' AND resolved_at < $1",
                &mut purged.pages,
            ),
            (
                "DELETE FROM silences WHERE ends_at < $1",
                &mut purged.silences,
            ),
            (
                "DELETE FROM maintenance_windows WHERE ends_at < $1",
                &mut purged.maintenance_windows,
            ),
            ("DELETE FROM notices WHERE at < $1", &mut notices),
            // Notifications of pages go with their page; the others (of
            // notices) once done and old.
            (
                "DELETE FROM notifications
                 WHERE page_id IS NULL AND created_at < $1 AND state IN ('delivered', 'failed')",
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
