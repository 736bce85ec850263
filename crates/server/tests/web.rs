//! The web UI over real HTTP, on both backends: signing in and out,
//! sessions and CSRF on every form, and responding to a page from its
//! page. (What a real browser sees is tested with Chromium in
//! `crates/pagerbound/tests/browser.rs`.)

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, eventually, integrations};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::json;

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let routes = (
        "routes.yaml",
        "\
routes:
  service: checkout
  class: ticket
  group_by: [alertname]
  group_wait: 0s
  routes:
    - name: slo
      matchers: ['slo=~\".+\"']
      class: page
"
        .to_owned(),
    );
    let users = (
        "users.yaml",
        "\
users:
  - {name: alice, time_zone: Europe/Dublin, contact_methods: [{channel: dev-log}]}
  - {name: bob, time_zone: America/New_York, contact_methods: [{channel: dev-log}]}
  - {name: carol, time_zone: Europe/Dublin, contact_methods: [{channel: dev-log}]}
"
        .to_owned(),
    );
    let files = config_with(vec![
        routes,
        users,
        integrations(&[("prometheus", INGEST_TOKEN)]),
    ]);
    TestServer::start_on(backend, &files).await
}

/// Fires an alert that pages and waits for its page.
async fn open_page(test: &TestServer, name: &str) -> i64 {
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([{
                "labels": {"alertname": name, "service": "checkout", "slo": "availability"},
                "annotations": {"summary": "checkout is failing", "runbook_url": "https://runbooks.example.com/burn"}
            }]),
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
    let page = eventually(name, || async {
        let list = test.get_json("/api/v1/pages").await;
        list.as_array()?
            .iter()
            .find(|p| p["group_labels"]["alertname"] == name)
            .cloned()
    })
    .await;
    page["id"].as_i64().expect("id")
}

async fn signing_in_opens_a_session_and_signing_out_ends_it(backend: Backend) {
    let test = start(backend).await;
    let mut browser = Browser::new(&test);

    let away = browser.get("/pages?state=all").await;
    assert_eq!(away.status, 303, "no session: to the sign-in form");
    assert_eq!(
        away.location.as_deref(),
        Some("/login?next=%2Fpages%3Fstate%3Dall")
    );

    let form = browser.get("/login?next=/pages").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Sign in to pagerbound"), "{}", form.body);
    assert!(browser.cookies.contains_key("pb_sign_in"));
    let set = test.server.as_ref().expect("running").state();
    pagerbound_server::passwords::set(
        set.store.as_ref(),
        &set.config.current().config,
        "bob",
        "bob's long password",
        Role::Responder,
    )
    .await
    .expect("set");

    let wrong = browser.sign_in("bob", "not bob's password").await;
    assert_eq!(wrong.status, 401);
    assert!(wrong.body.contains("do not match"), "{}", wrong.body);
    let nobody = browser.sign_in("mallory", "bob's long password").await;
    assert_eq!(nobody.status, 401, "an unknown user gets the same answer");
    assert!(nobody.body.contains("do not match"));

    let forged = browser
        .post(
            "/login",
            &[
                ("csrf", "0000"),
                ("user", "bob"),
                ("password", "bob's long password"),
            ],
        )
        .await;
    assert_eq!(forged.status, 403, "a sign-in without the form's token");
    assert!(!browser.cookies.contains_key("pb_session"));

    browser.get("/login?next=/pages").await;
    let csrf = browser.csrf.clone().expect("token");
    let signed_in = browser
        .post(
            "/login",
            &[
                ("csrf", &csrf),
                ("user", "bob"),
                ("password", "bob's long password"),
                ("next", "/pages"),
            ],
        )
        .await;
    assert_eq!(signed_in.status, 303, "{}", signed_in.body);
    assert_eq!(signed_in.location.as_deref(), Some("/pages"));
    let cookie = signed_in
        .headers
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().expect("ascii"))
        .find(|v| v.starts_with("pb_session="))
        .expect("a session cookie");
    assert!(cookie.contains("HttpOnly"), "{cookie}");
    assert!(cookie.contains("SameSite=Lax"), "{cookie}");
    assert!(!cookie.contains("Secure"), "plain HTTP: {cookie}");

    let now = browser.get("/").await;
    assert_eq!(now.status, 200);
    assert!(now.body.contains("On call"), "{}", now.body);
    assert!(now.body.contains(">bob<"), "who is signed in: {}", now.body);

    let refused = browser.post("/logout", &[]).await;
    assert_eq!(refused.status, 403, "signing out is a form like any other");
    let out = browser.submit("/logout", &[]).await;
    assert_eq!(out.status, 303);
    assert!(!browser.cookies.contains_key("pb_session"));
    assert_eq!(browser.get("/").await.status, 303);

    // The old cookie is worthless now, even if a copy was kept.
    let mut replay = Browser::new(&test);
    replay
        .cookies
        .insert("pb_session".into(), cookie_value(cookie).into());
    assert_eq!(replay.get("/").await.status, 303);
}

fn cookie_value(set_cookie: &str) -> &str {
    set_cookie
        .split(';')
        .next()
        .and_then(|pair| pair.split_once('='))
        .map(|(_, value)| value)
        .expect("name=value")
}

async fn pages_are_answered_from_their_page(backend: Backend) {
    let test = start(backend).await;
    let id = open_page(&test, "CheckoutErrorBudgetBurn").await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;

    let now = bob.get("/").await;
    assert!(
        now.body.contains("checkout is failing"),
        "open pages are on Now: {}",
        now.body
    );
    let page = bob.get(&format!("/pages/{id}")).await;
    assert_eq!(page.status, 200);
    for expected in [
        "CheckoutErrorBudgetBurn",
        "checkout is failing",
        "https://runbooks.example.com/burn",
        "triggered",
        "Acknowledge",
    ] {
        assert!(page.body.contains(expected), "{expected}: {}", page.body);
    }

    let forged = bob
        .post(&format!("/pages/{id}/ack"), &[("csrf", "x")])
        .await;
    assert_eq!(forged.status, 403, "an ack without the session's token");
    assert!(forged.body.contains("reload the page"), "{}", forged.body);
    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(shown["state"], "triggered", "the forged ack did nothing");

    let acked = bob.submit(&format!("/pages/{id}/ack"), &[]).await;
    assert_eq!(acked.status, 303);
    assert_eq!(acked.location, Some(format!("/pages/{id}")));
    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(shown["state"], "acknowledged");
    assert_eq!(shown["acknowledged_by"], "bob");

    // With htmx, the answer is the updated page itself.
    let csrf = bob.csrf.clone().expect("token");
    let noted = bob
        .post_with(
            &format!("/pages/{id}/note"),
            &[("csrf", &csrf), ("text", "rolling back deploy 4411")],
            &[("hx-request", "true")],
        )
        .await;
    assert_eq!(noted.status, 200);
    assert!(
        noted.body.contains("rolling back deploy 4411"),
        "{}",
        noted.body
    );
    assert!(noted.body.contains("acknowledged"));
    assert_eq!(
        noted
            .headers
            .get("hx-replace-url")
            .map(|v| v.to_str().expect("ascii")),
        Some(format!("/pages/{id}").as_str())
    );

    let empty = bob.submit(&format!("/pages/{id}/snooze"), &[]).await;
    assert_eq!(empty.status, 400, "a snooze needs a length");
    assert!(empty.body.contains("`for` is required"), "{}", empty.body);

    let mut carol = Browser::signed_in(&test, "carol", Role::Viewer).await;
    let looked = carol.get(&format!("/pages/{id}")).await;
    assert_eq!(looked.status, 200, "viewers look");
    assert!(looked.body.contains("you can look, not respond"));
    let refused = carol.submit(&format!("/pages/{id}/resolve"), &[]).await;
    assert_eq!(refused.status, 403, "viewers do not resolve");
    assert!(refused.body.contains("responder role"), "{}", refused.body);

    let resolved = bob.submit(&format!("/pages/{id}/resolve"), &[]).await;
    assert_eq!(resolved.status, 303);
    let shown = test.get_json(&format!("/api/v1/pages/{id}")).await;
    assert_eq!(shown["state"], "resolved");
    assert_eq!(shown["resolved_by"], "bob");
    let listed = bob.get("/pages?state=resolved&mine=1").await;
    assert!(
        listed.body.contains("checkout is failing"),
        "{}",
        listed.body
    );
    let open = bob.get("/pages").await;
    assert!(
        !open.body.contains("checkout is failing"),
        "resolved is not open"
    );
}

async fn assets_are_served_without_a_session(backend: Backend) {
    let test = start(backend).await;
    let mut browser = Browser::new(&test);
    let css = browser.get("/assets/pagerbound.css").await;
    assert_eq!(css.status, 200);
    assert!(css.body.contains("prefers-color-scheme: dark"));
    let htmx = browser.get("/assets/htmx.min.js").await;
    assert_eq!(htmx.status, 200);
    assert!(htmx.body.starts_with("var htmx="));
    assert_eq!(browser.get("/assets/nothing.js").await.status, 404);

    // Compressed for browsers that ask (all do): htmx is a third its size.
    let zipped = test
        .client
        .get(test.url("/assets/htmx.min.js"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .expect("request");
    assert_eq!(
        zipped
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().expect("ascii")),
        Some("gzip")
    );
    let size = zipped.bytes().await.expect("body").len();
    assert!(
        size * 3 < htmx.body.len(),
        "{size} bytes gzipped of {}",
        htmx.body.len()
    );
}

on_both_backends!(
    signing_in_opens_a_session_and_signing_out_ends_it,
    pages_are_answered_from_their_page,
    assets_are_served_without_a_session,
);
