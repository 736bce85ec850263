//! The schedule commands against the real binary: `oncall`, `shifts` and
//! `override add/swap/list/remove` change and show what the server says.

mod support;

use support::{
    Pagerbound, checkout_config, integration_token, run_client as run, stderr, succeeds,
};

const SCHEDULE: &str = "
schedules:
  - name: primary
    team: payments
    time_zone: Europe/Dublin
    layers:
      - name: weekly
        participants: [alice, bob]
        shift: 1w
        handoff: \"09:00\"
        handoff_day: mon
        start: 2026-01-05
";

/// The data rows of a table, split on whitespace.
fn rows(table: &str) -> Vec<Vec<String>> {
    table
        .lines()
        .skip(1)
        .map(|line| line.split_whitespace().map(str::to_owned).collect())
        .collect()
}

#[test]
fn schedule_commands_show_and_change_who_is_on_call() {
    let (_, digest) = integration_token("prometheus");
    let config = format!("{}{SCHEDULE}", checkout_config(&digest));
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config)]);
    server.start();
    let bob = server.create_token("bob", "responder");

    let at = ["oncall", "primary", "--at", "2026-11-23T10:00:00Z"];
    let table = succeeds(run(&server, &bob, &at));
    assert!(table.starts_with("SCHEDULE "), "{table}");
    assert_eq!(
        rows(&table),
        [[
            "primary",
            "alice",
            "2026-11-30T09:00:00Z",
            "layer",
            "weekly"
        ]],
        "{table}"
    );

    let added = succeeds(run(
        &server,
        &bob,
        &[
            "override",
            "add",
            "primary",
            "--user",
            "bob",
            "--from",
            "2026-11-23T09:30:00Z",
            "--to",
            "2026-11-23T12:00:00Z",
            "--note",
            "covering",
        ],
    ));
    let id = rows(&added)[0][0].clone();
    assert_eq!(rows(&added)[0][1], "bob", "{added}");
    let table = succeeds(run(&server, &bob, &at));
    assert_eq!(rows(&table)[0][..2], ["primary", "bob"], "{table}");
    assert_eq!(rows(&table)[0][3..], ["override", id.as_str()], "{table}");

    let swapped = succeeds(run(
        &server,
        &bob,
        &[
            "override",
            "swap",
            "primary",
            "--user",
            "bob",
            "--from",
            "2026-11-24T09:00:00Z",
            "--to",
            "2026-11-25T09:00:00Z",
            "--with",
            "alice",
            "--back-from",
            "2026-11-30T09:00:00Z",
            "--back-to",
            "2026-12-01T09:00:00Z",
        ],
    ));
    assert_eq!(rows(&swapped).len(), 2, "{swapped}");
    let listed = succeeds(run(
        &server,
        &bob,
        &[
            "override",
            "list",
            "primary",
            "--from",
            "2026-11-01T00:00:00Z",
        ],
    ));
    let listed = rows(&listed);
    let users: Vec<&str> = listed.iter().map(|r| r[1].as_str()).collect();
    assert_eq!(users, ["bob", "bob", "alice"]);

    let shifts = succeeds(run(
        &server,
        &bob,
        &[
            "shifts",
            "primary",
            "--from",
            "2026-11-23T00:00:00Z",
            "--to",
            "2026-11-26T00:00:00Z",
        ],
    ));
    let shifts = rows(&shifts);
    let people: Vec<&str> = shifts.iter().map(|r| r[2].as_str()).collect();
    assert_eq!(
        people,
        ["bob", "alice", "bob", "alice", "bob", "alice"],
        "{shifts:?}"
    );

    let removed = succeeds(run(&server, &bob, &["override", "remove", &id]));
    assert!(
        removed.starts_with(&format!("Override {id} removed")),
        "{removed}"
    );
    let again = run(&server, &bob, &["override", "remove", &id]);
    assert!(!again.status.success());
    assert!(
        stderr(&again).contains(&format!("no override {id}")),
        "{}",
        stderr(&again)
    );

    let unknown = run(&server, &bob, &["oncall", "secondary"]);
    assert!(!unknown.status.success());
    assert!(
        stderr(&unknown).contains("no schedule `secondary`"),
        "{}",
        stderr(&unknown)
    );
}
