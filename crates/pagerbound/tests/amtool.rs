//! The real `amtool` (`/usr/bin/amtool` 0.25, from `.ci/setup`) against
//! pagerbound, as against an Alertmanager: adding and querying alerts, and
//! adding, querying and expiring silences.
//!
//! amtool warns on stderr that its version and pagerbound's differ; that is
//! expected and not checked.

mod support;

use serde_json::Value;
use std::path::Path;
use std::process::Output;
use support::{Pagerbound, amtool, checkout_config, integration_token, stderr, stdout, wait_until};

/// Runs amtool and requires success.
fn ok(url: &str, http_config: &Path, args: &[&str]) -> String {
    let output = amtool(url, http_config, args);
    assert!(
        output.status.success(),
        "amtool {args:?} failed ({}):\n{}{}",
        output.status,
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}

/// The rows of amtool's `simple` table under its header: (alertname, state)
/// for `alert query`, the first and last columns, sorted.
fn rows(table: &str) -> Vec<(String, String)> {
    let mut lines = table.lines();
    let header = lines.next().unwrap_or_default();
    assert!(
        header.starts_with("Alertname"),
        "not an alert table: {table}"
    );
    let mut rows = lines
        .filter(|line| !line.trim().is_empty())
        .map(|line| {
            let columns: Vec<&str> = line.split_whitespace().collect();
            (
                columns.first().copied().unwrap_or_default().to_owned(),
                columns.last().copied().unwrap_or_default().to_owned(),
            )
        })
        .collect::<Vec<_>>();
    rows.sort();
    rows
}

fn row(name: &str, state: &str) -> (String, String) {
    (name.to_owned(), state.to_owned())
}

/// `GET /api/v2/alerts` by alert name.
fn alerts_by_name(pagerbound: &Pagerbound, token: &str) -> Vec<(String, Value)> {
    let alerts = pagerbound.get_json("/api/v2/alerts", token);
    let mut named: Vec<(String, Value)> = alerts
        .as_array()
        .expect("an array of alerts")
        .iter()
        .map(|alert| {
            let name = alert["labels"]["alertname"].as_str().unwrap_or_default();
            (name.to_owned(), alert.clone())
        })
        .collect();
    named.sort_by(|a, b| a.0.cmp(&b.0));
    named
}

fn describe(output: &Output) -> String {
    format!("{}: {}{}", output.status, stdout(output), stderr(output))
}

#[test]
fn amtool_adds_alerts_and_silences_and_expires_them() {
    let (integration, digest) = integration_token("prometheus");
    let mut pagerbound = Pagerbound::configure(&[("pagerbound.yaml", &checkout_config(&digest))]);
    let responder = pagerbound.create_token("alice", "responder");
    let viewer = pagerbound.create_token("bob", "viewer");
    pagerbound.start();
    let url = pagerbound.url();

    // amtool's HTTP client configurations, outside pagerbound's
    // configuration directory: a responder's API token as a bearer token,
    // the integration's token as a basic-auth password, a viewer's token.
    let clients = tempfile::tempdir().expect("temporary directory");
    let as_responder = clients.path().join("responder.yml");
    std::fs::write(
        &as_responder,
        format!("authorization:\n  type: Bearer\n  credentials: {responder}\n"),
    )
    .expect("write");
    let as_integration = clients.path().join("integration.yml");
    std::fs::write(
        &as_integration,
        format!("basic_auth:\n  username: prometheus\n  password: {integration}\n"),
    )
    .expect("write");
    let as_viewer = clients.path().join("viewer.yml");
    std::fs::write(
        &as_viewer,
        format!("authorization:\n  type: Bearer\n  credentials: {viewer}\n"),
    )
    .expect("write");

    // Two alerts: one sent by a person with an API token, one with the
    // integration's token.
    ok(
        &url,
        &as_responder,
        &[
            "alert",
            "add",
            "alertname=DiskFull",
            "instance=db1",
            "service=checkout",
            "--annotation=summary=The disk of db1 is full",
        ],
    );
    ok(
        &url,
        &as_integration,
        &[
            "alert",
            "add",
            "alertname=HighLatency",
            "instance=web1",
            "service=checkout",
            "--annotation=summary=Checkout is slow",
        ],
    );
    let history = pagerbound.get_json("/api/v1/alerts", &viewer);
    let sender = |name: &str| {
        history
            .as_array()
            .expect("history is an array")
            .iter()
            .find(|alert| alert["labels"]["alertname"] == name)
            .map(|alert| alert["integration"].clone())
    };
    assert_eq!(sender("DiskFull"), Some("user:alice".into()), "{history}");
    assert_eq!(
        sender("HighLatency"),
        Some("prometheus".into()),
        "{history}"
    );

    // `alert query` lists both, active.
    wait_until(support::PATIENCE, "both alerts active in amtool", || {
        let table = ok(&url, &as_responder, &["alert", "query"]);
        if rows(&table) == [row("DiskFull", "active"), row("HighLatency", "active")] {
            Ok(())
        } else {
            Err(table)
        }
    });
    let json = ok(&url, &as_responder, &["alert", "query", "-o", "json"]);
    let listed: Value = serde_json::from_str(&json).expect("amtool's JSON");
    let disk = listed
        .as_array()
        .expect("an array")
        .iter()
        .find(|alert| alert["labels"]["alertname"] == "DiskFull")
        .unwrap_or_else(|| panic!("DiskFull in {json}"));
    assert_eq!(disk["labels"]["instance"], "db1", "{json}");
    assert_eq!(disk["labels"]["service"], "checkout", "{json}");
    assert_eq!(
        disk["annotations"]["summary"], "The disk of db1 is full",
        "{json}"
    );
    assert_eq!(
        disk["receivers"],
        serde_json::json!([{"name": "checkout/ticket"}])
    );
    let filtered = ok(
        &url,
        &as_responder,
        &["alert", "query", "alertname=~High.*"],
    );
    assert_eq!(
        rows(&filtered),
        [row("HighLatency", "active")],
        "{filtered}"
    );

    // A viewer may look but not silence.
    let refused = amtool(
        &url,
        &as_viewer,
        &[
            "silence",
            "add",
            "alertname=DiskFull",
            "--comment=not allowed",
            "--duration=1h",
        ],
    );
    assert!(!refused.status.success(), "{}", describe(&refused));
    assert!(stderr(&refused).contains("403"), "{}", describe(&refused));

    // A silence: amtool prints its id, and lists it.
    let id = ok(
        &url,
        &as_responder,
        &[
            "silence",
            "add",
            "alertname=DiskFull",
            "--comment=Replacing the disk",
            "--duration=1h",
            "--author=alice",
        ],
    )
    .trim()
    .to_owned();
    assert!(
        id.len() == 36 && id.matches('-').count() == 4,
        "a silence id: {id:?}"
    );
    let table = ok(&url, &as_responder, &["silence", "query"]);
    let line = table
        .lines()
        .find(|line| line.starts_with(&id))
        .unwrap_or_else(|| panic!("silence {id} in:\n{table}"));
    for expected in ["alertname=\"DiskFull\"", "alice", "Replacing the disk"] {
        assert!(line.contains(expected), "{expected} in {line}");
    }
    let quiet = ok(&url, &as_responder, &["silence", "query", "-q"]);
    assert_eq!(quiet.lines().collect::<Vec<_>>(), [id.as_str()], "{quiet}");
    let json = ok(&url, &as_responder, &["silence", "query", "-o", "json"]);
    let silences: Value = serde_json::from_str(&json).expect("amtool's JSON");
    assert_eq!(silences[0]["id"], id.as_str(), "{json}");
    assert_eq!(silences[0]["status"]["state"], "active", "{json}");
    assert_eq!(silences[0]["createdBy"], "alice", "{json}");
    assert_eq!(
        silences[0]["matchers"],
        serde_json::json!([{"name": "alertname", "value": "DiskFull", "isRegex": false, "isEqual": true}]),
        "{json}"
    );

    // The silenced alert is suppressed, with the silence's id.
    wait_until(
        support::PATIENCE,
        "DiskFull suppressed by the silence",
        || {
            let alerts = alerts_by_name(&pagerbound, &viewer);
            match alerts.as_slice() {
                [(disk, d), (high, h)]
                    if disk == "DiskFull"
                        && high == "HighLatency"
                        && d["status"]["state"] == "suppressed"
                        && d["status"]["silencedBy"] == serde_json::json!([id])
                        && h["status"]["state"] == "active" =>
                {
                    Ok(())
                }
                other => Err(format!("{other:?}")),
            }
        },
    );
    // amtool shows active alerts by default, silenced ones on request.
    let table = ok(&url, &as_responder, &["alert", "query"]);
    assert_eq!(rows(&table), [row("HighLatency", "active")], "{table}");
    let table = ok(&url, &as_responder, &["alert", "query", "--silenced"]);
    assert_eq!(rows(&table), [row("DiskFull", "suppressed")], "{table}");
    let table = ok(&url, &as_responder, &["alert", "query", "-a", "-s"]);
    assert_eq!(
        rows(&table),
        [row("DiskFull", "suppressed"), row("HighLatency", "active")],
        "{table}"
    );

    // Expiring the silence: the alert is active again; the silence is
    // listed only among the expired.
    ok(&url, &as_responder, &["silence", "expire", &id]);
    let quiet = ok(&url, &as_responder, &["silence", "query", "-q"]);
    assert_eq!(quiet.trim(), "", "no silence is active: {quiet}");
    let expired = ok(&url, &as_responder, &["silence", "query", "--expired"]);
    assert!(
        expired.lines().any(|line| line.starts_with(&id)),
        "{id} among the expired:\n{expired}"
    );
    let silence = pagerbound.get_json(&format!("/api/v2/silence/{id}"), &viewer);
    assert_eq!(silence["status"]["state"], "expired", "{silence}");
    wait_until(support::PATIENCE, "DiskFull active again", || {
        let alerts = alerts_by_name(&pagerbound, &viewer);
        match alerts.as_slice() {
            [(disk, d), _]
                if disk == "DiskFull"
                    && d["status"]["state"] == "active"
                    && d["status"]["silencedBy"] == serde_json::json!([]) =>
            {
                Ok(())
            }
            other => Err(format!("{other:?}")),
        }
    });
    let table = ok(&url, &as_responder, &["alert", "query"]);
    assert_eq!(
        rows(&table),
        [row("DiskFull", "active"), row("HighLatency", "active")],
        "{table}"
    );

    // Expiring a silence that does not exist fails.
    let missing = amtool(
        &url,
        &as_responder,
        &["silence", "expire", "00000000-0000-0000-0000-000000000000"],
    );
    assert!(!missing.status.success(), "{}", describe(&missing));
}
