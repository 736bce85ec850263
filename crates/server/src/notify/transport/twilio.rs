//! SMS and voice through a Twilio-compatible REST API: `POST
//! {api_url}/2010-04-01/Accounts/{sid}/Messages.json` (or `Calls.json`),
//! form-encoded, with the account's SID and token as basic auth. The base
//! URL is configurable, so other providers with the same API (and tests'
//! local fakes) work too.

use super::text::{ordered, plain, truncate};
use super::{Delivery, Transport, http_outcome};
use async_trait::async_trait;
use pagerbound_core::channel::TwilioApi;
use pagerbound_core::notify::{Message, Outcome, Subject};
use url::Url;

/// Longer texts are split into many segments (and billed so); a page
/// needs its headline and its links, not the whole story.
const MAX_SMS: usize = 640;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Medium {
    Sms,
    Voice,
}

pub(super) struct Twilio {
    pub http: reqwest::Client,
    pub api: TwilioApi,
    pub medium: Medium,
}

impl Twilio {
    fn endpoint(&self) -> Result<Url, String> {
        let resource = match self.medium {
            Medium::Sms => "Messages.json",
            Medium::Voice => "Calls.json",
        };
        let mut url = self.api.api_url.clone();
        url.path_segments_mut()
            .map_err(|()| format!("`{}` cannot be a base URL", self.api.api_url))?
            .pop_if_empty()
            .extend(["2010-04-01", "Accounts", &self.api.account_sid, resource]);
        Ok(url)
    }
}

#[async_trait]
impl Transport for Twilio {
    async fn deliver(&self, delivery: &Delivery<'_>) -> Outcome {
        let Some(to) = delivery.destination.to.as_deref() else {
            return Outcome::Permanent(
                "an SMS or voice contact method needs a number (`to`)".into(),
            );
        };
        let url = match self.endpoint() {
            Ok(url) => url,
            Err(error) => return Outcome::Permanent(error),
        };
        let mut form = vec![("To", to.to_owned()), ("From", self.api.from.clone())];
        match self.medium {
            Medium::Sms => form.push(("Body", truncate(&plain(delivery.messages), MAX_SMS))),
            Medium::Voice => form.push(("Twiml", twiml(delivery.messages))),
        }
        let request = self
            .http
            .post(url)
            .basic_auth(&self.api.account_sid, Some(self.api.auth_token.expose()))
            .header("Idempotency-Key", delivery.key)
            .form(&form);
        http_outcome(request).await
    }
}

/// What the call says, once, then again so that a half-awake listener
/// catches it; with one page whose acknowledge link is known, pressing a
/// key acknowledges it (the keypress posts to the signed link).
fn twiml(messages: &[Message]) -> String {
    let words = xml_escape(&spoken(messages));
    let mut twiml = format!("<Response><Say>{words}</Say><Pause length=\"1\"/><Say>{words}</Say>");
    if let [one] = messages
        && let Some(url) = &one.links.acknowledge
    {
        twiml.push_str(&format!(
            "<Gather numDigits=\"1\" method=\"POST\" action=\"{}\"><Say>Press any key to acknowledge.</Say></Gather>",
            xml_escape(url.as_str())
        ));
    }
    twiml.push_str("</Response>");
    twiml
}

/// A bundle in words a voice can say: no brackets, no links.
fn spoken(messages: &[Message]) -> String {
    let say = |m: &Message| {
        let what = match m.event.as_str() {
            "resolved" => "resolved",
            "acknowledged" => "acknowledged",
            _ => match m.subject {
                Subject::Page => "page",
                Subject::Ticket => "ticket",
                Subject::Notice => "notice",
            },
        };
        format!("{what} for {}: {}.", m.service, m.title)
    };
    match messages {
        [one] => format!("pagerbound {}", say(one)),
        many => {
            let urgent = many.iter().filter(|m| m.is_urgent()).count();
            let lead = ordered(many)[0];
            format!(
                "pagerbound: {} notifications, {urgent} need a responder. First, {}",
                many.len(),
                say(lead)
            )
        }
    }
}

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_core::Secret;

    fn page(title: &str) -> Message {
        super::super::sample_message(Subject::Page, "triggered", title)
    }

    #[test]
    fn the_endpoint_sits_under_the_configured_base() {
        let twilio = |base: &str, medium| Twilio {
            http: reqwest::Client::new(),
            api: TwilioApi {
                api_url: base.parse().expect("url"),
                account_sid: "AC123".to_owned(),
                auth_token: Secret::new("t"),
                from: "+15550001111".to_owned(),
            },
            medium,
        };
        assert_eq!(
            twilio("https://api.twilio.com", Medium::Sms)
                .endpoint()
                .expect("url")
                .as_str(),
            "https://api.twilio.com/2010-04-01/Accounts/AC123/Messages.json"
        );
        assert_eq!(
            twilio("http://127.0.0.1:9/fake/", Medium::Voice)
                .endpoint()
                .expect("url")
                .as_str(),
            "http://127.0.0.1:9/fake/2010-04-01/Accounts/AC123/Calls.json"
        );
    }

    #[test]
    fn a_call_says_the_page_twice_and_offers_the_acknowledge_key() {
        let mut one = page("Errors > 5% & rising");
        one.links.acknowledge = Some("https://pb.example.com/a/t?x=1&y=2".parse().expect("url"));
        let twiml = twiml(&[one]);
        assert_eq!(
            twiml
                .matches("<Say>pagerbound page for checkout: Errors &gt; 5% &amp; rising.</Say>")
                .count(),
            2,
            "{twiml}"
        );
        assert!(
            twiml.contains("action=\"https://pb.example.com/a/t?x=1&amp;y=2\""),
            "{twiml}"
        );
        let bundle = twiml_for_two();
        assert!(
            bundle.contains("2 notifications, 2 need a responder"),
            "{bundle}"
        );
        assert!(
            !bundle.contains("<Gather"),
            "a key acknowledges one page, not a bundle"
        );
    }

    fn twiml_for_two() -> String {
        twiml(&[page("One"), page("Two")])
    }
}
