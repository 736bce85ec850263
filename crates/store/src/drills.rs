//! Drills: practice pages sent through the real path. The drill is
//! recorded when it starts; the engine links the page it opens, and the
//! drill report reads the rest (first delivery, acknowledgement) from the
//! page and its notifications.

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::Serialize;

/// A drill as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Drill {
    pub id: i64,
    pub service: String,
    pub started_by: String,
    pub started_at: Timestamp,
    /// The page it opened, once the engine has opened it.
    pub page_id: Option<i64>,
}

#[async_trait]
pub trait Drills {
    /// Records a drill starting now.
    async fn start_drill(&self, service: &str, started_by: &str, at: Timestamp) -> Result<Drill>;

    /// Links the page a drill opened; the first page stays linked.
    async fn drill_opened(&self, drill_id: i64, page_id: i64) -> Result<()>;

    /// The latest drills, newest first.
    async fn drills(&self, limit: u32) -> Result<Vec<Drill>>;
}
