//! Tokens: the bearer secrets that authenticate API callers and ingest
//! integrations. Only their SHA-256 digests are stored anywhere; a token is
//! random, so a fast hash is enough (no password-style stretching needed).

use sha2::{Digest, Sha256};

/// A SHA-256 digest of a token. Only digests are kept, so a config file or a
/// memory dump does not hold a usable token.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct TokenDigest(pub [u8; 32]);

impl TokenDigest {
    pub fn of(token: &str) -> Self {
        TokenDigest(Sha256::digest(token.as_bytes()).into())
    }

    /// Reads 64 hexadecimal digits.
    pub fn from_hex(text: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text, &mut bytes).ok()?;
        Some(TokenDigest(bytes))
    }

    pub fn to_hex(self) -> String {
        hex::encode(self.0)
    }

    /// Compares without an early exit, so the time taken says nothing about
    /// how much of the digest matched.
    pub fn matches(&self, other: &TokenDigest) -> bool {
        self.0
            .iter()
            .zip(other.0.iter())
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
    }
}

impl std::fmt::Debug for TokenDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "TokenDigest({}…)", &self.to_hex()[..8])
    }
}

/// What a token is for; its prefix says so, which helps secret scanners and
/// people who find one in a shell history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// An API token for a user, with a role.
    Api,
    /// An ingest integration's token.
    Ingest,
    /// A web UI session, in a cookie.
    Session,
}

impl TokenKind {
    pub fn prefix(self) -> &'static str {
        match self {
            TokenKind::Api => "pbt_",
            TokenKind::Ingest => "pbi_",
            TokenKind::Session => "pbs_",
        }
    }
}

/// Spells a new token from 32 random bytes supplied by the caller (this
/// crate does not read the system's random source).
pub fn format_token(kind: TokenKind, random: [u8; 32]) -> String {
    format!("{}{}", kind.prefix(), hex::encode(random))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digests_round_trip_through_hex() {
        let digest = TokenDigest::of("abc");
        assert_eq!(
            digest.to_hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(TokenDigest::from_hex(&digest.to_hex()), Some(digest));
        assert_eq!(TokenDigest::from_hex("abc"), None);
        assert_eq!(TokenDigest::from_hex(&"zz".repeat(32)), None);
    }

    #[test]
    fn digest_comparison_sees_every_byte() {
        let a = TokenDigest([7; 32]);
        let mut b = a;
        b.0[31] ^= 1;
        assert!(a.matches(&a));
        assert!(!a.matches(&b));
    }

    #[test]
    fn tokens_carry_their_kind() {
        let token = format_token(TokenKind::Api, [0xab; 32]);
        assert!(token.starts_with("pbt_"));
        assert_eq!(token.len(), 4 + 64);
        assert!(format_token(TokenKind::Ingest, [0; 32]).starts_with("pbi_"));
        assert!(format_token(TokenKind::Session, [0; 32]).starts_with("pbs_"));
    }
}
