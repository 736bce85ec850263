//! Alert groups: when a group's state is worth telling someone about.
//!
//! A new group waits `group_wait` to collect its alerts, then is flushed.
//! After that it is looked at every `group_interval`, and a notification is
//! due only when the set of firing alerts changed (alerts added or
//! resolved) or `repeat_interval` has passed since the last one. An alert
//! that joins between two looks waits for the next one: the whole group is
//! never sent again just because one more alert arrived.
//!
//! Muted alerts (silenced, inhibited) are left out of notifications but are
//! not resolved: a group whose alerts are all muted stays quiet, and its
//! page stays open, until they resolve or the mute ends.

use crate::alert::Fingerprint;
use crate::routing::Timing;
use jiff::Timestamp;
use std::collections::BTreeSet;

/// A group's notification state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    pub created_at: Timestamp,
    pub next_flush_at: Timestamp,
    pub last_notified_at: Option<Timestamp>,
    /// The alerts that were firing (and not muted) at the last
    /// notification.
    pub notified: BTreeSet<Fingerprint>,
}

/// Why a flush notifies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Reason {
    /// The group's first notification.
    Opened,
    /// Alerts were added or resolved.
    Changed,
    /// Nothing changed, but `repeat_interval` passed.
    Repeated,
    /// Every alert resolved.
    Resolved,
}

/// What a flush found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Flush {
    /// Nothing to tell.
    Quiet,
    Notify {
        reason: Reason,
        /// Firing, unmuted alerts now.
        firing: BTreeSet<Fingerprint>,
        /// Of those, the ones not in the previous notification.
        added: BTreeSet<Fingerprint>,
        /// In the previous notification, no longer firing (or muted).
        gone: BTreeSet<Fingerprint>,
    },
}

impl Group {
    pub fn new(now: Timestamp, timing: &Timing) -> Group {
        Group {
            created_at: now,
            next_flush_at: now + timing.group_wait.to_signed(),
            last_notified_at: None,
            notified: BTreeSet::new(),
        }
    }

    pub fn is_due(&self, now: Timestamp) -> bool {
        now >= self.next_flush_at
    }

    /// Looks at the group now. `unmuted_firing` are its firing alerts that
    /// are neither silenced nor inhibited; `any_firing` says whether any of
    /// its alerts still fire, muted or not.
    pub fn flush(
        &mut self,
        unmuted_firing: &BTreeSet<Fingerprint>,
        any_firing: bool,
        timing: &Timing,
        now: Timestamp,
    ) -> Flush {
        self.next_flush_at = now + timing.group_interval.to_signed();
        let added: BTreeSet<Fingerprint> =
            unmuted_firing.difference(&self.notified).copied().collect();
        let gone: BTreeSet<Fingerprint> =
            self.notified.difference(unmuted_firing).copied().collect();
        let reason = match self.last_notified_at {
            None if unmuted_firing.is_empty() => None,
            None => Some(Reason::Opened),
            Some(_) if unmuted_firing.is_empty() && self.notified.is_empty() => None,
            // All muted but still firing: stay quiet, keep what was notified.
            Some(_) if unmuted_firing.is_empty() && any_firing => None,
            Some(_) if unmuted_firing.is_empty() => Some(Reason::Resolved),
            Some(_) if !added.is_empty() || !gone.is_empty() => Some(Reason::Changed),
            Some(last) if now >= last + timing.repeat_interval.to_signed() => {
                Some(Reason::Repeated)
            }
            Some(_) => None,
        };
        let Some(reason) = reason else {
            return Flush::Quiet;
        };
        self.last_notified_at = Some(now);
        self.notified = unmuted_firing.clone();
        Flush::Notify {
            reason,
            firing: unmuted_firing.clone(),
            added,
            gone,
        }
    }

    /// Whether the group can be forgotten: nothing fires and nothing
    /// notified is left unresolved.
    pub fn is_finished(&self, any_firing: bool) -> bool {
        !any_firing && self.notified.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::duration::Duration;
    use jiff::SignedDuration;

    fn t(seconds: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T10:00:00Z".parse().expect("time");
        base + SignedDuration::from_secs(seconds)
    }

    fn timing() -> Timing {
        Timing {
            group_wait: Duration::from_secs(30),
            group_interval: Duration::from_secs(300),
            repeat_interval: Duration::from_secs(3600),
        }
    }

    fn set(ids: &[u64]) -> BTreeSet<Fingerprint> {
        ids.iter().map(|i| Fingerprint(*i)).collect()
    }

    /// One step of a scenario: at `time`, the group's firing alerts (all
    /// unmuted unless listed in `muted`), and the expected outcome.
    struct Step {
        at: i64,
        firing: &'static [u64],
        muted: &'static [u64],
        expect: Option<Reason>,
    }

    fn run(steps: &[Step]) {
        let timing = timing();
        let mut group = Group::new(t(0), &timing);
        for step in steps {
            assert!(group.is_due(t(step.at)), "not due at {}", step.at);
            let unmuted: BTreeSet<Fingerprint> = set(step.firing)
                .difference(&set(step.muted))
                .copied()
                .collect();
            let outcome = group.flush(&unmuted, !step.firing.is_empty(), &timing, t(step.at));
            let reason = match outcome {
                Flush::Quiet => None,
                Flush::Notify { reason, .. } => Some(reason),
            };
            assert_eq!(reason, step.expect, "at {}", step.at);
        }
    }

    #[test]
    fn first_flush_waits_for_group_wait() {
        let group = Group::new(t(0), &timing());
        assert!(!group.is_due(t(29)));
        assert!(group.is_due(t(30)));
    }

    #[test]
    fn notifies_only_when_the_firing_set_changes() {
        run(&[
            Step {
                at: 30,
                firing: &[1, 2],
                muted: &[],
                expect: Some(Reason::Opened),
            },
            // Nothing changed.
            Step {
                at: 330,
                firing: &[1, 2],
                muted: &[],
                expect: None,
            },
            // Alert 3 joined since: one notification for the change.
            Step {
                at: 630,
                firing: &[1, 2, 3],
                muted: &[],
                expect: Some(Reason::Changed),
            },
            Step {
                at: 930,
                firing: &[1, 2, 3],
                muted: &[],
                expect: None,
            },
            // Alert 1 resolved.
            Step {
                at: 1230,
                firing: &[2, 3],
                muted: &[],
                expect: Some(Reason::Changed),
            },
            // Everything resolved.
            Step {
                at: 1530,
                firing: &[],
                muted: &[],
                expect: Some(Reason::Resolved),
            },
        ]);
    }

    #[test]
    fn repeats_after_the_repeat_interval() {
        run(&[
            Step {
                at: 30,
                firing: &[1],
                muted: &[],
                expect: Some(Reason::Opened),
            },
            Step {
                at: 330,
                firing: &[1],
                muted: &[],
                expect: None,
            },
            Step {
                at: 3330,
                firing: &[1],
                muted: &[],
                expect: None,
            },
            Step {
                at: 3630,
                firing: &[1],
                muted: &[],
                expect: Some(Reason::Repeated),
            },
            Step {
                at: 3930,
                firing: &[1],
                muted: &[],
                expect: None,
            },
        ]);
    }

    #[test]
    fn muted_alerts_neither_notify_nor_resolve() {
        run(&[
            // Everything is silenced from the start: no notification at all.
            Step {
                at: 30,
                firing: &[1],
                muted: &[1],
                expect: None,
            },
            Step {
                at: 330,
                firing: &[1, 2],
                muted: &[1],
                expect: Some(Reason::Opened),
            },
            // Alert 2 gets silenced too: quiet, and not "resolved".
            Step {
                at: 630,
                firing: &[1, 2],
                muted: &[1, 2],
                expect: None,
            },
            // The silence ends with both still firing: 1 is new to this
            // group's notifications, 2 was notified already.
            Step {
                at: 930,
                firing: &[1, 2],
                muted: &[],
                expect: Some(Reason::Changed),
            },
        ]);
    }

    #[test]
    fn a_group_that_never_notified_and_emptied_is_finished() {
        let timing = timing();
        let mut group = Group::new(t(0), &timing);
        assert_eq!(group.flush(&set(&[]), false, &timing, t(30)), Flush::Quiet);
        assert!(group.is_finished(false));
        let mut open = Group::new(t(0), &timing);
        open.flush(&set(&[1]), true, &timing, t(30));
        assert!(
            !open.is_finished(false),
            "a notified alert must be told resolved first"
        );
        open.flush(&set(&[]), false, &timing, t(330));
        assert!(open.is_finished(false));
    }

    #[test]
    fn notifications_say_what_changed() {
        let timing = timing();
        let mut group = Group::new(t(0), &timing);
        group.flush(&set(&[1, 2]), true, &timing, t(30));
        match group.flush(&set(&[2, 3]), true, &timing, t(330)) {
            Flush::Notify {
                firing,
                added,
                gone,
                ..
            } => {
                assert_eq!(firing, set(&[2, 3]));
                assert_eq!(added, set(&[3]));
                assert_eq!(gone, set(&[1]));
            }
            Flush::Quiet => panic!("a change must notify"),
        }
    }
}
