//! Loading configuration directories as users write them: valid ones,
//! ones with many mistakes, and random garbage.

use pagerbound_config::{DatabaseLocation, Diagnostic, Severity, load, load_with};
use pagerbound_core::escalation::Target;
use pagerbound_core::routing::{Class, GroupBy};
use pagerbound_core::schedule::ShiftLength;
use pagerbound_core::{ChannelKind, Duration, UrgencyRule};
use proptest::prelude::*;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// What every configuration needs besides the part a test is about: a
/// service and the routing tree's root (names chosen not to clash).
const BASE: (&str, &str) = (
    "base.yaml",
    "\
teams:
  - name: ops
    members: [oncall]
users:
  - name: oncall
    time_zone: UTC
    contact_methods: [{channel: base-log}]
channels:
  - {name: base-log, type: log}
services:
  - name: triage
    team: ops
    runbook: https://runbooks.example.com/triage
routes:
  service: triage
  class: ticket
",
);

/// A directory with `files` and [`BASE`].
fn with_base(files: &[(&str, &str)]) -> TempDir {
    let mut all = files.to_vec();
    all.push(BASE);
    dir_with(&all)
}

fn dir_with(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, text) in files {
        let path = dir.path().join(name);
        std::fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        std::fs::write(path, text).expect("write");
    }
    dir
}

/// `(file name, line, column, severity, message)`, for exact comparisons.
fn summary(dir: &Path, diagnostics: &[Diagnostic]) -> Vec<(String, u64, u64, Severity, String)> {
    diagnostics
        .iter()
        .map(|d| {
            let file = d
                .file
                .strip_prefix(dir)
                .unwrap_or(&d.file)
                .display()
                .to_string();
            (file, d.line, d.column, d.severity, d.message.clone())
        })
        .collect()
}

/// Loads `dir`, which must be refused with exactly `expect`'s errors: the
/// line of each, and words of its message.
fn refused_with(dir: &Path, expect: &[(u64, &str)]) {
    let rejected = load(dir).expect_err("the configuration has errors");
    let found = summary(dir, &rejected.diagnostics);
    let at: Vec<(u64, &str)> = found
        .iter()
        .filter(|(_, _, _, severity, _)| *severity == Severity::Error)
        .map(|(_, line, _, _, message)| (*line, message.as_str()))
        .collect();
    assert_eq!(at.len(), expect.len(), "{found:#?}");
    for (line, words) in expect {
        assert!(
            at.iter().any(|(l, m)| l == line && m.contains(words)),
            "line {line} `{words}` in {at:#?}"
        );
    }
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

#[test]
fn the_examples_are_valid_without_warnings() {
    for path in [examples().join("quickstart"), examples()] {
        let loaded = load(&path).unwrap_or_else(|rejected| panic!("{:#?}", rejected.diagnostics));
        assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
        let config = loaded.config;
        assert_eq!(config.teams["payments"].members, ["alice", "bob"]);
        assert_eq!(config.services["checkout"].team, "payments");
        assert_eq!(
            config.users["alice"].time_zone.iana_name(),
            Some("Europe/Dublin")
        );
        assert!(config.integrations["prometheus"].accepts("pbi_quickstart-only-token-replace-me"));
        assert_eq!(config.heartbeats["prometheus"].service, "checkout");
        assert_eq!(config.files.len(), 10);
        assert_eq!(config.schedules["payments-primary"].layers.len(), 2);
    }
}

#[test]
fn every_mistake_is_reported_at_its_place() {
    let dir = with_base(&[
        (
            "teams.yaml",
            "teams:\n  - name: payments\n    members: [alice, bobb]\n",
        ),
        (
            "services.yaml",
            "\
services:
  - name: checkout
    team: payments
    runbok: https://runbooks.example.com/checkout
  - name: search
    team: paymnts
    runbook: https://runbooks.example.com/search
",
        ),
        (
            "users.yaml",
            "\
users:
  - name: alice
    time_zone: Europe/Dublinn
    contact_methods:
      - channel: dev-log
",
        ),
        (
            "channels.yaml",
            "channels:\n  - name: dev-log\n    type: lgo\n",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("the configuration has errors");
    assert_eq!(
        summary(dir.path(), &rejected.diagnostics),
        vec![
            ("channels.yaml".into(), 3, 11, Severity::Error, "unknown value `lgo`, did you mean `log`?".into()),
            ("services.yaml".into(), 4, 5, Severity::Error, "unknown field `runbok`, did you mean `runbook`?".into()),
            ("services.yaml".into(), 6, 11, Severity::Error, "team `paymnts` is not defined, did you mean `payments`?".into()),
            ("teams.yaml".into(), 3, 22, Severity::Error, "user `bobb` is not defined".into()),
            (
                "users.yaml".into(),
                3,
                16,
                Severity::Error,
                "time zone `Europe/Dublinn` is not a known IANA zone, did you mean `Europe/Dublin`?".into()
            ),
        ]
    );
}

#[test]
fn a_bad_item_does_not_hide_the_others_nor_cause_false_alarms() {
    // `checkout` cannot be read, but it is still known to exist: the
    // reference from `search` is not reported a second time.
    let dir = with_base(&[(
        "all.yaml",
        "\
teams:
  - name: payments
    oops: true
    members: []
services:
  - name: search
    team: payments
    runbook: https://runbooks.example.com/search
  - name: ledger
    team: nobody
    runbook: https://runbooks.example.com/ledger
",
    )]);
    let rejected = load(dir.path()).expect_err("errors");
    assert_eq!(
        summary(dir.path(), &rejected.diagnostics),
        vec![
            (
                "all.yaml".into(),
                3,
                5,
                Severity::Error,
                "unknown field `oops`; expected one of `name`, `description`, `members`".into()
            ),
            (
                "all.yaml".into(),
                10,
                11,
                Severity::Error,
                "team `nobody` is not defined".into()
            ),
        ]
    );
}

#[test]
fn warnings_do_not_refuse_a_configuration() {
    let dir = with_base(&[(
        "pagerbound.yaml",
        "\
teams:
  - name: payments
    members: [alice]
users:
  - name: alice
    time_zone: UTC
services:
  - name: checkout
    team: payments
",
    )]);
    let loaded = load(dir.path()).expect("valid");
    assert_eq!(
        summary(dir.path(), &loaded.warnings),
        vec![
            (
                "pagerbound.yaml".into(),
                5,
                11,
                Severity::Warning,
                "user `alice` has no contact methods and cannot be paged".into()
            ),
            (
                "pagerbound.yaml".into(),
                8,
                11,
                Severity::Warning,
                "service `checkout` has no runbook; whoever is paged for it will have no instructions".into()
            ),
        ]
    );
}

#[test]
fn a_directory_is_merged_and_duplicates_across_files_are_refused() {
    let dir = with_base(&[
        (
            "a.yaml",
            "teams:\n  - name: payments\n    members: [alice]\n",
        ),
        (
            "nested/b.yml",
            "users:\n  - name: alice\n    time_zone: UTC\n    contact_methods: [{channel: log}]\n",
        ),
        ("nested/c.yaml", "channels:\n  - {name: log, type: log}\n"),
        (".hidden.yaml", "this is not: [valid"),
        ("README.md", "not configuration"),
    ]);
    let loaded = load(dir.path()).expect("valid");
    assert_eq!(loaded.config.files.len(), 4);
    assert!(loaded.config.users.contains_key("alice"));

    std::fs::write(dir.path().join("d.yaml"), "teams:\n  - name: payments\n").expect("write");
    let rejected = load(dir.path()).expect_err("duplicate");
    let messages: Vec<String> = rejected.errors().map(|d| d.to_string()).collect();
    assert_eq!(messages.len(), 1, "{messages:?}");
    assert!(
        messages[0].contains("d.yaml:2:11: error: team `payments` is already defined at ")
            && messages[0].contains("a.yaml:2:11"),
        "{messages:?}"
    );
}

#[test]
fn settings_may_be_given_once() {
    let dir = with_base(&[
        ("a.yaml", "settings:\n  listen: 127.0.0.1:9999\n"),
        ("b.yaml", "settings:\n  listen: 127.0.0.1:9998\n"),
    ]);
    let rejected = load(dir.path()).expect_err("two settings blocks");
    let message = rejected.errors().next().expect("an error").to_string();
    assert!(
        message.contains("b.yaml:2:3: error: settings are already given at"),
        "{message}"
    );
}

#[test]
fn settings_have_defaults_and_are_checked() {
    let dir = with_base(&[("a.yaml", "teams: []\n")]);
    let settings = load(dir.path()).expect("valid").config.settings;
    assert_eq!(settings.listen.to_string(), "127.0.0.1:9095");
    assert_eq!(
        settings.database,
        DatabaseLocation::Sqlite(dir.path().join("pagerbound.db"))
    );
    assert_eq!(settings.external_url.as_str(), "http://127.0.0.1:9095/");
    assert_eq!(settings.max_request_body, 4 << 20);

    let dir = with_base(&[(
        "a.yaml",
        "settings:\n  listen: 0.0.0.0:8080\n  database: postgres://pb@db/pb\n  max_request_body: 1MiB\n",
    )]);
    let settings = load(dir.path()).expect("valid").config.settings;
    assert_eq!(
        settings.database,
        DatabaseLocation::Postgres("postgres://pb@db/pb".into())
    );
    assert_eq!(settings.external_url.as_str(), "http://localhost:8080/");
    assert_eq!(settings.max_request_body, 1 << 20);

    let dir = with_base(&[(
        "a.yaml",
        "settings:\n  listen: localhost\n  database: mysql://x\n  external_url: ftp://x\n  max_request_body: 12 parsecs\n",
    )]);
    let rejected = load(dir.path()).expect_err("bad settings");
    let lines: Vec<u64> = rejected.errors().map(|d| d.line).collect();
    assert_eq!(lines, [2, 3, 4, 5], "{:#?}", rejected.diagnostics);
}

#[test]
fn notification_retries_and_pacing_are_configured_and_checked() {
    let dir = with_base(&[(
        "a.yaml",
        "\
settings:
  notifications:
    max_attempts: 3
    first_retry: 2s
    max_retry: 1m
    fallback_channel: base-log
channels:
  - {name: push, type: ntfy, min_interval: 20s}
",
    )]);
    let config = load(dir.path()).expect("valid").config;
    let notifications = &config.settings.notifications;
    assert_eq!(notifications.retry.max_attempts, 3);
    assert_eq!(notifications.retry.first_delay.as_secs(), 2);
    assert_eq!(notifications.retry.max_delay.as_secs(), 60);
    assert_eq!(notifications.fallback_channel.as_deref(), Some("base-log"));
    assert_eq!(config.channels["push"].min_interval().as_secs(), 20);
    // Without an override, the type's pace: phones are paced, logs are not.
    assert_eq!(config.channels["base-log"].min_interval().as_secs(), 0);

    let dir = with_base(&[(
        "a.yaml",
        "\
settings:
  notifications:
    max_attempts: 0
    first_retry: soon
    fallback_channel: base-lgo
channels:
  - {name: push, type: ntfy, min_interval: often}
",
    )]);
    let rejected = load(dir.path()).expect_err("bad notification settings");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(u64, u64)> = found.iter().map(|(_, l, c, _, _)| (*l, *c)).collect();
    assert_eq!(at, [(3, 19), (4, 18), (5, 23), (7, 44)], "{found:#?}");
    assert!(
        found[2].4.contains("did you mean `base-log`"),
        "{}",
        found[2].4
    );
}

#[test]
fn secrets_come_from_the_environment_and_files_never_inline() {
    let dir = with_base(&[
        ("twilio-token", "twilio-secret\n"),
        (
            "channels.yaml",
            "\
channels:
  - name: hook
    type: webhook
    url: https://hooks.example.com/pagerbound
    signing_secret: { env: HOOK_SECRET }
  - name: phone
    type: sms
    api_url: http://127.0.0.1:9999
    account_sid: AC123
    auth_token: { file: twilio-token }
    from: \"+15550001111\"
integrations:
  - name: prometheus
    token: { env: PROM_TOKEN }
",
        ),
    ]);
    let environment: BTreeMap<String, String> = [
        ("HOOK_SECRET".to_owned(), "hook-secret".to_owned()),
        (
            "PROM_TOKEN".to_owned(),
            "a-long-enough-ingest-token".to_owned(),
        ),
    ]
    .into();
    let config = load_with(dir.path(), &environment).expect("valid").config;
    match &config.channels["hook"].kind {
        ChannelKind::Webhook { signing_secret, .. } => {
            assert_eq!(
                signing_secret.as_ref().map(|s| s.expose()),
                Some("hook-secret")
            );
        }
        other => panic!("{other:?}"),
    }
    match &config.channels["phone"].kind {
        ChannelKind::Sms(api) => {
            assert_eq!(api.auth_token.expose(), "twilio-secret");
            assert_eq!(api.api_url.as_str(), "http://127.0.0.1:9999/");
        }
        other => panic!("{other:?}"),
    }
    assert!(config.integrations["prometheus"].accepts("a-long-enough-ingest-token"));

    let rejected = load_with(dir.path(), &BTreeMap::new()).expect_err("variables missing");
    let messages: Vec<&str> = rejected.errors().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        [
            "environment variable `HOOK_SECRET` is not set",
            "environment variable `PROM_TOKEN` is not set"
        ]
    );
}

#[test]
fn unreadable_input_is_an_error_not_a_panic() {
    let dir = dir_with(&[]);
    std::fs::write(dir.path().join("binary.yaml"), [0xff, 0xfe, 0x00, 0x41]).expect("write");
    let rejected = load(dir.path()).expect_err("not UTF-8");
    assert!(
        rejected
            .errors()
            .next()
            .expect("error")
            .message
            .contains("not UTF-8")
    );

    let empty = dir_with(&[("notes.txt", "hello")]);
    let rejected = load(empty.path()).expect_err("no files");
    assert!(
        rejected
            .errors()
            .next()
            .expect("error")
            .message
            .contains("no configuration files")
    );

    let rejected = load(Path::new("/nonexistent/pagerbound")).expect_err("missing");
    assert!(
        rejected
            .errors()
            .next()
            .expect("error")
            .message
            .contains("cannot read configuration")
    );
}

/// Fragments that make random documents look like configuration, so that
/// the generator reaches the validator and not only the YAML parser.
fn yamlish() -> impl Strategy<Value = String> {
    let fragment = prop_oneof![
        Just("teams:\n".to_owned()),
        Just("users:\n".to_owned()),
        Just("services:\n".to_owned()),
        Just("channels:\n".to_owned()),
        Just("integrations:\n".to_owned()),
        Just("settings:\n".to_owned()),
        Just("  - name: a\n".to_owned()),
        Just("  - {name: b, type: log}\n".to_owned()),
        Just("    team: a\n".to_owned()),
        Just("    time_zone: Europe/Dublin\n".to_owned()),
        Just("    members: [a, b]\n".to_owned()),
        Just("    token: {sha256: 00}\n".to_owned()),
        Just("  listen: 1.2.3.4:5\n".to_owned()),
        Just("    support_hours: {time_zone: UTC, windows: [{days: mon, start: \"09:00\", end: \"10:00\"}]}\n".to_owned()),
        Just("&a x: *a\n".to_owned()),
        Just("---\n".to_owned()),
        "[ -~]{0,20}\n",
        "\\PC{0,10}",
    ];
    prop::collection::vec(fragment, 0..12).prop_map(|parts| parts.concat())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    #[test]
    fn random_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..400)) {
        let dir = dir_with(&[]);
        std::fs::write(dir.path().join("random.yaml"), &bytes).expect("write");
        let _ = load(dir.path());
    }

    #[test]
    fn random_configuration_like_text_never_panics(text in yamlish()) {
        let dir = dir_with(&[("random.yaml", &text)]);
        match load(dir.path()) {
            Ok(_) => {}
            Err(rejected) => {
                // Every refusal says why, and where.
                prop_assert!(rejected.errors().count() > 0);
                for error in rejected.errors() {
                    prop_assert!(!error.message.is_empty());
                    prop_assert!(error.file.ends_with("random.yaml"));
                }
            }
        }
    }
}

const PAYMENTS: (&str, &str) = (
    "payments.yaml",
    "\
teams:
  - name: payments
    members: [alice]
  - name: ghosts
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: [{channel: base-log}]
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
  - name: legacy
    team: ghosts
",
);

#[test]
fn routes_inherit_from_their_parents_and_page_routes_are_linted() {
    let dir = dir_with(&[
        PAYMENTS,
        (
            "routes.yaml",
            "\
routes:
  service: checkout
  class: ticket
  group_by: [alertname, instance]
  group_wait: 10s
  routes:
    - name: slo
      matchers: ['slo=~\".+\"']
      class: page
      routes:
        - matchers: ['severity=\"info\"']
          class: log
          group_wait: 1m
    - name: cpu
      matchers: ['alertname=\"HighCPU\"']
      class: page
      continue: true
    - name: legacy
      matchers: ['service=\"legacy\"']
      service: legacy
      class: page
      group_by: [...]
inhibit_rules:
  - source_matchers: ['alertname=\"DatacenterDown\"']
    target_matchers: ['severity=~\"warning|critical\"']
    equal: [dc]
",
        ),
        (
            "channels.yaml",
            "channels:\n  - {name: base-log, type: log}\n",
        ),
    ]);
    let loaded = load(dir.path()).unwrap_or_else(|r| panic!("{:#?}", r.diagnostics));
    let routes = &loaded.config.routes;
    assert_eq!(routes.id, "root");
    let slo = routes.find("slo").expect("slo route");
    assert_eq!((slo.service.as_str(), slo.class), ("checkout", Class::Page));
    assert_eq!(slo.timing.group_wait, Duration::from_secs(10), "inherited");
    assert_eq!(
        slo.group_by,
        GroupBy::Labels(vec!["alertname".into(), "instance".into()])
    );
    let info = routes.find("slo.0").expect("unnamed child gets its path");
    assert_eq!(
        (info.class, info.timing.group_wait),
        (Class::Log, Duration::from_mins(1))
    );
    assert_eq!(
        routes.find("legacy").expect("legacy").group_by,
        GroupBy::Each
    );
    assert!(routes.find("cpu").expect("cpu").continue_matching);
    assert_eq!(loaded.config.inhibit_rules.len(), 1);

    let warnings: Vec<String> = loaded
        .warnings
        .iter()
        .map(|w| format!("{}:{} {}", w.line, w.column, w.message))
        .collect();
    assert_eq!(
        warnings,
        [
            "4:11 team `ghosts` has no members".to_owned(),
            "13:11 service `legacy` has no runbook; whoever is paged for it will have no instructions".to_owned(),
            "14:13 route `cpu` pages on alerts that need not carry a `slo` label, which may be causes rather than symptoms; page on SLO symptoms (add the matcher `slo=~\".+\"`) and make cause alerts tickets".to_owned(),
            "18:13 route `legacy` pages for service `legacy`, which has no runbook: give responders instructions".to_owned(),
            "18:13 route `legacy` pages for service `legacy`, whose team `ghosts` has no members: nobody owns these pages".to_owned(),
            "18:13 route `legacy` pages on alerts that need not carry a `slo` label, which may be causes rather than symptoms; page on SLO symptoms (add the matcher `slo=~\".+\"`) and make cause alerts tickets".to_owned(),
        ]
    );
}

#[test]
fn the_routing_tree_is_required_and_its_mistakes_are_placed() {
    let dir = dir_with(&[
        PAYMENTS,
        (
            "channels.yaml",
            "channels:\n  - {name: base-log, type: log}\n",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("no routes");
    assert_eq!(
        summary(dir.path(), &rejected.diagnostics).into_iter().filter(|d| d.3 == Severity::Error).collect::<Vec<_>>(),
        vec![(
            "channels.yaml".into(),
            0,
            0,
            Severity::Error,
            "no `routes`: every alert needs a route; add a `routes:` section whose root names the default `service` and `class`".into()
        )]
    );

    let dir = dir_with(&[
        PAYMENTS,
        (
            "channels.yaml",
            "channels:\n  - {name: base-log, type: log}\n",
        ),
        (
            "routes.yaml",
            "\
routes:
  class: tikcet
  matchers: ['a=\"b\"']
  group_wait: 5 minutes
  routes:
    - matchers: ['service=\"checkout\"', 'slo=~\"(\"']
      service: chekout
      class: page
",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("bad routes");
    let errors: Vec<String> = rejected
        .errors()
        .map(|d| format!("{}:{} {}", d.line, d.column, d.message))
        .collect();
    assert_eq!(
        errors,
        [
            "2:3 the root route needs `service`: the default for alerts no other route claims",
            "2:10 unknown class `tikcet`, did you mean `ticket`?",
            "3:14 the root route matches every alert and takes no matchers; put them on a child route",
            "4:15 group_wait: `5 minutes` is not a duration; write a number and a unit (ms, s, m, h, d, w, y), e.g. `5m` or `1h30m`",
            "6:40 invalid regular expression `(` for label `slo`: unclosed group",
            "7:16 service `chekout` is not defined, did you mean `checkout`?",
        ]
    );
}

#[test]
fn heartbeats_are_configured_with_defaults_and_checked() {
    let digest = "ab".repeat(32);
    let integrations =
        format!("integrations:\n  - name: prometheus\n    token: {{sha256: {digest}}}\n");
    let dir = with_base(&[
        ("integrations.yaml", integrations.as_str()),
        (
            "heartbeats.yaml",
            "\
heartbeats:
  - name: prometheus
    service: triage
    interval: 5m
    integration: prometheus
    matchers: ['alertname=\"Watchdog\"']
  - name: backup
    service: triage
    interval: 1s
    grace: 0s
    summary: The backup did not report
",
        ),
    ]);
    let config = load(dir.path()).expect("valid").config;
    let prometheus = &config.heartbeats["prometheus"];
    assert_eq!(prometheus.service, "triage");
    assert_eq!(prometheus.interval, Duration::from_mins(5));
    assert_eq!(
        prometheus.grace,
        Duration::from_mins(1),
        "the default grace"
    );
    assert_eq!(prometheus.integration.as_deref(), Some("prometheus"));
    assert_eq!(prometheus.matchers.to_string(), "{alertname=\"Watchdog\"}");
    let backup = &config.heartbeats["backup"];
    assert_eq!(backup.grace, Duration::ZERO);
    assert!(backup.matchers.is_empty());
    assert_eq!(backup.integration, None);
    assert_eq!(backup.summary.as_deref(), Some("The backup did not report"));

    let dir = with_base(&[
        ("integrations.yaml", integrations.as_str()),
        (
            "heartbeats.yaml",
            "\
heartbeats:
  - name: prometheus
    service: triag
    interval: 5 minutes
    grace: -1m
    integration: prometheus-a
    matchers: ['alertname=~\"(\"']
  - name: prometheus
    service: triage
    interval: 0s
",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("bad heartbeats");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(&str, u64, u64)> = found
        .iter()
        .map(|(file, l, c, _, _)| (file.as_str(), *l, *c))
        .collect();
    assert_eq!(
        at,
        [
            ("heartbeats.yaml", 3, 14),
            ("heartbeats.yaml", 4, 15),
            ("heartbeats.yaml", 5, 12),
            ("heartbeats.yaml", 6, 18),
            ("heartbeats.yaml", 7, 16),
            ("heartbeats.yaml", 8, 11),
        ],
        "{found:#?}"
    );
    let messages: Vec<&str> = found.iter().map(|f| f.4.as_str()).collect();
    assert!(messages[0].contains("service `triag` is not defined, did you mean `triage`?"));
    assert!(messages[1].starts_with("interval: "), "{}", messages[1]);
    assert!(messages[2].starts_with("grace: "), "{}", messages[2]);
    assert!(messages[3].contains("integration `prometheus-a` is not defined"));
    assert!(messages[5].contains("heartbeat `prometheus` is already defined at"));
}

#[test]
fn schedules_are_configured_and_checked() {
    let people = "\
users:
  - {name: alice, time_zone: Europe/Dublin, contact_methods: [{channel: base-log}]}
  - {name: bob, time_zone: America/New_York, contact_methods: [{channel: base-log}]}
  - {name: dave, time_zone: Europe/Dublin, contact_methods: [{channel: base-log}]}
teams:
  - {name: payments, members: [alice, bob, dave]}
";
    let dir = with_base(&[
        ("people.yaml", people),
        (
            "schedules.yaml",
            "\
schedules:
  - name: payments-primary
    team: payments
    time_zone: Europe/Dublin
    layers:
      - name: weekly
        participants: [alice, bob]
        shift: 1w
        handoff: \"09:00\"
        handoff_day: mon
        start: 2026-01-05
        shadows: [{user: dave, shadowing: alice}]
      - name: new-york-days
        participants: [bob]
        shift: 1d
        handoff: \"08:00\"
        time_zone: America/New_York
        start: 2026-01-01
        restrictions: [{days: mon-fri, start: \"08:00\", end: \"18:00\"}]
",
        ),
    ]);
    let loaded = load(dir.path()).expect("valid");
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    let schedule = &loaded.config.schedules["payments-primary"];
    assert_eq!(schedule.team, "payments");
    assert_eq!(schedule.layers.len(), 2);
    let weekly = &schedule.layers[0];
    assert_eq!(weekly.participants, ["alice", "bob"]);
    assert_eq!(weekly.rotation.length, ShiftLength::Weeks(1));
    assert_eq!(
        weekly.rotation.handoff_day,
        Some(jiff::civil::Weekday::Monday)
    );
    assert_eq!(weekly.rotation.time_zone.iana_name(), Some("Europe/Dublin"));
    assert_eq!(weekly.shadows[0].user, "dave");
    let days = &schedule.layers[1];
    assert_eq!(days.rotation.length, ShiftLength::Days(1));
    assert_eq!(
        days.rotation.time_zone.iana_name(),
        Some("America/New_York")
    );
    assert_eq!(days.restrictions.len(), 1);

    // Only weekdays in office hours: nobody at night, and `check` says so.
    let dir = with_base(&[
        ("people.yaml", people),
        (
            "schedules.yaml",
            "\
schedules:
  - name: office
    team: payments
    time_zone: UTC
    layers:
      - name: days
        participants: [alice]
        shift: 1d
        handoff: \"09:00\"
        start: 2026-01-01
        restrictions: [{days: mon-fri, start: \"09:00\", end: \"17:00\"}]
",
        ),
    ]);
    let loaded = load(dir.path()).expect("gaps are a warning, not an error");
    let found = summary(dir.path(), &loaded.warnings);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert_eq!((found[0].0.as_str(), found[0].1), ("schedules.yaml", 2));
    assert!(
        found[0]
            .4
            .contains("schedule `office` has nobody on call for")
            && found[0].4.contains("in the next 4 weeks"),
        "{}",
        found[0].4
    );

    let dir = with_base(&[
        ("people.yaml", people),
        (
            "schedules.yaml",
            "\
schedules:
  - name: broken
    team: payment
    time_zone: Europe/Dublinn
    layers:
      - name: weekly
        participants: [alice, bobb]
        shift: 1 week
        handoff: \"9am\"
        handoff_day: mon
        start: 2026-13-01
        shadows: [{user: dave, shadowing: carol}]
      - name: weekly
        participants: []
        shift: 1d
        handoff: \"09:00\"
        handoff_day: fri
        start: 2026-01-01
",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("bad schedule");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(u64, &str)> = found
        .iter()
        .map(|(_, line, _, _, message)| (*line, message.as_str()))
        .collect();
    let expect = [
        (3, "team `payment` is not defined, did you mean `payments`?"),
        (4, "time zone `Europe/Dublinn` is not a known IANA zone"),
        (7, "user `bobb` is not defined, did you mean `bob`?"),
        (8, "shift `1 week` is not a shift length"),
        (9, "handoff: `9am` is not a time of day"),
        (11, "start `2026-13-01` is not a date"),
        (12, "`carol` is not a participant of layer `weekly`"),
        (13, "layer `weekly` is already defined in schedule `broken`"),
        (13, "layer `weekly` needs at least one participant"),
        (17, "handoff_day applies to weekly shifts only"),
    ];
    assert_eq!(at.len(), expect.len(), "{found:#?}");
    for ((line, message), (want_line, want)) in at.iter().zip(expect) {
        assert_eq!(*line, want_line, "{message}");
        assert!(message.contains(want), "{message:?} should say {want:?}");
    }
}

#[test]
fn escalation_policies_are_configured_and_checked() {
    let people = "\
users:
  - {name: alice, time_zone: Europe/Dublin, contact_methods: [{channel: base-log}]}
teams:
  - {name: payments, members: [alice]}
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {name: all, participants: [alice], shift: 1w, handoff: \"09:00\", start: 2026-01-05}
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
    escalation_policy: payments
";
    let dir = with_base(&[
        ("people.yaml", people),
        (
            "escalation.yaml",
            "\
escalation_policies:
  - name: payments
    repeat: 2
    steps:
      - notify: [{schedule: primary}]
        escalate_after: 5m
      - notify: [{user: alice}, {team: payments}]
",
        ),
    ]);
    let loaded = load(dir.path()).expect("valid");
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    let config = loaded.config;
    assert_eq!(
        config.services["checkout"].escalation_policy.as_deref(),
        Some("payments")
    );
    let policy = &config.escalation_policies["payments"];
    assert_eq!(policy.repeat, 2);
    assert_eq!(
        policy.steps[0].targets,
        [Target::Schedule("primary".into())]
    );
    assert_eq!(policy.steps[0].escalate_after, Duration::from_mins(5));
    assert_eq!(
        policy.steps[1].targets,
        [
            Target::User("alice".into()),
            Target::Team("payments".into())
        ]
    );
    assert_eq!(
        policy.steps[1].escalate_after,
        Duration::from_mins(15),
        "the default wait"
    );

    let dir = with_base(&[
        (
            "people.yaml",
            &people.replace("escalation_policy: payments", "escalation_policy: paymnts"),
        ),
        (
            "escalation.yaml",
            "\
escalation_policies:
  - name: payments
    repeat: 50
    steps:
      - notify: [{schedule: primry}]
        escalate_after: soon
      - notify: [{user: alice, team: payments}]
  - name: empty
    steps: []
",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("bad policies");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|(file, line, _, _, message)| (file.as_str(), *line, message.as_str()))
        .collect();
    let expect = [
        ("escalation.yaml", 3, "repeat may be at most 10"),
        (
            "escalation.yaml",
            5,
            "schedule `primry` is not defined, did you mean `primary`?",
        ),
        ("escalation.yaml", 6, "escalate_after: "),
        (
            "escalation.yaml",
            7,
            "exactly one of `user`, `schedule` or `team`",
        ),
        (
            "escalation.yaml",
            8,
            "escalation policy `empty` needs at least one step",
        ),
        (
            "people.yaml",
            15,
            "escalation policy `paymnts` is not defined, did you mean `payments`?",
        ),
    ];
    assert_eq!(at.len(), expect.len(), "{found:#?}");
    for ((file, line, message), (want_file, want_line, want)) in at.iter().zip(expect) {
        assert_eq!((*file, *line), (want_file, want_line), "{message}");
        assert!(message.contains(want), "{message:?} should say {want:?}");
    }
}

#[test]
fn service_urgency_is_read_and_checked() {
    let dir = with_base(&[(
        "services.yaml",
        "\
services:
  - name: checkout
    team: ops
    runbook: https://runbooks.example.com/checkout
    urgency: support_hours
    support_hours:
      time_zone: Europe/Dublin
      windows: [{days: mon-fri, start: \"09:00\", end: \"17:00\"}]
  - name: reports
    team: ops
    runbook: https://runbooks.example.com/reports
    urgency: low
",
    )]);
    let config = load(dir.path()).expect("valid").config;
    assert_eq!(
        config.services["checkout"].urgency,
        UrgencyRule::SupportHours
    );
    assert_eq!(config.services["reports"].urgency, UrgencyRule::Low);
    assert_eq!(
        config.services["triage"].urgency,
        UrgencyRule::High,
        "the default"
    );

    let dir = with_base(&[(
        "services.yaml",
        "\
services:
  - name: checkout
    team: ops
    runbook: https://runbooks.example.com/checkout
    urgency: support_hours
  - name: reports
    team: ops
    runbook: https://runbooks.example.com/reports
    urgency: sometimes
",
    )]);
    let rejected = load(dir.path()).expect_err("bad urgency");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(u64, &str)> = found
        .iter()
        .map(|(_, line, _, _, message)| (*line, message.as_str()))
        .collect();
    assert_eq!(at.len(), 2, "{found:#?}");
    assert_eq!(at[0].0, 5);
    assert!(
        at[0].1.contains("needs the service's `support_hours`"),
        "{}",
        at[0].1
    );
    assert_eq!(at[1].0, 9);
    assert!(at[1].1.contains("`sometimes` is not one of"), "{}", at[1].1);
}

#[test]
fn notification_rules_hold_tickets_and_low_urgency_escalation_are_read_and_checked() {
    let people = "\
channels:
  - {name: push, type: log}
  - {name: sms, type: sms, api_url: 'http://127.0.0.1:9/', account_sid: AC1,
     auth_token: {file: twilio.token}, from: '+15550001111'}
users:
  - name: alice
    time_zone: UTC
    contact_methods:
      - {channel: push}
      - {name: text, channel: sms, to: '+353861234567'}
    notification_rules:
      high: [{contact: text, after: 2m}, {contact: push}]
";
    let services = "\
services:
  - name: checkout
    team: ops
    runbook: https://runbooks.example.com/checkout
    hold_tickets: true
    support_hours:
      time_zone: UTC
      windows: [{days: mon-fri, start: \"09:00\", end: \"17:00\"}]
escalation_policies:
  - name: gentle
    escalate_low_urgency: true
    steps: [{notify: [{user: alice}]}]
";
    let dir = with_base(&[
        ("people.yaml", people),
        ("services.yaml", services),
        ("twilio.token", "secret"),
    ]);
    let config = load(dir.path()).expect("valid").config;
    let rules = &config.users["alice"].notification_rules;
    let high: Vec<(&str, i64)> = rules
        .high
        .iter()
        .map(|r| (r.contact.as_str(), r.after.as_secs()))
        .collect();
    assert_eq!(high, [("text", 120), ("push", 0)]);
    assert!(rules.low.is_empty(), "left out: the default");
    assert!(config.services["checkout"].hold_tickets);
    assert!(!config.services["triage"].hold_tickets, "the default");
    assert!(config.escalation_policies["gentle"].escalate_low_urgency);

    let people = people.replace(
        "      high: [{contact: text, after: 2m}, {contact: push}]\n",
        "      high: [{contact: txt}, {contact: push}, {contact: push, after: 1m}]
      low: [{contact: text}, {contact: push, after: soon}]
",
    );
    let services = services.replace(
        "    support_hours:
      time_zone: UTC
      windows: [{days: mon-fri, start: \"09:00\", end: \"17:00\"}]
",
        "",
    );
    let dir = with_base(&[
        ("people.yaml", &people),
        ("services.yaml", &services),
        ("twilio.token", "secret"),
    ]);
    let rejected = load(dir.path()).expect_err("bad rules");
    let found = summary(dir.path(), &rejected.diagnostics);
    let at: Vec<(&str, u64, &str)> = found
        .iter()
        .filter(|(_, _, _, severity, _)| *severity == Severity::Error)
        .map(|(file, line, _, _, message)| (file.as_str(), *line, message.as_str()))
        .collect();
    assert_eq!(at.len(), 5, "{found:#?}");
    let expect = [
        (
            "people.yaml",
            12,
            "no contact method `txt`, did you mean `text`?",
        ),
        ("people.yaml", 12, "`push` appears twice"),
        (
            "people.yaml",
            13,
            "`text` rings a phone; low-urgency rules never wake anyone",
        ),
        ("people.yaml", 13, "after: "),
        (
            "services.yaml",
            5,
            "hold_tickets needs the service's `support_hours`",
        ),
    ];
    for (file, line, words) in expect {
        assert!(
            at.iter()
                .any(|(f, l, m)| *f == file && *l == line && m.contains(words)),
            "{file}:{line} `{words}` in {at:#?}"
        );
    }
}

#[test]
fn slos_are_read_with_the_default_policy_and_their_mistakes_are_placed() {
    let slos = "\
slos:
  - name: checkout-availability
    service: triage
    sli: {source: push}
    objective: 99.9
    window: 30d
    min_events: 100
    owner: ops
    runbook: https://runbooks.example.com/checkout
    labels: {tier: '1'}
  - name: checkout-latency
    service: triage
    sli: {source: push}
    objective: 99
    window: month
    time_zone: Europe/Dublin
    alerting:
      - {long: 1h, short: 5m, burn_rate: 14.4, severity: page}
";
    let dir = with_base(&[("slos.yaml", slos)]);
    let config = load(dir.path()).expect("valid").config;
    let availability = &config.slos["checkout-availability"];
    let windows: Vec<String> = availability
        .alerting
        .iter()
        .map(|a| format!("{} {} {}", a.window_label(), a.burn_rate, a.severity))
        .collect();
    assert_eq!(
        windows,
        [
            "1h/5m 14.4 page",
            "6h/30m 6 page",
            "1d/2h 3 ticket",
            "3d/6h 1 ticket"
        ]
    );
    assert_eq!(availability.min_events, 100.0);
    assert_eq!(availability.labels.get("tier"), Some("1"));
    let latency = &config.slos["checkout-latency"];
    assert_eq!(latency.window.to_string(), "month (Europe/Dublin)");
    assert_eq!(latency.alerting.len(), 1);
    assert_eq!(latency.min_events, 0.0, "the default");

    let broken = "\
slos:
  - name: broken
    service: checkot
    sli: {source: graphite}
    objective: 100
    window: 5m
    labels: {severity: low}
    alerting:
      - {long: 5m, short: 1h, burn_rate: 0, severity: urgent}
  - name: zoned
    service: triage
    sli: {source: push}
    objective: 99
    window: 7d
    time_zone: UTC
";
    let dir = with_base(&[("slos.yaml", broken)]);
    refused_with(
        dir.path(),
        &[
            (3, "service `checkot` is not defined"),
            (4, "unknown SLI source `graphite`"),
            (5, "objective 100 is not a percentage"),
            (6, "window must be at least an hour"),
            (2, "label `severity` is set by the SLO itself"),
            (9, "short window 1h must be shorter than the long window 5m"),
            (9, "burn_rate must be above 0"),
            (9, "`urgent` is not a severity"),
            (15, "time_zone applies to calendar windows"),
        ],
    );
}

#[test]
fn probes_are_read_with_defaults_and_checked() {
    let probes = "\
probes:
  - name: home
    url: http://127.0.0.1:8080/health
  - name: api
    url: https://api.example.com/ping
    method: head
    interval: 30s
    timeout: 5s
    headers: {X-Probe: pagerbound}
    expect: {status: [200, 204], latency: 500ms, body_contains: ok}
slos:
  - name: home
    service: triage
    sli: {source: probe, probe: home}
    objective: 99
    window: 28d
";
    let dir = with_base(&[("probes.yaml", probes)]);
    let config = load(dir.path()).expect("valid").config;
    let home = &config.probes["home"];
    assert_eq!(home.method, "GET");
    assert_eq!(home.interval, pagerbound_core::Duration::from_secs(60));
    assert_eq!(home.timeout, pagerbound_core::Duration::from_secs(10));
    assert!(home.expect.status.is_empty(), "any 2xx");
    let api = &config.probes["api"];
    assert_eq!(api.method, "HEAD");
    assert_eq!(api.expect.status, [200, 204]);
    assert_eq!(
        api.headers,
        [("X-Probe".to_owned(), "pagerbound".to_owned())]
    );
    assert_eq!(
        config.slos["home"].sli,
        pagerbound_core::slo::Sli::Probe {
            probe: "home".into()
        }
    );

    let broken = "\
probes:
  - name: home
    url: ftp://127.0.0.1/health
    method: DELETE
    interval: 5s
    timeout: 10s
    expect: {status: [700]}
slos:
  - name: home
    service: triage
    sli: {source: probe, probe: hme}
    objective: 99
    window: 28d
  - name: other
    service: triage
    sli: {source: probe}
    objective: 99
    window: 28d
";
    let dir = with_base(&[("probes.yaml", broken)]);
    refused_with(
        dir.path(),
        &[
            (3, "url"),
            (4, "method `DELETE` is not one a probe uses"),
            (6, "timeout 10s is longer than the interval 5s"),
            (7, "status 700 is not an HTTP status code"),
            (11, "probe `hme` is not defined, did you mean `home`?"),
            (16, "names its probe: `probe: NAME`"),
        ],
    );
}

/// A self-signed CA certificate (P-256), only ever parsed.
const TEST_CA: &str = "\
# pagerbound test CA
-----BEGIN CERTIFICATE-----
MIIBjzCCATWgAwIBAgIUVQRQ59QdwA1SbANsqu5nkwotuQYwCgYIKoZIzj0EAwIw
HTEbMBkGA1UEAwwScGFnZXJib3VuZCB0ZXN0IENBMB4XDTI2MTEyMjAzMTgyN1oX
DTM2MTExOTAzMTgyN1owHTEbMBkGA1UEAwwScGFnZXJib3VuZCB0ZXN0IENBMFkw
EwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfyv18DBnz9XznsgZy2P/gguLYd5VEJsz
yapWY2xgYElH0cj4fjuHSYG4i6n//K+mSv9oliTtgTJeA6M2yh8VGKNTMFEwHQYD
VR0OBBYEFNKHX6XsNh4avJxfCxoG3AgrlzpiMB8GA1UdIwQYMBaAFNKHX6XsNh4a
vJxfCxoG3AgrlzpiMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSAAwRQIg
L4NMvD4y6XscFgd/V3rygFtelc1AOhRLDWdc8up+ut4CIQDJKsUSIS60V0Jb7tzu
iOKPReuc9xw2pcg9mQ0KRZ/yYA==
-----END CERTIFICATE-----
";

#[test]
fn probe_certificates_are_read_and_checked() {
    let probes = "\
probes:
  - name: internal
    url: https://internal.example.com/health
    ca_file: certs/ca.pem
    expect: {certificate_expires_after: 14d}
";
    let dir = with_base(&[("probes.yaml", probes), ("certs/ca.pem", TEST_CA)]);
    let config = load(dir.path()).expect("valid").config;
    let internal = &config.probes["internal"];
    assert_eq!(
        internal.expect.certificate_expires_after,
        Some(Duration::from_secs(14 * 24 * 3600))
    );
    let ca_file = internal.ca_file.as_ref().expect("a ca_file");
    assert_eq!(ca_file.path, dir.path().join("certs/ca.pem"));
    assert_eq!(ca_file.certificates.len(), 1);
    assert!(config.probes["internal"].reads_certificate());

    let broken = "\
probes:
  - name: plain
    url: http://127.0.0.1:8080/health
    expect: {certificate_expires_after: 14d}
  - name: missing
    url: https://internal.example.com/health
    ca_file: missing.pem
  - name: key
    url: https://internal.example.com/health
    ca_file: key.pem
  - name: notes
    url: https://internal.example.com/health
    ca_file: notes.txt
  - name: mangled
    url: https://internal.example.com/health
    ca_file: mangled.pem
  - name: never
    url: https://internal.example.com/health
    expect: {certificate_expires_after: 0s}
";
    let dir = with_base(&[
        ("probes.yaml", broken),
        (
            "key.pem",
            "-----BEGIN PRIVATE KEY-----\nMC4CAQAwBQYDK2VwBCIEIA==\n-----END PRIVATE KEY-----\n",
        ),
        ("notes.txt", "the CA is on the wiki\n"),
        (
            "mangled.pem",
            "-----BEGIN CERTIFICATE-----\naGVsbG8=\n-----END CERTIFICATE-----\n",
        ),
    ]);
    refused_with(
        dir.path(),
        &[
            (4, "certificate_expires_after applies to `https` URLs"),
            (7, "cannot read ca_file `missing.pem`"),
            (
                10,
                "ca_file `key.pem`: PEM block 1 is a `PRIVATE KEY`, not a `CERTIFICATE`",
            ),
            (13, "ca_file `notes.txt` holds no certificate"),
            (
                16,
                "ca_file `mangled.pem`: certificate 1 is not an X.509 certificate",
            ),
            (19, "certificate_expires_after must be longer than zero"),
        ],
    );
    // The position is the field's, as for every other mistake.
    let rejected = load(dir.path()).expect_err("refused");
    let plain = summary(dir.path(), &rejected.diagnostics)
        .into_iter()
        .find(|(_, line, ..)| *line == 4)
        .expect("the http probe's error");
    assert_eq!(plain.0, "probes.yaml");
}

#[test]
fn prometheus_slis_are_read_and_checked() {
    let slos = "\
slos:
  - name: availability
    service: triage
    sli:
      source: prometheus
      bad: sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))
      total: sum(rate(http_requests_total[{{.window}}]))
      step: 30s
    objective: 99.9
    window: 30d
";
    let settings = "settings:\n  prometheus_url: http://127.0.0.1:9090\n";
    let dir = with_base(&[("slos.yaml", slos), ("settings.yaml", settings)]);
    let config = load(dir.path()).expect("valid").config;
    let pagerbound_core::slo::Sli::Prometheus(sli) = &config.slos["availability"].sli else {
        panic!("a Prometheus SLI");
    };
    assert_eq!(sli.url.as_str(), "http://127.0.0.1:9090/");
    assert_eq!(sli.step, pagerbound_core::Duration::from_secs(30));
    assert_eq!(sli.query("sum(rate(x[{{.window}}]))"), "sum(rate(x[30s]))");

    let broken = "\
slos:
  - name: nowhere
    service: triage
    sli:
      source: prometheus
      good: sum(rate(ok_total[5m]))
      total: sum(rate(all_total[{{.window}}]))
      step: 0s
    objective: 99
    window: 28d
  - name: both
    service: triage
    sli:
      source: prometheus
      url: http://127.0.0.1:9090
      good: sum(rate(ok_total[{{.window}}]))
      bad: sum(rate(err_total[{{.window}}]))
      total: sum(rate(all_total[{{.window}}]))
    objective: 99
    window: 28d
  - name: pushed
    service: triage
    sli: {source: push, total: 'sum(rate(all_total[{{.window}}]))'}
    objective: 99
    window: 28d
";
    let dir = with_base(&[("slos.yaml", broken)]);
    refused_with(
        dir.path(),
        &[
            (5, "needs `url`, or `settings.prometheus_url`"),
            (6, "good must be a rate over `{{.window}}`"),
            (8, "step must be between `1s` and `1h`"),
            (17, "give `good` or `bad`, not both"),
            (23, "`total` belongs to an SLI of source `prometheus`"),
        ],
    );
}

#[test]
fn histogram_latency_slis_are_read_and_checked() {
    let slos = "\
slos:
  - name: latency
    service: triage
    sli:
      source: prometheus
      url: http://127.0.0.1:9090
      histogram: http_request_duration_seconds{job=\"checkout\"}
      threshold: 0.3
    objective: 99
    window: 28d
";
    let dir = with_base(&[("slos.yaml", slos)]);
    let config = load(dir.path()).expect("valid").config;
    let pagerbound_core::slo::Sli::Prometheus(sli) = &config.slos["latency"].sli else {
        panic!("a Prometheus SLI");
    };
    let pagerbound_core::slo::RatioQueries::Histogram(histogram) = &sli.queries else {
        panic!("a histogram");
    };
    assert_eq!(histogram.metric, "http_request_duration_seconds");
    assert_eq!(histogram.matchers, "job=\"checkout\"");
    assert_eq!(histogram.threshold, "0.3");

    let broken = "\
slos:
  - name: latency
    service: triage
    sli:
      source: prometheus
      url: http://127.0.0.1:9090
      histogram: 'http request seconds'
      total: sum(rate(all_total[{{.window}}]))
      threshold: -1
    objective: 99
    window: 28d
  - name: unbounded
    service: triage
    sli:
      source: prometheus
      url: http://127.0.0.1:9090
      histogram: http_request_duration_seconds
    objective: 99
    window: 28d
";
    let dir = with_base(&[("slos.yaml", broken)]);
    refused_with(
        dir.path(),
        &[
            (7, "histogram `http request seconds` is not a metric name"),
            (8, "give `histogram` and `threshold`, or `total`, not both"),
            (9, "threshold must be above 0"),
            (17, "a `histogram` needs `threshold`"),
        ],
    );
}
