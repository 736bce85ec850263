//! Plain words for channels that carry text, not JSON: chat, ntfy, SMS and
//! voice. A bundle becomes one text that leads with what needs a
//! responder and stays short enough for a phone.

use pagerbound_core::notify::Message;
use pagerbound_core::notify::message::bundle_headline;

/// The messages of a bundle listed one per line at most; the rest are
/// counted.
pub(super) const MAX_LINES: usize = 10;

/// The messages that say most, urgent first, in the order they happened.
pub(super) fn ordered(messages: &[Message]) -> Vec<&Message> {
    let mut ordered: Vec<&Message> = messages.iter().collect();
    ordered.sort_by_key(|m| (!m.is_urgent(), m.at));
    ordered
}

/// The title of a bundle: the message's own headline when there is one.
pub(super) fn title(messages: &[Message]) -> String {
    bundle_headline(messages)
}

/// What a message adds to its headline: the first alert's summary, or a
/// notice's text.
pub(super) fn detail(message: &Message) -> Option<String> {
    if let Some(text) = &message.text {
        return Some(text.clone());
    }
    let alert = message.alerts.first()?;
    ["summary", "description", "message"]
        .iter()
        .find_map(|name| alert.annotations.get(name))
        .map(str::to_owned)
}

/// A bundle as plain lines: for one message its headline, detail and
/// links; for several one headline each.
pub(super) fn plain(messages: &[Message]) -> String {
    match messages {
        [one] => {
            let mut text = one.headline();
            if let Some(detail) = detail(one) {
                text.push('\n');
                text.push_str(&detail);
            }
            if let Some(url) = &one.links.acknowledge {
                text.push_str(&format!("\nAcknowledge: {url}"));
            }
            if let Some(url) = &one.links.view {
                text.push_str(&format!("\nView: {url}"));
            }
            text
        }
        many => {
            let mut text = title(many);
            let ordered = ordered(many);
            for message in ordered.iter().take(MAX_LINES) {
                text.push('\n');
                text.push_str(&message.headline());
            }
            if many.len() > MAX_LINES {
                text.push_str(&format!("\n... and {} more", many.len() - MAX_LINES));
            }
            text
        }
    }
}

/// `text` cut to at most `max` characters, marked when cut.
pub(super) fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        return text.to_owned();
    }
    let mut cut: String = text.chars().take(max.saturating_sub(1)).collect();
    cut.push('…');
    cut
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_core::notify::Subject;

    fn message(event: &str, id: i64, minute: i8) -> Message {
        let mut message =
            super::super::sample_message(Subject::Page, event, &format!("Problem {id}"));
        message.at = jiff::civil::date(2026, 11, 21)
            .at(10, minute, 0, 0)
            .in_tz("UTC")
            .expect("time")
            .timestamp();
        message
    }

    #[test]
    fn one_message_says_what_and_where_to_act() {
        let mut one = message("triggered", 7, 0);
        one.text = Some("Error budget burning 14x".to_owned());
        one.links.acknowledge = Some("https://pb.example.com/a/xyz".parse().expect("url"));
        assert_eq!(
            plain(&[one]),
            "[PAGE] checkout: Problem 7\nError budget burning 14x\nAcknowledge: https://pb.example.com/a/xyz"
        );
    }

    #[test]
    fn a_bundle_leads_with_what_needs_a_responder_and_counts_the_rest() {
        let mut messages = vec![message("resolved", 0, 0)];
        messages.extend((1..=12).map(|i| message("triggered", i, i as i8)));
        let text = plain(&messages);
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines[0],
            "[pagerbound] 13 notifications: 12 need a responder, 1 resolved"
        );
        assert_eq!(lines[1], "[PAGE] checkout: Problem 1");
        assert_eq!(lines.len(), 1 + MAX_LINES + 1);
        assert_eq!(lines[MAX_LINES + 1], "... and 3 more");
        assert!(
            !text.contains("RESOLVED"),
            "the resolved one is counted, not listed"
        );
    }

    #[test]
    fn truncation_marks_the_cut() {
        assert_eq!(truncate("short", 10), "short");
        assert_eq!(truncate("a longer text", 6), "a lon…");
    }
}
