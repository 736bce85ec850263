//! The SLO engine at work: every instance keeps each SLO's event counts
//! (read from the store, where any instance records pushed events) and
//! evaluates them every round, so that any instance answers the API; one
//! instance at a time, holding the `slos` lease, raises the burn alerts
//! into the pipeline, where they are routed, silenced and paged like any
//! other alert.
//!
//! Alerts are re-sent every round while they fire and resolved when they
//! stop ([`crate::raised`]).

use crate::ingest::Ingest;
use crate::raised::{Firing, Raised};
use crate::reload::ConfigHandle;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration;
use pagerbound_core::slo::{
    Evaluation, EventCounts, PeriodCompliance, Slo, Totals, last_completed,
};
use pagerbound_store::{SliEvents, Store, StoreError};
use serde::Serialize;
use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, RwLock};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

const LEASE: &str = "slos";
/// A round every so often, and at once after a push to this instance.
const TICK: std::time::Duration = std::time::Duration::from_secs(10);
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(30);
/// Rows are followed by when they were received; a write may commit up
/// to this much after its `received_at` (or come from a clock this much
/// behind) and still be counted.
const MARGIN: SignedDuration = SignedDuration::from_secs(30);
const PRUNE_EVERY: SignedDuration = SignedDuration::from_mins(60);
/// How often instances read the objectives' history again (the lease
/// holder records changes when the configuration changes).
const HISTORY_EVERY: SignedDuration = SignedDuration::from_mins(1);

/// Counts and the latest evaluation of every SLO; shared by the engine
/// and the API.
#[derive(Default)]
pub struct SloBook {
    inner: RwLock<Book>,
    wake: Notify,
}

#[derive(Default)]
struct Book {
    counts: HashMap<String, EventCounts>,
    evaluations: HashMap<String, Evaluation>,
    /// Each SLO's objectives, `(since, objective)`, oldest first.
    history: HashMap<String, Vec<(Timestamp, f64)>>,
    /// Why an SLO's source could not be read last time, on the instance
    /// that reads it.
    source_errors: HashMap<String, String>,
}

/// One point of an SLO's series, for charts.
#[derive(Debug, Clone, Serialize)]
pub struct Point {
    pub at: Timestamp,
    /// Events in the step that ends at `at`.
    pub events: Totals,
    pub error_ratio: Option<f64>,
    pub burn_rate: Option<f64>,
    /// Over the SLO window that ends at `at`.
    pub budget_remaining: Option<f64>,
}

impl SloBook {
    /// Asks for a round now (events were pushed).
    pub fn wake(&self) {
        self.wake.notify_one();
    }

    pub fn evaluation(&self, name: &str) -> Option<Evaluation> {
        self.read().evaluations.get(name).cloned()
    }

    /// Where each of `slos` stands, for `/metrics`.
    pub fn standings<'a>(
        &self,
        slos: impl IntoIterator<Item = &'a Slo>,
    ) -> Vec<crate::metrics::SloStanding> {
        let book = self.read();
        slos.into_iter()
            .filter_map(|slo| {
                let evaluation = book.evaluations.get(&slo.name)?;
                Some(crate::metrics::SloStanding {
                    slo: slo.name.clone(),
                    service: slo.service.clone(),
                    objective: slo.objective / 100.0,
                    budget_remaining: evaluation.budget_remaining,
                    burn_rates: evaluation
                        .burn_rates
                        .iter()
                        .map(|r| (r.window.to_string(), r.burn_rate))
                        .collect(),
                    alerts: evaluation
                        .alerts
                        .iter()
                        .map(|a| (a.alert.window_label(), a.alert.severity.as_str(), a.firing))
                        .collect(),
                })
            })
            .collect()
    }

    /// Why the SLO's source could not be read last time (on this
    /// instance), if it could not.
    pub fn source_error(&self, name: &str) -> Option<String> {
        self.read().source_errors.get(name).cloned()
    }

    /// Notes how the last read of an SLO's source went.
    pub fn set_source_error(&self, name: &str, error: Option<String>) {
        let mut book = self.write();
        match error {
            Some(error) => drop(book.source_errors.insert(name.to_owned(), error)),
            None => drop(book.source_errors.remove(name)),
        }
    }

    /// The SLO's objectives over time, `(since, objective)`, oldest first.
    pub fn objective_history(&self, name: &str) -> Vec<(Timestamp, f64)> {
        self.read().history.get(name).cloned().unwrap_or_default()
    }

    /// How the SLO's last completed period went, judged by the objective
    /// then in force.
    pub fn last_completed(&self, slo: &Slo, now: Timestamp) -> Option<PeriodCompliance> {
        let book = self.read();
        let counts = book.counts.get(&slo.name)?;
        let history = book.history.get(&slo.name).map_or(&[][..], Vec::as_slice);
        last_completed(slo, counts, history, now)
    }

    /// Where `slo` stood at each step from `from` to `to`.
    pub fn series(&self, slo: &Slo, from: Timestamp, to: Timestamp, step: Duration) -> Vec<Point> {
        let book = self.read();
        let Some(counts) = book.counts.get(&slo.name) else {
            return Vec::new();
        };
        let step = step.to_signed();
        let mut points = Vec::new();
        let mut at = from;
        while at <= to {
            let start = at.checked_sub(step).unwrap_or(at);
            let events = counts.between(start, at, at);
            let window = counts.between(slo.window.start(at), at, at);
            points.push(Point {
                at,
                events,
                error_ratio: events.error_ratio(),
                burn_rate: events.error_ratio().map(|r| r / slo.budget()),
                budget_remaining: window.error_ratio().map(|r| 1.0 - r / slo.budget()),
            });
            let Ok(next) = at.checked_add(step) else {
                break;
            };
            at = next;
        }
        points
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Book> {
        // A panic while holding the lock leaves plain numbers behind.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Book> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }
}

/// The SLO engine task.
pub struct Engine {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    ingest: Ingest,
    book: Arc<SloBook>,
    holder: String,
    /// The reach each SLO's counts were loaded for; a change reloads.
    loaded: BTreeMap<String, Duration>,
    /// Rows are followed from here (less the margin).
    cursor: Timestamp,
    /// Rows counted in the margin, by id, with when they were received.
    seen: HashMap<i64, Timestamp>,
    raised: Raised,
    pruned_at: Option<Timestamp>,
    /// The configuration whose objectives were last recorded.
    objectives_seen: Option<u64>,
    history_read_at: Option<Timestamp>,
}

impl Engine {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<ConfigHandle>,
        ingest: Ingest,
        book: Arc<SloBook>,
    ) -> Self {
        let holder = crate::store::lease_holder(store.backend());
        Engine {
            store,
            config,
            ingest,
            book,
            holder,
            loaded: BTreeMap::new(),
            cursor: Timestamp::UNIX_EPOCH,
            seen: HashMap::new(),
            raised: Raised::default(),
            pruned_at: None,
            objectives_seen: None,
            history_read_at: None,
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let book = self.book.clone();
        let mut holding;
        loop {
            let now = crate::clock::now();
            if let Err(error) = self.count(now).await {
                tracing::error!(error = %error, "The SLO engine could not read SLI events.");
            }
            self.evaluate(now);
            match self
                .store
                .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
                .await
            {
                Ok(now_holding) => {
                    if !now_holding {
                        // Whoever holds it now raises and resolves.
                        self.raised.forget();
                    }
                    holding = now_holding;
                }
                Err(error) => {
                    tracing::error!(error = %error, "The SLO engine could not renew its lease.");
                    holding = false;
                }
            }
            if holding {
                self.raise(now).await;
                self.prune(now).await;
            }
            if let Err(error) = self.objectives(holding, now).await {
                tracing::error!(error = %error, "The SLO engine could not keep the objectives' history.");
            }
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(TICK) => {}
                _ = book.wake.notified() => {}
            }
        }
        if holding && let Err(error) = self.store.release_lease(LEASE, &self.holder).await {
            tracing::warn!(error = %error, "Could not release the SLO lease.");
        }
    }

    /// Records objectives that changed (the lease holder does), and reads
    /// the history back now and then for the API.
    async fn objectives(&mut self, holding: bool, now: Timestamp) -> Result<(), StoreError> {
        let config = self.config.current();
        let mut changed = false;
        if holding && self.objectives_seen != Some(config.generation) {
            for slo in config.config.slos.values() {
                changed |= self
                    .store
                    .record_objective(&slo.name, slo.objective, now)
                    .await?;
            }
            self.objectives_seen = Some(config.generation);
        }
        let stale = self
            .history_read_at
            .is_none_or(|at| now >= at + HISTORY_EVERY);
        if changed || stale {
            let mut history: HashMap<String, Vec<(Timestamp, f64)>> = HashMap::new();
            for record in self.store.objective_history().await? {
                history
                    .entry(record.slo)
                    .or_default()
                    .push((record.since, record.objective));
            }
            self.book.write().history = history;
            self.history_read_at = Some(now);
        }
        Ok(())
    }

    /// Brings the counts up to date: a full load when the SLOs (or how far
    /// back they reach) changed, the rows received since otherwise.
    async fn count(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let config = self.config.current();
        let reaches: BTreeMap<String, Duration> = config
            .config
            .slos
            .values()
            .map(|slo| (slo.name.clone(), slo.reach()))
            .collect();
        if reaches != self.loaded {
            let longest = reaches.values().max().copied().unwrap_or(Duration::ZERO);
            let since = now
                .checked_sub(longest.to_signed())
                .unwrap_or(Timestamp::UNIX_EPOCH);
            let received_before = now - MARGIN;
            let rows = if reaches.is_empty() {
                Vec::new()
            } else {
                self.store.sli_event_totals(since, received_before).await?
            };
            let mut counts: HashMap<String, EventCounts> = reaches
                .iter()
                .map(|(name, reach)| (name.clone(), EventCounts::new(*reach)))
                .collect();
            for row in &rows {
                add(&mut counts, row);
            }
            self.book.write().counts = counts;
            self.loaded = reaches;
            self.cursor = now;
            self.seen.clear();
            return Ok(());
        }
        let rows = self.store.sli_events_received(self.cursor - MARGIN).await?;
        let mut book = self.book.write();
        for row in rows {
            if self.seen.insert(row.id, row.received_at).is_none() {
                add(&mut book.counts, &row.events);
            }
        }
        drop(book);
        self.seen
            .retain(|_, received| *received >= now - MARGIN - MARGIN);
        self.cursor = now;
        Ok(())
    }

    /// Evaluates under the read lock, so that the API is not held up
    /// for a whole round; only the swap takes the write lock.
    fn evaluate(&self, now: Timestamp) {
        let config = self.config.current();
        let evaluations: HashMap<String, Evaluation> = {
            let book = self.book.read();
            config
                .config
                .slos
                .values()
                .filter_map(|slo| {
                    let counts = book.counts.get(&slo.name)?;
                    Some((slo.name.clone(), Evaluation::of(slo, counts, now)))
                })
                .collect()
        };
        self.book.write().evaluations = evaluations;
    }

    /// Sends every firing burn alert again, and the ones that stopped as
    /// resolved.
    async fn raise(&mut self, now: Timestamp) {
        let config = self.config.current();
        let external = &config.config.settings.external_url;
        let mut firing = Vec::new();
        {
            let book = self.book.read();
            for slo in config.config.slos.values() {
                let Some(evaluation) = book.evaluations.get(&slo.name) else {
                    continue;
                };
                for reading in evaluation.firing() {
                    firing.push(Firing {
                        labels: slo.alert_labels(&reading.alert),
                        annotations: slo.alert_annotations(reading, evaluation),
                        since: now,
                        generator_url: external
                            .join(&format!("api/v1/slos/{}", slo.name))
                            .ok()
                            .map(String::from),
                    });
                }
            }
        }
        if let Err(error) = self.raised.send(&self.ingest, firing, now).await {
            tracing::error!(error = %error, "Could not raise SLO burn alerts.");
        }
    }

    /// Forgets events older than any SLO still needs, now and then.
    async fn prune(&mut self, now: Timestamp) {
        if self.pruned_at.is_some_and(|at| now < at + PRUNE_EVERY) {
            return;
        }
        self.pruned_at = Some(now);
        let longest = self
            .loaded
            .values()
            .max()
            .copied()
            .unwrap_or(Duration::ZERO);
        // A day more than needed, so that a longer window configured
        // tomorrow still finds yesterday's events.
        let keep = longest.to_signed() + SignedDuration::from_hours(24);
        let Ok(before) = now.checked_sub(keep) else {
            return;
        };
        match self.store.prune_sli_events(before).await {
            Ok(0) => {}
            Ok(pruned) => tracing::info!(rows = pruned, "Pruned old SLI events."),
            Err(error) => tracing::warn!(error = %error, "Could not prune SLI events."),
        }
    }
}

fn add(counts: &mut HashMap<String, EventCounts>, row: &SliEvents) {
    if let Some(slo) = counts.get_mut(&row.slo) {
        slo.add(
            row.minute,
            Totals {
                good: row.good,
                total: row.total,
            },
        );
    }
}
