use crate::alerts::to_json;
use crate::pages::insert_event;
use crate::{SqliteStore, column, millis, query_error, timestamp};
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_store::{
    Feedback, FeedbackCount, FeedbackCounts, Feedbacks, NotActionableReason, PageEvent,
    PageFeedback, Result, StoreError,
};
use sqlx::Connection as _;
use sqlx::sqlite::SqliteRow;

fn feedback_from_row(row: &SqliteRow) -> Result<PageFeedback> {
    let reason: Option<String> = column(row, "reason")?;
    let reason = reason
        .map(|r| {
            NotActionableReason::parse(&r)
                .ok_or_else(|| StoreError::Corrupt(format!("feedback reason `{r}`")))
        })
        .transpose()?;
    let alertnames: String = column(row, "alertnames")?;
    Ok(PageFeedback {
        page_id: column(row, "page_id")?,
        feedback: Feedback {
            actionable: column::<i64>(row, "actionable")? != 0,
            reason,
            text: column(row, "text")?,
        },
        by: column(row, "given_by")?,
        at: timestamp(column(row, "given_at")?)?,
        alertnames: serde_json::from_str(&alertnames)
            .map_err(|e| StoreError::Corrupt(format!("feedback alert names: {e}")))?,
        route: column(row, "route")?,
        service: column(row, "service")?,
        page_created_at: timestamp(column(row, "page_created_at")?)?,
    })
}

fn counts_from_rows(rows: &[SqliteRow]) -> Result<Vec<FeedbackCount>> {
    rows.iter()
        .map(|row| {
            Ok(FeedbackCount {
                key: column(row, "key")?,
                pages: column(row, "pages")?,
                actionable: column(row, "actionable")?,
            })
        })
        .collect()
}

const SELECT: &str = "SELECT page_id, actionable, reason, text, given_by, given_at, alertnames, route, \
                      service, page_created_at FROM page_feedback WHERE page_id = ?1";

#[async_trait]
impl Feedbacks for SqliteStore {
    async fn give_feedback(
        &self,
        page_id: i64,
        feedback: &Feedback,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<PageFeedback>> {
        let mut writing = self.write().await?;
        let mut tx = writing.begin().await.map_err(query_error(String::new))?;
        let Some(page) = self.page_in(&mut tx, page_id).await? else {
            return Ok(None);
        };
        let mut alertnames: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT json_extract(a.labels, '$.alertname') AS name
               FROM page_alerts pa JOIN alerts a ON a.id = pa.alert_id
              WHERE pa.page_id = ?1 AND name IS NOT NULL ORDER BY name",
        )
        .bind(page_id)
        .fetch_all(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        // Alerts are purged before their pages: the group's labels remain.
        if alertnames.is_empty()
            && let Some(name) = page.group_labels.get("alertname")
        {
            alertnames.push(name.to_owned());
        }
        sqlx::query(
            "INSERT INTO page_feedback (page_id, actionable, reason, text, given_by, given_at, alertnames,
                                        route, service, page_created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
             ON CONFLICT (page_id) DO UPDATE SET actionable = excluded.actionable, reason = excluded.reason,
                 text = excluded.text, given_by = excluded.given_by, given_at = excluded.given_at,
                 alertnames = excluded.alertnames",
        )
        .bind(page_id)
        .bind(i64::from(feedback.actionable))
        .bind(feedback.reason.map(NotActionableReason::as_str))
        .bind(&feedback.text)
        .bind(by)
        .bind(millis(at))
        .bind(to_json(&alertnames)?)
        .bind(&page.route)
        .bind(&page.service)
        .bind(millis(page.created_at))
        .execute(&mut *tx)
        .await
        .map_err(query_error(String::new))?;
        let event = PageEvent {
            at,
            kind: "feedback".to_owned(),
            detail: serde_json::json!({
                "by": by,
                "actionable": feedback.actionable,
                "reason": feedback.reason,
                "text": feedback.text,
            }),
        };
        insert_event(&mut tx, page_id, &event).await?;
        sqlx::query("UPDATE pages SET updated_at = ?2 WHERE id = ?1")
            .bind(page_id)
            .bind(millis(at))
            .execute(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        let row = sqlx::query(SELECT)
            .bind(page_id)
            .fetch_one(&mut *tx)
            .await
            .map_err(query_error(String::new))?;
        let stored = feedback_from_row(&row)?;
        tx.commit().await.map_err(query_error(String::new))?;
        Ok(Some(stored))
    }

    async fn page_feedback(&self, page_id: i64) -> Result<Option<PageFeedback>> {
        let row = sqlx::query(SELECT)
            .bind(page_id)
            .fetch_optional(&self.reader)
            .await
            .map_err(query_error(String::new))?;
        row.as_ref().map(feedback_from_row).transpose()
    }

    async fn feedback_counts(&self, from: Timestamp, to: Timestamp) -> Result<FeedbackCounts> {
        let by_alertname = sqlx::query(
            "SELECT j.value AS key, count(*) AS pages, sum(f.actionable) AS actionable
               FROM page_feedback f, json_each(f.alertnames) j
              WHERE f.page_created_at >= ?1 AND f.page_created_at < ?2
              GROUP BY j.value ORDER BY j.value",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        let by_route = sqlx::query(
            "SELECT route AS key, count(*) AS pages, sum(actionable) AS actionable
               FROM page_feedback
              WHERE page_created_at >= ?1 AND page_created_at < ?2
              GROUP BY route ORDER BY route",
        )
        .bind(millis(from))
        .bind(millis(to))
        .fetch_all(&self.reader)
        .await
        .map_err(query_error(String::new))?;
        Ok(FeedbackCounts {
            by_alertname: counts_from_rows(&by_alertname)?,
            by_route: counts_from_rows(&by_route)?,
        })
    }
}
