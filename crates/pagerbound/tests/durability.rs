//! Accepted means durable: alerts answered with 200 are still there after
//! the server is killed with SIGKILL, on both backends.

use pagerbound_testkit::{Backend, TestDatabase, config_dir};
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

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

struct Serving {
    child: Child,
    address: String,
}

impl Serving {
    fn start(config: &Path, database: &str) -> Serving {
        let mut child = Command::new(env!("CARGO_BIN_EXE_pagerbound"))
            .args([
                "--log-format",
                "json",
                "serve",
                "--listen",
                "127.0.0.1:0",
                "--database",
                database,
            ])
            .arg("--config")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pagerbound");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, lines) = mpsc::channel::<serde_json::Value>();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if let Ok(value) = serde_json::from_str(&line)
                    && sender.send(value).is_err()
                {
                    break;
                }
            }
        });
        // Built first, so that its Drop kills the process if it never starts.
        let mut serving = Serving {
            child,
            address: String::new(),
        };
        loop {
            let line = lines
                .recv_timeout(Duration::from_secs(60))
                .expect("pagerbound did not start");
            if line["message"] == "pagerbound is listening." {
                serving.address = line["address"].as_str().expect("address").to_owned();
                return serving;
            }
        }
    }

    fn kill(&mut self) {
        let _ = self.child.kill(); // SIGKILL
        let _ = self.child.wait();
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.kill();
    }
}

/// Sends one request and answers the status, or `None` when the
/// connection failed (the server was killed).
fn post(address: &str, path: &str, body: &str) -> Option<(u16, String)> {
    let mut stream = TcpStream::connect(address).ok()?;
    stream
        .set_read_timeout(Some(Duration::from_secs(30)))
        .ok()?;
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: pb\r\nAuthorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .ok()?;
    let mut response = String::new();
    stream.read_to_string(&mut response).ok()?;
    let status = response.split_whitespace().nth(1)?.parse().ok()?;
    let body = response
        .split_once("\r\n\r\n")
        .map(|(_, b)| b.to_owned())
        .unwrap_or_default();
    Some((status, body))
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
    let output = Command::new(env!("CARGO_BIN_EXE_pagerbound"))
        .args([
            "token",
            "create",
            "--user",
            "oncall",
            "--role",
            "viewer",
            "--database",
            &database.location,
        ])
        .arg("--config")
        .arg(dir.path())
        .output()
        .expect("token create");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let viewer = String::from_utf8(output.stdout)
        .expect("utf-8")
        .trim()
        .to_owned();
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
                    match post(&address, "/api/v2/alerts", &body) {
                        Some((200, _)) => accepted.lock().expect("lock").extend(instances),
                        Some((status, body)) => panic!("unexpected answer {status}: {body}"),
                        None => break,
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
        let mut stream = TcpStream::connect(&serving.address).expect("connect");
        write!(
            stream,
            "GET /api/v2/alerts HTTP/1.1\r\nHost: pb\r\nAuthorization: Bearer {viewer}\r\nConnection: close\r\n\r\n"
        )
        .expect("send");
        let mut response = String::new();
        stream.read_to_string(&mut response).expect("read");
        let body = response
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_owned())
            .unwrap_or_default();
        let body = if response.contains("Transfer-Encoding: chunked")
            || response.contains("transfer-encoding: chunked")
        {
            dechunk(&body)
        } else {
            body
        };
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

/// Undoes HTTP/1.1 chunked transfer encoding.
fn dechunk(body: &str) -> String {
    let mut out = String::new();
    let mut rest = body;
    while let Some((size, after)) = rest.split_once("\r\n") {
        let Ok(size) = usize::from_str_radix(size.trim(), 16) else {
            break;
        };
        if size == 0 || after.len() < size {
            break;
        }
        out.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    out
}

#[tokio::test]
async fn sqlite_accepted_alerts_survive_sigkill() {
    accepted_alerts_survive_sigkill(Backend::Sqlite).await;
}

#[tokio::test]
async fn postgres_accepted_alerts_survive_sigkill() {
    accepted_alerts_survive_sigkill(Backend::Postgres).await;
}
