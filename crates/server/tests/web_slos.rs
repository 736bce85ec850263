//! The SLO pages of the web UI over real HTTP, on both backends: the list
//! by budget left, and one SLO with its burn-down and burn-rate charts, its
//! alerting lines against their thresholds, and the alerts it raised.

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, eventually, integrations};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-checkout-token-0123456789ab";
const SLO: &str = "checkout-availability";
/// Never sent events: no data.
const QUIET: &str = "search-latency";

async fn start(backend: Backend) -> TestServer {
    let files = config_with(vec![
        integrations(&[("checkout", INGEST_TOKEN)]),
        (
            "slos.yaml",
            "\
slos:
  - name: checkout-availability
    service: checkout
    sli: {source: push}
    objective: 99
    window: 7d
    alerting:
      # Short windows, so that a test sees a burn at once.
      - {long: 3m, short: 2m, burn_rate: 14.4, severity: page}
      - {long: 10m, short: 5m, burn_rate: 50, severity: ticket}
  - name: search-latency
    service: checkout
    sli: {source: push}
    objective: 99.9
    window: month
"
            .to_owned(),
        ),
        (
            "routes.yaml",
            "\
routes:
  service: checkout
  class: ticket
  group_by: [slo, severity]
  group_wait: 0s
  routes:
    - name: checkout-slo
      matchers: ['slo=~\".+\"', 'severity=\"page\"']
      class: page
"
            .to_owned(),
        ),
    ]);
    TestServer::start_on(backend, &files).await
}

async fn slo(test: &TestServer, name: &str) -> Value {
    test.get_json("/api/v1/slos")
        .await
        .as_array()
        .and_then(|slos| slos.iter().find(|s| s["name"] == name).cloned())
        .expect("the SLO is listed")
}

async fn the_slo_pages_show_budget_burn_and_charts(backend: Backend) {
    let test = start(backend).await;

    // Without a session: to the sign-in form, and back afterwards.
    let mut stranger = Browser::new(&test);
    let away = stranger.get(&format!("/slos/{SLO}")).await;
    assert_eq!(away.status, 303);
    assert_eq!(
        away.location.as_deref(),
        Some("/login?next=%2Fslos%2Fcheckout-availability")
    );
    assert_eq!(stranger.get("/slos").await.status, 303);

    eventually("the first evaluation", || async {
        (slo(&test, SLO).await["alert_state"] == "no_data").then_some(())
    })
    .await;
    // 20% errors against a 1% budget: burn rate 20, above the page line's
    // 14.4 and below the ticket line's 50.
    let now = jiff::Timestamp::now().to_string();
    let pushed = test
        .post_json(
            &format!("/api/v1/slis/{SLO}/events"),
            INGEST_TOKEN,
            &json!([{"timestamp": now, "good": 800, "total": 1000}]),
        )
        .await;
    assert_eq!(pushed.status(), 202);
    eventually("the burn to be evaluated", || async {
        (slo(&test, SLO).await["alert_state"] == "page").then_some(())
    })
    .await;
    let page = eventually("the SLO's page", || async {
        let pages = test.get_json("/api/v1/pages").await;
        pages.as_array()?.first()?["id"].as_i64()
    })
    .await;

    // A viewer may look.
    let mut viewer = Browser::signed_in(&test, "bob", Role::Viewer).await;
    let list = viewer.get("/slos").await;
    assert_eq!(list.status, 200, "{}", list.body);
    // Budget: 1 - 0.2 / 0.01 = -19, of 100.8 minutes over 7 days.
    assert!(
        list.body.contains("-1900% (-1915 of 101 min)"),
        "{}",
        list.body
    );
    assert!(list.body.contains(r#"href="/slos/checkout-availability""#));
    let burning = list.body.find(SLO).expect("listed");
    let quiet = list.body.find(QUIET).expect("listed");
    assert!(burning < quiet, "least budget first, no data last");
    assert!(
        list.body
            .contains(r#"<span class="state page">page</span>"#)
    );
    assert!(list.body.contains("no data"));

    let shown = viewer.get(&format!("/slos/{SLO}")).await;
    assert_eq!(shown.status, 200, "{}", shown.body);
    let body = &shown.body;
    assert!(body.contains("<svg"), "{body}");
    assert!(body.contains("budget remaining, %"), "{body}");
    assert!(body.contains("burn rate, ×"), "{body}");
    assert!(body.contains("page at 14.4×"), "the threshold on the chart");
    // The alerting lines against their thresholds.
    let table = body
        .split(r#"<table class="burn-rates">"#)
        .nth(1)
        .and_then(|rest| rest.split("</table>").next())
        .expect("the burn-rate table");
    for expected in ["3m/2m", "14.4×", "20× over 3m", "20× over 2m", "firing"] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    for expected in ["10m/5m", "50×", r#"<span class="state ok">ok</span>"#] {
        assert!(table.contains(expected), "{expected} in {table}");
    }
    // The alert it raised, with the page it opened.
    assert!(body.contains("Alerts raised"));
    assert!(
        body.contains(&format!(r#"href="/pages/{page}""#)),
        "a link to page {page}: {body}"
    );
    // Forecasts: spent already.
    assert!(body.contains("spent already"), "{body}");

    // Another range of the chart, as the API takes it.
    let from = jiff::Timestamp::from_second(jiff::Timestamp::now().as_second() - 3600)
        .expect("an hour ago");
    let ranged = viewer
        .get(&format!("/slos/{SLO}?from={from}&step=1m"))
        .await;
    assert_eq!(ranged.status, 200, "{}", ranged.body);
    assert!(ranged.body.contains("<svg"));

    // A calendar window with no data: its chart runs to the end of the
    // month, empty.
    let quiet_page = viewer.get(&format!("/slos/{QUIET}")).await;
    assert_eq!(quiet_page.status, 200, "{}", quiet_page.body);
    assert!(quiet_page.body.contains("No data in this period"));
    assert!(quiet_page.body.contains("no data"));

    test.stop().await;
}

async fn unknown_slos_and_bad_ranges_answer_error_pages(backend: Backend) {
    let test = start(backend).await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;
    let missing = bob.get("/slos/nothing-here").await;
    assert_eq!(missing.status, 404);
    assert!(
        missing.body.contains("no SLO `nothing-here`"),
        "{}",
        missing.body
    );
    assert!(missing.body.contains("<html"), "a page, not JSON");
    for bad in [
        "?step=10s",
        "?step=soon",
        "?from=yesterday",
        "?from=2030-01-01T00:00:00Z&to=2029-01-01T00:00:00Z",
        "?from=2020-01-01T00:00:00Z&step=1m",
        "?step=1m&step=2m",
    ] {
        let answer = bob.get(&format!("/slos/{SLO}{bad}")).await;
        assert_eq!(answer.status, 400, "{bad}: {}", answer.body);
        assert!(answer.body.contains("<html"), "{bad}: a page");
    }
    test.stop().await;
}

on_both_backends!(
    the_slo_pages_show_budget_burn_and_charts,
    unknown_slos_and_bad_ranges_answer_error_pages,
);
