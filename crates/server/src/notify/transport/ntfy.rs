//! ntfy: a push to a topic on an ntfy server, published as JSON.
//!
//! Urgent pages go out at priority 5 (urgent), other page news at 4
//! (high), tickets and notices at 3 (default), so that a phone's ntfy
//! settings can tell "wake me" from "tomorrow is fine". Action buttons
//! post straight to the signed action links.

use super::text::{ordered, plain, title, truncate};
use super::{Delivery, Transport, http_outcome};
use async_trait::async_trait;
use pagerbound_core::Secret;
use pagerbound_core::notify::{Message, Outcome, Subject};
use serde_json::{Value, json};
use url::Url;

/// ntfy keeps messages up to 4096 bytes; stay well inside.
const MAX_MESSAGE: usize = 3000;

pub(super) struct Ntfy {
    pub http: reqwest::Client,
    pub server: Url,
    pub token: Option<Secret>,
}

#[async_trait]
impl Transport for Ntfy {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        let Some(topic) = delivery.destination.to.as_deref() else {
            return Outcome::Permanent("an ntfy contact method needs a topic (`to`)".to_owned());
        };
        let mut request = self
            .http
            .post(self.server.as_str())
            .header("Idempotency-Key", delivery.key)
            .json(&payload(topic, delivery.messages));
        if let Some(token) = &self.token {
            request = request.bearer_auth(token.expose());
        }
        http_outcome(request).await
    }
}

fn priority(messages: &[Message]) -> u8 {
    if messages.iter().any(Message::is_urgent) {
        5
    } else if messages
        .iter()
        .any(|m| m.subject == Subject::Page || m.event == "delivery_failed")
    {
        4
    } else {
        3
    }
}

fn tags(messages: &[Message]) -> Vec<String> {
    let lead = ordered(messages)[0];
    let emoji = match (lead.subject, lead.event.as_str()) {
        (_, "resolved") => "white_check_mark",
        (_, "acknowledged") => "eyes",
        (Subject::Page, _) => "rotating_light",
        (Subject::Ticket, _) => "ticket",
        (Subject::Notice, _) => "warning",
    };
    let mut tags = vec![emoji.to_owned()];
    for message in messages {
        if !tags.contains(&message.service) {
            tags.push(message.service.clone());
        }
    }
    tags.truncate(5);
    tags
}

fn payload(topic: &str, messages: &[Message]) -> Value {
    let lead = ordered(messages)[0];
    let mut body = json!({
        "topic": topic,
        "title": title(messages),
        "message": truncate(&plain(messages), MAX_MESSAGE),
        "priority": priority(messages),
        "tags": tags(messages),
    });
    if let Some(view) = &lead.links.view {
        body["click"] = json!(view.as_str());
    }
    // Action buttons act on one page, so only a bundle of one gets them.
    if let [one] = messages {
        let mut actions = Vec::new();
        if let Some(url) = &one.links.acknowledge {
            actions.push(json!({"action": "http", "label": "Acknowledge", "url": url.as_str(), "method": "POST", "clear": true}));
        }
        if let Some(url) = &one.links.resolve {
            actions.push(json!({"action": "http", "label": "Resolve", "url": url.as_str(), "method": "POST", "clear": true}));
        }
        if let Some(url) = &one.runbook {
            actions.push(json!({"action": "view", "label": "Runbook", "url": url.as_str()}));
        }
        if !actions.is_empty() {
            body["actions"] = json!(actions);
        }
    }
    body
}

#[cfg(test)]
mod tests {
    use super::*;

    fn message(subject: Subject, event: &str) -> Message {
        super::super::sample_message(subject, event, "Checkout errors")
    }

    #[test]
    fn pages_wake_people_and_the_rest_does_not() {
        assert_eq!(priority(&[message(Subject::Page, "triggered")]), 5);
        assert_eq!(priority(&[message(Subject::Page, "resolved")]), 4);
        assert_eq!(priority(&[message(Subject::Ticket, "triggered")]), 3);
        assert_eq!(priority(&[message(Subject::Notice, "delivery_failed")]), 4);
        assert_eq!(
            priority(&[
                message(Subject::Ticket, "triggered"),
                message(Subject::Page, "triggered")
            ]),
            5,
            "a bundle is as urgent as its most urgent message"
        );
        assert_eq!(
            tags(&[message(Subject::Page, "triggered")]),
            ["rotating_light", "checkout"]
        );
        assert_eq!(tags(&[message(Subject::Page, "acknowledged")])[0], "eyes");
    }

    #[test]
    fn one_page_gets_buttons_that_post_to_its_links() {
        let mut one = message(Subject::Page, "triggered");
        one.links.acknowledge = Some("https://pb.example.com/a/t1".parse().expect("url"));
        one.links.view = Some("https://pb.example.com/pages/1".parse().expect("url"));
        let body = payload("alice-phone", &[one.clone()]);
        assert_eq!(body["topic"], "alice-phone");
        assert_eq!(body["click"], "https://pb.example.com/pages/1");
        assert_eq!(body["actions"][0]["method"], "POST");
        assert_eq!(body["actions"][0]["url"], "https://pb.example.com/a/t1");
        let bundle = payload("alice-phone", &[one.clone(), one]);
        assert!(bundle.get("actions").is_none());
    }
}
