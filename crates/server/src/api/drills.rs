//! Drills over HTTP: `POST /api/v1/drills` sends a practice page through
//! the real path, `GET /api/v1/drills` is the drill report.

use crate::auth::{Auth, need};
use crate::error::{ApiError, ApiResult};
use crate::extract::{Json, Query};
use crate::ingest::Incoming;
use crate::state::AppState;
use axum::extract::State;
use axum::http::StatusCode;
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_core::alert::{Alert, Labels};
use pagerbound_core::drill::drill_labels;
use pagerbound_core::routing::Class;
use pagerbound_store::{Drill, NotificationFilter, NotificationState};
use serde::Deserialize;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// How long a drill's alert fires unless it is resolved first.
const DRILL_FIRES_FOR: SignedDuration = SignedDuration::from_hours(1);

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct NewDrill {
    service: String,
    /// Labels that steer the drill to the route that pages the service,
    /// e.g. `{"slo": "availability"}`.
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// `POST /api/v1/drills`: records a drill and sends its alert through
/// ingest like any other, so that it takes the real route, escalation
/// policy, schedules, notification rules and channels. Refused (422, with
/// the routes that would page the service) when the labels do not route
/// it to a page of that service.
pub(crate) async fn start(
    auth: Auth<need::Responder>,
    State(state): State<AppState>,
    Json(request): Json<NewDrill>,
) -> ApiResult<(StatusCode, axum::Json<Value>)> {
    let running = state.config.current();
    let config = &running.config;
    if !config.services.contains_key(&request.service) {
        return Err(ApiError::not_found(format!(
            "service `{}` is not configured",
            request.service
        )));
    }
    let extra = Labels::checked("label", request.labels).map_err(ApiError::bad_request)?;
    let labels = drill_labels(&request.service, &extra, None);
    let routes = paging_routes(config, &request.service, &labels)?;
    let now = crate::clock::now();
    let drill = state
        .store
        .start_drill(&request.service, &auth.caller.user, now)
        .await?;
    let labels = drill_labels(&request.service, &extra, Some(drill.id));
    let annotations: Labels = [
        (
            "summary",
            format!("Drill: a practice page for {}", request.service),
        ),
        (
            "description",
            format!(
                "This is drill {} started by {}. Nothing is broken. Acknowledge it as you would a real page, find the runbook, then resolve it.",
                drill.id, auth.caller.user
            ),
        ),
    ]
    .into_iter()
    .collect();
    let alert = Alert {
        labels: labels.clone(),
        annotations,
        starts_at: now,
        ends_at: now.checked_add(DRILL_FIRES_FOR).ok(),
        timeout: false,
        generator_url: None,
    };
    state
        .ingest
        .submit(vec![Incoming::Alert {
            alert,
            integration: "drill".to_owned(),
        }])
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    tracing::info!(drill = drill.id, service = %request.service, by = %auth.caller.user, "Drill started.");
    Ok((
        StatusCode::CREATED,
        axum::Json(json!({
            "id": drill.id,
            "service": drill.service,
            "started_by": drill.started_by,
            "started_at": drill.started_at,
            "labels": labels,
            "routes": routes,
        })),
    ))
}

/// The ids of the routes the drill's labels take that page `service`, or
/// a 422 that says which would.
fn paging_routes(config: &Config, service: &str, labels: &Labels) -> ApiResult<Vec<String>> {
    let matched = config.routes.matching(labels);
    let paging: Vec<String> = matched
        .iter()
        .filter(|r| r.service == service && r.class == Class::Page)
        .map(|r| r.id.clone())
        .collect();
    if !paging.is_empty() {
        return Ok(paging);
    }
    let took: Vec<String> = matched
        .iter()
        .map(|r| format!("{} ({})", r.id, r.receiver()))
        .collect();
    let would: Vec<String> = config
        .routes
        .walk()
        .into_iter()
        .filter(|r| r.service == service && r.class == Class::Page)
        .map(|r| format!("{} [{}]", r.id, r.matchers))
        .collect();
    let hint = if would.is_empty() {
        format!("no route pages `{service}`; a drill practises a page, so add one")
    } else {
        format!(
            "routes that page `{service}`: {}; add labels that match one",
            would.join(", ")
        )
    };
    Err(ApiError::unprocessable(format!(
        "a drill for `{service}` with labels {labels} takes {} and is not a page of `{service}`; {hint}",
        took.join(", ")
    )))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ReportQuery {
    limit: Option<u32>,
}

/// `GET /api/v1/drills?limit=`: the latest drills (20 by default), each
/// with its page, the time to its first notification delivered to a
/// person and the
/// time to acknowledgement, counted from when the drill started.
pub(crate) async fn report(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
    Query(query): Query<ReportQuery>,
) -> ApiResult<axum::Json<Value>> {
    let limit = query.limit.unwrap_or(20).clamp(1, 500);
    let drills = state.store.drills(limit).await?;
    let mut report = Vec::with_capacity(drills.len());
    for drill in &drills {
        report.push(drill_report(&state, drill).await?);
    }
    Ok(axum::Json(json!(report)))
}

async fn drill_report(state: &AppState, drill: &Drill) -> ApiResult<Value> {
    let seconds =
        |at: Option<Timestamp>| at.map(|at| at.duration_since(drill.started_at).as_secs_f64());
    let page = match drill.page_id {
        Some(id) => state.store.page(id).await?,
        None => None,
    };
    let first_notified_at = match &page {
        Some(page) => state
            .store
            .notifications(&NotificationFilter {
                page_id: Some(page.id),
                states: vec![NotificationState::Delivered],
                limit: 500,
            })
            .await?
            .iter()
            // "Did they get paged?": a person, not the team's channel.
            .filter(|n| n.destination.user.is_some())
            .filter_map(|n| n.delivered_at)
            .min(),
        None => None,
    };
    let acknowledged_at = page.as_ref().and_then(|p| p.acknowledged_at);
    Ok(json!({
        "id": drill.id,
        "service": drill.service,
        "started_by": drill.started_by,
        "started_at": drill.started_at,
        "page_id": drill.page_id,
        "state": page.as_ref().map(|p| p.state.as_str()),
        "first_notified_at": first_notified_at,
        "time_to_first_notification_seconds": seconds(first_notified_at),
        "acknowledged_at": acknowledged_at,
        "acknowledged_by": page.as_ref().and_then(|p| p.acknowledged_by.clone()),
        "time_to_ack_seconds": seconds(acknowledged_at),
    }))
}
