//! What the engine keeps to resume after a restart and to share its work
//! between instances: alert groups, maintenance windows, service notices,
//! leases, and the purge of old history.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::alert::{Fingerprint, Labels};
use pagerbound_core::maintenance::MaintenanceWindow;
use pagerbound_core::routing::Class;
use serde::Serialize;

/// The notification state of a page or ticket group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredGroup {
    pub key: String,
    pub route: String,
    pub service: String,
    pub class: Class,
    pub labels: Labels,
    pub created_at: Timestamp,
    pub next_flush_at: Timestamp,
    pub last_notified_at: Option<Timestamp>,
    pub notified: Vec<Fingerprint>,
    /// The page or ticket the group opened, while it is open.
    pub page_id: Option<i64>,
}

/// A maintenance window about to be stored.
#[derive(Debug, Clone)]
pub struct NewMaintenance {
    pub service: String,
    pub starts_at: Timestamp,
    pub ends_at: Timestamp,
    pub reason: String,
    pub created_by: String,
    pub created_at: Timestamp,
}

/// Something the team of a service should be told (sent by the notifiers).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Notice {
    pub id: i64,
    pub service: String,
    pub at: Timestamp,
    /// `maintenance_ending`, `delivery_failed`, `handoff`.
    pub kind: String,
    pub message: String,
    /// The one person it is for (an incoming on-call's handoff report);
    /// `None`: the service's people.
    pub recipient: Option<String>,
}

/// How much history a purge removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Purged {
    pub alerts: u64,
    pub pages: u64,
    pub silences: u64,
    pub maintenance_windows: u64,
}

#[async_trait]
pub trait EngineState {
    /// Stores groups, replacing those with the same key.
    async fn save_groups(&self, groups: &[StoredGroup]) -> Result<()>;

    async fn delete_groups(&self, keys: &[String]) -> Result<()>;

    async fn groups(&self) -> Result<Vec<StoredGroup>>;

    async fn create_maintenance(&self, window: &NewMaintenance) -> Result<MaintenanceWindow>;

    /// Ends a window at `at` (if it ends later). `None` if there is none.
    async fn end_maintenance(&self, id: i64, at: Timestamp) -> Result<Option<MaintenanceWindow>>;

    /// Windows that end after `after`, by start.
    async fn maintenance_windows(&self, after: Timestamp) -> Result<Vec<MaintenanceWindow>>;

    /// Records the expiry notice of a window and the notice itself, once:
    /// `None` if the notice was already recorded.
    async fn record_maintenance_notice(
        &self,
        window_id: i64,
        message: &str,
        at: Timestamp,
    ) -> Result<Option<Notice>>;

    /// Notices recorded after `after`, oldest first.
    async fn notices(&self, after: Timestamp) -> Result<Vec<Notice>>;

    /// Takes or renews the named lease for `holder` until `until`. Answers
    /// whether `holder` holds it: an expired lease can be taken over.
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        now: Timestamp,
        until: Timestamp,
    ) -> Result<bool>;

    /// Gives up a lease, if `holder` holds it.
    async fn release_lease(&self, name: &str, holder: &str) -> Result<()>;

    /// Removes resolved alerts, resolved pages, expired silences and ended
    /// maintenance windows that ended before `before`.
    async fn purge_history(&self, before: Timestamp) -> Result<Purged>;
}
