//! Accepted means durable: alerts answered with 200 are still there after
//! the server is killed with SIGKILL, on both backends.

mod support;

use pagerbound_testkit::{Backend, TestDatabase, config_dir};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use support::{Serving, create_token, try_http};

const TOKEN: &str = "durability-test-token-0123456789";

fn config(digest: &str) -> tempfile::TempDir {
    config_dir(&[(
        "pagerbound.yaml",
        &format!(
            "\
teams:
  - name: ops
    members: [oncall]
users:
  - name: oncall
    time_zone: UTC
    contact_methods: [{{channel: log}}]
channels:
  - {{name: log, type: log}}
services:
  - {{name: api, team: ops, runbook: 'https://runbooks.example.com/api'}}
routes:
  service: api
  class: log
integrations:
  - name: load
    token: {{ sha256: {digest} }}
"
        ),
    )])
}

fn batch(sender: usize, number: usize) -> (String, Vec<String>) {
    let instances: Vec<String> = (0..10)
        .map(|i| format!("s{sender}-b{number}-i{i}"))
        .collect();
    let alerts: Vec<serde_json::Value> = instances
        .iter()
        .map(|instance| {
            serde_json::json!({
                "labels": {"alertname": "Durable", "instance": instance},
                "endsAt": "2099-01-01T00:00:00Z"
            })
        })
        .collect();
    (serde_json::Value::Array(alerts).to_string(), instances)
}

async fn accepted_alerts_survive_sigkill(backend: Backend) {
    let database = TestDatabase::new(backend).await;
    let dir = config(&pagerbound_core::token::TokenDigest::of(TOKEN).to_hex());
    let viewer = create_token(dir.path(), &database.location, "oncall", "viewer");
    let mut serving = Serving::start(dir.path(), &database.location);

    // Four senders post batches as fast as they are answered; the server is
    // killed in the middle of it.
    let accepted = Arc::new(Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let senders: Vec<_> = (0..4)
        .map(|sender| {
            let (address, accepted, stop) =
                (serving.address.clone(), accepted.clone(), stop.clone());
            std::thread::spawn(move || {
                for number in 0.. {
                    if stop.load(Ordering::Acquire) {
                        break;
                    }
                    let (body, instances) = batch(sender, number);
                    let answer = try_http(
                        &address,
                        "POST",
                        "/api/v2/alerts",
                        Some(&format!("Bearer {TOKEN}")),
                        Some(&body),
                    );
                    match answer {
                        Ok((200, _)) => accepted.lock().expect("lock").extend(instances),
                        Ok((status, body)) => panic!("unexpected answer {status}: {body}"),
                        // Killed: what was not answered was not accepted.
                        Err(_) => break,
                    }
                }
            })
        })
        .collect();
    while accepted.lock().expect("lock").len() < 2000 {
        std::thread::sleep(Duration::from_millis(5));
    }
    serving.kill();
    stop.store(true, Ordering::Release);
    for sender in senders {
        sender.join().expect("sender");
    }
    let accepted = accepted.lock().expect("lock").clone();

    let serving = Serving::start(dir.path(), &database.location);
    let stored = {
        let (status, body) = serving.get("/api/v2/alerts", &viewer);
        assert_eq!(status, 200, "{body}");
        let alerts: serde_json::Value = serde_json::from_str(&body).expect("alerts JSON");
        alerts
            .as_array()
            .expect("array")
            .iter()
            .filter_map(|a| a["labels"]["instance"].as_str().map(str::to_owned))
            .collect::<std::collections::BTreeSet<String>>()
    };
    let lost: Vec<&String> = accepted.iter().filter(|i| !stored.contains(*i)).collect();
    assert!(
        lost.is_empty(),
        "{} of {} accepted alerts were lost after SIGKILL, e.g. {:?}",
        lost.len(),
        accepted.len(),
        &lost[..lost.len().min(5)]
    );
    assert!(accepted.len() >= 2000);
}

#[tokio::test]
async fn sqlite_accepted_alerts_survive_sigkill() {
    accepted_alerts_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_accepted_alerts_survive_sigkill() {
    accepted_alerts_survive_sigkill(Backend::Postgres).await;
}
