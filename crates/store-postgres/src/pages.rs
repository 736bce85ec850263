use crate::{PostgresStore, column, instant, json_column, optional_instant, query_error, to_json};
use async_trait::async_trait;
use jiff::Timestamp;
use jiff_sqlx::ToSqlx;
use pagerbound_core::routing::Class;
use pagerbound_store::{
    Actor, NewPage, OpenedPage, Page, PageEvent, PageFilter, PageState, Pages, Response, Result,
    StoreError, StoredAlert, UnplannedEvent,
};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Transaction};

macro_rules! columns {
    () => {
        "id, class, state, service, route, group_key, group_labels, title, created_at, updated_at, \
         acknowledged_at, acknowledged_by, resolved_at, resolved_by, alert_count, snoozed_until, assigned_to"
    };
}

fn page_from_row(row: &PgRow) -> Result<Page> {
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
        group_labels: json_column(row, "group_labels")?,
        title: column(row, "title")?,
        created_at: instant(row, "created_at")?,
        updated_at: instant(row, "updated_at")?,
        acknowledged_at: optional_instant(row, "acknowledged_at")?,
        acknowledged_by: column(row, "acknowledged_by")?,
        resolved_at: optional_instant(row, "resolved_at")?,
        resolved_by: column(row, "resolved_by")?,
        alert_count: column(row, "alert_count")?,
        snoozed_until: optional_instant(row, "snoozed_until")?,
        assigned_to: column(row, "assigned_to")?,
    })
}

/// Adds an event to a page's timeline; answers the event's id.
pub(crate) async fn insert_event(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    event: &PageEvent,
) -> Result<i64> {
    sqlx::query_scalar(
        "INSERT INTO page_events (page_id, at, kind, detail) VALUES ($1, $2, $3, $4) RETURNING id",
    )
    .bind(id)
    .bind(event.at.to_sqlx())
    .bind(&event.kind)
    .bind(&event.detail)
    .fetch_one(&mut **tx)
    .await
    .map_err(query_error(String::new))
}

async fn attach_alerts(
    tx: &mut Transaction<'_, Postgres>,
    id: i64,
    alert_ids: &[i64],
    at: Timestamp,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO page_alerts (page_id, alert_id, added_at)
         SELECT $1, alert_id, $2 FROM unnest($3::bigint[]) AS alert_id
         ON CONFLICT DO NOTHING",
    )
    .bind(id)
    .bind(at.to_sqlx())
    .bind(alert_ids)
    .execute(&mut **tx)
    .await
    .map_err(query_error(String::new))?;
    sqlx::query(
        "UPDATE pages SET alert_count = (SELECT count(*) FROM page_alerts WHERE page_id = $1), updated_at = $2
         WHERE id = $1",
    )
    .bind(id)
    .bind(at.to_sqlx())
    .execute(&mut **tx)
    .await
    .map_err(query_error(String::new))?;
    Ok(())
}

pub(crate) async fn page_in(tx: &mut Transaction<'_, Postgres>, id: i64) -> Result<Option<Page>> {
    let row = sqlx::query(concat!("SELECT ", columns!(), " FROM pages WHERE id = $1"))
        .bind(id)
        .fetch_optional(&mut **tx)
        .await
        .map_err(query_error(String::new))?;
    row.as_ref().map(page_from_row).transpose()
}

/// Opens a page within `tx`, with its alerts and `opened` event.
pub(crate) async fn insert_page(
    tx: &mut Transaction<'_, Postgres>,
    page: &NewPage,
) -> Result<OpenedPage> {
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO pages (class, state, service, route, group_key, group_labels, title, created_at,
                            updated_at, alert_count)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8, 0)
         RETURNING id",
    )
    .bind(page.class.as_str())
    .bind(PageState::initial(page.class).as_str())
    .bind(&page.service)
    .bind(&page.route)
    .bind(&page.group_key)
    .bind(to_json(&page.group_labels)?)
    .bind(&page.title)
    .bind(page.at.to_sqlx())
    .fetch_one(&mut **tx)
    .await
    .map_err(query_error(String::new))?;
    attach_alerts(tx, id, &page.alert_ids, page.at).await?;
    let event = page.opened_event();
    let event_id = insert_event(tx, id, &event).await?;
    let opened = page_in(tx, id)
        .await?
        .ok_or_else(|| StoreError::Corrupt("an opened page vanished".into()))?;
    Ok(OpenedPage {
        page: opened,
        opened: UnplannedEvent {
            id: event_id,
            page_id: id,
            event,
        },
    })
}

#[async_trait]
impl Pages for PostgresStore {
    async fn open_page(&self, page: &NewPage) -> Result<OpenedPage> {
        // Opened by the engine from its groups: see `derived` in the crate docs.
        let mut tx = self
            .derived
            .begin()
            .await
            .map_err(query_error(String::new))?;
        let opened = insert_page(&mut tx, page).await?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(opened)
    }

    async fn add_page_alerts(&self, id: i64, alert_ids: &[i64], event: &PageEvent) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        attach_alerts(&mut tx, id, alert_ids, event.at).await?;
        insert_event(&mut tx, id, event).await?;
        tx.commit().await.map_err(query_error(String::new))
    }

    async fn add_page_event(&self, id: i64, event: &PageEvent) -> Result<()> {
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        insert_event(&mut tx, id, event).await?;
        sqlx::query("UPDATE pages SET updated_at = $2 WHERE id = $1")
            .bind(id)
            .bind(event.at.to_sqlx())
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
        let mut tx = self.pool.begin().await.map_err(query_error(String::new))?;
        // Locked until commit: two instances answering the same page at
        // once apply their responses one after the other.
        let row = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pages WHERE id = $1 FOR UPDATE"
        ))
        .bind(id)
        .fetch_optional(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let Some(page) = row.as_ref().map(page_from_row).transpose()? else {
            return Ok(None);
        };
        let Some(outcome) = response.apply(&page, actor, at) else {
            return Ok(Some(page));
        };
        let next = &outcome.page;
        sqlx::query(
            "UPDATE pages SET state = $2, acknowledged_at = $3, acknowledged_by = $4, resolved_at = $5,
                              resolved_by = $6, snoozed_until = $7, assigned_to = $8, updated_at = $9
             WHERE id = $1",
        )
        .bind(id)
        .bind(next.state.as_str())
        .bind(next.acknowledged_at.map(|t| t.to_sqlx()))
        .bind(&next.acknowledged_by)
        .bind(next.resolved_at.map(|t| t.to_sqlx()))
        .bind(&next.resolved_by)
        .bind(next.snoozed_until.map(|t| t.to_sqlx()))
        .bind(&next.assigned_to)
        .bind(next.updated_at.to_sqlx())
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        for event in &outcome.events {
            insert_event(&mut tx, id, event).await?;
        }
        let page = page_in(&mut tx, id).await?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(page)
    }

    async fn ended_snoozes(&self, now: Timestamp) -> Result<Vec<Page>> {
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pages WHERE state = 'acknowledged' AND snoozed_until <= $1 ORDER BY snoozed_until, id"
        ))
        .bind(now.to_sqlx())
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(page_from_row).collect()
    }

    async fn page(&self, id: i64) -> Result<Option<Page>> {
        let row = sqlx::query(concat!("SELECT ", columns!(), " FROM pages WHERE id = $1"))
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(page_from_row).transpose()
    }

    async fn pages(&self, filter: &PageFilter) -> Result<Vec<Page>> {
        let states: Option<Vec<&str>> =
            (!filter.states.is_empty()).then(|| filter.states.iter().map(|s| s.as_str()).collect());
        let rows = sqlx::query(concat!(
            "SELECT ",
            columns!(),
            " FROM pages
              WHERE ($1::text IS NULL OR class = $1) AND ($2::text IS NULL OR service = $2)
                AND ($3::timestamptz IS NULL OR created_at >= $3) AND ($4::timestamptz IS NULL OR created_at < $4)
                                AND ($5::text[] IS NULL OR state = ANY($5))
                AND ($7::text IS NULL OR group_key = $7)
              ORDER BY created_at DESC, id DESC LIMIT $6"
        ))
        .bind(filter.class.map(Class::as_str))
        .bind(&filter.service)
        .bind(filter.from.map(|t| t.to_sqlx()))
        .bind(filter.to.map(|t| t.to_sqlx()))
        .bind(states)
                .bind(i64::from(filter.limit))
        .bind(&filter.group_key)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter().map(page_from_row).collect()
    }

    async fn page_alerts(&self, id: i64) -> Result<Vec<StoredAlert>> {
        let rows = sqlx::query(crate::alerts::PAGE_ALERTS)
            .bind(id)
            .fetch_all(&self.pool)
            .await
            .map_err(query_error(String::new))?;
        rows.iter().map(crate::alerts::alert_from_row).collect()
    }

    async fn page_events(&self, id: i64) -> Result<Vec<PageEvent>> {
        let rows =
            sqlx::query("SELECT at, kind, detail FROM page_events WHERE page_id = $1 ORDER BY id")
                .bind(id)
                .fetch_all(&self.pool)
                .await
                .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| {
                Ok(PageEvent {
                    at: instant(row, "at")?,
                    kind: column(row, "kind")?,
                    detail: column(row, "detail")?,
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
              WHERE pa.alert_id = ANY($1) AND pages.state <> 'resolved'
              ORDER BY pa.alert_id, pages.id"
        ))
        .bind(alert_ids)
        .fetch_all(&self.pool)
        .await
        .map_err(query_error(String::new))?;
        rows.iter()
            .map(|row| Ok((column(row, "alert_id")?, page_from_row(row)?)))
            .collect()
    }
}
