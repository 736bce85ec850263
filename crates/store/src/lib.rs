//! Persistence for pagerbound: one trait, [`Store`], implemented by the
//! SQLite backend (`pagerbound-store-sqlite`, the embedded default) and the
//! PostgreSQL backend (`pagerbound-store-postgres`, for production and
//! several instances). Both pass the same conformance suite
//! (`pagerbound-testkit`).
//!
//! The trait is the sum of one trait per domain, so that each domain's
//! storage lives in its own module in each backend.

pub mod alerts;
pub mod drills;
pub mod engine;
mod error;
pub mod escalations;
pub mod feedback;
pub mod handoffs;
pub mod heartbeats;
pub mod outbox;
pub mod overrides;
pub mod pages;
pub mod response;
pub mod secrets;
pub mod sign_in;
pub mod silences;
pub mod slis;
pub mod tokens;

pub use alerts::{
    AlertSearch, AlertWrite, Alerts, StoredAlert, WindowPart, Written, search_in_parts,
};
pub use drills::{Drill, Drills};
pub use engine::{EngineState, NewMaintenance, Notice, Purged, StoredGroup};
pub use error::StoreError;
pub use escalations::{EscalationRecord, Escalations};
pub use feedback::{
    Feedback, FeedbackCount, FeedbackCounts, Feedbacks, NotActionableReason, PageFeedback,
};
pub use handoffs::{Handoffs, WatchedOnCall};
pub use heartbeats::{HeartbeatRecord, Heartbeats};
pub use outbox::{
    NewNotification, Notification, NotificationFilter, NotificationState, Outbox, Source,
    UnplannedEvent,
};
pub use overrides::{NewOverride, Overrides, StoredOverride};
pub use pages::{NewPage, OpenedPage, Page, PageEvent, PageFilter, PageState, Pages};
pub use response::{Actor, Outcome, Response};
pub use secrets::Secrets;
pub use sign_in::{NewSession, Session, SignIn, StoredPassword};
pub use silences::Silences;
pub use slis::{ObjectiveRecord, PeriodRecord, ReceivedSliEvents, SliEvents, Slis};
pub use tokens::{ApiToken, ApiTokens, NewApiToken};

use async_trait::async_trait;
use std::fmt;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Which database a store keeps its data in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl fmt::Display for Backend {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        })
    }
}

/// Everything pagerbound keeps in its database.
#[async_trait]
pub trait Store:
    ApiTokens
    + Alerts
    + Silences
    + Pages
    + Feedbacks
    + Secrets
    + EngineState
    + Outbox
    + Heartbeats
    + Overrides
    + Escalations
    + Handoffs
    + Drills
    + Slis
    + SignIn
    + Send
    + Sync
    + 'static
{
    fn backend(&self) -> Backend;

    /// Brings the schema up to date. Safe to run from several instances at
    /// once and on every start.
    async fn migrate(&self) -> Result<()>;

    /// Checks that the database answers.
    async fn ping(&self) -> Result<()>;

    /// Waits for in-flight queries and closes connections.
    async fn close(&self);
}
