//! The load generator against a real Alertmanager: requests succeed and the
//! alerts arrive.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use pagerbound_bench::alertmanager::{Alertmanager, AlertmanagerOptions, DEFAULT_BINARY};
use pagerbound_bench::alerts::{AlertFactory, AlertSpec, BodySource};
use pagerbound_bench::loadgen::{self, Endpoint, LoadOptions};
use pagerbound_bench::procstat;
use serde_json::Value;

#[tokio::test]
async fn generated_alerts_reach_alertmanager() {
    assert!(
        Path::new(DEFAULT_BINARY).exists(),
        "{DEFAULT_BINARY} is not installed; `.ci/setup` installs it (Debian package prometheus-alertmanager)"
    );
    let alertmanager = Alertmanager::start(&AlertmanagerOptions::default())
        .await
        .expect("alertmanager starts");
    let memory = procstat::memory(alertmanager.pid()).expect("alertmanager's memory is readable");
    assert!(memory.rss_bytes > 0);

    let factory = AlertFactory::new(AlertSpec::starting_now(
        "BenchIntegration",
        Some(jiff::SignedDuration::from_hours(1)),
    ));
    let expected = factory.labels(0);
    let options = LoadOptions {
        endpoint: Endpoint::from_base_url(alertmanager.url())
            .await
            .expect("alertmanager's URL is an endpoint"),
        token: None,
        connections: 2,
        duration: Some(Duration::from_secs(1)),
        request_timeout: Duration::from_secs(10),
        rate: None,
    };
    let report = loadgen::run(
        &options,
        Arc::new(BodySource::new_alerts(factory, 10, None)),
    )
    .await
    .expect("the load runs");

    assert_eq!(
        report.non_2xx, 0,
        "first error answer: {:?}",
        report.first_error_response
    );
    assert_eq!(
        report.transport_errors, 0,
        "first transport error: {:?}",
        report.first_transport_error
    );
    assert!(report.alerts_per_s > 0.0, "{report:?}");
    assert_eq!(report.alerts_accepted, report.alerts_sent);
    assert_eq!(report.connections_opened, 2, "keep-alive held: {report:?}");

    let alerts: Vec<Value> = reqwest::get(format!("{}/api/v2/alerts", alertmanager.url()))
        .await
        .expect("GET /api/v2/alerts")
        .error_for_status()
        .expect("GET /api/v2/alerts succeeds")
        .json()
        .await
        .expect("a JSON list of alerts");
    assert_eq!(alerts.len() as u64, report.alerts_accepted);
    let found = alerts.iter().any(|alert| {
        serde_json::from_value::<BTreeMap<String, String>>(alert["labels"].clone())
            .is_ok_and(|labels| labels == expected)
    });
    assert!(
        found,
        "the first generated label set {expected:?} is not among the alerts"
    );
}
