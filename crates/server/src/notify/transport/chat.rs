//! Chat through a Slack-compatible incoming webhook (Slack, Mattermost,
//! Rocket.Chat and others that take the same shape).
//!
//! `text` carries the whole message in Slack's link syntax, which
//! Mattermost also reads; `blocks` adds buttons where Slack shows them.
//! Buttons only open the signed action links: the link's own page asks
//! for the confirming click, so nothing acts on a preview.

use super::text::{MAX_LINES, detail, ordered, title};
use super::{Delivery, Transport, http_outcome};
use async_trait::async_trait;
use pagerbound_core::Secret;
use pagerbound_core::notify::{Message, Outcome};
use serde_json::{Value, json};

pub(super) struct Chat {
    pub http: reqwest::Client,
    pub url: Secret,
}

#[async_trait]
impl Transport for Chat {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        let url = match &delivery.destination.to {
            Some(to) => to.as_str(),
            None => self.url.expose(),
        };
        let request = self
            .http
            .post(url)
            .header("Idempotency-Key", delivery.key)
            .json(&payload(delivery.messages));
        http_outcome(request).await
    }
}

/// Slack's `mrkdwn` reserves these three.
fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// `<url|label>`.
fn link(url: &url::Url, label: &str) -> String {
    format!("<{url}|{label}>")
}

/// One message as a line: the headline in bold, then where to act.
fn line(message: &Message) -> String {
    let mut line = format!("*{}*", escape(&message.headline()));
    let links: Vec<String> = [
        message.links.view.as_ref().map(|u| link(u, "View")),
        message
            .links
            .acknowledge
            .as_ref()
            .map(|u| link(u, "Acknowledge")),
        message.links.resolve.as_ref().map(|u| link(u, "Resolve")),
        message.runbook.as_ref().map(|u| link(u, "Runbook")),
    ]
    .into_iter()
    .flatten()
    .collect();
    if !links.is_empty() {
        line.push_str(" · ");
        line.push_str(&links.join(" · "));
    }
    line
}

fn payload(messages: &[Message]) -> Value {
    let ordered = ordered(messages);
    let mut text = String::new();
    if messages.len() > 1 {
        text.push_str(&escape(&title(messages)));
        text.push('\n');
    }
    let mut blocks = Vec::new();
    for message in ordered.iter().take(MAX_LINES) {
        let mut entry = line(message);
        if messages.len() == 1
            && let Some(detail) = detail(message)
        {
            entry.push('\n');
            entry.push_str(&escape(&detail));
        }
        text.push_str(&entry);
        text.push('\n');
        blocks.push(json!({"type": "section", "text": {"type": "mrkdwn", "text": entry}}));
        let buttons: Vec<Value> = [
            (message.links.acknowledge.as_ref(), "Acknowledge", "primary"),
            (message.links.resolve.as_ref(), "Resolve", ""),
        ]
        .into_iter()
        .filter_map(|(url, label, style)| {
            let mut button = json!({
                "type": "button",
                "text": {"type": "plain_text", "text": label},
                "url": url?.as_str(),
            });
            if !style.is_empty() {
                button["style"] = json!(style);
            }
            Some(button)
        })
        .collect();
        if !buttons.is_empty() {
            blocks.push(json!({"type": "actions", "elements": buttons}));
        }
    }
    if messages.len() > MAX_LINES {
        let more = format!("… and {} more", messages.len() - MAX_LINES);
        text.push_str(&more);
        blocks.push(json!({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]}));
    }
    json!({"text": text.trim_end(), "blocks": blocks})
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_core::notify::{Links, Subject};

    #[test]
    fn a_page_reads_well_and_links_where_to_act() {
        let mut message =
            super::super::sample_message(Subject::Page, "triggered", "p99 latency > 2s <checkout>");
        message.runbook = Some("https://runbooks.example.com/c".parse().expect("url"));
        message.links = Links {
            view: None,
            acknowledge: Some("https://pb.example.com/a/t1".parse().expect("url")),
            resolve: Some("https://pb.example.com/a/t2".parse().expect("url")),
        };
        let payload = payload(&[message]);
        assert_eq!(
            payload["text"],
            "*[PAGE] checkout: p99 latency &gt; 2s &lt;checkout&gt;* · \
             <https://pb.example.com/a/t1|Acknowledge> · <https://pb.example.com/a/t2|Resolve> · \
             <https://runbooks.example.com/c|Runbook>"
        );
        let buttons = &payload["blocks"][1]["elements"];
        assert_eq!(buttons[0]["url"], "https://pb.example.com/a/t1");
        assert_eq!(buttons[0]["style"], "primary");
        assert_eq!(buttons[1]["text"]["text"], "Resolve");
    }
}
