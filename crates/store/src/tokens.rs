//! API tokens: who may call the API, with which role. Only digests are
//! stored.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;
use serde::Serialize;

/// A token about to be stored.
#[derive(Debug, Clone)]
pub struct NewApiToken {
    pub user: String,
    pub role: Role,
    pub description: Option<String>,
    pub digest: TokenDigest,
    pub created_at: Timestamp,
}

/// A stored token (never the token itself).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ApiToken {
    pub id: i64,
    pub user: String,
    pub role: Role,
    pub description: Option<String>,
    pub created_at: Timestamp,
    pub last_used_at: Option<Timestamp>,
    pub revoked_at: Option<Timestamp>,
}

impl ApiToken {
    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }
}

/// How long a token's `last_used_at` may lag: recording every use would
/// turn every read request into a write.
pub const LAST_USED_GRANULARITY: jiff::SignedDuration = jiff::SignedDuration::from_secs(60);

#[async_trait]
pub trait ApiTokens {
    /// Stores a new token. Fails with `Conflict` if the digest exists.
    async fn create_api_token(&self, token: &NewApiToken) -> Result<ApiToken>;

    /// Finds a token by digest, revoked or not.
    async fn find_api_token(&self, digest: &TokenDigest) -> Result<Option<ApiToken>>;

    /// All tokens, oldest first.
    async fn list_api_tokens(&self) -> Result<Vec<ApiToken>>;

    /// Revokes a token; revoking it again keeps the first revocation time.
    /// `None` when there is no such token.
    async fn revoke_api_token(&self, id: i64, at: Timestamp) -> Result<Option<ApiToken>>;

    /// Notes that a token was used at `at`, unless a use within
    /// [`LAST_USED_GRANULARITY`] is already recorded.
    async fn record_api_token_use(&self, id: i64, at: Timestamp) -> Result<()>;
}
