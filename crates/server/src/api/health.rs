//! Liveness and readiness, open without a token so that load balancers and
//! orchestrators can ask.

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};
use std::time::Duration;

/// How long readiness waits for the database before calling it down.
const DATABASE_TIMEOUT: Duration = Duration::from_secs(2);

/// The process is up and answering.
pub(crate) async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// The process can do its work: the database answers and a configuration
/// is loaded (always true once started: an invalid one is never loaded).
pub(crate) async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    let running = state.config.current();
    match tokio::time::timeout(DATABASE_TIMEOUT, state.store.ping()).await {
        Ok(Ok(())) => Ok(Json(json!({
            "status": "ready",
            "database": state.store.backend().to_string(),
            "config_generation": running.generation,
        }))),
        Ok(Err(error)) => {
            state.metrics.database_errors.inc();
            tracing::warn!(error = %error, "Not ready: the database does not answer.");
            Err(not_ready("the database does not answer"))
        }
        Err(_) => {
            state.metrics.database_errors.inc();
            tracing::warn!("Not ready: the database did not answer in time.");
            Err(not_ready("the database did not answer in time"))
        }
    }
}

fn not_ready(reason: &str) -> ApiError {
    ApiError::unavailable("not ready").with_detail(json!({ "database": reason }))
}
