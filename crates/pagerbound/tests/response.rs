//! The on-call commands against the real binary: `pages`, `ack`,
//! `snooze`, `resolve` and friends change the page the server shows, with
//! the server and token from flags or from the client config file.

mod support;

use serde_json::Value;
use std::path::Path;
use support::{
    PATIENCE, Pagerbound, checkout_config, integration_token, pagerbound, run_client as run,
    stderr, succeeds, wait_until,
};

fn start() -> (Pagerbound, String) {
    let (ingest, digest) = integration_token("prometheus");
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &checkout_config(&digest))]);
    server.start();
    (server, ingest)
}

/// Fires an SLO alert and waits for its page.
fn open_page(server: &Pagerbound, ingest: &str, token: &str, name: &str) -> i64 {
    let body = format!(
        r#"[{{"labels": {{"alertname": "{name}", "service": "checkout", "slo": "availability"}}}}]"#
    );
    let (status, text) = server.post("/api/v2/alerts", &format!("Bearer {ingest}"), &body);
    assert_eq!(status, 200, "{text}");
    wait_until(PATIENCE, "the page to open", || {
        let pages = server.get_json("/api/v1/pages", token);
        pages
            .as_array()
            .and_then(|p| p.iter().find(|p| p["title"] == name))
            .and_then(|p| p["id"].as_i64())
            .ok_or_else(|| pages.to_string())
    })
}

fn page(server: &Pagerbound, token: &str, id: i64) -> Value {
    server.get_json(&format!("/api/v1/pages/{id}"), token)
}

#[test]
fn commands_ack_snooze_and_resolve_pages() {
    let (server, ingest) = start();
    let bob = server.create_token("bob", "responder");
    let first = open_page(&server, &ingest, &bob, "FirstBurn");
    let second = open_page(&server, &ingest, &bob, "SecondBurn");

    let listed = succeeds(run(&server, &bob, &["pages", "--mine"]));
    assert!(listed.starts_with("ID "), "{listed}");
    assert!(
        listed.contains("FirstBurn") && listed.contains("SecondBurn"),
        "{listed}"
    );

    let acked = succeeds(run(
        &server,
        &bob,
        &["ack", &first.to_string(), &second.to_string()],
    ));
    assert!(acked.contains("acknowledged"), "{acked}");
    for id in [first, second] {
        let shown = page(&server, &bob, id);
        assert_eq!(shown["state"], "acknowledged");
        assert_eq!(shown["acknowledged_by"], "bob");
    }
    let triggered = succeeds(run(&server, &bob, &["pages", "--state", "triggered"]));
    assert!(!triggered.contains("FirstBurn"), "{triggered}");

    succeeds(run(&server, &bob, &["unack", &first.to_string()]));
    assert_eq!(page(&server, &bob, first)["state"], "triggered");
    succeeds(run(&server, &bob, &["snooze", &first.to_string(), "30m"]));
    let snoozed = page(&server, &bob, first);
    assert_eq!(snoozed["state"], "acknowledged");
    assert!(snoozed["snoozed_until"].is_string(), "{snoozed}");

    succeeds(run(
        &server,
        &bob,
        &["note", &first.to_string(), "rolled back the deploy"],
    ));
    succeeds(run(
        &server,
        &bob,
        &["reassign", &first.to_string(), "alice"],
    ));
    assert_eq!(page(&server, &bob, first)["assigned_to"], "alice");
    let mine = succeeds(run(&server, &bob, &["pages", "--mine"]));
    assert!(
        !mine.contains("FirstBurn") && mine.contains("SecondBurn"),
        "a page assigned to alice is not bob's: {mine}"
    );

    succeeds(run(
        &server,
        &bob,
        &[
            "resolve",
            &first.to_string(),
            "--not-actionable",
            "threshold-wrong",
            "--text",
            "fires at 1%",
        ],
    ));
    let resolved = page(&server, &bob, first);
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["resolved_by"], "bob");
    assert_eq!(resolved["feedback"]["reason"], "threshold-wrong");
    assert_eq!(resolved["feedback"]["text"], "fires at 1%");

    let bad = run(
        &server,
        &bob,
        &["resolve", &second.to_string(), "--not-actionable", "meh"],
    );
    assert!(!bad.status.success());
    assert!(stderr(&bad).contains("threshold-wrong"), "{}", stderr(&bad));
    let missing = run(&server, &bob, &["ack", "999999"]);
    assert!(!missing.status.success());
    assert!(stderr(&missing).contains("999999"), "{}", stderr(&missing));
    let unauthorized = run(&server, "pbt_not-a-token", &["ack", &second.to_string()]);
    assert!(!unauthorized.status.success());
    assert!(
        stderr(&unauthorized).contains("401"),
        "{}",
        stderr(&unauthorized)
    );
}

#[test]
fn the_client_config_file_names_server_and_token() {
    let (server, ingest) = start();
    let bob = server.create_token("bob", "responder");
    let id = open_page(&server, &ingest, &bob, "ConfiguredBurn");
    let home = tempfile::tempdir().expect("temporary directory");
    let dir = home.path().join("pagerbound");
    std::fs::create_dir_all(&dir).expect("mkdir");
    std::fs::write(
        dir.join("client.yaml"),
        format!("server: {}\ntoken: {bob}\n", server.url()),
    )
    .expect("write client.yaml");
    let with_file = |args: &[&str], config_home: &Path| {
        pagerbound()
            .env_remove("PAGERBOUND_SERVER")
            .env_remove("PAGERBOUND_TOKEN")
            .env("XDG_CONFIG_HOME", config_home)
            .args(args)
            .output()
            .expect("run pagerbound")
    };
    succeeds(with_file(&["ack", &id.to_string()], home.path()));
    assert_eq!(page(&server, &bob, id)["state"], "acknowledged");
    succeeds(with_file(
        &["resolve", &id.to_string(), "--actionable"],
        home.path(),
    ));
    let resolved = page(&server, &bob, id);
    assert_eq!(resolved["state"], "resolved");
    assert_eq!(resolved["feedback"]["actionable"], true);

    let nowhere = tempfile::tempdir().expect("temporary directory");
    let unset = with_file(&["pages"], nowhere.path());
    assert!(!unset.status.success());
    assert!(stderr(&unset).contains("--server"), "{}", stderr(&unset));

    let unreachable = pagerbound()
        .args(["pages", "--server", "http://127.0.0.1:9", "--token", "x"])
        .output()
        .expect("run pagerbound");
    assert!(!unreachable.status.success());
    assert!(
        stderr(&unreachable).contains("cannot reach"),
        "{}",
        stderr(&unreachable)
    );
}
