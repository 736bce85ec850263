//! Escalations in progress: for each page whose service has an escalation
//! policy, the step to fire next and when. Kept in the store so that a
//! restart or a failover neither forgets a page nor fires a step twice.

use crate::{PageEvent, Result};
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// One page's escalation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EscalationRecord {
    pub page_id: i64,
    /// The policy's name when the escalation started.
    pub policy: String,
    /// The step to fire next, from zero.
    pub step: i64,
    /// The round of that step, from zero.
    pub round: i64,
    /// When it fires.
    pub next_at: Timestamp,
}

#[async_trait]
pub trait Escalations {
    /// Starts escalating a page under `policy`, its first step due at `at`.
    /// A page already escalating keeps where it stands unless `restart`
    /// (an unacknowledged page starts over).
    async fn start_escalation(
        &self,
        page_id: i64,
        policy: &str,
        at: Timestamp,
        restart: bool,
    ) -> Result<()>;

    /// Escalations due by `now`, soonest first.
    async fn due_escalations(&self, now: Timestamp, limit: u32) -> Result<Vec<EscalationRecord>>;

    /// When the soonest escalation is due.
    async fn next_escalation_at(&self) -> Result<Option<Timestamp>>;

    /// The escalation of one page, if it has one.
    async fn escalation(&self, page_id: i64) -> Result<Option<EscalationRecord>>;

    /// Records the step at `(step, round)` as fired, in one transaction:
    /// appends `event` (if any) to the page's timeline and moves the
    /// escalation to `next` (`(step, round, at)`), or ends it with `None`.
    /// Does nothing and answers `false` when the escalation no longer
    /// stands at `(step, round)`: someone else fired it, or it ended.
    async fn advance_escalation(
        &self,
        page_id: i64,
        from: (i64, i64),
        event: Option<&PageEvent>,
        next: Option<(i64, i64, Timestamp)>,
    ) -> Result<bool>;
}
