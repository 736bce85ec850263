//! Silences, kept after they expire for history.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use pagerbound_core::silence::Silence;

#[async_trait]
pub trait Silences {
    /// Stores a silence, replacing the one with the same id.
    async fn save_silence(&self, silence: &Silence) -> Result<()>;

    async fn silence(&self, id: &str) -> Result<Option<Silence>>;

    /// Silences that have not expired by `now`, and those that expired
    /// after `expired_after` (so that recent ones can still be listed).
    async fn silences(&self, expired_after: Timestamp) -> Result<Vec<Silence>>;
}
