//! SLI events: the good and valid event counts the SLO engine is pushed (or
//! probes), per SLO and minute. Kept in the store so that a restart does not
//! lose the windows the burn rates are computed over, and so that with
//! several instances any of them may receive a push.
//!
//! Rows are appended, never merged: a write is one insert per count, with no
//! read-modify-write to race between instances; the reader adds them up.
//!
//! For sources pagerbound reads itself (a Prometheus API), the store also
//! keeps a cursor per SLO: how far its source has been read. A fetch's rows
//! and its cursor are written in one transaction, so that after a restart
//! the reader resumes where the stored rows end and never counts a minute
//! twice.
//!
//! The store also keeps each SLO's objectives over time: objectives are
//! ratcheted, and a past period is judged by the objective then in force,
//! not by today's.
//!
//! And it keeps each SLO's completed periods, with their counts and the
//! objective then in force: events are pruned once no window needs them,
//! so a period that is not kept when it completes cannot be judged later.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// Good and valid events of one SLO in one minute, as pushed (or probed).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SliEvents {
    pub slo: String,
    /// The start of the minute (callers pass minute-aligned instants; the
    /// store keeps what it is given).
    pub minute: Timestamp,
    pub good: f64,
    pub total: f64,
}

/// A recorded batch row, for following what arrives.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceivedSliEvents {
    pub id: i64,
    pub events: SliEvents,
    pub received_at: Timestamp,
}

/// An objective of an SLO, in force from `since` until the next one.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ObjectiveRecord {
    pub slo: String,
    /// The percentage of valid events that must be good, e.g. 99.9.
    pub objective: f64,
    pub since: Timestamp,
}

/// A completed period of an SLO, as recorded once its events settled.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PeriodRecord {
    pub slo: String,
    /// The period's start: it identifies the period within its SLO.
    pub from: Timestamp,
    /// The period's end (exclusive), after `from`.
    pub to: Timestamp,
    /// The objective in force when the period began, in percent.
    pub objective: f64,
    /// Good and valid events over the period.
    pub good: f64,
    pub total: f64,
}

#[async_trait]
pub trait Slis {
    /// Appends counts in one transaction, each row stamped `received_at`.
    /// Rows are never merged on write: two pushes for the same minute are
    /// two rows (the reader adds them up). A count that is negative, not
    /// finite, or has more good than total events is refused with the whole
    /// batch.
    async fn record_sli_events(&self, events: &[SliEvents], received_at: Timestamp) -> Result<()>;

    /// Every SLO's counts per minute for minutes at or after `since`, summed
    /// over rows, counting only rows received before `received_before` (the
    /// engine loads these, then follows newer rows with
    /// [`sli_events_received`](Slis::sli_events_received)). Ordered by slo,
    /// minute.
    async fn sli_event_totals(
        &self,
        since: Timestamp,
        received_before: Timestamp,
    ) -> Result<Vec<SliEvents>>;

    /// Rows received at or after `since`, oldest id first.
    async fn sli_events_received(&self, since: Timestamp) -> Result<Vec<ReceivedSliEvents>>;

    /// Deletes rows for minutes before `before`; answers how many.
    async fn prune_sli_events(&self, before: Timestamp) -> Result<u64>;

    /// Records what was read from an SLO's source: appends `events` (like
    /// [`record_sli_events`](Slis::record_sli_events), stamped
    /// `received_at`) and sets the SLO's cursor to `through`, in one
    /// transaction: both or neither. The cursor is set even if `through` is
    /// lower than the stored one (the caller decides), and even if `events`
    /// is empty. A refused count refuses the whole fetch: no row is stored
    /// and the cursor is left as it was.
    async fn record_sli_fetch(
        &self,
        slo: &str,
        events: &[SliEvents],
        through: Timestamp,
        received_at: Timestamp,
    ) -> Result<()>;

    /// How far each SLO's source has been read: `(slo, through)`, ordered by
    /// slo. SLOs never fetched have no cursor.
    async fn sli_cursors(&self) -> Result<Vec<(String, Timestamp)>>;

    /// Records `objective` for `slo` as in force from `at`, unless it is
    /// already the SLO's latest objective (the one with the latest `since`,
    /// compared exactly); answers whether it recorded one. Going back to an
    /// earlier value is a change like any other. Concurrent callers (several
    /// instances recording the same configuration) record a change once:
    /// the comparison with the latest row and the insert are one statement
    /// or transaction. An objective not strictly between 0 and 100 is
    /// refused; so is a different objective at the very instant of the
    /// latest one (`Conflict`).
    async fn record_objective(&self, slo: &str, objective: f64, at: Timestamp) -> Result<bool>;

    /// Every SLO's objectives, oldest first within each SLO: ordered by
    /// slo, then since.
    async fn objective_history(&self) -> Result<Vec<ObjectiveRecord>>;

    /// Records a completed period, unless one with the same SLO and start is
    /// already recorded; answers whether it recorded it. The first record
    /// stands: a second one for the same period (another instance, a
    /// restart) changes nothing, even with other numbers, and concurrent
    /// callers record it once (one statement). A count that is negative,
    /// not finite, or has more good than total events, an objective not
    /// strictly between 0 and 100, or an end not after the start is
    /// refused, for a period already recorded too.
    async fn record_slo_period(&self, period: &PeriodRecord) -> Result<bool>;

    /// The SLO's recorded periods, newest (latest start) first, at most
    /// `limit`.
    async fn slo_periods(&self, slo: &str, limit: u32) -> Result<Vec<PeriodRecord>>;
}
