//! The configuration as written in YAML, before validation.
//!
//! These types mirror the files field for field and refuse unknown fields.
//! Values that validation must point at are `Spanned`, so an error can say
//! where they are. The doc comments here are the user-facing reference:
//! `docs/configuration.md` follows them.

use serde::Deserialize;
use serde::de::{self, Deserializer, MapAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

pub(crate) type Text = Spanned<String>;

/// One configuration file. Every section is optional; a directory of files
/// is merged section by section.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawFile {
    pub settings: Option<Spanned<RawSettings>>,
    #[serde(default)]
    pub teams: Vec<Spanned<RawTeam>>,
    #[serde(default)]
    pub users: Vec<Spanned<RawUser>>,
    #[serde(default)]
    pub services: Vec<Spanned<RawService>>,
    #[serde(default)]
    pub channels: Vec<Spanned<RawChannel>>,
    #[serde(default)]
    pub integrations: Vec<Spanned<RawIntegration>>,
    pub routes: Option<Spanned<RawRoute>>,
    #[serde(default)]
    pub inhibit_rules: Vec<Spanned<RawInhibitRule>>,
    #[serde(default)]
    pub heartbeats: Vec<Spanned<RawHeartbeat>>,
    #[serde(default)]
    pub schedules: Vec<Spanned<RawSchedule>>,
    #[serde(default)]
    pub escalation_policies: Vec<Spanned<RawEscalationPolicy>>,
    #[serde(default)]
    pub slos: Vec<Spanned<RawSlo>>,
    #[serde(default)]
    pub probes: Vec<Spanned<RawProbe>>,
}

/// The names of [`RawFile`]'s list sections.
pub(crate) const LIST_SECTIONS: [&str; 11] = [
    "teams",
    "users",
    "services",
    "channels",
    "integrations",
    "inhibit_rules",
    "heartbeats",
    "schedules",
    "escalation_policies",
    "slos",
    "probes",
];
/// The sections that are one block each.
pub(crate) const BLOCK_SECTIONS: [&str; 2] = ["settings", "routes"];
/// Every top-level key.
pub(crate) const SECTIONS: [&str; 13] = [
    "settings",
    "teams",
    "users",
    "services",
    "channels",
    "integrations",
    "routes",
    "inhibit_rules",
    "heartbeats",
    "schedules",
    "escalation_policies",
    "slos",
    "probes",
];

/// `settings:` — how this instance runs.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSettings {
    /// Address and port to listen on (default `127.0.0.1:9095`).
    pub listen: Option<Text>,
    /// A SQLite file path (default `pagerbound.db` next to the
    /// configuration) or a `postgres://` URL.
    pub database: Option<Text>,
    /// The URL people use to reach this instance; links in notifications
    /// start with it (default `http://` + `listen`).
    pub external_url: Option<Text>,
    /// Largest request body accepted, e.g. `4MiB` (the default) or a number
    /// of bytes.
    pub max_request_body: Option<Spanned<ByteSize>>,
    /// How long an alert posted without `endsAt` stays firing unless it is
    /// sent again (default `5m`, as Alertmanager).
    pub resolve_timeout: Option<Text>,
    /// How long resolved alerts, pages and tickets are kept (default
    /// `400d`).
    pub retention: Option<Text>,
    /// The label that marks symptom alerts (default `slo`); `check` warns
    /// about page routes that do not require it. Empty turns the lint off.
    pub symptom_label: Option<String>,
    /// How notifications are retried, and where failures are reported.
    pub notifications: Option<Spanned<RawNotificationSettings>>,
    /// The Prometheus-compatible HTTP API (Prometheus, Thanos, Mimir,
    /// VictoriaMetrics) that SLIs of source `prometheus` query unless they
    /// name their own `url`.
    pub prometheus_url: Option<Text>,
}

/// `settings.notifications:` — retries and the fallback channel.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotificationSettings {
    /// Attempts in all, the first included (default 6).
    pub max_attempts: Option<Spanned<u32>>,
    /// Wait after the first failed attempt; it doubles after each (default
    /// `10s`).
    pub first_retry: Option<Text>,
    /// The longest wait between attempts (default `10m`).
    pub max_retry: Option<Text>,
    /// The channel told when a notification finally fails.
    pub fallback_channel: Option<Text>,
}

/// `teams:` — a team owns services and carries their pager.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTeam {
    pub name: Text,
    pub description: Option<String>,
    /// Names of users.
    #[serde(default)]
    pub members: Vec<Text>,
}

/// `users:` — a person who can be paged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawUser {
    pub name: Text,
    pub full_name: Option<String>,
    /// Identifies the person (sign-in, calendars); never used to send.
    pub email: Option<Text>,
    /// IANA time zone, e.g. `Europe/Dublin`; off-hours are judged in it.
    pub time_zone: Text,
    #[serde(default)]
    pub contact_methods: Vec<Spanned<RawContactMethod>>,
    /// When each contact method is used for a page, by urgency (default:
    /// every method at once).
    pub notification_rules: Option<Spanned<RawNotificationRules>>,
}

/// A user's notification rules: `high` for pages that may wake them,
/// `low` for the others.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotificationRules {
    #[serde(default)]
    pub high: Vec<Spanned<RawNotificationRule>>,
    #[serde(default)]
    pub low: Vec<Spanned<RawNotificationRule>>,
}

/// `{contact: sms, after: 2m}`: use a contact method this long after the
/// page is announced, if it is still unacknowledged.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawNotificationRule {
    /// A contact method's name.
    pub contact: Text,
    /// Default `0s`: at once.
    pub after: Option<Text>,
}

/// One way to reach a user.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawContactMethod {
    /// Defaults to the channel's name.
    pub name: Option<Text>,
    /// The channel that carries it.
    pub channel: Text,
    /// The address on that channel: a phone number in E.164 form for `sms`
    /// and `voice`, a topic for `ntfy`, a URL for `webhook` and `chat`
    /// (optional there: the channel's own URL is used when absent).
    pub to: Option<Text>,
}

/// `services:` — something a team owns.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawService {
    pub name: Text,
    /// The owning team.
    pub team: Text,
    pub description: Option<String>,
    /// URL of the runbook responders follow.
    pub runbook: Option<Text>,
    pub support_hours: Option<Spanned<RawSupportHours>>,
    /// The channel for notices about the service (maintenance ending while
    /// alerts still fire).
    pub channel: Option<Text>,
    /// The escalation policy its pages follow (default: notify every
    /// member of the owning team at once).
    pub escalation_policy: Option<Text>,
    /// `high` (default), `low`, or `support_hours`: high inside the
    /// service's support hours, low outside them.
    pub urgency: Option<Text>,
    /// Tickets opened outside `support_hours` are told when they begin.
    pub hold_tickets: Option<Spanned<bool>>,
}

/// When a service is staffed.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSupportHours {
    pub time_zone: Text,
    pub windows: Vec<Spanned<RawWindow>>,
}

/// A weekly window: `days: mon-fri`, `start: "09:00"`, `end: "17:30"`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawWindow {
    pub days: Text,
    pub start: Text,
    pub end: Text,
}

/// The kinds of channel. There is no email: pages and tickets are never
/// email.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub(crate) enum ChannelType {
    Webhook,
    Chat,
    Ntfy,
    Sms,
    Voice,
    Log,
}

/// `channels:` — a transport and its credentials. Which fields apply
/// depends on `type`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawChannel {
    pub name: Text,
    #[serde(rename = "type")]
    pub kind: Spanned<ChannelType>,
    /// `webhook`, `chat`: where to post.
    pub url: Option<Spanned<SecretSource>>,
    /// `webhook`: key for the `X-Pagerbound-Signature` HMAC.
    pub signing_secret: Option<Spanned<SecretSource>>,
    /// `ntfy`: the server (default `https://ntfy.sh`).
    pub server: Option<Text>,
    /// `ntfy`: an access token.
    pub token: Option<Spanned<SecretSource>>,
    /// `sms`, `voice`: base URL of the Twilio-compatible API (default
    /// `https://api.twilio.com`).
    pub api_url: Option<Text>,
    /// `sms`, `voice`.
    pub account_sid: Option<Text>,
    /// `sms`, `voice`.
    pub auth_token: Option<Spanned<SecretSource>>,
    /// `sms`, `voice`: the sending number, E.164.
    pub from: Option<Text>,
    /// The least time between two messages to one destination; what comes
    /// meanwhile is bundled into the next (defaults by type).
    pub min_interval: Option<Text>,
}

/// `integrations:` — a sender of alerts and its token.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawIntegration {
    pub name: Text,
    pub description: Option<String>,
    /// `{sha256: HEX}` (the digest of the token; safe to commit),
    /// `{env: NAME}` or `{file: PATH}` (the token itself).
    pub token: Spanned<SecretSource>,
}

/// `routes:` — the routing tree. The root is the default route: it must
/// name a `service` and a `class`, and has no matchers. Children inherit
/// everything but `matchers`, `continue`, `name` and `routes`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawRoute {
    /// Names the route in `routes test`, the API and pages (default: its
    /// parent's name and its position, `root.0`, `slo.1`).
    pub name: Option<Text>,
    /// Alertmanager matchers, one per item: `severity="critical"`.
    #[serde(default)]
    pub matchers: Vec<Text>,
    /// Go on matching later siblings after this route matched.
    #[serde(rename = "continue", default)]
    pub continue_matching: bool,
    pub service: Option<Text>,
    /// `page`, `ticket` or `log`.
    pub class: Option<Text>,
    /// Labels that group alerts; `[...]` makes every alert its own group.
    pub group_by: Option<Spanned<Vec<Text>>>,
    pub group_wait: Option<Text>,
    pub group_interval: Option<Text>,
    pub repeat_interval: Option<Text>,
    #[serde(default)]
    pub routes: Vec<Spanned<RawRoute>>,
}

/// `inhibit_rules:` — while an alert matching `source_matchers` fires,
/// alerts matching `target_matchers` with equal values of the `equal`
/// labels are muted.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawInhibitRule {
    pub source_matchers: Vec<Text>,
    pub target_matchers: Vec<Text>,
    #[serde(default)]
    pub equal: Vec<Text>,
}

/// `heartbeats:` — a dead man's switch: something that must beat at least
/// every `interval`; when it falls silent for `interval` + `grace`, a page
/// opens on `service`, and the next beat resolves it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawHeartbeat {
    /// Names the heartbeat in `POST /api/v1/heartbeat/{name}`.
    pub name: Text,
    /// The service the page opens on.
    pub service: Text,
    /// The longest expected time between two beats, e.g. `5m`.
    pub interval: Text,
    /// How much later a beat may come before the page opens (default
    /// `1m`; `0s` pages as soon as the interval runs out).
    pub grace: Option<Text>,
    /// The integration whose token may beat, and whose alerts count as
    /// beats (default: any integration).
    pub integration: Option<Text>,
    /// Alertmanager matchers, one per item: an alert that matches them all
    /// counts as a beat (Prometheus's always-firing `Watchdog`).
    #[serde(default)]
    pub matchers: Vec<Text>,
    /// The page's title (default `Heartbeat "NAME" missing: no beat for
    /// 6m`).
    pub summary: Option<String>,
}

/// `slos:` — a service level objective: the share of good events an SLI
/// must keep over a window. pagerbound counts its events, computes its
/// error budget and burn rates, and raises the alerts that page or ticket.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSlo {
    /// Names the SLO in the API, the `slo` label of its alerts and the push
    /// endpoint `POST /api/v1/slis/{name}/events`.
    pub name: Text,
    /// The service its alerts are about (their `service` label).
    pub service: Text,
    pub description: Option<String>,
    /// Where its events come from.
    pub sli: Spanned<RawSli>,
    /// The objective in percent, e.g. `99.9`.
    pub objective: Spanned<f64>,
    /// A rolling window (`28d`, `30d`, any duration) or a calendar period
    /// (`week`, `month`, `quarter`) that starts at midnight in
    /// `time_zone`.
    pub window: Text,
    /// IANA zone of a calendar window (default `UTC`).
    pub time_zone: Option<Text>,
    /// When the burn pages or tickets (default: the SRE Workbook's
    /// multi-window, multi-burn-rate table scaled to the window).
    pub alerting: Option<Vec<Spanned<RawBurnAlert>>>,
    /// Below this many valid events in an alert's long window, the alert
    /// cannot fire (default 0).
    pub min_events: Option<Spanned<f64>>,
    /// The team that owns the objective.
    pub owner: Option<Text>,
    /// URL of the runbook, in the alerts' `runbook_url` annotation.
    pub runbook: Option<Text>,
    /// Labels added to every alert the SLO raises.
    #[serde(default)]
    pub labels: std::collections::BTreeMap<String, String>,
}

/// `slos[].sli:` — where an SLO's events come from.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSli {
    /// `push`: counts of good and valid events sent to
    /// `POST /api/v1/slis/{name}/events`; `probe`: the runs of `probe`.
    pub source: Text,
    /// The probe whose runs are the events (source `probe`).
    pub probe: Option<Text>,
    /// The Prometheus-compatible API to query (source `prometheus`;
    /// default `settings.prometheus_url`).
    pub url: Option<Text>,
    /// PromQL: the per-second rate of good events over `{{.window}}`.
    pub good: Option<Text>,
    /// PromQL: the per-second rate of bad events over `{{.window}}`
    /// (instead of `good`).
    pub bad: Option<Text>,
    /// PromQL: the per-second rate of valid events over `{{.window}}`.
    pub total: Option<Text>,
    /// PromQL: the error ratio over `{{.window}}`, instead of rates of
    /// events (each step then weighs the same).
    pub error_ratio: Option<Text>,
    /// A latency SLI: a histogram's name with optional matchers, e.g.
    /// `http_request_duration_seconds{job="checkout"}`.
    pub histogram: Option<Text>,
    /// The latency under which an event is good, in the histogram's unit:
    /// the `le` of one of its buckets, e.g. `0.3`.
    pub threshold: Option<Spanned<f64>>,
    /// How often the queries are evaluated, each over the step (default
    /// `1m`).
    pub step: Option<Text>,
}

/// `probes:` — an HTTP(S) check pagerbound runs every `interval`; each run
/// is one event, good when every expectation holds, for the SLOs whose SLI
/// is the probe.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawProbe {
    pub name: Text,
    /// The address requested; redirects are not followed.
    pub url: Text,
    /// `GET` (the default), `HEAD`, `POST`, `PUT` or `OPTIONS`.
    pub method: Option<Text>,
    /// Request headers.
    #[serde(default)]
    pub headers: std::collections::BTreeMap<String, String>,
    /// A request body.
    pub body: Option<String>,
    /// How often it runs (default `1m`; at least `1s`).
    pub interval: Option<Text>,
    /// How long a run may take before it counts as failed (default `10s`;
    /// at most the interval).
    pub timeout: Option<Text>,
    /// A PEM file of certificate authorities trusted besides the system's,
    /// for services behind a private CA; relative to the configuration.
    pub ca_file: Option<Text>,
    /// What a good run shows (default: any 2xx status).
    pub expect: Option<Spanned<RawExpect>>,
}

/// `probes[].expect:` — every condition must hold for a run to be good.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawExpect {
    /// Acceptable status codes (default: any 2xx).
    #[serde(default)]
    pub status: Vec<Spanned<u16>>,
    /// The longest the response may take, e.g. `500ms`.
    pub latency: Option<Text>,
    /// Text the body must contain.
    pub body_contains: Option<String>,
    /// How long the server's certificate must still be valid when a run
    /// starts, e.g. `14d` (`https` URLs only).
    pub certificate_expires_after: Option<Text>,
}

/// `slos[].alerting:` — one line of a multi-window, multi-burn-rate
/// policy: fires while both windows burn faster than `burn_rate`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawBurnAlert {
    /// The window that shows the burn is significant, e.g. `1h`.
    pub long: Text,
    /// The window that shows it is still going on, e.g. `5m`; shorter than
    /// `long`.
    pub short: Text,
    /// Times the budgeted error ratio, e.g. `14.4`.
    pub burn_rate: Spanned<f64>,
    /// `page` or `ticket`: the `severity` label of the alert; routes decide
    /// the class.
    pub severity: Text,
}

/// Where a secret comes from: written inline, or referenced.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum SecretSource {
    Literal(String),
    Env(String),
    File(String),
    Sha256(String),
}

const REFERENCE_KEYS: &[&str] = &["env", "file", "sha256"];

impl<'de> Deserialize<'de> for SecretSource {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SourceVisitor;

        impl<'de> Visitor<'de> for SourceVisitor {
            type Value = SecretSource;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a text value or a reference such as `{env: NAME}` or `{file: PATH}`")
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(SecretSource::Literal(value.to_owned()))
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let Some(key) = map.next_key::<String>()? else {
                    return Err(de::Error::custom(
                        "empty reference; write `{env: NAME}` or `{file: PATH}`",
                    ));
                };
                let value: String = map.next_value()?;
                let source = match key.as_str() {
                    "env" => SecretSource::Env(value),
                    "file" => SecretSource::File(value),
                    "sha256" => SecretSource::Sha256(value),
                    other => return Err(de::Error::unknown_field(other, REFERENCE_KEYS)),
                };
                if map.next_key::<String>()?.is_some() {
                    return Err(de::Error::custom(
                        "a reference takes exactly one of `env`, `file` or `sha256`",
                    ));
                }
                Ok(source)
            }
        }

        deserializer.deserialize_any(SourceVisitor)
    }
}

/// A size in bytes as written: a number, or a number with a unit (`KiB`,
/// `MiB`, `GiB`, `KB`, `MB`, `GB`, `B`). Read as text so that a bad size is
/// reported by validation, beside the other settings' mistakes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ByteSize(pub String);

impl ByteSize {
    /// The number of bytes, if the text is a size.
    pub fn bytes(&self) -> Option<u64> {
        let text = self.0.trim();
        let digits = text.bytes().take_while(u8::is_ascii_digit).count();
        let number: u64 = text[..digits].parse().ok()?;
        let multiplier: u64 = match text[digits..].trim() {
            "" | "B" => 1,
            "KB" => 1_000,
            "MB" => 1_000_000,
            "GB" => 1_000_000_000,
            "KiB" => 1 << 10,
            "MiB" => 1 << 20,
            "GiB" => 1 << 30,
            _ => return None,
        };
        number.checked_mul(multiplier)
    }
}

impl<'de> Deserialize<'de> for ByteSize {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct SizeVisitor;

        impl Visitor<'_> for SizeVisitor {
            type Value = ByteSize;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a size such as `4MiB` or a number of bytes")
            }

            fn visit_u64<E: de::Error>(self, value: u64) -> Result<Self::Value, E> {
                Ok(ByteSize(value.to_string()))
            }

            fn visit_i64<E: de::Error>(self, value: i64) -> Result<Self::Value, E> {
                Ok(ByteSize(value.to_string()))
            }

            fn visit_str<E: de::Error>(self, value: &str) -> Result<Self::Value, E> {
                Ok(ByteSize(value.to_owned()))
            }
        }

        deserializer.deserialize_any(SizeVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_sizes() {
        let bytes = |text: &str| ByteSize(text.to_owned()).bytes();
        assert_eq!(bytes("4MiB"), Some(4 << 20));
        assert_eq!(bytes("512 KiB"), Some(512 << 10));
        assert_eq!(bytes("1000"), Some(1000));
        assert_eq!(bytes("2MB"), Some(2_000_000));
        assert_eq!(bytes("4 mb"), None);
        assert_eq!(bytes("MiB"), None);
        assert_eq!(bytes("-5"), None);
        assert_eq!(bytes("99999999999999999999GiB"), None);
    }

    /// The fields a type accepts, as serde lists them when refusing one.
    fn fields_of<T: serde::de::DeserializeOwned>() -> Vec<&'static str> {
        match serde_saphyr::from_str::<T>("not_a_field_of_anything: 1\n") {
            Err(error) => match error.without_snippet() {
                serde_saphyr::Error::SerdeUnknownField { expected, .. } => expected.clone(),
                other => panic!("unexpected error: {other}"),
            },
            Ok(_) => panic!("an unknown field was accepted"),
        }
    }

    #[test]
    fn the_reference_documents_every_field() {
        let reference = include_str!("../../../docs/configuration.md");
        let section = |name: &str| -> &str {
            let heading = format!("## `{name}`");
            let start = reference
                .find(&heading)
                .unwrap_or_else(|| panic!("no section {heading}"));
            let rest = &reference[start + heading.len()..];
            &rest[..rest.find("\n## ").unwrap_or(rest.len())]
        };
        let expectations: [(&str, Vec<&str>); 26] = [
            ("settings", fields_of::<RawSettings>()),
            ("settings", fields_of::<RawNotificationSettings>()),
            ("teams", fields_of::<RawTeam>()),
            ("users", fields_of::<RawUser>()),
            ("users", fields_of::<RawContactMethod>()),
            ("users", fields_of::<RawNotificationRules>()),
            ("users", fields_of::<RawNotificationRule>()),
            ("services", fields_of::<RawService>()),
            ("services", fields_of::<RawSupportHours>()),
            ("services", fields_of::<RawWindow>()),
            ("channels", fields_of::<RawChannel>()),
            ("integrations", fields_of::<RawIntegration>()),
            ("routes", fields_of::<RawRoute>()),
            ("inhibit_rules", fields_of::<RawInhibitRule>()),
            ("heartbeats", fields_of::<RawHeartbeat>()),
            ("schedules", fields_of::<RawSchedule>()),
            ("schedules", fields_of::<RawLayer>()),
            ("schedules", fields_of::<RawShadow>()),
            ("escalation_policies", fields_of::<RawEscalationPolicy>()),
            ("escalation_policies", fields_of::<RawStep>()),
            ("escalation_policies", fields_of::<RawTarget>()),
            ("slos", fields_of::<RawSlo>()),
            ("slos", fields_of::<RawSli>()),
            ("slos", fields_of::<RawBurnAlert>()),
            ("probes", fields_of::<RawProbe>()),
            ("probes", fields_of::<RawExpect>()),
        ];
        for (name, fields) in expectations {
            assert!(!fields.is_empty());
            for field in fields {
                assert!(
                    section(name).contains(&format!("`{field}`")),
                    "docs/configuration.md does not document `{field}` under `{name}`"
                );
            }
        }
        for section_name in SECTIONS {
            section(section_name);
        }
    }

    #[test]
    fn reads_secret_sources_inline_or_by_reference() {
        let read = |yaml: &str| serde_saphyr::from_str::<SecretSource>(yaml);
        assert_eq!(
            read("hunter2").ok(),
            Some(SecretSource::Literal("hunter2".into()))
        );
        assert_eq!(
            read("{env: TOKEN}").ok(),
            Some(SecretSource::Env("TOKEN".into()))
        );
        assert_eq!(
            read("file: /run/token").ok(),
            Some(SecretSource::File("/run/token".into()))
        );
        assert!(read("{environment: TOKEN}").is_err());
        assert!(read("{env: A, file: B}").is_err());
        assert!(read("{}").is_err());
    }
}

/// `schedules:` — who carries a team's pager when. A team may have several
/// (primary, secondary).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawSchedule {
    pub name: Text,
    /// The owning team.
    pub team: Text,
    /// IANA zone the schedule is shown in, and the zone of layers that do
    /// not name their own.
    pub time_zone: Text,
    /// Rotations, lowest first: a later layer wins wherever it has someone.
    pub layers: Vec<Spanned<RawLayer>>,
}

/// One rotation of a schedule.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawLayer {
    pub name: Text,
    /// Users, in turn order.
    pub participants: Vec<Text>,
    /// How long each shift lasts in local time: `12h`, `1d`, `1w`, `2w`.
    pub shift: Text,
    /// Local time of the handoff, e.g. `"09:00"`.
    pub handoff: Text,
    /// For weekly shifts: the weekday of the handoff (`mon` … `sun`);
    /// default the weekday of `start`.
    pub handoff_day: Option<Text>,
    /// The zone the handoff time is read in (default the schedule's).
    pub time_zone: Option<Text>,
    /// The date the first participant's first shift begins, `YYYY-MM-DD`.
    pub start: Text,
    /// When given, the layer has someone only inside these weekly windows
    /// (local time); the layers below cover the rest.
    #[serde(default)]
    pub restrictions: Vec<Spanned<RawWindow>>,
    /// People learning the rotation, each shadowing one participant.
    #[serde(default)]
    pub shadows: Vec<Spanned<RawShadow>>,
}

/// `{user: dave, shadowing: alice}`: dave gets copies of alice's pages.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawShadow {
    pub user: Text,
    pub shadowing: Text,
}

/// `escalation_policies:` — who is told of a page, and who next when
/// nobody acknowledges it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawEscalationPolicy {
    pub name: Text,
    /// In order; the first fires when the page opens.
    pub steps: Vec<Spanned<RawStep>>,
    /// How many times the whole policy runs again after its first round
    /// (default 0).
    pub repeat: Option<Spanned<u32>>,
    /// Whether low-urgency pages follow every step (default: only the
    /// first).
    pub escalate_low_urgency: Option<bool>,
}

/// One step of an escalation policy.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawStep {
    /// Whom to notify: `{user: alice}`, `{schedule: payments-primary}`
    /// (whoever is on call in it), `{team: payments}` (every member).
    pub notify: Vec<Spanned<RawTarget>>,
    /// How long to wait for an acknowledgement before the next step
    /// (default `15m`).
    pub escalate_after: Option<Text>,
}

/// One target of a step: exactly one of the three.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct RawTarget {
    pub user: Option<Text>,
    pub schedule: Option<Text>,
    pub team: Option<Text>,
}
