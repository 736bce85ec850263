//! Escalation policies: who is told of a page, and who next when nobody
//! answers.
//!
//! A policy is a list of steps. Each step notifies its targets (people,
//! whoever is on call in a schedule, everyone in a team), then waits its
//! delay; if nobody has acknowledged by then, the next step fires. After the
//! last step the policy starts again from the first, `repeat` more times.
//! An acknowledgement or a resolution stops it (the caller stops asking).
//! A step whose targets resolve to nobody does not wait: it is recorded
//! with the reason and the next step fires at once, because a silent wait
//! with nobody paged is the worst way to lose time.

use crate::Duration;
use jiff::Timestamp;
use serde::Serialize;

/// An escalation policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EscalationPolicy {
    pub name: String,
    pub steps: Vec<Step>,
    /// How many times the whole policy runs again after its first round.
    pub repeat: u32,
    /// Whether low-urgency pages follow every step too; by default they
    /// stop after the first, so that they never climb to someone asleep.
    pub escalate_low_urgency: bool,
}

/// One step: whom to notify, and how long to wait for an acknowledgement
/// before the next step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub targets: Vec<Target>,
    pub escalate_after: Duration,
}

/// Whom a step notifies.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Target {
    User(String),
    /// Whoever is on call in this schedule when the step fires.
    Schedule(String),
    /// Every member of this team.
    Team(String),
}

impl std::fmt::Display for Target {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Target::User(name) => write!(f, "user `{name}`"),
            Target::Schedule(name) => write!(f, "schedule `{name}`"),
            Target::Team(name) => write!(f, "team `{name}`"),
        }
    }
}

/// Where an escalation stands: the step to fire next, in which round
/// (both from zero).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Position {
    pub step: usize,
    pub round: u32,
}

impl Position {
    pub const START: Position = Position { step: 0, round: 0 };
}

/// What one target resolved to when its step fired.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resolved {
    /// These people (a user, a team's members).
    People(Vec<String>),
    /// The person on call in a schedule, and who shadows them.
    OnCall {
        person: String,
        shadows: Vec<String>,
    },
    /// Nobody, and why ("nobody is on call in schedule `x`").
    Nobody(String),
}

/// A shadow's copy of a step's notification.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ShadowCopy {
    pub user: String,
    /// The on-call person they shadow.
    pub shadowing: String,
}

/// What happened when a step fired.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Fired {
    pub step: usize,
    pub round: u32,
    /// Who to notify, each once, in target order.
    pub notified: Vec<String>,
    /// Who gets a shadow's copy: shadows of the on-call people notified,
    /// never anyone notified in their own right.
    pub shadows: Vec<ShadowCopy>,
    /// Why targets gave nobody, one line each.
    pub unresolved: Vec<String>,
    /// The next step and when it fires; `None` when the policy is
    /// exhausted.
    pub next: Option<(Position, Timestamp)>,
}

impl EscalationPolicy {
    /// The position after `at`, or `None` when `at` is the last step of the
    /// last round.
    pub fn after(&self, at: Position) -> Option<Position> {
        if at.step + 1 < self.steps.len() {
            Some(Position {
                step: at.step + 1,
                round: at.round,
            })
        } else if at.round < self.repeat {
            Some(Position {
                step: 0,
                round: at.round + 1,
            })
        } else {
            None
        }
    }

    /// Fires the step at `at` at `now`, asking `resolve` who each target
    /// is. A step with nobody to notify is followed at once by the next;
    /// otherwise the next fires after the step's delay. `None` when `at` is
    /// not a step of this policy (the policy changed under a running
    /// escalation).
    pub fn fire(
        &self,
        at: Position,
        now: Timestamp,
        mut resolve: impl FnMut(&Target) -> Resolved,
    ) -> Option<Fired> {
        let step = self.steps.get(at.step)?;
        if at.round > self.repeat {
            return None;
        }
        let mut notified: Vec<String> = Vec::new();
        let mut shadows: Vec<ShadowCopy> = Vec::new();
        let mut unresolved = Vec::new();
        let add = |list: &mut Vec<String>, person: String| {
            if !list.contains(&person) {
                list.push(person);
            }
        };
        for target in &step.targets {
            match resolve(target) {
                Resolved::People(people) => {
                    for person in people {
                        add(&mut notified, person);
                    }
                }
                Resolved::OnCall {
                    person,
                    shadows: theirs,
                } => {
                    for shadow in theirs {
                        if !shadows.iter().any(|s| s.user == shadow) {
                            shadows.push(ShadowCopy {
                                user: shadow,
                                shadowing: person.clone(),
                            });
                        }
                    }
                    add(&mut notified, person);
                }
                Resolved::Nobody(why) => unresolved.push(why),
            }
        }
        shadows.retain(|s| !notified.contains(&s.user));
        let wait = if notified.is_empty() {
            Duration::ZERO
        } else {
            step.escalate_after
        };
        let next = self.after(at).map(|position| {
            let when = now.checked_add(wait.to_signed()).unwrap_or(Timestamp::MAX);
            (position, when)
        });
        Some(Fired {
            step: at.step,
            round: at.round,
            notified,
            shadows,
            unresolved,
            next,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(minutes: i64) -> Timestamp {
        let base: Timestamp = "2026-11-21T03:00:00Z".parse().expect("time");
        base + jiff::SignedDuration::from_mins(minutes)
    }

    fn policy(repeat: u32) -> EscalationPolicy {
        EscalationPolicy {
            name: "payments".into(),
            escalate_low_urgency: false,
            steps: vec![
                Step {
                    targets: vec![Target::Schedule("primary".into())],
                    escalate_after: Duration::from_mins(10),
                },
                Step {
                    targets: vec![Target::Schedule("secondary".into())],
                    escalate_after: Duration::from_mins(15),
                },
                Step {
                    targets: vec![
                        Target::Team("payments".into()),
                        Target::User("carol".into()),
                    ],
                    escalate_after: Duration::from_mins(5),
                },
            ],
            repeat,
        }
    }

    /// Who each target is in these tests: `secondary` may be empty.
    fn directory(secondary_empty: bool) -> impl FnMut(&Target) -> Resolved {
        move |target| match target {
            Target::User(name) => Resolved::People(vec![name.clone()]),
            Target::Schedule(name) if name == "primary" => Resolved::OnCall {
                person: "alice".into(),
                shadows: vec!["dave".into()],
            },
            Target::Schedule(name) if secondary_empty => {
                Resolved::Nobody(format!("nobody is on call in schedule `{name}`"))
            }
            Target::Schedule(_) => Resolved::People(vec!["bob".into()]),
            Target::Team(_) => Resolved::People(vec!["alice".into(), "bob".into(), "carol".into()]),
        }
    }

    /// Runs an escalation on a simulated clock: fires each step when it is
    /// due, until the page is acknowledged at `ack` or the policy ends.
    /// Answers `(minute, step, round, notified)` for every step fired.
    fn simulate(
        policy: &EscalationPolicy,
        ack: Option<Timestamp>,
        secondary_empty: bool,
    ) -> Vec<(i64, usize, u32, Vec<String>)> {
        let mut fired = Vec::new();
        let mut next = Some((Position::START, t(0)));
        let mut resolve = directory(secondary_empty);
        while let Some((at, when)) = next {
            if ack.is_some_and(|ack| ack <= when) {
                break;
            }
            let step = policy.fire(at, when, &mut resolve).expect("a step");
            let minute = when.duration_since(t(0)).as_mins();
            fired.push((minute, step.step, step.round, step.notified.clone()));
            next = step.next;
        }
        fired
    }

    fn names(list: &[&str]) -> Vec<String> {
        list.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn nobody_acks_so_every_step_fires_after_its_delay_and_the_policy_repeats() {
        let fired = simulate(&policy(1), None, false);
        assert_eq!(
            fired,
            [
                (0, 0, 0, names(&["alice"])),
                (10, 1, 0, names(&["bob"])),
                (25, 2, 0, names(&["alice", "bob", "carol"])),
                (30, 0, 1, names(&["alice"])),
                (40, 1, 1, names(&["bob"])),
                (55, 2, 1, names(&["alice", "bob", "carol"])),
            ]
        );
    }

    #[test]
    fn an_acknowledgement_stops_everything() {
        for (ack, steps) in [(0, 0), (5, 1), (10, 1), (11, 2), (29, 3), (31, 4)] {
            let fired = simulate(&policy(1), Some(t(ack)), false);
            assert_eq!(
                fired.len(),
                steps,
                "acknowledged at minute {ack}: {fired:?}"
            );
        }
    }

    #[test]
    fn an_empty_step_moves_on_at_once_and_says_why() {
        let fired = simulate(&policy(0), None, true);
        assert_eq!(
            fired,
            [
                (0, 0, 0, names(&["alice"])),
                (10, 1, 0, names(&[])),
                (10, 2, 0, names(&["alice", "bob", "carol"])),
            ]
        );
        let step = policy(0)
            .fire(Position { step: 1, round: 0 }, t(10), directory(true))
            .expect("fired");
        assert_eq!(
            step.unresolved,
            ["nobody is on call in schedule `secondary`"]
        );
        assert_eq!(step.next, Some((Position { step: 2, round: 0 }, t(10))));
    }

    #[test]
    fn shadows_get_copies_but_are_never_the_responders() {
        let policy = policy(0);
        let first = policy
            .fire(Position::START, t(0), directory(false))
            .expect("fired");
        assert_eq!(first.notified, ["alice"]);
        assert_eq!(
            first.shadows,
            [ShadowCopy {
                user: "dave".into(),
                shadowing: "alice".into()
            }]
        );
        // A shadow who is also a target in their own right is notified
        // once, as a responder.
        let mut resolve = directory(false);
        let both = EscalationPolicy {
            name: "both".into(),
            escalate_low_urgency: false,
            steps: vec![Step {
                targets: vec![
                    Target::Schedule("primary".into()),
                    Target::User("dave".into()),
                ],
                escalate_after: Duration::from_mins(5),
            }],
            repeat: 0,
        };
        let fired = both
            .fire(Position::START, t(0), &mut resolve)
            .expect("fired");
        assert_eq!(fired.notified, ["alice", "dave"]);
        assert!(fired.shadows.is_empty());
    }

    #[test]
    fn positions_outside_the_policy_fire_nothing() {
        let policy = policy(0);
        assert!(
            policy
                .fire(Position { step: 3, round: 0 }, t(0), directory(false))
                .is_none()
        );
        assert!(
            policy
                .fire(Position { step: 0, round: 1 }, t(0), directory(false))
                .is_none()
        );
        let empty = EscalationPolicy {
            name: "empty".into(),
            escalate_low_urgency: false,
            steps: Vec::new(),
            repeat: 3,
        };
        assert!(
            empty
                .fire(Position::START, t(0), directory(false))
                .is_none()
        );
        assert_eq!(
            empty.after(Position::START),
            Some(Position { step: 0, round: 1 })
        );
    }
}
