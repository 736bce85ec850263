//! Ingest besides Alertmanager's API: generic events shaped like
//! PagerDuty's Events API v2, and Alertmanager's webhook notifications.

use crate::auth::{Sender, has_credentials, integration_for, sender};
use crate::error::{ApiError, ApiResult};
use crate::extract::Json;
use crate::ingest::Incoming;
use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use pagerbound_core::alert::{Event, EventAction, WebhookMessage};
use pagerbound_store::{PageFilter, PageState, StoredAlert};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// `POST /api/v1/events`. The integration's token comes in the
/// `Authorization` header or, as PagerDuty senders put it, in
/// `routing_key`. Answers 202 with the dedup key, as PagerDuty does.
pub(crate) async fn post_event(
    headers: HeaderMap,
    State(state): State<AppState>,
    Json(event): Json<Event>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let sender = if has_credentials(&headers) {
        sender(&headers, &state).await?
    } else {
        let key = event
            .routing_key
            .as_deref()
            .ok_or_else(ApiError::unauthorized)?;
        let integration = integration_for(&state, key).ok_or_else(ApiError::unauthorized)?;
        Sender { integration }
    };
    let now = crate::clock::now();
    let key = event
        .key(|| hex::encode(rand::random::<[u8; 16]>()))
        .map_err(|e| ApiError::bad_request(e.to_string()))?;
    let existing = state
        .store
        .firing_alerts_with_label(&sender.integration, "dedup_key", &key, now)
        .await?;
    match event.event_action {
        EventAction::Trigger => {
            let alert = event
                .into_alert(&key, now)
                .map_err(|e| ApiError::bad_request(e.to_string()))?;
            // The dedup key names the alert: an alert under the same key with
            // other labels (a new severity, say) is replaced.
            let mut items: Vec<Incoming> = existing
                .iter()
                .filter(|old| old.fingerprint != alert.fingerprint())
                .map(|old| Incoming::Resolve {
                    fingerprint: old.fingerprint,
                    at: now,
                })
                .collect();
            items.push(Incoming::Alert {
                alert,
                integration: sender.integration.clone(),
            });
            submit(&state, items).await?;
        }
        EventAction::Resolve => {
            let items = existing
                .iter()
                .map(|old| Incoming::Resolve {
                    fingerprint: old.fingerprint,
                    at: now,
                })
                .collect();
            submit(&state, items).await?;
        }
        EventAction::Acknowledge => {
            for alert in &existing {
                for page in open_pages_for(&state, alert).await? {
                    state
                        .store
                        .acknowledge_page(page, &sender.integration, now)
                        .await?;
                }
            }
        }
    }
    Ok((
        StatusCode::ACCEPTED,
        axum::Json(json!({ "status": "success", "message": "Event processed", "dedup_key": key })),
    ))
}

async fn submit(state: &AppState, items: Vec<Incoming>) -> ApiResult<()> {
    // Alerts that match a heartbeat (a Watchdog) count as its beats.
    let now = crate::clock::now();
    let beaten = crate::heartbeat::beaten_by(state, &items, now);
    state
        .ingest
        .submit(items)
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    crate::heartbeat::record_beats(state, &beaten, now).await;
    Ok(())
}

/// `POST /api/v1/webhooks/alertmanager`: an Alertmanager's webhook
/// notification (version 4). Firing alerts fire until a resolved
/// notification arrives.
pub(crate) async fn post_alertmanager_webhook(
    sender: Sender,
    State(state): State<AppState>,
    Json(message): Json<WebhookMessage>,
) -> ApiResult<StatusCode> {
    message.check_version().map_err(ApiError::bad_request)?;
    let now = crate::clock::now();
    let mut items = Vec::new();
    let mut invalid = Vec::new();
    let count = message.alerts.len();
    for (index, alert) in message.alerts.into_iter().enumerate() {
        match alert.into_alert(now) {
            Ok(alert) => items.push(Incoming::Alert {
                alert,
                integration: sender.integration.clone(),
            }),
            Err(error) => invalid.push(json!({ "index": index, "error": error })),
        }
    }
    let stored = items.len();
    submit(&state, items).await?;
    if invalid.is_empty() {
        Ok(StatusCode::OK)
    } else {
        Err(ApiError::bad_request(format!(
            "{} of {count} alerts are invalid; the {stored} valid ones were stored",
            invalid.len()
        ))
        .with_detail(Value::Array(invalid)))
    }
}

/// The open pages an alert is in: those that hold it, and those of the
/// groups its routes put it in (it may have joined since the last look).
async fn open_pages_for(state: &AppState, alert: &StoredAlert) -> ApiResult<BTreeSet<i64>> {
    let mut pages: BTreeSet<i64> = state
        .store
        .open_pages_with_alert(alert.id)
        .await?
        .iter()
        .map(|p| p.id)
        .collect();
    let config = state.config.current();
    for route in config.config.routes.matching(&alert.labels) {
        let open = state
            .store
            .pages(&PageFilter {
                group_key: Some(route.group_key(&alert.labels)),
                states: vec![
                    PageState::Triggered,
                    PageState::Acknowledged,
                    PageState::Open,
                ],
                limit: 10,
                ..PageFilter::default()
            })
            .await?;
        pages.extend(open.iter().map(|p| p.id));
    }
    Ok(pages)
}
