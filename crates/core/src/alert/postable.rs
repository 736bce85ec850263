//! Alerts as Prometheus posts them to Alertmanager's `POST /api/v2/alerts`.

use super::{Alert, Labels};
use crate::duration::Duration;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::BTreeMap;

/// One element of the posted JSON array. Unknown fields are ignored, as
/// Alertmanager does.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PostableAlert {
    pub labels: BTreeMap<String, String>,
    #[serde(default)]
    pub annotations: BTreeMap<String, String>,
    pub starts_at: Option<String>,
    pub ends_at: Option<String>,
    #[serde(rename = "generatorURL")]
    pub generator_url: Option<String>,
}

impl PostableAlert {
    /// Validates and completes the alert as Alertmanager does: empty label
    /// values are dropped and at least one label must remain; `startsAt`
    /// defaults to `now`; a missing `endsAt` means `now + resolve_timeout`
    /// (the alert resolves unless it is sent again); `endsAt` before
    /// `startsAt` is refused.
    pub fn into_alert(self, now: Timestamp, resolve_timeout: Duration) -> Result<Alert, String> {
        let labels = Labels::checked("label", self.labels)?;
        if labels.is_empty() {
            return Err("an alert needs at least one label with a non-empty value".to_owned());
        }
        let annotations = Labels::checked("annotation", self.annotations)?;
        let given_end = parse_timestamp("endsAt", self.ends_at.as_deref())?;
        // Without a start, an alert starts now, or at its end if that is
        // earlier (a resolution sent on its own), as in Alertmanager.
        let starts_at = parse_timestamp("startsAt", self.starts_at.as_deref())?
            .unwrap_or_else(|| given_end.map_or(now, |end| end.min(now)));
        let (ends_at, timeout) = match given_end {
            Some(end) => (end, false),
            None => (now + resolve_timeout.to_signed(), true),
        };
        if ends_at < starts_at {
            return Err(format!(
                "endsAt ({ends_at}) is before startsAt ({starts_at})"
            ));
        }
        Ok(Alert {
            labels,
            annotations,
            starts_at,
            ends_at: Some(ends_at),
            timeout,
            generator_url: self.generator_url.filter(|u| !u.is_empty()),
        })
    }
}

/// Reads an RFC 3339 timestamp. Absent, empty and Go's zero time
/// (`0001-01-01T00:00:00Z`, which Go clients send for "unset") are `None`.
pub fn parse_timestamp(field: &str, text: Option<&str>) -> Result<Option<Timestamp>, String> {
    let Some(text) = text.filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    let timestamp: Timestamp = text.parse().map_err(|_| {
        format!("{field} `{text}` is not an RFC 3339 timestamp, e.g. `2026-11-21T09:30:00Z`")
    })?;
    let go_zero_time = Timestamp::from_second(-62_135_596_800).unwrap_or(Timestamp::MIN);
    Ok((timestamp > go_zero_time).then_some(timestamp))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn now() -> Timestamp {
        "2026-11-21T10:00:00Z".parse().expect("time")
    }

    fn postable(json: &str) -> PostableAlert {
        serde_json::from_str(json).expect("postable")
    }

    fn convert(json: &str) -> Result<Alert, String> {
        postable(json).into_alert(now(), Duration::from_mins(5))
    }

    #[test]
    fn defaults_follow_alertmanager() {
        let alert = convert(r#"{"labels": {"alertname": "X", "empty": ""}}"#).expect("valid");
        assert_eq!(alert.labels.len(), 1, "empty values are dropped");
        assert_eq!(alert.starts_at, now());
        assert_eq!(
            alert.ends_at,
            Some("2026-11-21T10:05:00Z".parse().expect("time"))
        );
        assert!(alert.timeout);
    }

    #[test]
    fn given_times_are_kept_and_go_zero_times_are_unset() {
        let alert = convert(
            r#"{"labels": {"a": "1"}, "startsAt": "2026-11-21T09:00:00+01:00", "endsAt": "0001-01-01T00:00:00Z",
                "generatorURL": "http://prometheus/graph", "unknownField": 1}"#,
        )
        .expect("valid");
        assert_eq!(
            alert.starts_at,
            "2026-11-21T08:00:00Z".parse::<Timestamp>().expect("time")
        );
        assert!(alert.timeout, "the zero time means no endsAt");
        assert_eq!(
            alert.generator_url.as_deref(),
            Some("http://prometheus/graph")
        );

        let resolved = convert(r#"{"labels": {"a": "1"}, "startsAt": "2026-11-21T09:00:00Z", "endsAt": "2026-11-21T09:30:00.5Z"}"#)
            .expect("valid");
        assert!(!resolved.timeout);
        assert!(!resolved.is_firing(now()));

        let end_only =
            convert(r#"{"labels": {"a": "1"}, "endsAt": "2026-11-21T09:59:59Z"}"#).expect("valid");
        assert_eq!(
            end_only.starts_at,
            end_only.ends_at.expect("end"),
            "a lone end is also the start"
        );
    }

    #[test]
    fn refuses_what_alertmanager_refuses() {
        let cases = [
            (r#"{"labels": {}}"#, "at least one label"),
            (r#"{"labels": {"a": ""}}"#, "at least one label"),
            (
                r#"{"labels": {"bad-name": "x"}}"#,
                "label name `bad-name` is invalid",
            ),
            (
                r#"{"labels": {"a": "1"}, "annotations": {"1x": "y"}}"#,
                "annotation name `1x`",
            ),
            (
                r#"{"labels": {"a": "1"}, "startsAt": "yesterday"}"#,
                "startsAt `yesterday` is not an RFC 3339",
            ),
            (
                r#"{"labels": {"a": "1"}, "startsAt": "2026-11-21T09:00:00Z", "endsAt": "2026-11-21T08:00:00Z"}"#,
                "is before startsAt",
            ),
        ];
        for (json, message) in cases {
            let error = convert(json).expect_err(json);
            assert!(error.contains(message), "{json}: {error}");
        }
    }

    #[test]
    fn label_values_must_be_strings() {
        assert!(serde_json::from_str::<PostableAlert>(r#"{"labels": {"a": 5}}"#).is_err());
        assert!(serde_json::from_str::<PostableAlert>(r#"{"annotations": {}}"#).is_err());
    }
}
