//! The outbox as people see it: what was sent to whom, what is waiting, and
//! what failed and why.

use crate::auth::{Auth, need};
use crate::error::ApiResult;
use crate::extract::Query;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use pagerbound_store::{Notification, NotificationFilter, NotificationState};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Only the notifications about this page or ticket.
    page: Option<i64>,
    /// Comma-separated states: pending, sending, delivered, failed.
    state: Option<String>,
    limit: Option<u32>,
}

/// `GET /api/v1/notifications`, newest first.
pub(crate) async fn list(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    let states = super::listing::states(
        query.state.as_deref(),
        NotificationState::parse,
        "pending, sending, delivered or failed",
    )?;
    let limit = super::listing::limit(query.limit)?;
    let notifications = state
        .store
        .notifications(&NotificationFilter {
            page_id: query.page,
            states,
            limit,
        })
        .await?;
    Ok(Json(Value::Array(
        notifications
            .into_iter()
            .map(without_action_links)
            .collect(),
    )))
}

/// A notification as the API shows it. Its message's acknowledge and
/// resolve links are signed for the person it went to and act without a
/// token, so a viewer must not be able to read them here.
fn without_action_links(mut notification: Notification) -> Value {
    notification.message.links.acknowledge = None;
    notification.message.links.resolve = None;
    json!(notification)
}
