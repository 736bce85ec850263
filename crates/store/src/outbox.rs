//! The outbox: every notification, recorded before any attempt to send it.
//!
//! Notifications are planned from the page timeline and from notices: an
//! event or notice is "unplanned" until the notifier has recorded the
//! notifications it causes, which it does in the same transaction that
//! marks it planned. A crash between the two loses nothing (the event is
//! still unplanned) and planning twice writes nothing twice (a source and a
//! destination make a notification unique).
//!
//! A notification then goes pending → sending → delivered, or back to
//! pending with a later attempt time, or failed once attempts run out. One
//! that is due later and only while its page is unacknowledged (a later
//! contact method of a notification rule) is cancelled instead when the
//! page is acknowledged, snoozed or resolved first. The
//! notifications sent together to one destination share a bundle key,
//! which they keep across retries: a receiver sees the same idempotency key
//! on every attempt.

use crate::Result;
use crate::engine::Notice;
use crate::pages::PageEvent;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::notify::{Destination, Message};
use serde::Serialize;
use std::fmt;

/// What caused a notification.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "kind", content = "id", rename_all = "snake_case")]
pub enum Source {
    PageEvent(i64),
    Notice(i64),
}

impl fmt::Display for Source {
    /// `page_event:12`, `notice:3`: how the source is stored.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::PageEvent(id) => write!(f, "page_event:{id}"),
            Source::Notice(id) => write!(f, "notice:{id}"),
        }
    }
}

impl Source {
    /// Reads what [`Display`](fmt::Display) writes.
    pub fn parse(text: &str) -> Option<Source> {
        let (kind, id) = text.split_once(':')?;
        let id = id.parse().ok()?;
        match kind {
            "page_event" => Some(Source::PageEvent(id)),
            "notice" => Some(Source::Notice(id)),
            _ => None,
        }
    }
}

/// Where a notification is in its life.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum NotificationState {
    /// Waiting for its next attempt.
    Pending,
    /// An attempt is under way.
    Sending,
    Delivered,
    /// Every attempt failed, or the receiver refused it for good.
    Failed,
    /// Never sent: its page was acknowledged, snoozed or resolved before
    /// it was due.
    Cancelled,
}

impl NotificationState {
    pub fn as_str(self) -> &'static str {
        match self {
            NotificationState::Pending => "pending",
            NotificationState::Sending => "sending",
            NotificationState::Delivered => "delivered",
            NotificationState::Failed => "failed",
            NotificationState::Cancelled => "cancelled",
        }
    }

    pub fn parse(text: &str) -> Option<NotificationState> {
        [
            NotificationState::Pending,
            NotificationState::Sending,
            NotificationState::Delivered,
            NotificationState::Failed,
            NotificationState::Cancelled,
        ]
        .into_iter()
        .find(|s| s.as_str() == text)
    }
}

/// A notification about to be recorded.
#[derive(Debug, Clone)]
pub struct NewNotification {
    /// The idempotency key, sent with every attempt.
    pub key: String,
    pub source: Source,
    pub page_id: Option<i64>,
    pub destination: Destination,
    pub message: Message,
    pub created_at: Timestamp,
    /// When the first attempt is due: `created_at`, or later for a later
    /// contact method or a ticket held until support hours.
    pub due_at: Timestamp,
    /// Send only while the page is still triggered.
    pub until_acknowledged: bool,
}

/// A recorded notification.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Notification {
    pub id: i64,
    pub key: String,
    pub source: Source,
    pub page_id: Option<i64>,
    pub destination: Destination,
    pub message: Message,
    pub state: NotificationState,
    /// Attempts started.
    pub attempts: i64,
    pub next_attempt_at: Timestamp,
    /// The key of the bundle it was (last) sent in.
    pub bundle: Option<String>,
    pub last_error: Option<String>,
    pub created_at: Timestamp,
    pub updated_at: Timestamp,
    pub delivered_at: Option<Timestamp>,
    /// Sent only while the page is still triggered.
    pub until_acknowledged: bool,
}

/// An event of a page's timeline that has not been planned yet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnplannedEvent {
    pub id: i64,
    pub page_id: i64,
    pub event: PageEvent,
}

/// Which notifications to list.
#[derive(Debug, Clone, Default)]
pub struct NotificationFilter {
    pub page_id: Option<i64>,
    pub states: Vec<NotificationState>,
    pub limit: u32,
}

#[async_trait]
pub trait Outbox {
    /// Timeline events not planned yet, oldest first.
    async fn unplanned_page_events(&self, limit: u32) -> Result<Vec<UnplannedEvent>>;

    /// Notices not planned yet, oldest first.
    async fn unplanned_notices(&self, limit: u32) -> Result<Vec<Notice>>;

    /// Records `notifications` (skipping any whose source and destination
    /// are recorded already) and marks the events and notices planned, in
    /// one transaction.
    async fn plan_notifications(
        &self,
        notifications: &[NewNotification],
        page_events: &[i64],
        notices: &[i64],
        at: Timestamp,
    ) -> Result<()>;

    /// Plans as [`plan_notifications`](Outbox::plan_notifications), then
    /// answers what is due at `at` as
    /// [`due_notifications`](Outbox::due_notifications) would: the notifier
    /// sends what it just planned without reading it back. A backend may do
    /// both in one trip to the database.
    async fn plan_then_due(
        &self,
        notifications: &[NewNotification],
        page_events: &[i64],
        notices: &[i64],
        at: Timestamp,
        limit: u32,
    ) -> Result<Vec<Notification>> {
        self.plan_notifications(notifications, page_events, notices, at)
            .await?;
        self.due_notifications(at, limit).await
    }

    /// Records a notice for a service's team, or for one person when
    /// `recipient` is given (it will be planned like the others).
    async fn record_notice(
        &self,
        service: &str,
        kind: &str,
        message: &str,
        recipient: Option<&str>,
        at: Timestamp,
    ) -> Result<Notice>;

    /// Cancels the page's notifications that wait for it to stay
    /// unacknowledged and have not been attempted, saying `reason`.
    /// Answers how many.
    async fn cancel_notifications(&self, page_id: i64, reason: &str, at: Timestamp) -> Result<u64>;

    /// Pending notifications whose attempt is due, oldest first; those that
    /// are sent only while their page is triggered are left out once it is
    /// not, even before they are cancelled.
    async fn due_notifications(&self, now: Timestamp, limit: u32) -> Result<Vec<Notification>>;

    /// Starts an attempt for these notifications, sent together as bundle
    /// `bundle`.
    async fn start_delivery(&self, ids: &[i64], bundle: &str, at: Timestamp) -> Result<()>;

    async fn record_delivered(&self, ids: &[i64], at: Timestamp) -> Result<()>;

    /// Records a failed attempt: pending again from `retry_at`, or failed
    /// for good when `retry_at` is `None`.
    async fn record_failed(
        &self,
        ids: &[i64],
        error: &str,
        retry_at: Option<Timestamp>,
        at: Timestamp,
    ) -> Result<()>;

    /// Puts notifications left sending (by a sender that stopped) back to
    /// pending, due at once. Answers how many.
    async fn release_notifications(&self, at: Timestamp) -> Result<u64>;

    /// When the last delivered notification to this destination was.
    async fn last_delivery_to(&self, destination_key: &str) -> Result<Option<Timestamp>>;

    /// Notifications matching the filter, newest first.
    async fn notifications(&self, filter: &NotificationFilter) -> Result<Vec<Notification>>;
}
