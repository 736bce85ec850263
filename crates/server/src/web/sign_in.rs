//! The sign-in form and signing out.

use super::error::{WebResult, local_path};
use super::session::{
    NoFields, SESSION_COOKIE, SIGN_IN_COOKIE, WebForm, check_csrf, clear, cookie, random_hex,
    set_cookie,
};
use super::templates::{Chrome, render};
use crate::auth::need;
use crate::error::ApiError;
use crate::state::AppState;
use askama::Template;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::header::{LOCATION, SET_COOKIE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use jiff::SignedDuration;
use serde::Deserialize;

/// How long the sign-in form may stay open before it must be reloaded.
const FORM_LIFETIME: SignedDuration = SignedDuration::from_hours(1);

#[derive(Template)]
#[template(path = "login.html")]
struct SignInPage<'a> {
    csrf: &'a str,
    next: &'a str,
    user: &'a str,
    error: Option<&'a str>,
    chrome: Option<Chrome>,
}

#[derive(Deserialize)]
pub struct NextQuery {
    next: Option<String>,
}

/// `GET /login`: the form, with a fresh token in a cookie scoped to it.
pub async fn form(State(state): State<AppState>, Query(query): Query<NextQuery>) -> Response {
    let csrf = random_hex();
    let page = SignInPage {
        csrf: &csrf,
        next: local_path(query.next.as_deref()),
        user: "",
        error: None,
        chrome: None,
    };
    (
        [(SET_COOKIE, sign_in_cookie(&state, &csrf))],
        Html(render(&page)),
    )
        .into_response()
}

fn sign_in_cookie(state: &AppState, csrf: &str) -> axum::http::HeaderValue {
    // Strict: the form's token never needs to travel with a navigation
    // from elsewhere.
    set_cookie(
        state,
        SIGN_IN_COOKIE,
        csrf,
        "/login",
        "Strict",
        FORM_LIFETIME,
    )
}

#[derive(Deserialize)]
struct Credentials {
    user: String,
    password: String,
    next: Option<String>,
}

/// `POST /login`: checks the password and opens a session.
pub async fn submit(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Bytes,
) -> WebResult<Response> {
    let expected = cookie(&headers, SIGN_IN_COOKIE).unwrap_or_default();
    if expected.is_empty() {
        return Err(ApiError::forbidden(
            "the sign-in form expired or cookies are blocked: reload the sign-in page and try again",
        )
        .into());
    }
    check_csrf(&body, expected)?;
    let credentials: Credentials = serde_urlencoded::from_bytes(&body)
        .map_err(|e| ApiError::bad_request(format!("the form is not valid: {e}")))?;
    let next = local_path(credentials.next.as_deref()).to_owned();
    let stored = state.store.password(credentials.user.trim()).await?;
    let known = state
        .config
        .current()
        .config
        .users
        .contains_key(credentials.user.trim());
    let password = credentials.password;
    let role = match stored.filter(|_| known) {
        Some(stored) => {
            let hash = stored.hash.clone();
            let matches =
                tokio::task::spawn_blocking(move || crate::passwords::verify(&password, &hash))
                    .await
                    .map_err(ApiError::internal)?;
            matches.then_some(stored.role)
        }
        None => {
            tokio::task::spawn_blocking(move || crate::passwords::verify_nobody(&password))
                .await
                .map_err(ApiError::internal)?;
            None
        }
    };
    let Some(role) = role else {
        tracing::info!(user = %credentials.user, "A sign-in was refused.");
        // One answer for an unknown user and a wrong password.
        let csrf = random_hex();
        let page = SignInPage {
            csrf: &csrf,
            next: &next,
            user: &credentials.user,
            error: Some("That user name and password do not match."),
            chrome: None,
        };
        return Ok((
            StatusCode::UNAUTHORIZED,
            [(SET_COOKIE, sign_in_cookie(&state, &csrf))],
            Html(render(&page)),
        )
            .into_response());
    };
    let user = credentials.user.trim();
    let session = super::session::open(&state, user, role, crate::clock::now()).await?;
    tracing::info!(user = %user, role = %role, "Signed in to the web UI.");
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, next)]).into_response();
    let headers = response.headers_mut();
    headers.append(SET_COOKIE, session);
    let (name, value) = clear(&state, SIGN_IN_COOKIE, "/login");
    headers.append(name, value);
    Ok(response)
}

/// `POST /logout`: ends the session, here and in the store.
pub async fn sign_out(
    State(state): State<AppState>,
    WebForm { signed_in, .. }: WebForm<need::Viewer, NoFields>,
) -> WebResult<Response> {
    state.store.end_session(&signed_in.digest).await?;
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, "/login")]).into_response();
    let (name, value) = clear(&state, SESSION_COOKIE, "/");
    response.headers_mut().append(name, value);
    Ok(response)
}
