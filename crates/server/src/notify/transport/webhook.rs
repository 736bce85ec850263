//! The generic webhook: the bundle as JSON, signed.
//!
//! Receivers verify `X-Pagerbound-Signature: sha256=HEX`, the HMAC-SHA256
//! of `TIMESTAMP.BODY` under the channel's signing secret, where TIMESTAMP
//! is `X-Pagerbound-Timestamp` (Unix seconds): signing the time with the
//! body lets them refuse replays of old requests. `Idempotency-Key` (also
//! in the body) is the same on every attempt.

use super::{Delivery, Transport, http_outcome};
use async_trait::async_trait;
use hmac::{Hmac, KeyInit, Mac};
use pagerbound_core::Secret;
use pagerbound_core::notify::{Destination, Message, Outcome};
use serde::Serialize;
use sha2::Sha256;

pub(super) struct Webhook {
    http: reqwest::Client,
    url: Secret,
    signing_secret: Option<Secret>,
}

/// What a webhook receives.
#[derive(Serialize)]
struct Body<'a> {
    version: u32,
    idempotency_key: &'a str,
    destination: &'a Destination,
    messages: &'a [Message],
}

/// `sha256=HEX` over `TIMESTAMP.BODY`.
pub fn signature(secret: &[u8], timestamp: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes keys of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

impl Webhook {
    pub fn new(http: reqwest::Client, url: Secret, signing_secret: Option<Secret>) -> Self {
        Webhook {
            http,
            url,
            signing_secret,
        }
    }
}

#[async_trait]
impl Transport for Webhook {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        let body = match serde_json::to_vec(&Body {
            version: 1,
            idempotency_key: delivery.key,
            destination: delivery.destination,
            messages: delivery.messages,
        }) {
            Ok(body) => body,
            Err(error) => return Outcome::Permanent(format!("cannot encode the body: {error}")),
        };
        let timestamp = delivery.at.as_second();
        // A contact method may name its own URL on the channel.
        let url = match &delivery.destination.to {
            Some(to) => to.as_str(),
            None => self.url.expose(),
        };
        let mut request = self
            .http
            .post(url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("Idempotency-Key", delivery.key)
            .header("X-Pagerbound-Timestamp", timestamp.to_string());
        if let Some(secret) = &self.signing_secret {
            request = request.header(
                "X-Pagerbound-Signature",
                signature(secret.expose().as_bytes(), timestamp, &body),
            );
        }
        http_outcome(request.body(body)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_cover_the_time_and_the_body() {
        let signed = signature(b"secret", 1_700_000_000, b"{}");
        // Computed independently: Python's
        // hmac.new(b"secret", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert_eq!(
            signed,
            "sha256=b8569b78799ff9e3cbff0fc2d63a33a2b57f3282abd07c37ae5e8e7d79a5f163"
        );
        assert_eq!(signed, signature(b"secret", 1_700_000_000, b"{}"));
        assert_ne!(signed, signature(b"secret", 1_700_000_001, b"{}"));
        assert_ne!(signed, signature(b"secret", 1_700_000_000, b"{ }"));
        assert_ne!(signed, signature(b"other", 1_700_000_000, b"{}"));
    }
}
