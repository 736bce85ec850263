//! Responder feedback on pages: was it actionable, and if not, why. The
//! share of actionable pages per alert name and per route is what tells a
//! team which alerts are not Trustworthy (the T of STAT).

use crate::Result;
use async_trait::async_trait;
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a page was not actionable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum NotActionableReason {
    /// It fired while things were fine: the threshold is wrong.
    ThresholdWrong,
    /// The check itself is broken.
    CheckFaulty,
    /// Planned work, but nobody set a maintenance window.
    DowntimeNotSet,
    /// Planned work that outlasted its maintenance window.
    DowntimeExpired,
    /// Real, but could have waited for working hours.
    WrongTimePeriod,
    /// Another page already covered it.
    Duplicate,
}

impl NotActionableReason {
    pub const ALL: [NotActionableReason; 6] = [
        NotActionableReason::ThresholdWrong,
        NotActionableReason::CheckFaulty,
        NotActionableReason::DowntimeNotSet,
        NotActionableReason::DowntimeExpired,
        NotActionableReason::WrongTimePeriod,
        NotActionableReason::Duplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            NotActionableReason::ThresholdWrong => "threshold-wrong",
            NotActionableReason::CheckFaulty => "check-faulty",
            NotActionableReason::DowntimeNotSet => "downtime-not-set",
            NotActionableReason::DowntimeExpired => "downtime-expired",
            NotActionableReason::WrongTimePeriod => "wrong-time-period",
            NotActionableReason::Duplicate => "duplicate",
        }
    }

    pub fn parse(text: &str) -> Option<NotActionableReason> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// All reasons, for error messages and help: `threshold-wrong, ...`.
    pub fn list() -> String {
        Self::ALL.map(Self::as_str).join(", ")
    }
}

impl fmt::Display for NotActionableReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A responder's verdict on a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Feedback {
    pub actionable: bool,
    /// Set exactly when not actionable.
    pub reason: Option<NotActionableReason>,
    pub text: Option<String>,
}

/// Feedback as stored: with what the page was about, so that counts
/// survive the page's purge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct PageFeedback {
    pub page_id: i64,
    #[serde(flatten)]
    pub feedback: Feedback,
    pub by: String,
    pub at: Timestamp,
    /// The `alertname`s of the page's alerts, sorted.
    pub alertnames: Vec<String>,
    pub route: String,
    pub service: String,
    pub page_created_at: Timestamp,
}

/// How many pages with feedback, and how many of those were actionable,
/// for one alert name or route.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FeedbackCount {
    pub key: String,
    pub pages: i64,
    pub actionable: i64,
}

/// Feedback counts for pages created in a time range. A page with several
/// alert names counts once for each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FeedbackCounts {
    /// By alert name, sorted by name.
    pub by_alertname: Vec<FeedbackCount>,
    /// By route, sorted by route.
    pub by_route: Vec<FeedbackCount>,
}

#[async_trait]
pub trait Feedbacks {
    /// Records (or replaces) the feedback on a page or ticket, with a
    /// `feedback` timeline event. `None` if there is no such page.
    async fn give_feedback(
        &self,
        page_id: i64,
        feedback: &Feedback,
        by: &str,
        at: Timestamp,
    ) -> Result<Option<PageFeedback>>;

    async fn page_feedback(&self, page_id: i64) -> Result<Option<PageFeedback>>;

    /// Counts for pages created at or after `from` and before `to`.
    async fn feedback_counts(&self, from: Timestamp, to: Timestamp) -> Result<FeedbackCounts>;
}
