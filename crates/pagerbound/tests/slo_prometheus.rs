//! An SLO read from a real Prometheus (Debian's package): Prometheus
//! scrapes a loopback target whose error ratio the test sets; pagerbound
//! reads the SLI with `query_range`, its burn rate agrees with the same
//! ratio computed by PromQL in that Prometheus, and with the rules
//! `pagerbound slo export-rules` wrote for it; the burn pages, and the
//! page resolves when the errors stop. The exported rules pass
//! `promtool check rules`.

mod support;

use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{
    MetricsTarget, PATIENCE, Pagerbound, Prometheus, checkout_config, encode, http,
    integration_token, pagerbound, require_tool, stderr, stdout, wait_until,
};

/// Two SLOs read from Prometheus at `url` (and one pushed, which has no
/// rules), with alert lines short enough for a test.
fn slos(url: &str) -> String {
    "
slos:
  - name: checkout-availability
    service: checkout
    sli:
      source: prometheus
      url: URL
      bad: 'sum(rate(requests_total{code=\"500\"}[{{.window}}]))'
      total: 'sum(rate(requests_total[{{.window}}]))'
      step: 10s
    objective: 99
    window: 1d
    alerting:
      - {long: 2m, short: 1m, burn_rate: 5, severity: page}
  - name: checkout-success
    service: checkout
    sli:
      source: prometheus
      url: URL
      good: 'sum(rate(requests_total{code=\"200\"}[{{.window}}]))'
      total: 'sum(rate(requests_total[{{.window}}]))'
    # Low enough that the test's 10% errors do not burn it: its default
    # lines would keep the shared page open for half an hour.
    objective: 85
    window: 28d
    runbook: https://runbooks.example.com/checkout
  - name: checkout-latency
    service: checkout
    sli:
      source: prometheus
      url: URL
      histogram: request_duration_seconds{job=\"checkout\"}
      threshold: 0.3
      step: 10s
    # 20% are slower than 0.3 s: well within a 50% objective's budget.
    objective: 50
    window: 1d
    alerting:
      - {long: 2m, short: 1m, burn_rate: 5, severity: page}
  - name: checkout-latency-1s
    service: checkout
    sli:
      source: prometheus
      url: URL
      histogram: request_duration_seconds
      threshold: 1
      step: 10s
    objective: 50
    window: 1d
    alerting:
      - {long: 2m, short: 1m, burn_rate: 5, severity: page}
  - name: checkout-latency-typo
    service: checkout
    sli:
      source: prometheus
      url: URL
      histogram: request_duration_seconds
      threshold: 0.25
      step: 10s
    objective: 50
    window: 1d
    alerting:
      - {long: 2m, short: 1m, burn_rate: 5, severity: page}
  - name: checkout-pushed
    service: checkout
    sli: {source: push}
    objective: 99
    window: 7d
"
    .replace("URL", url)
}

/// `pagerbound slo export-rules` on a configuration.
fn export_rules(config: &str) -> String {
    let dir = tempfile::tempdir().expect("temporary directory");
    std::fs::write(dir.path().join("pagerbound.yaml"), config).expect("write");
    let output = pagerbound()
        .args(["slo", "export-rules"])
        .arg(dir.path())
        .output()
        .expect("run pagerbound slo export-rules");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(
        stderr(&output).contains("SLO checkout-pushed: its SLI is not read from Prometheus"),
        "{}",
        stderr(&output)
    );
    stdout(&output)
}

#[test]
fn exported_rules_pass_promtool() {
    let (_, digest) = integration_token("prometheus");
    let rules = export_rules(&(checkout_config(&digest) + &slos("http://127.0.0.1:9090")));
    let dir = tempfile::tempdir().expect("temporary directory");
    let path = dir.path().join("rules.yml");
    std::fs::write(&path, &rules).expect("write rules");
    let promtool = require_tool("/usr/bin/promtool", "prometheus");
    let check = std::process::Command::new(promtool)
        .args(["check", "rules"])
        .arg(&path)
        .output()
        .expect("run promtool");
    assert!(
        check.status.success(),
        "{}{}\n{rules}",
        stdout(&check),
        stderr(&check)
    );
    // Windows 1m, 2m and 1d, then the workbook's seven scaled to 28 days
    // and 28d itself; six meta rules and the alert lines of each; the two
    // latency SLOs like the first.
    let expected = (3 + 6 + 1) + (8 + 6 + 4) + 3 * (3 + 6 + 1);
    assert!(
        stdout(&check).contains(&format!("SUCCESS: {expected} rules found")),
        "{}",
        stdout(&check)
    );
}

/// Requests per second, good and bad; the counters grow at these rates.
struct Traffic {
    good_rate: f64,
    bad_rate: f64,
    good: f64,
    bad: f64,
    at: Instant,
}

fn counters(traffic: &Arc<Mutex<Traffic>>) -> MetricsTarget {
    let traffic = Arc::clone(traffic);
    MetricsTarget::serving(move || {
        let mut t = traffic.lock().unwrap_or_else(|e| e.into_inner());
        let elapsed = t.at.elapsed().as_secs_f64();
        t.good += t.good_rate * elapsed;
        t.bad += t.bad_rate * elapsed;
        t.at = Instant::now();
        // Of all requests, half take under 0.1 s, 80% under 0.3 s and 95%
        // under 1 s.
        let all = t.good + t.bad;
        format!(
            "# TYPE requests_total counter\n\
             requests_total{{code=\"200\"}} {}\n\
             requests_total{{code=\"500\"}} {}\n\
             # TYPE request_duration_seconds histogram\n\
             request_duration_seconds_bucket{{le=\"0.1\"}} {}\n\
             request_duration_seconds_bucket{{le=\"0.3\"}} {}\n\
             request_duration_seconds_bucket{{le=\"1.0\"}} {}\n\
             request_duration_seconds_bucket{{le=\"+Inf\"}} {all}\n\
             request_duration_seconds_sum {}\n\
             request_duration_seconds_count {all}\n",
            t.good,
            t.bad,
            all * 0.5,
            all * 0.8,
            all * 0.95,
            all * 0.2,
        )
    })
}

/// A PromQL instant query's single value.
fn promql(prometheus: &Prometheus, query: &str) -> Option<f64> {
    let (status, body) = http(
        &prometheus.address,
        "GET",
        &format!("/api/v1/query?query={}", encode(query)),
        None,
        None,
    );
    assert_eq!(status, 200, "{body}");
    let answer: Value = serde_json::from_str(&body).ok()?;
    answer["data"]["result"][0]["value"][1]
        .as_str()?
        .parse()
        .ok()
}

fn burn_rate(slo: &Value, window: &str) -> Option<f64> {
    slo["burn_rates"]
        .as_array()?
        .iter()
        .find(|r| r["window"] == window)?["burn_rate"]
        .as_f64()
}

#[test]
fn burn_rates_from_prometheus_agree_with_promql_page_and_resolve() {
    let traffic = Arc::new(Mutex::new(Traffic {
        good_rate: 90.0,
        bad_rate: 10.0,
        good: 0.0,
        bad: 0.0,
        at: Instant::now(),
    }));
    let target = counters(&traffic);
    let (_, digest) = integration_token("prometheus");
    // Prometheus evaluates the exported rules too; the URL is not in them.
    let rules = export_rules(&(checkout_config(&digest) + &slos("http://127.0.0.1:9")));
    let prometheus = Prometheus::start(
        "sli",
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             rule_files: [rules.yml]\n\
             scrape_configs:\n  - job_name: checkout\n    static_configs:\n      - targets: ['{}']\n",
            target.address
        ),
        &rules,
    );
    let config = checkout_config(&digest) + &slos(&format!("http://{}", prometheus.address));
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config)]);
    server.start();
    let viewer = server.create_token("alice", "viewer");

    // 10% errors against a 1% budget: burn rate 10, in both.
    let slo = wait_until(PATIENCE * 2, "pagerbound to read the SLI", || {
        let slos = server.get_json("/api/v1/slos", &viewer);
        let slo = slos
            .as_array()
            .and_then(|s| s.iter().find(|s| s["name"] == "checkout-availability"))
            .cloned()
            .unwrap_or_default();
        match burn_rate(&slo, "1m") {
            Some(_) if slo["events"]["total"].as_f64() >= Some(3_000.0) => Ok(slo),
            _ => Err(slo.to_string()),
        }
    });
    let ours = burn_rate(&slo, "1m").expect("burn rate");
    let theirs = promql(
        &prometheus,
        "sum(rate(requests_total{code=\"500\"}[1m])) / sum(rate(requests_total[1m])) / 0.01",
    )
    .expect("PromQL answers");
    assert!(
        (ours - theirs).abs() / theirs < 0.01,
        "pagerbound {ours}, PromQL {theirs}"
    );
    assert!((ours - 10.0).abs() < 0.5, "{ours}");
    let recorded = wait_until(
        PATIENCE,
        "Prometheus to evaluate the exported rules",
        || {
            promql(
                &prometheus,
                "slo:current_burn_rate:ratio{sloth_slo=\"checkout-availability\"}",
            )
            .ok_or_else(|| "no value yet".to_owned())
        },
    );
    assert!(
        (ours - recorded).abs() / recorded < 0.01,
        "pagerbound {ours}, the exported rules {recorded}"
    );

    // The latency SLI: 20% of requests are slower than the 0.3 s bucket.
    let latency = wait_until(PATIENCE, "the latency SLI", || {
        let slo = server.get_json("/api/v1/slos/checkout-latency", &viewer);
        let ratio = slo["burn_rates"]
            .as_array()
            .and_then(|r| r.iter().find(|r| r["window"] == "1m"))
            .and_then(|r| r["error_ratio"].as_f64());
        ratio.ok_or_else(|| slo.to_string())
    });
    assert!((latency - 0.2).abs() < 0.002, "{latency}");
    // `1` is the bucket the target calls `1.0`: matched by number.
    let one_second = wait_until(PATIENCE, "the 1 s latency SLI", || {
        let slo = server.get_json("/api/v1/slos/checkout-latency-1s", &viewer);
        burn_rate(&slo, "1m")
            .map(|rate| rate * 0.5)
            .ok_or_else(|| slo.to_string())
    });
    assert!((one_second - 0.05).abs() < 0.002, "{one_second}");
    // A threshold between buckets cannot be counted: the SLO says why.
    let typo = server.get_json("/api/v1/slos/checkout-latency-typo", &viewer);
    let error = typo["source_error"].as_str().unwrap_or_default();
    assert!(
        error.contains("threshold 0.25 is not a bucket boundary of request_duration_seconds; its boundaries are 0.1, 0.3, 1.0, +Inf"),
        "{typo}"
    );

    let page = wait_until(PATIENCE, "the burn's page", || {
        let pages = server.get_json("/api/v1/pages", &viewer);
        pages
            .as_array()
            .and_then(|p| p.first().cloned())
            .ok_or_else(|| pages.to_string())
    });
    assert_eq!(page["route"], "checkout-slo");
    let id = page["id"].as_i64().expect("id");

    // The errors stop; once the short window has only good steps, the
    // alert resolves and so does the page.
    traffic.lock().unwrap_or_else(|e| e.into_inner()).bad_rate = 0.0;
    wait_until(Duration::from_secs(240), "the page to resolve", || {
        let shown = server.get_json(&format!("/api/v1/pages/{id}"), &viewer);
        if shown["state"] == "resolved" {
            Ok(())
        } else {
            Err(shown["state"].to_string())
        }
    });
}
