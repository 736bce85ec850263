//! Alertmanager's webhook notification (version 4), accepted as ingest so
//! that an existing Alertmanager can forward to pagerbound.

use super::Alert;
use super::postable::PostableAlert;
use crate::duration::Duration;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The webhook body; fields pagerbound does not use are ignored.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookMessage {
    pub version: String,
    pub alerts: Vec<WebhookAlert>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookAlert {
    pub status: String,
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    pub generator_url: Option<String>,
}

impl WebhookMessage {
    pub fn check_version(&self) -> Result<(), String> {
        if self.version == "4" {
            Ok(())
        } else {
            Err(format!(
                "webhook version `{}` is not supported; Alertmanager sends version 4",
                self.version
            ))
        }
    }
}

impl WebhookAlert {
    /// A firing alert fires until a resolved notification arrives:
    /// Alertmanager repeats notifications only every `repeat_interval`, far
    /// longer than a resolve timeout.
    pub fn into_alert(self, now: Timestamp) -> Result<Alert, String> {
        let firing = match self.status.as_str() {
            "firing" => true,
            "resolved" => false,
            other => {
                return Err(format!(
                    "status `{other}` is neither `firing` nor `resolved`"
                ));
            }
        };
        let postable = PostableAlert {
            labels: self.labels,
            annotations: self.annotations,
            starts_at: self.starts_at,
            ends_at: if firing { None } else { self.ends_at },
            generator_url: self.generator_url,
        };
        let mut alert = postable.into_alert(now, Duration::ZERO)?;
        if firing {
            alert.ends_at = None;
            alert.timeout = false;
        } else if alert.timeout {
            // Resolved without an end time: it ended now.
            alert.ends_at = Some(now.max(alert.starts_at));
            alert.timeout = false;
        }
        Ok(alert)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn firing_alerts_fire_until_resolved_and_resolved_ones_end() {
        let now: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        let message: WebhookMessage = serde_json::from_str(
            r#"{"version": "4", "groupKey": "{}:{}", "status": "firing", "receiver": "pb",
                "alerts": [
                  {"status": "firing", "labels": {"alertname": "A"}, "annotations": {},
                   "startsAt": "2026-11-21T09:00:00Z", "endsAt": "0001-01-01T00:00:00Z", "fingerprint": "x"},
                  {"status": "resolved", "labels": {"alertname": "B"},
                   "startsAt": "2026-11-21T09:00:00Z", "endsAt": "2026-11-21T09:50:00Z"}]}"#,
        )
        .expect("message");
        message.check_version().expect("version 4");
        let mut alerts = message
            .alerts
            .into_iter()
            .map(|a| a.into_alert(now).expect("alert"));
        let firing = alerts.next().expect("first");
        assert_eq!(firing.ends_at, None);
        let resolved = alerts.next().expect("second");
        assert_eq!(
            resolved.ends_at,
            Some("2026-11-21T09:50:00Z".parse().expect("time"))
        );
        assert!(!resolved.is_firing(now));
    }

    #[test]
    fn other_versions_and_statuses_are_refused() {
        let message: WebhookMessage =
            serde_json::from_str(r#"{"version": "3", "alerts": []}"#).expect("message");
        assert!(message.check_version().is_err());
        let alert: WebhookAlert =
            serde_json::from_str(r#"{"status": "pending", "labels": {"a": "1"}}"#).expect("alert");
        assert!(alert.into_alert(Timestamp::UNIX_EPOCH).is_err());
    }
}
