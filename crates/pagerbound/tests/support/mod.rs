//! What the compatibility tests share: `pagerbound serve` as a subprocess,
//! a real Prometheus, a tiny metrics target, raw HTTP, and polling.
//!
//! Every process started here is killed when its handle is dropped, also
//! when the test fails; a failing test prints the tail of each process's log.

// Each test file uses a different part of this module.
#![allow(dead_code)]

pub mod receiver;

use serde_json::Value;
use std::fmt::Write as _;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// How long anything may take to happen on a slow, busy machine.
pub const PATIENCE: Duration = Duration::from_secs(60);
/// How often to look again.
pub const POLL: Duration = Duration::from_millis(200);

/// A tool the tests drive, which `.ci/setup` installs from Debian. Missing
/// tools fail the test: they are never skipped.
pub fn require_tool(path: &str, package: &str) -> PathBuf {
    let path = PathBuf::from(path);
    assert!(
        path.is_file(),
        "{} is missing; `.ci/setup` installs it (Debian package `{package}`)",
        path.display()
    );
    path
}

/// A port that was free a moment ago on loopback.
pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("bind a free port on loopback")
        .port()
}

/// Calls `check` every [`POLL`] until it returns `Ok`, for at most
/// `timeout`. `Err` carries what was seen, for the failure message.
pub fn wait_until<T>(
    timeout: Duration,
    what: &str,
    mut check: impl FnMut() -> Result<T, String>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match check() {
            Ok(value) => return value,
            Err(seen) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last seen: {seen}")
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Sends one HTTP/1.1 request (`Connection: close`) and returns the status
/// and body. `authorization` is the whole header value, if any.
pub fn http(
    address: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> (u16, String) {
    try_http(address, method, path, authorization, body)
        .unwrap_or_else(|e| panic!("{method} {path} on {address}: {e}"))
}

/// [`http`], answering an error instead of failing the test when the
/// connection fails (a server being killed, say).
pub fn try_http(
    address: &str,
    method: &str,
    path: &str,
    authorization: Option<&str>,
    body: Option<&str>,
) -> std::io::Result<(u16, String)> {
    let mut request = format!("{method} {path} HTTP/1.1\r\nHost: {address}\r\n");
    if let Some(value) = authorization {
        let _ = write!(request, "Authorization: {value}\r\n");
    }
    if let Some(body) = body {
        let _ = write!(
            request,
            "Content-Type: application/json\r\nContent-Length: {}\r\n",
            body.len()
        );
    }
    request.push_str("Connection: close\r\n\r\n");
    request.push_str(body.unwrap_or_default());

    let mut stream = TcpStream::connect(address)?;
    stream.set_read_timeout(Some(PATIENCE))?;
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let status = response
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| std::io::Error::other(format!("no HTTP status in {response:?}")))?;
    let (head, body) = response.split_once("\r\n\r\n").unwrap_or((&response, ""));
    let chunked = head.lines().any(|line| {
        let line = line.to_ascii_lowercase();
        line.starts_with("transfer-encoding:") && line.contains("chunked")
    });
    let body = if chunked {
        dechunk(body)
    } else {
        body.to_owned()
    };
    Ok((status, body))
}

/// The body of a `Transfer-Encoding: chunked` response.
fn dechunk(mut rest: &str) -> String {
    let mut body = String::new();
    while let Some((size, after)) = rest.split_once("\r\n") {
        let size =
            usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16).unwrap_or(0);
        if size == 0 || after.len() < size {
            break;
        }
        body.push_str(&after[..size]);
        rest = after[size..].trim_start_matches("\r\n");
    }
    body
}

/// A configuration for the checkout service: alerts that name an SLO
/// (`slo=~".+"`) are pages, everything else is a ticket, with short timers.
/// `digest` is the SHA-256 of the `prometheus` integration's token.
pub fn checkout_config(digest: &str) -> String {
    format!(
        r#"settings:
  resolve_timeout: 5m
teams:
  - name: payments
    members: [alice, bob]
users:
  - name: alice
    time_zone: Europe/Dublin
    contact_methods: [{{channel: dev-log}}]
  - name: bob
    time_zone: UTC
    contact_methods: [{{channel: dev-log}}]
channels:
  - {{name: dev-log, type: log}}
services:
  - name: checkout
    team: payments
    runbook: https://runbooks.example.com/checkout
integrations:
  - name: prometheus
    token: {{ sha256: {digest} }}
routes:
  service: checkout
  class: ticket
  group_by: [alertname, service]
  group_wait: 0s
  group_interval: 1s
  repeat_interval: 1h
  routes:
    - name: checkout-slo
      matchers: ['service="checkout"', 'slo=~".+"']
      service: checkout
      class: page
"#
    )
}

/// `text` for a query string: everything but unreserved characters
/// percent-encoded.
pub fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A fresh integration token and its SHA-256 digest, from
/// `pagerbound integration token`.
pub fn integration_token(name: &str) -> (String, String) {
    let output = pagerbound()
        .args(["integration", "token", "--name", name])
        .output()
        .expect("run pagerbound integration token");
    assert!(output.status.success(), "{}", stderr(&output));
    let token = stdout(&output).trim().to_owned();
    let snippet = stderr(&output);
    let digest = snippet
        .split("sha256: ")
        .nth(1)
        .and_then(|rest| rest.split_whitespace().next())
        .unwrap_or_else(|| panic!("no digest in {snippet:?}"))
        .to_owned();
    (token, digest)
}

pub fn pagerbound() -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pagerbound"));
    command
        .env_remove("PAGERBOUND_CONFIG")
        .env_remove("PAGERBOUND_DATABASE")
        .env_remove("PAGERBOUND_LOG");
    command
}

/// Shared lines of a process's output, kept to show when a test fails.
type Log = Arc<Mutex<Vec<String>>>;

fn log_tail(log: &Log, lines: usize) -> String {
    let log = log.lock().unwrap_or_else(|e| e.into_inner());
    log[log.len().saturating_sub(lines)..].join("\n")
}

/// An API token, from `pagerbound token create`.
pub fn create_token(config: &Path, database: &str, user: &str, role: &str) -> String {
    let output = pagerbound()
        .args(["token", "create", "--user", user, "--role", role])
        .args(["--database", database])
        .arg("--config")
        .arg(config)
        .output()
        .expect("run pagerbound token create");
    assert!(output.status.success(), "{}", stderr(&output));
    stdout(&output).trim().to_owned()
}

/// A running `pagerbound serve` on a loopback port chosen by the OS, with
/// its JSON log lines. Killed (SIGKILL) when dropped; a failing test
/// prints the end of its log.
pub struct Serving {
    pub child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    log: Log,
    /// Each log line as it comes, for [`Serving::wait_for`].
    lines: mpsc::Receiver<Value>,
}

impl Serving {
    /// Starts the server and waits until it listens.
    pub fn start(config: &Path, database: &str) -> Serving {
        let mut child = pagerbound()
            .args(["--log-format", "json", "serve", "--listen", "127.0.0.1:0"])
            .args(["--database", database])
            .arg("--config")
            .arg(config)
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start pagerbound serve");
        let stderr = child.stderr.take().expect("stderr");
        let (sender, lines) = mpsc::channel();
        let log = Log::default();
        let kept = Arc::clone(&log);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                let value =
                    serde_json::from_str(&line).unwrap_or_else(|_| Value::String(line.clone()));
                kept.lock().unwrap_or_else(|e| e.into_inner()).push(line);
                // The test may have stopped listening; the log is still kept.
                let _ = sender.send(value);
            }
        });
        // Built first, so that its Drop kills the process if it never starts.
        let mut serving = Serving {
            child,
            address: String::new(),
            log,
            lines,
        };
        let listening = serving.wait_for("pagerbound is listening.");
        serving.address = listening["address"]
            .as_str()
            .expect("the address it listens on")
            .to_owned();
        serving
    }

    /// Waits for the log line with this message and answers it.
    pub fn wait_for(&mut self, message: &str) -> Value {
        let deadline = Instant::now() + PATIENCE;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) if line["message"] == message => return line,
                Ok(_) => {}
                Err(_) => panic!(
                    "pagerbound never logged {message:?}; its log:\n{}",
                    log_tail(&self.log, 50)
                ),
            }
        }
    }

    /// Sends the signal `name` (`HUP`, `TERM`, ...).
    pub fn signal(&self, name: &str) {
        let status = Command::new("kill")
            .args([format!("-{name}"), self.child.id().to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -{name} failed");
    }

    /// SIGKILL, and waits for the process to be gone.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.address)
    }

    /// `GET path` with an API token.
    pub fn get(&self, path: &str, token: &str) -> (u16, String) {
        http(
            &self.address,
            "GET",
            path,
            Some(&format!("Bearer {token}")),
            None,
        )
    }

    /// `GET path` with an API token; the JSON answer, which must be 200.
    pub fn get_json(&self, path: &str, token: &str) -> Value {
        let (status, body) = self.get(path, token);
        assert_eq!(status, 200, "GET {path}: {body}");
        serde_json::from_str(&body).unwrap_or_else(|e| panic!("GET {path}: {e}: {body}"))
    }

    /// `POST path` with a JSON body and a whole `Authorization` value.
    pub fn post(&self, path: &str, authorization: &str, body: &str) -> (u16, String) {
        http(&self.address, "POST", path, Some(authorization), Some(body))
    }

    /// The value of one sample of pagerbound's own `/metrics` (0 if absent).
    pub fn metric(&self, series: &str, token: &str) -> f64 {
        let (status, body) = self.get("/metrics", token);
        assert_eq!(status, 200, "GET /metrics: {body}");
        sample(&body, series)
    }

    /// The last lines of the server's log.
    pub fn log(&self) -> String {
        log_tail(&self.log, 40)
    }
}

impl Drop for Serving {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("--- pagerbound's log (last lines) ---\n{}", self.log());
        }
    }
}

/// A configuration checked by `pagerbound check` and a SQLite database,
/// each in a temporary directory, and the server once started.
pub struct Pagerbound {
    serving: Option<Serving>,
    config: TempDir,
    data: TempDir,
}

impl Pagerbound {
    /// Writes the configuration files; the server starts with [`start`].
    ///
    /// [`start`]: Pagerbound::start
    pub fn configure(files: &[(&str, &str)]) -> Pagerbound {
        let config = tempfile::tempdir().expect("temporary directory");
        for (name, contents) in files {
            std::fs::write(config.path().join(name), contents).expect("write configuration");
        }
        let check = pagerbound()
            .arg("check")
            .arg(config.path())
            .output()
            .expect("run pagerbound check");
        assert!(
            check.status.success(),
            "the test configuration is refused:\n{}{}",
            stdout(&check),
            stderr(&check)
        );
        Pagerbound {
            serving: None,
            config,
            data: tempfile::tempdir().expect("temporary directory"),
        }
    }

    /// The configuration directory.
    pub fn config_path(&self) -> &Path {
        self.config.path()
    }

    /// The database, as `--database` takes it.
    pub fn database(&self) -> String {
        format!(
            "sqlite:{}",
            self.data.path().join("pagerbound.db").display()
        )
    }

    /// An API token, from `pagerbound token create`.
    pub fn create_token(&self, user: &str, role: &str) -> String {
        create_token(self.config.path(), &self.database(), user, role)
    }

    /// Starts the server and waits until it listens.
    pub fn start(&mut self) {
        self.serving = Some(Serving::start(self.config.path(), &self.database()));
    }

    /// Kills the server with SIGKILL; [`start`] starts it again on the
    /// same database.
    ///
    /// [`start`]: Pagerbound::start
    pub fn kill(&mut self) {
        if let Some(mut serving) = self.serving.take() {
            serving.kill();
        }
    }
}

/// Once started, a `Pagerbound` is used as its server.
impl std::ops::Deref for Pagerbound {
    type Target = Serving;

    fn deref(&self) -> &Serving {
        self.serving
            .as_ref()
            .expect("the server is started first (Pagerbound::start)")
    }
}

/// The sum of the samples of `series` (a name with or without labels, as
/// written at the start of the line) in Prometheus text; 0 if absent.
pub fn sample(text: &str, series: &str) -> f64 {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .filter_map(|line| {
            let rest = line.strip_prefix(series)?;
            // The whole name: not a longer name, not other labels.
            if !(rest.starts_with(' ') || (!series.contains('{') && rest.starts_with('{'))) {
                return None;
            }
            let value = if rest.starts_with('{') {
                rest.rsplit_once('}')?.1
            } else {
                rest
            };
            value.split_whitespace().next()?.parse::<f64>().ok()
        })
        .sum()
}

/// What a [`MetricsTarget`] serves, made at each scrape.
type Exposition = Arc<dyn Fn() -> String + Send + Sync>;

/// A scrape target on loopback serving one gauge the test sets, or any
/// text made at each scrape.
pub struct MetricsTarget {
    /// `127.0.0.1:PORT`.
    pub address: String,
    value: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsTarget {
    /// Serves `# TYPE name gauge` and `name VALUE` at any path.
    pub fn start(name: &str, initial: u64) -> MetricsTarget {
        let value = Arc::new(AtomicU64::new(initial));
        let (gauge, name) = (Arc::clone(&value), name.to_owned());
        let mut target = MetricsTarget::serving(move || {
            format!(
                "# HELP {name} Set by the test.\n# TYPE {name} gauge\n{name} {}\n",
                gauge.load(Ordering::SeqCst)
            )
        });
        target.value = value;
        target
    }

    /// Serves what `exposition` makes, at each scrape, at any path.
    pub fn serving(exposition: impl Fn() -> String + Send + Sync + 'static) -> MetricsTarget {
        let exposition: Exposition = Arc::new(exposition);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the metrics target");
        let address = listener.local_addr().expect("address").to_string();
        let value = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                for stream in listener.incoming() {
                    if stop.load(Ordering::SeqCst) {
                        break;
                    }
                    if let Ok(stream) = stream {
                        serve_one(stream, &exposition());
                    }
                }
            })
        };
        MetricsTarget {
            address,
            value,
            stop,
            thread: Some(thread),
        }
    }

    pub fn set(&self, value: u64) {
        self.value.store(value, Ordering::SeqCst);
    }
}

/// Reads one request's head and answers it with `text`.
fn serve_one(mut stream: TcpStream, text: &str) {
    let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
    let mut head = Vec::new();
    let mut buffer = [0u8; 1024];
    while !head.windows(4).any(|w| w == b"\r\n\r\n") {
        match stream.read(&mut buffer) {
            Ok(0) | Err(_) => return,
            Ok(n) => head.extend_from_slice(&buffer[..n]),
        }
    }
    let response = format!(
        "HTTP/1.1 200 OK\r\nContent-Type: text/plain; version=0.0.4\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{text}",
        text.len()
    );
    let _ = stream.write_all(response.as_bytes());
    let _ = stream.shutdown(Shutdown::Both);
}

impl Drop for MetricsTarget {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        // Wake the accepting thread so that it sees `stop`.
        let _ = TcpStream::connect(&self.address);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// A real Prometheus (`/usr/bin/prometheus`) on a loopback port, its
/// configuration and storage in a temporary directory.
pub struct Prometheus {
    child: Child,
    /// `127.0.0.1:PORT`.
    pub address: String,
    log_path: PathBuf,
    name: String,
    /// Configuration, storage and log; removed after the process stops.
    dir: Option<TempDir>,
}

impl Prometheus {
    /// Writes `prometheus.yml` and `rules.yml` (which the configuration
    /// names as `rule_files: [rules.yml]`), checks them with `promtool`,
    /// starts Prometheus and waits until it is ready. `name` tells this
    /// Prometheus apart in failure messages.
    pub fn start(name: &str, config: &str, rules: &str) -> Prometheus {
        let prometheus = require_tool("/usr/bin/prometheus", "prometheus");
        let promtool = require_tool("/usr/bin/promtool", "prometheus");
        let dir = tempfile::tempdir().expect("temporary directory");
        let config_path = dir.path().join("prometheus.yml");
        std::fs::write(&config_path, config).expect("write prometheus.yml");
        std::fs::write(dir.path().join("rules.yml"), rules).expect("write rules.yml");
        let check = Command::new(promtool)
            .args(["check", "config"])
            .arg(&config_path)
            .output()
            .expect("run promtool check config");
        assert!(
            check.status.success(),
            "promtool refuses the {name} configuration:\n{}{}\n{config}",
            stdout(&check),
            stderr(&check)
        );

        let log_path = dir.path().join("prometheus.log");
        let mut dir = Some(dir);
        // The port is free when chosen but may be taken before Prometheus
        // binds it: then try another.
        for attempt in 1.. {
            let log = std::fs::File::create(&log_path).expect("create the log file");
            let address = format!("127.0.0.1:{}", free_port());
            let data = config_path.with_file_name("data");
            let child = Command::new(&prometheus)
                .arg(format!("--config.file={}", config_path.display()))
                .arg(format!("--storage.tsdb.path={}", data.display()))
                .arg(format!("--web.listen-address={address}"))
                // Re-send firing alerts soon, in case the first notification
                // went out before the alertmanager was discovered.
                .arg("--rules.alert.resend-delay=2s")
                .arg("--log.level=debug")
                .stdin(Stdio::null())
                .stdout(log.try_clone().expect("log file"))
                .stderr(log)
                .spawn()
                .expect("start prometheus");
            let mut started = Prometheus {
                child,
                address,
                log_path: log_path.clone(),
                name: name.to_owned(),
                dir: dir.take(),
            };
            let ready = wait_until(
                PATIENCE,
                &format!("Prometheus ({name}) to be ready"),
                || {
                    if let Ok(Some(status)) = started.child.try_wait() {
                        return Ok(Some(status));
                    }
                    TcpStream::connect(&started.address).map_err(|e| e.to_string())?;
                    match http(&started.address, "GET", "/-/ready", None, None) {
                        (200, _) => Ok(None),
                        (status, body) => Err(format!("{status} {body}")),
                    }
                },
            );
            match ready {
                None => return started,
                Some(_) if attempt < 3 && started.log().contains("address already in use") => {
                    let _ = started.child.wait();
                    dir = started.dir.take();
                }
                Some(status) => panic!(
                    "Prometheus ({name}) exited with {status}:\n{}",
                    started.log()
                ),
            }
        }
        unreachable!("the loop returns or panics")
    }

    /// The sum of the samples of `series` on Prometheus's own `/metrics`.
    pub fn metric(&self, series: &str) -> f64 {
        let (status, body) = http(&self.address, "GET", "/metrics", None, None);
        assert_eq!(status, 200, "Prometheus /metrics: {body}");
        sample(&body, series)
    }

    /// Prometheus's `GET /api/v1/alerts`: its own view of its alerts.
    pub fn alerts(&self) -> Value {
        let (status, body) = http(&self.address, "GET", "/api/v1/alerts", None, None);
        assert_eq!(status, 200, "Prometheus /api/v1/alerts: {body}");
        serde_json::from_str(&body).expect("JSON from Prometheus")
    }

    /// The last lines of Prometheus's log.
    pub fn log(&self) -> String {
        let text = std::fs::read_to_string(&self.log_path).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            eprintln!(
                "--- Prometheus ({}) log (last lines) ---\n{}",
                self.name,
                self.log()
            );
        }
    }
}

/// Runs `amtool` against `url` with an HTTP client configuration file.
pub fn amtool(url: &str, http_config: &Path, args: &[&str]) -> Output {
    let amtool = require_tool("/usr/bin/amtool", "prometheus-alertmanager");
    Command::new(amtool)
        .arg(format!("--alertmanager.url={url}"))
        .arg(format!("--http.config.file={}", http_config.display()))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run amtool")
}

/// Runs a client command (`pages`, `ack`, `oncall`, ...) against `server`
/// with `--server` and `--token`, ignoring the environment and any client
/// configuration file.
pub fn run_client(server: &Pagerbound, token: &str, args: &[&str]) -> Output {
    pagerbound()
        .env_remove("PAGERBOUND_SERVER")
        .env_remove("PAGERBOUND_TOKEN")
        .env("XDG_CONFIG_HOME", "/nonexistent")
        .args(args)
        .args(["--server", &server.url(), "--token", token])
        .output()
        .expect("run pagerbound")
}

/// The standard output of a command that must have succeeded.
pub fn succeeds(output: Output) -> String {
    assert!(
        output.status.success(),
        "{}{}",
        stdout(&output),
        stderr(&output)
    );
    stdout(&output)
}
