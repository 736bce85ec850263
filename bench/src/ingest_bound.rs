//! The ceiling the ingest load puts on pagerbound's SQLite store when a
//! request is answered only once its alerts are committed, measured on
//! this machine.
//!
//! The load is a closed loop: each connection sends its next request when
//! the last one is answered, so at most `connections × batch` alerts are
//! in flight, and by Little's law the rate is those alerts over the time
//! one request takes. A request takes at least what it takes when nothing
//! needs writing, plus one durable commit holding its alerts. Both are
//! measured here:
//!
//! - the turnaround, with the `resend` workload against pagerbound on
//!   SQLite: the client, HTTP, JSON, deciding and answering, everything
//!   but the write, at the rate re-sends reach (so the machine is at least
//!   as busy as at the target rate);
//! - the commit, with the SQLite store alone: batches of new alerts
//!   written one after another through `write_alerts`, nothing else
//!   running.
//!
//! Beside the commit it times the durable write a journal in front of the
//! database would make instead: the batch's JSON written into a file of
//! zeros made beforehand, then `fdatasync`, for the ceiling of that design;
//! once by itself, and once made by a journal thread of its own and timed
//! from the async side, as a server would have to make it.
//!
//! Durable writes are serial (SQLite has one writer; a journal appends in
//! order), so a write of `g` alerts also caps the rate at `g` over its
//! time. For each kind and size of write the bound is the lower of the
//! two; the ceiling is the best of a kind's. It is generous: it leaves out
//! every wait for another request's write, and the writes are timed on an
//! otherwise idle machine. Under the load itself a flush was measured at
//! about twice its idle time, and a journal built for that measurement
//! reached well under its ceiling here (BENCHMARKS.md, "What a durable
//! answer costs under this load"): read the ceilings as what rules a
//! design out, not as what it would reach.

use std::fs::File;
use std::os::unix::fs::FileExt as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, ensure};
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Labels};
use pagerbound_store::{AlertWrite, Store};
use pagerbound_store_sqlite::SqliteStore;
use serde::Serialize;

use crate::alerts::{AlertFactory, AlertSpec};
use crate::ingest::{IngestBenchOptions, LoadShape, PreparedWorkload, Workload, thousands};
use crate::pagerbound::{Pagerbound, PagerboundOptions};
use crate::stats::percentile;

/// The alerts/s the issue asks for on this load.
pub const TARGET: f64 = 140_000.0;

#[derive(Debug, Clone)]
pub struct BoundOptions {
    pub pagerbound: PagerboundOptions,
    pub shape: LoadShape,
    /// Writes timed per kind and size.
    pub writes: usize,
}

impl BoundOptions {
    /// The load (as `ingest-compare` runs it), 300 writes per kind
    /// and size.
    pub fn full(pagerbound: PagerboundOptions) -> Self {
        Self {
            pagerbound,
            shape: IngestBenchOptions::full().shape,
            writes: 300,
        }
    }

    /// A second of re-sends and 20 writes per kind and size.
    pub fn quick(pagerbound: PagerboundOptions) -> Self {
        Self {
            pagerbound,
            shape: IngestBenchOptions::quick().shape,
            writes: 20,
        }
    }
}

/// How a batch is made durable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DurableWrite {
    /// A commit through pagerbound's SQLite store.
    SqliteCommit,
    /// The batch's JSON into a journal file, then `fdatasync`.
    JournalAppend,
    /// The same append made by a thread of its own, timed from the async
    /// side: with the hand-off to that thread and the answer back, as a
    /// server would make it.
    JournalThread,
}

impl DurableWrite {
    fn describe(self) -> &'static str {
        match self {
            DurableWrite::SqliteCommit => "SQLite commit",
            DurableWrite::JournalAppend => "journal append",
            DurableWrite::JournalThread => "journal append, by its thread",
        }
    }
}

/// One kind and size of durable write, timed.
#[derive(Debug, Clone, Serialize)]
pub struct WriteTiming {
    pub how: DurableWrite,
    /// New alerts per write.
    pub alerts: usize,
    pub median_ms: f64,
    pub p90_ms: f64,
    /// The rate this write allows (see the module's documentation).
    pub bound_per_s: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct BoundReport {
    pub connections: usize,
    pub batch: u64,
    /// Re-sent alerts accepted per second.
    pub resend_per_s: f64,
    /// Mean time per request of the re-sends, by Little's law.
    pub turnaround_ms: f64,
    pub writes: Vec<WriteTiming>,
    /// The best of the SQLite commit sizes' bounds.
    pub ceiling_per_s: f64,
    /// The best of the journal append sizes' bounds.
    pub journal_ceiling_per_s: f64,
    /// The same, with the hand-offs to a journal thread and back.
    pub journal_thread_ceiling_per_s: f64,
    pub target_per_s: f64,
}

/// The rate a closed loop of `in_flight` alerts allows when each request
/// takes `turnaround` plus a durable write of `alerts` alerts that takes
/// `write`, and writes run one at a time.
pub fn bound(in_flight: f64, turnaround: Duration, alerts: usize, write: Duration) -> f64 {
    let per_request = turnaround + write;
    let little = in_flight / per_request.as_secs_f64();
    let serial = alerts as f64 / write.as_secs_f64();
    little.min(serial)
}

pub async fn run(options: &BoundOptions) -> Result<BoundReport> {
    let shape = &options.shape;
    let in_flight = shape.connections as u64 * shape.batch;
    ensure!(in_flight > 0, "no alerts in flight");

    let server = Pagerbound::start(&options.pagerbound).await?;
    let resend = PreparedWorkload::prepare(
        server.url(),
        Some(server.ingest_token()),
        Workload::Resend,
        shape,
    )
    .await?
    .run()
    .await?;
    drop(server);
    ensure!(
        resend.alerts_accepted > 0 && resend.non_2xx == 0 && resend.transport_errors == 0,
        "the re-sends were not all accepted: {resend:?}"
    );
    let turnaround = Duration::from_secs_f64(in_flight as f64 / resend.alerts_per_s);

    let dir = tempfile::Builder::new()
        .prefix("pagerbound-bench-bound-")
        .tempdir()
        .context("creating a temporary directory")?;
    let store: Arc<dyn Store> = Arc::new(
        SqliteStore::open(&dir.path().join("pagerbound.db"))
            .await
            .context("opening the SQLite database")?,
    );
    store.migrate().await.context("migrating the database")?;
    let factory = AlertFactory::new(AlertSpec::starting_now(
        "BenchBound",
        Some(SignedDuration::from_hours(1)),
    ));
    let in_flight_alerts = usize::try_from(in_flight).context("alerts in flight")?;
    let batch = usize::try_from(shape.batch).context("alerts per request")?;
    let mut sizes = vec![
        batch,
        in_flight_alerts / 2,
        in_flight_alerts * 3 / 4,
        in_flight_alerts,
    ];
    sizes.retain(|&size| size > 0);
    sizes.dedup();
    let timed =
        |how, alerts, times: Vec<Duration>| timing(how, alerts, &times, in_flight, turnaround);
    let mut writes = Vec::new();
    let mut next = 0;
    for &size in &sizes {
        let mut times = Vec::with_capacity(options.writes);
        for _ in 0..options.writes {
            let batch = new_alerts(store.as_ref(), &factory, &mut next, size).await?;
            let started = Instant::now();
            store.write_alerts(&batch).await?;
            times.push(started.elapsed());
        }
        writes.push(timed(DurableWrite::SqliteCommit, size, times)?);
    }
    store.close().await;
    for &size in &sizes {
        let record = factory.batch(0, size as u64);
        // Blocking file calls on the benchmark's one thread: nothing else
        // runs meanwhile.
        let file = journal_file(dir.path(), "direct", record.len(), options.writes)?;
        let times = journal_appends(&file, &record, options.writes)?;
        writes.push(timed(DurableWrite::JournalAppend, size, times)?);
        let file = journal_file(dir.path(), "thread", record.len(), options.writes)?;
        let times = journal_thread_appends(file, record, options.writes).await?;
        writes.push(timed(DurableWrite::JournalThread, size, times)?);
    }
    let ceiling = |how| {
        writes
            .iter()
            .filter(|write| write.how == how)
            .map(|write| write.bound_per_s)
            .fold(0.0, f64::max)
    };
    let ceiling_per_s = ceiling(DurableWrite::SqliteCommit);
    let journal_ceiling_per_s = ceiling(DurableWrite::JournalAppend);
    let journal_thread_ceiling_per_s = ceiling(DurableWrite::JournalThread);
    Ok(BoundReport {
        connections: shape.connections,
        batch: shape.batch,
        resend_per_s: resend.alerts_per_s,
        turnaround_ms: millis(turnaround),
        writes,
        ceiling_per_s,
        journal_ceiling_per_s,
        journal_thread_ceiling_per_s,
        target_per_s: TARGET,
    })
}

fn timing(
    how: DurableWrite,
    alerts: usize,
    times: &[Duration],
    in_flight: u64,
    turnaround: Duration,
) -> Result<WriteTiming> {
    let mut nanos: Vec<u64> = times
        .iter()
        .map(|time| u64::try_from(time.as_nanos()).unwrap_or(u64::MAX))
        .collect();
    nanos.sort_unstable();
    let at = |p| {
        percentile(&nanos, p)
            .map(Duration::from_nanos)
            .context("no writes were timed")
    };
    let median = at(50.0)?;
    Ok(WriteTiming {
        how,
        alerts,
        median_ms: millis(median),
        p90_ms: millis(at(90.0)?),
        bound_per_s: bound(in_flight as f64, turnaround, alerts, median),
    })
}

/// A journal file for `count` records of `record_len` bytes, full of
/// zeros written and synced beforehand, as a journal recycles its
/// segments: no append then changes the file's size or layout.
fn journal_file(dir: &Path, name: &str, record_len: usize, count: usize) -> Result<File> {
    let path = dir.join(format!("journal-{name}-{record_len}"));
    let file = File::options()
        .create(true)
        .truncate(true)
        .read(true)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating {}", path.display()))?;
    let length = record_len * count;
    let zeros = vec![0_u8; 1 << 20];
    let mut at = 0;
    while at < length {
        let chunk = (length - at).min(zeros.len());
        file.write_all_at(&zeros[..chunk], at as u64)?;
        at += chunk;
    }
    file.sync_all()?;
    Ok(file)
}

/// Times `count` durable appends of `record` (a batch's alerts as a
/// request carries them), one after another.
fn journal_appends(file: &File, record: &[u8], count: usize) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(count);
    for n in 0..count {
        let started = Instant::now();
        file.write_all_at(record, (n * record.len()) as u64)?;
        file.sync_data()?;
        times.push(started.elapsed());
    }
    Ok(times)
}

type Append = (u64, tokio::sync::oneshot::Sender<std::io::Result<()>>);

/// Times `count` durable appends of `record` asked of a journal thread
/// over a channel and awaited, from the ask to the answer.
async fn journal_thread_appends(
    file: File,
    record: hyper::body::Bytes,
    count: usize,
) -> Result<Vec<Duration>> {
    let (asks, asked) = std::sync::mpsc::channel::<Append>();
    let len = record.len();
    let journal = std::thread::spawn(move || {
        for (offset, done) in asked {
            let result = file
                .write_all_at(&record, offset)
                .and_then(|()| file.sync_data());
            let _ = done.send(result);
        }
    });
    let mut times = Vec::with_capacity(count);
    for n in 0..count {
        let (done, answer) = tokio::sync::oneshot::channel();
        let started = Instant::now();
        asks.send(((n * len) as u64, done))
            .context("the journal thread stopped")?;
        answer.await.context("the journal thread stopped")??;
        times.push(started.elapsed());
    }
    drop(asks);
    journal
        .join()
        .map_err(|_| anyhow::anyhow!("the journal thread panicked"))?;
    Ok(times)
}

/// `count` new alerts with the generator's label sets, ids reserved.
async fn new_alerts(
    store: &dyn Store,
    factory: &AlertFactory,
    next: &mut u64,
    count: usize,
) -> Result<Vec<AlertWrite>> {
    let ids = store.reserve_alert_ids(count).await?;
    let spec = factory.spec();
    let now = Timestamp::now();
    Ok(ids
        .into_iter()
        .map(|id| {
            let n = *next;
            *next += 1;
            let alert = Alert {
                labels: factory.labels(n).into_iter().collect(),
                annotations: Labels::from_iter([
                    (
                        "summary",
                        format!("Synthetic benchmark alert on host-{n}:9100"),
                    ),
                    ("description", "Generated by pagerbound-bench".to_owned()),
                ]),
                starts_at: spec.starts_at,
                ends_at: spec.ends_at,
                timeout: false,
                generator_url: Some("http://127.0.0.1:9090/graph".to_owned()),
            };
            AlertWrite::Insert {
                id,
                alert,
                integration: "bench".to_owned(),
                at: now,
            }
        })
        .collect())
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// The report as a markdown table, with what it means for the target.
pub fn render(report: &BoundReport) -> String {
    let mut out = format!(
        "Re-sends: {} alerts/s, so a request takes {:.3} ms when nothing is written \
         ({} connections × {} alerts in flight).\n\n\
         | durable write | alerts | p50 | p90 | rate it allows |\n\
         |---|---|---|---|---|\n",
        thousands(report.resend_per_s),
        report.turnaround_ms,
        report.connections,
        report.batch,
    );
    for write in &report.writes {
        out.push_str(&format!(
            "| {} | {} | {:.3} ms | {:.3} ms | {} alerts/s |\n",
            write.how.describe(),
            write.alerts,
            write.median_ms,
            write.p90_ms,
            thousands(write.bound_per_s)
        ));
    }
    out.push_str(&format!(
        "\nCeiling from writes timed alone (a server under load stays below it), \
         answering after a SQLite commit: {} alerts/s ({:.2} of the {} target); \
         after a journal append: {} alerts/s ({:.2}), made by a journal thread: {} alerts/s ({:.2}).\n",
        thousands(report.ceiling_per_s),
        report.ceiling_per_s / report.target_per_s,
        thousands(report.target_per_s),
        thousands(report.journal_ceiling_per_s),
        report.journal_ceiling_per_s / report.target_per_s,
        thousands(report.journal_thread_ceiling_per_s),
        report.journal_thread_ceiling_per_s / report.target_per_s,
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_bound_is_littles_law_or_the_serial_commits_whichever_is_lower() {
        // 80 alerts in flight, 0.3 ms of turnaround and 0.2 ms of commit:
        // each request takes 0.5 ms, so 160,000/s; commits of 40 alerts
        // every 0.2 ms would allow 200,000/s.
        let little = bound(
            80.0,
            Duration::from_micros(300),
            40,
            Duration::from_micros(200),
        );
        assert!((little - 160_000.0).abs() < 1.0, "{little}");
        // One request's 10 alerts per commit: the commits are the limit,
        // 10 every 0.2 ms.
        let serial = bound(
            80.0,
            Duration::from_micros(300),
            10,
            Duration::from_micros(200),
        );
        assert!((serial - 50_000.0).abs() < 1.0, "{serial}");
    }
}
