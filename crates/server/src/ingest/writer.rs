//! The writer task: group commit and the memory of stored alerts.

use super::{Incoming, IngestError, Submission};
use crate::engine::{AlertChange, EngineHandle};
use crate::metrics::Metrics;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Fingerprint, Known, Labels, Write};
use pagerbound_store::{AlertWrite, Store, StoreError, StoredAlert};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Most alerts written in one commit.
const MAX_BATCH: usize = 4096;
/// How long resolved alerts are remembered: Prometheus re-sends a resolved
/// alert for 15 minutes, and those copies must not become new occurrences.
const REMEMBER_RESOLVED: SignedDuration = SignedDuration::from_hours(1);

pub(super) struct Writer {
    store: Arc<dyn Store>,
    engine: EngineHandle,
    metrics: Arc<Metrics>,
    rx: mpsc::Receiver<Submission>,
    known: HashMap<Fingerprint, Known>,
    /// When pending `endsAt` extensions are due, earliest first. Entries go
    /// stale when the alert changes; they are checked when popped.
    sweeps: BinaryHeap<Reverse<(Timestamp, Fingerprint)>>,
    last_eviction: Timestamp,
}

/// The decision for one fingerprint within a batch.
struct Staged {
    known: Known,
    /// The batch's write for it, if any.
    write: Option<usize>,
}

/// A batch being assembled.
#[derive(Default)]
struct Batch {
    staged: HashMap<Fingerprint, Staged>,
    writes: Vec<AlertWrite>,
    /// For each write: the fingerprint and, when known, the labels (the
    /// engine needs them for alerts it has not seen).
    subjects: Vec<(Fingerprint, Option<Labels>)>,
}

fn content_hash(stored: &StoredAlert) -> u64 {
    Alert {
        labels: Labels::new(),
        annotations: stored.annotations.clone(),
        starts_at: stored.starts_at,
        ends_at: stored.ends_at,
        timeout: stored.timeout,
        generator_url: stored.generator_url.clone(),
    }
    .content_hash()
}

impl Writer {
    /// Remembers the alerts that fire or ended within the last hour.
    pub(super) async fn load(
        store: Arc<dyn Store>,
        engine: EngineHandle,
        metrics: Arc<Metrics>,
        rx: mpsc::Receiver<Submission>,
    ) -> Result<Writer, StoreError> {
        let now = Timestamp::now();
        let recent = store.alerts_ending_after(now - REMEMBER_RESOLVED).await?;
        let mut writer = Writer {
            store,
            engine,
            metrics,
            rx,
            known: HashMap::with_capacity(recent.len()),
            sweeps: BinaryHeap::new(),
            last_eviction: now,
        };
        // Oldest first, so the latest occurrence of a fingerprint wins.
        for stored in &recent {
            writer.known.insert(
                stored.fingerprint,
                Known {
                    id: stored.id,
                    starts_at: stored.starts_at,
                    stored_ends_at: stored.ends_at,
                    seen_ends_at: stored.ends_at,
                    seen_at: now,
                    timeout: stored.timeout,
                    content: content_hash(stored),
                },
            );
        }
        tracing::info!(alerts = writer.known.len(), "Ingest writer ready.");
        Ok(writer)
    }

    pub(super) async fn run(mut self) {
        let mut sweep = tokio::time::interval(Duration::from_secs(1));
        sweep.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            let first = tokio::select! {
                biased;
                submission = self.rx.recv() => match submission {
                    Some(submission) => Some(submission),
                    None => break,
                },
                _ = sweep.tick() => None,
            };
            let mut submissions = Vec::new();
            let mut count = 0;
            if let Some(submission) = first {
                count += submission.items.len();
                submissions.push(submission);
            }
            while count < MAX_BATCH {
                match self.rx.try_recv() {
                    Ok(submission) => {
                        count += submission.items.len();
                        submissions.push(submission);
                    }
                    Err(_) => break,
                }
            }
            self.process(submissions).await;
        }
        tracing::info!("Ingest writer stopped.");
    }

    async fn process(&mut self, submissions: Vec<Submission>) {
        let now = Timestamp::now();
        let mut batch = Batch::default();
        let mut waiting = Vec::new();
        for submission in submissions {
            let mut wrote = false;
            for item in submission.items {
                wrote |= self.decide(item, now, &mut batch);
            }
            if wrote {
                waiting.push(submission.done);
            } else {
                // Nothing of this request needs writing: it is durable already.
                let _ = submission.done.send(Ok(()));
            }
        }
        self.sweep(now, &mut batch);
        self.evict(now);
        if batch.writes.is_empty() {
            self.remember(batch.staged, None);
            return;
        }

        let started = std::time::Instant::now();
        let result = self.store.write_alerts(&batch.writes).await;
        self.metrics
            .ingest_commit_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(written) => {
                let mut changes = Vec::with_capacity(written.len());
                for ((write, (fingerprint, labels)), done) in
                    batch.writes.iter().zip(batch.subjects).zip(&written)
                {
                    let (starts_at, ends_at, kind) = match write {
                        AlertWrite::Insert { alert, .. } => {
                            (alert.starts_at, alert.ends_at, "insert")
                        }
                        AlertWrite::Update {
                            starts_at, ends_at, ..
                        } => (*starts_at, *ends_at, "update"),
                    };
                    self.metrics
                        .alert_writes
                        .get_or_create(&crate::metrics::KindLabels { kind })
                        .inc();
                    if let Some(staged) = batch.staged.get_mut(&fingerprint) {
                        staged.known.id = done.id;
                    }
                    changes.push(AlertChange {
                        id: done.id,
                        seq: done.seq,
                        fingerprint,
                        labels,
                        starts_at,
                        ends_at,
                    });
                }
                self.remember(batch.staged, Some(()));
                for done in waiting {
                    let _ = done.send(Ok(()));
                }
                self.engine.alerts_changed(changes);
            }
            Err(error) => {
                tracing::error!(error = %error, alerts = batch.writes.len(), "Alerts could not be stored.");
                self.metrics.database_errors.inc();
                // Only what was received without needing a write is remembered.
                self.remember(batch.staged, None);
                let error = Arc::new(error);
                for done in waiting {
                    let _ = done.send(Err(IngestError::Store(error.clone())));
                }
            }
        }
    }

    /// The current knowledge of a fingerprint, this batch's first.
    fn current(&self, fingerprint: Fingerprint, batch: &Batch) -> Option<Known> {
        batch
            .staged
            .get(&fingerprint)
            .map(|s| s.known)
            .or_else(|| self.known.get(&fingerprint).copied())
    }

    /// Stages what one received item needs; answers whether it needs a
    /// write.
    fn decide(&mut self, item: Incoming, now: Timestamp, batch: &mut Batch) -> bool {
        match item {
            Incoming::Alert { alert, integration } => {
                self.metrics
                    .alerts_received
                    .get_or_create(&crate::metrics::IntegrationLabels {
                        integration: integration.clone(),
                    })
                    .inc();
                let fingerprint = alert.fingerprint();
                let decision = match self.current(fingerprint, batch) {
                    None => (Write::Insert, Known::inserted(0, &alert, now)),
                    Some(known) => match known.receive(&alert, now) {
                        (Write::Insert, _) => (Write::Insert, Known::inserted(0, &alert, now)),
                        other => other,
                    },
                };
                stage(
                    batch,
                    fingerprint,
                    decision,
                    Some((alert, integration)),
                    now,
                )
            }
            Incoming::Resolve { fingerprint, at } => {
                let Some(known) = self.current(fingerprint, batch) else {
                    return false;
                };
                if !known.is_firing(now) {
                    return false;
                }
                let next = Known {
                    stored_ends_at: Some(at),
                    seen_ends_at: Some(at),
                    seen_at: now,
                    timeout: false,
                    ..known
                };
                let write = Write::Update {
                    starts_at: known.starts_at.min(at),
                    ends_at: Some(at),
                    timeout: false,
                    content_changed: false,
                };
                stage(batch, fingerprint, (write, next), None, now)
            }
        }
    }

    /// Stages the pending `endsAt` extensions that are due.
    fn sweep(&mut self, now: Timestamp, batch: &mut Batch) {
        while let Some(Reverse((due, fingerprint))) = self.sweeps.peek().copied() {
            if due > now {
                break;
            }
            self.sweeps.pop();
            let Some(known) = self.current(fingerprint, batch) else {
                continue;
            };
            if known.extension_due_at() != Some(due) {
                continue; // stale: the alert changed since
            }
            let decision = known.sweep(now);
            stage(batch, fingerprint, decision, None, now);
        }
    }

    /// Takes the batch's knowledge into memory. Without a commit (`None`),
    /// only fingerprints that needed no write are taken.
    fn remember(&mut self, staged: HashMap<Fingerprint, Staged>, committed: Option<()>) {
        for (fingerprint, staged) in staged {
            if staged.write.is_some() && committed.is_none() {
                continue;
            }
            if let Some(due) = staged.known.extension_due_at() {
                self.sweeps.push(Reverse((due, fingerprint)));
            }
            self.known.insert(fingerprint, staged.known);
        }
    }

    /// Forgets alerts that resolved long enough ago, once a minute.
    fn evict(&mut self, now: Timestamp) {
        if now.duration_since(self.last_eviction) < SignedDuration::from_mins(1) {
            return;
        }
        self.last_eviction = now;
        let horizon = now - REMEMBER_RESOLVED;
        self.known
            .retain(|_, known| known.stored_ends_at.is_none_or(|end| end > horizon));
    }
}

/// Records a decision in the batch, merging it with an earlier write for
/// the same fingerprint in this batch. Answers whether a write is needed.
fn stage(
    batch: &mut Batch,
    fingerprint: Fingerprint,
    (write, known): (Write, Known),
    received: Option<(Alert, String)>,
    now: Timestamp,
) -> bool {
    let existing = batch.staged.get(&fingerprint).and_then(|s| s.write);
    let labels = received.as_ref().map(|(alert, _)| alert.labels.clone());
    let index = match (write, existing) {
        (Write::Nothing, _) => existing,
        (Write::Insert, _) => {
            let Some((alert, integration)) = received else {
                return false;
            };
            // A new occurrence: any earlier write for the old one in this
            // batch stays, this one is added.
            batch.writes.push(AlertWrite::Insert {
                alert,
                integration,
                at: now,
            });
            batch.subjects.push((fingerprint, labels));
            Some(batch.writes.len() - 1)
        }
        (
            Write::Update {
                starts_at,
                ends_at,
                timeout,
                content_changed,
            },
            Some(index),
        ) => {
            match &mut batch.writes[index] {
                // Still to be inserted: insert the latest state instead.
                AlertWrite::Insert { alert, .. } => {
                    alert.starts_at = starts_at;
                    alert.ends_at = ends_at;
                    alert.timeout = timeout;
                    if let Some((received, _)) = &received
                        && content_changed
                    {
                        alert.annotations = received.annotations.clone();
                        alert.generator_url = received.generator_url.clone();
                    }
                }
                AlertWrite::Update {
                    starts_at: s,
                    ends_at: e,
                    timeout: t,
                    content,
                    at,
                    ..
                } => {
                    (*s, *e, *t, *at) = (starts_at, ends_at, timeout, now);
                    if let Some((received, _)) = &received
                        && content_changed
                    {
                        *content =
                            Some((received.annotations.clone(), received.generator_url.clone()));
                    }
                }
            }
            Some(index)
        }
        (
            Write::Update {
                starts_at,
                ends_at,
                timeout,
                content_changed,
            },
            None,
        ) => {
            let content = match &received {
                Some((alert, _)) if content_changed => {
                    Some((alert.annotations.clone(), alert.generator_url.clone()))
                }
                _ => None,
            };
            batch.writes.push(AlertWrite::Update {
                id: known.id,
                starts_at,
                ends_at,
                timeout,
                content,
                at: now,
            });
            batch.subjects.push((fingerprint, labels));
            Some(batch.writes.len() - 1)
        }
    };
    let wrote = index.is_some() && !matches!(write, Write::Nothing);
    batch.staged.insert(
        fingerprint,
        Staged {
            known,
            write: index,
        },
    );
    wrote
}
