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
fn completed_periods_are_shown_as_a_table() {
    let (_, digest) = integration_token("prometheus");
    let config = checkout_config(&digest) + SLOS;
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config)]);
    server.start();
    let viewer = server.create_token("alice", "viewer");
    let show = || {
        succeeds(run_client(
            &server,
            &viewer,
            &["slo", "show", "checkout-availability"],
        ))
    };
    let shown = show();
    assert!(
        shown.contains("No completed period on record yet."),
        "a new SLO has none:\n{shown}"
    );

    // Recorded as the engine records them, into the server's database.
    let periods = [
        // 0.05% errors against 99.9%: half the budget left.
        ("2026-03-01T00:00:00Z", "2026-04-01T00:00:00Z", 99.9, 9995.0),
        // 1% errors against 99.5%: missed, overspent.
        ("2026-04-01T00:00:00Z", "2026-05-01T00:00:00Z", 99.5, 9900.0),
    ];
    let location =
        pagerbound_config::DatabaseLocation::parse(&server.database(), std::path::Path::new("."))
            .expect("location");
    tokio::runtime::Runtime::new()
        .expect("runtime")
        .block_on(async {
            let store = pagerbound_server::store::open_store(&location)
                .await
                .expect("open the database");
            for (from, to, objective, good) in periods {
                let period = pagerbound_store::PeriodRecord {
                    slo: "checkout-availability".to_owned(),
                    from: from.parse().expect("from"),
                    to: to.parse().expect("to"),
                    objective,
                    good,
                    total: 10_000.0,
                };
                assert!(store.record_slo_period(&period).await.expect("record"));
            }
        });

    let shown = show();
    let table: Vec<Vec<&str>> = shown
        .lines()
        .skip_while(|line| !line.starts_with("PERIOD"))
        .map(|line| line.split_whitespace().collect())
        .collect();
    assert_eq!(
        table,
        [
            vec!["PERIOD", "OBJECTIVE", "SLI", "MET", "BUDGET", "LEFT"],
            vec![
                "2026-04-01T00:00:00Z",
                "to",
                "2026-05-01T00:00:00Z",
                "99.5%",
                "99.000%",
                "no",
                "-100.0%"
            ],
            vec![
                "2026-03-01T00:00:00Z",
                "to",
                "2026-04-01T00:00:00Z",
                "99.9%",
                "99.950%",
                "yes",
                "50.0%"
            ],
        ],
        "newest first, after everything else:\n{shown}"
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
