//! Maintenance windows per service, and the notices the engine records.

use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Path, Query};
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration;
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_store::{NewMaintenance, Notice};
use serde::Deserialize;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewWindow {
    service: String,
    /// Default: now.
    starts_at: Option<Timestamp>,
    /// Give `ends_at`, or `duration` from the start (`2h`).
    ends_at: Option<Timestamp>,
    duration: Option<Duration>,
    reason: String,
}

/// `POST /api/v1/maintenance`: alerts of the service are recorded as log
/// while the window is active.
pub(crate) async fn create(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Json(window): Json<NewWindow>,
) -> ApiResult<(StatusCode, axum::Json<MaintenanceWindow>)> {
    let now = crate::clock::now();
    if !state
        .config
        .current()
        .config
        .services
        .contains_key(&window.service)
    {
        return Err(ApiError::bad_request(format!(
            "service `{}` is not defined",
            window.service
        )));
    }
    let starts_at = window.starts_at.unwrap_or(now);
    let ends_at = match (window.ends_at, window.duration) {
        (Some(end), None) => end,
        (None, Some(duration)) => starts_at + duration.to_signed(),
        _ => return Err(ApiError::bad_request("give either `ends_at` or `duration`")),
    };
    let candidate = MaintenanceWindow {
        id: 0,
        service: window.service.clone(),
        starts_at,
        ends_at,
        reason: window.reason.clone(),
        created_by: auth.caller.user.clone(),
        created_at: now,
        notice_at: None,
    };
    candidate.validate(now).map_err(ApiError::bad_request)?;
    let created = state
        .store
        .create_maintenance(&NewMaintenance {
            service: window.service,
            starts_at,
            ends_at,
            reason: window.reason,
            created_by: auth.caller.user,
            created_at: now,
        })
        .await?;
    state.engine.maintenance_changed();
    tracing::info!(id = created.id, service = %created.service, ends_at = %created.ends_at, "Maintenance window created.");
    Ok((StatusCode::CREATED, axum::Json(created)))
}

/// `GET /api/v1/maintenance`: windows that have not ended.
pub(crate) async fn list(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Vec<MaintenanceWindow>>> {
    Ok(axum::Json(
        state.store.maintenance_windows(crate::clock::now()).await?,
    ))
}

/// `DELETE /api/v1/maintenance/{id}`: ends the window now.
pub(crate) async fn end(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Path(id): Path<i64>,
) -> ApiResult<axum::Json<MaintenanceWindow>> {
    let ended = state
        .store
        .end_maintenance(id, crate::clock::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("there is no maintenance window {id}")))?;
    state.engine.maintenance_changed();
    tracing::info!(id, by = %auth.caller.user, "Maintenance window ended.");
    Ok(axum::Json(ended))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NoticeQuery {
    /// Default: the last 24 hours.
    since: Option<Timestamp>,
}

/// `GET /api/v1/notices`.
pub(crate) async fn notices(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<NoticeQuery>,
) -> ApiResult<axum::Json<Vec<Notice>>> {
    let since = query
        .since
        .unwrap_or_else(|| crate::clock::now() - SignedDuration::from_hours(24));
    Ok(axum::Json(state.store.notices(since).await?))
}
