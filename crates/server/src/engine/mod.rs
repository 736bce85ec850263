//! The engine: the background loop that moves alerts into groups, opens,
//! updates and resolves pages and tickets, applies silences, inhibition and
//! maintenance windows, and purges old history.
//!
//! Alerts reach it from the ingest writer as soon as they are durable. One
//! instance at a time runs it, holding the `engine` lease in the store, so
//! that with several instances on PostgreSQL no page is opened twice; the
//! others stand by. Its state is rebuilt from the store whenever it takes
//! the lease, so a crash or a takeover resumes where things were.

mod state;

pub(crate) use state::{Action, State};

use crate::metrics::{ClassLabels, Metrics};
use crate::notify::{NotifierHandle, Opened};
use crate::reload::ConfigHandle;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::alert::{Fingerprint, Labels};
use pagerbound_store::{
    Actor, Backend, NewPage, PageEvent, PageState, Response, Store, StoreError, StoredAlert,
};
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use tokio::sync::{Notify, mpsc, watch};
use tokio::task::JoinHandle;

/// A durable change to an alert, as the ingest writer reports it.
#[derive(Debug, Clone)]
pub struct AlertChange {
    pub id: i64,
    pub seq: i64,
    pub fingerprint: Fingerprint,
    pub starts_at: Timestamp,
    pub ends_at: Option<Timestamp>,
    /// The whole occurrence, with its labels: for a new occurrence, and a
    /// change read back from the store. `None` when only the times changed
    /// (the engine knows the labels). A page opened for an occurrence the
    /// ingest writer just inserted needs not read it back.
    pub alert: Option<Arc<StoredAlert>>,
}

impl AlertChange {
    /// The change that an occurrence, as stored, makes.
    pub fn stored(alert: StoredAlert) -> AlertChange {
        AlertChange {
            id: alert.id,
            seq: alert.seq,
            fingerprint: alert.fingerprint,
            starts_at: alert.starts_at,
            ends_at: alert.ends_at,
            alert: Some(Arc::new(alert)),
        }
    }

    /// The labels, when the change carries them.
    pub fn labels(&self) -> Option<&Labels> {
        self.alert.as_deref().map(|alert| &alert.labels)
    }
}

enum Input {
    Alerts(Vec<AlertChange>),
    SilencesChanged,
    MaintenanceChanged,
}

struct Shared {
    /// Inputs were dropped (the queue was full): catch up from the store.
    lagging: AtomicBool,
    wake: Notify,
    /// The highest change applied; later ones are "unprocessed".
    applied_seq: AtomicI64,
    /// Actions are being stored (pages opened, changed, resolved).
    acting: AtomicBool,
}

/// Tells the engine what changed; cheap to clone.
#[derive(Clone)]
pub struct EngineHandle {
    tx: mpsc::Sender<Input>,
    shared: Arc<Shared>,
}

/// Inputs waiting for the engine, at most; beyond that it catches up from
/// the store instead, so ingest never waits for it.
const QUEUE: usize = 4096;
const LEASE: &str = "engine";
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(15);
const LEASE_RENEWAL: SignedDuration = SignedDuration::from_secs(5);
/// How often silences and maintenance windows are re-read, for changes
/// made through another instance.
const REFRESH: SignedDuration = SignedDuration::from_secs(15);
/// How often alerts written by other instances are looked for (PostgreSQL).
const POLL: SignedDuration = SignedDuration::from_secs(2);
const PURGE: SignedDuration = SignedDuration::from_hours(1);
/// How often ended snoozes are looked for: a snooze ends at most this late.
const SNOOZE_CHECK: SignedDuration = SignedDuration::from_secs(1);

impl EngineHandle {
    fn new() -> (EngineHandle, mpsc::Receiver<Input>) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let shared = Arc::new(Shared {
            lagging: AtomicBool::new(false),
            wake: Notify::new(),
            applied_seq: AtomicI64::new(0),
            acting: AtomicBool::new(false),
        });
        (EngineHandle { tx, shared }, rx)
    }

    /// A handle no engine listens to, for tests of what feeds it: what is
    /// sent to it is dropped.
    #[cfg(test)]
    pub(crate) fn detached() -> EngineHandle {
        Self::new().0
    }

    fn send(&self, input: Input) {
        if self.tx.try_send(input).is_err() {
            self.shared.lagging.store(true, Ordering::Release);
            self.shared.wake.notify_one();
        }
    }

    /// Alerts were written.
    pub fn alerts_changed(&self, changes: Vec<AlertChange>) {
        if !changes.is_empty() {
            self.send(Input::Alerts(changes));
        }
    }

    /// A silence was created, changed or expired.
    pub fn silences_changed(&self) {
        self.send(Input::SilencesChanged);
    }

    /// A maintenance window was created or ended.
    pub fn maintenance_changed(&self) {
        self.send(Input::MaintenanceChanged);
    }

    /// The highest alert change the engine has taken in.
    pub fn applied_seq(&self) -> i64 {
        self.shared.applied_seq.load(Ordering::Acquire)
    }

    /// Whether the engine is storing a round of actions: more timeline
    /// events of the same moment are on their way.
    pub fn is_acting(&self) -> bool {
        self.shared.acting.load(Ordering::Acquire)
    }
}

/// The engine task.
pub struct Engine {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    metrics: Arc<Metrics>,
    handle: EngineHandle,
    rx: mpsc::Receiver<Input>,
    holder: String,
    state: Option<State>,
    notifier: NotifierHandle,
    /// Occurrences the ingest writer just inserted, taken in since the
    /// last step: a page opened for them reads nothing back.
    fresh: HashMap<i64, Arc<StoredAlert>>,
}

impl Engine {
    /// Creates the engine and the handle that feeds it.
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<ConfigHandle>,
        metrics: Arc<Metrics>,
        notifier: NotifierHandle,
    ) -> (Engine, EngineHandle) {
        let (handle, rx) = EngineHandle::new();
        let holder = crate::store::lease_holder(store.backend());
        let engine = Engine {
            store,
            config,
            metrics,
            handle: handle.clone(),
            rx,
            holder,
            state: None,
            notifier,
            fresh: HashMap::new(),
        };
        (engine, handle)
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut configs = self.config.subscribe();
        let mut next_lease = crate::clock::now();
        let mut next_refresh = crate::clock::now() + REFRESH;
        let mut next_poll = crate::clock::now() + POLL;
        let mut next_purge = crate::clock::now() + SignedDuration::from_secs(60);
        let mut next_snooze_check = crate::clock::now();
        loop {
            let now = crate::clock::now();
            if now >= next_lease {
                next_lease = now + LEASE_RENEWAL;
                self.hold_lease(now).await;
            }
            let wait = self
                .state
                .as_ref()
                .and_then(State::next_due)
                .map(|due| {
                    due.duration_since(now)
                        .clamp(SignedDuration::ZERO, SignedDuration::from_secs(1))
                })
                .unwrap_or(SignedDuration::from_secs(1));
            tokio::select! {
                _ = stop.changed() => break,
                input = self.rx.recv() => match input {
                    Some(input) => self.take(input).await,
                    None => break,
                },
                _ = self.handle.shared.wake.notified() => {}
                changed = configs.changed() => {
                    if changed.is_ok() {
                        let config = Arc::new(configs.borrow_and_update().config.clone());
                        if let Some(state) = &mut self.state {
                            state.reconfigure(config, crate::clock::now());
                        }
                    }
                }
                _ = tokio::time::sleep(wait.unsigned_abs()) => {}
            }
            // Take in everything else that is waiting before acting.
            while let Ok(input) = self.rx.try_recv() {
                self.take(input).await;
            }
            let now = crate::clock::now();
            let poll_due = self.store.backend() == Backend::Postgres && now >= next_poll;
            if self.handle.shared.lagging.swap(false, Ordering::AcqRel) || poll_due {
                next_poll = now + POLL;
                self.catch_up().await;
            }
            if now >= next_refresh {
                next_refresh = now + REFRESH;
                self.refresh().await;
            }
            if now >= next_purge {
                next_purge = now + PURGE;
                self.purge(now).await;
            }
            if now >= next_snooze_check {
                next_snooze_check = now + SNOOZE_CHECK;
                self.end_snoozes(now).await;
            }
            self.step(now).await;
        }
        if self.state.is_some()
            && let Err(error) = self.store.release_lease(LEASE, &self.holder).await
        {
            tracing::warn!(error = %error, "Could not release the engine lease.");
        }
        tracing::info!("Engine stopped.");
    }

    /// Takes or renews the lease; loads the state on taking it, drops it on
    /// losing it.
    async fn hold_lease(&mut self, now: Timestamp) {
        match self
            .store
            .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
            .await
        {
            Ok(true) if self.state.is_none() => match self.load(now).await {
                Ok(state) => {
                    tracing::info!(
                        alerts = state.alerts.len(),
                        groups = state.groups.len(),
                        "Engine took the lease and resumed."
                    );
                    self.handle
                        .shared
                        .applied_seq
                        .store(state.applied_seq, Ordering::Release);
                    self.state = Some(state);
                }
                Err(error) => tracing::error!(error = %error, "Engine could not load its state."),
            },
            Ok(true) => {}
            Ok(false) => {
                if self.state.take().is_some() {
                    tracing::warn!("Engine lost the lease to another instance; standing by.");
                }
            }
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Engine could not renew its lease.");
            }
        }
    }

    /// Rebuilds the state from the store.
    async fn load(&self, now: Timestamp) -> Result<State, StoreError> {
        let config = Arc::new(self.config.current().config.clone());
        let mut state = State::new(config);
        for group in self.store.groups().await? {
            state.restore_group(group);
        }
        state.silences = self.store.silences(now).await?;
        state.maintenance = self.store.maintenance_windows(now).await?;
        for stored in self.store.alerts_ending_after(now).await? {
            state.apply(&AlertChange::stored(stored), now);
        }
        Ok(state)
    }

    async fn take(&mut self, input: Input) {
        let Some(state) = &mut self.state else {
            return; // Not the leader: the leader reads it from the store.
        };
        let now = crate::clock::now();
        match input {
            Input::Alerts(changes) => {
                let mut missing = false;
                for change in &changes {
                    missing |= !state.apply(change, now);
                }
                for change in changes {
                    // A later change to it makes what was inserted stale.
                    match change.alert {
                        Some(alert) => self.fresh.insert(change.id, alert),
                        None => self.fresh.remove(&change.id),
                    };
                }
                self.handle
                    .shared
                    .applied_seq
                    .store(state.applied_seq, Ordering::Release);
                if missing {
                    self.catch_up().await;
                }
            }
            Input::SilencesChanged | Input::MaintenanceChanged => self.refresh().await,
        }
    }

    /// Reads alert changes the engine has not seen from the store: written
    /// by another instance, or dropped from a full queue.
    async fn catch_up(&mut self) {
        let Some(state) = &mut self.state else {
            return;
        };
        // PostgreSQL may commit a lower change number after a higher one is
        // visible; looking back a little catches those, and applying a
        // change twice does nothing.
        let mut after = (state.applied_seq - 1000).max(0);
        loop {
            let changes = match self.store.alerts_changed_since(after, 5000).await {
                Ok(changes) => changes,
                Err(error) => {
                    self.metrics.database_errors.inc();
                    tracing::error!(error = %error, "Engine could not read alert changes.");
                    return;
                }
            };
            let now = crate::clock::now();
            let full = changes.len() >= 5000;
            for stored in changes {
                after = after.max(stored.seq);
                state.apply(&AlertChange::stored(stored), now);
            }
            if !full {
                break;
            }
        }
        self.handle
            .shared
            .applied_seq
            .store(state.applied_seq, Ordering::Release);
    }

    /// Re-reads silences and maintenance windows.
    async fn refresh(&mut self) {
        let Some(state) = &mut self.state else {
            return;
        };
        let now = crate::clock::now();
        match (
            self.store.silences(now).await,
            self.store.maintenance_windows(now).await,
        ) {
            (Ok(silences), Ok(windows)) => {
                state.silences = silences;
                state.maintenance = windows;
            }
            (Err(error), _) | (_, Err(error)) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Engine could not read silences and maintenance windows.");
            }
        }
    }

    async fn purge(&self, now: Timestamp) {
        if self.state.is_none() {
            return;
        }
        let retention = self.config.current().config.settings.retention;
        match self.store.purge_history(now - retention.to_signed()).await {
            Ok(purged)
                if purged.alerts + purged.pages + purged.silences + purged.maintenance_windows
                    > 0 =>
            {
                tracing::info!(
                    alerts = purged.alerts,
                    pages = purged.pages,
                    silences = purged.silences,
                    maintenance_windows = purged.maintenance_windows,
                    "History older than the retention period purged."
                );
            }
            Ok(_) => {}
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Could not purge old history.");
            }
        }
        // Expired web sessions are refused anyway; this keeps the table
        // from growing with every sign-in.
        match self.store.prune_sessions(now).await {
            Ok(0) => {}
            Ok(pruned) => tracing::debug!(pruned, "Expired web sessions removed."),
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Could not remove expired web sessions.");
            }
        }
    }

    /// Wakes snoozed pages whose snooze ended: back to triggered (with a
    /// `snooze_ended` event, which notifies again) while their alerts still
    /// fire; resolved when they all ended meanwhile.
    async fn end_snoozes(&mut self, now: Timestamp) {
        if self.state.is_none() {
            return;
        }
        let ended = match self.store.ended_snoozes(now).await {
            Ok(ended) => ended,
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Engine could not look for ended snoozes.");
                return;
            }
        };
        for page in ended {
            if let Err(error) = self.end_snooze(page.id, now).await {
                self.metrics.database_errors.inc();
                tracing::error!(id = page.id, error = %error, "Engine could not end a snooze.");
            }
        }
    }

    async fn end_snooze(&self, page_id: i64, now: Timestamp) -> Result<(), StoreError> {
        let alerts = self.store.page_alerts(page_id).await?;
        let response = if alerts.iter().any(|alert| alert.is_firing(now)) {
            Response::EndSnooze
        } else {
            Response::Resolve
        };
        self.store
            .respond(page_id, &response, Actor::ENGINE, now)
            .await?;
        self.notifier.wake();
        tracing::info!(id = page_id, outcome = response.name(), "Snooze ended.");
        Ok(())
    }

    /// Does what is due and stores the outcome.
    async fn step(&mut self, now: Timestamp) {
        let Some(state) = &mut self.state else {
            return;
        };
        let actions = state.process(now);
        if !actions.is_empty() {
            self.handle.shared.acting.store(true, Ordering::Release);
            // Pages opened go to the notifier in full; anything else it
            // reads from the store.
            let mut opened = Vec::new();
            let mut more = false;
            for action in &actions {
                more |= !matches!(action, Action::Open { .. });
                match self.act(action, now).await {
                    Ok(Some(page)) => opened.push(page),
                    Ok(None) => {}
                    Err(error) => {
                        self.metrics.database_errors.inc();
                        tracing::error!(error = %error, action = ?action, "Engine could not store an action.");
                    }
                }
            }
            self.handle.shared.acting.store(false, Ordering::Release);
            self.notifier.engine_acted(opened, more);
            // Let the notifier take the writer first: the notification is
            // on the way to a person, the groups below are not.
            tokio::task::yield_now().await;
        }
        self.fresh.clear();
        let Some(state) = &mut self.state else {
            return;
        };
        let (dirty, finished) = state.take_dirty();
        let saved = match self.store.save_groups(&dirty).await {
            Ok(()) => self.store.delete_groups(&finished).await,
            Err(error) => Err(error),
        };
        if let Err(error) = saved {
            self.metrics.database_errors.inc();
            tracing::error!(error = %error, "Engine could not save group state.");
            // Keep them dirty, to try again next time.
            for group in dirty {
                state.dirty.insert(Arc::from(group.key.as_str()));
            }
        }
    }

    /// The occurrences with these ids, by id: from those just taken in
    /// when they all are, else read.
    async fn alerts(&self, ids: &[i64]) -> Result<Vec<StoredAlert>, StoreError> {
        let fresh: Option<Vec<StoredAlert>> = ids
            .iter()
            .map(|id| self.fresh.get(id).map(|alert| StoredAlert::clone(alert)))
            .collect();
        match fresh {
            Some(mut alerts) => {
                alerts.sort_by_key(|alert| alert.id);
                Ok(alerts)
            }
            None => self.store.alerts_by_ids(ids).await,
        }
    }

    /// Stores an action; answers the page it opened, if it opened one.
    async fn act(&mut self, action: &Action, now: Timestamp) -> Result<Option<Opened>, StoreError> {
        match action {
            Action::Open {
                group,
                class,
                service,
                route,
                labels,
                alert_ids,
            } => {
                // All of them, for the title and for the notifier.
                let alerts = self.alerts(alert_ids).await?;
                let title = title(labels, alert_ids, &alerts);
                let stored = self
                    .store
                    .open_page(&NewPage {
                        class: *class,
                        service: service.clone(),
                        route: route.clone(),
                        group_key: group.to_string(),
                        group_labels: labels.clone(),
                        title: title.clone(),
                        at: now,
                        alert_ids: alert_ids.clone(),
                    })
                    .await?;
                let id = stored.page.id;
                if let Some(state) = &mut self.state {
                    state.page_opened(group, id);
                }
                let opened = Opened {
                    page: stored,
                    alerts,
                };
                // A drill's page is practice: linked to its drill for the
                // report, and never counted as pager load.
                if let Some(drill) = pagerbound_core::drill::drill_id(labels) {
                    self.store.drill_opened(drill, id).await?;
                    self.metrics.drill_pages_opened.inc();
                    tracing::info!(id, drill, service = %service, "Drill page opened.");
                    return Ok(Some(opened));
                }
                self.metrics
                    .pages_opened
                    .get_or_create(&ClassLabels {
                        class: class.as_str(),
                    })
                    .inc();
                if *class == pagerbound_core::routing::Class::Page {
                    tracing::info!(id, service = %service, title = %title, "Page opened.");
                } else {
                    tracing::info!(id, service = %service, title = %title, "Ticket opened.");
                }
                return Ok(Some(opened));
            }
            Action::Change {
                page_id,
                alert_ids,
                added,
                gone,
            } => {
                let event = PageEvent {
                    at: now,
                    kind: "alerts_changed".to_owned(),
                    detail: serde_json::json!({ "added": added, "gone": gone, "firing": alert_ids.len() }),
                };
                self.store
                    .add_page_alerts(*page_id, alert_ids, &event)
                    .await?;
            }
            Action::Repeat { page_id } => {
                // Acknowledged (or snoozed) pages have someone on them:
                // repeating would only wake them again.
                let triggered = self
                    .store
                    .page(*page_id)
                    .await?
                    .is_some_and(|page| page.state == PageState::Triggered);
                if !triggered {
                    return Ok(None);
                }
                let event = PageEvent {
                    at: now,
                    kind: "repeated".to_owned(),
                    detail: serde_json::json!({}),
                };
                self.store.add_page_event(*page_id, &event).await?;
            }
            Action::Resolve { page_id } => {
                self.store.resolve_page(*page_id, None, now).await?;
                tracing::info!(id = page_id, "Resolved: all its alerts resolved.");
            }
            Action::Notice { window_id, message } => {
                if let Some(notice) = self
                    .store
                    .record_maintenance_notice(*window_id, message, now)
                    .await?
                {
                    tracing::warn!(service = %notice.service, "{}", notice.message);
                }
            }
        }
        Ok(None)
    }
}

/// A page's title: the first alert's summary (or its name), and how many
/// more there are.
fn title(labels: &Labels, alert_ids: &[i64], alerts: &[StoredAlert]) -> String {
    let first = alert_ids
        .first()
        .and_then(|id| alerts.iter().find(|alert| alert.id == *id));
    let base = first
        .and_then(|a| {
            a.annotations
                .get("summary")
                .or_else(|| a.labels.get("alertname"))
        })
        .map(str::to_owned)
        .unwrap_or_else(|| labels.to_string());
    match alert_ids.len() {
        0 | 1 => base,
        n => format!("{base} (+{} more)", n - 1),
    }
}
