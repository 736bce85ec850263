//! The SLO engine at work: every instance keeps each SLO's event counts
//! (read from the store, where any instance records pushed events) and
//! evaluates them every round, so that any instance answers the API; one
//! instance at a time, holding the `slos` lease, raises the burn alerts
//! into the pipeline, where they are routed, silenced and paged like any
//! other alert.
//!
//! Alerts are re-sent every round while they fire and resolved when they
//! stop ([`crate::raised`]).
//!
//! The lease holder also records each SLO's last completed period in the
//! store once its events have settled: events are pruned once no window
//! needs them, and a period kept with its counts and the objective then in
//! force can be judged long after.

use crate::ingest::Ingest;
use crate::raised::{Firing, Raised};
use crate::reload::ConfigHandle;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Duration;
use pagerbound_core::slo::{
    Evaluation, EventCounts, PeriodCompliance, Sli, Slo, Totals, last_completed, last_period,
    objective_at,
};
use pagerbound_store::{PeriodRecord, SliEvents, Store, StoreError};
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
/// How long after its end a period is recorded. Its events may still be
/// arriving: the Prometheus reader reads a step 30 s after it ends, and
/// after a short outage of Prometheus (or a lost lease) it catches up
/// from its cursor; pushing clients batch, and retry a failed push with
/// backoff; an instance follows rows up to [`MARGIN`] after they were
/// received. An hour covers all of these with room to spare, and is short
/// next to any SLO window, so a period is on record soon after it ends.
/// The record is what was known then: events that arrive later still count
/// in the live windows, not in the recorded period (which is never
/// rewritten, so that every instance shows the same record).
const PERIOD_SETTLE: SignedDuration = SignedDuration::from_hours(1);
/// Periods recorded in one round at most: with thousands of SLOs whose
/// periods end at the same midnight, writing them all at once would hold
/// the round (and its burn alerts, and the lease renewal) for as many
/// writes. The rest follow in the next rounds, seconds apart.
const PERIODS_PER_ROUND: usize = 100;

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
    /// Where the last full load of the counts began: rows for minutes
    /// before it were never read. `None` before the first load.
    loaded_since: Option<Timestamp>,
    /// The start of the last period of each SLO this process recorded (or
    /// found recorded), so that it is written once, not every round.
    periods_recorded: HashMap<String, Timestamp>,
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
            loaded_since: None,
            periods_recorded: HashMap::new(),
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
            // After the objectives: the history says since when each SLO
            // has been known, which decides whether a period was counted
            // whole.
            if holding && let Err(error) = self.periods(now).await {
                tracing::error!(error = %error, "The SLO engine could not record completed periods.");
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
            self.loaded_since = Some(since);
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

    /// Records each SLO's last completed period once its events have
    /// settled and if its counts hold all of it (see [`due_period`]); at
    /// most once per period in this process, and once in the store however
    /// many instances try.
    async fn periods(&mut self, now: Timestamp) -> Result<(), StoreError> {
        let Some(loaded_since) = self.loaded_since else {
            return Ok(());
        };
        let config = self.config.current();
        let due: Vec<(&Slo, Timestamp, Timestamp)> = {
            let book = self.book.read();
            config
                .config
                .slos
                .values()
                .filter_map(|slo| {
                    let counts = book.counts.get(&slo.name)?;
                    let history = book.history.get(&slo.name).map_or(&[][..], Vec::as_slice);
                    let recorded = self.periods_recorded.get(&slo.name).copied();
                    let (from, to) = due_period(slo, counts, history, loaded_since, recorded, now)?;
                    Some((slo, from, to))
                })
                .collect()
        };
        if due.is_empty() {
            return Ok(());
        }
        // Read only while a period is due, which is once a period unless
        // the reader is behind.
        let cursors: HashMap<String, Timestamp> = if due
            .iter()
            .any(|(slo, ..)| matches!(slo.sli, Sli::Prometheus(_)))
        {
            self.store.sli_cursors().await?.into_iter().collect()
        } else {
            HashMap::new()
        };
        let ready = due
            .into_iter()
            .filter(|(slo, _, to)| source_read_through(slo, cursors.get(&slo.name).copied(), *to))
            .take(PERIODS_PER_ROUND);
        for (slo, from, to) in ready {
            let record = {
                let book = self.book.read();
                let Some(counts) = book.counts.get(&slo.name) else {
                    continue;
                };
                let history = book.history.get(&slo.name).map_or(&[][..], Vec::as_slice);
                period_record(slo, counts, history, from, to, now)
            };
            if self.store.record_slo_period(&record).await? {
                tracing::info!(slo = %slo.name, from = %from, to = %to, "Recorded a completed SLO period.");
            }
            // Recorded now, or already by another instance or before a
            // restart: either way it is on record.
            self.periods_recorded.insert(slo.name.clone(), from);
        }
        Ok(())
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

/// The last completed period of `slo`, `(from, to)`, if it is due to be
/// recorded at `now`: not recorded yet (`recorded` is the start of the last
/// one recorded), [`PERIOD_SETTLE`] past its end, and counted whole.
///
/// Counted whole means that `counts` hold every event of the period that
/// pagerbound received, which takes three things: the counts were loaded
/// from stored rows reaching back to its start (`loaded_since`; an
/// instance that was running before the period began loaded from earlier
/// still); its start has not fallen out of them since; and the SLO was
/// known when it began (its first objective was recorded by then: before
/// that, nothing pushed or read its events). A period that misses one of
/// them, such as the one in which an SLO was added, is not recorded at
/// all: its counts would be those of part of it, and a partial period
/// judged as a whole one would be an invented record.
fn due_period(
    slo: &Slo,
    counts: &EventCounts,
    history: &[(Timestamp, f64)],
    loaded_since: Timestamp,
    recorded: Option<Timestamp>,
    now: Timestamp,
) -> Option<(Timestamp, Timestamp)> {
    let (from, to) = last_period(slo, now)?;
    if recorded == Some(from) || now < to.checked_add(PERIOD_SETTLE).ok()? {
        return None;
    }
    let known_since = history.first()?.0;
    (loaded_since <= from && known_since <= from && counts.holds(from, now)).then_some((from, to))
}

/// Whether the events of a period ending at `to` have all been read from
/// the SLO's source: for an SLO read from Prometheus, its reader's cursor
/// (`read_through`) is at or past `to` (it may be behind after an outage,
/// and would otherwise leave the period's last hours out); pushed and
/// probed events have no cursor, and the settle margin is all there is.
fn source_read_through(slo: &Slo, read_through: Option<Timestamp>, to: Timestamp) -> bool {
    match slo.sli {
        Sli::Prometheus(_) => read_through.is_some_and(|through| through >= to),
        Sli::Push | Sli::Probe { .. } => true,
    }
}

/// The record of the period `[from, to)` of `slo`, with its events and the
/// objective in force when it began.
fn period_record(
    slo: &Slo,
    counts: &EventCounts,
    history: &[(Timestamp, f64)],
    from: Timestamp,
    to: Timestamp,
    now: Timestamp,
) -> PeriodRecord {
    let events = counts.between(from, to, now);
    // A window's count is a difference of cumulative sums: rounding may
    // leave a hair below zero, or more good than valid events, which the
    // store rightly refuses.
    let total = events.total.max(0.0);
    PeriodRecord {
        slo: slo.name.clone(),
        from,
        to,
        objective: objective_at(history, from, slo.objective),
        good: events.good.max(0.0).min(total),
        total,
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

#[cfg(test)]
mod tests {
    use super::*;
    use pagerbound_core::alert::Labels;
    use pagerbound_core::slo::{Period, PrometheusSli, RatioQueries, SloWindow, workbook_policy};

    fn at(text: &str) -> Timestamp {
        text.parse().expect("timestamp")
    }

    fn slo(window: SloWindow) -> Slo {
        Slo {
            name: "checkout".into(),
            service: "checkout".into(),
            description: None,
            sli: Sli::Push,
            objective: 99.9,
            alerting: workbook_policy(&window),
            window,
            min_events: 0.0,
            owner: None,
            runbook: None,
            labels: Labels::new(),
        }
    }

    fn month() -> Slo {
        slo(SloWindow::Calendar {
            period: Period::Month,
            time_zone: jiff::tz::TimeZone::UTC,
        })
    }

    /// Known, and counted, since long before April.
    const HISTORY: [(&str, f64); 2] = [
        ("2026-01-01T00:00:00Z", 99.5),
        ("2026-05-01T00:00:00Z", 99.9),
    ];

    fn history() -> Vec<(Timestamp, f64)> {
        HISTORY.iter().map(|(since, o)| (at(since), *o)).collect()
    }

    /// Counts for `slo` with events up to `now`, as a running engine has.
    fn counts_until(slo: &Slo, now: Timestamp) -> EventCounts {
        let mut counts = EventCounts::new(slo.reach());
        counts.add(
            now - SignedDuration::from_mins(1),
            Totals {
                good: 1.0,
                total: 1.0,
            },
        );
        counts
    }

    #[test]
    fn a_period_is_due_once_its_events_have_settled() {
        let slo = month();
        let loaded = at("2026-02-15T00:00:00Z");
        let april = Some((at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z")));
        let due = |now: &str| {
            let now = at(now);
            due_period(
                &slo,
                &counts_until(&slo, now),
                &history(),
                loaded,
                None,
                now,
            )
        };
        assert_eq!(
            due("2026-04-30T23:59:00Z"),
            Some((at("2026-03-01T00:00:00Z"), at("2026-04-01T00:00:00Z"))),
            "April is not over: March is the last completed period"
        );
        assert_eq!(
            due("2026-05-01T00:30:00Z"),
            None,
            "April's events may still arrive"
        );
        assert_eq!(due("2026-05-01T00:59:59Z"), None);
        assert_eq!(
            due("2026-05-01T01:00:00Z"),
            april,
            "settled an hour after its end"
        );
        assert_eq!(due("2026-05-20T10:00:00Z"), april, "and until May ends");
        let now = at("2026-05-01T02:00:00Z");
        assert_eq!(
            due_period(
                &slo,
                &counts_until(&slo, now),
                &history(),
                loaded,
                Some(at("2026-04-01T00:00:00Z")),
                now,
            ),
            None,
            "recorded already"
        );
    }

    #[test]
    fn a_period_not_counted_whole_is_not_due() {
        let monthly = month();
        let now = at("2026-05-01T02:00:00Z");
        let counts = counts_until(&monthly, now);
        let april = Some((at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z")));
        let due = |history: &[(Timestamp, f64)], loaded: &str| {
            due_period(&monthly, &counts, history, at(loaded), None, now)
        };
        // Counts loaded (at start, or after a reload) from rows reaching
        // back to its start: due, whenever the process started.
        assert_eq!(due(&history(), "2026-04-01T00:00:00Z"), april);
        // Loaded from rows that begin after its start: part of April is
        // missing from the counts.
        assert_eq!(due(&history(), "2026-04-01T00:01:00Z"), None);
        // The SLO was added during April: nothing counted its events
        // before.
        let added = [(at("2026-04-10T09:00:00Z"), 99.9)];
        assert_eq!(due(&added, "2026-03-01T00:00:00Z"), None);
        // Without history (not read yet), when it was added is unknown.
        assert_eq!(due(&[], "2026-03-01T00:00:00Z"), None);
        // Counts that no longer keep its start (here, made too short).
        let mut short = EventCounts::new(Duration::from_mins(24 * 60));
        short.add(now, Totals::default());
        assert_eq!(
            due_period(
                &monthly,
                &short,
                &history(),
                at("2026-03-01T00:00:00Z"),
                None,
                now
            ),
            None
        );
        // A window of an hour keeps its hours by the minute: the hour
        // before midnight is due an hour after it.
        let hourly = slo(SloWindow::Rolling(Duration::from_mins(60)));
        let now = at("2026-05-01T01:30:00Z");
        assert_eq!(
            due_period(
                &hourly,
                &counts_until(&hourly, now),
                &history(),
                at("2026-04-30T20:00:00Z"),
                None,
                now
            ),
            Some((at("2026-04-30T23:00:00Z"), at("2026-05-01T00:00:00Z")))
        );
    }

    #[test]
    fn a_period_read_from_prometheus_waits_for_its_reader() {
        let mut slo = month();
        let to = at("2026-05-01T00:00:00Z");
        assert!(source_read_through(&slo, None, to), "pushed: no cursor");
        slo.sli = Sli::Prometheus(PrometheusSli {
            url: "http://prometheus:9090".parse().expect("url"),
            queries: RatioQueries::ErrorRatio {
                error_ratio: "ratio".into(),
            },
            step: Duration::from_mins(1),
        });
        assert!(!source_read_through(&slo, None, to), "never read");
        assert!(!source_read_through(
            &slo,
            Some(at("2026-04-30T22:00:00Z")),
            to
        ));
        assert!(source_read_through(&slo, Some(to), to));
        assert!(source_read_through(
            &slo,
            Some(at("2026-05-01T01:00:00Z")),
            to
        ));
    }

    #[test]
    fn a_period_is_recorded_with_its_events_and_the_objective_then_in_force() {
        let slo = month();
        let mut counts = EventCounts::new(slo.reach());
        let events = |good, total| Totals { good, total };
        counts.add(at("2026-03-31T23:59:00Z"), events(0.0, 50.0));
        counts.add(at("2026-04-01T00:00:00Z"), events(997.0, 1000.0));
        counts.add(at("2026-04-30T23:59:00Z"), events(0.1, 0.3));
        counts.add(at("2026-05-01T00:00:00Z"), events(0.0, 70.0));
        let (from, to) = (at("2026-04-01T00:00:00Z"), at("2026-05-01T00:00:00Z"));
        let record = period_record(
            &slo,
            &counts,
            &history(),
            from,
            to,
            at("2026-05-01T01:00:00Z"),
        );
        assert_eq!(
            (record.slo.as_str(), record.from, record.to),
            ("checkout", from, to)
        );
        assert_eq!(record.objective, 99.5, "April's, not today's 99.9");
        assert!((record.good - 997.1).abs() < 1e-9, "{record:?}");
        assert!((record.total - 1000.3).abs() < 1e-9, "{record:?}");
        assert!(record.good <= record.total);
    }
}
