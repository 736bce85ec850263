//! What this instance is running and who is asking.

use crate::auth::{Auth, need};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use serde_json::{Value, json};

/// `GET /api/v1/status`: version, database, the configuration in force and
/// the last reload.
pub(crate) async fn status(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> Json<Value> {
    let running = state.config.current();
    Json(json!({
        "version": env!("CARGO_PKG_VERSION"),
        "started_at": state.started_at,
        "database": { "backend": state.store.backend().to_string() },
        "config": {
            "path": state.config.path(),
            "files": running.config.files,
            "generation": running.generation,
            "loaded_at": running.loaded_at,
            "warnings": running.warnings,
            "last_reload": state.config.last_reload(),
        },
    }))
}

/// `GET /api/v1/whoami`: the caller's user and role.
pub(crate) async fn whoami(auth: Auth<need::Viewer>) -> Json<Value> {
    Json(json!(auth.caller))
}
