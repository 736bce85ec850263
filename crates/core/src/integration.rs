//! Ingest integrations: named senders of alerts (a Prometheus, an
//! Alertmanager, a script), each with its own token.

use crate::token::TokenDigest;

/// An ingest integration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Integration {
    pub name: String,
    pub description: Option<String>,
    pub token: TokenDigest,
}

impl Integration {
    /// Whether `presented` is this integration's token.
    pub fn accepts(&self, presented: &str) -> bool {
        self.token.matches(&TokenDigest::of(presented))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_only_its_own_token() {
        let integration = Integration {
            name: "prometheus".into(),
            description: None,
            token: TokenDigest::of("s3cret-token"),
        };
        assert!(integration.accepts("s3cret-token"));
        assert!(!integration.accepts("s3cret-token "));
        assert!(!integration.accepts(""));
    }
}
