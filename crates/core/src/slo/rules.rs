//! Prometheus recording and alerting rules equivalent to pagerbound's own
//! evaluation, for teams that want Prometheus to evaluate too. Names
//! follow Sloth's where it has them (`slo:sli_error:ratio_rate5m`,
//! `slo:objective:ratio`, the `sloth_*` labels), so existing dashboards
//! work.
//!
//! Only SLOs whose SLI Prometheus can see (source `prometheus`) have
//! rules. Every window's error ratio is the SLI's own ratio over that
//! window, as pagerbound counts it, not an average of five-minute ratios.

use super::{PrometheusSli, RatioQueries, Sli, Slo, SloWindow};
use crate::Duration;
use std::fmt::Write as _;

use super::window::in_days as prometheus_duration;

/// A number without binary noise (`0.001`, not `0.0009999999999999432`).
fn number(value: f64) -> String {
    let text = format!("{value:.12}");
    let text = text.trim_end_matches('0').trim_end_matches('.');
    text.to_owned()
}

/// A YAML scalar: JSON's string escapes are a subset of YAML's
/// double-quoted style, so a JSON string is a YAML string.
fn quoted(text: &str) -> String {
    serde_json::to_string(text).unwrap_or_else(|_| "\"\"".to_owned())
}

/// The error ratio of `sli` over `window`, as PromQL.
fn error_ratio(sli: &PrometheusSli, window: Duration) -> String {
    let range = prometheus_duration(window);
    let over = |template: &str| template.replace(super::WINDOW_PLACEHOLDER, &range);
    match &sli.queries {
        RatioQueries::Bad { bad, total } => format!("({}) / ({})", over(bad), over(total)),
        RatioQueries::Good { good, total } => {
            format!("1 - (({}) / ({}))", over(good), over(total))
        }
        RatioQueries::ErrorRatio { error_ratio } => over(error_ratio),
        // Prometheus cannot look the boundary up: the threshold as written.
        RatioQueries::Histogram(histogram) => {
            let (good, total) = histogram.queries(&histogram.threshold);
            format!("1 - (({}) / ({}))", over(&good), over(&total))
        }
    }
}

/// The labels that name one SLO's series, Sloth's way.
fn selector(slo: &Slo) -> String {
    format!(
        "sloth_id={}, sloth_service={}, sloth_slo={}",
        quoted(&format!("{}-{}", slo.service, slo.name)),
        quoted(&slo.service),
        quoted(&slo.name)
    )
}

fn labels_block(out: &mut String, indent: &str, pairs: &[(&str, String)]) {
    let _ = writeln!(out, "{indent}labels:");
    for (name, value) in pairs {
        let _ = writeln!(out, "{indent}  {name}: {}", quoted(value));
    }
}

/// The rules for every SLO Prometheus can evaluate, as one rule file;
/// answers the file and the names of the SLOs left out.
pub fn prometheus_rules<'a>(slos: impl IntoIterator<Item = &'a Slo>) -> (String, Vec<String>) {
    let mut out = String::from(
        "# Written by `pagerbound slo export-rules`: Prometheus's view of the\n\
         # same SLOs pagerbound evaluates.\ngroups:\n",
    );
    let mut left_out = Vec::new();
    for slo in slos {
        let Sli::Prometheus(sli) = &slo.sli else {
            left_out.push(slo.name.clone());
            continue;
        };
        write_slo(&mut out, slo, sli);
    }
    if !out.contains("  - name:") {
        out.push_str("  []\n");
    }
    (out, left_out)
}

fn write_slo(out: &mut String, slo: &Slo, sli: &PrometheusSli) {
    let ids = [
        ("sloth_id", format!("{}-{}", slo.service, slo.name)),
        ("sloth_service", slo.service.clone()),
        ("sloth_slo", slo.name.clone()),
    ];
    let mut windows: Vec<Duration> = slo
        .alerting
        .iter()
        .flat_map(|a| [a.long, a.short])
        .collect();
    windows.push(slo.window.length());
    windows.sort();
    windows.dedup();

    let _ = writeln!(
        out,
        "  - name: {}",
        quoted(&format!("pagerbound-slo-{}-sli", slo.name))
    );
    let _ = writeln!(out, "    rules:");
    for window in &windows {
        let name = prometheus_duration(*window);
        let _ = writeln!(out, "      - record: slo:sli_error:ratio_rate{name}");
        let _ = writeln!(out, "        expr: {}", quoted(&error_ratio(sli, *window)));
        let mut labels = ids.to_vec();
        labels.push(("sloth_window", name));
        labels_block(out, "        ", &labels);
    }

    let budget = number(slo.budget());
    let period = prometheus_duration(slo.window.length());
    let series = selector(slo);
    let _ = writeln!(
        out,
        "  - name: {}",
        quoted(&format!("pagerbound-slo-{}-meta", slo.name))
    );
    let _ = writeln!(out, "    rules:");
    let days = slo.window.length().as_millis() as f64 / 86_400_000.0;
    let meta = [
        (
            "slo:objective:ratio",
            format!("vector({})", number(slo.objective / 100.0)),
        ),
        ("slo:error_budget:ratio", format!("vector({budget})")),
        ("slo:time_period:days", format!("vector({})", number(days))),
        (
            "slo:current_burn_rate:ratio",
            format!(
                "slo:sli_error:ratio_rate{}{{{series}}} / {budget}",
                prometheus_duration(windows[0])
            ),
        ),
        (
            "slo:period_burn_rate:ratio",
            format!("slo:sli_error:ratio_rate{period}{{{series}}} / {budget}"),
        ),
        (
            "slo:period_error_budget_remaining:ratio",
            format!("1 - slo:period_burn_rate:ratio{{{series}}}"),
        ),
    ];
    for (record, expr) in meta {
        let _ = writeln!(out, "      - record: {record}");
        let _ = writeln!(out, "        expr: {}", quoted(&expr));
        labels_block(out, "        ", &ids);
    }

    let _ = writeln!(
        out,
        "  - name: {}",
        quoted(&format!("pagerbound-slo-{}-alerts", slo.name))
    );
    let _ = writeln!(out, "    rules:");
    for alert in &slo.alerting {
        let threshold = number(alert.burn_rate * slo.budget());
        let expr = format!(
            "(slo:sli_error:ratio_rate{long}{{{series}}} > {threshold}) and ignoring(sloth_window) (slo:sli_error:ratio_rate{short}{{{series}}} > {threshold})",
            long = prometheus_duration(alert.long),
            short = prometheus_duration(alert.short),
        );
        let _ = writeln!(out, "      - alert: {}", super::BURN_ALERTNAME);
        let _ = writeln!(out, "        expr: {}", quoted(&expr));
        let mut labels: Vec<(&str, String)> =
            slo.labels.iter().map(|(k, v)| (k, v.to_owned())).collect();
        labels.extend([
            ("slo", slo.name.clone()),
            ("service", slo.service.clone()),
            ("severity", alert.severity.as_str().to_owned()),
            ("window", alert.window_label()),
        ]);
        labels_block(out, "        ", &labels);
        let _ = writeln!(out, "        annotations:");
        let _ = writeln!(
            out,
            "          summary: {}",
            quoted(&format!(
                "{} is burning its error budget over {} faster than {} times",
                slo.name, alert.long, alert.burn_rate
            ))
        );
        if let Some(runbook) = &slo.runbook {
            let _ = writeln!(out, "          runbook_url: {}", quoted(runbook));
        }
    }
    if let SloWindow::Calendar { period, .. } = &slo.window {
        let _ = writeln!(
            out,
            "  # {}: Prometheus has no calendar windows; its {} is the last {period}.",
            slo.name,
            period.as_str(),
            period = prometheus_duration(slo.window.length())
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Labels;
    use crate::slo::workbook_policy;

    fn slo() -> Slo {
        let window = SloWindow::Rolling(Duration::from_mins(30 * 24 * 60));
        Slo {
            name: "availability".into(),
            service: "checkout".into(),
            description: None,
            sli: Sli::Prometheus(PrometheusSli {
                url: "http://127.0.0.1:9090".parse().expect("url"),
                queries: RatioQueries::Bad {
                    bad: "sum(rate(http_requests_total{code=~\"5..\"}[{{.window}}]))".into(),
                    total: "sum(rate(http_requests_total[{{.window}}]))".into(),
                },
                step: Duration::from_mins(1),
            }),
            objective: 99.9,
            alerting: workbook_policy(&window),
            window,
            min_events: 0.0,
            owner: None,
            runbook: Some("https://runbooks.example.com/checkout".into()),
            labels: Labels::new(),
        }
    }

    #[test]
    fn each_window_and_each_alert_line_has_its_rule() {
        let mut pushed = slo();
        pushed.name = "pushed".into();
        pushed.sli = Sli::Push;
        let slos = [slo(), pushed];
        let (rules, left_out) = prometheus_rules(&slos);
        assert_eq!(left_out, ["pushed"]);
        for window in ["5m", "30m", "1h", "2h", "6h", "1d", "3d", "30d"] {
            assert!(
                rules.contains(&format!("- record: slo:sli_error:ratio_rate{window}\n")),
                "{window} in\n{rules}"
            );
        }
        assert!(rules.contains(
            r#"expr: "(sum(rate(http_requests_total{code=~\"5..\"}[1h]))) / (sum(rate(http_requests_total[1h])))""#
        ), "{rules}");
        let alerts = rules.matches("- alert: SLOErrorBudgetBurn").count();
        assert_eq!(alerts, 4);
        assert!(rules.contains(
            "(slo:sli_error:ratio_rate1h{sloth_id=\\\"checkout-availability\\\", sloth_service=\\\"checkout\\\", sloth_slo=\\\"availability\\\"} > 0.0144"
        ), "{rules}");
        assert!(rules.contains("window: \"1h/5m\""));
        assert!(!rules.contains("pushed"), "only SLOs Prometheus can see");
    }

    #[test]
    fn whole_days_are_written_in_days() {
        assert_eq!(
            prometheus_duration(Duration::from_mins(30 * 24 * 60)),
            "30d"
        );
        assert_eq!(prometheus_duration(Duration::from_mins(90)), "1h30m");
    }
}
