//! What a notification says. A message is built once, when its
//! notification is planned, and stored with it: every attempt sends the
//! same words, and the outbox records exactly what was said.

use crate::alert::Labels;
use crate::service::Urgency;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use url::Url;

/// What a message is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Subject {
    Page,
    Ticket,
    /// Something a service's team should know that is not a page: a
    /// maintenance window ending while its alerts still fire, a page that
    /// could not be delivered.
    Notice,
}

/// One message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub subject: Subject,
    /// What happened: for pages and tickets the timeline event that caused
    /// the message (`triggered`, `alerts_changed`, `repeated`,
    /// `acknowledged`, `unacknowledged`, `resolved`, `reassigned`,
    /// `snooze_ended`); for notices their kind.
    pub event: String,
    /// One line that says what it is about.
    pub title: String,
    pub service: String,
    /// Who caused the event, when a person did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub actor: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub page: Option<PageSummary>,
    /// The page's alerts, firing first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub alerts: Vec<AlertSummary>,
    /// A notice's text.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub runbook: Option<Url>,
    #[serde(default)]
    pub links: Links,
    /// Set on a shadow's copy: the person being shadowed. Shadows observe;
    /// their copies carry no links that act on the page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shadow_of: Option<String>,
    /// Set on a low-urgency page's messages: they inform, never wake.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub low_urgency: bool,
    /// A drill's page: practice, said in every message.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub drill: bool,
    pub at: Timestamp,
}

/// The page or ticket a message is about, as it was when planned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageSummary {
    pub id: i64,
    pub state: String,
    pub route: String,
    pub created_at: Timestamp,
    pub alert_count: i64,
}

/// One alert of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AlertSummary {
    pub labels: Labels,
    pub annotations: Labels,
    pub starts_at: Timestamp,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends_at: Option<Timestamp>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
    pub firing: bool,
}

/// Where the reader can act.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Links {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub view: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub acknowledge: Option<Url>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub resolve: Option<Url>,
}

impl Message {
    /// Whether this message should interrupt someone: a page that needs a
    /// responder. Acknowledgements and resolutions inform; they never wake
    /// anyone.
    pub fn is_urgent(&self) -> bool {
        self.asks_for_responder() && !self.low_urgency
    }

    /// Whether this message asks someone to take a page (whatever its
    /// urgency): the news that notification rules pace, method after
    /// method, until the page is acknowledged.
    pub fn asks_for_responder(&self) -> bool {
        self.subject == Subject::Page
            && matches!(
                self.event.as_str(),
                "triggered"
                    | "escalated"
                    | "repeated"
                    | "unacknowledged"
                    | "snooze_ended"
                    | "reassigned"
            )
    }

    /// The urgency whose notification rules apply.
    pub fn urgency(&self) -> Urgency {
        if self.low_urgency {
            Urgency::Low
        } else {
            Urgency::High
        }
    }

    /// One line for a title or a text message: `[PAGE] checkout: High
    /// error rate`, `[RESOLVED] ...`.
    pub fn headline(&self) -> String {
        let tag = match (self.subject, self.event.as_str()) {
            (_, "resolved") => "RESOLVED".to_owned(),
            (_, "acknowledged") => format!("ACK by {}", self.actor.as_deref().unwrap_or("someone")),
            (Subject::Page, "repeated") => "PAGE, still firing".to_owned(),
            (Subject::Page, _) if self.low_urgency => "PAGE, low urgency".to_owned(),
            (Subject::Page, _) => "PAGE".to_owned(),
            (Subject::Ticket, _) => "TICKET".to_owned(),
            (Subject::Notice, _) => "NOTICE".to_owned(),
        };
        let id = self
            .page
            .as_ref()
            .map(|p| format!(" #{}", p.id))
            .unwrap_or_default();
        let shadow = self
            .shadow_of
            .as_ref()
            .map(|of| format!("[SHADOWING {of}] "))
            .unwrap_or_default();
        let drill = if self.drill { "[DRILL] " } else { "" };
        format!(
            "{drill}{shadow}[{tag}]{id} {}: {}",
            self.service, self.title
        )
    }
}

/// One line for a bundle: the message's own headline when there is one,
/// else how many there are and of what.
pub fn bundle_headline(messages: &[Message]) -> String {
    match messages {
        [] => String::new(),
        [one] => one.headline(),
        many => {
            let pages = many
                .iter()
                .filter(|m| m.subject == Subject::Page && m.is_urgent())
                .count();
            let resolved = many.iter().filter(|m| m.event == "resolved").count();
            let mut parts = Vec::new();
            if pages > 0 {
                parts.push(format!("{pages} need a responder"));
            }
            if resolved > 0 {
                parts.push(format!("{resolved} resolved"));
            }
            let rest = many.len() - pages - resolved;
            if rest > 0 {
                parts.push(format!("{rest} other"));
            }
            format!(
                "[pagerbound] {} notifications: {}",
                many.len(),
                parts.join(", ")
            )
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn page_message(event: &str, id: i64) -> Message {
        Message {
            subject: Subject::Page,
            event: event.to_owned(),
            title: "High error rate".to_owned(),
            service: "checkout".to_owned(),
            actor: (event == "acknowledged").then(|| "alice".to_owned()),
            page: Some(PageSummary {
                id,
                state: "triggered".to_owned(),
                route: "checkout-slo".to_owned(),
                created_at: "2026-11-21T10:00:00Z".parse().expect("time"),
                alert_count: 1,
            }),
            alerts: Vec::new(),
            text: None,
            runbook: None,
            links: Links::default(),
            shadow_of: None,
            low_urgency: false,
            drill: false,
            at: "2026-11-21T10:00:00Z".parse().expect("time"),
        }
    }

    #[test]
    fn only_pages_that_need_a_responder_are_urgent() {
        assert!(page_message("triggered", 1).is_urgent());
        assert!(page_message("repeated", 1).is_urgent());
        assert!(!page_message("acknowledged", 1).is_urgent());
        assert!(!page_message("resolved", 1).is_urgent());
        let mut ticket = page_message("triggered", 1);
        ticket.subject = Subject::Ticket;
        assert!(!ticket.is_urgent());
    }

    #[test]
    fn headlines_say_what_and_where() {
        assert_eq!(
            page_message("triggered", 7).headline(),
            "[PAGE] #7 checkout: High error rate"
        );
        assert_eq!(
            page_message("acknowledged", 7).headline(),
            "[ACK by alice] #7 checkout: High error rate"
        );
        assert_eq!(
            page_message("resolved", 7).headline(),
            "[RESOLVED] #7 checkout: High error rate"
        );
        let mut drill = page_message("triggered", 7);
        drill.drill = true;
        assert_eq!(
            drill.headline(),
            "[DRILL] [PAGE] #7 checkout: High error rate"
        );
    }

    #[test]
    fn a_bundle_counts_what_it_holds() {
        let one = vec![page_message("triggered", 1)];
        assert_eq!(bundle_headline(&one), one[0].headline());
        let many = vec![
            page_message("triggered", 1),
            page_message("triggered", 2),
            page_message("resolved", 3),
            page_message("acknowledged", 4),
        ];
        assert_eq!(
            bundle_headline(&many),
            "[pagerbound] 4 notifications: 2 need a responder, 1 resolved, 1 other"
        );
    }

    #[test]
    fn messages_survive_the_outbox_as_json() {
        let message = page_message("triggered", 3);
        let stored = serde_json::to_string(&message).expect("to JSON");
        let read: Message = serde_json::from_str(&stored).expect("from JSON");
        assert_eq!(read, message);
    }
}
