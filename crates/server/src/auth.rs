//! Who is calling. Nothing trusts a network address, loopback included:
//! every API request carries a token.
//!
//! API callers present an API token (`Authorization: Bearer pbt_...`), made
//! with `pagerbound token create` and stored only as a digest; the token's
//! user must still exist in the configuration. A handler states the role it
//! needs in its signature with [`Auth`].
//!
//! Senders of alerts ([`Sender`]) present their integration's token, as a
//! bearer token or as the password of basic auth (Prometheus can send
//! either); a responder's API token is accepted too, so that `amtool alert
//! add` works with the same token as the rest of `amtool`.

use crate::error::ApiError;
use crate::state::AppState;
use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use pagerbound_store::tokens::LAST_USED_GRANULARITY;
use serde::Serialize;
use std::marker::PhantomData;

/// An authenticated API caller.
#[derive(Debug, Clone, Serialize)]
pub struct Caller {
    pub user: String,
    pub role: Role,
    pub token_id: i64,
}

/// The role a handler needs, as a type: `Auth<need::Responder>`.
pub mod need {
    use pagerbound_core::Role;

    pub trait Need: Send + Sync + 'static {
        const ROLE: Role;
    }

    /// Any valid token.
    pub struct Viewer;
    /// A token that may answer pages.
    pub struct Responder;
    /// A token that may change tokens and configuration.
    pub struct Admin;

    impl Need for Viewer {
        const ROLE: Role = Role::Viewer;
    }
    impl Need for Responder {
        const ROLE: Role = Role::Responder;
    }
    impl Need for Admin {
        const ROLE: Role = Role::Admin;
    }
}

/// Extracts the caller and checks they hold the role `N` asks for:
/// missing or bad token 401, too weak a role 403.
pub struct Auth<N> {
    pub caller: Caller,
    need: PhantomData<N>,
}

impl<N: need::Need> FromRequestParts<AppState> for Auth<N> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let caller = authenticate(&parts.headers, state).await?;
        if !caller.role.allows(N::ROLE) {
            return Err(ApiError::forbidden(format!(
                "this needs the {} role; this token has the {} role",
                N::ROLE,
                caller.role
            )));
        }
        Ok(Auth {
            caller,
            need: PhantomData,
        })
    }
}

/// Who sent alerts: an integration, or a person with an API token.
#[derive(Debug, Clone, Serialize)]
pub struct Sender {
    /// The integration's name, or `user:NAME` for an API token.
    pub integration: String,
}

impl FromRequestParts<AppState> for Sender {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        sender(&parts.headers, state).await
    }
}

/// Whether the request carries credentials at all.
pub(crate) fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(AUTHORIZATION)
}

/// The sender named by the request's credentials.
pub(crate) async fn sender(headers: &HeaderMap, state: &AppState) -> Result<Sender, ApiError> {
    let presented = bearer_token(headers)
        .map(str::to_owned)
        .or_else(|| basic_password(headers))
        .ok_or_else(ApiError::unauthorized)?;
    if let Some(integration) = integration_for(state, &presented) {
        return Ok(Sender { integration });
    }
    // Not an integration token: an API token may send alerts too.
    let caller = authenticate(headers, state).await?;
    if !caller.role.allows(Role::Responder) {
        return Err(ApiError::forbidden(format!(
            "sending alerts needs an integration token or the responder role; this token has the {} role",
            caller.role
        )));
    }
    Ok(Sender {
        integration: format!("user:{}", caller.user),
    })
}

/// The integration whose token this is.
pub(crate) fn integration_for(state: &AppState, presented: &str) -> Option<String> {
    let digest = TokenDigest::of(presented);
    state
        .config
        .current()
        .config
        .integrations
        .values()
        .find(|i| i.token.matches(&digest))
        .map(|i| i.name.clone())
}

/// The password of `Authorization: Basic base64(user:password)`.
fn basic_password(headers: &HeaderMap) -> Option<String> {
    use base64::Engine;
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (_, password) = text.split_once(':')?;
    (!password.is_empty()).then(|| password.to_owned())
}

/// The token in `Authorization: Bearer TOKEN`.
pub(crate) fn bearer_token(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

async fn authenticate(headers: &HeaderMap, state: &AppState) -> Result<Caller, ApiError> {
    let token = bearer_token(headers).ok_or_else(ApiError::unauthorized)?;
    let stored = state
        .store
        .find_api_token(&TokenDigest::of(token))
        .await?
        .ok_or_else(ApiError::unauthorized)?;
    if stored.is_revoked() {
        return Err(ApiError::unauthorized());
    }
    // A user removed from the configuration loses access with it.
    if !state
        .config
        .current()
        .config
        .users
        .contains_key(&stored.user)
    {
        return Err(ApiError::unauthorized());
    }
    let now = crate::clock::now();
    let stale = stored
        .last_used_at
        .is_none_or(|last| now.duration_since(last) >= LAST_USED_GRANULARITY);
    if stale {
        // Off the request's path: a slow write must not slow the caller.
        let store = state.store.clone();
        let id = stored.id;
        tokio::spawn(async move {
            if let Err(error) = store.record_api_token_use(id, now).await {
                tracing::warn!(token = id, error = %error, "Could not record token use.");
            }
        });
    }
    Ok(Caller {
        user: stored.user,
        role: stored.role,
        token_id: stored.id,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    fn headers(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(AUTHORIZATION, HeaderValue::from_str(value).expect("header"));
        headers
    }

    #[test]
    fn reads_basic_auth_passwords() {
        // base64("prometheus:s3cret")
        assert_eq!(
            basic_password(&headers("Basic cHJvbWV0aGV1czpzM2NyZXQ=")),
            Some("s3cret".into())
        );
        // base64("prometheus:")
        assert_eq!(basic_password(&headers("Basic cHJvbWV0aGV1czo=")), None);
        assert_eq!(basic_password(&headers("Basic !!!")), None);
        assert_eq!(basic_password(&headers("Bearer abc")), None);
    }

    #[test]
    fn reads_bearer_tokens_only() {
        assert_eq!(bearer_token(&headers("Bearer abc")), Some("abc"));
        assert_eq!(bearer_token(&headers("bearer  abc ")), Some("abc"));
        assert_eq!(bearer_token(&headers("Basic YTpi")), None);
        assert_eq!(bearer_token(&headers("Bearer ")), None);
        assert_eq!(bearer_token(&headers("Bearer")), None);
        assert_eq!(bearer_token(&HeaderMap::new()), None);
    }
}
