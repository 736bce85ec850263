//! Notification channels: the transports that carry notifications.
//!
//! A channel holds a transport and its credentials; a user's contact method
//! names a channel and an address on it. There is deliberately no email
//! channel: pages and tickets are never email.

use crate::secret::Secret;
use url::Url;

/// A configured channel.
#[derive(Debug, Clone, PartialEq)]
pub struct Channel {
    pub name: String,
    pub kind: ChannelKind,
    /// The least time between two messages to one destination, when the
    /// configuration overrides the type's default.
    pub min_interval: Option<jiff::SignedDuration>,
}

impl Channel {
    /// The least time between two messages to one destination.
    pub fn min_interval(&self) -> jiff::SignedDuration {
        self.min_interval
            .unwrap_or_else(|| crate::notify::pace::default_interval(&self.kind))
    }
}

/// The transport of a channel and what it needs.
#[derive(Debug, Clone, PartialEq)]
pub enum ChannelKind {
    /// A generic JSON webhook, signed with HMAC-SHA256 when a secret is set.
    Webhook {
        url: Secret,
        signing_secret: Option<Secret>,
    },
    /// A Slack-compatible incoming webhook (Slack, Mattermost, ...). The URL
    /// embeds a key, so it is a secret.
    Chat { url: Secret },
    /// An ntfy server; the topic comes from the contact method.
    Ntfy { server: Url, token: Option<Secret> },
    /// Text messages through a Twilio-compatible REST API.
    Sms(TwilioApi),
    /// Voice calls through a Twilio-compatible REST API.
    Voice(TwilioApi),
    /// Writes notifications to pagerbound's own log, for local development.
    Log,
}

impl ChannelKind {
    /// The name used for this kind in configuration (`type:`).
    pub fn type_name(&self) -> &'static str {
        match self {
            ChannelKind::Webhook { .. } => "webhook",
            ChannelKind::Chat { .. } => "chat",
            ChannelKind::Ntfy { .. } => "ntfy",
            ChannelKind::Sms(_) => "sms",
            ChannelKind::Voice(_) => "voice",
            ChannelKind::Log => "log",
        }
    }
}

/// Where and how to reach a Twilio-compatible API.
#[derive(Debug, Clone, PartialEq)]
pub struct TwilioApi {
    pub api_url: Url,
    pub account_sid: String,
    pub auth_token: Secret,
    /// The sending phone number.
    pub from: String,
}
