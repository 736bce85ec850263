//! Signed action links: a URL in a notification that acknowledges (or
//! resolves) exactly one page, for one person, until it expires.
//!
//! The token is `base64url(payload) "." base64url(HMAC-SHA256(key,
//! payload))`; the payload is JSON naming the page, the action, the user
//! and the expiry. The signature is the only authority: no API token is
//! needed, so a link is worthless for anything but what it says. The key is
//! a random secret made on first use and kept in the database, so that all
//! instances on one PostgreSQL sign and verify alike.
//!
//! `GET /a/{token}` only shows what the link would do: chat apps and mail
//! scanners fetch links on their own, and that must never ack a page.
//! `POST /a/{token}` acts (an ntfy `http` action can POST it directly).

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, KeyInit, Mac};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::routing::Class;
use pagerbound_store::{Actor, Page, PageState, Response as PageResponse, Store, StoreError};
use serde::{Deserialize, Serialize};
use sha2::Sha256;
use tokio::sync::OnceCell;
use url::Url;

/// How long a link works unless said otherwise.
pub const DEFAULT_TTL: SignedDuration = SignedDuration::from_hours(24);
/// The name of the signing key in the store's secrets.
const SECRET: &str = "action-link-key";
/// Signed before the payload, so that the key signs nothing else.
const DOMAIN: &[u8] = b"pagerbound action link v1\n";
/// Calendar feed tokens are MACs under the same key in their own domain,
/// so that no feed token is ever a valid action link or the reverse.
const FEED_DOMAIN: &[u8] = b"pagerbound calendar feed v1\n";
/// Tokens longer than this are not ours; refused before any work.
const MAX_TOKEN: usize = 1024;

/// What a link does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LinkAction {
    #[serde(rename = "ack")]
    Acknowledge,
    Resolve,
}

impl LinkAction {
    fn verb(self) -> &'static str {
        match self {
            LinkAction::Acknowledge => "Acknowledge",
            LinkAction::Resolve => "Resolve",
        }
    }
}

/// What a link says, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    #[serde(rename = "p")]
    pub page: i64,
    #[serde(rename = "a")]
    pub action: LinkAction,
    /// Who the link was sent to; `None` for a shared channel.
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// Expiry, in seconds since the epoch.
    #[serde(rename = "e")]
    pub expires: i64,
}

/// Why a token was refused. Each says what to do next.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error(
        "this link is not a valid pagerbound action link; it may have been cut short when copied"
    )]
    Malformed,
    #[error("this link's signature does not match; it was changed or made by another server")]
    BadSignature,
    #[error("this link expired at {0}; act from the API or the command line instead")]
    Expired(Timestamp),
}

/// The signing key.
#[derive(Clone)]
pub struct Key(Vec<u8>);

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Key(..)")
    }
}

impl Key {
    pub fn new(bytes: Vec<u8>) -> Key {
        Key(bytes)
    }

    /// Reads the key from the store, making it on first use.
    pub async fn load(store: &dyn Store) -> Result<Key, StoreError> {
        let candidate: [u8; 32] = rand::random();
        store.secret_or_insert(SECRET, &candidate).await.map(Key)
    }

    fn mac(&self, payload: &[u8]) -> Hmac<Sha256> {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(DOMAIN);
        mac.update(payload);
        mac
    }

    pub fn sign(&self, claims: &Claims) -> String {
        let payload = serde_json::to_vec(claims).expect("claims serialize");
        let signature = self.mac(&payload).finalize().into_bytes();
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&payload),
            URL_SAFE_NO_PAD.encode(signature)
        )
    }

    /// The claims of a token signed with this key that has not expired.
    pub fn verify(&self, token: &str, now: Timestamp) -> Result<Claims, LinkError> {
        if token.len() > MAX_TOKEN {
            return Err(LinkError::Malformed);
        }
        let (payload, signature) = token.split_once('.').ok_or(LinkError::Malformed)?;
        let payload = URL_SAFE_NO_PAD
            .decode(payload)
            .map_err(|_| LinkError::Malformed)?;
        let signature = URL_SAFE_NO_PAD
            .decode(signature)
            .map_err(|_| LinkError::Malformed)?;
        // Checked in constant time, before the payload is trusted at all.
        self.mac(&payload)
            .verify_slice(&signature)
            .map_err(|_| LinkError::BadSignature)?;
        let claims: Claims = serde_json::from_slice(&payload).map_err(|_| LinkError::Malformed)?;
        let expires = Timestamp::from_second(claims.expires).map_err(|_| LinkError::Malformed)?;
        if expires <= now {
            return Err(LinkError::Expired(expires));
        }
        Ok(claims)
    }

    /// The token in a calendar feed's URL. Feeds are read by calendar
    /// apps that cannot send a bearer token, so the URL carries one: a MAC
    /// of the feed's name, stable for as long as the key.
    pub fn feed_token(&self, feed: &str) -> String {
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(FEED_DOMAIN);
        mac.update(feed.as_bytes());
        URL_SAFE_NO_PAD.encode(mac.finalize().into_bytes())
    }

    /// Whether `token` is the feed token of `feed`, checked in constant
    /// time.
    pub fn verify_feed(&self, feed: &str, token: &str) -> bool {
        let Ok(signature) = URL_SAFE_NO_PAD.decode(token) else {
            return false;
        };
        let mut mac =
            Hmac::<Sha256>::new_from_slice(&self.0).expect("HMAC takes keys of any length");
        mac.update(FEED_DOMAIN);
        mac.update(feed.as_bytes());
        mac.verify_slice(&signature).is_ok()
    }

    /// The URL of a link under `external_url`.
    pub fn link(&self, external_url: &Url, claims: &Claims) -> Option<Url> {
        external_url.join(&format!("a/{}", self.sign(claims))).ok()
    }
}

/// The key, read from the store once and then kept: every link
/// verification would otherwise be a query.
#[derive(Debug, Default)]
pub struct KeyCache {
    key: OnceCell<Key>,
}

impl KeyCache {
    pub async fn get(&self, store: &dyn Store) -> Result<&Key, StoreError> {
        self.key.get_or_try_init(|| Key::load(store)).await
    }
}

/// The claims of a link for `page`, expiring `DEFAULT_TTL` after `now`.
pub fn claims(page: i64, action: LinkAction, user: Option<&str>, now: Timestamp) -> Claims {
    Claims {
        page,
        action,
        user: user.map(str::to_owned),
        expires: (now + DEFAULT_TTL).as_second(),
    }
}

/// `GET /a/{token}`: what the link would do, and a button to do it.
pub(crate) async fn confirm(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Response, ApiError> {
    let now = crate::clock::now();
    let key = state.action_links.get(state.store.as_ref()).await?;
    let claims = match key.verify(&token, now) {
        Ok(claims) => claims,
        Err(error) => return Ok(refused(&error)),
    };
    let Some(page) = state.store.page(claims.page).await? else {
        return Ok(gone(claims.page));
    };
    let verb = claims.action.verb();
    let body = format!(
        "<p>{verb} {what} #{id} of <b>{service}</b>: {title}</p>\
         <p>It is {state} now.</p>\
         <form method=\"post\"><button type=\"submit\">{verb}{as_user}</button></form>",
        what = kind(&page),
        id = page.id,
        service = escape(&page.service),
        title = escape(&page.title),
        state = page.state,
        as_user = claims
            .user
            .as_deref()
            .map(|u| format!(" as {}", escape(u)))
            .unwrap_or_default(),
    );
    Ok(html(StatusCode::OK, &format!("{verb} #{}", page.id), &body))
}

/// `POST /a/{token}`: does what the link says, as the link's user.
///
/// A voice call's keypress posts here too (Twilio's `<Gather>` action,
/// recognised by its `X-Twilio-Signature` header); it is answered in TwiML,
/// so that the caller hears what happened.
pub(crate) async fn act(
    State(state): State<AppState>,
    Path(token): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let outcome = perform(&state, &token).await?;
    if headers.contains_key("x-twilio-signature") {
        return Ok(outcome.spoken());
    }
    Ok(html(
        outcome.status,
        outcome.title,
        &format!("<p>{}</p>", escape(&outcome.text)),
    ))
}

/// What following a link came to, in words for a page or for a call.
struct Outcome {
    status: StatusCode,
    title: &'static str,
    text: String,
}

impl Outcome {
    fn new(status: StatusCode, title: &'static str, text: String) -> Outcome {
        Outcome {
            status,
            title,
            text,
        }
    }

    /// TwiML that says the outcome; always 200, or Twilio says only that
    /// an application error occurred.
    fn spoken(&self) -> Response {
        let twiml = format!(
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Response><Say>{}</Say></Response>",
            escape(&self.text)
        );
        (
            StatusCode::OK,
            [(axum::http::header::CONTENT_TYPE, "text/xml")],
            twiml,
        )
            .into_response()
    }
}

async fn perform(state: &AppState, token: &str) -> Result<Outcome, ApiError> {
    let now = crate::clock::now();
    let key = state.action_links.get(state.store.as_ref()).await?;
    let claims = match key.verify(token, now) {
        Ok(claims) => claims,
        Err(error) => {
            return Ok(Outcome::new(
                refusal_status(&error),
                "Link refused",
                error.to_string(),
            ));
        }
    };
    let gone = || {
        Outcome::new(
            StatusCode::NOT_FOUND,
            "No such page",
            format!("There is no page or ticket {} any more.", claims.page),
        )
    };
    let Some(before) = state.store.page(claims.page).await? else {
        return Ok(gone());
    };
    let by = claims.user.as_deref().unwrap_or("link");
    let response = match claims.action {
        LinkAction::Acknowledge => PageResponse::Acknowledge,
        LinkAction::Resolve => PageResponse::Resolve,
    };
    if let Some(why) = response.refusal(&before) {
        return Ok(Outcome::new(StatusCode::CONFLICT, "Nothing done", why));
    }
    let Some(after) = state
        .store
        .respond(claims.page, &response, Actor::by(by).via("link"), now)
        .await?
    else {
        return Ok(gone());
    };
    if after.state == before.state {
        return Ok(Outcome::new(
            StatusCode::OK,
            "Nothing to do",
            format!(
                "Nothing to do: {} #{} is already {}.",
                kind(&after),
                after.id,
                after.state
            ),
        ));
    }
    state.notifier.wake();
    Ok(Outcome::new(
        StatusCode::OK,
        "Done",
        format!(
            "Done: {} #{} is {} now, by {by}.",
            kind(&after),
            after.id,
            after.state
        ),
    ))
}

fn kind(page: &Page) -> &'static str {
    if page.class == Class::Ticket {
        "ticket"
    } else {
        "page"
    }
}

/// Expired is gone for good (410); a mangled token is the client's error
/// (400); a bad signature is a forgery (403).
fn refusal_status(error: &LinkError) -> StatusCode {
    match error {
        LinkError::Expired(_) => StatusCode::GONE,
        LinkError::Malformed => StatusCode::BAD_REQUEST,
        LinkError::BadSignature => StatusCode::FORBIDDEN,
    }
}

fn refused(error: &LinkError) -> Response {
    html(
        refusal_status(error),
        "Link refused",
        &format!("<p>{}</p>", escape(&error.to_string())),
    )
}

fn gone(id: i64) -> Response {
    html(
        StatusCode::NOT_FOUND,
        "No such page",
        &format!("<p>There is no page or ticket {id} any more.</p>"),
    )
}

fn html(status: StatusCode, title: &str, body: &str) -> Response {
    let page = format!(
        "<!doctype html><html><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width\">\
         <title>{title} · pagerbound</title></head><body>{body}</body></html>",
        title = escape(title)
    );
    (status, Html(page)).into_response()
}

/// Escapes text for HTML: titles come from alert annotations.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Whether a page still takes these actions: links are only sent while
/// they can work.
pub fn offers(page: &Page, action: LinkAction) -> bool {
    match action {
        LinkAction::Acknowledge => page.state == PageState::Triggered,
        LinkAction::Resolve => page.state != PageState::Resolved,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(secs: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + secs).expect("instant")
    }

    fn key() -> Key {
        Key::new(vec![7; 32])
    }

    #[test]
    fn signed_claims_verify_until_they_expire() {
        let claims = claims(12, LinkAction::Acknowledge, Some("alice"), t(0));
        let token = key().sign(&claims);
        assert_eq!(key().verify(&token, t(60)), Ok(claims.clone()));
        assert!(matches!(
            key().verify(&token, t(0) + DEFAULT_TTL),
            Err(LinkError::Expired(_))
        ));
        assert_eq!(
            Key::new(vec![8; 32]).verify(&token, t(60)),
            Err(LinkError::BadSignature)
        );
    }

    #[test]
    fn changed_payloads_and_garbage_are_refused() {
        let token = key().sign(&claims(12, LinkAction::Acknowledge, None, t(0)));
        let (_, signature) = token.split_once('.').expect("two parts");
        let other = claims(13, LinkAction::Resolve, None, t(0));
        let forged = format!(
            "{}.{signature}",
            URL_SAFE_NO_PAD.encode(serde_json::to_vec(&other).expect("json"))
        );
        assert_eq!(key().verify(&forged, t(1)), Err(LinkError::BadSignature));
        let long = "x".repeat(5000);
        for garbage in ["", ".", "abc", "a.b.c", "!!!.???", long.as_str()] {
            assert!(key().verify(garbage, t(1)).is_err(), "{garbage:?}");
        }
    }

    #[test]
    fn html_is_escaped() {
        assert_eq!(
            escape("<b>\"x\" & 'y'</b>"),
            "&lt;b&gt;&quot;x&quot; &amp; &#39;y&#39;&lt;/b&gt;"
        );
    }
}
