//! Silences in the web UI over real HTTP, on both backends: the form with
//! its preview, creating through the API's own path (with CSRF and role
//! checks), expiring, the list by state, and maintenance windows.

mod common;

use common::browser::Browser;
use common::{TestServer, config_with, integrations, three_people};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::{Value, json};

const INGEST_TOKEN: &str = "test-prometheus-token-0123456789";

async fn start(backend: Backend) -> TestServer {
    let routes = (
        "routes.yaml",
        "routes:\n  service: checkout\n  class: ticket\n  group_by: [alertname]\n  group_wait: 0s\n"
            .to_owned(),
    );
    let mut files = three_people();
    files.push(routes);
    files.push(integrations(&[("prometheus", INGEST_TOKEN)]));
    TestServer::start_on(backend, &config_with(files)).await
}

async fn fire_two(test: &TestServer) {
    let response = test
        .post_json(
            "/api/v2/alerts",
            INGEST_TOKEN,
            &json!([
                {"labels": {"alertname": "CheckoutLatency", "service": "checkout"}},
                {"labels": {"alertname": "CartErrors", "service": "cart"}},
            ]),
        )
        .await;
    assert_eq!(response.status(), 200, "{:?}", response.text().await);
}

async fn silences(test: &TestServer) -> Vec<Value> {
    test.get_json("/api/v2/silences")
        .await
        .as_array()
        .expect("a list")
        .clone()
}

/// Creates a silence through the API, as alice; answers its id.
async fn silence_by_api(test: &TestServer, alertname: &str) -> String {
    let now = jiff::Timestamp::now();
    let created = test
        .post_json(
            "/api/v2/silences",
            &test.admin,
            &json!({
                "matchers": [{"name": "alertname", "value": alertname, "isRegex": false}],
                "startsAt": now.to_string(),
                "endsAt": (now + jiff::SignedDuration::from_hours(2)).to_string(),
                "createdBy": "alice",
                "comment": "known issue, fix deploying",
            }),
        )
        .await;
    assert_eq!(created.status(), 200);
    created.json::<Value>().await.expect("json")["silenceID"]
        .as_str()
        .expect("id")
        .to_owned()
}

async fn silences_are_created_from_the_form(backend: Backend) {
    let test = start(backend).await;
    fire_two(&test).await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;

    // The alerts page links here prefilled; the preview shows at once.
    let form = bob
        .get("/silences/new?matchers=%7Balertname%3D%22CheckoutLatency%22%7D")
        .await;
    assert_eq!(form.status, 200, "{}", form.body);
    assert!(form.body.contains("New silence"));
    assert!(
        form.body
            .contains("{alertname=&#34;CheckoutLatency&#34;}</textarea>"),
        "prefilled: {}",
        form.body
    );
    assert!(
        form.body
            .contains("It would silence <strong>1</strong> alert firing now"),
        "{}",
        form.body
    );
    assert!(form.body.contains(r#"service="checkout""#));
    assert!(!form.body.contains("CartErrors"), "{}", form.body);

    // The Preview button posts the form back, changed by nothing.
    let preview = bob
        .submit(
            "/silences/new",
            &[
                ("matchers", "service=~\"c.*\""),
                ("duration", "1h"),
                ("comment", ""),
            ],
        )
        .await;
    assert_eq!(preview.status, 200, "{}", preview.body);
    assert!(
        preview
            .body
            .contains("It would silence <strong>2</strong> alerts"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("CartErrors") && preview.body.contains("CheckoutLatency"));
    let preview = bob
        .submit(
            "/silences/new",
            &[("matchers", "alertname=\"CartErrors\"\nservice=\"cart\"")],
        )
        .await;
    assert!(
        preview
            .body
            .contains("It would silence <strong>1</strong> alert"),
        "{}",
        preview.body
    );
    assert!(preview.body.contains("CartErrors") && !preview.body.contains("CheckoutLatency"));
    let bad = bob
        .submit("/silences/new", &[("matchers", "alertname~CartErrors")])
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.body.contains("is not a matcher"), "{}", bad.body);
    assert!(silences(&test).await.is_empty(), "previews create nothing");

    let fields = [
        ("matchers", "alertname=\"CheckoutLatency\""),
        ("duration", "2h"),
        ("comment", "deploying the fix"),
    ];
    let forged = bob.post("/silences", &fields).await;
    assert_eq!(forged.status, 403, "no CSRF token: {}", forged.body);
    let forged = bob
        .post(
            "/silences",
            &[&[("csrf", "0123")][..], &fields[..]].concat(),
        )
        .await;
    assert_eq!(forged.status, 403, "a wrong CSRF token");
    assert!(silences(&test).await.is_empty(), "nothing was created");

    let created = bob.submit("/silences", &fields).await;
    assert_eq!(created.status, 303, "{}", created.body);
    let location = created.location.expect("a redirect");
    let id = location
        .strip_prefix("/silences#")
        .expect("to the silence in the list")
        .to_owned();
    let listed = silences(&test).await;
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["id"], id.as_str());
    assert_eq!(listed[0]["createdBy"], "bob");
    assert_eq!(listed[0]["comment"], "deploying the fix");
    assert_eq!(listed[0]["status"]["state"], "active");
    assert_eq!(
        listed[0]["matchers"],
        json!([{"name": "alertname", "value": "CheckoutLatency", "isRegex": false, "isEqual": true}])
    );
    let starts: jiff::Timestamp = listed[0]["startsAt"]
        .as_str()
        .expect("t")
        .parse()
        .expect("t");
    let ends: jiff::Timestamp = listed[0]["endsAt"].as_str().expect("t").parse().expect("t");
    assert_eq!(ends.duration_since(starts).as_secs(), 2 * 3600);

    let list = bob.get("/silences").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&format!("<li id=\"{id}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("deploying the fix") && list.body.contains("by bob"));
    assert!(list.body.contains(&format!("/silences/{id}/expire")));

    let alerts = bob.get("/alerts?state=silenced").await;
    assert!(alerts.body.contains("CheckoutLatency"), "{}", alerts.body);
    assert!(
        alerts.body.contains(&format!("/silences#{id}")),
        "{}",
        alerts.body
    );
    assert!(!alerts.body.contains("CartErrors"));
    test.stop().await;
}

async fn invalid_silences_come_back_with_the_reason(backend: Backend) {
    let test = start(backend).await;
    fire_two(&test).await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;
    bob.get("/silences/new").await;

    let cases: [(&[(&str, &str)], &str); 6] = [
        (
            &[
                ("matchers", "alertname=\"CartErrors\""),
                ("duration", "2h"),
                ("comment", " "),
            ],
            "a comment is required",
        ),
        (
            &[
                ("matchers", "alertname=~\"(\""),
                ("duration", "2h"),
                ("comment", "why"),
            ],
            "invalid regular expression",
        ),
        (
            &[("matchers", ""), ("duration", "2h"), ("comment", "why")],
            "give at least one matcher",
        ),
        (
            &[
                ("matchers", "alertname=\"CartErrors\""),
                ("starts", "2030-01-02T10:00"),
                ("ends", "2030-01-02T09:00"),
                ("comment", "why"),
            ],
            "must be after the start",
        ),
        (
            &[
                ("matchers", "alertname=\"CartErrors\""),
                ("duration", "soon"),
                ("comment", "why"),
            ],
            "is not a duration",
        ),
        (
            // The API's own rule: this would mute nearly everything.
            &[
                ("matchers", "alertname=~\".*\""),
                ("duration", "2h"),
                ("comment", "why"),
            ],
            "must not match the empty value",
        ),
    ];
    for (fields, reason) in cases {
        let answer = bob.submit("/silences", fields).await;
        assert_eq!(answer.status, 400, "{fields:?}: {}", answer.body);
        assert!(answer.body.contains(reason), "{reason}: {}", answer.body);
        assert!(
            answer.body.contains("<h1>New silence</h1>"),
            "the form again"
        );
    }
    let kept = bob
        .submit(
            "/silences",
            &[
                ("matchers", "alertname=\"CartErrors\""),
                ("duration", "90m"),
                ("comment", ""),
            ],
        )
        .await;
    assert!(
        kept.body
            .contains("alertname=&#34;CartErrors&#34;</textarea>"),
        "{}",
        kept.body
    );
    assert!(kept.body.contains("value=\"90m\""), "{}", kept.body);
    assert!(silences(&test).await.is_empty(), "nothing was created");
    test.stop().await;
}

async fn viewers_cannot_create_or_expire(backend: Backend) {
    let test = start(backend).await;
    let id = silence_by_api(&test, "CartErrors").await;
    let mut carol = Browser::signed_in(&test, "carol", Role::Viewer).await;

    let list = carol.get("/silences").await;
    assert_eq!(list.status, 200);
    assert!(
        list.body.contains(&format!("<li id=\"{id}\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("known issue, fix deploying"));
    assert!(
        !list.body.contains("Expire</button>"),
        "no buttons: {}",
        list.body
    );
    assert!(!list.body.contains("New silence"), "{}", list.body);

    assert_eq!(carol.get("/silences/new").await.status, 403);
    let created = carol
        .submit(
            "/silences",
            &[
                ("matchers", "alertname=\"X\""),
                ("duration", "1h"),
                ("comment", "c"),
            ],
        )
        .await;
    assert_eq!(created.status, 403, "{}", created.body);
    let expired = carol.submit(&format!("/silences/{id}/expire"), &[]).await;
    assert_eq!(expired.status, 403);
    let listed = silences(&test).await;
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0]["status"]["state"], "active");
    test.stop().await;
}

async fn silences_are_expired_from_the_list(backend: Backend) {
    let test = start(backend).await;
    let id = silence_by_api(&test, "CartErrors").await;
    let mut bob = Browser::signed_in(&test, "bob", Role::Responder).await;
    bob.get("/silences").await;

    let forged = bob.post(&format!("/silences/{id}/expire"), &[]).await;
    assert_eq!(forged.status, 403);
    let expired = bob.submit(&format!("/silences/{id}/expire"), &[]).await;
    assert_eq!(expired.status, 303, "{}", expired.body);
    assert_eq!(
        expired.location.as_deref(),
        Some(format!("/silences#{id}").as_str())
    );
    let fetched = test.get_json(&format!("/api/v2/silence/{id}")).await;
    assert_eq!(fetched["status"]["state"], "expired");

    let list = bob.get("/silences?state=expired").await;
    assert!(
        list.body
            .contains(&format!("<li id=\"{id}\" class=\"expired\"")),
        "{}",
        list.body
    );
    assert!(list.body.contains("Silence again"), "{}", list.body);
    let active = bob.get("/silences?state=active").await;
    assert!(!active.body.contains(&id), "{}", active.body);
    assert_eq!(
        bob.submit("/silences/no-such-silence/expire", &[])
            .await
            .status,
        404
    );
    test.stop().await;
}

async fn maintenance_windows_are_listed(backend: Backend) {
    let test = start(backend).await;
    let now = jiff::Timestamp::now();
    for (starts, reason) in [
        (now, "database upgrade"),
        (now + jiff::SignedDuration::from_hours(24), "network work"),
    ] {
        let created = test
            .post_json(
                "/api/v1/maintenance",
                &test.admin,
                &json!({"service": "checkout", "starts_at": starts, "duration": "2h", "reason": reason}),
            )
            .await;
        assert_eq!(created.status(), 201, "{:?}", created.text().await);
    }
    let mut carol = Browser::signed_in(&test, "carol", Role::Viewer).await;
    let list = carol.get("/silences").await;
    let section = list
        .body
        .split("id=\"maintenance\"")
        .nth(1)
        .expect("the maintenance section");
    for expected in [
        "database upgrade",
        "network work",
        "active",
        "upcoming",
        "by alice",
    ] {
        assert!(section.contains(expected), "{expected}: {section}");
    }
    test.stop().await;
}

on_both_backends!(
    silences_are_created_from_the_form,
    invalid_silences_come_back_with_the_reason,
    viewers_cannot_create_or_expire,
    silences_are_expired_from_the_list,
    maintenance_windows_are_listed,
);
