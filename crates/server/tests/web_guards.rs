//! What guards the whole web UI, route by route, on both backends: every
//! page needs a session but the sign-in form and the assets, and every form
//! is refused without the session's CSRF token, before it touches anything.

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, three_people};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;

/// Every page of the UI (an SLO and a schedule that exist, a page that
/// need not: the session is checked first).
const PAGES: [&str; 13] = [
    "/",
    "/pages",
    "/pages/1",
    "/alerts",
    "/silences",
    "/silences/new",
    "/schedules",
    "/schedules/primary",
    "/slos",
    "/slos/availability",
    "/config",
    "/pages?state=all",
    "/alerts?filter=%7Bservice%3D%22checkout%22%7D",
];

/// Every form of the UI but sign-in (which has its own token).
const FORMS: [&str; 9] = [
    "/logout",
    "/pages/1/ack",
    "/pages/1/note",
    "/silences",
    "/silences/new",
    "/silences/abc/expire",
    "/schedules/primary/overrides",
    "/schedules/primary/overrides/1/remove",
    "/config/reload",
];

fn config() -> Vec<(&'static str, String)> {
    config_with(
        [
            three_people(),
            vec![
                (
                    "schedules.yaml",
                    "\
schedules:
  - name: primary
    team: payments
    time_zone: UTC
    layers:
      - {name: weekly, participants: [alice, bob], shift: 1w, handoff: \"09:00\", start: 2026-01-05}
"
                    .to_owned(),
                ),
                (
                    "slos.yaml",
                    "\
slos:
  - {name: availability, service: checkout, sli: {source: push}, objective: 99.9, window: 30d}
"
                    .to_owned(),
                ),
            ],
        ]
        .concat(),
    )
}

async fn every_page_needs_a_session_and_every_form_a_token(backend: Backend) {
    let test = TestServer::start_on(backend, &config()).await;
    let mut stranger = Browser::new(&test);
    for path in PAGES {
        let answer = stranger.get(path).await;
        assert_eq!(answer.status, 303, "{path} without a session");
        assert!(
            answer
                .location
                .as_deref()
                .is_some_and(|l| l.starts_with("/login?next=")),
            "{path}: {:?}",
            answer.location
        );
    }
    for path in FORMS {
        let answer = stranger.post(path, &[("csrf", "whatever")]).await;
        assert_eq!(answer.status, 303, "{path} without a session");
    }
    assert_eq!(stranger.get("/login").await.status, 200);
    assert_eq!(stranger.get("/assets/pagerbound.css").await.status, 200);

    // An admin may use every form, so only the token can stop them.
    let mut alice = Browser::signed_in(&test, "alice", Role::Admin).await;
    for path in PAGES {
        let answer = alice.get(path).await;
        assert!(
            answer.status == 200 || (path == "/pages/1" && answer.status == 404),
            "{path} signed in: {} {}",
            answer.status,
            answer.body
        );
    }
    let valid = alice.csrf.clone().expect("a token");
    let other = Browser::signed_in(&test, "bob", Role::Admin)
        .await
        .csrf
        .expect("bob's token");
    assert_ne!(valid, other, "each session has its own token");
    for path in FORMS {
        for form in [
            vec![("text", "a note")],
            vec![("csrf", ""), ("text", "a note")],
            vec![("csrf", other.as_str()), ("text", "a note")],
        ] {
            let answer = alice.post(path, &form).await;
            assert_eq!(answer.status, 403, "{path} with {form:?}: {}", answer.body);
            assert!(
                answer.body.contains("reload the page"),
                "{path}: {}",
                answer.body
            );
        }
    }
    // Refused forms changed nothing: alice is still signed in, and no
    // silence or override was made.
    assert_eq!(alice.get("/").await.status, 200);
    let silences = test.get_json("/api/v2/silences").await;
    assert_eq!(silences.as_array().map(Vec::len), Some(0));
    let overrides = test
        .get_json("/api/v1/schedules/primary/overrides?from=2026-01-01T00:00:00Z")
        .await;
    assert_eq!(overrides.as_array().map(Vec::len), Some(0));
}

on_both_backends!(every_page_needs_a_session_and_every_form_a_token);
