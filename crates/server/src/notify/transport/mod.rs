//! Transports: how a bundle of messages reaches one destination, for each
//! type of channel.
//!
//! A transport turns the bundle into the channel's own request and the
//! answer into an [`Outcome`]; whether and when to try again is decided
//! elsewhere ([`pagerbound_core::notify::retry`]).

mod chat;
mod log;
mod ntfy;
mod text;
mod twilio;
mod webhook;

use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::notify::{Destination, Message, Outcome};
use pagerbound_core::{Channel, ChannelKind};
use std::sync::Arc;

/// One attempt to deliver a bundle.
#[derive(Debug)]
pub struct Delivery<'a> {
    /// The bundle's idempotency key: the same on every attempt, so that a
    /// receiver can drop what it has already seen.
    pub key: &'a str,
    pub destination: &'a Destination,
    /// At least one message.
    pub messages: &'a [Message],
    pub at: Timestamp,
}

#[async_trait]
pub trait Transport: Send + Sync {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome;
}

/// The transport for a channel.
pub fn for_channel(channel: &Channel, http: &reqwest::Client) -> Arc<dyn Transport> {
    match &channel.kind {
        ChannelKind::Webhook {
            url,
            signing_secret,
        } => Arc::new(webhook::Webhook::new(
            http.clone(),
            url.clone(),
            signing_secret.clone(),
        )),
        ChannelKind::Chat { url } => Arc::new(chat::Chat {
            http: http.clone(),
            url: url.clone(),
        }),
        ChannelKind::Ntfy { server, token } => Arc::new(ntfy::Ntfy {
            http: http.clone(),
            server: server.clone(),
            token: token.clone(),
        }),
        ChannelKind::Sms(api) => Arc::new(twilio::Twilio {
            http: http.clone(),
            api: api.clone(),
            medium: twilio::Medium::Sms,
        }),
        ChannelKind::Voice(api) => Arc::new(twilio::Twilio {
            http: http.clone(),
            api: api.clone(),
            medium: twilio::Medium::Voice,
        }),
        ChannelKind::Log => Arc::new(log::Log {
            channel: channel.name.clone(),
        }),
    }
}

/// The outcome of an HTTP request: an answer is judged by its status; no
/// answer (refused, reset, timed out) is worth another attempt.
pub(crate) async fn http_outcome(request: reqwest::RequestBuilder) -> Outcome {
    match request.send().await {
        Ok(response) => {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                return Outcome::Delivered;
            }
            // The start of the body says why, for the record.
            let body = response.text().await.unwrap_or_default();
            let detail: String = body.chars().take(200).collect();
            Outcome::from_status(status, &detail)
        }
        Err(error) if error.is_builder() => Outcome::Permanent(format!("bad request: {error}")),
        Err(error) => Outcome::Retry(describe(&error)),
    }
}

/// A transport error in one line, with its cause (reqwest's own message
/// stops at "error sending request").
fn describe(error: &reqwest::Error) -> String {
    use std::error::Error as _;
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

/// A message for the transports' tests to render.
#[cfg(test)]
pub(crate) fn sample_message(
    subject: pagerbound_core::notify::Subject,
    event: &str,
    title: &str,
) -> Message {
    Message {
        subject,
        event: event.to_owned(),
        title: title.to_owned(),
        service: "checkout".to_owned(),
        actor: None,
        page: None,
        alerts: Vec::new(),
        text: None,
        runbook: None,
        links: pagerbound_core::notify::Links::default(),
        shadow_of: None,
        low_urgency: false,
        drill: false,
        at: Timestamp::UNIX_EPOCH,
    }
}
