//! Pages and tickets: lists with filters, and each one with its alerts,
//! timeline and feedback. Responding to them is in `respond`.

use crate::alert_status::StatusContext;
use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Path, Query};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use jiff::Timestamp;
use pagerbound_core::routing::Class;
use pagerbound_store::{PageFilter, PageState};
use serde::Deserialize;
use serde_json::{Value, json};

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    /// Comma-separated states: triggered, acknowledged, open, resolved.
    state: Option<String>,
    service: Option<String>,
    /// Created at or after (RFC 3339).
    from: Option<Timestamp>,
    /// Created before (RFC 3339).
    to: Option<Timestamp>,
    limit: Option<u32>,
}

async fn list(state: &AppState, class: Class, query: ListQuery) -> ApiResult<Json<Value>> {
    let states = super::listing::states(
        query.state.as_deref(),
        PageState::parse,
        "triggered, acknowledged, open or resolved",
    )?;
    let limit = super::listing::limit(query.limit)?;
    let pages = state
        .store
        .pages(&PageFilter {
            class: Some(class),
            states,
            service: query.service,
            group_key: None,
            from: query.from,
            to: query.to,
            limit,
        })
        .await?;
    Ok(Json(json!(pages)))
}

/// `GET /api/v1/pages`.
pub(crate) async fn list_pages(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    list(&state, Class::Page, query).await
}

/// `GET /api/v1/tickets`.
pub(crate) async fn list_tickets(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> ApiResult<Json<Value>> {
    list(&state, Class::Ticket, query).await
}

/// `GET /api/v1/pages/{id}` and `/api/v1/tickets/{id}`: with its alerts
/// (and their status now), its timeline and its feedback.
pub(crate) async fn show(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    describe(&state, id).await.map(Json)
}

/// A page or ticket as `GET` shows it; 404 if there is none.
pub(crate) async fn describe(state: &AppState, id: i64) -> ApiResult<Value> {
    let page = state
        .store
        .page(id)
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no page or ticket {id}")))?;
    let alerts = state.store.page_alerts(id).await?;
    let now = crate::clock::now();
    let context = StatusContext::load(state, &alerts, now).await?;
    let mut body = json!(page);
    body["alerts"] = Value::Array(alerts.iter().map(|alert| context.describe(alert)).collect());
    body["timeline"] = json!(state.store.page_events(id).await?);
    body["feedback"] = json!(state.store.page_feedback(id).await?);
    Ok(body)
}
