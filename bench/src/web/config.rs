//! The web benchmark's configuration: services, teams, schedules and SLOs
//! like a small company's, so that the views have realistic things to show.

use jiff::SignedDuration;

/// Services, their owning team, and their share of the alerts (percent).
pub(super) const SERVICES: [(&str, &str, u64); 6] = [
    ("checkout", "web", 30),
    ("payments", "payments", 20),
    ("search", "web", 15),
    ("catalog", "web", 15),
    ("identity", "platform", 10),
    ("storage", "platform", 10),
];

/// Teams and their members; `bench` is the person signed in.
pub(super) const TEAMS: [(&str, &[&str]); 3] = [
    ("web", &["bench", "alice", "bob", "carol"]),
    ("payments", &["dave", "erin", "frank", "bench"]),
    ("platform", &["grace", "heidi", "ivan"]),
];

pub(super) const USERS: [&str; 10] = [
    "bench", "alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi", "ivan",
];

/// SLOs: name, service, objective (percent), and the share of bad events
/// in the recent past and before it, and how far back "recent" reaches.
/// Two of them burn: checkout's availability fast enough to page,
/// payments' slowly enough to ticket.
pub(super) struct SloSpec {
    pub(super) name: &'static str,
    pub(super) service: &'static str,
    pub(super) objective: f64,
    pub(super) window: &'static str,
    pub(super) events_per_minute: f64,
    pub(super) bad_recently: f64,
    pub(super) bad_before: f64,
    pub(super) recent: SignedDuration,
}

pub(super) const SLOS: [SloSpec; 5] = [
    SloSpec {
        name: "checkout-availability",
        service: "checkout",
        objective: 99.9,
        window: "30d",
        events_per_minute: 900.0,
        bad_recently: 0.025,
        bad_before: 0.0002,
        recent: SignedDuration::from_hours(3),
    },
    SloSpec {
        name: "checkout-latency",
        service: "checkout",
        objective: 99.0,
        window: "30d",
        events_per_minute: 900.0,
        bad_recently: 0.003,
        bad_before: 0.003,
        recent: SignedDuration::from_hours(1),
    },
    SloSpec {
        name: "payments-availability",
        service: "payments",
        objective: 99.5,
        window: "30d",
        events_per_minute: 300.0,
        bad_recently: 0.01,
        bad_before: 0.001,
        recent: SignedDuration::from_hours(48),
    },
    SloSpec {
        name: "search-availability",
        service: "search",
        objective: 99.9,
        window: "28d",
        events_per_minute: 600.0,
        bad_recently: 0.0003,
        bad_before: 0.0003,
        recent: SignedDuration::from_hours(1),
    },
    SloSpec {
        name: "identity-availability",
        service: "identity",
        objective: 99.95,
        window: "30d",
        events_per_minute: 200.0,
        bad_recently: 0.0001,
        bad_before: 0.0001,
        recent: SignedDuration::from_hours(1),
    },
];

/// The token of the integration the alerts are recorded as coming from.
const INTEGRATION_TOKEN: &str = "pbi_web-benchmark-ingest-token-0123456789";
pub(super) const INTEGRATION: &str = "prometheus";

/// Three schedules (weekly; weekly under a follow-the-sun daytime layer;
/// daily), an escalation policy, an inhibition rule, five SLOs, and a
/// route tree per service: a page for alerts with an `slo` label, a
/// ticket otherwise, a log for `severity="info"`.
pub fn config_yaml() -> String {
    let digest = pagerbound_core::token::TokenDigest::of(INTEGRATION_TOKEN).to_hex();
    let mut yaml = String::from(
        "# Written by pagerbound-bench for the web UI benchmark.\n\
         settings:\n  symptom_label: slo\n",
    );
    yaml.push_str("teams:\n");
    for (team, members) in TEAMS {
        yaml.push_str(&format!(
            "  - {{name: {team}, members: [{}]}}\n",
            members.join(", ")
        ));
    }
    yaml.push_str("users:\n");
    for user in USERS {
        yaml.push_str(&format!(
            "  - {{name: {user}, time_zone: Europe/Dublin, contact_methods: [{{channel: log}}]}}\n"
        ));
    }
    yaml.push_str("channels:\n  - {name: log, type: log}\n");
    yaml.push_str("services:\n");
    yaml.push_str(
        "  - {name: platform, team: platform, runbook: 'https://runbooks.example.com/platform'}\n",
    );
    for (service, team, _) in SERVICES {
        let policy = if team == "web" {
            ", escalation_policy: web"
        } else {
            ""
        };
        yaml.push_str(&format!(
            "  - {{name: {service}, team: {team}, runbook: 'https://runbooks.example.com/{service}'{policy}}}\n"
        ));
    }
    yaml.push_str(&format!(
        "integrations:\n  - name: {INTEGRATION}\n    token: {{ sha256: {digest} }}\n"
    ));
    yaml.push_str(
        "escalation_policies:\n\
         \x20 - name: web\n\
         \x20   steps:\n\
         \x20     - notify: [{schedule: web-primary}]\n\
         \x20       escalate_after: 15m\n\
         \x20     - notify: [{team: web}]\n\
         schedules:\n\
         \x20 - name: web-primary\n\
         \x20   team: web\n\
         \x20   time_zone: Europe/Dublin\n\
         \x20   layers:\n\
         \x20     - {name: weekly, participants: [bench, alice, bob, carol], shift: 1w, handoff: \"09:00\", handoff_day: mon, start: 2025-01-06}\n\
         \x20 - name: payments-primary\n\
         \x20   team: payments\n\
         \x20   time_zone: America/New_York\n\
         \x20   layers:\n\
         \x20     - {name: base, participants: [dave, erin, frank], shift: 1w, handoff: \"10:00\", handoff_day: tue, start: 2025-01-07}\n\
         \x20     - name: sydney-days\n\
         \x20       participants: [bench, erin]\n\
         \x20       shift: 1d\n\
         \x20       handoff: \"08:00\"\n\
         \x20       time_zone: Australia/Sydney\n\
         \x20       start: 2025-01-06\n\
         \x20       restrictions: [{days: mon-fri, start: \"08:00\", end: \"18:00\"}]\n\
         \x20 - name: platform-primary\n\
         \x20   team: platform\n\
         \x20   time_zone: Europe/Berlin\n\
         \x20   layers:\n\
         \x20     - {name: daily, participants: [grace, heidi, ivan], shift: 1d, handoff: \"09:00\", start: 2025-01-01}\n\
         inhibit_rules:\n\
         \x20 - source_matchers: ['severity=\"critical\"']\n\
         \x20   target_matchers: ['severity=\"warning\"']\n\
         \x20   equal: [alertname, instance]\n",
    );
    yaml.push_str("slos:\n");
    for slo in &SLOS {
        yaml.push_str(&format!(
            "  - {{name: {}, service: {}, sli: {{source: push}}, objective: {}, window: {}}}\n",
            slo.name, slo.service, slo.objective, slo.window
        ));
    }
    // Short group_wait: the preparation run waits for the engine to open
    // the pages of the firing alerts; it changes nothing for the views.
    yaml.push_str(
        "routes:\n  service: platform\n  class: ticket\n  group_by: [alertname, service]\n  \
         group_wait: 2s\n  group_interval: 1m\n  routes:\n",
    );
    for (service, _, _) in SERVICES {
        yaml.push_str(&format!(
            "    - name: {service}\n      matchers: ['service=\"{service}\"']\n      service: {service}\n      routes:\n\
             \x20       - name: {service}-slo\n          matchers: ['slo=~\".+\"']\n          class: page\n          group_by: [slo]\n          routes:\n\
             \x20           - {{name: {service}-slo-ticket, matchers: ['severity=\"ticket\"'], class: ticket}}\n\
             \x20       - {{name: {service}-info, matchers: ['severity=\"info\"'], class: log}}\n"
        ));
    }
    yaml
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_configuration_is_valid() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let path = dir.path().join("pagerbound.yaml");
        std::fs::write(&path, config_yaml()).expect("write");
        let loaded = pagerbound_config::load(&path).unwrap_or_else(|rejected| {
            panic!("pagerbound refuses the web benchmark's configuration: {rejected:?}")
        });
        assert_eq!(loaded.config.schedules.len(), 3);
        assert_eq!(loaded.config.slos.len(), SLOS.len());
        assert_eq!(loaded.config.services.len(), SERVICES.len() + 1);
    }
}
