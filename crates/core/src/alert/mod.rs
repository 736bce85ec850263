//! Alerts: signals with a label set, identified by the fingerprint of their
//! labels, firing until they end.

mod event;
mod labels;
mod matcher;
mod occurrence;
mod postable;
mod webhook;

pub use event::{Event, EventAction, EventError};
pub use labels::{Fingerprint, LabelLookup, Labels, PackedLabels, is_valid_name};
pub use matcher::{MatchOp, Matcher, MatcherError, Matchers, parse_matchers};
pub use occurrence::{Known, Write};
pub use postable::{PostableAlert, parse_timestamp};
pub use webhook::{WebhookAlert, WebhookMessage};

use jiff::Timestamp;
use std::hash::{Hash, Hasher};

/// An alert as received, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alert {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Timestamp,
    /// When the alert stops firing. `None`: it fires until it is resolved
    /// explicitly (events and forwarded Alertmanager notifications).
    pub ends_at: Option<Timestamp>,
    /// `ends_at` was not given by the sender but derived from the resolve
    /// timeout: the alert resolves unless it is sent again.
    pub timeout: bool,
    pub generator_url: Option<String>,
}

impl Alert {
    pub fn fingerprint(&self) -> Fingerprint {
        self.labels.fingerprint()
    }

    pub fn is_firing(&self, now: Timestamp) -> bool {
        self.ends_at.is_none_or(|end| end > now)
    }

    /// A hash of what a re-send may change besides the times (annotations
    /// and the generator URL), so that an unchanged re-send costs no write.
    /// Only compared within one process, so the std hasher will do.
    pub fn content_hash(&self) -> u64 {
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        self.annotations.hash(&mut hasher);
        self.generator_url.hash(&mut hasher);
        hasher.finish()
    }
}
