//! The web UI: server-rendered pages for the on-call person, in a browser
//! tab or on a phone at 3 a.m.
//!
//! Pages are askama templates compiled into the binary; the stylesheet
//! and a vendored htmx are served from `/assets/`. Every view that only
//! reads works without JavaScript; with it, htmx makes buttons answer in
//! place. Every page needs a session ([`session`]) except the sign-in form;
//! every form carries a CSRF token.

mod alerts;
pub mod assets;
pub mod chart;
mod config;
pub mod error;
mod now;
mod pages;
mod schedules;
pub mod session;
mod sign_in;
mod silences;
mod slos;
pub mod templates;

use crate::state::AppState;
use axum::Router;
use axum::routing::{get, post};
use tower_http::compression::CompressionLayer;

pub(crate) fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(now::now))
        .route("/pages", get(pages::list))
        .route("/pages/{id}", get(pages::show))
        .route("/pages/{id}/{action}", post(pages::act))
        .route("/schedules", get(schedules::list))
        .route("/schedules/{name}", get(schedules::show))
        .route("/schedules/{name}/overrides", post(schedules::add_override))
        .route(
            "/schedules/{name}/overrides/{id}/remove",
            post(schedules::remove_override),
        )
        .route("/alerts", get(alerts::list))
        .route("/silences", get(silences::list).post(silences::create))
        .route("/silences/new", get(silences::form).post(silences::preview))
        .route("/silences/{id}/expire", post(silences::expire))
        .route("/slos", get(slos::list))
        .route("/slos/{name}", get(slos::show))
        .route("/config", get(config::show))
        .route("/config/reload", post(config::reload))
        .route("/login", get(sign_in::form).post(sign_in::submit))
        .route("/logout", post(sign_in::sign_out))
        .route("/assets/{file}", get(assets::asset))
        // Pages and assets shrink to a quarter or less; only the UI's
        // answers are compressed, the API's stay as they were measured.
        .layer(CompressionLayer::new())
}
