use crate::alerts::{alert_from_row, labels, to_json};
use crate::{SqliteStore, column, millis, optional_timestamp, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::routing::Class;
use pagerbound_store::{
    Actor, NewPage, OpenedPage, Page, PageEvent, PageFilter, PageState, Pages, Response, Result,
    StoreError, StoredAlert, UnplannedEvent,
};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;
use sqlx::{Sqlite, Transaction};

macro_rules! columns {
    () => {
        "id, class, state, service, route, group_key, group_labels, title, created_at, updated_at, \
         acknowledged_at, acknowledged_by, resolved_at, resolved_by, alert_count, snoozed_until, assigned_to"
    };
}

fn page_from_row(row: &SqliteRow) -> Result<Page> {
    let class: String = column(row, "class")?;
    let state: String = column(row, "state")?;
    Ok(Page {
        id: column(row, "id")?,
        class: Class::parse(&class)
            .ok_or_else(|| StoreError::Corrupt(format!("page class `{class}`")))?,
        state: PageState::parse(&state)
            .ok_or_else(|| StoreError::Corrupt(format!("page state `{state}`")))?,
        service: column(row, "service")?,
        route: column(row, "route")?,
        group_key: column(row, "group_key")?,
        group_labels: labels(&column::<String>(row, "group_labels")?)?,
        title: column(row, "title")?,
        created_at: timestamp(column(row, "created_at")?)?,
        updated_at: timestamp(column(row, "updated_at")?)?,
        acknowledged_at: optional_timestamp(column(row, "acknowledged_at")?)?,
        acknowledged_by: column(row, "acknowledged_by")?,
        resolved_at: optional_timestamp(column(row, "resolved_at")?)?,
        resolved_by: column(row, "resolved_by")?,
        alert_count: column(row, "alert_count")?,
        snoozed_until: optional_timestamp(column(row, "snoozed_until")?)?,
        assigned_to: column(row, "assigned_to")?,
    })
}

pub(crate) async fn insert_event(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    event: &PageEvent,
) -> Result<()> {
    sqlx::query("INSERT INTO page_events (page_id, at, kind, detail) VALUES (?1, ?2, ?3, ?4)")
        .bind(id)
        .bind(millis(event.at))
        .bind(&event.kind)
        .bind(to_json(&event.detail)?)
        .execute(&mut **tx)
        .await
        .map_err(query_error(String::new))?;
    Ok(())
}

async fn attach_alerts(
    tx: &mut Transaction<'_, Sqlite>,
    id: i64,
    alert_ids: &[i64],
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT OR IGNORE INTO page_alerts (page_id, alert_id, added_at)
         SELECT ?1, value, ?2 FROM json_each(?3)",
    )
    .bind(id)
    .bind(millis(at))
    .bind(to_json(&alert_ids)?)
    .execute(&mut **tx)
    .await
    .map_err(query_error(String::new))?;
    sqlx::query(
        "UPDATE pages SET alert_count = (SELECT count(*) FROM page_alerts WHERE page_id = ?1), updated_at = ?2
         WHERE id = ?1",
    )
    .bind(id)
    .bind(millis(at))
    .execute(&mut **tx)
    .await
    .map_err(query_error(String::new))?;
    Ok(())
}

/// The statements that open a page: the page, its alerts, its `opened`
/// event, then the page as stored beside the event's id. They read their
/// values from one JSON argument (see [`derived!`](crate::derived)), made
/// by [`new_page_json`].
/// The page's id and the event's are the highest: the writer is alone and
/// inside the transaction.
macro_rules! insert_page {
    () => {
        concat!(
            "INSERT INTO pages (class, state, service, route, group_key, group_labels, title,
                                created_at, updated_at, alert_count)
             SELECT ?1 ->> '$.class', ?1 ->> '$.state', ?1 ->> '$.service', ?1 ->> '$.route',
                    ?1 ->> '$.key', ?1 ->> '$.labels', ?1 ->> '$.title', ?1 ->> '$.at', ?1 ->> '$.at', 0;
             INSERT OR IGNORE INTO page_alerts (page_id, alert_id, added_at)
             SELECT (SELECT max(id) FROM pages), value, ?1 ->> '$.at' FROM json_each(?1, '$.alerts');
             UPDATE pages SET alert_count = (SELECT count(*) FROM page_alerts WHERE page_id = pages.id)
             WHERE id = (SELECT max(id) FROM pages);
             INSERT INTO page_events (page_id, at, kind, detail)
             SELECT (SELECT max(id) FROM pages), ?1 ->> '$.at', 'opened', ?1 ->> '$.opened';
             SELECT ",
            columns!(),
            ", (SELECT max(id) FROM page_events) AS opened_event
             FROM pages WHERE id = (SELECT max(id) FROM pages)"
        )
    };
}

/// The argument of [`insert_page!`]: the labels and the event's detail go
/// as JSON strings, stored as they are.
fn new_page_json(page: &NewPage) -> Result<String> {
    to_json(&serde_json::json!({
        "class": page.class.as_str(),
        "state": PageState::initial(page.class).as_str(),
        "service": page.service,
        "route": page.route,
        "key": page.group_key,
        "labels": to_json(&page.group_labels)?,
        "title": page.title,
        "at": millis(page.at),
        "alerts": page.alert_ids,
        "opened": to_json(&page.opened_event().detail)?,
    }))
}

/// The page that [`insert_page!`] returned, with its `opened` event.
fn opened_page(rows: &[SqliteRow], page: &NewPage) -> Result<OpenedPage> {
    let row = rows
        .last()
        .ok_or_else(|| StoreError::Corrupt("an opened page vanished".into()))?;
    let opened = page_from_row(row)?;
    Ok(OpenedPage {
        opened: UnplannedEvent {
            id: column(row, "opened_event")?,
            page_id: opened.id,
            event: page.opened_event(),
        },
        page: opened,
    })
}

impl SqliteStore {
    pub(crate) async fn page_in(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        id: i64,
    ) -> Result<Option<Page>> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM pages WHERE id = ?1"))
            .bind(id)
            .fetch_optional(&mut **tx)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(page_from_row).transpose()
    }

    /// Opens a page within `tx`, with its alerts and `opened` event, in
    /// one trip to the writer's thread.
    pub(crate) async fn insert_page(
        &self,
        tx: &mut Transaction<'_, Sqlite>,
        page: &NewPage,
    ) -> Result<OpenedPage> {
        let rows = sqlx::query(insert_page!())
            .bind(new_page_json(page)?)
            .fetch_all(&mut **tx)
            .await
            .map_err(query_error(String::new))?;
        opened_page(&rows, page)
    }
}

#[async_trait]
impl Pages for SqliteStore {
    async fn open_page(&self, page: &NewPage) -> Result<OpenedPage> {
        // The engine opens pages from groups of committed alerts: derived
        // state.
        let query = sqlx::query(crate::derived!(insert_page!())).bind(new_page_json(page)?);
        opened_page(&self.write_derived(query).await?, page)
    }

    async fn add_page_alerts(&self, id: i64, alert_ids: &[i64], event: &PageEvent) -> Result<()> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        attach_alerts(&mut tx, id, alert_ids, event.at).await?;
        insert_event(&mut tx, id, event).await?;
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn add_page_event(&self, id: i64, event: &PageEvent) -> Result<()> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        insert_event(&mut tx, id, event).await?;
        sqlx::query("UPDATE pages SET updated_at = ?2 WHERE id = ?1")
            .bind(id)
            .bind(millis(event.at))
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn respond(
        &self,
        id: i64,
        response: &Response,
        actor: Actor<'_>,
        at: Timestamp,
    ) -> Result<Option<Page>> {
        // The one writer connection serialises transactions: the page read
        // here is the page the update replaces.
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let Some(page) = self.page_in(&mut tx, id).await? else {
            return Ok(None);
        };
        let Some(outcome) = response.apply(&page, actor, at) else {
            return Ok(Some(page));
        };
        let next = &outcome.page;
        sqlx::query(
            "UPDATE pages SET state = ?2, acknowledged_at = ?3, acknowledged_by = ?4, resolved_at = ?5,
                              resolved_by = ?6, snoozed_until = ?7, assigned_to = ?8, updated_at = ?9
             WHERE id = ?1",
        )
        .bind(id)
        .bind(next.state.as_str())
        .bind(next.acknowledged_at.map(millis))
        .bind(&next.acknowledged_by)
        .bind(next.resolved_at.map(millis))
        .bind(&next.resolved_by)
        .bind(next.snoozed_until.map(millis))
        .bind(&next.assigned_to)
        .bind(millis(next.updated_at))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        for event in &outcome.events {
            insert_event(&mut tx, id, event).await?;
        }
        let page = self.page_in(&mut tx, id).await?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(page)
    }

    async fn ended_snoozes(&self, now: Timestamp) -> Result<Vec<Page>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pages WHERE state = 'acknowledged' AND snoozed_until <= ?1 ORDER BY snoozed_until, id"
        ))
        .bind(millis(now))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(page_from_row).collect()
    }

    async fn page(&self, id: i64) -> Result<Option<Page>> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM pages WHERE id = ?1"))
            .bind(id)
            .fetch_optional(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(page_from_row).transpose()
    }

    async fn pages(&self, filter: &PageFilter) -> Result<Vec<Page>> {
        let states: Option<String> = if filter.states.is_empty() {
            None
        } else {
            Some(to_json(
                &filter.states.iter().map(|s| s.as_str()).collect::<Vec<_>>(),
            )?)
        };
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pages
                            WHERE (?1 IS NULL OR class = ?1) AND (?2 IS NULL OR service = ?2)
                AND (?3 IS NULL OR created_at >= ?3) AND (?4 IS NULL OR created_at < ?4)
                AND (?5 IS NULL OR state IN (SELECT value FROM json_each(?5)))
                AND (?7 IS NULL OR group_key = ?7)
              ORDER BY created_at DESC, id DESC LIMIT ?6"
        ))
        .bind(filter.class.map(Class::as_str))
        .bind(&filter.service)
        .bind(filter.from.map(millis))
        .bind(filter.to.map(millis))
        .bind(states)
        .bind(filter.limit)
        .bind(&filter.group_key)
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(page_from_row).collect()
    }

    async fn page_alerts(&self, id: i64) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(crate::alerts::PAGE_ALERTS)
            .bind(id)
            .fetch_all(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(alert_from_row).collect()
    }

    async fn page_events(&self, id: i64) -> Result<Vec<PageEvent>> {
        let rows =
            sqlx::query("SELECT at, kind, detail FROM page_events WHERE page_id = ?1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.reader)
                .await
                .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| {
                let detail: String = column(row, "detail")?;
                Ok(PageEvent {
                    at: timestamp(column(row, "at")?)?,
                    kind: column(row, "kind")?,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| StoreError::Corrupt(e.to_string()))?,
                })
            })
            .collect()
    }

    async fn open_pages_with_alerts(&self, alert_ids: &[i64]) -> Result<Vec<(i64, Page)>> {
        if alert_ids.is_empty() {
            return Ok(Vec::new());
        }
        let rows = sqlx::query(concat!(
            "SELECT pa.alert_id, ",
            columns!(),
            " FROM page_alerts AS pa JOIN pages ON pages.id = pa.page_id
              WHERE pa.alert_id IN (SELECT value FROM json_each(?1)) AND pages.state <> 'resolved'
              ORDER BY pa.alert_id, pages.id"
        ))
        .bind(to_json(alert_ids)?)
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| Ok((column(row, "alert_id")?, page_from_row(row)?)))
            .collect()
    }
}
