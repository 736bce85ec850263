//! The `pagerbound` binary as users run it: `check`, `token`, `migrate`,
//! `integration token`, and `serve` with its signals.

mod support;

use pagerbound_testkit::{Backend, TestDatabase, config_dir, write_files};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::time::Duration;
use support::{Serving, create_token, pagerbound, stderr, stdout};

fn run(args: &[&str]) -> Output {
    pagerbound().args(args).output().expect("run pagerbound")
}

fn examples() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples")
}

const CONFIG: &[(&str, &str)] = &[
    (
        "teams.yaml",
        "teams:\n  - name: payments\n    members: [alice, bob]\n",
    ),
    (
        "users.yaml",
        "\
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: [{channel: dev-log}]
  - name: bob
    time_zone: UTC
    contact_methods: [{channel: dev-log}]
",
    ),
    (
        "channels.yaml",
        "channels:\n  - {name: dev-log, type: log}\n",
    ),
    (
        "services.yaml",
        "services:\n  - name: checkout\n    team: payments\n    runbook: https://runbooks.example.com/checkout\n",
    ),
    (
        "routes.yaml",
        "routes:\n  service: checkout\n  class: ticket\n",
    ),
];

#[test]
fn check_accepts_the_examples() {
    for path in [examples(), examples().join("quickstart")] {
        let output = run(&["check", path.to_str().expect("path")]);
        assert!(
            output.status.success(),
            "{}{}",
            stdout(&output),
            stderr(&output)
        );
        assert!(
            stdout(&output).contains(": valid (10 files, 0 warnings)"),
            "{}",
            stdout(&output)
        );
    }
}

#[test]
fn check_lists_every_mistake_and_fails() {
    let dir = config_dir(&[
        (
            "teams.yaml",
            "teams:\n  - name: payments\n    members: [alice]\n",
        ),
        (
            "users.yaml",
            "users:\n  - name: alice\n    time_zone: Europe/Dublinn\n    contact_methods: [{channel: dev-log}]\n",
        ),
        (
            "services.yaml",
            "\
services:
  - name: checkout
    team: payments
    runbok: https://example.com
  - name: search
    team: paymnts
",
        ),
        (
            "channels.yaml",
            "channels:\n  - {name: dev-log, type: log}\n",
        ),
    ]);
    let output = run(&["check", dir.path().to_str().expect("path")]);
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    let root = dir.path().display().to_string();
    for expected in [
        format!("{root}/services.yaml:4:5: error: unknown field `runbok`, did you mean `runbook`?"),
        format!(
            "{root}/services.yaml:5:11: warning: service `search` has no runbook; whoever is paged for it will have no instructions"
        ),
        format!(
            "{root}/services.yaml:6:11: error: team `paymnts` is not defined, did you mean `payments`?"
        ),
        format!(
            "{root}/users.yaml:3:16: error: time zone `Europe/Dublinn` is not a known IANA zone, did you mean `Europe/Dublin`?"
        ),
        format!("{root}: 3 errors, 1 warning"),
    ] {
        assert!(text.contains(&expected), "missing {expected:?} in:\n{text}");
    }

    let json = run(&[
        "check",
        "--format",
        "json",
        dir.path().to_str().expect("path"),
    ]);
    assert_eq!(json.status.code(), Some(1));
    let document: serde_json::Value = serde_json::from_slice(&json.stdout).expect("JSON");
    assert_eq!(document["valid"], false);
    assert_eq!(document["errors"], 3);
    assert_eq!(document["diagnostics"][0]["line"], 4);
}

#[test]
fn check_warnings_alone_succeed() {
    let mut files = CONFIG.to_vec();
    files.push(("a.yaml", "teams:\n  - name: empty\n"));
    let dir = config_dir(&files);
    let output = run(&["check", dir.path().to_str().expect("path")]);
    assert!(output.status.success());
    assert!(stdout(&output).contains("warning: team `empty` has no members"));
}

#[test]
fn integration_tokens_are_printed_with_a_digest_that_the_configuration_accepts() {
    let output = run(&["integration", "token", "--name", "prom"]);
    assert!(output.status.success());
    let token = stdout(&output).trim().to_owned();
    assert!(token.starts_with("pbi_") && token.len() == 68, "{token}");
    let snippet = stderr(&output);
    let digest = snippet
        .split("sha256: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .expect("digest in the snippet");
    let integrations =
        format!("integrations:\n  - name: prom\n    token: {{ sha256: {digest} }}\n");
    let mut files = CONFIG.to_vec();
    files.push(("integrations.yaml", &integrations));
    let dir = config_dir(&files);
    let config = pagerbound_config::load(dir.path()).expect("valid").config;
    assert!(config.integrations["prom"].accepts(&token));
}

#[tokio::test]
async fn migrate_runs_alone_on_both_backends() {
    for backend in [Backend::Sqlite, Backend::Postgres] {
        let database = TestDatabase::new(backend).await;
        let dir = config_dir(CONFIG);
        for _ in 0..2 {
            let output = run(&[
                "migrate",
                "--config",
                dir.path().to_str().expect("path"),
                "--database",
                &database.location,
            ]);
            assert!(output.status.success(), "{backend:?}: {}", stderr(&output));
            assert!(
                stdout(&output).contains("schema is up to date"),
                "{}",
                stdout(&output)
            );
        }
    }
    // Without --database, the SQLite file goes next to the configuration.
    let dir = config_dir(CONFIG);
    let output = run(&["migrate", "--config", dir.path().to_str().expect("path")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(dir.path().join("pagerbound.db").exists());
}

#[tokio::test]
async fn tokens_made_on_the_command_line_work_until_revoked() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let dir = config_dir(CONFIG);
    let token = create_token(dir.path(), &database.location, "bob", "responder");
    assert!(token.starts_with("pbt_"));

    let unknown = pagerbound()
        .args([
            "token",
            "create",
            "--user",
            "mallory",
            "--database",
            &database.location,
        ])
        .arg("--config")
        .arg(dir.path())
        .output()
        .expect("token create");
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("user `mallory` is not defined"),
        "{}",
        stderr(&unknown)
    );

    let serving = Serving::start(dir.path(), &database.location);
    let (status, body) = serving.get("/api/v1/whoami", &token);
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("\"responder\""), "{body}");

    let list = pagerbound()
        .args(["token", "list", "--database", &database.location])
        .arg("--config")
        .arg(dir.path())
        .output()
        .expect("token list");
    let listing = stdout(&list);
    let id = listing
        .lines()
        .find(|line| line.contains(" bob "))
        .and_then(|line| line.split_whitespace().next())
        .expect("bob's token in the list")
        .to_owned();
    assert!(!listing.contains(&token), "the list never shows tokens");

    let revoke = pagerbound()
        .args(["token", "revoke", &id, "--database", &database.location])
        .arg("--config")
        .arg(dir.path())
        .output()
        .expect("token revoke");
    assert!(revoke.status.success(), "{}", stderr(&revoke));
    let (status, _) = serving.get("/api/v1/whoami", &token);
    assert_eq!(status, 401);
}

#[tokio::test]
async fn sighup_reloads_and_a_broken_file_keeps_the_running_configuration() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let dir = config_dir(CONFIG);
    let admin = create_token(dir.path(), &database.location, "alice", "admin");
    let mut serving = Serving::start(dir.path(), &database.location);

    write_files(
        dir.path(),
        &[(
            "teams.yaml",
            "teams:\n  - name: payments\n    members: [alice, bob, zed]\n",
        )],
    );
    serving.signal("HUP");
    serving.wait_for("Configuration refused; the running configuration stays in force.");
    let (_, teams) = serving.get("/api/v1/teams", &admin);
    assert!(
        teams.contains("payments") && !teams.contains("zed"),
        "{teams}"
    );
    let (_, metrics) = serving.get("/metrics", &admin);
    assert!(
        metrics.contains("pagerbound_config_reloads_total{result=\"failure\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("pagerbound_config_last_reload_successful 0"),
        "{metrics}"
    );

    write_files(
        dir.path(),
        &[(
            "teams.yaml",
            "teams:\n  - name: payments\n    members: [alice]\n  - name: search\n    members: [bob]\n",
        )],
    );
    serving.signal("HUP");
    serving.wait_for("Configuration reloaded.");
    let (_, teams) = serving.get("/api/v1/teams", &admin);
    assert!(teams.contains("search"), "{teams}");
    let (_, metrics) = serving.get("/metrics", &admin);
    assert!(
        metrics.contains("pagerbound_config_reloads_total{result=\"success\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("pagerbound_config_last_reload_successful 1"),
        "{metrics}"
    );
}

#[tokio::test]
async fn sigterm_finishes_the_request_in_flight_then_exits() {
    let database = TestDatabase::new(Backend::Sqlite).await;
    let dir = config_dir(CONFIG);
    let admin = create_token(dir.path(), &database.location, "alice", "admin");
    let mut serving = Serving::start(dir.path(), &database.location);

    // A request whose body is still arriving when SIGTERM comes.
    let body = "{\"user\": \"bob\"}";
    let mut stream = TcpStream::connect(&serving.address).expect("connect");
    write!(
        stream,
        "POST /api/v1/tokens HTTP/1.1\r\nHost: pb\r\nAuthorization: Bearer {admin}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{}",
        body.len(),
        &body[..5]
    )
    .expect("send the first part");
    stream.flush().expect("flush");
    std::thread::sleep(Duration::from_millis(300));
    serving.signal("TERM");
    serving.wait_for("SIGTERM received; finishing in-flight requests.");
    stream
        .write_all(&body.as_bytes()[5..])
        .expect("send the rest");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("read");
    assert!(response.starts_with("HTTP/1.1 201"), "{response}");

    serving.wait_for("pagerbound stopped.");
    let status = serving.child.wait().expect("exit");
    assert!(status.success(), "{status:?}");
    assert!(
        TcpStream::connect(&serving.address).is_err(),
        "no longer listening"
    );
}

#[test]
fn serve_refuses_a_broken_configuration_and_says_where() {
    let dir = config_dir(&[(
        "teams.yaml",
        "teams:\n  - name: payments\n    membres: []\n",
    )]);
    let output = pagerbound()
        .args(["serve", "--listen", "127.0.0.1:0"])
        .arg("--config")
        .arg(dir.path())
        .output()
        .expect("serve");
    assert_eq!(output.status.code(), Some(1));
    let text = stderr(&output);
    assert!(
        text.contains("teams.yaml:3:5: error: unknown field `membres`, did you mean `members`?"),
        "{text}"
    );
    assert!(text.contains("has 1 error(s); not starting"), "{text}");
}

#[test]
fn routes_test_prints_the_routes_an_alert_takes() {
    let config = examples().join("quickstart");
    let config = config.to_str().expect("path");
    let output = run(&[
        "routes",
        "test",
        "--config",
        config,
        "alertname=HighLatency",
        "service=checkout",
        "slo=latency",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(
        stdout(&output),
        "alert {alertname=\"HighLatency\", service=\"checkout\", slo=\"latency\"}\n\
         route checkout-slo: service checkout, class page\n  \
         group {alertname=\"HighLatency\", service=\"checkout\"}: wait 30s, interval 5m, repeat 4h\n"
    );

    let default = run(&[
        "routes",
        "test",
        "--config",
        config,
        "--format",
        "json",
        "alertname=Unclaimed",
    ]);
    let document: serde_json::Value = serde_json::from_slice(&default.stdout).expect("JSON");
    assert_eq!(document["routes"][0]["route"], "root");
    assert_eq!(document["routes"][0]["default"], true);
    assert_eq!(document["routes"][0]["class"], "ticket");

    let bad = run(&["routes", "test", "--config", config, "not-a-label"]);
    assert!(!bad.status.success());
    assert!(
        stderr(&bad).contains("`not-a-label` is not a label; write name=value"),
        "{}",
        stderr(&bad)
    );
}
