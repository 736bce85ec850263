//! Schedule overrides: someone covers part of a schedule, whoever its
//! layers say. Schedules themselves are configuration; overrides are made
//! at runtime (someone is ill, two people swap a weekend), so they live in
//! the store, keyed by the schedule's name.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// An override to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOverride {
    pub schedule: String,
    /// Who is on call instead.
    pub user: String,
    pub start: Timestamp,
    pub end: Timestamp,
    /// Who made it.
    pub created_by: String,
    pub note: Option<String>,
}

/// A stored override.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StoredOverride {
    pub id: i64,
    pub schedule: String,
    pub user: String,
    pub start: Timestamp,
    pub end: Timestamp,
    pub created_by: String,
    pub created_at: Timestamp,
    pub note: Option<String>,
}

#[async_trait]
pub trait Overrides {
    /// Stores the overrides in one transaction: all of them or none (a
    /// swap is two overrides that only make sense together). Answers them
    /// with their ids, in the order given.
    async fn add_overrides(
        &self,
        overrides: &[NewOverride],
        created_at: Timestamp,
    ) -> Result<Vec<StoredOverride>>;

    /// The overrides that overlap `[from, to)`, of one schedule or (with
    /// `None`) of all, ordered by start and then id.
    async fn overrides(
        &self,
        schedule: Option<&str>,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<StoredOverride>>;

    /// Removes an override; answers it, or `None` when there was none with
    /// that id.
    async fn remove_override(&self, id: i64) -> Result<Option<StoredOverride>>;
}
