//! The ingest benchmark: alerts/s a server accepts under the `new` and
//! `resend` workloads, and its memory per active alert.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, ensure};
use jiff::SignedDuration;
use serde::Serialize;
use serde::de::IgnoredAny;

use crate::alerts::{AlertFactory, AlertSpec, BodySource};
use crate::loadgen::{self, Endpoint, IngestReport, LoadOptions};
use crate::procstat::{self, Memory};
use crate::stats::Spread;
use crate::target::{Target, TargetSpec};

/// How long the alerts of a run stay active: longer than any run, so that
/// nothing resolves while it is measured.
const ACTIVE_FOR: SignedDuration = SignedDuration::from_hours(1);

/// Time given to a server to settle after start and after a load, before
/// its memory is read.
const SETTLE: Duration = Duration::from_secs(1);

/// What the alerts of a load are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Workload {
    /// Every request carries alerts never sent before.
    New,
    /// A fixed set of alerts sent again and again, as Prometheus re-sends
    /// its firing alerts every evaluation interval. One untimed pass loads
    /// the set first, so the timed part measures re-sends only.
    Resend,
}

impl std::fmt::Display for Workload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Self::New => "new",
            Self::Resend => "resend",
        })
    }
}

/// The shape of a load: how many connections, how big the requests.
#[derive(Debug, Clone, Serialize)]
pub struct LoadShape {
    /// Persistent connections.
    pub connections: usize,
    /// Alerts per request.
    pub batch: u64,
    /// Alerts in the `resend` set.
    pub resend_set: u64,
    /// Timed part of a run.
    #[serde(serialize_with = "seconds")]
    pub duration: Duration,
    /// Longest wait for one answer.
    #[serde(skip)]
    pub request_timeout: Duration,
}

/// A workload ready to be timed against one server.
#[derive(Debug)]
pub struct PreparedWorkload {
    options: LoadOptions,
    source: Arc<BodySource>,
}

impl PreparedWorkload {
    /// Prepares `workload` against the server at `url`. For `resend`, this
    /// sends the set once (untimed), so the timed part measures re-sends only.
    pub async fn prepare(
        url: &str,
        token: Option<&str>,
        workload: Workload,
        shape: &LoadShape,
    ) -> Result<Self> {
        let options = LoadOptions {
            endpoint: Endpoint::from_base_url(url).await?,
            token: token.map(str::to_owned),
            connections: shape.connections,
            duration: Some(shape.duration),
            request_timeout: shape.request_timeout,
            rate: None,
        };
        let source = match workload {
            Workload::New => {
                let factory =
                    AlertFactory::new(AlertSpec::starting_now("BenchNew", Some(ACTIVE_FOR)));
                BodySource::new_alerts(factory, shape.batch, None)
            }
            Workload::Resend => {
                let factory =
                    AlertFactory::new(AlertSpec::starting_now("BenchResend", Some(ACTIVE_FOR)));
                let warm_up =
                    BodySource::resend(&factory, shape.resend_set, shape.batch).with_passes(1);
                let untimed = LoadOptions {
                    duration: None,
                    ..options.clone()
                };
                let loaded = loadgen::run(&untimed, Arc::new(warm_up)).await?;
                ensure!(
                    loaded.alerts_accepted == shape.resend_set,
                    "loading the resend set: {} of {} alerts accepted ({} non-2xx, {} transport errors{})",
                    loaded.alerts_accepted,
                    shape.resend_set,
                    loaded.non_2xx,
                    loaded.transport_errors,
                    error_samples(&loaded),
                );
                BodySource::resend(&factory, shape.resend_set, shape.batch)
            }
        };
        Ok(Self {
            options,
            source: Arc::new(source),
        })
    }

    /// Runs the timed load.
    pub async fn run(&self) -> Result<IngestReport> {
        loadgen::run(&self.options, Arc::clone(&self.source)).await
    }
}

/// What to run, and how often.
#[derive(Debug, Clone, Serialize)]
pub struct IngestBenchOptions {
    /// Runs per figure, each against a freshly started server.
    pub runs: usize,
    /// The load.
    pub shape: LoadShape,
    /// Active alerts loaded for the memory measurement.
    pub memory_alerts: u64,
}

impl IngestBenchOptions {
    /// The benchmark as the issue specifies it.
    pub fn full() -> Self {
        Self {
            runs: 3,
            shape: LoadShape {
                connections: 8,
                batch: 10,
                resend_set: 10_000,
                duration: Duration::from_secs(10),
                request_timeout: Duration::from_secs(30),
            },
            memory_alerts: 100_000,
        }
    }

    /// Every part, briefly: to check that the harness works.
    pub fn quick() -> Self {
        let full = Self::full();
        Self {
            runs: 1,
            shape: LoadShape {
                duration: Duration::from_secs(1),
                ..full.shape
            },
            memory_alerts: 5_000,
        }
    }
}

/// One timed run.
#[derive(Debug, Clone, Serialize)]
pub struct RunResult {
    /// What the load generator measured.
    #[serde(flatten)]
    pub load: IngestReport,
    /// CPU time the server used during the timed part, seconds.
    pub server_cpu_s: f64,
    /// `server_cpu_s / duration_s`, in cores.
    pub server_cpu_share: f64,
    /// Cores used by everything else on the machine during the run.
    pub other_cpu_share: f64,
}

/// All runs of one workload.
#[derive(Debug, Clone, Serialize)]
pub struct WorkloadResult {
    /// Which workload.
    pub workload: Workload,
    /// Accepted alerts per second over the runs.
    pub alerts_per_s: Spread,
    /// Requests per second over the runs.
    pub requests_per_s: Spread,
    /// Per-run median latency, milliseconds.
    pub latency_p50_ms: Spread,
    /// Per-run 99th percentile latency, milliseconds.
    pub latency_p99_ms: Spread,
    /// Share of one core the load generator used.
    pub generator_cpu_share: Spread,
    /// Cores the server used.
    pub server_cpu_share: Spread,
    /// Cores everything else on the machine used.
    pub other_cpu_share: Spread,
    /// Non-2xx answers and transport errors over all runs.
    pub errors: u64,
    /// Each run.
    pub runs: Vec<RunResult>,
}

/// One memory measurement.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryRun {
    /// Right after start, before any alert.
    pub before: Memory,
    /// With all alerts active.
    pub after: Memory,
}

/// Memory per active alert over the runs.
#[derive(Debug, Clone, Serialize)]
pub struct MemoryResult {
    /// Active alerts loaded.
    pub active_alerts: u64,
    /// `(VmRSS after - VmRSS before) / active_alerts`.
    pub bytes_per_alert: Spread,
    /// `(VmHWM after - VmRSS before) / active_alerts`: the peak, which
    /// includes what the load itself needed transiently.
    pub peak_bytes_per_alert: Spread,
    /// Each run.
    pub runs: Vec<MemoryRun>,
}

/// Everything the ingest benchmark measured on one server.
#[derive(Debug, Clone, Serialize)]
pub struct IngestBenchReport {
    /// The server, as it describes itself.
    pub target: String,
    /// What was run.
    pub options: IngestBenchOptions,
    /// Throughput, one entry per workload.
    pub workloads: Vec<WorkloadResult>,
    /// Memory per active alert.
    pub memory: MemoryResult,
}

/// Runs the whole ingest benchmark against fresh instances of each of
/// `specs`, printing progress to stderr.
pub async fn run(
    specs: &[TargetSpec],
    options: &IngestBenchOptions,
) -> Result<Vec<IngestBenchReport>> {
    let mut workloads: Vec<Vec<WorkloadResult>> = specs.iter().map(|_| Vec::new()).collect();
    for workload in [Workload::New, Workload::Resend] {
        let measured = in_turns(specs, options.runs, async |target, run| {
            let result = timed_run(target, workload, &options.shape).await?;
            eprintln!(
                "{} {workload} run {run}/{}: {:.0} alerts/s, {} errors, CPU: generator {:.0}%, server {:.0}%, other processes {:.0}%",
                target.describe(),
                options.runs,
                result.load.alerts_per_s,
                result.load.non_2xx + result.load.transport_errors,
                result.load.generator_cpu_share * 100.0,
                result.server_cpu_share * 100.0,
                result.other_cpu_share * 100.0,
            );
            report_errors(&result.load);
            Ok(result)
        })
        .await?;
        for (results, (_, runs)) in workloads.iter_mut().zip(measured) {
            results.push(summarize(workload, runs)?);
        }
    }
    let memory = in_turns(specs, options.runs, async |target, run| {
        let measured = memory_run(target, options).await?;
        eprintln!(
            "{} memory run {run}/{}: RSS {} before, {} after {} active alerts",
            target.describe(),
            options.runs,
            mib(measured.before.rss_bytes),
            mib(measured.after.rss_bytes),
            options.memory_alerts,
        );
        Ok(measured)
    })
    .await?;
    memory
        .into_iter()
        .zip(workloads)
        .map(|((target, memory_runs), workloads)| {
            Ok(IngestBenchReport {
                target,
                options: options.clone(),
                workloads,
                memory: memory_result(memory_runs, options.memory_alerts)?,
            })
        })
        .collect()
}

/// Measures `runs` fresh instances of each of `specs`, the targets taking
/// turns run by run (A, B, C, A, B, C, ...), so that what else the machine
/// does over the minutes this takes falls on each of them alike and their
/// ratios hold. Answers each target's description and measurements, in the
/// order of `specs`.
async fn in_turns<T>(
    specs: &[TargetSpec],
    runs: usize,
    mut measure: impl AsyncFnMut(&dyn Target, usize) -> Result<T>,
) -> Result<Vec<(String, Vec<T>)>> {
    let mut measured: Vec<(String, Vec<T>)> = specs
        .iter()
        .map(|spec| (spec.name().to_owned(), Vec::new()))
        .collect();
    for run in 1..=runs {
        for (spec, (described, results)) in specs.iter().zip(&mut measured) {
            // A fresh server per run: no run inherits the alerts of another.
            let target = spec.start().await?;
            *described = target.describe();
            results.push(measure(target.as_ref(), run).await?);
        }
    }
    Ok(measured)
}

/// Memory per active alert over a target's runs.
fn memory_result(runs: Vec<MemoryRun>, active_alerts: u64) -> Result<MemoryResult> {
    let per_alert =
        |after: fn(&MemoryRun) -> u64| {
            Spread::of(runs.iter().map(|run| {
                (after(run) as f64 - run.before.rss_bytes as f64) / active_alerts as f64
            }))
            .context("no memory runs")
        };
    Ok(MemoryResult {
        active_alerts,
        bytes_per_alert: per_alert(|run| run.after.rss_bytes)?,
        peak_bytes_per_alert: per_alert(|run| run.after.peak_rss_bytes)?,
        runs,
    })
}

async fn timed_run(
    target: &dyn Target,
    workload: Workload,
    shape: &LoadShape,
) -> Result<RunResult> {
    let prepared = PreparedWorkload::prepare(target.url(), target.token(), workload, shape).await?;
    let cpu_before = procstat::cpu_seconds(target.pid())?;
    let machine_before = procstat::machine_busy_seconds()?;
    let load = prepared.run().await?;
    let server_cpu_s = procstat::cpu_seconds(target.pid())? - cpu_before;
    let machine_cpu_s = procstat::machine_busy_seconds()? - machine_before;
    let duration = load.duration_s.max(f64::EPSILON);
    // Whatever else ran on the machine competed with the server for its
    // cores; a large share means the figures are low and noisy.
    let other_cpu_s = (machine_cpu_s - server_cpu_s - load.generator_cpu_s).max(0.0);
    Ok(RunResult {
        server_cpu_share: server_cpu_s / duration,
        server_cpu_s,
        other_cpu_share: other_cpu_s / duration,
        load,
    })
}

fn summarize(workload: Workload, runs: Vec<RunResult>) -> Result<WorkloadResult> {
    let spread =
        |figure: fn(&RunResult) -> f64| Spread::of(runs.iter().map(figure)).context("no runs");
    Ok(WorkloadResult {
        workload,
        alerts_per_s: spread(|r| r.load.alerts_per_s)?,
        requests_per_s: spread(|r| r.load.requests_per_s)?,
        latency_p50_ms: spread(|r| r.load.latency_p50_ms)?,
        latency_p99_ms: spread(|r| r.load.latency_p99_ms)?,
        generator_cpu_share: spread(|r| r.load.generator_cpu_share)?,
        server_cpu_share: spread(|r| r.server_cpu_share)?,
        other_cpu_share: spread(|r| r.other_cpu_share)?,
        errors: runs
            .iter()
            .map(|r| r.load.non_2xx + r.load.transport_errors)
            .sum(),
        runs,
    })
}

async fn memory_run(target: &dyn Target, options: &IngestBenchOptions) -> Result<MemoryRun> {
    tokio::time::sleep(SETTLE).await;
    let before = procstat::memory(target.pid())?;
    let factory = AlertFactory::new(AlertSpec::starting_now("BenchActive", Some(ACTIVE_FOR)));
    let run_id = factory.spec().run_id.clone();
    let source = BodySource::new_alerts(factory, options.shape.batch, Some(options.memory_alerts));
    let load_options = LoadOptions {
        endpoint: Endpoint::from_base_url(target.url()).await?,
        token: target.token().map(str::to_owned),
        connections: options.shape.connections,
        duration: None,
        request_timeout: options.shape.request_timeout,
        rate: None,
    };
    let loaded = loadgen::run(&load_options, Arc::new(source)).await?;
    ensure!(
        loaded.alerts_accepted == options.memory_alerts,
        "loading {} active alerts: only {} accepted ({} non-2xx, {} transport errors{})",
        options.memory_alerts,
        loaded.alerts_accepted,
        loaded.non_2xx,
        loaded.transport_errors,
        error_samples(&loaded),
    );
    tokio::time::sleep(SETTLE).await;
    // Read memory before asking for the alerts back: answering that query
    // costs the server memory of its own.
    let after = procstat::memory(target.pid())?;
    let active = count_alerts(target, &run_id).await?;
    ensure!(
        active == options.memory_alerts,
        "{} alerts were accepted but the server lists {active}",
        options.memory_alerts,
    );
    Ok(MemoryRun { before, after })
}

/// How many alerts of run `run_id` the server lists on `GET /api/v2/alerts`.
pub async fn count_alerts(target: &dyn Target, run_id: &str) -> Result<u64> {
    // A matcher `bench_run="ID"`, URL-encoded; run ids are digits only.
    let url = format!(
        "{}/api/v2/alerts?filter=bench_run%3D%22{run_id}%22",
        target.url()
    );
    let mut request = reqwest::Client::new()
        .get(&url)
        .timeout(Duration::from_secs(120));
    if let Some(token) = target.read_token() {
        request = request.bearer_auth(token);
    }
    let body = request
        .send()
        .await
        .with_context(|| format!("GET {url}"))?
        .error_for_status()
        .with_context(|| format!("GET {url}"))?
        .bytes()
        .await
        .context("reading the alert list")?;
    // Count the entries without building them.
    let alerts: Vec<IgnoredAny> =
        serde_json::from_slice(&body).context("parsing the alert list")?;
    Ok(alerts.len() as u64)
}

/// Prints the first error samples of a load to stderr.
pub fn report_errors(load: &IngestReport) {
    if let Some(sample) = &load.first_error_response {
        eprintln!("first non-2xx answer: {sample}");
    }
    if let Some(sample) = &load.first_transport_error {
        eprintln!("first transport error: {sample}");
    }
}

fn error_samples(load: &IngestReport) -> String {
    let mut out = String::new();
    if let Some(sample) = &load.first_error_response {
        out.push_str(&format!("; first answer: {sample}"));
    }
    if let Some(sample) = &load.first_transport_error {
        out.push_str(&format!("; first transport error: {sample}"));
    }
    out
}

/// The report as a small plain-text table.
pub fn render_table(report: &IngestBenchReport) -> String {
    let options = &report.options;
    let mut out = format!(
        "Ingest into {}: {} connections, {} alerts per request, resend set {}, {} run(s) of {} s each\n\
         figures are median [min – max] over the runs; CPU in % of one core (of 2), \
         \"other\" is every other process on the machine\n\n",
        report.target,
        options.shape.connections,
        options.shape.batch,
        thousands(options.shape.resend_set as f64),
        options.runs,
        options.shape.duration.as_secs_f64(),
    );
    out.push_str(&format!(
        "{:<8} {:>28} {:>12} {:>8} {:>8} {:>7} {:>10} {:>10} {:>10}\n",
        "workload",
        "alerts/s",
        "requests/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "generator",
        "server",
        "other"
    ));
    for w in &report.workloads {
        out.push_str(&format!(
            "{:<8} {:>28} {:>12} {:>8.2} {:>8.2} {:>7} {:>9.0}% {:>9.0}% {:>9.0}%\n",
            w.workload.to_string(),
            spread_text(&w.alerts_per_s),
            thousands(w.requests_per_s.median),
            w.latency_p50_ms.median,
            w.latency_p99_ms.median,
            w.errors,
            w.generator_cpu_share.median * 100.0,
            w.server_cpu_share.median * 100.0,
            w.other_cpu_share.median * 100.0,
        ));
    }
    let memory = &report.memory;
    let rss = |f: fn(&MemoryRun) -> u64| {
        Spread::of(memory.runs.iter().map(|r| f(r) as f64)).map_or(0.0, |s| s.median)
    };
    out.push_str(&format!(
        "\nMemory with {} active alerts: RSS {} at start, {} loaded (peak {})\n\
         bytes per active alert: {} from RSS, {} from peak RSS\n",
        thousands(memory.active_alerts as f64),
        mib(rss(|r| r.before.rss_bytes) as u64),
        mib(rss(|r| r.after.rss_bytes) as u64),
        mib(rss(|r| r.after.peak_rss_bytes) as u64),
        spread_text(&memory.bytes_per_alert),
        spread_text(&memory.peak_bytes_per_alert),
    ));
    out
}

fn spread_text(spread: &Spread) -> String {
    format!(
        "{} [{} – {}]",
        thousands(spread.median),
        thousands(spread.min),
        thousands(spread.max)
    )
}

/// A number rounded to an integer, with thousands separators.
pub fn thousands(value: f64) -> String {
    let rounded = value.round();
    let digits = format!("{}", rounded.abs() as u64);
    let mut out = String::new();
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(digit);
    }
    if rounded < 0.0 {
        out.insert(0, '-');
    }
    out
}

fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// Targets side by side, each figure as a ratio to the first target (the
/// reference, Alertmanager when it is included).
pub fn render_comparison(reports: &[IngestBenchReport]) -> String {
    let Some(reference) = reports.first() else {
        return String::new();
    };
    let median = |report: &IngestBenchReport, workload: Workload| {
        report
            .workloads
            .iter()
            .find(|w| w.workload == workload)
            .map_or(0.0, |w| w.alerts_per_s.median)
    };
    let mut out = format!(
        "Side by side (medians; ratios to {}):\n{:<42} {:>22} {:>22} {:>22}\n",
        reference.target, "target", "new alerts/s", "resend alerts/s", "bytes/active alert"
    );
    for report in reports {
        let ratio = |value: f64, reference: f64| {
            if reference > 0.0 {
                format!("{:.2}x", value / reference)
            } else {
                "-".to_owned()
            }
        };
        let new = median(report, Workload::New);
        let resend = median(report, Workload::Resend);
        let bytes = report.memory.bytes_per_alert.median;
        out.push_str(&format!(
            "{:<42} {:>12} {:>9} {:>12} {:>9} {:>12} {:>9}\n",
            report.target,
            thousands(new),
            ratio(new, median(reference, Workload::New)),
            thousands(resend),
            ratio(resend, median(reference, Workload::Resend)),
            thousands(bytes),
            ratio(bytes, reference.memory.bytes_per_alert.median),
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn thousands_separators() {
        assert_eq!(thousands(0.0), "0");
        assert_eq!(thousands(999.4), "999");
        assert_eq!(thousands(1000.0), "1,000");
        assert_eq!(thousands(14_213.6), "14,214");
        assert_eq!(thousands(1_234_567.0), "1,234,567");
        assert_eq!(thousands(-2500.0), "-2,500");
    }

    #[test]
    fn quick_runs_every_part_briefly() {
        let quick = IngestBenchOptions::quick();
        let full = IngestBenchOptions::full();
        assert_eq!(quick.runs, 1);
        assert!(quick.shape.duration < full.shape.duration);
        assert!(quick.memory_alerts < full.memory_alerts);
        assert_eq!(quick.shape.batch, full.shape.batch);
    }
}
