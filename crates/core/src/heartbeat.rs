//! Heartbeats: the dead man's switch. Something (a cron job, Prometheus's
//! always-firing Watchdog alert) beats at least every `interval`; silence
//! for longer than `interval + grace` means the monitoring itself is down,
//! and opens a page on the heartbeat's service.
//!
//! This module is the pure part: what a heartbeat is, and what its state is
//! at an instant given its last beat.

use crate::Duration;
use crate::alert::Matchers;
use jiff::Timestamp;
use serde::Serialize;
use std::fmt;

/// A configured heartbeat.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Heartbeat {
    pub name: String,
    /// The service a page opens on when beats stop.
    pub service: String,
    /// The longest expected time between two beats.
    pub interval: Duration,
    /// How much later than `interval` a beat may come before the page.
    pub grace: Duration,
    /// The only integration whose token may beat (and whose alerts count as
    /// beats); any integration when `None`.
    pub integration: Option<String>,
    /// Alerts matching these count as beats (empty: none do).
    pub matchers: Matchers,
    /// The page title, instead of the generated one.
    pub summary: Option<String>,
}

/// The grace given when the configuration gives none: a minute covers a
/// scrape or evaluation interval of delay without paging.
pub const DEFAULT_GRACE: Duration = Duration::from_mins(1);

/// Where a heartbeat stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// A beat came within the interval.
    Ok,
    /// The interval has passed without a beat, but not the grace.
    Late,
    /// Interval and grace have passed without a beat: this pages.
    Missing,
    /// No beat yet, and it is not yet overdue.
    Never,
}

impl Status {
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Late => "late",
            Status::Missing => "missing",
            Status::Never => "never",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A heartbeat's standing at an instant.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Standing {
    pub status: Status,
    /// When the next beat is expected (the interval runs out).
    pub expected_by: Timestamp,
    /// When silence becomes missing (interval and grace run out).
    pub deadline: Timestamp,
}

impl Heartbeat {
    /// Where the heartbeat stands at `now`. Without a beat, the interval
    /// runs from `watched_since` (when pagerbound started watching it), so
    /// a heartbeat that never beats is missing too.
    pub fn standing(
        &self,
        last_beat: Option<Timestamp>,
        watched_since: Timestamp,
        now: Timestamp,
    ) -> Standing {
        let from = last_beat.unwrap_or(watched_since);
        // Durations are capped far below the end of time; `MAX` only guards
        // against a corrupt last beat.
        let later =
            |at: Timestamp, by: Duration| at.checked_add(by.to_signed()).unwrap_or(Timestamp::MAX);
        let expected_by = later(from, self.interval);
        let deadline = later(expected_by, self.grace);
        let status = if now > deadline {
            Status::Missing
        } else if last_beat.is_none() {
            Status::Never
        } else if now > expected_by {
            Status::Late
        } else {
            Status::Ok
        };
        Standing {
            status,
            expected_by,
            deadline,
        }
    }

    /// The title of the page opened when beats stop: the summary if given,
    /// or what is missing and for how long (rounded down to the second).
    pub fn page_title(
        &self,
        last_beat: Option<Timestamp>,
        watched_since: Timestamp,
        now: Timestamp,
    ) -> String {
        if let Some(summary) = &self.summary {
            return summary.clone();
        }
        let silent_secs = now
            .duration_since(last_beat.unwrap_or(watched_since))
            .as_secs()
            .max(0);
        let silent = Duration::from_secs(u64::try_from(silent_secs).unwrap_or(0));
        match last_beat {
            Some(_) => format!("Heartbeat \"{}\" missing: no beat for {silent}", self.name),
            None => format!(
                "Heartbeat \"{}\" missing: no beat since watching began {silent} ago",
                self.name
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn heartbeat(interval: u64, grace: u64) -> Heartbeat {
        Heartbeat {
            name: "prometheus".into(),
            service: "monitoring".into(),
            interval: Duration::from_secs(interval),
            grace: Duration::from_secs(grace),
            integration: None,
            matchers: Matchers::default(),
            summary: None,
        }
    }

    fn t(seconds: i64) -> Timestamp {
        Timestamp::from_second(1_800_000_000 + seconds).expect("instant")
    }

    #[test]
    fn a_heartbeat_is_ok_then_late_then_missing() {
        let hb = heartbeat(300, 60);
        let status = |now| hb.standing(Some(t(0)), t(-1000), t(now)).status;
        assert_eq!(status(0), Status::Ok);
        assert_eq!(status(300), Status::Ok);
        assert_eq!(status(301), Status::Late);
        assert_eq!(status(360), Status::Late);
        assert_eq!(status(361), Status::Missing);
        let standing = hb.standing(Some(t(0)), t(-1000), t(10));
        assert_eq!(standing.expected_by, t(300));
        assert_eq!(standing.deadline, t(360));
    }

    #[test]
    fn without_a_beat_the_interval_runs_from_when_watching_began() {
        let hb = heartbeat(300, 60);
        assert_eq!(hb.standing(None, t(0), t(100)).status, Status::Never);
        assert_eq!(hb.standing(None, t(0), t(330)).status, Status::Never);
        assert_eq!(hb.standing(None, t(0), t(361)).status, Status::Missing);
    }

    #[test]
    fn titles_say_how_long_it_has_been_silent() {
        let hb = heartbeat(300, 60);
        assert_eq!(
            hb.page_title(
                Some(t(0)),
                t(-5),
                t(360) + jiff::SignedDuration::from_millis(700)
            ),
            "Heartbeat \"prometheus\" missing: no beat for 6m"
        );
        assert!(hb.page_title(None, t(0), t(61)).contains("1m1s ago"));
        let summarised = Heartbeat {
            summary: Some("Prometheus is down".into()),
            ..hb
        };
        assert_eq!(
            summarised.page_title(None, t(0), t(400)),
            "Prometheus is down"
        );
    }
}
