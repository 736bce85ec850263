//! Signing in to the web UI: each user's password (as an argon2 hash) with
//! the role it grants, and the sessions a sign-in opens. A session is a
//! random token in a cookie; only its digest is stored, like an API token's.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::Role;
use pagerbound_core::token::TokenDigest;

/// A user's password, as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredPassword {
    pub user: String,
    /// A PHC string (`$argon2id$...`): algorithm, parameters, salt, hash.
    pub hash: String,
    /// What signing in with it allows.
    pub role: Role,
    pub updated_at: Timestamp,
}

/// A session about to be stored.
#[derive(Debug, Clone)]
pub struct NewSession {
    pub digest: TokenDigest,
    pub user: String,
    pub role: Role,
    /// The token the session's forms must carry (CSRF protection). It
    /// authenticates nothing on its own, so it is stored as it is.
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

/// An open session.
#[derive(Debug, Clone, PartialEq)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    pub created_at: Timestamp,
    pub expires_at: Timestamp,
}

#[async_trait]
pub trait SignIn {
    /// Sets a user's password and role, replacing any earlier one, and ends
    /// the user's sessions: a new password is how a person who lost a
    /// device signs out everywhere, and how a role change takes effect.
    async fn set_password(&self, user: &str, hash: &str, role: Role, at: Timestamp) -> Result<()>;

    /// The user's password, if one was set.
    async fn password(&self, user: &str) -> Result<Option<StoredPassword>>;

    /// Opens a session. Fails with `Conflict` if the digest exists.
    async fn create_session(&self, session: &NewSession) -> Result<()>;

    /// The session with this digest, unless it expired before `now`.
    async fn find_session(&self, digest: &TokenDigest, now: Timestamp) -> Result<Option<Session>>;

    /// Ends a session (signing out); ending it again is no error.
    async fn end_session(&self, digest: &TokenDigest) -> Result<()>;

    /// Deletes sessions that expired before `before`; answers how many.
    async fn prune_sessions(&self, before: Timestamp) -> Result<u64>;
}
