//! Alerts: every occurrence (one firing period of one label set) is a row,
//! kept after it resolves for history and health reports.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::{Alert, Fingerprint, Labels};
use serde::Serialize;

/// A stored alert occurrence.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredAlert {
    pub id: i64,
    pub fingerprint: Fingerprint,
    pub labels: Labels,
    pub annotations: Labels,
    pub generator_url: Option<String>,
    pub starts_at: Timestamp,
    /// `None`: fires until resolved explicitly.
    pub ends_at: Option<Timestamp>,
    /// `ends_at` came from the resolve timeout.
    pub timeout: bool,
    pub updated_at: Timestamp,
    /// The integration that sent it.
    pub integration: String,
    /// Increases with every write of any alert; the engine follows changes
    /// by it.
    pub seq: i64,
}

impl StoredAlert {
    pub fn is_firing(&self, now: Timestamp) -> bool {
        self.ends_at.is_none_or(|end| end > now)
    }
}

/// One change in a batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AlertWrite {
    /// A new occurrence, with an id from
    /// [`Alerts::reserve_alert_ids`].
    Insert {
        id: i64,
        alert: Alert,
        integration: String,
        at: Timestamp,
    },
    /// New times (and, when `content` is given, new annotations and
    /// generator URL) for an occurrence.
    Update {
        id: i64,
        starts_at: Timestamp,
        ends_at: Option<Timestamp>,
        timeout: bool,
        content: Option<(Labels, Option<String>)>,
        at: Timestamp,
    },
}

/// What a write assigned: the occurrence's id and the change's sequence
/// number.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Written {
    pub id: i64,
    pub seq: i64,
}

/// What [`Alerts::search_alerts`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlertSearch {
    /// The occurrences in the window that carry the labels, newest first.
    pub alerts: Vec<StoredAlert>,
    /// How many occurrences the window held before it was narrowed to the
    /// labels. It reaches the window's size when older ones were left out.
    pub searched: usize,
}

/// The two parts in which a store reads a window of alert history, so that
/// each part reads about what it keeps: alerts that started in the range
/// (newest first along an index by start time), then, if the window has
/// room, those that started before it and still fired in it (found by when
/// they ended). Every alert of the second part is older than the first's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WindowPart {
    /// Started at or after the range's start and before its end.
    Started,
    /// Started before the range and ended after its start, or fires still.
    Earlier,
}

/// Searches a window of `window` alerts in its two parts: `read(part,
/// limit)` answers the part's newest `limit` alerts that carry the labels,
/// and how many the part held before they were narrowed to the labels.
/// Backends implement [`Alerts::search_alerts`] with it and their own SQL.
pub async fn search_in_parts<F, Fut>(window: u32, mut read: F) -> Result<AlertSearch>
where
    F: FnMut(WindowPart, u32) -> Fut,
    Fut: Future<Output = Result<(Vec<StoredAlert>, usize)>>,
{
    let (mut alerts, mut searched) = read(WindowPart::Started, window).await?;
    let room = u32::try_from(searched).map_or(0, |n| window.saturating_sub(n));
    if room > 0 {
        let (earlier, held) = read(WindowPart::Earlier, room).await?;
        alerts.extend(earlier);
        searched += held;
    }
    Ok(AlertSearch { alerts, searched })
}

#[async_trait]
pub trait Alerts {
    /// Reserves ids for `count` new occurrences. Knowing ids before the
    /// write lets the ingest path decide its next batch while this one is
    /// being committed. Unused ids are simply skipped.
    async fn reserve_alert_ids(&self, count: usize) -> Result<Vec<i64>>;

    /// Applies a batch in one transaction: all of it is durable when this
    /// returns, or none of it. Answers one [`Written`] per write, in order;
    /// change numbers are assigned in commit order.
    async fn write_alerts(&self, writes: &[AlertWrite]) -> Result<Vec<Written>>;

    /// Occurrences that fire at `after` or end after it (`ends_at` is
    /// null or later than `after`), oldest first.
    async fn alerts_ending_after(&self, after: Timestamp) -> Result<Vec<StoredAlert>>;

    /// Occurrences written after change `seq`, in change order, at most
    /// `limit`.
    async fn alerts_changed_since(&self, seq: i64, limit: u32) -> Result<Vec<StoredAlert>>;

    /// Occurrences that were firing at some point in `[from, to)`, newest
    /// (by start) first, at most `limit`.
    async fn alerts_between(
        &self,
        from: Timestamp,
        to: Timestamp,
        limit: u32,
    ) -> Result<Vec<StoredAlert>> {
        Ok(self
            .search_alerts(from, to, &Labels::default(), limit)
            .await?
            .alerts)
    }

    /// Of the newest `window` occurrences that were firing at some point in
    /// `[from, to)` (those [`alerts_between`](Alerts::alerts_between)
    /// answers), the ones that carry every label in `labels` with its
    /// value. The database narrows the window, so that only what matches
    /// is read out of it: a search for one alert name among thousands.
    async fn search_alerts(
        &self,
        from: Timestamp,
        to: Timestamp,
        labels: &Labels,
        window: u32,
    ) -> Result<AlertSearch>;

    /// The occurrences with these ids (those that exist), by id.
    async fn alerts_by_ids(&self, ids: &[i64]) -> Result<Vec<StoredAlert>>;

    /// Firing occurrences from `integration` whose label `name` is `value`
    /// (events find their alert by `dedup_key` this way).
    async fn firing_alerts_with_label(
        &self,
        integration: &str,
        name: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<Vec<StoredAlert>>;
}
