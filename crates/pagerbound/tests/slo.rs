//! SLOs through the real binary: events pushed over HTTP are counted and
//! shown by `pagerbound slo list` and `slo show`, and survive a crash of
//! the server (they are in the database, and read back on start).

mod support;

use support::{
    PATIENCE, Pagerbound, checkout_config, integration_token, run_client, stderr, succeeds,
    wait_until,
};

const SLOS: &str = "
slos:
  - name: checkout-availability
    service: checkout
    sli: {source: push}
    objective: 99.5
    window: 30d
";

#[test]
fn pushed_events_are_counted_shown_and_kept_across_a_crash() {
    let (token, digest) = integration_token("prometheus");
    let config = checkout_config(&digest) + SLOS;
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config)]);
    server.start();
    let viewer = server.create_token("alice", "viewer");

    let now = jiff::Timestamp::now();
    let body = format!(r#"[{{"timestamp": "{now}", "good": 990, "total": 1000}}]"#);
    let (status, answer) = server.post(
        "/api/v1/slis/checkout-availability/events",
        &format!("Bearer {token}"),
        &body,
    );
    assert_eq!(status, 202, "{answer}");

    // 1% errors against a 0.5% budget: burn rate 2 everywhere, which only
    // the workbook's slowest line (3d/6h above 1) tickets.
    let listed = wait_until(PATIENCE, "the SLO to burn", || {
        let out = succeeds(run_client(&server, &viewer, &["slo", "list"]));
        if out.contains("ticket") {
            Ok(out)
        } else {
            Err(out)
        }
    });
    let row = listed
        .lines()
        .find(|line| line.starts_with("checkout-availability"))
        .unwrap_or_else(|| panic!("{listed}"));
    for words in ["checkout", "99.5%", "30d", "-100.0%", "2.00"] {
        assert!(row.contains(words), "`{words}` in {row}");
    }

    let shown = succeeds(run_client(
        &server,
        &viewer,
        &["slo", "show", "checkout-availability"],
    ));
    for words in [
        "Objective 99.5% over 30d; SLI push.",
        "Events: 990.0 good of 1000.0 valid",
        "Budget left: -100.0% (-216.0 of 216.0 minutes of full outage).",
        "State: ticket.",
    ] {
        assert!(shown.contains(words), "`{words}` in\n{shown}");
    }
    let line = shown
        .lines()
        .find(|line| line.starts_with("3d/6h"))
        .unwrap_or_else(|| panic!("{shown}"));
    let fields: Vec<&str> = line.split_whitespace().collect();
    assert_eq!(fields, ["3d/6h", "ticket", "1.0", "2.00", "2.00", "yes"]);

    // Killed without warning, started again: the events are read back.
    server.kill();
    server.start();
    let again = wait_until(PATIENCE, "the SLO after a restart", || {
        let out = succeeds(run_client(
            &server,
            &viewer,
            &["slo", "show", "checkout-availability"],
        ));
        if out.contains("State: ticket.") {
            Ok(out)
        } else {
            Err(out)
        }
    });
    assert!(
        again.contains("Events: 990.0 good of 1000.0 valid"),
        "{again}"
    );

    let missing = run_client(&server, &viewer, &["slo", "show", "nope"]);
    assert!(!missing.status.success());
    assert!(
        stderr(&missing).contains("no SLO `nope`"),
        "{}",
        stderr(&missing)
    );
}

#[test]
fn slo_import_prints_native_slos_or_refuses_with_the_place() {
    let fixtures =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../config/tests/fixtures");
    let imported = support::pagerbound()
        .args(["slo", "import"])
        .arg(fixtures.join("sloth.yaml"))
        .output()
        .expect("run pagerbound slo import");
    let native = succeeds(imported);
    assert!(
        native.starts_with("slos:") || native.contains("\nslos:"),
        "{native}"
    );
    assert!(native.contains("source: prometheus"), "{native}");
    assert!(native.contains("{{.window}}"), "{native}");

    let refused = support::pagerbound()
        .args(["slo", "import"])
        .arg(fixtures.join("openslo-timeslices.yaml"))
        .output()
        .expect("run pagerbound slo import");
    assert!(!refused.status.success());
    let said = stderr(&refused);
    assert!(
        said.contains("openslo-timeslices.yaml:")
            && said.contains("budgetingMethod `Timeslices` is not supported"),
        "{said}"
    );
}
