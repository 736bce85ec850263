//! Operating the server: its metrics and configuration reloads.

use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use serde_json::{Value, json};

/// `GET /metrics`, for Prometheus (scrape it with a viewer token).
pub(crate) async fn metrics(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> impl IntoResponse {
    (
        [(
            header::CONTENT_TYPE,
            "application/openmetrics-text; version=1.0.0; charset=utf-8",
        )],
        state.metrics.encode_with(
            &state
                .slos
                .standings(state.config.current().config.slos.values()),
        ),
    )
}

/// `POST /-/reload`: reads the configuration again. A configuration with
/// errors is refused with 422 and the errors; the running one stays.
pub(crate) async fn reload(
    auth: Auth<need::Admin>,
    State(state): State<AppState>,
) -> ApiResult<Json<Value>> {
    tracing::info!(user = %auth.caller.user, "Configuration reload requested.");
    let outcome = state.config.reload().await;
    if outcome.success {
        Ok(Json(json!({
            "status": "reloaded",
            "generation": outcome.generation,
            "warnings": outcome.warnings,
            "restart_needed": outcome.restart_needed,
        })))
    } else {
        Err(ApiError::unprocessable(format!(
            "configuration refused with {} error(s); the running configuration (generation {}) stays in force",
            outcome.errors.len(),
            outcome.generation
        ))
        .with_detail(json!({ "errors": outcome.errors, "warnings": outcome.warnings })))
    }
}
