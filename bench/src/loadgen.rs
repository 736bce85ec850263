//! A closed-loop load generator for `POST /api/v2/alerts`.
//!
//! Each of `connections` tasks owns one persistent HTTP/1.1 connection and
//! sends its next request as soon as the previous answer has arrived, so the
//! offered load is exactly what the server can take. The bodies come from an
//! [`BodySource`] that all tasks share, request by request.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, bail, ensure};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::client::conn::http1::{self, SendRequest};
use hyper::header::{AUTHORIZATION, CONTENT_TYPE, HOST, HeaderValue};
use hyper::{Method, Request, StatusCode, Uri};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use tokio::net::TcpStream;

use crate::alerts::{Batch, BodySource};
use crate::procstat;
use crate::stats::percentile;

/// The ingest path, relative to a server's base URL.
pub const INGEST_PATH: &str = "/api/v2/alerts";

/// Longest part of an error response kept as a sample.
const ERROR_SAMPLE_BYTES: usize = 512;

/// Where the alerts go: a loopback address and the request target on it.
#[derive(Debug, Clone)]
pub struct Endpoint {
    addr: SocketAddr,
    host: HeaderValue,
    path: Uri,
}

impl Endpoint {
    /// The ingest endpoint of the server at `base_url` (`http://HOST:PORT`,
    /// optionally with a path prefix). Only loopback addresses are accepted:
    /// this tool floods what it points at.
    pub async fn from_base_url(base_url: &str) -> Result<Self> {
        let uri: Uri = base_url
            .parse()
            .with_context(|| format!("{base_url:?} is not a URL"))?;
        ensure!(
            uri.scheme_str() == Some("http"),
            "{base_url:?}: only plain http:// URLs are supported"
        );
        let authority = uri
            .authority()
            .with_context(|| format!("{base_url:?} has no host"))?;
        let port = authority.port_u16().unwrap_or(80);
        let addr = tokio::net::lookup_host((authority.host(), port))
            .await
            .with_context(|| format!("resolving {}", authority.host()))?
            .next()
            .with_context(|| format!("{} resolves to no address", authority.host()))?;
        ensure!(
            addr.ip().is_loopback(),
            "{base_url:?} is not a loopback address; the load generator only targets this machine"
        );
        let path = format!("{}{INGEST_PATH}", uri.path().trim_end_matches('/'));
        Ok(Self {
            addr,
            host: HeaderValue::from_str(authority.as_str()).context("host header")?,
            path: path.parse().context("ingest path")?,
        })
    }
}

/// How to run the load.
#[derive(Debug, Clone)]
pub struct LoadOptions {
    /// Where to send.
    pub endpoint: Endpoint,
    /// Sent as `Authorization: Bearer TOKEN` when given.
    pub token: Option<String>,
    /// Number of connections, each driven by its own task.
    pub connections: usize,
    /// Stop sending new requests after this long; `None` runs until the
    /// body source ends.
    pub duration: Option<Duration>,
    /// A request not answered within this time counts as a transport error
    /// and its connection is replaced.
    pub request_timeout: Duration,
    /// Requests per second over all connections; `None` sends as fast as
    /// answers come (a closed loop). A paced connection that falls behind
    /// does not catch up in a burst: the load stays even.
    pub rate: Option<f64>,
}

/// What a load run measured. Serialized as the `ingest` subcommand's output.
#[derive(Debug, Clone, Serialize)]
pub struct IngestReport {
    /// Requests answered (any status).
    pub requests: u64,
    /// Alerts in all requests answered.
    pub alerts_sent: u64,
    /// Alerts in requests answered with 2xx.
    pub alerts_accepted: u64,
    /// Requests answered with a status other than 2xx.
    pub non_2xx: u64,
    /// Connections refused or lost, requests timed out.
    pub transport_errors: u64,
    /// TCP connections opened (equals `connections` when keep-alive held).
    pub connections_opened: u64,
    /// From the first request to the last answer, in seconds.
    pub duration_s: f64,
    /// Accepted alerts per second.
    pub alerts_per_s: f64,
    /// Answered requests per second.
    pub requests_per_s: f64,
    /// Median request latency, milliseconds.
    pub latency_p50_ms: f64,
    /// 99th percentile request latency, milliseconds.
    pub latency_p99_ms: f64,
    /// Slowest request, milliseconds.
    pub latency_max_ms: f64,
    /// CPU time the generator's own process used during the run, seconds.
    pub generator_cpu_s: f64,
    /// `generator_cpu_s / duration_s`: the share of one core the generator
    /// took from the machine it shares with the server.
    pub generator_cpu_share: f64,
    /// The first non-2xx answer (status and start of the body), if any.
    #[serde(skip)]
    pub first_error_response: Option<String>,
    /// The first transport error, if any.
    #[serde(skip)]
    pub first_transport_error: Option<String>,
}

/// Sends the bodies of `source` to `options.endpoint` until the duration
/// ends or the source runs dry, and reports what happened.
pub async fn run(options: &LoadOptions, source: Arc<BodySource>) -> Result<IngestReport> {
    ensure!(options.connections > 0, "at least one connection is needed");
    if options.duration.is_none() && !source.is_finite() {
        bail!("an endless body source needs a duration");
    }
    let shared = Arc::new(Shared {
        source,
        next_request: AtomicU64::new(0),
        first_error_response: Mutex::new(None),
        first_transport_error: Mutex::new(None),
        authorization: options
            .token
            .as_deref()
            .map(|t| HeaderValue::from_str(&format!("Bearer {t}")))
            .transpose()
            .context("the token is not a valid header value")?,
        options: options.clone(),
    });

    let cpu_before = procstat::own_cpu_seconds()?;
    let started = Instant::now();
    let deadline = options.duration.map(|d| started + d);
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..options.connections {
        tasks.spawn(drive_connection(Arc::clone(&shared), deadline));
    }
    let mut total = Tally::default();
    while let Some(tally) = tasks.join_next().await {
        total.merge(tally.context("a connection task panicked")?);
    }
    let elapsed = started.elapsed().as_secs_f64();
    let generator_cpu_s = procstat::own_cpu_seconds()? - cpu_before;

    total.latencies_us.sort_unstable();
    let latency_ms =
        |p: f64| percentile(&total.latencies_us, p).map_or(0.0, |us| us as f64 / 1000.0);
    let per_s = |count: u64| {
        if elapsed > 0.0 {
            count as f64 / elapsed
        } else {
            0.0
        }
    };
    let take = |slot: &Mutex<Option<String>>| slot.lock().expect("error sample lock").take();
    Ok(IngestReport {
        requests: total.requests,
        alerts_sent: total.alerts_sent,
        alerts_accepted: total.alerts_accepted,
        non_2xx: total.non_2xx,
        transport_errors: total.transport_errors,
        connections_opened: total.connections_opened,
        duration_s: elapsed,
        alerts_per_s: per_s(total.alerts_accepted),
        requests_per_s: per_s(total.requests),
        latency_p50_ms: latency_ms(50.0),
        latency_p99_ms: latency_ms(99.0),
        latency_max_ms: latency_ms(100.0),
        generator_cpu_s,
        generator_cpu_share: if elapsed > 0.0 {
            generator_cpu_s / elapsed
        } else {
            0.0
        },
        first_error_response: take(&shared.first_error_response),
        first_transport_error: take(&shared.first_transport_error),
    })
}

/// What all connection tasks share.
struct Shared {
    source: Arc<BodySource>,
    /// Number of the next request to send, over all connections, so that
    /// fresh alerts never repeat and a resend set is cycled evenly.
    next_request: AtomicU64,
    first_error_response: Mutex<Option<String>>,
    first_transport_error: Mutex<Option<String>>,
    authorization: Option<HeaderValue>,
    options: LoadOptions,
}

impl Shared {
    fn request(&self, body: Bytes) -> Result<Request<Full<Bytes>>> {
        let mut builder = Request::builder()
            .method(Method::POST)
            .uri(self.options.endpoint.path.clone())
            .header(HOST, self.options.endpoint.host.clone())
            .header(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        if let Some(authorization) = &self.authorization {
            builder = builder.header(AUTHORIZATION, authorization.clone());
        }
        builder.body(Full::new(body)).context("building a request")
    }

    fn note_first(slot: &Mutex<Option<String>>, message: impl FnOnce() -> String) {
        let mut slot = slot.lock().expect("error sample lock");
        if slot.is_none() {
            *slot = Some(message());
        }
    }
}

/// Counts kept by one connection task, merged at the end.
#[derive(Debug, Default)]
struct Tally {
    requests: u64,
    alerts_sent: u64,
    alerts_accepted: u64,
    non_2xx: u64,
    transport_errors: u64,
    connections_opened: u64,
    /// Per answered request, microseconds. A 10 s run at 20,000 requests/s
    /// keeps 200,000 of these: small enough to sort exactly.
    latencies_us: Vec<u64>,
}

impl Tally {
    fn merge(&mut self, other: Tally) {
        self.requests += other.requests;
        self.alerts_sent += other.alerts_sent;
        self.alerts_accepted += other.alerts_accepted;
        self.non_2xx += other.non_2xx;
        self.transport_errors += other.transport_errors;
        self.connections_opened += other.connections_opened;
        self.latencies_us.extend(other.latencies_us);
    }
}

/// One connection's closed loop.
async fn drive_connection(shared: Arc<Shared>, deadline: Option<Instant>) -> Tally {
    let mut tally = Tally::default();
    let mut sender: Option<SendRequest<Full<Bytes>>> = None;
    let period = shared
        .options
        .rate
        .filter(|rate| *rate > 0.0)
        .map(|rate| Duration::from_secs_f64(shared.options.connections as f64 / rate));
    let mut next_at = Instant::now();
    while deadline.is_none_or(|d| Instant::now() < d) {
        if let Some(period) = period {
            tokio::time::sleep_until(next_at.into()).await;
            next_at = (next_at + period).max(Instant::now());
        }
        let index = shared.next_request.fetch_add(1, Ordering::Relaxed);
        let Some(Batch { body, alerts }) = shared.source.body(index) else {
            break;
        };
        // A connection the server closed after its last answer is replaced
        // without counting an error: that is the server's right.
        if sender.as_ref().is_none_or(SendRequest::is_closed) {
            match connect(shared.options.endpoint.addr).await {
                Ok(new) => {
                    tally.connections_opened += 1;
                    sender = Some(new);
                }
                Err(error) => {
                    tally.transport_errors += 1;
                    Shared::note_first(&shared.first_transport_error, || format!("{error:#}"));
                    // Don't spin on a server that is down.
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            }
        }
        let Some(open) = sender.as_mut() else {
            continue;
        };
        let request = match shared.request(body) {
            Ok(request) => request,
            Err(error) => {
                tally.transport_errors += 1;
                Shared::note_first(&shared.first_transport_error, || format!("{error:#}"));
                continue;
            }
        };
        let sent_at = Instant::now();
        match tokio::time::timeout(shared.options.request_timeout, exchange(open, request)).await {
            Ok(Ok((status, response_body))) => {
                tally
                    .latencies_us
                    .push(sent_at.elapsed().as_micros() as u64);
                tally.requests += 1;
                tally.alerts_sent += alerts;
                if status.is_success() {
                    tally.alerts_accepted += alerts;
                } else {
                    tally.non_2xx += 1;
                    Shared::note_first(&shared.first_error_response, || {
                        let end = response_body.len().min(ERROR_SAMPLE_BYTES);
                        format!(
                            "{status}: {}",
                            String::from_utf8_lossy(&response_body[..end])
                        )
                    });
                }
            }
            Ok(Err(error)) => {
                tally.transport_errors += 1;
                Shared::note_first(&shared.first_transport_error, || format!("{error:#}"));
                sender = None;
            }
            Err(_elapsed) => {
                tally.transport_errors += 1;
                Shared::note_first(&shared.first_transport_error, || {
                    format!("no answer within {:?}", shared.options.request_timeout)
                });
                sender = None;
            }
        }
    }
    tally
}

/// Opens one HTTP/1.1 connection; its I/O runs in a task of its own that
/// ends when the returned sender is dropped.
async fn connect(addr: SocketAddr) -> Result<SendRequest<Full<Bytes>>> {
    let stream = TcpStream::connect(addr)
        .await
        .with_context(|| format!("connecting to {addr}"))?;
    // Bodies are written whole; waiting to coalesce them only adds latency.
    stream.set_nodelay(true).context("setting TCP_NODELAY")?;
    let (sender, connection) = http1::handshake(TokioIo::new(stream))
        .await
        .context("HTTP/1.1 handshake")?;
    tokio::spawn(async move {
        // Its errors surface on the sender, where they are counted.
        let _ = connection.await;
    });
    Ok(sender)
}

/// Sends one request and reads the whole answer, so the connection is free
/// for the next one.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: Request<Full<Bytes>>,
) -> Result<(StatusCode, Bytes)> {
    sender.ready().await.context("connection not ready")?;
    let response = sender
        .send_request(request)
        .await
        .context("sending the request")?;
    let status = response.status();
    let body = response
        .into_body()
        .collect()
        .await
        .context("reading the answer")?
        .to_bytes();
    Ok((status, body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn endpoint_appends_the_ingest_path() {
        let endpoint = Endpoint::from_base_url("http://127.0.0.1:9093")
            .await
            .expect("valid");
        assert_eq!(endpoint.path, "/api/v2/alerts");
        assert_eq!(endpoint.host, "127.0.0.1:9093");
        assert_eq!(endpoint.addr, "127.0.0.1:9093".parse().expect("addr"));
        let prefixed = Endpoint::from_base_url("http://127.0.0.1:9093/am/")
            .await
            .expect("valid");
        assert_eq!(prefixed.path, "/am/api/v2/alerts");
    }

    #[tokio::test]
    async fn endpoint_refuses_other_machines_and_schemes() {
        assert!(
            Endpoint::from_base_url("http://192.0.2.1:9093")
                .await
                .is_err()
        );
        assert!(
            Endpoint::from_base_url("https://127.0.0.1:9093")
                .await
                .is_err()
        );
        assert!(Endpoint::from_base_url("127.0.0.1:9093").await.is_err());
    }
}
