//! The configured objects as the server sees them (secrets and contact
//! addresses left out).

use crate::auth::{Auth, need};
use crate::state::AppState;
use axum::Json;
use axum::extract::State;
use pagerbound_core::UrgencyRule;
use serde_json::{Value, json};

pub(crate) async fn teams(_auth: Auth<need::Viewer>, State(state): State<AppState>) -> Json<Value> {
    let running = state.config.current();
    let teams: Vec<Value> = running
        .config
        .teams
        .values()
        .map(|t| json!({ "name": t.name, "description": t.description, "members": t.members }))
        .collect();
    Json(json!(teams))
}

pub(crate) async fn users(_auth: Auth<need::Viewer>, State(state): State<AppState>) -> Json<Value> {
    let running = state.config.current();
    let users: Vec<Value> = running
        .config
        .users
        .values()
        .map(|u| {
            json!({
                "name": u.name,
                "full_name": u.full_name,
                "email": u.email,
                "time_zone": u.time_zone.iana_name(),
                "contact_methods": u.contact_methods.iter()
                    .map(|c| json!({ "name": c.name, "channel": c.channel }))
                    .collect::<Vec<_>>(),
                // As configured: an empty list means every method at once.
                "notification_rules": {
                    "high": rules(&u.notification_rules.high),
                    "low": rules(&u.notification_rules.low),
                },
            })
        })
        .collect();
    Json(json!(users))
}

/// `[{contact, after_seconds}]`: when each method is used for a page.
fn rules(rules: &[pagerbound_core::NotificationRule]) -> Vec<Value> {
    rules
        .iter()
        .map(|rule| json!({ "contact": rule.contact, "after_seconds": rule.after.as_secs() }))
        .collect()
}

pub(crate) async fn services(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> Json<Value> {
    let running = state.config.current();
    let services: Vec<Value> = running
        .config
        .services
        .values()
        .map(|s| {
            let support_hours = s.support_hours.as_ref().map(|hours| {
                json!({
                    "time_zone": hours.time_zone.iana_name(),
                    "windows": hours.windows.iter().map(|w| json!({
                        "days": w.days.to_string(),
                        "start": w.start.strftime("%H:%M").to_string(),
                        "end": w.end.strftime("%H:%M").to_string(),
                    })).collect::<Vec<_>>(),
                })
            });
            json!({
                "name": s.name,
                "team": s.team,
                "description": s.description,
                "runbook": s.runbook,
                "support_hours": support_hours,
                "escalation_policy": s.escalation_policy,
                "urgency": match s.urgency {
                    UrgencyRule::High => "high",
                    UrgencyRule::Low => "low",
                    UrgencyRule::SupportHours => "support_hours",
                },
                "urgency_now": s.urgency_at(crate::clock::now()),
                "hold_tickets": s.hold_tickets,
            })
        })
        .collect();
    Json(json!(services))
}

/// `GET /api/v1/escalation_policies`: each policy's steps, as configured.
pub(crate) async fn escalation_policies(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> Json<Value> {
    let running = state.config.current();
    let policies: Vec<Value> = running
        .config
        .escalation_policies
        .values()
        .map(|p| {
            json!({
                "name": p.name,
                "repeat": p.repeat,
                "escalate_low_urgency": p.escalate_low_urgency,
                "steps": p.steps.iter().map(|step| json!({
                    "notify": step.targets,
                    "escalate_after": step.escalate_after,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    Json(json!(policies))
}

pub(crate) async fn channels(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> Json<Value> {
    let running = state.config.current();
    let channels: Vec<Value> = running
        .config
        .channels
        .values()
        .map(|c| json!({ "name": c.name, "type": c.kind.type_name() }))
        .collect();
    Json(json!(channels))
}

pub(crate) async fn integrations(
    _auth: Auth<need::Viewer>,
    State(state): State<AppState>,
) -> Json<Value> {
    let running = state.config.current();
    let integrations: Vec<Value> = running
        .config
        .integrations
        .values()
        .map(|i| json!({ "name": i.name, "description": i.description }))
        .collect();
    Json(json!(integrations))
}
