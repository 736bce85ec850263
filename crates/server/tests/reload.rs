//! Reloading the configuration: a broken one is refused and the running one
//! stays; a good one is applied; both show in `/metrics`.

mod common;

use common::{TestServer, error_body};
use pagerbound_testkit::Backend;

async fn teams(test: &TestServer) -> Vec<String> {
    let teams: serde_json::Value = test
        .get("/api/v1/teams", Some(&test.admin))
        .await
        .json()
        .await
        .expect("json");
    teams
        .as_array()
        .expect("array")
        .iter()
        .map(|t| t["name"].as_str().expect("name").to_owned())
        .collect()
}

async fn a_broken_reload_keeps_the_old_configuration(backend: Backend) {
    let test = TestServer::start(backend).await;
    assert_eq!(teams(&test).await, ["payments"]);

    test.write_config(&[(
        "teams.yaml",
        "teams:\n  - name: payments\n    members: [alice, bob]\n  - name: search\n    membres: [alice]\n",
    )]);
    let refused = test.reload().await;
    assert_eq!(refused.status(), 422);
    let body = error_body(refused).await;
    assert_eq!(
        body["error"],
        "configuration refused with 1 error(s); the running configuration (generation 1) stays in force"
    );
    let error = &body["detail"]["errors"][0];
    assert!(
        error["file"]
            .as_str()
            .expect("file")
            .ends_with("teams.yaml"),
        "{error}"
    );
    assert_eq!(error["line"], 5);
    assert_eq!(error["column"], 5);
    assert_eq!(
        error["message"],
        "unknown field `membres`, did you mean `members`?"
    );

    assert_eq!(
        teams(&test).await,
        ["payments"],
        "the old configuration still serves"
    );
    assert_eq!(
        test.metric("pagerbound_config_reloads_total{result=\"failure\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        test.metric("pagerbound_config_last_reload_successful")
            .await,
        Some(0.0)
    );
    let status: serde_json::Value = test
        .get("/api/v1/status", Some(&test.admin))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(status["config"]["generation"], 1);
    assert_eq!(status["config"]["last_reload"]["success"], false);

    test.write_config(&[(
        "teams.yaml",
        "teams:\n  - name: payments\n    members: [alice, bob]\n  - name: search\n    members: [alice]\n",
    )]);
    let applied = test.reload().await;
    assert_eq!(applied.status(), 200);
    let applied: serde_json::Value = applied.json().await.expect("json");
    assert_eq!(applied["generation"], 2);
    assert_eq!(teams(&test).await, ["payments", "search"]);
    assert_eq!(
        test.metric("pagerbound_config_reloads_total{result=\"success\"}")
            .await,
        Some(1.0)
    );
    assert_eq!(
        test.metric("pagerbound_config_last_reload_successful")
            .await,
        Some(1.0)
    );
    test.stop().await;
}

async fn settings_that_need_a_restart_are_reported(backend: Backend) {
    let test = TestServer::start(backend).await;
    test.write_config(&[("settings.yaml", "settings:\n  max_request_body: 8MiB\n")]);
    let applied: serde_json::Value = test.reload().await.json().await.expect("json");
    let restart = applied["restart_needed"].as_array().expect("list");
    assert_eq!(restart.len(), 1, "{applied}");
    assert!(
        restart[0]
            .as_str()
            .expect("text")
            .starts_with("settings.max_request_body"),
        "{applied}"
    );
    test.stop().await;
}

on_both_backends!(
    a_broken_reload_keeps_the_old_configuration,
    settings_that_need_a_restart_are_reported,
);
