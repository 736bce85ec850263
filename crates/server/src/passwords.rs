//! Passwords for signing in to the web UI, shared by the sign-in form and
//! `pagerbound user set-password`. They are kept only as argon2id hashes
//! with OWASP's recommended cost (19 MiB, two passes), so a copy of the
//! database does not give passwords away cheaply.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};
use pagerbound_config::Config;
use pagerbound_core::Role;
use pagerbound_store::{Store, StoreError};
use std::sync::LazyLock;

/// Shorter passwords are refused: a pager can wake people, so whoever
/// holds one must not be guessed in.
pub const MIN_LENGTH: usize = 12;
/// Longer ones are refused too, so that hashing cannot be made expensive.
pub const MAX_LENGTH: usize = 1024;

/// Why a password could not be set.
#[derive(Debug, thiserror::Error)]
pub enum SetError {
    #[error("user `{0}` is not defined in the configuration")]
    UnknownUser(String),
    #[error("a password must be at least {MIN_LENGTH} characters long")]
    TooShort,
    #[error("a password must be at most {MAX_LENGTH} bytes long")]
    TooLong,
    #[error("cannot hash the password: {0}")]
    Hash(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Hashes `password` with a fresh random salt, as a PHC string.
pub fn hash(password: &str) -> Result<String, SetError> {
    Argon2::default()
        .hash_password(password.as_bytes())
        .map(|hash| hash.to_string())
        .map_err(|e| SetError::Hash(e.to_string()))
}

/// Whether `password` matches the stored `hash`. A hash that cannot be read
/// matches nothing.
pub fn verify(password: &str, hash: &str) -> bool {
    password.len() <= MAX_LENGTH
        && Argon2::default()
            .verify_password(password.as_bytes(), hash)
            .is_ok()
}

/// Spends the time a real verification takes, for a user without a
/// password: an answer that comes back faster would tell who has one.
pub fn verify_nobody(password: &str) {
    static NOBODY: LazyLock<Option<String>> =
        LazyLock::new(|| hash("no one signs in with this password").ok());
    if let Some(hash) = NOBODY.as_deref() {
        let _ = verify(password, hash);
    }
}

/// Sets `user`'s password and role, ending the user's sessions.
pub async fn set(
    store: &dyn Store,
    config: &Config,
    user: &str,
    password: &str,
    role: Role,
) -> Result<(), SetError> {
    if !config.users.contains_key(user) {
        return Err(SetError::UnknownUser(user.to_owned()));
    }
    if password.chars().count() < MIN_LENGTH {
        return Err(SetError::TooShort);
    }
    if password.len() > MAX_LENGTH {
        return Err(SetError::TooLong);
    }
    let owned = password.to_owned();
    // Hashing takes tens of milliseconds of CPU: off the async workers.
    let hashed = tokio::task::spawn_blocking(move || hash(&owned))
        .await
        .map_err(|e| SetError::Hash(e.to_string()))??;
    store
        .set_password(user, &hashed, role, crate::clock::now())
        .await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hash_verifies_its_password_only() {
        let hashed = hash("correct horse battery").expect("hash");
        assert!(hashed.starts_with("$argon2id$"), "{hashed}");
        assert!(verify("correct horse battery", &hashed));
        assert!(!verify("correct horse batterz", &hashed));
        assert!(!verify("correct horse battery", "not a hash"));
        let again = hash("correct horse battery").expect("hash");
        assert_ne!(hashed, again, "each hash has its own salt");
    }
}
