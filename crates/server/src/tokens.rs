//! Issuing API tokens, shared by the API and the CLI.

use crate::error::ApiError;
use pagerbound_config::Config;
use pagerbound_core::Role;
use pagerbound_core::token::{TokenDigest, TokenKind, format_token};
use pagerbound_store::{ApiToken, NewApiToken, Store, StoreError};

/// A new token: the secret (shown once) and what was stored.
#[derive(Debug)]
pub struct Issued {
    pub token: String,
    pub stored: ApiToken,
}

/// Why a token could not be issued.
#[derive(Debug, thiserror::Error)]
pub enum IssueError {
    #[error("user `{0}` is not defined in the configuration")]
    UnknownUser(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<IssueError> for ApiError {
    fn from(error: IssueError) -> Self {
        match error {
            IssueError::UnknownUser(_) => ApiError::bad_request(error.to_string()),
            IssueError::Store(store) => store.into(),
        }
    }
}

/// Makes a token for `user` (who must be in `config`) and stores its digest.
pub async fn issue(
    store: &dyn Store,
    config: &Config,
    user: &str,
    role: Role,
    description: Option<String>,
) -> Result<Issued, IssueError> {
    if !config.users.contains_key(user) {
        return Err(IssueError::UnknownUser(user.to_owned()));
    }
    let token = format_token(TokenKind::Api, rand::random());
    let stored = store
        .create_api_token(&NewApiToken {
            user: user.to_owned(),
            role,
            description,
            digest: TokenDigest::of(&token),
            created_at: crate::clock::now(),
        })
        .await?;
    Ok(Issued { token, stored })
}
