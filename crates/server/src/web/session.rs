//! Who is looking: signing in, sessions and CSRF protection for the web UI.
//!
//! Signing in checks a user's password (set with `pagerbound user
//! set-password`) and opens a session: a random token in an HttpOnly,
//! SameSite=Lax cookie (Secure when the external URL is HTTPS), of which
//! the store keeps only a digest. The role comes with the password, so a
//! viewer signed in to the UI can look but not act, as with API tokens.
//!
//! Every form carries the session's CSRF token in a hidden `csrf` field and
//! is refused without it. Lax cookies alone would still let another site
//! post a form at us from a top-level navigation; a token it cannot read
//! stops that. The sign-in form, which has no session yet, carries a token
//! that must match a short-lived cookie of its own (a double submit).

use super::error::WebError;
use crate::auth::need::Need;
use crate::error::ApiError;
use crate::state::AppState;
use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::header::{COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Role;
use pagerbound_core::token::{TokenDigest, TokenKind, format_token};
use pagerbound_store::NewSession;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use std::marker::PhantomData;

/// The session cookie.
pub const SESSION_COOKIE: &str = "pb_session";
/// The sign-in form's own CSRF cookie.
pub const SIGN_IN_COOKIE: &str = "pb_sign_in";
/// How long a session lasts. Long enough that a person on call is not sent
/// to the sign-in form at 3 a.m. in the middle of a week's shift.
pub const SESSION_LENGTH: SignedDuration = SignedDuration::from_hours(8 * 24);

/// The value of cookie `name`, if the request carries it.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value.trim_matches('"'))
}

/// A `Set-Cookie` value: HttpOnly and SameSite always, Secure when the UI
/// is served over HTTPS. `max_age` zero deletes the cookie.
pub fn set_cookie(
    state: &AppState,
    name: &str,
    value: &str,
    path: &str,
    same_site: &str,
    max_age: SignedDuration,
) -> HeaderValue {
    let secure = if state.settings.external_url.scheme() == "https" {
        "; Secure"
    } else {
        ""
    };
    let text = format!(
        "{name}={value}; Path={path}; Max-Age={}; HttpOnly; SameSite={same_site}{secure}",
        max_age.as_secs()
    );
    // Our own names and hex tokens: always a valid header value.
    HeaderValue::from_str(&text).unwrap_or(HeaderValue::from_static(""))
}

/// A random token that is not a credential (CSRF tokens).
pub fn random_hex() -> String {
    hex::encode(rand::random::<[u8; 32]>())
}

/// Compares two tokens without an early exit.
pub fn same_token(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// Opens a session for `user` with `role`; answers the cookie to set.
pub async fn open(
    state: &AppState,
    user: &str,
    role: Role,
    now: Timestamp,
) -> Result<HeaderValue, ApiError> {
    let token = format_token(TokenKind::Session, rand::random());
    state
        .store
        .create_session(&NewSession {
            digest: TokenDigest::of(&token),
            user: user.to_owned(),
            role,
            csrf: random_hex(),
            created_at: now,
            expires_at: now + SESSION_LENGTH,
        })
        .await?;
    Ok(set_cookie(
        state,
        SESSION_COOKIE,
        &token,
        "/",
        "Lax",
        SESSION_LENGTH,
    ))
}

/// A signed-in person, who holds at least the role `N` asks for. Pages
/// that need a session take this; without one the browser is sent to the
/// sign-in form and brought back afterwards.
pub struct SignedIn<N = crate::auth::need::Viewer> {
    pub user: String,
    pub role: Role,
    /// The token this session's forms carry.
    pub csrf: String,
    pub digest: TokenDigest,
    need: PhantomData<N>,
}

impl<N> SignedIn<N> {
    /// Whether this person may act on pages (ack, resolve, silence).
    pub fn can_respond(&self) -> bool {
        self.role.allows(Role::Responder)
    }
}

impl<N: Need> FromRequestParts<AppState> for SignedIn<N> {
    type Rejection = WebError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, WebError> {
        let sign_in = || WebError::sign_in(parts);
        let token = cookie(&parts.headers, SESSION_COOKIE).ok_or_else(sign_in)?;
        let digest = TokenDigest::of(token);
        let session = state
            .store
            .find_session(&digest, crate::clock::now())
            .await
            .map_err(|e| WebError::from(ApiError::from(e)))?
            .ok_or_else(sign_in)?;
        // A user removed from the configuration loses access with it.
        if !state
            .config
            .current()
            .config
            .users
            .contains_key(&session.user)
        {
            return Err(sign_in());
        }
        if !session.role.allows(N::ROLE) {
            return Err(ApiError::forbidden(format!(
                "this needs the {} role; you are signed in as {} with the {} role",
                N::ROLE,
                session.user,
                session.role
            ))
            .into());
        }
        Ok(SignedIn {
            user: session.user,
            role: session.role,
            csrf: session.csrf,
            digest,
            need: PhantomData,
        })
    }
}

#[derive(Deserialize)]
struct CsrfField {
    csrf: Option<String>,
}

/// A form with nothing but its CSRF token (sign out, expire, remove).
#[derive(Debug, Deserialize)]
pub struct NoFields {}

/// A form posted by a signed-in person holding role `N`, with a valid CSRF
/// token: what every state-changing request of the UI goes through.
pub struct WebForm<N, T> {
    pub signed_in: SignedIn<N>,
    pub form: T,
}

impl<N: Need, T: DeserializeOwned> FromRequest<AppState> for WebForm<N, T> {
    type Rejection = WebError;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, WebError> {
        let (mut parts, body) = request.into_parts();
        let signed_in = SignedIn::<N>::from_request_parts(&mut parts, state).await?;
        let request = Request::from_parts(parts, body);
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|e| ApiError::bad_request(format!("cannot read the form: {e}")))?;
        check_csrf(&bytes, &signed_in.csrf)?;
        let form = serde_urlencoded::from_bytes::<T>(&bytes)
            .map_err(|e| ApiError::bad_request(format!("the form is not valid: {e}")))?;
        Ok(WebForm { signed_in, form })
    }
}

/// Refuses a form whose `csrf` field is missing or is not `expected`.
pub fn check_csrf(body: &[u8], expected: &str) -> Result<(), ApiError> {
    let presented = serde_urlencoded::from_bytes::<CsrfField>(body)
        .ok()
        .and_then(|field| field.csrf);
    match presented {
        Some(token) if same_token(&token, expected) => Ok(()),
        _ => Err(ApiError::forbidden(
            "this form is out of date or did not come from pagerbound: reload the page and try again",
        )),
    }
}

/// Whether htmx sent the request (it then swaps the answer into the page).
pub fn from_htmx(headers: &HeaderMap) -> bool {
    headers.contains_key("hx-request")
}

/// The header to end a session's cookie with.
pub fn clear(state: &AppState, name: &str, path: &str) -> (axum::http::HeaderName, HeaderValue) {
    (
        SET_COOKIE,
        set_cookie(state, name, "", path, "Lax", SignedDuration::ZERO),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_cookies_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            COOKIE,
            HeaderValue::from_static("a=1; pb_session=pbs_x ; b=2"),
        );
        headers.append(COOKIE, HeaderValue::from_static("c=3"));
        assert_eq!(cookie(&headers, "pb_session"), Some("pbs_x"));
        assert_eq!(cookie(&headers, "c"), Some("3"));
        assert_eq!(cookie(&headers, "pb"), None);
    }

    #[test]
    fn csrf_tokens_must_match_exactly() {
        assert!(check_csrf(b"csrf=abc&x=1", "abc").is_ok());
        assert!(check_csrf(b"x=1&csrf=abd", "abc").is_err());
        assert!(check_csrf(b"x=1", "abc").is_err());
        assert!(check_csrf(b"csrf=ab", "abc").is_err());
        assert!(check_csrf(b"\xff\xfe", "abc").is_err());
    }
}
