//! An SLO read from a real Prometheus (Debian's package): Prometheus
//! scrapes a loopback target whose error ratio the test sets; pagerbound
//! reads the SLI with `query_range`, its burn rate agrees with the same
//! ratio computed by PromQL in that Prometheus, the burn pages, and the
//! page resolves when the errors stop.

mod support;

use serde_json::Value;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use support::{
    MetricsTarget, PATIENCE, Pagerbound, Prometheus, checkout_config, encode, http,
    integration_token, wait_until,
};

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
        format!(
            "# TYPE requests_total counter\n\
             requests_total{{code=\"200\"}} {}\n\
             requests_total{{code=\"500\"}} {}\n",
            t.good, t.bad
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
    let prometheus = Prometheus::start(
        "sli",
        &format!(
            "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n\
             scrape_configs:\n  - job_name: checkout\n    static_configs:\n      - targets: ['{}']\n",
            target.address
        ),
        "groups: []\n",
    );
    let (_, digest) = integration_token("prometheus");
    let slos = "
slos:
  - name: checkout-availability
    service: checkout
    sli:
      source: prometheus
      url: http://PROMETHEUS
      bad: 'sum(rate(requests_total{code=\"500\"}[{{.window}}]))'
      total: 'sum(rate(requests_total[{{.window}}]))'
      step: 10s
    objective: 99
    window: 1d
    alerting:
      - {long: 2m, short: 1m, burn_rate: 5, severity: page}
"
    .replace("PROMETHEUS", &prometheus.address);
    let config = checkout_config(&digest) + &slos;
    let mut server = Pagerbound::configure(&[("pagerbound.yaml", &config)]);
    server.start();
    let viewer = server.create_token("alice", "viewer");

    // 10% errors against a 1% budget: burn rate 10, in both.
    let slo = wait_until(PATIENCE * 2, "pagerbound to read the SLI", || {
        let slos = server.get_json("/api/v1/slos", &viewer);
        let slo = slos[0].clone();
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
