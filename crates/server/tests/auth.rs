//! Authentication and roles over real HTTP: nothing is open but health.

mod common;

use common::{TestServer, error_body};
use pagerbound_core::Role;
use pagerbound_testkit::Backend;
use serde_json::json;

async fn health_is_open_and_the_api_is_not(backend: Backend) {
    let test = TestServer::start(backend).await;

    let health = test.get("/healthz", None).await;
    assert_eq!(health.status(), 200);
    let ready = test.get("/readyz", None).await;
    assert_eq!(ready.status(), 200);
    let ready: serde_json::Value = ready.json().await.expect("json");
    assert_eq!(
        ready["database"],
        if backend == Backend::Sqlite {
            "sqlite"
        } else {
            "postgres"
        }
    );

    for path in [
        "/api/v1/status",
        "/api/v1/teams",
        "/metrics",
        "/api/v1/tokens",
    ] {
        let response = test.get(path, None).await;
        assert_eq!(response.status(), 401, "{path}");
        assert_eq!(
            response
                .headers()
                .get("www-authenticate")
                .and_then(|v| v.to_str().ok()),
            Some("Bearer")
        );
        let body = error_body(response).await;
        assert_eq!(body["error"], "unauthorized");
    }

    let status = test.get("/api/v1/status", Some(&test.admin)).await;
    assert_eq!(status.status(), 200);
    let status: serde_json::Value = status.json().await.expect("json");
    assert_eq!(status["config"]["generation"], 1);
    assert_eq!(status["config"]["files"].as_array().map(Vec::len), Some(5));
    test.stop().await;
}

async fn wrong_and_revoked_tokens_get_the_same_answer(backend: Backend) {
    let test = TestServer::start(backend).await;
    let missing = error_body(test.get("/api/v1/whoami", None).await).await;
    let garbage = test
        .get("/api/v1/whoami", Some("pbt_not-a-real-token"))
        .await;
    assert_eq!(garbage.status(), 401);
    let garbage = error_body(garbage).await;
    assert_eq!(missing, garbage);

    let token = test.token("bob", Role::Responder).await;
    let whoami = test.get("/api/v1/whoami", Some(&token)).await;
    assert_eq!(whoami.status(), 200);
    let whoami: serde_json::Value = whoami.json().await.expect("json");
    assert_eq!(whoami["user"], "bob");
    assert_eq!(whoami["role"], "responder");

    let id = whoami["token_id"].as_i64().expect("id");
    let revoked = test
        .client
        .delete(test.url(&format!("/api/v1/tokens/{id}")))
        .bearer_auth(&test.admin)
        .send()
        .await
        .expect("revoke");
    assert_eq!(revoked.status(), 200);
    let after = test.get("/api/v1/whoami", Some(&token)).await;
    assert_eq!(after.status(), 401);
    assert_eq!(error_body(after).await, missing);
    test.stop().await;
}

async fn roles_limit_what_a_token_may_do(backend: Backend) {
    let test = TestServer::start(backend).await;
    let viewer = test.token("bob", Role::Viewer).await;
    assert_eq!(test.get("/api/v1/teams", Some(&viewer)).await.status(), 200);
    assert_eq!(test.get("/metrics", Some(&viewer)).await.status(), 200);

    let reload = test
        .client
        .post(test.url("/-/reload"))
        .bearer_auth(&viewer)
        .send()
        .await
        .expect("reload");
    assert_eq!(reload.status(), 403);
    let body = error_body(reload).await;
    assert_eq!(
        body["error"],
        "this needs the admin role; this token has the viewer role"
    );
    assert_eq!(
        test.get("/api/v1/tokens", Some(&viewer)).await.status(),
        403
    );
    test.stop().await;
}

async fn tokens_are_made_and_listed_through_the_api(backend: Backend) {
    let test = TestServer::start(backend).await;
    let created = test
        .post_json(
            "/api/v1/tokens",
            &test.admin,
            &json!({"user": "bob", "role": "responder", "description": "phone"}),
        )
        .await;
    assert_eq!(created.status(), 201);
    let created: serde_json::Value = created.json().await.expect("json");
    let token = created["token"]
        .as_str()
        .expect("token shown once")
        .to_owned();
    assert!(token.starts_with("pbt_"));
    assert_eq!(created["role"], "responder");

    let whoami: serde_json::Value = test
        .get("/api/v1/whoami", Some(&token))
        .await
        .json()
        .await
        .expect("json");
    assert_eq!(whoami["user"], "bob");

    let listed: serde_json::Value = test
        .get("/api/v1/tokens", Some(&test.admin))
        .await
        .json()
        .await
        .expect("json");
    let listed = listed.as_array().expect("array");
    assert_eq!(listed.len(), 2);
    assert!(
        listed
            .iter()
            .all(|t| t.get("token").is_none() && t.get("digest").is_none()),
        "{listed:?}"
    );

    let unknown_user = test
        .post_json("/api/v1/tokens", &test.admin, &json!({"user": "mallory"}))
        .await;
    assert_eq!(unknown_user.status(), 400);
    assert_eq!(
        error_body(unknown_user).await["error"],
        "user `mallory` is not defined in the configuration"
    );
    let missing = test
        .client
        .delete(test.url("/api/v1/tokens/9999"))
        .bearer_auth(&test.admin)
        .send()
        .await
        .expect("revoke");
    assert_eq!(missing.status(), 404);
    test.stop().await;
}

async fn removing_a_user_from_the_configuration_removes_their_access(backend: Backend) {
    let test = TestServer::start(backend).await;
    let token = test.token("bob", Role::Viewer).await;
    assert_eq!(test.get("/api/v1/whoami", Some(&token)).await.status(), 200);
    test.write_config(&[
        ("teams.yaml", "teams:\n  - name: payments\n    members: [alice]\n"),
        (
            "users.yaml",
            "users:\n  - name: alice\n    time_zone: Europe/Dublin\n    contact_methods: [{channel: dev-log}]\n",
        ),
    ]);
    assert_eq!(test.reload().await.status(), 200);
    assert_eq!(test.get("/api/v1/whoami", Some(&token)).await.status(), 401);
    assert_eq!(
        test.get("/api/v1/whoami", Some(&test.admin)).await.status(),
        200
    );
    test.stop().await;
}

on_both_backends!(
    health_is_open_and_the_api_is_not,
    wrong_and_revoked_tokens_get_the_same_answer,
    roles_limit_what_a_token_may_do,
    tokens_are_made_and_listed_through_the_api,
    removing_a_user_from_the_configuration_removes_their_access,
);
