//! How fast one destination may receive messages.
//!
//! A flood (an outage opens dozens of pages) must not turn a phone into a
//! buzzer. Each destination gets at most one message per interval; what
//! arrives meanwhile waits and goes out bundled into the next message, so
//! nothing is dropped. Receivers that are programs (webhooks, the log) take
//! everything at once.

use crate::channel::ChannelKind;
use jiff::{SignedDuration, Timestamp};

/// The least time between two messages to one destination on a channel of
/// this kind, unless the channel's configuration says otherwise.
pub fn default_interval(kind: &ChannelKind) -> SignedDuration {
    match kind {
        ChannelKind::Webhook { .. } | ChannelKind::Log => SignedDuration::ZERO,
        // Slack's incoming webhooks accept about one message a second.
        ChannelKind::Chat { .. } => SignedDuration::from_secs(1),
        ChannelKind::Ntfy { .. } => SignedDuration::from_secs(5),
        ChannelKind::Sms(_) => SignedDuration::from_secs(30),
        ChannelKind::Voice(_) => SignedDuration::from_mins(2),
    }
}

/// When the next message to a destination may start, given when the last
/// one did.
pub fn next_allowed(last_sent: Option<Timestamp>, interval: SignedDuration) -> Option<Timestamp> {
    last_sent.and_then(|last| last.checked_add(interval).ok())
}

/// Whether a message may start at `now`.
pub fn may_send(last_sent: Option<Timestamp>, interval: SignedDuration, now: Timestamp) -> bool {
    next_allowed(last_sent, interval).is_none_or(|at| at <= now)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().expect("time")
    }

    #[test]
    fn phones_are_paced_and_programs_are_not() {
        assert_eq!(default_interval(&ChannelKind::Log), SignedDuration::ZERO);
        let sms = ChannelKind::Sms(crate::channel::TwilioApi {
            api_url: "http://127.0.0.1:1/".parse().expect("url"),
            account_sid: "AC1".to_owned(),
            auth_token: crate::Secret::new("t"),
            from: "+1".to_owned(),
        });
        assert!(default_interval(&sms) >= SignedDuration::from_secs(30));
    }

    #[test]
    fn the_first_message_goes_at_once_and_the_next_waits_its_turn() {
        let gap = SignedDuration::from_secs(30);
        let now = at("2026-11-21T10:00:00Z");
        assert!(may_send(None, gap, now));
        let last = Some(at("2026-11-21T09:59:50Z"));
        assert!(!may_send(last, gap, now));
        assert_eq!(next_allowed(last, gap), Some(at("2026-11-21T10:00:20Z")));
        assert!(may_send(last, gap, at("2026-11-21T10:00:20Z")));
        assert!(may_send(last, SignedDuration::ZERO, now));
    }
}
