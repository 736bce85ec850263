//! The notifier: plans notifications from the page timeline and from
//! notices into the outbox, and drains the outbox through the configured
//! channels (webhook, chat, ntfy, SMS, voice, log).
//!
//! Nothing is lost: a notification is in the store before any attempt,
//! each attempt carries the bundle's idempotency key, and on restart what
//! was being sent is sent again (at least once). One instance at a time
//! notifies, holding the `notifier` lease, so that with several instances
//! on PostgreSQL no bundle is sent by two.

mod dispatch;
mod escalate;
mod handoff;
mod plan;
pub mod transport;

use crate::action_links::KeyCache;
use crate::engine::EngineHandle;
use crate::metrics::Metrics;
use crate::reload::ConfigHandle;
use dispatch::Dispatcher;
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_store::{Notification, OpenedPage, Store, StoreError, StoredAlert};
use std::sync::Arc;
use std::sync::{Mutex, PoisonError};
use tokio::sync::{Notify, watch};
use tokio::task::JoinHandle;

const LEASE: &str = "notifier";
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(15);
const LEASE_RENEWAL: SignedDuration = SignedDuration::from_secs(5);
/// How often the outbox is looked at without being woken: for retries that
/// come due and for work recorded by other instances.
const POLL: SignedDuration = SignedDuration::from_secs(1);

/// Wakes the notifier when there is news; cheap to clone.
#[derive(Clone)]
pub struct NotifierHandle {
    wake: Arc<Notify>,
    news: Arc<Mutex<News>>,
}

/// What the notifier has been told since it last planned.
struct News {
    /// Something was written that only the store knows: read it.
    unread: bool,
    /// Pages the engine opened, in full: planning these needs no read.
    opened: Vec<Opened>,
}

/// A page the engine opened, with its alerts, as the engine stored them.
pub struct Opened {
    pub page: OpenedPage,
    pub alerts: Vec<StoredAlert>,
}

impl Default for NotifierHandle {
    fn default() -> Self {
        NotifierHandle {
            wake: Arc::default(),
            // At start, whatever a previous run left unplanned.
            news: Arc::new(Mutex::new(News {
                unread: true,
                opened: Vec::new(),
            })),
        }
    }
}

impl NotifierHandle {
    /// Something was written to a page's timeline or to the notices.
    pub fn wake(&self) {
        self.read_store();
        self.wake.notify_one();
    }

    /// The next planning reads the store: something may wait there that
    /// the notifier was not told of in full.
    fn read_store(&self) {
        self.news().unread = true;
    }

    /// The engine stored a round of actions: it opened these pages, and
    /// when `more` wrote other events too.
    pub fn engine_acted(&self, opened: Vec<Opened>, more: bool) {
        {
            let mut news = self.news();
            news.unread |= more;
            news.opened.extend(opened);
        }
        self.wake.notify_one();
    }

    /// What to plan from: whether to read the store, and the pages known.
    fn take(&self) -> (bool, Vec<Opened>) {
        let mut news = self.news();
        let unread = std::mem::take(&mut news.unread);
        (unread, std::mem::take(&mut news.opened))
    }

    fn news(&self) -> std::sync::MutexGuard<'_, News> {
        // The news stays usable if a holder panicked: it is two fields.
        self.news.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// The notifier task.
pub struct Notifier {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    metrics: Arc<Metrics>,
    handle: NotifierHandle,
    engine: EngineHandle,
    dispatcher: Dispatcher,
    /// Signs the action links in messages; shared with the server, which
    /// verifies them.
    keys: Arc<KeyCache>,
    holder: String,
    holding: bool,
    /// When the next escalation step is due, as last read: `None` when not
    /// known (at start, after taking the lease), `Timestamp::MAX` when no
    /// escalation is running.
    next_step: Option<Timestamp>,
}

impl Notifier {
    pub fn new(
        store: Arc<dyn Store>,
        config: Arc<ConfigHandle>,
        metrics: Arc<Metrics>,
        handle: NotifierHandle,
        engine: EngineHandle,
        http: reqwest::Client,
        keys: Arc<KeyCache>,
    ) -> Notifier {
        let holder = crate::store::lease_holder(store.backend());
        Notifier {
            dispatcher: Dispatcher::new(store.clone(), metrics.clone(), http),
            store,
            config,
            metrics,
            handle,
            engine,
            keys,
            holder,
            holding: false,
            next_step: None,
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        let mut next_lease = crate::clock::now();
        let mut wait = SignedDuration::ZERO;
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = self.handle.wake.notified() => {}
                Some(sent) = self.dispatcher.tasks.join_next(), if !self.dispatcher.tasks.is_empty() => {
                    // A failure for good records a notice to plan.
                    self.handle.read_store();
                    match sent {
                        Ok(sent) => {
                            let config = self.config.current().config.clone();
                            if let Err(error) = self.dispatcher.finish(sent, &config, crate::clock::now()).await {
                                self.metrics.database_errors.inc();
                                tracing::error!(error = %error, "Could not record a delivery attempt.");
                            }
                        }
                        Err(error) => tracing::error!(error = %error, "A delivery attempt failed to run."),
                    }
                }
                // Retries come due, other instances write: look.
                _ = tokio::time::sleep(wait.unsigned_abs()) => self.handle.read_store(),
            }
            let now = crate::clock::now();
            if now >= next_lease {
                next_lease = now + LEASE_RENEWAL;
                self.hold_lease(now).await;
            }
            wait = POLL;
            if !self.holding {
                // Another instance plans: from the store.
                self.handle.take();
                continue;
            }
            if let Some(at) = self.round(now).await {
                wait = wait.min(at.duration_since(now).max(SignedDuration::ZERO));
            }
        }
        // Attempts under way finish and are recorded, so that they are not
        // sent again after the restart.
        while let Some(Ok(sent)) = self.dispatcher.tasks.join_next().await {
            let config = self.config.current().config.clone();
            if let Err(error) = self
                .dispatcher
                .finish(sent, &config, crate::clock::now())
                .await
            {
                tracing::error!(error = %error, "Could not record a delivery attempt.");
            }
        }
        if self.holding
            && let Err(error) = self.store.release_lease(LEASE, &self.holder).await
        {
            tracing::warn!(error = %error, "Could not release the notifier lease.");
        }
        tracing::info!("Notifier stopped.");
    }

    /// Plans what is new, fires the escalation steps that are due and
    /// starts what is due, then looks for handoffs. Answers when there is
    /// next something to do: a paced destination may receive, or a step
    /// comes due.
    async fn round(&mut self, now: Timestamp) -> Option<Timestamp> {
        let running = self.config.current();
        let config = Arc::new(running.config.clone());
        // While the engine is acting, more of the same burst is on its way:
        // plan once it is done (it wakes us), so that a flood of pages goes
        // out as one bundle per person.
        // What is due, when planning read it.
        let mut due = None;
        let mut started = 0;
        if !self.engine.is_acting() {
            let (unread, opened) = self.handle.take();
            match self.plan(&config, plan::Told { unread, opened }, now).await {
                Some(planned) => (started, due) = (planned.escalations, planned.due),
                // What was not planned is read from the store next time.
                None => self.handle.read_store(),
            }
        }
        // Steps that come due record their events; planning right away
        // turns them into notifications. Escalations start only from what
        // was just planned, so otherwise they are looked at when the next
        // step is due.
        if started > 0 || self.next_step.is_none_or(|at| at <= now) {
            let fired = escalate::fire_due(self.store.as_ref(), &config, now).await;
            if self.report(fired, "escalate pages").unwrap_or(0) > 0 {
                due = self
                    .plan(&config, plan::Told::unread(), now)
                    .await
                    .and_then(|planned| planned.due);
            }
            // Unknown after a failed read: read again next round.
            self.next_step = self
                .report(
                    self.store.next_escalation_at().await,
                    "read when the next escalation is due",
                )
                .map(|next| next.unwrap_or(Timestamp::MAX));
        }
        let mut next_send = self.dispatch(&config, due, now).await;
        // Who is on call is worked out for every schedule: after what is
        // due has gone out, not before.
        let reported = handoff::check(self.store.as_ref(), &config, now).await;
        if self.report(reported, "check for handoffs").unwrap_or(0) > 0 {
            let planned = self.plan(&config, plan::Told::unread(), now).await;
            next_send = self
                .dispatch(&config, planned.and_then(|planned| planned.due), now)
                .await;
        }
        let next_step = self.next_step.filter(|at| *at < Timestamp::MAX);
        self.dispatcher.forget_old(now);
        match (next_send, next_step) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Plans what it was told of; a failure plans nothing and says so.
    async fn plan(
        &self,
        config: &Config,
        told: plan::Told,
        now: Timestamp,
    ) -> Option<plan::Planned> {
        let planned = plan::plan_all(self.store.as_ref(), config, &self.keys, told, now).await;
        self.report(planned, "plan notifications")
    }

    /// Starts what is due (`due` when planning just read it); answers when
    /// a paced destination may next receive.
    async fn dispatch(
        &mut self,
        config: &Arc<Config>,
        due: Option<Vec<Notification>>,
        now: Timestamp,
    ) -> Option<Timestamp> {
        let dispatched = self.dispatcher.dispatch(config, due, now).await;
        self.report(dispatched, "dispatch notifications").flatten()
    }

    /// Counts and logs a store failure of one part of a round, so that the
    /// other parts still run; answers the value when there was one.
    fn report<T>(&self, outcome: Result<T, StoreError>, what: &str) -> Option<T> {
        match outcome {
            Ok(value) => Some(value),
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Could not {what}.");
                None
            }
        }
    }

    async fn hold_lease(&mut self, now: Timestamp) {
        match self
            .store
            .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
            .await
        {
            Ok(true) if !self.holding && !self.dispatcher.tasks.is_empty() => {
                // Our own attempts are still under way: they will record
                // their outcome themselves.
                self.holding = true;
                self.handle.read_store();
            }
            Ok(true) if !self.holding => {
                // Whoever held the outbox before may have stopped mid-send:
                // what it was sending goes again, under the same keys.
                match self.store.release_notifications(now).await {
                    Ok(released) => {
                        self.holding = true;
                        // And it may have left events unplanned.
                        self.handle.read_store();
                        tracing::info!(
                            resent = released,
                            "Notifier took the lease; notifications left sending will be sent again."
                        );
                    }
                    Err(error) => {
                        self.metrics.database_errors.inc();
                        tracing::error!(error = %error, "Notifier could not resume the outbox.");
                    }
                }
            }
            Ok(true) => {}
            Ok(false) => {
                if self.holding {
                    self.holding = false;
                    // Another instance runs the escalations meanwhile.
                    self.next_step = None;
                    tracing::warn!("Notifier lost the lease to another instance; standing by.");
                }
            }
            Err(error) => {
                self.metrics.database_errors.inc();
                tracing::error!(error = %error, "Notifier could not renew its lease.");
            }
        }
    }
}
