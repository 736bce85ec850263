//! Configuration: which files are in force, since when, what warnings
//! they carry, and how the last reload went (its errors, when a
//! configuration was refused and the running one stayed). Admins can
//! reload from here, as with `POST /-/reload` or SIGHUP.

use super::error::WebResult;
use super::session::{NoFields, SignedIn, WebForm, from_htmx};
use super::templates::{Chrome, Frame, framed, html};
use crate::auth::need;
use crate::reload::ReloadOutcome;
use crate::state::AppState;
use askama::Template;
use axum::extract::State;
use axum::http::header::LOCATION;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use jiff::Timestamp;
use pagerbound_config::Diagnostic;

#[derive(Template)]
#[template(path = "config.html")]
struct ConfigPage {
    chrome: Option<Chrome>,
    path: String,
    files: Vec<String>,
    loaded_at: Timestamp,
    generation: u64,
    warnings: Vec<Diagnostic>,
    last_reload: Option<ReloadOutcome>,
    /// `(what, how many)` of each kind of object.
    counts: Vec<(&'static str, usize)>,
}

framed!(ConfigPage);

/// `GET /config`.
pub async fn show(State(state): State<AppState>, signed_in: SignedIn) -> WebResult<Response> {
    Ok(page(&state, Chrome::new(&state, &signed_in, "config")))
}

fn page(state: &AppState, chrome: Chrome) -> Response {
    let running = state.config.current();
    let config = &running.config;
    let counts = vec![
        ("teams", config.teams.len()),
        ("users", config.users.len()),
        ("services", config.services.len()),
        ("channels", config.channels.len()),
        ("integrations", config.integrations.len()),
        ("schedules", config.schedules.len()),
        ("escalation policies", config.escalation_policies.len()),
        ("SLOs", config.slos.len()),
        ("probes", config.probes.len()),
    ];
    html(&ConfigPage {
        chrome: Some(chrome),
        path: state.config.path().display().to_string(),
        files: config
            .files
            .iter()
            .map(|f| f.display().to_string())
            .collect(),
        loaded_at: running.loaded_at,
        generation: running.generation,
        warnings: running.warnings.clone(),
        last_reload: state.config.last_reload(),
        counts,
    })
}

/// `POST /config/reload` (admins): reads the configuration again; the page
/// then shows how it went.
pub async fn reload(
    State(state): State<AppState>,
    headers: HeaderMap,
    WebForm { signed_in, .. }: WebForm<need::Admin, NoFields>,
) -> WebResult<Response> {
    tracing::info!(user = %signed_in.user, "Configuration reload requested from the web UI.");
    state.config.reload().await;
    if from_htmx(&headers) {
        return Ok(page(&state, Chrome::new(&state, &signed_in, "config")));
    }
    Ok((StatusCode::SEE_OTHER, [(LOCATION, "/config")]).into_response())
}
