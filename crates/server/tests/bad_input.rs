//! Malformed requests get a 4xx whose JSON body says what is wrong, and
//! nothing panics: random bodies, paths and queries never cause a 5xx.

mod common;

use common::{CONFIG, TestServer, error_body};
use pagerbound_testkit::Backend;
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use serde_json::json;

#[tokio::test]
async fn malformed_bodies_are_client_errors_that_say_why() {
    let test = TestServer::start(Backend::Sqlite).await;
    let cases: Vec<(&str, Vec<u8>, u16, &str)> = vec![
        (
            "application/json",
            b"{\"user\": ".to_vec(),
            400,
            "request body is not valid JSON",
        ),
        (
            "application/json",
            b"{\"user\": \"bob\", ".to_vec(),
            400,
            "request body is not valid JSON",
        ),
        (
            "application/json",
            b"[1, 2]".to_vec(),
            400,
            "request body has the wrong shape",
        ),
        (
            "application/json",
            b"{\"user\": 7}".to_vec(),
            400,
            "request body has the wrong shape at `user`",
        ),
        (
            "application/json",
            b"{\"user\": \"bob\", \"role\": \"root\"}".to_vec(),
            400,
            "unknown variant `root`",
        ),
        (
            "application/json",
            b"{\"user\": \"bob\", \"colour\": 1}".to_vec(),
            400,
            "unknown field `colour`",
        ),
        (
            "application/json",
            b"{\"user\": \"b\xffob\"}".to_vec(),
            400,
            "request body is not valid JSON",
        ),
        (
            "application/json",
            b"".to_vec(),
            400,
            "request body is not valid JSON",
        ),
        (
            "text/plain",
            b"{\"user\": \"bob\"}".to_vec(),
            415,
            "Content-Type: application/json",
        ),
    ];
    for (content_type, body, status, message) in cases {
        let shown = String::from_utf8_lossy(&body).into_owned();
        let response = test
            .post_bytes("/api/v1/tokens", &test.admin, content_type, body)
            .await;
        assert_eq!(response.status().as_u16(), status, "{shown}");
        let error = error_body(response).await;
        assert!(
            error["error"].as_str().expect("text").contains(message),
            "{shown}: {error}"
        );
    }
    test.stop().await;
}

#[tokio::test]
async fn oversized_bodies_are_refused_with_413() {
    let test = TestServer::start_with(Backend::Sqlite, CONFIG, Some("64KiB")).await;
    let huge = format!("{{\"user\": \"{}\"}}", "x".repeat(100 * 1024));
    let response = test
        .post_bytes(
            "/api/v1/tokens",
            &test.admin,
            "application/json",
            huge.into_bytes(),
        )
        .await;
    assert_eq!(response.status(), 413);
    assert_eq!(
        error_body(response).await["error"],
        "request body is larger than the limit of 65536 bytes"
    );
    // The server goes on answering.
    assert_eq!(test.get("/healthz", None).await.status(), 200);
    test.stop().await;
}

#[tokio::test]
async fn unknown_routes_methods_and_parameters_are_json_errors() {
    let test = TestServer::start(Backend::Sqlite).await;
    let missing = test.get("/api/v1/nothing-here", Some(&test.admin)).await;
    assert_eq!(missing.status(), 404);
    assert_eq!(
        error_body(missing).await["error"],
        "no such endpoint: /api/v1/nothing-here"
    );

    let wrong_method = test
        .client
        .put(test.url("/healthz"))
        .send()
        .await
        .expect("request");
    assert_eq!(wrong_method.status(), 405);
    error_body(wrong_method).await;

    let bad_id = test
        .client
        .delete(test.url("/api/v1/tokens/not-a-number"))
        .bearer_auth(&test.admin)
        .send()
        .await
        .expect("request");
    assert_eq!(bad_id.status(), 400);
    assert_eq!(error_body(bad_id).await["error"], "invalid path parameter");
    test.stop().await;
}

#[tokio::test]
async fn metrics_count_requests_by_route_and_status() {
    let test = TestServer::start(Backend::Sqlite).await;
    for _ in 0..3 {
        test.get("/api/v1/teams", None).await;
    }
    test.get("/api/v1/teams", Some(&test.admin)).await;
    let text = test
        .get("/metrics", Some(&test.admin))
        .await
        .text()
        .await
        .expect("metrics");
    assert!(
        text.contains("pagerbound_http_requests_total{method=\"GET\",route=\"/api/v1/teams\",status=\"401\"} 3"),
        "{text}"
    );
    assert!(
        text.contains("pagerbound_http_requests_total{method=\"GET\",route=\"/api/v1/teams\",status=\"200\"} 1"),
        "{text}"
    );
    assert!(
        text.contains("pagerbound_http_request_duration_seconds_bucket{le="),
        "{text}"
    );
    assert!(text.contains("process_resident_memory_bytes "), "{text}");
    assert!(
        text.contains("pagerbound_database_errors_total 0"),
        "{text}"
    );
    assert!(text.ends_with("# EOF\n"));
    test.stop().await;
}

#[tokio::test]
async fn responses_carry_a_request_id() {
    let test = TestServer::start(Backend::Sqlite).await;
    let response = test
        .client
        .get(test.url("/healthz"))
        .header("x-request-id", "trace-123")
        .send()
        .await
        .expect("request");
    assert_eq!(
        response
            .headers()
            .get("x-request-id")
            .and_then(|v| v.to_str().ok()),
        Some("trace-123")
    );
    let generated = test.get("/healthz", None).await;
    let id = generated
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .expect("id");
    assert_eq!(id.len(), 16);
    test.stop().await;
}

/// A JSON value of any shape, a few levels deep.
fn any_json() -> impl Strategy<Value = serde_json::Value> {
    let leaf = prop_oneof![
        Just(serde_json::Value::Null),
        any::<bool>().prop_map(serde_json::Value::from),
        any::<i64>().prop_map(serde_json::Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(serde_json::Value::from),
        "\\PC{0,12}".prop_map(serde_json::Value::from),
        prop_oneof![Just("bob"), Just("alice"), Just("admin"), Just("viewer")]
            .prop_map(serde_json::Value::from),
    ];
    leaf.prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::from),
            prop::collection::btree_map(
                prop_oneof![
                    Just("user".to_owned()),
                    Just("role".to_owned()),
                    Just("description".to_owned()),
                    "[a-z]{1,6}"
                ],
                inner,
                0..4
            )
            .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
        ]
    })
}

#[derive(Debug, Clone)]
enum Probe {
    Bytes(Vec<u8>),
    Json(serde_json::Value),
    Path(String),
    Query(String),
}

fn probe() -> impl Strategy<Value = Probe> {
    prop_oneof![
        prop::collection::vec(any::<u8>(), 0..300).prop_map(Probe::Bytes),
        any_json().prop_map(Probe::Json),
        // Never a token id: the path is a token to revoke, and revoking
        // the admin token the test itself uses (1 run in about 30 drew
        // its id) made every later request, the metrics too, a 401.
        "[ -~]{0,40}"
            .prop_filter("not a token id", |path| path.parse::<i64>().is_err())
            .prop_map(Probe::Path),
        "[ -~]{0,40}".prop_map(Probe::Query),
    ]
}

#[test]
fn random_requests_never_cause_server_errors() {
    let runtime = tokio::runtime::Runtime::new().expect("runtime");
    let test = runtime.block_on(TestServer::start(Backend::Sqlite));
    let mut runner = TestRunner::new(Config::with_cases(300));
    let seen = std::cell::RefCell::new(std::collections::BTreeSet::new());
    let outcome = runner.run(&probe(), |probe| {
        let shown = format!("{probe:?}");
        let status = runtime.block_on(async {
            let response = match probe {
                Probe::Bytes(bytes) => {
                    test.post_bytes("/api/v1/tokens", &test.admin, "application/json", bytes)
                        .await
                }
                Probe::Json(value) => test.post_json("/api/v1/tokens", &test.admin, &value).await,
                Probe::Path(path) => {
                    let path = format!("/api/v1/tokens/{}", urlencode(&path));
                    test.client
                        .delete(test.url(&path))
                        .bearer_auth(&test.admin)
                        .send()
                        .await
                        .expect("request")
                }
                Probe::Query(query) => {
                    test.get(
                        &format!("/api/v1/status?{}", urlencode(&query)),
                        Some(&test.admin),
                    )
                    .await
                }
            };
            let status = response.status().as_u16();
            if status >= 400 {
                let body: serde_json::Value = response.json().await.expect("error bodies are JSON");
                assert!(body["error"].is_string(), "{body}");
            }
            status
        });
        seen.borrow_mut().insert(status);
        prop_assert!(status < 500, "{shown} answered {status}");
        Ok(())
    });
    if let Err(failure) = outcome {
        panic!("{failure}");
    }
    // The probes reached past the extractors: some succeeded and some were
    // refused as the client's fault. (Which 4xx occur depends on the
    // random draw; requiring several made this test flaky.)
    let seen = seen.into_inner();
    assert!(seen.contains(&200), "statuses seen: {seen:?}");
    assert!(
        seen.iter().any(|s| (400..500).contains(s)),
        "statuses seen: {seen:?}"
    );
    let errors = runtime.block_on(test.metric("pagerbound_database_errors_total"));
    assert_eq!(errors, Some(0.0));
    runtime.block_on(test.stop());
}

/// Percent-encodes everything but unreserved characters, so any text can be
/// put in a path or query.
fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' | b'=' | b'&' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[tokio::test]
async fn valid_token_requests_still_work_after_the_noise() {
    let test = TestServer::start(Backend::Sqlite).await;
    let response = test
        .post_json("/api/v1/tokens", &test.admin, &json!({"user": "bob"}))
        .await;
    assert_eq!(response.status(), 201);
    let body: serde_json::Value = response.json().await.expect("json");
    assert_eq!(body["role"], "viewer", "the default role is the weakest");
    test.stop().await;
}
