//! Heartbeats: the last beat of each dead man's switch, and the page its
//! silence opened. Kept in the store so that a restart does not forget a
//! beat, and so that with several instances any of them may record one.

use crate::{NewPage, Page, PageEvent, Result};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// What is stored of one heartbeat.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HeartbeatRecord {
    pub name: String,
    /// When pagerbound began watching it: the first interval runs from here
    /// when there has been no beat.
    pub watched_since: Timestamp,
    pub last_beat_at: Option<Timestamp>,
    /// How many beats were recorded.
    pub beats: i64,
    /// The page its last silence opened, until the monitor has seen that
    /// page resolved.
    pub page_id: Option<i64>,
    /// When that page was opened: a beat after it ends that silence.
    pub page_opened_at: Option<Timestamp>,
}

#[async_trait]
pub trait Heartbeats {
    /// Starts watching heartbeats not known yet, from `since`. Known ones
    /// keep their record.
    async fn watch_heartbeats(&self, names: &[String], since: Timestamp) -> Result<()>;

    /// Records a beat of each named heartbeat at `at`; a beat older than
    /// the last one recorded does not move it back. Unknown heartbeats are
    /// watched from `at`.
    async fn record_beats(&self, names: &[String], at: Timestamp) -> Result<()>;

    /// Every stored heartbeat, by name.
    async fn heartbeats(&self) -> Result<Vec<HeartbeatRecord>>;

    /// Opens the page for a silent heartbeat, in one transaction with
    /// noting it on the heartbeat, if the heartbeat's page is still
    /// `expected` (what the caller last read). `None`, with nothing opened,
    /// when another caller got there first: one page per silence.
    async fn open_heartbeat_page(
        &self,
        name: &str,
        expected: Option<i64>,
        page: &NewPage,
    ) -> Result<Option<Page>>;

    /// Resolves the heartbeat's page `page_id` with `event` (a `resolved`
    /// event saying why) unless it is resolved already, and forgets it on
    /// the heartbeat, in one transaction. Answers whether the page was
    /// resolved by this call.
    async fn resolve_heartbeat_page(
        &self,
        name: &str,
        page_id: i64,
        event: &PageEvent,
    ) -> Result<bool>;
}
