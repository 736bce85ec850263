//! Alert history by time range, for reports and for looking back.

use crate::alert_status::StatusContext;
use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::Query;
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use serde_json::Value;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct HistoryQuery {
    /// Default: 24 hours before `to`.
    from: Option<Timestamp>,
    /// Default: now.
    to: Option<Timestamp>,
    limit: Option<u32>,
}

/// `GET /api/v1/alerts`: alert occurrences that fired at some point in
/// `[from, to)`, newest first, with the routes they take.
pub(crate) async fn history(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<HistoryQuery>,
) -> ApiResult<Json<Value>> {
    let now = crate::clock::now();
    let to = query.to.unwrap_or(now);
    let from = query.from.unwrap_or(to - SignedDuration::from_hours(24));
    if from >= to {
        return Err(ApiError::bad_request("`from` must be before `to`"));
    }
    let limit = query.limit.unwrap_or(500);
    if limit == 0 || limit > 10_000 {
        return Err(ApiError::bad_request("limit must be between 1 and 10000"));
    }
    let alerts = state.store.alerts_between(from, to, limit).await?;
    let firing: Vec<_> = alerts
        .iter()
        .filter(|a| a.is_firing(now))
        .cloned()
        .collect();
    let context = StatusContext::load(&state, &firing, now).await?;
    Ok(Json(Value::Array(
        alerts.iter().map(|alert| context.describe(alert)).collect(),
    )))
}
