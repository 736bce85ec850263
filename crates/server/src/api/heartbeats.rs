//! Heartbeats over HTTP: beating one, and listing them all with where each
//! stands.

use crate::auth::{Auth, need, sender};
use crate::error::{ApiError, ApiResult};
use crate::extract::Path;
use crate::state::AppState;
use axum::extract::State;
use axum::http::HeaderMap;
use jiff::Timestamp;
use pagerbound_core::Heartbeat;
use pagerbound_store::HeartbeatRecord;
use serde_json::{Value, json};

/// One heartbeat as the API shows it.
fn view(heartbeat: &Heartbeat, record: Option<&HeartbeatRecord>, now: Timestamp) -> Value {
    let last_beat = record.and_then(|r| r.last_beat_at);
    // Not stored yet: the monitor starts watching it on its next round.
    let watched_since = record.map_or(now, |r| r.watched_since);
    let standing = heartbeat.standing(last_beat, watched_since, now);
    json!({
        "name": heartbeat.name,
        "service": heartbeat.service,
        "interval": heartbeat.interval,
        "grace": heartbeat.grace,
        "integration": heartbeat.integration,
        "matchers": heartbeat.matchers.iter().map(ToString::to_string).collect::<Vec<_>>(),
        "status": standing.status,
        "last_beat_at": last_beat,
        "expected_by": standing.expected_by,
        "deadline": standing.deadline,
        "beats": record.map_or(0, |r| r.beats),
        "page_id": record.and_then(|r| r.page_id),
    })
}

/// `POST /api/v1/heartbeat/{name}`: a beat, sent with the integration's
/// token (bearer or basic auth password) or a responder's API token.
pub(crate) async fn beat(
    headers: HeaderMap,
    State(state): State<AppState>,
    Path(name): Path<String>,
) -> ApiResult<axum::Json<Value>> {
    let sender = sender(&headers, &state).await?;
    let config = state.config.current();
    let heartbeat = config.config.heartbeats.get(&name).ok_or_else(|| {
        ApiError::not_found(format!(
            "no heartbeat `{name}`; heartbeats are defined under `heartbeats:` in the configuration"
        ))
    })?;
    if !crate::heartbeat::accepts(heartbeat, &sender.integration) {
        return Err(ApiError::forbidden(format!(
            "heartbeat `{name}` takes beats from integration `{}` only; this is `{}`'s token",
            heartbeat.integration.as_deref().unwrap_or_default(),
            sender.integration
        )));
    }
    let now = crate::clock::now();
    state
        .store
        .record_beats(std::slice::from_ref(&name), now)
        .await?;
    let records = state.store.heartbeats().await?;
    let record = records.iter().find(|r| r.name == name);
    Ok(axum::Json(view(heartbeat, record, now)))
}

/// `GET /api/v1/heartbeats`: every configured heartbeat and where it
/// stands.
pub(crate) async fn list(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> ApiResult<axum::Json<Value>> {
    let config = state.config.current();
    let records = state.store.heartbeats().await?;
    let now = crate::clock::now();
    let listed: Vec<Value> = config
        .config
        .heartbeats
        .values()
        .map(|h| view(h, records.iter().find(|r| r.name == h.name), now))
        .collect();
    Ok(axum::Json(Value::Array(listed)))
}
