//! Handoffs: who the notifier last saw on call in each schedule, so that a
//! change of person is noticed once, across restarts and instances.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// Who was last seen on call in a schedule, and since when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WatchedOnCall {
    pub schedule: String,
    /// `None`: nobody (a gap).
    pub user: Option<String>,
    pub since: Timestamp,
}

#[async_trait]
pub trait Handoffs {
    /// Every schedule's last seen on-call person.
    async fn watched_on_call(&self) -> Result<Vec<WatchedOnCall>>;

    /// Records who is on call in a schedule since `since`.
    async fn record_on_call(&self, watched: &WatchedOnCall) -> Result<()>;
}
