//! What to write when an alert arrives again.
//!
//! Prometheus re-sends every firing alert every evaluation interval with an
//! `endsAt` a few minutes ahead. Writing every re-send would make the
//! database the bottleneck for nothing: what matters durably is that the
//! stored alert keeps firing until the sender stops. So a re-send that only
//! pushes `endsAt` further is remembered in memory, and written when the
//! stored end comes within half of the sender's horizon (for Prometheus's
//! 4-minute horizon, about every 2 minutes; sooner if the sender stops, by
//! the sweeper). After a crash the stored end is still at least half a
//! horizon away, longer than the sender's re-send interval, so nothing
//! flaps. Anything else — a new alert, a resolution, new annotations, an
//! earlier start — is written at once.

use super::Alert;
use jiff::Timestamp;

/// What the ingest path remembers of a stored alert occurrence.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Known {
    /// The stored occurrence's id.
    pub id: i64,
    pub starts_at: Timestamp,
    /// The end as stored.
    pub stored_ends_at: Option<Timestamp>,
    /// The latest end received, which may be ahead of the stored one.
    pub seen_ends_at: Option<Timestamp>,
    /// When `seen_ends_at` was received.
    pub seen_at: Timestamp,
    pub timeout: bool,
    pub content: u64,
}

/// The decision for one received alert.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Write {
    /// A new occurrence: the alert is new, or its stored occurrence had
    /// ended.
    Insert,
    /// Store these values for the known occurrence.
    Update {
        starts_at: Timestamp,
        ends_at: Option<Timestamp>,
        timeout: bool,
        content_changed: bool,
    },
    /// Nothing durable changed.
    Nothing,
}

impl Known {
    /// What is remembered right after storing `alert` as occurrence `id`.
    pub fn inserted(id: i64, alert: &Alert, now: Timestamp) -> Known {
        Known {
            id,
            starts_at: alert.starts_at,
            stored_ends_at: alert.ends_at,
            seen_ends_at: alert.ends_at,
            seen_at: now,
            timeout: alert.timeout,
            content: alert.content_hash(),
        }
    }

    /// Whether the stored occurrence is firing at `now`.
    pub fn is_firing(&self, now: Timestamp) -> bool {
        self.stored_ends_at.is_none_or(|end| end > now)
    }

    /// Decides what to write for `alert`, received at `now`, and what to
    /// remember once that write is durable.
    pub fn receive(&self, alert: &Alert, now: Timestamp) -> (Write, Known) {
        let content = alert.content_hash();
        let mut next = Known {
            seen_ends_at: alert.ends_at,
            seen_at: now,
            ..*self
        };
        if !self.is_firing(now) {
            let overlaps = self.stored_ends_at.is_some_and(|end| alert.starts_at < end);
            return if alert.is_firing(now) || !overlaps {
                (Write::Insert, next)
            } else {
                // A late copy of the resolution we already stored.
                (Write::Nothing, *self)
            };
        }
        let starts_at = self.starts_at.min(alert.starts_at);
        let content_changed = content != self.content;
        let must_write = content_changed
            || starts_at != self.starts_at
            || alert.timeout != self.timeout
            || match (self.stored_ends_at, alert.ends_at) {
                (None, None) => false,
                (None, Some(_)) | (Some(_), None) => true,
                (Some(stored), Some(new)) => {
                    new <= now
                        || new < stored
                        || stored.duration_since(now) < new.duration_since(now) / 2
                }
            };
        if !must_write {
            return (Write::Nothing, next);
        }
        next.starts_at = starts_at;
        next.stored_ends_at = alert.ends_at;
        next.timeout = alert.timeout;
        next.content = content;
        (
            Write::Update {
                starts_at,
                ends_at: alert.ends_at,
                timeout: alert.timeout,
                content_changed,
            },
            next,
        )
    }

    /// When the sweeper must write the pending extension (the latest end
    /// received but not stored), if there is one.
    pub fn extension_due_at(&self) -> Option<Timestamp> {
        match (self.stored_ends_at, self.seen_ends_at) {
            (Some(stored), Some(seen)) if seen > stored => {
                Some(stored - seen.duration_since(self.seen_at) / 2)
            }
            _ => None,
        }
    }

    /// The sweeper's decision at `now`: write the pending extension once it
    /// is due.
    pub fn sweep(&self, now: Timestamp) -> (Write, Known) {
        match self.extension_due_at() {
            Some(due) if due <= now => {
                let next = Known {
                    stored_ends_at: self.seen_ends_at,
                    ..*self
                };
                (
                    Write::Update {
                        starts_at: self.starts_at,
                        ends_at: self.seen_ends_at,
                        timeout: self.timeout,
                        content_changed: false,
                    },
                    next,
                )
            }
            _ => (Write::Nothing, *self),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::alert::Labels;
    use jiff::SignedDuration;

    fn t(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        base + SignedDuration::from_secs(minutes * 60)
    }

    fn alert(starts: i64, ends: Option<i64>) -> Alert {
        Alert {
            labels: [("alertname", "X")].into_iter().collect(),
            annotations: Labels::new(),
            starts_at: t(starts),
            ends_at: ends.map(t),
            timeout: false,
            generator_url: None,
        }
    }

    /// Prometheus: re-sends every minute, `endsAt` 4 minutes ahead.
    fn prometheus_resend(now: i64) -> Alert {
        alert(0, Some(now + 4))
    }

    #[test]
    fn prometheus_resends_are_written_about_every_two_minutes() {
        let first = prometheus_resend(0);
        let mut known = Known::inserted(1, &first, t(0));
        let mut writes = Vec::new();
        for minute in 1..=12 {
            let (write, next) = known.receive(&prometheus_resend(minute), t(minute));
            if write != Write::Nothing {
                writes.push(minute);
            }
            known = next;
            // The stored end never comes closer than half the horizon.
            assert!(
                known.stored_ends_at.expect("end").duration_since(t(minute))
                    >= SignedDuration::from_secs(120)
            );
        }
        assert_eq!(writes, [3, 6, 9, 12]);
    }

    #[test]
    fn identical_resends_write_nothing() {
        let a = alert(0, Some(60));
        let known = Known::inserted(1, &a, t(0));
        for minute in 1..10 {
            assert_eq!(known.receive(&a, t(minute)).0, Write::Nothing);
        }
        let forever = alert(0, None);
        let known = Known::inserted(2, &forever, t(0));
        assert_eq!(known.receive(&forever, t(5)).0, Write::Nothing);
    }

    #[test]
    fn changes_that_matter_are_written_at_once() {
        let known = Known::inserted(1, &alert(0, Some(10)), t(0));
        // Resolution.
        let (write, next) = known.receive(&alert(0, Some(1)), t(1));
        assert!(matches!(write, Write::Update { ends_at: Some(end), .. } if end == t(1)));
        assert!(!next.is_firing(t(1)));
        // New annotations.
        let mut annotated = alert(0, Some(10));
        annotated.annotations.insert("summary", "now with words");
        assert!(matches!(
            known.receive(&annotated, t(1)).0,
            Write::Update {
                content_changed: true,
                ..
            }
        ));
        // An earlier start.
        assert!(matches!(
            known.receive(&alert(-5, Some(10)), t(1)).0,
            Write::Update { .. }
        ));
        // Firing until resolved instead of until a time.
        assert!(matches!(
            known.receive(&alert(0, None), t(1)).0,
            Write::Update { ends_at: None, .. }
        ));
    }

    #[test]
    fn an_alert_that_fires_again_after_it_ended_is_a_new_occurrence() {
        let known = Known::inserted(1, &alert(0, Some(5)), t(0));
        assert_eq!(known.receive(&alert(20, Some(25)), t(20)).0, Write::Insert);
        // A late copy of the resolution is not.
        assert_eq!(known.receive(&alert(0, Some(5)), t(20)).0, Write::Nothing);
        // A short flap entirely in the past is recorded as its own occurrence.
        assert_eq!(known.receive(&alert(10, Some(12)), t(20)).0, Write::Insert);
    }

    #[test]
    fn the_sweeper_writes_a_pending_extension_before_the_stored_end() {
        let known = Known::inserted(1, &prometheus_resend(0), t(0));
        let (write, known) = known.receive(&prometheus_resend(1), t(1));
        assert_eq!(write, Write::Nothing);
        // The sender stops. Stored end 4, seen end 5 with a 4-minute horizon:
        // due at 4 - 2 = 2.
        assert_eq!(known.extension_due_at(), Some(t(2)));
        assert_eq!(known.sweep(t(1)).0, Write::Nothing);
        let (write, known) = known.sweep(t(2));
        assert!(matches!(write, Write::Update { ends_at: Some(end), .. } if end == t(5)));
        assert_eq!(known.extension_due_at(), None);
        assert_eq!(known.sweep(t(4)).0, Write::Nothing);
    }
}
