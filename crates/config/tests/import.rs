//! Importing Sloth (`prometheus/v1`) and OpenSLO (`openslo/v1`) files: in a
//! configuration directory, next to native files, and on their own with
//! `import_slos` (what `pagerbound slo import` prints).

use pagerbound_config::{Diagnostic, Loaded, Severity, import_slos, load};
use pagerbound_core::Duration;
use pagerbound_core::slo::{
    BurnAlert, Period, PrometheusSli, RatioQueries, Severity as Burn, Sli, Slo, SloWindow,
    workbook_policy,
};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use tempfile::TempDir;

/// What every configuration needs besides the SLOs: the services they are
/// about, the routing tree's root, and the Prometheus they query.
const BASE: (&str, &str) = (
    "base.yaml",
    "\
settings:
  prometheus_url: http://prometheus.example.com:9090
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
  - name: checkout
    team: ops
    runbook: https://runbooks.example.com/checkout
routes:
  service: triage
  class: ticket
",
);

const PROMETHEUS: &str = "http://prometheus.example.com:9090/";

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn read_fixture(name: &str) -> String {
    std::fs::read_to_string(fixture(name)).expect("fixture")
}

/// A directory with `files` and [`BASE`].
fn with_base(files: &[(&str, &str)]) -> TempDir {
    let dir = tempfile::tempdir().expect("temporary directory");
    for (name, text) in files.iter().chain([&BASE]) {
        std::fs::write(dir.path().join(name), text).expect("write");
    }
    dir
}

/// A configuration of [`BASE`] and the fixture `name`.
fn with_fixture(name: &str) -> TempDir {
    with_base(&[(name, &read_fixture(name))])
}

fn load_ok(dir: &TempDir) -> Loaded {
    load(dir.path()).unwrap_or_else(|rejected| panic!("{:#?}", rejected.diagnostics))
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

fn row(
    file: &str,
    line: u64,
    column: u64,
    severity: Severity,
    message: &str,
) -> (String, u64, u64, Severity, String) {
    (file.to_owned(), line, column, severity, message.to_owned())
}

fn days(n: u64) -> Duration {
    Duration::from_mins(n * 24 * 60)
}

fn prometheus(queries: RatioQueries) -> Sli {
    Sli::Prometheus(PrometheusSli {
        url: PROMETHEUS.parse().expect("url"),
        queries,
        step: Duration::from_mins(1),
    })
}

fn labels(pairs: &[(&str, &str)]) -> pagerbound_core::alert::Labels {
    pairs.iter().copied().collect()
}

fn lines(policy: &[BurnAlert]) -> Vec<(String, f64, Burn)> {
    policy
        .iter()
        .map(|line| (line.window_label(), line.burn_rate, line.severity))
        .collect()
}

#[test]
fn a_sloth_spec_imports_as_native_slos() {
    let dir = with_fixture("sloth.yaml");
    let loaded = load_ok(&dir);
    let slos = &loaded.config.slos;
    assert_eq!(
        slos.keys().collect::<Vec<_>>(),
        [
            "checkout-payments-errors",
            "checkout-refunds-errors",
            "checkout-requests-availability",
            "checkout-requests-latency",
        ]
    );
    let thirty = SloWindow::Rolling(days(30));

    // Events, ticket alerts disabled, labels merged (later wins).
    let availability = &slos["checkout-requests-availability"];
    assert_eq!(
        availability,
        &Slo {
            name: "checkout-requests-availability".into(),
            service: "checkout".into(),
            description: Some("Checkout requests that do not fail.".into()),
            sli: prometheus(RatioQueries::Bad {
                bad: r#"sum(rate(http_request_duration_seconds_count{job="checkout",code=~"(5..|429)"}[{{.window}}]))"#.into(),
                total: r#"sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))"#.into(),
            }),
            objective: 99.9,
            window: thirty.clone(),
            alerting: workbook_policy(&thirty)
                .into_iter()
                .filter(|line| line.severity == Burn::Page)
                .collect(),
            min_events: 0.0,
            owner: None,
            runbook: Some("https://runbooks.example.com/checkout".into()),
            labels: labels(&[
                ("category", "availability"),
                ("owner", "payments"),
                ("tier", "0"),
            ]),
        }
    );
    assert_eq!(
        lines(&availability.alerting),
        [
            ("1h/5m".to_owned(), 14.4, Burn::Page),
            ("6h/30m".to_owned(), 6.0, Burn::Page),
        ]
    );

    // camelCase queries, a multi-line one; the default policy.
    let latency = &slos["checkout-requests-latency"];
    assert_eq!(
        latency.sli,
        prometheus(RatioQueries::Bad {
            bad: "(\n  sum(rate(http_request_duration_seconds_count{job=\"checkout\"}[{{.window}}]))\n  -\n  sum(rate(http_request_duration_seconds_bucket{job=\"checkout\",le=\"0.3\"}[{{.window}}]))\n)\n".into(),
            total: r#"sum(rate(http_request_duration_seconds_count{job="checkout"}[{{.window}}]))"#.into(),
        })
    );
    assert_eq!(latency.objective, 99.0);
    assert_eq!(latency.alerting, workbook_policy(&thirty));
    assert_eq!(
        latency.labels,
        labels(&[("owner", "payments"), ("tier", "1")])
    );
    assert_eq!(latency.description, None);
    assert_eq!(latency.runbook, None);

    // Raw SLIs, both spellings; page alerts disabled.
    let payments = &slos["checkout-payments-errors"];
    assert_eq!(
        payments.sli,
        prometheus(RatioQueries::ErrorRatio {
            error_ratio:
                "sum(rate(payment_failures_total[{{.window}}])) / sum(rate(payment_attempts_total[{{.window}}]))"
                    .into(),
        })
    );
    assert_eq!(payments.objective, 99.5);
    assert_eq!(payments.window, thirty);
    assert_eq!(
        lines(&payments.alerting),
        [
            ("1d/2h".to_owned(), 3.0, Burn::Ticket),
            ("3d/6h".to_owned(), 1.0, Burn::Ticket),
        ]
    );
    let refunds = &slos["checkout-refunds-errors"];
    assert_eq!(
        refunds.sli,
        prometheus(RatioQueries::ErrorRatio {
            error_ratio:
                "sum(rate(refund_failures_total[{{.window}}])) / sum(rate(refunds_total[{{.window}}]))"
                    .into(),
        })
    );
    assert_eq!(refunds.objective, 95.0);
    assert_eq!(refunds.alerting, workbook_policy(&thirty));

    // What could not be imported is said, at its line.
    assert_eq!(
        summary(dir.path(), &loaded.warnings),
        [
            row(
                "sloth.yaml",
                14,
                7,
                Severity::Warning,
                "label `severity` is not imported: pagerbound sets `severity` on its SLO alerts itself"
            ),
            row(
                "sloth.yaml",
                20,
                13,
                Severity::Warning,
                "alert name `CheckoutHighErrorRate` is not imported: pagerbound's SLO alerts are named `SLOErrorBudgetBurn`; route on their `slo` label"
            ),
            row(
                "sloth.yaml",
                27,
                11,
                Severity::Warning,
                "labels of page_alert are not imported: pagerbound sets `severity` itself; route on `severity=\"page\"`"
            ),
        ]
    );
}

#[test]
fn an_openslo_ratio_over_a_rolling_window_imports() {
    let dir = with_fixture("openslo-rolling.yaml");
    let loaded = load_ok(&dir);
    let window = SloWindow::Rolling(days(28));
    assert_eq!(
        loaded.config.slos.values().collect::<Vec<_>>(),
        [&Slo {
            name: "checkout-availability".into(),
            service: "checkout".into(),
            description: Some("Checkout requests that do not fail.".into()),
            sli: prometheus(RatioQueries::Good {
                good: r#"sum(rate(http_requests_total{job="checkout",code!~"5.."}[{{.window}}]))"#
                    .into(),
                total: r#"sum(rate((sum by (job) (http_requests_total{job="checkout"}))[{{.window}}:]))"#
                    .into(),
            }),
            objective: 99.9,
            alerting: workbook_policy(&window),
            window,
            min_events: 0.0,
            owner: None,
            runbook: None,
            labels: labels(&[]),
        }]
    );
    assert_eq!(
        summary(dir.path(), &loaded.warnings),
        [row(
            "openslo-rolling.yaml",
            3,
            7,
            Severity::Warning,
            "kind `Service` is skipped: only `kind: SLO` documents are imported (with their SLI inline)"
        )]
    );
}

#[test]
fn an_openslo_calendar_month_keeps_its_time_zone() {
    let dir = with_fixture("openslo-calendar.yaml");
    let loaded = load_ok(&dir);
    assert!(loaded.warnings.is_empty(), "{:#?}", loaded.warnings);
    let slo = &loaded.config.slos["search-errors"];
    let window = SloWindow::Calendar {
        period: Period::Month,
        time_zone: jiff::tz::TimeZone::get("Europe/Dublin").expect("zone"),
    };
    assert_eq!(slo.window, window);
    assert_eq!(slo.objective, 99.5);
    assert_eq!(
        slo.sli,
        prometheus(RatioQueries::Bad {
            bad: r#"sum(rate(search_requests_total{code=~"5.."}[{{.window}}]))"#.into(),
            total: "sum(rate(search_requests_total[{{.window}}]))".into(),
        })
    );
    assert_eq!(slo.alerting, workbook_policy(&window));
}

/// The errors a configuration of [`BASE`] and the fixture gets.
fn refused(name: &str) -> Vec<(String, u64, u64, Severity, String)> {
    let dir = with_fixture(name);
    let rejected = load(dir.path()).expect_err("refused");
    summary(dir.path(), &rejected.diagnostics)
}

#[test]
fn unsupported_openslo_is_refused_at_its_line() {
    assert_eq!(
        refused("openslo-timeslices.yaml"),
        [row(
            "openslo-timeslices.yaml",
            26,
            20,
            Severity::Error,
            "budgetingMethod `Timeslices` is not supported: pagerbound counts events (Occurrences)"
        )]
    );
    assert_eq!(
        refused("openslo-threshold.yaml"),
        [row(
            "openslo-threshold.yaml",
            11,
            7,
            Severity::Error,
            "thresholdMetric is not supported: pagerbound imports `ratioMetric` SLIs (good or bad events among total events)"
        )]
    );
}

#[test]
fn sloth_mistakes_are_refused_at_their_line() {
    assert_eq!(
        refused("sloth-unknown-service.yaml"),
        [row(
            "sloth-unknown-service.yaml",
            2,
            10,
            Severity::Error,
            "service `billing` is not defined"
        )]
    );
    assert_eq!(
        refused("sloth-missing-total.yaml"),
        [row(
            "sloth-missing-total.yaml",
            7,
            7,
            Severity::Error,
            "an events SLI needs `total_query`: the rate of all events over `{{.window}}`"
        )]
    );
}

#[test]
fn imported_and_native_slos_share_names() {
    let dir = with_base(&[
        ("sloth.yaml", &read_fixture("sloth.yaml")),
        (
            "slos.yaml",
            "\
slos:
  - name: checkout-refunds-errors
    service: checkout
    sli: {source: push}
    objective: 99
    window: 30d
",
        ),
    ]);
    let rejected = load(dir.path()).expect_err("refused");
    let errors: Vec<_> = summary(dir.path(), &rejected.diagnostics)
        .into_iter()
        .filter(|d| d.3 == Severity::Error)
        .collect();
    let first = dir.path().join("slos.yaml");
    assert_eq!(
        errors,
        [row(
            "sloth.yaml",
            54,
            11,
            Severity::Error,
            &format!(
                "SLO `checkout-refunds-errors` is already defined at {}:2:11",
                first.display()
            )
        )]
    );
}

#[test]
fn slo_import_prints_native_yaml_that_loads_the_same() {
    for name in [
        "sloth.yaml",
        "openslo-rolling.yaml",
        "openslo-calendar.yaml",
    ] {
        let imported =
            import_slos(&fixture(name)).unwrap_or_else(|r| panic!("{:#?}", r.diagnostics));
        let from_import = load_ok(&with_fixture(name)).config.slos;
        let native = load_ok(&with_base(&[("slos.yaml", &imported.yaml)]));
        assert!(native.warnings.is_empty(), "{name}: {:#?}", native.warnings);
        assert_eq!(
            native.config.slos, from_import,
            "{name}:\n{}",
            imported.yaml
        );
        let warnings: Vec<_> = imported.warnings.iter().map(|w| w.line).collect();
        let loaded_warnings: Vec<_> = load_ok(&with_fixture(name))
            .warnings
            .iter()
            .map(|w| w.line)
            .collect();
        assert_eq!(warnings, loaded_warnings, "{name}");
    }
    let sloth = import_slos(&fixture("sloth.yaml")).expect("imported");
    assert!(
        sloth.yaml.contains(
            "    alerting:\n      - {long: 1h, short: 5m, burn_rate: 14.4, severity: page}\n      - {long: 6h, short: 30m, burn_rate: 6, severity: page}\n"
        ),
        "{}",
        sloth.yaml
    );
    assert!(
        sloth.yaml.contains("      bad: |\n        (\n"),
        "{}",
        sloth.yaml
    );
}

#[test]
fn slo_import_does_not_look_services_up_but_checks_the_rest() {
    // Without a configuration, any service will do.
    let imported = import_slos(&fixture("sloth-unknown-service.yaml")).expect("imported");
    assert!(
        imported.yaml.contains("    service: billing\n"),
        "{}",
        imported.yaml
    );
    let dir = fixture("");
    for (name, line, message) in [
        (
            "sloth-missing-total.yaml",
            7,
            "an events SLI needs `total_query`: the rate of all events over `{{.window}}`",
        ),
        (
            "openslo-timeslices.yaml",
            26,
            "budgetingMethod `Timeslices` is not supported: pagerbound counts events (Occurrences)",
        ),
    ] {
        let rejected = import_slos(&fixture(name)).expect_err("refused");
        let errors: Vec<_> = summary(&dir, &rejected.diagnostics)
            .into_iter()
            .map(|(file, line, _, severity, message)| (file, line, severity, message))
            .collect();
        assert_eq!(
            errors,
            [(name.to_owned(), line, Severity::Error, message.to_owned())]
        );
    }
    let dir = with_base(&[]);
    let rejected = import_slos(&dir.path().join("base.yaml")).expect_err("not an import");
    assert_eq!(
        rejected.diagnostics[0].message,
        "neither a Sloth spec (`version: prometheus/v1`) nor OpenSLO documents (`apiVersion: openslo/v1`)"
    );
}

#[test]
fn more_openslo_limits_say_what_is_supported() {
    let slo = |spec: &str| {
        format!(
            "apiVersion: openslo/v1\nkind: SLO\nmetadata:\n  name: x\nspec:\n  service: checkout\n{spec}"
        )
    };
    let ratio = concat!(
        "  indicator:\n",
        "    spec:\n",
        "      ratioMetric:\n",
        "        counter: COUNTER\n",
        "        good:\n",
        "          metricSource: {type: SOURCE, spec: {query: good_total}}\n",
        "        total:\n",
        "          metricSource: {type: Prometheus, spec: {query: all_total}}\n",
    );
    let window = "  timeWindow: [{duration: 28d, isRolling: true}]\n";
    let objective = "  objectives: [{target: 0.99}]\n";
    let cases: BTreeMap<&str, (String, u64, &str)> = [
        (
            "counter",
            (
                slo(&format!(
                    "{}{window}{objective}",
                    ratio.replace("COUNTER", "false").replace("SOURCE", "Prometheus")
                )),
                10,
                "`counter: false` is not supported: pagerbound reads counters (`counter: true`) and their rates",
            ),
        ),
        (
            "source",
            (
                slo(&format!(
                    "{}{window}{objective}",
                    ratio.replace("COUNTER", "true").replace("SOURCE", "Datadog")
                )),
                12,
                "metric source type `Datadog` is not supported: pagerbound reads Prometheus (`type: Prometheus` with `spec.query`)",
            ),
        ),
        (
            "indicatorRef",
            (
                slo(&format!("  indicatorRef: good-requests\n{window}{objective}")),
                7,
                "indicatorRef is not supported: write the SLI inline under `indicator` (a `ratioMetric`)",
            ),
        ),
        (
            "objectives",
            (
                slo(&format!(
                    "{}{window}  objectives:\n    - target: 0.99\n    - target: 0.999\n",
                    ratio.replace("COUNTER", "true").replace("SOURCE", "Prometheus")
                )),
                18,
                "more than one objective: pagerbound imports one objective per SLO; write one SLO for each",
            ),
        ),
        (
            "windows",
            (
                slo(&format!(
                    "{}  timeWindow:\n    - {{duration: 28d, isRolling: true}}\n    - {{duration: 7d, isRolling: true}}\n{objective}",
                    ratio.replace("COUNTER", "true").replace("SOURCE", "Prometheus")
                )),
                17,
                "more than one time window: pagerbound imports one window per SLO",
            ),
        ),
        (
            "rolling month",
            (
                slo(&format!(
                    "{}  timeWindow: [{{duration: 1M, isRolling: true}}]\n{objective}",
                    ratio.replace("COUNTER", "true").replace("SOURCE", "Prometheus")
                )),
                15,
                "rolling window `1M` is not supported: give minutes, hours, days or weeks, e.g. `28d`; `1M`, `1Q` and `1Y` are calendar windows (`isRolling: false`)",
            ),
        ),
    ]
    .into_iter()
    .collect();
    for (case, (text, line, message)) in cases {
        let dir = with_base(&[("slo.yaml", &text)]);
        let rejected = load(dir.path()).expect_err(case);
        let errors: Vec<_> = summary(dir.path(), &rejected.diagnostics)
            .into_iter()
            .map(|(_, line, _, severity, message)| (line, severity, message))
            .collect();
        assert_eq!(
            errors,
            [(line, Severity::Error, message.to_owned())],
            "{case}:\n{text}"
        );
    }
}

#[test]
fn both_sloth_alerts_disabled_is_a_mistake() {
    let text = "\
version: prometheus/v1
service: checkout
slos:
  - name: quiet
    objective: 99
    sli:
      raw: {error_ratio_query: 'errors:ratio_rate{{.window}}'}
    alerting:
      page_alert: {disable: true}
      ticket_alert:
        disable: true
";
    let dir = with_base(&[("sloth.yml", text)]);
    let rejected = load(dir.path()).expect_err("refused");
    assert_eq!(
        summary(dir.path(), &rejected.diagnostics),
        [row(
            "sloth.yml",
            11,
            18,
            Severity::Error,
            "page_alert and ticket_alert are both disabled: the SLO could never alert; enable one of them"
        )]
    );
}

#[test]
fn a_file_that_imports_holds_nothing_else() {
    let text = "\
version: prometheus/v1
service: checkout
slos: []
---
teams:
  - name: more
";
    let dir = with_base(&[("mixed.yaml", text)]);
    let rejected = load(dir.path()).expect_err("refused");
    assert_eq!(
        summary(dir.path(), &rejected.diagnostics),
        [
            row(
                "mixed.yaml",
                1,
                1,
                Severity::Warning,
                "this Sloth spec has no `slos`"
            ),
            row(
                "mixed.yaml",
                5,
                1,
                Severity::Error,
                "this document is neither a Sloth spec (`version: prometheus/v1`) nor an OpenSLO document (`apiVersion: openslo/v1`); a file that imports SLOs holds only those, so move pagerbound's own sections to another file"
            ),
        ]
    );
}
