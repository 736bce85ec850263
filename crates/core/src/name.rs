//! Names of configured objects (teams, users, services, channels, ...).
//!
//! Names appear in URLs, CLI arguments and label values, so they are kept to
//! a conservative alphabet.

/// Longest name accepted.
pub const MAX_LEN: usize = 64;

/// Why a name was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("a name cannot be empty")]
    Empty,
    #[error("name `{0}` is longer than {MAX_LEN} characters")]
    TooLong(String),
    #[error(
        "name `{0}` may only contain letters, digits, `-`, `_` and `.`, and must start with a letter or digit"
    )]
    BadCharacter(String),
}

/// Checks that `name` is usable as an object name.
pub fn check(name: &str) -> Result<(), NameError> {
    let Some(first) = name.chars().next() else {
        return Err(NameError::Empty);
    };
    if name.len() > MAX_LEN {
        return Err(NameError::TooLong(name.to_owned()));
    }
    let allowed = |c: char| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.');
    if !first.is_ascii_alphanumeric() || !name.chars().all(allowed) {
        return Err(NameError::BadCharacter(name.to_owned()));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_names() {
        for name in ["payments", "alice", "checkout-api", "team_2", "eu.west"] {
            assert_eq!(check(name), Ok(()), "{name}");
        }
    }

    #[test]
    fn refuses_names_that_break_urls_or_labels() {
        assert_eq!(check(""), Err(NameError::Empty));
        for name in ["-lead", "a b", "a/b", "é", ".hidden", "x?y"] {
            assert!(
                matches!(check(name), Err(NameError::BadCharacter(_))),
                "{name}"
            );
        }
        assert!(matches!(check(&"a".repeat(65)), Err(NameError::TooLong(_))));
    }
}
