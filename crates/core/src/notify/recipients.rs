//! Who hears of what.
//!
//! Until escalation policies exist, a page's responders are the person it
//! is assigned to, or else every member of the team that owns its service:
//! the policy "notify the whole owning team" that escalation will keep as
//! its default. The service's channel (the team's chat, a tracker's
//! webhook) hears of every page and ticket. Text messages and voice calls
//! are for messages that need a responder; nothing else may ring a phone.

use super::message::Message;
use crate::channel::{Channel, ChannelKind};
use crate::service::Service;
use crate::user::User;
use jiff::SignedDuration;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// One place a notification goes: a channel, and for a person the contact
/// method and its address.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Destination {
    pub channel: String,
    /// The person, when it is one of their contact methods.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user: Option<String>,
    /// The contact method's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<String>,
    /// The address on the channel: a phone number, an ntfy topic, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub to: Option<String>,
}

impl Destination {
    pub fn channel(name: &str) -> Destination {
        Destination {
            channel: name.to_owned(),
            user: None,
            contact: None,
            to: None,
        }
    }

    /// Identifies the destination: bundles and pacing are per key.
    pub fn key(&self) -> String {
        match (&self.user, &self.contact) {
            (Some(user), Some(contact)) => format!("user:{user}/{contact}"),
            (Some(user), None) => format!("user:{user}/{}", self.channel),
            _ => format!("channel:{}", self.channel),
        }
    }
}

/// Whether a channel rings a phone.
fn interrupts(kind: &ChannelKind) -> bool {
    matches!(kind, ChannelKind::Sms(_) | ChannelKind::Voice(_))
}

/// A destination, and how long after the news it is used: a later contact
/// method of a person's notification rules.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Addressed {
    pub destination: Destination,
    pub after: SignedDuration,
}

impl Addressed {
    /// `destination`, at once.
    pub fn now(destination: Destination) -> Addressed {
        Addressed {
            destination,
            after: SignedDuration::ZERO,
        }
    }
}

/// Where `message` goes: `responders` are the people who answer for it
/// (see the module's description), `service` its service. A message that
/// asks for a responder follows each person's notification rules for its
/// urgency, delays included; other news goes at once to the methods their
/// rules use at once. Each destination appears once, in a stable order.
pub fn destinations(
    message: &Message,
    service: Option<&Service>,
    responders: &[&User],
    channels: &BTreeMap<String, Channel>,
) -> Vec<Addressed> {
    let may_ring = message.is_urgent();
    let asks = message.asks_for_responder();
    let mut out = Vec::new();
    if let Some(channel) = service.and_then(|s| s.channel.as_deref())
        && channels.contains_key(channel)
    {
        out.push(Addressed::now(Destination::channel(channel)));
    }
    // Tickets and notices go to the service's channel when it has one; the
    // people hear of them only when there is none.
    let to_people = match message.subject {
        super::Subject::Page => true,
        super::Subject::Ticket | super::Subject::Notice => out.is_empty(),
    };
    if to_people {
        for user in responders {
            for (method, after) in user.contact_plan(message.urgency()) {
                let Some(channel) = channels.get(&method.channel) else {
                    continue;
                };
                if (interrupts(&channel.kind) && !may_ring) || (!asks && !after.is_zero()) {
                    continue;
                }
                out.push(Addressed {
                    destination: Destination {
                        channel: method.channel.clone(),
                        user: Some(user.name.clone()),
                        contact: Some(method.name.clone()),
                        to: method.to.clone(),
                    },
                    after,
                });
            }
        }
    }
    // Sorted, a destination's soonest use comes first and is the one kept.
    out.sort();
    out.dedup_by(|later, sooner| later.destination == sooner.destination);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::channel::TwilioApi;
    use crate::notify::Subject;
    use crate::notify::message::tests::page_message;
    use crate::secret::Secret;
    use crate::user::{ContactMethod, NotificationRule, NotificationRules};
    use jiff::tz::TimeZone;

    fn channels() -> BTreeMap<String, Channel> {
        let twilio = TwilioApi {
            api_url: "http://127.0.0.1:1/".parse().expect("url"),
            account_sid: "AC1".to_owned(),
            auth_token: Secret::new("t"),
            from: "+10000000000".to_owned(),
        };
        [
            (
                "team-chat",
                ChannelKind::Chat {
                    url: Secret::new("http://chat"),
                },
            ),
            (
                "push",
                ChannelKind::Ntfy {
                    server: "http://ntfy".parse().expect("url"),
                    token: None,
                },
            ),
            ("sms", ChannelKind::Sms(twilio.clone())),
            ("voice", ChannelKind::Voice(twilio)),
        ]
        .into_iter()
        .map(|(name, kind)| {
            (
                name.to_owned(),
                Channel {
                    name: name.to_owned(),
                    kind,
                    min_interval: None,
                },
            )
        })
        .collect()
    }

    fn user(name: &str) -> User {
        let method = |channel: &str, to: &str| ContactMethod {
            name: channel.to_owned(),
            channel: channel.to_owned(),
            to: Some(to.to_owned()),
        };
        User {
            name: name.to_owned(),
            full_name: None,
            email: None,
            time_zone: TimeZone::UTC,
            contact_methods: vec![
                method("push", &format!("{name}-topic")),
                method("sms", "+15550100"),
                method("voice", "+15550100"),
            ],
            notification_rules: NotificationRules::default(),
        }
    }

    fn service(channel: Option<&str>) -> Service {
        Service {
            name: "checkout".to_owned(),
            team: "payments".to_owned(),
            description: None,
            runbook: None,
            support_hours: None,
            channel: channel.map(str::to_owned),
            escalation_policy: None,
            urgency: crate::service::UrgencyRule::High,
            hold_tickets: false,
        }
    }

    fn keys(destinations: &[Addressed]) -> Vec<String> {
        destinations.iter().map(|a| a.destination.key()).collect()
    }

    #[test]
    fn a_triggered_page_reaches_every_responder_on_every_method_and_the_team_channel() {
        let (alice, bob) = (user("alice"), user("bob"));
        let to = destinations(
            &page_message("triggered", 1),
            Some(&service(Some("team-chat"))),
            &[&alice, &bob],
            &channels(),
        );
        let got: std::collections::BTreeSet<String> = keys(&to).into_iter().collect();
        let want = [
            "user:alice/push",
            "user:alice/sms",
            "user:alice/voice",
            "user:bob/push",
            "user:bob/sms",
            "user:bob/voice",
            "channel:team-chat",
        ];
        assert_eq!(got, want.map(str::to_owned).into_iter().collect());
        assert_eq!(to.len(), want.len(), "each destination once");
        let alice_push = to
            .iter()
            .find(|a| a.destination.key() == "user:alice/push")
            .expect("push");
        assert_eq!(alice_push.destination.to.as_deref(), Some("alice-topic"));
        assert!(
            to.iter().all(|a| a.after.is_zero()),
            "no rules: all at once"
        );
    }

    #[test]
    fn news_that_needs_no_responder_never_rings_a_phone() {
        let alice = user("alice");
        for event in ["acknowledged", "resolved"] {
            let to = destinations(&page_message(event, 1), None, &[&alice], &channels());
            assert_eq!(keys(&to), ["user:alice/push"], "{event}");
        }
    }

    #[test]
    fn tickets_go_to_the_service_channel_and_to_people_only_without_one() {
        let alice = user("alice");
        let mut ticket = page_message("triggered", 2);
        ticket.subject = Subject::Ticket;
        let to = destinations(
            &ticket,
            Some(&service(Some("team-chat"))),
            &[&alice],
            &channels(),
        );
        assert_eq!(keys(&to), ["channel:team-chat"]);
        let to = destinations(&ticket, Some(&service(None)), &[&alice], &channels());
        assert_eq!(
            keys(&to),
            ["user:alice/push"],
            "a ticket never rings a phone"
        );
    }

    #[test]
    fn unknown_channels_and_empty_teams_reach_nobody() {
        let to = destinations(
            &page_message("triggered", 1),
            Some(&service(Some("no-such-channel"))),
            &[],
            &channels(),
        );
        assert!(to.is_empty());
    }

    fn with_rules(mut user: User) -> User {
        let rule = |contact: &str, minutes| NotificationRule {
            contact: contact.to_owned(),
            after: SignedDuration::from_mins(minutes),
        };
        user.notification_rules = NotificationRules {
            high: vec![rule("push", 0), rule("sms", 2), rule("voice", 5)],
            low: vec![rule("push", 0)],
        };
        user
    }

    fn delays(to: &[Addressed]) -> Vec<(String, i64)> {
        to.iter()
            .map(|a| (a.destination.key(), a.after.as_secs() / 60))
            .collect()
    }

    #[test]
    fn notification_rules_pace_a_page_and_tell_news_at_once() {
        let alice = with_rules(user("alice"));
        let to = destinations(&page_message("triggered", 1), None, &[&alice], &channels());
        assert_eq!(
            delays(&to),
            [
                ("user:alice/push".to_owned(), 0),
                ("user:alice/sms".to_owned(), 2),
                ("user:alice/voice".to_owned(), 5)
            ]
        );
        // An acknowledgement is news: the methods used at once, no later.
        let to = destinations(
            &page_message("acknowledged", 1),
            None,
            &[&alice],
            &channels(),
        );
        assert_eq!(delays(&to), [("user:alice/push".to_owned(), 0)]);
        // Low urgency follows the low rules.
        let mut low = page_message("triggered", 1);
        low.low_urgency = true;
        let to = destinations(&low, None, &[&alice], &channels());
        assert_eq!(delays(&to), [("user:alice/push".to_owned(), 0)]);
    }
}
