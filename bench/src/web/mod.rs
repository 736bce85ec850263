//! The web UI's server time: the pages the person on call opens (Now, the
//! alert search, the list of pages and tickets), answered with a realistic
//! history behind them: 100,000 alerts and 10,000 pages and tickets over
//! 30 days, a few hundred of them open, several services, schedules and
//! SLOs (issue 7's target: p99 under 50 ms).
//!
//! The history is written through the store API, the crates the server
//! itself uses, on either backend. That is the fast way to it, and the only
//! one that reaches back: ingest can only make alerts that fire now, and
//! only the engine opens pages. What is still open is left to the server:
//! the firing alerts are written too, and a preparation run of the server
//! groups them and opens their pages and tickets as it would in
//! production, and raises the burn alerts of the SLOs whose budget burns.
//!
//! Each measured run then starts a fresh server on that database, signs in
//! over HTTP as a responder (the sign-in form, its CSRF token, the session
//! cookie), and times GET requests one after another on one keep-alive
//! connection, asking for gzip as browsers do: from sending the request to
//! the last byte of the answer, so the figures include compression and the
//! loopback transfer. The server's own measure of each route, from its
//! `/metrics`, is reported beside them.

use crate::ingest::thousands;
use crate::pagerbound::{Database, Pagerbound};
use crate::procstat;
use crate::stats::{Spread, percentile};
use anyhow::{Context as _, Result, bail, ensure};
use reqwest::Url;
use reqwest::header::{
    ACCEPT_ENCODING, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, LOCATION, SET_COOKIE,
};
use serde::Serialize;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod config;
mod history;

pub use config::config_yaml;
pub use history::{History, selective_alertname};
use history::{Prepared, prepare};

/// The issue's target for every view, at the 99th percentile.
pub const TARGET: Duration = Duration::from_millis(50);

/// How much history, and how many requests.
#[derive(Debug, Clone, Serialize)]
pub struct WebOptions {
    /// Alerts written in all, firing ones included.
    pub alerts: usize,
    /// Pages and tickets in all, with those the server opens.
    pub pages: usize,
    /// Runs per figure, each a fresh server on the same database.
    pub runs: usize,
    /// Timed requests per view and run.
    pub requests: usize,
    /// Untimed requests per view before them.
    pub warmup: usize,
    /// The longest a view is timed for in one run (and warmed up for): a
    /// view that takes a second an answer stops at this, with fewer
    /// requests.
    #[serde(serialize_with = "seconds")]
    pub view_time: Duration,
    /// Where to write the last answer of each view, to see what was
    /// measured.
    #[serde(skip)]
    pub answers: Option<PathBuf>,
    /// Only these views (by [`View::key`]); all when empty.
    pub only: Vec<String>,
    /// A CSV file to append every timed request to, to see how the times
    /// are spread over a run.
    #[serde(skip)]
    pub samples: Option<PathBuf>,
}

impl WebOptions {
    pub fn full() -> Self {
        Self {
            alerts: 100_000,
            pages: 10_000,
            runs: 3,
            requests: 500,
            warmup: 50,
            view_time: Duration::from_secs(120),
            answers: None,
            only: Vec::new(),
            samples: None,
        }
    }

    /// A tenth of the history and a few requests: the whole path, briefly.
    pub fn quick() -> Self {
        Self {
            alerts: 10_000,
            pages: 1_000,
            runs: 1,
            requests: 20,
            warmup: 5,
            view_time: Duration::from_secs(10),
            answers: None,
            only: Vec::new(),
            samples: None,
        }
    }
}

// ---- the measurement -----------------------------------------------------

/// One page of the UI, as requested.
#[derive(Debug, Clone, Serialize)]
pub struct View {
    /// What `--view` calls it.
    pub key: &'static str,
    pub name: String,
    /// Path and query.
    pub path: String,
}

/// What `--view` accepts.
pub const VIEW_KEYS: [&str; 5] = [
    "now",
    "alerts-alertname",
    "alerts-service",
    "alerts-firing",
    "pages",
];

/// The views measured: Now, the alert search (one alertname, one service,
/// and the default of every firing alert), and the list of pages.
pub fn views() -> Vec<View> {
    let search = |key: &'static str, name: &str, filter: &str, state: &str, since: &str| {
        let mut query = Url::parse("http://localhost/alerts").ok();
        if let Some(url) = &mut query {
            url.query_pairs_mut()
                .append_pair("filter", filter)
                .append_pair("state", state)
                .append_pair("since", since);
        }
        View {
            key,
            name: name.to_owned(),
            path: query.map_or_else(
                || "/alerts".to_owned(),
                |url| format!("/alerts?{}", url.query().unwrap_or_default()),
            ),
        }
    };
    vec![
        View {
            key: "now",
            name: "Now".to_owned(),
            path: "/".to_owned(),
        },
        search(
            "alerts-alertname",
            "alerts: one alertname",
            &format!("{{alertname=\"{}\"}}", selective_alertname()),
            "all",
            "any",
        ),
        search(
            "alerts-service",
            "alerts: one service",
            "{service=\"checkout\"}",
            "all",
            "any",
        ),
        View {
            key: "alerts-firing",
            name: "alerts: firing (default)".to_owned(),
            path: "/alerts".to_owned(),
        },
        View {
            key: "pages",
            name: "pages and tickets".to_owned(),
            path: "/pages".to_owned(),
        },
    ]
}

/// What one run measured of one view.
#[derive(Debug, Clone, Serialize)]
pub struct RunFigures {
    /// Requests timed (fewer than asked when the view's time ran out).
    pub requests: usize,
    pub p50_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// The mean time the server itself took (its
    /// `pagerbound_http_request_duration_seconds` for the route, over the timed
    /// requests): from the request read to the answer ready to send.
    pub server_mean_ms: f64,
    /// CPU time of the server, and of every process but the server and
    /// the benchmark, during the timed requests, as a share of one core.
    pub server_cpu_share: f64,
    pub other_cpu_share: f64,
    /// Size of the last answer, and as sent (gzipped).
    pub bytes: usize,
    pub sent: usize,
    /// For the alert search, how many alerts it said matched.
    pub matched: Option<u64>,
}

/// One view over all runs.
#[derive(Debug, Clone, Serialize)]
pub struct ViewReport {
    pub view: View,
    /// Requests timed in the run that made the fewest.
    pub requests: usize,
    pub p50_ms: Spread,
    pub p99_ms: Spread,
    pub max_ms: Spread,
    pub server_mean_ms: Spread,
    pub server_cpu_share: Spread,
    pub other_cpu_share: Spread,
    pub bytes: usize,
    pub sent: usize,
    pub matched: Option<u64>,
    /// The median p99 is under [`TARGET`].
    pub met: bool,
    pub runs: Vec<RunFigures>,
}

#[derive(Debug, Clone, Serialize)]
pub struct WebReport {
    /// Version and backend, as the server reports them.
    pub target: String,
    pub history: History,
    pub options: WebOptions,
    pub views: Vec<ViewReport>,
}

/// The signed-in client: one connection, kept alive, no redirects
/// followed (a redirect to the sign-in form is a failure, not a page).
struct Browser {
    client: reqwest::Client,
    base: String,
    session: String,
}

impl Browser {
    async fn sign_in(base: &str, password: &str) -> Result<Self> {
        let client = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .tcp_nodelay(true)
            .pool_max_idle_per_host(1)
            .build()
            .context("an HTTP client")?;
        let form = client
            .get(format!("{base}/login"))
            .send()
            .await
            .context("GET /login")?;
        ensure!(form.status().is_success(), "GET /login: {}", form.status());
        let form_cookie = cookie_value(form.headers(), "pb_sign_in")
            .context("GET /login set no pb_sign_in cookie")?;
        let body = form.text().await.context("reading the sign-in form")?;
        let csrf = hidden_field(&body, "csrf").context("the sign-in form has no csrf field")?;
        let answer = client
            .post(format!("{base}/login"))
            .header(COOKIE, format!("pb_sign_in={form_cookie}"))
            .form(&[
                ("csrf", csrf.as_str()),
                ("user", "bench"),
                ("password", password),
            ])
            .send()
            .await
            .context("POST /login")?;
        ensure!(
            answer.status() == reqwest::StatusCode::SEE_OTHER,
            "signing in answered {} instead of a redirect",
            answer.status()
        );
        let session = cookie_value(answer.headers(), "pb_session")
            .context("signing in set no pb_session cookie")?;
        Ok(Self {
            client,
            base: base.to_owned(),
            session: format!("pb_session={session}"),
        })
    }

    /// One request, asking for gzip as browsers do: its time (to the last
    /// byte), its size as sent, and its body unpacked and checked to be the
    /// page asked for.
    async fn get(&self, path: &str) -> Result<Answer> {
        let started = Instant::now();
        let response = self
            .client
            .get(format!("{}{path}", self.base))
            .header(COOKIE, &self.session)
            .header(ACCEPT_ENCODING, "gzip, deflate, br, zstd")
            .send()
            .await
            .with_context(|| format!("GET {path}"))?;
        let status = response.status();
        let header = |name| {
            response
                .headers()
                .get(name)
                .and_then(|v: &reqwest::header::HeaderValue| v.to_str().ok())
                .map(str::to_owned)
        };
        let html = header(CONTENT_TYPE).is_some_and(|v| v.starts_with("text/html"));
        let gzipped = header(CONTENT_ENCODING).is_some_and(|v| v == "gzip");
        let location = header(LOCATION);
        let sent = response
            .bytes()
            .await
            .with_context(|| format!("reading GET {path}"))?;
        let took = started.elapsed();
        ensure!(
            status == reqwest::StatusCode::OK,
            "GET {path} answered {status}{}",
            location.map_or_else(String::new, |l| format!(" (to {l})"))
        );
        ensure!(html, "GET {path} did not answer HTML");
        let body = if gzipped {
            let mut body = Vec::new();
            flate2::read::GzDecoder::new(&sent[..])
                .read_to_end(&mut body)
                .with_context(|| format!("unpacking GET {path}"))?;
            body
        } else {
            sent.to_vec()
        };
        ensure!(
            !contains(&body, b"action=\"/login\""),
            "GET {path} answered the sign-in form"
        );
        Ok(Answer {
            took,
            sent: sent.len(),
            body,
        })
    }
}

/// What one request took and brought.
struct Answer {
    took: Duration,
    /// Bytes on the wire (gzipped).
    sent: usize,
    body: Vec<u8>,
}

impl Browser {
    /// The server's own time for `GET route` so far: the sum (seconds)
    /// and count of its `pagerbound_http_request_duration_seconds`
    /// histogram, read from `/metrics` with a viewer token.
    async fn server_time(&self, token: &str, route: &str) -> Result<(f64, f64)> {
        let text = self
            .client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(token)
            .send()
            .await
            .context("GET /metrics")?
            .error_for_status()
            .context("GET /metrics")?
            .text()
            .await
            .context("reading /metrics")?;
        Ok(histogram_sum_count(
            &text,
            "pagerbound_http_request_duration_seconds",
            &[("method", "GET"), ("route", route)],
        ))
    }
}

/// The `_sum` and `_count` of the series of histogram `name` with these
/// labels, in Prometheus's text format (0 when it has no such series yet).
fn histogram_sum_count(text: &str, name: &str, labels: &[(&str, &str)]) -> (f64, f64) {
    let value = |suffix: &str| {
        text.lines()
            .filter(|line| line.starts_with(&format!("{name}{suffix}{{")))
            .find(|line| {
                labels
                    .iter()
                    .all(|(k, v)| line.contains(&format!("{k}=\"{v}\"")))
            })
            .and_then(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
            .unwrap_or(0.0)
    };
    (value("_sum"), value("_count"))
}

/// The value of cookie `name` among the `Set-Cookie` headers.
fn cookie_value(headers: &reqwest::header::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next()?.trim().split_once('='))
        .find(|(key, value)| *key == name && !value.is_empty())
        .map(|(_, value)| value.to_owned())
}

/// The value of the form field `name` (`name="csrf" value="..."`).
fn hidden_field(html: &str, name: &str) -> Option<String> {
    let after = &html[html.find(&format!("name=\"{name}\""))?..];
    let value = &after[after.find("value=\"")? + "value=\"".len()..];
    Some(value[..value.find('"')?].to_owned())
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

/// How many alerts the search page says matched ("1234 alerts match",
/// "No alert matches.").
fn matched(html: &str) -> Option<u64> {
    if html.contains("No alert matches") {
        return Some(0);
    }
    let end = html
        .find(" alerts match")
        .or_else(|| html.find(" alert matches"))?;
    let digits: String = html[..end]
        .chars()
        .rev()
        .take_while(|c| c.is_ascii_digit() || *c == ',')
        .filter(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits.parse().ok()
}

/// One timed request: when in its view's timed part it was sent, and
/// how long it took.
struct Sample {
    view: &'static str,
    at: Duration,
    took: Duration,
}

/// Appends a run's requests to the samples file, one CSV line each.
fn write_samples(path: &Path, database: &str, run: usize, samples: &[Sample]) -> Result<()> {
    let new = !path.exists();
    let mut file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("opening {}", path.display()))?;
    let mut text = String::new();
    if new {
        text.push_str("database,run,view,at_ms,took_ms\n");
    }
    for sample in samples {
        text.push_str(&format!(
            "{database},{run},{},{:.3},{:.3}\n",
            sample.view,
            sample.at.as_secs_f64() * 1000.0,
            sample.took.as_secs_f64() * 1000.0
        ));
    }
    file.write_all(text.as_bytes())
        .with_context(|| format!("writing {}", path.display()))
}

/// One run: a fresh server on the prepared database, signed in, every
/// view in turn.
async fn measure_run(
    binary: &Path,
    database: &Database,
    prepared: &Prepared,
    views: &[View],
    options: &WebOptions,
) -> Result<(String, Vec<RunFigures>, Vec<Sample>)> {
    let server = Pagerbound::start(&prepared.server_options(binary, database)).await?;
    // Let the start-up work (the engine and the SLOs loading their state)
    // finish: the figures are about a server that is up, not starting.
    tokio::time::sleep(Duration::from_secs(2)).await;
    let browser = Browser::sign_in(server.url(), &prepared.password).await?;
    let mut figures = Vec::new();
    let mut samples = Vec::new();
    for view in views {
        let warming = Instant::now();
        for _ in 0..options.warmup {
            browser.get(&view.path).await?;
            if warming.elapsed() > options.view_time / 10 {
                break;
            }
        }
        let route = view.path.split('?').next().unwrap_or_default();
        let (sum_before, count_before) = browser.server_time(server.read_token(), route).await?;
        let server_cpu_before = procstat::cpu_seconds(server.pid())?;
        let own_cpu_before = procstat::own_cpu_seconds()?;
        let machine_before = procstat::machine_busy_seconds()?;
        let timing = Instant::now();
        let mut micros = Vec::with_capacity(options.requests);
        let mut last = Answer {
            took: Duration::ZERO,
            sent: 0,
            body: Vec::new(),
        };
        for _ in 0..options.requests.max(1) {
            let at = timing.elapsed();
            let answer = browser.get(&view.path).await?;
            micros.push(answer.took.as_micros() as u64);
            samples.push(Sample {
                view: view.key,
                at,
                took: answer.took,
            });
            last = answer;
            if timing.elapsed() > options.view_time {
                break;
            }
        }
        let elapsed = timing.elapsed().as_secs_f64().max(1e-9);
        let server_cpu = procstat::cpu_seconds(server.pid())? - server_cpu_before;
        let own_cpu = procstat::own_cpu_seconds()? - own_cpu_before;
        let machine = procstat::machine_busy_seconds()? - machine_before;
        let (sum_after, count_after) = browser.server_time(server.read_token(), route).await?;
        let server_mean_ms =
            (sum_after - sum_before) / (count_after - count_before).max(1.0) * 1000.0;
        if let Some(dir) = &options.answers {
            let file = dir.join(format!(
                "{}-{}.html",
                server.version().replace([' ', '(', ')', '.'], ""),
                view.name.replace([' ', ':', '(', ')'], "")
            ));
            std::fs::create_dir_all(dir)
                .and_then(|()| std::fs::write(&file, &last.body))
                .with_context(|| format!("writing {}", file.display()))?;
        }
        micros.sort_unstable();
        let ms = |p: f64| percentile(&micros, p).map_or(f64::NAN, |us| us as f64 / 1000.0);
        let text = String::from_utf8_lossy(&last.body);
        figures.push(RunFigures {
            requests: micros.len(),
            p50_ms: ms(50.0),
            p99_ms: ms(99.0),
            max_ms: ms(100.0),
            server_mean_ms,
            server_cpu_share: server_cpu / elapsed,
            other_cpu_share: (machine - server_cpu - own_cpu).max(0.0) / elapsed,
            bytes: last.body.len(),
            sent: last.sent,
            matched: view
                .path
                .starts_with("/alerts")
                .then(|| matched(&text))
                .flatten(),
        });
    }
    Ok((server.version().to_owned(), figures, samples))
}

/// Prepares the history on `database`, then measures every view over
/// `options.runs` fresh servers.
pub async fn run(binary: &Path, database: &Database, options: &WebOptions) -> Result<WebReport> {
    let name = match database {
        Database::Sqlite => "sqlite",
        Database::Postgres { .. } => "postgres",
    };
    if !binary.exists() {
        bail!(
            "{} does not exist; build it with `cargo build --release -p pagerbound` (or pass --pagerbound)",
            binary.display()
        );
    }
    eprintln!(
        "web: {name}: writing {} alerts and {} pages and tickets",
        thousands(options.alerts as f64),
        thousands(options.pages as f64)
    );
    let prepared = prepare(binary, database, options).await?;
    eprintln!(
        "web: {name}: prepared in {:.0} s: {} alerts ({} firing), {} pages and tickets ({} open)",
        prepared.history.prepare_seconds,
        thousands(prepared.history.alerts as f64),
        thousands(prepared.history.firing as f64),
        thousands(prepared.history.pages as f64),
        thousands(prepared.history.open as f64),
    );
    let views: Vec<View> = views()
        .into_iter()
        .filter(|v| options.only.is_empty() || options.only.iter().any(|k| k == v.key))
        .collect();
    let mut target = String::new();
    let mut runs: Vec<Vec<RunFigures>> = Vec::new();
    for run in 0..options.runs.max(1) {
        eprintln!("web: {name}: run {} of {}", run + 1, options.runs.max(1));
        let (version, figures, samples) =
            measure_run(binary, database, &prepared, &views, options).await?;
        if let Some(path) = &options.samples {
            write_samples(path, name, run + 1, &samples)?;
        }
        target = format!("pagerbound {version}");
        runs.push(figures);
    }
    let reports = views
        .into_iter()
        .enumerate()
        .map(|(i, view)| {
            let per_run: Vec<RunFigures> = runs.iter().filter_map(|r| r.get(i).cloned()).collect();
            let spread = |f: fn(&RunFigures) -> f64| {
                Spread::of(per_run.iter().map(f)).unwrap_or(Spread {
                    median: f64::NAN,
                    min: f64::NAN,
                    max: f64::NAN,
                })
            };
            let p99_ms = spread(|r| r.p99_ms);
            ViewReport {
                view,
                requests: per_run.iter().map(|r| r.requests).min().unwrap_or(0),
                p50_ms: spread(|r| r.p50_ms),
                max_ms: spread(|r| r.max_ms),
                server_mean_ms: spread(|r| r.server_mean_ms),
                server_cpu_share: spread(|r| r.server_cpu_share),
                other_cpu_share: spread(|r| r.other_cpu_share),
                met: p99_ms.median < TARGET.as_secs_f64() * 1000.0,
                p99_ms,
                bytes: per_run.last().map_or(0, |r| r.bytes),
                sent: per_run.last().map_or(0, |r| r.sent),
                matched: per_run.last().and_then(|r| r.matched),
                runs: per_run,
            }
        })
        .collect();
    Ok(WebReport {
        target,
        history: prepared.history.clone(),
        options: options.clone(),
        views: reports,
    })
}

// ---- the table -----------------------------------------------------------

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

fn spread_ms(spread: &Spread) -> String {
    format!(
        "{:.2} [{:.2} – {:.2}]",
        spread.median, spread.min, spread.max
    )
}

fn size(bytes: usize) -> String {
    if bytes >= 10 * 1024 {
        format!("{} KB", bytes / 1024)
    } else {
        format!("{:.1} KB", bytes as f64 / 1024.0)
    }
}

pub fn render(report: &WebReport) -> String {
    let h = &report.history;
    let o = &report.options;
    let mut out = format!(
        "Web UI of {}: {} alerts ({} firing), {} pages and tickets ({} open), 30 days\n\
         {} run(s), each a fresh server signed in as a responder: {} requests per view \
         (or {} s of them) one after another on one keep-alive connection, after {} untimed\n\
         ms per request, measured by the client on loopback, gzip asked for as browsers do \
         (server time, compression and transfer); median [min – max] over the runs\n\
         n: requests timed (per run, the fewest); server: mean time the server measured \
         itself (pagerbound_http_request_duration_seconds, before compression);\n\
         CPU, other: the server's CPU and every other process's, in % of one core (of 2); \
         html, sent: the page's size, and as sent\n\n",
        report.target,
        thousands(h.alerts as f64),
        thousands(h.firing as f64),
        thousands(h.pages as f64),
        thousands(h.open as f64),
        o.runs,
        o.requests,
        o.view_time.as_secs(),
        o.warmup,
    );
    let target = format!("p99 < {} ms", TARGET.as_millis());
    out.push_str(&format!(
        "{:<26} {:>5} {:>23} {:>23} {:>25} {:>7} {:>5} {:>5} {:>7} {:>7} {:>7}  {target}\n",
        "view", "n", "p50", "p99", "max", "server", "CPU", "other", "html", "sent", "matched",
    ));
    for v in &report.views {
        out.push_str(&format!(
            "{:<26} {:>5} {:>23} {:>23} {:>25} {:>7.2} {:>4.0}% {:>4.0}% {:>7} {:>7} {:>7}  {}\n",
            v.view.name,
            v.requests,
            spread_ms(&v.p50_ms),
            spread_ms(&v.p99_ms),
            spread_ms(&v.max_ms),
            v.server_mean_ms.median,
            v.server_cpu_share.median * 100.0,
            v.other_cpu_share.median * 100.0,
            size(v.bytes),
            size(v.sent),
            v.matched
                .map_or_else(|| "".to_owned(), |m| thousands(m as f64)),
            if v.met { "met" } else { "MISSED" },
        ));
    }
    out.push_str("\nrequests:\n");
    for v in &report.views {
        out.push_str(&format!("{:<26} GET {}\n", v.view.name, v.view.path));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sign_in_form_and_search_answers_are_read() {
        let form = r#"<form method="post" action="/login">
  <input type="hidden" name="csrf" value="abc123">
  <input type="hidden" name="next" value="/">"#;
        assert_eq!(hidden_field(form, "csrf").as_deref(), Some("abc123"));
        assert_eq!(hidden_field(form, "user"), None);
        assert_eq!(
            matched(r#"<p class="muted">1234 alerts match; showing the newest 300"#),
            Some(1234)
        );
        assert_eq!(matched(r#"<p class="muted">1 alert matches."#), Some(1));
        assert_eq!(matched("<p>No alert matches.</p>"), Some(0));
        assert_eq!(matched("<p>something else</p>"), None);

        let mut headers = reqwest::header::HeaderMap::new();
        headers.append(
            SET_COOKIE,
            "pb_sign_in=; Path=/login; Max-Age=0".parse().expect("v"),
        );
        headers.append(
            SET_COOKIE,
            "pb_session=pbs_x; Path=/; HttpOnly".parse().expect("v"),
        );
        assert_eq!(
            cookie_value(&headers, "pb_session").as_deref(),
            Some("pbs_x")
        );
        assert_eq!(cookie_value(&headers, "pb_sign_in"), None);
    }

    #[test]
    fn histograms_are_read_from_metrics_text() {
        let text = "# TYPE http_request_duration_seconds histogram\n\
            http_request_duration_seconds_sum{method=\"GET\",route=\"/alerts\"} 1.5\n\
            http_request_duration_seconds_count{method=\"GET\",route=\"/alerts\"} 3\n\
            http_request_duration_seconds_sum{method=\"GET\",route=\"/\"} 0.25\n\
            http_request_duration_seconds_count{method=\"GET\",route=\"/\"} 5\n";
        let series = |route| {
            histogram_sum_count(
                text,
                "http_request_duration_seconds",
                &[("method", "GET"), ("route", route)],
            )
        };
        assert_eq!(series("/alerts"), (1.5, 3.0));
        assert_eq!(series("/"), (0.25, 5.0));
        assert_eq!(series("/pages"), (0.0, 0.0));
    }

    #[test]
    fn views_are_encoded_paths() {
        let views = views();
        assert_eq!(views[0].path, "/");
        assert!(
            views[1]
                .path
                .starts_with("/alerts?filter=%7Balertname%3D%22")
        );
        assert!(views[2].path.contains("state=all&since=any"));
    }
}
