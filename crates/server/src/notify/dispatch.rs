//! Dispatching: due notifications out to their destinations, as bundles.
//!
//! Everything due for one destination goes in one bundle (a retried bundle
//! goes again as it was, under the same key); a destination has at most
//! one bundle in flight and gets them no faster than its channel's pace.
//! Outcomes come back as [`Sent`] and are recorded by [`Dispatcher::finish`].

use super::plan::DELIVERY_FAILED;
use super::transport::{self, Delivery, Transport};
use crate::metrics::{DeliveryLabels, Metrics};
use jiff::{SignedDuration, Timestamp};
use pagerbound_config::Config;
use pagerbound_core::id::uuid_v4;
use pagerbound_core::notify::message::bundle_headline;
use pagerbound_core::notify::{Message, Outcome, Subject, pace};
use pagerbound_store::{Notification, Store, StoreError};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::Arc;
use tokio::task::JoinSet;

/// Notifications read per round.
pub(super) const DUE_LIMIT: u32 = 2000;
/// The most messages one bundle carries; the rest go in the next.
const MAX_BUNDLE: usize = 100;

/// A finished attempt.
pub(super) struct Sent {
    destination: String,
    channel: String,
    ids: Vec<i64>,
    /// The most attempts any of them has made, this one included.
    attempts: u32,
    messages: Vec<Message>,
    outcome: Outcome,
    took: std::time::Duration,
}

pub(super) struct Dispatcher {
    store: Arc<dyn Store>,
    metrics: Arc<Metrics>,
    http: reqwest::Client,
    /// Transports by channel name, for the configuration they were built
    /// from.
    transports: HashMap<String, Arc<dyn Transport>>,
    built_for: Option<Arc<Config>>,
    in_flight: HashSet<String>,
    /// When each destination was last sent to (started), for pacing.
    last_sent: HashMap<String, Timestamp>,
    pub(super) tasks: JoinSet<Sent>,
}

impl Dispatcher {
    pub(super) fn new(store: Arc<dyn Store>, metrics: Arc<Metrics>, http: reqwest::Client) -> Self {
        Dispatcher {
            store,
            metrics,
            http,
            transports: HashMap::new(),
            built_for: None,
            in_flight: HashSet::new(),
            last_sent: HashMap::new(),
            tasks: JoinSet::new(),
        }
    }

    fn transports_for(&mut self, config: &Arc<Config>) {
        if self
            .built_for
            .as_ref()
            .is_some_and(|built| Arc::ptr_eq(built, config))
        {
            return;
        }
        self.transports = config
            .channels
            .values()
            .map(|channel| {
                (
                    channel.name.clone(),
                    transport::for_channel(channel, &self.http),
                )
            })
            .collect();
        self.built_for = Some(config.clone());
    }

    /// Starts an attempt for every destination that has something due and
    /// may receive now: `due` when planning just read it, else what the
    /// store says. Answers when a paced destination may next receive, if
    /// one is waiting.
    pub(super) async fn dispatch(
        &mut self,
        config: &Arc<Config>,
        due: Option<Vec<Notification>>,
        now: Timestamp,
    ) -> Result<Option<Timestamp>, StoreError> {
        self.transports_for(config);
        let due = match due {
            Some(due) => due,
            None => self.store.due_notifications(now, DUE_LIMIT).await?,
        };
        let mut by_destination: BTreeMap<String, Vec<Notification>> = BTreeMap::new();
        for notification in due {
            by_destination
                .entry(notification.destination.key())
                .or_default()
                .push(notification);
        }
        let mut next_wake: Option<Timestamp> = None;
        for (destination, pending) in by_destination {
            if self.in_flight.contains(&destination) {
                continue;
            }
            let channel_name = pending[0].destination.channel.clone();
            let Some(channel) = config.channels.get(&channel_name) else {
                let ids: Vec<i64> = pending.iter().map(|n| n.id).collect();
                let reason = format!("channel `{channel_name}` is no longer configured");
                self.store.record_failed(&ids, &reason, None, now).await?;
                tracing::warn!(destination = %destination, "Notifications dropped: {reason}.");
                continue;
            };
            let last = match self.last_sent.get(&destination) {
                Some(last) => Some(*last),
                None => self.store.last_delivery_to(&destination).await?,
            };
            let interval = channel.min_interval();
            if !pace::may_send(last, interval, now) {
                if let Some(at) = pace::next_allowed(last, interval) {
                    next_wake = Some(next_wake.map_or(at, |w| w.min(at)));
                }
                continue;
            }
            let bundle = choose_bundle(pending);
            let Some(transport) = self.transports.get(&channel_name).cloned() else {
                continue;
            };
            self.start(destination, channel_name, bundle, transport, now)
                .await?;
        }
        Ok(next_wake)
    }

    async fn start(
        &mut self,
        destination: String,
        channel: String,
        bundle: Vec<Notification>,
        transport: Arc<dyn Transport>,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        // A retried bundle keeps its key; a new one gets one.
        let key = bundle[0]
            .bundle
            .clone()
            .unwrap_or_else(|| uuid_v4(rand::random()));
        let ids: Vec<i64> = bundle.iter().map(|n| n.id).collect();
        self.store.start_delivery(&ids, &key, now).await?;
        self.in_flight.insert(destination.clone());
        self.last_sent.insert(destination.clone(), now);
        let attempts = bundle
            .iter()
            .map(|n| u32::try_from(n.attempts + 1).unwrap_or(u32::MAX))
            .max()
            .unwrap_or(1);
        let target = bundle[0].destination.clone();
        let messages: Vec<Message> = bundle.into_iter().map(|n| n.message).collect();
        self.tasks.spawn(async move {
            let started = std::time::Instant::now();
            let outcome = transport
                .deliver(&Delivery {
                    key: &key,
                    destination: &target,
                    messages: &messages,
                    at: now,
                })
                .await;
            Sent {
                destination,
                channel,
                ids,
                attempts,
                messages,
                outcome,
                took: started.elapsed(),
            }
        });
        Ok(())
    }

    /// Records what an attempt came to: delivered, pending again after a
    /// backoff, or failed for good, which raises a notice.
    pub(super) async fn finish(
        &mut self,
        sent: Sent,
        config: &Config,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        self.in_flight.remove(&sent.destination);
        self.metrics
            .notification_attempt_seconds
            .observe(sent.took.as_secs_f64());
        let policy = config.settings.notifications.retry;
        let (label, result) = match &sent.outcome {
            Outcome::Delivered => (
                "delivered",
                self.store.record_delivered(&sent.ids, now).await,
            ),
            Outcome::Retry(reason) => match policy.delay_after(sent.attempts, rand::random()) {
                Some(delay) => {
                    tracing::info!(
                        destination = %sent.destination,
                        attempts = sent.attempts,
                        retry_in = ?delay,
                        "Notification attempt failed; will retry: {reason}"
                    );
                    (
                        "retried",
                        self.store
                            .record_failed(&sent.ids, reason, Some(now + delay), now)
                            .await,
                    )
                }
                None => ("failed", self.give_up(&sent, reason, now).await),
            },
            Outcome::Permanent(reason) => ("failed", self.give_up(&sent, reason, now).await),
        };
        self.metrics
            .notification_attempts
            .get_or_create(&DeliveryLabels {
                channel: sent.channel.clone(),
                outcome: label,
            })
            .inc();
        result
    }

    /// Marks the bundle failed and tells someone: a failure to page must be
    /// visible. A failed failure notice is only logged, so that a broken
    /// fallback channel cannot feed on itself.
    async fn give_up(&self, sent: &Sent, reason: &str, now: Timestamp) -> Result<(), StoreError> {
        self.store
            .record_failed(&sent.ids, reason, None, now)
            .await?;
        let about = bundle_headline(&sent.messages);
        tracing::error!(
            destination = %sent.destination,
            attempts = sent.attempts,
            "Notification failed for good: {about}: {reason}"
        );
        let Some(first) = sent
            .messages
            .iter()
            .find(|m| !(m.subject == Subject::Notice && m.event == DELIVERY_FAILED))
        else {
            return Ok(());
        };
        let attempts = match sent.attempts {
            1 => "once".to_owned(),
            n => format!("{n} times"),
        };
        let text = format!(
            "{about}, to {} via {}, failed {attempts}: {reason}",
            sent.destination, sent.channel
        );
        self.store
            .record_notice(&first.service, DELIVERY_FAILED, &text, None, now)
            .await?;
        Ok(())
    }

    /// Forgets pacing older than any channel's interval could matter.
    pub(super) fn forget_old(&mut self, now: Timestamp) {
        let horizon = now - SignedDuration::from_hours(1);
        self.last_sent.retain(|_, at| *at > horizon);
    }
}

/// The notifications that go together: a retried bundle as it was (its
/// receiver may have seen it), else everything new, up to the limit.
fn choose_bundle(mut pending: Vec<Notification>) -> Vec<Notification> {
    if let Some(retried) = pending.iter().find_map(|n| n.bundle.clone()) {
        pending.retain(|n| n.bundle.as_deref() == Some(retried.as_str()));
    } else {
        pending.truncate(MAX_BUNDLE);
    }
    pending
}
