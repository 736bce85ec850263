//! The web UI in a real browser. This starts the real binary on SQLite,
//! gives two people passwords with `pagerbound user set-password`, opens
//! pages through the Alertmanager API and pushes SLI events, then runs the
//! browser tests in `tests/browser` (Node's test runner, playwright-core,
//! Debian's Chromium) against it. `.ci/setup` installs Chromium and the
//! tests' npm package; a missing one fails the test, it is never skipped.

mod support;

use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use support::{
    PATIENCE, Pagerbound, integration_token, pagerbound, require_tool, stderr, stdout, wait_until,
};

const PASSWORD: &str = "a long browser-test password";

fn config(digest: &str) -> String {
    format!(
        r#"teams:
  - name: payments
    members: [alice, bob, carol]
users:
  - {{name: alice, time_zone: Europe/Dublin, contact_methods: [{{channel: dev-log}}]}}
  - {{name: bob, time_zone: UTC, contact_methods: [{{channel: dev-log}}]}}
  - {{name: carol, time_zone: Australia/Sydney, contact_methods: [{{channel: dev-log}}]}}
channels:
  - {{name: dev-log, type: log}}
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
integrations:
  - name: prometheus
    token: {{ sha256: {digest} }}
schedules:
  - name: payments-primary
    team: payments
    time_zone: Europe/Dublin
    layers:
      - name: weekly
        participants: [alice, bob]
        shift: 1w
        handoff: "09:00"
        handoff_day: mon
        start: 2026-01-05
slos:
  - name: checkout-availability
    service: checkout
    sli: {{ source: push }}
    objective: 99.9
    window: 30d
routes:
  service: checkout
  class: ticket
  group_by: [alertname]
  group_wait: 0s
  routes:
    - name: checkout-slo
      matchers: ['slo=~".+"']
      class: page
"#
    )
}

/// `pagerbound user set-password USER --role ROLE`, the password on
/// standard input as a script would give it.
fn set_password(server: &Pagerbound, user: &str, role: &str) {
    let mut child = pagerbound()
        .args(["user", "set-password", user, "--role", role])
        .args(["--database", &server.database()])
        .arg("--config")
        .arg(server.config_path())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run pagerbound user set-password");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(format!("{PASSWORD}\n").as_bytes())
        .expect("write the password");
    let output = child.wait_with_output().expect("wait");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains(&format!("role {role}")),
        "{}",
        stderr(&output)
    );
}

/// Fires an alert that pages and answers the id of its page.
fn open_page(server: &Pagerbound, ingest: &str, token: &str, name: &str) -> i64 {
    let body = format!(
        r#"[{{"labels": {{"alertname": "{name}", "service": "checkout", "slo": "checkout-availability"}}, "annotations": {{"summary": "{name}: checkout is failing"}}}}]"#
    );
    let (status, text) = server.post("/api/v2/alerts", &format!("Bearer {ingest}"), &body);
    assert_eq!(status, 200, "{text}");
    wait_until(PATIENCE, "the page to open", || {
        let pages = server.get_json("/api/v1/pages", token);
        pages
            .as_array()
            .and_then(|p| p.iter().find(|p| p["group_labels"]["alertname"] == name))
            .and_then(|p| p["id"].as_i64())
            .ok_or_else(|| pages.to_string())
    })
}

#[test]
fn the_web_ui_works_in_chromium() {
    let chromium = require_tool("/usr/bin/chromium", "chromium");
    let node = require_tool("/usr/bin/node", "nodejs");
    let tests = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tests/browser");
    assert!(
        tests.join("node_modules/playwright-core").is_dir(),
        "playwright-core is missing: `.ci/setup` installs it (npm ci in tests/browser)"
    );

    let (ingest, digest) = integration_token("prometheus");
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config(&digest))]);
    set_password(&server, "bob", "responder");
    set_password(&server, "carol", "viewer");
    server.start();
    let admin = server.create_token("alice", "admin");
    let page = open_page(&server, &ingest, &admin, "CheckoutBurn");
    let phone_page = open_page(&server, &ingest, &admin, "CheckoutLatencyBurn");
    // An hour of checkout requests, 1% of them failing, for the SLO's chart.
    let now = jiff::Timestamp::now().as_second();
    let events: Vec<String> = (1..=60)
        .map(|minutes| {
            let at = jiff::Timestamp::from_second(now - minutes * 60).expect("instant");
            format!(r#"{{"timestamp": "{at}", "good": 990, "total": 1000}}"#)
        })
        .collect();
    let (status, text) = server.post(
        "/api/v1/slis/checkout-availability/events",
        &format!("Bearer {ingest}"),
        &format!("[{}]", events.join(",")),
    );
    assert_eq!(status, 202, "{text}");

    let output = Command::new(node)
        .args(["--test", "--test-concurrency=1", "--test-reporter=tap"])
        .arg("ui.test.mjs")
        .current_dir(&tests)
        .env("PB_BASE", server.url())
        .env("PB_PASSWORD", PASSWORD)
        .env("PB_PAGE", page.to_string())
        .env("PB_PHONE_PAGE", phone_page.to_string())
        .env("PB_SLO", "checkout-availability")
        .env("PB_SCHEDULE", "payments-primary")
        .env("PB_CHROMIUM", chromium)
        // Set PB_SCREENSHOTS=DIR to keep screenshots of the pages to look at.
        .envs(std::env::var_os("PB_SCREENSHOTS").map(|dir| ("PB_SCREENSHOTS", dir)))
        .output()
        .expect("run node --test");
    assert!(
        output.status.success(),
        "browser tests failed:\n{}\n{}\n--- server log ---\n{}",
        stdout(&output),
        stderr(&output),
        server.log()
    );
    // Every test ran: none was skipped or left out.
    let report = stdout(&output);
    assert!(report.contains("# fail 0"), "{report}");
    assert!(!report.contains("# pass 0"), "{report}");
}
