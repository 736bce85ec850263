//! The HTTP API: health, metrics and reload at the root, pagerbound's own
//! API under `/api/v1`. (The Alertmanager-compatible `/api/v2` arrives with
//! the alert pipeline.)

mod config;
mod health;
mod operate;
mod status;
mod tokens;

use crate::state::AppState;
use axum::Router;
use axum::routing::{delete, get, post};

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(health::healthz))
        .route("/readyz", get(health::readyz))
        .route("/metrics", get(operate::metrics))
        .route("/-/reload", post(operate::reload))
        .route("/api/v1/status", get(status::status))
        .route("/api/v1/whoami", get(status::whoami))
        .route("/api/v1/teams", get(config::teams))
        .route("/api/v1/users", get(config::users))
        .route("/api/v1/services", get(config::services))
        .route("/api/v1/channels", get(config::channels))
        .route("/api/v1/integrations", get(config::integrations))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
}
