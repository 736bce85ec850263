//! The dead man's switch at work: beats come in (the API, or alerts that
//! match a heartbeat's matchers, such as Prometheus's `Watchdog`), and the
//! monitor opens a page on the heartbeat's service when they stop and
//! resolves it when they return.
//!
//! Beats go straight to the store, so any instance may record one. One
//! instance at a time monitors, holding the `heartbeats` lease; and the
//! store opens a heartbeat's page only if nobody opened one for the same
//! silence, so even a lease handed over mid-round cannot page twice.

use crate::ingest::Incoming;
use crate::notify::NotifierHandle;
use crate::reload::ConfigHandle;
use crate::state::AppState;
use jiff::{SignedDuration, Timestamp};
use pagerbound_core::Heartbeat;
use pagerbound_core::heartbeat::Status;
use pagerbound_core::routing::Class;
use pagerbound_store::{HeartbeatRecord, NewPage, PageEvent, Store, StoreError};
use std::sync::Arc;
use tokio::sync::watch;
use tokio::task::JoinHandle;

const LEASE: &str = "heartbeats";
const LEASE_TTL: SignedDuration = SignedDuration::from_secs(15);
/// How often heartbeats are looked at: the precision of "missing".
const TICK: std::time::Duration = std::time::Duration::from_secs(1);

/// Whether a heartbeat takes beats from this sender: its own integration
/// when it names one (or a person with an API token), any integration
/// otherwise.
pub(crate) fn accepts(heartbeat: &Heartbeat, sender: &str) -> bool {
    match &heartbeat.integration {
        Some(integration) => sender == integration || sender.starts_with("user:"),
        None => true,
    }
}

/// The heartbeats that one of these alerts (firing ones only) beats:
/// matched in memory, before the alerts are handed to the writer, so that
/// ingest pays nothing when no heartbeat has matchers.
pub(crate) fn beaten_by(state: &AppState, items: &[Incoming], now: Timestamp) -> Vec<String> {
    let config = state.config.current();
    config
        .config
        .heartbeats
        .values()
        // Empty matchers match everything: such a heartbeat takes API beats
        // only.
        .filter(|heartbeat| !heartbeat.matchers.is_empty())
        .filter(|heartbeat| {
            items.iter().any(|item| match item {
                Incoming::Alert { alert, integration } => {
                    alert.ends_at.is_none_or(|end| end > now)
                        && accepts(heartbeat, integration)
                        && heartbeat.matchers.matches(&alert.labels)
                }
                Incoming::Resolve { .. } => false,
            })
        })
        .map(|heartbeat| heartbeat.name.clone())
        .collect()
}

/// Records one beat per heartbeat for a batch whose alerts are stored. A
/// failure is logged, not returned: the alerts themselves are safe.
pub(crate) async fn record_beats(state: &AppState, names: &[String], now: Timestamp) {
    if names.is_empty() {
        return;
    }
    if let Err(error) = state.store.record_beats(names, now).await {
        state.metrics.database_errors.inc();
        tracing::error!(error = %error, heartbeats = ?names, "Could not record heartbeat beats.");
    }
}

/// The heartbeat monitor task.
pub struct Monitor {
    store: Arc<dyn Store>,
    config: Arc<ConfigHandle>,
    notifier: NotifierHandle,
    holder: String,
    holding: bool,
}

impl Monitor {
    pub fn new(store: Arc<dyn Store>, config: Arc<ConfigHandle>, notifier: NotifierHandle) -> Self {
        let holder = crate::store::lease_holder(store.backend());
        Monitor {
            store,
            config,
            notifier,
            holder,
            holding: false,
        }
    }

    pub fn spawn(self, stop: watch::Receiver<bool>) -> JoinHandle<()> {
        tokio::spawn(self.run(stop))
    }

    async fn run(mut self, mut stop: watch::Receiver<bool>) {
        loop {
            tokio::select! {
                _ = stop.changed() => break,
                _ = tokio::time::sleep(TICK) => {}
            }
            let now = crate::clock::now();
            match self
                .store
                .acquire_lease(LEASE, &self.holder, now, now + LEASE_TTL)
                .await
            {
                Ok(holding) => self.holding = holding,
                Err(error) => {
                    tracing::error!(error = %error, "Heartbeat monitor could not renew its lease.");
                    self.holding = false;
                }
            }
            if !self.holding {
                continue;
            }
            match self.check(now).await {
                Ok(true) => self.notifier.wake(),
                Ok(false) => {}
                Err(error) => {
                    tracing::error!(error = %error, "Heartbeat monitor could not check heartbeats.");
                }
            }
        }
        if self.holding
            && let Err(error) = self.store.release_lease(LEASE, &self.holder).await
        {
            tracing::warn!(error = %error, "Could not release the heartbeat lease.");
        }
    }

    /// Opens and resolves what is due; answers whether a timeline changed.
    async fn check(&self, now: Timestamp) -> Result<bool, StoreError> {
        let config = self.config.current();
        let heartbeats = &config.config.heartbeats;
        if heartbeats.is_empty() {
            return Ok(false);
        }
        let mut records = self.store.heartbeats().await?;
        let unwatched: Vec<String> = heartbeats
            .keys()
            .filter(|name| !records.iter().any(|r| &r.name == *name))
            .cloned()
            .collect();
        if !unwatched.is_empty() {
            self.store.watch_heartbeats(&unwatched, now).await?;
            records = self.store.heartbeats().await?;
        }
        let mut changed = false;
        let mut maintenance = None;
        for record in &records {
            let Some(heartbeat) = heartbeats.get(&record.name) else {
                continue; // Removed from the configuration.
            };
            let standing = heartbeat.standing(record.last_beat_at, record.watched_since, now);
            // A page opened before the last beat belongs to a silence that
            // has ended.
            let stale_page = record.page_id.filter(|_| {
                record
                    .last_beat_at
                    .zip(record.page_opened_at)
                    .is_some_and(|(beat, opened)| beat >= opened)
            });
            if let Some(page_id) = stale_page.or(record
                .page_id
                .filter(|_| standing.status != Status::Missing))
            {
                changed |= self.resolve(heartbeat, record, page_id, now).await?;
            }
            let needs_page = standing.status == Status::Missing
                && (record.page_id.is_none() || stale_page.is_some());
            if !needs_page {
                continue;
            }
            if maintenance.is_none() {
                maintenance = Some(self.store.maintenance_windows(now).await?);
            }
            let held = maintenance
                .iter()
                .flatten()
                .any(|w| w.service == heartbeat.service && w.is_active(now));
            if held {
                continue;
            }
            changed |= self.open(heartbeat, record, now).await?;
        }
        Ok(changed)
    }

    async fn open(
        &self,
        heartbeat: &Heartbeat,
        record: &HeartbeatRecord,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let title = heartbeat.page_title(record.last_beat_at, record.watched_since, now);
        let page = NewPage {
            class: Class::Page,
            service: heartbeat.service.clone(),
            route: "heartbeat".to_owned(),
            group_key: format!("heartbeat:{}", heartbeat.name),
            group_labels: [("heartbeat", heartbeat.name.as_str())]
                .into_iter()
                .collect(),
            title: title.clone(),
            at: now,
            alert_ids: Vec::new(),
        };
        // What this round read: after a resolve it is no page at all.
        let opened = self
            .store
            .open_heartbeat_page(&heartbeat.name, None, &page)
            .await?;
        if let Some(page) = &opened {
            tracing::warn!(id = page.id, heartbeat = %heartbeat.name, service = %heartbeat.service, title = %title, "Page opened: a heartbeat is missing.");
        }
        Ok(opened.is_some())
    }

    async fn resolve(
        &self,
        heartbeat: &Heartbeat,
        record: &HeartbeatRecord,
        page_id: i64,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let event = PageEvent {
            at: now,
            kind: "resolved".to_owned(),
            detail: serde_json::json!({
                "by": null,
                "reason": "heartbeat returned",
                "heartbeat": heartbeat.name,
                "last_beat_at": record.last_beat_at,
            }),
        };
        let resolved = self
            .store
            .resolve_heartbeat_page(&heartbeat.name, page_id, &event)
            .await?;
        if resolved {
            tracing::info!(id = page_id, heartbeat = %heartbeat.name, "Resolved: the heartbeat returned.");
        }
        Ok(resolved)
    }
}
