//! The writer task: group commit and the memory of stored alerts.
//!
//! The writer takes every request that arrived since its last commit,
//! decides what each alert needs written, writes it all in one transaction
//! and only then answers those requests. Requests that arrive meanwhile
//! wait for the next commit: the busier it gets, the bigger the batches.
//! (Overlapping two commits was measured, and lost: batches got smaller.)

use super::{Incoming, IngestError, Submission};
use crate::engine::{AlertChange, EngineHandle};
use crate::metrics::Metrics;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Alert, Fingerprint, Known, Labels, Write};
use pagerbound_store::{AlertWrite, Store, StoreError, StoredAlert, Written};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::mpsc;

/// Most alerts written in one commit.
const MAX_BATCH: usize = 4096;
/// Ids for new alerts are reserved at least this many at a time, so that
/// most commits do not spend a round trip to the database on them.
const ID_BLOCK: usize = 1024;
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
    /// Reserved ids not yet given to an alert.
    spare_ids: VecDeque<i64>,
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
    /// For each write: the alert's fingerprint.
    subjects: Vec<Fingerprint>,
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
        let now = crate::clock::now();
        let recent = store.alerts_ending_after(now - REMEMBER_RESOLVED).await?;
        let mut writer = Writer {
            store,
            engine,
            metrics,
            rx,
            known: HashMap::with_capacity(recent.len()),
            sweeps: BinaryHeap::new(),
            last_eviction: now,
            spare_ids: VecDeque::new(),
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
        let now = crate::clock::now();
        let mut batch = Batch::default();
        let mut waiting = Vec::new();
        for submission in submissions {
            self.count_received(&submission.items);
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
            self.remember(batch.staged);
            return;
        }
        let started = std::time::Instant::now();
        let result = match self.assign_ids(&mut batch).await {
            Ok(()) => self.store.write_alerts(&batch.writes).await,
            Err(error) => Err(error),
        };
        self.metrics
            .ingest_commit_seconds
            .observe(started.elapsed().as_secs_f64());
        match result {
            Ok(written) => {
                let changes = self.changes(batch.writes, batch.subjects, &written);
                self.remember(batch.staged);
                for done in waiting {
                    let _ = done.send(Ok(()));
                }
                self.engine.alerts_changed(changes);
            }
            Err(error) => {
                tracing::error!(error = %error, alerts = batch.writes.len(), "Alerts could not be stored.");
                self.metrics.database_errors.inc();
                // Only what was received without needing a write is remembered.
                batch.staged.retain(|_, staged| staged.write.is_none());
                self.remember(batch.staged);
                let error = Arc::new(error);
                for done in waiting {
                    let _ = done.send(Err(IngestError::Store(error.clone())));
                }
            }
        }
    }

    /// Counts received alerts by integration: one update of the counter
    /// per run of alerts from the same one (a request's all are), not one
    /// per alert.
    fn count_received(&self, items: &[Incoming]) {
        let mut run: Option<(&str, u64)> = None;
        for item in items {
            let Incoming::Alert { integration, .. } = item else {
                continue;
            };
            match &mut run {
                Some((name, count)) if name == integration => *count += 1,
                _ => {
                    if let Some((name, count)) = run {
                        self.count_alerts(name, count);
                    }
                    run = Some((integration, 1));
                }
            }
        }
        if let Some((name, count)) = run {
            self.count_alerts(name, count);
        }
    }

    fn count_alerts(&self, integration: &str, count: u64) {
        self.metrics
            .alerts_received
            .get_or_create(&crate::metrics::IntegrationLabels {
                integration: integration.to_owned(),
            })
            .inc_by(count);
    }

    /// Gives the batch's new alerts their ids.
    async fn assign_ids(&mut self, batch: &mut Batch) -> Result<(), StoreError> {
        let count = batch
            .writes
            .iter()
            .filter(|w| matches!(w, AlertWrite::Insert { .. }))
            .count();
        if self.spare_ids.len() < count {
            let wanted = count - self.spare_ids.len() + ID_BLOCK;
            self.spare_ids
                .extend(self.store.reserve_alert_ids(wanted).await?);
        }
        for (write, fingerprint) in batch.writes.iter_mut().zip(&batch.subjects) {
            if let AlertWrite::Insert { id, .. } = write {
                *id = self
                    .spare_ids
                    .pop_front()
                    .ok_or_else(|| StoreError::Corrupt("fewer ids than asked for".into()))?;
                // The latest insert of a fingerprint is what it now refers to.
                if let Some(staged) = batch.staged.get_mut(fingerprint) {
                    staged.known.id = *id;
                }
            }
        }
        Ok(())
    }

    /// The committed changes, for the engine; new alerts' labels move on to
    /// it (for the others it knows them already).
    fn changes(
        &self,
        writes: Vec<AlertWrite>,
        subjects: Vec<Fingerprint>,
        written: &[Written],
    ) -> Vec<AlertChange> {
        let (mut inserts, mut updates) = (0, 0);
        let changes = writes
            .into_iter()
            .zip(subjects)
            .zip(written)
            .map(|((write, fingerprint), done)| {
                match write {
                    AlertWrite::Insert {
                        alert,
                        integration,
                        at,
                        ..
                    } => {
                        inserts += 1;
                        // Moved, not copied: the engine takes the labels
                        // from it.
                        AlertChange::stored(StoredAlert {
                            id: done.id,
                            fingerprint,
                            labels: alert.labels,
                            annotations: alert.annotations,
                            generator_url: alert.generator_url,
                            starts_at: alert.starts_at,
                            ends_at: alert.ends_at,
                            timeout: alert.timeout,
                            updated_at: at,
                            integration,
                            seq: done.seq,
                        })
                    }
                    AlertWrite::Update {
                        starts_at, ends_at, ..
                    } => {
                        updates += 1;
                        AlertChange {
                            id: done.id,
                            seq: done.seq,
                            fingerprint,
                            starts_at,
                            ends_at,
                            alert: None,
                        }
                    }
                }
            })
            .collect();
        for (kind, count) in [("insert", inserts), ("update", updates)] {
            self.metrics
                .alert_writes
                .get_or_create(&crate::metrics::KindLabels { kind })
                .inc_by(count);
        }
        changes
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

    /// Takes the batch's knowledge into memory.
    fn remember(&mut self, staged: HashMap<Fingerprint, Staged>) {
        for (fingerprint, staged) in staged {
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
    let index = match (write, existing) {
        (Write::Nothing, _) => existing,
        (Write::Insert, _) => {
            let Some((alert, integration)) = received else {
                return false;
            };
            // A new occurrence: any earlier write for the old one in this
            // batch stays, this one is added.
            batch.writes.push(AlertWrite::Insert {
                id: 0,
                alert,
                integration,
                at: now,
            });
            batch.subjects.push(fingerprint);
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
            batch.subjects.push(fingerprint);
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

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_testkit::{Backend, TestStore};
    use tokio::sync::oneshot;

    /// Makes the database refuse every new alert, on each backend.
    fn refuse(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => {
                "CREATE TRIGGER refuse BEFORE INSERT ON alerts
                 BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"
            }
            Backend::Postgres => {
                "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql
                   AS $$ BEGIN RAISE EXCEPTION 'refused by the test'; END $$;
                 CREATE TRIGGER refuse BEFORE INSERT ON alerts
                   FOR EACH ROW EXECUTE FUNCTION refuse()"
            }
        }
    }

    fn allow(backend: Backend) -> &'static str {
        match backend {
            Backend::Sqlite => "DROP TRIGGER refuse",
            Backend::Postgres => "DROP TRIGGER refuse ON alerts",
        }
    }

    fn alert(name: &str, now: Timestamp) -> Alert {
        Alert {
            labels: [("alertname", name)].into_iter().collect(),
            annotations: Labels::new(),
            starts_at: now,
            ends_at: Some(now + SignedDuration::from_mins(5)),
            timeout: true,
            generator_url: None,
        }
    }

    type Answered = oneshot::Receiver<Result<(), IngestError>>;

    /// A request carrying `alerts`, and where its answer arrives.
    fn request(alerts: &[&Alert]) -> (Submission, Answered) {
        let (done, answer) = oneshot::channel();
        let items = alerts
            .iter()
            .map(|&alert| Incoming::Alert {
                alert: alert.clone(),
                integration: "test".into(),
            })
            .collect();
        (Submission { items, done }, answer)
    }

    async fn writer(store: Arc<dyn Store>) -> Writer {
        let (_, rx) = mpsc::channel(1);
        Writer::load(
            store,
            EngineHandle::detached(),
            Arc::new(Metrics::new()),
            rx,
        )
        .await
        .expect("the writer loads")
    }

    async fn answer(answered: Answered) -> Result<(), IngestError> {
        answered.await.expect("every request is answered")
    }

    /// A write the database refuses fails the requests that needed it and
    /// leaves nothing of them remembered, so the same alerts sent again
    /// are written; a request that needed no write is still accepted.
    async fn a_refused_write_fails_only_what_needed_it(backend: Backend) {
        let test = TestStore::new(backend).await;
        let mut writer = writer(test.store.clone()).await;
        let now = crate::clock::now();
        let (stored, new, other) = (alert("Stored", now), alert("New", now), alert("Other", now));
        let (first, first_answer) = request(&[&stored]);
        writer.process(vec![first]).await;
        assert!(answer(first_answer).await.is_ok());

        test.database.execute(refuse(backend)).await;
        let (resent, resent_answer) = request(&[&stored]);
        let (fresh, fresh_answer) = request(&[&new, &other]);
        writer.process(vec![resent, fresh]).await;
        assert!(
            answer(resent_answer).await.is_ok(),
            "a re-send that changes nothing was durable already"
        );
        assert!(
            matches!(answer(fresh_answer).await, Err(IngestError::Store(_))),
            "new alerts the database refused are not accepted"
        );
        let remembered =
            |writer: &Writer, alert: &Alert| writer.known.contains_key(&alert.labels.fingerprint());
        assert!(remembered(&writer, &stored));
        assert!(!remembered(&writer, &new) && !remembered(&writer, &other));

        test.database.execute(allow(backend)).await;
        let (retry, retry_answer) = request(&[&new, &other]);
        writer.process(vec![retry]).await;
        assert!(answer(retry_answer).await.is_ok());
        assert!(remembered(&writer, &new) && remembered(&writer, &other));
        let firing = test
            .store
            .alerts_ending_after(now)
            .await
            .expect("read back");
        assert_eq!(firing.len(), 3, "each alert stored once: {firing:?}");
    }

    #[tokio::test]
    async fn a_refused_write_fails_only_what_needed_it_sqlite() {
        a_refused_write_fails_only_what_needed_it(Backend::Sqlite).await;
    }

    #[tokio::test]
    async fn a_refused_write_fails_only_what_needed_it_postgres() {
        a_refused_write_fails_only_what_needed_it(Backend::Postgres).await;
    }
}
