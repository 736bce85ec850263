//! The HTTP API: health, metrics and reload at the root, Alertmanager's
//! API under `/api/v2`, pagerbound's own under `/api/v1`.

pub(crate) mod alertmanager;
mod alerts;
mod config;
mod drills;
mod events;
mod health;
mod heartbeats;
mod listing;
mod maintenance;
mod notifications;
mod operate;
mod pages;
pub(crate) mod respond;
pub(crate) mod schedules;
pub(crate) mod slos;
mod status;
mod tokens;

pub(crate) use schedules::schedule;

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
        .route(
            "/api/v1/escalation_policies",
            get(config::escalation_policies),
        )
        .route("/api/v1/channels", get(config::channels))
        .route("/api/v1/drills", get(drills::report).post(drills::start))
        .route("/api/v1/integrations", get(config::integrations))
        .route("/api/v1/slos", get(slos::list))
        .route("/api/v1/slos/{name}", get(slos::show))
        .route("/api/v1/slis/{name}/events", post(slos::push))
        .route("/api/v1/tokens", get(tokens::list).post(tokens::create))
        .route("/api/v1/tokens/{id}", delete(tokens::revoke))
        .route(
            "/api/v2/alerts",
            post(alertmanager::post_alerts).get(alertmanager::get_alerts),
        )
        .route("/api/v2/alerts/groups", get(alertmanager::get_alert_groups))
        .route(
            "/api/v2/silences",
            post(alertmanager::post_silence).get(alertmanager::get_silences),
        )
        .route(
            "/api/v2/silence/{id}",
            get(alertmanager::get_silence).delete(alertmanager::delete_silence),
        )
        .route("/api/v2/status", get(alertmanager::status))
        .route("/api/v2/receivers", get(alertmanager::receivers))
        .route("/api/v1/events", post(events::post_event))
        .route(
            "/api/v1/webhooks/alertmanager",
            post(events::post_alertmanager_webhook),
        )
        .route("/api/v1/alerts", get(alerts::history))
        .route("/api/v1/pages", get(pages::list_pages))
        .route("/api/v1/pages/{id}", get(pages::show))
        .route("/api/v1/tickets", get(pages::list_tickets))
        .route("/api/v1/tickets/{id}", get(pages::show))
        .route("/api/v1/pages/{id}/{action}", post(respond::page))
        .route("/api/v1/tickets/{id}/{action}", post(respond::ticket))
        .route(
            "/a/{token}",
            get(crate::action_links::confirm).post(crate::action_links::act),
        )
        .route(
            "/api/v1/maintenance",
            get(maintenance::list).post(maintenance::create),
        )
        .route("/api/v1/maintenance/{id}", delete(maintenance::end))
        .route("/api/v1/notices", get(maintenance::notices))
        .route("/api/v1/notifications", get(notifications::list))
        .route("/api/v1/heartbeat/{name}", post(heartbeats::beat))
        .route("/api/v1/heartbeats", get(heartbeats::list))
        .route("/api/v1/oncall", get(schedules::on_call))
        .route("/api/v1/schedules", get(schedules::list))
        .route("/api/v1/schedules/{name}", get(schedules::show))
        .route("/api/v1/schedules/{name}/shifts", get(schedules::shifts))
        .route(
            "/api/v1/schedules/{name}/overrides",
            get(schedules::list_overrides).post(schedules::add_overrides),
        )
        .route("/api/v1/overrides/{id}", delete(schedules::remove_override))
        .route(
            "/api/v1/schedules/{name}/calendar.ics",
            get(crate::calendar::schedule_calendar),
        )
        .route(
            "/api/v1/users/{name}/oncall.ics",
            get(crate::calendar::user_calendar),
        )
        .route("/api/v1/users/{name}/oncall", get(schedules::user_on_call))
}
