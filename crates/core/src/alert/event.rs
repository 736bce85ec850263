//! Generic events (`POST /api/v1/events`), shaped like PagerDuty's Events
//! API v2 so that senders written for it need only a new URL:
//!
//! ```json
//! {"routing_key": "...", "event_action": "trigger", "dedup_key": "disk-db1",
//!  "payload": {"summary": "Disk 95% full on db1", "source": "db1",
//!              "severity": "critical", "custom_details": {...}},
//!  "links": [{"href": "https://...", "text": "Dashboard"}]}
//! ```
//!
//! An event becomes an alert whose labels are the event's routing fields
//! (`alertname` from `payload.class`, `dedup_key`, `source`, `severity`,
//! `component`, `group`, and any `labels` given), so routes match events
//! like any other alert. The dedup key names the alert: a later trigger with
//! the same key replaces it, `resolve` ends it, `acknowledge` acknowledges
//! its page.

use super::{Alert, Labels, is_valid_name, parse_timestamp};
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// What an event asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EventAction {
    Trigger,
    Acknowledge,
    Resolve,
}

/// An event as posted. Unknown fields are ignored.
#[derive(Debug, Clone, Deserialize)]
pub struct Event {
    /// The integration's token, as PagerDuty senders put it in the body.
    pub routing_key: Option<String>,
    #[serde(alias = "action")]
    pub event_action: EventAction,
    pub dedup_key: Option<String>,
    pub payload: Option<EventPayload>,
    #[serde(default)]
    pub links: Vec<EventLink>,
    pub client: Option<String>,
    pub client_url: Option<String>,
    /// Extra labels to route on (a pagerbound extension).
    #[serde(default)]
    pub labels: BTreeMap<String, String>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventPayload {
    pub summary: String,
    pub source: Option<String>,
    pub severity: Option<String>,
    pub timestamp: Option<String>,
    pub component: Option<String>,
    pub group: Option<String>,
    pub class: Option<String>,
    #[serde(alias = "details")]
    pub custom_details: Option<serde_json::Value>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct EventLink {
    pub href: String,
    pub text: Option<String>,
}

/// Why an event was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum EventError {
    #[error("a trigger needs a `payload` with a `summary`")]
    MissingPayload,
    #[error("`{0}` needs a `dedup_key` naming the alert")]
    MissingDedupKey(&'static str),
    #[error("{0}")]
    Invalid(String),
}

/// PagerDuty's severities; anything else is refused so routes can rely on
/// the value.
const SEVERITIES: [&str; 4] = ["critical", "error", "warning", "info"];

impl Event {
    /// The dedup key, or `generated` for a trigger without one.
    pub fn key(&self, generated: impl FnOnce() -> String) -> Result<String, EventError> {
        match (&self.dedup_key, self.event_action) {
            (Some(key), _) if !key.is_empty() => Ok(key.clone()),
            (_, EventAction::Trigger) => Ok(generated()),
            (_, EventAction::Acknowledge) => Err(EventError::MissingDedupKey("acknowledge")),
            (_, EventAction::Resolve) => Err(EventError::MissingDedupKey("resolve")),
        }
    }

    /// The alert a trigger raises: firing until resolved.
    pub fn into_alert(self, dedup_key: &str, now: Timestamp) -> Result<Alert, EventError> {
        let payload = self.payload.ok_or(EventError::MissingPayload)?;
        if payload.summary.trim().is_empty() {
            return Err(EventError::MissingPayload);
        }
        if let Some(severity) = &payload.severity
            && !SEVERITIES.contains(&severity.as_str())
        {
            return Err(EventError::Invalid(format!(
                "severity `{severity}` is not one of critical, error, warning, info"
            )));
        }
        let mut labels = Labels::new();
        for (name, value) in self.labels {
            if !is_valid_name(&name) {
                return Err(EventError::Invalid(format!(
                    "label name `{name}` is invalid"
                )));
            }
            labels.insert(name, value);
        }
        labels.insert(
            "alertname",
            payload.class.clone().unwrap_or_else(|| "Event".to_owned()),
        );
        labels.insert("dedup_key", dedup_key);
        for (name, value) in [
            ("source", &payload.source),
            ("severity", &payload.severity),
            ("component", &payload.component),
            ("group", &payload.group),
        ] {
            if let Some(value) = value {
                labels.insert(name, value.as_str());
            }
        }
        let mut annotations = Labels::new();
        annotations.insert("summary", payload.summary);
        if let Some(details) = payload.custom_details {
            let text = match details {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            annotations.insert("details", text);
        }
        if !self.links.is_empty() {
            let links: Vec<serde_json::Value> = self
                .links
                .iter()
                .map(|l| serde_json::json!({ "href": l.href, "text": l.text }))
                .collect();
            annotations.insert("links", serde_json::Value::Array(links).to_string());
        }
        if let Some(client) = self.client {
            annotations.insert("client", client);
        }
        let starts_at = parse_timestamp("payload.timestamp", payload.timestamp.as_deref())
            .map_err(EventError::Invalid)?
            .unwrap_or(now);
        Ok(Alert {
            labels,
            annotations,
            starts_at,
            ends_at: None,
            timeout: false,
            generator_url: self
                .client_url
                .or_else(|| self.links.first().map(|l| l.href.clone())),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T10:00:00Z".parse().expect("time")
    }

    fn event(json: &str) -> Event {
        serde_json::from_str(json).expect("event")
    }

    #[test]
    fn a_pagerduty_trigger_becomes_a_routable_alert() {
        let e = event(
            r#"{"routing_key": "k", "event_action": "trigger", "dedup_key": "disk-db1",
                "payload": {"summary": "Disk 95% full on db1", "source": "db1", "severity": "critical",
                            "component": "postgres", "class": "DiskFull", "custom_details": {"free": "5%"}},
                "links": [{"href": "https://grafana/d/1", "text": "Dashboard"}],
                "labels": {"service": "ledger"}}"#,
        );
        let key = e.key(|| unreachable!()).expect("key");
        let alert = e.into_alert(&key, now()).expect("alert");
        assert_eq!(
            alert.labels.to_string(),
            r#"{alertname="DiskFull", component="postgres", dedup_key="disk-db1", service="ledger", severity="critical", source="db1"}"#
        );
        assert_eq!(
            alert.annotations.get("summary"),
            Some("Disk 95% full on db1")
        );
        assert_eq!(alert.annotations.get("details"), Some(r#"{"free":"5%"}"#));
        assert_eq!(alert.generator_url.as_deref(), Some("https://grafana/d/1"));
        assert_eq!(alert.ends_at, None, "events fire until resolved");
        assert_eq!(alert.starts_at, now());
    }

    #[test]
    fn short_forms_and_generated_keys() {
        let e =
            event(r#"{"action": "trigger", "payload": {"summary": "x", "details": "plain text"}}"#);
        assert_eq!(e.key(|| "generated".into()), Ok("generated".into()));
        let alert = e.into_alert("generated", now()).expect("alert");
        assert_eq!(alert.labels.get("alertname"), Some("Event"));
        assert_eq!(alert.annotations.get("details"), Some("plain text"));
    }

    #[test]
    fn refusals_say_what_is_missing() {
        let resolve = event(r#"{"event_action": "resolve"}"#);
        assert_eq!(
            resolve.key(String::new),
            Err(EventError::MissingDedupKey("resolve"))
        );
        let no_payload = event(r#"{"event_action": "trigger", "dedup_key": "a"}"#);
        assert_eq!(
            no_payload.into_alert("a", now()),
            Err(EventError::MissingPayload)
        );
        let bad = event(
            r#"{"event_action": "trigger", "payload": {"summary": "x", "severity": "urgent"}}"#,
        );
        assert!(
            matches!(bad.into_alert("a", now()), Err(EventError::Invalid(m)) if m.contains("urgent"))
        );
        assert!(serde_json::from_str::<Event>(r#"{"event_action": "explode"}"#).is_err());
    }
}
