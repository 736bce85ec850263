//! Notification latency: from an alert posted to `POST /api/v2/alerts` to
//! its notification arriving at a webhook receiver on loopback, with
//! `group_wait: 0s`, at idle and while ingest runs at half of the server's
//! measured maximum.
//!
//! Probes are alerts with a `probe` label, each its own group, routed to
//! the receiver; everything else (the background load) is routed nowhere.
//! The receiver runs on a thread of its own and stamps each probe as its
//! request arrives; the background load runs on another, so neither delays
//! the clock of the probes.

use crate::alerts::{AlertFactory, AlertSpec, BodySource};
use crate::ingest::{PreparedWorkload, Workload};
use crate::loadgen::{self, Endpoint, LoadOptions};
use crate::stats::percentile;
use crate::target::{Target, TargetSpec};
use anyhow::{Context as _, Result, ensure};
use http_body_util::{BodyExt as _, Full};
use hyper::body::Bytes;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use serde::Serialize;
use serde_json::Value;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How to measure.
#[derive(Debug, Clone)]
pub struct LatencyOptions {
    /// Probes per phase.
    pub probes: usize,
    /// Pause between one probe's arrival and the next probe.
    pub gap: Duration,
    /// How long the maximum ingest rate is measured for.
    pub max_load_for: Duration,
    /// A probe not received within this time counts as lost.
    pub patience: Duration,
}

impl LatencyOptions {
    pub fn full() -> Self {
        Self {
            probes: 500,
            gap: Duration::from_millis(20),
            max_load_for: Duration::from_secs(5),
            patience: Duration::from_secs(10),
        }
    }

    pub fn quick() -> Self {
        Self {
            probes: 50,
            max_load_for: Duration::from_secs(2),
            ..Self::full()
        }
    }
}

/// The latencies of one phase, in milliseconds.
#[derive(Debug, Clone, Serialize)]
pub struct Latencies {
    pub probes: usize,
    pub p50_ms: f64,
    pub p90_ms: f64,
    pub p99_ms: f64,
    pub max_ms: f64,
    /// Probes never received.
    pub lost: usize,
}

/// What one target measured.
#[derive(Debug, Clone, Serialize)]
pub struct LatencyReport {
    pub target: String,
    pub idle: Latencies,
    /// Alerts per second the target took with the closed-loop generator.
    pub max_alerts_per_s: f64,
    /// Alerts per second it took during the loaded phase.
    pub load_alerts_per_s: f64,
    pub loaded: Latencies,
}

/// When each probe arrived.
type Arrivals = Arc<Mutex<HashMap<String, Instant>>>;

/// A webhook receiver on its own thread and runtime.
struct Receiver {
    url: String,
    arrivals: Arrivals,
}

impl Receiver {
    fn start() -> Result<Self> {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").context("bind the receiver")?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}/probe", listener.local_addr()?);
        let arrivals = Arrivals::default();
        let stamped = Arc::clone(&arrivals);
        std::thread::Builder::new()
            .name("probe-receiver".into())
            .spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("a runtime for the receiver");
                runtime.block_on(serve(listener, stamped));
            })
            .context("start the receiver thread")?;
        Ok(Self { url, arrivals })
    }
}

async fn serve(listener: std::net::TcpListener, arrivals: Arrivals) {
    let Ok(listener) = tokio::net::TcpListener::from_std(listener) else {
        return;
    };
    while let Ok((stream, _)) = listener.accept().await {
        let _ = stream.set_nodelay(true);
        let arrivals = Arc::clone(&arrivals);
        tokio::spawn(async move {
            let service = service_fn(move |request: Request<hyper::body::Incoming>| {
                let arrivals = Arc::clone(&arrivals);
                async move {
                    let body = request.into_body().collect().await?.to_bytes();
                    // Stamped once the whole body is in: the notification
                    // has arrived.
                    let at = Instant::now();
                    if let Ok(json) = serde_json::from_slice::<Value>(&body) {
                        let mut probes = Vec::new();
                        collect_probes(&json, &mut probes);
                        let mut arrivals = arrivals.lock().expect("arrivals lock");
                        for probe in probes {
                            arrivals.entry(probe).or_insert(at);
                        }
                    }
                    Ok::<_, hyper::Error>(Response::new(Full::new(Bytes::from_static(b"ok"))))
                }
            });
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
        });
    }
}

/// The `probe` label of every label set in a webhook body, whatever its
/// shape (pagerbound's `messages[].alerts[].labels`, Alertmanager's
/// `alerts[].labels`).
fn collect_probes(value: &Value, probes: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(probe)) = map.get("labels").and_then(|l| l.get("probe")) {
                probes.push(probe.clone());
            }
            map.values().for_each(|v| collect_probes(v, probes));
        }
        Value::Array(items) => items.iter().for_each(|v| collect_probes(v, probes)),
        _ => {}
    }
}

/// Posts probes one at a time, each after the previous one arrived (or was
/// given up), and answers their latencies.
async fn probe_series(
    target: &dyn Target,
    receiver: &Receiver,
    phase: &str,
    options: &LatencyOptions,
) -> Result<Latencies> {
    let client = reqwest::Client::builder()
        .tcp_nodelay(true)
        .build()
        .context("an HTTP client")?;
    let url = format!("{}/api/v2/alerts", target.url());
    let run = jiff::Timestamp::now().as_millisecond();
    let mut latencies_us = Vec::with_capacity(options.probes);
    let mut lost = 0;
    for i in 0..options.probes {
        let probe = format!("{phase}-{run}-{i}");
        let body = serde_json::json!([{
            "labels": {"alertname": "LatencyProbe", "probe": probe, "slo": "latency"},
            "endsAt": "2099-01-01T00:00:00Z"
        }]);
        let mut request = client.post(&url).json(&body);
        if let Some(token) = target.token() {
            request = request.bearer_auth(token);
        }
        let sent = Instant::now();
        let response = request.send().await.context("posting a probe")?;
        ensure!(
            response.status().is_success(),
            "a probe was refused: {}",
            response.status()
        );
        let deadline = sent + options.patience;
        loop {
            let arrived = receiver
                .arrivals
                .lock()
                .expect("arrivals lock")
                .get(&probe)
                .copied();
            if let Some(at) = arrived {
                latencies_us.push(at.saturating_duration_since(sent).as_micros() as u64);
                break;
            }
            if Instant::now() > deadline {
                lost += 1;
                break;
            }
            tokio::time::sleep(Duration::from_micros(200)).await;
        }
        tokio::time::sleep(options.gap).await;
    }
    latencies_us.sort_unstable();
    let ms = |p: f64| percentile(&latencies_us, p).map_or(f64::NAN, |us| us as f64 / 1000.0);
    Ok(Latencies {
        probes: options.probes,
        p50_ms: ms(50.0),
        p90_ms: ms(90.0),
        p99_ms: ms(99.0),
        max_ms: ms(100.0),
        lost,
    })
}

/// Starts the target with its probe route to a fresh receiver, measures
/// idle latency, its maximum ingest rate, then latency under half of it.
pub async fn run(spec: &TargetSpec, options: &LatencyOptions) -> Result<LatencyReport> {
    let receiver = Receiver::start()?;
    let spec = spec.with_probe_webhook(&receiver.url);
    eprintln!("notify-latency: starting {}", spec.name());
    let target = spec.start().await?;

    eprintln!("notify-latency: {}: idle probes", spec.name());
    let idle = probe_series(target.as_ref(), &receiver, "idle", options).await?;

    eprintln!("notify-latency: {}: maximum ingest rate", spec.name());
    // The ingest benchmark's shape: 8 connections of 10 alerts a request.
    let shape = crate::ingest::LoadShape {
        duration: options.max_load_for,
        ..crate::ingest::IngestBenchOptions::full().shape
    };
    let max = PreparedWorkload::prepare(target.url(), target.token(), Workload::New, &shape)
        .await?
        .run()
        .await?;
    ensure!(max.requests_per_s > 0.0, "the target took no load");

    // The loaded phase: half the maximum request rate, on a thread of its
    // own, for about as long as the probes take.
    let expected = options.gap + Duration::from_millis(5);
    let load_for = expected * options.probes as u32 + Duration::from_secs(2);
    let load_options = LoadOptions {
        endpoint: Endpoint::from_base_url(target.url()).await?,
        token: target.token().map(str::to_owned),
        connections: shape.connections,
        duration: Some(load_for),
        request_timeout: shape.request_timeout,
        rate: Some(max.requests_per_s / 2.0),
    };
    let factory = AlertFactory::new(AlertSpec::starting_now(
        "LatencyLoad",
        Some(jiff::SignedDuration::from_hours(1)),
    ));
    let source = Arc::new(BodySource::new_alerts(factory, shape.batch, None));
    let load = std::thread::spawn(move || {
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .context("a runtime for the load")?
            .block_on(loadgen::run(&load_options, source))
    });
    // Let the load reach its pace before the first probe.
    tokio::time::sleep(Duration::from_secs(1)).await;
    eprintln!(
        "notify-latency: {}: probes under {:.0} alerts/s",
        spec.name(),
        max.alerts_per_s / 2.0
    );
    let loaded = probe_series(target.as_ref(), &receiver, "loaded", options).await?;
    let load = load
        .join()
        .map_err(|_| anyhow::anyhow!("the load thread panicked"))??;
    Ok(LatencyReport {
        target: target.describe(),
        idle,
        max_alerts_per_s: max.alerts_per_s,
        load_alerts_per_s: load.alerts_per_s,
        loaded,
    })
}

/// The reports side by side, with each pagerbound's ratios to the first
/// report (Alertmanager, when measured).
pub fn render(reports: &[LatencyReport]) -> String {
    let mut text = String::from(
        "notification latency, alert posted → webhook received, group_wait 0s (ms)\n\n",
    );
    text.push_str(&format!(
        "{:<34} {:<7} {:>12} {:>8} {:>8} {:>8} {:>8} {:>6}\n",
        "target", "phase", "load alert/s", "p50", "p90", "p99", "max", "lost"
    ));
    for report in reports {
        for (phase, load, latencies) in [
            ("idle", 0.0, &report.idle),
            ("loaded", report.load_alerts_per_s, &report.loaded),
        ] {
            text.push_str(&format!(
                "{:<34} {:<7} {:>12.0} {:>8.2} {:>8.2} {:>8.2} {:>8.2} {:>4}/{}\n",
                report.target,
                phase,
                load,
                latencies.p50_ms,
                latencies.p90_ms,
                latencies.p99_ms,
                latencies.max_ms,
                latencies.lost,
                latencies.probes
            ));
        }
    }
    if let [reference, others @ ..] = reports
        && !others.is_empty()
    {
        text.push_str(&format!(
            "\nratios to {} (lower is faster)\n",
            reference.target
        ));
        for report in others {
            text.push_str(&format!(
                "{:<34} idle p50 {:.2}x  p99 {:.2}x   loaded p50 {:.2}x  p99 {:.2}x\n",
                report.target,
                report.idle.p50_ms / reference.idle.p50_ms,
                report.idle.p99_ms / reference.idle.p99_ms,
                report.loaded.p50_ms / reference.loaded.p50_ms,
                report.loaded.p99_ms / reference.loaded.p99_ms,
            ));
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn probes_are_found_in_both_webhook_shapes() {
        let pagerbound = serde_json::json!({
            "messages": [{"alerts": [{"labels": {"probe": "a"}}, {"labels": {"probe": "b"}}]}]
        });
        let alertmanager = serde_json::json!({
            "alerts": [{"labels": {"alertname": "X", "probe": "c"}}],
            "groupLabels": {"probe": "c"}
        });
        let mut found = Vec::new();
        collect_probes(&pagerbound, &mut found);
        collect_probes(&alertmanager, &mut found);
        assert_eq!(found, ["a", "b", "c"]);
    }
}
