//! A real server on port 0, with a temporary configuration and database,
//! and an HTTP client to talk to it.

#![allow(dead_code)]

pub mod browser;

use pagerbound_config::DatabaseLocation;
use pagerbound_core::Role;
use pagerbound_server::{ServeOptions, Server};
use pagerbound_testkit::{Backend, TestDatabase};
use std::path::Path;
use tempfile::TempDir;

/// A configuration with two teams' worth of objects.
pub const CONFIG: &[(&str, &str)] = &[
    (
        "teams.yaml",
        "teams:\n  - name: payments\n    members: [alice, bob]\n",
    ),
    (
        "users.yaml",
        "\
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: [{channel: dev-log}]
  - name: bob
    time_zone: America/New_York
    contact_methods: [{channel: dev-log}]
",
    ),
    (
        "services.yaml",
        "\
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
",
    ),
    (
        "channels.yaml",
        "channels:\n  - {name: dev-log, type: log}\n",
    ),
    (
        "routes.yaml",
        "routes:\n  service: checkout\n  class: ticket\n",
    ),
];

pub struct TestServer {
    pub server: Option<Server>,
    pub base: String,
    pub client: reqwest::Client,
    /// An admin token for alice.
    pub admin: String,
    pub config: TempDir,
    pub database: TestDatabase,
}

impl TestServer {
    pub async fn start(backend: Backend) -> TestServer {
        Self::start_with(backend, CONFIG, None).await
    }

    pub async fn start_with(
        backend: Backend,
        files: &[(&str, &str)],
        body_limit: Option<&str>,
    ) -> TestServer {
        let config = pagerbound_testkit::config_dir(files);
        if let Some(limit) = body_limit {
            pagerbound_testkit::write_files(
                config.path(),
                &[(
                    "settings.yaml",
                    &format!("settings:\n  max_request_body: {limit}\n"),
                )],
            );
        }
        let database = TestDatabase::new(backend).await;
        let server = Server::start(ServeOptions {
            config: config.path().to_owned(),
            database: Some(
                DatabaseLocation::parse(&database.location, Path::new(".")).expect("location"),
            ),
            listen: Some("127.0.0.1:0".parse().expect("address")),
        })
        .await
        .unwrap_or_else(|error| panic!("server did not start: {error:?}"));
        let base = format!("http://{}", server.local_addr());
        let mut test = TestServer {
            server: Some(server),
            base,
            client: reqwest::Client::new(),
            admin: String::new(),
            config,
            database,
        };
        test.admin = test.token("alice", Role::Admin).await;
        test
    }

    /// Issues a token the way `pagerbound token create` does.
    pub async fn token(&self, user: &str, role: Role) -> String {
        let state = self.server.as_ref().expect("running").state();
        let config = state.config.current();
        pagerbound_server::tokens::issue(state.store.as_ref(), &config.config, user, role, None)
            .await
            .expect("issue token")
            .token
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> reqwest::Response {
        let mut request = self.client.get(self.url(path));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        request.send().await.expect("request")
    }

    pub async fn post_json(
        &self,
        path: &str,
        token: &str,
        body: &serde_json::Value,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .json(body)
            .send()
            .await
            .expect("request")
    }

    pub async fn post_bytes(
        &self,
        path: &str,
        token: &str,
        content_type: &str,
        body: Vec<u8>,
    ) -> reqwest::Response {
        self.client
            .post(self.url(path))
            .bearer_auth(token)
            .header("content-type", content_type)
            .body(body)
            .send()
            .await
            .expect("request")
    }

    /// `GET path` as the admin, which must answer 200 with JSON.
    pub async fn get_json(&self, path: &str) -> serde_json::Value {
        let response = self.get(path, Some(&self.admin)).await;
        assert_eq!(response.status(), 200, "{path}");
        response.json().await.expect("json")
    }

    pub async fn reload(&self) -> reqwest::Response {
        self.client
            .post(self.url("/-/reload"))
            .bearer_auth(&self.admin)
            .send()
            .await
            .expect("request")
    }

    pub fn write_config(&self, files: &[(&str, &str)]) {
        pagerbound_testkit::write_files(self.config.path(), files);
    }

    /// The value of one sample in `/metrics`, e.g.
    /// `pagerbound_config_reloads_total{result="failure"}`.
    pub async fn metric(&self, sample: &str) -> Option<f64> {
        let text = self
            .get("/metrics", Some(&self.admin))
            .await
            .text()
            .await
            .expect("metrics");
        text.lines()
            .find_map(|line| line.strip_prefix(sample)?.trim().parse().ok())
    }

    pub async fn stop(mut self) {
        if let Some(server) = self.server.take() {
            server.shutdown().await.expect("clean shutdown");
        }
    }
}

/// Reads a JSON error body and checks its shape: `{"error": "...", ...}`.
pub async fn error_body(response: reqwest::Response) -> serde_json::Value {
    let content_type = response
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "content type {content_type}"
    );
    let body: serde_json::Value = response.json().await.expect("JSON body");
    assert!(
        body["error"].as_str().is_some_and(|e| !e.is_empty()),
        "{body}"
    );
    body
}

/// Runs a scenario once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! on_both_backends {
    ($($scenario:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(pagerbound_testkit::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $scenario() {
                    super::$scenario(pagerbound_testkit::Backend::Postgres).await;
                }
            )*
        }
    };
}

/// How long to wait for what happens in the background, on a slow and
/// busy machine.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(60);

/// Polls `check` until it finds what it looks for, for up to [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, mut check: F) -> T
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = std::time::Instant::now() + PATIENCE;
    while std::time::Instant::now() < deadline {
        if let Some(found) = check().await {
            return found;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("timed out after {PATIENCE:?} waiting for {what}");
}

/// The common configuration with `files` added, each replacing the file
/// of the same name.
pub fn config_with(files: Vec<(&'static str, String)>) -> Vec<(&'static str, String)> {
    let mut all: Vec<(&'static str, String)> = CONFIG
        .iter()
        .filter(|(name, _)| !files.iter().any(|(replaced, _)| replaced == name))
        .map(|(name, text)| (*name, (*text).to_owned()))
        .collect();
    all.extend(files);
    all
}

/// `integrations.yaml` with these integrations and their tokens.
pub fn integrations(tokens: &[(&str, &str)]) -> (&'static str, String) {
    let mut text = String::from("integrations:\n");
    for (name, token) in tokens {
        text.push_str(&format!(
            "  - name: {name}\n    token: {{ sha256: {} }}\n",
            pagerbound_core::token::TokenDigest::of(token).to_hex()
        ));
    }
    ("integrations.yaml", text)
}

impl TestServer {
    /// Starts a server on these configuration files.
    pub async fn start_on(backend: Backend, files: &[(&'static str, String)]) -> TestServer {
        let borrowed: Vec<(&str, &str)> = files.iter().map(|(n, t)| (*n, t.as_str())).collect();
        TestServer::start_with(backend, &borrowed, None).await
    }
}

/// `users.yaml` and `teams.yaml` with three people in team payments
/// (alice, bob and carol), each reachable on the log channel.
pub fn three_people() -> Vec<(&'static str, String)> {
    vec![
        (
            "users.yaml",
            "\
users:
  - {name: alice, time_zone: Europe/Dublin, contact_methods: [{channel: dev-log}]}
  - {name: bob, time_zone: America/New_York, contact_methods: [{channel: dev-log}]}
  - {name: carol, time_zone: Europe/Dublin, contact_methods: [{channel: dev-log}]}
"
            .to_owned(),
        ),
        (
            "teams.yaml",
            "teams:\n  - name: payments\n    members: [alice, bob, carol]\n".to_owned(),
        ),
    ]
}
